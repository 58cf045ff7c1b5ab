/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Text handed to a child through an anonymous file (memfd.h). */
#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cv-macros.h"
#include "fd-util.h"
#include "memfd.h"

int
cv_memfd_text(const char *name, const char *text, size_t len)
{
	_cleanup_close_ int fd = memfd_create(name, MFD_CLOEXEC);
	size_t off = 0;

	if (fd < 0)
		return -errno;
	while (off < len) {
		ssize_t n = write(fd, text + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		off += (size_t)n;
	}
	if (lseek(fd, 0, SEEK_SET) < 0)
		return -errno;
	return TAKE_FD(fd);
}
