/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The cluster view in status: every configured node (member, offline,
 * standby, daemon missing, config differs) and why each VIP is where it is.
 */
#pragma once

#include <json-c/json.h>

#include "ipc-status.h"
#include "strbuf.h"

void cv_status_nodes_text(struct cv_strbuf *b, const struct cv_ipc_report *r);
/* "  why: ..." for VIP i, nothing while its owner simply holds it. */
void cv_status_why_text(struct cv_strbuf *b, const struct cv_ipc_report *r, size_t i);
/* [{"name", "id", "this_node", "online", "member", "daemon", "standby",
 *   "config_differs", "silent", "vips"}, ...] */
struct json_object *cv_status_nodes_json(const struct cv_ipc_report *r, int *err);
/* {"code", "nodes": [names], "until", "until_iso", "unfit": {node: reason}} */
struct json_object *cv_status_why_json(const struct cv_ipc_report *r, size_t i, int *err);
