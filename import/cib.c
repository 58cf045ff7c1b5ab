/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Pacemaker's IPaddr2 resources read into the importer's model (import.h),
 * with libxml2: a whole CIB (cibadmin -Q), a fragment of one (a <primitive>,
 * a <group>, <resources>, <constraints>) or crm_resource --query-xml's
 * output (its XML after the "Resource XML:" line, or as given).
 *
 *   primitive ocf:heartbeat:IPaddr2 (or IPaddr) ID   vip ID
 *     ip, cidr_netmask                                address ip/cidr_netmask
 *     nic                                             interface
 *     arp_count, arp_interval (ms)                    announce_count, announce_interval
 *     preferred_lft=0                                 deprecated: yes
 *     nodad                                           nodad
 *   group of IPaddr2s                                 one VIP of all their addresses
 *   rsc_location rsc node score                       prefer, by score (positive ones)
 *   resource-stickiness (meta, or rsc_defaults)       stickiness
 *   <nodes><node uname>                               node sections
 * What has no equivalent (other resources of a group, negative scores and
 * rules, IPaddr2's CLUSTERIP, LVS and label parameters, operations) gets a
 * comment. No entities, no DTD, no network: the document is data.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "cv-macros.h"
#include "import.h"

static bool
named(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && xmlStrcmp(n->name, (const xmlChar *)name) == 0;
}

/* An attribute's value (owned by the caller's buffer), "" when absent. */
static const char *
attr(const xmlNode *n, const char *name, char *buf, size_t size)
{
	xmlChar *v = xmlGetProp(n, (const xmlChar *)name);

	snprintf(buf, size, "%s", v ? (const char *)v : "");
	xmlFree(v);
	return buf;
}

/* The value of nvpair name in n's instance_attributes (or meta_attributes). */
static const char *
param(const xmlNode *n, const char *set, const char *name, char *buf, size_t size)
{
	char nm[128];

	buf[0] = '\0';
	for (const xmlNode *s = n->children; s; s = s->next) {
		if (!named(s, set))
			continue;
		for (const xmlNode *p = s->children; p; p = p->next)
			if (named(p, "nvpair") && strcmp(attr(p, "name", nm, sizeof(nm)), name) == 0)
				return attr(p, "value", buf, size);
	}
	return buf;
}

static bool
is_ipaddr(const xmlNode *n)
{
	char cls[32], prov[32], type[32];

	return named(n, "primitive") && strcmp(attr(n, "class", cls, sizeof(cls)), "ocf") == 0 &&
	       strcmp(attr(n, "provider", prov, sizeof(prov)), "heartbeat") == 0 &&
	       (strcmp(attr(n, "type", type, sizeof(type)), "IPaddr2") == 0 ||
		strcmp(type, "IPaddr") == 0);
}

static int64_t
score_of(const char *s)
{
	if (strcmp(s, "INFINITY") == 0 || strcmp(s, "+INFINITY") == 0)
		return 1000000;
	if (strcmp(s, "-INFINITY") == 0)
		return -1000000;
	return strtoll(s, NULL, 10);
}

/* IPaddr2 parameters with no equivalent, and why. */
static const char *const unkept[][2] = {
	{ "broadcast", "the kernel's default broadcast is used" },
	{ "iflabel", "corovip sets no label" },
	{ "lvs_support", "no LVS in corovip" },
	{ "lvs_ipv6_addrlabel", "no LVS in corovip" },
	{ "lvs_ipv6_addrlabel_value", "no LVS in corovip" },
	{ "mac", "CLUSTERIP (a load-shared address) has no equivalent" },
	{ "clusterip_hash", "CLUSTERIP has no equivalent" },
	{ "unique_clone_address", "clones have no equivalent: one node holds a VIP" },
	{ "arp_count_refresh", "set announce_refresh (an interval) instead" },
	{ "arp_bg", "corovip always announces from its own loop" },
	{ "arp_sender", "corovip sends its own frames" },
	{ "send_arp_opts", "corovip sends its own frames" },
	{ "flush_routes", "corovip leaves routes alone" },
	{ "noprefixroute", "the kernel's prefix route is kept" },
	{ "run_arping", "corovip does not probe before a takeover" },
	{ "network_namespace", "run corovipd in that namespace" },
};

static void
primitive(struct imp_conf *c, struct imp_vip *v, const xmlNode *n, const char *path)
{
	char id[128], ip[64], mask[16], nic[32], buf[64], addr[96];

	attr(n, "id", id, sizeof(id));
	param(n, "instance_attributes", "ip", ip, sizeof(ip));
	if (!ip[0]) {
		imp_note(&v->notes, "%s: %s has no ip parameter", path, id);
		return;
	}
	param(n, "instance_attributes", "cidr_netmask", mask, sizeof(mask));
	if (!mask[0])
		imp_note(&v->notes, "%s: %s: no cidr_netmask (IPaddr2 took it from a route): "
			 "check the prefix of %s", path, id, ip);
	snprintf(addr, sizeof(addr), "%s/%s", ip, mask[0] ? mask : strchr(ip, ':') ? "128" : "32");
	param(n, "instance_attributes", "nic", nic, sizeof(nic));
	if (strlen(nic) > CV_IFNAME_MAX) {
		imp_note(&v->notes, "%s: %s: nic %s is no interface name", path, id, nic);
		nic[0] = '\0';
	}
	if (!v->interface[0] && nic[0])
		memcpy(v->interface, nic, strlen(nic) + 1);
	if (!nic[0] && !v->interface[0]) { /* a placeholder that cannot be taken for a guess */
		imp_note(&v->notes, "%s: %s: no nic (IPaddr2 found the interface by route): set "
			 "interface (SET-ME is no interface: the VIP cannot be taken until it is)", path, id);
		snprintf(v->interface, sizeof(v->interface), "SET-ME");
	}
	imp_vip_add_addr(c, v, addr, nic);
	if (param(n, "instance_attributes", "arp_count", buf, sizeof(buf))[0])
		v->announce_count = imp_uint(buf, 0, 100, v->announce_count);
	if (param(n, "instance_attributes", "arp_interval", buf, sizeof(buf))[0])
		v->announce_interval_ms = imp_uint(buf, 10, 10000, v->announce_interval_ms);
	if (strcmp(param(n, "instance_attributes", "preferred_lft", buf, sizeof(buf)), "0") == 0) {
		v->deprecated = 1;
		imp_note(&v->notes, "%s: %s: preferred_lft=0: deprecated: yes is for every address of "
			 "vip %s", path, id, v->name);
	}
	if (param(n, "instance_attributes", "nodad", buf, sizeof(buf))[0])
		v->nodad = strcmp(buf, "true") == 0 || strcmp(buf, "1") == 0 || strcmp(buf, "yes") == 0;
	for (size_t k = 0; k < ELEMENTSOF(unkept); k++)
		if (param(n, "instance_attributes", unkept[k][0], buf, sizeof(buf))[0])
			imp_note(&v->notes, "%s: %s: %s=%s is not kept: %s", path, id, unkept[k][0], buf,
				 unkept[k][1]);
	if (param(n, "meta_attributes", "resource-stickiness", buf, sizeof(buf))[0])
		v->stickiness = score_of(buf) > 0;
}

static void
group(struct imp_conf *c, const xmlNode *g, const char *path)
{
	char id[128], other[128];
	struct imp_vip *v = NULL;

	attr(g, "id", id, sizeof(id));
	for (const xmlNode *n = g->children; n; n = n->next) {
		if (is_ipaddr(n)) {
			v = v ? v : imp_vip(c, id);
			if (v)
				primitive(c, v, n, path);
		} else if (named(n, "primitive")) {
			imp_note(&c->notes, "%s: group %s: %s is no IPaddr2: run it with Pacemaker, or as "
				 "a corovip check and notify hook", path, id, attr(n, "id", other, sizeof(other)));
		}
	}
	if (v && param(g, "meta_attributes", "resource-stickiness", other, sizeof(other))[0])
		v->stickiness = score_of(other) > 0;
}

static void
location(struct imp_conf *c, const xmlNode *n, const char *path)
{
	char rsc[128], node[128], score[32], id[128];
	struct imp_vip *v;
	int k;

	attr(n, "rsc", rsc, sizeof(rsc));
	attr(n, "node", node, sizeof(node));
	attr(n, "score", score, sizeof(score));
	attr(n, "id", id, sizeof(id));
	v = imp_vip_find(c, rsc);
	if (!v)
		return; /* another resource's */
	if (!node[0] || !score[0]) {
		imp_note(&v->notes, "%s: rsc_location %s (a rule, or a role) has no equivalent", path, id);
		return;
	}
	if (score_of(score) <= 0) {
		imp_note(&v->notes, "%s: rsc_location %s keeps %s off %s (score %s): use corovipctl "
			 "ban %s %s", path, id, v->name, node, score, v->name, node);
		return;
	}
	k = imp_node(c, node);
	if (k >= 0) {
		v->score[k] = score_of(score);
		v->scored[k] = true;
	}
}

/* Every IPaddr2 (in a group or alone), then the constraints and nodes. */
static void
walk(struct imp_conf *c, const xmlNode *n, const char *path, int pass)
{
	char buf[64];

	for (; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (pass == 0 && named(n, "group")) {
			group(c, n, path);
			continue;
		}
		if (pass == 0 && is_ipaddr(n)) {
			struct imp_vip *v = imp_vip(c, attr(n, "id", buf, sizeof(buf)));

			if (v)
				primitive(c, v, n, path);
			continue;
		}
		if (pass == 1 && named(n, "node") && n->parent && named(n->parent, "nodes"))
			(void)imp_node(c, attr(n, "uname", buf, sizeof(buf)));
		if (pass == 1 && named(n, "rsc_location"))
			location(c, n, path);
		if (pass == 1 && named(n, "rsc_colocation"))
			imp_note(&c->notes, "%s: rsc_colocation %s: put the addresses that must stay "
				 "together in one vip", path, attr(n, "id", buf, sizeof(buf)));
		if (pass == 1 && named(n, "nvpair") && n->parent && named(n->parent, "meta_attributes") &&
		    n->parent->parent && named(n->parent->parent, "rsc_defaults") &&
		    strcmp(attr(n, "name", buf, sizeof(buf)), "resource-stickiness") == 0)
			for (size_t i = 0; i < c->n_vips; i++)
				if (c->vips[i].stickiness < 0)
					c->vips[i].stickiness = score_of(attr(n, "value", buf, sizeof(buf))) > 0;
		walk(c, n->children, path, pass);
	}
}

int
imp_cib(struct imp_conf *c, const char *path, const char *text, size_t len, char *err,
	size_t errlen)
{
	const char *xml = memchr(text, '<', len), *raw;
	size_t before = c->n_vips, n;
	xmlDocPtr d;

	if (!xml) {
		snprintf(err, errlen, "no XML in it");
		return -EBADMSG;
	}
	/* crm_resource --query-xml: "Resource XML:", its XML, then "Raw
	 * resource XML:" and the same again (the first one is read) */
	n = len - (size_t)(xml - text);
	raw = memmem(xml, n, "Raw resource XML:", 17);
	n = raw ? (size_t)(raw - xml) : n;
	d = xmlReadMemory(xml, (int)CV_MIN(n, (size_t)INT32_MAX), NULL, NULL,
			  XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (!d) {
		snprintf(err, errlen, "not well-formed XML");
		return -EBADMSG;
	}
	walk(c, xmlDocGetRootElement(d), path, 0);
	walk(c, xmlDocGetRootElement(d), path, 1);
	xmlFreeDoc(d);
	cv_strbuf_printf(&c->source, "#   from %s (Pacemaker's IPaddr2 resources)\n", path);
	if (c->n_vips == before)
		imp_note(&c->notes, "%s: no ocf:heartbeat:IPaddr2 resource in it", path);
	if (c->n_nodes == 0)
		imp_note(&c->notes, "no nodes in %s: add a node section for each (corosync's nodelist "
			 "names)", path);
	if (c->err)
		snprintf(err, errlen, "%s", c->err == -E2BIG ? "more than the importer holds" :
				    "out of memory");
	return c->err;
}
