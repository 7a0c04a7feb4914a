// SPDX-License-Identifier: GPL-2.0-only
/*
 * Systematic fault injection: with the kernel's per-task fail-nth, fail
 * the 1st, 2nd, ... allocation or user copy inside each entry point (open,
 * configure, mmap, start, dequeue, return, read, bind) until the call
 * succeeds without reaching an injection point. Every injected failure must
 * give a clean errno, leak nothing (pool pages here, kmemleak at the end of
 * the guest run), and leave the device usable: a normal configure and
 * stream afterwards is byte-exact. A failed DEQUEUE, RETURN or read()
 * consumes nothing: the same buffer, or the same bytes, come next. Needs
 * CONFIG_FAULT_INJECTION, and CONFIG_FAULT_INJECTION_USERCOPY for the user
 * copies (the debug guests).
 */
#include <sys/syscall.h>

#include "kselftest_harness.h"
#include "fpgacap_test.h"

#define SEC 1000000000LL
#define MAX_NTH 2000

/*
 * Let failslab and fail_page_alloc fail any allocation fail-nth picks, and
 * fail_usercopy any user copy where the kernel has it. Quietly: a report
 * per injected fault would bury the log.
 */
static int setup_injection(bool *usercopy)
{
	static const char *const knobs[][2] = {
		{ "failslab/ignore-gfp-wait", "N" },
		{ "failslab/cache-filter", "N" },
		{ "failslab/verbose", "0" },
		{ "fail_page_alloc/ignore-gfp-wait", "N" },
		{ "fail_page_alloc/ignore-gfp-highmem", "N" },
		{ "fail_page_alloc/min-order", "0" },
		{ "fail_page_alloc/verbose", "0" },
	};
	char path[128];
	unsigned int i;

	for (i = 0; i < sizeof(knobs) / sizeof(knobs[0]); i++) {
		snprintf(path, sizeof(path), "/sys/kernel/debug/%s",
			 knobs[i][0]);
		if (write_file(path, knobs[i][1]))
			return -ENOENT;
	}
	*usercopy = !write_file("/sys/kernel/debug/fail_usercopy/verbose", "0");
	return 0;
}

/* The calling thread's fail-nth, opened before any injection. */
static int open_fail_nth(void)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/task/%ld/fail-nth",
		 (long)syscall(SYS_gettid));
	return open(path, O_RDWR);
}

/* Fail the @n-th injection point from now on (0: none). */
static void arm(int nth_fd, int n)
{
	char v[16];
	int len = snprintf(v, sizeof(v), "%d", n);

	/*
	 * Writing copies from user space: with a fault still armed, that
	 * copy may be the one to fail, which disarms it; write again.
	 */
	if (pwrite(nth_fd, v, len, 0) == len)
		return;
	if (errno != EFAULT || pwrite(nth_fd, v, len, 0) != len)
		abort();
}

/* True if the armed fault was injected before now (and disarm). */
static bool fired(int nth_fd)
{
	char v[16] = "";
	ssize_t len = pread(nth_fd, v, sizeof(v) - 1, 0);

	/* The call left the fault to this read's own copy-out. */
	if (len < 0 && errno == EFAULT)
		return false;
	if (len <= 0)
		abort();
	arm(nth_fd, 0);
	return atoi(v) == 0;
}

/* A clean errno from a failed allocation somewhere on the path. */
static bool clean_errno(int err)
{
	return err == -ENOMEM || err == -EINTR || err == -EAGAIN ||
	       err == -ENOSPC || err == -EFAULT;
}

/* The device streams byte-exact again, and nothing leaked. */
static void usable(struct __test_metadata *_metadata, long pages)
{
	int fd;

	ASSERT_EQ(0, wait_for_node());
	fd = open(dev_path(), O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_STREAMS_ON(fd);
	close(fd);
	EXPECT_EQ(pages, pool_pages());
}

FIXTURE(fail) {
	int nth;
	long pages;
	bool usercopy;
	char pdev[128];
};

enum entry { OPEN, CONFIGURE, MMAP, START, DEQUEUE, RETURN, READ, BIND };

FIXTURE_VARIANT(fail) {
	enum entry what;
};

FIXTURE_SETUP(fail)
{
	self->nth = -1;
	if (setup_injection(&self->usercopy))
		SKIP(return, "kernel without fault injection debugfs");
	/* Their only injection points are user copies. */
	if ((variant->what == DEQUEUE || variant->what == RETURN) &&
	    !self->usercopy)
		SKIP(return, "kernel without fail_usercopy");
	self->nth = open_fail_nth();
	if (self->nth < 0)
		SKIP(return, "no fail-nth: %s", strerror(errno));
	self->pages = pool_pages();

	ASSERT_EQ(0, platform_name(self->pdev, sizeof(self->pdev)));
}

FIXTURE_TEARDOWN(fail)
{
	if (self->nth >= 0)
		close(self->nth);
	/* Leave the device bound for the next test, whatever happened. */
	if (access(dev_path(), F_OK)) {
		driver_attr("bind", self->pdev);
		wait_for_node();
	}
}

/* What one call left behind, to check and undo once disarmed. */
struct trial {
	int fd;
	void *map;
	size_t len;
	bool armed;			/* set up, then armed */
	struct fpgacap_buffer buf;	/* DEQUEUE's first, RETURN's */
	char data[4096];		/* what read() gave */
};

/* Until the stream has a filled buffer to hand out. */
static int wait_filled(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 10000) == 1 ? 0 : -ETIMEDOUT;
}

/* Open a stream of 4 x 64 KiB buffers, started, one of them filled. */
static int started(struct trial *t, struct fpgacap_config *cfg)
{
	if (configure(t->fd, 4, 64 * KiB, 0, 0, cfg) ||
	    xioctl(t->fd, FPGACAP_IOC_START, NULL) || wait_filled(t->fd))
		return -EIO;
	return 0;
}

/*
 * One call of @what on a fresh device with the @n-th injection point armed
 * to fail. Everything the test does besides the call itself happens before
 * arming or after disarming. Returns 0 or -errno.
 */
static int call(int nth, int n, enum entry what, const char *pdev,
		struct trial *t)
{
	struct fpgacap_config cfg = { 0 };
	uint32_t idx;
	int ret = 0;

	t->fd = -1;
	t->map = NULL;
	t->armed = false;
	if (what == BIND) {
		/* Fails harmlessly when the last injection left it unbound. */
		driver_attr("unbind", pdev);
		arm(nth, n);
		return driver_attr("bind", pdev);
	}
	if (what != OPEN) {
		t->fd = open(dev_path(), O_RDONLY);
		if (t->fd < 0)
			return -errno;
		if ((what == MMAP || what == START) &&
		    configure(t->fd, 4, 64 * KiB, 0, 0, &cfg))
			return -EIO;
		if ((what == DEQUEUE || what == RETURN) && started(t, &cfg))
			return -EIO;
		if (what == RETURN && dequeue(t->fd, &t->buf, 1, 0) != 1)
			return -EIO;
	}
	arm(nth, n);
	t->armed = true;
	switch (what) {
	case OPEN:
		t->fd = open(dev_path(), O_RDONLY);
		ret = t->fd < 0 ? -errno : 0;
		break;
	case CONFIGURE:
		ret = configure(t->fd, 8, 64 * KiB, 0, 0, &cfg);
		break;
	case MMAP:
		t->map = mmap(NULL, cfg.mmap_size, PROT_READ, MAP_SHARED,
			      t->fd, 0);
		t->len = cfg.mmap_size;
		ret = t->map == MAP_FAILED ? -errno : 0;
		break;
	case START:
		ret = xioctl(t->fd, FPGACAP_IOC_START, NULL);
		break;
	case DEQUEUE:
		ret = dequeue(t->fd, &t->buf, 1, 0);
		ret = ret < 0 ? ret : 0;
		break;
	case RETURN:
		idx = t->buf.index;
		ret = give_back(t->fd, &idx, 1);
		break;
	default:
		ret = read(t->fd, t->data, sizeof(t->data)) < 0 ? -errno : 0;
		break;
	}
	return ret;
}

/*
 * What a failed call left must be what it found: DEQUEUE's buffer is
 * still the next one, RETURN's is still the caller's, read()'s bytes are
 * still the next ones. What a call that succeeded did is done once.
 */
static void consumed_nothing(struct __test_metadata *_metadata,
			     enum entry what, int ret, struct trial *t, int n)
{
	struct fpgacap_buffer b;
	struct fpgacap_stats st;
	uint32_t idx = t->buf.index;

	switch (what) {
	case DEQUEUE:
		ASSERT_EQ(0, get_stats(t->fd, &st));
		EXPECT_EQ(ret ? 0 : 1, st.user) TH_LOG("n=%d", n);
		b = t->buf;
		if (ret)
			ASSERT_EQ(1, dequeue(t->fd, &b, 1, 0)) TH_LOG("n=%d", n);
		EXPECT_EQ(0, b.sequence) TH_LOG("n=%d", n);
		break;
	case RETURN:
		ASSERT_EQ(0, get_stats(t->fd, &st));
		EXPECT_EQ(ret ? 1 : 0, st.user) TH_LOG("n=%d", n);
		/* Held still, or given back already: once only. */
		EXPECT_EQ(ret ? 0 : -EINVAL, give_back(t->fd, &idx, 1))
			TH_LOG("n=%d", n);
		break;
	case READ:
		if (ret)
			ASSERT_EQ((ssize_t)sizeof(t->data),
				  read(t->fd, t->data, sizeof(t->data)));
		EXPECT_EQ(-1, check_pattern(t->data, sizeof(t->data), 0))
			TH_LOG("n=%d", n);
		break;
	default:
		break;
	}
}

static void undo(struct trial *t)
{
	if (t->map && t->map != MAP_FAILED)
		munmap(t->map, t->len);
	if (t->fd >= 0)
		close(t->fd);
}

FIXTURE_VARIANT_ADD(fail, open) { .what = OPEN };
FIXTURE_VARIANT_ADD(fail, configure) { .what = CONFIGURE };
FIXTURE_VARIANT_ADD(fail, mmap) { .what = MMAP };
FIXTURE_VARIANT_ADD(fail, start) { .what = START };
FIXTURE_VARIANT_ADD(fail, dequeue) { .what = DEQUEUE };
FIXTURE_VARIANT_ADD(fail, return) { .what = RETURN };
FIXTURE_VARIANT_ADD(fail, read) { .what = READ };
FIXTURE_VARIANT_ADD(fail, bind) { .what = BIND };

/*
 * With @on, only user copies are injection points: no slab cache is
 * picked by failslab's filter, and no page allocation reaches
 * fail_page_alloc's minimum order.
 */
static int only_user_copies(bool on)
{
	if (write_file("/sys/kernel/debug/failslab/cache-filter",
		       on ? "Y" : "N") ||
	    write_file("/sys/kernel/debug/fail_page_alloc/min-order",
		       on ? "11" : "0"))
		return -ENOENT;
	return 0;
}

/*
 * Fail the 1st, 2nd, ... injection point of one call of @what until a call
 * reaches none. Returns the faults injected; @efault counts the calls
 * that failed with EFAULT.
 */
static int sweep(struct __test_metadata *_metadata, FIXTURE_DATA(fail) *self,
		 enum entry what, int *efault)
{
	int n, ret, injected = 0;

	for (n = 1; n < MAX_NTH; n++) {
		struct trial t;
		bool injected_now;

		ret = call(self->nth, n, what, self->pdev, &t);
		injected_now = fired(self->nth);
		if (t.armed)
			consumed_nothing(_metadata, what, ret, &t, n);
		undo(&t);
		if (!injected_now) {
			/* No injection point left: the call must succeed. */
			EXPECT_EQ(0, ret) TH_LOG("n=%d: %s", n, strerror(-ret));
			break;
		}
		injected++;
		*efault += ret == -EFAULT;
		/* A failure somewhere before our code may still succeed. */
		if (ret)
			EXPECT_TRUE(clean_errno(ret))
				TH_LOG("n=%d: %s", n, strerror(-ret));
		if (what == BIND) {
			/*
			 * A failed probe gives back what it took: bound again,
			 * the device gets its old name (the lowest free minor)
			 * back.
			 */
			if (ret)
				EXPECT_EQ(0, driver_attr("bind", self->pdev));
			EXPECT_EQ(0, wait_for_node()) TH_LOG("n=%d", n);
			if (access(dev_path(), F_OK))
				break;
			continue;
		}
		EXPECT_EQ(self->pages, pool_pages()) TH_LOG("n=%d", n);
	}
	EXPECT_GT(MAX_NTH, n);
	return injected;
}

TEST_F_TIMEOUT(fail, every_nth_fault, 900)
{
	int all, copies = 0, efault = 0, unused = 0;

	RETURN_IF_SKIPPED();
	/* Allocations and user copies together. */
	all = sweep(_metadata, self, variant->what, &unused);
	/*
	 * User copies alone. How many allocations a call makes can differ by
	 * one from call to call (KASAN's stack depot, kmemleak), so the
	 * sweep above can end one short of the call's last point, which is
	 * often its copy out. Without the allocators the count is exact, and
	 * every copy that fails must fail the call with EFAULT.
	 */
	if (self->usercopy) {
		ASSERT_EQ(0, only_user_copies(true));
		copies = sweep(_metadata, self, variant->what, &efault);
		ASSERT_EQ(0, only_user_copies(false));
		EXPECT_EQ(copies, efault);
		if (variant->what != MMAP && variant->what != START)
			EXPECT_LT(0, copies);
	}
	usable(_metadata, self->pages);
	TH_LOG("%d faults injected; in user copies alone %d", all, copies);
}

TEST_HARNESS_MAIN
