/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * corovip.conf text -> struct cv_config. Line based, like corosync.conf:
 *
 *   # comment                      ('#' at the start of a word or a value starts a comment)
 *   SECTION [NAME] {
 *       key: value                 (the value is the rest of the line, trimmed)
 *   }
 *
 * Sections do not nest. The first error stops parsing and names its line,
 * column and key. Values are parsed by the schema's types; then defaults are
 * filled in and the whole config is validated (config-validate.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config-schema.h"
#include "cv-macros.h"

#define LINE_MAX_LEN 4096

struct parser {
	const char *text;
	size_t len;
	size_t off;
	uint32_t line;
	struct cv_config *cfg;
	struct cv_conf_error *err;
	const struct cv_conf_section *sec; /* the open section, or NULL */
	void *inst;			   /* its instance */
	char buf[LINE_MAX_LEN + 1];
};

#define FAIL(p, col, key, ...) cv_conf_fail((p)->err, (p)->line, (uint32_t)(col), key, __VA_ARGS__)
#define COL(p, s) ((size_t)((s) - (p)->buf) + 1)
#define Q(text) cv_conf_quote(text, (char[72]){}, 72)

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Copy the next line into p->buf; 0 at the end of the text, 1 for a line. */
static int
read_line(struct parser *p)
{
	size_t n = 0;

	if (p->off >= p->len)
		return 0;
	p->line++;
	for (; p->off < p->len && p->text[p->off] != '\n'; p->off++, n++) {
		unsigned char c = (unsigned char)p->text[p->off];

		if (n == LINE_MAX_LEN)
			return FAIL(p, n + 1, "syntax", "line is too long (at most %d bytes)",
				    LINE_MAX_LEN);
		/* A CR is fine only as part of a CRLF line end. */
		if ((c < 0x20 && c != '\t' && !(c == '\r' && (p->off + 1 == p->len ||
							     p->text[p->off + 1] == '\n'))) ||
		    c == 0x7f)
			return FAIL(p, n + 1, "syntax", "invalid character 0x%02x", c);
		p->buf[n] = (char)c;
	}
	p->off++; /* the newline */
	p->buf[n] = '\0';
	return 1;
}

/* Cut a comment ('#' at the start of a word) and trailing blanks. */
static void
strip(char *s)
{
	size_t n = strlen(s);

	for (size_t i = 0; i < n; i++)
		if (s[i] == '#' && (i == 0 || is_blank(s[i - 1]))) {
			n = i;
			break;
		}
	while (n > 0 && (is_blank(s[n - 1]) || s[n - 1] == '\r'))
		n--;
	s[n] = '\0';
}

/* The word at s, for messages. */
static const char *
word(const char *s, char *buf, size_t len)
{
	size_t n = strcspn(s, " \t");

	snprintf(buf, len, "%.*s", (int)CV_MIN(n, len - 1), s);
	return buf;
}

static int
syntax_error(struct parser *p, const char *s, const char *expected)
{
	char w[64];

	return FAIL(p, COL(p, s), "syntax", "unexpected '%s' (expected %s)", word(s, w, sizeof(w)),
		    expected);
}

/* ---- sections ---- */

static int
new_instance(struct parser *p, const struct cv_conf_section *s, void **ret)
{
	struct cv_config *c = p->cfg;
	size_t *count = (size_t *)((char *)c + s->count_offset);
	void **array = (void **)((char *)c + s->array_offset);
	struct cv_conf_head *h;
	int r;

	if (*count >= s->max_count)
		return -E2BIG;
	r = cv_conf_grow(array, *count, 1, s->size);
	if (r < 0)
		return r;
	r = cv_conf_grow((void **)&c->pos, c->n_pos, s->n_keys, sizeof(*c->pos));
	if (r < 0)
		return r;
	h = cv_conf_instance(c, s, (*count)++);
	h->pos_base = c->n_pos;
	c->n_pos += s->n_keys;
	*ret = h;
	return 0;
}

static int
open_named(struct parser *p, const struct cv_conf_section *s, const char *type, char *name,
	   size_t col)
{
	char msg[256];
	struct cv_conf_head *h;
	void *inst;
	int r;

	if (!name)
		return FAIL(p, col, type, "section needs a name ('%s NAME {')", type);
	if (cv_conf_check_name(name, CV_NAME_MAX, msg, sizeof(msg)) < 0)
		return FAIL(p, COL(p, name), type, "%s", msg);
	r = new_instance(p, s, &inst);
	if (r == -E2BIG)
		return FAIL(p, col, type, "too many %s sections (at most %zu)", type, s->max_count);
	if (r < 0)
		return r;
	h = inst;
	h->name = strdup(name);
	if (!h->name)
		return -ENOMEM;
	p->inst = inst;
	return 0;
}

static int
open_cluster(struct parser *p, const struct cv_conf_section *s, const char *type, char *name,
	     size_t col)
{
	struct cv_conf_head *h = &p->cfg->cluster.head;

	if (name)
		return FAIL(p, COL(p, name), type, "section takes no name");
	if (h->line)
		return FAIL(p, col, type, "duplicate section '%s', first at line %u, column %u",
			    type, h->line, h->col);
	p->inst = h;
	return 0;
}

/* "TYPE [NAME] {" with the trailing '{' already cut off. */
static int
open_section(struct parser *p, char *s)
{
	char *type = s, *name = NULL, *extra;
	const struct cv_conf_section *sec;
	size_t col = COL(p, s);
	int r;

	if (*type == '\0')
		return FAIL(p, col, "syntax", "unexpected '{' (expected 'SECTION [NAME] {')");
	s += strcspn(s, " \t");
	if (*s) {
		*s++ = '\0';
		name = s + strspn(s, " \t");
		extra = name + strcspn(name, " \t");
		if (*extra) {
			*extra++ = '\0';
			extra += strspn(extra, " \t");
			return syntax_error(p, extra, "'SECTION [NAME] {'");
		}
	}
	if (p->sec) {
		char label[128];

		return FAIL(p, col, type, "sections do not nest (inside %s from line %u)",
			    cv_conf_label(p->sec, p->inst, label, sizeof(label)),
			    ((struct cv_conf_head *)p->inst)->line);
	}
	sec = cv_conf_section_by_name(type);
	if (!sec)
		return FAIL(p, col, type, "unknown section (expected cluster, node, check or vip)");
	r = sec->named ? open_named(p, sec, type, name, col) : open_cluster(p, sec, type, name, col);
	if (r < 0)
		return r;
	((struct cv_conf_head *)p->inst)->line = p->line;
	((struct cv_conf_head *)p->inst)->col = (uint32_t)col;
	p->sec = sec;
	return 0;
}

static int
close_section(struct parser *p, char *s)
{
	if (s[1] != '\0')
		return syntax_error(p, s + 1 + strspn(s + 1, " \t"), "a new line after '}'");
	if (!p->sec)
		return FAIL(p, COL(p, s), "syntax", "unexpected '}' outside of a section");
	p->sec = NULL;
	p->inst = NULL;
	return 0;
}

/* ---- keys ---- */

/* Edit distance, for "did you mean" on unknown keys (names are short). */
static size_t
distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[65];

	if (la > 64 || lb > 64)
		return SIZE_MAX;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];

			row[j] = CV_MIN(CV_MIN(row[j] + 1, row[j - 1] + 1),
					diag + (a[i - 1] != b[j - 1]));
			diag = up;
		}
	}
	return row[lb];
}

static int
unknown_key(struct parser *p, const char *key, size_t col)
{
	const struct cv_conf_key *best = NULL;
	size_t best_d = 3; /* suggest only close misspellings */
	char label[128], hint[96] = "";

	for (size_t i = 0; i < p->sec->n_keys; i++) {
		size_t d = distance(key, p->sec->keys[i].name);

		if (d < best_d) {
			best_d = d;
			best = &p->sec->keys[i];
		}
	}
	if (best)
		snprintf(hint, sizeof(hint), " (did you mean '%s'?)", best->name);
	return FAIL(p, col, key, "unknown key in section %s%s",
		    cv_conf_label(p->sec, p->inst, label, sizeof(label)), hint);
}

static int
set_key(struct parser *p, const char *key, size_t key_col, const char *value, size_t value_col)
{
	const struct cv_conf_key *k;
	struct cv_conf_pos *pos;
	char msg[320];
	int r;

	if (!p->sec)
		return FAIL(p, key_col, key, "key outside of a section");
	k = cv_conf_key_by_name(p->sec, key);
	if (!k)
		return unknown_key(p, key, key_col);
	pos = &p->cfg->pos[((struct cv_conf_head *)p->inst)->pos_base + (size_t)(k - p->sec->keys)];
	if (pos->line && !(k->flags & CV_K_REPEAT))
		return FAIL(p, key_col, key, "duplicate key, first set at line %u, column %u",
			    pos->line, pos->col);
	if (*value == '\0')
		return FAIL(p, value_col, key, "missing value");
	r = cv_conf_type_ops(k->type)->parse(k, value, cv_conf_field(p->inst, k), msg, sizeof(msg));
	if (r == -EINVAL)
		return FAIL(p, value_col, key, "%s", msg);
	if (r < 0)
		return r;
	if (k->flags & CV_K_REPEAT)
		cv_conf_type_ops(k->type)->mark(cv_conf_field(p->inst, k), p->line, (uint32_t)key_col);
	if (!pos->line) /* a repeated key: where it was first given */
		*pos = (struct cv_conf_pos){ .line = p->line, .col = (uint32_t)key_col };
	return 0;
}

static bool
is_key_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

/* "key: value"; colon points at the ':' */
static int
key_value(struct parser *p, char *s, char *colon)
{
	char *value = colon + 1;

	*colon = '\0';
	for (const char *c = s; *c; c++)
		if (!is_key_char(*c))
			return FAIL(p, COL(p, s), "syntax", "'%s' is not a valid key", Q(s));
	value += strspn(value, " \t");
	/* "key:#x" would print as "key: #x", a comment: '#' never starts a value. */
	if (*value == '#')
		*value = '\0';
	return set_key(p, s, COL(p, s), value, COL(p, value));
}

static int
parse_line(struct parser *p)
{
	char *s = p->buf, *colon;
	size_t n;

	strip(s);
	s += strspn(s, " \t");
	if (*s == '\0')
		return 0;
	if (*s == '}')
		return close_section(p, s);
	colon = strchr(s, ':');
	/* A key is one word right before the ':'; anything else ending in '{' opens a section. */
	if (colon && strcspn(s, " \t") >= (size_t)(colon - s) && colon != s)
		return key_value(p, s, colon);
	n = strlen(s);
	if (s[n - 1] == '{') {
		s[n - 1] = '\0';
		strip(s);
		return open_section(p, s);
	}
	return syntax_error(p, s, "'key: value', 'SECTION [NAME] {' or '}'");
}

static int
parse_text(struct parser *p)
{
	int r;

	while ((r = read_line(p)) > 0) {
		r = parse_line(p);
		if (r < 0)
			return r;
	}
	if (r < 0)
		return r;
	if (p->sec) {
		const struct cv_conf_head *h = p->inst;
		char label[128];

		return cv_conf_fail(p->err, h->line, h->col, p->sec->name, "section %s is not closed",
				    cv_conf_label(p->sec, h, label, sizeof(label)));
	}
	return 0;
}

/* ---- defaults ---- */

static int
apply_key_default(struct cv_config *c, const struct cv_conf_section *s, void *inst,
		  const struct cv_conf_key *k, struct cv_conf_error *e)
{
	const struct cv_conf_head *h = inst;
	char msg[320], label[128];
	int r;

	if (cv_conf_key_pos(c, inst, s, k).line)
		return 0;
	if (k->flags & CV_K_REQUIRED)
		return cv_conf_fail(e, h->line, h->col, k->name, "missing in section %s",
				    cv_conf_label(s, inst, label, sizeof(label)));
	if (!k->def)
		return 0;
	r = cv_conf_type_ops(k->type)->parse(k, k->def, cv_conf_field(inst, k), msg, sizeof(msg));
	if (r == -EINVAL) /* a bug in the schema table; the unit tests parse every default */
		return cv_conf_fail(e, 0, 0, k->name, "bad default '%s': %s", k->def, msg);
	return r;
}

static int
apply_defaults(struct cv_config *c, struct cv_conf_error *e)
{
	for (size_t i = 0; i < _CV_CONF_SECTION_MAX; i++) {
		const struct cv_conf_section *s = &cv_conf_sections[i];

		for (size_t j = 0; j < cv_conf_count(c, s); j++)
			for (size_t k = 0; k < s->n_keys; k++) {
				int r = apply_key_default(c, s, cv_conf_instance(c, s, j),
							  &s->keys[k], e);
				if (r < 0)
					return r;
			}
	}
	return 0;
}

static void
config_freep(struct cv_config **c)
{
	cv_config_free(*c);
}

/*
 * The VIP table grew by doubling (cv_conf_grow): give the unused tail back,
 * up to half of it (10,000 VIPs: 0.8 MB). Nothing grows it after the
 * parse, which cv_conf_grow's power-of-two capacity would not survive.
 */
static void
fit_vips(struct cv_config *c)
{
	struct cv_vip_conf *v = c->n_vips ? realloc(c->vips, c->n_vips * sizeof(*v)) : NULL;

	if (v)
		c->vips = v;
}

int
cv_config_parse(const char *text, size_t len, struct cv_config **ret,
		struct cv_conf_error *reterr)
{
	_cleanup_(config_freep) struct cv_config *c = NULL;
	_cleanup_free_ struct parser *p = NULL;
	struct cv_conf_error e = {};
	int r;

	if (len > CV_CONFIG_MAX_SIZE) {
		*reterr = e;
		snprintf(reterr->key, sizeof(reterr->key), "file");
		snprintf(reterr->msg, sizeof(reterr->msg), "too large (at most %u bytes)",
			 CV_CONFIG_MAX_SIZE);
		return -EFBIG;
	}
	p = calloc(1, sizeof(*p));
	if (!p || cv_conf_alloc(&c) < 0)
		return -ENOMEM;
	*p = (struct parser){ .text = text, .len = len, .cfg = c, .err = &e };
	r = parse_text(p);
	if (r >= 0)
		r = apply_defaults(c, &e);
	if (r >= 0)
		r = cv_conf_validate(c, &e);
	if (r >= 0) {
		fit_vips(c);
		cv_config_resolve_clouds(c);
		r = cv_config_index_hosts(c);
	}
	if (r >= 0)
		r = cv_config_make_members(c);
	if (r < 0) {
		if (r == -EINVAL)
			*reterr = e;
		return r;
	}
	*ret = TAKE_PTR(c);
	return 0;
}

int
cv_config_new_default(struct cv_config **ret)
{
	_cleanup_(config_freep) struct cv_config *c = NULL;
	struct cv_conf_error e;
	int r;

	r = cv_conf_alloc(&c);
	if (r < 0)
		return r;
	r = apply_defaults(c, &e);
	if (r >= 0)
		r = cv_config_index_hosts(c);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(c);
	return 0;
}
