/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Probing the link before an add (l2-probe.h); moved from the test driver's l2-loop.c. */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "garp.h"
#include "l2-probe.h"
#include "ndisc.h"

static bool
has_family(const struct cv_l2_target *t, int family)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->addrs[i].family == family)
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
		cv_garp_close_detached(p->arp_in >= 0 ? p->arp_in : p->ns_out);
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
