// SPDX-License-Identifier: GPL-2.0-only
/*
 * mmap of the pool: read-only (writable only for a pool configured so),
 * shared, never executable, every page
 * inserted as a normal page with its struct page (vm_insert_pages), never
 * VM_PFNMAP. That is what lets get_user_pages(), and with it MSG_ZEROCOPY,
 * vmsplice and io_uring, take the pages. Only the owner maps; each VMA
 * holds a pool reference, so a mapping stays valid after close,
 * reconfiguration and unbind, until munmap.
 */
#include <linux/fs.h>
#include <linux/mm.h>

#include "compat.h"
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

	if (vmf->pgoff >= pool->npages)
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

/**
 * fpgacap_mmap() - map the owner's pool
 * @file: an open file of the device
 * @vma: the new mapping; mmap_lock held
 *
 * Return: 0; -EINVAL for a private mapping or a range outside the pool;
 * -EACCES for a writable one of a pool not configured writable (or a file
 * opened read-only: the VFS says so first); -EPERM for an executable one; -EBUSY if
 * another file owns the stream; -ENOBUFS without a pool (mapping claims
 * nothing: the owner is the file that configured); -ENODEV after unbind.
 */
int fpgacap_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct fpgacap_file *ff = file->private_data;
	struct fpgacap_dev *fdev = ff->fdev;
	unsigned long pages = vma_pages(vma);
	struct fpgacap_pool *pool = NULL;
	unsigned long left;
	int ret;

	/*
	 * Capture data is for reading; private or executable makes no sense.
	 * VM_MAYSHARE, not VM_SHARED: mmap clears the latter for files opened
	 * read-only.
	 */
	if (!(vma->vm_flags & VM_MAYSHARE))
		return -EINVAL;
	if (vma->vm_flags & VM_EXEC)
		return -EPERM;

	/* mmap_lock is taken before the device lock (fpgacap.h). */
	mutex_lock(&fdev->lock);
	ret = 0;
	if (fdev->gone)
		ret = -ENODEV;
	else if (fdev->owner != ff)
		ret = fdev->owner ? -EBUSY : -ENOBUFS;
	else
		pool = fpgacap_queue_pool(&fdev->queue);
	if (!ret && !pool)
		ret = -ENOBUFS;
	mutex_unlock(&fdev->lock);
	if (ret)
		return ret;

	ret = -EACCES;
	if ((vma->vm_flags & VM_WRITE) && !pool->writable)
		goto err;
	ret = -EINVAL;
	if (vma->vm_pgoff > pool->npages || pages > pool->npages - vma->vm_pgoff)
		goto err;

	/* Nor can mprotect() make it executable, or writable, later. */
	vm_flags_clear(vma, VM_MAYEXEC);
	if (!pool->writable)
		vm_flags_clear(vma, VM_MAYWRITE);
	vm_flags_set(vma, VM_DONTEXPAND | VM_DONTDUMP);
	vma->vm_ops = &fpgacap_vm_ops;
	vma->vm_private_data = pool;

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
