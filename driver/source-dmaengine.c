// SPDX-License-Identifier: GPL-2.0
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
 * software; a completion re-arms from the free buffers. If none is free
 * the ring runs dry, which is counted as a drop, and the next buffer is
 * flagged LOST (the amount is the peripheral's to know: lost_bytes is 0).
 *
 * The PL330 driver runs completion callbacks from inside issue_pending,
 * so issue_pending is never called with our lock held, and two callbacks
 * may run at once (the tasklet and an issue_pending on another CPU) in
 * either order. The in-flight slots are therefore a ring in submission
 * order: a callback only marks its slot done, and buffers are delivered
 * from the head while the head is done. Nothing is delivered out of
 * order, and a transfer that never ends holds back what follows.
 *
 * dmaengine_terminate_sync() does not wait for a callback the engine had
 * already fetched (the PL330 has no device_synchronize), so every slot
 * carries the stream generation and a callback from an older one does
 * nothing.
 */
#include <linux/dma-mapping.h>
#include <linux/dmaengine.h>
#include <linux/io.h>
#include <linux/math64.h>
#include <linux/module.h>
#include <linux/of.h>
#include <linux/of_address.h>
#include <linux/platform_device.h>
#include <linux/slab.h>

#include "fpgacap.h"

#define DMA_MAX_IN_FLIGHT 32

static unsigned int stop_drain_ms = 200;
module_param(stop_drain_ms, uint, 0644);
MODULE_PARM_DESC(stop_drain_ms,
		 "how long STOP lets in-flight DMA finish before killing it");

struct dma_source;

struct dma_slot {
	struct dma_source *ds;
	struct fpgacap_buf *buf;	/* NULL: slot unused */
	unsigned int gen;
	bool done;			/* the engine finished it */
	bool held;			/* stall test hook: never finishes */
	size_t bytes;
	u32 flags;
};

struct dma_source {
	struct fpgacap_source src;
	struct dma_chan *chan;
	spinlock_t lock;		/* slots, ring, gen, running, pos */
	bool running;			/* new transfers may be submitted */
	bool ring_dry;			/* nothing in flight for want of buffers */
	unsigned int gen;
	unsigned int max_in_flight;
	unsigned int head, count;	/* the ring of slots in flight */
	struct dma_slot slots[DMA_MAX_IN_FLIGHT];
	wait_queue_head_t idle;		/* stop waits for the ring to drain */
	/* memcpy: the window, mapped for the engine to read. */
	phys_addr_t window_phys;
	size_t window_size;
	dma_addr_t window_dma;
	u64 pos;			/* memcpy: stream position submitted */
};

static void dma_complete(void *param, const struct dmaengine_result *res);

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
			u64 rem;

			div64_u64_rem(phase, ds->window_size, &rem);
			off = rem;
			n = min(left, ds->window_size - off);
			bool last = n == left && i == buf->sgt->nents - 1;

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

/*
 * Queue free buffers until max_in_flight are in flight; ds->lock held.
 * Returns true if the caller must call dma_async_issue_pending() once it
 * has dropped the lock.
 */
static bool dma_submit_more(struct dma_source *ds)
{
	struct fpgacap_queue *q = ds->src.q;
	bool submitted = false;

	if (!ds->running)
		return false;
	while (ds->count < ds->max_in_flight) {
		struct dma_slot *slot = &ds->slots[(ds->head + ds->count) %
						   ds->max_in_flight];
		struct dma_async_tx_descriptor *tx;
		struct fpgacap_buf *buf;

		buf = fpgacap_queue_take_free(q);
		if (!buf)
			break;
		if (ds->window_size)
			tx = dma_prep_memcpy(ds, buf, ds->pos);
		else
			tx = dmaengine_prep_slave_sg(ds->chan, buf->sgt->sgl,
						     buf->sgt->nents,
						     DMA_DEV_TO_MEM,
						     DMA_PREP_INTERRUPT);
		if (!tx) {
			fpgacap_queue_requeue(q, buf);
			fpgacap_queue_fail(q, -ENOMEM);
			break;
		}
		slot->buf = buf;
		slot->gen = ds->gen;
		slot->done = false;
		slot->held = false;
		tx->callback_result = dma_complete;
		tx->callback_param = slot;
		if (dma_submit_error(dmaengine_submit(tx))) {
			slot->buf = NULL;
			fpgacap_queue_requeue(q, buf);
			fpgacap_queue_fail(q, -EIO);
			break;
		}
		ds->pos += q->pool->buffer_size;
		ds->count++;
		submitted = true;
	}
	if (!ds->count && !ds->ring_dry) {
		/* The engine has nowhere to write: the peripheral overruns. */
		ds->ring_dry = true;
		fpgacap_queue_drop(q, 0);
	} else if (ds->count) {
		ds->ring_dry = false;
	}
	return submitted;
}

/* Hand finished buffers to the queue, oldest first; ds->lock held. */
static void dma_deliver(struct dma_source *ds)
{
	struct fpgacap_queue *q = ds->src.q;

	while (ds->count) {
		struct dma_slot *slot = &ds->slots[ds->head];
		struct fpgacap_buf *buf = slot->buf;

		if (!slot->done)
			break;
		slot->buf = NULL;
		ds->head = (ds->head + 1) % ds->max_in_flight;
		ds->count--;
		fpgacap_queue_complete(q, buf, slot->bytes, slot->flags);
		if (slot->flags & FPGACAP_BUF_ERROR)
			fpgacap_queue_fail(q, -EIO);
	}
}

static void dma_complete(void *param, const struct dmaengine_result *res)
{
	struct dma_slot *slot = param;
	struct dma_source *ds = slot->ds;
	struct fpgacap_queue *q = ds->src.q;
	unsigned long flags;
	bool issue;
	size_t size;

	spin_lock_irqsave(&ds->lock, flags);
	if (slot->gen != ds->gen || !slot->buf || slot->done || slot->held) {
		spin_unlock_irqrestore(&ds->lock, flags);
		return;
	}
	size = q->pool->buffer_size;
	slot->bytes = size - min_t(size_t, res->residue, size);
	slot->flags = 0;
	if (res->result != DMA_TRANS_NOERROR ||
	    atomic_dec_if_positive(&q->inject_error) >= 0)
		slot->flags |= FPGACAP_BUF_ERROR;
	if (atomic_dec_if_positive(&q->inject_short) >= 0)
		slot->bytes = round_down(size / 2, 8);
	/* Test hook: as if this transfer never ended. */
	if (fpgacap_queue_should_stall(q))
		slot->held = true;
	else
		slot->done = true;
	dma_deliver(ds);
	issue = dma_submit_more(ds);
	if (!ds->count)
		wake_up(&ds->idle);
	spin_unlock_irqrestore(&ds->lock, flags);
	if (issue)
		dma_async_issue_pending(ds->chan);
}

static int dma_start(struct fpgacap_source *src)
{
	struct dma_source *ds = container_of(src, struct dma_source, src);
	bool issue;

	spin_lock_irq(&ds->lock);
	ds->running = true;
	ds->ring_dry = false;
	ds->pos = 0;
	issue = dma_submit_more(ds);
	spin_unlock_irq(&ds->lock);
	if (issue)
		dma_async_issue_pending(ds->chan);
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
 * delivered (DEQUEUE drains it), for up to stop_drain_ms. Only transfers
 * that do not end by then (a peripheral gone quiet, a stall) are killed
 * with dmaengine_terminate_sync().
 */
static void dma_stop(struct fpgacap_source *src)
{
	struct dma_source *ds = container_of(src, struct dma_source, src);
	unsigned int i;

	spin_lock_irq(&ds->lock);
	ds->running = false;
	spin_unlock_irq(&ds->lock);

	wait_event_timeout(ds->idle, dma_idle(ds),
			   msecs_to_jiffies(stop_drain_ms));

	spin_lock_irq(&ds->lock);
	ds->gen++;
	spin_unlock_irq(&ds->lock);

	dmaengine_terminate_sync(ds->chan);

	spin_lock_irq(&ds->lock);
	for (i = 0; i < ds->max_in_flight; i++) {
		if (ds->slots[i].buf)
			fpgacap_queue_requeue(src->q, ds->slots[i].buf);
		ds->slots[i].buf = NULL;
	}
	ds->head = 0;
	ds->count = 0;
	spin_unlock_irq(&ds->lock);
}

static void dma_kick(struct fpgacap_source *src)
{
	struct dma_source *ds = container_of(src, struct dma_source, src);
	bool issue;

	spin_lock_irq(&ds->lock);
	issue = dma_submit_more(ds);
	spin_unlock_irq(&ds->lock);
	if (issue)
		dma_async_issue_pending(ds->chan);
}

static void dma_destroy(struct fpgacap_source *src)
{
	struct dma_source *ds = container_of(src, struct dma_source, src);

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
 * Slave configuration from the device tree. Engines that stream (AXI DMA
 * S2MM, mSGDMA) need no FIFO address; the PL330 does.
 */
static int dma_setup_slave(struct dma_source *ds, struct device_node *np)
{
	struct dma_slave_config cfg = {
		.direction = DMA_DEV_TO_MEM,
	};
	u32 width = 4, burst = 4, fifo32;
	u64 fifo;

	if (!of_property_read_u64(np, "fpgacap,fifo-address", &fifo))
		cfg.src_addr = fifo;
	else if (!of_property_read_u32(np, "fpgacap,fifo-address", &fifo32))
		cfg.src_addr = fifo32;
	else
		return 0;
	of_property_read_u32(np, "fpgacap,bus-width", &width);
	of_property_read_u32(np, "fpgacap,burst", &burst);
	if (!is_power_of_2(width) || width > 8 || !burst)
		return -EINVAL;
	cfg.src_addr_width = width;
	cfg.src_maxburst = burst;
	return dmaengine_slave_config(ds->chan, &cfg);
}

/*
 * The memory window the engine copies from. With fpgacap,fill-window the
 * driver writes the test pattern into it (64-bit little-endian word k at
 * byte 8k), so tests can check every byte that lands in a buffer.
 */
static int dma_setup_window(struct dma_source *ds, struct device_node *np)
{
	struct device *dma_dev = ds->chan->device->dev;
	struct resource res;
	int ret;

	ret = of_address_to_resource(np, 0, &res);
	if (ret)
		return ret;
	if (resource_size(&res) < 8 || resource_size(&res) % 8)
		return -EINVAL;
	ds->window_phys = res.start;
	ds->window_size = resource_size(&res);

	if (of_property_read_bool(np, "fpgacap,fill-window")) {
		void __iomem *win = ioremap(res.start, ds->window_size);
		size_t k;

		if (!win)
			return -ENOMEM;
		for (k = 0; k < ds->window_size / 8; k++) {
			iowrite32(lower_32_bits(k), win + 8 * k);
			iowrite32(upper_32_bits((u64)k), win + 8 * k + 4);
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

/* Build the source the device tree describes; channel "rx". */
struct fpgacap_source *fpgacap_dmaengine_create(struct fpgacap_dev *fdev,
						bool memcpy)
{
	struct device *dev = fdev->parent;
	struct device_node *np = dev->of_node;
	struct dma_source *ds;
	u32 n = 4;
	int ret, i;

	ds = kzalloc(sizeof(*ds), GFP_KERNEL);
	if (!ds)
		return ERR_PTR(-ENOMEM);
	spin_lock_init(&ds->lock);
	init_waitqueue_head(&ds->idle);
	for (i = 0; i < DMA_MAX_IN_FLIGHT; i++)
		ds->slots[i].ds = ds;
	of_property_read_u32(np, "fpgacap,max-in-flight", &n);
	if (!n || n > DMA_MAX_IN_FLIGHT) {
		dev_err(dev, "fpgacap,max-in-flight must be 1..%d\n",
			DMA_MAX_IN_FLIGHT);
		kfree(ds);
		return ERR_PTR(-EINVAL);
	}
	ds->max_in_flight = n;

	ds->chan = dma_request_chan(dev, "rx");
	if (IS_ERR(ds->chan)) {
		ret = PTR_ERR(ds->chan);
		kfree(ds);
		return ERR_PTR(dev_err_probe(dev, ret, "no rx DMA channel\n"));
	}

	ret = memcpy ? dma_setup_window(ds, np) : dma_setup_slave(ds, np);
	if (ret) {
		dev_err(dev, "bad %s configuration: %d\n",
			memcpy ? "memcpy window" : "slave DMA", ret);
		dma_release_channel(ds->chan);
		kfree(ds);
		return ERR_PTR(ret);
	}

	ds->src.ops = &dma_ops;
	ds->src.fdev = fdev;
	ds->src.q = &fdev->q;
	ds->src.type = memcpy ? FPGACAP_SOURCE_MEMCPY : FPGACAP_SOURCE_SLAVE_DMA;
	ds->src.dma_dev = ds->chan->device->dev;
	strscpy(ds->src.name, dma_chan_name(ds->chan), sizeof(ds->src.name));
	return &ds->src;
}
