/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The settings and commands of the simulator's newer models (their
 * reference is scenario.c's comment): join-exclusion, daemon-queue,
 * cs-call, qdevice-move, state-chunk, addr-latency, skew; expected-votes,
 * qdevice-vote, kill-mid-state, skew, addr-latency, addr-fail.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario-int.h"

/* add=MS del=MS (either may be left out: 0) */
static int
latencies(struct parser *p, char **tok, size_t n, uint32_t *add, uint32_t *del)
{
	*add = *del = 0;
	for (size_t k = 0; k < n; k++) {
		if (strncmp(tok[k], "add=", 4) == 0 && scn_parse_u32(tok[k] + 4, add) == 0)
			continue;
		if (strncmp(tok[k], "del=", 4) == 0 && scn_parse_u32(tok[k] + 4, del) == 0)
			continue;
		return scn_perr(p, "addr-latency: bad argument %s", tok[k]);
	}
	return n ? 0 : scn_perr(p, "%s", "addr-latency [NODES] add=MS del=MS");
}

/* skew NODES LO [HI] (header: from time 0) */
static int
skew_header(struct parser *p, char **tok, size_t n)
{
	struct sim_opts *o = &p->sc->o;
	uint32_t lo, hi;
	uint64_t mask;

	if ((n != 3 && n != 4) || scn_parse_nodes(p->sc, tok[1], &mask) < 0 ||
	    scn_parse_u32(tok[2], &lo) < 0 || scn_parse_u32(tok[n - 1], &hi) < 0 || hi < lo)
		return scn_perr(p, "%s", "skew NODES LO [HI]");
	for (uint32_t i = 1; i <= SIM_MAX_NODES; i++)
		if (mask & (UINT64_C(1) << (i - 1))) {
			o->skew_lo[i] = lo;
			o->skew_hi[i] = hi;
		}
	return 0;
}

/* Settings of the models added with issue 10's engine contract. */
int
scn_header_models(struct parser *p, char **tok, size_t n)
{
	struct sim_opts *o = &p->sc->o;
	const char *d = tok[0];
	uint32_t v = 0;

	if (strcmp(d, "join-exclusion") == 0)
		return scn_opt_bool(p, tok, n, &o->join_exclusion);
	if (strcmp(d, "daemon-queue") == 0)
		return scn_opt_bool(p, tok, n, &o->daemon_queue);
	if (strcmp(d, "cs-call") == 0)
		return scn_opt_u32(p, tok, n, &o->cs_call_ms);
	if (strcmp(d, "qdevice-move") == 0)
		return scn_opt_u32(p, tok, n, &o->qdevice_move_ms);
	if (strcmp(d, "state-chunk") == 0) {
		int r = scn_opt_u32(p, tok, n, &v);

		o->state_chunk_vips = v;
		return r;
	}
	if (strcmp(d, "addr-latency") == 0)
		return latencies(p, tok + 1, n - 1, &o->add_ms, &o->del_ms);
	if (strcmp(d, "skew") == 0)
		return skew_header(p, tok, n);
	return scn_perr(p, "unknown directive %s", d);
}

/* addr-fail NODES add|del COUNT|always|off [VIP] */
static int
addr_fail(struct parser *p, char **tok, size_t n, struct sim_cmd *c)
{
	if ((n != 4 && n != 5) || scn_parse_nodes(p->sc, tok[1], &c->nodes) < 0 ||
	    (strcmp(tok[2], "add") != 0 && strcmp(tok[2], "del") != 0))
		return scn_perr(p, "%s", "addr-fail NODES add|del COUNT|always|off [VIP]");
	c->b = strcmp(tok[2], "del") == 0;
	if (strcmp(tok[3], "always") == 0)
		c->a = UINT32_MAX;
	else if (strcmp(tok[3], "off") == 0)
		c->a = 0;
	else if (scn_parse_u32(tok[3], &c->a) < 0)
		return scn_perr(p, "%s", "addr-fail: COUNT, always or off");
	if (n == 5)
		snprintf(c->vip, sizeof(c->vip), "%s", tok[4]);
	return 0;
}

/* Commands of the models added with issue 10's engine contract; 1 = not one of them. */
int
scn_model_command(struct parser *p, char **tok, size_t n, struct sim_cmd *c)
{
	switch (c->type) {
	case SIM_EXPECTED_VOTES:
		c->nodes = (UINT64_C(1) << p->sc->o.n_nodes) - 1;
		if ((n != 2 && n != 3) || scn_parse_u32(tok[1], &c->a) < 0 || c->a == 0 ||
		    (n == 3 && scn_parse_nodes(p->sc, tok[2], &c->nodes) < 0))
			return scn_perr(p, "%s", "expected-votes N [NODES]");
		return 0;
	case SIM_QDEVICE_VOTE:
		c->nodes = (UINT64_C(1) << p->sc->o.n_nodes) - 1;
		if ((n != 2 && n != 3) ||
		    (strcmp(tok[1], "up") != 0 && strcmp(tok[1], "down") != 0) ||
		    (n == 3 && scn_parse_nodes(p->sc, tok[2], &c->nodes) < 0))
			return scn_perr(p, "%s", "qdevice-vote up|down [NODES]");
		c->flag = strcmp(tok[1], "up") == 0;
		return 0;
	case SIM_KILL_MID_STATE:
		c->a = 1;
		if ((n != 2 && n != 3) || scn_target(p->sc, tok[1], c) < 0 ||
		    (n == 3 && (scn_parse_u32(tok[2], &c->a) < 0 || c->a == 0)))
			return scn_perr(p, "%s", "kill-mid-state NODES [CHUNKS]");
		return 0;
	case SIM_SKEW:
		if ((n != 3 && n != 4) || scn_parse_nodes(p->sc, tok[1], &c->nodes) < 0 ||
		    scn_parse_u32(tok[2], &c->a) < 0 || scn_parse_u32(tok[n - 1], &c->b) < 0 || c->b < c->a)
			return scn_perr(p, "%s", "skew NODES LO [HI]");
		return 0;
	case SIM_ADDR_LATENCY:
		if (n < 3 || scn_parse_nodes(p->sc, tok[1], &c->nodes) < 0)
			return scn_perr(p, "%s", "addr-latency NODES add=MS del=MS");
		return latencies(p, tok + 2, n - 2, &c->a, &c->b);
	case SIM_ADDR_FAIL:
		return addr_fail(p, tok, n, c);
	default:
		return 1;
	}
}
