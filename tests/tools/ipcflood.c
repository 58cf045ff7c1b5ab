/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ipcflood - misbehave on corovipd's libqb IPC socket (issue 11).
 *
 * ipcflood flood [-n SLOTS] [-t SECONDS] [-r CONNECTS_PER_S] [-1] [SERVICE]
 *   Keeps SLOTS raw connections to the abstract socket "\0SERVICE" (libqb's
 *   listening socket; default corovip). Slot i by turns: sends nothing,
 *   sends 64 random bytes, or sends the first 8 bytes of a handshake. When
 *   the server closes one it is opened again (at most -r per second in all;
 *   -1: never). Every 500 ms: "OPEN t_ms=T open=N"; at the end "RESULT
 *   connects=N backlog_full=N closed_by_server=N open=N max_open=N".
 *
 * ipcflood requests [-i IDLE_MS] [SERVICE]
 *   As a client allowed in (qb_ipcc_connect): requests whose header lies
 *   about their size, cut short, garbage, a negative size, another version,
 *   an unknown command, names with a newline and a control character, then
 *   a good status; one line per request "REQ name error=E" (the answer's
 *   error, or "none" when unanswered). Then idle for IDLE_MS and says whether
 *   the server hung up: "RESULT requests=N answered=N refused=N status=ok|failed
 *   idle_closed=yes|no".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <qb/qbipcc.h>

#include "ipc-proto.h"
#include "tool-util.h"

#define MAX_SLOTS 4096

struct slot {
	int fd;
	uint64_t opened_ns;
};

static struct {
	unsigned long connects, backlog_full, closed, max_open;
} st;

static int
open_slot(const char *service, unsigned i)
{
	/* libqb binds the whole sun_path, NUL-padded (QB_SUN_LEN of an abstract name) */
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	socklen_t len = sizeof(a);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	uint8_t buf[64];

	if (fd < 0)
		return -1;
	snprintf(a.sun_path + 1, sizeof(a.sun_path) - 1, "%s", service);
	if (connect(fd, (struct sockaddr *)&a, len) < 0) {
		if (errno == EAGAIN)
			st.backlog_full++;
		close(fd);
		return -1;
	}
	st.connects++;
	switch (i % 3) {
	case 0: /* idle */
		break;
	case 1: /* garbage */
		for (size_t k = 0; k < sizeof(buf); k++)
			buf[k] = (uint8_t)random();
		(void)send(fd, buf, sizeof(buf), MSG_NOSIGNAL);
		break;
	default: { /* the first half of a handshake request */
		struct qb_ipc_request_header h = { .id = QB_IPC_MSG_AUTHENTICATE, .size = 16 };

		(void)send(fd, &h, 8, MSG_NOSIGNAL);
		break;
	}
	}
	return fd;
}

/* Whether the server closed fd (EOF or an error). */
static bool
closed_by_peer(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char b[256];

	if (poll(&p, 1, 0) <= 0)
		return false;
	if (p.revents & (POLLHUP | POLLERR))
		return true;
	return recv(fd, b, sizeof(b), MSG_DONTWAIT) <= 0 && errno != EAGAIN;
}

static int
flood(int argc, char **argv)
{
	static struct slot slots[MAX_SLOTS];
	unsigned n = 64, seconds = 10, rate = 0;
	bool once = false;
	const char *service = CV_IPC_SERVICE;
	uint64_t start = now_ns(CLOCK_MONOTONIC), end, next_report, budget_t;
	double budget = 0;
	int opt;

	while ((opt = getopt(argc, argv, "n:t:r:1")) != -1) {
		if (opt == 'n')
			n = (unsigned)strtoul(optarg, NULL, 10);
		else if (opt == 't')
			seconds = (unsigned)strtoul(optarg, NULL, 10);
		else if (opt == 'r')
			rate = (unsigned)strtoul(optarg, NULL, 10);
		else if (opt == '1')
			once = true;
		else
			return 2;
	}
	if (optind < argc)
		service = argv[optind];
	if (n == 0 || n > MAX_SLOTS)
		return 2;
	end = start + (uint64_t)seconds * 1000000000ull;
	next_report = start + 500000000ull;
	budget_t = start;
	for (unsigned i = 0; i < n; i++)
		slots[i].fd = open_slot(service, i);
	while (!stop && now_ns(CLOCK_MONOTONIC) < end) {
		uint64_t t = now_ns(CLOCK_MONOTONIC);
		unsigned open = 0;

		if (rate) {
			budget += (double)(t - budget_t) * rate / 1e9;
			budget = budget > rate ? rate : budget;
			budget_t = t;
		}
		for (unsigned i = 0; i < n; i++) {
			if (slots[i].fd >= 0 && closed_by_peer(slots[i].fd)) {
				close(slots[i].fd);
				slots[i].fd = -1;
				st.closed++;
			}
			if (slots[i].fd < 0 && !once && (!rate || budget >= 1)) {
				slots[i].fd = open_slot(service, i);
				budget -= rate ? 1 : 0;
			}
			open += slots[i].fd >= 0;
		}
		st.max_open = open > st.max_open ? open : st.max_open;
		if (t >= next_report) {
			printf("OPEN t_ms=%llu open=%u\n",
			       (unsigned long long)((t - start) / 1000000), open);
			fflush(stdout);
			next_report += 500000000ull;
		}
		poll(NULL, 0, 1);
	}
	unsigned open = 0;

	for (unsigned i = 0; i < n; i++)
		open += slots[i].fd >= 0;
	printf("RESULT connects=%lu backlog_full=%lu closed_by_server=%lu open=%u max_open=%lu\n",
	       st.connects, st.backlog_full, st.closed, open, st.max_open);
	return 0;
}

struct bad {
	const char *name;
	size_t len;   /* what is sent */
	int32_t size; /* what the header says */
	uint32_t version;
	int32_t id;
	const char *vip, *node;
	bool random;
};

#define RQ sizeof(struct cv_ipc_request)
#define V  CV_IPC_VERSION

static const struct bad bads[] = {
	{ "short", .len = 16, .size = RQ, .version = V, .id = CV_IPC_STATUS },
	{ "size-lies-up", .len = RQ, .size = 1 << 20, .version = V, .id = CV_IPC_STATUS },
	{ "size-lies-down", .len = RQ, .size = 16, .version = V, .id = CV_IPC_STATUS },
	{ "size-negative", .len = RQ, .size = -1, .version = V, .id = CV_IPC_STATUS },
	{ "garbage", .len = 200, .random = true },
	{ "version", .len = RQ, .size = RQ, .version = 99, .id = CV_IPC_STATUS },
	{ "command", .len = RQ, .size = RQ, .version = V, .id = 999 },
	{ "name-newline", .len = RQ, .size = RQ, .version = V, .id = CV_IPC_MOVE,
	  .vip = "web\nFORGED-LOG-LINE", .node = "n1" },
	{ "name-control", .len = RQ, .size = RQ, .version = V, .id = CV_IPC_STANDBY,
	  .node = "n1\033[2J" },
};

/* The answer's error, or 1 when there was none. */
static int
ask(qb_ipcc_connection_t *c, const void *req, size_t len)
{
	static char buf[CV_IPC_MAX_MSG];
	struct iovec iov = { (void *)req, len };
	ssize_t n = qb_ipcc_sendv_recv(c, &iov, 1, buf, sizeof(buf), 2000);

	if (n < (ssize_t)sizeof(struct qb_ipc_response_header))
		return 1;
	return ((struct qb_ipc_response_header *)buf)->error;
}

static int
requests(int argc, char **argv)
{
	unsigned idle_ms = 0, answered = 0, refused = 0;
	const char *service = CV_IPC_SERVICE;
	struct cv_ipc_request good = { .hdr = { .id = CV_IPC_STATUS, .size = sizeof(good) },
				       .version = CV_IPC_VERSION };
	qb_ipcc_connection_t *c;
	int opt, e;
	bool idle_closed = false;

	while ((opt = getopt(argc, argv, "i:")) != -1) {
		if (opt != 'i')
			return 2;
		idle_ms = (unsigned)strtoul(optarg, NULL, 10);
	}
	if (optind < argc)
		service = argv[optind];
	c = qb_ipcc_connect(service, CV_IPC_MAX_MSG);
	if (!c) {
		printf("RESULT connect failed: %s\n", strerror(errno));
		return 1;
	}
	for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		const struct bad *b = &bads[i];
		union {
			struct cv_ipc_request req;
			uint8_t raw[256];
		} u = { .req = { .hdr = { .id = b->id, .size = b->size }, .version = b->version } };

		if (b->random)
			for (size_t k = 0; k < sizeof(u.raw); k++)
				u.raw[k] = (uint8_t)random();
		if (b->vip)
			snprintf(u.req.vip, sizeof(u.req.vip), "%s", b->vip);
		if (b->node)
			snprintf(u.req.node, sizeof(u.req.node), "%s", b->node);
		e = ask(c, &u, b->len);
		answered += e != 1;
		refused += e < 0;
		if (e == 1)
			printf("REQ %s error=none\n", b->name);
		else
			printf("REQ %s error=%d\n", b->name, e);
	}
	e = ask(c, &good, sizeof(good));
	printf("REQ good-status error=%d\n", e);
	if (idle_ms) {
		fflush(stdout);
		poll(NULL, 0, (int)idle_ms);
		idle_closed = !qb_ipcc_is_connected(c);
	}
	printf("RESULT requests=%zu answered=%u refused=%u status=%s idle_closed=%s\n",
	       sizeof(bads) / sizeof(bads[0]), answered, refused, e == 0 ? "ok" : "failed",
	       idle_closed ? "yes" : "no");
	qb_ipcc_disconnect(c);
	return 0;
}

int
main(int argc, char **argv)
{
	catch_stop_signals();
	srandom(42);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1 && strcmp(argv[1], "flood") == 0)
		return flood(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "requests") == 0)
		return requests(argc - 1, argv + 1);
	fprintf(stderr, "usage: ipcflood flood [-n SLOTS] [-t S] [-r PER_S] [-1] [SERVICE]\n"
			"       ipcflood requests [-i IDLE_MS] [SERVICE]\n");
	return 2;
}
