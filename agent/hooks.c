/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The notify hooks (hooks.h): per VIP a queue of transitions waiting for
 * their run, found by the VIP's name (a reload renumbers VIPs, a removed
 * VIP's last transitions still run); the cluster hook's batch is
 * hooks-batch.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <qb/qblog.h>

#include "cv-error.h"
#include "cv-macros.h"
#include "hooks-int.h"
#include "strbuf.h"

const char *
cv_hooks_state_name(int s)
{
	const char *n = cv_vip_state_to_string(s);

	return n ? n : "unknown";
}

const char *
cv_hooks_reason_name(int r)
{
	const char *n = cv_reason_to_string(r);

	return n ? n : "unknown";
}

/* ---- per VIP: the queues ---- */

static size_t
bucket_of(const char *name)
{
	uint32_t x = 2166136261u; /* FNV-1a */

	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		x = (x ^ *p) * 16777619u;
	return x % BUCKETS;
}

static struct vip_q *
find_q(struct cv_hooks *h, const char *name, bool create)
{
	size_t b = bucket_of(name);
	struct vip_q *q;

	for (q = h->buckets[b]; q; q = q->hnext)
		if (strcmp(q->name, name) == 0)
			return q;
	if (!create || !(q = calloc(1, sizeof(*q))))
		return NULL;
	q->h = h;
	snprintf(q->name, sizeof(q->name), "%s", name);
	q->hnext = h->buckets[b];
	h->buckets[b] = q;
	return q;
}

static void
entry_free(struct entry *e)
{
	if (e)
		free(e->command);
	free(e);
}

/* A queue with nothing running and nothing waiting goes (never one in the ready list). */
static void
drop_q_if_idle(struct vip_q *q)
{
	struct vip_q **p;

	if (q->cur || q->head || q->ready)
		return;
	for (p = &q->h->buckets[bucket_of(q->name)]; *p != q; p = &(*p)->hnext)
		;
	*p = q->hnext;
	free(q);
}

static void
make_ready(struct vip_q *q)
{
	struct cv_hooks *h = q->h;

	if (q->ready || q->cur || !q->head)
		return;
	q->ready = true;
	q->rnext = NULL;
	if (h->ready_tail)
		h->ready_tail->rnext = q;
	else
		h->ready_head = q;
	h->ready_tail = q;
}

static struct entry *
pop_entry(struct vip_q *q)
{
	struct entry *e = q->head;

	if (!e)
		return NULL;
	q->head = e->next;
	if (!q->head)
		q->tail = NULL;
	q->n--;
	q->h->waiting--;
	e->next = NULL;
	return e;
}

/* The value of "VAR=value", for the logs. */
static const char *
value(const char *var)
{
	return strchr(var, '=') + 1;
}

/* "VAR=" value of entry e, for the logs. */
static const char *
var(const struct entry *e, size_t i)
{
	return value(e->env[i]);
}

enum { V_VIP, V_ADDRESS, V_INTERFACE, V_OLD, V_NEW, V_REASON, V_EPOCH, V_NODE, V_ADDRESSES,
       V_INTERFACES };

static void pump(struct cv_hooks *h);

static void
vip_done(void *userdata, const struct cv_exec_result *r)
{
	struct vip_q *q = userdata;
	struct cv_hooks *h = q->h;

	cv_hooks_log_end("notify hook", q->name, (const char *const *)q->cur->env, h->timeout_ms, r);
	entry_free(q->cur);
	q->cur = NULL;
	q->run = NULL;
	h->running--;
	make_ready(q); /* behind the VIPs waiting already: each in turn */
	drop_q_if_idle(q);
	pump(h);
}

/* Start q's oldest waiting transition; false if it could not start (logged, dropped). */
static bool
start_vip(struct vip_q *q)
{
	struct cv_hooks *h = q->h;
	struct entry *e = pop_entry(q);
	struct cv_exec_spec spec = { .command = e->command, .uid = h->env.uid, .gid = h->env.gid,
				     .timeout_ms = h->timeout_ms, .env = e->env };
	int r = h->env.user_err < 0 ? h->env.user_err : 0;

	if (r == 0)
		r = cv_exec_start(h->env.loop, &spec, vip_done, q, &q->run);
	if (r < 0) {
		qb_log(LOG_ERR, "VIP '%s': notify hook for %s -> %s not run: %s%s", q->name,
		       var(e, V_OLD), var(e, V_NEW), cv_strerror(r),
		       h->env.user_err < 0 ? " (script_user)" : "");
		entry_free(e);
		return false;
	}
	q->cur = e;
	h->running++;
	return true;
}

/* Start what waits, as long as there is a slot. */
static void
pump(struct cv_hooks *h)
{
	while (h->running < CV_HOOKS_RUNNING_MAX && h->ready_head) {
		struct vip_q *q = h->ready_head;

		h->ready_head = q->rnext;
		if (!h->ready_head)
			h->ready_tail = NULL;
		q->ready = false;
		while (q->head && !start_vip(q))
			;
		drop_q_if_idle(q);
	}
}

/*
 * A group's addresses, blank-separated, and their interfaces in the same
 * order (a VIP of one address: the same as COROVIP_ADDRESS and _INTERFACE).
 */
static void
group_vars(const struct cv_vip_conf *c, char *all, size_t all_len, char *ifs, size_t ifs_len)
{
	char addr[CV_ADDR_STRLEN];
	size_t a = 0, i = 0;

	all[0] = ifs[0] = '\0';
	for (size_t k = 0; k < c->addrs.n; k++) {
		const char *ifname = cv_vip_addr_ifname(c, k);

		a += (size_t)snprintf(all + a, all_len - a, "%s%s", k ? " " : "",
				      cv_addr_format(&c->addrs.v[k].addr, true, addr, sizeof(addr)));
		i += (size_t)snprintf(ifs + i, ifs_len - i, "%s%s", k ? " " : "",
				      ifname ? ifname : "-");
	}
}

static int
make_entry(struct cv_hooks *h, const struct cv_action *t, struct entry **ret)
{
	char addr[CV_ADDR_STRLEN], epoch[24] = "", buf[1024], all[CV_VIP_ADDRS_MAX * CV_ADDR_STRLEN];
	char ifs[CV_VIP_ADDRS_MAX * (CV_IFNAME_MAX + 1)];
	const struct cv_vip_conf *c = t->conf;
	uint64_t ep;
	struct entry *e;
	int len;

	if (h->env.epoch && h->env.epoch(h->env.userdata, t, &ep))
		snprintf(epoch, sizeof(epoch), "%" PRIu64, ep);
	group_vars(c, all, sizeof(all), ifs, sizeof(ifs));
	/* Each NAME=VALUE ends with its NUL: the whole is copied as is. */
	len = snprintf(buf, sizeof(buf),
		       "COROVIP_VIP=%s%cCOROVIP_ADDRESS=%s%cCOROVIP_INTERFACE=%s%c"
		       "COROVIP_OLD_STATE=%s%cCOROVIP_NEW_STATE=%s%cCOROVIP_REASON=%s%c"
		       "COROVIP_EPOCH=%s%cCOROVIP_NODE=%" PRIu32 "%cCOROVIP_ADDRESSES=%s%c"
		       "COROVIP_INTERFACES=%s",
		       c->head.name, 0,
		       cv_addr_format(cv_vip_first_addr(c), true, addr, sizeof(addr)), 0,
		       c->interface ? c->interface : "", 0, cv_hooks_state_name(t->from), 0,
		       cv_hooks_state_name(t->to), 0, cv_hooks_reason_name(t->reason), 0, epoch, 0, h->node, 0, all,
		       0, ifs);
	if (len < 0 || (size_t)len >= sizeof(buf))
		return -EOVERFLOW; /* cannot be: every part is bounded */
	e = calloc(1, sizeof(*e) + (size_t)len + 1);
	if (!e)
		return -ENOMEM;
	memcpy(e->text, buf, (size_t)len + 1);
	e->command = strdup(c->notify);
	if (!e->command) {
		free(e);
		return -ENOMEM;
	}
	for (size_t i = 0, off = 0; i < N_VARS; i++) {
		e->env[i] = e->text + off;
		off += strlen(e->env[i]) + 1;
	}
	*ret = e;
	return 0;
}

static void
queue_vip(struct cv_hooks *h, const struct cv_action *t)
{
	struct vip_q *q = find_q(h, t->conf->head.name, true);
	struct entry *e = NULL, *old;
	int r = q ? make_entry(h, t, &e) : -ENOMEM;

	if (r < 0) {
		qb_log(LOG_ERR, "VIP '%s': notify hook for %s -> %s not run: %s", t->conf->head.name,
		       cv_hooks_state_name(t->from), cv_hooks_state_name(t->to), cv_strerror(r));
		if (q)
			drop_q_if_idle(q);
		return;
	}
	if (q->n == CV_HOOKS_QUEUE_MAX) {
		old = pop_entry(q);
		qb_log(LOG_WARNING, "VIP '%s': %d notify hooks wait already: the oldest waiting "
		       "one (%s -> %s, %s) is dropped", q->name, CV_HOOKS_QUEUE_MAX, var(old, V_OLD),
		       var(old, V_NEW), var(old, V_REASON));
		entry_free(old);
	}
	if (q->tail)
		q->tail->next = e;
	else
		q->head = e;
	q->tail = e;
	q->n++;
	h->waiting++;
	make_ready(q);
}

/* ---- what a run's end says ---- */

void
cv_hooks_log_end(const char *what, const char *vip, const char *const *env, uint32_t timeout_ms,
		 const struct cv_exec_result *r)
{
	char head[160];

	if (vip)
		snprintf(head, sizeof(head), "VIP '%s': %s for %s -> %s (%s)", vip, what,
			 value(env[V_OLD]), value(env[V_NEW]), value(env[V_REASON]));
	else
		snprintf(head, sizeof(head), "%s", what);
	if (r->spawn_failed)
		qb_log(LOG_ERR, "%s could not run: %s", head, cv_strerror(r->err));
	else if (r->timed_out)
		qb_log(LOG_WARNING, "%s was killed at its timeout (%u ms)%s%s", head, timeout_ms,
		       r->last_line[0] ? ": " : "", r->last_line);
	else if (WIFSIGNALED(r->status))
		qb_log(LOG_WARNING, "%s was killed by signal %d%s%s", head, WTERMSIG(r->status),
		       r->last_line[0] ? ": " : "", r->last_line);
	else if (WEXITSTATUS(r->status) != 0)
		qb_log(LOG_WARNING, "%s exited with status %d%s%s", head, WEXITSTATUS(r->status),
		       r->last_line[0] ? ": " : "", r->last_line);
	else
		qb_log(LOG_DEBUG, "%s done%s%s", head, r->last_line[0] ? ": " : "", r->last_line);
}

/* ---- life cycle ---- */

void
cv_hooks_note(struct cv_hooks *h, const struct cv_actions *a, uint32_t node)
{
	bool batch = false;

	if (!h)
		return;
	h->node = node;
	for (size_t i = 0; i < a->n; i++) {
		const struct cv_action *t = &a->v[i];

		if (t->type != CV_ACT_TRANSITION || !t->conf)
			continue;
		if (t->conf->notify)
			queue_vip(h, t);
		if (h->notify && cv_hooks_batch_push(h, t) == 0)
			batch = true;
	}
	pump(h);
	if (batch)
		cv_hooks_batch_start(h);
}

static int
take_config(struct cv_hooks *h, const struct cv_config *cfg)
{
	char *notify = NULL;

	if (cfg->cluster.notify && !(notify = strdup(cfg->cluster.notify)))
		return -ENOMEM;
	free(h->notify);
	h->notify = notify;
	h->timeout_ms = cfg->cluster.notify_timeout_ms;
	return 0;
}

int
cv_hooks_new(const struct cv_hooks_env *env, const struct cv_config *cfg, struct cv_hooks **ret)
{
	struct cv_hooks *h = calloc(1, sizeof(*h));

	if (!h)
		return -ENOMEM;
	h->env = *env;
	if (take_config(h, cfg) < 0) {
		free(h);
		return -ENOMEM;
	}
	*ret = h;
	return 0;
}

int
cv_hooks_switch_config(struct cv_hooks *h, const struct cv_config *cfg, uid_t uid, gid_t gid,
		       int user_err)
{
	int r = take_config(h, cfg);

	if (r < 0)
		return r;
	h->env.uid = uid;
	h->env.gid = gid;
	h->env.user_err = user_err;
	return 0;
}

struct cv_hooks *
cv_hooks_free(struct cv_hooks *h)
{
	size_t killed = 0, waiting;

	if (!h)
		return NULL;
	waiting = h->waiting + (h->end - h->start);
	for (size_t b = 0; b < BUCKETS; b++)
		while (h->buckets[b]) {
			struct vip_q *q = h->buckets[b];
			struct entry *e;

			h->buckets[b] = q->hnext;
			killed += q->run != NULL;
			cv_exec_cancel(q->run);
			entry_free(q->cur);
			while ((e = pop_entry(q)))
				entry_free(e);
			free(q);
		}
	killed += h->batch_run != NULL;
	cv_exec_cancel(h->batch_run);
	if (killed || waiting)
		qb_log(LOG_NOTICE, "stopping: %zu notify hooks killed, %zu transitions not notified",
		       killed, waiting);
	free(h->pend);
	free(h->notify);
	free(h);
	return NULL;
}

size_t
cv_hooks_running(const struct cv_hooks *h)
{
	return h ? h->running + (h->batch_run != NULL) : 0;
}

size_t
cv_hooks_waiting(const struct cv_hooks *h)
{
	return h ? h->waiting + (h->end - h->start) : 0;
}
