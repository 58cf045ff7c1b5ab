/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Reading the config file: the I/O half of the pure parser in core/.
 *
 * The file tells a root daemon which addresses to add and which commands its
 * checks run, so the daemon takes it only from a regular file that root (or
 * the user it runs as) owns and nobody else can write, as sshd's StrictModes
 * does. The file is opened without blocking and checked with fstat() before
 * anything is read: a FIFO would block the daemon, /dev/zero would never end,
 * a directory only fails at read(). At most CV_CONFIG_MAX_SIZE + 1 bytes are
 * read, whatever the file claims its size is (/proc files say 0).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config-load.h"
#include "cv-error.h"
#include "cv-macros.h"
#include "fd-util.h"

#define READ_CHUNK 65536

static int _printf_(3, 4)
file_fail(int err, struct cv_conf_error *e, const char *fmt, ...)
{
	va_list ap;

	*e = (struct cv_conf_error){};
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return err;
}

static const char *
file_type(mode_t m)
{
	switch (m & S_IFMT) {
	case S_IFDIR:
		return "a directory";
	case S_IFIFO:
		return "a FIFO";
	case S_IFCHR:
		return "a character device";
	case S_IFBLK:
		return "a block device";
	case S_IFSOCK:
		return "a socket";
	default:
		return "an unknown type";
	}
}

/* Regular and small enough to read (the size is checked again while reading). */
static int
check_type(const struct stat *st, struct cv_conf_error *e)
{
	if (S_ISDIR(st->st_mode))
		return file_fail(-EISDIR, e, "not a regular file (a directory)");
	if (!S_ISREG(st->st_mode))
		return file_fail(-EBADFD, e, "not a regular file (%s)", file_type(st->st_mode));
	if (st->st_size > (off_t)CV_CONFIG_MAX_SIZE)
		return file_fail(-EFBIG, e,
				 "larger than %u MiB (%jd bytes), the most corovipd reads",
				 CV_CONFIG_MAX_SIZE >> 20, (intmax_t)st->st_size);
	return 0;
}

/* Owned by root or by us, and writable by nobody else. */
static int
check_owner(const struct stat *st, struct cv_conf_error *e)
{
	mode_t w = st->st_mode & (S_IWGRP | S_IWOTH);
	const char *who = w == S_IWGRP ? "group" : w == S_IWOTH ? "others" : "group and others";

	if (st->st_uid != 0 && st->st_uid != geteuid())
		return file_fail(-EPERM, e,
				 "owned by uid %u, not by root%s: corovipd refuses a file another "
				 "user can change",
				 (unsigned)st->st_uid, geteuid() ? " or the user corovipd runs as" : "");
	if (w)
		return file_fail(-EPERM, e,
				 "writable by %s (mode %04o): corovipd refuses a file others can "
				 "change (chmod go-w)",
				 who, (unsigned)(st->st_mode & 07777));
	return 0;
}

/* Read to the end, but never more than CV_CONFIG_MAX_SIZE + 1 bytes. */
static int
read_capped(int fd, size_t hint, char **ret, size_t *ret_len, struct cv_conf_error *e)
{
	const size_t limit = (size_t)CV_CONFIG_MAX_SIZE + 1;
	size_t len = 0, cap = CV_MIN(CV_MAX(hint + 1, (size_t)READ_CHUNK), limit);
	_cleanup_free_ char *buf = malloc(cap);

	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n;

		if (len == cap) {
			char *p;

			if (cap == limit)
				return file_fail(-EFBIG, e, "larger than %u MiB, the most "
						 "corovipd reads", CV_CONFIG_MAX_SIZE >> 20);
			cap = CV_MIN(cap * 2, limit);
			p = realloc(buf, cap);
			if (!p)
				return -ENOMEM;
			buf = p;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		len += (size_t)n;
	}
	*ret = TAKE_PTR(buf);
	*ret_len = len;
	return 0;
}

/*
 * Parsed and checked, the key positions have served (errors name them): a
 * loaded config drops them (10,000 VIPs: 1 MB in the daemon, as much again
 * in the reaper).
 */
static int
parse(const char *text, size_t len, struct cv_config **ret, struct cv_conf_error *reterr)
{
	int r = cv_config_parse(text, len, ret, reterr);

	if (r >= 0)
		cv_config_forget_positions(*ret);
	return r;
}

static int
load(const char *path, bool strict, char *ret_warning, size_t warning_len, struct cv_config **ret,
     struct cv_conf_error *reterr)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	_cleanup_free_ char *text = NULL;
	struct cv_conf_error owner = {};
	struct stat st;
	size_t len = 0;
	int r;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	r = check_type(&st, reterr);
	if (r < 0)
		return r;
	r = check_owner(&st, &owner);
	if (r < 0 && strict) {
		*reterr = owner;
		return r;
	}
	if (ret_warning && warning_len > 0)
		snprintf(ret_warning, warning_len, "%s", r < 0 ? owner.msg : "");
	r = read_capped(fd, (size_t)st.st_size, &text, &len, reterr);
	if (r < 0)
		return r;
	return parse(text, len, ret, reterr);
}

int
cv_config_load_fd(int fd, struct cv_config **ret, struct cv_conf_error *reterr)
{
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	int r = read_capped(fd, 0, &text, &len, reterr);

	return r < 0 ? r : parse(text, len, ret, reterr);
}

int
cv_config_load(const char *path, struct cv_config **ret, struct cv_conf_error *reterr)
{
	return load(path, true, NULL, 0, ret, reterr);
}

int
cv_config_load_check(const char *path, char *ret_warning, size_t len, struct cv_config **ret,
		     struct cv_conf_error *reterr)
{
	if (ret_warning && len > 0)
		ret_warning[0] = '\0';
	return load(path, false, ret_warning, len, ret, reterr);
}

const char *
cv_config_format_error(const char *path, int err, const struct cv_conf_error *e, char *buf,
		       size_t len)
{
	int n;

	if (!e->msg[0])
		n = snprintf(buf, len, "%s: %s", path, cv_strerror(err));
	else if (e->line)
		n = snprintf(buf, len, "%s:%u:%u: %s: %s", path, e->line, e->col, e->key, e->msg);
	else if (e->key[0])
		n = snprintf(buf, len, "%s: %s: %s", path, e->key, e->msg);
	else
		n = snprintf(buf, len, "%s: %s", path, e->msg);
	if (n < 0 && len > 0)
		buf[0] = '\0';
	return buf;
}

void
cv_config_print_error(FILE *f, const char *path, int err, const struct cv_conf_error *e)
{
	char buf[CV_CONFIG_ERROR_STRLEN];

	fprintf(f, "%s\n", cv_config_format_error(path, err, e, buf, sizeof(buf)));
}
