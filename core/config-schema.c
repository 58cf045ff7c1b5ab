/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The schema of corovip.conf: every section and key, its type, default and
 * range, in one table (Knot's schema.c idea). corovip.conf(5) documents the
 * same table; change both together.
 */
#include <stddef.h>
#include <string.h>

#include "config-schema.h"
#include "cv-macros.h"

#define MS(x) ((uint32_t)(x))
#define SEC(x) ((uint32_t)(x) * 1000u)
#define MIN(x) ((uint32_t)(x) * 60000u)

static const char *const backend_names[] = { "l2", "openstack", "aws", NULL };
static const char *const garp_names[] = { "request", "reply", "both", NULL };
static const char *const cloud_mode_names[] = { "floating_ip", "address_pairs", "vip_port",
						 "elastic_ip",	"secondary_ip",	 "route", NULL };
static const char *const cloud_type_names[] = { "openstack", "aws", NULL };
static const char *const interface_names[] = { "public", "internal", "admin", NULL };
/* enum cv_log_level */
static const char *const log_level_names[] = { "error", "warning", "notice", "info", "debug", NULL };

#define KEY(st, n, field, t, ...) { .name = n, .type = t, .offset = offsetof(st, field), __VA_ARGS__ }

static const struct cv_conf_key cluster_keys[] = {
	KEY(struct cv_cluster_conf, "group", group, CV_T_NAME, .max = CV_GROUP_MAX, .def = "corovip",
	    .flags = CV_K_DIGEST),
	KEY(struct cv_cluster_conf, "heartbeat", heartbeat_ms, CV_T_DURATION, .min = MS(10), .max = SEC(10),
	    .def = "50ms", .flags = CV_K_DIGEST),
	KEY(struct cv_cluster_conf, "lease", lease_ms, CV_T_DURATION, .min = MS(20), .max = MIN(1),
	    .def = "auto", .flags = CV_K_AUTO | CV_K_DIGEST),
	KEY(struct cv_cluster_conf, "guard", guard_ms, CV_T_DURATION, .min = 0, .max = MIN(1),
	    .def = "auto", .flags = CV_K_AUTO | CV_K_DIGEST),
	KEY(struct cv_cluster_conf, "kernel_lease", kernel_lease_ms, CV_T_DURATION, .min = SEC(1), .max = MIN(60),
	    .def = "10s", .flags = CV_K_SECONDS | CV_K_DIGEST),
	/* Per node (not in the digest): how long a daemon may stall. */
	KEY(struct cv_cluster_conf, "reaper_timeout", reaper_timeout_ms, CV_T_DURATION, .min = MS(20),
	    .max = SEC(10), .def = "auto", .flags = CV_K_AUTO),
	/* Per node: whose addresses are ours (cv_config_address_tag). */
	KEY(struct cv_cluster_conf, "address_tag", address_tag, CV_T_UINT, .min = 4, .max = 255,
	    .def = "auto", .flags = CV_K_AUTO),
	KEY(struct cv_cluster_conf, "two_node_unsafe", two_node_unsafe, CV_T_BOOL, .def = "no", .flags = CV_K_DIGEST),
	KEY(struct cv_cluster_conf, "preempt_delay", preempt_delay_ms, CV_T_DURATION, .min = 0,
	    .max = MIN(60), .def = "0s", .flags = CV_K_DIGEST),
	/* Per node: how long a starting daemon waits for the other members'
	 * daemons before its first placement (engine-view.c; auto: token +
	 * consensus); it ends by agreement, so nodes may differ. */
	KEY(struct cv_cluster_conf, "startup_wait", startup_wait_ms, CV_T_DURATION, .min = 0,
	    .max = MIN(10), .def = "auto", .flags = CV_K_AUTO),
	/* Per node: a local account. */
	KEY(struct cv_cluster_conf, "script_user", script_user, CV_T_NAME, .max = 32, .def = "nobody"),
	/* Per node: the hooks run here (agent/hooks.c). */
	KEY(struct cv_cluster_conf, "notify", notify, CV_T_COMMAND, .max = 1024),
	/* this node's Prometheus listener (issue 17): off unless set */
	KEY(struct cv_cluster_conf, "metrics_listen", metrics_listen, CV_T_ENDPOINT, .max = 64),
	KEY(struct cv_cluster_conf, "notify_timeout", notify_timeout_ms, CV_T_DURATION, .min = MS(100),
	    .max = MIN(10), .def = "10s"),
	/* Per node: what reaches syslog (corovipd --debug: everything) */
	KEY(struct cv_cluster_conf, "log_level", log_level, CV_T_ENUM, .def = "info",
	    .choices = log_level_names),
};

static const struct cv_conf_key node_keys[] = {
	KEY(struct cv_node_conf, "nodeid", nodeid, CV_T_UINT, .min = 1, .max = UINT32_MAX - 1,
	    .def = "auto", .flags = CV_K_AUTO | CV_K_DIGEST),
	KEY(struct cv_node_conf, "weight", weight, CV_T_UINT, .min = 1, .max = 10000, .def = "100",
	    .flags = CV_K_DIGEST),
	KEY(struct cv_node_conf, "standby", standby, CV_T_BOOL, .def = "no", .flags = CV_K_DIGEST),
};

static const struct cv_conf_key check_keys[] = {
	KEY(struct cv_check_conf, "http", http, CV_T_URL, .max = 1024),
	KEY(struct cv_check_conf, "exec", exec, CV_T_COMMAND, .max = 1024),
	KEY(struct cv_check_conf, "tcp", tcp, CV_T_ENDPOINT, .max = 64),
	KEY(struct cv_check_conf, "link", link, CV_T_IFNAME, .max = CV_IFNAME_MAX),
	KEY(struct cv_check_conf, "shell", shell, CV_T_BOOL, .def = "no"),
	/* http's: per node like the URL (what a node's own service answers) */
	KEY(struct cv_check_conf, "http_status", http_status, CV_T_RANGE, .min = 100, .max = 599,
	    .def = "200-299"),
	KEY(struct cv_check_conf, "http_body", http_body, CV_T_TEXT, .max = 256),
	KEY(struct cv_check_conf, "tls_verify", tls_verify, CV_T_BOOL, .def = "yes"),
	KEY(struct cv_check_conf, "interval", interval_ms, CV_T_DURATION, .min = MS(100), .max = MIN(60),
	    .def = "1s", .flags = CV_K_DIGEST),
	KEY(struct cv_check_conf, "timeout", timeout_ms, CV_T_DURATION, .min = MS(10), .max = MIN(60),
	    .def = "500ms", .flags = CV_K_DIGEST),
	KEY(struct cv_check_conf, "rise", rise, CV_T_UINT, .min = 1, .max = 100, .def = "2",
	    .flags = CV_K_DIGEST),
	KEY(struct cv_check_conf, "fall", fall, CV_T_UINT, .min = 1, .max = 100, .def = "3",
	    .flags = CV_K_DIGEST),
	KEY(struct cv_check_conf, "hold_down", hold_down_ms, CV_T_DURATION, .min = 0, .max = MIN(60),
	    .def = "5s", .flags = CV_K_DIGEST),
};

static const struct cv_conf_key vip_keys[] = {
	KEY(struct cv_vip_conf, "address", addrs, CV_T_ADDRS,
	    .flags = CV_K_REQUIRED | CV_K_DIGEST | CV_K_REPEAT),
	KEY(struct cv_vip_conf, "interface", interface, CV_T_IFNAME, .max = CV_IFNAME_MAX),
	KEY(struct cv_vip_conf, "backend", backend, CV_T_ENUM, .def = "l2", .choices = backend_names,
	    .flags = CV_K_DIGEST),
	KEY(struct cv_vip_conf, "prefer", prefer, CV_T_NAME_LIST, .max = CV_NAME_MAX, .flags = CV_K_DIGEST),
	KEY(struct cv_vip_conf, "stickiness", stickiness, CV_T_BOOL, .def = "yes", .flags = CV_K_DIGEST),
	KEY(struct cv_vip_conf, "preempt", preempt, CV_T_BOOL, .def = "no", .flags = CV_K_DIGEST),
	KEY(struct cv_vip_conf, "check", check, CV_T_NAME_LIST, .max = CV_NAME_MAX, .flags = CV_K_DIGEST),
	KEY(struct cv_vip_conf, "fallback_check", fallback_check, CV_T_NAME_LIST, .max = CV_NAME_MAX,
	    .flags = CV_K_DIGEST | CV_K_OMIT_DEFAULT),
	KEY(struct cv_vip_conf, "exclusive", exclusive, CV_T_BOOL, .def = "no",
	    .flags = CV_K_DIGEST | CV_K_OMIT_DEFAULT),
	KEY(struct cv_vip_conf, "announce_count", announce_count, CV_T_UINT, .min = 0, .max = 100, .def = "5"),
	KEY(struct cv_vip_conf, "announce_interval", announce_interval_ms, CV_T_DURATION, .min = MS(10),
	    .max = SEC(10), .def = "200ms"),
	KEY(struct cv_vip_conf, "announce_refresh", announce_refresh_ms, CV_T_DURATION, .min = 0, .max = MIN(60),
	    .def = "0s"),
	KEY(struct cv_vip_conf, "garp", garp, CV_T_ENUM, .def = "request", .choices = garp_names),
	KEY(struct cv_vip_conf, "nodad", nodad, CV_T_BOOL, .def = "yes"),
	KEY(struct cv_vip_conf, "deprecated", deprecated, CV_T_BOOL, .def = "no"),
	/* Per node: run on this node's transitions of the VIP (agent/hooks.c). */
	KEY(struct cv_vip_conf, "notify", notify, CV_T_COMMAND, .max = 1024),
	/* backend openstack: the cloud section and the floating IP must be the
	 * same everywhere; the port is this node's own (and its fixed IP) */
	KEY(struct cv_vip_conf, "cloud", cloud, CV_T_NAME, .max = CV_NAME_MAX, .flags = CV_K_DIGEST),
	KEY(struct cv_vip_conf, "mode", mode, CV_T_ENUM, .def = "floating_ip", .choices = cloud_mode_names,
	    .flags = CV_K_DIGEST | CV_K_OMIT_DEFAULT),
	KEY(struct cv_vip_conf, "floating_ip", floating_ip, CV_T_ID, .max = 64, .flags = CV_K_DIGEST),
	KEY(struct cv_vip_conf, "port", port, CV_T_ID, .max = 64),
	KEY(struct cv_vip_conf, "fixed_ip", fixed_ip, CV_T_TEXT, .max = 45),
	KEY(struct cv_vip_conf, "vip_port", vip_port, CV_T_ID, .max = 64, .flags = CV_K_DIGEST),
	/* backend aws: the allocation and the table the same everywhere; the ENI this node's */
	KEY(struct cv_vip_conf, "allocation_id", allocation_id, CV_T_ID, .max = 64, .flags = CV_K_DIGEST),
	KEY(struct cv_vip_conf, "eni", eni, CV_T_ID, .max = 64),
	KEY(struct cv_vip_conf, "route_table", route_table, CV_T_ID, .max = 64, .flags = CV_K_DIGEST),
};

/* Per node, all of it: how this node reaches the cloud's API. */
static const struct cv_conf_key cloud_keys[] = {
	KEY(struct cv_cloud_conf, "type", type, CV_T_ENUM, .def = "openstack", .choices = cloud_type_names,
	    .flags = CV_K_OMIT_DEFAULT),
	KEY(struct cv_cloud_conf, "clouds_yaml", clouds_yaml, CV_T_PATH, .max = 1024),
	KEY(struct cv_cloud_conf, "cloud", cloud, CV_T_TEXT, .max = 255),
	KEY(struct cv_cloud_conf, "secrets_file", secrets_file, CV_T_PATH, .max = 1024),
	KEY(struct cv_cloud_conf, "region", region, CV_T_TEXT, .max = 255),
	KEY(struct cv_cloud_conf, "interface", interface, CV_T_ENUM, .def = "public",
	    .choices = interface_names),
	KEY(struct cv_cloud_conf, "ca_file", ca_file, CV_T_PATH, .max = 1024),
	KEY(struct cv_cloud_conf, "tls_verify", tls_verify, CV_T_BOOL, .def = "yes"),
	KEY(struct cv_cloud_conf, "proxy", proxy, CV_T_URL, .max = 1024),
	KEY(struct cv_cloud_conf, "neutron_url", neutron_url, CV_T_URL, .max = 1024),
	KEY(struct cv_cloud_conf, "call_timeout", call_timeout_ms, CV_T_DURATION, .min = MS(100),
	    .max = MIN(1), .def = "5s"),
	KEY(struct cv_cloud_conf, "op_timeout", op_timeout_ms, CV_T_DURATION, .min = MS(100),
	    .max = MIN(10), .def = "15s"),
	/* type aws */
	KEY(struct cv_cloud_conf, "endpoint", endpoint, CV_T_URL, .max = 1024),
	KEY(struct cv_cloud_conf, "credentials_file", credentials_file, CV_T_PATH, .max = 1024),
	KEY(struct cv_cloud_conf, "profile", profile, CV_T_TEXT, .max = 128),
	KEY(struct cv_cloud_conf, "imds", imds, CV_T_URL, .max = 1024),
};

#define SECTION(k, n, is_named, st, field, cnt, maxc, keys_)                                     \
	[k] = { .name = n,                                                                         \
		.kind = k,                                                                         \
		.named = is_named,                                                                 \
		.size = sizeof(st),                                                                \
		.array_offset = offsetof(struct cv_config, field),                                \
		.count_offset = cnt,                                                               \
		.max_count = maxc,                                                                 \
		.keys = keys_,                                                                     \
		.n_keys = ELEMENTSOF(keys_) }

const struct cv_conf_section cv_conf_sections[_CV_CONF_SECTION_MAX] = {
	SECTION(CV_CONF_CLUSTER, "cluster", false, struct cv_cluster_conf, cluster, 0, 1,
		cluster_keys),
	SECTION(CV_CONF_NODE, "node", true, struct cv_node_conf, nodes,
		offsetof(struct cv_config, n_nodes), CV_MAX_NODES, node_keys),
	SECTION(CV_CONF_CHECK, "check", true, struct cv_check_conf, checks,
		offsetof(struct cv_config, n_checks), CV_MAX_CHECKS, check_keys),
	SECTION(CV_CONF_VIP, "vip", true, struct cv_vip_conf, vips,
		offsetof(struct cv_config, n_vips), CV_MAX_VIPS, vip_keys),
	SECTION(CV_CONF_CLOUD, "cloud", true, struct cv_cloud_conf, clouds,
		offsetof(struct cv_config, n_clouds), CV_MAX_CLOUDS, cloud_keys),
};

/* changed_keys in a diff is a 32-bit mask over key indices. */
_Static_assert(ELEMENTSOF(vip_keys) <= 32, "too many vip keys for a 32-bit mask");
_Static_assert(sizeof(enum cv_backend_kind) == sizeof(int) && sizeof(enum cv_garp) == sizeof(int) &&
		       sizeof(enum cv_cloud_mode) == sizeof(int) &&
		       sizeof(enum cv_cloud_interface) == sizeof(int),
	       "CV_T_ENUM fields are int-sized");

const struct cv_conf_section *
cv_conf_section_by_name(const char *name)
{
	for (size_t i = 0; i < ELEMENTSOF(cv_conf_sections); i++)
		if (strcmp(cv_conf_sections[i].name, name) == 0)
			return &cv_conf_sections[i];
	return NULL;
}

const struct cv_conf_key *
cv_conf_key_by_name(const struct cv_conf_section *s, const char *name)
{
	for (size_t i = 0; i < s->n_keys; i++)
		if (strcmp(s->keys[i].name, name) == 0)
			return &s->keys[i];
	return NULL;
}

size_t
cv_conf_count(const struct cv_config *c, const struct cv_conf_section *s)
{
	if (!s->named)
		return 1;
	return *(const size_t *)((const char *)c + s->count_offset);
}

void *
cv_conf_instance(const struct cv_config *c, const struct cv_conf_section *s, size_t i)
{
	char *base = (char *)c + s->array_offset;

	if (!s->named)
		return base;
	return *(char **)base + i * s->size;
}

int
cv_config_key_index(enum cv_conf_section_kind kind, const char *key)
{
	const struct cv_conf_section *s;
	const struct cv_conf_key *k;

	if ((unsigned)kind >= _CV_CONF_SECTION_MAX)
		return -EINVAL;
	s = &cv_conf_sections[kind];
	k = cv_conf_key_by_name(s, key);
	return k ? (int)(k - s->keys) : -ENOENT;
}

const char *
cv_config_key_name(enum cv_conf_section_kind kind, unsigned i)
{
	if ((unsigned)kind >= _CV_CONF_SECTION_MAX || i >= cv_conf_sections[kind].n_keys)
		return NULL;
	return cv_conf_sections[kind].keys[i].name;
}

const char *
cv_conf_section_kind_to_string(enum cv_conf_section_kind k)
{
	if ((unsigned)k >= _CV_CONF_SECTION_MAX)
		return NULL;
	return cv_conf_sections[k].name;
}

static const char *
choice(const char *const *names, size_t n, int v)
{
	return v >= 0 && (size_t)v < n ? names[v] : NULL;
}

static int
choice_index(const char *const *names, const char *s)
{
	for (int i = 0; names[i]; i++)
		if (strcmp(names[i], s) == 0)
			return i;
	return -EINVAL;
}

const char *
cv_backend_to_string(enum cv_backend_kind b)
{
	return choice(backend_names, _CV_BACKEND_MAX, b);
}

enum cv_backend_kind
cv_backend_from_string(const char *s)
{
	return choice_index(backend_names, s);
}

const char *
cv_garp_to_string(enum cv_garp g)
{
	return choice(garp_names, _CV_GARP_MAX, g);
}

enum cv_garp
cv_garp_from_string(const char *s)
{
	return choice_index(garp_names, s);
}

const char *
cv_cloud_mode_to_string(enum cv_cloud_mode m)
{
	return choice(cloud_mode_names, _CV_CLOUD_MODE_MAX, m);
}

const char *
cv_cloud_interface_to_string(enum cv_cloud_interface i)
{
	return choice(interface_names, _CV_CLOUD_INTERFACE_MAX, i);
}
