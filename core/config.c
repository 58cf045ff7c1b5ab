/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The config object: allocation, release, lookups, and the helpers the other
 * config modules share (errors, labels, key positions).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "config-schema.h"
#include "cv-macros.h"

int
cv_conf_fail(struct cv_conf_error *e, uint32_t line, uint32_t col, const char *key,
	     const char *fmt, ...)
{
	va_list ap;

	e->line = line;
	e->col = col;
	snprintf(e->key, sizeof(e->key), "%s", key);
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

const char *
cv_conf_label(const struct cv_conf_section *s, const void *instance, char *buf, size_t len)
{
	const struct cv_conf_head *h = instance;

	if (h->name)
		snprintf(buf, len, "%s '%s'", s->name, h->name);
	else
		snprintf(buf, len, "%s", s->name);
	return buf;
}

struct cv_conf_pos
cv_conf_key_pos(const struct cv_config *c, const void *instance, const struct cv_conf_section *s,
		const struct cv_conf_key *k)
{
	const struct cv_conf_head *h = instance;
	size_t i = h->pos_base + (size_t)(k - s->keys);

	return i < c->n_pos ? c->pos[i] : (struct cv_conf_pos){};
}

static size_t
next_pow2(size_t n)
{
	size_t p = 1;

	while (p < n)
		p <<= 1;
	return p;
}

int
cv_conf_grow(void **array, size_t n, size_t add, size_t size)
{
	size_t cap = n ? next_pow2(n) : 0, need = n + add, new_cap;
	void *p;

	if (need <= cap)
		return 0;
	new_cap = next_pow2(need);
	p = realloc(*array, new_cap * size);
	if (!p)
		return -ENOMEM;
	memset((char *)p + n * size, 0, (new_cap - n) * size);
	*array = p;
	return 0;
}

int
cv_conf_alloc(struct cv_config **ret)
{
	const struct cv_conf_section *s = &cv_conf_sections[CV_CONF_CLUSTER];
	struct cv_config *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	/* The cluster section always exists; its key positions come first. */
	if (cv_conf_grow((void **)&c->pos, 0, s->n_keys, sizeof(*c->pos)) < 0) {
		free(c);
		return -ENOMEM;
	}
	c->n_pos = s->n_keys;
	*ret = c;
	return 0;
}

static void
instance_done(const struct cv_conf_section *s, void *instance)
{
	struct cv_conf_head *h = instance;

	for (size_t k = 0; k < s->n_keys; k++)
		cv_conf_type_ops(s->keys[k].type)->done(cv_conf_field(instance, &s->keys[k]));
	free(h->name);
	h->name = NULL;
}

struct cv_config *
cv_config_free(struct cv_config *c)
{
	if (!c)
		return NULL;
	for (size_t i = 0; i < _CV_CONF_SECTION_MAX; i++) {
		const struct cv_conf_section *s = &cv_conf_sections[i];

		for (size_t j = 0; j < cv_conf_count(c, s); j++)
			instance_done(s, cv_conf_instance(c, s, j));
	}
	free(c->nodes);
	free(c->checks);
	free(c->vips);
	free(c->by_host);
	free(c->pos);
	free(c);
	return NULL;
}

void
cv_config_forget_positions(struct cv_config *c)
{
	free(c->pos);
	c->pos = NULL;
	c->n_pos = 0;
}

static const void *
find(const struct cv_config *c, enum cv_conf_section_kind kind, const char *name)
{
	const struct cv_conf_section *s = &cv_conf_sections[kind];

	for (size_t i = 0; i < cv_conf_count(c, s); i++) {
		const struct cv_conf_head *h = cv_conf_instance(c, s, i);

		if (strcmp(h->name, name) == 0)
			return h;
	}
	return NULL;
}

uint32_t
cv_config_reaper_timeout_ms(const struct cv_config *c)
{
	const struct cv_cluster_conf *cl = &c->cluster;

	return cl->reaper_timeout_ms == CV_AUTO ? 4 * cl->heartbeat_ms : cl->reaper_timeout_ms;
}

uint8_t
cv_config_address_tag(const struct cv_config *c)
{
	const char *group = c->cluster.group ? c->cluster.group : "corovip";
	uint32_t h = 2166136261u; /* FNV-1a */

	if (c->cluster.address_tag != CV_AUTO)
		return (uint8_t)c->cluster.address_tag;
	if (strcmp(group, "corovip") == 0)
		return CV_TAG_DAEMON;
	for (const char *p = group; *p; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	return (uint8_t)(0x80 + h % 0x7f);
}

struct host_key {
	struct cv_addr addr;
	size_t vip;
};

/* The host part only: keys and lookups carry prefix length 0. */
static struct cv_addr
host_of(const struct cv_addr *a)
{
	struct cv_addr h = *a;

	h.prefixlen = 0;
	return h;
}

static int
by_host_key(const void *a, const void *b)
{
	return cv_addr_compare(&((const struct host_key *)a)->addr,
			       &((const struct host_key *)b)->addr);
}

int
cv_config_index_hosts(struct cv_config *c)
{
	_cleanup_free_ struct host_key *keys = calloc(c->n_vips ? c->n_vips : 1, sizeof(*keys));
	size_t *v = calloc(c->n_vips ? c->n_vips : 1, sizeof(*v));

	if (!keys || !v) {
		free(v);
		return -ENOMEM;
	}
	for (size_t i = 0; i < c->n_vips; i++)
		keys[i] = (struct host_key){ .addr = host_of(&c->vips[i].address), .vip = i };
	qsort(keys, c->n_vips, sizeof(*keys), by_host_key);
	for (size_t i = 0; i < c->n_vips; i++)
		v[i] = keys[i].vip;
	free(c->by_host);
	c->by_host = v;
	return 0;
}

const struct cv_vip_conf *
cv_config_find_vip_by_host(const struct cv_config *c, const struct cv_addr *a)
{
	struct cv_addr key = host_of(a);
	size_t lo = 0, hi = c->by_host ? c->n_vips : 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		struct cv_addr h = host_of(&c->vips[c->by_host[mid]].address);
		int r = cv_addr_compare(&h, &key);

		if (r == 0)
			return &c->vips[c->by_host[mid]];
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const struct cv_vip_conf *
cv_config_find_vip(const struct cv_config *c, const char *name)
{
	return find(c, CV_CONF_VIP, name);
}

const struct cv_node_conf *
cv_config_find_node(const struct cv_config *c, const char *name)
{
	return find(c, CV_CONF_NODE, name);
}

const struct cv_check_conf *
cv_config_find_check(const struct cv_config *c, const char *name)
{
	return find(c, CV_CONF_CHECK, name);
}

const char *
cv_check_kind(const struct cv_check_conf *k)
{
	return k->exec ? "exec" : k->tcp ? "tcp" : k->link ? "link" : "http";
}

const char *
cv_check_target(const struct cv_check_conf *k)
{
	return k->exec ? k->exec : k->tcp ? k->tcp : k->link ? k->link : k->http;
}
