/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The guard between corovipctl's socket and libqb's IPC server (issue 11).
 * libqb (Debian's 2.0.6, used as it is) accepts clients, reads their
 * handshakes and serves them through the poll hooks it is given
 * (qb_ipcs_poll_handlers). The guard supplies those hooks, so that:
 *
 * - a peer that is not root nor in group haclient, or that has no slot left,
 *   is closed as soon as libqb hands its fd over, before libqb reads a byte
 *   of it (its SO_PEERCRED); it never takes a slot;
 * - root has slots of its own, so no other user can lock it out; the other
 *   users share fewer, and each uid may hold only a few;
 * - a handshake must end within a deadline, and a connection that sends no
 *   request for a while is closed;
 * - when accept fails (EMFILE, ENFILE, ENOMEM) the listening socket sleeps
 *   for a growing delay instead of being polled again at once;
 * - refusals, timeouts and accept failures are logged through token buckets.
 *
 * libqb's hooks carry no userdata: there is one guard per process.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <qb/qbipcs.h>
#include <qb/qblog.h>
#include <qb/qbloop.h>
#include <qb/qbutil.h>

#define CV_IPC_ROOT_SLOTS   16	 /* root's own */
#define CV_IPC_SHARED_SLOTS 16	 /* every other user together */
#define CV_IPC_UID_SLOTS    4	 /* one other user */
#define CV_IPC_HANDSHAKE_MS 2000 /* corovipctl sends its handshake right after connect() */
#define CV_IPC_IDLE_MS	    5000 /* corovipctl asks at once and is answered at once */

/* A token bucket for log lines: burst lines at once, then one per interval. */
struct cv_ratelimit {
	uint64_t interval_ns;
	unsigned burst;
	unsigned tokens;
	uint64_t last_ns;
	unsigned suppressed; /* since the last line let through */
};

#define CV_RATELIMIT_INIT(interval_ms, n)                                                          \
	{ .interval_ns = (uint64_t)(interval_ms)*QB_TIME_NS_IN_MSEC, .burst = (n), .tokens = (n) }

/* Whether a line may go out at now_ns; if so, *ret_suppressed: how many did not since. */
bool cv_ratelimit_take(struct cv_ratelimit *rl, uint64_t now_ns, unsigned *ret_suppressed);

/* qb_log through a bucket, saying how many lines it held back before this one. */
#define cv_log_limited(rl, prio, fmt, ...)                                                         \
	do {                                                                                       \
		unsigned _held;                                                                    \
                                                                                                   \
		if (!cv_ratelimit_take((rl), qb_util_nano_current_get(), &_held))                  \
			break;                                                                     \
		if (_held)                                                                         \
			qb_log((prio), fmt " [%u more suppressed]", ##__VA_ARGS__, _held);         \
		else                                                                               \
			qb_log((prio), fmt, ##__VA_ARGS__);                                        \
	} while (0)

struct cv_ipc_guard;

/* Borrows loop; fails with -EBUSY if the process has a guard already. */
int cv_ipc_guard_new(qb_loop_t *loop, struct cv_ipc_guard **ret);
/*
 * Ending the service: first cv_ipc_guard_end_handshakes() (each handshake under
 * way holds a reference to the service, which qb_ipcs_destroy() would leave
 * alive), then qb_ipcs_destroy(), then cv_ipc_guard_free(). NULL: no-op.
 */
void cv_ipc_guard_end_handshakes(struct cv_ipc_guard *g);
struct cv_ipc_guard *cv_ipc_guard_free(struct cv_ipc_guard *g);

/* The hooks for qb_ipcs_poll_handlers_set(service) (before qb_ipcs_run(service)). */
struct qb_ipcs_poll_handlers *cv_ipc_guard_hooks(struct cv_ipc_guard *g,
						 qb_ipcs_service_t *service);

/* Resolve group haclient and its members now, so that no accept waits on NSS. */
void cv_ipc_guard_refresh_group(struct cv_ipc_guard *g);

/* The service handlers' part: connection_accept (0, -EACCES or -EAGAIN), created, a request,
 * destroyed. */
int32_t cv_ipc_guard_accept(struct cv_ipc_guard *g, qb_ipcs_connection_t *c, uid_t uid, gid_t gid);
void cv_ipc_guard_created(struct cv_ipc_guard *g, qb_ipcs_connection_t *c);
void cv_ipc_guard_request(struct cv_ipc_guard *g, qb_ipcs_connection_t *c);
void cv_ipc_guard_destroyed(struct cv_ipc_guard *g, qb_ipcs_connection_t *c);
/* Who connected c (SO_PEERCRED, at accept); (uid_t)-1 if unknown. */
uid_t cv_ipc_guard_uid(qb_ipcs_connection_t *c);
