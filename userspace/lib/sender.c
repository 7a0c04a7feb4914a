// SPDX-License-Identifier: MIT
/*
 * The sender's core: the ring of sends awaiting release, backend choice,
 * the auto mode's retreat to copying when zero-copy keeps being copied
 * anyway, and what a signal does to a send in progress.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "clock.h"
#include "libfpgacap-testing.h"
#include "sender.h"

/* Older C libraries' headers lack it (Linux 4.18). */
#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif

#define NMODES (FPGACAP_SEND_URING + 1)

static const char *const mode_names[NMODES] = {
	[FPGACAP_SEND_AUTO] = "auto",
	[FPGACAP_SEND_COPY] = "copy",
	[FPGACAP_SEND_ZEROCOPY] = "zerocopy",
	[FPGACAP_SEND_URING] = "uring",
};


FPGACAP_API const char *fpgacap_send_mode_name(enum fpgacap_send_mode mode)
{
	if ((unsigned int)mode >= NMODES)
		return "?";
	return mode_names[mode];
}

static const char *const auto_copy_names[] = {
	[FPGACAP_AUTO_COPY_NONE] = "none",
	[FPGACAP_AUTO_COPY_FILE] = "file",
	[FPGACAP_AUTO_COPY_FEWER_PER_SEND] = "fewer-per-send",
	[FPGACAP_AUTO_COPY_SMALL_SENDS] = "small-sends",
	[FPGACAP_AUTO_COPY_UNSUPPORTED] = "unsupported",
};

FPGACAP_API const char *fpgacap_auto_copy_name(enum fpgacap_auto_copy why)
{
	if ((unsigned int)why >= sizeof(auto_copy_names) /
				 sizeof(auto_copy_names[0]))
		return "?";
	return auto_copy_names[why];
}

FPGACAP_API int fpgacap_send_mode_parse(const char *name,
					enum fpgacap_send_mode *mode)
{
	int i = name_index(mode_names, NMODES, name);

	if (i < 0)
		return -EINVAL;
	*mode = (enum fpgacap_send_mode)i;
	return 0;
}

FPGACAP_API bool fpgacap_send_mode_built(enum fpgacap_send_mode mode)
{
	if ((unsigned int)mode >= NMODES)
		return false;
	return mode != FPGACAP_SEND_URING || sender_uring_ops.send;
}

/* ---- helpers for the backends ---- */

struct send_entry *sender_entry_at(struct fpgacap_sender *s, unsigned int i)
{
	return &s->ring[(s->head + i) % s->opts.max_inflight];
}

unsigned int sender_slot(const struct fpgacap_sender *s,
			 const struct send_entry *e)
{
	return (unsigned int)(e - s->ring);
}

struct send_entry *sender_entry_lookup(struct fpgacap_sender *s,
				       unsigned int slot, uint32_t seq)
{
	unsigned int max = s->opts.max_inflight;

	if (slot >= max || (slot + max - s->head) % max >= s->count)
		return NULL;
	return s->ring[slot].seq == seq ? &s->ring[slot] : NULL;
}

int sender_wait_writable(int fd, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };

	if (poll(&pfd, 1, timeout_ms) < 0)
		return -errno;
	if (pfd.revents & (POLLHUP | POLLNVAL))
		return -EPIPE;
	return 0;
}

void sender_iov_advance(struct iovec **iov, unsigned int *n, size_t bytes)
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

bool sender_draining(const struct fpgacap_sender *s)
{
	return s->drain_deadline != 0;
}

int sender_drain_check(const struct fpgacap_sender *s)
{
	return s->drain_deadline && fc_now_ns() >= s->drain_deadline ?
	       -ETIMEDOUT : 0;
}

int sender_wait_ms(const struct fpgacap_sender *s, int timeout_ms)
{
	uint64_t now, left;

	if (!s->drain_deadline)
		return timeout_ms;
	now = fc_now_ns();
	left = now < s->drain_deadline ?
	       (s->drain_deadline - now + 999999) / 1000000 : 0;
	if (timeout_ms < 0 || left < (uint64_t)timeout_ms)
		return (int)left;
	return timeout_ms;
}

int sender_interrupted(struct fpgacap_sender *s, const struct send_entry *e)
{
	if (!e->sent && !e->outstanding)
		return -EINTR;
	if (!s->drain_deadline)
		s->drain_deadline = fc_now_ns() + SENDER_DRAIN_MS * 1000000ULL;
	return sender_drain_check(s);
}

int sender_advance(struct fpgacap_sender *s, struct send_entry *e,
		   struct iovec **iov, unsigned int *n, size_t bytes)
{
	e->sent += bytes;
	sender_iov_advance(iov, n, bytes);
	if (!*n)
		return 0;
	s->st.partial++;
	return s->short_is_signal ? sender_interrupted(s, e) : 0;
}

/* Auto mode: if most completions say "copied", stop paying for them. */
void sender_note_completions(struct fpgacap_sender *s, uint64_t n,
			     bool copied)
{
	struct fpgacap_sender_stats *st = &s->st;

	st->completions += n;
	if (copied)
		st->copied += n;
	if (s->opts.mode != FPGACAP_SEND_AUTO || st->fell_back ||
	    s->opts.copy_fallback_pct > 100 || !st->copied_known ||
	    st->completions < s->opts.copy_fallback_window)
		return;
	if (st->copied * 100 >= st->completions * s->opts.copy_fallback_pct) {
		s->use = &s->copy;
		st->fell_back = true;
		st->fallback_reason = 0;
	}
}

/* Datagrams per send now: zero-copy sends are limited by fragments. */
unsigned int *sender_gso_now(struct fpgacap_sender *s, bool slots)
{
	if (slots)
		return s->use->ops->zerocopy ? &s->slot_gso_zc :
		       &s->slot_gso_copy;
	return s->use->ops->zerocopy ? &s->gso_zc : &s->gso_copy;
}

bool sender_gso_retry(struct fpgacap_sender *s, int err, unsigned int g,
		      bool slots)
{
	if (g <= 1)
		return false;
	if (err == -EMSGSIZE) {
		*sender_gso_now(s, slots) = g - 1;
		s->st.gso_shrunk++;
		return true;
	}
	if (err == -EIO && !s->st.gso_error) {
		s->gso_copy = s->gso_zc = 1;
		s->slot_gso_copy = s->slot_gso_zc = 1;
		s->st.gso_error = EIO;
		return true;
	}
	return false;
}

void sender_note_datagrams(struct fpgacap_sender *s, unsigned int datagrams,
			   unsigned int iovecs)
{
	s->dgram_seq += datagrams;
	s->st.datagrams += datagrams;
	s->st.datagram_sends++;
	s->st.datagram_iovecs += iovecs;
}

/* ---- the ring ---- */

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

static bool waits_for_completions(struct fpgacap_sender *s)
{
	unsigned int i;

	for (i = 0; i < s->count; i++)
		if (sender_entry_at(s, i)->outstanding)
			return true;
	return false;
}

FPGACAP_API int fpgacap_sender_reap(struct fpgacap_sender *s, int timeout_ms)
{
	int ret = 0, released;

	if (s->zc.ops && waits_for_completions(s))
		ret = s->zc.ops->reap(s, s->zc.priv, timeout_ms);
	released = release_ready(s);
	return ret < 0 ? ret : released;
}

FPGACAP_API int fpgacap_sender_flush(struct fpgacap_sender *s, int timeout_ms)
{
	uint64_t end = fc_now_ns() + (uint64_t)timeout_ms * 1000000ULL;
	int ret;

	release_ready(s);
	while (s->count) {
		int wait = 100;

		if (timeout_ms >= 0) {
			uint64_t now = fc_now_ns();

			if (now >= end)
				return -ETIMEDOUT;
			if (end - now < 100000000ULL)
				wait = (int)((end - now + 999999) / 1000000);
		}
		ret = fpgacap_sender_reap(s, wait);
		if (ret < 0)
			return ret;
	}
	return 0;
}

FPGACAP_API unsigned int fpgacap_sender_pending(const struct fpgacap_sender *s)
{
	return s->count;
}

FPGACAP_API int fpgacap_sender_get_stats(const struct fpgacap_sender *s,
					 struct fpgacap_sender_stats *st)
{
	struct fpgacap_sender_stats now = s->st;

	now.mode = s->use->ops->mode;
	now.requested = s->opts.mode;
	if (s->datagram)
		now.gso_segments = *sender_gso_now((struct fpgacap_sender *)s,
						   s->opts.slot_size != 0);
	return struct_out(st, &now, sizeof(now));
}

/* Zero-copy refused this memory or this socket: auto copies from now on. */
static bool auto_falls_back(struct fpgacap_sender *s, int err)
{
	if (s->opts.mode != FPGACAP_SEND_AUTO)
		return false;
	s->use = &s->copy;
	s->st.fell_back = true;
	s->st.fallback_reason = -err;
	return true;
}

static int copy_send(struct fpgacap_sender *s, struct send_entry *e,
		     struct iovec **v, unsigned int *n, bool more)
{
	return s->copy.ops->send(s, s->copy.priv, e, v, n, more);
}

int sender_send_rest(struct fpgacap_sender *s, struct send_entry *e,
		     struct iovec **v, unsigned int *n)
{
	int ret;

	for (;;) {
		const struct sender_backend *b = s->use;

		ret = b->ops->send(s, b->priv, e, v, n, false);
		if (ret == -ENOBUFS && b->ops->zerocopy) {
			/* Nothing in flight to give optmem back: copy it. */
			s->st.nobufs_copied++;
			return copy_send(s, e, v, n, false);
		}
		/* Zero-copy refused this memory before any byte went out. */
		if ((ret == -EFAULT || ret == -EOPNOTSUPP) && b->ops->zerocopy &&
		    auto_falls_back(s, ret))
			continue;
		return ret;
	}
}

/* A new ring entry for @cookie, once there is room. */
struct send_entry *sender_entry_begin(struct fpgacap_sender *s,
				      uint64_t cookie, int *err)
{
	struct send_entry *e;
	int ret;

	/* Room in the ring: wait for the oldest sends to be released. */
	while (s->count == s->opts.max_inflight) {
		ret = fpgacap_sender_reap(s, 1000);
		if (ret < 0) {
			*err = ret;
			return NULL;
		}
	}
	e = sender_entry_at(s, s->count);
	memset(e, 0, sizeof(*e));
	e->cookie = cookie;
	e->seq = s->seq++;
	s->count++;
	s->drain_deadline = 0;
	return e;
}

int sender_entry_end(struct fpgacap_sender *s, struct send_entry *e, int ret,
		     size_t total)
{
	s->drain_deadline = 0;
	if (ret == -EINTR) {
		/* Nothing of it went out: the caller keeps the buffer. */
		s->count--;
		return ret;
	}
	/* On an error the entry stays: completions of what went out come. */
	e->queued = true;
	if (ret < 0)
		return ret;
	s->st.sends++;
	s->st.bytes += total;
	if (s->testing_early_release)
		e->outstanding = 0;
	release_ready(s);
	return 0;
}

FPGACAP_API int fpgacap_sender_send(struct fpgacap_sender *s,
				    const struct iovec *iov,
				    unsigned int iovcnt, uint64_t cookie)
{
	struct iovec local[8], *v = local;
	struct send_entry *e;
	unsigned int n = iovcnt, i;
	size_t total = 0;
	int ret;

	if (!iovcnt || iovcnt > 8)
		return -EINVAL;
	e = sender_entry_begin(s, cookie, &ret);
	if (!e)
		return ret;
	for (i = 0; i < iovcnt; i++) {
		local[i] = iov[i];
		total += iov[i].iov_len;
	}

	ret = 0;
	while (n && !ret) {
		/* Small elements go by copy, in front of what follows; not
		 * on a datagram socket, where the call is one datagram. */
		if (s->use->ops->zerocopy && !s->datagram &&
		    v->iov_len < ZEROCOPY_MIN_BYTES) {
			unsigned int one = 1;

			ret = copy_send(s, e, &v, &one, n > 1);
			if (!ret)
				n--;
			continue;
		}
		ret = sender_send_rest(s, e, &v, &n);
	}
	if (s->datagram && !ret)
		sender_note_datagrams(s, 1, iovcnt);
	return sender_entry_end(s, e, ret, total);
}

/* ---- datagram sockets ---- */

#define DGRAM_HDR ((uint32_t)sizeof(struct fpgacap_datagram))

void sender_dgram_encode(void *p, uint64_t seq, uint64_t offset,
			 uint16_t flags, uint8_t header_size)
{
	struct fpgacap_dgram_header h = {
		.magic = htole32(FPGACAP_DGRAM_MAGIC),
		.version = FPGACAP_DGRAM_VERSION,
		.header_size = header_size,
		.flags = htole16(flags),
		.sequence = htole64(seq),
		.offset = htole64(offset),
	};

	memcpy(p, &h, sizeof(h));
}

FPGACAP_API int fpgacap_datagram_decode(const void *data, size_t len,
					struct fpgacap_datagram *host)
{
	struct fpgacap_datagram w;

	if (len < sizeof(w))
		return -EPROTO;
	memcpy(&w, data, sizeof(w));
	host->magic = le32toh(w.magic);
	host->version = w.version;
	host->header_size = w.header_size;
	host->flags = le16toh(w.flags);
	host->sequence = le64toh(w.sequence);
	host->offset = le64toh(w.offset);
	if (host->magic != FPGACAP_DGRAM_MAGIC ||
	    host->version != FPGACAP_DGRAM_VERSION ||
	    host->header_size < sizeof(w) || host->header_size > len)
		return -EPROTO;
	return host->header_size;
}

/* Headers for @n datagrams in ring slot @slot. */
static uint8_t *slot_headers(struct fpgacap_sender *s, unsigned int slot,
			     unsigned int n)
{
	struct dgram_slot *d = &s->dslots[slot];
	void *p;

	if (n <= d->cap)
		return d->hdrs;
	/* Page-aligned: a header never straddles two pages. */
	if (posix_memalign(&p, 4096, (size_t)n * DGRAM_HDR_STRIDE))
		return NULL;
	free(d->hdrs);
	d->hdrs = p;
	d->cap = n;
	return d->hdrs;
}

FPGACAP_API int fpgacap_sender_send_datagrams(struct fpgacap_sender *s,
					      const void *data, size_t len,
					      uint64_t offset, uint32_t flags,
					      uint64_t cookie)
{
	const size_t payload = s->st.datagram_size - DGRAM_HDR;
	const char *p = data;
	struct send_entry *e;
	unsigned int count, i, k;
	uint8_t *hdrs;
	int ret;

	if (!s->datagram)
		return -EPROTOTYPE;
	if (!len || !data)
		return -EINVAL;
	if ((len + payload - 1) / payload > UINT32_MAX / DGRAM_HDR_STRIDE)
		return -E2BIG;
	count = (unsigned int)((len + payload - 1) / payload);
	e = sender_entry_begin(s, cookie, &ret);
	if (!e)
		return ret;
	hdrs = slot_headers(s, sender_slot(s, e), count);
	if (!hdrs) {
		s->count--;
		return -ENOMEM;
	}
	for (i = 0; i < count; i++)
		sender_dgram_encode(hdrs + (size_t)i * DGRAM_HDR_STRIDE,
				    s->dgram_seq + i, offset + i * payload,
				    (uint16_t)(i ? 0 : FPGACAP_DGRAM_FIRST |
					       (flags & (FPGACAP_DGRAM_LOST |
							 FPGACAP_DGRAM_ERROR))),
				    DGRAM_HDR);
	ret = 0;
	for (i = 0; i < count && !ret;) {
		unsigned int gso = *sender_gso_now(s, false);
		unsigned int g = count - i < gso ? count - i : gso, n = 2 * g;
		struct iovec *v = s->giov;

		for (k = 0; k < g; k++) {
			size_t at = (size_t)(i + k) * payload;

			v[2 * k].iov_base = hdrs + (size_t)(i + k) *
					    DGRAM_HDR_STRIDE;
			v[2 * k].iov_len = DGRAM_HDR;
			v[2 * k + 1].iov_base = (void *)(p + at);
			v[2 * k + 1].iov_len = len - at < payload ? len - at :
					       payload;
		}
		ret = sender_send_rest(s, e, &v, &n);
		if (sender_gso_retry(s, ret, g, false)) {
			ret = 0;
			continue;
		}
		if (ret)
			break;
		i += g;
		sender_note_datagrams(s, g, 2 * g);
	}
	if (i == count)
		s->dgram_end = offset + len;
	return sender_entry_end(s, e, ret, len + (size_t)count * DGRAM_HDR);
}

FPGACAP_API int fpgacap_sender_end_datagrams(struct fpgacap_sender *s)
{
	uint8_t h[DGRAM_HDR_STRIDE];
	ssize_t n;

	if (!s->datagram)
		return -EPROTOTYPE;
	sender_dgram_encode(h, s->dgram_seq, s->dgram_end, FPGACAP_DGRAM_END,
			    DGRAM_HDR);
	do
		n = send(s->opts.fd, h, DGRAM_HDR, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	s->st.syscalls++;
	if (n < 0)
		return -errno;
	sender_note_datagrams(s, 1, 1);
	return 0;
}

/* UDP payload the path takes in one datagram, or -errno. */
static int path_payload(int fd, int family)
{
	struct sockaddr_in6 peer;
	socklen_t len = sizeof(peer);
	int mtu = 0, v4;

	if (getpeername(fd, (struct sockaddr *)&peer, &len))
		return errno == ENOTCONN ? -EDESTADDRREQ : -errno;
	v4 = family == AF_INET || IN6_IS_ADDR_V4MAPPED(&peer.sin6_addr);
	len = sizeof(mtu);
	if (family == AF_INET ?
	    getsockopt(fd, IPPROTO_IP, IP_MTU, &mtu, &len) :
	    getsockopt(fd, IPPROTO_IPV6, IPV6_MTU, &mtu, &len))
		return -errno;
	return mtu - (v4 ? 20 : 40) - 8;
}

/* The kernel's fragment limit per skb (net.core.max_skb_frags). */
static unsigned int max_frags(void)
{
	FILE *f = fopen("/proc/sys/net/core/max_skb_frags", "re");
	unsigned int n = 0;

	if (f) {
		if (fscanf(f, "%u", &n) != 1)
			n = 0;
		fclose(f);
	}
	return n ? n : 17;
}

/*
 * A datagram socket: the datagram size, UDP GSO and how many datagrams a
 * send takes. Copied sends are limited by bytes (64 KiB) and segments;
 * zero-copy ones also by fragments: each datagram is a header and a piece
 * of the buffer, and the pieces cross page boundaries now and then.
 */
static int datagram_setup(struct fpgacap_sender *s)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	long page = sysconf(_SC_PAGESIZE);
	unsigned int size, payload, bytes_max, g, frags;
	int type = 0, ret;

	len = sizeof(type);
	if (getsockopt(s->opts.fd, SOL_SOCKET, SO_TYPE, &type, &len) ||
	    type != SOCK_DGRAM)
		/* Slots are datagrams: a stream has no place for them. */
		return s->opts.slot_size ? -EPROTOTYPE : 0;
	s->datagram = true;
	len = sizeof(ss);
	if (getsockname(s->opts.fd, (struct sockaddr *)&ss, &len))
		return -errno;
	if (ss.ss_family != AF_INET && ss.ss_family != AF_INET6)
		return -EAFNOSUPPORT;
	ret = path_payload(s->opts.fd, ss.ss_family);
	if (ret < 0)
		return ret;
	/* One send: at most 64 KiB of UDP payload, 64 segments. */
	bytes_max = ss.ss_family == AF_INET ? 65507 : 65527;
	if (ret > (int)bytes_max)
		ret = (int)bytes_max;
	size = s->opts.datagram_size ? s->opts.datagram_size :
	       (unsigned int)ret;
	if (s->opts.slot_size) {
		/* A slot is a datagram: its size is the pool's. */
		if (s->opts.slot_header >= s->opts.slot_size ||
		    (s->opts.datagram_size &&
		     s->opts.datagram_size != s->opts.slot_size))
			return -EINVAL;
		size = s->opts.slot_size;
	}
	if (size <= DGRAM_HDR || size > (unsigned int)ret)
		return -EMSGSIZE;
	payload = size - DGRAM_HDR;
	s->gso_copy = bytes_max / size < 64 ? bytes_max / size : 64;
	frags = max_frags();
	for (g = s->gso_copy; g > 1; g--)
		if (2 * g + (g * payload + (unsigned int)page - 1) /
		    (unsigned int)page <= frags)
			break;
	s->gso_zc = g;
	/* Whole slots: one piece of memory a send, a fragment per page it
	 * touches wherever it starts (a run of slots need not start on a
	 * page): 44 slots of 1472 bytes touch 17 pages at most. */
	s->slot_gso_copy = s->gso_copy;
	for (g = s->slot_gso_copy; g > 1; g--)
		if ((g * size + 2 * ((unsigned int)page - 1)) /
		    (unsigned int)page <= frags)
			break;
	s->slot_gso_zc = g;
	if (s->opts.gso_segments) {
		unsigned int *caps[] = { &s->gso_copy, &s->gso_zc,
					 &s->slot_gso_copy, &s->slot_gso_zc };

		for (g = 0; g < 4; g++)
			if (*caps[g] > s->opts.gso_segments)
				*caps[g] = s->opts.gso_segments;
	}
	if (s->gso_copy > 1 &&
	    setsockopt(s->opts.fd, SOL_UDP, UDP_SEGMENT, &size, sizeof(size))) {
		s->st.gso_error = errno;
		s->gso_copy = s->gso_zc = 1;
		s->slot_gso_copy = s->slot_gso_zc = 1;
	}
	s->giov = calloc(2 * (size_t)s->gso_copy + 2, sizeof(*s->giov));
	s->dslots = calloc(s->opts.max_inflight, sizeof(*s->dslots));
	if (!s->giov || !s->dslots)
		return -ENOMEM;
	s->st.datagram = true;
	s->st.datagram_size = size;
	return 0;
}

/* ---- life ---- */

static int backend_init(struct fpgacap_sender *s, struct sender_backend *b,
			const struct sender_backend_ops *ops)
{
	int ret;

	b->priv = ops->priv_size ? calloc(1, ops->priv_size) : NULL;
	if (ops->priv_size && !b->priv)
		return -ENOMEM;
	ret = ops->init ? ops->init(s, b->priv) : 0;
	if (ret) {
		free(b->priv);
		b->priv = NULL;
		return ret;
	}
	b->ops = ops;
	return 0;
}

static void backend_exit(struct fpgacap_sender *s, struct sender_backend *b)
{
	if (!b->ops)
		return;
	if (b->ops->exit)
		b->ops->exit(s, b->priv);
	free(b->priv);
	b->ops = NULL;
	b->priv = NULL;
}

/* A short send on a blocking socket without a send timeout is a signal. */
static bool short_send_is_signal(int fd)
{
	struct timeval tv = { 0 };
	socklen_t len = sizeof(tv);
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || (fl & O_NONBLOCK))
		return false;
	if (getsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, &len))
		return false;
	return !tv.tv_sec && !tv.tv_usec;
}

/* The zero-copy backend for @mode: uring, MSG_ZEROCOPY, or (auto) either. */
static int choose_backend(struct fpgacap_sender *s)
{
	int ret;

	switch (s->opts.mode) {
	case FPGACAP_SEND_URING:
		return backend_init(s, &s->zc, &sender_uring_ops);
	case FPGACAP_SEND_ZEROCOPY:
		return backend_init(s, &s->zc, &sender_msgzc_ops);
	case FPGACAP_SEND_COPY:
		return 0;
	case FPGACAP_SEND_AUTO:
		if (!s->is_socket) {
			s->st.auto_copy = FPGACAP_AUTO_COPY_FILE;
			return 0;
		}
		/* Datagrams built from a header of ours and a piece of the
		 * buffer: where zero-copy fits fewer of them in a send than
		 * copying does (two fragments a datagram, 7 against 44 at
		 * MTU 1500), the bench models it dearer than copying on
		 * both boards (docs/benchmarks.md), and a send of less than
		 * ZEROCOPY_MIN_BYTES of payload (no GSO) costs more to pin
		 * than to copy: copy. Slots carry their header in the pool:
		 * one piece a run of them. */
		if (s->datagram && !s->opts.slot_size) {
			if (s->gso_zc < s->gso_copy) {
				s->st.auto_copy =
					FPGACAP_AUTO_COPY_FEWER_PER_SEND;
				return 0;
			}
			if ((size_t)s->gso_zc * (s->st.datagram_size -
						 DGRAM_HDR) <
			    ZEROCOPY_MIN_BYTES) {
				s->st.auto_copy = FPGACAP_AUTO_COPY_SMALL_SENDS;
				return 0;
			}
		}
		/* io_uring first (no error-queue syscalls), then
		 * MSG_ZEROCOPY, then copying. */
		ret = backend_init(s, &s->zc, &sender_uring_ops);
		if (ret)
			ret = backend_init(s, &s->zc, &sender_msgzc_ops);
		if (ret) {
			s->st.auto_copy = FPGACAP_AUTO_COPY_UNSUPPORTED;
			s->st.auto_copy_error = -ret;
		}
		return 0;
	default:
		return -EINVAL;
	}
}

FPGACAP_API int fpgacap_sender_create(const struct fpgacap_sender_opts *opts,
				      struct fpgacap_sender **out)
{
	struct fpgacap_sender *s;
	struct stat sb;
	int ret;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	ret = struct_in(&s->opts, sizeof(s->opts), opts);
	if (ret) {
		free(s);
		return ret;
	}
	if (!s->opts.max_inflight)
		s->opts.max_inflight = 64;
	if (!s->opts.copy_fallback_window)
		s->opts.copy_fallback_window = 32;
	if (!s->opts.copy_fallback_pct)
		s->opts.copy_fallback_pct = 50;
	s->ring = calloc(s->opts.max_inflight, sizeof(*s->ring));
	if (!s->ring) {
		free(s);
		return -ENOMEM;
	}
	s->st.copied_known = true;
	s->is_socket = !fstat(s->opts.fd, &sb) && S_ISSOCK(sb.st_mode);
	s->short_is_signal = s->is_socket && short_send_is_signal(s->opts.fd);
	ret = s->is_socket ? datagram_setup(s) : 0;
	if (!ret)
		ret = backend_init(s, &s->copy, &sender_copy_ops);
	if (!ret && !s->is_socket && s->opts.mode != FPGACAP_SEND_COPY &&
	    s->opts.mode != FPGACAP_SEND_AUTO)
		ret = -ENOTSOCK;
	if (!ret)
		ret = choose_backend(s);
	if (ret) {
		fpgacap_sender_destroy(s);
		return ret;
	}
	s->use = s->zc.ops ? &s->zc : &s->copy;
	/* Read only here: the backend keeps what it registered. */
	s->opts.regions = NULL;
	s->opts.nregions = 0;
	*out = s;
	return 0;
}

FPGACAP_API void fpgacap_sender_destroy(struct fpgacap_sender *s)
{
	if (!s)
		return;
	backend_exit(s, &s->zc);
	backend_exit(s, &s->copy);
	if (s->dslots)
		for (unsigned int i = 0; i < s->opts.max_inflight; i++)
			free(s->dslots[i].hdrs);
	free(s->dslots);
	free(s->giov);
	free(s->ring);
	free(s);
}

/* Tests only (libfpgacap-testing.h): release on send() return. */
void fpgacap_testing_early_release(struct fpgacap_sender *s, bool on)
{
	s->testing_early_release = on;
}
