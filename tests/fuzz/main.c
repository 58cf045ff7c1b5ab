/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Corpus replay for fuzz targets (Knot's tests-fuzz/main.c idea): without
 * libFuzzer, each target is a make check test that feeds every file of its
 * seed corpus (and any file or directory given on the command line) to
 * LLVMFuzzerTestOneInput once. Crashes show up under ASan/UBSan.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long size;

	if (!f) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
		fclose(f);
		return -1;
	}
	buf = malloc(size > 0 ? (size_t)size : 1);
	if (!buf || fread(buf, 1, (size_t)size, f) != (size_t)size) {
		fprintf(stderr, "%s: short read\n", path);
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	/* An exact-size heap copy, so ASan sees any read past the end. */
	LLVMFuzzerTestOneInput(buf, (size_t)size);
	free(buf);
	return 0;
}

static int
replay(const char *path, unsigned *count)
{
	struct stat st;
	DIR *d;
	struct dirent *de;
	int r = 0;

	if (stat(path, &st) < 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		(*count)++;
		return replay_file(path);
	}
	d = opendir(path);
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		char sub[4096];

		if (de->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		if (replay(sub, count) < 0)
			r = -1;
	}
	closedir(d);
	return r;
}

int
main(int argc, char **argv)
{
	const char *name = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	const char *srcdir = getenv("top_srcdir") ? getenv("top_srcdir") : ".";
	unsigned count = 0;
	int r = 0;

	if (strncmp(name, "lt-", 3) == 0)
		name += 3;
	if (argc > 1) {
		for (int i = 1; i < argc; i++)
			if (replay(argv[i], &count) < 0)
				r = 1;
	} else {
		char dir[4096];

		snprintf(dir, sizeof(dir), "%s/tests/fuzz/%s.in", srcdir, name);
		if (replay(dir, &count) < 0)
			r = 1;
	}
	printf("%s: replayed %u inputs\n", name, count);
	if (count == 0)
		r = 1;
	return r;
}
