/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The engine's answers to status and tests: read-only views of its state.
 */
#include <string.h>

#include "engine-int.h"

const struct cv_config *
cv_engine_config(const struct cv_engine *e)
{
	return e->cfg;
}

size_t
cv_engine_n_vips(const struct cv_engine *e)
{
	return e->n_vips;
}

enum cv_vip_state
cv_engine_vip_state(const struct cv_engine *e, size_t vip)
{
	return vip < e->n_vips ? e->vips[vip].state : _CV_VIP_STATE_INVALID;
}

uint32_t
cv_engine_vip_owner(const struct cv_engine *e, size_t vip)
{
	return vip < e->n_vips ? e->vips[vip].owner : 0;
}

enum cv_place_reason
cv_engine_vip_place_reason(const struct cv_engine *e, size_t vip)
{
	return (enum cv_place_reason)e->vips[vip].place_reason;
}

size_t
cv_engine_count_in_state(const struct cv_engine *e, enum cv_vip_state state)
{
	return (unsigned)state < _CV_VIP_STATE_MAX ? e->n_in_state[state] : 0;
}

uint64_t
cv_engine_vip_epoch(const struct cv_engine *e, size_t vip)
{
	return vip < e->n_vips ? e->vips[vip].epoch : 0;
}

uint32_t
cv_engine_lease_ms(const struct cv_engine *e)
{
	return e->lease_ms;
}

uint32_t
cv_engine_guard_ms(const struct cv_engine *e)
{
	return e->guard_ms;
}

bool
cv_engine_quorate(const struct cv_engine *e)
{
	return e->have_view && e->view_quorate;
}

uint64_t
cv_engine_lease_end(const struct cv_engine *e)
{
	return cv_engine_holds_any(e) && e->now < e->lease_until ? e->lease_until : 0;
}

uint32_t
cv_engine_nodeid(const struct cv_engine *e)
{
	return e->me;
}

/* Insert id into the ascending ids[0..n) (n < max): views are small. */
static void
insert_sorted(uint32_t *ids, size_t n, uint32_t id)
{
	size_t k = n;

	for (; k > 0 && ids[k - 1] > id; k--)
		ids[k] = ids[k - 1];
	ids[k] = id;
}

bool
cv_engine_view(const struct cv_engine *e, struct cv_ring_id *ret_ring, uint32_t *ret_members,
	       size_t max, size_t *ret_n)
{
	size_t n = 0;

	if (!e->have_view)
		return false;
	for (size_t p = 0; p < e->n_peers; p++) {
		if (!e->peers[p].in_view)
			continue;
		if (n < max)
			insert_sorted(ret_members, n, e->peers[p].nodeid);
		n++;
	}
	*ret_ring = e->view_ring;
	*ret_n = n;
	return true;
}

uint32_t
cv_engine_node_id(const struct cv_engine *e, size_t node)
{
	return node < e->cfg->n_nodes ? e->node_ids[node] : 0;
}

bool
cv_engine_node_standby(const struct cv_engine *e, uint32_t nodeid)
{
	const struct peer *p = cv_engine_peer((struct cv_engine *)e, nodeid, false);

	return cv_engine_runtime_standby(e, nodeid) || (p && p->standby);
}

/*
 * Count VIPs per state, those of them placement gives us, and those our
 * last STATE said BLOCKED, into n, mine and *blocked.
 */
static void
count_vips(const struct cv_engine *e, size_t n[_CV_VIP_STATE_MAX],
	   size_t mine[_CV_VIP_STATE_MAX], size_t *blocked)
{
	memset(n, 0, _CV_VIP_STATE_MAX * sizeof(*n));
	memset(mine, 0, _CV_VIP_STATE_MAX * sizeof(*mine));
	*blocked = 0;
	for (size_t i = 0; i < e->n_vips; i++) {
		n[e->vips[i].state]++;
		mine[e->vips[i].state] += e->vips[i].owner == e->me;
		*blocked += e->vips[i].sent_blocked;
	}
}

void
cv_engine_recount(struct cv_engine *e)
{
	count_vips(e, e->n_in_state, e->n_mine_in_state, &e->n_sent_blocked);
}

bool
cv_engine_counts_ok(const struct cv_engine *e)
{
	size_t n[_CV_VIP_STATE_MAX], mine[_CV_VIP_STATE_MAX], blocked;

	count_vips(e, n, mine, &blocked);
	return memcmp(n, e->n_in_state, sizeof(n)) == 0 &&
	       memcmp(mine, e->n_mine_in_state, sizeof(mine)) == 0 && blocked == e->n_sent_blocked;
}

void
cv_engine_set_owner(struct cv_engine *e, size_t i, uint32_t owner)
{
	struct vip_rt *v = &e->vips[i];

	e->n_mine_in_state[v->state] -= v->owner == e->me;
	e->n_mine_in_state[v->state] += owner == e->me;
	v->owner = owner;
}
