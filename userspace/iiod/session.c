// SPDX-License-Identifier: MIT
/*
 * A buffer session: a client OPENed a device; its pool streams to that
 * client's connection, READBUF by READBUF. When the client enabled every
 * channel, the samples leave straight from the pool (MSG_ZEROCOPY or
 * io_uring SEND_ZC, or plain sends when zero-copy is off), and each pool
 * buffer goes back to the driver only once every send from it was
 * released by the network stack. When it enabled a subset, its channels
 * are copied out of each sample into a bounce buffer that is sent instead
 * (demux.h): the pool buffers go back as soon as they were read.
 *
 * When the session ends badly (the client vanished or stalls, the server
 * stops) the connection is reset first, so that the kernel drops what it
 * still queued and releases it.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "demux.h"
#include "iiod.h"
#include "map.h"

#define BATCH 16
#define MAX_SPANS 64
/* A chunk's length is an int on the client's side. */
#define CHUNK_MAX (1ULL << 30)
#define WAIT_SLICE_MS 50
/* How long OPEN waits for a device's owner to go. */
#define OPEN_WAIT_MS 500
/*
 * Data waiting for a READBUF goes out at least this often: libiio's
 * clients give up on a reply after 5 s without bytes by default, less
 * where the application says so (Context.set_timeout()), and libiio 0.24
 * does not tell the server on buffer connections. A client's TIMEOUT (1.0
 * sends half its own) shortens it further.
 */
#define FLUSH_MS 250
/* The subset copy's bounce buffer: samples of the client's channels. */
#define BOUNCE_BYTES (256U << 10)

struct iiod_session {
	struct iiod_conn *c;
	struct iiod_device *dev;
	struct fpgacap *fc;
	struct fpgacap_sender *sender;
	struct iiod_map map;
	struct iiod_demux demux;
	uint32_t count;			/* pool buffers */
	uint64_t buffer_size;
	uint32_t gather;		/* queued buffers that make a chunk */
	uint32_t *ret;			/* to give back to the driver */
	unsigned int nret;
	char mask[IIOD_MAX_CHANNELS / 4 + 2];	/* the client's, and "\n" */
	enum fpgacap_send_mode requested;
	uint64_t samples;
	int error;			/* the connection broke */
	/* The device failed (a RETURN refused: unbound, say; a DEQUEUE gave
	 * a buffer the session cannot take): the pool is no longer whole,
	 * so every READBUF after says so, until CLOSE. */
	int dev_error;
	/* The stream failed (DEQUEUE said so: EIO, ENODEV): the samples
	 * that came before still go out, then every READBUF says so. */
	int stream_error;
	/* the subset copy: bounce buffer, a sample split across buffers */
	char *bounce;
	size_t bounce_samples;
	char *carry;
	uint32_t carry_len;
	/* the source's rate: stream end and capture time of buffers */
	uint64_t rate_end0, rate_ts0, rate_end, rate_ts;
	bool rate_started;
	/* counters and times */
	uint64_t bytes, readbufs, sends, returned, subset_bytes, timeouts;
	uint64_t t0, cpu0;
	double busy0, total0;
};

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static bool subset(const struct iiod_session *s)
{
	return !s->demux.identity;
}

static void on_release(void *ctx, uint64_t cookie)
{
	struct iiod_session *s = ctx;

	if (iiod_map_release(&s->map, (uint32_t)cookie))
		s->ret[s->nret++] = (uint32_t)cookie;
}

/* Released buffers back to the driver; a failure is the device's. */
static void give_back(struct iiod_session *s)
{
	int ret;

	if (!s->nret)
		return;
	ret = fpgacap_return(s->fc, s->ret, s->nret);
	if (ret && !s->dev_error)
		s->dev_error = ret;
	if (!ret)
		s->returned += s->nret;
	s->nret = 0;
}

/* Samples per second the source delivered, drops included; 0: unknown. */
static double rate(const struct iiod_session *s)
{
	if (!s->rate_started || s->rate_ts <= s->rate_ts0 ||
	    s->rate_end <= s->rate_end0)
		return 0;
	return (double)(s->rate_end - s->rate_end0) * 1e9 /
	       (double)(s->rate_ts - s->rate_ts0) / s->dev->sample_size;
}

static void note_rate(struct iiod_session *s, const struct fpgacap_buffer *b)
{
	uint64_t end = b->offset + b->bytes_used;

	if (b->flags & FPGACAP_BUF_ERROR)
		return;
	if (!s->rate_started) {
		s->rate_end0 = s->rate_end = end;
		s->rate_ts0 = s->rate_ts = b->timestamp_ns;
		s->rate_started = true;
		return;
	}
	s->rate_end = end;
	s->rate_ts = b->timestamp_ns;
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
	st->subset_bytes = s->subset_bytes;
	st->timeouts = s->timeouts;
}

static const char *mode_used(const struct iiod_session *s)
{
	struct fpgacap_sender_stats ss = { .size = sizeof(ss) };

	if (subset(s))
		return fpgacap_send_mode_name(FPGACAP_SEND_COPY);
	fpgacap_sender_get_stats(s->sender, &ss);
	return fpgacap_send_mode_name(ss.mode);
}

static void publish(struct iiod_session *s)
{
	struct iiod_server *srv = s->c->srv;
	double r = rate(s);

	pthread_mutex_lock(&srv->lock);
	snapshot(s, &s->dev->live);
	snprintf(s->dev->live_mode, sizeof(s->dev->live_mode), "%s",
		 mode_used(s));
	if (r > 0)
		s->dev->rate_measured = r;
	pthread_mutex_unlock(&srv->lock);
}

static void session_free(struct iiod_session *s)
{
	fpgacap_sender_destroy(s->sender);
	/* Closing the owner stops the stream and frees the pool. */
	fpgacap_close(s->fc);
	iiod_map_free(&s->map);
	free(s->ret);
	free(s->bounce);
	free(s->carry);
	free(s);
}

/* "0000000f" words, most significant first, and a newline. */
static void mask_text(char *out, size_t len, const uint32_t *mask,
		      unsigned int words)
{
	unsigned int i;
	size_t at = 0;

	for (i = words; i > 0 && at + 9 < len; i--, at += 8)
		snprintf(out + at, len - at, "%08" PRIx32, mask[i - 1]);
	snprintf(out + at, len - at, "\n");
}

int iiod_session_open(struct iiod_conn *c, struct iiod_device *dev,
		      uint64_t samples, const uint32_t *mask,
		      unsigned int words)
{
	struct iiod_server *srv = c->srv;
	struct fpgacap_sender_opts so = { .size = sizeof(so) };
	const struct fpgacap_config *cfg;
	struct iiod_demux demux;
	struct iovec region;
	struct iiod_session *s;
	struct iiod_devcfg set;
	unsigned int i;
	int ret;

	ret = iiod_demux_init(&demux, dev->cfg.channels, dev->cfg.nchannels,
			      mask, words);
	if (ret)
		return ret;
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
	s->demux = demux;
	if (subset(s)) {
		s->bounce_samples = BOUNCE_BYTES / demux.out_size ?
				    BOUNCE_BYTES / demux.out_size : 1;
		s->bounce = malloc(s->bounce_samples * demux.out_size);
		s->carry = malloc(demux.in_size);
		if (!s->bounce || !s->carry) {
			ret = -ENOMEM;
			goto fail;
		}
	}
	ret = fpgacap_open(dev->path, 0, &s->fc);
	if (ret)
		goto fail;
	ret = fpgacap_configure(s->fc, set.buffers, set.buffer_size, 0,
				dev->info.caps & FPGACAP_CAP_RATE ?
				set.sampling_frequency * dev->sample_size : 0);
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
	so.mode = subset(s) ? FPGACAP_SEND_COPY : set.mode;
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
	/* The mask before the data: the client's own channels. */
	mask_text(s->mask, sizeof(s->mask), mask, words);
	s->t0 = fc_now_ns();
	s->cpu0 = thread_cpu_ns();
	iiod_cpu_times(&s->busy0, &s->total0);
	c->session = s;
	c->streaming = dev;
	atomic_store(&c->has_session, true);
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

/*
 * The client hung up (-EPIPE), or the socket has an error, a reset or
 * keepalive finding the client gone (-ECONNRESET); else 0.
 */
static int socket_gone(int fd, short revents)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (revents & (POLLHUP | POLLRDHUP))
		return -EPIPE;
	if ((revents & POLLERR) &&
	    !getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) && err)
		return -ECONNRESET;
	return 0;
}

/*
 * Dequeue what the device filled, waiting until @wake (0: as long as the
 * client stays). Completions are reaped meanwhile, so buffers in flight
 * come back to the driver and it can fill them. How many buffers came,
 * -ETIMEDOUT at @wake, -ECANCELED (told to end), -EPIPE (the client
 * left), or the device's -errno.
 */
/*
 * The driver handed out a buffer the session cannot take (no such index,
 * or one it holds already): batch[@bad] is not the session's to give
 * back, the ones after it go back to the driver unseen, and the device is
 * failed from here on: the pool is no longer whole.
 */
static int refuse_batch(struct iiod_session *s,
			const struct fpgacap_buffer *batch, int bad, int n,
			int err)
{
	uint32_t idx[BATCH];
	unsigned int k = 0;
	int i;

	give_back(s);
	for (i = bad + 1; i < n; i++)
		idx[k++] = batch[i].index;
	if (k && !fpgacap_return(s->fc, idx, k))
		s->returned += k;
	if (!s->dev_error)
		s->dev_error = err;
	return err;
}

static int fill(struct iiod_session *s, uint64_t wake)
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
			for (i = 0; i < n; i++) {
				note_rate(s, &batch[i]);
				ret = iiod_map_push(&s->map, &batch[i], s->ret,
						    &s->nret);
				if (ret)
					return refuse_batch(s, batch, i, n,
							    ret);
			}
			give_back(s);
			return n;
		}
		if (n != -EAGAIN && n != -ETIMEDOUT && n != -EINTR) {
			/* Kept: the driver need not say it again. */
			if (!s->stream_error)
				s->stream_error = n;
			return n;
		}
		ret = fpgacap_sender_reap(s->sender, 0);
		give_back(s);
		if (ret < 0 && ret != -EINTR)
			return ret;
		/* Buffers the driver refused never come again. */
		if (s->dev_error)
			return s->dev_error;
		now = fc_now_ns();
		if (wake && now >= wake)
			return -ETIMEDOUT;
		if (wake && (wake - now) / 1000000 < WAIT_SLICE_MS)
			slice = (int)((wake - now) / 1000000) + 1;
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

static int chunk_header(char *hdr, size_t len, uint64_t n, const char *mask)
{
	return snprintf(hdr, len, "%" PRIu64 "\n%s", n, mask ? mask : "");
}

/*
 * One chunk of a READBUF reply with every channel: its length, the mask
 * before the first, then @n bytes straight from the pool, a send per span.
 */
static int send_chunk_pool(struct iiod_session *s, uint64_t n, bool first)
{
	struct iiod_span spans[MAX_SPANS];
	struct iiod_conn *c = s->c;
	char hdr[40 + sizeof(s->mask)];
	uint64_t done = 0;
	int hl, k, j, q, ret;

	hl = chunk_header(hdr, sizeof(hdr), n, first ? s->mask : NULL);
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

/*
 * Copy the client's channels of the samples in @spans into the bounce
 * buffer; a sample split across two pool buffers is put together first.
 * The spans' buffers are read: they may go back at once. Samples out.
 */
static size_t demux_spans(struct iiod_session *s,
			  const struct iiod_span *spans, int k)
{
	const struct iiod_demux *d = &s->demux;
	char *out = s->bounce;
	int j;

	for (j = 0; j < k; j++) {
		const char *p = (const char *)fpgacap_buffer_data(s->fc,
					spans[j].index) + spans[j].offset;

		out += d->out_size * iiod_demux_feed(d, s->carry,
						     &s->carry_len, p,
						     spans[j].len, out);
		/* Read, never sent: the span ends here. */
		on_release(s, spans[j].index);
	}
	give_back(s);
	return (size_t)(out - s->bounce) / d->out_size;
}

/*
 * One or more chunks of a READBUF reply with a subset of the channels:
 * @nsamples samples of the client's channels, copied out of the pool.
 */
static int send_chunk_subset(struct iiod_session *s, uint64_t nsamples,
			     bool first)
{
	const struct iiod_demux *d = &s->demux;
	struct iiod_span spans[MAX_SPANS];
	struct iiod_conn *c = s->c;
	char hdr[40 + sizeof(s->mask)];
	uint64_t done = 0;
	int k, ret;

	while (done < nsamples) {
		uint64_t want = nsamples - done;
		struct iovec iov[2];
		size_t got;

		if (want > s->bounce_samples)
			want = s->bounce_samples;
		k = iiod_map_take(&s->map, want * d->in_size, spans, MAX_SPANS);
		if (k <= 0)
			return s->error = -EIO;
		got = demux_spans(s, spans, k);
		if (!got || s->carry_len)
			return s->error = -EIO;
		iov[0].iov_base = hdr;
		iov[0].iov_len = (size_t)chunk_header(hdr, sizeof(hdr),
					got * d->out_size,
					first ? s->mask : NULL);
		iov[1].iov_base = s->bounce;
		iov[1].iov_len = got * d->out_size;
		first = false;
		atomic_store(&c->busy_since, fc_now_ns());
		ret = iiod_writev(c, iov, 2);
		atomic_store(&c->busy_since, 0);
		if (ret)
			return s->error = ret;
		s->sends++;
		s->bytes += got * d->out_size;
		s->subset_bytes += got * d->out_size;
		done += got;
	}
	return 0;
}

/* Bytes of the client's samples that are ready. */
static uint64_t ready(const struct iiod_session *s)
{
	return iiod_map_avail(&s->map) / s->demux.in_size * s->demux.out_size;
}

/*
 * Whether the samples ready (@avail bytes of @need) go out now: all the
 * request wants is there; or some are, and nothing more comes before an
 * error (@ending), enough buffers are queued to make a chunk, or the
 * client has waited a flush interval (@flush).
 */
static bool chunk_due(const struct iiod_session *s, uint64_t avail,
		      uint64_t need, bool ending, bool flush)
{
	if (avail >= need)
		return true;
	return avail && (ending || flush ||
			 iiod_map_queued(&s->map) >= s->gather);
}

int iiod_session_readbuf(struct iiod_conn *c, uint64_t nbytes)
{
	struct iiod_session *s = c->session;
	uint64_t out_ss = s->demux.out_size, want, sent = 0;
	uint64_t chunk_max = CHUNK_MAX - CHUNK_MAX % out_ss;
	uint64_t limit_ns = c->timeout_ms * 1000000ULL;
	uint64_t flush_ns = FLUSH_MS * 1000000ULL, last_data, last_sent;
	bool first = true;
	int err = 0, ret;

	/* A broken connection cannot be answered; a failed device can. */
	if (s->error)
		return s->error;
	if (s->dev_error)
		return iiod_reply_int(c, s->dev_error);
	want = nbytes - nbytes % out_ss;
	/* Less than a sample: nothing, as libiio's iiod answers it. */
	if (!want)
		return iiod_reply_int(c, 0);
	if (limit_ns && limit_ns / 2 < flush_ns)
		flush_ns = limit_ns / 2;
	last_data = last_sent = fc_now_ns();
	while (sent < want) {
		uint64_t avail = ready(s), need = want - sent, now, wake = 0;
		bool failed = iiod_map_error_next(&s->map);

		/* The device failed while the reply was under way: what
		 * was sent is followed by its error. */
		if (s->dev_error) {
			err = s->dev_error;
			break;
		}
		/* The stream failed: what it gave before goes first. */
		if (s->stream_error)
			err = s->stream_error;
		now = fc_now_ns();
		if (chunk_due(s, avail, need, failed || err,
			      now - last_sent >= flush_ns)) {
			uint64_t n = avail < need ? avail : need;

			if (n > chunk_max)
				n = chunk_max;
			ret = subset(s) ? send_chunk_subset(s, n / out_ss, first) :
			      send_chunk_pool(s, n, first);
			if (ret)
				return ret;
			first = false;
			sent += n;
			last_sent = fc_now_ns();
			continue;
		}
		/* The stream failed: its error follows what came before. */
		if (err)
			break;
		/* A failed buffer: the request it falls in ends there. */
		if (failed && iiod_map_clear_error(&s->map)) {
			err = -EIO;
			break;
		}
		/*
		 * Wait for the next pool buffer: without one for the
		 * client's TIMEOUT, the reply fails; with samples waiting,
		 * they go out at the next flush.
		 */
		if (limit_ns)
			wake = last_data + limit_ns;
		if (avail && (!wake || last_sent + flush_ns < wake))
			wake = last_sent + flush_ns;
		ret = fill(s, wake);
		if (ret > 0) {
			last_data = fc_now_ns();
		} else if (ret == -ETIMEDOUT) {
			if (limit_ns && fc_now_ns() >= last_data + limit_ns) {
				err = -ETIMEDOUT;
				s->timeouts++;
				break;
			}
		} else if (ret == -ECANCELED || ret == -EPIPE ||
			   ret == -ECONNRESET) {
			return ret;
		} else if (ret < 0) {
			/* The samples the device gave before its error go
			 * first (a failed stream drains so): the client
			 * gets them in order, then the error. */
			err = ret;
		}
	}
	s->readbufs++;
	publish(s);
	/*
	 * An error after the whole request went out is not this reply's:
	 * libiio stops reading at the bytes it asked for, and the line
	 * would answer its next command. The device's errors are kept for
	 * the next READBUF (dev_error, stream_error).
	 */
	if (err && sent < want)
		return iiod_reply_int(c, err);
	/* The rest of the request was less than a sample: say it ends. */
	return want < nbytes ? iiod_reply_int(c, 0) : 0;
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
	snprintf(r.mode, sizeof(r.mode), "%s", mode_used(s));
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
	r.error = s->error ? s->error :
		  s->dev_error ? s->dev_error : s->stream_error;
	r.channels = s->demux.enabled;
	r.channels_all = dev->cfg.nchannels;
	r.rate = rate(s);

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
	r.subset_bytes = st.subset_bytes;
	r.timeouts = st.timeouts;
	c->session = NULL;
	c->streaming = NULL;
	atomic_store(&c->has_session, false);
	/* The pool goes before the device is free for the next client. */
	session_free(s);

	pthread_mutex_lock(&srv->lock);
	iiod_stats_add(&dev->st, &st);
	memset(&dev->live, 0, sizeof(dev->live));
	if (r.rate > 0)
		dev->rate_measured = r.rate;
	snprintf(dev->last_session, sizeof(dev->last_session),
		 "bytes=%llu seconds=%.3f mode=%s channels=%u/%u "
		 "completions=%llu copied=%llu drops=%llu unreleased=%u "
		 "ended_by=%s",
		 (unsigned long long)r.bytes, r.seconds, r.mode, r.channels,
		 r.channels_all, (unsigned long long)r.completions,
		 (unsigned long long)r.copied, (unsigned long long)r.drops,
		 unreleased, how);
	dev->owner = NULL;
	pthread_mutex_unlock(&srv->lock);
	iiod_add_record(srv, &r);
}
