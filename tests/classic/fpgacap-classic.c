// SPDX-License-Identifier: GPL-2.0-only
/*
 * fpgacap-classic: the classic capture driver, as boards run it today, kept
 * to measure fpgacap against and to reproduce the failure fpgacap exists
 * to fix. Never installed or shipped.
 *
 * It does what the seed's driver and its peers do: buffers from
 * dma_alloc_coherent() (uncached on a non-coherent CPU such as the Zynq's
 * Cortex-A9), mapped one per mmap() with dma_mmap_coherent(), which gives a
 * VM_PFNMAP mapping without struct page: send(MSG_ZEROCOPY), vmsplice and
 * io_uring fail on it with EFAULT, and write() copies from uncached memory.
 *
 * /dev/fpgacap-classic:
 *   mmap(len = buffer_size, offset = i * buffer_size): buffer i
 *   FPGACAP_CLASSIC_INFO: count and buffer size
 *   FPGACAP_CLASSIC_FILL: fill buffer i with the test pattern from a stream
 *     offset, as the DMA a classic driver waits on would
 *
 * The buffers live from load to unload: the module cannot unload while a
 * file or mapping is open, and the device cannot be unbound, so a mapping
 * never outlives its memory (no zapping, no race with a concurrent mmap).
 */
#include <linux/dma-mapping.h>
#include <linux/highmem.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/uaccess.h>

#include "../../driver/compat.h"
#include "../../uapi/fpgacap.h"
#include "fpgacap-classic.h"

static unsigned int buffers = 8;
module_param(buffers, uint, 0444);
MODULE_PARM_DESC(buffers, "coherent buffers (1..64)");
static unsigned int buffer_kb = 64;
module_param(buffer_kb, uint, 0444);
MODULE_PARM_DESC(buffer_kb, "KiB per buffer (4..4096, a page multiple)");

struct classic {
	struct device *dev;
	struct miscdevice misc;
	size_t size;
	unsigned int count;
	void **cpu;
	dma_addr_t *dma;
};

static struct classic classic;
static struct platform_device *classic_pdev;

static int classic_mmap(struct file *file, struct vm_area_struct *vma)
{
	unsigned long off = vma->vm_pgoff << PAGE_SHIFT;
	unsigned long pgoff = vma->vm_pgoff;
	unsigned int i;
	int ret;

	if (vma->vm_end - vma->vm_start != classic.size || off % classic.size)
		return -EINVAL;
	i = off / classic.size;
	if (i >= classic.count)
		return -EINVAL;
	/* The offset selects the buffer; dma_mmap_coherent wants its own. */
	vma->vm_pgoff = 0;
	ret = dma_mmap_coherent(classic.dev, vma, classic.cpu[i],
				classic.dma[i], classic.size);
	vma->vm_pgoff = pgoff;
	return ret;
}

/* The CPU writes the pattern, standing in for the device's DMA. */
static void classic_fill(unsigned int i, u64 offset)
{
	__le64 *w = classic.cpu[i];
	size_t k;

	for (k = 0; k < classic.size / sizeof(*w); k++)
		w[k] = cpu_to_le64(FPGACAP_PATTERN_WORD(offset + 8 * k));
}

static long classic_ioctl(struct file *file, unsigned int cmd,
			  unsigned long arg)
{
	void __user *uarg = (void __user *)arg;
	struct fpgacap_classic_info info;
	struct fpgacap_classic_fill fill;

	switch (cmd) {
	case FPGACAP_CLASSIC_INFO:
		memset(&info, 0, sizeof(info));
		info.count = classic.count;
		info.buffer_size = classic.size;
		return copy_to_user(uarg, &info, sizeof(info)) ? -EFAULT : 0;
	case FPGACAP_CLASSIC_FILL:
		if (copy_from_user(&fill, uarg, sizeof(fill)))
			return -EFAULT;
		if (fill.index >= classic.count || fill.reserved ||
		    fill.offset % 8)
			return -EINVAL;
		classic_fill(fill.index, fill.offset);
		return 0;
	default:
		return -ENOTTY;
	}
}

static const struct file_operations classic_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = classic_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.mmap = classic_mmap,
};

static void classic_free(void)
{
	unsigned int i;

	for (i = 0; classic.cpu && i < classic.count; i++)
		if (classic.cpu[i])
			dma_free_coherent(classic.dev, classic.size,
					  classic.cpu[i], classic.dma[i]);
	kfree(classic.cpu);
	kfree(classic.dma);
	classic.cpu = NULL;
	classic.dma = NULL;
}

static int classic_probe(struct platform_device *pdev)
{
	unsigned int i;
	int ret;

	classic.dev = &pdev->dev;
	classic.count = buffers;
	classic.size = (size_t)buffer_kb * SZ_1K;
	if (!buffers || buffers > 64 || buffer_kb < 4 || buffer_kb > 4096 ||
	    !PAGE_ALIGNED(classic.size))
		return -EINVAL;
	ret = dma_coerce_mask_and_coherent(classic.dev, DMA_BIT_MASK(32));
	if (ret)
		return ret;
	classic.cpu = kcalloc(classic.count, sizeof(*classic.cpu), GFP_KERNEL);
	classic.dma = kcalloc(classic.count, sizeof(*classic.dma), GFP_KERNEL);
	if (!classic.cpu || !classic.dma)
		goto nomem;
	for (i = 0; i < classic.count; i++) {
		/* Zeroed by the DMA API. */
		classic.cpu[i] = dma_alloc_coherent(classic.dev, classic.size,
						    &classic.dma[i],
						    GFP_KERNEL);
		if (!classic.cpu[i])
			goto nomem;
	}
	classic.misc.minor = MISC_DYNAMIC_MINOR;
	classic.misc.name = "fpgacap-classic";
	classic.misc.fops = &classic_fops;
	ret = misc_register(&classic.misc);
	if (ret)
		goto err;
	return 0;
nomem:
	ret = -ENOMEM;
err:
	classic_free();
	return ret;
}

static void classic_remove(struct platform_device *pdev)
{
	misc_deregister(&classic.misc);
	classic_free();
}

FPGACAP_PLATFORM_REMOVE(classic_remove)

static struct platform_driver classic_driver = {
	.probe = classic_probe,
	.remove = classic_remove_platform,
	.driver = {
		.name = "fpgacap-classic",
		/* The memory lives as long as the module: no unbind. */
		.suppress_bind_attrs = true,
	},
};

static int __init classic_init(void)
{
	int ret;

	ret = platform_driver_register(&classic_driver);
	if (ret)
		return ret;
	classic_pdev = platform_device_register_simple("fpgacap-classic", -1,
						       NULL, 0);
	if (IS_ERR(classic_pdev)) {
		platform_driver_unregister(&classic_driver);
		return PTR_ERR(classic_pdev);
	}
	/* Probe failed: say so at load rather than leave no node. */
	if (!classic.cpu) {
		platform_device_unregister(classic_pdev);
		platform_driver_unregister(&classic_driver);
		return -ENODEV;
	}
	return 0;
}

static void __exit classic_exit(void)
{
	platform_device_unregister(classic_pdev);
	platform_driver_unregister(&classic_driver);
}

module_init(classic_init);
module_exit(classic_exit);

MODULE_DESCRIPTION("The classic coherent capture driver, for comparison only");
MODULE_LICENSE("GPL");
