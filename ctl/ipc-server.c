/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>

#include <qb/qbipcs.h>
#include <qb/qblog.h>
#include <qb/qbutil.h>

#include "cv-error.h"
#include "cv-macros.h"
#include "name.h"
#include "number.h"
#include "ipc-guard.h"
#include "ipc-proto.h"
#include "ipc-server.h"
#include "ipc-status.h"
#include "status-int.h"

/* The rest of an answer too large for one message, for its connection. */
struct pending {
	qb_ipcs_connection_t *c; /* NULL: a free slot */
	char *text;
	size_t off, len;
};

struct cv_ipc_server {
	qb_ipcs_service_t *service;
	/* one per connection at most: bounded by the guard's slots, dropped
	 * with the connection (an idle one is closed after CV_IPC_IDLE_MS) */
	struct pending pending[CV_IPC_ROOT_SLOTS + CV_IPC_SHARED_SLOTS];
	struct cv_ipc_guard *guard; /* who may connect, how many, for how long */
	const struct cv_ipc_ops *ops;
	void *userdata;
	struct cv_ipc_transition *transitions; /* by the engine's VIP index */
	size_t n_transitions;
	struct cv_ratelimit rl_failed; /* failed commands: anyone in haclient can send many */
	struct cv_ratelimit rl_audit;  /* audit lines: a burst, then how many were held back */
	struct cv_ipc_counters counters;
	uint64_t member_lost_at; /* monotonic ms of corosync's last lost member, 0: none */
};

void
cv_ipc_server_refresh_group(struct cv_ipc_server *s)
{
	if (s)
		cv_ipc_guard_refresh_group(s->guard);
}

static int32_t
on_accept(qb_ipcs_connection_t *c, uid_t uid, gid_t gid)
{
	struct cv_ipc_server *s = qb_ipcs_connection_service_context_get(c);

	return cv_ipc_guard_accept(s->guard, c, uid, gid);
}

static void
on_created(qb_ipcs_connection_t *c)
{
	struct cv_ipc_server *s = qb_ipcs_connection_service_context_get(c);

	cv_ipc_guard_created(s->guard, c);
}

/* Also for a connection that connection_accept refused or that never got set up. */
static void
on_destroyed(qb_ipcs_connection_t *c)
{
	struct cv_ipc_server *s = qb_ipcs_connection_service_context_get(c);

	for (size_t i = 0; i < ELEMENTSOF(s->pending); i++)
		if (s->pending[i].c == c) {
			free(s->pending[i].text);
			s->pending[i] = (struct pending){};
		}
	cv_ipc_guard_destroyed(s->guard, c);
}

/* ---- commands ---- */

static int _printf_(4, 5)
fail(char *err, size_t len, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return r;
}

static int
text_dup(char **ret, const char *fmt, ...) _printf_(2, 3);

static int
text_dup(char **ret, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(ret, fmt, ap);
	va_end(ap);
	return r < 0 ? -ENOMEM : 0;
}

static struct cv_ipc_report
report(const struct cv_ipc_server *s)
{
	struct cv_ipc_report r = { .engine = s->ops->engine(s->userdata),
				   .cpg = s->ops->cpg_stats(s->userdata),
				   .transitions = s->transitions,
				   .n_transitions = s->n_transitions,
				   .progress = s->ops->progress,
				   .cloud = s->ops->cloud,
				   .userdata = s->userdata,
				   .counters = &s->counters };
	struct timespec ts;

	/* the daemon's engine clock (agent/daemon.c now_ms) */
	r.mono_now_ms = qb_util_nano_current_get() / QB_TIME_NS_IN_MSEC;
	clock_gettime(CLOCK_REALTIME, &ts);
	r.unix_now_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	if (s->ops->checks)
		r.n_checks = s->ops->checks(s->userdata, &r.checks);
	return r;
}

static int
do_status(struct cv_ipc_server *s, const struct cv_ipc_request *req, char **ret, char *err,
	  size_t len)
{
	struct cv_ipc_report r = report(s);

	return req->hdr.id == CV_IPC_STATUS_JSON ? cv_ipc_status_json(&r, ret)
						 : cv_ipc_status_text(&r, ret);
}

static int
do_metrics(struct cv_ipc_server *s, const struct cv_ipc_request *req, char **ret, char *err,
	   size_t len)
{
	struct cv_ipc_report r = report(s);

	return cv_ipc_status_metrics(&r, ret);
}

int
cv_ipc_server_metrics(struct cv_ipc_server *s, char **ret)
{
	struct cv_ipc_report r = report(s);

	return cv_ipc_status_metrics(&r, ret);
}

static const struct cv_engine *
connected_engine(const struct cv_ipc_server *s, char *err, size_t len)
{
	const struct cv_engine *e = s->ops->engine(s->userdata);

	if (!e)
		fail(err, len, 0, "corovipd is not connected to corosync yet");
	return e;
}

/* A node by its config name (or its corosync node id, in decimal). */
static int
resolve_node(const struct cv_engine *e, const char *name, uint32_t *ret, char *err, size_t len)
{
	const struct cv_config *cfg = cv_engine_config(e);

	for (size_t i = 0; i < cfg->n_nodes; i++) {
		if (strcmp(cfg->nodes[i].head.name, name) != 0)
			continue;
		*ret = cv_engine_node_id(e, i);
		if (!*ret)
			return fail(err, len, -ENXIO, "node '%s': its corosync node id is unknown",
				    name);
		return 0;
	}
	if (name[0] != '0' && cv_parse_u32(name, UINT32_MAX, ret) == 0)
		return 0;
	return fail(err, len, -ENOENT, "no such node '%s' in the configuration", name);
}

static bool
has_vip(const struct cv_engine *e, const char *name)
{
	const struct cv_config *cfg = cv_engine_config(e);

	for (size_t i = 0; i < cfg->n_vips; i++)
		if (strcmp(cfg->vips[i].head.name, name) == 0)
			return true;
	return false;
}

static int
do_move(struct cv_ipc_server *s, const struct cv_ipc_request *req, char **ret, char *err,
	size_t len)
{
	const struct cv_engine *e = connected_engine(s, err, len);
	const char *refused = NULL;
	uint32_t node;
	int r;

	if (!e)
		return -ENOTCONN;
	if (!has_vip(e, req->vip))
		return fail(err, len, -ENOENT, "no such VIP '%s' in the configuration", req->vip);
	r = resolve_node(e, req->node, &node, err, len);
	if (r < 0)
		return r;
	r = s->ops->admin(s->userdata,
			  &(struct cv_event){ .type = CV_EV_ADMIN_MOVE,
					      .move = { .vip = req->vip, .node = node } },
			  &refused);
	if (r < 0)
		return fail(err, len, r, "move failed: %s", cv_strerror(r));
	if (refused)
		return fail(err, len, -EPERM, "move of VIP '%s' to node '%s' refused: %s", req->vip,
			    req->node, refused);
	return text_dup(ret, "moving VIP '%s' to node '%s' (%" PRIu32 ")\n", req->vip, req->node,
			node);
}

static int
do_where(struct cv_ipc_server *s, const struct cv_ipc_request *req, char **ret, char *err,
	 size_t len)
{
	const struct cv_engine *e = connected_engine(s, err, len);
	const struct cv_vip_conf *v;
	struct cv_vip_why w;
	uint32_t node;
	size_t n = 0, moving = 0, i;
	int r;

	if (!e)
		return -ENOTCONN;
	if (req->vip[0]) {
		v = cv_config_find_vip(cv_engine_config(e), req->vip);
		if (!v)
			return fail(err, len, -ENOENT, "no such VIP '%s' in the configuration", req->vip);
		i = (size_t)(v - cv_engine_config(e)->vips);
		cv_engine_vip_why(e, i, &w);
		node = cv_engine_vip_owner(e, i);
		return text_dup(ret, "%s %s\n", node ? cv_status_node_name(e, node) ?: "?" : "-",
				cv_why_to_string(w.why));
	}
	r = resolve_node(e, req->node, &node, err, len);
	if (r < 0)
		return r;
	for (size_t k = 0; k < cv_engine_n_vips(e); k++) {
		cv_engine_vip_why(e, k, &w);
		n += cv_engine_vip_owner(e, k) == node;
		moving += cv_why_in_motion(w.why);
	}
	return text_dup(ret, "%zu %zu\n", n, moving);
}

static int
do_standby(struct cv_ipc_server *s, const struct cv_ipc_request *req, char **ret, char *err,
	   size_t len)
{
	const struct cv_engine *e = connected_engine(s, err, len);
	bool on = req->hdr.id == CV_IPC_STANDBY;
	uint32_t node;
	int r;

	if (!e)
		return -ENOTCONN;
	r = resolve_node(e, req->node, &node, err, len);
	if (r < 0)
		return r;
	r = s->ops->admin(s->userdata,
			  &(struct cv_event){ .type = CV_EV_ADMIN_STANDBY,
					      .standby = { .node = node, .standby = on } },
			  NULL);
	if (r < 0)
		return fail(err, len, r, "%s failed: %s", on ? "standby" : "unstandby",
			    cv_strerror(r));
	return text_dup(ret, "node '%s' (%" PRIu32 ") %s\n", req->node, node,
			on ? "goes to standby" : "is eligible again");
}

/* vip: "on" or "off" (corovipctl checked it; checked again: anyone in haclient may send) */
static int
do_maintenance(struct cv_ipc_server *s, const struct cv_ipc_request *req, char **ret, char *err,
	       size_t len)
{
	const struct cv_engine *e = connected_engine(s, err, len);
	const char *refused = NULL;
	bool on = strcmp(req->vip, "on") == 0;
	int r;

	if (!e)
		return -ENOTCONN;
	if (!on && strcmp(req->vip, "off") != 0)
		return fail(err, len, -EINVAL, "maintenance on or off, not '%s'", req->vip);
	r = s->ops->admin(s->userdata,
			  &(struct cv_event){ .type = CV_EV_ADMIN_STANDBY,
					      .standby = { .node = 0, .standby = on } },
			  &refused);
	if (r < 0)
		return fail(err, len, r, "maintenance failed: %s", cv_strerror(r));
	if (refused)
		return fail(err, len, -EPERM, "maintenance %s refused: %s", req->vip, refused);
	return text_dup(ret, on ? "maintenance mode on: placement moves nothing, nobody takes a "
				  "VIP, until corovipctl maintenance off\n"
				: "maintenance mode off: placement resumes\n");
}

/* ban VIP NODE (arg: lifetime ms) and clear VIP [NODE]: checked by the origin, then cluster state */
static int
do_ban(struct cv_ipc_server *s, const struct cv_ipc_request *req, char **ret, char *err,
       size_t len)
{
	const struct cv_engine *e = connected_engine(s, err, len);
	bool ban = req->hdr.id == CV_IPC_BAN;
	const char *refused = NULL;
	uint32_t node = 0;
	int r;

	if (!e)
		return -ENOTCONN;
	if (!has_vip(e, req->vip))
		return fail(err, len, -ENOENT, "no such VIP '%s' in the configuration", req->vip);
	if (ban && !req->node[0])
		return fail(err, len, -EINVAL, "ban: which node?");
	r = req->node[0] ? resolve_node(e, req->node, &node, err, len) : 0;
	if (r < 0)
		return r;
	r = s->ops->admin(s->userdata,
			  &(struct cv_event){ .type = ban ? CV_EV_ADMIN_BAN : CV_EV_ADMIN_CLEAR,
					      .ban = { .vip = req->vip, .node = node,
						       .lifetime_ms = ban ? req->arg : 0 } },
			  &refused);
	if (r < 0)
		return fail(err, len, r, "%s failed: %s", ban ? "ban" : "clear", cv_strerror(r));
	if (refused)
		return fail(err, len, -EPERM, "%s of VIP '%s' refused: %s", ban ? "ban" : "clear",
			    req->vip, refused);
	if (!ban)
		return text_dup(ret, "cleared %s of VIP '%s'\n",
				node ? "the ban of that node" : "every ban and any move", req->vip);
	if (!req->arg)
		return text_dup(ret, "node '%s' (%" PRIu32 ") may not hold VIP '%s' until "
				     "corovipctl clear %s\n",
				req->node, node, req->vip, req->vip);
	return text_dup(ret, "node '%s' (%" PRIu32 ") may not hold VIP '%s' for %" PRIu32 " s\n",
			req->node, node, req->vip, req->arg / 1000);
}

/* An op that says what it did, or why not, in msg: its answer. */
static int
answer(int r, const char *msg, char **ret, char *err, size_t len)
{
	if (r < 0)
		return fail(err, len, r, "%s", msg[0] ? msg : cv_strerror(r));
	return text_dup(ret, "%s\n", msg);
}

static int
do_reload(struct cv_ipc_server *s, const struct cv_ipc_request *req, char **ret, char *err,
	  size_t len)
{
	char msg[512] = "";

	return answer(s->ops->reload(s->userdata, msg, sizeof(msg)), msg, ret, err, len);
}

static int
do_log_level(struct cv_ipc_server *s, const struct cv_ipc_request *req, char **ret, char *err,
	     size_t len)
{
	char msg[256] = "";

	return answer(s->ops->log_level(s->userdata, req->vip, msg, sizeof(msg)), msg, ret, err, len);
}

static int
do_blackbox(struct cv_ipc_server *s, const struct cv_ipc_request *req, char **ret, char *err,
	    size_t len)
{
	char msg[512] = "";

	return answer(s->ops->blackbox(s->userdata, msg, sizeof(msg)), msg, ret, err, len);
}

/* An address from the hex of its bytes (ipc-proto.h CV_IPC_WHO_HAS): 0 or -EINVAL. */
static int
addr_from_hex(const char *hex, struct cv_addr *ret)
{
	size_t n = strlen(hex);

	if (n != 8 && n != 32)
		return -EINVAL;
	*ret = (struct cv_addr){ .family = n == 8 ? AF_INET : AF_INET6,
				 .prefixlen = n == 8 ? 32 : 128 };
	for (size_t i = 0; i < n; i += 2) {
		unsigned v;

		if (!isxdigit((unsigned char)hex[i]) || !isxdigit((unsigned char)hex[i + 1]) ||
		    sscanf(hex + i, "%2x", &v) != 1)
			return -EINVAL;
		ret->bytes[i / 2] = (uint8_t)v;
	}
	return 0;
}

static int
do_who_has(struct cv_ipc_server *s, const struct cv_ipc_request *req, char **ret, char *err,
	   size_t len)
{
	const struct cv_engine *e = connected_engine(s, err, len);
	const struct cv_vip_conf *v;
	struct cv_addr a;

	if (!e)
		return -EAGAIN;
	if (addr_from_hex(req->vip, &a) < 0)
		return fail(err, len, -EINVAL, "not an address in hex: '%s'", req->vip);
	v = cv_config_find_vip_by_host(cv_engine_config(e), &a, NULL);
	if (!v)
		return fail(err, len, -ENOENT, "no VIP of corovipd has that address");
	return text_dup(ret, "%s\n", v->group ? v->group->head.name : v->head.name);
}

static int
do_recheck(struct cv_ipc_server *s, const struct cv_ipc_request *req, char **ret, char *err,
	   size_t len)
{
	const struct cv_engine *e = connected_engine(s, err, len);
	const struct cv_vip_conf *v;
	_cleanup_free_ const char **names = NULL;
	size_t n = 0, missing = 0;
	int r;

	if (!e)
		return -EAGAIN;
	v = cv_config_find_vip(cv_engine_config(e), req->vip);
	if (!v)
		return fail(err, len, -ENOENT, "no such VIP '%s'", req->vip);
	if (!v->check.n && !v->fallback_check.n)
		return fail(err, len, -ENOENT, "VIP '%s' names no check", req->vip);
	names = calloc(v->check.n + v->fallback_check.n, sizeof(*names));
	if (!names)
		return fail(err, len, -ENOMEM, "out of memory");
	for (size_t k = 0; k < v->check.n; k++)
		names[n++] = v->check.names[k];
	for (size_t k = 0; k < v->fallback_check.n; k++)
		names[n++] = v->fallback_check.names[k];
	r = s->ops->recheck(s->userdata, names, n, &missing);
	if (r < 0)
		return fail(err, len, r, "check '%s': %s", names[missing], cv_strerror(r));
	return text_dup(ret, "rechecking %zu check(s) of VIP '%s'\n", n, req->vip);
}

/* Answered by on_request itself (the connection's kept answer): never called. */
static int
do_continue(struct cv_ipc_server *s, const struct cv_ipc_request *req, char **ret, char *err,
	    size_t len)
{
	return -EOPNOTSUPP;
}

typedef int (*handler_fn)(struct cv_ipc_server *s, const struct cv_ipc_request *req, char **ret,
			  char *err, size_t len);

static const handler_fn handlers[_CV_IPC_CMD_MAX] = {
	[CV_IPC_STATUS] = do_status,   [CV_IPC_STATUS_JSON] = do_status,
	[CV_IPC_MOVE] = do_move,       [CV_IPC_STANDBY] = do_standby,
	[CV_IPC_UNSTANDBY] = do_standby, [CV_IPC_RELOAD] = do_reload,
	[CV_IPC_METRICS] = do_metrics, [CV_IPC_WHO_HAS] = do_who_has,
	[CV_IPC_RECHECK] = do_recheck, [CV_IPC_CONTINUE] = do_continue,
	[CV_IPC_LOG_LEVEL] = do_log_level, [CV_IPC_BLACKBOX] = do_blackbox,
	[CV_IPC_WHERE] = do_where,	   [CV_IPC_MAINTENANCE] = do_maintenance,
	[CV_IPC_BAN] = do_ban,		   [CV_IPC_CLEAR] = do_ban,
};

/* Checked before anything prints it: a name with a newline would forge log lines. */
static bool
name_ok(const char *name, size_t size)
{
	size_t n = strnlen(name, size);

	return n < size && (n == 0 || cv_name_is_valid(name, n, CV_NAME_MAX));
}

/*
 * Copy the request out and check it before anything reads its fields.
 * libqb 2.0.6 does not tell msg_process how much it received: the size it
 * passes is the one the client wrote in the header (lib/ipcs.c,
 * _process_request_: msg_process(c, hdr, hdr->size)), and data lies in the
 * ring buffer the client shares with us, which it may write while we read.
 * So the one size taken is sizeof(*req), the bytes are copied once, and only
 * the copy is checked and used. Reading sizeof(*req) bytes at data stays in
 * the ring even when the client wrote fewer (libqb maps it twice in a row
 * and it holds at least CV_IPC_MAX_MSG): past a short write lie that
 * client's own earlier bytes, or zeros.
 */
static int
take_request(const void *data, size_t size, struct cv_ipc_request *req, char *err, size_t len)
{
	if (size != sizeof(*req))
		return fail(err, len, -EBADMSG, "bad request size %zu (expected %zu)", size,
			    sizeof(*req));
	memcpy(req, data, sizeof(*req));
	if (req->hdr.size != (int32_t)sizeof(*req))
		return fail(err, len, -EBADMSG, "the request changed while it was read");
	if (req->version != CV_IPC_VERSION)
		return fail(err, len, -EPROTO, "protocol version %" PRIu32 " (corovipd speaks %d)",
			    req->version, CV_IPC_VERSION);
	if (req->hdr.id <= 0 || req->hdr.id >= _CV_IPC_CMD_MAX || !handlers[req->hdr.id])
		return fail(err, len, -EOPNOTSUPP, "unknown command %" PRId32, req->hdr.id);
	if (!name_ok(req->vip, sizeof(req->vip)) || !name_ok(req->node, sizeof(req->node)))
		return fail(err, len, -EINVAL,
			    "invalid VIP or node name (names are letters, digits, '.', '_' "
			    "and '-', at most %d)",
			    CV_NAME_MAX);
	return 0;
}

/* The largest part of an answer one message carries, its NUL included. */
#define PART_MAX (CV_IPC_MAX_MSG - sizeof(struct cv_ipc_response))

static void
send_part(qb_ipcs_connection_t *c, int32_t id, int r, const char *text, size_t n)
{
	struct cv_ipc_response h = { .hdr = { .id = id, .error = r } };
	char nul = '\0';
	struct iovec iov[3] = { { &h, sizeof(h) }, { (void *)text, n }, { &nul, 1 } };
	ssize_t sent;

	h.hdr.size = (int32_t)(sizeof(h) + n + 1);
	sent = qb_ipcs_response_sendv(c, iov, 3);
	if (sent < 0)
		qb_log(LOG_WARNING, "corovipctl client: cannot send the answer: %s, ignoring",
		       cv_strerror((int)sent));
}

/* Its next part to c (its end: forgotten). */
static void
send_next(struct pending *p, int32_t id)
{
	size_t n = CV_MIN(p->len - p->off, PART_MAX - 1);
	bool more = p->off + n < p->len;

	send_part(p->c, id, more ? CV_IPC_MORE : 0, p->text + p->off, n);
	p->off += n;
	if (!more) {
		free(p->text);
		*p = (struct pending){};
	}
}

/* The answer to c: in one message, or its first part and the rest kept (takes *text). */
static void
respond(struct cv_ipc_server *s, qb_ipcs_connection_t *c, int32_t id, int r, char **text,
	const char *err)
{
	const char *t = r < 0 ? err : *text ? *text : "";
	size_t n = strlen(t);
	struct pending *p = NULL;

	if (n < PART_MAX) {
		send_part(c, id, r, t, n);
		return;
	}
	for (size_t i = 0; !p && i < ELEMENTSOF(s->pending); i++)
		if (!s->pending[i].c || s->pending[i].c == c)
			p = &s->pending[i];
	if (!p) { /* cannot happen: one per connection, slots for all */
		send_part(c, id, -ENOMEM, "no room for a large answer", 26);
		return;
	}
	free(p->text);
	*p = (struct pending){ .c = c, .text = *text, .len = n };
	*text = NULL;
	send_next(p, id);
}

/* CV_IPC_CONTINUE: the next part of c's answer. */
static void
respond_next(struct cv_ipc_server *s, qb_ipcs_connection_t *c, int32_t id)
{
	for (size_t i = 0; i < ELEMENTSOF(s->pending); i++)
		if (s->pending[i].c == c) {
			send_next(&s->pending[i], id);
			return;
		}
	send_part(c, id, -ENODATA, "no answer to continue", 21);
}

/*
 * One line per command that changes something, with who asked and how it
 * went (issue 17: an admin's audit trail; key=value for log tools). Queries
 * (status, metrics, who-has) are not logged: a monitor asks them often.
 */
static void
audit(struct cv_ipc_server *s, qb_ipcs_connection_t *c, const struct cv_ipc_request *req, int r,
      const char *err)
{
	static const char *const names[_CV_IPC_CMD_MAX] = {
		[CV_IPC_MOVE] = "move",		  [CV_IPC_STANDBY] = "standby",
		[CV_IPC_UNSTANDBY] = "unstandby", [CV_IPC_RELOAD] = "reload",
		[CV_IPC_RECHECK] = "recheck",	  [CV_IPC_LOG_LEVEL] = "log-level",
		[CV_IPC_BLACKBOX] = "blackbox",	  [CV_IPC_MAINTENANCE] = "maintenance",
		[CV_IPC_BAN] = "ban",		  [CV_IPC_CLEAR] = "clear",
	};
	const char *name = names[req->hdr.id];
	const char *first = req->hdr.id == CV_IPC_LOG_LEVEL	? " level="
			    : req->hdr.id == CV_IPC_MAINTENANCE ? " mode="
								: " vip=";
	char lifetime[32] = "";

	if (!name)
		return;
	if (req->hdr.id == CV_IPC_BAN && req->arg)
		snprintf(lifetime, sizeof(lifetime), " lifetime_ms=%" PRIu32, req->arg);
	cv_log_limited(&s->rl_audit, LOG_NOTICE,
		       "audit: uid=%ld command=%s%s%s%s%s%s result=%s%s%s",
		       (long)cv_ipc_guard_uid(c), name, req->vip[0] ? first : "", req->vip,
		       req->node[0] ? " node=" : "", req->node, lifetime, r < 0 ? "refused" : "ok",
		       r < 0 ? " why=" : "", r < 0 ? err : "");
}

static int32_t
on_request(qb_ipcs_connection_t *c, void *data, size_t size)
{
	struct cv_ipc_server *s = qb_ipcs_connection_service_context_get(c);
	struct qb_ipc_request_header hdr; /* for the answer's id, whatever the rest is */
	struct cv_ipc_request req;
	_cleanup_free_ char *text = NULL;
	char err[1024] = "";
	bool req_ok;
	int r;

	memcpy(&hdr, data, sizeof(hdr));
	r = take_request(data, size, &req, err, sizeof(err));
	req_ok = r >= 0;
	if (r >= 0 && req.hdr.id == CV_IPC_CONTINUE) {
		respond_next(s, c, hdr.id);
		cv_ipc_guard_request(s->guard, c);
		return 0;
	}
	if (r >= 0)
		r = handlers[req.hdr.id](s, &req, &text, err, sizeof(err));
	if (r < 0 && !err[0])
		snprintf(err, sizeof(err), "%s", cv_strerror(r));
	if (req_ok)
		audit(s, c, &req, r, err);
	if (r < 0)
		cv_log_limited(&s->rl_failed, LOG_INFO, "corovipctl command %" PRId32 ": %s",
			       hdr.id, err);
	respond(s, c, hdr.id, r < 0 ? r : 0, &text, err);
	cv_ipc_guard_request(s->guard, c); /* idle again from now */
	return 0;
}

/* ---- transitions, for status and metrics ---- */

/* Slot of VIP index i, grown on demand (no search: a mass failover notes thousands). */
static struct cv_ipc_transition *
transition_slot(struct cv_ipc_server *s, size_t i)
{
	if (i >= s->n_transitions) {
		size_t n = CV_MAX(i + 1, 2 * s->n_transitions);
		struct cv_ipc_transition *t = reallocarray(s->transitions, n, sizeof(*t));

		if (!t)
			return NULL;
		memset(t + s->n_transitions, 0, (n - s->n_transitions) * sizeof(*t));
		s->transitions = t;
		s->n_transitions = n;
	}
	return &s->transitions[i];
}

void
cv_ipc_server_remap(struct cv_ipc_server *s, const struct cv_config *next)
{
	struct cv_ipc_transition *t;

	if (!s)
		return;
	t = calloc(next->n_vips ? next->n_vips : 1, sizeof(*t));
	for (size_t i = 0; t && i < s->n_transitions; i++) {
		const struct cv_vip_conf *v =
		    s->transitions[i].vip[0] ? cv_config_find_vip(next, s->transitions[i].vip) : NULL;

		if (v)
			t[v - next->vips] = s->transitions[i];
	}
	free(s->transitions); /* without memory, the history goes: never misplaced */
	s->transitions = t;
	s->n_transitions = t ? next->n_vips : 0;
}

const double cv_failover_bucket_s[CV_FAILOVER_BUCKETS] = { 0.1, 0.2,  0.3, 0.5, 0.75, 1,
							      1.5, 2.5, 5,	 10,  30,   60 };

static uint64_t
mono_ms(void)
{
	return qb_util_nano_current_get() / QB_TIME_NS_IN_MSEC;
}

void
cv_ipc_server_member_lost(struct cv_ipc_server *s)
{
	if (s)
		s->member_lost_at = mono_ms();
}

void
cv_ipc_server_count(struct cv_ipc_server *s, enum cv_ipc_count what)
{
	if (!s)
		return;
	if (what == CV_IPC_COUNT_CONFLICT)
		s->counters.conflicts++;
	else
		s->counters.reaper_restarts++;
}

/* A VIP taken here within a minute of a lost member: a failover, timed. */
static void
time_failover(struct cv_ipc_server *s, const struct cv_action *act)
{
	uint64_t now = mono_ms();
	double d;
	size_t k = 0;

	if (act->from != CV_VIP_WAITING || act->to != CV_VIP_HELD || !s->member_lost_at ||
	    now - s->member_lost_at > 60000)
		return;
	d = (double)(now - s->member_lost_at) / 1000.0;
	while (k < CV_FAILOVER_BUCKETS && d > cv_failover_bucket_s[k])
		k++;
	s->counters.failover_counts[k]++;
	s->counters.failover_sum_s += d;
}

void
cv_ipc_server_note(struct cv_ipc_server *s, const struct cv_actions *a)
{
	for (size_t i = 0; s && i < a->n; i++) {
		const struct cv_action *act = &a->v[i];
		struct cv_ipc_transition *t;

		if (act->type != CV_ACT_TRANSITION || !act->conf)
			continue;
		if ((unsigned)act->reason < _CV_REASON_MAX)
			s->counters.transitions[act->reason]++;
		time_failover(s, act);
		t = transition_slot(s, act->vip);
		if (!t)
			continue; /* status shows no last transition for it: not worth more */
		snprintf(t->vip, sizeof(t->vip), "%s", act->conf->head.name);
		t->from = act->from;
		t->to = act->to;
		t->reason = act->reason;
		t->at = time(NULL);
		t->count++;
	}
}

/* ---- life cycle ---- */

static void
server_freep(struct cv_ipc_server **s)
{
	cv_ipc_server_free(*s);
}

int
cv_ipc_server_new(qb_loop_t *loop, const struct cv_ipc_ops *ops, void *userdata,
		  struct cv_ipc_server **ret)
{
	static struct qb_ipcs_service_handlers sh = {
		.connection_accept = on_accept,
		.connection_created = on_created,
		.msg_process = on_request,
		.connection_destroyed = on_destroyed,
	};
	_cleanup_(server_freep) struct cv_ipc_server *s = calloc(1, sizeof(*s));
	int r;

	if (!s)
		return -ENOMEM;
	s->ops = ops;
	s->userdata = userdata;
	s->rl_failed = (struct cv_ratelimit)CV_RATELIMIT_INIT(5000, 10);
	s->rl_audit = (struct cv_ratelimit)CV_RATELIMIT_INIT(5000, 50);
	r = cv_ipc_guard_new(loop, &s->guard);
	if (r < 0)
		return r;
	s->service = qb_ipcs_create(CV_IPC_SERVICE, 0, QB_IPC_SHM, &sh);
	if (!s->service)
		return -errno ? -errno : -ENOMEM;
	qb_ipcs_service_context_set(s->service, s);
	qb_ipcs_enforce_buffer_size(s->service, CV_IPC_MAX_MSG);
	qb_ipcs_poll_handlers_set(s->service, cv_ipc_guard_hooks(s->guard, s->service));
	r = qb_ipcs_run(s->service);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(s);
	return 0;
}

struct cv_ipc_server *
cv_ipc_server_free(struct cv_ipc_server *s)
{
	if (!s)
		return NULL;
	cv_ipc_guard_end_handshakes(s->guard);
	if (s->service)
		qb_ipcs_destroy(s->service); /* closes its clients, unregisters its fds */
	cv_ipc_guard_free(s->guard);
	for (size_t i = 0; i < ELEMENTSOF(s->pending); i++)
		free(s->pending[i].text);
	free(s->transitions);
	free(s);
	return NULL;
}
