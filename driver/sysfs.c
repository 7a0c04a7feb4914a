// SPDX-License-Identifier: GPL-2.0-only
/*
 * State, counters and the stall timeout under /sys/class/fpgacap/<dev>/,
 * for monitoring without opening the device. Counters cover the current
 * or last stream, as FPGACAP_IOC_STATS does.
 */
#include <linux/device.h>
#include <linux/kstrtox.h>
#include <linux/sysfs.h>

#include "fpgacap.h"

static const char * const state_names[] = {
	[FPGACAP_STATE_UNCONFIGURED] = "unconfigured",
	[FPGACAP_STATE_STOPPED] = "stopped",
	[FPGACAP_STATE_STREAMING] = "streaming",
	[FPGACAP_STATE_ERROR] = "error",
};

static struct fpgacap_dev *to_fdev(struct device *dev)
{
	return container_of(dev, struct fpgacap_dev, dev);
}

static ssize_t state_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	struct fpgacap_stats st;

	fpgacap_queue_get_stats(&to_fdev(dev)->queue, &st);
	return sysfs_emit(buf, "%s\n", state_names[st.state]);
}
static DEVICE_ATTR_RO(state);

static ssize_t source_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	struct fpgacap_dev *fdev = to_fdev(dev);
	ssize_t ret = -ENODEV;

	mutex_lock(&fdev->lock);
	if (!fdev->gone)
		ret = sysfs_emit(buf, "%s\n", fdev->src->name);
	mutex_unlock(&fdev->lock);
	return ret;
}
static DEVICE_ATTR_RO(source);

static ssize_t buffers_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	struct fpgacap_queue *q = &to_fdev(dev)->queue;
	struct fpgacap_dev *fdev = to_fdev(dev);
	u64 size;
	u32 count;

	/* Count and size of one configuration: the device lock keeps it. */
	mutex_lock(&fdev->lock);
	count = fpgacap_queue_count(q);
	size = fpgacap_queue_buffer_size(q);
	mutex_unlock(&fdev->lock);
	return sysfs_emit(buf, "%u %llu\n", count, size);
}
static DEVICE_ATTR_RO(buffers);

static ssize_t pinned_bytes_show(struct device *dev,
				 struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lld\n",
			  (long long)atomic64_read(&to_fdev(dev)->budget.held));
}
static DEVICE_ATTR_RO(pinned_bytes);

static ssize_t stall_timeout_ms_show(struct device *dev,
				     struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n",
			  fpgacap_queue_stall_timeout(&to_fdev(dev)->queue));
}

static ssize_t stall_timeout_ms_store(struct device *dev,
				      struct device_attribute *attr,
				      const char *buf, size_t count)
{
	unsigned int ms;
	int ret;

	ret = kstrtouint(buf, 0, &ms);
	if (!ret)
		ret = fpgacap_queue_set_stall_timeout(&to_fdev(dev)->queue, ms);
	return ret ? ret : count;
}
static DEVICE_ATTR_RW(stall_timeout_ms);

/* Counters: one show routine, the field's offset in the attribute. */
struct stat_attribute {
	struct device_attribute attr;
	size_t offset;			/* of a __u64 in struct fpgacap_stats */
};

static ssize_t stat_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	struct stat_attribute *sa = container_of(attr, struct stat_attribute,
						 attr);
	struct fpgacap_stats st;
	u64 value;

	fpgacap_queue_get_stats(&to_fdev(dev)->queue, &st);
	memcpy(&value, (const char *)&st + sa->offset, sizeof(value));
	return sysfs_emit(buf, "%llu\n", value);
}

#define STAT_ATTR(_name)						\
	struct stat_attribute stat_attr_##_name = {			\
		.attr.attr = { .name = #_name, .mode = 0444 },		\
		.attr.show = stat_show,					\
		.offset = offsetof(struct fpgacap_stats, _name),	\
	}

static STAT_ATTR(buffers_filled);
static STAT_ATTR(bytes_filled);
static STAT_ATTR(drops);
static STAT_ATTR(bytes_dropped);
static STAT_ATTR(errors);
static STAT_ATTR(stalls);
static STAT_ATTR(dequeued);
static STAT_ATTR(returned);

static ssize_t last_error_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	struct fpgacap_stats st;

	fpgacap_queue_get_stats(&to_fdev(dev)->queue, &st);
	return sysfs_emit(buf, "%u\n", st.last_error);
}
static DEVICE_ATTR_RO(last_error);

static struct attribute *fpgacap_attrs[] = {
	&dev_attr_state.attr,
	&dev_attr_source.attr,
	&dev_attr_buffers.attr,
	&dev_attr_pinned_bytes.attr,
	&dev_attr_stall_timeout_ms.attr,
	&stat_attr_buffers_filled.attr.attr,
	&stat_attr_bytes_filled.attr.attr,
	&stat_attr_drops.attr.attr,
	&stat_attr_bytes_dropped.attr.attr,
	&stat_attr_errors.attr.attr,
	&stat_attr_stalls.attr.attr,
	&stat_attr_dequeued.attr.attr,
	&stat_attr_returned.attr.attr,
	&dev_attr_last_error.attr,
	NULL,
};

static const struct attribute_group fpgacap_group = {
	.attrs = fpgacap_attrs,
};

const struct attribute_group *fpgacap_groups[] = {
	&fpgacap_group,
	NULL,
};
