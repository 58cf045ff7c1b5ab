/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Least privilege (issue 11), decided once per process. corovipd stays uid 0
 * (corosync admits root and the uids/gids its config lists; the config file
 * and the IPC socket are root's) but keeps only the capabilities its work
 * needs, in its effective, permitted and bounding sets, once start-up is
 * done:
 *   the daemon: CAP_NET_ADMIN (addresses, large netlink buffers),
 *               CAP_NET_RAW (GARP, unsolicited NA, the conflict watch's
 *               packet sockets, opened when first needed) and CAP_CHOWN
 *               (libqb gives a corovipctl connection's shared memory
 *               directory to the client and group haclient); its only
 *               supplementary group is haclient, as of the start (to
 *               create the files in that directory without
 *               CAP_DAC_OVERRIDE: a haclient made later needs a restart);
 *               CAP_SETUID and CAP_SETGID (an exec check's or a notify
 *               hook's child becomes script_user) and CAP_KILL (its process
 *               group is killed at its timeout);
 *   the reaper: CAP_NET_ADMIN only, no supplementary group (it removes
 *               addresses; its CPG connection needs nothing).
 * A reaper started later is exec'ed from the daemon and so gets at most the
 * daemon's bounding set, then drops to its own. Exec check children run as
 * script_user and keep no capability (setuid from root clears them). Not root
 * (tests as another user): nothing to drop.
 */
#pragma once

enum cv_role { CV_ROLE_DAEMON, CV_ROLE_REAPER };

/* Keep only role's capabilities. 0, or -EPERM/-errno (logged by the caller). */
int cv_privileges_drop(enum cv_role role);

/*
 * As root: the first capability the daemon's work cannot go without
 * (CAP_NET_ADMIN, CAP_NET_RAW) that it does not have, by name; NULL if it
 * has them (or is not root). A unit or container that leaves one out would
 * have every address operation fail, over and over: corovipd refuses to
 * start instead, naming it.
 */
const char *cv_privileges_lacking(void);
