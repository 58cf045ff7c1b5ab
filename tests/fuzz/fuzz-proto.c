/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz the CPG decoder. The format is canonical, so whatever decodes must
 * encode back to the very same bytes, save the reserved header field (ignored
 * on receive, 0 on send); anything else aborts.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cv-macros.h"
#include "proto.h"

#define RESERVED_OFF 12 /* u32 reserved, proto.h */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_reencodes(const struct cv_proto_msg *m, const uint8_t *data, size_t size)
{
	/* An exact-size buffer, so ASan sees any write past the message. */
	_cleanup_free_ uint8_t *out = malloc(size);
	size_t len = 0;

	if (!out)
		abort();
	if (cv_proto_encode(m, out, size, &len) != 0 || len != size)
		abort();
	if (memcmp(out, data, RESERVED_OFF) != 0 ||
	    memcmp(out + CV_PROTO_HEADER_SIZE, data + CV_PROTO_HEADER_SIZE,
		   size - CV_PROTO_HEADER_SIZE) != 0)
		abort();
	/* One byte short must be refused without writing past the end. */
	if (cv_proto_encode(m, out, size - 1, &len) != -EMSGSIZE)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_(cv_proto_msg_done) struct cv_proto_msg m = {};

	if (cv_proto_decode(data, size, &m) < 0)
		return 0;
	if (!cv_proto_type_to_string(m.type) || m.version != CV_PROTO_VERSION)
		abort();
	check_reencodes(&m, data, size);
	return 0;
}
