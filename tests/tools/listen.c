/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * listen ADDR PORT [STATUS BODY]: a TCP service for tcp checks to pass
 * against: accept connections and close them, until killed. With STATUS and
 * BODY, an HTTP one for http checks: read each request's head, answer it
 * with that status and body, close. Prints "ready" once listening.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

/* Read the request's head (or give up after a second), then answer. */
static void
answer(int c, unsigned long status, const char *body)
{
	struct timeval tv = { .tv_sec = 1 };
	char req[4096], resp[4096];
	size_t n = 0;
	ssize_t r;
	int len;

	(void)setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while (n < sizeof(req) - 1 && (r = read(c, req + n, sizeof(req) - 1 - n)) > 0) {
		n += (size_t)r;
		req[n] = '\0';
		if (strstr(req, "\r\n\r\n"))
			break;
	}
	len = snprintf(resp, sizeof(resp),
		       "HTTP/1.1 %lu Test\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n"
		       "Connection: close\r\n\r\n%s",
		       status, strlen(body), body);
	if (len > 0 && (size_t)len < sizeof(resp))
		(void)!write(c, resp, (size_t)len);
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	unsigned long status = 0;
	int fd, one = 1;

	if ((argc != 3 && argc != 5) || inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1) {
		fprintf(stderr, "usage: listen IPV4 PORT [HTTP-STATUS BODY]\n");
		return 2;
	}
	sa.sin_port = htons((unsigned short)strtoul(argv[2], NULL, 10));
	if (argc == 5)
		status = strtoul(argv[3], NULL, 10);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 64) < 0) {
		perror("listen");
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		int c = accept(fd, NULL, NULL);

		if (c < 0)
			continue;
		if (status)
			answer(c, status, argv[4]);
		close(c);
	}
}
