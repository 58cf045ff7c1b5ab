/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The corovipctl <-> corovipd IPC protocol (libqb IPC, service "corovip").
 * One request, one response. Requests are fixed-size: a libqb request
 * header whose id names the command, a version and two bounded names.
 * Responses are a libqb response header (error: 0 or -errno) followed by
 * NUL-terminated text: the output, or the reason of the failure.
 *
 * Versions: 1 - status, status --json, move, standby, unstandby, reload, metrics;
 *              who-has, recheck, continue, log-level, blackbox, where,
 *              maintenance, ban, clear (within 1: a daemon without them
 *              answers -EOPNOTSUPP; the request's arg came with ban, before
 *              any release).
 */
#pragma once

#include <stdint.h>

#include <qb/qbipc_common.h>

#include "config.h"

#define CV_IPC_SERVICE "corovip"
#define CV_IPC_GROUP "haclient" /* besides root, who may connect */
#define CV_IPC_VERSION 1
/* Largest message either way: room for the status of a few hundred VIPs. */
#define CV_IPC_MAX_MSG (256 * 1024)

enum cv_ipc_cmd {
	CV_IPC_STATUS = 1,
	CV_IPC_STATUS_JSON,
	CV_IPC_MOVE,	  /* vip, node */
	CV_IPC_STANDBY,	  /* node */
	CV_IPC_UNSTANDBY, /* node */
	CV_IPC_RELOAD,
	CV_IPC_METRICS,
	/* vip: an address as the hex of its bytes (8 or 32 digits: names carry
	 * no ':'). Answers the name of the VIP that has it, or -ENOENT. The OCF
	 * agent asks before it takes an address (ocf/). */
	CV_IPC_WHO_HAS,
	/* vip: run its checks (check and fallback_check) now and take their
	 * outcome as it is (a cluster manager's role change, issue 16) */
	CV_IPC_RECHECK,
	/* the next part of an answer that came with error CV_IPC_MORE */
	CV_IPC_CONTINUE,
	/* vip: a level's name (error ... debug): what reaches syslog until the next reload */
	CV_IPC_LOG_LEVEL,
	/* write the blackbox to the state directory (as SIGUSR2); answers its path */
	CV_IPC_BLACKBOX,
	/* vip: "OWNER WHY" (its owner's name, or "-", and core/engine.h's why
	 * code); or node (vip empty): "OWNED MOVING", how many VIPs it owns and
	 * how many of all are in motion (cv_why_in_motion). For --wait. */
	CV_IPC_WHERE,
	/* vip: "on" or "off": the cluster's maintenance mode (cluster state) */
	CV_IPC_MAINTENANCE,
	/* vip, node, arg: the ban's lifetime in ms (0: until cleared) */
	CV_IPC_BAN,
	/* vip, node (empty: every ban of the VIP, and a move under way) */
	CV_IPC_CLEAR,
	_CV_IPC_CMD_MAX,
};

struct cv_ipc_request {
	struct qb_ipc_request_header hdr; /* id: enum cv_ipc_cmd, size: sizeof(this) */
	uint32_t version;		  /* CV_IPC_VERSION */
	char vip[CV_NAME_MAX + 1];	  /* NUL-terminated, or empty */
	char node[CV_NAME_MAX + 1];
	uint32_t arg;			  /* a number some commands take (CV_IPC_BAN), else 0 */
} __attribute__((aligned(8)));

struct cv_ipc_response {
	struct qb_ipc_response_header hdr; /* id: the request's, error: 0, CV_IPC_MORE or -errno */
	char text[];			   /* NUL-terminated */
} __attribute__((aligned(8)));

/*
 * An answer of any size (status of 10,000 VIPs): when it does not fit one
 * message, its first part comes with error CV_IPC_MORE, and each
 * CV_IPC_CONTINUE on the same connection gets the next part (CV_IPC_MORE
 * again, or 0 with the last). The parts are of one answer, made once.
 */
#define CV_IPC_MORE 1
