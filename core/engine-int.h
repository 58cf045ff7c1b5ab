/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Internal to the engine files: the engine's state and the helpers they
 * share. engine.c steps and reconciles, engine-view.c follows membership and
 * quorum, engine-msg.c speaks the wire messages, engine-place.c runs
 * placement and decides when taking is safe.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "engine.h"
#include "placement.h"
#include "vip-fsm.h"

#define NEVER UINT64_MAX

/*
 * After a silent holder's lease ends it still has to remove its addresses:
 * its lapse timer may fire late and the removal takes time (one netlink
 * batch: under 50 ms up to about a thousand VIPs per interface). For more,
 * raise the guard (docs/safety.md, rule 5).
 */
#define LAPSE_MARGIN_MS 75

/* A node we have heard of: from membership, the group or a message. */
/* A definition a member's STATE gives that is not ours (engine-agree.c). */
struct def {
	char name[CV_PROTO_NAME_MAX + 1];
	uint32_t digest;
	uint8_t n_keys;
	uint32_t keys[CV_PROTO_KEYS_MAX];
};

struct peer {
	uint32_t nodeid;
	uint32_t daemon_pid;	/* from its STATE; 0 = no daemon known */
	uint32_t reaper_pid;	/* named in its daemon's STATE */
	uint32_t pids[4];	/* its current group members (daemon, reaper, a restart's new pair) */
	size_t n_pids;
	uint64_t daemon_left_at; /* NEVER while in the group */
	bool daemon_died_alone;	/* it left the group while its node stayed (not NODEDOWN) */
	bool daemon_left_unseen; /* it left while we were away: alone or not, the next ring says */
	/* STATE: complete and fresh = delivered, whole, since the last group join, for ring */
	bool state_fresh;
	struct cv_ring_id state_ring;
	uint16_t chunks_next;	/* reassembly: next chunk index expected, 0 = none under way */
	uint16_t chunk_count;
	uint64_t digest;	/* of its config, from its STATE */
	uint32_t *vip_digests;	/* per VIP of ours: its config of that VIP, 0 = it has none */
	bool has_unknown_vips;	/* its STATE names VIPs we do not have */
	/* The address keys (cv_config_vip_addr_keys) its last STATE claims
	 * that our VIP of that name lacks (a name we lack, an address defined
	 * otherwise, an old address a reload's removal still takes away);
	 * sorted once the STATE is whole. foreign_all: any address (more than
	 * it or we could list, or judged before a reload of ours). */
	uint32_t *foreign_keys;
	size_t n_foreign, cap_foreign;
	bool foreign_all, foreign_sorted;
	/* Its VIPs (held or not) under a name we lack or defined otherwise,
	 * from its last STATE: who else names our addresses (engine-agree.c). */
	struct def *defs;
	size_t n_defs, cap_defs;
	bool mismatch_told;	/* we said once that its digest differs from ours */
	bool standby;		/* config or admin standby, as its STATE or a STANDBY says */
	uint64_t last_hb_at;	/* delivery time of its last heartbeat */
	uint64_t gone_at;	/* when its node was first seen out of the adopted view; NEVER if in */
	/* A delivery of our own STATE in a quorate ring of ours with it, in our
	 * rings since, until it left (NEVER: none): its heartbeats from there
	 * reached us too (engine-place.c unheard_gone_end). */
	uint64_t watched_at;
	bool silent;		/* owns something but its heartbeats stopped */
	bool seasoned;		/* its STATE says its memory is complete (CV_PROTO_STATE_SEASONED) */
	bool preempt_hold;	/* its STATE says it is in its preempt delay */
	uint32_t hb_lease_ms;	/* the L its daemon's last heartbeat carried (0: none yet) */
	uint32_t state_lease_ms; /* the L its daemon's last STATE carried (0: none yet) */
	uint32_t chunks_pid;	/* the pid whose STATE is being reassembled */
	uint32_t foreign_pid;	/* a process of it that speaks another protocol version */
	bool spoke;		/* its daemon's STATE came since the ring or group last changed */
	/* It was away while our view was not quorate: its side may have been,
	 * and taken VIPs we never heard of. Until its daemon's STATE says what
	 * it holds, it blocks every VIP (back_at + kernel lease at the latest). */
	bool away_unwatched;
	uint64_t back_at;	/* when it came back into our view */
	bool owns;		/* placement gave it at least one VIP: it must heartbeat */
	bool in_view;
	/* Silence by agreement (engine-silent.c): a SILENT about it was
	 * delivered, and nothing of its daemon since. Exchanges do not wait
	 * for it; it is ineligible and, as a blocker, a silent owner (rule 4). */
	bool excluded;
	uint64_t excluded_at;	/* delivery of that SILENT */
	uint64_t spoke_at;	/* delivery of its daemon's last message, or its join */
	uint64_t silence_told_at; /* we last sent a SILENT about it */
};

/* A node banned from a VIP (corovipctl ban), cluster state merged by stamp (engine-ban.c). */
struct ban {
	uint32_t node;
	bool banned;		 /* false: cleared (kept: an older copy cannot bring it back) */
	uint64_t stamp;
	uint64_t deadline;	 /* our timer for its lifetime; NEVER: none */
	uint64_t expiry_sent_at; /* our CLEAR for that went out then; 0: not yet */
};

struct vip_rt {
	enum cv_vip_state state;
	uint32_t owner;		/* placement's choice, the same on every member; 0 = nobody */
	uint64_t epoch;		/* highest epoch known */
	uint64_t op_epoch;	/* our own acquisition's epoch: what ADDR_* results must echo */
	uint64_t added_at;	/* when our last add of it completed: the kernel drops it
				 * kernel_lease later unless renewed */
	bool add_pending;	/* an ADDR_ADD of it is under way (its lease starts later) */
	uint64_t add_sent_at;	/* when its last ADDR_ADD went out: the kernel stamped it later */
	bool gone_late;		/* its ADDR_GONE came as we ran late: re-add H later */
	uint64_t retry_at;	/* RELEASING: when to try the failed removal again, NEVER = none */
	bool sent_blocked;	/* our last STATE said BLOCKED: say so again when it clears */
	uint64_t waiting_since;	/* when it last became WAITING */
	uint64_t blockers;	/* bit per peer slot: may still hold the address (rules 2-4) */
	uint64_t healthy;	/* bit per peer slot: that node's checks pass (from its STATE) */
	uint64_t fallback;	/* bit per peer slot: its fallback checks pass (issue 16) */
	uint64_t passes;	/* bit per peer slot: an exclusive VIP's checks pass there */
	uint64_t claims;	/* bit per peer slot: that node says it holds it */
	uint64_t released;	/* bit per peer slot: its RELEASED came since it last owned it */
	uint64_t peer_blocked;	/* bit per peer slot: its STATE says someone may still hold it */
	uint64_t owner_reports;	/* bit per peer slot: a STATE since the last exchange named it owner */
	uint64_t self_owner;	/* bit per peer slot: its own STATE names itself owner (maintenance) */
	uint32_t move_target;	/* corovipctl move under way (cluster state), 0 = none or done */
	uint64_t move_stamp;	/* the stamp of the latest move of this VIP, 0 = never moved */
	struct ban *bans;	/* owned (cv_engine_free_vips); a reload carries them over */
	uint8_t n_bans;
	bool local_healthy;	/* our checks pass (what our next STATE says) */
	bool local_fallback;	/* our fallback checks pass (it has some) */
	bool local_passes;	/* exclusive: our checks pass, whether we may hold it or not */
	uint8_t place_reason;	/* enum cv_place_reason of the last placement (status) */
	/* exclusive: bit per peer slot: passed its checks in the split under
	 * way (its leave makes it a blocker: engine-place.c place_one) */
	uint64_t split_passing;
	bool add_failed;	/* adding the address failed: not healthy until a reload */
	/* Its addresses whose interface is down (bit k: address k; a group's
	 * may have several): not healthy until all are up. */
	uint8_t link_down;
};

/*
 * A release a reload took out of the config (engine-orphan.c): RELEASED once
 * its removal is done. It keeps what a retried removal needs.
 */
struct orphan {
	char name[CV_PROTO_NAME_MAX + 1];
	char *ifname;		/* owned */
	char *cloud_strs[8];	/* owned: conf's cloud keys (engine-orphan.c) */
	struct cv_vip_conf conf; /* address, interface, name: what ADDR_DEL needs */
	uint64_t epoch;		/* our op_epoch of it: the results must echo it */
	uint64_t wire_epoch;	/* what RELEASED says */
	uint64_t added_at;	/* its last add completed */
	bool add_pending;	/* ... or is still under way */
	uint64_t renewed_at;	/* the last renewal that completed before the reload */
	bool renew_pending;	/* ... or one under way at the reload, which may renew it */
	uint64_t retry_at;	/* when to try the removal again; NEVER: one under way */
};

/* One node's runtime standby (corovipctl), cluster state merged by stamp. */
struct standby_entry {
	uint32_t nodeid;
	bool standby;
	uint64_t stamp;
};

struct cv_engine {
	const struct cv_config *cfg;
	uint32_t me, my_pid, my_reaper;
	uint64_t now;
	struct cv_actions *out;

	/* timings */
	uint32_t token_ms, consensus_ms, lease_ms, guard_ms;

	/* membership: the latest totem ring, the latest quorum notification, the adopted view */
	struct cv_ring_id totem_ring;
	uint32_t totem_members[CV_MAX_NODES];
	size_t n_totem;
	bool have_totem;
	uint64_t delivered_at;	/* a CPG message last reached us (watched_at: engine-view.c) */
	struct cv_ring_id quorum_ring;
	bool quorum_quorate, have_quorum, two_node;
	uint32_t quorum_votes, qdevice_votes, expected_votes;
	struct cv_ring_id view_ring;
	bool have_view, view_quorate;
	uint64_t view_adopted_at;
	bool exchange_done;
	uint64_t settle_until;	/* after our start: wait this long for view members' daemons */
	bool settle_armed;	/* settle_until set (at our first quorate view) */
	/* Our first exchange waits for view members without a daemon in the
	 * group: until it joins or a SILENT about it (sent from settle_until). */
	bool settle_open;
	bool merged;		/* the adopted view gained members: re-announce once the exchange is done */

	struct peer peers[CV_MAX_NODES];
	size_t n_peers;

	struct vip_rt *vips;
	size_t n_vips;
	/* How many VIPs are in each state, of those how many placement gives
	 * us, and how many say BLOCKED in our last STATE: kept where those
	 * change (cv_engine_vip_event, cv_engine_set_owner, the STATE we send,
	 * a reload's recount), so a step of an idle holder of 10,000 VIPs
	 * skips the scans that look for the few in RELEASING, WAITING or
	 * BLOCKED, or for a VIP to take or let go (drive_vips). */
	size_t n_in_state[_CV_VIP_STATE_MAX];
	size_t n_mine_in_state[_CV_VIP_STATE_MAX];
	size_t n_sent_blocked;
	size_t state_chunk_vips; /* cv_engine_params.state_chunk_vips */
	struct orphan **orphans;
	size_t n_orphans;
	struct orphan **retired; /* done; kept while an action may still point at them */
	size_t n_retired;
	struct standby_entry standby[CV_MAX_NODES + 1]; /* and nodeid 0: maintenance */
	size_t n_standby;
	uint64_t cmd_stamp;	/* highest admin command stamp seen */
	uint64_t admin_gen;	/* bumped by every change of a move, ban or standby entry */
	uint64_t bans_due;	/* the earliest a ban's lifetime needs us (engine-ban.c), NEVER */
	bool state_due;		/* send our STATE at the end of this step */
	bool own_state_pending;	/* reloaded: take nothing until our own STATE is delivered */
	bool cpg_up;		/* a CPG event came since the last CONN_LOST: sends go out */
	/* Our STATE/RELEASED/MOVE/STANDBY sent, not delivered back: we take
	 * nothing meanwhile (a RELEASED of ours in flight could free us as a
	 * blocker after placement gave the VIP back to us and away again). */
	uint32_t own_in_flight;
	uint64_t quorum_gained_at; /* quorum came within a ring: nothing taken for G (rule 2) */
	uint64_t resend_asked_at; /* we last asked everyone for their STATE (a blocker's word) */
	bool born;		/* the first step happened (at born_at) */
	uint64_t born_at;
	uint64_t fresh_until;	/* a fresh engine takes nothing before: its first quorate view + G */
	uint64_t fresh_join_at;	/* that view, a join without a node (NEVER: none missing) */
	uint64_t renewed_at;	/* when the last RENEW completed */
	uint32_t renews_pending; /* RENEWs under way (their leases start when they complete) */
	uint64_t renew_sent_at;	/* the first RENEW under way went out (none under way: the last) */
	uint64_t renewed_from;	/* the last RENEW that completed went out no earlier than this */
	const struct cv_vip_conf **by_name; /* config vips sorted by name, for messages */
	uint32_t *node_ids;	/* per config node section: its corosync node id, 0 = unknown */
	uint32_t *vip_digests;	/* per config VIP: cv_config_vip_digest(), computed once */
	bool *check_ok;		/* per config check: passing */

	/* our lease and heartbeats */
	uint64_t lease_until;	/* 0 = no lease */
	uint64_t lease_from;	/* the send time of our latest own heartbeat that gave it */
	uint64_t next_hb_at;
	uint64_t hb_seq, holdings_epoch;
	bool hb_in_flight;
	uint64_t renew_at;
	bool lapsed;		/* our lease lapsed: take nothing until our heartbeats arrive again */
	bool ask_resend;	/* our next STATE asks the others for theirs (after a reload) */
	bool placement_dirty;
	uint64_t trusted_digest;	/* the digest most view members share (engine-place.c) */
	bool stopping, stop_sent, stopped;
	uint64_t stop_deadline;
	uint64_t timer_at;	/* what the wakeup timer is armed for, NEVER = disarmed */
	uint64_t timer_due;	/* when it fires: not before it was armed */
	uint64_t watch_from;	/* we ran late here: nobody silent until H after (silent_at) */
	bool sent_preempt_hold;	/* what our last STATE said of our preempt delay */
	uint64_t readd_at;	/* a VIP's ADDR_GONE came within H of watch_from: re-add
				 * then, H after the first (NEVER: none held back) */
	uint64_t exchange_since; /* an exchange has been under way since (NEVER: none) */
	uint64_t hearing_since;	/* we joined the group: every message since reached us */
};

/* engine.c */
void cv_engine_notice(struct cv_engine *e, enum cv_notice n, uint32_t node, const char *text);
void cv_engine_vip_event(struct cv_engine *e, size_t i, enum cv_vip_event ev, enum cv_reason why);
void cv_engine_release_all(struct cv_engine *e, enum cv_reason why);
void cv_engine_were_away(struct cv_engine *e);
bool cv_engine_holds_any(const struct cv_engine *e);
bool cv_engine_waits_any(const struct cv_engine *e);

/* engine-view.c */
int cv_engine_on_totem(struct cv_engine *e, const struct cv_event *ev);
int cv_engine_on_quorum(struct cv_engine *e, const struct cv_event *ev);
int cv_engine_on_group(struct cv_engine *e, const struct cv_event *ev);
void cv_engine_on_timings(struct cv_engine *e, uint32_t token_ms, uint32_t consensus_ms);
struct peer *cv_engine_peer(struct cv_engine *e, uint32_t nodeid, bool create);
int cv_engine_peer_slot(const struct cv_engine *e, uint32_t nodeid);
bool cv_engine_in_view(const struct cv_engine *e, uint32_t nodeid);
bool cv_engine_in_totem(const struct cv_engine *e, uint32_t nodeid);
bool cv_engine_peer_has_pid(const struct peer *p, uint32_t pid);
bool cv_engine_totem_can_be_quorate(const struct cv_engine *e);
bool cv_engine_in_adopted_ring(const struct cv_engine *e);
void cv_engine_reconsider_view(struct cv_engine *e);
bool cv_engine_check_exchange(struct cv_engine *e);
/* Does this node have a daemon in the group whose STATE an exchange waits for? */
bool cv_engine_expects_state(const struct peer *p);
void cv_engine_start_exchange(struct cv_engine *e);
/* Every member starts again from the owners the fresh STATEs claim. */
void cv_engine_restart_owners(struct cv_engine *e);
void cv_engine_restart_exchange(struct cv_engine *e, const struct peer *asker);

/* engine-msg.c */
int cv_engine_on_message(struct cv_engine *e, const struct cv_event *ev);
void cv_engine_send_state(struct cv_engine *e);
/* ---- health between STATEs (engine-health.c) ---- */
/* The HEALTHY flag our STATE and HEALTH give VIP i. */
bool cv_engine_says_healthy(const struct cv_engine *e, size_t i);
bool cv_engine_says_fallback(const struct cv_engine *e, size_t i);
bool cv_engine_says_passes(const struct cv_engine *e, size_t i);
/* A check's verdict; an interface's link (a group's any of its interfaces). */
void cv_engine_on_health(struct cv_engine *e, const struct cv_event *ev);
void cv_engine_on_link(struct cv_engine *e, const char *interface, bool up);
/* VIPs changed[0..n) changed their flag: HEALTH (or, for most, STATE). */
void cv_engine_send_health(struct cv_engine *e, const size_t *changed, size_t n);
void cv_engine_on_health_msg(struct cv_engine *e, uint32_t nodeid, const struct cv_proto_health *h);
void cv_engine_send_heartbeat(struct cv_engine *e);
void cv_engine_send_released(struct cv_engine *e, size_t vip);
void cv_engine_send_released_named(struct cv_engine *e, const char *name, uint64_t epoch);
void cv_engine_send(struct cv_engine *e, struct cv_proto_msg *m);
int cv_engine_vip_by_name(const struct cv_engine *e, const char *name);

/* ---- address keys in STATE claims (engine-keys.c) ---- */

/* The keys of vc's addresses join STATE entry v's, each once (more than fit: any). */
void cv_engine_add_keys(struct cv_proto_vip *v, const struct cv_vip_conf *vc);
/* Our orphans' keys join all[0..n_all) (our VIPs' entries) or entries of
 * their own after them; returns the new count (room: n_orphans more). */
size_t cv_engine_add_orphan_entries(struct cv_engine *e, struct cv_proto_vip *all, size_t n_all);
/* A held entry v of p's STATE (our VIP i, or -1): the keys our VIP lacks. */
void cv_engine_note_foreign_keys(const struct cv_engine *e, struct peer *p,
				 const struct cv_proto_vip *v, int i);
/* p's STATE is whole: its foreign keys are final (sorted for lookups). */
void cv_engine_foreign_keys_done(struct peer *p);
/* Does p's last STATE claim an address of our VIP i under another definition? */
bool cv_engine_claims_our_address(const struct cv_engine *e, const struct peer *p, size_t i);

/* ---- agreement by address (engine-agree.c) ---- */

/* Entry v of p's STATE (our VIP i, or -1): kept if it is not our definition. */
void cv_engine_note_def(struct cv_engine *e, struct peer *p, const struct cv_proto_vip *v, int i);
/*
 * lost[i] (n_vips, zeroed by the caller) = 1: another name's definition of
 * one of VIP i's addresses wins (more fresh view members have it; ties: the
 * higher digest, then the name): i is placed on nobody. 0 or -ENOMEM.
 */
int cv_engine_address_losers(const struct cv_engine *e, uint8_t *lost);
/* View members whose STATE claims one of VIP i's addresses under another
 * definition (its foreign keys): they may hold it. */
uint64_t cv_engine_address_claimants(const struct cv_engine *e, size_t i);
/* Nodes whose last STATE defines one of VIP i's addresses under another
 * name (engine-agree.c): a new owner waits for their word or deadline. */
uint64_t cv_engine_address_definers(const struct cv_engine *e, size_t i);
/* Is some peer's STATE half in? Placement waits: its sender looks unhealthy meanwhile. */
bool cv_engine_assembling(const struct cv_engine *e);

/* engine.c */
uint64_t cv_engine_retry_interval(const struct cv_engine *e);
void cv_engine_vip_action(struct cv_engine *e, enum cv_action_type t, size_t i);
bool cv_engine_vip_locally_healthy(const struct cv_engine *e, const struct cv_vip_conf *vc);
bool cv_engine_vip_locally_fallback(const struct cv_engine *e, const struct cv_vip_conf *vc);
/* Build the per-config tables (the engine then uses cfg); free them. */
int cv_engine_load_config(struct cv_engine *e, const struct cv_config *cfg, const uint32_t *nodeids);
void cv_engine_unload_config(struct cv_engine *e);

/* engine-silent.c: silence by agreement (rule 7) */
void cv_engine_judge_exchange(struct cv_engine *e);
uint64_t cv_engine_silence_due(const struct cv_engine *e);
/* A wakeup at least every H: note_late must see how long we were stopped. */
uint64_t cv_engine_tick_due(const struct cv_engine *e);
void cv_engine_on_silent(struct cv_engine *e, const struct cv_proto_silent *m);
void cv_engine_heard(struct cv_engine *e, uint32_t nodeid, uint32_t pid);
void cv_engine_forget_silences(struct cv_engine *e);
/* When blocker p, silent by agreement, holds nothing any more (NEVER: not excluded). */
uint64_t cv_engine_excluded_deadline(const struct cv_engine *e, const struct peer *p);

/* engine-reload.c */
int cv_engine_on_reload(struct cv_engine *e, const struct cv_event *ev);

/* engine-orphan.c: releases a reload took out of the config */
int cv_engine_orphan_add(struct cv_engine *e, const struct cv_vip_conf *vc,
			 const struct vip_rt *v, bool remove_now);
bool cv_engine_orphan_pending(const struct cv_engine *e, const char *name);
bool cv_engine_orphan_has_address(const struct cv_engine *e, const struct cv_vip_conf *vc);
/* A result about an orphan? Then it is handled here. */
bool cv_engine_orphan_result(struct cv_engine *e, const struct cv_action_result *res);
void cv_engine_orphans_reconcile(struct cv_engine *e);
void cv_engine_orphans_renewed(struct cv_engine *e);
uint64_t cv_engine_orphans_wakeup(const struct cv_engine *e);
void cv_engine_orphans_free(struct cv_engine *e);
uint64_t cv_engine_orphan_epoch(const struct cv_engine *e, size_t k);
const struct cv_vip_conf *cv_engine_orphan_conf(const struct cv_engine *e, size_t k);

/* engine-admin.c: corovipctl moves and standby, as cluster state; our preempt delay */
int cv_engine_admin_move(struct cv_engine *e, const char *vip, uint32_t node);
int cv_engine_admin_standby(struct cv_engine *e, uint32_t node, bool standby);
void cv_engine_on_move(struct cv_engine *e, uint32_t sender, const struct cv_proto_move *m);
void cv_engine_on_standby(struct cv_engine *e, uint32_t sender, const struct cv_proto_standby *m);
/* A peer's STATE (chunk) carries its moves and standby table: the higher stamp wins. */
void cv_engine_merge_admin(struct cv_engine *e, uint32_t sender, const struct cv_proto_state *s);
void cv_engine_fill_admin(const struct cv_engine *e, struct cv_proto_state *s);
uint64_t cv_engine_next_stamp(const struct cv_engine *e);
bool cv_engine_known_node(const struct cv_engine *e, uint32_t nodeid);
void cv_engine_set_move(struct cv_engine *e, size_t i, uint32_t target, uint64_t stamp);

/* engine-ban.c: corovipctl ban and clear, as cluster state */
int cv_engine_admin_ban(struct cv_engine *e, const char *vip, uint32_t node, uint32_t lifetime_ms);
int cv_engine_admin_clear(struct cv_engine *e, const char *vip, uint32_t node);
void cv_engine_on_ban(struct cv_engine *e, uint32_t sender, const struct cv_proto_ban_cmd *m);
void cv_engine_on_clear(struct cv_engine *e, uint32_t sender, const struct cv_proto_clear *m);
/* Peer slots of the nodes banned from VIP i (placement: not candidates). */
uint64_t cv_engine_banned_slots(const struct cv_engine *e, size_t i);
bool cv_engine_banned(const struct cv_engine *e, size_t i, uint32_t node);
/* Lifetimes: recompute bans_due; end the ones over (a CLEAR); our timer for them. */
void cv_engine_bans_rescan(struct cv_engine *e);
void cv_engine_bans_tick(struct cv_engine *e);
uint64_t cv_engine_bans_wakeup(const struct cv_engine *e);
/* Our CLEAR for a lifetime came back refused (sent across a membership change). */
void cv_engine_ban_expiry_refused(struct cv_engine *e, const struct cv_proto_clear *m);
/* A chunk of our STATE: its entries' bans (owned by the message), -ENOMEM. */
int cv_engine_fill_bans(const struct cv_engine *e, struct cv_proto_vip *chunk, size_t n,
			size_t start);
void cv_engine_merge_bans(struct cv_engine *e, size_t i, const struct cv_proto_vip *pv);
size_t cv_engine_export_bans(const struct cv_engine *e, struct cv_admin_entry *v, size_t max);
void cv_engine_import_ban(struct cv_engine *e, uint64_t now, const struct cv_admin_entry *a);
void cv_engine_free_vips(struct vip_rt *vips, size_t n);

/* The totem ring lost a move's target: the move ends (at the same point everywhere). */
void cv_engine_end_moves_of_gone(struct cv_engine *e);
bool cv_engine_runtime_standby(const struct cv_engine *e, uint32_t nodeid);
/* The owner placement gives VIP i (placed, *why) as maintenance mode leaves it. */
uint32_t cv_engine_maintenance_owner(const struct cv_engine *e, size_t i, bool lost,
				     enum cv_place_reason *why, uint32_t placed);
/* Our preempt delay, said in our STATE (placement follows each member's). */
bool cv_engine_preempt_held(const struct cv_engine *e);
void cv_engine_preempt_tick(struct cv_engine *e);
uint64_t cv_engine_preempt_due(const struct cv_engine *e);

/* engine-place.c */
int cv_engine_place(struct cv_engine *e);
bool cv_engine_safe_to_take(struct cv_engine *e, size_t i, uint64_t *ret_deadline);
bool cv_engine_node_eligible(const struct cv_engine *e, uint32_t nodeid);
void cv_engine_elect_digest(struct cv_engine *e);
/* Drop vip i's blockers whose time has come; the earliest deadline left (NEVER: none). */
uint64_t cv_engine_clear_blockers(struct cv_engine *e, size_t i);
/* Does our STATE say BLOCKED for vip i (someone but us and its owner may hold it)? */
bool cv_engine_vip_blocked(const struct cv_engine *e, size_t i);
bool cv_engine_unwatched_return(const struct cv_engine *e, const struct peer *p);
/* A blocker's word is overdue: ask every member for its STATE again. */
void cv_engine_ask_word(struct cv_engine *e, size_t i);
/* A plain two_node view without two_node_unsafe: held as not quorate (engine-view.c). */
bool cv_engine_two_node_refused(const struct cv_engine *e);
/* Its daemon is in the group (its STATE named it, it has not left). */
bool cv_engine_daemon_present(const struct peer *p);
/* When we may stop waiting for blocker p; NEVER: only its word will do. */
uint64_t cv_engine_blocker_deadline(const struct cv_engine *e, const struct peer *p);
/* Until when our own ignorance holds VIP i back (0: it does not; NEVER: no quorate view yet). */
uint64_t cv_engine_ignorant_until(const struct cv_engine *e, size_t i);
/* Quorum came less than the guard ago (rule 1). */
bool cv_engine_quorum_just_gained(const struct cv_engine *e);
/* A fresh member's STATE says someone other than the owner may still hold v. */
bool cv_engine_peers_say_blocked(const struct cv_engine *e, const struct vip_rt *v);
/* View members (slots) that define VIP i as most do. */
uint64_t cv_engine_agreeing_nodes(const struct cv_engine *e, size_t i);
/* Exclusive VIP i: the members heard now whose checks of it pass (slots). */
uint64_t cv_engine_passers(const struct cv_engine *e, size_t i);
/* Is our memory complete: would we take a VIP nobody blocks, knowledge-wise? */
bool cv_engine_seasoned(const struct cv_engine *e);
/* cluster.startup_wait, auto: token + consensus (the runtime values). */
uint32_t cv_engine_startup_wait_ms(const struct cv_engine *e);
/* Does our start-up exchange wait for p's daemon to join (engine-silent.c)? */
bool cv_engine_awaits_daemon(const struct cv_engine *e, const struct peer *p);
/* The L to count a peer's lease with: ours or the one its last heartbeat carried, the larger. */
uint32_t cv_engine_peer_lease_ms(const struct cv_engine *e, const struct peer *p);
/* Our own lease's length: the shortest L we know of (ours, any member's STATE). */
uint32_t cv_engine_own_lease_ms(const struct cv_engine *e);
/* A lease shorter than the one we have: it ends by our last heartbeat's send + l. */
void cv_engine_clamp_lease(struct cv_engine *e, uint32_t l);

/* engine-late.c: a step that came over H after its timer was due (we were stopped). */
void cv_engine_note_late(struct cv_engine *e);
/* Within H of such a step: our queue may still hold what came meanwhile. */
bool cv_engine_ran_late_recently(const struct cv_engine *e);
/* VIP i's address is gone, read within that H: its re-add waits (CV_EV_ADDR_GONE). */
void cv_engine_hold_readd(struct cv_engine *e, size_t i);
/* The re-adds held back, H after the first of them was read. */
void cv_engine_readd_after_late(struct cv_engine *e);

/* Count n_in_state, n_mine_in_state and n_sent_blocked afresh (a new or reloaded VIP table). */
void cv_engine_recount(struct cv_engine *e);
/* Placement's owner of vip i (0: nobody), keeping n_mine_in_state. */
void cv_engine_set_owner(struct cv_engine *e, size_t i, uint32_t owner);
