/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The notify hooks (issue 13): on every transition of a VIP on this node
 * (every CV_ACT_TRANSITION of an engine step), the VIP's `notify` command,
 * and once per step's batch the cluster section's `notify` with the list.
 * Each runs through checks/exec-run.h: asynchronously from the daemon's
 * loop, in its own process group, as script_user, killed at
 * notify_timeout. Nothing here ever waits for a hook.
 *
 * Per VIP: one run at a time, in the order of the transitions; at most
 * CV_HOOKS_QUEUE_MAX wait their turn (beyond, the oldest waiting one is
 * dropped and logged), and at most CV_HOOKS_RUNNING_MAX of all VIPs' hooks
 * run at once (the others wait, VIPs served in turn).
 *
 * Cluster-wide: one run at a time; transitions that come while it runs
 * gather into the next batch (at most CV_HOOKS_BATCH_MAX, the oldest
 * dropped beyond and counted in COROVIP_DROPPED). The batch is the run's
 * stdin (a memfd), one "VIP OLD NEW REASON" line per transition, and
 * COROVIP_TRANSITIONS too when at most CV_HOOKS_ENV_LIST_MAX bytes.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <qb/qbloop.h>

#include "action.h"
#include "config.h"

#define CV_HOOKS_QUEUE_MAX    16
#define CV_HOOKS_RUNNING_MAX  32
#define CV_HOOKS_BATCH_MAX    100000
#define CV_HOOKS_ENV_LIST_MAX (64 * 1024)

struct cv_hooks;

struct cv_hooks_env {
	qb_loop_t *loop;
	uid_t uid; /* hooks run as (script_user); (uid_t)-1: as we are */
	gid_t gid;
	int user_err; /* < 0: script_user is unknown (-errno): no hook runs, each is logged */
	/* The VIP's epoch after transition t, false if unknown (a VIP a
	 * reload removed). NULL: never known. */
	bool (*epoch)(void *userdata, const struct cv_action *t, uint64_t *ret);
	void *userdata;
};

/* cfg is read, not kept (the cluster hook and its timeout are copied). 0 or -ENOMEM. */
int cv_hooks_new(const struct cv_hooks_env *env, const struct cv_config *cfg,
		 struct cv_hooks **ret);
/* Kills every hook still running (logged), drops the queued ones; accepts NULL; returns NULL. */
struct cv_hooks *cv_hooks_free(struct cv_hooks *h);
/* A reload: the cluster hook, notify_timeout and script_user from now on;
 * hooks queued keep the command of their transition. 0 or -ENOMEM (then
 * the old ones go on). */
int cv_hooks_switch_config(struct cv_hooks *h, const struct cv_config *cfg, uid_t uid, gid_t gid,
			   int user_err);
/*
 * One engine step's actions: queue a run for every transition of a VIP
 * with a notify command, and the cluster hook once for all of them. node:
 * ours (COROVIP_NODE). Never blocks: runs start here or from the loop.
 */
void cv_hooks_note(struct cv_hooks *h, const struct cv_actions *a, uint32_t node);
/* Hooks running and waiting (tests, status). */
size_t cv_hooks_running(const struct cv_hooks *h);
size_t cv_hooks_waiting(const struct cv_hooks *h);
