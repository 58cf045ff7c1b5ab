/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz the rtnetlink parsers (l2/netlink-msg.c) over a receive buffer:
 * walk it and parse every message as an address, a link and an error. What
 * parses must be in range (prefix within the family, text NUL-terminated);
 * anything else aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cv-macros.h"
#include "netlink-msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
check_one(const struct nlmsghdr *nlh, void *userdata)
{
	struct cv_nl_addr a;
	struct cv_nl_link l;
	char msg[CV_NL_MSG_MAX];
	int err;

	if (cv_nl_msg_parse_addr(nlh, &a) == 0 &&
	    a.addr.prefixlen > (a.addr.family == AF_INET6 ? 128 : 32))
		abort();
	if (cv_nl_msg_parse_link(nlh, &l) == 0 && strnlen(l.name, sizeof(l.name)) == sizeof(l.name))
		abort();
	if (cv_nl_msg_parse_error(nlh, &err, msg, sizeof(msg)) == 0 &&
	    (err > 0 || strnlen(msg, sizeof(msg)) == sizeof(msg)))
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Netlink buffers are 4-byte aligned; an exact-size heap copy keeps
	 * ASan watching the end. */
	_cleanup_free_ uint8_t *buf = malloc(size ? size : 1);

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	(void)cv_nl_msg_walk(buf, size, check_one, NULL);
	return 0;
}
