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
	for (size_t i = 0; i < c->n_vips; i++)
		cv_vip_conf_free_members(&c->vips[i]);
	free(c->nodes);
	free(c->checks);
	free(c->vips);
	free(c->clouds);
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
	return cv_addr_compare(&((const struct cv_host_entry *)a)->host,
			       &((const struct cv_host_entry *)b)->host);
}

int
cv_config_index_hosts(struct cv_config *c)
{
	size_t n = 0;
	struct cv_host_entry *v;

	for (size_t i = 0; i < c->n_vips; i++)
		n += c->vips[i].addrs.n;
	v = calloc(n ? n : 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	n = 0;
	for (size_t i = 0; i < c->n_vips; i++)
		for (size_t k = 0; k < c->vips[i].addrs.n; k++) {
			c->vips[i].addrs.v[k].key = cv_config_addr_key(&c->vips[i].addrs.v[k].addr);
			v[n++] = (struct cv_host_entry){ .host = host_of(&c->vips[i].addrs.v[k].addr),
							 .vip = (uint32_t)i,
							 .k = (uint32_t)k };
		}
	qsort(v, n, sizeof(*v), by_host_key);
	free(c->by_host);
	c->by_host = v;
	c->n_by_host = n;
	return 0;
}

const struct cv_vip_conf *
cv_config_find_vip_by_host(const struct cv_config *c, const struct cv_addr *a, size_t *ret_k)
{
	struct cv_host_entry key = { .host = host_of(a) };
	const struct cv_host_entry *h =
		c->by_host ? bsearch(&key, c->by_host, c->n_by_host, sizeof(key), by_host_key) : NULL;

	if (!h)
		return NULL;
	if (ret_k)
		*ret_k = h->k;
	return &c->vips[h->vip];
}

enum cv_backend_kind
cv_vip_mover(const struct cv_vip_conf *v)
{
	/* openstack's pair modes, aws's secondary_ip and route: the address is
	 * ours on an interface, and the cloud's part is around L2's */
	if (v->backend == CV_BACKEND_OPENSTACK && v->mode != CV_CLOUD_FLOATING_IP)
		return CV_BACKEND_L2;
	if (v->backend == CV_BACKEND_AWS && v->mode != CV_CLOUD_ELASTIC_IP)
		return CV_BACKEND_L2;
	return v->backend;
}

/* ---- a VIP's members (config.h) ---- */

size_t
cv_vip_conf_members(const struct cv_vip_conf *v, const struct cv_vip_conf **ret)
{
	*ret = v->n_members ? v->members : v;
	return v->n_members ? v->n_members : 1;
}

int
cv_vip_conf_make_members(struct cv_vip_conf *v)
{
	v->members = NULL;
	v->n_members = 0;
	if (v->addrs.n == 1 && !v->addrs.v[0].dev[0])
		return 0;
	v->members = calloc(v->addrs.n, sizeof(*v->members));
	if (!v->members)
		return -ENOMEM;
	for (size_t k = 0; k < v->addrs.n; k++) {
		struct cv_vip_conf *m = &v->members[k];

		*m = *v; /* strings shared: v owns them */
		m->addrs = (struct cv_vip_addrs){ .v = { { .addr = v->addrs.v[k].addr } }, .n = 1 };
		m->interface = (char *)cv_vip_addr_ifname(v, k);
		m->members = NULL;
		m->group = v;
	}
	v->n_members = v->addrs.n;
	return 0;
}

void
cv_vip_conf_free_members(struct cv_vip_conf *v)
{
	free(v->members);
	v->members = NULL;
	v->n_members = 0;
}

const char *
cv_vip_format_addrs(const struct cv_vip_conf *v, char *buf, size_t len)
{
	struct cv_strbuf b = {};
	char a[CV_ADDR_STRLEN];

	for (size_t k = 0; k < v->addrs.n; k++) {
		cv_strbuf_printf(&b, "%s%s", k ? ", " : "",
				 cv_addr_format(&v->addrs.v[k].addr, true, a, sizeof(a)));
		if (v->addrs.v[k].dev[0])
			cv_strbuf_printf(&b, " dev %s", v->addrs.v[k].dev);
	}
	snprintf(buf, len, "%s", b.buf && !b.err ? b.buf : "?");
	cv_strbuf_done(&b);
	return buf;
}

/* Each VIP's members, once the VIPs are final (they point into them). */
int
cv_config_make_members(struct cv_config *c)
{
	for (size_t i = 0; i < c->n_vips; i++) {
		int r = cv_vip_conf_make_members(&c->vips[i]);

		if (r < 0)
			return r;
	}
	return 0;
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

const struct cv_cloud_conf *
cv_config_find_cloud(const struct cv_config *c, const char *name)
{
	return find(c, CV_CONF_CLOUD, name);
}

/* Each cloud VIP's cloud section, once the sections are final (validated: it is there). */
void
cv_config_resolve_clouds(struct cv_config *c)
{
	for (size_t i = 0; i < c->n_vips; i++)
		c->vips[i].cloud_conf = c->vips[i].backend != CV_BACKEND_L2 && c->vips[i].cloud
						? cv_config_find_cloud(c, c->vips[i].cloud)
						: NULL;
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
