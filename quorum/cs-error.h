/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* corosync's cs_error_t (CS_OK == 1) to -errno, once, at the boundary. */
#pragma once

#include <corosync/corotypes.h>

/*
 * CS_OK -> 0; TRY_AGAIN, QUEUE_FULL, TIMEOUT -> -EAGAIN (retry on a timer);
 * LIBRARY, BAD_HANDLE, NOT_EXIST -> -ENOTCONN (finalize and reconnect);
 * ACCESS -> -EACCES; NO_MEMORY -> -ENOMEM; the rest -> -EIO.
 */
int cv_cs_to_errno(cs_error_t err);
