/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The effective configuration: canonical corovip.conf text with every default
 * filled in (keys without a value, such as an empty prefer list, are left
 * out). Parsing it gives back the same model; the digest hashes the same
 * canonical values.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "config-schema.h"
#include "cv-macros.h"

static void
format_value(const struct cv_conf_key *k, const void *inst, struct cv_strbuf *out)
{
	cv_conf_type_ops(k->type)->format(k, cv_conf_field((void *)inst, k), out);
}

/* "\tkey: value\n", a line per value of a repeated key. */
static void
format_key(const struct cv_conf_key *k, const void *inst, struct cv_strbuf *out)
{
	struct cv_strbuf v = {};
	const char *p;

	format_value(k, inst, &v);
	for (p = v.buf ? v.buf : ""; ; p++) {
		size_t len = strcspn(p, "\n");

		cv_strbuf_printf(out, "\t%s: %.*s\n", k->name, (int)len, p);
		p += len;
		if (!*p)
			break;
	}
	if (v.err)
		out->err = v.err;
	cv_strbuf_done(&v);
}

static bool
key_is_set(const struct cv_conf_key *k, const void *inst)
{
	const void *field = cv_conf_field((void *)inst, k);

	if ((k->flags & CV_K_OMIT_DEFAULT) && k->type == CV_T_ENUM)
		return *(const int *)field != 0;
	if ((k->flags & CV_K_OMIT_DEFAULT) && k->type == CV_T_BOOL)
		return *(const bool *)field;
	return cv_conf_type_ops(k->type)->is_set(field);
}

static void
format_instance(const struct cv_conf_section *s, const void *inst, struct cv_strbuf *out)
{
	const struct cv_conf_head *h = inst;

	if (h->name)
		cv_strbuf_printf(out, "\n%s %s {\n", s->name, h->name);
	else
		cv_strbuf_printf(out, "%s {\n", s->name);
	for (size_t i = 0; i < s->n_keys; i++) {
		const struct cv_conf_key *k = &s->keys[i];

		if (!key_is_set(k, inst))
			continue;
		format_key(k, inst, out);
	}
	cv_strbuf_append(out, "}\n");
}

int
cv_config_format(const struct cv_config *c, char **ret)
{
	struct cv_strbuf out = {};

	for (size_t i = 0; i < _CV_CONF_SECTION_MAX; i++) {
		const struct cv_conf_section *s = &cv_conf_sections[i];

		for (size_t j = 0; j < cv_conf_count(c, s); j++)
			format_instance(s, cv_conf_instance(c, s, j), &out);
	}
	return cv_strbuf_steal(&out, ret);
}

/* ---- digest ---- */

static uint64_t
fnv1a(uint64_t h, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		h ^= (uint8_t)s[i];
		h *= UINT64_C(0x100000001b3);
	}
	return h;
}

/* splitmix64's finaliser: spreads each instance's hash before they are summed. */
static uint64_t
mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static uint64_t
digest_instance(const struct cv_conf_section *s, const void *inst, struct cv_strbuf *b)
{
	const struct cv_conf_head *h = inst;

	b->len = 0;
	cv_strbuf_printf(b, "%s %s\n", s->name, h->name ? h->name : "");
	for (size_t i = 0; i < s->n_keys; i++) {
		const struct cv_conf_key *k = &s->keys[i];

		if (!(k->flags & CV_K_DIGEST))
			continue;
		/* An unset key (cloud, floating_ip of an l2 VIP) is left out: the
		 * digests of VIPs without the keys added later stay as they were,
		 * for a rolling upgrade. (Empty lists of the first keys always
		 * counted: they stay.) */
		if ((k->type != CV_T_NAME_LIST || (k->flags & CV_K_OMIT_DEFAULT)) &&
		    !key_is_set(k, inst))
			continue;
		cv_strbuf_printf(b, "%s=", s->keys[i].name);
		format_value(&s->keys[i], inst, b);
		cv_strbuf_append(b, "\n");
	}
	return b->err ? 0 : mix(fnv1a(UINT64_C(0xcbf29ce484222325), b->buf, b->len));
}

/*
 * The cluster digest: the cluster section and the nodes. What each VIP needs
 * (its own keys and its checks) is in that VIP's digest instead, so that a
 * reload that changes one VIP disturbs only that VIP (engine-place.c).
 */
uint64_t
cv_config_digest(const struct cv_config *c)
{
	struct cv_strbuf b = {};
	uint64_t sum = 0;

	/* A sum of per-section hashes: the same sections in any order agree. */
	for (size_t i = CV_CONF_CLUSTER; i <= CV_CONF_NODE; i++) {
		const struct cv_conf_section *s = &cv_conf_sections[i];

		for (size_t j = 0; j < cv_conf_count(c, s); j++)
			sum += digest_instance(s, cv_conf_instance(c, s, j), &b);
	}
	/* Out of memory: a digest nobody else has, so nobody trusts us. */
	if (b.err)
		sum = 0;
	cv_strbuf_done(&b);
	return sum;
}

uint32_t
cv_config_addr_key(const struct cv_addr *a)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);
	uint8_t family = a->family;

	/* Not the interface nor the backend: one host address on two nodes
	 * conflicts whatever carries it (advG-rename-interface). */
	h = fnv1a(h, (const char *)&family, sizeof(family));
	h = mix(fnv1a(h, (const char *)a->bytes, a->family == AF_INET6 ? 16 : 4));
	h ^= h >> 32;
	return (uint32_t)h ? (uint32_t)h : 1;
}

size_t
cv_config_vip_addr_keys(const struct cv_vip_conf *v, uint32_t *keys)
{
	/* kept in the address since the parse (cv_config_index_hosts): STATE
	 * sends and placement read them per VIP each time */
	for (size_t k = 0; k < v->addrs.n; k++)
		keys[k] = v->addrs.v[k].key ? v->addrs.v[k].key
					    : cv_config_addr_key(&v->addrs.v[k].addr);
	return v->addrs.n;
}

uint32_t
cv_config_vip_digest(const struct cv_config *c, size_t i)
{
	const struct cv_vip_conf *v = &c->vips[i];
	struct cv_strbuf b = {};
	uint64_t h = digest_instance(&cv_conf_sections[CV_CONF_VIP], v, &b);

	/* Its checks, in its order: the same check names must mean the same checks. */
	for (size_t k = 0; k < v->check.n + v->fallback_check.n; k++) {
		const char *name = k < v->check.n ? v->check.names[k]
						  : v->fallback_check.names[k - v->check.n];
		const struct cv_check_conf *chk = cv_config_find_check(c, name);

		if (chk)
			h = mix(h + digest_instance(&cv_conf_sections[CV_CONF_CHECK], chk, &b));
	}
	if (b.err)
		h = 0;
	cv_strbuf_done(&b);
	/* 0 on the wire means "no such VIP here": never use it for a real one. */
	h ^= h >> 32;
	return (uint32_t)h ? (uint32_t)h : 1;
}
