// SPDX-License-Identifier: GPL-2.0
/*
 * fpgacap-importer: a dma-buf importer for tests, never installed or
 * shipped. It stands for the other device a capture buffer is handed to (a
 * video codec, a GPU, a USB gadget): its own platform device
 * "fpgacap-importer" attaches to a dma-buf, maps it through the DMA API the
 * way such a driver does, and checks the data against fpgacap's pattern
 * through the table's DMA addresses: what this device reads, found as a
 * device that maps directly finds memory (no IOMMU; swiotlb bounce buffers
 * included): DMA address -> physical -> page, as fpgacap-testdma writes;
 * and writes the pattern the same way, as its device would into a mapping
 * it may write.
 * Never through the table's pages: an importer owns only the DMA side of
 * the table (sg_dma_address, sg_dma_len); the page links are the
 * exporter's, and with CONFIG_DMABUF_DEBUG (default y with DMA_API_DEBUG)
 * the dma-buf core scrambles them between map and unmap
 * (mangle_sg_table()), so sg_page() gives a pointer that faults.
 * It also checks what the exporter owes every importer: a table covering
 * the dma-buf, no segment longer than the device's max_seg_size (its DMA
 * parameters, which the dma-buf documentation asks exporters to honour and
 * DMA-API debug enforces).
 *
 * An importer holds up to IMP_SLOTS attachments; the tests drive them
 * through /sys/kernel/debug/fpgacap-importer/:
 *   ctl           one command per write; the write fails with the errno of
 *                 what failed (the dma-buf core's or the exporter's):
 *     attach S FD        take the dma-buf behind the writer's FD, attach
 *     map S DIR          map it for the device; DIR is to_device,
 *                        from_device or bidirectional
 *     check S OFF LEN [W]  compare its first LEN bytes (0: all) with the
 *                        pattern from stream offset OFF, taken modulo W if
 *                        W is not 0 (a DMA source's window); EBADMSG if a
 *                        byte differs (status says where)
 *     fill S OFF         write the pattern from stream offset OFF over the
 *                        whole buffer, as the device writes: through the
 *                        DMA addresses of a mapping it may write
 *                        (from_device, bidirectional; EACCES otherwise);
 *                        EOPNOTSUPP where DMA is not coherent
 *     unmap S
 *     begin_cpu S DIR    dma_buf_begin_cpu_access(), as a kernel CPU user
 *     end_cpu S DIR      dma_buf_end_cpu_access()
 *     detach S           unmap, end its CPU accesses, detach, put
 *     import S FD OFF LEN  attach, map to_device and check, holding the map
 *     release_all        detach every slot
 *   status        one line per slot in use (see imp_status_show())
 *   max_seg_size  the device's longest DMA segment (64 KiB, a platform
 *                 device's default); changes only while nothing is mapped
 *   maps, map_errors, unmaps, checks, bad_checks, fills, long_segments,
 *   short_tables  counters since load (long_segments: segments longer
 *                 than max_seg_size in tables the exporter returned;
 *                 short_tables: tables not covering the dma-buf)
 */
#include <linux/debugfs.h>
#include <linux/dma-buf.h>
#include <linux/dma-direct.h>
#include <linux/dma-map-ops.h>
#include <linux/dma-mapping.h>
#include <linux/highmem.h>
#include <linux/math64.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/platform_device.h>
#include <linux/scatterlist.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "../../driver/compat.h"
#include "../../uapi/fpgacap.h"

FPGACAP_IMPORT_NS_DMA_BUF;

#define IMP_NAME "fpgacap-importer"
#define IMP_SLOTS 16

/**
 * struct imp_check - what the last check of a slot found
 * @bytes: bytes compared, in each view
 * @bad: bytes that differ, in both views together
 * @first_bad: stream offset of the first that differs
 * @want: the pattern's byte there
 * @got: the buffer's byte there
 * @view: where it was seen: "device" (the DMA addresses)
 * @device_view: the DMA addresses were read (always, once a check ran)
 */
struct imp_check {
	u64 bytes;
	u64 bad;
	u64 first_bad;
	u8 want;
	u8 got;
	const char *view;
	bool device_view;
};

/**
 * struct imp_slot - one attachment
 * @dmabuf: the dma-buf (a reference), NULL if the slot is free
 * @at: this device's attachment to it
 * @sgt: the mapping, while mapped
 * @dir: its direction
 * @cpu_accesses: begin_cpu_access calls not yet ended, per direction
 * @nents: CPU entries of the mapping
 * @dma_nents: DMA entries of the mapping
 * @longest: its longest CPU entry
 * @last: the last check
 */
struct imp_slot {
	struct dma_buf *dmabuf;
	struct dma_buf_attachment *at;
	struct sg_table *sgt;
	enum dma_data_direction dir;
	unsigned int cpu_accesses[DMA_NONE];
	unsigned int nents;
	unsigned int dma_nents;
	unsigned int longest;
	struct imp_check last;
};

struct imp_counters {
	u64 maps;
	u64 map_errors;
	u64 unmaps;
	u64 checks;
	u64 bad_checks;
	u64 fills;
	u64 long_segments;
	u64 short_tables;
};

/**
 * struct imp_dev - the importer
 * @dev: its platform device's
 * @lock: the slots, the counters, max_seg_size
 * @slots: the attachments
 * @n: counters since load
 * @debugfs: its directory
 */
struct imp_dev {
	struct device *dev;
	struct mutex lock;		/* see above */
	struct imp_slot slots[IMP_SLOTS];
	struct imp_counters n;
	struct dentry *debugfs;
};

static struct platform_device *imp_pdev;

static const char *const imp_dir_names[] = {
	[DMA_BIDIRECTIONAL] = "bidirectional",
	[DMA_TO_DEVICE] = "to_device",
	[DMA_FROM_DEVICE] = "from_device",
};

static int imp_parse_dir(const char *s, enum dma_data_direction *dir)
{
	int i = match_string(imp_dir_names, ARRAY_SIZE(imp_dir_names), s);

	if (i < 0)
		return -EINVAL;
	*dir = i;
	return 0;
}

static bool imp_mapped_any(struct imp_dev *imp)
{
	unsigned int i;

	lockdep_assert_held(&imp->lock);
	for (i = 0; i < IMP_SLOTS; i++)
		if (imp->slots[i].sgt)
			return true;
	return false;
}

/* The pattern's byte at stream offset @x (FPGACAP_PATTERN_WORD, LE). */
static u8 imp_pattern_byte(u64 x)
{
	return FPGACAP_PATTERN_WORD(x) >> (8 * (x & 7));
}

/*
 * Compare @n bytes at @p with the pattern from stream offset *@x (kept
 * below @window if that is not 0), advancing *@x; note what differs.
 */
static void imp_compare(struct imp_check *c, const u8 *p, size_t n, u64 *x,
			u64 window, const char *view)
{
	size_t i;

	for (i = 0; i < n; i++, (*x)++) {
		u8 want;

		if (window && *x == window)
			*x = 0;
		want = imp_pattern_byte(*x);
		if (likely(p[i] == want))
			continue;
		if (!c->bad++) {
			c->first_bad = *x;
			c->want = want;
			c->got = p[i];
			c->view = view;
		}
	}
}

static u64 imp_start(u64 offset, u64 window)
{
	u64 rem;

	if (!window)
		return offset;
	div64_u64_rem(offset, window, &rem);
	return rem;
}

/*
 * The device's view: the memory at the table's DMA addresses, found as a
 * device without an IOMMU finds memory (a swiotlb bounce buffer where the
 * DMA API bounced), handed to @visit a page at a time, for the first @len
 * bytes. Only the DMA side of the table is read: its page links are not
 * the importer's (see the top of the file). Return: the bytes visited.
 */
static u64 imp_walk_dma(struct imp_dev *imp, struct imp_slot *s, u64 len,
			void (*visit)(void *ctx, u8 *p, size_t n), void *ctx)
{
	struct scatterlist *sg;
	unsigned int i;
	u64 done = 0;

	for_each_sgtable_dma_sg(s->sgt, sg, i) {
		dma_addr_t addr = sg_dma_address(sg);
		u64 left = min_t(u64, sg_dma_len(sg), len - done);

		while (left) {
			phys_addr_t phys = dma_to_phys(imp->dev, addr);
			size_t off = offset_in_page(phys);
			size_t n = min_t(u64, left, PAGE_SIZE - off);
			u8 *p;

			if (!pfn_valid(PHYS_PFN(phys)))
				return done;
			p = kmap_local_page(pfn_to_page(PHYS_PFN(phys)));
			visit(ctx, p + off, n);
			kunmap_local(p);
			addr += n;
			done += n;
			left -= n;
		}
		if (done == len)
			break;
	}
	return done;
}

/* Where a walk is in the pattern, and what a check found. */
struct imp_cursor {
	struct imp_check *c;
	u64 x;
	u64 window;
};

static void imp_visit_compare(void *ctx, u8 *p, size_t n)
{
	struct imp_cursor *cur = ctx;

	imp_compare(cur->c, p, n, &cur->x, cur->window, "device");
}

static void imp_visit_fill(void *ctx, u8 *p, size_t n)
{
	struct imp_cursor *cur = ctx;
	size_t i;

	for (i = 0; i < n; i++, cur->x++)
		p[i] = imp_pattern_byte(cur->x);
}

/* Direct mapping only: an IOMMU's addresses are not physical. */
static bool imp_direct(struct imp_dev *imp)
{
	/* The importer's own platform device has neither IOMMU nor DMA ops. */
	return !get_dma_ops(imp->dev) && !device_iommu_mapped(imp->dev);
}

static int imp_check(struct imp_dev *imp, struct imp_slot *s, u64 offset,
		     u64 len, u64 window)
{
	struct imp_check c = { .first_bad = U64_MAX, .view = "-" };
	struct imp_cursor cur = { .c = &c, .window = window };
	u64 done;

	lockdep_assert_held(&imp->lock);
	if (!s->sgt)
		return -ENOTCONN;
	if (!len)
		len = s->dmabuf->size;
	if (len > s->dmabuf->size || (window && window % 8))
		return -EINVAL;

	if (!imp_direct(imp))
		return -EOPNOTSUPP;

	/*
	 * No sync around the check: the device reads its mapping as it is
	 * (what the CPU wrote reaches it through the exporter's
	 * end_cpu_access, which the tests check), and a sync of the
	 * imported table would walk its page links (DMA-API debug reads
	 * sg_page()), which are not the importer's (top of the file).
	 */
	c.device_view = true;
	cur.x = imp_start(offset, window);
	done = imp_walk_dma(imp, s, len, imp_visit_compare, &cur);

	c.bytes = done;
	s->last = c;
	imp->n.checks++;
	if (done != len) {
		imp->n.bad_checks++;
		return -EMSGSIZE;
	}
	if (c.bad) {
		imp->n.bad_checks++;
		return -EBADMSG;
	}
	return 0;
}

/*
 * The device writes the whole buffer through its mapping. No sync: the
 * mapping is the device's until a CPU access begins, and the exporter's
 * begin_cpu_access is what brings the bytes to the CPU (through a bounce
 * buffer, only that), which is what the tests check.
 */
static int imp_fill(struct imp_dev *imp, struct imp_slot *s, u64 offset)
{
	struct imp_cursor cur = { .x = offset };

	lockdep_assert_held(&imp->lock);
	if (!s->sgt)
		return -ENOTCONN;
	if (s->dir == DMA_TO_DEVICE)
		return -EACCES;
	/*
	 * The CPU writes here through its cache: that is a device's write
	 * (to memory, past the caches) only where DMA is coherent. Where it
	 * is not (the ARM guests), the exporter's sync for the CPU would
	 * rightly discard it.
	 */
	if (!imp_direct(imp) || !dev_is_dma_coherent(imp->dev))
		return -EOPNOTSUPP;
	if (imp_walk_dma(imp, s, s->dmabuf->size, imp_visit_fill, &cur) !=
	    s->dmabuf->size)
		return -EMSGSIZE;
	imp->n.fills++;
	return 0;
}

static int imp_attach(struct imp_dev *imp, struct imp_slot *s, int fd)
{
	struct dma_buf_attachment *at;
	struct dma_buf *dmabuf;

	lockdep_assert_held(&imp->lock);
	if (s->dmabuf)
		return -EBUSY;
	/* The writer's descriptor table: the test hands its own fd. */
	dmabuf = dma_buf_get(fd);
	if (IS_ERR(dmabuf))
		return PTR_ERR(dmabuf);
	at = dma_buf_attach(dmabuf, imp->dev);
	if (IS_ERR(at)) {
		dma_buf_put(dmabuf);
		return PTR_ERR(at);
	}
	memset(s, 0, sizeof(*s));
	s->dmabuf = dmabuf;
	s->at = at;
	return 0;
}

/* What the exporter owes the device: every byte, segments it can take. */
static void imp_inspect(struct imp_dev *imp, struct imp_slot *s)
{
	unsigned int max = dma_get_max_seg_size(imp->dev);
	struct scatterlist *sg;
	u64 bytes = 0;
	unsigned int i;

	s->longest = 0;
	for_each_sgtable_sg(s->sgt, sg, i) {
		bytes += sg->length;
		s->longest = max(s->longest, sg->length);
		if (sg->length > max)
			imp->n.long_segments++;
	}
	if (bytes < s->dmabuf->size)
		imp->n.short_tables++;
	s->nents = s->sgt->orig_nents;
	s->dma_nents = s->sgt->nents;
}

static int imp_map(struct imp_dev *imp, struct imp_slot *s,
		   enum dma_data_direction dir)
{
	struct sg_table *sgt;

	lockdep_assert_held(&imp->lock);
	if (!s->dmabuf)
		return -ENOTCONN;
	if (s->sgt)
		return -EBUSY;
	/* From here until unmap the buffer is this device's to read. */
	sgt = fpgacap_dma_buf_map(s->at, dir);
	if (IS_ERR(sgt)) {
		imp->n.map_errors++;
		return PTR_ERR(sgt);
	}
	s->sgt = sgt;
	s->dir = dir;
	imp->n.maps++;
	imp_inspect(imp, s);
	return 0;
}

static int imp_unmap(struct imp_dev *imp, struct imp_slot *s)
{
	lockdep_assert_held(&imp->lock);
	if (!s->sgt)
		return -ENOTCONN;
	fpgacap_dma_buf_unmap(s->at, s->sgt, s->dir);
	s->sgt = NULL;
	imp->n.unmaps++;
	return 0;
}

static int imp_begin_cpu(struct imp_slot *s, enum dma_data_direction dir)
{
	int ret;

	if (!s->dmabuf)
		return -ENOTCONN;
	ret = dma_buf_begin_cpu_access(s->dmabuf, dir);
	if (!ret)
		s->cpu_accesses[dir]++;
	return ret;
}

/* Ends an access even if this slot began none: the exporter must say no. */
static int imp_end_cpu(struct imp_slot *s, enum dma_data_direction dir)
{
	int ret;

	if (!s->dmabuf)
		return -ENOTCONN;
	ret = dma_buf_end_cpu_access(s->dmabuf, dir);
	if (!ret && s->cpu_accesses[dir])
		s->cpu_accesses[dir]--;
	return ret;
}

static int imp_detach(struct imp_dev *imp, struct imp_slot *s)
{
	enum dma_data_direction dir;

	lockdep_assert_held(&imp->lock);
	if (!s->dmabuf)
		return -ENOTCONN;
	if (s->sgt)
		imp_unmap(imp, s);
	for (dir = 0; dir < DMA_NONE; dir++)
		while (s->cpu_accesses[dir] &&
		       !dma_buf_end_cpu_access(s->dmabuf, dir))
			s->cpu_accesses[dir]--;
	dma_buf_detach(s->dmabuf, s->at);
	dma_buf_put(s->dmabuf);
	memset(s, 0, sizeof(*s));
	return 0;
}

static void imp_release_all(struct imp_dev *imp)
{
	unsigned int i;

	lockdep_assert_held(&imp->lock);
	for (i = 0; i < IMP_SLOTS; i++)
		if (imp->slots[i].dmabuf)
			imp_detach(imp, &imp->slots[i]);
}

static int imp_import(struct imp_dev *imp, struct imp_slot *s, int fd,
		      u64 offset, u64 len)
{
	int ret;

	ret = imp_attach(imp, s, fd);
	if (ret)
		return ret;
	ret = imp_map(imp, s, DMA_TO_DEVICE);
	if (!ret)
		ret = imp_check(imp, s, offset, len, 0);
	if (ret)
		imp_detach(imp, s);
	return ret;
}

/* One command of ctl (see the top of the file); the slot lock held. */
static int imp_command(struct imp_dev *imp, const char *cmd)
{
	unsigned long long off, len, window = 0;
	enum dma_data_direction dir;
	struct imp_slot *s;
	char verb[16], arg[16];
	unsigned int slot;
	int fd, n;

	lockdep_assert_held(&imp->lock);
	if (sscanf(cmd, "%15s", verb) != 1)
		return -EINVAL;
	if (!strcmp(verb, "release_all")) {
		imp_release_all(imp);
		return 0;
	}
	if (sscanf(cmd, "%*s %u", &slot) != 1 || slot >= IMP_SLOTS)
		return -EINVAL;
	s = &imp->slots[slot];

	if (!strcmp(verb, "attach")) {
		if (sscanf(cmd, "%*s %*u %d", &fd) != 1)
			return -EINVAL;
		return imp_attach(imp, s, fd);
	}
	if (!strcmp(verb, "import")) {
		if (sscanf(cmd, "%*s %*u %d %llu %llu", &fd, &off, &len) != 3)
			return -EINVAL;
		return imp_import(imp, s, fd, off, len);
	}
	if (!strcmp(verb, "map") || !strcmp(verb, "begin_cpu") ||
	    !strcmp(verb, "end_cpu")) {
		if (sscanf(cmd, "%*s %*u %15s", arg) != 1 ||
		    imp_parse_dir(arg, &dir))
			return -EINVAL;
		if (!strcmp(verb, "map"))
			return imp_map(imp, s, dir);
		if (!strcmp(verb, "begin_cpu"))
			return imp_begin_cpu(s, dir);
		return imp_end_cpu(s, dir);
	}
	if (!strcmp(verb, "check")) {
		n = sscanf(cmd, "%*s %*u %llu %llu %llu", &off, &len, &window);
		if (n < 2)
			return -EINVAL;
		return imp_check(imp, s, off, len, window);
	}
	if (!strcmp(verb, "fill")) {
		if (sscanf(cmd, "%*s %*u %llu", &off) != 1)
			return -EINVAL;
		return imp_fill(imp, s, off);
	}
	if (!strcmp(verb, "unmap"))
		return imp_unmap(imp, s);
	if (!strcmp(verb, "detach"))
		return imp_detach(imp, s);
	return -EINVAL;
}

static ssize_t imp_ctl_write(struct file *file, const char __user *ubuf,
			     size_t count, loff_t *ppos)
{
	struct imp_dev *imp = file->private_data;
	char cmd[96];
	int ret;

	if (count >= sizeof(cmd))
		return -EINVAL;
	if (copy_from_user(cmd, ubuf, count))
		return -EFAULT;
	cmd[count] = 0;
	mutex_lock(&imp->lock);
	ret = imp_command(imp, cmd);
	mutex_unlock(&imp->lock);
	return ret ? ret : count;
}

static const struct file_operations imp_ctl_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = imp_ctl_write,
	.llseek = noop_llseek,
};

/*
 * Per slot in use: its dma-buf's size, the mapping (direction, CPU and DMA
 * entries, longest entry), CPU accesses it began, and its last check:
 * bytes compared, bad bytes, the first bad one's stream offset, the
 * pattern's and the buffer's byte there, and in which view.
 */
static int imp_status_show(struct seq_file *m, void *unused)
{
	struct imp_dev *imp = m->private;
	unsigned int i;

	mutex_lock(&imp->lock);
	for (i = 0; i < IMP_SLOTS; i++) {
		struct imp_slot *s = &imp->slots[i];
		struct imp_check *c = &s->last;

		if (!s->dmabuf)
			continue;
		seq_printf(m, "slot %u size %zu mapped %s nents %u dma_nents %u longest %u cpu %u checked %llu bad %llu",
			   i, s->dmabuf->size,
			   s->sgt ? imp_dir_names[s->dir] : "no",
			   s->nents, s->dma_nents, s->longest,
			   s->cpu_accesses[DMA_BIDIRECTIONAL] +
			   s->cpu_accesses[DMA_TO_DEVICE] +
			   s->cpu_accesses[DMA_FROM_DEVICE],
			   c->bytes, c->bad);
		if (c->bad)
			seq_printf(m, " first_bad %llu want 0x%02x got 0x%02x view %s",
				   c->first_bad, c->want, c->got, c->view);
		seq_printf(m, " device_view %d\n", c->device_view);
	}
	mutex_unlock(&imp->lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(imp_status);

static int max_seg_size_get(void *data, u64 *val)
{
	struct imp_dev *imp = data;

	*val = dma_get_max_seg_size(imp->dev);
	return 0;
}

static int max_seg_size_set(void *data, u64 val)
{
	struct imp_dev *imp = data;
	int ret = 0;

	if (val < PAGE_SIZE || val > UINT_MAX)
		return -EINVAL;
	mutex_lock(&imp->lock);
	if (imp_mapped_any(imp))
		ret = -EBUSY;
	else
		dma_set_max_seg_size(imp->dev, val);
	mutex_unlock(&imp->lock);
	return ret;
}
DEFINE_DEBUGFS_ATTRIBUTE(max_seg_size_fops, max_seg_size_get,
			 max_seg_size_set, "%llu\n");

static void imp_debugfs(struct imp_dev *imp)
{
	struct dentry *d = debugfs_create_dir(IMP_NAME, NULL);

	imp->debugfs = d;
	debugfs_create_file("ctl", 0200, d, imp, &imp_ctl_fops);
	debugfs_create_file("status", 0400, d, imp, &imp_status_fops);
	debugfs_create_file_unsafe("max_seg_size", 0600, d, imp,
				   &max_seg_size_fops);
	debugfs_create_u64("maps", 0400, d, &imp->n.maps);
	debugfs_create_u64("map_errors", 0400, d, &imp->n.map_errors);
	debugfs_create_u64("unmaps", 0400, d, &imp->n.unmaps);
	debugfs_create_u64("checks", 0400, d, &imp->n.checks);
	debugfs_create_u64("bad_checks", 0400, d, &imp->n.bad_checks);
	debugfs_create_u64("fills", 0400, d, &imp->n.fills);
	debugfs_create_u64("long_segments", 0400, d, &imp->n.long_segments);
	debugfs_create_u64("short_tables", 0400, d, &imp->n.short_tables);
}

static int imp_probe(struct platform_device *pdev)
{
	struct device *dev = &pdev->dev;
	struct imp_dev *imp;
	int ret;

	ret = dma_set_mask_and_coherent(dev, DMA_BIT_MASK(64));
	if (ret)
		return ret;
	/* A platform device has DMA parameters; 64 KiB is their default. */
	if (!dev->dma_parms)
		return -ENODEV;
	dma_set_max_seg_size(dev, SZ_64K);

	imp = devm_kzalloc(dev, sizeof(*imp), GFP_KERNEL);
	if (!imp)
		return -ENOMEM;
	imp->dev = dev;
	mutex_init(&imp->lock);
	platform_set_drvdata(pdev, imp);
	imp_debugfs(imp);
	dev_info(dev, "dma-buf importer for tests, %u slots\n", IMP_SLOTS);
	return 0;
}

static void imp_remove(struct platform_device *pdev)
{
	struct imp_dev *imp = platform_get_drvdata(pdev);

	/* No command runs once the files are gone; then let go of all. */
	debugfs_remove_recursive(imp->debugfs);
	mutex_lock(&imp->lock);
	imp_release_all(imp);
	mutex_unlock(&imp->lock);
	mutex_destroy(&imp->lock);
}

FPGACAP_PLATFORM_REMOVE(imp_remove)

static struct platform_driver imp_driver = {
	.remove = imp_remove_platform,
	.driver = {
		.name = IMP_NAME,
	},
};

static int __init imp_init(void)
{
	/* Probes at once, or fails. */
	imp_pdev = platform_create_bundle(&imp_driver, imp_probe, NULL, 0,
					  NULL, 0);
	return PTR_ERR_OR_ZERO(imp_pdev);
}

static void __exit imp_exit(void)
{
	platform_device_unregister(imp_pdev);
	platform_driver_unregister(&imp_driver);
}

module_init(imp_init);
module_exit(imp_exit);

MODULE_DESCRIPTION("Test-only dma-buf importer for fpgacap's exported buffers");
MODULE_LICENSE("GPL");
