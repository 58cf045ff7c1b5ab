/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The daemon's side of the reaper (reaper.h): start it as our own binary
 * again, beat, notice its end, let it go.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <qb/qblog.h>
#include <qb/qbutil.h>

#include "cv-macros.h"
#include "exec-spawn.h"
#include "fd-util.h"
#include "memfd.h"
#include "reaper.h"
#include "reaper-wire.h"

/*
 * The daemon beats at most this often per reaper_timeout (auto: once per H,
 * with the engine's own step). Each beat wakes the reaper: at 8 (H/2), the
 * beats were a third of an idle daemon's wakeups. A beat is sent from any
 * loop turn once a period is over, so the longest gap between two is a
 * period plus the longest loop turn, still under the timeout's half.
 */
#define BEATS_PER_TIMEOUT 4

static uint64_t
now_ms(void)
{
	return qb_util_nano_current_get() / QB_TIME_NS_IN_MSEC;
}

/*
 * The link to the current reaper. Process-wide on purpose (style.md 4.3): a
 * daemon has one reaper, and every long loop of the process beats through
 * it without threading a handle through the executor and its callers.
 */
static struct {
	int fd;		  /* our end of the socket, -1: no reaper */
	pid_t pid;	  /* the reaper, 0: none */
	uint64_t every;	  /* ms between beats at most */
	uint64_t last;	  /* ms of the last beat sent, 0: none yet */
	uint64_t max_gap; /* ms, since cv_reaper_take_max_gap_ms */
	uint64_t warned;  /* ms of the last "loop stalled" warning */
	uint32_t silence; /* the reaper's bound, ms */
	uint64_t lease;	  /* the lease end the reaper was last told, 0: none */
	bool loop_runs;	  /* cv_reaper_loop_runs was called: beats may go */
} current = { .fd = -1 };

#define STALL_WARN_EVERY_MS 10000
#define TELL_WAIT_MS	    100 /* a reaper not reading its socket for this long is stuck */

/* A copy of fd numbered at least 5, so that the dup2s onto 3 and 4 cannot clash. */
static int
fd_above_4(int fd)
{
	int high;

	if (fd > CV_REAPER_CONF_FD)
		return fd;
	high = fcntl(fd, F_DUPFD_CLOEXEC, CV_REAPER_CONF_FD + 1);
	close(fd);
	return high < 0 ? -errno : high;
}

/*
 * The config's text in an anonymous file (close-on-exec: the spawn dups it),
 * without its VIPs: the reaper needs the cluster section, and of the VIPs
 * only their interfaces, which come as "i" lines on its socket (tell_first).
 * A parse of 10,000 VIPs left the reaper a heap whose free chunks libqb's
 * 1 MB connection buffer was then zeroed into: 1 MB resident, for nothing.
 */
static int
config_memfd(const struct cv_config *cfg)
{
	_cleanup_free_ char *text = NULL;
	struct cv_config lite = *cfg;
	int r;

	lite.vips = NULL;
	lite.n_vips = 0;
	lite.by_host = NULL;
	lite.n_by_host = 0;
	r = cv_config_format(&lite, &text);
	if (r < 0)
		return r;
	r = cv_memfd_text("corovipd-reaper-config", text, strlen(text));
	return r < 0 ? r : fd_above_4(r);
}

/*
 * posix_spawn of /proc/self/exe (our binary, even if replaced on disk since):
 * in the child every signal is back to its default and unblocked (libqb's
 * handlers and its signal pipe are process-wide and stay with the daemon),
 * and only fds 0-2, the socket (3) and the config (4) are left.
 */
static int
spawn(int sock, int conf, char *const argv[], pid_t *ret)
{
	const struct cv_spawn_fd fds[] = { { sock, CV_REAPER_SOCK_FD }, { conf, CV_REAPER_CONF_FD } };

	return cv_spawn_clean("/proc/self/exe", argv, environ, fds, 2, CV_REAPER_CONF_FD + 1, false,
			      ret);
}

static int interface_line(char *buf, size_t len, const char *ifname);

/*
 * cfg's interfaces, written before the reaper runs: they wait in its
 * socket, and it reads them before any sweep (a daemon that dies at once
 * leaves no gap). The daemon tells them again once the reaper runs, with
 * those of an older config (cv_reaper_tell_interfaces).
 */
static int
tell_first(int fd, const struct cv_config *cfg)
{
	struct cv_owned o = {};
	int r = cv_owned_add_config(&o, cfg);

	for (size_t i = 0; r >= 0 && i < o.n; i++) {
		char line[CV_IFNAME_MAX + 3];
		int len = interface_line(line, sizeof(line), o.ifnames[i]);

		if (write(fd, line, (size_t)len) != len)
			r = -EIO;
	}
	cv_owned_clear(&o);
	return r;
}

int
cv_reaper_start(const struct cv_config *cfg, bool log_foreground, bool log_debug)
{
	_cleanup_close_ int conf = -1, ours = -1, theirs = -1;
	char pid_arg[16];
	char *argv[6] = { "corovipd", CV_REAPER_ARG, pid_arg };
	int sv[2], n = 3, r;
	pid_t pid;

	if (current.fd >= 0)
		return -EBUSY;
	conf = config_memfd(cfg);
	if (conf < 0)
		return conf;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	ours = sv[0];
	theirs = fd_above_4(sv[1]);
	if (theirs < 0)
		return theirs;
	r = tell_first(ours, cfg);
	if (r < 0)
		return r;
	snprintf(pid_arg, sizeof(pid_arg), "%d", (int)getpid());
	if (log_foreground)
		argv[n++] = "-f";
	if (log_debug)
		argv[n++] = "-d";
	r = spawn(theirs, conf, argv, &pid);
	if (r < 0)
		return r;
	if (fcntl(ours, F_SETFL, O_NONBLOCK) < 0) {
		r = -errno;
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return r;
	}
	current.fd = TAKE_FD(ours);
	current.pid = pid;
	current.silence = cv_config_reaper_timeout_ms(cfg);
	current.every = CV_MAX(current.silence / BEATS_PER_TIMEOUT, 1u);
	current.last = 0;
	current.lease = 0;
	return 0;
}

pid_t
cv_reaper_pid(void)
{
	return current.pid;
}

int
cv_reaper_fd(void)
{
	return current.fd;
}

uint32_t
cv_reaper_beat_ms(void)
{
	uint64_t now;

	if (current.fd < 0)
		return 0;
	now = now_ms();
	if (!current.last || now - current.last >= current.every)
		return 1;
	return (uint32_t)(current.last + current.every - now);
}

/* A gap over half the bound: the loop did something in one go it should not. */
static void
note_gap(uint64_t now, uint64_t gap)
{
	current.max_gap = CV_MAX(current.max_gap, gap);
	if (gap <= current.silence / 2 ||
	    (current.warned && now - current.warned < STALL_WARN_EVERY_MS))
		return;
	current.warned = now;
	qb_log(LOG_WARNING,
	       "the loop did not beat for %" PRIu64 " ms (its reaper kills it after %u ms), "
	       "continuing",
	       gap, current.silence);
}

void
cv_reaper_loop_runs(void)
{
	current.loop_runs = true;
}

bool
cv_reaper_beat_if_due(void)
{
	uint64_t now;

	/* None before the loop's first turn: the reaper counts silence from
	 * the first beat, and a beat from the start-up's work (a reconcile of
	 * what an earlier run left) would count the rest of it, connecting to
	 * corosync included, as a loop that stopped. */
	if (current.fd < 0 || !current.loop_runs)
		return false;
	now = now_ms();
	/* Due a period after the last, and at the first call past the lease
	 * end the reaper knows: silence there is judged at once (reaper.c). */
	if (current.last && now - current.last < current.every &&
	    !(current.lease && current.last < current.lease && now >= current.lease))
		return false;
	/* EAGAIN: the reaper is not reading (frozen itself): a later beat
	 * tells it as much. EPIPE: it died; the loop sees the EOF. */
	if (send(current.fd, "b", 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0 && errno != EAGAIN)
		return false;
	if (current.last)
		note_gap(now, now - current.last);
	current.last = now;
	return true;
}

void
cv_reaper_beat(void)
{
	(void)cv_reaper_beat_if_due();
}

bool
cv_reaper_tell_lease(uint64_t until)
{
	char line[CV_REAPER_LEASE_LINE_MAX];
	size_t len;
	uint64_t now;

	if (current.fd < 0 || until == current.lease)
		return false;
	len = cv_reaper_lease_line(line, sizeof(line), until);
	/* Not written whole (the reaper is not reading): the next step tells
	 * it again; the part written is dropped at the next line's letter. */
	if (send(current.fd, line, len, MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t)len)
		return false;
	current.lease = until;
	/* A lease line is a beat to the reaper (reaper-wire.h). */
	now = now_ms();
	if (current.last)
		note_gap(now, now - current.last);
	current.last = now;
	return true;
}

uint32_t
cv_reaper_take_max_gap_ms(void)
{
	uint32_t gap = (uint32_t)current.max_gap;

	current.max_gap = 0;
	return gap;
}

/*
 * The whole message or an error: the socket is non-blocking, so a reaper
 * that does not read (frozen) gets up to a moment before we give up. A
 * short write leaves a cut name in the stream, which the reaper drops.
 */
static int
send_all(const char *buf, size_t len)
{
	uint64_t give_up = now_ms() + TELL_WAIT_MS;

	while (len) {
		ssize_t n = send(current.fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN && now_ms() < give_up) {
			poll(&(struct pollfd){ .fd = current.fd, .events = POLLOUT }, 1, 10);
			continue;
		}
		if (n < 0)
			return -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
interface_line(char *buf, size_t len, const char *ifname)
{
	return snprintf(buf, len, "i%s\n", ifname);
}

int
cv_reaper_tell_interfaces(const struct cv_owned *o)
{
	if (current.fd < 0)
		return 0; /* the next reaper is told at its start */
	for (size_t i = 0; i < o->n; i++) {
		char line[CV_IFNAME_MAX + 3];
		int len = interface_line(line, sizeof(line), o->ifnames[i]);
		int r = send_all(line, (size_t)len);

		if (r < 0)
			return r;
	}
	return 0;
}

pid_t
cv_reaper_detach(void)
{
	pid_t pid = current.pid;

	if (current.fd >= 0)
		close(current.fd);
	current.fd = -1;
	current.pid = 0;
	return pid;
}

void
cv_reaper_quit(void)
{
	pid_t pid;

	if (current.fd < 0)
		return;
	if (send(current.fd, "q", 1, MSG_NOSIGNAL) < 0)
		qb_log(LOG_DEBUG, "reaper socket: %s", strerror(errno));
	pid = cv_reaper_detach();
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}
