/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Is anyone on the link using an address we are about to take? An ARP probe
 * (RFC 5227) or a DAD neighbour solicitation per address, and a listen for an
 * answer. The backend does not probe (the daemon's placement and the conflict
 * watch stand for it); a one-shot caller may, before its acquire: corovip-l2
 * --probe, later the OCF agent. It blocks (poll) for the window it is given:
 * for one-shot callers only, never the daemon's loop.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

struct cv_l2_target {
	int ifindex;
	struct cv_mac mac; /* ours: frames from it are no answer */
	const struct cv_addr *addrs;
	size_t n;
};

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
 * for IPv4, probes for it too). detach_close: hand the sockets' last close
 * to a child (a one-shot process's exit then waits for no RCU grace period).
 * Returns 1 with *ret filled in at the first such answer, 0 when the window
 * passed in silence, or -errno.
 */
int cv_l2_probe_run(const struct cv_l2_target *t, uint32_t window_ms, bool detach_close,
		    struct cv_l2_conflict *ret);
