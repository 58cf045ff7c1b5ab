/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>

#include "number.h"

int
cv_parse_uint(const char *text, int base, uint64_t max, uint64_t *ret)
{
	unsigned long long v;
	char *end;

	if (!text || !(text[0] >= '0' && text[0] <= '9'))
		return -EINVAL; /* no sign, no blank: strtoull would skip and negate */
	errno = 0;
	v = strtoull(text, &end, base);
	if (errno || *end || v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

int
cv_parse_u32(const char *text, uint32_t max, uint32_t *ret)
{
	uint64_t v;
	int r = cv_parse_uint(text, 10, max, &v);

	if (r == 0)
		*ret = (uint32_t)v;
	return r;
}
