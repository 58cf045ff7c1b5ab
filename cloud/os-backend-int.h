/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The OpenStack backend's parts (os-backend.c): its clients and what status
 * shows (os-backend-client.c), the floating-IP mode (os-backend-fip.c) and
 * the pair modes (os-backend-pairs.c) around one queue of operations.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend.h"
#include "os-client.h"

struct osb;

/* A client of one cloud section; retired (section changed or gone) ones
 * finish what they have under way, then go. */
struct client {
	struct client *next;
	char name[CV_NAME_MAX + 1];
	struct cv_cloud_conf conf; /* a shallow copy for comparison: strings not owned */
	bool retired;
	size_t busy;
	struct cv_os_client *os;
	struct osb *b;
};

/*
 * One operation of a VIP under way or waiting for its turn: the operations
 * of one floating IP (floating-IP mode) or of one VIP (pair modes) run one
 * at a time, in the order asked (key).
 */
struct pending {
	struct pending *next;
	struct osb *b;
	struct client *cl;
	const struct cv_vip_conf *conf; /* what results name: re-pointed at a reload */
	struct cv_vip_conf stub;	/* ...here when the reload removed the VIP */
	char ifname[CV_IFNAME_MAX + 1]; /* the stub's interface (pair modes: L2 releases it) */
	char name[CV_NAME_MAX + 1];
	char key[CV_NAME_MAX + 8];
	char fip[CV_OS_ID_MAX + 1], port[CV_OS_ID_MAX + 1], fixed_ip[48];
	struct cv_addr addr; /* the VIP's address: the floating IP must have it */
	enum cv_cloud_mode mode;
	enum cv_action_type op;
	uint32_t vip;	   /* the engine's index, for L2 (pair modes) */
	uint64_t epoch, ring;
	uint32_t lease_s;  /* an acquire's, for L2 (pair modes) */
	struct round *round; /* a daemon's refresh: its round */
	bool checking;	     /* an acquire reading the floating IP before its move */
	bool quiet;	     /* our own (a read ahead, a late detach): nobody hears of it */
	struct cv_os_op *os_op; /* NULL: waiting for its turn */
};

/* A daemon's refresh: one RENEW result once every check is done. */
struct round {
	size_t left;
};

/* A VIP this backend moved here: what a check after a move may find taken. */
struct held {
	char name[CV_NAME_MAX + 1];
	char fip[CV_OS_ID_MAX + 1], port[CV_OS_ID_MAX + 1];
};

/* What the last operation of a VIP saw, for status (backend.h). */
struct seen {
	char name[CV_NAME_MAX + 1];
	struct cv_backend_status st;
};

/* Pair modes: a client call no operation waits for (os-backend-pairs.c). */
struct chore {
	struct chore *next;
	struct osb *b;
	struct client *cl; /* busy while it runs */
	char name[CV_NAME_MAX + 1];
	char port[CV_OS_ID_MAX + 1];
	char ip[48];
};

/* Floating-IP mode: a release handed over, detached later if nobody took it. */
struct late {
	char name[CV_NAME_MAX + 1];
	char fip[CV_OS_ID_MAX + 1];
	uint64_t ring, epoch; /* the release's: a newer move there is left alone */
	uint64_t due;	      /* CLOCK_MONOTONIC ms */
};

struct osb {
	struct cv_backend base;
	struct cv_backend_env env;
	struct cv_http *http;
	struct client *clients;
	struct pending *ops; /* in the order asked */
	/* over, with a stub conf L2 may still name (a release handed to a busy
	 * L2): kept until the next reload (L2's switch_config runs first) */
	struct pending *dead;
	struct held *held;
	size_t n_held;
	char (*checked)[CV_OS_ID_MAX + 1]; /* floating IPs whose address was compared */
	size_t n_checked;
	struct seen *seen;
	size_t n_seen;
	struct chore *chores;
	const struct cv_config *cfg; /* the running one (switch_config); NULL: none yet */
	struct late *late;
	size_t n_late;
	struct cv_loop_timer *timer; /* the reads ahead and the late detaches */
	uint64_t read_ahead_at;	     /* CLOCK_MONOTONIC ms */
};

static inline struct osb *
osb_of(struct cv_backend *b)
{
	return container_of(b, struct osb, base);
}

/* os-backend.c: p is over: report it (unless handed to L2), start the next of its key. */
void cv_osb_finish(struct pending *p, int err, const char *why);
/* p's work goes on in L2 (pair modes), which reports it: p is over here. */
void cv_osb_handed(struct pending *p);

/* os-backend-client.c: the client of v's cloud section, made now if need be. */
int cv_osb_client_of(struct osb *b, const struct cv_vip_conf *v, struct client **ret, char *err,
		     size_t len);
void cv_osb_client_free(struct osb *b, struct client *cl);
/* A reload: clients whose section changed or went are retired. */
void cv_osb_clients_switch(struct osb *b, const struct cv_config *next);
void cv_osb_clients_free(struct osb *b);
/* What status shows (backend.h cv_backend_status), by VIP name. */
struct cv_backend_status *cv_osb_seen_of(struct osb *b, const char *name, const char *resource);
void cv_osb_seen_fip(struct osb *b, const char *name, const struct cv_os_fip *fip);
void cv_osb_seen_port(struct osb *b, const char *name, const struct cv_os_port *port,
		      const char *ip);
void cv_osb_seen_outcome(struct osb *b, const char *name, const char *resource, int err,
			 const char *why);
void cv_osb_seen_switch(struct osb *b, const struct cv_config *next);
bool cv_osb_status(struct cv_backend *base, const struct cv_vip_conf *v,
		   struct cv_backend_status *ret);

/* os-backend.c: our own operation of VIP conf (a quiet pending), in the queue. */
void cv_osb_submit_quiet(struct osb *b, const struct cv_vip_conf *conf, enum cv_action_type act,
			 uint64_t ring, uint64_t epoch);

/* os-backend-fip.c: floating-IP mode. */
void cv_osb_fip_start(struct pending *p);
/* The timer's work: reads ahead of what we may take, late detaches due.
 * Returns when it is next due (CLOCK_MONOTONIC ms). */
uint64_t cv_osb_fip_tick(struct osb *b, uint64_t now);
/* A take of fip: a late detach of it is off. */
void cv_osb_late_drop(struct osb *b, const char *fip);
void cv_osb_held_drop(struct osb *b, const char *name);
/* os-client's lost (a check after our move found a newer one). */
void cv_osb_on_lost(void *userdata, const struct cv_os_fip *fip, const char *why);

/* os-backend-pairs.c: modes address_pairs and vip_port. */
void cv_osb_pairs_start(struct pending *p);
