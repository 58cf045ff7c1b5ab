/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The bytes of an announcement, built into a caller buffer (no sockets here):
 *
 * - gratuitous ARP for an IPv4 VIP: the 28-byte ARP body for an
 *   AF_PACKET/SOCK_DGRAM socket (the kernel writes the Ethernet header from
 *   the destination MAC we return, ff:ff:ff:ff:ff:ff, and the interface's own
 *   MAC). Both forms carry sender IP = target IP = the VIP and sender MAC =
 *   the interface's:
 *     request (arping -U): op 1, target MAC 00:00:00:00:00:00 — RFC 5227's
 *       ARP announcement and what Linux itself sends (arp_notify); arping -U
 *       and keepalived put ff:ff:ff:ff:ff:ff there, which receivers ignore in
 *       a request (RFC 826 never reads it);
 *     reply (arping -A): op 2, target MAC = sender MAC. Linux receivers
 *       (arp_is_garp) take a reply as gratuitous only in this form.
 *
 * - an unsolicited IPv6 neighbour advertisement (RFC 4861 4.4, 7.2.6): the
 *   32-byte ICMPv6 body (type 136, code 0, Override set, Solicited clear,
 *   Router as asked, target = the VIP, a Target Link-Layer Address option)
 *   for an IPPROTO_ICMPV6 raw socket, sent from the VIP to ff02::1 with hop
 *   limit 255. The checksum is computed here from the pseudo-header (source
 *   = the VIP, destination = ff02::1), so the bytes are a complete, valid
 *   message whatever carries them. Linux raw ICMPv6 sockets recompute the
 *   same field at offset 2 anyway (RFC 3542 3.1; IPV6_CHECKSUM cannot be set
 *   on them), which gives the same value when the packet leaves from the VIP.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "config.h"

#define CV_ARP_PACKET_LEN 28 /* Ethernet/IPv4 ARP body */
#define CV_NA_PACKET_LEN  32 /* NA header (24) + TLLA option (8) */

#define CV_ARP_OP_REQUEST	1
#define CV_ARP_OP_REPLY		2
#define CV_ND_NEIGHBOR_ADVERT	136
#define CV_ND_NA_FLAG_ROUTER	0x80
#define CV_ND_NA_FLAG_SOLICITED 0x40
#define CV_ND_NA_FLAG_OVERRIDE	0x20
#define CV_ND_OPT_TARGET_LLADDR 2

/*
 * Gratuitous ARP body for vip (IPv4) from mac, in form CV_GARP_REQUEST or
 * CV_GARP_REPLY (CV_GARP_BOTH is two calls). Writes CV_ARP_PACKET_LEN bytes
 * to buf and the link-layer destination (broadcast) to *ret_dest. Returns the
 * length, -EAFNOSUPPORT (not IPv4), -EINVAL (form) or -ENOBUFS (len short).
 */
int cv_arp_packet_garp(enum cv_garp form, const struct cv_addr *vip, const struct cv_mac *mac,
		       uint8_t *buf, size_t len, struct cv_mac *ret_dest);

/*
 * Unsolicited neighbour advertisement for vip (IPv6) from mac, Router flag
 * as given, checksum filled in for source vip and destination ff02::1.
 * Writes CV_NA_PACKET_LEN bytes to buf and ff02::1 to *ret_dest (prefix
 * /128). Returns the length, -EAFNOSUPPORT (not IPv6) or -ENOBUFS.
 */
int cv_arp_packet_na(const struct cv_addr *vip, const struct cv_mac *mac, bool router, uint8_t *buf,
		     size_t len, struct cv_addr *ret_dest);

/*
 * The ICMPv6 checksum (RFC 4443 2.3) of body (len bytes, its checksum field
 * counted as it is) with the IPv6 pseudo-header of src, dst (16 bytes each)
 * and next header 58. A body whose checksum field is right sums to 0.
 */
uint16_t cv_arp_packet_icmpv6_checksum(const uint8_t src[16], const uint8_t dst[16],
				       const uint8_t *body, size_t len);
