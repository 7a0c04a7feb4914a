// SPDX-License-Identifier: GPL-2.0
/*
 * fpgacap-testdma: a dmaengine provider for tests, never installed or
 * shipped. It behaves the way real slave engines do where QEMU's PL330
 * cannot: transfers that end early at TLAST and report residue (Xilinx AXI
 * DMA S2MM), results that fail, transfers that never end, callbacks with no
 * result (PL330, Altera mSGDMA), and a callback that runs after
 * dmaengine_terminate_sync() returned (an engine without
 * device_synchronize, whose tasklet had already picked it up).
 *
 * Data moves the way hardware moves it, through the DMA API: the engine
 * writes at each segment's DMA address (DMA address -> physical -> page),
 * so with swiotlb=force, or with the checking DMA operations of
 * testdma-bounce.c (bounce), it writes bounce buffers and only the
 * client's dma_sync_*() calls bring the data to its pages. The data is
 * fpgacap's test pattern: the stream of little-endian 64-bit words, the
 * word at stream offset 8k holding k (FPGACAP_PATTERN_WORD), the stream
 * offset being the bytes this channel produced since its last terminate
 * (a terminate flushes the FIFO: the stream restarts at 0).
 *
 * Transfers run in submission order from a work item, at a rate (bytes/s,
 * 0: as fast as it can); their callbacks run from a tasklet, or from a
 * worker thread (callbacks_from_thread: shdma's threaded interrupt).
 *
 * Like Xilinx AXI DMA, the channel can have a fixed number of hardware
 * descriptors (desc_limit), one per scatter-gather segment: a prep that
 * finds too few free returns NULL, as xilinx_dma does when earlier
 * transfers hold them. A transfer's descriptors come free after its
 * callback ran, and only once the client acknowledged it (DMA_CTRL_ACK at
 * prep, or async_tx_ack() later), as rcar-dmac, shdma, at_hdmac and
 * ste_dma40 reuse descriptors; terminate frees them all.
 *
 * The module also creates the device fpgacap binds to: platform device
 * "fpgacap-slave.0" with software-node properties (label "testdma", so the
 * node is /dev/fpgacap-testdma), whose "rx" channel is channel 0 through
 * the dma_device's filter map. fpgacap holding the channel holds this
 * module too; unbind fpgacap-slave.0 or unload fpgacap first.
 *
 * Per channel, /sys/kernel/debug/fpgacap-testdma/chan<N>/:
 *   rate              bytes/s the peripheral delivers, 0 = no limit
 *   tlast_after       bytes after which TLAST ends a transfer; writing it
 *                     arms the next transfer (tlast_next = 1 if it was 0)
 *   tlast_next        transfers still to end at TLAST
 *   fail_next         transfers still to fail, without data
 *   fail_result       their dmaengine_tx_result: 1 read failed (default),
 *                     2 write failed, 3 aborted
 *   stall_next        transfers still to stall: never complete, and hold
 *                     back the ones behind them, until terminate
 *   late_callback     completed transfers whose callback is picked up and
 *                     then held for late_callback_ms: by a slow tasklet
 *                     (softirq context, which an RCU grace period waits
 *                     out) or, with callbacks_from_thread, by a thread
 *                     that sleeps; without synchronize it runs after
 *                     terminate returned
 *   late_callback_ms  how long (1000)
 *   synchronize       Y: device_synchronize waits for callbacks (AXI DMA);
 *                     N: the engine has none (PL330, mSGDMA, shdma): its
 *                     dma_device's device_synchronize is NULL, as clients
 *                     see it, and a terminate is all it gives them
 *   no_result         Y: callbacks get no dmaengine_result (PL330, mSGDMA);
 *                     the client sees DMA_TRANS_NOERROR, residue 0
 *   callbacks_in_issue Y: issue_pending runs completed callbacks in the
 *                     caller's context too, as the PL330 driver does
 *   issue_delay_us    issue_pending spins this long (at most 10000) before
 *                     it looks at its queues, as if the calling CPU were
 *                     interrupted or preempted there: it widens the window
 *                     between a client's submit and its issue_pending
 *   desc_limit        hardware descriptors of the channel, one per segment
 *                     (0: no limit)
 *   callbacks_from_thread Y: callbacks (the held late one too) run from a
 *                     worker thread, not in softirq context
 *   flush_on_free     Y: releasing the channel runs a held late callback
 *                     first, instead of dropping it
 *   terminate         N: the engine cannot terminate (altera-msgdma): its
 *                     dma_device's device_terminate_all is NULL; clients
 *                     read it when they take the channel
 * and read-only counters since load: transfers (completed, failed ones
 * included), bytes, segments, failed, stalled, short (ended at TLAST),
 * callbacks, late_callbacks (callbacks of transfers completed before a
 * terminate that were still running, or not yet run, when the client's
 * dmaengine_terminate_sync() after it returned), late_pending (a callback
 * held now),
 * issue_pending, idle_issue_pending (calls that found nothing submitted or
 * running: PL330 WARNs on those), stale_submits and stale_issued
 * (descriptors prepared before a terminate, submitted or issued after it),
 * terminates, alloc_chan and free_chan (channel resources), stream_pos,
 * failed_at (stream_pos where the last failed transfer began), desc_used
 * (hardware descriptors held now), prep_refused (preps that found too
 * few), unacked (descriptors prepared without DMA_CTRL_ACK).
 *
 * For the device, /sys/kernel/debug/fpgacap-testdma/:
 *   max_seg_size      the longest segment the engine takes (its DMA
 *                     parameters; a client reads them when it maps)
 *   seg_boundary      segments may not cross a multiple of this (a power
 *                     of two; 0: no boundary)
 *   bounce            Y: the device's memory moves through the checking DMA
 *                     operations of testdma-bounce.c (only while nothing is
 *                     mapped)
 *   max_mapping       with bounce: the longest mapping, as swiotlb's 256 KiB
 */
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/dma-direct.h>
#include <linux/dma-map-ops.h>
#include <linux/dma-mapping.h>
#include <linux/dmaengine.h>
#include <linux/highmem.h>
#include <linux/interrupt.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/property.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>

#include "../../driver/compat.h"
#include "../../uapi/fpgacap.h"
#include "testdma.h"

#define TDMA_NAME "fpgacap-testdma"
#define TDMA_MAX_CHANNELS 8
/* Bytes written per hold of the channel lock, and per run of the work. */
#define TDMA_CHUNK SZ_16K
#define TDMA_BUDGET SZ_1M
#define TDMA_WIDTHS (BIT(DMA_SLAVE_BUSWIDTH_1_BYTE) |	\
		     BIT(DMA_SLAVE_BUSWIDTH_2_BYTES) |	\
		     BIT(DMA_SLAVE_BUSWIDTH_4_BYTES) |	\
		     BIT(DMA_SLAVE_BUSWIDTH_8_BYTES))

static unsigned int channels = 1;
module_param(channels, uint, 0444);
MODULE_PARM_DESC(channels, "DMA channels (1..8); channel 0 is fpgacap's rx");

static unsigned int max_seg_size = SZ_64K;
module_param(max_seg_size, uint, 0444);
MODULE_PARM_DESC(max_seg_size, "longest scatter-gather segment (64 KiB)");

static unsigned int residue_granularity = DMA_RESIDUE_GRANULARITY_SEGMENT;
module_param(residue_granularity, uint, 0444);
MODULE_PARM_DESC(residue_granularity,
		 "tx_status residue: 1 per segment (AXI DMA), 2 per burst");

static unsigned int max_in_flight = 4;
module_param(max_in_flight, uint, 0444);
MODULE_PARM_DESC(max_in_flight, "fpgacap,max-in-flight of fpgacap-slave.0");

struct tdma_seg {
	dma_addr_t addr;
	u32 len;
};

struct tdma_desc {
	struct dma_async_tx_descriptor tx;
	struct list_head node;
	u64 epoch;			/* channel epoch when prepared */
	u64 done_epoch;			/* channel epoch when completed */
	size_t len;			/* bytes the segments hold */
	size_t limit;			/* bytes it takes before it ends */
	size_t done;			/* bytes written */
	unsigned int si;		/* segment being written */
	size_t so;			/* and the offset in it */
	enum dmaengine_tx_result result;
	bool started;
	bool stall;
	unsigned int nsegs;		/* hardware descriptors it holds */
	struct tdma_seg seg[];
};

struct tdma_counters {
	u64 transfers;
	u64 bytes;
	u64 segments;
	u64 failed;
	u64 stalled;
	u64 shortened;
	u64 callbacks;
	u64 late_callbacks;
	u64 issue_pending;
	u64 idle_issue_pending;
	u64 stale_submits;
	u64 stale_issued;
	u64 terminates;
	u64 alloc_chan;
	u64 free_chan;
	u64 prep_refused;
	u64 unacked;
};

struct tdma_dev;

struct tdma_chan {
	struct dma_chan chan;
	struct tdma_dev *td;
	unsigned int index;
	spinlock_t lock;		/* lists, late, epoch, stream, counters */
	struct list_head allocated;	/* prepared, not yet submitted */
	struct list_head submitted;	/* submitted, not yet issued */
	struct list_head issued;	/* in order; the first one runs */
	struct list_head completed;	/* waiting for their callbacks */
	struct list_head wait_ack;	/* called back, not yet acknowledged */
	struct tdma_desc *late;		/* picked up, callback held back */
	u64 epoch;			/* terminate_all calls */
	u64 stream_pos;			/* bytes produced since terminate */
	u64 failed_at;			/* stream_pos when one last failed */
	u64 tokens;			/* rate: bytes the FIFO holds */
	ktime_t last;			/* rate: when tokens were counted */
	struct delayed_work engine;
	struct tasklet_struct tasklet;
	struct work_struct callback_work; /* callbacks_from_thread */
	struct delayed_work late_work;
	struct dma_slave_config cfg;
	/* Behaviour, from debugfs. */
	u64 rate;
	u32 tlast_after;
	atomic_t tlast_next;
	atomic_t fail_next;
	u32 fail_result;
	atomic_t stall_next;
	atomic_t late_callback;
	u32 late_callback_ms;
	bool synchronize;
	bool no_result;
	bool callbacks_in_issue;
	u32 issue_delay_us;
	u32 desc_limit;
	bool callbacks_from_thread;
	bool flush_on_free;
	u64 synced_epoch;		/* epoch when synchronize last returned */
	u32 late_pending;
	u32 desc_used;			/* hardware descriptors held */
	struct tdma_counters n;
	struct dentry *debugfs;
};

struct tdma_dev {
	struct dma_device dd;
	struct workqueue_struct *wq;
	struct dentry *debugfs;
	struct dma_slave_map map;
	struct tdma_bounce bounce;
	unsigned int nchans;
	struct tdma_chan chans[];
};

static struct platform_device *tdma_pdev;
static struct platform_device *slave_pdev;

static struct tdma_chan *to_tdma_chan(struct dma_chan *chan)
{
	return container_of(chan, struct tdma_chan, chan);
}

static struct tdma_desc *to_tdma_desc(struct dma_async_tx_descriptor *tx)
{
	return container_of(tx, struct tdma_desc, tx);
}

static struct device *tdma_dev(struct tdma_chan *tc)
{
	return tc->td->dd.dev;
}

struct tdma_bounce *tdma_bounce_of(struct device *dev)
{
	struct tdma_dev *td = dev_get_drvdata(dev);

	return &td->bounce;
}

/*
 * Cookies, as the in-tree engines keep them (drivers/dma/dmaengine.h is
 * private to drivers built in the tree): increasing per channel, and
 * transfers complete in order, so one completed cookie tells them all.
 */
static void tdma_cookie_init(struct dma_chan *chan)
{
	chan->cookie = DMA_MIN_COOKIE;
	chan->completed_cookie = DMA_MIN_COOKIE;
}

static dma_cookie_t tdma_cookie_assign(struct dma_async_tx_descriptor *tx)
{
	struct dma_chan *chan = tx->chan;
	dma_cookie_t cookie = chan->cookie + 1;

	if (cookie < DMA_MIN_COOKIE)
		cookie = DMA_MIN_COOKIE;
	chan->cookie = cookie;
	tx->cookie = cookie;
	return cookie;
}

static void tdma_cookie_complete(struct dma_async_tx_descriptor *tx)
{
	tx->chan->completed_cookie = tx->cookie;
	tx->cookie = 0;
}

/*
 * Run a descriptor's callback the way dmaengine_desc_get_callback_invoke()
 * does: a callback_result with no result gets DMA_TRANS_NOERROR and
 * residue 0, which is all a client of PL330 or mSGDMA ever sees.
 */
static void tdma_invoke(struct dma_async_tx_descriptor *tx,
			const struct dmaengine_result *res)
{
	static const struct dmaengine_result none = {
		.result = DMA_TRANS_NOERROR,
	};
	dma_async_tx_callback_result callback_result = tx->callback_result;
	dma_async_tx_callback callback = tx->callback;
	void *param = tx->callback_param;

	if (callback_result)
		callback_result(param, res ? res : &none);
	else if (callback)
		callback(param);
}

/* Give back the hardware descriptors of @head's transfers; tc->lock held. */
static void tdma_release_hw(struct tdma_chan *tc, struct list_head *head)
{
	struct tdma_desc *d;

	list_for_each_entry(d, head, node)
		tc->desc_used -= d->nsegs;
}

static void tdma_free_list(struct list_head *head)
{
	struct tdma_desc *d, *tmp;

	list_for_each_entry_safe(d, tmp, head, node) {
		list_del(&d->node);
		kfree(d);
	}
}

/*
 * Transfers called back and since acknowledged give their hardware
 * descriptors back; tc->lock held. Freed after the lock: @head.
 */
static void tdma_reclaim_acked(struct tdma_chan *tc, struct list_head *head)
{
	struct tdma_desc *d, *tmp;

	list_for_each_entry_safe(d, tmp, &tc->wait_ack, node) {
		if (!async_tx_test_ack(&d->tx))
			continue;
		tc->desc_used -= d->nsegs;
		list_move_tail(&d->node, head);
	}
}

/* Write @n bytes of the pattern from stream offset @pos at @dst. */
static void tdma_fill(u8 *dst, u64 pos, size_t n)
{
	while (n) {
		__le64 word = cpu_to_le64(FPGACAP_PATTERN_WORD(pos));
		size_t skip = pos & 7, len = min_t(size_t, n, 8 - skip);

		/* Segments may start anywhere: copy bytes, never unaligned. */
		memcpy(dst, (u8 *)&word + skip, len);
		dst += len;
		pos += len;
		n -= len;
	}
}

/* Is [addr, addr + len) RAM this engine can write (page by page)? */
static bool tdma_ram(struct device *dev, dma_addr_t addr, u32 len)
{
	phys_addr_t first = dma_to_phys(dev, addr);
	phys_addr_t last = dma_to_phys(dev, addr + len - 1);

	return last >= first && last - first == len - 1 &&
	       pfn_valid(PHYS_PFN(first)) && pfn_valid(PHYS_PFN(last));
}

/* Move @n bytes from the peripheral into @d; tc->lock held. */
static void tdma_write(struct tdma_chan *tc, struct tdma_desc *d, size_t n)
{
	struct device *dev = tdma_dev(tc);

	while (n) {
		struct tdma_seg *s = &d->seg[d->si];
		phys_addr_t phys = dma_to_phys(dev, s->addr + d->so);
		size_t k = min3(n, (size_t)(s->len - d->so),
				PAGE_SIZE - offset_in_page(phys));
		/* The memory may be highmem on 32-bit ARM. */
		u8 *p = kmap_local_page(pfn_to_page(PHYS_PFN(phys)));

		tdma_fill(p + offset_in_page(phys), tc->stream_pos, k);
		kunmap_local(p);
		tc->stream_pos += k;
		tc->n.bytes += k;
		d->done += k;
		d->so += k;
		n -= k;
		if (d->so == s->len) {
			d->si++;
			d->so = 0;
		}
	}
}

/* Callbacks run from the tasklet, or from a worker thread. */
static void tdma_schedule_callbacks(struct tdma_chan *tc)
{
	if (READ_ONCE(tc->callbacks_from_thread))
		queue_work(tc->td->wq, &tc->callback_work);
	else
		tasklet_schedule(&tc->tasklet);
}

/* The transfer ended (full, at TLAST, or failed); tc->lock held. */
static void tdma_complete(struct tdma_chan *tc, struct tdma_desc *d)
{
	d->done_epoch = tc->epoch;
	tdma_cookie_complete(&d->tx);
	list_move_tail(&d->node, &tc->completed);
	tc->n.transfers++;
	tc->n.segments += d->nsegs;
	tdma_schedule_callbacks(tc);
}

/* The engine takes up a transfer: the faults armed now apply to it. */
static void tdma_start(struct tdma_chan *tc, struct tdma_desc *d)
{
	d->started = true;
	d->limit = d->len;
	if (atomic_dec_if_positive(&tc->fail_next) >= 0) {
		u32 r = READ_ONCE(tc->fail_result);

		d->result = r >= DMA_TRANS_READ_FAILED && r <= DMA_TRANS_ABORTED ?
			    r : DMA_TRANS_READ_FAILED;
		d->limit = 0;
		tc->n.failed++;
		tc->failed_at = tc->stream_pos;
	} else if (atomic_dec_if_positive(&tc->stall_next) >= 0) {
		d->stall = true;
		tc->n.stalled++;
	} else if (atomic_dec_if_positive(&tc->tlast_next) >= 0) {
		d->limit = min_t(size_t, d->len, READ_ONCE(tc->tlast_after));
		tc->n.shortened++;
	}
	tc->last = ktime_get();
}

/* Rate limit: how many bytes the peripheral has delivered; tc->lock held. */
static size_t tdma_available(struct tdma_chan *tc, u64 rate, size_t want)
{
	ktime_t now = ktime_get();
	u64 ns = ktime_to_ns(ktime_sub(now, tc->last));

	/* A FIFO holds little: no bursts after a long wait. */
	ns = min_t(u64, ns, 100 * NSEC_PER_MSEC);
	tc->tokens += mul_u64_u64_div_u64(rate, ns, NSEC_PER_SEC);
	tc->tokens = min_t(u64, tc->tokens,
			   max_t(u64, div_u64(rate, 10), TDMA_CHUNK));
	tc->last = now;
	return min_t(u64, want, tc->tokens);
}

/* The engine: runs the issued transfers in order. */
static void tdma_engine(struct work_struct *work)
{
	struct tdma_chan *tc = container_of(to_delayed_work(work),
					    struct tdma_chan, engine);
	size_t budget = TDMA_BUDGET;
	unsigned long flags;
	bool again = false;
	unsigned long delay = 0;

	spin_lock_irqsave(&tc->lock, flags);
	for (;;) {
		struct tdma_desc *d;
		u64 rate = READ_ONCE(tc->rate);
		size_t n;

		d = list_first_entry_or_null(&tc->issued, struct tdma_desc,
					     node);
		if (!d)
			break;
		if (!d->started)
			tdma_start(tc, d);
		if (d->stall)
			break;		/* until terminate_all */
		n = min_t(size_t, d->limit - d->done, TDMA_CHUNK);
		if (n && rate) {
			n = tdma_available(tc, rate, n);
			if (!n) {
				again = true;
				delay = 1;
				break;
			}
		}
		if (n && !budget) {
			again = true;
			break;
		}
		n = min(n, budget);
		tdma_write(tc, d, n);
		if (rate)
			tc->tokens -= n;
		budget -= n;
		if (d->done == d->limit)
			tdma_complete(tc, d);
		/* Let terminate_all and the clients in between chunks. */
		spin_unlock_irqrestore(&tc->lock, flags);
		cond_resched();
		spin_lock_irqsave(&tc->lock, flags);
	}
	spin_unlock_irqrestore(&tc->lock, flags);
	if (again)
		queue_delayed_work(tc->td->wq, &tc->engine, delay);
}

/* Run one callback; the descriptor is no longer on any list. */
static void tdma_callback(struct tdma_chan *tc, struct tdma_desc *d)
{
	struct dmaengine_result res = {
		.result = d->result,
		.residue = d->len - d->done,
	};
	u64 done_epoch = d->done_epoch;
	unsigned long flags;

	tdma_invoke(&d->tx, READ_ONCE(tc->no_result) ? NULL : &res);

	/* Late: the client was told, by terminate_sync, that all was over. */
	spin_lock_irqsave(&tc->lock, flags);
	tc->n.callbacks++;
	if (done_epoch < tc->synced_epoch)
		tc->n.late_callbacks++;
	/* Its descriptors stay held until the client acknowledged it. */
	if (done_epoch == tc->epoch && !async_tx_test_ack(&d->tx)) {
		list_add_tail(&d->node, &tc->wait_ack);
		d = NULL;
	} else {
		tc->desc_used -= d->nsegs;
	}
	spin_unlock_irqrestore(&tc->lock, flags);
	kfree(d);
}

/*
 * Callbacks of completed transfers, oldest first. One held back for
 * late_callback stops the others behind it. From a thread (shdma) it is
 * held asleep, for as long as a preempted thread may take; in the tasklet
 * it is held the only way a tasklet can be late, by being slow: softirq
 * context throughout, which an RCU grace period waits out.
 */
static void tdma_deliver(struct tdma_chan *tc)
{
	struct tdma_desc *d;
	unsigned long flags;
	unsigned int ran = 0;

	spin_lock_irqsave(&tc->lock, flags);
	while (!tc->late) {
		unsigned int ms;

		d = list_first_entry_or_null(&tc->completed, struct tdma_desc,
					     node);
		if (!d)
			break;
		list_del(&d->node);
		/*
		 * Only the first callback of a run is held: one picked up
		 * after others ran would hold up their client's work item
		 * queued on this CPU, and so run before the client's stop.
		 */
		if (ran++ || atomic_dec_if_positive(&tc->late_callback) < 0) {
			spin_unlock_irqrestore(&tc->lock, flags);
			tdma_callback(tc, d);
			spin_lock_irqsave(&tc->lock, flags);
			continue;
		}
		ms = READ_ONCE(tc->late_callback_ms);
		tc->late_pending = 1;
		if (READ_ONCE(tc->callbacks_from_thread)) {
			/* Held by the thread: late_work runs it. */
			tc->late = d;
			queue_delayed_work(tc->td->wq, &tc->late_work,
					   msecs_to_jiffies(ms));
			break;
		}
		/* Held by this tasklet, which nothing else touches. */
		spin_unlock_irqrestore(&tc->lock, flags);
		while (ms--)
			mdelay(1);
		tdma_callback(tc, d);
		spin_lock_irqsave(&tc->lock, flags);
		tc->late_pending = 0;
	}
	spin_unlock_irqrestore(&tc->lock, flags);
}

static void tdma_tasklet(struct tasklet_struct *t)
{
	struct tdma_chan *tc = from_tasklet(tc, t, tasklet);

	tdma_deliver(tc);
}

static void tdma_callback_work(struct work_struct *work)
{
	tdma_deliver(container_of(work, struct tdma_chan, callback_work));
}

/* The callback a thread held runs now, in that thread's context. */
static void tdma_late_work(struct work_struct *work)
{
	struct tdma_chan *tc = container_of(to_delayed_work(work),
					    struct tdma_chan, late_work);
	struct tdma_desc *d;
	unsigned long flags;

	spin_lock_irqsave(&tc->lock, flags);
	d = tc->late;
	spin_unlock_irqrestore(&tc->lock, flags);
	if (d)
		tdma_callback(tc, d);
	spin_lock_irqsave(&tc->lock, flags);
	tc->late = NULL;
	tc->late_pending = 0;
	spin_unlock_irqrestore(&tc->lock, flags);
	tdma_schedule_callbacks(tc);
}

static dma_cookie_t tdma_tx_submit(struct dma_async_tx_descriptor *tx)
{
	struct tdma_chan *tc = to_tdma_chan(tx->chan);
	struct tdma_desc *d = to_tdma_desc(tx);
	unsigned long flags;
	dma_cookie_t cookie;

	spin_lock_irqsave(&tc->lock, flags);
	cookie = tdma_cookie_assign(tx);
	if (d->epoch != tc->epoch)
		tc->n.stale_submits++;
	list_move_tail(&d->node, &tc->submitted);
	spin_unlock_irqrestore(&tc->lock, flags);
	return cookie;
}

static struct dma_async_tx_descriptor *
tdma_prep_slave_sg(struct dma_chan *chan, struct scatterlist *sgl,
		   unsigned int sg_len, enum dma_transfer_direction dir,
		   unsigned long flags, void *context)
{
	struct tdma_chan *tc = to_tdma_chan(chan);
	struct device *dev = tdma_dev(tc);
	unsigned long boundary = dma_get_seg_boundary(dev);
	struct scatterlist *sg;
	struct tdma_desc *d;
	unsigned long irqflags;
	unsigned int i;
	LIST_HEAD(acked);
	u32 limit;

	if (dir != DMA_DEV_TO_MEM || !sg_len)
		return NULL;
	d = kzalloc(struct_size(d, seg, sg_len), GFP_NOWAIT);
	if (!d)
		return NULL;
	for_each_sg(sgl, sg, sg_len, i) {
		dma_addr_t addr = sg_dma_address(sg);
		u32 len = sg_dma_len(sg);

		if (!len || len > dma_get_max_seg_size(dev) ||
		    (addr | boundary) != ((addr + len - 1) | boundary) ||
		    !tdma_ram(dev, addr, len)) {
			dev_err_ratelimited(dev,
					    "segment %u: %u bytes at %pad refused\n",
					    i, len, &addr);
			kfree(d);
			return NULL;
		}
		d->seg[i].addr = addr;
		d->seg[i].len = len;
		d->len += len;
	}
	d->nsegs = sg_len;
	dma_async_tx_descriptor_init(&d->tx, chan);
	d->tx.flags = flags;
	d->tx.tx_submit = tdma_tx_submit;

	spin_lock_irqsave(&tc->lock, irqflags);
	tdma_reclaim_acked(tc, &acked);
	/* Too few hardware descriptors free: the caller must wait. */
	limit = READ_ONCE(tc->desc_limit);
	if (limit && tc->desc_used + sg_len > limit) {
		tc->n.prep_refused++;
		spin_unlock_irqrestore(&tc->lock, irqflags);
		tdma_free_list(&acked);
		kfree(d);
		return NULL;
	}
	tc->desc_used += sg_len;
	if (!(flags & DMA_CTRL_ACK))
		tc->n.unacked++;
	d->epoch = tc->epoch;
	list_add_tail(&d->node, &tc->allocated);
	spin_unlock_irqrestore(&tc->lock, irqflags);
	tdma_free_list(&acked);
	return &d->tx;
}

static void tdma_issue_pending(struct dma_chan *chan)
{
	struct tdma_chan *tc = to_tdma_chan(chan);
	u32 us = min(READ_ONCE(tc->issue_delay_us), 10000U);
	struct tdma_desc *d;
	unsigned long flags;

	if (us) {
		mdelay(us / 1000);
		udelay(us % 1000);
	}
	spin_lock_irqsave(&tc->lock, flags);
	tc->n.issue_pending++;
	if (list_empty(&tc->submitted) && list_empty(&tc->issued))
		tc->n.idle_issue_pending++;
	list_for_each_entry(d, &tc->submitted, node)
		if (d->epoch != tc->epoch)
			tc->n.stale_issued++;
	list_splice_tail_init(&tc->submitted, &tc->issued);
	if (!list_empty(&tc->issued))
		queue_delayed_work(tc->td->wq, &tc->engine, 0);
	spin_unlock_irqrestore(&tc->lock, flags);

	if (READ_ONCE(tc->callbacks_in_issue))
		tdma_deliver(tc);
}

static enum dma_status tdma_tx_status(struct dma_chan *chan,
				      dma_cookie_t cookie,
				      struct dma_tx_state *state)
{
	struct tdma_chan *tc = to_tdma_chan(chan);
	dma_cookie_t used, complete;
	struct tdma_desc *d;
	unsigned long flags;
	enum dma_status status;
	u32 residue = 0;

	spin_lock_irqsave(&tc->lock, flags);
	used = chan->cookie;
	complete = chan->completed_cookie;
	status = dma_async_is_complete(cookie, complete, used);
	if (status != DMA_COMPLETE) {
		list_for_each_entry(d, &tc->issued, node) {
			if (d->tx.cookie != cookie)
				continue;
			if (tc->td->dd.residue_granularity ==
			    DMA_RESIDUE_GRANULARITY_BURST)
				residue = d->len - d->done;
			else
				residue = d->len - (d->done - d->so);
			break;
		}
		list_for_each_entry(d, &tc->submitted, node)
			if (d->tx.cookie == cookie)
				residue = d->len;
	}
	spin_unlock_irqrestore(&tc->lock, flags);

	if (state) {
		state->last = complete;
		state->used = used;
		state->residue = residue;
		state->in_flight_bytes = 0;
	}
	return status;
}

static int tdma_config(struct dma_chan *chan, struct dma_slave_config *cfg)
{
	struct tdma_chan *tc = to_tdma_chan(chan);
	unsigned long flags;

	if (cfg->src_addr_width && !(BIT(cfg->src_addr_width) & TDMA_WIDTHS))
		return -EINVAL;
	spin_lock_irqsave(&tc->lock, flags);
	tc->cfg = *cfg;
	spin_unlock_irqrestore(&tc->lock, flags);
	return 0;
}

/*
 * Stop and forget every transfer not yet called back; the peripheral's
 * FIFO is flushed, so the stream restarts at 0. A callback the tasklet
 * already picked up (late) still runs.
 */
static int tdma_terminate_all(struct dma_chan *chan)
{
	struct tdma_chan *tc = to_tdma_chan(chan);
	unsigned long flags;
	LIST_HEAD(head);

	spin_lock_irqsave(&tc->lock, flags);
	list_splice_tail_init(&tc->submitted, &head);
	list_splice_tail_init(&tc->issued, &head);
	list_splice_tail_init(&tc->completed, &head);
	list_splice_tail_init(&tc->wait_ack, &head);
	tdma_release_hw(tc, &head);
	/* What was submitted is over: tx_status says complete, as PL330's. */
	chan->completed_cookie = chan->cookie;
	tc->epoch++;
	tc->stream_pos = 0;
	tc->tokens = 0;
	tc->n.terminates++;
	/* Without synchronize the client is told no more than this. */
	if (!READ_ONCE(tc->synchronize))
		tc->synced_epoch = tc->epoch;
	spin_unlock_irqrestore(&tc->lock, flags);

	tdma_free_list(&head);
	return 0;
}

/*
 * Wait for the callbacks of terminated transfers, or, without synchronize,
 * return at once as PL330 and mSGDMA do (they have no device_synchronize).
 */
static void tdma_synchronize(struct dma_chan *chan)
{
	struct tdma_chan *tc = to_tdma_chan(chan);
	unsigned long flags;

	if (READ_ONCE(tc->synchronize)) {
		tasklet_kill(&tc->tasklet);
		flush_work(&tc->callback_work);
		flush_delayed_work(&tc->late_work);
		tasklet_kill(&tc->tasklet);
		flush_work(&tc->callback_work);
	}
	spin_lock_irqsave(&tc->lock, flags);
	tc->synced_epoch = tc->epoch;
	spin_unlock_irqrestore(&tc->lock, flags);
}

static int tdma_alloc_chan_resources(struct dma_chan *chan)
{
	struct tdma_chan *tc = to_tdma_chan(chan);
	unsigned long flags;

	tdma_cookie_init(chan);
	spin_lock_irqsave(&tc->lock, flags);
	tc->n.alloc_chan++;
	spin_unlock_irqrestore(&tc->lock, flags);
	return 0;
}

/*
 * The client let go: nothing of its may run after this returns. With
 * flush_on_free a held callback runs first, here, as engines that complete
 * what they picked up before they free a channel do.
 */
static void tdma_free_chan_resources(struct dma_chan *chan)
{
	struct tdma_chan *tc = to_tdma_chan(chan);
	unsigned long flags;
	LIST_HEAD(head);

	tdma_terminate_all(chan);
	if (READ_ONCE(tc->flush_on_free)) {
		mod_delayed_work(tc->td->wq, &tc->late_work, 0);
		flush_delayed_work(&tc->late_work);
	}
	cancel_delayed_work_sync(&tc->late_work);
	tasklet_kill(&tc->tasklet);
	cancel_work_sync(&tc->callback_work);
	cancel_delayed_work_sync(&tc->engine);

	spin_lock_irqsave(&tc->lock, flags);
	if (tc->late)
		list_add_tail(&tc->late->node, &head);
	tc->late = NULL;
	tc->late_pending = 0;
	list_splice_tail_init(&tc->allocated, &head);
	list_splice_tail_init(&tc->completed, &head);
	tdma_release_hw(tc, &head);
	tc->n.free_chan++;
	spin_unlock_irqrestore(&tc->lock, flags);

	tdma_free_list(&head);
}

static bool tdma_filter(struct dma_chan *chan, void *param)
{
	return to_tdma_chan(chan)->index == (unsigned long)param;
}

/*
 * Without synchronize the engine has no device_synchronize at all, as its
 * clients see it (the dma_device's; channel 0 is fpgacap's).
 */
static int synchronize_get(void *data, u64 *val)
{
	struct tdma_chan *tc = data;

	*val = READ_ONCE(tc->synchronize);
	return 0;
}

static int synchronize_set(void *data, u64 val)
{
	struct tdma_chan *tc = data;

	if (val > 1)
		return -EINVAL;
	WRITE_ONCE(tc->synchronize, val);
	WRITE_ONCE(tc->td->dd.device_synchronize,
		   val ? tdma_synchronize : NULL);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(synchronize_fops, synchronize_get, synchronize_set,
			 "%llu\n");

/* Without terminate the engine has no device_terminate_all at all. */
static int terminate_get(void *data, u64 *val)
{
	struct tdma_chan *tc = data;

	*val = !!READ_ONCE(tc->td->dd.device_terminate_all);
	return 0;
}

static int terminate_set(void *data, u64 val)
{
	struct tdma_chan *tc = data;

	if (val > 1)
		return -EINVAL;
	WRITE_ONCE(tc->td->dd.device_terminate_all,
		   val ? tdma_terminate_all : NULL);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(terminate_fops, terminate_get, terminate_set,
			 "%llu\n");

/* Writing tlast_after arms the next transfer, unless more are armed. */
static int tlast_after_get(void *data, u64 *val)
{
	struct tdma_chan *tc = data;

	*val = READ_ONCE(tc->tlast_after);
	return 0;
}

static int tlast_after_set(void *data, u64 val)
{
	struct tdma_chan *tc = data;

	if (val > U32_MAX)
		return -EINVAL;
	WRITE_ONCE(tc->tlast_after, val);
	atomic_cmpxchg(&tc->tlast_next, 0, 1);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(tlast_after_fops, tlast_after_get, tlast_after_set,
			 "%llu\n");

static void tdma_debugfs_chan(struct tdma_chan *tc, struct dentry *root)
{
	struct dentry *d;
	char name[16];

	snprintf(name, sizeof(name), "chan%u", tc->index);
	d = debugfs_create_dir(name, root);
	tc->debugfs = d;

	debugfs_create_u64("rate", 0600, d, &tc->rate);
	debugfs_create_file_unsafe("tlast_after", 0600, d, tc,
				   &tlast_after_fops);
	debugfs_create_atomic_t("tlast_next", 0600, d, &tc->tlast_next);
	debugfs_create_atomic_t("fail_next", 0600, d, &tc->fail_next);
	debugfs_create_u32("fail_result", 0600, d, &tc->fail_result);
	debugfs_create_atomic_t("stall_next", 0600, d, &tc->stall_next);
	debugfs_create_atomic_t("late_callback", 0600, d, &tc->late_callback);
	debugfs_create_u32("late_callback_ms", 0600, d,
			   &tc->late_callback_ms);
	debugfs_create_file_unsafe("synchronize", 0600, d, tc,
				   &synchronize_fops);
	debugfs_create_bool("no_result", 0600, d, &tc->no_result);
	debugfs_create_bool("callbacks_in_issue", 0600, d,
			    &tc->callbacks_in_issue);
	debugfs_create_u32("issue_delay_us", 0600, d, &tc->issue_delay_us);
	debugfs_create_u32("desc_limit", 0600, d, &tc->desc_limit);
	debugfs_create_bool("callbacks_from_thread", 0600, d,
			    &tc->callbacks_from_thread);
	debugfs_create_bool("flush_on_free", 0600, d, &tc->flush_on_free);
	debugfs_create_file_unsafe("terminate", 0600, d, tc, &terminate_fops);

	debugfs_create_u64("transfers", 0400, d, &tc->n.transfers);
	debugfs_create_u64("bytes", 0400, d, &tc->n.bytes);
	debugfs_create_u64("segments", 0400, d, &tc->n.segments);
	debugfs_create_u64("failed", 0400, d, &tc->n.failed);
	debugfs_create_u64("stalled", 0400, d, &tc->n.stalled);
	debugfs_create_u64("short", 0400, d, &tc->n.shortened);
	debugfs_create_u64("callbacks", 0400, d, &tc->n.callbacks);
	debugfs_create_u64("late_callbacks", 0400, d, &tc->n.late_callbacks);
	debugfs_create_u32("late_pending", 0400, d, &tc->late_pending);
	debugfs_create_u64("issue_pending", 0400, d, &tc->n.issue_pending);
	debugfs_create_u64("idle_issue_pending", 0400, d,
			   &tc->n.idle_issue_pending);
	debugfs_create_u64("stale_submits", 0400, d, &tc->n.stale_submits);
	debugfs_create_u64("stale_issued", 0400, d, &tc->n.stale_issued);
	debugfs_create_u64("terminates", 0400, d, &tc->n.terminates);
	debugfs_create_u64("alloc_chan", 0400, d, &tc->n.alloc_chan);
	debugfs_create_u64("free_chan", 0400, d, &tc->n.free_chan);
	debugfs_create_u64("stream_pos", 0400, d, &tc->stream_pos);
	debugfs_create_u64("failed_at", 0400, d, &tc->failed_at);
	debugfs_create_u32("desc_used", 0400, d, &tc->desc_used);
	debugfs_create_u64("prep_refused", 0400, d, &tc->n.prep_refused);
	debugfs_create_u64("unacked", 0400, d, &tc->n.unacked);
}

/* The engine's DMA parameters, which a client reads when it maps. */
static int max_seg_size_get(void *data, u64 *val)
{
	*val = dma_get_max_seg_size(data);
	return 0;
}

static int max_seg_size_set(void *data, u64 val)
{
	if (val < PAGE_SIZE || val > UINT_MAX)
		return -EINVAL;
	return dma_set_max_seg_size(data, val);
}
DEFINE_DEBUGFS_ATTRIBUTE(max_seg_size_fops, max_seg_size_get,
			 max_seg_size_set, "%llu\n");

static int seg_boundary_get(void *data, u64 *val)
{
	unsigned long mask = dma_get_seg_boundary(data);

	*val = mask == ULONG_MAX ? 0 : (u64)mask + 1;
	return 0;
}

static int seg_boundary_set(void *data, u64 val)
{
	if (val && (!is_power_of_2(val) || val < PAGE_SIZE ||
		    val - 1 > ULONG_MAX))
		return -EINVAL;
	return dma_set_seg_boundary(data, val ? val - 1 : ULONG_MAX);
}
DEFINE_DEBUGFS_ATTRIBUTE(seg_boundary_fops, seg_boundary_get,
			 seg_boundary_set, "%llu\n");

static void tdma_debugfs_dev(struct tdma_dev *td)
{
	struct device *dev = td->dd.dev;

	debugfs_create_file_unsafe("max_seg_size", 0600, td->debugfs, dev,
				   &max_seg_size_fops);
	debugfs_create_file_unsafe("seg_boundary", 0600, td->debugfs, dev,
				   &seg_boundary_fops);
	tdma_bounce_debugfs(&td->bounce, td->debugfs, dev);
}

static void tdma_chan_init(struct tdma_dev *td, struct tdma_chan *tc,
			   unsigned int index)
{
	tc->td = td;
	tc->index = index;
	spin_lock_init(&tc->lock);
	INIT_LIST_HEAD(&tc->allocated);
	INIT_LIST_HEAD(&tc->submitted);
	INIT_LIST_HEAD(&tc->issued);
	INIT_LIST_HEAD(&tc->completed);
	INIT_LIST_HEAD(&tc->wait_ack);
	INIT_DELAYED_WORK(&tc->engine, tdma_engine);
	INIT_WORK(&tc->callback_work, tdma_callback_work);
	INIT_DELAYED_WORK(&tc->late_work, tdma_late_work);
	tasklet_setup(&tc->tasklet, tdma_tasklet);
	tc->fail_result = DMA_TRANS_READ_FAILED;
	tc->late_callback_ms = 1000;
	tc->synchronize = true;
	tc->chan.device = &td->dd;
	list_add_tail(&tc->chan.device_node, &td->dd.channels);
}

/* The last reference to the dma_device went: no client holds a channel. */
static void tdma_release(struct dma_device *dd)
{
	struct tdma_dev *td = container_of(dd, struct tdma_dev, dd);

	destroy_workqueue(td->wq);
	kfree(td);
}

static int tdma_probe(struct platform_device *pdev)
{
	struct device *dev = &pdev->dev;
	struct tdma_dev *td;
	unsigned int i;
	int ret;

	ret = dma_set_mask_and_coherent(dev, DMA_BIT_MASK(64));
	if (ret)
		return ret;
	/* A platform device has its DMA parameters: this cannot fail. */
	dma_set_max_seg_size(dev, max_seg_size);
	/* It finds memory by its DMA address: only direct mapping will do. */
	if (get_dma_ops(dev)) {
		dev_err(dev, "needs direct DMA mapping (no IOMMU)\n");
		return -ENODEV;
	}

	td = kzalloc(struct_size(td, chans, channels), GFP_KERNEL);
	if (!td)
		return -ENOMEM;
	td->wq = alloc_workqueue(TDMA_NAME, WQ_UNBOUND, 0);
	if (!td->wq) {
		kfree(td);
		return -ENOMEM;
	}
	td->nchans = channels;
	tdma_bounce_init(&td->bounce);
	platform_set_drvdata(pdev, td);

	td->dd.dev = dev;
	INIT_LIST_HEAD(&td->dd.channels);
	dma_cap_set(DMA_SLAVE, td->dd.cap_mask);
	dma_cap_set(DMA_PRIVATE, td->dd.cap_mask);
	td->dd.directions = BIT(DMA_DEV_TO_MEM);
	td->dd.src_addr_widths = TDMA_WIDTHS;
	td->dd.dst_addr_widths = TDMA_WIDTHS;
	td->dd.residue_granularity = residue_granularity;
	td->dd.device_alloc_chan_resources = tdma_alloc_chan_resources;
	td->dd.device_free_chan_resources = tdma_free_chan_resources;
	td->dd.device_prep_slave_sg = tdma_prep_slave_sg;
	td->dd.device_issue_pending = tdma_issue_pending;
	td->dd.device_tx_status = tdma_tx_status;
	td->dd.device_config = tdma_config;
	td->dd.device_terminate_all = tdma_terminate_all;
	td->dd.device_synchronize = tdma_synchronize;
	td->dd.device_release = tdma_release;
	for (i = 0; i < td->nchans; i++)
		tdma_chan_init(td, &td->chans[i], i);

	/* fpgacap-slave.0 asks for "rx": channel 0. */
	td->map.devname = "fpgacap-slave.0";
	td->map.slave = "rx";
	td->map.param = (void *)0;
	td->dd.filter.map = &td->map;
	td->dd.filter.mapcnt = 1;
	td->dd.filter.fn = tdma_filter;

	ret = dma_async_device_register(&td->dd);
	if (ret) {
		destroy_workqueue(td->wq);
		kfree(td);
		return ret;
	}

	td->debugfs = debugfs_create_dir(TDMA_NAME, NULL);
	tdma_debugfs_dev(td);
	for (i = 0; i < td->nchans; i++)
		tdma_debugfs_chan(&td->chans[i], td->debugfs);
	dev_info(dev, "%u channel(s), segments up to %u bytes\n", td->nchans,
		 dma_get_max_seg_size(dev));
	return 0;
}

static void tdma_remove(struct platform_device *pdev)
{
	struct tdma_dev *td = platform_get_drvdata(pdev);

	debugfs_remove_recursive(td->debugfs);
	/* No client holds a channel (it would hold the module), nor a map. */
	tdma_bounce_destroy(&pdev->dev, &td->bounce);
	dma_async_device_unregister(&td->dd);
}

FPGACAP_PLATFORM_REMOVE(tdma_remove)

static struct platform_driver tdma_driver = {
	.remove = tdma_remove_platform,
	.driver = {
		.name = TDMA_NAME,
	},
};

static int __init tdma_init(void)
{
	/* What fpgacap reads from the device it binds (copied by the core). */
	const struct property_entry props[] = {
		PROPERTY_ENTRY_STRING("label", "testdma"),
		PROPERTY_ENTRY_U32("fpgacap,max-in-flight", max_in_flight),
		{ }
	};
	struct platform_device_info info = {
		.name = "fpgacap-slave",
		.id = 0,
		.properties = props,
	};

	if (!channels || channels > TDMA_MAX_CHANNELS) {
		pr_err(TDMA_NAME ": channels must be 1..%d\n",
		       TDMA_MAX_CHANNELS);
		return -EINVAL;
	}
	if (max_seg_size < PAGE_SIZE) {
		pr_err(TDMA_NAME ": max_seg_size must be at least a page\n");
		return -EINVAL;
	}
	if (residue_granularity != DMA_RESIDUE_GRANULARITY_SEGMENT &&
	    residue_granularity != DMA_RESIDUE_GRANULARITY_BURST) {
		pr_err(TDMA_NAME ": residue_granularity must be 1 or 2\n");
		return -EINVAL;
	}
	/* Probes at once, or fails: the engine exists before its client. */
	tdma_pdev = platform_create_bundle(&tdma_driver, tdma_probe, NULL, 0,
					   NULL, 0);
	if (IS_ERR(tdma_pdev))
		return PTR_ERR(tdma_pdev);

	slave_pdev = platform_device_register_full(&info);
	if (IS_ERR(slave_pdev)) {
		platform_device_unregister(tdma_pdev);
		platform_driver_unregister(&tdma_driver);
		return PTR_ERR(slave_pdev);
	}
	return 0;
}

static void __exit tdma_exit(void)
{
	platform_device_unregister(slave_pdev);
	platform_device_unregister(tdma_pdev);
	platform_driver_unregister(&tdma_driver);
}

module_init(tdma_init);
module_exit(tdma_exit);

MODULE_DESCRIPTION("Test-only dmaengine provider for fpgacap's slave path");
MODULE_LICENSE("GPL");
