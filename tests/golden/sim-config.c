/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Configs (node sections filled in, n<K> is node id K, digests cached) and
 * the read-only queries that expectations use.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim-int.h"

/* ---- configs ---- */

/* Does text have a "node nK" section? (Looked up in the text: prefer lists need it to parse.) */
static bool
has_node(const char *text, uint32_t k)
{
	char name[16];
	size_t l = (size_t)snprintf(name, sizeof(name), "n%u", k);

	for (const char *p = strstr(text, "node"); p; p = strstr(p + 4, "node")) {
		const char *q = p + 4;

		if (p != text && !strchr(" \t\n", p[-1]))
			continue;
		if (!strchr(" \t", *q))
			continue;
		q += strspn(q, " \t");
		if (strncmp(q, name, l) == 0 && strchr(" \t{", q[l]))
			return true;
	}
	return false;
}

/* Parse text with the node sections n1..nN it lacks, so every node has a name and a weight. */
int
sim_config_load(struct sim *s, uint32_t node, const char *text, const struct cv_config **ret,
		char *err, size_t errlen)
{
	struct cv_conf_error ce = {};
	struct cv_config *c = NULL;
	size_t len = strlen(text), cap = len + 32 * (s->o.n_nodes + 1);
	char *full = sim_xcalloc(cap, 1);
	int r;

	memcpy(full, text, len);
	for (uint32_t k = 1; k <= s->o.n_nodes; k++)
		if (!has_node(text, k))
			len += (size_t)snprintf(full + len, cap - len, "\nnode n%u {\n}\n", k);
	r = cv_config_parse(full, len, &c, &ce);
	free(full);
	if (r < 0) {
		snprintf(err, errlen, "config%s%.0u: line %u col %u: %s: %s", node ? " of n" : "",
			 node, ce.line, ce.col, ce.key, ce.msg);
		return r;
	}
	s->configs = realloc(s->configs, (s->n_configs + 1) * sizeof(*s->configs));
	s->digests = realloc(s->digests, (s->n_configs + 1) * sizeof(*s->digests));
	s->full_digests =
	    realloc(s->full_digests, (s->n_configs + 1) * sizeof(*s->full_digests));
	if (!s->configs || !s->digests || !s->full_digests)
		abort();
	s->digests[s->n_configs] = cv_config_digest(c);
	s->full_digests[s->n_configs] = s->digests[s->n_configs];
	for (size_t v = 0; v < c->n_vips; v++) /* the VIPs' own digests, in any order */
		s->full_digests[s->n_configs] += (uint64_t)cv_config_vip_digest(c, v) * 0x9e3779b97f4a7c15;
	s->configs[s->n_configs++] = c;
	*ret = c;
	return 0;
}

uint64_t
sim_config_digest(const struct sim *s, const struct cv_config *c)
{
	for (size_t i = 0; i < s->n_configs; i++)
		if (s->configs[i] == c)
			return s->digests[i];
	return 0;
}

uint64_t
sim_config_full_digest(const struct sim *s, const struct cv_config *c)
{
	for (size_t i = 0; i < s->n_configs; i++)
		if (s->configs[i] == c)
			return s->full_digests[i];
	return 0;
}

/* Do configs a and b agree on VIP vc (of b): the same name, the same VIP digest? */
bool
sim_config_same_vip(const struct cv_config *a, const struct cv_config *b,
		    const struct cv_vip_conf *vc)
{
	const struct cv_vip_conf *va;

	if (a == b)
		return true;
	va = cv_config_find_vip(a, vc->head.name);
	return va && cv_config_vip_digest(a, (size_t)(va - a->vips)) ==
			 cv_config_vip_digest(b, (size_t)(vc - b->vips));
}

/* Per config node section: its corosync node id (n<K> is K, unless the section says). */
uint32_t *
sim_config_nodeids(const struct cv_config *c)
{
	uint32_t *ids = sim_xcalloc(c->n_nodes, sizeof(*ids));

	for (size_t i = 0; i < c->n_nodes; i++) {
		const char *name = c->nodes[i].head.name;
		char *end = NULL;
		unsigned long k = name[0] == 'n' ? strtoul(name + 1, &end, 10) : 0;

		if (c->nodes[i].nodeid != CV_AUTO)
			ids[i] = c->nodes[i].nodeid;
		else if (end && *end == '\0' && k > 0 && k <= SIM_MAX_NODES)
			ids[i] = (uint32_t)k;
	}
	return ids;
}

static bool
standby_in(const struct cv_config *c, uint32_t k)
{
	char name[16];
	const struct cv_node_conf *nc;

	snprintf(name, sizeof(name), "n%u", k);
	nc = cv_config_find_node(c, name);
	return nc && nc->standby;
}

int
sim_set_config(struct sim *s, uint32_t node, const char *text, char *err, size_t errlen)
{
	const struct cv_config *c;
	int r = sim_config_load(s, node, text, &c, err, errlen);

	if (r < 0)
		return r;
	for (uint32_t i = 1; i <= s->o.n_nodes; i++)
		if (node == 0 || node == i) {
			s->nodes[i].cfg = c;
			s->nodes[i].standby = standby_in(c, i);
		}
	if (node == 0) {
		s->ref = c;
		for (size_t v = 0; v < c->n_vips; v++)
			sim_intern(s, &c->vips[v]);
	}
	return 0;
}

/* ---- queries ---- */

uint64_t
sim_now(const struct sim *s)
{
	return s->now;
}

unsigned
sim_n_nodes(const struct sim *s)
{
	return s->o.n_nodes;
}

size_t
sim_node_n_addrs(const struct sim *s, uint32_t node)
{
	return node >= 1 && node <= s->o.n_nodes ? s->nodes[node].n_addrs : 0;
}

bool
sim_daemon_running(const struct sim *s, uint32_t node)
{
	return node >= 1 && node <= s->o.n_nodes && s->nodes[node].d.state == PROC_RUNNING;
}

const struct cv_engine *
sim_engine(const struct sim *s, uint32_t node)
{
	return node >= 1 && node <= s->o.n_nodes ? s->nodes[node].d.engine : NULL;
}

const struct sim_log_entry *
sim_log(const struct sim *s, size_t *ret_n)
{
	*ret_n = s->n_log;
	return s->log;
}

size_t
sim_n_violations(const struct sim *s)
{
	return s->n_viol;
}

const char *
sim_violation(const struct sim *s, size_t i)
{
	return i < s->n_viol ? s->viol[i] : NULL;
}

size_t
sim_n_vips(const struct sim *s)
{
	return s->ref ? s->ref->n_vips : 0;
}

const char *
sim_vip_name(const struct sim *s, size_t i)
{
	return s->ref && i < s->ref->n_vips ? s->ref->vips[i].head.name : NULL;
}
