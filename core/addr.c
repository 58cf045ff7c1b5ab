/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"
#include "cv-macros.h"

size_t
cv_addr_len(const struct cv_addr *a)
{
	return a->family == AF_INET6 ? 16 : 4;
}

static unsigned
max_prefix(int family)
{
	return family == AF_INET6 ? 128 : 32;
}

/* Decimal 0..999 without sign, spaces or leading zeros ("08" is ambiguous). */
static int
parse_prefix(const char *s, unsigned max, unsigned *ret)
{
	unsigned v = 0;
	size_t n = strlen(s);

	if (n == 0 || n > 3 || (n > 1 && s[0] == '0'))
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > max)
		return -ERANGE;
	*ret = v;
	return 0;
}

static int
parse_bare(const char *s, struct cv_addr *ret)
{
	struct cv_addr a = {};

	if (strchr(s, ':')) {
		if (inet_pton(AF_INET6, s, a.bytes) != 1)
			return -EINVAL;
		a.family = AF_INET6;
	} else {
		if (inet_pton(AF_INET, s, a.bytes) != 1)
			return -EINVAL;
		a.family = AF_INET;
	}
	a.prefixlen = (uint8_t)max_prefix(a.family);
	*ret = a;
	return 0;
}

int
cv_addr_parse(const char *text, struct cv_addr *ret)
{
	char host[INET6_ADDRSTRLEN];
	const char *slash = strchr(text, '/');
	size_t hostlen = slash ? (size_t)(slash - text) : strlen(text);
	struct cv_addr a;
	unsigned prefix;
	int r;

	if (hostlen == 0 || hostlen >= sizeof(host))
		return -EINVAL;
	memcpy(host, text, hostlen);
	host[hostlen] = '\0';
	r = parse_bare(host, &a);
	if (r < 0)
		return r;
	if (slash) {
		r = parse_prefix(slash + 1, max_prefix(a.family), &prefix);
		if (r < 0)
			return r;
		a.prefixlen = (uint8_t)prefix;
	}
	*ret = a;
	return 0;
}

int
cv_addr_parse_host(const char *text, struct cv_addr *ret)
{
	if (strchr(text, '/'))
		return -EINVAL;
	return cv_addr_parse(text, ret);
}

int
cv_endpoint_parse(const char *text, struct cv_addr *ret_addr, uint16_t *ret_port)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon = strrchr(text, ':'), *h = text;
	size_t hlen = colon ? (size_t)(colon - text) : 0;
	struct cv_addr a;
	char *end;
	unsigned long port;

	if (!colon || hlen == 0 || hlen >= sizeof(host))
		return -EINVAL;
	if (text[0] == '[') { /* [IPV6]:PORT */
		if (hlen < 3 || text[hlen - 1] != ']')
			return -EINVAL;
		h = text + 1;
		hlen -= 2;
	}
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	if (cv_addr_parse_host(host, &a) < 0 || (a.family == AF_INET6) != (text[0] == '['))
		return -EINVAL;
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (!colon[1] || *end || errno || port < 1 || port > 65535 || colon[1] == '+' ||
	    colon[1] == '-' || colon[1] == ' ')
		return -EINVAL;
	*ret_addr = a;
	*ret_port = (uint16_t)port;
	return 0;
}

const char *
cv_addr_format(const struct cv_addr *a, bool with_prefix, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN];
	int family = a->family == AF_INET6 ? AF_INET6 : AF_INET;
	int n;

	if (!inet_ntop(family, a->bytes, host, sizeof(host)))
		host[0] = '\0';
	if (with_prefix)
		n = snprintf(buf, len, "%s/%u", host, a->prefixlen);
	else
		n = snprintf(buf, len, "%s", host);
	if (n < 0 && len > 0)
		buf[0] = '\0';
	return buf;
}

int
cv_addr_compare(const struct cv_addr *a, const struct cv_addr *b)
{
	int r;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	r = memcmp(a->bytes, b->bytes, cv_addr_len(a));
	if (r != 0)
		return r < 0 ? -1 : 1;
	if (a->prefixlen != b->prefixlen)
		return a->prefixlen < b->prefixlen ? -1 : 1;
	return 0;
}

bool
cv_addr_same_host(const struct cv_addr *a, const struct cv_addr *b)
{
	return a->family == b->family && memcmp(a->bytes, b->bytes, cv_addr_len(a)) == 0;
}

int
cv_addr_ipv4_special(const struct cv_addr *a)
{
	uint32_t v, host_mask;

	if (a->family != AF_INET || a->prefixlen > 30)
		return 0;
	v = (uint32_t)a->bytes[0] << 24 | (uint32_t)a->bytes[1] << 16 |
	    (uint32_t)a->bytes[2] << 8 | a->bytes[3];
	host_mask = a->prefixlen == 0 ? UINT32_MAX : (UINT32_C(1) << (32 - a->prefixlen)) - 1;
	if ((v & host_mask) == 0)
		return 1;
	if ((v & host_mask) == host_mask)
		return 2;
	return 0;
}

static const char *const class_names[_CV_ADDR_CLASS_MAX] = {
	[CV_ADDR_CLASS_UNICAST] = "unicast",
	[CV_ADDR_CLASS_LINK_LOCAL] = "link-local",
	[CV_ADDR_CLASS_UNSPECIFIED] = "unspecified",
	[CV_ADDR_CLASS_THIS_NETWORK] = "this-network",
	[CV_ADDR_CLASS_LOOPBACK] = "loopback",
	[CV_ADDR_CLASS_MULTICAST] = "multicast",
	[CV_ADDR_CLASS_RESERVED] = "reserved",
	[CV_ADDR_CLASS_BROADCAST] = "broadcast",
	[CV_ADDR_CLASS_V4_MAPPED] = "ipv4-mapped",
};

const char *
cv_addr_class_to_string(enum cv_addr_class c)
{
	return (unsigned)c < _CV_ADDR_CLASS_MAX ? class_names[c] : NULL;
}

enum cv_addr_class
cv_addr_class_from_string(const char *s)
{
	for (size_t i = 0; i < ELEMENTSOF(class_names); i++)
		if (strcmp(class_names[i], s) == 0)
			return (enum cv_addr_class)i;
	return _CV_ADDR_CLASS_INVALID;
}

static enum cv_addr_class
classify_v4(const uint8_t *b)
{
	if (b[0] == 0)
		return (b[1] | b[2] | b[3]) ? CV_ADDR_CLASS_THIS_NETWORK
					    : CV_ADDR_CLASS_UNSPECIFIED;
	if (b[0] == 127)
		return CV_ADDR_CLASS_LOOPBACK;
	if (b[0] == 169 && b[1] == 254)
		return CV_ADDR_CLASS_LINK_LOCAL;
	if ((b[0] & 0xf0) == 0xe0)
		return CV_ADDR_CLASS_MULTICAST;
	if ((b[0] & b[1] & b[2] & b[3]) == 0xff)
		return CV_ADDR_CLASS_BROADCAST;
	if ((b[0] & 0xf0) == 0xf0)
		return CV_ADDR_CLASS_RESERVED;
	return CV_ADDR_CLASS_UNICAST;
}

/* ::ffff:0:0/96 */
static bool
is_v4_mapped(const uint8_t *b)
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };

	return memcmp(b, mapped, sizeof(mapped)) == 0;
}

static enum cv_addr_class
classify_v6(const uint8_t *b)
{
	static const uint8_t zero[15];

	if (memcmp(b, zero, sizeof(zero)) == 0 && b[15] <= 1)
		return b[15] ? CV_ADDR_CLASS_LOOPBACK : CV_ADDR_CLASS_UNSPECIFIED;
	if (b[0] == 0xff)
		return CV_ADDR_CLASS_MULTICAST;
	if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80)
		return CV_ADDR_CLASS_LINK_LOCAL;
	if (is_v4_mapped(b))
		return CV_ADDR_CLASS_V4_MAPPED;
	return CV_ADDR_CLASS_UNICAST;
}

enum cv_addr_class
cv_addr_classify(const struct cv_addr *a)
{
	return a->family == AF_INET6 ? classify_v6(a->bytes) : classify_v4(a->bytes);
}

int
cv_addr_unmap_v4(const struct cv_addr *a, struct cv_addr *ret)
{
	struct cv_addr v4 = { .family = AF_INET };

	if (a->family != AF_INET6 || !is_v4_mapped(a->bytes))
		return -EINVAL;
	memcpy(v4.bytes, a->bytes + 12, 4);
	v4.prefixlen = a->prefixlen >= 96 ? (uint8_t)(a->prefixlen - 96) : 32;
	*ret = v4;
	return 0;
}

static int
hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
cv_mac_parse(const char *text, struct cv_mac *ret)
{
	struct cv_mac m;
	char sep;

	if (strlen(text) != CV_MAC_STRLEN - 1)
		return -EINVAL;
	sep = text[2];
	if (sep != ':' && sep != '-')
		return -EINVAL;
	for (size_t i = 0; i < CV_MAC_LEN; i++) {
		const char *p = text + 3 * i;
		int hi = hex_digit(p[0]), lo = hex_digit(p[1]);

		if (hi < 0 || lo < 0 || (i + 1 < CV_MAC_LEN && p[2] != sep))
			return -EINVAL;
		m.bytes[i] = (uint8_t)(hi << 4 | lo);
	}
	*ret = m;
	return 0;
}

const char *
cv_mac_format(const struct cv_mac *m, char *buf, size_t len)
{
	const uint8_t *b = m->bytes;

	if (snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3], b[4],
		     b[5]) < 0 &&
	    len > 0)
		buf[0] = '\0';
	return buf;
}
