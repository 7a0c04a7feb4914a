// SPDX-License-Identifier: GPL-2.0
/*
 * Buffers exported as dma-bufs (FPGACAP_IOC_EXPORT): the ioctl's errors;
 * the ownership rules as importers see them (a device maps, or the CPU
 * starts an access, only while userspace holds the buffer; a RETURN during
 * an access lends the buffer until the last access ends); the dma-buf's
 * mmap, the pool's own pages, sent with MSG_ZEROCOPY; and lifetimes: the
 * dma-buf outlives close, unbind and holds the module.
 *
 * Two importers: fpgacap-importer (tests/importer), a test-only driver
 * that maps for its own device and checks every byte through the sg
 * table, driven through /sys/kernel/debug/fpgacap-importer/; and where the
 * kernel has it, vgem, DRM's virtual GEM driver, whose PRIME import is the
 * path a GPU driver takes (x86 guests).
 *
 * Environment: FPGACAP_IMPORTER_KO (the job sets it when the target loads
 * the importer: then its absence fails), FPGACAP_SINK and
 * FPGACAP_EXPECT_ZEROCOPY (zerocopy_test.c), FPGACAP_KO(_PARAMS).
 */
#include <dirent.h>
#include <time.h>
#include <linux/dma-buf.h>
#include <linux/errqueue.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/uio.h>

#include <drm/drm.h>
#include <drm/vgem_drm.h>

#include "kselftest_harness.h"
#include "fpgacap_test.h"

#ifndef SO_EE_ORIGIN_ZEROCOPY
#define SO_EE_ORIGIN_ZEROCOPY 5
#endif
#ifndef SO_EE_CODE_ZEROCOPY_COPIED
#define SO_EE_CODE_ZEROCOPY_COPIED 1
#endif

#define SEC 1000000000LL
#define NBUF 8
#define BUFSZ (64 * KiB)
#define IMP_DIR "/sys/kernel/debug/fpgacap-importer/"

/* A command to the importer: 0 or -errno (the exporter's, mostly). */
static int imp(const char *fmt, ...)
{
	char cmd[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return write_file(IMP_DIR "ctl", cmd);
}

static long imp_counter(const char *name)
{
	char path[128], buf[64];

	snprintf(path, sizeof(path), IMP_DIR "%s", name);
	if (read_file(path, buf, sizeof(buf)))
		return -1;
	return atol(buf);
}

/* The importer's line for @slot (without the newline), or "". */
static const char *imp_slot(int slot)
{
	static char buf[4096], line[512];
	char head[32];
	char *p, *e;

	line[0] = 0;
	if (read_file(IMP_DIR "status", buf, sizeof(buf)))
		return line;
	snprintf(head, sizeof(head), "slot %d ", slot);
	for (p = buf; p && *p; p = e ? e + 1 : NULL) {
		e = strchr(p, '\n');
		if (strncmp(p, head, strlen(head)))
			continue;
		snprintf(line, sizeof(line), "%.*s",
			 (int)(e ? e - p : (long)strlen(p)), p);
		break;
	}
	return line;
}

/* A number after @key in the importer's line for @slot, or -1. */
static long long imp_field(int slot, const char *key)
{
	const char *l = imp_slot(slot), *p;
	char k[40];

	snprintf(k, sizeof(k), " %s ", key);
	p = strstr(l, k);
	return p ? atoll(p + strlen(k)) : -1;
}

/*
 * Is the importer there? Absent where the target does not load it (skip),
 * but then FPGACAP_IMPORTER_KO is not set either.
 */
static int importer_present(void)
{
	if (!access(IMP_DIR "ctl", W_OK))
		return 1;
	return getenv("FPGACAP_IMPORTER_KO") ? -1 : 0;
}

#define REQUIRE_IMPORTER() do {						\
	int _p = importer_present();					\
									\
	ASSERT_LE(0, _p) TH_LOG("FPGACAP_IMPORTER_KO is set, but "	\
				IMP_DIR " is missing");			\
	if (!_p)							\
		SKIP(return, "no fpgacap-importer in this guest");	\
} while (0)

static int dmabuf_sync(int fd, uint64_t flags)
{
	struct dma_buf_sync s = { .flags = flags };

	return xioctl(fd, DMA_BUF_IOCTL_SYNC, &s);
}

#define SYNC_READ_START (DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ)
#define SYNC_READ_END (DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ)

static uint32_t user_count(int dev)
{
	struct fpgacap_stats st;

	if (get_stats(dev, &st))
		return UINT32_MAX;
	return st.user;
}

static uint64_t returned_count(int dev)
{
	struct fpgacap_stats st;

	if (get_stats(dev, &st))
		return UINT64_MAX;
	return st.returned;
}

/* The lowest free descriptor: a failed EXPORT must not have made one. */
static int next_fd(void)
{
	int fd = dup(0);

	if (fd >= 0)
		close(fd);
	return fd;
}

static ino_t ino_of(int fd)
{
	struct stat st;

	return fstat(fd, &st) ? 0 : st.st_ino;
}

/*
 * Dequeue and return @n buffers, none of which may be @avoid (a buffer
 * lent to an importer, which the source must not get back). 0 or the
 * first failure's -errno; -EEXIST if @avoid came.
 */
static int cycle_avoiding(int dev, uint32_t avoid, int n)
{
	struct fpgacap_buffer b;
	int i, ret;

	for (i = 0; i < n; i++) {
		ret = dequeue(dev, &b, 1, 5 * SEC);
		if (ret < 0)
			return ret;
		ret = give_back(dev, &b.index, 1);
		if (ret)
			return ret;
		if (b.index == avoid)
			return -EEXIST;
	}
	return 0;
}

/*
 * Dequeue and return buffers until @want comes (within @max), and keep
 * that one: 0 with its info in @out, -ENOENT, or -errno.
 */
static int cycle_until(int dev, uint32_t want, int max,
		       struct fpgacap_buffer *out)
{
	int i, ret;

	for (i = 0; i < max; i++) {
		ret = dequeue(dev, out, 1, 5 * SEC);
		if (ret < 0)
			return ret;
		if (out->index == want)
			return 0;
		ret = give_back(dev, &out->index, 1);
		if (ret)
			return ret;
	}
	return -ENOENT;
}

/* The page frame behind @addr (root reads them), 0 if unknown. */
static uint64_t pfn_of(const void *addr)
{
	uint64_t e = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (fd < 0)
		return 0;
	if (pread(fd, &e, 8, (uintptr_t)addr / page_size() * 8) != 8)
		e = 0;
	close(fd);
	if (!(e >> 63))
		return 0;
	return e & ((1ULL << 55) - 1);
}

/*
 * An owner (opened read-only) with a pool of NBUF x BUFSZ, mapped and
 * streaming, holding one buffer, @b, exported read-only as @dmabuf.
 */
FIXTURE(held) {
	int dev, dmabuf;
	long before;
	struct fpgacap_config cfg;
	struct fpgacap_buffer b;
	uint8_t *pool;
};

FIXTURE_SETUP(held)
{
	self->dmabuf = -1;
	self->pool = NULL;
	self->dev = open(dev_path(), O_RDONLY);
	ASSERT_LE(0, self->dev);
	self->before = pool_pages();
	ASSERT_EQ(0, configure(self->dev, NBUF, BUFSZ, 0, 0, &self->cfg));
	self->pool = map_pool(self->dev, self->cfg.mmap_size);
	ASSERT_NE(NULL, self->pool);
	ASSERT_EQ(0, xioctl(self->dev, FPGACAP_IOC_START, NULL));
	ASSERT_EQ(1, dequeue(self->dev, &self->b, 1, 5 * SEC));
	ASSERT_EQ(-1, check_pattern(self->pool + self->b.index * BUFSZ,
				    self->b.bytes_used, self->b.offset));
	self->dmabuf = export_buf(self->dev, self->b.index,
				  O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, self->dmabuf) TH_LOG("EXPORT: %s",
					  strerror(-self->dmabuf));
}

FIXTURE_TEARDOWN(held)
{
	if (!access(IMP_DIR "ctl", W_OK))
		imp("release_all");
	if (self->dmabuf >= 0)
		close(self->dmabuf);
	if (self->pool)
		munmap(self->pool, self->cfg.mmap_size);
	if (self->dev >= 0)
		close(self->dev);
	/* Whatever happened, leave the module loaded for the next test. */
	if (access(dev_path(), F_OK) && getenv("FPGACAP_KO"))
		load_module(getenv("FPGACAP_KO"), getenv("FPGACAP_KO_PARAMS"));
}

/* The dma-buf: its size, flags, exporter, and one per EXPORT. */
TEST_F(held, export_basics)
{
	struct fpgacap_info info;
	char path[64], fdinfo[512];
	int second;

	ASSERT_EQ(0, xioctl(self->dev, FPGACAP_IOC_INFO, &info));
	EXPECT_TRUE(info.caps & FPGACAP_CAP_DMABUF);
	EXPECT_EQ(BUFSZ, lseek(self->dmabuf, 0, SEEK_END));
	EXPECT_TRUE(fcntl(self->dmabuf, F_GETFD) & FD_CLOEXEC);
	EXPECT_EQ(O_RDONLY, fcntl(self->dmabuf, F_GETFL) & O_ACCMODE);
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", self->dmabuf);
	ASSERT_EQ(0, read_file(path, fdinfo, sizeof(fdinfo)));
	EXPECT_NE(NULL, strstr(fdinfo, "exp_name:\tfpgacap\n"))
		TH_LOG("%s", fdinfo);

	/* Each EXPORT is a dma-buf of its own; without O_CLOEXEC, inherited. */
	second = export_buf(self->dev, self->b.index, O_RDONLY);
	ASSERT_LE(0, second);
	EXPECT_FALSE(fcntl(second, F_GETFD) & FD_CLOEXEC);
	EXPECT_NE(ino_of(self->dmabuf), ino_of(second));
	close(second);
	EXPECT_EQ(1, user_count(self->dev));
}

/*
 * Refusals: a buffer not held, bad flags, O_RDWR of a read-only pool,
 * reserved fields, a bad pointer. None changes anything or leaves a
 * descriptor behind.
 */
TEST_F(held, export_refused)
{
	struct fpgacap_export ex;
	uint32_t other = (self->b.index + 1) % NBUF;
	int dev = self->dev, fd = next_fd();

	EXPECT_EQ(-EINVAL, export_buf(dev, NBUF, O_RDONLY));
	EXPECT_EQ(-EINVAL, export_buf(dev, UINT32_MAX, O_RDONLY));
	EXPECT_EQ(-EINVAL, export_buf(dev, other, O_RDONLY));
	EXPECT_EQ(-EINVAL, export_buf(dev, self->b.index, O_WRONLY));
	EXPECT_EQ(-EINVAL, export_buf(dev, self->b.index, O_ACCMODE));
	EXPECT_EQ(-EINVAL, export_buf(dev, self->b.index, O_NONBLOCK));
	EXPECT_EQ(-EINVAL, export_buf(dev, self->b.index, O_APPEND));
	EXPECT_EQ(-EINVAL, export_buf(dev, self->b.index, 1U << 31));
	EXPECT_EQ(-EACCES, export_buf(dev, self->b.index, O_RDWR));

	memset(&ex, 0, sizeof(ex));
	ex.index = self->b.index;
	ex.reserved0 = 1;
	EXPECT_EQ(-EINVAL, xioctl(dev, FPGACAP_IOC_EXPORT, &ex));
	ex.reserved0 = 0;
	ex.reserved[0] = 1;
	EXPECT_EQ(-EINVAL, xioctl(dev, FPGACAP_IOC_EXPORT, &ex));
	ex.reserved[0] = 0;
	ex.reserved[1] = 1ULL << 63;
	EXPECT_EQ(-EINVAL, xioctl(dev, FPGACAP_IOC_EXPORT, &ex));
	EXPECT_EQ(-EFAULT, xioctl(dev, FPGACAP_IOC_EXPORT, NULL));
	EXPECT_EQ(fd, next_fd());
	EXPECT_EQ(1, user_count(dev));

	/* Returned, the buffer is no longer userspace's to export. */
	ASSERT_EQ(0, give_back(dev, &self->b.index, 1));
	EXPECT_EQ(-EINVAL, export_buf(dev, self->b.index, O_RDONLY));
	EXPECT_EQ(fd, next_fd());
}

/*
 * A reply EXPORT cannot write back: EFAULT, and nothing is left behind: the
 * descriptor is installed only once its number reached the program, so the
 * lowest free descriptor is still free, and the buffer exports again.
 */
TEST_F(held, export_reply_unwritable)
{
	long pg = page_size();
	struct fpgacap_export *ex;
	int fd = next_fd(), again;

	ex = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		  -1, 0);
	ASSERT_NE(MAP_FAILED, ex);
	ex->index = self->b.index;
	ex->flags = O_RDONLY | O_CLOEXEC;
	ASSERT_EQ(0, mprotect(ex, pg, PROT_READ));
	EXPECT_EQ(-EFAULT, xioctl(self->dev, FPGACAP_IOC_EXPORT, ex));
	EXPECT_EQ(fd, next_fd());
	again = export_buf(self->dev, self->b.index, O_RDONLY | O_CLOEXEC);
	EXPECT_EQ(fd, again);
	if (again >= 0)
		close(again);
	munmap(ex, pg);
}

/* Only the owner exports: others EBUSY (EBADF write-only), none ENOBUFS. */
TEST(export_needs_owner)
{
	int a, b, c;

	a = open(dev_path(), O_RDONLY);
	ASSERT_LE(0, a);
	EXPECT_EQ(-ENOBUFS, export_buf(a, 0, O_RDONLY));
	ASSERT_EQ(0, configure(a, 4, BUFSZ, 0, 0, NULL));
	b = open(dev_path(), O_RDONLY);
	ASSERT_LE(0, b);
	c = open(dev_path(), O_WRONLY);
	ASSERT_LE(0, c);
	EXPECT_EQ(-EBUSY, export_buf(b, 0, O_RDONLY));
	EXPECT_EQ(-EBADF, export_buf(c, 0, O_RDONLY));
	/* The owner, with a pool but nothing held. */
	EXPECT_EQ(-EINVAL, export_buf(a, 0, O_RDONLY));
	ASSERT_EQ(0, configure(a, 0, 0, 0, 0, NULL));
	EXPECT_EQ(-ENOBUFS, export_buf(a, 0, O_RDONLY));
	EXPECT_EQ(-ENOBUFS, export_buf(b, 0, O_RDONLY));
	close(c);
	close(b);
	close(a);
}

/*
 * A writable pool (FPGACAP_CFG_WRITABLE, owner opened O_RDWR) exports
 * writable dma-bufs on request: written bytes land in the pool's pages.
 * Read-only exports of it stay read-only (mmap, mprotect, SYNC_WRITE).
 */
TEST(export_writable)
{
	struct fpgacap_config cfg;
	struct fpgacap_buffer b;
	uint8_t *pool, *p;
	int dev, rw, ro;

	dev = open(dev_path(), O_RDWR);
	ASSERT_LE(0, dev);
	ASSERT_EQ(0, configure(dev, 4, BUFSZ, FPGACAP_CFG_WRITABLE, 0, &cfg));
	pool = mmap(NULL, cfg.mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		    dev, 0);
	ASSERT_NE(MAP_FAILED, pool);
	ASSERT_EQ(0, xioctl(dev, FPGACAP_IOC_START, NULL));
	ASSERT_EQ(1, dequeue(dev, &b, 1, 5 * SEC));

	rw = export_buf(dev, b.index, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, rw) TH_LOG("EXPORT O_RDWR: %s", strerror(-rw));
	EXPECT_EQ(O_RDWR, fcntl(rw, F_GETFL) & O_ACCMODE);
	p = mmap(NULL, BUFSZ, PROT_READ | PROT_WRITE, MAP_SHARED, rw, 0);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(0, dmabuf_sync(rw, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW));
	p[100] ^= 0xff;
	EXPECT_EQ(p[100], pool[b.index * BUFSZ + 100]);
	p[100] ^= 0xff;
	EXPECT_EQ(0, dmabuf_sync(rw, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW));
	EXPECT_EQ(-1, check_pattern(p, b.bytes_used, b.offset));
	munmap(p, BUFSZ);

	ro = export_buf(dev, b.index, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, ro);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, BUFSZ, PROT_READ | PROT_WRITE,
				   MAP_SHARED, ro, 0));
	EXPECT_EQ(EACCES, errno);
	p = mmap(NULL, BUFSZ, PROT_READ, MAP_SHARED, ro, 0);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(-1, mprotect(p, BUFSZ, PROT_READ | PROT_WRITE));
	EXPECT_EQ(EACCES, errno);
	EXPECT_EQ(-EACCES, dmabuf_sync(ro, DMA_BUF_SYNC_START |
					   DMA_BUF_SYNC_WRITE));
	EXPECT_EQ(0, dmabuf_sync(ro, SYNC_READ_START));
	EXPECT_EQ(0, dmabuf_sync(ro, SYNC_READ_END));
	munmap(p, BUFSZ);
	close(ro);
	close(rw);
	munmap(pool, cfg.mmap_size);
	close(dev);
}

/*
 * Writing needs a file opened for writing, as the pool's own mapping
 * does (the VFS refuses a writable shared mapping of a read-only file):
 * an owner that opened the device O_RDONLY gets no writable dma-buf, even
 * of a writable pool.
 */
TEST(export_rdwr_needs_a_writer)
{
	struct fpgacap_config cfg;
	struct fpgacap_buffer b;
	int dev, fd;

	dev = open(dev_path(), O_RDONLY);
	ASSERT_LE(0, dev);
	ASSERT_EQ(0, configure(dev, 4, BUFSZ, FPGACAP_CFG_WRITABLE, 0, &cfg));
	/* The pool's own mapping: no. */
	EXPECT_EQ(MAP_FAILED, mmap(NULL, cfg.mmap_size, PROT_READ | PROT_WRITE,
				   MAP_SHARED, dev, 0));
	EXPECT_EQ(EACCES, errno);
	ASSERT_EQ(0, xioctl(dev, FPGACAP_IOC_START, NULL));
	ASSERT_EQ(1, dequeue(dev, &b, 1, 5 * SEC));
	/* Nor through a dma-buf. */
	fd = export_buf(dev, b.index, O_RDWR | O_CLOEXEC);
	EXPECT_EQ(-EACCES, fd);
	if (fd >= 0) {
		uint8_t *p = mmap(NULL, BUFSZ, PROT_READ | PROT_WRITE,
				  MAP_SHARED, fd, 0);

		TH_LOG("a read-only opener got a writable dma-buf%s",
		       p != MAP_FAILED ? " and mapped it writable" : "");
		if (p != MAP_FAILED)
			munmap(p, BUFSZ);
		close(fd);
	}
	fd = export_buf(dev, b.index, O_RDONLY | O_CLOEXEC);
	EXPECT_LE(0, fd);
	if (fd >= 0)
		close(fd);
	close(dev);
}

/*
 * Orphans stay bounded whatever made them. A pool let go while a dma-buf
 * of it exists is an orphan, like one still mapped; max_orphaned is what
 * keeps one member of the group from leaving the next owner without
 * memory (docs/security.md), so exporting and closing, again and again,
 * must not pile orphans past it. (EXPORT may refuse with EDQUOT the
 * dma-buf that would; either way the orphans stay within the limit and
 * the next owner gets the rest of max_pinned.)
 */
FIXTURE(limits) {
	char pinned[32], orphaned[32];
	int fds[3];
};

FIXTURE_SETUP(limits)
{
	int i;

	for (i = 0; i < 3; i++)
		self->fds[i] = -1;
	ASSERT_EQ(0, get_param("max_pinned", self->pinned,
			       sizeof(self->pinned)));
	ASSERT_EQ(0, get_param("max_orphaned", self->orphaned,
			       sizeof(self->orphaned)));
	ASSERT_EQ(0, set_param("max_pinned", "3145728"));
	ASSERT_EQ(0, set_param("max_orphaned", "1048576"));
}

FIXTURE_TEARDOWN(limits)
{
	int i;

	for (i = 0; i < 3; i++)
		if (self->fds[i] >= 0)
			close(self->fds[i]);
	set_param("max_orphaned", self->orphaned);
	set_param("max_pinned", self->pinned);
}

TEST_F(limits, exports_leave_orphans_bounded)
{
	struct fpgacap_info info;
	struct fpgacap_buffer b;
	int i, dev, ret;

	for (i = 0; i < 3; i++) {
		dev = open(dev_path(), O_RDONLY);
		ASSERT_LE(0, dev);
		ret = configure(dev, 4, 256 * KiB, 0, 0, NULL);
		if (ret == -EDQUOT) {
			TH_LOG("owner %d: CONFIGURE EDQUOT", i);
			close(dev);
			break;
		}
		ASSERT_EQ(0, ret);
		ASSERT_EQ(0, xioctl(dev, FPGACAP_IOC_START, NULL));
		ASSERT_EQ(1, dequeue(dev, &b, 1, 5 * SEC));
		self->fds[i] = export_buf(dev, b.index, O_RDONLY | O_CLOEXEC);
		if (self->fds[i] < 0)
			EXPECT_EQ(-EDQUOT, self->fds[i]);
		/* The owner leaves; its dma-buf keeps the pool. */
		close(dev);
	}
	dev = open(dev_path(), O_RDONLY);
	ASSERT_LE(0, dev);
	ASSERT_EQ(0, xioctl(dev, FPGACAP_IOC_INFO, &info));
	EXPECT_GE(info.max_orphaned, info.orphaned)
		TH_LOG("%llu bytes orphaned", (unsigned long long)info.orphaned);
	/* max_pinned - max_orphaned is the next owner's. */
	EXPECT_EQ(0, configure(dev, 8, 256 * KiB, 0, 0, NULL));
	close(dev);
}

/* The dma-buf's mmap: shared, not executable, inside the buffer. */
TEST_F(held, mmap_rules)
{
	long pg = page_size();
	uint8_t *p;

	EXPECT_EQ(MAP_FAILED, mmap(NULL, BUFSZ, PROT_READ, MAP_PRIVATE,
				   self->dmabuf, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, BUFSZ, PROT_READ | PROT_EXEC,
				   MAP_SHARED, self->dmabuf, 0));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, BUFSZ + pg, PROT_READ, MAP_SHARED,
				   self->dmabuf, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, pg, PROT_READ, MAP_SHARED,
				   self->dmabuf, BUFSZ));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, BUFSZ, PROT_READ | PROT_WRITE,
				   MAP_SHARED, self->dmabuf, 0));
	EXPECT_EQ(EACCES, errno);

	/* A part, at a page offset. */
	p = mmap(NULL, BUFSZ - pg, PROT_READ, MAP_SHARED, self->dmabuf, pg);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(-1, check_pattern(p, self->b.bytes_used - pg,
				    self->b.offset + pg));
	EXPECT_EQ(-1, mprotect(p, BUFSZ - pg, PROT_READ | PROT_WRITE));
	EXPECT_EQ(EACCES, errno);
	EXPECT_EQ(-1, mprotect(p, BUFSZ - pg, PROT_READ | PROT_EXEC));
	munmap(p, BUFSZ - pg);
}

/* The dma-buf maps the pool's own pages: same bytes, same page frames. */
TEST_F(held, mmap_same_pages)
{
	const uint8_t *pool = self->pool + self->b.index * BUFSZ;
	long pg = page_size(), i, frames = 0;
	uint8_t *p;

	p = mmap(NULL, BUFSZ, PROT_READ, MAP_SHARED, self->dmabuf, 0);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(0, memcmp(p, pool, BUFSZ));
	EXPECT_EQ(-1, check_pattern(p, self->b.bytes_used, self->b.offset));
	for (i = 0; i < BUFSZ / pg; i++) {
		uint64_t a = pfn_of(p + i * pg), b = pfn_of(pool + i * pg);

		if (!a || !b)
			continue;
		frames++;
		EXPECT_EQ(b, a) TH_LOG("page %ld", i);
	}
	/* Root reads page frames in /proc/self/pagemap; the tests run so. */
	EXPECT_EQ(BUFSZ / pg, frames);
	munmap(p, BUFSZ);
}

/* The access rules through DMA_BUF_IOCTL_SYNC alone (a CPU importer). */
TEST_F(held, sync_only_while_held)
{
	uint64_t returned = returned_count(self->dev);

	EXPECT_EQ(-EINVAL, dmabuf_sync(self->dmabuf, DMA_BUF_SYNC_START | 0x10));
	ASSERT_EQ(0, dmabuf_sync(self->dmabuf, SYNC_READ_START));
	/* RETURN during an access lends the buffer: it stays userspace's. */
	ASSERT_EQ(0, give_back(self->dev, &self->b.index, 1));
	EXPECT_EQ(1, user_count(self->dev));
	EXPECT_EQ(returned, returned_count(self->dev));
	/* Lent is not held: no new access. */
	EXPECT_EQ(-EBUSY, dmabuf_sync(self->dmabuf, SYNC_READ_START));
	EXPECT_EQ(0, cycle_avoiding(self->dev, self->b.index, 2 * NBUF));
	/* The last access ends: the source has it back. */
	EXPECT_EQ(0, dmabuf_sync(self->dmabuf, SYNC_READ_END));
	EXPECT_EQ(0, user_count(self->dev));
	EXPECT_EQ(returned + 1 + 2 * NBUF, returned_count(self->dev));
	EXPECT_EQ(-EBUSY, dmabuf_sync(self->dmabuf, SYNC_READ_START));
	EXPECT_EQ(-EINVAL, dmabuf_sync(self->dmabuf, SYNC_READ_END));
}

/*
 * SYNC_END without a START fails and changes nothing: the count of open
 * accesses is not driven below zero, so a later START still lends.
 */
TEST_F(held, sync_end_without_start)
{
	int fd = self->dmabuf;

	EXPECT_EQ(-EINVAL, dmabuf_sync(fd, SYNC_READ_END));
	EXPECT_EQ(1, user_count(self->dev));
	ASSERT_EQ(0, dmabuf_sync(fd, SYNC_READ_START));
	ASSERT_EQ(0, dmabuf_sync(fd, SYNC_READ_END));
	EXPECT_EQ(-EINVAL, dmabuf_sync(fd, SYNC_READ_END));
	ASSERT_EQ(0, dmabuf_sync(fd, SYNC_READ_START));
	ASSERT_EQ(0, give_back(self->dev, &self->b.index, 1));
	EXPECT_EQ(1, user_count(self->dev));
	EXPECT_EQ(0, dmabuf_sync(fd, SYNC_READ_END));
	EXPECT_EQ(0, user_count(self->dev));
	EXPECT_EQ(-EINVAL, dmabuf_sync(fd, SYNC_READ_END));
}

/* Closing the dma-buf ends the accesses its holders never ended. */
TEST_F(held, close_ends_open_accesses)
{
	ASSERT_EQ(0, dmabuf_sync(self->dmabuf, SYNC_READ_START));
	ASSERT_EQ(0, dmabuf_sync(self->dmabuf, SYNC_READ_START));
	ASSERT_EQ(0, give_back(self->dev, &self->b.index, 1));
	EXPECT_EQ(1, user_count(self->dev));
	close(self->dmabuf);
	self->dmabuf = -1;
	EXPECT_EQ(0, user_count(self->dev));
	EXPECT_EQ(0, cycle_until(self->dev, self->b.index, 2 * NBUF,
				 &self->b));
}

/* The importer maps for its device and reads the pattern, every byte. */
TEST_F(held, importer_maps_exact)
{
	REQUIRE_IMPORTER();
	ASSERT_EQ(0, imp("import 0 %d %llu %llu", self->dmabuf,
			 (unsigned long long)self->b.offset,
			 (unsigned long long)self->b.bytes_used))
		TH_LOG("%s", imp_slot(0));
	EXPECT_EQ((long long)self->b.bytes_used, imp_field(0, "checked"));
	EXPECT_EQ(0, imp_field(0, "bad"));
	/* The guests map directly: the device's view was read as well. */
	EXPECT_EQ(1, imp_field(0, "device_view")) TH_LOG("%s", imp_slot(0));
	EXPECT_EQ(0, imp_counter("short_tables"));
	/* The checker can fail: the next word's pattern is not this. */
	EXPECT_EQ(-EBADMSG, imp("check 0 %llu 0",
				(unsigned long long)self->b.offset + 8));
	EXPECT_EQ(0, imp("check 0 %llu 0", (unsigned long long)self->b.offset));
	/* A second attachment: a read-only export is no device's to write
	 * (EACCES), and both ways it is mapped for reading. */
	EXPECT_EQ(0, imp("attach 1 %d", self->dmabuf));
	EXPECT_EQ(-EACCES, imp("map 1 from_device"));
	EXPECT_EQ(0, imp("map 1 bidirectional"));
	EXPECT_EQ(0, imp("check 1 %llu 0", (unsigned long long)self->b.offset));
	EXPECT_EQ(0, imp("detach 1"));
	EXPECT_EQ(0, imp("detach 0"));
	EXPECT_EQ(-ENOTCONN, imp("detach 0"));
	/* A descriptor that is not a dma-buf. */
	EXPECT_EQ(-EINVAL, imp("attach 0 %d", self->dev));
	EXPECT_EQ(1, user_count(self->dev));
}

/*
 * The exporter honours the importer's DMA parameters: no segment of the
 * table longer than the device's max_seg_size (the dma-buf documentation
 * asks exporters to; DMA-API debug reports "mapping sg segment longer than
 * device claims to support"). A device that takes one page per segment
 * gets a table of pages, however contiguous the pool's pages are (the
 * pattern source's come in chunks of up to 8 pages).
 */
FIXTURE(segments) {
	int dev, fd;
};

FIXTURE_SETUP(segments)
{
	char pg[32];

	self->dev = -1;
	self->fd = -1;
	REQUIRE_IMPORTER();
	snprintf(pg, sizeof(pg), "%ld", page_size());
	ASSERT_EQ(0, write_file(IMP_DIR "max_seg_size", pg));
}

FIXTURE_TEARDOWN(segments)
{
	if (importer_present() <= 0)
		return;
	imp("release_all");
	write_file(IMP_DIR "max_seg_size", "65536");
	if (self->fd >= 0)
		close(self->fd);
	if (self->dev >= 0)
		close(self->dev);
}

TEST_F(segments, table_fits_the_device)
{
	struct fpgacap_buffer b;
	long long_before;

	RETURN_IF_SKIPPED();
	long_before = imp_counter("long_segments");
	self->dev = open(dev_path(), O_RDONLY);
	ASSERT_LE(0, self->dev);
	ASSERT_EQ(0, configure(self->dev, 2, 256 * KiB, 0, 0, NULL));
	ASSERT_EQ(0, xioctl(self->dev, FPGACAP_IOC_START, NULL));
	ASSERT_EQ(1, dequeue(self->dev, &b, 1, 5 * SEC));
	self->fd = export_buf(self->dev, b.index, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
	EXPECT_EQ(0, imp("import 0 %d %llu 0", self->fd,
			 (unsigned long long)b.offset))
		TH_LOG("%s", imp_slot(0));
	EXPECT_GE(page_size(), imp_field(0, "longest"))
		TH_LOG("%s", imp_slot(0));
	EXPECT_EQ(long_before, imp_counter("long_segments"));
}

/* Not held: the importer cannot map (EBUSY), nor start a CPU access. */
TEST_F(held, importer_refused_unless_held)
{
	struct fpgacap_buffer again;
	long errors;

	REQUIRE_IMPORTER();
	ASSERT_EQ(0, give_back(self->dev, &self->b.index, 1));
	ASSERT_EQ(0, imp("attach 0 %d", self->dmabuf));
	errors = imp_counter("map_errors");
	EXPECT_EQ(-EBUSY, imp("map 0 to_device"));
	EXPECT_EQ(errors + 1, imp_counter("map_errors"));
	EXPECT_EQ(-EBUSY, imp("begin_cpu 0 from_device"));
	EXPECT_EQ(-EBUSY, dmabuf_sync(self->dmabuf, SYNC_READ_START));
	/*
	 * The dma-buf stands for its buffer: once dequeued again, it maps,
	 * and shows what the source wrote there since.
	 */
	ASSERT_EQ(0, cycle_until(self->dev, self->b.index, 2 * NBUF, &again));
	EXPECT_LT(self->b.offset, again.offset);
	EXPECT_EQ(0, imp("map 0 to_device"));
	EXPECT_EQ(0, imp("check 0 %llu %llu", (unsigned long long)again.offset,
			 (unsigned long long)again.bytes_used))
		TH_LOG("%s", imp_slot(0));
	EXPECT_EQ(0, imp("detach 0"));
	EXPECT_EQ(0, give_back(self->dev, &again.index, 1));
}

/*
 * RETURN while the importer has the buffer mapped lends it: STATS counts
 * it as the user's, the source never gets it (its bytes stay as they
 * were), and it goes back when the importer unmaps.
 */
TEST_F_TIMEOUT(held, return_while_mapped_lends, 120)
{
	unsigned long long off = self->b.offset, len = self->b.bytes_used;
	uint64_t returned = returned_count(self->dev);
	struct fpgacap_buffer again;

	REQUIRE_IMPORTER();
	ASSERT_EQ(0, imp("import 0 %d %llu %llu", self->dmabuf, off, len));
	ASSERT_EQ(0, give_back(self->dev, &self->b.index, 1));
	EXPECT_EQ(1, user_count(self->dev));
	EXPECT_EQ(returned, returned_count(self->dev));
	/* Lent is not held: no export, no new mapping, no CPU access. */
	EXPECT_EQ(-EINVAL, export_buf(self->dev, self->b.index, O_RDONLY));
	EXPECT_EQ(0, imp("attach 1 %d", self->dmabuf));
	EXPECT_EQ(-EBUSY, imp("map 1 to_device"));
	EXPECT_EQ(-EBUSY, dmabuf_sync(self->dmabuf, SYNC_READ_START));
	/* The source goes round the other buffers, many times. */
	EXPECT_EQ(0, cycle_avoiding(self->dev, self->b.index, 4 * NBUF));
	EXPECT_EQ(0, imp("check 0 %llu %llu", off, len)) TH_LOG("%s", imp_slot(0));
	EXPECT_EQ(-1, check_pattern(self->pool + self->b.index * BUFSZ, len,
				    off));
	/* The importer lets go: the buffer is the source's again. */
	ASSERT_EQ(0, imp("unmap 0"));
	EXPECT_EQ(0, user_count(self->dev));
	EXPECT_EQ(returned + 1 + 4 * NBUF, returned_count(self->dev));
	ASSERT_EQ(0, cycle_until(self->dev, self->b.index, 2 * NBUF, &again));
	EXPECT_LT(off, again.offset);
	EXPECT_EQ(-1, check_pattern(self->pool + again.index * BUFSZ,
				    again.bytes_used, again.offset));
	EXPECT_EQ(0, give_back(self->dev, &again.index, 1));
}

/* Accesses of every kind add up; the buffer comes back with the last. */
TEST_F(held, accesses_add_up)
{
	REQUIRE_IMPORTER();
	ASSERT_EQ(0, imp("import 0 %d %llu 0", self->dmabuf,
			 (unsigned long long)self->b.offset));
	ASSERT_EQ(0, imp("attach 1 %d", self->dmabuf));
	ASSERT_EQ(0, imp("begin_cpu 1 from_device"));
	ASSERT_EQ(0, dmabuf_sync(self->dmabuf, SYNC_READ_START));
	ASSERT_EQ(0, give_back(self->dev, &self->b.index, 1));
	EXPECT_EQ(1, user_count(self->dev));
	EXPECT_EQ(0, imp("unmap 0"));
	EXPECT_EQ(1, user_count(self->dev));
	EXPECT_EQ(0, dmabuf_sync(self->dmabuf, SYNC_READ_END));
	EXPECT_EQ(1, user_count(self->dev));
	EXPECT_EQ(0, imp("end_cpu 1 from_device"));
	EXPECT_EQ(0, user_count(self->dev));
	/* A kernel user's END without a START is refused too. */
	EXPECT_EQ(-EINVAL, imp("end_cpu 1 from_device"));
	EXPECT_EQ(0, imp("detach 1"));
}

/* Write the pattern from stream @offset over @bytes at @data. */
static void fill_pattern(void *data, uint64_t bytes, uint64_t offset)
{
	uint64_t *w = data;
	uint64_t i;

	for (i = 0; i < bytes / 8; i++)
		w[i] = htole64(FPGACAP_PATTERN_WORD(offset + 8 * i));
}

/*
 * A writable export (O_RDWR, of a writable pool, the owner holding the
 * buffer), mapped read-write through the dma-buf, which importers map for
 * their devices while the CPU writes and reads it between SYNC_START and
 * SYNC_END. A CPU access takes every importer's mapping from its device
 * and gives it back at the end: the exporter syncs each importer's table,
 * for the CPU at START and for the device at END. Where the DMA API maps
 * directly and coherently (x86) nothing would differ without those
 * syncs; through bounce buffers (x86-swiotlb, swiotlb=force) an
 * importer's device would keep reading the bytes of map time, and the CPU
 * would never see what the device wrote. On the debug guests DMA-API
 * debug checks each sync's direction and table.
 */
FIXTURE(writable) {
	int dev, dmabuf;
	struct fpgacap_config cfg;
	struct fpgacap_buffer b;
	uint8_t *pool, *p;
};

FIXTURE_SETUP(writable)
{
	self->dmabuf = -1;
	self->pool = NULL;
	self->p = NULL;
	self->dev = open(dev_path(), O_RDWR);
	ASSERT_LE(0, self->dev);
	ASSERT_EQ(0, configure(self->dev, NBUF, BUFSZ, FPGACAP_CFG_WRITABLE,
			       0, &self->cfg));
	self->pool = map_pool(self->dev, self->cfg.mmap_size);
	ASSERT_NE(NULL, self->pool);
	ASSERT_EQ(0, xioctl(self->dev, FPGACAP_IOC_START, NULL));
	ASSERT_EQ(1, dequeue(self->dev, &self->b, 1, 5 * SEC));
	ASSERT_EQ(BUFSZ, self->b.bytes_used);
	ASSERT_EQ(-1, check_pattern(self->pool + self->b.index * BUFSZ,
				    BUFSZ, self->b.offset));
	self->dmabuf = export_buf(self->dev, self->b.index,
				  O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->dmabuf) TH_LOG("EXPORT: %s",
					  strerror(-self->dmabuf));
	self->p = mmap(NULL, BUFSZ, PROT_READ | PROT_WRITE, MAP_SHARED,
		       self->dmabuf, 0);
	ASSERT_NE(MAP_FAILED, self->p);
}

FIXTURE_TEARDOWN(writable)
{
	if (!access(IMP_DIR "ctl", W_OK))
		imp("release_all");
	if (self->p && self->p != MAP_FAILED)
		munmap(self->p, BUFSZ);
	if (self->dmabuf >= 0)
		close(self->dmabuf);
	if (self->pool)
		munmap(self->pool, self->cfg.mmap_size);
	if (self->dev >= 0)
		close(self->dev);
}

/*
 * What the CPU writes during an access reaches every importer's device at
 * SYNC_END: one that maps both ways, one that only reads.
 */
TEST_F(writable, cpu_writes_reach_the_importers)
{
	unsigned long long off = self->b.offset, x = self->b.offset + 8;

	REQUIRE_IMPORTER();
	ASSERT_EQ(0, imp("attach 0 %d", self->dmabuf));
	ASSERT_EQ(0, imp("map 0 bidirectional"));
	ASSERT_EQ(0, imp("attach 1 %d", self->dmabuf));
	ASSERT_EQ(0, imp("map 1 to_device"));
	/* Mapped: the devices read what the source wrote. */
	EXPECT_EQ(0, imp("check 0 %llu 0", off)) TH_LOG("%s", imp_slot(0));
	EXPECT_EQ(0, imp("check 1 %llu 0", off)) TH_LOG("%s", imp_slot(1));

	/* The CPU writes the pattern of another stream offset. */
	ASSERT_EQ(0, dmabuf_sync(self->dmabuf, DMA_BUF_SYNC_START |
					       DMA_BUF_SYNC_WRITE));
	fill_pattern(self->p, BUFSZ, x);
	ASSERT_EQ(0, dmabuf_sync(self->dmabuf, DMA_BUF_SYNC_END |
					       DMA_BUF_SYNC_WRITE));
	EXPECT_EQ(0, imp("check 0 %llu 0", x)) TH_LOG("%s", imp_slot(0));
	EXPECT_EQ(0, imp("check 1 %llu 0", x)) TH_LOG("%s", imp_slot(1));
	EXPECT_EQ(-1, check_pattern(self->pool + self->b.index * BUFSZ,
				    BUFSZ, x));

	/* And again: each access's end gives the devices its writes. */
	ASSERT_EQ(0, dmabuf_sync(self->dmabuf, DMA_BUF_SYNC_START |
					       DMA_BUF_SYNC_RW));
	EXPECT_EQ(-1, check_pattern(self->p, BUFSZ, x));
	fill_pattern(self->p, BUFSZ, off);
	ASSERT_EQ(0, dmabuf_sync(self->dmabuf, DMA_BUF_SYNC_END |
					       DMA_BUF_SYNC_RW));
	EXPECT_EQ(0, imp("check 0 %llu 0", off)) TH_LOG("%s", imp_slot(0));
	EXPECT_EQ(0, imp("check 1 %llu 0", off)) TH_LOG("%s", imp_slot(1));
	EXPECT_EQ(0, imp("detach 1"));
	EXPECT_EQ(0, imp("detach 0"));
	EXPECT_EQ(1, user_count(self->dev));
}

/*
 * What an importer's device writes reaches the CPU at SYNC_START: a
 * device that maps both ways, one that only writes. A device that only
 * reads may not write (the importer's own rule, EACCES).
 */
TEST_F(writable, importer_writes_reach_the_cpu)
{
	unsigned long long x = self->b.offset + 8, y = self->b.offset + 16;
	int ret;

	REQUIRE_IMPORTER();
	ASSERT_EQ(0, imp("attach 0 %d", self->dmabuf));
	ASSERT_EQ(0, imp("map 0 bidirectional"));
	ret = imp("fill 0 %llu", x);
	if (ret == -EOPNOTSUPP)
		SKIP(return, "the importer writes as a device only where DMA is coherent");
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, dmabuf_sync(self->dmabuf, SYNC_READ_START));
	EXPECT_EQ(-1, check_pattern(self->p, BUFSZ, x));
	EXPECT_EQ(-1, check_pattern(self->pool + self->b.index * BUFSZ,
				    BUFSZ, x));
	ASSERT_EQ(0, dmabuf_sync(self->dmabuf, SYNC_READ_END));
	/* The device's mapping still holds what it wrote. */
	EXPECT_EQ(0, imp("check 0 %llu 0", x)) TH_LOG("%s", imp_slot(0));
	ASSERT_EQ(0, imp("unmap 0"));

	/* A device that only writes; the CPU reads and writes after it. */
	ASSERT_EQ(0, imp("map 0 from_device"));
	ASSERT_EQ(0, imp("fill 0 %llu", y));
	ASSERT_EQ(0, dmabuf_sync(self->dmabuf, DMA_BUF_SYNC_START |
					       DMA_BUF_SYNC_RW));
	EXPECT_EQ(-1, check_pattern(self->p, BUFSZ, y));
	ASSERT_EQ(0, dmabuf_sync(self->dmabuf, DMA_BUF_SYNC_END |
					       DMA_BUF_SYNC_RW));

	ASSERT_EQ(0, imp("attach 1 %d", self->dmabuf));
	ASSERT_EQ(0, imp("map 1 to_device"));
	EXPECT_EQ(-EACCES, imp("fill 1 %llu", x));
	EXPECT_EQ(0, imp("detach 1"));
	EXPECT_EQ(0, imp("detach 0"));
	EXPECT_EQ(1, user_count(self->dev));
}

/*
 * The owner's close ends the stream and takes back every buffer, but the
 * dma-buf keeps the pages: the importer's mapping and the dma-buf's mmap
 * stay readable, new accesses fail with ENODEV, and the pages go with the
 * last reference. A new owner meanwhile streams as usual.
 */
TEST_F_TIMEOUT(held, outlives_close, 120)
{
	long pages = self->cfg.mmap_size / page_size();
	int other;
	uint8_t *p;

	REQUIRE_IMPORTER();
	ASSERT_EQ(0, imp("import 0 %d %llu 0", self->dmabuf,
			 (unsigned long long)self->b.offset));
	p = mmap(NULL, BUFSZ, PROT_READ, MAP_SHARED, self->dmabuf, 0);
	ASSERT_NE(MAP_FAILED, p);
	munmap(self->pool, self->cfg.mmap_size);
	self->pool = NULL;
	close(self->dev);
	self->dev = -1;

	EXPECT_EQ(0, imp("check 0 %llu 0", (unsigned long long)self->b.offset))
		TH_LOG("%s", imp_slot(0));
	EXPECT_EQ(-1, check_pattern(p, self->b.bytes_used, self->b.offset));
	ASSERT_EQ(0, imp("attach 1 %d", self->dmabuf));
	EXPECT_EQ(-ENODEV, imp("map 1 to_device"));
	EXPECT_EQ(-ENODEV, imp("begin_cpu 1 from_device"));
	EXPECT_EQ(-ENODEV, dmabuf_sync(self->dmabuf, SYNC_READ_START));
	EXPECT_EQ(self->before + pages, pool_pages());

	other = open(dev_path(), O_RDONLY);
	ASSERT_LE(0, other);
	ASSERT_STREAMS_ON(other);
	close(other);

	/* The importer lets go, then the mapping, then the descriptor. */
	EXPECT_EQ(0, imp("release_all"));
	EXPECT_EQ(self->before + pages, pool_pages());
	munmap(p, BUFSZ);
	EXPECT_EQ(self->before + pages, pool_pages());
	close(self->dmabuf);
	self->dmabuf = -1;
	EXPECT_EQ(self->before, pool_pages());
}

/*
 * The node platform device @pdev has now, as "/dev/NAME" in @out: a device
 * bound while the old one still lives (held by a dma-buf, a mapping) gets
 * a number of its own. 0, or -ENOENT after 5 s.
 */
static int node_of(const char *pdev, char *out, size_t len)
{
	char dir[192];
	int i;

	snprintf(dir, sizeof(dir), "/sys/bus/platform/devices/%s/fpgacap",
		 pdev);
	for (i = 0; i < 100; i++) {
		DIR *dp = opendir(dir);
		struct dirent *d;

		while (dp && (d = readdir(dp))) {
			if (d->d_name[0] == '.')
				continue;
			snprintf(out, len, "/dev/%.64s", d->d_name);
			closedir(dp);
			if (!access(out, F_OK))
				return 0;
			dp = NULL;
		}
		if (dp)
			closedir(dp);
		usleep(50000);
	}
	return -ENOENT;
}

/*
 * Unbind with the buffer exported and mapped: the same. The device bound
 * next, while the old one lives on in the dma-buf, is another device (with
 * a name of its own): the old dma-buf has nothing to do with its pool.
 * Once everything of the old device is let go, the node's name is free
 * again (a rebind gets it back; a reference left behind would keep it).
 */
TEST_F_TIMEOUT(held, outlives_unbind, 120)
{
	long pages = self->cfg.mmap_size / page_size();
	char pdev[128], node[128];
	int fd;
	uint8_t *p;

	REQUIRE_IMPORTER();
	ASSERT_EQ(0, platform_name(pdev, sizeof(pdev)));
	ASSERT_EQ(0, imp("import 0 %d %llu 0", self->dmabuf,
			 (unsigned long long)self->b.offset));
	p = mmap(NULL, BUFSZ, PROT_READ, MAP_SHARED, self->dmabuf, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, driver_attr("unbind", pdev));

	EXPECT_EQ(-ENODEV, export_buf(self->dev, self->b.index, O_RDONLY));
	EXPECT_EQ(0, imp("check 0 %llu 0", (unsigned long long)self->b.offset));
	EXPECT_EQ(-1, check_pattern(p, self->b.bytes_used, self->b.offset));
	ASSERT_EQ(0, imp("attach 1 %d", self->dmabuf));
	EXPECT_EQ(-ENODEV, imp("map 1 to_device"));
	EXPECT_EQ(-ENODEV, dmabuf_sync(self->dmabuf, SYNC_READ_START));

	ASSERT_EQ(0, driver_attr("bind", pdev));
	ASSERT_EQ(0, node_of(pdev, node, sizeof(node)));
	TH_LOG("bound again as %s, the old device still exported", node);
	fd = open(node, O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_STREAMS_ON(fd);
	close(fd);
	EXPECT_EQ(-ENODEV, imp("map 1 to_device"));
	EXPECT_EQ(-ENODEV, dmabuf_sync(self->dmabuf, SYNC_READ_START));
	EXPECT_EQ(0, imp("check 0 %llu 0", (unsigned long long)self->b.offset));

	EXPECT_EQ(0, imp("release_all"));
	munmap(p, BUFSZ);
	munmap(self->pool, self->cfg.mmap_size);
	self->pool = NULL;
	close(self->dev);
	self->dev = -1;
	EXPECT_EQ(self->before + pages, pool_pages());
	close(self->dmabuf);
	self->dmabuf = -1;
	EXPECT_EQ(self->before, pool_pages());

	/* Nothing holds the old device now: its name is free again. */
	if (strcmp(node, dev_path())) {
		ASSERT_EQ(0, driver_attr("unbind", pdev));
		ASSERT_EQ(0, driver_attr("bind", pdev));
	}
	ASSERT_EQ(0, wait_for_node());
}

/*
 * The dma-buf holds the module: rmmod waits (EAGAIN, non-blocking) for
 * the importer, the descriptor and a mapping of it, then works.
 */
TEST_F_TIMEOUT(held, rmmod_waits_for_the_dmabuf, 120)
{
	const char *ko = getenv("FPGACAP_KO");
	int importer = importer_present() > 0;
	uint8_t *p;

	if (!ko || access(ko, R_OK))
		SKIP(return, "FPGACAP_KO not set");
	if (importer)
		ASSERT_EQ(0, imp("import 0 %d %llu 0", self->dmabuf,
				 (unsigned long long)self->b.offset));
	munmap(self->pool, self->cfg.mmap_size);
	self->pool = NULL;
	close(self->dev);
	self->dev = -1;
	EXPECT_EQ(-EAGAIN, unload_module("fpgacap"));
	if (importer) {
		EXPECT_EQ(0, imp("release_all"));
		EXPECT_EQ(-EAGAIN, unload_module("fpgacap"));
	}
	p = mmap(NULL, BUFSZ, PROT_READ, MAP_SHARED, self->dmabuf, 0);
	ASSERT_NE(MAP_FAILED, p);
	close(self->dmabuf);
	self->dmabuf = -1;
	/* The mapping holds the dma-buf's file. */
	EXPECT_EQ(-EAGAIN, unload_module("fpgacap"));
	EXPECT_EQ(-1, check_pattern(p, self->b.bytes_used, self->b.offset));
	munmap(p, BUFSZ);
	ASSERT_EQ(0, unload_module("fpgacap"));
	EXPECT_NE(0, access(dev_path(), F_OK));
	ASSERT_EQ(0, load_module(ko, getenv("FPGACAP_KO_PARAMS")));
	ASSERT_EQ(0, wait_for_node());
}

/*
 * Unbind and bind, again and again, with buffers exported, mapped by the
 * importer, lent and under CPU access, letting go in different orders:
 * nothing leaks (pool_pages back where it started; kmemleak and KASAN in
 * the debug guests judge the rest).
 */
FIXTURE(plain) {
	int unused;
};

FIXTURE_SETUP(plain)
{
}

FIXTURE_TEARDOWN(plain)
{
	if (importer_present() > 0)
		imp("release_all");
}

TEST_F_TIMEOUT(plain, unbind_bind_with_exports, 600)
{
	long before = pool_pages();
	char pdev[128];
	int i, j;

	REQUIRE_IMPORTER();
	ASSERT_EQ(0, platform_name(pdev, sizeof(pdev)));
	for (i = 0; i < 6; i++) {
		struct fpgacap_config cfg;
		struct fpgacap_buffer b[3];
		int dev, fds[3];
		uint8_t *pool, *p;

		dev = open(dev_path(), O_RDONLY);
		ASSERT_LE(0, dev);
		ASSERT_EQ(0, configure(dev, 4, BUFSZ, 0, 0, &cfg));
		pool = map_pool(dev, cfg.mmap_size);
		ASSERT_NE(NULL, pool);
		ASSERT_EQ(0, xioctl(dev, FPGACAP_IOC_START, NULL));
		for (j = 0; j < 3; j++) {
			ASSERT_EQ(1, dequeue(dev, &b[j], 1, 5 * SEC));
			fds[j] = export_buf(dev, b[j].index, O_RDONLY | O_CLOEXEC);
			ASSERT_LE(0, fds[j]);
		}
		ASSERT_EQ(0, imp("import 0 %d %llu 0", fds[0],
				 (unsigned long long)b[0].offset));
		ASSERT_EQ(0, imp("import 1 %d %llu 0", fds[1],
				 (unsigned long long)b[1].offset));
		ASSERT_EQ(0, dmabuf_sync(fds[2], SYNC_READ_START));
		/* b[0] lent, b[1] mapped and held, b[2] under CPU access. */
		ASSERT_EQ(0, give_back(dev, &b[0].index, 1));
		p = mmap(NULL, BUFSZ, PROT_READ, MAP_SHARED, fds[1], 0);
		ASSERT_NE(MAP_FAILED, p);
		if (i % 2) {
			/* Its last close ends the CPU access, before unbind. */
			close(fds[2]);
			fds[2] = -1;
		}
		ASSERT_EQ(0, driver_attr("unbind", pdev));
		EXPECT_EQ(0, imp("check 0 %llu 0",
				 (unsigned long long)b[0].offset));
		EXPECT_EQ(0, imp("check 1 %llu 0",
				 (unsigned long long)b[1].offset));
		EXPECT_EQ(-1, check_pattern(p, b[1].bytes_used, b[1].offset));
		if (fds[2] >= 0)
			EXPECT_EQ(0, dmabuf_sync(fds[2], SYNC_READ_END));
		/* Let go of everything, in a different order each time. */
		switch (i % 3) {
		case 0:
			EXPECT_EQ(0, imp("release_all"));
			munmap(p, BUFSZ);
			for (j = 0; j < 3; j++)
				if (fds[j] >= 0)
					close(fds[j]);
			munmap(pool, cfg.mmap_size);
			close(dev);
			break;
		case 1:
			for (j = 0; j < 3; j++)
				if (fds[j] >= 0)
					close(fds[j]);
			close(dev);
			munmap(pool, cfg.mmap_size);
			EXPECT_EQ(0, imp("release_all"));
			munmap(p, BUFSZ);
			break;
		default:
			close(dev);
			munmap(p, BUFSZ);
			EXPECT_EQ(0, imp("release_all"));
			for (j = 2; j >= 0; j--)
				if (fds[j] >= 0)
					close(fds[j]);
			munmap(pool, cfg.mmap_size);
			break;
		}
		EXPECT_EQ(before, pool_pages());
		/* The node comes back by its name: nothing kept the old device. */
		ASSERT_EQ(0, driver_attr("bind", pdev));
		ASSERT_EQ(0, wait_for_node()) TH_LOG("iteration %d", i);
	}
	EXPECT_EQ(before, pool_pages());
}

/*
 * The dma-buf's pages under MSG_ZEROCOPY: every buffer of a fresh stream,
 * in order, exported and mapped through its dma-buf, sent from that
 * mapping (no EFAULT: real pages), its dma-buf and mapping kept until the
 * completion, then let go and the buffer returned. The host sink checks
 * the stream byte for byte; on the guests' NICs the sends are not copied
 * (zerocopy_mostly_sent()).
 */
struct zc_buf {
	int fd;
	uint8_t *map;
	uint32_t id;
	bool in_flight;
};

/* Completions (sends) and notifications, and those flagged COPIED. */
struct zc_count {
	uint64_t completions, copied, notes, copied_notes;
};

static int zc_reap(int sock, int dev, struct zc_buf *zb, uint32_t n,
		   struct zc_count *c, int timeout_ms)
{
	struct pollfd pfd = { .fd = sock, .events = 0 };
	char control[128];
	int got = 0;

	if (poll(&pfd, 1, timeout_ms) < 0)
		return -errno;
	for (;;) {
		struct msghdr msg = {
			.msg_control = control,
			.msg_controllen = sizeof(control),
		};
		struct sock_extended_err *serr;
		struct cmsghdr *cm;
		uint32_t lo, hi, i;

		if (recvmsg(sock, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
			break;
		cm = CMSG_FIRSTHDR(&msg);
		if (!cm)
			continue;
		serr = (struct sock_extended_err *)CMSG_DATA(cm);
		if (serr->ee_origin != SO_EE_ORIGIN_ZEROCOPY)
			return -EPROTO;
		lo = serr->ee_info;
		hi = serr->ee_data;
		c->completions += hi - lo + 1;
		c->notes++;
		if (serr->ee_code & SO_EE_CODE_ZEROCOPY_COPIED) {
			c->copied += hi - lo + 1;
			c->copied_notes++;
		}
		for (i = 0; i < n; i++) {
			if (!zb[i].in_flight || (int32_t)(zb[i].id - lo) < 0 ||
			    (int32_t)(hi - zb[i].id) < 0)
				continue;
			zb[i].in_flight = false;
			munmap(zb[i].map, BUFSZ);
			close(zb[i].fd);
			if (give_back(dev, &i, 1))
				return -EIO;
			got++;
		}
	}
	return got;
}

TEST_F_TIMEOUT(plain, msg_zerocopy_from_dmabuf, 300)
{
	const char *expect = getenv("FPGACAP_EXPECT_ZEROCOPY");
	const uint32_t nbuf = 16;
	const uint64_t total = 32 * BUFSZ;
	uint64_t sent = 0, sends = 0, next = 0;
	struct zc_count c = { 0 };
	struct zc_buf zb[16] = { 0 };
	struct tcp_info ti;
	socklen_t tilen = sizeof(ti);
	char verdict[1024];
	int sock, dev, one = 1, i, outstanding;
	uint32_t id = 0;

	sock = sink_connect(0);
	if (sock == -ENOENT)
		SKIP(return, "FPGACAP_SINK not set");
	ASSERT_LE(0, sock) TH_LOG("connect: %s", strerror(-sock));
	ASSERT_EQ(0, setsockopt(sock, SOL_SOCKET, SO_ZEROCOPY, &one,
				sizeof(one)));
	dev = open(dev_path(), O_RDONLY);
	ASSERT_LE(0, dev);
	ASSERT_EQ(0, configure(dev, nbuf, BUFSZ, 0, 0, NULL));
	ASSERT_EQ(0, xioctl(dev, FPGACAP_IOC_START, NULL));

	while (sent < total) {
		struct fpgacap_buffer b;
		struct iovec iov;
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
		struct zc_buf *z;
		ssize_t r;
		int n = dequeue(dev, &b, 1, 0);

		if (n == -EAGAIN) {
			zc_reap(sock, dev, zb, nbuf, &c, 10);
			continue;
		}
		ASSERT_EQ(1, n);
		/* The sink checks a stream from offset 0, without gaps. */
		ASSERT_EQ(next, b.offset);
		ASSERT_FALSE(b.flags & FPGACAP_BUF_LOST);
		z = &zb[b.index];
		z->fd = export_buf(dev, b.index, O_RDONLY | O_CLOEXEC);
		ASSERT_LE(0, z->fd);
		z->map = mmap(NULL, BUFSZ, PROT_READ, MAP_SHARED, z->fd, 0);
		ASSERT_NE(MAP_FAILED, z->map);
		iov.iov_base = z->map;
		iov.iov_len = b.bytes_used;
		do
			r = sendmsg(sock, &msg, MSG_ZEROCOPY);
		while (r < 0 && errno == ENOBUFS &&
		       zc_reap(sock, dev, zb, nbuf, &c, 10) >= 0);
		/* What a PFN mapping of a dma-buf gives: EFAULT. */
		ASSERT_EQ((ssize_t)iov.iov_len, r)
			TH_LOG("sendmsg: %s", strerror(errno));
		z->id = id++;
		z->in_flight = true;
		sent += r;
		next += b.bytes_used;
		sends++;
		ASSERT_LE(0, zc_reap(sock, dev, zb, nbuf, &c, 0));
	}
	for (i = 0; i < 3000; i++) {
		uint32_t k;

		for (outstanding = 0, k = 0; k < nbuf; k++)
			outstanding += zb[k].in_flight;
		if (!outstanding)
			break;
		ASSERT_LE(0, zc_reap(sock, dev, zb, nbuf, &c, 10));
	}
	EXPECT_EQ(0, outstanding);
	EXPECT_EQ(sends, c.completions);
	ASSERT_EQ(0, getsockopt(sock, IPPROTO_TCP, TCP_INFO, &ti, &tilen));
	TH_LOG("%llu sends from dma-buf mappings, %llu completions (%llu notifications), %llu copied (%llu notifications), %u retransmits",
	       (unsigned long long)sends, (unsigned long long)c.completions,
	       (unsigned long long)c.notes, (unsigned long long)c.copied,
	       (unsigned long long)c.copied_notes, ti.tcpi_total_retrans);
	if (expect && !strcmp(expect, "1"))
		EXPECT_TRUE(zerocopy_mostly_sent(c.copied_notes, c.notes));
	EXPECT_EQ(1, sink_verdict(sock, verdict, sizeof(verdict)))
		TH_LOG("%s", verdict);
	close(dev);
	close(sock);
}

/*
 * A DMA source's buffer (the test engine; the PL330 or ZDMA memcpy
 * source on the Zynq boards), mapped by the importer for reading: the
 * bytes the engine wrote. (For writing it would overlap the capture
 * device's own mapping of the pool, which DMA-API debug reports.)
 */
FIXTURE(dma_source) {
	int dev;
};

/*
 * The test engine's checking DMA operations (tests/kmod) on or off: they
 * map through a shadow of their own, so a sync or an unmap without
 * DMA_ATTR_SKIP_CPU_SYNC copies the shadow over the pages on every
 * machine, QEMU's cache-less ones included. Only while nothing is mapped.
 */
static int testdma_bounce(const char *node, int on)
{
	if (strcmp(node, "/dev/fpgacap-testdma"))
		return -ENODEV;
	return write_file("/sys/kernel/debug/fpgacap-testdma/bounce",
			  on ? "1" : "0");
}

FIXTURE_VARIANT(dma_source) {
	const char *node;
	uint64_t window;	/* the source repeats its window */
};

FIXTURE_VARIANT_ADD(dma_source, testdma) {
	.node = "/dev/fpgacap-testdma",
};

FIXTURE_VARIANT_ADD(dma_source, memcpy) {
	.node = "/dev/fpgacap-memcpy",
	.window = 64 * KiB,
};

FIXTURE_SETUP(dma_source)
{
	self->dev = open(variant->node, O_RDONLY);
	if (self->dev < 0)
		SKIP(return, "%s: %s", variant->node, strerror(errno));
}

FIXTURE_TEARDOWN(dma_source)
{
	if (!access(IMP_DIR "ctl", W_OK))
		imp("release_all");
	if (self->dev >= 0)
		close(self->dev);
	testdma_bounce(variant->node, 0);
}

TEST_F_TIMEOUT(dma_source, importer_reads_what_the_engine_wrote, 120)
{
	struct fpgacap_buffer b[4];
	int fd, n, i;

	RETURN_IF_SKIPPED();
	REQUIRE_IMPORTER();
	ASSERT_EQ(0, configure(self->dev, 4, BUFSZ, 0, 0, NULL));
	ASSERT_EQ(0, xioctl(self->dev, FPGACAP_IOC_START, NULL));
	for (n = 0; n < 4; n += i) {
		i = dequeue(self->dev, b + n, 4 - n, 5 * SEC);
		ASSERT_LT(0, i);
	}
	for (i = 0; i < n; i++) {
		fd = export_buf(self->dev, b[i].index, O_RDONLY | O_CLOEXEC);
		ASSERT_LE(0, fd);
		EXPECT_EQ(0, imp("attach 0 %d", fd));
		/* Asked both ways, a read-only export is mapped for reading:
		 * passed through, it would overlap the engine's mapping, which
		 * DMA-API debug reports (x86-debug, zynq). */
		if (i == 0) {
			EXPECT_EQ(0, imp("map 0 bidirectional"));
			EXPECT_EQ(0, imp("detach 0"));
			EXPECT_EQ(0, imp("attach 0 %d", fd));
		}
		EXPECT_EQ(0, imp("map 0 to_device"));
		EXPECT_EQ(0, imp("check 0 %llu %llu %llu",
				 (unsigned long long)b[i].offset,
				 (unsigned long long)b[i].bytes_used,
				 (unsigned long long)variant->window))
			TH_LOG("buffer %u: %s", b[i].index, imp_slot(0));
		EXPECT_EQ(0, imp("detach 0"));
		close(fd);
	}
	EXPECT_EQ(0, give_back_bufs(self->dev, b, n));
	EXPECT_EQ(0, xioctl(self->dev, FPGACAP_IOC_STOP, NULL));
}

/*
 * What the CPU wrote into a held buffer of a DMA source, through a
 * writable export, is still there after the owner leaves and the device
 * lets go of the pool's DMA mapping: that unmap must not sync the buffer
 * for the CPU once more (swiotlb would copy the engine's bounce buffer
 * back over the page; without coherent caches the CPU's dirty lines would
 * be discarded).
 */
TEST_F_TIMEOUT(dma_source, cpu_writes_outlive_the_owner, 120)
{
	struct fpgacap_config cfg;
	struct fpgacap_buffer b;
	unsigned int i, wrong = 0, first = 0;
	uint8_t *p;
	int fd, dev, bounced;

	RETURN_IF_SKIPPED();
	close(self->dev);
	self->dev = -1;
	/* Where the test engine can, through its shadow: the old unmap then
	 * fails here on every machine, not only under swiotlb. */
	bounced = testdma_bounce(variant->node, 1);
	TH_LOG("through the engine's shadow: %s",
	       bounced ? strerror(-bounced) : "yes");
	dev = open(variant->node, O_RDWR);
	ASSERT_LE(0, dev);
	ASSERT_EQ(0, configure(dev, 4, BUFSZ, FPGACAP_CFG_WRITABLE, 0, &cfg));
	ASSERT_EQ(0, xioctl(dev, FPGACAP_IOC_START, NULL));
	ASSERT_EQ(1, dequeue(dev, &b, 1, 5 * SEC));
	fd = export_buf(dev, b.index, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd) TH_LOG("EXPORT O_RDWR: %s", strerror(-fd));
	p = mmap(NULL, BUFSZ, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, dmabuf_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW));
	for (i = 0; i < BUFSZ; i++)
		p[i] = (uint8_t)(i * 7 + 3);
	ASSERT_EQ(0, dmabuf_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW));
	/* The owner leaves while it holds the buffer, the export lives on. */
	close(dev);

	for (i = 0; i < BUFSZ; i++)
		if (p[i] != (uint8_t)(i * 7 + 3) && !wrong++)
			first = i;
	EXPECT_EQ(0, wrong) TH_LOG("%u of %u bytes lost, the first at %u",
				   wrong, (unsigned int)BUFSZ, first);
	munmap(p, BUFSZ);
	close(fd);
}

/*
 * vgem, DRM's virtual GEM driver: its PRIME import attaches its own
 * device. Through 6.16 it also maps the buffer DMA_BIDIRECTIONAL at import,
 * as a GPU driver's does, and the GEM object holds the mapping until its
 * last handle closes (DRM_GEM_SHMEM_DRIVER_OPS imported through
 * drm_gem_prime_import(), which maps). From 6.17 it only attaches and maps
 * nothing, ever ("drm/gem-shmem: Do not map s/g table by default", in
 * drm-misc-next for 6.17: DRM_GEM_SHMEM_DRIVER_OPS imports with
 * drm_gem_shmem_prime_import_no_map()): its import is then no access.
 */
static bool vgem_import_maps(void)
{
	return kernel_version() < 617;
}

static int vgem_open(void)
{
	char path[32], name[16];
	int i, fd;

	for (i = 0; i < 16; i++) {
		struct drm_version v = {
			.name = name,
			.name_len = sizeof(name) - 1,
		};

		snprintf(path, sizeof(path), "/dev/dri/card%d", i);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		memset(name, 0, sizeof(name));
		if (!ioctl(fd, DRM_IOCTL_VERSION, &v) && !strcmp(name, "vgem"))
			return fd;
		close(fd);
	}
	return -ENOENT;
}

/* PRIME import of @dmabuf: a GEM handle, or -errno. */
static int vgem_import(int card, int dmabuf)
{
	struct drm_prime_handle ph = { .fd = dmabuf };
	int ret = xioctl(card, DRM_IOCTL_PRIME_FD_TO_HANDLE, &ph);

	return ret ? ret : (int)ph.handle;
}

static int gem_close(int card, uint32_t handle)
{
	struct drm_gem_close gc = { .handle = handle };

	return xioctl(card, DRM_IOCTL_GEM_CLOSE, &gc);
}

FIXTURE(vgem) {
	int card;
	uint32_t fence;
};

FIXTURE_SETUP(vgem)
{
	self->fence = 0;
	self->card = vgem_open();
	if (self->card < 0) {
		/* A target that loads vgem must have its card. */
		ASSERT_NE(0, access("/sys/module/vgem", F_OK))
			TH_LOG("vgem is loaded but has no /dev/dri/card*");
		SKIP(return, "no vgem in this guest");
	}
}

FIXTURE_TEARDOWN(vgem)
{
	if (self->card >= 0)
		close(self->card);
}

/* The held fixture's setup, for the vgem tests. */
#define VGEM_HELD(dev, b, dmabuf, pool, cfg) do {			\
	dev = open(dev_path(), O_RDONLY);				\
	ASSERT_LE(0, dev);						\
	ASSERT_EQ(0, configure(dev, NBUF, BUFSZ, 0, 0, &cfg));		\
	pool = map_pool(dev, cfg.mmap_size);				\
	ASSERT_NE(NULL, pool);						\
	ASSERT_EQ(0, xioctl(dev, FPGACAP_IOC_START, NULL));		\
	ASSERT_EQ(1, dequeue(dev, &b, 1, 5 * SEC));			\
	dmabuf = export_buf(dev, b.index, O_RDONLY | O_CLOEXEC);	\
	ASSERT_LE(0, dmabuf);						\
} while (0)

/*
 * PRIME import while held; the bytes through DRM. DRM maps no imported
 * object itself (MODE_MAP_DUMB: EINVAL, drm_gem_dumb_map_offset()); the
 * CPU reaches an import through the dma-buf DRM hands back for the handle
 * (PRIME_HANDLE_TO_FD), which must be this very dma-buf.
 */
TEST_F(vgem, prime_import)
{
	struct drm_mode_map_dumb md = { 0 };
	struct drm_prime_handle ph = { 0 };
	struct fpgacap_config cfg;
	struct fpgacap_buffer b;
	int dev, dmabuf, handle;
	uint8_t *pool, *p;

	RETURN_IF_SKIPPED();
	VGEM_HELD(dev, b, dmabuf, pool, cfg);
	handle = vgem_import(self->card, dmabuf);
	ASSERT_LT(0, handle) TH_LOG("PRIME_FD_TO_HANDLE: %s", strerror(-handle));
	/* Importing it twice is the same object. */
	EXPECT_EQ(handle, vgem_import(self->card, dmabuf));

	md.handle = handle;
	if (!xioctl(self->card, DRM_IOCTL_MODE_MAP_DUMB, &md)) {
		p = mmap(NULL, BUFSZ, PROT_READ, MAP_SHARED, self->card,
			 md.offset);
		ASSERT_NE(MAP_FAILED, p);
		EXPECT_EQ(-1, check_pattern(p, b.bytes_used, b.offset));
		munmap(p, BUFSZ);
	} else {
		TH_LOG("MODE_MAP_DUMB of an import: %s (DRM maps no imports)",
		       strerror(errno));
	}

	ph.handle = handle;
	ph.flags = DRM_CLOEXEC;
	ASSERT_EQ(0, xioctl(self->card, DRM_IOCTL_PRIME_HANDLE_TO_FD, &ph));
	EXPECT_EQ(ino_of(dmabuf), ino_of(ph.fd));
	p = mmap(NULL, BUFSZ, PROT_READ, MAP_SHARED, ph.fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(0, memcmp(p, pool + b.index * BUFSZ, BUFSZ));
	EXPECT_EQ(-1, check_pattern(p, b.bytes_used, b.offset));
	munmap(p, BUFSZ);
	close(ph.fd);

	EXPECT_EQ(0, gem_close(self->card, handle));
	EXPECT_EQ(0, give_back(dev, &b.index, 1));
	EXPECT_EQ(0, user_count(dev));
	close(dmabuf);
	munmap(pool, cfg.mmap_size);
	close(dev);
}

/*
 * Not held: where vgem maps at import, the import fails with the
 * exporter's EBUSY; where it only attaches, the import succeeds and opens
 * no access (an attachment is none).
 */
TEST_F(vgem, import_of_a_returned_buffer)
{
	struct fpgacap_config cfg;
	struct fpgacap_buffer b;
	int dev, dmabuf, handle;
	uint8_t *pool;

	RETURN_IF_SKIPPED();
	VGEM_HELD(dev, b, dmabuf, pool, cfg);
	ASSERT_EQ(0, give_back(dev, &b.index, 1));
	handle = vgem_import(self->card, dmabuf);
	if (vgem_import_maps()) {
		EXPECT_EQ(-EBUSY, handle);
	} else {
		ASSERT_LT(0, handle)
			TH_LOG("PRIME_FD_TO_HANDLE: %s", strerror(-handle));
		EXPECT_EQ(0, user_count(dev));
		/* The source has the buffer back: it fills it again. */
		EXPECT_EQ(0, cycle_until(dev, b.index, 2 * NBUF, &b));
		EXPECT_EQ(0, give_back(dev, &b.index, 1));
		EXPECT_EQ(0, gem_close(self->card, handle));
	}
	close(dmabuf);
	munmap(pool, cfg.mmap_size);
	close(dev);
}

/*
 * Where vgem maps at import, the GEM object's end (its last handle) ends
 * the access: a buffer returned meanwhile is lent until then. Where it
 * only attaches, the import holds nothing: RETURN takes effect at once.
 */
TEST_F(vgem, gem_close_and_a_lent_buffer)
{
	struct fpgacap_config cfg;
	struct fpgacap_buffer b;
	int dev, dmabuf, handle;
	uint64_t returned;
	uint8_t *pool;

	RETURN_IF_SKIPPED();
	VGEM_HELD(dev, b, dmabuf, pool, cfg);
	handle = vgem_import(self->card, dmabuf);
	ASSERT_LT(0, handle);
	/* The import keeps its own reference: the fd may go. */
	close(dmabuf);
	returned = returned_count(dev);
	ASSERT_EQ(0, give_back(dev, &b.index, 1));
	if (!vgem_import_maps()) {
		EXPECT_EQ(0, user_count(dev));
		EXPECT_EQ(returned + 1, returned_count(dev));
		EXPECT_EQ(0, cycle_until(dev, b.index, 2 * NBUF, &b));
		EXPECT_EQ(0, gem_close(self->card, handle));
		munmap(pool, cfg.mmap_size);
		close(dev);
		return;
	}
	EXPECT_EQ(1, user_count(dev));
	EXPECT_EQ(0, cycle_avoiding(dev, b.index, 2 * NBUF));
	EXPECT_EQ(-1, check_pattern(pool + b.index * BUFSZ, b.bytes_used,
				    b.offset));
	EXPECT_EQ(0, gem_close(self->card, handle));
	EXPECT_EQ(0, user_count(dev));
	EXPECT_EQ(returned + 1 + 2 * NBUF, returned_count(dev));
	EXPECT_EQ(0, cycle_until(dev, b.index, 2 * NBUF, &b));
	munmap(pool, cfg.mmap_size);
	close(dev);
}

struct sync_waiter {
	int fd;
	int ret;
	volatile bool done;
};

static void *sync_start(void *arg)
{
	struct sync_waiter *w = arg;

	w->ret = dmabuf_sync(w->fd, SYNC_READ_START);
	w->done = true;
	return NULL;
}

/*
 * Implicit fencing across devices: a write fence vgem attaches to the
 * imported buffer holds a CPU reader's SYNC_START until vgem signals it.
 */
TEST_F(vgem, write_fence_holds_cpu_access)
{
	struct drm_vgem_fence_attach fa = { 0 };
	struct drm_vgem_fence_signal fs = { 0 };
	struct sync_waiter w = { 0 };
	struct fpgacap_config cfg;
	struct fpgacap_buffer b;
	int dev, dmabuf, handle;
	pthread_t th;
	uint8_t *pool;

	RETURN_IF_SKIPPED();
	VGEM_HELD(dev, b, dmabuf, pool, cfg);
	handle = vgem_import(self->card, dmabuf);
	ASSERT_LT(0, handle);
	fa.handle = handle;
	fa.flags = VGEM_FENCE_WRITE;
	ASSERT_EQ(0, xioctl(self->card, DRM_IOCTL_VGEM_FENCE_ATTACH, &fa));
	w.fd = dmabuf;
	ASSERT_EQ(0, pthread_create(&th, NULL, sync_start, &w));
	usleep(300000);
	EXPECT_FALSE(w.done);
	fs.fence = fa.out_fence;
	ASSERT_EQ(0, xioctl(self->card, DRM_IOCTL_VGEM_FENCE_SIGNAL, &fs));
	ASSERT_EQ(0, pthread_join(th, NULL));
	EXPECT_EQ(0, w.ret);
	EXPECT_EQ(0, dmabuf_sync(dmabuf, SYNC_READ_END));
	EXPECT_EQ(0, gem_close(self->card, handle));
	EXPECT_EQ(0, give_back(dev, &b.index, 1));
	EXPECT_EQ(0, user_count(dev));
	close(dmabuf);
	munmap(pool, cfg.mmap_size);
	close(dev);
}

static void on_alarm(int sig)
{
}

/*
 * A SYNC_START that fails opens no access. Here a signal interrupts its
 * wait for vgem's unsignalled write fence (the dma-buf core waits for
 * fences after the exporter's begin_cpu_access): the caller owes no END,
 * so an END fails, and a RETURN after the import's end gives the buffer
 * straight back.
 */
TEST_F(vgem, interrupted_sync_start_opens_nothing)
{
	struct sigaction sa = { .sa_handler = on_alarm }, old;
	struct itimerval it = { .it_value = { .tv_usec = 200000 } };
	struct drm_vgem_fence_attach fa = { 0 };
	struct drm_vgem_fence_signal fs = { 0 };
	struct fpgacap_config cfg;
	struct fpgacap_buffer b;
	int dev, dmabuf, handle, ret;
	uint8_t *pool;

	RETURN_IF_SKIPPED();
	VGEM_HELD(dev, b, dmabuf, pool, cfg);
	handle = vgem_import(self->card, dmabuf);
	ASSERT_LT(0, handle);
	fa.handle = handle;
	fa.flags = VGEM_FENCE_WRITE;
	ASSERT_EQ(0, xioctl(self->card, DRM_IOCTL_VGEM_FENCE_ATTACH, &fa));
	/* No SA_RESTART: the interrupted ioctl returns EINTR. */
	ASSERT_EQ(0, sigaction(SIGALRM, &sa, &old));
	ASSERT_EQ(0, setitimer(ITIMER_REAL, &it, NULL));
	ret = dmabuf_sync(dmabuf, SYNC_READ_START);
	sigaction(SIGALRM, &old, NULL);
	ASSERT_EQ(-EINTR, ret);
	fs.fence = fa.out_fence;
	ASSERT_EQ(0, xioctl(self->card, DRM_IOCTL_VGEM_FENCE_SIGNAL, &fs));
	EXPECT_EQ(0, gem_close(self->card, handle));
	ASSERT_EQ(0, give_back(dev, &b.index, 1));
	/* Nothing open: the buffer is the source's again. */
	EXPECT_EQ(0, user_count(dev));
	EXPECT_EQ(-EINVAL, dmabuf_sync(dmabuf, SYNC_READ_END));
	EXPECT_EQ(0, user_count(dev));
	close(dmabuf);
	munmap(pool, cfg.mmap_size);
	close(dev);
}

TEST_HARNESS_MAIN
