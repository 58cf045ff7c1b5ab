/*
 * addrcount - when did N addresses of a prefix appear in a namespace? The
 * scale benchmark's clock (bench/scale-bench.sh), the same for corovip and
 * keepalived: it listens to the kernel's address notifications (no dumps,
 * which at 10,000 addresses would cost the node more than what is measured)
 * and stamps, with CLOCK_REALTIME, the first new address of the prefix and
 * the moment N distinct ones of it have been added.
 *
 * Usage: addrcount [-t sec] NS PREFIX/LEN N
 *   NS      a named network namespace (/run/netns/NS)
 *   PREFIX  IPv4 only (the benchmark's VIPs are 198.18.0.0/15), LEN 8..32
 *   N       how many distinct addresses of the prefix make "all"
 *   -t      give up after this many seconds (default 120): exit 2
 *
 * Prints "ready" once subscribed (the caller starts the run after it), then
 *   first <t>      the first RTM_NEWADDR of the prefix (a renewal counts:
 *                  the caller starts it where nobody holds them yet)
 *   all <t> <n>    n distinct addresses seen, n == N
 * with t in seconds since the epoch, 6 decimals, and exits 0. A deletion
 * takes the address out of the count again. An overflowed socket
 * (ENOBUFS) is fatal (exit 1): the count would be wrong. Needs root.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
open_in_ns(const char *ns)
{
	char path[256];
	int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC), fd, s;
	int rcvbuf = 64 << 20;
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = RTMGRP_IPV4_IFADDR };

	snprintf(path, sizeof(path), "/run/netns/%s", ns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (self < 0 || fd < 0 || setns(fd, CLONE_NEWNET) < 0) {
		fprintf(stderr, "addrcount: namespace %s: %s\n", ns, strerror(errno));
		exit(1);
	}
	s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (s < 0 || setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0 ||
	    bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0 || setns(self, CLONE_NEWNET) < 0) {
		fprintf(stderr, "addrcount: netlink socket in %s: %s\n", ns, strerror(errno));
		exit(1);
	}
	close(fd);
	close(self);
	return s;
}

int
main(int argc, char **argv)
{
	static char buf[1 << 20];
	unsigned timeout_s = 120, len, n_want, n = 0;
	uint32_t net, mask;
	uint8_t *seen;
	double deadline, first = 0;
	char pfx[64], *slash;
	int opt, s;

	while ((opt = getopt(argc, argv, "t:")) != -1) {
		if (opt != 't')
			return 64;
		timeout_s = (unsigned)atoi(optarg);
	}
	if (argc - optind != 3) {
		fprintf(stderr, "usage: addrcount [-t sec] NS PREFIX/LEN N\n");
		return 64;
	}
	snprintf(pfx, sizeof(pfx), "%s", argv[optind + 1]);
	slash = strchr(pfx, '/');
	len = slash ? (unsigned)atoi(slash + 1) : 0;
	if (slash)
		*slash = '\0';
	n_want = (unsigned)atoi(argv[optind + 2]);
	if (!slash || len < 8 || len > 32 || inet_pton(AF_INET, pfx, &net) != 1 || n_want == 0) {
		fprintf(stderr, "addrcount: bad PREFIX/LEN or N\n");
		return 64;
	}
	mask = len == 32 ? 0xffffffffu : ~(0xffffffffu >> len);
	net = ntohl(net) & mask;
	seen = calloc((size_t)(~mask) + 1, 1);
	if (!seen)
		return 1;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	s = open_in_ns(argv[optind]);
	printf("ready\n");
	fflush(stdout);
	deadline = now() + timeout_s;
	for (;;) {
		struct pollfd p = { .fd = s, .events = POLLIN };
		int left = (int)((deadline - now()) * 1000);
		ssize_t r;

		if (left <= 0 || poll(&p, 1, left) == 0) {
			fprintf(stderr, "addrcount: %u of %u after %u s\n", n, n_want, timeout_s);
			return 2;
		}
		r = recv(s, buf, sizeof(buf), 0);
		if (r < 0) {
			fprintf(stderr, "addrcount: %s\n", strerror(errno));
			return 1;
		}
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)r);
		     h = NLMSG_NEXT(h, r)) {
			struct ifaddrmsg *ifa = NLMSG_DATA(h);
			int alen = (int)IFA_PAYLOAD(h);

			if (h->nlmsg_type != RTM_NEWADDR && h->nlmsg_type != RTM_DELADDR)
				continue;
			for (struct rtattr *a = IFA_RTA(ifa); RTA_OK(a, alen); a = RTA_NEXT(a, alen)) {
				uint32_t v;

				if (a->rta_type != IFA_LOCAL || RTA_PAYLOAD(a) != 4)
					continue;
				memcpy(&v, RTA_DATA(a), 4);
				v = ntohl(v);
				if ((v & mask) != net)
					continue;
				if (h->nlmsg_type == RTM_DELADDR) {
					n -= seen[v - net];
					seen[v - net] = 0;
					continue;
				}
				if (first == 0) {
					first = now();
					printf("first %.6f\n", first);
					fflush(stdout);
				}
				n += !seen[v - net];
				seen[v - net] = 1;
			}
		}
		if (n >= n_want) {
			printf("all %.6f %u\n", now(), n);
			return 0;
		}
	}
}
