/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <linux/if_addr.h>

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

/* ---- probing: is anyone on the link using one of the addresses? ---- */

static bool
listed_addr(const struct cv_addr *a, const struct cv_nl_addr *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (cv_addr_same_host(a, &v[i].addr))
			return true;
	return false;
}

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct probe {
	const struct cv_l2_target *t;
	int arp_out, arp_in, ns_out, na_in;
	struct cv_l2_conflict *conflict;
};

static int
probe_round(const struct probe *p)
{
	for (size_t i = 0; i < p->t->n; i++) {
		const struct cv_addr *a = &p->t->addrs[i];
		int r = a->family == AF_INET6
				? cv_ndisc_send_dad_ns(p->ns_out, p->t->ifindex, a)
				: cv_garp_send_probe(p->arp_out, p->t->ifindex, a, &p->t->mac);

		if (r < 0)
			return r;
	}
	return 0;
}

static bool
found(const struct probe *p, size_t i, const struct cv_mac *mac)
{
	*p->conflict = (struct cv_l2_conflict){ .index = i, .mac = *mac };
	return true;
}

/* Drain the listeners; true when a frame says another host uses one of ours. */
static bool
probe_answered(const struct probe *p)
{
	struct cv_arp_info arp;
	struct cv_na_info na;

	while (p->arp_in >= 0 && cv_garp_recv(p->arp_in, &arp, NULL) != -EAGAIN)
		for (size_t i = 0; i < p->t->n; i++)
			if (cv_arp_packet_claims(&arp, &p->t->addrs[i], &p->t->mac, true))
				return found(p, i, &arp.sha);
	while (p->na_in >= 0 && cv_ndisc_recv_na(p->na_in, &na, NULL) != -EAGAIN)
		for (size_t i = 0; i < p->t->n; i++)
			if (na.has_mac && memcmp(na.mac.bytes, p->t->mac.bytes, CV_MAC_LEN) != 0 &&
			    cv_addr_same_host(&na.target, &p->t->addrs[i]))
				return found(p, i, &na.mac);
	return false;
}

static int
probe_open(struct probe *p)
{
	/* The listeners first: an answer cannot come before they are there. */
	if (has_family(p->t, AF_INET)) {
		if ((p->arp_in = cv_garp_open_listen(p->t->ifindex)) < 0)
			return p->arp_in;
		if ((p->arp_out = cv_garp_open(p->t->ifindex)) < 0)
			return p->arp_out;
	}
	if (has_family(p->t, AF_INET6)) {
		if ((p->na_in = cv_ndisc_open_listen(p->t->ifindex)) < 0)
			return p->na_in;
		if ((p->ns_out = cv_ndisc_open_dad(p->t->ifindex)) < 0)
			return p->ns_out;
	}
	return 0;
}

static void
probe_close(struct probe *p, bool detach)
{
	/* One child inherits every socket: all AF_PACKET closes are its. */
	if (detach)
		close_detached(p->arp_in >= 0 ? p->arp_in : p->ns_out);
	for (int *fd = &p->arp_in; fd <= &p->na_in; fd++)
		if (*fd >= 0)
			close(*fd);
}

/*
 * Two rounds, at the start and half way, so one lost frame does not hide
 * a holder (RFC 5227 sends three, seconds apart; a takeover cannot wait
 * that long, and the window is the caller's choice).
 */
int
cv_l2_probe_run(const struct cv_l2_target *t, uint32_t window_ms, bool detach_close,
		struct cv_l2_conflict *ret)
{
	struct probe p = { .t = t, .arp_out = -1, .arp_in = -1, .ns_out = -1, .na_in = -1,
			   .conflict = ret };
	uint64_t start = mono_ms(), end = start + window_ms, second = start + window_ms / 2;
	bool second_sent = false;
	int r = probe_open(&p);

	if (r == 0)
		r = probe_round(&p);
	while (r == 0) {
		struct pollfd fds[2] = { { .fd = p.arp_in, .events = POLLIN },
					 { .fd = p.na_in, .events = POLLIN } };
		uint64_t now = mono_ms(), wake = second_sent ? end : second;

		if (probe_answered(&p)) {
			r = 1;
			break;
		}
		if (now >= end)
			break;
		if (!second_sent && now >= second) {
			second_sent = true;
			r = probe_round(&p);
			continue;
		}
		if (poll(fds, 2, (int)(wake > now ? wake - now : 0)) < 0 && errno != EINTR)
			r = -errno;
	}
	probe_close(&p, detach_close);
	return r;
}

/* ---- waiting for IPv6 duplicate address detection ---- */

static void
dad_judge(struct cv_l2_dad *d, const struct cv_nl_addr *a, bool gone)
{
	for (size_t i = 0; i < d->n; i++) {
		if (d->result[i] != 1 || a->ifindex != d->ifindex ||
		    !cv_addr_same_host(&a->addr, &d->addrs[i]))
			continue;
		/* A failed address with a lease is deleted; a permanent one is marked. */
		if (gone || (a->flags & IFA_F_DADFAILED))
			d->result[i] = -EADDRINUSE;
		else if (!(a->flags & IFA_F_TENTATIVE))
			d->result[i] = 0;
		else
			continue;
		d->waiting--;
	}
}

int
cv_l2_dad_event(void *userdata, const struct cv_nl_monitor_event *ev)
{
	struct cv_l2_dad *d = userdata;

	if (ev->type == CV_NLMON_RESYNC)
		d->resync = true;
	else if (ev->type == CV_NLMON_ADDR_NEW || ev->type == CV_NLMON_ADDR_DEL)
		dad_judge(d, &ev->addr, ev->type == CV_NLMON_ADDR_DEL);
	return 0;
}

/* What the kernel says now, for what is still waiting; missing = failed. */
static int
dad_dump(struct cv_l2_dad *d, struct cv_nl *nl)
{
	struct cv_nl_addr *v = NULL;
	size_t n = 0;
	int r = cv_nl_addr_dump(nl, AF_INET6, d->ifindex, &v, &n);

	if (r < 0)
		return r;
	for (size_t k = 0; k < n; k++)
		dad_judge(d, &v[k], false);
	for (size_t i = 0; i < d->n; i++)
		if (d->result[i] == 1 && !listed_addr(&d->addrs[i], v, n)) {
			d->result[i] = -EADDRINUSE;
			d->waiting--;
		}
	free(v);
	d->resync = false;
	return 0;
}

int
cv_l2_dad_wait(struct cv_l2_dad *d, struct cv_nl *nl, struct cv_nl_monitor *m,
	       uint32_t deadline_ms)
{
	uint64_t end = mono_ms() + deadline_ms;
	int r = dad_dump(d, nl);

	while (r == 0 && d->waiting > 0) {
		struct pollfd p = { .fd = cv_nl_monitor_fd(m), .events = POLLIN };
		uint64_t now = mono_ms();

		if (now >= end)
			return -ETIMEDOUT;
		if (poll(&p, 1, (int)(end - now)) < 0 && errno != EINTR)
			return -errno;
		r = cv_nl_monitor_dispatch(m);
		if (r == 0 && d->resync)
			r = dad_dump(d, nl);
	}
	for (size_t i = 0; r == 0 && i < d->n; i++)
		if (d->result[i] < 0)
			r = d->result[i];
	return r;
}
