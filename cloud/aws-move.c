/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <qb/qbutil.h>

#include "aws-move.h"
#include "aws-query.h"
#include "cv-error.h"
#include "cv-macros.h"
#include "loop-timer.h"

/* Writes of one move at most (a racing older mover wrote after us, or EC2
 * still showed the old state), and the reads' pause between them. */
#define WRITES_MAX 5
#define VERIFY_FIRST_MS 100
#define VERIFY_MAX_MS 1000

enum phase { READ, WRITE, TAG, VERIFY, LET_GO };
enum purpose { MOVE, CHECK, RELEASE };

struct move {
	struct cv_aws_client *c;
	struct cv_aws_target t; /* strings owned */
	char **peers;
	struct cv_aws_stamp s;
	char stamp[64], key[80];
	enum purpose purpose;
	enum phase phase;
	unsigned writes, reads; /* reads: since the last write */
	char association[CV_AWS_ID_MAX]; /* release of an Elastic IP: what to undo */
	struct cv_aws_seen last;	 /* what the last read saw */
	struct cv_loop_timer *pause;
	cv_aws_move_fn done;
	void *userdata;
};

/* What a read saw: where the VIP is, and the newest stamp written beside it. */
struct seen {
	bool ours;	  /* it is on our ENI */
	bool our_stamp;	  /* our stamp is there (our ENI's tag; the resource's) */
	bool newer;	  /* a newer stamp than ours is there */
	char where[CV_AWS_ID_MAX];
	char association[CV_AWS_ID_MAX]; /* an Elastic IP's, "" if none */
	struct cv_aws_stamp newest;	 /* the newest stamp read (0s: none) */
};

void
cv_aws_stamp_format(struct cv_aws_stamp s, char *buf, size_t size)
{
	snprintf(buf, size, "%" PRIu64 ".%" PRIu64 ".%" PRIu32, s.ring, s.epoch, s.node);
}

int
cv_aws_stamp_parse(const char *text, struct cv_aws_stamp *ret)
{
	char tail;
	uint32_t node;
	uint64_t ring, epoch;

	if (!text || sscanf(text, "%" SCNu64 ".%" SCNu64 ".%" SCNu32 "%c", &ring, &epoch, &node,
			    &tail) != 3)
		return -EINVAL;
	*ret = (struct cv_aws_stamp){ ring, epoch, node };
	return 0;
}

int
cv_aws_stamp_cmp(struct cv_aws_stamp a, struct cv_aws_stamp b)
{
	if (a.ring != b.ring)
		return a.ring < b.ring ? -1 : 1;
	if (a.epoch != b.epoch)
		return a.epoch < b.epoch ? -1 : 1;
	return a.node < b.node ? -1 : a.node > b.node;
}

/* A tag's stamp against ours: newer sets s->newer, equal is ours. */
static void
judge_tag(const struct move *m, const struct cv_aws_tags *tags, struct seen *s, bool our_resource)
{
	struct cv_aws_stamp st;
	const char *v = cv_aws_tag(tags, m->key);

	if (!v || cv_aws_stamp_parse(v, &st) < 0)
		return;
	if (cv_aws_stamp_cmp(st, s->newest) > 0)
		s->newest = st;
	if (cv_aws_stamp_cmp(st, m->s) > 0)
		s->newer = true;
	else if (our_resource && cv_aws_stamp_cmp(st, m->s) == 0)
		s->our_stamp = true;
}

static void
free_move(struct move *m)
{
	cv_loop_timer_free(m->pause);
	for (size_t k = 0; k < m->t.n_peers; k++)
		free(m->peers[k]);
	free(m->peers);
	free((char *)m->t.vip);
	free((char *)m->t.address);
	free((char *)m->t.eni);
	free((char *)m->t.private_ip);
	free((char *)m->t.route_table);
	free(m);
}

static void
end(struct move *m, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
end(struct move *m, int err, const char *fmt, ...)
{
	cv_aws_move_fn done = m->done;
	void *ud = m->userdata;
	struct cv_aws_seen last = m->last;
	char why[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	free_move(m);
	done(ud, err, why, last.read ? &last : NULL);
}

/* ---- what each mode reads ---- */

static void
read_body(const struct move *m, struct cv_strbuf *b)
{
	switch (m->t.mode) {
	case CV_AWS_SECONDARY_IP:
		cv_aws_query_start(b, "DescribeNetworkInterfaces");
		if (m->t.n_peers == 0) { /* wherever it is (see seen_holders) */
			cv_aws_query_add(b, "Filter.1.Name", "addresses.private-ip-address");
			cv_aws_query_add(b, "Filter.1.Value.1", m->t.address);
			break;
		}
		cv_aws_query_add_nth(b, "NetworkInterfaceId", 1, m->t.eni);
		for (size_t k = 0; k < m->t.n_peers; k++)
			cv_aws_query_add_nth(b, "NetworkInterfaceId", (unsigned)k + 2, m->peers[k]);
		break;
	case CV_AWS_ROUTE:
		cv_aws_query_start(b, "DescribeRouteTables");
		cv_aws_query_add_nth(b, "RouteTableId", 1, m->t.route_table);
		break;
	case CV_AWS_ELASTIC_IP:
		cv_aws_query_start(b, "DescribeAddresses");
		cv_aws_query_add_nth(b, "AllocationId", 1, m->t.address);
		break;
	}
}

/* One ENI of a secondary IP's read: does it have the IP, and its stamp. */
static int
see_eni(const struct move *m, const struct cv_aws_answer *a, const char *id, bool ours,
	struct seen *s)
{
	struct cv_aws_eni eni;
	int r = cv_aws_parse_eni(a->body, a->body_len, id, &eni);

	if (r <= 0)
		return r == 0 ? -ENOENT : r;
	judge_tag(m, &eni.tags, s, ours);
	if (cv_aws_eni_has_ip(&eni, m->t.address)) {
		s->ours = ours;
		snprintf(s->where, sizeof(s->where), "%s", id);
	}
	return 0;
}

/*
 * A secondary IP with no peers named (the daemon's: every node's config
 * names its own ENI only): the read lists the ENIs that have the IP, and
 * each one's tag is judged. Our ENI's tag is read only while it has the IP:
 * only we tag our ENI, so it can tell nothing newer; a newer mover's tag is
 * on its ENI, seen here once its write shows (before that, its verify finds
 * ours older and writes again: the newer one still ends holding it).
 */
static int
seen_holders(const struct move *m, const struct cv_aws_answer *a, struct seen *s)
{
	char ids[8][CV_AWS_ID_MAX];
	int n = cv_aws_parse_eni_ids(a->body, a->body_len, ids, ELEMENTSOF(ids));

	if (n == -E2BIG)
		return -EBADMSG; /* EC2 puts an address on one ENI of a subnet */
	for (int k = 0; n > 0 && k < n; k++) {
		int r = see_eni(m, a, ids[k], strcmp(ids[k], m->t.eni) == 0, s);

		if (r < 0)
			return r;
	}
	return n < 0 ? n : 0;
}

static int
see(const struct move *m, const struct cv_aws_answer *a, struct seen *s)
{
	struct cv_aws_route route;
	struct cv_aws_address addr;
	int r = 0;

	*s = (struct seen){};
	switch (m->t.mode) {
	case CV_AWS_SECONDARY_IP:
		if (m->t.n_peers == 0)
			return seen_holders(m, a, s);
		r = see_eni(m, a, m->t.eni, true, s);
		for (size_t k = 0; r == 0 && k < m->t.n_peers; k++)
			r = see_eni(m, a, m->peers[k], false, s);
		return r;
	case CV_AWS_ROUTE:
		r = cv_aws_parse_route(a->body, a->body_len, m->t.route_table, m->t.address, &route);
		if (r <= 0)
			return r == 0 ? -ENOENT : r; /* ReplaceRoute needs the route to exist */
		judge_tag(m, &route.tags, s, true);
		s->ours = route.active && strcmp(route.eni, m->t.eni) == 0;
		snprintf(s->where, sizeof(s->where), "%s", route.eni[0] ? route.eni : "-");
		return 0;
	case CV_AWS_ELASTIC_IP:
		r = cv_aws_parse_address(a->body, a->body_len, m->t.address, &addr);
		if (r <= 0)
			return r == 0 ? -ENOENT : r;
		judge_tag(m, &addr.tags, s, true);
		s->ours = strcmp(addr.eni, m->t.eni) == 0 &&
			  (!m->t.private_ip || strcmp(addr.private_ip, m->t.private_ip) == 0);
		snprintf(s->where, sizeof(s->where), "%s", addr.eni[0] ? addr.eni : "-");
		snprintf(s->association, sizeof(s->association), "%s", addr.association);
		return 0;
	}
	return -EINVAL;
}

/* ---- writing ---- */

static void
write_body(const struct move *m, struct cv_strbuf *b)
{
	switch (m->t.mode) {
	case CV_AWS_SECONDARY_IP:
		cv_aws_query_start(b, "AssignPrivateIpAddresses");
		cv_aws_query_add(b, "NetworkInterfaceId", m->t.eni);
		cv_aws_query_add_nth(b, "PrivateIpAddress", 1, m->t.address);
		cv_aws_query_add(b, "AllowReassignment", "true");
		break;
	case CV_AWS_ROUTE:
		cv_aws_query_start(b, "ReplaceRoute");
		cv_aws_query_add(b, "RouteTableId", m->t.route_table);
		cv_aws_query_add(b, "DestinationCidrBlock", m->t.address);
		cv_aws_query_add(b, "NetworkInterfaceId", m->t.eni);
		break;
	case CV_AWS_ELASTIC_IP:
		cv_aws_query_start(b, "AssociateAddress");
		cv_aws_query_add(b, "AllocationId", m->t.address);
		cv_aws_query_add(b, "NetworkInterfaceId", m->t.eni);
		if (m->t.private_ip)
			cv_aws_query_add(b, "PrivateIpAddress", m->t.private_ip);
		cv_aws_query_add(b, "AllowReassociation", "true");
		break;
	}
}

/* Letting it go: the Elastic IP's association, or the secondary IP from our ENI. */
static void
let_go_body(const struct move *m, struct cv_strbuf *b)
{
	if (m->t.mode == CV_AWS_ELASTIC_IP) {
		cv_aws_query_start(b, "DisassociateAddress");
		cv_aws_query_add(b, "AssociationId", m->association);
	} else {
		cv_aws_query_start(b, "UnassignPrivateIpAddresses");
		cv_aws_query_add(b, "NetworkInterfaceId", m->t.eni);
		cv_aws_query_add_nth(b, "PrivateIpAddress", 1, m->t.address);
	}
}

static void
tag_body(const struct move *m, struct cv_strbuf *b)
{
	const char *res = m->t.mode == CV_AWS_SECONDARY_IP ? m->t.eni
			  : m->t.mode == CV_AWS_ROUTE	   ? m->t.route_table
							   : m->t.address;

	cv_aws_query_start(b, "CreateTags");
	cv_aws_query_add_nth(b, "ResourceId", 1, res);
	cv_aws_query_add(b, "Tag.1.Key", m->key);
	cv_aws_query_add(b, "Tag.1.Value", m->stamp);
}

/* ---- the steps ---- */

static void on_answer(void *userdata, const struct cv_aws_answer *a);

static void
step(struct move *m, enum phase p)
{
	_cleanup_(cv_strbuf_done) struct cv_strbuf b = {};
	int r;

	m->phase = p;
	if (p == READ || p == VERIFY)
		read_body(m, &b);
	else if (p == WRITE)
		write_body(m, &b);
	else if (p == TAG)
		tag_body(m, &b);
	else
		let_go_body(m, &b);
	r = b.err ? b.err : cv_aws_call(m->c, b.buf, on_answer, m);
	if (r < 0)
		end(m, r, "%s", cv_strerror(r));
}

static void
on_pause(void *userdata)
{
	step(userdata, VERIFY);
}

/* Read again a little later (EC2 shows a change eventually). */
static void
verify_later(struct move *m)
{
	uint64_t ms = CV_MIN((uint64_t)VERIFY_FIRST_MS << CV_MIN(m->reads, 4u),
			     (uint64_t)VERIFY_MAX_MS);

	m->reads++;
	if (!m->pause && cv_loop_timer_new(cv_aws_client_loop(m->c), on_pause, m, &m->pause) < 0)
		return end(m, -ENOMEM, "no timer");
	cv_loop_timer_in(m->pause, ms);
}

/* check and release: one read, then (release) letting go if it is ours. */
static void
on_seen_once(struct move *m, const struct seen *s)
{
	if (m->purpose == CHECK && s->ours && !s->newer)
		return end(m, 0, "on %s", m->t.eni);
	if (m->purpose == CHECK)
		return end(m, -EADDRNOTAVAIL, "on %s%s", s->where[0] ? s->where : "-",
			   s->newer ? ", moved there by a newer move" : "");
	if (!s->ours || s->newer) /* not ours: nothing to let go of */
		return end(m, 0, "not on %s (on %s)", m->t.eni, s->where[0] ? s->where : "-");
	if (m->t.mode == CV_AWS_ROUTE) /* a route points somewhere: the taker's points it on */
		return end(m, 0, "left to the next taker");
	snprintf(m->association, sizeof(m->association), "%s", s->association);
	step(m, LET_GO);
}

/* A read's outcome: before writing (READ) or after (VERIFY). */
static void
on_seen(struct move *m, const struct seen *s)
{
	if (m->purpose != MOVE)
		return on_seen_once(m, s);
	if (s->newer)
		return end(m, -ESTALE, "a newer move (than %s) owns it, on %s", m->stamp,
			   s->where[0] ? s->where : "-");
	if (m->phase == READ)
		return step(m, WRITE);
	if (s->ours && s->our_stamp)
		return end(m, 0, "on %s with %s after %u write(s)", m->t.eni, m->stamp, m->writes);
	/* EC2 had two reads' time to show our write: an older mover wrote
	 * (or tagged) after us; write (or tag) again */
	if (m->reads >= 2 && m->writes < WRITES_MAX) {
		m->reads = 0;
		m->writes += s->ours; /* (a tag again counts as a write; a write counts at its answer) */
		return step(m, s->ours ? TAG : WRITE);
	}
	if (m->reads >= 3)
		return end(m, -EBUSY, "still %s after %u writes", s->ours ? "without our stamp" : "elsewhere",
			   m->writes);
	verify_later(m);
}

static void
on_answer(void *userdata, const struct cv_aws_answer *a)
{
	struct move *m = userdata;
	struct seen s;
	int r;

	if (a->err < 0)
		return end(m, a->err, "%s", a->why);
	if (m->phase == WRITE) {
		m->writes++;
		return step(m, TAG);
	}
	if (m->phase == VERIFY && m->pause)
		cv_loop_timer_cancel(m->pause);
	if (m->phase == TAG)
		return verify_later(m);
	if (m->phase == LET_GO)
		return end(m, 0, "let go");
	r = see(m, a, &s);
	if (r < 0)
		return end(m, r, "%s", r == -ENOENT ? "not found (the ENI, the route or the allocation)"
						    : "EC2's answer is malformed");
	m->last = (struct cv_aws_seen){ .read = true, .stamp = s.newest };
	snprintf(m->last.where, sizeof(m->last.where), "%s", s.where);
	on_seen(m, &s);
}

static char *
dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static int
begin(struct cv_aws_client *c, enum purpose purpose, const struct cv_aws_target *t,
      struct cv_aws_stamp s, cv_aws_move_fn done, void *userdata, struct cv_aws_mover **ret)
{
	struct move *m = calloc(1, sizeof(*m));
	bool ok = m != NULL;

	if (!m || !t->vip || !t->address || !t->eni ||
	    (t->mode == CV_AWS_ROUTE && !t->route_table)) {
		free(m);
		return m ? -EINVAL : -ENOMEM;
	}
	*m = (struct move){ .c = c, .t = *t, .s = s, .done = done, .userdata = userdata,
			    .purpose = purpose };
	m->t.vip = dup_or_null(t->vip);
	m->t.address = dup_or_null(t->address);
	m->t.eni = dup_or_null(t->eni);
	m->t.private_ip = dup_or_null(t->private_ip);
	m->t.route_table = dup_or_null(t->route_table);
	m->t.n_peers = 0;
	m->peers = calloc(t->n_peers ? t->n_peers : 1, sizeof(*m->peers));
	ok = m->t.vip && m->t.address && m->t.eni && m->peers &&
	     (!t->private_ip || m->t.private_ip) && (!t->route_table || m->t.route_table);
	for (size_t k = 0; ok && k < t->n_peers; k++, m->t.n_peers++)
		ok = (m->peers[k] = strdup(t->peers[k])) != NULL;
	if (!ok) {
		free_move(m);
		return -ENOMEM;
	}
	cv_aws_stamp_format(s, m->stamp, sizeof(m->stamp));
	snprintf(m->key, sizeof(m->key), "corovip:%s", m->t.vip);
	if (ret)
		*ret = (struct cv_aws_mover *)m;
	step(m, READ);
	return 0;
}

void
cv_aws_mover_abandon(struct cv_aws_mover *m)
{
	free_move((struct move *)m);
}

int
cv_aws_move(struct cv_aws_client *c, const struct cv_aws_target *t, struct cv_aws_stamp s,
	    cv_aws_move_fn done, void *userdata, struct cv_aws_mover **ret)
{
	return begin(c, MOVE, t, s, done, userdata, ret);
}

int
cv_aws_check(struct cv_aws_client *c, const struct cv_aws_target *t, struct cv_aws_stamp s,
	     cv_aws_move_fn done, void *userdata, struct cv_aws_mover **ret)
{
	return begin(c, CHECK, t, s, done, userdata, ret);
}

int
cv_aws_release(struct cv_aws_client *c, const struct cv_aws_target *t, struct cv_aws_stamp s,
	       cv_aws_move_fn done, void *userdata, struct cv_aws_mover **ret)
{
	return begin(c, RELEASE, t, s, done, userdata, ret);
}
