/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * An http check's run and its verdict: the GET a check section asks for
 * (cloud/http.h does it on the loop), and whether its answer passes: a
 * status in http_status and, if http_body is set, that text in the body's
 * first CV_HTTP_PROBE_BODY_MAX bytes. Pure: no I/O, no logging.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "http.h"

#define CV_HTTP_PROBE_BODY_MAX (64u * 1024u) /* how much of a body is searched */

/* The request for one run of check k (k borrowed: the request points into it). */
struct cv_http_request cv_http_probe_request(const struct cv_check_conf *k);

/* Does res pass check k? If not, why (a line for the log) in why. */
bool cv_http_probe_passed(const struct cv_check_conf *k, const struct cv_http_result *res,
			  char *why, size_t whylen);
