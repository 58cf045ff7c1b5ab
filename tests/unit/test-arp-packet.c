/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Reference frames written out byte by byte from RFC 826 / RFC 5227 (ARP)
 * and RFC 4861 4.4 (NA), RFC 4862 5.4.2 (DAD NS). The NA and NS checksums
 * were computed independently (a Python one-liner over the pseudo-header);
 * the NA's agree with tcpdump's "[icmp6 sum ok]" on the frames the
 * integration test captures.
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

static void
probe_matches_reference_frame(void **state)
{
	static const uint8_t ref[CV_ARP_PACKET_LEN] = {
		0x00, 0x01, 0x08, 0x00, 0x06, 0x04,
		0x00, 0x01,			    /* op: request */
		0x00, 0x00, 0x5e, 0x00, 0x53, 0x0a, /* sender MAC */
		0,    0,    0,	  0,		    /* sender IP 0.0.0.0 (RFC 5227 2.1.1) */
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* target MAC: zero */
		192,  0,    2,	  61,		    /* target IP = the address probed */
	};
	struct cv_addr vip = addr("192.0.2.61/24"), v6 = addr("2001:db8::61");
	uint8_t buf[CV_ARP_PACKET_LEN];
	struct cv_mac dest;

	assert_int_equal(cv_arp_packet_probe(&vip, &mac, buf, sizeof(buf), &dest),
			 CV_ARP_PACKET_LEN);
	assert_memory_equal(buf, ref, sizeof(ref));
	assert_memory_equal(dest.bytes, ((uint8_t[]){ 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }), 6);
	assert_int_equal(cv_arp_packet_probe(&v6, &mac, buf, sizeof(buf), &dest), -EAFNOSUPPORT);
	assert_int_equal(cv_arp_packet_probe(&vip, &mac, buf, sizeof(buf) - 1, &dest), -ENOBUFS);
}

static void
dad_ns_matches_reference_packet(void **state)
{
	static const uint8_t ref[CV_DAD_NS_PACKET_LEN] = {
		0x60, 0x00, 0x00, 0x00, /* version 6 */
		0x00, 0x18,		/* payload length 24 */
		0x3a,			/* next header: ICMPv6 */
		0xff,			/* hop limit 255 */
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* source :: */
		0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* ff02::1:ff00:50 */
		0x00, 0x00, 0x00, 0x01, 0xff, 0x00, 0x00, 0x50,
		0x87,			/* type 135: neighbour solicitation */
		0x00,			/* code */
		0x4c, 0x4f,		/* checksum (src ::, dst ff02::1:ff00:50) */
		0x00, 0x00, 0x00, 0x00, /* reserved */
		0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, /* target = the address */
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x50,
	};
	struct cv_addr vip = addr("2001:db8::50/64"), v4 = addr("192.0.2.50");
	uint8_t buf[80];
	struct cv_mac dest;

	assert_int_equal(cv_arp_packet_dad_ns(&vip, buf, sizeof(buf), &dest),
			 CV_DAD_NS_PACKET_LEN);
	assert_memory_equal(buf, ref, sizeof(ref));
	assert_memory_equal(dest.bytes, ((uint8_t[]){ 0x33, 0x33, 0xff, 0x00, 0x00, 0x50 }), 6);
	assert_int_equal(cv_arp_packet_icmpv6_checksum(buf + 8, buf + 24, buf + 40, 24), 0);
	assert_int_equal(cv_arp_packet_dad_ns(&v4, buf, sizeof(buf), &dest), -EAFNOSUPPORT);
	assert_int_equal(cv_arp_packet_dad_ns(&vip, buf, CV_DAD_NS_PACKET_LEN - 1, &dest),
			 -ENOBUFS);
}

/* What Linux answers to our probe (arp_process(), "sip == 0"), padded to 46 bytes. */
static void
parse_arp_reads_a_probe_reply(void **state)
{
	uint8_t frame[46] = {
		0x00, 0x01, 0x08, 0x00, 0x06, 0x04,
		0x00, 0x02,			    /* reply */
		0x02, 0x00, 0x5e, 0x10, 0x00, 0x0b, /* the holder's MAC */
		192,  0,    2,	  61,		    /* sender IP = the address */
		0x00, 0x00, 0x5e, 0x00, 0x53, 0x0a, /* to our MAC */
		0,    0,    0,	  0,		    /* target IP 0.0.0.0 */
	};
	struct cv_addr vip = addr("192.0.2.61/24"), other = addr("192.0.2.62");
	struct cv_arp_info a;

	assert_int_equal(cv_arp_packet_parse_arp(frame, sizeof(frame), &a), 0);
	assert_int_equal(a.op, CV_ARP_OP_REPLY);
	assert_int_equal(a.sha.bytes[5], 0x0b);
	assert_true(cv_arp_packet_claims(&a, &vip, &mac, true));
	assert_true(cv_arp_packet_claims(&a, &vip, &mac, false));
	assert_false(cv_arp_packet_claims(&a, &other, &mac, true));
	/* Our own frame (sender MAC = ours) never counts. */
	memcpy(frame + 8, mac.bytes, 6);
	assert_int_equal(cv_arp_packet_parse_arp(frame, sizeof(frame), &a), 0);
	assert_false(cv_arp_packet_claims(&a, &vip, &mac, false));
}

static void
parse_arp_counts_a_rival_probe_only_while_probing(void **state)
{
	struct cv_addr vip = addr("192.0.2.61");
	struct cv_mac other = { { 0x02, 0x00, 0x5e, 0x10, 0x00, 0x0b } }, dest;
	uint8_t buf[CV_ARP_PACKET_LEN];
	struct cv_arp_info a;

	assert_int_equal(cv_arp_packet_probe(&vip, &other, buf, sizeof(buf), &dest),
			 CV_ARP_PACKET_LEN);
	assert_int_equal(cv_arp_packet_parse_arp(buf, sizeof(buf), &a), 0);
	assert_true(cv_arp_packet_claims(&a, &vip, &mac, true));
	assert_false(cv_arp_packet_claims(&a, &vip, &mac, false));
}

static void
parse_arp_refuses_short_and_foreign_frames(void **state)
{
	uint8_t buf[CV_ARP_PACKET_LEN] = { 0x00, 0x06, 0x08, 0x00, 0x06, 0x04 }; /* IEEE 802 */
	struct cv_arp_info a;

	assert_int_equal(cv_arp_packet_parse_arp(buf, sizeof(buf) - 1, &a), -EBADMSG);
	assert_int_equal(cv_arp_packet_parse_arp(buf, sizeof(buf), &a), -EPROTONOSUPPORT);
}

static void
parse_na_reads_target_flags_and_mac(void **state)
{
	struct cv_addr vip = addr("2001:db8::50"), dest;
	uint8_t buf[CV_NA_PACKET_LEN];
	struct cv_na_info na;

	assert_int_equal(cv_arp_packet_na(&vip, &mac, true, buf, sizeof(buf), &dest),
			 CV_NA_PACKET_LEN);
	assert_int_equal(cv_arp_packet_parse_na(buf, sizeof(buf), &na), 0);
	assert_int_equal(na.flags, CV_ND_NA_FLAG_ROUTER | CV_ND_NA_FLAG_OVERRIDE);
	assert_true(cv_addr_same_host(&na.target, &vip));
	assert_true(na.has_mac);
	assert_memory_equal(na.mac.bytes, mac.bytes, 6);
	/* Without options: no MAC. */
	assert_int_equal(cv_arp_packet_parse_na(buf, 24, &na), 0);
	assert_false(na.has_mac);
}

static void
parse_na_refuses_other_types_and_bad_options(void **state)
{
	struct cv_addr vip = addr("2001:db8::50"), dest;
	uint8_t buf[CV_NA_PACKET_LEN];
	struct cv_na_info na;

	assert_int_equal(cv_arp_packet_na(&vip, &mac, false, buf, sizeof(buf), &dest),
			 CV_NA_PACKET_LEN);
	assert_int_equal(cv_arp_packet_parse_na(buf, 23, &na), -EBADMSG);
	buf[25] = 0; /* option length 0 */
	assert_int_equal(cv_arp_packet_parse_na(buf, sizeof(buf), &na), -EBADMSG);
	buf[25] = 2; /* runs past the end */
	assert_int_equal(cv_arp_packet_parse_na(buf, sizeof(buf), &na), -EBADMSG);
	buf[0] = CV_ND_NEIGHBOR_SOLICIT;
	assert_int_equal(cv_arp_packet_parse_na(buf, sizeof(buf), &na), -ENOMSG);
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
		cmocka_unit_test(probe_matches_reference_frame),
		cmocka_unit_test(dad_ns_matches_reference_packet),
		cmocka_unit_test(parse_arp_reads_a_probe_reply),
		cmocka_unit_test(parse_arp_counts_a_rival_probe_only_while_probing),
		cmocka_unit_test(parse_arp_refuses_short_and_foreign_frames),
		cmocka_unit_test(parse_na_reads_target_flags_and_mac),
		cmocka_unit_test(parse_na_refuses_other_types_and_bad_options),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
