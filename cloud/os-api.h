/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Keystone's and Neutron's answers, read (issue 14, cloud-api-brief.md
 * §1.2-1.4): pure functions over response bodies, with json-c, every field
 * checked for its type and length. A bad answer (truncated, wrong types, an
 * HTML error page) is -EBADMSG with a message naming the field; what the
 * caller had stays as it was.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "os-auth.h"

#define CV_OS_ID_MAX 64	     /* Neutron/Keystone ids: UUIDs, 32 or 36 characters */
#define CV_OS_URL_MAX 1024
#define CV_OS_DESC_MAX 255   /* Neutron's description field */

/* A token from POST /v3/auth/tokens (201): its expiry and the network endpoint. */
struct cv_os_token_info {
	int64_t expires_at_ms; /* Unix time (UTC) in ms */
	char neutron_url[CV_OS_URL_MAX + 1]; /* the network endpoint with /v2.0, no trailing / */
};

/*
 * Read a token response body: expires_at, and the "network" endpoint of the
 * catalog for interface and region (region NULL: any; several matches: the
 * first, and *ret_ambiguous). -EBADMSG (bad body), -ENOENT (no endpoint:
 * ret->expires_at_ms is set all the same, for an endpoint given by config).
 */
int cv_os_parse_token(const char *body, size_t len, enum cv_os_interface interface,
		      const char *region, struct cv_os_token_info *ret, bool *ret_ambiguous,
		      char *err, size_t errlen);

/* An ISO-8601 UTC time ("2026-03-01T13:00:00.123456Z", the fraction optional) in Unix ms. */
int cv_os_parse_time(const char *s, int64_t *ret_ms);

/* A floating IP as GET/PUT /v2.0/floatingips/{id} gives it. */
struct cv_os_fip {
	char id[CV_OS_ID_MAX + 1];
	char address[48];		   /* floating_ip_address */
	char port_id[CV_OS_ID_MAX + 1];	   /* "" when not associated */
	char fixed_ip[48];		   /* fixed_ip_address, "" when not associated */
	uint64_t revision;		   /* revision_number */
	char description[CV_OS_DESC_MAX + 1];
};

/* {"floatingip": {...}} -> *ret. */
int cv_os_parse_fip(const char *body, size_t len, struct cv_os_fip *ret, char *err, size_t errlen);
/* {"floatingips": [...]}: the one with address (-ENOENT none, -EEXIST several). */
int cv_os_parse_fip_list(const char *body, size_t len, const char *address, struct cv_os_fip *ret,
			 char *err, size_t errlen);

/* A port's allowed address pair. */
struct cv_os_pair {
	char ip[48]; /* an address or a CIDR, as Neutron keeps it */
	char mac[18]; /* "" when not given */
};

#define CV_OS_PAIRS_MAX 64

/* A port as GET/PUT /v2.0/ports/{id} gives it (what the backend reads). */
struct cv_os_port {
	char id[CV_OS_ID_MAX + 1];
	char network_id[CV_OS_ID_MAX + 1]; /* "" when not given (a list asked for other fields) */
	char mac[18];
	char fixed_ip[48]; /* the first fixed IP */
	uint64_t revision;
	struct cv_os_pair pairs[CV_OS_PAIRS_MAX];
	size_t n_pairs;
	char description[CV_OS_DESC_MAX + 1];
};

/* {"port": {...}} -> *ret. */
int cv_os_parse_port(const char *body, size_t len, struct cv_os_port *ret, char *err, size_t errlen);
/* {"ports": [...]}: the one with fixed IP ip (-ENOENT none, -EEXIST several). */
int cv_os_parse_port_list(const char *body, size_t len, const char *ip, struct cv_os_port *ret,
			  char *err, size_t errlen);

/* {"ports": [...]} (GET /v2.0/ports?network_id=X&fields=...): those with a pair
 * for ip (cv_os_pair_is), into *ret (allocated, free(); NULL when none) and *ret_n. */
int cv_os_parse_ports_with_pair(const char *body, size_t len, const char *ip,
				struct cv_os_port **ret, size_t *ret_n, char *err, size_t errlen);

/* Is the pair's ip_address ip? The same address, or the same CIDR: "10.0.0.5"
 * is "10.0.0.5/32" (and an IPv6 address its /128), whatever the spelling. */
bool cv_os_pair_is(const struct cv_os_pair *pair, const char *ip);
/* Does the port have a pair for ip with its own MAC (or none: Neutron's default)? */
bool cv_os_port_allows(const struct cv_os_port *port, const char *ip);
/*
 * The port's pairs with {ip_address: ip} added (mac: the port's, which
 * Neutron fills in) or with every pair for ip removed, into out
 * (CV_OS_PAIRS_MAX entries) and *ret_n: 1 changed, 0 already so (out then
 * undefined), -EINVAL ip is no address or CIDR, -ENOSPC the port has
 * CV_OS_PAIRS_MAX pairs already. A pair for ip with another MAC than the
 * port's is not ours: add puts ours beside it, remove takes both.
 */
int cv_os_pairs_with(const struct cv_os_port *port, const char *ip, struct cv_os_pair *out,
		     size_t *ret_n);
int cv_os_pairs_without(const struct cv_os_port *port, const char *ip, struct cv_os_pair *out,
			size_t *ret_n);

/* Neutron's {"NeutronError": {"type", "message"}} or Keystone's {"error": {"title", "message"}},
 * as "TYPE: message" into buf; an HTML page or anything else: its first line, cut. */
const char *cv_os_error_text(const char *body, size_t len, char *buf, size_t buflen);

/* Request bodies (owned by the caller). */
/* {"floatingip": {"port_id": port or null, "fixed_ip_address": ip (omitted if NULL), "description": desc}} */
int cv_os_fip_put_body(const char *port_id, const char *fixed_ip, const char *description,
		       char **ret);
/* {"port": {"allowed_address_pairs": [...], "description": desc (omitted if NULL)}} */
int cv_os_port_pairs_body(const struct cv_os_pair *pairs, size_t n, const char *description,
			  char **ret);
