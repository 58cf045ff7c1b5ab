/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include <qb/qblog.h>
#include <qb/qbutil.h>

#include "checks.h"
#include "cv-error.h"
#include "cv-macros.h"
#include "exec-run.h"
#include "health.h"
#include "http-probe.h"
#include "http.h"
#include "loop-timer.h"
#include "tcp-probe.h"

struct check {
	struct cv_checks *owner;
	const struct cv_check_conf *conf;
	struct cv_health health;
	struct cv_loop_timer *tick; /* the next run */
	struct cv_loop_timer *hold; /* a return to health held back (core/health.h) */
	struct cv_tcp_probe *tcp;   /* a run under way, or NULL */
	struct cv_exec *exec;
	struct cv_http_transfer *http;
	time_t since;		    /* wall clock of the last reported change (status) */
	/* A recheck was asked (cv_checks_recheck): the next run's outcome counts
	 * as it is; rerun: one was under way then, its outcome is from before;
	 * held: that outcome is in (held_passed), waiting for the others. */
	bool forced, rerun, held, held_passed;
	uint64_t runs;
	char last[256];		    /* the last run's outcome, for status */
};

struct cv_checks {
	struct cv_checks_env env;
	struct check **v; /* pointers: timers hold them across a switch */
	size_t n;
	struct cv_http *http; /* the http checks' client, made at the first http run */
	size_t forced;	      /* rechecks whose outcome is not in yet */
};

static uint64_t
now_ms(void)
{
	return qb_util_nano_current_get() / QB_TIME_NS_IN_MSEC;
}

static void
arm_hold(struct check *k)
{
	uint64_t due = cv_health_due(&k->health);

	if (due != UINT64_MAX)
		(void)cv_loop_timer_at(k->hold, due);
	else
		cv_loop_timer_cancel(k->hold);
}

/* k's state changed: logged, and its outcome for the engine put in *ret. */
static void
changed(struct check *k, struct cv_check_outcome *ret)
{
	bool ok = cv_health_ok(&k->health);

	k->since = time(NULL);
	qb_log(LOG_NOTICE, "check '%s' (%s) %s", k->conf->head.name, cv_check_kind(k->conf),
	       ok ? "passes" : "fails");
	*ret = (struct cv_check_outcome){ .check = k->conf->head.name, .healthy = ok };
}

static void
report(struct check *k)
{
	struct cv_check_outcome o;

	changed(k, &o);
	k->owner->env.changed(k->owner->env.userdata, &o, 1);
}

/* The last recheck's outcome is in: every held one is taken, the changes told at once. */
static void
apply_held(struct cv_checks *c)
{
	struct cv_check_outcome v[CV_MAX_CHECKS]; /* c->n <= CV_MAX_CHECKS (the config's bound) */
	size_t n = 0;

	for (size_t i = 0; i < c->n; i++) {
		struct check *k = c->v[i];

		if (!k->held)
			continue;
		k->held = false;
		if (cv_health_force(&k->health, k->held_passed, now_ms()))
			changed(k, &v[n++]);
		arm_hold(k);
	}
	if (n)
		c->env.changed(c->env.userdata, v, n);
}

static void run(struct check *k);

/* One run's outcome: debounced (or as it is, asked for), reported if the check's state changed. */
static void
outcome(struct check *k, bool passed, const char *why)
{
	bool forced = k->forced && !k->rerun;

	k->runs++;
	snprintf(k->last, sizeof(k->last), "%s", passed ? "passed" : why);
	if (!passed)
		qb_log(LOG_DEBUG, "check '%s': run failed: %s", k->conf->head.name, why);
	if (k->rerun) { /* that run began before the recheck was asked */
		k->rerun = false;
		run(k);
		return;
	}
	if (forced) {
		k->forced = false;
		k->held = true;
		k->held_passed = passed;
		if (--k->owner->forced == 0)
			apply_held(k->owner);
		return;
	}
	if (cv_health_result(&k->health, passed, now_ms()))
		report(k);
	arm_hold(k);
}

static void
on_hold(void *data)
{
	struct check *k = data;

	if (cv_health_tick(&k->health, now_ms()))
		report(k);
	arm_hold(k);
}

static void
on_tcp_done(void *data, bool passed, int err)
{
	struct check *k = data;

	k->tcp = NULL;
	outcome(k, passed, cv_strerror(err));
}

static void
on_exec_done(void *data, const struct cv_exec_result *r)
{
	struct check *k = data;
	char why[320];

	k->exec = NULL;
	if (r->spawn_failed)
		snprintf(why, sizeof(why), "cannot run: %s", cv_strerror(r->err));
	else if (r->timed_out)
		snprintf(why, sizeof(why), "timed out after %u ms (%s)", k->conf->timeout_ms,
			 r->last_line);
	else if (WIFSIGNALED(r->status))
		snprintf(why, sizeof(why), "killed by signal %d (%s)", WTERMSIG(r->status),
			 r->last_line);
	else
		snprintf(why, sizeof(why), "exit status %d (%s)", WEXITSTATUS(r->status),
			 r->last_line);
	outcome(k, !r->spawn_failed && !r->timed_out && r->status == 0, why);
}

static void
on_http_done(void *data, const struct cv_http_result *res)
{
	struct check *k = data;
	char why[512];
	bool passed = cv_http_probe_passed(k->conf, res, why, sizeof(why));

	k->http = NULL;
	outcome(k, passed, why);
}

static void
run_http(struct check *k)
{
	struct cv_checks *c = k->owner;
	struct cv_http_request req = cv_http_probe_request(k->conf);
	int r = c->http ? 0 : cv_http_new(c->env.loop, &c->http);

	if (r >= 0)
		r = cv_http_get(c->http, &req, on_http_done, k, &k->http);
	if (r < 0)
		outcome(k, false, cv_strerror(r));
}

static void
run_exec(struct check *k)
{
	const struct cv_checks_env *env = &k->owner->env;
	struct cv_exec_spec spec = { .command = k->conf->exec, .shell = k->conf->shell,
				     .uid = env->uid, .gid = env->gid,
				     .timeout_ms = k->conf->timeout_ms };
	int r;

	if (env->no_user) { /* not as the daemon, with its capabilities */
		outcome(k, false, "script_user is unknown");
		return;
	}
	r = cv_exec_start(env->loop, &spec, on_exec_done, k, &k->exec);
	if (r < 0)
		outcome(k, false, cv_strerror(r));
}

static void
run_tcp(struct check *k)
{
	int r = cv_tcp_probe_start(k->owner->env.loop, k->conf->tcp, k->conf->timeout_ms,
				   on_tcp_done, k, &k->tcp);

	if (r < 0)
		outcome(k, false, cv_strerror(r));
}

/* One run, unless the last is still under way (its timeout ends it first). */
static void
run(struct check *k)
{
	if (k->tcp || k->exec || k->http)
		return;
	if (k->conf->http)
		run_http(k);
	else if (k->conf->exec)
		run_exec(k);
	else if (k->conf->tcp)
		run_tcp(k);
	else if (k->conf->link)
		outcome(k, k->owner->env.link_up(k->owner->env.userdata, k->conf->link),
			"no carrier");
}

static void
on_tick(void *data)
{
	struct check *k = data;

	run(k);
	(void)cv_loop_timer_in(k->tick, k->conf->interval_ms);
}

static void
check_free(struct check *k)
{
	if (!k)
		return;
	k->tcp = cv_tcp_probe_cancel(k->tcp);
	k->http = cv_http_cancel(k->http);
	if (k->exec)
		cv_exec_cancel(k->exec);
	cv_loop_timer_free(k->tick);
	cv_loop_timer_free(k->hold);
	free(k);
}

static int
check_new(struct cv_checks *c, const struct cv_check_conf *conf, struct check **ret)
{
	struct check *k = calloc(1, sizeof(*k));
	int r;

	if (!k)
		return -ENOMEM;
	*k = (struct check){ .owner = c, .conf = conf };
	cv_health_init(&k->health, conf->rise, conf->fall, conf->hold_down_ms);
	r = cv_loop_timer_new(c->env.loop, on_tick, k, &k->tick);
	if (r >= 0)
		r = cv_loop_timer_new(c->env.loop, on_hold, k, &k->hold);
	if (r < 0) {
		check_free(k);
		return r;
	}
	if (conf->http && !conf->tls_verify && strncmp(conf->http, "https:", 6) == 0)
		qb_log(LOG_WARNING, "check '%s': tls_verify is off: any server that answers %s "
		       "passes it, whatever its certificate", conf->head.name, conf->http);
	(void)cv_loop_timer_in(k->tick, 0); /* the first run on the loop's next turn */
	*ret = k;
	return 0;
}

/* Where in old the check to keep for conf is (unchanged), or -1. */
static ssize_t
find_same(struct check *const *old, size_t n_old, const struct cv_check_conf *conf)
{
	for (size_t i = 0; i < n_old; i++)
		if (old[i] && cv_check_same(old[i]->conf, conf))
			return (ssize_t)i;
	return -1;
}

static void
free_all(struct check **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		check_free(v[i]);
	free(v);
}

/*
 * The checks of cfg: each unchanged one taken over from old (its entry there
 * set to NULL), the others new. On failure old is left as it was. A new
 * check is failing; the engine, which keeps a check's last state by name
 * across a reload, is told so by the caller.
 */
static int
build(struct cv_checks *c, const struct cv_config *cfg, struct check **old, size_t n_old,
      struct check ***ret)
{
	size_t n = cfg->n_checks;
	struct check **v = calloc(n ? n : 1, sizeof(*v));
	_cleanup_free_ ssize_t *src = calloc(n ? n : 1, sizeof(*src));
	int r = v && src ? 0 : -ENOMEM;

	for (size_t i = 0; r >= 0 && i < n; i++) {
		src[i] = find_same(old, n_old, &cfg->checks[i]);
		if (src[i] < 0)
			r = check_new(c, &cfg->checks[i], &v[i]);
	}
	if (r < 0) {
		free_all(v, v ? n : 0);
		return r;
	}
	for (size_t i = 0; i < n; i++)
		if (src[i] >= 0) {
			v[i] = old[src[i]];
			old[src[i]] = NULL;
			v[i]->conf = &cfg->checks[i];
		}
	*ret = v;
	return 0;
}

int
cv_checks_new(const struct cv_checks_env *env, const struct cv_config *cfg,
	      struct cv_checks **ret)
{
	struct cv_checks *c = calloc(1, sizeof(*c));
	int r;

	if (!c)
		return -ENOMEM;
	c->env = *env;
	r = build(c, cfg, NULL, 0, &c->v);
	/* the http client now, before the daemon's loop runs: it reads the
	 * system's CA certificates once (cloud/http.c load_system_cas) */
	for (size_t k = 0; r >= 0 && !c->http && k < cfg->n_checks; k++)
		if (cfg->checks[k].http)
			r = cv_http_new(c->env.loop, &c->http);
	if (r < 0) {
		free_all(c->v, c->v ? cfg->n_checks : 0);
		free(c);
		return r;
	}
	c->n = cfg->n_checks;
	*ret = c;
	return 0;
}

struct cv_checks *
cv_checks_free(struct cv_checks *c)
{
	if (!c)
		return NULL;
	free_all(c->v, c->n); /* their transfers first */
	cv_http_free(c->http);
	free(c);
	return NULL;
}

/* Tell the engine, at once, of every check that passes (or fails). */
static void
tell(struct cv_checks *c, bool passing)
{
	struct cv_check_outcome v[CV_MAX_CHECKS];
	size_t n = 0;

	for (size_t i = 0; i < c->n; i++)
		if (cv_health_ok(&c->v[i]->health) == passing)
			v[n++] = (struct cv_check_outcome){ .check = c->v[i]->conf->head.name,
							    .healthy = passing };
	if (n)
		c->env.changed(c->env.userdata, v, n);
}

int
cv_checks_switch_config(struct cv_checks *c, const struct cv_config *cfg)
{
	struct check **v;
	int r = build(c, cfg, c->v, c->n, &v);

	if (r < 0)
		return r;
	free_all(c->v, c->n); /* what was not taken over */
	c->v = v;
	c->n = cfg->n_checks;
	tell(c, false);
	/* a recheck's check the reload removed will not come in */
	c->forced = 0;
	for (size_t i = 0; i < c->n; i++)
		c->forced += v[i]->forced;
	if (!c->forced)
		apply_held(c);
	return 0;
}

void
cv_checks_tell_passing(struct cv_checks *c)
{
	if (c)
		tell(c, true);
}

void
cv_checks_set_user(struct cv_checks *c, uid_t uid, gid_t gid, bool no_user)
{
	c->env.uid = uid;
	c->env.gid = gid;
	c->env.no_user = no_user;
}

static struct check *
find(struct cv_checks *c, const char *name)
{
	for (size_t i = 0; c && i < c->n; i++)
		if (strcmp(c->v[i]->conf->head.name, name) == 0)
			return c->v[i];
	return NULL;
}

/* Its next outcome counts as it is, and is held until the last recheck's is in. */
static void
mark_forced(struct check *k)
{
	if (!k->forced) {
		k->forced = true;
		k->owner->forced++;
	}
}

static void
recheck(struct check *k)
{
	mark_forced(k); /* (again: a link check's outcome came at once) */
	if (k->tcp || k->exec || k->http) {
		k->rerun = true;
		return;
	}
	run(k);
	(void)cv_loop_timer_in(k->tick, k->conf->interval_ms);
}

int
cv_checks_recheck(struct cv_checks *c, const char *const *names, size_t n, size_t *ret_missing)
{
	for (size_t i = 0; i < n; i++)
		if (!find(c, names[i])) {
			*ret_missing = i;
			return -ENOENT;
		}
	/* every one asked before any runs: a link check's outcome is in at once */
	for (size_t i = 0; i < n; i++)
		mark_forced(find(c, names[i]));
	for (size_t i = 0; i < n; i++)
		recheck(find(c, names[i]));
	return 0;
}

void
cv_checks_link_changed(struct cv_checks *c, const char *ifname)
{
	for (size_t i = 0; c && i < c->n; i++)
		if (c->v[i]->conf->link && strcmp(c->v[i]->conf->link, ifname) == 0)
			run(c->v[i]);
}

size_t
cv_checks_count(const struct cv_checks *c)
{
	return c ? c->n : 0;
}

void
cv_checks_info(const struct cv_checks *c, size_t i, struct cv_check_info *ret)
{
	const struct check *k = c->v[i];

	*ret = (struct cv_check_info){ .name = k->conf->head.name,
				       .kind = cv_check_kind(k->conf),
				       .passing = cv_health_ok(&k->health),
				       .since = k->since,
				       .runs = k->runs,
				       .last = k->last };
}

int
cv_checks_user(const char *name, uid_t *uid, gid_t *gid)
{
	struct passwd pw, *res = NULL;
	char buf[4096];
	int r = getpwnam_r(name, &pw, buf, sizeof(buf), &res);

	if (r != 0)
		return -r;
	if (!res)
		return -ENOENT;
	*uid = pw.pw_uid;
	*gid = pw.pw_gid;
	return 0;
}
