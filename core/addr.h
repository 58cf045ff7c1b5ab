/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * IPv4/IPv6 addresses with a prefix length, and Ethernet MAC addresses:
 * parse, format, compare. Pure functions over caller-owned storage.
 */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CV_MAC_LEN 6
/* "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255/128" plus NUL */
#define CV_ADDR_STRLEN 51
#define CV_MAC_STRLEN 18

struct cv_addr {
	uint8_t family; /* AF_INET or AF_INET6 */
	uint8_t prefixlen;
	uint8_t bytes[16]; /* network order; IPv4 uses the first 4 */
};

struct cv_mac {
	uint8_t bytes[CV_MAC_LEN];
};

/*
 * Parse "ADDR[/PREFIX]". Without a prefix the host prefix (/32, /128) is used,
 * as keepalived does. Returns 0, -EINVAL (not an address) or -ERANGE (prefix
 * out of range for the family). Writes ret only on success.
 */
int cv_addr_parse(const char *text, struct cv_addr *ret);

/* Parse a bare address without a prefix; -EINVAL if text has one. */
int cv_addr_parse_host(const char *text, struct cv_addr *ret);

/*
 * Parse an endpoint "IPV4:PORT" or "[IPV6]:PORT" (an address literal: the
 * daemon resolves no names), port 1..65535. 0 or -EINVAL.
 */
int cv_endpoint_parse(const char *text, struct cv_addr *ret_addr, uint16_t *ret_port);

/* Format as "ADDR/PREFIX" (with_prefix) or "ADDR" into buf (>= CV_ADDR_STRLEN). */
const char *cv_addr_format(const struct cv_addr *a, bool with_prefix, char *buf, size_t len);

/* Total order: family, then address bytes, then prefix length. */
int cv_addr_compare(const struct cv_addr *a, const struct cv_addr *b);

/* The same host address, whatever the prefix length. */
bool cv_addr_same_host(const struct cv_addr *a, const struct cv_addr *b);

/* Bytes used by the family: 4 or 16. */
size_t cv_addr_len(const struct cv_addr *a);

/*
 * For IPv4 prefixes up to /30: is the address the network or the broadcast
 * address of its prefix (which cannot be a usable VIP)? Returns 0 (usable),
 * 1 (network address) or 2 (broadcast address).
 */
int cv_addr_ipv4_special(const struct cv_addr *a);

/*
 * What kind of address it is, for deciding whether it can be a VIP: only
 * UNICAST and LINK_LOCAL can (a link-local address needs an interface as its
 * scope). The prefix length plays no part.
 */
enum cv_addr_class {
	CV_ADDR_CLASS_UNICAST,
	CV_ADDR_CLASS_LINK_LOCAL,   /* 169.254.0.0/16, fe80::/10 */
	CV_ADDR_CLASS_UNSPECIFIED,  /* 0.0.0.0, :: */
	CV_ADDR_CLASS_THIS_NETWORK, /* 0.0.0.0/8 but 0.0.0.0 (RFC 1122 "this network") */
	CV_ADDR_CLASS_LOOPBACK,	    /* 127.0.0.0/8, ::1 */
	CV_ADDR_CLASS_MULTICAST,    /* 224.0.0.0/4, ff00::/8 */
	CV_ADDR_CLASS_RESERVED,	    /* 240.0.0.0/4 but 255.255.255.255 (RFC 1112) */
	CV_ADDR_CLASS_BROADCAST,    /* 255.255.255.255 */
	CV_ADDR_CLASS_V4_MAPPED,    /* ::ffff:0:0/96, an IPv4 address in IPv6 form */
	_CV_ADDR_CLASS_MAX,
	_CV_ADDR_CLASS_INVALID = -EINVAL,
};

enum cv_addr_class cv_addr_classify(const struct cv_addr *a);
const char *cv_addr_class_to_string(enum cv_addr_class c);
enum cv_addr_class cv_addr_class_from_string(const char *s);

/*
 * The IPv4 address in an IPv4-mapped IPv6 one (::ffff:a.b.c.d), with the
 * prefix length less 96 (/32 if it was shorter than /96); -EINVAL if not one.
 */
int cv_addr_unmap_v4(const struct cv_addr *a, struct cv_addr *ret);

/* Parse "aa:bb:cc:dd:ee:ff" (also '-' separated); -EINVAL otherwise. */
int cv_mac_parse(const char *text, struct cv_mac *ret);

/* Format as lower-case "aa:bb:cc:dd:ee:ff" into buf (>= CV_MAC_STRLEN). */
const char *cv_mac_format(const struct cv_mac *m, char *buf, size_t len);
