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
 * wrote.
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
#include <linux/uaccess.h>
#include <linux/mm.h>
#include <linux/module.h>
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
 */
struct fpgacap_exported {
	struct fpgacap_dev *fdev;
	struct fpgacap_pool *pool;
	u32 index;
	bool writable;
	atomic_t cpu_accesses;
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

/* The importer's device maps the buffer's pages for itself. */
/* The direction a mapping is made in: device reads only, if read-only. */
static enum dma_data_direction export_dir(struct fpgacap_exported *ex,
					  enum dma_data_direction dir)
{
	return ex->writable ? dir : DMA_TO_DEVICE;
}

static struct sg_table *export_map(struct dma_buf_attachment *at,
				   enum dma_data_direction dir)
{
	struct fpgacap_exported *ex = at->dmabuf->priv;
	struct sg_table *sgt;
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
	sgt = kzalloc_obj(*sgt, GFP_KERNEL);
	ret = -ENOMEM;
	if (!sgt)
		goto err;
	/* No segment longer than the importer's device takes. */
	ret = sg_alloc_table_from_pages_segment(sgt, export_pages(ex),
						ex->pool->buffer_pages, 0,
						ex->pool->buffer_size,
						dma_get_max_seg_size(at->dev),
						GFP_KERNEL);
	if (ret)
		goto err_free;
	/* Owned by the importer's device from here until unmap. */
	ret = dma_map_sgtable(at->dev, sgt, dir, 0);
	if (ret)
		goto err_table;
	return sgt;
err_table:
	sg_free_table(sgt);
err_free:
	kfree(sgt);
err:
	export_access_end(ex);
	return ERR_PTR(ret);
}

static void export_unmap(struct dma_buf_attachment *at, struct sg_table *sgt,
			 enum dma_data_direction dir)
{
	dma_unmap_sgtable(at->dev, sgt, export_dir(at->dmabuf->priv, dir), 0);
	sg_free_table(sgt);
	kfree(sgt);
	export_access_end(at->dmabuf->priv);
}

/*
 * DMA_BUF_IOCTL_SYNC: the CPU takes the buffer. It already owns it while
 * userspace holds it (synced for the CPU at completion): nothing to sync,
 * only the access to count. The importers' fences are waited for here,
 * before the access opens, so a signal that interrupts the wait leaves
 * none open (the core's own wait after this one finds them signalled).
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
	if (!ret)
		atomic_inc(&ex->cpu_accesses);
	return ret;
}

static int export_end_cpu(struct dma_buf *dmabuf, enum dma_data_direction dir)
{
	struct fpgacap_exported *ex = dmabuf->priv;

	if (atomic_dec_if_positive(&ex->cpu_accesses) < 0)
		return -EINVAL;
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

	/* CPU accesses its last user never ended end with it. */
	while (atomic_dec_if_positive(&ex->cpu_accesses) >= 0)
		export_access_end(ex);
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

	info.ops = &export_ops;
	info.size = pool->buffer_size;
	info.flags = flags & O_ACCMODE;
	info.priv = ex;
	dmabuf = dma_buf_export(&info);
	if (IS_ERR(dmabuf)) {
		ret = PTR_ERR(dmabuf);
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
