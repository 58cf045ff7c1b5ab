/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* File descriptors under _cleanup_ (systemd's _cleanup_close_ and TAKE_FD). */
#pragma once

#include <errno.h>
#include <unistd.h>

#include "cv-macros.h"

static inline void
cv_closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno; /* keep the errno a failing caller is about to return */

		close(*fd);
		errno = saved;
	}
}
#define _cleanup_close_ _cleanup_(cv_closep)

#define TAKE_FD(fd)                                                                                \
	({                                                                                         \
		int _fd = (fd);                                                                    \
		(fd) = -1;                                                                         \
		_fd;                                                                               \
	})
