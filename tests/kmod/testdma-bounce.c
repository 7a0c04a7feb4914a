// SPDX-License-Identifier: GPL-2.0
/*
 * fpgacap-testdma's checking DMA operations: a device view of memory apart
 * from the CPU's, as a non-coherent CPU has one behind its caches and
 * swiotlb behind its bounce buffers, so that a missing or misplaced DMA
 * sync shows in the data on any architecture, QEMU's cache-less machines
 * included.
 *
 * Every mapping gets a shadow, naturally aligned, that the device reads and
 * writes instead of the CPU's pages. The CPU's pages change only where the
 * DMA API says the CPU takes the memory back:
 *   map                   CPU -> shadow (what swiotlb does, any direction)
 *   sync for the device   TO_DEVICE: CPU -> shadow; FROM_DEVICE: the CPU's
 *                         pages are poisoned (TDMA_POISON): until the sync
 *                         for the CPU, what a CPU reads there is undefined
 *   sync for the CPU      FROM_DEVICE: shadow -> CPU
 *   unmap                 FROM_DEVICE: shadow -> CPU
 * So a client that reads a buffer without the sync for the CPU, or before
 * the device finished, reads poison or stale data, and one that forgets
 * the sync for the device is not caught here (the device writes anyway);
 * that is the one a real non-coherent CPU punishes least.
 *
 * Mappings are made in process context only (fpgacap maps at CONFIGURE);
 * syncs may come from any context.
 */
#include <linux/debugfs.h>
#include <linux/dma-direct.h>
#include <linux/dma-map-ops.h>
#include <linux/dma-mapping.h>
#include <linux/gfp.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>

#include "../../driver/compat.h"
#include "testdma.h"

/* One mapping: the device's copy of [phys, phys + size). */
struct tdma_shadow {
	void *buf;			/* the device's view, 2^order pages */
	unsigned int order;
	dma_addr_t dma;			/* what the device is told */
	phys_addr_t phys;		/* the CPU's memory */
	size_t size;
};

/* Copy between the CPU's memory at @phys and @buf, a page at a time. */
static void tdma_copy(phys_addr_t phys, void *buf, size_t size, bool to_cpu)
{
	while (size) {
		size_t off = offset_in_page(phys);
		size_t n = min_t(size_t, size, PAGE_SIZE - off);
		/* The pool's pages may be highmem on 32-bit ARM. */
		void *cpu = kmap_local_page(pfn_to_page(PHYS_PFN(phys)));

		if (to_cpu)
			memcpy(cpu + off, buf, n);
		else
			memcpy(buf, cpu + off, n);
		kunmap_local(cpu);
		phys += n;
		buf += n;
		size -= n;
	}
}

static void tdma_poison(phys_addr_t phys, size_t size)
{
	while (size) {
		size_t off = offset_in_page(phys);
		size_t n = min_t(size_t, size, PAGE_SIZE - off);
		void *cpu = kmap_local_page(pfn_to_page(PHYS_PFN(phys)));

		memset(cpu + off, TDMA_POISON, n);
		kunmap_local(cpu);
		phys += n;
		size -= n;
	}
}

/* The shadow holding @addr, and @addr's offset in it. */
static struct tdma_shadow *tdma_find(struct device *dev, dma_addr_t addr,
				     size_t *off)
{
	struct tdma_bounce *b = tdma_bounce_of(dev);
	struct tdma_shadow *s;

	s = xa_load(&b->shadows, PHYS_PFN(dma_to_phys(dev, addr)));
	if (!s || addr < s->dma || addr - s->dma >= s->size) {
		dev_err_ratelimited(dev, "no bounce mapping at %pad\n", &addr);
		return NULL;
	}
	*off = addr - s->dma;
	return s;
}

/*
 * MMIO (dma_map_resource()) is neither cached by the CPU nor bounced by
 * swiotlb: the device reaches it directly, as dma-direct maps it.
 */
static dma_addr_t tdma_map_phys(struct device *dev, phys_addr_t phys,
				size_t size, enum dma_data_direction dir,
				unsigned long attrs)
{
	struct tdma_bounce *b = tdma_bounce_of(dev);
	size_t sub = offset_in_page(phys);
	u32 max = READ_ONCE(b->max_mapping);
	struct tdma_shadow *s;
	unsigned long pfn, i;

	if (attrs & DMA_ATTR_MMIO)
		return phys_to_dma(dev, phys);
	might_sleep();
	if (!size || (max && size > max)) {
		atomic_inc(&b->refused);
		return DMA_MAPPING_ERROR;
	}
	s = kzalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return DMA_MAPPING_ERROR;
	/* Naturally aligned: it crosses no boundary its size respects. */
	s->order = get_order(sub + size);
	s->buf = (void *)__get_free_pages(GFP_KERNEL | __GFP_NOWARN, s->order);
	if (!s->buf) {
		kfree(s);
		return DMA_MAPPING_ERROR;
	}
	s->buf += sub;
	s->dma = phys_to_dma(dev, virt_to_phys(s->buf));
	s->phys = phys;
	s->size = size;
	tdma_copy(phys, s->buf, size, false);

	pfn = PHYS_PFN(virt_to_phys(s->buf));
	for (i = 0; i < (1UL << s->order); i++) {
		if (xa_err(xa_store(&b->shadows, pfn + i, s, GFP_KERNEL))) {
			while (i--)
				xa_erase(&b->shadows, pfn + i);
			free_pages((unsigned long)s->buf - sub, s->order);
			kfree(s);
			return DMA_MAPPING_ERROR;
		}
	}
	atomic_inc(&b->mapped);
	atomic_inc(&b->mappings);
	return s->dma;
}

FPGACAP_DMA_MAP_PHYS_ADAPTER(tdma_map_phys);

static void tdma_unmap_phys(struct device *dev, dma_addr_t addr, size_t size,
			    enum dma_data_direction dir, unsigned long attrs)
{
	struct tdma_bounce *b = tdma_bounce_of(dev);
	struct tdma_shadow *s;
	unsigned long pfn, i;
	size_t off;

	if (attrs & DMA_ATTR_MMIO)
		return;
	s = tdma_find(dev, addr, &off);
	if (!s)
		return;
	if ((dir == DMA_FROM_DEVICE || dir == DMA_BIDIRECTIONAL) &&
	    !(attrs & DMA_ATTR_SKIP_CPU_SYNC)) {
		tdma_copy(s->phys, s->buf, s->size, true);
		atomic_inc(&b->to_cpu);
	}
	pfn = PHYS_PFN(virt_to_phys(s->buf));
	for (i = 0; i < (1UL << s->order); i++)
		xa_erase(&b->shadows, pfn + i);
	free_pages((unsigned long)s->buf - offset_in_page(s->buf), s->order);
	kfree(s);
	atomic_dec(&b->mapped);
}

static void tdma_sync_for_cpu(struct device *dev, dma_addr_t addr,
			      size_t size, enum dma_data_direction dir)
{
	struct tdma_shadow *s;
	size_t off;

	if (dir == DMA_TO_DEVICE)
		return;
	s = tdma_find(dev, addr, &off);
	if (!s)
		return;
	size = min(size, s->size - off);
	tdma_copy(s->phys + off, s->buf + off, size, true);
	atomic_inc(&tdma_bounce_of(dev)->to_cpu);
}

static void tdma_sync_for_device(struct device *dev, dma_addr_t addr,
				 size_t size, enum dma_data_direction dir)
{
	struct tdma_shadow *s;
	size_t off;

	s = tdma_find(dev, addr, &off);
	if (!s)
		return;
	size = min(size, s->size - off);
	if (dir == DMA_FROM_DEVICE) {
		/* The device owns it now: the CPU's view is undefined. */
		tdma_poison(s->phys + off, size);
		atomic_inc(&tdma_bounce_of(dev)->poisoned);
	} else {
		tdma_copy(s->phys + off, s->buf + off, size, false);
	}
}

static void tdma_unmap_sg(struct device *dev, struct scatterlist *sgl,
			  int nents, enum dma_data_direction dir,
			  unsigned long attrs)
{
	struct scatterlist *sg;
	int i;

	for_each_sg(sgl, sg, nents, i)
		tdma_unmap_phys(dev, sg_dma_address(sg), sg_dma_len(sg), dir,
				attrs);
}

static int tdma_map_sg(struct device *dev, struct scatterlist *sgl, int nents,
		       enum dma_data_direction dir, unsigned long attrs)
{
	struct scatterlist *sg;
	int i;

	for_each_sg(sgl, sg, nents, i) {
		sg->dma_address = tdma_map_phys(dev, sg_phys(sg), sg->length,
						dir, attrs);
		if (sg->dma_address == DMA_MAPPING_ERROR) {
			tdma_unmap_sg(dev, sgl, i, dir,
				      attrs | DMA_ATTR_SKIP_CPU_SYNC);
			return -EINVAL;
		}
		sg_dma_len(sg) = sg->length;
	}
	return nents;
}

static void tdma_sync_sg_for_cpu(struct device *dev, struct scatterlist *sgl,
				 int nents, enum dma_data_direction dir)
{
	struct scatterlist *sg;
	int i;

	for_each_sg(sgl, sg, nents, i)
		tdma_sync_for_cpu(dev, sg_dma_address(sg), sg_dma_len(sg), dir);
}

static void tdma_sync_sg_for_device(struct device *dev,
				    struct scatterlist *sgl, int nents,
				    enum dma_data_direction dir)
{
	struct scatterlist *sg;
	int i;

	for_each_sg(sgl, sg, nents, i)
		tdma_sync_for_device(dev, sg_dma_address(sg), sg_dma_len(sg),
				     dir);
}

static size_t tdma_max_mapping_size(struct device *dev)
{
	u32 max = READ_ONCE(tdma_bounce_of(dev)->max_mapping);

	return max ? max : SIZE_MAX;
}

static const struct dma_map_ops tdma_bounce_ops = {
	FPGACAP_DMA_OPS_MAP_PHYS(tdma_map_phys, tdma_unmap_phys),
	.map_sg = tdma_map_sg,
	.unmap_sg = tdma_unmap_sg,
	.sync_single_for_cpu = tdma_sync_for_cpu,
	.sync_single_for_device = tdma_sync_for_device,
	.sync_sg_for_cpu = tdma_sync_sg_for_cpu,
	.sync_sg_for_device = tdma_sync_sg_for_device,
	.max_mapping_size = tdma_max_mapping_size,
};

void tdma_bounce_init(struct tdma_bounce *b)
{
	mutex_init(&b->lock);
	xa_init(&b->shadows);
}

/**
 * tdma_bounce_set() - route the device's DMA through the bounce operations
 * @dev: the engine's device
 * @b: its bounce state
 * @on: true to bounce, false for the direct mapping
 *
 * Return: 0; -EBUSY while a bounce mapping exists; -EOPNOTSUPP where the
 * kernel has no per-device DMA operations.
 */
int tdma_bounce_set(struct device *dev, struct tdma_bounce *b, bool on)
{
	int ret = 0;

	if (!IS_ENABLED(CONFIG_DMA_OPS))
		return on ? -EOPNOTSUPP : 0;
	mutex_lock(&b->lock);
	if (on != b->on && atomic_read(&b->mapped))
		ret = -EBUSY;
	else if (on != b->on)
		set_dma_ops(dev, on ? &tdma_bounce_ops : NULL);
	if (!ret)
		b->on = on;
	mutex_unlock(&b->lock);
	return ret;
}

static int tdma_bounce_get(void *data, u64 *val)
{
	struct device *dev = data;

	*val = tdma_bounce_of(dev)->on;
	return 0;
}

static int tdma_bounce_put(void *data, u64 val)
{
	struct device *dev = data;

	if (val > 1)
		return -EINVAL;
	return tdma_bounce_set(dev, tdma_bounce_of(dev), val);
}
DEFINE_DEBUGFS_ATTRIBUTE(tdma_bounce_fops, tdma_bounce_get, tdma_bounce_put,
			 "%llu\n");

/* The knobs and counters of @dev's bounce state @b, in @dir. */
void tdma_bounce_debugfs(struct tdma_bounce *b, struct dentry *dir,
			 struct device *dev)
{
	debugfs_create_file_unsafe("bounce", 0600, dir, dev,
				   &tdma_bounce_fops);
	debugfs_create_u32("max_mapping", 0600, dir, &b->max_mapping);
	debugfs_create_atomic_t("bounce_mapped", 0400, dir, &b->mapped);
	debugfs_create_atomic_t("bounce_mappings", 0400, dir, &b->mappings);
	debugfs_create_atomic_t("bounce_refused", 0400, dir, &b->refused);
	debugfs_create_atomic_t("bounce_to_cpu", 0400, dir, &b->to_cpu);
	debugfs_create_atomic_t("bounce_poisoned", 0400, dir, &b->poisoned);
}

/* The device is going: nothing may still be mapped through it. */
void tdma_bounce_destroy(struct device *dev, struct tdma_bounce *b)
{
	WARN_ON(atomic_read(&b->mapped));
	tdma_bounce_set(dev, b, false);
	xa_destroy(&b->shadows);
	mutex_destroy(&b->lock);
}
