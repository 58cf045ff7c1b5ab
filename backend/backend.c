/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>

#include "backend.h"
#include "cv-macros.h"

/*
 * The backends of this build, by kind. Named here by symbol only: backend/
 * includes none of them (each includes backend.h), and a kind this build
 * lacks is NULL. The cloud backends are weak references: a program that does
 * not link cloud/ (the OCF agent's L2 binary: curl, OpenSSL, json-c and
 * libyaml cost a start more than its netlink call) has no such backend.
 */
extern const struct cv_backend_ops cv_l2_backend;
extern const struct cv_backend_ops cv_openstack_backend __attribute__((weak));
extern const struct cv_backend_ops cv_aws_backend __attribute__((weak));

static const struct cv_backend_ops *const built[_CV_BACKEND_MAX] = {
	[CV_BACKEND_L2] = &cv_l2_backend,
	[CV_BACKEND_OPENSTACK] = &cv_openstack_backend,
	[CV_BACKEND_AWS] = &cv_aws_backend,
};

const struct cv_backend_ops *
cv_backend_lookup(enum cv_backend_kind kind)
{
	return (unsigned)kind < ELEMENTSOF(built) ? built[kind] : NULL;
}

int
cv_backend_to_l2(const struct cv_backend_env *env, const struct cv_backend_op *op, bool add,
		 uint32_t lease_s)
{
	struct cv_backend *l2 = env->backend_of ? env->backend_of(env->userdata, CV_BACKEND_L2) : NULL;

	if (!l2)
		return -EOPNOTSUPP;
	if (add)
		l2->ops->acquire(l2, op, 1, lease_s);
	else
		l2->ops->release(l2, op, 1);
	return 0;
}
