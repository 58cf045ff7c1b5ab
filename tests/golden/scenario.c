/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The scenario file format. One directive per line, '#' starts a comment
 * line, times are ms ("1500", or "1.5s" / "2s"), node sets are n1,n2 or
 * "all" (commands) and n1|n2, any, none (expectations).
 *
 * Header (before or between the timed lines):
 *   nodes N                      cluster size (n1..nN, node ids 1..N); default 3
 *   seed S                       PRNG seed (jitter, quorum delays); default 1
 *   timing token=MS consensus=MS corosync's runtime timers; default 300/360
 *   latency MS | jitter MS | sync MS        CPG delivery, confchg skew (+-), sync
 *   quorum-delay LO [HI]         quorum notification after the totem confchg
 *   reaper-timeout MS | restart-delay MS | reconnect-delay MS
 *   bound MS                     liveness bound (invariant 3); default 5000
 *   liveness yes|no | reapers yes|no | reaper-state yes|no | supervise yes|no
 *   two-node yes|no | qdevice VOTES
 *   down NODES                   crashed at time 0 (to join later: restart)
 *   until T                      run until T; default: the last time named + 2 s
 *   trace yes                    print the timeline on stderr
 *   config [NODE]                corovip.conf text up to a line "end"; without
 *     ...                        NODE for every node, with NODE for that node
 *   end                          only (after the common one). Node sections
 *                                n1..nN are added when missing; nK is node id K.
 *   vips COUNT prefix P [name N] [interface I] [stickiness yes|no] [preempt yes|no]
 *                                COUNT generated VIPs N0000.. with addresses
 *                                P<1+i/250>.<1+i%250>, added to every config
 *                                (the reloads' too)
 *   join-exclusion yes|no        a join (boot, cs-start, heal, cs-thaw) while
 *                                a ring is stalled on a silent member re-forms
 *                                consensus after the join, without it (instead
 *                                of token + consensus after the fault); yes
 *   daemon-queue yes|no          what a daemon or reaper sends while corosync
 *                                refuses it (TRY_AGAIN: ring forming, syncing)
 *                                waits in the process and dies with it; a
 *                                reaper lingers 500 ms after its sweep; yes
 *   cs-call MS                   each QUORUM/TIMINGS notification makes the
 *                                daemon call corosync and wait MS for the
 *                                answer (forever while corosync is frozen: it
 *                                handles nothing else, its reaper hears no
 *                                heartbeat); 0: only a frozen corosync blocks
 *   qdevice-move MS              a device vote taken from a partition (qdevice-
 *                                vote down) goes to nobody for MS; 2000
 *   state-chunk VIPS             at most VIPS per STATE message (0: as many as
 *                                fit): cv_engine_params.state_chunk_vips
 *   addr-latency add=MS del=MS   every node's ADDR_ADD / ADDR_DEL take this long
 *                                (in order per node; the address appears or goes
 *                                and the result comes back when done)
 *   skew NODES LO [HI]           deliveries from corosync (messages, group,
 *                                totem, quorum) reach the nodes' daemons LO..HI
 *                                ms late, order kept
 *
 * Timed commands, "at T COMMAND ...":
 *   start|stop|kill|kill-reaper|kill-both|freeze|thaw|freeze-reaper|
 *   thaw-reaper|freeze-both|thaw-both|cs-kill|cs-start|cs-freeze|cs-thaw|
 *   crash|restart|cut|heal|conn-lost NODES
 *                                       (NODES may also be picked when the
 *                                       command runs: holder:VIP, idle = the
 *                                       highest node holding nothing, picked =
 *                                       the node the last such command picked)
 *   partition NODES | NODES [| ...]    unlisted nodes are each alone
 *   heal-all
 *   flap NODES every MS times K         cut, heal MS later, K times
 *   health NODES CHECK up|down [CHECK2 up|down]
 *                                       (two: one event, as a recheck's outcomes)
 *   link NODES IFACE up|down            the interface loses or regains its link
 *   move VIP NODE [via NODE]
 *   standby NODE [via NODE] | unstandby NODE [via NODE]
 *   maintenance on|off [via NODE]       the whole cluster's (standby of node 0)
 *   ban VIP NODE [lifetime MS] [via NODE] | clear VIP [NODE] [via NODE]
 *   reload NODES                        new config text follows, up to "end"
 *   quorum-delay LO [HI] | timing token=MS consensus=MS [NODES]
 *                                       (NODES: only theirs; a ring runs on
 *                                       its members' shortest timers)
 *   addr-gone NODES VIP                 an admin deletes the address
 *   fail-add NODES VIP                  = addr-fail NODES add always VIP
 *   addr-fail NODES add|del COUNT|always|off [VIP]
 *                                       the next COUNT adds or removals (of VIP,
 *                                       or any) fail: an add adds nothing, a
 *                                       removal leaves the address; daemon,
 *                                       reconcile and reaper alike
 *   addr-latency NODES add=MS del=MS    the nodes' operations take this long
 *   skew NODES LO [HI]                  as the header's, from now (0 0: off)
 *   expected-votes N [NODES]            corosync-quorumtool -e N on the nodes
 *                                       (default all): their rings get a new
 *                                       quorum notification, same ring id
 *                                       (refused unless N's quorum is within
 *                                       [votes/2, votes], as votequorum does)
 *   qdevice-vote up|down [NODES]        the nodes' qdevice reaches qnetd again,
 *                                       or loses it: the rings recount (same ids)
 *   kill-mid-state NODES [CHUNKS]       kill -9 the daemon after CHUNKS (1) of
 *                                       its next STATE of more chunks: the rest
 *                                       of that step never happens
 *   expect holder VIP n1|n2|none|any
 *   expect spread LO HI [NODES]         each node (default: all) holds LO..HI
 *     (an expectation at T sees the state at T before the commands and
 *     events of T: "at 3000 expect holder web n1" and "at 3000 crash n1"
 *     check, then crash)
 *
 * Window expectations (scenario-expect.c):
 *   expect action|no-action NODES WHAT [VIP] [reason R] [notice N] [node K]
 *          [from S] [to S] [msg T] between T1 T2
 *     WHAT: an action (ADDR_ADD, TRANSITION, NOTICE, SEND, ...) or a fact of
 *     the sim (reaper-kill, reaper-released, restart, expired, add-failed,
 *     reconciled, del-failed, added, removed, sweep-failed, blocked,
 *     mid-state-kill)
 *   expect max-outage VIP MS between T1 T2
 *   expect moves between T1 T2 max K [to NODE min-percent P]
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario-int.h"

#define MAX_TOK 64

int
scn_perr(struct parser *p, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(p->err, p->errlen, "%s:%zu: %s", p->sc->name, p->i + 1, msg);
	return -EINVAL;
}

static size_t
tokenize(char *line, char **tok)
{
	char *save = NULL;
	size_t n = 0;

	for (char *t = strtok_r(line, " \t\r", &save); t && n < MAX_TOK;
	     t = strtok_r(NULL, " \t\r", &save))
		tok[n++] = t;
	return n;
}

int
scn_parse_time(const char *s, uint64_t *ret)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || v < 0)
		return -EINVAL;
	if (strcmp(end, "s") == 0)
		v *= 1000;
	else if (*end && strcmp(end, "ms") != 0)
		return -EINVAL;
	*ret = (uint64_t)(v + 0.5);
	return 0;
}

int
scn_parse_u32(const char *s, uint32_t *ret)
{
	uint64_t v;

	if (scn_parse_time(s, &v) < 0 || v > UINT32_MAX)
		return -EINVAL;
	*ret = (uint32_t)v;
	return 0;
}

static int
parse_bool(const char *s, bool *ret)
{
	if (strcmp(s, "yes") != 0 && strcmp(s, "no") != 0)
		return -EINVAL;
	*ret = s[0] == 'y';
	return 0;
}

static int
node_id(const struct scn *sc, const char *s, uint32_t *ret)
{
	char *end;
	unsigned long k;

	if (s[0] != 'n')
		return -EINVAL;
	k = strtoul(s + 1, &end, 10);
	if (*end || k < 1 || k > sc->o.n_nodes)
		return -EINVAL;
	*ret = (uint32_t)k;
	return 0;
}

/* "n1,n2" or "n1|n2" or "all": a mask. */
int
scn_parse_nodes(const struct scn *sc, const char *spec, uint64_t *ret)
{
	char buf[256], *save = NULL;
	uint64_t mask = 0;

	if (strcmp(spec, "all") == 0) {
		*ret = (UINT64_C(1) << sc->o.n_nodes) - 1;
		return 0;
	}
	snprintf(buf, sizeof(buf), "%s", spec);
	for (char *t = strtok_r(buf, ",|", &save); t; t = strtok_r(NULL, ",|", &save)) {
		uint32_t id;

		if (node_id(sc, t, &id) < 0)
			return -EINVAL;
		mask |= UINT64_C(1) << (id - 1);
	}
	if (!mask)
		return -EINVAL;
	*ret = mask;
	return 0;
}

/* Lines up to "end", joined; p->i is left on the "end" line. */
static int
block(struct parser *p, char **ret)
{
	size_t len = 0, start = p->i + 1;
	char *text;

	for (p->i = start; p->i < p->n_lines; p->i++) {
		char first[8] = "";

		sscanf(p->lines[p->i], "%7s", first);
		if (strcmp(first, "end") == 0)
			break;
		len += strlen(p->lines[p->i]) + 1;
	}
	if (p->i == p->n_lines)
		return scn_perr(p, "%s", "config block without \"end\"");
	text = calloc(1, len + 1);
	if (!text)
		abort();
	for (size_t k = start, at = 0; k < p->i; k++) {
		size_t l = strlen(p->lines[k]);

		memcpy(text + at, p->lines[k], l);
		text[at + l] = '\n';
		at += l + 1;
	}
	*ret = text;
	return 0;
}

int
scn_opt_u32(struct parser *p, char **tok, size_t n, uint32_t *v)
{
	if (n != 2 || scn_parse_u32(tok[1], v) < 0)
		return scn_perr(p, "%s: expects one number", tok[0]);
	return 0;
}

int
scn_opt_bool(struct parser *p, char **tok, size_t n, bool *v)
{
	if (n != 2 || parse_bool(tok[1], v) < 0)
		return scn_perr(p, "%s: expects yes or no", tok[0]);
	return 0;
}

static int
timing(struct parser *p, char **tok, size_t n, uint32_t *token, uint32_t *consensus)
{
	for (size_t k = 1; k < n; k++) {
		if (strncmp(tok[k], "token=", 6) == 0 && scn_parse_u32(tok[k] + 6, token) == 0)
			continue;
		if (strncmp(tok[k], "consensus=", 10) == 0 &&
		    scn_parse_u32(tok[k] + 10, consensus) == 0)
			continue;
		return scn_perr(p, "timing: bad argument %s", tok[k]);
	}
	return 0;
}

static int
vips_directive(struct parser *p, char **tok, size_t n)
{
	struct vipgen *g = &p->sc->gen;
	size_t at = 0;

	if (n < 4 || scn_parse_u32(tok[1], &(uint32_t){ 0 }) < 0 || strcmp(tok[2], "prefix") != 0)
		return scn_perr(p, "%s", "vips COUNT prefix P ...");
	g->count = (unsigned)strtoul(tok[1], NULL, 10);
	snprintf(g->prefix, sizeof(g->prefix), "%s", tok[3]);
	snprintf(g->name, sizeof(g->name), "v");
	snprintf(g->interface, sizeof(g->interface), "eth0");
	for (size_t k = 4; k + 1 < n; k += 2) {
		if (strcmp(tok[k], "name") == 0)
			snprintf(g->name, sizeof(g->name), "%s", tok[k + 1]);
		else if (strcmp(tok[k], "interface") == 0)
			snprintf(g->interface, sizeof(g->interface), "%s", tok[k + 1]);
		else if (strcmp(tok[k], "stickiness") == 0 || strcmp(tok[k], "preempt") == 0)
			at += (size_t)snprintf(g->extra + at, sizeof(g->extra) - at, "\t%s: %s\n",
					       tok[k], tok[k + 1]);
		else
			return scn_perr(p, "vips: unknown option %s", tok[k]);
	}
	return 0;
}

static int
down_directive(struct parser *p, char **tok, size_t n)
{
	uint64_t mask;

	if (n != 2 || scn_parse_nodes(p->sc, tok[1], &mask) < 0)
		return scn_perr(p, "%s", "down NODES");
	p->sc->o.down_mask |= mask;
	return 0;
}

static int
config_directive(struct parser *p, char **tok, size_t n)
{
	uint32_t id = 0;
	char *text;
	int r;

	if (n > 2 || (n == 2 && node_id(p->sc, tok[1], &id) < 0))
		return scn_perr(p, "%s", "config [NODE]");
	r = block(p, &text);
	if (r < 0)
		return r;
	free(p->sc->config[id]);
	p->sc->config[id] = text;
	return 0;
}

static int
header(struct parser *p, char **tok, size_t n)
{
	struct sim_opts *o = &p->sc->o;
	const char *d = tok[0];

	if (strcmp(d, "nodes") == 0) {
		int r = scn_opt_u32(p, tok, n, &o->n_nodes);

		if (r == 0 && (o->n_nodes < 1 || o->n_nodes > SIM_MAX_NODES))
			return scn_perr(p, "%s", "nodes: 1..32");
		return r;
	}
	if (strcmp(d, "seed") == 0)
		return n == 2 ? (o->seed = strtoull(tok[1], NULL, 0), 0) : scn_perr(p, "%s", "seed S");
	if (strcmp(d, "timing") == 0)
		return timing(p, tok, n, &o->token_ms, &o->consensus_ms);
	if (strcmp(d, "latency") == 0)
		return scn_opt_u32(p, tok, n, &o->latency_ms);
	if (strcmp(d, "jitter") == 0)
		return scn_opt_u32(p, tok, n, &o->jitter_ms);
	if (strcmp(d, "sync") == 0)
		return scn_opt_u32(p, tok, n, &o->sync_ms);
	if (strcmp(d, "quorum-delay") == 0 && (n == 2 || n == 3)) {
		if (scn_parse_u32(tok[1], &o->quorum_delay_lo) < 0 ||
		    scn_parse_u32(tok[n - 1], &o->quorum_delay_hi) < 0)
			return scn_perr(p, "%s", "quorum-delay LO [HI]");
		return 0;
	}
	if (strcmp(d, "reaper-timeout") == 0)
		return scn_opt_u32(p, tok, n, &o->reaper_timeout_ms);
	if (strcmp(d, "restart-delay") == 0)
		return scn_opt_u32(p, tok, n, &o->restart_delay_ms);
	if (strcmp(d, "reconnect-delay") == 0)
		return scn_opt_u32(p, tok, n, &o->reconnect_delay_ms);
	if (strcmp(d, "bound") == 0)
		return scn_opt_u32(p, tok, n, &o->bound_ms);
	if (strcmp(d, "liveness") == 0)
		return scn_opt_bool(p, tok, n, &o->liveness);
	if (strcmp(d, "reapers") == 0)
		return scn_opt_bool(p, tok, n, &o->reapers);
	if (strcmp(d, "reaper-state") == 0)
		return scn_opt_bool(p, tok, n, &o->reaper_state);
	if (strcmp(d, "supervise") == 0)
		return scn_opt_bool(p, tok, n, &o->supervise);
	if (strcmp(d, "two-node") == 0)
		return scn_opt_bool(p, tok, n, &o->two_node);
	if (strcmp(d, "trace") == 0)
		return scn_opt_bool(p, tok, n, &o->trace);
	if (strcmp(d, "qdevice") == 0)
		return scn_opt_u32(p, tok, n, &o->qdevice_votes);
	if (strcmp(d, "down") == 0)
		return down_directive(p, tok, n);
	if (strcmp(d, "until") == 0)
		return n == 2 && scn_parse_time(tok[1], &p->sc->until) == 0
			   ? 0
			   : scn_perr(p, "%s", "until T");
	if (strcmp(d, "config") == 0)
		return config_directive(p, tok, n);
	if (strcmp(d, "vips") == 0)
		return vips_directive(p, tok, n);
	return scn_header_models(p, tok, n);
}

/* ---- timed commands ---- */

static struct sim_cmd *
add_cmd(struct scn *sc, uint64_t at, enum sim_cmd_type type)
{
	sc->cmds = realloc(sc->cmds, (sc->n_cmds + 1) * sizeof(*sc->cmds));
	if (!sc->cmds)
		abort();
	sc->cmds[sc->n_cmds] = (struct timed_cmd){ .at = at, .cmd = { .type = type } };
	return &sc->cmds[sc->n_cmds++].cmd;
}

static int
partition(struct parser *p, char **tok, size_t n, struct sim_cmd *c)
{
	uint8_t group = 1;
	unsigned alone = 100;

	for (size_t k = 1; k < n; k++) {
		uint64_t mask;

		if (strcmp(tok[k], "|") == 0) {
			group++;
			continue;
		}
		if (scn_parse_nodes(p->sc, tok[k], &mask) < 0)
			return scn_perr(p, "partition: bad node set %s", tok[k]);
		for (uint32_t i = 1; i <= p->sc->o.n_nodes; i++)
			if (mask & (UINT64_C(1) << (i - 1)))
				c->part[i] = group;
	}
	for (uint32_t i = 1; i <= p->sc->o.n_nodes; i++)
		if (!c->part[i])
			c->part[i] = (uint8_t)alone++;
	return 0;
}

/* NODES, or a node picked when the command runs: holder:VIP, idle, picked. */
int
scn_target(const struct scn *sc, const char *spec, struct sim_cmd *c)
{
	if (strncmp(spec, "holder:", 7) == 0 && spec[7]) {
		c->pick = SIM_PICK_HOLDER;
		snprintf(c->vip, sizeof(c->vip), "%s", spec + 7);
		return 0;
	}
	if (strcmp(spec, "idle") == 0 || strcmp(spec, "picked") == 0) {
		c->pick = spec[0] == 'i' ? SIM_PICK_IDLE : SIM_PICK_LAST;
		return 0;
	}
	return scn_parse_nodes(sc, spec, &c->nodes);
}

static int
flap(struct parser *p, char **tok, size_t n, uint64_t at)
{
	struct sim_cmd first = {};
	uint64_t every;
	uint32_t times;

	if (n != 6 || scn_target(p->sc, tok[1], &first) < 0 || strcmp(tok[2], "every") != 0 ||
	    scn_parse_time(tok[3], &every) < 0 || strcmp(tok[4], "times") != 0 ||
	    scn_parse_u32(tok[5], &times) < 0 || every == 0)
		return scn_perr(p, "%s", "flap NODES every MS times K");
	for (uint32_t k = 0; k < times; k++) {
		struct sim_cmd *cut = add_cmd(p->sc, at + 2 * k * every, SIM_CUT);
		struct sim_cmd *heal;

		*cut = first;
		cut->type = SIM_CUT;
		if (k > 0 && first.pick != SIM_PICK_NONE)
			cut->pick = SIM_PICK_LAST; /* the same node every time */
		heal = add_cmd(p->sc, at + (2 * k + 1) * every, SIM_HEAL);
		heal->nodes = first.nodes;
		heal->pick = first.pick != SIM_PICK_NONE ? SIM_PICK_LAST : SIM_PICK_NONE;
	}
	p->last_time = at + 2 * times * every;
	return 0;
}

static int
admin(struct parser *p, char **tok, size_t n, struct sim_cmd *c)
{
	size_t k = c->type == SIM_MOVE ? 2 : 1;

	if (strcmp(tok[0], "maintenance") == 0) { /* node 0's standby */
		if (n < 2 || (strcmp(tok[1], "on") != 0 && strcmp(tok[1], "off") != 0))
			return scn_perr(p, "%s", "maintenance on|off [via NODE]");
		c->target = 0;
		c->flag = strcmp(tok[1], "on") == 0;
		if (n == 4 && strcmp(tok[2], "via") == 0 && node_id(p->sc, tok[3], &c->via) == 0)
			return 0;
		return n == 2 ? 0 : scn_perr(p, "%s", "maintenance: expects [via NODE]");
	}

	if (c->type == SIM_MOVE) {
		if (n < 3)
			return scn_perr(p, "%s", "move VIP NODE [via NODE]");
		snprintf(c->vip, sizeof(c->vip), "%s", tok[1]);
	}
	if (n <= k || node_id(p->sc, tok[k], &c->target) < 0)
		return scn_perr(p, "%s: bad node", tok[0]);
	if (n == k + 3 && strcmp(tok[k + 1], "via") == 0 &&
	    node_id(p->sc, tok[k + 2], &c->via) == 0)
		return 0;
	return n == k + 1 ? 0 : scn_perr(p, "%s: expects [via NODE]", tok[0]);
}

/* ban VIP NODE [lifetime MS] [via NODE], clear VIP [NODE] [via NODE] */
static int
ban(struct parser *p, char **tok, size_t n, struct sim_cmd *c)
{
	size_t k = 2;
	const char *usage = c->type == SIM_BAN ? "ban VIP NODE [lifetime MS] [via NODE]"
					       : "clear VIP [NODE] [via NODE]";

	if (n < 2)
		return scn_perr(p, "%s", usage);
	snprintf(c->vip, sizeof(c->vip), "%s", tok[1]);
	if (k < n && strcmp(tok[k], "via") != 0 && node_id(p->sc, tok[k++], &c->target) < 0)
		return scn_perr(p, "%s", usage);
	if (c->type == SIM_BAN && !c->target)
		return scn_perr(p, "%s", usage);
	if (c->type == SIM_BAN && k + 1 < n && strcmp(tok[k], "lifetime") == 0) {
		if (scn_parse_u32(tok[k + 1], &c->a) < 0 || !c->a)
			return scn_perr(p, "%s", usage);
		k += 2;
	}
	if (k + 1 < n && strcmp(tok[k], "via") == 0 && node_id(p->sc, tok[k + 1], &c->via) == 0)
		k += 2;
	return k == n ? 0 : scn_perr(p, "%s", usage);
}

static int
node_vip_cmd(struct parser *p, char **tok, size_t n, struct sim_cmd *c)
{
	if (n != 3 || scn_target(p->sc, tok[1], c) < 0)
		return scn_perr(p, "%s NODES VIP", tok[0]);
	snprintf(c->vip, sizeof(c->vip), "%s", tok[2]);
	return 0;
}

static bool
up_down(const char *word)
{
	return strcmp(word, "up") == 0 || strcmp(word, "down") == 0;
}

/* health NODES CHECK up|down [CHECK2 up|down], link NODES IFACE up|down */
static int
health(struct parser *p, char **tok, size_t n, struct sim_cmd *c)
{
	bool two = c->type == SIM_HEALTH && n == 6;

	if ((n != 4 && !two) || scn_parse_nodes(p->sc, tok[1], &c->nodes) < 0 ||
	    !up_down(tok[3]) || (two && !up_down(tok[5])))
		return scn_perr(p, "%s", c->type == SIM_LINK ? "link NODES IFACE up|down"
				: "health NODES CHECK up|down [CHECK2 up|down]");
	snprintf(c->check, sizeof(c->check), "%s", tok[2]);
	c->flag = strcmp(tok[3], "up") == 0;
	if (two) {
		snprintf(c->check2, sizeof(c->check2), "%s", tok[4]);
		c->flag2 = strcmp(tok[5], "up") == 0;
	}
	return 0;
}

static int
command(struct parser *p, char **tok, size_t n, uint64_t at)
{
	struct sim_cmd *c;
	enum sim_cmd_type t;
	int r;

	if (strcmp(tok[0], "flap") == 0)
		return flap(p, tok, n, at);
	if (strcmp(tok[0], "unstandby") == 0 || strcmp(tok[0], "maintenance") == 0)
		t = SIM_STANDBY;
	else if ((t = sim_cmd_type_from_string(tok[0])) == _SIM_CMD_MAX)
		return scn_perr(p, "unknown command %s", tok[0]);
	c = add_cmd(p->sc, at, t);
	c->flag = strcmp(tok[0], "standby") == 0;
	if ((r = scn_model_command(p, tok, n, c)) <= 0)
		return r;
	switch (t) {
	case SIM_PARTITION:
		return partition(p, tok, n, c);
	case SIM_HEAL_ALL:
		return n == 1 ? 0 : scn_perr(p, "%s", "heal-all takes no argument");
	case SIM_MOVE:
	case SIM_STANDBY:
		return admin(p, tok, n, c);
	case SIM_BAN:
	case SIM_CLEAR:
		return ban(p, tok, n, c);
	case SIM_HEALTH:
	case SIM_LINK:
		return health(p, tok, n, c);
	case SIM_ADDR_GONE:
	case SIM_FAIL_ADD:
		return node_vip_cmd(p, tok, n, c);
	case SIM_QUORUM_DELAY:
		if ((n != 2 && n != 3) || scn_parse_u32(tok[1], &c->a) < 0 ||
		    scn_parse_u32(tok[n - 1], &c->b) < 0)
			return scn_perr(p, "%s", "quorum-delay LO [HI]");
		return 0;
	case SIM_TIMING:
		c->a = p->sc->o.token_ms;
		c->b = p->sc->o.consensus_ms;
		/* a last word without "=": the nodes whose corosync changed */
		if (n > 1 && !strchr(tok[n - 1], '=')) {
			if (scn_parse_nodes(p->sc, tok[n - 1], &c->nodes) < 0)
				return scn_perr(p, "%s", "timing token=MS consensus=MS [NODES]");
			n--;
		}
		return timing(p, tok, n, &c->a, &c->b);
	case SIM_RELOAD:
		if (n != 2 || scn_parse_nodes(p->sc, tok[1], &c->nodes) < 0)
			return scn_perr(p, "%s", "reload NODES, then the config up to \"end\"");
		return block(p, &c->config);
	default:
		if (n != 2 || scn_target(p->sc, tok[1], c) < 0)
			return scn_perr(p, "%s NODES", tok[0]);
		return 0;
	}
}

static int
line(struct parser *p, char *text)
{
	char *tok[MAX_TOK];
	size_t n = tokenize(text, tok);
	uint64_t at;

	if (n == 0 || tok[0][0] == '#')
		return 0;
	if (strcmp(tok[0], "expect") == 0)
		return scn_parse_expect(p->sc, tok, n, SIM_NEVER, (unsigned)p->i + 1, p->err,
					p->errlen);
	if (strcmp(tok[0], "at") != 0)
		return header(p, tok, n);
	if (n < 3 || scn_parse_time(tok[1], &at) < 0)
		return scn_perr(p, "%s", "at T COMMAND ...");
	if (at > p->last_time)
		p->last_time = at;
	if (strcmp(tok[2], "expect") == 0)
		return scn_parse_expect(p->sc, tok + 2, n - 2, at, (unsigned)p->i + 1, p->err,
					p->errlen);
	return command(p, tok + 2, n - 2, at);
}

static char **
split_lines(char *text, size_t *ret_n)
{
	size_t n = 1, k = 0;
	char **lines;

	for (char *c = text; *c; c++)
		n += *c == '\n';
	lines = calloc(n, sizeof(*lines));
	if (!lines)
		abort();
	lines[k++] = text;
	for (char *c = text; *c; c++)
		if (*c == '\n') {
			*c = '\0';
			lines[k++] = c + 1;
		}
	*ret_n = k;
	return lines;
}

int
scn_parse(const char *text, const char *name, struct scn **ret, char *err, size_t errlen)
{
	struct scn *sc = calloc(1, sizeof(*sc));
	char *copy = strdup(text);
	struct parser p = { .sc = sc, .err = err, .errlen = errlen };
	int r = 0;

	if (!sc || !copy)
		abort();
	sc->name = strdup(name);
	sim_opts_default(&sc->o);
	p.lines = split_lines(copy, &p.n_lines);
	for (p.i = 0; p.i < p.n_lines && r == 0; p.i++) {
		char *l = strdup(p.lines[p.i]); /* tokenizing writes into it */

		r = line(&p, l);
		free(l);
	}
	free(p.lines);
	free(copy);
	if (r == 0 && !sc->config[0]) {
		snprintf(err, errlen, "%s: no config block", name);
		r = -EINVAL;
	}
	if (r < 0) {
		scn_free(sc);
		return r;
	}
	for (size_t i = 0; i < sc->n_x; i++) {
		uint64_t end = sc->x[i].at != SIM_NEVER ? sc->x[i].at : sc->x[i].t2;

		if (end > p.last_time)
			p.last_time = end;
	}
	if (!sc->until)
		sc->until = p.last_time + 2000;
	else if (sc->until < p.last_time) {
		snprintf(err, errlen, "%s: until %llu is before the last time named (%llu)", name,
			 (unsigned long long)sc->until, (unsigned long long)p.last_time);
		scn_free(sc);
		return -EINVAL;
	}
	*ret = sc;
	return 0;
}

struct scn *
scn_free(struct scn *sc)
{
	if (!sc)
		return NULL;
	for (size_t i = 0; i <= SIM_MAX_NODES; i++)
		free(sc->config[i]);
	for (size_t i = 0; i < sc->n_cmds; i++)
		free(sc->cmds[i].cmd.config);
	free(sc->cmds);
	for (size_t i = 0; i < sc->n_x; i++)
		scn_expect_free(&sc->x[i]);
	free(sc->x);
	free(sc->name);
	free(sc);
	return NULL;
}

/* ---- running ---- */

/* text plus the generated VIPs; caller frees. */
static char *
with_generated(const struct scn *sc, const char *text)
{
	const struct vipgen *g = &sc->gen;
	size_t cap = strlen(text) + 1 + g->count * (160 + strlen(g->extra)), at;
	char *out = malloc(cap);

	if (!out)
		abort();
	at = (size_t)snprintf(out, cap, "%s", text);
	for (unsigned i = 0; i < g->count; i++)
		at += (size_t)snprintf(
		    out + at, cap - at, "vip %s%04u {\n\taddress: %s%u.%u\n\tinterface: %s\n%s}\n",
		    g->name, i, g->prefix, 1 + i / 250, 1 + i % 250, g->interface, g->extra);
	return out;
}

static int
load_configs(struct scn *sc)
{
	char err[512];

	for (uint32_t i = 0; i <= sc->o.n_nodes; i++) {
		char *text;
		int r;

		if (!sc->config[i])
			continue;
		text = with_generated(sc, sc->config[i]);
		r = sim_set_config(sc->sim, i, text, err, sizeof(err));
		free(text);
		if (r < 0) {
			fprintf(sc->out, "  %s: %s\n", sc->name, err);
			return r;
		}
	}
	return 0;
}

static void
count_silent(struct scn *sc)
{
	size_t n;
	const struct sim_log_entry *log = sim_log(sc->sim, &n);

	sc->silent_sent = 0;
	for (size_t i = 0; i < n; i++)
		sc->silent_sent += log[i].kind == SIM_LOG_ACTION && log[i].action == CV_ACT_SEND &&
				   log[i].msg == CV_PROTO_TYPE_SILENT;
}

size_t
scn_silent_sent(const struct scn *sc)
{
	return sc->silent_sent;
}

size_t
scn_run(struct scn *sc, bool trace, FILE *out)
{
	struct sim_opts o = sc->o;
	size_t nv;

	o.trace |= trace;
	sc->out = out;
	sc->failures = 0;
	if (sim_new(&o, &sc->sim) < 0 || load_configs(sc) < 0) {
		sc->sim = sim_free(sc->sim);
		return 1;
	}
	for (size_t i = 0; i < sc->n_cmds; i++) {
		struct sim_cmd c = sc->cmds[i].cmd;

		c.config = c.config ? with_generated(sc, c.config) : NULL;
		sim_at(sc->sim, sc->cmds[i].at, &c);
	}
	scn_schedule_expects(sc);
	sim_run(sc->sim, sc->until);
	scn_check_windows(sc);
	count_silent(sc);
	nv = sim_n_violations(sc->sim);
	for (size_t i = 0; i < nv; i++)
		fprintf(out, "  %s: %s\n", sc->name, sim_violation(sc->sim, i));
	sc->failures = nv;
	sc->sim = sim_free(sc->sim);
	return sc->failures;
}
