/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <grp.h>
#include <unistd.h>

#include <cap-ng.h>
#include <linux/capability.h>

#include "ipc-proto.h"
#include "privileges.h"

/*
 * libqb gives each corovipctl connection a directory for its shared memory,
 * mode 0770, owned by the client and the group we name (haclient), and
 * creates the files in it: as a member of that group we may, without
 * CAP_DAC_OVERRIDE. Only haclient: no other group of root's stays.
 */
static int
join_ipc_group(void)
{
	const struct group *gr = getgrnam(CV_IPC_GROUP);

	if (setgroups(gr ? 1 : 0, gr ? &gr->gr_gid : NULL) < 0)
		return -errno;
	return 0;
}

int
cv_privileges_drop(enum cv_role role)
{
	capng_type_t sets = CAPNG_EFFECTIVE | CAPNG_PERMITTED | CAPNG_BOUNDING_SET;
	capng_select_t which = CAPNG_SELECT_BOTH;
	int r;

	if (geteuid() != 0)
		return 0;
	/* Without CAP_SETPCAP (a unit's CapabilityBoundingSet= left it out)
	 * the bounding set cannot shrink, and need not: it is the unit's. */
	if (capng_get_caps_process() == 0 && !capng_have_capability(CAPNG_EFFECTIVE, CAP_SETPCAP)) {
		sets = CAPNG_EFFECTIVE | CAPNG_PERMITTED;
		which = CAPNG_SELECT_CAPS;
	}
	r = role == CV_ROLE_DAEMON ? join_ipc_group() : setgroups(0, NULL) < 0 ? -errno : 0;
	if (r < 0)
		return r;
	capng_clear(CAPNG_SELECT_BOTH);
	/* SETUID, SETGID: an exec check's or a notify hook's child becomes
	 * script_user (and loses every capability with it); KILL: its process
	 * group, another uid's, is killed at its timeout (checks/exec-run.c). */
	if (role == CV_ROLE_DAEMON)
		r = capng_updatev(CAPNG_ADD, sets, CAP_NET_ADMIN, CAP_NET_RAW, CAP_CHOWN, CAP_SETUID,
				  CAP_SETGID, CAP_KILL, -1);
	else
		r = capng_update(CAPNG_ADD, sets, CAP_NET_ADMIN);
	if (r < 0)
		return -EINVAL;
	/* capng_apply: 0, or a negative step number (no errno to speak of). */
	return capng_apply(which) < 0 ? -EPERM : 0;
}

const char *
cv_privileges_lacking(void)
{
	static const struct {
		unsigned cap;
		const char *name;
	} need[] = { { CAP_NET_ADMIN, "CAP_NET_ADMIN" }, { CAP_NET_RAW, "CAP_NET_RAW" } };

	if (geteuid() != 0 || capng_get_caps_process() < 0)
		return NULL;
	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++)
		if (!capng_have_capability(CAPNG_EFFECTIVE, need[i].cap))
			return need[i].name;
	return NULL;
}
