// SPDX-License-Identifier: MIT
/* The capture device: open, configure and map, stream, dequeue, return. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"

struct fpgacap {
	int fd;
	struct fpgacap_config cfg;
	uint8_t *map;			/* the whole pool (writable if asked) */
};

/*
 * Only DEQUEUE waits; a signal ends its wait with -EINTR for the caller to
 * see. Any other call a signal interrupts is simply made again.
 */
static int xioctl(int fd, unsigned long cmd, void *arg)
{
	int ret;

	do
		ret = ioctl(fd, cmd, arg);
	while (ret < 0 && errno == EINTR && cmd != FPGACAP_IOC_DEQUEUE);
	return ret < 0 ? -errno : 0;
}

FPGACAP_API unsigned int fpgacap_version(void)
{
	return LIBFPGACAP_VERSION_MAJOR << 16 | LIBFPGACAP_VERSION_MINOR;
}

FPGACAP_API int fpgacap_open(const char *path, int flags, struct fpgacap **out)
{
	char found[4096];
	struct fpgacap *dev;
	int ret;

	if (flags & ~(O_NONBLOCK | O_RDWR))
		return -EINVAL;
	if (!path) {
		ret = fpgacap_find_device(found, sizeof(found));
		if (ret)
			return ret;
		path = found;
	}
	dev = calloc(1, sizeof(*dev));
	if (!dev)
		return -ENOMEM;
	dev->fd = open(path,
		       (flags & O_RDWR ? O_RDWR : O_RDONLY) | O_CLOEXEC |
		       (flags & O_NONBLOCK));
	if (dev->fd < 0) {
		int err = -errno;

		free(dev);
		return err;
	}
	*out = dev;
	return 0;
}

static void unmap(struct fpgacap *dev)
{
	if (dev->map)
		munmap(dev->map, dev->cfg.mmap_size);
	dev->map = NULL;
}

FPGACAP_API void fpgacap_close(struct fpgacap *dev)
{
	if (!dev)
		return;
	unmap(dev);
	close(dev->fd);
	free(dev);
}

FPGACAP_API int fpgacap_fd(const struct fpgacap *dev)
{
	return dev->fd;
}

FPGACAP_API int fpgacap_get_info(struct fpgacap *dev,
				 struct fpgacap_info *info)
{
	return xioctl(dev->fd, FPGACAP_IOC_INFO, info);
}

FPGACAP_API int fpgacap_configure_pool(struct fpgacap *dev,
				       const struct fpgacap_config *req)
{
	/* The caller's fields as they are: the kernel checks them all. */
	struct fpgacap_config cfg = *req;
	void *map;
	int ret;

	unmap(dev);
	memset(&dev->cfg, 0, sizeof(dev->cfg));
	ret = xioctl(dev->fd, FPGACAP_IOC_CONFIGURE, &cfg);
	if (ret || !cfg.count)
		return ret;
	/* Writable only when asked (FPGACAP_CFG_WRITABLE: io_uring fixed
	 * buffers, a slotted pool's header rooms): a write into a buffer the
	 * device owns corrupts captured data. */
	map = mmap(NULL, cfg.mmap_size, cfg.flags & FPGACAP_CFG_WRITABLE ?
		   PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED, dev->fd, 0);
	if (map == MAP_FAILED)
		return -errno;
	dev->map = map;
	dev->cfg = cfg;
	return 0;
}

FPGACAP_API int fpgacap_configure(struct fpgacap *dev, uint32_t count,
				  uint64_t size, uint32_t flags, uint64_t rate)
{
	struct fpgacap_config cfg = {
		.count = count,
		.flags = flags,
		.buffer_size = size,
		.rate = rate,
	};

	return fpgacap_configure_pool(dev, &cfg);
}

FPGACAP_API const struct fpgacap_config *
fpgacap_layout(const struct fpgacap *dev)
{
	return &dev->cfg;
}

FPGACAP_API const void *fpgacap_buffer_data(const struct fpgacap *dev,
					uint32_t index)
{
	if (!dev->map || index >= dev->cfg.count)
		return NULL;
	return dev->map + (uint64_t)index * dev->cfg.buffer_size;
}

FPGACAP_API void *fpgacap_buffer_data_writable(const struct fpgacap *dev,
					       uint32_t index)
{
	if (!(dev->cfg.flags & FPGACAP_CFG_WRITABLE))
		return NULL;
	return (void *)fpgacap_buffer_data(dev, index);
}

FPGACAP_API int fpgacap_start(struct fpgacap *dev)
{
	return xioctl(dev->fd, FPGACAP_IOC_START, NULL);
}

FPGACAP_API int fpgacap_stop(struct fpgacap *dev)
{
	return xioctl(dev->fd, FPGACAP_IOC_STOP, NULL);
}

FPGACAP_API int fpgacap_dequeue(struct fpgacap *dev,
				struct fpgacap_buffer *bufs, unsigned int max,
				int64_t timeout_ns)
{
	struct fpgacap_dequeue dq = {
		.buffers = (uintptr_t)bufs,
		.count = max,
		.timeout_ns = timeout_ns,
	};
	int ret = xioctl(dev->fd, FPGACAP_IOC_DEQUEUE, &dq);

	return ret ? ret : (int)dq.count;
}

FPGACAP_API int fpgacap_return(struct fpgacap *dev, const uint32_t *indices,
			       unsigned int n)
{
	struct fpgacap_return rt = {
		.indices = (uintptr_t)indices,
		.count = n,
	};

	return n ? xioctl(dev->fd, FPGACAP_IOC_RETURN, &rt) : 0;
}

FPGACAP_API int fpgacap_get_stats(struct fpgacap *dev,
				  struct fpgacap_stats *stats)
{
	return xioctl(dev->fd, FPGACAP_IOC_STATS, stats);
}
