/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* corovip-os pair ...: a port's allowed address pairs through the client (corovip-os-pair.c). */
#pragma once

#include <stdbool.h>

#include <qb/qbloop.h>

#include "os-client.h"

/* Are argv[0..argc) a pair command's words (after "pair")? */
bool cv_os_cli_pair_args(int argc, char *const *argv);
/* Is it the one that needs a second client (race)? */
bool cv_os_cli_pair_two(int argc, char *const *argv);
/* Run it on loop with client a (and b, for race). 0 or -errno, printed. */
int cv_os_cli_pair(qb_loop_t *loop, struct cv_os_client *a, struct cv_os_client *b, int argc,
		   char **argv, bool in_turn);
/* The loop on until neither client has anything under way (corovip-os.c). */
void cv_os_cli_wait_idle(qb_loop_t *loop, struct cv_os_client *a, struct cv_os_client *b);
