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
