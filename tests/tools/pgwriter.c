/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pgwriter - a database client's view of a VIP (issue 16): a loop of
 * INSERTs (or of samples) through it, and what came back.
 *
 * Each statement names the server that ran it by a per-node setting
 * (current_setting('corovip.node'), set on the postmaster's command line:
 * inet_server_addr() would be the VIP), so the log says where the VIP
 * pointed at each instant. When the connection breaks or a statement does
 * not answer in time the tool reconnects (libpq, non-blocking, with its own
 * short deadlines: libpq's connect_timeout cannot go below 2 s).
 *
 * Usage: pgwriter [-m write|sample] [-i MS] [-c MS] [-t MS] [-r MS] [-n] [-N COUNT] CONNINFO
 *   -m write   INSERT INTO corovip_writes (seq, node) VALUES ($1,
 *              current_setting('corovip.node')) RETURNING node (default)
 *      sample  SELECT current_setting('corovip.node'), pg_is_in_recovery()
 *   -i  pause after each statement in ms (default 20)
 *   -c  connect deadline in ms (default 1000)
 *   -t  statement deadline in ms (default 2000)
 *   -r  pause after a failure in ms (default 50)
 *   -n  a new connection for every statement (a sampler: where the VIP
 *       points now, not where it pointed when the connection was made)
 *   -N  stop after COUNT attempts (default: at SIGINT/SIGTERM)
 *
 * Output on stdout, line buffered; every line starts with CLOCK_MONOTONIC
 * and CLOCK_REALTIME seconds (6 decimals; the realtime to match the bed's
 * address watcher):
 *   <mono> <real> OK seq=N node=NODE ms=LATENCY [recovery=t|f]
 *   <mono> <real> FAIL seq=N kind=KIND sqlstate=S node=NODE|? ms=LATENCY msg="..."
 *   <mono> <real> SWITCH from=A to=B gap_ms=G last_ok=<mono> first_ok=<mono>
 *   SUMMARY attempts= ok= fail= connect= readonly= recovery= shutdown=
 *           broken= timeout= error= in_recovery= connects= switches=
 *           max_gap_ms= last_node= nodes=NODE:N,...
 * KIND: connect (no connection: refused, unreachable, timed out, auth),
 * readonly (SQLSTATE 25006 "cannot execute ... in a read-only
 * transaction": the server is a standby), recovery (the server refuses:
 * in recovery, starting up, not yet accepting connections), shutdown
 * (57P01/57P02, "shutting down"), broken (the connection was lost),
 * timeout (no answer within -t), error (anything else). readonly and
 * recovery mean the VIP pointed at a server that is not the primary.
 * In sample mode an answer with pg_is_in_recovery() true is OK with
 * recovery=t, counted in in_recovery. SWITCH: the first acknowledged
 * statement on another node than the previous one; gap_ms is the time
 * from the last acknowledgement on the old node to this one (the
 * client's outage). SIGINT/SIGTERM end the run with the SUMMARY.
 * Exit status: 0, 2 on usage errors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "tool-util.h"

#define MAX_NODES 16
#define NODE_LEN  64

enum kind { K_CONNECT, K_READONLY, K_RECOVERY, K_SHUTDOWN, K_BROKEN, K_TIMEOUT, K_ERROR, K_N };
static const char *const kind_names[K_N] = { "connect", "readonly", "recovery", "shutdown",
					     "broken",	"timeout",  "error" };

static const char *const sql_write =
    "INSERT INTO corovip_writes (seq, node) VALUES ($1, current_setting('corovip.node')) "
    "RETURNING node";
static const char *const sql_sample = "SELECT current_setting('corovip.node'), pg_is_in_recovery()";

static struct {
	unsigned long attempts, ok, fail, kinds[K_N], in_recovery, connects, switches;
	double max_gap_ms;
	struct {
		char name[NODE_LEN];
		unsigned long n;
	} nodes[MAX_NODES];
	int n_nodes;
} st;

static void
stamp(void)
{
	uint64_t m = now_ns(CLOCK_MONOTONIC), r = now_ns(CLOCK_REALTIME);

	printf("%llu.%06llu %llu.%06llu ", (unsigned long long)(m / 1000000000ull),
	       (unsigned long long)(m % 1000000000ull / 1000),
	       (unsigned long long)(r / 1000000000ull),
	       (unsigned long long)(r % 1000000000ull / 1000));
}

static double
ms_between(uint64_t a, uint64_t b)
{
	return (double)(b - a) / 1e6;
}

/* A message on one line, without its double quotes. */
static void
one_line(char *dst, size_t n, const char *src)
{
	size_t i = 0;

	for (; src && *src && i + 1 < n; src++) {
		char ch = *src;

		if (ch == '\n' || ch == '\r' || ch == '\t')
			ch = ' ';
		dst[i++] = ch == '"' ? '\'' : ch;
	}
	while (i > 0 && dst[i - 1] == ' ')
		i--;
	dst[i] = '\0';
}

static void
sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	if (ms > 0 && !stop)
		nanosleep(&ts, NULL); /* a signal ends it early: stop is set */
}

/* 1: the socket is ready, 0: the deadline passed, -1: stopped or an error. */
static int
wait_sock(int fd, short events, uint64_t deadline)
{
	for (;;) {
		struct pollfd p = { .fd = fd, .events = events };
		uint64_t now = now_ns(CLOCK_MONOTONIC);
		int r;

		if (stop || fd < 0)
			return -1;
		if (now >= deadline)
			return 0;
		r = poll(&p, 1, (int)((deadline - now + 999999) / 1000000));
		if (r > 0)
			return 1;
		if (r < 0 && errno != EINTR)
			return -1;
	}
}

static bool
has(const char *s, const char *needle)
{
	return s && strstr(s, needle);
}

/* A server's refusal to let us in or to run the statement. */
static enum kind
classify(const char *sqlstate, const char *msg, bool conn_bad)
{
	if (sqlstate && strcmp(sqlstate, "25006") == 0)
		return K_READONLY;
	if (has(msg, "shutting down") ||
	    (sqlstate && (strcmp(sqlstate, "57P01") == 0 || strcmp(sqlstate, "57P02") == 0)))
		return K_SHUTDOWN;
	if ((sqlstate && strcmp(sqlstate, "57P03") == 0) || has(msg, "in recovery") ||
	    has(msg, "starting up") || has(msg, "not yet accepting connections"))
		return K_RECOVERY;
	if (conn_bad)
		return K_BROKEN;
	return K_ERROR;
}

/* A connection within ms, or NULL with why said in why. */
static PGconn *
connect_to(const char *conninfo, int ms, char *why, size_t n)
{
	uint64_t deadline = now_ns(CLOCK_MONOTONIC) + (uint64_t)ms * 1000000ull;
	PGconn *c = PQconnectStart(conninfo);
	PostgresPollingStatusType ps = PGRES_POLLING_WRITING;

	if (!c) {
		snprintf(why, n, "out of memory");
		return NULL;
	}
	while (PQstatus(c) != CONNECTION_BAD) {
		int r;

		if (ps == PGRES_POLLING_OK)
			return c;
		if (ps == PGRES_POLLING_FAILED)
			break;
		r = wait_sock(PQsocket(c), ps == PGRES_POLLING_READING ? POLLIN : POLLOUT,
			      deadline);
		if (r <= 0) {
			snprintf(why, n, r == 0 ? "connect timed out after %d ms" : "stopped", ms);
			PQfinish(c);
			return NULL;
		}
		ps = PQconnectPoll(c);
	}
	one_line(why, n, PQerrorMessage(c));
	PQfinish(c);
	return NULL;
}

/*
 * Run one statement within ms. Its result (the first error one if any), or
 * NULL: *timed_out says whether the deadline passed, else the connection
 * failed (PQerrorMessage).
 */
static PGresult *
run(PGconn *c, const char *sql, int nparams, const char *const *params, int ms, bool *timed_out)
{
	uint64_t deadline = now_ns(CLOCK_MONOTONIC) + (uint64_t)ms * 1000000ull;
	PGresult *keep = NULL, *r;

	*timed_out = false;
	if (!PQsendQueryParams(c, sql, nparams, NULL, params, NULL, NULL, 0))
		return NULL;
	for (;;) {
		while (PQisBusy(c)) {
			int w = wait_sock(PQsocket(c), POLLIN, deadline);

			if (w <= 0) {
				*timed_out = w == 0;
				PQclear(keep);
				return NULL;
			}
			if (!PQconsumeInput(c))
				break; /* PQgetResult says what happened */
		}
		r = PQgetResult(c);
		if (!r)
			return keep;
		if (!keep || (PQresultStatus(keep) == PGRES_TUPLES_OK &&
			      PQresultStatus(r) != PGRES_TUPLES_OK)) {
			PQclear(keep);
			keep = r;
		} else {
			PQclear(r);
		}
		if (PQstatus(c) == CONNECTION_BAD)
			return keep;
	}
}

static void
count_node(const char *node)
{
	int i;

	for (i = 0; i < st.n_nodes; i++)
		if (strcmp(st.nodes[i].name, node) == 0)
			break;
	if (i == st.n_nodes) {
		if (st.n_nodes == MAX_NODES)
			return;
		snprintf(st.nodes[st.n_nodes++].name, NODE_LEN, "%s", node);
	}
	st.nodes[i].n++;
}

/* The node behind a connection that refused a write (for the log only). */
static void
whose(PGconn *c, int ms, char *node, size_t n)
{
	bool to;
	PGresult *r;

	snprintf(node, n, "?");
	if (!c || PQstatus(c) != CONNECTION_OK)
		return;
	r = run(c, "SELECT current_setting('corovip.node', true)", 0, NULL, ms, &to);
	if (r && PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
		snprintf(node, n, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
}

static void
summary(const char *last_node)
{
	printf("SUMMARY attempts=%lu ok=%lu fail=%lu", st.attempts, st.ok, st.fail);
	for (int k = 0; k < K_N; k++)
		printf(" %s=%lu", kind_names[k], st.kinds[k]);
	printf(" in_recovery=%lu connects=%lu switches=%lu max_gap_ms=%.1f last_node=%s nodes=",
	       st.in_recovery, st.connects, st.switches, st.max_gap_ms,
	       last_node[0] ? last_node : "-");
	for (int i = 0; i < st.n_nodes; i++)
		printf("%s%s:%lu", i ? "," : "", st.nodes[i].name, st.nodes[i].n);
	printf("%s\n", st.n_nodes ? "" : "-");
}

static int
usage(void)
{
	fputs("usage: pgwriter [-m write|sample] [-i MS] [-c MS] [-t MS] [-r MS] [-n] [-N COUNT] "
	      "CONNINFO\n",
	      stderr);
	return 2;
}

int
main(int argc, char **argv)
{
	int interval = 20, connect_ms = 1000, stmt_ms = 2000, retry = 50, count = 0, opt;
	bool sample = false, fresh = false;
	char last_node[NODE_LEN] = "", why[512], node[NODE_LEN], seqs[32];
	uint64_t last_ok = 0;
	const char *conninfo;
	PGconn *c = NULL;

	while ((opt = getopt(argc, argv, "m:i:c:t:r:nN:")) != -1) {
		switch (opt) {
		case 'm':
			if (strcmp(optarg, "write") != 0 && strcmp(optarg, "sample") != 0)
				return usage();
			sample = strcmp(optarg, "sample") == 0;
			break;
		case 'i':
			interval = atoi(optarg);
			break;
		case 'c':
			connect_ms = atoi(optarg);
			break;
		case 't':
			stmt_ms = atoi(optarg);
			break;
		case 'r':
			retry = atoi(optarg);
			break;
		case 'n':
			fresh = true;
			break;
		case 'N':
			count = atoi(optarg);
			break;
		default:
			return usage();
		}
	}
	if (optind != argc - 1 || interval < 0 || connect_ms <= 0 || stmt_ms <= 0 || retry < 0 ||
	    count < 0)
		return usage();
	conninfo = argv[optind];
	setvbuf(stdout, NULL, _IOLBF, 0);
	catch_stop_signals();

	for (unsigned long seq = 1; !stop && (!count || st.attempts < (unsigned long)count);
	     seq++) {
		const char *params[1] = { seqs };
		uint64_t t0, t1;
		PGresult *r = NULL;
		bool to = false, ok;
		enum kind k = K_ERROR;
		const char *sqlstate = NULL;

		if (!c) {
			t0 = now_ns(CLOCK_MONOTONIC);
			c = connect_to(conninfo, connect_ms, why, sizeof(why));
			if (!c) {
				if (stop)
					break;
				k = classify(NULL, why, false);
				if (k == K_ERROR || k == K_BROKEN)
					k = K_CONNECT;
				st.attempts++, st.fail++, st.kinds[k]++;
				stamp();
				printf(
				    "FAIL seq=%lu kind=%s sqlstate=- node=? ms=%.1f msg=\"%s\"\n",
				    seq, kind_names[k], ms_between(t0, now_ns(CLOCK_MONOTONIC)),
				    why);
				sleep_ms(retry);
				continue;
			}
			st.connects++;
		}
		snprintf(seqs, sizeof(seqs), "%lu", seq);
		st.attempts++;
		t0 = now_ns(CLOCK_MONOTONIC);
		r = run(c, sample ? sql_sample : sql_write, sample ? 0 : 1, params, stmt_ms, &to);
		t1 = now_ns(CLOCK_MONOTONIC);
		if (stop && !r)
			break;
		ok = r && PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
		if (ok) {
			bool rec = sample && strcmp(PQgetvalue(r, 0, 1), "t") == 0;

			snprintf(node, sizeof(node), "%s", PQgetvalue(r, 0, 0));
			st.ok++;
			st.in_recovery += rec;
			count_node(node);
			if (last_ok && ms_between(last_ok, t1) > st.max_gap_ms)
				st.max_gap_ms = ms_between(last_ok, t1);
			if (last_node[0] && strcmp(last_node, node) != 0) {
				st.switches++;
				stamp();
				printf("SWITCH from=%s to=%s gap_ms=%.1f last_ok=%llu.%06llu "
				       "first_ok=%llu.%06llu\n",
				       last_node, node, ms_between(last_ok, t1),
				       (unsigned long long)(last_ok / 1000000000ull),
				       (unsigned long long)(last_ok % 1000000000ull / 1000),
				       (unsigned long long)(t1 / 1000000000ull),
				       (unsigned long long)(t1 % 1000000000ull / 1000));
			}
			stamp();
			printf("OK seq=%lu node=%s ms=%.1f", seq, node, ms_between(t0, t1));
			if (sample)
				printf(" recovery=%s", rec ? "t" : "f");
			printf("\n");
			snprintf(last_node, sizeof(last_node), "%s", node);
			last_ok = t1;
		} else {
			if (to) {
				k = K_TIMEOUT;
				snprintf(why, sizeof(why), "no answer within %d ms", stmt_ms);
			} else {
				sqlstate = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
				one_line(why, sizeof(why),
					 r && PQresultErrorMessage(r)[0] ? PQresultErrorMessage(r)
									 : PQerrorMessage(c));
				if (!why[0])
					snprintf(why, sizeof(why), "unexpected answer");
				k = classify(sqlstate, why, PQstatus(c) != CONNECTION_OK);
			}
			snprintf(node, sizeof(node), "?");
			if (k == K_READONLY)
				whose(c, stmt_ms, node, sizeof(node));
			st.fail++, st.kinds[k]++;
			stamp();
			printf("FAIL seq=%lu kind=%s sqlstate=%s node=%s ms=%.1f msg=\"%s\"\n", seq,
			       kind_names[k], sqlstate ? sqlstate : "-", node, ms_between(t0, t1),
			       why);
		}
		PQclear(r);
		if (to || PQstatus(c) != CONNECTION_OK || fresh) {
			PQfinish(c);
			c = NULL;
		}
		sleep_ms(ok ? interval : retry);
	}
	PQfinish(c);
	summary(last_node);
	return 0;
}
