/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <stdio.h>

#include "config.h"

/*
 * Read and parse a config file, as the daemon does at start and at each
 * reload. The file must be a regular file of at most CV_CONFIG_MAX_SIZE bytes,
 * owned by root (or by the user we run as) and not writable by group or
 * others. On -EINVAL (a bad config) reterr says what and where; a file that
 * is refused gives -EISDIR, -EBADFD (not a regular file), -EFBIG or -EPERM
 * (owner or mode) with reterr->msg saying why (line 0, no key); other errors
 * are the file's (-ENOENT, -EACCES, ...) and leave reterr empty.
 */
int cv_config_load(const char *path, struct cv_config **ret, struct cv_conf_error *reterr);

/*
 * The same for --test-config, but a wrong owner or mode is no error: then
 * ret_warning (len bytes) says why the daemon would refuse the file;
 * otherwise it is "". Builds and tests run as any user.
 */
/* The config's text read from fd (to its end, size-capped), parsed: no file checks. */
int cv_config_load_fd(int fd, struct cv_config **ret, struct cv_conf_error *reterr);

int cv_config_load_check(const char *path, char *ret_warning, size_t len, struct cv_config **ret,
			 struct cv_conf_error *reterr);

/* Room for any message below with a path of up to PATH_MAX bytes. */
#define CV_CONFIG_ERROR_STRLEN (4096 + CV_GROUP_MAX + sizeof(((struct cv_conf_error *)0)->msg) + 32)

/* A load error as "FILE:line:col: key: what is wrong" (or "FILE: what is wrong") in buf. */
const char *cv_config_format_error(const char *path, int err, const struct cv_conf_error *e,
				   char *buf, size_t len);

/* Print a load error as above, and a newline, to f. */
void cv_config_print_error(FILE *f, const char *path, int err, const struct cv_conf_error *e);
