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
 *
 * Credentials come as for corovipd (os-auth.h): --cloud NAME (or $OS_CLOUD)
 * from clouds.yaml (--clouds-yaml FILE, else the search path), the OS_*
 * environment, --secrets FILE and $CREDENTIALS_DIRECTORY; never from argv.
 * move and release write --epoch E (default 1) and --node N (default 1).
 * bench: one token and one read, then N moves between PORT_A and PORT_B
 * (epochs E, E+1, ...), each timed; the calls each took are counted.
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

#include "cv-error.h"
#include "cv-macros.h"
#include "os-client.h"

#define PROG "corovip-os"

extern char **environ;

struct ctx {
	qb_loop_t *loop;
	struct cv_os_client *client;
	int err;
	char why[512];
	struct cv_os_fip fip;
	bool have_fip;
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
		r = cv_os_fip_move(x->client, fip, port, fixed, epoch, on_done, x, &op);
	else
		r = cv_os_fip_release(x->client, fip, port, epoch, on_done, x, &op);
	if (r < 0) {
		snprintf(x->why, sizeof(x->why), "%s", cv_strerror(r));
		return r;
	}
	qb_loop_run(x->loop);
	return x->err;
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
	uint64_t t0, total = 0;
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
		cv_os_client_stats(x->client, &after);
		total += now_us() - t0;
		printf("move %ld: %.1f ms, %" PRIu64 " reads, %" PRIu64 " writes, %" PRIu64
		       " token calls\n",
		       i + 1, (double)(now_us() - t0) / 1000, after.gets - before.gets,
		       after.puts - before.puts, after.auths - before.auths);
	}
	printf("moves: %ld, mean %.1f ms\n", n, (double)total / 1000 / (double)n);
	return 0;
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: " PROG " [--cloud NAME] [--clouds-yaml FILE] [--secrets FILE]\n"
		   "          [--timeout MS] [--deadline MS] [--epoch E] [--node N] COMMAND ...\n"
		   "  token | show FIP | move FIP PORT [FIXED_IP] | release FIP PORT |\n"
		   "  bench FIP PORT_A PORT_B N\n");
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "cloud", required_argument, NULL, 'c' },   { "clouds-yaml", required_argument, NULL, 'y' },
		{ "secrets", required_argument, NULL, 's' }, { "timeout", required_argument, NULL, 't' },
		{ "deadline", required_argument, NULL, 'd' }, { "epoch", required_argument, NULL, 'e' },
		{ "node", required_argument, NULL, 'n' },    { "help", no_argument, NULL, 'h' },
		{}
	};
	struct cv_os_auth_sources src = { .search_clouds_yaml = true, .environ = environ,
					  .credentials_dir = getenv("CREDENTIALS_DIRECTORY") };
	struct cv_os_client_params p = { .node = 1 };
	struct cv_os_auth auth;
	struct cv_http *http = NULL;
	struct ctx x = {};
	uint64_t epoch = 1;
	char err[512];
	const char *cmd;
	int c, r, nargs;

	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': src.cloud = optarg; break;
		case 'y': src.clouds_yaml = optarg; break;
		case 's': src.secrets_file = optarg; break;
		case 't': p.call_timeout_ms = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'd': p.op_deadline_ms = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'e': epoch = strtoull(optarg, NULL, 10); break;
		case 'n': p.node = (uint32_t)strtoul(optarg, NULL, 10); break;
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
	if (!((strcmp(cmd, "token") == 0 && nargs == 0) || (strcmp(cmd, "show") == 0 && nargs == 1) ||
	      (strcmp(cmd, "move") == 0 && (nargs == 2 || nargs == 3)) ||
	      (strcmp(cmd, "release") == 0 && nargs == 2) || (strcmp(cmd, "bench") == 0 && nargs == 4))) {
		usage(stderr);
		return 2;
	}
	r = cv_os_auth_load(&src, &auth, err, sizeof(err));
	if (r >= 0)
		r = cv_os_auth_check(&auth, err, sizeof(err));
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
	cv_os_auth_done(&auth);
	if (r < 0) {
		fprintf(stderr, PROG ": %s\n", cv_strerror(r));
		return 1;
	}
	argv += optind + 1;
	if (strcmp(cmd, "bench") == 0)
		r = bench(&x, argv, epoch);
	else if (strcmp(cmd, "token") == 0)
		r = print_token(&x);
	else
		r = run(&x, cmd, argv[0], nargs > 1 ? argv[1] : NULL, nargs > 2 ? argv[2] : NULL, epoch);
	if (r >= 0 && x.have_fip && strcmp(cmd, "bench") != 0)
		print_fip(&x.fip);
	if (r < 0)
		fprintf(stderr, PROG ": %s: %s\n", cmd, x.why[0] ? x.why : cv_strerror(r));
	cv_os_client_free(x.client);
	cv_http_free(http);
	qb_loop_destroy(x.loop);
	return r == -ESTALE ? 3 : r < 0 ? 1 : 0;
}
