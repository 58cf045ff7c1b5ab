/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* corovip-os vip: one VIP of a corovip.conf through the OpenStack backend (corovip-os-vip.c). */
#pragma once

#include <stdint.h>

/* what: acquire, release or monitor. Returns the exit code (and prints what happened). */
int cv_os_cli_vip(const char *conf, const char *name, const char *what, uint64_t epoch,
		  uint32_t node);
