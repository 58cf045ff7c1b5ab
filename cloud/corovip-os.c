/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * corovip-os: the OpenStack client (os-client.h) from the command line, on
 * its own libqb loop: what the tests and the benchmark drive against a real
 * Keystone and Neutron, and an operator's check of a cloud setup.
 *
 *   corovip-os [OPTIONS] token
 *   corovip-os [OPTIONS] show FIP_ID
 *   corovip-os [OPTIONS] move FIP_ID PORT_ID [FIXED_IP]
 *   corovip-os [OPTIONS] release FIP_ID PORT_ID
 *   corovip-os [OPTIONS] bench FIP_ID PORT_A PORT_B N
 *   corovip-os [OPTIONS] race FIP_ID PORT_A EPOCH_A PORT_B EPOCH_B
 *   corovip-os [--epoch E] [--node N] vip CONF VIP acquire|release|monitor
 *   corovip-os [OPTIONS] pair show|add|remove|who|race|bench ...   (corovip-os-pair.c)
 *
 * Credentials come as for corovipd (os-auth.h): --cloud NAME (or $OS_CLOUD)
 * from clouds.yaml (--clouds-yaml FILE, else the search path), the OS_*
 * environment, --secrets FILE and $CREDENTIALS_DIRECTORY; never from argv.
 * move and release write --epoch E (default 1), --ring R (default 0) and
 * --node N (default 1) (os-client.h cv_os_stamp: ring, then epoch).
 * bench: one token and one read, then N moves between PORT_A and PORT_B
 * (epochs E, E+1, ...), each timed; the calls each took are counted.
 * race: two movers (two clients) read the floating IP, then both write at
 * once with the revision they read: Neutron takes one, the other gets 412,
 * reads again and decides by the epochs; both outcomes are printed. With
 * --in-turn, b writes first and a after it, with the revision it read
 * before: a 412 every time (Neutron lets two writes at the same moment
 * both pass: os-client.c).
 * vip: a VIP of a corovip.conf through the backend (cli-vip.c):
 * its cloud section says where the credentials are.
 * pair: a port's allowed address pairs (corovip-os-pair.c).
 * --stats prints the calls made at the end (stderr).
 * Exit: 0 done, 1 failed, 2 usage, 3 stale (a move of a higher epoch owns it).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <qb/qbloop.h>
#include <qb/qbutil.h>

#include "corovip-os-pair.h"
#include "cli-vip.h"
#include "cv-error.h"
#include "cv-macros.h"
#include "os-client.h"

#define PROG "corovip-os"

extern char **environ;

struct ctx {
	qb_loop_t *loop;
	struct cv_os_client *client;
	int pending; /* operations under way (race: two) */
	int err;
	char why[512];
	struct cv_os_fip fip;
	bool have_fip;
	uint64_t ring; /* --ring: written with each epoch (os-client.h cv_os_stamp) */
};

static void
on_done(void *userdata, int err, const struct cv_os_fip *fip, const char *why)
{
	struct ctx *x = userdata;

	x->err = err;
	snprintf(x->why, sizeof(x->why), "%s", why);
	x->have_fip = fip != NULL;
	if (fip)
		x->fip = *fip;
	if (--x->pending <= 0)
		qb_loop_stop(x->loop);
}

static uint64_t
now_us(void)
{
	return qb_util_nano_current_get() / 1000;
}

static void
print_fip(const struct cv_os_fip *f)
{
	printf("floating IP %s (%s): port %s, fixed IP %s, revision %" PRIu64 ", description \"%s\"\n",
	       f->id, f->address, f->port_id[0] ? f->port_id : "-", f->fixed_ip[0] ? f->fixed_ip : "-",
	       f->revision, f->description);
}

static struct cv_os_stamp
stamp(const struct ctx *x, uint64_t epoch)
{
	return (struct cv_os_stamp){ .ring = x->ring, .epoch = epoch };
}

/* One operation to its end on the loop: 0 or -errno (x->why says more). */
static int
run(struct ctx *x, const char *what, const char *fip, const char *port, const char *fixed,
    uint64_t epoch)
{
	struct cv_os_op *op = NULL;
	int r;

	if (strcmp(what, "token") == 0)
		r = cv_os_authenticate(x->client, on_done, x, &op);
	else if (strcmp(what, "show") == 0)
		r = cv_os_fip_show(x->client, fip, on_done, x, &op);
	else if (strcmp(what, "move") == 0)
		r = cv_os_fip_move(x->client, fip, port, fixed, stamp(x, epoch), on_done, x, &op);
	else
		r = cv_os_fip_release(x->client, fip, port, stamp(x, epoch), on_done, x, &op);
	if (r < 0) {
		snprintf(x->why, sizeof(x->why), "%s", cv_strerror(r));
		return r;
	}
	x->pending = 1;
	qb_loop_run(x->loop);
	return x->err;
}

/* Mover b's outcome lands here; the loop stops with the last of the two. */
struct mover {
	struct ctx *x;
	int err;
	char why[512];
};

static void
on_mover(void *userdata, int err, const struct cv_os_fip *fip, const char *why)
{
	struct mover *m = userdata;

	m->err = err;
	snprintf(m->why, sizeof(m->why), "%s", why);
	if (--m->x->pending <= 0)
		qb_loop_stop(m->x->loop);
}

/* The loop on until neither client has anything under way (their checks after moves). */
struct idle {
	qb_loop_t *loop;
	struct cv_os_client *c[2];
	qb_loop_timer_handle timer;
	int left; /* polls */
};

static void
poll_idle(void *data)
{
	struct idle *w = data;

	if ((cv_os_client_busy(w->c[0]) == 0 && cv_os_client_busy(w->c[1]) == 0) || --w->left == 0)
		qb_loop_stop(w->loop);
	else
		qb_loop_timer_add(w->loop, QB_LOOP_LOW, 20 * QB_TIME_NS_IN_MSEC, w, poll_idle, &w->timer);
}

void
cv_os_cli_wait_idle(qb_loop_t *loop, struct cv_os_client *a, struct cv_os_client *b)
{
	struct idle w = { .loop = loop, .c = { a, b }, .left = 3000 }; /* a minute at most */

	qb_loop_timer_add(loop, QB_LOOP_LOW, 0, &w, poll_idle, &w.timer);
	qb_loop_run(loop);
}

static int
race(struct ctx *x, struct cv_os_client *other, char **argv, bool in_turn)
{
	struct ctx y = { .loop = x->loop, .client = other, .ring = x->ring };
	struct mover a = { .x = x }, b = { .x = x };
	struct cv_os_op *op;
	struct cv_os_stats sa, sb;
	int r;

	/* both read first: they hold the same revision */
	r = run(x, "show", argv[0], NULL, NULL, 0);
	if (r >= 0)
		r = run(&y, "show", argv[0], NULL, NULL, 0);
	if (r >= 0 && in_turn) {
		r = cv_os_fip_move(other, argv[0], argv[3], NULL, stamp(x, strtoull(argv[4], NULL, 10)),
				   on_mover, &b, &op);
		x->pending = 1;
		if (r >= 0)
			qb_loop_run(x->loop);
	}
	if (r >= 0)
		r = cv_os_fip_move(x->client, argv[0], argv[1], NULL, stamp(x, strtoull(argv[2], NULL, 10)),
				   on_mover, &a, &op);
	if (r >= 0 && !in_turn)
		r = cv_os_fip_move(other, argv[0], argv[3], NULL, stamp(x, strtoull(argv[4], NULL, 10)),
				   on_mover, &b, &op);
	if (r < 0)
		return r;
	x->pending = in_turn ? 1 : 2;
	qb_loop_run(x->loop);
	cv_os_cli_wait_idle(x->loop, x->client, other); /* the reads after the moves, and any repair */
	cv_os_client_stats(x->client, &sa);
	cv_os_client_stats(other, &sb);
	printf("mover a (epoch %s): %s%s%s; %" PRIu64 " writes, %" PRIu64 " 412s\n", argv[2],
	       a.err ? cv_strerror(a.err) : "done", a.why[0] ? ": " : "", a.why, sa.puts, sa.conflicts);
	printf("mover b (epoch %s): %s%s%s; %" PRIu64 " writes, %" PRIu64 " 412s\n", argv[4],
	       b.err ? cv_strerror(b.err) : "done", b.why[0] ? ": " : "", b.why, sb.puts, sb.conflicts);
	r = run(x, "show", argv[0], NULL, NULL, 0);
	if (r >= 0)
		print_fip(&x->fip);
	return r;
}

static int
print_token(struct ctx *x)
{
	int64_t refresh;
	const char *url;
	int r = run(x, "token", NULL, NULL, NULL, 0);

	if (r < 0)
		return r;
	url = cv_os_client_endpoint(x->client, &refresh);
	printf("token: refreshed from %" PRId64 " (Unix ms); network endpoint %s\n", refresh, url);
	return 0;
}

static int
bench(struct ctx *x, char **argv, uint64_t epoch)
{
	long n = strtol(argv[3], NULL, 10);
	struct cv_os_stats before, after;
	uint64_t t0, took, total = 0;
	int r;

	if (n < 1 || n > 10000) {
		fprintf(stderr, PROG ": bench: N must be 1..10000\n");
		return -EINVAL;
	}
	r = run(x, "show", argv[0], NULL, NULL, 0); /* the token and the revision, warm */
	if (r < 0)
		return r;
	for (long i = 0; i < n; i++) {
		cv_os_client_stats(x->client, &before);
		t0 = now_us();
		r = run(x, "move", argv[0], argv[1 + i % 2], NULL, epoch + (uint64_t)i + 1);
		if (r < 0)
			return r;
		took = now_us() - t0;
		cv_os_client_stats(x->client, &after);
		total += took;
		printf("move %ld: %.1f ms, %" PRIu64 " reads, %" PRIu64 " writes, %" PRIu64
		       " token calls\n",
		       i + 1, (double)took / 1000, after.gets - before.gets,
		       after.puts - before.puts, after.auths - before.auths);
		fflush(stdout);
		cv_os_cli_wait_idle(x->loop, x->client, x->client); /* its check after the move: not timed */
	}
	printf("moves: %ld, mean %.1f ms\n", n, (double)total / 1000 / (double)n);
	return 0;
}

static void
print_stats(const struct cv_os_client *c)
{
	struct cv_os_stats s;

	cv_os_client_stats(c, &s);
	fprintf(stderr, "calls: %" PRIu64 " token, %" PRIu64 " reads, %" PRIu64 " writes, %" PRIu64
		" 412s, %" PRIu64 " retries, %" PRIu64 " checks after a write\n", s.auths, s.gets, s.puts,
		s.conflicts, s.retries, s.verifies);
}

static int
load_auth(const struct cv_os_auth_sources *src, struct cv_os_auth *auth, char *err, size_t len)
{
	int r = cv_os_auth_load(src, auth, err, len);

	if (r >= 0)
		r = cv_os_auth_check(auth, err, len);
	if (r < 0)
		cv_os_auth_done(auth);
	return r;
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: " PROG " [--cloud NAME] [--clouds-yaml FILE] [--secrets FILE]\n"
		   "          [--timeout MS] [--deadline MS] [--verify-delay MS] [--epoch E] [--ring R] [--node N]\n"
		   "          COMMAND ...\n"
		   "  token | show FIP | move FIP PORT [FIXED_IP] | release FIP PORT |\n"
		   "  bench FIP PORT_A PORT_B N | race FIP PORT_A EPOCH_A PORT_B EPOCH_B |\n"
		   "  vip CONF VIP acquire|release|monitor |\n"
		   "  pair show PORT | pair add PORT IP... | pair remove PORT IP |\n"
		   "  pair who network|port ID IP | pair race PORT IP_A IP_B |\n"
		   "  pair bench IP PORT_A PORT_B N\n"
		   "  [--stats] [--in-turn]\n");
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "cloud", required_argument, NULL, 'c' },   { "clouds-yaml", required_argument, NULL, 'y' },
		{ "secrets", required_argument, NULL, 's' }, { "timeout", required_argument, NULL, 't' },
		{ "deadline", required_argument, NULL, 'd' }, { "epoch", required_argument, NULL, 'e' },
		{ "ring", required_argument, NULL, 'r' },
		{ "node", required_argument, NULL, 'n' },    { "help", no_argument, NULL, 'h' },
		{ "stats", no_argument, NULL, 'S' },	     { "verify-delay", required_argument, NULL, 'v' },	     { "in-turn", no_argument, NULL, 'T' },
		{}
	};
	struct cv_os_auth_sources src = { .search_clouds_yaml = true, .environ = environ,
					  .credentials_dir = getenv("CREDENTIALS_DIRECTORY") };
	struct cv_os_client_params p = { .node = 1 };
	struct cv_os_auth auth;
	struct cv_http *http = NULL;
	struct ctx x = {};
	struct cv_os_auth pending_auth2 = {};
	bool have_auth2 = false;
	uint64_t epoch = 1;
	bool stats = false, in_turn = false;
	struct cv_os_client *other = NULL;
	char err[512];
	const char *cmd;
	bool pair;
	int c, r, nargs;

	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': src.cloud = optarg; break;
		case 'y': src.clouds_yaml = optarg; break;
		case 's': src.secrets_file = optarg; break;
		case 't': p.call_timeout_ms = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'd': p.op_deadline_ms = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'e': epoch = strtoull(optarg, NULL, 10); break;
		case 'r': x.ring = strtoull(optarg, NULL, 10); break;
		case 'n': p.node = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'S': stats = true; break;
		case 'v': p.verify_delay_ms = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'T': in_turn = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	cmd = argv[optind];
	nargs = argc - optind - 1;
	pair = strcmp(cmd, "pair") == 0;
	if (strcmp(cmd, "vip") == 0 && nargs == 3)
		return cv_cli_vip(PROG, CV_BACKEND_OPENSTACK, argv[optind + 1], argv[optind + 2],
				  argv[optind + 3], epoch, p.node);
	if (!((strcmp(cmd, "token") == 0 && nargs == 0) || (strcmp(cmd, "show") == 0 && nargs == 1) ||
	      (strcmp(cmd, "move") == 0 && (nargs == 2 || nargs == 3)) ||
	      (strcmp(cmd, "release") == 0 && nargs == 2) || (strcmp(cmd, "bench") == 0 && nargs == 4) ||
	      (strcmp(cmd, "race") == 0 && nargs == 5) ||
	      (pair && cv_os_cli_pair_args(nargs, argv + optind + 1)))) {
		usage(stderr);
		return 2;
	}
	r = load_auth(&src, &auth, err, sizeof(err));
	if (r >= 0 && (strcmp(cmd, "race") == 0 ||
		       (pair && cv_os_cli_pair_two(nargs, argv + optind + 1)))) {
		struct cv_os_auth auth2;

		r = load_auth(&src, &auth2, err, sizeof(err));
		if (r >= 0)
			pending_auth2 = auth2, have_auth2 = true;
	}
	if (r < 0) {
		fprintf(stderr, PROG ": %s\n", err);
		cv_os_auth_done(&auth);
		return 1;
	}
	x.loop = qb_loop_create();
	p.loop = x.loop;
	r = x.loop ? cv_http_new(x.loop, &http) : -ENOMEM;
	p.http = http;
	if (r >= 0)
		r = cv_os_client_new(&p, &auth, &x.client);
	if (r >= 0 && have_auth2) {
		p.node = p.node + 1; /* the second mover is another node */
		r = cv_os_client_new(&p, &pending_auth2, &other);
	}
	cv_os_auth_done(&auth);
	if (have_auth2)
		cv_os_auth_done(&pending_auth2);
	if (r < 0) {
		fprintf(stderr, PROG ": %s\n", cv_strerror(r));
		return 1;
	}
	argv += optind + 1;
	if (pair)
		r = cv_os_cli_pair(x.loop, x.client, other, nargs, argv, in_turn);
	else if (strcmp(cmd, "bench") == 0)
		r = bench(&x, argv, epoch);
	else if (strcmp(cmd, "race") == 0)
		r = race(&x, other, argv, in_turn);
	else if (strcmp(cmd, "token") == 0)
		r = print_token(&x);
	else
		r = run(&x, cmd, argv[0], nargs > 1 ? argv[1] : NULL, nargs > 2 ? argv[2] : NULL, epoch);
	if (r >= 0)
		cv_os_cli_wait_idle(x.loop, x.client, x.client); /* a move's check after it */
	if (r >= 0 && x.have_fip && strcmp(cmd, "bench") != 0 && strcmp(cmd, "race") != 0)
		print_fip(&x.fip);
	if (r < 0 && !pair) /* pair's own print theirs */
		fprintf(stderr, PROG ": %s: %s\n", cmd, x.why[0] ? x.why : cv_strerror(r));
	if (stats)
		print_stats(x.client);
	cv_os_client_free(other);
	cv_os_client_free(x.client);
	cv_http_free(http);
	qb_loop_destroy(x.loop);
	return r == -ESTALE ? 3 : r < 0 ? 1 : 0;
}
