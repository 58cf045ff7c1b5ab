/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Paced loops of the L2 test driver (corovip-l2), on a timerfd and poll()
 * rather than sleep(): an announce burst, and "hold" (renew the kernel lease
 * at a third of it until a signal). The daemon will drive the same adapter
 * calls from its event loop's timers instead.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "config.h"
#include "netlink-monitor.h"
#include "netlink.h"

struct cv_l2_target {
	int ifindex;
	struct cv_mac mac;
	const struct cv_addr *addrs;
	size_t n;
};

struct cv_l2_announce {
	uint32_t count;	      /* rounds */
	uint32_t interval_ms; /* between rounds */
	enum cv_garp garp;    /* IPv4 form; BOTH sends a request then a reply per round */
	bool router;	      /* IPv6 NA Router flag */
	bool detach_close;    /* hand the ARP socket's last close to a child (one-shot CLIs) */
};

/* Send count rounds, one frame (two for BOTH) per address per round. */
int cv_l2_announce_run(const struct cv_l2_target *t, const struct cv_l2_announce *a);

/*
 * Renew reqs every lease/3 until SIGTERM or SIGINT, then delete them.
 * Returns 0 after a clean stop, or the first error.
 */
int cv_l2_hold_run(struct cv_nl *nl, const struct cv_nl_addr_req *reqs, size_t n,
		   struct cv_nl_error *reterr);

/* SIGTERM and SIGINT blocked and readable from a signalfd (close-on-exec, non-blocking); -errno. */
int cv_l2_signals_open(void);

/* Who answered a probe: addrs[index] is in use by mac. */
struct cv_l2_conflict {
	size_t index;
	struct cv_mac mac;
};

/*
 * Ask the link whether anyone uses one of t's addresses: an ARP probe
 * (sender IP 0.0.0.0) per IPv4 address and a DAD neighbour solicitation per
 * IPv6 one, again half way through window_ms, while listening for an ARP
 * frame or an advertisement from another MAC that claims one of them (or,
 * for IPv4, probes for it too). Returns 1 with *ret filled in at the first
 * such answer, 0 when the window passed in silence, or -errno.
 */
int cv_l2_probe_run(const struct cv_l2_target *t, uint32_t window_ms, bool detach_close,
		    struct cv_l2_conflict *ret);

/*
 * IPv6 addresses added without IFA_F_NODAD are tentative until duplicate
 * address detection passes; only then may they be announced. The caller
 * opens a monitor with cv_l2_dad_event and a struct cv_l2_dad as its
 * callback *before* the add, so that no notification is missed.
 */
struct cv_l2_dad {
	int ifindex;
	const struct cv_addr *addrs;
	size_t n;
	/* per address: 1 waiting (set by the caller), 0 passed, -EADDRINUSE failed */
	int *result;
	size_t waiting; /* how many are 1 */
	bool resync;
};

int cv_l2_dad_event(void *userdata, const struct cv_nl_monitor_event *ev);

/*
 * Wait (a dump first, then the monitor's notifications) until every address
 * has passed or one failed, at most deadline_ms. Returns 0, -EADDRINUSE
 * (result[] says which), -ETIMEDOUT or -errno.
 */
int cv_l2_dad_wait(struct cv_l2_dad *d, struct cv_nl *nl, struct cv_nl_monitor *m,
		   uint32_t deadline_ms);
