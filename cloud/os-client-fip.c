/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Floating IPs through the client's operation machine (os-client.c): a move
 * or a release is decided by the stamp (ring, then epoch: os-client.h)
 * written into the floating IP's description ("corovip ring=R epoch=E
 * node=N") with every write. A 412 re-reads and decides again: a move of a
 * newer stamp is never overwritten (the operation fails with -ESTALE), so a
 * stale holder cannot take back what a newer one moved.
 *
 * As Neutron lets two writes of one revision through (os-client.c), a move
 * is read again verify_delay_ms after it is reported, and if a lower
 * epoch's write landed after ours it is written again (the higher epoch
 * wins in every order; one writing with a higher epoch is left alone). A
 * write Neutron takes longer than that to apply is the engine's
 * reconcile's to find.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <qb/qblog.h>

#include "cv-macros.h"
#include "os-client-int.h"

int
cv_os_stamp_cmp(struct cv_os_stamp a, struct cv_os_stamp b)
{
	if (a.ring != b.ring)
		return a.ring < b.ring ? -1 : 1;
	return a.epoch < b.epoch ? -1 : a.epoch > b.epoch;
}

struct cv_os_stamp
cv_os_desc_stamp(const char *description, uint32_t *ret_node)
{
	struct cv_os_stamp s = {};
	uint32_t node = 0;

	if (sscanf(description, "corovip ring=%" SCNu64 " epoch=%" SCNu64 " node=%" SCNu32, &s.ring,
		   &s.epoch, &node) != 3 &&
	    sscanf(description, "corovip epoch=%" SCNu64 " node=%" SCNu32, &s.epoch, &node) != 2)
		s = (struct cv_os_stamp){}, node = 0;
	if (ret_node)
		*ret_node = node;
	return s;
}

/* "ring=R epoch=E" ("epoch=E" for ring 0: what corovip-os writes by default) */
static const char *
stamp_text(struct cv_os_stamp s, char *buf, size_t len)
{
	if (s.ring)
		snprintf(buf, len, "ring=%" PRIu64 " epoch=%" PRIu64, s.ring, s.epoch);
	else
		snprintf(buf, len, "epoch=%" PRIu64, s.epoch);
	return buf;
}

static void
fip_url(const struct cv_os_op *op, char *buf, size_t len)
{
	snprintf(buf, len, "%s/floatingips/%s", op->c->neutron_url, op->id);
}

static int
fip_body(struct cv_os_op *op, char **ret, uint64_t *ret_revision)
{
	char desc[CV_OS_DESC_MAX + 1], st[64];
	bool move = op->kind == CV_OS_OP_FIP_MOVE;

	snprintf(desc, sizeof(desc), "corovip %s node=%" PRIu32,
		 stamp_text(op->stamp, st, sizeof(st)), op->c->p.node);
	*ret_revision = op->fip.revision;
	return cv_os_fip_put_body(move ? op->port_id : NULL, move && op->ip[0] ? op->ip : NULL, desc,
				  ret);
}

/* With op->fip as it is now: done, or the write that makes it ours (or not ours). */
static void
fip_decide(struct cv_os_op *op)
{
	const struct cv_os_fip *f = &op->fip;
	bool ours = strcmp(f->port_id, op->port_id) == 0 &&
		    (!op->ip[0] || strcmp(f->fixed_ip, op->ip) == 0);
	bool move = op->kind == CV_OS_OP_FIP_MOVE;
	uint32_t node;
	struct cv_os_stamp there = cv_os_desc_stamp(f->description, &node);
	int order = cv_os_stamp_cmp(there, op->stamp);
	char why[256], a[64], b[64];

	if (op->kind == CV_OS_OP_FIP_SHOW)
		return cv_os_op_finish(op, 0, NULL);
	stamp_text(there, a, sizeof(a));
	stamp_text(op->stamp, b, sizeof(b));
	if (order > 0) {
		/* moved since by a newer move: a move of ours is stale, and
		 * there is nothing of ours left to release */
		snprintf(why, sizeof(why), "floating IP %s: moved by %s (node %" PRIu32
			 ") after ours (%s)", f->id, a, node, b);
		return cv_os_op_finish(op, move ? -ESTALE : 0, why);
	}
	if (move ? ours && order == 0 : !ours)
		return cv_os_op_finish(op, 0, NULL);
	if (op->verify)
		qb_log(LOG_WARNING, "floating IP %s: %s (node %" PRIu32 ") wrote after our "
		       "move (%s): writing it again", f->id, a, node, b);
	cv_os_op_write(op);
}

static int
fip_read(struct cv_os_op *op, const char *body, size_t len, char *why, size_t whylen)
{
	int r = cv_os_parse_fip(body, len, &op->fip, why, whylen);

	if (r < 0)
		return r;
	if (strcmp(op->fip.id, op->id) != 0) {
		snprintf(why, whylen, "Neutron: asked for floating IP %s, got %s", op->id, op->fip.id);
		return -EBADMSG;
	}
	op->have = true;
	cv_os_known_set_fip(op->c, &op->fip);
	return 0;
}

static void
fip_report(struct cv_os_op *op, int err, const char *why)
{
	cv_os_fip_fn done = op->done.fip;
	void *userdata = op->userdata;
	struct cv_os_fip fip = op->fip;
	bool have = op->have;

	cv_os_op_free(op);
	done(userdata, err, have ? &fip : NULL, why);
}

static int fip_start(struct cv_os_client *c, enum cv_os_op_kind kind, const char *fip_id,
		     const char *port_id, const char *fixed_ip, struct cv_os_stamp stamp, bool verify,
		     cv_os_fip_fn done, void *userdata, struct cv_os_op **ret);

static void
on_verified(void *userdata, int err, const struct cv_os_fip *fip, const char *why)
{
	struct cv_os_client *c = userdata;

	if (err == -ESTALE)
		qb_log(LOG_INFO, "%s", why); /* a newer move: its own verify is its business */
	if (err == -ESTALE && fip && c->p.lost)
		c->p.lost(c->p.userdata, fip, why); /* ...but the holder must hear it is not one */
	else if (err < 0 && err != -ESTALE)
		qb_log(LOG_WARNING, "floating IP %s: the check after the move failed: %s",
		       fip ? fip->id : "?", why);
	c->stats.verifies++;
}

/* A move applied: read it again a little later, and write it again if a lower epoch won. */
static void
fip_written(struct cv_os_op *op)
{
	struct cv_os_op *v;

	if (op->kind != CV_OS_OP_FIP_MOVE)
		return;
	/* failing, the engine's reconcile reads it anyway */
	(void)fip_start(op->c, CV_OS_OP_FIP_MOVE, op->id, op->port_id, op->ip[0] ? op->ip : NULL,
			op->stamp, true, on_verified, op->c, &v);
}

const struct cv_os_res cv_os_res_fip = {
	.what = "floating IP",
	.get_url = fip_url,
	.read = fip_read,
	.decide = fip_decide,
	.body = fip_body,
	.written = fip_written,
	.report = fip_report,
};

static int
fip_start(struct cv_os_client *c, enum cv_os_op_kind kind, const char *fip_id,
	  const char *port_id, const char *fixed_ip, struct cv_os_stamp stamp, bool verify,
	  cv_os_fip_fn done,
	  void *userdata, struct cv_os_op **ret)
{
	struct cv_os_op *op;
	int r;

	if ((port_id && strlen(port_id) > CV_OS_ID_MAX) ||
	    (fixed_ip && strlen(fixed_ip) >= sizeof(op->ip)) || !done)
		return -EINVAL;
	r = cv_os_op_new(c, kind, &cv_os_res_fip, fip_id, &op);
	if (r < 0)
		return r;
	snprintf(op->port_id, sizeof(op->port_id), "%s", port_id ? port_id : "");
	snprintf(op->ip, sizeof(op->ip), "%s", fixed_ip ? fixed_ip : "");
	op->stamp = stamp;
	op->done.fip = done;
	op->userdata = userdata;
	op->verify = verify; /* read, never the cache */
	r = cv_os_op_begin(op, verify ? c->p.verify_delay_ms : 0);
	if (r >= 0)
		*ret = op;
	return r;
}

int
cv_os_fip_show(struct cv_os_client *c, const char *fip_id, cv_os_fip_fn done, void *userdata,
	       struct cv_os_op **ret)
{
	return fip_start(c, CV_OS_OP_FIP_SHOW, fip_id, NULL, NULL, (struct cv_os_stamp){}, false, done,
			 userdata, ret);
}

int
cv_os_fip_move(struct cv_os_client *c, const char *fip_id, const char *port_id,
	       const char *fixed_ip, struct cv_os_stamp stamp, cv_os_fip_fn done, void *userdata,
	       struct cv_os_op **ret)
{
	if (!port_id || !*port_id)
		return -EINVAL;
	return fip_start(c, CV_OS_OP_FIP_MOVE, fip_id, port_id, fixed_ip, stamp, false, done,
			 userdata, ret);
}

int
cv_os_fip_release(struct cv_os_client *c, const char *fip_id, const char *port_id,
		  struct cv_os_stamp stamp, cv_os_fip_fn done, void *userdata, struct cv_os_op **ret)
{
	if (!port_id || !*port_id)
		return -EINVAL;
	return fip_start(c, CV_OS_OP_FIP_RELEASE, fip_id, port_id, NULL, stamp, false, done,
			 userdata, ret);
}
