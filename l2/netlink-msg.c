/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>

#include "compat.h"
#include "cv-macros.h"
#include "netlink-msg.h"

const char *
cv_nl_op_to_string(enum cv_nl_op op)
{
	static const char *const names[_CV_NL_OP_MAX] = {
		[CV_NL_ADD] = "add",
		[CV_NL_RENEW] = "renew",
		[CV_NL_DEL] = "delete",
	};

	return (unsigned)op < ELEMENTSOF(names) ? names[op] : "?";
}

int
cv_nl_op_outcome(enum cv_nl_op op, int raw)
{
	if ((op == CV_NL_ADD && raw == -EEXIST) || (op == CV_NL_DEL && raw == -EADDRNOTAVAIL))
		return 0;
	return raw;
}

bool
cv_nl_link_is_up(const struct cv_nl_link *l)
{
	return (l->flags & IFF_UP) && (l->flags & IFF_LOWER_UP);
}

static int
family_ok(const struct cv_addr *a)
{
	return a->family == AF_INET || a->family == AF_INET6;
}

/* valid/preferred for IFA_CACHEINFO: the lease, or forever; deprecated = preferred 0. */
static struct ifa_cacheinfo
lifetimes(const struct cv_nl_addr_req *r)
{
	uint32_t valid = r->lease_s ? r->lease_s : CV_NL_LIFETIME_FOREVER;

	return (struct ifa_cacheinfo){
		.ifa_valid = valid,
		.ifa_prefered = r->deprecated ? 0 : valid,
	};
}

static uint32_t
addr_flags(const struct cv_nl_addr_req *r)
{
	/* NODAD: the VIP is usable (and announceable) at once; DAD would hold it
	 * tentative for a second and fail the move on a stale duplicate. */
	return r->addr.family == AF_INET6 && r->nodad ? IFA_F_NODAD : 0;
}

static uint16_t
addr_nlmsg_flags(enum cv_nl_op op)
{
	switch (op) {
	case CV_NL_ADD:
		return NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
	case CV_NL_RENEW:
		return NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE;
	default:
		return NLM_F_REQUEST | NLM_F_ACK;
	}
}

int
cv_nl_msg_put_addr(void *buf, size_t len, enum cv_nl_op op, const struct cv_nl_addr_req *r,
		   uint32_t seq)
{
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;
	size_t alen = cv_addr_len(&r->addr);
	bool ok;

	if (!family_ok(&r->addr) || r->ifindex <= 0 || (unsigned)op >= _CV_NL_OP_MAX)
		return -EINVAL;
	if (len < mnl_nlmsg_size(sizeof(*ifa)))
		return -ENOBUFS;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = op == CV_NL_DEL ? RTM_DELADDR : RTM_NEWADDR;
	nlh->nlmsg_flags = addr_nlmsg_flags(op);
	nlh->nlmsg_seq = seq;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = r->addr.family;
	ifa->ifa_prefixlen = r->addr.prefixlen;
	ifa->ifa_index = (uint32_t)r->ifindex;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;

	ok = mnl_attr_put_check(nlh, len, IFA_LOCAL, alen, r->addr.bytes) &&
	     mnl_attr_put_check(nlh, len, IFA_ADDRESS, alen, r->addr.bytes) &&
	     (!r->tag || mnl_attr_put_u8_check(nlh, len, IFA_PROTO, r->tag));
	if (ok && op != CV_NL_DEL) {
		struct ifa_cacheinfo ci = lifetimes(r);
		uint32_t flags = addr_flags(r);

		ifa->ifa_flags = (uint8_t)flags;
		ok = mnl_attr_put_u32_check(nlh, len, IFA_FLAGS, flags) &&
		     mnl_attr_put_check(nlh, len, IFA_CACHEINFO, sizeof(ci), &ci);
	}
	return ok ? (int)nlh->nlmsg_len : -ENOBUFS;
}

int
cv_nl_msg_put_addr_dump(void *buf, size_t len, int family, int ifindex, uint32_t seq)
{
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;

	if (ifindex < 0)
		return -EINVAL;
	if (len < mnl_nlmsg_size(sizeof(*ifa)))
		return -ENOBUFS;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETADDR;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = (uint8_t)family;
	/* Honoured with NETLINK_GET_STRICT_CHK (Linux >= 4.20); we filter again. */
	ifa->ifa_index = (uint32_t)ifindex;
	return (int)nlh->nlmsg_len;
}

int
cv_nl_msg_put_getlink(void *buf, size_t len, const char *name, uint32_t seq)
{
	struct nlmsghdr *nlh;
	size_t n = strlen(name);

	if (n == 0 || n >= IFNAMSIZ)
		return -EINVAL;
	if (len < mnl_nlmsg_size(sizeof(struct ifinfomsg)))
		return -ENOBUFS;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = seq;
	mnl_nlmsg_put_extra_header(nlh, sizeof(struct ifinfomsg));
	if (!mnl_attr_put_strz_check(nlh, len, IFLA_IFNAME, name))
		return -ENOBUFS;
	return (int)nlh->nlmsg_len;
}

/* ---- parsing ---- */

struct attrs {
	const struct nlattr *tb[64];
};

static int
collect_attr(const struct nlattr *attr, void *data)
{
	struct attrs *a = data;
	uint16_t type = mnl_attr_get_type(attr);

	if (type < ELEMENTSOF(a->tb))
		a->tb[type] = attr;
	return MNL_CB_OK;
}

static int
parse_attrs(const struct nlmsghdr *nlh, size_t hdrlen, struct attrs *ret)
{
	if (nlh->nlmsg_len < mnl_nlmsg_size(hdrlen))
		return -EBADMSG;
	*ret = (struct attrs){};
	if (mnl_attr_parse(nlh, (unsigned)hdrlen, collect_attr, ret) < 0)
		return -EBADMSG;
	return 0;
}

/* Copy an address attribute of exactly the family's length. */
static int
get_addr(const struct nlattr *attr, const struct ifaddrmsg *ifa, struct cv_addr *a)
{
	size_t alen = ifa->ifa_family == AF_INET6 ? 16 : 4;

	if (mnl_attr_get_payload_len(attr) != alen)
		return -EBADMSG;
	*a = (struct cv_addr){ .family = ifa->ifa_family, .prefixlen = ifa->ifa_prefixlen };
	memcpy(a->bytes, mnl_attr_get_payload(attr), alen);
	return 0;
}

static int
get_addr_extras(const struct attrs *at, struct cv_nl_addr *a)
{
	const struct nlattr *flags = at->tb[IFA_FLAGS], *ci = at->tb[IFA_CACHEINFO];
	const struct nlattr *proto = at->tb[IFA_PROTO];

	if (flags) {
		if (mnl_attr_validate(flags, MNL_TYPE_U32) < 0)
			return -EBADMSG;
		a->flags = mnl_attr_get_u32(flags);
	}
	if (proto) {
		if (mnl_attr_validate(proto, MNL_TYPE_U8) < 0)
			return -EBADMSG;
		a->proto = mnl_attr_get_u8(proto);
	}
	if (ci) {
		struct ifa_cacheinfo c;

		if (mnl_attr_get_payload_len(ci) < sizeof(c))
			return -EBADMSG;
		memcpy(&c, mnl_attr_get_payload(ci), sizeof(c));
		a->valid_s = c.ifa_valid;
		a->preferred_s = c.ifa_prefered;
	}
	return 0;
}

int
cv_nl_msg_parse_addr(const struct nlmsghdr *nlh, struct cv_nl_addr *ret)
{
	struct ifaddrmsg ifa;
	struct cv_nl_addr a = { .valid_s = CV_NL_LIFETIME_FOREVER,
				.preferred_s = CV_NL_LIFETIME_FOREVER };
	struct attrs at;
	const struct nlattr *addr;
	int r;

	if (nlh->nlmsg_type != RTM_NEWADDR && nlh->nlmsg_type != RTM_DELADDR)
		return -ENOMSG;
	r = parse_attrs(nlh, sizeof(ifa), &at);
	if (r < 0)
		return r;
	memcpy(&ifa, mnl_nlmsg_get_payload(nlh), sizeof(ifa));
	if (ifa.ifa_family != AF_INET && ifa.ifa_family != AF_INET6)
		return -EBADMSG;
	if (ifa.ifa_prefixlen > (ifa.ifa_family == AF_INET6 ? 128 : 32))
		return -EBADMSG;
	/* IPv4: IFA_LOCAL is ours, IFA_ADDRESS the peer on point-to-point links. */
	addr = at.tb[IFA_LOCAL] ? at.tb[IFA_LOCAL] : at.tb[IFA_ADDRESS];
	if (!addr)
		return -EBADMSG;
	r = get_addr(addr, &ifa, &a.addr);
	if (r < 0)
		return r;
	a.ifindex = (int)ifa.ifa_index;
	a.flags = ifa.ifa_flags;
	a.scope = ifa.ifa_scope;
	r = get_addr_extras(&at, &a);
	if (r < 0)
		return r;
	*ret = a;
	return 0;
}

int
cv_nl_msg_parse_link(const struct nlmsghdr *nlh, struct cv_nl_link *ret)
{
	struct ifinfomsg ifi;
	struct cv_nl_link l = {};
	struct attrs at;
	const struct nlattr *name, *mac;
	int r;

	if (nlh->nlmsg_type != RTM_NEWLINK && nlh->nlmsg_type != RTM_DELLINK)
		return -ENOMSG;
	r = parse_attrs(nlh, sizeof(ifi), &at);
	if (r < 0)
		return r;
	memcpy(&ifi, mnl_nlmsg_get_payload(nlh), sizeof(ifi));
	name = at.tb[IFLA_IFNAME];
	if (!name || mnl_attr_validate(name, MNL_TYPE_NUL_STRING) < 0 ||
	    mnl_attr_get_payload_len(name) > sizeof(l.name))
		return -EBADMSG;
	memcpy(l.name, mnl_attr_get_str(name), mnl_attr_get_payload_len(name));
	l.name[sizeof(l.name) - 1] = '\0';
	mac = at.tb[IFLA_ADDRESS];
	if (mac && mnl_attr_get_payload_len(mac) == sizeof(l.mac)) {
		memcpy(l.mac, mnl_attr_get_payload(mac), sizeof(l.mac));
		l.mac_len = sizeof(l.mac);
	}
	l.ifindex = ifi.ifi_index;
	l.flags = ifi.ifi_flags;
	l.type = ifi.ifi_type;
	*ret = l;
	return 0;
}

/* The extended-ACK TLVs follow the error and the (possibly capped) request. */
static void
ext_ack_text(const struct nlmsghdr *nlh, const struct nlmsgerr *e, char *msg, size_t msglen)
{
	size_t off = sizeof(*e), payload = mnl_nlmsg_get_payload_len(nlh);
	const struct nlattr *attr;

	if (!(nlh->nlmsg_flags & NLM_F_CAPPED) && e->msg.nlmsg_len > sizeof(e->msg))
		off = sizeof(e->error) + NLMSG_ALIGN(e->msg.nlmsg_len);
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS) || off >= payload)
		return;
	const void *tlvs = (const char *)mnl_nlmsg_get_payload(nlh) + off;
	size_t tlvs_len = payload - off;

	mnl_attr_for_each_payload(tlvs, tlvs_len)
	{
		size_t n;

		if (mnl_attr_get_type(attr) != NLMSGERR_ATTR_MSG ||
		    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0)
			continue;
		n = strnlen(mnl_attr_get_str(attr), mnl_attr_get_payload_len(attr));
		if (n >= msglen)
			n = msglen - 1;
		memcpy(msg, mnl_attr_get_str(attr), n);
		msg[n] = '\0';
	}
}

int
cv_nl_msg_parse_error(const struct nlmsghdr *nlh, int *ret_err, char *msg, size_t msglen)
{
	struct nlmsgerr e;

	if (nlh->nlmsg_type != NLMSG_ERROR)
		return -ENOMSG;
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(e))
		return -EBADMSG;
	memcpy(&e, mnl_nlmsg_get_payload(nlh), sizeof(e));
	/* The kernel sends 0 or -errno; anything else is not an errno. */
	if (e.error > 0 || e.error < -4095)
		return -EBADMSG;
	if (msg && msglen > 0) {
		msg[0] = '\0';
		ext_ack_text(nlh, &e, msg, msglen);
	}
	*ret_err = e.error;
	return 0;
}

/*
 * Stricter than mnl_nlmsg_ok(), which the fuzzer got past twice: it compares
 * (int)nlmsg_len, so a length above INT_MAX passes as negative, and libmnl's
 * attribute walk runs to the *aligned* end of a message, past a buffer that
 * ends unaligned. The kernel always pads, so demand the padding too.
 */
static bool
msg_ok(const struct nlmsghdr *nlh, int left)
{
	return left >= (int)sizeof(*nlh) && nlh->nlmsg_len >= sizeof(*nlh) &&
	       nlh->nlmsg_len <= (uint32_t)left && NLMSG_ALIGN(nlh->nlmsg_len) <= (uint32_t)left;
}

int
cv_nl_msg_walk(const void *buf, size_t len, cv_nl_msg_cb cb, void *userdata)
{
	const struct nlmsghdr *nlh = buf;
	int left = (int)CV_MIN(len, (size_t)INT32_MAX);

	while (msg_ok(nlh, left)) {
		int r = cb(nlh, userdata);

		if (r != 0)
			return r;
		nlh = mnl_nlmsg_next(nlh, &left);
	}
	return left == 0 ? 0 : -EBADMSG;
}
