/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cv-macros.h"
#include "ipc-client.h"
#include "ocf-daemon.h"

/* corovipd answers at once or is stuck: a start must not wait on it long. */
#define ASK_TIMEOUT_MS 2000

static void
disconnectp(qb_ipcc_connection_t **c)
{
	if (*c)
		qb_ipcc_disconnect(*c);
}

int
ocf_daemon_has(const char *ip, char *ret_vip, size_t vip_len, char *why, size_t len)
{
	struct cv_ipc_request req = { .hdr = { .id = CV_IPC_WHO_HAS, .size = sizeof(req) },
				      .version = CV_IPC_VERSION };
	_cleanup_(disconnectp) qb_ipcc_connection_t *conn = NULL;
	_cleanup_free_ char *text = NULL;
	int err = 0, r;

	if (cv_ipc_address_hex(ip, req.vip, sizeof(req.vip)) < 0)
		return -EINVAL;
	conn = cv_ipc_connect(ASK_TIMEOUT_MS);
	if (!conn && (errno == ENOENT || errno == ECONNREFUSED))
		return 0; /* not running */
	if (!conn) {
		r = -errno;
		snprintf(why, len, "cannot ask corovipd whether it manages %s: %s", ip,
			 strerror(-r));
		return r;
	}
	r = cv_ipc_ask(conn, &req, ASK_TIMEOUT_MS, &err, &text);
	if (r < 0 || (err < 0 && err != -ENOENT)) {
		snprintf(why, len, "corovipd could not tell whether it manages %s: %s", ip,
			 r < 0 ? strerror(-r) : text);
		return r < 0 ? r : err;
	}
	if (err == -ENOENT)
		return 0;
	text[strcspn(text, "\n")] = '\0';
	snprintf(ret_vip, vip_len, "%s", text);
	return -EEXIST;
}
