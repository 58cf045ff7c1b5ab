/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Shared by the config tests: parse text that must be valid. */
#pragma once

#include "cmocka-all.h"
#include "config.h"

/* A config from text, or the test fails with the parser's error. Caller frees. */
static inline struct cv_config *
parse_ok(const char *text)
{
	struct cv_config *c = NULL;
	struct cv_conf_error e = {};

	if (cv_config_parse(text, strlen(text), &c, &e) < 0)
		fail_msg("%u:%u: %s: %s", e.line, e.col, e.key, e.msg);
	return c;
}
