/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reading the config file: the I/O half of the pure parser in core/. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config-load.h"
#include "cv-error.h"
#include "cv-macros.h"

static void
fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}

static int
read_all(const char *path, char **ret, size_t *ret_len)
{
	_cleanup_(fclosep) FILE *f = fopen(path, "re");
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, cap = 0;

	if (!f)
		return -errno;
	for (;;) {
		size_t n;

		if (len == cap) {
			char *p;

			if (cap > CV_CONFIG_MAX_SIZE)
				return -EFBIG;
			cap = cap ? cap * 2 : 65536;
			p = realloc(buf, cap);
			if (!p)
				return -ENOMEM;
			buf = p;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f))
		return -EIO;
	*ret = TAKE_PTR(buf);
	*ret_len = len;
	return 0;
}

int
cv_config_load(const char *path, struct cv_config **ret, struct cv_conf_error *reterr)
{
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	int r;

	r = read_all(path, &text, &len);
	if (r < 0)
		return r;
	return cv_config_parse(text, len, ret, reterr);
}

void
cv_config_print_error(FILE *f, const char *path, int err, const struct cv_conf_error *e)
{
	if (err != -EINVAL)
		fprintf(f, "%s: %s\n", path, cv_strerror(err));
	else if (e->line == 0)
		fprintf(f, "%s: %s: %s\n", path, e->key, e->msg);
	else
		fprintf(f, "%s:%u:%u: %s: %s\n", path, e->line, e->col, e->key, e->msg);
}
