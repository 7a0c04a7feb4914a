// SPDX-License-Identifier: MIT
/*
 * The recorder without io_uring (a kernel or seccomp profile without it,
 * or a build without liburing): each write is a pwrite() that completes
 * before the call returns, one at a time. Still from the pool's pages with
 * O_DIRECT; with FPGACAP_RECORD_SYNC each is followed by fdatasync().
 */
#include <errno.h>
#include <unistd.h>

#include "record.h"

static int sync_issue(struct fpgacap_recorder *r, void *priv,
		      struct rec_entry *e, unsigned int i)
{
	struct rec_piece *p = &e->piece[i];
	uint64_t left = p->len - p->done;
	ssize_t n;

	(void)priv;
	if (left > RECORD_MAX_IO)
		left = RECORD_MAX_IO;
	n = pwrite(r->opts.fd, p->base + p->done, (size_t)left,
		   (off_t)(p->off + p->done));
	r->st.syscalls++;
	if (n > 0 && (r->opts.flags & FPGACAP_RECORD_SYNC)) {
		r->st.syscalls++;
		if (fdatasync(r->opts.fd) && errno != EINVAL)
			n = -1;
	}
	record_complete(r, e, i, n < 0 ? -errno : (int)n);
	return 0;
}

const struct rec_backend_ops rec_sync_ops = {
	.name = "sync",
	.async = false,
	.issue = sync_issue,
};
