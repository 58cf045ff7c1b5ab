/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A dead daemon's leftovers in /dev/shm. libqb's IPC server makes a
 * directory per client connection, /dev/shm/qb-SERVERPID-CLIENTPID-N-XXXXXX,
 * holding that connection's rings (qb-request-SERVICE-header and so on), and
 * removes it when the connection closes; a daemon killed with connections
 * open leaves them behind for good.
 */
#pragma once

/* Remove those of service in dir whose server process is gone. The count removed, or -errno. */
int cv_shm_clean_stale(const char *dir, const char *service);
