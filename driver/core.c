// SPDX-License-Identifier: GPL-2.0-only
/*
 * fpgacap: zero-copy capture of FPGA data into page-backed DMA buffers.
 *
 * The module: limits, the platform driver that binds device-tree nodes
 * (or platform devices with software-node properties), and the pattern
 * devices made from a module parameter where there is no device tree (x86
 * guests, bring-up).
 */
#include <linux/mod_devicetable.h>
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/property.h>

#include "compat.h"
#include "fpgacap.h"

struct fpgacap_limits fpgacap_limits = {
	.max_buffers = 4096,
	.max_buffer_size = SZ_64M,
	.max_pool_size = SZ_256M,
	.max_pinned = SZ_512M,
	.max_orphaned = SZ_256M,
	.max_bounced = SZ_16M,
	.max_alloc_order = FPGACAP_MAX_PAGE_ORDER,
};

module_param_named(max_buffers, fpgacap_limits.max_buffers, uint, 0644);
MODULE_PARM_DESC(max_buffers, "most buffers per pool (4096)");
module_param_named(max_buffer_size, fpgacap_limits.max_buffer_size, ullong,
		   0644);
MODULE_PARM_DESC(max_buffer_size, "most bytes per buffer (64 MiB)");
module_param_named(max_pool_size, fpgacap_limits.max_pool_size, ullong, 0644);
MODULE_PARM_DESC(max_pool_size, "most bytes per pool (256 MiB)");
module_param_named(max_pinned, fpgacap_limits.max_pinned, ullong, 0644);
MODULE_PARM_DESC(max_pinned,
		 "most bytes all pools of one device hold, configured or still mapped (512 MiB)");
module_param_named(max_orphaned, fpgacap_limits.max_orphaned, ullong, 0644);
MODULE_PARM_DESC(max_orphaned,
		 "of those, most bytes pools still mapped after their owner let go may hold (256 MiB)");
module_param_named(max_bounced, fpgacap_limits.max_bounced, ullong, 0644);
MODULE_PARM_DESC(max_bounced,
		 "most bytes per pool where the device's mappings bounce through swiotlb (16 MiB)");
module_param_named(max_alloc_order, fpgacap_limits.max_alloc_order, uint,
		   0644);
MODULE_PARM_DESC(max_alloc_order,
		 "largest page order tried for buffer chunks (the allocator's largest)");

static unsigned int pattern_devices;
module_param(pattern_devices, uint, 0444);
MODULE_PARM_DESC(pattern_devices,
		 "number of pattern-source devices to create without DT (0)");

#define FPGACAP_MAX_PATTERN_DEVICES 8
static struct platform_device *pattern_pdevs[FPGACAP_MAX_PATTERN_DEVICES];

enum fpgacap_kind {
	FPGACAP_KIND_PATTERN,
	FPGACAP_KIND_SLAVE,
	FPGACAP_KIND_MEMCPY,
};

static struct fpgacap_source *make_source(struct fpgacap_dev *fdev,
					  enum fpgacap_kind kind)
{
	switch (kind) {
	case FPGACAP_KIND_SLAVE:
		return fpgacap_dmaengine_create(fdev, false);
	case FPGACAP_KIND_MEMCPY:
		return fpgacap_dmaengine_create(fdev, true);
	default:
		return fpgacap_pattern_create(fdev);
	}
}

static int fpgacap_probe(struct platform_device *pdev)
{
	const struct platform_device_id *id = platform_get_device_id(pdev);
	struct device *dev = &pdev->dev;
	const char *label = NULL;
	struct fpgacap_source *src;
	struct fpgacap_dev *fdev;
	enum fpgacap_kind kind;
	u32 stall_ms;
	int ret;

	kind = id ? id->driver_data : (uintptr_t)device_get_match_data(dev);
	device_property_read_string(dev, "label", &label);

	fdev = fpgacap_device_alloc(dev);
	if (!fdev)
		return -ENOMEM;
	if (!device_property_read_u32(dev, "fpgacap,stall-timeout-ms",
				      &stall_ms) &&
	    fpgacap_queue_set_stall_timeout(&fdev->queue, stall_ms)) {
		ret = dev_err_probe(dev, -EINVAL,
				    "fpgacap,stall-timeout-ms above %u\n",
				    FPGACAP_STALL_TIMEOUT_MAX_MS);
		goto err_put;
	}
	src = make_source(fdev, kind);
	if (IS_ERR(src)) {
		ret = PTR_ERR(src);
		goto err_put;
	}
	fdev->src = src;
	ret = fpgacap_device_register(fdev, label);
	if (ret)
		goto err_destroy;
	fpgacap_debugfs_init(fdev);
	platform_set_drvdata(pdev, fdev);
	dev_info(dev, "%s: %s source\n", dev_name(&fdev->dev), src->name);
	return 0;

err_destroy:
	src->ops->destroy(src);
err_put:
	put_device(&fdev->dev);
	return ret;
}

static void fpgacap_remove(struct platform_device *pdev)
{
	struct fpgacap_dev *fdev = platform_get_drvdata(pdev);
	struct fpgacap_source *src = fdev->src;

	fpgacap_debugfs_exit(fdev);
	/* Stops the stream and lets go of the pool; files see ENODEV. */
	fpgacap_device_unregister(fdev);
	mutex_lock(&fdev->lock);
	fdev->src = NULL;
	mutex_unlock(&fdev->lock);
	src->ops->destroy(src);
	put_device(&fdev->dev);
}

FPGACAP_PLATFORM_REMOVE(fpgacap_remove)

static const struct of_device_id fpgacap_of_match[] = {
	{ .compatible = "fpgacap,dma-capture",
	  .data = (void *)FPGACAP_KIND_SLAVE },
	{ .compatible = "fpgacap,memcpy-capture",
	  .data = (void *)FPGACAP_KIND_MEMCPY },
	{ .compatible = "fpgacap,pattern",
	  .data = (void *)FPGACAP_KIND_PATTERN },
	{ }
};
MODULE_DEVICE_TABLE(of, fpgacap_of_match);

/* Without a device tree: configuration from software-node properties. */
static const struct platform_device_id fpgacap_id_table[] = {
	{ "fpgacap-pattern", FPGACAP_KIND_PATTERN },
	{ "fpgacap-slave", FPGACAP_KIND_SLAVE },
	{ }
};
MODULE_DEVICE_TABLE(platform, fpgacap_id_table);

static struct platform_driver fpgacap_driver = {
	.probe = fpgacap_probe,
	.remove = fpgacap_remove_platform,
	.id_table = fpgacap_id_table,
	.driver = {
		.name = "fpgacap",
		.of_match_table = fpgacap_of_match,
	},
};

static void pattern_devices_remove(void)
{
	int i;

	for (i = 0; i < FPGACAP_MAX_PATTERN_DEVICES; i++) {
		if (pattern_pdevs[i])
			platform_device_unregister(pattern_pdevs[i]);
		pattern_pdevs[i] = NULL;
	}
}

static int pattern_devices_add(void)
{
	unsigned int i;

	if (pattern_devices > FPGACAP_MAX_PATTERN_DEVICES) {
		pr_err("fpgacap: pattern_devices must be 0..%d\n",
		       FPGACAP_MAX_PATTERN_DEVICES);
		return -EINVAL;
	}
	for (i = 0; i < pattern_devices; i++) {
		struct platform_device *pdev;

		pdev = platform_device_register_simple("fpgacap-pattern", i,
						       NULL, 0);
		if (IS_ERR(pdev)) {
			pattern_devices_remove();
			return PTR_ERR(pdev);
		}
		pattern_pdevs[i] = pdev;
	}
	return 0;
}

static int __init fpgacap_init(void)
{
	int ret;

	ret = fpgacap_class_init();
	if (ret)
		return ret;
	fpgacap_debugfs_setup();
	ret = platform_driver_register(&fpgacap_driver);
	if (ret)
		goto err_class;
	ret = pattern_devices_add();
	if (ret)
		goto err_driver;
	return 0;
err_driver:
	platform_driver_unregister(&fpgacap_driver);
err_class:
	fpgacap_debugfs_cleanup();
	fpgacap_class_exit();
	return ret;
}

static void __exit fpgacap_exit(void)
{
	pattern_devices_remove();
	platform_driver_unregister(&fpgacap_driver);
	fpgacap_debugfs_cleanup();
	fpgacap_class_exit();
	/* Mappings hold the module, so every pool is gone by now. */
	WARN(atomic_long_read(&fpgacap_pool_pages),
	     "fpgacap: %ld pool pages leaked\n",
	     atomic_long_read(&fpgacap_pool_pages));
}

module_init(fpgacap_init);
module_exit(fpgacap_exit);

MODULE_DESCRIPTION("Zero-copy capture of FPGA data into page-backed buffers");
MODULE_LICENSE("GPL");
#ifdef FPGACAP_VERSION	/* from the VERSION file, through Kbuild */
MODULE_VERSION(FPGACAP_VERSION);
#endif
