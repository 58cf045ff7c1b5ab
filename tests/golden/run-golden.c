/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * run-golden [--trace] [FILE.scn | DIR]...
 *
 * Runs golden scenarios on the simulator; without arguments every *.scn in
 * $top_srcdir/tests/golden/scenarios (make check sets top_srcdir). Prints
 * PASS/FAIL per scenario with each violation, exits 1 if any failed.
 * --trace prints the simulated timeline on stderr (for one scenario).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "scenario.h"

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (!f)
		return NULL;
	do {
		if (len + 4096 + 1 > cap) {
			cap = cap ? 2 * cap : 8192;
			buf = realloc(buf, cap);
			if (!buf)
				abort();
		}
		n = fread(buf + len, 1, 4096, f);
		len += n;
	} while (n > 0);
	fclose(f);
	buf[len] = '\0';
	return buf;
}

/* 0 pass, 1 fail */
static int
run_file(const char *path, bool trace)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	char *text = slurp(path), err[512];
	struct scn *sc = NULL;
	size_t failures;

	if (!text) {
		printf("FAIL %s: cannot read: %s\n", path, strerror(errno));
		return 1;
	}
	if (scn_parse(text, base, &sc, err, sizeof(err)) < 0) {
		printf("FAIL %s\n  %s\n", base, err);
		free(text);
		return 1;
	}
	free(text);
	failures = scn_run(sc, trace, stdout);
	printf("%s %s\n", failures ? "FAIL" : "PASS", base);
	fflush(stdout);
	scn_free(sc);
	return failures ? 1 : 0;
}

static int
compare(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every *.scn in dir, in name order; returns the number of failures. */
static int
run_dir(const char *dir, bool trace, int *ret_total)
{
	DIR *d = opendir(dir);
	char **names = NULL;
	size_t n = 0;
	int failed = 0;
	struct dirent *de;

	if (!d) {
		printf("FAIL %s: cannot open: %s\n", dir, strerror(errno));
		return 1;
	}
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);

		if (l < 5 || strcmp(de->d_name + l - 4, ".scn") != 0)
			continue;
		names = realloc(names, (n + 1) * sizeof(*names));
		if (!names)
			abort();
		names[n++] = strdup(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), compare);
	for (size_t i = 0; i < n; i++) {
		char path[4096];

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		failed += run_file(path, trace);
		free(names[i]);
	}
	free(names);
	*ret_total += (int)n;
	return failed;
}

static int
run_path(const char *path, bool trace, int *total)
{
	struct stat st;

	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return run_dir(path, trace, total);
	(*total)++;
	return run_file(path, trace);
}

int
main(int argc, char **argv)
{
	bool trace = false;
	int failed = 0, total = 0, paths = 0;
	char def[4096];

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--trace") == 0) {
			trace = true;
			continue;
		}
		failed += run_path(argv[i], trace, &total);
		paths++;
	}
	if (!paths) {
		const char *top = getenv("top_srcdir");

		snprintf(def, sizeof(def), "%s/tests/golden/scenarios", top ? top : ".");
		failed += run_path(def, trace, &total);
	}
	printf("# %d scenario(s), %d failed\n", total, failed);
	return failed ? 1 : 0;
}
