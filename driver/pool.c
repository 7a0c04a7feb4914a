// SPDX-License-Identifier: GPL-2.0-only
/*
 * The buffer pool: N buffers of S bytes, each built from the largest page
 * allocations that succeed and split into order-0 pages. Splitting matters:
 * vm_insert_page(), get_user_pages() and the network stack take references
 * on individual pages, and a high-order block referenced only at its head
 * would be freed under them.
 *
 * Orders are chosen for what the device needs and what the system keeps:
 * a chunk longer than the device's longest segment saves it nothing, a
 * CPU source needs no contiguity (small chunks, cheap to allocate), and a
 * high order is taken only while its zone keeps a reserve of free blocks
 * of that order (page tables, slabs and the network's page fragments are
 * made of them); below it the pool takes single pages, and stops where
 * even those would break up the zone's last free blocks.
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
#include <linux/mmzone.h>
#include <linux/overflow.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/swiotlb.h>
#include <linux/vmstat.h>

#include "../uapi/fpgacap.h"
#include "compat.h"
#include "inject.h"
#include "pool.h"

/* Pages held by all pools, for leak checks (debugfs pool_pages). */
atomic_long_t fpgacap_pool_pages = ATOMIC_LONG_INIT(0);

/* Pages for a 32-bit engine come from ZONE_DMA32, where it reaches. */
static bool pool_uses_dma32(struct device *dma_dev)
{
	return IS_ENABLED(CONFIG_ZONE_DMA32) && dma_dev &&
	       dma_get_mask(dma_dev) <= DMA_BIT_MASK(32);
}

/*
 * Mappings for @dma_dev may go through bounce buffers: swiotlb bounces
 * them all (swiotlb=force, or a device set so), or the device cannot
 * reach every page (its mappings are limited) and no zone keeps the pool
 * within its reach.
 */
static bool pool_bounces(struct device *dma_dev)
{
	if (!dma_dev)
		return false;
	if (is_swiotlb_force_bounce(dma_dev))
		return true;
	return dma_max_mapping_size(dma_dev) != SIZE_MAX &&
	       !pool_uses_dma32(dma_dev);
}

/**
 * fpgacap_pool_max() - the largest pool a device may have
 * @dma_dev: the device that writes it, or NULL for a CPU source
 *
 * Return: max_pool_size, or max_bounced if smaller where the device's
 * mappings may bounce.
 */
u64 fpgacap_pool_max(struct device *dma_dev)
{
	u64 max = READ_ONCE(fpgacap_limits.max_pool_size);

	if (pool_bounces(dma_dev))
		max = min(max, READ_ONCE(fpgacap_limits.max_bounced));
	return max;
}

/**
 * fpgacap_pool_check_size() - validate a pool geometry against the limits
 * @count: number of buffers, at least 1
 * @buffer_size: bytes per buffer
 * @dma_dev: the device that writes the pool, or NULL
 * @total: set to @count * @buffer_size on success
 *
 * Return: 0, -EINVAL (size 0 or not a page multiple), -EOVERFLOW (the
 * product does not fit 64 bits) or -E2BIG (above a limit).
 */
int fpgacap_pool_check_size(u32 count, u64 buffer_size,
			    struct device *dma_dev, u64 *total)
{
	if (!buffer_size || !PAGE_ALIGNED(buffer_size))
		return -EINVAL;
	if (check_mul_overflow((u64)count, buffer_size, total))
		return -EOVERFLOW;
	if (count > READ_ONCE(fpgacap_limits.max_buffers) ||
	    buffer_size > READ_ONCE(fpgacap_limits.max_buffer_size) ||
	    *total > fpgacap_pool_max(dma_dev))
		return -E2BIG;
	/* The mapping length and page count must fit the native types. */
	if (*total > SIZE_MAX || (*total >> PAGE_SHIFT) > ULONG_MAX)
		return -E2BIG;
	return 0;
}

/**
 * fpgacap_layout_init() - the layout of buffers with datagram slots
 * @l: filled in
 * @buffer_size: bytes per buffer, a page multiple
 * @slot_size: bytes per slot, 0 for plain buffers
 * @slot_header: header room per slot
 * @records: the source writes whole slots
 *
 * Return: 0, or -EINVAL for a geometry uapi/fpgacap.h does not allow.
 */
int fpgacap_layout_init(struct fpgacap_layout *l, size_t buffer_size,
			u32 slot_size, u32 slot_header, bool records)
{
	memset(l, 0, sizeof(*l));
	l->payload = buffer_size;
	l->table = buffer_size;
	if (!slot_size)
		return slot_header || records ? -EINVAL : 0;
	/*
	 * A datagram: at least 1 KiB (a slot is mostly a segment of its own,
	 * which takes memory and an engine's descriptor), at most what UDP
	 * carries, a header_size that fits its byte.
	 */
	if (slot_size % 8 || slot_header % 8 || slot_header >= slot_size ||
	    slot_size > buffer_size || slot_size < FPGACAP_SLOT_MIN ||
	    slot_size > FPGACAP_SLOT_MAX || slot_header > FPGACAP_SLOT_HEADER_MAX)
		return -EINVAL;
	l->slot_size = slot_size;
	l->slot_header = slot_header;
	l->records = records;
	l->slots = buffer_size / slot_size;
	l->payload = (size_t)l->slots * (slot_size - slot_header);
	l->table = records ? (size_t)l->slots * slot_size : l->payload;
	return 0;
}

/**
 * fpgacap_layout_payload() - stream bytes in what a source wrote
 * @l: the layout
 * @written: bytes of a buffer's table the source wrote, from its start
 *
 * Return: the payload among them (with records, what is not header).
 */
size_t fpgacap_layout_payload(const struct fpgacap_layout *l, size_t written)
{
	size_t whole, part;

	written = min(written, l->table);
	if (!l->records)
		return written;
	whole = written / l->slot_size;
	part = written % l->slot_size;
	return whole * (l->slot_size - l->slot_header) +
	       (part > l->slot_header ? part - l->slot_header : 0);
}

/**
 * fpgacap_layout_offset() - where stream byte @pos of a buffer lies in it
 * @l: the layout
 * @pos: a payload position, below @l->payload
 * @len: set to the payload bytes that follow it contiguously in the buffer
 *
 * Return: the byte offset in the buffer.
 */
size_t fpgacap_layout_offset(const struct fpgacap_layout *l, size_t pos,
			     size_t *len)
{
	size_t per, slot, in;

	if (!l->slot_size) {
		*len = l->payload - pos;
		return pos;
	}
	per = l->slot_size - l->slot_header;
	slot = pos / per;
	in = pos % per;
	*len = per - in;
	return slot * l->slot_size + l->slot_header + in;
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
	if (pool_uses_dma32(dma_dev) && !(flags & FPGACAP_CFG_HIGHMEM))
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
 * Free memory of zone @z in blocks of @order and above, in pages, CMA's
 * left out (the kernel's own allocations cannot use it, and a board's CMA
 * area is mostly free high-order blocks). A hint, read without the zone's
 * lock: the free lists move under us.
 */
static unsigned long pool_zone_free_from(struct zone *z, unsigned int order)
{
	unsigned long pages = 0, cma = zone_page_state(z, NR_FREE_CMA_PAGES);
	unsigned int o;

	for (o = order; o <= FPGACAP_MAX_PAGE_ORDER; o++)
		/* Racy on purpose: the allocator changes it under zone->lock. */
		pages += data_race(READ_ONCE(z->free_area[o].nr_free)) << o;
	return pages > cma ? pages - cma : 0;
}

/*
 * What a zone keeps in blocks of an order before the pool takes more of
 * them: a thirty-second of the zone, and no less than its high watermark.
 */
static unsigned long pool_zone_reserve(struct zone *z)
{
	return max(high_wmark_pages(z), zone_managed_pages(z) / 32);
}

/*
 * Free blocks the kernel keeps: ARM's first-level page table at fork is
 * of order 2, slab caches and the network's page fragments of order 3.
 */
#define POOL_KEEP_ORDER		2
#define POOL_ZONES_TRACKED	4

/**
 * struct pool_alloc - what one pool's allocation learned so far
 * @order_cap: the largest order still tried
 * @nzones: zones seen, up to POOL_ZONES_TRACKED
 * @zones: each zone's floor: the pages in blocks of POOL_KEEP_ORDER and
 *	above the pool leaves it (beyond the tracked ones, half the reserve)
 */
struct pool_alloc {
	unsigned int order_cap;
	unsigned int nzones;
	struct {
		struct zone *zone;
		unsigned long floor;
	} zones[POOL_ZONES_TRACKED];
};

/*
 * Half the zone's reserve, or half of what it had when the pool first took
 * a single page from it if that was less: a fragmented zone is not
 * emptied either. A zone that had no such blocks then has no floor.
 */
static unsigned long pool_zone_floor(struct pool_alloc *pa, struct zone *z)
{
	unsigned long floor = pool_zone_reserve(z);
	unsigned int i;

	for (i = 0; i < pa->nzones; i++)
		if (pa->zones[i].zone == z)
			return pa->zones[i].floor;
	if (pa->nzones == POOL_ZONES_TRACKED)
		return floor / 2;
	floor = min(floor, pool_zone_free_from(z, POOL_KEEP_ORDER)) / 2;
	pa->zones[pa->nzones].zone = z;
	pa->zones[pa->nzones++].floor = floor;
	return floor;
}

/*
 * Fill @pages with @n pages, chunks of at most @pa->order_cap. A failed
 * order, or one whose zone runs short of it, lowers the cap for the rest
 * of the pool: retrying it for every chunk would only repeat the failed
 * compaction, or take what the kernel needs. Single pages are no refuge:
 * when a migratetype's order-0 lists run dry the allocator breaks up the
 * largest free block, so the pool stops (-ENOMEM) at the zone's floor
 * rather than leave fork and the network to the OOM killer.
 */
static int pool_alloc_pages(struct fpgacap_pool *pool, struct page **pages,
			    unsigned int n, gfp_t gfp, struct pool_alloc *pa)
{
	while (n) {
		unsigned int order = min_t(unsigned int, ilog2(n),
					   pa->order_cap);
		unsigned long floor = 0;
		struct page *page;
		struct zone *z;
		unsigned int i;

		for (;;) {
			/* Above order 0 a failure is cheap and expected. */
			gfp_t g = order ? (gfp & ~__GFP_RETRY_MAYFAIL) |
					  __GFP_NORETRY : gfp;

			page = fpgacap_inject_alloc_fails(order) ? NULL :
				alloc_pages(g, order);
			if (page || !order)
				break;
			pa->order_cap = --order;
		}
		if (!page)
			return -ENOMEM;
		z = page_zone(page);
		/* The kernel's own blocks never come from highmem. */
		if (!order && !is_highmem(z))
			floor = pool_zone_floor(pa, z);
		if (floor && pool_zone_free_from(z, POOL_KEEP_ORDER) < floor) {
			__free_page(page);
			dev_warn_ratelimited(pool->budget->dev,
					     "node %d zone %s is short of free blocks of order %u: a pool of %lu pages would take them\n",
					     zone_to_nid(z), z->name, POOL_KEEP_ORDER,
					     pool->npages);
			return -ENOMEM;
		}
		/* Stop climbing where the zone runs short of high orders. */
		while (pa->order_cap &&
		       pool_zone_free_from(z, pa->order_cap) <
		       pool_zone_reserve(z))
			pa->order_cap--;
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

/*
 * The longest segment: what the device takes (max_segment_size) and what
 * the DMA API maps in one piece (swiotlb's run of slots, 256 KiB), a page
 * multiple. A CPU source has no limit but sg_table's unsigned int.
 */
static size_t pool_max_segment(struct device *dma_dev)
{
	size_t max = UINT_MAX;

	if (dma_dev)
		max = min_t(size_t, dma_get_max_seg_size(dma_dev),
			    dma_max_mapping_size(dma_dev));
	return max_t(size_t, rounddown(max, PAGE_SIZE), PAGE_SIZE);
}

/* Segments may not cross a multiple of the mask + 1 (ULONG_MAX: none). */
static unsigned long pool_seg_boundary(struct device *dma_dev)
{
	return dma_dev ? dma_get_seg_boundary(dma_dev) : ULONG_MAX;
}

/*
 * The largest order worth allocating: no chunk longer than a segment, nor
 * than a boundary window; a CPU source takes small chunks only.
 */
static unsigned int pool_useful_order(struct device *dma_dev)
{
	unsigned long boundary = pool_seg_boundary(dma_dev);
	unsigned int order;

	if (!dma_dev)
		return PAGE_ALLOC_COSTLY_ORDER;
	order = ilog2(pool_max_segment(dma_dev) >> PAGE_SHIFT);
	if (boundary < ULONG_MAX)
		order = min_t(unsigned int, order,
			      ilog2((boundary >> PAGE_SHIFT) + 1));
	return order;
}

/* Walking a buffer's bytes into segments: count them, then fill them. */
struct pool_seg_walk {
	struct page **pages;		/* the buffer's */
	size_t max;			/* longest segment */
	unsigned long boundary;		/* pool_seg_boundary() */
	struct scatterlist *sg;		/* filling: the entry being filled */
	unsigned int nents;		/* entries so far */
	phys_addr_t start;		/* the current segment */
	size_t len;
};

/*
 * Add the buffer's bytes [@off, @off + @len) in segments of their own:
 * physically contiguous runs, each at most w->max bytes and within one
 * boundary window. The boundary applies to DMA addresses, which for the
 * direct mapping are the physical ones; an IOMMU keeps to it on its own.
 */
static void pool_walk_range(struct pool_seg_walk *w, size_t off, size_t len)
{
	bool first = true;

	while (len) {
		struct page *page = w->pages[off >> PAGE_SHIFT];
		size_t in = offset_in_page(off);
		size_t n = min_t(size_t, len, PAGE_SIZE - in);
		phys_addr_t phys = page_to_phys(page) + in;

		if (!first && phys == w->start + w->len &&
		    w->len + n <= w->max &&
		    (w->start | w->boundary) == ((phys + n - 1) | w->boundary)) {
			w->len += n;
			if (w->sg)
				w->sg->length += n;
		} else {
			if (w->sg && w->nents)
				w->sg = sg_next(w->sg);
			if (w->sg)
				sg_set_page(w->sg, page, n, in);
			w->nents++;
			w->start = phys;
			w->len = n;
		}
		first = false;
		off += n;
		len -= n;
	}
}

/*
 * One buffer's mapping table: the whole buffer, in as few segments as the
 * device allows.
 */
static int pool_build_sgt(struct fpgacap_pool *pool, struct sg_table *sgt,
			  struct page **pages, struct device *dma_dev)
{
	struct pool_seg_walk w = {
		.pages = pages,
		.max = pool_max_segment(dma_dev),
		.boundary = pool_seg_boundary(dma_dev),
	};
	unsigned int nents;
	int ret;

	pool_walk_range(&w, 0, pool->buffer_size);
	nents = w.nents;
	ret = sg_alloc_table(sgt, nents, FPGACAP_GFP_ARRAY);
	if (ret)
		return ret;
	w.sg = sgt->sgl;
	w.nents = 0;
	pool_walk_range(&w, 0, pool->buffer_size);
	WARN_ON_ONCE(w.nents != nents);
	return 0;
}

static int pool_build_sgts(struct fpgacap_pool *pool, struct device *dma_dev)
{
	u32 b;
	int ret;

	pool->sgts = kvcalloc(pool->count, sizeof(*pool->sgts),
			      FPGACAP_GFP_ARRAY);
	if (!pool->sgts)
		return -ENOMEM;
	for (b = 0; b < pool->count; b++) {
		ret = pool_build_sgt(pool, &pool->sgts[b], pool->pages +
				     (unsigned long)b * pool->buffer_pages,
				     dma_dev);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * Range @k of what the engine writes of a slotted buffer: a slot's payload,
 * a whole slot with records, or all the slots at once where the engine
 * writes records as one stream. A table entry per record costs an
 * engine's descriptor each, and an engine driver that walks its queued
 * descriptors on each completion (pl330) pays for them many times over;
 * a peripheral that ends each record with TLAST needs them all the same.
 */
static void pool_engine_range(const struct fpgacap_layout *l, u32 k,
			      size_t *from, size_t *to)
{
	size_t skip = l->records ? 0 : l->slot_header;

	if (l->records_stream) {
		*from = 0;
		*to = l->table;
		return;
	}
	*from = (size_t)k * l->slot_size + skip;
	*to = (size_t)(k + 1) * l->slot_size;
}

/*
 * What the engine writes of a slotted buffer, cut out of the buffer's
 * mapping by DMA address and given to the engine as entries of their own:
 * each slot's payload, so it writes nothing into the header rooms, or
 * with records each slot, or the slots in as few entries as the mapping
 * allows. Pass @sgt NULL to count the entries.
 *
 * The buffer stays mapped whole, one mapping: a header room and the
 * payload after it may share a cache line, and that is the DMA API's
 * rule for one mapping of which the CPU and the device own all or
 * nothing at a time. The CPU writes a header only while it holds the
 * buffer; the sync for the device writes it back (a writable pool is
 * mapped both ways), the device then writes the payloads around it, and
 * the sync for the CPU brings back both, through bounce buffers too.
 */
static unsigned int pool_carve(const struct fpgacap_pool *pool,
			       const struct sg_table *map, struct sg_table *sgt)
{
	const struct fpgacap_layout *l = &pool->layout;
	u32 ranges = l->records_stream ? 1 : l->slots;
	struct scatterlist *out = sgt ? sgt->sgl : NULL, *seg;
	unsigned int nents = 0, i;
	size_t base = 0;
	u32 k = 0;

	for_each_sgtable_dma_sg(map, seg, i) {
		size_t end = base + sg_dma_len(seg);

		/* Each range inside this segment, or the part of it that is. */
		for (; k < ranges; k++) {
			size_t from, to;

			pool_engine_range(l, k, &from, &to);
			if (from >= end)
				break;
			from = max(from, base);
			if (out) {
				sg_dma_address(out) = sg_dma_address(seg) +
						      (from - base);
				sg_dma_len(out) = min(to, end) - from;
				out = sg_next(out);
			}
			nents++;
			if (to > end)
				break;	/* the range goes on in the next one */
		}
		base = end;
	}
	return nents;
}

/* The engine's tables: the mapping itself, or carved out of it. */
static int pool_build_engine_sgts(struct fpgacap_pool *pool)
{
	u32 b;
	int ret;

	if (!pool->layout.slot_size) {
		for (b = 0; b < pool->count; b++)
			pool->max_segments = max(pool->max_segments,
						 pool->sgts[b].nents);
		return 0;
	}
	pool->engine_sgts = kvcalloc(pool->count, sizeof(*pool->engine_sgts),
				     FPGACAP_GFP_ARRAY);
	if (!pool->engine_sgts)
		return -ENOMEM;
	for (b = 0; b < pool->count; b++) {
		struct sg_table *sgt = &pool->engine_sgts[b];
		unsigned int n = pool_carve(pool, &pool->sgts[b], NULL);

		ret = sg_alloc_table(sgt, n, FPGACAP_GFP_ARRAY);
		if (ret)
			return ret;
		pool_carve(pool, &pool->sgts[b], sgt);
		/* DMA addresses only, for the engine: it maps nothing. */
		sgt->nents = n;
		pool->max_segments = max(pool->max_segments, n);
	}
	return 0;
}

/**
 * fpgacap_pool_engine_sgt() - what the source's engine writes of a buffer
 * @pool: a pool mapped for a device
 * @index: the buffer
 *
 * Return: a table whose DMA addresses the engine writes (sgt->nents
 * entries), never to be mapped or synced: the mapping is the buffer's.
 */
struct sg_table *fpgacap_pool_engine_sgt(struct fpgacap_pool *pool, u32 index)
{
	if (!pool->sgts)
		return NULL;
	if (pool->engine_sgts)
		return &pool->engine_sgts[index];
	return &pool->sgts[index];
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
			return -ENOMEM;
		dma_unmap_sgtable(dma_dev, &pool->sgts[b], DMA_TO_DEVICE, 0);
	}
	return 0;
}

/*
 * Map every buffer once, whole, for the device that writes it. From here
 * the device owns all buffers until the queue syncs one for the CPU; per
 * cycle the queue only syncs: for the device when the source takes a
 * buffer, for the CPU when it completes. A writable pool is mapped both
 * ways: what the CPU wrote while it held a buffer (a slot's header) goes
 * to memory with the sync for the device, and comes back, through bounce
 * buffers too, with the sync for the CPU.
 */
static int pool_dma_map(struct fpgacap_pool *pool, struct device *dma_dev)
{
	u32 b;
	int ret;

	ret = pool_write_back_zeroes(pool, dma_dev);
	if (ret)
		return ret;
	for (b = 0; b < pool->count; b++) {
		ret = dma_map_sgtable(dma_dev, &pool->sgts[b], pool->dir, 0);
		if (ret) {
			while (b--)
				dma_unmap_sgtable(dma_dev, &pool->sgts[b],
						  pool->dir, 0);
			/* Out of bounce slots or IOMMU space: ENOMEM. */
			return -ENOMEM;
		}
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
 *
 * Without a sync for the CPU: every buffer anyone was given was synced
 * for the CPU when the engine completed it (unless fault injection's
 * skip_sync broke that on purpose), and the CPU may have written it since
 * (a writable mapping or export that outlives the device's hold). A sync
 * now would undo that: swiotlb copies the engine's bounce buffer back over
 * the page, and non-coherent caches drop the dirty lines. A buffer the
 * engine gave back unfilled was never delivered: through a mapping that
 * outlives the device its pages hold whatever they held.
 */
void fpgacap_pool_dma_unmap(struct fpgacap_pool *pool)
{
	u32 b;

	if (!pool->mapped)
		return;
	for (b = 0; b < pool->count; b++)
		dma_unmap_sgtable(pool->dma_dev, &pool->sgts[b], pool->dir,
				  DMA_ATTR_SKIP_CPU_SYNC);
	pool->mapped = false;
	put_device(pool->dma_dev);
	pool->dma_dev = NULL;
}

/**
 * fpgacap_pool_mapped() - does anything but its known holders map @pool?
 * @pool: the pool
 * @refs: the references the caller knows of (the device's, its own)
 *
 * Every VMA holds a reference; so does a file copying out with read().
 * Under the device lock no new mapping can be made, so the answer holds
 * until the caller drops the lock, or grows stale towards false only.
 *
 * Return: true if some mapping holds it.
 */
bool fpgacap_pool_mapped(struct fpgacap_pool *pool, unsigned int refs)
{
	return kref_read(&pool->ref) > refs;
}

/**
 * fpgacap_pool_orphan() - the device lets go of @pool while it is mapped
 * @pool: the pool, still referenced by the caller
 *
 * It counts against the budget's orphaned bytes until it is freed.
 */
void fpgacap_pool_orphan(struct fpgacap_pool *pool)
{
	if (pool->orphaned)
		return;
	pool->orphaned = true;
	atomic64_add(pool->bytes, &pool->budget->orphaned);
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
					    pool->dir);
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
					 pool->dir);
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
	if (pool->engine_sgts) {
		for (b = 0; b < pool->count; b++)
			sg_free_table(&pool->engine_sgts[b]);
		kvfree(pool->engine_sgts);
	}
	if (pool->pages) {
		for (i = 0; i < pool->npages && pool->pages[i]; i++)
			put_page(pool->pages[i]);
		atomic_long_sub(i, &fpgacap_pool_pages);
		kvfree(pool->pages);
	}
	if (pool->orphaned)
		atomic64_sub(pool->bytes, &pool->budget->orphaned);
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
 * @layout: where the source writes in each buffer (fpgacap_layout_init())
 * @flags: FPGACAP_CFG_* (HIGHMEM allows highmem pages, WRITABLE writable
 *	mappings)
 * @dma_dev: the device that writes the buffers, or NULL for a CPU source
 *
 * Return: the pool with one reference, or ERR_PTR(-EDQUOT) when the
 * budget is spent, -ENOMEM, or -EINTR on a fatal signal.
 */
struct fpgacap_pool *fpgacap_pool_create(struct fpgacap_budget *budget,
					 u32 count, size_t buffer_size,
					 const struct fpgacap_layout *layout,
					 u32 flags, struct device *dma_dev)
{
	struct pool_alloc pa = {
		.order_cap = min_t(unsigned int, FPGACAP_MAX_PAGE_ORDER,
				   READ_ONCE(fpgacap_limits.max_alloc_order)),
	};
	u64 bytes = (u64)count * buffer_size;
	gfp_t gfp = pool_gfp(flags, dma_dev);
	struct fpgacap_pool *pool;
	u32 b;
	int ret;

	pa.order_cap = min(pa.order_cap, pool_useful_order(dma_dev));

	/* Reserve first: two configurations racing see each other. */
	if (atomic64_add_return(bytes, &budget->held) >
	    READ_ONCE(fpgacap_limits.max_pinned)) {
		atomic64_sub(bytes, &budget->held);
		return ERR_PTR(-EDQUOT);
	}
	pool = kzalloc_obj(*pool, FPGACAP_GFP_ARRAY);
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
	pool->layout = *layout;

	ret = -ENOMEM;
	pool->pages = kvcalloc(pool->npages, sizeof(*pool->pages),
			       FPGACAP_GFP_ARRAY);
	if (!pool->pages)
		goto err;
	for (b = 0; b < count; b++) {
		ret = pool_alloc_pages(pool, pool->pages + (unsigned long)b *
				       pool->buffer_pages, pool->buffer_pages,
				       gfp, &pa);
		if (ret)
			goto err;
	}
	/* A CPU source writes through the pages: no tables at all. */
	if (dma_dev) {
		pool->dir = pool->writable ? DMA_BIDIRECTIONAL :
					     DMA_FROM_DEVICE;
		ret = pool_build_sgts(pool, dma_dev);
		if (!ret)
			ret = pool_dma_map(pool, dma_dev);
		if (!ret)
			ret = pool_build_engine_sgts(pool);
		if (ret)
			goto err;
	}
	return pool;
err:
	fpgacap_pool_dma_unmap(pool);	/* if it got that far */
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
