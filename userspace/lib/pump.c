// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The pump: dequeue filled buffers, send them (with a frame header if
 * asked), and return each to the driver only when the sender says the
 * network stack released it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "libfpgacap.h"

#define LATENCY_SAMPLES 4096

struct fpgacap_pump {
	struct fpgacap *dev;
	struct fpgacap_pump_opts opts;
	struct fpgacap_sender *sender;
	struct fpgacap_buffer *batch;
	struct fpgacap_frame *frames;	/* per buffer: stable until released */
	uint64_t *captured;		/* per buffer: capture timestamp */
	uint32_t *released;		/* indices to return */
	unsigned int nreleased;
	struct fpgacap_pump_stats st;
	uint64_t *latency;		/* ring of samples */
	unsigned int nlatency;
	int error;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void pump_release(void *ctx, uint64_t cookie)
{
	struct fpgacap_pump *p = ctx;
	uint64_t now = mono_ns(), lat = now - p->captured[cookie];

	p->released[p->nreleased++] = (uint32_t)cookie;
	if (!p->st.latency_min || lat < p->st.latency_min)
		p->st.latency_min = lat;
	if (lat > p->st.latency_max)
		p->st.latency_max = lat;
	p->st.latency_sum += lat;
	p->latency[p->nlatency++ % LATENCY_SAMPLES] = lat;
}

static int return_released(struct fpgacap_pump *p)
{
	int ret;

	if (!p->nreleased)
		return 0;
	ret = fpgacap_return(p->dev, p->released, p->nreleased);
	p->nreleased = 0;
	return ret;
}

int fpgacap_pump_create(struct fpgacap *dev,
			const struct fpgacap_pump_opts *opts,
			struct fpgacap_pump **out)
{
	const struct fpgacap_config *cfg = fpgacap_layout(dev);
	struct fpgacap_sender_opts so = opts->send;
	struct iovec region;
	struct fpgacap_pump *p;
	int ret;

	if (!cfg->count)
		return -ENOBUFS;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->dev = dev;
	p->opts = *opts;
	if (!p->opts.batch)
		p->opts.batch = 16;
	if (!p->opts.timeout_ns)
		p->opts.timeout_ns = -1;
	p->batch = calloc(p->opts.batch, sizeof(*p->batch));
	p->frames = calloc(cfg->count, sizeof(*p->frames));
	p->captured = calloc(cfg->count, sizeof(*p->captured));
	p->released = calloc(cfg->count, sizeof(*p->released));
	p->latency = calloc(LATENCY_SAMPLES, sizeof(*p->latency));
	if (!p->batch || !p->frames || !p->captured || !p->released ||
	    !p->latency) {
		fpgacap_pump_destroy(p);
		return -ENOMEM;
	}

	/* Every buffer may be in flight at once. */
	so.max_inflight = cfg->count;
	so.release = pump_release;
	so.ctx = p;
	if (!so.nregions) {
		region.iov_base = (void *)fpgacap_buffer_data(dev, 0);
		region.iov_len = cfg->mmap_size;
		so.regions = &region;
		so.nregions = 1;
	}
	ret = fpgacap_sender_create(&so, &p->sender);
	if (ret) {
		fpgacap_pump_destroy(p);
		return ret;
	}
	*out = p;
	return 0;
}

void fpgacap_pump_destroy(struct fpgacap_pump *p)
{
	if (!p)
		return;
	fpgacap_sender_destroy(p->sender);
	free(p->batch);
	free(p->frames);
	free(p->captured);
	free(p->released);
	free(p->latency);
	free(p);
}

struct fpgacap_sender *fpgacap_pump_sender(struct fpgacap_pump *p)
{
	return p->sender;
}

static bool limit_reached(const struct fpgacap_pump *p)
{
	return (p->opts.max_bytes && p->st.payload_bytes >= p->opts.max_bytes) ||
	       (p->opts.max_buffers && p->st.buffers >= p->opts.max_buffers);
}

static int send_buffer(struct fpgacap_pump *p, const struct fpgacap_buffer *b)
{
	struct iovec iov[2];
	unsigned int n = 0;
	uint64_t len = b->bytes_used;

	/* A byte limit ends the stream exactly there. */
	if (p->opts.max_bytes && p->st.payload_bytes + len > p->opts.max_bytes)
		len = p->opts.max_bytes - p->st.payload_bytes;
	if (p->opts.framing) {
		struct fpgacap_buffer trimmed = *b;

		trimmed.bytes_used = len;
		fpgacap_frame_encode(&p->frames[b->index], &trimmed);
		iov[n].iov_base = &p->frames[b->index];
		iov[n++].iov_len = sizeof(p->frames[0]);
	}
	iov[n].iov_base = (void *)fpgacap_buffer_data(p->dev, b->index);
	iov[n++].iov_len = len;

	p->captured[b->index] = b->timestamp_ns;
	p->st.buffers++;
	p->st.payload_bytes += len;
	p->st.lost_bytes += b->lost_bytes;
	if (b->flags & FPGACAP_BUF_LOST)
		p->st.lost_events++;
	if (b->flags & FPGACAP_BUF_ERROR)
		p->st.error_buffers++;
	if (!len) {
		pump_release(p, b->index);
		return 0;
	}
	return fpgacap_sender_send(p->sender, iov, n, b->index);
}

int fpgacap_pump_step(struct fpgacap_pump *p)
{
	unsigned int want = p->opts.batch;
	int64_t timeout = p->opts.timeout_ns;
	int n, i, ret;

	if (p->error)
		return p->error;
	if (limit_reached(p))
		return 1;
	if (p->opts.max_buffers && p->opts.max_buffers - p->st.buffers < want)
		want = (unsigned int)(p->opts.max_buffers - p->st.buffers);

	/*
	 * While buffers wait for the network, the device may have none to
	 * fill: never block on it for long without reaping completions.
	 */
	if (fpgacap_sender_pending(p->sender))
		timeout = 5000000;
	n = fpgacap_dequeue(p->dev, p->batch, want, timeout);
	if (n == -ETIMEDOUT || n == -EAGAIN || n == -EINTR) {
		ret = fpgacap_sender_reap(p->sender, 5);
		if (ret < 0)
			return p->error = ret;
		ret = return_released(p);
		return ret ? (p->error = ret) : 0;
	}
	if (n == -ENODATA)
		return 1;
	if (n < 0)
		return p->error = n;

	for (i = 0; i < n; i++) {
		ret = send_buffer(p, &p->batch[i]);
		if (ret < 0) {
			/* Whatever we did not send is free to go back. */
			int j;

			for (j = i + 1; j < n; j++)
				p->released[p->nreleased++] = p->batch[j].index;
			return_released(p);
			return p->error = ret;
		}
	}
	ret = fpgacap_sender_reap(p->sender, 0);
	if (ret < 0)
		return p->error = ret;
	ret = return_released(p);
	if (ret)
		return p->error = ret;
	return limit_reached(p) ? 1 : 0;
}

int fpgacap_pump_finish(struct fpgacap_pump *p, int timeout_ms)
{
	int ret = fpgacap_sender_flush(p->sender, timeout_ms);
	int ret2 = return_released(p);

	return ret ? ret : ret2;
}

void fpgacap_pump_get_stats(const struct fpgacap_pump *p,
			    struct fpgacap_pump_stats *st)
{
	*st = p->st;
}

unsigned int fpgacap_pump_latencies(const struct fpgacap_pump *p,
				    uint64_t *out, unsigned int max)
{
	unsigned int n = p->nlatency < LATENCY_SAMPLES ? p->nlatency :
			 LATENCY_SAMPLES;

	if (n > max)
		n = max;
	memcpy(out, p->latency, n * sizeof(*out));
	return n;
}
