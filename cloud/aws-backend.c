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
	/* what IMDS tells (a section with imds and no region, a VIP with no
	 * eni): read once, when an operation first needs it */
	char eni[CV_AWS_ID_MAX]; /* the instance's primary ENI, "" not read */
	unsigned discovery;	 /* the reading under way (odd) or last done */
	struct reading *reading; /* ...that one */
};

/* A refresh's VIPs: its one RENEW result once all are read (the daemon). */
struct round {
	size_t left;
};

/*
 * What a queued operation names once a reload removed or changed its VIP
 * (made with the operation: a reload cannot fail for want of memory). L2
 * may keep a release of it queued after the operation is over: once that
 * is, it is kept until the next reload (L2's switch_config, before ours,
 * has done all its work by then) or the end.
 */
struct stub {
	struct stub *next;
	struct cv_vip_conf conf;
	char name[CV_NAME_MAX + 1];
	char ifname[CV_IFNAME_MAX + 1];
};

struct pending {
	struct pending *next;
	struct awsb *b;
	struct client *cl;
	const struct cv_vip_conf *conf; /* re-pointed at a reload; &st->conf once it left */
	struct stub *st;
	bool stub; /* conf is &st->conf */
	char ifname[CV_IFNAME_MAX + 1]; /* the VIP's interface (L2 releases it) */
	char name[CV_NAME_MAX + 1];	/* its VIP's */
	enum cv_cloud_mode mode;
	enum cv_action_type op; /* ADDR_ADD, ADDR_DEL, RENEW */
	uint32_t vip, lease_s;	/* for L2 */
	struct cv_aws_stamp stamp;
	struct round *round;
	bool running;
	bool quiet; /* a secondary IP's unassign after L2's release: nobody waits */
	struct cv_aws_mover *mover; /* its move, check or release under way */
	unsigned waiting; /* its client's IMDS reading it waits for; 0: none */
	/* the mover's target, its strings copied here */
	char address[CV_AWS_IP_MAX], eni[CV_AWS_ID_MAX], private_ip[CV_AWS_IP_MAX],
		route_table[CV_AWS_ID_MAX];
};

/* What the last operation of a VIP saw, for status, and our last move of it. */
struct seen {
	struct seen *next;
	char name[CV_NAME_MAX + 1];
	struct cv_backend_status st;
	/* the stamp our last acquire wrote: a renewal checks that no newer one
	 * is there (the executor's renewal names no epoch); ring 0: none */
	struct cv_aws_stamp moved;
};

struct awsb {
	struct cv_backend base;
	struct cv_backend_env env;
	struct cv_http *http;
	struct client *clients;
	struct pending *ops; /* in the order asked */
	struct seen *seen;
	struct stub *stubs; /* of operations over since the last reload */
	const struct cv_config *cfg; /* the running config (switch_config) */
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

	if (!cl && !k)
		cl = client_find(b, v->cloud, true);
	/* an orphan's retry after its reload's clients went: the running
	 * config's section of that name, if it has one */
	if (!cl && !k && v->cloud && b->cfg) {
		k = cv_config_find_cloud(b->cfg, v->cloud);
		k = k && k->type == CV_CLOUD_AWS ? k : NULL;
	}
	if (cl || !k)
		goto taken;
	cl = calloc(1, sizeof(*cl));
	if (!cl)
		return NULL;
	snprintf(cl->name, sizeof(cl->name), "%s", k->head.name);
	if (cv_aws_client_new(b->env.loop, b->http,
			      &(struct cv_aws_params){
				      .endpoint = k->endpoint,
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

static struct seen *
seen_find(struct awsb *b, const char *name)
{
	for (struct seen *s = b->seen; s; s = s->next)
		if (strcmp(s->name, name) == 0)
			return s;
	return NULL;
}

static struct seen *
seen_of(struct awsb *b, const char *name)
{
	struct seen *s = seen_find(b, name);

	if (s)
		return s;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->next = b->seen;
	b->seen = s;
	return s;
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
	struct seen *s = seen_of(p->b, p->name);
	struct cv_backend_status *st = s ? &s->st : NULL;

	if (!st)
		return;
	if (p->op == CV_ACT_ADDR_ADD && err == 0)
		s->moved = p->stamp;
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
	const struct seen *s = seen_find(of(base), v->head.name);

	if (s && (s->st.read_at_ms || s->st.error_at_ms))
		*ret = s->st;
	return s && (s->st.read_at_ms || s->st.error_at_ms);
}

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
	client_put(b, p->cl);
	if (p->stub) { /* L2 may still name it */
		p->st->next = b->stubs;
		b->stubs = p->st;
	} else {
		free(p->st);
	}
	free(p);
	kick(b, name, address);
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
	struct cv_backend_op op = { .conf = p->conf, .vip = p->vip, .epoch = p->stamp.epoch,
				    .ring = p->stamp.ring };

	if (p->op == CV_ACT_ADDR_ADD && p->stub) {
		finish(p, -ECANCELED, "a reload removed or changed the VIP");
		return false;
	}
	if (cv_backend_to_l2(&p->b->env, &op, p->op == CV_ACT_ADDR_ADD, p->lease_s) < 0) {
		finish(p, -EOPNOTSUPP, "modes secondary_ip and route need the daemon's L2 backend");
		return false;
	}
	return true;
}

static void
on_done(void *userdata, int err, const char *why, const struct cv_aws_seen *seen)
{
	struct pending *p = userdata;

	p->mover = NULL;
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

/* ---- IMDS: the region and our ENI, when the config leaves them to it ---- */

static void proceed(struct pending *p);

/* Every operation that waited for the reading that ended: on, or failed. */
static void
discovered(struct client *cl, struct awsb *b, unsigned reading, int err, const char *why)
{
	struct pending *p;

	cl->discovery = reading + 1;
	if (err < 0)
		qb_log(LOG_ERR, "cloud '%s': reading IMDS failed: %s", cl->name, why);
	for (;;) {
		for (p = b->ops; p && !(p->cl == cl && p->waiting == reading); p = p->next)
			;
		if (!p)
			return;
		p->waiting = 0;
		if (err < 0)
			finish(p, err, why);
		else
			proceed(p);
	}
}

/* What IMDS answered: one line of [A-Za-z0-9-] (a region, a MAC's parts, an ENI id). */
static int
imds_word(const struct cv_aws_answer *a, char *out, size_t size)
{
	size_t n;

	if (a->err < 0)
		return a->err;
	n = a->body ? strcspn(a->body, "\r\n") : 0;
	if (n == 0 || n >= size ||
	    n != strspn(a->body, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-"))
		return -EBADMSG;
	memcpy(out, a->body, n);
	out[n] = '\0';
	return 0;
}

struct reading {
	struct client *cl;
	struct awsb *b;
	unsigned id;
};

static void read_eni(struct reading *rd);

static void
reading_done(struct reading *rd, int err, const char *why)
{
	struct client *cl = rd->cl;
	struct awsb *b = rd->b;
	unsigned id = rd->id;

	cl->reading = NULL;
	free(rd);
	discovered(cl, b, id, err, why);
	client_put(b, cl); /* the reading's hold */
}

static void
on_eni(void *userdata, const struct cv_aws_answer *a)
{
	struct reading *rd = userdata;
	int r = imds_word(a, rd->cl->eni, sizeof(rd->cl->eni));

	if (r < 0)
		return reading_done(rd, r, a->err < 0 ? a->why : "IMDS's interface-id is no ENI id");
	qb_log(LOG_INFO, "cloud '%s': this instance's ENI is %s (IMDS)", rd->cl->name, rd->cl->eni);
	reading_done(rd, 0, NULL);
}

static void
on_mac(void *userdata, const struct cv_aws_answer *a)
{
	struct reading *rd = userdata;
	char mac[32], path[128];
	size_t n = a->err >= 0 && a->body ? strcspn(a->body, "\r\n") : 0;
	int r;

	if (a->err < 0)
		return reading_done(rd, a->err, a->why);
	if (n != 17 || strspn(a->body, "0123456789abcdef:") != 17)
		return reading_done(rd, -EBADMSG, "IMDS's mac is no MAC address");
	memcpy(mac, a->body, n);
	mac[n] = '\0';
	snprintf(path, sizeof(path), "/latest/meta-data/network/interfaces/macs/%s/interface-id", mac);
	r = cv_aws_imds_get(rd->cl->c, path, on_eni, rd);
	if (r < 0)
		reading_done(rd, r, cv_strerror(r));
}

static void
read_eni(struct reading *rd)
{
	int r;

	if (rd->cl->eni[0])
		return reading_done(rd, 0, NULL);
	r = cv_aws_imds_get(rd->cl->c, "/latest/meta-data/mac", on_mac, rd);
	if (r < 0)
		reading_done(rd, r, cv_strerror(r));
}

static void
on_region(void *userdata, const struct cv_aws_answer *a)
{
	struct reading *rd = userdata;
	char region[64];
	int r = imds_word(a, region, sizeof(region));

	if (r < 0)
		return reading_done(rd, r, a->err < 0 ? a->why : "IMDS's placement/region is no region");
	r = cv_aws_client_set_region(rd->cl->c, region);
	if (r < 0)
		return reading_done(rd, r, cv_strerror(r));
	qb_log(LOG_INFO, "cloud '%s': region %s (IMDS)", rd->cl->name, region);
	read_eni(rd);
}

/* p waits for its client's reading of IMDS (one at a time per client). */
static void
wait_for_imds(struct pending *p)
{
	struct client *cl = p->cl;
	struct reading *rd;
	int r;

	if (cl->discovery & 1) { /* under way */
		p->waiting = cl->discovery;
		return;
	}
	rd = calloc(1, sizeof(*rd));
	if (!rd)
		return finish(p, -ENOMEM, "no memory to read IMDS");
	*rd = (struct reading){ .cl = cl, .b = p->b, .id = ++cl->discovery };
	cl->reading = rd;
	p->waiting = rd->id;
	cl->busy++; /* the reading's own hold, until it is done */
	r = cv_aws_client_has_region(cl->c)
		    ? 0
		    : cv_aws_imds_get(cl->c, "/latest/meta-data/placement/region", on_region, rd);
	if (r == 0 && cv_aws_client_has_region(cl->c))
		read_eni(rd);
	else if (r < 0)
		reading_done(rd, r, cv_strerror(r));
}

/* ---- operations ---- */

static void
start(struct pending *p)
{
	p->running = true;
	if (p->op == CV_ACT_ADDR_ADD && p->stub)
		return finish(p, -ECANCELED, "a reload removed or changed the VIP");
	if (p->op == CV_ACT_ADDR_DEL && p->mode != CV_CLOUD_ELASTIC_IP) {
		/* L2 first: our RELEASED waits for no API */
		if (!hand_to_l2(p))
			return;
		if (p->mode == CV_CLOUD_ROUTE)
			return drop(p);
		p->quiet = true; /* then the unassign, if it is still ours */
	}
	proceed(p);
}

/* The cloud's part of p, once its client knows its region and our ENI. */
static void
proceed(struct pending *p)
{
	struct cv_aws_client *c = p->cl->c;
	struct cv_aws_target t;
	int r;

	if (!p->eni[0])
		snprintf(p->eni, sizeof(p->eni), "%s", p->cl->eni);
	if (!cv_aws_client_has_region(c) || !p->eni[0])
		return wait_for_imds(p);
	t = target_of(p);
	if (p->op == CV_ACT_ADDR_ADD)
		r = cv_aws_move(c, &t, p->stamp, on_done, p, &p->mover);
	else if (p->op == CV_ACT_ADDR_DEL)
		r = cv_aws_release(c, &t, p->stamp, on_done, p, &p->mover);
	else
		r = cv_aws_check(c, &t, p->stamp, on_done, p, &p->mover);
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
		p->cl = client_take(b, o->conf);
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
 * answers for it, and the round does not wait behind a long move), and so
 * is one we never moved (nothing to compare with).
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
		const struct seen *s = seen_find(b, held[i].conf->head.name);
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
	struct awsb *b = of(base);
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

	/* what is under way goes first, then the clients cancel its calls */
	for (struct pending *p = b->ops; p; p = p->next)
		if (p->mover)
			cv_aws_mover_abandon(p->mover);
	for (struct client *cl = b->clients; cl; cl = cl->next)
		free(cl->reading);
	while (b->clients)
		client_free(b, b->clients); /* their calls cancelled: no done is called */
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
	.status = status,
};
