// SPDX-License-Identifier: GPL-2.0
/*
 * The queue: who owns each buffer, and what userspace is told about it.
 *
 *   free --take_free--> active --complete--> done --DEQUEUE--> user
 *     ^                                                          |
 *     +------------------------- RETURN -------------------------+
 *
 * Only the source touches an active buffer and only userspace a user one;
 * the DMA syncs happen exactly at take_free (for the device) and complete
 * (for the CPU). Everything here is under q->lock, a spinlock taken from
 * dmaengine callbacks too.
 */
#include <linux/dma-mapping.h>
#include <linux/jiffies.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>

#include "fpgacap.h"

static void queue_watchdog(struct work_struct *work);

void fpgacap_queue_init(struct fpgacap_queue *q)
{
	spin_lock_init(&q->lock);
	INIT_LIST_HEAD(&q->free);
	INIT_LIST_HEAD(&q->done);
	init_waitqueue_head(&q->done_wq);
	init_waitqueue_head(&q->free_wq);
	INIT_DELAYED_WORK(&q->watchdog, queue_watchdog);
	q->watchdog_ms = 2000;
}

/* Attach a pool; the device is stopped and holds no pool. */
int fpgacap_queue_setup(struct fpgacap_queue *q, struct fpgacap_pool *pool)
{
	struct fpgacap_buf *bufs;
	u32 i;

	bufs = kvcalloc(pool->count, sizeof(*bufs), GFP_KERNEL);
	if (!bufs)
		return -ENOMEM;
	/* Scratch for DEQUEUE/RETURN batches: no allocation per call. */
	q->scratch_info = kvcalloc(pool->count, sizeof(*q->scratch_info),
				   GFP_KERNEL);
	q->scratch_idx = kvcalloc(pool->count, sizeof(*q->scratch_idx),
				  GFP_KERNEL);
	if (!q->scratch_info || !q->scratch_idx) {
		kvfree(q->scratch_info);
		kvfree(q->scratch_idx);
		q->scratch_info = NULL;
		q->scratch_idx = NULL;
		kvfree(bufs);
		return -ENOMEM;
	}

	spin_lock_irq(&q->lock);
	q->pool = pool;
	q->bufs = bufs;
	q->count = pool->count;
	for (i = 0; i < pool->count; i++) {
		bufs[i].index = i;
		bufs[i].state = FPGACAP_BUF_FREE;
		bufs[i].sgt = &pool->sgts[i];
		if (pool->coherent)
			bufs[i].vaddr = pool->cpu[i];
		else
			bufs[i].pages = pool->pages + (unsigned long)i *
					pool->buffer_pages;
		list_add_tail(&bufs[i].list, &q->free);
	}
	q->nfree = pool->count;
	q->nactive = 0;
	q->ndone = 0;
	q->nuser = 0;
	spin_unlock_irq(&q->lock);
	return 0;
}

/* Detach the pool and return it; the caller unmaps and puts it. */
struct fpgacap_pool *fpgacap_queue_teardown(struct fpgacap_queue *q)
{
	struct fpgacap_pool *pool;
	struct fpgacap_buf *bufs;

	spin_lock_irq(&q->lock);
	pool = q->pool;
	bufs = q->bufs;
	q->pool = NULL;
	q->bufs = NULL;
	q->count = 0;
	INIT_LIST_HEAD(&q->free);
	INIT_LIST_HEAD(&q->done);
	q->nfree = 0;
	q->nactive = 0;
	q->ndone = 0;
	q->nuser = 0;
	spin_unlock_irq(&q->lock);

	kvfree(bufs);
	kvfree(q->scratch_info);
	kvfree(q->scratch_idx);
	q->scratch_info = NULL;
	q->scratch_idx = NULL;
	return pool;
}

/* A new stream: counters reset, stale filled buffers go back to free. */
void fpgacap_queue_stream_on(struct fpgacap_queue *q)
{
	struct fpgacap_buf *buf, *tmp;

	spin_lock_irq(&q->lock);
	list_for_each_entry_safe(buf, tmp, &q->done, list) {
		buf->state = FPGACAP_BUF_FREE;
		list_move_tail(&buf->list, &q->free);
	}
	q->nfree += q->ndone;
	q->ndone = 0;
	q->streaming = true;
	q->error = 0;
	q->sequence = 0;
	q->offset = 0;
	q->pending_lost = 0;
	q->pending_gap = false;
	memset(&q->stats, 0, sizeof(q->stats));
	q->last_progress = jiffies;
	spin_unlock_irq(&q->lock);

	if (q->watchdog_ms)
		schedule_delayed_work(&q->watchdog,
				      msecs_to_jiffies(q->watchdog_ms));
}

/*
 * No more buffers for the source. The caller then stops the source, which
 * returns its active buffers through fpgacap_queue_requeue(). Filled
 * buffers stay for DEQUEUE to drain.
 */
void fpgacap_queue_stream_off(struct fpgacap_queue *q)
{
	spin_lock_irq(&q->lock);
	q->streaming = false;
	spin_unlock_irq(&q->lock);
	cancel_delayed_work_sync(&q->watchdog);
	wake_up_all(&q->free_wq);
	wake_up_all(&q->done_wq);
}

/* The owner went away: whatever it held is free again. */
void fpgacap_queue_reclaim_user(struct fpgacap_queue *q)
{
	u32 i;

	spin_lock_irq(&q->lock);
	for (i = 0; i < q->count; i++) {
		struct fpgacap_buf *buf = &q->bufs[i];

		if (buf->state != FPGACAP_BUF_USER)
			continue;
		buf->state = FPGACAP_BUF_FREE;
		list_add_tail(&buf->list, &q->free);
		q->nuser--;
		q->nfree++;
	}
	spin_unlock_irq(&q->lock);
}

static bool queue_can_fill(struct fpgacap_queue *q)
{
	return q->streaming && !q->error && !list_empty(&q->free);
}

bool fpgacap_queue_has_free(struct fpgacap_queue *q)
{
	unsigned long flags;
	bool ret;

	spin_lock_irqsave(&q->lock, flags);
	ret = queue_can_fill(q);
	spin_unlock_irqrestore(&q->lock, flags);
	return ret;
}

/* Hand a free buffer to the source, or NULL if none (or not streaming). */
struct fpgacap_buf *fpgacap_queue_take_free(struct fpgacap_queue *q)
{
	struct fpgacap_buf *buf = NULL;
	unsigned long flags;

	spin_lock_irqsave(&q->lock, flags);
	if (queue_can_fill(q)) {
		buf = list_first_entry(&q->free, struct fpgacap_buf, list);
		list_del(&buf->list);
		buf->state = FPGACAP_BUF_ACTIVE;
		q->nfree--;
		q->nactive++;
		q->last_progress = jiffies;
	}
	spin_unlock_irqrestore(&q->lock, flags);

	if (buf && q->pool->mapped)
		dma_sync_sgtable_for_device(q->pool->dma_dev, buf->sgt,
					    DMA_FROM_DEVICE);
	return buf;
}

/* The source filled @bytes_used bytes of @buf; userspace may have it. */
void fpgacap_queue_complete(struct fpgacap_queue *q, struct fpgacap_buf *buf,
			    size_t bytes_used, u32 flags)
{
	struct fpgacap_buffer *info = &buf->info;
	unsigned long irqflags;

	if (q->pool->mapped)
		dma_sync_sgtable_for_cpu(q->pool->dma_dev, buf->sgt,
					 DMA_FROM_DEVICE);

	spin_lock_irqsave(&q->lock, irqflags);
	memset(info, 0, sizeof(*info));
	info->index = buf->index;
	info->bytes_used = bytes_used;
	info->sequence = q->sequence++;
	info->timestamp_ns = ktime_get_ns();
	info->offset = q->offset;
	info->lost_bytes = q->pending_lost;
	info->flags = flags;
	if (q->pending_gap)
		info->flags |= FPGACAP_BUF_LOST;
	if (bytes_used < q->pool->buffer_size)
		info->flags |= FPGACAP_BUF_SHORT;
	q->offset += bytes_used;
	q->pending_lost = 0;
	q->pending_gap = false;

	q->stats.buffers_filled++;
	q->stats.bytes_filled += bytes_used;
	if (flags & FPGACAP_BUF_ERROR)
		q->stats.errors++;
	buf->state = FPGACAP_BUF_DONE;
	list_add_tail(&buf->list, &q->done);
	q->nactive--;
	q->ndone++;
	q->last_progress = jiffies;
	spin_unlock_irqrestore(&q->lock, irqflags);

	wake_up(&q->done_wq);
}

/* The source gives back a buffer it did not fill (stop, prep failure). */
void fpgacap_queue_requeue(struct fpgacap_queue *q, struct fpgacap_buf *buf)
{
	unsigned long flags;

	spin_lock_irqsave(&q->lock, flags);
	buf->state = FPGACAP_BUF_FREE;
	list_add(&buf->list, &q->free);
	q->nactive--;
	q->nfree++;
	spin_unlock_irqrestore(&q->lock, flags);
}

/*
 * @bytes of the stream were lost for want of a free buffer; 0 when the
 * source cannot tell how much (the peripheral held or lost it).
 */
void fpgacap_queue_drop(struct fpgacap_queue *q, u64 bytes)
{
	unsigned long flags;

	spin_lock_irqsave(&q->lock, flags);
	q->pending_gap = true;
	q->pending_lost += bytes;
	q->offset += bytes;
	q->stats.drops++;
	q->stats.bytes_dropped += bytes;
	spin_unlock_irqrestore(&q->lock, flags);
}

/* The source failed: poll reports EPOLLERR, DEQUEUE EIO once drained. */
void fpgacap_queue_fail(struct fpgacap_queue *q, int err)
{
	unsigned long flags;

	spin_lock_irqsave(&q->lock, flags);
	if (q->streaming && !q->error) {
		q->error = err;
		q->stats.last_error = -err;
		if (err == -ETIMEDOUT)
			q->stats.stalls++;
	}
	spin_unlock_irqrestore(&q->lock, flags);
	wake_up_all(&q->done_wq);
	wake_up_all(&q->free_wq);
}

/* Test hook: should the source hold on to the buffer it just filled? */
bool fpgacap_queue_should_stall(struct fpgacap_queue *q)
{
	return atomic_dec_if_positive(&q->inject_stall) >= 0;
}

static void queue_watchdog(struct work_struct *work)
{
	struct fpgacap_queue *q = container_of(to_delayed_work(work),
					       struct fpgacap_queue, watchdog);
	unsigned long timeout = msecs_to_jiffies(q->watchdog_ms);
	bool stalled, streaming;

	spin_lock_irq(&q->lock);
	streaming = q->streaming && !q->error;
	stalled = streaming && q->nactive &&
		  time_after(jiffies, q->last_progress + timeout);
	spin_unlock_irq(&q->lock);

	if (stalled)
		fpgacap_queue_fail(q, -ETIMEDOUT);
	else if (streaming)
		schedule_delayed_work(&q->watchdog, max(timeout / 2, 1UL));
}

/* Copy up to @max filled buffers' descriptions, oldest first. */
int fpgacap_queue_peek_done(struct fpgacap_queue *q, struct fpgacap_buffer *out,
			    u32 max)
{
	struct fpgacap_buf *buf;
	int n = 0;

	spin_lock_irq(&q->lock);
	list_for_each_entry(buf, &q->done, list) {
		if (n == max)
			break;
		out[n++] = buf->info;
	}
	spin_unlock_irq(&q->lock);
	return n;
}

/*
 * Hand the @n oldest filled buffers to userspace. Only the owner consumes,
 * under the device mutex, so they are the ones peeked.
 */
void fpgacap_queue_consume_done(struct fpgacap_queue *q, u32 n)
{
	struct fpgacap_buf *buf;

	spin_lock_irq(&q->lock);
	while (n-- && !list_empty(&q->done)) {
		buf = list_first_entry(&q->done, struct fpgacap_buf, list);
		list_del(&buf->list);
		buf->state = FPGACAP_BUF_USER;
		q->ndone--;
		q->nuser++;
		q->stats.dequeued++;
	}
	spin_unlock_irq(&q->lock);
}

/* All or nothing: every index must be held by userspace, once. */
int fpgacap_queue_return(struct fpgacap_queue *q, const u32 *idx, u32 n)
{
	u32 i, j;

	spin_lock_irq(&q->lock);
	for (i = 0; i < n; i++) {
		if (idx[i] >= q->count ||
		    q->bufs[idx[i]].state != FPGACAP_BUF_USER)
			goto bad;
		/* Mark as we go so a repeated index fails the check. */
		q->bufs[idx[i]].state = FPGACAP_BUF_FREE;
	}
	for (i = 0; i < n; i++)
		list_add_tail(&q->bufs[idx[i]].list, &q->free);
	q->nuser -= n;
	q->nfree += n;
	q->stats.returned += n;
	spin_unlock_irq(&q->lock);
	wake_up(&q->free_wq);
	return 0;
bad:
	for (j = 0; j < i; j++)
		q->bufs[idx[j]].state = FPGACAP_BUF_USER;
	spin_unlock_irq(&q->lock);
	return -EINVAL;
}

/* Is there something for DEQUEUE to report: data, an error, or the end? */
bool fpgacap_queue_ready(struct fpgacap_queue *q)
{
	bool ret;

	spin_lock_irq(&q->lock);
	ret = !list_empty(&q->done) || q->error || !q->streaming;
	spin_unlock_irq(&q->lock);
	return ret;
}

void fpgacap_queue_get_stats(struct fpgacap_queue *q, struct fpgacap_stats *st)
{
	spin_lock_irq(&q->lock);
	*st = q->stats;
	if (!q->pool)
		st->state = FPGACAP_STATE_UNCONFIGURED;
	else if (!q->streaming)
		st->state = FPGACAP_STATE_STOPPED;
	else if (q->error)
		st->state = FPGACAP_STATE_ERROR;
	else
		st->state = FPGACAP_STATE_STREAMING;
	st->free = q->nfree;
	st->active = q->nactive;
	st->done = q->ndone;
	st->user = q->nuser;
	spin_unlock_irq(&q->lock);
}
