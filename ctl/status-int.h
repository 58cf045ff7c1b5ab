/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the status answers share (ipc-status.c, status-why.c): names of
 * nodes, times for people and for JSON (ISO-8601 beside Unix ms), and
 * json-c adders that keep every string valid UTF-8 (a check's output or an
 * HTTP error may be anything).
 */
#pragma once

#include <stdint.h>
#include <time.h>

#include <json-c/json.h>

#include "ipc-status.h"
#include "strbuf.h"

/* The config's name of node id, or NULL (not in the config, or id unknown). */
const char *cv_status_node_name(const struct cv_engine *e, uint32_t id);
/* "NAME (ID)", "node ID" or "nobody" (id 0), into buf. */
const char *cv_status_node_label(const struct cv_engine *e, uint32_t id, char *buf, size_t len);
/* Local time for people: "YYYY-MM-DD HH:MM:SS". */
void cv_status_local_time(time_t t, char *buf, size_t len);
/* Unix ms of the engine's step clock time t (the report's clocks). */
int64_t cv_status_unix_ms(const struct cv_ipc_report *r, uint64_t t);

const struct cv_ipc_transition *cv_status_transition_of(const struct cv_ipc_report *r, size_t vip);
/* The loop beats while thousands of VIPs are written (cv_ipc_report.progress). */
void cv_status_progress(const struct cv_ipc_report *r);

/* s, its invalid UTF-8 bytes replaced by U+FFFD (text and JSON alike). */
void cv_status_append_utf8(struct cv_strbuf *b, const char *s);

/* json-c's constructors and adders fail only without memory: callers check *err once. */
void cv_status_add(struct json_object *o, const char *key, struct json_object *v, int *err);
/* A string, its invalid UTF-8 bytes replaced by U+FFFD. */
void cv_status_add_text(struct json_object *o, const char *key, const char *s, int *err);
/* The same; NULL or "": JSON null. */
void cv_status_add_string(struct json_object *o, const char *key, const char *s, int *err);
/* KEY (Unix ms) and KEY_iso (ISO-8601, UTC, ms). */
void cv_status_add_time_ms(struct json_object *o, const char *key, int64_t unix_ms, int *err);
