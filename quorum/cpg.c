/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libcpg in the qb loop, after corosync-notifyd and Pacemaker's
 * pcmk__cpg_connect: initialize (model v1, with the totem confchg), check that
 * the provider is root, join, poll the fd, dispatch one message per wakeup.
 * Any error but "not now" means the connection is lost: finalize, tell the
 * engine (CV_EV_CONN_LOST, rule 7) and let the owner reconnect on a timer.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <corosync/cpg.h>
#include <qb/qblog.h>

#include "cpg.h"
#include "cs-error.h"
#include "cv-error.h"
#include "cv-macros.h"

#define RETRY_MS 5
#define MAX_MEMBERS 256

struct pending {
	struct pending *next;
	size_t len;
	uint8_t buf[];
};

struct cv_cpg {
	qb_loop_t *loop;
	cpg_handle_t handle;
	bool connected;
	int fd;
	struct cpg_name name;
	cv_event_sink_fn sink;
	void *userdata;
	uint32_t nodeid;
	struct pending *head, **tail; /* sends corosync refused for now, in order */
	qb_loop_timer_handle retry;
	bool retry_armed;
	bool send_only; /* deliveries are dropped unread */
	struct cv_cpg_stats stats;
};

static void
emit(struct cv_cpg *c, const struct cv_event *ev)
{
	c->sink(c->userdata, ev);
}

static void
drop_pending(struct cv_cpg *c)
{
	while (c->head) {
		struct pending *p = c->head;

		c->head = p->next;
		free(p);
	}
	c->tail = &c->head;
}

/* in_dispatch: qb drops the fd itself when the dispatch function returns -1. */
static void
lost(struct cv_cpg *c, bool in_dispatch)
{
	if (!c->connected)
		return;
	if (!in_dispatch)
		qb_loop_poll_del(c->loop, c->fd);
	cpg_finalize(c->handle);
	c->connected = false;
	c->fd = -1;
	drop_pending(c); /* they were for a ring we are no longer part of */
	emit(c, &(struct cv_event){ .type = CV_EV_CONN_LOST });
}

static struct cv_cpg *
from_handle(cpg_handle_t h)
{
	void *ctx = NULL;

	cpg_context_get(h, &ctx);
	return ctx;
}

static void
on_deliver(cpg_handle_t h, const struct cpg_name *group, uint32_t nodeid, uint32_t pid, void *msg,
	   size_t len)
{
	struct cv_cpg *c = from_handle(h);
	struct cv_proto_msg m;
	int r;

	if (c->send_only)
		return;
	r = cv_proto_decode(msg, len, &m);
	if (r < 0) {
		uint64_t n;

		/* Counted, never trusted; the daemon keeps what it holds. */
		if (r == CV_E_PROTO_VERSION)
			c->stats.bad_version++;
		else
			c->stats.bad_message++;
		/* Said at the 1st, 2nd, 4th, 8th... so that a flood cannot flood the log. */
		n = c->stats.bad_version + c->stats.bad_message;
		qb_log((n & (n - 1)) == 0 ? LOG_WARNING : LOG_DEBUG,
		       "CPG message from node %u pid %u rejected: %s (%" PRIu64 " rejected so far)",
		       nodeid, pid, cv_strerror(r), n);
		/* The engine stops waiting for a member of another version. */
		if (r == CV_E_PROTO_VERSION)
			emit(c, &(struct cv_event){ .type = CV_EV_MESSAGE,
						    .message = { .nodeid = nodeid, .pid = pid,
								 .decode_err = r } });
		return;
	}
	c->stats.delivered++;
	c->stats.delivered_of[m.type]++;
	c->stats.delivered_bytes_of[m.type] += len;
	emit(c, &(struct cv_event){ .type = CV_EV_MESSAGE,
				    .message = { .nodeid = nodeid, .pid = pid, .msg = &m } });
	cv_proto_msg_done(&m);
}

static size_t
members(const struct cpg_address *in, size_t n, struct cv_member *out)
{
	n = CV_MIN(n, (size_t)MAX_MEMBERS);
	for (size_t i = 0; i < n; i++)
		out[i] = (struct cv_member){ .nodeid = in[i].nodeid,
					     .pid = in[i].pid,
					     .reason = (enum cv_leave_reason)in[i].reason };
	return n;
}

static void
on_confchg(cpg_handle_t h, const struct cpg_name *group, const struct cpg_address *member_list,
	   size_t n_members, const struct cpg_address *left_list, size_t n_left,
	   const struct cpg_address *joined_list, size_t n_joined)
{
	struct cv_cpg *c = from_handle(h);
	struct cv_member mem[MAX_MEMBERS], left[MAX_MEMBERS], joined[MAX_MEMBERS];
	struct cv_event ev = { .type = CV_EV_GROUP };
	pid_t me = getpid();

	ev.group.members = mem;
	ev.group.n_members = members(member_list, n_members, mem);
	ev.group.left = left;
	ev.group.n_left = members(left_list, n_left, left);
	ev.group.joined = joined;
	ev.group.n_joined = members(joined_list, n_joined, joined);
	emit(c, &ev);
	/* Evicted from the group (Pacemaker's cpg_evicted): as good as lost. */
	for (size_t i = 0; i < n_left; i++)
		if (left_list[i].nodeid == c->nodeid && left_list[i].pid == (uint32_t)me)
			lost(c, true);
}

static void
on_totem(cpg_handle_t h, struct cpg_ring_id ring, uint32_t n, const uint32_t *list)
{
	struct cv_cpg *c = from_handle(h);

	emit(c, &(struct cv_event){ .type = CV_EV_TOTEM,
				    .totem = { .ring = { ring.nodeid, ring.seq },
					       .members = list,
					       .n_members = n } });
}

static int32_t
dispatch(int32_t fd, int32_t revents, void *data)
{
	struct cv_cpg *c = data;
	int r = cv_cs_to_errno(cpg_dispatch(c->handle, CS_DISPATCH_ONE));

	if (r == 0 || r == -EAGAIN)
		return 0;
	qb_log(LOG_WARNING, "CPG connection lost: %s", cv_strerror(r));
	lost(c, true);
	return -1;
}

/* ---- connecting ---- */

static int
provider_is_root(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return -errno;
	return cred.uid == 0 ? 0 : -EACCES;
}

int
cv_cpg_connect(struct cv_cpg *c)
{
	cpg_model_v1_data_t model = {
		.model = CPG_MODEL_V1,
		.cpg_deliver_fn = on_deliver,
		.cpg_confchg_fn = on_confchg,
		.cpg_totem_confchg_fn = on_totem,
		.flags = CPG_MODEL_V1_DELIVER_INITIAL_TOTEM_CONF,
	};
	unsigned int nodeid = 0;
	int r;

	if (c->connected)
		return 0;
	r = cv_cs_to_errno(cpg_model_initialize(&c->handle, CPG_MODEL_V1,
						(cpg_model_data_t *)&model, c));
	if (r < 0)
		return r == -EAGAIN ? r : -ENOTCONN;
	r = cv_cs_to_errno(cpg_fd_get(c->handle, &c->fd));
	if (r >= 0)
		r = provider_is_root(c->fd);
	if (r >= 0)
		r = cv_cs_to_errno(cpg_local_get(c->handle, &nodeid));
	if (r >= 0)
		r = cv_cs_to_errno(cpg_join(c->handle, &c->name));
	if (r >= 0)
		r = qb_loop_poll_add(c->loop, QB_LOOP_HIGH, c->fd, POLLIN | POLLPRI, c, dispatch);
	if (r < 0) {
		cpg_finalize(c->handle);
		return r;
	}
	c->nodeid = nodeid;
	c->connected = true;
	return 0;
}

uint32_t
cv_cpg_nodeid(const struct cv_cpg *c)
{
	return c->nodeid;
}

/* ---- sending ---- */

static int
mcast(struct cv_cpg *c, const struct pending *p)
{
	struct iovec iov = { .iov_base = (void *)p->buf, .iov_len = p->len };

	return cv_cs_to_errno(cpg_mcast_joined(c->handle, CPG_TYPE_AGREED, &iov, 1));
}

static void retry(void *data);

static void
arm_retry(struct cv_cpg *c)
{
	if (c->retry_armed)
		return;
	if (qb_loop_timer_add(c->loop, QB_LOOP_HIGH, RETRY_MS * QB_TIME_NS_IN_MSEC, c, retry,
			      &c->retry) == 0)
		c->retry_armed = true;
}

/* Send what waits, in order, until corosync says "not now" again. */
static void
flush(struct cv_cpg *c)
{
	while (c->head && c->connected) {
		struct pending *p = c->head;
		int r = mcast(c, p);

		if (r == -EAGAIN) {
			c->stats.send_retries++;
			arm_retry(c);
			return;
		}
		c->head = p->next;
		if (!c->head)
			c->tail = &c->head;
		free(p);
		if (r < 0) {
			lost(c, false);
			return;
		}
	}
}

bool
cv_cpg_has_pending(const struct cv_cpg *c)
{
	return c && c->connected && c->head;
}

static void
retry(void *data)
{
	struct cv_cpg *c = data;

	c->retry_armed = false;
	flush(c);
}

int
cv_cpg_send(struct cv_cpg *c, const struct cv_proto_msg *m)
{
	struct pending *p = malloc(sizeof(*p) + CV_PROTO_MAX_MSG);
	int r;

	if (!p)
		return -ENOMEM;
	r = cv_proto_encode(m, p->buf, CV_PROTO_MAX_MSG, &p->len);
	if (r < 0) {
		free(p);
		return r;
	}
	if (!c->connected) {
		free(p);
		return -ENOTCONN;
	}
	c->stats.sent_of[m->type]++;
	c->stats.sent_bytes_of[m->type] += p->len;
	p->next = NULL;
	*c->tail = p;
	c->tail = &p->next;
	flush(c);
	return 0;
}

void
cv_cpg_send_only(struct cv_cpg *c)
{
	c->send_only = true;
}

const struct cv_cpg_stats *
cv_cpg_stats(const struct cv_cpg *c)
{
	return &c->stats;
}

int
cv_cpg_new(qb_loop_t *loop, const char *group, cv_event_sink_fn sink, void *userdata,
	   struct cv_cpg **ret)
{
	struct cv_cpg *c;
	size_t n = strlen(group);

	if (n == 0 || n >= sizeof(c->name.value))
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->loop = loop;
	c->fd = -1;
	c->sink = sink;
	c->userdata = userdata;
	c->tail = &c->head;
	c->name.length = (uint32_t)n;
	memcpy(c->name.value, group, n);
	*ret = c;
	return 0;
}

struct cv_cpg *
cv_cpg_free(struct cv_cpg *c)
{
	if (!c)
		return NULL;
	if (c->retry_armed)
		qb_loop_timer_del(c->loop, c->retry);
	if (c->connected) {
		qb_loop_poll_del(c->loop, c->fd);
		cpg_leave(c->handle, &c->name);
		cpg_finalize(c->handle);
	}
	drop_pending(c);
	free(c);
	return NULL;
}
