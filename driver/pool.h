/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The pool: N buffers of S bytes built from individually refcounted pages,
 * mapped once for the device that writes them.
 */
#ifndef FPGACAP_POOL_H
#define FPGACAP_POOL_H

#include <linux/atomic.h>
#include <linux/dma-direction.h>
#include <linux/gfp.h>
#include <linux/kref.h>
#include <linux/scatterlist.h>
#include <linux/types.h>

struct device;
struct page;

/*
 * What describes a pool (its page array, tables, the queue's and files'
 * arrays): charged to the caller's memory cgroup, and refused (ENOMEM)
 * rather than waking the OOM killer when the cgroup or system is short.
 */
#define FPGACAP_GFP_ARRAY (GFP_KERNEL_ACCOUNT | __GFP_RETRY_MAYFAIL | \
			   __GFP_NOWARN)

/**
 * struct fpgacap_budget - the memory a device's pools may hold together
 * @held: bytes of pools created against this budget and not yet freed,
 *	whether the device still uses them or only a mapping keeps them;
 *	at most fpgacap_limits.max_pinned
 * @orphaned: of @held, bytes of pools the device let go of while mapped;
 *	an owner may leave at most fpgacap_limits.max_orphaned behind
 * @dev: the device that owns the budget; every pool charged here holds a
 *	reference on it, so the budget outlives its pools
 */
struct fpgacap_budget {
	atomic64_t held;
	atomic64_t orphaned;
	struct device *dev;
};

/**
 * struct fpgacap_limits - bounds on what an opener may ask for
 * @max_buffers: buffers per pool
 * @max_buffer_size: bytes per buffer
 * @max_pool_size: bytes per pool
 * @max_pinned: bytes all pools of one device may hold, configured or
 *	orphaned (released by the device but still mapped)
 * @max_orphaned: of those, bytes orphans may hold: an owner cannot leave
 *	more behind, so the rest stays for whoever configures next
 * @max_bounced: bytes per pool where the device's mappings bounce
 *	(swiotlb): a pool holds its bounce slots for as long as it is
 *	configured, and every device of the system shares them
 * @max_alloc_order: largest page order tried for buffer chunks
 *
 * Module parameters, writable by root at any time: read them once per use
 * with READ_ONCE().
 */
struct fpgacap_limits {
	unsigned int max_buffers;
	u64 max_buffer_size;
	u64 max_pool_size;
	u64 max_pinned;
	u64 max_orphaned;
	u64 max_bounced;
	unsigned int max_alloc_order;
};

extern struct fpgacap_limits fpgacap_limits;

/**
 * struct fpgacap_layout - where a source writes in each buffer
 * @slot_size: bytes per datagram slot, 0 for a plain buffer
 * @slot_header: header room at the start of each slot
 * @records: the source writes whole slots, header included
 * @records_stream: with @records, the engine writes them as one stream
 *	(struct fpgacap_source): its table need not break at records
 * @slots: slots per buffer (0 for a plain buffer)
 * @payload: stream bytes a full buffer carries (bytes_used when full)
 * @table: bytes a buffer's DMA table holds (what a DMA source writes)
 *
 * A plain buffer is all payload. A slotted one carries the stream in its
 * slots' payloads, slot k's at k * slot_size + slot_header; without
 * @records the table holds only those, with @records the whole slots.
 */
struct fpgacap_layout {
	u32 slot_size;
	u32 slot_header;
	bool records;
	bool records_stream;
	u32 slots;
	size_t payload;
	size_t table;
};

int fpgacap_layout_init(struct fpgacap_layout *l, size_t buffer_size,
			u32 slot_size, u32 slot_header, bool records);
size_t fpgacap_layout_payload(const struct fpgacap_layout *l, size_t written);
size_t fpgacap_layout_offset(const struct fpgacap_layout *l, size_t pos,
			     size_t *len);

/**
 * struct fpgacap_pool - the buffers, their pages and DMA segments
 * @ref: one reference for the device while configured, one per VMA;
 *	the network stack holds page references of its own
 * @budget: charged with @bytes until the pool is freed
 * @writable: may be mapped writable (FPGACAP_CFG_WRITABLE)
 * @orphaned: the device let go of it while it was still mapped; counted in
 *	@budget's orphaned bytes until freed
 * @count: number of buffers
 * @buffer_size: bytes per buffer, a page multiple
 * @buffer_pages: pages per buffer
 * @npages: pages in the pool
 * @bytes: @count * @buffer_size
 * @layout: where the source writes in each buffer
 * @pages: buffer i is pages[i * buffer_pages ...], each an order-0 page
 * @sgts: one table per buffer (a DMA source's only), physically
 *	contiguous runs merged: the buffer's mapping
 * @engine_sgts: a slotted pool's: what the engine writes of each buffer,
 *	carved out of its mapping by DMA address
 * @dir: the mapping's direction: DMA_FROM_DEVICE, both ways if writable
 * @dma_dev: the device the tables are mapped for, while @mapped
 * @mapped: the tables are DMA-mapped
 * @chunks: physically contiguous allocations made
 * @min_order: smallest allocation order used
 * @max_order: largest allocation order used
 * @max_segments: most segments the engine writes in one buffer
 */
struct fpgacap_pool {
	struct kref ref;
	struct fpgacap_budget *budget;
	bool writable;
	bool orphaned;
	u32 count;
	size_t buffer_size;
	unsigned int buffer_pages;
	unsigned long npages;
	u64 bytes;
	struct fpgacap_layout layout;
	struct page **pages;
	struct sg_table *sgts;
	struct sg_table *engine_sgts;
	enum dma_data_direction dir;
	struct device *dma_dev;
	bool mapped;
	u32 chunks;
	u32 min_order;
	u32 max_order;
	u32 max_segments;
};

u64 fpgacap_pool_max(struct device *dma_dev);
int fpgacap_pool_check_size(u32 count, u64 buffer_size,
			    struct device *dma_dev, u64 *total);
struct fpgacap_pool *fpgacap_pool_create(struct fpgacap_budget *budget,
					 u32 count, size_t buffer_size,
					 const struct fpgacap_layout *layout,
					 u32 flags, struct device *dma_dev);
void fpgacap_pool_dma_unmap(struct fpgacap_pool *pool);
struct sg_table *fpgacap_pool_engine_sgt(struct fpgacap_pool *pool,
					 u32 index);
bool fpgacap_pool_mapped(struct fpgacap_pool *pool, unsigned int refs);
void fpgacap_pool_orphan(struct fpgacap_pool *pool);
void fpgacap_pool_get(struct fpgacap_pool *pool);
void fpgacap_pool_put(struct fpgacap_pool *pool);
void fpgacap_pool_sync_for_device(struct fpgacap_pool *pool, u32 index);
void fpgacap_pool_sync_for_cpu(struct fpgacap_pool *pool, u32 index);

/**
 * fpgacap_pool_page() - the page holding byte @offset of buffer @index
 * @pool: the pool
 * @index: buffer index, below @pool->count
 * @offset: byte offset in the buffer, below @pool->buffer_size
 */
static inline struct page *fpgacap_pool_page(struct fpgacap_pool *pool,
					     u32 index, size_t offset)
{
	return pool->pages[(unsigned long)index * pool->buffer_pages +
			   (offset >> PAGE_SHIFT)];
}

extern atomic_long_t fpgacap_pool_pages;

#endif /* FPGACAP_POOL_H */
