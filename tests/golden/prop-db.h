/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The property test's database runs (issue 16): a primary's VIP `db`
 * (check primary, exclusive) and read-only VIPs `roN` (check standby,
 * fallback_check primary), and the checks flipping per node: switchovers
 * (sometimes overlapping: two primaries a while), no primary, standbys
 * failing or flapping, a second primary. Drawn from a stream of its own:
 * a run without them is the one its seed gave before.
 */
#ifndef COROVIP_PROP_DB_H
#define COROVIP_PROP_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct prop_db {
	uint64_t rng;
	bool on;
	unsigned n_nodes;
	unsigned primary;      /* the node that passes `primary` at the start */
	unsigned n_ro;	       /* read-only VIPs ro0.. */
	unsigned prefer;       /* db's prefer (0: none) */
	bool exclusive;	       /* db is exclusive (a reload may change it) */
	bool fallback;	       /* the roN have fallback_check (likewise) */
	bool reloaded;	       /* a reload changed exclusive or fallback_check */
	unsigned n_flips;      /* check flips generated */
};

/* A timed scenario command (one line, with its '\n'), and the summary. */
typedef void prop_db_emit(void *ctx, uint64_t at, const char *line);
typedef void prop_db_sum(void *ctx, const char *text);

/* Whether this run has them (percent of the runs), from the seed. */
void prop_db_init(struct prop_db *d, uint64_t seed, unsigned n_nodes, unsigned percent);
/* The checks and VIPs for the config (appended to a corovip.conf); bytes written. */
size_t prop_db_config(const struct prop_db *d, char *out, size_t cap);
/* The checks' states before the start (at 0). */
void prop_db_start(const struct prop_db *d, prop_db_emit *emit, void *ctx);
/* 1-3 flips of the checks in [from, to]. */
void prop_db_flips(struct prop_db *d, uint64_t from, uint64_t to, prop_db_emit *emit,
		   prop_db_sum *sum, void *ctx);
/* A reload's change of the keys (sometimes none); true if one. */
bool prop_db_reload(struct prop_db *d, prop_db_sum *sum, void *ctx);
/* Whether a fault's picked target should be db's holder (the primary). */
bool prop_db_pick_primary(struct prop_db *d);

#endif
