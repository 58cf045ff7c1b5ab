/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A growable text buffer for building output. Errors are sticky: after an
 * allocation failure every append is a no-op and cv_strbuf_steal() reports
 * -ENOMEM once, so callers check only at the end.
 */
#pragma once

#include <stddef.h>

#include "cv-macros.h"

struct cv_strbuf {
	char *buf; /* owned, NUL-terminated when non-NULL */
	size_t len;
	size_t cap;
	int err;
};

void cv_strbuf_printf(struct cv_strbuf *b, const char *fmt, ...) _printf_(2, 3);
void cv_strbuf_append(struct cv_strbuf *b, const char *s);
/* n bytes of s (no NUL among them) */
void cv_strbuf_append_len(struct cv_strbuf *b, const char *s, size_t n);

/* Hand the text to the caller (who frees it); the buffer is empty after. */
int cv_strbuf_steal(struct cv_strbuf *b, char **ret);

void cv_strbuf_done(struct cv_strbuf *b);
