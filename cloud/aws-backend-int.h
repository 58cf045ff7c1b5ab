/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The AWS backend's parts (aws-backend.c): its clients and what status shows
 * (aws-backend-client.c), and the reading of IMDS for the region and our ENI
 * (aws-backend-imds.c), around one queue of operations.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aws-move.h"
#include "backend.h"
#include "cv-macros.h"

struct client {
	struct client *next;
	char name[CV_NAME_MAX + 1]; /* the cloud section's */
	struct cv_aws_client *c;
	size_t busy;  /* operations that took it */
	bool retired; /* a reload: no new operation takes it */
	/* what IMDS tells (a section with imds and no region, a VIP with no
	 * eni): read once, when an operation first needs it */
	char eni[CV_AWS_ID_MAX]; /* the instance's primary ENI, "" not read */
	unsigned discovery;	 /* the reading under way (odd) or last done */
	struct reading *reading; /* ...that one */
};

/* A refresh's VIPs: its one RENEW result once all are read (the daemon). */
struct round {
	size_t left;
};

/*
 * What a queued operation names once a reload removed or changed its VIP
 * (made with the operation: a reload cannot fail for want of memory). L2
 * may keep a release of it queued after the operation is over: once that
 * is, it is kept until the next reload (L2's switch_config, before ours,
 * has done all its work by then) or the end.
 */
struct stub {
	struct stub *next;
	struct cv_vip_conf conf;
	char name[CV_NAME_MAX + 1];
	char ifname[CV_IFNAME_MAX + 1];
};

struct pending {
	struct pending *next;
	struct awsb *b;
	struct client *cl;
	const struct cv_vip_conf *conf; /* re-pointed at a reload; &st->conf once it left */
	struct stub *st;
	bool stub; /* conf is &st->conf */
	char ifname[CV_IFNAME_MAX + 1]; /* the VIP's interface (L2 releases it) */
	char name[CV_NAME_MAX + 1];	/* its VIP's */
	enum cv_cloud_mode mode;
	enum cv_action_type op; /* ADDR_ADD, ADDR_DEL, RENEW */
	uint32_t vip, lease_s;	/* for L2 */
	struct cv_aws_stamp stamp;
	struct round *round;
	bool running;
	bool quiet; /* a secondary IP's unassign after L2's release: nobody waits */
	struct cv_aws_mover *mover; /* its move, check or release under way */
	unsigned waiting; /* its client's IMDS reading it waits for; 0: none */
	/* the mover's target, its strings copied here */
	char address[CV_AWS_IP_MAX], eni[CV_AWS_ID_MAX], private_ip[CV_AWS_IP_MAX],
		route_table[CV_AWS_ID_MAX];
};

/* What the last operation of a VIP saw, for status, and our last move of it. */
struct seen {
	struct seen *next;
	char name[CV_NAME_MAX + 1];
	struct cv_backend_status st;
	/* the stamp our last acquire wrote: a renewal checks that no newer one
	 * is there (the executor's renewal names no epoch); ring 0: none */
	struct cv_aws_stamp moved;
};

struct awsb {
	struct cv_backend base;
	struct cv_backend_env env;
	struct cv_http *http;
	struct client *clients;
	struct pending *ops; /* in the order asked */
	struct seen *seen;
	struct stub *stubs; /* of operations over since the last reload */
	const struct cv_config *cfg; /* the running config (switch_config) */
};

static inline struct awsb *
awsb_of(struct cv_backend *b)
{
	return container_of(b, struct awsb, base);
}

struct reading {
	struct client *cl;
	struct awsb *b;
	unsigned id;
};

/* aws-backend.c: p is over (reported, unless quiet); its next operation starts. */
void cv_awsb_finish(struct pending *p, int err, const char *why);
/* The cloud's part of p, once its client knows its region and our ENI. */
void cv_awsb_proceed(struct pending *p);

/* aws-backend-client.c: the client of v's cloud section, taken (busy); NULL: none. */
struct client *cv_awsb_client_take(struct awsb *b, const struct cv_vip_conf *v);
void cv_awsb_client_put(struct awsb *b, struct client *cl);
void cv_awsb_client_free(struct awsb *b, struct client *cl);
/* What status shows of a VIP, and our last move of it. */
struct seen *cv_awsb_seen_find(struct awsb *b, const char *name);
void cv_awsb_note(struct pending *p, int err, const char *why, const struct cv_aws_seen *seen);
bool cv_awsb_status(struct cv_backend *base, const struct cv_vip_conf *v,
		    struct cv_backend_status *ret);
/* The mover's resource of p: its allocation, route table or ENI. */
const char *cv_awsb_resource_of(const struct pending *p);

/* aws-backend-imds.c: p waits for its client's reading of IMDS. */
void cv_awsb_wait_for_imds(struct pending *p);
