/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The OpenStack client (os-client.h), its operation machine. Each operation
 * is a small state machine on the loop: it waits for a token if it has none
 * (one Keystone call serves every operation waiting), reads its resource
 * unless the revision is cached, decides, writes with If-Match, and on a
 * 412 reads and decides again. After a transient failure of a write it
 * reads rather than writes again: the write may have been applied, and the
 * read shows it. What differs per resource (URL, parsing, the decision, the
 * body, what follows a write) is a struct cv_os_res: os-client-fip.c,
 * os-client-port.c.
 *
 * Neutron checks If-Match before its transaction, not in it: two writes at
 * the same moment with the same revision both pass (seen against Zed: three
 * pairs of concurrent PUTs, no 412, the later commit wins). So a write whose
 * loss would matter is read again verify_delay_ms after it is reported (a
 * write sent at the same moment as ours has landed by then: one call's
 * timeout, by default) and repaired if lost; the report does not wait for
 * it: the common path stays one PUT. Each resource says what is repaired
 * and why (os-client-fip.c: a lower epoch's move; os-client-port.c: a
 * dropped pair).
 */
#include <ctype.h>
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
#include "os-client-int.h"
#include "os-int.h"

#define MAX_BODY     (256 * 1024) /* a token with a big catalog fits; so do a few hundred ports */
#define MAX_CONFLICTS 5		  /* 412s in a row: someone keeps writing */
#define BACKOFF_MS    100
#define BACKOFF_MAX_MS 2000
#define REFRESH_MARGIN_MS (300 * 1000) /* re-authenticate this long before expiry */

static uint64_t
now_ms(void)
{
	return qb_util_nano_current_get() / QB_TIME_NS_IN_MSEC;
}

/* ---- the revision cache ---- */

const struct cv_os_known *
cv_os_known_find(const struct cv_os_client *c, const struct cv_os_res *res, const char *id)
{
	for (size_t k = 0; k < c->n_known; k++) {
		const struct cv_os_known *e = &c->known[k];

		if (e->res == res && strcmp(res == &cv_os_res_fip ? e->fip.id : e->port.id, id) == 0)
			return e;
	}
	return NULL;
}

static struct cv_os_known *
known_slot(struct cv_os_client *c, const struct cv_os_res *res, const char *id)
{
	struct cv_os_known *k = (struct cv_os_known *)cv_os_known_find(c, res, id), *v;

	if (k)
		return k;
	v = realloc(c->known, (c->n_known + 1) * sizeof(*v));
	if (!v)
		return NULL; /* no cache: the next write reads first */
	c->known = v;
	k = &c->known[c->n_known++];
	k->res = res;
	return k;
}

void
cv_os_known_set_fip(struct cv_os_client *c, const struct cv_os_fip *f)
{
	struct cv_os_known *k = known_slot(c, &cv_os_res_fip, f->id);

	if (k)
		k->fip = *f;
}

void
cv_os_known_set_port(struct cv_os_client *c, const struct cv_os_port *p)
{
	struct cv_os_known *k = known_slot(c, &cv_os_res_port, p->id);

	if (k)
		k->port = *p;
}

void
cv_os_known_drop(struct cv_os_client *c, const struct cv_os_res *res, const char *id)
{
	const struct cv_os_known *k = cv_os_known_find(c, res, id);

	if (k)
		c->known[k - c->known] = c->known[--c->n_known];
}

/* ---- finishing ---- */

static bool
holds_same(const struct cv_os_op *a, const struct cv_os_op *b)
{
	return a != b && a->res == b->res && strcmp(a->id, b->id) == 0;
}

static void load_known(struct cv_os_op *op);

/* A serial op let go of its resource: the oldest one waiting for it goes on. */
static void
wake_next(struct cv_os_op *op)
{
	struct cv_os_op *next = NULL;

	for (struct cv_os_op *o = op->c->ops; o; o = o->next)
		if (o->queued && holds_same(o, op))
			next = o; /* the list has the newest first */
	if (!next)
		return;
	next->queued = false;
	load_known(next); /* what the one before wrote: its revision */
	if (cv_loop_timer_in(next->timer, 0) < 0)
		cv_os_op_finish(next, -ENOMEM, "the operation could not go on");
}

void
cv_os_op_free(struct cv_os_op *op)
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
	if (op->holds)
		wake_next(op);
	free(op->holders);
	free(op);
}

void
cv_os_op_finish(struct cv_os_op *op, int err, const char *why)
{
	cv_os_fip_fn done = op->done.fip;
	void *userdata = op->userdata;
	char msg[512];

	snprintf(msg, sizeof(msg), "%s", why ? why : "");
	if (op->res)
		return op->res->report(op, err, msg);
	cv_os_op_free(op); /* a token: nothing read */
	done(userdata, err, NULL, msg);
}

/* What went wrong with a call, in words: the status and the service's own. */
static const char *
why_of(const struct cv_http_result *res, const char *what, const char *res_what, char *buf,
       size_t len)
{
	char text[256];

	if (res->status)
		snprintf(buf, len, "%s%s: HTTP %ld: %s", what, res_what, res->status,
			 cv_os_error_text(res->body, res->body_len, text, sizeof(text)));
	else
		snprintf(buf, len, "%s%s: %s", what, res_what,
			 res->message[0] ? res->message : cv_strerror(res->err));
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
retry(struct cv_os_op *op, enum cv_os_step step, const char *why)
{
	struct cv_os_client *c = op->c;
	uint64_t wait = CV_MIN((uint64_t)BACKOFF_MS << CV_MIN(op->attempts, 5u), BACKOFF_MAX_MS);

	c->rng ^= c->rng << 13, c->rng ^= c->rng >> 7, c->rng ^= c->rng << 17;
	wait = wait * 3 / 4 + c->rng % (wait / 2 + 1); /* +-25%: movers do not retry in step */
	op->attempts++;
	if (now_ms() + wait >= op->deadline)
		return cv_os_op_finish(op, -ETIMEDOUT, why);
	c->stats.retries++;
	op->step = step;
	if (cv_loop_timer_in(op->timer, wait) < 0)
		cv_os_op_finish(op, -ENOMEM, why);
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
	return c->token && cv_os_wall_ms() < c->token_refresh_ms;
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
			cv_os_op_finish(op, err, why);
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
	int64_t now = cv_os_wall_ms();
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
		why_of(res, "Keystone: authentication", "", why, sizeof(why));
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
neutron_headers(const struct cv_os_op *op, char *auth, size_t auth_len, uint64_t revision,
		char *if_match, size_t if_len, const char *h[5])
{
	size_t n = 0;

	snprintf(auth, auth_len, "X-Auth-Token: %s", op->c->token);
	h[n++] = auth;
	h[n++] = "Accept: application/json";
	if (if_match) {
		snprintf(if_match, if_len, "If-Match: revision_number=%" PRIu64, revision);
		h[n++] = "Content-Type: application/json";
		h[n++] = if_match;
	}
	h[n] = NULL;
}

static void
do_get(struct cv_os_op *op)
{
	char url[CV_OS_URL_MAX + 512], auth[4096];
	const char *h[5];
	int r;

	op->res->get_url(op, url, sizeof(url));
	neutron_headers(op, auth, sizeof(auth), 0, NULL, 0, h);
	r = start_call(op, CV_HTTP_GET, url, h, NULL, on_get);
	explicit_bzero(auth, sizeof(auth));
	if (r < 0)
		return cv_os_op_finish(op, r, "Neutron: the read could not be made");
	op->c->stats.gets++;
}

static void
do_put(struct cv_os_op *op)
{
	char url[CV_OS_URL_MAX + 128], auth[4096], if_match[64];
	_cleanup_free_ char *body = NULL;
	uint64_t revision;
	const char *h[5];
	int r;

	r = op->res->body(op, &body, &revision);
	if (r < 0)
		return cv_os_op_finish(op, r, "Neutron: the write could not be made");
	snprintf(url, sizeof(url), "%s/%s/%s", op->c->neutron_url,
		 op->res == &cv_os_res_fip ? "floatingips" : "ports", op->id);
	neutron_headers(op, auth, sizeof(auth), revision, if_match, sizeof(if_match), h);
	r = start_call(op, CV_HTTP_PUT, url, h, body, on_put);
	explicit_bzero(auth, sizeof(auth));
	if (r < 0)
		return cv_os_op_finish(op, r, "Neutron: the write could not be made");
	op->c->stats.puts++;
}

void
cv_os_op_write(struct cv_os_op *op)
{
	op->step = CV_OS_STEP_PUT;
	with_token(op);
}

void
cv_os_op_read(struct cv_os_op *op)
{
	op->step = CV_OS_STEP_GET;
	with_token(op);
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
		why_of(res, "Neutron: reading the ", op->res->what, why, sizeof(why));
		return transient(r) ? retry(op, CV_OS_STEP_GET, why) : cv_os_op_finish(op, r, why);
	}
	r = op->res->read(op, res->body, res->body_len, why, sizeof(why));
	if (r < 0)
		return cv_os_op_finish(op, r, why);
	op->res->decide(op);
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
	if (res->status == 412 || (r < 0 && op->res->conflict && op->res->conflict(res))) {
		/* someone wrote since our revision: read, decide again */
		op->c->stats.conflicts++;
		cv_os_known_drop(op->c, op->res, op->id);
		if (++op->conflicts > MAX_CONFLICTS)
			return cv_os_op_finish(op, -EBUSY, why_of(res, "Neutron: writing the ",
								  op->res->what, why, sizeof(why)));
		return cv_os_op_read(op);
	}
	if (r < 0) {
		why_of(res, "Neutron: writing the ", op->res->what, why, sizeof(why));
		/* it may have been applied: read and decide */
		cv_os_known_drop(op->c, op->res, op->id);
		return transient(r) ? retry(op, CV_OS_STEP_GET, why) : cv_os_op_finish(op, r, why);
	}
	r = op->res->read(op, res->body, res->body_len, why, sizeof(why));
	if (r >= 0 && !op->verify)
		op->res->written(op);
	cv_os_op_finish(op, r, r < 0 ? why : NULL);
}

static void
run_step(struct cv_os_op *op)
{
	if (now_ms() >= op->deadline)
		return cv_os_op_finish(op, -ETIMEDOUT, "the operation's deadline passed");
	if (!token_fresh(op->c))
		return with_token(op);
	if (!op->res)
		return cv_os_op_finish(op, 0, NULL);
	if (op->step == CV_OS_STEP_PUT)
		do_put(op);
	else
		do_get(op);
}

/* Is another serial operation on op's resource under way? */
static bool
resource_held(const struct cv_os_op *op)
{
	for (const struct cv_os_op *o = op->c->ops; o; o = o->next)
		if (o->holds && holds_same(o, op))
			return true; /* only serial ones hold */
	return false;
}

static void
on_timer(void *data)
{
	struct cv_os_op *op = data;

	if (op->serial && !op->holds) {
		/* Neutron's If-Match lets two writes of one revision through
		 * (above): ours to one port go one after the other */
		if (resource_held(op)) {
			op->queued = true; /* wake_next starts it again */
			return;
		}
		op->holds = true;
	}
	if (op->decide_first) {
		op->decide_first = false;
		return op->res->decide(op);
	}
	run_step(op);
}

/* ---- operations ---- */

/* The common path of a write: the revision we know, one PUT (a 412 reads). */
static void
load_known(struct cv_os_op *op)
{
	const struct cv_os_known *k = NULL;

	if (op->res && !op->verify && op->kind != CV_OS_OP_FIP_SHOW &&
	    op->kind != CV_OS_OP_PORT_SHOW)
		k = cv_os_known_find(op->c, op->res, op->id);
	if (k && op->res == &cv_os_res_fip)
		op->fip = k->fip;
	else if (k)
		op->port = k->port;
	op->have = op->have || k;
	op->decide_first = k != NULL;
	op->step = CV_OS_STEP_GET;
}


int
cv_os_op_new(struct cv_os_client *c, enum cv_os_op_kind kind, const struct cv_os_res *res,
	     const char *id, struct cv_os_op **ret)
{
	struct cv_os_op *op;
	int r;

	if (!id || (!*id && res) || strlen(id) > CV_OS_ID_MAX || !cv_os_id_ok(id))
		return -EINVAL;
	op = calloc(1, sizeof(*op));
	if (!op)
		return -ENOMEM;
	*op = (struct cv_os_op){ .c = c, .kind = kind, .res = res,
				 .deadline = now_ms() + c->p.op_deadline_ms };
	snprintf(op->id, sizeof(op->id), "%s", id);
	r = cv_loop_timer_new(c->p.loop, on_timer, op, &op->timer);
	if (r < 0) {
		free(op);
		return r;
	}
	op->next = c->ops;
	if (c->ops)
		c->ops->prev = op;
	c->ops = op;
	*ret = op;
	return 0;
}

int
cv_os_op_begin(struct cv_os_op *op, uint32_t delay_ms)
{
	int r;

	load_known(op);
	r = cv_loop_timer_in(op->timer, delay_ms); /* on the loop, never inside this call */
	if (r < 0) {
		op->done.fip = NULL;
		cv_os_op_free(op);
	}
	return r;
}

int
cv_os_authenticate(struct cv_os_client *c, cv_os_fip_fn done, void *userdata,
		   struct cv_os_op **ret)
{
	struct cv_os_op *op;
	int r;

	if (!done)
		return -EINVAL;
	r = cv_os_op_new(c, CV_OS_OP_TOKEN, NULL, "", &op);
	if (r < 0)
		return r;
	op->done.fip = done;
	op->userdata = userdata;
	r = cv_os_op_begin(op, 0);
	if (r >= 0)
		*ret = op;
	return r;
}

const char *
cv_os_client_endpoint(const struct cv_os_client *c, int64_t *ret_refresh_ms)
{
	if (ret_refresh_ms)
		*ret_refresh_ms = c->token ? c->token_refresh_ms : 0;
	return c->neutron_url;
}

struct cv_os_op *
cv_os_op_cancel(struct cv_os_op *op)
{
	if (op)
		cv_os_op_free(op);
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
	c->rng = (uint64_t)cv_os_wall_ms() * 2654435761u | 1;
	*ret = c;
	return 0;
}

struct cv_os_client *
cv_os_client_free(struct cv_os_client *c)
{
	if (!c)
		return NULL;
	for (struct cv_os_op *op = c->ops; op; op = op->next)
		op->holds = false; /* nothing waiting is started again: all go */
	while (c->ops)
		cv_os_op_free(c->ops);
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
