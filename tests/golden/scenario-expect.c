/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Expectations of a scenario: snapshots at a time (holders, spread, moves)
 * run as end-of-millisecond checks inside the simulation; windows over the
 * action log and the outage record are checked after the run. Every unmet
 * expectation is a violation with its line number.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario-int.h"

#define BITN(i) (UINT64_C(1) << ((i)-1))

static int
xerr(char *err, size_t errlen, const struct scn *sc, unsigned line, const char *what)
{
	snprintf(err, errlen, "%s:%u: %s", sc->name, line, what);
	return -EINVAL;
}

static struct expect *
add_expect(struct scn *sc, enum expect_kind kind, uint64_t at, unsigned line)
{
	struct expect *x;

	sc->x = realloc(sc->x, (sc->n_x + 1) * sizeof(*sc->x));
	if (!sc->x)
		abort();
	x = &sc->x[sc->n_x++];
	*x = (struct expect){ .kind = kind, .at = at, .line = line, .sc = sc };
	x->m = (struct match){ .kind = -1,
			       .action = -1,
			       .reason = -1,
			       .notice = -1,
			       .from = -1,
			       .to = -1,
			       .msg = -1,
			       .notice_node = -1 };
	return x;
}

void
scn_expect_free(struct expect *x)
{
	free(x->snap);
}

/* "between T1 T2" at tok[0..2] */
static int
window(char **tok, size_t n, struct expect *x)
{
	if (n < 3 || strcmp(tok[0], "between") != 0 || scn_parse_time(tok[1], &x->t1) < 0 ||
	    scn_parse_time(tok[2], &x->t2) < 0 || x->t2 < x->t1)
		return -EINVAL;
	return 0;
}

static int
what(const char *s, struct match *m)
{
	static const char *const facts[] = {
		"reaper-kill", "reaper-released", "restart",	  "expired", "add-failed",
		"reconciled",  "del-failed",	  "added",	  "removed", "sweep-failed",
		"blocked",     "mid-state-kill",
	};
	int a = cv_action_type_from_string(s);

	if (a >= 0) {
		m->kind = SIM_LOG_ACTION;
		m->action = a;
		return 0;
	}
	for (size_t i = 0; i < sizeof(facts) / sizeof(facts[0]); i++)
		if (strcmp(s, facts[i]) == 0) {
			m->kind = (int)i + 1;
			return 0;
		}
	return -EINVAL;
}

static int
filter(const struct scn *sc, const char *key, const char *val, struct match *m)
{
	uint32_t id;

	if (strcmp(key, "reason") == 0)
		return (m->reason = cv_reason_from_string(val)) >= 0 ? 0 : -EINVAL;
	if (strcmp(key, "notice") == 0)
		return (m->notice = cv_notice_from_string(val)) >= 0 ? 0 : -EINVAL;
	if (strcmp(key, "from") == 0)
		return (m->from = cv_vip_state_from_string(val)) >= 0 ? 0 : -EINVAL;
	if (strcmp(key, "to") == 0)
		return (m->to = cv_vip_state_from_string(val)) >= 0 ? 0 : -EINVAL;
	if (strcmp(key, "msg") == 0)
		return (m->msg = cv_proto_type_from_string(val)) >= 0 ? 0 : -EINVAL;
	if (strcmp(key, "node") == 0) {
		uint64_t mask;

		if (scn_parse_nodes(sc, val, &mask) < 0 || __builtin_popcountll(mask) != 1)
			return -EINVAL;
		id = (uint32_t)__builtin_ctzll(mask) + 1;
		m->notice_node = (int)id;
		return 0;
	}
	return -EINVAL;
}

/* action|no-action NODES WHAT [VIP] [key value]... between T1 T2 */
static int
parse_action(struct scn *sc, char **tok, size_t n, struct expect *x)
{
	size_t k = 4;

	if (n < 7 || what(tok[3], &x->m) < 0)
		return -EINVAL;
	if (strcmp(tok[2], "any") == 0)
		x->nodes = (UINT64_C(1) << sc->o.n_nodes) - 1;
	else if (scn_parse_nodes(sc, tok[2], &x->nodes) < 0)
		return -EINVAL;
	if (k < n && strcmp(tok[k], "between") != 0 && strcmp(tok[k], "reason") != 0 &&
	    strcmp(tok[k], "notice") != 0 && strcmp(tok[k], "from") != 0 &&
	    strcmp(tok[k], "to") != 0 && strcmp(tok[k], "msg") != 0 && strcmp(tok[k], "node") != 0)
		snprintf(x->m.vip, sizeof(x->m.vip), "%s", tok[k++]);
	for (; k + 1 < n && strcmp(tok[k], "between") != 0; k += 2)
		if (filter(sc, tok[k], tok[k + 1], &x->m) < 0)
			return -EINVAL;
	return k + 3 == n ? window(tok + k, n - k, x) : -EINVAL;
}

static int
parse_holder(struct scn *sc, char **tok, size_t n, struct expect *x)
{
	if (n != 4)
		return -EINVAL;
	snprintf(x->vip, sizeof(x->vip), "%s", tok[2]);
	x->none = strcmp(tok[3], "none") == 0;
	x->any = strcmp(tok[3], "any") == 0;
	return x->none || x->any ? 0 : scn_parse_nodes(sc, tok[3], &x->nodes);
}

static int
parse_spread(struct scn *sc, char **tok, size_t n, struct expect *x)
{
	if ((n != 4 && n != 5) || scn_parse_time(tok[2], &x->lo) < 0 ||
	    scn_parse_time(tok[3], &x->hi) < 0)
		return -EINVAL;
	return n == 5 ? scn_parse_nodes(sc, tok[4], &x->nodes) : 0;
}

/* moves between T1 T2 max K [to NODE min-percent P] */
static int
parse_moves(struct scn *sc, char **tok, size_t n, struct expect *x)
{
	uint64_t mask, pct;

	if ((n != 7 && n != 11) || window(tok + 2, n - 2, x) < 0 || strcmp(tok[5], "max") != 0 ||
	    scn_parse_time(tok[6], &x->max) < 0)
		return -EINVAL;
	if (n == 7)
		return 0;
	if (strcmp(tok[7], "to") != 0 || scn_parse_nodes(sc, tok[8], &mask) < 0 ||
	    strcmp(tok[9], "min-percent") != 0 || scn_parse_time(tok[10], &pct) < 0 || pct > 100)
		return -EINVAL;
	x->to_node = (uint32_t)__builtin_ctzll(mask) + 1;
	x->min_pct = (unsigned)pct;
	return 0;
}

int
scn_parse_expect(struct scn *sc, char **tok, size_t n, uint64_t at, unsigned line, char *err,
		 size_t errlen)
{
	bool timed = at != SIM_NEVER;
	const char *k = n > 1 ? tok[1] : "";
	int r = -EINVAL;

	if (strcmp(k, "holder") == 0 && timed)
		r = parse_holder(sc, tok, n, add_expect(sc, X_HOLDER, at, line));
	else if (strcmp(k, "spread") == 0 && timed)
		r = parse_spread(sc, tok, n, add_expect(sc, X_SPREAD, at, line));
	else if (strcmp(k, "action") == 0 && !timed)
		r = parse_action(sc, tok, n, add_expect(sc, X_ACTION, at, line));
	else if (strcmp(k, "no-action") == 0 && !timed)
		r = parse_action(sc, tok, n, add_expect(sc, X_NO_ACTION, at, line));
	else if (strcmp(k, "max-outage") == 0 && !timed && n == 7) {
		struct expect *x = add_expect(sc, X_OUTAGE, at, line);

		snprintf(x->vip, sizeof(x->vip), "%s", tok[2]);
		r = scn_parse_time(tok[3], &x->max) < 0 ? -EINVAL : window(tok + 4, n - 4, x);
	} else if (strcmp(k, "moves") == 0 && !timed)
		r = parse_moves(sc, tok, n, add_expect(sc, X_MOVES, at, line));
	if (r < 0)
		return xerr(err, errlen, sc, line,
			    "bad expectation (see scenario.c for the forms)");
	return 0;
}

/* ---- snapshots ---- */

static void
nodes_string(uint64_t mask, char *buf, size_t len)
{
	size_t at = 0;

	snprintf(buf, len, "none");
	for (uint32_t i = 1; i <= 64 && at < len; i++)
		if (mask & BITN(i))
			at += (size_t)snprintf(buf + at, len - at, "%sn%u", at ? "," : "", i);
}

static void
check_holder(struct sim *s, void *arg)
{
	const struct expect *x = arg;
	uint64_t h = sim_holders(s, x->vip);
	bool ok = x->none  ? h == 0
		  : x->any ? __builtin_popcountll(h) == 1
			   : __builtin_popcountll(h) == 1 && (h & x->nodes);
	char got[128], want[128];

	if (ok)
		return;
	nodes_string(h, got, sizeof(got));
	nodes_string(x->nodes, want, sizeof(want));
	sim_fail(s, "line %u: expected holder of %s: %s, got %s", x->line, x->vip,
		 x->none  ? "none"
		 : x->any ? "exactly one"
			  : want,
		 got);
}

static void
check_spread(struct sim *s, void *arg)
{
	const struct expect *x = arg;

	for (uint32_t i = 1; i <= sim_n_nodes(s); i++) {
		size_t c = sim_node_n_addrs(s, i);

		if (x->nodes ? !(x->nodes & BITN(i)) : !sim_daemon_running(s, i))
			continue;
		if (c < x->lo || c > x->hi)
			sim_fail(s, "line %u: n%u holds %zu VIPs, expected %llu..%llu", x->line, i,
				 c, (unsigned long long)x->lo, (unsigned long long)x->hi);
	}
}

static void
snap_moves(struct sim *s, void *arg)
{
	struct expect *x = arg;

	x->n_snap = sim_n_vips(s);
	free(x->snap);
	x->snap = calloc(x->n_snap ? x->n_snap : 1, sizeof(*x->snap));
	if (!x->snap)
		abort();
	for (size_t v = 0; v < x->n_snap; v++)
		x->snap[v] = sim_holders(s, sim_vip_name(s, v));
}

static void
check_moves(struct sim *s, void *arg)
{
	const struct expect *x = arg;
	size_t moved = 0, to = 0;

	for (size_t v = 0; v < x->n_snap && v < sim_n_vips(s); v++) {
		uint64_t h = sim_holders(s, sim_vip_name(s, v));

		if (h == x->snap[v])
			continue;
		moved++;
		to += x->to_node && h == BITN(x->to_node);
	}
	if (moved > x->max)
		sim_fail(s, "line %u: %zu VIPs moved, expected at most %llu", x->line, moved,
			 (unsigned long long)x->max);
	if (x->to_node && moved && to * 100 < moved * x->min_pct)
		sim_fail(s, "line %u: %zu of %zu moved VIPs went to n%u, expected >= %u%%", x->line,
			 to, moved, x->to_node, x->min_pct);
}

void
scn_schedule_expects(struct scn *sc)
{
	for (size_t i = 0; i < sc->n_x; i++) {
		struct expect *x = &sc->x[i];

		if (x->kind == X_HOLDER)
			sim_at_check(sc->sim, x->at, check_holder, x);
		else if (x->kind == X_SPREAD)
			sim_at_check(sc->sim, x->at, check_spread, x);
		else if (x->kind == X_MOVES) {
			sim_at_check(sc->sim, x->t1, snap_moves, x);
			sim_at_check(sc->sim, x->t2, check_moves, x);
		}
	}
}

/* ---- windows ---- */

static bool
matches(const struct match *m, const struct sim_log_entry *e)
{
	return (m->kind < 0 || (int)e->kind == m->kind) &&
	       (m->action < 0 || (e->kind == SIM_LOG_ACTION && (int)e->action == m->action)) &&
	       (m->reason < 0 || (int)e->reason == m->reason) &&
	       (m->notice < 0 || (int)e->notice == m->notice) &&
	       (m->from < 0 || (int)e->from == m->from) && (m->to < 0 || (int)e->to == m->to) &&
	       (m->msg < 0 || (int)e->msg == m->msg) &&
	       (m->notice_node < 0 || (int)e->notice_node == m->notice_node) &&
	       (!m->vip[0] || (e->vip && strcmp(e->vip, m->vip) == 0));
}

static void
check_action(struct sim *s, const struct expect *x)
{
	size_t n, hits = 0;
	const struct sim_log_entry *log = sim_log(s, &n);
	const struct sim_log_entry *first = NULL;
	char who[128];

	for (size_t i = 0; i < n; i++) {
		const struct sim_log_entry *e = &log[i];

		if (e->at < x->t1 || e->at > x->t2 || !(x->nodes & BITN(e->node)) ||
		    !matches(&x->m, e))
			continue;
		first = first ? first : e;
		hits++;
	}
	nodes_string(x->nodes, who, sizeof(who));
	if (x->kind == X_ACTION && !hits)
		sim_fail(s, "line %u: expected action on %s in [%llu, %llu] did not happen",
			 x->line, who, (unsigned long long)x->t1, (unsigned long long)x->t2);
	if (x->kind == X_NO_ACTION && hits)
		sim_fail(s,
			 "line %u: unexpected action on n%u at %llu (%zu in all in [%llu, %llu])",
			 x->line, first->node, (unsigned long long)first->at, hits,
			 (unsigned long long)x->t1, (unsigned long long)x->t2);
}

void
scn_check_windows(struct scn *sc)
{
	for (size_t i = 0; i < sc->n_x; i++) {
		const struct expect *x = &sc->x[i];
		uint64_t o;

		if (x->kind == X_ACTION || x->kind == X_NO_ACTION)
			check_action(sc->sim, x);
		if (x->kind != X_OUTAGE)
			continue;
		o = sim_max_outage(sc->sim, x->vip, x->t1, x->t2);
		if (o == SIM_NEVER)
			sim_fail(sc->sim, "line %u: no VIP %s in the reference config", x->line,
				 x->vip);
		else if (o > x->max)
			sim_fail(sc->sim,
				 "line %u: VIP %s was held by nobody for %llu ms in [%llu, %llu], "
				 "expected at most %llu",
				 x->line, x->vip, (unsigned long long)o, (unsigned long long)x->t1,
				 (unsigned long long)x->t2, (unsigned long long)x->max);
	}
}
