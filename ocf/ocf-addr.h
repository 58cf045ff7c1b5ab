/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Where an address is or belongs, from the kernel's own list (netlink):
 * which interface and prefix an address belongs on when the resource does
 * not say (IPaddr2's findif: the interface with an address whose network
 * contains it, the longest such prefix), and where our tagged address is
 * (monitor and stop look for it wherever it is: a nic whose network address
 * went away must not hide it).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "addr.h"

/*
 * a's network among the node's addresses: on nic only (not ""), or on any
 * interface. *ret_plen (may be NULL: any prefix will do) its prefix length,
 * ret_ifname its interface. 0, -ENXIO (none contains a) or -errno.
 */
int ocf_findif(const struct cv_addr *a, const char *nic, uint8_t *ret_plen, char *ret_ifname,
	       size_t len);

/* Where a's host is with our tag (IFA_PROTO): 0 (ret_ifname its interface,
 * *ret_plen its prefix), -ENOENT (nowhere) or -errno. */
int ocf_locate(const struct cv_addr *a, uint8_t tag, char *ret_ifname, size_t len,
	       uint8_t *ret_plen);
