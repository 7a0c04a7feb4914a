// SPDX-License-Identifier: GPL-2.0-only
/*
 * A capture device in process memory, for fpgacap-iiod's host tests: the
 * device half of libfpgacap (lib/device.c's calls) over anonymous pages
 * instead of /dev/fpgacap*, so the server's buffer sessions run on a
 * machine that cannot load the driver. Linked before libfpgacap.a into a
 * test build of the server (fpgacap-iiod-fakedev); never installed.
 *
 * It behaves as the driver's pattern source does: the stream is the
 * pattern (the little-endian word at stream offset 8k holds k); buffers
 * are filled in order as they come free, all at once without a rate, with
 * one the buffer's time apart at a rate (bytes/s, FPGACAP_CAP_RATE); the
 * stream restarts at 0 with every START. Its fd becomes readable when the
 * next buffer is due (a timerfd). Paths are "fake:NAME"; the environment
 * variable FPGACAP_FAKE_FAIL_EVERY=N marks every Nth buffer failed
 * (FPGACAP_BUF_ERROR, no data), as a source that reports an error does;
 * FPGACAP_FAKE_RETURN_FAIL_AFTER=N makes every RETURN fail with ENODEV
 * once N buffers came back, as the driver's does after an unbind (its
 * DEQUEUE would fail too; here it goes on, so that the server meets the
 * error only where it gives buffers back); FPGACAP_FAKE_DEQUEUE_FAIL_AFTER=N
 * fails the stream once N buffers were filled: DEQUEUE says EIO from then
 * on, as the driver's does once a failed stream is drained, or the errno
 * FPGACAP_FAKE_DEQUEUE_ERRNO=E names (19: ENODEV, as after an unbind);
 * FPGACAP_FAKE_BAD_INDEX_AT=N hands out the buffer filled Nth (from 0)
 * with an index no buffer has, as a broken driver would (the buffer
 * itself stays out).
 *
 * What it does not model: DMA, the page pool's lifetimes, drops (a source
 * with a rate here waits for a free buffer instead of dropping). Those are
 * the guest tests' (tests/iiod/iiod_test.py).
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "libfpgacap.h"

#define FAKE_PAGE 4096U
#define FAKE_MAX_BUFFERS 1024U

enum fake_buf { FREE, USER };

struct fpgacap {
	struct fpgacap_info info;
	struct fpgacap_config cfg;
	struct fpgacap_stats st;
	char *pool;
	enum fake_buf *state;
	uint32_t *order;		/* free buffers, in the order freed */
	uint32_t nfree, head;
	uint64_t rate, offset, filled, t0;
	bool streaming;
	unsigned int fail_every;
	uint64_t return_fail_after, dequeue_fail_after;
	int64_t bad_index_at;		/* -1: none */
	int dequeue_errno;
	int tfd;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

unsigned int fpgacap_version(void)
{
	return (LIBFPGACAP_VERSION_MAJOR << 16) | LIBFPGACAP_VERSION_MINOR;
}

int fpgacap_open(const char *path, int flags, struct fpgacap **out)
{
	struct fpgacap *d;
	const char *fail = getenv("FPGACAP_FAKE_FAIL_EVERY");
	const char *rfail = getenv("FPGACAP_FAKE_RETURN_FAIL_AFTER");
	const char *dfail = getenv("FPGACAP_FAKE_DEQUEUE_FAIL_AFTER");
	const char *bad = getenv("FPGACAP_FAKE_BAD_INDEX_AT");
	const char *derr = getenv("FPGACAP_FAKE_DEQUEUE_ERRNO");

	(void)flags;
	if (!path || strncmp(path, "fake:", 5) || !path[5] ||
	    strlen(path + 5) >= sizeof(d->info.name))
		return -ENOENT;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (d->tfd < 0) {
		free(d);
		return -errno;
	}
	d->info.api_version = FPGACAP_API_VERSION;
	d->info.caps = FPGACAP_CAP_STREAMING | FPGACAP_CAP_RATE;
	d->info.source = FPGACAP_SOURCE_PATTERN;
	d->info.state = FPGACAP_STATE_UNCONFIGURED;
	d->info.page_size = FAKE_PAGE;
	d->info.max_buffers = FAKE_MAX_BUFFERS;
	d->info.max_buffer_size = 64U << 20;
	d->info.max_pool_size = 256U << 20;
	strcpy(d->info.name, path + 5);
	strcpy(d->info.source_name, "fake");
	d->fail_every = fail ? (unsigned int)strtoul(fail, NULL, 10) : 0;
	d->return_fail_after = rfail ? strtoull(rfail, NULL, 10) : 0;
	d->dequeue_fail_after = dfail ? strtoull(dfail, NULL, 10) : 0;
	d->bad_index_at = bad ? strtoll(bad, NULL, 10) : -1;
	d->dequeue_errno = derr ? atoi(derr) : EIO;
	if (d->dequeue_errno <= 0)
		d->dequeue_errno = EIO;
	*out = d;
	return 0;
}

static void free_pool(struct fpgacap *d)
{
	if (d->pool)
		munmap(d->pool, d->cfg.mmap_size);
	free(d->state);
	free(d->order);
	d->pool = NULL;
	d->state = NULL;
	d->order = NULL;
}

void fpgacap_close(struct fpgacap *d)
{
	if (!d)
		return;
	free_pool(d);
	close(d->tfd);
	free(d);
}

int fpgacap_fd(const struct fpgacap *d)
{
	return d->tfd;
}

int fpgacap_get_info(struct fpgacap *d, struct fpgacap_info *info)
{
	*info = d->info;
	return 0;
}

int fpgacap_configure(struct fpgacap *d, uint32_t count, uint64_t size,
		      uint32_t flags, uint64_t rate)
{
	if (d->streaming)
		return -EBUSY;
	if (flags || !count || count > FAKE_MAX_BUFFERS || !size ||
	    size % FAKE_PAGE || size > d->info.max_buffer_size ||
	    count * size > d->info.max_pool_size)
		return -EINVAL;
	free_pool(d);
	memset(&d->cfg, 0, sizeof(d->cfg));
	d->cfg.count = count;
	d->cfg.buffer_size = size;
	d->cfg.rate = rate;
	d->cfg.mmap_size = count * size;
	d->pool = mmap(NULL, d->cfg.mmap_size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	d->state = calloc(count, sizeof(*d->state));
	d->order = calloc(count, sizeof(*d->order));
	if (d->pool == MAP_FAILED || !d->state || !d->order) {
		if (d->pool == MAP_FAILED)
			d->pool = NULL;
		free_pool(d);
		return -ENOMEM;
	}
	d->rate = rate;
	d->info.state = FPGACAP_STATE_STOPPED;
	return 0;
}

const struct fpgacap_config *fpgacap_layout(const struct fpgacap *d)
{
	return &d->cfg;
}

const void *fpgacap_buffer_data(const struct fpgacap *d, uint32_t index)
{
	if (!d->pool || index >= d->cfg.count)
		return NULL;
	return d->pool + (size_t)index * d->cfg.buffer_size;
}

/* The stream failed: DEQUEUE says so (and poll, at once). */
static bool failed(const struct fpgacap *d)
{
	return d->streaming && d->dequeue_fail_after &&
	       d->filled >= d->dequeue_fail_after;
}

/* When the next free buffer is filled; 0: now, UINT64_MAX: none free. */
static uint64_t next_due(const struct fpgacap *d)
{
	if (failed(d))
		return 0;
	if (!d->streaming || !d->nfree)
		return UINT64_MAX;
	if (!d->rate)
		return 0;
	return d->t0 + (d->filled + 1) * d->cfg.buffer_size * 1000000000ULL /
	       d->rate;
}

static void arm(struct fpgacap *d)
{
	struct itimerspec it = { 0 };
	uint64_t due = next_due(d);

	if (due != UINT64_MAX) {
		if (!due)
			due = now_ns();
		it.it_value.tv_sec = (time_t)(due / 1000000000ULL);
		it.it_value.tv_nsec = (long)(due % 1000000000ULL);
		if (!it.it_value.tv_sec && !it.it_value.tv_nsec)
			it.it_value.tv_nsec = 1;
	}
	timerfd_settime(d->tfd, TFD_TIMER_ABSTIME, &it, NULL);
}

int fpgacap_start(struct fpgacap *d)
{
	uint32_t i;

	if (!d->pool)
		return -ENOBUFS;
	if (d->streaming)
		return -EBUSY;
	for (i = 0; i < d->cfg.count; i++) {
		d->state[i] = FREE;
		d->order[i] = i;
	}
	d->nfree = d->cfg.count;
	d->head = 0;
	d->offset = d->filled = 0;
	memset(&d->st, 0, sizeof(d->st));
	d->t0 = now_ns();
	d->streaming = true;
	d->info.state = FPGACAP_STATE_STREAMING;
	arm(d);
	return 0;
}

int fpgacap_stop(struct fpgacap *d)
{
	d->streaming = false;
	d->info.state = FPGACAP_STATE_STOPPED;
	arm(d);
	return 0;
}

/* Fill the oldest free buffer with the next stretch of the stream. */
static void fill_one(struct fpgacap *d, struct fpgacap_buffer *b)
{
	uint32_t idx = d->order[d->head];
	uint64_t *w = (uint64_t *)(void *)(d->pool +
					   (size_t)idx * d->cfg.buffer_size);
	uint64_t k, words = d->cfg.buffer_size / 8;

	d->head = (d->head + 1) % d->cfg.count;
	d->nfree--;
	d->state[idx] = USER;
	memset(b, 0, sizeof(*b));
	b->index = idx;
	b->sequence = d->filled;
	b->offset = d->offset;
	b->timestamp_ns = now_ns();
	if ((int64_t)d->filled == d->bad_index_at)
		b->index = d->cfg.count;
	d->filled++;
	if (d->fail_every && d->filled % d->fail_every == 0) {
		/* A failed buffer: no data, its place in the stream lost. */
		b->flags = FPGACAP_BUF_ERROR;
		d->st.errors++;
	} else {
		for (k = 0; k < words; k++)
			w[k] = htole64(d->offset / 8 + k);
		b->bytes_used = d->cfg.buffer_size;
		d->st.bytes_filled += b->bytes_used;
	}
	d->offset += d->cfg.buffer_size;
	d->st.buffers_filled++;
	d->st.dequeued++;
}

int fpgacap_dequeue(struct fpgacap *d, struct fpgacap_buffer *bufs,
		    unsigned int max, int64_t timeout_ns)
{
	unsigned int n = 0;

	if (!d->pool)
		return -ENOBUFS;
	while (n < max && !failed(d) && next_due(d) <= now_ns())
		fill_one(d, &bufs[n++]);
	arm(d);
	if (n)
		return (int)n;
	if (failed(d))
		return -d->dequeue_errno;
	if (!d->streaming)
		return -ENODATA;
	/* The server only asks without waiting (it polls the fd). */
	return timeout_ns ? -ETIMEDOUT : -EAGAIN;
}

int fpgacap_return(struct fpgacap *d, const uint32_t *idx, unsigned int n)
{
	unsigned int i, j;

	if (d->return_fail_after && d->st.returned >= d->return_fail_after)
		return -ENODEV;
	for (i = 0; i < n; i++) {
		if (idx[i] >= d->cfg.count || d->state[idx[i]] != USER)
			return -EINVAL;
		for (j = 0; j < i; j++)
			if (idx[j] == idx[i])
				return -EINVAL;
	}
	for (i = 0; i < n; i++) {
		d->state[idx[i]] = FREE;
		d->order[(d->head + d->nfree) % d->cfg.count] = idx[i];
		d->nfree++;
		d->st.returned++;
	}
	arm(d);
	return 0;
}

int fpgacap_get_stats(struct fpgacap *d, struct fpgacap_stats *st)
{
	*st = d->st;
	st->state = d->info.state;
	st->free = d->nfree;
	st->user = (uint32_t)(d->st.dequeued - d->st.returned);
	return 0;
}
