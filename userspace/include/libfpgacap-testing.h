/* SPDX-License-Identifier: MIT */
/*
 * Hooks for the project's own tests. Not installed, not in the shared
 * library's exported symbols: a test links libfpgacap.a to use them.
 */
#ifndef LIBFPGACAP_TESTING_H
#define LIBFPGACAP_TESTING_H

#include <stdbool.h>
#include <stddef.h>

#include "libfpgacap.h"

/*
 * Release every send the moment fpgacap_sender_send() returns, before the
 * network stack is done with its pages. It exists to prove that the tests
 * catch the corruption this causes.
 */
void fpgacap_testing_early_release(struct fpgacap_sender *s, bool on);

/*
 * Release every buffer the moment fpgacap_recorder_write() queued its
 * write, before the kernel has read its pages: the recorder's twin of the
 * hook above, for the tests that show a recycled buffer reaches the disk.
 */
void fpgacap_testing_record_early_release(struct fpgacap_recorder *r,
					  bool on);

/* fpgacap_find_device() with @root before /sys and /dev (a test's tree). */
int fpgacap_testing_find_device(const char *root, char *path, size_t len);

#endif /* LIBFPGACAP_TESTING_H */
