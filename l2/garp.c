/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
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
cv_garp_packet_open(int ifindex, uint16_t ethertype, bool send_only)
{
	static const struct sock_filter drop_all[] = { BPF_STMT(BPF_RET | BPF_K, 0) };
	const struct sock_fprog prog = {
		.len = ELEMENTSOF(drop_all),
		.filter = (struct sock_filter *)drop_all,
	};
	const struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ethertype),
		.sll_ifindex = ifindex,
	};
	int one = 1;
	/* Protocol 0 receives nothing until bind; the filter is in place before. */
	_cleanup_close_ int fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return -errno;
	if (send_only && setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0)
		return -errno;
	/* A listener wants the others' frames, not copies of what we send
	 * (Linux >= 4.20; before, the sender MAC check drops ours too). */
	if (!send_only)
		(void)setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)&sll, sizeof(sll)) < 0)
		return -errno;
	return TAKE_FD(fd);
}

int
cv_garp_open(int ifindex)
{
	return cv_garp_packet_open(ifindex, ETH_P_ARP, true);
}

int
cv_garp_open_listen(int ifindex)
{
	return cv_garp_packet_open(ifindex, ETH_P_ARP, false);
}

int
cv_garp_send_frame(int fd, int ifindex, uint16_t ethertype, const uint8_t *buf, size_t len,
		   const struct cv_mac *dest)
{
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ethertype),
		.sll_ifindex = ifindex,
		.sll_halen = CV_MAC_LEN,
	};

	memcpy(sll.sll_addr, dest->bytes, CV_MAC_LEN);
	if (sendto(fd, buf, len, 0, (const struct sockaddr *)&sll, sizeof(sll)) < 0)
		return -errno;
	return 0;
}

int
cv_garp_send(int fd, int ifindex, enum cv_garp form, const struct cv_addr *vip,
	     const struct cv_mac *mac)
{
	uint8_t buf[CV_ARP_PACKET_LEN];
	struct cv_mac dest;
	int len = cv_arp_packet_garp(form, vip, mac, buf, sizeof(buf), &dest);

	return len < 0 ? len : cv_garp_send_frame(fd, ifindex, ETH_P_ARP, buf, (size_t)len, &dest);
}

int
cv_garp_send_probe(int fd, int ifindex, const struct cv_addr *vip, const struct cv_mac *mac)
{
	uint8_t buf[CV_ARP_PACKET_LEN];
	struct cv_mac dest;
	int len = cv_arp_packet_probe(vip, mac, buf, sizeof(buf), &dest);

	return len < 0 ? len : cv_garp_send_frame(fd, ifindex, ETH_P_ARP, buf, (size_t)len, &dest);
}

int
cv_garp_recv(int fd, struct cv_arp_info *ret, int *ret_ifindex)
{
	uint8_t buf[256];
	struct sockaddr_ll from = {};
	socklen_t flen = sizeof(from);
	ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);

	if (n < 0)
		return -errno;
	/* Ours, looped back where PACKET_IGNORE_OUTGOING is missing. */
	if (from.sll_pkttype == PACKET_OUTGOING)
		return -ENOMSG;
	if (cv_arp_packet_parse_arp(buf, (size_t)n, ret) < 0)
		return -ENOMSG;
	if (ret_ifindex)
		*ret_ifindex = from.sll_ifindex;
	return 0;
}

/*
 * Closing an AF_PACKET socket waits for an RCU grace period (packet_release()
 * calls synchronize_net(): 10-20 ms here), which would dominate a one-shot
 * CLI's run time. A child that lives until we exit (it reads a pipe we hold)
 * inherits the socket and drops the last reference; our own close is then
 * immediate. A long-lived daemon keeps its socket and never pays this.
 */
void
cv_garp_close_detached(int fd)
{
	int p[2];
	pid_t pid;

	if (fd < 0 || pipe2(p, O_CLOEXEC) < 0)
		return;
	pid = fork();
	if (pid == 0) {
		char c;

		close(p[1]);
		(void)!read(p[0], &c, 1); /* EOF: the parent is gone */
		_exit(0);
	}
	close(p[0]);
	if (pid < 0)
		close(p[1]);
	/* Otherwise p[1] stays open until our exit, which releases the child. */
}
