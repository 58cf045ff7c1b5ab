/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * An HTTP client on the daemon's libqb loop: one curl multi handle driven by
 * the loop (curl's ephiperfifo.c shape: curl's sockets in qb_loop_poll_*,
 * its timer a cv_loop_timer), no thread of ours and no blocking call. Used
 * by the http health checks (checks/checks.c) and, later, by the cloud
 * backends.
 *
 * struct cv_http_request's zero value is a GET with no headers and no
 * body, so callers that fill it with a designated initialiser stay valid as
 * it grows. Bodies and headers may hold secrets (a password, a token): they
 * are copied for the transfer and never logged.
 *
 * Errors are -errno. The CURLcode and the HTTP status of each transfer are
 * kept in its result for the log; curl's types never leave cloud/http.c.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <qb/qbloop.h>

struct cv_http;
struct cv_http_transfer;

enum cv_http_method {
	CV_HTTP_GET, /* the default */
	CV_HTTP_POST,
	CV_HTTP_PUT,
	CV_HTTP_DELETE,
};

/* Response headers a request may ask for (cv_http_request.capture). */
#define CV_HTTP_CAPTURE_MAX 4

struct cv_http_request {
	const char *url;       /* http:// or https:// (copied) */
	enum cv_http_method method;
	const char *const *headers; /* "Name: value", NULL-terminated; NULL: none (copied) */
	const char *body;	    /* POST/PUT: the request body (copied), NULL: empty */
	size_t body_len;
	/* Response headers to keep, by name (case-insensitive), NULL-terminated,
	 * at most CV_HTTP_CAPTURE_MAX: their values come in the result. */
	const char *const *capture;
	const char *ca_file; /* https: trust this CA bundle, NULL: the system's (copied) */
	/* NULL: no proxy at all (a health check: the daemon's environment is
	 * not the user's); "": the proxy variables as libcurl reads them
	 * (https_proxy, no_proxy...); else this proxy URL (copied). */
	const char *proxy;
	uint32_t timeout_ms;   /* for the whole transfer, connect included; > 0 */
	bool verify_tls;       /* verify the server's certificate and name (https) */
	bool https_only;       /* refuse http:// (the cloud backends set it) */
	bool fresh_connection; /* a new connection, closed after (a health check) */
	size_t max_body;       /* keep at most this much of the response body */
	/* Sign with AWS Signature Version 4, libcurl's own (CURLOPT_AWS_SIGV4):
	 * "aws:amz:REGION:SERVICE", with aws_key and aws_secret (copied by
	 * curl, never logged); NULL: unsigned. Headers named x-amz-* (a
	 * session token's X-Amz-Security-Token) are signed with it. */
	const char *aws_sigv4;
	const char *aws_key;
	const char *aws_secret;
};

struct cv_http_result {
	/* 0: completed with a 2xx status; else -errno (cv_curl_to_errno) */
	int err;
	int curl_code;	     /* the CURLcode, for the log */
	long status;	     /* the HTTP status, 0 if none came */
	const char *body;    /* the body's first max_body bytes, NUL-terminated */
	size_t body_len;     /* how many of those there are (the body may hold NULs) */
	bool body_truncated; /* the body was longer than max_body */
	const char *message; /* curl's description of the failure, "" if none */
	/* the values of the request's capture headers, in its order; NULL: not seen */
	const char *captured[CV_HTTP_CAPTURE_MAX];
};

/*
 * The outcome of a transfer, called exactly once from the loop (never inside
 * cv_http_get), unless the transfer is cancelled first. result and what it
 * points to are borrowed for the call. The transfer is gone when done runs:
 * done may start or cancel other transfers, but must not free the http.
 */
typedef void (*cv_http_done_fn)(void *userdata, const struct cv_http_result *result);

/* A client on loop (borrowed: it must outlive the client). 0 or -errno; cv_http_free() frees. */
int cv_http_new(qb_loop_t *loop, struct cv_http **ret);
/* Cancels every transfer under way (their done is not called). Accepts NULL; returns NULL. */
struct cv_http *cv_http_free(struct cv_http *http);

/*
 * Start req (borrowed for the call only: what the transfer needs is copied).
 * ret: the transfer, owned by the client until done runs or it is
 * cancelled. 0 or -errno (then done is never called).
 */
int cv_http_start(struct cv_http *http, const struct cv_http_request *req, cv_http_done_fn done,
		  void *userdata, struct cv_http_transfer **ret);
/* The same, for a GET (req->method is not read). */
int cv_http_get(struct cv_http *http, const struct cv_http_request *req, cv_http_done_fn done,
		void *userdata, struct cv_http_transfer **ret);
/* Stop a transfer under way; its done is not called. Accepts NULL; returns NULL. */
struct cv_http_transfer *cv_http_cancel(struct cv_http_transfer *t);

/* How many transfers are under way (tests count them). */
size_t cv_http_count(const struct cv_http *http);

/*
 * A CURLcode (as int) and the HTTP status of a transfer as -errno: 0 for
 * CURLE_OK and a 2xx status; timeout -ETIMEDOUT, no connection
 * -ECONNREFUSED, no name -EHOSTUNREACH, 401/403 -EACCES, 404 -ENOENT, 409
 * -EBUSY, 429 and 5xx -EAGAIN, any other status -EPROTO.
 */
int cv_curl_to_errno(int curl_code, long http_status);
