// SPDX-License-Identifier: GPL-2.0-only
/*
 * The buffer pool: N buffers of S bytes, each built from the largest page
 * allocations that succeed and split into order-0 pages. Splitting matters:
 * vm_insert_page(), get_user_pages() and the network stack take references
 * on individual pages, and a high-order block referenced only at its head
 * would be freed under them.
 *
 * The pool is refcounted and outlives the device: the device holds one
 * reference while configured, every VMA one more, and the network stack
 * holds page references of its own after the last put. Its memory is
 * charged to the memory cgroup of the task that configured it and to the
 * device's budget (max_pinned) until it is freed.
 */
#include <linux/device.h>
#include <linux/dma-mapping.h>
#include <linux/gfp.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>

#include "../uapi/fpgacap.h"
#include "compat.h"
#include "inject.h"
#include "pool.h"

/* Pages held by all pools, for leak checks (debugfs pool_pages). */
atomic_long_t fpgacap_pool_pages = ATOMIC_LONG_INIT(0);

/**
 * fpgacap_pool_check_size() - validate a pool geometry against the limits
 * @count: number of buffers, at least 1
 * @buffer_size: bytes per buffer
 * @total: set to @count * @buffer_size on success
 *
 * Return: 0, -EINVAL (size 0 or not a page multiple), -EOVERFLOW (the
 * product does not fit 64 bits) or -E2BIG (above a limit).
 */
int fpgacap_pool_check_size(u32 count, u64 buffer_size, u64 *total)
{
	if (!buffer_size || !PAGE_ALIGNED(buffer_size))
		return -EINVAL;
	if (check_mul_overflow((u64)count, buffer_size, total))
		return -EOVERFLOW;
	if (count > READ_ONCE(fpgacap_limits.max_buffers) ||
	    buffer_size > READ_ONCE(fpgacap_limits.max_buffer_size) ||
	    *total > READ_ONCE(fpgacap_limits.max_pool_size))
		return -E2BIG;
	/* The mapping length and page count must fit the native types. */
	if (*total > SIZE_MAX || (*total >> PAGE_SHIFT) > ULONG_MAX)
		return -E2BIG;
	return 0;
}

static gfp_t pool_gfp(u32 flags, struct device *dma_dev)
{
	/*
	 * User pages, zeroed (nothing stale reaches a mapping), charged to
	 * the caller's memory cgroup. A request the system or the cgroup
	 * cannot meet fails with ENOMEM rather than waking the OOM killer.
	 */
	gfp_t gfp = __GFP_ZERO | __GFP_ACCOUNT | __GFP_RETRY_MAYFAIL |
		    __GFP_NOWARN;

	/*
	 * Lowmem unless asked: NICs without NETIF_F_HIGHDMA (the Zynq GEM
	 * among them) copy highmem pages on transmit, defeating zero-copy.
	 */
	gfp |= (flags & FPGACAP_CFG_HIGHMEM) ? GFP_HIGHUSER : GFP_USER;
	/* Keep a 32-bit engine off the bounce buffers. */
	if (IS_ENABLED(CONFIG_ZONE_DMA32) && dma_dev &&
	    dma_get_mask(dma_dev) <= DMA_BIT_MASK(32) &&
	    !(flags & FPGACAP_CFG_HIGHMEM))
		gfp |= GFP_DMA32;
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
			/* Above order 0 a failure is cheap and expected. */
			gfp_t g = order ? (gfp & ~__GFP_RETRY_MAYFAIL) |
					  __GFP_NORETRY : gfp;

			page = fpgacap_inject_alloc_fails(order) ? NULL :
				alloc_pages(g, order);
			if (page || !order)
				break;
			*order_cap = --order;
		}
		if (!page)
			return -ENOMEM;
		if (order)
			split_page(page, order);
		/*
		 * One buddy block never crosses a memory section, so its
		 * struct pages are contiguous whatever the memory model
		 * (6.18 removed nth_page(), which was for ranges that may).
		 */
		for (i = 0; i < (1U << order); i++)
			*pages++ = page + i;
		atomic_long_add(1L << order, &fpgacap_pool_pages);
		n -= 1U << order;
		pool_note_chunk(pool, order);

		if (fatal_signal_pending(current))
			return -EINTR;
		cond_resched();
	}
	return 0;
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

	pool->sgts = kvcalloc(pool->count, sizeof(*pool->sgts),
			      GFP_KERNEL_ACCOUNT);
	if (!pool->sgts)
		return -ENOMEM;
	for (b = 0; b < pool->count; b++) {
		struct page **pages = pool->pages + (unsigned long)b *
				      pool->buffer_pages;

		/* Physically contiguous runs become one entry each. */
		ret = sg_alloc_table_from_pages_segment(&pool->sgts[b], pages,
							pool->buffer_pages, 0,
							pool->buffer_size,
							max_seg,
							GFP_KERNEL_ACCOUNT);
		if (ret)
			return ret;
		pool->max_segments = max(pool->max_segments,
					 pool->sgts[b].orig_nents);
	}
	return 0;
}

/*
 * The zeroes __GFP_ZERO wrote sit in the CPU cache. A DMA_FROM_DEVICE
 * mapping on a non-coherent CPU (Zynq-7000, Cyclone V) invalidates the
 * buffer's lines without writing them back, so the zeroes would be
 * discarded and whatever DRAM held before (another user's data) would be
 * readable through the mapping until the device writes. A DMA_TO_DEVICE
 * mapping hands the CPU's writes to the device side, which means writing
 * them back: map and unmap once per buffer, before the real mapping. On
 * coherent systems this costs next to nothing.
 */
static int pool_write_back_zeroes(struct fpgacap_pool *pool,
				  struct device *dma_dev)
{
	u32 b;
	int ret;

	for (b = 0; b < pool->count; b++) {
		ret = dma_map_sgtable(dma_dev, &pool->sgts[b], DMA_TO_DEVICE,
				      0);
		if (ret)
			return ret;
		dma_unmap_sgtable(dma_dev, &pool->sgts[b], DMA_TO_DEVICE, 0);
	}
	return 0;
}

/*
 * Map every buffer once for the device that writes it. From here the
 * device owns all buffers until the queue syncs one for the CPU; per
 * cycle the queue only syncs: for the device when the source takes a
 * buffer, for the CPU when it completes.
 */
static int pool_dma_map(struct fpgacap_pool *pool, struct device *dma_dev)
{
	u32 b;
	int ret;

	ret = pool_write_back_zeroes(pool, dma_dev);
	if (ret)
		return ret;
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

/**
 * fpgacap_pool_dma_unmap() - give every buffer back to the CPU for good
 * @pool: the pool
 *
 * The device calls this when it lets go of the pool (reconfigure, owner
 * release, unbind), after its source stopped: the DMA mapping belongs to
 * the device, the pages to everyone who still maps them.
 */
void fpgacap_pool_dma_unmap(struct fpgacap_pool *pool)
{
	u32 b;

	if (!pool->mapped)
		return;
	for (b = 0; b < pool->count; b++)
		dma_unmap_sgtable(pool->dma_dev, &pool->sgts[b],
				  DMA_FROM_DEVICE, 0);
	pool->mapped = false;
	put_device(pool->dma_dev);
	pool->dma_dev = NULL;
}

/**
 * fpgacap_pool_sync_for_device() - the device takes buffer @index
 * @pool: the pool
 * @index: the buffer; the CPU must not touch it until synced back
 */
void fpgacap_pool_sync_for_device(struct fpgacap_pool *pool, u32 index)
{
	if (pool->mapped)
		dma_sync_sgtable_for_device(pool->dma_dev, &pool->sgts[index],
					    DMA_FROM_DEVICE);
}

/**
 * fpgacap_pool_sync_for_cpu() - the CPU takes buffer @index back
 * @pool: the pool
 * @index: the buffer; the device no longer writes it
 */
void fpgacap_pool_sync_for_cpu(struct fpgacap_pool *pool, u32 index)
{
	if (pool->mapped)
		dma_sync_sgtable_for_cpu(pool->dma_dev, &pool->sgts[index],
					 DMA_FROM_DEVICE);
}

static void pool_free(struct fpgacap_pool *pool)
{
	unsigned long i;
	u32 b;

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
	atomic64_sub(pool->bytes, &pool->budget->held);
	put_device(pool->budget->dev);
	kfree(pool);
}

/**
 * fpgacap_pool_create() - allocate, zero and DMA-map a pool
 * @budget: the device's budget, charged with the pool's size
 * @count: number of buffers
 * @buffer_size: bytes per buffer; @count and @buffer_size must have passed
 *	fpgacap_pool_check_size()
 * @flags: FPGACAP_CFG_* (HIGHMEM allows highmem pages, WRITABLE writable
 *	mappings)
 * @dma_dev: the device that writes the buffers, or NULL for a CPU source
 *
 * Return: the pool with one reference, or ERR_PTR(-EDQUOT) when the
 * budget is spent, -ENOMEM, or -EINTR on a fatal signal.
 */
struct fpgacap_pool *fpgacap_pool_create(struct fpgacap_budget *budget,
					 u32 count, size_t buffer_size,
					 u32 flags, struct device *dma_dev)
{
	unsigned int order_cap = min_t(unsigned int, FPGACAP_MAX_PAGE_ORDER,
				READ_ONCE(fpgacap_limits.max_alloc_order));
	u64 bytes = (u64)count * buffer_size;
	gfp_t gfp = pool_gfp(flags, dma_dev);
	struct fpgacap_pool *pool;
	u32 b;
	int ret;

	/* Reserve first: two configurations racing see each other. */
	if (atomic64_add_return(bytes, &budget->held) >
	    READ_ONCE(fpgacap_limits.max_pinned)) {
		atomic64_sub(bytes, &budget->held);
		return ERR_PTR(-EDQUOT);
	}
	pool = kzalloc_obj(*pool, GFP_KERNEL_ACCOUNT);
	if (!pool) {
		atomic64_sub(bytes, &budget->held);
		return ERR_PTR(-ENOMEM);
	}
	kref_init(&pool->ref);
	pool->budget = budget;
	get_device(budget->dev);
	pool->writable = flags & FPGACAP_CFG_WRITABLE;
	pool->count = count;
	pool->buffer_size = buffer_size;
	pool->buffer_pages = buffer_size >> PAGE_SHIFT;
	pool->npages = (unsigned long)count * pool->buffer_pages;
	pool->bytes = bytes;

	ret = -ENOMEM;
	pool->pages = kvcalloc(pool->npages, sizeof(*pool->pages),
			       GFP_KERNEL_ACCOUNT);
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

/**
 * fpgacap_pool_get() - take a reference (a VMA, a reader)
 * @pool: the pool
 */
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

/**
 * fpgacap_pool_put() - drop a reference; the last one frees the pages
 * @pool: the pool
 */
void fpgacap_pool_put(struct fpgacap_pool *pool)
{
	kref_put(&pool->ref, pool_release);
}
