// SPDX-License-Identifier: GPL-2.0-only
/*
 * dmaengine sources: the paths real hardware takes.
 *
 * slave:  DEV_TO_MEM scatter-gather from a peripheral FIFO (PL330 with FPGA
 *         request lines, Xilinx AXI DMA S2MM, Intel mSGDMA). Each buffer is
 *         one descriptor built straight from the pool's sg_table; an engine
 *         that ends a transfer early (TLAST) reports residue, which becomes
 *         bytes_used < buffer_size.
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
 * A callback names its transfer by a token that carries the stream
 * generation it was submitted in, fixed at submission: one from a stopped
 * stream (an engine without a working device_synchronize may call back
 * after dmaengine_terminate_sync() returned, even after the next START)
 * finds its generation gone and does nothing.
 *
 * If no free buffer is left the ring runs dry: for a slave source the
 * peripheral overruns, which is counted as a drop of unknown size, and the
 * next buffer is flagged LOST. A memcpy window loses nothing.
 *
 * What an engine's driver does not report, fpgacap cannot know: pl330 and
 * altera-msgdma (6.1 to 6.12) call back without a result, so a bus error
 * there arrives as a full, good buffer; only a transfer that never ends is
 * caught, by the watchdog. AXI DMA and ZDMA report results and residue.
 */
#include <linux/dma-mapping.h>
#include <linux/dmaengine.h>
#include <linux/io.h>
#include <linux/math64.h>
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/property.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include "compat.h"
#include "fpgacap.h"

#define DMA_MAX_IN_FLIGHT 32
/* Tokens of this many generations exist at once (a power of two). */
#define DMA_TOKEN_GENERATIONS 4

static unsigned int stop_drain_ms = 200;
module_param(stop_drain_ms, uint, 0644);
MODULE_PARM_DESC(stop_drain_ms,
		 "how long STOP lets in-flight DMA finish before killing it");

struct dma_source;

/* What a callback is given: its transfer, as submitted. */
struct dma_token {
	struct dma_source *ds;
	unsigned int gen;		/* stream generation at submission */
	unsigned int slot;		/* its slot in the ring */
};

/*
 * One descriptor in flight. @buf is the work item's (and stop's, once the
 * work is cancelled); the rest is written by the callback under ds->lock.
 */
struct dma_slot {
	struct fpgacap_buf *buf;
	bool armed;			/* submitted, callback expected */
	bool done;			/* the engine finished it */
	bool held;			/* stall hook: as if it never finished */
	enum dmaengine_tx_result result;
	u32 residue;
};

struct dma_source {
	struct fpgacap_source src;
	struct dma_chan *chan;
	bool memcpy;
	struct work_struct work;	/* delivers and refills */
	spinlock_t lock;		/* slots, head, count, running, gen */
	bool running;			/* new transfers may be submitted */
	unsigned int gen;		/* stream generation, bumped by stop */
	bool ring_dry;			/* work item only */
	unsigned int max_in_flight;
	unsigned int head, count;	/* the ring of slots in flight */
	struct dma_slot slots[DMA_MAX_IN_FLIGHT];
	struct dma_token tokens[DMA_TOKEN_GENERATIONS][DMA_MAX_IN_FLIGHT];
	wait_queue_head_t idle;		/* stop waits for the ring to drain */
	size_t buffer_size;		/* set at start */
	/* memcpy: the window, mapped for the engine to read. */
	phys_addr_t window_phys;
	size_t window_size;
	dma_addr_t window_dma;
	u64 pos;			/* memcpy: stream position submitted */
};

/* Interrupt or tasklet context: record, and let the work item act. */
static void dma_callback(void *param, const struct dmaengine_result *res)
{
	struct dma_token *token = param;
	struct dma_source *ds = token->ds;
	struct dma_slot *slot = &ds->slots[token->slot];
	unsigned long flags;

	spin_lock_irqsave(&ds->lock, flags);
	/* A transfer of a stopped stream: its buffer is not ours any more. */
	if (token->gen == ds->gen && slot->armed && !slot->done) {
		slot->result = res->result;
		slot->residue = res->residue;
		slot->done = true;
	}
	spin_unlock_irqrestore(&ds->lock, flags);
	queue_work(system_highpri_wq, &ds->work);
}

/* memcpy: copy the window, cyclically, into every segment of @buf. */
static struct dma_async_tx_descriptor *
dma_prep_memcpy(struct dma_source *ds, struct fpgacap_buf *buf, u64 phase)
{
	struct dma_async_tx_descriptor *tx = NULL;
	struct scatterlist *sg;
	unsigned int i;

	for_each_sgtable_dma_sg(buf->sgt, sg, i) {
		dma_addr_t dst = sg_dma_address(sg);
		size_t left = sg_dma_len(sg);

		while (left) {
			size_t off, n;
			bool last;
			u64 rem;

			div64_u64_rem(phase, ds->window_size, &rem);
			off = rem;
			n = min(left, ds->window_size - off);
			last = n == left && i == buf->sgt->nents - 1;

			/* Only the last piece interrupts and calls back. */
			tx = dmaengine_prep_dma_memcpy(ds->chan, dst,
						       ds->window_dma + off, n,
						       last ? DMA_PREP_INTERRUPT :
							      0);
			if (!tx)
				return NULL;
			if (!last && dma_submit_error(dmaengine_submit(tx)))
				return NULL;
			dst += n;
			left -= n;
			phase += n;
		}
	}
	return tx;
}

static struct dma_async_tx_descriptor *dma_prep(struct dma_source *ds,
						struct fpgacap_buf *buf)
{
	if (ds->memcpy)
		return dma_prep_memcpy(ds, buf, ds->pos);
	return dmaengine_prep_slave_sg(ds->chan, buf->sgt->sgl, buf->sgt->nents,
				       DMA_DEV_TO_MEM, DMA_PREP_INTERRUPT);
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
		size_t bytes = ds->buffer_size;
		u32 residue, flags = 0;

		spin_lock_irq(&ds->lock);
		slot = &ds->slots[ds->head];
		if (!ds->count || !slot->done || slot->held) {
			spin_unlock_irq(&ds->lock);
			break;
		}
		if (fpgacap_inject(&inj->stall)) {
			slot->held = true;
			spin_unlock_irq(&ds->lock);
			break;
		}
		buf = slot->buf;
		result = slot->result;
		residue = slot->residue;
		slot->buf = NULL;
		slot->armed = false;
		ds->head = (ds->head + 1) % ds->max_in_flight;
		ds->count--;
		spin_unlock_irq(&ds->lock);

		/* A memcpy callback speaks for its last piece only. */
		if (!ds->memcpy)
			bytes -= min_t(size_t, residue, bytes);
		if (result != DMA_TRANS_NOERROR || fpgacap_inject(&inj->error))
			flags |= FPGACAP_BUF_ERROR;
		if (fpgacap_inject(&inj->short_fill))
			bytes = round_down(ds->buffer_size / 2, 8);
		fpgacap_queue_complete(q, buf, bytes, flags);
	}
	wake_up(&ds->idle);
}

/* Keep max_in_flight descriptors queued while running; work item only. */
static void dma_refill(struct dma_source *ds)
{
	struct fpgacap_queue *q = ds->src.q;
	bool submitted = false, dry;

	for (;;) {
		struct dma_async_tx_descriptor *tx;
		struct dma_token *token;
		struct fpgacap_buf *buf;
		struct dma_slot *slot;
		unsigned int i;
		bool room;

		spin_lock_irq(&ds->lock);
		room = ds->running && ds->count < ds->max_in_flight;
		spin_unlock_irq(&ds->lock);
		if (!room)
			break;
		/* Synced for the device: it owns the memory from here. */
		buf = fpgacap_queue_take(q);
		if (!buf)
			break;
		tx = dma_prep(ds, buf);
		if (!tx) {
			fpgacap_queue_requeue(q, buf);
			fpgacap_queue_fail(q, -ENOMEM);
			break;
		}

		spin_lock_irq(&ds->lock);
		i = (ds->head + ds->count) % ds->max_in_flight;
		slot = &ds->slots[i];
		slot->buf = buf;
		slot->armed = true;
		slot->done = false;
		slot->held = false;
		token = &ds->tokens[ds->gen % DMA_TOKEN_GENERATIONS][i];
		token->gen = ds->gen;
		ds->count++;
		spin_unlock_irq(&ds->lock);

		tx->callback_result = dma_callback;
		tx->callback_param = token;
		if (dma_submit_error(dmaengine_submit(tx))) {
			spin_lock_irq(&ds->lock);
			slot->buf = NULL;
			slot->armed = false;
			ds->count--;
			spin_unlock_irq(&ds->lock);
			fpgacap_queue_requeue(q, buf);
			fpgacap_queue_fail(q, -EIO);
			break;
		}
		ds->pos += ds->buffer_size;
		submitted = true;
	}
	if (submitted)
		dma_async_issue_pending(ds->chan);

	spin_lock_irq(&ds->lock);
	dry = ds->running && !ds->count;
	spin_unlock_irq(&ds->lock);
	/* The engine has nowhere to write: the peripheral overruns. */
	if (dry && !ds->ring_dry && !ds->memcpy)
		fpgacap_queue_drop(q, 0);
	ds->ring_dry = dry;
}

static void dma_work(struct work_struct *work)
{
	struct dma_source *ds = container_of(work, struct dma_source, work);

	dma_deliver(ds);
	dma_refill(ds);
}

static int dma_start(struct fpgacap_source *src)
{
	struct dma_source *ds = container_of(src, struct dma_source, src);

	ds->buffer_size = fpgacap_queue_buffer_size(src->q);
	ds->pos = 0;
	ds->ring_dry = false;
	spin_lock_irq(&ds->lock);
	ds->running = true;
	spin_unlock_irq(&ds->lock);
	queue_work(system_highpri_wq, &ds->work);
	return 0;
}

static bool dma_idle(struct dma_source *ds)
{
	bool idle;

	spin_lock_irq(&ds->lock);
	idle = !ds->count;
	spin_unlock_irq(&ds->lock);
	return idle;
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
	unsigned int i;

	spin_lock_irq(&ds->lock);
	ds->running = false;
	spin_unlock_irq(&ds->lock);
	/*
	 * A work item that submitted before seeing !running finishes with its
	 * issue_pending now, not after the terminate below (which would leave
	 * the engine an issue_pending with nothing to issue).
	 */
	flush_work(&ds->work);
	wait_event_timeout(ds->idle, dma_idle(ds),
			   msecs_to_jiffies(READ_ONCE(stop_drain_ms)));

	dmaengine_terminate_sync(ds->chan);
	/*
	 * terminate_sync waits for running callbacks through the engine's
	 * device_synchronize. pl330 and altera-msgdma have none; they call
	 * back from a tasklet, and a callback their tasklet already picked up
	 * runs in softirq context, which a grace period waits out. Any later
	 * straggler finds its generation gone.
	 */
	if (!ds->chan->device->device_synchronize)
		synchronize_rcu();
	spin_lock_irq(&ds->lock);
	ds->gen++;
	spin_unlock_irq(&ds->lock);
	cancel_work_sync(&ds->work);

	/* Nothing else touches the ring now. Finished transfers are data. */
	dma_deliver(ds);
	for (i = 0; i < ds->count; i++) {
		struct dma_slot *slot = &ds->slots[(ds->head + i) %
						   ds->max_in_flight];

		/* Terminated: the device wrote what it wrote; unread. */
		fpgacap_queue_requeue(q, slot->buf);
		slot->buf = NULL;
		slot->armed = false;
	}
	ds->head = 0;
	ds->count = 0;
}

static void dma_kick(struct fpgacap_source *src)
{
	struct dma_source *ds = container_of(src, struct dma_source, src);

	queue_work(system_highpri_wq, &ds->work);
}

static void dma_destroy(struct fpgacap_source *src)
{
	struct dma_source *ds = container_of(src, struct dma_source, src);

	cancel_work_sync(&ds->work);
	if (ds->window_size)
		dma_unmap_resource(ds->chan->device->dev, ds->window_dma,
				   ds->window_size, DMA_TO_DEVICE, 0);
	dma_release_channel(ds->chan);
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
	struct device *dma_dev = ds->chan->device->dev;
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
	int ret, i;

	ds = kzalloc_obj(*ds, GFP_KERNEL);
	if (!ds)
		return ERR_PTR(-ENOMEM);
	spin_lock_init(&ds->lock);
	init_waitqueue_head(&ds->idle);
	INIT_WORK(&ds->work, dma_work);
	for (i = 0; i < DMA_MAX_IN_FLIGHT; i++) {
		int g;

		for (g = 0; g < DMA_TOKEN_GENERATIONS; g++) {
			ds->tokens[g][i].ds = ds;
			ds->tokens[g][i].slot = i;
		}
	}
	device_property_read_u32(dev, "fpgacap,max-in-flight", &n);
	if (!n || n > DMA_MAX_IN_FLIGHT) {
		dev_err(dev, "fpgacap,max-in-flight must be 1..%d\n",
			DMA_MAX_IN_FLIGHT);
		kfree(ds);
		return ERR_PTR(-EINVAL);
	}
	ds->max_in_flight = n;
	ds->memcpy = memcpy;

	ds->chan = dma_request_chan(dev, "rx");
	if (IS_ERR(ds->chan)) {
		ret = PTR_ERR(ds->chan);
		kfree(ds);
		return ERR_PTR(dev_err_probe(dev, ret, "no rx DMA channel\n"));
	}

	ret = memcpy ? dma_setup_window(ds, dev) : dma_setup_slave(ds, dev);
	if (ret) {
		dev_err(dev, "bad %s configuration: %d\n",
			memcpy ? "memcpy window" : "slave DMA", ret);
		dma_release_channel(ds->chan);
		kfree(ds);
		return ERR_PTR(ret);
	}

	ds->src.ops = &dma_ops;
	ds->src.q = &fdev->queue;
	ds->src.inject = &fdev->inject;
	ds->src.type = memcpy ? FPGACAP_SOURCE_MEMCPY : FPGACAP_SOURCE_SLAVE_DMA;
	ds->src.dma_dev = ds->chan->device->dev;
	strscpy(ds->src.name, dma_chan_name(ds->chan), sizeof(ds->src.name));
	return &ds->src;
}
