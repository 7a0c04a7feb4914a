/* SPDX-License-Identifier: GPL-2.0-only WITH Linux-syscall-note */
/*
 * The interface of fpgacap-classic, the classic coherent capture driver
 * kept for comparison (tests/classic/fpgacap-classic.c). Test and bench use
 * only; not installed.
 */
#ifndef FPGACAP_CLASSIC_H
#define FPGACAP_CLASSIC_H

#include <linux/ioctl.h>
#include <linux/types.h>

struct fpgacap_classic_info {
	__u32 count;		/* buffers */
	__u32 reserved;
	__u64 buffer_size;	/* bytes; buffer i is at mmap offset i * size */
};

struct fpgacap_classic_fill {
	__u32 index;		/* the buffer */
	__u32 reserved;		/* must be 0 */
	__u64 offset;		/* stream offset of its first byte */
};

#define FPGACAP_CLASSIC_INFO	_IOR(0xB9, 0x00, struct fpgacap_classic_info)
#define FPGACAP_CLASSIC_FILL	_IOW(0xB9, 0x01, struct fpgacap_classic_fill)

#endif /* FPGACAP_CLASSIC_H */
