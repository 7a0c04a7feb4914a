// SPDX-License-Identifier: GPL-2.0-only
/*
 * dmaengine sources: the paths real hardware takes.
 *
 * slave:  DEV_TO_MEM scatter-gather from a peripheral FIFO (PL330 with FPGA
 *         request lines, Xilinx AXI DMA S2MM, Intel mSGDMA). Each buffer is
 *         one descriptor built straight from the pool's sg_table. An end
 *         of packet (TLAST) closes the segment it falls in and the engine
 *         goes on in the next; the residue it reports, summed over the
 *         segments, becomes bytes_used < buffer_size, which is where the
 *         data ends only when the packet ended in the last segment
 *         (docs/bringup.md asks designs for that).
 * memcpy: the data sits in a memory window (BRAM, on-chip RAM) and the
 *         engine copies it into each buffer's segments, window after window.
 *
 * Several descriptors stay in flight so the engine never waits for
 * software. The engine's callback (an interrupt or a tasklet) only records
 * the result in the buffer's slot and schedules the source's work item;
 * everything per buffer (the DMA syncs, preparing and submitting the next
 * descriptors) runs there, in process context with interrupts on. The
 * slots form a ring in submission order and buffers are delivered from its
 * head, so nothing is delivered out of order.
 *
 * A callback names its transfer by a token: the callback parameter, one
 * of a fixed set, armed at submission. A callback on a token that is not
 * armed does nothing, so a late one (an engine without a working
 * device_synchronize may call back after dmaengine_terminate_sync()
 * returned) touches neither the ring nor the queue, nor queues the work
 * item. The transfers STOP terminates retire their tokens; a retired token
 * comes free only once nothing can call back on it any more: its late
 * callback came, the engine's device_synchronize says so, an RCU grace
 * period covers an engine whose callbacks run in softirq or interrupt
 * context, or the channel was released. An engine that calls back from a
 * thread of its own and cannot synchronize (shdma) leaves retired tokens
 * that may never come free; when too few are left, STOP releases the
 * channel and requests it anew.
 *
 * A prep that returns NULL while transfers are in flight is back-pressure
 * (Xilinx AXI DMA has a fixed number of hardware descriptors, which large
 * buffers of small pages use up): the next completion tries again. With
 * nothing in flight prep is retried for DMA_PREP_GRACE_MS, then the stream
 * fails (-ENOMEM). Descriptors are prepared with DMA_CTRL_ACK: engines
 * such as rcar-dmac, shdma, at_hdmac and ste_dma40 reuse only acknowledged
 * ones.
 *
 * If no free buffer is left the ring runs dry: for a slave source the
 * peripheral overruns, which is counted as a drop of unknown size, and the
 * next buffer is flagged LOST. A memcpy window loses nothing.
 *
 * What an engine's driver does not report, fpgacap cannot know: pl330 and
 * altera-msgdma (6.1 to 7.3) call back without a result, so a bus error
 * there arrives as a full, good buffer; only a transfer that never ends is
 * caught, by the watchdog. AXI DMA and ZDMA report results and residue.
 */
#include <linux/dma-mapping.h>
#include <linux/dmaengine.h>
#include <linux/io.h>
#include <linux/kmemleak.h>
#include <linux/lockdep.h>
#include <linux/math64.h>
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/preempt.h>
#include <linux/property.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include "compat.h"
#include "fpgacap.h"

#define DMA_MAX_IN_FLIGHT 32
/* Callback parameters: a full ring, and room for retired ones. */
#define DMA_TOKENS (4 * DMA_MAX_IN_FLIGHT)
/* A refused prep with nothing in flight: retried this often, this long. */
#define DMA_PREP_RETRY_MS 2
#define DMA_PREP_GRACE_MS 100

static unsigned int stop_drain_ms = 200;
module_param(stop_drain_ms, uint, 0644);
MODULE_PARM_DESC(stop_drain_ms,
		 "how long STOP lets in-flight DMA finish before killing it");

struct dma_source;

/*
 * FREE: names no transfer. ARMED: names the transfer of its slot. RETIRED:
 * its transfer was terminated, and a late callback may still come.
 */
enum dma_token_state {
	DMA_TOKEN_FREE,
	DMA_TOKEN_ARMED,
	DMA_TOKEN_RETIRED,
};

struct dma_tokens;

/* A callback's parameter. */
struct dma_token {
	struct dma_tokens *set;
	enum dma_token_state state;
	unsigned int slot;		/* armed: its slot in the ring */
};

/*
 * The callback parameters, and the lock a callback takes: apart from the
 * source, because an engine that calls back from a thread of its own and
 * cannot synchronize may call back after the source is gone. Such a set
 * is left behind (@ds NULL), never freed, while it has retired tokens.
 */
struct dma_tokens {
	spinlock_t lock;		/* the source's ring and these tokens */
	struct dma_source *ds;		/* NULL once the source let go */
	bool callbacks_seen;		/* the engine has called back */
	bool thread_callbacks;		/* from a thread that is not ours */
	unsigned int next;		/* where the search for a free one starts */
	unsigned int retired;		/* tokens retired */
	struct dma_token tok[DMA_TOKENS];
};

/*
 * One descriptor in flight. @buf is the work item's (and stop's, once the
 * work is cancelled); the rest is written by the callback under the
 * tokens' lock.
 */
struct dma_slot {
	struct fpgacap_buf *buf;
	struct dma_token *token;	/* armed, until its callback */
	bool done;			/* the engine finished it */
	bool held;			/* stall hook: as if it never finished */
	enum dmaengine_tx_result result;
	u32 residue;
};

/* memcpy: a buffer some of whose pieces are submitted (work item only). */
struct dma_partial {
	struct fpgacap_buf *buf;	/* NULL: none */
	struct scatterlist *sg;		/* the segment being filled */
	unsigned int index;		/* its index */
	size_t off;			/* bytes of it submitted */
	u64 phase;			/* stream position of the next piece */
};

struct dma_source {
	struct fpgacap_source src;
	struct device *parent;		/* names the channel, configures it */
	struct dma_chan *chan;
	bool memcpy;
	struct delayed_work work;	/* delivers, refills, retries a prep */
	/* Its lock guards slots, head, count and running too. */
	struct dma_tokens *tokens;
	bool running;			/* new transfers may be submitted */
	unsigned int max_in_flight;
	unsigned int head, count;	/* the ring of slots in flight */
	struct dma_slot slots[DMA_MAX_IN_FLIGHT];
	/* Work item only (and stop, once the work is cancelled). */
	bool ring_dry;
	unsigned long refused_since;	/* jiffies: prep refused, none in flight */
	struct dma_partial part;
	wait_queue_head_t idle;		/* stop waits for the ring to drain */
	struct fpgacap_layout layout;	/* set at start */
	/* memcpy: the window, mapped for the engine to read. */
	phys_addr_t window_phys;
	size_t window_size;
	dma_addr_t window_dma;
	u64 pos;			/* memcpy: stream position submitted */
};

/* A new set of tokens for @ds, every one free. */
static struct dma_tokens *dma_tokens_new(struct dma_source *ds)
{
	struct dma_tokens *set = kzalloc_obj(*set, GFP_KERNEL);
	unsigned int i;

	if (!set)
		return NULL;
	spin_lock_init(&set->lock);
	set->ds = ds;
	for (i = 0; i < DMA_TOKENS; i++)
		set->tok[i].set = set;
	return set;
}

/*
 * The source lets go of its tokens (the channel was released). A late
 * callback may still come on a retired one only from an engine that calls
 * back from its own thread and cannot synchronize: that set stays, with
 * no source, and is never freed (kmemleak is told so). Return: true if
 * @set was freed.
 */
static bool dma_tokens_put(struct dma_tokens *set, bool synchronizes)
{
	bool leave;

	spin_lock_irq(&set->lock);
	leave = set->retired && set->thread_callbacks && !synchronizes;
	set->ds = NULL;
	spin_unlock_irq(&set->lock);
	if (!leave) {
		kfree(set);
		return true;
	}
	/* On purpose: one set per released channel of such an engine. */
	kmemleak_not_leak(set);
	return false;
}

/* A free token, armed for @slot; the tokens' lock held. */
static struct dma_token *dma_token_arm(struct dma_source *ds,
				       unsigned int slot)
{
	struct dma_tokens *set = ds->tokens;
	unsigned int n;

	lockdep_assert_held(&set->lock);
	/* Round robin: a token freed last is reused last. */
	for (n = 0; n < DMA_TOKENS; n++) {
		struct dma_token *t = &set->tok[set->next];

		set->next = (set->next + 1) % DMA_TOKENS;
		if (t->state == DMA_TOKEN_FREE) {
			t->state = DMA_TOKEN_ARMED;
			t->slot = slot;
			return t;
		}
	}
	return NULL;
}

/* Tokens a new transfer may still take; the tokens' lock held. */
static unsigned int dma_tokens_left(struct dma_source *ds)
{
	lockdep_assert_held(&ds->tokens->lock);
	return DMA_TOKENS - ds->tokens->retired - ds->count;
}

/*
 * Interrupt, tasklet or thread context: record, and let the work item act.
 * Only a callback on an armed token is one of the current stream's.
 */
static void dma_callback(void *param, const struct dmaengine_result *res)
{
	struct dma_token *token = param;
	struct dma_tokens *set = token->set;
	struct dma_source *ds;
	unsigned long flags;

	spin_lock_irqsave(&set->lock, flags);
	ds = set->ds;
	set->callbacks_seen = true;
	/* issue_pending may call back in our own work item (PL330). */
	if (in_task() && (!ds || current_work() != &ds->work.work))
		set->thread_callbacks = true;
	if (token->state == DMA_TOKEN_ARMED) {
		struct dma_slot *slot = &ds->slots[token->slot];

		slot->result = res->result;
		slot->residue = res->residue;
		slot->done = true;
		slot->token = NULL;
		/*
		 * Queued under the lock: once stop has disarmed every token
		 * and cancelled the work, no callback can queue it again.
		 */
		mod_delayed_work(system_highpri_wq, &ds->work, 0);
	} else if (token->state == DMA_TOKEN_RETIRED) {
		/* A terminated transfer's late callback: it is over now. */
		set->retired--;
	}
	token->state = DMA_TOKEN_FREE;
	spin_unlock_irqrestore(&set->lock, flags);
}

/*
 * memcpy: copy the window, cyclically, into every segment of @buf, from
 * where a refused call stopped. Every piece but the last is submitted as
 * it is made (it has no callback: the last one's speaks for all, pieces
 * complete in order); @submitted tells the caller to issue them.
 *
 * Return: the last piece, prepared, not submitted; NULL when the engine
 * refused one (ds->part remembers where to go on); ERR_PTR on a failed
 * submission.
 */
static struct dma_async_tx_descriptor *
dma_prep_memcpy(struct dma_source *ds, struct fpgacap_buf *buf,
		bool *submitted)
{
	struct dma_partial *p = &ds->part;
	struct sg_table *sgt = buf->sgt;

	if (p->buf != buf)
		*p = (struct dma_partial){ .buf = buf, .sg = sgt->sgl,
					   .phase = ds->pos };
	for (; p->index < sgt->nents;
	     p->index++, p->sg = sg_next(p->sg), p->off = 0) {
		while (p->off < sg_dma_len(p->sg)) {
			size_t left = sg_dma_len(p->sg) - p->off;
			struct dma_async_tx_descriptor *tx;
			size_t off, n;
			bool last;
			u64 rem;

			div64_u64_rem(p->phase, ds->window_size, &rem);
			off = rem;
			n = min(left, ds->window_size - off);
			last = n == left && p->index == sgt->nents - 1;
			tx = dmaengine_prep_dma_memcpy(ds->chan,
						       sg_dma_address(p->sg) +
						       p->off,
						       ds->window_dma + off, n,
						       DMA_CTRL_ACK |
						       (last ?
							DMA_PREP_INTERRUPT :
							0));
			if (!tx || last)
				return tx;
			if (dma_submit_error(dmaengine_submit(tx)))
				return ERR_PTR(-EIO);
			*submitted = true;
			p->off += n;
			p->phase += n;
		}
	}
	return ERR_PTR(-EINVAL);	/* an empty table: never built */
}

static struct dma_async_tx_descriptor *dma_prep(struct dma_source *ds,
						struct fpgacap_buf *buf,
						bool *submitted)
{
	if (ds->memcpy)
		return dma_prep_memcpy(ds, buf, submitted);
	return dmaengine_prep_slave_sg(ds->chan, buf->sgt->sgl, buf->sgt->nents,
				       DMA_DEV_TO_MEM,
				       DMA_PREP_INTERRUPT | DMA_CTRL_ACK);
}

/*
 * Hand finished buffers to the queue, oldest first. The work item, or
 * stop once the work item cannot run.
 */
static void dma_deliver(struct dma_source *ds)
{
	struct fpgacap_queue *q = ds->src.q;
	struct fpgacap_inject *inj = ds->src.inject;

	for (;;) {
		enum dmaengine_tx_result result;
		struct fpgacap_buf *buf;
		struct dma_slot *slot;
		size_t bytes = ds->layout.table;
		u32 residue, flags = 0;

		spin_lock_irq(&ds->tokens->lock);
		slot = &ds->slots[ds->head];
		if (!ds->count || !slot->done || slot->held) {
			spin_unlock_irq(&ds->tokens->lock);
			break;
		}
		if (fpgacap_inject(&inj->stall)) {
			slot->held = true;
			spin_unlock_irq(&ds->tokens->lock);
			break;
		}
		buf = slot->buf;
		result = slot->result;
		residue = slot->residue;
		slot->buf = NULL;
		ds->head = (ds->head + 1) % ds->max_in_flight;
		ds->count--;
		spin_unlock_irq(&ds->tokens->lock);

		/* A memcpy callback speaks for its last piece only. */
		if (!ds->memcpy)
			bytes -= min_t(size_t, residue, bytes);
		/* The stream bytes: with records, not the slots' headers. */
		bytes = fpgacap_layout_payload(&ds->layout, bytes);
		if (result != DMA_TRANS_NOERROR || fpgacap_inject(&inj->error))
			flags |= FPGACAP_BUF_ERROR;
		if (fpgacap_inject(&inj->short_fill))
			bytes = round_down(ds->layout.payload / 2, 8);
		/* Synced for the CPU there: the CPU owns it from here. */
		fpgacap_queue_complete(q, buf, bytes, flags);
	}
	wake_up(&ds->idle);
}

/*
 * A prep was refused (@refused) or not. With transfers in flight the next
 * completion tries again; with none, a timer does, until the grace period
 * is over and the stream fails. Work item only.
 */
static void dma_backpressure(struct dma_source *ds, bool refused)
{
	unsigned long grace = msecs_to_jiffies(DMA_PREP_GRACE_MS);
	bool in_flight;

	spin_lock_irq(&ds->tokens->lock);
	in_flight = ds->count;
	spin_unlock_irq(&ds->tokens->lock);
	if (!refused || in_flight) {
		ds->refused_since = 0;
		return;
	}
	if (!ds->refused_since) {
		ds->refused_since = jiffies;
	} else if (time_after(jiffies, ds->refused_since + grace)) {
		dev_err_ratelimited(ds->parent,
				    "%s: the engine takes no descriptor for a buffer with nothing in flight: fewer segments per buffer (larger chunks, smaller buffers) may fit it\n",
				    ds->src.name);
		ds->refused_since = 0;
		fpgacap_queue_fail(ds->src.q, -ENOMEM);
		return;
	}
	queue_delayed_work(system_highpri_wq, &ds->work,
			   msecs_to_jiffies(DMA_PREP_RETRY_MS) ?: 1);
}

/* Keep max_in_flight descriptors queued while running; work item only. */
static void dma_refill(struct dma_source *ds)
{
	struct fpgacap_queue *q = ds->src.q;
	bool submitted = false, refused = false, dry;

	for (;;) {
		struct dma_async_tx_descriptor *tx;
		struct dma_token *token;
		struct fpgacap_buf *buf;
		struct dma_slot *slot;
		unsigned int i;
		bool room;

		spin_lock_irq(&ds->tokens->lock);
		room = ds->running && ds->count < ds->max_in_flight &&
		       dma_tokens_left(ds);
		spin_unlock_irq(&ds->tokens->lock);
		if (!room)
			break;
		/* Synced for the device: it owns the memory from here. */
		buf = ds->part.buf ? ds->part.buf : fpgacap_queue_take(q);
		if (!buf)
			break;
		tx = dma_prep(ds, buf, &submitted);
		if (!tx) {
			/* Back-pressure: no descriptor free in the engine. */
			if (!ds->memcpy)
				fpgacap_queue_requeue(q, buf);
			refused = true;
			break;
		}
		if (IS_ERR(tx)) {
			ds->part.buf = NULL;
			fpgacap_queue_requeue(q, buf);
			fpgacap_queue_fail(q, -EIO);
			break;
		}
		ds->part.buf = NULL;

		spin_lock_irq(&ds->tokens->lock);
		i = (ds->head + ds->count) % ds->max_in_flight;
		slot = &ds->slots[i];
		token = dma_token_arm(ds, i);
		if (WARN_ON_ONCE(!token)) {	/* room was checked under it */
			spin_unlock_irq(&ds->tokens->lock);
			fpgacap_queue_requeue(q, buf);
			break;
		}
		slot->buf = buf;
		slot->token = token;
		slot->done = false;
		slot->held = false;
		ds->count++;
		spin_unlock_irq(&ds->tokens->lock);

		tx->callback_result = dma_callback;
		tx->callback_param = token;
		if (dma_submit_error(dmaengine_submit(tx))) {
			spin_lock_irq(&ds->tokens->lock);
			token->state = DMA_TOKEN_FREE;
			slot->buf = NULL;
			slot->token = NULL;
			ds->count--;
			spin_unlock_irq(&ds->tokens->lock);
			fpgacap_queue_requeue(q, buf);
			fpgacap_queue_fail(q, -EIO);
			break;
		}
		ds->pos += ds->layout.table;
		submitted = true;
	}
	if (submitted)
		dma_async_issue_pending(ds->chan);
	dma_backpressure(ds, refused);

	spin_lock_irq(&ds->tokens->lock);
	dry = ds->running && !ds->count;
	spin_unlock_irq(&ds->tokens->lock);
	/* The engine has nowhere to write: the peripheral overruns. */
	if (dry && !ds->ring_dry && !ds->memcpy)
		fpgacap_queue_drop(q, 0);
	ds->ring_dry = dry;
}

static void dma_work(struct work_struct *work)
{
	struct dma_source *ds = container_of(to_delayed_work(work),
					     struct dma_source, work);

	dma_deliver(ds);
	dma_refill(ds);
}

static int dma_start(struct fpgacap_source *src)
{
	struct dma_source *ds = container_of(src, struct dma_source, src);
	unsigned int left;

	spin_lock_irq(&ds->tokens->lock);
	left = DMA_TOKENS - ds->tokens->retired;
	spin_unlock_irq(&ds->tokens->lock);
	if (left < ds->max_in_flight)
		return -ENOMEM;
	fpgacap_queue_layout(src->q, &ds->layout);
	ds->pos = 0;
	ds->ring_dry = false;
	ds->refused_since = 0;
	spin_lock_irq(&ds->tokens->lock);
	ds->running = true;
	spin_unlock_irq(&ds->tokens->lock);
	mod_delayed_work(system_highpri_wq, &ds->work, 0);
	return 0;
}

static bool dma_idle(struct dma_source *ds)
{
	bool idle;

	spin_lock_irq(&ds->tokens->lock);
	idle = !ds->count;
	spin_unlock_irq(&ds->tokens->lock);
	return idle;
}

/* The engine's dmaengine_synchronize() waits for its callbacks. */
static bool dma_synchronizes(struct dma_source *ds)
{
	return ds->chan->device->device_synchronize;
}

/*
 * Too many tokens are retired for a new stream: the source takes a new
 * set and leaves the old one to the late callbacks that may still come
 * (dma_tokens_put()). What the engine has seen of its callbacks carries
 * over.
 */
static void dma_renew_tokens(struct dma_source *ds)
{
	struct dma_tokens *old = ds->tokens, *set = dma_tokens_new(ds);

	if (!set)
		return;		/* START says ENOMEM while too few are left */
	set->callbacks_seen = old->callbacks_seen;
	set->thread_callbacks = old->thread_callbacks;
	ds->tokens = set;
	if (!dma_tokens_put(old, dma_synchronizes(ds)))
		dev_warn_once(ds->parent,
			      "%s: the engine calls back from its own thread and cannot synchronize: tokens of terminated transfers stay allocated\n",
			      ds->src.name);
}

/*
 * Stop: submit nothing more and let what is in flight finish and be
 * delivered (DEQUEUE drains it), for up to stop_drain_ms. Transfers that
 * do not end by then (a peripheral gone quiet, a stall) are terminated.
 */
static void dma_stop(struct fpgacap_source *src)
{
	struct dma_source *ds = container_of(src, struct dma_source, src);
	struct fpgacap_queue *q = src->q;
	bool quiet;
	unsigned int i;

	spin_lock_irq(&ds->tokens->lock);
	ds->running = false;
	spin_unlock_irq(&ds->tokens->lock);
	/*
	 * A work item that submitted before seeing !running finishes with its
	 * issue_pending now, not after the terminate below (which would leave
	 * the engine an issue_pending with nothing to issue). A retry waiting
	 * for its timer runs now and submits nothing.
	 */
	flush_delayed_work(&ds->work);
	wait_event_timeout(ds->idle, dma_idle(ds),
			   msecs_to_jiffies(READ_ONCE(stop_drain_ms)));

	dmaengine_terminate_sync(ds->chan);
	/*
	 * terminate_sync waits for running callbacks through the engine's
	 * device_synchronize. pl330 and altera-msgdma have none; they call
	 * back from a tasklet, and a callback their tasklet already picked up
	 * runs in softirq context, which a grace period waits out.
	 */
	if (!dma_synchronizes(ds))
		synchronize_rcu();

	/*
	 * Disarm every token: a late callback now does nothing. Where it
	 * may still come (the engine cannot synchronize, and its callbacks
	 * were seen running in a thread of its own, or not seen at all), the
	 * token is retired until it does.
	 */
	spin_lock_irq(&ds->tokens->lock);
	quiet = dma_synchronizes(ds) ||
		(ds->tokens->callbacks_seen && !ds->tokens->thread_callbacks);
	for (i = 0; i < ds->count; i++) {
		struct dma_slot *slot = &ds->slots[(ds->head + i) %
						   ds->max_in_flight];

		if (!slot->token)
			continue;
		slot->token->state = quiet ? DMA_TOKEN_FREE :
					     DMA_TOKEN_RETIRED;
		ds->tokens->retired += !quiet;
		slot->token = NULL;
	}
	spin_unlock_irq(&ds->tokens->lock);
	/* No token is armed: no callback queues the work item again. */
	cancel_delayed_work_sync(&ds->work);

	/* Nothing else touches the ring now. Finished transfers are data. */
	dma_deliver(ds);
	for (i = 0; i < ds->count; i++) {
		struct dma_slot *slot = &ds->slots[(ds->head + i) %
						   ds->max_in_flight];

		/* Terminated: the device wrote what it wrote; unread. */
		fpgacap_queue_requeue(q, slot->buf);
		slot->buf = NULL;
	}
	if (ds->part.buf)
		fpgacap_queue_requeue(q, ds->part.buf);
	ds->part.buf = NULL;
	ds->head = 0;
	ds->count = 0;

	if (DMA_TOKENS - ds->tokens->retired < ds->max_in_flight)
		dma_renew_tokens(ds);
}

static void dma_kick(struct fpgacap_source *src)
{
	struct dma_source *ds = container_of(src, struct dma_source, src);

	mod_delayed_work(system_highpri_wq, &ds->work, 0);
}

static void dma_destroy(struct fpgacap_source *src)
{
	struct dma_source *ds = container_of(src, struct dma_source, src);

	bool synchronizes = dma_synchronizes(ds);

	/*
	 * No token is armed (stop ran): a callback the engine still runs,
	 * during the release or after it, queues nothing. Release, then the
	 * work item cannot come back; the tokens are let go last, and stay
	 * where a late callback may still come (dma_tokens_put()).
	 */
	dma_release_channel(ds->chan);
	cancel_delayed_work_sync(&ds->work);
	if (ds->window_size)
		dma_unmap_resource(ds->src.dma_dev, ds->window_dma,
				   ds->window_size, DMA_TO_DEVICE, 0);
	dma_tokens_put(ds->tokens, synchronizes);
	kfree(ds);
}

static const struct fpgacap_source_ops dma_ops = {
	.start = dma_start,
	.stop = dma_stop,
	.kick = dma_kick,
	.destroy = dma_destroy,
};

/*
 * Slave configuration from the firmware node. Engines that stream (AXI DMA
 * S2MM, mSGDMA) need no FIFO address; the PL330 does.
 */
static int dma_setup_slave(struct dma_source *ds, struct device *dev)
{
	struct dma_slave_config cfg = {
		.direction = DMA_DEV_TO_MEM,
	};
	u32 width = 4, burst = 4, fifo32;
	u64 fifo;

	if (!device_property_read_u64(dev, "fpgacap,fifo-address", &fifo))
		cfg.src_addr = fifo;
	else if (!device_property_read_u32(dev, "fpgacap,fifo-address",
					   &fifo32))
		cfg.src_addr = fifo32;
	else
		return 0;
	device_property_read_u32(dev, "fpgacap,bus-width", &width);
	device_property_read_u32(dev, "fpgacap,burst", &burst);
	if (!is_power_of_2(width) || width > 8 || !burst)
		return -EINVAL;
	cfg.src_addr_width = width;
	cfg.src_maxburst = burst;
	return dmaengine_slave_config(ds->chan, &cfg);
}

/*
 * The memory window the engine copies from. With fpgacap,fill-window the
 * driver writes the test pattern into it (FPGACAP_PATTERN_WORD at every
 * 8 bytes), so tests can check every byte that lands in a buffer.
 */
static int dma_setup_window(struct dma_source *ds, struct device *dev)
{
	struct device *dma_dev = ds->src.dma_dev;
	struct resource *res;

	res = platform_get_resource(to_platform_device(dev), IORESOURCE_MEM, 0);
	if (!res)
		return -EINVAL;
	if (resource_size(res) < 8 || resource_size(res) % 8)
		return -EINVAL;
	ds->window_phys = res->start;
	ds->window_size = resource_size(res);

	if (device_property_read_bool(dev, "fpgacap,fill-window")) {
		void __iomem *win = ioremap(res->start, ds->window_size);
		size_t k;

		if (!win)
			return -ENOMEM;
		for (k = 0; k < ds->window_size; k += 8) {
			u64 word = FPGACAP_PATTERN_WORD(k);

			iowrite32(lower_32_bits(word), win + k);
			iowrite32(upper_32_bits(word), win + k + 4);
		}
		iounmap(win);
	}

	ds->window_dma = dma_map_resource(dma_dev, ds->window_phys,
					  ds->window_size, DMA_TO_DEVICE, 0);
	if (dma_mapping_error(dma_dev, ds->window_dma)) {
		ds->window_size = 0;
		return -ENOMEM;
	}
	return 0;
}

/**
 * fpgacap_dmaengine_create() - a dmaengine source for a device
 * @fdev: the device, not yet registered; its parent names the "rx" channel
 *	and carries the configuration (device tree or software node)
 * @memcpy: copy from the memory window in the parent's first resource,
 *	rather than stream from a peripheral
 *
 * Return: the source or an ERR_PTR (-EPROBE_DEFER while the channel's
 * provider has not probed).
 */
struct fpgacap_source *fpgacap_dmaengine_create(struct fpgacap_dev *fdev,
						bool memcpy)
{
	struct device *dev = fdev->parent;
	struct dma_source *ds;
	u32 n = 4;
	int ret;

	device_property_read_u32(dev, "fpgacap,max-in-flight", &n);
	if (!n || n > DMA_MAX_IN_FLIGHT) {
		dev_err(dev, "fpgacap,max-in-flight must be 1..%d\n",
			DMA_MAX_IN_FLIGHT);
		return ERR_PTR(-EINVAL);
	}
	ds = kzalloc_obj(*ds, GFP_KERNEL);
	if (!ds)
		return ERR_PTR(-ENOMEM);
	ds->tokens = dma_tokens_new(ds);
	if (!ds->tokens) {
		kfree(ds);
		return ERR_PTR(-ENOMEM);
	}
	init_waitqueue_head(&ds->idle);
	INIT_DELAYED_WORK(&ds->work, dma_work);
	ds->parent = dev;
	ds->max_in_flight = n;
	ds->memcpy = memcpy;

	ds->chan = dma_request_chan(dev, "rx");
	if (IS_ERR(ds->chan)) {
		ret = dev_err_probe(dev, PTR_ERR(ds->chan), "no rx DMA channel\n");
		goto err_free;
	}
	/*
	 * STOP must be able to end a transfer that never ends: an engine
	 * without terminate (altera-msgdma) would go on writing pages the
	 * pool has let go of.
	 */
	ret = -EOPNOTSUPP;
	if (!ds->chan->device->device_terminate_all) {
		dev_err(dev, "%s: the DMA engine cannot terminate transfers: a stream could not be stopped safely\n",
			dma_chan_name(ds->chan));
		goto err_release;
	}
	/* The device that writes the pool, which is mapped for it. */
	ds->src.dma_dev = ds->chan->device->dev;

	ret = memcpy ? dma_setup_window(ds, dev) : dma_setup_slave(ds, dev);
	if (ret) {
		dev_err(dev, "bad %s configuration: %d\n",
			memcpy ? "memcpy window" : "slave DMA", ret);
		goto err_release;
	}

	ds->src.ops = &dma_ops;
	ds->src.q = &fdev->queue;
	ds->src.inject = &fdev->inject;
	ds->src.type = memcpy ? FPGACAP_SOURCE_MEMCPY : FPGACAP_SOURCE_SLAVE_DMA;
	/* It writes a buffer's table, whatever the layout made of it. */
	ds->src.caps = FPGACAP_CAP_SLOTS | FPGACAP_CAP_RECORDS;
	/* A window copied piece by piece: no transfer ends at a record. */
	ds->src.records_stream = memcpy;
	strscpy(ds->src.name, dma_chan_name(ds->chan), sizeof(ds->src.name));
	return &ds->src;

err_release:
	dma_release_channel(ds->chan);
err_free:
	kfree(ds->tokens);
	kfree(ds);
	return ERR_PTR(ret);
}
