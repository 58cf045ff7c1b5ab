/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

/*
 * text[0..len) in a new anonymous file (memfd, close-on-exec), its offset
 * back at 0: what a child reads as its stdin or config. The fd, or -errno.
 */
int cv_memfd_text(const char *name, const char *text, size_t len);
