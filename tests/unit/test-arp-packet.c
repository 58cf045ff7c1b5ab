/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Reference frames written out byte by byte from RFC 826 / RFC 5227 (ARP)
 * and RFC 4861 4.4 (NA). The NA checksums were computed independently
 * (a Python one-liner over the pseudo-header) and agree with tcpdump's
 * "[icmp6 sum ok]" on the frames the integration test captures.
 */
#include <sys/socket.h>

#include "cmocka-all.h"

#include "arp-packet.h"

/* RFC 7042 documentation MAC and RFC 5737 / RFC 3849 documentation addresses. */
static const struct cv_mac mac = { { 0x00, 0x00, 0x5e, 0x00, 0x53, 0x0a } };

static struct cv_addr
addr(const char *text)
{
	struct cv_addr a;

	assert_int_equal(cv_addr_parse(text, &a), 0);
	return a;
}

static void
garp_request_matches_reference_frame(void **state)
{
	static const uint8_t ref[CV_ARP_PACKET_LEN] = {
		0x00, 0x01,			    /* hardware: Ethernet */
		0x08, 0x00,			    /* protocol: IPv4 */
		0x06, 0x04,			    /* hlen, plen */
		0x00, 0x01,			    /* op: request */
		0x00, 0x00, 0x5e, 0x00, 0x53, 0x0a, /* sender MAC */
		192,  0,    2,	  50,		    /* sender IP = VIP */
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* target MAC: zero (RFC 5227) */
		192,  0,    2,	  50,		    /* target IP = VIP */
	};
	struct cv_addr vip = addr("192.0.2.50/24");
	uint8_t buf[64];
	struct cv_mac dest;

	assert_int_equal(cv_arp_packet_garp(CV_GARP_REQUEST, &vip, &mac, buf, sizeof(buf), &dest),
			 CV_ARP_PACKET_LEN);
	assert_memory_equal(buf, ref, sizeof(ref));
	assert_memory_equal(dest.bytes, ((uint8_t[]){ 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }), 6);
}

static void
garp_reply_has_target_mac_equal_to_sender(void **state)
{
	static const uint8_t ref[CV_ARP_PACKET_LEN] = {
		0x00, 0x01, 0x08, 0x00, 0x06, 0x04,
		0x00, 0x02,			    /* op: reply (arping -A) */
		0x00, 0x00, 0x5e, 0x00, 0x53, 0x0a, /* sender MAC */
		198,  51,   100,  7,		    /* sender IP */
		0x00, 0x00, 0x5e, 0x00, 0x53, 0x0a, /* target MAC = sender MAC */
		198,  51,   100,  7,		    /* target IP */
	};
	struct cv_addr vip = addr("198.51.100.7");
	uint8_t buf[CV_ARP_PACKET_LEN];
	struct cv_mac dest;

	assert_int_equal(cv_arp_packet_garp(CV_GARP_REPLY, &vip, &mac, buf, sizeof(buf), &dest),
			 CV_ARP_PACKET_LEN);
	assert_memory_equal(buf, ref, sizeof(ref));
}

static void
garp_refuses_ipv6_both_form_and_short_buffer(void **state)
{
	struct cv_addr v4 = addr("192.0.2.50"), v6 = addr("2001:db8::50");
	uint8_t buf[CV_ARP_PACKET_LEN] = { 0 };
	struct cv_mac dest = { { 1 } };

	assert_int_equal(cv_arp_packet_garp(CV_GARP_REQUEST, &v6, &mac, buf, sizeof(buf), &dest),
			 -EAFNOSUPPORT);
	assert_int_equal(cv_arp_packet_garp(CV_GARP_BOTH, &v4, &mac, buf, sizeof(buf), &dest),
			 -EINVAL);
	assert_int_equal(cv_arp_packet_garp(CV_GARP_REQUEST, &v4, &mac, buf, sizeof(buf) - 1, &dest),
			 -ENOBUFS);
	/* Nothing written on failure. */
	assert_int_equal(buf[0], 0);
	assert_int_equal(dest.bytes[0], 1);
}

static void
na_matches_reference_frame(void **state)
{
	static const uint8_t ref[CV_NA_PACKET_LEN] = {
		0x88,			/* type 136: neighbour advertisement */
		0x00,			/* code */
		0x49, 0x83,		/* checksum (src 2001:db8::50, dst ff02::1) */
		0x20,			/* R=0 S=0 O=1 */
		0x00, 0x00, 0x00,	/* reserved */
		0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, /* target = VIP */
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x50,
		0x02,			/* option: target link-layer address */
		0x01,			/* length: 1 x 8 bytes */
		0x00, 0x00, 0x5e, 0x00, 0x53, 0x0a,
	};
	struct cv_addr vip = addr("2001:db8::50/64"), dest, want_dest = addr("ff02::1");
	uint8_t buf[64];

	assert_int_equal(cv_arp_packet_na(&vip, &mac, false, buf, sizeof(buf), &dest),
			 CV_NA_PACKET_LEN);
	assert_memory_equal(buf, ref, sizeof(ref));
	assert_int_equal(cv_addr_compare(&dest, &want_dest), 0);
}

static void
na_router_flag_sets_r_bit_and_changes_checksum(void **state)
{
	struct cv_addr vip = addr("2001:db8::50"), dest;
	uint8_t buf[CV_NA_PACKET_LEN];

	assert_int_equal(cv_arp_packet_na(&vip, &mac, true, buf, sizeof(buf), &dest),
			 CV_NA_PACKET_LEN);
	assert_int_equal(buf[4], 0xa0); /* R=1 S=0 O=1 */
	assert_int_equal(buf[2], 0xc9);
	assert_int_equal(buf[3], 0x82);
}

static void
na_checksum_verifies_to_zero(void **state)
{
	struct cv_addr vip = addr("2001:db8::ffff:1"), dest;
	uint8_t buf[CV_NA_PACKET_LEN];

	assert_int_equal(cv_arp_packet_na(&vip, &mac, false, buf, sizeof(buf), &dest),
			 CV_NA_PACKET_LEN);
	assert_int_equal(cv_arp_packet_icmpv6_checksum(vip.bytes, dest.bytes, buf, sizeof(buf)), 0);
	buf[10] ^= 1;
	assert_int_not_equal(cv_arp_packet_icmpv6_checksum(vip.bytes, dest.bytes, buf, sizeof(buf)),
			     0);
}

static void
na_refuses_ipv4_and_short_buffer(void **state)
{
	struct cv_addr v4 = addr("192.0.2.50"), v6 = addr("2001:db8::50"), dest;
	uint8_t buf[CV_NA_PACKET_LEN];

	assert_int_equal(cv_arp_packet_na(&v4, &mac, false, buf, sizeof(buf), &dest), -EAFNOSUPPORT);
	assert_int_equal(cv_arp_packet_na(&v6, &mac, false, buf, sizeof(buf) - 1, &dest), -ENOBUFS);
}

static void
checksum_of_odd_length_pads_with_zero(void **state)
{
	static const uint8_t zero[16];
	/* RFC 1071: an odd tail byte is the high byte of a last word. */
	const uint8_t body[3] = { 0x01, 0x02, 0x03 };
	/* sum = len 3 + next header 58 + 0x0102 + 0x0300 = 0x043f */
	assert_int_equal(cv_arp_packet_icmpv6_checksum(zero, zero, body, 3), (uint16_t)~0x043f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(garp_request_matches_reference_frame),
		cmocka_unit_test(garp_reply_has_target_mac_equal_to_sender),
		cmocka_unit_test(garp_refuses_ipv6_both_form_and_short_buffer),
		cmocka_unit_test(na_matches_reference_frame),
		cmocka_unit_test(na_router_flag_sets_r_bit_and_changes_checksum),
		cmocka_unit_test(na_checksum_verifies_to_zero),
		cmocka_unit_test(na_refuses_ipv4_and_short_buffer),
		cmocka_unit_test(checksum_of_odd_length_pads_with_zero),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
