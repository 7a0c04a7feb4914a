// SPDX-License-Identifier: GPL-2.0-only
/*
 * read(): the captured bytes in order, for cat, dd and scripts; the mapped
 * interface is the zero-copy one.
 *
 * A reader that finds the device unconfigured configures it (read_buffers
 * of read_buffer_kb) and starts a fresh stream from offset 0; a stream its
 * owner stopped is drained to EOF, never restarted behind its back. A
 * blocking read() fills the whole buffer across capture buffers; it
 * returns less only at EOF, on an error, on a signal, or where data was
 * lost: a read() never spans a drop, so the bytes one call returns are
 * contiguous in the stream, and the statistics count what was dropped.
 * A buffer the source marked failed ends the stream: the call that reaches
 * it returns the bytes before it, and every call after says EIO until
 * STOP (the queue delivers nothing the engine finished behind it).
 *
 * Copies run without the device lock, from pages the file holds a pool
 * reference on, so a slow user page never holds up unbind.
 */
#include <linux/fs.h>
#include <linux/lockdep.h>
#include <linux/module.h>
#include <linux/uio.h>

#include "fpgacap.h"

/* Geometry read() sets up when nobody configured the device. */
static unsigned int read_buffers = 16;
module_param(read_buffers, uint, 0644);
MODULE_PARM_DESC(read_buffers, "buffers read() configures if unconfigured");
static unsigned int read_buffer_kb = 256;
module_param(read_buffer_kb, uint, 0644);
MODULE_PARM_DESC(read_buffer_kb, "KiB per buffer read() configures");

/* A stream to read from: configured and started once. Both locks held. */
static int read_prepare(struct fpgacap_file *ff)
{
	struct fpgacap_config cfg = {
		.count = READ_ONCE(read_buffers),
		.buffer_size = (u64)READ_ONCE(read_buffer_kb) * SZ_1K,
	};
	int ret;

	lockdep_assert_held(&ff->io_lock);
	if (!fpgacap_queue_count(&ff->fdev->queue)) {
		ret = fpgacap_configure(ff, &cfg);
		if (ret)
			return ret;
	}
	if (!ff->started)
		return fpgacap_start(ff);
	return 0;
}

/*
 * Take the next filled buffer; io_lock held. @gap_ok: a buffer that
 * follows lost data, or a failed one, may be taken (nothing copied yet in
 * this call). Return: 0, 1 at a gap or failure, or
 * fpgacap_queue_status()'s reason.
 */
static int read_next(struct fpgacap_file *ff, bool gap_ok)
{
	struct fpgacap_dev *fdev = ff->fdev;
	struct fpgacap_queue *q = &fdev->queue;
	struct fpgacap_buffer info;
	u64 session;
	int ret;

	mutex_lock(&fdev->lock);
	ret = fpgacap_may_stream(ff);
	if (!ret)
		ret = read_prepare(ff);
	if (!ret)
		ret = fpgacap_queue_read_take(q, gap_ok, &info, &session);
	if (!ret && (info.flags & FPGACAP_BUF_ERROR)) {
		fpgacap_queue_read_release(q, info.index, session);
		fpgacap_kick(fdev);
		ret = -EIO;
	} else if (!ret) {
		ff->rd.pool = fpgacap_queue_pool(q);
		ff->rd.session = session;
		ff->rd.index = info.index;
		ff->rd.pos = 0;
		ff->rd.len = info.bytes_used;
	}
	mutex_unlock(&fdev->lock);
	return ret;
}

/* read()'s buffer is copied out: give it back to the source. */
static void read_done(struct fpgacap_file *ff)
{
	struct fpgacap_dev *fdev = ff->fdev;

	mutex_lock(&fdev->lock);
	fpgacap_queue_read_release(&fdev->queue, ff->rd.index, ff->rd.session);
	if (!fdev->gone)
		fpgacap_kick(fdev);
	mutex_unlock(&fdev->lock);
	fpgacap_read_drop(ff);
}

/* Copy from read()'s buffer; io_lock held. Bytes copied or -EFAULT. */
static ssize_t read_copy(struct fpgacap_file *ff, struct iov_iter *to)
{
	struct fpgacap_read *rd = &ff->rd;
	size_t copied = 0;

	while (iov_iter_count(to) && rd->pos < rd->len) {
		/* The stream bytes: a slotted buffer's header rooms skipped. */
		size_t run, at = fpgacap_layout_offset(&rd->pool->layout,
						       rd->pos, &run);
		size_t off = offset_in_page(at);
		size_t len = min3(rd->len - rd->pos, run, PAGE_SIZE - off);
		size_t n;

		/* The CPU owns a buffer read() holds; highmem is mapped here. */
		n = copy_page_to_iter(fpgacap_pool_page(rd->pool, rd->index,
							at), off, len, to);
		rd->pos += n;
		copied += n;
		if (n < len) {
			if (!copied)
				return -EFAULT;
			break;
		}
	}
	if (rd->pos == rd->len)
		read_done(ff);
	return copied;
}

/**
 * fpgacap_read_iter() - read() of the device
 * @iocb: the call
 * @to: where the bytes go
 *
 * Return: bytes read, 0 at the end of a stopped stream, or -EAGAIN,
 * -EIO, -ENODEV (after unbind, even mid-buffer), -EBUSY, -EFAULT,
 * -ERESTARTSYS, or CONFIGURE's errors.
 */
ssize_t fpgacap_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct file *file = iocb->ki_filp;
	struct fpgacap_file *ff = file->private_data;
	bool nonblock = (file->f_flags & O_NONBLOCK) ||
			(iocb->ki_flags & IOCB_NOWAIT);
	ssize_t copied = 0, ret = 0;

	if (!iov_iter_count(to))
		return 0;
	if (mutex_lock_interruptible(&ff->io_lock))
		return -ERESTARTSYS;
	/* Unbound: every call but close fails, with a buffer held or not. */
	if (READ_ONCE(ff->fdev->gone)) {
		fpgacap_io_unlock(ff);
		return -ENODEV;
	}
	while (iov_iter_count(to)) {
		if (!ff->rd.pool) {
			ret = read_next(ff, !copied);
			if (ret == -EAGAIN && !nonblock) {
				/* Wait without the lock, then carry on. */
				fpgacap_io_unlock(ff);
				ret = fpgacap_queue_wait(&ff->fdev->queue, -1);
				if (ret)
					return copied ?: ret;
				if (mutex_lock_interruptible(&ff->io_lock))
					return copied ?: -ERESTARTSYS;
				continue;
			}
			if (ret)
				break;
		}
		ret = read_copy(ff, to);
		if (ret < 0)
			break;
		copied += ret;
	}
	fpgacap_io_unlock(ff);

	if (copied)
		return copied;
	if (ret == -ENODATA)
		return 0;	/* stopped and drained: end of file */
	return ret;
}
