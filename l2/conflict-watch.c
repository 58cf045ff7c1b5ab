/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "conflict-watch.h"
#include "garp.h"
#include "ndisc.h"

#define BUDGET 64 /* frames per dispatch: an ARP storm must not starve the loop */

struct cv_conflict_watch {
	int arp_fd, na_fd;
	cv_conflict_fn fn;
	void *userdata;
};

int
cv_conflict_watch_new(cv_conflict_fn fn, void *userdata, struct cv_conflict_watch **ret)
{
	struct cv_conflict_watch *w = calloc(1, sizeof(*w));
	int r;

	if (!w)
		return -ENOMEM;
	*w = (struct cv_conflict_watch){ .fn = fn, .userdata = userdata, .na_fd = -1 };
	w->arp_fd = cv_garp_open_listen(0);
	r = w->arp_fd < 0 ? w->arp_fd : 0;
	if (r == 0) {
		w->na_fd = cv_ndisc_open_listen(0);
		r = w->na_fd < 0 ? w->na_fd : 0;
	}
	if (r < 0) {
		cv_conflict_watch_free(w);
		return r;
	}
	*ret = w;
	return 0;
}

struct cv_conflict_watch *
cv_conflict_watch_free(struct cv_conflict_watch *w)
{
	if (!w)
		return NULL;
	if (w->arp_fd >= 0)
		close(w->arp_fd);
	if (w->na_fd >= 0)
		close(w->na_fd);
	free(w);
	return NULL;
}

int
cv_conflict_watch_arp_fd(const struct cv_conflict_watch *w)
{
	return w->arp_fd;
}

int
cv_conflict_watch_na_fd(const struct cv_conflict_watch *w)
{
	return w->na_fd;
}

/* 0.0.0.0 (a probe) claims nothing. */
static bool
unspecified4(const struct cv_addr *a)
{
	return !(a->bytes[0] | a->bytes[1] | a->bytes[2] | a->bytes[3]);
}

static int
read_arp(struct cv_conflict_watch *w)
{
	struct cv_arp_info a;
	struct cv_conflict_claim c;
	int r = cv_garp_recv(w->arp_fd, &a, &c.ifindex);

	if (r < 0)
		return r;
	if (unspecified4(&a.spa))
		return 0;
	c.addr = a.spa;
	c.mac = a.sha;
	c.via = a.op == CV_ARP_OP_REPLY ? "ARP reply" : "ARP request";
	w->fn(w->userdata, &c);
	return 0;
}

static int
read_na(struct cv_conflict_watch *w)
{
	struct cv_na_info na;
	struct cv_conflict_claim c;
	int r = cv_ndisc_recv_na(w->na_fd, &na, &c.ifindex);

	if (r < 0 || !na.has_mac)
		return r;
	c.addr = na.target;
	c.mac = na.mac;
	c.via = "NA";
	w->fn(w->userdata, &c);
	return 0;
}

int
cv_conflict_watch_dispatch(struct cv_conflict_watch *w, int fd)
{
	for (int i = 0; i < BUDGET; i++) {
		int r = fd == w->arp_fd ? read_arp(w) : read_na(w);

		if (r == -EAGAIN)
			return 0;
		if (r < 0 && r != -ENOMSG && r != -EINTR)
			return r;
	}
	return 0;
}
