/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdio.h>

#include "config.h"

/*
 * Read and parse a config file. On -EINVAL (a bad config) reterr says what and
 * where; other errors are the file's (-ENOENT, -EACCES, -EFBIG, ...).
 */
int cv_config_load(const char *path, struct cv_config **ret, struct cv_conf_error *reterr);

/* Print a load error as "FILE:line:col: key: what is wrong" to f. */
void cv_config_print_error(FILE *f, const char *path, int err, const struct cv_conf_error *e);
