/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Our addresses that should not be there go (owned.h says which are ours):
 * the daemon's reconcile (rule 8) keeps the ones the engine holds, the
 * reaper keeps none (rule 4). One dump, then the removals as one netlink
 * batch: a sweep of 10,000 addresses is a few round trips.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>

#include <qb/qblog.h>

#include "cv-error.h"
#include "cv-macros.h"
#include "l2-backend.h"
#include "netlink.h"

#define LOGGED_EACH 8 /* removed addresses named one by one; then a count */

static void
log_removed(const struct cv_nl_addr *a, int err, size_t nth)
{
	char buf[CV_ADDR_STRLEN];

	if (nth >= LOGGED_EACH && err == 0)
		return;
	qb_log(err < 0 ? LOG_ERR : LOG_WARNING, "%s (ifindex %d): ours, not held: %s%s",
	       cv_addr_format(&a->addr, true, buf, sizeof(buf)), a->ifindex,
	       err < 0 ? "could not remove it: " : "removed", err < 0 ? cv_strerror(err) : "");
}

int
cv_l2_sweep(struct cv_nl *nl, const struct cv_owned *owned,
	    bool (*keep)(void *userdata, const struct cv_nl_addr *a), void *userdata,
	    size_t *ret_found)
{
	_cleanup_free_ struct cv_nl_addr *addrs = NULL;
	_cleanup_free_ struct cv_nl_addr_req *reqs = NULL;
	_cleanup_free_ int *raw = NULL, *ifindexes = NULL;
	size_t n = 0, m = 0, left = 0, n_if = 0;
	int r = cv_nl_addr_dump(nl, AF_UNSPEC, 0, &addrs, &n);

	*ret_found = 1; /* unknown until the dump is read */
	if (r >= 0)
		r = cv_owned_ifindexes(owned, &ifindexes, &n_if); /* once, not per address */
	if (r < 0)
		return r;
	reqs = calloc(n ? n : 1, sizeof(*reqs));
	raw = calloc(n ? n : 1, sizeof(*raw));
	if (!reqs || !raw)
		return -ENOMEM;
	for (size_t k = 0; k < n; k++) {
		if (!cv_owned_is_ours(owned, ifindexes, n_if, &addrs[k]) ||
		    (keep && keep(userdata, &addrs[k])))
			continue; /* the admin's, another owner's, or held */
		addrs[m] = addrs[k];
		reqs[m++] = (struct cv_nl_addr_req){ .addr = addrs[k].addr,
						     .ifindex = addrs[k].ifindex,
						     .tag = owned->tag };
	}
	*ret_found = m;
	if (m && (r = cv_nl_addr_batch(nl, CV_NL_DEL, reqs, m, raw, NULL)) < 0)
		for (size_t k = 0; k < m; k++)
			raw[k] = raw[k] ? raw[k] : r; /* the socket failed: unknown is failed */
	for (size_t k = 0; k < m; k++) {
		int err = cv_nl_op_outcome(CV_NL_DEL, raw[k]);

		left += err < 0;
		log_removed(&addrs[k], err, k);
	}
	if (m > LOGGED_EACH)
		qb_log(LOG_WARNING, "%zu addresses of ours that were not held: %zu removed", m,
		       m - left);
	return (int)CV_MIN(left, (size_t)INT32_MAX);
}
