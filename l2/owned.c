/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>

#include "owned.h"

static bool
named(const struct cv_owned *o, const char *name)
{
	for (size_t i = 0; i < o->n; i++)
		if (strcmp(o->ifnames[i], name) == 0)
			return true;
	return false;
}

int
cv_owned_add_interface(struct cv_owned *o, const char *name)
{
	size_t len = name ? strlen(name) : 0;
	void *grown;

	if (!len || len > CV_IFNAME_MAX)
		return -EINVAL;
	if (named(o, name))
		return 0;
	grown = realloc(o->ifnames, (o->n + 1) * sizeof(*o->ifnames));
	if (!grown)
		return -ENOMEM;
	o->ifnames = grown;
	memcpy(o->ifnames[o->n++], name, len + 1);
	return 0;
}

int
cv_owned_add_config(struct cv_owned *o, const struct cv_config *cfg)
{
	for (size_t i = 0; cfg && i < cfg->n_vips; i++)
		for (size_t k = 0; k < cfg->vips[i].addrs.n; k++) {
			const char *ifname = cv_vip_addr_ifname(&cfg->vips[i], k); /* a group's "dev" too */
			int r = ifname ? cv_owned_add_interface(o, ifname) : 0;

			if (r < 0)
				return r;
		}
	return 0;
}

void
cv_owned_clear(struct cv_owned *o)
{
	free(o->ifnames);
	o->ifnames = NULL;
	o->n = 0;
}

int
cv_owned_ifindexes(const struct cv_owned *o, int **ret, size_t *ret_n)
{
	int *v = calloc(o->n ? o->n : 1, sizeof(*v));
	size_t n = 0;

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < o->n; i++) {
		unsigned idx = if_nametoindex(o->ifnames[i]);

		if (idx)
			v[n++] = (int)idx;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

bool
cv_owned_is_ours(const struct cv_owned *o, const int *ifindexes, size_t n,
		 const struct cv_nl_addr *a)
{
	if (!o->tag || a->proto != o->tag)
		return false; /* the admin's, another owner's */
	for (size_t i = 0; i < n; i++)
		if (ifindexes[i] == a->ifindex)
			return true;
	return false;
}
