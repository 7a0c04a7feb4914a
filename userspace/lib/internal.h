/* SPDX-License-Identifier: MIT */
/*
 * What every file of the library shares and nothing outside it sees: the
 * export marker (everything else is hidden, and lib/libfpgacap.map lists
 * what is exported) and the copying of size-prefixed structures.
 */
#ifndef FPGACAP_LIB_INTERNAL_H
#define FPGACAP_LIB_INTERNAL_H

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "libfpgacap.h"

#define FPGACAP_API __attribute__((visibility("default")))

/*
 * A caller's size-prefixed options into the library's own copy: members
 * the caller does not know are zero (defaults); members the library does
 * not know must be zero (-E2BIG), as the kernel does with clone3().
 */
static inline int struct_in(void *dst, size_t dst_size, const void *src)
{
	uint32_t size;
	size_t i;

	if (!src)
		return -EINVAL;
	memcpy(&size, src, sizeof(size));
	if (size < sizeof(uint32_t))
		return -EINVAL;
	for (i = dst_size; i < size; i++)
		if (((const uint8_t *)src)[i])
			return -E2BIG;
	memset(dst, 0, dst_size);
	memcpy(dst, src, size < dst_size ? size : dst_size);
	return 0;
}

/* The library's statistics out to a caller's size-prefixed structure. */
static inline int struct_out(void *dst, const void *src, size_t src_size)
{
	uint32_t size, filled;

	memcpy(&size, dst, sizeof(size));
	if (size < sizeof(uint32_t))
		return -EINVAL;
	filled = size < src_size ? size : (uint32_t)src_size;
	memcpy((uint8_t *)dst + sizeof(uint32_t),
	       (const uint8_t *)src + sizeof(uint32_t),
	       filled - sizeof(uint32_t));
	memset((uint8_t *)dst + filled, 0, size - filled);
	memcpy(dst, &filled, sizeof(filled));
	return 0;
}

/* Where @name is in @names[0..n), or -1. */
static inline int name_index(const char *const *names, unsigned int n,
			     const char *name)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (names[i] && !strcmp(names[i], name))
			return (int)i;
	return -1;
}

#endif /* FPGACAP_LIB_INTERNAL_H */
