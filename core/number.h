/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Numbers from text, checked: the whole text is the number, no sign, no
 * overflow (strtoul alone takes "-1", "12abc" and "" without a word).
 */
#pragma once

#include <stdint.h>

/* text in base (10, or 0: decimal, 0x hex, 0 octal) up to max: 0 or -EINVAL. */
int cv_parse_uint(const char *text, int base, uint64_t max, uint64_t *ret);

/* The same, into 32 bits (max <= UINT32_MAX). */
int cv_parse_u32(const char *text, uint32_t max, uint32_t *ret);
