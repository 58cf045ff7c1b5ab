/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The netlink command socket (libmnl, NETLINK_ROUTE): add, renew, remove and
 * dump addresses, look up links. Requests wait for the kernel's answer with a
 * deadline (the socket is non-blocking; poll bounds each read). Errors are
 * negative errno; the kernel's extended-ACK text, when it sends one, comes
 * back in struct cv_nl_error. Nothing here logs.
 */
#pragma once

#include <stddef.h>

#include "netlink-msg.h"

struct cv_nl;

/* Details of the first failure of a request or batch. */
struct cv_nl_error {
	int err;		 /* negative errno, 0 if none */
	size_t index;		 /* which request of a batch */
	char msg[CV_NL_MSG_MAX]; /* the kernel's extended-ACK text, or "" */
};

/*
 * Open a command socket: close-on-exec, non-blocking, NETLINK_EXT_ACK,
 * NETLINK_CAP_ACK and NETLINK_GET_STRICT_CHK on. Caller frees with
 * cv_nl_free(). Returns 0 or -errno.
 */
int cv_nl_new(struct cv_nl **ret);

/* Accepts NULL; returns NULL. */
struct cv_nl *cv_nl_free(struct cv_nl *nl);

/* Milliseconds to wait for each answer (default 5000); -ETIMEDOUT after. */
void cv_nl_set_timeout(struct cv_nl *nl, int timeout_ms);

/*
 * Carry out op for n addresses, as few round trips as the socket buffers
 * allow (one batch up to ~700 requests; larger sets in consecutive chunks).
 * Idempotent: -EEXIST on add and -EADDRNOTAVAIL on delete count as done.
 * ret_errs (n entries, may be NULL) gets each request's own result, as the
 * kernel gave it: -EEXIST there tells an address that was already present
 * from one this call created (0). Returns 0
 * when all succeeded, else the first failure (also in *reterr, may be NULL).
 * RENEW re-creates an address that is gone (the kernel does that for any
 * RTM_NEWADDR): renew only what the engine holds in the current view.
 */
int cv_nl_addr_batch(struct cv_nl *nl, enum cv_nl_op op, const struct cv_nl_addr_req *reqs,
		     size_t n, int *ret_errs, struct cv_nl_error *reterr);

/* One request: cv_nl_addr_batch() with n = 1. */
int cv_nl_addr_do(struct cv_nl *nl, enum cv_nl_op op, const struct cv_nl_addr_req *req,
		  struct cv_nl_error *reterr);

/*
 * Dump the addresses of family (AF_UNSPEC: both) on ifindex (0: all links).
 * *ret is a new array of *ret_n entries; caller frees it with free().
 */
int cv_nl_addr_dump(struct cv_nl *nl, int family, int ifindex, struct cv_nl_addr **ret,
		    size_t *ret_n);

/*
 * The address on ifindex with a's host part (any prefix length), as the
 * kernel reports it (its IFA_PROTO tells whose it is): 0, -ENOENT or -errno.
 */
int cv_nl_addr_find(struct cv_nl *nl, int ifindex, const struct cv_addr *a,
		    struct cv_nl_addr *ret);

/* Look up a link by name: -ENODEV when there is none. */
int cv_nl_link_get(struct cv_nl *nl, const char *name, struct cv_nl_link *ret,
		   struct cv_nl_error *reterr);
