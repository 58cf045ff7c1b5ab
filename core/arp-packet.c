/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "arp-packet.h"

#define ARP_HRD_ETHER	   1
#define ETHERTYPE_IPV4	   0x0800
#define IPPROTO_ICMPV6_NUM 58

static const uint8_t all_nodes[16] = { 0xff, 0x02, [15] = 0x01 };

static uint8_t *
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return p + 2;
}

static uint8_t *
put_bytes(uint8_t *p, const void *src, size_t n)
{
	memcpy(p, src, n);
	return p + n;
}

/* An Ethernet/IPv4 ARP packet (RFC 826) of op: sender sha/spa, target tha/tpa. */
static int
put_arp(uint8_t *buf, uint16_t op, const uint8_t *sha, const uint8_t *spa, const uint8_t *tha,
	const uint8_t *tpa, struct cv_mac *ret_dest)
{
	uint8_t *p = buf;

	p = put16(p, ARP_HRD_ETHER);
	p = put16(p, ETHERTYPE_IPV4);
	*p++ = CV_MAC_LEN;
	*p++ = 4;
	p = put16(p, op);
	p = put_bytes(p, sha, CV_MAC_LEN);
	p = put_bytes(p, spa, 4);
	p = put_bytes(p, tha, CV_MAC_LEN);
	put_bytes(p, tpa, 4);
	memset(ret_dest->bytes, 0xff, CV_MAC_LEN); /* both forms are broadcast */
	return CV_ARP_PACKET_LEN;
}

int
cv_arp_packet_garp(enum cv_garp form, const struct cv_addr *vip, const struct cv_mac *mac,
		   uint8_t *buf, size_t len, struct cv_mac *ret_dest)
{
	static const uint8_t zero_mac[CV_MAC_LEN];
	const uint8_t *target_mac;
	uint16_t op;

	if (vip->family != AF_INET)
		return -EAFNOSUPPORT;
	if (form == CV_GARP_REQUEST) {
		op = CV_ARP_OP_REQUEST;
		target_mac = zero_mac;
	} else if (form == CV_GARP_REPLY) {
		op = CV_ARP_OP_REPLY;
		target_mac = mac->bytes; /* Linux's arp_is_garp wants THA == SHA in a reply */
	} else {
		return -EINVAL;
	}
	if (len < CV_ARP_PACKET_LEN)
		return -ENOBUFS;
	return put_arp(buf, op, mac->bytes, vip->bytes, target_mac, vip->bytes, ret_dest);
}

/* One's-complement sum of big-endian 16-bit words (odd tail padded with 0). */
static uint32_t
sum16(uint32_t sum, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

uint16_t
cv_arp_packet_icmpv6_checksum(const uint8_t src[16], const uint8_t dst[16], const uint8_t *body,
			      size_t len)
{
	/* Pseudo-header (RFC 8200 8.1): src, dst, 32-bit length, 3 zero bytes, next header. */
	uint32_t sum = 0;

	sum = sum16(sum, src, 16);
	sum = sum16(sum, dst, 16);
	sum += (uint32_t)(len >> 16) + (uint32_t)(len & 0xffff);
	sum += IPPROTO_ICMPV6_NUM;
	sum = sum16(sum, body, len);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

int
cv_arp_packet_na(const struct cv_addr *vip, const struct cv_mac *mac, bool router, uint8_t *buf,
		 size_t len, struct cv_addr *ret_dest)
{
	uint8_t flags = CV_ND_NA_FLAG_OVERRIDE;
	uint8_t *p = buf;

	if (vip->family != AF_INET6)
		return -EAFNOSUPPORT;
	if (len < CV_NA_PACKET_LEN)
		return -ENOBUFS;
	if (router)
		flags |= CV_ND_NA_FLAG_ROUTER;

	*p++ = CV_ND_NEIGHBOR_ADVERT;
	*p++ = 0;	 /* code */
	p = put16(p, 0); /* checksum, below */
	*p++ = flags;
	p = put_bytes(p, (const uint8_t[3]){ 0 }, 3); /* reserved */
	p = put_bytes(p, vip->bytes, 16);
	*p++ = CV_ND_OPT_TARGET_LLADDR;
	*p++ = 1; /* option length in units of 8 bytes */
	put_bytes(p, mac->bytes, CV_MAC_LEN);

	put16(buf + 2, cv_arp_packet_icmpv6_checksum(vip->bytes, all_nodes, buf, CV_NA_PACKET_LEN));
	*ret_dest = (struct cv_addr){ .family = AF_INET6, .prefixlen = 128 };
	memcpy(ret_dest->bytes, all_nodes, 16);
	return CV_NA_PACKET_LEN;
}

int
cv_arp_packet_probe(const struct cv_addr *vip, const struct cv_mac *mac, uint8_t *buf, size_t len,
		    struct cv_mac *ret_dest)
{
	static const uint8_t zero[CV_MAC_LEN];

	if (vip->family != AF_INET)
		return -EAFNOSUPPORT;
	if (len < CV_ARP_PACKET_LEN)
		return -ENOBUFS;
	/* sender IP 0.0.0.0: a probe, not a claim */
	return put_arp(buf, CV_ARP_OP_REQUEST, mac->bytes, zero, zero, vip->bytes, ret_dest);
}

int
cv_arp_packet_dad_ns(const struct cv_addr *vip, uint8_t *buf, size_t len, struct cv_mac *ret_dest)
{
	static const uint8_t unspecified[16];
	uint8_t group[16] = { 0xff, 0x02, [11] = 0x01, [12] = 0xff };
	uint8_t *p = buf, *ns;

	if (vip->family != AF_INET6)
		return -EAFNOSUPPORT;
	if (len < CV_DAD_NS_PACKET_LEN)
		return -ENOBUFS;
	memcpy(group + 13, vip->bytes + 13, 3);

	p = put_bytes(p, (const uint8_t[4]){ 0x60 }, 4); /* version 6, no class, no flow */
	p = put16(p, CV_DAD_NS_PACKET_LEN - 40);
	*p++ = IPPROTO_ICMPV6_NUM;
	*p++ = 255; /* hop limit: RFC 4861 7.1.1 */
	p = put_bytes(p, unspecified, 16);
	p = put_bytes(p, group, 16);
	ns = p;
	*p++ = CV_ND_NEIGHBOR_SOLICIT;
	*p++ = 0;
	p = put16(p, 0);
	p = put_bytes(p, (const uint8_t[4]){ 0 }, 4); /* reserved */
	put_bytes(p, vip->bytes, 16);
	put16(ns + 2, cv_arp_packet_icmpv6_checksum(unspecified, group, ns, 24));

	*ret_dest = (struct cv_mac){ { 0x33, 0x33, 0xff, vip->bytes[13], vip->bytes[14],
				       vip->bytes[15] } };
	return CV_DAD_NS_PACKET_LEN;
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static struct cv_addr
ipv4_at(const uint8_t *p)
{
	struct cv_addr a = { .family = AF_INET, .prefixlen = 32 };

	memcpy(a.bytes, p, 4);
	return a;
}

int
cv_arp_packet_parse_arp(const uint8_t *buf, size_t len, struct cv_arp_info *ret)
{
	struct cv_arp_info a;

	if (len < CV_ARP_PACKET_LEN)
		return -EBADMSG;
	if (get16(buf) != ARP_HRD_ETHER || get16(buf + 2) != ETHERTYPE_IPV4 ||
	    buf[4] != CV_MAC_LEN || buf[5] != 4)
		return -EPROTONOSUPPORT;
	a.op = get16(buf + 6);
	memcpy(a.sha.bytes, buf + 8, CV_MAC_LEN);
	a.spa = ipv4_at(buf + 14);
	memcpy(a.tha.bytes, buf + 18, CV_MAC_LEN);
	a.tpa = ipv4_at(buf + 24);
	*ret = a;
	return 0;
}

static bool
same_ipv4(const struct cv_addr *a, const struct cv_addr *b)
{
	return a->family == AF_INET && b->family == AF_INET && memcmp(a->bytes, b->bytes, 4) == 0;
}

bool
cv_arp_packet_claims(const struct cv_arp_info *a, const struct cv_addr *vip,
		     const struct cv_mac *mac, bool probing)
{
	static const uint8_t zero[4];

	if (memcmp(a->sha.bytes, mac->bytes, CV_MAC_LEN) == 0)
		return false;
	if (same_ipv4(&a->spa, vip))
		return true;
	return probing && a->op == CV_ARP_OP_REQUEST && memcmp(a->spa.bytes, zero, 4) == 0 &&
	       same_ipv4(&a->tpa, vip);
}

/* The options after an NA's 24 bytes: the first Target Link-Layer Address wins. */
static int
parse_na_options(const uint8_t *p, size_t len, struct cv_na_info *na)
{
	while (len > 0) {
		size_t olen;

		if (len < 2 || p[1] == 0)
			return -EBADMSG; /* RFC 4861 4.6: length 0 is invalid */
		olen = (size_t)p[1] * 8;
		if (olen > len)
			return -EBADMSG;
		if (p[0] == CV_ND_OPT_TARGET_LLADDR && olen >= 2 + CV_MAC_LEN && !na->has_mac) {
			memcpy(na->mac.bytes, p + 2, CV_MAC_LEN);
			na->has_mac = true;
		}
		p += olen;
		len -= olen;
	}
	return 0;
}

int
cv_arp_packet_parse_na(const uint8_t *buf, size_t len, struct cv_na_info *ret)
{
	struct cv_na_info na = { .target = { .family = AF_INET6, .prefixlen = 128 } };
	int r;

	if (len < 1 || buf[0] != CV_ND_NEIGHBOR_ADVERT)
		return -ENOMSG;
	if (len < 24 || buf[1] != 0)
		return -EBADMSG;
	na.flags = buf[4];
	memcpy(na.target.bytes, buf + 8, 16);
	r = parse_na_options(buf + 24, len - 24, &na);
	if (r < 0)
		return r;
	*ret = na;
	return 0;
}
