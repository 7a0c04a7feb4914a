// SPDX-License-Identifier: GPL-2.0
/*
 * mmap of the pool: read-only, shared, every page inserted as a normal page
 * with its struct page (vm_insert_pages), never VM_PFNMAP. That is what lets
 * get_user_pages(), and with it MSG_ZEROCOPY, vmsplice and io_uring, take
 * the pages. Each VMA holds a pool reference, so a mapping stays valid after
 * close and after unbind until munmap.
 */
#include <linux/fs.h>
#include <linux/mm.h>

#include "fpgacap.h"

static void fpgacap_vm_open(struct vm_area_struct *vma)
{
	fpgacap_pool_get(vma->vm_private_data);
}

static void fpgacap_vm_close(struct vm_area_struct *vma)
{
	fpgacap_pool_put(vma->vm_private_data);
}

/* Pages are inserted at mmap time; this refills PTEs zapped by madvise. */
static vm_fault_t fpgacap_vm_fault(struct vm_fault *vmf)
{
	struct fpgacap_pool *pool = vmf->vma->vm_private_data;

	/* A zapped coherent mapping: its memory left with the device. */
	if (pool->coherent || vmf->pgoff >= pool->npages)
		return VM_FAULT_SIGBUS;
	vmf->page = pool->pages[vmf->pgoff];
	get_page(vmf->page);
	return 0;
}

static const struct vm_operations_struct fpgacap_vm_ops = {
	.open = fpgacap_vm_open,
	.close = fpgacap_vm_close,
	.fault = fpgacap_vm_fault,
};

int fpgacap_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct fpgacap_dev *fdev = file->private_data;
	struct fpgacap_queue *q = &fdev->q;
	unsigned long pages = vma_pages(vma);
	struct fpgacap_pool *pool;
	unsigned long left;
	int ret;

	/*
	 * Capture data is for reading; writable or private makes no sense.
	 * VM_MAYSHARE, not VM_SHARED: mmap clears the latter for O_RDONLY.
	 */
	if (!(vma->vm_flags & VM_MAYSHARE))
		return -EINVAL;
	if (vma->vm_flags & VM_WRITE)
		return -EACCES;

	/* Under mmap_lock: fdev->lock would invert the order; q->lock does. */
	spin_lock_irq(&q->lock);
	pool = q->pool;
	if (pool)
		fpgacap_pool_get(pool);
	spin_unlock_irq(&q->lock);
	if (!pool)
		return READ_ONCE(fdev->gone) ? -ENODEV : -ENOBUFS;

	ret = -EINVAL;
	if (vma->vm_pgoff > pool->npages || pages > pool->npages - vma->vm_pgoff)
		goto err;

	vma->vm_flags &= ~VM_MAYWRITE;
	vma->vm_flags |= VM_DONTEXPAND | VM_DONTDUMP;
	vma->vm_ops = &fpgacap_vm_ops;
	vma->vm_private_data = pool;

	if (pool->coherent) {
		ret = fpgacap_pool_mmap_coherent(pool, vma);
		if (ret)
			goto err;
		return 0;
	}
	left = pages;
	ret = vm_insert_pages(vma, vma->vm_start, pool->pages + vma->vm_pgoff,
			      &left);
	if (ret)
		goto err;
	return 0;
err:
	/* A failed mmap never calls ->close: drop our reference here. */
	fpgacap_pool_put(pool);
	return ret;
}
