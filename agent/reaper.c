/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <qb/qblog.h>
#include <qb/qbloop.h>
#include <qb/qbutil.h>

#include "compat.h"
#include "cpg.h"
#include "config-load.h"
#include "cv-error.h"
#include "cv-macros.h"
#include "log.h"
#include "l2-backend.h"
#include "netlink.h"
#include "privileges.h"
#include "loop-timer.h"
#include "reaper.h"
#include "reaper-wire.h"

struct reaper {
	qb_loop_t *loop;
	const struct cv_config *cfg;
	struct cv_cpg *cpg;
	pid_t daemon;
	int pidfd; /* the daemon's; -1: its pipe's EOF is all we know of its end */
	int fd;	   /* our end of the heartbeat socket; -1 once done with */
	uint32_t silence_ms;
	uint64_t last_beat; /* 0: none yet, no silence counted before the first */
	uint64_t lease_until; /* the daemon's lease end, as it last said; 0: it holds nothing */
	uint64_t check_due; /* when on_check is armed for */
	bool deferred;	     /* this silence's judgement was put off once already */
	struct cv_loop_timer *check; /* loop-timer.h: it runs all the time */
	qb_loop_timer_handle deadline, stop;
	bool reaping; /* SIGKILL sent: waiting for the daemon's end */
	bool end_unwatched; /* its pidfd could not be polled: the deadline ends the wait */
	bool quit;
	bool cpg_lost; /* not connected: retry at next_connect_ms */
	uint64_t next_connect_ms;
	struct cv_owned owned; /* our tag; the interfaces of every config we were told of */
	struct cv_reaper_reader rd; /* the daemon's bytes (reaper-wire.h) */
};

/* Like the daemon's, but from the check timer the reaper has anyway. */
#define RECONNECT_MS 1000

/*
 * A daemon silent at its lease's end is killed this long after it (rule 5
 * through us; on_check). Its peers take its VIPs LAPSE_MARGIN_MS (75 ms)
 * after its last heartbeat's delivery + L, and its lease ran from that
 * heartbeat's send: the kill, the daemon's end and the sweep (a few ms, one
 * netlink batch) fit in the rest. Not less: a daemon that runs beats at its
 * first loop turn past the lease's end (reaper-link.c), a timer's lateness
 * after it.
 */
#define LEASE_SLACK_MS 10

/*
 * How long a SIGKILLed daemon may take to end before the reaper sweeps
 * anyway: 3 s, or half the kernel lease if shorter (by the lease's end the
 * kernel has removed the addresses itself). Ending takes milliseconds; a
 * daemon still there after seconds is stuck in the kernel (uninterruptible
 * sleep), where it may yet finish the one call it is in, so then the reaper
 * removes what it can, and again at the end, and says RELEASED only then
 * (see on_deadline).
 */
#define END_DEADLINE_MS 3000

static uint32_t
end_deadline_ms(const struct cv_config *cfg)
{
	return CV_MIN((uint32_t)END_DEADLINE_MS, cfg->cluster.kernel_lease_ms / 2);
}

static uint64_t
now_ms(void)
{
	return qb_util_nano_current_get() / QB_TIME_NS_IN_MSEC;
}

#define REMOVE_PASSES 3

/*
 * Our addresses go, whatever the daemon was doing with them: every address
 * with our tag on an interface of any config of the daemon's life (owned.h),
 * so VIPs a reload added after the fork go too; the admin's own and other
 * owners' are never touched (the L2 sweep, as the daemon's reconcile). Pass
 * after pass, until one finds nothing of ours left.
 */
static int
remove_addresses(const struct cv_owned *owned)
{
	struct cv_nl *nl = NULL;
	size_t found = 1;
	int r = cv_nl_new(&nl), last = 0;

	if (r < 0)
		return r;
	for (int pass = 0; found && pass <= REMOVE_PASSES; pass++)
		last = cv_l2_sweep(nl, owned, NULL, NULL, &found);
	cv_nl_free(nl);
	if (!found)
		return 0;
	return last < 0 ? last : -EBUSY;
}

/*
 * RELEASED: the node holds none of our VIPs now. Peers take a reaper's
 * RELEASED as covering every VIP (engine-msg.c on_released), so it names
 * none: the reaper has no VIP table (its config comes without, reaper-link.c
 * config_memfd), and VIPs a reload added after the fork are free as well.
 */
static void
say_released(struct reaper *r)
{
	struct cv_proto_msg m = { .type = CV_PROTO_TYPE_RELEASED };

	if (!r->cpg)
		return;
	m.released.for_nodeid = cv_cpg_nodeid(r->cpg);
	cv_cpg_send(r->cpg, &m);
}

static void
stop_loop(void *loop)
{
	qb_loop_stop(loop);
}

/*
 * The daemon's pidfd, opened first thing in the reaper. The daemon is our
 * parent, not our child, so waitpid() cannot wait for it (ECHILD), and once
 * its own parent has reaped it its pid may name another process; a pidfd
 * names the daemon for good, can kill it and says when it has ended.
 */
static int
open_daemon(pid_t daemon)
{
	int fd = pidfd_open(daemon, 0);

	if (fd < 0)
		return -errno;
	/* Still our parent after the open, so the pid was not reused: the
	 * pidfd is the daemon's (had it died, we would have a new parent). */
	if (getppid() != daemon) {
		close(fd);
		return -ESRCH;
	}
	return fd;
}

static int
kill_daemon(const struct reaper *r)
{
	if (r->pidfd >= 0)
		return pidfd_send_signal(r->pidfd, SIGKILL, NULL, 0) < 0 ? -errno : 0;
	/* Without a pidfd the pid is the daemon's only while we are its child. */
	if (getppid() != r->daemon)
		return -ESRCH;
	return kill(r->daemon, SIGKILL) < 0 ? -errno : 0;
}

static bool parse(struct reaper *r, const char *buf, size_t n, bool *beat);
static void arm_check(struct reaper *r, uint64_t now);

/*
 * When a daemon silent since would be past its lease (with our slack), or
 * UINT64_MAX: it told us its lease's end, and one that ran past that end
 * beat then, and let go (rule 5) or told a new one.
 */
static uint64_t
lease_check_at(const struct reaper *r)
{
	if (!r->lease_until || r->last_beat >= r->lease_until || r->reaping)
		return UINT64_MAX;
	return r->lease_until + LEASE_SLACK_MS;
}

/* What the ended daemon sent last, for its interface names only. */
static void
read_rest(struct reaper *r)
{
	char buf[64];
	ssize_t n;
	bool beat = false; /* too late to count */

	while (r->fd >= 0 && (n = read(r->fd, buf, sizeof(buf))) > 0)
		parse(r, buf, (size_t)n, &beat);
}

static void
sweep(struct reaper *r, bool release)
{
	int k;

	r->quit = true;
	qb_loop_timer_del(r->loop, r->deadline);
	if (r->pidfd >= 0)
		qb_loop_poll_del(r->loop, r->pidfd);
	read_rest(r); /* interfaces the daemon told of just before its end count too */
	k = remove_addresses(&r->owned);
	/* A removal that failed is never reported as released: peers then
	 * wait for the kernel lease (rule 4), not beside our address. */
	if (k < 0)
		qb_log(LOG_ERR, "reaper: could not remove our addresses (%s): not saying RELEASED",
		       cv_strerror(k));
	else if (release)
		say_released(r);
	/* A moment for the loop to flush the multicast (a refused send retries). */
	qb_loop_timer_add(r->loop, QB_LOOP_HIGH, 500 * QB_TIME_NS_IN_MSEC, r->loop, stop_loop,
			  &r->stop);
}

/*
 * Only now may the addresses go and RELEASED be said: a daemon killed inside
 * a netlink batch finishes that batch before it dies, and would add its
 * addresses back after our sweep and after peers took the VIPs over.
 */
static void
daemon_ended(struct reaper *r)
{
	if (r->quit)
		return;
	qb_log(LOG_NOTICE,
	       "reaper: corovipd (pid %d) has ended: removing its addresses, releasing its VIPs",
	       (int)r->daemon);
	sweep(r, true);
}

static int32_t
on_daemon_end(int32_t fd, int32_t revents, void *data)
{
	daemon_ended(data);
	return 0; /* sweep() has taken the pidfd out of the loop */
}

/*
 * The SIGKILLed daemon has not ended: it is stuck in the kernel. It will not
 * run its own code again, so it can start no new batch, but the call it is in
 * may still add an address. Remove what is there now: without it the
 * addresses would stay for the whole kernel lease. Do not say RELEASED yet:
 * peers wait for the kernel-lease path (rule 4) instead of taking the VIPs
 * at once beside whatever that call adds. Keep waiting for the end, and
 * sweep again then: a call that ends more than L + 1 s after the daemon's
 * last heartbeat adds an address the peers' silent-owner deadline does not
 * cover (adv8-kill-slow-add); only the end sweep removes it in time.
 */
static void
on_deadline(void *data)
{
	struct reaper *r = data;
	int k;

	if (r->quit)
		return;
	if (r->end_unwatched) {
		qb_log(LOG_ERR, "reaper: removing corovipd's addresses without knowing its end: "
		       "not releasing its VIPs (peers take over by the kernel lease)");
		sweep(r, false);
		return;
	}
	qb_log(LOG_ERR,
	       "reaper: corovipd (pid %d) has not ended %u ms after SIGKILL (stuck in the "
	       "kernel?): removing its addresses now and again at its end, releasing its VIPs "
	       "only then",
	       (int)r->daemon, end_deadline_ms(r->cfg));
	k = remove_addresses(&r->owned);
	if (k < 0)
		qb_log(LOG_ERR, "reaper: could not remove our addresses (%s)", cv_strerror(k));
}

/*
 * Kill the daemon and wait for its end: the pidfd's POLLIN, or without a
 * pidfd the pipe's EOF (the pipe closes with its last thread), with a
 * deadline. The reaper's loop has nothing else to do meanwhile but keep the
 * CPG connection that RELEASED needs.
 */
static void
reap(struct reaper *r, const char *why)
{
	int e;

	/* Once only: the first of EOF and silence decides. */
	if (r->reaping || r->quit)
		return;
	r->reaping = true;
	qb_log(LOG_CRIT,
	       "reaper: corovipd (pid %d) %s: killing it, removing its addresses once it has ended",
	       (int)r->daemon, why);
	e = kill_daemon(r);
	if (e < 0 && e != -ESRCH) /* ESRCH: it has ended already */
		qb_log(LOG_ERR, "reaper: corovipd (pid %d): SIGKILL failed: %s", (int)r->daemon,
		       cv_strerror(e));
	if (r->pidfd >= 0) {
		e = qb_loop_poll_add(r->loop, QB_LOOP_HIGH, r->pidfd, POLLIN, r, on_daemon_end);
		r->end_unwatched = e < 0;
		if (e < 0)
			qb_log(LOG_ERR, "reaper: cannot watch corovipd's end: %s, waiting %u ms",
			       cv_strerror(e), end_deadline_ms(r->cfg));
	}
	qb_loop_timer_add(r->loop, QB_LOOP_HIGH,
			  (uint64_t)end_deadline_ms(r->cfg) * QB_TIME_NS_IN_MSEC, r, on_deadline,
			  &r->deadline);
}

/*
 * The socket is done with (quit or EOF): take it out of the loop ourselves.
 * Returning -1 would only mark the entry deleted, and the still readable
 * EOF would come back from the next poll as "can't find poll entry".
 */
static void
socket_done(struct reaper *r)
{
	qb_loop_poll_del(r->loop, r->fd);
	close(r->fd);
	r->fd = -1;
}

/*
 * The daemon's bytes (reaper-wire.h): 'b' beats, 'q' "stopping cleanly, do
 * nothing" (true), "i<name>\n" an interface, "l<ms>\n" its lease's end (a
 * beat too). *beat: whether they held a beat. Interface lines are none: the
 * daemon writes its first ones before it starts its loop, and counting
 * silence from those would count its start-up's work (connecting to
 * corosync, which may take a while on a loaded machine) against it.
 */
static bool
parse(struct reaper *r, const char *buf, size_t n, bool *beat)
{
	for (size_t k = 0; k < n; k++) {
		switch (cv_reaper_read_byte(&r->rd, buf[k])) {
		case CV_REAPER_MSG_QUIT:
			return true;
		case CV_REAPER_MSG_NAME:
			if (cv_owned_add_interface(&r->owned, r->rd.name) >= 0)
				break;
			/* fall through */
		case CV_REAPER_MSG_BAD_NAME:
			qb_log(LOG_ERR, "reaper: an interface name from corovipd is unusable: its "
			       "addresses of ours are left to the kernel lease");
			break;
		case CV_REAPER_MSG_LEASE:
			r->lease_until = r->rd.lease;
			*beat = true;
			break;
		case CV_REAPER_MSG_BEAT:
			*beat = true;
			break;
		case CV_REAPER_MSG_NONE:
			break;
		}
	}
	return false;
}

/*
 * Read every byte the daemon has sent (parse). Called when the socket is
 * readable and before each judgement, so that a reaper that was not
 * scheduled itself for a while looks at the beats that came meanwhile
 * before it counts silence; and before a sweep.
 */
static void
drain(struct reaper *r)
{
	while (r->fd >= 0 && !r->quit) {
		char buf[64];
		ssize_t n = read(r->fd, buf, sizeof(buf));
		bool beat = false;

		if (n > 0 && parse(r, buf, (size_t)n, &beat)) {
			r->quit = true;
			socket_done(r);
			qb_loop_stop(r->loop);
		} else if (n > 0 && beat) {
			r->last_beat = now_ms();
			r->deferred = false;
			/* A lease told since the check was armed (a holder
			 * again) may end before it: the check comes then. */
			if (lease_check_at(r) < r->check_due)
				arm_check(r, r->last_beat);
		} else if (n > 0 || (n < 0 && errno == EINTR)) {
			continue;
		} else if (n < 0 && errno == EAGAIN) {
			return;
		} else {
			socket_done(r);
			reap(r, "died");
			/* Without a pidfd the EOF is the end: all of the daemon's
			 * threads are out of their system calls once the last one
			 * has closed its files. */
			if (r->pidfd < 0)
				daemon_ended(r);
		}
	}
}

static int32_t
on_socket(int32_t fd, int32_t revents, void *data)
{
	drain(data);
	return 0;
}

/* Without a CPG connection the reaper could remove addresses but not say so. */
static void
connect_group(struct reaper *r)
{
	int e;

	if (!r->cpg || !r->cpg_lost || now_ms() < r->next_connect_ms)
		return;
	e = cv_cpg_connect(r->cpg);
	r->cpg_lost = e < 0;
	if (r->cpg_lost)
		r->next_connect_ms = now_ms() + RECONNECT_MS;
	else
		qb_log(LOG_NOTICE, "reaper: joined group '%s'", r->cfg->cluster.group);
}

/* One line of /proc/PID/NAME (its first line, newline cut) into buf; "?" when unreadable. */
static void
proc_line(pid_t pid, const char *name, char *buf, size_t len)
{
	char path[64];
	ssize_t n = -1;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, buf, len - 1);
		close(fd);
	}
	if (n <= 0)
		n = snprintf(buf, len, "?");
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
}

/*
 * Where the silent daemon is, for the log: its scheduler state (R running,
 * S sleeping, D in the kernel uninterruptibly, T stopped), the kernel
 * function it waits in and its system call.
 */
static void
describe_daemon(pid_t pid, char *buf, size_t len)
{
	char stat[256], wchan[64], sys[64];
	const char *state;

	proc_line(pid, "stat", stat, sizeof(stat));
	state = strrchr(stat, ')');
	proc_line(pid, "wchan", wchan, sizeof(wchan));
	proc_line(pid, "syscall", sys, sizeof(sys));
	sys[strcspn(sys, " ")] = '\0';
	snprintf(buf, len, "state %c, in %s, system call %s",
		 state && state[1] == ' ' ? state[2] : '?',
		 wchan[0] && strcmp(wchan, "0") ? wchan : "-", sys);
}


/*
 * The next check: when the last beat would be too old, so that a daemon
 * beating (every quarter of the silence) costs us one wakeup per beat and
 * not also one per check; a period from now at the latest while there is
 * no beat yet, after a deferral, or while reaping; at the next try to join
 * the group while we are out of it; and at its lease's end + the slack
 * while it has not beaten since (lease_check_at).
 */
static void
arm_check(struct reaper *r, uint64_t now)
{
	uint64_t due = now + r->silence_ms / 4;

	if (r->last_beat && !r->reaping)
		due = CV_MAX(due, r->last_beat + r->silence_ms + 1);
	due = CV_MIN(due, CV_MAX(lease_check_at(r), now + 1));
	if (r->cpg_lost)
		due = CV_MIN(due, CV_MAX(r->next_connect_ms, now + 1));
	r->check_due = due;
	(void)cv_loop_timer_at(r->check, due);
}

/*
 * Silence counts from the loop's first beat. A check that comes more than a
 * period late means that we were not running ourselves (a machine starved
 * or paused for everyone): the daemon may not have had its turn either, so
 * that check only looks and the next one judges, a period later (a kill
 * comes at most a period and our own delay later: reaper_timeout stays
 * short of the lease, which the kill must beat).
 *
 * A daemon silent past its lease's end is killed at once, late or not. Its
 * peers take its VIPs at their own deadline (its last heartbeat + L + 75
 * ms), which our lateness does not move: whether it froze or only starved
 * with us, it holds past its lease beside them until the sweep. Killing a
 * daemon that merely starved costs little: its lease is over, so its next
 * step would let go of everything anyway. And the beats that came while we
 * did not run are read first (drain), so a daemon that ran is not judged.
 */
static void
on_check(void *data)
{
	struct reaper *r = data;
	uint64_t period = r->silence_ms / 4, now;
	bool late;

	drain(r);
	if (r->quit)
		return;
	now = now_ms();
	late = now > r->check_due + period;
	if (now >= lease_check_at(r)) {
		char where[160], why[256];

		describe_daemon(r->daemon, where, sizeof(where));
		snprintf(why, sizeof(why),
			 "was silent at its lease's end (no beat for %" PRIu64 " ms, its lease "
			 "ended %" PRIu64 " ms ago; %s)",
			 now - r->last_beat, now - r->lease_until, where);
		reap(r, why);
	} else if (r->last_beat && !r->reaping && now - r->last_beat > r->silence_ms) {
		char where[160], why[256];

		describe_daemon(r->daemon, where, sizeof(where));
		snprintf(why, sizeof(why), "froze (no beat for %" PRIu64 " ms; %s)",
			 now - r->last_beat, where);
		if (late && !r->deferred) {
			r->deferred = true;
			qb_log(LOG_INFO, "reaper: corovipd (pid %d) %s, but we ran late ourselves: "
			       "judging at the next check", (int)r->daemon, why);
		} else {
			reap(r, why);
		}
	}
	connect_group(r); /* also while reaping: RELEASED needs the group */
	arm_check(r, now);
}

static void
on_group_event(void *userdata, const struct cv_event *ev)
{
	struct reaper *r = userdata;

	/* The reaper only speaks; what the group says is the daemon's business,
	 * except a lost connection, which the check timer re-makes. */
	if (ev->type == CV_EV_CONN_LOST) {
		r->cpg_lost = true;
		r->next_connect_ms = now_ms() + RECONNECT_MS;
	}
}

static void
reaper_run(const struct cv_config *cfg, pid_t daemon)
{
	/* The pidfd first, while the daemon is surely alive and our parent. */
	int pidfd = open_daemon(daemon);
	struct reaper r = { .cfg = cfg,
			    .owned = { .tag = cv_config_address_tag(cfg) },
			    .daemon = daemon,
			    .pidfd = pidfd,
			    .fd = CV_REAPER_SOCK_FD,
			    .silence_ms = cv_config_reaper_timeout_ms(cfg) };

	if (pidfd < 0)
		qb_log(LOG_WARNING,
		       "reaper: no pidfd for corovipd (pid %d): %s, its socket's EOF tells its end",
		       (int)daemon, cv_strerror(pidfd));
	fcntl(r.fd, F_SETFL, O_NONBLOCK);
	/* (cfg has no VIPs: their interfaces come on the socket, parse()) */
	r.loop = qb_loop_create();
	if (!r.loop)
		_exit(1);
	if (cv_cpg_new(r.loop, cfg->cluster.group, on_group_event, &r, &r.cpg) < 0)
		qb_log(LOG_WARNING, "reaper: no CPG handle: RELEASED cannot be sent");
	else {
		cv_cpg_send_only(r.cpg);
		if (cv_cpg_connect(r.cpg) < 0)
			r.cpg_lost = true; /* corosync is not there yet: the check timer retries */
	}
	qb_loop_poll_add(r.loop, QB_LOOP_HIGH, r.fd, POLLIN, &r, on_socket);
	if (cv_loop_timer_new(r.loop, on_check, &r, &r.check) < 0)
		_exit(1);
	arm_check(&r, now_ms());
	qb_loop_run(r.loop);
	r.check = cv_loop_timer_free(r.check);
	cv_cpg_free(r.cpg);
	qb_loop_destroy(r.loop);
	if (r.pidfd >= 0)
		close(r.pidfd);
	if (r.fd >= 0)
		close(r.fd);
	cv_owned_clear(&r.owned);
}

int
cv_reaper_main(int argc, char **argv)
{
	struct cv_config *cfg = NULL;
	bool foreground = false, debug = false;
	char *end = NULL;
	long daemon;
	int r;

	if (argc < 3 || strcmp(argv[1], CV_REAPER_ARG) != 0)
		return 64;
	errno = 0;
	daemon = strtol(argv[2], &end, 10);
	if (errno || *end || daemon <= 1)
		return 64;
	for (int i = 3; i < argc; i++) {
		foreground |= strcmp(argv[i], "-f") == 0;
		debug |= strcmp(argv[i], "-d") == 0;
	}
	prctl(PR_SET_NAME, "corovipd-reaper");
	cv_log_init("corovipd", foreground, debug);
	cv_log_forked("reaper");
	r = cv_config_load_fd(CV_REAPER_CONF_FD, &cfg, &(struct cv_conf_error){ 0 });
	close(CV_REAPER_CONF_FD);
	if (r < 0) {
		/* Our socket closes as we exit: the daemon starts another. */
		qb_log(LOG_CRIT, "reaper: cannot read the daemon's config: %s", cv_strerror(r));
		cv_log_fini();
		return 71;
	}
	r = cv_privileges_drop(CV_ROLE_REAPER);
	if (r < 0)
		qb_log(LOG_WARNING, "reaper: could not drop capabilities (%s): running with all of "
		       "the daemon's", cv_strerror(r));
	reaper_run(cfg, (pid_t)daemon);
	cv_config_free(cfg);
	cv_log_fini();
	return 0;
}
