// SPDX-License-Identifier: MIT
/*
 * The recorder's core: buffers in a ring in stream order, each written as
 * its block-aligned body (from the pool itself, or in copy mode from the
 * library's memory) and, for a length that is no block multiple, a last
 * block padded with zeros; retired in order once its writes completed,
 * with its index entry written and its buffer released. Nothing is queued
 * behind a failed write: the first failure sticks.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "libfpgacap-testing.h"
#include "record.h"

#define NRECMODES (FPGACAP_RECORD_COPY + 1)

static const char *const rec_mode_names[NRECMODES] = {
	[FPGACAP_RECORD_AUTO] = "auto",
	[FPGACAP_RECORD_DIRECT] = "direct",
	[FPGACAP_RECORD_FIXED] = "fixed",
	[FPGACAP_RECORD_COPY] = "copy",
};

FPGACAP_API const char *fpgacap_record_mode_name(enum fpgacap_record_mode mode)
{
	if ((unsigned int)mode >= NRECMODES)
		return "?";
	return rec_mode_names[mode];
}

FPGACAP_API int fpgacap_record_mode_parse(const char *name,
					  enum fpgacap_record_mode *mode)
{
	int i = name_index(rec_mode_names, NRECMODES, name);

	if (i < 0)
		return -EINVAL;
	*mode = (enum fpgacap_record_mode)i;
	return 0;
}

static uint64_t round_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) / a * a;
}

/* ---- the ring ---- */

unsigned int record_slot(const struct fpgacap_recorder *r,
			 const struct rec_entry *e)
{
	return (unsigned int)(e - r->ring);
}

static struct rec_entry *entry_at(struct fpgacap_recorder *r, unsigned int i)
{
	return &r->ring[(r->head + i) % r->opts.max_inflight];
}

struct rec_entry *record_lookup(struct fpgacap_recorder *r, unsigned int slot,
				uint32_t seq)
{
	unsigned int max = r->opts.max_inflight;

	if (slot >= max || (slot + max - r->head) % max >= r->count)
		return NULL;
	return r->ring[slot].seq == seq ? &r->ring[slot] : NULL;
}

void record_fail(struct fpgacap_recorder *r, int err, uint64_t offset,
		 bool index)
{
	/* The failure the stream meets first: the lowest offset (writes
	 * complete in any order). */
	if (r->st.error && (index || r->st.index_error ||
			    offset >= r->st.error_offset))
		return;
	r->st.error = err;
	r->st.error_offset = offset;
	r->st.index_error = index;
}

void record_complete(struct fpgacap_recorder *r, struct rec_entry *e,
		     unsigned int i, int res)
{
	struct rec_piece *p = &e->piece[i];

	p->busy = false;
	e->busy--;
	if (res == -EAGAIN || res == -EINTR) {
		/* Nothing of it happened: issue it again. */
		r->st.resubmitted++;
		p->again = true;
		return;
	}
	if (res < 0) {
		p->error = -res;
		record_fail(r, -res, p->off + p->done, false);
		return;
	}
	if (!res) {
		/* The kernel took nothing and said no error: it never will. */
		p->error = EIO;
		record_fail(r, EIO, p->off + p->done, false);
		return;
	}
	p->done += (uint64_t)res;
	if (p->done < p->len) {
		/* A short write (the end of a device): the rest, which then
		 * fails with the reason. */
		r->st.resubmitted++;
		p->again = true;
	}
}

static bool entry_done(const struct rec_entry *e)
{
	unsigned int i;

	if (e->busy)
		return false;
	for (i = 0; i < e->npieces; i++)
		if (e->piece[i].again)
			return false;
	return true;
}

/* Bytes of the buffer from its start that reached the file. */
static uint64_t entry_written(const struct rec_entry *e)
{
	uint64_t written = 0;
	unsigned int i;

	for (i = 0; i < e->npieces; i++) {
		const struct rec_piece *p = &e->piece[i];

		written += p->done;
		if (p->error || p->done < p->len)
			break;
	}
	/* The padding of the last block is not the buffer's. */
	return written < e->ix.bytes ? written : e->ix.bytes;
}

static int index_write(struct fpgacap_recorder *r)
{
	const uint8_t *p = r->ixbuf;
	size_t left = r->ixlen;

	while (left) {
		ssize_t n = pwrite(r->opts.index_fd, p, left,
				   (off_t)r->index_pos);

		r->st.syscalls++;
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int err = n < 0 ? errno : EIO;

			record_fail(r, err, r->index_pos, true);
			r->ixlen = 0;
			return -err;
		}
		p += n;
		left -= (size_t)n;
		r->index_pos += (uint64_t)n;
	}
	r->ixlen = 0;
	if (r->opts.flags & FPGACAP_RECORD_SYNC) {
		r->st.syscalls++;
		if (fdatasync(r->opts.index_fd)) {
			record_fail(r, errno, r->index_pos, true);
			return -errno;
		}
	}
	return 0;
}

static void index_add(struct fpgacap_recorder *r,
		      const struct fpgacap_index_entry *ix)
{
	if (r->opts.index_fd < 0)
		return;
	fpgacap_index_entry_encode(r->ixbuf + r->ixlen, ix);
	r->ixlen += FPGACAP_INDEX_ENTRY_SIZE;
	r->st.index_entries++;
}

/* Give back, oldest first, every buffer whose writes all completed. */
static int retire_ready(struct fpgacap_recorder *r)
{
	int released = 0;

	while (r->count) {
		struct rec_entry *e = &r->ring[r->head];
		uint64_t written;

		if (!entry_done(e))
			break;
		written = entry_written(e);
		e->ix.written = written;
		if (written < e->ix.bytes) {
			int err = 0;

			for (unsigned int i = 0; i < e->npieces && !err; i++)
				err = e->piece[i].error;
			e->ix.flags |= FPGACAP_INDEX_FAILED;
			e->ix.error = (uint16_t)(err ? err : EIO);
			r->st.failed++;
			r->st.failed_bytes += e->ix.bytes - written;
		} else {
			r->st.acknowledged++;
			r->st.acknowledged_bytes += written;
		}
		index_add(r, &e->ix);
		if (r->ixlen == FPGACAP_INDEX_ENTRY_SIZE * r->opts.max_inflight)
			index_write(r);
		r->head = (r->head + 1) % r->opts.max_inflight;
		r->count--;
		if (!e->released && r->opts.release) {
			e->released = true;
			released++;
			r->opts.release(r->opts.ctx, e->cookie);
		}
	}
	if (r->ixlen)
		index_write(r);
	return released;
}

/* Issue every piece that waits to be (again). */
static int issue_pending(struct fpgacap_recorder *r)
{
	bool issued = false, more;
	int ret;

	/* A synchronous write completes in place and may want the rest of
	 * a short write issued: go round until none waits. */
	do {
		more = false;
		for (unsigned int k = 0; k < r->count; k++) {
			struct rec_entry *e = entry_at(r, k);

			for (unsigned int i = 0; i < e->npieces; i++) {
				struct rec_piece *p = &e->piece[i];

				if (!p->again)
					continue;
				p->again = false;
				p->busy = true;
				e->busy++;
				r->st.writes++;
				if (p->fixed >= 0)
					r->st.fixed_writes++;
				ret = r->ops->issue(r, r->priv, e, i);
				if (ret < 0) {
					/* Never went out: the entry fails. */
					p->busy = false;
					e->busy--;
					p->error = -ret;
					record_fail(r, -ret, p->off + p->done,
						    false);
					continue;
				}
				issued = true;
				more |= p->again;
			}
		}
	} while (more && !r->ops->async);
	if (!issued || !r->ops->async)
		return 0;
	/* What fails to go in now goes with the next reap. */
	ret = r->ops->submit(r, r->priv);
	if (ret < 0)
		record_fail(r, -ret, r->st.file_end, false);
	return ret;
}

FPGACAP_API int fpgacap_recorder_reap(struct fpgacap_recorder *r,
				      int timeout_ms)
{
	int ret = 0, released;

	if (r->ops->async && r->count)
		ret = r->ops->reap(r, r->priv, timeout_ms);
	/* Short writes and EAGAIN go out again at once. */
	issue_pending(r);
	released = retire_ready(r);
	return ret < 0 ? ret : released;
}

FPGACAP_API unsigned int
fpgacap_recorder_pending(const struct fpgacap_recorder *r)
{
	return r->count;
}

/* ---- writing a buffer ---- */

/* Copy mode: the slot's memory, at least @len bytes, page-aligned. */
static uint8_t *stage_for(struct fpgacap_recorder *r, unsigned int slot,
			  uint64_t len)
{
	void *p;

	if (r->stage_cap[slot] >= len)
		return r->stage[slot];
	if (len > SIZE_MAX || posix_memalign(&p, (size_t)r->page, (size_t)len))
		return NULL;
	free(r->stage[slot]);
	r->stage[slot] = p;
	r->stage_cap[slot] = len;
	return p;
}

/* The registered buffer [base, base + len) lies in, or -1. */
static int fixed_index(const struct fpgacap_recorder *r, const uint8_t *base,
		       uint64_t len)
{
	const struct iovec *v = r->fixed;

	for (unsigned int i = 0; i < r->nfixed; i++) {
		const uint8_t *b = v[i].iov_base;

		if (base >= b && base + len <= b + v[i].iov_len)
			return (int)i;
	}
	return -1;
}

static void piece_set(struct rec_piece *p, const uint8_t *base, uint64_t len,
		      uint64_t off, int fixed)
{
	memset(p, 0, sizeof(*p));
	p->base = base;
	p->len = len;
	p->off = off;
	p->fixed = fixed;
	p->again = true;
}

/* Lay @e out: which memory goes where, copying what must be copied. */
static int entry_layout(struct fpgacap_recorder *r, struct rec_entry *e,
			const uint8_t *data, uint64_t len)
{
	uint64_t bs = r->st.block_size, body = len / bs * bs, off = r->st.file_end;
	unsigned int slot = record_slot(r, e);

	e->npieces = 0;
	if (!len)
		return 0;
	if (r->st.mode == FPGACAP_RECORD_COPY) {
		uint8_t *s = stage_for(r, slot, round_up(len, bs));

		if (!s)
			return -ENOMEM;
		memcpy(s, data, len);
		memset(s + len, 0, round_up(len, bs) - len);
		r->st.copied_bytes += len;
		piece_set(&e->piece[e->npieces++], s, round_up(len, bs), off,
			  -1);
		return 0;
	}
	if ((uintptr_t)data % bs)
		return -EINVAL;
	if (body)
		piece_set(&e->piece[e->npieces++], data, body, off,
			  fixed_index(r, data, body));
	if (len > body) {
		uint8_t *t = r->tails + (size_t)slot * bs;

		memcpy(t, data + body, len - body);
		memset(t + (len - body), 0, bs - (len - body));
		r->st.copied_bytes += len - body;
		piece_set(&e->piece[e->npieces++], t, bs, off + body, -1);
	}
	return 0;
}

FPGACAP_API int fpgacap_recorder_write(struct fpgacap_recorder *r,
				       const struct fpgacap_buffer *b,
				       const void *data, size_t len,
				       uint64_t cookie)
{
	uint64_t bs = r->st.block_size;
	struct rec_entry *e;
	int ret;

	if (r->st.finished)
		return -EPIPE;
	if (len && !data)
		return -EINVAL;
	/* Room in the ring: wait for the oldest writes. */
	while (!r->st.error && r->count == r->opts.max_inflight) {
		ret = fpgacap_recorder_reap(r, 1000);
		if (ret < 0)
			return ret;
	}
	if (r->st.error)
		return -r->st.error;
	if (len > UINT64_MAX - r->st.file_end - bs)
		return -EFBIG;

	e = entry_at(r, r->count);
	memset(e, 0, sizeof(*e));
	e->cookie = cookie;
	e->seq = r->seq;
	e->ix.sequence = b ? b->sequence : r->next_sequence;
	e->ix.stream_offset = b ? b->offset : r->stream_end;
	e->ix.file_offset = r->st.file_end;
	e->ix.bytes = len;
	e->ix.timestamp_ns = b ? b->timestamp_ns : fc_now_ns();
	e->ix.lost_bytes = b ? b->lost_bytes : 0;
	e->ix.flags = (uint16_t)(b ? b->flags & 0xff : 0);
	ret = entry_layout(r, e, data, len);
	if (ret)
		return ret;
	r->seq++;
	r->count++;
	/* From here the buffer is the recorder's, whatever happens to its
	 * writes: a failure is the entry's, and sticks. */
	issue_pending(r);
	r->next_sequence = e->ix.sequence + 1;
	r->stream_end = e->ix.stream_offset +
			(b ? b->bytes_used : (uint64_t)len);
	r->st.file_end += round_up(len, bs);
	r->st.padding_bytes += round_up(len, bs) - len;
	r->st.buffers++;
	r->st.bytes += len;
	/* Copy mode read the buffer already: it may go back now. */
	if ((r->st.mode == FPGACAP_RECORD_COPY || r->testing_early_release) &&
	    r->opts.release) {
		e->released = true;
		r->opts.release(r->opts.ctx, cookie);
	}
	retire_ready(r);
	return 0;
}

/* ---- the end ---- */

FPGACAP_API int fpgacap_recorder_finish(struct fpgacap_recorder *r,
					int timeout_ms)
{
	uint64_t end = fc_now_ns() + (uint64_t)(timeout_ms < 0 ? 0 :
						timeout_ms) * 1000000ULL;
	struct fpgacap_index_entry ix = { 0 };
	int cut = 0, ret;

	if (r->st.finished)
		return r->st.error ? -r->st.error : 0;
	while (r->count) {
		int wait = -1;

		if (timeout_ms >= 0) {
			uint64_t now = fc_now_ns();

			if (now >= end) {
				cut = ETIMEDOUT;
				break;
			}
			wait = (int)((end - now + 999999) / 1000000);
		}
		ret = fpgacap_recorder_reap(r, wait);
		if (ret == -EINTR) {
			cut = EINTR;
			break;
		}
		if (ret < 0) {
			cut = -ret;
			break;
		}
	}
	/* What the device caches goes to stable storage, then the index:
	 * after a disk error too, as the index acknowledges what landed. */
	if (r->st.file_end > r->opts.offset) {
		r->st.syscalls++;
		if (fdatasync(r->opts.fd) && errno != EINVAL)
			record_fail(r, errno, r->st.file_end, false);
	}
	ix.sequence = r->next_sequence;
	ix.stream_offset = r->stream_end;
	ix.file_offset = r->st.file_end;
	ix.timestamp_ns = fc_now_ns();
	ix.flags = FPGACAP_INDEX_END;
	ix.error = (uint16_t)(r->st.error ? r->st.error : cut);
	if (r->opts.index_fd >= 0) {
		index_add(r, &ix);
		index_write(r);
		r->st.syscalls++;
		if (fdatasync(r->opts.index_fd) && errno != EINVAL)
			record_fail(r, errno, r->index_pos, true);
	}
	r->st.finished = true;
	if (r->st.error)
		return -r->st.error;
	return cut ? (cut == EINTR ? -EINTR : -ETIMEDOUT) : 0;
}

FPGACAP_API int fpgacap_recorder_get_stats(const struct fpgacap_recorder *r,
					   struct fpgacap_recorder_stats *st)
{
	struct fpgacap_recorder_stats now = r->st;

	now.requested = r->opts.mode;
	now.inflight = r->count;
	return struct_out(st, &now, sizeof(now));
}

/* ---- life ---- */

/* The alignment O_DIRECT wants of @fd's offsets, or 0 if not known. */
static uint32_t file_block_size(int fd, const struct stat *sb)
{
	if (S_ISBLK(sb->st_mode)) {
		int lbs = 0;

		if (!ioctl(fd, BLKSSZGET, &lbs) && lbs > 0)
			return (uint32_t)lbs;
		return 0;
	}
#if defined(STATX_DIOALIGN) && defined(__GLIBC__)
	if (S_ISREG(sb->st_mode)) {
		struct statx sx;

		if (!statx(fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &sx) &&
		    (sx.stx_mask & STATX_DIOALIGN) && sx.stx_dio_offset_align)
			return sx.stx_dio_offset_align;
	}
#endif
	return 0;
}

static int index_header(struct fpgacap_recorder *r)
{
	uint8_t wire[FPGACAP_INDEX_HEADER_SIZE];
	struct fpgacap_index_header h = {
		.magic = FPGACAP_INDEX_MAGIC,
		.version = FPGACAP_INDEX_VERSION,
		.header_size = FPGACAP_INDEX_HEADER_SIZE,
		.entry_size = FPGACAP_INDEX_ENTRY_SIZE,
		.block_size = r->st.block_size,
		.data_offset = r->opts.offset,
		.buffer_size = r->opts.buffer_size,
		.slot_size = r->opts.slot_size,
		.slot_header = r->opts.slot_header,
		.source = r->opts.source,
		.pool_flags = r->opts.pool_flags,
		.flags = r->opts.flags & FPGACAP_RECORD_SYNC ?
			 FPGACAP_INDEX_SYNC : 0,
		.start_monotonic_ns = fc_now_ns(),
	};
	struct timespec ts;
	struct stat sb;
	ssize_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	h.start_realtime_ns = (uint64_t)ts.tv_sec * 1000000000ULL +
			      (uint64_t)ts.tv_nsec;
	fpgacap_index_header_encode(wire, &h);
	/* Entries of an older recording must not follow ours. */
	if (!fstat(r->opts.index_fd, &sb) && S_ISREG(sb.st_mode) &&
	    ftruncate(r->opts.index_fd, 0))
		return -errno;
	do
		n = pwrite(r->opts.index_fd, wire, sizeof(wire), 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n != (ssize_t)sizeof(wire))
		return -EIO;
	r->index_pos = sizeof(wire);
	return 0;
}

static int backend_init(struct fpgacap_recorder *r,
			const struct rec_backend_ops *ops)
{
	int ret;

	r->priv = ops->priv_size ? calloc(1, ops->priv_size) : NULL;
	if (ops->priv_size && !r->priv)
		return -ENOMEM;
	r->ops = ops;
	ret = ops->init ? ops->init(r, r->priv) : 0;
	if (ret) {
		free(r->priv);
		r->priv = NULL;
		r->ops = NULL;
	}
	return ret;
}

static int setup(struct fpgacap_recorder *r)
{
	uint32_t bs = r->opts.block_size;
	struct stat sb;
	int fl, ret;

	if ((unsigned int)r->opts.mode >= NRECMODES)
		return -EINVAL;
	if (fstat(r->opts.fd, &sb))
		return -errno;
	fl = fcntl(r->opts.fd, F_GETFL);
	if (fl < 0)
		return -errno;
	if ((fl & O_ACCMODE) == O_RDONLY)
		return -EBADF;
	r->st.direct = fl & O_DIRECT;
	if (!bs)
		bs = file_block_size(r->opts.fd, &sb);
	if (!bs)
		bs = 4096;
	/* Pool buffers are page-aligned: a larger block cannot be met. */
	if (bs < 512 || bs > (uint64_t)r->page || (bs & (bs - 1)) ||
	    r->opts.offset % bs)
		return -EINVAL;
	r->st.block_size = bs;
	r->st.file_end = r->opts.offset;
	r->st.mode = r->opts.mode == FPGACAP_RECORD_AUTO ?
		     FPGACAP_RECORD_DIRECT : r->opts.mode;
	r->ring = calloc(r->opts.max_inflight, sizeof(*r->ring));
	r->ixbuf = malloc((size_t)FPGACAP_INDEX_ENTRY_SIZE *
			  r->opts.max_inflight);
	if (posix_memalign((void **)&r->tails, (size_t)r->page,
			   (size_t)bs * r->opts.max_inflight))
		r->tails = NULL;
	if (!r->ring || !r->ixbuf || !r->tails)
		return -ENOMEM;
	if (r->st.mode == FPGACAP_RECORD_COPY) {
		r->stage = calloc(r->opts.max_inflight, sizeof(*r->stage));
		r->stage_cap = calloc(r->opts.max_inflight,
				      sizeof(*r->stage_cap));
		if (!r->stage || !r->stage_cap)
			return -ENOMEM;
	}
	/* io_uring, or (auto, direct, copy) one write at a time. */
	ret = backend_init(r, &rec_uring_ops);
	if (ret && r->opts.mode != FPGACAP_RECORD_FIXED)
		ret = backend_init(r, &rec_sync_ops);
	if (ret)
		return ret;
	r->st.uring = r->ops == &rec_uring_ops;
	if (r->opts.mode == FPGACAP_RECORD_FIXED && !r->st.fixed_buffers)
		return r->st.fixed_buffers_error ?
		       -r->st.fixed_buffers_error : -EINVAL;
	if (r->st.fixed_buffers && r->opts.mode == FPGACAP_RECORD_AUTO)
		r->st.mode = FPGACAP_RECORD_FIXED;
	return r->opts.index_fd >= 0 ? index_header(r) : 0;
}

FPGACAP_API int fpgacap_recorder_create(const struct fpgacap_recorder_opts *opts,
					struct fpgacap_recorder **out)
{
	struct fpgacap_recorder *r;
	int ret;

	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	ret = struct_in(&r->opts, sizeof(r->opts), opts);
	if (ret) {
		free(r);
		return ret;
	}
	if (!r->opts.max_inflight)
		r->opts.max_inflight = 64;
	r->page = sysconf(_SC_PAGESIZE);
	if (r->opts.flags & ~FPGACAP_RECORD_SYNC || r->opts.max_inflight > 65536)
		ret = -EINVAL;
	else
		ret = setup(r);
	/* Read only here: the backend keeps what it registered. */
	r->opts.regions = NULL;
	if (ret) {
		r->opts.nregions = 0;
		fpgacap_recorder_destroy(r);
		return ret;
	}
	*out = r;
	return 0;
}

FPGACAP_API void fpgacap_recorder_destroy(struct fpgacap_recorder *r)
{
	if (!r)
		return;
	if (r->ops && r->ops->exit)
		r->ops->exit(r, r->priv);
	free(r->priv);
	if (r->stage)
		for (unsigned int i = 0; i < r->opts.max_inflight; i++)
			free(r->stage[i]);
	free(r->stage);
	free(r->stage_cap);
	free(r->fixed);
	free(r->tails);
	free(r->ixbuf);
	free(r->ring);
	free(r);
}

/* Tests only (libfpgacap-testing.h): release when queued. */
void fpgacap_testing_record_early_release(struct fpgacap_recorder *r, bool on)
{
	r->testing_early_release = on;
}
