/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/if_addr.h>
#include <qb/qblog.h>
#include <qb/qbutil.h>

#include "cv-error.h"
#include "cv-macros.h"
#include "executor-int.h"
#include "garp.h"
#include "ndisc.h"
#include "netlink.h"
#include "reaper.h"

static uint64_t
now_ms(void)
{
	return qb_util_nano_current_get() / QB_TIME_NS_IN_MSEC;
}

/* ---- feedback ---- */

/*
 * Every ADDR_ADD and ADDR_DEL has its outcome fed back as an event from a
 * loop job, never inside the step that asked for it (the engine's contract).
 * The VIP goes by name (copied: a reload may free the config meanwhile).
 */
struct feedback {
	struct cv_executor *x;
	char name[CV_PROTO_NAME_MAX + 1]; /* VIP names fit the wire */
	bool named;
	struct cv_event ev;
};

static void
feedback_job(void *data)
{
	struct feedback *f = data;

	f->ev.result.vip = f->named ? f->name : NULL; /* RENEW: every held VIP */
	f->x->sink(f->x->userdata, &f->ev);
	free(f);
}

void
cv_exec_result(struct cv_executor *x, const struct cv_vip_conf *conf, enum cv_action_type op,
       uint64_t epoch, int err)
{
	struct feedback *f = calloc(1, sizeof(*f));

	if (!f) {
		qb_log(LOG_CRIT, "VIP '%s': out of memory for the result of %s",
		       conf ? conf->head.name : "*", cv_action_type_to_string(op));
		return;
	}
	*f = (struct feedback){ .x = x,
				.ev = { .type = CV_EV_ACTION_RESULT,
					.result = { .op = op, .epoch = epoch, .err = err } } };
	if (conf)
		snprintf(f->name, sizeof(f->name), "%s", conf->head.name);
	f->named = conf != NULL;
	if (qb_loop_job_add(x->loop, QB_LOOP_HIGH, f, feedback_job) < 0)
		free(f);
}

/* ---- announce bursts ---- */

static int
sock_for(struct sock *s, int ifindex, int (*open_fn)(int))
{
	if (s->fd >= 0 && s->ifindex == ifindex)
		return s->fd;
	if (s->fd >= 0)
		close(s->fd);
	s->fd = open_fn(ifindex);
	s->ifindex = ifindex;
	return s->fd;
}

static int
send_frame(struct burst *b)
{
	const struct cv_vip_conf *c = b->conf;
	struct cv_mac mac = {};
	int fd;

	memcpy(mac.bytes, b->link.mac, CV_MIN((size_t)b->link.mac_len, sizeof(mac.bytes)));
	if (c->address.family == AF_INET6) {
		fd = sock_for(&b->x->ndisc, b->link.ifindex, cv_ndisc_open);
		return fd < 0 ? fd
			      : cv_ndisc_send_na(fd, b->link.ifindex, &c->address, &mac,
						 cv_ndisc_is_router(c->interface));
	}
	fd = sock_for(&b->x->garp, b->link.ifindex, cv_garp_open);
	return fd < 0 ? fd : cv_garp_send(fd, b->link.ifindex, c->garp, &c->address, &mac);
}

static void burst_tick(void *data);

static void
burst_remove(struct burst *b)
{
	struct cv_executor *x = b->x;

	if (b->armed)
		qb_loop_timer_del(x->loop, b->timer);
	for (size_t i = 0; i < x->n_bursts; i++)
		if (x->bursts[i] == b) {
			x->bursts[i] = x->bursts[--x->n_bursts];
			break;
		}
	free(b);
}

static void
burst_tick(void *data)
{
	struct burst *b = data;
	uint64_t next_ms = b->conf->announce_interval_ms;
	int r;

	b->armed = false;
	cv_reaper_beat(); /* a takeover of many VIPs fires their bursts together */
	r = send_frame(b);
	if (r < 0)
		qb_log(LOG_WARNING, "VIP '%s': announce on %s failed: %s, ignoring", b->conf->head.name,
		       b->conf->interface, cv_strerror(r));

	if (--b->left == 0) {
		/* announce_refresh: one more frame every so often while we hold it
		 * (ADDR_DEL cancels); 0 ends here. */
		if (b->conf->announce_refresh_ms == 0) {
			burst_remove(b);
			return;
		}
		b->left = 1;
		next_ms = b->conf->announce_refresh_ms;
	}
	if (qb_loop_timer_add(b->x->loop, QB_LOOP_HIGH, next_ms * QB_TIME_NS_IN_MSEC, b,
			      burst_tick, &b->timer) == 0)
		b->armed = true;
	else
		burst_remove(b);
}

void
cv_exec_cancel_burst(struct cv_executor *x, const struct cv_vip_conf *conf)
{
	for (size_t i = 0; i < x->n_bursts; i++)
		if (x->bursts[i]->conf == conf) {
			burst_remove(x->bursts[i]);
			return;
		}
}

int
cv_exec_link(struct cv_executor *x, const char *ifname, struct cv_nl_link *ret,
	     struct cv_nl_error *err)
{
	int r;

	for (size_t i = 0; i < x->n_links; i++)
		if (strcmp(x->links[i].name, ifname) == 0) {
			*ret = x->links[i];
			return 0;
		}
	r = cv_nl_link_get(x->nl, ifname, ret, err);
	if (r >= 0 && x->n_links < ELEMENTSOF(x->links))
		x->links[x->n_links++] = *ret;
	return r;
}

static void
announce(struct cv_executor *x, const struct cv_action *a)
{
	struct burst *b;

	cv_exec_cancel_burst(x, a->conf);
	if (a->conf->announce_count == 0 || x->n_bursts == MAX_BURSTS)
		return;
	b = calloc(1, sizeof(*b));
	if (!b)
		return;
	*b = (struct burst){ .x = x, .conf = a->conf, .left = a->conf->announce_count };
	if (cv_exec_link(x, a->conf->interface, &b->link, NULL) < 0) {
		free(b);
		return;
	}
	x->bursts[x->n_bursts++] = b;
	burst_tick(b); /* the first frame at once: that is the failover */
}

/* ---- addresses that need care: the admin's, and IPv6 DAD under way ---- */

struct note *
cv_exec_note_find(struct cv_executor *x, const struct cv_vip_conf *conf)
{
	for (size_t i = 0; i < x->n_notes; i++)
		if (x->notes[i]->conf == conf)
			return x->notes[i];
	return NULL;
}

void
cv_exec_note_remove(struct note *n)
{
	struct cv_executor *x;

	if (!n)
		return;
	x = n->x;
	if (n->armed)
		qb_loop_timer_del(x->loop, n->timer);
	for (size_t i = 0; i < x->n_notes; i++)
		if (x->notes[i] == n) {
			x->notes[i] = x->notes[--x->n_notes];
			break;
		}
	free(n);
}

struct note *
cv_exec_note_add(struct cv_executor *x, const struct cv_action *a, enum note_kind kind, int ifindex)
{
	struct note *n;

	cv_exec_note_remove(cv_exec_note_find(x, a->conf));
	if (x->n_notes == MAX_NOTES || !(n = calloc(1, sizeof(*n))))
		return NULL;
	*n = (struct note){ .x = x, .conf = a->conf, .vip = a->vip, .epoch = a->epoch,
			    .kind = kind, .ifindex = ifindex };
	x->notes[x->n_notes++] = n;
	return n;
}

void
cv_exec_log_vip(int level, const struct cv_vip_conf *c, const char *what)
{
	char buf[CV_ADDR_STRLEN];

	qb_log(level, "VIP '%s' (%s on %s): %s", c->head.name,
	       cv_addr_format(&c->address, true, buf, sizeof(buf)), c->interface, what);
}

static void dad_deadline(void *data);

void
cv_exec_dad_start(struct cv_executor *x, const struct cv_action *a, int ifindex)
{
	struct note *n = cv_exec_note_add(x, a, NOTE_DAD, ifindex);

	if (!n)
		return; /* announce at once, as with nodad */
	n->armed = qb_loop_timer_add(x->loop, QB_LOOP_HIGH,
				     (uint64_t)DAD_DEADLINE_MS * QB_TIME_NS_IN_MSEC, n, dad_deadline,
				     &n->timer) == 0;
}

static void
dad_failed(struct note *n, int err, const char *what)
{
	struct cv_executor *x = n->x;
	const struct cv_vip_conf *conf = n->conf;
	uint64_t epoch = n->epoch;

	cv_exec_log_vip(LOG_ERR, conf, what);
	cv_exec_note_remove(n);
	cv_exec_result(x, conf, CV_ACT_ADDR_ADD, epoch, err);
}

static void
dad_passed(struct note *n)
{
	struct cv_executor *x = n->x;
	struct cv_action a = { .type = CV_ACT_ANNOUNCE, .vip = n->vip, .conf = n->conf };
	bool announce_now = n->announce;

	cv_exec_log_vip(LOG_INFO, n->conf, "duplicate address detection passed");
	cv_exec_note_remove(n);
	if (announce_now)
		announce(x, &a);
}

/* What the kernel says of an address in DAD: still tentative (0), passed or failed. */
static void
dad_judge(struct note *n, const struct cv_nl_addr *a, bool gone)
{
	/* The kernel deletes a non-permanent address (ours have a lease) that
	 * failed DAD, and marks a permanent one IFA_F_DADFAILED. */
	if (gone || (a->flags & IFA_F_DADFAILED))
		dad_failed(n, -EADDRINUSE,
			   "duplicate address detection failed: another host uses the address");
	else if (!(a->flags & IFA_F_TENTATIVE))
		dad_passed(n);
}

/* Ask the kernel directly (deadline, lost notifications). */
static void
dad_check(struct note *n, bool final)
{
	struct cv_nl_addr a;
	char what[96];
	int r = cv_nl_addr_find(n->x->nl, n->ifindex, &n->conf->address, &a);

	if (r < 0 && r != -ENOENT)
		return;
	dad_judge(n, &a, r == -ENOENT);
	if (!final || cv_exec_note_find(n->x, n->conf) != n)
		return;
	snprintf(what, sizeof(what), "duplicate address detection did not finish within %d ms",
		 DAD_DEADLINE_MS);
	dad_failed(n, -ETIMEDOUT, what);
}

static void
dad_deadline(void *data)
{
	struct note *n = data;

	n->armed = false;
	dad_check(n, true);
}

bool
cv_executor_on_addr(struct cv_executor *x, const struct cv_nl_addr *a, bool gone)
{
	for (size_t i = 0; i < x->n_notes; i++) {
		struct note *n = x->notes[i];

		if (n->kind != NOTE_DAD || n->ifindex != a->ifindex ||
		    !cv_addr_same_host(&n->conf->address, &a->addr))
			continue;
		if (gone && a->proto != x->tag)
			return false;
		dad_judge(n, a, gone);
		return gone;
	}
	return false;
}

void
cv_executor_recheck(struct cv_executor *x)
{
	/* dad_check may remove the note it is given: walk from the end. */
	for (size_t i = x->n_notes; i-- > 0;)
		if (i < x->n_notes && x->notes[i]->kind == NOTE_DAD)
			dad_check(x->notes[i], false);
}

static void
announce_when_ready(struct cv_executor *x, const struct cv_action *a)
{
	struct note *n = cv_exec_note_find(x, a->conf);

	if (!n)
		announce(x, a);
	else if (n->kind == NOTE_DAD)
		n->announce = true; /* the first frame once DAD has passed */
}

bool
cv_executor_link_up(struct cv_executor *x, const char *ifname)
{
	struct cv_nl_link link;

	return cv_nl_link_get(x->nl, ifname, &link, NULL) == 0 && cv_nl_link_is_up(&link);
}

bool
cv_executor_own_mac(struct cv_executor *x, int ifindex, const struct cv_mac *mac)
{
	char name[IF_NAMESIZE];
	struct cv_nl_link link;

	if (!if_indextoname((unsigned)ifindex, name) || cv_nl_link_get(x->nl, name, &link, NULL) < 0)
		return false;
	return link.mac_len == CV_MAC_LEN && memcmp(link.mac, mac->bytes, CV_MAC_LEN) == 0;
}

/* ---- the rest ---- */

static void
wakeup(void *data)
{
	struct cv_executor *x = data;

	x->wakeup_armed = false;
	x->sink(x->userdata, &(struct cv_event){ .type = CV_EV_TIMER });
}

static void
arm(struct cv_executor *x, uint64_t at)
{
	uint64_t now = now_ms();

	if (x->wakeup_armed)
		qb_loop_timer_del(x->loop, x->wakeup);
	x->wakeup_armed = false;
	if (qb_loop_timer_add(x->loop, QB_LOOP_HIGH,
			      (at > now ? at - now : 0) * QB_TIME_NS_IN_MSEC, x, wakeup,
			      &x->wakeup) == 0)
		x->wakeup_armed = true;
}

static int
transition_level(const struct cv_action *a)
{
	return a->to == CV_VIP_HELD || a->from == CV_VIP_HELD ? LOG_NOTICE : LOG_INFO;
}

/* Each VIP's own line: at its level in a small step, at debug in a big one. */
static void
log_transition(const struct cv_action *a, bool summarised)
{
	char buf[CV_ADDR_STRLEN];

	qb_log(summarised ? LOG_DEBUG : transition_level(a), "VIP '%s' (%s): %s -> %s (%s)",
	       a->conf->head.name, cv_addr_format(&a->conf->address, true, buf, sizeof(buf)),
	       cv_vip_state_to_string(a->from), cv_vip_state_to_string(a->to),
	       cv_reason_to_string(a->reason));
}

/*
 * At scale a step moves thousands of VIPs: one line per kind of transition
 * and its count (the per-VIP lines at debug), so that logging does not take
 * longer than the work. Up to TRANSITIONS_EACH, every VIP gets its line.
 */
#define TRANSITIONS_EACH 16

struct transition_count {
	const struct cv_action *first; /* from, to and reason of this kind */
	size_t n;
};

static size_t
count_transitions(const struct cv_actions *actions)
{
	size_t n = 0;

	for (size_t i = 0; i < actions->n; i++)
		n += actions->v[i].type == CV_ACT_TRANSITION;
	return n;
}

static void
log_transition_counts(const struct cv_actions *actions)
{
	struct transition_count kinds[16] = {};
	size_t n_kinds = 0, other = 0;

	for (size_t i = 0; i < actions->n; i++) {
		const struct cv_action *a = &actions->v[i];
		size_t k = 0;

		if (a->type != CV_ACT_TRANSITION)
			continue;
		while (k < n_kinds && (kinds[k].first->from != a->from || kinds[k].first->to != a->to ||
				       kinds[k].first->reason != a->reason))
			k++;
		if (k == ELEMENTSOF(kinds)) {
			other++;
			continue;
		}
		if (k == n_kinds)
			kinds[n_kinds++].first = a;
		kinds[k].n++;
	}
	for (size_t k = 0; k < n_kinds; k++)
		qb_log(transition_level(kinds[k].first), "%zu VIPs: %s -> %s (%s), e.g. '%s'",
		       kinds[k].n, cv_vip_state_to_string(kinds[k].first->from),
		       cv_vip_state_to_string(kinds[k].first->to),
		       cv_reason_to_string(kinds[k].first->reason), kinds[k].first->conf->head.name);
	if (other)
		qb_log(LOG_NOTICE, "%zu VIPs: other transitions (see the debug log)", other);
}

static bool
is_address_op(const struct cv_action *a)
{
	return a->type == CV_ACT_ADDR_ADD || a->type == CV_ACT_ADDR_DEL || a->type == CV_ACT_RENEW;
}

static void
run_one(struct cv_executor *x, const struct cv_action *a, bool summarised)
{
	int r;

	switch (a->type) {
	case CV_ACT_ANNOUNCE:
		announce_when_ready(x, a);
		break;
	case CV_ACT_SEND:
		r = x->cpg ? cv_cpg_send(x->cpg, &a->msg) : -ENOTCONN;
		if (r < 0)
			qb_log(LOG_DEBUG, "CPG send of %s failed: %s",
			       cv_proto_type_to_string(a->msg.type), cv_strerror(r));
		break;
	case CV_ACT_ARM_TIMER:
		arm(x, a->at_ms);
		break;
	case CV_ACT_CANCEL_TIMER:
		if (x->wakeup_armed)
			qb_loop_timer_del(x->loop, x->wakeup);
		x->wakeup_armed = false;
		break;
	case CV_ACT_TRANSITION:
		log_transition(a, summarised);
		break;
	case CV_ACT_NOTICE:
		qb_log(a->notice == CV_NOTICE_BAD_MESSAGE ? LOG_WARNING : LOG_NOTICE,
		       "%s (node %u)%s%s", cv_notice_to_string(a->notice), a->node,
		       a->text ? ": " : "", a->text ? a->text : "");
		break;
	case CV_ACT_STOPPED:
		qb_log(LOG_NOTICE, "everything handed off, stopping");
		qb_loop_stop(x->loop);
		break;
	default:
		break;
	}
}

/*
 * The address operations first, in batches (executor-addr.c), then the rest
 * in order. Moving the others after them is safe: an operation's outcome
 * reaches the engine only later, as an event (so no message of this step
 * can depend on it), and an ANNOUNCE must follow its ADDR_ADD anyway.
 */
void
cv_executor_run(struct cv_executor *x, const struct cv_engine *engine,
		const struct cv_actions *actions)
{
	_cleanup_free_ const struct cv_action **ops = calloc(actions->n ? actions->n : 1,
							     sizeof(*ops));
	size_t n = 0;
	bool summarised;

	x->n_links = 0; /* links are looked up again each step */
	for (size_t i = 0; ops && i < actions->n; i++)
		if (is_address_op(&actions->v[i]))
			ops[n++] = &actions->v[i];
	if (!ops) {
		qb_log(LOG_CRIT, "out of memory: %zu actions not run", actions->n);
		return;
	}
	cv_exec_addr_run(x, engine, ops, n);
	summarised = count_transitions(actions) > TRANSITIONS_EACH;
	for (size_t i = 0; i < actions->n; i++) {
		cv_reaper_beat();
		if (!is_address_op(&actions->v[i]))
			run_one(x, &actions->v[i], summarised);
	}
	if (summarised)
		log_transition_counts(actions);
}

/* The VIP of cfg that c becomes: same name, address and interface. */
static const struct cv_vip_conf *
same_vip(const struct cv_config *cfg, const struct cv_vip_conf *c)
{
	const struct cv_vip_conf *n = cfg ? cv_config_find_vip(cfg, c->head.name) : NULL;

	if (!n || cv_addr_compare(&n->address, &c->address) != 0 ||
	    strcmp(n->interface ? n->interface : "", c->interface ? c->interface : "") != 0)
		return NULL;
	return n;
}

void
cv_executor_switch_config(struct cv_executor *x, const struct cv_config *next)
{
	for (size_t i = 0; i < x->n_bursts;) {
		const struct cv_vip_conf *n = same_vip(next, x->bursts[i]->conf);

		if (n)
			x->bursts[i++]->conf = n; /* its announce_* settings from now on */
		else
			burst_remove(x->bursts[i]);
	}
	while (x->n_notes)
		cv_exec_note_remove(x->notes[0]);
}

void
cv_executor_set_cpg(struct cv_executor *x, struct cv_cpg *cpg)
{
	x->cpg = cpg;
}

static int
held_vip(const struct cv_engine *engine, const struct cv_nl_addr *a)
{
	const struct cv_config *cfg = engine ? cv_engine_config(engine) : NULL;
	const struct cv_vip_conf *v = cfg ? cv_config_find_vip_by_host(cfg, &a->addr) : NULL;
	size_t i = v ? (size_t)(v - cfg->vips) : 0;

	if (!v || cv_engine_vip_state(engine, i) != CV_VIP_HELD || !v->interface ||
	    (int)if_nametoindex(v->interface) != a->ifindex)
		return -ENOENT;
	return (int)i;
}

int
cv_executor_reconcile(struct cv_executor *x, const struct cv_owned *owned,
		      const struct cv_engine *engine, void (*gone)(void *userdata, size_t vip),
		      void *userdata)
{
	_cleanup_free_ struct cv_nl_addr *addrs = NULL;
	_cleanup_free_ bool *seen = NULL;
	size_t n = 0, n_vips = engine ? cv_engine_n_vips(engine) : 0;
	int r = cv_nl_addr_dump(x->nl, AF_UNSPEC, 0, &addrs, &n), left = 0;

	if (r < 0)
		return r;
	seen = calloc(n_vips ? n_vips : 1, sizeof(*seen));
	if (!seen)
		return -ENOMEM;
	for (size_t k = 0; k < n; k++) {
		struct cv_nl_addr_req req = { .addr = addrs[k].addr, .ifindex = addrs[k].ifindex,
					      .tag = x->tag };
		struct cv_nl_error err = {};
		char buf[CV_ADDR_STRLEN];
		int i;

		if (!cv_owned_is_ours(owned, &addrs[k]))
			continue; /* the admin's own, or another owner's */
		cv_reaper_beat();
		i = held_vip(engine, &addrs[k]);
		if (i >= 0) {
			seen[i] = true;
			continue;
		}
		r = cv_nl_addr_do(x->nl, CV_NL_DEL, &req, &err);
		left += r < 0;
		qb_log(LOG_WARNING, "%s (ifindex %d): tagged as ours but not held: %s%s%s",
		       cv_addr_format(&addrs[k].addr, true, buf, sizeof(buf)), addrs[k].ifindex,
		       r < 0 ? "could not remove it: " : "removed", r < 0 ? cv_strerror(r) : "",
		       err.msg);
	}
	for (size_t i = 0; gone && i < n_vips; i++)
		if (!seen[i] && cv_engine_vip_state(engine, i) == CV_VIP_HELD)
			gone(userdata, i);
	return left;
}

int
cv_executor_new(qb_loop_t *loop, uint8_t tag, cv_event_sink_fn sink, void *userdata,
		struct cv_executor **ret)
{
	struct cv_executor *x = calloc(1, sizeof(*x));
	int r;

	if (!x)
		return -ENOMEM;
	*x = (struct cv_executor){ .loop = loop, .tag = tag, .sink = sink, .userdata = userdata,
				   .garp = { .fd = -1 }, .ndisc = { .fd = -1 } };
	r = cv_nl_new(&x->nl);
	if (r < 0) {
		free(x);
		return r;
	}
	*ret = x;
	return 0;
}

struct cv_executor *
cv_executor_free(struct cv_executor *x)
{
	if (!x)
		return NULL;
	cv_executor_switch_config(x, NULL);
	if (x->wakeup_armed)
		qb_loop_timer_del(x->loop, x->wakeup);
	if (x->garp.fd >= 0)
		close(x->garp.fd);
	if (x->ndisc.fd >= 0)
		close(x->ndisc.fd);
	cv_nl_free(x->nl);
	free(x);
	return NULL;
}
