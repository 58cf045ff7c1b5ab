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
 * order), and so do those of one address under two names (a reload renamed
 * the VIP or gave its address to another: the old name's unassign must not
 * come after the new one's move). What an operation needs of its VIP is
 * copied when it is asked: a release still runs when a reload removed the
 * VIP meanwhile.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/socket.h>

#include <qb/qblog.h>

#include "aws-backend-int.h"
#include "cv-error.h"
#include "cv-macros.h"

extern const struct cv_backend_ops cv_aws_backend; /* backend/backend.c's lookup */

/* ---- the queue: one operation of a VIP at a time ---- */

static void start(struct pending *p);

/*
 * Operations on one VIP, or on one cloud address under two names (a reload
 * renamed a VIP, or gave its address to another: the old name's unassign
 * may still run when the new one's move starts), go one at a time.
 */
static bool
conflict(const struct pending *p, const char *name, const char *address)
{
	return strcmp(p->name, name) == 0 || strcmp(p->address, address) == 0;
}

/* The first operation not running that conflicts with name or address and
 * waits behind nothing, started; again until there is none. */
static void
kick(struct awsb *b, const char *name, const char *address)
{
	for (bool again = true; again;) {
		again = false;
		for (struct pending *q = b->ops; q; q = q->next) {
			bool behind = false;

			if (q->running || !conflict(q, name, address))
				continue;
			for (const struct pending *e = b->ops; e != q && !behind; e = e->next)
				behind = conflict(e, q->name, q->address);
			if (behind)
				continue;
			start(q); /* may change the queue: look again */
			again = true;
			break;
		}
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
	if (err == -EADDRNOTAVAIL && b->env.gone && !p->stub)
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
	char name[CV_NAME_MAX + 1], address[CV_AWS_IP_MAX];

	for (struct pending **q = &b->ops; *q; q = &(*q)->next)
		if (*q == p) {
			*q = p->next;
			break;
		}
	snprintf(name, sizeof(name), "%s", p->name);
	snprintf(address, sizeof(address), "%s", p->address);
	cv_awsb_client_put(b, p->cl);
	if (p->stub) { /* L2 may still name it */
		p->st->next = b->stubs;
		b->stubs = p->st;
	} else {
		free(p->st);
	}
	free(p);
	kick(b, name, address);
}

void
cv_awsb_finish(struct pending *p, int err, const char *why)
{
	if (err < 0)
		qb_log(err == -EADDRNOTAVAIL || p->quiet ? LOG_WARNING : LOG_ERR,
		       "VIP '%s': %s of %s failed: %s", p->name, cv_action_type_to_string(p->op),
		       cv_awsb_resource_of(p), why);
	report(p, err, why);
	drop(p);
}

/* The address to L2 (its add or removal), which reports it as its own. */
static bool
hand_to_l2(struct pending *p)
{
	struct cv_backend_op op = { .conf = p->conf, .vip = p->vip, .epoch = p->stamp.epoch,
				    .ring = p->stamp.ring };

	if (p->op == CV_ACT_ADDR_ADD && p->stub) {
		cv_awsb_finish(p, -ECANCELED, "a reload removed or changed the VIP");
		return false;
	}
	if (cv_backend_to_l2(&p->b->env, &op, p->op == CV_ACT_ADDR_ADD, p->lease_s) < 0) {
		cv_awsb_finish(p, -EOPNOTSUPP, "modes secondary_ip and route need the daemon's L2 backend");
		return false;
	}
	return true;
}

static void
on_done(void *userdata, int err, const char *why, const struct cv_aws_seen *seen)
{
	struct pending *p = userdata;

	p->mover = NULL;
	cv_awsb_note(p, err, why, seen);
	if (err < 0 || p->op != CV_ACT_ADDR_ADD || p->mode == CV_CLOUD_ELASTIC_IP)
		return cv_awsb_finish(p, err, why);
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

/* ---- operations ---- */

static void
start(struct pending *p)
{
	p->running = true;
	if (p->op == CV_ACT_ADDR_ADD && p->stub)
		return cv_awsb_finish(p, -ECANCELED, "a reload removed or changed the VIP");
	if (p->op == CV_ACT_ADDR_DEL && p->mode != CV_CLOUD_ELASTIC_IP) {
		/* L2 first: our RELEASED waits for no API */
		if (!hand_to_l2(p))
			return;
		if (p->mode == CV_CLOUD_ROUTE)
			return drop(p);
		p->quiet = true; /* then the unassign, if it is still ours */
	}
	cv_awsb_proceed(p);
}

/* The cloud's part of p, once its client knows its region and our ENI. */
void
cv_awsb_proceed(struct pending *p)
{
	struct cv_aws_client *c = p->cl->c;
	struct cv_aws_target t;
	int r;

	if (!p->eni[0])
		snprintf(p->eni, sizeof(p->eni), "%s", p->cl->eni);
	if (!cv_aws_client_has_region(c) || !p->eni[0])
		return cv_awsb_wait_for_imds(p);
	t = target_of(p);
	if (p->op == CV_ACT_ADDR_ADD)
		r = cv_aws_move(c, &t, p->stamp, on_done, p, &p->mover);
	else if (p->op == CV_ACT_ADDR_DEL)
		r = cv_aws_release(c, &t, p->stamp, on_done, p, &p->mover);
	else
		r = cv_aws_check(c, &t, p->stamp, on_done, p, &p->mover);
	if (r < 0)
		cv_awsb_finish(p, r, cv_strerror(r));
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
	snprintf(p->eni, sizeof(p->eni), "%s", v->eni ? v->eni : ""); /* "": IMDS's */
	snprintf(p->private_ip, sizeof(p->private_ip), "%s", v->fixed_ip ? v->fixed_ip : "");
	snprintf(p->route_table, sizeof(p->route_table), "%s", v->route_table ? v->route_table : "");
	snprintf(p->ifname, sizeof(p->ifname), "%s", v->interface ? v->interface : "");
}

static void
submit(struct awsb *b, const struct cv_backend_op *o, enum cv_action_type act, uint32_t lease_s,
       struct round *round)
{
	struct pending *p = calloc(1, sizeof(*p)), **tail;
	struct stub *st = p ? calloc(1, sizeof(*st)) : NULL;

	if (p && st)
		p->cl = cv_awsb_client_take(b, o->conf);
	if (!p || !st || !p->cl) {
		/* a client is made at need: out of memory, unless an orphan's section is gone */
		int err = p && st && !o->conf->cloud_conf ? -ENOENT : -ENOMEM;

		free(st);
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
	*p = (struct pending){ .b = b, .cl = p->cl, .conf = o->conf, .st = st,
			       .mode = o->conf->mode, .op = act, .vip = o->vip, .lease_s = lease_s, .round = round,
			       .stamp = { .ring = o->ring, .epoch = o->epoch, .node = b->env.nodeid } };
	snprintf(p->name, sizeof(p->name), "%s", o->conf->head.name);
	copy_target(p, o->conf);
	for (tail = &b->ops; *tail; tail = &(*tail)->next)
		;
	*tail = p;
	kick(b, p->name, p->address);
}

static bool
in_flight(const struct awsb *b, const char *name)
{
	for (const struct pending *p = b->ops; p; p = p->next)
		if (strcmp(p->name, name) == 0)
			return true;
	return false;
}

static void
stubs_free(struct stub *s)
{
	while (s) {
		struct stub *next = s->next;

		free(s);
		s = next;
	}
}

/* p's VIP as it was (p->conf, about to go), in p's stub. */
static const struct cv_vip_conf *
stub_of(struct pending *p)
{
	struct stub *s = p->st;

	snprintf(s->name, sizeof(s->name), "%s", p->name);
	snprintf(s->ifname, sizeof(s->ifname), "%s", p->ifname);
	s->conf = (struct cv_vip_conf){ .head = { .name = s->name },
					.backend = CV_BACKEND_AWS,
					.mode = p->mode,
					.interface = s->ifname[0] ? s->ifname : NULL,
					.addrs = p->conf->addrs };
	return &s->conf;
}

static bool
same_str(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") == 0;
}

/* What L2 is handed of p's VIP is the same in v: its address and interface. */
static bool
same_on_l2(const struct pending *p, const struct cv_vip_conf *v)
{
	return v->backend == CV_BACKEND_AWS && v->mode == p->mode &&
	       cv_vip_addrs_equal(&v->addrs, &p->conf->addrs) &&
	       same_str(v->interface, p->conf->interface);
}

/* ---- the backend's operations ---- */

static void
acquire(struct cv_backend *base, const struct cv_backend_op *ops, size_t n, uint32_t lease_s)
{
	for (size_t i = 0; i < n; i++)
		submit(awsb_of(base), &ops[i], CV_ACT_ADDR_ADD, lease_s, NULL);
}

static void
release(struct cv_backend *base, const struct cv_backend_op *ops, size_t n)
{
	for (size_t i = 0; i < n; i++)
		submit(awsb_of(base), &ops[i], CV_ACT_ADDR_DEL, 0, NULL);
}

/*
 * Each held VIP read once. In the daemon one RENEW result once all are
 * read; a VIP with an operation under way is left out (what it does
 * answers for it, and the round does not wait behind a long move), and so
 * is one we never moved (nothing to compare with).
 */
static void
refresh(struct cv_backend *base, const struct cv_backend_op *held, size_t n, uint32_t lease_s)
{
	struct awsb *b = awsb_of(base);
	struct round *round = NULL;

	if (!b->env.oneshot) {
		round = calloc(1, sizeof(*round));
		if (!round)
			return b->env.result(b->env.userdata, NULL, CV_ACT_RENEW, 0, -ENOMEM, NULL);
		round->left = 1; /* ours, until every VIP is submitted */
	}
	for (size_t i = 0; i < n; i++) {
		const struct seen *s = cv_awsb_seen_find(b, held[i].conf->head.name);
		struct cv_backend_op op = held[i];

		if (held[i].conf->backend != CV_BACKEND_AWS)
			continue;
		if (round) { /* checked against our last move of it, if one is known */
			if (!s || !s->moved.ring || in_flight(b, held[i].conf->head.name))
				continue;
			op.ring = s->moved.ring;
			op.epoch = s->moved.epoch;
			round->left++;
		}
		submit(b, &op, CV_ACT_RENEW, lease_s, round);
	}
	if (round && --round->left == 0) {
		free(round);
		b->env.result(b->env.userdata, NULL, CV_ACT_RENEW, 0, 0, NULL);
	}
}

/*
 * The config goes: what is queued names the next config's VIP of the same
 * name, mode, address and interface (what L2 is handed), or its own stub
 * (the executor reads its name; L2, to release a secondary IP or route
 * mode's address, its address and interface): a VIP whose address or
 * interface changed is another holding, the old one's release an orphan's
 * (engine-orphan.c). Every client is retired: the next operation makes one
 * from the next config's settings.
 */
static void
switch_config(struct cv_backend *base, const struct cv_config *next)
{
	struct awsb *b = awsb_of(base);
	struct stub *old = b->stubs; /* L2 has drained what named them */

	b->stubs = NULL;
	b->cfg = next;
	for (struct pending *p = b->ops; p; p = p->next) {
		const struct cv_vip_conf *v = next ? cv_config_find_vip(next, p->name) : NULL;

		/* the same address on the same interface: L2 is handed next's
		 * VIP (its index too); a changed one is an orphan's in the
		 * engine, whose release is its own */
		if (v && same_on_l2(p, v)) {
			p->conf = v;
			p->vip = (uint32_t)(v - next->vips);
			p->stub = false;
			continue;
		}
		p->conf = stub_of(p);
		p->stub = true;
	}
	stubs_free(old);
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
			cv_awsb_client_free(b, cl);
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
	struct awsb *b = awsb_of(base);

	/* what is under way goes first, then the clients cancel its calls */
	for (struct pending *p = b->ops; p; p = p->next)
		if (p->mover)
			cv_aws_mover_abandon(p->mover);
	for (struct client *cl = b->clients; cl; cl = cl->next)
		free(cl->reading);
	while (b->clients)
		cv_awsb_client_free(b, b->clients); /* their calls cancelled: no done is called */
	while (b->ops) {
		struct pending *p = b->ops;

		b->ops = p->next;
		if (p->round && --p->round->left == 0)
			free(p->round);
		free(p->st);
		free(p);
	}
	while (b->seen) {
		struct seen *s = b->seen;

		b->seen = s->next;
		free(s);
	}
	stubs_free(b->stubs);
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
	.status = cv_awsb_status,
};
