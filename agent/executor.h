/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Carries out the engine's actions with the adapters: addresses over netlink
 * (with the kernel lease), announce bursts paced by loop timers, kernel-lease
 * renewal in one batch, CPG sends, the engine's wakeup timer. Failures come
 * back to the engine as events (CV_EV_ACTION_FAILED), from a loop job, never
 * from inside the step that caused them.
 */
#pragma once

#include <qb/qbloop.h>

#include "cpg.h"
#include "engine.h"
#include "netlink-msg.h"
#include "owned.h"

struct cv_executor;

/*
 * tag: the IFA_PROTO our addresses carry (cv_config_address_tag); sink:
 * where follow-up events go (the daemon feeds them to the engine).
 */
int cv_executor_new(qb_loop_t *loop, uint8_t tag, cv_event_sink_fn sink, void *userdata,
		    struct cv_executor **ret);
struct cv_executor *cv_executor_free(struct cv_executor *x);

/* Borrows cpg (NULL while disconnected) and engine for the calls that need them. */
void cv_executor_set_cpg(struct cv_executor *x, struct cv_cpg *cpg);

/* Carry out actions in order; engine answers RENEW (which VIPs are held). */
void cv_executor_run(struct cv_executor *x, const struct cv_engine *engine,
		     const struct cv_actions *actions);

/*
 * An address notification from the monitor (gone: RTM_DELADDR). Ends an
 * IPv6 DAD wait: passed (announce now), or failed (the add failed). Returns
 * true when the event was that failure (the kernel removed the address):
 * the owner must not take it for an address deleted behind our back.
 */
bool cv_executor_on_addr(struct cv_executor *x, const struct cv_nl_addr *a, bool gone);

/* Notifications were lost: ask the kernel about every DAD wait. */
void cv_executor_recheck(struct cv_executor *x);

/* Is ifname up with a carrier (cv_nl_link_is_up)? false when it is missing. */
bool cv_executor_link_up(struct cv_executor *x, const char *ifname);

/* Is mac the Ethernet address of ifindex (frames of ours seen by a listener)? */
bool cv_executor_own_mac(struct cv_executor *x, int ifindex, const struct cv_mac *mac);

/*
 * Drop what points into a config about to be freed. Announce bursts and
 * announce_refresh of VIPs that next (NULL: none) keeps with the same name,
 * address and interface go on under next's settings; the others stop. DAD
 * waits are dropped: such a VIP is announced by its next takeover only.
 */
void cv_executor_switch_config(struct cv_executor *x, const struct cv_config *next);

/*
 * Reconcile (rule 8) against what is on the interfaces: every address that
 * is ours by owned (our tag, an interface of the current or the previous
 * config) and that engine does not hold (engine NULL: none) is removed; the
 * admin's own and other owners' are never touched; gone(userdata, i) is
 * called for each VIP the engine holds that is missing. Returns how many of
 * those addresses it could not remove (0: none left), or -errno.
 */
int cv_executor_reconcile(struct cv_executor *x, const struct cv_owned *owned,
			  const struct cv_engine *engine,
			  void (*gone)(void *userdata, size_t vip), void *userdata);
