/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Internal to the notify hooks: the per-VIP queues (hooks.c) and the
 * cluster hook's batch (hooks-batch.c) share the state below.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exec-run.h"
#include "hooks.h"

#define BUCKETS 4096 /* VIPs with something queued or running: a chain is short */
#define N_VARS	10

/* One transition of one VIP, waiting for its run or running. */
struct entry {
	struct entry *next;
	char *command;
	char *env[N_VARS + 1]; /* into text */
	char text[];	       /* the NAME=VALUE strings, one after the other */
};

/* A VIP with a hook running or waiting. */
struct vip_q {
	struct vip_q *hnext; /* its bucket's chain */
	struct vip_q *rnext; /* the ready list: waiting for a run slot */
	struct cv_hooks *h;
	struct entry *head, *tail; /* waiting, oldest first */
	size_t n;
	struct entry *cur; /* running, NULL: none */
	struct cv_exec *run;
	bool ready; /* in the ready list */
	char name[CV_NAME_MAX + 1];
};

/* One transition in the cluster hook's batch. */
struct item {
	char vip[CV_NAME_MAX + 1];
	uint8_t from, to, reason;
};

struct cv_hooks {
	struct cv_hooks_env env;
	char *notify; /* the cluster hook, NULL: none */
	uint32_t timeout_ms;
	uint32_t node;
	struct vip_q *buckets[BUCKETS];
	struct vip_q *ready_head, *ready_tail;
	size_t running, waiting;
	/* the cluster hook: its run, and the next batch in pend[start..end) */
	struct cv_exec *batch_run;
	size_t batch_n; /* transitions in the run under way */
	struct item *pend;
	size_t start, end, cap;
	size_t dropped; /* left out of the next batch, for COROVIP_DROPPED */
};

/* A state's or reason's name, "unknown" outside the enum. */
const char *cv_hooks_state_name(int s);
const char *cv_hooks_reason_name(int r);
/* Log how run r ended: "VIP 'vip': what for OLD -> NEW (REASON)" or what alone (vip NULL). */
void cv_hooks_log_end(const char *what, const char *vip, const char *const *env,
		      uint32_t timeout_ms, const struct cv_exec_result *r);

/* ---- the cluster hook (hooks-batch.c) ---- */

/* Add transition t to the next batch (the oldest dropped beyond CV_HOOKS_BATCH_MAX). */
int cv_hooks_batch_push(struct cv_hooks *h, const struct cv_action *t);
/* Run the batch gathered, unless one runs (its end starts the next). */
void cv_hooks_batch_start(struct cv_hooks *h);
