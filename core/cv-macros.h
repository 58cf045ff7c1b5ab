/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Small macros used everywhere: array sizes, cleanup attributes (systemd's
 * _cleanup_ idiom) and ownership transfer.
 */
#pragma once

#include <stddef.h>
#include <stdlib.h>

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

#define container_of(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _mustcheck_ __attribute__((warn_unused_result))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _unused_ __attribute__((unused))

/* Take the value out of a cleanup variable so its destructor does nothing. */
#define TAKE_PTR(p)                                                                                \
	({                                                                                         \
		__typeof__(p) _p = (p);                                                            \
		(p) = NULL;                                                                        \
		_p;                                                                                \
	})

static inline void
cv_freep(void *p)
{
	free(*(void **)p);
}
#define _cleanup_free_ _cleanup_(cv_freep)

#define CV_MIN(a, b) ((a) < (b) ? (a) : (b))
#define CV_MAX(a, b) ((a) > (b) ? (a) : (b))
