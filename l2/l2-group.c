/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * VIP groups in the L2 backend (issue 13): a VIP of several addresses (or
 * of one on a "dev" of its own) is worked on as its members, one address
 * and interface each (config.h, cv_vip_conf_members), so that everything
 * below (batches, DAD, bursts, conflicts) stays one address at a time. The
 * engine hears once per VIP: when every member of an operation has its
 * outcome, the first failure or 0. A member's outcome that nobody waits for
 * (a DAD failure after the add was reported, an add cancelled by the
 * release) is passed on only if it is a failure: a group is held whole or
 * not at all (the engine releases every member then).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cv-macros.h"
#include "l2-int.h"

/* A VIP's operation waiting for its members' outcomes. */
struct group_wait {
	const struct cv_vip_conf *vip;
	enum cv_action_type op;
	uint64_t epoch;
	size_t left;
	int err;
	char detail[256];
};

static bool
waited_for(const struct l2 *x, enum cv_action_type op)
{
	/* the daemon hears one RENEW per refresh and no announce outcome */
	return op == CV_ACT_ADDR_ADD || op == CV_ACT_ADDR_DEL || x->env.oneshot;
}

static int
wait_add(struct l2 *x, const struct cv_backend_op *a, enum cv_action_type op)
{
	struct group_wait *w;

	if (x->n_gwaits == x->cap_gwaits) {
		size_t cap = x->cap_gwaits ? 2 * x->cap_gwaits : 8;

		w = reallocarray(x->gwaits, cap, sizeof(*w));
		if (!w)
			return -ENOMEM;
		x->gwaits = w;
		x->cap_gwaits = cap;
	}
	x->gwaits[x->n_gwaits++] = (struct group_wait){ .vip = a->conf, .op = op, .epoch = a->epoch,
						       .left = a->conf->n_members };
	return 0;
}

struct cv_backend_op *
l2_expand(struct l2 *x, const struct cv_backend_op *ops, size_t n, enum cv_action_type op,
	  size_t *ret_n)
{
	size_t total = 0, m = 0;
	struct cv_backend_op *v;

	for (size_t i = 0; i < n; i++)
		total += ops[i].conf->n_members ? ops[i].conf->n_members : 1;
	v = calloc(total ? total : 1, sizeof(*v));
	for (size_t i = 0; v && i < n; i++) {
		const struct cv_vip_conf *members;
		size_t k = cv_vip_conf_members(ops[i].conf, &members);

		if (ops[i].conf->n_members && waited_for(x, op) && wait_add(x, &ops[i], op) < 0) {
			l2_result(x, ops[i].conf, op, ops[i].epoch, -ENOMEM, NULL);
			continue;
		}
		for (size_t j = 0; j < k; j++)
			v[m++] = (struct cv_backend_op){ .conf = &members[j], .vip = ops[i].vip,
							 .epoch = ops[i].epoch };
	}
	*ret_n = m;
	return v;
}

void
l2_group_result(struct l2 *x, const struct cv_vip_conf *member, enum cv_action_type op,
		uint64_t epoch, int err, const char *detail)
{
	struct group_wait *w = NULL, done;

	for (size_t i = 0; !w && i < x->n_gwaits; i++)
		if (x->gwaits[i].vip == member->group && x->gwaits[i].op == op &&
		    x->gwaits[i].epoch == epoch)
			w = &x->gwaits[i];
	if (!w) {
		if (err < 0)
			x->env.result(x->env.userdata, member->group, op, epoch, err, detail);
		return;
	}
	if (err < 0 && !w->err) {
		w->err = err;
		snprintf(w->detail, sizeof(w->detail), "%s", detail ? detail : "");
	}
	if (--w->left)
		return;
	done = *w;
	*w = x->gwaits[--x->n_gwaits];
	x->env.result(x->env.userdata, done.vip, op, epoch, done.err,
		      done.detail[0] ? done.detail : NULL);
}

void
l2_group_forget(struct l2 *x, const struct cv_vip_conf *vip, enum cv_action_type op)
{
	for (size_t i = 0; i < x->n_gwaits;)
		if (x->gwaits[i].vip == vip && x->gwaits[i].op == op)
			x->gwaits[i] = x->gwaits[--x->n_gwaits];
		else
			i++;
}

void
l2_group_clear(struct l2 *x, bool free_all)
{
	x->n_gwaits = 0;
	if (free_all) {
		free(x->gwaits);
		x->gwaits = NULL;
		x->cap_gwaits = 0;
	}
}
