/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "netlink.h"

/* corovip-l2 monitor IFACE: events until SIGTERM/SIGINT. 0 or -errno (printed). */
int cv_l2_cli_monitor(struct cv_nl *nl, const char *ifname, int ifindex, uint32_t rcvbuf,
		      bool no_ipv4_new);
