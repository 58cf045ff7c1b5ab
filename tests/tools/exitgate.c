/*
 * exitgate - freeze a process that holds an address, hold it at its own exit
 * once something kills it, and tell from the kernel whether the address went
 * while the process was still there (issue 10: the reaper must not sweep a
 * killed daemon's addresses before the daemon has ended).
 *
 * Usage: exitgate [-h ms] [-t sec] PID NS ADDR
 *   PID   the process (corovipd); it must hold ADDR when exitgate starts
 *   NS    the named network namespace it holds ADDR in (/run/netns/NS)
 *   ADDR  the address (IPv4 or IPv6, no prefix length)
 *   -h    how long to keep the killed process at its exit (default 1000 ms)
 *   -t    give up after this many seconds (default 20)
 *
 * It attaches to PID with ptrace (PTRACE_SEIZE, PTRACE_O_TRACEEXIT) and
 * freezes it with SIGSTOP, as a hung daemon would look. When something (the
 * reaper) SIGKILLs it, the kernel stops it at PTRACE_EVENT_EXIT, before it
 * closes a file or leaves its CPG group: to everyone else it is a process
 * that is taking its time to end, as one still inside a netlink batch does.
 * exitgate keeps it there for the whole hold, watching ADDR's deletions in
 * NS over netlink, then lets it go, sees its end on a pidfd, and waits until
 * ADDR has gone. Output (CLOCK_REALTIME seconds, 6 decimals, as addrwatch's):
 *   <t> frozen pid=P
 *   <t> killed pid=P present=0|1     (at its exit stop; whether ADDR is there)
 *   <t> removed addr=ADDR (...)      (only if ADDR went during the hold)
 *   <t> released pid=P               (hold over, let go)
 *   <t> ended pid=P                  (its pidfd is readable)
 *   <t> removed addr=ADDR            (gone from NS)
 *   RESULT order=ok|early|never hold_ms= held_through=0|1 end_to_removed_ms=
 * order=early: ADDR went while the process was at its exit stop (before
 * its end); never: ADDR stayed until the deadline. Exit status 0 for ok, 1
 * otherwise, 2 on usage or setup errors. Needs root (ptrace, setns).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tool-util.h"

struct target {
	int family;
	uint8_t addr[16];
	size_t len;
	int nl; /* NETLINK_ROUTE in the namespace, subscribed to address changes */
	uint32_t seq;
	bool gone; /* a deletion of ADDR was seen */
};

static void
usage(void)
{
	fprintf(stderr, "usage: exitgate [-h ms] [-t sec] PID NS ADDR\n");
	exit(2);
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void
say(const char *fmt, ...)
{
	uint64_t t = now_ns(CLOCK_REALTIME);
	va_list ap;

	printf("%llu.%06llu ", (unsigned long long)(t / 1000000000ull),
	       (unsigned long long)(t % 1000000000ull / 1000));
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static uint64_t
now_ms(void)
{
	return now_ns(CLOCK_MONOTONIC) / 1000000;
}

static int
left_ms(uint64_t deadline)
{
	uint64_t now = now_ms();

	return now >= deadline ? 0 : (int)(deadline - now);
}

/* The netlink socket, opened inside the namespace and subscribed to its
 * address changes (setns there and back, as addrwatch does). */
static int
open_ns_socket(const char *ns, struct target *t)
{
	char path[256];
	int home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC), fd;
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK,
				  .nl_groups = RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR };

	snprintf(path, sizeof(path), "/run/netns/%s", ns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (home < 0 || fd < 0 || setns(fd, CLONE_NEWNET) < 0) {
		fprintf(stderr, "exitgate: %s: %s\n", path, strerror(errno));
		return -1;
	}
	t->nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
	if (setns(home, CLONE_NEWNET) < 0 || t->nl < 0 ||
	    bind(t->nl, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("exitgate: netlink socket");
		return -1;
	}
	close(fd);
	close(home);
	return 0;
}

static bool
is_ours(const struct target *t, struct nlmsghdr *h)
{
	struct ifaddrmsg *ifa = NLMSG_DATA(h);
	int len = (int)IFA_PAYLOAD(h);

	if (ifa->ifa_family != t->family)
		return false;
	for (struct rtattr *a = IFA_RTA(ifa); RTA_OK(a, len); a = RTA_NEXT(a, len))
		if ((a->rta_type == IFA_LOCAL || a->rta_type == IFA_ADDRESS) &&
		    RTA_PAYLOAD(a) == t->len && memcmp(RTA_DATA(a), t->addr, t->len) == 0)
			return true;
	return false;
}

static void
note_deletion(struct target *t, struct nlmsghdr *h)
{
	if (h->nlmsg_type == RTM_DELADDR && is_ours(t, h))
		t->gone = true;
}

/* Read the notifications queued (deletions set t->gone). */
static int
drain(struct target *t)
{
	char buf[16384] __attribute__((aligned(4)));

	for (;;) {
		ssize_t n = recv(t->nl, buf, sizeof(buf), 0);

		if (n < 0)
			return errno == EAGAIN ? 0 : -1;
		for (struct nlmsghdr *h = (void *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n))
			note_deletion(t, h);
	}
}

/* One dump of the namespace's addresses: 1 if ADDR is there, 0 if not. */
static int
present(struct target *t)
{
	struct {
		struct nlmsghdr h;
		struct ifaddrmsg ifa;
	} req = { .h = { .nlmsg_len = sizeof(req),
			 .nlmsg_type = RTM_GETADDR,
			 .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
			 .nlmsg_seq = ++t->seq },
		  .ifa = { .ifa_family = (uint8_t)t->family } };
	char buf[16384] __attribute__((aligned(4)));
	int found = 0;

	/* The reply comes on the same socket as the notifications: a deletion
	 * that comes in between is noted, even if an earlier part listed ADDR. */
	if (send(t->nl, &req, sizeof(req), 0) < 0)
		return -1;
	for (;;) {
		struct pollfd p = { .fd = t->nl, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 2000) <= 0)
			return -1;
		n = recv(t->nl, buf, sizeof(buf), 0);
		if (n < 0)
			return -1;
		for (struct nlmsghdr *h = (void *)buf; NLMSG_OK(h, (size_t)n);
		     h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_seq != t->seq) {
				note_deletion(t, h);
				continue;
			}
			if (h->nlmsg_type == NLMSG_DONE)
				return found;
			if (h->nlmsg_type == NLMSG_ERROR)
				return -1;
			if (h->nlmsg_type == RTM_NEWADDR && is_ours(t, h))
				found = 1;
		}
	}
}

/* Wait until ADDR is gone or the deadline: 1 gone, 0 still there, -1 error. */
static int
wait_gone(struct target *t, uint64_t deadline)
{
	for (;;) {
		struct pollfd p = { .fd = t->nl, .events = POLLIN };
		int r = present(t);

		if (r < 0)
			return -1;
		if (r == 0 || t->gone)
			return 1;
		if (poll(&p, 1, left_ms(deadline)) == 0)
			return 0;
		if (drain(t) < 0)
			return -1;
		if (t->gone)
			return 1;
	}
}

/* Next ptrace stop of pid within the deadline (SIGALRM breaks the wait). */
static int
next_stop(pid_t pid, uint64_t deadline, int *status)
{
	int left = left_ms(deadline);

	if (left == 0)
		return -1;
	alarm((unsigned)(left + 999) / 1000);
	if (waitpid(pid, status, __WALL) != pid)
		return -1;
	alarm(0);
	return 0;
}

/* Freeze pid: seize it, send SIGSTOP and let the group-stop happen. */
static int
freeze(pid_t pid, uint64_t deadline)
{
	int st;

	if (ptrace(PTRACE_SEIZE, pid, 0, PTRACE_O_TRACEEXIT) < 0) {
		perror("exitgate: PTRACE_SEIZE");
		return -1;
	}
	if (kill(pid, SIGSTOP) < 0)
		return -1;
	for (;;) {
		if (next_stop(pid, deadline, &st) < 0 || !WIFSTOPPED(st))
			return -1;
		if (st >> 16 == PTRACE_EVENT_STOP)
			return 0; /* group-stop: it stays stopped until we resume it */
		/* the signal-delivery-stop before it: deliver the signal */
		if (ptrace(PTRACE_CONT, pid, 0, WSTOPSIG(st)) < 0)
			return -1;
	}
}

/* Wait for the kill: the tracee stops at PTRACE_EVENT_EXIT. */
static int
wait_exit_stop(pid_t pid, uint64_t deadline)
{
	int st;

	for (;;) {
		if (next_stop(pid, deadline, &st) < 0 || !WIFSTOPPED(st))
			return -1;
		if (st >> 8 == (SIGTRAP | (PTRACE_EVENT_EXIT << 8)))
			return 0;
		/* Not resumed since its group-stop, it cannot take another
		 * signal (which would need resuming): only SIGKILL ends that. */
		if (st >> 16 != PTRACE_EVENT_STOP)
			return -1;
	}
}

static int
parse_addr(const char *s, struct target *t)
{
	if (inet_pton(AF_INET, s, t->addr) == 1) {
		t->family = AF_INET;
		t->len = 4;
	} else if (inet_pton(AF_INET6, s, t->addr) == 1) {
		t->family = AF_INET6;
		t->len = 16;
	} else
		return -1;
	return 0;
}

static void
on_alarm(int sig)
{
	(void)sig;
}

int
main(int argc, char **argv)
{
	struct target t = { .nl = -1 };
	struct sigaction sa = { .sa_handler = on_alarm };
	long hold_ms = 1000, timeout_s = 20;
	uint64_t deadline, released, ended, removed = 0;
	const char *order = "ok";
	int held_through = 1, opt, pidfd, r;
	pid_t pid;

	while ((opt = getopt(argc, argv, "h:t:")) != -1) {
		switch (opt) {
		case 'h':
			hold_ms = strtol(optarg, NULL, 10);
			break;
		case 't':
			timeout_s = strtol(optarg, NULL, 10);
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 3 || hold_ms < 0 || timeout_s <= 0)
		usage();
	pid = (pid_t)strtol(argv[optind], NULL, 10);
	if (pid <= 0 || parse_addr(argv[optind + 2], &t) < 0)
		usage();
	/* no SA_RESTART: SIGALRM ends a waitpid that has waited too long */
	sigaction(SIGALRM, &sa, NULL);
	catch_stop_signals();
	prctl(PR_SET_PDEATHSIG, SIGKILL); /* a killed test lets the daemon go */
	deadline = now_ms() + (uint64_t)timeout_s * 1000;

	pidfd = pidfd_open(pid, 0);
	if (pidfd < 0 || open_ns_socket(argv[optind + 1], &t) < 0) {
		fprintf(stderr, "exitgate: pid %d: %s\n", (int)pid, strerror(errno));
		return 2;
	}
	if (present(&t) != 1) {
		fprintf(stderr, "exitgate: %s is not in %s\n", argv[optind + 2], argv[optind + 1]);
		return 2;
	}
	if (freeze(pid, deadline) < 0) {
		fprintf(stderr, "exitgate: could not freeze pid %d\n", (int)pid);
		return 2;
	}
	say("frozen pid=%d", (int)pid);
	if (wait_exit_stop(pid, deadline) < 0) {
		fprintf(stderr, "exitgate: pid %d was not killed in time\n", (int)pid);
		return 1;
	}
	drain(&t); /* what happened before the kill does not count */
	t.gone = false;
	say("killed pid=%d present=%d", (int)pid, present(&t));
	/* the hold: not a synchronisation, the fault (a slow end) */
	released = now_ms() + (uint64_t)hold_ms;
	r = wait_gone(&t, released);
	if (r != 0) {
		held_through = 0;
		order = r < 0 ? "error" : "early";
		say("removed addr=%s (the process is still at its exit)", argv[optind + 2]);
		poll(NULL, 0, left_ms(released)); /* the rest of the hold */
	}
	if (ptrace(PTRACE_CONT, pid, 0, 0) < 0) {
		perror("exitgate: PTRACE_CONT");
		return 2;
	}
	say("released pid=%d", (int)pid);
	{
		struct pollfd p = { .fd = pidfd, .events = POLLIN };

		if (poll(&p, 1, left_ms(deadline)) != 1) {
			fprintf(stderr, "exitgate: pid %d did not end\n", (int)pid);
			return 1;
		}
	}
	ended = now_ms();
	say("ended pid=%d", (int)pid);
	waitpid(pid, NULL, __WALL); /* hand it back to its parent */
	if (held_through) {
		r = wait_gone(&t, deadline);
		removed = now_ms();
		if (r == 1)
			say("removed addr=%s", argv[optind + 2]);
		else
			order = r < 0 ? "error" : "never";
	}
	printf("RESULT order=%s hold_ms=%ld held_through=%d end_to_removed_ms=%lld\n", order,
	       hold_ms, held_through, held_through ? (long long)(removed - ended) : -1LL);
	return strcmp(order, "ok") == 0 ? 0 : 1;
}
