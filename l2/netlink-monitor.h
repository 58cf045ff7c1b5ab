/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The netlink monitor socket of the L2 mover (style.md 4.6; keepalived's
 * nl_kernel beside netlink.c's command socket): subscribed to RTMGRP_LINK,
 * RTMGRP_IPV4_IFADDR and RTMGRP_IPV6_IFADDR, it turns what the kernel
 * multicasts into link and address events for its owner (the daemon, which
 * makes an ADDR_DEL of one of our VIPs a CV_EV_ADDR_GONE).
 *
 * When the kernel drops notifications (ENOBUFS: the receive buffer was full),
 * or one cannot be read or parsed, the events in between are lost: the owner
 * gets one CV_NLMON_RESYNC and must dump (cv_nl_addr_dump()) and reconcile.
 * Parsing is netlink-msg.c's (fuzzed); cv_nl_monitor_feed() is that path
 * without a socket. Nothing here logs.
 */
#pragma once

#include <errno.h>
#include <stddef.h>

#include "netlink-msg.h"

enum cv_nl_monitor_event_type {
	CV_NLMON_ADDR_NEW, /* RTM_NEWADDR: added, or changed (flags, lifetimes) */
	CV_NLMON_ADDR_DEL, /* RTM_DELADDR: removed; addr.proto: whose (CV_TAG_*) */
	CV_NLMON_LINK,	   /* RTM_NEWLINK: new or changed; IFF_UP, IFF_LOWER_UP in link.flags */
	CV_NLMON_LINK_DEL, /* RTM_DELLINK: the link is gone */
	CV_NLMON_RESYNC,   /* notifications were lost: dump and reconcile */
	_CV_NLMON_EVENT_MAX,
	_CV_NLMON_EVENT_INVALID = -EINVAL,
};

struct cv_nl_monitor_event {
	enum cv_nl_monitor_event_type type;
	struct cv_nl_addr addr; /* ADDR_NEW, ADDR_DEL; zero otherwise */
	struct cv_nl_link link; /* LINK, LINK_DEL; zero otherwise */
};

/*
 * Called once per event; ev is borrowed for the call. Return 0 to go on, or a
 * negative errno to stop: the dispatch (or feed) returns it, and the rest of
 * that datagram is lost (treat it as fatal, or resync). It must not free the
 * monitor or dispatch it again; dumping over the command socket is fine.
 */
typedef int (*cv_nl_monitor_fn)(void *userdata, const struct cv_nl_monitor_event *ev);

struct cv_nl_monitor;

/* "ADDR_NEW", "ADDR_DEL", "LINK", "LINK_DEL", "RESYNC"; "?" otherwise. */
const char *cv_nl_monitor_event_type_to_string(enum cv_nl_monitor_event_type t);
/* The reverse; _CV_NLMON_EVENT_INVALID for an unknown name. */
enum cv_nl_monitor_event_type cv_nl_monitor_event_type_from_string(const char *s);

/*
 * Open the monitor socket: NETLINK_ROUTE, close-on-exec, non-blocking, bound
 * to the link and address groups, with a large receive buffer (SO_RCVBUFFORCE
 * when we may). Borrows userdata (it must outlive the monitor). Caller frees
 * with cv_nl_monitor_free(). Returns 0 or -errno.
 */
int cv_nl_monitor_new(cv_nl_monitor_fn fn, void *userdata, struct cv_nl_monitor **ret);

/*
 * The same over a socket the caller made: a bound rtnetlink socket or, in
 * tests, one end of an AF_UNIX datagram socketpair. Takes ownership of fd,
 * also on failure.
 */
int cv_nl_monitor_new_fd(int fd, cv_nl_monitor_fn fn, void *userdata, struct cv_nl_monitor **ret);

/*
 * Ask the kernel not to queue IPv4 RTM_NEWADDR notifications for us (a
 * socket filter), for an owner that ignores them: an IPv4 address has no
 * DAD and its removal is RTM_DELADDR, while each renewal of a kernel lease
 * sends one per address. IPv6 ones stay (DAD's outcome). 0 or -errno
 * (then they come as before).
 */
int cv_nl_monitor_drop_ipv4_new(struct cv_nl_monitor *m);

/* Accepts NULL; closes the socket; returns NULL. */
struct cv_nl_monitor *cv_nl_monitor_free(struct cv_nl_monitor *m);

/* The socket, for the event loop's poll (POLLIN); borrowed, do not close. */
int cv_nl_monitor_fd(const struct cv_nl_monitor *m);

/*
 * Read what is pending without blocking (at most a budget of datagrams per
 * call: the fd stays readable if there is more) and call fn per event. After
 * ENOBUFS, a truncated datagram or a malformed message, what is still queued
 * is dropped (the dump supersedes it) and fn gets one CV_NLMON_RESYNC at the
 * end of the call. Datagrams from anyone but the kernel are ignored. Returns
 * 0, fn's error, or another -errno of the socket.
 */
int cv_nl_monitor_dispatch(struct cv_nl_monitor *m);

/*
 * The parse path of dispatch, without a socket: call fn for each address or
 * link message in buf (len bytes, as received); other message types and bridge
 * port notices (AF_BRIDGE) are skipped. Returns 0, fn's error, or -EBADMSG
 * when a message (or the buffer's tail) was malformed; the events of the
 * well-formed messages around it were delivered.
 */
int cv_nl_monitor_feed(const void *buf, size_t len, cv_nl_monitor_fn fn, void *userdata);
