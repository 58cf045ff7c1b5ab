/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * l2/netlink-monitor.c: canned kernel notifications through the parse path
 * (cv_nl_monitor_feed) and through dispatch over a socketpair (link seam).
 */
#include <sys/socket.h>
#include <unistd.h>

#include "cmocka-all.h"

#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/rtnetlink.h>

#include "compat.h"
#include "config.h"
#include "cv-macros.h"
#include "netlink-monitor.h"

#define MAX_SEEN 128

struct seen {
	struct cv_nl_monitor_event ev[MAX_SEEN];
	size_t n;
	int fail_at; /* return -ECANCELED from this event on (1-based); 0 never */
};

static int
record(void *userdata, const struct cv_nl_monitor_event *ev)
{
	struct seen *s = userdata;

	assert_true(s->n < MAX_SEEN);
	s->ev[s->n++] = *ev;
	return s->fail_at && (int)s->n >= s->fail_at ? -ECANCELED : 0;
}

static struct cv_addr
addr(const char *text)
{
	struct cv_addr a;

	assert_int_equal(cv_addr_parse(text, &a), 0);
	return a;
}

/* An RTM_NEWADDR/RTM_DELADDR as the kernel multicasts it; returns its length. */
static size_t
put_addr(uint8_t *buf, uint16_t type, const char *text, int ifindex, uint8_t proto)
{
	struct cv_addr a = addr(text);
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	struct ifa_cacheinfo ci = { .ifa_prefered = 10, .ifa_valid = 10 };

	nlh->nlmsg_type = type;
	nlh->nlmsg_pid = 4242; /* the requester's port, as in real notifications */
	ifa->ifa_family = a.family;
	ifa->ifa_prefixlen = a.prefixlen;
	ifa->ifa_index = (uint32_t)ifindex;
	mnl_attr_put(nlh, IFA_ADDRESS, cv_addr_len(&a), a.bytes);
	mnl_attr_put(nlh, IFA_LOCAL, cv_addr_len(&a), a.bytes);
	mnl_attr_put(nlh, IFA_CACHEINFO, sizeof(ci), &ci);
	if (proto)
		mnl_attr_put_u8(nlh, IFA_PROTO, proto);
	return nlh->nlmsg_len;
}

static size_t
put_link(uint8_t *buf, uint16_t type, uint8_t family, int ifindex, unsigned flags, const char *name)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	static const uint8_t mac[6] = { 0x02, 0x00, 0x5e, 0x10, 0x00, 0x0a };

	nlh->nlmsg_type = type;
	ifi->ifi_family = family;
	ifi->ifi_index = ifindex;
	ifi->ifi_flags = flags;
	ifi->ifi_type = 1;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	mnl_attr_put(nlh, IFLA_ADDRESS, sizeof(mac), mac);
	return nlh->nlmsg_len;
}

static size_t
put_noop(uint8_t *buf)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);

	nlh->nlmsg_type = NLMSG_NOOP;
	return nlh->nlmsg_len;
}

static void
newaddr_of_ours_is_addr_new_with_tag(void **state)
{
	uint8_t buf[256];
	size_t len = put_addr(buf, RTM_NEWADDR, "192.0.2.50/24", 3, CV_TAG_DAEMON);
	struct cv_addr want = addr("192.0.2.50/24");
	struct seen s = {};

	assert_int_equal(cv_nl_monitor_feed(buf, len, record, &s), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.ev[0].type, CV_NLMON_ADDR_NEW);
	assert_int_equal(cv_addr_compare(&s.ev[0].addr.addr, &want), 0);
	assert_int_equal(s.ev[0].addr.ifindex, 3);
	assert_int_equal(s.ev[0].addr.proto, CV_TAG_DAEMON);
	assert_int_equal(s.ev[0].link.ifindex, 0); /* the other half stays zero */
}

static void
deladdr_is_addr_del_and_keeps_the_tag(void **state)
{
	uint8_t buf[512];
	size_t n1 = put_addr(buf, RTM_DELADDR, "2001:db8::50/64", 3, CV_TAG_DAEMON);
	size_t n2 = put_addr(buf + n1, RTM_DELADDR, "192.0.2.7/24", 3, 0);
	struct seen s = {};

	assert_int_equal(cv_nl_monitor_feed(buf, n1 + n2, record, &s), 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.ev[0].type, CV_NLMON_ADDR_DEL);
	assert_int_equal(s.ev[0].addr.addr.family, AF_INET6);
	assert_int_equal(s.ev[0].addr.addr.prefixlen, 64);
	assert_int_equal(s.ev[0].addr.proto, CV_TAG_DAEMON);
	assert_int_equal(s.ev[1].type, CV_NLMON_ADDR_DEL);
	assert_int_equal(s.ev[1].addr.proto, 0); /* the admin's: no tag */
}

static void
newlink_and_dellink_are_link_events(void **state)
{
	uint8_t buf[512];
	size_t n1 = put_link(buf, RTM_NEWLINK, AF_UNSPEC, 4, IFF_UP | IFF_LOWER_UP, "eth0");
	size_t n2 = put_link(buf + n1, RTM_NEWLINK, AF_UNSPEC, 4, 0, "eth0");
	size_t n3 = put_link(buf + n1 + n2, RTM_DELLINK, AF_UNSPEC, 4, 0, "eth0");
	struct seen s = {};

	assert_int_equal(cv_nl_monitor_feed(buf, n1 + n2 + n3, record, &s), 0);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.ev[0].type, CV_NLMON_LINK);
	assert_string_equal(s.ev[0].link.name, "eth0");
	assert_int_equal(s.ev[0].link.ifindex, 4);
	assert_int_equal(s.ev[0].link.flags & (IFF_UP | IFF_LOWER_UP), IFF_UP | IFF_LOWER_UP);
	assert_int_equal(s.ev[0].link.mac_len, 6);
	assert_int_equal(s.ev[1].type, CV_NLMON_LINK);
	assert_int_equal(s.ev[1].link.flags & IFF_UP, 0);
	assert_int_equal(s.ev[2].type, CV_NLMON_LINK_DEL);
	assert_int_equal(s.ev[2].addr.ifindex, 0);
}

static void
bridge_port_notices_and_noops_are_skipped(void **state)
{
	uint8_t buf[512];
	size_t n = put_link(buf, RTM_DELLINK, AF_BRIDGE, 5, 0, "p-a");
	struct seen s = {};

	n += put_noop(buf + n);
	n += put_addr(buf + n, RTM_NEWADDR, "192.0.2.9/24", 5, 0);
	assert_int_equal(cv_nl_monitor_feed(buf, n, record, &s), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.ev[0].type, CV_NLMON_ADDR_NEW);
}

static void
malformed_message_is_ebadmsg_after_the_good_ones(void **state)
{
	uint8_t buf[512];
	size_t n1 = put_addr(buf, RTM_NEWADDR, "192.0.2.9/24", 5, 0);
	size_t n2 = put_addr(buf + n1, RTM_DELADDR, "192.0.2.10/24", 5, 0);
	size_t n3 = put_link(buf + n1 + n2, RTM_NEWLINK, AF_UNSPEC, 5, IFF_UP, "eth1");
	struct ifaddrmsg *ifa = mnl_nlmsg_get_payload((struct nlmsghdr *)(buf + n1));
	struct seen s = {};

	ifa->ifa_prefixlen = 33; /* strict checks of netlink-msg.c */
	assert_int_equal(cv_nl_monitor_feed(buf, n1 + n2 + n3, record, &s), -EBADMSG);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.ev[0].type, CV_NLMON_ADDR_NEW);
	assert_int_equal(s.ev[1].type, CV_NLMON_LINK);
	/* A torn tail too. */
	s.n = 0;
	assert_int_equal(cv_nl_monitor_feed(buf, n1 + 8, record, &s), -EBADMSG);
	assert_int_equal(s.n, 1);
}

static void
callback_error_stops_the_feed(void **state)
{
	uint8_t buf[512];
	size_t n = put_addr(buf, RTM_NEWADDR, "192.0.2.9/24", 5, 0);
	struct seen s = { .fail_at = 1 };

	n += put_addr(buf + n, RTM_NEWADDR, "192.0.2.10/24", 5, 0);
	assert_int_equal(cv_nl_monitor_feed(buf, n, record, &s), -ECANCELED);
	assert_int_equal(s.n, 1);
}

static void
event_names_round_trip(void **state)
{
	for (int t = 0; t < _CV_NLMON_EVENT_MAX; t++)
		assert_int_equal(
		    cv_nl_monitor_event_type_from_string(cv_nl_monitor_event_type_to_string(t)), t);
	assert_string_equal(cv_nl_monitor_event_type_to_string(CV_NLMON_ADDR_DEL), "ADDR_DEL");
	assert_string_equal(cv_nl_monitor_event_type_to_string(_CV_NLMON_EVENT_MAX), "?");
	assert_int_equal(cv_nl_monitor_event_type_from_string("nope"), _CV_NLMON_EVENT_INVALID);
	assert_int_equal(cv_nl_monitor_event_type_from_string(NULL), _CV_NLMON_EVENT_INVALID);
}

/* ---- dispatch over a socketpair ---- */

struct pair {
	struct cv_nl_monitor *m;
	int peer;
	struct seen s;
};

static int
pair_setup(void **state)
{
	struct pair *p = calloc(1, sizeof(*p));
	int sv[2];

	assert_non_null(p);
	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(cv_nl_monitor_new_fd(sv[0], record, &p->s, &p->m), 0);
	assert_int_equal(cv_nl_monitor_fd(p->m), sv[0]);
	p->peer = sv[1];
	*state = p;
	return 0;
}

static int
pair_teardown(void **state)
{
	struct pair *p = *state;

	assert_null(cv_nl_monitor_free(p->m));
	close(p->peer);
	free(p);
	return 0;
}

static void
send_dgram(int fd, const void *buf, size_t len)
{
	assert_int_equal(send(fd, buf, len, 0), (ssize_t)len);
}

static void
dispatch_delivers_each_datagram_and_returns_when_drained(void **state)
{
	struct pair *p = *state;
	uint8_t buf[512];
	size_t n = put_addr(buf, RTM_NEWADDR, "192.0.2.50/24", 3, CV_TAG_DAEMON);

	assert_int_equal(cv_nl_monitor_dispatch(p->m), 0); /* nothing pending */
	assert_int_equal(p->s.n, 0);
	send_dgram(p->peer, buf, n);
	n = put_addr(buf, RTM_DELADDR, "192.0.2.50/24", 3, CV_TAG_DAEMON);
	n += put_link(buf + n, RTM_NEWLINK, AF_UNSPEC, 3, 0, "eth0");
	send_dgram(p->peer, buf, n);
	assert_int_equal(cv_nl_monitor_dispatch(p->m), 0);
	assert_int_equal(p->s.n, 3);
	assert_int_equal(p->s.ev[0].type, CV_NLMON_ADDR_NEW);
	assert_int_equal(p->s.ev[1].type, CV_NLMON_ADDR_DEL);
	assert_int_equal(p->s.ev[1].addr.proto, CV_TAG_DAEMON);
	assert_int_equal(p->s.ev[2].type, CV_NLMON_LINK);
}

static void
malformed_datagram_drops_the_queue_and_resyncs_once(void **state)
{
	struct pair *p = *state;
	uint8_t buf[512];
	size_t n = put_addr(buf, RTM_NEWADDR, "192.0.2.1/24", 3, 0);

	send_dgram(p->peer, buf, n);
	send_dgram(p->peer, buf, n - 4); /* torn */
	send_dgram(p->peer, buf, n);	 /* superseded by the dump */
	assert_int_equal(cv_nl_monitor_dispatch(p->m), 0);
	assert_int_equal(p->s.n, 2);
	assert_int_equal(p->s.ev[0].type, CV_NLMON_ADDR_NEW);
	assert_int_equal(p->s.ev[1].type, CV_NLMON_RESYNC);
	/* Back to normal afterwards. */
	send_dgram(p->peer, buf, n);
	assert_int_equal(cv_nl_monitor_dispatch(p->m), 0);
	assert_int_equal(p->s.n, 3);
	assert_int_equal(p->s.ev[2].type, CV_NLMON_ADDR_NEW);
}

static void
truncated_datagram_resyncs(void **state)
{
	struct pair *p = *state;
	size_t big = 80 * 1024; /* more than the receive buffer */
	_cleanup_free_ uint8_t *buf = calloc(1, big);
	int size = 512 * 1024;

	assert_non_null(buf);
	assert_int_equal(setsockopt(p->peer, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size)), 0);
	put_addr(buf, RTM_NEWADDR, "192.0.2.1/24", 3, 0);
	send_dgram(p->peer, buf, big);
	assert_int_equal(cv_nl_monitor_dispatch(p->m), 0);
	assert_int_equal(p->s.n, 1);
	assert_int_equal(p->s.ev[0].type, CV_NLMON_RESYNC);
}

static void
dispatch_reads_a_budget_and_leaves_the_rest_for_the_next_poll(void **state)
{
	struct pair *p = *state;
	uint8_t buf[256];
	size_t n = put_addr(buf, RTM_NEWADDR, "192.0.2.1/24", 3, 0);

	for (int i = 0; i < 70; i++)
		send_dgram(p->peer, buf, n);
	assert_int_equal(cv_nl_monitor_dispatch(p->m), 0);
	assert_true(p->s.n >= 16 && p->s.n < 70);
	assert_int_equal(cv_nl_monitor_dispatch(p->m), 0);
	assert_int_equal(p->s.n, 70);
}

static void
callback_error_is_returned_by_dispatch(void **state)
{
	struct pair *p = *state;
	uint8_t buf[256];
	size_t n = put_addr(buf, RTM_NEWADDR, "192.0.2.1/24", 3, 0);

	p->s.fail_at = 1;
	send_dgram(p->peer, buf, n);
	assert_int_equal(cv_nl_monitor_dispatch(p->m), -ECANCELED);
}

static void
bad_arguments_are_refused_and_free_accepts_null(void **state)
{
	struct cv_nl_monitor *m = NULL;
	int sv[2];

	assert_int_equal(cv_nl_monitor_new_fd(-1, record, NULL, &m), -EINVAL);
	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv), 0);
	/* Takes the fd also on failure: closed, so a second close fails. */
	assert_int_equal(cv_nl_monitor_new_fd(sv[0], NULL, NULL, &m), -EINVAL);
	assert_int_equal(close(sv[0]), -1);
	close(sv[1]);
	assert_null(m);
	assert_null(cv_nl_monitor_free(NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(newaddr_of_ours_is_addr_new_with_tag),
		cmocka_unit_test(deladdr_is_addr_del_and_keeps_the_tag),
		cmocka_unit_test(newlink_and_dellink_are_link_events),
		cmocka_unit_test(bridge_port_notices_and_noops_are_skipped),
		cmocka_unit_test(malformed_message_is_ebadmsg_after_the_good_ones),
		cmocka_unit_test(callback_error_stops_the_feed),
		cmocka_unit_test(event_names_round_trip),
		cmocka_unit_test_setup_teardown(
		    dispatch_delivers_each_datagram_and_returns_when_drained, pair_setup,
		    pair_teardown),
		cmocka_unit_test_setup_teardown(malformed_datagram_drops_the_queue_and_resyncs_once,
						pair_setup, pair_teardown),
		cmocka_unit_test_setup_teardown(truncated_datagram_resyncs, pair_setup,
						pair_teardown),
		cmocka_unit_test_setup_teardown(
		    dispatch_reads_a_budget_and_leaves_the_rest_for_the_next_poll, pair_setup,
		    pair_teardown),
		cmocka_unit_test_setup_teardown(callback_error_is_returned_by_dispatch, pair_setup,
						pair_teardown),
		cmocka_unit_test(bad_arguments_are_refused_and_free_accepts_null),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
