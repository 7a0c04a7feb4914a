/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Test hooks: the failures emulated hardware cannot produce on its own.
 * All of them sit behind one switch, /sys/kernel/debug/fpgacap/test_hooks
 * (a static key: off, they cost a no-op branch), and each counter under
 * /sys/kernel/debug/fpgacap/<dev>/ is consumed one event at a time.
 */
#ifndef FPGACAP_INJECT_H
#define FPGACAP_INJECT_H

#include <linux/atomic.h>
#include <linux/jump_label.h>

DECLARE_STATIC_KEY_FALSE(fpgacap_test_hooks);

/**
 * struct fpgacap_inject - one device's pending injected events
 * @error: complete the next N buffers with FPGACAP_BUF_ERROR (source fails)
 * @stall: hold the next N buffers as if the engine never finished
 * @short_fill: end the next N buffers at half their size
 * @skip_sync: complete the next N buffers without the DMA sync for the
 *	CPU: a broken sync, for the tests that must catch one
 */
struct fpgacap_inject {
	atomic_t error;
	atomic_t stall;
	atomic_t short_fill;
	atomic_t skip_sync;
};

/* Consume one pending event of @counter, if the hooks are on. */
static inline bool fpgacap_inject(atomic_t *counter)
{
	return static_branch_unlikely(&fpgacap_test_hooks) &&
	       atomic_dec_if_positive(counter) >= 0;
}

bool fpgacap_inject_alloc_fails(unsigned int order);

#endif /* FPGACAP_INJECT_H */
