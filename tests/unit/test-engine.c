/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The engine on a tiny in-process bus: messages go to every engine of the
 * sender's ring in one order; rings, quorum and time are set by the test.
 * (tests/golden/ runs the full corosync model; these are the basics.)
 */
#include <stdbool.h>
#include <string.h>

#include "cmocka-all.h"
#include "cv-error.h"
#include "engine.h"
#include "strbuf.h"

#define N 3
#define QMAX 256

struct bus {
	struct cv_config *cfg;
	struct cv_engine *e[N + 1];
	bool up[N + 1];	     /* daemon in the group */
	bool in_ring[N + 1]; /* member of the current ring */
	bool drop_from[N + 1];
	bool held[N + 1][4]; /* addresses per node and VIP */
	uint64_t timer[N + 1];
	uint64_t now;
	uint64_t ring_seq;
	unsigned notices[N + 1][_CV_NOTICE_MAX];
	struct {
		int from;
		uint32_t pid; /* 0: the sender's daemon */
		struct cv_proto_msg msg;
	} q[QMAX];
	size_t qh, qt;
};

static void run_actions(struct bus *b, int n, struct cv_actions *a);
static void step(struct bus *b, int n, const struct cv_event *ev);

/* The backend's answers come back as events of their own, after the step. */
static void
feed_results(struct bus *b, int n, const struct cv_actions *a)
{
	for (size_t i = 0; i < a->n; i++) {
		const struct cv_action *x = &a->v[i];
		struct cv_event ev = { .type = CV_EV_ACTION_RESULT,
				       .result = { .op = x->type, .epoch = x->epoch } };

		if (x->type != CV_ACT_ADDR_ADD && x->type != CV_ACT_ADDR_DEL && x->type != CV_ACT_RENEW)
			continue;
		ev.result.vip = x->conf ? x->conf->head.name : NULL;
		step(b, n, &ev);
	}
}

static void
step(struct bus *b, int n, const struct cv_event *ev)
{
	struct cv_actions a = {};

	assert_int_equal(cv_engine_step(b->e[n], ev, b->now, &a), 0);
	run_actions(b, n, &a);
	feed_results(b, n, &a);
	cv_actions_done(&a);
}

static void
run_actions(struct bus *b, int n, struct cv_actions *a)
{
	for (size_t i = 0; i < a->n; i++) {
		struct cv_action *x = &a->v[i];

		switch (x->type) {
		case CV_ACT_ADDR_ADD:
			b->held[n][x->vip] = true;
			break;
		case CV_ACT_ADDR_DEL:
			b->held[n][x->vip] = false;
			break;
		case CV_ACT_SEND:
			if (b->drop_from[n])
				break;
			assert_true(b->qt - b->qh < QMAX);
			b->q[b->qt % QMAX].from = n;
			b->q[b->qt % QMAX].pid = 0;
			b->q[b->qt % QMAX].msg = x->msg;
			x->msg = (struct cv_proto_msg){}; /* the queue owns it now */
			b->qt++;
			break;
		case CV_ACT_ARM_TIMER:
			b->timer[n] = x->at_ms;
			break;
		case CV_ACT_CANCEL_TIMER:
			b->timer[n] = UINT64_MAX;
			break;
		case CV_ACT_NOTICE:
			b->notices[n][x->notice]++;
			break;
		default:
			break;
		}
	}
}

/* At most one node holds each VIP: checked after every delivery. */
static void
check_one_holder(struct bus *b)
{
	for (size_t v = 0; v < b->cfg->n_vips; v++) {
		int holders = 0;

		for (int n = 1; n <= N; n++)
			holders += b->held[n][v];
		assert_true(holders <= 1);
	}
}

static void
deliver_all(struct bus *b)
{
	while (b->qh < b->qt) {
		struct cv_proto_msg m = b->q[b->qh % QMAX].msg;
		int from = b->q[b->qh % QMAX].from;
		uint32_t pid = b->q[b->qh % QMAX].pid ? b->q[b->qh % QMAX].pid
						      : (uint32_t)(100 + from);

		b->qh++;
		for (int n = 1; n <= N; n++) {
			struct cv_event ev = { .type = CV_EV_MESSAGE,
					       .message = { .nodeid = (uint32_t)from,
							    .pid = pid,
							    .msg = &m } };

			if (b->up[n] && b->in_ring[n] && b->in_ring[from])
				step(b, n, &ev);
			check_one_holder(b);
		}
		cv_proto_msg_done(&m);
	}
}

/* Advance time to t, firing timers (and delivering) on the way. */
static void
advance(struct bus *b, uint64_t t)
{
	for (;;) {
		uint64_t next = UINT64_MAX;
		int who = 0;

		for (int n = 1; n <= N; n++)
			if (b->up[n] && b->timer[n] < next)
				next = b->timer[n], who = n;
		if (next > t)
			break;
		b->now = (b->now > next ? b->now : next);
		b->timer[who] = UINT64_MAX;
		step(b, who, &(struct cv_event){ .type = CV_EV_TIMER });
		deliver_all(b);
	}
	b->now = t;
}

/* Form one ring of the nodes in mask (bit n = node n); quorate with 2 of 3. */
static void
form_ring(struct bus *b, unsigned mask, uint32_t quorum_votes)
{
	uint32_t members[N];
	struct cv_member gm[N];
	size_t n_members = 0;
	struct cv_ring_id ring = { .seq = ++b->ring_seq };

	for (int n = 1; n <= N; n++)
		if (mask & (1u << n)) {
			if (!ring.nodeid)
				ring.nodeid = (uint32_t)n;
			members[n_members] = (uint32_t)n;
			gm[n_members++] = (struct cv_member){ .nodeid = (uint32_t)n,
							      .pid = (uint32_t)(100 + n) };
		}
	for (int n = 1; n <= N; n++) {
		if (!(mask & (1u << n)))
			continue;
		b->in_ring[n] = true;
		if (!b->up[n])
			continue;
		step(b, n, &(struct cv_event){ .type = CV_EV_GROUP,
					       .group = { .members = gm, .n_members = n_members } });
		step(b, n, &(struct cv_event){ .type = CV_EV_TOTEM,
					       .totem = { .ring = ring, .members = members,
							  .n_members = n_members } });
		step(b, n, &(struct cv_event){
				   .type = CV_EV_QUORUM,
				   .quorum = { .ring = ring, .quorate = n_members >= quorum_votes,
					       .members = members, .n_members = n_members,
					       .quorum_votes = quorum_votes, .expected_votes = N } });
	}
	deliver_all(b);
}

/* reapers: each daemon names its reaper (pid 200 + n) in its STATE. */
static struct bus *
bus_new_with(const char *extra, bool reapers)
{
	static const char base[] = "node n1 {\n nodeid: 1\n}\nnode n2 {\n nodeid: 2\n}\n"
				   "node n3 {\n nodeid: 3\n}\n"
				   "vip web {\n address: 192.0.2.50/24\n interface: eth0\n prefer: n1\n}\n"
				   "vip api {\n address: 192.0.2.51/24\n interface: eth0\n}\n";
	struct bus *b = calloc(1, sizeof(*b));
	char text[2048];
	struct cv_conf_error err;

	snprintf(text, sizeof(text), "%s%s", base, extra ? extra : "");
	if (cv_config_parse(text, strlen(text), &b->cfg, &err) < 0)
		fail_msg("%u: %s: %s", err.line, err.key, err.msg);
	for (int n = 1; n <= N; n++) {
		struct cv_engine_params p = { .nodeid = (uint32_t)n, .pid = (uint32_t)(100 + n),
					      .reaper_pid = reapers ? (uint32_t)(200 + n) : 0 };

		assert_int_equal(cv_engine_new(b->cfg, &p, &b->e[n]), 0);
		b->up[n] = true;
		b->timer[n] = UINT64_MAX;
		step(b, n, &(struct cv_event){ .type = CV_EV_TIMINGS,
					       .timings = { .token_ms = 300, .consensus_ms = 360 } });
	}
	return b;
}

static struct bus *
bus_new(const char *extra)
{
	return bus_new_with(extra, false);
}

static void
bus_free(struct bus *b)
{
	deliver_all(b);
	for (int n = 1; n <= N; n++)
		cv_engine_free(b->e[n]);
	cv_config_free(b->cfg);
	free(b);
}

#define WEB 0
#define API 1

static void
first_start_puts_each_vip_on_one_node(void **state)
{
	struct bus *b = bus_new(NULL);

	form_ring(b, 0xe, 2);
	advance(b, 100);
	assert_true(b->held[1][WEB]); /* prefer n1 */
	assert_int_equal(b->held[1][API] + b->held[2][API] + b->held[3][API], 1);
	for (int n = 1; n <= N; n++)
		assert_int_equal(cv_engine_vip_owner(b->e[n], WEB), 1);
	bus_free(b);
}

/* The messages of one step of e: how many of each type, and HEALTH's entries. */
static void
count_sends(struct cv_engine *e, const struct cv_event *ev, size_t *states, size_t *health_vips)
{
	struct cv_actions a = {};

	*states = *health_vips = 0;
	assert_int_equal(cv_engine_step(e, ev, 1000, &a), 0);
	for (size_t i = 0; i < a.n; i++) {
		if (a.v[i].type != CV_ACT_SEND)
			continue;
		*states += a.v[i].msg.type == CV_PROTO_TYPE_STATE;
		if (a.v[i].msg.type == CV_PROTO_TYPE_HEALTH)
			*health_vips += a.v[i].msg.health.n_vips;
	}
	cv_actions_done(&a);
}

/* A check that one of 10,000 VIPs names flaps: each flap says that VIP alone. */
static void
a_flapping_check_resends_only_the_vips_that_name_it(void **state)
{
	struct cv_strbuf text = {};
	struct cv_config *cfg = NULL;
	struct cv_conf_error err;
	struct cv_engine *e = NULL;
	struct cv_engine_params p = { .nodeid = 1, .pid = 101 };
	size_t states, entries;

	cv_strbuf_append(&text, "node n1 {\n nodeid: 1\n}\ncheck c {\n tcp: 127.0.0.1:1\n}\n");
	for (unsigned i = 0; i < 10000; i++)
		cv_strbuf_printf(&text, "vip v%u {\n address: 10.%u.%u.1/32\n interface: eth0\n%s}\n",
				 i, i / 200, i % 200, i == 7 ? " check: c\n" : "");
	if (cv_config_parse(text.buf, text.len, &cfg, &err) < 0)
		fail_msg("%u: %s: %s", err.line, err.key, err.msg);
	assert_int_equal(cv_engine_new(cfg, &p, &e), 0);
	for (int flap = 0; flap < 10; flap++) {
		count_sends(e, &(struct cv_event){ .type = CV_EV_HEALTH,
						   .health = { .check = "c", .healthy = flap % 2 == 0 } },
			    &states, &entries);
		assert_int_equal(states, 0);
		assert_int_equal(entries, 1);
	}
	/* the same word again changes nothing: nothing is sent */
	count_sends(e, &(struct cv_event){ .type = CV_EV_HEALTH, .health = { .check = "c" } },
		    &states, &entries);
	assert_int_equal(states + entries, 0);
	cv_engine_free(e);
	cv_config_free(cfg);
	cv_strbuf_done(&text);
}

static void
holder_crash_is_taken_over_only_after_the_guard(void **state)
{
	struct bus *b = bus_new(NULL);
	uint32_t guard = cv_engine_guard_ms(b->e[2]);

	form_ring(b, 0xe, 2);
	advance(b, 1000);
	/* n1 crashes: its daemon is gone, the survivors form {n2, n3}. */
	b->up[1] = false;
	b->in_ring[1] = false;
	b->held[1][WEB] = b->held[1][API] = false; /* a crashed node holds nothing reachable */
	advance(b, 1660);
	form_ring(b, 0xc, 2);
	advance(b, 1660 + guard - 1);
	assert_false(b->held[2][WEB] || b->held[3][WEB]);
	advance(b, 1660 + guard + 50);
	assert_true(b->held[2][WEB] != b->held[3][WEB]);
	bus_free(b);
}

static void
isolated_holder_releases_when_its_ring_cannot_be_quorate(void **state)
{
	struct bus *b = bus_new(NULL);

	form_ring(b, 0xe, 2);
	advance(b, 1000);
	assert_true(b->held[1][WEB]);
	b->in_ring[2] = b->in_ring[3] = false;
	/* Only the totem confchg: the quorum notification is late. */
	step(b, 1, &(struct cv_event){ .type = CV_EV_TOTEM,
				       .totem = { .ring = { 1, ++b->ring_seq },
						  .members = (uint32_t[]){ 1 }, .n_members = 1 } });
	assert_false(b->held[1][WEB]);
	assert_false(b->held[1][API]);
	bus_free(b);
}

static void
admin_move_is_a_handoff(void **state)
{
	struct bus *b = bus_new(NULL);

	form_ring(b, 0xe, 2);
	advance(b, 1000);
	step(b, 2, &(struct cv_event){ .type = CV_EV_ADMIN_MOVE, .move = { .vip = "web", .node = 3 } });
	deliver_all(b); /* check_one_holder runs after every delivery */
	advance(b, 1010);
	assert_false(b->held[1][WEB]);
	assert_true(b->held[3][WEB]);
	bus_free(b);
}

static void
admin_move_to_an_ineligible_node_is_refused(void **state)
{
	struct bus *b = bus_new(NULL);

	form_ring(b, 0xe, 2);
	advance(b, 1000);
	step(b, 2, &(struct cv_event){ .type = CV_EV_ADMIN_STANDBY, .standby = { .node = 3, .standby = true } });
	deliver_all(b);
	step(b, 2, &(struct cv_event){ .type = CV_EV_ADMIN_MOVE, .move = { .vip = "web", .node = 3 } });
	deliver_all(b);
	advance(b, 1100);
	assert_int_equal(b->notices[2][CV_NOTICE_MOVE_REFUSED], 1);
	assert_true(b->held[1][WEB]);
	bus_free(b);
}

static void
holder_whose_heartbeats_stop_arriving_lets_go_at_lease_end(void **state)
{
	struct bus *b = bus_new(NULL);
	uint32_t lease = cv_engine_lease_ms(b->e[1]);

	form_ring(b, 0xe, 2);
	advance(b, 1000);
	b->drop_from[1] = true; /* a delivery hiccup: n1's messages go nowhere */
	advance(b, 1000 + lease - 60);
	assert_true(b->held[1][WEB]);
	advance(b, 1000 + lease + 60);
	assert_false(b->held[1][WEB]);
	bus_free(b);
}

/* n1 and n2 alone, a plain two_node ring (votequorum two_node, quorum 1); 1 s on. */
static void
form_two_node_ring(struct bus *b)
{
	struct cv_ring_id ring = { 1, ++b->ring_seq };
	uint32_t members[] = { 1, 2 };
	struct cv_member gm[] = { { 1, 101, 0 }, { 2, 102, 0 } };

	b->up[3] = false;
	for (int n = 1; n <= 2; n++) {
		b->in_ring[n] = true;
		step(b, n, &(struct cv_event){ .type = CV_EV_GROUP, .group = { .members = gm, .n_members = 2 } });
		step(b, n, &(struct cv_event){ .type = CV_EV_TOTEM,
					       .totem = { .ring = ring, .members = members, .n_members = 2 } });
		step(b, n, &(struct cv_event){ .type = CV_EV_QUORUM,
					       .quorum = { .ring = ring, .quorate = true, .members = members,
							   .n_members = 2, .quorum_votes = 1, .two_node = true } });
	}
	deliver_all(b);
	advance(b, 1000);
}

static void
two_node_without_opt_in_holds_nothing(void **state)
{
	struct bus *b = bus_new(NULL);

	form_two_node_ring(b);
	assert_false(b->held[1][WEB] || b->held[2][WEB] || b->held[1][API] || b->held[2][API]);
	assert_true(b->notices[1][CV_NOTICE_TWO_NODE_REFUSED] > 0);
	bus_free(b);
}

/* status's why (engine-why.c): from no view to held, and the plain two_node case. */
static void
why_follows_the_view_and_says_two_node(void **state)
{
	struct bus *b = bus_new(NULL);
	struct cv_vip_why w;
	struct cv_node_status ns;

	cv_engine_vip_why(b->e[1], WEB, &w);
	assert_int_equal(w.why, CV_WHY_NOT_STARTED);
	form_ring(b, 0xe, 2);
	advance(b, 1000);
	for (int n = 1; n <= N; n++) {
		cv_engine_vip_why(b->e[n], WEB, &w);
		assert_int_equal(w.why, CV_WHY_HELD);
		assert_int_equal(w.move_to, 0);
		cv_engine_node_status(b->e[n], 0, &ns); /* n1 */
		assert_true(ns.in_ring && ns.in_view && ns.daemon && !ns.standby);
		assert_int_equal(ns.holds, 1 + (cv_engine_vip_owner(b->e[n], API) == 1));
		assert_int_equal(cv_engine_node_unfit(b->e[n], WEB, 2), CV_UNFIT_NONE);
	}
	bus_free(b);
	b = bus_new(NULL);
	form_two_node_ring(b);
	cv_engine_vip_why(b->e[1], WEB, &w);
	assert_int_equal(w.why, CV_WHY_TWO_NODE);
	bus_free(b);
}

/* A standby node is unfit, says why; with no eligible node, the VIP says so. */
static void
why_names_each_nodes_reason(void **state)
{
	struct bus *b = bus_new(NULL);
	struct cv_vip_why w;

	form_ring(b, 0xe, 2);
	advance(b, 1000);
	for (int n = 1; n <= N; n++) {
		step(b, 2, &(struct cv_event){ .type = CV_EV_ADMIN_STANDBY,
					       .standby = { .node = (uint32_t)n, .standby = true } });
		deliver_all(b);
	}
	advance(b, 2000);
	cv_engine_vip_why(b->e[2], WEB, &w);
	assert_int_equal(w.why, CV_WHY_NO_ELIGIBLE);
	for (uint32_t id = 1; id <= N; id++)
		assert_int_equal(cv_engine_node_unfit(b->e[2], WEB, id), CV_UNFIT_STANDBY);
	assert_int_equal(cv_engine_node_unfit(b->e[2], WEB, 9), CV_UNFIT_OFFLINE);
	assert_false(b->held[1][WEB] || b->held[2][WEB] || b->held[3][WEB]);
	bus_free(b);
}

/*
 * Maintenance mode (the standby of node 0): the holder keeps web whatever a
 * standby says; its crash leaves web with nobody; off, placement resumes.
 */
static void
maintenance_moves_nothing_and_takes_nothing(void **state)
{
	struct bus *b = bus_new(NULL);
	uint32_t guard = cv_engine_guard_ms(b->e[2]);
	struct cv_vip_why w;

	form_ring(b, 0xe, 2);
	advance(b, 1000);
	assert_true(b->held[1][WEB]);
	step(b, 3, &(struct cv_event){ .type = CV_EV_ADMIN_STANDBY, .standby = { .node = 0, .standby = true } });
	deliver_all(b);
	for (int n = 1; n <= N; n++)
		assert_true(cv_engine_maintenance(b->e[n]));
	step(b, 3, &(struct cv_event){ .type = CV_EV_ADMIN_STANDBY, .standby = { .node = 1, .standby = true } });
	deliver_all(b);
	advance(b, 1500);
	assert_true(b->held[1][WEB]); /* no move */
	b->up[1] = false;
	b->in_ring[1] = false;
	b->held[1][WEB] = b->held[1][API] = false;
	advance(b, 2160);
	form_ring(b, 0xc, 2);
	advance(b, 2160 + guard + 1000);
	assert_false(b->held[2][WEB] || b->held[3][WEB]); /* no takeover */
	cv_engine_vip_why(b->e[2], WEB, &w);
	assert_int_equal(w.why, CV_WHY_MAINTENANCE);
	step(b, 2, &(struct cv_event){ .type = CV_EV_ADMIN_STANDBY, .standby = { .node = 0, .standby = false } });
	deliver_all(b);
	advance(b, 2160 + guard + 1500);
	assert_true(b->held[2][WEB] != b->held[3][WEB]);
	bus_free(b);
}

static void
graceful_stop_hands_off_and_reports_stopped(void **state)
{
	struct bus *b = bus_new(NULL);

	form_ring(b, 0xe, 2);
	advance(b, 1000);
	step(b, 1, &(struct cv_event){ .type = CV_EV_STOP });
	deliver_all(b);
	advance(b, 1010);
	assert_false(b->held[1][WEB]);
	assert_true(b->held[2][WEB] || b->held[3][WEB]);
	bus_free(b);
}

/*
 * n1 held web; its daemon dies, its reaper removes the addresses and says
 * RELEASED for the VIPs it names (it owns v), before the confchg that says
 * the daemon left. Returns whether a peer holds web 10 ms later.
 */
static bool
reaper_released_then_daemon_left(struct bus *b, struct cv_proto_vip *v, size_t n_vips)
{
	struct cv_member gm[] = { { 1, 201, 0 }, { 2, 102, 0 }, { 3, 103, 0 } };
	struct cv_member left[] = { { 1, 101, CV_LEAVE_PROCDOWN } };

	form_ring(b, 0xe, 2);
	advance(b, 1000);
	assert_true(b->held[1][WEB]);
	b->up[1] = false;
	b->held[1][WEB] = b->held[1][API] = false;
	for (size_t k = 0; k < n_vips; k++) {
		int i = strcmp(v[k].name, "web") == 0 ? WEB : strcmp(v[k].name, "api") == 0 ? API : -1;

		if (i >= 0)
			v[k].epoch = cv_engine_vip_epoch(b->e[1], (size_t)i);
	}
	b->q[b->qt % QMAX].from = 1;
	b->q[b->qt % QMAX].pid = 201; /* n1's reaper */
	b->q[b->qt % QMAX].msg = (struct cv_proto_msg){
		.version = CV_PROTO_VERSION, .type = CV_PROTO_TYPE_RELEASED,
		.released = { .for_nodeid = 1, .ring = { 1, b->ring_seq }, .vips = v, .n_vips = n_vips } };
	b->qt++;
	deliver_all(b);
	for (int n = 2; n <= N; n++)
		step(b, n, &(struct cv_event){ .type = CV_EV_GROUP,
					       .group = { .members = gm, .n_members = 3,
							  .left = left, .n_left = 1 } });
	deliver_all(b);
	advance(b, 1010);
	return b->held[2][WEB] || b->held[3][WEB];
}

/* The reaper's RELEASED may come before the confchg that says the daemon left. */
static void
reaper_released_before_procdown_is_taken_over_at_once(void **state)
{
	struct bus *b = bus_new_with(NULL, true);
	struct cv_proto_vip *v = calloc(2, sizeof(*v));

	snprintf(v[0].name, sizeof(v[0].name), "web");
	snprintf(v[1].name, sizeof(v[1].name), "api");
	assert_true(reaper_released_then_daemon_left(b, v, 2));
	bus_free(b);
}

/*
 * A reload added a VIP after the reaper was forked: its RELEASED names only
 * the VIPs it knew, but it removed every tagged address, so the holder's
 * other VIPs are free at once too (not only after the guard or rule 4).
 */
static void
reaper_released_covers_vips_it_does_not_name(void **state)
{
	struct bus *b = bus_new_with(NULL, true);
	struct cv_proto_vip *v = calloc(1, sizeof(*v));

	snprintf(v[0].name, sizeof(v[0].name), "nosuch"); /* not "web" */
	assert_true(reaper_released_then_daemon_left(b, v, 1));
	bus_free(b);
}

/*
 * A RELEASED from a pid that is neither the node's daemon nor the reaper its
 * daemon named (an older incarnation's reaper) frees nothing.
 */
static void
released_from_an_unknown_pid_is_dropped(void **state)
{
	struct bus *b = bus_new(NULL); /* no reapers named: 201 is nobody */
	struct cv_proto_vip *v = calloc(2, sizeof(*v));

	snprintf(v[0].name, sizeof(v[0].name), "web");
	snprintf(v[1].name, sizeof(v[1].name), "api");
	assert_false(reaper_released_then_daemon_left(b, v, 2));
	assert_true(b->notices[2][CV_NOTICE_BAD_MESSAGE] > 0);
	bus_free(b);
}

/* Another process of a node (anything with corosync access can join the
 * group) does not speak for its daemon: a forged STANDBY or STATE is dropped. */
static void
messages_from_a_non_daemon_process_are_dropped(void **state)
{
	struct bus *b = bus_new(NULL);

	form_ring(b, 0xe, 2);
	advance(b, 1000);
	assert_true(b->held[1][WEB]);
	b->q[b->qt % QMAX].from = 2;
	b->q[b->qt % QMAX].pid = 999;
	b->q[b->qt % QMAX].msg = (struct cv_proto_msg){
		.version = CV_PROTO_VERSION, .type = CV_PROTO_TYPE_STANDBY,
		.standby = { .origin = 2, .target = 1, .standby = true, .stamp = UINT64_MAX } };
	b->qt++;
	b->q[b->qt % QMAX].from = 2;
	b->q[b->qt % QMAX].pid = 999;
	b->q[b->qt % QMAX].msg = (struct cv_proto_msg){
		.version = CV_PROTO_VERSION, .type = CV_PROTO_TYPE_STATE,
		.state = { .max_version = CV_PROTO_VERSION, .nodeid = 2, .chunk_count = 1 } };
	b->qt++;
	deliver_all(b);
	advance(b, 1100);
	assert_true(b->held[1][WEB]);
	assert_false(cv_engine_node_standby(b->e[3], 1));
	assert_int_equal(b->notices[3][CV_NOTICE_BAD_MESSAGE], 2);
	bus_free(b);
}

/*
 * Nodes 1 and 2 form a quorate ring of 1..3 with node 3's daemon (pid
 * pid3) in the group but not stepped (another version, or frozen), and run
 * 500 ms.
 */
static void
ring_with_a_mute_third(struct bus *b, uint32_t pid3)
{
	struct cv_ring_id ring = { 1, ++b->ring_seq };
	uint32_t members[] = { 1, 2, 3 };
	struct cv_member gm[] = { { 1, 101, 0 }, { 2, 102, 0 }, { 3, pid3, 0 } };

	b->up[3] = false;
	for (int n = 1; n <= 3; n++)
		b->in_ring[n] = true;
	for (int n = 1; n <= 2; n++) {
		step(b, n, &(struct cv_event){ .type = CV_EV_GROUP, .group = { .members = gm, .n_members = 3 } });
		step(b, n, &(struct cv_event){ .type = CV_EV_TOTEM,
					       .totem = { .ring = ring, .members = members, .n_members = 3 } });
		step(b, n, &(struct cv_event){ .type = CV_EV_QUORUM,
					       .quorum = { .ring = ring, .quorate = true, .members = members,
							   .n_members = 3, .quorum_votes = 2,
							   .expected_votes = 3 } });
	}
	deliver_all(b);
	advance(b, 500);
}

/*
 * Node 3 runs a daemon of another protocol version: its messages do not
 * decode. The exchange must not wait for its STATE forever: n1 and n2 hold
 * the VIPs (once a fresh engine's kernel-lease wait for a node whose daemon
 * it never heard from is over). Its first message ends the wait at once,
 * before anyone tells it silent (L).
 */
static void
a_member_of_another_version_does_not_stall_the_exchange(void **state)
{
	struct bus *b = bus_new(NULL);

	ring_with_a_mute_third(b, 503);
	assert_int_equal(b->notices[1][CV_NOTICE_EXCHANGE_DONE], 0); /* waiting for n3's STATE */
	for (int n = 1; n <= 2; n++)
		step(b, n, &(struct cv_event){ .type = CV_EV_MESSAGE,
					       .message = { .nodeid = 3, .pid = 503,
							    .decode_err = CV_E_PROTO_VERSION } });
	deliver_all(b);
	advance(b, 13100);
	assert_true(b->held[1][WEB]);
	assert_true(b->held[1][API] || b->held[2][API]);
	assert_int_equal(b->notices[1][CV_NOTICE_VERSION_MISMATCH], 1);
	assert_int_equal(b->notices[1][CV_NOTICE_PEER_SILENT], 0);
	bus_free(b);
}

/*
 * Node 3's daemon is in the group but never answers (frozen with its reaper:
 * corosync keeps it in the ring and the group). The exchange does not wait
 * for it forever: after L a member says SILENT, and at its delivery every
 * member goes on without it (rule 7); n1 and n2 hold the VIPs once a fresh
 * engine's wait for a daemon it never heard is over.
 */
static void
a_member_that_never_answers_does_not_stall_the_exchange(void **state)
{
	struct bus *b = bus_new(NULL);

	ring_with_a_mute_third(b, 103);
	assert_int_equal(b->notices[1][CV_NOTICE_EXCHANGE_DONE], 0); /* under L: still waiting */
	advance(b, 13100);
	assert_true(b->notices[1][CV_NOTICE_EXCHANGE_DONE] > 0 &&
		    b->notices[2][CV_NOTICE_EXCHANGE_DONE] > 0);
	assert_int_equal(b->notices[1][CV_NOTICE_PEER_SILENT], 1);
	assert_int_equal(b->notices[2][CV_NOTICE_PEER_SILENT], 1);
	assert_true(b->held[1][WEB]);
	assert_true(b->held[1][API] || b->held[2][API]);
	bus_free(b);
}

/* Nodes come and go (new node ids each time): slots of nodes long gone that
 * nothing refers to are reused, so the 65th node is still seen. */
static void
peer_slots_of_departed_nodes_are_reused(void **state)
{
	struct bus *b = bus_new(NULL);

	for (uint32_t k = 4; k < 4 + 3 * CV_MAX_NODES; k++) {
		uint32_t members[] = { 1, 2, k }, seen[8];
		struct cv_ring_id ring = { 1, ++b->ring_seq }, got;
		struct cv_member gm[] = { { 1, 101, 0 }, { 2, 102, 0 }, { k, 100 + k, 0 } };
		size_t n = 0;

		step(b, 1, &(struct cv_event){ .type = CV_EV_GROUP, .group = { .members = gm, .n_members = 3 } });
		step(b, 1, &(struct cv_event){ .type = CV_EV_TOTEM,
					       .totem = { .ring = ring, .members = members, .n_members = 3 } });
		step(b, 1, &(struct cv_event){ .type = CV_EV_QUORUM,
					       .quorum = { .ring = ring, .quorate = true, .members = members,
							   .n_members = 3, .quorum_votes = 2,
							   .expected_votes = 3 } });
		assert_true(cv_engine_view(b->e[1], &got, seen, 8, &n));
		assert_int_equal(n, 3);
		assert_int_equal(seen[2], k);
		while (b->qh < b->qt) /* nothing is delivered here */
			cv_proto_msg_done(&b->q[b->qh++ % QMAX].msg);
	}
	bus_free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(first_start_puts_each_vip_on_one_node),
		cmocka_unit_test(a_flapping_check_resends_only_the_vips_that_name_it),
		cmocka_unit_test(holder_crash_is_taken_over_only_after_the_guard),
		cmocka_unit_test(isolated_holder_releases_when_its_ring_cannot_be_quorate),
		cmocka_unit_test(admin_move_is_a_handoff),
		cmocka_unit_test(admin_move_to_an_ineligible_node_is_refused),
		cmocka_unit_test(holder_whose_heartbeats_stop_arriving_lets_go_at_lease_end),
		cmocka_unit_test(two_node_without_opt_in_holds_nothing),
		cmocka_unit_test(why_follows_the_view_and_says_two_node),
		cmocka_unit_test(why_names_each_nodes_reason),
		cmocka_unit_test(maintenance_moves_nothing_and_takes_nothing),
		cmocka_unit_test(graceful_stop_hands_off_and_reports_stopped),
		cmocka_unit_test(reaper_released_before_procdown_is_taken_over_at_once),
		cmocka_unit_test(reaper_released_covers_vips_it_does_not_name),
		cmocka_unit_test(released_from_an_unknown_pid_is_dropped),
		cmocka_unit_test(messages_from_a_non_daemon_process_are_dropped),
		cmocka_unit_test(a_member_of_another_version_does_not_stall_the_exchange),
		cmocka_unit_test(a_member_that_never_answers_does_not_stall_the_exchange),
		cmocka_unit_test(peer_slots_of_departed_nodes_are_reused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
