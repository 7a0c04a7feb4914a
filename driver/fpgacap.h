/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * fpgacap internals: the device and its open files.
 *
 * Data flows source -> queue -> userspace (source.h, queue.h); the memory
 * is the pool's (pool.h). One open file owns the stream at a time.
 *
 * Locks, outermost first:
 *   fpgacap_file.io_lock  the owner's operations that copy to or from user
 *                         memory (DEQUEUE, RETURN, read) or change what it
 *                         holds (CONFIGURE, START); held across user copies,
 *                         never while waiting for data, never by unbind;
 *                         DEQUEUE waits for it within its deadline
 *   mmap_lock             (user copies fault; mmap() runs under it)
 *   fpgacap_dev.lock      ownership, configuration, start/stop, unbind;
 *                         never held across a user copy
 *   source locks, then fpgacap_queue.lock
 */
#ifndef FPGACAP_H
#define FPGACAP_H

#include <linux/cdev.h>
#include <linux/device.h>
#include <linux/err.h>
#include <linux/mutex.h>
#include <linux/wait.h>

#include "../uapi/fpgacap.h"
#include "inject.h"
#include "pool.h"
#include "queue.h"
#include "source.h"

/**
 * struct fpgacap_dev - one capture device
 * @dev: its lifetime: the last of unbind, open files and pools
 * @cdev: the character device, tied to @dev
 * @parent: the platform device, while bound
 * @number: N of its name fpgacap<N>, or -1 for a labelled device
 * @lock: @owner, @gone, configuration, start/stop
 * @gone: unbound; every call but close fails with ENODEV (WRITE_ONCE under
 *	@lock; poll reads it without)
 * @owner: the file that owns the stream, or NULL
 * @queue: its buffers
 * @src: its data source (NULL once unbound)
 * @budget: what its pools hold, live and orphaned
 * @inject: test hooks
 * @debugfs: its debugfs directory
 */
struct fpgacap_dev {
	struct device dev;
	struct cdev cdev;
	struct device *parent;
	int number;
	struct mutex lock;		/* see the lock order above */
	bool gone;
	struct fpgacap_file *owner;
	struct fpgacap_queue queue;
	struct fpgacap_source *src;
	struct fpgacap_budget budget;
	struct fpgacap_inject inject;
	struct dentry *debugfs;
};

/**
 * struct fpgacap_read - the buffer read() is copying out
 * @pool: a reference that keeps its pages while copying without locks
 * @session: the queue session it was taken in
 * @index: the buffer
 * @pos: bytes of it already copied
 * @len: its bytes_used
 */
struct fpgacap_read {
	struct fpgacap_pool *pool;
	u64 session;
	u32 index;
	size_t pos;
	size_t len;
};

/**
 * struct fpgacap_file - one open file of the device
 * @fdev: the device (a reference while open)
 * @file: the file
 * @io_lock: see the lock order above
 * @io_wq: DEQUEUE waits here for @io_lock, within its deadline
 * @dq: DEQUEUE's copy-out batch, @scratch_len entries
 * @rt: RETURN's indices, @scratch_len entries
 * @scratch_len: buffers of the pool this file configured
 * @started: this file started the stream of its current configuration
 *	(read() does not start a stream its owner stopped); device lock
 * @rd: read()'s buffer, if @rd.pool
 */
struct fpgacap_file {
	struct fpgacap_dev *fdev;
	struct file *file;
	struct mutex io_lock;		/* see the lock order above */
	wait_queue_head_t io_wq;
	struct fpgacap_buffer *dq;
	u32 *rt;
	u32 scratch_len;
	bool started;
	struct fpgacap_read rd;
};

/* device.c: the character device and its lifetime */
struct fpgacap_dev *fpgacap_device_alloc(struct device *parent);
int fpgacap_device_register(struct fpgacap_dev *fdev, const char *label);
void fpgacap_device_unregister(struct fpgacap_dev *fdev);
int fpgacap_class_init(void);
void fpgacap_class_exit(void);

/* file.c: open, release, poll, the file operations */
extern const struct file_operations fpgacap_fops;

/* Unlock @ff's io_lock, and let a DEQUEUE waiting for it look again. */
static inline void fpgacap_io_unlock(struct fpgacap_file *ff)
{
	mutex_unlock(&ff->io_lock);
	if (wq_has_sleeper(&ff->io_wq))
		wake_up(&ff->io_wq);
}

/* stream.c: ownership, configuration and start/stop, for ioctl and read */
int fpgacap_may_stream(struct fpgacap_file *ff);
bool fpgacap_orphans_full(struct fpgacap_dev *fdev, struct fpgacap_pool *pool,
			  unsigned int known, bool sure);
void fpgacap_read_drop(struct fpgacap_file *ff);
int fpgacap_configure(struct fpgacap_file *ff, struct fpgacap_config *cfg);
int fpgacap_start(struct fpgacap_file *ff);
void fpgacap_stop(struct fpgacap_dev *fdev);
void fpgacap_kick(struct fpgacap_dev *fdev);
void fpgacap_release_stream(struct fpgacap_dev *fdev);

/* export.c: buffers as dma-bufs (without the dma-buf core: EOPNOTSUPP) */
struct dma_buf;
#if IS_ENABLED(CONFIG_DMA_SHARED_BUFFER)
struct dma_buf *fpgacap_export(struct fpgacap_file *ff, u32 index, u32 flags);
int fpgacap_export_install(struct dma_buf *dmabuf, u32 flags, s32 __user *ufd);
#else
static inline struct dma_buf *fpgacap_export(struct fpgacap_file *ff,
					     u32 index, u32 flags)
{
	return ERR_PTR(-EOPNOTSUPP);
}

static inline int fpgacap_export_install(struct dma_buf *dmabuf, u32 flags,
					 s32 __user *ufd)
{
	return -EOPNOTSUPP;
}
#endif

/* ioctl.c, read.c, mmap.c */
long fpgacap_ioctl(struct file *file, unsigned int cmd, unsigned long arg);
ssize_t fpgacap_read_iter(struct kiocb *iocb, struct iov_iter *to);
int fpgacap_mmap(struct file *file, struct vm_area_struct *vma);

/* sysfs.c, debugfs.c */
extern const struct attribute_group *fpgacap_groups[];
void fpgacap_debugfs_setup(void);
void fpgacap_debugfs_init(struct fpgacap_dev *fdev);
void fpgacap_debugfs_exit(struct fpgacap_dev *fdev);
void fpgacap_debugfs_cleanup(void);

#endif /* FPGACAP_H */
