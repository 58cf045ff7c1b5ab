/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * corovip-l2: drive the L2 backend (netlink addresses, GARP, unsolicited NA)
 * from the command line, for tests and benchmarks. add, del, renew, hold and
 * announce run one batch through the backend on a private loop
 * (backend/oneshot.h), as the OCF agent will: the same steps as the daemon's,
 * no copy of them here. dump, reconcile and monitor (corovip-l2-monitor.c)
 * are netlink queries of their own. Not installed.
 *
 * Every input is checked before anything changes, and a failed add of
 * several addresses removes the ones this call created: the interface ends
 * as it was.
 */
#include <getopt.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>

#include <linux/if.h> /* IFF_LOWER_UP */
#include <qb/qbloop.h>
#include <qb/qbutil.h>

#include "config.h"
#include "cv-error.h"
#include "cv-macros.h"
#include "fd-util.h"
#include "l2-int.h" /* DAD_DEADLINE_MS: what the backend allows DAD */
#include "l2-probe.h"
#include "netlink-monitor.h"
#include "netlink.h"
#include "number.h"
#include "oneshot.h"
#include "corovip-l2-monitor.h"

#define PROG	  "corovip-l2"
#define MAX_ADDRS 1000000
/* A run that hangs fails (the backend's own bounds are shorter: DAD 5 s, netlink 5 s). */
#define RUN_DEADLINE_MS 60000

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 64 };

struct opts {
	uint32_t lease_s;
	bool nodad;
	bool deprecated;
	bool announce; /* add: announce after adding */
	bool ours;     /* dump: only addresses with our IFA_PROTO tag */
	uint32_t count;	      /* announce rounds */
	uint32_t interval_ms; /* between rounds */
	enum cv_garp garp;    /* IPv4 form; both: a request then a reply per round */
	const char *file;
	uint32_t rcvbuf; /* monitor: SO_RCVBUF, 0 = the monitor's own */
	bool no_ipv4_new; /* monitor: the daemon's filter (cv_nl_monitor_drop_ipv4_new) */
	uint32_t probe_ms; /* add: probe the link this long first, 0 = no probe */
	uint32_t tag;	   /* the IFA_PROTO we write and call ours (config.h: CV_TAG_L2) */
};

struct ctx {
	struct opts o;
	struct cv_nl *nl;
	const char *ifname; /* as given: messages name it so */
	struct cv_nl_link link;
	struct cv_addr *addrs;
	size_t n;
	/* add, del, renew, hold, announce: one VIP per address, through the backend */
	struct cv_oneshot *run;
	struct cv_vip_conf *vips;
	char (*names)[CV_ADDR_STRLEN];
	struct cv_vip_conf *undo; /* what a failed add takes back (outlives run) */
	struct cv_oneshot_result *res;
};

static void
usage(FILE *f)
{
	fprintf(f,
		"Usage: " PROG " COMMAND IFACE [ADDR[/PREFIX]...] [OPTIONS]\n"
		"\n"
		"  add IFACE ADDR...        add (tagged, with a kernel lease)\n"
		"  del IFACE ADDR...        remove\n"
		"  renew IFACE ADDR...      renew the lease, in one batch\n"
		"  announce IFACE ADDR...   gratuitous ARP / unsolicited NA\n"
		"  hold IFACE ADDR...       add, renew every lease/3 until SIGTERM, remove\n"
		"  dump IFACE [--ours]      list addresses (ADDR/PFX proto valid preferred flags)\n"
		"  reconcile IFACE ADDR...  remove our addresses that are not listed\n"
		"  monitor IFACE            print IFACE's link and address events until SIGTERM\n"
		"\n"
		"  IFACE may be #N for ifindex N.\n"
		"  -l, --lease S      kernel lease in seconds, 0 = forever (default 10)\n"
		"      --dad          IPv6: run duplicate address detection and wait for it\n"
		"                     (default: nodad)\n"
		"      --deprecated   preferred_lft 0\n"
		"  -a, --announce     add: announce afterwards\n"
		"  -p, --probe MS     add: first ask the link (ARP probe, DAD solicitation) for MS\n"
		"                     milliseconds; refuse if another host answers\n"
		"  -c, --count N      announce rounds (default 5)\n"
		"  -i, --interval MS  between rounds (default 200)\n"
		"  -g, --garp FORM    request | reply | both (default request)\n"

		"  -f, --file FILE    read more addresses from FILE, one per line\n"
		"      --rcvbuf BYTES monitor: a small receive buffer (tests: force a resync)\n"
		"      --no-ipv4-new  monitor: filter IPv4 ADDR_NEW out in the kernel, as corovipd\n"
		"  -t, --tag N        the IFA_PROTO tag to write and to call ours, 4..255\n"
		"                     (default 0x6c; tests: another owner's addresses)\n");
}

static int
parse_u32(const char *s, uint32_t max, uint32_t *ret)
{
	return cv_parse_u32(s, max, ret);
}

/* Decimal or 0x hex, up to 255. */
static int
parse_tag(const char *s, uint32_t *ret)
{
	uint64_t v;
	int r = cv_parse_uint(s, 0, 255, &v);

	if (r == 0)
		*ret = (uint32_t)v;
	return r;
}

static int
parse_opt(struct opts *o, int c, const char *arg)
{
	int r;

	switch (c) {
	case 'l':
		return parse_u32(arg, UINT32_MAX - 1, &o->lease_s);
	case 'D':
		o->nodad = false;
		return 0;
	case 'd':
		o->deprecated = true;
		return 0;
	case 'a':
		o->announce = true;
		return 0;
	case 'o':
		o->ours = true;
		return 0;
	case 'c':
		return parse_u32(arg, 1000, &o->count);
	case 'i':
		return parse_u32(arg, 3600000, &o->interval_ms);
	case 'g':
		o->garp = cv_garp_from_string(arg);
		return (int)o->garp < 0 ? -EINVAL : 0;
	case 'f':
		o->file = arg;
		return 0;
	case 'b':
		return parse_u32(arg, INT32_MAX / 2, &o->rcvbuf);
	case 'N':
		o->no_ipv4_new = true;
		return 0;
	case 'p':
		r = parse_u32(arg, 60000, &o->probe_ms);
		return r < 0 || o->probe_ms == 0 ? -EINVAL : 0;
	case 't':
		r = parse_tag(arg, &o->tag);
		return r < 0 || o->tag < 4 ? -EINVAL : 0;
	default:
		return -EINVAL;
	}
}

static int
parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option options[] = {
		{ "lease", required_argument, NULL, 'l' },
		{ "dad", no_argument, NULL, 'D' },
		{ "deprecated", no_argument, NULL, 'd' },
		{ "announce", no_argument, NULL, 'a' },
		{ "ours", no_argument, NULL, 'o' },
		{ "count", required_argument, NULL, 'c' },
		{ "interval", required_argument, NULL, 'i' },
		{ "garp", required_argument, NULL, 'g' },
		{ "file", required_argument, NULL, 'f' },
		{ "rcvbuf", required_argument, NULL, 'b' },
		{ "no-ipv4-new", no_argument, NULL, 'N' },
		{ "probe", required_argument, NULL, 'p' },
		{ "tag", required_argument, NULL, 't' },
		{},
	};
	int c;

	*o = (struct opts){
		.lease_s = 10,
		.nodad = true,
		.tag = CV_TAG_L2,
		.count = 5,
		.interval_ms = 200,
		.garp = CV_GARP_REQUEST,
	};
	while ((c = getopt_long(argc, argv, "l:ac:i:g:f:p:t:", options, NULL)) != -1) {
		if (parse_opt(o, c, optarg) < 0) {
			if (optarg)
				fprintf(stderr, PROG ": invalid value '%s' for option -%c\n",
					optarg, c);
			return -EINVAL;
		}
	}
	return 0;
}

static int
add_addr(struct ctx *x, const char *text)
{
	struct cv_addr a, *v;
	int r = cv_addr_parse(text, &a);

	if (r < 0) {
		fprintf(stderr, PROG ": address '%s': %s\n", text,
			r == -ERANGE ? "prefix length out of range for the family"
				     : "not an IPv4 or IPv6 address");
		return r;
	}
	if (x->n >= MAX_ADDRS)
		return -E2BIG;
	v = reallocarray(x->addrs, x->n + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	x->addrs = v;
	x->addrs[x->n++] = a;
	return 0;
}

static int
read_file(struct ctx *x, const char *path)
{
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	FILE *f = fopen(path, "re");
	int r = 0;

	if (!f) {
		fprintf(stderr, PROG ": %s: %s\n", path, cv_strerror(-errno));
		return -errno;
	}
	while (r == 0 && (len = getline(&line, &cap, f)) >= 0) {
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == ' '))
			line[--len] = '\0';
		if (len > 0 && line[0] != '#')
			r = add_addr(x, line);
	}
	fclose(f);
	return r;
}

/* "#N" is ifindex N: the interface that has it now. */
static int
resolve_link(struct ctx *x)
{
	char name[IF_NAMESIZE];
	struct cv_nl_error e = {};
	const char *ifname = x->ifname;
	uint32_t idx;
	int r;

	if (x->ifname[0] == '#') {
		r = parse_u32(x->ifname + 1, INT32_MAX, &idx);
		if (r < 0 || idx == 0) {
			fprintf(stderr, PROG ": interface '%s': invalid ifindex\n", x->ifname);
			return -EINVAL;
		}
		ifname = if_indextoname(idx, name);
	}
	r = ifname ? cv_nl_link_get(x->nl, ifname, &x->link, &e) : -ENODEV;
	if (r < 0)
		fprintf(stderr, PROG ": interface '%s': %s\n", x->ifname, cv_strerror(r));
	return r;
}

/* ---- add, del, renew, hold, announce: through the backend ---- */

/* One VIP per address: what the backend reads of a VIP, from the options. */
static int
make_vips(struct ctx *x)
{
	x->vips = calloc(x->n ? x->n : 1, sizeof(*x->vips));
	x->names = calloc(x->n ? x->n : 1, sizeof(*x->names));
	x->res = calloc(x->n ? x->n : 1, sizeof(*x->res));
	if (!x->vips || !x->names || !x->res)
		return -ENOMEM;
	for (size_t i = 0; i < x->n; i++) {
		cv_addr_format(&x->addrs[i], true, x->names[i], sizeof(x->names[i]));
		x->vips[i] = (struct cv_vip_conf){
			.head = { .name = x->names[i] },
			.addrs = { .v = { { .addr = x->addrs[i] } }, .n = 1 },
			.interface = x->link.name,
			.backend = CV_BACKEND_L2,
			.announce_count = x->o.count,
			.announce_interval_ms = x->o.interval_ms,
			.garp = x->o.garp,
			.nodad = x->o.nodad,
			.deprecated = x->o.deprecated,
		};
	}
	return 0;
}

static int
run_batch(struct ctx *x, enum cv_oneshot_op op, const struct cv_vip_conf *vips, size_t n,
	  bool announce)
{
	bool frames = announce || op == CV_ONESHOT_ANNOUNCE;
	struct cv_oneshot_req req = {
		.op = op,
		.vips = vips,
		.n = n,
		.lease_s = x->o.lease_s,
		.announce = announce,
		.deadline_ms = RUN_DEADLINE_MS + (frames ? x->o.count * x->o.interval_ms : 0),
	};

	return cv_oneshot_run(x->run, &req, x->res);
}

/* Why a VIP's step failed, in our words: the DAD outcomes, else the errno and the kernel's. */
static void
print_failure(const struct ctx *x, const char *what, size_t i)
{
	const struct cv_oneshot_result *res = &x->res[i];
	bool dad = res->op == CV_ACT_ADDR_ADD && !x->vips[i].nodad &&
		   cv_vip_first_addr(&x->vips[i])->family == AF_INET6;

	fprintf(stderr, PROG ": %s %s on '%s': ", what, x->names[i], x->ifname);
	if (dad && res->err == -EADDRINUSE)
		fprintf(stderr, "duplicate address detection failed: the address is in use\n");
	else if (dad && res->err == -ETIMEDOUT)
		fprintf(stderr, "duplicate address detection did not finish within %d ms\n",
			DAD_DEADLINE_MS);
	else
		fprintf(stderr, "%s%s%s%s\n", cv_strerror(res->err),
			res->detail[0] ? " (kernel: " : "", res->detail, res->detail[0] ? ")" : "");
}

/* A run's outcome: 0, or the first failed VIP said (announce: per interface, as ever). */
static int
report(const struct ctx *x, const char *what, int r)
{
	size_t i = cv_oneshot_first_failure(x->res, x->n);

	if (r != -EIO || i == x->n) {
		if (r < 0)
			fprintf(stderr, PROG ": %s on '%s': %s\n", what, x->ifname, cv_strerror(r));
		return r;
	}
	if (x->res[i].op == CV_ACT_ANNOUNCE)
		fprintf(stderr, PROG ": announce on '%s': %s\n", x->ifname,
			cv_strerror(x->res[i].err));
	else
		print_failure(x, what, i);
	return x->res[i].err;
}

static int
dump_link(const struct ctx *x, struct cv_nl_addr **ret, size_t *ret_n)
{
	int r = cv_nl_addr_dump(x->nl, AF_UNSPEC, x->link.ifindex, ret, ret_n);

	if (r < 0)
		fprintf(stderr, PROG ": dump '%s': %s\n", x->ifname, cv_strerror(r));
	return r;
}

static bool
listed(const struct cv_addr *a, const struct cv_nl_addr *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (cv_addr_compare(a, &v[i].addr) == 0)
			return true;
	return false;
}

/*
 * After a failed add of several: remove what this call created (what was
 * not there before), nothing else: an address that failed DAD included.
 */
static void
roll_back(struct ctx *x, const struct cv_nl_addr *before, size_t nb)
{
	size_t m = 0;

	x->undo = calloc(x->n ? x->n : 1, sizeof(*x->undo));
	for (size_t i = 0; x->undo && i < x->n; i++)
		if (!listed(&x->addrs[i], before, nb))
			x->undo[m++] = x->vips[i];
	if (m) {
		_cleanup_free_ struct cv_oneshot_result *keep = x->res;

		x->res = calloc(m, sizeof(*x->res));
		if (x->res)
			(void)run_batch(x, CV_ONESHOT_RELEASE, x->undo, m, false);
		free(x->res);
		x->res = TAKE_PTR(keep);
	}
}

static void
print_refusal(const struct ctx *x, size_t i, const char *why)
{
	char a[CV_ADDR_STRLEN];

	fprintf(stderr, PROG ": add %s on '%s': %s\n",
		cv_addr_format(&x->addrs[i], true, a, sizeof(a)), x->ifname, why);
}

/*
 * An address already on the interface is ours to keep (add is idempotent)
 * only if it carries our tag; otherwise it is the admin's (or another
 * tool's), and taking it over would hand it to reconcile, which deletes
 * it on release: refuse before changing anything.
 */
static int
check_not_foreign(const struct ctx *x, const struct cv_nl_addr *v, size_t nv)
{
	for (size_t i = 0; i < x->n; i++)
		for (size_t k = 0; k < nv; k++)
			if (v[k].proto != (uint8_t)x->o.tag &&
			    cv_addr_same_host(&v[k].addr, &x->addrs[i])) {
				print_refusal(x, i, "address already on the interface and not ours");
				return -EADDRINUSE;
			}
	return 0;
}

static int
need_mac(const struct ctx *x, const char *what)
{
	if (x->link.mac_len == CV_MAC_LEN)
		return 0;
	fprintf(stderr, PROG ": %s on '%s': the interface has no Ethernet address\n", what,
		x->ifname);
	return -EINVAL;
}

/* Probe what is not on the interface yet (what is, is ours: checked before). */
static int
probe(const struct ctx *x, const struct cv_nl_addr *v, size_t nv)
{
	_cleanup_free_ struct cv_addr *todo = calloc(x->n ? x->n : 1, sizeof(*todo));
	_cleanup_free_ size_t *idx = calloc(x->n ? x->n : 1, sizeof(*idx));
	struct cv_l2_target t = { .ifindex = x->link.ifindex, .addrs = todo };
	struct cv_l2_conflict c;
	char mac[CV_MAC_STRLEN], why[64];
	int r = need_mac(x, "probe");

	if (r < 0)
		return r;
	if (!todo || !idx)
		return -ENOMEM;
	for (size_t i = 0; i < x->n; i++)
		if (!listed(&x->addrs[i], v, nv)) {
			idx[t.n] = i;
			todo[t.n++] = x->addrs[i];
		}
	memcpy(t.mac.bytes, x->link.mac, CV_MAC_LEN);
	r = t.n ? cv_l2_probe_run(&t, x->o.probe_ms, true, &c) : 0;
	if (r < 0)
		fprintf(stderr, PROG ": probe on '%s': %s\n", x->ifname, cv_strerror(r));
	if (r <= 0)
		return r;
	snprintf(why, sizeof(why), "address in use by %s",
		 cv_mac_format(&c.mac, mac, sizeof(mac)));
	print_refusal(x, idx[c.index], why);
	return -EADDRINUSE;
}

static int
cmd_announce(struct ctx *x)
{
	int r = need_mac(x, "announce");

	if (r == 0)
		r = report(x, "announce", run_batch(x, CV_ONESHOT_ANNOUNCE, x->vips, x->n, false));
	return r;
}

/* Nothing has changed yet: the checks can refuse cleanly. */
static int
add_checks(struct ctx *x, struct cv_nl_addr **ret_before, size_t *ret_nb)
{
	int r = x->o.announce ? need_mac(x, "announce") : 0;

	if (r == 0)
		r = dump_link(x, ret_before, ret_nb);
	if (r == 0)
		r = check_not_foreign(x, *ret_before, *ret_nb);
	if (r == 0 && x->o.probe_ms)
		r = probe(x, *ret_before, *ret_nb);
	return r;
}

/*
 * The backend reports each add once the address serves (IPv6 DAD passed,
 * with --dad), then announces what it took (--announce). A failed add takes
 * back what this call created; a failed announce leaves the addresses.
 */
static int
cmd_add(struct ctx *x)
{
	_cleanup_free_ struct cv_nl_addr *before = NULL;
	size_t nb = 0;
	int r = add_checks(x, &before, &nb);

	if (r < 0)
		return r;
	r = report(x, "add", run_batch(x, CV_ONESHOT_ACQUIRE, x->vips, x->n, x->o.announce));
	if (r < 0 && x->res[cv_oneshot_first_failure(x->res, x->n)].op == CV_ACT_ADDR_ADD)
		roll_back(x, before, nb);
	return r;
}

/* ---- hold: add, renew every lease/3 until SIGTERM or SIGINT, remove ---- */

struct hold {
	qb_loop_t *loop;
	bool stop;    /* a signal came */
	bool waiting; /* between runs: the loop is ours to stop */
	qb_loop_signal_handle sig[2];
	qb_loop_timer_handle timer;
	bool armed;
};

static int32_t
hold_signal(int32_t sig, void *data)
{
	struct hold *h = data;

	h->stop = true;
	if (h->waiting) /* during a run, the run goes on: we stop after it */
		qb_loop_stop(h->loop);
	return 0;
}

static void
hold_tick(void *data)
{
	struct hold *h = data;

	h->armed = false;
	qb_loop_stop(h->loop);
}

/* Until the next renewal (lease 0: none) or a signal. */
static void
hold_wait(struct hold *h, uint32_t lease_s)
{
	if (h->stop)
		return;
	if (lease_s)
		h->armed = qb_loop_timer_add(h->loop, QB_LOOP_HIGH,
					     (uint64_t)lease_s * QB_TIME_NS_IN_SEC / 3, h, hold_tick,
					     &h->timer) == 0;
	h->waiting = true;
	qb_loop_run(h->loop);
	h->waiting = false;
	if (h->armed)
		qb_loop_timer_del(h->loop, h->timer);
	h->armed = false;
}

static int
cmd_hold(struct ctx *x)
{
	struct hold h = { .loop = cv_oneshot_loop(x->run) };
	int r;

	/* Before the add: a signal from now on ends the hold cleanly. */
	r = qb_loop_signal_add(h.loop, QB_LOOP_HIGH, SIGTERM, &h, hold_signal, &h.sig[0]);
	if (r == 0)
		r = qb_loop_signal_add(h.loop, QB_LOOP_HIGH, SIGINT, &h, hold_signal, &h.sig[1]);
	if (r < 0)
		return report(x, "hold", r);
	r = report(x, "hold", run_batch(x, CV_ONESHOT_ACQUIRE, x->vips, x->n, false));
	while (r == 0 && !h.stop) {
		hold_wait(&h, x->o.lease_s);
		if (!h.stop)
			r = report(x, "hold", run_batch(x, CV_ONESHOT_RENEW, x->vips, x->n, false));
	}
	if (r == 0)
		r = report(x, "hold", run_batch(x, CV_ONESHOT_RELEASE, x->vips, x->n, false));
	return r;
}

static const char *
lifetime(uint32_t s, char *buf, size_t len)
{
	if (s == CV_NL_LIFETIME_FOREVER)
		return "forever";
	snprintf(buf, len, "%u", s);
	return buf;
}

static int
cmd_dump(struct ctx *x)
{
	_cleanup_free_ struct cv_nl_addr *v = NULL;
	size_t n = 0;
	int r = dump_link(x, &v, &n);

	for (size_t i = 0; r == 0 && i < n; i++) {
		char a[CV_ADDR_STRLEN], vl[16], pl[16];

		if (x->o.ours && v[i].proto != (uint8_t)x->o.tag)
			continue;
		printf("%s proto 0x%02x valid %s preferred %s flags 0x%x\n",
		       cv_addr_format(&v[i].addr, true, a, sizeof(a)), v[i].proto,
		       lifetime(v[i].valid_s, vl, sizeof(vl)),
		       lifetime(v[i].preferred_s, pl, sizeof(pl)), v[i].flags);
	}
	return r;
}

static bool
wanted(const struct ctx *x, const struct cv_addr *a)
{
	for (size_t i = 0; i < x->n; i++)
		if (cv_addr_compare(a, &x->addrs[i]) == 0)
			return true;
	return false;
}

/* Remove every address of ours (by IFA_PROTO) that is not listed; never the admin's. */
static int
cmd_reconcile(struct ctx *x)
{
	_cleanup_free_ struct cv_nl_addr *v = NULL;
	_cleanup_free_ struct cv_nl_addr_req *stray = NULL;
	struct cv_nl_error e = {};
	size_t n = 0, ns = 0;
	int r = dump_link(x, &v, &n);

	if (r < 0)
		return r;
	stray = calloc(n ? n : 1, sizeof(*stray));
	if (!stray)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (v[i].proto == (uint8_t)x->o.tag && !wanted(x, &v[i].addr))
			stray[ns++] = (struct cv_nl_addr_req){ .addr = v[i].addr,
							       .ifindex = x->link.ifindex,
							       .tag = (uint8_t)x->o.tag };
	r = cv_nl_addr_batch(x->nl, CV_NL_DEL, stray, ns, NULL, &e);
	if (r < 0) {
		fprintf(stderr, PROG ": reconcile '%s': delete failed: %s\n", x->ifname,
			cv_strerror(r));
		return r;
	}
	for (size_t i = 0; i < ns; i++) {
		char a[CV_ADDR_STRLEN];

		printf("removed %s\n", cv_addr_format(&stray[i].addr, true, a, sizeof(a)));
	}
	return 0;
}

/* ---- monitor: one line per event of the interface, for tests ---- */

/* SIGTERM and SIGINT blocked and readable from a signalfd (close-on-exec, non-blocking); -errno. */
static int
run(struct ctx *x, const char *cmd)
{
	if (strcmp(cmd, "add") == 0)
		return cmd_add(x);
	if (strcmp(cmd, "del") == 0)
		return report(x, "delete", run_batch(x, CV_ONESHOT_RELEASE, x->vips, x->n, false));
	if (strcmp(cmd, "renew") == 0)
		return report(x, "renew", run_batch(x, CV_ONESHOT_RENEW, x->vips, x->n, false));
	if (strcmp(cmd, "announce") == 0)
		return cmd_announce(x);
	if (strcmp(cmd, "hold") == 0)
		return cmd_hold(x);
	if (strcmp(cmd, "dump") == 0)
		return cmd_dump(x);
	if (strcmp(cmd, "monitor") == 0)
		return cv_l2_cli_monitor(x->nl, x->ifname, x->link.ifindex, x->o.rcvbuf,
					 x->o.no_ipv4_new);
	return cmd_reconcile(x);
}

static bool
needs_addrs(const char *cmd)
{
	return strcmp(cmd, "dump") != 0 && strcmp(cmd, "reconcile") != 0 &&
	       strcmp(cmd, "monitor") != 0;
}

static bool
through_backend(const char *cmd)
{
	return needs_addrs(cmd);
}

static bool
known(const char *cmd)
{
	static const char *const cmds[] = { "add",  "del",  "renew",	 "announce",
					    "hold", "dump", "reconcile", "monitor" };

	for (size_t i = 0; i < ELEMENTSOF(cmds); i++)
		if (strcmp(cmd, cmds[i]) == 0)
			return true;
	return false;
}

/* Everything the command needs, checked before anything changes. */
static int
prepare(struct ctx *x, int argc, char **argv)
{
	int r = 0;

	if (optind >= argc) {
		usage(stderr);
		return -EINVAL;
	}
	x->ifname = argv[optind++];
	for (; r == 0 && optind < argc; optind++)
		r = add_addr(x, argv[optind]);
	if (r == 0 && x->o.file)
		r = read_file(x, x->o.file);
	if (r < 0)
		return r;
	if (x->n == 0 && needs_addrs(argv[0])) {
		fprintf(stderr, PROG ": %s: no address given\n", argv[0]);
		return -EINVAL;
	}
	r = cv_nl_new(&x->nl);
	if (r < 0) {
		fprintf(stderr, PROG ": netlink socket: %s\n", cv_strerror(r));
		return r;
	}
	r = resolve_link(x);
	if (r < 0 || !through_backend(argv[0]))
		return r;
	r = make_vips(x);
	if (r == 0)
		r = cv_oneshot_new(CV_BACKEND_L2, (uint8_t)x->o.tag, 0, &x->run);
	if (r < 0)
		fprintf(stderr, PROG ": %s: %s\n", argv[0], cv_strerror(r));
	return r;
}

int
main(int argc, char **argv)
{
	struct ctx x = {};
	int r;

	if (argc < 2 || !known(argv[1])) {
		usage(argc >= 2 && strcmp(argv[1], "--help") == 0 ? stdout : stderr);
		return argc >= 2 && strcmp(argv[1], "--help") == 0 ? EXIT_OK : EXIT_USAGE;
	}
	/* getopt sees the command as its argv[0]. */
	if (parse_opts(argc - 1, argv + 1, &x.o) < 0) {
		usage(stderr);
		return EXIT_USAGE;
	}
	r = prepare(&x, argc - 1, argv + 1);
	if (r == 0)
		r = run(&x, argv[1]);
	cv_oneshot_free(x.run); /* before what its backend may still point to */
	cv_nl_free(x.nl);
	free(x.addrs);
	free(x.vips);
	free(x.names);
	free(x.undo);
	free(x.res);
	return r == 0 ? EXIT_OK : EXIT_FAIL;
}
