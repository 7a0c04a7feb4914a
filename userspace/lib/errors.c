// SPDX-License-Identifier: MIT
/* Messages for the negative errnos the library returns. */
#include <errno.h>
#include <string.h>

#include "internal.h"

/*
 * The C library's text for the rest, without strerror()'s shared buffer:
 * glibc has strerrordesc_np() (2.32); musl's strerror() returns constant
 * strings and is thread-safe.
 */
static const char *libc_message(int err)
{
	const char *m;

#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 32)
	m = strerrordesc_np(err);
#else
	m = strerror(err);
#endif
	return m ? m : "unknown error";
}

FPGACAP_API const char *fpgacap_strerror(int err)
{
	if (err > 0)
		err = -err;
	switch (err) {
	case 0:
		return "success";
	case -EINTR:
		return "interrupted by a signal";
	case -EBADF:
		return "the device was opened without read access";
	case -ENOBUFS:
		return "no buffers configured (or socket memory exhausted)";
	case -ENODATA:
		return "stream stopped and drained";
	case -EBUSY:
		return "another file owns the stream, or it is streaming";
	case -E2BIG:
		return "above the device's limits";
	case -EOVERFLOW:
		return "count * size overflows";
	case -EDQUOT:
		return "the device's pinned-memory limit (max_pinned) is reached";
	case -EOPNOTSUPP:
		return "not supported by this device, source or kernel";
	case -ENODEV:
		return "device gone (unbound)";
	case -EIO:
		return "capture source failed; stop and start to recover";
	case -EFAULT:
		return "bad address (zero-copy refused this memory)";
	case -ENOTTY:
		return "not an fpgacap device";
	case -ENOTUNIQ:
		return "several fpgacap devices, and no /dev/fpgacap to choose";
	default:
		return libc_message(-err);
	}
}
