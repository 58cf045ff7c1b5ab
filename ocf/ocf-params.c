/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cv-macros.h"
#include "name.h"
#include "number.h"
#include "ocf-addr.h"
#include "ocf-params.h"
#include "strbuf.h"

#define D(s) s
/* IPaddr2's defaults where it has them: a user switches by changing the type. */
const struct ocf_param ocf_params[] = {
	{ "ip", "string", NULL, OCF_P_REQUIRED | OCF_P_UNIQUE, "IPv4 or IPv6 address",
	  D("The address to manage (IPv4 dotted quad or IPv6), as IPaddr2's ip.") },
	{ "nic", "string", NULL, 0, "Network interface",
	  D("The interface to add the address to. Unset: the interface whose network "
	    "contains ip (as IPaddr2 finds it). nic=eth0:label sets the label too.") },
	{ "cidr_netmask", "string", NULL, 0, "Prefix length (or IPv4 netmask)",
	  D("The prefix length (24, 64), or an IPv4 netmask (255.255.255.0). Unset: the "
	    "prefix of the interface network that contains ip.") },
	{ "broadcast", "string", NULL, 0, "IPv4 broadcast address",
	  D("Accepted as IPaddr2's; the kernel's broadcast for the interface's network "
	    "serves the address (an added address needs none of its own).") },
	{ "iflabel", "string", NULL, 0, "Interface label",
	  D("Accepted as IPaddr2's; addresses carry corovip's owner tag (IFA_PROTO), "
	    "which is what tells them apart, not a label.") },
	{ "arp_count", "integer", "5", OCF_P_RELOADABLE, "Gratuitous ARPs / unsolicited NAs sent",
	  D("How many frames announce the address after a start (0: none).") },
	{ "arp_interval", "integer", "200", OCF_P_RELOADABLE, "Milliseconds between frames",
	  D("The time between two announce frames, in milliseconds (10 to 10000).") },
	{ "arp_count_refresh", "integer", "0", OCF_P_RELOADABLE,
	  "Frames sent at each monitor",
	  D("How many announce frames each monitor sends (0: none; the monitor then only "
	    "looks at the address).") },
	{ "arp_bg", "boolean", "true", OCF_P_RELOADABLE, "Announce in the background",
	  D("true: start returns once the first frame is out; the rest follow from a "
	    "background process, which stops as soon as the address is no longer ours. "
	    "false: start returns after the last frame.") },
	{ "nodad", "boolean", "false", 0, "IPv6: no duplicate address detection",
	  D("false: an IPv6 start waits for duplicate address detection and fails if "
	    "another host has the address; true: the address serves at once.") },
	{ "preferred_lft", "string", "forever", 0, "IPv6 preferred lifetime",
	  D("forever, or 0: a deprecated address (not chosen as a source).") },
	{ "lease", "integer", "0", OCF_P_RELOADABLE, "Kernel lease in seconds",
	  D("0: the address stays until stop (as with IPaddr2). N: the kernel removes it N "
	    "seconds after the last start or monitor renewed it, so a node that lost "
	    "Pacemaker does not keep it forever; each monitor renews it (its interval "
	    "must be well under N).") },
	{ "garp", "string", "request", OCF_P_RELOADABLE, "IPv4 announce form",
	  D("request, reply, or both (some hosts heed only one).") },
	{ "backend", "string", "l2", 0, "How the address moves",
	  D("l2: the interface (netlink) and announces; openstack: a floating IP "
	    "re-associated through Neutron (see cloud, floating_ip, port); aws: an Elastic "
	    "IP associated through EC2 (see allocation_id, eni).") },
	{ "cloud", "string", NULL, 0, "clouds.yaml entry (openstack)",
	  D("The cloud's name in clouds.yaml.") },
	{ "clouds_yaml", "string", NULL, 0, "clouds.yaml path (openstack)",
	  D("Unset: OpenStack's search path and /etc/openstack/clouds.yaml.") },
	{ "secrets_file", "string", NULL, 0, "Secrets file (openstack)",
	  D("A file with the password or application credential secret, never a "
	    "parameter (parameters are visible in the CIB).") },
	{ "region", "string", NULL, 0, "Region (openstack, aws)",
	  D("openstack: the catalog's region; aws: the signing region (unset: IMDS's, "
	    "with imds).") },
	{ "endpoint_interface", "string", "public", 0, "Endpoint interface (openstack)",
	  D("public, internal or admin.") },
	{ "ca_file", "string", NULL, 0, "CA file (openstack)", D("TLS trust for the API.") },
	{ "proxy", "string", NULL, 0, "HTTP proxy (openstack)", D("As libcurl takes it.") },
	{ "floating_ip", "string", NULL, 0, "Floating IP id (openstack)",
	  D("The floating IP to associate with this node's port (required with "
	    "backend=openstack).") },
	{ "port", "string", NULL, 0, "This node's port id (openstack)",
	  D("The Neutron port of this node that the floating IP is associated with "
	    "(required with backend=openstack).") },
	{ "fixed_ip", "string", NULL, 0, "Fixed address (openstack, aws)",
	  D("Which of the port's fixed addresses the floating IP maps to.") },
	{ "allocation_id", "string", NULL, 0, "Elastic IP allocation (aws)",
	  D("The Elastic IP's allocation id, eipalloc-... (required with backend=aws); ip "
	    "is its public address.") },
	{ "eni", "string", NULL, 0, "This node's ENI (aws)",
	  D("The network interface (eni-...) the Elastic IP is associated with. Unset: the "
	    "instance's primary ENI, from IMDS (imds must be set).") },
	{ "endpoint", "string", NULL, 0, "EC2 endpoint (aws)",
	  D("EC2's URL. Unset: the region's.") },
	{ "credentials_file", "string", NULL, 0, "Credentials file (aws)",
	  D("A shared credentials file (never keys as parameters: they are visible in the "
	    "CIB). Unset: the environment, or the instance role through imds.") },
	{ "profile", "string", NULL, 0, "Credentials profile (aws)",
	  D("The credentials file's profile (default: default).") },
	{ "imds", "string", NULL, 0, "IMDSv2 URL (aws)",
	  D("On EC2, http://169.254.169.254: the instance role's credentials, the region and "
	    "this node's ENI.") },
	{ "op_timeout", "integer", "20", 0, "Seconds for one API move (openstack, aws)",
	  D("The backend's own bound on one move; Pacemaker's operation timeout should "
	    "exceed twice it.") },
	/* IPaddr2's with no meaning here: default only (the longdesc is the reason). */
	{ "lvs_support", "boolean", "false", OCF_P_COMPAT, "IPaddr2 only",
	  D("LVS direct routing moves the address to lo; corovip does not manage lo.") },
	{ "lvs_ipv6_addrlabel", "boolean", "false", OCF_P_COMPAT, "IPaddr2 only",
	  D("An LVS setting; corovip sets no address labels.") },
	{ "lvs_ipv6_addrlabel_value", "integer", "99", OCF_P_COMPAT, "IPaddr2 only",
	  D("An LVS setting; corovip sets no address labels.") },
	{ "clusterip_hash", "string", "sourceip-sourceport", OCF_P_COMPAT, "IPaddr2 only",
	  D("CLUSTERIP (iptables) is gone from current kernels; corovip is one address on "
	    "one node.") },
	{ "unique_clone_address", "boolean", "false", OCF_P_COMPAT, "IPaddr2 only",
	  D("corovip's resource is not cloned: one address, one node.") },
	{ "arp_mac", "string", "ffffffffffff", OCF_P_COMPAT, "IPaddr2 only",
	  D("corovip announces to the broadcast address only.") },
	{ "arp_sender", "string", NULL, OCF_P_COMPAT, "IPaddr2 only",
	  D("corovip sends its own frames; there is no external sender to choose.") },
	{ "send_arp_opts", "string", NULL, OCF_P_COMPAT, "IPaddr2 only",
	  D("corovip sends its own frames; there is no external sender to pass options to.") },
	{ "flush_routes", "boolean", "false", OCF_P_COMPAT, "IPaddr2 only",
	  D("corovip leaves the routing table alone.") },
	{ "run_arping", "boolean", "false", OCF_P_COMPAT, "IPaddr2 only",
	  D("Duplicate detection is nodad=false (IPv6); no arping runs.") },
	{ "network_namespace", "string", NULL, OCF_P_COMPAT, "IPaddr2 only",
	  D("Run the resource in the namespace instead (e.g. in a Pacemaker bundle).") },
	{ "noprefixroute", "boolean", "false", OCF_P_COMPAT, "IPaddr2 only",
	  D("corovip adds the address as ip does by default.") },
	{ "mac", "string", NULL, OCF_P_COMPAT, "IPaddr2 only",
	  D("A CLUSTERIP setting (see clusterip_hash).") },
};
const size_t ocf_n_params = ELEMENTSOF(ocf_params);

static const char *
param(const char *name)
{
	char key[80];
	const char *v;

	snprintf(key, sizeof(key), "OCF_RESKEY_%s", name);
	v = getenv(key);
	return v && v[0] ? v : NULL;
}

static int _printf_(3, 4)
bad(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int
ocf_parse_bool(const char *text, bool *ret)
{
	static const char *const yes[] = { "yes", "true", "on", "1", "y" };
	static const char *const no[] = { "no", "false", "off", "0", "n" };

	for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
		if (strcasecmp(text, yes[i]) == 0)
			*ret = true;
		else if (strcasecmp(text, no[i]) == 0)
			*ret = false;
		else
			continue;
		return 0;
	}
	return -EINVAL;
}

/* The same meaning as the default (booleans and numbers compared by value). */
static bool
is_default(const struct ocf_param *p, const char *v)
{
	bool a, b;

	if (!p->def)
		return false;
	if (strcmp(p->type, "boolean") == 0)
		return ocf_parse_bool(v, &a) == 0 && ocf_parse_bool(p->def, &b) == 0 && a == b;
	return strcmp(v, p->def) == 0;
}

/* IPaddr2's parameters that mean nothing here: refused unless at their default. */
static int
check_compat(char *why, size_t len)
{
	for (size_t i = 0; i < ocf_n_params; i++) {
		const struct ocf_param *p = &ocf_params[i];
		const char *v = param(p->name);

		if ((p->flags & OCF_P_COMPAT) && v && !is_default(p, v))
			return bad(why, len, "parameter %s=%s is not supported: %s", p->name, v,
				   p->longdesc);
	}
	return 0;
}

/* A value goes into a config line as it is: no line breaks, no comment. */
static int
check_text(const char *name, const char *v, char *why, size_t len)
{
	for (const char *c = v; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f || *c == '#')
			return bad(why, len, "parameter %s: control characters and '#' are not "
				   "allowed", name);
	return 0;
}

/* The config text, and which parameter each line came from (for errors). */
struct text {
	struct cv_strbuf b;
	const char *from[64];
	unsigned lines;
};

static void _printf_(3, 4)
line(struct text *t, const char *from, const char *fmt, ...)
{
	char buf[1200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	cv_strbuf_printf(&t->b, "%s\n", buf);
	if (t->lines < ELEMENTSOF(t->from))
		t->from[t->lines] = from;
	t->lines++;
}

static void
text_done(struct text *t)
{
	cv_strbuf_done(&t->b);
}

/* A key of the config from a parameter of the same meaning, if set. */
static int
copy_key(struct text *t, const char *name, const char *key, char *why, size_t len)
{
	const char *v = param(name);

	if (!v)
		return 0;
	if (check_text(name, v, why, len) < 0)
		return -EINVAL;
	line(t, name, "\t%s: %s", key, v);
	return 0;
}

/* cidr_netmask: a prefix length, or an IPv4 dotted netmask. */
static int
prefix_of(const char *mask, int family, uint8_t *ret)
{
	struct in_addr m;
	uint32_t v, plen;

	if (cv_parse_u32(mask, family == AF_INET ? 32 : 128, &plen) == 0) {
		*ret = (uint8_t)plen;
		return 0;
	}
	if (family != AF_INET || inet_pton(AF_INET, mask, &m) != 1)
		return -EINVAL;
	v = ntohl(m.s_addr);
	if ((~v & (~v + 1)) != 0) /* the ones must come first, in one run */
		return -EINVAL;
	plen = (uint32_t)__builtin_popcount(v);
	*ret = (uint8_t)plen;
	return 0;
}

/* ip, cidr_netmask and nic: the address line and the interface line. */
static int
address_lines(struct text *t, char *why, size_t len)
{
	const char *ip = param("ip"), *mask = param("cidr_netmask"), *nic = param("nic");
	char ifname[CV_IFNAME_MAX + 1] = "", text[CV_ADDR_STRLEN];
	struct cv_addr a;
	uint8_t plen = 0;
	int r;

	if (!ip)
		return bad(why, len, "parameter ip is required");
	if (cv_addr_parse_host(ip, &a) < 0)
		return bad(why, len, "parameter ip: '%s' is not an IPv4 or IPv6 address", ip);
	if (mask && prefix_of(mask, a.family, &plen) < 0)
		return bad(why, len, "parameter cidr_netmask: '%s' is not a prefix length or "
			   "netmask for %s", mask, ip);
	if (nic) {
		/* IPaddr2's old form nic=eth0:label: the label is cosmetic here */
		size_t n = strcspn(nic, ":");

		if (n == 0 || n > CV_IFNAME_MAX)
			return bad(why, len, "parameter nic: '%s' is not an interface name", nic);
		memcpy(ifname, nic, n);
		ifname[n] = '\0';
	}
	if (!mask || !nic) {
		r = ocf_findif(&a, ifname, mask ? NULL : &plen, ifname, sizeof(ifname));
		if (r == -ENXIO)
			return bad(why, len, "no interface%s%s has a network that contains %s: set "
				   "%s", nic ? " " : "", nic ? ifname : "", ip,
				   nic ? "cidr_netmask" : "nic and cidr_netmask");
		if (r < 0)
			return bad(why, len, "looking up the interface of %s: %s", ip, strerror(-r));
	}
	a.prefixlen = plen;
	line(t, "ip", "\taddress: %s", cv_addr_format(&a, true, text, sizeof(text)));
	if (check_text("nic", ifname, why, len) < 0)
		return -EINVAL;
	line(t, "nic", "\tinterface: %s", ifname);
	return 0;
}

static int
announce_lines(struct text *t, char *why, size_t len)
{
	const char *v;
	uint32_t n;
	bool b;

	if ((v = param("arp_count")) && cv_parse_u32(v, 100, &n) < 0)
		return bad(why, len, "parameter arp_count: '%s' is not a number from 0 to 100", v);
	if (v)
		line(t, "arp_count", "\tannounce_count: %u", n);
	if ((v = param("arp_interval")) && (cv_parse_u32(v, 10000, &n) < 0 || n < 10))
		return bad(why, len, "parameter arp_interval: '%s' is not a number of "
			   "milliseconds from 10 to 10000", v);
	/* IPaddr2's default (200 ms) is corovip's own */
	if (v)
		line(t, "arp_interval", "\tannounce_interval: %ums", n);
	if ((v = param("nodad")) && ocf_parse_bool(v, &b) < 0)
		return bad(why, len, "parameter nodad: '%s' is not a boolean", v);
	/* IPaddr2 runs DAD unless told not to; corovipd's own default is nodad */
	line(t, "nodad", "\tnodad: %s", v && b ? "yes" : "no");
	if ((v = param("preferred_lft")) && strcmp(v, "forever") != 0 && strcmp(v, "0") != 0)
		return bad(why, len, "parameter preferred_lft: '%s' is not supported (forever, "
			   "or 0 for a deprecated address)", v);
	if (v && strcmp(v, "0") == 0)
		line(t, "preferred_lft", "\tdeprecated: yes");
	return copy_key(t, "garp", "garp", why, len);
}

/* backend=openstack or aws: the VIP's cloud keys, then its cloud section "ocf". */
static int
cloud_lines(struct text *t, bool aws, char *why, size_t len)
{
	static const char *const os_vip_keys[] = { "floating_ip", "port", "fixed_ip" };
	static const char *const aws_vip_keys[] = { "allocation_id", "eni", "fixed_ip" };
	static const char *const os_cloud_keys[][2] = {
		{ "cloud", "cloud" },	      { "clouds_yaml", "clouds_yaml" },
		{ "secrets_file", "secrets_file" }, { "region", "region" },
		{ "endpoint_interface", "interface" }, { "ca_file", "ca_file" },
		{ "proxy", "proxy" },
	};
	static const char *const aws_cloud_keys[][2] = {
		{ "region", "region" },		{ "endpoint", "endpoint" },
		{ "credentials_file", "credentials_file" }, { "profile", "profile" },
		{ "imds", "imds" },		{ "ca_file", "ca_file" },
		{ "proxy", "proxy" },
	};
	const char *const *vip_keys = aws ? aws_vip_keys : os_vip_keys;
	const char *const(*cloud_keys)[2] = aws ? aws_cloud_keys : os_cloud_keys;
	size_t n_cloud = aws ? ELEMENTSOF(aws_cloud_keys) : ELEMENTSOF(os_cloud_keys);
	const char *v = param("op_timeout");
	uint32_t s;
	int r = 0;

	line(t, "backend", "\tcloud: ocf");
	if (aws)
		line(t, "backend", "\tmode: elastic_ip");
	for (size_t i = 0; r == 0 && i < 3; i++)
		r = copy_key(t, vip_keys[i], vip_keys[i], why, len);
	line(t, NULL, "}");
	line(t, NULL, "cloud ocf {");
	if (aws)
		line(t, "backend", "\ttype: aws");
	for (size_t i = 0; r == 0 && i < n_cloud; i++)
		r = copy_key(t, cloud_keys[i][0], cloud_keys[i][1], why, len);
	if (r == 0 && v && (cv_parse_u32(v, 3600, &s) < 0 || s == 0))
		return bad(why, len, "parameter op_timeout: '%s' is not a number of seconds", v);
	if (r == 0 && v)
		line(t, "op_timeout", "\top_timeout: %us", s);
	return r;
}

/* The resource's name as a VIP name: [A-Za-z0-9_.-], clones' ':' made '_'. */
static void
vip_name(char *buf, size_t len)
{
	const char *id = getenv("OCF_RESOURCE_INSTANCE");
	size_t n = 0;

	for (; id && id[n] && n + 1 < len && n < CV_NAME_MAX; n++)
		buf[n] = cv_name_is_valid(&id[n], 1, 1) || (n && strchr("_.-", id[n])) ? id[n] : '_';
	buf[n] = '\0';
	if (!n || !cv_name_is_valid(buf, n, CV_NAME_MAX))
		snprintf(buf, len, "vip");
}

static int
options(struct ocf_res *r, char *why, size_t len)
{
	const char *v;

	if ((v = param("lease")) && cv_parse_u32(v, 3600, &r->lease_s) < 0)
		return bad(why, len, "parameter lease: '%s' is not a number of seconds (0 to 3600)",
			   v);
	if ((v = param("arp_count_refresh")) && cv_parse_u32(v, 100, &r->arp_count_refresh) < 0)
		return bad(why, len, "parameter arp_count_refresh: '%s' is not a number from 0 "
			   "to 100", v);
	r->arp_bg = true;
	if ((v = param("arp_bg")) && ocf_parse_bool(v, &r->arp_bg) < 0)
		return bad(why, len, "parameter arp_bg: '%s' is not a boolean", v);
	return 0;
}

/* The config's own error, said as the parameter it came from. */
static int
parse(struct text *t, struct ocf_res *r, char *why, size_t len)
{
	_cleanup_free_ char *text = NULL;
	struct cv_conf_error e = {};
	const char *from;
	int rc = cv_strbuf_steal(&t->b, &text);

	if (rc < 0)
		return rc;
	rc = cv_config_parse(text, strlen(text), &r->cfg, &e);
	if (rc == -EINVAL) {
		from = e.line && e.line <= ELEMENTSOF(t->from) ? t->from[e.line - 1] : NULL;
		return bad(why, len, "%s%s%s: %s", from ? "parameter " : "", from ? from : "",
			   from ? "" : e.key, e.msg);
	}
	if (rc < 0)
		return rc;
	r->vip = &r->cfg->vips[0];
	return 0;
}

int
ocf_res_load(struct ocf_res *r, char *why, size_t len)
{
	_cleanup_(text_done) struct text t = {};
	char name[CV_NAME_MAX + 1];
	const char *backend = param("backend");
	int rc;

	*r = (struct ocf_res){};
	rc = check_compat(why, len);
	if (rc == 0)
		rc = options(r, why, len);
	if (rc < 0)
		return rc;
	if (backend && strcmp(backend, "l2") != 0 && strcmp(backend, "openstack") != 0 &&
	    strcmp(backend, "aws") != 0)
		return bad(why, len, "parameter backend: '%s' is not l2, openstack or aws", backend);
	vip_name(name, sizeof(name));
	line(&t, NULL, "vip %s {", name);
	if (backend && strcmp(backend, "l2") != 0) {
		if (!param("ip"))
			return bad(why, len, "parameter ip is required");
		rc = copy_key(&t, "ip", "address", why, len);
		if (rc == 0)
			line(&t, "backend", "\tbackend: %s", backend);
		if (rc == 0)
			rc = cloud_lines(&t, strcmp(backend, "aws") == 0, why, len);
	} else {
		rc = address_lines(&t, why, len);
		if (rc == 0)
			rc = announce_lines(&t, why, len);
	}
	if (rc < 0)
		return rc;
	line(&t, NULL, "}");
	return parse(&t, r, why, len);
}

void
ocf_res_done(struct ocf_res *r)
{
	r->cfg = cv_config_free(r->cfg);
	r->vip = NULL;
}
