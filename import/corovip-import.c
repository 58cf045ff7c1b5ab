/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * corovip-import: a keepalived.conf (one per node) or Pacemaker's IPaddr2
 * resources written as corovip.conf on stdout, with a comment beside what
 * has no equivalent (import.h). It reads files and writes text; it changes
 * nothing on the machine.
 *
 *   corovip-import keepalived [NODE=]FILE...   one file per node (NODE: its
 *                                              name in corosync's nodelist;
 *                                              default n1, n2...)
 *   corovip-import ipaddr2 FILE|-               a CIB (cibadmin -Q), a part of
 *                                              one, or crm_resource --query-xml
 * Exit: 0 written, 1 a file could not be read or parsed, 2 usage.
 */
#include <errno.h>
#include <glob.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cv-error.h"
#include "cv-macros.h"
#include "import.h"
#include "strbuf.h"

#define PROG "corovip-import"
#define FILE_MAX (4u << 20)

static char base_dir[4096]; /* where a relative include is looked for */

static int
read_stream(FILE *f, char **text, size_t *len)
{
	struct cv_strbuf b = {};
	char chunk[8192];
	size_t n;

	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (b.len + n > FILE_MAX) {
			cv_strbuf_done(&b);
			return -EFBIG;
		}
		cv_strbuf_append_len(&b, chunk, n);
	}
	if (ferror(f)) {
		cv_strbuf_done(&b);
		return -EIO;
	}
	if (!b.buf)
		cv_strbuf_append(&b, "");
	*len = b.len;
	return cv_strbuf_steal(&b, text);
}

static int
read_path(const char *path, char **text, size_t *len)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "re");
	int r;

	if (!f)
		return -errno;
	r = read_stream(f, text, len);
	if (f != stdin)
		fclose(f);
	return r;
}

/* keepalived's include: a glob, relative to the first file's folder; every match, in order. */
static int
read_include(const char *pattern, char **text, size_t *len)
{
	char full[8192];
	struct cv_strbuf all = {};
	glob_t g;
	int r = 0;

	snprintf(full, sizeof(full), "%s%s%s", pattern[0] == '/' ? "" : base_dir,
		 pattern[0] == '/' ? "" : "/", pattern);
	if (glob(full, GLOB_NOSORT, NULL, &g) != 0)
		return -ENOENT; /* keepalived too stops at an include that matches nothing */
	for (size_t i = 0; i < g.gl_pathc && r == 0; i++) {
		char *one = NULL;
		size_t n;

		r = read_path(g.gl_pathv[i], &one, &n);
		if (r == 0)
			cv_strbuf_printf(&all, "%s\n", one);
		free(one);
	}
	globfree(&g);
	if (r < 0) {
		cv_strbuf_done(&all);
		return r;
	}
	*len = all.len;
	return cv_strbuf_steal(&all, text);
}

static int
usage(void)
{
	fprintf(stderr, "usage: " PROG " keepalived [NODE=]FILE...\n"
			"       " PROG " ipaddr2 FILE|-\n"
			"Writes the equivalent corovip.conf on stdout, with a comment for what has no "
			"equivalent.\n");
	return 2;
}

static int
one_keepalived(struct imp_conf *c, const char *argument, size_t k)
{
	_cleanup_free_ char *text = NULL, *dir = NULL;
	const char *eq = strchr(argument, '='), *path = eq ? eq + 1 : argument;
	char node[CV_NAME_MAX + 1], err[384] = "";
	size_t len;
	int r;

	snprintf(node, sizeof(node), "n%zu", k + 1);
	if (eq)
		snprintf(node, sizeof(node), "%.*s", (int)CV_MIN((size_t)(eq - argument), sizeof(node) - 1),
			 argument);
	r = read_path(path, &text, &len);
	if (r < 0) {
		fprintf(stderr, PROG ": %s: %s\n", path, cv_strerror(r));
		return r;
	}
	dir = strdup(path);
	snprintf(base_dir, sizeof(base_dir), "%s", dir ? dirname(dir) : ".");
	r = imp_keepalived(c, node, path, text, read_include, err, sizeof(err));
	if (r < 0)
		fprintf(stderr, PROG ": %s: %s\n", path, err[0] ? err : cv_strerror(r));
	return r;
}

int
main(int argc, char **argv)
{
	struct imp_conf *c = calloc(1, sizeof(*c));
	struct cv_strbuf out = {};
	int r = 0;

	if (argc < 3 || !c)
		return c ? usage() : 1;
	imp_conf_init(c);
	if (strcmp(argv[1], "keepalived") == 0) {
		for (int i = 2; i < argc && r == 0; i++)
			r = one_keepalived(c, argv[i], (size_t)(i - 2));
		if (r == 0)
			imp_keepalived_finish(c);
	} else if (strcmp(argv[1], "ipaddr2") == 0 && argc == 3) {
		_cleanup_free_ char *text = NULL;
		char err[384] = "";
		size_t len;

		r = read_path(argv[2], &text, &len);
		if (r == 0)
			r = imp_cib(c, argv[2], text, len, err, sizeof(err));
		if (r < 0)
			fprintf(stderr, PROG ": %s: %s\n", argv[2], err[0] ? err : cv_strerror(r));
	} else {
		free(c);
		return usage();
	}
	if (r == 0) {
		imp_emit(c, &out);
		if (out.err)
			r = out.err;
		else
			fputs(out.buf, stdout);
	}
	cv_strbuf_done(&out);
	imp_conf_done(c);
	free(c);
	if (fflush(stdout) != 0)
		r = -EIO;
	return r < 0 ? 1 : 0;
}
