// SPDX-License-Identifier: GPL-2.0
/*
 * What the guest kernel must give the selftests, checked in every guest:
 * threads that wait on futexes, sleeps that do not end early (both
 * failed on a 32-bit kernel without COMPAT_32BIT_TIME, which Debian's armhf
 * glibc needs), madvise, and, on the kernels the project builds
 * (FPGACAP_KERNEL_BUILT=1), userfaultfd, the memory cgroup, fail-nth and
 * the fault-injection debugfs controls.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int built_kernel(void)
{
	const char *v = getenv("FPGACAP_KERNEL_BUILT");

	return v && !strcmp(v, "1");
}

struct waiter {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int go;
	int woken;
};

static void *wait_for_go(void *arg)
{
	struct waiter *w = arg;

	pthread_mutex_lock(&w->lock);
	while (!w->go)
		pthread_cond_wait(&w->cond, &w->lock);
	w->woken = 1;
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

/* A thread blocks in a futex wait until another wakes it. */
TEST(thread_futex_wait_and_wake)
{
	struct waiter w = {
		.lock = PTHREAD_MUTEX_INITIALIZER,
		.cond = PTHREAD_COND_INITIALIZER,
	};
	pthread_t t;

	ASSERT_EQ(0, pthread_create(&t, NULL, wait_for_go, &w));
	usleep(50000);
	pthread_mutex_lock(&w.lock);
	w.go = 1;
	pthread_cond_signal(&w.cond);
	pthread_mutex_unlock(&w.lock);
	ASSERT_EQ(0, pthread_join(t, NULL));
	EXPECT_EQ(1, w.woken);
}

/* A futex wait with a timeout times out, and not before its time. */
TEST(futex_timed_wait)
{
	pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
	struct timespec deadline;
	double t0, waited;
	int ret;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_nsec += 200 * 1000 * 1000;
	if (deadline.tv_nsec >= 1000000000) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000;
	}
	t0 = now();
	pthread_mutex_lock(&lock);
	do
		ret = pthread_cond_timedwait(&cond, &lock, &deadline);
	while (ret == 0);
	pthread_mutex_unlock(&lock);
	waited = now() - t0;
	TH_LOG("timed wait of 200 ms took %.3f s", waited);
	EXPECT_EQ(ETIMEDOUT, ret);
	EXPECT_GE(waited, 0.19);
}

/* nanosleep and usleep never return early by CLOCK_MONOTONIC. */
TEST(sleeps_last_their_time)
{
	struct timespec ts = { 0, 300 * 1000 * 1000 };
	double t0, slept;

	t0 = now();
	ASSERT_EQ(0, nanosleep(&ts, NULL));
	slept = now() - t0;
	TH_LOG("nanosleep(300 ms) took %.3f s", slept);
	EXPECT_GE(slept, 0.299);

	t0 = now();
	usleep(300000);
	slept = now() - t0;
	TH_LOG("usleep(300 ms) took %.3f s", slept);
	EXPECT_GE(slept, 0.299);
}

/* busybox sleep 1 (what timeout(1) and the jobs rely on) sleeps 1 s. */
TEST(busybox_sleep_one_second)
{
	double t0, slept;

	if (access("/bin/busybox", X_OK))
		SKIP(return, "no /bin/busybox");
	t0 = now();
	ASSERT_EQ(0, system("/bin/busybox sleep 1"));
	slept = now() - t0;
	TH_LOG("busybox sleep 1 took %.3f s", slept);
	EXPECT_GE(slept, 0.999);
}

TEST(madvise_dontneed)
{
	long page = sysconf(_SC_PAGESIZE);
	char *p = mmap(NULL, page, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_NE(MAP_FAILED, p);
	p[0] = 1;
	EXPECT_EQ(0, madvise(p, page, MADV_DONTNEED)) TH_LOG("%s", strerror(errno));
	EXPECT_EQ(0, p[0]);
	munmap(p, page);
}

TEST(userfaultfd_syscall)
{
	long fd = syscall(__NR_userfaultfd, O_CLOEXEC);

	if (fd < 0 && !built_kernel())
		SKIP(return, "userfaultfd: %s (not a kernel the project builds)",
		     strerror(errno));
	ASSERT_LE(0, fd) TH_LOG("userfaultfd: %s", strerror(errno));
	close(fd);
}

TEST(cgroup2_memory_controller)
{
	const char *dir = "/tmp/kernel_test_cgroup";
	char buf[256] = "";
	ssize_t n;
	int fd;

	mkdir(dir, 0755);
	if (mount("cgroup2", dir, "cgroup2", 0, NULL)) {
		int err = errno;

		rmdir(dir);
		if (!built_kernel())
			SKIP(return, "cgroup2: %s", strerror(err));
		ASSERT_EQ(0, err) TH_LOG("mount cgroup2: %s", strerror(err));
	}
	fd = open("/tmp/kernel_test_cgroup/cgroup.controllers", O_RDONLY);
	ASSERT_LE(0, fd);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	umount(dir);
	rmdir(dir);
	ASSERT_LT(0, n);
	EXPECT_TRUE(strstr(buf, "memory") != NULL) TH_LOG("controllers: %s", buf);
}

TEST(fault_injection_controls)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/task/%ld/fail-nth",
		 (long)syscall(SYS_gettid));
	if (access(path, W_OK) && !built_kernel())
		SKIP(return, "no fail-nth (not a kernel the project builds)");
	EXPECT_EQ(0, access(path, W_OK)) TH_LOG("%s: %m", path);
	EXPECT_EQ(0, access("/sys/kernel/debug/failslab/probability", W_OK))
		TH_LOG("failslab: %m");
	EXPECT_EQ(0, access("/sys/kernel/debug/fail_page_alloc/probability", W_OK))
		TH_LOG("fail_page_alloc: %m");
}

TEST_HARNESS_MAIN
