/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The cluster-wide notify hook (hooks.h): called once per batch of
 * transitions (all those one event caused) with the list on stdin and in
 * COROVIP_TRANSITIONS, so 10,000 VIPs moving run one process; one run at a
 * time, what gathers meanwhile is the next batch.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <qb/qblog.h>

#include "cv-error.h"
#include "cv-macros.h"
#include "hooks-int.h"
#include "memfd.h"
#include "strbuf.h"

static void
batch_done(void *userdata, const struct cv_exec_result *r)
{
	struct cv_hooks *h = userdata;
	char what[80];

	snprintf(what, sizeof(what), "cluster notify hook (%zu transitions)", h->batch_n);
	cv_hooks_log_end(what, NULL, NULL, h->timeout_ms, r);
	h->batch_run = NULL;
	cv_hooks_batch_start(h); /* what gathered meanwhile */
}

int
cv_hooks_batch_push(struct cv_hooks *h, const struct cv_action *t)
{
	struct item *it;

	if (h->end - h->start == CV_HOOKS_BATCH_MAX) {
		h->start++;
		h->dropped++;
	}
	if (h->end == h->cap && h->start > 0) {
		memmove(h->pend, h->pend + h->start, (h->end - h->start) * sizeof(*h->pend));
		h->end -= h->start;
		h->start = 0;
	}
	if (h->end == h->cap) {
		size_t cap = h->cap ? CV_MIN(h->cap * 2, (size_t)CV_HOOKS_BATCH_MAX) : 64;
		struct item *p = reallocarray(h->pend, cap, sizeof(*p));

		if (!p)
			return -ENOMEM;
		h->pend = p;
		h->cap = cap;
	}
	it = &h->pend[h->end++];
	snprintf(it->vip, sizeof(it->vip), "%s", t->conf->head.name);
	it->from = (uint8_t)t->from;
	it->to = (uint8_t)t->to;
	it->reason = (uint8_t)t->reason;
	return 0;
}

/* The batch as text, and in a memfd at offset 0: the run's stdin. */
static int
batch_text(struct cv_hooks *h, char **ret_text, size_t *ret_len, int *ret_fd)
{
	struct cv_strbuf b = {};
	char *text = NULL;
	size_t len;
	int fd, r;

	for (size_t i = h->start; i < h->end; i++)
		cv_strbuf_printf(&b, "%s %s %s %s\n", h->pend[i].vip, cv_hooks_state_name(h->pend[i].from),
				 cv_hooks_state_name(h->pend[i].to), cv_hooks_reason_name(h->pend[i].reason));
	len = b.len;
	r = cv_strbuf_steal(&b, &text);
	if (r < 0)
		return r;
	fd = cv_memfd_text("corovip-transitions", text, len);
	if (fd < 0) {
		free(text);
		return fd;
	}
	*ret_text = text;
	*ret_len = len;
	*ret_fd = fd;
	return 0;
}

void
cv_hooks_batch_start(struct cv_hooks *h)
{
	_cleanup_free_ char *text = NULL, *list = NULL;
	char node[32], count[48], dropped[48];
	char *env[5] = { node, count, dropped };
	size_t len = 0, n = h->end - h->start;
	int fd = -1, r;

	if (h->batch_run || n == 0)
		return;
	if (!h->notify) { /* a reload took it away */
		h->start = h->end = h->dropped = 0;
		return;
	}
	r = h->env.user_err < 0 ? h->env.user_err : batch_text(h, &text, &len, &fd);
	if (r == 0 && len <= CV_HOOKS_ENV_LIST_MAX &&
	    asprintf(&list, "COROVIP_TRANSITIONS=%s", text) < 0) {
		list = NULL;
		r = -ENOMEM;
	}
	snprintf(node, sizeof(node), "COROVIP_NODE=%" PRIu32, h->node);
	snprintf(count, sizeof(count), "COROVIP_TRANSITION_COUNT=%zu", n);
	snprintf(dropped, sizeof(dropped), "COROVIP_DROPPED=%zu", h->dropped);
	env[3] = list;
	if (r == 0) {
		struct cv_exec_spec spec = { .command = h->notify, .uid = h->env.uid,
					     .gid = h->env.gid, .timeout_ms = h->timeout_ms,
					     .env = env, .input = fd };

		r = cv_exec_start(h->env.loop, &spec, batch_done, h, &h->batch_run);
	}
	if (fd >= 0)
		close(fd); /* the command has its own copy */
	if (h->dropped)
		qb_log(LOG_WARNING, "cluster notify hook: %zu transitions were dropped (more than "
		       "%d waited)", h->dropped, CV_HOOKS_BATCH_MAX);
	if (r < 0)
		qb_log(LOG_ERR, "cluster notify hook for %zu transitions not run: %s%s", n,
		       cv_strerror(r), h->env.user_err < 0 ? " (script_user)" : "");
	h->batch_n = n;
	h->start = h->end = h->dropped = 0;
}
