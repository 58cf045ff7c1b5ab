/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Our health on the wire between STATEs (issue 13): when checks or links
 * change, only the VIPs whose HEALTHY flag changed go out, in HEALTH
 * messages, not a whole STATE per flap (a flapping check that 10,000 VIPs
 * name would resend every one of them; one that one VIP names resends
 * one). A member's health counts as its messages say, once delivered:
 * every member applies it at the same point of the stream, ours included,
 * so placement stays alike everywhere (docs/safety.md rule 7). A STATE
 * says all again; when most VIPs changed, a STATE goes instead. The local
 * judgement (checks, links) that changes it is here too.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cv-macros.h"
#include "engine-int.h"

/* Recompute what we say of each VIP's health; say what changed. */
static void
refresh_health(struct cv_engine *e)
{
	_cleanup_free_ size_t *changed = NULL;
	size_t n = 0;

	for (size_t i = 0; i < e->n_vips; i++) {
		struct vip_rt *v = &e->vips[i];
		bool can = !v->add_failed && !v->link_down;
		bool h = can && cv_engine_vip_locally_healthy(e, &e->cfg->vips[i]);
		bool f = can && cv_engine_vip_locally_fallback(e, &e->cfg->vips[i]);
		bool p = e->cfg->vips[i].exclusive && cv_engine_vip_locally_healthy(e, &e->cfg->vips[i]);

		if (h == v->local_healthy && f == v->local_fallback && p == v->local_passes)
			continue;
		if (!changed && !(changed = calloc(e->n_vips, sizeof(*changed)))) {
			e->out->err = -ENOMEM;
			return;
		}
		v->local_healthy = h;
		v->local_fallback = f;
		v->local_passes = p;
		changed[n++] = i;
	}
	/* Placement uses what our HEALTH says, once delivered, like every peer does. */
	if (n)
		cv_engine_send_health(e, changed, n);
}

static void
set_check(struct cv_engine *e, const char *check, bool healthy)
{
	for (size_t c = 0; c < e->cfg->n_checks; c++)
		if (strcmp(e->cfg->checks[c].head.name, check) == 0)
			e->check_ok[c] = healthy;
}

void
cv_engine_on_health(struct cv_engine *e, const struct cv_event *ev)
{
	set_check(e, ev->health.check, ev->health.healthy);
	for (size_t k = 0; k < ev->health.n_more; k++)
		set_check(e, ev->health.more[k].check, ev->health.more[k].healthy);
	refresh_health(e);
}

/*
 * A VIP's interface lost its link: this node cannot serve the VIP, as if a
 * check of it failed (keepalived's FAULT state). Our STATE says so and
 * placement moves it by a handoff; link up makes us a candidate again.
 * Interfaces are compared by name, as the config names them.
 */
void
cv_engine_on_link(struct cv_engine *e, const char *interface, bool up)
{
	for (size_t i = 0; i < e->n_vips; i++)
		for (size_t k = 0; k < e->cfg->vips[i].addrs.n; k++) {
			const char *ifname = cv_vip_addr_ifname(&e->cfg->vips[i], k);

			if (!ifname || strcmp(ifname, interface) != 0)
				continue;
			if (up)
				e->vips[i].link_down &= (uint8_t)~(1u << k);
			else
				e->vips[i].link_down |= (uint8_t)(1u << k);
		}
	refresh_health(e);
}

bool
cv_engine_says_healthy(const struct cv_engine *e, size_t i)
{
	return e->vips[i].local_healthy && !e->lapsed && !e->stopping;
}

bool
cv_engine_says_fallback(const struct cv_engine *e, size_t i)
{
	return e->vips[i].local_fallback && !e->lapsed && !e->stopping;
}

/* Its database is a primary whatever our daemon may do (lapsed or not). */
bool
cv_engine_says_passes(const struct cv_engine *e, size_t i)
{
	return e->vips[i].local_passes && !e->stopping;
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
		all[k].flags = (cv_engine_says_healthy(e, changed[k]) ? CV_PROTO_VIP_HEALTHY : 0) |
			       (cv_engine_says_fallback(e, changed[k]) ? CV_PROTO_VIP_FALLBACK : 0) |
			       (cv_engine_says_passes(e, changed[k]) ? CV_PROTO_VIP_PASSES : 0);
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
		if (h->vips[k].flags & CV_PROTO_VIP_FALLBACK)
			e->vips[i].fallback |= bit;
		else
			e->vips[i].fallback &= ~bit;
		if (h->vips[k].flags & CV_PROTO_VIP_PASSES)
			e->vips[i].passes |= bit;
		else
			e->vips[i].passes &= ~bit;
	}
	e->placement_dirty = true;
}
