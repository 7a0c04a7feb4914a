/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Kernel API differences between the releases fpgacap builds against
 * (6.1 to 7.3), in one place. The driver's logic uses only the names
 * defined here or the newest kernel's own.
 */
#ifndef FPGACAP_COMPAT_H
#define FPGACAP_COMPAT_H

#include <linux/device/class.h>
#include <linux/dma-mapping.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/platform_device.h>
#include <linux/slab.h>
#include <linux/version.h>

/*
 * The largest order alloc_pages() accepts. MAX_ORDER was exclusive before
 * 6.4, inclusive from 6.4, and became MAX_PAGE_ORDER in 6.8.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 8, 0)
#define FPGACAP_MAX_PAGE_ORDER	MAX_PAGE_ORDER
#elif LINUX_VERSION_CODE >= KERNEL_VERSION(6, 4, 0)
#define FPGACAP_MAX_PAGE_ORDER	MAX_ORDER
#else
#define FPGACAP_MAX_PAGE_ORDER	(MAX_ORDER - 1)
#endif

/* vma->vm_flags became read-only behind accessors in 6.3. */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 3, 0)
static inline void vm_flags_set(struct vm_area_struct *vma, vm_flags_t flags)
{
	vma->vm_flags |= flags;
}

static inline void vm_flags_clear(struct vm_area_struct *vma,
				  vm_flags_t flags)
{
	vma->vm_flags &= ~flags;
}
#endif

/* class_create() lost its module argument in 6.4. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 4, 0)
#define fpgacap_class_create(name)	class_create(name)
#else
#define fpgacap_class_create(name)	class_create(THIS_MODULE, name)
#endif

/*
 * platform_driver.remove returns void from 6.11 and int before: wrap a
 * void function @fn as fn##_platform of the type this kernel wants.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 11, 0)
#define FPGACAP_PLATFORM_REMOVE(fn)					\
static void fn##_platform(struct platform_device *pdev)		\
{									\
	fn(pdev);							\
}
#else
#define FPGACAP_PLATFORM_REMOVE(fn)					\
static int fn##_platform(struct platform_device *pdev)		\
{									\
	fn(pdev);							\
	return 0;							\
}
#endif

/*
 * Namespaced symbols (the dma-buf core's are in DMA_BUF since 5.16):
 * MODULE_IMPORT_NS() takes a string literal from 6.13.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 13, 0)
#define FPGACAP_IMPORT_NS_DMA_BUF	MODULE_IMPORT_NS("DMA_BUF")
#else
#define FPGACAP_IMPORT_NS_DMA_BUF	MODULE_IMPORT_NS(DMA_BUF)
#endif

/*
 * An importer's mapping of a dma-buf (the test importer, tests/importer).
 * From 6.2 dma_buf_map_attachment() and dma_buf_unmap_attachment() want
 * the dma-buf's reservation lock held for every attachment, and the
 * _unlocked variants that take it exist (both from the dma-buf locking
 * series merged for 6.2). Checked in Debian's kernel sources: 6.12.118
 * asserts the lock unconditionally in both; 6.1.192 asserts it only for
 * dynamic attachments, which a static importer never has, so the locked
 * names are right for 6.1 (6.1.192 has a stable backport of the _unlocked
 * variants; earlier 6.1 releases need not).
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0)
#define fpgacap_dma_buf_map(at, dir)	dma_buf_map_attachment_unlocked(at, dir)
#define fpgacap_dma_buf_unmap(at, sgt, dir)				\
	dma_buf_unmap_attachment_unlocked(at, sgt, dir)
#else
#define fpgacap_dma_buf_map(at, dir)	dma_buf_map_attachment(at, dir)
#define fpgacap_dma_buf_unmap(at, sgt, dir)				\
	dma_buf_unmap_attachment(at, sgt, dir)
#endif

/*
 * A dma_map_ops implementation (the test DMA engine's bounce operations)
 * maps a single range by physical address from 6.19, .map_phys and
 * .unmap_phys, and by page and offset before, .map_page and .unmap_page
 * (the unmaps take the same arguments). Both sides changed in one merge
 * for 6.19-rc1, the dma-mapping tree's a7405aa92fee: "dma-mapping:
 * prepare dma_map_ops to conversion to physical address" (ed7fc3cbb38f)
 * adds the _phys pair and "dma-mapping: remove unused map_page callback"
 * (131971f67e25) drops the _page pair, pushed to mainline together after
 * 6.18, so no release has both. Write map(dev, phys, size, dir, attrs)
 * and unmap(dev, dma, size, dir, attrs); FPGACAP_DMA_MAP_PHYS_ADAPTER(map);
 * after map defines what this kernel needs besides (map##_page before
 * 6.19) and checks map's type against the member it fills, and
 * FPGACAP_DMA_OPS_MAP_PHYS(map, unmap) fills the members.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 19, 0)
#define FPGACAP_DMA_MAP_PHYS_ADAPTER(map)				\
	static_assert(__same_type(&(map),				\
				  typeof_member(const struct dma_map_ops, map_phys)))
#define FPGACAP_DMA_OPS_MAP_PHYS(map, unmap)				\
	.map_phys = map, .unmap_phys = unmap
#else
#define FPGACAP_DMA_MAP_PHYS_ADAPTER(map)				\
static dma_addr_t map##_page(struct device *dev, struct page *page,	\
			     unsigned long offset, size_t size,		\
			     enum dma_data_direction dir,		\
			     unsigned long attrs)			\
{									\
	return map(dev, page_to_phys(page) + offset, size, dir, attrs);	\
}									\
static_assert(__same_type(&map##_page,					\
			  typeof_member(const struct dma_map_ops, map_page)))
#define FPGACAP_DMA_OPS_MAP_PHYS(map, unmap)				\
	.map_page = map##_page, .unmap_page = unmap
#endif

/*
 * DMA_ATTR_MMIO marks a mapping of MMIO, memory without a struct page;
 * from 6.19 dma_map_resource() reaches .map_phys with it. A kernel without
 * the name never passes MMIO to .map_page (dma_map_resource() goes to
 * .map_resource), so 0 stands in: tested by name, the release that added
 * it (after 6.12) does not matter.
 */
#ifndef DMA_ATTR_MMIO
#define DMA_ATTR_MMIO	0
#endif

/*
 * Typed allocation, kzalloc_obj(object, gfp), which checkpatch prefers to
 * kzalloc(sizeof(...)): in 7.0, and backported to 6.18.y and to 6.12.97,
 * so tested by name, not by version. Where it is missing this stands in
 * (without its check of the pointer type).
 */
#ifndef kzalloc_obj
#define kzalloc_obj(obj, gfp)	kzalloc(sizeof(obj), gfp)
#endif

#endif /* FPGACAP_COMPAT_H */
