// SPDX-License-Identifier: GPL-2.0-only
/*
 * Systematic fault injection: with the kernel's per-task fail-nth, fail
 * the 1st, 2nd, ... allocation inside each entry point (open, configure,
 * mmap, start, read, bind) until the call succeeds without reaching an
 * injection point. Every injected failure must give a clean errno, leak
 * nothing (pool pages here, kmemleak at the end of the guest run), and
 * leave the device usable: a normal configure and stream afterwards is
 * byte-exact. Needs CONFIG_FAULT_INJECTION (the debug guests).
 */
#include <sys/syscall.h>

#include "kselftest_harness.h"
#include "fpgacap_test.h"

#define SEC 1000000000LL
#define MAX_NTH 2000

/* Let failslab and fail_page_alloc fail any allocation fail-nth picks. */
static int setup_injection(void)
{
	static const char *const knobs[][2] = {
		{ "failslab/ignore-gfp-wait", "N" },
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

static void arm(int nth_fd, int n)
{
	char v[16];
	int len = snprintf(v, sizeof(v), "%d", n);

	if (pwrite(nth_fd, v, len, 0) != len)
		abort();
}

/* True if the armed fault was injected (and disarm either way). */
static bool fired(int nth_fd)
{
	char v[16] = "";
	bool injected;

	if (pread(nth_fd, v, sizeof(v) - 1, 0) <= 0)
		abort();
	injected = atoi(v) == 0;
	arm(nth_fd, 0);
	return injected;
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
	char pdev[128];
};

FIXTURE_SETUP(fail)
{
	if (setup_injection())
		SKIP(return, "kernel without fault injection debugfs");
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

enum entry { OPEN, CONFIGURE, MMAP, START, READ, BIND };

/* What one call left behind, to undo once fail-nth is disarmed. */
struct trial {
	int fd;
	void *map;
	size_t len;
};

/*
 * One call of @what on a fresh device with the @n-th allocation armed to
 * fail. Everything the test does besides the call itself happens before
 * arming or after disarming. Returns 0 or -errno.
 */
static int call(int nth, int n, enum entry what, const char *pdev,
		struct trial *t)
{
	struct fpgacap_config cfg = { 0 };
	char buf[4096];
	int ret = 0;

	t->fd = -1;
	t->map = NULL;
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
		if (what != CONFIGURE && what != READ &&
		    configure(t->fd, 4, 64 * KiB, 0, 0, &cfg))
			return -EIO;
	}
	arm(nth, n);
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
	default:
		ret = read(t->fd, buf, sizeof(buf)) < 0 ? -errno : 0;
		break;
	}
	return ret;
}

static void undo(struct trial *t)
{
	if (t->map && t->map != MAP_FAILED)
		munmap(t->map, t->len);
	if (t->fd >= 0)
		close(t->fd);
}

FIXTURE_VARIANT(fail) {
	enum entry what;
};

FIXTURE_VARIANT_ADD(fail, open) { .what = OPEN };
FIXTURE_VARIANT_ADD(fail, configure) { .what = CONFIGURE };
FIXTURE_VARIANT_ADD(fail, mmap) { .what = MMAP };
FIXTURE_VARIANT_ADD(fail, start) { .what = START };
FIXTURE_VARIANT_ADD(fail, read) { .what = READ };
FIXTURE_VARIANT_ADD(fail, bind) { .what = BIND };

TEST_F_TIMEOUT(fail, every_nth_allocation, 900)
{
	int n, ret, injected = 0;

	RETURN_IF_SKIPPED();
	for (n = 1; n < MAX_NTH; n++) {
		struct trial t;
		bool injected_now;

		ret = call(self->nth, n, variant->what, self->pdev, &t);
		injected_now = fired(self->nth);
		undo(&t);
		if (!injected_now) {
			/* No injection point left: the call must succeed. */
			EXPECT_EQ(0, ret) TH_LOG("n=%d: %s", n, strerror(-ret));
			break;
		}
		injected++;
		/* A failure somewhere before our code may still succeed. */
		if (ret)
			EXPECT_TRUE(clean_errno(ret))
				TH_LOG("n=%d: %s", n, strerror(-ret));
		if (variant->what == BIND) {
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
	usable(_metadata, self->pages);
	TH_LOG("%d faults injected", injected);
}

TEST_HARNESS_MAIN
