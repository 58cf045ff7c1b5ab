/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The property test's database runs (issue 16; see prop-db.h). The checks
 * are the simulator's (`health NODE CHECK up|down`): what a node's
 * pg_is_in_recovery() would say. The flips name nodes, not roles: the
 * generator keeps only a rough idea of who is primary, so a flip may also
 * leave two primaries or none a long while, which the checker judges by its
 * own model (sim-check.c duty_of).
 */
#include <stdio.h>
#include <string.h>

#include "prop-db.h"

static uint64_t
rnd(struct prop_db *d, uint64_t lo, uint64_t hi)
{
	uint64_t z = (d->rng += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	z ^= z >> 31;
	return hi <= lo ? lo : lo + z % (hi - lo + 1);
}

static bool
chance(struct prop_db *d, unsigned percent)
{
	return rnd(d, 0, 99) < percent;
}

static unsigned
other(struct prop_db *d, unsigned not)
{
	unsigned k = (unsigned)rnd(d, 1, d->n_nodes - 1);

	return k >= not ? k + 1 : k;
}

void
prop_db_init(struct prop_db *d, uint64_t seed, unsigned n_nodes, unsigned percent)
{
	*d = (struct prop_db){ .rng = seed ^ UINT64_C(0xbb67ae8584caa73b), .n_nodes = n_nodes };
	d->on = n_nodes >= 2 && chance(d, percent);
	if (!d->on)
		return;
	d->primary = (unsigned)rnd(d, 1, n_nodes);
	d->n_ro = (unsigned)rnd(d, 1, 2);
	d->prefer = chance(d, 30) ? (unsigned)rnd(d, 1, n_nodes) : 0;
	/* mostly as meant; sometimes without the keys, which a reload adds */
	d->exclusive = chance(d, 85);
	d->fallback = chance(d, 85);
}

size_t
prop_db_config(const struct prop_db *d, char *out, size_t cap)
{
	size_t at = 0;

	if (!d->on)
		return 0;
#define PUT(...) (at += at < cap ? (size_t)snprintf(out + at, cap - at, __VA_ARGS__) : 0)
	PUT("check primary {\n\texec: /bin/true\n}\ncheck standby {\n\texec: /bin/true\n}\n");
	PUT("vip db {\n\taddress: 10.240.0.1\n\tinterface: eth0\n\tcheck: primary\n");
	if (d->exclusive)
		PUT("\texclusive: yes\n");
	if (d->prefer)
		PUT("\tprefer: n%u\n", d->prefer);
	PUT("}\n");
	for (unsigned i = 0; i < d->n_ro; i++) {
		PUT("vip ro%u {\n\taddress: 10.240.0.%u\n\tinterface: eth0\n\tcheck: standby\n",
		    i, 2 + i);
		if (d->fallback)
			PUT("\tfallback_check: primary\n");
		PUT("}\n");
	}
#undef PUT
	return at < cap ? at : cap;
}

static void
flip(struct prop_db *d, prop_db_emit *emit, void *ctx, uint64_t at, unsigned node,
     const char *check, bool up)
{
	char line[64];

	snprintf(line, sizeof(line), "health n%u %s %s\n", node, check, up ? "up" : "down");
	emit(ctx, at, line);
	d->n_flips++;
}

void
prop_db_start(const struct prop_db *d, prop_db_emit *emit, void *ctx)
{
	char line[64];

	if (!d->on)
		return;
	emit(ctx, 0, "health all primary down\n");
	snprintf(line, sizeof(line), "health n%u primary up\n", d->primary);
	emit(ctx, 0, line);
	snprintf(line, sizeof(line), "health n%u standby down\n", d->primary);
	emit(ctx, 0, line);
}

enum db_flip { DF_SWITCH, DF_NONE, DF_SPLIT, DF_STANDBY_FLAP, DF_STANDBYS_DOWN, _DF_MAX };

static const unsigned flip_weights[_DF_MAX] = { 35, 15, 15, 20, 15 };

static enum db_flip
pick(struct prop_db *d)
{
	unsigned x = (unsigned)rnd(d, 0, 99);

	for (unsigned k = 0; k < _DF_MAX; k++) {
		if (x < flip_weights[k])
			return (enum db_flip)k;
		x -= flip_weights[k];
	}
	return DF_SWITCH;
}

/*
 * A switchover: p demotes at t, q promotes delta later (before it: both
 * primaries a while); q's standby check fails as it promotes (in the same
 * event half the time, as a recheck reports them), p's passes
 * again a moment after it demoted (it follows the new primary), or not.
 */
static void
switchover(struct prop_db *d, uint64_t t, prop_db_emit *emit, prop_db_sum *sum, void *ctx)
{
	unsigned p = d->primary, q = other(d, p);
	int64_t delta = chance(d, 40) ? -(int64_t)rnd(d, 1, 1500) : (int64_t)rnd(d, 0, 2000);
	uint64_t up = (uint64_t)((int64_t)t + delta);
	char text[96];

	flip(d, emit, ctx, t, p, "primary", false);
	if (chance(d, 50)) { /* a recheck: both outcomes in one event */
		snprintf(text, sizeof(text), "health n%u primary up standby down\n", q);
		emit(ctx, up, text);
		d->n_flips += 2;
	} else {
		flip(d, emit, ctx, up, q, "primary", true);
		flip(d, emit, ctx, up, q, "standby", false);
	}
	if (chance(d, 70))
		flip(d, emit, ctx, t + rnd(d, 0, 1500), p, "standby", true);
	d->primary = q;
	snprintf(text, sizeof(text), " | db switchover n%u@%llu n%u@%llu", p,
		 (unsigned long long)t, q, (unsigned long long)up);
	sum(ctx, text);
}

void
prop_db_flips(struct prop_db *d, uint64_t from, uint64_t to, prop_db_emit *emit,
	      prop_db_sum *sum, void *ctx)
{
	unsigned n;

	if (!d->on)
		return;
	n = (unsigned)rnd(d, 1, 3);
	for (unsigned i = 0; i < n; i++) {
		uint64_t t = rnd(d, from, to), back = t + rnd(d, 200, 4000);
		unsigned q = other(d, d->primary), times;
		char text[96];

		switch (pick(d)) {
		case DF_SWITCH:
			switchover(d, t, emit, sum, ctx);
			continue;
		case DF_NONE: /* the primary down, then back (there or elsewhere) */
			q = chance(d, 60) ? d->primary : q;
			flip(d, emit, ctx, t, d->primary, "primary", false);
			flip(d, emit, ctx, back, q, "primary", true);
			snprintf(text, sizeof(text), " | db none n%u@%llu n%u@%llu", d->primary,
				 (unsigned long long)t, q, (unsigned long long)back);
			d->primary = q;
			break;
		case DF_SPLIT: /* a second primary, for a moment or beyond the bound */
			back = t + rnd(d, 100, 7000);
			flip(d, emit, ctx, t, q, "primary", true);
			flip(d, emit, ctx, back, q, "primary", false);
			snprintf(text, sizeof(text), " | db split n%u@%llu-%llu", q,
				 (unsigned long long)t, (unsigned long long)back);
			break;
		case DF_STANDBY_FLAP: {
			uint64_t every = rnd(d, 50, 800);

			times = (unsigned)rnd(d, 2, 4);
			for (unsigned k = 0; k < times; k++) {
				flip(d, emit, ctx, t + 2 * k * every, q, "standby", false);
				flip(d, emit, ctx, t + (2 * k + 1) * every, q, "standby", true);
			}
			snprintf(text, sizeof(text), " | db standby-flap n%u@%llu every %llu x%u",
				 q, (unsigned long long)t, (unsigned long long)every, times);
			break;
		}
		default: /* DF_STANDBYS_DOWN: the read-only VIPs fall back to the primary */
			for (unsigned k = 1; k <= d->n_nodes; k++)
				if (k != d->primary)
					flip(d, emit, ctx, t, k, "standby", false);
			flip(d, emit, ctx, back, q, "standby", true);
			snprintf(text, sizeof(text), " | db standbys-down@%llu n%u@%llu",
				 (unsigned long long)t, q, (unsigned long long)back);
			break;
		}
		sum(ctx, text);
	}
}

bool
prop_db_reload(struct prop_db *d, prop_db_sum *sum, void *ctx)
{
	if (!d->on || !chance(d, 50))
		return false;
	if (chance(d, 50)) {
		d->exclusive = !d->exclusive;
		sum(ctx, d->exclusive ? " db-exclusive" : " db-not-exclusive");
	} else {
		d->fallback = !d->fallback;
		sum(ctx, d->fallback ? " ro-fallback" : " ro-no-fallback");
	}
	d->reloaded = true;
	return true;
}

bool
prop_db_pick_primary(struct prop_db *d)
{
	return d->on && chance(d, 50);
}
