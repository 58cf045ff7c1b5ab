/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * corovip-os vip and corovip-aws vip: one VIP of a corovip.conf through its
 * cloud backend on the one-shot runner (cli-vip.c).
 */
#pragma once

#include <stdint.h>

#include "config.h"

/* what: acquire, release or monitor. Returns the exit code (and prints what happened). */
int cv_cli_vip(const char *prog, enum cv_backend_kind kind, const char *conf, const char *name,
	       const char *what, uint64_t epoch, uint32_t node);
