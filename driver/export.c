// SPDX-License-Identifier: GPL-2.0-only
/*
 * dma-buf export: one buffer of the pool as a dma-buf, for another device
 * (a GPU, a video codec, a USB gadget's FunctionFS) or a process to import,
 * the same pages the mmap and the network stack use.
 *
 * One dma-buf per buffer, as V4L2's EXPBUF does: an importer consumes a
 * frame at a time, and the queue's ownership is per buffer.
 *
 * Ownership: an importer may access the buffer (map it for its device,
 * or begin CPU access through DMA_BUF_IOCTL_SYNC) only while userspace
 * holds it, between DEQUEUE and RETURN; otherwise EBUSY. An access lasts
 * until unmap, or end of CPU access. A RETURN while accesses are open is
 * deferred: the buffer stays out of the source's reach until the last one
 * ends (STATS counts it in "user" until then). The data is the capture
 * engine's: it was synced for the CPU when the buffer completed, so an
 * importer's mapping (made here, for its device) reads what the engine
 * wrote. A CPU access (DMA_BUF_IOCTL_SYNC, or a kernel user's
 * dma_buf_begin/end_cpu_access()) takes every importer's mapping from its
 * device for the CPU and gives it back at the end, so through bounce
 * buffers and non-coherent caches the CPU sees what an importer's device
 * wrote, and the device what the CPU wrote.
 *
 * Lifetime: the dma-buf holds the pool (its pages stay) and the device
 * (its struct stays); it outlives close and unbind, and holds the module,
 * so rmmod waits for it. Once the pool is no longer the device's (the
 * owner left, reconfigured, or the device was unbound) new accesses fail
 * with ENODEV; the pages stay readable through the dma-buf's mmap.
 */
#include <linux/dma-buf.h>
#include <linux/dma-mapping.h>
#include <linux/dma-resv.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/list.h>
#include <linux/uaccess.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>

#include "compat.h"
#include "fpgacap.h"

FPGACAP_IMPORT_NS_DMA_BUF;

/**
 * struct fpgacap_exported - what a dma-buf of fpgacap holds
 * @fdev: the device (a reference)
 * @pool: the buffer's pool (a reference: the pages stay)
 * @index: the buffer
 * @writable: may be mapped writable (the pool is)
 * @cpu_accesses: DMA_BUF_IOCTL_SYNC starts not yet ended (a caller's END
 *	without a START ends nothing)
 * @lock: @mappings, and the DMA API calls on them (map, sync, unmap), so
 *	a CPU access's syncs and an importer's map or unmap come one at a
 *	time. A leaf: taken under the dma-buf's reservation lock (the core
 *	holds it around map and unmap from 6.2), never held while taking
 *	the device lock, the queue's lock or mmap_lock, nor while touching
 *	user memory
 * @mappings: the importers' mappings (struct export_mapping), each made
 *	for its attachment's device
 */
struct fpgacap_exported {
	struct fpgacap_dev *fdev;
	struct fpgacap_pool *pool;
	u32 index;
	bool writable;
	atomic_t cpu_accesses;
	struct mutex lock;		/* see above */
	struct list_head mappings;
};

/**
 * struct export_mapping - one map_dma_buf of an attachment
 * @node: in fpgacap_exported.mappings
 * @dev: the importer's device (the attachment's)
 * @dir: the direction the buffer is mapped in for @dev
 * @table: the mapping, the exporter's own: mapped, synced and unmapped
 *	here, never handed out
 * @handed: a copy of @table given to the importer. Up to 6.12 the
 *	dma-buf core scrambles the page links of the table it hands out
 *	while it is mapped (CONFIG_DMABUF_DEBUG), and a sync walks them
 *	(DMA-API debug reads the pages, an IOMMU's sync finds the memory
 *	to clean through them): the syncs of a CPU access use @table,
 *	whatever the importer's copy looks like
 *
 * An attachment may be mapped more than once; each mapping is one of
 * these, and the table the importer unmaps leads back to it.
 */
struct export_mapping {
	struct list_head node;
	struct device *dev;
	enum dma_data_direction dir;
	struct sg_table table;
	struct sg_table handed;
};

static struct page **export_pages(struct fpgacap_exported *ex)
{
	return ex->pool->pages + (unsigned long)ex->index *
	       ex->pool->buffer_pages;
}

static int export_access_begin(struct fpgacap_exported *ex)
{
	return fpgacap_queue_access_begin(&ex->fdev->queue, ex->pool,
					  ex->index);
}

/* An access ended; a deferred RETURN may let the source have it now. */
static void export_access_end(struct fpgacap_exported *ex)
{
	struct fpgacap_dev *fdev = ex->fdev;

	if (!fpgacap_queue_access_end(&fdev->queue, ex->pool, ex->index))
		return;
	mutex_lock(&fdev->lock);
	if (!fdev->gone)
		fpgacap_kick(fdev);
	mutex_unlock(&fdev->lock);
}

/* The direction a mapping is made in: device reads only, if read-only. */
static enum dma_data_direction export_dir(struct fpgacap_exported *ex,
					  enum dma_data_direction dir)
{
	return ex->writable ? dir : DMA_TO_DEVICE;
}

/*
 * The importer's copy of a mapped table: every entry, its page and its
 * DMA side, so an importer sees what it would see of @from itself. Both
 * tables have orig_nents entries, so the end mark falls on the same
 * entry; chain links are never entries, and stay @to's own.
 */
static void export_copy_table(struct sg_table *to, struct sg_table *from)
{
	struct scatterlist *d = to->sgl, *s;
	unsigned int i;

	for_each_sgtable_sg(from, s, i) {
		*d = *s;
		d = sg_next(d);
	}
	to->nents = from->nents;
}

/* The importer's device maps the buffer's pages for itself. */
static struct sg_table *export_map(struct dma_buf_attachment *at,
				   enum dma_data_direction dir)
{
	struct fpgacap_exported *ex = at->dmabuf->priv;
	struct export_mapping *m;
	int ret;

	/*
	 * A read-only export: no mapping for a device to write. Importers
	 * such as DRM's PRIME map both ways whatever they do; their device
	 * must not write a read-only export, and it is mapped for reading
	 * only (which also keeps it apart from the pool's own mapping for
	 * its engine: only mappings a device writes may not overlap).
	 */
	if (dir == DMA_FROM_DEVICE && !ex->writable)
		return ERR_PTR(-EACCES);
	dir = export_dir(ex, dir);
	ret = export_access_begin(ex);
	if (ret)
		return ERR_PTR(ret);
	m = kzalloc_obj(*m, GFP_KERNEL);
	ret = -ENOMEM;
	if (!m)
		goto err;
	m->dev = at->dev;
	m->dir = dir;
	/* No segment longer than the importer's device takes. */
	ret = sg_alloc_table_from_pages_segment(&m->table, export_pages(ex),
						ex->pool->buffer_pages, 0,
						ex->pool->buffer_size,
						dma_get_max_seg_size(at->dev),
						GFP_KERNEL);
	if (ret)
		goto err_free;
	ret = sg_alloc_table(&m->handed, m->table.orig_nents, GFP_KERNEL);
	if (ret)
		goto err_table;

	/*
	 * Mapped and listed in one step, so a CPU access that ends while
	 * this runs syncs the mapping, or ended before it copied the pages.
	 * The buffer is the CPU's as far as the pool's own mapping goes
	 * (userspace holds it); this mapping is the importer's device's
	 * from here until a CPU access begins, or unmap.
	 */
	mutex_lock(&ex->lock);
	ret = dma_map_sgtable(at->dev, &m->table, dir, 0);
	if (!ret) {
		export_copy_table(&m->handed, &m->table);
		list_add(&m->node, &ex->mappings);
	}
	mutex_unlock(&ex->lock);
	if (ret)
		goto err_handed;
	return &m->handed;
err_handed:
	sg_free_table(&m->handed);
err_table:
	sg_free_table(&m->table);
err_free:
	kfree(m);
err:
	export_access_end(ex);
	return ERR_PTR(ret);
}

static void export_unmap(struct dma_buf_attachment *at, struct sg_table *sgt,
			 enum dma_data_direction dir)
{
	struct export_mapping *m = container_of(sgt, struct export_mapping,
						handed);
	struct fpgacap_exported *ex = at->dmabuf->priv;

	/* The importer's device is done: the CPU's from here (unmap syncs). */
	mutex_lock(&ex->lock);
	list_del(&m->node);
	dma_unmap_sgtable(m->dev, &m->table, m->dir, 0);
	mutex_unlock(&ex->lock);
	sg_free_table(&m->handed);
	sg_free_table(&m->table);
	kfree(m);
	export_access_end(ex);
}

/*
 * A CPU access takes every importer's mapping from its device, and gives
 * it back at the end. Each is synced in the direction it was mapped in,
 * whatever the access's: the DMA API wants a sync in the mapping's
 * direction (DMA-API debug reports a read-only export's DMA_TO_DEVICE
 * mapping synced DMA_FROM_DEVICE for a CPU that reads), and a CPU that
 * only writes part of the buffer must first see what the device wrote
 * around it, or the sync for the device would put stale bytes back over
 * the device's.
 */
static void export_sync_mappings(struct fpgacap_exported *ex, bool for_cpu)
{
	struct export_mapping *m;

	mutex_lock(&ex->lock);
	list_for_each_entry(m, &ex->mappings, node) {
		if (for_cpu)
			dma_sync_sgtable_for_cpu(m->dev, &m->table, m->dir);
		else
			dma_sync_sgtable_for_device(m->dev, &m->table, m->dir);
	}
	mutex_unlock(&ex->lock);
}

/*
 * DMA_BUF_IOCTL_SYNC: the CPU takes the buffer. The importers' fences
 * are waited for here, before the access opens, so a signal that
 * interrupts the wait leaves none open (the core's own wait after this
 * one finds them signalled). The pool's own mapping is not synced: it is
 * the CPU's for as long as an access can be open (the buffer is held, or
 * lent), since the source synced it for the CPU when the buffer completed.
 * Each importer's mapping is synced for the CPU: from here until the
 * access ends the CPU owns them all.
 */
static int export_begin_cpu(struct dma_buf *dmabuf,
			    enum dma_data_direction dir)
{
	bool write = dir == DMA_BIDIRECTIONAL || dir == DMA_TO_DEVICE;
	struct fpgacap_exported *ex = dmabuf->priv;
	long waited;
	int ret;

	if (dir != DMA_FROM_DEVICE && !ex->writable)
		return -EACCES;
	waited = dma_resv_wait_timeout(dmabuf->resv, dma_resv_usage_rw(write),
				       true, MAX_SCHEDULE_TIMEOUT);
	if (waited < 0)
		return waited;
	ret = export_access_begin(ex);
	if (ret)
		return ret;
	export_sync_mappings(ex, true);
	atomic_inc(&ex->cpu_accesses);
	return 0;
}

/*
 * The CPU gives the importers' mappings back to their devices (what it
 * wrote goes to them), then ends its access; the pool's own mapping stays
 * the CPU's until the source takes the buffer back after RETURN.
 */
static int export_end_cpu(struct dma_buf *dmabuf, enum dma_data_direction dir)
{
	struct fpgacap_exported *ex = dmabuf->priv;

	if (atomic_dec_if_positive(&ex->cpu_accesses) < 0)
		return -EINVAL;
	export_sync_mappings(ex, false);
	export_access_end(ex);
	return 0;
}

static void export_vm_open(struct vm_area_struct *vma)
{
	struct fpgacap_exported *ex = vma->vm_private_data;

	fpgacap_pool_get(ex->pool);
}

static void export_vm_close(struct vm_area_struct *vma)
{
	struct fpgacap_exported *ex = vma->vm_private_data;

	fpgacap_pool_put(ex->pool);
}

static vm_fault_t export_vm_fault(struct vm_fault *vmf)
{
	struct fpgacap_exported *ex = vmf->vma->vm_private_data;

	if (vmf->pgoff >= ex->pool->buffer_pages)
		return VM_FAULT_SIGBUS;
	vmf->page = export_pages(ex)[vmf->pgoff];
	get_page(vmf->page);
	return 0;
}

static const struct vm_operations_struct export_vm_ops = {
	.open = export_vm_open,
	.close = export_vm_close,
	.fault = export_vm_fault,
};

/*
 * The dma-buf's mmap: the buffer's pages, as the pool's mmap inserts them
 * (real pages: MSG_ZEROCOPY and O_DIRECT take them). The VMA holds the
 * pool; the dma-buf core holds the dma-buf's file for it.
 */
static int export_mmap(struct dma_buf *dmabuf, struct vm_area_struct *vma)
{
	struct fpgacap_exported *ex = dmabuf->priv;
	unsigned long pages = vma_pages(vma);
	unsigned long left;
	int ret;

	if (!(vma->vm_flags & VM_MAYSHARE))
		return -EINVAL;
	if (vma->vm_flags & VM_EXEC)
		return -EPERM;
	if ((vma->vm_flags & VM_WRITE) && !ex->writable)
		return -EACCES;
	if (vma->vm_pgoff > ex->pool->buffer_pages ||
	    pages > ex->pool->buffer_pages - vma->vm_pgoff)
		return -EINVAL;
	vm_flags_clear(vma, VM_MAYEXEC);
	if (!ex->writable)
		vm_flags_clear(vma, VM_MAYWRITE);
	vm_flags_set(vma, VM_DONTEXPAND | VM_DONTDUMP);
	vma->vm_ops = &export_vm_ops;
	vma->vm_private_data = ex;
	fpgacap_pool_get(ex->pool);
	left = pages;
	ret = vm_insert_pages(vma, vma->vm_start, export_pages(ex) +
			      vma->vm_pgoff, &left);
	if (ret)
		fpgacap_pool_put(ex->pool);
	return ret;
}

static void export_release(struct dma_buf *dmabuf)
{
	struct fpgacap_exported *ex = dmabuf->priv;

	/*
	 * CPU accesses its last user never ended end with it. No importer
	 * maps it any more (every attachment is detached by now), so there
	 * is nothing to give back to a device.
	 */
	WARN_ON_ONCE(!list_empty(&ex->mappings));
	while (atomic_dec_if_positive(&ex->cpu_accesses) >= 0)
		export_access_end(ex);
	mutex_destroy(&ex->lock);
	fpgacap_pool_put(ex->pool);
	put_device(&ex->fdev->dev);
	kfree(ex);
}

static const struct dma_buf_ops export_ops = {
	.map_dma_buf = export_map,
	.unmap_dma_buf = export_unmap,
	.begin_cpu_access = export_begin_cpu,
	.end_cpu_access = export_end_cpu,
	.mmap = export_mmap,
	.release = export_release,
};

/**
 * fpgacap_export() - a dma-buf of a buffer userspace holds
 * @ff: the owning file; the device lock held
 * @index: the buffer, held by userspace (dequeued, not returned)
 * @flags: O_CLOEXEC and O_RDWR (writable only where the pool is)
 *
 * A dma-buf keeps the pool as a mapping does: once the owner lets go, the
 * pool is an orphan, bounded by max_orphaned like one. The caller gives
 * it a descriptor after dropping the device lock (the user copy of the
 * descriptor may fault, and mmap takes the device lock under mmap_lock).
 *
 * Return: the dma-buf (one reference, the caller's), or ERR_PTR of
 * -EINVAL (not a held buffer, unknown flags), -EACCES (O_RDWR on a
 * read-only pool), -ENOBUFS (no pool), -EDQUOT (it could not be left
 * behind), -ENOMEM, or what dma_buf_export() returns.
 */
struct dma_buf *fpgacap_export(struct fpgacap_file *ff, u32 index, u32 flags)
{
	DEFINE_DMA_BUF_EXPORT_INFO(info);
	struct fpgacap_dev *fdev = ff->fdev;
	struct fpgacap_exported *ex;
	struct fpgacap_pool *pool;
	struct dma_buf *dmabuf;
	int ret;

	lockdep_assert_held(&fdev->lock);
	if (flags & ~(O_CLOEXEC | O_ACCMODE))
		return ERR_PTR(-EINVAL);
	if ((flags & O_ACCMODE) != O_RDONLY && (flags & O_ACCMODE) != O_RDWR)
		return ERR_PTR(-EINVAL);
	pool = fpgacap_queue_pool(&fdev->queue);
	if (!pool)
		return ERR_PTR(-ENOBUFS);
	/* Writing needs what a writable mmap of the pool needs. */
	ret = -EACCES;
	if ((flags & O_ACCMODE) == O_RDWR &&
	    (!pool->writable || !(ff->file->f_mode & FMODE_WRITE)))
		goto err_pool;
	ret = -EINVAL;
	if (!fpgacap_queue_held(&fdev->queue, index))
		goto err_pool;
	/* Known holders: the device and this call. */
	ret = -EDQUOT;
	if (fpgacap_orphans_full(fdev, pool, 2, true))
		goto err_pool;
	ret = -ENOMEM;
	ex = kzalloc_obj(*ex, GFP_KERNEL_ACCOUNT);
	if (!ex)
		goto err_pool;
	ex->fdev = fdev;
	get_device(&fdev->dev);
	ex->pool = pool;
	ex->index = index;
	ex->writable = (flags & O_ACCMODE) == O_RDWR;
	mutex_init(&ex->lock);
	INIT_LIST_HEAD(&ex->mappings);

	info.ops = &export_ops;
	info.size = pool->buffer_size;
	info.flags = flags & O_ACCMODE;
	info.priv = ex;
	dmabuf = dma_buf_export(&info);
	if (IS_ERR(dmabuf)) {
		ret = PTR_ERR(dmabuf);
		mutex_destroy(&ex->lock);
		put_device(&fdev->dev);
		kfree(ex);
		goto err_pool;
	}
	/* From here the dma-buf's release puts what @ex holds. */
	return dmabuf;
err_pool:
	fpgacap_pool_put(pool);
	return ERR_PTR(ret);
}

/**
 * fpgacap_export_install() - give a new dma-buf its descriptor
 * @dmabuf: from fpgacap_export(); its reference passes to the descriptor,
 *	or is dropped on failure
 * @flags: the EXPORT flags (O_CLOEXEC)
 * @ufd: where the descriptor goes; it is installed only once it got there
 *
 * Called without the device lock: the user copy may fault.
 *
 * Return: 0, -EFAULT, or get_unused_fd_flags()'s error.
 */
int fpgacap_export_install(struct dma_buf *dmabuf, u32 flags, s32 __user *ufd)
{
	int fd = get_unused_fd_flags(flags & O_CLOEXEC);

	if (fd < 0) {
		dma_buf_put(dmabuf);
		return fd;
	}
	if (put_user(fd, ufd)) {
		put_unused_fd(fd);
		dma_buf_put(dmabuf);
		return -EFAULT;
	}
	fd_install(fd, dmabuf->file);
	return 0;
}
