/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "action.h"
#include "config-schema.h"
#include "cv-macros.h"

void
cv_actions_push(struct cv_actions *a, const struct cv_action *act)
{
	struct cv_action *v;

	if (a->err)
		return;
	if (cv_conf_grow((void **)&a->v, a->n, 1, sizeof(*a->v)) < 0) {
		struct cv_proto_msg m = act->msg; /* we own its lists: do not leak them */

		cv_proto_msg_done(&m);
		a->err = -ENOMEM;
		return;
	}
	v = &a->v[a->n++];
	*v = *act;
}

void
cv_actions_done(struct cv_actions *a)
{
	for (size_t i = 0; i < a->n; i++)
		if (a->v[i].type == CV_ACT_SEND)
			cv_proto_msg_done(&a->v[i].msg);
	free(a->v);
	*a = (struct cv_actions){};
}

/* One table per enum; index = value. */
static const char *const vip_state_names[] = { "idle", "waiting", "held", "releasing" };
static const char *const reason_names[] = {
	"none",	       "placement", "safe",	 "no-quorum",	 "cannot-be-quorate",
	"conn-lost",   "lease-lapsed", "stop",	 "reload",	 "addr-gone",
	"heal",	       "two-node",  "action-failed", "release-done",
};
static const char *const action_names[] = {
	"ADDR_ADD",	"ADDR_DEL",   "ANNOUNCE", "RENEW",   "SEND",
	"ARM_TIMER", "CANCEL_TIMER", "TRANSITION", "NOTICE", "STOPPED",
};
static const char *const notice_names[] = {
	"view-adopted", "exchange-done", "digest-mismatch", "version-mismatch",
	"move-refused", "bad-message",	 "two-node-refused", "peer-silent",
};

_Static_assert(ELEMENTSOF(vip_state_names) == _CV_VIP_STATE_MAX, "vip state names");
_Static_assert(ELEMENTSOF(reason_names) == _CV_REASON_MAX, "reason names");
_Static_assert(ELEMENTSOF(action_names) == _CV_ACTION_TYPE_MAX, "action names");
_Static_assert(ELEMENTSOF(notice_names) == _CV_NOTICE_MAX, "notice names");

static const char *
to_string(const char *const *names, size_t n, int v)
{
	return v >= 0 && (size_t)v < n ? names[v] : NULL;
}

static int
from_string(const char *const *names, size_t n, const char *s)
{
	for (size_t i = 0; s && i < n; i++)
		if (strcmp(names[i], s) == 0)
			return (int)i;
	return -EINVAL;
}

#define ENUM_STRINGS(name, type, table)                                                            \
	const char *name##_to_string(type v)                                                       \
	{                                                                                          \
		return to_string(table, ELEMENTSOF(table), (int)v);                                \
	}                                                                                          \
	type name##_from_string(const char *s)                                                     \
	{                                                                                          \
		return (type)from_string(table, ELEMENTSOF(table), s);                             \
	}

ENUM_STRINGS(cv_vip_state, enum cv_vip_state, vip_state_names)
ENUM_STRINGS(cv_reason, enum cv_reason, reason_names)
ENUM_STRINGS(cv_action_type, enum cv_action_type, action_names)
ENUM_STRINGS(cv_notice, enum cv_notice, notice_names)
