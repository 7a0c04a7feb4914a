// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/fpgacap*: configure, start/stop, dequeue/return in batches, poll,
 * read(), info and statistics.
 *
 * One file at a time owns the stream (CONFIGURE, START, STOP, DEQUEUE,
 * RETURN, read); the others get EBUSY but may still ask for INFO and STATS.
 * Closing the owner stops the stream and frees what it held. After unbind
 * every call fails with ENODEV while mappings stay readable.
 *
 * Lock order: fdev->lock, then mmap_lock (copy_to_user), then q->lock.
 * mmap() runs under mmap_lock and so never takes fdev->lock.
 */
#include <linux/fs.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/uio.h>

#include "fpgacap.h"

/* Geometry read() sets up when nobody configured the device. */
static unsigned int read_buffers = 16;
module_param(read_buffers, uint, 0644);
MODULE_PARM_DESC(read_buffers, "buffers read() configures if unconfigured");
static unsigned int read_buffer_kb = 256;
module_param(read_buffer_kb, uint, 0644);
MODULE_PARM_DESC(read_buffer_kb, "KiB per buffer read() configures");

/* Take or check ownership of the stream; fdev->lock held. */
static int claim(struct fpgacap_dev *fdev, struct file *file)
{
	if (fdev->gone)
		return -ENODEV;
	if (fdev->owner && fdev->owner != file)
		return -EBUSY;
	fdev->owner = file;
	return 0;
}

static void read_buf_release(struct fpgacap_dev *fdev)
{
	if (fdev->read_buf) {
		u32 idx = fdev->read_buf->index;

		fdev->read_buf = NULL;
		fdev->read_pos = 0;
		fpgacap_queue_return(&fdev->q, &idx, 1);
	}
}

/* Detach and free the pool; fdev->lock held, stopped. */
static void drop_pool(struct fpgacap_dev *fdev)
{
	struct fpgacap_pool *pool;

	fdev->read_buf = NULL;
	fdev->read_pos = 0;
	pool = fpgacap_queue_teardown(&fdev->q);
	if (pool) {
		/* The DMA mapping belongs to the device, the pages to all. */
		fpgacap_pool_dma_unmap(pool);
		fpgacap_pool_put(pool);
	}
}

int fpgacap_configure(struct fpgacap_dev *fdev, struct fpgacap_config *cfg)
{
	struct fpgacap_pool *pool;
	u64 total;
	int ret;

	if (cfg->flags & ~FPGACAP_CFG_FLAGS_ALL)
		return -EINVAL;
	if ((cfg->flags & FPGACAP_CFG_COHERENT) &&
	    (cfg->flags & FPGACAP_CFG_HIGHMEM))
		return -EINVAL;
	if (cfg->count) {
		ret = fpgacap_pool_check_size(cfg->count, cfg->buffer_size,
					      &total);
		if (ret)
			return ret;
	}
	if (fdev->q.streaming)
		return -EBUSY;

	/* Free the old pool first: both may not fit in memory at once. */
	drop_pool(fdev);
	cfg->mmap_size = 0;
	cfg->chunks = 0;
	cfg->max_segments = 0;
	cfg->min_chunk_order = 0;
	cfg->max_chunk_order = 0;
	if (!cfg->count)
		return 0;

	pool = fpgacap_pool_create(cfg->count, cfg->buffer_size, cfg->flags,
				   fdev->src->dma_dev, fdev->parent);
	if (IS_ERR(pool))
		return PTR_ERR(pool);
	ret = fpgacap_queue_setup(&fdev->q, pool);
	if (ret) {
		fpgacap_pool_dma_unmap(pool);
		fpgacap_pool_put(pool);
		return ret;
	}
	fdev->src->rate = cfg->rate;
	cfg->mmap_size = total;
	cfg->chunks = pool->chunks;
	cfg->max_segments = pool->max_segments;
	cfg->min_chunk_order = pool->min_order;
	cfg->max_chunk_order = pool->max_order;
	return 0;
}

int fpgacap_start(struct fpgacap_dev *fdev)
{
	int ret;

	if (!fdev->q.pool)
		return -ENOBUFS;
	if (fdev->q.streaming)
		return -EBUSY;
	read_buf_release(fdev);
	fpgacap_queue_stream_on(&fdev->q);
	ret = fdev->src->ops->start(fdev->src);
	if (ret)
		fpgacap_queue_stream_off(&fdev->q);
	return ret;
}

void fpgacap_stop(struct fpgacap_dev *fdev)
{
	if (!fdev->q.streaming)
		return;
	fpgacap_queue_stream_off(&fdev->q);
	fdev->src->ops->stop(fdev->src);
}

static int fpgacap_open(struct inode *inode, struct file *file)
{
	struct fpgacap_dev *fdev = container_of(inode->i_cdev,
						struct fpgacap_dev, cdev);

	get_device(&fdev->dev);
	file->private_data = fdev;
	return stream_open(inode, file);
}

static int fpgacap_release(struct inode *inode, struct file *file)
{
	struct fpgacap_dev *fdev = file->private_data;

	mutex_lock(&fdev->lock);
	if (fdev->owner == file) {
		fpgacap_stop(fdev);
		fdev->read_buf = NULL;
		fpgacap_queue_reclaim_user(&fdev->q);
		fdev->owner = NULL;
	}
	mutex_unlock(&fdev->lock);
	put_device(&fdev->dev);
	return 0;
}

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
	fpgacap_queue_get_stats(&fdev->q, &st);
	info.api_version = FPGACAP_API_VERSION;
	info.caps = FPGACAP_CAP_STREAMING | FPGACAP_CAP_READ;
	if (IS_ENABLED(CONFIG_HIGHMEM))
		info.caps |= FPGACAP_CAP_HIGHMEM;
	if (fdev->src->type != FPGACAP_SOURCE_SLAVE_DMA)
		info.caps |= FPGACAP_CAP_RATE;
	info.source = fdev->src->type;
	info.state = st.state;
	info.page_size = PAGE_SIZE;
	info.max_buffers = fpgacap_limits.max_buffers;
	info.max_buffer_size = fpgacap_limits.max_buffer_size;
	info.max_pool_size = fpgacap_limits.max_pool_size;
	strscpy(info.name, dev_name(&fdev->dev), sizeof(info.name));
	strscpy(info.source_name, fdev->src->name, sizeof(info.source_name));
	mutex_unlock(&fdev->lock);

	return copy_to_user(arg, &info, sizeof(info)) ? -EFAULT : 0;
}

static long ioctl_configure(struct fpgacap_dev *fdev, struct file *file,
			    void __user *arg)
{
	struct fpgacap_config cfg;
	int ret;

	if (copy_from_user(&cfg, arg, sizeof(cfg)))
		return -EFAULT;
	if (!reserved_zero(cfg.reserved, sizeof(cfg.reserved)))
		return -EINVAL;

	mutex_lock(&fdev->lock);
	ret = claim(fdev, file);
	if (!ret)
		ret = fpgacap_configure(fdev, &cfg);
	/* Freeing the pool gives the stream up for others. */
	if (!ret && !cfg.count)
		fdev->owner = NULL;
	mutex_unlock(&fdev->lock);
	if (ret)
		return ret;
	return copy_to_user(arg, &cfg, sizeof(cfg)) ? -EFAULT : 0;
}

static long ioctl_start_stop(struct fpgacap_dev *fdev, struct file *file,
			     bool start)
{
	int ret;

	mutex_lock(&fdev->lock);
	ret = claim(fdev, file);
	if (!ret) {
		if (start)
			ret = fpgacap_start(fdev);
		else
			fpgacap_stop(fdev);
	}
	mutex_unlock(&fdev->lock);
	return ret;
}

/* Something for a waiting DEQUEUE or read(): data, error, end, unbind. */
static bool dequeue_wakeup(struct fpgacap_dev *fdev)
{
	return fpgacap_queue_ready(&fdev->q) || READ_ONCE(fdev->gone);
}

static long dequeue_timeout(s64 timeout_ns, bool nonblock)
{
	if (nonblock || !timeout_ns)
		return 0;
	if (timeout_ns < 0)
		return MAX_SCHEDULE_TIMEOUT;
	return min_t(u64, nsecs_to_jiffies64(timeout_ns) + 1,
		     MAX_SCHEDULE_TIMEOUT);
}

static long ioctl_dequeue(struct fpgacap_dev *fdev, struct file *file,
			  void __user *arg)
{
	struct fpgacap_dequeue dq;
	struct fpgacap_queue *q = &fdev->q;
	long timeout;
	int n, ret;

	if (copy_from_user(&dq, arg, sizeof(dq)))
		return -EFAULT;
	if (dq.flags || !reserved_zero(dq.reserved, sizeof(dq.reserved)) ||
	    !dq.count)
		return -EINVAL;
	timeout = dequeue_timeout(dq.timeout_ns, file->f_flags & O_NONBLOCK);

	for (;;) {
		mutex_lock(&fdev->lock);
		ret = claim(fdev, file);
		if (ret)
			goto unlock;
		if (!q->pool) {
			ret = -ENOBUFS;
			goto unlock;
		}
		n = fpgacap_queue_peek_done(q, q->scratch_info,
					    min(dq.count, q->count));
		if (n) {
			/* Nothing is consumed unless userspace got it. */
			if (copy_to_user(u64_to_user_ptr(dq.buffers),
					 q->scratch_info,
					 n * sizeof(*q->scratch_info))) {
				ret = -EFAULT;
				goto unlock;
			}
			fpgacap_queue_consume_done(q, n);
			mutex_unlock(&fdev->lock);
			dq.count = n;
			return copy_to_user(arg, &dq, sizeof(dq)) ? -EFAULT : 0;
		}
		if (q->error)
			ret = -EIO;
		else if (!q->streaming)
			ret = -ENODATA;
		else if (!timeout)
			ret = -EAGAIN;
		mutex_unlock(&fdev->lock);
		if (ret)
			return ret;

		timeout = wait_event_interruptible_timeout(q->done_wq,
							   dequeue_wakeup(fdev),
							   timeout);
		/*
		 * A signal, or task work (io_uring completions arrive that
		 * way): restart the call once it is handled.
		 */
		if (timeout < 0)
			return -ERESTARTSYS;
		if (!timeout)
			return -ETIMEDOUT;
	}
unlock:
	mutex_unlock(&fdev->lock);
	return ret;
}

static long ioctl_return(struct fpgacap_dev *fdev, struct file *file,
			 void __user *arg)
{
	struct fpgacap_return rt;
	struct fpgacap_queue *q = &fdev->q;
	int ret;

	if (copy_from_user(&rt, arg, sizeof(rt)))
		return -EFAULT;
	if (rt.flags || !reserved_zero(rt.reserved, sizeof(rt.reserved)) ||
	    !rt.count)
		return -EINVAL;

	mutex_lock(&fdev->lock);
	ret = claim(fdev, file);
	if (ret)
		goto unlock;
	if (!q->pool) {
		ret = -ENOBUFS;
		goto unlock;
	}
	/* More indices than buffers cannot all be distinct and held. */
	if (rt.count > q->count) {
		ret = -EINVAL;
		goto unlock;
	}
	if (copy_from_user(q->scratch_idx, u64_to_user_ptr(rt.indices),
			   rt.count * sizeof(*q->scratch_idx))) {
		ret = -EFAULT;
		goto unlock;
	}
	ret = fpgacap_queue_return(q, q->scratch_idx, rt.count);
	if (ret)
		goto unlock;
	/* read() may have been holding one of them. */
	if (fdev->read_buf && fdev->read_buf->state != FPGACAP_BUF_USER)
		fdev->read_buf = NULL;
	if (q->streaming)
		fdev->src->ops->kick(fdev->src);
unlock:
	mutex_unlock(&fdev->lock);
	return ret;
}

static long ioctl_stats(struct fpgacap_dev *fdev, void __user *arg)
{
	struct fpgacap_stats st;

	mutex_lock(&fdev->lock);
	if (fdev->gone) {
		mutex_unlock(&fdev->lock);
		return -ENODEV;
	}
	fpgacap_queue_get_stats(&fdev->q, &st);
	mutex_unlock(&fdev->lock);
	memset(st.reserved, 0, sizeof(st.reserved));
	return copy_to_user(arg, &st, sizeof(st)) ? -EFAULT : 0;
}

static long fpgacap_ioctl(struct file *file, unsigned int cmd,
			  unsigned long arg)
{
	struct fpgacap_dev *fdev = file->private_data;
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case FPGACAP_IOC_INFO:
		return ioctl_info(fdev, uarg);
	case FPGACAP_IOC_CONFIGURE:
		return ioctl_configure(fdev, file, uarg);
	case FPGACAP_IOC_START:
		return ioctl_start_stop(fdev, file, true);
	case FPGACAP_IOC_STOP:
		return ioctl_start_stop(fdev, file, false);
	case FPGACAP_IOC_DEQUEUE:
		return ioctl_dequeue(fdev, file, uarg);
	case FPGACAP_IOC_RETURN:
		return ioctl_return(fdev, file, uarg);
	case FPGACAP_IOC_STATS:
		return ioctl_stats(fdev, uarg);
	default:
		return -ENOTTY;
	}
}

static __poll_t fpgacap_poll(struct file *file, poll_table *wait)
{
	struct fpgacap_dev *fdev = file->private_data;
	struct fpgacap_queue *q = &fdev->q;
	__poll_t mask = 0;

	poll_wait(file, &q->done_wq, wait);
	if (READ_ONCE(fdev->gone))
		return EPOLLERR | EPOLLHUP;

	spin_lock_irq(&q->lock);
	if (!list_empty(&q->done))
		mask |= EPOLLIN | EPOLLRDNORM;
	if (q->error)
		mask |= EPOLLERR;
	/* Stopped and drained: no more data will come. */
	if (!q->streaming && list_empty(&q->done))
		mask |= EPOLLHUP;
	spin_unlock_irq(&q->lock);
	return mask;
}

/* Make sure read() has a stream to read; fdev->lock held. */
static int read_prepare(struct fpgacap_dev *fdev)
{
	struct fpgacap_config cfg = {
		.count = read_buffers,
		.buffer_size = (u64)read_buffer_kb * SZ_1K,
	};
	int ret;

	if (!fdev->q.pool) {
		ret = fpgacap_configure(fdev, &cfg);
		if (ret)
			return ret;
	}
	if (!fdev->q.streaming && !fdev->q.ndone && !fdev->read_buf)
		return fpgacap_start(fdev);
	return 0;
}

/* Take the oldest filled buffer for read(); fdev->lock held. */
static struct fpgacap_buf *read_next(struct fpgacap_dev *fdev)
{
	struct fpgacap_queue *q = &fdev->q;
	struct fpgacap_buffer info;

	if (!fpgacap_queue_peek_done(q, &info, 1))
		return NULL;
	fpgacap_queue_consume_done(q, 1);
	fdev->read_pos = 0;
	return &q->bufs[info.index];
}

static size_t read_copy(struct fpgacap_dev *fdev, struct iov_iter *to)
{
	struct fpgacap_buf *buf = fdev->read_buf;
	size_t copied = 0;

	while (iov_iter_count(to) && fdev->read_pos < buf->info.bytes_used) {
		size_t pos = fdev->read_pos;
		size_t len = min_t(size_t, buf->info.bytes_used - pos,
				   PAGE_SIZE - offset_in_page(pos));
		size_t n;

		/* Per page: copy_page_to_iter maps highmem pages itself. */
		if (buf->vaddr)
			n = copy_to_iter(buf->vaddr + pos, len, to);
		else
			n = copy_page_to_iter(buf->pages[pos >> PAGE_SHIFT],
					      offset_in_page(pos), len, to);
		fdev->read_pos += n;
		copied += n;
		if (n < len)
			break;
	}
	return copied;
}

static ssize_t fpgacap_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct file *file = iocb->ki_filp;
	struct fpgacap_dev *fdev = file->private_data;
	struct fpgacap_queue *q = &fdev->q;
	bool nonblock = (file->f_flags & O_NONBLOCK) ||
			(iocb->ki_flags & IOCB_NOWAIT);
	size_t want = iov_iter_count(to);
	ssize_t copied = 0;
	int ret;

	if (!want)
		return 0;
	for (;;) {
		if (mutex_lock_interruptible(&fdev->lock))
			return copied ? copied : -ERESTARTSYS;
		ret = claim(fdev, file);
		if (!ret)
			ret = read_prepare(fdev);
		while (!ret && iov_iter_count(to)) {
			size_t n;

			if (!fdev->read_buf)
				fdev->read_buf = read_next(fdev);
			if (!fdev->read_buf)
				break;
			n = read_copy(fdev, to);
			copied += n;
			if (fdev->read_pos == fdev->read_buf->info.bytes_used) {
				read_buf_release(fdev);
				if (q->streaming)
					fdev->src->ops->kick(fdev->src);
			} else if (!n) {
				ret = -EFAULT;
			}
		}
		if (!ret && !copied) {
			if (q->error)
				ret = -EIO;
			else if (!q->streaming)
				ret = 0;	/* stopped and drained: EOF */
			else if (nonblock)
				ret = -EAGAIN;
			else
				ret = 1;	/* wait for data */
		}
		mutex_unlock(&fdev->lock);
		if (copied)
			return copied;
		if (ret <= 0)
			return ret;
		if (wait_event_interruptible(q->done_wq, dequeue_wakeup(fdev)))
			return -ERESTARTSYS;
	}
}

static const struct file_operations fpgacap_fops = {
	.owner = THIS_MODULE,
	.open = fpgacap_open,
	.release = fpgacap_release,
	.unlocked_ioctl = fpgacap_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.poll = fpgacap_poll,
	.read_iter = fpgacap_read_iter,
	.mmap = fpgacap_mmap,
	.llseek = no_llseek,
};

static struct class *fpgacap_class;
static dev_t fpgacap_devt;
static DEFINE_IDA(fpgacap_minors);
#define FPGACAP_MAX_MINORS 64

static void fpgacap_dev_release(struct device *dev)
{
	struct fpgacap_dev *fdev = container_of(dev, struct fpgacap_dev, dev);

	ida_free(&fpgacap_minors, MINOR(dev->devt));
	mutex_destroy(&fdev->lock);
	kfree(fdev);
}

/*
 * Make the device node. On success the struct device owns @fdev: it is
 * freed when unbind and every open file have let go.
 */
int fpgacap_cdev_register(struct fpgacap_dev *fdev, const char *label)
{
	int minor, ret;

	minor = ida_alloc_max(&fpgacap_minors, FPGACAP_MAX_MINORS - 1,
			      GFP_KERNEL);
	if (minor < 0)
		return minor;

	device_initialize(&fdev->dev);
	fdev->dev.class = fpgacap_class;
	fdev->dev.parent = fdev->parent;
	fdev->dev.devt = MKDEV(MAJOR(fpgacap_devt), minor);
	fdev->dev.release = fpgacap_dev_release;
	fdev->dev.groups = fpgacap_groups;
	if (label)
		ret = dev_set_name(&fdev->dev, "fpgacap-%s", label);
	else
		ret = dev_set_name(&fdev->dev, "fpgacap%d", minor);
	if (ret)
		goto err_put;

	cdev_init(&fdev->cdev, &fpgacap_fops);
	fdev->cdev.owner = THIS_MODULE;
	ret = cdev_device_add(&fdev->cdev, &fdev->dev);
	if (ret)
		goto err_put;
	return 0;
err_put:
	put_device(&fdev->dev);
	return ret;
}

/* Unbind: no new opens, every open file fails with ENODEV from now on. */
void fpgacap_cdev_unregister(struct fpgacap_dev *fdev)
{
	cdev_device_del(&fdev->cdev, &fdev->dev);

	mutex_lock(&fdev->lock);
	fdev->gone = true;
	fpgacap_stop(fdev);
	drop_pool(fdev);
	fdev->owner = NULL;
	mutex_unlock(&fdev->lock);

	wake_up_all(&fdev->q.done_wq);
	wake_up_all(&fdev->q.free_wq);
}

int fpgacap_class_init(void)
{
	int ret;

	ret = alloc_chrdev_region(&fpgacap_devt, 0, FPGACAP_MAX_MINORS,
				  "fpgacap");
	if (ret)
		return ret;
	fpgacap_class = class_create(THIS_MODULE, "fpgacap");
	if (IS_ERR(fpgacap_class)) {
		unregister_chrdev_region(fpgacap_devt, FPGACAP_MAX_MINORS);
		return PTR_ERR(fpgacap_class);
	}
	return 0;
}

void fpgacap_class_exit(void)
{
	class_destroy(fpgacap_class);
	unregister_chrdev_region(fpgacap_devt, FPGACAP_MAX_MINORS);
	ida_destroy(&fpgacap_minors);
}
