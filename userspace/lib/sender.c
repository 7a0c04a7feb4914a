// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The sender: mode selection, the ring of sends awaiting release, and the
 * auto mode's retreat to copying when zero-copy keeps being copied anyway.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sender.h"

static const char *const mode_names[] = {
	[FPGACAP_SEND_AUTO] = "auto",
	[FPGACAP_SEND_COPY] = "copy",
	[FPGACAP_SEND_ZEROCOPY] = "zerocopy",
	[FPGACAP_SEND_URING] = "uring",
};

const char *fpgacap_send_mode_name(enum fpgacap_send_mode mode)
{
	if ((unsigned int)mode >= sizeof(mode_names) / sizeof(mode_names[0]))
		return "?";
	return mode_names[mode];
}

int fpgacap_send_mode_parse(const char *name, enum fpgacap_send_mode *mode)
{
	unsigned int i;

	for (i = 0; i < sizeof(mode_names) / sizeof(mode_names[0]); i++) {
		if (!strcmp(name, mode_names[i])) {
			*mode = (enum fpgacap_send_mode)i;
			return 0;
		}
	}
	return -EINVAL;
}

int wait_writable(int fd, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	int ret = poll(&pfd, 1, timeout_ms);

	if (ret < 0)
		return errno == EINTR ? 0 : -errno;
	if (pfd.revents & (POLLHUP | POLLNVAL))
		return -EPIPE;
	return 0;
}

void iov_advance(struct iovec **iov, unsigned int *n, size_t bytes)
{
	while (*n && bytes >= (*iov)->iov_len) {
		bytes -= (*iov)->iov_len;
		(*iov)++;
		(*n)--;
	}
	if (*n && bytes) {
		(*iov)->iov_base = (char *)(*iov)->iov_base + bytes;
		(*iov)->iov_len -= bytes;
	}
}

/* Auto mode: if most completions say "copied", stop paying for them. */
void sender_note_completions(struct fpgacap_sender *s, uint64_t n,
			     bool copied)
{
	struct fpgacap_sender_stats *st = &s->st;

	st->completions += n;
	if (copied)
		st->copied += n;
	if (st->requested != FPGACAP_SEND_AUTO || st->fell_back ||
	    !s->opts.copy_fallback_pct || !st->copied_known ||
	    st->completions < s->opts.copy_fallback_window)
		return;
	if (st->copied * 100 >= st->completions * s->opts.copy_fallback_pct) {
		s->mode = FPGACAP_SEND_COPY;
		st->mode = FPGACAP_SEND_COPY;
		st->fell_back = 1;
		st->fallback_reason = 0;
	}
}

/* Give back, oldest first, every send that is fully released. */
static int release_ready(struct fpgacap_sender *s)
{
	int released = 0;

	while (s->count) {
		struct send_entry *e = &s->ring[s->head];

		if (!e->queued || e->outstanding)
			break;
		s->head = (s->head + 1) % s->opts.max_inflight;
		s->count--;
		released++;
		if (s->opts.release)
			s->opts.release(s->opts.ctx, e->cookie);
	}
	return released;
}

static bool waits_for_completions(const struct fpgacap_sender *s)
{
	unsigned int i;

	for (i = 0; i < s->count; i++)
		if (s->ring[(s->head + i) % s->opts.max_inflight].outstanding)
			return true;
	return false;
}

int fpgacap_sender_reap(struct fpgacap_sender *s, int timeout_ms)
{
	int ret = 0;

	if (s->uring)
		ret = uring_reap(s, timeout_ms);
	if (!ret && s->zc_enabled && waits_for_completions(s))
		ret = msgzc_reap(s, s->uring ? 0 : timeout_ms);
	if (ret < 0)
		return ret;
	return release_ready(s);
}

int fpgacap_sender_flush(struct fpgacap_sender *s, int timeout_ms)
{
	int waited = 0, ret;

	release_ready(s);
	while (s->count) {
		if (timeout_ms >= 0 && waited >= timeout_ms)
			return -ETIMEDOUT;
		ret = fpgacap_sender_reap(s, 100);
		if (ret < 0)
			return ret;
		if (!ret)
			waited += 100;
	}
	return 0;
}

unsigned int fpgacap_sender_pending(const struct fpgacap_sender *s)
{
	return s->count;
}

void fpgacap_sender_get_stats(const struct fpgacap_sender *s,
			      struct fpgacap_sender_stats *st)
{
	*st = s->st;
}

/* Zero-copy refused this memory or this socket: auto copies from now on. */
static bool auto_falls_back(struct fpgacap_sender *s, int err)
{
	if (s->st.requested != FPGACAP_SEND_AUTO)
		return false;
	s->mode = FPGACAP_SEND_COPY;
	s->st.mode = FPGACAP_SEND_COPY;
	s->st.fell_back = 1;
	s->st.fallback_reason = -err;
	return true;
}

/* The mode's backend for everything left in *iov. */
static int send_zc_or_copy(struct fpgacap_sender *s, struct send_entry *e,
			   unsigned int idx, struct iovec **v, unsigned int *n)
{
	int ret;

	for (;;) {
		switch (s->mode) {
		case FPGACAP_SEND_URING:
			ret = uring_send(s, e, idx, v, n);
			break;
		case FPGACAP_SEND_ZEROCOPY:
			ret = msgzc_send(s, e, v, n);
			break;
		default:
			return copy_send(s, v, n, false);
		}
		/* Zero-copy refused this memory before any byte went out. */
		if ((ret == -EFAULT || ret == -EOPNOTSUPP) &&
		    auto_falls_back(s, ret))
			continue;
		return ret;
	}
}

int fpgacap_sender_send(struct fpgacap_sender *s, const struct iovec *iov,
			unsigned int iovcnt, uint64_t cookie)
{
	struct iovec local[8], *v = local;
	struct send_entry *e;
	unsigned int idx, n = iovcnt, i;
	size_t total = 0;
	int ret;

	if (!iovcnt || iovcnt > 8)
		return -EINVAL;
	/* Room in the ring: wait for the oldest sends to be released. */
	while (s->count == s->opts.max_inflight) {
		ret = fpgacap_sender_reap(s, 1000);
		if (ret < 0)
			return ret;
	}
	for (i = 0; i < iovcnt; i++) {
		local[i] = iov[i];
		total += iov[i].iov_len;
	}

	idx = (s->head + s->count) % s->opts.max_inflight;
	e = &s->ring[idx];
	memset(e, 0, sizeof(*e));
	e->cookie = cookie;
	e->seq = s->seq++;
	e->first_id = s->zc_next_id;
	e->next_id = s->zc_next_id;
	s->count++;

	ret = 0;
	while (n && !ret) {
		/* Small elements go by copy, in front of what follows. */
		if (s->mode != FPGACAP_SEND_COPY &&
		    v->iov_len < ZEROCOPY_MIN_BYTES) {
			unsigned int one = 1;

			ret = copy_send(s, &v, &one, n > 1);
			n--;
			continue;
		}
		ret = send_zc_or_copy(s, e, idx, &v, &n);
	}
	if (ret < 0) {
		/* The entry stays: completions of what went out still come. */
		e->queued = true;
		return ret;
	}
	e->queued = true;
	s->st.sends++;
	s->st.bytes += total;
	if (s->opts.unsafe_early_release)
		e->outstanding = 0;
	release_ready(s);
	return 0;
}

int fpgacap_sender_create(const struct fpgacap_sender_opts *opts,
			  struct fpgacap_sender **out)
{
	struct fpgacap_sender *s;
	struct stat sb;
	int ret = 0;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->opts = *opts;
	if (!s->opts.max_inflight)
		s->opts.max_inflight = 64;
	if (!s->opts.copy_fallback_window)
		s->opts.copy_fallback_window = 32;
	if (opts->mode == FPGACAP_SEND_AUTO && !opts->copy_fallback_pct)
		s->opts.copy_fallback_pct = 50;
	s->ring = calloc(s->opts.max_inflight, sizeof(*s->ring));
	if (!s->ring) {
		free(s);
		return -ENOMEM;
	}
	s->st.requested = opts->mode;
	s->st.copied_known = true;
	s->is_socket = !fstat(opts->fd, &sb) && S_ISSOCK(sb.st_mode);
	if (!s->is_socket && opts->mode != FPGACAP_SEND_COPY &&
	    opts->mode != FPGACAP_SEND_AUTO) {
		fpgacap_sender_destroy(s);
		return -ENOTSOCK;
	}

	switch (opts->mode) {
	case FPGACAP_SEND_URING:
		ret = opts->no_uring ? -ENOSYS : uring_init(s);
		if (!ret)
			s->mode = FPGACAP_SEND_URING;
		break;
	case FPGACAP_SEND_ZEROCOPY:
		ret = msgzc_enable(s);
		if (!ret)
			s->mode = FPGACAP_SEND_ZEROCOPY;
		break;
	case FPGACAP_SEND_COPY:
		s->mode = FPGACAP_SEND_COPY;
		break;
	case FPGACAP_SEND_AUTO:
		if (!s->is_socket) {
			s->mode = FPGACAP_SEND_COPY;
			break;
		}
		/* io_uring first (no error-queue syscalls), then
		 * MSG_ZEROCOPY, then copying. */
		if (!opts->no_uring && !uring_init(s))
			s->mode = FPGACAP_SEND_URING;
		else if (!msgzc_enable(s))
			s->mode = FPGACAP_SEND_ZEROCOPY;
		else
			s->mode = FPGACAP_SEND_COPY;
		break;
	default:
		ret = -EINVAL;
	}
	if (ret) {
		fpgacap_sender_destroy(s);
		return ret;
	}
	s->st.mode = s->mode;
	*out = s;
	return 0;
}

void fpgacap_sender_destroy(struct fpgacap_sender *s)
{
	if (!s)
		return;
	if (s->uring)
		uring_exit(s);
	free(s->ring);
	free(s);
}
