// SPDX-License-Identifier: GPL-2.0-only
/*
 * The pattern source: a CPU thread that fills buffers with the documented
 * test pattern (FPGACAP_PATTERN_WORD), so everything runs without hardware,
 * as vivid does for V4L2.
 *
 * Without a rate it has no clock to fall behind: it fills each buffer as it
 * comes free, and a slow consumer only slows it down; nothing is ever
 * lost. With a rate it behaves like a real-time device: a buffer-sized
 * chunk falls due every buffer_size / rate seconds, a chunk that finds no
 * free buffer is lost, and the next buffer reports exactly how much.
 */
#include <linux/highmem.h>
#include <linux/kthread.h>
#include <linux/math64.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>

#include "compat.h"
#include "fpgacap.h"

struct pattern_source {
	struct fpgacap_source src;
	struct task_struct *thread;
	struct device *dev;		/* names the thread */
};

/*
 * The CPU writes the buffers: the pool of a CPU source is never
 * DMA-mapped. kmap_local: the pages may be highmem on 32-bit.
 */

/* @len pattern bytes of the stream from @stream, at buffer byte @off. */
static void pattern_words(struct fpgacap_buf *buf, size_t off, size_t len,
			  u64 stream)
{
	u64 word = FPGACAP_PATTERN_WORD(stream);

	while (len) {
		size_t in = offset_in_page(off);
		size_t n = min_t(size_t, len, PAGE_SIZE - in);
		__le64 *v = kmap_local_page(buf->pages[off >> PAGE_SHIFT]) + in;
		unsigned int i;

		for (i = 0; i < n / sizeof(*v); i++)
			v[i] = cpu_to_le64(word++);
		kunmap_local(v);
		off += n;
		len -= n;
	}
}

/* @len bytes of @src (zeroes if NULL) at buffer byte @off. */
static void pattern_copy(struct fpgacap_buf *buf, size_t off, const void *src,
			 size_t len)
{
	while (len) {
		size_t in = offset_in_page(off);
		size_t n = min_t(size_t, len, PAGE_SIZE - in);
		u8 *p = kmap_local_page(buf->pages[off >> PAGE_SHIFT]);

		if (src)
			memcpy(p + in, src, n);
		else
			memset(p + in, 0, n);
		kunmap_local(p);
		if (src)
			src += n;
		off += n;
		len -= n;
	}
}

/*
 * Fill @buf with @bytes stream bytes from @offset where @l says: a plain
 * buffer from its start, a slotted one slot by slot. With records each
 * slot starts with a datagram header, *@seq counting them, the first
 * flagged FIRST (and LOST after a drop, @lost).
 */
static void pattern_fill(const struct fpgacap_layout *l,
			 struct fpgacap_buf *buf, size_t bytes, u64 offset,
			 u64 *seq, bool lost)
{
	size_t per = l->slot_size - l->slot_header, pos;
	u32 k;

	if (!l->slot_size) {
		pattern_words(buf, 0, bytes, offset);
		return;
	}
	for (k = 0, pos = 0; pos < bytes; k++) {
		size_t at = (size_t)k * l->slot_size;
		size_t n = min(per, bytes - pos);

		if (l->records) {
			u16 flags = k ? 0 : FPGACAP_DGRAM_FIRST |
				    (lost ? FPGACAP_DGRAM_LOST : 0);
			struct fpgacap_dgram_header h = {
				.magic = cpu_to_le32(FPGACAP_DGRAM_MAGIC),
				.version = FPGACAP_DGRAM_VERSION,
				.header_size = l->slot_header,
				.flags = cpu_to_le16(flags),
				.sequence = cpu_to_le64((*seq)++),
				.offset = cpu_to_le64(offset + pos),
			};

			pattern_copy(buf, at, &h, sizeof(h));
			pattern_copy(buf, at + sizeof(h), NULL,
				     l->slot_header - sizeof(h));
		}
		pattern_words(buf, at + l->slot_header, n, offset + pos);
		pos += n;
	}
}

/* Sleep until @deadline (ktime_get_ns() clock) or kthread_stop(). */
static void pattern_sleep_until(u64 deadline)
{
	ktime_t t = ns_to_ktime(deadline);

	set_current_state(TASK_INTERRUPTIBLE);
	if (!kthread_should_stop())
		schedule_hrtimeout_range_clock(&t, 20 * NSEC_PER_USEC,
					       HRTIMER_MODE_ABS,
					       CLOCK_MONOTONIC);
	__set_current_state(TASK_RUNNING);
}

/* The stall hook: hold the buffer, as a hung engine would, until stop. */
static void pattern_hang(struct fpgacap_queue *q, struct fpgacap_buf *buf)
{
	for (;;) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (kthread_should_stop())
			break;
		schedule();
	}
	__set_current_state(TASK_RUNNING);
	fpgacap_queue_requeue(q, buf);
}

/*
 * Chunks that fell due while no buffer was free, for a source with a
 * period: the chunk due at *@next and every one after it up to @now.
 */
static u64 pattern_lost_chunks(u64 *next, u64 period, u64 now)
{
	u64 lost;

	if (now < *next)
		return 0;
	lost = div64_u64(now - *next, period) + 1;
	*next += lost * period;
	return lost;
}

static int pattern_thread(void *data)
{
	struct pattern_source *ps = data;
	struct fpgacap_queue *q = ps->src.q;
	struct fpgacap_inject *inj = ps->src.inject;
	struct fpgacap_layout l;
	size_t size;
	u64 period, offset = 0, records = 0, next;
	bool lost = false;

	/* A buffer carries this many stream bytes; a chunk falls due so. */
	fpgacap_queue_layout(q, &l);
	size = l.payload;
	period = ps->src.rate ?
		 mul_u64_u64_div_u64(size, NSEC_PER_SEC, ps->src.rate) : 0;
	next = ktime_get_ns() + period;

	fpgacap_queue_set_fill_time(q, DIV_ROUND_UP_ULL(period, NSEC_PER_MSEC));
	while (!kthread_should_stop()) {
		struct fpgacap_buf *buf;
		size_t bytes = size;
		u64 dropped;

		buf = fpgacap_queue_take(q);
		if (!buf) {
			fpgacap_queue_wait_free(q, kthread_should_stop);
			if (!period)
				continue;
			dropped = pattern_lost_chunks(&next, period,
						      ktime_get_ns());
			if (dropped) {
				fpgacap_queue_drop(q, dropped * size);
				offset += dropped * size;
				lost = true;
			}
			continue;
		}
		/* A real-time chunk completes when it is due. */
		if (period) {
			pattern_sleep_until(next);
			if (kthread_should_stop()) {
				fpgacap_queue_requeue(q, buf);
				break;
			}
		}

		if (fpgacap_inject(&inj->short_fill))
			bytes = round_down(size / 2, sizeof(__le64));
		pattern_fill(&l, buf, bytes, offset, &records, lost);
		lost = false;
		offset += bytes;
		next += period;

		if (fpgacap_inject(&inj->stall)) {
			pattern_hang(q, buf);
			break;
		}
		fpgacap_queue_complete(q, buf, bytes,
				       fpgacap_inject(&inj->error) ?
				       FPGACAP_BUF_ERROR : 0);
		cond_resched();
	}
	return 0;
}

static int pattern_start(struct fpgacap_source *src)
{
	struct pattern_source *ps = container_of(src, struct pattern_source,
						 src);
	struct task_struct *t;

	t = kthread_run(pattern_thread, ps, "%s-pattern", dev_name(ps->dev));
	if (IS_ERR(t))
		return PTR_ERR(t);
	get_task_struct(t);
	ps->thread = t;
	return 0;
}

static void pattern_stop(struct fpgacap_source *src)
{
	struct pattern_source *ps = container_of(src, struct pattern_source,
						 src);

	if (!ps->thread)
		return;
	kthread_stop(ps->thread);
	put_task_struct(ps->thread);
	ps->thread = NULL;
}

static void pattern_destroy(struct fpgacap_source *src)
{
	kfree(container_of(src, struct pattern_source, src));
}

/* Returned buffers wake the thread through the queue: no kick needed. */
static const struct fpgacap_source_ops pattern_ops = {
	.start = pattern_start,
	.stop = pattern_stop,
	.destroy = pattern_destroy,
};

/**
 * fpgacap_pattern_create() - the CPU test-pattern source of a device
 * @fdev: the device, not yet registered
 *
 * Return: the source or ERR_PTR(-ENOMEM).
 */
struct fpgacap_source *fpgacap_pattern_create(struct fpgacap_dev *fdev)
{
	struct pattern_source *ps;

	ps = kzalloc_obj(*ps, GFP_KERNEL);
	if (!ps)
		return ERR_PTR(-ENOMEM);
	ps->src.ops = &pattern_ops;
	ps->src.q = &fdev->queue;
	ps->src.inject = &fdev->inject;
	ps->src.type = FPGACAP_SOURCE_PATTERN;
	ps->src.caps = FPGACAP_CAP_RATE | FPGACAP_CAP_SLOTS |
		       FPGACAP_CAP_RECORDS;
	/* With records it writes a datagram header into each slot. */
	ps->src.record_header = sizeof(struct fpgacap_dgram_header);
	strscpy(ps->src.name, "pattern", sizeof(ps->src.name));
	ps->dev = &fdev->dev;
	return &ps->src;
}
