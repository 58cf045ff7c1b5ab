/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdbool.h>

#include "cmocka-all.h"
#include "config.h"
#include "cv-macros.h"
#include "placement.h"

#define ALL_HEALTHY UINT64_MAX
#define NAME_LEN    16

/* A cluster of nodes 1..n (weight 100, eligible) and VIPs "v0".."v<n-1>". */
struct scene {
	struct cv_place_node nodes[CV_MAX_NODES + 1];
	size_t n_nodes;
	struct cv_place_vip *vips;
	char (*names)[NAME_LEN];
	size_t n_vips;
	uint32_t *owner;
	enum cv_place_reason *reason;
};

static void
scene_init(struct scene *s, size_t n_nodes, size_t n_vips, bool stickiness)
{
	*s = (struct scene){ .n_nodes = n_nodes, .n_vips = n_vips };
	for (size_t i = 0; i < ELEMENTSOF(s->nodes); i++)
		s->nodes[i] =
		    (struct cv_place_node){ .nodeid = i + 1, .weight = 100, .eligible = true };
	s->vips = calloc(n_vips, sizeof(*s->vips));
	s->names = calloc(n_vips, sizeof(*s->names));
	s->owner = calloc(n_vips, sizeof(*s->owner));
	s->reason = calloc(n_vips, sizeof(*s->reason));
	assert_non_null(s->vips && s->names && s->owner && s->reason);
	for (size_t k = 0; k < n_vips; k++) {
		snprintf(s->names[k], NAME_LEN, "v%zu", k);
		s->vips[k] = (struct cv_place_vip){ .name = s->names[k],
						    .stickiness = stickiness,
						    .healthy = ALL_HEALTHY };
	}
}

static void
scene_done(struct scene *s)
{
	free(s->vips);
	free(s->names);
	free(s->owner);
	free(s->reason);
}

static void
scene_run(struct scene *s)
{
	const struct cv_placement_input in = {
		.nodes = s->nodes, .n_nodes = s->n_nodes, .vips = s->vips, .n_vips = s->n_vips
	};

	assert_int_equal(cv_placement_compute(&in, s->owner, s->reason), 0);
}

/* The previous result becomes the current holders. */
static void
scene_hold(struct scene *s)
{
	for (size_t k = 0; k < s->n_vips; k++)
		s->vips[k].holder = s->owner[k];
}

/* load[i]: VIPs owned by nodeid i + 1. */
static void
scene_loads(const struct scene *s, uint32_t *load)
{
	memset(load, 0, (CV_MAX_NODES + 1) * sizeof(*load));
	for (size_t k = 0; k < s->n_vips; k++)
		if (s->owner[k])
			load[s->owner[k] - 1]++;
}

/* xorshift32: the same pseudo-random sequence on every machine. */
static uint32_t
prng(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

/* A mixed scene: weights, ineligible nodes, health, prefer, stickiness, preempt. */
static void
scene_mixed(struct scene *s, uint32_t *prefer, uint32_t seed)
{
	scene_init(s, 12, 300, false);
	for (size_t i = 0; i < s->n_nodes; i++) {
		s->nodes[i].nodeid = 10 + 7 * i;
		s->nodes[i].weight = 50 + 50 * (prng(&seed) % 4);
		s->nodes[i].eligible = prng(&seed) % 6 != 0;
	}
	for (size_t k = 0; k < s->n_vips; k++) {
		struct cv_place_vip *v = &s->vips[k];

		prefer[2 * k] = s->nodes[prng(&seed) % 12].nodeid;
		prefer[2 * k + 1] = prng(&seed) % 2 ? 999 : s->nodes[prng(&seed) % 12].nodeid;
		v->prefer = &prefer[2 * k];
		v->n_prefer = prng(&seed) % 4 == 0 ? 2 : 0;
		v->stickiness = prng(&seed) % 2;
		v->preempt = prng(&seed) % 2;
		v->holder = prng(&seed) % 3 ? s->nodes[prng(&seed) % 12].nodeid : 0;
		v->healthy = prng(&seed) % 5 ? ALL_HEALTHY : ((uint64_t)prng(&seed) & 0xfff);
	}
}

/* Shuffle nodes (moving the healthy bits along) and VIPs. vip_perm[k]: the
 * original index of the VIP now at k. */
static void
scene_shuffle(struct scene *s, size_t *vip_perm, uint32_t seed)
{
	size_t node_perm[CV_MAX_NODES];
	struct cv_place_node nodes[CV_MAX_NODES];

	for (size_t i = 0; i < s->n_nodes; i++)
		node_perm[i] = i;
	for (size_t i = s->n_nodes - 1; i > 0; i--) {
		size_t j = prng(&seed) % (i + 1), t = node_perm[i];

		node_perm[i] = node_perm[j];
		node_perm[j] = t;
	}
	for (size_t i = 0; i < s->n_nodes; i++)
		nodes[i] = s->nodes[node_perm[i]];
	memcpy(s->nodes, nodes, sizeof(nodes[0]) * s->n_nodes);
	for (size_t k = 0; k < s->n_vips; k++) {
		uint64_t h = s->vips[k].healthy, moved = 0;

		for (size_t i = 0; i < s->n_nodes; i++)
			moved |= (h >> node_perm[i] & 1) << i;
		s->vips[k].healthy = moved;
		vip_perm[k] = k;
	}
	for (size_t k = s->n_vips - 1; k > 0; k--) {
		size_t j = prng(&seed) % (k + 1), t = vip_perm[k];
		struct cv_place_vip v = s->vips[k];

		s->vips[k] = s->vips[j];
		s->vips[j] = v;
		vip_perm[k] = vip_perm[j];
		vip_perm[j] = t;
	}
}

static void
same_input_in_shuffled_order_gives_the_same_owners(void **state)
{
	static uint32_t prefer[600];
	struct scene ref, s;
	size_t perm[300];

	scene_mixed(&ref, prefer, 42);
	scene_run(&ref);
	for (uint32_t seed = 1; seed <= 8; seed++) {
		scene_mixed(&s, prefer, 42);
		scene_shuffle(&s, perm, seed * 2654435761u);
		scene_run(&s);
		for (size_t k = 0; k < s.n_vips; k++) {
			assert_string_equal(s.vips[k].name, ref.vips[perm[k]].name);
			assert_int_equal(s.owner[k], ref.owner[perm[k]]);
			assert_int_equal(s.reason[k], ref.reason[perm[k]]);
		}
		scene_done(&s);
	}
	scene_done(&ref);
}

static void
prefer_takes_the_first_preferred_candidate(void **state)
{
	const uint32_t prefer[] = { 3, 2, 1 };
	struct scene s;

	scene_init(&s, 3, 1, false);
	s.vips[0].prefer = prefer;
	s.vips[0].n_prefer = ELEMENTSOF(prefer);
	scene_run(&s);
	assert_int_equal(s.owner[0], 3);
	assert_int_equal(s.reason[0], CV_PLACE_PREFERRED);

	s.vips[0].healthy = 0x3; /* node 3 fails its check: next in the list */
	scene_run(&s);
	assert_int_equal(s.owner[0], 2);
	assert_int_equal(s.reason[0], CV_PLACE_PREFERRED);

	s.nodes[1].eligible = false; /* node 2 in standby */
	scene_run(&s);
	assert_int_equal(s.owner[0], 1);
	scene_done(&s);
}

static void
prefer_skips_a_node_not_in_the_view(void **state)
{
	const uint32_t prefer[] = { 77, 2 };
	struct scene s;

	scene_init(&s, 3, 1, false);
	s.vips[0].prefer = prefer;
	s.vips[0].n_prefer = ELEMENTSOF(prefer);
	scene_run(&s);
	assert_int_equal(s.owner[0], 2);
	assert_int_equal(s.reason[0], CV_PLACE_PREFERRED);
	scene_done(&s);
}

static void
prefer_without_a_candidate_falls_back_to_spreading(void **state)
{
	const uint32_t prefer[] = { 77, 3 };
	struct scene s;

	scene_init(&s, 3, 1, false);
	s.vips[0].prefer = prefer;
	s.vips[0].n_prefer = ELEMENTSOF(prefer);
	s.vips[0].healthy = 0x3;
	scene_run(&s);
	assert_true(s.owner[0] == 1 || s.owner[0] == 2);
	assert_int_equal(s.reason[0], CV_PLACE_SPREAD);
	scene_done(&s);
}

static void
stickiness_keeps_a_healthy_holder(void **state)
{
	struct scene s;

	scene_init(&s, 3, 20, false);
	scene_run(&s);
	for (size_t k = 0; k < s.n_vips; k++) {
		s.vips[k].stickiness = true;
		s.vips[k].holder = s.owner[k] % 3 + 1; /* somewhere else than spreading says */
	}
	scene_run(&s);
	for (size_t k = 0; k < s.n_vips; k++) {
		assert_int_equal(s.owner[k], s.vips[k].holder);
		assert_int_equal(s.reason[k], CV_PLACE_STICKY);
	}
	scene_done(&s);
}

static void
unhealthy_or_ineligible_holder_loses_the_vip(void **state)
{
	struct scene s;

	scene_init(&s, 3, 2, true);
	s.vips[0].holder = 2;
	s.vips[0].healthy = 0x5; /* node 2 fails v0's check */
	s.vips[1].holder = 3;
	s.nodes[2].eligible = false; /* node 3 in standby */
	scene_run(&s);
	assert_int_not_equal(s.owner[0], 2);
	assert_int_not_equal(s.owner[0], 0);
	assert_int_not_equal(s.owner[1], 3);
	assert_int_not_equal(s.owner[1], 0);
	assert_int_equal(s.reason[0], CV_PLACE_SPREAD);
	scene_done(&s);
}

static void
preempt_moves_back_to_the_first_preferred_candidate(void **state)
{
	const uint32_t prefer[] = { 1, 2 };
	struct scene s;

	scene_init(&s, 3, 1, true);
	s.vips[0].prefer = prefer;
	s.vips[0].n_prefer = ELEMENTSOF(prefer);
	s.vips[0].preempt = true;
	s.vips[0].holder = 2; /* took over while node 1 was away */
	scene_run(&s);
	assert_int_equal(s.owner[0], 1);
	assert_int_equal(s.reason[0], CV_PLACE_PREFERRED);
	scene_done(&s);
}

static void
a_preferred_node_in_its_preempt_delay_waits(void **state)
{
	const uint32_t prefer[] = { 1, 2 };
	struct scene s;

	/* node 1 back (preempt delay), node 2 holds: node 2 keeps it */
	scene_init(&s, 3, 1, true);
	s.vips[0].prefer = prefer;
	s.vips[0].n_prefer = ELEMENTSOF(prefer);
	s.vips[0].preempt = true;
	s.vips[0].holder = 2;
	s.nodes[0].preempt_hold = true;
	scene_run(&s);
	assert_int_equal(s.owner[0], 2);
	assert_int_equal(s.reason[0], CV_PLACE_STICKY);
	scene_done(&s);

	/* the same without stickiness, a holder outside the prefer list */
	scene_init(&s, 3, 1, true);
	s.vips[0].prefer = prefer;
	s.vips[0].n_prefer = 1;
	s.vips[0].holder = 3;
	s.nodes[0].preempt_hold = true;
	scene_run(&s);
	assert_int_equal(s.owner[0], 3);
	scene_done(&s);

	/* no holder that could keep it (node 2 ineligible): the delay does not
	 * stop a failover to node 1 */
	scene_init(&s, 3, 1, true);
	s.vips[0].prefer = prefer;
	s.vips[0].n_prefer = ELEMENTSOF(prefer);
	s.vips[0].preempt = true;
	s.vips[0].holder = 2;
	s.nodes[0].preempt_hold = true;
	s.nodes[1].eligible = false;
	scene_run(&s);
	assert_int_equal(s.owner[0], 1);
	assert_int_equal(s.reason[0], CV_PLACE_PREFERRED);
	scene_done(&s);
}

static void
without_preempt_a_sticky_holder_keeps_a_preferred_vip(void **state)
{
	const uint32_t prefer[] = { 1, 2 };
	struct scene s;

	scene_init(&s, 3, 1, true);
	s.vips[0].prefer = prefer;
	s.vips[0].n_prefer = ELEMENTSOF(prefer);
	s.vips[0].holder = 3; /* not even in the prefer list */
	scene_run(&s);
	assert_int_equal(s.owner[0], 3);
	assert_int_equal(s.reason[0], CV_PLACE_STICKY);

	s.vips[0].stickiness = false; /* without stickiness prefer wins */
	scene_run(&s);
	assert_int_equal(s.owner[0], 1);
	assert_int_equal(s.reason[0], CV_PLACE_PREFERRED);
	scene_done(&s);
}

static void
no_candidate_means_no_owner(void **state)
{
	const uint32_t prefer[] = { 1 };
	struct scene s;

	scene_init(&s, 3, 3, true);
	s.vips[0].healthy = 0;
	s.vips[0].holder = 1;
	s.vips[1].healthy = 0x1;
	s.vips[1].prefer = prefer;
	s.vips[1].n_prefer = 1;
	s.nodes[0].eligible = false;
	s.vips[2].healthy = UINT64_C(1) << 5; /* a bit beyond n_nodes */
	scene_run(&s);
	for (size_t k = 0; k < s.n_vips; k++) {
		assert_int_equal(s.owner[k], 0);
		assert_int_equal(s.reason[k], CV_PLACE_NONE);
	}
	scene_done(&s);
}

static void
thousand_vips_on_five_equal_nodes_are_within_ten_percent(void **state)
{
	uint32_t load[CV_MAX_NODES + 1], lo = UINT32_MAX, hi = 0;
	struct scene s;

	scene_init(&s, 5, 1000, false);
	scene_run(&s);
	scene_loads(&s, load);
	for (size_t i = 0; i < 5; i++) {
		lo = CV_MIN(lo, load[i]);
		hi = CV_MAX(hi, load[i]);
	}
	print_message("1000 VIPs / 5 nodes: %u %u %u %u %u (min %u max %u)\n", load[0], load[1],
		      load[2], load[3], load[4], lo, hi);
	assert_in_range(lo, 180, 220);
	assert_in_range(hi, 180, 220);
	scene_done(&s);
}

static void
a_joining_node_takes_its_share_and_little_else_moves(void **state)
{
	uint32_t load[CV_MAX_NODES + 1];
	size_t moved = 0, to_new = 0;
	struct scene s;

	scene_init(&s, 5, 1000, false);
	scene_run(&s);
	scene_hold(&s);
	s.n_nodes = 6;
	scene_run(&s);
	for (size_t k = 0; k < s.n_vips; k++) {
		if (s.owner[k] != s.vips[k].holder) {
			moved++;
			to_new += s.owner[k] == 6;
		}
	}
	scene_loads(&s, load);
	print_message("join: %zu moved, %zu of them to the new node; loads %u %u %u %u %u %u\n",
		      moved, to_new, load[0], load[1], load[2], load[3], load[4], load[5]);
	assert_true(moved * 60 <= 1000 * 13); /* 1/6 + 5% = 13/60 */
	assert_true(to_new * 10 >= moved * 9);
	for (size_t i = 0; i < 6; i++)
		assert_in_range(load[i], 150, 184);
	scene_done(&s);
}

static void
a_joining_node_moves_nothing_with_stickiness(void **state)
{
	struct scene s;

	scene_init(&s, 5, 1000, true);
	scene_run(&s);
	scene_hold(&s);
	s.n_nodes = 6;
	scene_run(&s);
	for (size_t k = 0; k < s.n_vips; k++) {
		assert_int_equal(s.owner[k], s.vips[k].holder);
		assert_int_equal(s.reason[k], CV_PLACE_STICKY);
	}
	scene_done(&s);
}

static void
double_weight_gets_about_twice_the_vips(void **state)
{
	uint32_t load[CV_MAX_NODES + 1], others = 0;
	struct scene s;

	scene_init(&s, 5, 1000, false);
	s.nodes[2].weight = 200;
	scene_run(&s);
	scene_loads(&s, load);
	print_message("weights 100 100 200 100 100: %u %u %u %u %u\n", load[0], load[1], load[2],
		      load[3], load[4]);
	/* fair: 333.3 and 166.7; bounds ceil/floor of +-10% */
	assert_in_range(load[2], 300, 367);
	for (size_t i = 0; i < 5; i++) {
		if (i == 2)
			continue;
		assert_in_range(load[i], 150, 184);
		others += load[i];
	}
	/* twice the mean of the others, within 15% */
	assert_in_range(load[2] * 4 * 100 / others, 170, 230);
	scene_done(&s);
}

static void
a_leaving_node_moves_only_its_vips_within_bounds(void **state)
{
	uint32_t load[CV_MAX_NODES + 1];
	size_t orphans = 0;
	struct scene s;

	scene_init(&s, 5, 1000, true);
	scene_run(&s);
	scene_hold(&s);
	s.n_nodes = 4; /* node 5 leaves the view */
	scene_run(&s);
	for (size_t k = 0; k < s.n_vips; k++) {
		assert_in_range(s.owner[k], 1, 4);
		if (s.vips[k].holder != 5) {
			assert_int_equal(s.owner[k], s.vips[k].holder);
			assert_int_equal(s.reason[k], CV_PLACE_STICKY);
		} else {
			orphans++;
		}
	}
	scene_loads(&s, load);
	print_message("leave: %zu orphans; loads %u %u %u %u\n", orphans, load[0], load[1], load[2],
		      load[3]);
	for (size_t i = 0; i < 4; i++)
		assert_in_range(load[i], 225, 275);
	scene_done(&s);
}

static void
expect_einval(struct scene *s)
{
	const struct cv_placement_input in = {
		.nodes = s->nodes, .n_nodes = s->n_nodes, .vips = s->vips, .n_vips = s->n_vips
	};

	for (size_t k = 0; k < s->n_vips; k++) {
		s->owner[k] = 0xdeadbeef;
		s->reason[k] = _CV_PLACE_REASON_MAX;
	}
	assert_int_equal(cv_placement_compute(&in, s->owner, s->reason), -EINVAL);
	for (size_t k = 0; k < s->n_vips; k++) {
		assert_int_equal(s->owner[k], 0xdeadbeef);
		assert_int_equal(s->reason[k], _CV_PLACE_REASON_MAX);
	}
}

static void
bad_input_is_rejected_and_outputs_are_untouched(void **state)
{
	struct scene s;

	scene_init(&s, CV_MAX_NODES + 1, 3, true);
	expect_einval(&s); /* too many nodes */
	s.n_nodes = 3;
	s.nodes[1].nodeid = 0;
	expect_einval(&s);
	s.nodes[1].nodeid = 3; /* twice */
	expect_einval(&s);
	s.nodes[1].nodeid = 2;
	s.nodes[0].weight = 0;
	expect_einval(&s);
	s.nodes[0].weight = CV_PLACE_WEIGHT_MAX + 1;
	expect_einval(&s);
	s.nodes[0].weight = CV_PLACE_WEIGHT_MAX;
	s.vips[2].name = "v0"; /* twice */
	expect_einval(&s);
	s.vips[2].name = NULL;
	expect_einval(&s);
	s.vips[2].name = "v2";
	s.vips[1].n_prefer = 1; /* with prefer == NULL */
	expect_einval(&s);
	s.vips[1].n_prefer = 0;
	scene_run(&s);

	assert_int_equal(cv_placement_compute(NULL, s.owner, s.reason), -EINVAL);
	assert_int_equal(
	    cv_placement_compute(&(struct cv_placement_input){ .n_vips = 1 }, s.owner, NULL),
	    -EINVAL);
	scene_done(&s);
}

static void
empty_input_is_fine(void **state)
{
	const struct cv_placement_input in = {};

	assert_int_equal(cv_placement_compute(&in, NULL, NULL), 0);
}

/* The bounds of node i, as placement.c computes them: ceil/floor of
 * 1.1 / 0.9 * total * w_i / W. */
static void
bounds(const struct scene *s, size_t total, size_t i, uint32_t *lower, uint32_t *upper)
{
	uint64_t sum = 0, share = total * s->nodes[i].weight;

	for (size_t j = 0; j < s->n_nodes; j++)
		sum += s->nodes[j].eligible ? s->nodes[j].weight : 0;
	*upper = (11 * share + 10 * sum - 1) / (10 * sum);
	*lower = 9 * share / (10 * sum);
}

static void
ten_thousand_vips_on_sixty_four_nodes_complete(void **state)
{
	uint32_t load[CV_MAX_NODES + 1], lower, upper;
	struct scene s;

	scene_init(&s, CV_MAX_NODES, 10000, false);
	for (size_t i = 0; i < s.n_nodes; i++)
		s.nodes[i].weight = 100 + 10 * (i % 8);
	scene_run(&s);
	scene_loads(&s, load);
	for (size_t k = 0; k < s.n_vips; k++)
		assert_int_not_equal(s.owner[k], 0);
	/* Everyone healthy everywhere: nothing stops the bounds from holding. */
	for (size_t i = 0; i < s.n_nodes; i++) {
		bounds(&s, s.n_vips, i, &lower, &upper);
		assert_in_range(load[i], lower, upper);
	}
	scene_done(&s);
}

static void
pinned_vips_count_in_the_loads(void **state)
{
	const uint32_t prefer[] = { 1 };
	uint32_t load[CV_MAX_NODES + 1];
	struct scene s;

	/* 10 VIPs on 2 nodes, 5 pinned to node 1: bounds 4..6 each, so node 1
	 * takes at most one of the 5 free ones. */
	scene_init(&s, 2, 10, false);
	for (size_t k = 0; k < 5; k++) {
		s.vips[k].prefer = prefer;
		s.vips[k].n_prefer = 1;
	}
	scene_run(&s);
	scene_loads(&s, load);
	assert_in_range(load[0], 5, 6);
	assert_in_range(load[1], 4, 5);
	scene_done(&s);
}

static void
a_vip_that_fits_nowhere_goes_to_its_top_candidate(void **state)
{
	const uint32_t prefer[] = { 1 };
	struct scene s;

	/* Node 1 is full with pinned VIPs, and the last VIP is healthy only there. */
	scene_init(&s, 3, 10, false);
	for (size_t k = 0; k < 9; k++) {
		s.vips[k].prefer = prefer;
		s.vips[k].n_prefer = 1;
	}
	s.vips[9].healthy = 0x1;
	scene_run(&s);
	assert_int_equal(s.owner[9], 1);
	assert_int_equal(s.reason[9], CV_PLACE_SPREAD);
	scene_done(&s);
}

static void
reason_names_round_trip(void **state)
{
	for (int r = 0; r < _CV_PLACE_REASON_MAX; r++)
		assert_int_equal(cv_place_reason_from_string(cv_place_reason_to_string(r)), r);
	assert_string_equal(cv_place_reason_to_string(CV_PLACE_REBALANCED), "rebalanced");
	assert_null(cv_place_reason_to_string(_CV_PLACE_REASON_MAX));
	assert_null(cv_place_reason_to_string(_CV_PLACE_REASON_INVALID));
	assert_int_equal(cv_place_reason_from_string("nope"), _CV_PLACE_REASON_INVALID);
	assert_int_equal(cv_place_reason_from_string(NULL), _CV_PLACE_REASON_INVALID);
}

/* Issue 16: a database primary's VIP is exclusive; a read-only one falls back. */
static void
an_exclusive_vip_goes_to_its_one_passing_node(void **state)
{
	struct scene s;

	scene_init(&s, 3, 1, true);
	s.vips[0].exclusive = true;
	s.vips[0].healthy = 1u << 1; /* node 2 is the primary */
	scene_run(&s);
	assert_int_equal(s.owner[0], 2);
	scene_done(&s);
}

static void
an_exclusive_vip_that_two_nodes_pass_goes_nowhere(void **state)
{
	struct scene s;

	scene_init(&s, 3, 1, true);
	s.vips[0].exclusive = true;
	s.vips[0].healthy = (1u << 1) | (1u << 2);
	s.vips[0].holder = 2; /* sticky or not: two primaries are a split */
	scene_run(&s);
	assert_int_equal(s.owner[0], 0);
	assert_int_equal(s.reason[0], CV_PLACE_SPLIT);
	/* the second primary counts even where it may not hold (standby) */
	s.nodes[2].eligible = false;
	scene_run(&s);
	assert_int_equal(s.owner[0], 0);
	assert_int_equal(s.reason[0], CV_PLACE_SPLIT);
	/* not exclusive: one of them */
	s.vips[0].exclusive = false;
	scene_run(&s);
	assert_int_equal(s.owner[0], 2);
	scene_done(&s);
}

static void
a_vip_falls_back_only_when_no_node_passes_its_checks(void **state)
{
	struct scene s;

	scene_init(&s, 3, 2, true);
	for (size_t k = 0; k < 2; k++) {
		s.vips[k].healthy = (1u << 1) | (1u << 2); /* standbys 2 and 3 */
		s.vips[k].fallback = 1u << 0;		   /* the primary */
	}
	scene_run(&s);
	for (size_t k = 0; k < 2; k++)
		assert_true(s.owner[k] == 2 || s.owner[k] == 3);
	assert_int_not_equal(s.owner[0], s.owner[1]); /* spread over the standbys */
	scene_hold(&s);
	for (size_t k = 0; k < 2; k++)
		s.vips[k].healthy = 0; /* no healthy standby: on the primary */
	scene_run(&s);
	assert_int_equal(s.owner[0], 1);
	assert_int_equal(s.owner[1], 1);
	scene_hold(&s);
	s.vips[0].healthy = 1u << 2; /* a standby again: the sticky fallback holder goes */
	scene_run(&s);
	assert_int_equal(s.owner[0], 3);
	/* a healthy node that may not hold does not stop the fallback */
	s.nodes[2].eligible = false;
	scene_run(&s);
	assert_int_equal(s.owner[0], 1);
	scene_done(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(same_input_in_shuffled_order_gives_the_same_owners),
		cmocka_unit_test(prefer_takes_the_first_preferred_candidate),
		cmocka_unit_test(prefer_skips_a_node_not_in_the_view),
		cmocka_unit_test(prefer_without_a_candidate_falls_back_to_spreading),
		cmocka_unit_test(stickiness_keeps_a_healthy_holder),
		cmocka_unit_test(unhealthy_or_ineligible_holder_loses_the_vip),
		cmocka_unit_test(preempt_moves_back_to_the_first_preferred_candidate),
		cmocka_unit_test(a_preferred_node_in_its_preempt_delay_waits),
		cmocka_unit_test(without_preempt_a_sticky_holder_keeps_a_preferred_vip),
		cmocka_unit_test(no_candidate_means_no_owner),
		cmocka_unit_test(thousand_vips_on_five_equal_nodes_are_within_ten_percent),
		cmocka_unit_test(a_joining_node_takes_its_share_and_little_else_moves),
		cmocka_unit_test(a_joining_node_moves_nothing_with_stickiness),
		cmocka_unit_test(double_weight_gets_about_twice_the_vips),
		cmocka_unit_test(a_leaving_node_moves_only_its_vips_within_bounds),
		cmocka_unit_test(bad_input_is_rejected_and_outputs_are_untouched),
		cmocka_unit_test(empty_input_is_fine),
		cmocka_unit_test(ten_thousand_vips_on_sixty_four_nodes_complete),
		cmocka_unit_test(pinned_vips_count_in_the_loads),
		cmocka_unit_test(a_vip_that_fits_nowhere_goes_to_its_top_candidate),
		cmocka_unit_test(reason_names_round_trip),
		cmocka_unit_test(an_exclusive_vip_goes_to_its_one_passing_node),
		cmocka_unit_test(an_exclusive_vip_that_two_nodes_pass_goes_nowhere),
		cmocka_unit_test(a_vip_falls_back_only_when_no_node_passes_its_checks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
