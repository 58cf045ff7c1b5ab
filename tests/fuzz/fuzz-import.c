/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * corovip-import's readers (import/) on any bytes: the first byte picks
 * keepalived.conf (even) or a CIB (odd); either is refused with an error
 * or written as corovip.conf, never a crash or a leak, and what is written
 * is text with no NUL in it.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
no_include(const char *path, char **text, size_t *len)
{
	(void)path;
	if (path[0] == 'x') { /* an include that reads: its own text again, once */
		*text = strdup("vrrp_instance I { virtual_ipaddress { 192.0.2.1 } }");
		*len = *text ? strlen(*text) : 0;
		return *text ? 0 : -ENOMEM;
	}
	return -ENOENT;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct imp_conf *c = calloc(1, sizeof(*c));
	struct cv_strbuf out = {};
	char *text = size ? malloc(size) : NULL, err[384];
	int r;

	if (!c || (size && !text)) {
		free(c);
		free(text);
		return 0;
	}
	imp_conf_init(c);
	if (size) {
		memcpy(text, data + 1, size - 1); /* a C string of the rest */
		text[size - 1] = '\0';
	}
	if (size && (data[0] & 1))
		r = imp_cib(c, "fuzz", text, size - 1, err, sizeof(err));
	else
		r = imp_keepalived(c, "n1", "fuzz", text ? text : "", no_include, err, sizeof(err));
	if (r == 0) {
		imp_keepalived_finish(c);
		imp_emit(c, &out);
		if (out.buf && strlen(out.buf) != out.len)
			abort();
	}
	cv_strbuf_done(&out);
	imp_conf_done(c);
	free(c);
	free(text);
	return 0;
}
