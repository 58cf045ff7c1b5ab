/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Releases a reload took out of the config (docs/safety.md, "Reloads"). A
 * VIP the reload removed or changed (address, backend, interface) may still
 * have its old address on our interface: its removal goes on under the old
 * settings, kept here (the old config may be gone), and our STATE keeps
 * claiming the VIP until it is done. RELEASED follows only then: once a
 * removal succeeded, or once the kernel lease has surely ended the address
 * (its last add or renewal completed + kernel_lease + 1 s). A failed removal
 * is retried like any other (engine.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cv-macros.h"
#include "engine-int.h"

static uint64_t
orphan_gone_by(const struct cv_engine *e, const struct orphan *o)
{
	if (o->add_pending || o->renew_pending)
		return NEVER;
	return CV_MAX(o->added_at, o->renewed_at) + e->cfg->cluster.kernel_lease_ms + 1000;
}

static void
push_del(struct cv_engine *e, struct orphan *o)
{
	struct cv_action a = { .type = CV_ACT_ADDR_DEL, .conf = &o->conf, .epoch = o->epoch };

	o->retry_at = NEVER;
	cv_actions_push(e->out, &a);
}

static void
orphan_free(struct orphan *o)
{
	if (!o)
		return;
	cv_vip_conf_free_members(&o->conf);
	free(o->ifname);
	for (size_t i = 0; i < ELEMENTSOF(o->cloud_strs); i++)
		free(o->cloud_strs[i]);
	free(o);
}

/* Copy s into *ret (NULL stays NULL): false when out of memory. */
static bool
dup_opt(const char *s, char **ret)
{
	*ret = s ? strdup(s) : NULL;
	return !s || *ret;
}

/*
 * The strings ADDR_DEL needs, owned: the old config goes. A cloud VIP
 * keeps its cloud section's name but not the section (cloud_conf NULL):
 * its backend finds its client by that name (os-backend.c, aws-backend.c).
 */
static bool
orphan_own_strings(struct orphan *o, const struct cv_vip_conf *vc)
{
	const char *cs[] = { vc->cloud, vc->floating_ip, vc->port, vc->fixed_ip, vc->vip_port,
			     vc->allocation_id, vc->eni, vc->route_table };
	char **to[] = { &o->conf.cloud, &o->conf.floating_ip, &o->conf.port, &o->conf.fixed_ip,
			&o->conf.vip_port, &o->conf.allocation_id, &o->conf.eni, &o->conf.route_table };
	bool ok = dup_opt(vc->interface, &o->ifname);

	_Static_assert(ELEMENTSOF(cs) == ELEMENTSOF(o->cloud_strs), "one owned copy per string");
	for (size_t i = 0; i < ELEMENTSOF(cs); i++) {
		ok = dup_opt(cs[i], &o->cloud_strs[i]) && ok;
		*to[i] = o->cloud_strs[i];
	}
	o->conf.interface = o->ifname;
	o->conf.cloud_conf = NULL;
	return ok;
}

int
cv_engine_orphan_add(struct cv_engine *e, const struct cv_vip_conf *vc, const struct vip_rt *v,
		     bool remove_now)
{
	struct orphan **list = realloc(e->orphans, (e->n_orphans + 1) * sizeof(*list));
	struct orphan *o = calloc(1, sizeof(*o));

	if (list)
		e->orphans = list;
	if (!list || !o) {
		free(o);
		return -ENOMEM;
	}
	snprintf(o->name, sizeof(o->name), "%s", vc->head.name);
	o->conf = *vc;
	o->conf.head.name = o->name;
	o->conf.prefer = o->conf.check = (struct cv_name_list){ 0 };
	o->conf.notify = NULL;
	o->conf.members = NULL;
	o->conf.n_members = 0;
	/* its own members: the old config's go with it */
	if (!orphan_own_strings(o, vc) || cv_vip_conf_make_members(&o->conf) < 0) {
		orphan_free(o);
		return -ENOMEM;
	}
	o->epoch = v->op_epoch;
	o->wire_epoch = v->epoch;
	o->added_at = v->added_at;
	o->add_pending = v->add_pending;
	o->renewed_at = e->renewed_at;
	o->renew_pending = e->renews_pending > 0; /* it may renew this address too */
	/* RELEASING: its removal is under way (its result comes here) or
	 * failed and waits for its retry, which goes on here. */
	o->retry_at = remove_now ? NEVER : v->retry_at;
	e->orphans[e->n_orphans++] = o;
	if (remove_now)
		push_del(e, o);
	return 0;
}

bool
cv_engine_orphan_pending(const struct cv_engine *e, const char *name)
{
	for (size_t k = 0; k < e->n_orphans; k++)
		if (strcmp(e->orphans[k]->name, name) == 0)
			return true;
	return false;
}

/*
 * Is the address of vc still being removed by an orphan (a reload back to
 * an address whose removal has not succeeded yet)? Then we must not take
 * it: the orphan's next removal would take our new holding away.
 */
static bool
shares_address(const struct cv_vip_conf *a, const struct cv_vip_conf *b)
{
	for (size_t i = 0; i < a->addrs.n; i++)
		for (size_t j = 0; j < b->addrs.n; j++) {
			const char *ia = cv_vip_addr_ifname(a, i), *ib = cv_vip_addr_ifname(b, j);

			if (cv_addr_compare(&a->addrs.v[i].addr, &b->addrs.v[j].addr) == 0 &&
			    strcmp(ia ? ia : "", ib ? ib : "") == 0)
				return true;
		}
	return false;
}

bool
cv_engine_orphan_has_address(const struct cv_engine *e, const struct cv_vip_conf *vc)
{
	for (size_t k = 0; k < e->n_orphans; k++)
		if (shares_address(&e->orphans[k]->conf, vc))
			return true;
	return false;
}

const struct cv_vip_conf *
cv_engine_orphan_conf(const struct cv_engine *e, size_t k)
{
	return &e->orphans[k]->conf;
}

uint64_t
cv_engine_orphan_epoch(const struct cv_engine *e, size_t k)
{
	return e->orphans[k]->wire_epoch;
}

/* Its removal is done (or the kernel lease is surely over): say RELEASED. */
static void
orphan_done(struct cv_engine *e, size_t k)
{
	struct orphan *o = e->orphans[k];
	struct orphan **list = realloc(e->retired, (e->n_retired + 1) * sizeof(*list));

	int i = cv_engine_vip_by_name(e, o->name);

	e->orphans[k] = e->orphans[--e->n_orphans];
	/* RELEASED speaks for the VIP's name: not while its new address is
	 * ours or on its way (that one's own RELEASED follows its release),
	 * nor while another orphan of the name (an older reload's, whose
	 * removal still fails) may leave its address on the node. */
	if ((i < 0 || e->vips[i].state == CV_VIP_IDLE) && !cv_engine_orphan_pending(e, o->name))
		cv_engine_send_released_named(e, o->name, o->wire_epoch);
	e->placement_dirty = true; /* a RELEASED it held back may be due now */
	/* Our STATE claimed its address (engine-msg.c add_orphans): a peer
	 * whose VIP has that address now waits for our word that we do not. */
	e->state_due = true;
	/* An action of an earlier step may still name o->conf (a removal
	 * under way when the kernel lease ran out): free it with the engine. */
	if (!list) {
		e->out->err = -ENOMEM;
		return;
	}
	e->retired = list;
	e->retired[e->n_retired++] = o;
}

static int
find(const struct cv_engine *e, const char *name, uint64_t epoch)
{
	for (size_t k = 0; k < e->n_orphans; k++)
		if (strcmp(e->orphans[k]->name, name) == 0 && e->orphans[k]->epoch == epoch)
			return (int)k;
	return -ENOENT;
}

bool
cv_engine_orphan_result(struct cv_engine *e, const struct cv_action_result *res)
{
	int k = find(e, res->vip, res->epoch);
	struct orphan *o;

	if (k < 0 || (res->op != CV_ACT_ADDR_DEL && res->op != CV_ACT_ADDR_ADD))
		return false;
	o = e->orphans[k];
	if (res->op == CV_ACT_ADDR_ADD) {
		/* An add under way at the reload: its lease starts now. */
		o->add_pending = false;
		o->added_at = e->now;
		return true;
	}
	if (res->err == 0)
		orphan_done(e, (size_t)k);
	else
		o->retry_at = e->now + cv_engine_retry_interval(e);
	return true;
}

void
cv_engine_orphans_reconcile(struct cv_engine *e)
{
	for (size_t k = e->n_orphans; k-- > 0;) {
		struct orphan *o = e->orphans[k];

		if (e->now >= orphan_gone_by(e, o))
			orphan_done(e, k);
		else if (e->now >= o->retry_at)
			push_del(e, o);
	}
}

/* A RENEW that was under way at the reload completed. */
void
cv_engine_orphans_renewed(struct cv_engine *e)
{
	for (size_t k = 0; k < e->n_orphans; k++)
		if (e->orphans[k]->renew_pending) {
			e->orphans[k]->renew_pending = false;
			e->orphans[k]->renewed_at = e->now;
		}
}

uint64_t
cv_engine_orphans_wakeup(const struct cv_engine *e)
{
	uint64_t at = NEVER;

	for (size_t k = 0; k < e->n_orphans; k++)
		at = CV_MIN(at, CV_MIN(orphan_gone_by(e, e->orphans[k]), e->orphans[k]->retry_at));
	return at;
}

static void
free_list(struct orphan **list, size_t n)
{
	for (size_t k = 0; k < n; k++)
		orphan_free(list[k]);
	free(list);
}

void
cv_engine_orphans_free(struct cv_engine *e)
{
	free_list(e->orphans, e->n_orphans);
	free_list(e->retired, e->n_retired);
	e->orphans = e->retired = NULL;
	e->n_orphans = e->n_retired = 0;
}
