/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Carries out the engine's actions: the address operations (acquire,
 * release, announce, renewal) through each VIP's backend (backend.h), in
 * batches; CPG sends; the engine's wakeup timer. Outcomes come back to the
 * engine as events (CV_EV_ACTION_RESULT), from a loop job, never from inside
 * the step that caused them.
 */
#pragma once

#include <qb/qbloop.h>

#include "cpg.h"
#include "engine.h"
#include "backend.h"

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
 * The executor's backend of kind (made at its first use; L2 at once), or
 * NULL when this build has none. The daemon passes the L2 one to the
 * l2-backend.h calls of its monitor, link and reconcile paths.
 */
struct cv_backend *cv_executor_backend(struct cv_executor *x, enum cv_backend_kind kind);

/* What v's backend knows of it in the provider (backend.h); false: nothing. */
bool cv_executor_backend_status(struct cv_executor *x, const struct cv_vip_conf *v,
				struct cv_backend_status *ret);

/*
 * Drop what points into a config about to be freed: each backend's
 * switch_config (L2: announce bursts of VIPs that next keeps with the same
 * name, address and interface go on under next's settings; the others stop;
 * DAD waits are dropped).
 */
void cv_executor_switch_config(struct cv_executor *x, const struct cv_config *next);
