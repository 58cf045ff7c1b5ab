/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The diff of two configurations for reload: which sections were added,
 * removed or changed (and which keys), matched by name. The engine applies it
 * as one event, so a reload that changes one VIP leaves the others alone.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config-schema.h"
#include "cv-macros.h"

static uint32_t
changed_keys(const struct cv_conf_section *s, const void *a, const void *b)
{
	uint32_t mask = 0;

	for (size_t i = 0; i < s->n_keys; i++) {
		const struct cv_conf_key *k = &s->keys[i];

		if (!cv_conf_type_ops(k->type)->equal(cv_conf_field((void *)a, k),
						      cv_conf_field((void *)b, k)))
			mask |= UINT32_C(1) << i;
	}
	return mask;
}

bool
cv_check_same(const struct cv_check_conf *a, const struct cv_check_conf *b)
{
	return strcmp(a->head.name, b->head.name) == 0 &&
	       changed_keys(&cv_conf_sections[CV_CONF_CHECK], a, b) == 0;
}

static int
add_change(struct cv_config_diff *d, struct cv_conf_change ch)
{
	int r = cv_conf_grow((void **)&d->changes, d->n_changes, 1, sizeof(*d->changes));

	if (r < 0)
		return r;
	d->changes[d->n_changes++] = ch;
	return 0;
}

static int
sort_by_name(const void *a, const void *b)
{
	return strcmp((*(const struct cv_conf_head *const *)a)->name,
		      (*(const struct cv_conf_head *const *)b)->name);
}

static int
sorted_instances(const struct cv_config *c, const struct cv_conf_section *s,
		 const struct cv_conf_head ***ret)
{
	size_t n = cv_conf_count(c, s);
	const struct cv_conf_head **v = calloc(n ? n : 1, sizeof(*v));

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		v[i] = cv_conf_instance(c, s, i);
	qsort(v, n, sizeof(*v), sort_by_name);
	*ret = v;
	return 0;
}

/* Merge two name-sorted lists of one section kind. */
static int
diff_named(const struct cv_conf_section *s, const struct cv_config *old,
	   const struct cv_config *new, struct cv_config_diff *d)
{
	_cleanup_free_ const struct cv_conf_head **a = NULL;
	_cleanup_free_ const struct cv_conf_head **b = NULL;
	size_t na = cv_conf_count(old, s), nb = cv_conf_count(new, s), i = 0, j = 0;
	int r;

	if (sorted_instances(old, s, &a) < 0 || sorted_instances(new, s, &b) < 0)
		return -ENOMEM;
	while (i < na || j < nb) {
		int cmp = i == na ? 1 : j == nb ? -1 : strcmp(a[i]->name, b[j]->name);
		struct cv_conf_change ch = { .kind = s->kind };

		if (cmp < 0) {
			ch.op = CV_CONF_REMOVED;
			ch.name = a[i++]->name;
		} else if (cmp > 0) {
			ch.op = CV_CONF_ADDED;
			ch.name = b[j++]->name;
		} else {
			ch.op = CV_CONF_CHANGED;
			ch.name = b[j]->name;
			ch.changed_keys = changed_keys(s, a[i++], b[j++]);
			if (!ch.changed_keys)
				continue;
		}
		r = add_change(d, ch);
		if (r < 0)
			return r;
	}
	return 0;
}

int
cv_config_diff(const struct cv_config *old, const struct cv_config *new,
	       struct cv_config_diff *ret)
{
	const struct cv_conf_section *cs = &cv_conf_sections[CV_CONF_CLUSTER];
	struct cv_config_diff d = {};
	uint32_t mask = changed_keys(cs, &old->cluster, &new->cluster);
	int r = 0;

	if (mask)
		r = add_change(&d, (struct cv_conf_change){ .kind = CV_CONF_CLUSTER,
							     .op = CV_CONF_CHANGED,
							     .changed_keys = mask });
	for (int k = CV_CONF_NODE; r >= 0 && k < _CV_CONF_SECTION_MAX; k++)
		r = diff_named(&cv_conf_sections[k], old, new, &d);
	if (r < 0) {
		cv_config_diff_done(&d);
		return r;
	}
	*ret = d;
	return 0;
}

void
cv_config_diff_done(struct cv_config_diff *d)
{
	free(d->changes);
	*d = (struct cv_config_diff){};
}
