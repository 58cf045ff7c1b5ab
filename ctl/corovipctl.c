/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * corovipctl: ask this node's corovipd over libqb IPC (ctl/ipc-proto.h)
 * and print its answer. Exit 0 on success, 1 with corovipd's reason on
 * stderr when it refused or failed, 2 on usage errors, 3 when --wait ran out.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <qb/qbipcc.h>
#include <qb/qbutil.h>

#include "cv-macros.h"
#include "ipc-client.h"
#include "number.h"

/* corovipctl(8), EXIT STATUS */
enum { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_USAGE = 2, EXIT_WAIT_TIMEOUT = 3 };
#define WAIT_DEFAULT_S 30
#define WAIT_POLL_MS 50

#define TIMEOUT_MS 5000 /* to connect, and then for the answer */

static void
usage(FILE *f)
{
	fprintf(f, "Usage: corovipctl [-h|--help] [-V|--version] COMMAND\n"
		   "\n"
		   "  status [--json]     who holds what, quorum, the view, last transitions, checks\n"
		   "  move VIP NODE [--wait[=S]]\n"
		   "                      hand VIP over to NODE (--wait: until NODE holds it, S s at\n"
		   "                      most, default 30; exit 3 if not by then)\n"
		   "  standby NODE [--wait[=S]]\n"
		   "                      move every VIP off NODE and keep them off (--wait: until\n"
		   "                      NODE owns none)\n"
		   "  unstandby NODE      make NODE eligible again\n"
		   "  reload              read the configuration file again (as SIGHUP)\n"
		   "  metrics             Prometheus text format\n"
		   "  who-has ADDRESS     the VIP that has ADDRESS (exit 1: none)\n"
		   "  recheck VIP         run VIP's checks now, their outcome taken as it is\n"
		   "                      (a cluster manager's role change: Patroni's on_role_change)\n"
		   "  log-level LEVEL     error, warning, notice, info or debug until the next reload\n"
		   "  blackbox            write corovipd's blackbox (recent debug lines) to a file\n"
		   "  maintenance on|off  the whole cluster: placement moves nothing, nobody takes\n"
		   "                      a VIP (leases renewed; quorum loss still releases)\n"
		   "  ban VIP NODE [--lifetime D]\n"
		   "                      NODE may not hold VIP (D: for that long, as 90s, 30m,\n"
		   "                      2h or 7d; otherwise until cleared)\n"
		   "  clear VIP [NODE]    end VIP's bans (NODE's only), and a move of it under way\n"
		   "\n"
		   "Talks to this node's corovipd; root or group " CV_IPC_GROUP " only.\n");
}

struct command {
	const char *name;
	enum cv_ipc_cmd cmd;
	int n_args; /* after the name */
};

static const struct command commands[] = {
	{ "status", CV_IPC_STATUS, 0 },	      { "move", CV_IPC_MOVE, 2 },
	{ "standby", CV_IPC_STANDBY, 1 },     { "unstandby", CV_IPC_UNSTANDBY, 1 },
	{ "reload", CV_IPC_RELOAD, 0 },	      { "metrics", CV_IPC_METRICS, 0 },
	{ "who-has", CV_IPC_WHO_HAS, 1 },     { "recheck", CV_IPC_RECHECK, 1 },
	{ "log-level", CV_IPC_LOG_LEVEL, 1 }, { "blackbox", CV_IPC_BLACKBOX, 0 },
	{ "maintenance", CV_IPC_MAINTENANCE, 1 }, { "ban", CV_IPC_BAN, 2 },
	{ "clear", CV_IPC_CLEAR, 1 }, /* or 2: parse */
};

static bool
copy_name(char *dst, size_t len, const char *src, const char *what)
{
	if (strlen(src) >= len || !src[0]) {
		fprintf(stderr, "corovipctl: %s name '%s': empty or longer than %zu characters\n",
			what, src, len - 1);
		return false;
	}
	memcpy(dst, src, strlen(src) + 1);
	return true;
}

/* move and standby: a last "--wait[=S]" -> *wait_ms (0: none); false on a bad one. */
static bool
take_wait(int *argc, char **argv, uint32_t *wait_ms)
{
	const char *a = *argc > 1 ? argv[*argc - 1] : "";
	uint32_t s = WAIT_DEFAULT_S;

	if (strncmp(a, "--wait", 6) != 0)
		return true;
	if (a[6] == '=' ? cv_parse_u32(a + 7, 86400, &s) < 0 || s == 0 : a[6] != 0) {
		fprintf(stderr, "corovipctl: '%s': --wait or --wait=SECONDS (1..86400)\n", a);
		return false;
	}
	*wait_ms = s * 1000;
	(*argc)--;
	return true;
}

#define LIFETIME_MAX_MS (30 * 86400 * 1000u) /* 30 days, within the wire's u32 */

/* ban: a last "--lifetime D" (D: digits and s, m, h or d) -> *ms; false on a bad one. */
static bool
take_lifetime(int *argc, char **argv, uint32_t *ms)
{
	static const struct {
		char unit;
		uint32_t ms;
	} units[] = { { 's', 1000 }, { 'm', 60000 }, { 'h', 3600000 }, { 'd', 86400000 } };
	const char *d = *argc > 2 ? argv[*argc - 1] : "";
	size_t n = strlen(d);
	char digits[16];
	uint32_t v;

	if (*argc < 3 || strcmp(argv[*argc - 2], "--lifetime") != 0)
		return true;
	for (size_t k = 0; n > 1 && n < sizeof(digits) && k < ELEMENTSOF(units); k++) {
		if (d[n - 1] != units[k].unit)
			continue;
		memcpy(digits, d, n - 1);
		digits[n - 1] = '\0';
		if (cv_parse_u32(digits, LIFETIME_MAX_MS / units[k].ms, &v) < 0 || !v)
			break;
		*ms = v * units[k].ms;
		*argc -= 2;
		return true;
	}
	fprintf(stderr, "corovipctl: --lifetime '%s': a duration as 90s, 30m, 2h or 7d "
			"(at most 30 days)\n", d);
	return false;
}

/* argv (after the options) -> request; false on a usage error (already said). */
static bool
parse(int argc, char **argv, struct cv_ipc_request *req, uint32_t *wait_ms)
{
	const struct command *c = NULL;
	int n;

	if (argc > 0 && (strcmp(argv[0], "move") == 0 || strcmp(argv[0], "standby") == 0) &&
	    !take_wait(&argc, argv, wait_ms))
		return false;
	if (argc > 0 && strcmp(argv[0], "ban") == 0 && !take_lifetime(&argc, argv, &req->arg))
		return false;
	n = argc - 1;

	for (size_t i = 0; argc > 0 && i < ELEMENTSOF(commands); i++)
		if (strcmp(argv[0], commands[i].name) == 0)
			c = &commands[i];
	if (!c) {
		fprintf(stderr, "corovipctl: %s\n", argc ? "unknown command" : "no command given");
		return false;
	}
	req->hdr.id = c->cmd;
	if (c->cmd == CV_IPC_STATUS && n == 1 && strcmp(argv[1], "--json") == 0) {
		req->hdr.id = CV_IPC_STATUS_JSON;
		return true;
	}
	if (n != c->n_args && !(c->cmd == CV_IPC_CLEAR && n == 2)) {
		fprintf(stderr, "corovipctl %s: wrong number of arguments\n", c->name);
		return false;
	}
	if (c->cmd == CV_IPC_RECHECK)
		return copy_name(req->vip, sizeof(req->vip), argv[1], "VIP");
	if (c->cmd == CV_IPC_LOG_LEVEL)
		return copy_name(req->vip, sizeof(req->vip), argv[1], "level");
	if (c->cmd == CV_IPC_MAINTENANCE && strcmp(argv[1], "on") != 0 &&
	    strcmp(argv[1], "off") != 0) {
		fprintf(stderr, "corovipctl maintenance: on or off\n");
		return false;
	}
	if (c->cmd == CV_IPC_MAINTENANCE)
		return copy_name(req->vip, sizeof(req->vip), argv[1], "mode");
	if (c->cmd == CV_IPC_MOVE || c->cmd == CV_IPC_BAN || (c->cmd == CV_IPC_CLEAR && n == 2))
		return copy_name(req->vip, sizeof(req->vip), argv[1], "VIP") &&
		       copy_name(req->node, sizeof(req->node), argv[2], "node");
	if (c->cmd == CV_IPC_CLEAR)
		return copy_name(req->vip, sizeof(req->vip), argv[1], "VIP");
	if (c->cmd == CV_IPC_WHO_HAS && cv_ipc_address_hex(argv[1], req->vip, sizeof(req->vip)) < 0) {
		fprintf(stderr, "corovipctl who-has: '%s' is not an address\n", argv[1]);
		return false;
	}
	if (c->cmd == CV_IPC_WHO_HAS)
		return true;
	if (n == 1)
		return copy_name(req->node, sizeof(req->node), argv[1], "node");
	return true;
}

static void
say_connect_error(int err)
{
	if (err == EACCES || err == EPERM)
		fprintf(stderr, "corovipctl: corovipd refused the connection: "
				"only root and group " CV_IPC_GROUP " may use it\n");
	else if (err == ECONNREFUSED || err == ENOENT)
		fprintf(stderr, "corovipctl: cannot reach corovipd (is it running?)\n");
	else if (err == ENOTCONN || err == ECONNRESET || err == EPIPE)
		/* corovipd closes, unanswered, whoever it will not serve (ctl/ipc-guard.h) */
		fprintf(stderr, "corovipctl: corovipd closed the connection: only root and group "
				CV_IPC_GROUP " may use it, each with a few connections at a time\n");
	else if (err == ETIMEDOUT)
		fprintf(stderr, "corovipctl: corovipd did not answer within %d ms\n", TIMEOUT_MS);
	else
		fprintf(stderr, "corovipctl: cannot reach corovipd: %s\n", strerror(err));
}

/* Send req, print the answer: stdout on success, stderr on failure. */
static int
ask(qb_ipcc_connection_t *conn, struct cv_ipc_request *req)
{
	_cleanup_free_ char *text = NULL;
	int err, r = cv_ipc_ask(conn, req, TIMEOUT_MS, &err, &text);

	if (r == -EBADMSG) {
		fprintf(stderr, "corovipctl: malformed answer from corovipd\n");
		return EXIT_FAILED;
	}
	if (r < 0) {
		fprintf(stderr, "corovipctl: no answer from corovipd: %s\n", strerror(-r));
		return EXIT_FAILED;
	}
	if (err < 0) {
		fprintf(stderr, "corovipctl: %s\n", text);
		return EXIT_FAILED;
	}
	fputs(text, stdout);
	return fflush(stdout) == 0 ? EXIT_OK : EXIT_FAILED;
}

/* The local daemon's answer to CV_IPC_WHERE about vip (or node), or NULL (said why). */
static char *
where(qb_ipcc_connection_t *conn, const char *vip, const char *node)
{
	struct cv_ipc_request q = { .hdr = { .id = CV_IPC_WHERE, .size = sizeof(q) },
				    .version = CV_IPC_VERSION };
	char *text = NULL;
	int err, r;

	snprintf(q.vip, sizeof(q.vip), "%s", vip ? vip : "");
	snprintf(q.node, sizeof(q.node), "%s", node ? node : "");
	r = cv_ipc_ask(conn, &q, TIMEOUT_MS, &err, &text);
	if (r < 0 || err < 0) {
		fprintf(stderr, "corovipctl: --wait: %s\n", r < 0 ? strerror(-r) : text);
		free(text);
		return NULL;
	}
	return text;
}

static uint64_t
mono_ms(void)
{
	return qb_util_nano_current_get() / QB_TIME_NS_IN_MSEC;
}

/*
 * move --wait: until this node's daemon says req->node owns the VIP and
 * simply holds it (why "held"); standby --wait: until it says the node owns
 * none and no VIP is in motion (the takeovers done). As this node sees it:
 * every member places alike.
 */
static int
wait_done(qb_ipcc_connection_t *conn, const struct cv_ipc_request *req, uint32_t wait_ms)
{
	bool move = req->hdr.id == CV_IPC_MOVE;
	uint64_t t0 = mono_ms();
	char want[sizeof(req->node) + 8];

	snprintf(want, sizeof(want), "%s held\n", req->node);
	for (;;) {
		_cleanup_free_ char *text = where(conn, move ? req->vip : NULL, move ? NULL : req->node);
		uint64_t took = mono_ms() - t0;

		if (!text)
			return EXIT_FAILED;
		if (move ? strcmp(text, want) == 0 : strcmp(text, "0 0\n") == 0) {
			if (move)
				printf("VIP '%s' is held by '%s' (%" PRIu64 " ms)\n", req->vip, req->node, took);
			else
				printf("node '%s' owns no VIP, none is in motion (%" PRIu64 " ms)\n",
				       req->node, took);
			return EXIT_OK;
		}
		if (took >= wait_ms) {
			fprintf(stderr, "corovipctl: not done after %" PRIu32 " s: %s%s", wait_ms / 1000,
				move ? "owner and why: " : "VIPs it owns, VIPs in motion: ", text);
			return EXIT_WAIT_TIMEOUT;
		}
		/* a CLI between two questions: no loop to put a timer in */
		nanosleep(&(struct timespec){ .tv_nsec = WAIT_POLL_MS * 1000000L }, NULL);
	}
}

int
main(int argc, char **argv)
{
	struct cv_ipc_request req = { .hdr = { .size = sizeof(req) }, .version = CV_IPC_VERSION };
	qb_ipcc_connection_t *conn;
	uint32_t wait_ms = 0;
	int code;

	if (argc > 1 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		usage(stdout);
		return EXIT_OK;
	}
	if (argc > 1 && (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0)) {
		printf("corovipctl %s (IPC protocol %d)\n", PACKAGE_VERSION, CV_IPC_VERSION);
		return EXIT_OK;
	}
	if (!parse(argc - 1, argv + 1, &req, &wait_ms)) {
		usage(stderr);
		return EXIT_USAGE;
	}
	conn = cv_ipc_connect(TIMEOUT_MS);
	if (!conn) {
		say_connect_error(errno);
		return EXIT_FAILED;
	}
	code = ask(conn, &req);
	if (code == EXIT_OK && wait_ms)
		code = wait_done(conn, &req, wait_ms);
	qb_ipcc_disconnect(conn);
	return code;
}
