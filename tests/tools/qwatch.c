/*
 * qwatch - time-stamped membership and quorum events of the local corosync
 * (the one of the network namespace it runs in: libqb IPC uses abstract
 * unix sockets). The checker uses it to know when each node's new ring
 * formed and whether it was quorate; it never talks to corovipd.
 *
 * Usage: qwatch [GROUP]      (joins CPG group GROUP, default cvbed-qwatch,
 *                             to get totem confchg callbacks)
 * Build: cc -o qwatch qwatch.c -lcpg -lquorum
 *
 * One line per event (CLOCK_REALTIME seconds, 6 decimals):
 *   <t> UP nodeid=<id>                   connected to corosync
 *   <t> TOTEM ring=<node>.<seq> members=<ids>
 *   <t> QUORUM quorate=<0|1> ring=<node>.<seq> members=<ids>
 *   <t> LOST <why>                       connection lost; reconnects every 50 ms
 * Runs until SIGINT/SIGTERM.
 */
#define _GNU_SOURCE
#include <corosync/cpg.h>
#include <corosync/quorum.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tool-util.h"


static void
stamp(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	printf("%lld.%06ld ", (long long)ts.tv_sec, ts.tv_nsec / 1000);
}

static void
print_ids(const uint32_t *ids, size_t n)
{
	size_t i;

	printf(" members=");
	for (i = 0; i < n; i++)
		printf("%s%u", i ? "," : "", ids[i]);
	if (!n)
		printf("-");
	printf("\n");
}

static void
on_deliver(cpg_handle_t h, const struct cpg_name *group, uint32_t nodeid, uint32_t pid, void *msg,
	   size_t len)
{
	(void)h, (void)group, (void)nodeid, (void)pid, (void)msg, (void)len;
}

static void
on_confchg(cpg_handle_t h, const struct cpg_name *group, const struct cpg_address *members,
	   size_t nmembers, const struct cpg_address *left, size_t nleft,
	   const struct cpg_address *joined, size_t njoined)
{
	(void)h, (void)group, (void)members, (void)nmembers, (void)left, (void)nleft;
	(void)joined, (void)njoined;
}

static void
on_totem(cpg_handle_t h, struct cpg_ring_id ring, uint32_t n, const uint32_t *ids)
{
	(void)h;
	stamp();
	printf("TOTEM ring=%u.%llu", ring.nodeid, (unsigned long long)ring.seq);
	print_ids(ids, n);
}

static void
on_quorum(quorum_handle_t h, uint32_t quorate, struct quorum_ring_id ring, uint32_t n,
	  const uint32_t *ids)
{
	(void)h;
	stamp();
	printf("QUORUM quorate=%u ring=%u.%llu", quorate, ring.nodeid,
	       (unsigned long long)ring.seq);
	print_ids(ids, n);
}

struct conn {
	cpg_handle_t cpg;
	quorum_handle_t q;
	struct cpg_name group;
	int cpg_fd, q_fd;
};

static int
connect_corosync(struct conn *c)
{
	cpg_model_v1_data_t cm = {
		.model = CPG_MODEL_V1,
		.cpg_deliver_fn = on_deliver,
		.cpg_confchg_fn = on_confchg,
		.cpg_totem_confchg_fn = on_totem,
		.flags = CPG_MODEL_V1_DELIVER_INITIAL_TOTEM_CONF,
	};
	quorum_model_v1_data_t qm = {
		.model = QUORUM_MODEL_V1,
		.quorum_notify_fn = on_quorum,
	};
	unsigned int local = 0;
	uint32_t qtype = 0;

	if (cpg_model_initialize(&c->cpg, CPG_MODEL_V1, (cpg_model_data_t *)&cm, NULL) != CS_OK)
		return -1;
	if (quorum_model_initialize(&c->q, QUORUM_MODEL_V1, (quorum_model_data_t *)&qm, &qtype,
				    NULL) != CS_OK) {
		cpg_finalize(c->cpg);
		return -1;
	}
	if (cpg_join(c->cpg, &c->group) != CS_OK ||
	    quorum_trackstart(c->q, CS_TRACK_CHANGES | CS_TRACK_CURRENT) != CS_OK ||
	    cpg_fd_get(c->cpg, &c->cpg_fd) != CS_OK || quorum_fd_get(c->q, &c->q_fd) != CS_OK) {
		cpg_finalize(c->cpg);
		quorum_finalize(c->q);
		return -1;
	}
	cpg_local_get(c->cpg, &local);
	stamp();
	printf("UP nodeid=%u\n", local);
	return 0;
}

/* Dispatch until the connection breaks or a signal; returns why it ended. */
static const char *
run(struct conn *c)
{
	struct pollfd p[2] = { { .fd = c->cpg_fd, .events = POLLIN },
			       { .fd = c->q_fd, .events = POLLIN } };

	while (!stop) {
		if (poll(p, 2, 500) < 0)
			continue;
		if ((p[0].revents | p[1].revents) & (POLLHUP | POLLERR))
			return "connection closed";
		if ((p[0].revents & POLLIN) && cpg_dispatch(c->cpg, CS_DISPATCH_ALL) != CS_OK)
			return "cpg_dispatch failed";
		if ((p[1].revents & POLLIN) && quorum_dispatch(c->q, CS_DISPATCH_ALL) != CS_OK)
			return "quorum_dispatch failed";
	}
	return NULL;
}

int
main(int argc, char **argv)
{
	const char *name = argc > 1 ? argv[1] : "cvbed-qwatch";
	struct timespec retry = { 0, 50 * 1000 * 1000 };
	struct conn c = { 0 };

	if (strlen(name) >= CPG_MAX_NAME_LENGTH) {
		fprintf(stderr, "qwatch: group name too long\n");
		return 2;
	}
	c.group.length = (uint32_t)strlen(name);
	memcpy(c.group.value, name, c.group.length);
	setvbuf(stdout, NULL, _IOLBF, 0);
	catch_stop_signals();

	while (!stop) {
		const char *why;

		if (connect_corosync(&c) < 0) {
			nanosleep(&retry, NULL);
			continue;
		}
		why = run(&c);
		if (why) {
			stamp();
			printf("LOST %s\n", why);
		} else {
			cpg_leave(c.cpg, &c.group);
		}
		cpg_finalize(c.cpg);
		quorum_finalize(c.q);
	}
	return 0;
}
