// SPDX-License-Identifier: MIT
/*
 * The pump: dequeue filled buffers, send them (with a frame header if
 * asked; a slotted pool's as datagrams from its slots), and return each to
 * the driver only when the sender says the network stack released it. A
 * signal between buffers leaves the rest of the batch for the next step,
 * so nothing is skipped.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "histogram.h"
#include "internal.h"

struct fpgacap_pump {
	struct fpgacap *dev;
	struct fpgacap_pump_opts opts;
	struct fpgacap_sender_opts send;
	struct fpgacap_sender *sender;
	struct fpgacap_buffer *batch;
	unsigned int batch_next, batch_len;	/* dequeued, unsent: [next, len) */
	struct fpgacap_frame *frames;	/* per buffer: stable until released */
	uint64_t *captured;		/* per buffer: capture timestamp */
	uint32_t *released;		/* indices to return */
	unsigned int nreleased;
	struct fpgacap_pump_stats st;
	struct histogram latency;
	bool datagram;			/* the sender sends datagrams */
	bool slots, records;		/* a slotted pool; its source's headers */
	int error;
};

static void pump_release(void *ctx, uint64_t cookie)
{
	struct fpgacap_pump *p = ctx;
	uint64_t now = fc_now_ns(), t = p->captured[cookie];

	p->released[p->nreleased++] = (uint32_t)cookie;
	hist_add(&p->latency, now > t ? now - t : 0);
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

/* Buffers dequeued but never to be sent go straight back. */
static int return_unsent(struct fpgacap_pump *p)
{
	while (p->batch_next < p->batch_len)
		p->released[p->nreleased++] = p->batch[p->batch_next++].index;
	return return_released(p);
}

FPGACAP_API int fpgacap_pump_create(struct fpgacap *dev,
				    const struct fpgacap_pump_opts *opts,
				    struct fpgacap_pump **out)
{
	const struct fpgacap_config *cfg = fpgacap_layout(dev);
	struct fpgacap_sender_stats ss = { .size = sizeof(ss) };
	struct iovec region;
	struct fpgacap_pump *p;
	int ret;

	if (!cfg->count)
		return -ENOBUFS;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	ret = struct_in(&p->opts, sizeof(p->opts), opts);
	if (!ret && !p->opts.send)
		ret = -EINVAL;
	if (!ret)
		ret = struct_in(&p->send, sizeof(p->send), p->opts.send);
	if (ret) {
		free(p);
		return ret;
	}
	p->dev = dev;
	/* A framed pool's headers are ours to write, through the mapping. */
	if (cfg->slot_size && !(cfg->flags & FPGACAP_CFG_RECORDS) &&
	    !(cfg->flags & FPGACAP_CFG_WRITABLE)) {
		free(p);
		return -EACCES;
	}
	p->slots = cfg->slot_size != 0;
	p->records = cfg->flags & FPGACAP_CFG_RECORDS;
	if (!p->opts.batch)
		p->opts.batch = 16;
	if (!p->opts.timeout_ns)
		p->opts.timeout_ns = -1;
	p->batch = calloc(p->opts.batch, sizeof(*p->batch));
	p->frames = calloc(cfg->count, sizeof(*p->frames));
	p->captured = calloc(cfg->count, sizeof(*p->captured));
	p->released = calloc(cfg->count, sizeof(*p->released));
	if (!p->batch || !p->frames || !p->captured || !p->released) {
		fpgacap_pump_destroy(p);
		return -ENOMEM;
	}

	/* Every buffer may be in flight at once. */
	p->send.size = sizeof(p->send);
	p->send.max_inflight = cfg->count;
	p->send.release = pump_release;
	p->send.ctx = p;
	region.iov_base = (void *)fpgacap_buffer_data(dev, 0);
	region.iov_len = cfg->mmap_size;
	p->send.regions = &region;
	p->send.nregions = 1;
	p->send.slot_size = cfg->slot_size;
	p->send.slot_header = cfg->slot_header;
	ret = fpgacap_sender_create(&p->send, &p->sender);
	p->send.regions = NULL;
	p->send.nregions = 0;
	if (ret) {
		fpgacap_pump_destroy(p);
		return ret;
	}
	fpgacap_sender_get_stats(p->sender, &ss);
	p->datagram = ss.datagram;
	*out = p;
	return 0;
}

FPGACAP_API void fpgacap_pump_destroy(struct fpgacap_pump *p)
{
	if (!p)
		return;
	fpgacap_sender_destroy(p->sender);
	free(p->batch);
	free(p->frames);
	free(p->captured);
	free(p->released);
	free(p);
}

FPGACAP_API struct fpgacap_sender *fpgacap_pump_sender(struct fpgacap_pump *p)
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
	int ret = 0;

	/* A byte limit ends the stream exactly there. */
	if (p->opts.max_bytes && p->st.payload_bytes + len > p->opts.max_bytes)
		len = p->opts.max_bytes - p->st.payload_bytes;
	p->captured[b->index] = b->timestamp_ns;
	if (len && p->records) {
		/* The source wrote every datagram's header. */
		ret = fpgacap_sender_send_records(p->sender,
			fpgacap_buffer_data(p->dev, b->index), len, b->offset,
			b->index);
		if (ret == -EINTR)
			return ret;
	} else if (len && p->slots) {
		/* The headers go into the slots' rooms while we hold it. */
		ret = fpgacap_sender_send_slots(p->sender,
			fpgacap_buffer_data_writable(p->dev, b->index), len,
			b->offset,
			(b->flags & FPGACAP_BUF_LOST ? FPGACAP_DGRAM_LOST : 0) |
			(b->flags & FPGACAP_BUF_ERROR ? FPGACAP_DGRAM_ERROR : 0),
			b->index);
		if (ret == -EINTR)
			return ret;
	} else if (len && p->datagram) {
		/* Every datagram carries its own header. */
		ret = fpgacap_sender_send_datagrams(p->sender,
			fpgacap_buffer_data(p->dev, b->index), len, b->offset,
			(b->flags & FPGACAP_BUF_LOST ? FPGACAP_DGRAM_LOST : 0) |
			(b->flags & FPGACAP_BUF_ERROR ? FPGACAP_DGRAM_ERROR : 0),
			b->index);
		if (ret == -EINTR)
			return ret;
	} else if (len) {
		if (p->opts.framing) {
			struct fpgacap_buffer trimmed = *b;

			trimmed.bytes_used = len;
			fpgacap_frame_encode(&p->frames[b->index], &trimmed);
			iov[n].iov_base = &p->frames[b->index];
			iov[n++].iov_len = sizeof(p->frames[0]);
		}
		iov[n].iov_base = (void *)fpgacap_buffer_data(p->dev, b->index);
		iov[n++].iov_len = len;
		ret = fpgacap_sender_send(p->sender, iov, n, b->index);
		if (ret == -EINTR)
			return ret;	/* not sent: again next step */
	} else {
		pump_release(p, b->index);
	}
	p->st.buffers++;
	p->st.payload_bytes += len;
	p->st.lost_bytes += b->lost_bytes;
	if (b->flags & FPGACAP_BUF_LOST)
		p->st.lost_events++;
	if (b->flags & FPGACAP_BUF_ERROR)
		p->st.error_buffers++;
	return ret;
}

/* Send what is left of the batch; -EINTR keeps the rest for later. */
static int send_batch(struct fpgacap_pump *p)
{
	int ret;

	while (p->batch_next < p->batch_len) {
		if (limit_reached(p))
			return return_unsent(p);
		ret = send_buffer(p, &p->batch[p->batch_next]);
		if (ret == -EINTR)
			return ret;
		p->batch_next++;
		if (ret < 0) {
			/* Whatever we did not send is free to go back. */
			return_unsent(p);
			return ret;
		}
	}
	return 0;
}

/* Completions in, released buffers back to the driver. */
static int settle(struct fpgacap_pump *p, int timeout_ms)
{
	int ret = fpgacap_sender_reap(p->sender, timeout_ms);
	int ret2 = return_released(p);

	return ret < 0 ? ret : ret2;
}

/* A step's end: -EINTR leaves the pump as it was, other errors stick. */
static int step_end(struct fpgacap_pump *p, int ret)
{
	if (ret == -EINTR) {
		int err = settle(p, 0);

		if (err < 0 && err != -EINTR)
			return p->error = err;
		return ret;
	}
	return ret < 0 ? (p->error = ret) : ret;
}

FPGACAP_API int fpgacap_pump_step(struct fpgacap_pump *p)
{
	unsigned int want = p->opts.batch;
	int64_t timeout = p->opts.timeout_ns;
	int n, ret;

	if (p->error)
		return p->error;
	ret = send_batch(p);
	if (ret < 0)
		return step_end(p, ret);
	if (limit_reached(p))
		return 1;
	if (p->opts.max_buffers && p->opts.max_buffers - p->st.buffers < want)
		want = (unsigned int)(p->opts.max_buffers - p->st.buffers);

	/*
	 * While buffers wait for the network, the device may have none to
	 * fill: never block on it for long without reaping completions.
	 */
	if (fpgacap_sender_pending(p->sender) &&
	    (timeout < 0 || timeout > 5000000))
		timeout = 5000000;
	n = fpgacap_dequeue(p->dev, p->batch, want, timeout);
	if (n == -ETIMEDOUT || n == -EAGAIN) {
		ret = settle(p, 5);
		return ret < 0 ? step_end(p, ret) : 0;
	}
	if (n == -ENODATA)
		return 1;
	if (n < 0)
		return step_end(p, n);
	p->batch_next = 0;
	p->batch_len = (unsigned int)n;
	ret = send_batch(p);
	if (!ret)
		ret = settle(p, 0);
	if (ret < 0)
		return step_end(p, ret);
	return limit_reached(p) ? 1 : 0;
}

FPGACAP_API int fpgacap_pump_finish(struct fpgacap_pump *p, int timeout_ms)
{
	int ret = return_unsent(p);
	int ret2 = fpgacap_sender_flush(p->sender, timeout_ms);
	int ret3 = return_released(p);

	return ret ? ret : ret2 ? ret2 : ret3;
}

FPGACAP_API int fpgacap_pump_get_stats(const struct fpgacap_pump *p,
				       struct fpgacap_pump_stats *st)
{
	struct fpgacap_pump_stats now = p->st;

	now.latency_samples = p->latency.count;
	now.latency_min = p->latency.min;
	now.latency_max = p->latency.max;
	now.latency_sum = p->latency.sum;
	return struct_out(st, &now, sizeof(now));
}

FPGACAP_API uint64_t fpgacap_pump_latency(const struct fpgacap_pump *p,
					  double percentile)
{
	return hist_percentile(&p->latency, percentile);
}
