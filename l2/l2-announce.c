/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The L2 backend's announcements and the addresses that need care: GARP /
 * unsolicited NA bursts paced by one loop timer (and announce_refresh), the
 * admin's addresses we never touch, IPv6 DAD waits (announce once passed,
 * a failure is the add's result).
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/if_addr.h>
#include <qb/qblog.h>
#include <qb/qbutil.h>

#include "cv-error.h"
#include "cv-macros.h"
#include "garp.h"
#include "l2-int.h"
#include "ndisc.h"

/* ---- announce bursts ---- */

/* Room for n entries of size in *v (capacity *cap), doubling: 0 or -ENOMEM. */
static int
grow(void **v, size_t *cap, size_t n, size_t size)
{
	size_t want = *cap ? *cap : 16;
	void *p;

	if (n <= *cap)
		return 0;
	while (want < n)
		want *= 2;
	p = reallocarray(*v, want, size);
	if (!p)
		return -ENOMEM;
	*v = p;
	*cap = want;
	return 0;
}

static int
sock_for(struct socks *s, int ifindex, int (*open_fn)(int))
{
	struct sock *slot = NULL;

	for (size_t i = 0; i < ELEMENTSOF(s->v); i++) {
		if (s->v[i].fd >= 0 && s->v[i].ifindex == ifindex)
			return s->v[i].fd;
		if (!slot && s->v[i].fd < 0)
			slot = &s->v[i];
	}
	if (!slot) { /* more interfaces than slots: one of them pays the close */
		slot = &s->v[s->next_evict++ % ELEMENTSOF(s->v)];
		close(slot->fd);
	}
	slot->fd = open_fn(ifindex);
	slot->ifindex = ifindex;
	return slot->fd;
}

void
l2_socks_init(struct socks *s)
{
	for (size_t i = 0; i < ELEMENTSOF(s->v); i++)
		s->v[i].fd = -1;
}

void
l2_socks_close(struct socks *s)
{
	for (size_t i = 0; i < ELEMENTSOF(s->v); i++)
		if (s->v[i].fd >= 0)
			close(s->v[i].fd);
	l2_socks_init(s);
}

static int
send_frame(struct burst *b)
{
	const struct cv_vip_conf *c = b->conf;
	struct cv_mac mac = {};
	int fd, r;

	memcpy(mac.bytes, b->link.mac, CV_MIN((size_t)b->link.mac_len, sizeof(mac.bytes)));
	if (cv_vip_first_addr(c)->family == AF_INET6) {
		fd = sock_for(&b->x->ndisc, b->link.ifindex, cv_ndisc_open);
		return fd < 0 ? fd
			      : cv_ndisc_send_na(fd, b->link.ifindex, cv_vip_first_addr(c), &mac,
						 cv_ndisc_is_router(c->interface));
	}
	fd = sock_for(&b->x->garp, b->link.ifindex, cv_garp_open);
	if (fd < 0)
		return fd;
	if (c->garp != CV_GARP_BOTH)
		return cv_garp_send(fd, b->link.ifindex, c->garp, cv_vip_first_addr(c), &mac);
	/* both: a request, then a reply, each round (some hosts heed only one) */
	r = cv_garp_send(fd, b->link.ifindex, CV_GARP_REQUEST, cv_vip_first_addr(c), &mac);
	return r < 0 ? r : cv_garp_send(fd, b->link.ifindex, CV_GARP_REPLY, cv_vip_first_addr(c), &mac);
}

/*
 * All bursts run from one loop timer, armed for the earliest frame due: a
 * takeover starts thousands of bursts at once, and one loop timer each cost
 * libqb seconds (its timer list is sorted on insertion). A run sends what
 * is due for at most BURST_BUDGET_MS, then lets the loop go on (heartbeats,
 * deliveries) and takes up the rest in the next iteration.
 */
#define BURST_BUDGET_MS 5
#define NEVER		UINT64_MAX

static void bursts_run(void *data);

/* x->burst_of for n VIPs, new entries NULL: 0 or -ENOMEM. */
static int
grow_burst_of(struct l2 *x, size_t n)
{
	size_t old = x->cap_burst_of;
	int r = grow((void **)&x->burst_of, &x->cap_burst_of, n, sizeof(*x->burst_of));

	if (r == 0 && x->cap_burst_of > old)
		memset(x->burst_of + old, 0, (x->cap_burst_of - old) * sizeof(*x->burst_of));
	return r;
}

static void
bursts_arm(struct l2 *x, uint64_t at)
{
	uint64_t now = l2_now_ms();

	if (x->burst_armed && x->burst_at <= at && at != NEVER)
		return;
	if (x->burst_armed)
		qb_loop_timer_del(x->env.loop, x->burst_timer);
	x->burst_armed = false;
	if (at == NEVER)
		return;
	if (qb_loop_timer_add(x->env.loop, QB_LOOP_HIGH, (at > now ? at - now : 0) * QB_TIME_NS_IN_MSEC,
			      x, bursts_run, &x->burst_timer) == 0) {
		x->burst_armed = true;
		x->burst_at = at;
	}
}

static void
burst_remove(struct burst *b)
{
	struct l2 *x = b->x;

	x->bursts[b->pos] = x->bursts[--x->n_bursts];
	x->bursts[b->pos]->pos = b->pos;
	if (b->vip < x->cap_burst_of && x->burst_of[b->vip] == b)
		x->burst_of[b->vip] = NULL;
	if (!b->reported) /* stopped before its frames were out */
		l2_announced(x, b->conf, b->epoch, -ECANCELED);
	free(b);
}

/* b's next frame; false when that was its last (b is gone). */
static bool
burst_fire(struct burst *b, uint64_t now)
{
	int r = send_frame(b);

	if (r < 0)
		qb_log(LOG_WARNING, "VIP '%s': announce on %s failed: %s, ignoring", b->conf->head.name,
		       b->conf->interface, cv_strerror(r));
	if (r < 0 && !b->err)
		b->err = r;
	b->next_at = now + b->conf->announce_interval_ms;
	if (--b->left)
		return true;
	if (!b->reported) {
		b->reported = true;
		l2_announced(b->x, b->conf, b->epoch, b->err);
	}
	/* announce_refresh: one more frame every so often while we hold it
	 * (ADDR_DEL cancels); 0 ends here. */
	if (b->conf->announce_refresh_ms == 0) {
		burst_remove(b);
		return false;
	}
	b->left = 1;
	b->next_at = now + b->conf->announce_refresh_ms;
	return true;
}

static void
bursts_run(void *data)
{
	struct l2 *x = data;
	uint64_t start = l2_now_ms(), now = start, next = NEVER;

	x->burst_armed = false;
	for (size_t i = 0; i < x->n_bursts;) {
		struct burst *b = x->bursts[i];

		if (b->next_at <= now && (i & 63) == 0) {
			l2_progress(x);
			now = l2_now_ms();
			if (now - start >= BURST_BUDGET_MS) {
				next = now; /* the rest in the next iteration */
				break;
			}
		}
		if (b->next_at <= now && !burst_fire(b, now))
			continue; /* another took its place */
		next = CV_MIN(next, b->next_at);
		i++;
	}
	bursts_arm(x, next);
}

void
l2_cancel_burst(struct l2 *x, uint32_t vip, const struct cv_vip_conf *conf)
{
	if (vip < x->cap_burst_of && x->burst_of[vip] && x->burst_of[vip]->conf == conf) {
		burst_remove(x->burst_of[vip]);
		return;
	}
	/* A group's members share the VIP's index and are not in burst_of:
	 * few, so looked for. */
	for (size_t i = 0; conf->group && i < x->n_bursts; i++)
		if (x->bursts[i]->conf == conf) {
			burst_remove(x->bursts[i]);
			return;
		}
}

/* How long a looked-up link is taken as it is: one engine step's work. */
#define LINKS_FRESH_MS 100

int
l2_link(struct l2 *x, const char *ifname, struct cv_nl_link *ret, struct cv_nl_error *err)
{
	uint64_t now = l2_now_ms();
	int r;

	if (now - x->links_at > LINKS_FRESH_MS)
		x->n_links = 0;
	for (size_t i = 0; i < x->n_links; i++)
		if (strcmp(x->links[i].name, ifname) == 0) {
			*ret = x->links[i];
			return 0;
		}
	r = cv_nl_link_get(x->nl, ifname, ret, err);
	if (r < 0 || x->n_links == ELEMENTSOF(x->links))
		return r;
	if (!x->n_links)
		x->links_at = now;
	x->links[x->n_links++] = *ret;
	return r;
}

static void
announce(struct l2 *x, const struct cv_backend_op *a)
{
	struct burst *b = NULL;
	int r = 0;

	l2_cancel_burst(x, a->vip, a->conf);
	if (a->conf->announce_count == 0)
		goto done;
	r = grow((void **)&x->bursts, &x->cap_bursts, x->n_bursts + 1, sizeof(*x->bursts));
	if (r == 0)
		r = grow_burst_of(x, (size_t)a->vip + 1);
	if (r == 0 && !(b = calloc(1, sizeof(*b))))
		r = -ENOMEM;
	if (r < 0)
		goto done;
	*b = (struct burst){ .x = x, .conf = a->conf, .vip = a->vip, .pos = x->n_bursts,
			     .epoch = a->epoch, .left = a->conf->announce_count,
			     .next_at = l2_now_ms() };
	r = l2_link(x, a->conf->interface, &b->link, NULL);
	if (r < 0) {
		free(b);
		goto done;
	}
	x->bursts[x->n_bursts++] = b;
	if (!a->conf->group)
		x->burst_of[a->vip] = b;
	bursts_arm(x, b->next_at); /* the first frame at once: that is the failover */
	return;
done:
	l2_announced(x, a->conf, a->epoch, r);
}

/* ---- addresses that need care: the admin's, and IPv6 DAD under way ---- */

struct note *
l2_note_find(struct l2 *x, const struct cv_vip_conf *conf)
{
	for (size_t i = 0; i < x->n_notes; i++)
		if (x->notes[i]->conf == conf)
			return x->notes[i];
	return NULL;
}

void
l2_note_remove(struct note *n)
{
	struct l2 *x;

	if (!n)
		return;
	x = n->x;
	if (n->armed)
		qb_loop_timer_del(x->env.loop, n->timer);
	for (size_t i = 0; i < x->n_notes; i++)
		if (x->notes[i] == n) {
			x->notes[i] = x->notes[--x->n_notes];
			break;
		}
	free(n);
}

struct note *
l2_note_add(struct l2 *x, const struct cv_backend_op *a, enum note_kind kind, int ifindex)
{
	struct note *n;

	l2_note_remove(l2_note_find(x, a->conf));
	if (grow((void **)&x->notes, &x->cap_notes, x->n_notes + 1, sizeof(*x->notes)) < 0 ||
	    !(n = calloc(1, sizeof(*n))))
		return NULL;
	*n = (struct note){ .x = x, .conf = a->conf, .vip = a->vip, .epoch = a->epoch,
			    .kind = kind, .ifindex = ifindex };
	x->notes[x->n_notes++] = n;
	return n;
}

void
l2_log_vip(int level, const struct cv_vip_conf *c, const char *what)
{
	char buf[CV_ADDR_STRLEN];

	qb_log(level, "VIP '%s' (%s on %s): %s", c->head.name,
	       cv_addr_format(cv_vip_first_addr(c), true, buf, sizeof(buf)), c->interface, what);
}

static void dad_deadline(void *data);

bool
l2_dad_start(struct l2 *x, const struct cv_backend_op *a, int ifindex)
{
	struct note *n = l2_note_add(x, a, NOTE_DAD, ifindex);

	if (!n)
		return false; /* announce at once, as with nodad */
	n->armed = qb_loop_timer_add(x->env.loop, QB_LOOP_HIGH,
				     (uint64_t)DAD_DEADLINE_MS * QB_TIME_NS_IN_MSEC, n, dad_deadline,
				     &n->timer) == 0;
	return true;
}

static void
dad_failed(struct note *n, int err, const char *what)
{
	struct l2 *x = n->x;
	const struct cv_vip_conf *conf = n->conf;
	uint64_t epoch = n->epoch, announce_epoch = n->announce_epoch;
	bool announce = n->announce;

	l2_log_vip(LOG_ERR, conf, what);
	l2_note_remove(n);
	l2_result(x, conf, CV_ACT_ADDR_ADD, epoch, err, NULL);
	if (announce) /* it never will be */
		l2_announced(x, conf, announce_epoch, err);
}

static void
dad_passed(struct note *n)
{
	struct l2 *x = n->x;
	struct cv_backend_op a = { .vip = n->vip, .conf = n->conf, .epoch = n->announce_epoch };
	uint64_t add_epoch = n->epoch;
	bool announce_now = n->announce;

	l2_log_vip(LOG_INFO, n->conf, "duplicate address detection passed");
	l2_note_remove(n);
	if (x->env.oneshot) /* the add's one result: it serves now */
		l2_result(x, a.conf, CV_ACT_ADDR_ADD, add_epoch, 0, NULL);
	if (announce_now)
		announce(x, &a);
}

/* What the kernel says of an address in DAD: still tentative (0), passed or failed. */
static void
dad_judge(struct note *n, const struct cv_nl_addr *a, bool gone)
{
	/* The kernel deletes a non-permanent address (ours have a lease) that
	 * failed DAD, and marks a permanent one IFA_F_DADFAILED. */
	if (gone || (a->flags & IFA_F_DADFAILED))
		dad_failed(n, -EADDRINUSE,
			   "duplicate address detection failed: another host uses the address");
	else if (!(a->flags & IFA_F_TENTATIVE))
		dad_passed(n);
}

/* Ask the kernel directly (deadline, lost notifications). */
static void
dad_check(struct note *n, bool final)
{
	struct cv_nl_addr a;
	char what[96];
	int r = cv_nl_addr_find(n->x->nl, n->ifindex, cv_vip_first_addr(n->conf), &a);

	if (r < 0 && r != -ENOENT)
		return;
	dad_judge(n, &a, r == -ENOENT);
	if (!final || l2_note_find(n->x, n->conf) != n)
		return;
	snprintf(what, sizeof(what), "duplicate address detection did not finish within %d ms",
		 DAD_DEADLINE_MS);
	dad_failed(n, -ETIMEDOUT, what);
}

static void
dad_deadline(void *data)
{
	struct note *n = data;

	n->armed = false;
	dad_check(n, true);
}

bool
l2_on_addr(struct l2 *x, const struct cv_nl_addr *a, bool gone)
{
	for (size_t i = 0; i < x->n_notes; i++) {
		struct note *n = x->notes[i];

		if (n->kind != NOTE_DAD || n->ifindex != a->ifindex ||
		    !cv_addr_same_host(cv_vip_first_addr(n->conf), &a->addr))
			continue;
		if (gone && a->proto != x->env.tag)
			return false;
		dad_judge(n, a, gone);
		return gone;
	}
	return false;
}

void
l2_recheck(struct l2 *x)
{
	/* dad_check may remove the note it is given: walk from the end. */
	for (size_t i = x->n_notes; i-- > 0;)
		if (i < x->n_notes && x->notes[i]->kind == NOTE_DAD)
			dad_check(x->notes[i], false);
}

void
l2_announce_when_ready(struct l2 *x, const struct cv_backend_op *a)
{
	struct note *n = l2_note_find(x, a->conf);

	if (!n && l2_announce_after_add(x, a))
		return;
	if (!n) {
		announce(x, a);
	} else if (n->kind == NOTE_DAD) {
		n->announce = true; /* the first frame once DAD has passed */
		n->announce_epoch = a->epoch;
	} else {
		l2_announced(x, a->conf, a->epoch, -EADDRINUSE); /* the admin's: never */
	}
}

bool
l2_link_up(struct l2 *x, const char *ifname)
{
	struct cv_nl_link link;

	return cv_nl_link_get(x->nl, ifname, &link, NULL) == 0 && cv_nl_link_is_up(&link);
}

bool
l2_own_mac(struct l2 *x, int ifindex, const struct cv_mac *mac)
{
	char name[IF_NAMESIZE];
	struct cv_nl_link link;

	if (!if_indextoname((unsigned)ifindex, name) || cv_nl_link_get(x->nl, name, &link, NULL) < 0)
		return false;
	return link.mac_len == CV_MAC_LEN && memcmp(link.mac, mac->bytes, CV_MAC_LEN) == 0;
}

/* The VIP (or member) of cfg that c becomes: same name, address and interface. */
static const struct cv_vip_conf *
same_vip(const struct cv_config *cfg, const struct cv_vip_conf *c)
{
	const struct cv_vip_conf *v = cfg ? cv_config_find_vip(cfg, c->head.name) : NULL, *m;
	size_t n = v ? cv_vip_conf_members(v, &m) : 0;

	for (size_t k = 0; k < n; k++)
		if (cv_addr_compare(cv_vip_first_addr(&m[k]), cv_vip_first_addr(c)) == 0 &&
		    strcmp(m[k].interface ? m[k].interface : "", c->interface ? c->interface : "") == 0)
			return &m[k];
	return NULL;
}

void
l2_switch_config(struct l2 *x, const struct cv_config *next)
{
	for (size_t i = 0; i < x->n_bursts;) {
		struct burst *b = x->bursts[i];
		const struct cv_vip_conf *n = same_vip(next, b->conf);

		if (!n) {
			burst_remove(b);
			continue;
		}
		/* its announce_* settings from now on, and its index in next */
		if (b->vip < x->cap_burst_of && x->burst_of[b->vip] == b)
			x->burst_of[b->vip] = NULL;
		b->conf = n;
		b->vip = (uint32_t)((n->group ? n->group : n) - next->vips);
		i++;
	}
	for (size_t i = 0; i < x->n_bursts; i++)
		if (!x->bursts[i]->conf->group && grow_burst_of(x, (size_t)x->bursts[i]->vip + 1) == 0)
			x->burst_of[x->bursts[i]->vip] = x->bursts[i];
	while (x->n_notes)
		l2_note_remove(x->notes[0]);
	/* the adds were all told (l2_work_drain): indexes of next from here */
	if (x->add_wait)
		memset(x->add_wait, 0, x->cap_add_wait * sizeof(*x->add_wait));
	if (!next) { /* the end: nothing is left to point to */
		bursts_arm(x, NEVER);
		free(x->bursts);
		free(x->burst_of);
		free(x->notes);
		free(x->add_wait);
		x->add_wait = NULL;
		x->cap_add_wait = 0;
		x->bursts = NULL;
		x->burst_of = NULL;
		x->notes = NULL;
		x->cap_bursts = x->cap_burst_of = x->cap_notes = 0;
	}
}

