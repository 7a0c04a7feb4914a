// SPDX-License-Identifier: GPL-2.0
/*
 * Test hooks under /sys/kernel/debug/fpgacap/<dev>/: make the source fail,
 * hang or end a transfer early, the failures that emulated hardware cannot
 * produce on its own. Each counter is consumed one buffer at a time.
 */
#include <linux/debugfs.h>

#include "fpgacap.h"

static struct dentry *fpgacap_debugfs_root;

/* Pages held by every pool: leak checks compare it before and after. */
static int pool_pages_get(void *data, u64 *val)
{
	*val = atomic_long_read(&fpgacap_pool_pages);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(pool_pages_fops, pool_pages_get, NULL, "%llu\n");

void fpgacap_debugfs_init(struct fpgacap_dev *fdev)
{
	struct fpgacap_queue *q = &fdev->q;
	struct dentry *d;

	if (!fpgacap_debugfs_root) {
		fpgacap_debugfs_root = debugfs_create_dir("fpgacap", NULL);
		debugfs_create_file("pool_pages", 0400, fpgacap_debugfs_root,
				    NULL, &pool_pages_fops);
	}
	d = debugfs_create_dir(dev_name(&fdev->dev), fpgacap_debugfs_root);
	debugfs_create_atomic_t("inject_error", 0600, d, &q->inject_error);
	debugfs_create_atomic_t("inject_stall", 0600, d, &q->inject_stall);
	debugfs_create_atomic_t("inject_short", 0600, d, &q->inject_short);
	debugfs_create_u32("watchdog_ms", 0600, d, &q->watchdog_ms);
	fdev->debugfs = d;
}

void fpgacap_debugfs_exit(struct fpgacap_dev *fdev)
{
	debugfs_remove_recursive(fdev->debugfs);
	fdev->debugfs = NULL;
}

void fpgacap_debugfs_cleanup(void)
{
	debugfs_remove_recursive(fpgacap_debugfs_root);
	fpgacap_debugfs_root = NULL;
}
