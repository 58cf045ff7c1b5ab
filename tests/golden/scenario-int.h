/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Internal to scenario.c (parsing) and scenario-expect.c (expectations). */
#pragma once

#include "scenario.h"
#include "sim.h"

enum expect_kind {
	X_HOLDER,    /* at T: holders of vip are exactly / one of / none / any */
	X_SPREAD,    /* at T: every listed node holds lo..hi addresses */
	X_ACTION,    /* an action (or sim fact) happened in [t1, t2] */
	X_NO_ACTION, /* ... did not */
	X_OUTAGE,    /* the longest time vip had no holder in [t1, t2] is <= max */
	X_MOVES,     /* VIPs whose holder differs between t1 and t2: <= max, pct to a node */
};

/* What a log entry must be; -1 = anything. */
struct match {
	int kind; /* enum sim_log_kind */
	int action, reason, notice, from, to, msg;
	int notice_node;
	char vip[64]; /* "" = any */
};

struct expect {
	enum expect_kind kind;
	unsigned line;
	uint64_t at, t1, t2;
	char vip[64];
	uint64_t nodes; /* node set; 0 with any/none flags */
	bool any, none;
	struct match m;
	uint64_t lo, hi, max;
	uint32_t to_node;
	unsigned min_pct;
	uint64_t *snap; /* X_MOVES: holders per reference VIP at t1 */
	size_t n_snap;
	struct scn *sc;
};

struct timed_cmd {
	uint64_t at;
	struct sim_cmd cmd;
};

struct vipgen {
	unsigned count;
	char prefix[32];
	char name[32];
	char interface[16];
	char extra[256]; /* "stickiness: no\n..." */
};

struct scn {
	char *name;
	struct sim_opts o;
	char *config[SIM_MAX_NODES + 1]; /* [0] = every node */
	struct vipgen gen;
	struct timed_cmd *cmds;
	size_t n_cmds;
	struct expect *x;
	size_t n_x;
	uint64_t until;
	struct sim *sim; /* while running */
	FILE *out;
	size_t failures;
	size_t silent_sent; /* SILENT messages the daemons sent (coverage) */
};

/* A scenario file being parsed (scenario.c). */
struct parser {
	struct scn *sc;
	char **lines;
	size_t n_lines, i;
	uint64_t last_time;
	char *err;
	size_t errlen;
};


/* scenario.c: parsing helpers (errors name the file and line) */
int scn_perr(struct parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int scn_parse_u32(const char *s, uint32_t *ret);
int scn_opt_u32(struct parser *p, char **tok, size_t n, uint32_t *v);
int scn_opt_bool(struct parser *p, char **tok, size_t n, bool *v);
int scn_target(const struct scn *sc, const char *spec, struct sim_cmd *c);

/* scenario-models.c: the settings and commands of the newer models */
int scn_header_models(struct parser *p, char **tok, size_t n);
int scn_model_command(struct parser *p, char **tok, size_t n, struct sim_cmd *c);

/* scenario-expect.c */
int scn_parse_expect(struct scn *sc, char **tok, size_t n, uint64_t at, unsigned line, char *err,
		     size_t errlen);
void scn_schedule_expects(struct scn *sc);
void scn_check_windows(struct scn *sc);
int scn_parse_nodes(const struct scn *sc, const char *spec, uint64_t *ret);
int scn_parse_time(const char *s, uint64_t *ret);
void scn_expect_free(struct expect *x);
