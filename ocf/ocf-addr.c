/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>

#include "cv-macros.h"
#include "netlink.h"
#include "ocf-addr.h"

static void
nl_freep(struct cv_nl **nl)
{
	cv_nl_free(*nl);
}

/* Whether net (its prefix) contains a's host. */
static bool
contains(const struct cv_addr *net, const struct cv_addr *a)
{
	unsigned bits = net->prefixlen, bytes = bits / 8;

	if (net->family != a->family || memcmp(net->bytes, a->bytes, bytes) != 0)
		return false;
	return bits % 8 == 0 ||
	       ((net->bytes[bytes] ^ a->bytes[bytes]) & (uint8_t)(0xff << (8 - bits % 8))) == 0;
}

/* The node's addresses of a's family, on ifindex (0: every interface). */
static int
dump(const struct cv_addr *a, unsigned ifindex, struct cv_nl_addr **ret, size_t *ret_n)
{
	_cleanup_(nl_freep) struct cv_nl *nl = NULL;
	int r = cv_nl_new(&nl);

	return r < 0 ? r : cv_nl_addr_dump(nl, a->family, (int)ifindex, ret, ret_n);
}

static int
name_of(const struct cv_nl_addr *x, char *ret_ifname, size_t len, uint8_t *ret_plen)
{
	char name[IF_NAMESIZE];

	if (!if_indextoname((unsigned)x->ifindex, name) || strlen(name) >= len)
		return -ENXIO;
	if (ret_plen)
		*ret_plen = x->addr.prefixlen;
	memcpy(ret_ifname, name, strlen(name) + 1);
	return 0;
}

int
ocf_findif(const struct cv_addr *a, const char *nic, uint8_t *ret_plen, char *ret_ifname,
	   size_t len)
{
	_cleanup_free_ struct cv_nl_addr *v = NULL;
	const struct cv_nl_addr *best = NULL;
	unsigned host = a->family == AF_INET ? 32 : 128, ifindex = 0;
	size_t n = 0;
	int r;

	if (nic[0] && !(ifindex = if_nametoindex(nic)))
		return -ENXIO;
	r = dump(a, ifindex, &v, &n);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++)
		if (v[i].addr.prefixlen < host && contains(&v[i].addr, a) &&
		    (!best || v[i].addr.prefixlen > best->addr.prefixlen))
			best = &v[i];
	return best ? name_of(best, ret_ifname, len, ret_plen) : -ENXIO;
}

int
ocf_locate(const struct cv_addr *a, uint8_t tag, char *ret_ifname, size_t len, uint8_t *ret_plen)
{
	_cleanup_free_ struct cv_nl_addr *v = NULL;
	size_t n = 0;
	int r = dump(a, 0, &v, &n);

	for (size_t i = 0; r == 0 && i < n; i++)
		if (v[i].proto == tag && cv_addr_same_host(&v[i].addr, a))
			return name_of(&v[i], ret_ifname, len, ret_plen);
	return r < 0 ? r : -ENOENT;
}
