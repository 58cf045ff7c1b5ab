/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The client side of corovipd's IPC (ipc-proto.h), for corovipctl and the
 * OCF agent: connect with a deadline (qb_ipcc_connect would wait for the
 * daemon's handshake without one), one request, one answer.
 */
#pragma once

#include <qb/qbipcc.h>

#include "ipc-proto.h"

/*
 * This node's corovipd, within timeout_ms (a full backlog, EAGAIN, is
 * retried until then): the connection, or NULL with errno set (ENOENT or
 * ECONNREFUSED: it does not run; EACCES, ENOTCONN: it would not serve us;
 * ETIMEDOUT).
 */
qb_ipcc_connection_t *cv_ipc_connect(int timeout_ms);

/*
 * Send req and wait at most timeout_ms for the answer. 0: *ret_err is the
 * daemon's (0 or -errno) and *ret_text its text (free it). -errno: no
 * answer (-EBADMSG: a malformed one).
 */
int cv_ipc_ask(qb_ipcc_connection_t *conn, const struct cv_ipc_request *req, int timeout_ms,
	       int *ret_err, char **ret_text);

/* An address (IPv4 or IPv6 text, no prefix) as CV_IPC_WHO_HAS carries it
 * in req->vip: 0, or -EINVAL when text is no address. */
int cv_ipc_address_hex(const char *text, char *buf, size_t len);
