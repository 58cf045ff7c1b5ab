/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unsolicited neighbour advertisement sender: an IPPROTO_ICMPV6 raw socket
 * (hop limit 255 as RFC 4861 requires, no loopback of our own frames, every
 * incoming ICMPv6 type blocked), sending from the VIP to ff02::1 on one
 * interface. The bytes come from core/arp-packet.c; the kernel recomputes
 * the checksum, as it always does on ICMPv6 raw sockets. One frame per call.
 */
#pragma once

#include <stdbool.h>

#include "addr.h"

/* A socket for ifindex: close-on-exec, non-blocking. Returns the fd or -errno. */
int cv_ndisc_open(int ifindex);

/* The NA's Router flag: is IPv6 forwarding on for ifname? false if unknown. */
bool cv_ndisc_is_router(const char *ifname);

/*
 * Send one unsolicited NA (Override set, Router as given) for vip from mac.
 * The VIP must be usable as a source: -EADDRNOTAVAIL/-EINVAL while it is
 * tentative (added without nodad, DAD still running).
 */
int cv_ndisc_send_na(int fd, int ifindex, const struct cv_addr *vip, const struct cv_mac *mac,
		     bool router);
