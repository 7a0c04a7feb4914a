/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fpgacap-testdma: what the engine (testdma-engine.c) and its checking DMA
 * operations (testdma-bounce.c) share.
 */
#ifndef TESTDMA_H
#define TESTDMA_H

#include <linux/device.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/xarray.h>

/**
 * struct tdma_bounce - the device's view of memory, apart from the CPU's
 * @lock: serialises turning the operations on and off against mappings
 * @on: the device's DMA goes through the bounce operations
 * @shadows: each mapping's shadow, at every page frame number it covers
 * @mapped: mappings alive now (the operations may change only at 0)
 * @max_mapping: longest mapping accepted, 0 for no limit (swiotlb: 256 KiB)
 * @mappings: mappings made since load
 * @refused: mappings refused as too long
 * @to_cpu: copies to the CPU's pages (unmap, sync for the CPU)
 * @poisoned: CPU ranges poisoned when the device took them
 */
struct tdma_bounce {
	struct mutex lock;		/* on; see above */
	bool on;
	struct xarray shadows;
	atomic_t mapped;
	u32 max_mapping;
	atomic_t mappings;
	atomic_t refused;
	atomic_t to_cpu;
	atomic_t poisoned;
};

/* What a CPU page holds while its device owns it, under bounce. */
#define TDMA_POISON 0xa5

struct dentry;

/* testdma-engine.c: the bounce state of the engine's device */
struct tdma_bounce *tdma_bounce_of(struct device *dev);

/* testdma-bounce.c */
void tdma_bounce_init(struct tdma_bounce *b);
int tdma_bounce_set(struct device *dev, struct tdma_bounce *b, bool on);
void tdma_bounce_debugfs(struct tdma_bounce *b, struct dentry *dir,
			 struct device *dev);
void tdma_bounce_destroy(struct device *dev, struct tdma_bounce *b);

#endif /* TESTDMA_H */
