/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include <qb/qblog.h>

#include "cv-error.h"
#include "cv-macros.h"
#include "shm-clean.h"

static void
closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}

/* "qb-PID-..." of a process that no longer exists (a live one, or a pid reused: kept). */
static bool
server_gone(const char *name)
{
	char *end;
	long pid;

	if (strncmp(name, "qb-", 3) != 0)
		return false;
	pid = strtol(name + 3, &end, 10);
	return end != name + 3 && *end == '-' && pid > 0 && kill((pid_t)pid, 0) < 0 &&
	       errno == ESRCH;
}

/* Every file in dir/name, then the directory itself. */
static int
remove_dir(int dfd, const char *name)
{
	_cleanup_(closedirp) DIR *d = NULL;
	int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct dirent *e;

	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			(void)unlinkat(fd, e->d_name, 0);
	return unlinkat(dfd, name, AT_REMOVEDIR) < 0 ? -errno : 0;
}

int
cv_shm_clean_stale(const char *dir, const char *service)
{
	_cleanup_(closedirp) DIR *d = opendir(dir);
	char mark[128];
	struct dirent *e;
	int n = 0;

	if (!d)
		return -errno;
	snprintf(mark, sizeof(mark), "qb-request-%s-header", service);
	while ((e = readdir(d))) {
		char path[512];
		int r;

		if (e->d_type != DT_DIR || !server_gone(e->d_name))
			continue;
		snprintf(path, sizeof(path), "%s/%s", e->d_name, mark);
		if (faccessat(dirfd(d), path, F_OK, AT_SYMLINK_NOFOLLOW) < 0)
			continue; /* another service's */
		r = remove_dir(dirfd(d), e->d_name);
		if (r == 0)
			n++;
		else
			qb_log(LOG_WARNING, "cannot remove a dead daemon's %s/%s: %s", dir, e->d_name,
			       cv_strerror(r));
	}
	return n;
}
