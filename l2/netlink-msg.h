/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rtnetlink messages for addresses and links: building requests into a
 * caller buffer and parsing what the kernel sends, with no socket I/O, so
 * that the parsers can be fuzzed (tests/fuzz/fuzz-netlink-msg.c) and the
 * builders unit-tested. netlink.c does the I/O.
 */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/netlink.h>

#include "addr.h"

/*
 * Whose an address is: its IFA_PROTO byte, which the kernel keeps with it.
 * The kernel reserves 0..3 (IFAPROT_UNSPEC, _KERNEL_LO, _KERNEL_RA,
 * _KERNEL_LL) and iproute2 names none above that, so any other value marks
 * an address some tool added on purpose. Each owner of corovip addresses has
 * its own value (core/config.h: CV_TAG_*, cv_config_address_tag) and removes
 * only addresses that carry it.
 */

#define CV_NL_LIFETIME_FOREVER UINT32_MAX /* the kernel's INFINITY_LIFE_TIME */
#define CV_NL_MSG_MAX	       256	  /* extended-ACK text we keep */
#define CV_NL_ADDR_MSG_MAX     128	  /* bytes one address request needs */

/* What we ask for. */
enum cv_nl_op {
	CV_NL_ADD,   /* create (NLM_F_EXCL); an existing address counts as done */
	CV_NL_RENEW, /* replace lifetimes; the kernel re-creates a missing address */
	CV_NL_DEL,   /* remove; a missing address counts as done */
	_CV_NL_OP_MAX,
	_CV_NL_OP_INVALID = -EINVAL,
};

struct cv_nl_addr_req {
	struct cv_addr addr;
	int ifindex;
	uint32_t lease_s; /* valid_lft (and preferred_lft) in seconds; 0 = forever */
	bool nodad;	  /* IPv6: IFA_F_NODAD */
	bool deprecated;  /* preferred_lft 0: never chosen as a source address */
	uint8_t tag;	  /* IFA_PROTO, the owner's tag; 0 = none */
};

/* An address as the kernel reports it (RTM_NEWADDR, RTM_DELADDR). */
struct cv_nl_addr {
	struct cv_addr addr; /* IFA_LOCAL (IFA_ADDRESS when absent) and prefix length */
	int ifindex;
	uint32_t flags; /* IFA_F_*: IFA_FLAGS, else the header's 8 bits */
	uint8_t proto;	/* IFA_PROTO; 0 when absent */
	uint8_t scope;
	uint32_t valid_s; /* remaining; CV_NL_LIFETIME_FOREVER */
	uint32_t preferred_s;
};

/* A link (RTM_NEWLINK, RTM_DELLINK). */
struct cv_nl_link {
	int ifindex;
	char name[16];
	uint32_t flags; /* IFF_* */
	uint16_t type;	/* ARPHRD_* */
	uint8_t mac[6];
	uint8_t mac_len; /* 6 for Ethernet; 0 when the link has none */
};

const char *cv_nl_op_to_string(enum cv_nl_op op);

/* What the kernel's answer raw means for op: the idempotent ones (-EEXIST on
 * add, -EADDRNOTAVAIL on delete) count as done (style.md 4.2). */
int cv_nl_op_outcome(enum cv_nl_op op, int raw);

/*
 * Can the link carry a VIP's traffic: administratively up and with a
 * carrier (IFF_UP and IFF_LOWER_UP)?
 */
bool cv_nl_link_is_up(const struct cv_nl_link *l);

/*
 * Put one address request (NLM_F_REQUEST | NLM_F_ACK, seq) at buf, which has
 * len bytes. Returns the message length, -EINVAL (bad family, ifindex or op)
 * or -ENOBUFS (buf too short; CV_NL_ADDR_MSG_MAX always fits).
 */
int cv_nl_msg_put_addr(void *buf, size_t len, enum cv_nl_op op, const struct cv_nl_addr_req *r,
		       uint32_t seq);

/* An RTM_GETADDR dump request (family AF_UNSPEC for both; ifindex 0 for all). */
int cv_nl_msg_put_addr_dump(void *buf, size_t len, int family, int ifindex, uint32_t seq);

/* An RTM_GETLINK request for one link by name. */
int cv_nl_msg_put_getlink(void *buf, size_t len, const char *name, uint32_t seq);

/*
 * Parse an RTM_NEWADDR/RTM_DELADDR message. Returns 0, -ENOMSG (another
 * message type) or -EBADMSG (truncated or malformed).
 */
int cv_nl_msg_parse_addr(const struct nlmsghdr *nlh, struct cv_nl_addr *ret);

/* Parse an RTM_NEWLINK/RTM_DELLINK message; same returns. */
int cv_nl_msg_parse_link(const struct nlmsghdr *nlh, struct cv_nl_link *ret);

/*
 * Parse an NLMSG_ERROR message: *ret_err is its code (0 for an ACK, else a
 * negative errno) and msg (msglen bytes, may be NULL) receives the
 * extended-ACK text (NLMSGERR_ATTR_MSG) or "". Returns 0, -ENOMSG or -EBADMSG.
 */
int cv_nl_msg_parse_error(const struct nlmsghdr *nlh, int *ret_err, char *msg, size_t msglen);

/*
 * Call cb for each complete message in buf (len bytes, as received). cb
 * returns 0 to go on, > 0 to stop (the walk returns that value) or < 0 to
 * fail (likewise). A trailing partial message is -EBADMSG.
 */
typedef int (*cv_nl_msg_cb)(const struct nlmsghdr *nlh, void *userdata);
int cv_nl_msg_walk(const void *buf, size_t len, cv_nl_msg_cb cb, void *userdata);
