/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cloud/http.c on a real libqb loop against servers on 127.0.0.1 in this
 * process: a thread that answers by path (/ok 200 with a body, /missing
 * 404, /teapot 418), a socket that listens but never accepts (a server that
 * never answers), and a port nobody listens on. Then the http checks'
 * verdict (checks/http-probe.c) on real answers: status range, body match
 * and mismatch. done() must come once, from the loop, never from inside
 * cv_http_get; cancel silences it; hundreds of transfers leave no fd.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <qb/qbloop.h>
#include <qb/qbutil.h>

#include "cmocka-all.h"
#include "count-fds.h"
#include "cv-macros.h"
#include "http-probe.h"
#include "http.h"

#define BODY "hello from corovip's test server\n"

/* ---- the servers ---- */

struct server {
	int fd; /* listening */
	uint16_t port;
	pthread_t thread;
	size_t served;
};

static int
listen_on(uint16_t *ret_port, int backlog)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, backlog), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	*ret_port = ntohs(sa.sin_port);
	return fd;
}

/* /echo: "METHOD|X-Test's value|body", with a token in a header. */
static void
echo(int c, char *req, size_t n)
{
	char *end = strstr(req, "\r\n\r\n") + 4, *cl = strcasestr(req, "\r\nContent-Length:");
	char *xt = strcasestr(req, "\r\nX-Test: "), body[2048] = "", text[2200], resp[4096];
	size_t want = cl ? strtoul(cl + 17, NULL, 10) : 0, have = n - (size_t)(end - req);
	ssize_t r;
	int len;

	assert_true(want < sizeof(body));
	memcpy(body, end, have);
	while (have < want && (r = read(c, body + have, want - have)) > 0)
		have += (size_t)r;
	body[have] = '\0';
	if (xt)
		*strstr(xt + 2, "\r\n") = '\0';
	len = snprintf(text, sizeof(text), "%.*s|%s|%s", (int)strcspn(req, " "), req,
		       xt ? xt + 10 : "", body);
	len = snprintf(resp, sizeof(resp),
		       "HTTP/1.1 201 Created\r\nx-subject-token:  tok-123 \r\n"
		       "Content-Length: %d\r\nConnection: close\r\n\r\n%s",
		       len, text);
	(void)!write(c, resp, (size_t)len);
	close(c);
}

static void
answer(int c)
{
	char req[4096], resp[512];
	size_t n = 0;
	ssize_t r;
	int len;

	while (n < sizeof(req) - 1 && (r = read(c, req + n, sizeof(req) - 1 - n)) > 0) {
		n += (size_t)r;
		req[n] = '\0';
		if (strstr(req, "\r\n\r\n"))
			break;
	}
	req[n] = '\0';
	if (strstr(req, " /echo ")) {
		echo(c, req, n);
		return;
	}
	if (strncmp(req, "GET /ok ", 8) == 0)
		len = snprintf(
		    resp, sizeof(resp),
		    "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
		    strlen(BODY), BODY);
	else if (strncmp(req, "GET /teapot ", 12) == 0)
		len = snprintf(resp, sizeof(resp),
			       "HTTP/1.1 418 I'm a teapot\r\nContent-Length: 5\r\n"
			       "Connection: close\r\n\r\nshort");
	else
		len = snprintf(resp, sizeof(resp),
			       "HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n"
			       "Connection: close\r\n\r\nno\n");
	if (len > 0)
		(void)!write(c, resp, (size_t)len);
	close(c);
}

/* One connection at a time until the listening socket is shut down. */
static void *
serve(void *data)
{
	struct server *s = data;

	for (;;) {
		int c = accept4(s->fd, NULL, NULL, SOCK_CLOEXEC);

		if (c < 0)
			return NULL; /* shut down (EINVAL) */
		answer(c);
		s->served++;
	}
}

static void
server_start(struct server *s)
{
	uint16_t port;
	int fd = listen_on(&port, 64);

	*s = (struct server){ .fd = fd, .port = port };
	assert_int_equal(pthread_create(&s->thread, NULL, serve, s), 0);
}

static void
server_stop(struct server *s)
{
	shutdown(s->fd, SHUT_RDWR);
	assert_int_equal(pthread_join(s->thread, NULL), 0);
	close(s->fd);
}

static char *
url(char *buf, size_t len, uint16_t port, const char *path)
{
	snprintf(buf, len, "http://127.0.0.1:%u%s", port, path);
	return buf;
}

#define URL(port, path) url((char[128]){}, 128, port, path)

/* ---- running transfers on a loop ---- */

struct got {
	qb_loop_t *loop;
	char captured[CV_HTTP_CAPTURE_MAX][64];
	bool seen[CV_HTTP_CAPTURE_MAX];
	size_t done, want;
	bool in_get; /* done() must never come from inside cv_http_get */
	int err, curl_code;
	long status;
	char body[256];
	size_t body_len;
	bool truncated;
	char message[256];
	struct cv_http_result copy; /* body and message pointing at ours */
};

static void
on_done(void *userdata, const struct cv_http_result *res)
{
	struct got *g = userdata;

	assert_false(g->in_get);
	g->done++;
	g->err = res->err;
	g->curl_code = res->curl_code;
	g->status = res->status;
	assert_true(res->body_len < sizeof(g->body));
	memcpy(g->body, res->body, res->body_len + 1);
	g->body_len = res->body_len;
	g->truncated = res->body_truncated;
	snprintf(g->message, sizeof(g->message), "%s", res->message);
	for (size_t k = 0; k < CV_HTTP_CAPTURE_MAX; k++) {
		g->seen[k] = res->captured[k] != NULL;
		snprintf(g->captured[k], sizeof(g->captured[k]), "%s",
			 res->captured[k] ? res->captured[k] : "");
	}
	g->copy = *res; /* borrowed for this call only: keep copies */
	g->copy.body = g->body;
	g->copy.message = g->message;
	if (g->done == g->want)
		qb_loop_stop(g->loop);
}

static void
on_stuck(void *data)
{
	fail_msg("the transfer never ended");
}

static void
on_stop(void *data)
{
	qb_loop_stop(data);
}

/* Run the loop until g->want dones, at most 10 s. */
static void
run_loop(struct got *g)
{
	qb_loop_timer_handle stuck;

	assert_int_equal(qb_loop_timer_add(g->loop, QB_LOOP_LOW, 10000 * QB_TIME_NS_IN_MSEC, NULL,
					   on_stuck, &stuck),
			 0);
	qb_loop_run(g->loop);
	qb_loop_timer_del(g->loop, stuck);
}

/* One transfer of req to its end on a fresh loop and client; the time it took in ms. */
static struct got
get(const struct cv_http_request *req, uint64_t *ret_ms)
{
	struct got g = { .loop = qb_loop_create(), .want = 1, .in_get = true };
	uint64_t start = qb_util_nano_current_get();
	struct cv_http_transfer *t = NULL;
	struct cv_http *http = NULL;

	assert_non_null(g.loop);
	assert_int_equal(cv_http_new(g.loop, &http), 0);
	assert_int_equal(req->method == CV_HTTP_GET ? cv_http_get(http, req, on_done, &g, &t)
						    : cv_http_start(http, req, on_done, &g, &t),
			 0);
	g.in_get = false;
	assert_non_null(t);
	assert_int_equal(cv_http_count(http), 1);
	run_loop(&g);
	assert_int_equal(g.done, 1);
	assert_int_equal(cv_http_count(http), 0);
	if (ret_ms)
		*ret_ms = (qb_util_nano_current_get() - start) / QB_TIME_NS_IN_MSEC;
	cv_http_free(http);
	qb_loop_destroy(g.loop);
	return g;
}

static struct got
get_url(const char *u, size_t max_body)
{
	struct cv_http_request req = { .url = u, .timeout_ms = 5000, .max_body = max_body };

	return get(&req, NULL);
}

/* ---- answers ---- */

static void
a_200_comes_with_its_body(void **state)
{
	struct server s;
	struct got g;

	server_start(&s);
	g = get_url(URL(s.port, "/ok"), 1024);
	assert_int_equal(g.err, 0);
	assert_int_equal(g.curl_code, 0);
	assert_int_equal(g.status, 200);
	assert_string_equal(g.body, BODY);
	assert_int_equal(g.body_len, strlen(BODY));
	assert_false(g.truncated);
	server_stop(&s);
}

/* A cloud call: a method, headers and a body go out; a response header comes back. */
static void
a_put_sends_its_headers_and_body_and_keeps_the_headers_asked_for(void **state)
{
	static const char *const headers[] = { "X-Test: if-match-42", "Content-Type: application/json",
					       NULL };
	static const char *const capture[] = { "X-Subject-Token", "X-Missing", NULL };
	static const char body[] = "{\"floatingip\": {\"port_id\": null}}";
	struct cv_http_request req = { .timeout_ms = 5000, .max_body = 1024, .method = CV_HTTP_PUT,
				       .headers = headers, .body = body, .body_len = strlen(body),
				       .capture = capture };
	struct server s;
	struct got g;

	server_start(&s);
	req.url = URL(s.port, "/echo");
	g = get(&req, NULL);
	assert_int_equal(g.err, 0);
	assert_int_equal(g.status, 201);
	assert_string_equal(g.body, "PUT|if-match-42|{\"floatingip\": {\"port_id\": null}}");
	assert_true(g.seen[0]);
	assert_string_equal(g.captured[0], "tok-123"); /* any case, blanks trimmed */
	assert_false(g.seen[1]);
	/* POST the same way; DELETE has no body */
	req.method = CV_HTTP_POST;
	g = get(&req, NULL);
	assert_string_equal(g.body, "POST|if-match-42|{\"floatingip\": {\"port_id\": null}}");
	req.method = CV_HTTP_DELETE;
	req.body = NULL;
	req.body_len = 0;
	g = get(&req, NULL);
	assert_string_equal(g.body, "DELETE|if-match-42|");
	server_stop(&s);
}

static void
a_404_is_enoent_with_its_status(void **state)
{
	struct server s;
	struct got g;

	server_start(&s);
	g = get_url(URL(s.port, "/missing"), 1024);
	assert_int_equal(g.err, -ENOENT);
	assert_int_equal(g.curl_code, 0);
	assert_int_equal(g.status, 404);
	assert_string_equal(g.body, "no\n");
	server_stop(&s);
}

static void
the_body_is_capped_and_the_cap_is_said(void **state)
{
	struct server s;
	struct got g;

	server_start(&s);
	g = get_url(URL(s.port, "/ok"), 5);
	assert_int_equal(g.err, 0);
	assert_string_equal(g.body, "hello");
	assert_true(g.truncated);
	g = get_url(URL(s.port, "/ok"), 0);
	assert_int_equal(g.status, 200);
	assert_int_equal(g.body_len, 0);
	assert_string_equal(g.body, "");
	server_stop(&s);
}

static void
a_server_that_never_answers_times_out(void **state)
{
	uint16_t port;
	int fd = listen_on(&port, 8); /* never accepted: the kernel completes the handshake */
	struct cv_http_request req = { .url = URL(port, "/ok"), .timeout_ms = 300 };
	uint64_t ms;
	struct got g = get(&req, &ms);

	assert_int_equal(g.err, -ETIMEDOUT);
	assert_int_equal(g.curl_code, 28); /* CURLE_OPERATION_TIMEDOUT */
	assert_int_equal(g.status, 0);
	assert_true(ms >= 290);
	assert_true(ms < 3000);
	close(fd);
}

static void
a_closed_port_is_refused(void **state)
{
	uint16_t port;
	int fd = listen_on(&port, 1);
	struct got g;

	close(fd); /* nobody listens there now */
	g = get_url(URL(port, "/ok"), 0);
	assert_int_equal(g.err, -ECONNREFUSED);
	assert_int_equal(g.status, 0);
}

static void
https_only_refuses_http_from_the_loop(void **state)
{
	struct cv_http_request req = { .url = "http://127.0.0.1:1/",
				       .timeout_ms = 1000,
				       .https_only = true };
	struct got g = get(&req, NULL);

	assert_int_equal(g.err, -EPROTONOSUPPORT);
}

static void
bad_requests_are_refused_at_once(void **state)
{
	qb_loop_t *loop = qb_loop_create();
	struct cv_http *http = NULL;
	struct cv_http_transfer *t = NULL;
	struct cv_http_request no_timeout = { .url = "http://127.0.0.1:1/" };
	struct cv_http_request no_url = { .timeout_ms = 100 };

	assert_int_equal(cv_http_new(loop, &http), 0);
	assert_int_equal(cv_http_get(http, &no_timeout, on_done, NULL, &t), -EINVAL);
	assert_int_equal(cv_http_get(http, &no_url, on_done, NULL, &t), -EINVAL);
	assert_null(t);
	assert_int_equal(cv_http_count(http), 0);
	assert_null(cv_http_free(http));
	assert_null(cv_http_free(NULL));
	qb_loop_destroy(loop);
}

/* ---- cancel ---- */

/*
 * Every TCP socket is close-on-exec (an exec check's child must not inherit a
 * connection). curl 7.88's own AF_UNIX pair (the multi's wakeup) is not, nor
 * is libqb's signal pipe: exec-spawn.c closes every fd above 2 in the child.
 */
static void
assert_all_sockets_cloexec(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	size_t sockets = 0;

	assert_non_null(d);
	while ((e = readdir(d))) {
		char path[300], target[64];
		ssize_t n;
		int fd = (int)strtol(e->d_name, NULL, 10), domain = 0;
		socklen_t len = sizeof(domain);

		snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
		n = readlink(path, target, sizeof(target) - 1);
		if (e->d_name[0] == '.' || n < 0 || fd == dirfd(d))
			continue;
		target[n] = '\0';
		if (strncmp(target, "socket:", 7) != 0)
			continue;
		if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) < 0 || domain == AF_UNIX)
			continue;
		sockets++;
		if (!(fcntl(fd, F_GETFD) & FD_CLOEXEC))
			fail_msg("fd %d (%s) is not close-on-exec", fd, target);
	}
	closedir(d);
	assert_true(sockets >= 2); /* the listening one and curl's connection */
}

static void
cancel_stops_it_and_done_never_comes(void **state)
{
	uint16_t port;
	int fd = listen_on(&port, 8);
	struct got g = { .loop = qb_loop_create(), .want = 1 };
	struct cv_http_request req = { .url = URL(port, "/ok"), .timeout_ms = 300 };
	struct cv_http_transfer *t = NULL, *u = NULL;
	struct cv_http *http = NULL;
	qb_loop_timer_handle stop;

	assert_int_equal(cv_http_new(g.loop, &http), 0);
	/* one cancelled before the loop ever ran it, one while it waits for an answer */
	assert_int_equal(cv_http_get(http, &req, on_done, &g, &t), 0);
	assert_null(cv_http_cancel(t));
	assert_int_equal(cv_http_get(http, &req, on_done, &g, &u), 0);
	assert_int_equal(qb_loop_timer_add(g.loop, QB_LOOP_LOW, 100 * QB_TIME_NS_IN_MSEC, g.loop,
					   on_stop, &stop),
			 0);
	qb_loop_run(g.loop);
	assert_int_equal(cv_http_count(http), 1);
	assert_all_sockets_cloexec(); /* u's connection among them */
	assert_null(cv_http_cancel(u));
	assert_int_equal(cv_http_count(http), 0);
	/* past both timeouts: nothing comes */
	assert_int_equal(qb_loop_timer_add(g.loop, QB_LOOP_LOW, 500 * QB_TIME_NS_IN_MSEC, g.loop,
					   on_stop, &stop),
			 0);
	qb_loop_run(g.loop);
	assert_int_equal(g.done, 0);
	/* and one left under way is cancelled by the client's free */
	assert_int_equal(cv_http_get(http, &req, on_done, &g, &t), 0);
	cv_http_free(http);
	qb_loop_destroy(g.loop);
	close(fd);
}

/* ---- the http checks' verdict ---- */

/* A check section as the schema's defaults make it, but for status range and body. */
static struct cv_check_conf
check(uint32_t lo, uint32_t hi, const char *body)
{
	return (struct cv_check_conf){ .timeout_ms = 2000,
				       .tls_verify = true,
				       .http_status = { lo, hi },
				       .http_body = (char *)body };
}

#define CHECK() check(200, 299, NULL)

static bool
verdict(struct cv_check_conf at, const char *path, char *why, size_t len)
{
	struct server s;
	struct cv_http_request req;
	struct got g = { .loop = qb_loop_create(), .want = 1 };
	struct cv_http_transfer *t;
	struct cv_http *http;
	bool passed;

	server_start(&s);
	at.http = URL(s.port, path);
	req = cv_http_probe_request(&at);
	assert_true(req.fresh_connection);
	assert_int_equal(cv_http_new(g.loop, &http), 0);
	assert_int_equal(cv_http_get(http, &req, on_done, &g, &t), 0);
	run_loop(&g);
	passed = cv_http_probe_passed(&at, &g.copy, why, len);
	cv_http_free(http);
	qb_loop_destroy(g.loop);
	server_stop(&s);
	return passed;
}

static void
a_status_in_range_passes_and_out_of_it_fails(void **state)
{
	char why[256];

	assert_true(verdict(CHECK(), "/ok", why, sizeof(why)));
	assert_string_equal(why, "status 200");
	assert_false(verdict(CHECK(), "/missing", why, sizeof(why)));
	assert_string_equal(why, "status 404, not in 200-299");
	assert_true(verdict(check(404, 404, NULL), "/missing", why, sizeof(why)));
	assert_true(verdict(check(400, 499, NULL), "/teapot", why, sizeof(why)));
	assert_false(verdict(check(200, 399, NULL), "/teapot", why, sizeof(why)));
}

static void
the_body_must_hold_the_text_when_one_is_set(void **state)
{
	char why[256];

	assert_true(verdict(check(200, 299, "from corovip"), "/ok", why, sizeof(why)));
	assert_false(verdict(check(200, 299, "from keepalived"), "/ok", why, sizeof(why)));
	assert_string_equal(why, "status 200, but 'from keepalived' is not in the body");
	/* the status first: a 404 page that holds the text does not pass */
	assert_false(verdict(check(200, 299, "no"), "/missing", why, sizeof(why)));
	assert_true(verdict(check(404, 404, "no"), "/missing", why, sizeof(why)));
}

static void
no_answer_fails_with_the_reason(void **state)
{
	uint16_t port;
	int fd = listen_on(&port, 1);
	struct cv_check_conf k = CHECK();
	struct cv_http_request req;
	struct got g;
	char why[256];

	close(fd);
	k.http = URL(port, "/ok");
	req = cv_http_probe_request(&k);
	g = get(&req, NULL);
	g.copy.body = g.body; /* ours now, not get()'s */
	g.copy.message = g.message;
	assert_false(cv_http_probe_passed(&k, &g.copy, why, sizeof(why)));
	assert_non_null(strstr(why, "refused"));
}

/* ---- no leaks ---- */

#define RUNS	500
#define AT_ONCE 8

struct many {
	struct got g;
	struct cv_http *http;
	const char *ok, *missing;
	size_t started, passed;
};

static void start_one(struct many *m);

static void
on_one_done(void *userdata, const struct cv_http_result *res)
{
	struct many *m = container_of(userdata, struct many, g);

	m->g.done++;
	m->passed += res->err == 0 && res->status == 200;
	if (m->started < RUNS)
		start_one(m); /* from inside done(): the transfer is already gone */
	else if (m->g.done == RUNS)
		qb_loop_stop(m->g.loop);
}

/* Every third one a 404; each on a new connection, as a check does. */
static void
start_one(struct many *m)
{
	struct cv_http_request req = { .url = m->started % 3 == 2 ? m->missing : m->ok,
				       .timeout_ms = 5000,
				       .fresh_connection = true,
				       .max_body = 64 };
	struct cv_http_transfer *t;

	m->started++;
	assert_int_equal(cv_http_get(m->http, &req, on_one_done, &m->g, &t), 0);
}

static void
hundreds_of_transfers_leave_no_fd(void **state)
{
	struct many m = { .g = { .loop = qb_loop_create(), .want = RUNS } };
	struct server s;
	size_t before, during;

	server_start(&s);
	m.ok = strdup(URL(s.port, "/ok"));
	m.missing = strdup(URL(s.port, "/missing"));
	before = count_fds();
	assert_int_equal(cv_http_new(m.g.loop, &m.http), 0);
	during = count_fds();
	for (size_t i = 0; i < AT_ONCE; i++)
		start_one(&m);
	run_loop(&m.g);
	assert_int_equal(m.g.done, RUNS);
	assert_int_equal(m.passed, RUNS - RUNS / 3);
	assert_int_equal(count_fds(), during);
	cv_http_free(m.http);
	assert_int_equal(count_fds(), before);
	qb_loop_destroy(m.g.loop);
	server_stop(&s);
	assert_int_equal(s.served, RUNS); /* each on its own connection */
	free((char *)m.ok);
	free((char *)m.missing);
}

/* ---- the errno mapping ---- */

static void
curl_codes_and_statuses_map_to_errno(void **state)
{
	assert_int_equal(cv_curl_to_errno(0, 200), 0);
	assert_int_equal(cv_curl_to_errno(0, 204), 0);
	assert_int_equal(cv_curl_to_errno(0, 301), -EPROTO);
	assert_int_equal(cv_curl_to_errno(0, 401), -EACCES);
	assert_int_equal(cv_curl_to_errno(0, 403), -EACCES);
	assert_int_equal(cv_curl_to_errno(0, 404), -ENOENT);
	assert_int_equal(cv_curl_to_errno(0, 409), -EBUSY);
	assert_int_equal(cv_curl_to_errno(0, 429), -EAGAIN);
	assert_int_equal(cv_curl_to_errno(0, 503), -EAGAIN);
	assert_int_equal(cv_curl_to_errno(28, 0), -ETIMEDOUT);	    /* OPERATION_TIMEDOUT */
	assert_int_equal(cv_curl_to_errno(7, 0), -ECONNREFUSED);    /* COULDNT_CONNECT */
	assert_int_equal(cv_curl_to_errno(6, 0), -EHOSTUNREACH);    /* COULDNT_RESOLVE_HOST */
	assert_int_equal(cv_curl_to_errno(1, 0), -EPROTONOSUPPORT); /* UNSUPPORTED_PROTOCOL */
	assert_int_equal(cv_curl_to_errno(60, 0), -EKEYREJECTED);   /* PEER_FAILED_VERIFICATION */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_200_comes_with_its_body),
		cmocka_unit_test(a_404_is_enoent_with_its_status),
		cmocka_unit_test(a_put_sends_its_headers_and_body_and_keeps_the_headers_asked_for),
		cmocka_unit_test(the_body_is_capped_and_the_cap_is_said),
		cmocka_unit_test(a_server_that_never_answers_times_out),
		cmocka_unit_test(a_closed_port_is_refused),
		cmocka_unit_test(https_only_refuses_http_from_the_loop),
		cmocka_unit_test(bad_requests_are_refused_at_once),
		cmocka_unit_test(cancel_stops_it_and_done_never_comes),
		cmocka_unit_test(a_status_in_range_passes_and_out_of_it_fails),
		cmocka_unit_test(the_body_must_hold_the_text_when_one_is_set),
		cmocka_unit_test(no_answer_fails_with_the_reason),
		cmocka_unit_test(hundreds_of_transfers_leave_no_fd),
		cmocka_unit_test(curl_codes_and_statuses_map_to_errno),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
