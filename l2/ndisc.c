/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <netinet/icmp6.h>
#include <netinet/in.h>

#include <linux/if_ether.h>

#include "arp-packet.h"
#include "fd-util.h"
#include "garp.h"
#include "ndisc.h"

static int
set_int(int fd, int level, int opt, int v)
{
	return setsockopt(fd, level, opt, &v, sizeof(v)) < 0 ? -errno : 0;
}

/* A raw ICMPv6 socket that receives only type pass (0: nothing). */
static int
open_icmp6(int pass)
{
	struct icmp6_filter filter;
	_cleanup_close_ int fd =
	    socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_ICMPV6);

	if (fd < 0)
		return -errno;
	ICMP6_FILTER_SETBLOCKALL(&filter);
	if (pass)
		ICMP6_FILTER_SETPASS(pass, &filter);
	if (setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &filter, sizeof(filter)) < 0)
		return -errno;
	return TAKE_FD(fd);
}

int
cv_ndisc_open(int ifindex)
{
	/* Send-only: let no received ICMPv6 queue up on this socket. */
	_cleanup_close_ int fd = open_icmp6(0);
	int r;

	if (fd < 0)
		return fd;
	/* Receivers drop neighbour discovery with a hop limit below 255 (RFC 4861 7.1.2). */
	r = set_int(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, 255);
	if (r == 0)
		r = set_int(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, 255);
	if (r == 0)
		r = set_int(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, 0);
	if (r == 0)
		r = set_int(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, ifindex);
	if (r < 0)
		return r;
	return TAKE_FD(fd);
}

int
cv_ndisc_send_na(int fd, int ifindex, const struct cv_addr *vip, const struct cv_mac *mac,
		 bool router)
{
	uint8_t buf[CV_NA_PACKET_LEN];
	union {
		struct cmsghdr align;
		uint8_t bytes[CMSG_SPACE(sizeof(struct in6_pktinfo))];
	} control = {};
	struct cv_addr dest;
	struct sockaddr_in6 to = { .sin6_family = AF_INET6, .sin6_scope_id = (uint32_t)ifindex };
	struct iovec iov = { .iov_base = buf };
	struct msghdr mh = {
		.msg_name = &to,
		.msg_namelen = sizeof(to),
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = control.bytes,
		.msg_controllen = sizeof(control.bytes),
	};
	struct in6_pktinfo pi = { .ipi6_ifindex = (unsigned)ifindex };
	struct cmsghdr *cm;
	int len = cv_arp_packet_na(vip, mac, router, buf, sizeof(buf), &dest);

	if (len < 0)
		return len;
	iov.iov_len = (size_t)len;
	memcpy(&to.sin6_addr, dest.bytes, 16);
	/* Source = the VIP: receivers learn the target from the NA, but a
	 * link-local source would need the VIP's node to own one too. */
	memcpy(&pi.ipi6_addr, vip->bytes, 16);
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = IPPROTO_IPV6;
	cm->cmsg_type = IPV6_PKTINFO;
	cm->cmsg_len = CMSG_LEN(sizeof(pi));
	memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
	if (sendmsg(fd, &mh, 0) < 0)
		return -errno;
	return 0;
}

bool
cv_ndisc_is_router(const char *ifname)
{
	char path[128], c = '0';
	FILE *f;

	if (snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/forwarding", ifname) < 0)
		return false;
	f = fopen(path, "re");
	if (!f)
		return false;
	if (fread(&c, 1, 1, f) != 1)
		c = '0';
	fclose(f);
	return c == '1';
}

int
cv_ndisc_open_dad(int ifindex)
{
	return cv_garp_packet_open(ifindex, ETH_P_IPV6, true);
}

int
cv_ndisc_send_dad_ns(int fd, int ifindex, const struct cv_addr *vip)
{
	uint8_t buf[CV_DAD_NS_PACKET_LEN];
	struct cv_mac dest;
	int len = cv_arp_packet_dad_ns(vip, buf, sizeof(buf), &dest);

	return len < 0 ? len : cv_garp_send_frame(fd, ifindex, ETH_P_IPV6, buf, (size_t)len, &dest);
}

int
cv_ndisc_open_listen(int ifindex)
{
	_cleanup_close_ int fd = open_icmp6(ND_NEIGHBOR_ADVERT);
	int r;

	if (fd < 0)
		return fd;
	r = set_int(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1);
	if (r == 0 && ifindex > 0)
		r = set_int(fd, SOL_SOCKET, SO_BINDTOIFINDEX, ifindex);
	if (r < 0)
		return r;
	return TAKE_FD(fd);
}

/* The interface an NA came in on, from its IPV6_PKTINFO. */
static int
arrival_ifindex(struct msghdr *mh)
{
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm))
		if (cm->cmsg_level == IPPROTO_IPV6 && cm->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;

			memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
			return (int)pi.ipi6_ifindex;
		}
	return 0;
}

int
cv_ndisc_recv_na(int fd, struct cv_na_info *ret, int *ret_ifindex)
{
	uint8_t buf[512];
	union {
		struct cmsghdr align;
		uint8_t bytes[CMSG_SPACE(sizeof(struct in6_pktinfo))];
	} control;
	struct sockaddr_in6 from;
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
	struct msghdr mh = {
		.msg_name = &from,
		.msg_namelen = sizeof(from),
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = control.bytes,
		.msg_controllen = sizeof(control.bytes),
	};
	ssize_t n = recvmsg(fd, &mh, 0);

	if (n < 0)
		return -errno;
	if (cv_arp_packet_parse_na(buf, (size_t)n, ret) < 0)
		return -ENOMSG;
	if (ret_ifindex)
		*ret_ifindex = arrival_ifindex(&mh);
	return 0;
}
