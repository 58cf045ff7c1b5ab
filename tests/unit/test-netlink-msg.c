/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* l2/netlink-msg.c: request building and parsing, without a socket. */
#include <sys/socket.h>

#include "cmocka-all.h"

#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/rtnetlink.h>

#include "compat.h"
#include "config.h"
#include "netlink-msg.h"

static struct cv_addr
addr(const char *text)
{
	struct cv_addr a;

	assert_int_equal(cv_addr_parse(text, &a), 0);
	return a;
}

struct seen {
	const struct nlattr *tb[IFA_MAX + 16];
};

static int
seen_attr(const struct nlattr *attr, void *data)
{
	struct seen *s = data;

	if (mnl_attr_get_type(attr) < IFA_MAX + 16)
		s->tb[mnl_attr_get_type(attr)] = attr;
	return MNL_CB_OK;
}

static void
add_ipv6_request_has_nodad_lease_and_tag(void **state)
{
	uint8_t buf[CV_NL_ADDR_MSG_MAX];
	struct cv_nl_addr_req r = {
		.addr = addr("2001:db8::50/64"),
		.ifindex = 7,
		.lease_s = 10,
		.nodad = true,
		.tag = CV_TAG_DAEMON,
	};
	const struct nlmsghdr *nlh = (const void *)buf;
	const struct ifaddrmsg *ifa;
	struct ifa_cacheinfo ci;
	struct seen s = {};
	int len = cv_nl_msg_put_addr(buf, sizeof(buf), CV_NL_ADD, &r, 42);

	assert_true(len > 0);
	assert_int_equal(nlh->nlmsg_len, len);
	assert_int_equal(nlh->nlmsg_type, RTM_NEWADDR);
	assert_int_equal(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
	assert_int_equal(nlh->nlmsg_seq, 42);
	ifa = mnl_nlmsg_get_payload(nlh);
	assert_int_equal(ifa->ifa_family, AF_INET6);
	assert_int_equal(ifa->ifa_prefixlen, 64);
	assert_int_equal(ifa->ifa_index, 7);
	assert_int_equal(ifa->ifa_flags, IFA_F_NODAD);
	assert_true(mnl_attr_parse(nlh, sizeof(*ifa), seen_attr, &s) >= 0);
	assert_memory_equal(mnl_attr_get_payload(s.tb[IFA_LOCAL]), r.addr.bytes, 16);
	assert_int_equal(mnl_attr_get_u8(s.tb[IFA_PROTO]), CV_TAG_DAEMON);
	assert_int_equal(mnl_attr_get_u32(s.tb[IFA_FLAGS]), IFA_F_NODAD);
	memcpy(&ci, mnl_attr_get_payload(s.tb[IFA_CACHEINFO]), sizeof(ci));
	assert_int_equal(ci.ifa_valid, 10);
	assert_int_equal(ci.ifa_prefered, 10);
}

static void
deprecated_forever_ipv4_renew_has_preferred_zero_and_no_nodad(void **state)
{
	uint8_t buf[CV_NL_ADDR_MSG_MAX];
	struct cv_nl_addr_req r = {
		.addr = addr("192.0.2.50/24"),
		.ifindex = 3,
		.deprecated = true,
		.nodad = true,
	};
	const struct nlmsghdr *nlh = (const void *)buf;
	struct ifa_cacheinfo ci;
	struct seen s = {};

	assert_true(cv_nl_msg_put_addr(buf, sizeof(buf), CV_NL_RENEW, &r, 1) > 0);
	assert_int_equal(nlh->nlmsg_flags,
			 NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE);
	assert_true(mnl_attr_parse(nlh, sizeof(struct ifaddrmsg), seen_attr, &s) >= 0);
	assert_int_equal(mnl_attr_get_payload_len(s.tb[IFA_LOCAL]), 4);
	assert_int_equal(mnl_attr_get_u32(s.tb[IFA_FLAGS]), 0); /* NODAD is IPv6 only */
	memcpy(&ci, mnl_attr_get_payload(s.tb[IFA_CACHEINFO]), sizeof(ci));
	assert_int_equal(ci.ifa_valid, CV_NL_LIFETIME_FOREVER);
	assert_int_equal(ci.ifa_prefered, 0);
}

static void
delete_request_carries_no_lifetimes(void **state)
{
	uint8_t buf[CV_NL_ADDR_MSG_MAX];
	struct cv_nl_addr_req r = { .addr = addr("192.0.2.50/24"), .ifindex = 3, .lease_s = 5,
				    .tag = 0x81 };
	const struct nlmsghdr *nlh = (const void *)buf;
	struct seen s = {};

	assert_true(cv_nl_msg_put_addr(buf, sizeof(buf), CV_NL_DEL, &r, 1) > 0);
	assert_int_equal(nlh->nlmsg_type, RTM_DELADDR);
	assert_true(mnl_attr_parse(nlh, sizeof(struct ifaddrmsg), seen_attr, &s) >= 0);
	assert_null(s.tb[IFA_CACHEINFO]);
	assert_int_equal(mnl_attr_get_u8(s.tb[IFA_PROTO]), 0x81); /* the owner's, also on delete */
}

static void
bad_requests_and_short_buffers_are_refused(void **state)
{
	uint8_t buf[CV_NL_ADDR_MSG_MAX];
	struct cv_nl_addr_req r = { .addr = addr("2001:db8::50/64"), .ifindex = 7 };
	struct cv_nl_addr_req no_if = { .addr = addr("192.0.2.1") };

	assert_int_equal(cv_nl_msg_put_addr(buf, sizeof(buf), CV_NL_ADD, &no_if, 1), -EINVAL);
	assert_int_equal(cv_nl_msg_put_addr(buf, sizeof(buf), _CV_NL_OP_MAX, &r, 1), -EINVAL);
	assert_int_equal(cv_nl_msg_put_addr(buf, 40, CV_NL_ADD, &r, 1), -ENOBUFS);
	assert_int_equal(cv_nl_msg_put_getlink(buf, sizeof(buf), "", 1), -EINVAL);
	assert_int_equal(cv_nl_msg_put_getlink(buf, sizeof(buf), "sixteen-chars-xx", 1), -EINVAL);
}

/* Build an RTM_NEWADDR as the kernel would. */
static size_t
kernel_newaddr(uint8_t *buf, size_t len, const struct cv_addr *a, uint8_t proto)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	struct ifa_cacheinfo ci = { .ifa_prefered = 3, .ifa_valid = 8 };

	nlh->nlmsg_type = RTM_NEWADDR;
	ifa->ifa_family = a->family;
	ifa->ifa_prefixlen = a->prefixlen;
	ifa->ifa_index = 9;
	ifa->ifa_flags = 0x80; /* IFA_F_PERMANENT's bit; IFA_FLAGS below wins */
	mnl_attr_put(nlh, IFA_ADDRESS, cv_addr_len(a), a->bytes);
	mnl_attr_put_u32(nlh, IFA_FLAGS, 0x300);
	mnl_attr_put(nlh, IFA_CACHEINFO, sizeof(ci), &ci);
	if (proto)
		mnl_attr_put_u8(nlh, IFA_PROTO, proto);
	assert_true(nlh->nlmsg_len <= len);
	return nlh->nlmsg_len;
}

static void
newaddr_parses_with_tag_lifetimes_and_flags(void **state)
{
	uint8_t buf[256];
	struct cv_addr a = addr("2001:db8::7/64");
	struct cv_nl_addr got;

	kernel_newaddr(buf, sizeof(buf), &a, CV_TAG_DAEMON);
	assert_int_equal(cv_nl_msg_parse_addr((const void *)buf, &got), 0);
	assert_int_equal(cv_addr_compare(&got.addr, &a), 0);
	assert_int_equal(got.ifindex, 9);
	assert_int_equal(got.flags, 0x300);
	assert_int_equal(got.proto, CV_TAG_DAEMON);
	assert_int_equal(got.valid_s, 8);
	assert_int_equal(got.preferred_s, 3);
}

static void
newaddr_without_tag_has_proto_zero(void **state)
{
	uint8_t buf[256];
	struct cv_addr a = addr("192.0.2.9/24");
	struct cv_nl_addr got;

	kernel_newaddr(buf, sizeof(buf), &a, 0);
	assert_int_equal(cv_nl_msg_parse_addr((const void *)buf, &got), 0);
	assert_int_equal(got.proto, 0);
	assert_int_equal(cv_addr_compare(&got.addr, &a), 0);
}

static void
malformed_newaddr_is_ebadmsg(void **state)
{
	uint8_t buf[256];
	struct cv_addr a = addr("192.0.2.9/24");
	struct nlmsghdr *nlh = (void *)buf;
	struct ifaddrmsg *ifa;
	struct cv_nl_addr got = { .ifindex = 77 };

	kernel_newaddr(buf, sizeof(buf), &a, 0);
	ifa = mnl_nlmsg_get_payload(nlh);
	ifa->ifa_family = AF_INET6; /* a 4-byte address in an IPv6 message */
	assert_int_equal(cv_nl_msg_parse_addr(nlh, &got), -EBADMSG);
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = 33;
	assert_int_equal(cv_nl_msg_parse_addr(nlh, &got), -EBADMSG);
	ifa->ifa_prefixlen = 24;
	nlh->nlmsg_len = mnl_nlmsg_size(sizeof(*ifa)) - 1;
	assert_int_equal(cv_nl_msg_parse_addr(nlh, &got), -EBADMSG);
	nlh->nlmsg_type = RTM_NEWLINK;
	assert_int_equal(cv_nl_msg_parse_addr(nlh, &got), -ENOMSG);
	assert_int_equal(got.ifindex, 77); /* untouched */
}

static void
error_with_ext_ack_text_is_parsed(void **state)
{
	uint8_t buf[256];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nlmsgerr *e;
	char msg[CV_NL_MSG_MAX];
	int err = 0;

	nlh->nlmsg_type = NLMSG_ERROR;
	nlh->nlmsg_flags = NLM_F_CAPPED | NLM_F_ACK_TLVS;
	e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));
	e->error = -EACCES;
	e->msg = (struct nlmsghdr){ .nlmsg_len = 100, .nlmsg_type = RTM_NEWADDR, .nlmsg_seq = 5 };
	mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, "IPv6 is disabled on this device");
	assert_int_equal(cv_nl_msg_parse_error(nlh, &err, msg, sizeof(msg)), 0);
	assert_int_equal(err, -EACCES);
	assert_string_equal(msg, "IPv6 is disabled on this device");
	/* A short text buffer truncates. */
	assert_int_equal(cv_nl_msg_parse_error(nlh, &err, msg, 5), 0);
	assert_string_equal(msg, "IPv6");
}

static void
plain_ack_has_no_text(void **state)
{
	uint8_t buf[64];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nlmsgerr *e;
	char msg[16] = "junk";
	int err = 1;

	nlh->nlmsg_type = NLMSG_ERROR;
	e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));
	e->error = 0;
	assert_int_equal(cv_nl_msg_parse_error(nlh, &err, msg, sizeof(msg)), 0);
	assert_int_equal(err, 0);
	assert_string_equal(msg, "");
	e->error = 5; /* positive: not an errno the kernel sends */
	assert_int_equal(cv_nl_msg_parse_error(nlh, &err, msg, sizeof(msg)), -EBADMSG);
}

static int
count_cb(const struct nlmsghdr *nlh, void *userdata)
{
	(*(int *)userdata)++;
	return 0;
}

static void
walk_counts_messages_and_flags_a_torn_tail(void **state)
{
	uint8_t buf[512];
	struct cv_addr a = addr("192.0.2.9/24");
	size_t n1 = kernel_newaddr(buf, sizeof(buf), &a, 0);
	size_t n2 = kernel_newaddr(buf + n1, sizeof(buf) - n1, &a, CV_TAG_DAEMON);
	int count = 0;

	assert_int_equal(cv_nl_msg_walk(buf, n1 + n2, count_cb, &count), 0);
	assert_int_equal(count, 2);
	count = 0;
	assert_int_equal(cv_nl_msg_walk(buf, n1 + n2 - 4, count_cb, &count), -EBADMSG);
	assert_int_equal(count, 1);
}

static void
link_parses_name_mac_and_flags(void **state)
{
	uint8_t buf[256];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	static const uint8_t mac[6] = { 0x00, 0x00, 0x5e, 0x00, 0x53, 0x0a };
	struct cv_nl_link l;

	nlh->nlmsg_type = RTM_NEWLINK;
	ifi->ifi_index = 4;
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_type = 1;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, "eth0");
	mnl_attr_put(nlh, IFLA_ADDRESS, sizeof(mac), mac);
	assert_int_equal(cv_nl_msg_parse_link(nlh, &l), 0);
	assert_string_equal(l.name, "eth0");
	assert_int_equal(l.ifindex, 4);
	assert_int_equal(l.mac_len, 6);
	assert_memory_equal(l.mac, mac, 6);
	assert_int_equal(l.flags & IFF_UP, IFF_UP);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(add_ipv6_request_has_nodad_lease_and_tag),
		cmocka_unit_test(deprecated_forever_ipv4_renew_has_preferred_zero_and_no_nodad),
		cmocka_unit_test(delete_request_carries_no_lifetimes),
		cmocka_unit_test(bad_requests_and_short_buffers_are_refused),
		cmocka_unit_test(newaddr_parses_with_tag_lifetimes_and_flags),
		cmocka_unit_test(newaddr_without_tag_has_proto_zero),
		cmocka_unit_test(malformed_newaddr_is_ebadmsg),
		cmocka_unit_test(error_with_ext_ack_text_is_parsed),
		cmocka_unit_test(plain_ack_has_no_text),
		cmocka_unit_test(walk_counts_messages_and_flags_a_torn_tail),
		cmocka_unit_test(link_parses_name_mac_and_flags),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
