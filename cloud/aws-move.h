/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Moving a VIP in EC2 so that a stale mover yields (issue 18). EC2 has no
 * conditional update for these calls, so every move is write, tag, verify:
 *
 *   1. read who has it now and the stamp (ring, epoch, node) written beside
 *      it by its mover: a tag "corovip:VIP" on the moved resource (the
 *      route table, the Elastic IP's allocation) or, for a secondary
 *      private IP, on the ENI that holds it (tags are per ENI, not per IP);
 *      a newer stamp than ours: we are stale, and yield without writing;
 *   2. write the move (AssignPrivateIpAddresses with AllowReassignment,
 *      ReplaceRoute, AssociateAddress with AllowReassociation);
 *   3. tag the resource with our stamp (CreateTags: another call, so...);
 *   4. read back until both show (EC2 is eventually consistent): ours with
 *      our stamp: done; a newer stamp anywhere it may be: stale (the newer
 *      mover holds or will hold it: its own verify or refresh takes it back
 *      from us if our write landed after its); still with an older mover:
 *      write again (a racing older mover wrote after us).
 *
 * Two movers at once so end with the newer one holding the VIP, in every
 * interleaving of their calls (tests/aws/client.sh: race); the older one
 * is told -ESTALE, or, when its verify came before the newer's write, it
 * is overtaken after reporting success, which the backend's refresh finds
 * (a hold lost behind our back: backend.h). The engine's rules already give one owner
 * per epoch; this protects against a mover that acts late (a holder cut off
 * whose call was under way, a retry after a long throttle).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "aws-client.h"

enum cv_aws_mode {
	CV_AWS_SECONDARY_IP, /* a secondary private IP moved between ENIs of one subnet */
	CV_AWS_ROUTE,	     /* a /32 route of a table pointed at our ENI (overlay IP) */
	CV_AWS_ELASTIC_IP,   /* an Elastic IP associated with our ENI */
};

/* The order of moves: ring, then epoch, then node (os-client.h's cv_os_stamp alike). */
struct cv_aws_stamp {
	uint64_t ring, epoch;
	uint32_t node;
};

struct cv_aws_target {
	enum cv_aws_mode mode;
	const char *vip;	 /* its name: the tag's key is "corovip:" vip */
	const char *address;	 /* secondary IP: the IP; route: the CIDR; Elastic IP: the allocation */
	const char *eni;	 /* ours: where it goes */
	const char *private_ip;	 /* Elastic IP: which address of ours (NULL: the primary) */
	const char *route_table; /* route mode */
	/* secondary IP: the other nodes' ENIs, where it (and a stamp) may be */
	const char *const *peers;
	size_t n_peers;
};

/* What the last read of a move, check or release saw (for status). */
struct cv_aws_seen {
	bool read;		   /* (always true where one is passed) */
	char where[CV_AWS_ID_MAX]; /* the ENI it is on ("" or "-": none) */
	struct cv_aws_stamp stamp; /* the newest stamp beside it (0s: none) */
};

/*
 * err: 0 ours and verified; -ESTALE a newer move owns it; else -errno. why:
 * a line for the log. seen: the last read's, NULL if none was done.
 */
typedef void (*cv_aws_move_fn)(void *userdata, int err, const char *why,
			       const struct cv_aws_seen *seen);

/* A move, check or release under way (done not called yet). */
struct cv_aws_mover;

/*
 * Move t to us with stamp s; done once, from the loop. t's strings are
 * copied. 0 or -errno. ret (may be NULL): the mover, valid until done is
 * called.
 */
int cv_aws_move(struct cv_aws_client *c, const struct cv_aws_target *t, struct cv_aws_stamp s,
		cv_aws_move_fn done, void *userdata, struct cv_aws_mover **ret);

/*
 * Is it ours (on our ENI, no newer stamp there)? 0, -EADDRNOTAVAIL (not:
 * elsewhere, nowhere, or a newer move's), else -errno. One read.
 */
int cv_aws_check(struct cv_aws_client *c, const struct cv_aws_target *t, struct cv_aws_stamp s,
		 cv_aws_move_fn done, void *userdata, struct cv_aws_mover **ret);
/*
 * Let it go if it is still ours with no newer stamp: disassociate the Elastic
 * IP, unassign the secondary IP (a route is left for the next taker to
 * point on). 0 also when it was not ours any more.
 */
int cv_aws_release(struct cv_aws_client *c, const struct cv_aws_target *t, struct cv_aws_stamp s,
		   cv_aws_move_fn done, void *userdata, struct cv_aws_mover **ret);

/*
 * Its owner's end: m is freed, done is never called. Its call under way is
 * its client's: free the client next, before the loop runs again (a client
 * freed cancels its calls without their callbacks).
 */
void cv_aws_mover_abandon(struct cv_aws_mover *m);

/* "RING.EPOCH.NODE" <-> stamp; parse: -EINVAL if it is not that. */
void cv_aws_stamp_format(struct cv_aws_stamp s, char *buf, size_t size);
int cv_aws_stamp_parse(const char *text, struct cv_aws_stamp *ret);
/* <0, 0, >0 as a is older than, the same as, newer than b. */
int cv_aws_stamp_cmp(struct cv_aws_stamp a, struct cv_aws_stamp b);
