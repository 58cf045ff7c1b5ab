/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The notify hooks (hooks.h): per VIP a queue of transitions waiting for
 * their run, found by the VIP's name (a reload renumbers VIPs, a removed
 * VIP's last transitions still run), and the cluster hook's pending batch.
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
#include "exec-run.h"
#include "hooks.h"
#include "strbuf.h"

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

static const char *
state_name(int s)
{
	const char *n = cv_vip_state_to_string(s);

	return n ? n : "unknown";
}

static const char *
reason_name(int r)
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

/* "VAR=" value of entry e, for the logs. */
static const char *
var(const struct entry *e, size_t i)
{
	return strchr(e->env[i], '=') + 1;
}

enum { V_VIP, V_ADDRESS, V_INTERFACE, V_OLD, V_NEW, V_REASON, V_EPOCH, V_NODE, V_ADDRESSES,
       V_INTERFACES };

static void log_end(const char *what, const char *vip, const struct entry *e, uint32_t timeout_ms,
		    const struct cv_exec_result *r);
static void pump(struct cv_hooks *h);

static void
vip_done(void *userdata, const struct cv_exec_result *r)
{
	struct vip_q *q = userdata;
	struct cv_hooks *h = q->h;

	log_end("notify hook", q->name, q->cur, h->timeout_ms, r);
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
		       c->interface ? c->interface : "", 0, state_name(t->from), 0,
		       state_name(t->to), 0, reason_name(t->reason), 0, epoch, 0, h->node, 0, all,
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
		       state_name(t->from), state_name(t->to), cv_strerror(r));
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

/* ---- the cluster hook ---- */

static void start_batch(struct cv_hooks *h);

static void
batch_done(void *userdata, const struct cv_exec_result *r)
{
	struct cv_hooks *h = userdata;
	char what[80];

	snprintf(what, sizeof(what), "cluster notify hook (%zu transitions)", h->batch_n);
	log_end(what, NULL, NULL, h->timeout_ms, r);
	h->batch_run = NULL;
	start_batch(h); /* what gathered meanwhile */
}

static int
push_item(struct cv_hooks *h, const struct cv_action *t)
{
	struct item *it;

	if (h->end - h->start == CV_HOOKS_BATCH_MAX) {
		h->start++;
		h->dropped++;
	}
	if (h->end == h->cap && h->start > 0) {
		memmove(h->pend, h->pend + h->start, (h->end - h->start) * sizeof(*h->pend));
		h->end -= h->start;
		h->start = 0;
	}
	if (h->end == h->cap) {
		size_t cap = h->cap ? CV_MIN(h->cap * 2, (size_t)CV_HOOKS_BATCH_MAX) : 64;
		struct item *p = reallocarray(h->pend, cap, sizeof(*p));

		if (!p)
			return -ENOMEM;
		h->pend = p;
		h->cap = cap;
	}
	it = &h->pend[h->end++];
	snprintf(it->vip, sizeof(it->vip), "%s", t->conf->head.name);
	it->from = (uint8_t)t->from;
	it->to = (uint8_t)t->to;
	it->reason = (uint8_t)t->reason;
	return 0;
}

/* The batch as text, into a memfd at offset 0: the run's stdin. */
static int
batch_text(struct cv_hooks *h, char **ret_text, size_t *ret_len, int *ret_fd)
{
	struct cv_strbuf b = {};
	char *text = NULL;
	size_t len, off = 0;
	int fd, r;

	for (size_t i = h->start; i < h->end; i++)
		cv_strbuf_printf(&b, "%s %s %s %s\n", h->pend[i].vip, state_name(h->pend[i].from),
				 state_name(h->pend[i].to), reason_name(h->pend[i].reason));
	len = b.len;
	r = cv_strbuf_steal(&b, &text);
	if (r < 0)
		return r;
	fd = memfd_create("corovip-transitions", MFD_CLOEXEC);
	if (fd < 0) {
		free(text);
		return -errno;
	}
	while (off < len) {
		ssize_t n = write(fd, text + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? -errno : -EIO;
			close(fd);
			free(text);
			return r;
		}
		off += (size_t)n;
	}
	if (lseek(fd, 0, SEEK_SET) < 0) {
		r = -errno;
		close(fd);
		free(text);
		return r;
	}
	*ret_text = text;
	*ret_len = len;
	*ret_fd = fd;
	return 0;
}

static void
start_batch(struct cv_hooks *h)
{
	_cleanup_free_ char *text = NULL, *list = NULL;
	char node[32], count[48], dropped[48];
	char *env[5] = { node, count, dropped };
	size_t len = 0, n = h->end - h->start;
	int fd = -1, r;

	if (h->batch_run || n == 0)
		return;
	if (!h->notify) { /* a reload took it away */
		h->start = h->end = h->dropped = 0;
		return;
	}
	r = h->env.user_err < 0 ? h->env.user_err : batch_text(h, &text, &len, &fd);
	if (r == 0 && len <= CV_HOOKS_ENV_LIST_MAX &&
	    asprintf(&list, "COROVIP_TRANSITIONS=%s", text) < 0) {
		list = NULL;
		r = -ENOMEM;
	}
	snprintf(node, sizeof(node), "COROVIP_NODE=%" PRIu32, h->node);
	snprintf(count, sizeof(count), "COROVIP_TRANSITION_COUNT=%zu", n);
	snprintf(dropped, sizeof(dropped), "COROVIP_DROPPED=%zu", h->dropped);
	env[3] = list;
	if (r == 0) {
		struct cv_exec_spec spec = { .command = h->notify, .uid = h->env.uid,
					     .gid = h->env.gid, .timeout_ms = h->timeout_ms,
					     .env = env, .input = fd };

		r = cv_exec_start(h->env.loop, &spec, batch_done, h, &h->batch_run);
	}
	if (fd >= 0)
		close(fd); /* the command has its own copy */
	if (h->dropped)
		qb_log(LOG_WARNING, "cluster notify hook: %zu transitions were dropped (more than "
		       "%d waited)", h->dropped, CV_HOOKS_BATCH_MAX);
	if (r < 0)
		qb_log(LOG_ERR, "cluster notify hook for %zu transitions not run: %s%s", n,
		       cv_strerror(r), h->env.user_err < 0 ? " (script_user)" : "");
	h->batch_n = n;
	h->start = h->end = h->dropped = 0;
}

/* ---- what a run's end says ---- */

static void
log_end(const char *what, const char *vip, const struct entry *e, uint32_t timeout_ms,
	const struct cv_exec_result *r)
{
	char head[160];

	if (vip)
		snprintf(head, sizeof(head), "VIP '%s': %s for %s -> %s (%s)", vip, what,
			 var(e, V_OLD), var(e, V_NEW), var(e, V_REASON));
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
		if (h->notify && push_item(h, t) == 0)
			batch = true;
	}
	pump(h);
	if (batch)
		start_batch(h);
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
