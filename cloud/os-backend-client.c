/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The OpenStack backend's clients, one per cloud section (a token cache
 * each), made at the first VIP that needs one, and what status shows of
 * each VIP (os-backend-int.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cv-error.h"
#include "cv-macros.h"
#include "os-backend-int.h"
#include "os-int.h"

extern char **environ;

/* ---- the clients ---- */

static bool
same_str(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") == 0;
}

static bool
same_cloud(const struct cv_cloud_conf *a, const struct cv_cloud_conf *b)
{
	return same_str(a->clouds_yaml, b->clouds_yaml) &&
	       same_str(cv_cloud_entry(a), cv_cloud_entry(b)) &&
	       same_str(a->secrets_file, b->secrets_file) && same_str(a->region, b->region) &&
	       a->interface == b->interface && same_str(a->ca_file, b->ca_file) &&
	       a->tls_verify == b->tls_verify && same_str(a->proxy, b->proxy) &&
	       same_str(a->neutron_url, b->neutron_url) &&
	       a->call_timeout_ms == b->call_timeout_ms && a->op_timeout_ms == b->op_timeout_ms;
}

static int
set_str(char **field, const char *value)
{
	char *v;

	if (!value)
		return 0;
	v = strdup(value);
	if (!v)
		return -ENOMEM;
	free(*field);
	*field = v;
	return 0;
}

/* The credentials of section cc (os-auth.h), then what the section says over them. */
static int
load_auth(const struct cv_cloud_conf *cc, struct cv_os_auth *auth, char *err, size_t len)
{
	struct cv_os_auth_sources src = { .cloud = cv_cloud_entry(cc),
					  .clouds_yaml = cc->clouds_yaml,
					  .search_clouds_yaml = true,
					  .environ = environ,
					  .secrets_file = cc->secrets_file,
					  .credentials_dir = getenv("CREDENTIALS_DIRECTORY") };
	int r = cv_os_auth_load(&src, auth, err, len);

	if (r < 0)
		return r;
	/* explicit daemon config wins, the defaults included: interface
	 * public, TLS verified whatever clouds.yaml's insecure says */
	auth->interface = (enum cv_os_interface)cc->interface;
	auth->interface_set = true;
	auth->insecure = !cc->tls_verify;
	r = set_str(&auth->region, cc->region);
	if (r >= 0)
		r = set_str(&auth->cacert, cc->ca_file);
	if (r >= 0)
		r = set_str(&auth->neutron_url, cc->neutron_url);
	if (r < 0)
		snprintf(err, len, "%s", cv_strerror(r));
	return r;
}

static int
client_new(struct osb *b, const struct cv_cloud_conf *cc, struct client **ret, char *err,
	   size_t len)
{
	struct cv_os_client_params p = { .loop = b->env.loop,
					 .http = b->http,
					 .call_timeout_ms = cc->call_timeout_ms,
					 .op_deadline_ms = cc->op_timeout_ms,
					 .proxy = cc->proxy,
					 .node = b->env.nodeid,
					 .lost = cv_osb_on_lost,
					 .userdata = b };
	struct cv_os_auth auth;
	struct client *cl = calloc(1, sizeof(*cl));
	int r;

	if (!cl)
		return -ENOMEM;
	r = load_auth(cc, &auth, err, len);
	if (r >= 0) {
		r = cv_os_client_new(&p, &auth, &cl->os);
		if (r < 0)
			snprintf(err, len, "%s", cv_strerror(r));
	}
	cv_os_auth_done(&auth); /* moved into the client, or wiped here */
	if (r < 0) {
		free(cl);
		return r;
	}
	snprintf(cl->name, sizeof(cl->name), "%s", cc->head.name);
	cl->conf = *cc;
	cl->b = b;
	cl->next = b->clients;
	b->clients = cl;
	*ret = cl;
	return 0;
}

static struct client *
client_find(struct osb *b, const char *name, bool retired_too)
{
	for (struct client *cl = b->clients; cl; cl = cl->next)
		if (strcmp(cl->name, name) == 0 && (!cl->retired || retired_too))
			return cl;
	return NULL;
}

void
cv_osb_client_free(struct osb *b, struct client *cl)
{
	for (struct client **p = &b->clients; *p; p = &(*p)->next)
		if (*p == cl) {
			*p = cl->next;
			break;
		}
	cv_os_client_free(cl->os);
	free(cl);
}

/* The client of v's cloud section, made now if needed. An orphan's VIP
 * (cloud_conf NULL: its section may be gone) takes what there is. */
int
cv_osb_client_of(struct osb *b, const struct cv_vip_conf *v, struct client **ret, char *err, size_t len)
{
	const char *name = v->cloud_conf ? v->cloud_conf->head.name : v->cloud;

	*ret = name ? client_find(b, name, false) : NULL;
	if (!*ret && !v->cloud_conf && name)
		*ret = client_find(b, name, true);
	if (*ret)
		return 0;
	if (!v->cloud_conf) {
		snprintf(err, len, "cloud '%s': no such section any more", name ? name : "?");
		return -ENOENT;
	}
	return client_new(b, v->cloud_conf, ret, err, len);
}

/* A reload: a client whose section changed or went is retired (it ends
 * what it has, new work gets a new one). */
void
cv_osb_clients_switch(struct osb *b, const struct cv_config *next)
{
	for (struct client *cl = b->clients, *nx; cl; cl = nx) {
		const struct cv_cloud_conf *cc = next ? cv_config_find_cloud(next, cl->name) : NULL;

		nx = cl->next;
		if (cl->retired || (cc && same_cloud(cc, &cl->conf))) {
			if (cc)
				cl->conf = *cc;
			continue;
		}
		cl->retired = true;
		cl->conf = (struct cv_cloud_conf){};
		if (!cl->busy)
			cv_osb_client_free(b, cl);
	}
}

void
cv_osb_clients_free(struct osb *b)
{
	while (b->clients) {
		struct client *cl = b->clients;

		b->clients = cl->next;
		cv_os_client_free(cl->os);
		free(cl);
	}
}

/* ---- what status shows ---- */

/* VIP name's entry, made if need be (NULL: out of memory, status shows nothing). */
struct cv_backend_status *
cv_osb_seen_of(struct osb *b, const char *name, const char *resource)
{
	struct seen *v;

	for (size_t i = 0; i < b->n_seen; i++)
		if (strcmp(b->seen[i].name, name) == 0)
			return &b->seen[i].st;
	v = realloc(b->seen, (b->n_seen + 1) * sizeof(*v));
	if (!v)
		return NULL;
	b->seen = v;
	v = &b->seen[b->n_seen++];
	*v = (struct seen){};
	snprintf(v->name, sizeof(v->name), "%s", name);
	snprintf(v->st.resource, sizeof(v->st.resource), "%s", resource);
	return &v->st;
}

void
cv_osb_seen_fip(struct osb *b, const char *name, const struct cv_os_fip *fip)
{
	struct cv_backend_status *st = cv_osb_seen_of(b, name, fip->id);
	struct cv_os_stamp stamp;

	if (!st)
		return;
	snprintf(st->resource, sizeof(st->resource), "%s", fip->id);
	snprintf(st->where, sizeof(st->where), "%s", fip->port_id);
	snprintf(st->fixed_ip, sizeof(st->fixed_ip), "%s", fip->fixed_ip);
	stamp = cv_os_desc_stamp(fip->description, &st->node);
	st->ring = stamp.ring;
	st->epoch = stamp.epoch;
	st->revision = fip->revision;
	st->read_at_ms = cv_os_wall_ms();
}

void
cv_osb_seen_outcome(struct osb *b, const char *name, const char *resource, int err,
		    const char *why)
{
	struct cv_backend_status *st = cv_osb_seen_of(b, name, resource);

	if (!st)
		return;
	if (err >= 0) {
		st->error[0] = 0;
		st->error_at_ms = 0;
		return;
	}
	snprintf(st->error, sizeof(st->error), "%s", why);
	st->error_at_ms = cv_os_wall_ms();
}

/* What the next config's VIP of that name has its status of: its floating IP or our port. */
static const char *
resource_of(const struct cv_vip_conf *v)
{
	if (!v || v->backend != CV_BACKEND_OPENSTACK)
		return NULL;
	return v->mode == CV_CLOUD_FLOATING_IP ? v->floating_ip : v->port;
}

/* Pair modes: our port as read; where it says ip when the port allows it. */
void
cv_osb_seen_port(struct osb *b, const char *name, const struct cv_os_port *port, const char *ip)
{
	struct cv_backend_status *st = cv_osb_seen_of(b, name, port->id);

	if (!st)
		return;
	snprintf(st->resource, sizeof(st->resource), "%s", port->id);
	snprintf(st->where, sizeof(st->where), "%s", cv_os_port_allows(port, ip) ? ip : "");
	st->fixed_ip[0] = 0;
	st->ring = st->epoch = 0;
	st->node = 0;
	st->revision = port->revision;
	st->read_at_ms = cv_os_wall_ms();
}

/* A reload: what status keeps is the next config's VIPs' of the same resource. */
void
cv_osb_seen_switch(struct osb *b, const struct cv_config *next)
{
	for (size_t i = 0; i < b->n_seen;) {
		const char *res = resource_of(next ? cv_config_find_vip(next, b->seen[i].name) : NULL);

		if (res && strcmp(res, b->seen[i].st.resource) == 0)
			i++;
		else
			b->seen[i] = b->seen[--b->n_seen];
	}
}

bool
cv_osb_status(struct cv_backend *base, const struct cv_vip_conf *v, struct cv_backend_status *ret)
{
	struct osb *b = osb_of(base);

	for (size_t i = 0; i < b->n_seen; i++)
		if (strcmp(b->seen[i].name, v->head.name) == 0) {
			*ret = b->seen[i].st;
			return true;
		}
	return false;
}
