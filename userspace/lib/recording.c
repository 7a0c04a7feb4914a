// SPDX-License-Identifier: MIT
/*
 * A recording: the pump's disk twin. Dequeue filled buffers, hand each to
 * the recorder, and return a buffer to the driver only from the recorder's
 * release, once the kernel has read every page of it. After a failed
 * write nothing more is written: buffers dequeued since go straight back,
 * counted as unwritten.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "histogram.h"
#include "internal.h"

struct fpgacap_recording {
	struct fpgacap *dev;
	struct fpgacap_recording_opts opts;
	struct fpgacap_recorder_opts rec;
	struct fpgacap_recorder *recorder;
	const struct fpgacap_config *cfg;
	struct fpgacap_buffer *batch;
	unsigned int batch_next, batch_len;	/* dequeued, unwritten */
	uint64_t *captured;		/* per buffer: capture timestamp */
	uint32_t *released;		/* indices to return */
	unsigned int nreleased;
	struct fpgacap_recording_stats st;
	struct histogram latency;
	int error;
};

static void recording_release(void *ctx, uint64_t cookie)
{
	struct fpgacap_recording *rec = ctx;
	uint64_t now = fc_now_ns(), t = rec->captured[cookie];

	rec->released[rec->nreleased++] = (uint32_t)cookie;
	hist_add(&rec->latency, now > t ? now - t : 0);
}

static int return_released(struct fpgacap_recording *rec)
{
	int ret;

	if (!rec->nreleased)
		return 0;
	ret = fpgacap_return(rec->dev, rec->released, rec->nreleased);
	rec->nreleased = 0;
	return ret;
}

/* Buffers dequeued but never to be written go straight back. */
static int return_unwritten(struct fpgacap_recording *rec, bool count)
{
	while (rec->batch_next < rec->batch_len) {
		const struct fpgacap_buffer *b = &rec->batch[rec->batch_next++];

		if (count) {
			rec->st.unwritten_buffers++;
			rec->st.unwritten_bytes += b->bytes_used;
		}
		rec->released[rec->nreleased++] = b->index;
	}
	return return_released(rec);
}

FPGACAP_API int fpgacap_recording_create(struct fpgacap *dev,
					 const struct fpgacap_recording_opts *opts,
					 struct fpgacap_recording **out)
{
	const struct fpgacap_config *cfg = fpgacap_layout(dev);
	struct fpgacap_info info;
	struct fpgacap_recording *rec;
	struct iovec region;
	int ret;

	if (!cfg->count)
		return -ENOBUFS;
	rec = calloc(1, sizeof(*rec));
	if (!rec)
		return -ENOMEM;
	ret = struct_in(&rec->opts, sizeof(rec->opts), opts);
	if (!ret && !rec->opts.record)
		ret = -EINVAL;
	if (!ret)
		ret = struct_in(&rec->rec, sizeof(rec->rec), rec->opts.record);
	if (ret) {
		free(rec);
		return ret;
	}
	rec->dev = dev;
	rec->cfg = cfg;
	if (!rec->opts.batch)
		rec->opts.batch = 16;
	if (!rec->opts.timeout_ns)
		rec->opts.timeout_ns = -1;
	rec->batch = calloc(rec->opts.batch, sizeof(*rec->batch));
	rec->captured = calloc(cfg->count, sizeof(*rec->captured));
	rec->released = calloc(cfg->count, sizeof(*rec->released));
	if (!rec->batch || !rec->captured || !rec->released) {
		fpgacap_recording_destroy(rec);
		return -ENOMEM;
	}

	/* Every buffer may be being written at once. */
	rec->rec.size = sizeof(rec->rec);
	rec->rec.max_inflight = cfg->count;
	rec->rec.release = recording_release;
	rec->rec.ctx = rec;
	region.iov_base = (void *)fpgacap_buffer_data(dev, 0);
	region.iov_len = cfg->mmap_size;
	rec->rec.regions = &region;
	rec->rec.nregions = 1;
	rec->rec.buffer_size = cfg->buffer_size;
	rec->rec.slot_size = cfg->slot_size;
	rec->rec.slot_header = cfg->slot_header;
	rec->rec.pool_flags = cfg->flags;
	rec->rec.source = !fpgacap_get_info(dev, &info) ? info.source : 0;
	ret = fpgacap_recorder_create(&rec->rec, &rec->recorder);
	rec->rec.regions = NULL;
	rec->rec.nregions = 0;
	if (ret) {
		fpgacap_recording_destroy(rec);
		return ret;
	}
	*out = rec;
	return 0;
}

FPGACAP_API void fpgacap_recording_destroy(struct fpgacap_recording *rec)
{
	if (!rec)
		return;
	fpgacap_recorder_destroy(rec->recorder);
	free(rec->batch);
	free(rec->captured);
	free(rec->released);
	free(rec);
}

FPGACAP_API struct fpgacap_recorder *fpgacap_recording_recorder(
	struct fpgacap_recording *rec)
{
	return rec->recorder;
}

static bool limit_reached(const struct fpgacap_recording *rec)
{
	return (rec->opts.max_bytes &&
		rec->st.payload_bytes >= rec->opts.max_bytes) ||
	       (rec->opts.max_buffers &&
		rec->st.buffers >= rec->opts.max_buffers);
}

/* Bytes of buffer memory that carry @payload stream bytes. */
static uint64_t extent_of(const struct fpgacap_config *cfg, uint64_t payload)
{
	uint64_t per, full, rem;

	if (!cfg->slot_size || !payload)
		return payload;
	per = cfg->slot_size - cfg->slot_header;
	full = payload / per;
	rem = payload % per;
	return full * cfg->slot_size + (rem ? cfg->slot_header + rem : 0);
}

static int write_buffer(struct fpgacap_recording *rec,
			const struct fpgacap_buffer *b)
{
	struct fpgacap_buffer trimmed = *b;
	uint64_t len = b->bytes_used;
	int ret;

	/* A byte limit ends the stream exactly there. */
	if (rec->opts.max_bytes &&
	    rec->st.payload_bytes + len > rec->opts.max_bytes) {
		len = rec->opts.max_bytes - rec->st.payload_bytes;
		trimmed.bytes_used = len;
		trimmed.flags |= FPGACAP_BUF_SHORT;
	}
	rec->captured[b->index] = b->timestamp_ns;
	ret = fpgacap_recorder_write(rec->recorder, &trimmed,
				     fpgacap_buffer_data(rec->dev, b->index),
				     (size_t)extent_of(rec->cfg, len),
				     b->index);
	if (ret)
		return ret;	/* not written: -EINTR keeps it for later */
	rec->st.buffers++;
	rec->st.payload_bytes += len;
	rec->st.lost_bytes += b->lost_bytes;
	if (b->flags & FPGACAP_BUF_LOST)
		rec->st.lost_events++;
	if (b->flags & FPGACAP_BUF_ERROR)
		rec->st.error_buffers++;
	return 0;
}

/* Write what is left of the batch; -EINTR keeps the rest for later. */
static int write_batch(struct fpgacap_recording *rec)
{
	int ret;

	while (rec->batch_next < rec->batch_len) {
		if (limit_reached(rec))
			return return_unwritten(rec, false);
		ret = write_buffer(rec, &rec->batch[rec->batch_next]);
		if (ret == -EINTR)
			return ret;
		if (ret < 0) {
			/* Behind a failed write nothing goes to the disk. */
			return_unwritten(rec, true);
			return ret;
		}
		rec->batch_next++;
	}
	return 0;
}

/* Completions in, released buffers back to the driver. */
static int settle(struct fpgacap_recording *rec, int timeout_ms)
{
	int ret = fpgacap_recorder_reap(rec->recorder, timeout_ms);
	int ret2 = return_released(rec);

	return ret < 0 ? ret : ret2;
}

/* A step's end: -EINTR leaves the recording as it was, other errors
 * stick. */
static int step_end(struct fpgacap_recording *rec, int ret)
{
	if (ret == -EINTR) {
		int err = settle(rec, 0);

		if (err < 0 && err != -EINTR)
			return rec->error = err;
		return ret;
	}
	return ret < 0 ? (rec->error = ret) : ret;
}

/* The recorder's failure, if a write failed since the last look. */
static int recorder_error(const struct fpgacap_recording *rec)
{
	struct fpgacap_recorder_stats rs = { .size = sizeof(rs) };

	fpgacap_recorder_get_stats(rec->recorder, &rs);
	return rs.error ? -rs.error : 0;
}

FPGACAP_API int fpgacap_recording_step(struct fpgacap_recording *rec)
{
	unsigned int want = rec->opts.batch;
	int64_t timeout = rec->opts.timeout_ns;
	int n, ret;

	if (rec->error)
		return rec->error;
	ret = write_batch(rec);
	if (ret < 0)
		return step_end(rec, ret);
	if (limit_reached(rec))
		return 1;
	if (rec->opts.max_buffers &&
	    rec->opts.max_buffers - rec->st.buffers < want)
		want = (unsigned int)(rec->opts.max_buffers - rec->st.buffers);

	/*
	 * While buffers are being written, the device may have none to
	 * fill: never block on it for long without reaping completions.
	 */
	if (fpgacap_recorder_pending(rec->recorder) &&
	    (timeout < 0 || timeout > 5000000))
		timeout = 5000000;
	n = fpgacap_dequeue(rec->dev, rec->batch, want, timeout);
	if (n == -ETIMEDOUT || n == -EAGAIN) {
		ret = settle(rec, 5);
		if (!ret)
			ret = recorder_error(rec);
		return ret < 0 ? step_end(rec, ret) : 0;
	}
	if (n == -ENODATA)
		return 1;
	if (n < 0)
		return step_end(rec, n);
	rec->batch_next = 0;
	rec->batch_len = (unsigned int)n;
	ret = write_batch(rec);
	if (!ret)
		ret = settle(rec, 0);
	if (!ret)
		ret = recorder_error(rec);
	if (ret < 0)
		return step_end(rec, ret);
	return limit_reached(rec) ? 1 : 0;
}

FPGACAP_API int fpgacap_recording_finish(struct fpgacap_recording *rec,
					 int timeout_ms)
{
	int ret = return_unwritten(rec, false);
	int ret2 = fpgacap_recorder_finish(rec->recorder, timeout_ms);
	int ret3 = return_released(rec);

	return ret2 ? ret2 : ret ? ret : ret3;
}

FPGACAP_API int fpgacap_recording_get_stats(const struct fpgacap_recording *rec,
					    struct fpgacap_recording_stats *st)
{
	struct fpgacap_recording_stats now = rec->st;

	now.latency_samples = rec->latency.count;
	now.latency_min = rec->latency.min;
	now.latency_max = rec->latency.max;
	now.latency_sum = rec->latency.sum;
	return struct_out(st, &now, sizeof(now));
}

FPGACAP_API uint64_t fpgacap_recording_latency(
	const struct fpgacap_recording *rec, double percentile)
{
	return hist_percentile(&rec->latency, percentile);
}
