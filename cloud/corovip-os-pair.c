/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * corovip-os pair: a port's allowed address pairs (os-client-port.c) from
 * the command line, for the tests and the benchmark of the
 * allowed-address-pairs mode.
 *
 *   pair show PORT
 *   pair add PORT IP... | pair remove PORT IP
 *       several IPs: added at once by one client (its writes to one port
 *       go one after the other, each on the revision the last wrote)
 *   pair who network NETWORK_ID IP | pair who port PORT_ID IP
 *       the ports of the network (or of that port's) with a pair for IP
 *   pair race PORT IP_A IP_B
 *       two clients read the port, then add IP_A and IP_B with the revision
 *       they read: at once, or with --in-turn b first and a after it (a
 *       412 for a, which reads again and adds beside b's)
 *   pair bench IP PORT_A PORT_B N
 *       one token and a read of each port, IP on PORT_A; then N moves, each
 *       an add on the new port and a removal from the old one started
 *       together, timed until both are done
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <qb/qbutil.h>

#include "corovip-os-pair.h"
#include "cv-error.h"
#include "cv-macros.h"

#define PROG "corovip-os"

/* One or more operations under way; the loop stops with the last. */
struct pctx {
	qb_loop_t *loop;
	int pending;
};

struct result {
	struct pctx *x;
	int err;
	char why[512];
	struct cv_os_port port;
	bool have;
	uint64_t started_us, took_us;
	struct cv_os_port *list;
	size_t n;
};

static uint64_t
now_us(void)
{
	return qb_util_nano_current_get() / 1000;
}

static void
settle(struct result *res, int err, const char *why)
{
	res->err = err;
	res->took_us = now_us() - res->started_us;
	snprintf(res->why, sizeof(res->why), "%s", why);
	if (--res->x->pending <= 0)
		qb_loop_stop(res->x->loop);
}

static void
on_port(void *userdata, int err, const struct cv_os_port *port, const char *why)
{
	struct result *res = userdata;

	res->have = port != NULL;
	if (port)
		res->port = *port;
	settle(res, err, why);
}

static void
on_ports(void *userdata, int err, const struct cv_os_port *ports, size_t n, const char *why)
{
	struct result *res = userdata;

	res->list = n ? malloc(n * sizeof(*ports)) : NULL;
	res->n = res->list ? n : 0;
	if (res->list)
		memcpy(res->list, ports, n * sizeof(*ports));
	settle(res, err, why);
}

/* Start one: what (show, add, remove), on res (which counts in res->x). */
static int
start(struct cv_os_client *c, const char *what, const char *port, const char *ip,
      struct result *res)
{
	struct cv_os_op *op;
	int r;

	res->started_us = now_us();
	if (strcmp(what, "show") == 0)
		r = cv_os_port_show(c, port, on_port, res, &op);
	else if (strcmp(what, "add") == 0)
		r = cv_os_port_pair_add(c, port, ip, on_port, res, &op);
	else
		r = cv_os_port_pair_remove(c, port, ip, on_port, res, &op);
	if (r < 0)
		snprintf(res->why, sizeof(res->why), "%s", cv_strerror(r));
	else
		res->x->pending++;
	return r;
}

/* One to its end: 0 or -errno (res->why says more). */
static int
run(struct cv_os_client *c, struct pctx *x, const char *what, const char *port, const char *ip,
    struct result *res)
{
	*res = (struct result){ .x = x };
	x->pending = 0;
	if (start(c, what, port, ip, res) < 0)
		return -EINVAL;
	qb_loop_run(x->loop);
	return res->err;
}

static void
print_port(const struct cv_os_port *p)
{
	printf("port %s (network %s, MAC %s): revision %" PRIu64 ", pairs:", p->id,
	       p->network_id[0] ? p->network_id : "-", p->mac, p->revision);
	for (size_t i = 0; i < p->n_pairs; i++)
		printf(" %s%s%s", p->pairs[i].ip, p->pairs[i].mac[0] ? "," : "", p->pairs[i].mac);
	printf("%s\n", p->n_pairs ? "" : " none");
}

static int
fail(const char *what, const struct result *res)
{
	fprintf(stderr, PROG ": pair %s: %s\n", what, res->why[0] ? res->why : cv_strerror(res->err));
	return res->err < 0 ? res->err : -EINVAL;
}

static int
who(struct cv_os_client *c, struct pctx *x, char **argv)
{
	bool net = strcmp(argv[1], "network") == 0;
	struct result res = { .x = x };
	struct cv_os_op *op;
	int r;

	r = cv_os_ports_with_pair(c, net ? argv[2] : NULL, net ? NULL : argv[2], argv[3], on_ports,
				  &res, &op);
	if (r < 0) {
		res.err = r;
		return fail("who", &res);
	}
	x->pending = 1;
	qb_loop_run(x->loop);
	if (res.err < 0)
		return fail("who", &res);
	for (size_t i = 0; i < res.n; i++)
		print_port(&res.list[i]);
	printf("ports with a pair for %s: %zu\n", argv[3], res.n);
	free(res.list);
	return 0;
}

static void
print_mover(const char *name, const char *ip, const struct result *res, struct cv_os_client *c)
{
	struct cv_os_stats s;

	cv_os_client_stats(c, &s);
	printf("mover %s (%s): %s%s%s; %" PRIu64 " writes, %" PRIu64 " 412s\n", name, ip,
	       res->err ? cv_strerror(res->err) : "done", res->why[0] ? ": " : "", res->why, s.puts,
	       s.conflicts);
}

static int
race(qb_loop_t *loop, struct cv_os_client *a, struct cv_os_client *b, char **argv, bool in_turn)
{
	struct pctx x = { .loop = loop };
	struct result *ra = calloc(1, sizeof(*ra)), *rb = calloc(1, sizeof(*rb));
	const char *port = argv[1];
	int r = ra && rb ? 0 : -ENOMEM;

	/* both read first: they hold the same revision */
	if (r >= 0 && (r = run(a, &x, "show", port, NULL, ra)) < 0)
		fail("race", ra);
	if (r >= 0 && (r = run(b, &x, "show", port, NULL, rb)) < 0)
		fail("race", rb);
	if (r >= 0 && in_turn && (r = run(b, &x, "add", port, argv[3], rb)) < 0)
		fail("race", rb);
	if (r >= 0) {
		x.pending = 0;
		*ra = (struct result){ .x = &x };
		r = start(a, "add", port, argv[2], ra);
		if (r >= 0 && !in_turn) {
			*rb = (struct result){ .x = &x };
			r = start(b, "add", port, argv[3], rb);
		}
		if (x.pending)
			qb_loop_run(loop);
	}
	if (r >= 0) {
		cv_os_cli_wait_idle(loop, a, b); /* the checks after the adds, and any repair */
		print_mover("a", argv[2], ra, a);
		print_mover("b", argv[3], rb, b);
		r = run(a, &x, "show", port, NULL, ra);
		if (r >= 0)
			print_port(&ra->port);
	}
	free(ra);
	free(rb);
	return r;
}

static int
bench(qb_loop_t *loop, struct cv_os_client *c, char **argv)
{
	const char *ip = argv[1], *ports[2] = { argv[2], argv[3] };
	long n = strtol(argv[4], NULL, 10);
	struct pctx x = { .loop = loop };
	struct result *add = calloc(1, sizeof(*add)), *rm = calloc(1, sizeof(*rm));
	struct cv_os_stats before, after;
	uint64_t t0, took, total = 0;
	int r = add && rm ? 0 : -ENOMEM;

	if (n < 1 || n > 10000) {
		fprintf(stderr, PROG ": pair bench: N must be 1..10000\n");
		r = -EINVAL;
	}
	/* the token, both revisions and the address on PORT_A: warm */
	if (r >= 0 && ((r = run(c, &x, "show", ports[1], NULL, add)) < 0 ||
		       (r = run(c, &x, "add", ports[0], ip, add)) < 0))
		fail("bench", add);
	for (long i = 0; r >= 0 && i < n; i++) {
		const char *to = ports[(i + 1) % 2], *from = ports[i % 2];

		cv_os_cli_wait_idle(loop, c, c); /* the check after the last add: not timed */
		cv_os_client_stats(c, &before);
		*add = (struct result){ .x = &x };
		*rm = (struct result){ .x = &x };
		x.pending = 0;
		t0 = now_us();
		r = start(c, "add", to, ip, add);
		if (r >= 0)
			r = start(c, "remove", from, ip, rm);
		if (x.pending)
			qb_loop_run(loop);
		took = now_us() - t0;
		if (r < 0 || add->err < 0 || rm->err < 0) {
			r = fail("bench", add->err < 0 ? add : rm);
			break;
		}
		cv_os_client_stats(c, &after);
		total += took;
		printf("move %ld: %.1f ms (add %.1f ms, remove %.1f ms), %" PRIu64 " reads, %" PRIu64
		       " writes, %" PRIu64 " token calls\n",
		       i + 1, (double)took / 1000, (double)add->took_us / 1000,
		       (double)rm->took_us / 1000, after.gets - before.gets, after.puts - before.puts,
		       after.auths - before.auths);
		fflush(stdout);
	}
	if (r >= 0)
		printf("moves: %ld, mean %.1f ms\n", n, (double)total / 1000 / (double)n);
	free(add);
	free(rm);
	return r;
}

/* Several adds to one port at once: all must be there at the end. */
static int
add_several(qb_loop_t *loop, struct cv_os_client *c, int n, char **ips, const char *port)
{
	struct pctx x = { .loop = loop };
	_cleanup_free_ struct result *res = calloc((size_t)n, sizeof(*res));
	int r = res ? 0 : -ENOMEM;

	for (int i = 0; r >= 0 && i < n; i++) {
		res[i] = (struct result){ .x = &x };
		r = start(c, "add", port, ips[i], &res[i]);
	}
	if (x.pending)
		qb_loop_run(loop);
	for (int i = 0; i < n; i++)
		if (r >= 0 && res[i].err < 0)
			r = fail("add", &res[i]);
	if (r < 0)
		return r;
	cv_os_cli_wait_idle(loop, c, c); /* the checks after the adds */
	r = run(c, &x, "show", port, NULL, &res[0]);
	if (r < 0)
		return fail("add", &res[0]);
	print_port(&res[0].port);
	return 0;
}

bool
cv_os_cli_pair_args(int argc, char *const *argv)
{
	if (argc < 1)
		return false;
	if (strcmp(argv[0], "show") == 0)
		return argc == 2;
	if (strcmp(argv[0], "add") == 0)
		return argc >= 3 && argc <= 2 + 16;
	if (strcmp(argv[0], "remove") == 0)
		return argc == 3;
	if (strcmp(argv[0], "who") == 0)
		return argc == 4 && (strcmp(argv[1], "network") == 0 || strcmp(argv[1], "port") == 0);
	if (strcmp(argv[0], "race") == 0)
		return argc == 4;
	return strcmp(argv[0], "bench") == 0 && argc == 5;
}

bool
cv_os_cli_pair_two(int argc, char *const *argv)
{
	return argc >= 1 && strcmp(argv[0], "race") == 0;
}

int
cv_os_cli_pair(qb_loop_t *loop, struct cv_os_client *a, struct cv_os_client *b, int argc,
	       char **argv, bool in_turn)
{
	struct pctx x = { .loop = loop };
	_cleanup_free_ struct result *res = calloc(1, sizeof(*res));
	int r;

	if (!res || !cv_os_cli_pair_args(argc, argv))
		return -EINVAL;
	if (strcmp(argv[0], "who") == 0)
		return who(a, &x, argv);
	if (strcmp(argv[0], "race") == 0)
		return race(loop, a, b, argv, in_turn);
	if (strcmp(argv[0], "bench") == 0)
		return bench(loop, a, argv);
	if (strcmp(argv[0], "add") == 0 && argc > 3)
		return add_several(loop, a, argc - 2, argv + 2, argv[1]);
	r = run(a, &x, argv[0], argv[1], argc > 2 ? argv[2] : NULL, res);
	if (r < 0)
		return fail(argv[0], res);
	cv_os_cli_wait_idle(loop, a, a); /* an add's check after it */
	print_port(&res->port);
	return 0;
}
