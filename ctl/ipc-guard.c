/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <qb/qblist.h>

#include "cv-macros.h"
#include "ipc-guard.h"
#include "ipc-proto.h"

#define ACCEPT_BATCH 8	  /* per wake-up: refused connects must not fill the backlog */
#define PAUSE_MIN_MS 20	  /* the listener's first pause after a failed accept */
#define PAUSE_MAX_MS 1000 /* doubled at each failure up to this */
#define LOG_BURST    10	  /* lines of one kind at once, then one per LOG_EVERY_MS */
#define LOG_EVERY_MS 5000

enum watch_kind { WATCH_LISTENER, WATCH_HANDSHAKE };

/* An fd libqb asked us to poll, whose callback we stand in front of. */
struct watch {
	struct cv_ipc_guard *g;
	enum watch_kind kind;
	int fd;
	enum qb_loop_priority prio;
	int32_t events;		  /* what libqb asked for (the listener polls none while paused) */
	void *data;		  /* libqb's */
	qb_ipcs_dispatch_fn_t fn; /* libqb's */
	uid_t uid;		  /* a handshake's peer (SO_PEERCRED) */
	pid_t pid;
	bool timer_armed; /* a handshake's deadline; the listener's pause */
	qb_loop_timer_handle timer;
};

/* A connection from connection_accept to connection_destroyed. */
struct conn {
	struct cv_ipc_guard *g;
	struct qb_list_head list;
	qb_ipcs_connection_t *c;
	uid_t uid;
	bool idle_armed;
	qb_loop_timer_handle idle;
};

struct cv_ipc_guard {
	qb_loop_t *loop;
	qb_ipcs_service_t *service;
	struct watch **watches; /* by fd */
	size_t n_watches;
	struct qb_list_head conns;
	bool accepted;	       /* the listener's callback handed an fd over */
	unsigned pause_ms;     /* the listener's last pause */
	uint64_t last_fail_ns; /* of accept(); the pauses shrink back a while after it */
	/* Group haclient as resolved at start and reload, so that accepting a
	 * client never waits on NSS (LDAP...) inside the daemon's loop. */
	bool have_group;
	gid_t group_gid;
	uid_t *member_uids;
	size_t n_members;
	/* one bucket per kind: nobody's flood must not hide a member that lacks slots */
	struct cv_ratelimit rl_denied, rl_full, rl_timeout, rl_accept;
};

/*
 * libqb's poll hooks (struct qb_ipcs_poll_handlers) carry no userdata, so the
 * hooks find the guard here; there is one IPC server per corovipd.
 */
static struct cv_ipc_guard *the_guard;

bool
cv_ratelimit_take(struct cv_ratelimit *rl, uint64_t now_ns, unsigned *ret_suppressed)
{
	if (now_ns > rl->last_ns) {
		uint64_t n = (now_ns - rl->last_ns) / rl->interval_ns;

		if (n >= rl->burst - rl->tokens)
			rl->tokens = rl->burst;
		else
			rl->tokens += (unsigned)n;
		rl->last_ns += n * rl->interval_ns;
	}
	if (!rl->tokens) {
		rl->suppressed++;
		return false;
	}
	rl->tokens--;
	*ret_suppressed = rl->suppressed;
	rl->suppressed = 0;
	return true;
}

/* ---- who may connect, and how many ---- */

void
cv_ipc_guard_refresh_group(struct cv_ipc_guard *g)
{
	const struct group *gr = getgrnam(CV_IPC_GROUP);
	size_t n = 0;

	free(g->member_uids);
	g->member_uids = NULL;
	g->n_members = 0;
	g->have_group = gr != NULL;
	if (!gr)
		return;
	g->group_gid = gr->gr_gid;
	for (char **m = gr->gr_mem; m && *m; m++)
		n++;
	g->member_uids = calloc(n ? n : 1, sizeof(*g->member_uids));
	for (char **m = gr->gr_mem; g->member_uids && m && *m; m++) {
		const struct passwd *pw = getpwnam(*m);

		if (pw)
			g->member_uids[g->n_members++] = pw->pw_uid;
	}
}

/* Primary group, or listed in the group (SO_PEERCRED gives only the primary one). */
static bool
in_group(const struct cv_ipc_guard *g, uid_t uid, gid_t gid)
{
	if (!g->have_group)
		return false;
	if (gid == g->group_gid)
		return true;
	for (size_t i = 0; i < g->n_members; i++)
		if (g->member_uids[i] == uid)
			return true;
	return false;
}

struct tally {
	unsigned root, others, uid;
};

static void
tally_one(struct tally *t, uid_t who, uid_t uid)
{
	if (who == 0)
		t->root++;
	else
		t->others++;
	if (who == uid)
		t->uid++;
}

/* Slots held now: handshakes under way and connections. */
static struct tally
tally(const struct cv_ipc_guard *g, uid_t uid)
{
	struct tally t = { 0 };
	const struct conn *k;

	for (size_t fd = 0; fd < g->n_watches; fd++)
		if (g->watches[fd] && g->watches[fd]->kind == WATCH_HANDSHAKE)
			tally_one(&t, g->watches[fd]->uid, uid);
	qb_list_for_each_entry(k, &g->conns, list)
		tally_one(&t, k->uid, uid);
	return t;
}

/* 0, -EACCES (not root nor in group haclient) or -EAGAIN (no slot left). Authorisation
 * first: a refused user never takes a slot, and no user can take root's. */
static int
admit(const struct cv_ipc_guard *g, uid_t uid, gid_t gid)
{
	struct tally t;

	if (uid != 0 && !in_group(g, uid, gid))
		return -EACCES;
	t = tally(g, uid);
	if (uid == 0)
		return t.root < CV_IPC_ROOT_SLOTS ? 0 : -EAGAIN;
	return t.uid < CV_IPC_UID_SLOTS && t.others < CV_IPC_SHARED_SLOTS ? 0 : -EAGAIN;
}

static void
say_refused(struct cv_ipc_guard *g, uid_t uid, pid_t pid, int r)
{
	if (r == -EACCES)
		cv_log_limited(&g->rl_denied, LOG_NOTICE,
			       "corovipctl client (uid %u, pid %d): not root nor in group %s, refused",
			       (unsigned)uid, (int)pid, CV_IPC_GROUP);
	else
		cv_log_limited(&g->rl_full, LOG_WARNING,
			       "corovipctl client (uid %u, pid %d): no connection slot left for it "
			       "(root %u, each other user %u, all others %u), refused",
			       (unsigned)uid, (int)pid, CV_IPC_ROOT_SLOTS, CV_IPC_UID_SLOTS,
			       CV_IPC_SHARED_SLOTS);
}

/* ---- timers ---- */

static void
timer_arm(struct cv_ipc_guard *g, bool *armed, qb_loop_timer_handle *h, unsigned ms, void *data,
	  qb_loop_timer_dispatch_fn fn)
{
	if (*armed)
		qb_loop_timer_del(g->loop, *h);
	*armed = qb_loop_timer_add(g->loop, QB_LOOP_LOW, (uint64_t)ms * QB_TIME_NS_IN_MSEC, data,
				   fn, h) == 0;
}

static void
timer_disarm(struct cv_ipc_guard *g, bool *armed, qb_loop_timer_handle h)
{
	if (*armed)
		qb_loop_timer_del(g->loop, h);
	*armed = false;
}

/* ---- the fds we stand in front of ---- */

static struct watch *
watch_get(const struct cv_ipc_guard *g, int fd)
{
	return fd >= 0 && (size_t)fd < g->n_watches ? g->watches[fd] : NULL;
}

static struct watch *
watch_new(struct cv_ipc_guard *g, enum watch_kind kind, enum qb_loop_priority p, int fd,
	  int32_t events, void *data, qb_ipcs_dispatch_fn_t fn)
{
	struct watch *w;

	if (fd < 0 || watch_get(g, fd))
		return NULL;
	if ((size_t)fd >= g->n_watches) {
		size_t n = CV_MAX((size_t)fd + 1, 2 * g->n_watches);
		struct watch **t = reallocarray(g->watches, n, sizeof(*t));

		if (!t)
			return NULL;
		memset(t + g->n_watches, 0, (n - g->n_watches) * sizeof(*t));
		g->watches = t;
		g->n_watches = n;
	}
	w = calloc(1, sizeof(*w));
	if (w)
		*w = (struct watch){ .g = g, .kind = kind, .fd = fd, .prio = p, .events = events,
				     .data = data, .fn = fn };
	g->watches[fd] = w;
	return w;
}

static void
watch_free(struct watch *w)
{
	timer_disarm(w->g, &w->timer_armed, w->timer);
	w->g->watches[w->fd] = NULL;
	free(w);
}

/* libqb's callback returned < 0: the loop drops the fd, so do we (unless it was freed). */
static void
watch_dropped(struct cv_ipc_guard *g, int fd, const struct watch *w)
{
	if (watch_get(g, fd) == w)
		watch_free(g->watches[fd]);
}

/* ---- handshakes: from accept to connection_accept ---- */

static int32_t
on_handshake(int32_t fd, int32_t revents, void *userdata)
{
	struct watch *w = userdata;
	struct cv_ipc_guard *g = w->g;
	int32_t r = w->fn(fd, revents, w->data); /* at its end libqb dispatch_del()s: w is freed */

	if (r < 0)
		watch_dropped(g, fd, w);
	return r;
}

static void
on_handshake_timeout(void *userdata)
{
	struct watch *w = userdata;

	w->timer_armed = false;
	cv_log_limited(&w->g->rl_timeout, LOG_NOTICE,
		       "corovipctl client (uid %u, pid %d): no handshake within %u ms, closed",
		       (unsigned)w->uid, (int)w->pid, CV_IPC_HANDSHAKE_MS);
	/* libqb has no call to drop a handshake; a hang-up is what makes its callback end one
	 * (it dispatch_del()s and closes the fd). */
	(void)on_handshake(w->fd, POLLHUP, w);
}

/* A new client's fd: refused here if it may not connect, before libqb reads from it. */
static int32_t
handshake_add(struct cv_ipc_guard *g, enum qb_loop_priority p, int32_t fd, int32_t events,
	      void *data, qb_ipcs_dispatch_fn_t fn)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct watch *w;
	int r;

	g->accepted = true;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return -errno;
	w = watch_get(g, fd);
	if (w && w->kind == WATCH_HANDSHAKE) {
		/* Its fd was closed behind libqb's back and is a new client now: libqb's
		 * qb_ipcc_connect() (corosync's libraries use it) closes fd 0 when its
		 * socket() fails, as when corovipd reconnects to corosync without a free
		 * fd. That handshake is lost (and libqb's record of it leaks). */
		cv_log_limited(&g->rl_accept, LOG_WARNING,
			       "a corovipctl handshake's fd %d was closed by another part of the "
			       "daemon, dropping it",
			       (int)fd);
		(void)qb_loop_poll_del(g->loop, fd);
		watch_free(w);
	}
	r = admit(g, cred.uid, cred.gid);
	if (r < 0) {
		say_refused(g, cred.uid, cred.pid, r);
		return r; /* libqb closes the fd */
	}
	w = watch_new(g, WATCH_HANDSHAKE, p, fd, events, data, fn);
	if (!w)
		return -ENOMEM;
	w->uid = cred.uid;
	w->pid = cred.pid;
	r = qb_loop_poll_add(g->loop, p, fd, events, w, on_handshake);
	if (r < 0) {
		watch_free(w);
		return r;
	}
	timer_arm(g, &w->timer_armed, &w->timer, CV_IPC_HANDSHAKE_MS, w, on_handshake_timeout);
	return 0;
}

/* ---- the listening socket ---- */

static bool
readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

static int32_t on_listener(int32_t fd, int32_t revents, void *userdata);

static void
on_listener_resume(void *userdata)
{
	struct watch *w = userdata;

	w->timer_armed = false;
	(void)qb_loop_poll_mod(w->g->loop, w->prio, w->fd, w->events, w, on_listener);
}

/* accept() failed (libqb said why): without a pause the loop would wake at once to fail
 * again, and again. */
static void
listener_pause(struct watch *w, int err)
{
	struct cv_ipc_guard *g = w->g;

	g->pause_ms = g->pause_ms ? CV_MIN(2 * g->pause_ms, PAUSE_MAX_MS) : PAUSE_MIN_MS;
	g->last_fail_ns = qb_util_nano_current_get();
	cv_log_limited(&g->rl_accept, LOG_WARNING,
		       "cannot accept corovipctl clients (%s): not listening for %u ms",
		       err ? strerror(err) : "no reason given", g->pause_ms);
	timer_arm(g, &w->timer_armed, &w->timer, g->pause_ms, w, on_listener_resume);
	if (w->timer_armed)
		(void)qb_loop_poll_mod(g->loop, w->prio, w->fd, 0, w, on_listener);
}

static int32_t
on_listener(int32_t fd, int32_t revents, void *userdata)
{
	struct watch *w = userdata;
	struct cv_ipc_guard *g = w->g;

	for (unsigned i = 0; i < ACCEPT_BATCH; i++) {
		int32_t r;
		int err;

		if (i > 0 && !readable(fd))
			break;
		g->accepted = false;
		r = w->fn(fd, revents, w->data); /* libqb's: accept() once */
		err = errno;
		if (r < 0) {
			watch_dropped(g, fd, w); /* its socket hung up: the service is ending */
			return r;
		}
		if (!(revents & POLLIN))
			break;
		if (!g->accepted) {
			listener_pause(w, err);
			break;
		}
		/* Not at the first success: with fds short, one closing lets one accept
		 * through, and the next fails again. */
		if (qb_util_nano_current_get() - g->last_fail_ns >
		    (uint64_t)PAUSE_MAX_MS * QB_TIME_NS_IN_MSEC)
			g->pause_ms = 0;
	}
	return 0;
}

/* ---- libqb's poll hooks ---- */

static struct conn *
conn_find(const struct cv_ipc_guard *g, const void *c)
{
	struct conn *k;

	qb_list_for_each_entry(k, &g->conns, list)
		if (k->c == c)
			return k;
	return NULL;
}

static int32_t
hook_job_add(enum qb_loop_priority p, void *data, qb_loop_job_dispatch_fn fn)
{
	if (!the_guard)
		return -ESHUTDOWN;
	return qb_loop_job_add(the_guard->loop, p, data, fn);
}

/*
 * libqb adds three kinds of fd, told apart by their data: the listening
 * socket (the service), an accepted connection (one connection_accept let
 * in), and anything else, which in libqb 2.0.6 is a handshake under way.
 */
static int32_t
hook_add(enum qb_loop_priority p, int32_t fd, int32_t events, void *data, qb_ipcs_dispatch_fn_t fn)
{
	struct cv_ipc_guard *g = the_guard;
	struct watch *w;
	int32_t r;

	if (!g)
		return -ESHUTDOWN;
	if (conn_find(g, data))
		return qb_loop_poll_add(g->loop, p, fd, events, data, fn);
	if (data != g->service)
		return handshake_add(g, p, fd, events, data, fn);
	w = watch_new(g, WATCH_LISTENER, p, fd, events, data, fn);
	if (!w)
		return -ENOMEM;
	r = qb_loop_poll_add(g->loop, p, fd, events, w, on_listener);
	if (r < 0)
		watch_free(w);
	return r;
}

static int32_t
hook_mod(enum qb_loop_priority p, int32_t fd, int32_t events, void *data, qb_ipcs_dispatch_fn_t fn)
{
	struct cv_ipc_guard *g = the_guard;
	struct watch *w = g ? watch_get(g, fd) : NULL;

	if (!g)
		return -ESHUTDOWN;
	if (!w)
		return qb_loop_poll_mod(g->loop, p, fd, events, data, fn);
	w->prio = p;
	w->events = events;
	w->data = data;
	w->fn = fn;
	if (w->kind == WATCH_LISTENER && w->timer_armed)
		return 0; /* paused: the new events apply when it resumes */
	return qb_loop_poll_mod(g->loop, p, fd, events, w,
				w->kind == WATCH_LISTENER ? on_listener : on_handshake);
}

static int32_t
hook_del(int32_t fd)
{
	struct cv_ipc_guard *g = the_guard;
	struct watch *w = g ? watch_get(g, fd) : NULL;

	if (!g)
		return -ESHUTDOWN;
	if (w)
		watch_free(w);
	return qb_loop_poll_del(g->loop, fd);
}

struct qb_ipcs_poll_handlers *
cv_ipc_guard_hooks(struct cv_ipc_guard *g, qb_ipcs_service_t *service)
{
	static struct qb_ipcs_poll_handlers hooks = {
		.job_add = hook_job_add,
		.dispatch_add = hook_add,
		.dispatch_mod = hook_mod,
		.dispatch_del = hook_del,
	};

	g->service = service;
	return &hooks;
}

/* ---- connections ---- */

int32_t
cv_ipc_guard_accept(struct cv_ipc_guard *g, qb_ipcs_connection_t *c, uid_t uid, gid_t gid)
{
	struct conn *k;
	/* Checked again with the credentials libqb received: the client chose them. */
	int r = admit(g, uid, gid);

	if (r < 0) {
		say_refused(g, uid, 0, r);
		return r;
	}
	k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	*k = (struct conn){ .g = g, .c = c, .uid = uid };
	qb_list_add(&k->list, &g->conns);
	qb_ipcs_context_set(c, k);
	if (uid != 0)
		/* Its shared memory must be open to the client's group too. */
		qb_ipcs_connection_auth_set(c, -1, g->group_gid, 0660);
	return 0;
}

static void
on_idle(void *userdata)
{
	struct conn *k = userdata;

	k->idle_armed = false;
	cv_log_limited(&k->g->rl_timeout, LOG_NOTICE,
		       "corovipctl client (uid %u): no request for %u ms, disconnected",
		       (unsigned)k->uid, CV_IPC_IDLE_MS);
	qb_ipcs_disconnect(k->c); /* connection_destroyed frees k */
}

void
cv_ipc_guard_created(struct cv_ipc_guard *g, qb_ipcs_connection_t *c)
{
	struct conn *k = qb_ipcs_context_get(c);

	if (k)
		timer_arm(g, &k->idle_armed, &k->idle, CV_IPC_IDLE_MS, k, on_idle);
}

void
cv_ipc_guard_request(struct cv_ipc_guard *g, qb_ipcs_connection_t *c)
{
	cv_ipc_guard_created(g, c); /* idle from now on */
}

static void
conn_free(struct conn *k)
{
	timer_disarm(k->g, &k->idle_armed, k->idle);
	qb_ipcs_context_set(k->c, NULL);
	qb_list_del(&k->list);
	free(k);
}

uid_t
cv_ipc_guard_uid(qb_ipcs_connection_t *c)
{
	const struct conn *k = qb_ipcs_context_get(c);

	return k ? k->uid : (uid_t)-1;
}

void
cv_ipc_guard_destroyed(struct cv_ipc_guard *g, qb_ipcs_connection_t *c)
{
	struct conn *k = qb_ipcs_context_get(c);

	if (k && k->g == g)
		conn_free(k);
}

/* ---- life cycle ---- */

int
cv_ipc_guard_new(qb_loop_t *loop, struct cv_ipc_guard **ret)
{
	struct cv_ipc_guard *g;

	if (the_guard)
		return -EBUSY;
	g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	*g = (struct cv_ipc_guard){
		.loop = loop,
		.rl_denied = (struct cv_ratelimit)CV_RATELIMIT_INIT(LOG_EVERY_MS, LOG_BURST),
		.rl_full = (struct cv_ratelimit)CV_RATELIMIT_INIT(LOG_EVERY_MS, LOG_BURST),
		.rl_timeout = (struct cv_ratelimit)CV_RATELIMIT_INIT(LOG_EVERY_MS, LOG_BURST),
		.rl_accept = (struct cv_ratelimit)CV_RATELIMIT_INIT(LOG_EVERY_MS, LOG_BURST),
	};
	qb_list_init(&g->conns);
	cv_ipc_guard_refresh_group(g);
	the_guard = g;
	*ret = g;
	return 0;
}

void
cv_ipc_guard_end_handshakes(struct cv_ipc_guard *g)
{
	for (size_t fd = 0; g && fd < g->n_watches; fd++) {
		struct watch *w = g->watches[fd];

		if (w && w->kind == WATCH_HANDSHAKE)
			(void)on_handshake(w->fd, POLLHUP, w);
	}
}

struct cv_ipc_guard *
cv_ipc_guard_free(struct cv_ipc_guard *g)
{
	struct conn *k, *next;

	if (!g)
		return NULL;
	cv_ipc_guard_end_handshakes(g);
	for (size_t fd = 0; fd < g->n_watches; fd++)
		if (g->watches[fd]) {
			(void)qb_loop_poll_del(g->loop, (int32_t)fd);
			watch_free(g->watches[fd]);
		}
	qb_list_for_each_entry_safe(k, next, &g->conns, list)
		conn_free(k);
	free(g->watches);
	free(g->member_uids);
	free(g);
	the_guard = NULL;
	return NULL;
}
