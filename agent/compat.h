/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The one place for what older system headers lack (style.md 3: feature #ifs
 * live in configure.ac and here, never in function bodies).
 */
#pragma once

#include <linux/if_addr.h>

/*
 * IFA_PROTO (u8, the address's "protocol": who added it) came with Linux 6.1's
 * UAPI headers; the attribute number is fixed at 11 in the kernel's enum.
 * Kernels older than 6.1 ignore the attribute, so reconcile cannot tell our
 * addresses from the admin's there.
 */
#if !HAVE_DECL_IFA_PROTO
#define IFA_PROTO 11
#endif
