/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Property test: many random scenarios on the simulator, each checked by the
 * independent checker (sim-check.c) at every simulated millisecond: never two
 * holders, nothing held outside a quorate partition, a holder within the
 * bound, nothing left behind.
 *
 * A run: 2-5 nodes (a quorum device, two_node, a late quorum notification,
 * a slower CPG now and then), 1-20 VIPs with random placement keys; the
 * cluster settles, then one mix, chosen by weight:
 *   single   one fault of the fault matrix and its repair
 *   join     a fault, and 0-500 ms after (sometimes just before) another
 *            node joins: it boots, its daemon starts, its link heals, its
 *            corosync starts again, or it restarts after a crash
 *   two      two faults of the matrix at random times, overlapping or not,
 *            on the same node or not
 *   reload   a fault and one or two reloads: unchanged, a VIP's address
 *            changed (it is held), a VIP added or removed, placement keys
 *            changed; on every node at once or node by node
 *   admin    a fault and moves, standby/unstandby, run on random nodes
 *   storm    two faults, and a join, reloads and admin commands, each maybe
 * A few % of runs, drawn from a second random stream (a run without them is
 * the one its seed gave before): VIP groups (2-3 addresses), a reload that
 * gives one address of a group to another VIP (maybe a new one), and a
 * rename (the same addresses under a new name, or back), mostly rolling,
 * the rest of the nodes keeping the old names a while.
 * A tenth of the runs, drawn from a third stream (prop-db.c; again a run
 * without them is the one its seed gave): a database (issue 16), a
 * primary's VIP db (check primary, exclusive: a split holds it nowhere)
 * and 1-2 read-only VIPs (check standby, fallback_check primary), and 1-3
 * flips of those checks among the faults: a switchover (35 %; 40 % of them
 * overlapping, two primaries up to 1.5 s), no primary a while (15 %), a
 * second primary for 0.1-7 s (15 %), a standby flapping (20 %), every
 * standby down (15 %); half its reloads toggle exclusive or fallback_check
 * (rolling ones: members with different digests), and half the faults that
 * pick a holder pick db's (the primary).
 * Every fault is repaired, every standby undone at the end (on a running
 * daemon, once the rings had time to form), and the run goes on for the
 * liveness bound and more after the last command.
 *
 *   PROP_RUNS=N     number of runs (default 1000, PROP_LONG=1: 100000)
 *   PROP_SEED=S     seed of the first run (default 1); run i uses S + i
 *   PROP_JOBS=J     worker processes over disjoint seeds (default 1,
 *                   PROP_LONG=1: one per CPU)
 *   PROP_LONG=1     the long mode: 100000 runs, all CPUs, progress lines
 *   PROP_PROGRESS=S a progress line every S seconds (default 15 with
 *                   workers, else every 10000 runs when there are more)
 *   PROP_VERBOSE=1  print every generated scenario's one-line summary
 *   PROP_MAX_FAIL=N stop after N failing runs (default 5)
 *   PROP_DB=P       P % of the runs with a database (default 10)
 *   PROP_MAINT=P    P % of the admin commands are maintenance on/off (default 15)
 *   PROP_BAN=P      P % of the others are a ban (and maybe a clear) (default 20)
 *
 * A failing run prints its scenario text (also written to
 * prop-fail-SEED.scn), and how to rerun it alone. The last lines count what
 * the runs covered (mixes, faults, options).
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "prop-db.h"
#include "scenario.h"

#define TEXT_MAX  (128 * 1024)
#define POOL_MAX  (128 * 1024)
#define CFG_MAX	  (16 * 1024)
#define MAX_EVS	  128
#define MAX_VIPS  32
#define MAX_NODES 5
#define MAX_JOBS  64
#define SETTLE_MS 3000

/* ---- what a run may contain ---- */

enum mix { MIX_SINGLE, MIX_JOIN, MIX_TWO, MIX_RELOAD, MIX_ADMIN, MIX_STORM, _MIX_MAX };

static const char *const mix_names[_MIX_MAX] = {
	"single", "join", "two", "reload", "admin", "storm"
};
static const unsigned mix_weights[_MIX_MAX] = { 10, 20, 25, 15, 15, 15 };

enum fault_kind {
	FK_KILL,
	FK_FREEZE,
	FK_KILL_BOTH,
	FK_KILL_REAPER,
	FK_FREEZE_REAPER,
	FK_FREEZE_BOTH,
	FK_CS_KILL,
	FK_CS_FREEZE,
	FK_CRASH,
	FK_CUT,
	FK_STOP,
	FK_CONN_LOST,
	FK_FLAP,
	FK_PARTITION,
	FK_HEALTH,
	FK_LINK,
	FK_ADDR_GONE,
	FK_FAIL_ADD,
	FK_DEL_FAIL,
	FK_ADD_FAIL,
	FK_SLOW_ADDR,
	FK_KILL_MID_STATE,
	FK_QDEVICE_DOWN,
	_FK_MAX,
};

static bool frozen_and_cut(unsigned a, unsigned b);

static const struct fault {
	const char *name, *cmd, *repair; /* cmd NULL: built by gen_fault */
	unsigned weight;
	bool split;   /* can leave two sides that both think they are quorate under two_node */
	bool node;    /* hits one node, which a pick may name */
	bool outside; /* can leave a holder outside a quorate partition */
	bool slow;    /* slow or failing address removals (gen_slow) */
} faults[_FK_MAX] = {
#define NODE .node = true
	[FK_KILL] = { "daemon-kill", "kill", NULL, 10, NODE },
	[FK_FREEZE] = { "daemon-freeze", "freeze", "thaw", 10, NODE },
	[FK_KILL_BOTH] = { "daemon+reaper-kill", "kill-both", NULL, 8, NODE },
	[FK_KILL_REAPER] = { "reaper-kill", "kill-reaper", NULL, 4, NODE },
	[FK_FREEZE_REAPER] = { "reaper-freeze", "freeze-reaper", "thaw-reaper", 3, NODE },
	[FK_FREEZE_BOTH] = { "daemon+reaper-freeze", "freeze-both", "thaw-both", 6, NODE },
	[FK_CS_KILL] = { "corosync-kill", "cs-kill", "cs-start", 8, NODE, .outside = true },
	[FK_CS_FREEZE] = { "corosync-freeze", "cs-freeze", "cs-thaw", 8, NODE, .outside = true },
	[FK_CRASH] = { "node-crash", "crash", "restart", 10, NODE },
	[FK_CUT] = { "link-cut", "cut", "heal", 10, NODE, .split = true, .outside = true },
	[FK_STOP] = { "graceful-stop", "stop", "start", 6, NODE },
	[FK_CONN_LOST] = { "conn-lost", "conn-lost", NULL, 5, NODE },
	[FK_FLAP] = { "flap", NULL, NULL, 6, NODE, .split = true, .outside = true },
	[FK_PARTITION] = { "partition", NULL, NULL, 8, .split = true, .outside = true },
	[FK_HEALTH] = { "health-down", NULL, NULL, 4 },
	[FK_LINK] = { "iface-down", NULL, NULL, 4 },
	[FK_ADDR_GONE] = { "addr-gone", NULL, NULL, 3 },
	[FK_FAIL_ADD] = { "fail-add", NULL, NULL, 2 },
	[FK_DEL_FAIL] = { "release-fails", NULL, NULL, 5, .slow = true },
	[FK_ADD_FAIL] = { "add-fails", NULL, NULL, 2 },
	[FK_SLOW_ADDR] = { "slow-addr", NULL, NULL, 4, .slow = true },
	[FK_KILL_MID_STATE] = { "kill-mid-state", NULL, NULL, 6, NODE },
	[FK_QDEVICE_DOWN] = { "qdevice-down", NULL, NULL, 6, .outside = true },
#undef NODE
};

/* A daemon that cannot act (frozen, or killed with its reaper): see its use. */
static bool
mute(unsigned k)
{
	return k == FK_FREEZE_BOTH || k == FK_KILL_BOTH || k == FK_FREEZE;
}

static bool
frozen_and_cut(unsigned a, unsigned b)
{
	return (mute(a) && faults[b].outside) || (mute(b) && faults[a].outside);
}

/*
 * Directives the simulator may or may not have: each is tried on the parser
 * at start (probe_directives) and left out of the runs when refused.
 */
enum directive {
	D_STATE_CHUNK,	  /* state-chunk N, kill-mid-state NODES [CHUNKS] */
	D_ADDR_LATENCY,	  /* addr-latency [NODES] add=MS del=MS */
	D_ADDR_FAIL,	  /* addr-fail NODES add|del COUNT|always|off [VIP] */
	D_SKEW,		  /* skew NODES LO [HI] */
	D_CS_CALL,	  /* cs-call MS */
	D_EXPECTED_VOTES, /* expected-votes N [NODES] */
	D_QDEVICE_VOTE,	  /* qdevice-vote up|down */
	D_TIMING_NODES,	  /* timing token=MS consensus=MS NODES */
	_D_MAX,
};

static const char *const directive_probes[_D_MAX] = {
	[D_STATE_CHUNK] = "state-chunk 2\nat 1000 kill-mid-state n1 1\n",
	[D_ADDR_LATENCY] = "addr-latency add=1 del=1\nat 1000 addr-latency n1 add=1 del=2\n",
	[D_ADDR_FAIL] = "at 1000 addr-fail n1 del 2 web\nat 2000 addr-fail n1 del off web\n",
	[D_SKEW] = "skew n1 0 5\nat 1000 skew n2 1 5\n",
	[D_CS_CALL] = "cs-call 2\n",
	[D_EXPECTED_VOTES] = "at 1000 expected-votes 4 all\n",
	[D_QDEVICE_VOTE] = "qdevice 1\nat 1000 qdevice-vote down\n",
	[D_TIMING_NODES] = "at 1000 timing token=200 consensus=240 n1\n",
};

static bool have[_D_MAX];

static unsigned db_percent = 10; /* PROP_DB */
static unsigned maint_percent = 15; /* PROP_MAINT: of the admin commands, maintenance on/off */
static unsigned ban_percent = 20;   /* PROP_BAN: of the others, a ban */

static void
probe_directives(void)
{
	for (unsigned d = 0; d < _D_MAX; d++) {
		char text[512], err[512];
		struct scn *sc;

		snprintf(text, sizeof(text),
			 "nodes 3\nconfig\nvip web {\n\taddress: 10.1.0.1\n\tinterface: "
			 "eth0\n}\nend\nat 0 start all\n%s",
			 directive_probes[d]);
		have[d] = scn_parse(text, "probe", &sc, err, sizeof(err)) == 0;
		if (have[d])
			scn_free(sc);
	}
}

/* Options and parts of runs, counted for the coverage lines. */
enum feat {
	FT_QDEVICE,
	FT_TWO_NODE,
	FT_TWO_NODE_UNSAFE,
	FT_QDELAY,
	FT_LATENCY,
	FT_LEASE3,
	FT_PREEMPT_DELAY,
	FT_TOKEN_MIXED,
	FT_JOIN_BOOT,
	FT_JOIN_START,
	FT_JOIN_HEAL,
	FT_JOIN_CS_START,
	FT_JOIN_RESTART,
	FT_JOIN_BEFORE,
	FT_TWO_SAME_NODE,
	FT_TWO_OVERLAP,
	FT_RELOAD_SAME,
	FT_RELOAD_ADDR,
	FT_RELOAD_ADD,
	FT_RELOAD_DEL,
	FT_RELOAD_PLACE,
	FT_RELOAD_ROLLING,
	FT_MOVE,
	FT_STANDBY,
	FT_SLOW,
	FT_STATE_CHUNK,
	FT_ADDR_LATENCY,
	FT_SKEW,
	FT_CS_CALL,
	FT_EXPECTED_RAISE,
	FT_EXPECTED_LOWER,
	FT_SILENT, /* a daemon sent SILENT (rule 7): counted after the run */
	FT_GROUPS,
	FT_RELOAD_RENAME,
	FT_RELOAD_MOVE_ADDR,
	FT_DB,
	FT_DB_RELOAD,
	FT_MAINTENANCE,
	FT_BAN,
	FT_STAGGER,
	_FT_MAX,
};

static const char *const feat_names[_FT_MAX] = {
	[FT_QDEVICE] = "qdevice",
	[FT_TWO_NODE] = "two-node",
	[FT_TWO_NODE_UNSAFE] = "two-node-unsafe",
	[FT_QDELAY] = "quorum-delay",
	[FT_LATENCY] = "latency/jitter",
	[FT_LEASE3] = "kernel_lease-3s",
	[FT_PREEMPT_DELAY] = "preempt-delay",
	[FT_TOKEN_MIXED] = "token-lowered-on-some",
	[FT_JOIN_BOOT] = "join-boot",
	[FT_JOIN_START] = "join-daemon-start",
	[FT_JOIN_HEAL] = "join-heal",
	[FT_JOIN_CS_START] = "join-cs-start",
	[FT_JOIN_RESTART] = "join-restart",
	[FT_JOIN_BEFORE] = "join-before-fault",
	[FT_TWO_SAME_NODE] = "two-faults-same-node",
	[FT_TWO_OVERLAP] = "two-faults-overlap",
	[FT_RELOAD_SAME] = "reload-unchanged",
	[FT_RELOAD_ADDR] = "reload-address",
	[FT_RELOAD_ADD] = "reload-vip-added",
	[FT_RELOAD_DEL] = "reload-vip-removed",
	[FT_RELOAD_PLACE] = "reload-placement",
	[FT_RELOAD_ROLLING] = "reload-rolling",
	[FT_MOVE] = "move",
	[FT_STANDBY] = "standby",
	[FT_MAINTENANCE] = "maintenance",
	[FT_BAN] = "ban",
	[FT_STAGGER] = "staggered-start",
	[FT_SLOW] = "slow-releases",
	[FT_STATE_CHUNK] = "state-chunk",
	[FT_ADDR_LATENCY] = "addr-latency",
	[FT_SKEW] = "skew",
	[FT_CS_CALL] = "cs-call",
	[FT_EXPECTED_RAISE] = "expected-votes-raised",
	[FT_EXPECTED_LOWER] = "expected-votes-lowered",
	[FT_SILENT] = "silent-sent",
	[FT_GROUPS] = "vip-groups",
	[FT_RELOAD_RENAME] = "reload-rename",
	[FT_RELOAD_MOVE_ADDR] = "reload-group-address-moved",
	[FT_DB] = "database",
	[FT_DB_RELOAD] = "database-keys-reloaded",
};

/* ---- the generator's state ---- */

struct vipc {
	bool present;
	unsigned addr_gen; /* address 10.<1 + addr_gen>.<v / 200>.<1 + v % 200> */
	unsigned name_gen; /* name v<v>, or v<v>r<name_gen> after a rename */
	unsigned extra[2], n_extra; /* a group's other addresses: 10.250.<x / 200>.<1 + x % 200> */
	unsigned prefer[3], n_prefer;
	bool sticky, preempt, check;
};

struct ev {
	uint64_t at;
	unsigned seq;
	size_t off; /* its text in pool: one command (a reload: with its config and "end") */
};

struct gen {
	uint64_t qdelay_hi; /* the quorum-delay's upper bound, 0 = none */
	unsigned preempt_delay_ms; /* FT_PREEMPT_DELAY: the cluster's preempt_delay */
	uint64_t rng;
	uint64_t xrng; /* renames and groups: a run without them is the one its seed always gave */
	bool groups;   /* some VIPs have several addresses */
	unsigned next_extra;
	char *buf, *pool;
	size_t len, plen;
	struct ev evs[MAX_EVS];
	unsigned n_evs;
	unsigned n_nodes, token, consensus;
	bool two_node, unsafe, qdevice, skewed;
	unsigned state_chunk;	 /* VIPs per STATE chunk, 0: the engine's default */
	unsigned add_ms, del_ms; /* addr-latency of every node */
	unsigned expected;	 /* votequorum's expected votes by the config */
	bool restore_expected;	 /* expected-votes changed: set back at the end */
	bool slow;		 /* slow or failing removals: nothing leaves a holder outside */
	struct vipc vips[MAX_VIPS];
	unsigned n_slots;
	struct prop_db db; /* a database's VIPs and checks (issue 16) */
	uint64_t standby_seen; /* nodes a standby named: each unstandby'd at the end */
	bool maintenance_seen; /* maintenance on: off again at the end */
	unsigned banned[8];    /* VIPs a ban named: each cleared at the end */
	unsigned n_banned;
	uint64_t pick_busy;    /* a picking fault's commands run until then */
	uint64_t end;	       /* the last command's time */
	enum mix mix;
	unsigned n_faults, fault[4], fault_node[4]; /* fault_node: the node named, 0 if picked */
	bool feat[_FT_MAX];
	char summary[1024];
	size_t slen;
};

static uint64_t
draw(uint64_t *state, uint64_t lo, uint64_t hi)
{
	uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	z ^= z >> 31;
	return hi <= lo ? lo : lo + z % (hi - lo + 1);
}

static uint64_t
rnd(struct gen *g, uint64_t lo, uint64_t hi)
{
	return draw(&g->rng, lo, hi);
}

/* The second stream: what older seeds never drew. */
static uint64_t
xrnd(struct gen *g, uint64_t lo, uint64_t hi)
{
	return draw(&g->xrng, lo, hi);
}

static bool
xchance(struct gen *g, unsigned percent)
{
	return xrnd(g, 0, 99) < percent;
}

static bool
chance(struct gen *g, unsigned percent)
{
	return rnd(g, 0, 99) < percent;
}

static unsigned
weighted(struct gen *g, const unsigned *w, unsigned n)
{
	unsigned total = 0, x;

	for (unsigned i = 0; i < n; i++)
		total += w[i];
	x = (unsigned)rnd(g, 0, total - 1);
	for (unsigned i = 0; i < n; i++) {
		if (x < w[i])
			return i;
		x -= w[i];
	}
	return n - 1;
}

static void add(struct gen *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sum(struct gen *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void evf(struct gen *g, uint64_t at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
add(struct gen *g, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	g->len += (size_t)vsnprintf(g->buf + g->len, TEXT_MAX - g->len, fmt, ap);
	va_end(ap);
	if (g->len >= TEXT_MAX)
		g->len = TEXT_MAX - 1;
}

/* The summary line. */
static void
sum(struct gen *g, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	g->slen += (size_t)vsnprintf(g->summary + g->slen, sizeof(g->summary) - g->slen, fmt, ap);
	va_end(ap);
	if (g->slen >= sizeof(g->summary))
		g->slen = sizeof(g->summary) - 1;
}

/* A timed command; they are written sorted by time (then by creation). */
static void
evf(struct gen *g, uint64_t at, const char *fmt, ...)
{
	struct ev *e = &g->evs[g->n_evs];
	va_list ap;
	int n;

	if (g->n_evs == MAX_EVS)
		return;
	e->at = at;
	e->seq = g->n_evs++;
	e->off = g->plen;
	va_start(ap, fmt);
	n = vsnprintf(g->pool + g->plen, POOL_MAX - g->plen, fmt, ap);
	va_end(ap);
	g->plen += (size_t)n + 1;
	if (g->plen > POOL_MAX) {
		g->plen = POOL_MAX;
		g->pool[POOL_MAX - 1] = '\0';
	}
	if (at > g->end)
		g->end = at;
}

static int
ev_cmp(const void *a, const void *b)
{
	const struct ev *x = a, *y = b;

	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* ---- config ---- */

static unsigned
any_node(struct gen *g)
{
	return (unsigned)rnd(g, 1, g->n_nodes);
}

/* A node not in avoid (any node if every one is). */
static unsigned
node_but(struct gen *g, uint64_t avoid)
{
	unsigned k = any_node(g);

	for (unsigned i = 0; i < g->n_nodes; i++, k = 1 + k % g->n_nodes)
		if (!(avoid & (UINT64_C(1) << (k - 1))))
			return k;
	return k;
}

static void
placement(struct gen *g, struct vipc *v)
{
	unsigned first = any_node(g);

	v->n_prefer = (unsigned)rnd(g, 0, g->n_nodes < 2 ? g->n_nodes : 2);
	for (unsigned k = 0; k < v->n_prefer; k++)
		v->prefer[k] = 1 + (first - 1 + k) % g->n_nodes;
	v->sticky = rnd(g, 0, 3) != 0;
	v->preempt = v->n_prefer && chance(g, 50);
	v->check = rnd(g, 0, 3) == 0;
}

/* VIP i's name now (a rename gives it another, a rename back the first). */
static const char *
vname(const struct gen *g, unsigned i)
{
	static char buf[4][32];
	static unsigned k;
	char *b = buf[k++ % 4];

	if (g->vips[i].name_gen)
		snprintf(b, sizeof(buf[0]), "v%ur%u", i, g->vips[i].name_gen);
	else
		snprintf(b, sizeof(buf[0]), "v%u", i);
	return b;
}

static size_t
vip_text(const struct gen *g, unsigned i, char *out, size_t cap)
{
	const struct vipc *v = &g->vips[i];
	size_t at = 0;

	at += (size_t)snprintf(out + at, cap - at, "vip %s {\n\taddress: 10.%u.%u.%u\n",
			       vname(g, i), 1 + v->addr_gen, i / 200, 1 + i % 200);
	for (unsigned k = 0; k < v->n_extra; k++)
		at += (size_t)snprintf(out + at, cap - at, "\taddress: 10.250.%u.%u\n",
				       v->extra[k] / 200, 1 + v->extra[k] % 200);
	at += (size_t)snprintf(out + at, cap - at, "\tinterface: eth0\n");
	if (v->n_prefer) {
		at += (size_t)snprintf(out + at, cap - at, "\tprefer:");
		for (unsigned k = 0; k < v->n_prefer; k++)
			at += (size_t)snprintf(out + at, cap - at, " n%u", v->prefer[k]);
		at += (size_t)snprintf(out + at, cap - at, "\n");
	}
	at += (size_t)snprintf(out + at, cap - at, "\tstickiness: %s\n", v->sticky ? "yes" : "no");
	if (v->preempt)
		at += (size_t)snprintf(out + at, cap - at, "\tpreempt: yes\n");
	if (v->check)
		at += (size_t)snprintf(out + at, cap - at, "\tcheck: up\n");
	at += (size_t)snprintf(out + at, cap - at, "}\n");
	return at;
}

/* The corovip.conf of the VIPs present now (without "config"/"end"). */
static void
config_text(const struct gen *g, char *out, size_t cap)
{
	char delay[48] = "";
	size_t at;

	if (g->feat[FT_PREEMPT_DELAY])
		snprintf(delay, sizeof(delay), "\tpreempt_delay: %ums\n", g->preempt_delay_ms);
	at = (size_t)snprintf(out, cap,
			      "cluster {\n\tkernel_lease: %us\n%s%s}\ncheck up {\n\texec: "
			      "/bin/true\n}\n",
			      g->feat[FT_LEASE3] ? 3 : 2, g->unsafe ? "\ttwo_node_unsafe: yes\n" : "",
			      delay);

	for (unsigned i = 0; i < g->n_slots && at < cap; i++)
		if (g->vips[i].present)
			at += vip_text(g, i, out + at, cap - at);
	if (at < cap)
		prop_db_config(&g->db, out + at, cap - at);
}

/* prop-db.c's commands and summary. */
static void
db_emit(void *ctx, uint64_t at, const char *line)
{
	evf(ctx, at, "%s", line);
}

static void
db_sum(void *ctx, const char *text)
{
	sum(ctx, "%s", text);
}

static unsigned
n_present(const struct gen *g)
{
	unsigned n = 0;

	for (unsigned i = 0; i < g->n_slots; i++)
		n += g->vips[i].present;
	return n;
}

/* A VIP of the current config. */
static unsigned
any_vip(struct gen *g)
{
	unsigned k = (unsigned)rnd(g, 0, g->n_slots - 1);

	for (unsigned i = 0; i < g->n_slots; i++, k = (k + 1) % g->n_slots)
		if (g->vips[k].present)
			return k;
	return 0;
}

/* ---- faults ---- */

static void
gen_partition(struct gen *g, uint64_t at)
{
	unsigned groups = g->n_nodes >= 3 && chance(g, 30) ? 3 : 2, grp[MAX_NODES + 1];
	char text[128];
	size_t l = 0;

	do {
		unsigned seen = 0;

		for (unsigned i = 1; i <= g->n_nodes; i++) {
			grp[i] = (unsigned)rnd(g, 1, groups);
			seen |= 1u << grp[i];
		}
		if (__builtin_popcount(seen) >= 2)
			break;
	} while (true);
	for (unsigned k = 1; k <= groups; k++) {
		bool first = true;

		for (unsigned i = 1; i <= g->n_nodes; i++)
			if (grp[i] == k) {
				l += (size_t)snprintf(text + l, sizeof(text) - l, "%s%sn%u",
						      first && l ? " | " : "", first ? "" : ",", i);
				first = false;
			}
	}
	evf(g, at, "partition %s\n", text);
	sum(g, " %s", text);
}

/*
 * Whom a fault hits: a VIP's holder or the highest idle node (picked when the
 * fault runs) when may_pick, else (or sometimes anyway) a node not in avoid.
 * Only one picking fault may be between its pick and its repair at a time:
 * "picked" is the last pick.
 */
static bool
gen_target(struct gen *g, bool may_pick, uint64_t avoid, char *who, size_t len, char *again,
	   size_t alen)
{
	unsigned k = may_pick ? (unsigned)rnd(g, 0, 3) : 3;

	if (k == 2 && avoid)
		k = 1;
	if (k <= 1)
		snprintf(who, len, "holder:%s",
			 prop_db_pick_primary(&g->db) ? "db" : vname(g, any_vip(g)));
	else if (k == 2)
		snprintf(who, len, "idle");
	else
		snprintf(who, len, "n%u", node_but(g, avoid));
	snprintf(again, alen, "%s", k <= 2 ? "picked" : who);
	return k <= 2;
}

/*
 * Fault kind k at f, repaired at h (when it has a repair), on the node
 * named by node if not 0, else by gen_target. Returns the time of its last
 * command.
 */
static uint64_t
gen_fault(struct gen *g, unsigned k, uint64_t f, uint64_t h, bool may_pick, uint64_t avoid,
	  unsigned node)
{
	const struct fault *ft = &faults[k];
	char who[32], again[32];
	bool picked = false;
	uint64_t last = f;
	unsigned x = node ? node : node_but(g, avoid), v = any_vip(g);

	if (k == FK_CRASH && h < f + 2000)
		h += 2000; /* a node takes a moment to boot */
	/* A daemon and reaper frozen long enough for an exchange to tell them
	 * SILENT (L) and for a takeover at rule 4's deadline (L + K + 1 s)
	 * before the thaw: the thawed daemon reads a stale queue; with a
	 * second fault, one may kill the frozen daemon (its blocker clears at
	 * its leave + K + 1 s: adv7-kill-frozen-daemon). Not with slow
	 * removals: a handoff over 4H asks for a word, and the exchange that
	 * starts waits L more for the frozen daemon's STATE, past the
	 * checker's bound. */
	if (k == FK_FREEZE_BOTH && !g->slow && chance(g, 40))
		h = f + rnd(g, 2000, 9000);
	/* In a database run, sometimes far longer: each member judges the
	 * frozen daemon silent at its own time, yet a frozen primary still
	 * counts in an exclusive VIP's split as it said last, until it thaws
	 * and speaks (advY-split-frozen-*). */
	if (k == FK_FREEZE_BOTH && !g->slow && g->db.on && chance(g, 30))
		h = f + rnd(g, 10000, 20000);
	g->fault[g->n_faults] = k;
	g->fault_node[g->n_faults++] = node ? node : 0;
	if (node) {
		snprintf(who, sizeof(who), "n%u", node);
		snprintf(again, sizeof(again), "n%u", node);
	} else {
		picked = gen_target(g, may_pick, avoid, who, sizeof(who), again, sizeof(again));
		if (!picked && ft->node)
			g->fault_node[g->n_faults - 1] = (unsigned)strtoul(who + 1, NULL, 10);
	}
	sum(g, " | %s", ft->name);
	if (ft->cmd) {
		evf(g, f, "%s %s\n", ft->cmd, who);
		sum(g, " %s@%llu", who, (unsigned long long)f);
		if (ft->repair) {
			evf(g, h, "%s %s\n", ft->repair, again);
			sum(g, "-%llu", (unsigned long long)h);
			last = h;
		}
	} else
		switch (k) {
		case FK_FLAP: {
			uint64_t every = rnd(g, 50, 600), times = rnd(g, 2, 4);

			evf(g, f, "flap %s every %llu times %llu\n", who, (unsigned long long)every,
			    (unsigned long long)times);
			sum(g, " %s@%llu every %llu x%llu", who, (unsigned long long)f,
			    (unsigned long long)every, (unsigned long long)times);
			last = f + 2 * every * times;
			break;
		}
		case FK_PARTITION:
			gen_partition(g, f);
			evf(g, h, "heal-all\n");
			sum(g, "@%llu-%llu", (unsigned long long)f, (unsigned long long)h);
			last = h;
			picked = false;
			break;
		case FK_HEALTH:
			evf(g, f, "health n%u up down\n", x);
			evf(g, h, "health n%u up up\n", x);
			sum(g, " n%u@%llu-%llu", x, (unsigned long long)f, (unsigned long long)h);
			last = h;
			picked = false;
			break;
		case FK_LINK:
			evf(g, f, "link n%u eth0 down\n", x);
			evf(g, h, "link n%u eth0 up\n", x);
			sum(g, " n%u@%llu-%llu", x, (unsigned long long)f, (unsigned long long)h);
			last = h;
			picked = false;
			break;
		case FK_ADDR_GONE:
			evf(g, f, "addr-gone n%u %s\n", x, vname(g, v));
			sum(g, " n%u v%u@%llu", x, v, (unsigned long long)f);
			picked = false;
			break;
		case FK_FAIL_ADD: /* from then on */
			evf(g, f, "fail-add n%u %s\n", x, vname(g, v));
			sum(g, " n%u v%u@%llu", x, v, (unsigned long long)f);
			picked = false;
			break;
		case FK_DEL_FAIL:
		case FK_ADD_FAIL: {
			const char *op = k == FK_DEL_FAIL ? "del" : "add";
			char count[16], vip[16] = "";

			if (k == FK_DEL_FAIL && chance(g, 30))
				snprintf(count, sizeof(count), "always");
			else
				snprintf(count, sizeof(count), "%llu",
					 (unsigned long long)rnd(g, 1, 3));
			if (chance(g, 60))
				snprintf(vip, sizeof(vip), " %s", vname(g, v));
			evf(g, f, "addr-fail n%u %s %s%s\n", x, op, count, vip);
			evf(g, h, "addr-fail n%u %s off%s\n", x, op, vip);
			sum(g, " n%u %s%s@%llu-%llu", x, count, vip, (unsigned long long)f,
			    (unsigned long long)h);
			last = h;
			picked = false;
			break;
		}
		case FK_SLOW_ADDR: {
			uint64_t a = rnd(g, 0, 100), d = rnd(g, 100, 1500);

			evf(g, f, "addr-latency n%u add=%llu del=%llu\n", x, (unsigned long long)a,
			    (unsigned long long)d);
			evf(g, h, "addr-latency n%u add=%u del=%u\n", x, g->add_ms, g->del_ms);
			sum(g, " n%u add=%llu del=%llu@%llu-%llu", x, (unsigned long long)a,
			    (unsigned long long)d, (unsigned long long)f, (unsigned long long)h);
			last = h;
			picked = false;
			break;
		}
		case FK_KILL_MID_STATE: {
			uint64_t chunks = rnd(g, 1, 2);

			evf(g, f, "kill-mid-state %s %llu\n", who, (unsigned long long)chunks);
			sum(g, " %s@%llu after %llu", who, (unsigned long long)f,
			    (unsigned long long)chunks);
			break;
		}
		default: /* FK_QDEVICE_DOWN */
			evf(g, f, "qdevice-vote down\n");
			evf(g, h, "qdevice-vote up\n");
			sum(g, "@%llu-%llu", (unsigned long long)f, (unsigned long long)h);
			last = h;
			picked = false;
			break;
		}
	if (picked && last > g->pick_busy)
		g->pick_busy = last;
	/* a flap is one command that lasts: the cleanup's unstandby must come
	 * after its last heal, or it is refused as sent across a membership
	 * change (seed 4012808) */
	if (last > g->end)
		g->end = last;
	return last;
}

/* A fault kind this cluster can take: with two_node_unsafe a split is two holders by design. */
static unsigned
pick_fault(struct gen *g)
{
	unsigned w[_FK_MAX];

	/*
	 * Slow or failing removals and a holder left outside a quorate
	 * partition do not go together: the checker wants it empty 100 ms
	 * after (invariant 2), whatever the kernel's latency. A slow run gets
	 * its slow fault from gen_slow.
	 */
	for (unsigned k = 0; k < _FK_MAX; k++)
		w[k] = (g->unsafe && faults[k].split) || faults[k].slow ||
			       (g->slow && faults[k].outside)
			   ? 0
			   : faults[k].weight;
	if (!have[D_ADDR_FAIL])
		w[FK_ADD_FAIL] = 0;
	/* a STATE of more than one chunk to cut short */
	if (!have[D_STATE_CHUNK] || !g->state_chunk || g->n_slots <= g->state_chunk)
		w[FK_KILL_MID_STATE] = 0;
	if (!have[D_QDEVICE_VOTE] || !g->qdevice)
		w[FK_QDEVICE_DOWN] = 0;
	/* The simulator's limits (tests/golden/README.md): a lost connection
	 * while a ring forms has its old leave delivered after the rejoin, and
	 * with delivery skew the dead connection's confchgs after its loss. */
	if (g->mix != MIX_SINGLE)
		w[FK_CONN_LOST] = 0;
	if (g->skewed)
		w[FK_CONN_LOST] = w[FK_CS_KILL] = 0;
	return weighted(g, w, _FK_MAX);
}

/*
 * A slow run's removals: slow on a node (or every node, by the header) or
 * failing there a few times or until the repair, from a moment before the
 * fault on (often the fault's own node).
 */
static void
gen_slow(struct gen *g, uint64_t f1)
{
	unsigned w[_FK_MAX] = {}, node = 0, k;
	uint64_t at = f1 > 500 ? f1 - rnd(g, 0, 500) : f1;

	if (have[D_ADDR_LATENCY])
		w[FK_SLOW_ADDR] = g->del_ms >= 100 ? 1 : 3;
	if (have[D_ADDR_FAIL])
		w[FK_DEL_FAIL] = 3;
	if (g->del_ms >= 100 && chance(g, 40))
		return; /* the header's latency is enough */
	if (g->fault_node[0] && chance(g, 50))
		node = g->fault_node[0];
	else
		node = any_node(g);
	k = weighted(g, w, _FK_MAX);
	gen_fault(g, k, at, at + rnd(g, 1000, 4000), false, 0, node);
}

/* corosync first, then each daemon 0-500 ms later, in any order (issue 21: the start-up wait). */
static void
stagger_start(struct gen *g)
{
	evf(g, 0, "cs-start all\n");
	sum(g, " | staggered");
	for (unsigned i = 1; i <= g->n_nodes; i++) {
		uint64_t at = 1 + xrnd(g, 0, 500);

		evf(g, at, "start n%u\n", i);
		sum(g, " n%u@%llu", i, (unsigned long long)at);
	}
	g->feat[FT_STAGGER] = true;
}

/* ---- joins ---- */

enum join { J_BOOT, J_START, J_HEAL, J_CS_START, J_RESTART, _J_MAX };

/* Node k is down from the start (or from a moment before the window); returns how it comes back. */
static enum join
join_setup(struct gen *g, unsigned k, uint64_t *pre, char *start_cmd, size_t len)
{
	static const unsigned w[_J_MAX] = { 25, 25, 20, 15, 15 };
	unsigned wj[_J_MAX];
	enum join j;

	memcpy(wj, w, sizeof(wj));
	if (g->unsafe)
		wj[J_HEAL] = 0; /* alone and quorate under two_node: two holders by design */
	j = (enum join)weighted(g, wj, _J_MAX);
	*pre = rnd(g, 0, 1000);
	snprintf(start_cmd, len, "start all");
	switch (j) {
	case J_BOOT:
		add(g, "down n%u\n", k);
		g->feat[FT_JOIN_BOOT] = true;
		break;
	case J_START: {
		size_t l = (size_t)snprintf(start_cmd, len, "start ");

		for (unsigned i = 1, first = 1; i <= g->n_nodes; i++)
			if (i != k) {
				l += (size_t)snprintf(start_cmd + l, len - l, "%sn%u",
						      first ? "" : ",", i);
				first = 0;
			}
		g->feat[FT_JOIN_START] = true;
		break;
	}
	case J_HEAL:
		evf(g, *pre, "cut n%u\n", k);
		g->feat[FT_JOIN_HEAL] = true;
		break;
	case J_CS_START:
		evf(g, *pre, "cs-kill n%u\n", k);
		g->feat[FT_JOIN_CS_START] = true;
		break;
	default:
		evf(g, *pre, "crash n%u\n", k);
		g->feat[FT_JOIN_RESTART] = true;
		break;
	}
	return j;
}

static void
join_now(struct gen *g, enum join j, unsigned k, uint64_t at)
{
	static const char *const cmds[_J_MAX] = { "restart", "start", "heal", "cs-start",
						  "restart" };
	static const char *const names[_J_MAX] = { "boot", "daemon-start", "heal", "cs-start",
						   "restart" };

	evf(g, at, "%s n%u\n", cmds[j], k);
	sum(g, " | join %s n%u@%llu", names[j], k, (unsigned long long)at);
}

/* ---- reloads ---- */

/* A group of 1-2 more addresses (in a run with groups: half the VIPs). */
static void
maybe_group(struct gen *g, struct vipc *v)
{
	if (!g->groups || !xchance(g, 50))
		return;
	v->n_extra = (unsigned)xrnd(g, 1, 2);
	for (unsigned k = 0; k < v->n_extra; k++)
		v->extra[k] = g->next_extra++;
}

enum reload_change { RC_SAME, RC_ADDR, RC_ADD, RC_DEL, RC_PLACE, _RC_MAX };

static void
reload_change(struct gen *g, enum reload_change c)
{
	unsigned v = any_vip(g);

	switch (c) {
	case RC_ADDR:
		g->vips[v].addr_gen++;
		sum(g, " addr-v%u", v);
		g->feat[FT_RELOAD_ADDR] = true;
		break;
	case RC_ADD:
		if (g->n_slots == MAX_VIPS)
			break;
		v = g->n_slots++;
		g->vips[v].present = true;
		placement(g, &g->vips[v]);
		maybe_group(g, &g->vips[v]);
		sum(g, " add-v%u", v);
		g->feat[FT_RELOAD_ADD] = true;
		break;
	case RC_DEL:
		if (n_present(g) < 2)
			break;
		g->vips[v].present = false;
		sum(g, " del-v%u", v);
		g->feat[FT_RELOAD_DEL] = true;
		break;
	case RC_PLACE:
		placement(g, &g->vips[v]);
		sum(g, " place-v%u", v);
		g->feat[FT_RELOAD_PLACE] = true;
		break;
	default:
		sum(g, " unchanged");
		g->feat[FT_RELOAD_SAME] = true;
		break;
	}
}

/* A present VIP, by the second stream. */
static unsigned
x_any_vip(struct gen *g)
{
	unsigned k = (unsigned)xrnd(g, 0, g->n_slots - 1);

	for (unsigned i = 0; i < g->n_slots; i++, k = (k + 1) % g->n_slots)
		if (g->vips[k].present)
			return k;
	return 0;
}

/* A rename (the same addresses under a new name), or back to the first name. */
static bool
rename_vip(struct gen *g)
{
	unsigned v = x_any_vip(g);
	struct vipc *c = &g->vips[v];

	c->name_gen = c->name_gen && xchance(g, 50) ? 0 : c->name_gen + 1;
	sum(g, " rename-v%u-%s", v, vname(g, v));
	g->feat[FT_RELOAD_RENAME] = true;
	return true;
}

/* One address of a group moves to another VIP (maybe a new one). */
static bool
move_group_address(struct gen *g)
{
	unsigned a = x_any_vip(g), b;

	for (unsigned i = 0; i < g->n_slots && !(g->vips[a].present && g->vips[a].n_extra);
	     i++)
		a = (a + 1) % g->n_slots;
	if (!g->vips[a].present || !g->vips[a].n_extra)
		return false;
	if (g->n_slots < MAX_VIPS && xchance(g, 30)) {
		b = g->n_slots++;
		g->vips[b] = (struct vipc){ .present = true };
		placement(g, &g->vips[b]);
	} else {
		b = x_any_vip(g);
		for (unsigned i = 0; i < g->n_slots && (b == a || !g->vips[b].present ||
							 g->vips[b].n_extra == 2);
		     i++)
			b = (b + 1) % g->n_slots;
		if (b == a || !g->vips[b].present || g->vips[b].n_extra == 2)
			return false;
	}
	g->vips[b].extra[g->vips[b].n_extra++] = g->vips[a].extra[--g->vips[a].n_extra];
	sum(g, " addr-v%u-to-v%u", a, b);
	g->feat[FT_RELOAD_MOVE_ADDR] = true;
	return true;
}

/* A reload at at: every node at once, or node by node (then all, which sets the reference). */
static void
gen_reload(struct gen *g, uint64_t at)
{
	bool renamed = false, moved = false, rolling;

	static const unsigned w[_RC_MAX] = { 15, 35, 15, 15, 20 };
	static char text[CFG_MAX];
	unsigned n_changes = chance(g, 20) ? (unsigned)rnd(g, 2, 3) : 1;

	sum(g, " | reload");
	for (unsigned i = 0; i < n_changes; i++)
		reload_change(g, (enum reload_change)weighted(g, w, _RC_MAX));
	/* renames (rolling, mostly) and a group's address given to another VIP */
	if (xchance(g, 8))
		renamed = rename_vip(g);
	if (prop_db_reload(&g->db, db_sum, g))
		g->feat[FT_DB_RELOAD] = true;
	if (g->groups && xchance(g, 40))
		moved = move_group_address(g);
	config_text(g, text, sizeof(text));
	rolling = g->n_nodes > 1 && chance(g, 35);
	if (!rolling && (renamed || moved) && g->n_nodes > 1 && xchance(g, 70))
		rolling = true;
	if (rolling) {
		unsigned order[MAX_NODES], m = (unsigned)rnd(g, 1, g->n_nodes - 1);

		for (unsigned i = 0; i < g->n_nodes; i++)
			order[i] = i + 1;
		for (unsigned i = g->n_nodes - 1; i > 0; i--) {
			unsigned j = (unsigned)rnd(g, 0, i), t = order[i];

			order[i] = order[j];
			order[j] = t;
		}
		sum(g, " rolling");
		for (unsigned i = 0; i < m; i++) {
			evf(g, at, "reload n%u\n%send\n", order[i], text);
			sum(g, " n%u@%llu", order[i], (unsigned long long)at);
			at += rnd(g, 0, 600);
		}
		g->feat[FT_RELOAD_ROLLING] = true;
		/* the rest keep the old names a while */
		if ((renamed || moved) && xchance(g, 50))
			at += xrnd(g, 500, 3000);
	}
	evf(g, at, "reload all\n%send\n", text);
	sum(g, " all@%llu", (unsigned long long)at);
}

/* ---- admin commands ---- */

/* Maintenance on, and off a while later (at the cleanup too: a lost off). */
static void
gen_maintenance(struct gen *g, uint64_t at)
{
	unsigned via = any_node(g), via2 = any_node(g);
	uint64_t off = at + rnd(g, 300, 6000);

	evf(g, at, "maintenance on via n%u\n", via);
	evf(g, off, "maintenance off via n%u\n", via2);
	sum(g, " | maintenance via n%u@%llu-%llu via n%u", via, (unsigned long long)at,
	    (unsigned long long)off, via2);
	g->maintenance_seen = true;
	g->feat[FT_MAINTENANCE] = true;
}

/* A ban, with a lifetime or not, and maybe a clear a while later (at the cleanup too). */
static void
gen_ban(struct gen *g, uint64_t at)
{
	unsigned x = any_node(g), via = any_node(g), v = any_vip(g);
	unsigned lifetime = chance(g, 50) ? (unsigned)rnd(g, 300, 5000) : 0;

	if (lifetime)
		evf(g, at, "ban %s n%u lifetime %u via n%u\n", vname(g, v), x, lifetime, via);
	else
		evf(g, at, "ban %s n%u via n%u\n", vname(g, v), x, via);
	sum(g, " | ban v%u n%u lifetime %u via n%u@%llu", v, x, lifetime, via,
	    (unsigned long long)at);
	if (g->n_banned < sizeof(g->banned) / sizeof(g->banned[0]))
		g->banned[g->n_banned++] = v;
	g->feat[FT_BAN] = true;
	if (chance(g, 60)) {
		uint64_t u = at + rnd(g, 50, 4000);
		bool one = chance(g, 50);

		via = any_node(g);
		if (one)
			evf(g, u, "clear %s n%u via n%u\n", vname(g, v), x, via);
		else
			evf(g, u, "clear %s via n%u\n", vname(g, v), via);
		sum(g, " clear%s via n%u@%llu", one ? " one" : "", via, (unsigned long long)u);
	}
}

static void
gen_admin(struct gen *g, uint64_t at)
{
	unsigned x = any_node(g), via = any_node(g);

	if (xchance(g, maint_percent)) {
		gen_maintenance(g, at);
		return;
	}
	if (xchance(g, ban_percent)) {
		gen_ban(g, at);
		return;
	}
	if (chance(g, 50)) {
		unsigned v = any_vip(g);

		if (chance(g, 75)) {
			evf(g, at, "move %s n%u via n%u\n", vname(g, v), x, via);
			sum(g, " | move v%u n%u via n%u@%llu", v, x, via, (unsigned long long)at);
		} else {
			evf(g, at, "move %s n%u\n", vname(g, v), x);
			sum(g, " | move v%u n%u@%llu", v, x, (unsigned long long)at);
		}
		g->feat[FT_MOVE] = true;
		return;
	}
	evf(g, at, "standby n%u via n%u\n", x, via);
	sum(g, " | standby n%u via n%u@%llu", x, via, (unsigned long long)at);
	g->standby_seen |= UINT64_C(1) << (x - 1);
	g->feat[FT_STANDBY] = true;
	if (chance(g, 80)) {
		uint64_t u = at + rnd(g, 100, 3000);

		via = any_node(g);
		evf(g, u, "unstandby n%u via n%u\n", x, via);
		sum(g, " unstandby via n%u@%llu", via, (unsigned long long)u);
	}
}

/* ---- one run ---- */

static uint64_t
repair_time(struct gen *g, uint64_t f)
{
	return f + rnd(g, 200, 3000);
}

static void
generate(struct gen *g, uint64_t seed)
{
	static const unsigned timings[][2] = { { 300, 360 }, { 200, 240 }, { 1000, 1200 } };
	static char text[CFG_MAX];
	char start_cmd[64] = "start all";
	unsigned t, join_node = 0, k1;
	uint64_t f1, end1, until, pre = 0, h2;
	enum join join = J_BOOT;
	bool want_two, want_join, want_reload, want_admin;

	char *buf = g->buf ? g->buf : calloc(1, TEXT_MAX),
	     *pool = g->pool ? g->pool : calloc(1, POOL_MAX);

	if (!buf || !pool)
		abort();
	memset(g, 0, offsetof(struct gen, summary));
	g->buf = buf;
	g->pool = pool;
	g->rng = seed;
	g->xrng = seed ^ UINT64_C(0x6a09e667f3bcc909);
	g->slen = 0;
	g->summary[0] = '\0';
	g->mix = (enum mix)weighted(g, mix_weights, _MIX_MAX);

	/* The cluster. */
	t = (unsigned)rnd(g, 0, 2);
	g->token = timings[t][0];
	g->consensus = timings[t][1];
	g->n_nodes = (unsigned)rnd(g, 3, 5);
	if (chance(g, 8)) {
		g->two_node = true;
		g->unsafe = chance(g, 50);
		g->n_nodes = 2;
	} else if (chance(g, 13)) {
		g->qdevice = true;
		g->n_nodes = (unsigned)rnd(g, 2, 5);
	}
	/*
	 * two_node_unsafe gives up safety for a split by design, and the model
	 * has no wait_for_all (a node that starts alone would be quorate): one
	 * fault, no join.
	 */
	if (g->unsafe && (g->mix == MIX_JOIN || g->mix == MIX_TWO || g->mix == MIX_STORM)) {
		static const enum mix one[] = { MIX_SINGLE, MIX_RELOAD, MIX_ADMIN };

		g->mix = one[rnd(g, 0, 2)];
	}
	/* slow or failing removals: one fault that leaves nobody outside, moves, reloads */
	g->slow = (g->mix == MIX_SINGLE || g->mix == MIX_RELOAD || g->mix == MIX_ADMIN) &&
		  (have[D_ADDR_LATENCY] || have[D_ADDR_FAIL]) && chance(g, 30);
	g->feat[FT_SLOW] = g->slow;
	g->feat[FT_QDEVICE] = g->qdevice;
	g->feat[FT_TWO_NODE] = g->two_node && !g->unsafe;
	g->feat[FT_TWO_NODE_UNSAFE] = g->unsafe;
	g->feat[FT_LEASE3] = chance(g, 15);
	g->feat[FT_PREEMPT_DELAY] = chance(g, 20);
	g->preempt_delay_ms = (unsigned)rnd(g, 1, 30) * 100;
	g->n_slots = (unsigned)rnd(g, 1, 20);
	for (unsigned v = 0; v < g->n_slots; v++) {
		g->vips[v].present = true;
		placement(g, &g->vips[v]);
	}
	add(g, "# prop-test seed %llu, mix %s\nnodes %u\nseed %llu\ntiming token=%u consensus=%u\n",
	    (unsigned long long)seed, mix_names[g->mix], g->n_nodes, (unsigned long long)seed,
	    g->token, g->consensus);
	sum(g, "%s: %u nodes, %u VIPs, token %u", mix_names[g->mix], g->n_nodes, g->n_slots,
	    g->token);
	g->groups = xchance(g, 5);
	for (unsigned v = 0; v < g->n_slots; v++)
		maybe_group(g, &g->vips[v]);
	if (g->groups) {
		sum(g, ", groups");
		g->feat[FT_GROUPS] = true;
	}
	if (g->qdevice) {
		add(g, "qdevice 1\n");
		sum(g, ", qdevice");
	}
	if (g->two_node) {
		add(g, "two-node yes\n");
		if (!g->unsafe)
			add(g, "liveness no\n"); /* refused: nothing is ever held */
		sum(g, ", two_node%s", g->unsafe ? " unsafe" : " (refused)");
	}
	if (chance(g, 25)) {
		uint64_t hi = rnd(g, 10, 300);

		add(g, "quorum-delay 0 %llu\n", (unsigned long long)hi);
		sum(g, ", qdelay %llu", (unsigned long long)hi);
		g->feat[FT_QDELAY] = true;
		g->qdelay_hi = hi;
	}
	if (chance(g, 10)) {
		/* confchg skew below sync (20 ms): corosync gives every member its
		 * confchg before the ring's first message */
		uint64_t l = rnd(g, 1, 10), j = rnd(g, 0, 15);

		add(g, "latency %llu\njitter %llu\n", (unsigned long long)l, (unsigned long long)j);
		sum(g, ", latency %llu jitter %llu", (unsigned long long)l, (unsigned long long)j);
		g->feat[FT_LATENCY] = true;
	}
	if (g->feat[FT_LEASE3])
		sum(g, ", lease 3s");
	if (have[D_STATE_CHUNK] && chance(g, 20)) {
		g->state_chunk = (unsigned)rnd(g, 1, 4);
		add(g, "state-chunk %u\n", g->state_chunk);
		sum(g, ", state-chunk %u", g->state_chunk);
		g->feat[FT_STATE_CHUNK] = true;
	}
	if (have[D_ADDR_LATENCY] && (g->slow ? chance(g, 50) : chance(g, 15))) {
		/* beyond the checker's 100 ms for a node outside only in slow runs */
		g->add_ms = (unsigned)rnd(g, 0, g->slow ? 100 : 20);
		g->del_ms = (unsigned)(g->slow ? rnd(g, 100, 1500) : rnd(g, 0, 50));
		add(g, "addr-latency add=%u del=%u\n", g->add_ms, g->del_ms);
		sum(g, ", addr add=%u del=%u", g->add_ms, g->del_ms);
		g->feat[FT_ADDR_LATENCY] = true;
	}
	if (have[D_SKEW] && chance(g, 10)) {
		unsigned k = any_node(g), hi = (unsigned)rnd(g, 5, 60);

		add(g, "skew n%u 0 %u\n", k, hi);
		sum(g, ", skew n%u 0-%u", k, hi);
		g->feat[FT_SKEW] = g->skewed = true;
	}
	if (have[D_CS_CALL] && chance(g, 15)) {
		unsigned ms = (unsigned)rnd(g, 1, 10);

		add(g, "cs-call %u\n", ms);
		sum(g, ", cs-call %u", ms);
		g->feat[FT_CS_CALL] = true;
	}
	g->expected = g->n_nodes + (g->qdevice ? 1 : 0);
	prop_db_init(&g->db, seed, g->n_nodes, db_percent);
	if (g->db.on) {
		sum(g, ", db %u ro%s%s", g->db.n_ro, g->db.exclusive ? "" : ", not exclusive",
		    g->db.fallback ? "" : ", no fallback");
		g->feat[FT_DB] = true;
		prop_db_start(&g->db, db_emit, g);
	}
	config_text(g, text, sizeof(text));
	add(g, "config\n%send\n", text);

	/* What happens, and when. */
	want_two = g->mix == MIX_TWO || (g->mix == MIX_STORM && chance(g, 70));
	want_join = g->mix == MIX_JOIN || (g->mix == MIX_STORM && chance(g, 50));
	/* An even cluster and a device: the simulator gives a tied side the
	 * vote at once without taking it from the other (qnetd leaves a gap:
	 * the exceptions of docs/safety.md): one fault at a time there. */
	if (g->qdevice && g->n_nodes % 2 == 0)
		want_two = want_join = false;
	want_reload = g->mix == MIX_RELOAD || (g->mix == MIX_STORM && chance(g, 50));
	want_admin = g->mix == MIX_ADMIN || (g->mix == MIX_STORM && chance(g, 50));
	f1 = SETTLE_MS + rnd(g, 0, 1000);
	if (want_join) {
		join_node = any_node(g);
		join = join_setup(g, join_node, &pre, start_cmd, sizeof(start_cmd));
	}
	k1 = pick_fault(g);
	end1 = gen_fault(g, k1, f1, repair_time(g, f1), true,
			 join_node ? UINT64_C(1) << (join_node - 1) : 0, 0);
	if (want_join) {
		uint64_t at = f1 + rnd(g, 0, 500);

		if (chance(g, 20)) {
			at = f1 - rnd(g, 0, 300);
			g->feat[FT_JOIN_BEFORE] = true;
		}
		join_now(g, join, join_node, at);
	}
	if (want_two) {
		uint64_t f2 = f1 + rnd(g, 0, 2500);
		unsigned k = pick_fault(g), node = 0;

		/* A daemon that cannot act (frozen, or killed with its reaper,
		 * which has no repair time) while its node also loses its ring
		 * (or the other way round): nothing speaks for that node, only
		 * its kernel lease or its reaper's timeout end what it holds,
		 * maybe after the survivors' guard (docs/safety.md, the
		 * exceptions). Not generated. */
		while ((f2 <= end1 || k1 == FK_KILL_BOTH || k == FK_KILL_BOTH) &&
		       frozen_and_cut(k1, k))
			k = pick_fault(g);

		g->feat[FT_TWO_OVERLAP] = f2 <= end1;
		/* the same node as the first fault, when it named one */
		if (faults[k].node && g->fault_node[0] && chance(g, 30)) {
			node = g->fault_node[0];
			g->feat[FT_TWO_SAME_NODE] = true;
		}
		h2 = repair_time(g, f2);
		gen_fault(g, k, f2, h2, f2 > g->pick_busy, 0, node);
	}
	if (g->slow)
		gen_slow(g, f1);
	prop_db_flips(&g->db, f1 - 500, f1 + 3000, db_emit, db_sum, g);
	/*
	 * corosync-quorumtool -e. Lowered by one while a node is surely down (a
	 * crash of a named node, no other fault that could bring it back
	 * early): a quorum of the others is still a majority of whoever can be
	 * up; its restart brings the config's value back (a ring takes the
	 * highest its members know). Raised: quorum is only harder.
	 */
	if (have[D_EXPECTED_VOTES] && !g->two_node) {
		if (!want_two && g->fault[0] == FK_CRASH && g->fault_node[0] && end1 > f1 + 300 &&
		    chance(g, 40)) {
			uint64_t at = f1 + rnd(g, 100, end1 - f1 - 200);

			evf(g, at, "expected-votes %u all\n", g->expected - 1);
			sum(g, " | expected-votes %u@%llu", g->expected - 1,
			    (unsigned long long)at);
			g->feat[FT_EXPECTED_LOWER] = g->restore_expected = true;
		/* Raised while a late quorum notification (over the checker's
		 * 100 ms of rule 1) may be the only news of it: a member cannot
		 * let go in time of what it cannot know. Not generated. */
		} else if (!g->slow && g->qdelay_hi <= 100 && chance(g, 6)) {
			uint64_t at = f1 - 500 + rnd(g, 0, 3500);
			unsigned e = g->expected + (unsigned)rnd(g, 1, g->n_nodes / 2 + 1);

			evf(g, at, "expected-votes %u all\n", e);
			sum(g, " | expected-votes %u@%llu", e, (unsigned long long)at);
			g->feat[FT_EXPECTED_RAISE] = g->restore_expected = true;
		}
	}
	/*
	 * corosync's token lowered on some nodes only (a rolling edit of
	 * corosync.conf, corosync-cmapctl on one node): L differs between
	 * members around the fault (rule 5: heartbeats carry L). Only lowered:
	 * the checker's bounds follow the run's token.
	 */
	if (have[D_TIMING_NODES] && g->token >= 400 && chance(g, 8)) {
		uint64_t at = f1 - 500 + rnd(g, 0, 2500);
		unsigned tok = g->token / 2, n = (unsigned)rnd(g, 1, g->n_nodes - 1);
		char nodes[64] = "";
		size_t len = 0;

		for (unsigned i = 1; i <= n && len < sizeof(nodes) - 8; i++)
			len += (size_t)snprintf(nodes + len, sizeof(nodes) - len, "%sn%u",
						i > 1 ? "," : "", i);
		evf(g, at, "timing token=%u consensus=%u %s\n", tok, tok * 6 / 5, nodes);
		sum(g, " | token %u on %s@%llu", tok, nodes, (unsigned long long)at);
		g->feat[FT_TOKEN_MIXED] = true;
	}
	if (want_reload) {
		unsigned n = chance(g, 25) ? 2 : 1;

		for (unsigned i = 0; i < n; i++)
			gen_reload(g, f1 - 500 + rnd(g, 0, 3500));
	}
	if (want_admin) {
		unsigned n = (unsigned)rnd(g, 1, 3);

		for (unsigned i = 0; i < n; i++)
			gen_admin(g, f1 - 500 + rnd(g, 0, 3500));
	}
	/*
	 * Undo every standby and the expected votes once all is repaired and the
	 * rings had time to form (a standby run where the command was lost, or
	 * an older one that won by its stamp, would stay).
	 */
	if (g->standby_seen || g->restore_expected || g->maintenance_seen || g->n_banned) {
		uint64_t at = g->end + g->token + g->consensus + 2000;

		for (unsigned i = 0; i < g->n_banned; i++)
			evf(g, at, "clear %s\n", vname(g, g->banned[i]));
		if (g->maintenance_seen)
			evf(g, at, "maintenance off\n");
		for (unsigned i = 1; i <= g->n_nodes; i++)
			if (g->standby_seen & (UINT64_C(1) << (i - 1)))
				evf(g, at, "unstandby n%u\n", i);
		if (g->restore_expected)
			evf(g, at, "expected-votes %u all\n", g->expected);
		sum(g, " | cleanup@%llu", (unsigned long long)at);
	}

	/* Write it out. */
	if (strcmp(start_cmd, "start all") == 0 && xchance(g, 20))
		stagger_start(g); /* issue 21: daemons 0-500 ms apart, corosync up */
	else
		evf(g, 0, "%s\n", start_cmd);
	qsort(g->evs, g->n_evs, sizeof(g->evs[0]), ev_cmp);
	for (unsigned i = 0; i < g->n_evs; i++)
		add(g, "at %llu %s", (unsigned long long)g->evs[i].at, g->pool + g->evs[i].off);
	until = g->end + 5000 + rnd(g, 2000, 3000);
	add(g, "until %llu\n", (unsigned long long)until);
	sum(g, " | until %llu", (unsigned long long)until);
}

/* ---- running ---- */

struct shared {
	uint64_t done, failed;
	uint64_t mix[_MIX_MAX], fault[_FK_MAX], feat[_FT_MAX];
};

static void
count(struct shared *sh, const struct gen *g)
{
	__atomic_fetch_add(&sh->mix[g->mix], 1, __ATOMIC_RELAXED);
	for (unsigned i = 0; i < g->n_faults; i++)
		__atomic_fetch_add(&sh->fault[g->fault[i]], 1, __ATOMIC_RELAXED);
	for (unsigned i = 0; i < _FT_MAX; i++)
		if (g->feat[i])
			__atomic_fetch_add(&sh->feat[i], 1, __ATOMIC_RELAXED);
}

static void
report(const struct gen *g, uint64_t seed, FILE *out)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "prop-fail-%llu.scn", (unsigned long long)seed);
	fprintf(out, "---- failing scenario (seed %llu: %s):\n%s----\n", (unsigned long long)seed,
		g->summary, g->buf);
	f = fopen(path, "w");
	if (f) {
		fputs(g->buf, f);
		fclose(f);
		fprintf(out, "written to %s; rerun: tests/golden/run-golden --trace %s\n", path,
			path);
	}
	fprintf(out, "or: PROP_SEED=%llu PROP_RUNS=1 tests/golden/prop-test\n",
		(unsigned long long)seed);
}

/* One run; its output is written at once (workers share stdout). Returns true if it failed. */
static bool
run_one(struct gen *g, uint64_t seed, bool verbose, struct shared *sh)
{
	char *text = NULL, err[512], name[64];
	size_t tlen = 0, fails = 0;
	FILE *out = open_memstream(&text, &tlen);
	struct scn *sc;

	if (!out)
		abort();
	generate(g, seed);
	snprintf(name, sizeof(name), "prop-%llu", (unsigned long long)seed);
	if (verbose)
		fprintf(out, "seed %llu: %s\n", (unsigned long long)seed, g->summary);
	if (scn_parse(g->buf, name, &sc, err, sizeof(err)) < 0) {
		fprintf(out, "generated scenario does not parse: %s\n", err);
		fails = 1;
	} else {
		fails = scn_run(sc, false, out);
		g->feat[FT_SILENT] = scn_silent_sent(sc) > 0;
		scn_free(sc);
	}
	count(sh, g);
	if (fails)
		report(g, seed, out);
	fclose(out);
	if (tlen) {
		fwrite(text, 1, tlen, stdout);
		fflush(stdout);
	}
	free(text);
	return fails != 0;
}

static uint64_t
env_u64(const char *name, uint64_t def)
{
	const char *v = getenv(name);

	return v && *v ? strtoull(v, NULL, 0) : def;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct plan {
	uint64_t runs, base, max_fail, progress;
	unsigned jobs;
	bool verbose;
};

/* Worker w of p->jobs: runs base + w, base + w + jobs, ... */
static void
worker(const struct plan *p, unsigned w, struct shared *sh, bool print_progress)
{
	struct gen g = {};
	double start = now_s(), last = start;

	for (uint64_t i = w; i < p->runs; i += p->jobs) {
		if (__atomic_load_n(&sh->failed, __ATOMIC_RELAXED) >= p->max_fail)
			break;
		if (run_one(&g, p->base + i, p->verbose, sh))
			__atomic_fetch_add(&sh->failed, 1, __ATOMIC_RELAXED);
		__atomic_fetch_add(&sh->done, 1, __ATOMIC_RELAXED);
		if (print_progress && p->progress && now_s() - last >= (double)p->progress) {
			last = now_s();
			printf("# prop-test: %llu/%llu runs, %llu failed, %.0f s\n",
			       (unsigned long long)sh->done, (unsigned long long)p->runs,
			       (unsigned long long)sh->failed, last - start);
			fflush(stdout);
		}
	}
	free(g.buf);
	free(g.pool);
}

/* p->jobs worker processes; this one prints the progress. */
static void
run_workers(const struct plan *p, struct shared *sh)
{
	pid_t pids[MAX_JOBS];
	unsigned alive = 0;
	double start = now_s(), last = start;

	fflush(stdout);
	for (unsigned w = 0; w < p->jobs; w++) {
		pids[w] = fork();
		if (pids[w] == 0) {
			worker(p, w, sh, false);
			fflush(stdout);
			_exit(0);
		}
		if (pids[w] < 0) {
			perror("fork");
			pids[w] = 0;
			worker(p, w, sh, false); /* do its share here */
		} else
			alive++;
	}
	while (alive) {
		int status;
		pid_t pid = waitpid(-1, &status, WNOHANG);

		if (pid > 0) {
			alive--;
			if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
				printf("# prop-test: worker %d died (status %#x)\n", (int)pid,
				       status);
				__atomic_fetch_add(&sh->failed, 1, __ATOMIC_RELAXED);
			}
			continue;
		}
		if (pid < 0)
			break;
		sleep(1);
		if (p->progress && now_s() - last >= (double)p->progress) {
			last = now_s();
			printf("# prop-test: %llu/%llu runs, %llu failed, %.0f s\n",
			       (unsigned long long)__atomic_load_n(&sh->done, __ATOMIC_RELAXED),
			       (unsigned long long)p->runs,
			       (unsigned long long)__atomic_load_n(&sh->failed, __ATOMIC_RELAXED),
			       last - start);
			fflush(stdout);
		}
	}
}

static void
print_coverage(const struct shared *sh)
{
	printf("# mixes:");
	for (unsigned i = 0; i < _MIX_MAX; i++)
		printf(" %s %llu", mix_names[i], (unsigned long long)sh->mix[i]);
	printf("\n# faults:");
	for (unsigned i = 0; i < _FK_MAX; i++)
		printf(" %s %llu", faults[i].name, (unsigned long long)sh->fault[i]);
	printf("\n# directives not in this simulator:");
	for (unsigned d = 0; d < _D_MAX; d++)
		if (!have[d])
			printf(" %.*s", (int)strcspn(directive_probes[d], " "),
			       directive_probes[d]);
	printf("\n# options:");
	for (unsigned i = 0; i < _FT_MAX; i++)
		printf(" %s %llu", feat_names[i], (unsigned long long)sh->feat[i]);
	printf("\n");
}

int
main(void)
{
	bool lng = env_u64("PROP_LONG", 0) != 0;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	struct plan p = {
		.runs = env_u64("PROP_RUNS", lng ? 100000 : 1000),
		.base = env_u64("PROP_SEED", 1),
		.max_fail = env_u64("PROP_MAX_FAIL", 5),
		.jobs = (unsigned)env_u64("PROP_JOBS", lng && ncpu > 0 ? (uint64_t)ncpu : 1),
		.verbose = env_u64("PROP_VERBOSE", 0) != 0,
	};
	struct shared *sh;
	struct rusage ru_self, ru_kids;
	double start = now_s(), cpu;

	probe_directives();
	db_percent = (unsigned)env_u64("PROP_DB", db_percent);
	maint_percent = (unsigned)env_u64("PROP_MAINT", maint_percent);
	ban_percent = (unsigned)env_u64("PROP_BAN", ban_percent);
	if (p.jobs < 1)
		p.jobs = 1;
	if (p.jobs > MAX_JOBS)
		p.jobs = MAX_JOBS;
	if (p.jobs > p.runs)
		p.jobs = p.runs ? (unsigned)p.runs : 1;
	p.progress = env_u64("PROP_PROGRESS", p.jobs > 1 || p.runs >= 20000 ? 15 : 0);
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	memset(sh, 0, sizeof(*sh));
	if (p.jobs > 1)
		run_workers(&p, sh);
	else
		worker(&p, 0, sh, true);
	getrusage(RUSAGE_SELF, &ru_self);
	getrusage(RUSAGE_CHILDREN, &ru_kids);
	cpu = (double)(ru_self.ru_utime.tv_sec + ru_self.ru_stime.tv_sec + ru_kids.ru_utime.tv_sec +
		       ru_kids.ru_stime.tv_sec) +
	      (double)(ru_self.ru_utime.tv_usec + ru_self.ru_stime.tv_usec +
		       ru_kids.ru_utime.tv_usec + ru_kids.ru_stime.tv_usec) /
		  1e6;
	print_coverage(sh);
	printf("# prop-test: %llu runs from seed %llu, %llu failed, %.1f s CPU, %.1f s wall, %u "
	       "worker%s\n",
	       (unsigned long long)sh->done, (unsigned long long)p.base,
	       (unsigned long long)sh->failed, cpu, now_s() - start, p.jobs, p.jobs > 1 ? "s" : "");
	return sh->failed ? 1 : 0;
}
