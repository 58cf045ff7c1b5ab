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

int
cv_arp_packet_garp(enum cv_garp form, const struct cv_addr *vip, const struct cv_mac *mac,
		   uint8_t *buf, size_t len, struct cv_mac *ret_dest)
{
	static const uint8_t zero_mac[CV_MAC_LEN];
	const uint8_t *target_mac;
	uint16_t op;
	uint8_t *p = buf;

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

	p = put16(p, ARP_HRD_ETHER);
	p = put16(p, ETHERTYPE_IPV4);
	*p++ = CV_MAC_LEN;
	*p++ = 4;
	p = put16(p, op);
	p = put_bytes(p, mac->bytes, CV_MAC_LEN);
	p = put_bytes(p, vip->bytes, 4);
	p = put_bytes(p, target_mac, CV_MAC_LEN);
	put_bytes(p, vip->bytes, 4);

	memset(ret_dest->bytes, 0xff, CV_MAC_LEN);
	return CV_ARP_PACKET_LEN;
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
