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

#define CV_ARP_PACKET_LEN    28 /* Ethernet/IPv4 ARP body */
#define CV_NA_PACKET_LEN     32 /* NA header (24) + TLLA option (8) */
#define CV_DAD_NS_PACKET_LEN 64 /* IPv6 header (40) + NS without options (24) */

#define CV_ARP_OP_REQUEST	1
#define CV_ARP_OP_REPLY		2
#define CV_ND_NEIGHBOR_SOLICIT	135
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

/*
 * RFC 5227 ARP probe for vip (IPv4) from mac: op 1, sender IP 0.0.0.0 (so
 * that no cache learns anything from it), target MAC zero, target IP = the
 * VIP; destination broadcast. A host that holds the VIP answers with a reply
 * whose sender IP is the VIP (Linux: arp_process(), "sip == 0"). Same returns
 * as cv_arp_packet_garp().
 */
int cv_arp_packet_probe(const struct cv_addr *vip, const struct cv_mac *mac, uint8_t *buf,
			size_t len, struct cv_mac *ret_dest);

/*
 * A DAD neighbour solicitation for vip (IPv6, RFC 4862 5.4.2) as a whole
 * IPv6 packet for an AF_PACKET/SOCK_DGRAM socket: source :: (which no
 * socket of the IP stack lets us choose), destination the VIP's
 * solicited-node group ff02::1:ffXX:XXXX, hop limit 255, no source
 * link-layer option (forbidden with ::), checksum filled in. *ret_dest is
 * the group's MAC 33:33:ff:XX:XX:XX. A holder answers with an NA to ff02::1
 * that carries its MAC in a Target Link-Layer Address option. Returns
 * CV_DAD_NS_PACKET_LEN, -EAFNOSUPPORT (not IPv6) or -ENOBUFS.
 */
int cv_arp_packet_dad_ns(const struct cv_addr *vip, uint8_t *buf, size_t len,
			 struct cv_mac *ret_dest);

/* An Ethernet/IPv4 ARP body as received (AF_PACKET/SOCK_DGRAM). */
struct cv_arp_info {
	uint16_t op;
	struct cv_mac sha, tha;
	struct cv_addr spa, tpa; /* IPv4, prefix /32 */
};

/*
 * Parse an ARP body (len bytes; trailing padding allowed). Returns 0,
 * -EBADMSG (short) or -EPROTONOSUPPORT (not Ethernet/IPv4).
 */
int cv_arp_packet_parse_arp(const uint8_t *buf, size_t len, struct cv_arp_info *ret);

/*
 * Does this ARP frame say that a host other than ours (mac) uses vip? Its
 * sender IP is the VIP (a reply to our probe, a gratuitous ARP, any request
 * it makes), or, when probing, it probes for the VIP too (RFC 5227 2.1.1:
 * sender IP 0.0.0.0, target IP = the VIP). Our own frames never count.
 */
bool cv_arp_packet_claims(const struct cv_arp_info *a, const struct cv_addr *vip,
			  const struct cv_mac *mac, bool probing);

/* A neighbour advertisement as received on an ICMPv6 raw socket (no IPv6 header). */
struct cv_na_info {
	uint8_t flags;	     /* CV_ND_NA_FLAG_* */
	struct cv_addr target;
	struct cv_mac mac;   /* from the Target Link-Layer Address option */
	bool has_mac;
};

/*
 * Parse an ICMPv6 neighbour advertisement (type 136, code 0, len bytes).
 * Returns 0, -ENOMSG (another ICMPv6 message) or -EBADMSG (truncated, or a
 * malformed option). The checksum is the kernel's to verify.
 */
int cv_arp_packet_parse_na(const uint8_t *buf, size_t len, struct cv_na_info *ret);
