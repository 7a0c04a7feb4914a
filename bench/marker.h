/* SPDX-License-Identifier: MIT */
/*
 * Markers for a cost model that watches the CPU (tests/bench/memmodel.c, a
 * QEMU plugin): hint instructions that execute as no-ops, on a board as in
 * the emulator (HINT #0x60..#0x7f are unallocated hints in ARMv7 and
 * ARMv8). An operation, then its 32-bit argument as eight hints of one
 * nibble each, most significant first. On other CPUs they compile to
 * nothing.
 */
#ifndef FPGACAP_BENCH_MARKER_H
#define FPGACAP_BENCH_MARKER_H

#include <stdint.h>

enum marker_op {
	MARK_BEGIN = 0x60,	/* a window of figures, arg its id */
	MARK_END,		/* its end, arg the same id */
	MARK_PAUSE,		/* leave what follows out of the window */
	MARK_RESUME,
	MARK_UNCACHED,		/* the page of arg (an address) is uncached */
	MARK_UNCACHED_CLEAR,
	MARK_PROFILE,		/* BEGIN, with counts per code block */
};

#if defined(__aarch64__)
#define MARK_HINT(n) __asm__ volatile("hint #" #n ::: "memory")
#elif defined(__arm__) && defined(__thumb2__)
/* HINT.W #n; the assembler names only the allocated hints. */
#define MARK_HINT(n) __asm__ volatile(".inst.w 0xf3af8000 | " #n ::: "memory")
#elif defined(__arm__)
#define MARK_HINT(n) __asm__ volatile(".inst 0xe320f000 | " #n ::: "memory")
#endif

#ifdef MARK_HINT

static inline void mark_nibble(unsigned int v)
{
	switch (v & 15) {
	case 0: MARK_HINT(0x70); break;
	case 1: MARK_HINT(0x71); break;
	case 2: MARK_HINT(0x72); break;
	case 3: MARK_HINT(0x73); break;
	case 4: MARK_HINT(0x74); break;
	case 5: MARK_HINT(0x75); break;
	case 6: MARK_HINT(0x76); break;
	case 7: MARK_HINT(0x77); break;
	case 8: MARK_HINT(0x78); break;
	case 9: MARK_HINT(0x79); break;
	case 10: MARK_HINT(0x7a); break;
	case 11: MARK_HINT(0x7b); break;
	case 12: MARK_HINT(0x7c); break;
	case 13: MARK_HINT(0x7d); break;
	case 14: MARK_HINT(0x7e); break;
	default: MARK_HINT(0x7f); break;
	}
}

static inline void mark(enum marker_op op, uint32_t arg)
{
	int shift;

	switch (op) {
	case MARK_BEGIN: MARK_HINT(0x60); break;
	case MARK_END: MARK_HINT(0x61); break;
	case MARK_PAUSE: MARK_HINT(0x62); break;
	case MARK_RESUME: MARK_HINT(0x63); break;
	case MARK_UNCACHED: MARK_HINT(0x64); break;
	case MARK_UNCACHED_CLEAR: MARK_HINT(0x65); break;
	default: MARK_HINT(0x66); break;
	}
	for (shift = 28; shift >= 0; shift -= 4)
		mark_nibble(arg >> shift);
}

/* Declare the page holding @p uncached: the marker, then a read of it. */
static inline void mark_uncached(const volatile void *p)
{
	mark(MARK_UNCACHED, (uint32_t)(uintptr_t)p);
	(void)*(const volatile unsigned char *)p;
}
#else
static inline void mark(enum marker_op op, uint32_t arg)
{
	(void)op;
	(void)arg;
}

static inline void mark_uncached(const volatile void *p)
{
	(void)p;
}
#endif

#endif /* FPGACAP_BENCH_MARKER_H */
