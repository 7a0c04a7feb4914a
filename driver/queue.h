/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The queue: who owns each buffer of the pool, and what userspace is told
 * about it. Every function is for process context; the lock inside is not
 * taken with interrupts off, so sources complete from a thread or a work
 * item, never from an interrupt or a dmaengine callback.
 */
#ifndef FPGACAP_QUEUE_H
#define FPGACAP_QUEUE_H

#include <linux/list.h>
#include <linux/poll.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "../uapi/fpgacap.h"
#include "pool.h"

struct fpgacap_inject;
struct fpgacap_pool;

/*
 * free --take--> active --complete--> done --dequeue--> user --return--+
 *   ^              |                   |   --read_take--> read --+     |
 *   +---requeue----+   (stream_on: done and read go back to free)  |     |
 *   +--------------------------------------------------------------+-----+
 *   +---------- the last access ends ---- lent <--return while exported--+
 */
enum fpgacap_buf_state {
	FPGACAP_BUF_FREE,		/* the driver holds it, unfilled */
	FPGACAP_BUF_ACTIVE,		/* the source (and its device) fills it */
	FPGACAP_BUF_DONE,		/* filled, waiting for DEQUEUE or read */
	FPGACAP_BUF_USER,		/* DEQUEUE gave it to userspace */
	FPGACAP_BUF_READ,		/* read() is copying it out */
	FPGACAP_BUF_LENT,		/* returned, an importer still has it */
};

/**
 * struct fpgacap_buf - one buffer of the pool, as the queue tracks it
 * @index: its place in the pool (offset index * buffer_size in the mapping)
 * @sgt: the DMA segments its source's engine writes (NULL for a CPU
 *	source); never mapped or synced through it
 * @pages: its pages, buffer_size / PAGE_SIZE of them, for CPU sources
 * @list: on the free or done list (queue.c only)
 * @state: where it is (queue.c only)
 * @accesses: importers' accesses of its dma-buf now (queue.c only)
 * @info: what DEQUEUE reports, set at completion (queue.c only)
 *
 * A source reads @index, @sgt and @pages of the buffers it took, and
 * nothing else.
 */
struct fpgacap_buf {
	u32 index;
	struct sg_table *sgt;
	struct page **pages;
	struct list_head list;
	enum fpgacap_buf_state state;
	unsigned int accesses;
	struct fpgacap_buffer info;
};

/**
 * struct fpgacap_queue - buffer ownership, stream accounting and waits
 *
 * Every field is private to queue.c and guarded by @lock unless said
 * otherwise; other files use the functions below.
 *
 * @lock: the lists, states, counters, @streaming and @error
 * @inject: the device's test hooks (set once, at init)
 * @pool: the attached pool (the device's reference), or NULL
 * @bufs: one entry per buffer of @pool
 * @count: buffers in @pool
 * @buffer_size: bytes per buffer
 * @layout: @pool's, where the source writes in a buffer
 * @free: buffers the source may take, returned ones last
 * @done: filled buffers, oldest first
 * @nfree: buffers on @free
 * @nactive: buffers the source holds
 * @ndone: buffers on @done
 * @nuser: buffers userspace holds (DEQUEUE or read())
 * @streaming: the source may take buffers
 * @error: negative errno the source failed with, 0 if none
 * @cut: the stream ended at a failed buffer or a stall: nothing the
 *	engine finishes after it is delivered (a failed submission leaves
 *	the transfers before it to arrive)
 * @session: changes whenever held buffers stop being valid for a caller
 *	that dropped the device lock (attach, detach, stream_on, reclaim)
 * @sequence: sequence number of the next completed buffer
 * @offset: stream position of the next byte
 * @pending_lost: bytes dropped since the last completion
 * @pending_gap: a drop (perhaps of unknown size) since the last completion
 * @stats: the counters STATS reports
 * @done_wq: DEQUEUE, read() and poll wait here for data, errors, the end
 * @free_wq: CPU sources wait here for a free buffer
 * @watchdog: turns a source that stops completing into -ETIMEDOUT
 * @last_progress: jiffies of the last take or completion
 * @stall_timeout_ms: watchdog timeout, 0 = off (READ_ONCE; sysfs sets it)
 * @fill_time_ms: how long the source itself takes to fill one buffer (a
 *	real-time source with a rate); the watchdog waits that much longer
 */
struct fpgacap_queue {
	spinlock_t lock;		/* see above */
	struct fpgacap_inject *inject;
	struct fpgacap_pool *pool;
	struct fpgacap_buf *bufs;
	u32 count;
	size_t buffer_size;
	struct fpgacap_layout layout;
	struct list_head free;
	struct list_head done;
	u32 nfree, nactive, ndone, nuser;
	bool streaming;
	int error;
	bool cut;
	u64 session;
	u64 sequence;
	u64 offset;
	u64 pending_lost;
	bool pending_gap;
	struct fpgacap_stats stats;
	wait_queue_head_t done_wq;
	wait_queue_head_t free_wq;
	struct delayed_work watchdog;
	unsigned long last_progress;
	unsigned int stall_timeout_ms;
	unsigned int fill_time_ms;
};

void fpgacap_queue_init(struct fpgacap_queue *q, struct fpgacap_inject *inj);
int fpgacap_queue_attach(struct fpgacap_queue *q, struct fpgacap_pool *pool);
struct fpgacap_pool *fpgacap_queue_detach(struct fpgacap_queue *q);
struct fpgacap_pool *fpgacap_queue_pool(struct fpgacap_queue *q);
size_t fpgacap_queue_buffer_size(struct fpgacap_queue *q);
void fpgacap_queue_layout(struct fpgacap_queue *q, struct fpgacap_layout *l);
u32 fpgacap_queue_count(struct fpgacap_queue *q);

void fpgacap_queue_stream_on(struct fpgacap_queue *q);
void fpgacap_queue_stream_off(struct fpgacap_queue *q);
bool fpgacap_queue_streaming(struct fpgacap_queue *q);
void fpgacap_queue_reclaim(struct fpgacap_queue *q);

/* For sources. */
void fpgacap_queue_set_fill_time(struct fpgacap_queue *q, unsigned int ms);
struct fpgacap_buf *fpgacap_queue_take(struct fpgacap_queue *q);
void fpgacap_queue_wait_free(struct fpgacap_queue *q, bool (*stop)(void));
void fpgacap_queue_complete(struct fpgacap_queue *q, struct fpgacap_buf *buf,
			    size_t bytes_used, u32 flags);
void fpgacap_queue_requeue(struct fpgacap_queue *q, struct fpgacap_buf *buf);
void fpgacap_queue_drop(struct fpgacap_queue *q, u64 bytes);
void fpgacap_queue_fail(struct fpgacap_queue *q, int err);

/* For the file interface. */
u32 fpgacap_queue_dequeue(struct fpgacap_queue *q, struct fpgacap_buffer *out,
			  u32 max, u64 *session);
void fpgacap_queue_undequeue(struct fpgacap_queue *q,
			     const struct fpgacap_buffer *in, u32 n,
			     u64 session);
int fpgacap_queue_return(struct fpgacap_queue *q, const u32 *idx, u32 n);
int fpgacap_queue_read_take(struct fpgacap_queue *q, bool gap_ok,
			    struct fpgacap_buffer *info, u64 *session);
void fpgacap_queue_read_release(struct fpgacap_queue *q, u32 index,
				u64 session);
int fpgacap_queue_status(struct fpgacap_queue *q);
bool fpgacap_queue_held(struct fpgacap_queue *q, u32 index);
int fpgacap_queue_access_begin(struct fpgacap_queue *q,
			       struct fpgacap_pool *pool, u32 index);
bool fpgacap_queue_access_end(struct fpgacap_queue *q,
			      struct fpgacap_pool *pool, u32 index);
int fpgacap_queue_wait(struct fpgacap_queue *q, s64 timeout_ns);
__poll_t fpgacap_queue_poll(struct fpgacap_queue *q, struct file *file,
			    poll_table *wait);
void fpgacap_queue_get_stats(struct fpgacap_queue *q, struct fpgacap_stats *st);
/* The longest stall timeout: a day. */
#define FPGACAP_STALL_TIMEOUT_MAX_MS (24U * 3600 * 1000)
unsigned int fpgacap_queue_stall_timeout(struct fpgacap_queue *q);
int fpgacap_queue_set_stall_timeout(struct fpgacap_queue *q, unsigned int ms);

#endif /* FPGACAP_QUEUE_H */
