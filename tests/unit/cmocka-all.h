/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cmocka needs these before its own header; one place for them. */
#pragma once

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
