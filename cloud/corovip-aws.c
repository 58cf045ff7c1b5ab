/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * corovip-aws: the EC2 client (aws-client.h) from the command line, on its
 * own libqb loop: what the tests drive against the local endpoint
 * (tests/aws/ec2-fake.py), and an operator's check of an AWS setup.
 *
 *   corovip-aws [OPTIONS] describe-eni ENI
 *   corovip-aws [OPTIONS] assign ENI IP        (AllowReassignment=true)
 *   corovip-aws [OPTIONS] unassign ENI IP
 *   corovip-aws [OPTIONS] describe-route RTB CIDR
 *   corovip-aws [OPTIONS] replace-route RTB CIDR ENI
 *   corovip-aws [OPTIONS] describe-address ALLOCATION
 *   corovip-aws [OPTIONS] associate ALLOCATION ENI [PRIVATE_IP]
 *   corovip-aws [OPTIONS] tag RESOURCE KEY VALUE
 *   corovip-aws [OPTIONS] imds PATH            (e.g. /latest/meta-data/instance-id)
 *   corovip-aws [OPTIONS] move secondary-ip|route|elastic-ip VIP ADDRESS ENI
 *       --stamp RING.EPOCH.NODE [--peer ENI]... [--route-table RTB] [--private-ip IP]
 *       a move as the backend makes it (aws-move.h): read, write, tag,
 *       verify; exit 3 when a newer move owns it (stale)
 *   corovip-aws [--epoch E] [--node N] vip CONF VIP acquire|release|monitor
 *       a VIP of a corovip.conf (backend aws) through the backend on the
 *       one-shot runner, as the OCF agent runs it (cli-vip.c); monitor: exit
 *       7 when it is not ours
 *
 * OPTIONS: --endpoint URL ($AWS_ENDPOINT_URL_EC2, else
 * https://ec2.REGION.amazonaws.com/), --region R ($AWS_REGION,
 * $AWS_DEFAULT_REGION), --credentials FILE ($AWS_SHARED_CREDENTIALS_FILE),
 * --profile P ($AWS_PROFILE), --imds URL (IMDSv2's base; none unless given:
 * never 169.254.169.254 by surprise), --deadline MS, --ca-file FILE,
 * --stats, --repeat N --interval MS (the command N times on one client, MS
 * apart: cached credentials and IMDS token, refreshed when they expire). Keys come from the environment ($AWS_ACCESS_KEY_ID...), the
 * credentials file, or the instance role through --imds; never from argv.
 * Exit: 0 done, 1 failed (EC2's code and message on stderr), 2 usage, 3 stale.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <qb/qbloop.h>

#include "aws-client.h"
#include "aws-move.h"
#include "aws-query.h"
#include "aws-xml.h"
#include "cli-vip.h"
#include "cv-error.h"
#include "cv-macros.h"
#include "loop-timer.h"

#define PROG "corovip-aws"

struct ctx {
	qb_loop_t *loop;
	struct cv_aws_target target; /* move */
	const char *peers[8];
	struct cv_aws_stamp stamp;
	struct cv_aws_client *client;
	const char *cmd;
	char *const *args;
	int n_args;
	const char *body;
	unsigned repeat;      /* runs left after this one */
	uint32_t interval_ms;
	struct cv_loop_timer *next;
	int code;
};

static void
usage(FILE *f)
{
	fprintf(f, "Usage: " PROG " [--endpoint URL] [--region R] [--credentials FILE] [--profile P]\n"
		   "       [--imds URL] [--deadline MS] [--ca-file FILE] [--stats] COMMAND ARGS\n"
		   "  describe-eni ENI | assign ENI IP | unassign ENI IP\n"
		   "  describe-route RTB CIDR | replace-route RTB CIDR ENI\n"
		   "  describe-address ALLOCATION | associate ALLOCATION ENI [PRIVATE_IP]\n"
		   "  tag RESOURCE KEY VALUE | imds PATH\n"
		   "  move secondary-ip|route|elastic-ip VIP ADDRESS ENI --stamp R.E.N\n"
		   "       [--peer ENI]... [--route-table RTB] [--private-ip IP]\n"
		   "  vip CONF VIP acquire|release|monitor [--epoch E] [--node N]\n");
}

static void
print_tags(const struct cv_aws_tags *t)
{
	for (size_t k = 0; k < t->n; k++)
		printf("tag %s=%s\n", t->v[k].key, t->v[k].value);
}

/* What a Describe answer says, for the command that asked. */
static int
print_answer(const struct ctx *x, const struct cv_aws_answer *a)
{
	struct cv_aws_eni eni;
	struct cv_aws_route route;
	struct cv_aws_address addr;
	int r = 1;

	if (strcmp(x->cmd, "describe-eni") == 0 &&
	    (r = cv_aws_parse_eni(a->body, a->body_len, x->args[0], &eni)) == 1) {
		printf("%s", eni.id);
		for (size_t k = 0; k < eni.n_ips; k++)
			printf(" %s", eni.ips[k]);
		printf("\n");
		print_tags(&eni.tags);
	} else if (strcmp(x->cmd, "describe-route") == 0 &&
		   (r = cv_aws_parse_route(a->body, a->body_len, x->args[0], x->args[1], &route)) ==
			   1) {
		printf("%s %s %s\n", x->args[1], route.eni[0] ? route.eni : "-",
		       route.active ? "active" : "blackhole");
		print_tags(&route.tags);
	} else if (strcmp(x->cmd, "describe-address") == 0 &&
		   (r = cv_aws_parse_address(a->body, a->body_len, x->args[0], &addr)) == 1) {
		printf("%s %s %s %s\n", addr.public_ip, addr.eni[0] ? addr.eni : "-",
		       addr.private_ip[0] ? addr.private_ip : "-",
		       addr.association[0] ? addr.association : "-");
		print_tags(&addr.tags);
	} else if (strcmp(x->cmd, "imds") == 0) {
		fwrite(a->body, 1, a->body_len, stdout);
		printf("\n");
	} else if (strncmp(x->cmd, "describe-", 9) != 0) {
		printf("ok\n");
	}
	fflush(stdout); /* each answer as it comes (--repeat: a test waits for it) */
	if (r == 0)
		fprintf(stderr, PROG ": %s: not found in EC2's answer\n", x->args[0]);
	else if (r < 0)
		fprintf(stderr, PROG ": EC2's answer is malformed: %s\n", cv_strerror(r));
	return r == 1 ? 0 : 1;
}

static void on_done(void *userdata, const struct cv_aws_answer *a);

static void
on_moved(void *userdata, int err, const char *why, const struct cv_aws_seen *seen)
{
	struct ctx *x = userdata;

	printf("%s: %s\n", err == 0 ? "moved" : err == -ESTALE ? "stale" : "failed", why);
	fflush(stdout);
	x->code = err == 0 ? 0 : err == -ESTALE ? 3 : 1;
	qb_loop_stop(x->loop);
}

/* move MODE VIP ADDRESS ENI: -EINVAL on a usage error */
static int
take_move(struct ctx *x)
{
	static const char *const modes[] = { [CV_AWS_SECONDARY_IP] = "secondary-ip",
					     [CV_AWS_ROUTE] = "route",
					     [CV_AWS_ELASTIC_IP] = "elastic-ip" };
	size_t k = 0;

	if (x->n_args != 4)
		return -EINVAL;
	while (k < ELEMENTSOF(modes) && strcmp(modes[k], x->args[0]) != 0)
		k++;
	if (k == ELEMENTSOF(modes))
		return -EINVAL;
	x->target.mode = (enum cv_aws_mode)k;
	x->target.vip = x->args[1];
	x->target.address = x->args[2];
	x->target.eni = x->args[3];
	x->target.peers = x->peers;
	return x->stamp.epoch ? 0 : -EINVAL;
}

static int
run(struct ctx *x)
{
	if (strcmp(x->cmd, "move") == 0)
		return cv_aws_move(x->client, &x->target, x->stamp, on_moved, x, NULL);
	if (strcmp(x->cmd, "imds") != 0)
		return cv_aws_call(x->client, x->body, on_done, x);
	return x->n_args == 1 ? cv_aws_imds_get(x->client, x->args[0], on_done, x) : -EINVAL;
}

static void
run_again(void *userdata)
{
	struct ctx *x = userdata;
	int r = run(x);

	if (r < 0) {
		fprintf(stderr, PROG ": %s\n", cv_strerror(r));
		x->code = 1;
		qb_loop_stop(x->loop);
	}
}

static void
on_done(void *userdata, const struct cv_aws_answer *a)
{
	struct ctx *x = userdata;

	if (a->err < 0) {
		fprintf(stderr, PROG ": %s: %s (%u attempt(s))\n", x->cmd, a->why, a->attempts);
		x->code = 1;
	} else {
		x->code = print_answer(x, a);
	}
	if (x->code == 0 && x->repeat > 0 && x->next) {
		x->repeat--;
		cv_loop_timer_in(x->next, x->interval_ms);
		return;
	}
	qb_loop_stop(x->loop);
}

/* The Query body for cmd, or -EINVAL on a wrong number of arguments. */
static int
build(const char *cmd, char *const *v, int n, struct cv_strbuf *b)
{
	static const struct {
		const char *cmd, *action;
		int n_min, n_max;
	} t[] = {
		{ "describe-eni", "DescribeNetworkInterfaces", 1, 1 },
		{ "assign", "AssignPrivateIpAddresses", 2, 2 },
		{ "unassign", "UnassignPrivateIpAddresses", 2, 2 },
		{ "describe-route", "DescribeRouteTables", 2, 2 },
		{ "replace-route", "ReplaceRoute", 3, 3 },
		{ "describe-address", "DescribeAddresses", 1, 1 },
		{ "associate", "AssociateAddress", 2, 3 },
		{ "tag", "CreateTags", 3, 3 },
	};
	size_t i = 0;

	while (i < ELEMENTSOF(t) && strcmp(t[i].cmd, cmd) != 0)
		i++;
	if (i == ELEMENTSOF(t) || n < t[i].n_min || n > t[i].n_max)
		return -EINVAL;
	cv_aws_query_start(b, t[i].action);
	if (i == 0)
		cv_aws_query_add_nth(b, "NetworkInterfaceId", 1, v[0]);
	else if (i == 1 || i == 2) {
		cv_aws_query_add(b, "NetworkInterfaceId", v[0]);
		cv_aws_query_add_nth(b, "PrivateIpAddress", 1, v[1]);
		if (i == 1)
			cv_aws_query_add(b, "AllowReassignment", "true");
	} else if (i == 3) {
		cv_aws_query_add_nth(b, "RouteTableId", 1, v[0]);
		cv_aws_query_add(b, "Filter.1.Name", "route.destination-cidr-block");
		cv_aws_query_add(b, "Filter.1.Value.1", v[1]);
	} else if (i == 4) {
		cv_aws_query_add(b, "RouteTableId", v[0]);
		cv_aws_query_add(b, "DestinationCidrBlock", v[1]);
		cv_aws_query_add(b, "NetworkInterfaceId", v[2]);
	} else if (i == 5) {
		cv_aws_query_add_nth(b, "AllocationId", 1, v[0]);
	} else if (i == 6) {
		cv_aws_query_add(b, "AllocationId", v[0]);
		cv_aws_query_add(b, "NetworkInterfaceId", v[1]);
		if (n == 3)
			cv_aws_query_add(b, "PrivateIpAddress", v[2]);
		cv_aws_query_add(b, "AllowReassociation", "true");
	} else {
		cv_aws_query_add_nth(b, "ResourceId", 1, v[0]);
		cv_aws_query_add(b, "Tag.1.Key", v[1]);
		cv_aws_query_add(b, "Tag.1.Value", v[2]);
	}
	return b->err;
}

static const char *
env_first(const char *a, const char *b)
{
	const char *v = getenv(a);

	return v && *v ? v : b ? getenv(b) : NULL;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "endpoint", required_argument, NULL, 'e' }, { "region", required_argument, NULL, 'r' },
		{ "credentials", required_argument, NULL, 'c' }, { "profile", required_argument, NULL, 'p' },
		{ "imds", required_argument, NULL, 'i' },     { "deadline", required_argument, NULL, 'd' },
		{ "ca-file", required_argument, NULL, 'a' },  { "stats", no_argument, NULL, 's' },
		{ "repeat", required_argument, NULL, 'n' },   { "interval", required_argument, NULL, 'v' },
		{ "stamp", required_argument, NULL, 'S' },    { "peer", required_argument, NULL, 'P' },
		{ "route-table", required_argument, NULL, 'R' },
		{ "private-ip", required_argument, NULL, 'I' },
		{ "epoch", required_argument, NULL, 'E' },    { "node", required_argument, NULL, 'N' },
		{ "help", no_argument, NULL, 'h' },	      {},
	};
	struct cv_aws_params p = { .endpoint = getenv("AWS_ENDPOINT_URL_EC2"),
				   .region = env_first("AWS_REGION", "AWS_DEFAULT_REGION"),
				   .from_env = true,
				   .credentials_file = getenv("AWS_SHARED_CREDENTIALS_FILE"),
				   .profile = getenv("AWS_PROFILE"),
				   .verify_tls = true,
				   .proxy = "" };
	_cleanup_(cv_strbuf_done) struct cv_strbuf body = {};
	struct ctx x = { .code = 1 };
	struct cv_http *http = NULL;
	struct cv_aws_client *c = NULL;
	char endpoint[256];
	bool stats = false;
	uint64_t epoch = 1;
	uint32_t node = 1;
	int o, r;

	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (o) {
		case 'e': p.endpoint = optarg; break;
		case 'r': p.region = optarg; break;
		case 'c': p.credentials_file = optarg; break;
		case 'p': p.profile = optarg; break;
		case 'i': p.imds = optarg; break;
		case 'd': p.deadline_ms = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'a': p.ca_file = optarg; break;
		case 's': stats = true; break;
		case 'n': x.repeat = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'v': x.interval_ms = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'S':
			if (cv_aws_stamp_parse(optarg, &x.stamp) < 0) {
				fprintf(stderr, PROG ": --stamp RING.EPOCH.NODE\n");
				return 2;
			}
			break;
		case 'P':
			if (x.target.n_peers == ELEMENTSOF(x.peers)) {
				fprintf(stderr, PROG ": at most %zu --peer\n", ELEMENTSOF(x.peers));
				return 2;
			}
			x.peers[x.target.n_peers++] = optarg;
			break;
		case 'R': x.target.route_table = optarg; break;
		case 'I': x.target.private_ip = optarg; break;
		case 'E': epoch = strtoull(optarg, NULL, 10); break;
		case 'N': node = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind + 4 == argc && strcmp(argv[optind], "vip") == 0)
		return cv_cli_vip(PROG, CV_BACKEND_AWS, argv[optind + 1], argv[optind + 2],
				  argv[optind + 3], epoch, node);
	if (optind >= argc || !p.region) {
		if (!p.region)
			fprintf(stderr, PROG ": no region (--region or $AWS_REGION)\n");
		usage(stderr);
		return 2;
	}
	x.cmd = argv[optind];
	x.args = argv + optind + 1;
	x.n_args = argc - optind - 1;
	x.repeat = x.repeat ? x.repeat - 1 : 0;
	if (!p.endpoint) {
		snprintf(endpoint, sizeof(endpoint), "https://ec2.%s.amazonaws.com/", p.region);
		p.endpoint = endpoint;
	}
	if (strcmp(x.cmd, "move") == 0 ? take_move(&x) < 0
				       : strcmp(x.cmd, "imds") != 0 &&
						 build(x.cmd, x.args, argc - optind - 1, &body) < 0) {
		usage(stderr);
		return 2;
	}
	x.loop = qb_loop_create();
	r = x.loop ? cv_http_new(x.loop, &http) : -ENOMEM;
	if (r >= 0)
		r = cv_aws_client_new(x.loop, http, &p, &c);
	if (r >= 0 && x.repeat)
		r = cv_loop_timer_new(x.loop, run_again, &x, &x.next);
	x.client = c;
	x.body = body.buf;
	if (r >= 0)
		r = run(&x);
	if (r < 0) {
		fprintf(stderr, PROG ": %s\n", cv_strerror(r));
	} else {
		qb_loop_run(x.loop);
		if (stats) {
			const struct cv_aws_stats *s = cv_aws_client_stats(c);

			fprintf(stderr, "calls %u attempts %u retries %u imds %u credential-fetches %u\n",
				s->calls, s->attempts, s->retries, s->imds_requests,
				s->credential_fetches);
		}
	}
	cv_loop_timer_free(x.next);
	cv_aws_client_free(c);
	cv_http_free(http);
	if (x.loop)
		qb_loop_destroy(x.loop);
	return x.code;
}
