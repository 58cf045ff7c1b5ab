/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One batch through a backend on a private loop, with no daemon around: the
 * L2 test driver (l2/corovip-l2.c) and the OCF agent's start and stop (issue
 * 15), which so have no copy of their own of a backend's steps (issue 12).
 *
 * A run hands the VIPs to the backend as one batch, runs the loop until
 * every VIP has its outcome (an acquire: once the address serves, IPv6 DAD
 * included; with announce, once its frames are out) or the deadline has
 * passed, and gives each VIP's outcome back. The backend is made with
 * env->oneshot (backend.h): it watches what it needs itself. Nothing here
 * logs: the backend has logged each failure, the caller says what it means.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <qb/qbloop.h>

#include "backend.h"

enum cv_oneshot_op {
	CV_ONESHOT_ACQUIRE,  /* take the VIPs (then announce those taken, if asked) */
	CV_ONESHOT_RELEASE,  /* let them go */
	CV_ONESHOT_RENEW,    /* renew the lease of VIPs we hold (a hold's timer) */
	CV_ONESHOT_ANNOUNCE, /* announce only */
	_CV_ONESHOT_OP_MAX,
	_CV_ONESHOT_OP_INVALID = -EINVAL,
};

struct cv_oneshot_req {
	enum cv_oneshot_op op;
	/* n of them, all of the runner's kind; borrowed until cv_oneshot_free (the
	 * backend may still refer to them: a burst, a DAD wait, an admin's address) */
	const struct cv_vip_conf *vips;
	size_t n;
	uint32_t lease_s;     /* ACQUIRE, RENEW: what a hold lasts unrenewed (0: forever) */
	bool announce;	      /* ACQUIRE: announce each VIP taken */
	uint32_t deadline_ms; /* the whole run: what has no outcome by then gets -ETIMEDOUT */
	/* The operations' epoch (a cloud writes it with a move or release and
	 * compares it with the one there); 0: the runner's own count. A run
	 * with an epoch of its own should take a new one each time. */
	uint64_t epoch;
};

#define CV_ONESHOT_DETAIL_MAX 256

/* What became of one VIP. */
struct cv_oneshot_result {
	int err;		/* 0, or -errno of the step that failed */
	enum cv_action_type op; /* that step: CV_ACT_ADDR_ADD, _DEL, _RENEW or _ANNOUNCE */
	char detail[CV_ONESHOT_DETAIL_MAX]; /* the other side's own words (the kernel's), or "" */
};

struct cv_oneshot;

/*
 * A private loop and a backend of kind on it, writing tag (config.h,
 * cv_config_address_tag) and, in a cloud, nodeid with each epoch (0: none
 * known). -EOPNOTSUPP: this build has no such backend. Caller frees with
 * cv_oneshot_free().
 */
int cv_oneshot_new(enum cv_backend_kind kind, uint8_t tag, uint32_t nodeid,
		   struct cv_oneshot **ret);

/* Destroys the backend (what is still under way stops) and the loop; NULL. */
struct cv_oneshot *cv_oneshot_free(struct cv_oneshot *s);

/*
 * Run req. ret_results: req->n entries, one per VIP in order. Returns 0 when
 * every VIP succeeded, -EIO when one or more failed (ret_results says which
 * and why), or -errno before anything was tried (-EINVAL: a VIP of another
 * kind; -ENOMEM).
 */
int cv_oneshot_run(struct cv_oneshot *s, const struct cv_oneshot_req *req,
		   struct cv_oneshot_result *ret_results);

/*
 * The private loop, for what a caller waits for between runs (a hold's
 * renewal timer, its signals). Do not run a run from inside it.
 */
qb_loop_t *cv_oneshot_loop(struct cv_oneshot *s);

/* new, run, free: one call for a caller with one batch (the OCF agent). */
int cv_oneshot_apply(enum cv_backend_kind kind, uint8_t tag, uint32_t nodeid,
		     const struct cv_oneshot_req *req, struct cv_oneshot_result *ret_results);

/* The first failed VIP of n results, or n when none failed. */
size_t cv_oneshot_first_failure(const struct cv_oneshot_result *results, size_t n);
