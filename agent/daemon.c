/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>
#include <malloc.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <corosync/cmap.h>
#include <qb/qblog.h>
#include <qb/qbloop.h>
#include <qb/qbutil.h>

#include "checks.h"
#include "config-load.h"
#include "conflict-watch.h"
#include "cpg.h"
#include "cv-error.h"
#include "cv-macros.h"
#include "daemon.h"
#include "admin-store.h"
#include "log.h"
#include "notify.h"
#include "shm-clean.h"
#include "engine.h"
#include "executor.h"
#include "hooks.h"
#include "loop-timer.h"
#include "ipc-guard.h"
#include "ipc-proto.h"
#include "ipc-server.h"
#include "metrics-http.h"
#include "l2-backend.h"
#include "netlink-monitor.h"
#include "netlink-msg.h"
#include "privileges.h"
#include "quorum.h"
#include "reaper.h"
#include "timings.h"

#define RECONNECT_MS	   1000
#define CONFLICT_REPEAT_MS 10000 /* one conflict line per VIP this often */

enum { EXIT_OK = 0, EXIT_OSERR = 71, EXIT_CONFIG = 78 };

struct cv_daemon {
	qb_loop_t *loop;
	const char *config_path;
	struct cv_config *cfg;
	uint32_t *nodeids;
	struct cv_engine *engine;
	struct cv_cpg *cpg;
	struct cv_quorum *quorum;
	struct cv_timings *timings;
	struct cv_executor *exec;
	struct cv_owned owned; /* our tag and the interfaces of this and the previous config */
	struct cv_nl_monitor *mon;
	struct cv_conflict_watch *conflicts;
	struct cv_checks *checks; /* health checks (checks/) */
	uid_t script_uid;	  /* the config's script_user (look_up_script_user) */
	gid_t script_gid;
	int script_err;		  /* 0, or why it could not be looked up */
	struct cv_hooks *hooks;	  /* notify hooks (hooks.h) */
	uint64_t *conflict_logged_at; /* per VIP of cfg, 0 = never */
	qb_loop_timer_handle reconnect;
	bool reconnect_armed;
	struct cv_ratelimit rl_reconnect; /* its warnings */
	uint64_t join_gate_until; /* leftovers at start: join once gone, at the latest then */
	qb_loop_signal_handle sigs[4];
	bool log_foreground, log_debug; /* passed on to the reaper */
	const char *state_dir;		/* blackbox dumps, admin-state (corovipd --state-dir) */
	uint64_t admin_saved;		/* the engine's admin generation on disk */
	uint32_t ring[CV_MAX_NODES];	/* corosync's last ring (see_members) */
	size_t n_ring;
	bool reaper_watched;		/* its socket in the loop */
	pid_t reaper_gone;		/* a dead reaper not collected yet, 0: none */
	uint64_t reaper_started_at;
	bool reaper_joined; /* the current reaper is in the group: our STATE names it */
	qb_loop_timer_handle reaper_timer; /* collect the dead one, start the next */
	bool reaper_timer_armed;
	struct cv_loop_timer *beat; /* the reaper's (loop-timer.h) */
	struct cv_loop_timer *trim; /* trim_heap's */
	qb_loop_timer_handle reconcile_timer;
	bool reconcile_armed;
	struct cv_ipc_server *ipc; /* corovipctl */
	struct cv_notify *notify;  /* systemd (notify.h), or NULL */
	struct cv_metrics_http *metrics; /* cluster.metrics_listen's listener, or NULL */
	char *metrics_at;		 /* the endpoint it listens on */
	struct cv_ipc_check *check_status; /* ipc_checks' answer */
	int exit_code;
};

static uint64_t
now_ms(void)
{
	return qb_util_nano_current_get() / QB_TIME_NS_IN_MSEC;
}

static void schedule_reconnect(struct cv_daemon *d);

/* The L2 backend (the executor makes it at once): addresses, links, conflicts. */
static struct cv_backend *
l2(struct cv_daemon *d)
{
	return d->exec ? cv_executor_backend(d->exec, CV_BACKEND_L2) : NULL;
}
static void feed_link_states(struct cv_daemon *d);

/* Every event goes through here: engine step, then the executor. */

static void
log_timings(const struct cv_daemon *d, const struct cv_event *ev)
{
	uint32_t lease = cv_engine_lease_ms(d->engine), reaper = cv_config_reaper_timeout_ms(d->cfg);

	qb_log(LOG_NOTICE, "lease %u ms, guard %u ms (corosync token %u ms, consensus %u ms)", lease,
	       cv_engine_guard_ms(d->engine), ev->timings.token_ms, ev->timings.consensus_ms);
	/* An auto lease follows corosync's token, which the config check cannot know. */
	if (reaper >= lease)
		qb_log(LOG_ERR, "reaper_timeout %u ms is not shorter than the lease (%u ms): a frozen "
		       "holder's address could outlive its lease; lower reaper_timeout or heartbeat",
		       reaper, lease);
	/* Renewed every K/3, an address expires at least 2K/3 after its holder
	 * froze; its own lease L must end first, or a thawed holder could renew
	 * (re-create) what its peers took meanwhile (adv8-connlost-*). */
	if ((uint64_t)d->cfg->cluster.kernel_lease_ms * 2 < (uint64_t)lease * 3)
		qb_log(LOG_ERR, "kernel_lease %u ms is shorter than 1.5 times the lease (%u ms, from "
		       "corosync's token): a holder frozen and cut off could renew an address its "
		       "peers took; raise kernel_lease", d->cfg->cluster.kernel_lease_ms, lease);
}

/* The first admin move refusal among a step's actions (static text), or NULL. */
static const char *
move_refused(const struct cv_actions *a)
{
	for (size_t i = 0; i < a->n; i++)
		if (a->v[i].type == CV_ACT_NOTICE && a->v[i].notice == CV_NOTICE_MOVE_REFUSED)
			return a->v[i].text ? a->v[i].text : "refused";
	return NULL;
}

/*
 * Our STATE names our reaper, which changes when a dead one is replaced; the
 * engine only learns a reaper's pid at its creation (cv_engine_params), so
 * the current one goes into what it sends here. Peers take the reaper's
 * RELEASED only from the pid our latest STATE named, and count a named
 * reaper as alive until they see it leave the group (rule 4). So we name it
 * only once it is in the group (its join makes everybody send STATE again),
 * and name none (0) before that and after it died: then a peer that sees
 * our daemon go as well takes the kernel-lease path.
 */
static void
name_reaper(struct cv_daemon *d)
{
	if (d->engine)
		cv_engine_set_reaper(d->engine, d->reaper_joined ? (uint32_t)cv_reaper_pid() : 0);
}

/* Is our current reaper among the group's members now? */
static void
see_reaper(struct cv_daemon *d, const struct cv_event *ev)
{
	uint32_t me = d->cpg ? cv_cpg_nodeid(d->cpg) : 0;
	pid_t reaper = cv_reaper_pid();

	if (ev->type != CV_EV_GROUP)
		return;
	d->reaper_joined = false;
	for (size_t i = 0; reaper && i < ev->group.n_members; i++)
		if (ev->group.members[i].nodeid == me && ev->group.members[i].pid == (uint32_t)reaper)
			d->reaper_joined = true;
	name_reaper(d);
}

/*
 * Our reaper kills us if we are silent at our lease's end (reaper.h): tell
 * it each new end, after the step's actions, so that the 0 of a lapse comes
 * once its removals are under way. The line is a beat: the timer waits.
 */
static void
tell_lease(struct cv_daemon *d)
{
	if (d->engine && cv_reaper_tell_lease(cv_engine_lease_end(d->engine)) && d->beat)
		(void)cv_loop_timer_in(d->beat, cv_reaper_beat_ms());
}

/* The moves, standby and maintenance changed: on disk for a restart of the whole cluster. */
static void
save_admin(struct cv_daemon *d)
{
	uint64_t gen = cv_engine_admin_generation(d->engine);
	int r;

	if (gen == d->admin_saved)
		return;
	r = cv_admin_store_save(d->state_dir, d->engine);
	if (r < 0)
		qb_log(LOG_ERR, "cannot keep the runtime commands in %s: %s (a restart of the whole "
		       "cluster would lose them)", d->state_dir, cv_strerror(r));
	d->admin_saved = gen; /* tried once per change: the next change tries again */
}

static int
feed(struct cv_daemon *d, const struct cv_event *ev, const char **ret_refused)
{
	struct cv_actions a = {};
	int r;

	if (!d->engine)
		return -ENOTCONN;
	/* A burst of events is a long loop too. A beat from a step puts the
	 * beat timer off: it fires only in a loop with nothing else to do, not
	 * beside the engine's own wakeup at every heartbeat. */
	if (cv_reaper_beat_if_due() && d->beat)
		(void)cv_loop_timer_in(d->beat, cv_reaper_beat_ms());
	r = cv_engine_step(d->engine, ev, now_ms(), &a);
	if (r < 0) {
		qb_log(LOG_CRIT, "engine failed: %s, exiting", cv_strerror(r));
		d->exit_code = EXIT_OSERR;
		qb_loop_stop(d->loop);
	}
	if (ret_refused)
		*ret_refused = move_refused(&a);
	cv_ipc_server_note(d->ipc, &a);
	save_admin(d);
	cv_notify_step(d->notify, d->engine);
	cv_executor_run(d->exec, d->engine, &a);
	cv_hooks_note(d->hooks, &a, cv_engine_nodeid(d->engine)); /* started, never waited for */
	cv_actions_done(&a);
	tell_lease(d);
	return r;
}

/* A member of corosync's last ring missing from this one: the metrics time the failover. */
static void
see_members(struct cv_daemon *d, const struct cv_event *ev)
{
	for (size_t k = 0; k < d->n_ring; k++) {
		bool still = false;

		for (size_t j = 0; j < ev->totem.n_members && !still; j++)
			still = ev->totem.members[j] == d->ring[k];
		if (!still) {
			cv_ipc_server_member_lost(d->ipc);
			break;
		}
	}
	d->n_ring = CV_MIN(ev->totem.n_members, ELEMENTSOF(d->ring));
	memcpy(d->ring, ev->totem.members, d->n_ring * sizeof(*d->ring));
}

static void
sink(void *userdata, const struct cv_event *ev)
{
	struct cv_daemon *d = userdata;

	if (!d->engine)
		return;
	see_reaper(d, ev); /* before the step: a join makes it send STATE */
	if (ev->type == CV_EV_TOTEM)
		see_members(d, ev);
	feed(d, ev, NULL);
	if (ev->type == CV_EV_CONN_LOST)
		schedule_reconnect(d);
	if (ev->type == CV_EV_TIMINGS)
		log_timings(d, ev);
}

/* ---- corosync: node ids, timings, connections ---- */

/* Node sections with "nodeid: auto" get their id from corosync's nodelist by name. */
static void
resolve_nodeids(struct cv_daemon *d, cmap_handle_t cmap)
{
	free(d->nodeids);
	d->nodeids = calloc(d->cfg->n_nodes ? d->cfg->n_nodes : 1, sizeof(*d->nodeids));
	if (!d->nodeids)
		return;
	for (size_t i = 0; i < d->cfg->n_nodes; i++)
		d->nodeids[i] = d->cfg->nodes[i].nodeid == CV_AUTO ? 0 : d->cfg->nodes[i].nodeid;
	for (unsigned k = 0; k < 1024; k++) {
		char key[64], *name = NULL;
		uint32_t id = 0;

		snprintf(key, sizeof(key), "nodelist.node.%u.name", k);
		if (cmap_get_string(cmap, key, &name) != CS_OK)
			break;
		snprintf(key, sizeof(key), "nodelist.node.%u.nodeid", k);
		if (cmap_get_uint32(cmap, key, &id) == CS_OK)
			for (size_t i = 0; i < d->cfg->n_nodes; i++)
				if (!d->nodeids[i] && strcmp(d->cfg->nodes[i].head.name, name) == 0)
					d->nodeids[i] = id;
		free(name);
	}
}

static void
read_nodeids(struct cv_daemon *d)
{
	cmap_handle_t cmap;

	if (cmap_initialize(&cmap) != CS_OK)
		return;
	resolve_nodeids(d, cmap);
	cmap_finalize(cmap);
}

static int
start_engine(struct cv_daemon *d)
{
	struct cv_engine_params p = { .nodeid = cv_cpg_nodeid(d->cpg),
				      .pid = (uint32_t)getpid(),
				      .reaper_pid = d->reaper_joined ? (uint32_t)cv_reaper_pid() : 0 };
	int r;

	if (d->engine)
		return 0;
	read_nodeids(d);
	p.nodeids = d->nodeids;
	r = cv_engine_new(d->cfg, &p, &d->engine);
	if (r < 0)
		return r;
	/* what the cluster's admins said before a restart of the whole cluster */
	(void)cv_admin_store_load(d->state_dir, d->engine);
	d->admin_saved = cv_engine_admin_generation(d->engine);
	feed_link_states(d);
	cv_checks_tell_passing(d->checks); /* a new engine has every check failing */
	qb_log(LOG_NOTICE, "node %u joined group '%s'", p.nodeid, d->cfg->cluster.group);
	return 0;
}

static int
connect_corosync(struct cv_daemon *d)
{
	int r = cv_cpg_connect(d->cpg);

	if (r < 0)
		return r;
	cv_executor_set_cpg(d->exec, d->cpg);
	r = start_engine(d);
	if (r < 0)
		return r;
	if (!d->timings) {
		r = cv_timings_new(d->loop, sink, d, &d->timings);
		if (r < 0)
			return r;
	}
	r = cv_timings_connect(d->timings); /* the current values, then their changes */
	if (r < 0)
		return r;
	if (!d->quorum) {
		r = cv_quorum_new(d->loop, cv_cpg_nodeid(d->cpg), sink, d, &d->quorum);
		if (r < 0)
			return r;
	}
	return cv_quorum_connect(d->quorum);
}

/*
 * A fresh engine's STATE says we hold nothing, which must be true when the
 * others read it: while addresses of ours that the start-up reconcile could
 * not remove are left, we do not join (retried every reconnect period), at
 * the latest until the kernel lease has ended them (docs/safety.md, rule 8).
 */
static bool
held_back(struct cv_daemon *d)
{
	int left;

	if (!d->join_gate_until)
		return false;
	left = cv_l2_reconcile(l2(d), &d->owned, NULL, NULL, NULL);
	if (left == 0 || now_ms() >= d->join_gate_until) {
		d->join_gate_until = 0;
		return false;
	}
	qb_log(LOG_WARNING, "addresses of ours are left that cannot be removed (%s): "
	       "joining the group once they are gone", left < 0 ? cv_strerror(left) : "netlink");
	return true;
}

/*
 * A VIP whose backend this corovipd lacks (a build without it: every build
 * of this tree links them all, tests/check-backends.sh): refused whole, at
 * start and at a reload, rather than a VIP nobody can take.
 */
static bool
lacks_backend(const struct cv_config *c, char *why, size_t len)
{
	for (size_t i = 0; i < c->n_vips; i++) {
		const struct cv_vip_conf *v = &c->vips[i];

		if (cv_backend_lookup(cv_vip_mover(v)))
			continue;
		snprintf(why, len, "VIP '%s' (line %" PRIu32 "): backend %s is not in this corovipd",
			 v->head.name, v->head.line, cv_backend_to_string(v->backend));
		return true;
	}
	return false;
}

static void
reconnect(void *data)
{
	struct cv_daemon *d = data;
	int r;

	d->reconnect_armed = false;
	if (held_back(d)) {
		schedule_reconnect(d);
		return;
	}
	r = connect_corosync(d);
	if (r < 0) {
		/* every RECONNECT_MS while corosync is down: a few lines, then one a minute */
		cv_log_limited(&d->rl_reconnect, LOG_WARNING,
			       "corosync: connect failed: %s, retrying every %d ms", cv_strerror(r),
			       RECONNECT_MS);
		schedule_reconnect(d);
	}
}

static void
schedule_reconnect(struct cv_daemon *d)
{
	if (d->reconnect_armed)
		return;
	if (qb_loop_timer_add(d->loop, QB_LOOP_LOW, (uint64_t)RECONNECT_MS * QB_TIME_NS_IN_MSEC, d,
			      reconnect, &d->reconnect) == 0)
		d->reconnect_armed = true;
}

/* ---- what happens to our addresses behind our back ---- */

/* The VIP of cfg that addr on ifindex is, or -ENOENT: a lookup, not a scan. */
static int
vip_at(const struct cv_config *cfg, const struct cv_addr *addr, int ifindex)
{
	size_t k;
	const struct cv_vip_conf *v = cv_config_find_vip_by_host(cfg, addr, &k);
	const char *ifname = v ? cv_vip_addr_ifname(v, k) : NULL;

	if (!ifname || (int)if_nametoindex(ifname) != ifindex)
		return -ENOENT;
	return (int)(v - cfg->vips);
}

/* ---- link state: a VIP's interface down makes us unfit for it ---- */

/* Does an address of cfg's VIPs (a group's "dev" too) live on interface name? */
static bool
vip_interface(const struct cv_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->n_vips; i++)
		for (size_t k = 0; k < cfg->vips[i].addrs.n; k++) {
			const char *ifname = cv_vip_addr_ifname(&cfg->vips[i], k);

			if (ifname && strcmp(ifname, name) == 0)
				return true;
		}
	return false;
}

static void
feed_link(struct cv_daemon *d, const char *name, bool up)
{
	sink(d, &(struct cv_event){ .type = CV_EV_LINK, .link = { .interface = name, .up = up } });
}

/* At start, after a reload or lost notifications: every VIP interface as it is now. */
static void
feed_link_states(struct cv_daemon *d)
{
	const struct cv_config *cfg = d->engine ? cv_engine_config(d->engine) : NULL;

	/* the interfaces we own are those of the VIPs, each once */
	for (size_t i = 0; cfg && i < d->owned.n; i++)
		feed_link(d, d->owned.ifnames[i], cv_l2_link_up(l2(d), d->owned.ifnames[i]));
}

static void
on_link(struct cv_daemon *d, const struct cv_nl_monitor_event *ev)
{
	bool up = ev->type == CV_NLMON_LINK && cv_nl_link_is_up(&ev->link);

	if (d->engine && vip_interface(cv_engine_config(d->engine), ev->link.name))
		feed_link(d, ev->link.name, up);
	cv_checks_link_changed(d->checks, ev->link.name);
}

/* ---- health checks (checks/): their changes go to the engine ---- */

static void
check_changed(void *userdata, const struct cv_check_outcome *v, size_t n)
{
	sink(userdata, &(struct cv_event){ .type = CV_EV_HEALTH,
					   .health = { .check = v[0].check, .healthy = v[0].healthy,
						       .more = v + 1, .n_more = n - 1 } });
}

static bool
check_link_up(void *userdata, const char *ifname)
{
	struct cv_daemon *d = userdata;

	return cv_l2_link_up(l2(d), ifname);
}

static struct cv_checks_env
checks_env(struct cv_daemon *d)
{
	return (struct cv_checks_env){ .loop = d->loop, .changed = check_changed,
				       .link_up = check_link_up, .userdata = d,
				       .uid = d->script_uid, .gid = d->script_gid,
				       .no_user = d->script_err < 0 };
}

/* Without its checks the daemon still runs: a VIP that names one is not held here. */
static void
start_checks(struct cv_daemon *d)
{
	struct cv_checks_env env = checks_env(d);
	int r = cv_checks_new(&env, d->cfg, &d->checks);

	if (r < 0)
		qb_log(LOG_ERR, "cannot run the health checks: %s", cv_strerror(r));
}

/* A reload (d->cfg is the new config already). */
static void
switch_checks(struct cv_daemon *d)
{
	int r;

	if (!d->checks) {
		start_checks(d);
		return;
	}
	cv_checks_set_user(d->checks, d->script_uid, d->script_gid, d->script_err < 0);
	r = cv_checks_switch_config(d->checks, d->cfg);
	if (r < 0)
		qb_log(LOG_ERR, "the new config's health checks cannot run (%s): the old ones go on",
		       cv_strerror(r));
}

/* ---- notify hooks (hooks.h): run on our transitions, as script_user ---- */

/* The VIP's epoch after t; a VIP a reload removed (t->conf in the old config) has none. */
static bool
hook_epoch(void *userdata, const struct cv_action *t, uint64_t *ret)
{
	struct cv_daemon *d = userdata;
	const struct cv_config *cfg = d->engine ? cv_engine_config(d->engine) : NULL;

	if (!cfg || t->vip >= cfg->n_vips || &cfg->vips[t->vip] != t->conf)
		return false;
	*ret = cv_engine_vip_epoch(d->engine, t->vip);
	return true;
}

static bool
any_hook(const struct cv_config *cfg)
{
	if (cfg->cluster.notify)
		return true;
	for (size_t i = 0; i < cfg->n_vips; i++)
		if (cfg->vips[i].notify)
			return true;
	return false;
}

/*
 * Whom exec checks and notify hooks run as: the config's script_user, looked
 * up once per (re)load (NSS may be slow: not at each run). Unknown: checks
 * fail and hooks do not run, never as the daemon with its capabilities.
 */
static void
look_up_script_user(struct cv_daemon *d, const struct cv_config *cfg)
{
	d->script_uid = (uid_t)-1;
	d->script_gid = (gid_t)-1;
	d->script_err = cv_checks_user(cfg->cluster.script_user, &d->script_uid, &d->script_gid);
	if (d->script_err < 0 && (cfg->n_checks || any_hook(cfg)))
		qb_log(LOG_ERR, "script_user '%s': %s: exec checks fail, notify hooks do not run",
		       cfg->cluster.script_user, cv_strerror(d->script_err));
}

static struct cv_hooks_env
hooks_env(struct cv_daemon *d)
{
	return (struct cv_hooks_env){ .loop = d->loop, .uid = d->script_uid,
				      .gid = d->script_gid, .user_err = d->script_err,
				      .epoch = hook_epoch, .userdata = d };
}

static void
start_hooks(struct cv_daemon *d)
{
	struct cv_hooks_env env = hooks_env(d);
	int r = cv_hooks_new(&env, d->cfg, &d->hooks);

	if (r < 0)
		qb_log(LOG_ERR, "cannot run the notify hooks: %s", cv_strerror(r));
}

/* A reload (d->cfg is the new config already). */
static void
switch_hooks(struct cv_daemon *d)
{
	int r;

	if (!d->hooks) {
		start_hooks(d);
		return;
	}
	r = cv_hooks_switch_config(d->hooks, d->cfg, d->script_uid, d->script_gid, d->script_err);
	if (r < 0)
		qb_log(LOG_ERR, "the new config's notify hooks cannot be taken (%s): the old ones "
		       "go on", cv_strerror(r));
}

/*
 * One of our held addresses vanished (an admin's `ip addr del`, a lease that
 * ran out): the engine adds it back if it still holds the VIP (rule 8). Our
 * own deletes arrive when the VIP is no longer held: they are ignored. After
 * an overrun we do not know what we missed: check every held VIP again (an
 * add of a present address is a no-op).
 */
static void
addr_gone(struct cv_daemon *d, size_t vip)
{
	sink(d, &(struct cv_event){ .type = CV_EV_ADDR_GONE, .vip = { .vip = (uint32_t)vip } });
}

static int
on_address(void *userdata, const struct cv_nl_monitor_event *ev)
{
	struct cv_daemon *d = userdata;
	const struct cv_config *cfg;
	int i;

	cv_reaper_beat(); /* our own adds come back as a burst of notifications */
	if (ev->type == CV_NLMON_RESYNC) {
		cv_l2_recheck(l2(d));
		feed_link_states(d);
	}
	if (ev->type == CV_NLMON_LINK || ev->type == CV_NLMON_LINK_DEL) {
		on_link(d, ev);
		return 0;
	}
	if ((ev->type == CV_NLMON_ADDR_NEW || ev->type == CV_NLMON_ADDR_DEL) &&
	    cv_l2_on_addr(l2(d), &ev->addr, ev->type == CV_NLMON_ADDR_DEL))
		return 0; /* a failed DAD took it: that is the add failing, not an admin */
	if (!d->engine || (ev->type != CV_NLMON_RESYNC &&
			   !(ev->type == CV_NLMON_ADDR_DEL && ev->addr.proto == d->owned.tag)))
		return 0;
	cfg = cv_engine_config(d->engine);
	if (ev->type == CV_NLMON_RESYNC) {
		for (size_t k = 0; k < cfg->n_vips; k++)
			if (cv_vip_mover(&cfg->vips[k]) == CV_BACKEND_L2 &&
			    cv_engine_vip_state(d->engine, k) == CV_VIP_HELD)
				addr_gone(d, k);
		return 0;
	}
	i = vip_at(cfg, &ev->addr.addr, ev->addr.ifindex);
	if (i >= 0 && cv_engine_vip_state(d->engine, (size_t)i) == CV_VIP_HELD)
		addr_gone(d, (size_t)i);
	return 0;
}

static int32_t
on_monitor(int32_t fd, int32_t revents, void *data)
{
	struct cv_daemon *d = data;
	int r = cv_nl_monitor_dispatch(d->mon);

	if (r < 0 && r != -EAGAIN)
		qb_log(LOG_WARNING, "netlink monitor: %s, ignoring", cv_strerror(r));
	return 0;
}

/* ---- somebody else on the link claims a VIP we hold ---- */

static bool
conflict_is_news(struct cv_daemon *d, size_t i)
{
	uint64_t now = now_ms();

	if (!d->conflict_logged_at || (d->conflict_logged_at[i] &&
				       now - d->conflict_logged_at[i] < CONFLICT_REPEAT_MS))
		return false;
	d->conflict_logged_at[i] = now;
	return true;
}

/*
 * Logged, not acted on: the other holder is outside the cluster's control
 * (a static address, a stray keepalived), and giving up the VIP would not
 * make it reachable either. The operator needs the MAC to find it.
 */
static void
on_conflict(void *userdata, const struct cv_conflict_claim *c)
{
	struct cv_daemon *d = userdata;
	const struct cv_config *cfg;
	const struct cv_vip_conf *v;
	char a[CV_ADDR_STRLEN], mac[CV_MAC_STRLEN];
	int i;

	if (!d->engine)
		return;
	cfg = cv_engine_config(d->engine);
	i = vip_at(cfg, &c->addr, c->ifindex);
	if (i < 0 || cv_engine_vip_state(d->engine, (size_t)i) != CV_VIP_HELD ||
	    cv_l2_own_mac(l2(d), c->ifindex, &c->mac))
		return;
	cv_ipc_server_count(d->ipc, CV_IPC_COUNT_CONFLICT);
	if (!conflict_is_news(d, (size_t)i))
		return;
	v = &cfg->vips[i];
	qb_log(LOG_ERR, "VIP '%s' (%s on ifindex %d): address conflict: %s claims it too (%s)",
	       v->head.name, cv_addr_format(&c->addr, true, a, sizeof(a)), c->ifindex,
	       cv_mac_format(&c->mac, mac, sizeof(mac)), c->via);
}

static int32_t
on_conflict_fd(int32_t fd, int32_t revents, void *data)
{
	struct cv_daemon *d = data;
	int r = cv_conflict_watch_dispatch(d->conflicts, fd);

	if (r < 0)
		qb_log(LOG_WARNING, "conflict listener: %s, ignoring", cv_strerror(r));
	return 0;
}

static void
reset_conflict_log(struct cv_daemon *d)
{
	free(d->conflict_logged_at);
	d->conflict_logged_at = calloc(d->cfg->n_vips ? d->cfg->n_vips : 1, sizeof(uint64_t));
}

/* Without the listeners the daemon still works; it only sees no conflicts. */
static void
watch_conflicts(struct cv_daemon *d)
{
	int r = cv_conflict_watch_new(on_conflict, d, &d->conflicts);

	if (r >= 0)
		r = qb_loop_poll_add(d->loop, QB_LOOP_LOW, cv_conflict_watch_arp_fd(d->conflicts),
				     POLLIN, d, on_conflict_fd);
	if (r >= 0)
		r = qb_loop_poll_add(d->loop, QB_LOOP_LOW, cv_conflict_watch_na_fd(d->conflicts),
				     POLLIN, d, on_conflict_fd);
	if (r < 0)
		qb_log(LOG_WARNING, "cannot watch for address conflicts: %s, ignoring",
		       cv_strerror(r));
	reset_conflict_log(d);
}

static void
vip_gone(void *userdata, size_t vip)
{
	sink(userdata, &(struct cv_event){ .type = CV_EV_ADDR_GONE, .vip = { .vip = (uint32_t)vip } });
}

#define RECONCILE_MS	  5000
#define RECONCILE_PER_VIPS 1000	 /* ... per this many VIPs */
#define RECONCILE_MAX_MS  60000

/*
 * How often to compare the interfaces with what we hold (rule 8): 5 s per
 * 1,000 VIPs, between 5 and 60 s. The round is a backstop: the monitor
 * reports a removal at once and lost notifications as RESYNC; but it dumps
 * every address, and at 10,000 VIPs every 5 s that was a tenth of an idle
 * holder's CPU (issue 12).
 */
static uint32_t
reconcile_every_ms(const struct cv_daemon *d)
{
	size_t per = d->cfg->n_vips / RECONCILE_PER_VIPS;

	return per <= 1 ? RECONCILE_MS : (uint32_t)CV_MIN((uint64_t)per * RECONCILE_MS, RECONCILE_MAX_MS);
}

static void reconcile(void *data);

#define TRIM_EVERY_MS 5000
#define TRIM_SLACK    (4u << 20) /* free heap bytes worth a trim */

/*
 * A takeover or a reload of thousands of VIPs peaks at several times what
 * holding them takes (actions, batches, the old config), and glibc keeps
 * the freed heap pages: give them back once there are megabytes of them
 * (10,000 VIPs: 36 MB resident before, 18 MB after; the trim takes a few ms,
 * the look at the heap microseconds).
 */
static void
trim_heap(void *data)
{
	struct cv_daemon *d = data;

	if (mallinfo2().fordblks > TRIM_SLACK)
		malloc_trim(0);
	(void)cv_loop_timer_in(d->trim, TRIM_EVERY_MS);
}

/* One round, and the next armed; how many of ours it could not remove, or -errno. */
static int
reconcile_round(struct cv_daemon *d)
{
	int r = cv_l2_reconcile(l2(d), &d->owned, d->engine, vip_gone, d);
	uint32_t every = reconcile_every_ms(d);

	if (r < 0)
		qb_log(LOG_WARNING, "reconcile: %s, retrying in %u ms", cv_strerror(r), every);
	d->reconcile_armed = qb_loop_timer_add(d->loop, QB_LOOP_LOW,
					       (uint64_t)every * QB_TIME_NS_IN_MSEC, d,
					       reconcile, &d->reconcile_timer) == 0;
	return r;
}

static void
reconcile(void *data)
{
	reconcile_round(data);
}

/* ---- the reaper: its heartbeat, and a new one when it dies ---- */

/*
 * The timer beats even when nothing else happens; long work beats from
 * inside (cv_reaper_beat is cheap: at most one write per period). The
 * first beat comes from the loop's first turn: the reaper counts no
 * silence before it, so the start-up's work cannot get us killed.
 */
static void
beat(void *data)
{
	struct cv_daemon *d = data;
	uint32_t every;

	cv_reaper_loop_runs();
	cv_reaper_beat();
	/* Due a period after the last beat, whoever sent it. */
	every = cv_reaper_beat_ms();
	if (!every)
		every = CV_MAX(d->cfg->cluster.heartbeat_ms / 2, 1u);
	(void)cv_loop_timer_in(d->beat, every); /* no timerfd: long work still beats */
}

/* A reaper that lived shorter than this is started again only after it. */
#define REAPER_RESTART_MS 1000
/* How often to look for a dead reaper's exit status until it is there. */
#define REAPER_COLLECT_MS 20

static int32_t on_reaper_socket(int32_t fd, int32_t revents, void *data);

static void
log_reaper_end(pid_t pid, int status)
{
	if (WIFSIGNALED(status))
		qb_log(LOG_WARNING, "reaper (pid %d) was killed by signal %d (%s)", (int)pid,
		       WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		qb_log(LOG_WARNING, "reaper (pid %d) exited with status %d", (int)pid,
		       WEXITSTATUS(status));
}

/* Collect the dead reaper (our child); 1 when done, 0 when not yet. */
static int
collect_reaper(struct cv_daemon *d)
{
	int status = 0;
	pid_t r;

	if (!d->reaper_gone)
		return 1;
	do
		r = waitpid(d->reaper_gone, &status, WNOHANG);
	while (r < 0 && errno == EINTR);
	if (r == 0)
		return 0;
	if (r > 0)
		log_reaper_end(d->reaper_gone, status);
	d->reaper_gone = 0;
	return 1;
}

static void
watch_reaper(struct cv_daemon *d)
{
	int r = qb_loop_poll_add(d->loop, QB_LOOP_HIGH, cv_reaper_fd(), POLLIN, d, on_reaper_socket);

	d->reaper_watched = r == 0;
	if (r < 0)
		qb_log(LOG_ERR, "cannot watch the reaper (pid %d): %s; a reaper that dies will not "
		       "be replaced", (int)cv_reaper_pid(), cv_strerror(r));
}

static int
start_reaper(struct cv_daemon *d)
{
	int r = cv_reaper_start(d->cfg, d->log_foreground, d->log_debug);

	if (r < 0)
		return r;
	/* Its config names the current interfaces; the previous config's too. */
	r = cv_reaper_tell_interfaces(&d->owned);
	if (r < 0)
		qb_log(LOG_ERR, "the new reaper was not told every interface of ours (%s): "
		       "what it misses there is left to the kernel lease", cv_strerror(r));
	tell_lease(d); /* a reaper started again while we hold */
	d->reaper_started_at = now_ms();
	if (d->loop)
		watch_reaper(d);
	return 0;
}

static void
arm_reaper_timer(struct cv_daemon *d, uint32_t ms);

/* Collect the dead reaper, then start the next (at most one a second). */
static void
on_reaper_timer(void *data)
{
	struct cv_daemon *d = data;
	uint64_t due = d->reaper_started_at + REAPER_RESTART_MS, now = now_ms();
	int r;

	d->reaper_timer_armed = false;
	if (!collect_reaper(d)) {
		arm_reaper_timer(d, REAPER_COLLECT_MS);
		return;
	}
	if (cv_reaper_pid())
		return;
	if (now < due) {
		arm_reaper_timer(d, (uint32_t)(due - now));
		return;
	}
	r = start_reaper(d);
	if (r < 0) {
		qb_log(LOG_ERR, "cannot start a new reaper: %s, retrying in %d ms", cv_strerror(r),
		       REAPER_RESTART_MS);
		d->reaper_started_at = now;
		arm_reaper_timer(d, REAPER_RESTART_MS);
		return;
	}
	qb_log(LOG_NOTICE, "started a new reaper (pid %d)", (int)cv_reaper_pid());
	cv_ipc_server_count(d->ipc, CV_IPC_COUNT_REAPER_RESTART);
}

static void
arm_reaper_timer(struct cv_daemon *d, uint32_t ms)
{
	if (d->reaper_timer_armed)
		return;
	d->reaper_timer_armed = qb_loop_timer_add(d->loop, QB_LOOP_HIGH,
						  (uint64_t)ms * QB_TIME_NS_IN_MSEC, d,
						  on_reaper_timer, &d->reaper_timer) == 0;
}

/*
 * The reaper never writes: its end readable means it closed, it died
 * (killed alone, or crashed). We live on: collect it and start another,
 * which joins the group under a new pid that our next STATE names. The
 * dying one may still be exiting: kill it for sure (it is our child and
 * not collected, so the pid is still its own) and collect it by timer.
 */
static int32_t
on_reaper_socket(int32_t fd, int32_t revents, void *data)
{
	struct cv_daemon *d = data;
	char c;
	ssize_t n = recv(fd, &c, 1, MSG_DONTWAIT);
	pid_t pid;

	if (n > 0 || (n < 0 && (errno == EAGAIN || errno == EINTR)))
		return 0;
	qb_loop_poll_del(d->loop, fd);
	d->reaper_watched = false;
	if (d->reaper_gone) { /* the one before is not collected yet: it was SIGKILLed */
		while (waitpid(d->reaper_gone, NULL, 0) < 0 && errno == EINTR)
			;
		d->reaper_gone = 0;
	}
	pid = cv_reaper_detach();
	d->reaper_joined = false;
	name_reaper(d);
	qb_log(LOG_WARNING, "reaper (pid %d) has gone: corovipd goes on and starts another", (int)pid);
	d->reaper_gone = pid;
	/* Our child, not waited for yet: its pid names it until we do. */
	if (!collect_reaper(d))
		kill(pid, SIGKILL);
	if (d->reaper_timer_armed)
		qb_loop_timer_del(d->loop, d->reaper_timer);
	on_reaper_timer(d);
	return 0;
}

/* ---- signals ---- */

/*
 * The interfaces of cfg and of the config before it are ours from here on
 * (owned.h), the reaper's first: it must know an interface before anything
 * of ours is there. The tag stays the one of the start.
 */
static int
own_interfaces(struct cv_daemon *d, const struct cv_config *old, const struct cv_config *cfg)
{
	struct cv_owned next = { .tag = d->owned.tag };
	int r = cv_owned_add_config(&next, old);

	if (r >= 0)
		r = cv_owned_add_config(&next, cfg);
	if (r >= 0)
		r = cv_reaper_tell_interfaces(&next);
	if (r < 0) {
		cv_owned_clear(&next);
		return r;
	}
	cv_owned_clear(&d->owned);
	d->owned = next;
	if (cv_config_address_tag(cfg) != d->owned.tag)
		qb_log(LOG_WARNING, "a new group or address_tag takes effect at restart: our "
		       "addresses keep tag 0x%02x", d->owned.tag);
	return 0;
}

/*
 * SIGHUP: read the file again; a bad file changes nothing. The engine keeps
 * the unchanged VIPs as they are (config diff by name). The running reaper
 * keeps the config it was started with (its bound, and the VIP names its
 * RELEASED lists, which peers take for every VIP) and is told the new
 * interfaces (own_interfaces); a reaper started later gets the config of
 * then.
 */
static void serve_metrics(struct cv_daemon *d);

/* The config's log_level, unless corovipd --debug said everything. */
static void
apply_log_level(const struct cv_daemon *d)
{
	cv_log_set_level(d->log_debug ? LOG_DEBUG : LOG_ERR + d->cfg->cluster.log_level);
}

/* SIGUSR2 and corovipctl blackbox: its path, or why not, in msg (and the log). */
static int
dump_blackbox(const struct cv_daemon *d, char *msg, size_t len)
{
	int r = cv_log_blackbox_dump(d->state_dir, msg, len);

	if (r < 0) {
		snprintf(msg, len, "cannot write the blackbox into %s: %s", d->state_dir,
			 cv_strerror(r));
		qb_log(LOG_ERR, "blackbox: %s", msg);
	} else {
		qb_log(LOG_NOTICE, "blackbox: written to %s (read it with qb-blackbox)", msg);
	}
	return r;
}

static int
reload_config(struct cv_daemon *d, char *msg, size_t len)
{
	struct cv_conf_error e = {};
	struct cv_config *old = d->cfg, *cfg = NULL;
	char why_not[256];
	int r;

	cv_reaper_beat(); /* parsing a big file takes a while: start it fresh */
	r = cv_config_load(d->config_path, &cfg, &e);
	cv_reaper_beat();
	if (r < 0) {
		char why[CV_CONFIG_ERROR_STRLEN];

		cv_config_format_error(d->config_path, r, &e, why, sizeof(why));
		qb_log(LOG_ERR, "reload failed: %s; keeping the running config", why);
		if (msg)
			snprintf(msg, len, "%s; keeping the running config", why);
		return r;
	}
	if (lacks_backend(cfg, why_not, sizeof(why_not))) {
		qb_log(LOG_ERR, "reload failed: %s: %s; keeping the running config", d->config_path,
		       why_not);
		if (msg)
			snprintf(msg, len, "%s: %s; keeping the running config", d->config_path, why_not);
		cv_config_free(cfg);
		return -EOPNOTSUPP;
	}
	r = own_interfaces(d, old, cfg);
	if (r < 0) {
		qb_log(LOG_ERR, "reload failed: the reaper cannot be told the new interfaces (%s); "
		       "keeping the running config", cv_strerror(r));
		if (msg)
			snprintf(msg, len, "the reaper cannot be told the new interfaces (%s); "
				 "keeping the running config", cv_strerror(r));
		cv_config_free(cfg);
		return r;
	}
	d->cfg = cfg;
	apply_log_level(d); /* and a corovipctl log-level ends here */
	read_nodeids(d);
	cv_ipc_server_remap(d->ipc, cfg); /* the reload's own transitions use cfg's indexes */
	if (d->engine)
		sink(d, &(struct cv_event){ .type = CV_EV_RELOAD,
					    .reload = { .config = cfg, .nodeids = d->nodeids } });
	feed_link_states(d);
	/* The step's actions have run; announcements in flight still point
	 * into the old config: move them to the new one, then it can go. */
	cv_executor_switch_config(d->exec, cfg);
	look_up_script_user(d, cfg);
	switch_checks(d); /* its checks compare with the old config's: before it goes */
	switch_hooks(d);
	cv_config_free(old);
	reset_conflict_log(d);
	qb_log(LOG_NOTICE, "reloaded %s: %zu VIPs", d->config_path, cfg->n_vips);
	if (d->ipc)
		cv_ipc_server_refresh_group(d->ipc); /* group haclient may have changed too */
	serve_metrics(d);
	if (msg)
		snprintf(msg, len, "reloaded %s: %zu VIPs", d->config_path, cfg->n_vips);
	return 0;
}

/* systemd hears of it (Type=notify: RELOADING=1, then READY=1 either way). */
static int
reload(struct cv_daemon *d, char *msg, size_t len)
{
	int r;

	cv_notify_reloading(d->notify);
	r = reload_config(d, msg, len);
	cv_notify_reloaded(d->notify);
	return r;
}

static int32_t
on_signal(int32_t sig, void *data)
{
	struct cv_daemon *d = data;

	if (sig == SIGHUP) {
		reload(d, NULL, 0);
		return 0;
	}
	if (sig == SIGUSR2) {
		char path[512];

		(void)dump_blackbox(d, path, sizeof(path));
		return 0;
	}
	qb_log(LOG_NOTICE, "%s: handing off and stopping", strsignal(sig));
	cv_notify_stopping(d->notify);
	if (!d->engine) {
		qb_loop_stop(d->loop);
		return 0;
	}
	sink(d, &(struct cv_event){ .type = CV_EV_STOP });
	return 0;
}

/* ---- corovipctl (ctl/ipc-server.c) ---- */

/* Every request starts here: a burst of clients is a long loop too. */
static const struct cv_engine *
ipc_engine(void *userdata)
{
	cv_reaper_beat();
	return ((struct cv_daemon *)userdata)->engine;
}

static const struct cv_cpg_stats *
ipc_cpg_stats(void *userdata)
{
	struct cv_daemon *d = userdata;

	return d->cpg ? cv_cpg_stats(d->cpg) : NULL;
}

static size_t
ipc_checks(void *userdata, const struct cv_ipc_check **ret)
{
	struct cv_daemon *d = userdata;
	size_t n = cv_checks_count(d->checks);
	struct cv_ipc_check *v = n ? reallocarray(d->check_status, n, sizeof(*v)) : NULL;

	*ret = NULL;
	if (!v)
		return 0;
	d->check_status = v;
	for (size_t i = 0; i < n; i++) {
		struct cv_check_info k;

		cv_checks_info(d->checks, i, &k);
		v[i] = (struct cv_ipc_check){ .name = k.name, .kind = k.kind, .passing = k.passing,
					      .since = k.since, .runs = k.runs };
		snprintf(v[i].last, sizeof(v[i].last), "%s", k.last);
	}
	*ret = v;
	return n;
}

static bool
ipc_cloud(void *userdata, size_t vip, struct cv_backend_status *ret)
{
	struct cv_daemon *d = userdata;
	const struct cv_config *cfg = d->engine ? cv_engine_config(d->engine) : NULL;

	/* the engine's config: the one status names the VIPs from */
	return d->exec && cfg && vip < cfg->n_vips &&
	       cv_executor_backend_status(d->exec, &cfg->vips[vip], ret);
}

static int
ipc_admin(void *userdata, const struct cv_event *ev, const char **ret_refused)
{
	return feed(userdata, ev, ret_refused);
}

static int
ipc_recheck(void *userdata, const char *const *names, size_t n, size_t *ret_missing)
{
	struct cv_daemon *d = userdata;

	return cv_checks_recheck(d->checks, names, n, ret_missing);
}

static int
ipc_log_level(void *userdata, const char *level, char *msg, size_t len)
{
	int l = cv_log_level_from_string(level);

	(void)userdata;
	if (l < 0) {
		snprintf(msg, len, "no such level '%s' (error, warning, notice, info, debug)", level);
		return -EINVAL;
	}
	cv_log_set_level(l);
	qb_log(LOG_NOTICE, "log level now %s (until the next reload)", level);
	snprintf(msg, len, "log level now %s (until the next reload: then log_level again)",
		 level);
	return 0;
}

static int
ipc_blackbox(void *userdata, char *msg, size_t len)
{
	return dump_blackbox(userdata, msg, len);
}

static int
ipc_reload(void *userdata, char *msg, size_t len)
{
	return reload(userdata, msg, len);
}

/* Without it the daemon still serves its VIPs; only corovipctl cannot reach it. */
static void
serve_ipc(struct cv_daemon *d)
{
	static const struct cv_ipc_ops ops = {
		.engine = ipc_engine,
		.cpg_stats = ipc_cpg_stats,
		.checks = ipc_checks,
		.cloud = ipc_cloud,
		.admin = ipc_admin,
		.reload = ipc_reload,
		.recheck = ipc_recheck,
		.log_level = ipc_log_level,
		.blackbox = ipc_blackbox,
		.progress = cv_reaper_beat,
	};
	int n = cv_shm_clean_stale("/dev/shm", CV_IPC_SERVICE);
	int r;

	if (n > 0)
		qb_log(LOG_NOTICE, "removed %d connection ring(s) a dead corovipd left in /dev/shm", n);
	r = cv_ipc_server_new(d->loop, &ops, d, &d->ipc);

	if (r < 0)
		qb_log(LOG_WARNING, "cannot serve corovipctl: %s, ignoring", cv_strerror(r));
}

static char *
render_metrics(void *userdata)
{
	struct cv_daemon *d = userdata;
	char *text = NULL;

	return d->ipc && cv_ipc_server_metrics(d->ipc, &text) == 0 ? text : NULL;
}

/* The Prometheus listener as the config says (off, or where): a failure is only logged. */
static void
serve_metrics(struct cv_daemon *d)
{
	const char *at = d->cfg->cluster.metrics_listen;
	int r;

	if (at && d->metrics_at && strcmp(at, d->metrics_at) == 0)
		return;
	d->metrics = cv_metrics_http_free(d->metrics);
	free(d->metrics_at);
	d->metrics_at = NULL;
	if (!at)
		return;
	r = cv_metrics_http_new(d->loop, at, render_metrics, d, &d->metrics);
	if (r < 0) {
		qb_log(LOG_WARNING, "cannot serve metrics on %s: %s, ignoring", at, cv_strerror(r));
		return;
	}
	d->metrics_at = strdup(at);
	qb_log(LOG_NOTICE, "serving metrics on http://%s/metrics (no authentication)", at);
}

/* What the group said over our life, by message type: a storm shows here. */
static void
log_cpg_traffic(const struct cv_cpg_stats *st)
{
	for (int t = 1; t < _CV_PROTO_TYPE_MAX; t++)
		if (st->sent_of[t] || st->delivered_of[t])
			qb_log(LOG_INFO, "CPG %s: sent %" PRIu64 " (%" PRIu64 " bytes), delivered %" PRIu64
			       " (%" PRIu64 " bytes)", cv_proto_type_to_string(t), st->sent_of[t],
			       st->sent_bytes_of[t], st->delivered_of[t], st->delivered_bytes_of[t]);
}

/* ---- life cycle ---- */

static void
daemon_done(struct cv_daemon *d)
{
	d->metrics = cv_metrics_http_free(d->metrics);
	free(d->metrics_at);
	d->ipc = cv_ipc_server_free(d->ipc);
	d->notify = cv_notify_free(d->notify);
	d->checks = cv_checks_free(d->checks);
	free(d->check_status);
	d->check_status = NULL;
	d->hooks = cv_hooks_free(d->hooks);
	if (d->reconnect_armed)
		qb_loop_timer_del(d->loop, d->reconnect);
	for (size_t i = 0; i < ELEMENTSOF(d->sigs); i++)
		if (d->sigs[i])
			qb_loop_signal_del(d->loop, d->sigs[i]);
	cv_quorum_free(d->quorum);
	cv_timings_free(d->timings);
	if (d->reconcile_armed)
		qb_loop_timer_del(d->loop, d->reconcile_timer);
	if (d->exec)
		cv_l2_reconcile(l2(d), &d->owned, NULL, NULL, NULL); /* nothing left behind */
	cv_executor_free(d->exec);
	if (d->cpg)
		log_cpg_traffic(cv_cpg_stats(d->cpg));
	d->cpg = cv_cpg_free(d->cpg); /* after the executor, which borrows it */
	if (d->mon)
		qb_loop_poll_del(d->loop, cv_nl_monitor_fd(d->mon));
	cv_nl_monitor_free(d->mon);
	if (d->conflicts) {
		qb_loop_poll_del(d->loop, cv_conflict_watch_arp_fd(d->conflicts));
		qb_loop_poll_del(d->loop, cv_conflict_watch_na_fd(d->conflicts));
	}
	cv_conflict_watch_free(d->conflicts);
	free(d->conflict_logged_at);
	if (d->reaper_watched)
		qb_loop_poll_del(d->loop, cv_reaper_fd());
	d->beat = cv_loop_timer_free(d->beat);
	d->trim = cv_loop_timer_free(d->trim);
	if (d->reaper_timer_armed)
		qb_loop_timer_del(d->loop, d->reaper_timer);
	qb_log(LOG_INFO, "longest time between two beats of the loop: %u ms",
	       cv_reaper_take_max_gap_ms());
	cv_reaper_quit(); /* a clean stop: the reaper just goes */
	if (d->reaper_gone)
		while (waitpid(d->reaper_gone, NULL, 0) < 0 && errno == EINTR)
			;
	cv_engine_free(d->engine);
	cv_config_free(d->cfg);
	cv_owned_clear(&d->owned);
	free(d->nodeids);
	if (d->loop)
		qb_loop_destroy(d->loop);
}

static int
daemon_init(struct cv_daemon *d)
{
	struct cv_conf_error e = {};
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGUSR2 };
	char why_not[256];
	int r;

	r = cv_config_load(d->config_path, &d->cfg, &e);
	if (r < 0) {
		char why[CV_CONFIG_ERROR_STRLEN];

		qb_log(LOG_CRIT, "%s", cv_config_format_error(d->config_path, r, &e, why, sizeof(why)));
		return EXIT_CONFIG;
	}
	if (lacks_backend(d->cfg, why_not, sizeof(why_not))) {
		qb_log(LOG_CRIT, "%s: %s", d->config_path, why_not);
		return EXIT_CONFIG;
	}
	apply_log_level(d);
	cv_log_dump_on_crash(d->state_dir);
	d->owned.tag = cv_config_address_tag(d->cfg);
	if (cv_owned_add_config(&d->owned, d->cfg) < 0)
		return EXIT_OSERR;
	/*
	 * The reaper first, before any connection: it watches us from here on.
	 * Once the loop has beaten for the first time (its first turn, after
	 * everything below), it kills us if the loop stays silent for
	 * reaper_timeout.
	 */
	r = start_reaper(d);
	if (r < 0) {
		qb_log(LOG_CRIT, "cannot start the reaper: %s", cv_strerror(r));
		return EXIT_OSERR;
	}
	d->loop = qb_loop_create();
	if (!d->loop)
		return EXIT_OSERR;
	watch_reaper(d);
	r = cv_loop_timer_new(d->loop, beat, d, &d->beat);
	if (r < 0) {
		qb_log(LOG_CRIT, "cannot make the reaper's beat timer: %s", cv_strerror(r));
		return EXIT_OSERR;
	}
	cv_loop_timer_at(d->beat, 0); /* the loop's first turn */
	if (cv_loop_timer_new(d->loop, trim_heap, d, &d->trim) == 0)
		(void)cv_loop_timer_in(d->trim, TRIM_EVERY_MS);
	for (size_t i = 0; i < ELEMENTSOF(sigs); i++)
		qb_loop_signal_add(d->loop, QB_LOOP_HIGH, sigs[i], d, on_signal, &d->sigs[i]);
	if (cv_notify_new(d->loop, &d->notify) < 0)
		d->notify = NULL; /* systemd hears nothing: the daemon runs all the same */
	r = cv_executor_new(d->loop, d->owned.tag, sink, d, &d->exec);
	if (r >= 0)
		r = cv_cpg_new(d->loop, d->cfg->cluster.group, sink, d, &d->cpg);
	if (r < 0) {
		qb_log(LOG_CRIT, "cannot start: %s", cv_strerror(r));
		return EXIT_OSERR;
	}
	r = cv_nl_monitor_new(on_address, d, &d->mon);
	if (r >= 0)
		r = qb_loop_poll_add(d->loop, QB_LOOP_HIGH, cv_nl_monitor_fd(d->mon), POLLIN, d,
				     on_monitor);
	if (r < 0) {
		qb_log(LOG_CRIT, "cannot watch addresses: %s", cv_strerror(r));
		return EXIT_OSERR;
	}
	/* on_address reads no IPv4 ADDR_NEW, and renewing 10,000 leases sends
	 * 10,000 of them: a tenth of an idle holder's CPU (issue 12). */
	r = cv_nl_monitor_drop_ipv4_new(d->mon);
	if (r < 0)
		qb_log(LOG_INFO, "cannot filter the address notifications: %s, reading them all",
		       cv_strerror(r));
	watch_conflicts(d);
	serve_ipc(d);
	serve_metrics(d);
	look_up_script_user(d, d->cfg);
	start_checks(d);
	start_hooks(d);
	/* Rule 8: whatever a previous run left, we hold nothing yet; and from
	 * now on, every few seconds, what is on the interfaces is what we hold. */
	if (reconcile_round(d) != 0) { /* (no engine yet: everything of ours goes) */
		d->join_gate_until = now_ms() + d->cfg->cluster.kernel_lease_ms + 1000;
		schedule_reconnect(d); /* held_back() retries there */
		return EXIT_OK;
	}
	r = connect_corosync(d);
	if (r < 0) {
		qb_log(LOG_WARNING, "corosync: connect failed: %s, retrying in %d ms",
		       cv_strerror(r), RECONNECT_MS);
		schedule_reconnect(d);
	}
	return EXIT_OK;
}

int
cv_daemon_run(const char *config_path, const char *state_dir, bool log_foreground,
	      bool log_debug)
{
	struct cv_daemon d = { .config_path = config_path,
			       .state_dir = state_dir,
			       .rl_reconnect = CV_RATELIMIT_INIT(60000, 5),
			       .log_foreground = log_foreground,
			       .log_debug = log_debug };
	const char *lacking = cv_privileges_lacking();
	int code = lacking ? EXIT_OSERR : daemon_init(&d);

	if (lacking)
		qb_log(LOG_CRIT, "corovipd needs %s (addresses and their announcements), which this "
		       "process lacks: its unit's CapabilityBoundingSet or its container leaves it out",
		       lacking);
	if (code == EXIT_OK) {
		/* Everything that needs more is open (privileges.h). */
		int r = cv_privileges_drop(CV_ROLE_DAEMON);

		if (r < 0)
			qb_log(LOG_WARNING, "could not drop capabilities (%s): running with those it "
			       "started with", cv_strerror(r));
		qb_log(LOG_NOTICE, "started with %zu VIPs from %s; our addresses carry tag 0x%02x",
		       d.cfg->n_vips, config_path, d.owned.tag);
		qb_loop_run(d.loop);
		code = d.exit_code;
	}
	daemon_done(&d);
	return code;
}
