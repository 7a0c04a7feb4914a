/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fpgacap internals: the pool of page-backed buffers, the queue that moves
 * them between the source and userspace, the sources, the device.
 *
 * Data flows source -> queue -> userspace; buffers flow
 * free -> active (source owns) -> done -> user -> free.
 */
#ifndef FPGACAP_H
#define FPGACAP_H

#include <linux/cdev.h>
#include <linux/device.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/scatterlist.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "../uapi/fpgacap.h"

/* Transitional: the coherent pool leaves the driver. */
#define FPGACAP_CFG_COHERENT 0x02U

struct fpgacap_dev;
struct fpgacap_source;

/* Module-wide limits (module parameters, see core.c). */
struct fpgacap_limits {
	unsigned int max_buffers;
	u64 max_buffer_size;
	u64 max_pool_size;
	unsigned int max_alloc_order;	/* cap on alloc_pages order */
	unsigned int alloc_fail_order;	/* test: orders >= this fail; 0 off */
};

extern struct fpgacap_limits fpgacap_limits;
extern atomic_long_t fpgacap_pool_pages;

/* ---- pool.c: buffers backed by individually refcounted pages ---- */

struct fpgacap_pool {
	struct kref ref;
	u32 count;
	u32 flags;			/* FPGACAP_CFG_* */
	size_t buffer_size;
	unsigned int buffer_pages;
	unsigned long npages;		/* count * buffer_pages */
	struct page **pages;		/* buffer i: pages[i * buffer_pages ...] */
	struct sg_table *sgts;		/* one per buffer, runs merged */
	struct device *dma_dev;		/* mapped against this, NULL if none */
	bool mapped;
	u32 chunks;
	u32 min_order;
	u32 max_order;
	u32 max_segments;
	/*
	 * FPGACAP_CFG_COHERENT, the classic driver's pool kept as a baseline:
	 * dma_alloc_coherent per buffer, dma_mmap_coherent (VM_PFNMAP, no
	 * struct page). Freed when the device lets go, so user mappings are
	 * zapped first (later access: SIGBUS).
	 */
	bool coherent;
	struct device *coherent_dev;	/* allocated against, held */
	void **cpu;			/* per buffer */
	dma_addr_t *dma;		/* per buffer */
	struct address_space *mapped_by; /* file mapping to zap, held */
	struct mutex zap_lock;		/* mapped_by, coherent freeing */
};

struct fpgacap_pool *fpgacap_pool_create(u32 count, size_t buffer_size,
					 u32 flags, struct device *dma_dev,
					 struct device *coherent_dev);
int fpgacap_pool_mmap_coherent(struct fpgacap_pool *pool,
			       struct vm_area_struct *vma);
void fpgacap_pool_dma_unmap(struct fpgacap_pool *pool);
void fpgacap_pool_get(struct fpgacap_pool *pool);
void fpgacap_pool_put(struct fpgacap_pool *pool);
int fpgacap_pool_check_size(u32 count, u64 buffer_size, u64 *total);

/* ---- queue.c: buffer ownership, accounting, waiting ---- */

enum fpgacap_buf_state {
	FPGACAP_BUF_FREE,		/* driver holds it, source may take it */
	FPGACAP_BUF_ACTIVE,		/* the source is filling it */
	FPGACAP_BUF_DONE,		/* filled, waiting for DEQUEUE */
	FPGACAP_BUF_USER,		/* userspace holds it */
};

struct fpgacap_buf {
	struct list_head list;		/* on free or done list */
	u32 index;
	enum fpgacap_buf_state state;
	struct sg_table *sgt;		/* the pool's table for this buffer */
	struct page **pages;		/* the pool's pages for this buffer */
	void *vaddr;			/* coherent pools: the CPU address */
	struct fpgacap_buffer info;	/* what DEQUEUE reports */
};

struct fpgacap_queue {
	spinlock_t lock;		/* lists, states, counters */
	struct fpgacap_pool *pool;	/* NULL when unconfigured */
	struct fpgacap_buf *bufs;
	u32 count;
	struct list_head free;
	struct list_head done;
	u32 nfree, nactive, ndone, nuser;
	bool streaming;
	int error;			/* negative errno: source failed */
	u64 sequence;
	u64 offset;			/* stream position of the next byte */
	u64 pending_lost;		/* dropped since the last completion */
	bool pending_gap;		/* a drop, perhaps of unknown size */
	struct fpgacap_stats stats;
	/* Owner-only scratch for DEQUEUE/RETURN batches, one per buffer. */
	struct fpgacap_buffer *scratch_info;
	u32 *scratch_idx;
	wait_queue_head_t done_wq;	/* DEQUEUE, poll, read() */
	wait_queue_head_t free_wq;	/* CPU sources waiting for a buffer */
	/* Watchdog: a source that stops completing becomes an error. */
	struct delayed_work watchdog;
	unsigned long last_progress;	/* jiffies */
	unsigned int watchdog_ms;
	/* Test hooks (debugfs): make the next completion fail or hang. */
	atomic_t inject_error;
	atomic_t inject_stall;
	atomic_t inject_short;
};

void fpgacap_queue_init(struct fpgacap_queue *q);
int fpgacap_queue_setup(struct fpgacap_queue *q, struct fpgacap_pool *pool);
struct fpgacap_pool *fpgacap_queue_teardown(struct fpgacap_queue *q);
void fpgacap_queue_stream_on(struct fpgacap_queue *q);
void fpgacap_queue_stream_off(struct fpgacap_queue *q);
void fpgacap_queue_reclaim_user(struct fpgacap_queue *q);

/* For sources. */
struct fpgacap_buf *fpgacap_queue_take_free(struct fpgacap_queue *q);
bool fpgacap_queue_has_free(struct fpgacap_queue *q);
void fpgacap_queue_complete(struct fpgacap_queue *q, struct fpgacap_buf *buf,
			    size_t bytes_used, u32 flags);
void fpgacap_queue_requeue(struct fpgacap_queue *q, struct fpgacap_buf *buf);
void fpgacap_queue_drop(struct fpgacap_queue *q, u64 bytes);
void fpgacap_queue_fail(struct fpgacap_queue *q, int err);
bool fpgacap_queue_should_stall(struct fpgacap_queue *q);

/* For the file interface. */
int fpgacap_queue_peek_done(struct fpgacap_queue *q, struct fpgacap_buffer *out,
			    u32 max);
void fpgacap_queue_consume_done(struct fpgacap_queue *q, u32 n);
int fpgacap_queue_return(struct fpgacap_queue *q, const u32 *idx, u32 n);
bool fpgacap_queue_ready(struct fpgacap_queue *q);
void fpgacap_queue_get_stats(struct fpgacap_queue *q, struct fpgacap_stats *st);

/* ---- sources ---- */

struct fpgacap_source_ops {
	/* Begin filling buffers taken with fpgacap_queue_take_free(). */
	int (*start)(struct fpgacap_source *src);
	/* Stop; on return no buffer is touched and none is active. */
	void (*stop)(struct fpgacap_source *src);
	/* Buffers were returned: take them if the source is hungry. */
	void (*kick)(struct fpgacap_source *src);
	/* Unbind: release channels and memory. */
	void (*destroy)(struct fpgacap_source *src);
};

struct fpgacap_source {
	const struct fpgacap_source_ops *ops;
	struct fpgacap_dev *fdev;
	struct fpgacap_queue *q;
	u32 type;			/* FPGACAP_SOURCE_* */
	char name[32];
	struct device *dma_dev;		/* device that writes the pool, or NULL */
	u64 rate;			/* bytes/s from CONFIGURE, 0 = max */
};

struct fpgacap_source *fpgacap_pattern_create(struct fpgacap_dev *fdev);
struct fpgacap_source *fpgacap_dmaengine_create(struct fpgacap_dev *fdev,
						bool memcpy);

/* ---- the device ---- */

struct fpgacap_dev {
	struct device dev;		/* lifetime: last of unbind and files */
	struct cdev cdev;
	struct device *parent;		/* the platform device, while bound */
	struct mutex lock;		/* configuration, ownership, gone */
	bool gone;			/* unbound: every call fails ENODEV */
	struct file *owner;		/* file that owns the stream, or NULL */
	struct fpgacap_queue q;
	struct fpgacap_source *src;
	/* read(): the buffer being copied out and how far. */
	struct fpgacap_buf *read_buf;
	size_t read_pos;
	struct dentry *debugfs;
};

int fpgacap_cdev_register(struct fpgacap_dev *fdev, const char *label);
void fpgacap_cdev_unregister(struct fpgacap_dev *fdev);
int fpgacap_class_init(void);
void fpgacap_class_exit(void);
int fpgacap_mmap(struct file *file, struct vm_area_struct *vma);
int fpgacap_configure(struct fpgacap_dev *fdev, struct fpgacap_config *cfg);
int fpgacap_start(struct fpgacap_dev *fdev);
void fpgacap_stop(struct fpgacap_dev *fdev);
extern const struct attribute_group *fpgacap_groups[];
void fpgacap_debugfs_init(struct fpgacap_dev *fdev);
void fpgacap_debugfs_exit(struct fpgacap_dev *fdev);
void fpgacap_debugfs_cleanup(void);

#endif /* FPGACAP_H */
