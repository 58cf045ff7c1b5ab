/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * keepalived.conf read into the importer's model (import.h).
 *
 * The text: words split at blanks, "quoted" words, '#' and '!' to the end
 * of the line, '{' and '}' their own words; one statement per line, and a
 * statement followed by '{' (on its line or the next) opens a block of
 * statements up to its '}' (a block opened and closed on one line is one
 * statement of its words). "include PATTERN" is read where it stands, through
 * the program's read_file (which expands the pattern); "$NAME=VALUE" lines
 * define what $NAME and ${NAME} stand for; lines of another config id
 * ("@id ...") are left out, and said so.
 *
 * What maps (keepalived.conf(5) -> corovip.conf(5)):
 *   vrrp_instance NAME          vip NAME (a vrrp_sync_group: one VIP of all
 *                                its instances' addresses, named after it)
 *     interface                 interface
 *     virtual_ipaddress(_excluded)  address (dev kept; no prefix: /32, /128)
 *     priority, state           prefer: the nodes by priority (one file per node)
 *     nopreempt, preempt_delay  preempt: no (keepalived preempts by default:
 *                                preempt: yes), the cluster's preempt_delay
 *     track_script              check NAME (from vrrp_script: exec, interval,
 *                                timeout, rise, fall)
 *     track_interface           check link_IF (link: IF)
 *     notify_master/_backup/_fault/_stop, notify   notify (one hook told the
 *                                new state: a /bin/sh case that runs yours)
 *     garp_master_repeat, garp_interval, garp_master_refresh
 *                               announce_count, announce_interval, announce_refresh
 *   global_defs script_user     cluster script_user
 * What has no equivalent gets a comment beside it: VRRP itself
 * (virtual_router_id, advert_int, authentication, unicast peers: corosync's
 * membership and quorum decide), weights (a corovip check passes or fails),
 * LVS (virtual_server), static addresses and routes, BFD, tracked files and
 * processes.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cv-macros.h"
#include "import.h"

#define INCLUDE_DEPTH 8
#define BLOCK_DEPTH 16
#define DEFS_MAX 64

struct tok {
	char *text;
	uint32_t line;
};

struct node {
	char **w;
	size_t n;
	uint32_t line;
	struct node *kids;
	size_t n_kids;
	bool block;
};

struct lexer {
	struct tok *t;
	size_t n, cap;
	char *defs[DEFS_MAX][2];
	size_t n_defs;
	size_t skipped; /* "@id" lines */
	imp_read_fn read_file;
	char *err;
	size_t errlen;
	int r;
};

static int fail(struct lexer *x, int r, uint32_t line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int
fail(struct lexer *x, int r, uint32_t line, const char *fmt, ...)
{
	if (x->r == 0) {
		char msg[256];
		va_list ap;

		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		snprintf(x->err, x->errlen, "line %u: %s", line, msg);
		x->r = r;
	}
	return x->r;
}

static void
push(struct lexer *x, const char *s, size_t len, uint32_t line)
{
	char *text = strndup(s, len);

	if (x->n == x->cap) {
		size_t cap = x->cap ? 2 * x->cap : 256;
		struct tok *t = realloc(x->t, cap * sizeof(*t));

		if (!t) {
			free(text);
			fail(x, -ENOMEM, line, "out of memory");
			return;
		}
		x->t = t;
		x->cap = cap;
	}
	if (!text) {
		fail(x, -ENOMEM, line, "out of memory");
		return;
	}
	x->t[x->n++] = (struct tok){ text, line };
}

/* $NAME and ${NAME} in line replaced by their definitions (into out). */
static void
expand(const struct lexer *x, const char *line, char *out, size_t size)
{
	size_t o = 0;

	for (const char *p = line; *p && o + 1 < size;) {
		size_t k, len = 0;
		bool braced = p[0] == '$' && p[1] == '{';

		for (k = 0; p[0] == '$' && k < x->n_defs; k++) {
			len = strlen(x->defs[k][0]);
			if (strncmp(p + 1 + braced, x->defs[k][0], len) == 0 &&
			    (!braced || p[2 + len] == '}'))
				break;
		}
		if (p[0] != '$' || k == x->n_defs) {
			out[o++] = *p++;
			continue;
		}
		o += (size_t)snprintf(out + o, size - o, "%s", x->defs[k][1]);
		o = CV_MIN(o, size - 1);
		p += 1 + braced + len + braced;
	}
	out[o] = '\0';
}

static bool
define(struct lexer *x, const char *line)
{
	const char *eq = strchr(line, '=');
	size_t n = strspn(line + 1, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_");

	if (line[0] != '$' || !eq || eq != line + 1 + n || n == 0)
		return false;
	if (x->n_defs < DEFS_MAX) {
		char *name = strndup(line + 1, n), *value = strdup(eq + 1);

		if (!name || !value) {
			free(name);
			free(value);
			x->r = x->r ? x->r : -ENOMEM;
			return true;
		}
		value[strcspn(value, "\r\n")] = '\0';
		x->defs[x->n_defs][0] = name;
		x->defs[x->n_defs++][1] = value;
	}
	return true;
}

static void lex_text(struct lexer *x, const char *text, int depth);

static void
include(struct lexer *x, const char *pattern, uint32_t line, int depth)
{
	char *text = NULL;
	size_t len;
	int r;

	if (depth >= INCLUDE_DEPTH) {
		fail(x, -ELOOP, line, "include %s: too deep (a loop?)", pattern);
		return;
	}
	r = x->read_file(pattern, &text, &len);
	if (r < 0) {
		fail(x, r, line, "include %s: cannot be read", pattern);
		return;
	}
	lex_text(x, text, depth + 1);
	free(text);
}

/* One line's words (after its comment is cut). */
static void
lex_line(struct lexer *x, const char *s, uint32_t line, int depth)
{
	size_t first = x->n;

	while (*s && x->r == 0) {
		size_t len;

		s += strspn(s, " \t\r");
		if (!*s || *s == '#' || *s == '!')
			break;
		if (*s == '{' || *s == '}') {
			push(x, s++, 1, line);
			continue;
		}
		if (*s == '"') {
			len = strcspn(s + 1, "\"");
			push(x, s + 1, len, line);
			s += 1 + len + (s[1 + len] == '"');
			continue;
		}
		len = strcspn(s, " \t\r{}#!");
		push(x, s, len, line);
		s += len;
	}
	if (x->r == 0 && x->n - first >= 2 && strcmp(x->t[first].text, "include") == 0) {
		char pattern[1024];

		snprintf(pattern, sizeof(pattern), "%s", x->t[first + 1].text);
		while (x->n > first)
			free(x->t[--x->n].text);
		include(x, pattern, line, depth);
	}
}

static void
lex_text(struct lexer *x, const char *text, int depth)
{
	uint32_t line = 0;

	for (const char *p = text; *p && x->r == 0;) {
		size_t n = strcspn(p, "\n");
		char raw[4096], buf[4096];

		line++;
		snprintf(raw, sizeof(raw), "%.*s", (int)CV_MIN(n, sizeof(raw) - 1), p);
		p += n + (p[n] == '\n');
		const char *s = raw + strspn(raw, " \t");
		if (*s == '@') { /* another config id's line (keepalived -i) */
			x->skipped++;
			continue;
		}
		if (define(x, s))
			continue;
		expand(x, s, buf, sizeof(buf));
		lex_line(x, buf, line, depth);
	}
}

/* ---- statements and blocks ---- */

static void
node_free(struct node *n)
{
	for (size_t i = 0; i < n->n_kids; i++)
		node_free(&n->kids[i]);
	free(n->kids);
	free(n->w);
}

static int parse_block(struct lexer *x, size_t *i, struct node *parent, int depth, bool top);

static int
add_kid(struct lexer *x, struct node *parent, struct node **ret)
{
	struct node *k = realloc(parent->kids, (parent->n_kids + 1) * sizeof(*k));

	if (!k)
		return fail(x, -ENOMEM, 0, "out of memory");
	parent->kids = k;
	*ret = &k[parent->n_kids++];
	**ret = (struct node){};
	return 0;
}

static int
add_word(struct lexer *x, struct node *n, char *w)
{
	char **v = realloc(n->w, (n->n + 1) * sizeof(*v));

	if (!v)
		return fail(x, -ENOMEM, n->line, "out of memory");
	n->w = v;
	n->w[n->n++] = w;
	return 0;
}

/* A block opened and closed on one line: one statement of its words. */
static int
parse_inline(struct lexer *x, size_t *i, struct node *parent)
{
	struct node *s;
	uint32_t line = x->t[*i].line;
	int r = add_kid(x, parent, &s);

	s->line = line;
	for (; r == 0 && *i < x->n && strcmp(x->t[*i].text, "}") != 0; (*i)++)
		r = add_word(x, s, x->t[*i].text);
	if (r == 0 && *i < x->n)
		(*i)++;
	return r;
}

static bool
closes_on_line(const struct lexer *x, size_t i)
{
	for (size_t k = i; k < x->n && x->t[k].line == x->t[i - 1].line; k++) {
		if (strcmp(x->t[k].text, "{") == 0)
			return false;
		if (strcmp(x->t[k].text, "}") == 0)
			return true;
	}
	return false;
}

static int
parse_block(struct lexer *x, size_t *i, struct node *parent, int depth, bool top)
{
	if (depth > BLOCK_DEPTH)
		return fail(x, -EINVAL, x->t[*i].line, "blocks nested too deep");
	while (*i < x->n && x->r == 0) {
		struct node *s;
		uint32_t line = x->t[*i].line;

		if (strcmp(x->t[*i].text, "}") == 0) {
			if (top)
				return fail(x, -EINVAL, line, "'}' closes no block");
			(*i)++;
			return 0;
		}
		if (add_kid(x, parent, &s) < 0)
			return x->r;
		s->line = line;
		while (*i < x->n && x->t[*i].line == line && strcmp(x->t[*i].text, "{") != 0 &&
		       strcmp(x->t[*i].text, "}") != 0)
			if (add_word(x, s, x->t[(*i)++].text) < 0)
				return x->r;
		if (*i >= x->n || strcmp(x->t[*i].text, "{") != 0)
			continue;
		(*i)++;
		s->block = true;
		if (closes_on_line(x, *i))
			parse_inline(x, i, s);
		else
			parse_block(x, i, s, depth + 1, false);
	}
	if (!top && x->r == 0)
		return fail(x, -EINVAL, parent->line, "%s's block is not closed",
			    parent->n ? parent->w[0] : "this");
	return x->r;
}

/* ---- mapping ---- */

struct ctx {
	struct imp_conf *c;
	int node;	   /* index in c->nodes */
	const char *path;
	struct cv_strbuf vrrp; /* VRRP's own keys seen (one note for the file) */
};

/* VRRP's own settings: corosync's membership and quorum stand for them. */
static const char *const vrrp_only[] = {
	"virtual_router_id", "advert_int", "authentication", "unicast_src_ip", "unicast_peer",
	"mcast_src_ip", "version", "use_vmac", "vmac_xmit_base", "dont_track_primary",
	"accept", "no_accept", "smtp_alert", "lvs_sync_daemon_interface", "native_ipv6",
	"check_unicast_src", "unicast_ttl", "garp_master_delay", "garp_lower_prio_delay",
	"garp_lower_prio_repeat", "garp_master_refresh_repeat", "skip_check_adv_addr",
	"strict_mode", "debug", "notify_master_rx_lower_pri", "kernel_rx_buf_size",
	"global_tracking", "sync_group_tracking_weight",
};

/* w is VRRP's own: noted once per file. */
static bool
vrrp_key(struct ctx *x, const char *w)
{
	char item[80];

	for (size_t k = 0; k < ELEMENTSOF(vrrp_only); k++) {
		if (strcmp(w, vrrp_only[k]) != 0)
			continue;
		snprintf(item, sizeof(item), " %s,", w);
		if (!x->vrrp.buf || !strstr(x->vrrp.buf, item))
			cv_strbuf_append(&x->vrrp, item);
		return true;
	}
	return false;
}

static bool
is(const struct node *s, const char *word)
{
	return s->n > 0 && strcmp(s->w[0], word) == 0;
}

static const char *
arg(const struct node *s, size_t k)
{
	return k < s->n ? s->w[k] : "";
}

/* "ADDR[/P] [dev IF] [...]": the address with its prefix (keepalived's default /32, /128). */
static void
vip_address(struct ctx *x, struct imp_vip *v, const struct node *s)
{
	const char *a = arg(s, 0), *dev = NULL;
	char text[80];

	for (size_t k = 1; k + 1 < s->n; k++)
		if (strcmp(s->w[k], "dev") == 0)
			dev = s->w[k + 1];
	for (size_t k = 1; k < s->n; k++)
		if (strcmp(s->w[k], "label") == 0 || strcmp(s->w[k], "scope") == 0 ||
		    strcmp(s->w[k], "brd") == 0 || strcmp(s->w[k], "broadcast") == 0 ||
		    strcmp(s->w[k], "no_track") == 0 || strcmp(s->w[k], "preferred_lft") == 0) {
			imp_note(&v->notes, "'%s' of address %s is not kept (corovip adds "
				 "the address with the kernel's defaults)", s->w[k], a);
			break;
		}
	snprintf(text, sizeof(text), "%s%s", a,
		 strchr(a, '/') ? "" : strchr(a, ':') ? "/128" : "/32");
	imp_vip_add_addr(x->c, v, text, dev);
}

/*
 * corovip runs a command by its absolute path: one found on PATH runs
 * through /usr/bin/env, a shell line through /bin/sh -c (keepalived's
 * scripts run through a shell too; dash, not bash, is Debian's sh).
 */
static void
relative_script(struct ctx *x, struct imp_check *k)
{
	struct cv_strbuf b = {};

	if (k->shell && strchr(k->exec, '\'')) {
		imp_note(&k->notes, "vrrp_script %s: give its script an absolute path", k->name);
		cv_strbuf_append(&b, "/bin/false");
	} else if (k->shell) {
		cv_strbuf_printf(&b, "/bin/sh -c '%s'", k->exec);
		if (strstr(k->exec, "/dev/tcp/") || strstr(k->exec, "/dev/udp/"))
			imp_note(&k->notes, "vrrp_script %s: /dev/tcp is bash's: a tcp check does "
				 "this without a shell (tcp: ADDRESS:PORT)", k->name);
	} else {
		cv_strbuf_printf(&b, "/usr/bin/env %s", k->exec);
	}
	free(k->exec);
	k->exec = NULL;
	k->shell = false;
	if (cv_strbuf_steal(&b, &k->exec) < 0)
		x->c->err = -ENOMEM;
}

static void
script_check(struct ctx *x, const struct node *blk)
{
	struct imp_check *k = imp_check(x->c, arg(blk, 1));

	if (!k)
		return;
	/* keepalived's defaults where corovip's differ */
	k->interval_ms = 1000;
	k->rise = k->fall = 1;
	for (size_t i = 0; i < blk->n_kids; i++) {
		const struct node *s = &blk->kids[i];
		uint32_t ms;

		if (is(s, "script") && s->n >= 2) {
			struct cv_strbuf b = {};

			for (size_t w = 1; w < s->n; w++)
				cv_strbuf_printf(&b, "%s%s", w > 1 ? " " : "", s->w[w]);
			free(k->exec);
			k->exec = NULL;
			(void)cv_strbuf_steal(&b, &k->exec);
			k->shell = k->exec && strpbrk(k->exec, "|;&<>$`*?()") != NULL;
		} else if ((is(s, "interval") || is(s, "timeout")) && imp_seconds(arg(s, 1), &ms) == 0) {
			*(is(s, "interval") ? &k->interval_ms : &k->timeout_ms) = CV_MAX(ms, 100u);
		} else if (is(s, "rise") || is(s, "fall")) {
			uint32_t *to = is(s, "rise") ? &k->rise : &k->fall;

			*to = imp_uint(arg(s, 1), 1, 100, *to);
		} else if (is(s, "weight")) {
			imp_note(&k->notes, "vrrp_script %s: weight %s has no equivalent: a failing "
				 "corovip check makes the node unfit for the VIP", k->name, arg(s, 1));
		} else if (is(s, "user")) {
			imp_note(&k->notes, "vrrp_script %s: user %s: corovip runs every check as the "
				 "cluster's script_user", k->name, arg(s, 1));
		} else if (s->n) {
			imp_note(&k->notes, "vrrp_script %s: '%s' has no equivalent", k->name,
				 s->w[0]);
		}
	}
	if (k->timeout_ms == IMP_UNSET) /* keepalived's: the interval; corovip's ends before it */
		k->timeout_ms = CV_MAX(k->interval_ms / 10 * 9, 10u);
	if (k->timeout_ms >= k->interval_ms) { /* corovip's timeout ends before the next run */
		imp_note(&k->notes, "vrrp_script %s: its timeout (%u ms) is cut to 9/10 of its "
			 "interval: raise interval if the script needs it all", k->name, k->timeout_ms);
		k->timeout_ms = CV_MAX(k->interval_ms / 10 * 9, 10u);
	}
	if (!k->exec) {
		imp_note(&k->notes, "vrrp_script %s has no script: it always passes", k->name);
		k->exec = strdup("/bin/true");
	}
	if (k->exec && k->exec[0] != '/')
		relative_script(x, k);
}

static void
track_scripts(struct ctx *x, struct imp_vip *v, const struct node *blk)
{
	for (size_t i = 0; i < blk->n_kids; i++) {
		const struct node *s = &blk->kids[i];

		for (size_t w = 0; w < s->n; w++) {
			if (strcmp(s->w[w], "weight") == 0) {
				imp_note(&v->notes, "track_script weight %s has no equivalent: a "
					 "failing check makes the node unfit", arg(s, w + 1));
				break;
			}
			imp_vip_add_check(x->c, v, s->w[w]);
		}
	}
}

static void
track_interfaces(struct ctx *x, struct imp_vip *v, const struct node *blk)
{
	for (size_t i = 0; i < blk->n_kids; i++) {
		const struct node *s = &blk->kids[i];
		char name[CV_NAME_MAX + 1];
		struct imp_check *k;

		if (!s->n)
			continue;
		snprintf(name, sizeof(name), "link_%s", s->w[0]);
		k = imp_check(x->c, name);
		if (!k)
			continue;
		snprintf(k->link, sizeof(k->link), "%s", s->w[0]);
		imp_vip_add_check(x->c, v, k->name);
		if (s->n > 1)
			imp_note(&v->notes, "track_interface %s %s...: weights have no equivalent",
				 s->w[0], s->w[1]);
	}
}

/*
 * keepalived's notify scripts as one corovip hook, told the new state in
 * $COROVIP_NEW_STATE (held, releasing, idle, waiting). notify gets
 * keepalived's arguments: INSTANCE NAME STATE PRIORITY.
 */
struct hooks {
	const char *master, *backup, *fault, *stop, *any;
};

static void
set_notify(struct ctx *x, struct imp_vip *v, const struct hooks *h, const char *kind)
{
	const char *all[] = { h->master, h->backup, h->fault, h->stop, h->any };
	struct cv_strbuf b = {};

	for (size_t i = 0; i < ELEMENTSOF(all); i++)
		if (all[i] && strchr(all[i], '\'')) {
			imp_note(&v->notes, "a notify script with a ' in it is not converted: %s",
				 all[i]);
			return;
		}
	if (!h->master && !h->backup && !h->stop && !h->any)
		return;
	cv_strbuf_append(&b, "/bin/sh -c '");
	if (h->master || h->stop || h->backup) {
		cv_strbuf_append(&b, "case \"$COROVIP_NEW_STATE\" in ");
		if (h->master)
			cv_strbuf_printf(&b, "held) %s;; ", h->master);
		if (h->stop)
			cv_strbuf_printf(&b, "releasing) %s;; ", h->stop);
		if (h->backup)
			cv_strbuf_printf(&b, "idle|waiting) %s;; ", h->backup);
		cv_strbuf_printf(&b, "esac%s", h->any ? "; " : "");
	}
	if (h->any) /* keepalived's arguments: TYPE NAME STATE PRIORITY */
		cv_strbuf_printf(&b, "case \"$COROVIP_NEW_STATE\" in held) s=MASTER;; idle|waiting) "
				     "s=BACKUP;; *) s=STOP;; esac; %s %s \"$COROVIP_VIP\" $s 0", h->any, kind);
	cv_strbuf_append(&b, "'");
	free(v->notify);
	v->notify = NULL;
	if (cv_strbuf_steal(&b, &v->notify) < 0)
		x->c->err = -ENOMEM;
	if (h->fault)
		imp_note(&v->notes, "notify_fault has no state of its own: a node whose checks fail "
			 "releases (notify_stop's, then notify_backup's)");
}

/* A notify_* statement into h: false if s is none. */
static bool
hook(const struct node *s, struct hooks *h)
{
	const char **to = is(s, "notify_master") ? &h->master
			  : is(s, "notify_backup") ? &h->backup
			  : is(s, "notify_fault")  ? &h->fault
			  : is(s, "notify_stop")   ? &h->stop
			  : is(s, "notify")	   ? &h->any
						   : NULL;

	if (to)
		*to = arg(s, 1);
	return to != NULL;
}

static void
instance_key(struct ctx *x, struct imp_vip *v, const struct node *s, struct hooks *h,
	     uint32_t *priority, bool *master)
{
	const char *w = arg(s, 0);
	uint32_t ms;

	if (is(s, "interface"))
		snprintf(v->interface, sizeof(v->interface), "%s", arg(s, 1));
	else if (is(s, "virtual_ipaddress") || is(s, "virtual_ipaddress_excluded"))
		for (size_t k = 0; k < s->n_kids; k++)
			vip_address(x, v, &s->kids[k]);
	else if (is(s, "priority"))
		*priority = imp_uint(arg(s, 1), 0, 255, *priority);
	else if (is(s, "state"))
		*master = strcmp(arg(s, 1), "MASTER") == 0;
	else if (is(s, "nopreempt"))
		v->preempt = 0;
	else if (is(s, "preempt"))
		v->preempt = 1;
	else if (is(s, "preempt_delay") && imp_seconds(arg(s, 1), &ms) == 0)
		x->c->preempt_delay_ms = x->c->preempt_delay_ms == IMP_UNSET
						 ? ms : CV_MAX(x->c->preempt_delay_ms, ms);
	else if (is(s, "track_script"))
		track_scripts(x, v, s);
	else if (is(s, "track_interface"))
		track_interfaces(x, v, s);
	else if (is(s, "garp_master_repeat"))
		v->announce_count = imp_uint(arg(s, 1), 0, 100, v->announce_count);
	else if (is(s, "garp_interval") && imp_seconds(arg(s, 1), &ms) == 0)
		v->announce_interval_ms = CV_MAX(ms, 10u);
	else if (is(s, "garp_master_refresh") && imp_seconds(arg(s, 1), &ms) == 0)
		v->announce_refresh_ms = CV_MIN(ms, 60000u);
	else if (!hook(s, h) && !vrrp_key(x, w))
		imp_note(&v->notes, "%s has no equivalent", w);
}

static void
instance(struct ctx *x, const struct node *blk)
{
	struct imp_vip *v = imp_vip(x->c, arg(blk, 1));
	struct hooks h = {};
	uint32_t priority = 100; /* keepalived's default */
	bool master = false;

	if (!v)
		return;
	for (size_t i = 0; i < blk->n_kids; i++)
		instance_key(x, v, &blk->kids[i], &h, &priority, &master);
	if (v->preempt < 0)
		v->preempt = 1; /* keepalived preempts unless told nopreempt */
	v->score[x->node] = (int64_t)priority * 2 + master; /* a MASTER first among equals */
	v->scored[x->node] = true;
	set_notify(x, v, &h, "INSTANCE");
	if (!v->n_addrs)
		imp_note(&v->notes, "vrrp_instance %s has no virtual_ipaddress", v->name);
}

/* vrrp_sync_group NAME { group { I1 I2 ... } }: kept to merge once every node is read. */
static void
sync_group(struct ctx *x, const struct node *blk)
{
	struct imp_vip *g = imp_vip(x->c, arg(blk, 1));
	struct hooks h = {};

	if (!g)
		return;
	for (size_t i = 0; i < blk->n_kids; i++) {
		const struct node *s = &blk->kids[i];

		if (is(s, "group"))
			for (size_t k = 0; k < s->n_kids; k++)
				for (size_t w = 0; w < s->kids[k].n; w++)
					imp_vip_add_check(x->c, g, s->kids[k].w[w]); /* members, for now */
		else if (hook(s, &h) || vrrp_key(x, arg(s, 0)))
			continue;
		else if (!s->block && s->n == 1 && strncmp(s->w[0], "track_", 6) != 0)
			imp_vip_add_check(x->c, g, s->w[0]); /* keepalived 1.x: members listed bare */
		else if (s->n)
			imp_note(&g->notes, "vrrp_sync_group %s: '%s' is not kept", g->name,
				 s->w[0]);
	}
	set_notify(x, g, &h, "GROUP"); /* the group's hooks stand for its instances' */
	g->merged = true; /* a group, not a VIP yet: imp_keepalived_finish */
	g->group = true;
}

static void
global_defs(struct ctx *x, const struct node *blk)
{
	for (size_t i = 0; i < blk->n_kids; i++) {
		const struct node *s = &blk->kids[i];

		if (is(s, "script_user") && s->n >= 2)
			snprintf(x->c->script_user, sizeof(x->c->script_user), "%s", s->w[1]);
		else if (is(s, "vrrp_garp_master_repeat") || is(s, "vrrp_garp_interval") ||
			 is(s, "vrrp_garp_master_refresh"))
			imp_note(&x->c->notes, "%s: global_defs %s: set announce_count, announce_interval "
				 "or announce_refresh in each vip instead", x->path, s->w[0]);
	}
}

static void
top_level(struct ctx *x, const struct node *s)
{
	if (is(s, "vrrp_instance") && s->block)
		instance(x, s);
	else if (is(s, "vrrp_script") && s->block)
		script_check(x, s);
	else if (is(s, "vrrp_sync_group") && s->block)
		sync_group(x, s);
	else if (is(s, "global_defs"))
		global_defs(x, s);
	else if (is(s, "virtual_server") || is(s, "virtual_server_group"))
		imp_note(&x->c->notes, "%s:%u: %s %s: LVS has no equivalent in corovip (keep "
			 "keepalived's LVS, or ipvsadm, beside it)", x->path, s->line, s->w[0], arg(s, 1));
	else if (s->n)
		imp_note(&x->c->notes, "%s:%u: %s has no equivalent", x->path, s->line, s->w[0]);
}

int
imp_keepalived(struct imp_conf *c, const char *node, const char *path, const char *text,
	       imp_read_fn read_file, char *err, size_t errlen)
{
	struct lexer x = { .read_file = read_file, .err = err, .errlen = errlen };
	struct node root = {};
	struct ctx m = { .c = c, .path = path };
	size_t i = 0;

	lex_text(&x, text, 0);
	if (x.r == 0)
		parse_block(&x, &i, &root, 0, true);
	m.node = imp_node(c, node);
	if (x.r == 0 && m.node < 0)
		x.r = -E2BIG, snprintf(err, errlen, "too many nodes");
	for (size_t k = 0; x.r == 0 && k < root.n_kids; k++)
		top_level(&m, &root.kids[k]);
	if (x.r == 0 && m.vrrp.buf) {
		m.vrrp.buf[m.vrrp.len - 1] = '\0'; /* the last ',' */
		imp_note(&c->notes, "%s: VRRP's own settings have no equivalent (corosync's membership "
			 "and quorum decide who holds a VIP):%s", path, m.vrrp.buf);
	}
	cv_strbuf_done(&m.vrrp);
	if (x.r == 0 && x.skipped)
		imp_note(&c->notes, "%s: %zu line(s) of another config id (@...) left out", path,
			 x.skipped);
	cv_strbuf_printf(&c->source, "#   from %s (node %s)\n", path, node);
	node_free(&root);
	for (size_t k = 0; k < x.n; k++)
		free(x.t[k].text);
	free(x.t);
	for (size_t k = 0; k < x.n_defs; k++) {
		free(x.defs[k][0]);
		free(x.defs[k][1]);
	}
	if (x.r == 0 && c->err)
		snprintf(err, errlen, "%s", c->err == -E2BIG ? "more than the importer holds" :
					    "out of memory");
	return x.r < 0 ? x.r : c->err;
}

/* A sync group's instances as one VIP of all their addresses, named after it. */
static void
merge_group(struct imp_conf *c, struct imp_vip *g)
{
	char members[IMP_LIST][CV_NAME_MAX + 1];
	size_t n = g->n_checks;

	memcpy(members, g->checks, sizeof(members));
	g->n_checks = 0;
	g->merged = false;
	g->preempt = -1;
	for (size_t i = 0; i < n; i++) {
		struct imp_vip *v = imp_vip_find(c, members[i]);

		if (!v || v == g) {
			imp_note(&g->notes, "vrrp_sync_group %s: no vrrp_instance %s", g->name, members[i]);
			continue;
		}
		imp_note(&g->notes, "vrrp_sync_group %s: vrrp_instance %s's addresses are in it", g->name,
			 v->name);
		if (!g->interface[0])
			snprintf(g->interface, sizeof(g->interface), "%s", v->interface);
		for (size_t k = 0; k < v->n_addrs; k++)
			imp_vip_add_addr(c, g, v->addrs[k], strchr(v->addrs[k], ' ') ? NULL : v->interface);
		for (size_t k = 0; k < v->n_checks; k++)
			imp_vip_add_check(c, g, v->checks[k]);
		for (size_t k = 0; k < IMP_NODES; k++)
			if (v->scored[k] && (!g->scored[k] || v->score[k] > g->score[k])) {
				g->score[k] = v->score[k];
				g->scored[k] = true;
			}
		g->preempt = g->preempt < 0 ? v->preempt : g->preempt && v->preempt;
		if (!g->notify && v->notify) /* the group's own, else its first instance's */
			g->notify = strdup(v->notify);
		if (v->notes.buf)
			cv_strbuf_append(&g->notes, v->notes.buf);
		v->merged = true;
	}
}

void
imp_keepalived_finish(struct imp_conf *c)
{
	for (size_t i = 0; i < c->n_vips; i++)
		if (c->vips[i].group && c->vips[i].merged)
			merge_group(c, &c->vips[i]);
	if (c->n_nodes == 1)
		imp_note(&c->notes, "one node's file: add a node section for each other node "
			 "(corosync's nodelist names), and its priority to prefer");
}
