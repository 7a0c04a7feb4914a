// SPDX-License-Identifier: MIT
/*
 * A buffer session: a client OPENed a device; its pool streams to that
 * client's connection, READBUF by READBUF, straight from the pool
 * (MSG_ZEROCOPY or io_uring SEND_ZC, or plain sends when zero-copy is
 * off). Each buffer goes back to the driver only once every send from it
 * was released by the network stack. When the session ends badly (the
 * client vanished or stalls, the server stops) the connection is reset
 * first, so that the kernel drops what it still queued and releases it.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "iiod.h"
#include "map.h"

#define BATCH 16
#define MAX_SPANS 64
/* A chunk's length is an int on the client's side. */
#define CHUNK_MAX (1ULL << 30)
#define WAIT_SLICE_MS 50
/* How long OPEN waits for a device's owner to go. */
#define OPEN_WAIT_MS 500

struct iiod_session {
	struct iiod_conn *c;
	struct iiod_device *dev;
	struct fpgacap *fc;
	struct fpgacap_sender *sender;
	struct iiod_map map;
	uint32_t count;			/* pool buffers */
	uint64_t buffer_size;
	uint32_t gather;		/* queued buffers that make a chunk */
	uint32_t *ret;			/* to give back to the driver */
	unsigned int nret;
	char mask[IIOD_MAX_CHANNELS / 4 + 2];	/* the stream's, and "\n" */
	enum fpgacap_send_mode requested;
	uint64_t samples;
	int pending_error;		/* for the READBUF being served */
	int error;			/* the connection broke */
	/* counters and times */
	uint64_t bytes, readbufs, sends, returned;
	uint64_t t0, cpu0;
	double busy0, total0;
};

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void on_release(void *ctx, uint64_t cookie)
{
	struct iiod_session *s = ctx;

	if (iiod_map_release(&s->map, (uint32_t)cookie))
		s->ret[s->nret++] = (uint32_t)cookie;
}

/* Released buffers back to the driver. */
static void give_back(struct iiod_session *s)
{
	int ret;

	if (!s->nret)
		return;
	ret = fpgacap_return(s->fc, s->ret, s->nret);
	if (ret && !s->error)
		s->error = ret;
	if (!ret)
		s->returned += s->nret;
	s->nret = 0;
}

/* The session's counters, for the attributes (lock held). */
static void snapshot(struct iiod_session *s, struct iiod_stats *st)
{
	struct fpgacap_sender_stats ss = { .size = sizeof(ss) };
	struct fpgacap_stats ds;

	memset(st, 0, sizeof(*st));
	memset(&ds, 0, sizeof(ds));
	fpgacap_sender_get_stats(s->sender, &ss);
	fpgacap_get_stats(s->fc, &ds);
	st->sessions = 1;
	st->bytes_sent = s->bytes;
	st->readbufs = s->readbufs;
	st->sends = s->sends;
	st->buffers_returned = s->returned;
	st->completions = ss.completions;
	st->copied = ss.copied;
	st->drops = ds.drops;
	st->bytes_dropped = ds.bytes_dropped;
	st->gaps = s->map.gaps;
	st->bytes_skipped = s->map.skipped;
	st->error_buffers = s->map.error_buffers;
}

static void publish(struct iiod_session *s)
{
	struct iiod_server *srv = s->c->srv;
	struct fpgacap_sender_stats ss = { .size = sizeof(ss) };

	fpgacap_sender_get_stats(s->sender, &ss);
	pthread_mutex_lock(&srv->lock);
	snapshot(s, &s->dev->live);
	snprintf(s->dev->live_mode, sizeof(s->dev->live_mode), "%s",
		 fpgacap_send_mode_name(ss.mode));
	pthread_mutex_unlock(&srv->lock);
}

static void session_free(struct iiod_session *s)
{
	fpgacap_sender_destroy(s->sender);
	/* Closing the owner stops the stream and frees the pool. */
	fpgacap_close(s->fc);
	iiod_map_free(&s->map);
	free(s->ret);
	free(s);
}

int iiod_session_open(struct iiod_conn *c, struct iiod_device *dev,
		      uint64_t samples, const uint32_t *mask)
{
	struct iiod_server *srv = c->srv;
	struct fpgacap_sender_opts so = { .size = sizeof(so) };
	const struct fpgacap_config *cfg;
	struct iovec region;
	struct iiod_session *s;
	struct iiod_devcfg set;
	unsigned int i;
	int ret;

	/* The client's channels are a subset of the stream's: it gets every
	 * channel (the mask echoed before the data says so), and libiio
	 * picks its own out of each sample. */
	(void)mask;
	pthread_mutex_lock(&srv->lock);
	/* libiio's tools leave without CLOSE: a client that just left may
	 * not have been seen yet. Give its session the time to end. */
	for (i = 0; dev->owner && i < OPEN_WAIT_MS / 5; i++) {
		pthread_mutex_unlock(&srv->lock);
		usleep(5000);
		pthread_mutex_lock(&srv->lock);
	}
	if (dev->owner) {
		dev->st.refused_busy++;
		pthread_mutex_unlock(&srv->lock);
		return -EBUSY;
	}
	set = dev->cfg;
	/* A sample must fit in a buffer, and a lone buffer hold whole ones:
	 * else no sample could ever be completed. */
	if (dev->sample_size > set.buffer_size ||
	    (set.buffers == 1 && set.buffer_size % dev->sample_size)) {
		pthread_mutex_unlock(&srv->lock);
		return -EINVAL;
	}
	dev->owner = c;
	memset(&dev->live, 0, sizeof(dev->live));
	pthread_mutex_unlock(&srv->lock);

	s = calloc(1, sizeof(*s));
	if (!s) {
		ret = -ENOMEM;
		goto fail;
	}
	s->c = c;
	s->dev = dev;
	s->samples = samples;
	s->requested = set.mode;
	ret = fpgacap_open(dev->path, 0, &s->fc);
	if (ret)
		goto fail;
	ret = fpgacap_configure(s->fc, set.buffers, set.buffer_size, 0,
				set.sampling_frequency * dev->sample_size);
	if (ret)
		goto fail;
	cfg = fpgacap_layout(s->fc);
	s->count = cfg->count;
	s->buffer_size = cfg->buffer_size;
	s->gather = s->count / 2 ? s->count / 2 : 1;
	s->ret = calloc(s->count, sizeof(*s->ret));
	ret = s->ret ? iiod_map_init(&s->map, s->count, dev->sample_size) :
	      -ENOMEM;
	if (ret)
		goto fail;
	region.iov_base = (void *)fpgacap_buffer_data(s->fc, 0);
	region.iov_len = cfg->mmap_size;
	so.fd = c->fd;
	so.mode = set.mode;
	so.max_inflight = 4 * s->count > 64 ? 4 * s->count : 64;
	so.regions = &region;
	so.nregions = 1;
	so.release = on_release;
	so.ctx = s;
	ret = fpgacap_sender_create(&so, &s->sender);
	if (ret)
		goto fail;
	ret = fpgacap_start(s->fc);
	if (ret)
		goto fail;
	/* Every channel is in the stream. */
	for (i = 0; i < dev->mask_words; i++) {
		unsigned int w = dev->mask_words - 1 - i, b;
		uint32_t m = 0;

		for (b = 0; b < 32 && w * 32 + b < dev->cfg.nchannels; b++)
			m |= 1U << b;
		snprintf(s->mask + 8 * i, 9, "%08x", m);
	}
	strcat(s->mask, "\n");
	s->t0 = fc_now_ns();
	s->cpu0 = thread_cpu_ns();
	iiod_cpu_times(&s->busy0, &s->total0);
	c->session = s;
	c->streaming = dev;
	c->had_session = true;
	publish(s);
	return 0;
fail:
	if (s)
		session_free(s);
	pthread_mutex_lock(&srv->lock);
	dev->owner = NULL;
	pthread_mutex_unlock(&srv->lock);
	return ret;
}

/* The client hung up, or the socket has an error: -errno, else 0. */
static int socket_gone(int fd, short revents)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (revents & (POLLHUP | POLLRDHUP))
		return -EPIPE;
	if ((revents & POLLERR) &&
	    !getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) && err)
		return -err;
	return 0;
}

/*
 * Dequeue what the device filled, waiting until @deadline (0: as long as
 * the client stays). Completions are reaped meanwhile, so buffers in flight
 * come back to the driver and it can fill them. How many buffers came,
 * -ETIMEDOUT, -ECANCELED (told to end), -EPIPE (the client left), or the
 * device's -errno.
 */
static int fill(struct iiod_session *s, uint64_t deadline)
{
	struct fpgacap_buffer batch[BATCH];
	struct iiod_conn *c = s->c;
	unsigned int want = s->count < BATCH ? s->count : BATCH;
	int n, ret, i;

	for (;;) {
		struct pollfd p[2] = {
			{ .fd = fpgacap_fd(s->fc), .events = POLLIN },
			{ .fd = c->fd, .events = POLLRDHUP },
		};
		uint64_t now;
		int slice = WAIT_SLICE_MS;

		if (atomic_load(&c->abort) != IIOD_RUN)
			return -ECANCELED;
		n = fpgacap_dequeue(s->fc, batch, want, 0);
		if (n > 0) {
			uint64_t errors = s->map.error_buffers;

			for (i = 0; i < n; i++) {
				ret = iiod_map_push(&s->map, &batch[i], s->ret,
						    &s->nret);
				if (ret)
					return ret;
			}
			if (s->map.error_buffers != errors)
				s->pending_error = -EIO;
			give_back(s);
			return n;
		}
		if (n != -EAGAIN && n != -ETIMEDOUT && n != -EINTR)
			return n;
		ret = fpgacap_sender_reap(s->sender, 0);
		give_back(s);
		if (ret < 0 && ret != -EINTR)
			return ret;
		now = fc_now_ns();
		if (deadline && now >= deadline)
			return -ETIMEDOUT;
		if (deadline && (deadline - now) / 1000000 < WAIT_SLICE_MS)
			slice = (int)((deadline - now) / 1000000) + 1;
		ret = poll(p, 2, slice);
		if (ret < 0 && errno != EINTR)
			return -errno;
		if (ret > 0) {
			ret = socket_gone(c->fd, p[1].revents);
			if (ret)
				return ret;
		}
	}
}

/*
 * One chunk of a READBUF reply: its length, the mask before the first,
 * then @n bytes straight from the pool, a send per span.
 */
static int send_chunk(struct iiod_session *s, uint64_t n, bool first)
{
	struct iiod_span spans[MAX_SPANS];
	struct iiod_conn *c = s->c;
	char hdr[40 + sizeof(s->mask)];
	uint64_t done = 0;
	int hl, k, j, q, ret;

	hl = snprintf(hdr, sizeof(hdr), "%llu\n%s", (unsigned long long)n,
		      first ? s->mask : "");
	while (done < n) {
		k = iiod_map_take(&s->map, n - done, spans, MAX_SPANS);
		if (k <= 0)
			return s->error = -EIO;
		for (j = 0; j < k; j++) {
			struct iovec iov[2];
			unsigned int cnt = 0;

			if (hl) {
				iov[cnt].iov_base = hdr;
				iov[cnt++].iov_len = (size_t)hl;
				hl = 0;
			}
			iov[cnt].iov_base = (char *)fpgacap_buffer_data(s->fc,
						spans[j].index) + spans[j].offset;
			iov[cnt++].iov_len = spans[j].len;
			atomic_store(&c->busy_since, fc_now_ns());
			ret = fpgacap_sender_send(s->sender, iov, cnt,
						  spans[j].index);
			atomic_store(&c->busy_since, 0);
			if (ret) {
				/* What never went out has no release to
				 * wait for (-EINTR: not even this one). */
				for (q = ret == -EINTR ? j : j + 1; q < k; q++)
					on_release(s, spans[q].index);
				give_back(s);
				return s->error = ret;
			}
			s->sends++;
			s->bytes += spans[j].len;
			done += spans[j].len;
		}
		give_back(s);
	}
	return 0;
}

int iiod_session_readbuf(struct iiod_conn *c, uint64_t nbytes)
{
	struct iiod_session *s = c->session;
	uint64_t ss = s->dev->sample_size, want, sent = 0, deadline = 0;
	uint64_t chunk_max = CHUNK_MAX - CHUNK_MAX % ss;
	bool first = true, expired = false;
	int err = 0, ret;

	if (s->error)
		return s->error;
	want = nbytes - nbytes % ss;
	if (!want)
		return iiod_reply_int(c, 0);
	if (c->timeout_ms)
		deadline = fc_now_ns() + c->timeout_ms * 1000000ULL;
	s->pending_error = 0;
	while (sent < want) {
		uint64_t avail = iiod_map_avail(&s->map), need = want - sent;

		if (avail >= need || (avail && (expired || s->pending_error ||
			iiod_map_queued(&s->map) >= s->gather))) {
			uint64_t n = avail < need ? avail : need;

			if (n > chunk_max)
				n = chunk_max;
			ret = send_chunk(s, n, first);
			if (ret)
				return ret;
			first = false;
			sent += n;
			continue;
		}
		if (expired || s->pending_error)
			break;
		ret = fill(s, deadline);
		if (ret == -ETIMEDOUT) {
			expired = true;
		} else if (ret == -ECANCELED || ret == -EPIPE ||
			   ret == -ECONNRESET) {
			return ret;
		} else if (ret < 0) {
			err = ret;
			break;
		}
	}
	s->readbufs++;
	publish(s);
	if (sent == want)
		return 0;
	if (!err)
		err = s->pending_error ? s->pending_error : -ETIMEDOUT;
	/* After data, a timeout ends the reply short; an error voids it. */
	if (sent && err == -ETIMEDOUT)
		err = 0;
	return iiod_reply_int(c, err);
}

/* Reset the connection: the kernel drops and releases what it queued. */
static void reset_connection(int fd)
{
	struct sockaddr sa = { .sa_family = AF_UNSPEC };

	connect(fd, &sa, sizeof(sa));
}

/* Wait up to @ms for every send's release. */
static void drain(struct iiod_session *s, unsigned int ms)
{
	uint64_t end = fc_now_ns() + ms * 1000000ULL;

	while (fpgacap_sender_pending(s->sender)) {
		int ret = fpgacap_sender_reap(s->sender, 0);

		give_back(s);
		if (!fpgacap_sender_pending(s->sender) ||
		    (ret < 0 && ret != -EINTR) || fc_now_ns() >= end)
			break;
		usleep(2000);
	}
}

void iiod_session_close(struct iiod_conn *c, const char *how, bool graceful)
{
	struct iiod_session *s = c->session;
	struct iiod_server *srv = c->srv;
	struct iiod_device *dev = s->dev;
	struct fpgacap_sender_stats ss = { .size = sizeof(ss) };
	struct iiod_record r;
	struct iiod_stats st;
	unsigned int unreleased;
	double busy = 0, total = 0;

	if (!graceful)
		reset_connection(c->fd);
	/* A client that read everything has acknowledged it by now; after a
	 * reset only what the NIC still holds is missing. A stopping server
	 * has a second for everything. */
	drain(s, graceful ? 2000 :
	      atomic_load(&c->abort) == IIOD_ABORT_STOP ? 300 : 1000);
	fpgacap_stop(s->fc);
	unreleased = iiod_map_drop(&s->map, s->ret, &s->nret);
	give_back(s);
	fpgacap_sender_get_stats(s->sender, &ss);

	memset(&r, 0, sizeof(r));
	snprintf(r.device, sizeof(r.device), "%s", dev->cfg.name);
	snprintf(r.peer, sizeof(r.peer), "%s", c->peer);
	snprintf(r.mode, sizeof(r.mode), "%s", fpgacap_send_mode_name(ss.mode));
	snprintf(r.requested, sizeof(r.requested), "%s",
		 fpgacap_send_mode_name(s->requested));
	snprintf(r.ended_by, sizeof(r.ended_by), "%s", how);
	r.samples_count = s->samples;
	r.buffers = s->count;
	r.buffer_size = s->buffer_size;
	r.seconds = (double)(fc_now_ns() - s->t0) / 1e9;
	r.thread_cpu_s = (double)(thread_cpu_ns() - s->cpu0) / 1e9;
	if (!iiod_cpu_times(&busy, &total)) {
		r.busy_s = busy - s->busy0;
		r.cpu_total_s = total - s->total0;
	}
	r.error = s->error;

	snapshot(s, &st);
	st.unreleased = unreleased;
	r.bytes = st.bytes_sent;
	r.readbufs = st.readbufs;
	r.sends = st.sends;
	r.completions = st.completions;
	r.copied = st.copied;
	r.drops = st.drops;
	r.bytes_dropped = st.bytes_dropped;
	r.bytes_skipped = st.bytes_skipped;
	r.unreleased = unreleased;
	c->session = NULL;
	c->streaming = NULL;
	/* The pool goes before the device is free for the next client. */
	session_free(s);

	pthread_mutex_lock(&srv->lock);
	iiod_stats_add(&dev->st, &st);
	memset(&dev->live, 0, sizeof(dev->live));
	snprintf(dev->last_session, sizeof(dev->last_session),
		 "bytes=%llu seconds=%.3f mode=%s completions=%llu copied=%llu "
		 "drops=%llu unreleased=%u ended_by=%s",
		 (unsigned long long)r.bytes, r.seconds, r.mode,
		 (unsigned long long)r.completions,
		 (unsigned long long)r.copied, (unsigned long long)r.drops,
		 unreleased, how);
	dev->owner = NULL;
	pthread_mutex_unlock(&srv->lock);
	iiod_add_record(srv, &r);
}
