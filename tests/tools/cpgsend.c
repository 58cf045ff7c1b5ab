/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cpgsend - multicast malformed messages to corovip's CPG group, to check
 * that the daemons reject (and count) them and keep what they hold.
 *
 * Usage: cpgsend GROUP COUNT
 * Sends COUNT rounds of: a header with protocol version 2, a truncated
 * header, a valid header with a length that lies, and random bytes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include <corosync/cpg.h>

static void
be32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24, p[1] = v >> 16, p[2] = v >> 8, p[3] = v;
}

static int
send_buf(cpg_handle_t h, const void *buf, size_t len)
{
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	cs_error_t e;

	while ((e = cpg_mcast_joined(h, CPG_TYPE_AGREED, &iov, 1)) == CS_ERR_TRY_AGAIN)
		usleep(1000);
	return e == CS_OK ? 0 : -1;
}

int
main(int argc, char **argv)
{
	cpg_callbacks_t cb = { 0 };
	struct cpg_name name = { 0 };
	cpg_handle_t h;
	int count = argc > 2 ? atoi(argv[2]) : 10;
	uint8_t buf[512];

	if (argc < 2 || strlen(argv[1]) >= sizeof(name.value)) {
		fprintf(stderr, "usage: cpgsend GROUP COUNT\n");
		return 2;
	}
	name.length = strlen(argv[1]);
	memcpy(name.value, argv[1], name.length);
	if (cpg_initialize(&h, &cb) != CS_OK || cpg_join(h, &name) != CS_OK) {
		fprintf(stderr, "cpgsend: cannot join %s\n", argv[1]);
		return 1;
	}
	srand(42);
	for (int i = 0; i < count; i++) {
		/* another protocol version */
		memset(buf, 0, 64);
		be32(buf, 0x43564950);
		buf[5] = 2, buf[7] = 2;
		be32(buf + 8, 64);
		if (send_buf(h, buf, 64) < 0)
			return 1;
		/* truncated header */
		send_buf(h, buf, 7);
		/* version 1 HEARTBEAT whose length field lies */
		buf[5] = 1;
		be32(buf + 8, 400);
		send_buf(h, buf, 64);
		/* random bytes */
		for (size_t k = 0; k < sizeof(buf); k++)
			buf[k] = (uint8_t)rand();
		send_buf(h, buf, 1 + (size_t)rand() % sizeof(buf));
	}
	cpg_leave(h, &name);
	cpg_finalize(h);
	printf("sent %d malformed messages\n", 4 * count);
	return 0;
}
