/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>

#include "arp-packet.h"
#include "fd-util.h"
#include "garp.h"

int
cv_garp_open(int ifindex)
{
	static const struct sock_filter drop_all[] = { BPF_STMT(BPF_RET | BPF_K, 0) };
	const struct sock_fprog prog = {
		.len = ELEMENTSOF(drop_all),
		.filter = (struct sock_filter *)drop_all,
	};
	const struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_ARP),
		.sll_ifindex = ifindex,
	};
	/* Protocol 0 receives nothing until bind; the filter is in place before. */
	_cleanup_close_ int fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0)
		return -errno;
	if (bind(fd, (const struct sockaddr *)&sll, sizeof(sll)) < 0)
		return -errno;
	return TAKE_FD(fd);
}

int
cv_garp_send(int fd, int ifindex, enum cv_garp form, const struct cv_addr *vip,
	     const struct cv_mac *mac)
{
	uint8_t buf[CV_ARP_PACKET_LEN];
	struct cv_mac dest;
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_ARP),
		.sll_ifindex = ifindex,
		.sll_halen = CV_MAC_LEN,
	};
	int len = cv_arp_packet_garp(form, vip, mac, buf, sizeof(buf), &dest);

	if (len < 0)
		return len;
	memcpy(sll.sll_addr, dest.bytes, CV_MAC_LEN);
	if (sendto(fd, buf, (size_t)len, 0, (const struct sockaddr *)&sll, sizeof(sll)) < 0)
		return -errno;
	return 0;
}
