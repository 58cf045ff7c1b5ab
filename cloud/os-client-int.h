/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the OpenStack client's files share (os-client.h): the operation, the
 * client, and the steps every operation takes whatever it works on. One
 * operation machine (os-client.c: token, deadline, retries with backoff,
 * 401 re-authentication, 412 re-read, the revision cache, stats) runs every
 * kind of resource; what differs per resource (its URL, how its answer is
 * read, what to decide, what to write, what follows a write) is a struct
 * cv_os_res: os-client-fip.c (floating IPs), os-client-port.c (ports and
 * their allowed address pairs).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "http.h"
#include "os-client.h"

enum cv_os_op_kind {
	CV_OS_OP_TOKEN,
	CV_OS_OP_FIP_SHOW,
	CV_OS_OP_FIP_MOVE,
	CV_OS_OP_FIP_RELEASE,
	CV_OS_OP_PORT_SHOW,
	CV_OS_OP_PAIR_ADD,
	CV_OS_OP_PAIR_REMOVE,
	CV_OS_OP_PORT_HOLDERS, /* ports of a network with a pair for an address */
};

enum cv_os_step { CV_OS_STEP_GET, CV_OS_STEP_PUT };

struct cv_os_op;

/* An operation's done, as its kind has it (a token's: fip). */
union cv_os_done {
	cv_os_fip_fn fip;
	cv_os_port_fn port;
	cv_os_ports_fn ports;
};

/* A kind of Neutron resource, as the operation machine sees it. */
struct cv_os_res {
	const char *what; /* "floating IP": for messages */
	/* the URL of the next read into buf (a list, or the resource itself) */
	void (*get_url)(const struct cv_os_op *op, char *buf, size_t len);
	/* an answer (read or written) into the op and the cache; -errno with why */
	int (*read)(struct cv_os_op *op, const char *body, size_t len, char *why, size_t whylen);
	/* with the state read or cached: finish, or cv_os_op_write (or read again) */
	void (*decide)(struct cv_os_op *op);
	/* the PUT's body, and the revision it builds on (for If-Match) */
	int (*body)(struct cv_os_op *op, char **ret, uint64_t *ret_revision);
	/* a refused write that means "someone wrote at the same moment" like a
	 * 412 does (NULL: only 412) */
	bool (*conflict)(const struct cv_http_result *res);
	/* a write was applied and read back (the check after it, if any) */
	void (*written)(struct cv_os_op *op);
	/* give the outcome to done; the op is freed (cv_os_op_free) before done runs */
	void (*report)(struct cv_os_op *op, int err, const char *why);
};

extern const struct cv_os_res cv_os_res_fip;
extern const struct cv_os_res cv_os_res_port;

struct cv_os_op {
	struct cv_os_client *c;
	struct cv_os_op *prev, *next;
	const struct cv_os_res *res; /* NULL: a token */
	enum cv_os_op_kind kind;
	enum cv_os_step step; /* the next call (after the token, the backoff or the start) */
	char id[CV_OS_ID_MAX + 1];	/* the floating IP or the port */
	char port_id[CV_OS_ID_MAX + 1]; /* a floating IP's target port */
	char network_id[CV_OS_ID_MAX + 1]; /* holders: the network, once known */
	char ip[48];			/* the fixed IP of a move; the address of a pair */
	struct cv_os_stamp stamp; /* floating IPs: the move's */
	uint64_t deadline; /* monotonic ms */
	unsigned attempts, conflicts;
	bool reauthed;	   /* a 401 made us authenticate again once */
	bool waiting_auth; /* in the queue of the token call */
	union {		   /* as last read, written or cached */
		struct cv_os_fip fip;
		struct cv_os_port port;
	};
	bool have;	   /* the union holds the resource */
	struct cv_os_port *holders; /* holders: found (allocated) */
	size_t n_holders;
	bool decide_first; /* started with a cached revision: decide before any call */
	bool verify;	   /* the read after a write (and its repair): reports to the log */
	bool serial;	   /* one at a time on its resource within the client (os-client-port.c) */
	bool holds;	   /* serial: writing its resource; the others on it wait */
	bool queued;	   /* serial: waiting for the one that holds it */
	struct cv_http_transfer *t;
	struct cv_loop_timer *timer; /* the start, the backoff, the wait before a check */
	union cv_os_done done;
	void *userdata;
};

/* The last read or written state of a resource: its revision for If-Match. */
struct cv_os_known {
	const struct cv_os_res *res;
	union {
		struct cv_os_fip fip;
		struct cv_os_port port;
	};
};

struct cv_os_client {
	struct cv_os_client_params p;
	char *proxy;
	struct cv_os_auth auth;
	char *token; /* secret */
	int64_t token_refresh_ms; /* Unix ms: authenticate again from here */
	char neutron_url[CV_OS_URL_MAX + 1];
	struct cv_http_transfer *auth_t;
	struct cv_os_op *ops;
	struct cv_os_known *known;
	size_t n_known;
	struct cv_os_stats stats;
	uint64_t rng;
};

/* A new operation on the loop (never inside this call); ids checked here. */
int cv_os_op_new(struct cv_os_client *c, enum cv_os_op_kind kind, const struct cv_os_res *res,
		 const char *id, struct cv_os_op **ret);
/* Start it: now (delay_ms 0), or after delay_ms with a read (the check after a write). */
int cv_os_op_begin(struct cv_os_op *op, uint32_t delay_ms);
void cv_os_op_free(struct cv_os_op *op);
/* The outcome: the resource's report, or the token's. */
void cv_os_op_finish(struct cv_os_op *op, int err, const char *why);
/* Write next (after a token, if need be). */
void cv_os_op_write(struct cv_os_op *op);
/* Read next: the GET of res->get_url. */
void cv_os_op_read(struct cv_os_op *op);

/* The revision cache: NULL if not known. */
const struct cv_os_known *cv_os_known_find(const struct cv_os_client *c, const struct cv_os_res *res,
					   const char *id);
void cv_os_known_set_fip(struct cv_os_client *c, const struct cv_os_fip *f);
void cv_os_known_set_port(struct cv_os_client *c, const struct cv_os_port *p);
void cv_os_known_drop(struct cv_os_client *c, const struct cv_os_res *res, const char *id);
