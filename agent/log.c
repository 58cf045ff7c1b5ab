/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <qb/qblog.h>

#include "cv-macros.h"
#include "log.h"

static bool log_foreground;
static bool to_journal; /* stderr is systemd's journal: it stamps time and name */
static const char *crash_dir; /* cv_log_dump_on_crash's */

void
cv_log_set_level(int level)
{
	/* the file filter "*" at one level: what passes is that level and above */
	qb_log_filter_ctl(QB_LOG_SYSLOG, QB_LOG_FILTER_CLEAR_ALL, QB_LOG_FILTER_FILE, "*", LOG_DEBUG);
	qb_log_filter_ctl(QB_LOG_SYSLOG, QB_LOG_FILTER_ADD, QB_LOG_FILTER_FILE, "*", level);
	if (!log_foreground)
		return;
	qb_log_filter_ctl(QB_LOG_STDERR, QB_LOG_FILTER_CLEAR_ALL, QB_LOG_FILTER_FILE, "*", LOG_DEBUG);
	qb_log_filter_ctl(QB_LOG_STDERR, QB_LOG_FILTER_ADD, QB_LOG_FILTER_FILE, "*", level);
}

static const char *const level_names[] = { "error", "warning", "notice", "info", "debug" };

int
cv_log_level_from_string(const char *s)
{
	for (int k = 0; k <= LOG_DEBUG - LOG_ERR; k++)
		if (strcmp(s, level_names[k]) == 0)
			return LOG_ERR + k;
	return -EINVAL;
}

/* $JOURNAL_STREAM names stderr's device and inode when systemd connected it
 * to the journal (systemd.exec(5)): then lines need no time or name of ours. */
static bool
stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	return js && sscanf(js, "%llu:%llu", &dev, &ino) == 2 && fstat(STDERR_FILENO, &st) == 0 &&
	       (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void
cv_log_init(const char *name, bool foreground, bool debug)
{
	qb_log_init(name, LOG_DAEMON, LOG_DEBUG);
	log_foreground = foreground;
	qb_log_ctl(QB_LOG_SYSLOG, QB_LOG_CONF_ENABLED, foreground ? QB_FALSE : QB_TRUE);
	if (foreground) {
		to_journal = stderr_is_journal();
		qb_log_ctl(QB_LOG_STDERR, QB_LOG_CONF_ENABLED, QB_TRUE);
		qb_log_format_set(QB_LOG_STDERR, to_journal ? "%p: %b" : "%T %N[%P] %p: %b");
	}
	/* INFO by default (the config's log_level, once read, may say otherwise) */
	cv_log_set_level(debug ? LOG_DEBUG : LOG_INFO);
	/* The blackbox keeps the recent past for post-mortems (qb-blackbox):
	 * 256 KiB, a few thousand debug lines. Its pages are resident once
	 * written, and a bigger ring would be most of an idle daemon's memory
	 * (the whole daemon with one VIP is about 4 MiB). */
	qb_log_ctl(QB_LOG_BLACKBOX, QB_LOG_CONF_SIZE, 256 * 1024);
	qb_log_ctl(QB_LOG_BLACKBOX, QB_LOG_CONF_ENABLED, QB_TRUE);
	qb_log_filter_ctl(QB_LOG_BLACKBOX, QB_LOG_FILTER_ADD, QB_LOG_FILTER_FILE, "*", LOG_DEBUG);
}

int
cv_log_blackbox_dump(const char *dir, char *path, size_t len)
{
	ssize_t n;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	snprintf(path, len, "%s/corovipd-blackbox-%d-%lld", dir, (int)getpid(),
		 (long long)time(NULL));
	n = qb_log_blackbox_write_to_file(path);
	return n < 0 ? (int)n : 0;
}

static struct sigaction crash_old[5];
static const int crash_sigs[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT };

/* Not async-signal-safe, as corosync's own crash dump: the process is lost anyway. */
static void
on_crash(int sig)
{
	char path[512];

	for (size_t k = 0; k < ELEMENTSOF(crash_sigs); k++)
		if (crash_sigs[k] == sig)
			sigaction(sig, &crash_old[k], NULL); /* once; then as before */
	if (crash_dir)
		(void)cv_log_blackbox_dump(crash_dir, path, sizeof(path));
	raise(sig);
}

void
cv_log_dump_on_crash(const char *dir)
{
	struct sigaction sa = { .sa_handler = on_crash };

	crash_dir = dir;
	sigemptyset(&sa.sa_mask);
	for (size_t k = 0; k < ELEMENTSOF(crash_sigs); k++)
		sigaction(crash_sigs[k], &sa, &crash_old[k]);
}

void
cv_log_forked(const char *role)
{
	char fmt[80];

	/* Our own pid and role on stderr: the format was the parent's (the
	 * journal names the stream's first writer, the daemon, for us too). */
	snprintf(fmt, sizeof(fmt), "%s%%N-%s[%d] %%p: %%b", to_journal ? "" : "%T ", role,
		 (int)getpid());
	qb_log_format_set(QB_LOG_STDERR, fmt);
	/* The blackbox ring is the parent's (shared after the fork); two
	 * writers without a lock would garble it. */
	qb_log_filter_ctl(QB_LOG_BLACKBOX, QB_LOG_FILTER_CLEAR_ALL, QB_LOG_FILTER_FILE, "*", LOG_DEBUG);
}

void
cv_log_fini(void)
{
	qb_log_fini();
}
