/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * fpgacap: zero-copy capture of FPGA data into page-backed DMA buffers.
 *
 * The one header shared by the kernel module and userspace. Every structure
 * has fixed-width fields, explicit padding and reserved fields that must be
 * zero on input (EINVAL otherwise) and are zeroed on output, so the ABI can
 * grow without breaking binaries. FPGACAP_IOC_INFO reports the ABI version
 * and capability bits; test capabilities, not versions.
 *
 * Streaming model (like V4L2 streaming I/O, batched like io_uring):
 *   CONFIGURE  N buffers of S bytes (S a multiple of the page size)
 *   mmap       the whole pool read-only (or writable, FPGACAP_CFG_WRITABLE);
 *              buffer i starts at i * buffer_size
 *   START      the source fills free buffers
 *   DEQUEUE    take filled buffers (batch), read them through the mapping
 *   RETURN     give them back (batch) once nothing reads them any more
 *   STOP       the source stops; buffers userspace holds stay its own
 *
 * One open file owns the stream: the first, opened for reading, whose
 * CONFIGURE, START, STOP, DEQUEUE, RETURN or read() succeeds (mmap() claims
 * nothing: only the owner maps). Its pool and stream end with it: its last
 * reference going (close, and munmap of every mapping of it, which holds
 * the file) stops the stream and frees the pool. Files opened without
 * read access may only ask INFO and STATS.
 *
 * Errors (negative errno from ioctl, errno in userspace):
 *   ENOTTY    unknown command or a size the kernel does not know
 *   EBADF     a streaming call on a file not opened for reading
 *   EINVAL    malformed argument: reserved field or unknown flag set, size
 *             not a page multiple, index out of range or not held by you
 *   EOPNOTSUPP a known flag or setting this device cannot honour (see the
 *             capability bits in INFO)
 *   E2BIG     a count, size or total above the device's limits (see INFO)
 *   EOVERFLOW count * size does not fit in 64 bits
 *   EDQUOT    the pool would take the memory held by this device's pools,
 *             configured or still mapped after release, past max_pinned,
 *             or leave orphans (pools still mapped or exported after
 *             release) past max_orphaned
 *   ENOMEM    the page allocator or the memory cgroup refused the pool
 *   EBUSY     another file owns the stream, or CONFIGURE/START while
 *             streaming
 *   ENOBUFS   START, DEQUEUE, RETURN or mmap with no pool configured
 *   ENODATA   DEQUEUE while stopped and nothing is left to drain
 *   EAGAIN    DEQUEUE with nothing ready and O_NONBLOCK or timeout_ns == 0
 *   ETIMEDOUT DEQUEUE timed out
 *   EINTR     a signal interrupted a wait and its handler did not ask for a
 *             restart (SA_RESTART); DEQUEUE has stored the time left
 *   EIO       the source failed (engine error or stall); STOP then START
 *             recovers
 *   EACCES    a writable mapping or export of a read-only pool
 *   ENODEV    the device was unbound; the mapping stays readable
 *   EFAULT    a user pointer is bad; nothing was consumed
 */
#ifndef _UAPI_FPGACAP_H
#define _UAPI_FPGACAP_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define FPGACAP_API_MAJOR 1
#define FPGACAP_API_MINOR 2
#define FPGACAP_API_VERSION ((FPGACAP_API_MAJOR << 16) | FPGACAP_API_MINOR)

/* Capability bits in fpgacap_info.caps. */
#define FPGACAP_CAP_STREAMING	0x01U /* CONFIGURE/mmap/DEQUEUE/RETURN */
#define FPGACAP_CAP_READ	0x02U /* read() streams the bytes */
#define FPGACAP_CAP_HIGHMEM	0x04U /* FPGACAP_CFG_HIGHMEM accepted */
/* 0x08 is reserved (was a coherent baseline pool, now bench-only). */
#define FPGACAP_CAP_RATE	0x10U /* fpgacap_config.rate honoured */
#define FPGACAP_CAP_WRITABLE	0x20U /* FPGACAP_CFG_WRITABLE accepted */
#define FPGACAP_CAP_SLOTS	0x40U /* fpgacap_config.slot_size honoured */
#define FPGACAP_CAP_RECORDS	0x80U /* FPGACAP_CFG_RECORDS accepted */
#define FPGACAP_CAP_DMABUF	0x100U /* FPGACAP_IOC_EXPORT works */

/* Data sources, fpgacap_info.source. */
#define FPGACAP_SOURCE_PATTERN	1 /* CPU test pattern, no hardware */
#define FPGACAP_SOURCE_SLAVE_DMA 2 /* dmaengine DEV_TO_MEM scatter-gather */
#define FPGACAP_SOURCE_MEMCPY	3 /* dmaengine memcpy from a memory window */

/* Device state, fpgacap_info.state and fpgacap_stats.state. */
#define FPGACAP_STATE_UNCONFIGURED 0
#define FPGACAP_STATE_STOPPED	1
#define FPGACAP_STATE_STREAMING	2
#define FPGACAP_STATE_ERROR	3 /* source failed; STOP then START */

struct fpgacap_info {
	__u32 api_version;	/* FPGACAP_API_VERSION of the driver */
	__u32 caps;		/* FPGACAP_CAP_* */
	__u32 source;		/* FPGACAP_SOURCE_* */
	__u32 state;		/* FPGACAP_STATE_* */
	__u32 page_size;	/* buffer sizes are multiples of this */
	__u32 max_buffers;	/* limit on fpgacap_config.count */
	__u64 max_buffer_size;	/* limit on fpgacap_config.buffer_size */
	__u64 max_pool_size;	/* limit on count * buffer_size */
	char name[32];		/* device name, NUL-terminated */
	char source_name[32];	/* e.g. "pattern", "dma0chan1" */
	__u64 max_pinned;	/* limit on all pools of the device (EDQUOT) */
	__u64 pinned;		/* bytes its pools hold, live or orphaned */
	/* Since 1.2. */
	__u64 max_orphaned;	/* limit on orphaned pools (EDQUOT) */
	__u64 orphaned;		/* bytes of pools still mapped after release */
	__u64 reserved[4];
};

/* fpgacap_config.flags */
#define FPGACAP_CFG_HIGHMEM	0x01U /* allow highmem pages (CAP_HIGHMEM) */
/* 0x02 is reserved (was the coherent baseline pool). */
/*
 * The pool may be mapped writable too. Only for interfaces that pin pages
 * for writing although they only read them (io_uring registered buffers;
 * Linux 6.1 refuses device mappings there anyway): a write into a buffer
 * the device owns corrupts captured data, on a non-coherent CPU possibly
 * long after the write.
 */
#define FPGACAP_CFG_WRITABLE	0x04U
/*
 * A slotted pool whose source writes whole slots, header included: the
 * fabric sends records of slot_size bytes with its own header in front;
 * the pattern source writes a struct fpgacap_dgram_header there.
 */
#define FPGACAP_CFG_RECORDS	0x08U
#define FPGACAP_CFG_FLAGS_ALL	(FPGACAP_CFG_HIGHMEM | FPGACAP_CFG_WRITABLE | \
				 FPGACAP_CFG_RECORDS)

/*
 * CONFIGURE: allocate (count > 0) or free (count == 0) the pool. Only while
 * stopped. The old pool, if any, lives on while something still maps it,
 * and counts against max_pinned until then. The pages are zeroed and
 * charged to the caller's memory cgroup. A rate needs FPGACAP_CAP_RATE
 * (EOPNOTSUPP otherwise), FPGACAP_CFG_HIGHMEM needs FPGACAP_CAP_HIGHMEM.
 *
 * Slots (since 1.2, FPGACAP_CAP_SLOTS): with slot_size > 0 each buffer
 * holds buffer_size / slot_size datagram slots, slot k at k * slot_size,
 * each with slot_header bytes of header room in front of its payload. The
 * source writes only the payloads (a DMA engine gets one segment per slot
 * payload), so a library can write each datagram's header into its room
 * through a writable mapping and send a run of whole slots as one UDP GSO
 * send; with FPGACAP_CFG_RECORDS it writes whole slots (a peripheral's
 * engine gets one segment per slot, a memory window's engine the slots in
 * as few segments as the buffer has: max_segments says which). The stream
 * counts payload bytes only: bytes_used, offsets, lost_bytes and the
 * pattern run over the payloads, so slot k of a buffer at offset O carries the stream
 * from O + k * (slot_size - slot_header). Both sizes are multiples of 8,
 * FPGACAP_SLOT_MIN <= slot_size <= FPGACAP_SLOT_MAX (and <= buffer_size),
 * slot_header < slot_size and <= FPGACAP_SLOT_HEADER_MAX; slot_header == 0
 * and no FPGACAP_CFG_RECORDS without slots (EINVAL otherwise).
 */
#define FPGACAP_SLOT_MIN	1024	/* bytes */
#define FPGACAP_SLOT_MAX	65504	/* a UDP payload, a multiple of 8 */
#define FPGACAP_SLOT_HEADER_MAX	248	/* header_size is one byte */
struct fpgacap_config {
	__u32 count;		/* in: number of buffers */
	__u32 flags;		/* in: FPGACAP_CFG_* */
	__u64 buffer_size;	/* in: bytes per buffer, page multiple */
	__u64 rate;		/* in: bytes/s (CAP_RATE); 0: as buffers free */
	__u64 mmap_size;	/* out: length to mmap, count * buffer_size */
	__u32 chunks;		/* out: physically contiguous allocations */
	/* out: most DMA segments in one buffer, 0 for a CPU source */
	__u32 max_segments;
	__u32 min_chunk_order;	/* out: smallest allocation order used */
	__u32 max_chunk_order;	/* out: largest allocation order used */
	/* Since 1.2. */
	__u32 slot_size;	/* in: bytes per datagram slot, 0: no slots */
	__u32 slot_header;	/* in: header room at the start of each slot */
	__u64 reserved[3];
};

/* fpgacap_buffer.flags */
#define FPGACAP_BUF_ERROR	0x01U /* the source reported an error */
#define FPGACAP_BUF_LOST	0x02U /* lost_bytes > 0: data dropped before */
#define FPGACAP_BUF_SHORT	0x04U /* bytes_used < buffer_size */

struct fpgacap_buffer {
	__u32 index;		/* buffer i, at offset i * buffer_size */
	__u32 flags;		/* FPGACAP_BUF_* */
	__u64 bytes_used;	/* valid bytes from the buffer's start */
	__u64 sequence;		/* 0, 1, 2, ... per stream, no gaps */
	__u64 timestamp_ns;	/* CLOCK_MONOTONIC when the fill completed */
	__u64 offset;		/* stream position of the first byte */
	__u64 lost_bytes;	/* bytes dropped just before this buffer */
	__u64 reserved[2];
};

/*
 * DEQUEUE: fill buffers[0..count) with filled buffers, oldest first.
 * Waits until at least one is ready unless the file is O_NONBLOCK or
 * timeout_ns == 0 (EAGAIN); timeout_ns < 0 waits without limit. When a
 * signal interrupts a finite wait, timeout_ns is updated to the time left
 * before the call returns EINTR or is restarted (SA_RESTART), so a restart
 * keeps the original deadline, as select() does.
 */
struct fpgacap_dequeue {
	__u64 buffers;		/* in: user pointer to struct fpgacap_buffer[] */
	__u32 count;		/* in: room in buffers[]; out: entries filled */
	__u32 flags;		/* in: must be 0 */
	__s64 timeout_ns;	/* in: see above */
	__u64 reserved[2];
};

/*
 * RETURN: hand buffers back to the source. All or nothing: if any index is
 * out of range, not held by userspace or repeated, none is returned (EINVAL).
 */
struct fpgacap_return {
	__u64 indices;		/* in: user pointer to __u32[] */
	__u32 count;		/* in: number of indices */
	__u32 flags;		/* in: must be 0 */
	__u64 reserved[2];
};

/*
 * Counters since the last START, and where the buffers are now:
 *   free + active + done + user            == the pool's count
 *   buffers_filled + carried               == dequeued + done
 *   dequeued - returned                    == user (read() included)
 *   bytes_filled + bytes_dropped           == the stream offset reached
 * A drop is a run of data the source lost for want of a free buffer; only
 * a source with a rate (a real-time one) drops. Buffers userspace still
 * held from the previous stream at START are carried: they count as
 * dequeued in the new stream, not as filled.
 */
struct fpgacap_stats {
	__u64 buffers_filled;	/* completed by the source */
	__u64 bytes_filled;
	__u64 drops;		/* times data was dropped for want of a buffer */
	__u64 bytes_dropped;
	__u64 errors;		/* buffers completed with FPGACAP_BUF_ERROR */
	__u64 stalls;		/* watchdog expiries */
	__u64 dequeued;
	__u64 returned;
	__u32 state;		/* FPGACAP_STATE_* */
	__u32 last_error;	/* positive errno of the last failure, or 0 */
	__u32 free;		/* buffers waiting for the source */
	__u32 active;		/* buffers the source is filling */
	__u32 done;		/* filled, not yet dequeued */
	__u32 user;		/* dequeued, not yet returned */
	/* Since 1.2. */
	__u64 carried;		/* held by userspace from before START */
	__u64 reserved[3];
};

/*
 * EXPORT (since 1.2, FPGACAP_CAP_DMABUF): a dma-buf of buffer @index, which
 * userspace holds (dequeued, not returned), for another device or process
 * to import. flags: O_CLOEXEC, and O_RDONLY or O_RDWR (O_RDWR only for a
 * FPGACAP_CFG_WRITABLE pool, EACCES otherwise). An importer may access the
 * buffer (map it for its device, or DMA_BUF_IOCTL_SYNC start) only while
 * userspace holds it (EBUSY otherwise, ENODEV once the pool is no longer
 * the device's); a RETURN while an access is open lends the buffer: the
 * source gets it back when the last access ends. The dma-buf keeps the
 * pages (and the module) until its last reference goes.
 */
struct fpgacap_export {
	__u32 index;		/* in: a buffer userspace holds */
	__u32 flags;		/* in: O_CLOEXEC | O_RDONLY or O_RDWR */
	__s32 fd;		/* out: the dma-buf */
	__u32 reserved0;	/* in: must be 0 */
	__u64 reserved[2];
};

/*
 * The pattern source (FPGACAP_SOURCE_PATTERN, and the test windows of the
 * DMA sources): the stream is a sequence of little-endian 64-bit words, the
 * word at stream offset 8k holding k. Data lost in a drop keeps its place:
 * a buffer at stream offset O starts with word O / 8.
 */
#define FPGACAP_PATTERN_WORD(stream_offset) ((__u64)(stream_offset) / 8)

/*
 * A datagram of a datagram stream (libfpgacap's UDP streams, and records
 * the pattern source writes): this header, all fields little-endian, then
 * payload to the datagram's end. sequence counts datagrams from 0 with no
 * gaps on the sending side (a receiver sees loss, reordering, duplicates);
 * offset places the payload in the capture stream and jumps only after a
 * datagram flagged FPGACAP_DGRAM_LOST (capture loss). header_size says
 * where the payload starts (24, or a slot's whole header room).
 */
#define FPGACAP_DGRAM_MAGIC	0x47444346U	/* "FCDG" */
#define FPGACAP_DGRAM_VERSION	1

#define FPGACAP_DGRAM_FIRST	0x0001U	/* first datagram of a buffer */
#define FPGACAP_DGRAM_LOST	0x0002U	/* capture lost data just before */
#define FPGACAP_DGRAM_ERROR	0x0004U	/* the buffer came with an error */
#define FPGACAP_DGRAM_END	0x8000U	/* the stream's last: no payload */

struct fpgacap_dgram_header {
	__le32 magic;
	__u8 version;
	__u8 header_size;
	__le16 flags;
	__le64 sequence;
	__le64 offset;
};

#define FPGACAP_IOC_MAGIC 0xB8

#define FPGACAP_IOC_INFO	_IOR(FPGACAP_IOC_MAGIC, 0x00, struct fpgacap_info)
#define FPGACAP_IOC_CONFIGURE	_IOWR(FPGACAP_IOC_MAGIC, 0x01, struct fpgacap_config)
#define FPGACAP_IOC_START	_IO(FPGACAP_IOC_MAGIC, 0x02)
#define FPGACAP_IOC_STOP	_IO(FPGACAP_IOC_MAGIC, 0x03)
#define FPGACAP_IOC_DEQUEUE	_IOWR(FPGACAP_IOC_MAGIC, 0x04, struct fpgacap_dequeue)
#define FPGACAP_IOC_RETURN	_IOW(FPGACAP_IOC_MAGIC, 0x05, struct fpgacap_return)
#define FPGACAP_IOC_STATS	_IOR(FPGACAP_IOC_MAGIC, 0x06, struct fpgacap_stats)
#define FPGACAP_IOC_EXPORT	_IOWR(FPGACAP_IOC_MAGIC, 0x07, struct fpgacap_export)

#endif /* _UAPI_FPGACAP_H */
