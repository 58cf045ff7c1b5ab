/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The configuration model of corovip.conf, its parser, validation, the
 * effective (canonical) form, the cluster-wide digest and the diff of two
 * configurations for reload.
 *
 * The file is corosync.conf's syntax: "key: value" lines, brace sections,
 * named sections ("vip web {"), '#' comments, durations with a unit. Every key
 * is described once in config-schema.c (type, default, range); the model
 * below is what that table fills in.
 */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

#define CV_NAME_MAX 63	     /* VIP, node and check names */
#define CV_GROUP_MAX 127     /* CPG group names (corosync: 128 with NUL) */
#define CV_IFNAME_MAX 15     /* IFNAMSIZ - 1 */
#define CV_LIST_MAX 16	     /* names in one list (prefer, check) */
#define CV_MAX_NODES 64	     /* node sections */
#define CV_MAX_CHECKS 1024   /* check sections */
#define CV_MAX_VIPS 65536    /* vip sections */
#define CV_MAX_CLOUDS 64     /* cloud sections */
/* Bytes of text: CV_MAX_VIPS sections of 256 bytes; a bigger file is a mistake. */
#define CV_CONFIG_MAX_SIZE (16u << 20)

/* "auto" for durations and numbers that may be derived at run time. */
#define CV_AUTO UINT32_MAX

enum cv_backend_kind {
	CV_BACKEND_L2,
	CV_BACKEND_OPENSTACK,
	CV_BACKEND_AWS,
	_CV_BACKEND_MAX,
	_CV_BACKEND_INVALID = -EINVAL,
};

/* Which form of gratuitous ARP to send (arping -U is a request, -A a reply). */
enum cv_garp {
	CV_GARP_REQUEST,
	CV_GARP_REPLY,
	CV_GARP_BOTH,
	_CV_GARP_MAX,
	_CV_GARP_INVALID = -EINVAL,
};

/*
 * How backend openstack moves a VIP (corovip.conf(5)): Neutron re-associates
 * a floating IP; or the address is ours on an interface (L2: netlink, GARP)
 * and Neutron's port security must let it through: the taker adds it to
 * its port's allowed address pairs first (address_pairs), or every member's
 * port has it already and failover is pure L2 (vip_port).
 */
enum cv_cloud_mode {
	CV_CLOUD_FLOATING_IP,
	CV_CLOUD_ADDRESS_PAIRS,
	CV_CLOUD_VIP_PORT,
	/* backend aws (issue 18, cloud/aws-move.h): an Elastic IP associated
	 * with our ENI; a secondary private IP; a route table's /32 to our ENI */
	CV_CLOUD_ELASTIC_IP,
	CV_CLOUD_SECONDARY_IP,
	CV_CLOUD_ROUTE,
	_CV_CLOUD_MODE_MAX,
	_CV_CLOUD_MODE_INVALID = -EINVAL,
};

struct cv_name_list {
	char **names; /* owned */
	size_t n;
};

/* Common head of every section instance; first member of each. */
struct cv_conf_head {
	char *name;	   /* owned; NULL for the unnamed cluster section */
	uint32_t line;	   /* of the section header; 0 = not in the file (defaults) */
	uint32_t col;
	size_t pos_base;   /* index of this instance's key positions in cv_config.pos */
};

/* cluster.log_level; syslog's level is LOG_ERR + the value */
enum cv_log_level { CV_LOG_ERROR, CV_LOG_WARNING, CV_LOG_NOTICE, CV_LOG_INFO, CV_LOG_DEBUG };

struct cv_cluster_conf {
	struct cv_conf_head head;
	char *group;		 /* CPG group */
	uint32_t heartbeat_ms;	 /* H */
	uint32_t lease_ms;	 /* L, or CV_AUTO */
	uint32_t guard_ms;	 /* G, or CV_AUTO */
	uint32_t kernel_lease_ms; /* whole seconds */
	uint32_t reaper_timeout_ms; /* or CV_AUTO: see cv_config_reaper_timeout_ms() */
	uint32_t address_tag;	 /* IFA_PROTO of our addresses, or CV_AUTO: cv_config_address_tag() */
	bool two_node_unsafe;
	uint32_t preempt_delay_ms; /* a node back in the view takes no preferred VIP from its holder before */
	uint32_t startup_wait_ms; /* first placement: waits for the members' daemons, or CV_AUTO */
	char *script_user;	 /* whom exec checks and notify hooks run as */
	char *metrics_listen;	 /* "ADDR:PORT" of the Prometheus listener, or NULL: off */
	int log_level;		 /* enum cv_log_level: what reaches syslog and stderr */
	char *notify;		 /* cluster-wide hook: command line, or NULL */
	uint32_t notify_timeout_ms; /* a hook still running then is killed */
};

struct cv_node_conf {
	struct cv_conf_head head;
	uint32_t nodeid; /* corosync node id, or CV_AUTO: from corosync's nodelist by name */
	uint32_t weight;
	bool standby;
};

/* An inclusive range of numbers: "200-299", or "200" for one. */
struct cv_range {
	uint32_t lo, hi;
};

struct cv_check_conf {
	struct cv_conf_head head;
	/* exactly one of these four is set: the kind of the check */
	char *http; /* URL, or NULL */
	char *exec; /* command line, or NULL */
	char *tcp;  /* ADDRESS:PORT to connect to, or NULL */
	char *link; /* interface whose carrier counts, or NULL */
	bool shell; /* exec through /bin/sh -c */
	struct cv_range http_status; /* http: the statuses that pass */
	char *http_body;	     /* http: text the body must contain, or NULL */
	bool tls_verify;	     /* https: verify the server's certificate and name */
	uint32_t interval_ms;
	uint32_t timeout_ms;
	uint32_t rise;
	uint32_t fall;
	uint32_t hold_down_ms; /* no second change reported within this of the last */
};

/* Whose API a cloud section reaches. */
enum cv_cloud_type {
	CV_CLOUD_OPENSTACK,
	CV_CLOUD_AWS,
	_CV_CLOUD_TYPE_MAX,
	_CV_CLOUD_TYPE_INVALID = -EINVAL,
};

/* Which of a cloud's endpoints the node uses (openstacksdk's interface). */
enum cv_cloud_interface {
	CV_CLOUD_PUBLIC,
	CV_CLOUD_INTERNAL,
	CV_CLOUD_ADMIN,
	_CV_CLOUD_INTERFACE_MAX,
	_CV_CLOUD_INTERFACE_INVALID = -EINVAL,
};

/*
 * How this node reaches a cloud's API (issue 14): where its credentials
 * are and how to call it. Per node (nothing of it is in a digest): each
 * node has its own credentials, proxy and CA; the VIPs name the section.
 */
struct cv_cloud_conf {
	struct cv_conf_head head;
	enum cv_cloud_type type;
	char *clouds_yaml;  /* a clouds.yaml file, or NULL: the search path */
	char *cloud;	    /* its entry, or NULL: the section's name */
	char *secrets_file; /* KEY=VALUE secrets (os-auth.h), or NULL */
	char *region;	    /* overrides clouds.yaml's, or NULL */
	enum cv_cloud_interface interface;
	char *ca_file;	   /* a CA bundle, or NULL: clouds.yaml's cacert, else the system's */
	bool tls_verify;   /* no: clouds.yaml's insecure: true, for this node */
	char *proxy;	   /* a proxy URL, or NULL: the proxy variables as libcurl reads them */
	char *neutron_url; /* overrides the catalog's network endpoint, or NULL */
	uint32_t call_timeout_ms; /* one HTTP call */
	uint32_t op_timeout_ms;	  /* one operation, its retries included */
	/* type aws (cloud/aws-client.h): the EC2 endpoint (NULL: the region's),
	 * a shared credentials file and its profile, IMDSv2's base URL (NULL:
	 * none: keys from the file or the environment) */
	char *endpoint;
	char *credentials_file;
	char *profile;
	char *imds;
};

/* The entry of clouds.yaml that cloud section c names: its "cloud", else its name. */
static inline const char *
cv_cloud_entry(const struct cv_cloud_conf *c)
{
	return c->cloud ? c->cloud : c->head.name;
}

/* Most addresses of one VIP (a group moving as one: issue 13). */
#define CV_VIP_ADDRS_MAX 8

/* One "address:" line of a VIP: ADDR[/PREFIX] [dev IFNAME]. */
struct cv_vip_addr {
	struct cv_addr addr;
	char dev[CV_IFNAME_MAX + 1]; /* its own interface, or "" for the VIP's */
	uint32_t line, col;	     /* where in the file (0: not from a file) */
	uint32_t key;		     /* its address key, set once parsed (0: not yet) */
};

/* A VIP's addresses, in file order: one placement, epoch and batch. */
struct cv_vip_addrs {
	struct cv_vip_addr v[CV_VIP_ADDRS_MAX];
	size_t n; /* >= 1 once parsed */
};

struct cv_vip_conf {
	struct cv_conf_head head;
	struct cv_vip_addrs addrs;
	char *interface; /* NULL for cloud backends without one */
	enum cv_backend_kind backend;
	struct cv_name_list prefer;
	bool stickiness;
	bool preempt;
	struct cv_name_list check;
	/* issue 16: with no candidate that passes check, those that pass these
	 * are its candidates; exclusive: more than one passing check, none */
	struct cv_name_list fallback_check;
	bool exclusive;
	uint32_t announce_count;
	uint32_t announce_interval_ms;
	uint32_t announce_refresh_ms;
	enum cv_garp garp;
	bool nodad;
	bool deprecated;
	char *notify; /* hook run on each of our transitions: command line, or NULL */
	/* backend openstack: the cloud section, the mode, the floating IP (its
	 * Neutron id) and this node's port (and fixed IP of it, NULL: its
	 * first); mode vip_port: the port that reserves the address */
	char *cloud;
	enum cv_cloud_mode mode;
	char *floating_ip;
	char *port;
	char *fixed_ip;
	char *vip_port;
	/* backend aws: the Elastic IP's allocation (elastic_ip), this node's ENI,
	 * the route table (route); fixed_ip: which address of the ENI */
	char *allocation_id;
	char *eni;
	char *route_table;
	/* Not from the file: the cloud section named (openstack; NULL
	 * otherwise, and in an orphan: see engine-orphan.c). Points into the
	 * same config. */
	const struct cv_cloud_conf *cloud_conf;

	/* Not from the file: a VIP of several addresses (or one on a "dev" of
	 * its own) has a member per address, a copy of it with that address
	 * alone and its interface (cv_vip_conf_members): a backend works per
	 * member and reports the VIP once all are done. */
	struct cv_vip_conf *members;
	size_t n_members;
	const struct cv_vip_conf *group; /* a member: its VIP; NULL: a VIP */
};

/* The same addresses, in the same order, each with the same "dev". */
bool cv_vip_addrs_equal(const struct cv_vip_addrs *a, const struct cv_vip_addrs *b);

/* The first address: what one-line messages name. */
static inline const struct cv_addr *
cv_vip_first_addr(const struct cv_vip_conf *v)
{
	return &v->addrs.v[0].addr;
}

/* The interface of address k: its own "dev", or the VIP's (NULL: none). */
static inline const char *
cv_vip_addr_ifname(const struct cv_vip_conf *v, size_t k)
{
	return v->addrs.v[k].dev[0] ? v->addrs.v[k].dev : v->interface;
}

/*
 * What a backend works on for v: its members, or v itself when it has one
 * address on its own interface (*ret points at n confs; returns n).
 */
size_t cv_vip_conf_members(const struct cv_vip_conf *v, const struct cv_vip_conf **ret);
/* Build v's members (none when one address on its interface): 0 or -ENOMEM. */
int cv_vip_conf_make_members(struct cv_vip_conf *v);
void cv_vip_conf_free_members(struct cv_vip_conf *v);
/* v's addresses, "ADDR/PREFIX[ dev IF]" joined by ", ", into buf (cut to fit). */
const char *cv_vip_format_addrs(const struct cv_vip_conf *v, char *buf, size_t len);

/* Where a key was set in the file; line 0 = not set (default). */
struct cv_conf_pos {
	uint32_t line;
	uint32_t col;
};

/* One address in c->by_host. */
struct cv_host_entry {
	struct cv_addr host; /* prefix length 0 */
	uint32_t vip;
	uint32_t k; /* which of its addresses */
};

struct cv_config {
	struct cv_cluster_conf cluster;
	struct cv_node_conf *nodes;
	size_t n_nodes;
	struct cv_check_conf *checks;
	size_t n_checks;
	struct cv_vip_conf *vips;
	size_t n_vips;
	struct cv_cloud_conf *clouds;
	size_t n_clouds;
	struct cv_host_entry *by_host; /* every VIP address by host: cv_config_find_vip_by_host */
	size_t n_by_host;

	/* Key positions for error messages, per instance (see cv_conf_head.pos_base). */
	struct cv_conf_pos *pos;
	size_t n_pos;
};

/* The first error found: the caller prints "FILE:line:col: key: msg". */
struct cv_conf_error {
	uint32_t line;
	uint32_t col;
	char key[CV_GROUP_MAX + 1];
	char msg[384];
};

/*
 * Parse and validate text (len bytes, need not be NUL-terminated). On success
 * *ret is a new config (caller frees with cv_config_free()) with every default
 * filled in. On failure returns -EINVAL (bad config: reterr says what and
 * where), -EFBIG (text too large) or -ENOMEM; *ret is untouched.
 */
int cv_config_parse(const char *text, size_t len, struct cv_config **ret,
		    struct cv_conf_error *reterr);

/* A config with every default and no sections but cluster; caller frees. */
int cv_config_new_default(struct cv_config **ret);

/* Accepts NULL; returns NULL. */
struct cv_config *cv_config_free(struct cv_config *c);

/* Free the key positions (only error messages need them). */
void cv_config_forget_positions(struct cv_config *c);

/*
 * The effective configuration: canonical corovip.conf text with every default
 * filled in, which parses back to the same model. Caller frees *ret.
 */
int cv_config_format(const struct cv_config *c, char **ret);

/*
 * A 64-bit digest of what must agree cluster-wide about the cluster itself
 * (cluster timers, node sections), not per-node values such as interface
 * names. Independent of section order. Each VIP has its own digest below.
 */
uint64_t cv_config_digest(const struct cv_config *c);

/*
 * A 32-bit digest of VIP i's cluster-wide keys and of the checks it names;
 * never 0. Peers place a VIP only among the nodes that share its digest.
 */
uint32_t cv_config_vip_digest(const struct cv_config *c, size_t i);
/*
 * What a VIP's addresses are, whatever its name: each host address hashed
 * (never 0; not the prefix, interface or backend: the same host address
 * anywhere conflicts), one key per address into keys (room for
 * CV_VIP_ADDRS_MAX); returns how many. STATE claims carry them, so that a
 * member claiming a VIP under a name we define otherwise blocks only the
 * VIPs of ours with one of those addresses (engine-msg.c commit_state).
 */
size_t cv_config_vip_addr_keys(const struct cv_vip_conf *v, uint32_t *keys);

/*
 * How long the reaper waits for the daemon's loop to beat (every heartbeat)
 * before it kills it: reaper_timeout, or 4 heartbeats when auto.
 */
uint32_t cv_config_reaper_timeout_ms(const struct cv_config *c);

/*
 * Who owns an address is what the kernel keeps in its IFA_PROTO byte: each
 * owner of corovip addresses on a host has its own value, and every sweep
 * removes only addresses with its own (and only on interfaces its configs
 * name), never another's. corovipd's is address_tag, or when auto
 * CV_TAG_DAEMON for the default group and one of 0x80..0xfe derived from any
 * other group's name (two corovipd on one host, one per group, keep apart
 * without a setting; set address_tag if two group names map to the same
 * value: corovipd logs its tag at start). corovip-l2 and the OCF agent have
 * their own fixed tags, which address_tag may not take. 0..3 are the kernel's.
 */
#define CV_TAG_DAEMON 0x63 /* 'c' */
#define CV_TAG_L2     0x6c /* 'l': corovip-l2 */
#define CV_TAG_OCF    0x6f /* 'o': the OCF agent */
uint8_t cv_config_address_tag(const struct cv_config *c);

/* Lookups by name; NULL when absent. */
const struct cv_vip_conf *cv_config_find_vip(const struct cv_config *c, const char *name);

/*
 * The VIP with an address of a's host part (any prefix length; no two
 * addresses share one), or NULL; *ret_k (may be NULL): which of its
 * addresses. A binary search, for the daemon's per-address paths at 10,000
 * VIPs (monitor events, reconcile, conflicts).
 */
const struct cv_vip_conf *cv_config_find_vip_by_host(const struct cv_config *c,
						      const struct cv_addr *a, size_t *ret_k);
const struct cv_node_conf *cv_config_find_node(const struct cv_config *c, const char *name);
const struct cv_check_conf *cv_config_find_check(const struct cv_config *c, const char *name);
const struct cv_cloud_conf *cv_config_find_cloud(const struct cv_config *c, const char *name);
/* A check's kind ("http", "exec", "tcp", "link": the one key of those set) and its value. */
const char *cv_check_kind(const struct cv_check_conf *k);
const char *cv_check_target(const struct cv_check_conf *k);
/* The same name and every key equal (the schema's own comparison): the same check. */
bool cv_check_same(const struct cv_check_conf *a, const struct cv_check_conf *b);

const char *cv_backend_to_string(enum cv_backend_kind b);
enum cv_backend_kind cv_backend_from_string(const char *s); /* _CV_BACKEND_INVALID if unknown */
const char *cv_garp_to_string(enum cv_garp g);
const char *cv_cloud_mode_to_string(enum cv_cloud_mode m);
/* What moves v: its backend, or L2 for the cloud modes where the address is
 * ours on an interface (openstack's pair modes, aws's secondary_ip and
 * route: the cloud only lets it or routes it to us). */
enum cv_backend_kind cv_vip_mover(const struct cv_vip_conf *v);
enum cv_garp cv_garp_from_string(const char *s);
const char *cv_cloud_interface_to_string(enum cv_cloud_interface i);

/* ---- diff for reload ---- */

enum cv_conf_section_kind {
	CV_CONF_CLUSTER,
	CV_CONF_NODE,
	CV_CONF_CHECK,
	CV_CONF_VIP,
	CV_CONF_CLOUD, /* last: the kinds before it keep their numbers */
	_CV_CONF_SECTION_MAX,
	_CV_CONF_SECTION_INVALID = -EINVAL,
};

enum cv_conf_change_op {
	CV_CONF_ADDED,
	CV_CONF_REMOVED,
	CV_CONF_CHANGED,
};

struct cv_conf_change {
	enum cv_conf_section_kind kind;
	enum cv_conf_change_op op;
	const char *name;	/* borrowed from the old (REMOVED) or new config; NULL for cluster */
	uint32_t changed_keys;	/* CHANGED: bit i = key i of the section's schema */
};

struct cv_config_diff {
	struct cv_conf_change *changes; /* owned; cluster first, then nodes, checks, vips, clouds */
	size_t n_changes;
};

/*
 * What changed from old to new, matched by section name. Borrows both
 * configs: they must outlive the diff. Free with cv_config_diff_done().
 */
int cv_config_diff(const struct cv_config *old, const struct cv_config *new,
		   struct cv_config_diff *ret);
void cv_config_diff_done(struct cv_config_diff *d);

/* Key index of a section's key, for testing changed_keys; -ENOENT if unknown. */
int cv_config_key_index(enum cv_conf_section_kind kind, const char *key);
/* Key name of index i; NULL if out of range. */
const char *cv_config_key_name(enum cv_conf_section_kind kind, unsigned i);
const char *cv_conf_section_kind_to_string(enum cv_conf_section_kind k);
