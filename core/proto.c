/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * CPG wire format (layout in proto.h). One table row per message type gives
 * its name, validity check, writer and reader. Encode and decode share the
 * validity checks, which is what keeps the format canonical.
 */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cv-error.h"
#include "cv-macros.h"
#include "name.h"
#include "proto.h"

#define RING_SIZE 12
#define STANDBY_ENTRY_SIZE (4 + 1 + 8)
/*
 * Room for a full standby table is kept in every chunk: the fit does not
 * depend on it. max_version, role, flags, nodeid, peer_pid, ring, digest,
 * lease_ms, chunk index and count, n_standby, the table, n_vips.
 */
#define STATE_FIXED                                                                            \
	(2 + 1 + 1 + 4 + 4 + RING_SIZE + 8 + 4 + 2 + 2 + 1 +                                   \
	 CV_PROTO_STANDBY_MAX * STANDBY_ENTRY_SIZE + 2)
#define MOVE_ENTRY_SIZE (4 + 8) /* with CV_PROTO_VIP_MOVE */
#define BAN_ENTRY_SIZE (4 + 1 + 8 + 4) /* with CV_PROTO_VIP_BANS, after a u8 count */
/* name length, flags, VIP digest, epoch, owner, n_keys (then 4 bytes a key) */
#define STATE_ENTRY_FIXED (1 + 1 + 4 + 8 + 4 + 1)
#define RELEASED_FIXED (4 + RING_SIZE + 2)
#define RELEASED_ENTRY_FIXED (1 + 8) /* name length, epoch */
#define HEALTH_FIXED (RING_SIZE + 2)
#define HEALTH_ENTRY_FIXED (1 + 1) /* name length, flags */

/* Which fields a VIP list's entries carry on the wire. */
enum layout {
	LAYOUT_STATE,	 /* all of them */
	LAYOUT_RELEASED, /* name, epoch */
	LAYOUT_HEALTH,	 /* name, flags */
};

/*
 * Readers and writers keep a sticky error, as Knot's wire_ctx does: the first
 * access past the end sets err, later ones do nothing (reads yield 0), and the
 * caller checks err once, before it trusts any value read after the failure.
 * A writer without a buffer only counts: encode measures a message by a dry
 * run of the same code that writes it, so size and bytes cannot disagree.
 */
struct reader {
	const uint8_t *buf;
	size_t len;
	size_t pos; /* always <= len */
	bool err;
};

struct writer {
	uint8_t *buf; /* NULL: count only */
	size_t size;
	size_t pos; /* always <= size */
	bool err;
};

static const uint8_t *
get_bytes(struct reader *r, size_t n)
{
	const uint8_t *p;

	if (r->err || n > r->len - r->pos) {
		r->err = true;
		return NULL;
	}
	p = r->buf + r->pos;
	r->pos += n;
	return p;
}

/* An n-byte big-endian unsigned integer. */
static uint64_t
get_be(struct reader *r, size_t n)
{
	const uint8_t *p = get_bytes(r, n);
	uint64_t v = 0;

	for (size_t i = 0; p && i < n; i++)
		v = v << 8 | p[i];
	return v;
}

static uint8_t
get_u8(struct reader *r)
{
	return (uint8_t)get_be(r, 1);
}

static uint16_t
get_u16(struct reader *r)
{
	return (uint16_t)get_be(r, 2);
}

static uint32_t
get_u32(struct reader *r)
{
	return (uint32_t)get_be(r, 4);
}

static uint64_t
get_u64(struct reader *r)
{
	return get_be(r, 8);
}

static void
put_bytes(struct writer *w, const void *p, size_t n)
{
	if (w->err || n > w->size - w->pos) {
		w->err = true;
		return;
	}
	if (w->buf)
		memcpy(w->buf + w->pos, p, n);
	w->pos += n;
}

/* v as an n-byte big-endian unsigned integer. */
static void
put_be(struct writer *w, uint64_t v, size_t n)
{
	uint8_t b[8];

	for (size_t i = n; i > 0; i--, v >>= 8)
		b[i - 1] = (uint8_t)v;
	put_bytes(w, b, n);
}

/* ---- names and the shared pieces ---- */

/* Works on raw wire bytes too: a NUL is not a name character. */
static bool
name_valid(const void *s, size_t len)
{
	return cv_name_is_valid(s, len, CV_PROTO_NAME_MAX);
}

/* Length of a name field; CV_PROTO_NAME_MAX + 1 when it has no NUL. */
static size_t
name_len(const char name[CV_PROTO_NAME_MAX + 1])
{
	return strnlen(name, CV_PROTO_NAME_MAX + 1);
}

static bool
field_name_valid(const char name[CV_PROTO_NAME_MAX + 1])
{
	return name_valid(name, name_len(name));
}

static int
get_name(struct reader *r, char ret[CV_PROTO_NAME_MAX + 1])
{
	size_t len = get_u8(r);
	const uint8_t *p = get_bytes(r, len);

	if (!p || !name_valid(p, len))
		return -EBADMSG;
	memcpy(ret, p, len);
	ret[len] = '\0';
	return 0;
}

static void
put_name(struct writer *w, const char *name)
{
	size_t len = name_len(name);

	put_be(w, len, 1);
	put_bytes(w, name, len);
}

static void
get_ring(struct reader *r, struct cv_ring_id *ret)
{
	ret->nodeid = get_u32(r);
	ret->seq = get_u64(r);
}

static void
put_ring(struct writer *w, const struct cv_ring_id *ring)
{
	put_be(w, ring->nodeid, 4);
	put_be(w, ring->seq, 8);
}

/* A bool has one encoding each way, or decode/encode would differ. */
static int
get_bool(struct reader *r, bool *ret)
{
	uint8_t v = get_u8(r);

	if (v > 1)
		return -EBADMSG;
	*ret = v;
	return 0;
}

/* ---- VIP lists (STATE and RELEASED) ---- */

static bool
bans_valid(const struct cv_proto_vip *v)
{
	if (!(v->flags & CV_PROTO_VIP_BANS))
		return v->n_bans == 0;
	if (v->n_bans == 0 || v->n_bans > CV_PROTO_BANS_MAX || !v->bans)
		return false;
	for (size_t k = 0; k < v->n_bans; k++)
		if (v->bans[k].node == 0)
			return false;
	return true;
}

static void
put_bans(struct writer *w, const struct cv_proto_vip *v)
{
	put_be(w, v->n_bans, 1);
	for (size_t k = 0; k < v->n_bans; k++) {
		put_be(w, v->bans[k].node, 4);
		put_be(w, v->bans[k].banned ? 1 : 0, 1);
		put_be(w, v->bans[k].stamp, 8);
		put_be(w, v->bans[k].remaining_ms, 4);
	}
}

static int
get_bans(struct reader *r, struct cv_proto_vip *v)
{
	size_t n = get_u8(r);

	/* (n is checked by bans_valid; the bytes it needs, here, before allocating) */
	if (r->err || n == 0 || n > CV_PROTO_BANS_MAX || n * BAN_ENTRY_SIZE > r->len - r->pos)
		return -EBADMSG;
	v->bans = calloc(n, sizeof(*v->bans));
	if (!v->bans)
		return -ENOMEM;
	v->n_bans = (uint8_t)n;
	for (size_t k = 0; k < n; k++) {
		v->bans[k].node = get_u32(r);
		if (get_bool(r, &v->bans[k].banned) < 0)
			return -EBADMSG;
		v->bans[k].stamp = get_u64(r);
		v->bans[k].remaining_ms = get_u32(r);
	}
	return 0;
}

static void
free_vips(struct cv_proto_vip *vips, size_t n)
{
	for (size_t i = 0; vips && i < n; i++)
		free(vips[i].bans);
	free(vips);
}

static bool
vips_valid(const struct cv_proto_vip *vips, size_t n, uint8_t flag_mask)
{
	if (!vips && n > 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!field_name_valid(vips[i].name) || (vips[i].flags & ~flag_mask))
			return false;
		/* canonical: no move fields without the flag (they would not be sent) */
		if (!(vips[i].flags & CV_PROTO_VIP_MOVE) && (vips[i].move_target || vips[i].move_stamp))
			return false;
		if (!bans_valid(&vips[i]))
			return false;
		/* ... nor keys past n_keys */
		if (vips[i].n_keys > CV_PROTO_KEYS_MAX)
			return false;
		for (size_t k = vips[i].n_keys; k < CV_PROTO_KEYS_MAX; k++)
			if (vips[i].addr_keys[k])
				return false;
	}
	return true;
}

static size_t
vips_fit(const struct cv_proto_vip *vips, size_t n, size_t start, size_t fixed,
	 size_t entry_fixed)
{
	size_t size = CV_PROTO_HEADER_SIZE + fixed, k = 0;

	/* n_vips is a u16 on the wire; entries are too big to reach that, but say so. */
	for (size_t i = start; i < n && k < UINT16_MAX; i++, k++) {
		size += entry_fixed + name_len(vips[i].name);
		if (entry_fixed == STATE_ENTRY_FIXED)
			size += 4 * (size_t)vips[i].n_keys;
		if (entry_fixed == STATE_ENTRY_FIXED && (vips[i].flags & CV_PROTO_VIP_MOVE))
			size += MOVE_ENTRY_SIZE;
		if (entry_fixed == STATE_ENTRY_FIXED && (vips[i].flags & CV_PROTO_VIP_BANS))
			size += 1 + BAN_ENTRY_SIZE * (size_t)vips[i].n_bans;
		if (size > CV_PROTO_MAX_MSG)
			break;
	}
	return k;
}

static void
put_vips(struct writer *w, const struct cv_proto_vip *vips, size_t n, enum layout l)
{
	put_be(w, n, 2);
	for (size_t i = 0; i < n; i++) {
		put_name(w, vips[i].name);
		if (l != LAYOUT_RELEASED)
			put_be(w, vips[i].flags, 1);
		if (l == LAYOUT_HEALTH)
			continue;
		if (l == LAYOUT_STATE)
			put_be(w, vips[i].digest, 4);
		put_be(w, vips[i].epoch, 8);
		if (l != LAYOUT_STATE)
			continue;
		put_be(w, vips[i].owner, 4);
		put_be(w, vips[i].n_keys, 1);
		for (size_t k = 0; k < vips[i].n_keys; k++)
			put_be(w, vips[i].addr_keys[k], 4);
		if (vips[i].flags & CV_PROTO_VIP_MOVE) {
			put_be(w, vips[i].move_target, 4);
			put_be(w, vips[i].move_stamp, 8);
		}
		if (vips[i].flags & CV_PROTO_VIP_BANS)
			put_bans(w, &vips[i]);
	}
}

/* One entry's fields after its name; -EBADMSG on a value out of range. */
static int
get_entry(struct reader *r, enum layout l, struct cv_proto_vip *v)
{
	if (l != LAYOUT_RELEASED)
		v->flags = get_u8(r);
	if (l == LAYOUT_HEALTH)
		return 0;
	if (l == LAYOUT_STATE)
		v->digest = get_u32(r);
	v->epoch = get_u64(r);
	if (l != LAYOUT_STATE)
		return 0;
	v->owner = get_u32(r);
	v->n_keys = get_u8(r);
	if (v->n_keys > CV_PROTO_KEYS_MAX)
		return -EBADMSG;
	for (size_t k = 0; k < v->n_keys; k++)
		v->addr_keys[k] = get_u32(r);
	if (v->flags & CV_PROTO_VIP_MOVE) {
		v->move_target = get_u32(r);
		v->move_stamp = get_u64(r);
	}
	if (v->flags & CV_PROTO_VIP_BANS)
		return get_bans(r, v);
	return 0;
}

static const size_t entry_fixed[] = {
	[LAYOUT_STATE] = STATE_ENTRY_FIXED,
	[LAYOUT_RELEASED] = RELEASED_ENTRY_FIXED,
	[LAYOUT_HEALTH] = HEALTH_ENTRY_FIXED,
};

static int
get_vips(struct reader *r, enum layout l, struct cv_proto_vip **ret, size_t *ret_n)
{
	size_t n = get_u16(r);
	size_t entry_min = entry_fixed[l] + 1;
	struct cv_proto_vip *vips = NULL;
	int k = 0;

	/* Refuse a count the remaining bytes cannot hold before allocating for it. */
	if (r->err || n > (r->len - r->pos) / entry_min)
		return -EBADMSG;
	if (n > 0) {
		vips = calloc(n, sizeof(*vips));
		if (!vips)
			return -ENOMEM;
	}
	for (size_t i = 0; i < n && k == 0; i++)
		k = get_name(r, vips[i].name) < 0 ? -EBADMSG : get_entry(r, l, &vips[i]);
	if (k == 0 && r->err)
		k = -EBADMSG;
	if (k < 0) {
		free_vips(vips, n);
		return k;
	}
	*ret = vips;
	*ret_n = n;
	return 0;
}

/* ---- STATE ---- */

static bool
standby_table_valid(const struct cv_proto_state *s)
{
	return s->n_standby <= CV_PROTO_STANDBY_MAX;
}

static void
put_standby_table(struct writer *w, const struct cv_proto_state *s)
{
	put_be(w, s->n_standby, 1);
	for (size_t i = 0; i < s->n_standby; i++) {
		put_be(w, s->standby[i].nodeid, 4);
		put_be(w, s->standby[i].standby ? 1 : 0, 1);
		put_be(w, s->standby[i].stamp, 8);
	}
}

static int
get_standby_table(struct reader *r, struct cv_proto_state *s)
{
	s->n_standby = get_u8(r);
	if (s->n_standby > CV_PROTO_STANDBY_MAX)
		return -EBADMSG;
	for (size_t i = 0; i < s->n_standby; i++) {
		s->standby[i].nodeid = get_u32(r);
		if (get_bool(r, &s->standby[i].standby) < 0)
			return -EBADMSG;
		s->standby[i].stamp = get_u64(r);
	}
	return 0;
}

static bool
state_valid(const struct cv_proto_msg *m)
{
	const struct cv_proto_state *s = &m->state;

	return s->max_version >= CV_PROTO_VERSION && s->role >= 0 &&
	       s->role < _CV_PROTO_ROLE_MAX && !(s->flags & ~_CV_PROTO_STATE_FLAGS) &&
	       s->nodeid != 0 && s->chunk_index < s->chunk_count && standby_table_valid(s) &&
	       vips_valid(s->vips, s->n_vips, _CV_PROTO_VIP_FLAGS);
}

static void
state_put(struct writer *w, const struct cv_proto_msg *m)
{
	const struct cv_proto_state *s = &m->state;

	put_be(w, s->max_version, 2);
	put_be(w, (uint8_t)s->role, 1);
	put_be(w, s->flags, 1);
	put_be(w, s->nodeid, 4);
	put_be(w, s->peer_pid, 4);
	put_ring(w, &s->ring);
	put_be(w, s->digest, 8);
	put_be(w, s->lease_ms, 4);
	put_be(w, s->chunk_index, 2);
	put_be(w, s->chunk_count, 2);
	put_standby_table(w, s);
	put_vips(w, s->vips, s->n_vips, LAYOUT_STATE);
}

static int
state_get(struct reader *r, struct cv_proto_msg *m)
{
	struct cv_proto_state *s = &m->state;

	s->max_version = get_u16(r);
	s->role = get_u8(r);
	s->flags = get_u8(r);
	s->nodeid = get_u32(r);
	s->peer_pid = get_u32(r);
	get_ring(r, &s->ring);
	s->digest = get_u64(r);
	s->lease_ms = get_u32(r);
	s->chunk_index = get_u16(r);
	s->chunk_count = get_u16(r);
	if (get_standby_table(r, s) < 0)
		return -EBADMSG;
	return get_vips(r, LAYOUT_STATE, &s->vips, &s->n_vips);
}

/* ---- HEARTBEAT ---- */

static void
heartbeat_put(struct writer *w, const struct cv_proto_msg *m)
{
	const struct cv_proto_heartbeat *h = &m->heartbeat;

	put_ring(w, &h->ring);
	put_be(w, h->send_time_ms, 8);
	put_be(w, h->seq, 8);
	put_be(w, h->holdings_epoch, 8);
	put_be(w, h->n_held, 4);
	put_be(w, h->lease_ms, 4);
}

static int
heartbeat_get(struct reader *r, struct cv_proto_msg *m)
{
	struct cv_proto_heartbeat *h = &m->heartbeat;

	get_ring(r, &h->ring);
	h->send_time_ms = get_u64(r);
	h->seq = get_u64(r);
	h->holdings_epoch = get_u64(r);
	h->n_held = get_u32(r);
	h->lease_ms = get_u32(r);
	return 0;
}

/* ---- RELEASED ---- */

static bool
released_valid(const struct cv_proto_msg *m)
{
	const struct cv_proto_released *rel = &m->released;

	/* flags are not on the wire, so any value is fine: they are not sent */
	return rel->for_nodeid != 0 && vips_valid(rel->vips, rel->n_vips, UINT8_MAX);
}

static void
released_put(struct writer *w, const struct cv_proto_msg *m)
{
	put_be(w, m->released.for_nodeid, 4);
	put_ring(w, &m->released.ring);
	put_vips(w, m->released.vips, m->released.n_vips, LAYOUT_RELEASED);
}

static int
released_get(struct reader *r, struct cv_proto_msg *m)
{
	m->released.for_nodeid = get_u32(r);
	get_ring(r, &m->released.ring);
	return get_vips(r, LAYOUT_RELEASED, &m->released.vips, &m->released.n_vips);
}

/* ---- HEALTH ---- */

static bool
health_valid(const struct cv_proto_msg *m)
{
	/* only the flags are on the wire, and of them only HEALTHY */
	return vips_valid(m->health.vips, m->health.n_vips,
			  CV_PROTO_VIP_HEALTHY | CV_PROTO_VIP_FALLBACK | CV_PROTO_VIP_PASSES);
}

static void
health_put(struct writer *w, const struct cv_proto_msg *m)
{
	put_ring(w, &m->health.ring);
	put_vips(w, m->health.vips, m->health.n_vips, LAYOUT_HEALTH);
}

static int
health_get(struct reader *r, struct cv_proto_msg *m)
{
	get_ring(r, &m->health.ring);
	return get_vips(r, LAYOUT_HEALTH, &m->health.vips, &m->health.n_vips);
}

/* ---- MOVE and STANDBY: admin requests ---- */

static bool
move_valid(const struct cv_proto_msg *m)
{
	return m->move.origin != 0 && m->move.target != 0 && field_name_valid(m->move.vip);
}

static void
move_put(struct writer *w, const struct cv_proto_msg *m)
{
	put_be(w, m->move.request_id, 4);
	put_be(w, m->move.origin, 4);
	put_be(w, m->move.target, 4);
	put_be(w, m->move.stamp, 8);
	put_name(w, m->move.vip);
}

static int
move_get(struct reader *r, struct cv_proto_msg *m)
{
	m->move.request_id = get_u32(r);
	m->move.origin = get_u32(r);
	m->move.target = get_u32(r);
	m->move.stamp = get_u64(r);
	return get_name(r, m->move.vip);
}

static bool
standby_valid(const struct cv_proto_msg *m)
{
	return m->standby.origin != 0; /* target 0: maintenance */
}

static void
standby_put(struct writer *w, const struct cv_proto_msg *m)
{
	put_be(w, m->standby.request_id, 4);
	put_be(w, m->standby.origin, 4);
	put_be(w, m->standby.target, 4);
	put_be(w, m->standby.stamp, 8);
	put_be(w, m->standby.standby ? 1 : 0, 1);
}

static int
standby_get(struct reader *r, struct cv_proto_msg *m)
{
	m->standby.request_id = get_u32(r);
	m->standby.origin = get_u32(r);
	m->standby.target = get_u32(r);
	m->standby.stamp = get_u64(r);
	return get_bool(r, &m->standby.standby);
}

/* ---- BAN and CLEAR: admin requests ---- */

static bool
ban_valid(const struct cv_proto_msg *m)
{
	return m->ban.origin != 0 && m->ban.target != 0 && field_name_valid(m->ban.vip);
}

static void
ban_put(struct writer *w, const struct cv_proto_msg *m)
{
	put_be(w, m->ban.request_id, 4);
	put_be(w, m->ban.origin, 4);
	put_be(w, m->ban.target, 4);
	put_be(w, m->ban.stamp, 8);
	put_be(w, m->ban.lifetime_ms, 4);
	put_name(w, m->ban.vip);
}

static int
ban_get(struct reader *r, struct cv_proto_msg *m)
{
	m->ban.request_id = get_u32(r);
	m->ban.origin = get_u32(r);
	m->ban.target = get_u32(r);
	m->ban.stamp = get_u64(r);
	m->ban.lifetime_ms = get_u32(r);
	return get_name(r, m->ban.vip);
}

static bool
clear_valid(const struct cv_proto_msg *m)
{
	return m->clear.origin != 0 && (m->clear.ends == 0 || m->clear.node != 0) &&
	       field_name_valid(m->clear.vip);
}

static void
clear_put(struct writer *w, const struct cv_proto_msg *m)
{
	put_be(w, m->clear.request_id, 4);
	put_be(w, m->clear.origin, 4);
	put_be(w, m->clear.node, 4);
	put_be(w, m->clear.stamp, 8);
	put_be(w, m->clear.ends, 8);
	put_name(w, m->clear.vip);
}

static int
clear_get(struct reader *r, struct cv_proto_msg *m)
{
	m->clear.request_id = get_u32(r);
	m->clear.origin = get_u32(r);
	m->clear.node = get_u32(r);
	m->clear.stamp = get_u64(r);
	m->clear.ends = get_u64(r);
	return get_name(r, m->clear.vip);
}

/* ---- SILENT ---- */

static bool
silent_valid(const struct cv_proto_msg *m)
{
	return m->silent.nodeid != 0;
}

static void
silent_put(struct writer *w, const struct cv_proto_msg *m)
{
	put_be(w, m->silent.nodeid, 4);
	put_ring(w, &m->silent.ring);
}

static int
silent_get(struct reader *r, struct cv_proto_msg *m)
{
	m->silent.nodeid = get_u32(r);
	get_ring(r, &m->silent.ring);
	return 0;
}

/* ---- the type table ---- */

struct type_info {
	const char *name;
	bool (*valid)(const struct cv_proto_msg *m); /* NULL: every value is valid */
	void (*put)(struct writer *w, const struct cv_proto_msg *m);
	int (*get)(struct reader *r, struct cv_proto_msg *m);
};

static const struct type_info type_table[_CV_PROTO_TYPE_MAX] = {
	[CV_PROTO_TYPE_STATE] = { "STATE", state_valid, state_put, state_get },
	[CV_PROTO_TYPE_HEARTBEAT] = { "HEARTBEAT", NULL, heartbeat_put, heartbeat_get },
	[CV_PROTO_TYPE_RELEASED] = { "RELEASED", released_valid, released_put, released_get },
	[CV_PROTO_TYPE_MOVE] = { "MOVE", move_valid, move_put, move_get },
	[CV_PROTO_TYPE_STANDBY] = { "STANDBY", standby_valid, standby_put, standby_get },
	[CV_PROTO_TYPE_SILENT] = { "SILENT", silent_valid, silent_put, silent_get },
	[CV_PROTO_TYPE_HEALTH] = { "HEALTH", health_valid, health_put, health_get },
	[CV_PROTO_TYPE_BAN] = { "BAN", ban_valid, ban_put, ban_get },
	[CV_PROTO_TYPE_CLEAR] = { "CLEAR", clear_valid, clear_put, clear_get },
};

static const struct type_info *
lookup_type(unsigned type)
{
	if (type >= _CV_PROTO_TYPE_MAX || !type_table[type].name)
		return NULL;
	return &type_table[type];
}

/* ---- public ---- */

static bool
msg_valid(const struct type_info *t, const struct cv_proto_msg *m)
{
	return !t->valid || t->valid(m);
}

static void
put_msg(struct writer *w, const struct type_info *t, const struct cv_proto_msg *m, size_t total)
{
	put_be(w, CV_PROTO_MAGIC, 4);
	put_be(w, CV_PROTO_VERSION, 2);
	put_be(w, (unsigned)m->type, 2);
	put_be(w, total, 4);
	put_be(w, 0, 4); /* reserved */
	t->put(w, m);
}

int
cv_proto_encode(const struct cv_proto_msg *m, uint8_t *buf, size_t size, size_t *ret_len)
{
	const struct type_info *t = lookup_type((unsigned)m->type);
	struct writer dry = { .size = SIZE_MAX }, w = { .buf = buf, .size = size };

	if (!t || (m->version != 0 && m->version != CV_PROTO_VERSION) || !msg_valid(t, m))
		return -EINVAL;
	/* More than UINT16_MAX entries cannot fit either: each takes over 1 byte. */
	put_msg(&dry, t, m, 0);
	if (dry.pos > CV_PROTO_MAX_MSG || dry.pos > size)
		return -EMSGSIZE;
	put_msg(&w, t, m, dry.pos);
	assert(!w.err && w.pos == dry.pos);
	*ret_len = w.pos;
	return 0;
}

/* Magic, then version before anything else in the header: a later version
 * may lay out the rest differently, and should be counted as a version skew. */
static int
get_header(struct reader *r, struct cv_proto_msg *m)
{
	uint32_t magic = get_u32(r), length;

	if (r->err || magic != CV_PROTO_MAGIC)
		return -EBADMSG;
	m->version = get_u16(r);
	m->type = get_u16(r);
	length = get_u32(r);
	(void)get_u32(r); /* reserved: ignored so it can gain a meaning later */
	if (r->err)
		return -EBADMSG;
	if (m->version != CV_PROTO_VERSION)
		return CV_E_PROTO_VERSION;
	if (length != r->len)
		return -EBADMSG;
	if (!lookup_type((unsigned)m->type))
		return -EOPNOTSUPP;
	return 0;
}

int
cv_proto_decode(const uint8_t *buf, size_t len, struct cv_proto_msg *ret)
{
	_cleanup_(cv_proto_msg_done) struct cv_proto_msg m = {};
	struct reader r = { .buf = buf, .len = len };
	int k;

	if (len > CV_PROTO_MAX_MSG)
		return -EMSGSIZE;
	k = get_header(&r, &m);
	if (k < 0)
		return k;
	k = lookup_type((unsigned)m.type)->get(&r, &m);
	if (k < 0)
		return k;
	if (r.err || r.pos != r.len || !msg_valid(lookup_type((unsigned)m.type), &m))
		return -EBADMSG;
	*ret = m;
	m = (struct cv_proto_msg){}; /* ownership moved to *ret */
	return 0;
}

void
cv_proto_msg_done(struct cv_proto_msg *m)
{
	if (m->type == CV_PROTO_TYPE_STATE) {
		free_vips(m->state.vips, m->state.n_vips);
		m->state.vips = NULL;
		m->state.n_vips = 0;
	} else if (m->type == CV_PROTO_TYPE_RELEASED) {
		free(m->released.vips);
		m->released.vips = NULL;
		m->released.n_vips = 0;
	} else if (m->type == CV_PROTO_TYPE_HEALTH) {
		free(m->health.vips);
		m->health.vips = NULL;
		m->health.n_vips = 0;
	}
}

size_t
cv_proto_state_fit(const struct cv_proto_vip *vips, size_t n, size_t start)
{
	return vips_fit(vips, n, start, STATE_FIXED, STATE_ENTRY_FIXED);
}

size_t
cv_proto_released_fit(const struct cv_proto_vip *vips, size_t n, size_t start)
{
	return vips_fit(vips, n, start, RELEASED_FIXED, RELEASED_ENTRY_FIXED);
}

size_t
cv_proto_health_fit(const struct cv_proto_vip *vips, size_t n, size_t start)
{
	return vips_fit(vips, n, start, HEALTH_FIXED, HEALTH_ENTRY_FIXED);
}

const char *
cv_proto_type_to_string(enum cv_proto_type t)
{
	const struct type_info *info = lookup_type((unsigned)t);

	return info ? info->name : NULL;
}

enum cv_proto_type
cv_proto_type_from_string(const char *s)
{
	for (unsigned t = 0; t < _CV_PROTO_TYPE_MAX; t++)
		if (type_table[t].name && strcmp(type_table[t].name, s) == 0)
			return (enum cv_proto_type)t;
	return _CV_PROTO_TYPE_INVALID;
}

static const char *const role_names[_CV_PROTO_ROLE_MAX] = {
	[CV_PROTO_ROLE_DAEMON] = "daemon",
	[CV_PROTO_ROLE_REAPER] = "reaper",
};

const char *
cv_proto_role_to_string(enum cv_proto_role r)
{
	return (unsigned)r < _CV_PROTO_ROLE_MAX ? role_names[r] : NULL;
}

enum cv_proto_role
cv_proto_role_from_string(const char *s)
{
	for (unsigned r = 0; r < _CV_PROTO_ROLE_MAX; r++)
		if (strcmp(role_names[r], s) == 0)
			return (enum cv_proto_role)r;
	return _CV_PROTO_ROLE_INVALID;
}
