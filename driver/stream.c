// SPDX-License-Identifier: GPL-2.0-only
/*
 * The stream and who owns it, for the ioctls, read() and mmap().
 *
 * The file whose CONFIGURE made the pool (or whose read() configured an
 * unconfigured device) owns the stream; others get EBUSY for streaming
 * calls (EBADF if not opened for reading) but may ask INFO and STATS and
 * poll. A call that fails never makes its caller the owner. The pool and
 * the stream belong to the owner: they end when it frees the pool, when
 * it is released (its last reference: a mapping keeps the file) or when
 * the device is unbound. After unbind every call but close fails with
 * ENODEV; mappings stay readable.
 */
#include <linux/fs.h>
#include <linux/lockdep.h>
#include <linux/slab.h>

#include "fpgacap.h"

/**
 * fpgacap_may_stream() - may @ff make a streaming call?
 * @ff: the calling file; the device lock held
 *
 * It may if it owns the stream or nobody does (the device is then
 * unconfigured). Only a successful CONFIGURE makes an owner.
 *
 * Return: 0, -ENODEV after unbind, -EBADF if @ff was not opened for
 * reading, -EBUSY if another file owns the stream.
 */
int fpgacap_may_stream(struct fpgacap_file *ff)
{
	struct fpgacap_dev *fdev = ff->fdev;

	lockdep_assert_held(&fdev->lock);
	if (fdev->gone)
		return -ENODEV;
	if (!(ff->file->f_mode & FMODE_READ))
		return -EBADF;
	if (fdev->owner && fdev->owner != ff)
		return -EBUSY;
	return 0;
}

/**
 * fpgacap_read_drop() - forget read()'s buffer (the queue reclaims it)
 * @ff: the file; its io_lock held, or the file being released
 */
void fpgacap_read_drop(struct fpgacap_file *ff)
{
	if (ff->rd.pool)
		fpgacap_pool_put(ff->rd.pool);
	memset(&ff->rd, 0, sizeof(ff->rd));
}

/*
 * Detach the pool and let go of it; the device lock held, stopped. A pool
 * still mapped lives on as an orphan.
 */
static void drop_pool(struct fpgacap_dev *fdev)
{
	struct fpgacap_pool *pool;

	lockdep_assert_held(&fdev->lock);
	pool = fpgacap_queue_detach(&fdev->queue);
	if (pool) {
		/* The DMA mapping is the device's; the pages are everyone's. */
		fpgacap_pool_dma_unmap(pool);
		if (fpgacap_pool_mapped(pool, 1))
			fpgacap_pool_orphan(pool);
		fpgacap_pool_put(pool);
	}
}

/**
 * fpgacap_orphans_full() - would @pool, left behind, pass max_orphaned?
 * @fdev: the device; its lock held (nothing maps or exports it meanwhile)
 * @pool: its pool
 * @known: references the caller knows of besides mappings and dma-bufs
 *	(the device's, its own, read()'s)
 * @sure: count it as left behind even if nothing holds it yet (it is
 *	about to be exported)
 *
 * Return: true if the device may not let it become an orphan.
 */
bool fpgacap_orphans_full(struct fpgacap_dev *fdev, struct fpgacap_pool *pool,
			  unsigned int known, bool sure)
{
	lockdep_assert_held(&fdev->lock);
	if (pool->orphaned || !(sure || fpgacap_pool_mapped(pool, known)))
		return false;
	return atomic64_read(&fdev->budget.orphaned) + pool->bytes >
	       READ_ONCE(fpgacap_limits.max_orphaned);
}

/* Would letting go of the pool now leave more orphaned than allowed? */
static bool orphans_full(struct fpgacap_file *ff)
{
	struct fpgacap_dev *fdev = ff->fdev;
	struct fpgacap_pool *pool;
	bool full;

	pool = fpgacap_queue_pool(&fdev->queue);
	if (!pool)
		return false;
	/* Known holders: the device, this call, read()'s buffer. */
	full = fpgacap_orphans_full(fdev, pool,
				    ff->rd.pool == pool ? 3 : 2, false);
	fpgacap_pool_put(pool);
	return full;
}

/* Room for a DEQUEUE or RETURN batch as large as the pool, per file. */
static int alloc_scratch(struct fpgacap_file *ff, u32 count)
{
	if (ff->scratch_len == count)
		return 0;
	kvfree(ff->dq);
	kvfree(ff->rt);
	ff->scratch_len = 0;
	ff->dq = kvcalloc(count, sizeof(*ff->dq), FPGACAP_GFP_ARRAY);
	ff->rt = kvcalloc(count, sizeof(*ff->rt), FPGACAP_GFP_ARRAY);
	if (!ff->dq || !ff->rt)
		return -ENOMEM;
	ff->scratch_len = count;
	return 0;
}

/**
 * fpgacap_configure() - replace the owner's pool, or free it
 * @ff: a file that may stream (fpgacap_may_stream()); its io_lock and the
 *	device lock held
 * @cfg: in: count (0 frees), buffer_size, flags, rate; out: the geometry
 *
 * A configuration the device refuses (its input, the stream running, an
 * orphan past max_orphaned) changes nothing. Otherwise the old pool is let
 * go first (both may not fit in memory at once); it lives on while
 * mapped, counting against the device's budget. @ff owns the stream after
 * a successful CONFIGURE of a pool, and nobody does once the device is
 * unconfigured: after count 0, or when the new pool could not be had.
 *
 * Return: 0 or a negative errno as documented in uapi/fpgacap.h.
 */
int fpgacap_configure(struct fpgacap_file *ff, struct fpgacap_config *cfg)
{
	struct fpgacap_dev *fdev = ff->fdev;
	struct fpgacap_source *src = fdev->src;
	bool records = cfg->flags & FPGACAP_CFG_RECORDS;
	struct fpgacap_layout layout;
	struct fpgacap_pool *pool;
	u64 total = 0;
	int ret;

	lockdep_assert_held(&ff->io_lock);
	lockdep_assert_held(&fdev->lock);
	if (cfg->flags & ~FPGACAP_CFG_FLAGS_ALL)
		return -EINVAL;
	if ((cfg->flags & FPGACAP_CFG_HIGHMEM) && !IS_ENABLED(CONFIG_HIGHMEM))
		return -EOPNOTSUPP;
	if (cfg->rate && !(src->caps & FPGACAP_CAP_RATE))
		return -EOPNOTSUPP;
	if ((cfg->slot_size && !(src->caps & FPGACAP_CAP_SLOTS)) ||
	    (records && !(src->caps & FPGACAP_CAP_RECORDS)))
		return -EOPNOTSUPP;
	if (cfg->count) {
		ret = fpgacap_pool_check_size(cfg->count, cfg->buffer_size,
					      src->dma_dev, &total);
		if (!ret)
			ret = fpgacap_layout_init(&layout, cfg->buffer_size,
						  cfg->slot_size,
						  cfg->slot_header, records);
		if (ret)
			return ret;
		/* A header the source writes must fit its room. */
		if (records && cfg->slot_header < src->record_header)
			return -EINVAL;
		layout.records_stream = records && src->records_stream;
	}
	if (fpgacap_queue_streaming(&fdev->queue))
		return -EBUSY;
	if (orphans_full(ff))
		return -EDQUOT;

	fpgacap_read_drop(ff);
	drop_pool(fdev);
	fdev->owner = NULL;
	ff->started = false;
	cfg->mmap_size = 0;
	cfg->chunks = 0;
	cfg->max_segments = 0;
	cfg->min_chunk_order = 0;
	cfg->max_chunk_order = 0;
	if (!cfg->count)
		return 0;

	ret = alloc_scratch(ff, cfg->count);
	if (ret)
		return ret;
	pool = fpgacap_pool_create(&fdev->budget, cfg->count,
				   cfg->buffer_size, &layout, cfg->flags,
				   src->dma_dev);
	if (IS_ERR(pool))
		return PTR_ERR(pool);
	ret = fpgacap_queue_attach(&fdev->queue, pool);
	if (ret) {
		fpgacap_pool_dma_unmap(pool);
		fpgacap_pool_put(pool);
		return ret;
	}
	fdev->owner = ff;
	src->rate = cfg->rate;
	cfg->mmap_size = total;
	cfg->chunks = pool->chunks;
	cfg->max_segments = pool->max_segments;
	cfg->min_chunk_order = pool->min_order;
	cfg->max_chunk_order = pool->max_order;
	return 0;
}

/**
 * fpgacap_start() - start a new stream
 * @ff: the owning file; its io_lock and the device lock held
 *
 * Return: 0, -ENOBUFS without a pool, -EBUSY if already started, or the
 * source's error.
 */
int fpgacap_start(struct fpgacap_file *ff)
{
	struct fpgacap_dev *fdev = ff->fdev;
	struct fpgacap_queue *q = &fdev->queue;
	int ret;

	lockdep_assert_held(&ff->io_lock);
	lockdep_assert_held(&fdev->lock);
	if (!fpgacap_queue_count(q))
		return -ENOBUFS;
	if (fpgacap_queue_streaming(q))
		return -EBUSY;
	/* What read() was copying belongs to the old stream. */
	fpgacap_read_drop(ff);
	fpgacap_queue_stream_on(q);
	ret = fdev->src->ops->start(fdev->src);
	if (ret) {
		fpgacap_queue_stream_off(q);
		return ret;
	}
	ff->started = true;
	return 0;
}

/**
 * fpgacap_stop() - stop the stream, if started
 * @fdev: the device; its lock held
 *
 * Synchronous: on return no DMA targets any buffer. Filled buffers stay
 * for DEQUEUE and read() to drain.
 */
void fpgacap_stop(struct fpgacap_dev *fdev)
{
	lockdep_assert_held(&fdev->lock);
	if (!fpgacap_queue_streaming(&fdev->queue))
		return;
	fpgacap_queue_stream_off(&fdev->queue);
	fdev->src->ops->stop(fdev->src);
}

/**
 * fpgacap_kick() - buffers were returned: let a dry source take them
 * @fdev: the device; its lock held
 */
void fpgacap_kick(struct fpgacap_dev *fdev)
{
	lockdep_assert_held(&fdev->lock);
	/* Streaming implies bound: the source is there. */
	if (fpgacap_queue_streaming(&fdev->queue) && fdev->src->ops->kick)
		fdev->src->ops->kick(fdev->src);
}

/**
 * fpgacap_release_stream() - the owner left, or the device is unbound
 * @fdev: the device; its lock held
 *
 * Stops the stream, takes back every buffer, and lets go of the pool:
 * nothing of this owner's stream reaches the next one.
 */
void fpgacap_release_stream(struct fpgacap_dev *fdev)
{
	lockdep_assert_held(&fdev->lock);
	fpgacap_stop(fdev);
	fpgacap_queue_reclaim(&fdev->queue);
	drop_pool(fdev);
}
