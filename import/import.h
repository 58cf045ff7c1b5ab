/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * corovip-import (issue 19): a keepalived.conf or a Pacemaker IPaddr2
 * resource read into one model of what corovip.conf says, then written as
 * corovip.conf with a comment beside each thing that has no equivalent.
 * keepalived.c and cib.c fill the model, emit.c writes it. Pure: text in,
 * text out (the program reads the files and runs nothing).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "strbuf.h"

#define IMP_NODES 32
#define IMP_VIPS 256
#define IMP_CHECKS 256
#define IMP_ADDRS 64
#define IMP_LIST 16
#define IMP_UNSET UINT32_MAX

struct imp_check {
	char name[CV_NAME_MAX + 1];
	char *exec;	  /* the command line, or NULL */
	bool shell;	  /* exec through /bin/sh -c */
	char link[CV_IFNAME_MAX + 1]; /* or a link check */
	uint32_t interval_ms, timeout_ms, rise, fall; /* IMP_UNSET: corovip's default */
	struct cv_strbuf notes;			      /* comment lines */
};

struct imp_vip {
	char name[CV_NAME_MAX + 1];
	char *addrs[IMP_ADDRS]; /* "ADDR/P" or "ADDR/P dev IF" */
	size_t n_addrs;
	char interface[CV_IFNAME_MAX + 1];
	char checks[IMP_LIST][CV_NAME_MAX + 1];
	size_t n_checks;
	/* what each node (index into imp_conf.nodes) thinks of it: its rank in
	 * prefer, higher first (keepalived's priority, a location score) */
	int64_t score[IMP_NODES];
	bool scored[IMP_NODES];
	int preempt, stickiness; /* -1: unset */
	char *notify;
	uint32_t announce_count, announce_interval_ms, announce_refresh_ms; /* IMP_UNSET */
	int nodad, deprecated; /* -1: unset */
	struct cv_strbuf notes;
	bool merged; /* taken into another (a sync group): not written */
	bool group;  /* a vrrp_sync_group: its members' names in checks until merged */
};

struct imp_conf {
	char nodes[IMP_NODES][CV_NAME_MAX + 1];
	size_t n_nodes;
	struct imp_vip vips[IMP_VIPS];
	size_t n_vips;
	struct imp_check checks[IMP_CHECKS];
	size_t n_checks;
	uint32_t preempt_delay_ms; /* IMP_UNSET */
	char script_user[33];
	struct cv_strbuf notes;	/* the file's: at the top */
	struct cv_strbuf source; /* "# from ..." lines */
	int err;		 /* -ENOMEM or -E2BIG once something did not fit */
};

void imp_conf_init(struct imp_conf *c);
void imp_conf_done(struct imp_conf *c);

/* A name corovip takes, made of s (other characters become '_'). */
void imp_name(const char *s, char *out, size_t size);
/* The node of that name, added if new: its index, or -1 (too many). */
int imp_node(struct imp_conf *c, const char *name);
/* The VIP or check of that (imp_name'd) name, added if new; NULL: too many. */
struct imp_vip *imp_vip(struct imp_conf *c, const char *name);
struct imp_check *imp_check(struct imp_conf *c, const char *name);
struct imp_vip *imp_vip_find(struct imp_conf *c, const char *name);
void imp_vip_add_addr(struct imp_conf *c, struct imp_vip *v, const char *addr, const char *dev);
void imp_vip_add_check(struct imp_conf *c, struct imp_vip *v, const char *check);
/* A comment line ("# ..." is added) in notes. */
void imp_note(struct cv_strbuf *notes, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A decimal number within [min, max] (clamped); dflt if s is no number. */
uint32_t imp_uint(const char *s, uint32_t min, uint32_t max, uint32_t dflt);
/* "1", "0.5", "2s", "200ms" (bare numbers are seconds, as keepalived's): ms, or -EINVAL. */
int imp_seconds(const char *s, uint32_t *ms);

/* keepalived.c: one node's keepalived.conf text (what its includes name is
 * read through read_file); node: its name in c. 0 or -errno (*err set). */
typedef int (*imp_read_fn)(const char *path, char **text, size_t *len);
int imp_keepalived(struct imp_conf *c, const char *node, const char *path, const char *text,
		   imp_read_fn read_file, char *err, size_t errlen);
/* After every node's file: sync groups merged, prefer ordered. */
void imp_keepalived_finish(struct imp_conf *c);

/* cib.c: a CIB, a fragment of one, or crm_resource --query-xml's output. */
int imp_cib(struct imp_conf *c, const char *path, const char *text, size_t len, char *err,
	    size_t errlen);

/* emit.c: the model as corovip.conf. */
void imp_emit(const struct imp_conf *c, struct cv_strbuf *out);
