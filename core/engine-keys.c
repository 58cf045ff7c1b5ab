/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Address keys in STATE claims (docs/safety.md rule 7). Claims go by name;
 * each STATE entry also carries the keys of the addresses its name has or
 * may still have (a reload's orphans included), so that a member claiming
 * an address of ours under another name, or an old address of a name we
 * define otherwise, keeps blocking the VIP of ours that has it. What we send
 * (cv_engine_add_keys, cv_engine_add_orphan_entries) and what we keep of a
 * member's claims (its foreign keys) are here; the agreement on which name
 * an address has is engine-agree.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cv-macros.h"
#include "engine-int.h"

/* More keys than an entry carries: sent as none, which means any address. */
#define KEYS_ANY UINT8_MAX

static bool
entry_has_key(const struct cv_proto_vip *v, uint32_t key)
{
	for (size_t k = 0; k < v->n_keys; k++)
		if (v->addr_keys[k] == key)
			return true;
	return false;
}

/* The keys of vc's addresses join entry v's, each once. */
void
cv_engine_add_keys(struct cv_proto_vip *v, const struct cv_vip_conf *vc)
{
	uint32_t keys[CV_VIP_ADDRS_MAX];
	size_t n = cv_config_vip_addr_keys(vc, keys);

	for (size_t k = 0; k < n && v->n_keys != KEYS_ANY; k++) {
		if (entry_has_key(v, keys[k]))
			continue;
		if (v->n_keys == CV_PROTO_KEYS_MAX) {
			memset(v->addr_keys, 0, sizeof(v->addr_keys));
			v->n_keys = KEYS_ANY;
			break;
		}
		v->addr_keys[v->n_keys++] = keys[k];
	}
}

/*
 * A VIP a reload removed or changed whose old address is still being
 * removed (engine-orphan.c) is claimed until its RELEASED: its keys join
 * the entry of the VIP of its name, or an entry of its own (digest 0: no
 * config of ours) when the name is gone. With them a peer that gives that
 * address to another name keeps us as a blocker (advH-orphan-*).
 */
size_t
cv_engine_add_orphan_entries(struct cv_engine *e, struct cv_proto_vip *all, size_t n_all)
{
	for (size_t k = 0; k < e->n_orphans; k++) {
		const struct cv_vip_conf *oc = cv_engine_orphan_conf(e, k);
		int i = cv_engine_vip_by_name(e, oc->head.name);

		if (i >= 0) {
			cv_engine_add_keys(&all[i], oc);
			continue;
		}
		snprintf(all[n_all].name, sizeof(all[n_all].name), "%s", oc->head.name);
		all[n_all].flags = CV_PROTO_VIP_HELD;
		cv_engine_add_keys(&all[n_all], oc);
		all[n_all++].epoch = cv_engine_orphan_epoch(e, k);
	}
	for (size_t k = 0; k < n_all; k++)
		if (all[k].n_keys == KEYS_ANY)
			all[k].n_keys = 0;
	return n_all;
}

/* One address it claims under a definition not ours; without memory, all count. */
static void
note_foreign(struct peer *p, uint32_t key)
{
	if (p->n_foreign == p->cap_foreign) {
		size_t cap = p->cap_foreign ? 2 * p->cap_foreign : 8;
		uint32_t *v = realloc(p->foreign_keys, cap * sizeof(*v));

		if (!v) {
			p->foreign_all = true;
			return;
		}
		p->foreign_keys = v;
		p->cap_foreign = cap;
	}
	p->foreign_keys[p->n_foreign++] = key;
	p->foreign_sorted = false;
}

/* The keys of a held entry that our VIP of its name (i, or none) lacks. */
void
cv_engine_note_foreign_keys(const struct cv_engine *e, struct peer *p, const struct cv_proto_vip *v, int i)
{
	uint32_t own[CV_VIP_ADDRS_MAX];
	size_t n_own = i >= 0 ? cv_config_vip_addr_keys(&e->cfg->vips[i], own) : 0;

	if (!v->n_keys)
		p->foreign_all = true;
	for (size_t k = 0; k < v->n_keys; k++) {
		size_t j = 0;

		while (j < n_own && own[j] != v->addr_keys[k])
			j++;
		if (j == n_own)
			note_foreign(p, v->addr_keys[k]);
	}
}

static int
key_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static bool
foreign_has(const struct peer *p, uint32_t key)
{
	if (p->foreign_sorted)
		return bsearch(&key, p->foreign_keys, p->n_foreign, sizeof(key), key_cmp);
	for (size_t k = 0; k < p->n_foreign; k++)
		if (p->foreign_keys[k] == key)
			return true;
	return false;
}

void
cv_engine_foreign_keys_done(struct peer *p)
{
	if (p->n_foreign > 1)
		qsort(p->foreign_keys, p->n_foreign, sizeof(*p->foreign_keys), key_cmp);
	p->foreign_sorted = true;
}

/*
 * Claims go by name, addresses do not: a VIP it claims under a definition
 * not ours (a rolling reload that renames a VIP, or swaps two addresses)
 * may hold an address of one of ours: that one stays blocked
 * (advE-rolling-rename); one at other addresses does not (advF-halfway-tie:
 * a reload stopped half-way would block it for ever). So does an old
 * address its reload's removal still takes away, even when it defines the
 * VIP now at that address as we do (advH-orphan-*).
 */
bool
cv_engine_claims_our_address(const struct cv_engine *e, const struct peer *p, size_t i)
{
	uint32_t keys[CV_VIP_ADDRS_MAX];
	size_t n;

	if (p->foreign_all)
		return true;
	if (!p->n_foreign)
		return false;
	n = cv_config_vip_addr_keys(&e->cfg->vips[i], keys);
	for (size_t k = 0; k < n; k++)
		if (foreign_has(p, keys[k]))
			return true;
	return false;
}

uint64_t
cv_engine_address_claimants(const struct cv_engine *e, size_t i)
{
	uint32_t keys[CV_VIP_ADDRS_MAX];
	size_t n = 0;
	uint64_t mask = 0;

	for (size_t s = 0; s < e->n_peers; s++) {
		const struct peer *p = &e->peers[s];

		if (!p->in_view || !p->n_foreign)
			continue;
		if (!n)
			n = cv_config_vip_addr_keys(&e->cfg->vips[i], keys);
		for (size_t k = 0; k < n; k++)
			if (foreign_has(p, keys[k]))
				mask |= UINT64_C(1) << s;
	}
	return mask;
}
