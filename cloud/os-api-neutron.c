/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Neutron's answers and bodies (os-api.h, cloud-api-brief.md §1.4): floating
 * IPs and ports read with every field checked, ids restricted to what can
 * go into a URL path, addresses that must parse as addresses, the error text
 * of Neutron, Keystone or an HTML proxy page, and the PUT bodies.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "os-api.h"
#include "os-int.h"

#define OPT_NULL (CV_JSON_OPTIONAL | CV_JSON_NULLABLE)


static bool
ip_ok(const char *s)
{
	unsigned char buf[16];

	return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

/* An allowed address pair's ip_address, an address or one with a /prefix:
 * its family, bytes and prefix (a bare address: the full length). */
static bool
parse_cidr(const char *s, int *ret_family, unsigned char ret_bytes[16], int *ret_prefix)
{
	const char *slash = strchr(s, '/');
	char ip[48];
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	int family = strchr(s, ':') ? AF_INET6 : AF_INET, max = family == AF_INET6 ? 128 : 32;
	int prefix = 0;

	if (n >= sizeof(ip))
		return false;
	memcpy(ip, s, n);
	ip[n] = '\0';
	memset(ret_bytes, 0, 16);
	if (inet_pton(family, ip, ret_bytes) != 1)
		return false;
	*ret_family = family;
	*ret_prefix = max;
	if (!slash)
		return true;
	if (!slash[1] || strlen(slash + 1) > 3)
		return false;
	for (const char *d = slash + 1; *d; d++) {
		if (!isdigit((unsigned char)*d))
			return false;
		prefix = prefix * 10 + (*d - '0');
	}
	*ret_prefix = prefix;
	return prefix <= max;
}

static bool
cidr_ok(const char *s)
{
	unsigned char bytes[16];
	int family, prefix;

	return parse_cidr(s, &family, bytes, &prefix);
}

/* "fa:16:3e:12:34:56" */
static bool
mac_ok(const char *s)
{
	if (strlen(s) != 17)
		return false;
	for (int i = 0; i < 17; i++)
		if (i % 3 == 2 ? s[i] != ':' : !isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

static int
bad(char *err, size_t errlen, const char *path, const char *key, const char *what)
{
	cv_os_errf(err, errlen, "%s.%s: %s", path, key, what);
	return -EBADMSG;
}

/* A string field checked by ok (when set and non-empty). */
static int
get_checked(struct json_object *o, const char *path, const char *key, unsigned flags, char *buf,
	    size_t size, bool (*ok)(const char *), const char *what, char *err, size_t errlen)
{
	int r = cv_json_get_string(o, path, key, flags, buf, size, err, errlen);

	if (r < 0)
		return r;
	if (*buf && !ok(buf))
		return bad(err, errlen, path, key, what);
	if (!*buf && !(flags & CV_JSON_NULLABLE))
		return bad(err, errlen, path, key, "empty");
	return 0;
}

static int
fip_fields(struct json_object *o, const char *path, struct cv_os_fip *f, char *err, size_t errlen)
{
	int r =
	    get_checked(o, path, "id", 0, f->id, sizeof(f->id), cv_os_id_ok, "not an id", err, errlen);

	if (r >= 0)
		r = get_checked(o, path, "floating_ip_address", 0, f->address, sizeof(f->address),
				ip_ok, "not an IP address", err, errlen);
	if (r >= 0)
		r = get_checked(o, path, "port_id", OPT_NULL, f->port_id, sizeof(f->port_id), cv_os_id_ok,
				"not an id", err, errlen);
	if (r >= 0)
		r = get_checked(o, path, "fixed_ip_address", OPT_NULL, f->fixed_ip,
				sizeof(f->fixed_ip), ip_ok, "not an IP address", err, errlen);
	if (r >= 0)
		r = cv_json_get_u64(o, path, "revision_number", CV_JSON_OPTIONAL, &f->revision, err,
				    errlen);
	if (r >= 0)
		r = cv_json_get_string(o, path, "description", OPT_NULL, f->description,
				       sizeof(f->description), err, errlen);
	return r;
}

int
cv_os_parse_fip(const char *body, size_t len, struct cv_os_fip *ret, char *err, size_t errlen)
{
	_cleanup_json_ struct json_object *root = NULL;
	struct json_object *o;
	struct cv_os_fip f = {};
	int r = cv_json_parse(body, len, &root, err, errlen);

	if (r >= 0)
		r = cv_json_get_object(root, "body", "floatingip", 0, &o, err, errlen);
	if (r >= 0)
		r = fip_fields(o, "floatingip", &f, err, errlen);
	if (r >= 0)
		*ret = f;
	return r;
}

/* Equal as addresses (IPv6 has many spellings), else as text. */
static bool
same_ip(const char *a, const char *b)
{
	unsigned char x[16], y[16];

	if (inet_pton(AF_INET, a, x) == 1 && inet_pton(AF_INET, b, y) == 1)
		return memcmp(x, y, 4) == 0;
	if (inet_pton(AF_INET6, a, x) == 1 && inet_pton(AF_INET6, b, y) == 1)
		return memcmp(x, y, 16) == 0;
	return strcmp(a, b) == 0;
}

static int
no_match(char *err, size_t errlen, const char *what, const char *ip, size_t n)
{
	if (n == 0)
		cv_os_errf(err, errlen, "no %s with address %.47s", what, ip);
	else
		cv_os_errf(err, errlen, "%zu %ss with address %.47s", n, what, ip);
	return n == 0 ? -ENOENT : -EEXIST;
}

int
cv_os_parse_fip_list(const char *body, size_t len, const char *address, struct cv_os_fip *ret,
		     char *err, size_t errlen)
{
	_cleanup_json_ struct json_object *root = NULL;
	struct json_object *list;
	struct cv_os_fip found = {};
	size_t n = 0;
	int r = cv_json_parse(body, len, &root, err, errlen);

	if (r >= 0)
		r = cv_json_get_array(root, "body", "floatingips", 0, &list, err, errlen);
	for (size_t i = 0; r >= 0 && i < json_object_array_length(list); i++) {
		struct cv_os_fip f = {};
		char path[48];

		snprintf(path, sizeof(path), "floatingips[%zu]", i);
		r = fip_fields(json_object_array_get_idx(list, i), path, &f, err, errlen);
		if (r >= 0 && same_ip(f.address, address) && n++ == 0)
			found = f;
	}
	if (r < 0)
		return r;
	if (n != 1)
		return no_match(err, errlen, "floating IP", address, n);
	*ret = found;
	return 0;
}

static int
port_pairs(struct json_object *o, const char *path, struct cv_os_port *p, char *err, size_t errlen)
{
	struct json_object *pairs;
	int r = cv_json_get_array(o, path, "allowed_address_pairs", OPT_NULL, &pairs, err, errlen);
	size_t n = pairs ? json_object_array_length(pairs) : 0;

	if (r < 0)
		return r;
	if (n > CV_OS_PAIRS_MAX)
		return bad(err, errlen, path, "allowed_address_pairs", "more than 64 pairs");
	for (size_t i = 0; r >= 0 && i < n; i++) {
		struct json_object *pair = json_object_array_get_idx(pairs, i);
		struct cv_os_pair *q = &p->pairs[i];
		char sub[80];

		snprintf(sub, sizeof(sub), "%s.allowed_address_pairs[%zu]", path, i);
		r = get_checked(pair, sub, "ip_address", 0, q->ip, sizeof(q->ip), cidr_ok,
				"not an address or a CIDR", err, errlen);
		if (r >= 0)
			r = get_checked(pair, sub, "mac_address", OPT_NULL, q->mac, sizeof(q->mac),
					mac_ok, "not a MAC address", err, errlen);
	}
	p->n_pairs = n;
	return r;
}

/* fixed_ips: the first into p->fixed_ip; *matches counts those equal to ip. */
static int
port_fixed_ips(struct json_object *o, const char *path, struct cv_os_port *p, const char *ip,
	       size_t *matches, char *err, size_t errlen)
{
	struct json_object *ips;
	int r = cv_json_get_array(o, path, "fixed_ips", OPT_NULL, &ips, err, errlen);

	for (size_t i = 0; r >= 0 && ips && i < json_object_array_length(ips); i++) {
		char sub[80], addr[48];

		snprintf(sub, sizeof(sub), "%s.fixed_ips[%zu]", path, i);
		r = get_checked(json_object_array_get_idx(ips, i), sub, "ip_address", 0, addr,
				sizeof(addr), ip_ok, "not an IP address", err, errlen);
		if (r >= 0 && i == 0)
			memcpy(p->fixed_ip, addr, sizeof(addr));
		if (r >= 0 && ip && same_ip(addr, ip))
			(*matches)++;
	}
	return r;
}

static int
port_fields(struct json_object *o, const char *path, struct cv_os_port *p, const char *ip,
	    size_t *matches, char *err, size_t errlen)
{
	int r =
	    get_checked(o, path, "id", 0, p->id, sizeof(p->id), cv_os_id_ok, "not an id", err, errlen);

	if (r >= 0)
		r = get_checked(o, path, "network_id", OPT_NULL, p->network_id,
				sizeof(p->network_id), cv_os_id_ok, "not an id", err, errlen);
	if (r >= 0)
		r = get_checked(o, path, "mac_address", 0, p->mac, sizeof(p->mac), mac_ok,
				"not a MAC address", err, errlen);
	if (r >= 0)
		r = port_fixed_ips(o, path, p, ip, matches, err, errlen);
	if (r >= 0)
		r = cv_json_get_u64(o, path, "revision_number", CV_JSON_OPTIONAL, &p->revision, err,
				    errlen);
	if (r >= 0)
		r = port_pairs(o, path, p, err, errlen);
	if (r >= 0)
		r = cv_json_get_string(o, path, "description", OPT_NULL, p->description,
				       sizeof(p->description), err, errlen);
	return r;
}

int
cv_os_parse_port(const char *body, size_t len, struct cv_os_port *ret, char *err, size_t errlen)
{
	_cleanup_json_ struct json_object *root = NULL;
	struct json_object *o;
	struct cv_os_port p = {};
	size_t matches = 0;
	int r = cv_json_parse(body, len, &root, err, errlen);

	if (r >= 0)
		r = cv_json_get_object(root, "body", "port", 0, &o, err, errlen);
	if (r >= 0)
		r = port_fields(o, "port", &p, NULL, &matches, err, errlen);
	if (r >= 0)
		*ret = p;
	return r;
}

int
cv_os_parse_port_list(const char *body, size_t len, const char *ip, struct cv_os_port *ret,
		      char *err, size_t errlen)
{
	_cleanup_json_ struct json_object *root = NULL;
	struct json_object *list;
	struct cv_os_port *p = calloc(1, sizeof(*p)); /* ~7 KiB each: off the stack */
	_cleanup_free_ struct cv_os_port *found = calloc(1, sizeof(*found));
	size_t n = 0;
	int r = p && found ? cv_json_parse(body, len, &root, err, errlen) : -ENOMEM;

	if (r >= 0)
		r = cv_json_get_array(root, "body", "ports", 0, &list, err, errlen);
	for (size_t i = 0; r >= 0 && i < json_object_array_length(list); i++) {
		size_t matches = 0;
		char path[32];

		snprintf(path, sizeof(path), "ports[%zu]", i);
		*p = (struct cv_os_port){};
		r = port_fields(json_object_array_get_idx(list, i), path, p, ip, &matches, err,
				errlen);
		if (r >= 0 && matches > 0 && n++ == 0)
			*found = *p;
	}
	free(p);
	if (r < 0)
		return r;
	if (n != 1)
		return no_match(err, errlen, "port", ip, n);
	*ret = *found;
	return 0;
}

bool
cv_os_pair_is(const struct cv_os_pair *pair, const char *ip)
{
	unsigned char a[16], b[16];
	int fa, fb, pa, pb;

	if (!parse_cidr(pair->ip, &fa, a, &pa) || !parse_cidr(ip, &fb, b, &pb))
		return false;
	return fa == fb && pa == pb && memcmp(a, b, sizeof(a)) == 0;
}

int
cv_os_parse_ports_with_pair(const char *body, size_t len, const char *ip,
			    struct cv_os_port **ret, size_t *ret_n, char *err, size_t errlen)
{
	_cleanup_json_ struct json_object *root = NULL;
	struct json_object *list;
	_cleanup_free_ struct cv_os_port *found = NULL;
	size_t n = 0, total;
	int r = cv_json_parse(body, len, &root, err, errlen);

	if (r >= 0)
		r = cv_json_get_array(root, "body", "ports", 0, &list, err, errlen);
	if (r < 0)
		return r;
	total = json_object_array_length(list);
	/* as many as the list has, at most: an answer of 256 KiB holds a few hundred */
	if (total && !(found = calloc(total, sizeof(*found))))
		return -ENOMEM;
	for (size_t i = 0; i < total; i++) {
		struct cv_os_port *p = &found[n];
		bool has = false;
		size_t matches = 0;
		char path[32];

		snprintf(path, sizeof(path), "ports[%zu]", i);
		*p = (struct cv_os_port){};
		r = port_fields(json_object_array_get_idx(list, i), path, p, NULL, &matches, err,
				errlen);
		if (r < 0)
			return r;
		for (size_t k = 0; k < p->n_pairs && !has; k++)
			has = cv_os_pair_is(&p->pairs[k], ip);
		n += has;
	}
	*ret = n ? TAKE_PTR(found) : NULL;
	*ret_n = n;
	return 0;
}

/* Ours: the pair for ip with the port's MAC (or none: Neutron's default is the port's). */
static bool
pair_ours(const struct cv_os_port *port, const struct cv_os_pair *pair, const char *ip)
{
	return cv_os_pair_is(pair, ip) && (!*pair->mac || strcasecmp(pair->mac, port->mac) == 0);
}

bool
cv_os_port_allows(const struct cv_os_port *port, const char *ip)
{
	for (size_t i = 0; i < port->n_pairs; i++)
		if (pair_ours(port, &port->pairs[i], ip))
			return true;
	return false;
}

int
cv_os_pairs_with(const struct cv_os_port *port, const char *ip, struct cv_os_pair *out,
		 size_t *ret_n)
{
	if (!cidr_ok(ip) || strlen(ip) >= sizeof(out->ip))
		return -EINVAL;
	for (size_t i = 0; i < port->n_pairs; i++)
		if (pair_ours(port, &port->pairs[i], ip))
			return 0;
	if (port->n_pairs >= CV_OS_PAIRS_MAX)
		return -ENOSPC;
	memcpy(out, port->pairs, port->n_pairs * sizeof(*out));
	out[port->n_pairs] = (struct cv_os_pair){};
	snprintf(out[port->n_pairs].ip, sizeof(out->ip), "%s", ip);
	*ret_n = port->n_pairs + 1;
	return 1;
}

int
cv_os_pairs_without(const struct cv_os_port *port, const char *ip, struct cv_os_pair *out,
		    size_t *ret_n)
{
	size_t n = 0;

	if (!cidr_ok(ip))
		return -EINVAL;
	for (size_t i = 0; i < port->n_pairs; i++)
		if (!cv_os_pair_is(&port->pairs[i], ip))
			out[n++] = port->pairs[i];
	if (n == port->n_pairs)
		return 0;
	*ret_n = n;
	return 1;
}

/* {"floatingip": {"port_id": port or null, "fixed_ip_address"?, "description"?}} */
int
cv_os_fip_put_body(const char *port_id, const char *fixed_ip, const char *description, char **ret)
{
	_cleanup_json_ struct json_object *root = json_object_new_object();
	struct json_object *fip = json_object_new_object();
	int r = root && fip ? json_object_object_add(root, "floatingip", fip) : -1;

	if (r < 0) {
		json_object_put(fip);
		return -ENOMEM;
	}
	if ((port_id && !cv_os_id_ok(port_id)) || (fixed_ip && (!port_id || !ip_ok(fixed_ip))) ||
	    (port_id && strlen(port_id) > CV_OS_ID_MAX) ||
	    (description && strlen(description) > CV_OS_DESC_MAX))
		return -EINVAL;
	/* null, not absent: that is how Neutron is told to disassociate. */
	r = json_object_object_add(fip, "port_id",
				   port_id ? json_object_new_string(port_id) : NULL);
	if (r >= 0 && fixed_ip)
		r = json_object_object_add(fip, "fixed_ip_address",
					   json_object_new_string(fixed_ip));
	if (r >= 0 && description)
		r = json_object_object_add(fip, "description", json_object_new_string(description));
	return r < 0 ? -ENOMEM : cv_json_to_string(root, ret);
}

static int
pair_add(struct json_object *list, const struct cv_os_pair *p)
{
	struct json_object *o = json_object_new_object();
	int r = o ? json_object_object_add(o, "ip_address", json_object_new_string(p->ip)) : -1;

	if (r >= 0 && *p->mac)
		r = json_object_object_add(o, "mac_address", json_object_new_string(p->mac));
	if (r >= 0)
		r = json_object_array_add(list, o);
	if (r < 0) {
		json_object_put(o);
		return -ENOMEM;
	}
	return 0;
}

/* {"port": {"allowed_address_pairs": [...], "description"?}}: the list replaces Neutron's. */
int
cv_os_port_pairs_body(const struct cv_os_pair *pairs, size_t n, const char *description, char **ret)
{
	_cleanup_json_ struct json_object *root = json_object_new_object();
	struct json_object *port = json_object_new_object(), *list = json_object_new_array();
	int r = root && port && list ? 0 : -ENOMEM;

	if (r >= 0 && json_object_object_add(root, "port", port) < 0)
		r = -ENOMEM;
	if (r < 0) {
		json_object_put(port);
		json_object_put(list);
		return r;
	}
	if (json_object_object_add(port, "allowed_address_pairs", list) < 0) {
		json_object_put(list);
		return -ENOMEM;
	}
	if (n > CV_OS_PAIRS_MAX || (n > 0 && !pairs) ||
	    (description && strlen(description) > CV_OS_DESC_MAX))
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (!cidr_ok(pairs[i].ip) || (*pairs[i].mac && !mac_ok(pairs[i].mac)))
			return -EINVAL;
		r = pair_add(list, &pairs[i]);
		if (r < 0)
			return r;
	}
	if (description &&
	    json_object_object_add(port, "description", json_object_new_string(description)) < 0)
		return -ENOMEM;
	return cv_json_to_string(root, ret);
}
