/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * CPG wire format: the messages corovipd daemons (and their reapers) multicast
 * to each other. Encode and decode live here only; fields are fixed-width,
 * big-endian, read and written byte by byte, and every read is bounds-checked.
 *
 * Protocol versions (the header's version field). A message carries the
 * version it is encoded in and a decoder accepts exactly its own version
 * (CV_E_PROTO_VERSION otherwise); STATE also says the highest version its
 * sender speaks (max_version), for a later release that speaks two. Today a
 * member of another version is never trusted to hold or hand over, and the
 * engine stops waiting for its STATE (engine-msg.c on_undecodable): there
 * is no rolling upgrade across versions.
 *
 *   version 1: initial: STATE, HEARTBEAT, RELEASED, MOVE, STANDBY (never released)
 *   version 2: admin commands are cluster state: STATE carries each VIP's
 *              move (target and stamp, CV_PROTO_VIP_MOVE) and the runtime
 *              standby table; MOVE and STANDBY carry the stamp their origin
 *              gave them. STATE says which VIPs the sender still sees blocked
 *              (CV_PROTO_VIP_BLOCKED), which it has (CV_PROTO_VIP_ACQUIRED),
 *              whom its placement gave each to (owner), and whether its
 *              memory is complete (CV_PROTO_STATE_SEASONED). A member
 *              speaking another version is dropped at decode (counted), so
 *              it is never trusted. SILENT (within version 2, before any
 *              release): a member whose STATE an exchange waits for in vain
 *              is excluded from it by all at one point of the stream.
 *              HEALTH (within version 2, before any release): a daemon's
 *              health changes between STATEs, only the VIPs that changed (a
 *              flapping check with 10,000 VIPs resends none of the others).
 *              CV_PROTO_VIP_FALLBACK and CV_PROTO_VIP_PASSES (within
 *              version 2, before any release): the sender passes a VIP's
 *              fallback checks; an exclusive VIP's checks.
 *              Maintenance mode (within version 2, before any release):
 *              STANDBY target 0 and a standby table entry for node 0.
 *              Bans (within version 2, before any release): BAN and CLEAR,
 *              and a STATE entry's bans (CV_PROTO_VIP_BANS).
 *
 * Layout (offsets in bytes; u8/u16/u32/u64 are big-endian unsigned):
 *
 *   header (16 bytes, every message):
 *     0  u32 magic      CV_PROTO_MAGIC ("CVIP")
 *     4  u16 version    CV_PROTO_VERSION
 *     6  u16 type       enum cv_proto_type
 *     8  u32 length     total message length, header included
 *    12  u32 reserved   0 on send, ignored on receive
 *
 *   ring id (12 bytes):  u32 nodeid, u64 seq
 *   name:                u8 length (1..63), then that many bytes of [A-Za-z0-9_.-],
 *                        starting with a letter or digit, no NUL (name.h)
 *
 *   STATE      u16 max_version (>= version), u8 role, u8 flags (CV_PROTO_STATE_*),
 *              u32 nodeid (!= 0), u32 peer_pid, ring id, u64 config digest,
 *              u32 lease_ms (the sender's L, rule 5), u16 chunk index,
 *              u16 chunk count (index < count),
 *              u8 n_standby (<= CV_PROTO_STANDBY_MAX), then n_standby times:
 *                u32 nodeid (0: the whole cluster, maintenance mode), u8 standby
 *                (0 or 1), u64 stamp;
 *              u16 n_vips, then n_vips times: name, u8 flags (CV_PROTO_VIP_*),
 *              u32 VIP digest (cv_config_vip_digest), u64 epoch, u32 owner
 *              (the node the sender's placement gave it to, 0 = nobody),
 *              u8 n_keys (<= CV_PROTO_KEYS_MAX), then n_keys times u32 address key
 *              (cv_config_vip_addr_keys: every address it has or may still have
 *              under that name; 0 keys: any address, more than fit),
 *              and with CV_PROTO_VIP_MOVE: u32 move target (0 = done), u64 stamp,
 *              and with CV_PROTO_VIP_BANS: u8 n_bans (1..CV_PROTO_BANS_MAX), then
 *              n_bans times: u32 node (!= 0), u8 banned (0: cleared), u64 stamp,
 *              u32 remaining_ms (0: no lifetime)
 *   HEARTBEAT  ring id, u64 send_time_ms, u64 seq, u64 holdings_epoch, u32 n_held,
 *              u32 lease_ms (the sender's L when it sent it)
 *   RELEASED   u32 for_nodeid (!= 0), ring id, u16 n_vips,
 *              then n_vips times: name, u64 epoch
 *   MOVE       u32 request_id, u32 origin (!= 0), u32 target (!= 0), u64 stamp, name
 *   STANDBY    u32 request_id, u32 origin (!= 0), u32 target (0: the whole
 *              cluster, maintenance mode), u64 stamp, u8 standby (0 or 1)
 *   SILENT     u32 nodeid (!= 0), ring id
 *   BAN        u32 request_id, u32 origin (!= 0), u32 target (!= 0), u64 stamp,
 *              u32 lifetime_ms (0: until cleared), name
 *   CLEAR      u32 request_id, u32 origin (!= 0), u32 node, u64 stamp,
 *              u64 ends (0: corovipctl clear; else the stamp of the ban whose
 *              lifetime is over, node != 0), name
 *   HEALTH     ring id, u16 n_vips, then n_vips times: name, u8 flags
 *              (CV_PROTO_VIP_HEALTHY, _FALLBACK, _PASSES or 0)
 *
 * The format is canonical: flag bits not defined here must be 0 and there is
 * no padding, so a decoded message encodes back to the same bytes (save the
 * reserved field). Ring ids, pids, epochs and digests are not interpreted
 * here; duplicate names within one message are the engine's concern.
 */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CV_PROTO_MAGIC UINT32_C(0x43564950) /* "CVIP" */
#define CV_PROTO_VERSION 2
#define CV_PROTO_HEADER_SIZE 16
/* Largest message, header included: every message stays under 64 KiB. */
#define CV_PROTO_MAX_MSG 65535
/* Longest VIP name on the wire, without the NUL. */
#define CV_PROTO_NAME_MAX 63
/* Most address keys of one STATE entry (more: sent as 0 keys, "any address"). */
#define CV_PROTO_KEYS_MAX 16
/* Most runtime standby entries in one STATE (one per node, and maintenance). */
#define CV_PROTO_STANDBY_MAX 65
/* Most bans of one VIP in a STATE entry (one per node). */
#define CV_PROTO_BANS_MAX 64

/* corosync's struct cpg_ring_id, without the corosync header. */
struct cv_ring_id {
	uint32_t nodeid;
	uint64_t seq;
};

enum cv_proto_type {
	CV_PROTO_TYPE_STATE = 1,
	CV_PROTO_TYPE_HEARTBEAT = 2,
	CV_PROTO_TYPE_RELEASED = 3,
	CV_PROTO_TYPE_MOVE = 4,
	CV_PROTO_TYPE_STANDBY = 5,
	CV_PROTO_TYPE_SILENT = 6,
	CV_PROTO_TYPE_HEALTH = 7,
	CV_PROTO_TYPE_BAN = 8,
	CV_PROTO_TYPE_CLEAR = 9,
	_CV_PROTO_TYPE_MAX,
	_CV_PROTO_TYPE_INVALID = -EINVAL,
};

/* Which member of a node's pair sent a STATE. */
enum cv_proto_role {
	CV_PROTO_ROLE_DAEMON = 0,
	CV_PROTO_ROLE_REAPER = 1,
	_CV_PROTO_ROLE_MAX,
	_CV_PROTO_ROLE_INVALID = -EINVAL,
};

/* The longest L a heartbeat may claim (config: lease at most 1 min). */
#define CV_PROTO_LEASE_MAX_MS 600000u

/* struct cv_proto_state.flags */
enum {
	CV_PROTO_STATE_STANDBY = 1 << 0, /* the node is in standby */
	CV_PROTO_STATE_RESEND = 1 << 1,	 /* the sender reloaded: everybody, send your STATE again */
	/* The sender's memory is complete (docs/safety.md, "Knowledge"): a
	 * member that knows less may trust its BLOCKED flags. */
	CV_PROTO_STATE_SEASONED = 1 << 2,
	/* The sender is back in the view less than preempt_delay ago: placement
	 * gives it no preferred VIP that a holder may keep (placement.c pin). */
	CV_PROTO_STATE_PREEMPT_HOLD = 1 << 3,
	_CV_PROTO_STATE_FLAGS = CV_PROTO_STATE_STANDBY | CV_PROTO_STATE_RESEND |
				CV_PROTO_STATE_SEASONED | CV_PROTO_STATE_PREEMPT_HOLD,
};

/* struct cv_proto_vip.flags (STATE only) */
enum {
	CV_PROTO_VIP_HEALTHY = 1 << 0, /* the sender's checks pass for this VIP */
	CV_PROTO_VIP_HELD = 1 << 1,    /* the sender holds it */
	/* The sender knows a node (not the owner) that may still hold it. */
	CV_PROTO_VIP_BLOCKED = 1 << 2,
	CV_PROTO_VIP_MOVE = 1 << 3, /* move_target and move_stamp follow */
	/* The sender has the address (HELD also covers taking or letting go). */
	CV_PROTO_VIP_ACQUIRED = 1 << 4,
	/* The sender passes the VIP's fallback checks (STATE and HEALTH; issue
	 * 16: a read-only VIP on the primary when no standby is healthy). */
	CV_PROTO_VIP_FALLBACK = 1 << 5,
	/* An exclusive VIP: the sender's checks pass, whether or not it may
	 * hold it (HEALTHY also needs its add and link): a second primary whose
	 * add failed is a split still (STATE and HEALTH). */
	CV_PROTO_VIP_PASSES = 1 << 6,
	CV_PROTO_VIP_BANS = 1 << 7, /* n_bans (>= 1) and the bans follow (STATE) */
	_CV_PROTO_VIP_FLAGS = CV_PROTO_VIP_HEALTHY | CV_PROTO_VIP_HELD | CV_PROTO_VIP_BLOCKED |
			      CV_PROTO_VIP_MOVE | CV_PROTO_VIP_ACQUIRED | CV_PROTO_VIP_FALLBACK |
			      CV_PROTO_VIP_PASSES | CV_PROTO_VIP_BANS,
};

/* A node banned from a VIP (corovipctl ban), as cluster state. */
struct cv_proto_ban {
	uint32_t node;
	bool banned;	       /* false: cleared (kept, so an older copy cannot bring it back) */
	uint64_t stamp;	       /* the command's stamp: the highest wins a merge */
	uint32_t remaining_ms; /* of its lifetime as the sender sees it; 0: none */
};

struct cv_proto_vip {
	char name[CV_PROTO_NAME_MAX + 1]; /* NUL-terminated */
	uint8_t flags;			  /* STATE only; not on the wire in RELEASED (decoded 0) */
	uint32_t digest;		  /* STATE only: the sender's config of this VIP */
	uint64_t epoch;
	uint32_t owner;	      /* STATE only: its owner as the sender's placement says */
	/* STATE only: the keys (cv_config_vip_addr_keys) of every address the
	 * sender has or may still have under this name (its VIP's, and those a
	 * reload's removals still take away: engine-orphan.c); 0 keys = any. */
	uint32_t addr_keys[CV_PROTO_KEYS_MAX];
	uint8_t n_keys;
	uint32_t move_target; /* STATE with CV_PROTO_VIP_MOVE: admin move target, 0 = done */
	uint64_t move_stamp;  /* ... and the stamp of that move */
	/* STATE with CV_PROTO_VIP_BANS: encode borrows them; decode allocates
	 * them (cv_proto_msg_done frees them) */
	struct cv_proto_ban *bans;
	uint8_t n_bans;
};

/* One node's runtime standby (corovipctl standby/unstandby), as cluster state. */
struct cv_proto_standby_entry {
	uint32_t nodeid;
	bool standby;
	uint64_t stamp; /* the command's stamp: the highest wins a merge */
};

/*
 * Sent by every member (daemon and reaper) after each membership change, in
 * chunk_count messages; see cv_proto_state_fit().
 */
struct cv_proto_state {
	uint16_t max_version; /* highest protocol version the sender speaks */
	enum cv_proto_role role;
	uint8_t flags;	   /* CV_PROTO_STATE_* */
	uint32_t nodeid;   /* the sender's corosync node id */
	uint32_t peer_pid; /* the daemon's reaper, or the reaper's daemon; 0 = none */
	struct cv_ring_id ring; /* the exchange this STATE belongs to */
	uint64_t digest;	/* config digest */
	uint32_t lease_ms;	/* the sender's L (rule 5: a holder's lease is the shortest it knows) */
	uint16_t chunk_index;
	uint16_t chunk_count;
	struct cv_proto_standby_entry standby[CV_PROTO_STANDBY_MAX];
	size_t n_standby;
	struct cv_proto_vip *vips; /* owned by the message after decode */
	size_t n_vips;
};

/* A holder's lease heartbeat (design rule 5). */
struct cv_proto_heartbeat {
	struct cv_ring_id ring;
	uint64_t send_time_ms;	 /* sender's monotonic clock; only meaningful to the sender */
	uint64_t seq;
	uint64_t holdings_epoch; /* sender's count of acquisitions and releases */
	uint32_t n_held;
	/* The L the sender's lease runs when it sent it (the shortest it knows:
	 * engine-view.c cv_engine_own_lease_ms): its lease from this heartbeat
	 * ends by send + lease_ms. corosync's timers are each node's own (a
	 * token edited node by node): peers wait with the larger of theirs and
	 * this (rule 5). */
	uint32_t lease_ms;
};

/* VIPs given up; also sent by a reaper for its daemon's node (rule 4). */
struct cv_proto_released {
	uint32_t for_nodeid; /* the node whose VIPs these were */
	struct cv_ring_id ring;
	struct cv_proto_vip *vips; /* name and epoch; owned by the message after decode */
	size_t n_vips;
};

/* corovipctl move VIP NODE, forwarded by the origin's daemon. */
struct cv_proto_move {
	uint32_t request_id;
	uint32_t origin; /* node id of the daemon that took the request */
	uint32_t target; /* node id to move the VIP to */
	uint64_t stamp;	 /* the origin's stamp: the highest wins a merge (engine-admin.c) */
	char vip[CV_PROTO_NAME_MAX + 1];
};

/* corovipctl standby/unstandby NODE. */
struct cv_proto_standby {
	uint32_t request_id;
	uint32_t origin;
	uint32_t target;
	uint64_t stamp;
	bool standby;
};

/* corovipctl ban VIP NODE [--lifetime D]. */
struct cv_proto_ban_cmd {
	uint32_t request_id;
	uint32_t origin;
	uint32_t target;      /* the node banned */
	uint64_t stamp;
	uint32_t lifetime_ms; /* 0: until cleared */
	char vip[CV_PROTO_NAME_MAX + 1];
};

/*
 * corovipctl clear VIP [NODE] (ends 0), or a ban's lifetime over: sent by
 * the first member whose timer says so, it ends the ban with stamp ends
 * (and no newer one) at one point of the stream everywhere.
 */
struct cv_proto_clear {
	uint32_t request_id;
	uint32_t origin;
	uint32_t node;	/* ends 0: 0 = every ban of the VIP and its move */
	uint64_t stamp;
	uint64_t ends;
	char vip[CV_PROTO_NAME_MAX + 1];
};

/*
 * An exchange waited in vain for this node's STATE (its daemon in the group
 * but not answering: frozen). At delivery every member stops waiting for it
 * (engine-silent.c).
 */
struct cv_proto_silent {
	uint32_t nodeid;	/* the node whose STATE is overdue */
	struct cv_ring_id ring; /* the sender's ring: meaningless in another */
};

/*
 * Health changes of the sender's VIPs since its last STATE or HEALTH (the
 * HEALTHY flag, as a STATE would say it). Sent in as many messages as it
 * takes, each on its own; a STATE says all again.
 */
struct cv_proto_health {
	struct cv_ring_id ring;	   /* the sender's, for the record */
	struct cv_proto_vip *vips; /* name and flags; owned by the message after decode */
	size_t n_vips;
};

struct cv_proto_msg {
	uint16_t version; /* decode: the header's; encode: 0 or CV_PROTO_VERSION */
	enum cv_proto_type type;
	union {
		struct cv_proto_state state;
		struct cv_proto_heartbeat heartbeat;
		struct cv_proto_released released;
		struct cv_proto_move move;
		struct cv_proto_standby standby;
		struct cv_proto_silent silent;
		struct cv_proto_health health;
		struct cv_proto_ban_cmd ban;
		struct cv_proto_clear clear;
	};
};

/*
 * Encode m (borrowed) into buf. On success writes the message length to
 * *ret_len and returns 0. Returns -EINVAL for an invalid message (unknown
 * type, bad name, nodeid 0, chunk_index >= chunk_count, undefined flag bits,
 * vips NULL with n_vips > 0, another version) and -EMSGSIZE when the message
 * exceeds CV_PROTO_MAX_MSG (more than UINT16_MAX entries always does) or size.
 * buf and *ret_len are untouched on failure.
 */
int cv_proto_encode(const struct cv_proto_msg *m, uint8_t *buf, size_t size, size_t *ret_len);

/*
 * Decode one message of exactly len bytes (borrowed) into *ret, written only on
 * success; the entry lists then belong to *ret, freed by cv_proto_msg_done().
 * Returns 0 or, one code per failure class so the daemon can count them, the
 * first that applies in this order:
 *   -EMSGSIZE           len > CV_PROTO_MAX_MSG
 *   -EBADMSG            shorter than the header, or bad magic
 *   CV_E_PROTO_VERSION  version != CV_PROTO_VERSION
 *   -EBADMSG            length field != len
 *   -EOPNOTSUPP         unknown type
 *   -EBADMSG, -ENOMEM   body: truncated, trailing bytes, a count larger than
 *                       the bytes left, invalid field values or names
 */
int cv_proto_decode(const uint8_t *buf, size_t len, struct cv_proto_msg *ret);

/* Free what decode allocated and zero the entry lists; accepts a zeroed struct. */
void cv_proto_msg_done(struct cv_proto_msg *m);

/*
 * How many of vips[start..n) fit in one STATE (resp. RELEASED, HEALTH) message of at
 * most CV_PROTO_MAX_MSG bytes: at least 1 while start < n, 0 once start >= n.
 * Chunking a STATE of n VIPs (n = 0 still sends one chunk):
 *
 *   count = 0; start = 0;
 *   do { start += cv_proto_state_fit(vips, n, start); count++; } while (start < n);
 *
 * then encode chunk i with .vips = vips + its start, .n_vips = its fit,
 * .chunk_index = i, .chunk_count = count.
 */
size_t cv_proto_state_fit(const struct cv_proto_vip *vips, size_t n, size_t start);
size_t cv_proto_released_fit(const struct cv_proto_vip *vips, size_t n, size_t start);
size_t cv_proto_health_fit(const struct cv_proto_vip *vips, size_t n, size_t start);

/* "STATE", "HEARTBEAT", ...; NULL for a value outside the enum. */
const char *cv_proto_type_to_string(enum cv_proto_type t);
/* _CV_PROTO_TYPE_INVALID if unknown. */
enum cv_proto_type cv_proto_type_from_string(const char *s);

/* "daemon", "reaper"; NULL for a value outside the enum. */
const char *cv_proto_role_to_string(enum cv_proto_role r);
/* _CV_PROTO_ROLE_INVALID if unknown. */
enum cv_proto_role cv_proto_role_from_string(const char *s);
