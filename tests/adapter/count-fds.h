/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* How many fds this process has open: the adapter tests' leak checks. */
#pragma once

#include <dirent.h>
#include <stddef.h>

#include "cmocka-all.h"

static inline size_t
count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	size_t n = 0;

	assert_non_null(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}
