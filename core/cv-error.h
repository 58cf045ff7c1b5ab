/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Errors are negative errno values everywhere. This names the few codes of our
 * own (from -1000 down, as Knot and Pacemaker do) and turns any code into text.
 */
#pragma once

enum {
	/* The peer speaks a protocol version we do not. */
	CV_E_PROTO_VERSION = -1000,
	_CV_E_MIN = -1001,
};

/* Text for a negative error code; a static string, never NULL. */
const char *cv_strerror(int err);
