/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The L2 backend (backend.h; l2-backend.c, l2-announce.c) and what only it
 * has, for the daemon's monitor, link and conflict paths. Each function
 * takes the backend the executor made for CV_BACKEND_L2 (anything else, or
 * NULL: a no-op answer).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "backend.h"
#include "engine.h"
#include "netlink-msg.h"
#include "owned.h"

extern const struct cv_backend_ops cv_l2_backend;

/*
 * An address notification from the monitor (gone: RTM_DELADDR). Ends an
 * IPv6 DAD wait: passed (announce now), or failed (the add failed). Returns
 * true when the event was that failure (the kernel removed the address):
 * the owner must not take it for an address deleted behind our back.
 */
bool cv_l2_on_addr(struct cv_backend *b, const struct cv_nl_addr *a, bool gone);

/* Notifications were lost: ask the kernel about every DAD wait. */
void cv_l2_recheck(struct cv_backend *b);

/* Is ifname up with a carrier (cv_nl_link_is_up)? false when it is missing. */
bool cv_l2_link_up(struct cv_backend *b, const char *ifname);

/* Is mac the Ethernet address of ifindex (frames of ours seen by a listener)? */
bool cv_l2_own_mac(struct cv_backend *b, int ifindex, const struct cv_mac *mac);

/*
 * Reconcile (rule 8) against what is on the interfaces: every address that
 * is ours by owned (our tag, an interface of the current or the previous
 * config) and that engine does not hold (engine NULL: none) is removed; the
 * admin's own and other owners' are never touched; gone(userdata, i) is
 * called for each VIP the engine holds that is missing. Returns how many of
 * those addresses it could not remove (0: none left), or -errno.
 */
/*
 * Remove every address of ours (owned) that keep (NULL: none) does not keep,
 * in one batch: the reconcile above and the reaper (rule 4). *ret_found:
 * how many of ours it tried to remove. Returns how many could not be (0:
 * none left), or -errno (the dump failed; *ret_found nonzero: unknown).
 */
struct cv_nl;
int cv_l2_sweep(struct cv_nl *nl, const struct cv_owned *owned,
		bool (*keep)(void *userdata, const struct cv_nl_addr *a), void *userdata,
		size_t *ret_found);

int cv_l2_reconcile(struct cv_backend *b, const struct cv_owned *owned,
		    const struct cv_engine *engine, void (*gone)(void *userdata, size_t vip),
		    void *userdata);
