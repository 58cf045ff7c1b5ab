/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Socket I/O of the netlink command socket. Building and parsing messages is
 * netlink-msg.c's; here we send, wait with a deadline, and match answers to
 * requests by sequence number and port id (libmnl callback.c's checks).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>

#include "cv-macros.h"
#include "netlink.h"

/*
 * A batch is sent with one sendmsg(); the kernel handles every request in
 * that call and queues one ACK per request before it returns. What bounds a
 * batch is the receive buffer: it is charged each ACK's skb truesize (about
 * 1 KiB, though the ACK itself is 36 bytes), so a chunk holds at most
 * rcvbuf / ACK_COST requests; larger sets go in consecutive chunks, which
 * cost a syscall pair each and no waiting.
 */
#define BATCH_LIMIT   (64u * 1024)
#define RCVBUF_WANTED (4 * 1024 * 1024)
#define ACK_COST      2048
#define RX_BUF_SIZE   (64u * 1024)
#define DUMP_RETRIES  3

struct cv_nl {
	struct mnl_socket *sock;
	uint32_t portid;
	uint32_t seq;
	int timeout_ms;
	size_t max_inflight; /* requests per chunk, from the receive buffer */
	uint8_t rx[RX_BUF_SIZE];
};

static int
set_opt(struct mnl_socket *sock, int opt)
{
	int one = 1;

	return mnl_socket_setsockopt(sock, opt, &one, sizeof(one)) < 0 ? -errno : 0;
}

/* A large receive buffer if we may (root: SO_RCVBUFFORCE), and what it allows. */
static size_t
inflight_limit(int fd)
{
	int size = RCVBUF_WANTED;
	socklen_t len = sizeof(size);

	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, &len) < 0 || size < 0)
		size = 0;
	return CV_MAX((size_t)size / ACK_COST, (size_t)16);
}

int
cv_nl_new(struct cv_nl **ret)
{
	struct cv_nl *nl = calloc(1, sizeof(*nl));
	int r;

	if (!nl)
		return -ENOMEM;
	nl->timeout_ms = 5000;
	nl->sock = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (!nl->sock) {
		r = -errno;
		goto fail;
	}
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		r = -errno;
		goto fail;
	}
	/* EXT_ACK: the kernel's own words for an error; CAP_ACK: errors do not
	 * echo the whole request; STRICT_CHK: dumps honour the ifindex filter.
	 * Older kernels lack the last two, which only cost bytes. */
	r = set_opt(nl->sock, NETLINK_EXT_ACK);
	if (r < 0)
		goto fail;
	(void)set_opt(nl->sock, NETLINK_CAP_ACK);
	(void)set_opt(nl->sock, NETLINK_GET_STRICT_CHK);
	nl->max_inflight = inflight_limit(mnl_socket_get_fd(nl->sock));
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->seq = 1;
	*ret = nl;
	return 0;
fail:
	cv_nl_free(nl);
	return r;
}

struct cv_nl *
cv_nl_free(struct cv_nl *nl)
{
	if (!nl)
		return NULL;
	if (nl->sock)
		mnl_socket_close(nl->sock);
	free(nl);
	return NULL;
}

void
cv_nl_set_timeout(struct cv_nl *nl, int timeout_ms)
{
	nl->timeout_ms = timeout_ms;
}

static int
send_all(struct cv_nl *nl, const void *buf, size_t len)
{
	ssize_t n = mnl_socket_sendto(nl->sock, buf, len);

	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EMSGSIZE;
}

/* Read one datagram into nl->rx, waiting at most the timeout. */
static int
recv_some(struct cv_nl *nl, size_t *ret_len)
{
	struct pollfd p = { .fd = mnl_socket_get_fd(nl->sock), .events = POLLIN };

	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl->sock, nl->rx, sizeof(nl->rx));
		int r;

		if (n >= 0) {
			*ret_len = (size_t)n;
			return 0;
		}
		if (errno != EAGAIN && errno != EINTR)
			return -errno; /* -ENOBUFS: the kernel dropped answers */
		r = poll(&p, 1, nl->timeout_ms);
		if (r < 0 && errno != EINTR)
			return -errno;
		if (r == 0)
			return -ETIMEDOUT;
	}
}

/* Ours and in [base, base + n)? Stale answers to an earlier timed-out call are not. */
static bool
answer_index(const struct cv_nl *nl, const struct nlmsghdr *nlh, uint32_t base, size_t n,
	     size_t *ret)
{
	uint32_t i = nlh->nlmsg_seq - base;

	if (!mnl_nlmsg_portid_ok(nlh, nl->portid) || i >= n)
		return false;
	*ret = i;
	return true;
}

/* ---- address batches ---- */

struct batch {
	struct cv_nl *nl;
	enum cv_nl_op op;
	uint32_t base;
	size_t n;
	size_t pending; /* requests in the chunk being built (each may fail: an answer) */
	size_t ack_index; /* the request whose ACK ends the chunk on the wire */
	bool acked;	  /* ... and that ACK came */
	int *errs;
	struct cv_nl_error *first;
};

/* errs gets the kernel's own answer; the batch's outcome counts idempotent ones as done. */
static void
record(struct batch *b, size_t i, int raw, const char *msg)
{
	int err = cv_nl_op_outcome(b->op, raw);

	if (b->errs)
		b->errs[i] = raw;
	if (err == 0 || (b->first->err != 0 && b->first->index <= i))
		return;
	b->first->err = err;
	b->first->index = i;
	snprintf(b->first->msg, sizeof(b->first->msg), "%s", msg ? msg : "");
}

static int
on_ack(const struct nlmsghdr *nlh, void *userdata)
{
	struct batch *b = userdata;
	char msg[CV_NL_MSG_MAX];
	size_t i;
	int err, r;

	if (!answer_index(b->nl, nlh, b->base, b->n, &i))
		return 0;
	r = cv_nl_msg_parse_error(nlh, &err, msg, sizeof(msg));
	if (r == -ENOMSG)
		return 0; /* not an ACK: nothing else is expected here */
	if (r < 0)
		return r;
	record(b, i, err, msg);
	b->acked |= i == b->ack_index;
	return 0;
}

/*
 * Only the chunk's last request asks for an ACK: the kernel answers every
 * request that fails anyway (netlink_rcv_skb: an ACK when asked or on an
 * error), in order, so the last one's ACK ends the chunk and a request
 * without an answer succeeded. A renewal of 10,000 VIPs was 10,000 ACKs to
 * read every lease/3; now it is one per chunk.
 */
static int
flush(struct batch *b, struct mnl_nlmsg_batch *mb, struct nlmsghdr *last, size_t last_index)
{
	int r;

	last->nlmsg_flags |= NLM_F_ACK;
	b->ack_index = last_index;
	b->acked = false;
	r = send_all(b->nl, mnl_nlmsg_batch_head(mb), mnl_nlmsg_batch_size(mb));
	if (r < 0)
		return r;
	while (!b->acked) {
		size_t len;

		r = recv_some(b->nl, &len);
		if (r < 0)
			return r;
		r = cv_nl_msg_walk(b->nl->rx, len, on_ack, b);
		if (r < 0)
			return r;
	}
	return 0;
}

static int
run_batch(struct batch *b, const struct cv_nl_addr_req *reqs, uint8_t *buf)
{
	struct mnl_nlmsg_batch *mb = mnl_nlmsg_batch_start(buf, BATCH_LIMIT);
	struct nlmsghdr *last = NULL; /* the last request in mb, and its index */
	size_t last_index = 0;
	int r = 0;

	if (!mb)
		return -ENOMEM;
	for (size_t i = 0; i < b->n && r == 0; i++) {
		struct nlmsghdr *nlh = mnl_nlmsg_batch_current(mb);
		int len = cv_nl_msg_put_addr(nlh, BATCH_LIMIT, b->op, &reqs[i],
					     b->base + (uint32_t)i);

		if (len < 0) {
			record(b, i, len, "invalid request");
			continue;
		}
		nlh->nlmsg_flags &= (uint16_t)~NLM_F_ACK; /* flush asks for the last one's */
		if (!mnl_nlmsg_batch_next(mb)) {
			/* Request i did not fit: send the others, then start over with it
			 * (the reset moves it to the head). */
			r = last ? flush(b, mb, last, last_index) : -EMSGSIZE;
			mnl_nlmsg_batch_reset(mb);
			last = mnl_nlmsg_batch_head(mb);
			last_index = i;
			b->pending = 1;
			continue;
		}
		last = nlh;
		last_index = i;
		if (++b->pending >= b->nl->max_inflight) {
			/* As many answers as the receive buffer holds: collect them now. */
			r = flush(b, mb, last, last_index);
			mnl_nlmsg_batch_reset(mb);
			b->pending = 0;
			last = NULL;
		}
	}
	if (r == 0 && !mnl_nlmsg_batch_is_empty(mb) && last)
		r = flush(b, mb, last, last_index);
	mnl_nlmsg_batch_stop(mb);
	return r;
}

int
cv_nl_addr_batch(struct cv_nl *nl, enum cv_nl_op op, const struct cv_nl_addr_req *reqs, size_t n,
		 int *ret_errs, struct cv_nl_error *reterr)
{
	struct cv_nl_error first = {};
	struct batch b = {
		.nl = nl,
		.op = op,
		.base = nl->seq + 1,
		.n = n,
		.errs = ret_errs,
		.first = &first,
	};
	/* mnl batches overflow into a second half of the buffer. */
	_cleanup_free_ uint8_t *buf = calloc(2, BATCH_LIMIT);
	int r;

	if (!buf)
		return -ENOMEM;
	if (n >= UINT32_MAX / 2)
		return -E2BIG;
	nl->seq += (uint32_t)n;
	if (ret_errs)
		memset(ret_errs, 0, n * sizeof(*ret_errs));
	r = run_batch(&b, reqs, buf);
	if (r < 0) {
		/* The socket failed: what was not answered is unknown. */
		first = (struct cv_nl_error){ .err = r, .index = n };
	}
	if (reterr)
		*reterr = first;
	return first.err;
}

int
cv_nl_addr_do(struct cv_nl *nl, enum cv_nl_op op, const struct cv_nl_addr_req *req,
	      struct cv_nl_error *reterr)
{
	return cv_nl_addr_batch(nl, op, req, 1, NULL, reterr);
}

/* ---- dumps ---- */

struct dump {
	struct cv_nl *nl;
	uint32_t seq;
	int family;
	int ifindex;
	struct cv_nl_addr *v;
	size_t n, cap;
	bool interrupted;
};

static int
dump_append(struct dump *d, const struct cv_nl_addr *a)
{
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 16;
		struct cv_nl_addr *v = reallocarray(d->v, cap, sizeof(*v));

		if (!v)
			return -ENOMEM;
		d->v = v;
		d->cap = cap;
	}
	d->v[d->n++] = *a;
	return 0;
}

static int
on_dump(const struct nlmsghdr *nlh, void *userdata)
{
	struct dump *d = userdata;
	struct cv_nl_addr a;
	size_t i;
	int err, r;

	if (!answer_index(d->nl, nlh, d->seq, 1, &i))
		return 0;
	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
		d->interrupted = true;
	if (nlh->nlmsg_type == NLMSG_DONE)
		return 1;
	if (nlh->nlmsg_type == NLMSG_ERROR) {
		r = cv_nl_msg_parse_error(nlh, &err, NULL, 0);
		return r < 0 ? r : (err < 0 ? err : -EPROTO);
	}
	r = cv_nl_msg_parse_addr(nlh, &a);
	if (r == -ENOMSG)
		return 0;
	if (r < 0)
		return r;
	if ((d->ifindex && a.ifindex != d->ifindex) || (d->family && a.addr.family != d->family))
		return 0;
	return dump_append(d, &a);
}

static int
dump_once(struct dump *d)
{
	uint8_t req[64];
	int r, len;

	d->seq = ++d->nl->seq;
	d->n = 0;
	d->interrupted = false;
	len = cv_nl_msg_put_addr_dump(req, sizeof(req), d->family, d->ifindex, d->seq);
	if (len < 0)
		return len;
	r = send_all(d->nl, req, (size_t)len);
	while (r == 0) {
		size_t n;

		r = recv_some(d->nl, &n);
		if (r == 0)
			r = cv_nl_msg_walk(d->nl->rx, n, on_dump, d);
	}
	return r < 0 ? r : 0;
}

int
cv_nl_addr_dump(struct cv_nl *nl, int family, int ifindex, struct cv_nl_addr **ret, size_t *ret_n)
{
	struct dump d = { .nl = nl, .family = family, .ifindex = ifindex };
	int r = 0;

	/* A dump that raced with a change is inconsistent (NLM_F_DUMP_INTR): again. */
	for (int tries = 0; tries < DUMP_RETRIES; tries++) {
		r = dump_once(&d);
		if (r < 0 || !d.interrupted)
			break;
		r = -EAGAIN;
	}
	if (r < 0) {
		free(d.v);
		return r;
	}
	*ret = d.v;
	*ret_n = d.n;
	return 0;
}

/* ---- links ---- */

struct link_query {
	struct cv_nl *nl;
	uint32_t seq;
	struct cv_nl_link *link;
	struct cv_nl_error *err;
};

static int
on_link(const struct nlmsghdr *nlh, void *userdata)
{
	struct link_query *q = userdata;
	size_t i;
	int err, r;

	if (!answer_index(q->nl, nlh, q->seq, 1, &i))
		return 0;
	if (nlh->nlmsg_type == NLMSG_ERROR) {
		r = cv_nl_msg_parse_error(nlh, &err, q->err->msg, sizeof(q->err->msg));
		return r < 0 ? r : (err < 0 ? err : -EPROTO);
	}
	r = cv_nl_msg_parse_link(nlh, q->link);
	return r == -ENOMSG ? 0 : (r < 0 ? r : 1);
}

int
cv_nl_link_get(struct cv_nl *nl, const char *name, struct cv_nl_link *ret,
	       struct cv_nl_error *reterr)
{
	struct cv_nl_error e = {};
	struct cv_nl_link link;
	struct link_query q = { .nl = nl, .seq = ++nl->seq, .link = &link, .err = &e };
	uint8_t req[64];
	int r, len;

	len = cv_nl_msg_put_getlink(req, sizeof(req), name, q.seq);
	r = len < 0 ? len : send_all(nl, req, (size_t)len);
	while (r == 0) {
		size_t n;

		r = recv_some(nl, &n);
		if (r == 0)
			r = cv_nl_msg_walk(nl->rx, n, on_link, &q);
	}
	if (r < 0) {
		e.err = r;
		if (reterr)
			*reterr = e;
		return r;
	}
	*ret = link;
	return 0;
}

int
cv_nl_addr_find(struct cv_nl *nl, int ifindex, const struct cv_addr *a, struct cv_nl_addr *ret)
{
	_cleanup_free_ struct cv_nl_addr *v = NULL;
	size_t n = 0;
	int r = cv_nl_addr_dump(nl, a->family, ifindex, &v, &n);

	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++)
		if (cv_addr_same_host(&v[i].addr, a)) {
			*ret = v[i];
			return 0;
		}
	return -ENOENT;
}
