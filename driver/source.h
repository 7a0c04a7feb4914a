/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The contract between the core and a data source (the CPU pattern, a
 * dmaengine slave channel, dmaengine memcpy from a memory window). Adding
 * an engine means adding one file that fills in these operations.
 *
 * Buffer ownership, from a source's point of view:
 *  - fpgacap_queue_take() gives the source a buffer; it is synced for the
 *    source's DMA device (if any), which owns its memory from then on.
 *  - The source ends every buffer it took exactly once, with either
 *    fpgacap_queue_complete() (filled: synced for the CPU, handed to
 *    userspace) or fpgacap_queue_requeue() (not filled: back to the free
 *    list). It touches nothing of a buffer after that.
 *  - Queue functions are for process context only: a source whose engine
 *    calls back from an interrupt or tasklet defers to a thread or a work
 *    item before it talks to the queue.
 * Errors: a buffer completed with FPGACAP_BUF_ERROR fails the stream (EIO)
 * and ends it there: buffers completed after it go back to the free list
 * unseen. fpgacap_queue_fail() fails it without a buffer (-EIO for a
 * failed submission, -ENOMEM when the engine gives no descriptor and
 * nothing is in flight). A failed stream hands out no more buffers, and
 * fpgacap_queue_drop() counts nothing once it failed. The core's watchdog
 * fails a stream whose source holds buffers and completes none for
 * stall_timeout_ms plus the source's own fill time (-ETIMEDOUT), and ends
 * it there like a failed buffer.
 */
#ifndef FPGACAP_SOURCE_H
#define FPGACAP_SOURCE_H

#include <linux/types.h>

struct device;
struct fpgacap_dev;
struct fpgacap_inject;
struct fpgacap_queue;
struct fpgacap_source;

/**
 * struct fpgacap_source_ops - what the core asks of a source
 * @start: begin filling buffers taken from the queue. Called with the
 *	device lock held, the queue streaming and a pool attached; the
 *	configuration (@rate, the pool's layout) is set. May sleep. Return
 *	0 or a negative errno, in which case the source holds no buffer.
 *	A source writes where the layout says (fpgacap_queue_layout()): a
 *	DMA source its buffers' tables, a CPU source each slot's payload
 *	(and header, with records); it completes a buffer with the stream
 *	bytes it carries.
 * @stop: stop filling. Called with the device lock held, after the queue
 *	stopped handing out buffers. May sleep. When it returns, every buffer
 *	the source took has been completed or requeued, no DMA targets any
 *	buffer, and no callback of the engine for this stream can touch the
 *	queue, a buffer or the source's work any more (a late one may still
 *	run, and does nothing). Transfers already finished may be completed
 *	(they are filled data).
 * @kick: buffers came back to the free list; a source that ran dry may
 *	take them now. Called with the device lock held while streaming;
 *	must not sleep for long. May be NULL.
 * @destroy: the device is being unbound; release channels and memory.
 *	Called once, after the last @stop, without the device lock. Nothing
 *	of the source runs after it returns.
 */
struct fpgacap_source_ops {
	int (*start)(struct fpgacap_source *src);
	void (*stop)(struct fpgacap_source *src);
	void (*kick)(struct fpgacap_source *src);
	void (*destroy)(struct fpgacap_source *src);
};

/**
 * struct fpgacap_source - what every source has
 * @ops: its operations
 * @q: the queue it takes buffers from and completes them to
 * @inject: the device's test hooks (inject.h)
 * @type: FPGACAP_SOURCE_*
 * @caps: FPGACAP_CAP_* it adds to the device's (FPGACAP_CAP_RATE,
 *	FPGACAP_CAP_SLOTS, FPGACAP_CAP_RECORDS)
 * @record_header: with FPGACAP_CFG_RECORDS, the least header room per slot
 *	the source needs (it writes a header there itself), 0 if it writes
 *	whatever the fabric sends
 * @records_stream: with FPGACAP_CFG_RECORDS, its engine writes a buffer's
 *	records as one stream, never ending a transfer at a record (a memcpy
 *	window), so they may share the engine's table entries; a peripheral
 *	may end each record with TLAST and needs an entry per record
 * @name: e.g. "pattern" or the DMA channel's name
 * @dma_dev: the device that writes the pool, or NULL for a CPU source;
 *	the pool is DMA-mapped for it
 * @rate: bytes/s from CONFIGURE (only with FPGACAP_CAP_RATE), 0 = as
 *	fast as buffers come free; set only while stopped
 */
struct fpgacap_source {
	const struct fpgacap_source_ops *ops;
	struct fpgacap_queue *q;
	struct fpgacap_inject *inject;
	u32 type;
	u32 caps;
	u32 record_header;
	bool records_stream;
	char name[32];
	struct device *dma_dev;
	u64 rate;
};

struct fpgacap_source *fpgacap_pattern_create(struct fpgacap_dev *fdev);
struct fpgacap_source *fpgacap_dmaengine_create(struct fpgacap_dev *fdev,
						bool memcpy);

#endif /* FPGACAP_SOURCE_H */
