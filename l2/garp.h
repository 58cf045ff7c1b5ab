/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ARP over AF_PACKET/SOCK_DGRAM sockets bound to one interface (the kernel
 * writes the Ethernet header): gratuitous ARP and RFC 5227 probes out, with
 * a drop-all filter so that a send-only socket never queues received
 * frames; and a listener for the others' ARP (probe replies, conflicts).
 * The bytes come from core/arp-packet.c. One frame per call: pacing is the
 * caller's.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "arp-packet.h"
#include "config.h"

/*
 * An AF_PACKET/SOCK_DGRAM socket for ethertype on ifindex (0: every
 * interface, to listen): close-on-exec, non-blocking. send_only attaches the
 * drop-all filter. Returns the fd or -errno.
 */
int cv_garp_packet_open(int ifindex, uint16_t ethertype, bool send_only);

/* A send-only ARP socket for ifindex. Returns the fd or -errno. */
int cv_garp_open(int ifindex);

/* An ARP listener on ifindex (0: all), our own frames left out. Returns the fd or -errno. */
int cv_garp_open_listen(int ifindex);

/* Send len bytes of ethertype to dest on ifindex over a cv_garp_packet_open() socket. */
int cv_garp_send_frame(int fd, int ifindex, uint16_t ethertype, const uint8_t *buf, size_t len,
		       const struct cv_mac *dest);

/*
 * Send one gratuitous ARP for vip (IPv4) from mac in form CV_GARP_REQUEST or
 * CV_GARP_REPLY. Returns 0 or -errno (-ENETDOWN on a down link, -EAGAIN when
 * the device queue is full: retry on the next tick).
 */
int cv_garp_send(int fd, int ifindex, enum cv_garp form, const struct cv_addr *vip,
		 const struct cv_mac *mac);

/* Send one ARP probe (sender IP 0.0.0.0) for vip from mac; as cv_garp_send(). */
int cv_garp_send_probe(int fd, int ifindex, const struct cv_addr *vip, const struct cv_mac *mac);

/*
 * Read one frame from a listener: 0 with the parsed frame and the interface
 * it came in on (ret_ifindex may be NULL), -ENOMSG for one to skip (not
 * Ethernet/IPv4 ARP, or ours), -EAGAIN when nothing is queued, or -errno.
 */
int cv_garp_recv(int fd, struct cv_arp_info *ret, int *ret_ifindex);

/*
 * For a process about to exit (one-shot runs): hand fd's last close to a
 * child that lives until we exit, so that neither this close nor our exit
 * waits for the RCU grace period an AF_PACKET close takes (10-20 ms). The
 * caller still closes its own fd. A no-op for fd < 0.
 */
void cv_garp_close_detached(int fd);
