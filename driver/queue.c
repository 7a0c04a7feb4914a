// SPDX-License-Identifier: GPL-2.0-only
/*
 * The queue: who owns each buffer, and what userspace is told about it.
 *
 * Only the source touches an active buffer and only userspace a user one.
 * The DMA syncs happen exactly at the two hand-overs: for the device when
 * the source takes a buffer, for the CPU when it completes one. Everything
 * here runs in process context; q->lock is a plain spinlock held for a few
 * list operations (a whole-pool walk at most, outside streaming).
 */
#include <linux/jiffies.h>
#include <linux/ktime.h>
#include <linux/lockdep.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>

#include "inject.h"
#include "pool.h"
#include "queue.h"

static void queue_watchdog(struct work_struct *work);
static void queue_set_error(struct fpgacap_queue *q, int err);

/**
 * fpgacap_queue_init() - set up an empty queue
 * @q: the queue, zeroed
 * @inj: the device's test hooks
 */
void fpgacap_queue_init(struct fpgacap_queue *q, struct fpgacap_inject *inj)
{
	spin_lock_init(&q->lock);
	q->inject = inj;
	INIT_LIST_HEAD(&q->free);
	INIT_LIST_HEAD(&q->done);
	init_waitqueue_head(&q->done_wq);
	init_waitqueue_head(&q->free_wq);
	INIT_DELAYED_WORK(&q->watchdog, queue_watchdog);
	q->stall_timeout_ms = 2000;
}

/**
 * fpgacap_queue_attach() - give the queue a pool, every buffer free
 * @q: a stopped queue with no pool
 * @pool: the pool; the queue keeps the caller's reference
 *
 * Return: 0 or -ENOMEM.
 */
int fpgacap_queue_attach(struct fpgacap_queue *q, struct fpgacap_pool *pool)
{
	struct fpgacap_buf *bufs;
	u32 i;

	bufs = kvcalloc(pool->count, sizeof(*bufs), FPGACAP_GFP_ARRAY);
	if (!bufs)
		return -ENOMEM;

	spin_lock(&q->lock);
	WARN_ON_ONCE(q->pool || q->streaming);
	for (i = 0; i < pool->count; i++) {
		bufs[i].index = i;
		bufs[i].state = FPGACAP_BUF_FREE;
		bufs[i].sgt = fpgacap_pool_engine_sgt(pool, i);
		bufs[i].pages = pool->pages + (unsigned long)i *
				pool->buffer_pages;
		list_add_tail(&bufs[i].list, &q->free);
	}
	q->pool = pool;
	q->bufs = bufs;
	q->count = pool->count;
	q->buffer_size = pool->buffer_size;
	q->layout = pool->layout;
	q->nfree = pool->count;
	q->nactive = 0;
	q->ndone = 0;
	q->nuser = 0;
	q->session++;
	spin_unlock(&q->lock);
	return 0;
}

/**
 * fpgacap_queue_detach() - take the pool away from a stopped queue
 * @q: the queue; its source is stopped and holds no buffer
 *
 * Return: the pool with the reference the queue held (the caller unmaps
 * and puts it), or NULL if none was attached.
 */
struct fpgacap_pool *fpgacap_queue_detach(struct fpgacap_queue *q)
{
	struct fpgacap_pool *pool;
	struct fpgacap_buf *bufs;

	spin_lock(&q->lock);
	WARN_ON_ONCE(q->streaming || q->nactive);
	pool = q->pool;
	bufs = q->bufs;
	q->pool = NULL;
	q->bufs = NULL;
	q->count = 0;
	q->buffer_size = 0;
	memset(&q->layout, 0, sizeof(q->layout));
	INIT_LIST_HEAD(&q->free);
	INIT_LIST_HEAD(&q->done);
	q->nfree = 0;
	q->nactive = 0;
	q->ndone = 0;
	q->nuser = 0;
	q->session++;
	spin_unlock(&q->lock);

	kvfree(bufs);
	return pool;
}

/**
 * fpgacap_queue_pool() - the attached pool, with a reference for the caller
 * @q: the queue
 *
 * Return: the pool (put it when done) or NULL.
 */
struct fpgacap_pool *fpgacap_queue_pool(struct fpgacap_queue *q)
{
	struct fpgacap_pool *pool;

	spin_lock(&q->lock);
	pool = q->pool;
	if (pool)
		fpgacap_pool_get(pool);
	spin_unlock(&q->lock);
	return pool;
}

/**
 * fpgacap_queue_buffer_size() - bytes per buffer of the attached pool
 * @q: the queue
 *
 * Return: the size, 0 without a pool.
 */
size_t fpgacap_queue_buffer_size(struct fpgacap_queue *q)
{
	size_t size;

	spin_lock(&q->lock);
	size = q->buffer_size;
	spin_unlock(&q->lock);
	return size;
}

/**
 * fpgacap_queue_layout() - where the source writes in a buffer
 * @q: the queue, with a pool
 * @l: set to the attached pool's layout
 */
void fpgacap_queue_layout(struct fpgacap_queue *q, struct fpgacap_layout *l)
{
	spin_lock(&q->lock);
	*l = q->layout;
	spin_unlock(&q->lock);
}

/**
 * fpgacap_queue_count() - buffers in the attached pool
 * @q: the queue
 *
 * Return: the count, 0 without a pool.
 */
u32 fpgacap_queue_count(struct fpgacap_queue *q)
{
	u32 count;

	spin_lock(&q->lock);
	count = q->count;
	spin_unlock(&q->lock);
	return count;
}

/* Every buffer in @state goes back to the free list; q->lock held. */
static void queue_free_all(struct fpgacap_queue *q,
			   enum fpgacap_buf_state state)
{
	u32 i;

	lockdep_assert_held(&q->lock);
	for (i = 0; i < q->count; i++) {
		struct fpgacap_buf *buf = &q->bufs[i];

		if (buf->state != state)
			continue;
		if (state == FPGACAP_BUF_DONE) {
			list_del(&buf->list);
			q->ndone--;
		} else {
			q->nuser--;
		}
		buf->accesses = 0;
		buf->state = FPGACAP_BUF_FREE;
		list_add_tail(&buf->list, &q->free);
		q->nfree++;
	}
}

/**
 * fpgacap_queue_stream_on() - begin a new stream
 * @q: a stopped queue with a pool
 *
 * Counters, sequence and offsets restart at 0; filled buffers nobody
 * dequeued, and the one read() was copying, belong to the old stream and
 * go back to the free list. Buffers DEQUEUE handed out stay userspace's:
 * the new stream counts them as carried and dequeued, so that
 * dequeued - returned == user still holds.
 */
void fpgacap_queue_stream_on(struct fpgacap_queue *q)
{
	unsigned int ms = READ_ONCE(q->stall_timeout_ms);

	spin_lock(&q->lock);
	queue_free_all(q, FPGACAP_BUF_DONE);
	queue_free_all(q, FPGACAP_BUF_READ);
	q->session++;
	q->streaming = true;
	q->error = 0;
	q->cut = false;
	q->sequence = 0;
	q->offset = 0;
	q->pending_lost = 0;
	q->pending_gap = false;
	memset(&q->stats, 0, sizeof(q->stats));
	q->stats.carried = q->nuser;
	q->stats.dequeued = q->nuser;
	q->last_progress = jiffies;
	q->fill_time_ms = 0;
	spin_unlock(&q->lock);

	if (ms)
		schedule_delayed_work(&q->watchdog, msecs_to_jiffies(ms));
}

/**
 * fpgacap_queue_stream_off() - the source may take no more buffers
 * @q: the queue
 *
 * The caller then stops the source, which completes or requeues what it
 * holds. Filled buffers stay for DEQUEUE and read() to drain; waiters wake.
 */
void fpgacap_queue_stream_off(struct fpgacap_queue *q)
{
	spin_lock(&q->lock);
	q->streaming = false;
	spin_unlock(&q->lock);
	cancel_delayed_work_sync(&q->watchdog);
	wake_up_all(&q->free_wq);
	wake_up_all(&q->done_wq);
}

/**
 * fpgacap_queue_streaming() - is a stream started?
 * @q: the queue
 *
 * Return: true between stream_on and stream_off, failed or not.
 */
bool fpgacap_queue_streaming(struct fpgacap_queue *q)
{
	bool ret;

	spin_lock(&q->lock);
	ret = q->streaming;
	spin_unlock(&q->lock);
	return ret;
}

/**
 * fpgacap_queue_reclaim() - the stream's owner left: every buffer is free
 * @q: a stopped queue
 *
 * What userspace held and what it never dequeued goes back to the free
 * list; nothing of it reaches the next owner.
 */
void fpgacap_queue_reclaim(struct fpgacap_queue *q)
{
	spin_lock(&q->lock);
	queue_free_all(q, FPGACAP_BUF_DONE);
	queue_free_all(q, FPGACAP_BUF_USER);
	queue_free_all(q, FPGACAP_BUF_READ);
	queue_free_all(q, FPGACAP_BUF_LENT);
	q->session++;
	spin_unlock(&q->lock);
}

static bool queue_can_take(struct fpgacap_queue *q)
{
	lockdep_assert_held(&q->lock);
	return q->streaming && !q->error && !list_empty(&q->free);
}

/**
 * fpgacap_queue_take() - hand a free buffer to the source
 * @q: the queue
 *
 * From here the source owns the buffer, and its device the memory: the
 * buffer is synced for the device before it is returned.
 *
 * Return: the buffer, or NULL if none is free or the stream is off or
 * failed.
 */
struct fpgacap_buf *fpgacap_queue_take(struct fpgacap_queue *q)
{
	struct fpgacap_buf *buf = NULL;

	spin_lock(&q->lock);
	if (queue_can_take(q)) {
		buf = list_first_entry(&q->free, struct fpgacap_buf, list);
		list_del(&buf->list);
		buf->state = FPGACAP_BUF_ACTIVE;
		q->nfree--;
		q->nactive++;
		q->last_progress = jiffies;
	}
	spin_unlock(&q->lock);

	/* The pool cannot change while the source holds a buffer. */
	if (buf)
		fpgacap_pool_sync_for_device(q->pool, buf->index);
	return buf;
}

static bool queue_can_take_or(struct fpgacap_queue *q, bool (*stop)(void))
{
	bool ret;

	spin_lock(&q->lock);
	ret = queue_can_take(q);
	spin_unlock(&q->lock);
	return ret || stop();
}

/**
 * fpgacap_queue_wait_free() - sleep until a buffer can be taken
 * @q: the queue
 * @stop: also return once this is true (e.g. kthread_should_stop)
 */
void fpgacap_queue_wait_free(struct fpgacap_queue *q, bool (*stop)(void))
{
	wait_event_interruptible(q->free_wq, queue_can_take_or(q, stop));
}

/**
 * fpgacap_queue_complete() - the source filled a buffer
 * @q: the queue
 * @buf: a buffer the source took
 * @bytes_used: stream bytes the buffer carries (of a slotted buffer, its
 *	slots' payloads, fpgacap_layout_payload())
 * @flags: FPGACAP_BUF_ERROR if the source reports a failure
 *
 * The buffer is synced for the CPU, stamped with its sequence, stream
 * offset and the loss before it, and queued for DEQUEUE and read(). A
 * buffer completed with FPGACAP_BUF_ERROR fails the stream (-EIO) in the
 * same step (during STOP's drain too), so whoever sees the buffer sees the
 * failure too; buffers completed after it, or after a stall, go back to
 * the free list unseen: the stream ends at its failure.
 */
void fpgacap_queue_complete(struct fpgacap_queue *q, struct fpgacap_buf *buf,
			    size_t bytes_used, u32 flags)
{
	struct fpgacap_buffer *info = &buf->info;

	/*
	 * The device is done with it: the CPU owns the memory again (unless
	 * a test breaks the sync on purpose, for the cache checker).
	 */
	if (!fpgacap_inject(&q->inject->skip_sync))
		fpgacap_pool_sync_for_cpu(q->pool, buf->index);

	spin_lock(&q->lock);
	WARN_ON_ONCE(buf->state != FPGACAP_BUF_ACTIVE);
	if (q->cut) {
		/*
		 * The stream ended at a failed buffer or a stall: what the
		 * engine finished behind it is not delivered, so nothing
		 * after the failure ever arrives. Synced for the CPU above,
		 * the CPU owns it on the free list; take() gives it back.
		 */
		buf->state = FPGACAP_BUF_FREE;
		list_add_tail(&buf->list, &q->free);
		q->nactive--;
		q->nfree++;
		spin_unlock(&q->lock);
		return;
	}
	bytes_used = min(bytes_used, q->layout.payload);
	memset(info, 0, sizeof(*info));
	info->index = buf->index;
	info->bytes_used = bytes_used;
	info->sequence = q->sequence++;
	info->timestamp_ns = ktime_get_ns();
	info->offset = q->offset;
	info->lost_bytes = q->pending_lost;
	info->flags = flags & FPGACAP_BUF_ERROR;
	if (q->pending_gap)
		info->flags |= FPGACAP_BUF_LOST;
	if (bytes_used < q->layout.payload)
		info->flags |= FPGACAP_BUF_SHORT;
	q->offset += bytes_used;
	q->pending_lost = 0;
	q->pending_gap = false;

	q->stats.buffers_filled++;
	q->stats.bytes_filled += bytes_used;
	if (flags & FPGACAP_BUF_ERROR) {
		q->stats.errors++;
		/* Failed while STOP drains it too: no byte after it. */
		if (!q->error) {
			q->error = -EIO;
			q->stats.last_error = EIO;
		}
		q->cut = true;
	}
	buf->state = FPGACAP_BUF_DONE;
	list_add_tail(&buf->list, &q->done);
	q->nactive--;
	q->ndone++;
	q->last_progress = jiffies;
	spin_unlock(&q->lock);

	wake_up(&q->done_wq);
}

/**
 * fpgacap_queue_requeue() - the source gives back a buffer it did not fill
 * @q: the queue
 * @buf: a buffer the source took (stop, or a failed submission)
 *
 * Its memory may hold anything the device wrote; nobody reads it before it
 * is filled again.
 */
void fpgacap_queue_requeue(struct fpgacap_queue *q, struct fpgacap_buf *buf)
{
	spin_lock(&q->lock);
	WARN_ON_ONCE(buf->state != FPGACAP_BUF_ACTIVE);
	buf->state = FPGACAP_BUF_FREE;
	list_add(&buf->list, &q->free);
	q->nactive--;
	q->nfree++;
	spin_unlock(&q->lock);
}

/**
 * fpgacap_queue_drop() - the source lost data for want of a free buffer
 * @q: the queue
 * @bytes: how much, or 0 when the source cannot tell (the peripheral held
 *	or lost it): the next buffer is flagged FPGACAP_BUF_LOST either way
 */
void fpgacap_queue_drop(struct fpgacap_queue *q, u64 bytes)
{
	spin_lock(&q->lock);
	/* A failed or stopped stream takes no buffers: nothing is lost. */
	if (!q->streaming || q->error) {
		spin_unlock(&q->lock);
		return;
	}
	q->pending_gap = true;
	q->pending_lost += bytes;
	q->offset += bytes;
	q->stats.drops++;
	q->stats.bytes_dropped += bytes;
	spin_unlock(&q->lock);
}

/* Keep the first failure of a started stream; q->lock held. */
static void queue_set_error(struct fpgacap_queue *q, int err)
{
	lockdep_assert_held(&q->lock);
	if (q->streaming && !q->error) {
		q->error = err;
		q->stats.last_error = -err;
		if (err == -ETIMEDOUT)
			q->stats.stalls++;
	}
}

/**
 * fpgacap_queue_fail() - the source failed; the stream stops taking buffers
 * @q: the queue
 * @err: negative errno (-EIO for a failed submission, -ENOMEM for an
 *	engine that takes no descriptor, -ETIMEDOUT for a stall)
 *
 * DEQUEUE and read() drain what was filled, then report EIO; poll reports
 * EPOLLERR. STOP then START recovers. Only the first failure is kept. A
 * stall ends the stream where it is (what the engine finishes later is not
 * delivered); after a failed submission the transfers before it arrive.
 */
void fpgacap_queue_fail(struct fpgacap_queue *q, int err)
{
	spin_lock(&q->lock);
	if (q->streaming && !q->error && err == -ETIMEDOUT)
		q->cut = true;
	queue_set_error(q, err);
	spin_unlock(&q->lock);
	wake_up_all(&q->done_wq);
	wake_up_all(&q->free_wq);
}

/**
 * fpgacap_queue_set_fill_time() - a buffer takes this long by design
 * @q: the queue, streaming
 * @ms: the source's own time to fill one buffer (buffer_size / rate)
 *
 * A slow real-time source is not a stalled one: the watchdog waits this
 * much longer than stall_timeout_ms. Reset by every stream_on.
 */
void fpgacap_queue_set_fill_time(struct fpgacap_queue *q, unsigned int ms)
{
	spin_lock(&q->lock);
	q->fill_time_ms = ms;
	spin_unlock(&q->lock);
}

static void queue_watchdog(struct work_struct *work)
{
	struct fpgacap_queue *q = container_of(to_delayed_work(work),
					       struct fpgacap_queue, watchdog);
	unsigned int ms = READ_ONCE(q->stall_timeout_ms);
	unsigned long timeout = msecs_to_jiffies(ms);
	bool stalled, streaming;

	spin_lock(&q->lock);
	streaming = q->streaming && !q->error;
	stalled = ms && streaming && q->nactive &&
		  time_after(jiffies, q->last_progress + timeout +
			     msecs_to_jiffies(q->fill_time_ms));
	spin_unlock(&q->lock);

	if (stalled)
		fpgacap_queue_fail(q, -ETIMEDOUT);
	else if (streaming && ms)
		schedule_delayed_work(&q->watchdog, max(timeout / 2, 1UL));
}

/**
 * fpgacap_queue_dequeue() - hand filled buffers to userspace
 * @q: the queue
 * @out: their descriptions, oldest first
 * @max: room in @out
 * @session: set to the queue's session, for fpgacap_queue_undequeue()
 *
 * Return: how many buffers userspace now holds from this call.
 */
u32 fpgacap_queue_dequeue(struct fpgacap_queue *q, struct fpgacap_buffer *out,
			  u32 max, u64 *session)
{
	struct fpgacap_buf *buf;
	u32 n = 0;

	spin_lock(&q->lock);
	while (n < max && !list_empty(&q->done)) {
		buf = list_first_entry(&q->done, struct fpgacap_buf, list);
		list_del(&buf->list);
		buf->state = FPGACAP_BUF_USER;
		q->ndone--;
		q->nuser++;
		q->stats.dequeued++;
		out[n++] = buf->info;
	}
	*session = q->session;
	spin_unlock(&q->lock);
	return n;
}

/**
 * fpgacap_queue_undequeue() - userspace never got them: put them back
 * @q: the queue
 * @in: what fpgacap_queue_dequeue() returned, in its order
 * @n: how many
 * @session: what fpgacap_queue_dequeue() set
 *
 * They return to the head of the done list in their order, so the next
 * DEQUEUE sees them again. Nothing happens if the queue moved on (a new
 * stream, a new pool, the owner left) in between.
 */
void fpgacap_queue_undequeue(struct fpgacap_queue *q,
			     const struct fpgacap_buffer *in, u32 n,
			     u64 session)
{
	struct fpgacap_buf *buf;

	spin_lock(&q->lock);
	if (session != q->session)
		goto out;
	while (n--) {
		if (in[n].index >= q->count)
			continue;
		buf = &q->bufs[in[n].index];
		if (buf->state != FPGACAP_BUF_USER)
			continue;
		buf->state = FPGACAP_BUF_DONE;
		list_add(&buf->list, &q->done);
		q->nuser--;
		q->ndone++;
		q->stats.dequeued--;
	}
out:
	spin_unlock(&q->lock);
	wake_up(&q->done_wq);
}

/**
 * fpgacap_queue_return() - userspace gives buffers back
 * @q: the queue
 * @idx: buffer indices
 * @n: how many
 *
 * All or nothing: every index must be one DEQUEUE handed out, once. A
 * buffer whose dma-buf an importer still accesses is lent: it goes back
 * to the source when the last access ends (fpgacap_queue_access_end()).
 *
 * Return: 0 or -EINVAL.
 */
int fpgacap_queue_return(struct fpgacap_queue *q, const u32 *idx, u32 n)
{
	u32 i, j, freed = 0;

	spin_lock(&q->lock);
	for (i = 0; i < n; i++) {
		if (idx[i] >= q->count ||
		    q->bufs[idx[i]].state != FPGACAP_BUF_USER)
			goto bad;
		/* Mark as we go so a repeated index fails the check. */
		q->bufs[idx[i]].state = FPGACAP_BUF_FREE;
	}
	for (i = 0; i < n; i++) {
		struct fpgacap_buf *buf = &q->bufs[idx[i]];

		if (buf->accesses) {
			buf->state = FPGACAP_BUF_LENT;
			continue;
		}
		list_add_tail(&buf->list, &q->free);
		freed++;
	}
	q->nuser -= freed;
	q->nfree += freed;
	q->stats.returned += freed;
	spin_unlock(&q->lock);
	wake_up(&q->free_wq);
	return 0;
bad:
	for (j = 0; j < i; j++)
		q->bufs[idx[j]].state = FPGACAP_BUF_USER;
	spin_unlock(&q->lock);
	return -EINVAL;
}

static int queue_status(struct fpgacap_queue *q)
{
	lockdep_assert_held(&q->lock);
	if (!q->pool)
		return -ENOBUFS;
	if (!list_empty(&q->done))
		return 0;
	if (!q->streaming)
		return -ENODATA;
	if (q->error)
		return -EIO;
	return -EAGAIN;
}

/**
 * fpgacap_queue_read_take() - hand the oldest filled buffer to read()
 * @q: the queue
 * @gap_ok: take it even if data was lost just before it
 * @info: its description
 * @session: set to the queue's session, for fpgacap_queue_read_release()
 *
 * Return: 0 with the buffer held for read(), 1 if the next buffer follows
 * lost data or failed and !@gap_ok (it stays first: the next call gets
 * it), or what fpgacap_queue_status() says is missing.
 */
int fpgacap_queue_read_take(struct fpgacap_queue *q, bool gap_ok,
			    struct fpgacap_buffer *info, u64 *session)
{
	struct fpgacap_buf *buf;
	int ret;

	spin_lock(&q->lock);
	ret = queue_status(q);
	if (ret)
		goto out;
	buf = list_first_entry(&q->done, struct fpgacap_buf, list);
	if (!gap_ok &&
	    (buf->info.flags & (FPGACAP_BUF_LOST | FPGACAP_BUF_ERROR))) {
		ret = 1;
		goto out;
	}
	list_del(&buf->list);
	buf->state = FPGACAP_BUF_READ;
	q->ndone--;
	q->nuser++;
	q->stats.dequeued++;
	*info = buf->info;
	*session = q->session;
out:
	spin_unlock(&q->lock);
	return ret;
}

/**
 * fpgacap_queue_read_release() - read() copied a buffer out
 * @q: the queue
 * @index: the buffer fpgacap_queue_read_take() gave
 * @session: what fpgacap_queue_read_take() set
 *
 * Nothing happens if the queue moved on in between: the buffer was
 * reclaimed already.
 */
void fpgacap_queue_read_release(struct fpgacap_queue *q, u32 index,
				u64 session)
{
	struct fpgacap_buf *buf;

	spin_lock(&q->lock);
	if (session != q->session || index >= q->count)
		goto out;
	buf = &q->bufs[index];
	if (buf->state != FPGACAP_BUF_READ)
		goto out;
	buf->state = FPGACAP_BUF_FREE;
	list_add_tail(&buf->list, &q->free);
	q->nuser--;
	q->nfree++;
	q->stats.returned++;
out:
	spin_unlock(&q->lock);
	wake_up(&q->free_wq);
}

/**
 * fpgacap_queue_held() - does userspace hold buffer @index (dequeued)?
 * @q: the queue
 * @index: a buffer index, checked here
 *
 * Return: true if DEQUEUE handed it out and it was not returned.
 */
bool fpgacap_queue_held(struct fpgacap_queue *q, u32 index)
{
	bool held;

	spin_lock(&q->lock);
	held = index < q->count && q->bufs[index].state == FPGACAP_BUF_USER;
	spin_unlock(&q->lock);
	return held;
}

/**
 * fpgacap_queue_access_begin() - an importer accesses a buffer's dma-buf
 * @q: the queue
 * @pool: the pool the dma-buf was made of
 * @index: its buffer
 *
 * Return: 0, -EBUSY if userspace does not hold the buffer now, -ENODEV if
 * @pool is no longer the queue's.
 */
int fpgacap_queue_access_begin(struct fpgacap_queue *q,
			       struct fpgacap_pool *pool, u32 index)
{
	int ret = 0;

	spin_lock(&q->lock);
	if (q->pool != pool || index >= q->count)
		ret = -ENODEV;
	else if (q->bufs[index].state != FPGACAP_BUF_USER)
		ret = -EBUSY;
	else
		q->bufs[index].accesses++;
	spin_unlock(&q->lock);
	return ret;
}

/**
 * fpgacap_queue_access_end() - an importer's access ended
 * @q: the queue
 * @pool: the pool the dma-buf was made of
 * @index: its buffer
 *
 * Return: true if that returned a lent buffer to the source (kick it).
 */
bool fpgacap_queue_access_end(struct fpgacap_queue *q,
			      struct fpgacap_pool *pool, u32 index)
{
	struct fpgacap_buf *buf;
	bool freed = false;

	spin_lock(&q->lock);
	if (q->pool != pool || index >= q->count)
		goto out;
	buf = &q->bufs[index];
	if (WARN_ON_ONCE(!buf->accesses))
		goto out;
	if (--buf->accesses || buf->state != FPGACAP_BUF_LENT)
		goto out;
	buf->state = FPGACAP_BUF_FREE;
	list_add_tail(&buf->list, &q->free);
	q->nuser--;
	q->nfree++;
	q->stats.returned++;
	freed = true;
out:
	spin_unlock(&q->lock);
	if (freed)
		wake_up(&q->free_wq);
	return freed;
}

/**
 * fpgacap_queue_status() - what a DEQUEUE would find
 * @q: the queue
 *
 * Return: 0 if a filled buffer waits; -ENOBUFS without a pool; -ENODATA
 * when stopped and drained; -EIO when the stream failed and is drained;
 * -EAGAIN when streaming and nothing is ready yet.
 */
int fpgacap_queue_status(struct fpgacap_queue *q)
{
	int ret;

	spin_lock(&q->lock);
	ret = queue_status(q);
	spin_unlock(&q->lock);
	return ret;
}

static bool queue_ready(struct fpgacap_queue *q)
{
	return fpgacap_queue_status(q) != -EAGAIN;
}

/**
 * fpgacap_queue_wait() - sleep until fpgacap_queue_status() is not -EAGAIN
 * @q: the queue
 * @timeout_ns: how long at most; negative: no limit
 *
 * Return: 0, -ETIMEDOUT, or -ERESTARTSYS when a signal is pending.
 */
int fpgacap_queue_wait(struct fpgacap_queue *q, s64 timeout_ns)
{
	int ret;

	if (timeout_ns < 0)
		return wait_event_interruptible(q->done_wq, queue_ready(q));
	ret = wait_event_interruptible_hrtimeout(q->done_wq, queue_ready(q),
						 ns_to_ktime(timeout_ns));
	return ret == -ETIME ? -ETIMEDOUT : ret;
}

/**
 * fpgacap_queue_poll() - poll mask of the stream
 * @q: the queue
 * @file: the polling file
 * @wait: the poll table
 *
 * Return: EPOLLIN when a filled buffer waits, EPOLLERR when the started
 * stream failed, EPOLLHUP when stopped with nothing left to drain.
 */
__poll_t fpgacap_queue_poll(struct fpgacap_queue *q, struct file *file,
			    poll_table *wait)
{
	__poll_t mask = 0;

	poll_wait(file, &q->done_wq, wait);
	spin_lock(&q->lock);
	if (!list_empty(&q->done))
		mask |= EPOLLIN | EPOLLRDNORM;
	if (q->streaming && q->error)
		mask |= EPOLLERR;
	if (!q->streaming && list_empty(&q->done))
		mask |= EPOLLHUP;
	spin_unlock(&q->lock);
	return mask;
}

/**
 * fpgacap_queue_get_stats() - the counters, state and buffer census
 * @q: the queue
 * @st: filled in; reserved fields zeroed
 */
void fpgacap_queue_get_stats(struct fpgacap_queue *q, struct fpgacap_stats *st)
{
	spin_lock(&q->lock);
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
	spin_unlock(&q->lock);
	memset(st->reserved, 0, sizeof(st->reserved));
}

/**
 * fpgacap_queue_stall_timeout() - the watchdog's timeout
 * @q: the queue
 *
 * Return: milliseconds, 0 when off.
 */
unsigned int fpgacap_queue_stall_timeout(struct fpgacap_queue *q)
{
	return READ_ONCE(q->stall_timeout_ms);
}

/**
 * fpgacap_queue_set_stall_timeout() - set the watchdog's timeout
 * @q: the queue
 * @ms: milliseconds without progress that fail a stream, at most
 *	FPGACAP_STALL_TIMEOUT_MAX_MS; 0 turns it off
 *
 * Takes effect at once on a running stream.
 *
 * Return: 0, or -ERANGE (nothing changed).
 */
int fpgacap_queue_set_stall_timeout(struct fpgacap_queue *q, unsigned int ms)
{
	if (ms > FPGACAP_STALL_TIMEOUT_MAX_MS)
		return -ERANGE;
	WRITE_ONCE(q->stall_timeout_ms, ms);
	if (ms && fpgacap_queue_streaming(q))
		mod_delayed_work(system_wq, &q->watchdog,
				 max(msecs_to_jiffies(ms) / 2, 1UL));
	return 0;
}
