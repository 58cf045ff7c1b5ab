/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Error text, wiping and whole-file reads for cloud/os-*.c. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "os-int.h"

void
cv_os_errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

void
cv_os_err_prefix(char *err, size_t errlen, const char *where)
{
	_cleanup_free_ char *old = NULL;

	if (!err || errlen == 0 || !where)
		return;
	old = strdup(err);
	if (!old)
		return; /* the reason alone is still a message */
	cv_os_errf(err, errlen, "%s: %s", where, old);
}

void
cv_os_wipe_free(char *s)
{
	if (!s)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

bool
cv_os_value_is_null(const char *value)
{
	return !value || !*value || strcmp(value, "~") == 0 || strcmp(value, "null") == 0 ||
	       strcmp(value, "Null") == 0 || strcmp(value, "NULL") == 0;
}

static int
read_fd(int fd, size_t max, char **ret, size_t *ret_len)
{
	struct stat st;
	char *buf;
	size_t len = 0;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EISDIR; /* a directory, a fifo or a device: not a config file */
	if ((uint64_t)st.st_size > max)
		return -EFBIG;
	/* One byte more than the limit: a file grown since fstat is caught, not cut. */
	buf = calloc(1, max + 2);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n = read(fd, buf + len, max + 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int r = -errno;

			explicit_bzero(buf, len);
			free(buf);
			return r;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > max) {
			explicit_bzero(buf, len);
			free(buf);
			return -EFBIG;
		}
	}
	*ret = buf;
	*ret_len = len;
	return 0;
}

int
cv_os_read_file(const char *path, size_t max, char **ret, size_t *ret_len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	int r;

	if (fd < 0)
		return -errno;
	r = read_fd(fd, max, ret, ret_len);
	close(fd);
	return r;
}

bool
cv_os_id_ok(const char *s)
{
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_')
			return false;
	return true;
}

int64_t
cv_os_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
