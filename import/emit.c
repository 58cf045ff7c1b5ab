/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The importer's model (import.h) and how it is written as corovip.conf:
 * the cluster section (what was said of it), the nodes, the checks, the
 * VIPs, each with the comments of what had no equivalent just above it.
 * Only what the source said is written: the rest is corovip's defaults,
 * which corovipd --test-config shows.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cv-macros.h"
#include "import.h"
#include "name.h"

void
imp_conf_init(struct imp_conf *c)
{
	*c = (struct imp_conf){ .preempt_delay_ms = IMP_UNSET };
}

void
imp_conf_done(struct imp_conf *c)
{
	for (size_t i = 0; i < c->n_vips; i++) {
		for (size_t k = 0; k < c->vips[i].n_addrs; k++)
			free(c->vips[i].addrs[k]);
		free(c->vips[i].notify);
		cv_strbuf_done(&c->vips[i].notes);
	}
	for (size_t i = 0; i < c->n_checks; i++) {
		free(c->checks[i].exec);
		cv_strbuf_done(&c->checks[i].notes);
	}
	cv_strbuf_done(&c->notes);
	cv_strbuf_done(&c->source);
}

void
imp_name(const char *s, char *out, size_t size)
{
	size_t n = 0;

	for (; *s && n + 1 < size && n < CV_NAME_MAX; s++) {
		char ch = *s;

		if (!cv_name_is_valid(&ch, 1, 1) && !(n > 0 && (ch == '.' || ch == '-' || ch == '_')))
			ch = n == 0 ? 'x' : '_';
		out[n++] = ch;
	}
	if (n == 0)
		out[n++] = 'x';
	out[n] = '\0';
}

int
imp_node(struct imp_conf *c, const char *name)
{
	char n[CV_NAME_MAX + 1];

	imp_name(name, n, sizeof(n));
	for (size_t i = 0; i < c->n_nodes; i++)
		if (strcmp(c->nodes[i], n) == 0)
			return (int)i;
	if (c->n_nodes == IMP_NODES) {
		c->err = -E2BIG;
		return -1;
	}
	snprintf(c->nodes[c->n_nodes], sizeof(c->nodes[0]), "%s", n);
	return (int)c->n_nodes++;
}

struct imp_vip *
imp_vip_find(struct imp_conf *c, const char *name)
{
	char n[CV_NAME_MAX + 1];

	imp_name(name, n, sizeof(n));
	for (size_t i = 0; i < c->n_vips; i++)
		if (strcmp(c->vips[i].name, n) == 0)
			return &c->vips[i];
	return NULL;
}

struct imp_vip *
imp_vip(struct imp_conf *c, const char *name)
{
	struct imp_vip *v = imp_vip_find(c, name);

	if (v)
		return v;
	if (c->n_vips == IMP_VIPS) {
		c->err = -E2BIG;
		return NULL;
	}
	v = &c->vips[c->n_vips++];
	*v = (struct imp_vip){ .preempt = -1, .stickiness = -1, .nodad = -1, .deprecated = -1,
			       .announce_count = IMP_UNSET, .announce_interval_ms = IMP_UNSET,
			       .announce_refresh_ms = IMP_UNSET };
	imp_name(name, v->name, sizeof(v->name));
	return v;
}

struct imp_check *
imp_check(struct imp_conf *c, const char *name)
{
	char n[CV_NAME_MAX + 1];
	struct imp_check *k;

	imp_name(name, n, sizeof(n));
	for (size_t i = 0; i < c->n_checks; i++)
		if (strcmp(c->checks[i].name, n) == 0)
			return &c->checks[i];
	if (c->n_checks == IMP_CHECKS) {
		c->err = -E2BIG;
		return NULL;
	}
	k = &c->checks[c->n_checks++];
	*k = (struct imp_check){ .interval_ms = IMP_UNSET, .timeout_ms = IMP_UNSET,
				 .rise = IMP_UNSET, .fall = IMP_UNSET };
	snprintf(k->name, sizeof(k->name), "%s", n);
	return k;
}

void
imp_vip_add_addr(struct imp_conf *c, struct imp_vip *v, const char *addr, const char *dev)
{
	struct cv_strbuf b = {};
	char *text = NULL;

	cv_strbuf_append(&b, addr);
	if (dev && *dev && strcmp(dev, v->interface) != 0)
		cv_strbuf_printf(&b, " dev %s", dev);
	if (cv_strbuf_steal(&b, &text) < 0) {
		c->err = -ENOMEM;
		return;
	}
	for (size_t k = 0; k < v->n_addrs; k++)
		if (strcmp(v->addrs[k], text) == 0) {
			free(text);
			return;
		}
	if (v->n_addrs == IMP_ADDRS) {
		free(text);
		c->err = -E2BIG;
		return;
	}
	v->addrs[v->n_addrs++] = text;
}

void
imp_vip_add_check(struct imp_conf *c, struct imp_vip *v, const char *check)
{
	char n[CV_NAME_MAX + 1];

	imp_name(check, n, sizeof(n));
	for (size_t k = 0; k < v->n_checks; k++)
		if (strcmp(v->checks[k], n) == 0)
			return;
	if (v->n_checks == IMP_LIST) {
		c->err = -E2BIG;
		return;
	}
	snprintf(v->checks[v->n_checks++], sizeof(v->checks[0]), "%s", n);
}

void
imp_note(struct cv_strbuf *notes, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* one comment line: what came from the source may hold a newline */
	for (char *p = line; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	/* once: every node's file may say the same */
	for (const char *p = notes->buf; p && (p = strstr(p, line)); p++)
		if (p >= notes->buf + 2 && p[-2] == '#' && (p - 2 == notes->buf || p[-3] == '\n') &&
		    p[strlen(line)] == '\n')
			return;
	cv_strbuf_printf(notes, "# %s\n", line);
}

uint32_t
imp_uint(const char *s, uint32_t min, uint32_t max, uint32_t dflt)
{
	char *end;
	unsigned long long v;

	if (!s || *s < '0' || *s > '9')
		return dflt;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end || errno)
		return errno == ERANGE ? max : dflt;
	return v < min ? min : v > max ? max : (uint32_t)v;
}

int
imp_seconds(const char *s, uint32_t *ms)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || v < 0 || v > 86400)
		return -EINVAL;
	if (strcmp(end, "ms") == 0)
		v /= 1000;
	else if (*end && strcmp(end, "s") != 0)
		return -EINVAL;
	*ms = (uint32_t)(v * 1000 + 0.5);
	return 0;
}

/* ---- writing ---- */

static void
duration(struct cv_strbuf *b, const char *key, uint32_t ms)
{
	if (ms == IMP_UNSET)
		return;
	if (ms % 1000 == 0)
		cv_strbuf_printf(b, "\t%s: %us\n", key, ms / 1000);
	else
		cv_strbuf_printf(b, "\t%s: %ums\n", key, ms);
}

static void
number(struct cv_strbuf *b, const char *key, uint32_t n)
{
	if (n != IMP_UNSET)
		cv_strbuf_printf(b, "\t%s: %u\n", key, n);
}

static void
yes_no(struct cv_strbuf *b, const char *key, int v)
{
	if (v >= 0)
		cv_strbuf_printf(b, "\t%s: %s\n", key, v ? "yes" : "no");
}

static void
emit_check(const struct imp_check *k, struct cv_strbuf *out)
{
	if (k->notes.buf)
		cv_strbuf_append(out, k->notes.buf);
	cv_strbuf_printf(out, "check %s {\n", k->name);
	if (k->exec)
		cv_strbuf_printf(out, "\texec: %s\n", k->exec);
	else
		cv_strbuf_printf(out, "\tlink: %s\n", k->link);
	if (k->shell)
		cv_strbuf_append(out, "\tshell: yes\n");
	duration(out, "interval", k->interval_ms);
	duration(out, "timeout", k->timeout_ms);
	number(out, "rise", k->rise);
	number(out, "fall", k->fall);
	cv_strbuf_append(out, "}\n");
}

/* prefer: the nodes that scored it, highest first (ties: the order of nodes). */
static void
emit_prefer(const struct imp_conf *c, const struct imp_vip *v, struct cv_strbuf *out)
{
	bool used[IMP_NODES] = { false };
	bool any = false;

	for (;;) {
		int best = -1;

		for (size_t i = 0; i < c->n_nodes; i++)
			if (v->scored[i] && !used[i] && (best < 0 || v->score[i] > v->score[best]))
				best = (int)i;
		if (best < 0)
			break;
		used[best] = true;
		cv_strbuf_printf(out, "%s%s", any ? " " : "\tprefer: ", c->nodes[best]);
		any = true;
	}
	if (any)
		cv_strbuf_append(out, "\n");
}

static void
emit_vip(const struct imp_conf *c, const struct imp_vip *v, struct cv_strbuf *out)
{
	if (v->notes.buf)
		cv_strbuf_append(out, v->notes.buf);
	if (!v->n_addrs) {
		cv_strbuf_printf(out, "# %s is not written: it has no address\n", v->name);
		return;
	}
	cv_strbuf_printf(out, "vip %s {\n", v->name);
	for (size_t k = 0; k < v->n_addrs; k++)
		cv_strbuf_printf(out, "\taddress: %s\n", v->addrs[k]);
	if (v->interface[0])
		cv_strbuf_printf(out, "\tinterface: %s\n", v->interface);
	emit_prefer(c, v, out);
	yes_no(out, "preempt", v->preempt);
	yes_no(out, "stickiness", v->stickiness);
	for (size_t k = 0; k < v->n_checks; k++)
		cv_strbuf_printf(out, "%s%s%s", k ? " " : "\tcheck: ", v->checks[k],
				 k + 1 == v->n_checks ? "\n" : "");
	number(out, "announce_count", v->announce_count);
	duration(out, "announce_interval", v->announce_interval_ms);
	duration(out, "announce_refresh", v->announce_refresh_ms);
	yes_no(out, "nodad", v->nodad);
	yes_no(out, "deprecated", v->deprecated);
	if (v->notify)
		cv_strbuf_printf(out, "\tnotify: %s\n", v->notify);
	cv_strbuf_append(out, "}\n");
}

void
imp_emit(const struct imp_conf *c, struct cv_strbuf *out)
{
	cv_strbuf_append(out, "# corovip.conf written by corovip-import: check it with\n"
			      "#   corovipd --test-config FILE\n");
	if (c->source.buf)
		cv_strbuf_append(out, c->source.buf);
	if (c->notes.buf)
		cv_strbuf_append(out, c->notes.buf);
	if (c->preempt_delay_ms != IMP_UNSET || c->script_user[0]) {
		cv_strbuf_append(out, "cluster {\n");
		duration(out, "preempt_delay", c->preempt_delay_ms);
		if (c->script_user[0])
			cv_strbuf_printf(out, "\tscript_user: %s\n", c->script_user);
		cv_strbuf_append(out, "}\n");
	}
	for (size_t i = 0; i < c->n_nodes; i++)
		cv_strbuf_printf(out, "node %s {\n}\n", c->nodes[i]);
	for (size_t i = 0; i < c->n_checks; i++)
		emit_check(&c->checks[i], out);
	for (size_t i = 0; i < c->n_vips; i++)
		if (!c->vips[i].merged)
			emit_vip(c, &c->vips[i], out);
}
