/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Ports and their allowed address pairs through the client's operation
 * machine (os-client.c), for the allowed-address-pairs mode
 * (cloud-api-brief.md §1.4). Neutron's PUT replaces the whole list, so a
 * pair is added or removed by read-modify-write: with the port's revision
 * and pairs cached (from the last read, write or list), the common path is
 * one PUT with If-Match; a 412 reads and decides again; a pair already
 * there (or already gone) is done without a write.
 *
 * A move of a VIP from node A to node B, as B runs it (round trips with a
 * warm token and both ports cached):
 *   1. cv_os_port_pair_add(B's port, VIP)      one PUT
 *   2. cv_os_port_pair_remove(A's port, VIP)   one PUT, at the same time as 1
 *      (or, without A's port cached, cv_os_ports_with_pair(network, VIP):
 *      one GET of the network's ports, which caches each; then 2, one PUT)
 * A dead A cannot remove it itself; B does, with the same compare-and-swap.
 *
 * Lost updates. Neutron lets two PUTs of one revision both pass
 * (os-client.c), and the later commit replaces the list the earlier one
 * wrote. For pairs that loss is not symmetric:
 *   - a lost add leaves a holder whose port drops its VIP's traffic (port
 *     security), while the holder believes it has it: that must be found
 *     and repaired. So an add is read again verify_delay_ms after it is
 *     reported, and written again if the pair is gone.
 *   - a lost remove leaves a pair on a port that no longer holds the VIP: a
 *     permission, not a delivery (where the address goes is the holder's
 *     GARP's doing). Writing a removal again could fight a legitimate add
 *     of the same address by the port's own node, which the client cannot
 *     order: the port carries no per-VIP epoch (one port serves several
 *     VIPs, each with its own epoch). So a removal is not checked; the
 *     next cv_os_ports_with_pair by a holder finds what is left over.
 *   - the repair of an add can, in the same window, put back a pair a newer
 *     holder removed on purpose: again a permission only, which that node's
 *     engine removes when it releases the VIP.
 * The commonest source of two writes of one revision is ourselves: a node
 * taking several VIPs adds them to its one port at once. Those would each
 * build on the same cached revision and lose all but one; so the writes of
 * one client to one port go one after the other (op->serial), each on the
 * revision the one before wrote: still one PUT each, no 412.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <qb/qblog.h>

#include "cv-macros.h"
#include "os-client-int.h"

/* What a holder needs of each port of the network: a smaller answer. */
#define HOLDER_FIELDS                                                                              \
	"&fields=id&fields=network_id&fields=mac_address&fields=revision_number"                   \
	"&fields=allowed_address_pairs"

static bool
listing(const struct cv_os_op *op)
{
	return op->kind == CV_OS_OP_PORT_HOLDERS && op->network_id[0];
}

static void
port_url(const struct cv_os_op *op, char *buf, size_t len)
{
	if (listing(op))
		snprintf(buf, len, "%s/ports?network_id=%s" HOLDER_FIELDS, op->c->neutron_url,
			 op->network_id);
	else
		snprintf(buf, len, "%s/ports/%s", op->c->neutron_url, op->id);
}

static int
read_holders(struct cv_os_op *op, const char *body, size_t len, char *why, size_t whylen)
{
	int r = cv_os_parse_ports_with_pair(body, len, op->ip, &op->holders, &op->n_holders, why,
					    whylen);

	if (r < 0)
		return r;
	/* each holder's revision: its removal is then one PUT */
	for (size_t i = 0; i < op->n_holders; i++)
		cv_os_known_set_port(op->c, &op->holders[i]);
	return 0;
}

static int
port_read(struct cv_os_op *op, const char *body, size_t len, char *why, size_t whylen)
{
	int r;

	if (listing(op))
		return read_holders(op, body, len, why, whylen);
	r = cv_os_parse_port(body, len, &op->port, why, whylen);
	if (r < 0)
		return r;
	if (strcmp(op->port.id, op->id) != 0) {
		snprintf(why, whylen, "Neutron: asked for port %s, got %s", op->id, op->port.id);
		return -EBADMSG;
	}
	op->have = true;
	cv_os_known_set_port(op->c, &op->port);
	return 0;
}

/* The pairs the port should have: 1 (into pairs), 0 already so, -errno. */
static int
wanted(const struct cv_os_op *op, struct cv_os_pair *pairs, size_t *n)
{
	if (op->kind == CV_OS_OP_PAIR_ADD)
		return cv_os_pairs_with(&op->port, op->ip, pairs, n);
	return cv_os_pairs_without(&op->port, op->ip, pairs, n);
}

static int
port_body(struct cv_os_op *op, char **ret, uint64_t *ret_revision)
{
	struct cv_os_pair pairs[CV_OS_PAIRS_MAX];
	size_t n = 0;
	int r = wanted(op, pairs, &n);

	if (r <= 0)
		return r < 0 ? r : -EINVAL; /* decide saw a change to make */
	*ret_revision = op->port.revision;
	/* no description: the port is the node's, several VIPs share it */
	return cv_os_port_pairs_body(pairs, n, NULL, ret);
}

/* Holders: the network (from the port, read or cached) and then its ports. */
static void
decide_holders(struct cv_os_op *op)
{
	char why[128];

	if (listing(op))
		return cv_os_op_finish(op, 0, NULL); /* the list was read */
	if (!op->port.network_id[0]) {
		snprintf(why, sizeof(why), "port %s: Neutron gave no network_id", op->id);
		return cv_os_op_finish(op, -EBADMSG, why);
	}
	memcpy(op->network_id, op->port.network_id, sizeof(op->network_id));
	cv_os_op_read(op);
}

static void
port_decide(struct cv_os_op *op)
{
	struct cv_os_pair pairs[CV_OS_PAIRS_MAX];
	size_t n = 0;
	char why[160];
	int r;

	if (op->kind == CV_OS_OP_PORT_SHOW)
		return cv_os_op_finish(op, 0, NULL);
	if (op->kind == CV_OS_OP_PORT_HOLDERS)
		return decide_holders(op);
	r = wanted(op, pairs, &n);
	if (r == -ENOSPC)
		snprintf(why, sizeof(why), "port %s has %d allowed address pairs already", op->id,
			 CV_OS_PAIRS_MAX);
	if (r <= 0)
		return cv_os_op_finish(op, r, r < 0 ? why : NULL);
	if (op->verify)
		qb_log(LOG_WARNING, "port %s: a write at the same moment as ours dropped the pair "
		       "for %s: writing it again", op->id, op->ip);
	cv_os_op_write(op);
}

static void
port_report(struct cv_os_op *op, int err, const char *why)
{
	void *userdata = op->userdata;
	struct cv_os_port *holders = TAKE_PTR(op->holders);
	size_t n = op->n_holders;
	cv_os_ports_fn done_ports = op->done.ports;
	cv_os_port_fn done = op->done.port;
	bool have = op->have, list = op->kind == CV_OS_OP_PORT_HOLDERS;
	_cleanup_free_ struct cv_os_port *port = have && !list ? malloc(sizeof(*port)) : NULL;

	if (port)
		*port = op->port; /* ~5 KiB: off the stack */
	cv_os_op_free(op);
	if (list)
		done_ports(userdata, err, err < 0 ? NULL : holders, err < 0 ? 0 : n, why);
	else
		done(userdata, err, port, why);
	free(holders);
}

static int port_start(struct cv_os_client *c, enum cv_os_op_kind kind, const char *port_id,
		      const char *ip, bool verify, union cv_os_done done, void *userdata,
		      struct cv_os_op **ret);

static void
on_verified(void *userdata, int err, const struct cv_os_port *port, const char *why)
{
	struct cv_os_client *c = userdata;

	if (err < 0)
		qb_log(LOG_WARNING, "port %s: the check after adding a pair failed: %s",
		       port ? port->id : "?", why);
	c->stats.verifies++;
}

/* An add applied: read it again a little later, and add it again if it was lost. */
static void
port_written(struct cv_os_op *op)
{
	struct cv_os_op *v;

	if (op->kind != CV_OS_OP_PAIR_ADD)
		return;
	/* failing, the engine's reconcile reads it anyway */
	(void)port_start(op->c, CV_OS_OP_PAIR_ADD, op->id, op->ip, true,
			 (union cv_os_done){ .port = on_verified }, op->c, &v);
}

/*
 * Two writes of one port's pairs at the same moment can also end in a 400
 * DuplicateAddressPairInRequest for one of them (seen against Zed: the
 * other's transaction inserted a pair this one inserts too, as Neutron
 * replaces the list by deleting and inserting rows). Our bodies hold no
 * duplicates (built from the list Neutron gave, a pair added only when
 * absent), so it is the 412 Neutron did not send: read and decide again.
 */
static bool
port_conflict(const struct cv_http_result *res)
{
	char text[128];

	return res->status == 400 &&
	       strncmp(cv_os_error_text(res->body, res->body_len, text, sizeof(text)),
		       "DuplicateAddressPairInRequest", 29) == 0;
}

const struct cv_os_res cv_os_res_port = {
	.what = "port",
	.get_url = port_url,
	.read = port_read,
	.decide = port_decide,
	.body = port_body,
	.conflict = port_conflict,
	.written = port_written,
	.report = port_report,
};

/* An address or a CIDR Neutron would take as a pair's ip_address. */
static bool
ip_ok(const char *ip)
{
	struct cv_os_pair p = {};

	if (!ip || strlen(ip) >= sizeof(p.ip))
		return false;
	snprintf(p.ip, sizeof(p.ip), "%s", ip);
	return cv_os_pair_is(&p, ip); /* true iff it parses */
}

/* done: .port, or for holders .ports. */
static int
port_start(struct cv_os_client *c, enum cv_os_op_kind kind, const char *port_id, const char *ip,
	   bool verify, union cv_os_done done, void *userdata, struct cv_os_op **ret)
{
	struct cv_os_op *op;
	int r;

	if (!done.port || (kind != CV_OS_OP_PORT_SHOW && !ip_ok(ip)))
		return -EINVAL;
	r = cv_os_op_new(c, kind, &cv_os_res_port, port_id, &op);
	if (r < 0)
		return r;
	snprintf(op->ip, sizeof(op->ip), "%s", ip ? ip : "");
	op->done = done;
	op->userdata = userdata;
	op->verify = verify; /* read, never the cache */
	op->serial = kind == CV_OS_OP_PAIR_ADD || kind == CV_OS_OP_PAIR_REMOVE;
	r = cv_os_op_begin(op, verify ? c->p.verify_delay_ms : 0);
	if (r >= 0)
		*ret = op;
	return r;
}

int
cv_os_port_show(struct cv_os_client *c, const char *port_id, cv_os_port_fn done, void *userdata,
		struct cv_os_op **ret)
{
	return port_start(c, CV_OS_OP_PORT_SHOW, port_id, NULL, false, (union cv_os_done){ .port = done }, userdata,
			  ret);
}

int
cv_os_port_pair_add(struct cv_os_client *c, const char *port_id, const char *ip,
		    cv_os_port_fn done, void *userdata, struct cv_os_op **ret)
{
	return port_start(c, CV_OS_OP_PAIR_ADD, port_id, ip, false, (union cv_os_done){ .port = done }, userdata,
			  ret);
}

int
cv_os_port_pair_remove(struct cv_os_client *c, const char *port_id, const char *ip,
		       cv_os_port_fn done, void *userdata, struct cv_os_op **ret)
{
	return port_start(c, CV_OS_OP_PAIR_REMOVE, port_id, ip, false, (union cv_os_done){ .port = done }, userdata,
			  ret);
}

int
cv_os_ports_with_pair(struct cv_os_client *c, const char *network_id, const char *port_id,
		      const char *ip, cv_os_ports_fn done, void *userdata, struct cv_os_op **ret)
{
	struct cv_os_op *op;
	int r;

	if (!network_id == !port_id || (network_id && strlen(network_id) > CV_OS_ID_MAX))
		return -EINVAL;
	/* by network: the op's id is the network's (no port of that id is cached) */
	r = port_start(c, CV_OS_OP_PORT_HOLDERS, port_id ? port_id : network_id, ip, false,
		       (union cv_os_done){ .ports = done }, userdata, &op);
	if (r < 0)
		return r;
	if (network_id)
		snprintf(op->network_id, sizeof(op->network_id), "%s", network_id);
	*ret = op;
	return 0;
}
