// SPDX-License-Identifier: GPL-2.0-only
/*
 * The character device and its lifetime. The fpgacap_dev embeds its
 * struct device: unbind, every open file and every pool (through its
 * budget) hold references, and the last one frees it.
 */
#include <linux/fs.h>
#include <linux/idr.h>
#include <linux/module.h>
#include <linux/slab.h>

#include "compat.h"
#include "fpgacap.h"

#define FPGACAP_MAX_MINORS 64

static struct class *fpgacap_class;
static dev_t fpgacap_devt;
static DEFINE_IDA(fpgacap_minors);
/*
 * fpgacap<N> for devices without a label, numbered apart from the minors:
 * labelled devices probing first or again do not rename them.
 */
static DEFINE_IDA(fpgacap_numbers);

static void fpgacap_dev_release(struct device *dev)
{
	struct fpgacap_dev *fdev = container_of(dev, struct fpgacap_dev, dev);

	if (dev->devt)
		ida_free(&fpgacap_minors, MINOR(dev->devt));
	if (fdev->number >= 0)
		ida_free(&fpgacap_numbers, fdev->number);
	mutex_destroy(&fdev->lock);
	kfree(fdev);
}

/**
 * fpgacap_device_alloc() - a new device, not yet visible
 * @parent: the platform device it is bound to
 *
 * From here on put_device(&fdev->dev) frees it.
 *
 * Return: the device or NULL.
 */
struct fpgacap_dev *fpgacap_device_alloc(struct device *parent)
{
	struct fpgacap_dev *fdev;

	fdev = kzalloc_obj(*fdev, GFP_KERNEL);
	if (!fdev)
		return NULL;
	device_initialize(&fdev->dev);
	fdev->dev.class = fpgacap_class;
	fdev->dev.parent = parent;
	fdev->dev.release = fpgacap_dev_release;
	fdev->dev.groups = fpgacap_groups;
	fdev->parent = parent;
	fdev->number = -1;
	mutex_init(&fdev->lock);
	fpgacap_queue_init(&fdev->queue, &fdev->inject);
	fdev->budget.dev = &fdev->dev;
	return fdev;
}

/**
 * fpgacap_device_register() - make /dev/fpgacap<N> (or fpgacap-<label>)
 * @fdev: from fpgacap_device_alloc(), with its source
 * @label: name suffix from the device tree, or NULL
 *
 * On failure the caller still owns its reference (put_device).
 *
 * Return: 0 or a negative errno.
 */
int fpgacap_device_register(struct fpgacap_dev *fdev, const char *label)
{
	int minor, ret;

	minor = ida_alloc_max(&fpgacap_minors, FPGACAP_MAX_MINORS - 1,
			      GFP_KERNEL);
	if (minor < 0)
		return minor;
	/* From here the release frees the minor (and the number). */
	fdev->dev.devt = MKDEV(MAJOR(fpgacap_devt), minor);
	if (label) {
		ret = dev_set_name(&fdev->dev, "fpgacap-%s", label);
	} else {
		fdev->number = ida_alloc_max(&fpgacap_numbers,
					     FPGACAP_MAX_MINORS - 1,
					     GFP_KERNEL);
		if (fdev->number < 0)
			return fdev->number;
		ret = dev_set_name(&fdev->dev, "fpgacap%d", fdev->number);
	}
	if (ret)
		return ret;

	cdev_init(&fdev->cdev, &fpgacap_fops);
	fdev->cdev.owner = THIS_MODULE;
	return cdev_device_add(&fdev->cdev, &fdev->dev);
}

/**
 * fpgacap_device_unregister() - unbind: no new opens, the stream ends
 * @fdev: a registered device
 *
 * Open files stay, failing every call but close with ENODEV; mappings stay
 * readable; the caller then destroys the source and drops its reference.
 */
void fpgacap_device_unregister(struct fpgacap_dev *fdev)
{
	cdev_device_del(&fdev->cdev, &fdev->dev);

	mutex_lock(&fdev->lock);
	WRITE_ONCE(fdev->gone, true);
	fpgacap_release_stream(fdev);
	fdev->owner = NULL;
	mutex_unlock(&fdev->lock);
	/* Waiters in DEQUEUE, read() and poll see ENODEV. */
	fpgacap_queue_stream_off(&fdev->queue);
}

int fpgacap_class_init(void)
{
	int ret;

	ret = alloc_chrdev_region(&fpgacap_devt, 0, FPGACAP_MAX_MINORS,
				  "fpgacap");
	if (ret)
		return ret;
	fpgacap_class = fpgacap_class_create("fpgacap");
	if (IS_ERR(fpgacap_class)) {
		unregister_chrdev_region(fpgacap_devt, FPGACAP_MAX_MINORS);
		return PTR_ERR(fpgacap_class);
	}
	return 0;
}

void fpgacap_class_exit(void)
{
	class_destroy(fpgacap_class);
	unregister_chrdev_region(fpgacap_devt, FPGACAP_MAX_MINORS);
	ida_destroy(&fpgacap_minors);
	ida_destroy(&fpgacap_numbers);
}
