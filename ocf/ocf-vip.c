/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ocf:corovip:vip, the OCF resource agent (issue 15): Pacemaker places the
 * address, this applies it through the daemon's own backends, one batch on
 * a private loop (backend/oneshot.h): netlink and corovip's announce frames
 * for l2, Neutron for openstack. No shell, no forked tools: a start is a
 * netlink call and a frame.
 *
 *   corovip-ocf-vip start|stop|monitor|validate-all|meta-data|reload-agent
 *   (installed as $OCF_ROOT/resource.d/corovip/vip; parameters from
 *   OCF_RESKEY_*, ocf-params.c)
 *
 * Its addresses carry the tag CV_TAG_OCF: monitor and stop see only those,
 * so the agent never removes corovipd's or an administrator's address, and
 * it refuses an address that corovipd manages (ocf-daemon.h). Exit codes are
 * the OCF ones.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <qb/qblog.h>

#include "cv-error.h"
#include "cv-macros.h"
#include "number.h"
#include "ocf-addr.h"
#include "ocf-daemon.h"
#include "ocf-meta.h"
#include "ocf-params.h"
#include "oneshot.h"

enum {
	OCF_SUCCESS = 0,
	OCF_ERR_GENERIC = 1,
	OCF_ERR_ARGS = 2,
	OCF_ERR_UNIMPLEMENTED = 3,
	OCF_ERR_INSTALLED = 5,
	OCF_ERR_CONFIGURED = 6,
	OCF_NOT_RUNNING = 7,
};

/* A netlink add or delete takes milliseconds; IPv6 DAD up to 5 s (l2-int.h). */
#define L2_DEADLINE_MS 10000

static int
say(int level, int code, const char *fmt, ...) _printf_(3, 4);

/* Pacemaker's executor logs what an agent writes to stderr. */
static int
say(int level, int code, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	qb_log(level, "%s", buf);
	return code;
}

static void
res_donep(struct ocf_res *r)
{
	ocf_res_done(r);
}

static bool
is_l2(const struct ocf_res *r)
{
	return cv_vip_mover(r->vip) == CV_BACKEND_L2;
}

/* Epochs for the cloud's stamp: Pacemaker decides, so the latest move wins. */
static uint64_t
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* This node's corosync id, as Pacemaker passes it (0: unknown). */
static uint32_t
node_id(void)
{
	uint32_t id;

	return cv_parse_u32(getenv("OCF_RESKEY_CRM_meta_on_node_uuid"), UINT32_MAX, &id) == 0 ? id
												: 0;
}

/* One batch of vip on a fresh private loop; res: its outcome. */
static int
run(const struct ocf_res *r, const struct cv_vip_conf *vip, enum cv_oneshot_op op,
    struct cv_oneshot_result *res)
{
	struct cv_oneshot_req req = { .op = op, .vips = vip, .n = 1, .lease_s = r->lease_s,
				      .epoch = is_l2(r) ? 0 : wall_ms() };
	int rc;

	req.deadline_ms = is_l2(r) ? L2_DEADLINE_MS : 2 * vip->cloud_conf->op_timeout_ms + 5000;
	rc = cv_oneshot_apply(vip->backend, CV_TAG_OCF, node_id(), &req, res);
	return rc == -EIO ? res->err : rc;
}

static int
failed(const char *what, int err, const struct cv_oneshot_result *res)
{
	return say(LOG_ERR, err == -ENODEV ? OCF_ERR_INSTALLED : OCF_ERR_GENERIC, "%s: %s%s%s", what,
		   cv_strerror(err), res->detail[0] ? ": " : "", res->detail);
}

static int
load(struct ocf_res *r)
{
	char why[512];
	int rc = ocf_res_load(r, why, sizeof(why));

	if (rc == -EINVAL)
		return say(LOG_ERR, OCF_ERR_CONFIGURED, "%s", why);
	if (rc < 0)
		return say(LOG_ERR, OCF_ERR_GENERIC, "reading the parameters: %s", cv_strerror(rc));
	return OCF_SUCCESS;
}

/* backend=l2 (the default): known before the parameters are read. */
static bool
l2_param(void)
{
	const char *b = getenv("OCF_RESKEY_backend");

	return !b || !b[0] || strcmp(b, "l2") == 0;
}

/* Where our address is now; -ENOENT: nowhere (not running). */
static int
locate(const char *ip, char *ifname, size_t len, uint8_t *plen)
{
	struct cv_addr a;

	if (!ip || cv_addr_parse_host(ip, &a) < 0)
		return -ENOENT; /* nothing we could have added */
	return ocf_locate(&a, CV_TAG_OCF, ifname, len, plen);
}

/*
 * monitor and stop find our address wherever it is, and without IPaddr2's
 * lookup of its network (that network's own address may be gone): what
 * the resource leaves unsaid is taken from where it is.
 */
static int
locate_and_load(struct ocf_res *r, bool *ret_here)
{
	const char *ip = getenv("OCF_RESKEY_ip");
	char ifname[64], plen_text[8];
	uint8_t plen;
	int rc;

	*ret_here = false;
	if (!l2_param())
		return load(r);
	rc = locate(ip, ifname, sizeof(ifname), &plen);
	if (rc == -ENOENT)
		return OCF_SUCCESS;
	if (rc < 0)
		return say(LOG_ERR, OCF_ERR_GENERIC, "looking for %s: %s", ip, cv_strerror(rc));
	*ret_here = true;
	snprintf(plen_text, sizeof(plen_text), "%u", plen);
	setenv("OCF_RESKEY_nic", ifname, 0);
	setenv("OCF_RESKEY_cidr_netmask", plen_text, 0);
	return load(r);
}

/* corovipd manages it: refused (a warning only when it cannot tell). */
static int
check_daemon(const struct ocf_res *r)
{
	char ip[CV_ADDR_STRLEN], vip[128] = "", why[512] = "";
	int rc;

	cv_addr_format(cv_vip_first_addr(r->vip), false, ip, sizeof(ip));
	rc = ocf_daemon_has(ip, vip, sizeof(vip), why, sizeof(why));
	if (rc == -EEXIST)
		return say(LOG_ERR, OCF_ERR_CONFIGURED, "corovipd on this node manages %s (its VIP "
			   "'%s'): a resource must not manage it too", ip, vip);
	if (rc < 0)
		say(LOG_WARNING, 0, "%s; going on", why);
	return OCF_SUCCESS;
}

static int
do_validate(void)
{
	_cleanup_(res_donep) struct ocf_res r = {};
	int rc = load(&r);

	if (rc != OCF_SUCCESS)
		return rc;
	if (is_l2(&r) && !if_nametoindex(r.vip->interface))
		return say(LOG_ERR, OCF_ERR_CONFIGURED, "parameter nic: no interface '%s' here",
			   r.vip->interface);
	return check_daemon(&r);
}

/* vip with another announce count: the first frame now, the rest apart. */
static struct cv_vip_conf
with_count(const struct cv_vip_conf *vip, uint32_t count)
{
	struct cv_vip_conf c = *vip;

	c.announce_count = count;
	c.announce_refresh_ms = 0;
	return c;
}

/*
 * arp_bg: the frames after the first from a child of our own, as IPaddr2's
 * background send_arp, which stops as soon as the address is not ours any
 * more (a quick move must not draw traffic back here). Its stdio goes to
 * /dev/null: Pacemaker waits for the agent's output to end.
 */
static void
announce_rest(const struct ocf_res *r, uint32_t left)
{
	const char *ip = getenv("OCF_RESKEY_ip");
	struct cv_vip_conf one = with_count(r->vip, 1);
	int fd;

	if (fork() != 0)
		return; /* the parent (or no child: the first frame was out) */
	setsid();
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
	}
	for (; left; left--) {
		struct cv_oneshot_result res = {};
		char ifname[64];
		uint8_t plen;

		poll(NULL, 0, (int)r->vip->announce_interval_ms); /* the frames' pace */
		if (locate(ip, ifname, sizeof(ifname), &plen) < 0)
			_exit(0);
		(void)run(r, &one, CV_ONESHOT_ANNOUNCE, &res);
	}
	_exit(0);
}

static int
announce(const struct ocf_res *r, uint32_t count, bool background)
{
	struct cv_vip_conf c = with_count(r->vip, background ? 1 : count);
	struct cv_oneshot_result res = {};
	int rc;

	if (!count || !is_l2(r))
		return OCF_SUCCESS;
	rc = run(r, &c, CV_ONESHOT_ANNOUNCE, &res);
	if (rc < 0) /* the address serves; a lost frame is not a failed start */
		say(LOG_WARNING, 0, "announcing %s: %s", r->vip->head.name, cv_strerror(rc));
	if (background && count > 1)
		announce_rest(r, count - 1);
	return OCF_SUCCESS;
}

static int
do_start(void)
{
	_cleanup_(res_donep) struct ocf_res r = {};
	struct cv_oneshot_result res = {};
	int rc = load(&r);

	if (rc == OCF_SUCCESS)
		rc = check_daemon(&r);
	if (rc != OCF_SUCCESS)
		return rc;
	rc = run(&r, r.vip, CV_ONESHOT_ACQUIRE, &res);
	if (rc == -EADDRINUSE)
		return say(LOG_ERR, OCF_ERR_GENERIC, "%s is on the interface already and not ours "
			   "(an administrator's, another agent's or corovipd's): left alone",
			   getenv("OCF_RESKEY_ip"));
	if (rc < 0)
		return failed("start", rc, &res);
	return announce(&r, r.vip->announce_count, r.arp_bg);
}

static int
do_stop(void)
{
	_cleanup_(res_donep) struct ocf_res r = {};
	struct cv_oneshot_result res = {};
	bool here;
	int rc = locate_and_load(&r, &here);

	if (rc != OCF_SUCCESS || (l2_param() && !here))
		return rc;
	rc = run(&r, r.vip, CV_ONESHOT_RELEASE, &res);
	return rc < 0 ? failed("stop", rc, &res) : OCF_SUCCESS;
}

/*
 * Cheap: one netlink dump. With a lease it renews it (nothing else renews
 * a kernel lease under Pacemaker), with arp_count_refresh it announces.
 */
static int
do_monitor(void)
{
	_cleanup_(res_donep) struct ocf_res r = {};
	struct cv_oneshot_result res = {};
	bool here;
	int rc = locate_and_load(&r, &here);

	if (rc != OCF_SUCCESS)
		return rc;
	if (l2_param() && !here)
		return OCF_NOT_RUNNING;
	if (!is_l2(&r) || r.lease_s) {
		rc = run(&r, r.vip, CV_ONESHOT_RENEW, &res);
		if (rc == -EADDRNOTAVAIL || rc == -ENOENT)
			return OCF_NOT_RUNNING;
		if (rc < 0)
			return failed("monitor", rc, &res);
	}
	return announce(&r, r.arp_count_refresh, false);
}

/* The reloadable parameters are read by each action; a lease starts now. */
static int
do_reload(void)
{
	_cleanup_(res_donep) struct ocf_res r = {};
	struct cv_oneshot_result res = {};
	bool here;
	int rc = locate_and_load(&r, &here);

	if (rc != OCF_SUCCESS || !here)
		return rc;
	rc = run(&r, r.vip, CV_ONESHOT_RENEW, &res);
	return rc < 0 ? failed("reload-agent", rc, &res) : OCF_SUCCESS;
}

static void
log_start(void)
{
	qb_log_init("corovip-ocf", LOG_DAEMON, LOG_INFO);
	qb_log_ctl(QB_LOG_SYSLOG, QB_LOG_CONF_ENABLED, QB_FALSE);
	qb_log_ctl(QB_LOG_STDERR, QB_LOG_CONF_ENABLED, QB_TRUE);
	qb_log_filter_ctl(QB_LOG_STDERR, QB_LOG_FILTER_ADD, QB_LOG_FILTER_FILE, "*", LOG_INFO);
	qb_log_format_set(QB_LOG_STDERR, "%p: %b");
}

/*
 * This build has the L2 backend only (ocf/Makefile.inc): a cloud backend's
 * actions are the cloud build's, our sibling in the build tree or the
 * installed one. Returns only when neither runs.
 */
#ifndef CV_OCF_CLOUD_BUILD
static int
run_cloud_build(char **argv)
{
	char self[4096], path[4200];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	if (n > 0) {
		self[n] = '\0';
		slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			snprintf(path, sizeof(path), "%s/corovip-ocf-vip-cloud", self);
			execv(path, argv);
		}
	}
	execv(CV_PKGLIBEXECDIR "/corovip-ocf-vip-cloud", argv);
	return say(LOG_ERR, OCF_ERR_INSTALLED, "backend %s: cannot run %s: %s",
		   getenv("OCF_RESKEY_backend"), CV_PKGLIBEXECDIR "/corovip-ocf-vip-cloud",
		   strerror(errno));
}
#endif

static int
usage(FILE *f, int code)
{
	fputs("Usage: vip start|stop|monitor|validate-all|meta-data|reload-agent\n"
	      "  (an OCF resource agent: parameters come as OCF_RESKEY_*)\n", f);
	return code;
}

int
main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(void);
	} actions[] = {
		{ "start", do_start },	   { "stop", do_stop },
		{ "monitor", do_monitor }, { "status", do_monitor },
		{ "validate-all", do_validate }, { "reload-agent", do_reload },
	};
	int code = OCF_ERR_UNIMPLEMENTED;

	if (argc != 2)
		return usage(stderr, OCF_ERR_ARGS);
	if (strcmp(argv[1], "meta-data") == 0)
		return ocf_meta_print(stdout) == 0 ? OCF_SUCCESS : OCF_ERR_GENERIC;
	if (strcmp(argv[1], "usage") == 0 || strcmp(argv[1], "help") == 0)
		return usage(stdout, OCF_SUCCESS);
	/* a background announcer is a child we do not wait for */
	signal(SIGCHLD, SIG_IGN);
	log_start();
#ifndef CV_OCF_CLOUD_BUILD
	if (!l2_param())
		return run_cloud_build(argv);
#endif
	for (size_t i = 0; i < ELEMENTSOF(actions); i++)
		if (strcmp(argv[1], actions[i].name) == 0)
			code = actions[i].fn();
	qb_log_fini();
	return code;
}
