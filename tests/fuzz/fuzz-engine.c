/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz the engine with hostile group members (issue 11): three honest
 * engines on a tiny in-process bus (every message goes to every engine of
 * the sender's ring, in one order), driven by ops the input encodes:
 * time passing, ring changes, admin commands, and messages from strangers —
 * other processes of a node with corosync access, which may send anything
 * that decodes (raw bytes, or messages built field by field from the input).
 *
 * The same honest ops run twice, once with the strangers' messages and once
 * without; after every op the two worlds must agree on every VIP's state
 * and owner on every node (strangers change nothing), and neither may ever
 * have two nodes with one VIP's address (the invariant). Anything else
 * aborts. FUZZ_TRACE=1 in the environment prints what each world does (for
 * triage of a crash input).
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cv-macros.h"
#include "engine.h"

#define N 3
#define QMAX 512
#define STRANGER_PID 900

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char config_text[] =
	"node n1 {\n nodeid: 1\n}\nnode n2 {\n nodeid: 2\n}\nnode n3 {\n nodeid: 3\n}\n"
	"vip web {\n address: 192.0.2.50/24\n interface: eth0\n prefer: n1\n}\n"
	"vip api {\n address: 192.0.2.51/24\n interface: eth0\n}\n";

struct world {
	struct cv_engine *e[N + 1];
	bool in_ring[N + 1];
	bool held[N + 1][2];
	uint64_t timer[N + 1];
	uint64_t now, ring_seq;
	struct {
		int from;
		uint32_t pid;
		struct cv_proto_msg msg;
	} q[QMAX];
	size_t qh, qt;
};

static __attribute__((format(printf, 1, 2))) void
trace(const char *fmt, ...)
{
	static int on = -1;
	va_list ap;

	if (on < 0)
		on = getenv("FUZZ_TRACE") != NULL;
	if (!on)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

struct input {
	const uint8_t *p;
	size_t left;
};

static uint8_t
next(struct input *in)
{
	if (!in->left)
		return 0;
	in->left--;
	return *in->p++;
}

static uint64_t
next_u64(struct input *in)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | next(in);
	return v;
}

static void step(struct world *w, int n, const struct cv_event *ev);

static void
enqueue(struct world *w, int from, uint32_t pid, struct cv_proto_msg *m)
{
	if (w->qt - w->qh >= QMAX) {
		cv_proto_msg_done(m);
		return;
	}
	w->q[w->qt % QMAX].from = from;
	w->q[w->qt % QMAX].pid = pid;
	w->q[w->qt % QMAX].msg = *m;
	*m = (struct cv_proto_msg){};
	w->qt++;
}

static void
run_actions(struct world *w, int n, struct cv_actions *a)
{
	for (size_t i = 0; i < a->n; i++) {
		struct cv_action *x = &a->v[i];

		if (x->type == CV_ACT_ADDR_ADD || x->type == CV_ACT_ADDR_DEL || x->type == CV_ACT_SEND)
			trace("  [%p t=%llu] n%d %s\n", (void *)w, (unsigned long long)w->now, n,
			      x->type == CV_ACT_SEND       ? cv_proto_type_to_string(x->msg.type)
			      : x->type == CV_ACT_ADDR_ADD ? (x->vip ? "ADD api" : "ADD web")
							   : (x->vip ? "DEL api" : "DEL web"));
		if (x->type == CV_ACT_ADDR_ADD)
			w->held[n][x->vip] = true;
		else if (x->type == CV_ACT_ADDR_DEL)
			w->held[n][x->vip] = false;
		else if (x->type == CV_ACT_SEND)
			enqueue(w, n, (uint32_t)(100 + n), &x->msg);
		else if (x->type == CV_ACT_ARM_TIMER)
			w->timer[n] = x->at_ms;
		else if (x->type == CV_ACT_CANCEL_TIMER)
			w->timer[n] = UINT64_MAX;
	}
	for (size_t v = 0; v < 2; v++) {
		int holders = 0;

		for (int k = 1; k <= N; k++)
			holders += w->held[k][v];
		if (holders > 1)
			abort();
	}
	/* The backend's answers, each as an event of its own. */
	for (size_t i = 0; i < a->n; i++) {
		const struct cv_action *x = &a->v[i];

		if (x->type == CV_ACT_ADDR_ADD || x->type == CV_ACT_ADDR_DEL || x->type == CV_ACT_RENEW)
			step(w, n, &(struct cv_event){ .type = CV_EV_ACTION_RESULT,
						       .result = { .vip = x->conf ? x->conf->head.name : NULL,
								   .op = x->type,
								   .epoch = x->epoch } });
	}
}

static void
step(struct world *w, int n, const struct cv_event *ev)
{
	struct cv_actions a = {};

	if (cv_engine_step(w->e[n], ev, w->now, &a) < 0 || !cv_engine_counts_ok(w->e[n]))
		abort();
	run_actions(w, n, &a);
	cv_actions_done(&a);
}

static void
deliver_all(struct world *w)
{
	while (w->qh < w->qt) {
		struct cv_proto_msg m = w->q[w->qh % QMAX].msg;
		int from = w->q[w->qh % QMAX].from;
		uint32_t pid = w->q[w->qh % QMAX].pid;

		w->qh++;
		for (int n = 1; n <= N; n++)
			if (w->in_ring[n] && w->in_ring[from])
				step(w, n, &(struct cv_event){ .type = CV_EV_MESSAGE,
							       .message = { .nodeid = (uint32_t)from,
									    .pid = pid,
									    .msg = &m } });
		cv_proto_msg_done(&m);
	}
}

static void
advance(struct world *w, uint64_t t)
{
	for (;;) {
		uint64_t at = UINT64_MAX;
		int who = 0;

		for (int n = 1; n <= N; n++)
			if (w->timer[n] < at)
				at = w->timer[n], who = n;
		if (at > t)
			break;
		w->now = CV_MAX(w->now, at);
		w->timer[who] = UINT64_MAX;
		step(w, who, &(struct cv_event){ .type = CV_EV_TIMER });
		deliver_all(w);
	}
	w->now = t;
}

/*
 * One ring of the nodes in mask; each node outside it forms a ring alone.
 * Every member of a ring sees the same ring id (corosync's guarantee: the
 * engine matches STATE, SILENT and admin stamps on it), each ring a new one.
 */
static void
form_rings(struct world *w, unsigned mask)
{
	uint64_t big_seq = ++w->ring_seq;

	for (int n = 1; n <= N; n++) {
		unsigned m = (mask & (1u << n)) ? mask : (1u << n);
		uint32_t members[N];
		struct cv_member gm[N];
		size_t k = 0;
		struct cv_ring_id ring = { .seq = m == mask ? big_seq : ++w->ring_seq };

		for (int i = 1; i <= N; i++)
			if (m & (1u << i)) {
				ring.nodeid = ring.nodeid ? ring.nodeid : (uint32_t)i;
				members[k] = (uint32_t)i;
				gm[k++] = (struct cv_member){ .nodeid = (uint32_t)i,
							      .pid = (uint32_t)(100 + i) };
			}
		w->in_ring[n] = mask & (1u << n);
		step(w, n, &(struct cv_event){ .type = CV_EV_GROUP,
					       .group = { .members = gm, .n_members = k } });
		step(w, n, &(struct cv_event){ .type = CV_EV_TOTEM,
					       .totem = { .ring = ring, .members = members,
							  .n_members = k } });
		step(w, n, &(struct cv_event){ .type = CV_EV_QUORUM,
					       .quorum = { .ring = ring, .quorate = k >= 2,
							   .members = members, .n_members = k,
							   .quorum_votes = 2, .expected_votes = N } });
	}
	deliver_all(w);
}

/* A message built field by field, so that most of them decode and reach the engine. */
static void
build_message(struct input *in, struct cv_proto_msg *m, uint32_t node)
{
	static struct cv_proto_vip vips[2];
	uint8_t t = next(in) % 6;

	*m = (struct cv_proto_msg){ .version = CV_PROTO_VERSION, .type = (enum cv_proto_type)(t + 1) };
	for (int i = 0; i < 2; i++)
		vips[i] = (struct cv_proto_vip){ .flags = next(in) & 0x7, .epoch = next(in) };
	strcpy(vips[0].name, "web"); /* NOLINT: fixed, fits */
	strcpy(vips[1].name, "api");
	switch (m->type) {
	case CV_PROTO_TYPE_STATE:
		m->state = (struct cv_proto_state){ .max_version = CV_PROTO_VERSION, .nodeid = node,
						    .flags = next(in) & 0xf, .chunk_count = 1 };
		m->state.vips = malloc(sizeof(vips));
		if (m->state.vips) {
			memcpy(m->state.vips, vips, sizeof(vips));
			m->state.n_vips = 2;
		}
		break;
	case CV_PROTO_TYPE_HEARTBEAT:
		m->heartbeat.send_time_ms = next_u64(in);
		break;
	case CV_PROTO_TYPE_RELEASED:
		m->released = (struct cv_proto_released){ .for_nodeid = node };
		m->released.vips = malloc(sizeof(vips));
		if (m->released.vips) {
			memcpy(m->released.vips, vips, sizeof(vips));
			m->released.n_vips = 2;
		}
		break;
	case CV_PROTO_TYPE_SILENT:
		m->silent = (struct cv_proto_silent){ .nodeid = next(in) % 4 + 1 };
		break;
	case CV_PROTO_TYPE_MOVE:
		m->move = (struct cv_proto_move){ .origin = node, .target = next(in) % 4 + 1,
						  .stamp = next_u64(in) };
		strcpy(m->move.vip, next(in) & 1 ? "web" : "api");
		break;
	default:
		m->standby = (struct cv_proto_standby){ .origin = node, .target = next(in) % 4 + 1,
							.stamp = next_u64(in),
							.standby = next(in) & 1 };
		break;
	}
}

/* A stranger on a node of the ring: raw bytes that decode, or a built message. */
static void
stranger(struct world *w, struct input *in, bool raw)
{
	int node = next(in) % N + 1;
	struct cv_proto_msg m = {};

	if (raw) {
		size_t want = (size_t)next(in) * 4, len = CV_MIN(want, in->left);

		if (cv_proto_decode(in->p, len, &m) < 0)
			m = (struct cv_proto_msg){};
		in->p += len;
		in->left -= len;
		if (!m.type)
			return;
	} else {
		build_message(in, &m, (uint32_t)node);
	}
	trace("[%p t=%llu] stranger on n%d: %s\n", (void *)w, (unsigned long long)w->now, node,
	      cv_proto_type_to_string(m.type));
	enqueue(w, node, STRANGER_PID + (uint32_t)node, &m);
	deliver_all(w);
}

static void
admin(struct world *w, struct input *in)
{
	int n = next(in) % N + 1;
	uint8_t b = next(in);

	if (b & 1)
		step(w, n, &(struct cv_event){ .type = CV_EV_ADMIN_MOVE,
					       .move = { .vip = b & 2 ? "web" : "api",
							 .node = (uint32_t)(b >> 2) % N + 1 } });
	else
		step(w, n, &(struct cv_event){ .type = CV_EV_ADMIN_STANDBY,
					       .standby = { .node = (uint32_t)(b >> 2) % N + 1,
							    .standby = b & 2 } });
	deliver_all(w);
}

static void
world_init(struct world *w, const struct cv_config *cfg)
{
	*w = (struct world){};
	for (int n = 1; n <= N; n++) {
		struct cv_engine_params p = { .nodeid = (uint32_t)n, .pid = (uint32_t)(100 + n) };

		if (cv_engine_new(cfg, &p, &w->e[n]) < 0)
			abort();
		w->timer[n] = UINT64_MAX;
		step(w, n, &(struct cv_event){ .type = CV_EV_TIMINGS,
					       .timings = { .token_ms = 300, .consensus_ms = 360 } });
	}
	form_rings(w, 0xe);
	advance(w, 1000);
}

static void
world_done(struct world *w)
{
	while (w->qh < w->qt)
		cv_proto_msg_done(&w->q[w->qh++ % QMAX].msg);
	for (int n = 1; n <= N; n++)
		cv_engine_free(w->e[n]);
}

static void
same_or_abort(const struct world *a, const struct world *b)
{
	for (int n = 1; n <= N; n++)
		for (size_t v = 0; v < 2; v++)
			if (cv_engine_vip_state(a->e[n], v) != cv_engine_vip_state(b->e[n], v) ||
			    cv_engine_vip_owner(a->e[n], v) != cv_engine_vip_owner(b->e[n], v) ||
			    cv_engine_node_standby(a->e[n], (uint32_t)(v + 1)) !=
				    cv_engine_node_standby(b->e[n], (uint32_t)(v + 1)))
				abort();
}

/* One honest op on both worlds (the same input bytes for each). */
static void
honest(struct world *w, uint8_t op, struct input in)
{
	trace("[%p t=%llu] honest op %d\n", (void *)w, (unsigned long long)w->now, op);
	switch (op) {
	case 0:
		advance(w, w->now + 10 * (uint64_t)next(&in));
		break;
	case 1:
		form_rings(w, (next(&in) & 0xe) | 0x2); /* n1 always in the big ring */
		break;
	default:
		admin(w, &in);
		break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cv_config *cfg = NULL;
	struct cv_conf_error err;
	struct world *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	struct input in = { .p = data, .left = size };

	if (!a || !b || cv_config_parse(config_text, sizeof(config_text) - 1, &cfg, &err) < 0)
		abort();
	world_init(a, cfg);
	world_init(b, cfg);
	for (int ops = 0; in.left && ops < 64; ops++) {
		uint8_t op = next(&in) % 5;

		if (op >= 3) {
			stranger(a, &in, op == 4);
		} else {
			struct input copy = in;

			size_t used = CV_MIN(in.left, (size_t)2);

			honest(a, op, copy);
			honest(b, op, in);
			in.p += used;
			in.left -= used;
		}
		same_or_abort(a, b);
	}
	world_done(a);
	world_done(b);
	free(a);
	free(b);
	cv_config_free(cfg);
	return 0;
}
