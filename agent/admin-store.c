/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <qb/qblog.h>

#include "admin-file.h"
#include "admin-store.h"
#include "cv-error.h"
#include "cv-macros.h"
#include "strbuf.h"

#define FILE_NAME "admin-state"
#define FILE_MAX (1024 * 1024) /* 64 nodes and 10,000 moves fit many times */

static void
closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}

static int
read_all(int fd, char **ret, size_t *ret_len)
{
	_cleanup_(cv_strbuf_done) struct cv_strbuf b = {};
	char chunk[4096];
	ssize_t n;

	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (b.len + (size_t)n > FILE_MAX)
			return -EFBIG;
		cv_strbuf_append_len(&b, chunk, (size_t)n);
	}
	*ret_len = b.len;
	return cv_strbuf_steal(&b, ret);
}

static uint64_t
clock_ms(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int
cv_admin_store_load(const char *dir, struct cv_engine *e)
{
	char path[512], err[256];
	_cleanup_(closep) int fd = -1;
	_cleanup_free_ char *text = NULL;
	_cleanup_free_ struct cv_admin_entry *v = NULL;
	size_t len = 0, n = 0;
	int r;

	snprintf(path, sizeof(path), "%s/" FILE_NAME, dir);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	r = read_all(fd, &text, &len);
	if (r < 0)
		return r;
	r = cv_admin_parse(text ? text : "", len, &v, &n, err, sizeof(err));
	if (r < 0) {
		qb_log(LOG_ERR, "%s: %s: ignored (the peers' state still counts)", path,
		       r == -EINVAL ? err : cv_strerror(r));
		return r;
	}
	/* a ban's lifetime: the file says when it ends on the wall clock (a
	 * reboot restarts the monotonic one); what is left runs from now */
	for (size_t k = 0; k < n; k++)
		if (v[k].ban && v[k].until_unix_ms)
			v[k].remaining_ms = v[k].until_unix_ms > clock_ms(CLOCK_REALTIME)
						    ? v[k].until_unix_ms - clock_ms(CLOCK_REALTIME)
						    : 1;
	cv_engine_admin_import(e, clock_ms(CLOCK_MONOTONIC), v, n);
	qb_log(LOG_INFO, "%s: %zu runtime command(s) taken back", path, n);
	return 0;
}

static int
write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
cv_admin_store_save(const char *dir, const struct cv_engine *e)
{
	_cleanup_(cv_strbuf_done) struct cv_strbuf text = {};
	_cleanup_free_ struct cv_admin_entry *v = NULL;
	_cleanup_(closep) int fd = -1, dfd = -1;
	char path[512], tmp[512];
	size_t n = cv_engine_admin_export(e, NULL, 0);
	int r;

	v = calloc(n ? n : 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	cv_engine_admin_export(e, v, n);
	for (size_t k = 0; k < n; k++)
		if (v[k].ban && v[k].remaining_ms)
			v[k].until_unix_ms = clock_ms(CLOCK_REALTIME) + v[k].remaining_ms;
	cv_admin_format(v, n, &text);
	if (text.err)
		return text.err;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	snprintf(path, sizeof(path), "%s/" FILE_NAME, dir);
	snprintf(tmp, sizeof(tmp), "%s/." FILE_NAME ".new", dir);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	r = write_all(fd, text.buf, text.len);
	if (r >= 0 && fsync(fd) < 0)
		r = -errno;
	if (r >= 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0) {
		(void)unlink(tmp);
		return r;
	}
	/* the rename itself lasts once the directory is on disk */
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0)
		(void)fsync(dfd);
	return 0;
}
