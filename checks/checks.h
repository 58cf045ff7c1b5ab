/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The health checks of a config, run on this node from the daemon's loop
 * (issue 13): each check section every interval, one run at a time, its
 * outcomes debounced by core/health.c (rise, fall, hold-down). A change of
 * a check's state is reported by name: the daemon turns it into
 * CV_EV_HEALTH for the engine, which carries it in our STATE. Kinds: exec
 * (checks/exec-run.c), tcp (checks/tcp-probe.c), link (a carrier the
 * daemon reads), http (cloud/http.h, checks/http-probe.c).
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>
#include <time.h>

#include <qb/qbloop.h>

#include "config.h"
#include "engine.h"

struct cv_checks;

struct cv_checks_env {
	qb_loop_t *loop;
	/* checks changed state (after rise/fall/hold-down): one, or the
	 * outcomes of rechecks together (cv_checks_recheck) */
	void (*changed)(void *userdata, const struct cv_check_outcome *v, size_t n);
	/* a link check's input: is ifname's carrier up now? */
	bool (*link_up)(void *userdata, const char *ifname);
	void *userdata;
	uid_t uid; /* exec checks run as (script_user), (uid_t)-1: as we are */
	gid_t gid;
	bool no_user; /* script_user is unknown: exec checks fail, never run as us */
};

/* Start every check of cfg (borrowed until the next switch or free). 0 or -errno. */
int cv_checks_new(const struct cv_checks_env *env, const struct cv_config *cfg,
		  struct cv_checks **ret);
/* Stops every run under way; accepts NULL; returns NULL. */
struct cv_checks *cv_checks_free(struct cv_checks *c);
/*
 * A reload: a check whose definition is unchanged keeps its state and
 * schedule; the others start over (failing until they pass). 0 or -errno
 * (then the old checks go on).
 */
int cv_checks_switch_config(struct cv_checks *c, const struct cv_config *cfg);
/* Report every passing check again (to a new engine, which starts with all failing). */
void cv_checks_tell_passing(struct cv_checks *c);
/* Whom exec checks run as from now on (a reload's script_user). */
void cv_checks_set_user(struct cv_checks *c, uid_t uid, gid_t gid, bool no_user);
/*
 * Run the checks names[0..n) now and take those runs' outcomes as they are,
 * without rise, fall or hold-down (corovipctl recheck: a cluster manager
 * that moved its primary says so). A run under way began before the ask:
 * another follows it. The outcomes of every recheck under way are reported
 * together, once the last is in (a role change fails one check as it passes
 * another: one at a time, a VIP that needs either would leave and come
 * back); a check's timeout bounds the wait. 0, or -ENOENT: no check
 * names[*ret_missing] (then none runs).
 */
int cv_checks_recheck(struct cv_checks *c, const char *const *names, size_t n,
		      size_t *ret_missing);
/* ifname's carrier changed: its link checks run now, not at their next interval. */
void cv_checks_link_changed(struct cv_checks *c, const char *ifname);
/* What status shows of check i (0 <= i < cv_checks_count()); strings valid until the next switch. */
struct cv_check_info {
	const char *name;
	const char *kind;
	bool passing;
	time_t since; /* wall clock of the last change, 0: none yet */
	uint64_t runs;
	const char *last; /* the last run: "passed" or why it failed; "" before the first */
};
size_t cv_checks_count(const struct cv_checks *c);
void cv_checks_info(const struct cv_checks *c, size_t i, struct cv_check_info *ret);

/* Look up script_user: uid and gid, or -ENOENT. */
int cv_checks_user(const char *name, uid_t *uid, gid_t *gid);
