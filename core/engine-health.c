/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Our health on the wire between STATEs (issue 13): when checks or links
 * change, only the VIPs whose HEALTHY flag changed go out, in HEALTH
 * messages, not a whole STATE per flap (a flapping check that 10,000 VIPs
 * name would resend every one of them; one that one VIP names resends
 * one). A member's health counts as its messages say, once delivered:
 * every member applies it at the same point of the stream, ours included,
 * so placement stays alike everywhere (docs/safety.md rule 7). A STATE
 * says all again; when most VIPs changed, a STATE goes instead.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cv-macros.h"
#include "engine-int.h"

bool
cv_engine_says_healthy(const struct cv_engine *e, size_t i)
{
	return e->vips[i].local_healthy && !e->lapsed && !e->stopping;
}

/* More than this many, and more than half of all: a STATE says it as well. */
#define HEALTH_MANY 64

void
cv_engine_send_health(struct cv_engine *e, const size_t *changed, size_t n)
{
	_cleanup_free_ struct cv_proto_vip *all = NULL;

	if (n > HEALTH_MANY && 2 * n > e->n_vips) {
		cv_engine_send_state(e);
		return;
	}
	all = calloc(n ? n : 1, sizeof(*all));
	if (!all) {
		e->out->err = -ENOMEM;
		return;
	}
	for (size_t k = 0; k < n; k++) {
		snprintf(all[k].name, sizeof(all[k].name), "%s", e->cfg->vips[changed[k]].head.name);
		all[k].flags = cv_engine_says_healthy(e, changed[k]) ? CV_PROTO_VIP_HEALTHY : 0;
	}
	for (size_t start = 0; start < n;) {
		size_t fit = cv_proto_health_fit(all, n, start);
		struct cv_proto_msg m = { .type = CV_PROTO_TYPE_HEALTH };

		m.health = (struct cv_proto_health){ .ring = e->view_ring,
						     .vips = malloc(fit * sizeof(*all)),
						     .n_vips = fit };
		if (!m.health.vips) {
			e->out->err = -ENOMEM;
			return;
		}
		memcpy(m.health.vips, all + start, fit * sizeof(*all));
		cv_engine_send(e, &m);
		start += fit;
	}
}

void
cv_engine_on_health_msg(struct cv_engine *e, uint32_t nodeid, const struct cv_proto_health *h)
{
	struct peer *p = cv_engine_peer(e, nodeid, false);
	uint64_t bit;

	if (!p)
		return;
	bit = UINT64_C(1) << (p - e->peers);
	for (size_t k = 0; k < h->n_vips; k++) {
		int i = cv_engine_vip_by_name(e, h->vips[k].name);

		if (i < 0)
			continue; /* a VIP we do not have */
		if (h->vips[k].flags & CV_PROTO_VIP_HEALTHY)
			e->vips[i].healthy |= bit;
		else
			e->vips[i].healthy &= ~bit;
	}
	e->placement_dirty = true;
}
