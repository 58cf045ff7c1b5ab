/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The OpenStack backend (backend.h, issue 14), floating-IP mode: a VIP is
 * a Neutron floating IP, held when it is associated with this node's port.
 * acquire moves it here (os-client.h: compare-and-swap by revision, the
 * cluster epoch in its description), release detaches it (only if it is
 * still ours), refresh reads it and tells the engine of a VIP that is not
 * ours any more (env->gone). There is no lease to renew and nothing to
 * announce: Neutron programs the router.
 *
 * One client per cloud section (a token cache each), made at the first VIP
 * that needs it, on one HTTP client on the loop. The operations of one
 * floating IP run one at a time in the order asked: a release after a move
 * reads what the move left, never a revision from before it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <qb/qblog.h>

#include "backend.h"
#include "cv-error.h"
#include "cv-macros.h"
#include "os-client.h"

extern char **environ;
extern const struct cv_backend_ops cv_openstack_backend; /* backend/backend.c's lookup */

struct osb;

/* A client of one cloud section; retired (section changed or gone) ones
 * finish what they have under way, then go. */
struct client {
	struct client *next;
	char name[CV_NAME_MAX + 1];
	struct cv_cloud_conf conf; /* a shallow copy for comparison: strings not owned */
	bool retired;
	size_t busy;
	struct cv_os_client *os;
	struct osb *b;
};

/* One operation of a VIP under way or waiting for its floating IP's turn. */
struct pending {
	struct pending *next;
	struct osb *b;
	struct client *cl;
	const struct cv_vip_conf *conf; /* what results name: re-pointed at a reload */
	struct cv_vip_conf stub;	/* ...here when the reload removed the VIP */
	char name[CV_NAME_MAX + 1];
	char fip[CV_OS_ID_MAX + 1], port[CV_OS_ID_MAX + 1], fixed_ip[48];
	struct cv_addr addr; /* the VIP's address: the floating IP must have it */
	enum cv_action_type op;
	uint64_t epoch;
	struct round *round; /* a daemon's refresh: its round */
	bool checking;	     /* an acquire reading the floating IP before its move */
	struct cv_os_op *os_op; /* NULL: waiting for its turn */
};

/* A daemon's refresh: one RENEW result once every check is done. */
struct round {
	size_t left;
};

/* A VIP this backend moved here: what a check after a move may find taken. */
struct held {
	char name[CV_NAME_MAX + 1];
	char fip[CV_OS_ID_MAX + 1], port[CV_OS_ID_MAX + 1];
};

/* What the last operation of a VIP saw, for status (backend.h). */
struct seen {
	char name[CV_NAME_MAX + 1];
	struct cv_backend_status st;
};

struct osb {
	struct cv_backend base;
	struct cv_backend_env env;
	struct cv_http *http;
	struct client *clients;
	struct pending *ops; /* in the order asked */
	struct held *held;
	size_t n_held;
	char (*checked)[CV_OS_ID_MAX + 1]; /* floating IPs whose address was compared */
	size_t n_checked;
	struct seen *seen;
	size_t n_seen;
};

static struct osb *
osb_of(struct cv_backend *b)
{
	return container_of(b, struct osb, base);
}

/* ---- the clients ---- */

static bool
same_str(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") == 0;
}

static bool
same_cloud(const struct cv_cloud_conf *a, const struct cv_cloud_conf *b)
{
	return same_str(a->clouds_yaml, b->clouds_yaml) &&
	       same_str(cv_cloud_entry(a), cv_cloud_entry(b)) &&
	       same_str(a->secrets_file, b->secrets_file) && same_str(a->region, b->region) &&
	       a->interface == b->interface && same_str(a->ca_file, b->ca_file) &&
	       a->tls_verify == b->tls_verify && same_str(a->proxy, b->proxy) &&
	       same_str(a->neutron_url, b->neutron_url) &&
	       a->call_timeout_ms == b->call_timeout_ms && a->op_timeout_ms == b->op_timeout_ms;
}

static int
set_str(char **field, const char *value)
{
	char *v;

	if (!value)
		return 0;
	v = strdup(value);
	if (!v)
		return -ENOMEM;
	free(*field);
	*field = v;
	return 0;
}

/* The credentials of section cc (os-auth.h), then what the section says over them. */
static int
load_auth(const struct cv_cloud_conf *cc, struct cv_os_auth *auth, char *err, size_t len)
{
	struct cv_os_auth_sources src = { .cloud = cv_cloud_entry(cc),
					  .clouds_yaml = cc->clouds_yaml,
					  .search_clouds_yaml = true,
					  .environ = environ,
					  .secrets_file = cc->secrets_file,
					  .credentials_dir = getenv("CREDENTIALS_DIRECTORY") };
	int r = cv_os_auth_load(&src, auth, err, len);

	if (r < 0)
		return r;
	/* explicit daemon config wins, the defaults included: interface
	 * public, TLS verified whatever clouds.yaml's insecure says */
	auth->interface = (enum cv_os_interface)cc->interface;
	auth->interface_set = true;
	auth->insecure = !cc->tls_verify;
	r = set_str(&auth->region, cc->region);
	if (r >= 0)
		r = set_str(&auth->cacert, cc->ca_file);
	if (r >= 0)
		r = set_str(&auth->neutron_url, cc->neutron_url);
	if (r < 0)
		snprintf(err, len, "%s", cv_strerror(r));
	return r;
}

static void on_lost(void *userdata, const struct cv_os_fip *fip, const char *why);

static int
client_new(struct osb *b, const struct cv_cloud_conf *cc, struct client **ret, char *err,
	   size_t len)
{
	struct cv_os_client_params p = { .loop = b->env.loop,
					 .http = b->http,
					 .call_timeout_ms = cc->call_timeout_ms,
					 .op_deadline_ms = cc->op_timeout_ms,
					 .proxy = cc->proxy,
					 .node = b->env.nodeid,
					 .lost = on_lost,
					 .userdata = b };
	struct cv_os_auth auth;
	struct client *cl = calloc(1, sizeof(*cl));
	int r;

	if (!cl)
		return -ENOMEM;
	r = load_auth(cc, &auth, err, len);
	if (r >= 0) {
		r = cv_os_client_new(&p, &auth, &cl->os);
		if (r < 0)
			snprintf(err, len, "%s", cv_strerror(r));
	}
	cv_os_auth_done(&auth); /* moved into the client, or wiped here */
	if (r < 0) {
		free(cl);
		return r;
	}
	snprintf(cl->name, sizeof(cl->name), "%s", cc->head.name);
	cl->conf = *cc;
	cl->b = b;
	cl->next = b->clients;
	b->clients = cl;
	*ret = cl;
	return 0;
}

static struct client *
client_find(struct osb *b, const char *name, bool retired_too)
{
	for (struct client *cl = b->clients; cl; cl = cl->next)
		if (strcmp(cl->name, name) == 0 && (!cl->retired || retired_too))
			return cl;
	return NULL;
}

static void
client_free(struct osb *b, struct client *cl)
{
	for (struct client **p = &b->clients; *p; p = &(*p)->next)
		if (*p == cl) {
			*p = cl->next;
			break;
		}
	cv_os_client_free(cl->os);
	free(cl);
}

/* The client of v's cloud section, made now if needed. An orphan's VIP
 * (cloud_conf NULL: its section may be gone) takes what there is. */
static int
client_of(struct osb *b, const struct cv_vip_conf *v, struct client **ret, char *err, size_t len)
{
	const char *name = v->cloud_conf ? v->cloud_conf->head.name : v->cloud;

	*ret = name ? client_find(b, name, false) : NULL;
	if (!*ret && !v->cloud_conf && name)
		*ret = client_find(b, name, true);
	if (*ret)
		return 0;
	if (!v->cloud_conf) {
		snprintf(err, len, "cloud '%s': no such section any more", name ? name : "?");
		return -ENOENT;
	}
	return client_new(b, v->cloud_conf, ret, err, len);
}

/* ---- what status shows ---- */

static int64_t
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* VIP name's entry, made if need be (NULL: out of memory, status shows nothing). */
static struct cv_backend_status *
seen_of(struct osb *b, const char *name, const char *fip)
{
	struct seen *v;

	for (size_t i = 0; i < b->n_seen; i++)
		if (strcmp(b->seen[i].name, name) == 0)
			return &b->seen[i].st;
	v = realloc(b->seen, (b->n_seen + 1) * sizeof(*v));
	if (!v)
		return NULL;
	b->seen = v;
	v = &b->seen[b->n_seen++];
	*v = (struct seen){};
	snprintf(v->name, sizeof(v->name), "%s", name);
	snprintf(v->st.resource, sizeof(v->st.resource), "%s", fip);
	return &v->st;
}

static void
seen_fip(struct osb *b, const char *name, const struct cv_os_fip *fip)
{
	struct cv_backend_status *st = seen_of(b, name, fip->id);

	if (!st)
		return;
	snprintf(st->resource, sizeof(st->resource), "%s", fip->id);
	snprintf(st->where, sizeof(st->where), "%s", fip->port_id);
	snprintf(st->fixed_ip, sizeof(st->fixed_ip), "%s", fip->fixed_ip);
	st->epoch = cv_os_desc_epoch(fip->description, &st->node);
	st->revision = fip->revision;
	st->read_at_ms = wall_ms();
}

static void
seen_outcome(struct osb *b, const char *name, const char *fip, int err, const char *why)
{
	struct cv_backend_status *st = seen_of(b, name, fip);

	if (!st)
		return;
	if (err >= 0) {
		st->error[0] = 0;
		st->error_at_ms = 0;
		return;
	}
	snprintf(st->error, sizeof(st->error), "%s", why);
	st->error_at_ms = wall_ms();
}

/* A reload: what status keeps is the next config's VIPs' of the same floating IP. */
static void
seen_switch(struct osb *b, const struct cv_config *next)
{
	for (size_t i = 0; i < b->n_seen;) {
		const struct cv_vip_conf *v = next ? cv_config_find_vip(next, b->seen[i].name) : NULL;

		if (v && v->backend == CV_BACKEND_OPENSTACK && v->floating_ip &&
		    strcmp(v->floating_ip, b->seen[i].st.resource) == 0)
			i++;
		else
			b->seen[i] = b->seen[--b->n_seen];
	}
}

static bool
status(struct cv_backend *base, const struct cv_vip_conf *v, struct cv_backend_status *ret)
{
	struct osb *b = osb_of(base);

	for (size_t i = 0; i < b->n_seen; i++)
		if (strcmp(b->seen[i].name, v->head.name) == 0) {
			*ret = b->seen[i].st;
			return true;
		}
	return false;
}

/* ---- what this backend holds ---- */

static void
held_drop(struct osb *b, const char *name)
{
	for (size_t i = 0; i < b->n_held; i++)
		if (strcmp(b->held[i].name, name) == 0) {
			b->held[i] = b->held[--b->n_held];
			return;
		}
}

static void
held_add(struct osb *b, const struct pending *p)
{
	struct held *v;

	held_drop(b, p->name);
	v = realloc(b->held, (b->n_held + 1) * sizeof(*v));
	if (!v)
		return; /* a lost move goes unnoticed until the next refresh */
	b->held = v;
	v = &b->held[b->n_held++];
	snprintf(v->name, sizeof(v->name), "%s", p->name);
	snprintf(v->fip, sizeof(v->fip), "%s", p->fip);
	snprintf(v->port, sizeof(v->port), "%s", p->port);
}

/* Tell whoever listens that VIP name is not ours: by name, the conf may be gone. */
static void
tell_gone(struct osb *b, const char *name)
{
	struct cv_vip_conf stub = { .head = { .name = (char *)name },
				    .backend = CV_BACKEND_OPENSTACK };

	if (b->env.gone)
		b->env.gone(b->env.userdata, &stub);
}

/* The check after one of our moves found a newer move there (os-client.h). */
static void
on_lost(void *userdata, const struct cv_os_fip *fip, const char *why)
{
	struct osb *b = userdata;

	for (size_t i = 0; i < b->n_held; i++)
		if (strcmp(b->held[i].fip, fip->id) == 0 && strcmp(b->held[i].port, fip->port_id) != 0) {
			qb_log(LOG_WARNING, "VIP '%s': not ours any more: %s", b->held[i].name, why);
			seen_fip(b, b->held[i].name, fip);
			tell_gone(b, b->held[i].name);
		}
}

static bool
was_checked(const struct osb *b, const char *fip)
{
	for (size_t i = 0; i < b->n_checked; i++)
		if (strcmp(b->checked[i], fip) == 0)
			return true;
	return false;
}

static void
mark_checked(struct osb *b, const char *fip)
{
	char(*v)[CV_OS_ID_MAX + 1] = realloc(b->checked, (b->n_checked + 1) * sizeof(*v));

	if (!v || was_checked(b, fip))
		return; /* unmarked: read again next time */
	b->checked = v;
	snprintf(b->checked[b->n_checked++], sizeof(*v), "%s", fip);
}

/* ---- operations ---- */

static void start(struct pending *p);

/* Is an operation of fip running? (One at a time each, in the order asked.) */
static bool
fip_running(const struct osb *b, const char *fip)
{
	for (const struct pending *q = b->ops; q; q = q->next)
		if (q->os_op && strcmp(q->fip, fip) == 0)
			return true;
	return false;
}

/* The next operation of fip, if none is running. */
static void
kick(struct osb *b, const char *fip)
{
	if (fip_running(b, fip))
		return;
	for (struct pending *q = b->ops; q; q = q->next)
		if (strcmp(q->fip, fip) == 0)
			return start(q);
}

static void
unlink_pending(struct osb *b, struct pending *p)
{
	for (struct pending **q = &b->ops; *q; q = &(*q)->next)
		if (*q == p) {
			*q = p->next;
			return;
		}
}

static void
report(struct pending *p, int err, const char *why)
{
	struct osb *b = p->b;

	if (!p->round)
		return b->env.result(b->env.userdata, p->conf, p->op, p->epoch, err, why);
	if (--p->round->left == 0) {
		free(p->round);
		b->env.result(b->env.userdata, NULL, CV_ACT_RENEW, 0, 0, NULL);
	}
	p->round = NULL;
}

/* p is over: report it, let its client go if retired, start the next of its floating IP. */
static void
finish(struct pending *p, int err, const char *why)
{
	struct osb *b = p->b;
	struct client *cl = p->cl;
	char fip[CV_OS_ID_MAX + 1];

	if (err < 0)
		qb_log(LOG_ERR, "VIP '%s': %s of floating IP %s failed: %s", p->name,
		       cv_action_type_to_string(p->op), p->fip, why && *why ? why : cv_strerror(err));
	unlink_pending(b, p);
	seen_outcome(b, p->name, p->fip, err, why && *why ? why : cv_strerror(err));
	report(p, err, err < 0 ? (why && *why ? why : cv_strerror(err)) : NULL);
	snprintf(fip, sizeof(fip), "%s", p->fip);
	cv_os_op_cancel(p->os_op);
	free(p);
	if (cl && --cl->busy == 0 && cl->retired)
		client_free(b, cl);
	kick(b, fip);
}

static void on_done(void *userdata, int err, const struct cv_os_fip *fip, const char *why);

/* A refresh's outcome: ours iff on our port (and fixed IP, if one is named). */
static void
checked_ownership(struct pending *p, const struct cv_os_fip *fip)
{
	char why[512];

	if (strcmp(fip->port_id, p->port) == 0 && (!p->fixed_ip[0] || strcmp(fip->fixed_ip, p->fixed_ip) == 0))
		return finish(p, 0, NULL);
	snprintf(why, sizeof(why), "floating IP %s is on port %s (%s), not ours (%s)", fip->id,
		 fip->port_id[0] ? fip->port_id : "none", fip->description, p->port);
	qb_log(LOG_WARNING, "VIP '%s': %s", p->name, why);
	if (!p->b->env.oneshot)
		tell_gone(p->b, p->name);
	finish(p, p->b->env.oneshot ? -EADDRNOTAVAIL : 0, why);
}

/* Before the first move of a floating IP: is it the VIP's address? Then move. */
static void
checked_address(struct pending *p, const struct cv_os_fip *fip)
{
	struct cv_addr a;
	char why[512], want[CV_ADDR_STRLEN];
	int r;

	p->checking = false;
	if (cv_addr_parse_host(fip->address, &a) < 0 || !cv_addr_same_host(&a, &p->addr)) {
		snprintf(why, sizeof(why), "floating IP %s has the address %s, not the VIP's %s",
			 fip->id, fip->address, cv_addr_format(&p->addr, false, want, sizeof(want)));
		return finish(p, -EADDRNOTAVAIL, why);
	}
	mark_checked(p->b, p->fip);
	r = cv_os_fip_move(p->cl->os, p->fip, p->port, p->fixed_ip[0] ? p->fixed_ip : NULL, p->epoch,
			   on_done, p, &p->os_op);
	if (r < 0)
		finish(p, r, "the move could not be started");
}

static void
on_done(void *userdata, int err, const struct cv_os_fip *fip, const char *why)
{
	struct pending *p = userdata;

	p->os_op = NULL;
	if (fip)
		seen_fip(p->b, p->name, fip);
	if (err < 0)
		return finish(p, err, why);
	if (p->checking)
		return checked_address(p, fip);
	if (p->op == CV_ACT_RENEW)
		return checked_ownership(p, fip);
	if (p->op == CV_ACT_ADDR_ADD)
		held_add(p->b, p);
	finish(p, 0, NULL);
}

/* The client call of p (its floating IP's turn has come). */
static void
start(struct pending *p)
{
	struct cv_os_client *c = p->cl->os;
	const char *fixed = p->fixed_ip[0] ? p->fixed_ip : NULL;
	struct cv_os_op *op = NULL;
	int r;

	p->checking = p->op == CV_ACT_ADDR_ADD && !was_checked(p->b, p->fip);
	if (p->op == CV_ACT_RENEW || p->checking)
		r = cv_os_fip_show(c, p->fip, on_done, p, &op);
	else if (p->op == CV_ACT_ADDR_ADD)
		r = cv_os_fip_move(c, p->fip, p->port, fixed, p->epoch, on_done, p, &op);
	else
		r = cv_os_fip_release(c, p->fip, p->port, p->epoch, on_done, p, &op);
	if (r < 0)
		return finish(p, r, "the call could not be started");
	p->os_op = op;
}

/* One VIP's operation: queued behind what its floating IP has under way. */
static void
submit(struct osb *b, const struct cv_backend_op *o, enum cv_action_type act, struct round *round)
{
	const struct cv_vip_conf *v = o->conf;
	struct pending *p = calloc(1, sizeof(*p)), **tail;
	char err[512] = "";
	int r;

	if (!p) {
		struct pending fail = { .b = b, .conf = v, .op = act, .epoch = o->epoch, .round = round };

		return report(&fail, -ENOMEM, NULL);
	}
	*p = (struct pending){ .b = b, .conf = v, .op = act, .epoch = o->epoch, .round = round,
			       .addr = *cv_vip_first_addr(v) };
	snprintf(p->name, sizeof(p->name), "%s", v->head.name);
	snprintf(p->fip, sizeof(p->fip), "%s", v->floating_ip ? v->floating_ip : "");
	snprintf(p->port, sizeof(p->port), "%s", v->port ? v->port : "");
	snprintf(p->fixed_ip, sizeof(p->fixed_ip), "%s", v->fixed_ip ? v->fixed_ip : "");
	for (tail = &b->ops; *tail; tail = &(*tail)->next)
		;
	*tail = p;
	if (act == CV_ACT_ADDR_DEL)
		held_drop(b, p->name);
	r = client_of(b, v, &p->cl, err, sizeof(err));
	if (r < 0) {
		p->cl = NULL;
		return finish(p, r, err);
	}
	p->cl->busy++;
	kick(b, p->fip);
}

static void
acquire(struct cv_backend *base, const struct cv_backend_op *ops, size_t n, uint32_t lease_s)
{
	for (size_t i = 0; i < n; i++)
		submit(osb_of(base), &ops[i], CV_ACT_ADDR_ADD, NULL);
}

static void
release(struct cv_backend *base, const struct cv_backend_op *ops, size_t n)
{
	for (size_t i = 0; i < n; i++)
		submit(osb_of(base), &ops[i], CV_ACT_ADDR_DEL, NULL);
}

/* Is a check of VIP name (or any other operation of it) under way already? */
static bool
in_flight(const struct osb *b, const char *name)
{
	for (const struct pending *q = b->ops; q; q = q->next)
		if (strcmp(q->name, name) == 0)
			return true;
	return false;
}

/*
 * Nothing lapses in Neutron: a refresh is an ownership check. The daemon
 * hears one RENEW once every check is done (a VIP whose last operation is
 * still under way is not checked again); one-shot, each VIP's RENEW.
 */
static void
refresh(struct cv_backend *base, const struct cv_backend_op *held, size_t n, uint32_t lease_s)
{
	struct osb *b = osb_of(base);
	struct round *round = NULL;

	if (!b->env.oneshot) {
		round = calloc(1, sizeof(*round));
		if (!round)
			return b->env.result(b->env.userdata, NULL, CV_ACT_RENEW, 0, -ENOMEM, NULL);
		round->left = 1; /* this call's own, dropped at its end */
	}
	for (size_t i = 0; i < n; i++) {
		if (round && in_flight(b, held[i].conf->head.name))
			continue;
		if (round)
			round->left++;
		submit(b, &held[i], CV_ACT_RENEW, round);
	}
	if (round && --round->left == 0) {
		free(round);
		b->env.result(b->env.userdata, NULL, CV_ACT_RENEW, 0, 0, NULL);
	}
}

/*
 * The config goes: what is under way names the next config's VIP of the same
 * name, or its own stub (the executor reads only the name). A client whose
 * section changed or went is retired: it ends what it has, new work gets a
 * new one.
 */
static void
switch_config(struct cv_backend *base, const struct cv_config *next)
{
	struct osb *b = osb_of(base);

	seen_switch(b, next);
	for (struct pending *p = b->ops; p; p = p->next) {
		const struct cv_vip_conf *v = next ? cv_config_find_vip(next, p->name) : NULL;

		if (v && v->backend == CV_BACKEND_OPENSTACK) {
			p->conf = v;
			continue;
		}
		p->stub = (struct cv_vip_conf){ .head = { .name = p->name },
						 .backend = CV_BACKEND_OPENSTACK };
		p->conf = &p->stub;
	}
	for (struct client *cl = b->clients, *nx; cl; cl = nx) {
		const struct cv_cloud_conf *cc = next ? cv_config_find_cloud(next, cl->name) : NULL;

		nx = cl->next;
		if (cl->retired || (cc && same_cloud(cc, &cl->conf))) {
			if (cc)
				cl->conf = *cc;
			continue;
		}
		cl->retired = true;
		cl->conf = (struct cv_cloud_conf){};
		if (!cl->busy)
			client_free(b, cl);
	}
}

static void destroy(struct cv_backend *base);

static int
create(const struct cv_backend_env *env, struct cv_backend **ret)
{
	struct osb *b = calloc(1, sizeof(*b));
	int r;

	if (!b)
		return -ENOMEM;
	*b = (struct osb){ .base = { .ops = &cv_openstack_backend }, .env = *env };
	r = cv_http_new(env->loop, &b->http);
	if (r < 0) {
		destroy(&b->base);
		return r;
	}
	*ret = &b->base;
	return 0;
}

/* What is under way stops unreported (backend.h: the daemon is going). */
static void
destroy(struct cv_backend *base)
{
	struct osb *b = osb_of(base);

	while (b->ops) {
		struct pending *p = b->ops;

		b->ops = p->next;
		if (p->round && --p->round->left == 0)
			free(p->round);
		cv_os_op_cancel(p->os_op);
		free(p);
	}
	while (b->clients) {
		struct client *cl = b->clients;

		b->clients = cl->next;
		cv_os_client_free(cl->os);
		free(cl);
	}
	cv_http_free(b->http);
	free(b->held);
	free(b->checked);
	free(b->seen);
	free(b);
}

const struct cv_backend_ops cv_openstack_backend = {
	.kind = CV_BACKEND_OPENSTACK,
	.create = create,
	.destroy = destroy,
	.switch_config = switch_config,
	.acquire = acquire,
	.release = release,
	.refresh = refresh,
	.announce = NULL, /* Neutron tells the router: nothing of ours to send */
	.status = status,
};
