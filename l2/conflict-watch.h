/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Passive address-conflict detection for corovipd: listeners on every
 * interface for ARP (AF_PACKET) and neighbour advertisements (raw ICMPv6).
 * Each frame in which another host claims an address (an ARP sender IP; an
 * NA's target with its MAC option) goes to the owner's callback, which
 * decides whether it is a VIP we hold and says so loudly. Nothing is sent:
 * probing before every takeover would add its window to each failover, and
 * a holder that answers is already broken (two holders); this tells the
 * operator which MAC to look for. Nothing here logs.
 */
#pragma once

#include "addr.h"

struct cv_conflict_claim {
	int ifindex;	    /* where the frame came in */
	struct cv_addr addr; /* the address claimed */
	struct cv_mac mac;  /* by whom */
	const char *via;    /* "ARP request", "ARP reply", "NA" */
};

typedef void (*cv_conflict_fn)(void *userdata, const struct cv_conflict_claim *c);

struct cv_conflict_watch;

/* Open both listeners; borrows userdata. Returns 0 or -errno. */
int cv_conflict_watch_new(cv_conflict_fn fn, void *userdata, struct cv_conflict_watch **ret);
/* Accepts NULL; returns NULL. */
struct cv_conflict_watch *cv_conflict_watch_free(struct cv_conflict_watch *w);

/* The two fds for the event loop (POLLIN); borrowed. */
int cv_conflict_watch_arp_fd(const struct cv_conflict_watch *w);
int cv_conflict_watch_na_fd(const struct cv_conflict_watch *w);

/*
 * Read what is queued on fd (one of the two; at most a budget of frames per
 * call) and call fn per claim. Returns 0 or -errno of the socket.
 */
int cv_conflict_watch_dispatch(struct cv_conflict_watch *w, int fd);
