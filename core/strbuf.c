/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

static int
reserve(struct cv_strbuf *b, size_t extra)
{
	size_t need = b->len + extra + 1, cap = b->cap ? b->cap : 256;
	char *p;

	if (b->err)
		return b->err;
	if (need <= b->cap)
		return 0;
	while (cap < need)
		cap *= 2;
	p = realloc(b->buf, cap);
	if (!p)
		return b->err = -ENOMEM;
	p[b->len] = '\0';
	b->buf = p;
	b->cap = cap;
	return 0;
}

void
cv_strbuf_printf(struct cv_strbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->err = b->err ? b->err : -EINVAL;
		return;
	}
	if (reserve(b, (size_t)n) < 0)
		return;
	va_start(ap, fmt);
	vsnprintf(b->buf + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void
cv_strbuf_append_len(struct cv_strbuf *b, const char *s, size_t n)
{
	if (reserve(b, n) < 0)
		return;
	memcpy(b->buf + b->len, s, n);
	b->len += n;
	b->buf[b->len] = '\0';
}

void
cv_strbuf_append(struct cv_strbuf *b, const char *s)
{
	cv_strbuf_append_len(b, s, strlen(s));
}

int
cv_strbuf_steal(struct cv_strbuf *b, char **ret)
{
	int r = b->err ? b->err : reserve(b, 0);

	if (r < 0) {
		cv_strbuf_done(b);
		return r;
	}
	*ret = b->buf;
	*b = (struct cv_strbuf){};
	return 0;
}

void
cv_strbuf_done(struct cv_strbuf *b)
{
	free(b->buf);
	*b = (struct cv_strbuf){};
}
