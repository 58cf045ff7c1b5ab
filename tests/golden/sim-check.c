/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The checker. It never asks an engine what it thinks: it looks at the
 * nodes' address sets and at the model (rings, processes, health), like the
 * integration tests' checker looks at `ip addr` and a client probe.
 *
 *  1. at most one holder of a VIP among the nodes that have not crashed,
 *     checked at the instant of every add (a frozen or cut-off node counts);
 *     and of each address, whatever the VIP's name (check_host_holders);
 *  2. a node in a non-quorate ring (or whose corosync died) holds nothing
 *     from its confchg + 100 ms on (plus its delivery skew and removal
 *     latency; its quorum notification + 100 ms if the
 *     ring may be quorate by rule 1's arithmetic: nothing tells it sooner;
 *     its daemon frozen: the reaper's kill + 100 ms, at its silence's
 *     reaper-timeout or its lease's end + 10 ms, its sweep if later);
 *  3. once nothing has changed for the bound, every VIP with an eligible node
 *     in a quorate ring is held by a node of that ring (while a node's daemon
 *     and reaper are frozen: also not before rule 4's wait for it is over,
 *     nor before rule 7's SILENT about it ends an exchange begun since);
 *  4. a daemon that stopped gracefully left no address behind;
 *  5. an address whose VIP a reload removed is gone within 100 ms (plus the
 *     node's removal latency; one whose removal failed: by its kernel lease);
 *  6. RELEASED is said only once the address is gone: a daemon's for a VIP
 *     while an address of it added at that epoch or before is still on its
 *     node, a reaper's while any address of ours is, are violations.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cv-macros.h"
#include "sim-int.h"

#define OUTSIDE_GRACE_MS 100
#define STRAY_GRACE_MS	 100
#define LEASE_SLACK_MS	 75  /* L = token + consensus + H + this (auto), rule 2 */
#define SILENT_SLACK_MS	 500 /* a silent holder's takeover, once its wait is over */

/* ---- the registry of VIP addresses ---- */

static uint64_t
hash(const char *name, const char *addr)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);

	for (const char *p = name; *p; p++)
		h = (h ^ (uint8_t)*p) * UINT64_C(0x100000001b3);
	h = (h ^ '|') * UINT64_C(0x100000001b3);
	for (const char *p = addr; *p; p++)
		h = (h ^ (uint8_t)*p) * UINT64_C(0x100000001b3);
	return h;
}

int
check_reg_find(const struct sim *s, const char *name, const char *addr)
{
	if (!s->cap_hash)
		return -1;
	for (size_t i = hash(name, addr) & (s->cap_hash - 1);; i = (i + 1) & (s->cap_hash - 1)) {
		uint32_t v = s->reg_hash[i];

		if (v == 0)
			return -1;
		if (strcmp(s->reg[v - 1].name, name) == 0 && strcmp(s->reg[v - 1].addr, addr) == 0)
			return (int)(v - 1);
	}
}

static void
rehash(struct sim *s)
{
	free(s->reg_hash);
	s->cap_hash = s->cap_hash ? 2 * s->cap_hash : 1024;
	s->reg_hash = sim_xcalloc(s->cap_hash, sizeof(*s->reg_hash));
	for (size_t k = 0; k < s->n_reg; k++) {
		size_t i = hash(s->reg[k].name, s->reg[k].addr) & (s->cap_hash - 1);

		while (s->reg_hash[i])
			i = (i + 1) & (s->cap_hash - 1);
		s->reg_hash[i] = (uint32_t)k + 1;
	}
}

uint32_t
check_reg(struct sim *s, const char *name, const char *addr)
{
	int id = check_reg_find(s, name, addr);
	struct regvip *v;

	if (id >= 0)
		return (uint32_t)id;
	s->reg = sim_grow(s->reg, &s->cap_reg, s->n_reg + 1, sizeof(*s->reg));
	v = &s->reg[s->n_reg++];
	v->name = strdup(name);
	snprintf(v->addr, sizeof(v->addr), "%s", addr);
	v->unheld_since = s->now;
	if (2 * s->n_reg > s->cap_hash)
		rehash(s);
	else {
		size_t i = hash(name, addr) & (s->cap_hash - 1);

		while (s->reg_hash[i])
			i = (i + 1) & (s->cap_hash - 1);
		s->reg_hash[i] = (uint32_t)s->n_reg;
	}
	return (uint32_t)s->n_reg - 1;
}

void
check_free(struct sim *s)
{
	for (size_t i = 0; i < s->n_reg; i++) {
		free(s->reg[i].name);
		free(s->reg[i].outages);
	}
	free(s->reg);
	free(s->reg_hash);
}

/* ---- address sets ---- */

static void
holders_string(const struct sim *s, uint64_t mask, char *buf, size_t len)
{
	size_t at = 0;

	buf[0] = '\0';
	for (uint32_t i = 1; i <= s->o.n_nodes && at < len; i++)
		if (mask & BIT(i))
			at += (size_t)snprintf(buf + at, len - at, "%sn%u", at ? "," : "", i);
}

/* The next host address of a key ("10.1.0.2/32 dev eth1, 10.1.0.3/24"): its
 * text up to the prefix or the dev; NULL at the end. */
static const char *
next_host(const char *at, char *host, size_t len)
{
	size_t n = 0;

	while (*at == ',' || *at == ' ')
		at++;
	if (!*at)
		return NULL;
	while (at[n] && at[n] != '/' && at[n] != ' ' && at[n] != ',')
		n++;
	snprintf(host, len, "%.*s", (int)n, at);
	at += n;
	while (*at && *at != ',')
		at++; /* the prefix, the dev */
	return at;
}

/* Do two keys (a group's: all its addresses) share a host address? */
static bool
keys_share_host(const char *a, const char *b)
{
	char x[SIM_KEY_LEN], y[SIM_KEY_LEN];

	for (const char *p = next_host(a, x, sizeof(x)); p; p = next_host(p, x, sizeof(x)))
		for (const char *q = next_host(b, y, sizeof(y)); q; q = next_host(q, y, sizeof(y)))
			if (strcmp(x, y) == 0)
				return true;
	return false;
}

/*
 * Invariant 1 by address: holders are keyed on name + addresses, but one
 * address under two names (a rolling rename, an address moved from a group
 * to another VIP) is one address on the wire: two other nodes holding it
 * under any names are two holders. (One node holding it twice is not.)
 */
static void
check_host_holders(struct sim *s, const struct node *n, uint32_t id)
{
	const struct regvip *v = &s->reg[id];
	char who[128];

	for (size_t k = 0; k < s->n_reg; k++) {
		const struct regvip *w = &s->reg[k];

		if (k == id || !(w->holders & ~BIT(n->id)) || !keys_share_host(v->addr, w->addr))
			continue;
		holders_string(s, w->holders & ~BIT(n->id), who, sizeof(who));
		sim_fail(s,
			 "invariant 1: an address of VIP %s (%s) on n%u is held by %s as VIP %s (%s)",
			 v->name, v->addr, n->id, who, w->name, w->addr);
		return;
	}
}

void
check_addr_add(struct sim *s, struct node *n, uint32_t id, uint64_t expiry)
{
	struct regvip *v = &s->reg[id];
	char who[128];

	for (size_t i = 0; i < n->n_addrs; i++)
		if (n->addrs[i].id == id) {
			n->addrs[i].expiry = expiry;
			return;
		}
	n->addrs = sim_grow(n->addrs, &n->cap_addrs, n->n_addrs + 1, sizeof(*n->addrs));
	n->addrs[n->n_addrs++] =
	    (struct addr){ .id = id, .expiry = expiry, .cfg = n->d.cfg, .stray_since = SIM_NEVER };
	if (v->unheld_since != SIM_NEVER && v->unheld_since < s->now) {
		v->outages =
		    sim_grow(v->outages, &v->cap_outages, v->n_outages + 2, sizeof(uint64_t));
		v->outages[v->n_outages++] = v->unheld_since;
		v->outages[v->n_outages++] = s->now;
	}
	v->unheld_since = SIM_NEVER;
	v->holders |= BIT(n->id);
	if (__builtin_popcountll(v->holders) > 1) {
		holders_string(s, v->holders, who, sizeof(who));
		sim_fail(s, "invariant 1: VIP %s (%s) has two holders: %s", v->name, v->addr, who);
	}
	check_host_holders(s, n, id);
}

void
check_addr_del(struct sim *s, struct node *n, uint32_t id)
{
	struct regvip *v = &s->reg[id];

	for (size_t i = 0; i < n->n_addrs; i++)
		if (n->addrs[i].id == id) {
			n->addrs[i] = n->addrs[--n->n_addrs];
			v->holders &= ~BIT(n->id);
			if (!v->holders)
				v->unheld_since = s->now;
			return;
		}
}

void
check_addr_clear(struct sim *s, struct node *n)
{
	while (n->n_addrs)
		check_addr_del(s, n, n->addrs[n->n_addrs - 1].id);
}

void
check_stopped(struct sim *s, struct node *n)
{
	if (n->n_addrs)
		sim_fail(s, "invariant 4: n%u stopped with %zu address(es) left, e.g. %s", n->id,
			 n->n_addrs, s->reg[n->addrs[0].id].name);
}

void
check_released(struct sim *s, const struct node *n, uint32_t pid, const struct cv_proto_msg *m)
{
	const struct cv_proto_released *r = &m->released;
	bool reaper = pid == n->r.pid && pid != n->d.pid;

	if (m->type != CV_PROTO_TYPE_RELEASED)
		return;
	for (size_t k = 0; k < n->n_addrs; k++) {
		const struct addr *a = &n->addrs[k];
		const char *name = s->reg[a->id].name;

		if (reaper) {
			sim_fail(s, "invariant 6: n%u's reaper says RELEASED while %s (%s) is still there",
				 n->id, name, s->reg[a->id].addr);
			return;
		}
		for (size_t v = 0; v < r->n_vips; v++)
			if (strcmp(r->vips[v].name, name) == 0 && a->epoch <= r->vips[v].epoch)
				sim_fail(s,
					 "invariant 6: n%u says RELEASED %s (epoch %llu) while its "
					 "address %s (added at epoch %llu) is still there",
					 n->id, name, (unsigned long long)r->vips[v].epoch,
					 s->reg[a->id].addr, (unsigned long long)a->epoch);
	}
}

/* ---- the periodic checks ---- */

/*
 * From when a node outside a quorate partition must let go (plus the grace).
 * A frozen daemon reads neither its confchg nor its quorum notification, and
 * its lease lapse (rule 5) is its own timer: only its reaper acts, killing
 * it reaper_timeout after it fell silent, or at the lease end the daemon
 * told it + 10 ms if it fell silent before that end, and sweeping at its end
 * (rules 4 and 5; docs/safety.md, invariant 1's exception).
 */
static uint64_t
outside_from(const struct sim *s, const struct node *n)
{
	uint64_t from = n->outside_since;

	if (n->r.state != PROC_RUNNING)
		return from;
	if (n->d.state == PROC_FROZEN && n->r.phase == RP_WATCH)
		return CV_MAX(from, reaper_kill_at(s, n));
	if (n->r.phase == RP_WAIT_END)
		return CV_MAX(from, n->r.due);
	return from;
}

/*
 * The 100 ms are the engine's own: its daemon reads the confchg (or the
 * notification) up to its skew late, and the kernel takes its removal
 * latency after the ADDR_DEL (skew 56 + del 48 on n4: prop-outside-skew-del).
 */
static uint64_t
outside_grace(const struct node *n)
{
	return OUTSIDE_GRACE_MS + n->skew_hi + n->del_ms;
}

static void
check_outside(struct sim *s)
{
	for (uint32_t i = 1; i <= s->o.n_nodes; i++) {
		struct node *n = &s->nodes[i];

		if (n->crashed || n->outside_since == SIM_NEVER || !n->n_addrs ||
		    s->now < outside_from(s, n) + outside_grace(n) ||
		    n->outside_reported == n->outside_since + 1)
			continue;
		/* Its daemon and reaper frozen or dead both: nothing on the node
		 * can act, only the kernel lease ends its addresses
		 * (docs/safety.md: rule 4 and the exceptions; killed both, then
		 * its ring lost quorum: prop-killed-holder-quorum-lost); the
		 * others wait for it. */
		if (n->d.state != PROC_RUNNING && n->r.state != PROC_RUNNING)
			continue;
		n->outside_reported = n->outside_since + 1;
		sim_fail(s,
			 "invariant 2: n%u holds %s (and %zu more) outside a quorate partition "
			 "since %llu",
			 i, s->reg[n->addrs[0].id].name, n->n_addrs - 1,
			 (unsigned long long)n->outside_since);
	}
}

/* Do node n's checks of l pass, by the model (a database's own word)? */
static bool
checks_pass(const struct node *n, const struct cv_name_list *l)
{
	for (size_t k = 0; k < l->n; k++)
		if (!proc_healthy(n, l->names[k]))
			return false;
	return true;
}

/*
 * Does node n pass the checks of l for VIP id vc, by the model, and can it
 * hold it: the VIP's link up, no add of it failed since its daemon's start
 * or last reload (the engine's HEALTHY flag: unhealthy until a reload)?
 */
static bool
passes(const struct node *n, int id, const struct cv_vip_conf *vc, const struct cv_name_list *l)
{
	for (size_t k = 0; k < n->d.n_add_failed; k++)
		if ((int)n->d.add_failed[k] == id)
			return false;
	return checks_pass(n, l) && proc_link_up(n, vc->interface);
}

/* Could node n hold a VIP by the model: up, in a synced quorate ring, not in standby, our config?
 */
static bool
node_eligible(struct sim *s, const struct node *n)
{
	const struct ring *r = n->ring;

	return !n->crashed && n->cs == CS_UP && n->d.state == PROC_RUNNING && n->d.connected &&
	       !n->d.stopping && !n->standby && r && r == n->pending && r->synced && !r->stopped &&
	       !r->stalled && r->quorate &&
	       sim_config_digest(s, n->d.cfg) == sim_config_digest(s, s->ref);
}

/* Daemon and reaper frozen, corosync up: silent to the others (rule 4). */
static bool
frozen_silent(const struct node *n)
{
	return !n->crashed && n->cs == CS_UP && n->d.state == PROC_FROZEN &&
	       n->r.state != PROC_RUNNING;
}

/*
 * A node whose daemon and reaper are both frozen while its corosync runs is
 * silent (docs/safety.md, rule 4): what it claimed is taken over only at its
 * last heartbeat + L + K + 1 s, when its kernel lease has ended the address.
 * Which VIPs it blocks is the engines' knowledge, not ours: while one is
 * frozen, liveness is judged from its freeze + that wait + SILENT_SLACK_MS
 * (delivery, placement, the add) on, if that is later than the bound.
 * Placement can also make it an owner after its freeze (a move to it, a
 * holder's standby, stop or failed check: any change): the others judge it
 * silent 2L after it became one and take at that moment + L + K + 1 s
 * (rule 4, adv7-frozen-idle-made-owner), so the wait counts from the last
 * change too. So can another frozen node's silence: its VIPs go on when the
 * others judge it silent, 2L after its last heartbeat (before its freeze,
 * or 2L after it was made an owner), maybe to a frozen idle node (nobody
 * watches an idle node), whose own 2L then begins; with m daemons and
 * reapers frozen at once, a chain of m - 1 such hand-ons each adds at most
 * 2L before the last one's wait (prop-frozen-idle-silent-holder: the
 * holder frozen after an idle node that its VIP prefers next). A daemon
 * that saw the frozen node's processes join its view
 * after the freeze (its own group join, a merge, the frozen daemon taken
 * into a ring that formed meanwhile) heard nothing of it from before: it
 * counts that wait from that join (rule 7, silence by agreement: spoke_at),
 * and its BLOCKED holds the others back as long. Likewise a daemon that
 * read the frozen node's last HEARTBEAT or STATE after the freeze (it was
 * frozen too, and read its queue at its thaw): it counts from that read, as
 * rule 4 says (the delivery time; it cannot know the send time). And an
 * exchange that began after the freeze (a STATE with RESEND: a member asking
 * for a blocker's word, a late timer) takes nothing until the frozen node's
 * SILENT, L after that start (rule 7), whatever VIP it waits for.
 */
static uint64_t
silent_wait_until(const struct sim *s)
{
	const struct cv_cluster_conf *c = &s->ref->cluster;
	uint64_t lease = c->lease_ms != CV_AUTO ? c->lease_ms
						: (uint64_t)s->o.token_ms + s->o.consensus_ms +
							  c->heartbeat_ms + LEASE_SLACK_MS;
	uint64_t wait = CV_MAX(2 * lease, lease + c->kernel_lease_ms + 1000) + SILENT_SLACK_MS;
	uint64_t until = 0, frozen = 0;

	for (uint32_t i = 1; i <= s->o.n_nodes; i++)
		frozen += frozen_silent(&s->nodes[i]);
	if (frozen > 1)
		wait += (frozen - 1) * 2 * lease;
	for (uint32_t i = 1; i <= s->o.n_nodes; i++) {
		const struct node *n = &s->nodes[i];

		if (!frozen_silent(n))
			continue;
		until = CV_MAX(until, CV_MAX(n->d.frozen_at, s->last_change) + wait);
		for (uint32_t j = 1; j <= s->o.n_nodes; j++) {
			const struct daemon *d = &s->nodes[j].d;
			uint64_t from = CV_MAX(d->saw_join_at[i], d->heard_at[i]);

			if (j == i || d->state != PROC_RUNNING)
				continue;
			if (from > n->d.frozen_at)
				until = CV_MAX(until, from + wait);
			if (d->asked_at[i] > n->d.frozen_at)
				until = CV_MAX(until, d->asked_at[i] + lease + SILENT_SLACK_MS);
		}
	}
	return until;
}

/* Is every host address of rv held in mask, under its name or another (a
 * rolling rename: the ring may hold the address under the name that won)? */
static bool
hosts_held_in(const struct sim *s, const struct regvip *rv, uint64_t mask)
{
	char h[SIM_KEY_LEN];

	if (rv->holders & mask)
		return true;
	for (const char *p = next_host(rv->addr, h, sizeof(h)); p; p = next_host(p, h, sizeof(h))) {
		bool found = false;

		for (size_t k = 0; k < s->n_reg && !found; k++)
			found = (s->reg[k].holders & mask) && keys_share_host(h, s->reg[k].addr);
		if (!found)
			return false;
	}
	return true;
}

enum duty { MAY_HOLD, MUST_HOLD, MUST_NOT_HOLD };

/*
 * corovipctl ban and clear as the model knows them: from when a daemon
 * reads the command (as standby), which the engines apply once it is
 * delivered. A lifetime ends at the read + the lifetime; the engines end
 * it by agreement a little later (engine-ban.c): liveness counts from that
 * end, as from a command. A command the origin refused (no quorate view,
 * an unknown VIP or node) changes nothing. A clear counts only once its
 * origin got it back unrefused (one sent across a membership change is
 * refused by every member: engine-msg.c on_command): till then its bans
 * stand in the model, which only lessens what it owes (c1: a clear refused
 * left every node banned, which the model had taken for cleared:
 * advZb-clear-refused-model).
 */
void
check_ban_read(struct sim *s, const struct node *n, const struct cv_event *ev, bool refused)
{
	size_t k = 0;

	if (refused)
		return;
	while (k < s->n_bans) {
		struct sim_ban *b = &s->bans[k];

		if (strcmp(b->vip, ev->ban.vip) != 0 || (ev->ban.node && b->node != ev->ban.node)) {
			k++;
		} else if (ev->type == CV_EV_ADMIN_CLEAR) {
			b->clearing = n->id;
			k++;
		} else {
			*b = s->bans[--s->n_bans];
		}
	}
	if (ev->type == CV_EV_ADMIN_BAN && ev->ban.node && s->n_bans < SIM_MAX_BANS) {
		struct sim_ban *b = &s->bans[s->n_bans++];

		*b = (struct sim_ban){ .node = ev->ban.node };
		snprintf(b->vip, sizeof(b->vip), "%s", ev->ban.vip);
		b->until = ev->ban.lifetime_ms ? s->now + ev->ban.lifetime_ms : SIM_NEVER;
	}
	if (s->now > s->last_change)
		s->last_change = s->now;
}

void
check_clear_delivered(struct sim *s, const struct node *n, const struct cv_proto_clear *m,
		      bool refused)
{
	size_t k = 0;

	while (k < s->n_bans) {
		struct sim_ban *b = &s->bans[k];

		if (b->clearing != n->id || strcmp(b->vip, m->vip) != 0 ||
		    (m->node && b->node != m->node)) {
			k++;
		} else if (refused) {
			b->clearing = 0;
			k++;
		} else {
			*b = s->bans[--s->n_bans];
		}
	}
	if (!refused && s->now > s->last_change)
		s->last_change = s->now;
}

/* Lifetimes over: gone from the model, and liveness counts from their end. */
static void
expire_bans(struct sim *s)
{
	size_t k = 0;

	while (k < s->n_bans) {
		if (s->bans[k].until <= s->now) {
			s->last_change = CV_MAX(s->last_change, s->bans[k].until);
			s->bans[k] = s->bans[--s->n_bans];
		} else {
			k++;
		}
	}
}

static bool
model_banned(const struct sim *s, const char *vip, uint32_t node)
{
	for (size_t k = 0; k < s->n_bans; k++)
		if (s->bans[k].node == node && strcmp(s->bans[k].vip, vip) == 0)
			return true;
	return false;
}

/*
 * Does a daemon of partition part still count what frozen node i said
 * last? Not once an exchange began after the freeze (a new ring, a STATE
 * with RESEND, or a process of i joining a daemon's view: a daemon started
 * since never heard it): it ends with i's SILENT, without i's STATE (rule
 * 7), and an exclusive VIP's split counts only the members whose STATE of
 * this exchange is in (docs/safety.md, exceptions;
 * advY-split-frozen-primary-excluded).
 */
static bool
frozen_word_stands(const struct sim *s, uint64_t part, uint32_t i)
{
	uint64_t frozen_at = s->nodes[i].d.frozen_at;
	const struct ring *r = s->nodes[i].ring;

	if (r && r->formed && r->form_at > frozen_at)
		return false;

	for (uint32_t j = 1; j <= s->o.n_nodes; j++) {
		const struct daemon *d = &s->nodes[j].d;

		if (j != i && (part & BIT(j)) && d->state == PROC_RUNNING &&
		    (d->asked_at[i] > frozen_at || d->saw_join_at[i] > frozen_at))
			return false;
	}
	return true;
}

/*
 * What the partition (ring mask part) owes vc, by the model: a holder when
 * an eligible node of it passes vc's checks, or else one passes its
 * fallback checks; none for an exclusive VIP that more than one node of it
 * passes (issue 16: a split database; docs/safety.md's exceptions to
 * invariant 3). A node whose daemon is frozen counts as it said last, until
 * an exchange began after its freeze (frozen_word_stands). One whose add
 * failed counts as not passing (its HEALTHY flag says so, until a reload):
 * neither a candidate nor a second primary.
 */
static enum duty
duty_of(const struct sim *s, uint64_t elig, uint64_t part, int id, const struct cv_vip_conf *vc)
{
	bool healthy = false, fallback = false, unsure = false;
	unsigned passing = 0, exclusive = 0, defined = 0;

	for (uint32_t j = 1; j <= s->o.n_nodes; j++) {
		const struct node *n = &s->nodes[j];
		bool candidate = (elig & BIT(j)) && sim_config_same_vip(n->d.cfg, s->ref, vc) &&
				 !model_banned(s, vc->head.name, j);
		const struct cv_vip_conf *own;

		if (!(part & BIT(j)) || n->crashed ||
		    (n->d.state != PROC_RUNNING && n->d.state != PROC_FROZEN) ||
		    (n->d.state == PROC_FROZEN && !frozen_word_stands(s, part, j)))
			continue;
		/* a daemon stopping says it passes no more: the others give the
		 * VIP on at that STATE, not at its leave (engine-health.c
		 * cv_engine_says_passes; advY-split-stopping-primary) */
		if (n->d.stopping)
			continue;
		/* a daemon frozen before its check changed said the old value,
		 * which the model no longer has: no duty either way
		 * (prop seed 86154: a switchover during a freeze) */
		for (size_t k = 0; n->d.state == PROC_FROZEN && k < vc->check.n; k++)
			unsure |= proc_health_changed_since(n, vc->check.names[k], n->d.frozen_at);
		own = cv_config_find_vip(n->d.cfg, vc->head.name);
		defined += own != NULL;
		exclusive += own && own->exclusive;
		/* a second primary is one whatever its add or link (CV_PROTO_VIP_PASSES) */
		passing += checks_pass(n, &vc->check);
		healthy |= candidate && passes(n, id, vc, &vc->check);
		fallback |= candidate && vc->fallback_check.n && passes(n, id, vc, &vc->fallback_check);
	}
	/* A rolling reload that turns exclusive on or off: placement follows
	 * the definition most members have (docs/safety.md, STATE), which
	 * the reference (the old one until every node has the new) may not
	 * be: either is right while two pass. */
	if (unsure && exclusive)
		return MAY_HOLD;
	if (passing > 1 && exclusive)
		return exclusive == defined ? MUST_NOT_HOLD : MAY_HOLD;
	return healthy || fallback ? MUST_HOLD : MAY_HOLD;
}

static void
check_live(struct sim *s)
{
	uint64_t elig = 0;
	char buf[SIM_KEY_LEN];

	expire_bans(s);
	/* Maintenance mode: no takeover, no move (docs/safety.md): no duty to
	 * hold; invariants 1 and 2 still hold, they are checked all along. */
	if (!s->o.liveness || !s->ref || s->now < s->last_change + s->o.bound_ms ||
	    s->now < silent_wait_until(s) || s->maintenance)
		return;
	for (uint32_t i = 1; i <= s->o.n_nodes; i++)
		if (node_eligible(s, &s->nodes[i]))
			elig |= BIT(i);
	for (size_t v = 0; elig && v < s->ref->n_vips; v++) {
		const struct cv_vip_conf *vc = &s->ref->vips[v];
		int id = check_reg_find(s, vc->head.name, sim_vip_key(vc, buf, sizeof(buf)));
		struct regvip *rv = id >= 0 ? &s->reg[id] : NULL;

		if (!rv || rv->live_reported == s->last_change + 1)
			continue;
		for (uint32_t i = 1; i <= s->o.n_nodes; i++) {
			const struct node *n = &s->nodes[i];
			enum duty d;
			bool held;

			if (!(elig & BIT(i)))
				continue;
			d = duty_of(s, elig, n->ring->mask, id, vc);
			held = hosts_held_in(s, rv, n->ring->mask);
			if ((d == MUST_HOLD && held) || (d == MUST_NOT_HOLD && !held) || d == MAY_HOLD)
				continue;
			rv->live_reported = s->last_change + 1;
			sim_fail(s,
				 d == MUST_HOLD ? "invariant 3: VIP %s has no holder in the quorate "
						  "partition of n%u %llu ms after the last change"
						: "exclusive VIP %s is held in the partition of n%u, where "
						  "more than one node passes its checks, %llu ms after "
						  "the last change",
				 vc->head.name, i, (unsigned long long)(s->now - s->last_change));
			break;
		}
	}
}

static void
check_stray(struct sim *s)
{
	for (uint32_t i = 1; i <= s->o.n_nodes; i++) {
		struct node *n = &s->nodes[i];

		if (n->d.state != PROC_RUNNING)
			continue;
		for (size_t k = 0; k < n->n_addrs; k++) {
			struct addr *a = &n->addrs[k];
			const struct cv_vip_conf *vc;
			char buf[SIM_KEY_LEN];

			if (a->cfg == n->d.cfg)
				continue;
			vc = cv_config_find_vip(n->d.cfg, s->reg[a->id].name);
			if (vc &&
			    strcmp(sim_vip_key(vc, buf, sizeof(buf)), s->reg[a->id].addr) == 0) {
				a->cfg = n->d.cfg;
				continue;
			}
			if (a->stray_since == SIM_NEVER)
				a->stray_since = s->now;
			else if (s->now == CV_MAX(a->stray_since + STRAY_GRACE_MS + n->del_ms,
						  a->del_until + 1) &&
				 !a->del_failed)
				sim_fail(s,
					 "invariant 4: n%u keeps %s (%s), which its config no "
					 "longer has",
					 i, s->reg[a->id].name, s->reg[a->id].addr);
		}
	}
}

void
check_run(struct sim *s)
{
	if (s->checked_at == s->now)
		return;
	s->checked_at = s->now;
	check_outside(s);
	check_live(s);
	check_stray(s);
}

/* ---- queries ---- */

static int
ref_id(const struct sim *s, const char *vip)
{
	const struct cv_vip_conf *vc = s->ref ? cv_config_find_vip(s->ref, vip) : NULL;
	char buf[SIM_KEY_LEN];

	return vc ? check_reg_find(s, vip, sim_vip_key(vc, buf, sizeof(buf))) : -1;
}

uint64_t
sim_holders(const struct sim *s, const char *vip)
{
	int id = ref_id(s, vip);

	return id >= 0 ? s->reg[id].holders : 0;
}

uint64_t
sim_max_outage(const struct sim *s, const char *vip, uint64_t t1, uint64_t t2)
{
	int id = ref_id(s, vip);
	const struct regvip *v;
	uint64_t best = 0;

	/* A VIP a reload removed: its last address. */
	for (size_t i = s->n_reg; id < 0 && i-- > 0;)
		if (strcmp(s->reg[i].name, vip) == 0 && s->reg[i].addr[0])
			id = (int)i;
	if (id < 0)
		return SIM_NEVER;
	v = &s->reg[id];
	for (size_t i = 0; i <= v->n_outages; i += 2) {
		uint64_t a = i < v->n_outages ? v->outages[i] : v->unheld_since;
		uint64_t b = i < v->n_outages ? v->outages[i + 1] : s->now;

		if (a == SIM_NEVER)
			continue;
		a = a < t1 ? t1 : a;
		b = b > t2 ? t2 : b;
		if (b > a && b - a > best)
			best = b - a;
	}
	return best;
}
