/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Whether corovipd on this node manages an address (asked over its IPC,
 * CV_IPC_WHO_HAS): the agent refuses such an address, so that the two never
 * fight over one. The owner tags keep them from removing each other's
 * addresses either way (config.h: CV_TAG_DAEMON, CV_TAG_OCF).
 */
#pragma once

#include <stddef.h>

/*
 * -EEXIST: corovipd manages ip (ret_vip: its VIP's name); 0: it does not,
 * or does not run; another -errno: it runs but could not tell (why says it:
 * the caller goes on with a warning, the tags still protect each side).
 */
int ocf_daemon_has(const char *ip, char *ret_vip, size_t vip_len, char *why, size_t len);
