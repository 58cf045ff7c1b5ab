/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The texts corovipctl prints, made by the daemon from the engine's queries:
 * status (human), status --json (json-c) and metrics (Prometheus text).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "action.h"
#include "backend.h"
#include "cpg.h"
#include "engine.h"

/*
 * The last transition of one VIP, kept at the engine's index of the VIP
 * (the server moves them by name at a reload); vip[0] == 0: none yet.
 */
struct cv_ipc_transition {
	char vip[CV_NAME_MAX + 1];
	enum cv_vip_state from, to;
	enum cv_reason reason;
	time_t at;	/* wall clock, for people */
	uint64_t count; /* transitions since the daemon started */
};

/* One health check of this node, as the daemon's runner (checks/) sees it. */
struct cv_ipc_check {
	const char *name;
	const char *kind; /* http, exec, tcp, link */
	bool passing;	  /* after rise/fall/hold-down: what the engine was told */
	time_t since;	  /* wall clock of the last change; 0: none yet (failing from the start) */
	uint64_t runs;
	char last[256]; /* the last run: "passed", or why it failed (exec: its last output line) */
};

/* Failover durations: the histogram's upper bounds, seconds. */
#define CV_FAILOVER_BUCKETS 12
extern const double cv_failover_bucket_s[CV_FAILOVER_BUCKETS];

/* What this daemon counted since it started (metrics). */
struct cv_ipc_counters {
	uint64_t transitions[_CV_REASON_MAX]; /* by reason */
	uint64_t conflicts;		      /* another host claimed one of our addresses */
	uint64_t reaper_restarts;	      /* our reaper died and a new one started */
	/* From corosync's report of a lost member to a VIP held here (taken
	 * within a minute of it): the histogram's counts per bucket, then
	 * above the last one; the sum of the durations. */
	uint64_t failover_counts[CV_FAILOVER_BUCKETS + 1];
	double failover_sum_s;
};

struct cv_ipc_report {
	const struct cv_engine *engine; /* NULL: corosync never reached */
	const struct cv_cpg_stats *cpg; /* may be NULL */
	const struct cv_ipc_transition *transitions; /* by VIP index */
	size_t n_transitions;
	const struct cv_ipc_check *checks; /* this node's; may be NULL */
	size_t n_checks;
	void (*progress)(void); /* cv_ipc_ops.progress; may be NULL */
	/* What VIP vip's cloud backend knows of it (cv_ipc_ops.cloud); may be NULL. */
	bool (*cloud)(void *userdata, size_t vip, struct cv_backend_status *ret);
	void *userdata;
	/* The same instant on the engine's step clock (monotonic ms) and in
	 * Unix ms: what turns the engine's deadlines into times for people. */
	uint64_t mono_now_ms;
	int64_t unix_now_ms;
	const struct cv_ipc_counters *counters; /* may be NULL */
};

/* status --json's "schema_version" (docs/status-schema.json) */
#define CV_STATUS_SCHEMA_VERSION 1

/* Each returns 0 and a new text (caller frees), or -ENOMEM. */
int cv_ipc_status_text(const struct cv_ipc_report *r, char **ret);
int cv_ipc_status_json(const struct cv_ipc_report *r, char **ret);
int cv_ipc_status_metrics(const struct cv_ipc_report *r, char **ret);
