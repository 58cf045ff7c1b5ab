/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The OpenStack client (os-client.h). Each operation is a small state
 * machine on the loop: it waits for a token if it has none (one Keystone
 * call serves every operation waiting), reads the floating IP unless its
 * revision is cached, decides, writes with If-Match, and on a 412 reads
 * and decides again. After a transient failure of a write it reads rather
 * than writes again: the write may have been applied, and the read shows
 * it (our epoch on our port: done).
 *
 * Neutron checks If-Match before its transaction, not in it: two writes at
 * the same moment with the same revision both pass (seen against Zed: three
 * pairs of concurrent PUTs, no 412, the later commit wins whatever its
 * epoch). So a move is verified after it is reported: verify_delay_ms
 * later (a write sent at the same moment as ours has landed by then: one
 * call's timeout, by default) it is read again, and if a lower epoch's
 * write landed after ours it is written again (the higher epoch wins in
 * every order; one writing with a higher epoch is left alone). The report
 * does not wait for it: the common path stays one PUT. A write Neutron
 * takes longer than that to apply is the engine's reconcile's to find.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <qb/qblog.h>
#include <qb/qbutil.h>

#include "cv-error.h"
#include "cv-macros.h"
#include "loop-timer.h"
#include "os-client.h"

#define MAX_BODY     (256 * 1024) /* a token with a big catalog fits */
#define MAX_CONFLICTS 5		  /* 412s in a row: someone keeps writing */
#define BACKOFF_MS    100
#define BACKOFF_MAX_MS 2000
#define REFRESH_MARGIN_MS (300 * 1000) /* re-authenticate this long before expiry */

enum op_kind { OP_TOKEN, OP_SHOW, OP_MOVE, OP_RELEASE };
enum step { STEP_GET, STEP_PUT };

struct cv_os_op {
	struct cv_os_client *c;
	struct cv_os_op *prev, *next;
	enum op_kind kind;
	enum step step; /* the next call (after the token, the backoff or the start) */
	char fip_id[CV_OS_ID_MAX + 1];
	char port_id[CV_OS_ID_MAX + 1];
	char fixed_ip[48];
	uint64_t epoch;
	uint64_t deadline; /* monotonic ms */
	unsigned attempts, conflicts;
	bool reauthed;	   /* a 401 made us authenticate again once */
	bool waiting_auth; /* in the queue of the token call */
	struct cv_os_fip fip;
	bool have_fip;
	bool decide_first; /* started with a cached revision: decide before any call */
	bool verify;	   /* the read after a move (and its repair): reports to the log */
	struct cv_http_transfer *t;
	struct cv_loop_timer *timer; /* the start and the backoff */
	cv_os_fip_fn done;
	void *userdata;
};

/* The last read or written state of a floating IP: its revision for If-Match. */
struct known {
	struct cv_os_fip fip;
};

struct cv_os_client {
	struct cv_os_client_params p;
	char *proxy;
	struct cv_os_auth auth;
	char *token; /* secret */
	int64_t token_refresh_ms; /* Unix ms: authenticate again from here */
	char neutron_url[CV_OS_URL_MAX + 1];
	struct cv_http_transfer *auth_t;
	struct cv_os_op *ops;
	struct known *known;
	size_t n_known;
	struct cv_os_stats stats;
	uint64_t rng;
};

static uint64_t
now_ms(void)
{
	return qb_util_nano_current_get() / QB_TIME_NS_IN_MSEC;
}

static int64_t
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

uint64_t
cv_os_desc_epoch(const char *description, uint32_t *ret_node)
{
	uint64_t epoch = 0;
	uint32_t node = 0;

	if (sscanf(description, "corovip epoch=%" SCNu64 " node=%" SCNu32, &epoch, &node) != 2)
		epoch = node = 0;
	if (ret_node)
		*ret_node = node;
	return epoch;
}

/* ---- the revision cache ---- */

static struct known *
known_find(struct cv_os_client *c, const char *fip_id)
{
	for (size_t k = 0; k < c->n_known; k++)
		if (strcmp(c->known[k].fip.id, fip_id) == 0)
			return &c->known[k];
	return NULL;
}

static void
known_set(struct cv_os_client *c, const struct cv_os_fip *f)
{
	struct known *k = known_find(c, f->id), *v;

	if (!k) {
		v = realloc(c->known, (c->n_known + 1) * sizeof(*v));
		if (!v)
			return; /* no cache: the next move reads first */
		c->known = v;
		k = &c->known[c->n_known++];
	}
	k->fip = *f;
}

static void
known_drop(struct cv_os_client *c, const char *fip_id)
{
	struct known *k = known_find(c, fip_id);

	if (k)
		*k = c->known[--c->n_known];
}

/* ---- finishing ---- */

static void
op_free(struct cv_os_op *op)
{
	struct cv_os_client *c = op->c;

	cv_http_cancel(op->t);
	cv_loop_timer_free(op->timer);
	if (op->prev)
		op->prev->next = op->next;
	else
		c->ops = op->next;
	if (op->next)
		op->next->prev = op->prev;
	free(op);
}

static void
finish(struct cv_os_op *op, int err, const char *why)
{
	cv_os_fip_fn done = op->done;
	void *userdata = op->userdata;
	struct cv_os_fip fip = op->fip;
	bool have = op->have_fip;
	char msg[512];

	snprintf(msg, sizeof(msg), "%s", why ? why : "");
	op_free(op);
	done(userdata, err, have ? &fip : NULL, msg);
}

/* What went wrong with a call, in words: the status and the service's own. */
static const char *
why_of(const struct cv_http_result *res, const char *what, char *buf, size_t len)
{
	char text[256];

	if (res->status)
		snprintf(buf, len, "%s: HTTP %ld: %s", what, res->status,
			 cv_os_error_text(res->body, res->body_len, text, sizeof(text)));
	else
		snprintf(buf, len, "%s: %s", what, res->message[0] ? res->message : cv_strerror(res->err));
	return buf;
}

/* ---- calls ---- */

static void run_step(struct cv_os_op *op);

static bool
transient(int err)
{
	return err == -EAGAIN || err == -ETIMEDOUT || err == -ECONNREFUSED || err == -ECONNRESET ||
	       err == -EHOSTUNREACH || err == -EIO;
}

/* Try the next step again after a backoff, if the deadline allows. */
static void
retry(struct cv_os_op *op, enum step step, const char *why)
{
	struct cv_os_client *c = op->c;
	uint64_t wait = CV_MIN((uint64_t)BACKOFF_MS << CV_MIN(op->attempts, 5u), BACKOFF_MAX_MS);

	c->rng ^= c->rng << 13, c->rng ^= c->rng >> 7, c->rng ^= c->rng << 17;
	wait = wait * 3 / 4 + c->rng % (wait / 2 + 1); /* +-25%: movers do not retry in step */
	op->attempts++;
	if (now_ms() + wait >= op->deadline)
		return finish(op, -ETIMEDOUT, why);
	c->stats.retries++;
	op->step = step;
	if (cv_loop_timer_in(op->timer, wait) < 0)
		finish(op, -ENOMEM, why);
}

static uint32_t
call_timeout(const struct cv_os_op *op)
{
	uint64_t now = now_ms(), left = op->deadline > now ? op->deadline - now : 1;

	return (uint32_t)CV_MAX(CV_MIN(left, (uint64_t)op->c->p.call_timeout_ms), 1);
}

static int
start_call(struct cv_os_op *op, enum cv_http_method method, const char *url,
	   const char *const *headers, const char *body, cv_http_done_fn fn)
{
	struct cv_os_client *c = op->c;
	struct cv_http_request req = { .url = url,
				       .method = method,
				       .headers = headers,
				       .body = body,
				       .body_len = body ? strlen(body) : 0,
				       .timeout_ms = call_timeout(op),
				       .verify_tls = !c->auth.insecure,
				       .ca_file = c->auth.cacert,
				       .proxy = c->proxy ? c->proxy : "",
				       .max_body = MAX_BODY };

	return cv_http_start(c->p.http, &req, fn, op, &op->t);
}

/* ---- the token ---- */

static void on_auth(void *userdata, const struct cv_http_result *res);

static bool
token_fresh(const struct cv_os_client *c)
{
	return c->token && wall_ms() < c->token_refresh_ms;
}

static void
forget_token(struct cv_os_client *c)
{
	if (c->token)
		explicit_bzero(c->token, strlen(c->token));
	free(c->token);
	c->token = NULL;
}

/* The operations waiting for the token, each on with its step or finished with err. */
static void
auth_over(struct cv_os_client *c, int err, const char *why)
{
	for (struct cv_os_op *op = c->ops, *next; op; op = next) {
		next = op->next;
		if (!op->waiting_auth)
			continue;
		op->waiting_auth = false;
		if (!err)
			run_step(op);
		else if (transient(err))
			retry(op, op->step, why);
		else
			finish(op, err, why);
	}
}

static void
start_auth(struct cv_os_client *c, struct cv_os_op *op)
{
	static const char *const headers[] = { "Content-Type: application/json",
					       "Accept: application/json", NULL };
	static const char *const capture[] = { "X-Subject-Token", NULL };
	_cleanup_free_ char *url = NULL;
	char *body = NULL;
	struct cv_http_request req;
	int r;

	r = cv_os_auth_token_url(&c->auth, &url);
	if (r >= 0)
		r = cv_os_auth_token_body(&c->auth, &body);
	if (r >= 0) {
		req = (struct cv_http_request){ .url = url,
						.method = CV_HTTP_POST,
						.headers = headers,
						.body = body,
						.body_len = strlen(body),
						.capture = capture,
						.timeout_ms = call_timeout(op),
						.verify_tls = !c->auth.insecure,
						.ca_file = c->auth.cacert,
						.proxy = c->proxy ? c->proxy : "",
						.max_body = MAX_BODY };
		r = cv_http_start(c->p.http, &req, on_auth, c, &c->auth_t);
	}
	if (body)
		explicit_bzero(body, strlen(body));
	free(body);
	if (r < 0)
		return auth_over(c, r, "Keystone: the token request could not be made");
	c->stats.auths++;
}

static int
take_token(struct cv_os_client *c, const struct cv_http_result *res, char *why, size_t len)
{
	struct cv_os_token_info info;
	bool ambiguous = false;
	int64_t now = wall_ms();
	int r;

	if (!res->captured[0] || !res->captured[0][0]) {
		snprintf(why, len, "Keystone: no X-Subject-Token in its answer");
		return -EBADMSG;
	}
	r = cv_os_parse_token(res->body, res->body_len, c->auth.interface, c->auth.region, &info,
			      &ambiguous, why, len);
	if (r < 0 && !(r == -ENOENT && c->auth.neutron_url))
		return r;
	forget_token(c);
	c->token = strdup(res->captured[0]);
	if (!c->token)
		return -ENOMEM;
	/* a short-lived token (a test's) is refreshed at three quarters of its life */
	c->token_refresh_ms = info.expires_at_ms -
			      CV_MIN((int64_t)REFRESH_MARGIN_MS, (info.expires_at_ms - now) / 4);
	if (!c->auth.neutron_url)
		snprintf(c->neutron_url, sizeof(c->neutron_url), "%s", info.neutron_url);
	return 0;
}

static void
on_auth(void *userdata, const struct cv_http_result *res)
{
	struct cv_os_client *c = userdata;
	char why[512];
	int r = res->err;

	c->auth_t = NULL;
	if (r < 0)
		why_of(res, "Keystone: authentication", why, sizeof(why));
	else
		r = take_token(c, res, why, sizeof(why));
	auth_over(c, r, r < 0 ? why : NULL);
}

/* Run op's step once there is a token: now, or when the token call ends. */
static void
with_token(struct cv_os_op *op)
{
	struct cv_os_client *c = op->c;

	if (token_fresh(op->c))
		return run_step(op);
	op->waiting_auth = true;
	if (!c->auth_t)
		start_auth(c, op);
}

/* ---- Neutron ---- */

static void on_get(void *userdata, const struct cv_http_result *res);
static void on_put(void *userdata, const struct cv_http_result *res);

/* The headers of a Neutron call: the token, JSON, If-Match when writing. */
static void
neutron_headers(const struct cv_os_op *op, char *auth, size_t auth_len, char *if_match,
		size_t if_len, const char *h[5])
{
	size_t n = 0;

	snprintf(auth, auth_len, "X-Auth-Token: %s", op->c->token);
	h[n++] = auth;
	h[n++] = "Accept: application/json";
	if (if_match) {
		snprintf(if_match, if_len, "If-Match: revision_number=%" PRIu64, op->fip.revision);
		h[n++] = "Content-Type: application/json";
		h[n++] = if_match;
	}
	h[n] = NULL;
}

static void
do_get(struct cv_os_op *op)
{
	char url[CV_OS_URL_MAX + 128], auth[4096];
	const char *h[5];
	int r;

	snprintf(url, sizeof(url), "%s/floatingips/%s", op->c->neutron_url, op->fip_id);
	neutron_headers(op, auth, sizeof(auth), NULL, 0, h);
	r = start_call(op, CV_HTTP_GET, url, h, NULL, on_get);
	explicit_bzero(auth, sizeof(auth));
	if (r < 0)
		return finish(op, r, "Neutron: the read could not be made");
	op->c->stats.gets++;
}

static void
do_put(struct cv_os_op *op)
{
	char url[CV_OS_URL_MAX + 128], auth[4096], if_match[64], desc[CV_OS_DESC_MAX + 1];
	_cleanup_free_ char *body = NULL;
	bool move = op->kind == OP_MOVE;
	const char *h[5];
	int r;

	snprintf(desc, sizeof(desc), "corovip epoch=%" PRIu64 " node=%" PRIu32, op->epoch,
		 op->c->p.node);
	r = cv_os_fip_put_body(move ? op->port_id : NULL,
			       move && op->fixed_ip[0] ? op->fixed_ip : NULL, desc, &body);
	if (r < 0)
		return finish(op, r, "Neutron: the write could not be made");
	snprintf(url, sizeof(url), "%s/floatingips/%s", op->c->neutron_url, op->fip_id);
	neutron_headers(op, auth, sizeof(auth), if_match, sizeof(if_match), h);
	r = start_call(op, CV_HTTP_PUT, url, h, body, on_put);
	explicit_bzero(auth, sizeof(auth));
	if (r < 0)
		return finish(op, r, "Neutron: the write could not be made");
	op->c->stats.puts++;
}

/* With op->fip as it is now: done, or the write that makes it ours (or not ours). */
static void
decide(struct cv_os_op *op)
{
	const struct cv_os_fip *f = &op->fip;
	bool ours = strcmp(f->port_id, op->port_id) == 0 &&
		    (!op->fixed_ip[0] || strcmp(f->fixed_ip, op->fixed_ip) == 0);
	uint32_t node;
	uint64_t epoch = cv_os_desc_epoch(f->description, &node);
	char why[256];

	if (op->kind == OP_SHOW)
		return finish(op, 0, NULL);
	if (epoch > op->epoch) {
		/* moved since by a newer move: a move of ours is stale, and
		 * there is nothing of ours left to release */
		snprintf(why, sizeof(why), "floating IP %s: moved by epoch %" PRIu64 " (node %" PRIu32
			 ") after ours (%" PRIu64 ")", f->id, epoch, node, op->epoch);
		return finish(op, op->kind == OP_MOVE ? -ESTALE : 0, why);
	}
	if (op->kind == OP_MOVE ? ours && epoch == op->epoch : !ours)
		return finish(op, 0, NULL);
	if (op->verify)
		qb_log(LOG_WARNING, "floating IP %s: epoch %" PRIu64 " (node %" PRIu32 ") wrote after our "
		       "move (epoch %" PRIu64 "): writing it again", f->id, epoch, node, op->epoch);
	op->step = STEP_PUT;
	with_token(op);
}

static int
read_fip(struct cv_os_op *op, const struct cv_http_result *res, char *why, size_t len)
{
	int r = cv_os_parse_fip(res->body, res->body_len, &op->fip, why, len);

	if (r < 0)
		return r;
	if (strcmp(op->fip.id, op->fip_id) != 0) {
		snprintf(why, len, "Neutron: asked for floating IP %s, got %s", op->fip_id, op->fip.id);
		return -EBADMSG;
	}
	op->have_fip = true;
	known_set(op->c, &op->fip);
	return 0;
}

/* A 401 from Neutron: the token was revoked or expired early: once more with a new one. */
static bool
reauth(struct cv_os_op *op, const struct cv_http_result *res)
{
	if (res->status != 401 || op->reauthed)
		return false;
	op->reauthed = true;
	forget_token(op->c);
	with_token(op);
	return true;
}

static int op_start(struct cv_os_client *c, enum op_kind kind, const char *fip_id,
		    const char *port_id, const char *fixed_ip, uint64_t epoch, cv_os_fip_fn done,
		    void *userdata, struct cv_os_op **ret);

static void
on_verified(void *userdata, int err, const struct cv_os_fip *fip, const char *why)
{
	struct cv_os_client *c = userdata;

	if (err == -ESTALE)
		qb_log(LOG_INFO, "%s", why); /* a newer move: its own verify is its business */
	if (err == -ESTALE && fip && c->p.lost)
		c->p.lost(c->p.userdata, fip, why); /* ...but the holder must hear it is not one */
	else if (err < 0 && err != -ESTALE)
		qb_log(LOG_WARNING, "floating IP %s: the check after the move failed: %s",
		       fip ? fip->id : "?", why);
	c->stats.verifies++;
}

/* Read op's floating IP again a little later, and write it again if a lower epoch won. */
static void
start_verify(const struct cv_os_op *op)
{
	struct cv_os_op *v;

	if (op_start(op->c, OP_MOVE, op->fip_id, op->port_id, op->fixed_ip[0] ? op->fixed_ip : NULL,
		     op->epoch, on_verified, op->c, &v) < 0)
		return; /* the engine's reconcile reads it anyway */
	v->verify = true;
	v->decide_first = false; /* read, never the cache */
	(void)cv_loop_timer_in(v->timer, op->c->p.verify_delay_ms);
}

static void
on_get(void *userdata, const struct cv_http_result *res)
{
	struct cv_os_op *op = userdata;
	char why[512];
	int r = res->err;

	op->t = NULL;
	if (reauth(op, res))
		return;
	if (r < 0) {
		why_of(res, "Neutron: reading the floating IP", why, sizeof(why));
		return transient(r) ? retry(op, STEP_GET, why) : finish(op, r, why);
	}
	r = read_fip(op, res, why, sizeof(why));
	if (r < 0)
		return finish(op, r, why);
	decide(op);
}

static void
on_put(void *userdata, const struct cv_http_result *res)
{
	struct cv_os_op *op = userdata;
	char why[512];
	int r = res->err;

	op->t = NULL;
	if (reauth(op, res))
		return;
	if (res->status == 412) { /* someone wrote since our revision: read, decide again */
		op->c->stats.conflicts++;
		known_drop(op->c, op->fip_id);
		if (++op->conflicts > MAX_CONFLICTS)
			return finish(op, -EBUSY, why_of(res, "Neutron: writing the floating IP",
							 why, sizeof(why)));
		op->step = STEP_GET;
		return with_token(op);
	}
	if (r < 0) {
		why_of(res, "Neutron: writing the floating IP", why, sizeof(why));
		/* it may have been applied: read and decide */
		known_drop(op->c, op->fip_id);
		return transient(r) ? retry(op, STEP_GET, why) : finish(op, r, why);
	}
	r = read_fip(op, res, why, sizeof(why));
	if (r >= 0 && op->kind == OP_MOVE && !op->verify)
		start_verify(op);
	finish(op, r, r < 0 ? why : NULL);
}

static void
run_step(struct cv_os_op *op)
{
	if (now_ms() >= op->deadline)
		return finish(op, -ETIMEDOUT, "the operation's deadline passed");
	if (!token_fresh(op->c))
		return with_token(op);
	if (op->kind == OP_TOKEN)
		return finish(op, 0, NULL);
	if (op->step == STEP_PUT)
		do_put(op);
	else
		do_get(op);
}

static void
on_timer(void *data)
{
	struct cv_os_op *op = data;

	if (op->decide_first) {
		op->decide_first = false;
		return decide(op);
	}
	run_step(op);
}

/* ---- operations ---- */

static int
op_start(struct cv_os_client *c, enum op_kind kind, const char *fip_id, const char *port_id,
	 const char *fixed_ip, uint64_t epoch, cv_os_fip_fn done, void *userdata,
	 struct cv_os_op **ret)
{
	struct cv_os_op *op;
	const struct known *k;
	int r;

	if (!fip_id || (!*fip_id && kind != OP_TOKEN) || strlen(fip_id) > CV_OS_ID_MAX || (port_id && strlen(port_id) > CV_OS_ID_MAX) ||
	    (fixed_ip && strlen(fixed_ip) >= sizeof(op->fixed_ip)) || !done)
		return -EINVAL;
	op = calloc(1, sizeof(*op));
	if (!op)
		return -ENOMEM;
	*op = (struct cv_os_op){ .c = c, .kind = kind, .epoch = epoch, .done = done,
				 .userdata = userdata,
				 .deadline = now_ms() + c->p.op_deadline_ms };
	snprintf(op->fip_id, sizeof(op->fip_id), "%s", fip_id);
	snprintf(op->port_id, sizeof(op->port_id), "%s", port_id ? port_id : "");
	snprintf(op->fixed_ip, sizeof(op->fixed_ip), "%s", fixed_ip ? fixed_ip : "");
	/* the common path of a move: the revision we know, one PUT (a 412 reads) */
	k = kind == OP_SHOW ? NULL : known_find(c, fip_id);
	if (k) {
		op->fip = k->fip;
		op->have_fip = true;
	}
	op->step = STEP_GET;
	r = cv_loop_timer_new(c->p.loop, on_timer, op, &op->timer);
	if (r >= 0)
		r = cv_loop_timer_in(op->timer, 0); /* on the loop, never inside this call */
	if (r < 0) {
		cv_loop_timer_free(op->timer);
		free(op);
		return r;
	}
	op->next = c->ops;
	if (c->ops)
		c->ops->prev = op;
	c->ops = op;
	op->decide_first = k != NULL;
	*ret = op;
	return 0;
}

int
cv_os_authenticate(struct cv_os_client *c, cv_os_fip_fn done, void *userdata,
		   struct cv_os_op **ret)
{
	return op_start(c, OP_TOKEN, "", NULL, NULL, 0, done, userdata, ret);
}

const char *
cv_os_client_endpoint(const struct cv_os_client *c, int64_t *ret_refresh_ms)
{
	if (ret_refresh_ms)
		*ret_refresh_ms = c->token ? c->token_refresh_ms : 0;
	return c->neutron_url;
}

int
cv_os_fip_show(struct cv_os_client *c, const char *fip_id, cv_os_fip_fn done, void *userdata,
	       struct cv_os_op **ret)
{
	return op_start(c, OP_SHOW, fip_id, NULL, NULL, 0, done, userdata, ret);
}

int
cv_os_fip_move(struct cv_os_client *c, const char *fip_id, const char *port_id,
	       const char *fixed_ip, uint64_t epoch, cv_os_fip_fn done, void *userdata,
	       struct cv_os_op **ret)
{
	if (!port_id || !*port_id)
		return -EINVAL;
	return op_start(c, OP_MOVE, fip_id, port_id, fixed_ip, epoch, done, userdata, ret);
}

int
cv_os_fip_release(struct cv_os_client *c, const char *fip_id, const char *port_id,
		  uint64_t epoch, cv_os_fip_fn done, void *userdata, struct cv_os_op **ret)
{
	if (!port_id || !*port_id)
		return -EINVAL;
	return op_start(c, OP_RELEASE, fip_id, port_id, NULL, epoch, done, userdata, ret);
}

struct cv_os_op *
cv_os_op_cancel(struct cv_os_op *op)
{
	if (op)
		op_free(op);
	return NULL;
}

/* ---- the client ---- */

int
cv_os_client_new(const struct cv_os_client_params *p, struct cv_os_auth *auth,
		 struct cv_os_client **ret)
{
	struct cv_os_client *c;

	if (!p->loop || !p->http)
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->p = *p;
	c->p.call_timeout_ms = p->call_timeout_ms ? p->call_timeout_ms : 5000;
	c->p.op_deadline_ms = p->op_deadline_ms ? p->op_deadline_ms : 15000;
	c->p.verify_delay_ms = p->verify_delay_ms ? p->verify_delay_ms : c->p.call_timeout_ms;
	c->p.proxy = NULL;
	if (p->proxy && !(c->proxy = strdup(p->proxy))) {
		free(c);
		return -ENOMEM;
	}
	c->auth = *auth;
	*auth = (struct cv_os_auth){};
	if (c->auth.neutron_url) {
		size_t n = strlen(c->auth.neutron_url);

		while (n && c->auth.neutron_url[n - 1] == '/')
			n--;
		snprintf(c->neutron_url, sizeof(c->neutron_url), "%.*s%s", (int)n, c->auth.neutron_url,
			 n >= 5 && strncmp(c->auth.neutron_url + n - 5, "/v2.0", 5) == 0 ? "" : "/v2.0");
	}
	c->rng = (uint64_t)wall_ms() * 2654435761u | 1;
	*ret = c;
	return 0;
}

struct cv_os_client *
cv_os_client_free(struct cv_os_client *c)
{
	if (!c)
		return NULL;
	while (c->ops)
		op_free(c->ops);
	cv_http_cancel(c->auth_t);
	forget_token(c);
	cv_os_auth_done(&c->auth);
	free(c->known);
	free(c->proxy);
	free(c);
	return NULL;
}

void
cv_os_client_stats(const struct cv_os_client *c, struct cv_os_stats *ret)
{
	*ret = c->stats;
}

size_t
cv_os_client_busy(const struct cv_os_client *c)
{
	size_t n = 0;

	for (const struct cv_os_op *op = c->ops; op; op = op->next)
		n++;
	return n;
}

void
cv_os_client_forget(struct cv_os_client *c)
{
	forget_token(c);
	c->n_known = 0;
}
