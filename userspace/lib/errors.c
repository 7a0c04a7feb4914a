// SPDX-License-Identifier: LGPL-2.1-or-later
/* Messages for the negative errnos the library returns. */
#include <errno.h>
#include <string.h>

#include "libfpgacap.h"

const char *fpgacap_strerror(int err)
{
	if (err > 0)
		err = -err;
	switch (err) {
	case 0:
		return "success";
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
	case -ENODEV:
		return "device gone (unbound)";
	case -EIO:
		return "capture source failed; stop and start to recover";
	case -EFAULT:
		return "bad address (zero-copy refused this memory)";
	default:
		/* Thread-safe, unlike strerror(). */
		return strerrordesc_np(-err) ? strerrordesc_np(-err) :
		       "unknown error";
	}
}
