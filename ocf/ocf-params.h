/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The OCF agent's parameters: what Pacemaker passes as OCF_RESKEY_*, what
 * each means, and the one-VIP corovip.conf they become. IPaddr2's names
 * where they mean the same; IPaddr2's that mean nothing here are accepted at
 * their default and refused otherwise, with the reason (ocf-meta.c lists
 * them all in the meta-data). The VIP itself is parsed and validated by the
 * daemon's own config parser: one set of rules, one set of messages.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

enum {
	OCF_P_REQUIRED = 1 << 0,
	OCF_P_UNIQUE = 1 << 1,
	OCF_P_RELOADABLE = 1 << 2, /* reload-agent takes a new value without a restart */
	OCF_P_COMPAT = 1 << 3,	   /* IPaddr2's, with no meaning here: default only */
};

struct ocf_param {
	const char *name;
	const char *type; /* "string", "integer" or "boolean" */
	const char *def;  /* the default, as IPaddr2 documents it; NULL: none */
	unsigned flags;
	const char *shortdesc;
	const char *longdesc; /* COMPAT: why another value is refused */
};

extern const struct ocf_param ocf_params[];
extern const size_t ocf_n_params;

/* What the parameters say, checked. */
struct ocf_res {
	struct cv_config *cfg; /* one VIP, named after the resource */
	const struct cv_vip_conf *vip;
	uint32_t lease_s;	    /* kernel lease: 0 = forever (IPaddr2's preferred_lft) */
	uint32_t arp_count_refresh; /* frames each monitor sends */
	bool arp_bg;		    /* start returns after the first frame */
};

/*
 * Read the OCF_RESKEY_* environment into r. -EINVAL: a parameter is wrong
 * (why says which and how: OCF_ERR_CONFIGURED); -ENOMEM. Addresses without
 * cidr_netmask or nic are looked up on the node's interfaces (as IPaddr2's
 * findif does): -ENXIO when none fits.
 */
int ocf_res_load(struct ocf_res *r, char *why, size_t len);
void ocf_res_done(struct ocf_res *r);

/* An OCF boolean (yes/no, true/false, on/off, 1/0, y/n): 0 or -EINVAL. */
int ocf_parse_bool(const char *text, bool *ret);
