/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The EC2 client on the daemon's loop (issue 18): one Query API call at a
 * time per cv_aws_call, signed with libcurl's own SigV4 (cloud/http.h), its
 * answer's XML error read and classified (aws-xml.h): throttling and 5xx are
 * retried with full-jitter backoff (botocore's standard mode: base 1 s for
 * throttling, 50 ms for the rest, 20 s at most) until the call's deadline; an
 * AuthFailure with role credentials fetches new ones and tries once more;
 * anything else ends the call with EC2's code and message.
 *
 * Credentials (never from argv, never logged), the first that has them:
 * the static keys given, $AWS_ACCESS_KEY_ID/$AWS_SECRET_ACCESS_KEY
 * (+ $AWS_SESSION_TOKEN), a shared credentials file's profile, else the
 * instance role through IMDSv2 (a token PUT with a TTL, then the role's
 * credentials), cached and fetched again 10 minutes before their Expiration.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <qb/qbloop.h>

#include "aws-creds.h"
#include "aws-xml.h"
#include "http.h"

struct cv_aws_client;

struct cv_aws_params {
	const char *endpoint; /* "https://ec2.REGION.amazonaws.com/"; a test's on 127.0.0.1;
			       * NULL: the region's (with region NULL: once it is set) */
	const char *region;   /* the signing region; NULL: IMDS's, set by the owner (needs imds) */
	const struct cv_aws_creds *keys; /* static keys, or NULL */
	bool from_env;	      /* look at $AWS_ACCESS_KEY_ID... when keys is NULL */
	const char *credentials_file; /* a shared credentials file, or NULL */
	const char *profile;	      /* its profile, NULL: "default" */
	/* IMDS's base URL (tests: a local one), NULL: none (no role, no discovery) */
	const char *imds;
	uint32_t deadline_ms; /* per call, its retries included */
	uint32_t attempt_timeout_ms; /* per HTTP attempt */
	const char *ca_file;
	bool verify_tls;
	const char *proxy; /* as cv_http_request.proxy */
};

struct cv_aws_answer {
	int err;	   /* 0, or -errno (-EAGAIN throttled to the deadline, -EACCES...) */
	long status;	   /* the last attempt's HTTP status, 0: none */
	const char *body;  /* its body (a success's XML), borrowed for the call */
	size_t body_len;
	struct cv_aws_error error; /* EC2's code and message; code "" if none came */
	unsigned attempts;
	const char *why;   /* a line for the log: what failed last ("" on success) */
};

typedef void (*cv_aws_done_fn)(void *userdata, const struct cv_aws_answer *answer);

/* http and loop are borrowed; p is copied. 0 or -errno. */
int cv_aws_client_new(qb_loop_t *loop, struct cv_http *http, const struct cv_aws_params *p,
		      struct cv_aws_client **ret);
/* Cancels calls under way (their done is not called). Accepts NULL; returns NULL. */
struct cv_aws_client *cv_aws_client_free(struct cv_aws_client *c);

/* POST body (copied: "Action=...&Version=..."); done is called once, from the loop. */
int cv_aws_call(struct cv_aws_client *c, const char *body, cv_aws_done_fn done, void *userdata);

/*
 * The region, read from IMDS (placement/region) by the owner of a client
 * made without one: its endpoint too if none was given. Calls before it
 * fail (-EINVAL). 0 or -ENOMEM.
 */
int cv_aws_client_set_region(struct cv_aws_client *c, const char *region);
bool cv_aws_client_has_region(const struct cv_aws_client *c);

qb_loop_t *cv_aws_client_loop(const struct cv_aws_client *c);

/* Calls made, attempts sent, and IMDS requests (the tests count them). */
struct cv_aws_stats {
	unsigned calls, attempts, retries, imds_requests, credential_fetches;
};
const struct cv_aws_stats *cv_aws_client_stats(const struct cv_aws_client *c);

/* An IMDS path's answer (instance-id, mac, ...) through the client's token: done gets body. */
int cv_aws_imds_get(struct cv_aws_client *c, const char *path, cv_aws_done_fn done,
		    void *userdata);
