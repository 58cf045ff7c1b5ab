/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <qb/qblog.h>
#include <qb/qbutil.h>

#include "cv-error.h"
#include "cv-macros.h"
#include "executor.h"
#include "garp.h"
#include "ndisc.h"
#include "netlink.h"

#define MAX_BURSTS 4096

/* One announce burst: the VIP's frames, count times, interval apart. */
struct burst {
	struct cv_executor *x;
	const struct cv_vip_conf *conf;
	struct cv_nl_link link;
	unsigned left;
	qb_loop_timer_handle timer;
	bool armed;
};

/* A send socket kept open per family for the last interface used. */
struct sock {
	int fd, ifindex;
};

struct cv_executor {
	qb_loop_t *loop;
	cv_event_sink_fn sink;
	void *userdata;
	struct cv_nl *nl;
	struct cv_cpg *cpg;
	qb_loop_timer_handle wakeup;
	bool wakeup_armed;
	struct burst *bursts[MAX_BURSTS];
	size_t n_bursts;
	/* Sockets stay open: closing an AF_PACKET socket waits for an RCU grace period. */
	struct sock garp, ndisc;
};

static uint64_t
now_ms(void)
{
	return qb_util_nano_current_get() / QB_TIME_NS_IN_MSEC;
}

/* ---- feedback ---- */

struct feedback {
	struct cv_executor *x;
	struct cv_event ev;
};

static void
feedback_job(void *data)
{
	struct feedback *f = data;

	f->x->sink(f->x->userdata, &f->ev);
	free(f);
}

static void
action_failed(struct cv_executor *x, uint32_t vip, int err)
{
	struct feedback *f = calloc(1, sizeof(*f));

	if (!f)
		return;
	*f = (struct feedback){ .x = x,
				.ev = { .type = CV_EV_ACTION_FAILED, .vip = { .vip = vip, .err = err } } };
	if (qb_loop_job_add(x->loop, QB_LOOP_HIGH, f, feedback_job) < 0)
		free(f);
}

/* ---- addresses ---- */

static int
request(struct cv_executor *x, const struct cv_vip_conf *c, struct cv_nl_addr_req *ret,
	struct cv_nl_link *ret_link, struct cv_nl_error *err)
{
	struct cv_nl_link link;
	int r = cv_nl_link_get(x->nl, c->interface, &link, err);

	if (r < 0)
		return r;
	*ret = (struct cv_nl_addr_req){ .addr = c->address,
					.ifindex = link.ifindex,
					.nodad = c->nodad,
					.deprecated = c->deprecated };
	if (ret_link)
		*ret_link = link;
	return 0;
}

static void
addr_op(struct cv_executor *x, enum cv_nl_op op, const struct cv_action *a, uint32_t lease_s)
{
	struct cv_nl_error err = {};
	struct cv_nl_addr_req req;
	char buf[CV_ADDR_STRLEN];
	int r = request(x, a->conf, &req, NULL, &err);

	if (r >= 0) {
		req.lease_s = lease_s;
		r = cv_nl_addr_do(x->nl, op, &req, &err);
	}
	if (r >= 0)
		return;
	qb_log(LOG_ERR, "VIP '%s' (%s on %s): %s failed: %s%s%s%s", a->conf->head.name,
	       cv_addr_format(&a->conf->address, true, buf, sizeof(buf)), a->conf->interface,
	       cv_nl_op_to_string(op), cv_strerror(r), err.msg[0] ? " (kernel: " : "", err.msg,
	       err.msg[0] ? ")" : "");
	if (op == CV_NL_ADD)
		action_failed(x, a->vip, r);
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

static void
cancel_burst(struct cv_executor *x, const struct cv_vip_conf *conf)
{
	for (size_t i = 0; i < x->n_bursts; i++)
		if (x->bursts[i]->conf == conf) {
			burst_remove(x->bursts[i]);
			return;
		}
}

static void
announce(struct cv_executor *x, const struct cv_action *a)
{
	struct cv_nl_error err = {};
	struct cv_nl_addr_req req;
	struct burst *b;

	cancel_burst(x, a->conf);
	if (a->conf->announce_count == 0 || x->n_bursts == MAX_BURSTS)
		return;
	b = calloc(1, sizeof(*b));
	if (!b)
		return;
	*b = (struct burst){ .x = x, .conf = a->conf, .left = a->conf->announce_count };
	if (request(x, a->conf, &req, &b->link, &err) < 0) {
		free(b);
		return;
	}
	x->bursts[x->n_bursts++] = b;
	burst_tick(b); /* the first frame at once: that is the failover */
}

/* ---- the rest ---- */

static void
renew(struct cv_executor *x, const struct cv_engine *engine)
{
	const struct cv_config *cfg = NULL;

	for (size_t i = 0; i < cv_engine_n_vips(engine); i++) {
		if (cv_engine_vip_state(engine, i) != CV_VIP_HELD)
			continue;
		cfg = cv_engine_config(engine);
		addr_op(x, CV_NL_RENEW,
			&(struct cv_action){ .vip = (uint32_t)i, .conf = &cfg->vips[i] },
			cfg->cluster.kernel_lease_ms / 1000);
	}
}

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

static void
log_transition(const struct cv_action *a)
{
	char buf[CV_ADDR_STRLEN];

	qb_log(a->to == CV_VIP_HELD || a->from == CV_VIP_HELD ? LOG_NOTICE : LOG_INFO,
	       "VIP '%s' (%s): %s -> %s (%s)", a->conf->head.name,
	       cv_addr_format(&a->conf->address, true, buf, sizeof(buf)),
	       cv_vip_state_to_string(a->from), cv_vip_state_to_string(a->to),
	       cv_reason_to_string(a->reason));
}

static void
run_one(struct cv_executor *x, const struct cv_engine *engine, const struct cv_action *a)
{
	int r;

	switch (a->type) {
	case CV_ACT_ADDR_ADD:
		addr_op(x, CV_NL_ADD, a, cv_engine_config(engine)->cluster.kernel_lease_ms / 1000);
		break;
	case CV_ACT_ADDR_DEL:
		cancel_burst(x, a->conf);
		addr_op(x, CV_NL_DEL, a, 0);
		break;
	case CV_ACT_ANNOUNCE:
		announce(x, a);
		break;
	case CV_ACT_RENEW:
		renew(x, engine);
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
		log_transition(a);
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

void
cv_executor_run(struct cv_executor *x, const struct cv_engine *engine,
		const struct cv_actions *actions)
{
	for (size_t i = 0; i < actions->n; i++)
		run_one(x, engine, &actions->v[i]);
}

void
cv_executor_forget_config(struct cv_executor *x)
{
	while (x->n_bursts)
		burst_remove(x->bursts[0]);
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

	for (size_t i = 0; cfg && i < cfg->n_vips; i++)
		if (cv_engine_vip_state(engine, i) == CV_VIP_HELD && cfg->vips[i].interface &&
		    cv_addr_same_host(&cfg->vips[i].address, &a->addr) &&
		    (int)if_nametoindex(cfg->vips[i].interface) == a->ifindex)
			return (int)i;
	return -ENOENT;
}

int
cv_executor_reconcile(struct cv_executor *x, const struct cv_engine *engine,
		      void (*gone)(void *userdata, size_t vip), void *userdata)
{
	_cleanup_free_ struct cv_nl_addr *addrs = NULL;
	_cleanup_free_ bool *seen = NULL;
	size_t n = 0, n_vips = engine ? cv_engine_n_vips(engine) : 0;
	int r = cv_nl_addr_dump(x->nl, AF_UNSPEC, 0, &addrs, &n);

	if (r < 0)
		return r;
	seen = calloc(n_vips ? n_vips : 1, sizeof(*seen));
	if (!seen)
		return -ENOMEM;
	for (size_t k = 0; k < n; k++) {
		struct cv_nl_addr_req req = { .addr = addrs[k].addr, .ifindex = addrs[k].ifindex };
		struct cv_nl_error err = {};
		char buf[CV_ADDR_STRLEN];
		int i;

		if (addrs[k].proto != CV_NL_IFA_PROTO)
			continue; /* the admin's own */
		i = held_vip(engine, &addrs[k]);
		if (i >= 0) {
			seen[i] = true;
			continue;
		}
		r = cv_nl_addr_do(x->nl, CV_NL_DEL, &req, &err);
		qb_log(LOG_WARNING, "%s (ifindex %d): tagged as ours but not held: %s%s%s",
		       cv_addr_format(&addrs[k].addr, true, buf, sizeof(buf)), addrs[k].ifindex,
		       r < 0 ? "could not remove it: " : "removed", r < 0 ? cv_strerror(r) : "",
		       err.msg);
	}
	for (size_t i = 0; gone && i < n_vips; i++)
		if (!seen[i] && cv_engine_vip_state(engine, i) == CV_VIP_HELD)
			gone(userdata, i);
	return 0;
}

int
cv_executor_new(qb_loop_t *loop, cv_event_sink_fn sink, void *userdata, struct cv_executor **ret)
{
	struct cv_executor *x = calloc(1, sizeof(*x));
	int r;

	if (!x)
		return -ENOMEM;
	*x = (struct cv_executor){ .loop = loop, .sink = sink, .userdata = userdata,
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
	cv_executor_forget_config(x);
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
