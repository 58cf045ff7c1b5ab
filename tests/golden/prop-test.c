/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Property test: many random single-fault scenarios on the simulator. Each
 * run: 3-5 nodes, 1-20 VIPs with random placement keys, the cluster settles,
 * one fault from the fault matrix at a random time, then its repair; the
 * checker (sim-check.c) watches every simulated millisecond: never two
 * holders, nothing held outside a quorate partition, a holder within the
 * bound, nothing left behind.
 *
 *   PROP_RUNS=N   number of runs (default 1000: about 25 s under ASan)
 *   PROP_SEED=S   seed of the first run (default 1); run i uses S + i
 *   PROP_VERBOSE=1  print every generated scenario's one-line summary
 *   PROP_MAX_FAIL=N stop after N failing runs (default 5)
 *
 * A failing run prints its scenario text (also written to
 * prop-fail-SEED.scn), and how to rerun it alone.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "scenario.h"

#define TEXT_MAX 32768

struct gen {
	uint64_t rng;
	char *buf;
	size_t len;
	unsigned n_nodes, n_vips;
	char summary[160];
};

static uint64_t
rnd(struct gen *g, uint64_t lo, uint64_t hi)
{
	uint64_t z = (g->rng += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	z ^= z >> 31;
	return lo + z % (hi - lo + 1);
}

static void add(struct gen *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
add(struct gen *g, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	g->len += (size_t)vsnprintf(g->buf + g->len, TEXT_MAX - g->len, fmt, ap);
	va_end(ap);
}

static void
gen_vip(struct gen *g, unsigned v)
{
	unsigned n_prefer = (unsigned)rnd(g, 0, 2);

	add(g, "vip v%u {\n\taddress: 10.1.%u.%u\n\tinterface: eth0\n", v, v / 200, 1 + v % 200);
	if (n_prefer) {
		add(g, "\tprefer:");
		for (unsigned k = 0, first = (unsigned)rnd(g, 1, g->n_nodes); k < n_prefer; k++)
			add(g, " n%u", 1 + (first - 1 + k) % g->n_nodes);
		add(g, "\n");
	}
	add(g, "\tstickiness: %s\n", rnd(g, 0, 3) ? "yes" : "no");
	if (n_prefer && rnd(g, 0, 1))
		add(g, "\tpreempt: yes\n");
	if (rnd(g, 0, 3) == 0)
		add(g, "\tcheck: up\n");
	add(g, "}\n");
}

static void
gen_config(struct gen *g)
{
	add(g, "config\ncluster {\n\tkernel_lease: 2s\n}\ncheck up {\n\texec: /bin/true\n}\n");
	for (unsigned v = 0; v < g->n_vips; v++)
		gen_vip(g, v);
	add(g, "end\n");
}

static void
gen_partition(struct gen *g, uint64_t at)
{
	uint64_t mask = rnd(g, 1, (UINT64_C(1) << g->n_nodes) - 2);

	add(g, "at %llu partition ", (unsigned long long)at);
	for (unsigned side = 0; side < 2; side++) {
		bool first = true;

		if (side)
			add(g, " | ");
		for (unsigned i = 1; i <= g->n_nodes; i++)
			if (((mask >> (i - 1)) & 1) == side) {
				add(g, "%sn%u", first ? "" : ",", i);
				first = false;
			}
	}
	add(g, "\n");
}

/* Whom a fault hits: often a VIP's holder (picked when the fault runs), a node holding nothing, or
 * any node. */
static void
gen_target(struct gen *g, char *buf, size_t len, char *repair, size_t rlen)
{
	unsigned k = (unsigned)rnd(g, 0, 3);

	if (k <= 1)
		snprintf(buf, len, "holder:v%llu", (unsigned long long)rnd(g, 0, g->n_vips - 1));
	else if (k == 2)
		snprintf(buf, len, "idle");
	else
		snprintf(buf, len, "n%llu", (unsigned long long)rnd(g, 1, g->n_nodes));
	snprintf(repair, rlen, "%s", k <= 2 ? "picked" : buf);
}

/* One fault at f, repaired at h; returns its name. */
static const char *
gen_fault(struct gen *g, uint64_t f, uint64_t h)
{
	static const char *const pairs[][3] = {
		{ "daemon-kill", "kill", NULL },
		{ "daemon-freeze", "freeze", "thaw" },
		{ "daemon+reaper-kill", "kill-both", NULL },
		{ "corosync-kill", "cs-kill", "cs-start" },
		{ "corosync-freeze", "cs-freeze", "cs-thaw" },
		{ "node-crash", "crash", "restart" },
		{ "link-cut", "cut", "heal" },
		{ "graceful-stop", "stop", "start" },
		{ "conn-lost", "conn-lost", NULL },
		{ "flap", NULL, NULL },
	};
	unsigned k = (unsigned)rnd(g, 0, 14), x = (unsigned)rnd(g, 1, g->n_nodes);
	unsigned y = 1 + (x % g->n_nodes);
	unsigned long long F = f, H = h;
	char who[32], again[32];

	gen_target(g, who, sizeof(who), again, sizeof(again));
	if (k < 9) {
		add(g, "at %llu %s %s\n", F, pairs[k][1], who);
		if (pairs[k][2])
			add(g, "at %llu %s %s\n", H, pairs[k][2], again);
		return pairs[k][0];
	}
	switch (k) {
	case 9:
		add(g, "at %llu flap %s every %llu times %llu\n", F, who,
		    (unsigned long long)rnd(g, 50, 800), (unsigned long long)rnd(g, 2, 5));
		return "flap";
	case 10:
		gen_partition(g, f);
		add(g, "at %llu heal-all\n", H);
		return "partition";
	case 11:
		add(g, "at %llu move v%llu n%u\n", F, (unsigned long long)rnd(g, 0, g->n_vips - 1),
		    x);
		return "move";
	case 12:
		add(g, "at %llu standby n%u via n%u\nat %llu unstandby n%u via n%u\n", F, x, y, H,
		    x, y);
		return "standby";
	case 13:
		add(g, "at %llu health n%u up down\nat %llu health n%u up up\n", F, x, H, x);
		return "health";
	default:
		add(g, "at %llu restart n%u\n", F, g->n_nodes);
		return "join";
	}
}

static void
generate(struct gen *g, uint64_t seed)
{
	static const unsigned timings[][2] = { { 300, 360 }, { 200, 240 }, { 1000, 1200 } };
	unsigned t;
	uint64_t f, h;
	const char *fault;

	g->rng = seed;
	g->len = 0;
	g->n_nodes = (unsigned)rnd(g, 3, 5);
	g->n_vips = (unsigned)rnd(g, 1, 20);
	t = (unsigned)rnd(g, 0, 2);
	add(g, "# prop-test seed %llu\nnodes %u\nseed %llu\ntiming token=%u consensus=%u\n",
	    (unsigned long long)seed, g->n_nodes, (unsigned long long)seed, timings[t][0],
	    timings[t][1]);
	if (rnd(g, 0, 3) == 0)
		add(g, "quorum-delay 0 %llu\n", (unsigned long long)rnd(g, 10, 300));
	gen_config(g);
	f = 3000 + rnd(g, 0, 1000);
	h = f + rnd(g, 200, 3000);
	fault = gen_fault(g, f, h);
	if (strcmp(fault, "join") == 0) {
		add(g, "down n%u\nat 0 start all\n", g->n_nodes);
	} else
		add(g, "at 0 start all\n");
	add(g, "until %llu\n", (unsigned long long)(h + 8000));
	snprintf(g->summary, sizeof(g->summary),
		 "%u nodes, %u VIPs, token %u, %s at %llu, repair %llu", g->n_nodes, g->n_vips,
		 timings[t][0], fault, (unsigned long long)f, (unsigned long long)h);
}

static void
report(const struct gen *g, uint64_t seed)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "prop-fail-%llu.scn", (unsigned long long)seed);
	printf("---- failing scenario (seed %llu: %s):\n%s----\n", (unsigned long long)seed,
	       g->summary, g->buf);
	f = fopen(path, "w");
	if (f) {
		fputs(g->buf, f);
		fclose(f);
		printf("written to %s; rerun: tests/golden/run-golden --trace %s\n", path, path);
	}
	printf("or: PROP_SEED=%llu PROP_RUNS=1 tests/golden/prop-test\n", (unsigned long long)seed);
}

static uint64_t
env_u64(const char *name, uint64_t def)
{
	const char *v = getenv(name);

	return v && *v ? strtoull(v, NULL, 0) : def;
}

int
main(void)
{
	uint64_t runs = env_u64("PROP_RUNS", 1000), base = env_u64("PROP_SEED", 1);
	bool verbose = env_u64("PROP_VERBOSE", 0) != 0;
	uint64_t max_fail = env_u64("PROP_MAX_FAIL", 5), done = 0;
	struct gen g = { .buf = calloc(1, TEXT_MAX) };
	unsigned failed = 0;
	clock_t start = clock();

	if (!g.buf)
		return 1;
	for (uint64_t i = 0; i < runs && failed < max_fail; i++, done++) {
		uint64_t seed = base + i;
		struct scn *sc;
		char err[512], name[64];
		size_t fails;

		generate(&g, seed);
		snprintf(name, sizeof(name), "prop-%llu", (unsigned long long)seed);
		if (scn_parse(g.buf, name, &sc, err, sizeof(err)) < 0) {
			printf("generated scenario does not parse: %s\n", err);
			report(&g, seed);
			failed++;
			continue;
		}
		if (verbose)
			printf("seed %llu: %s\n", (unsigned long long)seed, g.summary);
		fails = scn_run(sc, false, stdout);
		scn_free(sc);
		if (fails) {
			report(&g, seed);
			failed++;
		}
	}
	printf("# prop-test: %llu runs from seed %llu, %u failed, %.1f s CPU\n",
	       (unsigned long long)done, (unsigned long long)base, failed,
	       (double)(clock() - start) / CLOCKS_PER_SEC);
	free(g.buf);
	return failed ? 1 : 0;
}
