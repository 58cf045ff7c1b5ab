/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "cv-error.h"

const char *
cv_strerror(int err)
{
	switch (err) {
	case CV_E_PROTO_VERSION:
		return "unsupported protocol version";
	default:
		/* strerrordesc_np() returns constant text and never a static
		 * buffer, unlike strerror(): the core keeps no writable state. */
		if (err < 0 && err > -4096 && strerrordesc_np(-err))
			return strerrordesc_np(-err);
		return "unknown error";
	}
}
