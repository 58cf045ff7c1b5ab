/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * corovip-os|corovip-aws vip CONF VIP acquire|release|monitor: one VIP of a
 * corovip.conf (backend openstack or aws, its cloud section) through the
 * backend on the one-shot runner (backend/oneshot.h), the way the OCF agent
 * runs it: the backend's own steps, no copy of them here
 * (tests/openstack/backend.sh, tests/aws/client.sh).
 * The epoch written is --epoch's, the node --node's.
 * Exit: 0 done (monitor: ours), 1 failed, 2 usage, 3 stale (a move of a
 * higher epoch owns it), 7 monitor: not ours (OCF_NOT_RUNNING).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli-vip.h"
#include "config.h"
#include "cv-error.h"
#include "cv-macros.h"
#include "oneshot.h"

static void
config_freep(struct cv_config **c)
{
	cv_config_free(*c);
}

static void
fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}

/* The file, parsed: 0, or -errno with the message printed. */
static int
load_config(const char *prog, const char *path, struct cv_config **ret)
{
	_cleanup_(fclosep) FILE *f = fopen(path, "re");
	_cleanup_free_ char *text = NULL;
	struct cv_conf_error e = {};
	size_t len;
	int r;

	if (!f) {
		fprintf(stderr, "%s: %s: %s\n", prog, path, cv_strerror(-errno));
		return -errno;
	}
	text = malloc(CV_CONFIG_MAX_SIZE + 1);
	if (!text)
		return -ENOMEM;
	len = fread(text, 1, CV_CONFIG_MAX_SIZE + 1, f);
	r = cv_config_parse(text, len, ret, &e);
	if (r == -EINVAL)
		fprintf(stderr, "%s: %s:%u:%u: %s: %s\n", prog, path, e.line, e.col, e.key, e.msg);
	else if (r < 0)
		fprintf(stderr, "%s: %s: %s\n", prog, path, cv_strerror(r));
	return r;
}

static int
op_of(const char *what, enum cv_oneshot_op *ret)
{
	static const char *const names[] = { [CV_ONESHOT_ACQUIRE] = "acquire",
					     [CV_ONESHOT_RELEASE] = "release",
					     [CV_ONESHOT_RENEW] = "monitor" };

	for (size_t i = 0; i < ELEMENTSOF(names); i++)
		if (names[i] && strcmp(names[i], what) == 0) {
			*ret = (enum cv_oneshot_op)i;
			return 0;
		}
	return -EINVAL;
}

static int
exit_code(enum cv_oneshot_op op, const struct cv_oneshot_result *res)
{
	if (res->err == 0)
		return 0;
	if (res->err == -ESTALE)
		return 3;
	return op == CV_ONESHOT_RENEW && res->err == -EADDRNOTAVAIL ? 7 : 1;
}

int
cv_cli_vip(const char *prog, enum cv_backend_kind kind, const char *conf, const char *name,
	   const char *what, uint64_t epoch, uint32_t node)
{
	_cleanup_(config_freep) struct cv_config *cfg = NULL;
	const struct cv_vip_conf *v;
	struct cv_oneshot_result res = {};
	struct cv_oneshot_req req = { .n = 1, .epoch = epoch };
	int r;

	if (op_of(what, &req.op) < 0) {
		fprintf(stderr, "%s: vip: '%s' is not acquire, release or monitor\n", prog, what);
		return 2;
	}
	if (load_config(prog, conf, &cfg) < 0)
		return 1;
	v = cv_config_find_vip(cfg, name);
	if (!v || v->backend != kind) {
		fprintf(stderr, "%s: %s: %s%s\n", prog, conf,
			v ? "that VIP's backend is not " : "no such VIP",
			v ? cv_backend_to_string(kind) : "");
		return 1;
	}
	if (cv_vip_mover(v) != kind) {
		/* its address is L2's: a one-shot run has no L2 backend beside (issue 15) */
		fprintf(stderr, "%s: %s: VIP '%s' is in mode %s: only floating_ip and elastic_ip run one-shot "
			"in this version\n", prog, conf, name, cv_cloud_mode_to_string(v->mode));
		return 1;
	}
	req.vips = v;
	/* the backend's own bounds come first: a read, then a move, each in op_timeout */
	req.deadline_ms = 2 * v->cloud_conf->op_timeout_ms + 5000;
	r = cv_oneshot_apply(kind, cv_config_address_tag(cfg), node, &req, &res);
	if (r < 0 && r != -EIO) {
		fprintf(stderr, "%s: vip: %s\n", prog, cv_strerror(r));
		return 1;
	}
	if (res.err < 0) {
		fprintf(stderr, "%s: VIP '%s': %s: %s%s%s\n", prog, name, what, cv_strerror(res.err),
			res.detail[0] ? ": " : "", res.detail);
		return exit_code(req.op, &res);
	}
	printf("VIP '%s': %s\n", name,
	       req.op == CV_ONESHOT_ACQUIRE ? "acquired" :
	       req.op == CV_ONESHOT_RELEASE ? "released" : "ours");
	return 0;
}
