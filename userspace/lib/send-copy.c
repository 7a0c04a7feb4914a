// SPDX-License-Identifier: LGPL-2.1-or-later
/* The copy path: sendmsg() copies, so a buffer is free when it returns. */
#include <errno.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "sender.h"

int copy_send(struct fpgacap_sender *s, struct iovec **iov, unsigned int *n,
	      bool more)
{
	while (*n) {
		struct msghdr msg = { .msg_iov = *iov, .msg_iovlen = *n };
		ssize_t ret;

		ret = s->is_socket ? sendmsg(s->opts.fd, &msg, MSG_NOSIGNAL |
					     (more ? MSG_MORE : 0)) :
				     writev(s->opts.fd, *iov, (int)*n);
		s->st.syscalls++;
		if (ret < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				ret = wait_writable(s->opts.fd, -1);
				if (ret)
					return (int)ret;
				continue;
			}
			return -errno;
		}
		iov_advance(iov, n, ret);
		if (*n)
			s->st.partial++;
	}
	return 0;
}
