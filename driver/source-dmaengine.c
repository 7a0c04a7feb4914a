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
 * Ordering with late callbacks: dmaengine_terminate_sync() does not wait
 * for a callback the engine already fetched (PL330 has no
 * device_synchronize), so every in-flight slot carries the stream
 * generation and a callback from an older one does nothing.
 */
#include <linux/dma-mapping.h>
#include <linux/dmaengine.h>
#include <linux/io.h>
#include <linux/math64.h>
#include <linux/of.h>
#include <linux/of_address.h>
#include <linux/platform_device.h>
#include <linux/slab.h>

#include "fpgacap.h"

#define DMA_MAX_IN_FLIGHT 32

struct dma_source;

struct dma_slot {
	struct dma_source *ds;
	struct fpgacap_buf *buf;	/* NULL: slot unused */
	u64 window_pos;			/* memcpy: window phase of the buffer */
	unsigned int gen;
	bool held;			/* stall test hook: never completes */
};

struct dma_source {
	struct fpgacap_source src;
	struct dma_chan *chan;
	spinlock_t lock;		/* slots, gen, running, pos */
	bool running;
	bool ring_dry;			/* nothing in flight for want of buffers */
	unsigned int gen;
	unsigned int max_in_flight;
	struct dma_slot slots[DMA_MAX_IN_FLIGHT];
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

/* Fill free slots with free buffers; ds->lock held. */
static void dma_submit_more(struct dma_source *ds)
{
	struct fpgacap_queue *q = ds->src.q;
	unsigned int i, inflight = 0, submitted = 0;

	if (!ds->running)
		return;
	for (i = 0; i < ds->max_in_flight; i++) {
		struct dma_slot *slot = &ds->slots[i];
		struct dma_async_tx_descriptor *tx;
		struct fpgacap_buf *buf;

		if (slot->buf) {
			inflight++;
			continue;
		}
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
		slot->held = false;
		slot->window_pos = ds->pos;
		ds->pos += q->pool->buffer_size;
		tx->callback_result = dma_complete;
		tx->callback_param = slot;
		if (dma_submit_error(dmaengine_submit(tx))) {
			slot->buf = NULL;
			fpgacap_queue_requeue(q, buf);
			fpgacap_queue_fail(q, -EIO);
			break;
		}
		inflight++;
		submitted++;
	}
	if (submitted)
		dma_async_issue_pending(ds->chan);
	if (!inflight && !ds->ring_dry) {
		/* The engine has nowhere to write: the peripheral overruns. */
		ds->ring_dry = true;
		fpgacap_queue_drop(q, 0);
	} else if (inflight) {
		ds->ring_dry = false;
	}
}

static void dma_complete(void *param, const struct dmaengine_result *res)
{
	struct dma_slot *slot = param;
	struct dma_source *ds = slot->ds;
	struct fpgacap_queue *q = ds->src.q;
	struct fpgacap_buf *buf;
	unsigned long flags;
	size_t size, bytes;
	u32 bflags = 0;

	spin_lock_irqsave(&ds->lock, flags);
	if (!ds->running || slot->gen != ds->gen || !slot->buf) {
		spin_unlock_irqrestore(&ds->lock, flags);
		return;
	}
	buf = slot->buf;
	size = q->pool->buffer_size;
	bytes = size - min_t(size_t, res->residue, size);
	if (res->result != DMA_TRANS_NOERROR ||
	    atomic_dec_if_positive(&q->inject_error) >= 0)
		bflags |= FPGACAP_BUF_ERROR;
	if (atomic_dec_if_positive(&q->inject_short) >= 0)
		bytes = round_down(size / 2, 8);
	if (fpgacap_queue_should_stall(q)) {
		/* Test hook: as if the transfer never ended. */
		slot->held = true;
		spin_unlock_irqrestore(&ds->lock, flags);
		return;
	}
	slot->buf = NULL;
	fpgacap_queue_complete(q, buf, bytes, bflags);
	if (bflags & FPGACAP_BUF_ERROR)
		fpgacap_queue_fail(q, -EIO);
	else
		dma_submit_more(ds);
	spin_unlock_irqrestore(&ds->lock, flags);
}

static int dma_start(struct fpgacap_source *src)
{
	struct dma_source *ds = container_of(src, struct dma_source, src);

	spin_lock_irq(&ds->lock);
	ds->running = true;
	ds->ring_dry = false;
	ds->pos = 0;
	dma_submit_more(ds);
	spin_unlock_irq(&ds->lock);
	return 0;
}

static void dma_stop(struct fpgacap_source *src)
{
	struct dma_source *ds = container_of(src, struct dma_source, src);
	unsigned int i;

	spin_lock_irq(&ds->lock);
	ds->running = false;
	ds->gen++;
	spin_unlock_irq(&ds->lock);

	dmaengine_terminate_sync(ds->chan);

	spin_lock_irq(&ds->lock);
	for (i = 0; i < ds->max_in_flight; i++) {
		if (ds->slots[i].buf)
			fpgacap_queue_requeue(src->q, ds->slots[i].buf);
		ds->slots[i].buf = NULL;
	}
	spin_unlock_irq(&ds->lock);
}

static void dma_kick(struct fpgacap_source *src)
{
	struct dma_source *ds = container_of(src, struct dma_source, src);

	spin_lock_irq(&ds->lock);
	dma_submit_more(ds);
	spin_unlock_irq(&ds->lock);
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
