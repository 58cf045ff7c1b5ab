/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * corovip-l2 monitor: print an interface's link and address events until
 * SIGTERM or SIGINT, after a dump of its addresses (again after a RESYNC),
 * the way corovipd's monitor sees them. Tests use it as a witness.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/signalfd.h>
#include <sys/socket.h>

#include <linux/if.h> /* IFF_LOWER_UP */

#include "cv-error.h"
#include "fd-util.h"
#include "corovip-l2-monitor.h"
#include "netlink-monitor.h"

struct mon {
	struct cv_nl *nl;
	const char *ifname;
	int ifindex;
};

static int
signals_open(void)
{
	sigset_t mask;
	int fd;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return -errno;
	fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	return fd < 0 ? -errno : fd;
}

/* What an owner does at start and on RESYNC: dump, and start over from that. */
static int
print_state(const struct mon *x)
{
	_cleanup_free_ struct cv_nl_addr *v = NULL;
	size_t n = 0;
	int r = cv_nl_addr_dump(x->nl, AF_UNSPEC, x->ifindex, &v, &n);

	if (r < 0) {
		fprintf(stderr, "corovip-l2: dump '%s': %s\n", x->ifname, cv_strerror(r));
		return r;
	}
	printf("STATE %zu addresses\n", n);
	for (size_t i = 0; i < n; i++) {
		char a[CV_ADDR_STRLEN];

		printf("HAS %s proto 0x%02x\n", cv_addr_format(&v[i].addr, true, a, sizeof(a)),
		       v[i].proto);
	}
	return 0;
}

static int
on_event(void *userdata, const struct cv_nl_monitor_event *ev)
{
	const struct mon *x = userdata;
	const char *what = cv_nl_monitor_event_type_to_string(ev->type);
	char a[CV_ADDR_STRLEN];
	int r = 0;

	if (ev->type == CV_NLMON_RESYNC) {
		printf("%s\n", what);
		r = print_state(x);
	} else if (ev->type == CV_NLMON_LINK || ev->type == CV_NLMON_LINK_DEL) {
		if (ev->link.ifindex != x->ifindex)
			return 0;
		printf("%s %s %s %s\n", what, ev->link.name,
		       ev->link.flags & IFF_UP ? "up" : "down",
		       ev->link.flags & IFF_LOWER_UP ? "carrier" : "no-carrier");
	} else {
		if (ev->addr.ifindex != x->ifindex)
			return 0;
		printf("%s %s proto 0x%02x\n", what,
		       cv_addr_format(&ev->addr.addr, true, a, sizeof(a)), ev->addr.proto);
	}
	return r < 0 ? r : (fflush(stdout) == EOF ? -errno : 0);
}

static int
monitor_loop(struct cv_nl_monitor *m, int sfd)
{
	struct pollfd p[2] = {
		{ .fd = sfd, .events = POLLIN },
		{ .fd = cv_nl_monitor_fd(m), .events = POLLIN },
	};

	for (;;) {
		int r;

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (p[0].revents)
			return 0;
		r = cv_nl_monitor_dispatch(m);
		if (r < 0)
			return r;
	}
}

int
cv_l2_cli_monitor(struct cv_nl *nl, const char *ifname, int ifindex, uint32_t rcvbuf,
		  bool no_ipv4_new)
{
	_cleanup_close_ int sfd = signals_open();
	struct mon mon = { .nl = nl, .ifname = ifname, .ifindex = ifindex }, *x = &mon;
	struct cv_nl_monitor *m = NULL;
	int r, size = (int)rcvbuf;

	r = sfd < 0 ? sfd : cv_nl_monitor_new(on_event, x, &m);
	if (r == 0 && size > 0 &&
	    setsockopt(cv_nl_monitor_fd(m), SOL_SOCKET, SO_RCVBUF, &size, sizeof(size)) < 0)
		r = -errno;
	if (r == 0 && no_ipv4_new)
		r = cv_nl_monitor_drop_ipv4_new(m);
	if (r == 0) {
		/* Subscribed first, then dumped: no change falls in between. */
		printf("listening on %s (ifindex %d)\n", x->ifname, x->ifindex);
		r = print_state(x);
	}
	if (r == 0)
		r = fflush(stdout) == EOF ? -errno : monitor_loop(m, sfd);
	if (r < 0)
		fprintf(stderr, "corovip-l2: monitor '%s': %s\n", x->ifname, cv_strerror(r));
	cv_nl_monitor_free(m);
	return r;
}
