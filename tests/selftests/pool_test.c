// SPDX-License-Identifier: GPL-2.0
/*
 * Buffer pool: any page-multiple size, the order fallback, zeroed pages,
 * lowmem by default.
 */
#include <endian.h>
#include <inttypes.h>
#include <stdbool.h>
#include <poll.h>

#include <sys/wait.h>

#include "kselftest_harness.h"
#include "fpgacap_test.h"

FIXTURE(pool) {
	int fd;
	char saved_order[32];
};

FIXTURE_SETUP(pool)
{
	self->fd = open(dev_path(), O_RDONLY);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", dev_path(), strerror(errno));
	ASSERT_EQ(0, get_param("max_alloc_order", self->saved_order,
			       sizeof(self->saved_order)));
}

FIXTURE_TEARDOWN(pool)
{
	set_param("max_alloc_order", self->saved_order);
	set_debugfs("alloc_fail_order", 0);
	close(self->fd);
}

/* Fill every buffer once and check every byte of it. */
static int fill_and_check(struct __test_metadata *_metadata, int fd,
			  const struct fpgacap_config *cfg)
{
	struct fpgacap_buffer b[64];
	uint8_t *pool;
	uint32_t seen = 0;
	int n, i;

	pool = map_pool(fd, cfg->mmap_size);
	EXPECT_NE(NULL, pool);
	if (!pool)
		return -1;
	EXPECT_EQ(0, xioctl(fd, FPGACAP_IOC_START, NULL));
	while (seen < cfg->count) {
		n = dequeue(fd, b, 64, 5000000000LL);
		EXPECT_LT(0, n);
		if (n <= 0)
			break;
		for (i = 0; i < n; i++) {
			uint8_t *data = pool + (uint64_t)b[i].index *
					cfg->buffer_size;

			EXPECT_EQ(cfg->buffer_size, b[i].bytes_used);
			EXPECT_EQ(-1, check_pattern(data, b[i].bytes_used,
						    b[i].offset));
		}
		seen += n;
		/* Hold them: each buffer is checked exactly once. */
	}
	EXPECT_EQ(0, xioctl(fd, FPGACAP_IOC_STOP, NULL));
	munmap(pool, cfg->mmap_size);
	return 0;
}

/* Sizes that are not powers of two are whole and usable. */
TEST_F(pool, odd_sizes)
{
	const uint64_t pg = page_size();
	const uint64_t sizes[] = { pg, 5 * pg, 3 * MiB + 4 * KiB,
				   7 * 64 * KiB + pg };
	unsigned int i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct fpgacap_config cfg;
		uint64_t pages = sizes[i] / pg;

		ASSERT_EQ(0, configure(self->fd, 3, sizes[i], 0, 0, &cfg));
		EXPECT_EQ(3 * sizes[i], cfg.mmap_size);
		/* One chunk per set bit of the page count, at the least. */
		EXPECT_LE(3 * (uint64_t)__builtin_popcountll(pages), cfg.chunks);
		EXPECT_GE(3 * pages, cfg.chunks);
		EXPECT_LE(1, cfg.max_segments);
		fill_and_check(_metadata, self->fd, &cfg);
	}
	ASSERT_EQ(0, configure(self->fd, 0, 0, 0, 0, NULL));
}

/* Fresh buffers read as zeros: no stale kernel memory reaches userspace. */
TEST_F(pool, zeroed)
{
	struct fpgacap_config cfg;
	uint64_t *p;
	uint64_t i, nonzero = 0;

	ASSERT_EQ(0, configure(self->fd, 4, 256 * KiB, 0, 0, &cfg));
	p = map_pool(self->fd, cfg.mmap_size);
	ASSERT_NE(NULL, p);
	for (i = 0; i < cfg.mmap_size / 8; i++)
		nonzero += p[i] != 0;
	EXPECT_EQ(0, nonzero);
	munmap(p, cfg.mmap_size);
}

/* A cap on the order gives exactly the chunks it implies. */
TEST_F(pool, order_cap)
{
	struct fpgacap_config cfg;

	ASSERT_EQ(0, set_param("max_alloc_order", "0"));
	ASSERT_EQ(0, configure(self->fd, 4, 1 * MiB, 0, 0, &cfg));
	EXPECT_EQ(4 * (MiB / page_size()), cfg.chunks);
	EXPECT_EQ(0, cfg.max_chunk_order);
	fill_and_check(_metadata, self->fd, &cfg);

	ASSERT_EQ(0, set_param("max_alloc_order", "2"));
	ASSERT_EQ(0, configure(self->fd, 4, 1 * MiB, 0, 0, &cfg));
	EXPECT_EQ(4 * (MiB / page_size()) / 4, cfg.chunks);
	EXPECT_EQ(2, cfg.max_chunk_order);
	EXPECT_EQ(2, cfg.min_chunk_order);
	fill_and_check(_metadata, self->fd, &cfg);
}

/*
 * High orders failing: the pool falls back to smaller ones and still
 * succeeds. The driver's hook makes orders >= 3 fail as alloc_pages would.
 */
TEST_F(pool, fallback_on_failure)
{
	struct fpgacap_config cfg;

	ASSERT_EQ(0, set_debugfs("test_hooks", 1));
	ASSERT_EQ(0, set_debugfs("alloc_fail_order", 3));
	ASSERT_EQ(0, configure(self->fd, 3, 3 * MiB + 4 * KiB, 0, 0, &cfg));
	EXPECT_GE(2, cfg.max_chunk_order);
	EXPECT_LE(3 * ((3 * MiB + 4 * KiB) / page_size()) / 4, cfg.chunks);
	fill_and_check(_metadata, self->fd, &cfg);
}

/*
 * The same with the kernel's own fault injection, where the kernel has it
 * (the Zynq guest): every allocation of order >= 1 from this task fails.
 */
TEST_F(pool, fallback_fail_page_alloc)
{
	const char *fa = "/sys/kernel/debug/fail_page_alloc";
	struct fpgacap_config cfg;
	int ret, pp[2], status;
	char path[128];
	pid_t child;

	snprintf(path, sizeof(path), "%s/probability", fa);
	if (access(path, W_OK))
		SKIP(return, "kernel without CONFIG_FAIL_PAGE_ALLOC");
#define FA(name, v) do { \
		snprintf(path, sizeof(path), "%s/" name, fa); \
		ASSERT_EQ(0, write_file(path, v)); \
	} while (0)
	FA("min-order", "1");
	FA("ignore-gfp-wait", "N");
	FA("ignore-gfp-highmem", "N");
	FA("task-filter", "Y");
	FA("verbose", "0");
	FA("times", "-1");
	FA("interval", "1");
	FA("probability", "100");
#undef FA
	/*
	 * The failing task is a child: with every order >= 1 allocation of
	 * its own failing, even undoing make-it-fail can fail (the x86 debug
	 * kernel's proc write allocates above order 0).
	 */
	ASSERT_EQ(0, pipe(pp));
	child = fork();
	ASSERT_LE(0, child);
	if (!child) {
		int fd = open(dev_path(), O_RDONLY);

		close(pp[0]);
		if (fd < 0 || write_file("/proc/self/make-it-fail", "1"))
			_exit(1);
		ret = configure(fd, 2, 1 * MiB + 8 * KiB, 0, 0, &cfg);
		if (write(pp[1], &ret, sizeof(ret)) != sizeof(ret) ||
		    write(pp[1], &cfg, sizeof(cfg)) != sizeof(cfg))
			_exit(2);
		_exit(0);
	}
	close(pp[1]);
	EXPECT_EQ(sizeof(ret), read(pp[0], &ret, sizeof(ret)));
	EXPECT_EQ(sizeof(cfg), read(pp[0], &cfg, sizeof(cfg)));
	close(pp[0]);
	waitpid(child, &status, 0);
	ASSERT_EQ(0, write_file(path, "0"));	/* probability */
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	ASSERT_EQ(0, ret);
	EXPECT_EQ(0, cfg.max_chunk_order);
	EXPECT_EQ(2 * ((1 * MiB + 8 * KiB) / page_size()), cfg.chunks);
	/* And such a pool carries the right bytes (here, without failures). */
	ASSERT_EQ(0, set_param("max_alloc_order", "0"));
	ASSERT_EQ(0, configure(self->fd, 2, 1 * MiB + 8 * KiB, 0, 0, &cfg));
	fill_and_check(_metadata, self->fd, &cfg);
}

/* First page frame number of the HighMem zone, or 0 if there is none. */
static uint64_t highmem_start_pfn(void)
{
	FILE *f = fopen("/proc/zoneinfo", "r");
	char line[256];
	bool in_high = false;
	uint64_t pfn = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "Node", 4))
			in_high = strstr(line, "HighMem") != NULL;
		if (in_high && sscanf(line, " start_pfn: %" SCNu64, &pfn) == 1)
			break;
	}
	fclose(f);
	return pfn;
}

static int count_highmem_pages(const void *addr, size_t len, uint64_t start)
{
	int fd = open("/proc/self/pagemap", O_RDONLY);
	long pg = page_size();
	int high = 0;
	size_t i;

	if (fd < 0)
		return -1;
	for (i = 0; i < len / pg; i++) {
		uint64_t e;
		off_t off = ((uintptr_t)addr / pg + i) * 8;

		if (pread(fd, &e, 8, off) != 8 || !(e & (1ULL << 63))) {
			high = -1;
			break;
		}
		high += (e & ((1ULL << 55) - 1)) >= start;
	}
	close(fd);
	return high;
}

/*
 * Lowmem unless asked: on 32-bit with highmem the default pool has no page
 * above lowmem (NICs without HIGHDMA would copy them), and the opt-in pool
 * may use highmem and still carries the right bytes.
 */
TEST_F(pool, lowmem_default)
{
	uint64_t start = highmem_start_pfn();
	struct fpgacap_config cfg;
	void *p;

	if (!start)
		SKIP(return, "no highmem zone");
	ASSERT_EQ(0, configure(self->fd, 8, 4 * MiB, 0, 0, &cfg));
	p = map_pool(self->fd, cfg.mmap_size);
	ASSERT_NE(NULL, p);
	EXPECT_EQ(0, count_highmem_pages(p, cfg.mmap_size, start));
	munmap(p, cfg.mmap_size);

	ASSERT_EQ(0, configure(self->fd, 8, 4 * MiB, FPGACAP_CFG_HIGHMEM, 0,
			       &cfg));
	p = map_pool(self->fd, cfg.mmap_size);
	ASSERT_NE(NULL, p);
	TH_LOG("highmem opt-in: %d of %llu pages in highmem",
	       count_highmem_pages(p, cfg.mmap_size, start),
	       (unsigned long long)(cfg.mmap_size / page_size()));
	munmap(p, cfg.mmap_size);
	fill_and_check(_metadata, self->fd, &cfg);
}

TEST_HARNESS_MAIN
