/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A command line into words as sh splits them (exec-run.h): quotes and
 * backslashes, no expansion. A check's command so reads as it would in a
 * shell, without one between the daemon and the program.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cv-macros.h"
#include "exec-run.h"

struct words {
	char **v;
	size_t n;
};

static int
add_word(struct words *w, const char *word, size_t len)
{
	char **v = realloc(w->v, (w->n + 2) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	w->v = v;
	v[w->n] = strndup(word, len);
	if (!v[w->n])
		return -ENOMEM;
	v[++w->n] = NULL;
	return 0;
}

/* Inside "...": a backslash escapes only these (POSIX), else it stays. */
static bool
escapable_in_double(char c)
{
	return c == '"' || c == '\\' || c == '$' || c == '`' || c == '\n';
}

/*
 * One word starting at *p (not a blank) into buf; *p moves past it.
 * Returns its length, or -EINVAL (an unterminated quote, a trailing
 * backslash).
 */
static int
one_word(const char **p, char *buf)
{
	const char *s = *p;
	size_t n = 0;

	for (; *s && *s != ' ' && *s != '\t' && *s != '\n'; s++) {
		if (*s == '\'') {
			const char *end = strchr(s + 1, '\'');

			if (!end)
				return -EINVAL;
			memcpy(buf + n, s + 1, (size_t)(end - s - 1));
			n += (size_t)(end - s - 1);
			s = end;
		} else if (*s == '"') {
			for (s++; *s != '"'; s++) {
				if (!*s)
					return -EINVAL;
				if (*s == '\\' && escapable_in_double(s[1]))
					s++;
				buf[n++] = *s;
			}
		} else if (*s == '\\') {
			if (!*++s)
				return -EINVAL;
			buf[n++] = *s;
		} else {
			buf[n++] = *s;
		}
	}
	*p = s;
	return (int)n;
}

int
cv_exec_split(const char *command, char ***ret_argv)
{
	_cleanup_free_ char *buf = malloc(strlen(command) + 1); /* no word is longer */
	struct words w = {};
	int r = 0;

	if (!buf)
		return -ENOMEM;
	for (const char *p = command;;) {
		p += strspn(p, " \t\n");
		if (!*p)
			break;
		r = one_word(&p, buf);
		if (r >= 0)
			r = add_word(&w, buf, (size_t)r);
		if (r < 0) {
			cv_exec_argv_free(w.v);
			return r;
		}
	}
	if (w.n == 0)
		return -EINVAL;
	*ret_argv = w.v;
	return 0;
}

void
cv_exec_argv_free(char **argv)
{
	if (!argv)
		return;
	for (char **a = argv; *a; a++)
		free(*a);
	free(argv);
}
