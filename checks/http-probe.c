/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <string.h>

#include "cv-error.h"
#include "http-probe.h"

struct cv_http_request
cv_http_probe_request(const struct cv_check_conf *k)
{
	return (struct cv_http_request){
		.url = k->http,
		.timeout_ms = k->timeout_ms,
		.verify_tls = k->tls_verify,
		/* each run tests that the service takes a new connection */
		.fresh_connection = true,
		.max_body = k->http_body ? CV_HTTP_PROBE_BODY_MAX : 0,
	};
}

bool
cv_http_probe_passed(const struct cv_check_conf *k, const struct cv_http_result *res, char *why,
		     size_t whylen)
{
	/* no answer (timeout, refused, TLS), or not all of it in time */
	if (res->status == 0 || res->curl_code != 0) {
		snprintf(why, whylen, "%s (%s)", cv_strerror(res->err), res->message);
		return false;
	}
	if (res->status < (long)k->http_status.lo || res->status > (long)k->http_status.hi) {
		snprintf(why, whylen, "status %ld, not in %u-%u", res->status, k->http_status.lo,
			 k->http_status.hi);
		return false;
	}
	if (k->http_body && !memmem(res->body, res->body_len, k->http_body, strlen(k->http_body))) {
		snprintf(why, whylen, "status %ld, but '%s' is not in the body%s", res->status,
			 k->http_body, res->body_truncated ? "'s first 64 KiB" : "");
		return false;
	}
	snprintf(why, whylen, "status %ld", res->status);
	return true;
}
