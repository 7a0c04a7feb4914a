// SPDX-License-Identifier: GPL-2.0
/*
 * fpgacap's slave DMA path against fpgacap-testdma (tests/kmod), a
 * dmaengine provider that behaves as real engines do where QEMU's PL330
 * cannot: transfers ending early at TLAST with residue (AXI DMA S2MM),
 * failed results, stalls, callbacks without a result (PL330, mSGDMA), a
 * callback running after dmaengine_terminate_sync() returned (no
 * device_synchronize), callbacks from inside issue_pending (PL330).
 *
 * AXI DMA's fixed descriptors, callbacks from a thread (shdma), segment
 * limits and boundaries, and (its checking DMA operations) a device view
 * of memory apart from the CPU's, as caches and swiotlb make it.
 *
 * The engine writes fpgacap's pattern through the DMA API (into bounce
 * buffers under swiotlb=force or its own bounce), the stream restarting
 * at 0 on every terminate, so every buffer is checked byte for byte
 * against its offset. Every target that lists tests/kmod loads it.
 * Skipped where /dev/fpgacap-testdma does not exist (the module is built
 * for the x86 guest only).
 */
#include <libgen.h>
#include <pthread.h>
#include <sys/syscall.h>

#include "kselftest_harness.h"
#include "fpgacap_test.h"

#define SEC 1000000000LL
#define MSEC 1000000LL

static const char node[] = "/dev/fpgacap-testdma";
static const char slave_pdev[] = "fpgacap-slave.0";
#define ENGINE_DEV_DIR "/sys/kernel/debug/fpgacap-testdma/"
#define ENGINE_DIR ENGINE_DEV_DIR "chan0/"

/* ---- the engine's knobs and counters ---- */

static int knob_write(const char *dir, const char *name, long long v)
{
	char path[256], buf[32];

	snprintf(path, sizeof(path), "%s%s", dir, name);
	snprintf(buf, sizeof(buf), "%lld", v);
	return write_file(path, buf);
}

static int eng_set(const char *name, long long v)
{
	return knob_write(ENGINE_DIR, name, v);
}

static long long read_number(const char *path)
{
	char buf[64];
	int ret = read_file(path, buf, sizeof(buf));

	return ret ? ret : strtoll(buf, NULL, 0);
}

static long long eng_get(const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), ENGINE_DIR "%s", name);
	return read_number(path);
}

/* The engine device's knobs: DMA parameters, bounce. */
static int engdev_set(const char *name, long long v)
{
	return knob_write(ENGINE_DEV_DIR, name, v);
}

static long long engdev_get(const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), ENGINE_DEV_DIR "%s", name);
	return read_number(path);
}

/*
 * How many buffers a long test streams: FPGACAP_TESTDMA_SCALE percent of
 * @n (the emulated ARM boards run the engine a tenth as fast as x86).
 */
static uint64_t scaled(uint64_t n)
{
	const char *e = getenv("FPGACAP_TESTDMA_SCALE");
	long pct = e ? atol(e) : 100;

	if (pct <= 0 || pct > 100)
		pct = 100;
	return n * pct / 100 ? n * pct / 100 : 1;
}

/*
 * A callback held in the engine's tasklet (softirq, busy) freezes every
 * task of a one-CPU guest (QEMU's Zynq-7000 has one): nothing could see
 * it held. Those cases need a second CPU.
 */
#define SKIP_IF_ONE_CPU() do {						\
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)				\
		SKIP(return, "a callback held in softirq needs a second CPU"); \
} while (0)

static long long testdma_refcnt(void)
{
	return read_number("/sys/module/fpgacap_testdma/refcnt");
}

/* Channel resources the client holds now (alloc - free). */
static long long chan_held(void)
{
	return eng_get("alloc_chan") - eng_get("free_chan");
}

/* Every knob back to a plain, healthy engine. */
static void engine_reset(void)
{
	static const char *const hooks[] = {
		"inject_error", "inject_stall", "inject_short",
		"inject_skip_sync",
	};
	size_t i;

	eng_set("rate", 0);
	eng_set("tlast_after", 0);	/* arms one transfer: disarm after */
	eng_set("tlast_next", 0);
	eng_set("fail_next", 0);
	eng_set("fail_result", 1);
	eng_set("stall_next", 0);
	eng_set("late_callback", 0);
	eng_set("late_callback_ms", 1000);
	eng_set("synchronize", 1);
	eng_set("no_result", 0);
	eng_set("callbacks_in_issue", 0);
	eng_set("issue_delay_us", 0);
	eng_set("desc_limit", 0);
	eng_set("callbacks_from_thread", 0);
	eng_set("flush_on_free", 0);
	eng_set("terminate", 1);
	engdev_set("max_seg_size",
		   read_number("/sys/module/fpgacap_testdma/parameters/max_seg_size"));
	engdev_set("seg_boundary", 0);
	engdev_set("max_mapping", 0);
	engdev_set("bounce", 0);	/* EBUSY while mapped: callers unmap */
	set_debugfs("alloc_fail_order", 0);
	set_dev_attr(node, "stall_timeout_ms", 2000);
	/* fpgacap's own faults that a failed test left armed. */
	for (i = 0; i < ARRAY_SIZE(hooks); i++) {
		char path[128];

		snprintf(path, sizeof(path), "%s/%s", strrchr(node, '/') + 1,
			 hooks[i]);
		set_debugfs(path, 0);
	}
}

/* Counters of interest, to compare before and after. */
struct eng_counts {
	long long transfers, bytes, segments, failed, stalled, shortened;
	long long callbacks, late_callbacks, issue_pending, idle_issue_pending;
	long long stale_submits, stale_issued, terminates;
};

static void eng_counts(struct eng_counts *c)
{
	c->transfers = eng_get("transfers");
	c->bytes = eng_get("bytes");
	c->segments = eng_get("segments");
	c->failed = eng_get("failed");
	c->stalled = eng_get("stalled");
	c->shortened = eng_get("short");
	c->callbacks = eng_get("callbacks");
	c->late_callbacks = eng_get("late_callbacks");
	c->issue_pending = eng_get("issue_pending");
	c->idle_issue_pending = eng_get("idle_issue_pending");
	c->stale_submits = eng_get("stale_submits");
	c->stale_issued = eng_get("stale_issued");
	c->terminates = eng_get("terminates");
}

/* ---- modules: FPGACAP_KO (+ FPGACAP_KO_PARAMS), FPGACAP_TESTDMA_KO ---- */

/* Whatever a test did, leave both modules loaded, fpgacap first. */
static void modules_back(void)
{
	const char *ko = getenv("FPGACAP_KO");
	const char *tko = getenv("FPGACAP_TESTDMA_KO");

	if (ko && access("/sys/module/fpgacap", F_OK))
		load_module(ko, getenv("FPGACAP_KO_PARAMS"));
	if (tko && access("/sys/module/fpgacap_testdma", F_OK))
		load_module(tko, NULL);
}

/* ---- the stream ---- */

/* Byte @s of the stream: byte s % 8 of the little-endian word s / 8. */
static uint8_t stream_byte(uint64_t s)
{
	return (uint8_t)(FPGACAP_PATTERN_WORD(s) >> (8 * (s % 8)));
}

/* First byte of @p that is not the stream at @off, or -1. */
static long check_stream(const uint8_t *p, uint64_t len, uint64_t off)
{
	uint64_t i = 0;

	for (; i < len && ((off + i) & 7); i++)
		if (p[i] != stream_byte(off + i))
			return (long)i;
	for (; i + 8 <= len; i += 8) {
		uint64_t w;

		memcpy(&w, p + i, 8);
		if (le64toh(w) != FPGACAP_PATTERN_WORD(off + i))
			break;
	}
	for (; i < len; i++)
		if (p[i] != stream_byte(off + i))
			return (long)i;
	return -1;
}

FIXTURE(testdma) {
	int fd;
	struct fpgacap_config cfg;
	uint8_t *pool;
	uint64_t next_seq, next_off;	/* what the next buffer must say */
	uint64_t seen, bad;
};

FIXTURE_SETUP(testdma)
{
	self->fd = -1;
	self->pool = NULL;
	self->seen = 0;
	self->bad = 0;
	if (access(node, F_OK))
		SKIP(return, "%s absent: the target loads no fpgacap-testdma",
		     node);
	engine_reset();
	self->fd = open(node, O_RDONLY);
	ASSERT_LE(0, self->fd) TH_LOG("%s: %s", node, strerror(errno));
}

FIXTURE_TEARDOWN(testdma)
{
	if (self->fd >= 0) {
		xioctl(self->fd, FPGACAP_IOC_STOP, NULL);
		close(self->fd);
	}
	if (self->pool)
		munmap(self->pool, self->cfg.mmap_size);
	modules_back();
	if (!access(node, F_OK))
		engine_reset();
}

static void setup_pool(struct __test_metadata *_metadata,
		       FIXTURE_DATA(testdma) *self, uint32_t count,
		       uint64_t size)
{
	if (self->pool)
		munmap(self->pool, self->cfg.mmap_size);
	self->pool = NULL;
	ASSERT_EQ(0, configure(self->fd, count, size, 0, 0, &self->cfg));
	self->pool = map_pool(self->fd, self->cfg.mmap_size);
	ASSERT_NE(NULL, self->pool);
}

static void new_stream(FIXTURE_DATA(testdma) *self)
{
	self->next_seq = 0;
	self->next_off = 0;
}

static int start(FIXTURE_DATA(testdma) *self)
{
	new_stream(self);
	return xioctl(self->fd, FPGACAP_IOC_START, NULL);
}

/*
 * One buffer of the current stream: its sequence and offset follow the
 * previous buffer's, and its bytes_used bytes are the stream at its
 * offset. Returns false (and counts it) if not.
 */
static bool check_buf(struct __test_metadata *_metadata,
		      FIXTURE_DATA(testdma) *self,
		      const struct fpgacap_buffer *b)
{
	const uint8_t *p = self->pool + (uint64_t)b->index *
				       self->cfg.buffer_size;
	bool ok = true;
	long at;

	if (b->sequence != self->next_seq || b->offset != self->next_off) {
		ok = false;
		if (self->bad < 10)
			TH_LOG("buffer %u: sequence %llu offset %llu, want %llu and %llu",
			       b->index, (unsigned long long)b->sequence,
			       (unsigned long long)b->offset,
			       (unsigned long long)self->next_seq,
			       (unsigned long long)self->next_off);
	}
	at = check_stream(p, b->bytes_used, b->offset);
	if (at >= 0) {
		ok = false;
		if (self->bad < 10)
			TH_LOG("buffer %u seq %llu offset %llu (%llu bytes): byte %ld is %02x, want %02x",
			       b->index, (unsigned long long)b->sequence,
			       (unsigned long long)b->offset,
			       (unsigned long long)b->bytes_used, at, p[at],
			       stream_byte(b->offset + at));
	}
	self->next_seq = b->sequence + 1;
	self->next_off = b->offset + b->bytes_used;
	self->seen++;
	if (!ok)
		self->bad++;
	return ok;
}

/*
 * A full, clean buffer of the current stream. LOST may be set: when every
 * buffer was taken the ring ran dry, and fpgacap cannot know whether the
 * peripheral overran (this one holds back instead: nothing is lost).
 */
static void check_full(struct __test_metadata *_metadata,
		       FIXTURE_DATA(testdma) *self,
		       const struct fpgacap_buffer *b)
{
	EXPECT_EQ(self->cfg.buffer_size, b->bytes_used);
	EXPECT_EQ(0, b->flags & ~FPGACAP_BUF_LOST);
	EXPECT_EQ(0, b->lost_bytes);
	check_buf(_metadata, self, b);
}

/*
 * Why a stream ended: fpgacap's account and the engine's, for a failure's
 * diagnostics (a stall, a failed transfer, a refused descriptor).
 */
static void say_why(struct __test_metadata *_metadata,
		    FIXTURE_DATA(testdma) *self, int err, uint64_t waited_ns)
{
	struct fpgacap_stats st = { 0 };
	struct eng_counts c;

	get_stats(self->fd, &st);
	eng_counts(&c);
	/* A wait far beyond its timeout: the clock jumped (a paused host). */
	TH_LOG("dequeue: %d (%s) after %llu ms; fpgacap: last_error %u, stalls %llu, errors %llu, filled %llu, free %u active %u done %u user %u; engine: transfers %lld failed %lld stalled %lld callbacks %lld terminates %lld",
	       err, strerror(-err),
	       (unsigned long long)(waited_ns / 1000000), st.last_error,
	       (unsigned long long)st.stalls, (unsigned long long)st.errors,
	       (unsigned long long)st.buffers_filled, st.free, st.active,
	       st.done, st.user, c.transfers, c.failed, c.stalled,
	       c.callbacks, c.terminates);
}

/* Dequeue, check and return @n full buffers. */
static void stream(struct __test_metadata *_metadata,
		   FIXTURE_DATA(testdma) *self, uint64_t n)
{
	struct fpgacap_buffer b[16];
	uint64_t got = 0, t0;
	int k, i;

	while (got < n) {
		t0 = now_ns();
		k = dequeue(self->fd, b, 16, 30 * SEC);
		if (k <= 0)
			say_why(_metadata, self, k, now_ns() - t0);
		ASSERT_LT(0, k) TH_LOG("dequeue after %llu buffers",
				       (unsigned long long)got);
		for (i = 0; i < k; i++)
			check_full(_metadata, self, &b[i]);
		ASSERT_EQ(0, give_back_bufs(self->fd, b, k));
		got += k;
	}
}

/* After STOP: what is left is the same stream's tail. Returns the errno. */
static int drain(struct __test_metadata *_metadata,
		 FIXTURE_DATA(testdma) *self)
{
	struct fpgacap_buffer b[16];
	int k, i;

	for (;;) {
		k = dequeue(self->fd, b, 16, 0);
		if (k <= 0)
			return k;
		for (i = 0; i < k; i++)
			check_full(_metadata, self, &b[i]);
		if (give_back_bufs(self->fd, b, k))
			return -EINVAL;
	}
}

/* Stream while waiting for the engine's @name to reach @want. */
static bool stream_until(struct __test_metadata *_metadata,
			 FIXTURE_DATA(testdma) *self, const char *name,
			 long long want, int64_t poll_ns)
{
	struct fpgacap_buffer b[16];
	uint64_t deadline = now_ns() + 120 * SEC;
	int k, i;

	while (eng_get(name) != want) {
		if (now_ns() > deadline)
			return false;
		k = dequeue(self->fd, b, 16, poll_ns);
		if (k == -ETIMEDOUT || k == -EAGAIN)
			continue;
		if (k < 0) {
			TH_LOG("dequeue: %s", strerror(-k));
			return false;
		}
		for (i = 0; i < k; i++)
			check_full(_metadata, self, &b[i]);
		if (give_back_bufs(self->fd, b, k))
			return false;
	}
	return true;
}

static bool swiotlb_forced(void)
{
	char cmdline[4096];

	return !read_file("/proc/cmdline", cmdline, sizeof(cmdline)) &&
	       strstr(cmdline, "swiotlb=force");
}

/*
 * Thousands of buffers, each over several DMA segments (the engine's
 * segments are at most 64 KiB), every byte checked. Under swiotlb=force
 * the pool's mapping must really hold bounce buffers: the engine wrote
 * them, and only fpgacap's syncs brought the data to the pages.
 */
TEST_F_TIMEOUT(testdma, stream_exact, 1800)
{
	const uint64_t size = 3 * 64 * KiB + 8 * KiB;
	struct eng_counts c0, c1;
	struct fpgacap_stats st;
	long long seg;

	RETURN_IF_SKIPPED();
	seg = read_number("/sys/module/fpgacap_testdma/parameters/max_seg_size");
	ASSERT_LT(0, seg);
	setup_pool(_metadata, self, 16, size);
	ASSERT_LE((size + seg - 1) / seg, self->cfg.max_segments);
	TH_LOG("%u chunks, up to %u segments per buffer, %lld-byte segments",
	       self->cfg.chunks, self->cfg.max_segments, seg);
	eng_counts(&c0);
	ASSERT_EQ(0, start(self));
	stream(_metadata, self, 16);
	if (swiotlb_forced()) {
		long long used = read_number("/sys/kernel/debug/swiotlb/io_tlb_used");

		/* 2 KiB slots; at least what the engine has in flight. */
		EXPECT_LE((long long)(4 * size / 2048), used);
		TH_LOG("swiotlb=force: %lld bounce slots in use", used);
	}
	stream(_metadata, self, scaled(3000) - 16);
	ASSERT_EQ(0, xioctl(self->fd, FPGACAP_IOC_STOP, NULL));
	drain(_metadata, self);
	eng_counts(&c1);

	EXPECT_EQ(0, self->bad);
	ASSERT_EQ(0, get_stats(self->fd, &st));
	EXPECT_EQ(0, st.errors);
	EXPECT_EQ(self->seen, st.buffers_filled);
	EXPECT_EQ(self->next_off, st.bytes_filled);
	EXPECT_LE(self->seen, c1.transfers - c0.transfers);
	EXPECT_LE(self->seen, c1.callbacks - c0.callbacks);
	EXPECT_LE((long long)self->next_off, c1.bytes - c0.bytes);
	EXPECT_LE((c1.transfers - c0.transfers) * ((size + seg - 1) / seg),
		  c1.segments - c0.segments);
	TH_LOG("%llu buffers, %llu bytes, %llu bad", (unsigned long long)self->seen,
	       (unsigned long long)self->next_off,
	       (unsigned long long)self->bad);
}

/*
 * TLAST ends a transfer early (AXI DMA S2MM): the callback's residue is
 * what the buffer did not get, so bytes_used = size - residue, the buffer
 * is SHORT, and the next buffer starts at the next byte of the stream.
 * Some lengths are odd, so later buffers start mid-word. Each case arms
 * the engine while it is stopped (idle), so exactly the first transfers
 * of the stream end early.
 */
TEST_F_TIMEOUT(testdma, tlast_short, 600)
{
	const uint64_t size = 2 * 64 * KiB + 4 * KiB;
	const struct { uint32_t bytes, count; } arm[] = {
		{ 12345, 3 },		/* odd: later offsets are unaligned */
		{ 3 * 4096 + 8, 2 },	/* mid-segment, word-aligned */
		{ 64 * KiB, 1 },	/* exactly at a segment's end */
		{ 1, 1 },		/* one byte */
		{ 2 * 64 * KiB + 4 * KiB - 1, 1 },	/* one byte short */
	};
	struct fpgacap_buffer b[16];
	struct eng_counts c0, c1;
	unsigned int a, shorts = 0, want_shorts = 0;

	RETURN_IF_SKIPPED();
	setup_pool(_metadata, self, 8, size);
	eng_counts(&c0);
	for (a = 0; a < sizeof(arm) / sizeof(arm[0]); a++) {
		unsigned int seen_here = 0, got = 0;
		struct fpgacap_stats st;
		uint64_t bytes = 0;
		int k, i;

		ASSERT_EQ(0, eng_set("tlast_after", arm[a].bytes));
		ASSERT_EQ(0, eng_set("tlast_next", arm[a].count));
		want_shorts += arm[a].count;
		ASSERT_EQ(0, start(self));
		while (got < 40) {
			k = dequeue(self->fd, b, 16, 30 * SEC);
			ASSERT_LT(0, k) TH_LOG("dequeue: %s", strerror(-k));
			for (i = 0; i < k; i++) {
				bool first = b[i].sequence < arm[a].count;

				EXPECT_EQ(0, b[i].flags & FPGACAP_BUF_ERROR);
				EXPECT_EQ(first, !!(b[i].flags & FPGACAP_BUF_SHORT));
				EXPECT_EQ(first ? arm[a].bytes : size,
					  b[i].bytes_used);
				seen_here += !!(b[i].flags & FPGACAP_BUF_SHORT);
				check_buf(_metadata, self, &b[i]);
				bytes += b[i].bytes_used;
			}
			ASSERT_EQ(0, give_back_bufs(self->fd, b, k));
			got += k;
		}
		ASSERT_EQ(0, xioctl(self->fd, FPGACAP_IOC_STOP, NULL));
		ASSERT_EQ(-ENODATA, drain(_metadata, self));
		EXPECT_EQ(arm[a].count, seen_here);
		shorts += seen_here;
		/* Every byte accounted: offsets, data and counters agree. */
		ASSERT_EQ(0, get_stats(self->fd, &st));
		EXPECT_EQ(self->next_off, st.bytes_filled);
		EXPECT_LE(bytes, st.bytes_filled);
		EXPECT_EQ(0, st.bytes_dropped);
	}
	eng_counts(&c1);
	EXPECT_EQ(want_shorts, shorts);
	EXPECT_EQ(want_shorts, c1.shortened - c0.shortened);
	EXPECT_EQ(0, self->bad);
}

/*
 * A failed result (a bus error): the buffer is flagged ERROR and holds no
 * data (residue = length), DEQUEUE gives EIO once the good buffers before
 * it are out, STATS and poll say so, and STOP + START gives a clean stream
 * from offset 0 (the engine's FIFO restarts with the terminate).
 */
TEST_F_TIMEOUT(testdma, failed_result, 600)
{
	static const int results[] = { 1, 2, 3 };	/* read, write, abort */
	struct fpgacap_buffer b[16];
	struct eng_counts c0, c1;
	unsigned int r;

	RETURN_IF_SKIPPED();
	setup_pool(_metadata, self, 8, 2 * 64 * KiB);
	for (r = 0; r < 3; r++) {
		struct pollfd pfd = { .fd = self->fd, .events = POLLIN };
		struct fpgacap_stats st;
		int flagged = 0, k, i, tries;

		eng_counts(&c0);
		ASSERT_EQ(0, start(self));
		stream(_metadata, self, 10);
		ASSERT_EQ(0, eng_set("fail_result", results[r]));
		ASSERT_EQ(0, eng_set("fail_next", 1));
		for (tries = 0; tries < 1000; tries++) {
			k = dequeue(self->fd, b, 16, 30 * SEC);
			if (k < 0)
				break;
			for (i = 0; i < k; i++) {
				if (b[i].flags & FPGACAP_BUF_ERROR) {
					flagged++;
					EXPECT_EQ(0, b[i].bytes_used);
					check_buf(_metadata, self, &b[i]);
				} else {
					check_full(_metadata, self, &b[i]);
				}
			}
			ASSERT_EQ(0, give_back_bufs(self->fd, b, k));
		}
		EXPECT_EQ(-EIO, k);
		EXPECT_EQ(1, flagged);
		EXPECT_EQ(1, poll(&pfd, 1, 0));
		EXPECT_TRUE(pfd.revents & POLLERR);
		ASSERT_EQ(0, get_stats(self->fd, &st));
		EXPECT_EQ(FPGACAP_STATE_ERROR, st.state);
		EXPECT_EQ(EIO, st.last_error);
		EXPECT_EQ(1, st.errors);
		eng_counts(&c1);
		EXPECT_EQ(1, c1.failed - c0.failed);

		ASSERT_EQ(0, xioctl(self->fd, FPGACAP_IOC_STOP, NULL));
		ASSERT_EQ(0, start(self));
		stream(_metadata, self, 30);
		ASSERT_EQ(0, xioctl(self->fd, FPGACAP_IOC_STOP, NULL));
		drain(_metadata, self);
		ASSERT_EQ(0, get_stats(self->fd, &st));
		EXPECT_EQ(0, st.errors);
	}
	EXPECT_EQ(0, self->bad);
}

/*
 * A transfer that never ends holds back everything behind it: fpgacap's
 * watchdog turns it into an error (stalls counted, EIO), and STOP + START
 * (the terminate frees it) recovers a clean stream.
 */
TEST_F_TIMEOUT(testdma, stall_watchdog, 600)
{
	struct fpgacap_buffer b[16];
	struct eng_counts c0, c1;
	struct fpgacap_stats st;
	int k = 0, i, tries;

	RETURN_IF_SKIPPED();
	setup_pool(_metadata, self, 8, 2 * 64 * KiB);
	ASSERT_EQ(0, set_dev_attr(node, "stall_timeout_ms", 500));
	eng_counts(&c0);
	ASSERT_EQ(0, start(self));
	stream(_metadata, self, 10);
	ASSERT_EQ(0, eng_set("stall_next", 1));
	for (tries = 0; tries < 1000; tries++) {
		k = dequeue(self->fd, b, 16, 60 * SEC);
		if (k < 0)
			break;
		for (i = 0; i < k; i++)
			check_full(_metadata, self, &b[i]);
		ASSERT_EQ(0, give_back_bufs(self->fd, b, k));
	}
	EXPECT_EQ(-EIO, k);
	ASSERT_EQ(0, get_stats(self->fd, &st));
	EXPECT_EQ(FPGACAP_STATE_ERROR, st.state);
	EXPECT_EQ(ETIMEDOUT, st.last_error);
	EXPECT_EQ(1, st.stalls);
	eng_counts(&c1);
	EXPECT_EQ(1, c1.stalled - c0.stalled);

	ASSERT_EQ(0, xioctl(self->fd, FPGACAP_IOC_STOP, NULL));
	ASSERT_EQ(0, get_stats(self->fd, &st));
	EXPECT_EQ(0, st.active);
	ASSERT_EQ(0, start(self));
	stream(_metadata, self, 30);
	EXPECT_EQ(0, self->bad);
}

/*
 * A callback the engine's tasklet picked up before STOP runs only after
 * the terminate (late_callback_ms later). The engine is the bottleneck
 * (8 MiB/s), so the new stream always has transfers in flight when it
 * comes. With synchronize, terminate_sync waits for it; without (PL330,
 * mSGDMA) it arrives in the new stream, and must not complete any of its
 * buffers: every buffer of the new stream is sequence 0, 1, 2, ... and
 * the stream from offset 0, full and clean.
 */
static void late_callback_case(struct __test_metadata *_metadata,
			       FIXTURE_DATA(testdma) *self, bool sync)
{
	struct eng_counts c0, c1;

	setup_pool(_metadata, self, 8, 2 * 64 * KiB);
	ASSERT_EQ(0, eng_set("synchronize", sync));
	ASSERT_EQ(0, eng_set("rate", 8 * MiB));
	ASSERT_EQ(0, eng_set("late_callback_ms", 1000));
	ASSERT_EQ(0, start(self));
	/* Every buffer once through: none holds offset 0's data by chance. */
	stream(_metadata, self, 3 * 8);

	eng_counts(&c0);
	ASSERT_EQ(0, eng_set("late_callback", 1));
	ASSERT_TRUE(stream_until(_metadata, self, "late_pending", 1,
				 20 * MSEC));
	ASSERT_EQ(0, xioctl(self->fd, FPGACAP_IOC_STOP, NULL));
	drain(_metadata, self);
	ASSERT_EQ(0, start(self));
	ASSERT_TRUE(stream_until(_metadata, self, "late_pending", 0,
				 20 * MSEC));
	/* What the late callback may have done shows in what follows. */
	stream(_metadata, self, 32);
	eng_counts(&c1);

	EXPECT_EQ(0, self->bad);
	EXPECT_LE(32, self->next_seq);
	/* It ran after terminate_sync returned only without synchronize. */
	if (sync) {
		EXPECT_EQ(0, c1.late_callbacks - c0.late_callbacks);
	} else {
		EXPECT_LE(1, c1.late_callbacks - c0.late_callbacks);
	}
	TH_LOG("%llu buffers of the new stream, %lld late callback(s)",
	       (unsigned long long)self->next_seq,
	       c1.late_callbacks - c0.late_callbacks);
}

TEST_F_TIMEOUT(testdma, late_callback_synchronized, 600)
{
	RETURN_IF_SKIPPED();
	SKIP_IF_ONE_CPU();
	late_callback_case(_metadata, self, true);
}

TEST_F_TIMEOUT(testdma, late_callback_unsynchronized, 600)
{
	RETURN_IF_SKIPPED();
	SKIP_IF_ONE_CPU();
	late_callback_case(_metadata, self, false);
}

/*
 * PL330 and mSGDMA call back with no result: dmaengine hands the client
 * DMA_TRANS_NOERROR and residue 0 whatever happened. A driver cannot know
 * in this mode that a transfer failed (bus error) or ended early (TLAST):
 * every completion looks like a full, good buffer, so it can only trust
 * the data of engines that never end early, and must learn of errors some
 * other way (the engine driver's log, a timeout). Healthy data is still
 * exact.
 */
TEST_F_TIMEOUT(testdma, no_result, 900)
{
	struct eng_counts c0, c1;

	RETURN_IF_SKIPPED();
	ASSERT_EQ(0, eng_set("no_result", 1));
	ASSERT_EQ(0, eng_set("synchronize", 0));
	setup_pool(_metadata, self, 16, 3 * 64 * KiB + 8 * KiB);
	eng_counts(&c0);
	ASSERT_EQ(0, start(self));
	stream(_metadata, self, scaled(1000));
	ASSERT_EQ(0, xioctl(self->fd, FPGACAP_IOC_STOP, NULL));
	drain(_metadata, self);
	eng_counts(&c1);
	EXPECT_EQ(0, self->bad);
	EXPECT_LE(self->seen, c1.callbacks - c0.callbacks);
}

/*
 * STOP/START in a tight loop while data flows, STOP landing anywhere:
 * before the first completion, between transfers, mid-transfer (with
 * stop_drain_ms 0 where fpgacap has it, and at a rate). Every stream is
 * exact from 0, and no issue_pending reaches the engine with nothing
 * submitted or running (the PL330 driver WARNs on that and takes a
 * runtime-PM reference), nor for descriptors prepared before a terminate.
 *
 * A callback submits the next transfer under fpgacap's lock and calls
 * issue_pending after dropping it; a STOP on the other CPU in between
 * terminates that transfer, and the issue_pending then finds nothing.
 * The window is a few instructions wide; issue_delay_us widens it as an
 * interrupt or a preempted vCPU would.
 */
enum cycles_mode { CYCLES_PLAIN, CYCLES_PL330, CYCLES_ISSUE_DELAY };

static void stop_start_cycles(struct __test_metadata *_metadata,
			      FIXTURE_DATA(testdma) *self,
			      enum cycles_mode mode)
{
	const int cycles = scaled(300);
	struct fpgacap_buffer b[16];
	struct eng_counts c0, c1;
	char drain_ms[32] = "";
	int i;

	if (!get_param("stop_drain_ms", drain_ms, sizeof(drain_ms)))
		set_param("stop_drain_ms", "0");
	if (mode == CYCLES_PL330) {
		ASSERT_EQ(0, eng_set("synchronize", 0));
		ASSERT_EQ(0, eng_set("no_result", 1));
		ASSERT_EQ(0, eng_set("callbacks_in_issue", 1));
	}
	if (mode == CYCLES_ISSUE_DELAY)
		ASSERT_EQ(0, eng_set("issue_delay_us", 2000));
	setup_pool(_metadata, self, 8, 2 * 64 * KiB);
	eng_counts(&c0);
	for (i = 0; i < cycles; i++) {
		int want = i % 4, got = 0, k, j;
		bool slow = mode != CYCLES_ISSUE_DELAY && i % 3 == 2;

		ASSERT_EQ(0, eng_set("rate", slow ? 32 * MiB : 0));
		ASSERT_EQ(0, start(self));
		while (got < want) {
			k = dequeue(self->fd, b, want - got, 30 * SEC);
			ASSERT_LT(0, k) TH_LOG("cycle %d: dequeue: %s", i,
					       strerror(-k));
			for (j = 0; j < k; j++)
				check_full(_metadata, self, &b[j]);
			ASSERT_EQ(0, give_back_bufs(self->fd, b, k));
			got += k;
		}
		ASSERT_EQ(0, xioctl(self->fd, FPGACAP_IOC_STOP, NULL));
		k = drain(_metadata, self);
		EXPECT_EQ(-ENODATA, k) TH_LOG("cycle %d", i);
	}
	eng_counts(&c1);
	eng_set("issue_delay_us", 0);
	if (drain_ms[0]) {
		drain_ms[strcspn(drain_ms, "\n")] = 0;
		set_param("stop_drain_ms", drain_ms);
	}

	EXPECT_EQ(0, self->bad);
	EXPECT_LE(cycles, c1.terminates - c0.terminates);
	EXPECT_EQ(0, c1.idle_issue_pending - c0.idle_issue_pending);
	EXPECT_EQ(0, c1.stale_submits - c0.stale_submits);
	EXPECT_EQ(0, c1.stale_issued - c0.stale_issued);
	TH_LOG("%d cycles, %llu buffers checked, %lld transfers, %lld issue_pending (%lld with nothing to issue), %lld late callbacks",
	       cycles, (unsigned long long)self->seen,
	       c1.transfers - c0.transfers,
	       c1.issue_pending - c0.issue_pending,
	       c1.idle_issue_pending - c0.idle_issue_pending,
	       c1.late_callbacks - c0.late_callbacks);
}

TEST_F_TIMEOUT(testdma, stop_start_cycles, 900)
{
	RETURN_IF_SKIPPED();
	stop_start_cycles(_metadata, self, CYCLES_PLAIN);
}

TEST_F_TIMEOUT(testdma, stop_start_cycles_pl330, 900)
{
	RETURN_IF_SKIPPED();
	stop_start_cycles(_metadata, self, CYCLES_PL330);
}

TEST_F_TIMEOUT(testdma, stop_start_cycles_issue_delay, 900)
{
	RETURN_IF_SKIPPED();
	stop_start_cycles(_metadata, self, CYCLES_ISSUE_DELAY);
}

/* ---- unbind/bind and rmmod while streaming ---- */

static int wait_for(bool present)
{
	int i;

	for (i = 0; i < 200; i++) {
		if (!access(node, F_OK) == present)
			return 0;
		usleep(50000);
	}
	return -ETIMEDOUT;
}

struct waiter {
	int fd;
	int ret;
};

static void *blocked_dequeue(void *arg)
{
	struct waiter *w = arg;
	struct fpgacap_buffer b;

	w->ret = dequeue(w->fd, &b, 1, -1);
	return NULL;
}

/*
 * A fresh open, configure and a short exact stream: the device works, and
 * while it streams fpgacap holds the channel and so this module.
 */
static void stream_fresh(struct __test_metadata *_metadata,
			 FIXTURE_DATA(testdma) *self, uint64_t n)
{
	self->fd = open(node, O_RDONLY);
	ASSERT_LE(0, self->fd);
	setup_pool(_metadata, self, 8, 2 * 64 * KiB);
	ASSERT_EQ(0, start(self));
	stream(_metadata, self, n);
	EXPECT_EQ(1, chan_held());
	EXPECT_EQ(1, testdma_refcnt());
	ASSERT_EQ(0, xioctl(self->fd, FPGACAP_IOC_STOP, NULL));
	drain(_metadata, self);
}

/*
 * Unbind fpgacap-slave.0 while the engine is mid-stream, a thread blocked
 * in DEQUEUE and a late callback held in the tasklet (no synchronize): the
 * thread wakes with ENODEV, fpgacap lets the channel go (and with it this
 * module), the held callback runs within the stop's grace period and
 * never into the gone device, the pages go with the mapping, and after
 * bind the device streams exactly again.
 */
TEST_F_TIMEOUT(testdma, unbind_bind_streaming, 600)
{
	struct eng_counts c0, c1;
	struct waiter w;
	pthread_t th;
	long before;

	RETURN_IF_SKIPPED();
	SKIP_IF_ONE_CPU();
	ASSERT_EQ(0, configure(self->fd, 0, 0, 0, 0, NULL));
	before = pool_pages();
	ASSERT_EQ(0, eng_set("synchronize", 0));
	ASSERT_EQ(0, eng_set("rate", 8 * MiB));
	setup_pool(_metadata, self, 8, 2 * 64 * KiB);
	ASSERT_EQ(0, start(self));
	stream(_metadata, self, 16);
	EXPECT_EQ(1, chan_held());
	EXPECT_EQ(1, testdma_refcnt());
	eng_counts(&c0);
	ASSERT_EQ(0, eng_set("late_callback", 1));
	ASSERT_TRUE(stream_until(_metadata, self, "late_pending", 1,
				 20 * MSEC));

	w.fd = self->fd;
	w.ret = 1;
	ASSERT_EQ(0, pthread_create(&th, NULL, blocked_dequeue, &w));
	usleep(100000);
	ASSERT_EQ(0, write_file("/sys/bus/platform/drivers/fpgacap/unbind",
				slave_pdev));
	ASSERT_EQ(0, pthread_join(th, NULL));
	EXPECT_EQ(-ENODEV, w.ret);
	EXPECT_EQ(0, chan_held());
	EXPECT_EQ(0, testdma_refcnt());
	EXPECT_EQ(0, eng_get("late_pending"));
	eng_counts(&c1);
	EXPECT_GE(1, c1.late_callbacks - c0.late_callbacks);

	munmap(self->pool, self->cfg.mmap_size);
	self->pool = NULL;
	EXPECT_EQ(before, pool_pages());
	close(self->fd);
	self->fd = -1;

	ASSERT_EQ(0, write_file("/sys/bus/platform/drivers/fpgacap/bind",
				slave_pdev));
	ASSERT_EQ(0, wait_for(true));
	engine_reset();
	stream_fresh(_metadata, self, 50);
	EXPECT_EQ(0, self->bad);
}

/*
 * rmmod while streaming: refused while a file or mapping holds fpgacap,
 * and fpgacap-testdma cannot go while fpgacap holds its channel. Once the
 * streaming file is closed (not stopped first) and unmapped, fpgacap goes
 * (its exit WARNs on any pool page left, which fails the run), the channel
 * with it, and then fpgacap-testdma may go too. Both come back in the
 * job's order (fpgacap first, so the pattern device keeps its name), bind
 * fpgacap-slave.0 again and stream exactly.
 */
TEST_F_TIMEOUT(testdma, rmmod_streaming, 600)
{
	const char *ko = getenv("FPGACAP_KO");
	const char *tko = getenv("FPGACAP_TESTDMA_KO");

	RETURN_IF_SKIPPED();
	if (!ko || access(ko, R_OK) || !tko || access(tko, R_OK))
		SKIP(return, "FPGACAP_KO or FPGACAP_TESTDMA_KO not set");
	ASSERT_EQ(0, eng_set("synchronize", 0));
	ASSERT_EQ(0, eng_set("rate", 8 * MiB));
	setup_pool(_metadata, self, 8, 2 * 64 * KiB);
	ASSERT_EQ(0, start(self));
	stream(_metadata, self, 16);
	EXPECT_EQ(1, chan_held());

	EXPECT_EQ(-EAGAIN, unload_module("fpgacap"));
	EXPECT_EQ(-EAGAIN, unload_module("fpgacap_testdma"));
	close(self->fd);
	self->fd = -1;
	EXPECT_EQ(-EAGAIN, unload_module("fpgacap"));
	munmap(self->pool, self->cfg.mmap_size);
	self->pool = NULL;
	ASSERT_EQ(0, unload_module("fpgacap"));
	EXPECT_EQ(0, wait_for(false));
	EXPECT_EQ(0, chan_held());
	EXPECT_EQ(0, testdma_refcnt());
	ASSERT_EQ(0, unload_module("fpgacap_testdma"));

	ASSERT_EQ(0, load_module(ko, getenv("FPGACAP_KO_PARAMS")));
	ASSERT_EQ(0, load_module(tko, NULL));
	ASSERT_EQ(0, wait_for(true));
	engine_reset();
	stream_fresh(_metadata, self, 50);
	EXPECT_EQ(0, self->bad);
}

/* ---- the device's view apart from the CPU's: syncs that must be there ---- */

/* Does @p hold the bounce checker's poison anywhere in @len bytes? */
static bool poisoned(const uint8_t *p, uint64_t len)
{
	uint64_t i;

	for (i = 0; i + 8 <= len; i += 8)
		if (!memcmp(p + i, "\xa5\xa5\xa5\xa5\xa5\xa5\xa5\xa5", 8))
			return true;
	return false;
}

/*
 * The engine's memory moves through the checking DMA operations
 * (testdma-bounce.c): the device writes a shadow, the CPU's pages are
 * poisoned while the device owns them, and only the sync for the CPU
 * brings the data. Every buffer is exact, so every sync is in its place.
 * Then fpgacap skips its sync for the CPU on purpose for three buffers
 * (a test hook): exactly those three arrive poisoned, and the ones after
 * are exact again. So a missing sync fails this test, on every machine,
 * QEMU's cache-less ones included.
 */
TEST_F_TIMEOUT(testdma, cache_check, 900)
{
	struct fpgacap_buffer b[16];
	int broken = 0, got = 0, k, i;
	long long poisoned0;

	RETURN_IF_SKIPPED();
	if (engdev_set("bounce", 1) == -EOPNOTSUPP)
		SKIP(return, "no per-device DMA operations in this kernel");
	ASSERT_EQ(1, engdev_get("bounce"));
	poisoned0 = engdev_get("bounce_poisoned");
	setup_pool(_metadata, self, 8, 2 * 64 * KiB + 8 * KiB);
	ASSERT_EQ(0, start(self));
	stream(_metadata, self, scaled(100) + 16);
	EXPECT_EQ(0, self->bad);
	EXPECT_LT(poisoned0 + scaled(100), engdev_get("bounce_poisoned"));

	ASSERT_EQ(0, set_dev_hook(node, "inject_skip_sync", 3));
	while (got < 60) {
		uint64_t t0 = now_ns();

		k = dequeue(self->fd, b, 16, 30 * SEC);
		if (k <= 0)
			say_why(_metadata, self, k, now_ns() - t0);
		ASSERT_LT(0, k);
		for (i = 0; i < k; i++) {
			const uint8_t *p = self->pool + (uint64_t)b[i].index *
						       self->cfg.buffer_size;

			if (poisoned(p, b[i].bytes_used)) {
				broken++;
				/* Broken, but its place in the stream is known. */
				self->next_seq = b[i].sequence + 1;
				self->next_off = b[i].offset + b[i].bytes_used;
				continue;
			}
			check_full(_metadata, self, &b[i]);
		}
		ASSERT_EQ(0, give_back_bufs(self->fd, b, k));
		got += k;
	}
	EXPECT_EQ(3, broken);
	EXPECT_EQ(0, self->bad);
	ASSERT_EQ(0, xioctl(self->fd, FPGACAP_IOC_STOP, NULL));
	drain(_metadata, self);
}

/* ---- segments the DMA API can map: swiotlb's 256 KiB, boundaries ---- */

/*
 * Large physically contiguous chunks, an engine that takes 4 MiB
 * segments, and a mapping that takes at most 256 KiB per segment (swiotlb,
 * here real under swiotlb=force or the checking operations' limit) and
 * must not cross a 1 MiB boundary: CONFIGURE must not fail by chance of
 * how contiguous the pages came, and the stream is exact.
 */
TEST_F_TIMEOUT(testdma, mapping_limits, 900)
{
	const uint64_t size = 2 * MiB;
	bool swiotlb = swiotlb_forced();
	struct fpgacap_info info;

	RETURN_IF_SKIPPED();
	ASSERT_EQ(0, engdev_set("max_seg_size", 4 * MiB));
	ASSERT_EQ(0, engdev_set("seg_boundary", 1 * MiB));
	if (!swiotlb) {
		if (engdev_set("bounce", 1) == -EOPNOTSUPP)
			SKIP(return, "no per-device DMA operations here");
		ASSERT_EQ(0, engdev_set("max_mapping", 256 * KiB));
	}
	setup_pool(_metadata, self, 4, size);
	TH_LOG("%u chunks, orders %u..%u, up to %u segments per buffer%s",
	       self->cfg.chunks, self->cfg.min_chunk_order,
	       self->cfg.max_chunk_order, self->cfg.max_segments,
	       swiotlb ? " (swiotlb=force)" : " (bounce, 256 KiB)");
	EXPECT_LE(size / (256 * KiB), self->cfg.max_segments);
	ASSERT_EQ(0, start(self));
	stream(_metadata, self, 40);
	ASSERT_EQ(0, xioctl(self->fd, FPGACAP_IOC_STOP, NULL));
	drain(_metadata, self);
	EXPECT_EQ(0, self->bad);

	/* A pool that bounces is bounded: INFO says how far. */
	ASSERT_EQ(0, xioctl(self->fd, FPGACAP_IOC_INFO, &info));
	EXPECT_GT(256 * MiB, info.max_pool_size);
	EXPECT_EQ(-E2BIG, configure(self->fd, 1, info.max_pool_size +
				    page_size(), 0, 0, NULL));
}

/* ---- slotted pools: payload segments, header rooms the CPU keeps ---- */

/*
 * Datagram slots of 1472 bytes with 24 of header room: the engine gets
 * one segment per slot payload and writes nothing else; the CPU writes
 * each header room while it holds the buffer, and finds it again at the
 * next dequeue, whatever the syncs did to the payloads around it (under
 * the checker's poison, or swiotlb=force's bounce copies).
 */
TEST_F_TIMEOUT(testdma, slots_header_rooms, 600)
{
	const uint32_t S = 1472, H = 24, P = S - H;
	const uint64_t size = 64 * KiB, slots = size / S;
	struct fpgacap_config cfg = {
		.count = 8, .buffer_size = size, .flags = FPGACAP_CFG_WRITABLE,
		.slot_size = S, .slot_header = H,
	};
	struct fpgacap_buffer b[8];
	uint64_t seen = 0, bad_rooms = 0, off = 0;
	uint8_t *pool;
	int n, i;

	RETURN_IF_SKIPPED();
	if (!swiotlb_forced() && engdev_set("bounce", 1) == -EOPNOTSUPP)
		SKIP(return, "no per-device DMA operations here");
	close(self->fd);
	self->fd = open(node, O_RDWR);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, xioctl(self->fd, FPGACAP_IOC_CONFIGURE, &cfg));
	EXPECT_LE(slots, cfg.max_segments);
	pool = mmap(NULL, cfg.mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		    self->fd, 0);
	ASSERT_NE(MAP_FAILED, pool);
	ASSERT_EQ(0, start(self));
	while (seen < scaled(400) + 16) {
		n = dequeue(self->fd, b, 8, 30 * SEC);
		ASSERT_LT(0, n);
		for (i = 0; i < n; i++) {
			uint8_t *p = pool + (uint64_t)b[i].index * size;
			/* Odd, never 0 nor the checker's poison 0xa5. */
			uint8_t mark = (uint8_t)((seen + i) % 0x50) | 1;
			uint64_t k;

			EXPECT_EQ(slots * P, b[i].bytes_used);
			EXPECT_EQ(off, b[i].offset);
			off = b[i].offset + b[i].bytes_used;
			for (k = 0; k < slots; k++) {
				uint8_t *h = p + k * S;
				unsigned int z;

				if (check_stream(h + H, P, b[i].offset + k * P) >= 0)
					self->bad++;
				/* Zero, or the last mark: never the device's. */
				for (z = 1; z < H; z++)
					bad_rooms += h[z] != h[0];
				bad_rooms += h[0] == 0xa5;
				memset(h, mark, H);
			}
		}
		ASSERT_EQ(0, give_back_bufs(self->fd, b, n));
		seen += n;
	}
	ASSERT_EQ(0, xioctl(self->fd, FPGACAP_IOC_STOP, NULL));
	while ((n = dequeue(self->fd, b, 8, 0)) > 0)
		ASSERT_EQ(0, give_back_bufs(self->fd, b, n));
	munmap(pool, cfg.mmap_size);
	EXPECT_EQ(0, self->bad);
	EXPECT_EQ(0, bad_rooms);
}

/* ---- descriptor back-pressure (AXI DMA's fixed descriptors) ---- */

/*
 * Xilinx AXI DMA has a fixed number of hardware descriptors per channel,
 * one per segment, and xilinx_dma's prep returns NULL while earlier
 * transfers hold them. 8 buffers of 256 KiB from order-0 pages, one page
 * per segment (64 segments each), 4 in flight and descriptors for 2.5
 * buffers: a refused prep is back-pressure, not a dead stream. Every
 * descriptor is prepared with DMA_CTRL_ACK (engines that reuse only
 * acknowledged descriptors never give the others back).
 */
TEST_F_TIMEOUT(testdma, descriptor_backpressure, 900)
{
	const uint64_t size = 256 * KiB;
	struct eng_counts c0, c1;
	struct fpgacap_stats st;
	long long refused0, unacked0;

	RETURN_IF_SKIPPED();
	ASSERT_EQ(0, engdev_set("max_seg_size", page_size()));
	ASSERT_EQ(0, set_hook("inject_error", 0));	/* hooks on */
	ASSERT_EQ(0, set_debugfs("alloc_fail_order", 1));
	setup_pool(_metadata, self, 8, size);
	EXPECT_EQ(0, self->cfg.max_chunk_order);
	ASSERT_EQ(size / page_size(), self->cfg.max_segments);
	ASSERT_EQ(0, eng_set("desc_limit", 5 * size / page_size() / 2));
	refused0 = eng_get("prep_refused");
	unacked0 = eng_get("unacked");
	eng_counts(&c0);
	ASSERT_EQ(0, start(self));
	stream(_metadata, self, scaled(300));
	ASSERT_EQ(0, xioctl(self->fd, FPGACAP_IOC_STOP, NULL));
	drain(_metadata, self);
	eng_counts(&c1);

	EXPECT_EQ(0, self->bad);
	ASSERT_EQ(0, get_stats(self->fd, &st));
	EXPECT_EQ(0, st.errors);
	EXPECT_EQ(0, st.last_error);
	EXPECT_LT(refused0, eng_get("prep_refused"))
		TH_LOG("the limit never refused a prep: the test proves nothing");
	EXPECT_EQ(unacked0, eng_get("unacked"));
	EXPECT_EQ(0, eng_get("desc_used"));
	TH_LOG("%llu buffers exact, %lld preps refused, %lld transfers",
	       (unsigned long long)self->seen,
	       eng_get("prep_refused") - refused0,
	       c1.transfers - c0.transfers);
}

/*
 * A buffer that needs more descriptors than the channel has can never be
 * prepared: with nothing in flight that fails the stream (ENOMEM, EIO to
 * DEQUEUE) within a bounded time instead of hanging, and the device works
 * again once configured for the engine.
 */
TEST_F_TIMEOUT(testdma, descriptor_never_enough, 300)
{
	const uint64_t size = 256 * KiB;
	struct fpgacap_buffer b[16];
	struct fpgacap_stats st;
	uint64_t t0;
	int k;

	RETURN_IF_SKIPPED();
	ASSERT_EQ(0, engdev_set("max_seg_size", page_size()));
	setup_pool(_metadata, self, 4, size);
	ASSERT_EQ(0, eng_set("desc_limit", self->cfg.max_segments - 1));
	t0 = now_ns();
	ASSERT_EQ(0, start(self));
	k = dequeue(self->fd, b, 16, 30 * SEC);
	EXPECT_EQ(-EIO, k);
	EXPECT_GT(10 * SEC, now_ns() - t0);
	ASSERT_EQ(0, get_stats(self->fd, &st));
	EXPECT_EQ(FPGACAP_STATE_ERROR, st.state);
	EXPECT_EQ(ENOMEM, st.last_error);
	ASSERT_EQ(0, xioctl(self->fd, FPGACAP_IOC_STOP, NULL));

	ASSERT_EQ(0, eng_set("desc_limit", 0));
	ASSERT_EQ(0, start(self));
	stream(_metadata, self, 20);
	EXPECT_EQ(0, self->bad);
}

/* ---- late callbacks: never of an old stream, never after teardown ---- */

/*
 * An engine without device_synchronize whose callbacks run from a thread
 * (shdma's threaded interrupt): a callback its thread picked up before
 * STOP comes seconds later, and the thread runs the callbacks behind it
 * only after it. Meanwhile more STOP/START cycles than fpgacap's callback
 * parameters once had generations, each START leaving transfers in
 * flight; the late callback must complete none of them: every buffer
 * that follows is exact. Many more cycles then wear out the parameters
 * that never get a callback (terminated transfers, retired), and streams
 * stay exact.
 */
TEST_F_TIMEOUT(testdma, late_callback_across_generations, 900)
{
	struct eng_counts c0, c1;
	int cycle;

	RETURN_IF_SKIPPED();
	ASSERT_EQ(0, eng_set("synchronize", 0));
	ASSERT_EQ(0, eng_set("callbacks_from_thread", 1));
	ASSERT_EQ(0, eng_set("rate", 4 * MiB));
	ASSERT_EQ(0, eng_set("late_callback_ms", 4000));
	/* The held callback holds up every completion: no stall verdict. */
	ASSERT_EQ(0, set_dev_attr(node, "stall_timeout_ms", 20000));
	setup_pool(_metadata, self, 8, 128 * KiB);
	ASSERT_EQ(0, start(self));
	stream(_metadata, self, 3 * 8);
	eng_counts(&c0);
	ASSERT_EQ(0, eng_set("late_callback", 1));
	ASSERT_TRUE(stream_until(_metadata, self, "late_pending", 1,
				 20 * MSEC));
	/*
	 * Four cycles while it is held, each leaving transfers in flight: the
	 * fourth new stream is where parameters of a four-generation window
	 * would name its transfers again.
	 */
	for (cycle = 0; cycle < 4; cycle++) {
		ASSERT_EQ(0, xioctl(self->fd, FPGACAP_IOC_STOP, NULL));
		drain(_metadata, self);
		ASSERT_EQ(0, start(self));
		usleep(20000);
	}
	EXPECT_EQ(1, eng_get("late_pending"));
	/* It comes, then what was behind it: all of this stream, exact. */
	stream(_metadata, self, 24);
	eng_counts(&c1);
	EXPECT_LE(1, c1.late_callbacks - c0.late_callbacks);
	EXPECT_EQ(0, eng_get("late_pending"));
	EXPECT_EQ(0, self->bad);

	/*
	 * Cycles with transfers in flight, well past what one set of callback
	 * parameters holds once its terminated transfers' are retired: the
	 * source takes a new set (the old one stays for the late callbacks
	 * that may come), and every stream is exact.
	 */
	for (cycle = 0; cycle < 60; cycle++) {
		ASSERT_EQ(0, xioctl(self->fd, FPGACAP_IOC_STOP, NULL));
		drain(_metadata, self);
		ASSERT_EQ(0, start(self));
		stream(_metadata, self, 1);
	}
	ASSERT_EQ(0, xioctl(self->fd, FPGACAP_IOC_STOP, NULL));
	drain(_metadata, self);
	EXPECT_EQ(1, chan_held());
	EXPECT_EQ(0, self->bad);
	TH_LOG("%llu buffers exact", (unsigned long long)self->seen);
}

/*
 * Unbind and bind, over and over, each time with a callback held that the
 * engine runs while fpgacap releases the channel (flush_on_free), from a
 * thread or in softirq context: nothing of fpgacap may run after its
 * source is gone (KASAN sees a work item that outlives it).
 */
TEST_F_TIMEOUT(testdma, late_callback_unbind_loops, 900)
{
	int loop;

	RETURN_IF_SKIPPED();
	for (loop = 0; loop < 6; loop++) {
		struct eng_counts c0, c1;

		if (self->fd < 0) {
			self->fd = open(node, O_RDONLY);
			ASSERT_LE(0, self->fd);
		}
		/* On one CPU only a thread can be seen holding it. */
		bool thread = (loop & 1) || sysconf(_SC_NPROCESSORS_ONLN) < 2;

		ASSERT_EQ(0, eng_set("synchronize", 0));
		ASSERT_EQ(0, eng_set("flush_on_free", 1));
		ASSERT_EQ(0, eng_set("callbacks_from_thread", thread));
		ASSERT_EQ(0, eng_set("rate", 8 * MiB));
		ASSERT_EQ(0, eng_set("late_callback_ms", 500));
		setup_pool(_metadata, self, 8, 64 * KiB);
		ASSERT_EQ(0, start(self));
		stream(_metadata, self, 8);
		eng_counts(&c0);
		ASSERT_EQ(0, eng_set("late_callback", 1));
		ASSERT_TRUE(stream_until(_metadata, self, "late_pending", 1,
					 20 * MSEC));
		ASSERT_EQ(0, write_file("/sys/bus/platform/drivers/fpgacap/unbind",
					slave_pdev));
		eng_counts(&c1);
		/* It ran after the terminate, and nothing of fpgacap after. */
		EXPECT_EQ(0, eng_get("late_pending"));
		EXPECT_EQ(1, c1.late_callbacks - c0.late_callbacks);
		EXPECT_EQ(0, chan_held());
		munmap(self->pool, self->cfg.mmap_size);
		self->pool = NULL;
		close(self->fd);
		self->fd = -1;
		usleep(200000);	/* a stray work item would run now */
		ASSERT_EQ(0, write_file("/sys/bus/platform/drivers/fpgacap/bind",
					slave_pdev));
		ASSERT_EQ(0, wait_for(true));
		engine_reset();
	}
	stream_fresh(_metadata, self, 20);
	EXPECT_EQ(0, self->bad);
}

/*
 * An engine that cannot terminate a transfer (altera-msgdma registers no
 * device_terminate_all): fpgacap refuses its channel at probe, saying
 * why, rather than let STOP leave it writing pages the pool lets go of.
 */
TEST_F_TIMEOUT(testdma, refuses_engine_without_terminate, 300)
{
	RETURN_IF_SKIPPED();
	close(self->fd);
	self->fd = -1;
	ASSERT_EQ(0, write_file("/sys/bus/platform/drivers/fpgacap/unbind",
				slave_pdev));
	ASSERT_EQ(0, wait_for(false));
	ASSERT_EQ(0, eng_set("terminate", 0));
	EXPECT_EQ(-EOPNOTSUPP,
		  write_file("/sys/bus/platform/drivers/fpgacap/bind",
			     slave_pdev));
	EXPECT_NE(0, access(node, F_OK));
	ASSERT_EQ(0, eng_set("terminate", 1));
	ASSERT_EQ(0, write_file("/sys/bus/platform/drivers/fpgacap/bind",
				slave_pdev));
	ASSERT_EQ(0, wait_for(true));
	engine_reset();
	stream_fresh(_metadata, self, 20);
	EXPECT_EQ(0, self->bad);
}

/* ---- read() and a failed transfer mid-stream ---- */

/*
 * One transfer fails mid-stream while several are in flight: read() gives
 * the bytes before it, then EIO (the next call when bytes were already
 * copied in this one). The stream ends at the failure: the transfers the
 * engine finished behind it never arrive, read() says EIO until STOP,
 * then end of file. Each call's bytes are contiguous in the stream.
 */
TEST_F_TIMEOUT(testdma, read_failed_transfer, 600)
{
	const size_t chunk = 3 * 64 * KiB + 4 * KiB;	/* spans buffers */
	uint64_t off = 0, failed_at = 0;
	long long failed0 = eng_get("failed");
	int reads, eios = 0;
	uint8_t *buf;

	RETURN_IF_SKIPPED();
	buf = malloc(chunk);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, configure(self->fd, 8, 64 * KiB, 0, 0, NULL));
	ASSERT_EQ(0, eng_set("rate", 16 * MiB));
	for (reads = 0; reads < 1000 && eios < 4; reads++) {
		ssize_t n;

		if (reads == 4) {
			/* Armed now, it fails a transfer behind those in flight. */
			ASSERT_EQ(0, eng_set("fail_next", 1));
		}
		n = read(self->fd, buf, chunk);
		if (n < 0) {
			ASSERT_EQ(EIO, errno);
			ASSERT_EQ(1, eng_get("failed") - failed0);
			if (!eios++) {
				failed_at = eng_get("failed_at");
				/* Everything before the failed transfer, no more. */
				EXPECT_EQ(failed_at, off);
			}
			/* Time for the transfers behind it to finish. */
			usleep(50 * 1000);
			continue;
		}
		ASSERT_LT(0, n);
		EXPECT_EQ(0, eios) TH_LOG("%zd bytes after the failure", n);
		if (eng_get("failed") > failed0)
			EXPECT_GE(eng_get("failed_at"), off + n);
		EXPECT_EQ(-1, check_stream(buf, n, off))
			TH_LOG("read %d: %zd bytes at %llu", reads, n,
			       (unsigned long long)off);
		off += n;
	}
	EXPECT_EQ(4, eios);
	EXPECT_EQ(failed_at, off);
	ASSERT_EQ(0, xioctl(self->fd, FPGACAP_IOC_STOP, NULL));
	EXPECT_EQ(0, read(self->fd, buf, chunk));
	free(buf);
}

TEST_HARNESS_MAIN
