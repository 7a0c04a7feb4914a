// SPDX-License-Identifier: GPL-2.0-only
/*
 * Open files: opening, closing (which ends the owner's stream, stream.c),
 * poll, and the table of file operations.
 */
#include <linux/fs.h>
#include <linux/lockdep.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/slab.h>

#include "fpgacap.h"

static int fpgacap_open(struct inode *inode, struct file *file)
{
	struct fpgacap_dev *fdev = container_of(inode->i_cdev,
						struct fpgacap_dev, cdev);
	struct fpgacap_file *ff;

	ff = kzalloc(sizeof(*ff), GFP_KERNEL_ACCOUNT);
	if (!ff)
		return -ENOMEM;
	mutex_init(&ff->io_lock);
	init_waitqueue_head(&ff->io_wq);
	ff->fdev = fdev;
	ff->file = file;
	get_device(&fdev->dev);
	file->private_data = ff;
	return stream_open(inode, file);
}

static int fpgacap_release(struct inode *inode, struct file *file)
{
	struct fpgacap_file *ff = file->private_data;
	struct fpgacap_dev *fdev = ff->fdev;

	/*
	 * No call runs on a released file: io_lock is not needed. read()'s
	 * reference goes first, so the pool is not taken for mapped.
	 */
	fpgacap_read_drop(ff);
	mutex_lock(&fdev->lock);
	if (fdev->owner == ff) {
		fpgacap_release_stream(fdev);
		fdev->owner = NULL;
	}
	mutex_unlock(&fdev->lock);

	kvfree(ff->dq);
	kvfree(ff->rt);
	mutex_destroy(&ff->io_lock);
	kfree(ff);
	put_device(&fdev->dev);
	return 0;
}

static __poll_t fpgacap_poll(struct file *file, poll_table *wait)
{
	struct fpgacap_file *ff = file->private_data;
	struct fpgacap_dev *fdev = ff->fdev;
	__poll_t mask;

	mask = fpgacap_queue_poll(&fdev->queue, file, wait);
	/* Unbind wakes the queue's waiters after setting this. */
	if (READ_ONCE(fdev->gone))
		return EPOLLERR | EPOLLHUP;
	return mask;
}

const struct file_operations fpgacap_fops = {
	.owner = THIS_MODULE,
	.open = fpgacap_open,
	.release = fpgacap_release,
	.unlocked_ioctl = fpgacap_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.poll = fpgacap_poll,
	.read_iter = fpgacap_read_iter,
	.mmap = fpgacap_mmap,
};
