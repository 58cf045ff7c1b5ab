/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Internal to the config modules: the declarative schema (one table entry per
 * key, in config-schema.c) and the value types it uses (config-types.c).
 * Parsing, defaults, formatting, the digest and the diff all walk this table;
 * no code is written per key.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "strbuf.h"

enum cv_conf_type {
	CV_T_NAME,	/* [A-Za-z0-9_.-], starts with a letter or digit; char * */
	CV_T_IFNAME,	/* a Linux interface name; char * */
	CV_T_NAME_LIST, /* names separated by blanks; struct cv_name_list */
	CV_T_UINT,	/* decimal; uint32_t */
	CV_T_BOOL,	/* yes | no; bool */
	CV_T_DURATION,	/* N ms | N s | N m; uint32_t milliseconds */
	CV_T_ADDRS,	/* ADDR[/PREFIX] [dev IFNAME], a line each (CV_K_REPEAT); struct cv_vip_addrs */
	CV_T_ENUM,	/* one of choices; int-sized enum */
	CV_T_URL,	/* http:// or https:// URL; char * */
	CV_T_COMMAND,	/* absolute path and arguments; char * */
	CV_T_ENDPOINT,	/* IPV4:PORT or [IPV6]:PORT (cv_endpoint_parse); char * */
	CV_T_RANGE,	/* N or N-M, min <= N <= M <= max; struct cv_range */
	CV_T_TEXT,	/* printable text, 1..max bytes; char * */
	CV_T_PATH,	/* an absolute file name, 1..max bytes; char * */
	CV_T_ID,	/* a cloud's resource id: letters, digits and '-', 1..max; char * */
	_CV_T_MAX,
};

enum {
	CV_K_REQUIRED = 1 << 0, /* no default: the file must set it */
	CV_K_AUTO = 1 << 1,	/* "auto" is a value (stored as CV_AUTO) */
	CV_K_SECONDS = 1 << 2,	/* durations in whole seconds only */
	CV_K_DIGEST = 1 << 3,	/* must agree cluster-wide: part of the digest */
	/* May be given several times, each adding a value; formatted a line
	 * per value (the type's format separates them with '\n'). */
	CV_K_REPEAT = 1 << 4,
	/* Left out of the effective config and the digest at its default (an
	 * enum's first value, a boolean's no, an empty list): a key added
	 * later keeps the digests of configs that do not use it (a rolling
	 * upgrade sees one config, not two). */
	CV_K_OMIT_DEFAULT = 1 << 5,
};

struct cv_conf_key {
	const char *name;
	enum cv_conf_type type;
	size_t offset;	    /* of the field in the section struct */
	uint32_t min, max;  /* numbers, durations (ms): value range; names: max length */
	const char *def;    /* default, as config text; NULL = unset (or required) */
	unsigned flags;
	const char *const *choices; /* CV_T_ENUM: NULL-terminated, index = value */
};

struct cv_conf_section {
	const char *name;
	enum cv_conf_section_kind kind;
	bool named;
	size_t size;	      /* of one instance */
	size_t array_offset;  /* named: of the instance array in struct cv_config; else of the instance */
	size_t count_offset;  /* named: of its count */
	size_t max_count;
	const struct cv_conf_key *keys;
	size_t n_keys;
};

/* Messages of value parsers name the value, never the key (the caller adds it). */
struct cv_conf_type_ops {
	int (*parse)(const struct cv_conf_key *k, const char *text, void *field, char *err,
		     size_t errlen);
	void (*format)(const struct cv_conf_key *k, const void *field, struct cv_strbuf *out);
	bool (*equal)(const void *a, const void *b);
	bool (*is_set)(const void *field); /* false: omitted from the effective config */
	void (*done)(void *field);
	/* CV_K_REPEAT: where the value just added was (its own errors say so). */
	void (*mark)(void *field, uint32_t line, uint32_t col);
};

extern const struct cv_conf_section cv_conf_sections[_CV_CONF_SECTION_MAX];

const struct cv_conf_type_ops *cv_conf_type_ops(enum cv_conf_type t);

/* The section descriptor by its name in the file; NULL if unknown. */
const struct cv_conf_section *cv_conf_section_by_name(const char *name);
const struct cv_conf_key *cv_conf_key_by_name(const struct cv_conf_section *s, const char *name);

/* Instances of a section in a config (the cluster section has exactly one). */
size_t cv_conf_count(const struct cv_config *c, const struct cv_conf_section *s);
void *cv_conf_instance(const struct cv_config *c, const struct cv_conf_section *s, size_t i);

static inline void *
cv_conf_field(void *instance, const struct cv_conf_key *k)
{
	return (char *)instance + k->offset;
}

/* Format a duration canonically: "auto", "0s", "90s" -> "90s", "120000" -> "2m", "1500ms". */
void cv_conf_format_duration(uint32_t ms, struct cv_strbuf *out);

/* Fill an error (msg formatted) and return -EINVAL. */
int cv_conf_fail(struct cv_conf_error *e, uint32_t line, uint32_t col, const char *key,
		 const char *fmt, ...) _printf_(5, 6);

/* "vip 'web'" or "cluster" for messages. */
const char *cv_conf_label(const struct cv_conf_section *s, const void *instance, char *buf,
			  size_t len);

/* Position of key k of an instance; {0, 0} when not set in the file or forgotten. */
struct cv_conf_pos cv_conf_key_pos(const struct cv_config *c, const void *instance,
				   const struct cv_conf_section *s, const struct cv_conf_key *k);

/* A zeroed config with the cluster section's positions; caller frees. */
int cv_conf_alloc(struct cv_config **ret);

/* Grow an array of n elements by add, zeroing the new ones (capacity: powers of two). */
int cv_conf_grow(void **array, size_t n, size_t add, size_t size);

/* Cross-field validation of a parsed config with defaults applied. */
int cv_conf_validate(const struct cv_config *c, struct cv_conf_error *reterr);

/* Build c->by_host (cv_config_find_vip_by_host) once the VIPs are final: 0 or -ENOMEM. */
int cv_config_index_hosts(struct cv_config *c);
/* The address key of a (config-format.c: cv_config_vip_addr_keys). */
uint32_t cv_config_addr_key(const struct cv_addr *a);
/* Build each VIP's members (cv_vip_conf_make_members) once the VIPs are final. */
int cv_config_make_members(struct cv_config *c);
/* Point each openstack VIP at its cloud section (cv_vip_conf.cloud_conf). */
void cv_config_resolve_clouds(struct cv_config *c);

/* Is s a valid section or list name of at most max characters? -EINVAL with a message. */
int cv_conf_check_name(const char *s, size_t max, char *err, size_t errlen);

/* Copy text into buf for a message, shortened with "..." when long. */
const char *cv_conf_quote(const char *text, char *buf, size_t len);
