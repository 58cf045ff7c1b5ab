/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cv-error.h"
#include "cv-macros.h"
#include "proto.h"

/* Offsets into encoded messages (proto.h has the layout). */
enum {
	OFF_MAGIC = 0,
	OFF_VERSION = 4,
	OFF_TYPE = 6,
	OFF_LENGTH = 8,
	OFF_RESERVED = 12,
	OFF_BODY = 16,
	OFF_STATE_MAX_VERSION = 16,
	OFF_STATE_ROLE = 18,
	OFF_STATE_FLAGS = 19,
	OFF_STATE_NODEID = 20,
	OFF_STATE_LEASE = 48,
	OFF_STATE_CHUNK_INDEX = 52,
	OFF_STATE_CHUNK_COUNT = 54,
	OFF_STATE_N_STANDBY = 56,
	OFF_STATE_STANDBY = 57,
	STANDBY_ENTRY_SIZE = 4 + 1 + 8, /* nodeid, standby, stamp */
	STANDBY_ENTRY_VALUE = 4,	/* the standby byte within an entry */
	/* the VIP list moves with the standby table: these are for sample(STATE) */
	SAMPLE_N_STANDBY = 2,
	OFF_STATE_N_VIPS = OFF_STATE_STANDBY + SAMPLE_N_STANDBY * STANDBY_ENTRY_SIZE,
	OFF_STATE_VIPS = OFF_STATE_N_VIPS + 2,
	/* within sample(STATE)'s first entry, after the name "web" and its length */
	OFF_STATE_VIP0_FLAGS = OFF_STATE_VIPS + 4,
	OFF_STATE_VIP0_N_KEYS = OFF_STATE_VIP0_FLAGS + 1 + 4 + 8 + 4, /* after digest, epoch, owner */
	STATE_ENTRY_MOVE_SIZE = 4 + 8, /* move_target, move_stamp */
	OFF_RELEASED_N_VIPS = 32,
	OFF_RELEASED_VIPS = 34,
	OFF_REQUEST_ORIGIN = 20,
	OFF_REQUEST_TARGET = 24,
	OFF_REQUEST_STAMP = 28,
	OFF_MOVE_NAME = 36,
	OFF_STANDBY_VALUE = 36,
	/* a STATE with no standby entries and no VIPs */
	STATE_MIN_SIZE = OFF_STATE_STANDBY + 2,
};

/* The second entry has every version 2 field, so every test that walks the
 * sample's bytes (truncations, short buffers) walks those too. */
/* HEALTH entries: a name and the HEALTHY flag (or none), nothing else. */
static struct cv_proto_vip health_vips[] = {
	{ .name = "web", .flags = CV_PROTO_VIP_HEALTHY },
	{ .name = "db-primary.v6_1" },
};

static struct cv_proto_ban sample_bans[] = {
	{ .node = 2, .banned = true, .stamp = UINT64_C(0x100000003), .remaining_ms = 90000 },
	{ .node = UINT32_MAX, .banned = false, .stamp = UINT64_MAX, .remaining_ms = 0 },
};

static struct cv_proto_vip sample_vips[] = {
	{ .name = "web", .flags = CV_PROTO_VIP_HEALTHY | CV_PROTO_VIP_HELD | CV_PROTO_VIP_BANS,
	  .digest = 0xdeadbeef, .epoch = 7, .bans = sample_bans, .n_bans = 2 },
	{ .name = "db-primary.v6_1",
	  .flags = CV_PROTO_VIP_HEALTHY | CV_PROTO_VIP_BLOCKED | CV_PROTO_VIP_MOVE,
	  .epoch = UINT64_MAX, .move_target = 5, .move_stamp = UINT64_C(0x100000002) },
	{ .name = "x", .flags = 0, .epoch = 0 },
};

static const struct cv_proto_standby_entry sample_standby[SAMPLE_N_STANDBY] = {
	{ .nodeid = 1, .standby = true, .stamp = UINT64_C(0x0102030405060708) },
	{ .nodeid = 0x01000002, .standby = false, .stamp = UINT64_MAX },
};

static struct cv_proto_msg
sample(enum cv_proto_type type)
{
	struct cv_ring_id ring = { .nodeid = 3, .seq = UINT64_C(0x100000004) };
	struct cv_proto_msg m;

	switch (type) {
	case CV_PROTO_TYPE_STATE:
		m = (struct cv_proto_msg){
			.type = type,
			.state = { .max_version = 3, .role = CV_PROTO_ROLE_REAPER,
				   .flags = CV_PROTO_STATE_STANDBY, .nodeid = 0x01000002,
				   .peer_pid = 4242, .ring = ring,
				   .digest = UINT64_C(0xdeadbeefcafef00d), .chunk_index = 1,
				   .chunk_count = 3, .n_standby = SAMPLE_N_STANDBY,
				   .vips = sample_vips, .n_vips = ELEMENTSOF(sample_vips) },
		};
		memcpy(m.state.standby, sample_standby, sizeof(sample_standby));
		return m;
	case CV_PROTO_TYPE_HEARTBEAT:
		return (struct cv_proto_msg){
			.type = type,
			.heartbeat = { .ring = ring, .send_time_ms = 123456789, .seq = 99,
				       .holdings_epoch = 12, .n_held = 2 },
		};
	case CV_PROTO_TYPE_RELEASED:
		return (struct cv_proto_msg){
			.type = type,
			.released = { .for_nodeid = 7, .ring = ring, .vips = sample_vips,
				      .n_vips = ELEMENTSOF(sample_vips) },
		};
	case CV_PROTO_TYPE_MOVE:
		return (struct cv_proto_msg){
			.type = type,
			.move = { .request_id = 17, .origin = 1, .target = 2,
				  .stamp = UINT64_C(0x8000000000000001), .vip = "web" },
		};
	case CV_PROTO_TYPE_SILENT:
		return (struct cv_proto_msg){
			.type = type,
			.silent = { .nodeid = 0x01000002, .ring = ring },
		};
	case CV_PROTO_TYPE_HEALTH:
		return (struct cv_proto_msg){
			.type = type,
			.health = { .ring = ring, .vips = health_vips, .n_vips = ELEMENTSOF(health_vips) },
		};
	case CV_PROTO_TYPE_BAN:
		return (struct cv_proto_msg){
			.type = type,
			.ban = { .request_id = 3, .origin = 1, .target = 0x01000002,
				 .stamp = UINT64_C(0x8000000000000002), .lifetime_ms = 3600000,
				 .vip = "web" },
		};
	case CV_PROTO_TYPE_CLEAR:
		return (struct cv_proto_msg){
			.type = type,
			.clear = { .request_id = 4, .origin = 2, .node = 3,
				   .stamp = UINT64_C(0x8000000000000003),
				   .ends = UINT64_C(0x8000000000000002), .vip = "db.v6" },
		};
	case CV_PROTO_TYPE_STANDBY:
	default:
		return (struct cv_proto_msg){
			.type = CV_PROTO_TYPE_STANDBY,
			.standby = { .request_id = UINT32_MAX, .origin = 2, .target = 1,
				     .stamp = UINT64_C(0x123456789), .standby = true },
		};
	}
}

static size_t
encode_ok(const struct cv_proto_msg *m, uint8_t *buf, size_t size)
{
	size_t len = 0;

	assert_int_equal(cv_proto_encode(m, buf, size, &len), 0);
	assert_true(len >= CV_PROTO_HEADER_SIZE && len <= size);
	return len;
}

/* Decode from an exact-size heap copy, so ASan sees any read past len. */
static int
decode_copy(const uint8_t *buf, size_t len, struct cv_proto_msg *ret)
{
	uint8_t *copy = malloc(len ? len : 1);
	int r;

	assert_non_null(copy);
	if (len)
		memcpy(copy, buf, len);
	r = cv_proto_decode(copy, len, ret);
	free(copy);
	return r;
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static void
put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	put32(p + 4, (uint32_t)v);
}

static void
assert_ring_equal(const struct cv_ring_id *a, const struct cv_ring_id *b)
{
	assert_int_equal(a->nodeid, b->nodeid);
	assert_true(a->seq == b->seq);
}

static void
assert_vips_equal(const struct cv_proto_vip *a, const struct cv_proto_vip *b, size_t n,
		  bool with_flags)
{
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(a[i].name, b[i].name);
		assert_int_equal(a[i].flags, with_flags ? b[i].flags : 0);
		assert_int_equal(a[i].digest, with_flags ? b[i].digest : 0);
		assert_true(a[i].epoch == b[i].epoch);
		/* move fields are on the wire only in STATE, and only with the flag */
		if (with_flags && (b[i].flags & CV_PROTO_VIP_MOVE)) {
			assert_int_equal(a[i].move_target, b[i].move_target);
			assert_true(a[i].move_stamp == b[i].move_stamp);
		} else {
			assert_int_equal(a[i].move_target, 0);
			assert_true(a[i].move_stamp == 0);
		}
		/* bans likewise */
		assert_int_equal(a[i].n_bans, with_flags ? b[i].n_bans : 0);
		for (size_t k = 0; with_flags && k < b[i].n_bans; k++) {
			assert_int_equal(a[i].bans[k].node, b[i].bans[k].node);
			assert_int_equal(a[i].bans[k].banned, b[i].bans[k].banned);
			assert_true(a[i].bans[k].stamp == b[i].bans[k].stamp);
			assert_int_equal(a[i].bans[k].remaining_ms, b[i].bans[k].remaining_ms);
		}
	}
}

static void
assert_standby_table_equal(const struct cv_proto_state *a, const struct cv_proto_state *b)
{
	assert_int_equal(a->n_standby, b->n_standby);
	for (size_t i = 0; i < b->n_standby; i++) {
		assert_int_equal(a->standby[i].nodeid, b->standby[i].nodeid);
		assert_int_equal(a->standby[i].standby, b->standby[i].standby);
		assert_true(a->standby[i].stamp == b->standby[i].stamp);
	}
	/* the rest of the table is not on the wire: decode leaves it zeroed */
	for (size_t i = b->n_standby; i < CV_PROTO_STANDBY_MAX; i++)
		assert_int_equal(a->standby[i].nodeid, 0);
}

static void
assert_state_equal(const struct cv_proto_state *a, const struct cv_proto_state *b)
{
	assert_int_equal(a->max_version, b->max_version);
	assert_int_equal(a->role, b->role);
	assert_int_equal(a->flags, b->flags);
	assert_int_equal(a->nodeid, b->nodeid);
	assert_int_equal(a->peer_pid, b->peer_pid);
	assert_ring_equal(&a->ring, &b->ring);
	assert_true(a->digest == b->digest);
	assert_int_equal(a->chunk_index, b->chunk_index);
	assert_int_equal(a->chunk_count, b->chunk_count);
	assert_standby_table_equal(a, b);
	assert_int_equal(a->n_vips, b->n_vips);
	assert_vips_equal(a->vips, b->vips, b->n_vips, true);
}

/* a: decoded; b: what was encoded. RELEASED does not carry the flags and move
 * fields that sample_vips set, so they must come back 0. */
static void
assert_msg_equal(const struct cv_proto_msg *a, const struct cv_proto_msg *b)
{
	assert_int_equal(a->version, CV_PROTO_VERSION);
	assert_int_equal(a->type, b->type);
	switch (b->type) {
	case CV_PROTO_TYPE_STATE:
		assert_state_equal(&a->state, &b->state);
		break;
	case CV_PROTO_TYPE_HEARTBEAT:
		assert_ring_equal(&a->heartbeat.ring, &b->heartbeat.ring);
		assert_true(a->heartbeat.send_time_ms == b->heartbeat.send_time_ms);
		assert_true(a->heartbeat.seq == b->heartbeat.seq);
		assert_true(a->heartbeat.holdings_epoch == b->heartbeat.holdings_epoch);
		assert_int_equal(a->heartbeat.n_held, b->heartbeat.n_held);
		break;
	case CV_PROTO_TYPE_RELEASED:
		assert_int_equal(a->released.for_nodeid, b->released.for_nodeid);
		assert_ring_equal(&a->released.ring, &b->released.ring);
		assert_int_equal(a->released.n_vips, b->released.n_vips);
		assert_vips_equal(a->released.vips, b->released.vips, b->released.n_vips, false);
		break;
	case CV_PROTO_TYPE_MOVE:
		assert_int_equal(a->move.request_id, b->move.request_id);
		assert_int_equal(a->move.origin, b->move.origin);
		assert_int_equal(a->move.target, b->move.target);
		assert_true(a->move.stamp == b->move.stamp);
		assert_string_equal(a->move.vip, b->move.vip);
		break;
	case CV_PROTO_TYPE_BAN:
		assert_int_equal(a->ban.request_id, b->ban.request_id);
		assert_int_equal(a->ban.origin, b->ban.origin);
		assert_int_equal(a->ban.target, b->ban.target);
		assert_true(a->ban.stamp == b->ban.stamp);
		assert_int_equal(a->ban.lifetime_ms, b->ban.lifetime_ms);
		assert_string_equal(a->ban.vip, b->ban.vip);
		break;
	case CV_PROTO_TYPE_CLEAR:
		assert_int_equal(a->clear.request_id, b->clear.request_id);
		assert_int_equal(a->clear.origin, b->clear.origin);
		assert_int_equal(a->clear.node, b->clear.node);
		assert_true(a->clear.stamp == b->clear.stamp);
		assert_true(a->clear.ends == b->clear.ends);
		assert_string_equal(a->clear.vip, b->clear.vip);
		break;
	case CV_PROTO_TYPE_SILENT:
		assert_int_equal(a->silent.nodeid, b->silent.nodeid);
		assert_ring_equal(&a->silent.ring, &b->silent.ring);
		break;
	case CV_PROTO_TYPE_HEALTH:
		assert_ring_equal(&a->health.ring, &b->health.ring);
		assert_int_equal(a->health.n_vips, b->health.n_vips);
		for (size_t i = 0; i < b->health.n_vips; i++) {
			assert_string_equal(a->health.vips[i].name, b->health.vips[i].name);
			assert_int_equal(a->health.vips[i].flags, b->health.vips[i].flags);
		}
		break;
	default:
		assert_int_equal(a->standby.request_id, b->standby.request_id);
		assert_int_equal(a->standby.origin, b->standby.origin);
		assert_int_equal(a->standby.target, b->standby.target);
		assert_true(a->standby.stamp == b->standby.stamp);
		assert_int_equal(a->standby.standby, b->standby.standby);
		break;
	}
}

static void
assert_round_trip(const struct cv_proto_msg *m)
{
	uint8_t buf[CV_PROTO_MAX_MSG];
	struct cv_proto_msg out = {};
	size_t len = encode_ok(m, buf, sizeof(buf));

	assert_int_equal(decode_copy(buf, len, &out), 0);
	assert_msg_equal(&out, m);
	cv_proto_msg_done(&out);
}

static void
assert_encode_einval(const struct cv_proto_msg *m)
{
	uint8_t buf[512];
	size_t len;

	assert_int_equal(cv_proto_encode(m, buf, sizeof(buf), &len), -EINVAL);
}

/* Encode sample(type), patch it, and expect decode to fail with want. */
static void
assert_patched_fails(enum cv_proto_type type, size_t off, const void *bytes, size_t n, int want)
{
	struct cv_proto_msg m = sample(type), out = {};
	uint8_t buf[512];
	size_t len = encode_ok(&m, buf, sizeof(buf));

	assert_true(off + n <= len);
	memcpy(buf + off, bytes, n);
	assert_int_equal(decode_copy(buf, len, &out), want);
}

#define PATCH_FAILS(type, off, want, ...)                                                          \
	assert_patched_fails(type, off, (uint8_t[]){ __VA_ARGS__ },                                \
			     sizeof((uint8_t[]){ __VA_ARGS__ }), want)

/* ---- round trips ---- */

static void
every_type_round_trips_field_by_field(void **state)
{
	for (int t = CV_PROTO_TYPE_STATE; t < _CV_PROTO_TYPE_MAX; t++) {
		struct cv_proto_msg m = sample(t);

		assert_round_trip(&m); /* version 0: the current one */
		m.version = CV_PROTO_VERSION;
		assert_round_trip(&m);
	}
}

static void
lists_with_no_vips_round_trip(void **state)
{
	struct cv_proto_msg m = sample(CV_PROTO_TYPE_STATE), out = {};
	uint8_t buf[128];
	size_t len;

	m.state.vips = NULL;
	m.state.n_vips = 0;
	m.state.chunk_index = 0;
	m.state.chunk_count = 1;
	len = encode_ok(&m, buf, sizeof(buf));
	assert_int_equal(len, OFF_STATE_VIPS);
	assert_int_equal(decode_copy(buf, len, &out), 0);
	assert_msg_equal(&out, &m);
	assert_null(out.state.vips);
	cv_proto_msg_done(&out);

	m = sample(CV_PROTO_TYPE_RELEASED);
	m.released.vips = NULL;
	m.released.n_vips = 0;
	assert_round_trip(&m);
}

static void
boundary_values_round_trip(void **state)
{
	struct cv_proto_ban bans[CV_PROTO_BANS_MAX];
	struct cv_proto_vip vip = { .flags = _CV_PROTO_VIP_FLAGS, .digest = UINT32_MAX,
				    .epoch = UINT64_MAX, .move_target = UINT32_MAX,
				    .move_stamp = UINT64_MAX, .bans = bans,
				    .n_bans = CV_PROTO_BANS_MAX };

	for (size_t k = 0; k < CV_PROTO_BANS_MAX; k++)
		bans[k] = (struct cv_proto_ban){ .node = UINT32_MAX - (uint32_t)k, .banned = true,
						 .stamp = UINT64_MAX, .remaining_ms = UINT32_MAX };
	struct cv_proto_msg m = sample(CV_PROTO_TYPE_STATE);

	memset(vip.name, 'Z', CV_PROTO_NAME_MAX); /* the longest name, NUL after it */
	m.state = (struct cv_proto_state){ .max_version = UINT16_MAX, .role = CV_PROTO_ROLE_DAEMON,
					   .flags = _CV_PROTO_STATE_FLAGS, .nodeid = UINT32_MAX,
					   .peer_pid = UINT32_MAX,
					   .ring = { UINT32_MAX, UINT64_MAX }, .digest = UINT64_MAX,
					   .chunk_index = UINT16_MAX - 1, .chunk_count = UINT16_MAX,
					   .standby = { { UINT32_MAX, true, UINT64_MAX } },
					   .n_standby = 1, .vips = &vip, .n_vips = 1 };
	assert_round_trip(&m);
	m = sample(CV_PROTO_TYPE_STANDBY);
	m.standby.standby = false;
	m.standby.request_id = 0;
	m.standby.stamp = 0;
	assert_round_trip(&m);
}

/* ---- version 2 fields ---- */

/* A STATE entry's bans: with the flag, 1..CV_PROTO_BANS_MAX of them, each a
 * node; a CLEAR that ends a lifetime names the node. Encode and decode
 * share these checks. */
static void
bans_are_canonical(void **state)
{
	struct cv_proto_ban bans[CV_PROTO_BANS_MAX + 1] = {};
	struct cv_proto_vip vip = { .name = "web", .flags = CV_PROTO_VIP_BANS, .bans = bans };
	struct cv_proto_msg m = sample(CV_PROTO_TYPE_STATE);
	uint8_t buf[CV_PROTO_MAX_MSG], copy[CV_PROTO_MAX_MSG];
	struct cv_proto_msg out = {};
	size_t len;

	for (size_t k = 0; k <= CV_PROTO_BANS_MAX; k++)
		bans[k] = (struct cv_proto_ban){ .node = (uint32_t)k + 1, .banned = true, .stamp = 9 };
	m.state.vips = &vip;
	m.state.n_vips = 1;
	assert_int_equal(cv_proto_encode(&m, buf, sizeof(buf), &len), -EINVAL); /* flag, 0 bans */
	vip.n_bans = CV_PROTO_BANS_MAX + 1;
	assert_int_equal(cv_proto_encode(&m, buf, sizeof(buf), &len), -EINVAL);
	vip.n_bans = 1;
	vip.flags = 0;
	assert_int_equal(cv_proto_encode(&m, buf, sizeof(buf), &len), -EINVAL); /* bans, no flag */
	vip.flags = CV_PROTO_VIP_BANS;
	bans[0].node = 0;
	assert_int_equal(cv_proto_encode(&m, buf, sizeof(buf), &len), -EINVAL);
	bans[0].node = 1;
	vip.n_bans = CV_PROTO_BANS_MAX;
	len = encode_ok(&m, buf, sizeof(buf));
	assert_int_equal(cv_proto_state_fit(&vip, 1, 0), 1);
	assert_round_trip(&m);
	/* the banned byte of the last ban (before its stamp and remaining_ms): 0 or 1 only */
	memcpy(copy, buf, len);
	copy[len - 13] = 2;
	assert_int_equal(decode_copy(copy, len, &out), -EBADMSG);
	/* every truncation fails cleanly (ASan: no read past the end, no leak) */
	for (size_t cut = 1; cut < len; cut += 97)
		assert_int_equal(decode_copy(buf, len - cut, &out), -EBADMSG);

	m = sample(CV_PROTO_TYPE_CLEAR);
	m.clear.node = 0;
	assert_int_equal(cv_proto_encode(&m, buf, sizeof(buf), &len), -EINVAL);
	m.clear.ends = 0; /* corovipctl clear VIP: every ban */
	assert_round_trip(&m);
	m = sample(CV_PROTO_TYPE_BAN);
	m.ban.target = 0;
	assert_int_equal(cv_proto_encode(&m, buf, sizeof(buf), &len), -EINVAL);
}

/* Distinct values in every entry, so a swapped or shifted entry shows. */
static void
fill_standby_table(struct cv_proto_state *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		s->standby[i] = (struct cv_proto_standby_entry){
			.nodeid = (uint32_t)(i + 1) * 0x01010101u,
			.standby = i % 2 == 0,
			.stamp = UINT64_MAX - i * UINT64_C(0x0100000001),
		};
	s->n_standby = n;
}

static void
standby_table_round_trips_empty_and_full(void **state)
{
	struct cv_proto_msg m = sample(CV_PROTO_TYPE_STATE);
	uint8_t buf[2048];
	size_t empty, full;

	fill_standby_table(&m.state, 0);
	assert_round_trip(&m);
	empty = encode_ok(&m, buf, sizeof(buf));
	fill_standby_table(&m.state, CV_PROTO_STANDBY_MAX);
	assert_round_trip(&m);
	full = encode_ok(&m, buf, sizeof(buf));
	/* no padding: each entry is exactly its 13 bytes */
	assert_int_equal(full - empty, CV_PROTO_STANDBY_MAX * STANDBY_ENTRY_SIZE);
	assert_int_equal(buf[OFF_STATE_N_STANDBY], CV_PROTO_STANDBY_MAX);
}

static void
standby_table_over_65_entries_is_einval_on_encode(void **state)
{
	struct cv_proto_msg m = sample(CV_PROTO_TYPE_STATE);
	uint8_t buf[2048];
	size_t len = 12345;

	fill_standby_table(&m.state, CV_PROTO_STANDBY_MAX);
	m.state.n_standby = CV_PROTO_STANDBY_MAX + 1; /* checked before the array is read */
	assert_int_equal(cv_proto_encode(&m, buf, sizeof(buf), &len), -EINVAL);
	m.state.n_standby = SIZE_MAX;
	assert_int_equal(cv_proto_encode(&m, buf, sizeof(buf), &len), -EINVAL);
	assert_int_equal(len, 12345);
}

/*
 * A STATE (nodeid 1, chunk 0 of 1, no VIPs) whose table says count and holds
 * n entries: nodeid i + 1, standby 1, stamp i. Returns its length.
 */
static size_t
raw_state_with_standby(uint8_t *buf, uint8_t count, size_t n)
{
	size_t total = STATE_MIN_SIZE + n * STANDBY_ENTRY_SIZE;
	uint8_t *p = buf + OFF_STATE_STANDBY;

	memset(buf, 0, total);
	put32(buf + OFF_MAGIC, CV_PROTO_MAGIC);
	put16(buf + OFF_VERSION, CV_PROTO_VERSION);
	put16(buf + OFF_TYPE, CV_PROTO_TYPE_STATE);
	put32(buf + OFF_LENGTH, (uint32_t)total);
	put16(buf + OFF_STATE_MAX_VERSION, CV_PROTO_VERSION);
	put32(buf + OFF_STATE_NODEID, 1);
	put16(buf + OFF_STATE_CHUNK_COUNT, 1);
	buf[OFF_STATE_N_STANDBY] = count;
	for (size_t i = 0; i < n; i++, p += STANDBY_ENTRY_SIZE) {
		put32(p, (uint32_t)i + 1);
		p[STANDBY_ENTRY_VALUE] = 1;
		put64(p + STANDBY_ENTRY_VALUE + 1, i);
	}
	/* n_vips 0: already zero */
	return total;
}

static void
standby_table_count_over_65_is_ebadmsg_on_decode(void **state)
{
	uint8_t buf[STATE_MIN_SIZE + 255 * STANDBY_ENTRY_SIZE];
	struct cv_proto_msg out = {};

	/* the builder is right: 65 entries decode (64 nodes and maintenance) */
	assert_int_equal(decode_copy(buf, raw_state_with_standby(buf, 65, 65), &out), 0);
	assert_int_equal(out.state.n_standby, 65);
	assert_int_equal(out.state.standby[64].nodeid, 65);
	assert_true(out.state.standby[64].stamp == 64);
	cv_proto_msg_done(&out);
	/* all 66 entries present: refused for the count, not for a truncation */
	assert_int_equal(decode_copy(buf, raw_state_with_standby(buf, 66, 66), &out), -EBADMSG);
	assert_int_equal(decode_copy(buf, raw_state_with_standby(buf, 255, 255), &out), -EBADMSG);
	/* a count the bytes do not hold */
	assert_int_equal(decode_copy(buf, raw_state_with_standby(buf, 3, 2), &out), -EBADMSG);
	PATCH_FAILS(CV_PROTO_TYPE_STATE, OFF_STATE_N_STANDBY, -EBADMSG, SAMPLE_N_STANDBY + 1);
	/* fewer than present leaves their bytes to be read as the VIP list */
	PATCH_FAILS(CV_PROTO_TYPE_STATE, OFF_STATE_N_STANDBY, -EBADMSG, SAMPLE_N_STANDBY - 1);
}

/* Node 0 is the whole cluster: maintenance mode (docs/safety.md). */
static void
standby_table_nodeid_0_is_maintenance(void **state)
{
	struct cv_proto_msg m = sample(CV_PROTO_TYPE_STATE);

	m.state.standby[SAMPLE_N_STANDBY - 1].nodeid = 0;
	assert_round_trip(&m);
	m = sample(CV_PROTO_TYPE_STANDBY);
	m.standby.target = 0;
	assert_round_trip(&m);
}

static void
standby_table_value_other_than_0_or_1_is_ebadmsg(void **state)
{
	const size_t second = OFF_STATE_STANDBY + STANDBY_ENTRY_SIZE + STANDBY_ENTRY_VALUE;

	PATCH_FAILS(CV_PROTO_TYPE_STATE, OFF_STATE_STANDBY + STANDBY_ENTRY_VALUE, -EBADMSG, 2);
	PATCH_FAILS(CV_PROTO_TYPE_STATE, second, -EBADMSG, 2);
	PATCH_FAILS(CV_PROTO_TYPE_STATE, second, -EBADMSG, 0xff);
}

/* A STATE of one VIP "web" with the given flags and move fields. */
static struct cv_proto_msg
state_of_one(struct cv_proto_vip *vip, uint8_t flags, uint32_t target, uint64_t stamp)
{
	struct cv_proto_msg m = sample(CV_PROTO_TYPE_STATE);

	*vip = (struct cv_proto_vip){ .name = "web", .flags = flags, .digest = 0x01020304,
				      .epoch = 9, .move_target = target, .move_stamp = stamp };
	m.state.vips = vip;
	m.state.n_vips = 1;
	return m;
}

static void
vip_move_fields_round_trip_with_the_move_flag(void **state)
{
	struct cv_proto_vip vip;
	struct cv_proto_msg m;
	uint8_t buf[512];
	size_t with, without;

	m = state_of_one(&vip, CV_PROTO_VIP_HELD, 0, 0);
	without = encode_ok(&m, buf, sizeof(buf));
	m = state_of_one(&vip, CV_PROTO_VIP_HELD | CV_PROTO_VIP_MOVE, 0x0a0b0c0d,
			 UINT64_C(0x1112131415161718));
	assert_round_trip(&m);
	with = encode_ok(&m, buf, sizeof(buf));
	assert_int_equal(with - without, STATE_ENTRY_MOVE_SIZE);
	/* after the epoch, at the end of the entry */
	assert_memory_equal(buf + with - STATE_ENTRY_MOVE_SIZE,
			    ((uint8_t[]){ 0x0a, 0x0b, 0x0c, 0x0d, 0x11, 0x12, 0x13, 0x14, 0x15,
					  0x16, 0x17, 0x18 }),
			    STATE_ENTRY_MOVE_SIZE);
	/* a finished move (target 0) keeps its stamp; the flag alone is valid too */
	m = state_of_one(&vip, CV_PROTO_VIP_MOVE, 0, 77);
	assert_round_trip(&m);
	m = state_of_one(&vip, CV_PROTO_VIP_MOVE, 0, 0);
	assert_round_trip(&m);
}

static void
vip_move_fields_without_the_flag_are_einval(void **state)
{
	struct cv_proto_vip vip;
	struct cv_proto_msg m;

	/* they would not be sent, so the decoded message would differ */
	m = state_of_one(&vip, CV_PROTO_VIP_HELD, 2, 0);
	assert_encode_einval(&m);
	m = state_of_one(&vip, CV_PROTO_VIP_HELD, 0, 1);
	assert_encode_einval(&m);
	m = state_of_one(&vip, 0, UINT32_MAX, UINT64_MAX);
	assert_encode_einval(&m);
}

static void
seasoned_and_blocked_flags_round_trip(void **state)
{
	struct cv_proto_vip vip;
	struct cv_proto_msg m = state_of_one(&vip, CV_PROTO_VIP_BLOCKED, 0, 0), out = {};
	uint8_t buf[512];
	size_t len;

	m.state.flags = CV_PROTO_STATE_SEASONED;
	assert_round_trip(&m);
	len = encode_ok(&m, buf, sizeof(buf));
	assert_int_equal(buf[OFF_STATE_FLAGS], 0x04);
	assert_int_equal(decode_copy(buf, len, &out), 0);
	assert_int_equal(out.state.flags, CV_PROTO_STATE_SEASONED);
	assert_int_equal(out.state.vips[0].flags, CV_PROTO_VIP_BLOCKED);
	cv_proto_msg_done(&out);
	m.state.flags = _CV_PROTO_STATE_FLAGS;
	vip.flags = CV_PROTO_VIP_BLOCKED | CV_PROTO_VIP_HEALTHY | CV_PROTO_VIP_HELD;
	assert_round_trip(&m);
}

static void
address_keys_past_their_maximum_are_refused_both_ways(void **state)
{
	struct cv_proto_vip vips[ELEMENTSOF(sample_vips)];
	struct cv_proto_msg m = sample(CV_PROTO_TYPE_STATE);

	memcpy(vips, sample_vips, sizeof(vips));
	m.state.vips = vips;
	vips[0].n_keys = CV_PROTO_KEYS_MAX + 1;
	assert_encode_einval(&m);
	/* canonical: no key past n_keys (it would not be sent) */
	vips[0].n_keys = 1;
	vips[0].addr_keys[0] = 1;
	vips[0].addr_keys[1] = 2;
	assert_encode_einval(&m);
	vips[0].addr_keys[1] = 0;
	assert_round_trip(&m);
	/* "web" has no keys: a count of 17 is refused before its keys are read */
	PATCH_FAILS(CV_PROTO_TYPE_STATE, OFF_STATE_VIP0_N_KEYS, -EBADMSG, CV_PROTO_KEYS_MAX + 1);
	/* a count the message does not hold: cut short */
	PATCH_FAILS(CV_PROTO_TYPE_STATE, OFF_STATE_VIP0_N_KEYS, -EBADMSG, CV_PROTO_KEYS_MAX);
}

static void
health_matches_reference_bytes_and_carries_only_healthy(void **state)
{
	struct cv_proto_vip vips[] = { { .name = "ab", .flags = CV_PROTO_VIP_HEALTHY },
				       { .name = "c" } };
	struct cv_proto_msg m = {
		.type = CV_PROTO_TYPE_HEALTH,
		.health = { .ring = { 0x01020304, UINT64_C(0x05060708090a0b0c) }, .vips = vips,
			    .n_vips = ELEMENTSOF(vips) },
	};
	static const uint8_t want[] = {
		0x43, 0x56, 0x49, 0x50, /* magic "CVIP" */
		0x00, 0x02,		/* version 2 */
		0x00, 0x07,		/* type HEALTH */
		0x00, 0x00, 0x00, 0x25, /* length 37 */
		0x00, 0x00, 0x00, 0x00, /* reserved */
		0x01, 0x02, 0x03, 0x04, /* ring nodeid */
		0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, /* ring seq */
		0x00, 0x02,		/* n_vips */
		0x02, 'a', 'b', 0x01,	/* name, HEALTHY */
		0x01, 'c', 0x00,	/* name, not healthy */
	};
	uint8_t buf[128];
	size_t len = encode_ok(&m, buf, sizeof(buf));

	assert_int_equal(len, sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
	assert_round_trip(&m);
	/* any other flag is STATE's alone: refused both ways */
	vips[1].flags = CV_PROTO_VIP_HELD;
	assert_encode_einval(&m);
	buf[len - 1] = CV_PROTO_VIP_HELD;
	assert_int_equal(decode_copy(buf, len, &(struct cv_proto_msg){}), -EBADMSG);
	/* a fit like RELEASED's: 16 + 14 fixed, 2 + name per entry */
	assert_int_equal(cv_proto_health_fit(vips, 2, 0), 2);
}

static void
undefined_flag_bits_are_refused_both_ways(void **state)
{
	for (unsigned bit = 1; bit <= 0x80; bit <<= 1) {
		struct cv_proto_vip vips[ELEMENTSOF(sample_vips)];
		struct cv_proto_msg m = sample(CV_PROTO_TYPE_STATE);

		if (!(bit & _CV_PROTO_STATE_FLAGS)) {
			m.state.flags |= (uint8_t)bit;
			assert_encode_einval(&m);
			PATCH_FAILS(CV_PROTO_TYPE_STATE, OFF_STATE_FLAGS, -EBADMSG,
				    (uint8_t)(CV_PROTO_STATE_STANDBY | bit));
		}
		if (!(bit & _CV_PROTO_VIP_FLAGS)) {
			m = sample(CV_PROTO_TYPE_STATE);
			memcpy(vips, sample_vips, sizeof(vips));
			vips[0].flags |= (uint8_t)bit;
			m.state.vips = vips;
			assert_encode_einval(&m);
			/* "web" is HEALTHY | HELD, no MOVE: the layout stays the same */
			PATCH_FAILS(CV_PROTO_TYPE_STATE, OFF_STATE_VIP0_FLAGS, -EBADMSG,
				    (uint8_t)(sample_vips[0].flags | bit));
		}
	}
}

static void
move_and_standby_stamps_round_trip(void **state)
{
	static const uint64_t stamps[] = { 0, 1, UINT64_C(0x8000000000000000), UINT64_MAX };

	for (size_t i = 0; i < ELEMENTSOF(stamps); i++) {
		struct cv_proto_msg m = sample(CV_PROTO_TYPE_MOVE);

		m.move.stamp = stamps[i];
		assert_round_trip(&m);
		m = sample(CV_PROTO_TYPE_STANDBY);
		m.standby.stamp = stamps[i];
		assert_round_trip(&m);
		m.standby.standby = false;
		assert_round_trip(&m);
	}
}

/* ---- chunking ---- */

static struct cv_proto_vip *
many_vips(size_t n)
{
	struct cv_proto_vip *vips = calloc(n, sizeof(*vips));

	assert_non_null(vips);
	for (size_t i = 0; i < n; i++) {
		/* 63 characters: "vip-" and 59 digits */
		snprintf(vips[i].name, sizeof(vips[i].name), "vip-%059zu", i);
		assert_int_equal(strlen(vips[i].name), CV_PROTO_NAME_MAX);
		vips[i].flags = (uint8_t)(i % 8); /* HEALTHY, HELD, BLOCKED: no MOVE */
		vips[i].digest = (uint32_t)(i * 2654435761u);
		vips[i].epoch = i * 1000003;
		vips[i].addr_keys[0] = (uint32_t)i + 1; /* one address each */
		vips[i].n_keys = 1;
	}
	return vips;
}

static void
set_move(struct cv_proto_vip *v, uint32_t target, uint64_t stamp)
{
	v->flags |= CV_PROTO_VIP_MOVE;
	v->move_target = target;
	v->move_stamp = stamp;
}

static size_t
count_chunks(const struct cv_proto_vip *vips, size_t n,
	     size_t (*fit)(const struct cv_proto_vip *, size_t, size_t))
{
	size_t count = 0, start = 0;

	do {
		start += fit(vips, n, start);
		count++;
	} while (start < n);
	return count;
}

/*
 * Split n VIPs with the type's fit helper and check every chunk: it is the
 * most that fits, stays within CV_PROTO_MAX_MSG, and decodes back to the same
 * entries in order. Returns the number of chunks. A STATE chunk carries a full
 * standby table: the fit keeps room for one, so that must fit too, and with
 * it one more entry must not.
 */
static size_t
assert_chunks_round_trip(enum cv_proto_type type, struct cv_proto_vip *vips, size_t n)
{
	bool is_state = type == CV_PROTO_TYPE_STATE;
	size_t (*fit)(const struct cv_proto_vip *, size_t, size_t) =
		is_state ? cv_proto_state_fit : cv_proto_released_fit;
	size_t count = count_chunks(vips, n, fit), start = 0;
	_cleanup_free_ uint8_t *buf = malloc(CV_PROTO_MAX_MSG);

	assert_non_null(buf);
	for (size_t i = 0; i < count; i++) {
		size_t k = fit(vips, n, start), len;
		struct cv_proto_msg m = sample(type), out = {};
		size_t *n_vips = is_state ? &m.state.n_vips : &m.released.n_vips;

		assert_true(k > 0);
		*(is_state ? &m.state.vips : &m.released.vips) = vips + start;
		if (is_state) {
			m.state.chunk_index = (uint16_t)i;
			m.state.chunk_count = (uint16_t)count;
			fill_standby_table(&m.state, CV_PROTO_STANDBY_MAX);
		}
		*n_vips = k + 1;
		if (start + k < n)
			assert_int_equal(cv_proto_encode(&m, buf, CV_PROTO_MAX_MSG, &len),
					 -EMSGSIZE);
		*n_vips = k;
		len = encode_ok(&m, buf, CV_PROTO_MAX_MSG);
		assert_int_equal(decode_copy(buf, len, &out), 0);
		assert_msg_equal(&out, &m); /* entries in order, from vips[start] on */
		cv_proto_msg_done(&out);
		start += k;
	}
	assert_int_equal(start, n);
	return count;
}

static void
ten_thousand_vips_split_into_chunks_that_each_fit(void **state)
{
	const size_t n = 10000;
	_cleanup_free_ struct cv_proto_vip *vips = many_vips(n);

	/* 63-character names. A STATE takes 16 + 888 bytes before its entries
	 * (40 of fields, 1 + 65 * 13 kept for the standby table, 2 of n_vips),
	 * then 86 per entry (name 1 + 63, flags, digest 4, epoch 8, owner 4,
	 * n_keys 1, one address key 4): 751 entries (904 + 751 * 86 = 65490;
	 * one more would need 65576), 14 chunks for 10000. RELEASED: 909 per
	 * message (34 + 909 * 72 = 65482). */
	assert_int_equal(cv_proto_state_fit(vips, n, 0), 751);
	assert_int_equal(cv_proto_released_fit(vips, n, 0), 909);
	assert_int_equal(assert_chunks_round_trip(CV_PROTO_TYPE_STATE, vips, n), 14);
	assert_int_equal(assert_chunks_round_trip(CV_PROTO_TYPE_RELEASED, vips, n), 12);

	/* exactly full: 904 + 750 * 86 + (23 + 49) + (23 + 36) = 65535 */
	vips[750].name[49] = '\0';
	vips[751].name[36] = '\0';
	assert_int_equal(cv_proto_state_fit(vips, 752, 0), 752);
	/* one byte over: the 752nd entry with a 37-character name makes 65536 */
	snprintf(vips[751].name, sizeof(vips[751].name), "%037d", 0);
	assert_int_equal(cv_proto_state_fit(vips, 752, 0), 751);
	/* each key counts: a second key on the first entry, 4 bytes over */
	vips[751].name[36] = '\0';
	vips[0].addr_keys[1] = 7;
	vips[0].n_keys = 2;
	assert_int_equal(cv_proto_state_fit(vips, 752, 0), 751);
	/* one byte over: 34 + 909 * 72 + (9 + 45) = 65536 */
	assert_int_equal(cv_proto_released_fit(vips, 1910, 1000), 909);
}

static void
move_entries_take_twelve_more_bytes_in_the_fit(void **state)
{
	const size_t n = 10000;
	_cleanup_free_ struct cv_proto_vip *vips = many_vips(n);

	/* 750 plain entries and a 49-character one make 904 + 750 * 86 + 72 =
	 * 65476, leaving 59 bytes: an entry of a 36-character name (23 + 36)
	 * without the move fields, or of a 24-character name with them
	 * (23 + 24 + 12) */
	vips[750].name[49] = '\0';
	snprintf(vips[751].name, sizeof(vips[751].name), "%036d", 0);
	assert_int_equal(cv_proto_state_fit(vips, 752, 0), 752);
	set_move(&vips[751], 1, 1);
	assert_int_equal(cv_proto_state_fit(vips, 752, 0), 751);
	snprintf(vips[751].name, sizeof(vips[751].name), "%024d", 0);
	assert_int_equal(cv_proto_state_fit(vips, 752, 0), 752);
	snprintf(vips[751].name, sizeof(vips[751].name), "%025d", 0); /* one byte over */
	assert_int_equal(cv_proto_state_fit(vips, 752, 0), 751);
	/* the 12 bytes count wherever the move is: with the first entry's, the
	 * last plain entry has 59 - 12 = 47 bytes, a 24-character name */
	set_move(&vips[0], 0, 0);
	vips[751] = (struct cv_proto_vip){ .addr_keys = { 1 }, .n_keys = 1 };
	snprintf(vips[751].name, sizeof(vips[751].name), "%024d", 0);
	assert_int_equal(cv_proto_state_fit(vips, 752, 0), 752);
	snprintf(vips[751].name, sizeof(vips[751].name), "%025d", 0);
	assert_int_equal(cv_proto_state_fit(vips, 752, 0), 751);

	/* every entry with a move: 98 bytes each, 659 per STATE
	 * (904 + 659 * 98 = 65486; one more would need 65584), 16 chunks */
	free(vips);
	vips = many_vips(n);
	for (size_t i = 0; i < n; i++)
		set_move(&vips[i], (uint32_t)i, UINT64_MAX - i);
	assert_int_equal(cv_proto_state_fit(vips, n, 0), 659);
	assert_int_equal(assert_chunks_round_trip(CV_PROTO_TYPE_STATE, vips, n), 16);
	/* RELEASED does not send them: its fit is the same as without */
	assert_int_equal(cv_proto_released_fit(vips, n, 0), 909);
}

static void
fit_is_zero_past_the_end_and_all_when_small(void **state)
{
	assert_int_equal(cv_proto_state_fit(sample_vips, 3, 0), 3);
	assert_int_equal(cv_proto_state_fit(sample_vips, 3, 2), 1);
	assert_int_equal(cv_proto_state_fit(sample_vips, 3, 3), 0);
	assert_int_equal(cv_proto_state_fit(NULL, 0, 0), 0);
	assert_int_equal(cv_proto_released_fit(sample_vips, 3, 0), 3);
	assert_int_equal(cv_proto_released_fit(sample_vips, 3, 4), 0);
	assert_int_equal(count_chunks(NULL, 0, cv_proto_state_fit), 1);
}

/* ---- exact bytes ---- */

static void
heartbeat_matches_reference_bytes(void **state)
{
	const struct cv_proto_msg m = {
		.type = CV_PROTO_TYPE_HEARTBEAT,
		.heartbeat = { .ring = { 0x01020304, UINT64_C(0x05060708090a0b0c) },
			       .send_time_ms = UINT64_C(0x1112131415161718),
			       .seq = UINT64_C(0x2122232425262728),
			       .holdings_epoch = UINT64_C(0x3132333435363738),
			       .n_held = 0x41424344,
			       .lease_ms = 0x51525354 },
	};
	static const uint8_t want[] = {
		0x43, 0x56, 0x49, 0x50, /* magic "CVIP" */
		0x00, 0x02,		/* version 2 */
		0x00, 0x02,		/* type HEARTBEAT */
		0x00, 0x00, 0x00, 0x3c, /* length 60 */
		0x00, 0x00, 0x00, 0x00, /* reserved */
		0x01, 0x02, 0x03, 0x04, /* ring nodeid */
		0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, /* ring seq */
		0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, /* send_time_ms */
		0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, /* seq */
		0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, /* holdings_epoch */
		0x41, 0x42, 0x43, 0x44,				/* n_held */
		0x51, 0x52, 0x53, 0x54,				/* lease_ms */
	};
	uint8_t buf[128];
	size_t len = encode_ok(&m, buf, sizeof(buf));

	assert_int_equal(len, sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
	assert_round_trip(&m);
}

static void
state_matches_reference_bytes(void **state)
{
	struct cv_proto_vip vips[] = {
		{ .name = "ab",
		  .flags = CV_PROTO_VIP_HELD | CV_PROTO_VIP_BLOCKED | CV_PROTO_VIP_MOVE,
		  .digest = 0x31323334, .epoch = UINT64_C(0x35363738393a3b3c),
		  .owner = 0x3d3e3f40, .addr_keys = { 0x61626364, 0x696a6b6c }, .n_keys = 2,
		  .move_target = 0x41424344, .move_stamp = UINT64_C(0x45464748494a4b4c) },
		{ .name = "c", .flags = CV_PROTO_VIP_HEALTHY, .digest = 0x51525354,
		  .epoch = UINT64_C(0x55565758595a5b5c), .owner = 0x5d5e5f60,
		  .addr_keys = { 0x65666768 }, .n_keys = 1 },
	};
	const struct cv_proto_msg m = {
		.type = CV_PROTO_TYPE_STATE,
		.state = { .max_version = 2, .role = CV_PROTO_ROLE_REAPER,
			   .flags = CV_PROTO_STATE_STANDBY | CV_PROTO_STATE_SEASONED,
			   .nodeid = 0x01020304, .peer_pid = 0x05060708,
			   .ring = { 0x090a0b0c, UINT64_C(0x0d0e0f1011121314) },
			   .digest = UINT64_C(0x15161718191a1b1c), .lease_ms = 0x1d1e1f20,
			   .chunk_index = 0, .chunk_count = 1,
			   .standby = { { 0x21222324, true, UINT64_C(0x25262728292a2b2c) } },
			   .n_standby = 1, .vips = vips, .n_vips = ELEMENTSOF(vips) },
	};
	static const uint8_t want[] = {
		0x43, 0x56, 0x49, 0x50, /* magic "CVIP" */
		0x00, 0x02,		/* version 2 */
		0x00, 0x01,		/* type STATE */
		0x00, 0x00, 0x00, 0x89, /* length 137 */
		0x00, 0x00, 0x00, 0x00, /* reserved */
		0x00, 0x02,		/* max_version */
		0x01,			/* role reaper */
		0x05,			/* flags STANDBY | SEASONED */
		0x01, 0x02, 0x03, 0x04, /* nodeid */
		0x05, 0x06, 0x07, 0x08, /* peer_pid */
		0x09, 0x0a, 0x0b, 0x0c, /* ring nodeid */
		0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, /* ring seq */
		0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, /* config digest */
		0x1d, 0x1e, 0x1f, 0x20,				/* lease_ms */
		0x00, 0x00,					/* chunk_index */
		0x00, 0x01,					/* chunk_count */
		0x01,						/* n_standby */
		0x21, 0x22, 0x23, 0x24,				/* nodeid */
		0x01,						/* standby */
		0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x2b, 0x2c, /* stamp */
		0x00, 0x02,					/* n_vips */
		0x02, 'a', 'b',					/* name */
		0x0e,						/* HELD | BLOCKED | MOVE */
		0x31, 0x32, 0x33, 0x34,				/* VIP digest */
		0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x3b, 0x3c, /* epoch */
		0x3d, 0x3e, 0x3f, 0x40,				/* owner */
		0x02,						/* n_keys */
		0x61, 0x62, 0x63, 0x64,				/* address keys */
		0x69, 0x6a, 0x6b, 0x6c,
		0x41, 0x42, 0x43, 0x44,				/* move_target */
		0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x4b, 0x4c, /* move_stamp */
		0x01, 'c',					/* name */
		0x01,						/* HEALTHY */
		0x51, 0x52, 0x53, 0x54,				/* VIP digest */
		0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x5b, 0x5c, /* epoch */
		0x5d, 0x5e, 0x5f, 0x60,				/* owner */
		0x01,						/* n_keys */
		0x65, 0x66, 0x67, 0x68,				/* address key */
	};
	uint8_t buf[256];
	size_t len = encode_ok(&m, buf, sizeof(buf));

	assert_int_equal(len, sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
	assert_round_trip(&m);
}

static void
move_and_standby_match_reference_bytes(void **state)
{
	const struct cv_proto_msg move = {
		.type = CV_PROTO_TYPE_MOVE,
		.move = { .request_id = 0x01020304, .origin = 0x05060708, .target = 0x090a0b0c,
			  .stamp = UINT64_C(0x1112131415161718), .vip = "web" },
	};
	const struct cv_proto_msg standby = {
		.type = CV_PROTO_TYPE_STANDBY,
		.standby = { .request_id = 0x01020304, .origin = 0x05060708,
			     .target = 0x090a0b0c, .stamp = UINT64_C(0x1112131415161718),
			     .standby = true },
	};
	static const uint8_t want_move[] = {
		0x43, 0x56, 0x49, 0x50, 0x00, 0x02, 0x00, 0x04, /* "CVIP", version 2, MOVE */
		0x00, 0x00, 0x00, 0x28, 0x00, 0x00, 0x00, 0x00, /* length 40, reserved */
		0x01, 0x02, 0x03, 0x04,				/* request_id */
		0x05, 0x06, 0x07, 0x08,				/* origin */
		0x09, 0x0a, 0x0b, 0x0c,				/* target */
		0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, /* stamp */
		0x03, 'w', 'e', 'b',				/* name */
	};
	static const uint8_t want_standby[] = {
		0x43, 0x56, 0x49, 0x50, 0x00, 0x02, 0x00, 0x05, /* "CVIP", version 2, STANDBY */
		0x00, 0x00, 0x00, 0x25, 0x00, 0x00, 0x00, 0x00, /* length 37, reserved */
		0x01, 0x02, 0x03, 0x04,				/* request_id */
		0x05, 0x06, 0x07, 0x08,				/* origin */
		0x09, 0x0a, 0x0b, 0x0c,				/* target */
		0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, /* stamp */
		0x01,						/* standby */
	};
	uint8_t buf[128];
	size_t len = encode_ok(&move, buf, sizeof(buf));

	assert_int_equal(len, sizeof(want_move));
	assert_memory_equal(buf, want_move, sizeof(want_move));
	len = encode_ok(&standby, buf, sizeof(buf));
	assert_int_equal(len, sizeof(want_standby));
	assert_memory_equal(buf, want_standby, sizeof(want_standby));
}

static void
silent_matches_reference_bytes(void **state)
{
	const struct cv_proto_msg silent = {
		.type = CV_PROTO_TYPE_SILENT,
		.silent = { .nodeid = 0x01020304,
			    .ring = { .nodeid = 0x05060708, .seq = UINT64_C(0x1112131415161718) } },
	};
	static const uint8_t want[] = {
		0x43, 0x56, 0x49, 0x50, 0x00, 0x02, 0x00, 0x06, /* "CVIP", version 2, SILENT */
		0x00, 0x00, 0x00, 0x20, 0x00, 0x00, 0x00, 0x00, /* length 32, reserved */
		0x01, 0x02, 0x03, 0x04,				/* nodeid */
		0x05, 0x06, 0x07, 0x08,				/* ring nodeid */
		0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, /* ring seq */
	};
	uint8_t buf[64];
	size_t len = encode_ok(&silent, buf, sizeof(buf));

	assert_int_equal(len, sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
	assert_round_trip(&silent);
}

/* ---- decode rejections ---- */

static void
every_truncation_is_ebadmsg(void **state)
{
	for (int t = CV_PROTO_TYPE_STATE; t < _CV_PROTO_TYPE_MAX; t++) {
		struct cv_proto_msg m = sample(t), out = {};
		uint8_t buf[512];
		size_t len = encode_ok(&m, buf, sizeof(buf));

		for (size_t cut = 0; cut < len; cut++)
			assert_int_equal(decode_copy(buf, cut, &out), -EBADMSG);
	}
}

static void
wrong_magic_is_ebadmsg(void **state)
{
	PATCH_FAILS(CV_PROTO_TYPE_HEARTBEAT, OFF_MAGIC, -EBADMSG, 'P', 'I', 'V', 'C');
	PATCH_FAILS(CV_PROTO_TYPE_MOVE, OFF_MAGIC + 3, -EBADMSG, 0x51);
}

static void
other_versions_are_proto_version_errors(void **state)
{
	PATCH_FAILS(CV_PROTO_TYPE_HEARTBEAT, OFF_VERSION, CV_E_PROTO_VERSION, 0, 3);
	PATCH_FAILS(CV_PROTO_TYPE_STATE, OFF_VERSION, CV_E_PROTO_VERSION, 0, 0);
	PATCH_FAILS(CV_PROTO_TYPE_STATE, OFF_VERSION, CV_E_PROTO_VERSION, 2, 2);
	assert_string_equal(cv_strerror(CV_E_PROTO_VERSION), "unsupported protocol version");
}

/* Version 1 bytes as a version 1 daemon sent them: without a standby table, a
 * version 1 STATE would misparse as version 2, so the header must stop it. */
static void
version_1_message_is_proto_version_error(void **state)
{
	static const uint8_t state_v1[] = {
		0x43, 0x56, 0x49, 0x50, 0x00, 0x01, 0x00, 0x01, /* "CVIP", version 1, STATE */
		0x00, 0x00, 0x00, 0x36, 0x00, 0x00, 0x00, 0x00, /* length 54 */
		0x00, 0x01, 0x00, 0x00,				/* max_version 1, daemon */
		0x00, 0x00, 0x00, 0x01,				/* nodeid */
		0x00, 0x00, 0x10, 0x92,				/* peer_pid */
		0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, /* ring */
		0x00, 0x00, 0x00, 0x08, 0x01, 0x23, 0x45, 0x67, /* ring, digest */
		0x89, 0xab, 0xcd, 0xef, 0x00, 0x00, 0x00, 0x01, /* digest, chunk 0 of 1 */
		0x00, 0x00,					/* n_vips */
	};
	static const uint8_t standby_v1[] = {
		0x43, 0x56, 0x49, 0x50, 0x00, 0x01, 0x00, 0x05, /* "CVIP", version 1, STANDBY */
		0x00, 0x00, 0x00, 0x1d, 0x00, 0x00, 0x00, 0x00, /* length 29 */
		0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x01, /* request_id, origin */
		0x00, 0x00, 0x00, 0x02, 0x01,			/* target, standby */
	};
	struct cv_proto_msg out = {};

	assert_int_equal(decode_copy(state_v1, sizeof(state_v1), &out), CV_E_PROTO_VERSION);
	assert_int_equal(decode_copy(standby_v1, sizeof(standby_v1), &out), CV_E_PROTO_VERSION);
	PATCH_FAILS(CV_PROTO_TYPE_MOVE, OFF_VERSION, CV_E_PROTO_VERSION, 0, 1);
}

static void
unknown_type_is_eopnotsupp(void **state)
{
	PATCH_FAILS(CV_PROTO_TYPE_HEARTBEAT, OFF_TYPE, -EOPNOTSUPP, 0, 0);
	PATCH_FAILS(CV_PROTO_TYPE_HEARTBEAT, OFF_TYPE, -EOPNOTSUPP, 0, _CV_PROTO_TYPE_MAX);
	PATCH_FAILS(CV_PROTO_TYPE_HEARTBEAT, OFF_TYPE, -EOPNOTSUPP, 0xff, 0xff);
}

static void
length_field_mismatch_is_ebadmsg(void **state)
{
	struct cv_proto_msg m = sample(CV_PROTO_TYPE_MOVE), out = {};
	uint8_t buf[128];
	size_t len = encode_ok(&m, buf, sizeof(buf));

	put32(buf + OFF_LENGTH, (uint32_t)len + 1);
	assert_int_equal(decode_copy(buf, len, &out), -EBADMSG);
	put32(buf + OFF_LENGTH, (uint32_t)len - 1);
	assert_int_equal(decode_copy(buf, len, &out), -EBADMSG);
	put32(buf + OFF_LENGTH, 0);
	assert_int_equal(decode_copy(buf, len, &out), -EBADMSG);
}

static void
trailing_byte_is_ebadmsg(void **state)
{
	for (int t = CV_PROTO_TYPE_STATE; t < _CV_PROTO_TYPE_MAX; t++) {
		struct cv_proto_msg m = sample(t), out = {};
		uint8_t buf[512];
		size_t len = encode_ok(&m, buf, sizeof(buf));

		buf[len] = 0;
		assert_int_equal(decode_copy(buf, len + 1, &out), -EBADMSG);
		put32(buf + OFF_LENGTH, (uint32_t)len + 1); /* even when the length says so */
		assert_int_equal(decode_copy(buf, len + 1, &out), -EBADMSG);
	}
}

static void
reserved_field_is_ignored(void **state)
{
	struct cv_proto_msg m = sample(CV_PROTO_TYPE_STANDBY), out = {};
	uint8_t buf[128];
	size_t len = encode_ok(&m, buf, sizeof(buf));

	assert_memory_equal(buf + OFF_RESERVED, ((uint8_t[]){ 0, 0, 0, 0 }), 4);
	put32(buf + OFF_RESERVED, 0xdeadbeef);
	assert_int_equal(decode_copy(buf, len, &out), 0);
	assert_msg_equal(&out, &m);
}

static void
oversized_input_is_emsgsize(void **state)
{
	_cleanup_free_ uint8_t *buf = calloc(1, CV_PROTO_MAX_MSG + 1);
	struct cv_proto_msg m = sample(CV_PROTO_TYPE_HEARTBEAT), out = {};

	assert_non_null(buf);
	encode_ok(&m, buf, CV_PROTO_MAX_MSG + 1);
	put32(buf + OFF_LENGTH, CV_PROTO_MAX_MSG + 1);
	assert_int_equal(cv_proto_decode(buf, CV_PROTO_MAX_MSG + 1, &out), -EMSGSIZE);
}

static void
n_vips_claiming_more_than_present_is_ebadmsg(void **state)
{
	/* the sample has 3 entries */
	PATCH_FAILS(CV_PROTO_TYPE_STATE, OFF_STATE_N_VIPS, -EBADMSG, 0, 4);
	PATCH_FAILS(CV_PROTO_TYPE_STATE, OFF_STATE_N_VIPS, -EBADMSG, 0xff, 0xff);
	PATCH_FAILS(CV_PROTO_TYPE_RELEASED, OFF_RELEASED_N_VIPS, -EBADMSG, 0, 4);
	PATCH_FAILS(CV_PROTO_TYPE_RELEASED, OFF_RELEASED_N_VIPS, -EBADMSG, 0xff, 0xff);
	/* fewer than present leaves trailing bytes */
	PATCH_FAILS(CV_PROTO_TYPE_STATE, OFF_STATE_N_VIPS, -EBADMSG, 0, 2);
	PATCH_FAILS(CV_PROTO_TYPE_RELEASED, OFF_RELEASED_N_VIPS, -EBADMSG, 0, 0);
}

/* A MOVE whose name field is len_byte followed by name[0..n). */
static size_t
raw_move(uint8_t *buf, uint8_t len_byte, const char *name, size_t n)
{
	size_t total = OFF_MOVE_NAME + 1 + n;

	put32(buf + OFF_MAGIC, CV_PROTO_MAGIC);
	put16(buf + OFF_VERSION, CV_PROTO_VERSION);
	put16(buf + OFF_TYPE, CV_PROTO_TYPE_MOVE);
	put32(buf + OFF_LENGTH, (uint32_t)total);
	put32(buf + OFF_RESERVED, 0);
	put32(buf + OFF_BODY, 1);
	put32(buf + OFF_REQUEST_ORIGIN, 1);
	put32(buf + OFF_REQUEST_TARGET, 2);
	put64(buf + OFF_REQUEST_STAMP, 3);
	buf[OFF_MOVE_NAME] = len_byte;
	memcpy(buf + OFF_MOVE_NAME + 1, name, n);
	return total;
}

static void
bad_names_are_ebadmsg(void **state)
{
	static const char *const bad[] = { "a b", "a/b", "a\0b", "\xc3\xa9", "web\n", "a:b" };
	uint8_t buf[256];
	char name[CV_PROTO_NAME_MAX + 1];
	struct cv_proto_msg out = {};

	memset(name, 'a', sizeof(name));
	assert_int_equal(decode_copy(buf, raw_move(buf, 63, name, 63), &out), 0);
	assert_int_equal(strlen(out.move.vip), 63);
	assert_int_equal(decode_copy(buf, raw_move(buf, 64, name, 64), &out), -EBADMSG);
	assert_int_equal(decode_copy(buf, raw_move(buf, 0, "", 0), &out), -EBADMSG);
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		size_t n = i == 2 ? 3 : strlen(bad[i]);

		assert_int_equal(decode_copy(buf, raw_move(buf, (uint8_t)n, bad[i], n), &out),
				 -EBADMSG);
	}
	/* the first entry's name "web" starts right after its length byte */
	PATCH_FAILS(CV_PROTO_TYPE_STATE, OFF_STATE_VIPS + 1, -EBADMSG, '!');
	PATCH_FAILS(CV_PROTO_TYPE_STATE, OFF_STATE_VIPS, -EBADMSG, 0);
	PATCH_FAILS(CV_PROTO_TYPE_RELEASED, OFF_RELEASED_VIPS + 2, -EBADMSG, ' ');
	PATCH_FAILS(CV_PROTO_TYPE_MOVE, OFF_MOVE_NAME + 3, -EBADMSG, 0);
}

static void
invalid_field_values_are_ebadmsg(void **state)
{
	PATCH_FAILS(CV_PROTO_TYPE_STANDBY, OFF_STANDBY_VALUE, -EBADMSG, 2);
	PATCH_FAILS(CV_PROTO_TYPE_STANDBY, OFF_STANDBY_VALUE, -EBADMSG, 0xff);
	PATCH_FAILS(CV_PROTO_TYPE_STANDBY, OFF_REQUEST_ORIGIN, -EBADMSG, 0, 0, 0, 0);
	PATCH_FAILS(CV_PROTO_TYPE_MOVE, OFF_REQUEST_ORIGIN, -EBADMSG, 0, 0, 0, 0);
	PATCH_FAILS(CV_PROTO_TYPE_MOVE, OFF_REQUEST_TARGET, -EBADMSG, 0, 0, 0, 0);
	PATCH_FAILS(CV_PROTO_TYPE_RELEASED, OFF_BODY, -EBADMSG, 0, 0, 0, 0);
	PATCH_FAILS(CV_PROTO_TYPE_STATE, OFF_STATE_MAX_VERSION, -EBADMSG, 0, 0);
	/* a member cannot speak less than the version it sends */
	PATCH_FAILS(CV_PROTO_TYPE_STATE, OFF_STATE_MAX_VERSION, -EBADMSG, 0, 1);
	PATCH_FAILS(CV_PROTO_TYPE_STATE, OFF_STATE_ROLE, -EBADMSG, 2);
	PATCH_FAILS(CV_PROTO_TYPE_STATE, OFF_STATE_NODEID, -EBADMSG, 0, 0, 0, 0);
	/* undefined flag bits: undefined_flag_bits_are_refused_both_ways */
}

static void
state_chunk_index_not_below_count_is_ebadmsg(void **state)
{
	/* the sample is chunk 1 of 3 */
	PATCH_FAILS(CV_PROTO_TYPE_STATE, OFF_STATE_CHUNK_INDEX, -EBADMSG, 0, 3);
	PATCH_FAILS(CV_PROTO_TYPE_STATE, OFF_STATE_CHUNK_INDEX, -EBADMSG, 0, 4);
	PATCH_FAILS(CV_PROTO_TYPE_STATE, OFF_STATE_CHUNK_INDEX, -EBADMSG, 0, 0, 0, 0);
	PATCH_FAILS(CV_PROTO_TYPE_STATE, OFF_STATE_CHUNK_COUNT, -EBADMSG, 0, 1);
}

static void
output_is_untouched_on_failure(void **state)
{
	struct cv_proto_msg m = sample(CV_PROTO_TYPE_STATE), out, before;
	uint8_t buf[512];
	size_t len = encode_ok(&m, buf, sizeof(buf));

	memset(&out, 0x5a, sizeof(out));
	memcpy(&before, &out, sizeof(out)); /* bytes, padding included */
	assert_int_equal(decode_copy(buf, len - 1, &out), -EBADMSG);
	put16(buf + OFF_STATE_N_VIPS, 4);
	assert_int_equal(decode_copy(buf, len, &out), -EBADMSG);
	put16(buf + OFF_STATE_N_VIPS, ELEMENTSOF(sample_vips));
	buf[OFF_STATE_N_STANDBY] = CV_PROTO_STANDBY_MAX + 1;
	assert_int_equal(decode_copy(buf, len, &out), -EBADMSG);
	buf[OFF_STATE_N_STANDBY] = SAMPLE_N_STANDBY;
	put16(buf + OFF_VERSION, 1);
	assert_int_equal(decode_copy(buf, len, &out), CV_E_PROTO_VERSION);
	put16(buf + OFF_VERSION, CV_PROTO_VERSION);
	put16(buf + OFF_TYPE, _CV_PROTO_TYPE_MAX);
	assert_int_equal(decode_copy(buf, len, &out), -EOPNOTSUPP);
	assert_memory_equal(&out, &before, sizeof(out));
}

/* ---- encode rejections ---- */

static void
encode_into_small_buffer_is_emsgsize(void **state)
{
	for (int t = CV_PROTO_TYPE_STATE; t < _CV_PROTO_TYPE_MAX; t++) {
		struct cv_proto_msg m = sample(t);
		uint8_t buf[512], guard[512];
		size_t full = encode_ok(&m, buf, sizeof(buf)), len = 12345;

		memset(buf, 0xee, sizeof(buf));
		memcpy(guard, buf, sizeof(buf));
		for (size_t size = 0; size < full; size++)
			assert_int_equal(cv_proto_encode(&m, buf, size, &len), -EMSGSIZE);
		assert_int_equal(len, 12345);
		assert_memory_equal(buf, guard, sizeof(buf)); /* nothing written */
	}
}

static void
encode_over_max_message_is_emsgsize(void **state)
{
	const size_t n = 1000; /* 1000 entries of 72 bytes or more > 64 KiB */
	_cleanup_free_ struct cv_proto_vip *vips = many_vips(n);
	_cleanup_free_ uint8_t *buf = malloc(2 * CV_PROTO_MAX_MSG);
	struct cv_proto_msg m = sample(CV_PROTO_TYPE_STATE);
	size_t len;

	assert_non_null(buf);
	m.state.vips = vips;
	m.state.n_vips = n;
	assert_int_equal(cv_proto_encode(&m, buf, 2 * CV_PROTO_MAX_MSG, &len), -EMSGSIZE);
	m = sample(CV_PROTO_TYPE_RELEASED);
	m.released.vips = vips;
	m.released.n_vips = n;
	assert_int_equal(cv_proto_encode(&m, buf, 2 * CV_PROTO_MAX_MSG, &len), -EMSGSIZE);
}

static void
encode_bad_name_is_einval(void **state)
{
	static const char *const bad[] = { "", "a b", "a/b", "\xc3\xa9", "web\n" };
	struct cv_proto_vip vip = { .epoch = 1 };
	struct cv_proto_msg m;

	for (size_t i = 0; i <= ELEMENTSOF(bad); i++) {
		if (i < ELEMENTSOF(bad))
			snprintf(vip.name, sizeof(vip.name), "%s", bad[i]);
		else
			memset(vip.name, 'a', sizeof(vip.name)); /* 64 characters, no NUL */
		m = sample(CV_PROTO_TYPE_MOVE);
		memcpy(m.move.vip, vip.name, sizeof(vip.name));
		assert_encode_einval(&m);
		m = sample(CV_PROTO_TYPE_STATE);
		m.state.vips = &vip;
		m.state.n_vips = 1;
		assert_encode_einval(&m);
		m = sample(CV_PROTO_TYPE_RELEASED);
		m.released.vips = &vip;
		m.released.n_vips = 1;
		assert_encode_einval(&m);
	}
}

static void
encode_invalid_fields_is_einval(void **state)
{
	struct cv_proto_vip vip = { .name = "a", .flags = 0x80 };
	struct cv_proto_msg m;

#define EINVAL_WITH(t, field, value)                                                               \
	do {                                                                                       \
		m = sample(t);                                                                     \
		m.field = value;                                                                   \
		assert_encode_einval(&m);                                                          \
	} while (0)

	EINVAL_WITH(CV_PROTO_TYPE_STATE, state.chunk_index, 3);
	EINVAL_WITH(CV_PROTO_TYPE_STATE, state.chunk_count, 0);
	EINVAL_WITH(CV_PROTO_TYPE_STATE, state.nodeid, 0);
	EINVAL_WITH(CV_PROTO_TYPE_STATE, state.role, _CV_PROTO_ROLE_MAX);
	EINVAL_WITH(CV_PROTO_TYPE_STATE, state.role, _CV_PROTO_ROLE_INVALID);
	EINVAL_WITH(CV_PROTO_TYPE_STATE, state.flags, 0x80);
	EINVAL_WITH(CV_PROTO_TYPE_STATE, state.max_version, 0);
	EINVAL_WITH(CV_PROTO_TYPE_STATE, state.max_version, CV_PROTO_VERSION - 1);
	EINVAL_WITH(CV_PROTO_TYPE_STATE, state.vips, NULL);
	EINVAL_WITH(CV_PROTO_TYPE_STATE, state.vips, &vip);
	EINVAL_WITH(CV_PROTO_TYPE_RELEASED, released.vips, NULL);
	EINVAL_WITH(CV_PROTO_TYPE_RELEASED, released.for_nodeid, 0);
	EINVAL_WITH(CV_PROTO_TYPE_MOVE, move.origin, 0);
	EINVAL_WITH(CV_PROTO_TYPE_MOVE, move.target, 0);
	EINVAL_WITH(CV_PROTO_TYPE_STANDBY, standby.origin, 0);
	EINVAL_WITH(CV_PROTO_TYPE_SILENT, silent.nodeid, 0);
	EINVAL_WITH(CV_PROTO_TYPE_HEARTBEAT, version, CV_PROTO_VERSION - 1);
	EINVAL_WITH(CV_PROTO_TYPE_HEARTBEAT, version, CV_PROTO_VERSION + 1);
	EINVAL_WITH(CV_PROTO_TYPE_HEARTBEAT, type, 0);
	EINVAL_WITH(CV_PROTO_TYPE_HEARTBEAT, type, _CV_PROTO_TYPE_MAX);
	EINVAL_WITH(CV_PROTO_TYPE_HEARTBEAT, type, _CV_PROTO_TYPE_INVALID);
#undef EINVAL_WITH
	m = sample(CV_PROTO_TYPE_STATE);
	m.state.n_vips = 1;
	m.state.vips = &vip; /* flags 0x80 is not defined */
	assert_encode_einval(&m);
}

/* ---- names of enums, cleanup ---- */

static void
type_and_role_names_round_trip(void **state)
{
	for (int t = CV_PROTO_TYPE_STATE; t < _CV_PROTO_TYPE_MAX; t++)
		assert_int_equal(cv_proto_type_from_string(cv_proto_type_to_string(t)), t);
	assert_string_equal(cv_proto_type_to_string(CV_PROTO_TYPE_RELEASED), "RELEASED");
	assert_null(cv_proto_type_to_string(0));
	assert_null(cv_proto_type_to_string(_CV_PROTO_TYPE_MAX));
	assert_null(cv_proto_type_to_string(_CV_PROTO_TYPE_INVALID));
	assert_int_equal(cv_proto_type_from_string("state"), _CV_PROTO_TYPE_INVALID);
	assert_int_equal(cv_proto_type_from_string(""), _CV_PROTO_TYPE_INVALID);

	for (int r = 0; r < _CV_PROTO_ROLE_MAX; r++)
		assert_int_equal(cv_proto_role_from_string(cv_proto_role_to_string(r)), r);
	assert_string_equal(cv_proto_role_to_string(CV_PROTO_ROLE_REAPER), "reaper");
	assert_null(cv_proto_role_to_string(_CV_PROTO_ROLE_MAX));
	assert_null(cv_proto_role_to_string(_CV_PROTO_ROLE_INVALID));
	assert_int_equal(cv_proto_role_from_string("nobody"), _CV_PROTO_ROLE_INVALID);
}

static void
msg_done_accepts_zeroed_and_done_structs(void **state)
{
	struct cv_proto_msg m = {}, in = sample(CV_PROTO_TYPE_STATE);
	uint8_t buf[512];
	size_t len = encode_ok(&in, buf, sizeof(buf));

	cv_proto_msg_done(&m);
	assert_int_equal(cv_proto_decode(buf, len, &m), 0);
	cv_proto_msg_done(&m);
	assert_null(m.state.vips);
	assert_int_equal(m.state.n_vips, 0);
	cv_proto_msg_done(&m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_type_round_trips_field_by_field),
		cmocka_unit_test(lists_with_no_vips_round_trip),
		cmocka_unit_test(address_keys_past_their_maximum_are_refused_both_ways),
		cmocka_unit_test(health_matches_reference_bytes_and_carries_only_healthy),
		cmocka_unit_test(boundary_values_round_trip),
		cmocka_unit_test(bans_are_canonical),
		cmocka_unit_test(standby_table_round_trips_empty_and_full),
		cmocka_unit_test(standby_table_over_65_entries_is_einval_on_encode),
		cmocka_unit_test(standby_table_count_over_65_is_ebadmsg_on_decode),
		cmocka_unit_test(standby_table_nodeid_0_is_maintenance),
		cmocka_unit_test(standby_table_value_other_than_0_or_1_is_ebadmsg),
		cmocka_unit_test(vip_move_fields_round_trip_with_the_move_flag),
		cmocka_unit_test(vip_move_fields_without_the_flag_are_einval),
		cmocka_unit_test(seasoned_and_blocked_flags_round_trip),
		cmocka_unit_test(undefined_flag_bits_are_refused_both_ways),
		cmocka_unit_test(move_and_standby_stamps_round_trip),
		cmocka_unit_test(ten_thousand_vips_split_into_chunks_that_each_fit),
		cmocka_unit_test(move_entries_take_twelve_more_bytes_in_the_fit),
		cmocka_unit_test(fit_is_zero_past_the_end_and_all_when_small),
		cmocka_unit_test(heartbeat_matches_reference_bytes),
		cmocka_unit_test(state_matches_reference_bytes),
		cmocka_unit_test(move_and_standby_match_reference_bytes),
		cmocka_unit_test(silent_matches_reference_bytes),
		cmocka_unit_test(every_truncation_is_ebadmsg),
		cmocka_unit_test(wrong_magic_is_ebadmsg),
		cmocka_unit_test(other_versions_are_proto_version_errors),
		cmocka_unit_test(version_1_message_is_proto_version_error),
		cmocka_unit_test(unknown_type_is_eopnotsupp),
		cmocka_unit_test(length_field_mismatch_is_ebadmsg),
		cmocka_unit_test(trailing_byte_is_ebadmsg),
		cmocka_unit_test(reserved_field_is_ignored),
		cmocka_unit_test(oversized_input_is_emsgsize),
		cmocka_unit_test(n_vips_claiming_more_than_present_is_ebadmsg),
		cmocka_unit_test(bad_names_are_ebadmsg),
		cmocka_unit_test(invalid_field_values_are_ebadmsg),
		cmocka_unit_test(state_chunk_index_not_below_count_is_ebadmsg),
		cmocka_unit_test(output_is_untouched_on_failure),
		cmocka_unit_test(encode_into_small_buffer_is_emsgsize),
		cmocka_unit_test(encode_over_max_message_is_emsgsize),
		cmocka_unit_test(encode_bad_name_is_einval),
		cmocka_unit_test(encode_invalid_fields_is_einval),
		cmocka_unit_test(type_and_role_names_round_trip),
		cmocka_unit_test(msg_done_accepts_zeroed_and_done_structs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
