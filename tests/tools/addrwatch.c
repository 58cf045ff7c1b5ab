/*
 * addrwatch - the independent checker's eyes on the nodes: which network
 * namespaces hold a given address, sampled every INTERVAL (default 10 ms)
 * straight from the kernel over netlink. It never asks corovipd.
 *
 * Usage: addrwatch [-i ms] [-t sec] [-l ifname] [-a] ADDR NS[=LABEL]...
 *   ADDR  the VIP (IPv4 or IPv6, no prefix length)
 *   NS    a named network namespace (/run/netns/NS); LABEL names it in the
 *         output (default: NS)
 *   -i    sampling period in ms (default 10)
 *   -t    stop after this many seconds (default: at SIGINT/SIGTERM)
 *   -l    the interface whose carrier tells "link cut" (default eth0)
 *   -a    print every sample, not only changes
 *
 * One netlink socket per namespace is opened at start (setns, socket, setns
 * back), so a sample costs two netlink round trips per namespace and no
 * fork. A holder whose link has no carrier is listed as cut; if in addition
 * no process at all is left in its namespace it is "crashed" (issue 6: a
 * crashed node holds nothing anyone can reach and is not counted).
 *
 * Output, one line per change (CLOCK_REALTIME seconds, 6 decimals):
 *   <t> holders=<l1,l2|-> counted=<n> live=<labels|-> nocarrier=<labels|-> crashed=<labels|->
 * (live: the holders counted, i.e. all but the crashed)
 *   <t> ERROR <label> <what>                 a namespace could not be read
 * and at exit:
 *   SUMMARY samples= period_ms= max_step_ms= late= errors= multi= multi_ms=
 *           multi_first= max_counted= zero_samples= straddled=
 * multi counts samples with more than one counted holder (split brain),
 * confirmed: the namespaces are read one after the other, so a sample can
 * straddle a handoff (the old holder read before its removal, the new one
 * after its add); every counted holder but the last read is read again
 * after it, and the sample counts only if one of them still holds (it held
 * before and after the last one's read). straddled counts those that did
 * not;
 * multi_ms adds up the time between such samples and the next one;
 * late counts samples that came more than 2 periods after the previous.
 * It ends with its parent (PR_SET_PDEATHSIG), so a killed test cannot leave
 * it running with the namespaces pinned by its sockets.
 * Exit status: 0, or 1 on setup errors. Needs root (setns).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
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
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "tool-util.h"

#define MAX_NS	64
#define LINE_SZ 4096

struct ns {
	const char *name, *label;
	int nl;	   /* NETLINK_ROUTE socket inside the namespace */
	ino_t ino; /* its nsfs inode, as /proc/PID/ns/net shows it */
	uint32_t seq;
	bool holds, carrier, crashed, error;
};

struct watch {
	int family;
	uint8_t addr[16];
	size_t addr_len;
	const char *ifname;
	struct ns ns[MAX_NS];
	int nns;
};


static void
usage(void)
{
	fprintf(stderr, "usage: addrwatch [-i ms] [-t sec] [-l ifname] [-a] ADDR NS[=LABEL]...\n");
	exit(2);
}

static int
open_ns_socket(struct ns *n, int home_fd)
{
	char path[256];
	struct stat sb;
	int fd, sk;

	snprintf(path, sizeof(path), "/run/netns/%s", n->name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "addrwatch: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) < 0 || setns(fd, CLONE_NEWNET) < 0) {
		fprintf(stderr, "addrwatch: setns %s: %s\n", path, strerror(errno));
		close(fd);
		return -1;
	}
	n->ino = sb.st_ino;
	sk = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (setns(home_fd, CLONE_NEWNET) < 0) {
		perror("addrwatch: setns back");
		exit(1);
	}
	close(fd);
	if (sk < 0) {
		perror("addrwatch: socket(NETLINK_ROUTE)");
		return -1;
	}
	n->nl = sk;
	return 0;
}

static int
nl_send(struct ns *n, uint16_t type, uint16_t flags, const void *body, size_t len)
{
	struct {
		struct nlmsghdr h;
		char body[64];
	} req;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };

	memset(&req, 0, sizeof(req));
	req.h.nlmsg_len = (uint32_t)NLMSG_LENGTH(len);
	req.h.nlmsg_type = type;
	req.h.nlmsg_flags = (uint16_t)(NLM_F_REQUEST | flags);
	req.h.nlmsg_seq = ++n->seq;
	memcpy(req.body, body, len);
	if (sendto(n->nl, &req, req.h.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		return -errno;
	return 0;
}

/*
 * Read the answers to the last request; cb sees each message. Returns 0
 * at NLMSG_DONE (dump) or after one message (non-dump), -errno on error.
 */
static int
nl_recv(struct ns *n, bool dump, void (*cb)(struct watch *, struct ns *, struct nlmsghdr *),
	struct watch *w)
{
	static char buf[65536];

	for (;;) {
		ssize_t got = recv(n->nl, buf, sizeof(buf), 0);
		unsigned int len = (unsigned int)got;
		struct nlmsghdr *h;

		if (got < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
			if (h->nlmsg_seq != n->seq)
				continue;
			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);

				return e->error;
			}
			cb(w, n, h);
			if (!dump)
				return 0;
		}
	}
}

static void
on_addr(struct watch *w, struct ns *n, struct nlmsghdr *h)
{
	struct ifaddrmsg *ifa = NLMSG_DATA(h);
	struct rtattr *rta = IFA_RTA(ifa);
	int len = (int)IFA_PAYLOAD(h);
	/* IPv4: IFA_LOCAL is the address (IFA_ADDRESS the peer on p2p links) */
	unsigned short want = w->family == AF_INET ? IFA_LOCAL : IFA_ADDRESS;

	if (h->nlmsg_type != RTM_NEWADDR || ifa->ifa_family != w->family)
		return;
	for (; RTA_OK(rta, len); rta = RTA_NEXT(rta, len))
		if (rta->rta_type == want && RTA_PAYLOAD(rta) == w->addr_len &&
		    memcmp(RTA_DATA(rta), w->addr, w->addr_len) == 0)
			n->holds = true;
}

static void
on_link(struct watch *w, struct ns *n, struct nlmsghdr *h)
{
	struct ifinfomsg *ifi = NLMSG_DATA(h);

	(void)w;
	if (h->nlmsg_type == RTM_NEWLINK)
		n->carrier = (ifi->ifi_flags & IFF_LOWER_UP) != 0;
}

static int
sample_ns(struct watch *w, struct ns *n)
{
	struct ifaddrmsg ifa = { .ifa_family = (uint8_t)w->family };
	struct {
		struct ifinfomsg ifi;
		struct rtattr rta;
		char name[IFNAMSIZ];
	} link;
	size_t namelen = strlen(w->ifname) + 1;
	int r;

	n->holds = false;
	n->carrier = false;
	r = nl_send(n, RTM_GETADDR, NLM_F_DUMP, &ifa, sizeof(ifa));
	if (r == 0)
		r = nl_recv(n, true, on_addr, w);
	if (r < 0)
		return r;

	memset(&link, 0, sizeof(link));
	link.ifi.ifi_family = AF_UNSPEC;
	link.rta.rta_type = IFLA_IFNAME;
	link.rta.rta_len = (unsigned short)RTA_LENGTH(namelen);
	memcpy(link.name, w->ifname, namelen);
	r = nl_send(n, RTM_GETLINK, 0, &link, sizeof(link.ifi) + RTA_ALIGN(link.rta.rta_len));
	if (r == 0)
		r = nl_recv(n, false, on_link, w);
	if (r == -ENODEV)
		r = 0; /* no such interface: no carrier */
	return r;
}

/* Is any process left in namespace n? (/proc/PID/ns/net is "net:[ino]") */
static bool
ns_has_process(const struct ns *n)
{
	char want[64], path[300], got[64];
	struct dirent *de;
	bool found = false;
	DIR *d;

	snprintf(want, sizeof(want), "net:[%lu]", (unsigned long)n->ino);
	d = opendir("/proc");
	if (!d)
		return true; /* cannot tell: count it */
	while (!found && (de = readdir(d))) {
		ssize_t len;

		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/ns/net", de->d_name);
		len = readlink(path, got, sizeof(got) - 1);
		if (len <= 0)
			continue;
		got[len] = '\0';
		found = strcmp(got, want) == 0;
	}
	closedir(d);
	return found;
}

static void
append_labels(char *line, size_t size, const char *key, const struct watch *w,
	      bool (*pick)(const struct ns *))
{
	size_t off = strlen(line);
	bool any = false;
	int i;

	off += (size_t)snprintf(line + off, size - off, " %s=", key);
	for (i = 0; i < w->nns && off < size; i++) {
		if (!pick(&w->ns[i]))
			continue;
		off += (size_t)snprintf(line + off, size - off, "%s%s", any ? "," : "",
					w->ns[i].label);
		any = true;
	}
	if (!any && off < size)
		snprintf(line + off, size - off, "-");
}

/* Of a sample's counted holders, how many held across the last one's read
 * (it, and each earlier one still holding when read again after it; one
 * that cannot be read again counts: the checker errs on two holders). */
static int
confirmed_holders(struct watch *w)
{
	int last = -1, held = 1, i;

	for (i = 0; i < w->nns; i++)
		if (w->ns[i].holds && !w->ns[i].crashed)
			last = i;
	for (i = 0; i < last; i++) {
		struct ns again = w->ns[i];

		if (!again.holds || again.crashed)
			continue;
		if (sample_ns(w, &again) < 0 || again.holds)
			held++;
		w->ns[i].seq = again.seq;
	}
	return held;
}

static bool
pick_holder(const struct ns *n)
{
	return n->holds;
}

static bool
pick_nocarrier(const struct ns *n)
{
	return !n->carrier && !n->error;
}

static bool
pick_crashed(const struct ns *n)
{
	return n->holds && n->crashed;
}

/* The holders that count: every one but the crashed. */
static bool
pick_live(const struct ns *n)
{
	return n->holds && !n->crashed;
}

int
main(int argc, char **argv)
{
	static struct watch w;
	static char line[LINE_SZ], prev[LINE_SZ];
	struct itimerspec its = { 0 };
	double period_ms = 10, duration_s = 0;
	bool all = false;
	uint64_t samples = 0, late = 0, errors = 0, multi = 0, multi_ns = 0, zero = 0, straddled = 0;
	uint64_t max_step = 0, last_t = 0, multi_first = 0, multi_since = 0, t_end = 0;
	int max_counted = 0, home_fd, tfd, c, i;
	char *end;

	if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() == 1)
		return 1;
	w.ifname = "eth0";
	while ((c = getopt(argc, argv, "i:t:l:a")) != -1) {
		switch (c) {
		case 'i':
			period_ms = strtod(optarg, &end);
			if (*end || period_ms < 1 || period_ms > 10000)
				usage();
			break;
		case 't':
			duration_s = strtod(optarg, &end);
			if (*end || duration_s < 0)
				usage();
			break;
		case 'l':
			if (strlen(optarg) >= IFNAMSIZ)
				usage();
			w.ifname = optarg;
			break;
		case 'a':
			all = true;
			break;
		default:
			usage();
		}
	}
	if (argc - optind < 2 || argc - optind - 1 > MAX_NS)
		usage();
	if (inet_pton(AF_INET, argv[optind], w.addr) == 1) {
		w.family = AF_INET;
		w.addr_len = 4;
	} else if (inet_pton(AF_INET6, argv[optind], w.addr) == 1) {
		w.family = AF_INET6;
		w.addr_len = 16;
	} else {
		usage();
	}
	home_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (home_fd < 0) {
		perror("addrwatch: /proc/self/ns/net");
		return 1;
	}
	for (i = optind + 1; i < argc; i++) {
		struct ns *n = &w.ns[w.nns++];
		char *eq = strchr(argv[i], '=');

		n->name = argv[i];
		n->label = argv[i];
		if (eq) {
			*eq = '\0';
			n->label = eq + 1;
		}
		if (open_ns_socket(n, home_fd) < 0)
			return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	catch_stop_signals();

	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	if (tfd < 0) {
		perror("addrwatch: timerfd_create");
		return 1;
	}
	its.it_interval.tv_sec = (time_t)(period_ms / 1000);
	its.it_interval.tv_nsec = (long)((period_ms - (double)its.it_interval.tv_sec * 1000) * 1e6);
	its.it_value.tv_nsec = 1000;
	timerfd_settime(tfd, 0, &its, NULL);
	if (duration_s > 0)
		t_end = now_ns(CLOCK_MONOTONIC) + (uint64_t)(duration_s * 1e9);

	while (!stop) {
		uint64_t expirations, t, t_rt;
		int counted = 0;

		if (read(tfd, &expirations, sizeof(expirations)) != sizeof(expirations))
			continue; /* EINTR: a signal, checked above */
		t = now_ns(CLOCK_MONOTONIC);
		t_rt = now_ns(CLOCK_REALTIME);
		if (t_end && t >= t_end)
			break;
		if (last_t) {
			if (t - last_t > max_step)
				max_step = t - last_t;
			if ((double)(t - last_t) > 2 * period_ms * 1e6)
				late++;
			if (multi_since)
				multi_ns += t - last_t;
		}
		last_t = t;
		samples++;

		snprintf(line, sizeof(line), "%s", "");
		for (i = 0; i < w.nns; i++) {
			struct ns *n = &w.ns[i];
			int r = sample_ns(&w, n);

			n->error = r < 0;
			n->crashed = false;
			if (r < 0) {
				errors++;
				printf("%.6f ERROR %s %s\n", (double)t_rt / 1e9, n->label,
				       strerror(-r));
				continue;
			}
			if (n->holds && !n->carrier)
				n->crashed = !ns_has_process(n);
			if (n->holds && !n->crashed)
				counted++;
		}
		if (counted > 1 && confirmed_holders(&w) < 2) {
			straddled++;
			counted = 1;
		}
		append_labels(line, sizeof(line), "holders", &w, pick_holder);
		snprintf(line + strlen(line), sizeof(line) - strlen(line), " counted=%d", counted);
		append_labels(line, sizeof(line), "live", &w, pick_live);
		append_labels(line, sizeof(line), "nocarrier", &w, pick_nocarrier);
		append_labels(line, sizeof(line), "crashed", &w, pick_crashed);

		if (counted > max_counted)
			max_counted = counted;
		if (counted == 0)
			zero++;
		if (counted > 1) {
			multi++;
			if (!multi_first)
				multi_first = t_rt;
			multi_since = t;
		} else {
			multi_since = 0;
		}
		if (all || strcmp(line, prev) != 0) {
			printf("%.6f%s\n", (double)t_rt / 1e9, line);
			memcpy(prev, line, sizeof(prev));
		}
	}
	printf("SUMMARY samples=%llu period_ms=%g max_step_ms=%.3f late=%llu errors=%llu "
	       "multi=%llu multi_ms=%.3f multi_first=%.6f max_counted=%d zero_samples=%llu "
	       "straddled=%llu\n",
	       (unsigned long long)samples, period_ms, (double)max_step / 1e6,
	       (unsigned long long)late, (unsigned long long)errors, (unsigned long long)multi,
	       (double)multi_ns / 1e6, (double)multi_first / 1e9, max_counted,
	       (unsigned long long)zero, (unsigned long long)straddled);
	return 0;
}
