// SPDX-License-Identifier: GPL-2.0-only
/*
 * The ioctls: info, configure, start/stop, dequeue/return in batches,
 * statistics. User memory is read and written only outside the device
 * lock, so a user buffer that faults slowly (userfaultfd, a stalled NFS
 * page) never holds up another file, unbind, or the source.
 */
#include <linux/fs.h>
#include <linux/ktime.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "fpgacap.h"

static bool reserved_zero(const void *p, size_t len)
{
	return !memchr_inv(p, 0, len);
}

static long ioctl_info(struct fpgacap_dev *fdev, void __user *arg)
{
	struct fpgacap_info info;
	struct fpgacap_stats st;

	memset(&info, 0, sizeof(info));
	mutex_lock(&fdev->lock);
	if (fdev->gone) {
		mutex_unlock(&fdev->lock);
		return -ENODEV;
	}
	fpgacap_queue_get_stats(&fdev->queue, &st);
	info.api_version = FPGACAP_API_VERSION;
	info.caps = FPGACAP_CAP_STREAMING | FPGACAP_CAP_READ |
		    FPGACAP_CAP_WRITABLE | fdev->src->caps;
	if (IS_ENABLED(CONFIG_HIGHMEM))
		info.caps |= FPGACAP_CAP_HIGHMEM;
	if (IS_ENABLED(CONFIG_DMA_SHARED_BUFFER))
		info.caps |= FPGACAP_CAP_DMABUF;
	info.source = fdev->src->type;
	info.state = st.state;
	info.page_size = PAGE_SIZE;
	info.max_buffers = READ_ONCE(fpgacap_limits.max_buffers);
	info.max_buffer_size = READ_ONCE(fpgacap_limits.max_buffer_size);
	info.max_pool_size = fpgacap_pool_max(fdev->src->dma_dev);
	info.max_pinned = READ_ONCE(fpgacap_limits.max_pinned);
	info.pinned = atomic64_read(&fdev->budget.held);
	info.max_orphaned = READ_ONCE(fpgacap_limits.max_orphaned);
	info.orphaned = atomic64_read(&fdev->budget.orphaned);
	strscpy(info.name, dev_name(&fdev->dev), sizeof(info.name));
	strscpy(info.source_name, fdev->src->name, sizeof(info.source_name));
	mutex_unlock(&fdev->lock);

	return copy_to_user(arg, &info, sizeof(info)) ? -EFAULT : 0;
}

static long ioctl_configure(struct fpgacap_file *ff, void __user *arg)
{
	struct fpgacap_dev *fdev = ff->fdev;
	struct fpgacap_config cfg, none = {};
	int ret;

	if (copy_from_user(&cfg, arg, sizeof(cfg)))
		return -EFAULT;
	if (!reserved_zero(cfg.reserved, sizeof(cfg.reserved)))
		return -EINVAL;

	if (mutex_lock_interruptible(&ff->io_lock))
		return -ERESTARTSYS;
	mutex_lock(&fdev->lock);
	ret = fpgacap_may_stream(ff);
	if (!ret)
		ret = fpgacap_configure(ff, &cfg);
	mutex_unlock(&fdev->lock);

	/* A reply userspace cannot read must not leave a pool behind. */
	if (!ret && copy_to_user(arg, &cfg, sizeof(cfg))) {
		mutex_lock(&fdev->lock);
		if (cfg.count && !fpgacap_may_stream(ff))
			fpgacap_configure(ff, &none);
		mutex_unlock(&fdev->lock);
		ret = -EFAULT;
	}
	fpgacap_io_unlock(ff);
	return ret;
}

static long ioctl_start(struct fpgacap_file *ff)
{
	struct fpgacap_dev *fdev = ff->fdev;
	int ret;

	if (mutex_lock_interruptible(&ff->io_lock))
		return -ERESTARTSYS;
	mutex_lock(&fdev->lock);
	ret = fpgacap_may_stream(ff);
	if (!ret)
		ret = fpgacap_start(ff);
	mutex_unlock(&fdev->lock);
	fpgacap_io_unlock(ff);
	return ret;
}

static long ioctl_stop(struct fpgacap_file *ff)
{
	struct fpgacap_dev *fdev = ff->fdev;
	int ret;

	mutex_lock(&fdev->lock);
	ret = fpgacap_may_stream(ff);
	if (!ret)
		fpgacap_stop(fdev);
	mutex_unlock(&fdev->lock);
	return ret;
}

/*
 * Take up to @max filled buffers for the owner, or say why there are none
 * (fpgacap_queue_status()). io_lock held.
 */
static int dequeue_take(struct fpgacap_file *ff, u32 max, u32 *n,
			u64 *session)
{
	struct fpgacap_dev *fdev = ff->fdev;
	int ret;

	mutex_lock(&fdev->lock);
	ret = fpgacap_may_stream(ff);
	if (!ret) {
		max = min(max, ff->scratch_len);
		*n = max ? fpgacap_queue_dequeue(&fdev->queue, ff->dq, max,
						 session) : 0;
		if (!*n)
			ret = fpgacap_queue_status(&fdev->queue);
	}
	mutex_unlock(&fdev->lock);
	return ret;
}

/* The buffers and their count reach userspace, or none is consumed. */
static int dequeue_deliver(struct fpgacap_file *ff,
			   struct fpgacap_dequeue __user *uarg,
			   const struct fpgacap_dequeue *dq, u32 n, u64 session)
{
	struct fpgacap_dev *fdev = ff->fdev;

	if (!copy_to_user(u64_to_user_ptr(dq->buffers), ff->dq,
			  n * sizeof(*ff->dq)) &&
	    !put_user(n, &uarg->count))
		return 0;
	mutex_lock(&fdev->lock);
	fpgacap_queue_undequeue(&fdev->queue, ff->dq, n, session);
	mutex_unlock(&fdev->lock);
	return -EFAULT;
}

/*
 * A signal interrupted a finite wait: store the time left, so a restart
 * (SA_RESTART) keeps the caller's deadline and EINTR tells how much was
 * left, as select() does.
 */
static int dequeue_interrupted(struct fpgacap_dequeue __user *uarg,
			       ktime_t deadline)
{
	s64 left = ktime_to_ns(ktime_sub(deadline, ktime_get()));

	if (left <= 0)
		return -ETIMEDOUT;
	if (put_user(left, &uarg->timeout_ns))
		return -EFAULT;
	return -ERESTARTSYS;
}

/*
 * Take the file's I/O lock for DEQUEUE: another thread of the file may sit
 * in a user copy for as long as its page takes (userfaultfd, a stalled
 * NFS page), and this call's deadline holds meanwhile too.
 */
static int dequeue_lock(struct fpgacap_file *ff, bool wait, s64 timeout_ns,
			ktime_t deadline)
{
	s64 left;
	int ret;

	if (mutex_trylock(&ff->io_lock))
		return 0;
	/* Not waiting for data: the lock is held for a copy, briefly. */
	if (!wait || timeout_ns < 0)
		return mutex_lock_interruptible(&ff->io_lock) ? -ERESTARTSYS : 0;
	left = ktime_to_ns(ktime_sub(deadline, ktime_get()));
	if (left <= 0)
		return -ETIMEDOUT;
	ret = wait_event_interruptible_hrtimeout(ff->io_wq,
						 mutex_trylock(&ff->io_lock),
						 ns_to_ktime(left));
	return ret == -ETIME ? -ETIMEDOUT : ret;
}

static long ioctl_dequeue(struct fpgacap_file *ff,
			  struct fpgacap_dequeue __user *uarg)
{
	struct fpgacap_queue *q = &ff->fdev->queue;
	struct fpgacap_dequeue dq;
	ktime_t deadline = 0;
	bool wait;
	u64 session;
	u32 n = 0;
	int ret;

	if (copy_from_user(&dq, uarg, sizeof(dq)))
		return -EFAULT;
	if (dq.flags || !reserved_zero(dq.reserved, sizeof(dq.reserved)) ||
	    !dq.count)
		return -EINVAL;
	wait = !(ff->file->f_flags & O_NONBLOCK) && dq.timeout_ns;
	if (dq.timeout_ns > 0)
		deadline = ktime_add_safe(ktime_get(), ns_to_ktime(dq.timeout_ns));

	for (;;) {
		ret = dequeue_lock(ff, wait, dq.timeout_ns, deadline);
		if (ret == -ERESTARTSYS && dq.timeout_ns > 0)
			ret = dequeue_interrupted(uarg, deadline);
		if (ret)
			return ret;
		ret = dequeue_take(ff, dq.count, &n, &session);
		if (n)
			ret = dequeue_deliver(ff, uarg, &dq, n, session);
		fpgacap_io_unlock(ff);
		if (n || ret != -EAGAIN) {
			/* 0 without buffers: one came in between; look again. */
			if (!n && !ret)
				continue;
			return ret;
		}
		if (!wait)
			return -EAGAIN;

		if (dq.timeout_ns < 0) {
			ret = fpgacap_queue_wait(q, -1);
		} else {
			s64 left = ktime_to_ns(ktime_sub(deadline, ktime_get()));

			if (left <= 0)
				return -ETIMEDOUT;
			ret = fpgacap_queue_wait(q, left);
			if (ret == -ERESTARTSYS)
				ret = dequeue_interrupted(uarg, deadline);
		}
		if (ret)
			return ret;
	}
}

static long ioctl_return(struct fpgacap_file *ff, void __user *arg)
{
	struct fpgacap_dev *fdev = ff->fdev;
	struct fpgacap_return rt;
	int ret;

	if (copy_from_user(&rt, arg, sizeof(rt)))
		return -EFAULT;
	if (rt.flags || !reserved_zero(rt.reserved, sizeof(rt.reserved)) ||
	    !rt.count)
		return -EINVAL;

	if (mutex_lock_interruptible(&ff->io_lock))
		return -ERESTARTSYS;
	mutex_lock(&fdev->lock);
	ret = fpgacap_may_stream(ff);
	if (!ret && !fpgacap_queue_count(&fdev->queue))
		ret = -ENOBUFS;
	mutex_unlock(&fdev->lock);
	/* More indices than buffers cannot all be distinct and held. */
	if (!ret && rt.count > ff->scratch_len)
		ret = -EINVAL;
	if (!ret && copy_from_user(ff->rt, u64_to_user_ptr(rt.indices),
				   rt.count * sizeof(*ff->rt)))
		ret = -EFAULT;
	if (!ret) {
		mutex_lock(&fdev->lock);
		ret = fpgacap_may_stream(ff);
		if (!ret)
			ret = fpgacap_queue_return(&fdev->queue, ff->rt,
						   rt.count);
		if (!ret)
			fpgacap_kick(fdev);
		mutex_unlock(&fdev->lock);
	}
	fpgacap_io_unlock(ff);
	return ret;
}

static long ioctl_export(struct fpgacap_file *ff,
			 struct fpgacap_export __user *uarg)
{
	struct fpgacap_dev *fdev = ff->fdev;
	struct dma_buf *dmabuf = NULL;
	struct fpgacap_export ex;
	int ret;

	if (copy_from_user(&ex, uarg, sizeof(ex)))
		return -EFAULT;
	if (ex.reserved0 || !reserved_zero(ex.reserved, sizeof(ex.reserved)))
		return -EINVAL;
	mutex_lock(&fdev->lock);
	ret = fpgacap_may_stream(ff);
	if (!ret && fdev->owner != ff)
		ret = -ENOBUFS;
	if (!ret)
		dmabuf = fpgacap_export(ff, ex.index, ex.flags);
	mutex_unlock(&fdev->lock);
	if (ret)
		return ret;
	if (IS_ERR(dmabuf))
		return PTR_ERR(dmabuf);
	/* Never a user copy under the device lock (mmap takes it). */
	return fpgacap_export_install(dmabuf, ex.flags, &uarg->fd);
}

static long ioctl_stats(struct fpgacap_dev *fdev, void __user *arg)
{
	struct fpgacap_stats st;

	mutex_lock(&fdev->lock);
	if (fdev->gone) {
		mutex_unlock(&fdev->lock);
		return -ENODEV;
	}
	fpgacap_queue_get_stats(&fdev->queue, &st);
	mutex_unlock(&fdev->lock);
	return copy_to_user(arg, &st, sizeof(st)) ? -EFAULT : 0;
}

/**
 * fpgacap_ioctl() - the device's ioctls (uapi/fpgacap.h)
 * @file: an open file of the device
 * @cmd: FPGACAP_IOC_*
 * @arg: its argument, a user pointer
 *
 * Return: 0 or a negative errno as documented in uapi/fpgacap.h.
 */
long fpgacap_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct fpgacap_file *ff = file->private_data;
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case FPGACAP_IOC_INFO:
		return ioctl_info(ff->fdev, uarg);
	case FPGACAP_IOC_CONFIGURE:
		return ioctl_configure(ff, uarg);
	case FPGACAP_IOC_START:
		return ioctl_start(ff);
	case FPGACAP_IOC_STOP:
		return ioctl_stop(ff);
	case FPGACAP_IOC_DEQUEUE:
		return ioctl_dequeue(ff, uarg);
	case FPGACAP_IOC_RETURN:
		return ioctl_return(ff, uarg);
	case FPGACAP_IOC_STATS:
		return ioctl_stats(ff->fdev, uarg);
	case FPGACAP_IOC_EXPORT:
		return ioctl_export(ff, uarg);
	default:
		return -ENOTTY;
	}
}
