// SPDX-License-Identifier: GPL-2.0-only
/*
 * debugfs: the test hooks (inject.h) and a leak check, under
 * /sys/kernel/debug/fpgacap/:
 *   test_hooks         0/1: the one switch every hook sits behind
 *   alloc_fail_order   pool allocations of this order and above fail, as
 *                      on a fragmented system (0 = off)
 *   pool_pages         pages all pools hold (leak checks)
 *   <dev>/inject_error, inject_stall, inject_short, inject_skip_sync:
 *                      events for the next buffers the device's source
 *                      completes
 */
#include <linux/debugfs.h>

#include "fpgacap.h"

DEFINE_STATIC_KEY_FALSE(fpgacap_test_hooks);

static struct dentry *fpgacap_debugfs_root;
static unsigned int alloc_fail_order;

/**
 * fpgacap_inject_alloc_fails() - should a pool allocation of @order fail?
 * @order: the page order about to be tried
 *
 * Return: true when the test hooks are on and @order is at or above
 * alloc_fail_order (order 0 never fails here).
 */
bool fpgacap_inject_alloc_fails(unsigned int order)
{
	unsigned int fail;

	if (!static_branch_unlikely(&fpgacap_test_hooks))
		return false;
	fail = READ_ONCE(alloc_fail_order);
	return order && fail && order >= fail;
}

static int pool_pages_get(void *data, u64 *val)
{
	*val = atomic_long_read(&fpgacap_pool_pages);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(pool_pages_fops, pool_pages_get, NULL, "%llu\n");

static int test_hooks_get(void *data, u64 *val)
{
	*val = static_key_enabled(&fpgacap_test_hooks);
	return 0;
}

static int test_hooks_set(void *data, u64 val)
{
	if (val > 1)
		return -EINVAL;
	if (val)
		static_branch_enable(&fpgacap_test_hooks);
	else
		static_branch_disable(&fpgacap_test_hooks);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(test_hooks_fops, test_hooks_get, test_hooks_set,
			 "%llu\n");

void fpgacap_debugfs_setup(void)
{
	fpgacap_debugfs_root = debugfs_create_dir("fpgacap", NULL);
	debugfs_create_file_unsafe("pool_pages", 0400, fpgacap_debugfs_root,
				   NULL, &pool_pages_fops);
	debugfs_create_file_unsafe("test_hooks", 0600, fpgacap_debugfs_root,
				   NULL, &test_hooks_fops);
	debugfs_create_u32("alloc_fail_order", 0600, fpgacap_debugfs_root,
			   &alloc_fail_order);
}

void fpgacap_debugfs_init(struct fpgacap_dev *fdev)
{
	struct fpgacap_inject *inj = &fdev->inject;
	struct dentry *d;

	d = debugfs_create_dir(dev_name(&fdev->dev), fpgacap_debugfs_root);
	debugfs_create_atomic_t("inject_error", 0600, d, &inj->error);
	debugfs_create_atomic_t("inject_stall", 0600, d, &inj->stall);
	debugfs_create_atomic_t("inject_short", 0600, d, &inj->short_fill);
	debugfs_create_atomic_t("inject_skip_sync", 0600, d, &inj->skip_sync);
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
	static_branch_disable(&fpgacap_test_hooks);
}
