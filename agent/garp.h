/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Gratuitous ARP sender: an AF_PACKET/SOCK_DGRAM socket bound to one
 * interface (the kernel writes the Ethernet header), with a drop-all filter
 * so that the send-only socket never queues received frames. The bytes come
 * from core/arp-packet.c. One frame per call: pacing is the caller's.
 */
#pragma once

#include "addr.h"
#include "config.h"

/* A socket for ifindex: close-on-exec, non-blocking. Returns the fd or -errno. */
int cv_garp_open(int ifindex);

/*
 * Send one gratuitous ARP for vip (IPv4) from mac in form CV_GARP_REQUEST or
 * CV_GARP_REPLY. Returns 0 or -errno (-ENETDOWN on a down link, -EAGAIN when
 * the device queue is full: retry on the next tick).
 */
int cv_garp_send(int fd, int ifindex, enum cv_garp form, const struct cv_addr *vip,
		 const struct cv_mac *mac);
