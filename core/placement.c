/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Placement: the owner of every VIP, computed identically on every node.
 *
 * 1. Candidates of a VIP are the eligible nodes whose health bit is set;
 *    with none, those whose fallback bit is set. An exclusive VIP that more
 *    than one node passes (eligible or not) has none: a split.
 * 2. Pinned VIPs are decided first: the first candidate of the prefer list
 *    (unless a sticky holder without preempt keeps it), or else a sticky
 *    healthy holder. They count in the loads below but never move for
 *    balance: the user asked for them to be where they are.
 * 3. Free VIPs are spread by weighted rendezvous (highest random weight)
 *    hashing: every (VIP, node) pair gets a pseudo-random h in [0, 2^64) and
 *    the VIP ranks its candidates by the score w / -ln(h / 2^64). The top of
 *    that ranking is node i with probability w_i / W, and, because a pair's
 *    score does not depend on the other nodes, a node joining or leaving
 *    changes only the VIPs it wins or held: minimal churn without any state.
 * 4. Plain rendezvous is only balanced on average (1000 VIPs on 5 nodes
 *    differ by ~±13 per node, and more by bad luck), so loads are bounded.
 *    A node's fair share is total * w / W over all VIPs that have a
 *    candidate; spreading gives it at most ceil(1.1 * fair), and then nodes
 *    under floor(0.9 * fair) pull the VIPs that score them highest from
 *    nodes that can spare one. VIPs are spread in decreasing strength of
 *    their top choice, so those that spill over are the ones that care
 *    least. The bounds move only a few percent of the VIPs away from their
 *    top choice, mostly the same ones from one run to the next, so they add
 *    little churn of their own.
 *
 * Determinism: nodes are sorted by nodeid and every tie is broken by the
 * hash, the nodeid or the VIP name, so the order of the input arrays does not
 * matter. The score is computed in integers: log2(h) in 32.32 fixed point
 * (integer part from the highest set bit, fraction by repeated squaring),
 * cost = 64 - log2(h) (proportional to -ln(h / 2^64), always > 0), and a
 * ranks before b when w_a * cost_b > w_b * cost_a (costs are < 2^39 and
 * weights < 2^14: the products fit in 64 bits), then by higher h, then by
 * lower nodeid. No floating point, so no libm or FPU differences between
 * nodes. Among nodes of equal weight that order is the order of h alone, so
 * the logarithm (32 multiplications) is needed only for the best node of
 * each weight, and for the full ranking of the few VIPs that spill over.
 */
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "cv-macros.h"
#include "placement.h"

#define NO_NODE	 0xff
#define COST_ONE (UINT64_C(64) << 32) /* 64.0 in 32.32 fixed point */

struct pnode {
	uint32_t nodeid;
	uint32_t weight;
	bool eligible;
	bool preempt_hold; /* cv_place_node.preempt_hold */
	uint8_t input;	/* index in the input nodes[]: its healthy bit */
	uint8_t wclass; /* index of the first node (in nodes[]) of the same weight */
	uint32_t load;	/* VIPs given to it so far */
	uint32_t upper;
	uint32_t lower;
};

/* A candidate node of one VIP, as ranked for it. */
struct cand {
	uint8_t node;	 /* index in p->nodes */
	uint32_t weight; /* of that node */
	uint64_t h;	 /* pair hash */
	uint64_t cost;	 /* 64 - log2(h), 32.32 fixed point; lower is better */
};

struct pvip {
	const struct cv_place_vip *v;
	uint64_t name_hash; /* FNV-1a state after the name */
	uint64_t cand;	    /* bit i: p->nodes[i] is a candidate */
	struct cand top;    /* free VIPs: the best candidate */
	uint8_t owner;	    /* index in p->nodes, NO_NODE if none */
	enum cv_place_reason reason;
};

/* A free VIP that an underloaded node could pull. */
struct pull {
	struct pvip *pv;
	uint64_t h; /* pair hash with the pulling node: its score for the VIP */
};

struct place {
	struct pnode nodes[CV_MAX_NODES]; /* sorted by nodeid */
	size_t n_nodes;
	uint8_t by_input[CV_MAX_NODES]; /* input index -> index in nodes[] */
};

static const char *const reason_names[_CV_PLACE_REASON_MAX] = {
	[CV_PLACE_NONE] = "none",
	[CV_PLACE_PREFERRED] = "preferred",
	[CV_PLACE_STICKY] = "sticky",
	[CV_PLACE_SPREAD] = "spread",
	[CV_PLACE_REBALANCED] = "rebalanced",
	[CV_PLACE_SPLIT] = "split",
};

const char *
cv_place_reason_to_string(enum cv_place_reason r)
{
	return r >= 0 && r < _CV_PLACE_REASON_MAX ? reason_names[r] : NULL;
}

enum cv_place_reason
cv_place_reason_from_string(const char *s)
{
	for (int i = 0; s && i < _CV_PLACE_REASON_MAX; i++)
		if (strcmp(reason_names[i], s) == 0)
			return i;
	return _CV_PLACE_REASON_INVALID;
}

static uint64_t
fnv1a(uint64_t h, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * UINT64_C(0x100000001b3);
	return h;
}

static uint64_t
name_hash(const char *name)
{
	return fnv1a(UINT64_C(0xcbf29ce484222325), (const uint8_t *)name, strlen(name));
}

/* The nodeid is hashed as 4 little-endian bytes, whatever the host order. */
static uint64_t
pair_hash(uint64_t name_state, uint32_t nodeid)
{
	const uint8_t b[4] = { nodeid, nodeid >> 8, nodeid >> 16, nodeid >> 24 };
	uint64_t z = fnv1a(name_state, b, sizeof(b));

	/* splitmix64's finaliser: FNV alone mixes the last bytes poorly. */
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* log2(h) in 32.32 fixed point, h > 0. Without builtins: no libgcc calls. */
static uint64_t
log2_fixed(uint64_t h)
{
	uint64_t ip = 0, frac = 0, m;

	for (unsigned s = 32; s > 0; s >>= 1)
		if (h >> (ip + s)) /* ip + s <= 63 */
			ip += s;
	/* Mantissa in [1, 2) as 1.31 fixed point, so that m * m fits in 64 bits. */
	m = ip >= 31 ? h >> (ip - 31) : h << (31 - ip);
	/* Square; a result >= 2 is one more fraction bit. Branch-free: the bits
	 * are random, so a branch would be mispredicted half the time. */
	for (int bit = 31; bit >= 0; bit--) {
		uint64_t carry;

		m = (m * m) >> 31;
		carry = m >> 32;
		frac |= carry << bit;
		m >>= carry;
	}
	return ip << 32 | frac;
}

/* 64 - log2(h): proportional to -ln(h / 2^64), in (0, 2^38]. */
static uint64_t
cost_of(uint64_t h)
{
	return COST_ONE - log2_fixed(h ? h : 1);
}

/* The ranking order (see the top of the file); costs must be filled in. */
static bool
ranks_before(const struct cand *a, const struct cand *b)
{
	uint64_t x = (uint64_t)a->weight * b->cost, y = (uint64_t)b->weight * a->cost;

	if (x != y)
		return x > y;
	if (a->h != b->h)
		return a->h > b->h;
	return a->node < b->node; /* nodes[] is in nodeid order */
}

static int
cmp_nodeid(const void *a, const void *b)
{
	uint32_t x = ((const struct pnode *)a)->nodeid, y = ((const struct pnode *)b)->nodeid;

	return (x > y) - (x < y);
}

static int
load_nodes(struct place *p, const struct cv_placement_input *in)
{
	if (in->n_nodes > CV_MAX_NODES || (in->n_nodes > 0 && !in->nodes))
		return -EINVAL;
	p->n_nodes = in->n_nodes;
	for (size_t i = 0; i < p->n_nodes; i++) {
		const struct cv_place_node *n = &in->nodes[i];

		if (n->nodeid == 0 || n->weight == 0 || n->weight > CV_PLACE_WEIGHT_MAX)
			return -EINVAL;
		p->nodes[i] = (struct pnode){ .nodeid = n->nodeid,
					      .weight = n->weight,
					      .eligible = n->eligible,
					      .preempt_hold = n->preempt_hold,
					      .input = i };
	}
	qsort(p->nodes, p->n_nodes, sizeof(p->nodes[0]), cmp_nodeid);
	for (size_t i = 0; i < p->n_nodes; i++) {
		struct pnode *n = &p->nodes[i];

		if (i > 0 && n->nodeid == n[-1].nodeid)
			return -EINVAL;
		p->by_input[n->input] = i;
		while (p->nodes[n->wclass].weight != n->weight)
			n->wclass++;
	}
	return 0;
}

/* Is nodeid in the view and a candidate of the VIP? Its index in *ret if so. */
static bool
is_candidate(const struct place *p, const struct pvip *pv, uint32_t nodeid, uint8_t *ret)
{
	const struct pnode key = { .nodeid = nodeid };
	const struct pnode *n = bsearch(&key, p->nodes, p->n_nodes, sizeof(key), cmp_nodeid);

	if (!n || !(pv->cand >> (n - p->nodes) & 1))
		return false;
	*ret = n - p->nodes;
	return true;
}

static int
cmp_name(const void *a, const void *b)
{
	return strcmp((*(struct pvip *const *)a)->v->name, (*(struct pvip *const *)b)->v->name);
}

/* v's candidates (bits of p->nodes); *ret_reason CV_PLACE_SPLIT for a split. */
static uint64_t
candidates(const struct place *p, const struct cv_place_vip *v, enum cv_place_reason *ret_reason)
{
	uint64_t healthy = 0, fallback = 0;
	unsigned passing = 0;

	for (size_t j = 0; j < p->n_nodes; j++) {
		uint64_t bit = UINT64_C(1) << p->by_input[j];

		passing += (unsigned)((v->healthy | v->passing) >> j & 1);
		if (!p->nodes[p->by_input[j]].eligible)
			continue;
		healthy |= (v->healthy >> j & 1) ? bit : 0;
		fallback |= (v->fallback >> j & 1) ? bit : 0;
	}
	if (v->exclusive && passing > 1) {
		*ret_reason = CV_PLACE_SPLIT;
		return 0;
	}
	return healthy ? healthy : fallback;
}

/* Fills vips[] and all[] (pointers to them); -EINVAL on a bad or repeated VIP. */
static int
load_vips(const struct place *p, const struct cv_placement_input *in, struct pvip *vips,
	  struct pvip **all)
{
	for (size_t k = 0; k < in->n_vips; k++) {
		const struct cv_place_vip *v = &in->vips[k];

		if (!v->name || (v->n_prefer > 0 && !v->prefer))
			return -EINVAL;
		vips[k] =
		    (struct pvip){ .v = v, .name_hash = name_hash(v->name), .owner = NO_NODE };
		vips[k].cand = candidates(p, v, &vips[k].reason);
		all[k] = &vips[k];
	}
	/* Names are the identity used for every tie: two equal ones would make
	 * the result depend on the input order. */
	qsort(all, in->n_vips, sizeof(*all), cmp_name);
	for (size_t k = 1; k < in->n_vips; k++)
		if (cmp_name(&all[k - 1], &all[k]) == 0)
			return -EINVAL;
	return 0;
}

static void
assign(struct place *p, struct pvip *pv, uint8_t node, enum cv_place_reason reason)
{
	pv->owner = node;
	pv->reason = reason;
	p->nodes[node].load++;
}

/*
 * The first candidate of the prefer list. While the VIP has a holder that
 * is a candidate (holder, else NO_NODE), a node in its preempt delay is
 * passed over (*held_back set): it does not take the VIP from it.
 */
static bool
first_preferred(const struct place *p, const struct pvip *pv, uint8_t holder, uint8_t *ret,
		bool *held_back)
{
	for (size_t j = 0; j < pv->v->n_prefer; j++) {
		if (!is_candidate(p, pv, pv->v->prefer[j], ret))
			continue;
		if (holder == NO_NODE || *ret == holder || !p->nodes[*ret].preempt_hold)
			return true;
		*held_back = true;
	}
	return false;
}

/* Decides a pinned VIP (prefer, stickiness, preempt delay); false if it is free. */
static bool
pin(struct place *p, struct pvip *pv)
{
	const struct cv_place_vip *v = pv->v;
	uint8_t holder = NO_NODE, pref;
	bool held = is_candidate(p, pv, v->holder, &holder), held_back = false;
	bool sticky = v->stickiness && held;

	if (first_preferred(p, pv, held ? holder : NO_NODE, &pref, &held_back)) {
		if ((sticky && !v->preempt) || (held_back && pref == holder))
			assign(p, pv, holder, CV_PLACE_STICKY);
		else
			assign(p, pv, pref, CV_PLACE_PREFERRED);
		return true;
	}
	/* A preferred node in its preempt delay waits: its holder keeps it. */
	if (sticky || held_back) {
		assign(p, pv, holder, CV_PLACE_STICKY);
		return true;
	}
	return false;
}

/*
 * The best candidate. Within one weight the best is the highest h, so first
 * the highest h per weight, then the logarithm for those few only.
 */
static void
find_top(const struct place *p, struct pvip *pv)
{
	struct cand best[CV_MAX_NODES]; /* by wclass: the highest h of that weight */
	uint64_t seen = 0;
	bool first = true;

	for (uint8_t i = 0; i < p->n_nodes; i++) {
		uint8_t k = p->nodes[i].wclass;
		uint64_t h;

		if (!(pv->cand >> i & 1))
			continue;
		h = pair_hash(pv->name_hash, p->nodes[i].nodeid);
		if (!(seen >> k & 1) || h > best[k].h) { /* equal h: the lower nodeid stays */
			best[k] = (struct cand){ .node = i, .weight = p->nodes[i].weight, .h = h };
			seen |= UINT64_C(1) << k;
		}
	}
	for (uint8_t k = 0; k < p->n_nodes; k++) {
		if (!(seen >> k & 1))
			continue;
		best[k].cost = cost_of(best[k].h);
		if (first || ranks_before(&best[k], &pv->top))
			pv->top = best[k];
		first = false;
	}
}

/* All candidates, best first (insertion sort); returns their number. */
static uint8_t
rank_all(const struct place *p, const struct pvip *pv, struct cand *ret)
{
	uint8_t n = 0;

	for (uint8_t i = 0; i < p->n_nodes; i++) {
		uint64_t h;
		struct cand c;
		uint8_t j;

		if (!(pv->cand >> i & 1))
			continue;
		h = pair_hash(pv->name_hash, p->nodes[i].nodeid);
		c = (struct cand){
			.node = i, .weight = p->nodes[i].weight, .h = h, .cost = cost_of(h)
		};
		for (j = n++; j > 0 && ranks_before(&c, &ret[j - 1]); j--)
			ret[j] = ret[j - 1];
		ret[j] = c;
	}
	return n;
}

/* Pins what is pinned, ranks the rest; free[] gets the free VIPs that have a
 * candidate. Returns how many VIPs have a candidate at all. */
static uint64_t
classify(struct place *p, struct pvip *vips, size_t n_vips, struct pvip **free, size_t *ret_free)
{
	uint64_t total = 0;
	size_t n_free = 0;

	for (size_t k = 0; k < n_vips; k++) {
		struct pvip *pv = &vips[k];

		if (!pv->cand)
			continue;
		total++;
		if (pin(p, pv))
			continue;
		find_top(p, pv);
		free[n_free++] = pv;
	}
	*ret_free = n_free;
	return total;
}

/* upper = ceil(1.1 * fair), lower = floor(0.9 * fair), fair = total * w / W,
 * as exact fractions: no rounding of fair first. */
static void
set_bounds(struct place *p, uint64_t total)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < p->n_nodes; i++)
		if (p->nodes[i].eligible)
			sum += p->nodes[i].weight;
	for (size_t i = 0; i < p->n_nodes; i++) {
		struct pnode *n = &p->nodes[i];
		uint64_t share = total * n->weight;

		if (!n->eligible || sum == 0)
			continue;
		n->upper = (11 * share + 10 * sum - 1) / (10 * sum);
		n->lower = 9 * share / (10 * sum);
	}
}

/* Stronger top choice first; then by name. */
static int
cmp_strength(const void *a, const void *b)
{
	const struct cand *x = &(*(struct pvip *const *)a)->top;
	const struct cand *y = &(*(struct pvip *const *)b)->top;
	uint64_t sx = (uint64_t)x->weight * y->cost, sy = (uint64_t)y->weight * x->cost;

	if (sx != sy)
		return sx > sy ? -1 : 1;
	return strcmp((*(struct pvip *const *)a)->v->name, (*(struct pvip *const *)b)->v->name);
}

static bool
has_room(const struct place *p, uint8_t node)
{
	return p->nodes[node].load < p->nodes[node].upper;
}

/* The best candidate with room, or the best one if none has room. */
static uint8_t
choose(const struct place *p, const struct pvip *pv)
{
	struct cand all[CV_MAX_NODES];
	uint8_t n;

	if (has_room(p, pv->top.node))
		return pv->top.node;
	n = rank_all(p, pv, all);
	for (uint8_t j = 1; j < n; j++)
		if (has_room(p, all[j].node))
			return all[j].node;
	return pv->top.node;
}

static void
spread(struct place *p, struct pvip **free, size_t n_free)
{
	qsort(free, n_free, sizeof(*free), cmp_strength);
	for (size_t k = 0; k < n_free; k++) {
		struct pvip *pv = free[k];
		uint8_t pick = choose(p, pv);

		assign(p, pv, pick, pick == pv->top.node ? CV_PLACE_SPREAD : CV_PLACE_REBALANCED);
	}
}

/* Highest score for the pulling node first (its weight is the same for all:
 * highest h), then by name. */
static bool
pull_before(const struct pull *x, const struct pull *y)
{
	if (x->h != y->h)
		return x->h > y->h;
	return strcmp(x->pv->v->name, y->pv->v->name) < 0;
}

/*
 * A binary heap of pull offers, best at the root: a node usually needs only a
 * few of thousands of offers, so heapifying (linear) and popping those few is
 * much cheaper than sorting them all. The order is total: the pops come out
 * in the same order whatever the heap's shape.
 */
static void
heap_sift(struct pull *a, size_t n, size_t i)
{
	for (;;) {
		size_t c = 2 * i + 1;
		struct pull t;

		if (c >= n)
			return;
		if (c + 1 < n && pull_before(&a[c + 1], &a[c]))
			c++;
		if (!pull_before(&a[c], &a[i]))
			return;
		t = a[i];
		a[i] = a[c];
		a[c] = t;
		i = c;
	}
}

static bool
can_spare(const struct place *p, uint8_t node)
{
	return p->nodes[node].load > p->nodes[node].lower;
}

/*
 * Pull free VIPs onto an underloaded node from nodes above their lower bound.
 * During one node's turn other loads only go down, so a VIP that cannot be
 * pulled now cannot later: one pass over the offers, best first, is enough.
 */
static void
raise_node(struct place *p, uint8_t i, struct pvip **free, size_t n_free, struct pull *buf)
{
	struct pnode *n = &p->nodes[i];
	size_t m = 0;

	for (size_t k = 0; k < n_free; k++) {
		struct pvip *pv = free[k];

		if (pv->owner == i || !(pv->cand >> i & 1) || !can_spare(p, pv->owner))
			continue;
		buf[m++] = (struct pull){ .pv = pv, .h = pair_hash(pv->name_hash, n->nodeid) };
	}
	for (size_t k = m / 2; k-- > 0;)
		heap_sift(buf, m, k);
	while (m > 0 && n->load < n->lower) {
		struct pvip *pv = buf[0].pv;

		buf[0] = buf[--m];
		heap_sift(buf, m, 0);
		if (!can_spare(p, pv->owner))
			continue;
		p->nodes[pv->owner].load--;
		assign(p, pv, i, CV_PLACE_REBALANCED);
	}
}

/*
 * Nodes in nodeid order. A pull never takes a node below its lower bound and
 * stops the puller at its own, so no node can spare more after its turn:
 * one pass ends with no pull possible, and the total deficit only shrinks
 * (at most one pull per VIP and node).
 */
static void
raise_underloaded(struct place *p, struct pvip **free, size_t n_free, struct pull *buf)
{
	for (uint8_t i = 0; i < p->n_nodes; i++)
		if (p->nodes[i].eligible && p->nodes[i].load < p->nodes[i].lower)
			raise_node(p, i, free, n_free, buf);
}

int
cv_placement_compute(const struct cv_placement_input *in, uint32_t *ret_owner,
		     enum cv_place_reason *ret_reason)
{
	struct place p = {};
	_cleanup_free_ struct pvip *vips = NULL;
	_cleanup_free_ struct pvip **list = NULL;
	_cleanup_free_ struct pull *pulls = NULL;
	size_t n, n_free;
	uint64_t total;
	int r;

	if (!in || in->n_vips > CV_MAX_VIPS || (in->n_vips > 0 && (!in->vips || !ret_owner)))
		return -EINVAL;
	r = load_nodes(&p, in);
	if (r < 0)
		return r;
	n = CV_MAX(in->n_vips, 1);
	vips = calloc(n, sizeof(*vips));
	list = calloc(n, sizeof(*list));
	pulls = calloc(n, sizeof(*pulls));
	if (!vips || !list || !pulls)
		return -ENOMEM;
	r = load_vips(&p, in, vips, list);
	if (r < 0)
		return r;

	total = classify(&p, vips, in->n_vips, list, &n_free);
	set_bounds(&p, total);
	spread(&p, list, n_free);
	raise_underloaded(&p, list, n_free, pulls);

	for (size_t k = 0; k < in->n_vips; k++) {
		ret_owner[k] = vips[k].owner == NO_NODE ? 0 : p.nodes[vips[k].owner].nodeid;
		if (ret_reason)
			ret_reason[k] = vips[k].reason;
	}
	return 0;
}
