/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Socket I/O of the netlink monitor. A plain socket(2) rather than an
 * mnl_socket: we need recvmsg()'s sender address (mnl_socket_recvfrom()
 * drops it) to ignore datagrams that a local process, not the kernel, sent to
 * our port, and a plain fd lets the unit tests hand in a socketpair. Messages
 * are parsed by netlink-msg.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/filter.h>
#include <linux/rtnetlink.h>

#include "cv-macros.h"
#include "fd-util.h"
#include "netlink-monitor.h"

/*
 * Each queued notification costs its skb's truesize (~1 KiB) of the receive
 * buffer: 16 MiB holds an add of ~16,000 VIPs before the kernel drops any.
 * Memory is charged only while notifications wait.
 */
#define RCVBUF_WANTED	(16 * 1024 * 1024)
#define RX_SLOT_SIZE	(8u * 1024) /* notifications are NLMSG_GOODSIZE (<= 8 KiB) */
#define RX_SLOTS	8	    /* datagrams per recvmmsg: our own renewal of 10,000
				     * VIPs is 10,000 notifications, one datagram each */
#define RX_BUF_SIZE	(RX_SLOT_SIZE * RX_SLOTS)
#define DISPATCH_BUDGET 64 /* datagrams per dispatch: others wait their turn */

struct cv_nl_monitor {
	int fd;
	cv_nl_monitor_fn fn;
	void *userdata;
	bool resync; /* notifications were lost: drop the queue, then say RESYNC */
	uint8_t rx[RX_BUF_SIZE] __attribute__((aligned(NLMSG_ALIGNTO)));
};

static const char *const event_names[_CV_NLMON_EVENT_MAX] = {
	[CV_NLMON_ADDR_NEW] = "ADDR_NEW", [CV_NLMON_ADDR_DEL] = "ADDR_DEL",
	[CV_NLMON_LINK] = "LINK",	  [CV_NLMON_LINK_DEL] = "LINK_DEL",
	[CV_NLMON_RESYNC] = "RESYNC",
};

const char *
cv_nl_monitor_event_type_to_string(enum cv_nl_monitor_event_type t)
{
	return (unsigned)t < ELEMENTSOF(event_names) ? event_names[t] : "?";
}

enum cv_nl_monitor_event_type
cv_nl_monitor_event_type_from_string(const char *s)
{
	for (size_t i = 0; s && i < ELEMENTSOF(event_names); i++)
		if (strcmp(s, event_names[i]) == 0)
			return (enum cv_nl_monitor_event_type)i;
	return _CV_NLMON_EVENT_INVALID;
}

/* ---- parsing ---- */

struct feed {
	cv_nl_monitor_fn fn;
	void *userdata;
	bool bad;
};

/* RTNLGRP_LINK also carries bridge port notices (AF_BRIDGE): a DELLINK there
 * means "left the bridge", not "gone". Only the link itself (AF_UNSPEC) counts. */
static bool
is_bridge_notice(const struct nlmsghdr *nlh)
{
	struct ifinfomsg ifi;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(ifi))
		return false; /* the parser calls it malformed */
	memcpy(&ifi, mnl_nlmsg_get_payload(nlh), sizeof(ifi));
	return ifi.ifi_family != AF_UNSPEC;
}

/* The event of one message: 0, -ENOMSG (not ours to report) or -EBADMSG. */
static int
to_event(const struct nlmsghdr *nlh, struct cv_nl_monitor_event *ev)
{
	*ev = (struct cv_nl_monitor_event){};
	switch (nlh->nlmsg_type) {
	case RTM_NEWADDR:
	case RTM_DELADDR:
		ev->type = nlh->nlmsg_type == RTM_NEWADDR ? CV_NLMON_ADDR_NEW : CV_NLMON_ADDR_DEL;
		return cv_nl_msg_parse_addr(nlh, &ev->addr);
	case RTM_NEWLINK:
	case RTM_DELLINK:
		if (is_bridge_notice(nlh))
			return -ENOMSG;
		ev->type = nlh->nlmsg_type == RTM_NEWLINK ? CV_NLMON_LINK : CV_NLMON_LINK_DEL;
		return cv_nl_msg_parse_link(nlh, &ev->link);
	default:
		return -ENOMSG; /* NLMSG_NOOP, NLMSG_ERROR, ...: nothing happened */
	}
}

static int
on_msg(const struct nlmsghdr *nlh, void *userdata)
{
	struct feed *f = userdata;
	struct cv_nl_monitor_event ev;
	int r = to_event(nlh, &ev);

	if (r == -ENOMSG)
		return 0;
	if (r < 0) {
		f->bad = true; /* skip it; the others are still good news */
		return 0;
	}
	return f->fn(f->userdata, &ev);
}

int
cv_nl_monitor_feed(const void *buf, size_t len, cv_nl_monitor_fn fn, void *userdata)
{
	struct feed f = { .fn = fn, .userdata = userdata };
	int r = cv_nl_msg_walk(buf, len, on_msg, &f);

	if (r < 0)
		return r;
	return f.bad ? -EBADMSG : 0;
}

/* ---- the socket ---- */

int
cv_nl_monitor_new_fd(int fd, cv_nl_monitor_fn fn, void *userdata, struct cv_nl_monitor **ret)
{
	_cleanup_close_ int owned = fd;
	struct cv_nl_monitor *m;

	if (fd < 0 || !fn)
		return -EINVAL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->fd = TAKE_FD(owned);
	m->fn = fn;
	m->userdata = userdata;
	*ret = m;
	return 0;
}

/* A large receive buffer if we may (root: SO_RCVBUFFORCE), else what the limit allows. */
static void
grow_rcvbuf(int fd)
{
	int size = RCVBUF_WANTED;

	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
}

int
cv_nl_monitor_new(cv_nl_monitor_fn fn, void *userdata, struct cv_nl_monitor **ret)
{
	struct sockaddr_nl sa = {
		.nl_family = AF_NETLINK,
		.nl_groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR,
	};
	_cleanup_close_ int fd =
	    socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);

	if (fd < 0)
		return -errno;
	/* Before bind: no notification may arrive into a small buffer. */
	grow_rcvbuf(fd);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	return cv_nl_monitor_new_fd(TAKE_FD(fd), fn, userdata, ret);
}

/*
 * A socket filter: the kernel drops IPv4 RTM_NEWADDR notifications before
 * they are queued. A notification is one message per datagram, so the
 * filter sees its header at offset 0.
 */
int
cv_nl_monitor_drop_ipv4_new(struct cv_nl_monitor *m)
{
	struct sock_filter code[] = {
		/* nlmsg_type, loaded in network order: compare with htons() */
		BPF_STMT(BPF_LD | BPF_H | BPF_ABS, offsetof(struct nlmsghdr, nlmsg_type)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, htons(RTM_NEWADDR), 0, 3),
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS,
			 NLMSG_HDRLEN + offsetof(struct ifaddrmsg, ifa_family)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_INET, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, 0),
		BPF_STMT(BPF_RET | BPF_K, UINT32_MAX),
	};
	struct sock_fprog prog = { .len = ELEMENTSOF(code), .filter = code };

	return setsockopt(m->fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0 ? -errno
											 : 0;
}

struct cv_nl_monitor *
cv_nl_monitor_free(struct cv_nl_monitor *m)
{
	if (!m)
		return NULL;
	cv_closep(&m->fd);
	free(m);
	return NULL;
}

int
cv_nl_monitor_fd(const struct cv_nl_monitor *m)
{
	return m->fd;
}

/*
 * Up to RX_SLOTS datagrams into m->rx, one slot each: *ret_n of them, each
 * slot's length in lens (0: not from the kernel, skip it). 0, -EAGAIN
 * (nothing pending), -ENOBUFS (the kernel dropped some), -EMSGSIZE
 * (truncated) or -errno.
 */
static int
recv_some(struct cv_nl_monitor *m, size_t lens[RX_SLOTS], size_t *ret_n)
{
	struct sockaddr_nl sa[RX_SLOTS] = {};
	struct iovec iov[RX_SLOTS];
	struct mmsghdr mh[RX_SLOTS] = {};
	int n;

	for (size_t i = 0; i < RX_SLOTS; i++) {
		iov[i] = (struct iovec){ .iov_base = m->rx + i * RX_SLOT_SIZE, .iov_len = RX_SLOT_SIZE };
		mh[i].msg_hdr = (struct msghdr){ .msg_name = &sa[i], .msg_namelen = sizeof(sa[i]),
						 .msg_iov = &iov[i], .msg_iovlen = 1 };
	}
	do
		n = recvmmsg(m->fd, mh, RX_SLOTS, MSG_DONTWAIT, NULL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	for (int i = 0; i < n; i++) {
		if (mh[i].msg_hdr.msg_flags & MSG_TRUNC)
			return -EMSGSIZE;
		/* The kernel is port 0; any local process may send to ours. (A
		 * socketpair in the tests has no sender address.) */
		lens[i] = mh[i].msg_hdr.msg_namelen >= sizeof(sa[i]) &&
					  sa[i].nl_family == AF_NETLINK && sa[i].nl_pid != 0
				  ? 0
				  : mh[i].msg_len;
	}
	*ret_n = (size_t)n;
	return 0;
}

/* Handle what one recvmmsg brings; -EAGAIN when none was pending. */
static int
dispatch_some(struct cv_nl_monitor *m, size_t *ret_n)
{
	size_t lens[RX_SLOTS], n = 0;
	int r = recv_some(m, lens, &n);

	*ret_n = n ? n : 1;
	if (r == -ENOBUFS || r == -EMSGSIZE) {
		m->resync = true;
		return 0;
	}
	if (r < 0 || m->resync)
		return r; /* while a resync is due, what is queued is superseded */
	for (size_t i = 0; i < n && r == 0 && !m->resync; i++) { /* a resync supersedes the rest */
		if (!lens[i])
			continue; /* not from the kernel */
		r = cv_nl_monitor_feed(m->rx + i * RX_SLOT_SIZE, lens[i], m->fn, m->userdata);
		if (r == -EBADMSG) {
			m->resync = true;
			r = 0;
		}
	}
	return r;
}

int
cv_nl_monitor_dispatch(struct cv_nl_monitor *m)
{
	int r = 0;

	for (size_t done = 0, n; done < DISPATCH_BUDGET && r == 0; done += n)
		r = dispatch_some(m, &n);
	if (r < 0 && r != -EAGAIN)
		return r;
	if (m->resync) {
		struct cv_nl_monitor_event ev = { .type = CV_NLMON_RESYNC };

		m->resync = false;
		return m->fn(m->userdata, &ev);
	}
	return 0;
}
