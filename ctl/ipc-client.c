/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>

#include "cv-macros.h"
#include "ipc-client.h"
#include "strbuf.h"

#define RETRY_MS 20 /* between connects while corovipd's backlog is full */

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The handshake's answer on fd, by deadline; NULL with errno set otherwise. */
static qb_ipcc_connection_t *
finish_connect(qb_ipcc_connection_t *conn, int fd, int64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int n, r;

	do
		n = poll(&p, 1, (int)CV_MAX(deadline - now_ms(), 0));
	while (n < 0 && errno == EINTR);
	if (n <= 0) {
		/* conn is half made and libqb has no call to drop one: our callers exit soon */
		errno = n == 0 ? ETIMEDOUT : errno;
		return NULL;
	}
	r = qb_ipcc_connect_continue(conn); /* frees conn when it fails */
	if (r != 0) {
		errno = -r;
		return NULL;
	}
	return conn;
}

qb_ipcc_connection_t *
cv_ipc_connect(int timeout_ms)
{
	int64_t deadline = now_ms() + timeout_ms;

	for (;;) {
		int fd = -1;
		qb_ipcc_connection_t *conn =
		    qb_ipcc_connect_async(CV_IPC_SERVICE, CV_IPC_MAX_MSG, &fd);

		if (conn)
			return finish_connect(conn, fd, deadline);
		if (errno != EAGAIN || now_ms() >= deadline)
			return NULL;
		poll(NULL, 0, RETRY_MS);
	}
}

/* One exchange: req out, its answer in buf (n bytes, checked). */
static int
exchange(qb_ipcc_connection_t *conn, const struct cv_ipc_request *req, int timeout_ms, char *buf,
	 const struct cv_ipc_response **ret)
{
	struct iovec iov = { (void *)req, sizeof(*req) };
	ssize_t n = qb_ipcc_sendv_recv(conn, &iov, 1, buf, CV_IPC_MAX_MSG, timeout_ms);

	if (n < 0)
		return (int)n;
	if ((size_t)n <= sizeof(**ret) || buf[n - 1] != '\0')
		return -EBADMSG;
	*ret = (const void *)buf;
	return 0;
}

int
cv_ipc_ask(qb_ipcc_connection_t *conn, const struct cv_ipc_request *req, int timeout_ms,
	   int *ret_err, char **ret_text)
{
	_cleanup_free_ char *buf = calloc(1, CV_IPC_MAX_MSG);
	_cleanup_(cv_strbuf_done) struct cv_strbuf text = {};
	struct cv_ipc_request next = { .hdr = { .id = CV_IPC_CONTINUE, .size = sizeof(next) },
				       .version = CV_IPC_VERSION };
	const struct cv_ipc_response *resp = NULL;
	int r;

	if (!buf)
		return -ENOMEM;
	r = exchange(conn, req, timeout_ms, buf, &resp);
	/* an answer too large for one message comes in parts (ipc-proto.h) */
	while (r == 0 && resp->hdr.error == CV_IPC_MORE) {
		cv_strbuf_append(&text, resp->text);
		r = exchange(conn, &next, timeout_ms, buf, &resp);
	}
	if (r < 0)
		return r;
	cv_strbuf_append(&text, resp->text);
	r = cv_strbuf_steal(&text, ret_text);
	if (r < 0)
		return r;
	*ret_err = resp->hdr.error;
	return 0;
}

int
cv_ipc_address_hex(const char *text, char *buf, size_t len)
{
	uint8_t bytes[16];
	size_t n = strchr(text, ':') ? 16 : 4;

	if (inet_pton(n == 16 ? AF_INET6 : AF_INET, text, bytes) != 1 || len < 2 * n + 1)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		snprintf(buf + 2 * i, 3, "%02x", bytes[i]);
	return 0;
}
