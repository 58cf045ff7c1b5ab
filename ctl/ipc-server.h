/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * corovipd's libqb IPC server for corovipctl (ctl/ipc-proto.h): status,
 * metrics, move, standby, reload. Only root and members of group haclient
 * may connect, a few connections each, none idle for long (ctl/ipc-guard.h
 * stands between libqb and its socket). The server reads the engine through
 * the daemon's callbacks and feeds admin commands back through them: it
 * decides nothing itself.
 */
#pragma once

#include <stddef.h>

#include <qb/qbloop.h>

#include "action.h"
#include "cpg.h"
#include "engine.h"
#include "ipc-status.h"

struct cv_ipc_server;

struct cv_ipc_ops {
	/* The engine to report on; NULL while corosync was never reached. */
	const struct cv_engine *(*engine)(void *userdata);
	const struct cv_cpg_stats *(*cpg_stats)(void *userdata);
	/* This node's health checks, valid until the next call; *ret NULL: none. May be NULL. */
	size_t (*checks)(void *userdata, const struct cv_ipc_check **ret);
	/* Feed an admin event now; *ret_refused: the engine's refusal (static text) or NULL. */
	int (*admin)(void *userdata, const struct cv_event *ev, const char **ret_refused);
	/* Run these checks now, their outcomes taken as they are, together
	 * (checks.h cv_checks_recheck): 0, or -ENOENT for names[*ret_missing],
	 * one the daemon does not run. */
	int (*recheck)(void *userdata, const char *const *names, size_t n, size_t *ret_missing);
	/* Set the log level by its name (log.h); msg: what it did, or why not. */
	int (*log_level)(void *userdata, const char *level, char *msg, size_t len);
	/* Dump the blackbox (as SIGUSR2); msg: its path, or why it failed. */
	int (*blackbox)(void *userdata, char *msg, size_t len);
	/* Reload the config file (as SIGHUP); msg: a summary, or why it failed. */
	int (*reload)(void *userdata, char *msg, size_t len);
	/* What VIP vip's backend knows of it in the provider's API (false:
	 * nothing; an L2 VIP). May be NULL. */
	bool (*cloud)(void *userdata, size_t vip, struct cv_backend_status *ret);
	/* Called every so often inside a long answer (thousands of VIPs): the
	 * daemon's loop beats its reaper (agent/reaper.h). May be NULL. */
	void (*progress)(void);
};

/* Borrows loop, ops and userdata; one server per process (libqb's poll hooks have no userdata). */
int cv_ipc_server_new(qb_loop_t *loop, const struct cv_ipc_ops *ops, void *userdata,
		      struct cv_ipc_server **ret);
struct cv_ipc_server *cv_ipc_server_free(struct cv_ipc_server *s);

/*
 * Resolve group haclient and its members now (done at creation; the daemon
 * calls it again at each reload), so that a connection never waits on NSS.
 */
void cv_ipc_server_refresh_group(struct cv_ipc_server *s);

/* A reload is about to give VIPs next's indexes: move the transitions kept. */
void cv_ipc_server_remap(struct cv_ipc_server *s, const struct cv_config *next);

/* The metrics text, as corovipctl metrics gets it (the HTTP listener's answer). */
int cv_ipc_server_metrics(struct cv_ipc_server *s, char **ret);

/* Remember the transitions among a step's actions (status, metrics). NULL s: no-op. */
void cv_ipc_server_note(struct cv_ipc_server *s, const struct cv_actions *a);
/* corosync reported a member lost (a failover may follow; the metrics time it). */
void cv_ipc_server_member_lost(struct cv_ipc_server *s);
/* What the daemon counts itself, for the metrics. NULL s: no-op. */
enum cv_ipc_count { CV_IPC_COUNT_CONFLICT, CV_IPC_COUNT_REAPER_RESTART };
void cv_ipc_server_count(struct cv_ipc_server *s, enum cv_ipc_count what);
