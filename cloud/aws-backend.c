/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The AWS backend (backend.h, issue 18), its three modes on the mover of
 * cloud/aws-move.h (read, write, tag, verify: a stale mover yields), each
 * move stamped with the operation's ring, epoch and our node id:
 *
 *  - elastic_ip: acquire associates the Elastic IP with our ENI; release
 *    disassociates it if it is still ours with no newer stamp (a taker's
 *    association moves it anyway: the release only stops its traffic
 *    coming here meanwhile). No address of ours on an interface.
 *  - secondary_ip: acquire assigns the address to our ENI (AllowReassignment
 *    takes it from the last holder's), then hands it to L2
 *    (env->backend_of), which adds and announces it and reports the acquire
 *    as its own; release hands it to L2 at once (our RELEASED waits for no
 *    API), then unassigns it from our ENI if it is still there with no newer
 *    stamp, reported to nobody.
 *  - route: acquire points the table's route to the address (/32, /128) at
 *    our ENI, then hands it to L2 as above; release is L2's alone (a route
 *    points somewhere: the next taker points it on). The ENI's
 *    source/destination check must be off for the overlay address (docs).
 *
 * Every mode: a renewal round reads each held VIP once; one that is no
 * longer ours (elsewhere, or a newer stamp there) is gone (env->gone: the
 * engine takes it back, and a newer mover's stamp makes ours yield). The
 * secondary IP and route modes need the daemon's L2 backend beside: they
 * do not run one-shot (cli-vip.c, the OCF agent refuse them).
 *
 * One EC2 client per cloud section (its credentials and IMDS token
 * cached), on one HTTP client on the loop, taken by an operation when it
 * is asked; a reload retires every client (the next operation makes one
 * from the new settings) and a retired one goes once its last operation is
 * over. The operations of one VIP run one at a time in the order asked (a
 * release after a move reads what the move left; L2 hears of them in that
 * order). What an operation needs of its VIP is copied when it is asked: a
 * release still runs when a reload removed the VIP meanwhile.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sys/socket.h>

#include <qb/qblog.h>

#include "aws-move.h"
#include "backend.h"
#include "cv-error.h"
#include "cv-macros.h"

extern const struct cv_backend_ops cv_aws_backend; /* backend/backend.c's lookup */

struct client {
	struct client *next;
	char name[CV_NAME_MAX + 1]; /* the cloud section's */
	struct cv_aws_client *c;
	size_t busy;  /* operations that took it */
	bool retired; /* a reload: no new operation takes it */
};

/* A refresh's VIPs: its one RENEW result once all are read (the daemon). */
struct round {
	size_t left;
};

struct pending {
	struct pending *next;
	struct awsb *b;
	struct client *cl;
	const struct cv_vip_conf *conf; /* re-pointed at a reload; &stub once it left */
	struct cv_vip_conf stub;
	char ifname[CV_IFNAME_MAX + 1]; /* the stub's interface (L2 releases it) */
	char name[CV_NAME_MAX + 1];	/* its VIP's */
	enum cv_cloud_mode mode;
	enum cv_action_type op; /* ADDR_ADD, ADDR_DEL, RENEW */
	uint32_t vip, lease_s;	/* for L2 */
	struct cv_aws_stamp stamp;
	struct round *round;
	bool running;
	bool quiet; /* a secondary IP's unassign after L2's release: nobody waits */
	/* the mover's target, its strings copied here */
	char address[CV_AWS_IP_MAX], eni[CV_AWS_ID_MAX], private_ip[CV_AWS_IP_MAX],
		route_table[CV_AWS_ID_MAX];
};

/* What the last operation of a VIP saw, for status. */
struct seen {
	struct seen *next;
	char name[CV_NAME_MAX + 1];
	struct cv_backend_status st;
};

struct awsb {
	struct cv_backend base;
	struct cv_backend_env env;
	struct cv_http *http;
	struct client *clients;
	struct pending *ops; /* in the order asked */
	struct seen *seen;
};

static struct awsb *
of(struct cv_backend *b)
{
	return container_of(b, struct awsb, base);
}

static int64_t
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- clients ---- */

static void
client_free(struct awsb *b, struct client *cl)
{
	for (struct client **q = &b->clients; *q; q = &(*q)->next)
		if (*q == cl) {
			*q = cl->next;
			break;
		}
	cv_aws_client_free(cl->c);
	free(cl);
}

static struct client *
client_find(struct awsb *b, const char *name, bool retired)
{
	for (struct client *cl = b->clients; cl; cl = cl->next)
		if (cl->retired == retired && strcmp(cl->name, name) == 0)
			return cl;
	return NULL;
}

/*
 * The client of v's cloud section (made now if need be), taken: busy. A
 * reload's orphan (cloud_conf NULL: its section may be gone) takes what
 * there is of that name.
 */
static struct client *
client_take(struct awsb *b, const struct cv_vip_conf *v)
{
	const struct cv_cloud_conf *k = v->cloud_conf;
	struct client *cl = client_find(b, k ? k->head.name : v->cloud, false);
	char endpoint[256];

	if (!cl && !k)
		cl = client_find(b, v->cloud, true);
	if (cl || !k)
		goto taken;
	cl = calloc(1, sizeof(*cl));
	if (!cl)
		return NULL;
	snprintf(cl->name, sizeof(cl->name), "%s", k->head.name);
	snprintf(endpoint, sizeof(endpoint), "https://ec2.%s.amazonaws.com/", k->region);
	if (cv_aws_client_new(b->env.loop, b->http,
			      &(struct cv_aws_params){
				      .endpoint = k->endpoint ? k->endpoint : endpoint,
				      .region = k->region,
				      .from_env = true,
				      .credentials_file = k->credentials_file,
				      .profile = k->profile,
				      .imds = k->imds,
				      .deadline_ms = k->op_timeout_ms,
				      .attempt_timeout_ms = k->call_timeout_ms,
				      .ca_file = k->ca_file,
				      .verify_tls = k->tls_verify,
				      .proxy = k->proxy ? k->proxy : "",
			      },
			      &cl->c) < 0) {
		free(cl);
		return NULL;
	}
	cl->next = b->clients;
	b->clients = cl;
taken:
	if (cl)
		cl->busy++;
	return cl;
}

static void
client_put(struct awsb *b, struct client *cl)
{
	if (--cl->busy == 0 && cl->retired)
		client_free(b, cl);
}

/* ---- what status shows ---- */

static struct cv_backend_status *
seen_of(struct awsb *b, const char *name)
{
	struct seen *s;

	for (s = b->seen; s; s = s->next)
		if (strcmp(s->name, name) == 0)
			return &s->st;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->next = b->seen;
	b->seen = s;
	return &s->st;
}

static const char *
resource_of(const struct pending *p)
{
	return p->mode == CV_CLOUD_ELASTIC_IP ? p->address
	       : p->mode == CV_CLOUD_ROUTE    ? p->route_table
					      : p->eni;
}

static void
note(struct pending *p, int err, const char *why, const struct cv_aws_seen *seen)
{
	struct cv_backend_status *st = seen_of(p->b, p->name);

	if (!st)
		return;
	snprintf(st->resource, sizeof(st->resource), "%s", resource_of(p));
	if (seen) {
		snprintf(st->where, sizeof(st->where), "%s",
			 strcmp(seen->where, "-") == 0 ? "" : seen->where);
		st->ring = seen->stamp.ring;
		st->epoch = seen->stamp.epoch;
		st->node = seen->stamp.node;
		st->read_at_ms = wall_ms();
	}
	if (err < 0 && err != -EADDRNOTAVAIL) {
		snprintf(st->error, sizeof(st->error), "%s of %s: %s", cv_action_type_to_string(p->op),
			 resource_of(p), why);
		st->error_at_ms = wall_ms();
	} else if (err == 0 && !p->quiet) {
		st->error[0] = '\0';
	}
}

static bool
status(struct cv_backend *base, const struct cv_vip_conf *v, struct cv_backend_status *ret)
{
	for (struct seen *s = of(base)->seen; s; s = s->next)
		if (strcmp(s->name, v->head.name) == 0) {
			*ret = s->st;
			return true;
		}
	return false;
}

/* ---- the queue: one operation of a VIP at a time ---- */

static void start(struct pending *p);

static void
kick(struct awsb *b, const char *name)
{
	for (struct pending *q = b->ops; q; q = q->next)
		if (strcmp(q->name, name) == 0) {
			if (!q->running)
				start(q);
			return;
		}
}

static void
report(struct pending *p, int err, const char *why)
{
	struct awsb *b = p->b;

	if (p->quiet)
		return;
	if (!p->round)
		return b->env.result(b->env.userdata, p->conf, p->op, p->stamp.epoch, err,
				     err < 0 ? why : NULL);
	if (err == -EADDRNOTAVAIL && b->env.gone && p->conf != &p->stub)
		b->env.gone(b->env.userdata, p->conf); /* moved elsewhere behind our back */
	if (--p->round->left == 0) {
		free(p->round);
		b->env.result(b->env.userdata, NULL, CV_ACT_RENEW, 0, 0, NULL);
	}
}

/* p is over: out of the queue, the next operation of its VIP started. */
static void
drop(struct pending *p)
{
	struct awsb *b = p->b;
	char name[CV_NAME_MAX + 1];

	for (struct pending **q = &b->ops; *q; q = &(*q)->next)
		if (*q == p) {
			*q = p->next;
			break;
		}
	snprintf(name, sizeof(name), "%s", p->name);
	client_put(b, p->cl);
	free(p);
	kick(b, name);
}

static void
finish(struct pending *p, int err, const char *why)
{
	if (err < 0)
		qb_log(err == -EADDRNOTAVAIL || p->quiet ? LOG_WARNING : LOG_ERR,
		       "VIP '%s': %s of %s failed: %s", p->name, cv_action_type_to_string(p->op),
		       resource_of(p), why);
	report(p, err, why);
	drop(p);
}

/* The address to L2 (its add or removal), which reports it as its own. */
static bool
hand_to_l2(struct pending *p)
{
	struct awsb *b = p->b;
	struct cv_backend *l2 = b->env.backend_of ? b->env.backend_of(b->env.userdata, CV_BACKEND_L2)
						  : NULL;
	struct cv_backend_op op = { .conf = p->conf, .vip = p->vip, .epoch = p->stamp.epoch,
				    .ring = p->stamp.ring };

	if (!l2) {
		finish(p, -EOPNOTSUPP, "modes secondary_ip and route need the daemon's L2 backend");
		return false;
	}
	if (p->op == CV_ACT_ADDR_ADD && p->conf == &p->stub) {
		finish(p, -ECANCELED, "a reload removed the VIP");
		return false;
	}
	if (p->op == CV_ACT_ADDR_ADD)
		l2->ops->acquire(l2, &op, 1, p->lease_s);
	else
		l2->ops->release(l2, &op, 1);
	return true;
}

static void
on_done(void *userdata, int err, const char *why, const struct cv_aws_seen *seen)
{
	struct pending *p = userdata;

	note(p, err, why, seen);
	if (err < 0 || p->op != CV_ACT_ADDR_ADD || p->mode == CV_CLOUD_ELASTIC_IP)
		return finish(p, err, why);
	if (hand_to_l2(p)) /* it reports the acquire */
		drop(p);
}

static struct cv_aws_target
target_of(const struct pending *p)
{
	static const enum cv_aws_mode modes[_CV_CLOUD_MODE_MAX] = {
		[CV_CLOUD_ELASTIC_IP] = CV_AWS_ELASTIC_IP,
		[CV_CLOUD_SECONDARY_IP] = CV_AWS_SECONDARY_IP,
		[CV_CLOUD_ROUTE] = CV_AWS_ROUTE,
	};

	return (struct cv_aws_target){ .mode = modes[p->mode],
				       .vip = p->name,
				       .address = p->address,
				       .eni = p->eni,
				       .private_ip = p->private_ip[0] ? p->private_ip : NULL,
				       .route_table = p->route_table[0] ? p->route_table : NULL };
}

static void
start(struct pending *p)
{
	struct cv_aws_client *c = p->cl->c;
	struct cv_aws_target t = target_of(p);
	int r;

	p->running = true;
	if (p->op == CV_ACT_ADDR_ADD && p->conf == &p->stub)
		return finish(p, -ECANCELED, "a reload removed the VIP");
	if (p->op == CV_ACT_ADDR_DEL && p->mode != CV_CLOUD_ELASTIC_IP) {
		/* L2 first: our RELEASED waits for no API */
		if (!hand_to_l2(p))
			return;
		if (p->mode == CV_CLOUD_ROUTE)
			return drop(p);
		p->quiet = true; /* then the unassign, if it is still ours */
	}
	if (p->op == CV_ACT_ADDR_ADD)
		r = cv_aws_move(c, &t, p->stamp, on_done, p);
	else if (p->op == CV_ACT_ADDR_DEL)
		r = cv_aws_release(c, &t, p->stamp, on_done, p);
	else
		r = cv_aws_check(c, &t, p->stamp, on_done, p);
	if (r < 0)
		finish(p, r, cv_strerror(r));
}

/* The mover's target of v, copied into p. */
static void
copy_target(struct pending *p, const struct cv_vip_conf *v)
{
	const struct cv_addr *a = cv_vip_first_addr(v);
	char host[CV_ADDR_STRLEN];

	cv_addr_format(a, false, host, sizeof(host));
	if (v->mode == CV_CLOUD_ELASTIC_IP)
		snprintf(p->address, sizeof(p->address), "%s", v->allocation_id);
	else if (v->mode == CV_CLOUD_ROUTE)
		snprintf(p->address, sizeof(p->address), "%s/%d", host, a->family == AF_INET ? 32 : 128);
	else
		snprintf(p->address, sizeof(p->address), "%s", host);
	snprintf(p->eni, sizeof(p->eni), "%s", v->eni);
	snprintf(p->private_ip, sizeof(p->private_ip), "%s", v->fixed_ip ? v->fixed_ip : "");
	snprintf(p->route_table, sizeof(p->route_table), "%s", v->route_table ? v->route_table : "");
	snprintf(p->ifname, sizeof(p->ifname), "%s", v->interface ? v->interface : "");
}

static void
submit(struct awsb *b, const struct cv_backend_op *o, enum cv_action_type act, uint32_t lease_s,
       struct round *round)
{
	struct pending *p = calloc(1, sizeof(*p)), **tail;

	if (p)
		p->cl = client_take(b, o->conf);
	if (!p || !p->cl) {
		/* a client is made at need: out of memory, unless an orphan's section is gone */
		int err = p && !o->conf->cloud_conf ? -ENOENT : -ENOMEM;

		free(p);
		qb_log(LOG_ERR, "VIP '%s': %s: no EC2 client: %s", o->conf->head.name,
		       cv_action_type_to_string(act),
		       err == -ENOENT ? "its cloud section is gone" : cv_strerror(err));
		if (!round)
			return b->env.result(b->env.userdata, o->conf, act, o->epoch, err,
					     "no EC2 client");
		if (--round->left == 0) {
			free(round);
			b->env.result(b->env.userdata, NULL, CV_ACT_RENEW, 0, 0, NULL);
		}
		return;
	}
	*p = (struct pending){ .b = b, .cl = p->cl, .conf = o->conf, .mode = o->conf->mode,
			       .op = act, .vip = o->vip, .lease_s = lease_s, .round = round,
			       .stamp = { .ring = o->ring, .epoch = o->epoch, .node = b->env.nodeid } };
	snprintf(p->name, sizeof(p->name), "%s", o->conf->head.name);
	copy_target(p, o->conf);
	for (tail = &b->ops; *tail; tail = &(*tail)->next)
		;
	*tail = p;
	kick(b, p->name);
}

static bool
in_flight(const struct awsb *b, const char *name)
{
	for (const struct pending *p = b->ops; p; p = p->next)
		if (strcmp(p->name, name) == 0)
			return true;
	return false;
}

/* ---- the backend's operations ---- */

static void
acquire(struct cv_backend *base, const struct cv_backend_op *ops, size_t n, uint32_t lease_s)
{
	for (size_t i = 0; i < n; i++)
		submit(of(base), &ops[i], CV_ACT_ADDR_ADD, lease_s, NULL);
}

static void
release(struct cv_backend *base, const struct cv_backend_op *ops, size_t n)
{
	for (size_t i = 0; i < n; i++)
		submit(of(base), &ops[i], CV_ACT_ADDR_DEL, 0, NULL);
}

/*
 * Each held VIP read once. In the daemon one RENEW result once all are
 * read; a VIP with an operation under way is left out (what it does
 * answers for it, and the round does not wait behind a long move).
 */
static void
refresh(struct cv_backend *base, const struct cv_backend_op *held, size_t n, uint32_t lease_s)
{
	struct awsb *b = of(base);
	struct round *round = NULL;

	if (!b->env.oneshot) {
		round = calloc(1, sizeof(*round));
		if (!round)
			return b->env.result(b->env.userdata, NULL, CV_ACT_RENEW, 0, -ENOMEM, NULL);
		round->left = 1; /* ours, until every VIP is submitted */
	}
	for (size_t i = 0; i < n; i++) {
		if (held[i].conf->backend != CV_BACKEND_AWS ||
		    (round && in_flight(b, held[i].conf->head.name)))
			continue;
		if (round)
			round->left++;
		submit(b, &held[i], CV_ACT_RENEW, lease_s, round);
	}
	if (round && --round->left == 0) {
		free(round);
		b->env.result(b->env.userdata, NULL, CV_ACT_RENEW, 0, 0, NULL);
	}
}

/*
 * The config goes: what is queued names the next config's VIP of the same
 * name and mode, or its own stub (the executor reads its name; L2, to
 * release a secondary IP or route mode's address, its address and
 * interface). Every client is retired: the next operation makes one from
 * the next config's settings.
 */
static void
switch_config(struct cv_backend *base, const struct cv_config *next)
{
	struct awsb *b = of(base);

	for (struct pending *p = b->ops; p; p = p->next) {
		const struct cv_vip_conf *v = next ? cv_config_find_vip(next, p->name) : NULL;

		if (v && v->backend == CV_BACKEND_AWS && v->mode == p->mode) {
			p->conf = v;
			continue;
		}
		p->stub = (struct cv_vip_conf){ .head = { .name = p->name },
						 .backend = CV_BACKEND_AWS,
						 .mode = p->mode,
						 .interface = p->ifname[0] ? p->ifname : NULL,
						 .addrs = p->conf->addrs };
		p->conf = &p->stub;
	}
	for (struct seen **q = &b->seen; *q;) {
		struct seen *s = *q;
		const struct cv_vip_conf *v = next ? cv_config_find_vip(next, s->name) : NULL;

		if (v && v->backend == CV_BACKEND_AWS) {
			q = &s->next;
			continue;
		}
		*q = s->next;
		free(s);
	}
	for (struct client *cl = b->clients, *nx; cl; cl = nx) {
		nx = cl->next;
		cl->retired = true;
		if (!cl->busy)
			client_free(b, cl);
	}
}

static int
create(const struct cv_backend_env *env, struct cv_backend **ret)
{
	struct awsb *b = calloc(1, sizeof(*b));
	int r;

	if (!b)
		return -ENOMEM;
	b->base.ops = &cv_aws_backend;
	b->env = *env;
	r = cv_http_new(env->loop, &b->http);
	if (r < 0) {
		free(b);
		return r;
	}
	*ret = &b->base;
	return 0;
}

static void
destroy(struct cv_backend *base)
{
	struct awsb *b = of(base);

	while (b->clients)
		client_free(b, b->clients); /* their calls cancelled: no done is called */
	while (b->ops) {
		struct pending *p = b->ops;

		b->ops = p->next;
		if (p->round && --p->round->left == 0)
			free(p->round);
		free(p);
	}
	while (b->seen) {
		struct seen *s = b->seen;

		b->seen = s->next;
		free(s);
	}
	cv_http_free(b->http);
	free(b);
}

const struct cv_backend_ops cv_aws_backend = {
	.kind = CV_BACKEND_AWS,
	.create = create,
	.destroy = destroy,
	.switch_config = switch_config,
	.acquire = acquire,
	.release = release,
	.refresh = refresh,
	.status = status,
};
