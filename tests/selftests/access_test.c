// SPDX-License-Identifier: GPL-2.0-only
/*
 * Who may do what, and how much memory anyone can pin: streaming needs a
 * file opened for reading; only the owner maps, never executable; a
 * mapped pool reads zero before the device writes it; pools kept alive by
 * mappings count against max_pinned (EDQUOT past it) and are charged to
 * the configuring task's memory cgroup; other processes cannot pile pools
 * up behind the owner's back.
 */
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "fpgacap_test.h"

static uint64_t pinned(int fd)
{
	struct fpgacap_info info;

	if (xioctl(fd, FPGACAP_IOC_INFO, &info))
		return UINT64_MAX;
	return info.pinned;
}

/* Mapped before START: every byte zero, never stale memory. */
TEST(pool_reads_zero_before_start)
{
	struct fpgacap_config cfg;
	const uint64_t *p;
	uint64_t i, nonzero = 0;
	int fd = open(dev_path(), O_RDONLY);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, configure(fd, 16, 256 * KiB, 0, 0, &cfg));
	p = map_pool(fd, cfg.mmap_size);
	ASSERT_NE(NULL, p);
	for (i = 0; i < cfg.mmap_size / 8; i++)
		nonzero += p[i] != 0;
	EXPECT_EQ(0, nonzero);
	munmap((void *)p, cfg.mmap_size);
	close(fd);
}

/* Opened without read access: INFO and STATS only. */
TEST(write_only_opener)
{
	struct fpgacap_buffer b;
	struct fpgacap_info info;
	struct fpgacap_stats st;
	uint32_t idx = 0;
	char c;
	int wo, rd;

	wo = open(dev_path(), O_WRONLY);
	ASSERT_LE(0, wo);
	EXPECT_EQ(0, xioctl(wo, FPGACAP_IOC_INFO, &info));
	EXPECT_EQ(0, get_stats(wo, &st));
	EXPECT_EQ(-EBADF, configure(wo, 4, 64 * KiB, 0, 0, NULL));
	EXPECT_EQ(-EBADF, xioctl(wo, FPGACAP_IOC_START, NULL));
	EXPECT_EQ(-EBADF, xioctl(wo, FPGACAP_IOC_STOP, NULL));
	EXPECT_EQ(-EBADF, dequeue(wo, &b, 1, 0));
	EXPECT_EQ(-EBADF, give_back(wo, &idx, 1));
	EXPECT_EQ(-1, read(wo, &c, 1));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, 4096, PROT_READ, MAP_SHARED, wo, 0));
	EXPECT_EQ(EACCES, errno);
	/* It never became the owner: a reader can. */
	rd = open(dev_path(), O_RDONLY);
	ASSERT_LE(0, rd);
	EXPECT_EQ(0, configure(rd, 4, 64 * KiB, 0, 0, NULL));
	close(rd);
	close(wo);
}

/* Capture data is never executable, now or after mprotect(). */
TEST(no_exec_mappings)
{
	struct fpgacap_config cfg;
	void *p;
	int fd = open(dev_path(), O_RDONLY);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, configure(fd, 4, 64 * KiB, 0, 0, &cfg));
	EXPECT_EQ(MAP_FAILED, mmap(NULL, cfg.mmap_size, PROT_READ | PROT_EXEC,
				   MAP_SHARED, fd, 0));
	EXPECT_EQ(EPERM, errno);
	p = mmap(NULL, cfg.mmap_size, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(-1, mprotect(p, cfg.mmap_size, PROT_READ | PROT_EXEC));
	EXPECT_EQ(EACCES, errno);
	EXPECT_EQ(-1, mprotect(p, cfg.mmap_size, PROT_READ | PROT_WRITE));
	EXPECT_EQ(EACCES, errno);
	munmap(p, cfg.mmap_size);
	close(fd);
}

/*
 * Writable mappings only of a pool configured FPGACAP_CFG_WRITABLE, and
 * only through a file opened for writing too; a buffer written by the
 * user and returned is filled afresh by the source.
 */
TEST(writable_only_when_asked)
{
	struct fpgacap_config cfg;
	struct fpgacap_buffer b[4];
	struct fpgacap_info info;
	uint8_t *p;
	int fd, n, i;

	fd = open(dev_path(), O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, xioctl(fd, FPGACAP_IOC_INFO, &info));
	ASSERT_TRUE(info.caps & FPGACAP_CAP_WRITABLE);
	ASSERT_EQ(0, configure(fd, 4, 64 * KiB, 0, 0, &cfg));
	EXPECT_EQ(MAP_FAILED, mmap(NULL, cfg.mmap_size, PROT_READ | PROT_WRITE,
				   MAP_SHARED, fd, 0));
	EXPECT_EQ(EACCES, errno);
	p = map_pool(fd, cfg.mmap_size);
	ASSERT_NE(NULL, p);
	EXPECT_EQ(-1, mprotect(p, cfg.mmap_size, PROT_READ | PROT_WRITE));
	EXPECT_EQ(EACCES, errno);
	munmap(p, cfg.mmap_size);

	ASSERT_EQ(0, configure(fd, 4, 64 * KiB, FPGACAP_CFG_WRITABLE, 0, &cfg));
	p = mmap(NULL, cfg.mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(-1, mprotect(p, cfg.mmap_size, PROT_READ | PROT_EXEC));
	ASSERT_EQ(0, xioctl(fd, FPGACAP_IOC_START, NULL));
	/* Scribble on every buffer the user holds, give them back... */
	for (i = 0; i < 8; i++) {
		n = dequeue(fd, b, 4, 5000000000LL);
		ASSERT_LT(0, n);
		while (n--) {
			EXPECT_EQ(-1, check_pattern(p + b[n].index * 64 * KiB,
						    b[n].bytes_used, b[n].offset));
			memset(p + b[n].index * 64 * KiB, 0xa5, 64 * KiB);
			ASSERT_EQ(0, give_back_bufs(fd, &b[n], 1));
		}
	}
	ASSERT_EQ(0, xioctl(fd, FPGACAP_IOC_STOP, NULL));
	munmap(p, cfg.mmap_size);
	close(fd);

	/* A read-only file cannot have a writable shared mapping at all. */
	fd = open(dev_path(), O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, configure(fd, 4, 64 * KiB, FPGACAP_CFG_WRITABLE, 0, &cfg));
	EXPECT_EQ(MAP_FAILED, mmap(NULL, cfg.mmap_size, PROT_READ | PROT_WRITE,
				   MAP_SHARED, fd, 0));
	EXPECT_EQ(EACCES, errno);
	close(fd);
}

/* Another opener cannot map the owner's pool. */
TEST(only_the_owner_maps)
{
	struct fpgacap_config cfg;
	int owner, other;

	owner = open(dev_path(), O_RDONLY);
	ASSERT_LE(0, owner);
	other = open(dev_path(), O_RDONLY);
	ASSERT_LE(0, other);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, 4096, PROT_READ, MAP_SHARED, other, 0));
	EXPECT_EQ(ENOBUFS, errno);
	ASSERT_EQ(0, configure(owner, 4, 64 * KiB, 0, 0, &cfg));
	EXPECT_EQ(MAP_FAILED, mmap(NULL, cfg.mmap_size, PROT_READ, MAP_SHARED,
				   other, 0));
	EXPECT_EQ(EBUSY, errno);
	close(other);
	close(owner);
}

/*
 * mmap claims nothing: a file that maps without owning gets ENOBUFS and
 * the next opener still configures. Closing the owner's last descriptor
 * while its pool is mapped does not end ownership (the mapping holds the
 * file): the stream keeps running and others get EBUSY; the last munmap
 * ends it, and the device is unconfigured and free.
 */
TEST(close_while_mapped)
{
	struct fpgacap_config cfg;
	struct fpgacap_stats st;
	int owner, other;
	void *map;

	other = open(dev_path(), O_RDONLY);
	ASSERT_LE(0, other);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, 4096, PROT_READ, MAP_SHARED, other, 0));
	EXPECT_EQ(ENOBUFS, errno);
	owner = open(dev_path(), O_RDONLY);
	ASSERT_LE(0, owner);
	ASSERT_EQ(0, configure(owner, 4, 64 * KiB, 0, 0, &cfg));
	map = map_pool(owner, cfg.mmap_size);
	ASSERT_NE(NULL, map);
	ASSERT_EQ(0, xioctl(owner, FPGACAP_IOC_START, NULL));
	close(owner);

	EXPECT_EQ(-EBUSY, configure(other, 4, 64 * KiB, 0, 0, NULL));
	ASSERT_EQ(0, get_stats(other, &st));
	EXPECT_EQ(FPGACAP_STATE_STREAMING, st.state);
	munmap(map, cfg.mmap_size);
	ASSERT_EQ(0, get_stats(other, &st));
	EXPECT_EQ(FPGACAP_STATE_UNCONFIGURED, st.state);
	EXPECT_EQ(0, configure(other, 4, 64 * KiB, 0, 0, NULL));
	close(other);
}

FIXTURE(pinned) {
	int fd;
	char saved[32], saved_orphaned[32];
	long pages;
};

FIXTURE_SETUP(pinned)
{
	ASSERT_EQ(0, get_param("max_pinned", self->saved,
			       sizeof(self->saved)));
	ASSERT_EQ(0, get_param("max_orphaned", self->saved_orphaned,
			       sizeof(self->saved_orphaned)));
	self->pages = pool_pages();
	self->fd = open(dev_path(), O_RDONLY);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(pinned)
{
	close(self->fd);
	set_param("max_pinned", self->saved);
	set_param("max_orphaned", self->saved_orphaned);
	EXPECT_EQ(self->pages, pool_pages());
}

/*
 * An owner that reconfigures while keeping the old mappings orphans one
 * pool after another: orphans stop at max_orphaned, with EDQUOT and
 * nothing changed (the live pool stays), and the memory comes back when
 * the mappings go. Live pool and orphans together stop at max_pinned.
 */
TEST_F(pinned, orphans_stop_at_max_orphaned)
{
	const uint64_t size = 4 * MiB;
	struct fpgacap_config cfg;
	struct fpgacap_info info;
	void *maps[3];
	int i;

	ASSERT_EQ(0, set_param("max_pinned", "12582912"));	/* 12 MiB */
	ASSERT_EQ(0, set_param("max_orphaned", "8388608"));	/* 8 MiB */
	ASSERT_EQ(0, xioctl(self->fd, FPGACAP_IOC_INFO, &info));
	EXPECT_EQ(12 * MiB, info.max_pinned);
	EXPECT_EQ(8 * MiB, info.max_orphaned);
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, configure(self->fd, 4, size / 4, 0, 0, &cfg));
		maps[i] = map_pool(self->fd, cfg.mmap_size);
		ASSERT_NE(NULL, maps[i]);
		EXPECT_EQ((i + 1) * size, pinned(self->fd));
	}
	ASSERT_EQ(0, xioctl(self->fd, FPGACAP_IOC_INFO, &info));
	EXPECT_EQ(2 * size, info.orphaned);
	/* A third orphan would pass max_orphaned: refused, nothing changes. */
	EXPECT_EQ(-EDQUOT, configure(self->fd, 4, size / 4, 0, 0, NULL));
	EXPECT_EQ(-EDQUOT, configure(self->fd, 0, 0, 0, 0, NULL));
	ASSERT_EQ(0, xioctl(self->fd, FPGACAP_IOC_INFO, &info));
	EXPECT_EQ(FPGACAP_STATE_STOPPED, info.state);
	EXPECT_EQ(3 * size, info.pinned);
	EXPECT_EQ(2 * size, info.orphaned);
	/* Unmapped first, the live pool goes without becoming an orphan. */
	munmap(maps[2], size);
	ASSERT_EQ(0, configure(self->fd, 4, size / 4, 0, 0, &cfg));
	maps[2] = map_pool(self->fd, cfg.mmap_size);
	ASSERT_NE(NULL, maps[2]);
	EXPECT_EQ(3 * size, pinned(self->fd));
	/* One orphan's mapping goes: its pool with it. */
	munmap(maps[0], size);
	EXPECT_EQ(2 * size, pinned(self->fd));
	ASSERT_EQ(0, xioctl(self->fd, FPGACAP_IOC_INFO, &info));
	EXPECT_EQ(size, info.orphaned);
	ASSERT_EQ(0, configure(self->fd, 0, 0, 0, 0, NULL));
	munmap(maps[1], size);
	munmap(maps[2], size);
	EXPECT_EQ(0, pinned(self->fd));
}

/*
 * One member of the device's group cannot lock the others out with
 * orphans: what it leaves behind stops at max_orphaned, and the rest of
 * max_pinned is there for whoever owns the device next.
 */
TEST_F(pinned, orphans_leave_room_for_others)
{
	struct fpgacap_config cfg;
	void *maps[3];
	int other;

	ASSERT_EQ(0, set_param("max_pinned", "12582912"));	/* 12 MiB */
	ASSERT_EQ(0, set_param("max_orphaned", "6291456"));	/* 6 MiB */
	ASSERT_EQ(0, configure(self->fd, 4, 1 * MiB, 0, 0, &cfg));
	maps[0] = map_pool(self->fd, cfg.mmap_size);
	ASSERT_NE(NULL, maps[0]);
	ASSERT_EQ(0, configure(self->fd, 0, 0, 0, 0, NULL));
	ASSERT_EQ(0, configure(self->fd, 2, 1 * MiB, 0, 0, &cfg));
	maps[1] = map_pool(self->fd, cfg.mmap_size);
	ASSERT_NE(NULL, maps[1]);
	ASSERT_EQ(0, configure(self->fd, 0, 0, 0, 0, NULL));
	ASSERT_EQ(6 * MiB, pinned(self->fd));
	ASSERT_EQ(0, configure(self->fd, 2, 1 * MiB, 0, 0, &cfg));
	maps[2] = map_pool(self->fd, cfg.mmap_size);
	ASSERT_NE(NULL, maps[2]);
	EXPECT_EQ(-EDQUOT, configure(self->fd, 0, 0, 0, 0, NULL));
	munmap(maps[2], 2 * MiB);
	ASSERT_EQ(0, configure(self->fd, 0, 0, 0, 0, NULL));

	/* Six orphaned MiB stay mapped; another opener still gets six. */
	other = open(dev_path(), O_RDONLY);
	ASSERT_LE(0, other);
	EXPECT_EQ(0, configure(other, 6, 1 * MiB, 0, 0, NULL));
	EXPECT_EQ(12 * MiB, pinned(other));
	close(other);
	munmap(maps[0], 4 * MiB);
	munmap(maps[1], 2 * MiB);
	EXPECT_EQ(0, pinned(self->fd));
}

/*
 * Separate processes cannot pile pools up: a mapping kept by a process
 * that outlives the owner keeps the owner's file, and with it the stream,
 * so the next opener gets EBUSY until the mapping goes.
 */
TEST_F(pinned, other_processes_cannot_pile_up)
{
	int go[2], ready[2], status;
	pid_t child;
	char c;

	ASSERT_EQ(0, pipe(go));
	ASSERT_EQ(0, pipe(ready));
	child = fork();
	ASSERT_LE(0, child);
	if (!child) {
		struct fpgacap_config cfg;
		int fd = open(dev_path(), O_RDONLY);

		close(go[1]);
		close(ready[0]);
		if (fd < 0 || configure(fd, 4, 1 * MiB, 0, 0, &cfg) ||
		    !map_pool(fd, cfg.mmap_size))
			_exit(1);
		close(fd);
		/* Mapped, file closed: tell the parent, then wait. */
		if (write(ready[1], "r", 1) != 1)
			_exit(1);
		if (read(go[0], &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
	close(ready[1]);
	close(go[0]);
	ASSERT_EQ(1, read(ready[0], &c, 1));
	EXPECT_EQ(4 * MiB, pinned(self->fd));
	EXPECT_EQ(-EBUSY, configure(self->fd, 4, 1 * MiB, 0, 0, NULL));
	close(go[1]);
	ASSERT_EQ(child, waitpid(child, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	/* Its exit unmapped the pool: the owner's file, stream, pool went. */
	EXPECT_EQ(0, pinned(self->fd));
	EXPECT_EQ(self->pages, pool_pages());
	EXPECT_EQ(0, configure(self->fd, 4, 1 * MiB, 0, 0, NULL));
	EXPECT_EQ(0, configure(self->fd, 0, 0, 0, 0, NULL));
	close(ready[0]);
}

#define CG "/sys/fs/cgroup"
#define CG_TEST CG "/fpgacap-test"

/* A memory cgroup limited to @max bytes, or -errno (skip). */
static int memcg_make(const char *max)
{
	char ctl[256];

	if (access(CG "/cgroup.controllers", F_OK) &&
	    mount("none", CG, "cgroup2", 0, NULL))
		return -errno;
	if (read_file(CG "/cgroup.controllers", ctl, sizeof(ctl)))
		return -ENOENT;
	if (!strstr(ctl, "memory"))
		return -ENOENT;
	write_file(CG "/cgroup.subtree_control", "+memory");
	if (mkdir(CG_TEST, 0755) && errno != EEXIST)
		return -errno;
	return write_file(CG_TEST "/memory.max", max);
}

static uint64_t memcg_current(void)
{
	char buf[64];

	if (read_file(CG_TEST "/memory.current", buf, sizeof(buf)))
		return 0;
	return strtoull(buf, NULL, 10);
}

/*
 * The pool is charged to the configuring task's memory cgroup: past the
 * cgroup's limit CONFIGURE fails with ENOMEM (no OOM kill), within it the
 * pages show in memory.current.
 */
TEST_F(pinned, memcg_charged)
{
	char pid[32];
	int status;
	pid_t child;

	if (memcg_make("25165824"))	/* 24 MiB */
		SKIP(return, "no cgroup2 memory controller");
	child = fork();
	ASSERT_LE(0, child);
	if (!child) {
		uint64_t before;
		int fd;

		snprintf(pid, sizeof(pid), "%d", getpid());
		if (write_file(CG_TEST "/cgroup.procs", pid))
			_exit(10);
		fd = open(dev_path(), O_RDONLY);
		if (fd < 0)
			_exit(11);
		if (configure(fd, 8, 4 * MiB, 0, 0, NULL) != -ENOMEM)
			_exit(12);
		before = memcg_current();
		if (configure(fd, 4, 2 * MiB, 0, 0, NULL))
			_exit(13);
		if (memcg_current() < before + 8 * MiB)
			_exit(14);
		close(fd);
		_exit(0);
	}
	ASSERT_EQ(child, waitpid(child, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status))
		TH_LOG("step %d failed (12: not refused, 14: not charged)",
		       WEXITSTATUS(status));
	EXPECT_EQ(0, rmdir(CG_TEST));
}

/*
 * Nothing of CONFIGURE wakes the OOM killer, the arrays that describe a
 * pool included: in a memory cgroup too small for the page array of a
 * 256 MiB pool (512 KiB on 64-bit) CONFIGURE fails with ENOMEM, and no
 * process of the cgroup is killed.
 */
TEST_F(pinned, memcg_no_oom_kill)
{
	char pid[32], events[512];
	const char *k;
	int status;
	pid_t child;

	if (memcg_make("655360"))	/* 640 KiB */
		SKIP(return, "no cgroup2 memory controller");
	child = fork();
	ASSERT_LE(0, child);
	if (!child) {
		int fd;

		snprintf(pid, sizeof(pid), "%d", getpid());
		if (write_file(CG_TEST "/cgroup.procs", pid))
			_exit(10);
		fd = open(dev_path(), O_RDONLY);
		if (fd < 0)
			_exit(11);
		if (configure(fd, 4096, 64 * KiB, 0, 0, NULL) != -ENOMEM)
			_exit(12);
		close(fd);
		_exit(0);
	}
	ASSERT_EQ(child, waitpid(child, &status, 0));
	EXPECT_TRUE(WIFEXITED(status))
		TH_LOG("killed by signal %d", WTERMSIG(status));
	if (WIFEXITED(status))
		EXPECT_EQ(0, WEXITSTATUS(status));
	ASSERT_EQ(0, read_file(CG_TEST "/memory.events", events,
			       sizeof(events)));
	k = strstr(events, "oom_kill ");
	ASSERT_NE(NULL, k);
	EXPECT_EQ(0, atoi(k + strlen("oom_kill ")));
	EXPECT_EQ(0, rmdir(CG_TEST));
}

TEST_HARNESS_MAIN
