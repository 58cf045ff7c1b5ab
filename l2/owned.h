/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Which addresses are ours to remove (issue 11, "one owner per address"): an
 * address carries its owner's tag in IFA_PROTO (core/config.h, CV_TAG_*),
 * and each sweep (the daemon's reconcile, the reaper's) touches only
 * addresses with its own tag, on interfaces that its configs name — the
 * current one and the one before it for the daemon, every config of its
 * daemon's life for the reaper. A second corovipd (another group, another
 * tag), corovip-l2, the OCF agent and the admin's own addresses are never
 * touched. What a config no longer names (a VIP dropped together with its
 * interface by an edit between two runs) the kernel lease ends.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "netlink-msg.h"

struct cv_owned {
	uint8_t tag;
	char (*ifnames)[CV_IFNAME_MAX + 1];
	size_t n;
};

/* Add one interface name (a copy; kept once); 0, -EINVAL (too long, empty) or -ENOMEM. */
int cv_owned_add_interface(struct cv_owned *o, const char *name);
/* Add every interface cfg's VIPs name; 0 or -ENOMEM. */
int cv_owned_add_config(struct cv_owned *o, const struct cv_config *cfg);
/* Forget the interfaces (the tag stays). */
void cv_owned_clear(struct cv_owned *o);
/*
 * The named interfaces as the kernel numbers them now (those that exist),
 * for a sweep: *ret is a new array of *ret_n ifindexes (caller frees).
 * 0 or -ENOMEM.
 */
int cv_owned_ifindexes(const struct cv_owned *o, int **ret, size_t *ret_n);
/* Whether the kernel's address a is ours: our tag, on one of ifindexes. */
bool cv_owned_is_ours(const struct cv_owned *o, const int *ifindexes, size_t n,
		      const struct cv_nl_addr *a);
