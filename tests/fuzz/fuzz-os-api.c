/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz every parser of cloud/os-api*.c and clouds.yaml's (os-auth-yaml.c)
 * with the same bytes: whatever they accept must hold NUL-terminated fields
 * within their bounds, the error text must stay printable, and a port's
 * pairs must build back into a body that json-c reads.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cv-macros.h"
#include "os-api.h"
#include "os-auth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_str(const char *s, size_t size)
{
	if (!memchr(s, '\0', size))
		abort();
}

/* Adding a pair and taking it away: what was read edits into a body again. */
static void
check_pair_edits(const struct cv_os_port *p)
{
	struct cv_os_pair out[CV_OS_PAIRS_MAX];
	_cleanup_free_ char *body = NULL;
	size_t n = 0;
	int r = cv_os_pairs_with(p, "10.0.0.100", out, &n);

	if (r == 1 && (n != p->n_pairs + 1 || cv_os_port_pairs_body(out, n, NULL, &body) != 0))
		abort();
	if (r < 0 && r != -ENOSPC)
		abort();
	r = cv_os_pairs_without(p, "10.0.0.100", out, &n);
	if (r < 0 || (r == 1 && n >= p->n_pairs))
		abort();
	for (size_t i = 0; r == 1 && i < n; i++)
		if (cv_os_pair_is(&out[i], "10.0.0.100"))
			abort();
}

static void
check_port(const struct cv_os_port *p)
{
	_cleanup_free_ char *body = NULL;
	struct json_object *o;

	check_str(p->id, sizeof(p->id));
	check_str(p->network_id, sizeof(p->network_id));
	check_str(p->mac, sizeof(p->mac));
	check_str(p->fixed_ip, sizeof(p->fixed_ip));
	if (p->n_pairs > CV_OS_PAIRS_MAX)
		abort();
	if (cv_os_port_pairs_body(p->pairs, p->n_pairs, p->description, &body) != 0)
		abort();
	o = json_tokener_parse(body);
	if (!o)
		abort();
	json_object_put(o);
	check_pair_edits(p);
}

static void
check_fip(const struct cv_os_fip *f)
{
	_cleanup_free_ char *body = NULL;

	check_str(f->id, sizeof(f->id));
	check_str(f->address, sizeof(f->address));
	check_str(f->port_id, sizeof(f->port_id));
	check_str(f->fixed_ip, sizeof(f->fixed_ip));
	/* What was read can be written back. */
	if (cv_os_fip_put_body(*f->port_id ? f->port_id : NULL,
			       *f->port_id && *f->fixed_ip ? f->fixed_ip : NULL, f->description,
			       &body) != 0)
		abort();
}

static void
fuzz_token(const char *s, size_t size)
{
	struct cv_os_token_info t;
	char err[256];

	for (int i = CV_OS_PUBLIC; i <= CV_OS_ADMIN; i++)
		if (cv_os_parse_token(s, size, (enum cv_os_interface)i, i ? "RegionOne" : NULL, &t,
				      NULL, err, sizeof(err)) == 0)
			check_str(t.neutron_url, sizeof(t.neutron_url));
}

static void
fuzz_neutron(const char *s, size_t size)
{
	struct cv_os_fip f;
	struct cv_os_port *p = calloc(1, sizeof(*p)), *holders = NULL;
	size_t n = 0;
	char err[256], text[128];

	if (!p)
		abort();
	if (cv_os_parse_fip(s, size, &f, err, sizeof(err)) == 0)
		check_fip(&f);
	if (cv_os_parse_fip_list(s, size, "203.0.113.20", &f, err, sizeof(err)) == 0)
		check_fip(&f);
	if (cv_os_parse_port(s, size, p, err, sizeof(err)) == 0)
		check_port(p);
	if (cv_os_parse_port_list(s, size, "10.0.0.7", p, err, sizeof(err)) == 0)
		check_port(p);
	free(p);
	if (cv_os_parse_ports_with_pair(s, size, "10.0.0.100", &holders, &n, err, sizeof(err)) == 0) {
		if (!n != !holders)
			abort();
		for (size_t i = 0; i < n; i++)
			check_port(&holders[i]);
		free(holders);
	}
	cv_os_error_text(s, size, text, sizeof(text));
	for (const char *c = text; *c; c++)
		if (*c < ' ' || *c > '~')
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A NUL-terminated copy for the string parsers; the JSON ones get the bytes. */
	_cleanup_free_ char *s = malloc(size + 1);
	struct cv_os_auth a = {};
	char err[256];
	int64_t ms;

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	fuzz_token((const char *)data, size);
	fuzz_neutron((const char *)data, size);
	cv_os_parse_time(s, &ms);
	if (cv_os_auth_from_yaml(s, size, "fuzz.yaml", "c", &a, err, sizeof(err)) == 0)
		cv_os_auth_check(&a, err, sizeof(err));
	cv_os_auth_done(&a);
	return 0;
}
