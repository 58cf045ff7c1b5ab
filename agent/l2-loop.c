/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "fd-util.h"
#include "garp.h"
#include "l2-loop.h"
#include "ndisc.h"

/* A periodic CLOCK_MONOTONIC timer; the first expiry after one period. */
static int
timer_open(uint64_t period_ms)
{
	struct itimerspec its = {
		.it_value = { .tv_sec = (time_t)(period_ms / 1000),
			      .tv_nsec = (long)(period_ms % 1000) * 1000000 },
	};
	_cleanup_close_ int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);

	if (fd < 0)
		return -errno;
	its.it_interval = its.it_value;
	if (timerfd_settime(fd, 0, &its, NULL) < 0)
		return -errno;
	return TAKE_FD(fd);
}

/* Wait for the timer; returns how many periods passed (>= 1) or -errno. */
static int
timer_wait(int tfd)
{
	struct pollfd p = { .fd = tfd, .events = POLLIN };

	for (;;) {
		uint64_t n;

		if (read(tfd, &n, sizeof(n)) == (ssize_t)sizeof(n))
			return n > INT32_MAX ? INT32_MAX : (int)n;
		if (errno != EAGAIN && errno != EINTR)
			return -errno;
		if (poll(&p, 1, -1) < 0 && errno != EINTR)
			return -errno;
	}
}

struct senders {
	int garp_fd;
	int ndisc_fd;
};

static int
send_one(const struct cv_l2_target *t, const struct cv_l2_announce *a, const struct senders *s,
	 const struct cv_addr *vip)
{
	int r;

	if (vip->family == AF_INET6)
		return cv_ndisc_send_na(s->ndisc_fd, t->ifindex, vip, &t->mac, a->router);
	if (a->garp != CV_GARP_REPLY) {
		r = cv_garp_send(s->garp_fd, t->ifindex, CV_GARP_REQUEST, vip, &t->mac);
		if (r < 0 || a->garp == CV_GARP_REQUEST)
			return r;
	}
	return cv_garp_send(s->garp_fd, t->ifindex, CV_GARP_REPLY, vip, &t->mac);
}

static int
send_round(const struct cv_l2_target *t, const struct cv_l2_announce *a, const struct senders *s)
{
	for (size_t i = 0; i < t->n; i++) {
		int r = send_one(t, a, s, &t->addrs[i]);

		if (r < 0)
			return r;
	}
	return 0;
}

static bool
has_family(const struct cv_l2_target *t, int family)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->addrs[i].family == family)
			return true;
	return false;
}

/*
 * Closing an AF_PACKET socket waits for an RCU grace period (packet_release()
 * calls synchronize_net(): 10-20 ms here), which would dominate a one-shot
 * CLI's run time. A child that lives until we exit (it reads a pipe we hold)
 * inherits the socket and drops the last reference; our own close is then
 * immediate. A long-lived daemon keeps its socket and never pays this.
 */
static void
close_detached(int fd)
{
	int p[2];
	pid_t pid;

	if (fd < 0 || pipe2(p, O_CLOEXEC) < 0)
		return;
	pid = fork();
	if (pid == 0) {
		char c;

		close(p[1]);
		(void)!read(p[0], &c, 1); /* EOF: the parent is gone */
		_exit(0);
	}
	close(p[0]);
	if (pid < 0)
		close(p[1]);
	/* Otherwise p[1] stays open until our exit, which releases the child. */
}

int
cv_l2_announce_run(const struct cv_l2_target *t, const struct cv_l2_announce *a)
{
	_cleanup_close_ int garp_fd = -1, ndisc_fd = -1, tfd = -1;
	struct senders s;
	int r;

	if (a->count == 0)
		return 0;
	if (has_family(t, AF_INET) && (garp_fd = cv_garp_open(t->ifindex)) < 0)
		return garp_fd;
	if (has_family(t, AF_INET6) && (ndisc_fd = cv_ndisc_open(t->ifindex)) < 0)
		return ndisc_fd;
	s = (struct senders){ .garp_fd = garp_fd, .ndisc_fd = ndisc_fd };
	r = send_round(t, a, &s);
	if (r == 0 && a->count > 1) {
		tfd = timer_open(a->interval_ms);
		r = tfd < 0 ? tfd : 0;
	}
	/* Rounds that a late wakeup skipped are not sent in a bunch. */
	for (uint32_t sent = 1; r == 0 && sent < a->count; sent++) {
		r = timer_wait(tfd);
		if (r < 0)
			break;
		r = send_round(t, a, &s);
		if (r < 0)
			break;
	}
	if (a->detach_close)
		close_detached(garp_fd);
	return r;
}

int
cv_l2_signals_open(void)
{
	sigset_t mask;
	int fd;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return -errno;
	fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	return fd < 0 ? -errno : fd;
}

int
cv_l2_hold_run(struct cv_nl *nl, const struct cv_nl_addr_req *reqs, size_t n,
	       struct cv_nl_error *reterr)
{
	uint32_t lease_s = n > 0 ? reqs[0].lease_s : 0;
	_cleanup_close_ int sfd = cv_l2_signals_open(), tfd = -1;
	struct pollfd p[2];
	int r;

	if (sfd < 0)
		return sfd;
	r = cv_nl_addr_batch(nl, CV_NL_ADD, reqs, n, NULL, reterr);
	if (r < 0)
		return r;
	/* Renew at a third of the lease (design rule 6); forever needs no renewal. */
	tfd = timer_open(lease_s ? (uint64_t)lease_s * 1000 / 3 : UINT32_MAX);
	if (tfd < 0)
		return tfd;
	p[0] = (struct pollfd){ .fd = sfd, .events = POLLIN };
	p[1] = (struct pollfd){ .fd = tfd, .events = POLLIN };
	for (;;) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (p[0].revents)
			break;
		if (p[1].revents && timer_wait(tfd) > 0) {
			r = cv_nl_addr_batch(nl, CV_NL_RENEW, reqs, n, NULL, reterr);
			if (r < 0)
				return r;
		}
	}
	return cv_nl_addr_batch(nl, CV_NL_DEL, reqs, n, NULL, reterr);
}
