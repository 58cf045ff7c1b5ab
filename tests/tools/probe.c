/*
 * probe - the client's view of a VIP: one ICMP echo request every
 * INTERVAL (default 1 ms), and what came back.
 *
 * Reports the longest time between two consecutive replies (the
 * client-observed outage), lost requests, duplicate replies and, with -m,
 * which MAC answered (the link-layer source of each reply, read from a
 * packet socket), so a test sees *who* holds the VIP from outside.
 *
 * Usage: probe [-i usec] [-t sec] [-g ms] [-f] [-m] [-q] DST
 *   DST  IPv4 or IPv6 address (the VIP)
 *   -i   interval between requests in microseconds (default 1000)
 *   -t   sending time in seconds (default 10); replies are collected for
 *        100 ms more. SIGINT/SIGTERM end the run early with a summary.
 *   -g   list every gap between replies longer than this (ms, default 10)
 *   -f   exit at the first reply (waits up to -t): "is the VIP up yet?"
 *   -m   record the answering MAC of every reply
 *   -q   only the RESULT line
 *
 * Output (times are CLOCK_REALTIME seconds with 6 decimals, to be matched
 * against other logs):
 *   GAP <ms> from <t> to <t>               every gap longer than -g
 *   MAC <mac> replies=<n> first=<t> last=<t>        (-m)
 *   SWITCH <t> <old mac> -> <new mac>      answering MAC changed (-m)
 *   RESULT sent= recv= dup= lost= send_err= maxgap_ms= maxgap_start=
 *          maxgap_end= lostwin_ms= tail_lost= gaps= first_rx= last_rx=
 *          first_rx_ms= macs= last_mac= mac_switches=
 * first_rx_ms is the time from the first request to the first reply;
 * tail_lost > 0 means the run ended inside an outage (not in maxgap).
 * Exit status: 0 if any reply came back, 3 if none, 2 on usage errors,
 * 1 on system errors. Needs CAP_NET_RAW.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <netinet/icmp6.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "tool-util.h"

#define PROBE_MAGIC 0x70726f62u /* "prob" */
#define MAX_GAPS    256
#define MAX_MACS    16
#define MAX_SWITCH  64

#ifndef ICMP_FILTER
#define ICMP_FILTER 1 /* <linux/icmp.h>, which clashes with <netinet/ip_icmp.h> */
#endif

struct payload {
	uint32_t magic;
	uint32_t seq;
	uint64_t tx_ns;
};

struct span {
	uint64_t start, end; /* CLOCK_MONOTONIC ns */
};

struct mac_stat {
	uint8_t mac[ETH_ALEN];
	uint64_t replies, first, last;
};

struct mac_switch {
	uint64_t t;
	int from, to;
};

struct opts {
	long interval_us;
	double duration_s, gap_ms;
	bool first_only, want_mac, quiet;
	int family;
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} dst;
};

struct stats {
	uint64_t sent, recv, dup, send_err;
	uint64_t first_tx, first_rx, last_rx;
	uint64_t maxgap, maxgap_start, maxgap_end;
	uint64_t ngaps;
	struct span gaps[MAX_GAPS];
	uint8_t *seen; /* one bit per request */
	uint64_t nslots;
	struct mac_stat macs[MAX_MACS];
	int nmacs, cur_mac;
	struct mac_switch switches[MAX_SWITCH];
	uint64_t nswitches;
};


static uint16_t
inet_csum(const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint32_t sum = 0;

	for (; len > 1; p += 2, len -= 2)
		sum += (uint32_t)(p[0] | p[1] << 8);
	if (len)
		sum += p[0];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void
usage(void)
{
	fprintf(stderr, "usage: probe [-i usec] [-t sec] [-g ms] [-f] [-m] [-q] DST\n");
	exit(2);
}

static bool
parse_double(const char *s, double *ret)
{
	char *end;

	errno = 0;
	*ret = strtod(s, &end);
	return errno == 0 && end != s && *end == '\0';
}

static void
parse_opts(int argc, char **argv, struct opts *o)
{
	int c;
	double v;

	*o = (struct opts){ .interval_us = 1000, .duration_s = 10.0, .gap_ms = 10.0 };
	while ((c = getopt(argc, argv, "i:t:g:fmq")) != -1) {
		switch (c) {
		case 'i':
			if (!parse_double(optarg, &v) || v < 50 || v > 1e7)
				usage();
			o->interval_us = (long)v;
			break;
		case 't':
			if (!parse_double(optarg, &v) || v <= 0 || v > 86400)
				usage();
			o->duration_s = v;
			break;
		case 'g':
			if (!parse_double(optarg, &v) || v < 0)
				usage();
			o->gap_ms = v;
			break;
		case 'f':
			o->first_only = true;
			break;
		case 'm':
			o->want_mac = true;
			break;
		case 'q':
			o->quiet = true;
			break;
		default:
			usage();
		}
	}
	if (optind != argc - 1)
		usage();
	if (inet_pton(AF_INET, argv[optind], &o->dst.v4) == 1)
		o->family = AF_INET;
	else if (inet_pton(AF_INET6, argv[optind], &o->dst.v6) == 1)
		o->family = AF_INET6;
	else
		usage();
}

/* The socket that sends (and, without -m, receives the replies). */
static int
open_icmp(const struct opts *o)
{
	int proto = o->family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6;
	int rcvbuf = 4 << 20;
	int fd;

	fd = socket(o->family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
	if (fd < 0) {
		perror("probe: socket(SOCK_RAW)");
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (o->family == AF_INET) {
		/* bit set = type dropped; -m reads replies from the packet socket */
		uint32_t filter = o->want_mac ? ~0u : ~(1u << ICMP_ECHOREPLY);

		if (setsockopt(fd, SOL_RAW, ICMP_FILTER, &filter, sizeof(filter)) < 0)
			perror("probe: ICMP_FILTER");
	} else {
		struct icmp6_filter filter;

		ICMP6_FILTER_SETBLOCKALL(&filter);
		if (!o->want_mac)
			ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &filter);
		if (setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &filter, sizeof(filter)) < 0)
			perror("probe: ICMP6_FILTER");
	}
	return fd;
}

/* -m: replies with their link-layer source (SOCK_DGRAM: no Ethernet header in the data) */
static int
open_packet(const struct opts *o)
{
	uint16_t ethertype = o->family == AF_INET ? ETH_P_IP : ETH_P_IPV6;
	int rcvbuf = 4 << 20;
	int fd;

	fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ethertype));
	if (fd < 0) {
		perror("probe: socket(AF_PACKET)");
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	return fd;
}

static void
send_echo(int fd, const struct opts *o, struct stats *st, uint16_t ident)
{
	uint8_t pkt[sizeof(struct icmphdr) + sizeof(struct payload)];
	struct payload pl = { PROBE_MAGIC, (uint32_t)st->sent, now_ns(CLOCK_MONOTONIC) };
	struct sockaddr_storage ss = { 0 };
	socklen_t sl;

	/* struct icmphdr and struct icmp6_hdr share the echo layout */
	memset(pkt, 0, sizeof(pkt));
	if (o->family == AF_INET) {
		struct icmphdr *ic = (struct icmphdr *)pkt;
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		ic->type = ICMP_ECHO;
		ic->un.echo.id = htons(ident);
		ic->un.echo.sequence = htons((uint16_t)st->sent);
		memcpy(pkt + sizeof(*ic), &pl, sizeof(pl));
		ic->checksum = inet_csum(pkt, sizeof(pkt));
		sin->sin_family = AF_INET;
		sin->sin_addr = o->dst.v4;
		sl = sizeof(*sin);
	} else {
		struct icmp6_hdr *ic = (struct icmp6_hdr *)pkt;
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		ic->icmp6_type = ICMP6_ECHO_REQUEST;
		ic->icmp6_id = htons(ident);
		ic->icmp6_seq = htons((uint16_t)st->sent);
		memcpy(pkt + 8, &pl, sizeof(pl)); /* the kernel sums ICMPv6 */
		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = o->dst.v6;
		sl = sizeof(*sin6);
	}
	/* EHOSTUNREACH while neighbour resolution fails: a lost request */
	if (sendto(fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&ss, sl) < 0)
		st->send_err++;
	if (!st->first_tx)
		st->first_tx = now_ns(CLOCK_MONOTONIC);
	st->sent++;
}

static int
mac_index(struct stats *st, const uint8_t *mac, uint64_t t)
{
	int i;

	for (i = 0; i < st->nmacs; i++)
		if (memcmp(st->macs[i].mac, mac, ETH_ALEN) == 0)
			return i;
	if (st->nmacs == MAX_MACS)
		return MAX_MACS - 1; /* the last slot collects the rest */
	memcpy(st->macs[i].mac, mac, ETH_ALEN);
	st->macs[i].first = t;
	return st->nmacs++;
}

static void
note_mac(struct stats *st, const uint8_t *mac, uint64_t t)
{
	int i = mac_index(st, mac, t);

	st->macs[i].replies++;
	st->macs[i].last = t;
	if (st->cur_mac >= 0 && st->cur_mac != i) {
		if (st->nswitches < MAX_SWITCH)
			st->switches[st->nswitches] = (struct mac_switch){ t, st->cur_mac, i };
		st->nswitches++;
	}
	st->cur_mac = i;
}

/* One echo reply (ICMP header at icmp, len bytes) from the VIP. */
static void
note_reply(struct stats *st, const struct opts *o, uint16_t ident, const uint8_t *icmp, size_t len,
	   const uint8_t *mac, uint64_t t)
{
	struct payload pl;
	uint64_t seq;

	if (len < 8 + sizeof(pl))
		return;
	if (o->family == AF_INET && icmp[0] != ICMP_ECHOREPLY)
		return;
	if (o->family == AF_INET6 && icmp[0] != ICMP6_ECHO_REPLY)
		return;
	if (((uint16_t)(icmp[4] << 8 | icmp[5])) != ident)
		return;
	memcpy(&pl, icmp + 8, sizeof(pl));
	if (pl.magic != PROBE_MAGIC || pl.seq >= st->nslots || pl.seq >= st->sent)
		return;
	seq = pl.seq;
	if (st->seen[seq / 8] & (1u << (seq % 8))) {
		st->dup++;
		return;
	}
	st->seen[seq / 8] |= (uint8_t)(1u << (seq % 8));
	st->recv++;
	if (st->last_rx) {
		uint64_t gap = t - st->last_rx;

		if (gap > st->maxgap) {
			st->maxgap = gap;
			st->maxgap_start = st->last_rx;
			st->maxgap_end = t;
		}
		if (gap > (uint64_t)(o->gap_ms * 1e6)) {
			if (st->ngaps < MAX_GAPS)
				st->gaps[st->ngaps] = (struct span){ st->last_rx, t };
			st->ngaps++;
		}
	}
	st->last_rx = t;
	if (!st->first_rx)
		st->first_rx = t;
	if (mac)
		note_mac(st, mac, t);
}

static void
read_icmp(int fd, struct stats *st, const struct opts *o, uint16_t ident)
{
	uint8_t buf[2048];

	for (;;) {
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
		uint64_t t = now_ns(CLOCK_MONOTONIC);

		if (n < 0)
			return;
		if (o->family == AF_INET) {
			const struct sockaddr_in *sin = (const struct sockaddr_in *)&from;
			size_t hl;

			if (sin->sin_addr.s_addr != o->dst.v4.s_addr || n < 20)
				continue;
			hl = (size_t)(buf[0] & 0x0f) * 4;
			if ((size_t)n < hl)
				continue;
			note_reply(st, o, ident, buf + hl, (size_t)n - hl, NULL, t);
		} else {
			const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&from;

			if (memcmp(&sin6->sin6_addr, &o->dst.v6, sizeof(o->dst.v6)) != 0)
				continue;
			note_reply(st, o, ident, buf, (size_t)n, NULL, t);
		}
	}
}

static void
read_packet(int fd, struct stats *st, const struct opts *o, uint16_t ident)
{
	uint8_t buf[2048];

	for (;;) {
		struct sockaddr_ll ll;
		socklen_t fl = sizeof(ll);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&ll, &fl);
		uint64_t t = now_ns(CLOCK_MONOTONIC);

		if (n < 0)
			return;
		if (ll.sll_pkttype != PACKET_HOST || ll.sll_halen != ETH_ALEN)
			continue;
		if (o->family == AF_INET) {
			const struct iphdr *ip = (const struct iphdr *)buf;
			size_t hl;

			if (n < (ssize_t)sizeof(*ip) || ip->protocol != IPPROTO_ICMP ||
			    ip->saddr != o->dst.v4.s_addr)
				continue;
			hl = (size_t)ip->ihl * 4;
			if ((size_t)n < hl)
				continue;
			note_reply(st, o, ident, buf + hl, (size_t)n - hl, ll.sll_addr, t);
		} else {
			const struct ip6_hdr *ip6 = (const struct ip6_hdr *)buf;

			if (n < (ssize_t)sizeof(*ip6) || ip6->ip6_nxt != IPPROTO_ICMPV6 ||
			    memcmp(&ip6->ip6_src, &o->dst.v6, sizeof(o->dst.v6)) != 0)
				continue;
			note_reply(st, o, ident, buf + sizeof(*ip6), (size_t)n - sizeof(*ip6),
				   ll.sll_addr, t);
		}
	}
}

static double
rt(uint64_t mono, int64_t rt_off)
{
	return mono ? (double)((int64_t)mono + rt_off) / 1e9 : 0.0;
}

static void
format_mac(const uint8_t *m, char *buf, size_t len)
{
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

static void
report(const struct stats *st, const struct opts *o, int64_t rt_off)
{
	uint64_t i, run = 0, maxrun = 0, first = UINT64_MAX, last_ok = 0, tail_lost;
	char mac[24] = "-", a[24], b[24];

	for (i = 0; i < st->sent; i++) {
		if (st->seen[i / 8] & (1u << (i % 8))) {
			if (first == UINT64_MAX)
				first = i;
			last_ok = i;
		}
	}
	for (i = first == UINT64_MAX ? st->sent : first; i <= last_ok && i < st->sent; i++) {
		if (st->seen[i / 8] & (1u << (i % 8)))
			run = 0;
		else if (++run > maxrun)
			maxrun = run;
	}
	tail_lost = first == UINT64_MAX ? st->sent : st->sent - 1 - last_ok;

	if (!o->quiet) {
		for (i = 0; i < st->ngaps && i < MAX_GAPS; i++)
			printf("GAP %.3f ms from %.6f to %.6f\n",
			       (double)(st->gaps[i].end - st->gaps[i].start) / 1e6,
			       rt(st->gaps[i].start, rt_off), rt(st->gaps[i].end, rt_off));
		for (i = 0; i < (uint64_t)st->nmacs; i++) {
			format_mac(st->macs[i].mac, a, sizeof(a));
			printf("MAC %s replies=%llu first=%.6f last=%.6f\n", a,
			       (unsigned long long)st->macs[i].replies,
			       rt(st->macs[i].first, rt_off), rt(st->macs[i].last, rt_off));
		}
		for (i = 0; i < st->nswitches && i < MAX_SWITCH; i++) {
			format_mac(st->macs[st->switches[i].from].mac, a, sizeof(a));
			format_mac(st->macs[st->switches[i].to].mac, b, sizeof(b));
			printf("SWITCH %.6f %s -> %s\n", rt(st->switches[i].t, rt_off), a, b);
		}
	}
	if (st->cur_mac >= 0)
		format_mac(st->macs[st->cur_mac].mac, mac, sizeof(mac));
	printf("RESULT sent=%llu recv=%llu dup=%llu lost=%llu send_err=%llu maxgap_ms=%.3f "
	       "maxgap_start=%.6f maxgap_end=%.6f lostwin_ms=%.3f tail_lost=%llu gaps=%llu "
	       "first_rx=%.6f last_rx=%.6f first_rx_ms=%.3f macs=%d last_mac=%s "
	       "mac_switches=%llu\n",
	       (unsigned long long)st->sent, (unsigned long long)st->recv,
	       (unsigned long long)st->dup, (unsigned long long)(st->sent - st->recv),
	       (unsigned long long)st->send_err, (double)st->maxgap / 1e6,
	       rt(st->maxgap_start, rt_off), rt(st->maxgap_end, rt_off),
	       maxrun ? (double)(maxrun + 1) * (double)o->interval_us / 1e3 : 0.0,
	       (unsigned long long)tail_lost, (unsigned long long)st->ngaps,
	       rt(st->first_rx, rt_off), rt(st->last_rx, rt_off),
	       st->first_rx ? (double)(st->first_rx - st->first_tx) / 1e6 : -1.0, st->nmacs, mac,
	       (unsigned long long)st->nswitches);
	fflush(stdout);
}

int
main(int argc, char **argv)
{
	struct opts o;
	struct stats st = { .cur_mac = -1 };
	struct itimerspec its = { 0 };
	struct pollfd pfd[3];
	uint64_t mono0, t_end;
	int64_t rt_off;
	uint16_t ident;
	int icmp_fd, pkt_fd = -1, tfd;

	parse_opts(argc, argv, &o);
	setvbuf(stdout, NULL, _IOLBF, 0);
	st.nslots = (uint64_t)(o.duration_s * 1e6 / (double)o.interval_us) + 16;
	st.seen = calloc(st.nslots / 8 + 1, 1);
	if (!st.seen) {
		perror("probe: calloc");
		return 1;
	}
	icmp_fd = open_icmp(&o);
	if (icmp_fd < 0)
		return 1;
	if (o.want_mac && (pkt_fd = open_packet(&o)) < 0)
		return 1;
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (tfd < 0) {
		perror("probe: timerfd_create");
		return 1;
	}
	its.it_interval.tv_sec = o.interval_us / 1000000;
	its.it_interval.tv_nsec = (o.interval_us % 1000000) * 1000;
	its.it_value.tv_nsec = 1000;
	timerfd_settime(tfd, 0, &its, NULL);
	catch_stop_signals();

	ident = (uint16_t)(getpid() & 0xffff);
	mono0 = now_ns(CLOCK_MONOTONIC);
	rt_off = (int64_t)now_ns(CLOCK_REALTIME) - (int64_t)mono0;
	t_end = mono0 + (uint64_t)(o.duration_s * 1e9);
	pfd[0] = (struct pollfd){ .fd = tfd, .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = icmp_fd, .events = POLLIN };
	pfd[2] = (struct pollfd){ .fd = pkt_fd, .events = POLLIN };

	while (!stop) {
		uint64_t now = now_ns(CLOCK_MONOTONIC), expirations;

		if (now >= t_end + 100000000ull)
			break;
		if (now >= t_end)
			pfd[0].fd = -1; /* stop sending, keep reading */
		if (poll(pfd, 3, 100) < 0) {
			if (errno == EINTR)
				continue;
			perror("probe: poll");
			break;
		}
		if (pfd[0].fd >= 0 && (pfd[0].revents & POLLIN) &&
		    read(tfd, &expirations, sizeof(expirations)) == sizeof(expirations) &&
		    st.sent < st.nslots)
			send_echo(icmp_fd, &o, &st, ident);
		if (pfd[1].revents & POLLIN) {
			if (o.want_mac) {
				uint8_t junk[64]; /* filtered; drain anyway */

				while (recv(icmp_fd, junk, sizeof(junk), 0) > 0)
					;
			} else {
				read_icmp(icmp_fd, &st, &o, ident);
			}
		}
		if (pkt_fd >= 0 && (pfd[2].revents & POLLIN))
			read_packet(pkt_fd, &st, &o, ident);
		if (o.first_only && st.first_rx)
			break;
	}
	report(&st, &o, rt_off);
	return st.recv ? 0 : 3;
}
