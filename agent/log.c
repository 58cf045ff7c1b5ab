/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <syslog.h>
#include <unistd.h>

#include <qb/qblog.h>

#include "log.h"

void
cv_log_init(const char *name, bool foreground, bool debug)
{
	int level = debug ? LOG_DEBUG : LOG_INFO;

	qb_log_init(name, LOG_DAEMON, level);
	qb_log_ctl(QB_LOG_SYSLOG, QB_LOG_CONF_ENABLED, foreground ? QB_FALSE : QB_TRUE);
	qb_log_filter_ctl(QB_LOG_SYSLOG, QB_LOG_FILTER_ADD, QB_LOG_FILTER_FILE, "*",
			  debug ? LOG_DEBUG : LOG_NOTICE);
	if (foreground) {
		qb_log_ctl(QB_LOG_STDERR, QB_LOG_CONF_ENABLED, QB_TRUE);
		qb_log_filter_ctl(QB_LOG_STDERR, QB_LOG_FILTER_ADD, QB_LOG_FILTER_FILE, "*", level);
		qb_log_format_set(QB_LOG_STDERR, "%T %N[%P] %p: %b");
	}
	/* The blackbox keeps the recent past for post-mortems (qb-blackbox):
	 * 256 KiB, a few thousand debug lines. Its pages are resident once
	 * written, and a bigger ring would be most of an idle daemon's memory
	 * (the whole daemon with one VIP is about 4 MiB). */
	qb_log_ctl(QB_LOG_BLACKBOX, QB_LOG_CONF_SIZE, 256 * 1024);
	qb_log_ctl(QB_LOG_BLACKBOX, QB_LOG_CONF_ENABLED, QB_TRUE);
	qb_log_filter_ctl(QB_LOG_BLACKBOX, QB_LOG_FILTER_ADD, QB_LOG_FILTER_FILE, "*", LOG_DEBUG);
}

void
cv_log_forked(const char *role)
{
	char fmt[80];

	/* Our own pid and role on stderr: the format was the parent's. */
	snprintf(fmt, sizeof(fmt), "%%T %%N-%s[%d] %%p: %%b", role, (int)getpid());
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
