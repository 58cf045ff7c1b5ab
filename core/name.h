/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The one definition of a name (VIP, node, check): 1..max bytes of
 * [A-Za-z0-9_.-], starting with a letter or digit. The config parser and the
 * wire decoder both use it, so a name that parses also travels, and back.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* Works on raw bytes too (s need not be NUL-terminated; a NUL is invalid). */
bool cv_name_is_valid(const void *s, size_t len, size_t max);
