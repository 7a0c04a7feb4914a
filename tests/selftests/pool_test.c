// SPDX-License-Identifier: GPL-2.0
/*
 * Buffer pool: any page-multiple size, the order fallback, zeroed pages,
 * lowmem by default.
 */
#include <endian.h>
#include <inttypes.h>
#include <stdbool.h>
#include <poll.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/socket.h>
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

/* ---- a large pool on fragmented memory ---- */

#define MAX_ORDERS 16

/* The zone pools come from: the largest of Normal, DMA32 and DMA. */
struct zone_free {
	char name[16];
	uint64_t count[MAX_ORDERS];	/* free blocks per order */
	int orders;
};

/* Parse one /proc/buddyinfo line; 0 if it is a zone pools come from. */
static int parse_zone(char *line, struct zone_free *z)
{
	char *p = strstr(line, "zone");
	int n;

	memset(z, 0, sizeof(*z));
	if (!p || sscanf(p, "zone %15s%n", z->name, &n) != 1)
		return -1;
	if (strcmp(z->name, "Normal") && strcmp(z->name, "DMA32") &&
	    strcmp(z->name, "DMA"))
		return -1;
	for (p += n; z->orders < MAX_ORDERS; p += n, z->orders++)
		if (sscanf(p, "%" SCNu64 "%n", &z->count[z->orders], &n) != 1)
			break;
	return z->orders ? 0 : -1;
}

static uint64_t free_from(const struct zone_free *z, int min);

/* The zone with the most free memory among Normal, DMA32 and DMA. */
static int read_zone(struct zone_free *z)
{
	FILE *f = fopen("/proc/buddyinfo", "r");
	struct zone_free c;
	char line[512];
	bool found = false;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (parse_zone(line, &c))
			continue;
		if (!found || free_from(&c, 0) > free_from(z, 0))
			*z = c;
		found = true;
	}
	fclose(f);
	return found ? 0 : -ENOENT;
}

/* Zone @name's counts now. */
static int read_zone_named(const char *name, struct zone_free *z)
{
	FILE *f = fopen("/proc/buddyinfo", "r");
	char line[512];
	int ret = -ENOENT;

	if (!f)
		return -errno;
	while (ret && fgets(line, sizeof(line), f))
		if (!parse_zone(line, z) && !strcmp(z->name, name))
			ret = 0;
	fclose(f);
	return ret;
}

/* Free pages of @z in blocks of order @min and above. */
static uint64_t free_from(const struct zone_free *z, int min)
{
	uint64_t pages = 0;
	int o;

	for (o = min; o < z->orders; o++)
		pages += z->count[o] << o;
	return pages;
}

/* The zone's managed pages (/proc/zoneinfo), or 0. */
static uint64_t zone_managed(const char *zone)
{
	char line[256], name[32];
	FILE *f = fopen("/proc/zoneinfo", "r");
	bool in = false;
	uint64_t v = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Node %*d, zone %31s", name) == 1)
			in = !strcmp(name, zone);
		else if (in && sscanf(line, " managed %" SCNu64, &v) == 1)
			break;
	}
	fclose(f);
	return v;
}

static uint64_t vmstat(const char *key)
{
	char line[128];
	size_t k = strlen(key);
	uint64_t v = 0;
	FILE *f = fopen("/proc/vmstat", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, k) && line[k] == ' ')
			v = strtoull(line + k + 1, NULL, 10);
	fclose(f);
	return v;
}

/*
 * A child that takes memory until the pool's zone has half of its free
 * memory left, then gives back every other page: order-0 holes whose
 * buddies it keeps. It waits on @go, then exits (the memory returns).
 */
static pid_t fragment(const char *zone, int ready, int go)
{
	static uint8_t *chunks[4096];
	const long pg = page_size();
	uint64_t start = 0;
	pid_t pid = fork();
	int n = 0, i;
	char c;

	if (pid)
		return pid;
	while (n < 4096) {
		struct zone_free z;

		if (read_zone_named(zone, &z))
			_exit(1);
		if (!start)
			start = free_from(&z, 0);
		if (free_from(&z, 0) * 2 < start)
			break;
		chunks[n] = mmap(NULL, 4 * MiB, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (chunks[n] == MAP_FAILED)
			break;
		/* Small pages: a huge one would not come back a page at a time. */
		madvise(chunks[n], 4 * MiB, MADV_NOHUGEPAGE);
		memset(chunks[n], 1, 4 * MiB);
		n++;
	}
	for (i = 0; i < n; i++) {
		uint64_t off;

		for (off = pg; off < 4 * MiB; off += 2 * pg)
			madvise(chunks[i] + off, pg, MADV_DONTNEED);
	}
	if (write(ready, "r", 1) != 1 || read(go, &c, 1) < 0)
		_exit(1);
	_exit(0);
}

static void *idle_thread(void *arg)
{
	return arg;
}

/* 64 processes with a thread each, and 16 MiB through a TCP socket. */
static int fork_and_receive(void)
{
	int ls, cs, as, i, status, bad = 0;
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	static char buf[64 * 1024];
	uint64_t got = 0;
	pid_t pids[64];

	for (i = 0; i < 64; i++) {
		pids[i] = fork();
		if (pids[i] < 0) {
			bad++;
			continue;
		}
		if (!pids[i]) {
			pthread_t th;

			if (pthread_create(&th, NULL, idle_thread, NULL))
				_exit(2);
			pthread_join(th, NULL);
			_exit(0);
		}
	}
	for (i = 0; i < 64; i++)
		if (pids[i] > 0 && (waitpid(pids[i], &status, 0) != pids[i] ||
				    !WIFEXITED(status) || WEXITSTATUS(status)))
			bad++;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ls = socket(AF_INET, SOCK_STREAM, 0);
	if (ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof(a)) ||
	    listen(ls, 1) || getsockname(ls, (struct sockaddr *)&a, &alen))
		return -1;
	cs = socket(AF_INET, SOCK_STREAM, 0);
	if (cs < 0 || connect(cs, (struct sockaddr *)&a, sizeof(a)))
		return -1;
	as = accept(ls, NULL, NULL);
	if (as < 0)
		return -1;
	if (!fork()) {
		for (i = 0; i < 256; i++)
			if (write(cs, buf, sizeof(buf)) != sizeof(buf))
				_exit(1);
		_exit(0);
	}
	close(cs);
	for (;;) {
		ssize_t n = read(as, buf, sizeof(buf));

		if (n <= 0)
			break;
		got += n;
	}
	wait(&status);
	close(as);
	close(ls);
	return bad || got != 256 * sizeof(buf) ? -1 : 0;
}

static void save_param(const char *name, char *buf, size_t len)
{
	get_param(name, buf, len);
	buf[strcspn(buf, "\n")] = 0;
}

/*
 * On fragmented memory a pool larger than the free high-order memory
 * takes the pages the kernel needs least: order-0 holes before the
 * blocks that fork (kernel stacks) and the network (page fragments) are
 * made of. The zone keeps free blocks of order 2 and above (the driver
 * keeps 1/32 of the zone in blocks of the order it takes; at least half
 * of that must be left here), no task is OOM-killed, and the kernel forks
 * 64 processes with a thread each and receives 16 MiB through TCP.
 */
TEST_F_TIMEOUT(pool, leaves_high_order_memory, 600)
{
	char saved[3][32];
	static const char * const params[3] = {
		"max_pool_size", "max_pinned", "max_buffers"
	};
	int ready[2], go[2], i;
	struct zone_free z0, z1, z2;
	uint64_t managed, frag0, pool, ooms;
	struct fpgacap_config cfg;
	char v[32];
	pid_t child;

	ASSERT_EQ(0, read_zone(&z0));
	managed = zone_managed(z0.name);
	ASSERT_LT(0, managed);
	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, pipe(go));
	child = fragment(z0.name, ready[1], go[0]);
	ASSERT_LE(0, child);
	ASSERT_EQ(1, read(ready[0], v, 1));
	ASSERT_EQ(0, read_zone_named(z0.name, &z1));
	frag0 = z1.count[0];
	/*
	 * As much as all the free high-order memory: taken largest first it
	 * leaves the zone none; the kernel's reserve must come from the holes.
	 */
	pool = free_from(&z1, 1) * page_size();
	pool = pool / MiB * MiB;
	TH_LOG("zone %s: %" PRIu64 " pages managed; free %" PRIu64
	       " pages, %" PRIu64 " in holes, %" PRIu64
	       " in blocks of order >= 2; pool %" PRIu64 " MiB",
	       z1.name, managed, free_from(&z1, 0), frag0,
	       free_from(&z1, 2), (uint64_t)(pool / MiB));
	ASSERT_LT(pool, free_from(&z1, 0) * page_size());

	for (i = 0; i < 3; i++)
		save_param(params[i], saved[i], sizeof(saved[i]));
	snprintf(v, sizeof(v), "%" PRIu64, pool);
	ASSERT_EQ(0, set_param("max_pool_size", v));
	ASSERT_EQ(0, set_param("max_pinned", v));
	ASSERT_EQ(0, set_param("max_buffers", "65536"));
	ooms = vmstat("oom_kill");
	ASSERT_EQ(0, configure(self->fd, pool / MiB, MiB, 0, 0, &cfg));
	ASSERT_EQ(0, read_zone_named(z0.name, &z2));
	TH_LOG("pool: %u chunks, orders %u..%u; zone then: %" PRIu64
	       " pages in blocks of order >= 2",
	       cfg.chunks, cfg.min_chunk_order, cfg.max_chunk_order,
	       free_from(&z2, 2));
	EXPECT_LE(managed / 64, free_from(&z2, 2));
	EXPECT_EQ(0, fork_and_receive());
	EXPECT_EQ(ooms, vmstat("oom_kill"));

	ASSERT_EQ(0, configure(self->fd, 0, 0, 0, 0, NULL));
	for (i = 0; i < 3; i++)
		set_param(params[i], saved[i]);
	close(go[1]);
	waitpid(child, NULL, 0);
	close(go[0]);
	close(ready[0]);
	close(ready[1]);
}

TEST_HARNESS_MAIN
