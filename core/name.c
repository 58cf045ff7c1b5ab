/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdint.h>

#include "name.h"

static bool
is_alnum(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool
cv_name_is_valid(const void *s, size_t len, size_t max)
{
	const uint8_t *p = s;

	if (len == 0 || len > max || !is_alnum(p[0]))
		return false;
	for (size_t i = 1; i < len; i++)
		if (!is_alnum(p[i]) && p[i] != '_' && p[i] != '.' && p[i] != '-')
			return false;
	return true;
}
