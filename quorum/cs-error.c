/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>

#include "cs-error.h"

int
cv_cs_to_errno(cs_error_t err)
{
	switch (err) {
	case CS_OK:
		return 0;
	case CS_ERR_TRY_AGAIN:
	case CS_ERR_QUEUE_FULL:
	case CS_ERR_TIMEOUT:
		return -EAGAIN;
	case CS_ERR_LIBRARY:
	case CS_ERR_BAD_HANDLE:
	case CS_ERR_NOT_EXIST:
		return -ENOTCONN;
	case CS_ERR_ACCESS:
		return -EACCES;
	case CS_ERR_NO_MEMORY:
		return -ENOMEM;
	case CS_ERR_INVALID_PARAM:
		return -EINVAL;
	case CS_ERR_EXIST:
		return -EEXIST;
	case CS_ERR_TOO_BIG:
		return -EMSGSIZE;
	default:
		return -EIO;
	}
}
