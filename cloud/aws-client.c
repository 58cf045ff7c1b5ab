/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <qb/qblog.h>
#include <qb/qbutil.h>

#include "aws-client.h"
#include "cv-error.h"
#include "cv-macros.h"
#include "loop-timer.h"
#include "os-int.h"

#define MAX_BODY (1024 * 1024)
#define IMDS_TOKEN_TTL_S 21600
#define IMDS_TIMEOUT_MS 1000
/* Role credentials are fetched again this long before their Expiration
 * (AWS has new ones at least 5 minutes before; botocore: 10 minutes). */
#define REFRESH_AHEAD_S 600
#define BACKOFF_MAX_MS 20000

struct call {
	struct cv_aws_client *c;
	struct call *next;
	char *body;	      /* a Query call's body; NULL: an IMDS GET of path */
	char *path;
	cv_aws_done_fn done;
	void *userdata;
	uint64_t deadline;
	unsigned attempts;
	bool fresh_creds;     /* new credentials were fetched for it once already */
	bool token_retried;   /* IMDS: a 401 dropped the token once already */
	struct cv_loop_timer *backoff;
	struct cv_http_transfer *t;
};

struct cv_aws_client {
	qb_loop_t *loop;
	struct cv_http *http;
	struct cv_aws_params p; /* strings owned below */
	char *endpoint, *region, *file, *profile, *imds, *ca_file, *proxy;
	struct cv_aws_creds creds;
	bool have_creds, creds_from_role;
	char imds_token[256];
	uint64_t imds_token_until; /* monotonic ms */
	bool fetching;		   /* role credentials on the way */
	struct cv_http_transfer *fetch_t;
	char role[128];
	struct call *calls; /* under way, waiting for credentials among them */
	struct cv_aws_stats stats;
};

static uint64_t
now_ms(void)
{
	return qb_util_nano_current_get() / QB_TIME_NS_IN_MSEC;
}

static char *
dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* ---- credentials ---- */

static void
take_env(struct cv_aws_client *c)
{
	const char *k = getenv("AWS_ACCESS_KEY_ID"), *s = getenv("AWS_SECRET_ACCESS_KEY");
	const char *t = getenv("AWS_SESSION_TOKEN");

	if (!k || !s || !*k || !*s || strlen(k) >= sizeof(c->creds.key) ||
	    strlen(s) >= sizeof(c->creds.secret) || (t && strlen(t) >= sizeof(c->creds.token)))
		return;
	snprintf(c->creds.key, sizeof(c->creds.key), "%s", k);
	snprintf(c->creds.secret, sizeof(c->creds.secret), "%s", s);
	snprintf(c->creds.token, sizeof(c->creds.token), "%s", t ? t : "");
	c->have_creds = true;
}

static int
take_file(struct cv_aws_client *c)
{
	_cleanup_wipe_free_ char *text = NULL;
	char err[128] = "";
	size_t len = 0;
	int r = cv_os_read_file(c->file, 65536, &text, &len);

	if (r == 0)
		r = cv_aws_creds_from_file(text, len, c->profile ? c->profile : "default", &c->creds,
					   err, sizeof(err));
	if (r == -EINVAL)
		qb_log(LOG_ERR, "%s: %s", c->file, err);
	c->have_creds = r == 0;
	return r;
}

static bool
creds_fresh(const struct cv_aws_client *c)
{
	return c->have_creds &&
	       (!c->creds.expires_unix_s || time(NULL) + REFRESH_AHEAD_S < c->creds.expires_unix_s);
}

/* ---- ending a call ---- */

static void
call_free(struct call *k)
{
	struct cv_aws_client *c = k->c;

	for (struct call **p = &c->calls; *p; p = &(*p)->next)
		if (*p == k) {
			*p = k->next;
			break;
		}
	cv_http_cancel(k->t);
	cv_loop_timer_free(k->backoff);
	free(k->body);
	free(k->path);
	free(k);
}

static void
finish(struct call *k, const struct cv_aws_answer *a)
{
	cv_aws_done_fn done = k->done;
	void *ud = k->userdata;

	k->t = NULL; /* (its transfer is over, or was never made) */
	call_free(k);
	done(ud, a);
}

static void
fail(struct call *k, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
fail(struct call *k, int err, const char *fmt, ...)
{
	char why[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	finish(k, &(struct cv_aws_answer){ .err = err, .attempts = k->attempts, .why = why });
}

/* A call under way (body: a Query call; else an IMDS GET of path), or NULL. */
static struct call *
new_call(struct cv_aws_client *c, const char *body, const char *path, cv_aws_done_fn done,
	 void *userdata)
{
	struct call *k = calloc(1, sizeof(*k));

	if (!k)
		return NULL;
	*k = (struct call){ .c = c, .next = c->calls, .body = body ? strdup(body) : NULL,
			    .path = path ? strdup(path) : NULL, .done = done, .userdata = userdata,
			    .deadline = now_ms() + c->p.deadline_ms };
	if (!k->body && !k->path) {
		free(k);
		return NULL;
	}
	c->calls = k;
	return k;
}

/* ---- IMDSv2 ---- */

static void send_call(struct call *k);
static void fetch_creds(struct cv_aws_client *c);

static int
imds_start(struct cv_aws_client *c, const char *path, bool token_put, cv_http_done_fn fn,
	   void *ud, struct cv_http_transfer **t)
{
	char url[512], hdr[320];
	const char *headers[2] = { hdr, NULL };

	snprintf(url, sizeof(url), "%s%s", c->imds, path);
	if (token_put)
		snprintf(hdr, sizeof(hdr), "X-aws-ec2-metadata-token-ttl-seconds: %d",
			 IMDS_TOKEN_TTL_S);
	else
		snprintf(hdr, sizeof(hdr), "X-aws-ec2-metadata-token: %s", c->imds_token);
	c->stats.imds_requests++;
	/* IMDS is link-local http: no proxy ever, nothing to verify */
	return cv_http_start(c->http,
			     &(struct cv_http_request){ .url = url,
							.method = token_put ? CV_HTTP_PUT : CV_HTTP_GET,
							.headers = headers,
							.timeout_ms = IMDS_TIMEOUT_MS,
							.max_body = 16384 },
			     fn, ud, t);
}

static bool
token_valid(const struct cv_aws_client *c)
{
	return c->imds_token[0] && now_ms() + 60000 < c->imds_token_until;
}

static int
take_token(struct cv_aws_client *c, const struct cv_http_result *res)
{
	if (res->err < 0 || res->body_len == 0 || res->body_len >= sizeof(c->imds_token))
		return res->err < 0 ? res->err : -EBADMSG;
	memcpy(c->imds_token, res->body, res->body_len);
	c->imds_token[res->body_len] = '\0';
	c->imds_token_until = now_ms() + IMDS_TOKEN_TTL_S * 1000ULL;
	return 0;
}

/* An IMDS GET of a caller (cv_aws_imds_get): the token first if need be. */
static void on_imds_get(void *userdata, const struct cv_http_result *res);

static void
on_imds_token_for_get(void *userdata, const struct cv_http_result *res)
{
	struct call *k = userdata;
	int r = take_token(k->c, res);

	k->t = NULL;
	if (r < 0)
		return fail(k, r, "IMDS: no token (HTTP %ld): %s", res->status, cv_strerror(r));
	r = imds_start(k->c, k->path, false, on_imds_get, k, &k->t);
	if (r < 0)
		fail(k, r, "IMDS: %s", cv_strerror(r));
}

static void
imds_get_now(struct call *k)
{
	bool need_token = !token_valid(k->c);
	int r = imds_start(k->c, need_token ? "/latest/api/token" : k->path, need_token,
			   need_token ? on_imds_token_for_get : on_imds_get, k, &k->t);

	if (r < 0)
		fail(k, r, "IMDS: %s", cv_strerror(r));
}

static void
on_imds_get(void *userdata, const struct cv_http_result *res)
{
	struct call *k = userdata;

	k->t = NULL;
	if (res->status == 401 && !k->token_retried) { /* the token expired: once more */
		k->token_retried = true;
		k->c->imds_token[0] = '\0';
		return imds_get_now(k);
	}
	if (res->err < 0)
		return fail(k, res->err, "IMDS %s: HTTP %ld: %s", k->path, res->status,
			    cv_strerror(res->err));
	finish(k, &(struct cv_aws_answer){ .status = res->status, .body = res->body,
					   .body_len = res->body_len, .attempts = 1, .why = "" });
}

int
cv_aws_imds_get(struct cv_aws_client *c, const char *path, cv_aws_done_fn done, void *userdata)
{
	struct call *k;

	if (!c->imds)
		return -ENXIO;
	k = new_call(c, NULL, path, done, userdata);
	if (!k)
		return -ENOMEM;
	imds_get_now(k);
	return 0;
}

/* Role credentials: token, role name, then the role's keys; then the waiting calls go. */
static void
creds_failed(struct cv_aws_client *c, int err, const char *why)
{
	struct call *k = c->calls, *next;

	c->fetching = false;
	qb_log(LOG_WARNING, "EC2 credentials from IMDS: %s", why);
	for (; k; k = next) {
		next = k->next;
		if (k->body && !k->t && !k->backoff)
			fail(k, err, "no EC2 credentials: %s", why);
	}
}

static void
creds_ready(struct cv_aws_client *c)
{
	struct call *k = c->calls, *next;

	c->fetching = false;
	for (; k; k = next) {
		next = k->next;
		if (k->body && !k->t && !k->backoff)
			send_call(k);
	}
}

static void
on_role_creds(void *userdata, const struct cv_http_result *res)
{
	struct cv_aws_client *c = userdata;
	char err[160] = "";
	int r;

	c->fetch_t = NULL;
	if (res->err < 0)
		return creds_failed(c, res->err, "the role's credentials: no answer");
	r = cv_aws_creds_from_imds(res->body, res->body_len, &c->creds, err, sizeof(err));
	if (r < 0)
		return creds_failed(c, r, err);
	c->have_creds = c->creds_from_role = true;
	c->stats.credential_fetches++;
	creds_ready(c);
}

static void
on_role_name(void *userdata, const struct cv_http_result *res)
{
	struct cv_aws_client *c = userdata;
	char path[256];
	size_t n;
	int r;

	c->fetch_t = NULL;
	if (res->err < 0)
		return creds_failed(c, res->err, "no instance role (iam/security-credentials/)");
	n = strcspn(res->body, "\r\n");
	if (n == 0 || n >= sizeof(c->role))
		return creds_failed(c, -EBADMSG, "no instance role name");
	memcpy(c->role, res->body, n);
	c->role[n] = '\0';
	snprintf(path, sizeof(path), "/latest/meta-data/iam/security-credentials/%s", c->role);
	r = imds_start(c, path, false, on_role_creds, c, &c->fetch_t);
	if (r < 0)
		creds_failed(c, r, cv_strerror(r));
}

static void
on_fetch_token(void *userdata, const struct cv_http_result *res)
{
	struct cv_aws_client *c = userdata;
	int r = take_token(c, res);

	c->fetch_t = NULL;
	if (r < 0)
		return creds_failed(c, r, "no IMDSv2 token");
	r = imds_start(c, "/latest/meta-data/iam/security-credentials/", false, on_role_name, c,
		       &c->fetch_t);
	if (r < 0)
		creds_failed(c, r, cv_strerror(r));
}

static void
fetch_creds(struct cv_aws_client *c)
{
	int r;

	if (c->fetching)
		return;
	c->fetching = true;
	/* a fresh token for each fetch: a 401 there is an expired one */
	r = imds_start(c, "/latest/api/token", true, on_fetch_token, c, &c->fetch_t);
	if (r < 0)
		creds_failed(c, r, cv_strerror(r));
}

/* ---- Query calls ---- */

static void on_answer(void *userdata, const struct cv_http_result *res);

static void
send_call(struct call *k)
{
	struct cv_aws_client *c = k->c;
	char scope[128], token_hdr[4200];
	const char *headers[3] = { "Content-Type: application/x-www-form-urlencoded; charset=utf-8",
				   NULL, NULL };
	uint64_t left = k->deadline > now_ms() ? k->deadline - now_ms() : 0;
	int r;

	if (!c->region)
		return fail(k, -EINVAL, "no region yet (IMDS's placement/region)");
	if (!creds_fresh(c) && c->imds) {
		fetch_creds(c); /* the call goes once they are in (creds_ready) */
		return;
	}
	if (!c->have_creds)
		return fail(k, -EACCES, "no EC2 credentials (keys, environment, %s or IMDS)",
			    c->file ? c->file : "a credentials file");
	if (left == 0)
		return fail(k, -ETIMEDOUT, "deadline passed after %u attempt(s)", k->attempts);
	if (c->creds.token[0]) {
		snprintf(token_hdr, sizeof(token_hdr), "X-Amz-Security-Token: %s", c->creds.token);
		headers[1] = token_hdr;
	}
	snprintf(scope, sizeof(scope), "aws:amz:%s:ec2", c->region);
	k->attempts++;
	c->stats.attempts++;
	r = cv_http_start(c->http,
			  &(struct cv_http_request){
				  .url = c->endpoint,
				  .method = CV_HTTP_POST,
				  .headers = headers,
				  .body = k->body,
				  .body_len = strlen(k->body),
				  .timeout_ms = (uint32_t)CV_MIN(left, c->p.attempt_timeout_ms),
				  .ca_file = c->ca_file,
				  .verify_tls = c->p.verify_tls,
				  .proxy = c->proxy,
				  .max_body = MAX_BODY,
				  .aws_sigv4 = scope,
				  .aws_key = c->creds.key,
				  .aws_secret = c->creds.secret,
			  },
			  on_answer, k, &k->t);
	explicit_bzero(token_hdr, sizeof(token_hdr));
	if (r < 0)
		fail(k, r, "%s", cv_strerror(r));
}

static void
on_backoff(void *userdata)
{
	struct call *k = userdata;

	k->backoff = cv_loop_timer_free(k->backoff);
	send_call(k);
}

/* Full jitter: rand(0, min(base x 2^(attempt-1), 20 s)); 0 when past the deadline. */
static uint64_t
backoff_ms(const struct call *k, enum cv_aws_retry cls)
{
	uint64_t base = cls == CV_AWS_THROTTLED ? 1000 : 50;
	uint64_t cap = CV_MIN(base << CV_MIN(k->attempts - 1, 10u), (uint64_t)BACKOFF_MAX_MS);

	return (uint64_t)(rand() % (int)(cap + 1));
}

static bool
retry_later(struct call *k, enum cv_aws_retry cls)
{
	uint64_t wait = backoff_ms(k, cls);

	if (now_ms() + wait >= k->deadline)
		return false;
	if (cv_loop_timer_new(k->c->loop, on_backoff, k, &k->backoff) < 0 ||
	    cv_loop_timer_in(k->backoff, wait) < 0) {
		k->backoff = cv_loop_timer_free(k->backoff);
		return false;
	}
	k->c->stats.retries++;
	return true;
}

static void
on_answer(void *userdata, const struct cv_http_result *res)
{
	struct call *k = userdata;
	struct cv_aws_answer a = { .err = res->err, .status = res->status, .body = res->body,
				   .body_len = res->body_len, .attempts = k->attempts, .why = "" };
	enum cv_aws_retry cls;
	char why[512];

	k->t = NULL;
	if (res->err == 0) {
		/* a 2xx that is no XML (a proxy's page, a cut answer) is no success */
		if (cv_aws_parse_error(res->body, res->body_len, &a.error) == -EBADMSG) {
			a.err = -EBADMSG;
			a.why = "a 2xx answer that is no XML";
		}
		return finish(k, &a);
	}
	if (res->status)
		(void)cv_aws_parse_error(res->body, res->body_len, &a.error); /* none: code "" */
	cls = cv_aws_retry_class(a.error.code, res->status);
	if ((cls == CV_AWS_THROTTLED || cls == CV_AWS_TRANSIENT) && retry_later(k, cls))
		return;
	if (cls == CV_AWS_CREDENTIALS && k->c->creds_from_role && !k->fresh_creds) {
		k->fresh_creds = true;
		k->c->have_creds = false; /* fetched again, then this call once more */
		return send_call(k);
	}
	snprintf(why, sizeof(why), "HTTP %ld%s%s%s%s%s", res->status, a.error.code[0] ? " " : "",
		 a.error.code, a.error.message[0] ? ": " : "", a.error.message,
		 res->status ? "" : res->message);
	if (cls == CV_AWS_CLOCK)
		snprintf(why + strlen(why), sizeof(why) - strlen(why),
			 " (is this node's clock right? EC2 refuses a request more than 5 minutes "
			 "off its time)");
	a.why = why;
	finish(k, &a);
}

int
cv_aws_call(struct cv_aws_client *c, const char *body, cv_aws_done_fn done, void *userdata)
{
	struct call *k = new_call(c, body, NULL, done, userdata);

	if (!k)
		return -ENOMEM;
	c->stats.calls++;
	send_call(k);
	return 0;
}

/* ---- the client ---- */

int
cv_aws_client_new(qb_loop_t *loop, struct cv_http *http, const struct cv_aws_params *p,
		  struct cv_aws_client **ret)
{
	struct cv_aws_client *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	*c = (struct cv_aws_client){ .loop = loop, .http = http, .p = *p };
	c->endpoint = dup_or_null(p->endpoint);
	c->region = dup_or_null(p->region);
	c->file = dup_or_null(p->credentials_file);
	c->profile = dup_or_null(p->profile);
	c->imds = dup_or_null(p->imds);
	c->ca_file = dup_or_null(p->ca_file);
	c->proxy = dup_or_null(p->proxy);
	if (!c->p.deadline_ms)
		c->p.deadline_ms = 10000;
	if (!c->p.attempt_timeout_ms)
		c->p.attempt_timeout_ms = 3000;
	/* no region: read from IMDS by the owner, cv_aws_client_set_region */
	if ((p->endpoint && !c->endpoint) || (p->region && !c->region) || (!c->region && !c->imds) ||
	    (!c->endpoint && c->region && cv_aws_client_set_region(c, p->region) < 0)) {
		cv_aws_client_free(c);
		return -EINVAL;
	}
	if (p->keys) {
		c->creds = *p->keys;
		c->have_creds = true;
	} else if (p->from_env) {
		take_env(c);
	}
	if (!c->have_creds && c->file)
		(void)take_file(c);
	*ret = c;
	return 0;
}

struct cv_aws_client *
cv_aws_client_free(struct cv_aws_client *c)
{
	if (!c)
		return NULL;
	while (c->calls)
		call_free(c->calls);
	cv_http_cancel(c->fetch_t);
	explicit_bzero(&c->creds, sizeof(c->creds));
	free(c->endpoint);
	free(c->region);
	free(c->file);
	free(c->profile);
	free(c->imds);
	free(c->ca_file);
	free(c->proxy);
	free(c);
	return NULL;
}

int
cv_aws_client_set_region(struct cv_aws_client *c, const char *region)
{
	char endpoint[256];
	char *r = strdup(region), *e;

	snprintf(endpoint, sizeof(endpoint), "https://ec2.%s.amazonaws.com/", region);
	e = c->endpoint ? c->endpoint : strdup(endpoint);
	if (!r || !e) {
		free(r);
		return -ENOMEM;
	}
	free(c->region);
	c->region = r;
	c->endpoint = e;
	return 0;
}

bool
cv_aws_client_has_region(const struct cv_aws_client *c)
{
	return c->region != NULL;
}

qb_loop_t *
cv_aws_client_loop(const struct cv_aws_client *c)
{
	return c->loop;
}

const struct cv_aws_stats *
cv_aws_client_stats(const struct cv_aws_client *c)
{
	return &c->stats;
}
