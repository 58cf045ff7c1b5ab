/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * An OpenStack client on the daemon's loop (issue 14): Keystone tokens
 * cached until shortly before they expire (one authentication at a time,
 * the operations that need it wait; a 401 from Neutron forgets the token and
 * retries once), and Neutron operations by compare-and-swap that move a
 * floating IP, or add and remove a port's allowed address pairs: every PUT carries If-Match: revision_number=N with the
 * revision last read or written; a floating IP's move writes the cluster
 * epoch of the move into its description ("corovip epoch=E node=N"). A 412 re-reads
 * and decides again: a move of a higher epoch is never overwritten (the
 * operation fails with -ESTALE), so a stale holder cannot take back what a
 * newer one moved. The common path of a move is one PUT (the revision is
 * cached from the last read or write of that floating IP); so is adding
 * or removing a pair (os-client-port.c).
 *
 * Each call is bounded (call_timeout_ms), each operation too
 * (op_deadline_ms: retries of 5xx, 429, timeouts and refused connections
 * with backoff and jitter inside it). Outcomes come from the loop, never
 * from inside the call that started the operation.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <qb/qbloop.h>

#include "http.h"
#include "os-api.h"
#include "os-auth.h"

/*
 * The order of moves written with each one (backend.h cv_backend_op): the
 * totem ring the mover's engine decided in, then its epoch. A take after a
 * membership change is in a newer ring than every hold before it; within a
 * ring, a move follows the holder's RELEASED, whose epoch the taker knows.
 * Two takes of one ring with the same epoch are possible only when the
 * first holder's daemon died (nobody released, the taker never heard its
 * epoch): it writes nothing more, and the later take writes over it.
 */
struct cv_os_stamp {
	uint64_t ring;
	uint64_t epoch;
};
/* <0, 0, >0 as a is older than, the same as, newer than b. */
int cv_os_stamp_cmp(struct cv_os_stamp a, struct cv_os_stamp b);
/* "corovip ring=R epoch=E node=N" ("corovip epoch=E node=N" for ring 0) ->
 * the stamp and N; {0, 0} if the description is not ours. */
struct cv_os_stamp cv_os_desc_stamp(const char *description, uint32_t *ret_node);

struct cv_os_client;
struct cv_os_op;

struct cv_os_client_params {
	qb_loop_t *loop;
	struct cv_http *http;	  /* borrowed: it must outlive the client */
	uint32_t call_timeout_ms; /* one HTTP call; 0: 5 s */
	uint32_t op_deadline_ms;  /* one operation, its retries included; 0: 15 s */
	uint32_t verify_delay_ms; /* a move read again this long after (os-client.c); 0: call_timeout_ms */
	const char *proxy;	  /* NULL: the proxy variables (libcurl's reading); else a URL */
	uint32_t node;		  /* ours, written with each epoch */
	/* The check after a move found a move of a higher epoch there (fip:
	 * as read; why: for the log); NULL: only logged. From the loop. */
	void (*lost)(void *userdata, const struct cv_os_fip *fip, const char *why);
	void *userdata;
};

/* *auth is moved into the client (zeroed here). 0 or -errno; free with cv_os_client_free. */
int cv_os_client_new(const struct cv_os_client_params *p, struct cv_os_auth *auth,
		     struct cv_os_client **ret);
/* Cancels every operation (their done is not called). Accepts NULL; returns NULL. */
struct cv_os_client *cv_os_client_free(struct cv_os_client *c);

/*
 * An operation's outcome: err 0 or -errno (-ESTALE: a move of a higher epoch
 * owns it; -EACCES: credentials refused; -ENOENT: no such floating IP or
 * port; -ETIMEDOUT: the deadline passed), fip as last seen (NULL if never
 * read), why a message for the log ("" on success). Borrowed for the call.
 */
typedef void (*cv_os_fip_fn)(void *userdata, int err, const struct cv_os_fip *fip, const char *why);

/* A token, unless the one cached is fresh (done's fip is NULL). */
int cv_os_authenticate(struct cv_os_client *c, cv_os_fip_fn done, void *userdata,
		       struct cv_os_op **ret);
/* The Neutron URL in use ("" before the first token) and when the token is
 * refreshed (Unix ms; 0: no token). */
const char *cv_os_client_endpoint(const struct cv_os_client *c, int64_t *ret_refresh_ms);

/* GET the floating IP (and cache its revision). */
int cv_os_fip_show(struct cv_os_client *c, const char *fip_id, cv_os_fip_fn done, void *userdata,
		   struct cv_os_op **ret);
/* Associate it with port_id (fixed_ip: that address of the port, NULL: its
 * first) for the move of epoch. Done at once if it is there with that epoch. */
int cv_os_fip_move(struct cv_os_client *c, const char *fip_id, const char *port_id,
		   const char *fixed_ip, struct cv_os_stamp stamp, cv_os_fip_fn done, void *userdata,
		   struct cv_os_op **ret);
/* Disassociate it, only if it is on port_id and no higher epoch moved it
 * (then there is nothing of ours to release: 0). */
int cv_os_fip_release(struct cv_os_client *c, const char *fip_id, const char *port_id,
		      struct cv_os_stamp stamp, cv_os_fip_fn done, void *userdata,
		      struct cv_os_op **ret);
/*
 * Ports and their allowed address pairs (os-client-port.c: the sequence of a
 * move, and why an add is checked after it and a removal is not). An ip is
 * an address or a CIDR; a pair "is" ip when its ip_address is the same
 * address or CIDR, "10.0.0.5" being "10.0.0.5/32" (cv_os_pair_is). Writes to
 * one port within a client go one after the other, each on the revision the
 * one before wrote. err as for floating IPs, and -ENOSPC (the port has
 * CV_OS_PAIRS_MAX pairs); port as last seen (NULL if never read).
 */
typedef void (*cv_os_port_fn)(void *userdata, int err, const struct cv_os_port *port,
			      const char *why);
/* ports: those found (n of them; NULL and 0 on failure). Borrowed for the call. */
typedef void (*cv_os_ports_fn)(void *userdata, int err, const struct cv_os_port *ports, size_t n,
			       const char *why);

/* GET the port (and cache its revision and pairs). */
int cv_os_port_show(struct cv_os_client *c, const char *port_id, cv_os_port_fn done,
		    void *userdata, struct cv_os_op **ret);
/* Make sure the port has the pair {ip_address: ip} (its MAC: the port's):
 * one PUT with the revision cached, none if it is there. */
int cv_os_port_pair_add(struct cv_os_client *c, const char *port_id, const char *ip,
			cv_os_port_fn done, void *userdata, struct cv_os_op **ret);
/* Make sure the port has no pair for ip (whatever its MAC): one PUT, none if absent. */
int cv_os_port_pair_remove(struct cv_os_client *c, const char *port_id, const char *ip,
			   cv_os_port_fn done, void *userdata, struct cv_os_op **ret);
/* The ports of a network with a pair for ip: network_id, or (exactly one of
 * the two) port_id, a port of that network (read unless cached). One GET of
 * the network's ports, each found cached for its removal. */
int cv_os_ports_with_pair(struct cv_os_client *c, const char *network_id, const char *port_id,
			  const char *ip, cv_os_ports_fn done, void *userdata,
			  struct cv_os_op **ret);

/* Stop an operation under way; its done is not called. Accepts NULL; returns NULL. */
struct cv_os_op *cv_os_op_cancel(struct cv_os_op *op);

/* What the client did, for tests and benchmarks. */
struct cv_os_stats {
	uint64_t auths;	    /* token requests */
	uint64_t gets;	    /* Neutron reads */
	uint64_t puts;	    /* Neutron writes */
	uint64_t conflicts; /* 412s */
	uint64_t retries;   /* calls repeated after a transient failure */
	uint64_t verifies;  /* reads after a move or a pair added (os-client.c: Neutron's If-Match) */
};
void cv_os_client_stats(const struct cv_os_client *c, struct cv_os_stats *ret);
/* Operations under way, the checks after moves included. */
size_t cv_os_client_busy(const struct cv_os_client *c);
/* Drop the cached token and revisions (tests: the next call authenticates and reads). */
void cv_os_client_forget(struct cv_os_client *c);

