/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * clouds.yaml (os-auth.h): libyaml's events built into a small tree, then
 * the entry clouds.<cloud> read from it. The file may be hostile or simply
 * wrong, so the tree has limits (size, scalar length, depth, node count),
 * anchors and aliases are refused (no billion laughs), a key may appear once
 * per mapping, and every refusal names file:line:column. Scalars are wiped
 * before they are freed, libyaml's own buffers too: a password lives there.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "os-int.h"

#define YAML_DEPTH_MAX 16
#define YAML_NODES_MAX 20000

enum ytype { Y_SCALAR, Y_MAP, Y_SEQ };

struct ynode {
	enum ytype type;
	char *text;	      /* Y_SCALAR, NUL-terminated (a NUL inside is refused) */
	bool plain;	      /* unquoted: "~" and "" mean null */
	size_t line, col;     /* 1-based */
	struct ynode **items; /* Y_MAP: key, value, key, value...; Y_SEQ: the items */
	size_t n, cap;
};

struct ybuild {
	yaml_parser_t parser;
	const char *name;
	size_t nodes;
	char *err;
	size_t errlen;
};

static struct ynode *
ynode_free(struct ynode *n)
{
	if (!n)
		return NULL;
	for (size_t i = 0; i < n->n; i++)
		ynode_free(n->items[i]);
	free(n->items);
	cv_os_wipe_free(n->text);
	free(n);
	return NULL;
}

static void
ynode_freep(struct ynode **n)
{
	ynode_free(*n);
}

static int
yerr(struct ybuild *b, yaml_mark_t m, const char *what, const char *detail)
{
	cv_os_errf(b->err, b->errlen, "%s:%zu:%zu: %s%s%.64s%s", b->name, m.line + 1, m.column + 1,
		   what, detail ? " '" : "", detail ? detail : "", detail ? "'" : "");
	return -EINVAL;
}

/* libyaml's own message: its problem strings name no content of the file. */
static int
parser_err(struct ybuild *b)
{
	yaml_parser_t *p = &b->parser;

	if (p->error == YAML_MEMORY_ERROR)
		return -ENOMEM;
	if (p->error == YAML_READER_ERROR) {
		cv_os_errf(b->err, b->errlen, "%s: byte %zu: %s", b->name, p->problem_offset,
			   p->problem ? p->problem : "unreadable");
		return -EINVAL;
	}
	cv_os_errf(b->err, b->errlen, "%s:%zu:%zu: %s%s%s", b->name, p->problem_mark.line + 1,
		   p->problem_mark.column + 1, p->context ? p->context : "", p->context ? ": " : "",
		   p->problem ? p->problem : "malformed YAML");
	return -EINVAL;
}

/* The event's scalar wiped before libyaml frees it. */
static void
event_done(yaml_event_t *e)
{
	if (e->type == YAML_SCALAR_EVENT && e->data.scalar.value)
		explicit_bzero(e->data.scalar.value, e->data.scalar.length);
	yaml_event_delete(e);
}

static int
next_event(struct ybuild *b, yaml_event_t *e)
{
	if (!yaml_parser_parse(&b->parser, e))
		return parser_err(b);
	return 0;
}

static int
push(struct ynode *parent, struct ynode *child)
{
	if (parent->n == parent->cap) {
		size_t cap = parent->cap ? parent->cap * 2 : 8;
		struct ynode **items = realloc(parent->items, cap * sizeof(*items));

		if (!items)
			return -ENOMEM;
		parent->items = items;
		parent->cap = cap;
	}
	parent->items[parent->n++] = child;
	return 0;
}

static int build_node(struct ybuild *b, yaml_event_t *e, unsigned depth, struct ynode **ret);

static int
build_scalar(struct ybuild *b, yaml_event_t *e, struct ynode *n)
{
	size_t len = e->data.scalar.length;

	if (len > CV_OS_VALUE_MAX)
		return yerr(b, e->start_mark, "scalar longer than 4096 bytes", NULL);
	if (memchr(e->data.scalar.value, '\0', len))
		return yerr(b, e->start_mark, "scalar holds a NUL", NULL);
	n->text = strndup((const char *)e->data.scalar.value, len);
	if (!n->text)
		return -ENOMEM;
	n->plain = e->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	return 0;
}

static bool
is_dup_key(const struct ynode *map, const struct ynode *key)
{
	if (key->type != Y_SCALAR)
		return false;
	for (size_t i = 0; i + 1 < map->n; i += 2)
		if (map->items[i]->type == Y_SCALAR && strcmp(map->items[i]->text, key->text) == 0)
			return true;
	return false;
}

/* A mapping's or a sequence's children, up to its end event. */
static int
build_children(struct ybuild *b, unsigned depth, struct ynode *n)
{
	for (;;) {
		yaml_event_t e;
		struct ynode *child = NULL;
		int r = next_event(b, &e);

		if (r < 0)
			return r;
		if (e.type == YAML_MAPPING_END_EVENT || e.type == YAML_SEQUENCE_END_EVENT) {
			event_done(&e);
			break;
		}
		r = build_node(b, &e, depth + 1, &child);
		event_done(&e);
		if (r < 0)
			return r;
		if (n->type == Y_MAP && n->n % 2 == 0) {
			if (child->type != Y_SCALAR)
				r = yerr(b,
					 (yaml_mark_t){ .line = child->line - 1,
							.column = child->col - 1 },
					 "a key must be a scalar", NULL);
			else if (is_dup_key(n, child))
				r = yerr(b,
					 (yaml_mark_t){ .line = child->line - 1,
							.column = child->col - 1 },
					 "duplicate key", child->text);
		}
		if (r >= 0)
			r = push(n, child);
		if (r < 0) {
			ynode_free(child);
			return r;
		}
	}
	return 0;
}

static int
build_node(struct ybuild *b, yaml_event_t *e, unsigned depth, struct ynode **ret)
{
	_cleanup_(ynode_freep) struct ynode *n = NULL;
	int r;

	if (e->type == YAML_ALIAS_EVENT)
		return yerr(b, e->start_mark, "aliases are not supported", NULL);
	if ((e->type == YAML_SCALAR_EVENT && e->data.scalar.anchor) ||
	    (e->type == YAML_MAPPING_START_EVENT && e->data.mapping_start.anchor) ||
	    (e->type == YAML_SEQUENCE_START_EVENT && e->data.sequence_start.anchor))
		return yerr(b, e->start_mark, "anchors are not supported", NULL);
	if (depth > YAML_DEPTH_MAX)
		return yerr(b, e->start_mark, "nested deeper than 16 levels", NULL);
	if (++b->nodes > YAML_NODES_MAX)
		return yerr(b, e->start_mark, "more than 20000 nodes", NULL);
	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->line = e->start_mark.line + 1;
	n->col = e->start_mark.column + 1;
	switch (e->type) {
	case YAML_SCALAR_EVENT:
		n->type = Y_SCALAR;
		r = build_scalar(b, e, n);
		break;
	case YAML_MAPPING_START_EVENT:
		n->type = Y_MAP;
		r = build_children(b, depth, n);
		break;
	case YAML_SEQUENCE_START_EVENT:
		n->type = Y_SEQ;
		r = build_children(b, depth, n);
		break;
	default:
		r = yerr(b, e->start_mark, "unexpected YAML event", NULL);
		break;
	}
	if (r < 0)
		return r;
	*ret = TAKE_PTR(n);
	return 0;
}

/* Expect an event of type t (the stream's and document's frame). */
static int
expect(struct ybuild *b, yaml_event_type_t t, yaml_event_t *e)
{
	int r = next_event(b, e);

	if (r < 0)
		return r;
	if (e->type != t) {
		r = yerr(b, e->start_mark,
			 t == YAML_STREAM_END_EVENT ? "more than one YAML document"
						    : "unexpected YAML structure",
			 NULL);
		event_done(e);
	}
	return r;
}

/* The one document of the stream, as a tree (NULL: an empty file). */
static int
build_document(struct ybuild *b, struct ynode **ret)
{
	yaml_event_t e;
	int r = expect(b, YAML_STREAM_START_EVENT, &e);

	*ret = NULL;
	if (r < 0)
		return r;
	event_done(&e);
	r = next_event(b, &e);
	if (r < 0)
		return r;
	if (e.type == YAML_STREAM_END_EVENT) {
		event_done(&e);
		return 0;
	}
	event_done(&e); /* DOCUMENT-START: libyaml gives nothing else here */
	r = next_event(b, &e);
	if (r < 0)
		return r;
	r = build_node(b, &e, 0, ret);
	event_done(&e);
	if (r >= 0)
		r = expect(b, YAML_DOCUMENT_END_EVENT, &e);
	if (r >= 0) {
		event_done(&e);
		r = expect(b, YAML_STREAM_END_EVENT, &e);
	}
	if (r >= 0)
		event_done(&e);
	if (r < 0)
		*ret = ynode_free(*ret);
	return r;
}

/* libyaml's buffers hold the decoded text, the secrets with it. */
static void
parser_wipe_delete(yaml_parser_t *p)
{
	if (p->buffer.start)
		explicit_bzero(p->buffer.start, (size_t)(p->buffer.end - p->buffer.start));
	if (p->raw_buffer.start)
		explicit_bzero(p->raw_buffer.start,
			       (size_t)(p->raw_buffer.end - p->raw_buffer.start));
	yaml_parser_delete(p);
}

static int
yaml_tree(const char *text, size_t len, struct ybuild *b, struct ynode **ret)
{
	int r;

	if (len > CV_OS_FILE_MAX) {
		cv_os_errf(b->err, b->errlen, "%s: larger than %d bytes", b->name, CV_OS_FILE_MAX);
		return -EINVAL;
	}
	if (!yaml_parser_initialize(&b->parser))
		return -ENOMEM;
	yaml_parser_set_input_string(&b->parser, (const unsigned char *)text, len);
	r = build_document(b, ret);
	parser_wipe_delete(&b->parser);
	return r;
}

/* The value of key in map (NULL: not there). */
static const struct ynode *
map_get(const struct ynode *map, const char *key)
{
	for (size_t i = 0; i + 1 < map->n; i += 2)
		if (strcmp(map->items[i]->text, key) == 0)
			return map->items[i + 1];
	return NULL;
}

static int
node_err(struct ybuild *b, const struct ynode *n, const char *what, const char *key)
{
	cv_os_errf(b->err, b->errlen, "%s:%zu:%zu: %s%s%.64s%s", b->name, n->line, n->col, what,
		   key ? " '" : "", key ? key : "", key ? "'" : "");
	return -EINVAL;
}

/* A mapping's keys into *a; skip "auth" (read on its own). Unknown keys are
 * openstacksdk's many others (volume_api_version...) and are ignored. */
static int
apply_map(struct ybuild *b, const struct ynode *map, struct cv_os_auth *a)
{
	for (size_t i = 0; i + 1 < map->n; i += 2) {
		const struct ynode *k = map->items[i], *v = map->items[i + 1];
		char where[512];
		int r;

		if (strcmp(k->text, "auth") == 0)
			continue;
		snprintf(where, sizeof(where), "%s:%zu:%zu", b->name, v->line, v->col);
		if (v->type != Y_SCALAR) {
			if (!cv_os_auth_key_known(k->text))
				continue; /* not ours: any shape */
			return node_err(b, v, "expected a string for", k->text);
		}
		/* Unquoted ~ and null are YAML's null; a quoted "~" is a value. */
		if (v->plain && cv_os_value_is_null(v->text))
			continue;
		r = cv_os_auth_set_key(a, k->text, v->text, where, b->err, b->errlen);
		if (r < 0)
			return r;
	}
	return 0;
}

static int
not_found(struct ybuild *b, const char *why, const char *cloud)
{
	cv_os_errf(b->err, b->errlen, "%s: no cloud '%.64s' (%s)", b->name, cloud, why);
	return -ENOENT;
}

static int
apply_entry(struct ybuild *b, const struct ynode *root, const char *cloud, struct cv_os_auth *a)
{
	const struct ynode *clouds, *entry, *auth;
	int r;

	if (!root)
		return not_found(b, "the file is empty", cloud);
	if (root->type != Y_MAP)
		return node_err(b, root, "expected a mapping (clouds:)", NULL);
	clouds = map_get(root, "clouds");
	if (!clouds)
		return not_found(b, "no clouds: mapping", cloud);
	if (clouds->type != Y_MAP)
		return node_err(b, clouds, "expected a mapping for", "clouds");
	entry = map_get(clouds, cloud);
	if (!entry)
		return not_found(b, "not under clouds:", cloud);
	if (entry->type != Y_MAP)
		return node_err(b, entry, "expected a mapping for cloud", cloud);
	auth = map_get(entry, "auth");
	if (auth && auth->type != Y_MAP &&
	    !(auth->type == Y_SCALAR && auth->plain && cv_os_value_is_null(auth->text)))
		return node_err(b, auth, "expected a mapping for", "auth");
	/* Values outside auth override the same keys inside (openstacksdk). */
	r = apply_map(b, entry, a);
	if (r >= 0 && auth && auth->type == Y_MAP)
		r = apply_map(b, auth, a);
	return r;
}

int
cv_os_auth_from_yaml(const char *text, size_t len, const char *name, const char *cloud,
		     struct cv_os_auth *a, char *err, size_t errlen)
{
	struct ybuild b = { .name = name ? name : "clouds.yaml", .err = err, .errlen = errlen };
	_cleanup_(ynode_freep) struct ynode *root = NULL;
	int r;

	if (!cloud || !*cloud) {
		cv_os_errf(err, errlen, "%s: no cloud named", b.name);
		return -EINVAL;
	}
	r = yaml_tree(text, len, &b, &root);
	if (r < 0)
		return r;
	return apply_entry(&b, root, cloud, a);
}
