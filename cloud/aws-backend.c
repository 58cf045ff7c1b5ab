/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The AWS backend (backend.h, issue 18), mode elastic_ip in this version:
 * EC2 associates the Elastic IP (the VIP's allocation_id) with this node's
 * ENI, on the mover of cloud/aws-move.h (read, write, tag, verify: a stale
 * mover yields). acquire moves it to us with the operation's stamp (ring,
 * epoch, our node id); release disassociates it if it is still ours with
 * no newer stamp (a taker's association moves it anyway: the release only
 * stops its traffic coming here meanwhile); refresh reads it, and one that
 * is no longer ours is gone (env->gone: the engine takes it back, and a
 * newer mover's stamp makes ours yield).
 *
 * One EC2 client per cloud section name (its credentials and IMDS token
 * cached), on one HTTP client on the loop. The operations of one VIP run one
 * at a time in the order asked (a release after a move reads what the move
 * left).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
};

/* A refresh's VIPs: its one RENEW result once all are read (the daemon). */
struct round {
	size_t left;
};

struct pending {
	struct pending *next;
	struct awsb *b;
	const struct cv_vip_conf *conf; /* NULL: the VIP left the config while we ran */
	char name[CV_NAME_MAX + 1];	/* its VIP's */
	enum cv_action_type op; /* ADDR_ADD, ADDR_DEL, RENEW */
	struct cv_aws_stamp stamp;
	struct round *round;
	bool running;
};

struct awsb {
	struct cv_backend base;
	struct cv_backend_env env;
	struct cv_http *http;
	struct client *clients;
	struct pending *ops; /* in the order asked */
};

static struct awsb *
of(struct cv_backend *b)
{
	return container_of(b, struct awsb, base);
}

/* The client of v's cloud section, made at first use. */
static struct cv_aws_client *
client_of(struct awsb *b, const struct cv_vip_conf *v)
{
	const struct cv_cloud_conf *k = v->cloud_conf;
	struct client *cl;
	char endpoint[256];

	for (cl = b->clients; cl; cl = cl->next)
		if (strcmp(cl->name, k->head.name) == 0)
			return cl->c;
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
	return cl->c;
}

static struct cv_aws_target
target_of(const struct cv_vip_conf *v)
{
	return (struct cv_aws_target){ .mode = CV_AWS_ELASTIC_IP,
				       .vip = v->head.name,
				       .address = v->allocation_id,
				       .eni = v->eni,
				       .private_ip = v->fixed_ip };
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

	if (!p->conf && !p->round)
		return; /* a VIP no longer in the config: nobody waits for its outcome */
	if (!p->round)
		return b->env.result(b->env.userdata, p->conf, p->op, p->stamp.epoch, err,
				     err < 0 ? why : NULL);
	if (err == -EADDRNOTAVAIL && b->env.gone && p->conf)
		b->env.gone(b->env.userdata, p->conf); /* moved elsewhere behind our back */
	if (--p->round->left == 0) {
		free(p->round);
		b->env.result(b->env.userdata, NULL, CV_ACT_RENEW, 0, 0, NULL);
	}
}

static void
finish(struct pending *p, int err, const char *why)
{
	struct awsb *b = p->b;
	char name[CV_NAME_MAX + 1];

	if (err < 0)
		qb_log(err == -EADDRNOTAVAIL ? LOG_WARNING : LOG_ERR, "VIP '%s': %s of its Elastic IP failed: %s",
		       p->name, cv_action_type_to_string(p->op), why);
	report(p, err, why);
	for (struct pending **q = &b->ops; *q; q = &(*q)->next)
		if (*q == p) {
			*q = p->next;
			break;
		}
	snprintf(name, sizeof(name), "%s", p->name);
	free(p);
	kick(b, name);
}

static void
on_done(void *userdata, int err, const char *why)
{
	finish(userdata, err, why);
}

static void
start(struct pending *p)
{
	struct cv_aws_client *c = client_of(p->b, p->conf);
	struct cv_aws_target t = target_of(p->conf);
	int r;

	p->running = true;
	if (!c)
		return finish(p, -ENOMEM, "no EC2 client");
	if (p->op == CV_ACT_ADDR_ADD)
		r = cv_aws_move(c, &t, p->stamp, on_done, p);
	else if (p->op == CV_ACT_ADDR_DEL)
		r = cv_aws_release(c, &t, p->stamp, on_done, p);
	else
		r = cv_aws_check(c, &t, p->stamp, on_done, p);
	if (r < 0)
		finish(p, r, cv_strerror(r));
}

static void
submit(struct awsb *b, const struct cv_backend_op *o, enum cv_action_type act, struct round *round)
{
	struct pending *p = calloc(1, sizeof(*p)), **tail;

	if (!p) {
		b->env.result(b->env.userdata, o->conf, act, o->epoch, -ENOMEM, "out of memory");
		return;
	}
	*p = (struct pending){ .b = b, .conf = o->conf, .op = act, .round = round,
			       .stamp = { .ring = o->ring, .epoch = o->epoch, .node = b->env.nodeid } };
	snprintf(p->name, sizeof(p->name), "%s", o->conf->head.name);
	for (tail = &b->ops; *tail; tail = &(*tail)->next)
		;
	*tail = p;
	kick(b, p->name);
}

/* ---- the backend's operations ---- */

static void
acquire(struct cv_backend *base, const struct cv_backend_op *ops, size_t n, uint32_t lease_s)
{
	for (size_t i = 0; i < n; i++)
		submit(of(base), &ops[i], CV_ACT_ADDR_ADD, NULL);
}

static void
release(struct cv_backend *base, const struct cv_backend_op *ops, size_t n)
{
	for (size_t i = 0; i < n; i++)
		submit(of(base), &ops[i], CV_ACT_ADDR_DEL, NULL);
}

static void
refresh(struct cv_backend *base, const struct cv_backend_op *held, size_t n, uint32_t lease_s)
{
	struct awsb *b = of(base);
	struct round *round = NULL;

	if (!b->env.oneshot) {
		if (n == 0)
			return b->env.result(b->env.userdata, NULL, CV_ACT_RENEW, 0, 0, NULL);
		round = calloc(1, sizeof(*round));
		if (!round)
			return b->env.result(b->env.userdata, NULL, CV_ACT_RENEW, 0, -ENOMEM, NULL);
		round->left = n;
	}
	for (size_t i = 0; i < n; i++)
		submit(b, &held[i], CV_ACT_RENEW, round);
}

/* The config is about to go: what is queued points into it. */
static void
switch_config(struct cv_backend *base, const struct cv_config *next)
{
	struct awsb *b = of(base);

	for (struct pending *p = b->ops, *nx; p; p = nx) {
		const struct cv_vip_conf *v = next ? cv_config_find_vip(next, p->name) : NULL;

		nx = p->next;
		p->conf = v && v->backend == CV_BACKEND_AWS ? v : NULL;
		if (!p->conf && !p->running)
			finish(p, -ECANCELED, "the VIP left the config");
	}
	/* clients hold copies of their settings: a changed section gets a new one */
	while (b->clients && !b->ops) {
		struct client *cl = b->clients;

		b->clients = cl->next;
		cv_aws_client_free(cl->c);
		free(cl);
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

	while (b->clients) {
		struct client *cl = b->clients;

		b->clients = cl->next;
		cv_aws_client_free(cl->c); /* its calls cancelled: their done is not called */
		free(cl);
	}
	while (b->ops) {
		struct pending *p = b->ops;

		b->ops = p->next;
		if (p->round && --p->round->left == 0)
			free(p->round);
		free(p);
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
};
