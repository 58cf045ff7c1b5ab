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

/*
 * pidfd_open(2) (Linux 5.3) and pidfd_send_signal(2) (5.1): glibc wraps them
 * from 2.36 on, in <sys/pidfd.h>, which came with them; with an older glibc,
 * the raw system calls (their numbers need kernel headers of 5.3 or later).
 */
#if __has_include(<sys/pidfd.h>)
#include <sys/pidfd.h>
#else
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

static inline int
pidfd_open(pid_t pid, unsigned int flags)
{
	return (int)syscall(SYS_pidfd_open, pid, flags);
}

static inline int
pidfd_send_signal(int pidfd, int sig, siginfo_t *info, unsigned int flags)
{
	return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, info, flags);
}
#endif
