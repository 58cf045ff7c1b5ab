/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * curl multi <-> qb_loop glue, in the shape of curl's
 * docs/examples/ephiperfifo.c: curl tells us which sockets to watch (socket
 * callback -> qb_loop_poll_add/mod/del, a per-socket context attached with
 * curl_multi_assign) and when to call it back (timer callback -> one
 * cv_loop_timer); we call curl_multi_socket_action from the loop and read
 * curl_multi_info_read after every call. A zero timeout is never acted on
 * inside the timer callback (CURLMOPT_TIMERFUNCTION's warning): the timerfd
 * fires on the loop's next turn.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <curl/curl.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "cv-macros.h"
#include "http.h"
#include "loop-timer.h"

/* A socket curl asked us to watch (curl_multi_assign). */
struct sock {
	struct cv_http *http;
	curl_socket_t fd;
	struct sock *prev, *next;
};

struct cv_http_transfer {
	struct cv_http *http;
	CURL *easy;
	struct cv_http_transfer *prev, *next;
	cv_http_done_fn done;
	void *userdata;
	char *body; /* NUL-terminated */
	size_t body_len, body_size, max_body;
	bool truncated;
	char message[CURL_ERROR_SIZE];
	struct curl_slist *headers;
	char *capture[CV_HTTP_CAPTURE_MAX];  /* names asked for */
	char *captured[CV_HTTP_CAPTURE_MAX]; /* their values */
	size_t n_capture;
};

struct cv_http {
	qb_loop_t *loop;
	CURLM *multi;
	/* The system's CA certificates, read once when the client is made
	 * (before the daemon's loop runs): every verified connection without a
	 * CA file of its own uses it (ssl_ctx). NULL: curl reads them itself. */
	X509_STORE *system_cas;
	struct cv_loop_timer *timer;
	struct cv_http_transfer *transfers;
	struct sock *socks;
	size_t n_transfers;
};

#define LINK(head, x)                                                                              \
	do {                                                                                       \
		(x)->prev = NULL;                                                                  \
		(x)->next = (head);                                                                \
		if (head)                                                                          \
			(head)->prev = (x);                                                        \
		(head) = (x);                                                                      \
	} while (0)

#define UNLINK(head, x)                                                                            \
	do {                                                                                       \
		if ((x)->prev)                                                                     \
			(x)->prev->next = (x)->next;                                               \
		else                                                                               \
			(head) = (x)->next;                                                        \
		if ((x)->next)                                                                     \
			(x)->next->prev = (x)->prev;                                               \
	} while (0)

/* curl's global state, counted by curl itself: one init per client, one cleanup at its free
 * (thread-safe since curl 7.84). */
static int
global_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -ENOMEM;
}

int
cv_curl_to_errno(int curl_code, long http_status)
{
	switch (curl_code) {
	case CURLE_OK:
		break;
	case CURLE_OPERATION_TIMEDOUT:
		return -ETIMEDOUT;
	case CURLE_COULDNT_CONNECT:
		return -ECONNREFUSED;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return -EHOSTUNREACH;
	case CURLE_UNSUPPORTED_PROTOCOL:
		return -EPROTONOSUPPORT;
	case CURLE_URL_MALFORMAT:
		return -EINVAL;
	case CURLE_OUT_OF_MEMORY:
		return -ENOMEM;
	case CURLE_PEER_FAILED_VERIFICATION:
		return -EKEYREJECTED;
	case CURLE_SSL_CONNECT_ERROR:
		return -EPROTO;
	case CURLE_GOT_NOTHING:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
		return -ECONNRESET;
	case CURLE_TOO_MANY_REDIRECTS:
		return -ELOOP;
	default:
		return -EIO;
	}
	if (http_status >= 200 && http_status <= 299)
		return 0;
	switch (http_status) {
	case 401:
	case 403:
		return -EACCES;
	case 404:
		return -ENOENT;
	case 409:
		return -EBUSY;
	case 429:
		return -EAGAIN;
	default:
		return http_status >= 500 && http_status <= 599 ? -EAGAIN : -EPROTO;
	}
}

/* ---- transfers ---- */

/* Keep the body's first max_body bytes; read (and drop) the rest. */
static size_t
on_data(char *data, size_t size, size_t n, void *userdata)
{
	struct cv_http_transfer *t = userdata;
	size_t len = size * n, keep = CV_MIN(len, t->max_body - t->body_len);

	if (keep < len)
		t->truncated = true;
	if (keep == 0)
		return len;
	if (t->body_len + keep + 1 > t->body_size) {
		size_t want = CV_MAX(t->body_size * 2, t->body_len + keep + 1);
		char *b = realloc(t->body, CV_MIN(want, t->max_body + 1));

		if (!b)
			return 0; /* CURLE_WRITE_ERROR */
		t->body = b;
		t->body_size = CV_MIN(want, t->max_body + 1);
	}
	memcpy(t->body + t->body_len, data, keep);
	t->body_len += keep;
	t->body[t->body_len] = '\0';
	return len;
}

/* CURLOPT_HEADERFUNCTION: one header line ("Name: value\r\n"), kept if asked for. */
static size_t
on_header(char *line, size_t size, size_t n, void *userdata)
{
	struct cv_http_transfer *t = userdata;
	size_t len = size * n;

	for (size_t k = 0; k < t->n_capture; k++) {
		size_t name = strlen(t->capture[k]);
		const char *v, *end = line + len;

		if (len <= name || line[name] != ':' || strncasecmp(line, t->capture[k], name) != 0)
			continue;
		for (v = line + name + 1; v < end && (*v == ' ' || *v == '\t'); v++)
			;
		while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
			end--;
		free(t->captured[k]);
		t->captured[k] = strndup(v, (size_t)(end - v));
		if (!t->captured[k])
			return 0; /* CURLE_WRITE_ERROR */
	}
	return len;
}

/* Wipe what may be a secret (a token in a captured header) before it is freed. */
static void
free_secret(char *s)
{
	if (s)
		explicit_bzero(s, strlen(s));
	free(s);
}

static void
transfer_free(struct cv_http_transfer *t)
{
	if (t->easy) {
		(void)curl_multi_remove_handle(t->http->multi, t->easy);
		curl_easy_cleanup(t->easy);
		UNLINK(t->http->transfers, t);
		t->http->n_transfers--;
	}
	curl_slist_free_all(t->headers);
	for (size_t k = 0; k < t->n_capture; k++) {
		free(t->capture[k]);
		free_secret(t->captured[k]);
	}
	free(t->body);
	free(t);
}

/* A transfer curl reports done: its result to its owner, once. */
static void
finish(struct cv_http_transfer *t, CURLcode code)
{
	cv_http_done_fn done = t->done;
	void *userdata = t->userdata;
	long status = 0, os_errno = 0;
	_cleanup_free_ char *body = NULL;
	char message[CURL_ERROR_SIZE];
	char *captured[CV_HTTP_CAPTURE_MAX] = {};
	struct cv_http_result res;

	(void)curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
	res = (struct cv_http_result){ .err = cv_curl_to_errno(code, status),
				       .curl_code = code,
				       .status = status,
				       .body = t->body ? t->body : "",
				       .body_len = t->body_len,
				       .body_truncated = t->truncated,
				       .message =
					   t->message[0] ? t->message : curl_easy_strerror(code) };
	/* connect: the kernel's reason (refused, unreachable) beats curl's one code */
	if (code == CURLE_COULDNT_CONNECT &&
	    curl_easy_getinfo(t->easy, CURLINFO_OS_ERRNO, &os_errno) == CURLE_OK && os_errno > 0)
		res.err = -(int)os_errno;
	/* what res points to outlives the transfer until done has returned */
	snprintf(message, sizeof(message), "%s", code == CURLE_OK ? "" : res.message);
	res.message = message;
	body = TAKE_PTR(t->body);
	for (size_t k = 0; k < t->n_capture; k++)
		res.captured[k] = captured[k] = TAKE_PTR(t->captured[k]);
	transfer_free(t);
	done(userdata, &res);
	for (size_t k = 0; k < CV_HTTP_CAPTURE_MAX; k++)
		free_secret(captured[k]);
}

/* After every socket_action: report what curl has finished. */
static void
drain(struct cv_http *http)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(http->multi, &left))) {
		struct cv_http_transfer *t = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		(void)curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&t);
		if (t)
			finish(t, msg->data.result);
	}
}

static void
socket_action(struct cv_http *http, curl_socket_t fd, int flags)
{
	int running;

	(void)curl_multi_socket_action(http->multi, fd, flags, &running);
	drain(http);
}

/* ---- curl's sockets and timer on the loop ---- */

static int32_t
on_sock(int32_t fd, int32_t revents, void *data)
{
	struct sock *s = data;
	int flags = (revents & POLLIN ? CURL_CSELECT_IN : 0) |
		    (revents & POLLOUT ? CURL_CSELECT_OUT : 0) |
		    (revents & (POLLERR | POLLHUP) ? CURL_CSELECT_ERR : 0);

	socket_action(s->http, fd, flags); /* s may be gone after this */
	return 0;
}

static void
sock_free(struct cv_http *http, struct sock *s)
{
	qb_loop_poll_del(http->loop, s->fd);
	(void)curl_multi_assign(http->multi, s->fd, NULL);
	UNLINK(http->socks, s);
	free(s);
}

static int32_t
poll_events(int what)
{
	return (what & CURL_POLL_IN ? POLLIN : 0) | (what & CURL_POLL_OUT ? POLLOUT : 0);
}

/* Watch fd for what: a socket new to us (s NULL), or one whose events change. 0 or -errno. */
static int
watch(struct cv_http *http, curl_socket_t fd, int what, struct sock *s)
{
	int32_t events = poll_events(what);
	int r;

	if (s)
		return qb_loop_poll_mod(http->loop, QB_LOOP_MED, fd, events, s, on_sock);
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	*s = (struct sock){ .http = http, .fd = fd };
	r = qb_loop_poll_add(http->loop, QB_LOOP_MED, fd, events, s, on_sock);
	if (r < 0) {
		free(s);
		return r;
	}
	if (curl_multi_assign(http->multi, fd, s) != CURLM_OK) {
		qb_loop_poll_del(http->loop, fd);
		free(s);
		return -EINVAL;
	}
	LINK(http->socks, s);
	return 0;
}

/* CURLMOPT_SOCKETFUNCTION: watch fd for what, or stop watching it. */
static int
on_curl_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
	struct cv_http *http = userp;

	if (what != CURL_POLL_REMOVE)
		return watch(http, fd, what, socketp) < 0 ? -1 : 0;
	if (socketp)
		sock_free(http, socketp);
	return 0;
}

static void
on_timer(void *data)
{
	socket_action(data, CURL_SOCKET_TIMEOUT, 0);
}

/* CURLMOPT_TIMERFUNCTION: -1 stops the timer; 0 means the loop's next turn, never now. */
static int
on_curl_timer(CURLM *multi, long timeout_ms, void *userp)
{
	struct cv_http *http = userp;

	if (timeout_ms < 0) {
		cv_loop_timer_cancel(http->timer);
		return 0;
	}
	return cv_loop_timer_in(http->timer, (uint64_t)timeout_ms) < 0 ? -1 : 0;
}

/* ---- the client ---- */

static int
multi_setup(struct cv_http *http)
{
	CURLM *m = http->multi;

	if (curl_multi_setopt(m, CURLMOPT_SOCKETFUNCTION, on_curl_socket) != CURLM_OK ||
	    curl_multi_setopt(m, CURLMOPT_SOCKETDATA, http) != CURLM_OK ||
	    curl_multi_setopt(m, CURLMOPT_TIMERFUNCTION, on_curl_timer) != CURLM_OK ||
	    curl_multi_setopt(m, CURLMOPT_TIMERDATA, http) != CURLM_OK)
		return -EINVAL;
	return 0;
}

/*
 * The system's CA bundle, read now. Left to curl, the first verified
 * connection reads and parses it inside the loop, 45 ms of CPU on an idle
 * machine and many times that on a busy one or under ASan: a stall the
 * reaper may take for a frozen daemon (reaper_timeout is 4 heartbeats).
 */
static X509_STORE *
load_system_cas(void)
{
	const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
	X509_STORE *s = X509_STORE_new();

	if (s && (v->cainfo ? X509_STORE_load_file(s, v->cainfo) : X509_STORE_set_default_paths(s)) == 1)
		return s;
	X509_STORE_free(s);
	return NULL; /* curl reads them itself, as before */
}

/* CURLOPT_SSL_CTX_FUNCTION: the connection verifies with the store read at start. */
static CURLcode
ssl_ctx(CURL *easy, void *ctx, void *store)
{
	SSL_CTX_set1_cert_store(ctx, store);
	return CURLE_OK;
}

int
cv_http_new(qb_loop_t *loop, struct cv_http **ret)
{
	struct cv_http *http;
	int r = global_init();

	if (r < 0)
		return r;
	http = calloc(1, sizeof(*http));
	if (!http)
		return -ENOMEM;
	*http = (struct cv_http){ .loop = loop, .system_cas = load_system_cas() };
	r = cv_loop_timer_new(loop, on_timer, http, &http->timer);
	if (r >= 0) {
		http->multi = curl_multi_init();
		r = http->multi ? multi_setup(http) : -ENOMEM;
	}
	if (r < 0) {
		cv_http_free(http);
		return r;
	}
	*ret = http;
	return 0;
}

struct cv_http *
cv_http_free(struct cv_http *http)
{
	if (!http)
		return NULL;
	while (http->transfers)
		transfer_free(http->transfers);
	/* closing cached connections calls the socket callback: the loop glue goes last */
	if (http->multi)
		(void)curl_multi_cleanup(http->multi);
	http->multi = NULL;
	while (http->socks) {
		struct sock *s = http->socks;

		qb_loop_poll_del(http->loop, s->fd);
		UNLINK(http->socks, s);
		free(s);
	}
	cv_loop_timer_free(http->timer);
	X509_STORE_free(http->system_cas);
	free(http);
	curl_global_cleanup();
	return NULL;
}

/* CURLOPT_OPENSOCKETFUNCTION: curl's own socket() leaves out close-on-exec. */
static curl_socket_t
open_socket(void *userdata, curlsocktype purpose, struct curl_sockaddr *a)
{
	int fd = socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);

	return fd < 0 ? CURL_SOCKET_BAD : fd;
}

/* Every option, checked; any failure is -EINVAL (-ENOMEM for curl's own). */
static int
easy_setup(struct cv_http_transfer *t, const struct cv_http_request *req)
{
	CURL *e = t->easy;
	const char *protocols = req->https_only ? "https" : "http,https";
	CURLcode c = CURLE_OK;

#define SET(opt, val) (c = c == CURLE_OK ? curl_easy_setopt(e, opt, val) : c)
	SET(CURLOPT_URL, req->url);
	SET(CURLOPT_PRIVATE, t);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_TIMEOUT_MS, (long)req->timeout_ms);
	SET(CURLOPT_PROTOCOLS_STR, protocols);
	SET(CURLOPT_REDIR_PROTOCOLS_STR, protocols);
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	/* none, the environment's (libcurl reads it when unset), or the one given */
	if (!req->proxy || *req->proxy)
		SET(CURLOPT_PROXY, req->proxy ? req->proxy : "");
	if (req->ca_file)
		SET(CURLOPT_CAINFO, req->ca_file);
	SET(CURLOPT_SSL_VERIFYPEER, req->verify_tls ? 1L : 0L);
	SET(CURLOPT_SSL_VERIFYHOST, req->verify_tls ? 2L : 0L);
	/*
	 * Verifying, libcurl (OpenSSL) parses the whole CA bundle again for each
	 * new connection, inside our loop (about 20 ms of CPU, 25-80 ms on a busy
	 * host, a multiple under ASan: every run of the check). The system's
	 * trust is read once, when the client is made (load_system_cas): curl
	 * loads nothing and the connection gets that store. A CA file of the
	 * request's own is curl's to read, kept on the multi handle
	 * (CURLOPT_CA_CACHE_TIMEOUT, 24 h), which curl does only when the trust
	 * comes from that file alone: no CA directory then.
	 */
	if (req->verify_tls && !req->ca_file && t->http->system_cas) {
		SET(CURLOPT_CAINFO, NULL);
		SET(CURLOPT_CAPATH, NULL);
		SET(CURLOPT_SSL_CTX_FUNCTION, ssl_ctx);
		SET(CURLOPT_SSL_CTX_DATA, t->http->system_cas);
	} else if (req->verify_tls) {
		SET(CURLOPT_CAPATH, NULL);
	}
	SET(CURLOPT_FRESH_CONNECT, req->fresh_connection ? 1L : 0L);
	SET(CURLOPT_FORBID_REUSE, req->fresh_connection ? 1L : 0L);
	switch (req->method) {
	case CV_HTTP_GET:
		SET(CURLOPT_HTTPGET, 1L);
		break;
	case CV_HTTP_POST:
	case CV_HTTP_PUT:
		SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
		SET(CURLOPT_COPYPOSTFIELDS, req->body ? req->body : "");
		if (req->method == CV_HTTP_PUT)
			SET(CURLOPT_CUSTOMREQUEST, "PUT");
		break;
	case CV_HTTP_DELETE:
		SET(CURLOPT_CUSTOMREQUEST, "DELETE");
		break;
	}
	if (t->headers)
		SET(CURLOPT_HTTPHEADER, t->headers);
	if (t->n_capture) {
		SET(CURLOPT_HEADERFUNCTION, on_header);
		SET(CURLOPT_HEADERDATA, t);
	}
	if (req->aws_sigv4) {
		SET(CURLOPT_AWS_SIGV4, req->aws_sigv4);
		SET(CURLOPT_USERNAME, req->aws_key ? req->aws_key : "");
		SET(CURLOPT_PASSWORD, req->aws_secret ? req->aws_secret : "");
	}
	SET(CURLOPT_USERAGENT, PACKAGE_NAME "/" PACKAGE_VERSION);
	SET(CURLOPT_ERRORBUFFER, t->message);
	SET(CURLOPT_WRITEFUNCTION, on_data);
	SET(CURLOPT_WRITEDATA, t);
	SET(CURLOPT_OPENSOCKETFUNCTION, open_socket);
#undef SET
	if (c == CURLE_OUT_OF_MEMORY)
		return -ENOMEM;
	return c == CURLE_OK ? 0 : -EINVAL;
}

/* The request's headers and capture names, copied into t. */
static int
copy_headers(struct cv_http_transfer *t, const struct cv_http_request *req)
{
	for (size_t k = 0; req->headers && req->headers[k]; k++) {
		struct curl_slist *l = curl_slist_append(t->headers, req->headers[k]);

		if (!l)
			return -ENOMEM;
		t->headers = l;
	}
	for (size_t k = 0; req->capture && req->capture[k]; k++) {
		if (k == CV_HTTP_CAPTURE_MAX)
			return -EINVAL;
		t->capture[k] = strdup(req->capture[k]);
		if (!t->capture[k])
			return -ENOMEM;
		t->n_capture = k + 1;
	}
	return 0;
}

int
cv_http_get(struct cv_http *http, const struct cv_http_request *req, cv_http_done_fn done,
	    void *userdata, struct cv_http_transfer **ret)
{
	struct cv_http_request get = *req;

	get.method = CV_HTTP_GET;
	return cv_http_start(http, &get, done, userdata, ret);
}

int
cv_http_start(struct cv_http *http, const struct cv_http_request *req, cv_http_done_fn done,
	      void *userdata, struct cv_http_transfer **ret)
{
	struct cv_http_transfer *t;
	int r;

	if (!req->url || req->timeout_ms == 0 || !done || req->method > CV_HTTP_DELETE)
		return -EINVAL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	*t = (struct cv_http_transfer){
		.http = http, .done = done, .userdata = userdata, .max_body = req->max_body
	};
	t->easy = curl_easy_init();
	if (!t->easy) {
		free(t);
		return -ENOMEM;
	}
	LINK(http->transfers, t);
	http->n_transfers++;
	r = copy_headers(t, req);
	if (r >= 0)
		r = easy_setup(t, req);
	/* adding arms the timer at 0: the transfer starts on the loop's next turn */
	if (r >= 0 && curl_multi_add_handle(http->multi, t->easy) != CURLM_OK)
		r = -ENOMEM;
	if (r < 0) {
		transfer_free(t);
		return r;
	}
	*ret = t;
	return 0;
}

struct cv_http_transfer *
cv_http_cancel(struct cv_http_transfer *t)
{
	if (t)
		transfer_free(t);
	return NULL;
}

size_t
cv_http_count(const struct cv_http *http)
{
	return http ? http->n_transfers : 0;
}
