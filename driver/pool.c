// SPDX-License-Identifier: GPL-2.0
/*
 * The buffer pool: N buffers of S bytes, each built from the largest page
 * allocations that succeed and split into order-0 pages. Splitting matters:
 * vm_insert_page(), get_user_pages() and the network stack take references
 * on individual pages, and a high-order block referenced only at its head
 * would be freed under them.
 *
 * The pool is refcounted and outlives the device: the device holds one
 * reference while configured, every VMA one more, and the network stack
 * holds page references of its own after the last put.
 */
#include <linux/dma-mapping.h>
#include <linux/gfp.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>

#include "fpgacap.h"

/* Pages held by all pools, for leak checks (debugfs pool_pages). */
atomic_long_t fpgacap_pool_pages = ATOMIC_LONG_INIT(0);

int fpgacap_pool_check_size(u32 count, u64 buffer_size, u64 *total)
{
	if (!buffer_size || !PAGE_ALIGNED(buffer_size))
		return -EINVAL;
	if (check_mul_overflow((u64)count, buffer_size, total))
		return -EOVERFLOW;
	if (count > fpgacap_limits.max_buffers ||
	    buffer_size > fpgacap_limits.max_buffer_size ||
	    *total > fpgacap_limits.max_pool_size)
		return -E2BIG;
	/* The mapping length and page count must fit the native types. */
	if (*total > SIZE_MAX || (*total >> PAGE_SHIFT) > ULONG_MAX)
		return -E2BIG;
	return 0;
}

static gfp_t pool_gfp(u32 flags, struct device *dma_dev)
{
	/* Zeroed: no stale kernel data ever reaches a user mapping. */
	gfp_t gfp = __GFP_ZERO;

	/*
	 * Lowmem unless asked: NICs without NETIF_F_HIGHDMA (the Zynq GEM
	 * among them) copy highmem pages on transmit, defeating zero-copy.
	 */
	gfp |= (flags & FPGACAP_CFG_HIGHMEM) ? GFP_HIGHUSER : GFP_KERNEL;
#ifdef CONFIG_ZONE_DMA32
	/* Keep a 32-bit engine off the bounce buffers. */
	if (dma_dev && dma_get_mask(dma_dev) <= DMA_BIT_MASK(32) &&
	    !(gfp & __GFP_HIGHMEM))
		gfp |= GFP_DMA32;
#endif
	return gfp;
}

static void pool_note_chunk(struct fpgacap_pool *pool, unsigned int order)
{
	if (!pool->chunks || order < pool->min_order)
		pool->min_order = order;
	if (!pool->chunks || order > pool->max_order)
		pool->max_order = order;
	pool->chunks++;
}

/* Test hook: pretend high orders are exhausted, as on a fragmented system. */
static bool pool_fail_order(unsigned int order)
{
	unsigned int fail = READ_ONCE(fpgacap_limits.alloc_fail_order);

	return order && fail && order >= fail;
}

/*
 * Fill @pages with @n pages, largest blocks first. A failed order lowers
 * @order_cap for the rest of the pool: retrying it for every chunk would
 * only repeat the failed compaction.
 */
static int pool_alloc_pages(struct fpgacap_pool *pool, struct page **pages,
			    unsigned int n, gfp_t gfp, unsigned int *order_cap)
{
	while (n) {
		unsigned int order = min_t(unsigned int, ilog2(n), *order_cap);
		struct page *page;
		unsigned int i;

		for (;;) {
			/* Only order 0 may retry hard and warn on failure. */
			gfp_t g = order ? gfp | __GFP_NOWARN | __GFP_NORETRY :
					  gfp;

			page = pool_fail_order(order) ? NULL :
							   alloc_pages(g, order);
			if (page || !order)
				break;
			*order_cap = --order;
		}
		if (!page)
			return -ENOMEM;
		if (order)
			split_page(page, order);
		for (i = 0; i < (1U << order); i++)
			*pages++ = nth_page(page, i);
		atomic_long_add(1L << order, &fpgacap_pool_pages);
		n -= 1U << order;
		pool_note_chunk(pool, order);

		if (fatal_signal_pending(current))
			return -EINTR;
		cond_resched();
	}
	return 0;
}

/* Classic baseline: one coherent allocation per buffer. */
static int pool_alloc_coherent(struct fpgacap_pool *pool, struct device *dev)
{
	u32 b;
	int ret;

	pool->cpu = kvcalloc(pool->count, sizeof(*pool->cpu), GFP_KERNEL);
	pool->dma = kvcalloc(pool->count, sizeof(*pool->dma), GFP_KERNEL);
	pool->sgts = kvcalloc(pool->count, sizeof(*pool->sgts), GFP_KERNEL);
	if (!pool->cpu || !pool->dma || !pool->sgts)
		return -ENOMEM;
	pool->coherent_dev = get_device(dev);
	for (b = 0; b < pool->count; b++) {
		struct scatterlist *sg;

		/* Zeroed by the DMA API. */
		pool->cpu[b] = dma_alloc_coherent(dev, pool->buffer_size,
						  &pool->dma[b], GFP_KERNEL);
		if (!pool->cpu[b])
			return -ENOMEM;
		/* One DMA-only segment: the engines take it like any other. */
		ret = sg_alloc_table(&pool->sgts[b], 1, GFP_KERNEL);
		if (ret)
			return ret;
		sg = pool->sgts[b].sgl;
		sg_dma_address(sg) = pool->dma[b];
		sg_dma_len(sg) = pool->buffer_size;
		pool->sgts[b].nents = 1;
		pool->chunks++;
	}
	pool->max_segments = 1;
	pool->min_order = get_order(pool->buffer_size);
	pool->max_order = pool->min_order;
	return 0;
}

/* Zap user mappings of a coherent pool, then free it; once. */
static void pool_free_coherent(struct fpgacap_pool *pool)
{
	u32 b;

	mutex_lock(&pool->zap_lock);
	if (pool->mapped_by) {
		unmap_mapping_range(pool->mapped_by, 0, 0, 1);
		iput(pool->mapped_by->host);
		pool->mapped_by = NULL;
	}
	for (b = 0; pool->cpu && b < pool->count; b++) {
		if (pool->cpu[b])
			dma_free_coherent(pool->coherent_dev, pool->buffer_size,
					  pool->cpu[b], pool->dma[b]);
		pool->cpu[b] = NULL;
	}
	mutex_unlock(&pool->zap_lock);
	if (pool->coherent_dev) {
		put_device(pool->coherent_dev);
		pool->coherent_dev = NULL;
	}
}

/*
 * mmap of a coherent pool, as classic drivers do it: dma_mmap_coherent,
 * one buffer per mapping (offset i * buffer_size, length buffer_size).
 */
int fpgacap_pool_mmap_coherent(struct fpgacap_pool *pool,
			       struct vm_area_struct *vma)
{
	unsigned long pgoff = vma->vm_pgoff;
	u32 b;
	int ret;

	if (vma->vm_end - vma->vm_start != pool->buffer_size ||
	    (pgoff << PAGE_SHIFT) % pool->buffer_size)
		return -EINVAL;
	b = (pgoff << PAGE_SHIFT) / pool->buffer_size;
	if (b >= pool->count)
		return -EINVAL;

	mutex_lock(&pool->zap_lock);
	ret = -ENODEV;
	if (!pool->cpu[b])
		goto out;
	/* All mappings must be zappable through one address_space. */
	ret = -EBUSY;
	if (pool->mapped_by && pool->mapped_by != vma->vm_file->f_mapping)
		goto out;
	if (!pool->mapped_by) {
		pool->mapped_by = vma->vm_file->f_mapping;
		ihold(pool->mapped_by->host);
	}
	/* The offset is the pool's; dma_mmap_coherent wants the buffer's. */
	vma->vm_pgoff = 0;
	ret = dma_mmap_coherent(pool->coherent_dev, vma, pool->cpu[b],
				pool->dma[b], pool->buffer_size);
	vma->vm_pgoff = pgoff;
out:
	mutex_unlock(&pool->zap_lock);
	return ret;
}

static void pool_free(struct fpgacap_pool *pool)
{
	unsigned long i;
	u32 b;

	if (pool->coherent) {
		pool_free_coherent(pool);
		kvfree(pool->cpu);
		kvfree(pool->dma);
	}

	if (pool->sgts) {
		for (b = 0; b < pool->count; b++)
			sg_free_table(&pool->sgts[b]);
		kvfree(pool->sgts);
	}
	if (pool->pages) {
		for (i = 0; i < pool->npages && pool->pages[i]; i++)
			put_page(pool->pages[i]);
		atomic_long_sub(i, &fpgacap_pool_pages);
		kvfree(pool->pages);
	}
	kfree(pool);
}

static unsigned int pool_max_segment(struct device *dma_dev)
{
	unsigned int max = dma_dev ? dma_get_max_seg_size(dma_dev) : UINT_MAX;

	/* sg_alloc_table_from_pages_segment() wants a page multiple. */
	return max_t(unsigned int, rounddown(max, PAGE_SIZE), PAGE_SIZE);
}

static int pool_build_sgts(struct fpgacap_pool *pool, struct device *dma_dev)
{
	unsigned int max_seg = pool_max_segment(dma_dev);
	u32 b;
	int ret;

	pool->sgts = kvcalloc(pool->count, sizeof(*pool->sgts), GFP_KERNEL);
	if (!pool->sgts)
		return -ENOMEM;
	for (b = 0; b < pool->count; b++) {
		struct page **pages = pool->pages + (unsigned long)b *
				      pool->buffer_pages;

		/* Physically contiguous runs become one entry each. */
		ret = sg_alloc_table_from_pages_segment(&pool->sgts[b], pages,
							pool->buffer_pages, 0,
							pool->buffer_size,
							max_seg, GFP_KERNEL);
		if (ret)
			return ret;
		pool->max_segments = max(pool->max_segments,
					 pool->sgts[b].orig_nents);
	}
	return 0;
}

/*
 * Map every buffer once for the device that writes it. Per cycle the queue
 * only syncs: for the device when the source takes a buffer, for the CPU
 * when it completes.
 */
static int pool_dma_map(struct fpgacap_pool *pool, struct device *dma_dev)
{
	u32 b;
	int ret;

	pool->max_segments = 0;
	for (b = 0; b < pool->count; b++) {
		ret = dma_map_sgtable(dma_dev, &pool->sgts[b], DMA_FROM_DEVICE,
				      0);
		if (ret) {
			while (b--)
				dma_unmap_sgtable(dma_dev, &pool->sgts[b],
						  DMA_FROM_DEVICE, 0);
			return ret;
		}
		pool->max_segments = max(pool->max_segments,
					 pool->sgts[b].nents);
	}
	pool->dma_dev = get_device(dma_dev);
	pool->mapped = true;
	return 0;
}

void fpgacap_pool_dma_unmap(struct fpgacap_pool *pool)
{
	u32 b;

	/* Coherent memory belongs to the device: it goes with it. */
	if (pool->coherent)
		pool_free_coherent(pool);
	if (!pool->mapped)
		return;
	for (b = 0; b < pool->count; b++)
		dma_unmap_sgtable(pool->dma_dev, &pool->sgts[b],
				  DMA_FROM_DEVICE, 0);
	pool->mapped = false;
	put_device(pool->dma_dev);
	pool->dma_dev = NULL;
}

/*
 * Allocate and, when @dma_dev is given, DMA-map a pool. Sizes must have
 * passed fpgacap_pool_check_size().
 */
struct fpgacap_pool *fpgacap_pool_create(u32 count, size_t buffer_size,
					 u32 flags, struct device *dma_dev,
					 struct device *coherent_dev)
{
	unsigned int order_cap = min_t(unsigned int, MAX_ORDER - 1,
				       fpgacap_limits.max_alloc_order);
	gfp_t gfp = pool_gfp(flags, dma_dev);
	struct fpgacap_pool *pool;
	u32 b;
	int ret;

	pool = kzalloc(sizeof(*pool), GFP_KERNEL);
	if (!pool)
		return ERR_PTR(-ENOMEM);
	kref_init(&pool->ref);
	pool->count = count;
	pool->flags = flags;
	pool->buffer_size = buffer_size;
	pool->buffer_pages = buffer_size >> PAGE_SHIFT;
	pool->npages = (unsigned long)count * pool->buffer_pages;
	mutex_init(&pool->zap_lock);

	if (flags & FPGACAP_CFG_COHERENT) {
		pool->coherent = true;
		ret = pool_alloc_coherent(pool, dma_dev ?: coherent_dev);
		if (ret)
			goto err;
		return pool;
	}

	ret = -ENOMEM;
	pool->pages = kvcalloc(pool->npages, sizeof(*pool->pages), GFP_KERNEL);
	if (!pool->pages)
		goto err;
	for (b = 0; b < count; b++) {
		ret = pool_alloc_pages(pool, pool->pages + (unsigned long)b *
				       pool->buffer_pages, pool->buffer_pages,
				       gfp, &order_cap);
		if (ret)
			goto err;
	}
	ret = pool_build_sgts(pool, dma_dev);
	if (ret)
		goto err;
	if (dma_dev) {
		ret = pool_dma_map(pool, dma_dev);
		if (ret)
			goto err;
	}
	return pool;
err:
	pool_free(pool);
	return ERR_PTR(ret);
}

void fpgacap_pool_get(struct fpgacap_pool *pool)
{
	kref_get(&pool->ref);
}

static void pool_release(struct kref *ref)
{
	struct fpgacap_pool *pool = container_of(ref, struct fpgacap_pool, ref);

	/* The device unmaps before it lets go; a mapped pool here is a bug. */
	if (WARN_ON(pool->mapped))
		fpgacap_pool_dma_unmap(pool);
	pool_free(pool);
}

void fpgacap_pool_put(struct fpgacap_pool *pool)
{
	kref_put(&pool->ref, pool_release);
}
