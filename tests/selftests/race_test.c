// SPDX-License-Identifier: GPL-2.0-only
/*
 * A user buffer that faults slowly (userfaultfd: the fault waits until
 * this test resolves it) must not hold up unbind: the driver copies to
 * and from user memory without the device lock. One case per copy:
 * DEQUEUE's buffer array, RETURN's index array, read()'s destination.
 */
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <sys/syscall.h>

#include "kselftest_harness.h"
#include "fpgacap_test.h"

#define SEC 1000000000LL

/* A page whose first touch blocks until resolved through @uffd. */
static void *trap_page(int *uffd)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	void *p;

	*uffd = syscall(SYS_userfaultfd, O_CLOEXEC);
	if (*uffd < 0)
		return NULL;
	p = mmap(NULL, page_size(), PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	reg.range.start = (uintptr_t)p;
	reg.range.len = page_size();
	if (ioctl(*uffd, UFFDIO_API, &api) ||
	    ioctl(*uffd, UFFDIO_REGISTER, &reg))
		return NULL;
	return p;
}

/* Wait until something faults on the trap; 0 or -ETIMEDOUT. */
static int wait_fault(int uffd)
{
	struct pollfd pfd = { .fd = uffd, .events = POLLIN };
	struct uffd_msg msg;

	if (poll(&pfd, 1, 10000) != 1)
		return -ETIMEDOUT;
	return read(uffd, &msg, sizeof(msg)) == sizeof(msg) ? 0 : -EIO;
}

/* Fill the trap page with @byte: the blocked copy carries on. */
static void resolve(int uffd, void *page, int byte)
{
	static uint8_t src[65536];
	struct uffdio_copy copy = {
		.dst = (uintptr_t)page,
		.src = (uintptr_t)src,
		.len = page_size(),
	};

	memset(src, byte, sizeof(src));
	ioctl(uffd, UFFDIO_COPY, &copy);
}

struct call {
	int fd;
	int what;		/* 0 DEQUEUE, 1 RETURN, 2 read */
	void *arg;
	long ret;
};

static void *blocked_call(void *arg)
{
	struct call *c = arg;

	switch (c->what) {
	case 0:
		c->ret = dequeue(c->fd, c->arg, 1, 5 * SEC);
		break;
	case 1:
		c->ret = give_back(c->fd, c->arg, 1);
		break;
	default:
		c->ret = read(c->fd, c->arg, 4096) < 0 ? -errno : 0;
		break;
	}
	return NULL;
}

struct resolver {
	int uffd;
	void *page;
};

static void *resolve_later(void *arg)
{
	struct resolver *r = arg;

	sleep_mono(5 * SEC);
	resolve(r->uffd, r->page, 0);
	return NULL;
}

struct unbind {
	const char *pdev;
	volatile int done;
	int ret;
};

static void *do_unbind(void *arg)
{
	struct unbind *u = arg;

	u->ret = driver_attr("unbind", u->pdev);
	u->done = 1;
	return NULL;
}

FIXTURE(uffd) {
	int fd, uffd;
	void *page;
	char pdev[128];
};

FIXTURE_VARIANT(uffd) {
	int what;
};

FIXTURE_VARIANT_ADD(uffd, dequeue) { .what = 0 };
FIXTURE_VARIANT_ADD(uffd, give_back) { .what = 1 };
FIXTURE_VARIANT_ADD(uffd, read) { .what = 2 };

FIXTURE_SETUP(uffd)
{
	ASSERT_EQ(0, platform_name(self->pdev, sizeof(self->pdev)));
	self->page = trap_page(&self->uffd);
	if (!self->page)
		SKIP(return, "no userfaultfd: %s", strerror(errno));
	self->fd = open(dev_path(), O_RDONLY);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(uffd)
{
	if (self->page)
		close(self->fd);
	/* Leave the device bound for the next test. */
	if (access(dev_path(), F_OK)) {
		driver_attr("bind", self->pdev);
		wait_for_node();
	}
}

TEST_F_TIMEOUT(uffd, unbind_during_slow_user_copy, 60)
{
	struct call c = { .fd = self->fd, .what = variant->what,
			  .arg = self->page };
	struct unbind u = { .pdev = self->pdev };
	struct fpgacap_buffer b;
	pthread_t th, ut;
	int i;

	RETURN_IF_SKIPPED();
	ASSERT_EQ(0, configure(self->fd, 4, 16 * KiB, 0, 0, NULL));
	ASSERT_EQ(0, xioctl(self->fd, FPGACAP_IOC_START, NULL));
	if (variant->what == 1) {
		/* Hold a buffer, so RETURN has something to read. */
		ASSERT_EQ(1, dequeue(self->fd, &b, 1, 5 * SEC));
	} else {
		usleep(100000);
	}
	ASSERT_EQ(0, pthread_create(&th, NULL, blocked_call, &c));
	ASSERT_EQ(0, wait_fault(self->uffd));

	/* The call sits in a user copy; unbind must not wait for it. */
	ASSERT_EQ(0, pthread_create(&ut, NULL, do_unbind, &u));
	for (i = 0; i < 100 && !u.done; i++)
		usleep(50000);
	EXPECT_TRUE(u.done) TH_LOG("unbind blocked behind a user copy");
	resolve(self->uffd, self->page, variant->what == 1 ? 0 : 0xee);
	pthread_join(ut, NULL);
	pthread_join(th, NULL);
	EXPECT_EQ(0, u.ret);
	TH_LOG("the blocked call returned %ld", c.ret);
}

/*
 * A DEQUEUE deadline holds while the call waits for the file's I/O lock:
 * another thread of the same file sits in a user copy that does not end
 * (a userfaultfd page), and this thread's 300 ms DEQUEUE still times out
 * in time, with ETIMEDOUT, long before the copy is let go.
 */
TEST_F_TIMEOUT(uffd, deadline_behind_a_slow_copy, 60)
{
	struct call c = { .fd = self->fd, .what = variant->what,
			  .arg = self->page };
	struct resolver r = { 0 };
	struct fpgacap_buffer b;
	uint64_t t0, took;
	pthread_t th, rt;
	int ret;

	RETURN_IF_SKIPPED();
	ASSERT_EQ(0, configure(self->fd, 4, 16 * KiB, 0, 0, NULL));
	ASSERT_EQ(0, xioctl(self->fd, FPGACAP_IOC_START, NULL));
	if (variant->what == 1) {
		ASSERT_EQ(1, dequeue(self->fd, &b, 1, 5 * SEC));
	} else {
		usleep(100000);
	}
	ASSERT_EQ(0, pthread_create(&th, NULL, blocked_call, &c));
	ASSERT_EQ(0, wait_fault(self->uffd));

	/* Let the copy go after 5 s whatever happens, so nothing hangs. */
	r.uffd = self->uffd;
	r.page = self->page;
	ASSERT_EQ(0, pthread_create(&rt, NULL, resolve_later, &r));
	t0 = now_ns();
	ret = dequeue(self->fd, &b, 1, 300 * 1000000LL);
	took = now_ns() - t0;
	EXPECT_EQ(-ETIMEDOUT, ret);
	EXPECT_GT(3 * SEC, took) TH_LOG("took %llu ms",
					(unsigned long long)took / 1000000);
	pthread_join(rt, NULL);
	pthread_join(th, NULL);
	TH_LOG("the blocked call returned %ld; the timed one took %llu ms",
	       c.ret, (unsigned long long)took / 1000000);
}

TEST_HARNESS_MAIN
