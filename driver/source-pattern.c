// SPDX-License-Identifier: GPL-2.0
/*
 * The pattern source: a CPU thread that behaves like a real-time FPGA
 * stream, so everything runs without hardware (as vivid does for V4L2).
 *
 * The stream is a sequence of 64-bit little-endian words, word k holding k,
 * counted across buffers and across lost data: a buffer whose stream
 * offset is O holds O/8, O/8 + 1, ... so any reader can check every byte
 * and every gap.
 *
 * The stream advances in buffer-sized chunks, one every size/rate seconds
 * (with rate 0, as fast as the CPU fills). A chunk that finds no free buffer
 * is lost and counted; the next buffer reports how much was lost before it.
 */
#include <linux/highmem.h>
#include <linux/hrtimer.h>
#include <linux/kthread.h>
#include <linux/math64.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>

#include "fpgacap.h"

struct pattern_source {
	struct fpgacap_source src;
	struct task_struct *thread;
};

static void pattern_fill(struct fpgacap_buf *buf, size_t bytes, u64 offset)
{
	u64 word = offset / sizeof(__le64);
	size_t done = 0;
	unsigned int p;

	if (buf->vaddr) {
		/* Coherent baseline: uncached on ARM, hence slow. */
		__le64 *v = buf->vaddr;
		size_t i;

		for (i = 0; i < bytes / sizeof(*v); i++)
			v[i] = cpu_to_le64(word++);
		return;
	}
	for (p = 0; done < bytes; p++) {
		/* kmap_local: the pages may be highmem on 32-bit. */
		__le64 *v = kmap_local_page(buf->pages[p]);
		size_t n = min_t(size_t, bytes - done, PAGE_SIZE);
		unsigned int i;

		for (i = 0; i < n / sizeof(*v); i++)
			v[i] = cpu_to_le64(word++);
		kunmap_local(v);
		done += n;
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

/* A stalled buffer (test hook) is held until the stream stops. */
static void pattern_stall(struct fpgacap_queue *q, struct fpgacap_buf *buf)
{
	wait_event_interruptible(q->free_wq, kthread_should_stop());
	fpgacap_queue_requeue(q, buf);
}

static int pattern_thread(void *data)
{
	struct pattern_source *ps = data;
	struct fpgacap_queue *q = ps->src.q;
	size_t size = q->pool->buffer_size;
	u64 period = ps->src.rate ?
		     mul_u64_u64_div_u64(size, NSEC_PER_SEC, ps->src.rate) : 0;
	u64 fill_ns = 1, offset = 0;
	u64 next = ktime_get_ns();

	while (!kthread_should_stop()) {
		struct fpgacap_buf *buf;
		size_t bytes = size;
		u64 t0, lost;

		if (period)
			pattern_sleep_until(next);
		if (kthread_should_stop())
			break;

		buf = fpgacap_queue_take_free(q);
		if (!buf) {
			/*
			 * Real-time data keeps coming: wait for a buffer, then
			 * count every chunk that fell due in between.
			 */
			u64 due = period ? next : ktime_get_ns();
			u64 chunk = period ? period : fill_ns;

			wait_event_interruptible(q->free_wq,
						 fpgacap_queue_has_free(q) ||
						 kthread_should_stop());
			buf = fpgacap_queue_take_free(q);
			if (!buf)
				continue;
			lost = max_t(u64, 1, DIV64_U64_ROUND_UP(ktime_get_ns() -
								due, chunk));
			fpgacap_queue_drop(q, lost * size);
			offset += lost * size;
			next = due + lost * chunk;
		}

		if (atomic_dec_if_positive(&q->inject_short) >= 0)
			bytes = round_down(size / 2, sizeof(__le64));
		t0 = ktime_get_ns();
		pattern_fill(buf, bytes, offset);
		fill_ns = max_t(u64, ktime_get_ns() - t0, 1);
		offset += bytes;
		next += period;

		if (fpgacap_queue_should_stall(q)) {
			pattern_stall(q, buf);
			break;
		}
		if (atomic_dec_if_positive(&q->inject_error) >= 0) {
			fpgacap_queue_complete(q, buf, bytes, FPGACAP_BUF_ERROR);
			fpgacap_queue_fail(q, -EIO);
			continue;
		}
		fpgacap_queue_complete(q, buf, bytes, 0);
		cond_resched();
	}
	return 0;
}

static int pattern_start(struct fpgacap_source *src)
{
	struct pattern_source *ps = container_of(src, struct pattern_source,
						 src);
	struct task_struct *t;

	t = kthread_run(pattern_thread, ps, "%s-pattern",
			dev_name(&src->fdev->dev));
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

static void pattern_kick(struct fpgacap_source *src)
{
	wake_up(&src->q->free_wq);
}

static void pattern_destroy(struct fpgacap_source *src)
{
	kfree(container_of(src, struct pattern_source, src));
}

static const struct fpgacap_source_ops pattern_ops = {
	.start = pattern_start,
	.stop = pattern_stop,
	.kick = pattern_kick,
	.destroy = pattern_destroy,
};

struct fpgacap_source *fpgacap_pattern_create(struct fpgacap_dev *fdev)
{
	struct pattern_source *ps;

	ps = kzalloc(sizeof(*ps), GFP_KERNEL);
	if (!ps)
		return ERR_PTR(-ENOMEM);
	ps->src.ops = &pattern_ops;
	ps->src.fdev = fdev;
	ps->src.q = &fdev->q;
	ps->src.type = FPGACAP_SOURCE_PATTERN;
	strscpy(ps->src.name, "pattern", sizeof(ps->src.name));
	return &ps->src;
}
