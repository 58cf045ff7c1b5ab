/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unsolicited neighbour advertisement sender: an IPPROTO_ICMPV6 raw socket
 * (hop limit 255 as RFC 4861 requires, no loopback of our own frames, every
 * incoming ICMPv6 type blocked), sending from the VIP to ff02::1 on one
 * interface. The bytes come from core/arp-packet.c; the kernel recomputes
 * the checksum, as it always does on ICMPv6 raw sockets. One frame per call.
 *
 * Also duplicate address detection from user space: a DAD neighbour
 * solicitation (source ::, which only an AF_PACKET socket can send) and a
 * listener for the advertisements that answer it or claim an address.
 */
#pragma once

#include <stdbool.h>

#include "addr.h"
#include "arp-packet.h"

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

/* A send-only AF_PACKET socket for DAD solicitations on ifindex; fd or -errno. */
int cv_ndisc_open_dad(int ifindex);

/* Send one DAD neighbour solicitation for vip (IPv6) on ifindex: 0 or -errno. */
int cv_ndisc_send_dad_ns(int fd, int ifindex, const struct cv_addr *vip);

/*
 * A raw ICMPv6 socket that receives only neighbour advertisements, on
 * ifindex (0: every interface). Close-on-exec, non-blocking; fd or -errno.
 */
int cv_ndisc_open_listen(int ifindex);

/*
 * Read one advertisement: 0 with it parsed and the interface it came in on
 * (ret_ifindex may be NULL), -ENOMSG for one to skip (malformed), -EAGAIN
 * when nothing is queued, or -errno. Whether it is ours is the caller's to
 * tell (its MAC option).
 */
int cv_ndisc_recv_na(int fd, struct cv_na_info *ret, int *ret_ifindex);
