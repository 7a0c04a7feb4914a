// SPDX-License-Identifier: MIT
/* The copy backend: sendmsg() (writev() to a file) copies, so a buffer is
 * free when it returns. */
#include <errno.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "sender.h"

static int copy_send(struct fpgacap_sender *s, void *priv,
		     struct send_entry *e, struct iovec **iov, unsigned int *n,
		     bool more)
{
	(void)priv;
	while (*n) {
		struct msghdr msg = { .msg_iov = *iov, .msg_iovlen = *n };
		int flags = MSG_NOSIGNAL | (more ? MSG_MORE : 0) |
			    (sender_draining(s) ? MSG_DONTWAIT : 0);
		ssize_t ret;

		ret = s->is_socket ? sendmsg(s->opts.fd, &msg, flags) :
				     writev(s->opts.fd, *iov, (int)*n);
		s->st.syscalls++;
		if (ret < 0) {
			int err = errno;

			if (err == EINTR) {
				err = sender_interrupted(s, e);
				if (err)
					return err;
				continue;
			}
			if (err != EAGAIN)
				return -err;
			err = sender_wait_writable(s->opts.fd,
						   sender_wait_ms(s, -1));
			if (err == -EINTR)
				err = sender_interrupted(s, e);
			if (!err)
				err = sender_drain_check(s);
			if (err)
				return err;
			continue;
		}
		ret = sender_advance(s, e, iov, n, (size_t)ret);
		if (ret)
			return (int)ret;
	}
	return 0;
}

const struct sender_backend_ops sender_copy_ops = {
	.name = "copy",
	.mode = FPGACAP_SEND_COPY,
	.send = copy_send,
};
