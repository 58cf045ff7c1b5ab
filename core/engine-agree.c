/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Agreement by address (docs/safety.md, rule 7). Placement agrees on a VIP
 * by its name: the definition most members have. Two names for one
 * address (a rolling rename, a config that reached some nodes only) would
 * each be placed, at one address: two holders (advI-tie-start,
 * advI-tie-rename). Every STATE entry carries its keys, held or not; a
 * member keeps the definitions other members give that are not its own
 * (peer.defs). At each placement every member works out, from the same
 * fresh STATEs, the same winner among the definitions of each address: the
 * one most fresh view members have, ties: the higher digest, then the
 * greater name. A VIP of ours that loses to another name is placed on
 * nobody, and its holder lets it go; the winner's owner waits for any
 * member whose STATE claims the address (engine-place.c set_owner). A
 * definition loses to any that beats it, placed or not: three names for
 * overlapping addresses may leave one address unplaced until the configs
 * agree (never two holders).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cv-macros.h"
#include "engine-int.h"

void
cv_engine_note_def(struct cv_engine *e, struct peer *p, const struct cv_proto_vip *v, int i)
{
	struct def *d;

	/* digest 0: a reload's orphan, no definition; no keys: more than fit */
	if (!v->digest || !v->n_keys || (i >= 0 && v->digest == e->vip_digests[i]))
		return;
	if (p->n_defs == p->cap_defs) {
		size_t cap = p->cap_defs ? 2 * p->cap_defs : 8;

		d = cap <= SIZE_MAX / sizeof(*d) ? realloc(p->defs, cap * sizeof(*d)) : NULL;
		if (!d) {
			e->out->err = -ENOMEM;
			return;
		}
		p->defs = d;
		p->cap_defs = cap;
	}
	d = &p->defs[p->n_defs++];
	snprintf(d->name, sizeof(d->name), "%s", v->name);
	d->digest = v->digest;
	d->n_keys = v->n_keys;
	memcpy(d->keys, v->addr_keys, sizeof(d->keys));
}

/* One member's definition, for counting and looking up. */
struct ref {
	const struct def *def;
	size_t slot;
	size_t support; /* members with the same name and digest */
};

/* A key of a definition, by key. */
struct key_ref {
	uint32_t key;
	const struct ref *ref;
};

static int
ref_cmp(const void *a, const void *b)
{
	const struct ref *x = a, *y = b;
	int r = strcmp(x->def->name, y->def->name);

	if (r)
		return r;
	if (x->def->digest != y->def->digest)
		return x->def->digest < y->def->digest ? -1 : 1;
	return (x->slot > y->slot) - (x->slot < y->slot);
}

static int
key_cmp(const void *a, const void *b)
{
	uint32_t x = ((const struct key_ref *)a)->key, y = ((const struct key_ref *)b)->key;

	return x < y ? -1 : x > y;
}

static bool
counts(const struct peer *p)
{
	return p->in_view && p->state_fresh;
}

/* Each definition's support: the members (each once) that have it. */
static void
count_support(struct ref *refs, size_t n)
{
	qsort(refs, n, sizeof(*refs), ref_cmp);
	for (size_t i = 0, j; i < n; i = j) {
		size_t support = 0;

		for (j = i; j < n && strcmp(refs[j].def->name, refs[i].def->name) == 0 &&
			    refs[j].def->digest == refs[i].def->digest;
		     j++)
			support += j == i || refs[j].slot != refs[j - 1].slot;
		for (size_t k = i; k < j; k++)
			refs[k].support = support;
	}
}

/* Members that have our definition of VIP i. */
static size_t
our_support(const struct cv_engine *e, size_t i)
{
	size_t n = 0;

	for (size_t s = 0; s < e->n_peers; s++)
		n += counts(&e->peers[s]) && e->peers[s].vip_digests &&
		     e->peers[s].vip_digests[i] == e->vip_digests[i];
	return n;
}

/* Does definition r beat our VIP i (support, digest, name)? */
static bool
beats(const struct cv_engine *e, const struct ref *r, size_t i, size_t support)
{
	const char *name = e->cfg->vips[i].head.name;

	if (r->support != support)
		return r->support > support;
	if (r->def->digest != e->vip_digests[i])
		return r->def->digest > e->vip_digests[i];
	return strcmp(r->def->name, name) > 0;
}

static bool
loses(const struct cv_engine *e, size_t i, const struct key_ref *keys, size_t n_keys)
{
	uint32_t own[CV_VIP_ADDRS_MAX];
	size_t n_own = cv_config_vip_addr_keys(&e->cfg->vips[i], own), support = 0;
	bool counted = false;

	for (size_t k = 0; k < n_own; k++) {
		struct key_ref probe = { .key = own[k] };
		const struct key_ref *at = bsearch(&probe, keys, n_keys, sizeof(probe), key_cmp);

		if (!at)
			continue;
		while (at > keys && at[-1].key == own[k])
			at--;
		for (; at < keys + n_keys && at->key == own[k]; at++) {
			if (strcmp(at->ref->def->name, e->cfg->vips[i].head.name) == 0)
				continue; /* the same name: agreed by name (engine-place.c) */
			if (!counted)
				support = our_support(e, i), counted = true;
			if (beats(e, at->ref, i, support))
				return true;
		}
	}
	return false;
}

int
cv_engine_address_losers(const struct cv_engine *e, uint8_t *lost)
{
	size_t n = 0, n_keys = 0, m = 0;
	_cleanup_free_ struct ref *refs = NULL;
	_cleanup_free_ struct key_ref *keys = NULL;

	for (size_t s = 0; s < e->n_peers; s++)
		if (counts(&e->peers[s]))
			for (size_t d = 0; d < e->peers[s].n_defs; d++, n++)
				n_keys += e->peers[s].defs[d].n_keys;
	if (!n)
		return 0;
	refs = calloc(n, sizeof(*refs));
	keys = calloc(n_keys ? n_keys : 1, sizeof(*keys));
	if (!refs || !keys)
		return -ENOMEM;
	n = 0;
	for (size_t s = 0; s < e->n_peers; s++)
		if (counts(&e->peers[s]))
			for (size_t d = 0; d < e->peers[s].n_defs; d++)
				refs[n++] = (struct ref){ .def = &e->peers[s].defs[d], .slot = s };
	count_support(refs, n);
	for (size_t r = 0; r < n; r++)
		for (size_t k = 0; k < refs[r].def->n_keys; k++)
			keys[m++] = (struct key_ref){ .key = refs[r].def->keys[k], .ref = &refs[r] };
	qsort(keys, m, sizeof(*keys), key_cmp);
	for (size_t i = 0; i < e->n_vips; i++)
		lost[i] = loses(e, i, keys, m);
	return 0;
}

/*
 * Nodes whose last STATE defines one of VIP i's addresses under another
 * name, in the view or not, fresh or not. Where that name won, its owner
 * took the address after that STATE (going WAITING sends none); a daemon
 * leaving changes the counts with no exchange, a node leaving the ring
 * takes its claims with it: when i wins then, its STATE said nothing of
 * the address (advJ-leave-flip, advJ-holder-cut-off).
 */
uint64_t
cv_engine_address_definers(const struct cv_engine *e, size_t i)
{
	uint32_t own[CV_VIP_ADDRS_MAX];
	size_t n_own = cv_config_vip_addr_keys(&e->cfg->vips[i], own);
	const char *name = e->cfg->vips[i].head.name;
	uint64_t mask = 0;

	for (size_t s = 0; s < e->n_peers; s++) {
		const struct peer *p = &e->peers[s];

		for (size_t d = 0; d < p->n_defs && !(mask & (UINT64_C(1) << s)); d++) {
			if (strcmp(p->defs[d].name, name) == 0)
				continue; /* the same name: agreed by name */
			for (size_t k = 0; k < p->defs[d].n_keys; k++)
				for (size_t j = 0; j < n_own; j++)
					if (p->defs[d].keys[k] == own[j])
						mask |= UINT64_C(1) << s;
		}
	}
	return mask;
}
