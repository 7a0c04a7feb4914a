// SPDX-License-Identifier: GPL-2.0-only
/*
 * The recorder on this host, with ordinary page-aligned memory for a pool
 * and a file (O_DIRECT where the file system takes it): every mode writes
 * a stream the reader finds intact, short buffers padded with zeros,
 * buffers released once each, after their write and in order (copy mode
 * at once), while the release rewrites them as a driver refilling them
 * would. A file size limit (RLIMIT_FSIZE) stands in for a full disk: the
 * error sticks, the index says what was written. The index's wire layout
 * byte by byte, and the reader against every damage a recording can take:
 * a changed data or padding byte, a short data file, a torn, corrupted,
 * reordered or overlong index, loss reported and loss not reported,
 * records with bad headers. fpgacap-record --check on the same files, and
 * its refusals.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "host_test.h"
#include "libfpgacap-testing.h"
#include "no_uring.h"
#include "record.h"
#include "spawn.h"

#define NBUF 8
#define LEN (64 * 1024)

/* Built with liburing (a musl build here has none): the recorder's
 * io_uring backend is there. */
static bool uring_built(void)
{
	return fpgacap_send_mode_built(FPGACAP_SEND_URING);
}

/* ---- helpers ---- */

struct pool {
	uint8_t *mem;			/* NBUF buffers of LEN, page-aligned */
	uint64_t released, last;
	bool out_of_order, twice;
	bool held[NBUF];
};

static void on_release(void *ctx, uint64_t cookie)
{
	struct pool *p = ctx;
	uint32_t idx = cookie % NBUF;

	if (p->released && cookie != p->last + 1)
		p->out_of_order = true;
	if (!p->held[idx])
		p->twice = true;
	p->held[idx] = false;
	p->last = cookie;
	p->released++;
	/* The driver refills at once; so do we, with garbage. */
	memset(p->mem + (size_t)idx * LEN, 0xa5, LEN);
}

static int pool_init(struct pool *p)
{
	memset(p, 0, sizeof(*p));
	p->mem = mmap(NULL, (size_t)NBUF * LEN, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p->mem == MAP_FAILED ? -errno : 0;
}

/* A file in a directory whose file system takes O_DIRECT if there is
 * one; *direct says. Unlinked at exit by the caller. */
static int scratch(char *path, size_t len, const char *tag, bool *direct,
		   int extra_flags)
{
	const char *dirs[] = { getenv("TMPDIR"), "/var/tmp", "/tmp", "." };
	int fd;

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		if (!dirs[i])
			continue;
		snprintf(path, len, "%s/fpgacap-rec-%s.%d", dirs[i], tag,
			 getpid());
		fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_DIRECT |
			  extra_flags, 0644);
		if (fd >= 0) {
			*direct = true;
			return fd;
		}
	}
	snprintf(path, len, "/tmp/fpgacap-rec-%s.%d", tag, getpid());
	*direct = false;
	return open(path, O_RDWR | O_CREAT | O_TRUNC | extra_flags, 0644);
}

struct rec_files {
	char data[256], index[272];
	int fd, ixfd;
	bool direct;
};

static int files_open(struct rec_files *f, const char *tag)
{
	f->fd = scratch(f->data, sizeof(f->data), tag, &f->direct, 0);
	snprintf(f->index, sizeof(f->index), "%s.idx", f->data);
	f->ixfd = open(f->index, O_RDWR | O_CREAT | O_TRUNC, 0644);
	return f->fd < 0 || f->ixfd < 0 ? -errno : 0;
}

static void files_close(struct rec_files *f)
{
	if (f->fd >= 0)
		close(f->fd);
	if (f->ixfd >= 0)
		close(f->ixfd);
	unlink(f->data);
	unlink(f->index);
}

/* Buffer @i's length in a recording of @n: the last is short. */
static size_t len_of(unsigned int i, unsigned int n)
{
	return i + 1 < n ? LEN : LEN - 4096 - 100;
}

/*
 * Record @n buffers of the pattern (the last short, buffer 5 after a loss
 * of @lost bytes), through @mode. Returns finish()'s result; stats in *rs.
 */
static int record_early(struct rec_files *f, enum fpgacap_record_mode mode,
			uint32_t flags, unsigned int n, uint64_t lost,
			struct pool *p, struct fpgacap_recorder_stats *rs,
			bool early)
{
	struct iovec region = { p->mem, (size_t)NBUF * LEN };
	struct fpgacap_recorder_opts o = {
		.size = sizeof(o), .fd = f->fd, .index_fd = f->ixfd,
		.mode = mode, .flags = flags, .max_inflight = NBUF,
		.regions = &region, .nregions = 1, .release = on_release,
		.ctx = p, .buffer_size = LEN,
		.source = FPGACAP_SOURCE_PATTERN,
	};
	struct fpgacap_recorder *r;
	uint64_t off = 0;
	int ret;

	ret = fpgacap_recorder_create(&o, &r);
	if (ret)
		return ret;
	if (early)
		fpgacap_testing_record_early_release(r, true);
	for (unsigned int i = 0; i < n && !ret; i++) {
		struct fpgacap_buffer b = { .index = i % NBUF, .sequence = i };
		uint8_t *mem = p->mem + (size_t)(i % NBUF) * LEN;

		/* The ring holds NBUF: the oldest comes back first. */
		while (p->held[i % NBUF] && !ret)
			ret = fpgacap_recorder_reap(r, 1000) < 0 ? -EIO : 0;
		if (i == 5 && lost) {
			off += lost;
			b.lost_bytes = lost;
			b.flags |= FPGACAP_BUF_LOST;
		}
		b.offset = off;
		b.bytes_used = len_of(i, n);
		b.timestamp_ns = 1000 + i;
		/* Whole words: a short buffer's last one is partly used. */
		fill_pattern(mem, LEN, off);
		p->held[i % NBUF] = true;
		ret = fpgacap_recorder_write(r, &b, mem, b.bytes_used, i);
		if (ret)
			p->held[i % NBUF] = false;
		off += b.bytes_used;
	}
	if (ret > 0)
		ret = 0;
	{
		int fin = fpgacap_recorder_finish(r, 10000);

		if (!ret)
			ret = fin;
	}
	rs->size = sizeof(*rs);
	fpgacap_recorder_get_stats(r, rs);
	fpgacap_recorder_destroy(r);
	return ret;
}

static int record_pattern(struct rec_files *f, enum fpgacap_record_mode mode,
			  uint32_t flags, unsigned int n, uint64_t lost,
			  struct pool *p, struct fpgacap_recorder_stats *rs)
{
	return record_early(f, mode, flags, n, lost, p, rs, false);
}

static int check(struct rec_files *f, enum fpgacap_verify_mode mode,
		 struct fpgacap_record_check_stats *st)
{
	struct fpgacap_record_reader *rd;
	int ret;

	lseek(f->fd, 0, SEEK_SET);
	ret = fpgacap_record_reader_open(f->fd, f->ixfd, mode, &rd);
	if (ret)
		return ret;
	while ((ret = fpgacap_record_reader_step(rd, 3)) > 0)
		;
	st->size = sizeof(*st);
	fpgacap_record_reader_get_stats(rd, st);
	fpgacap_record_reader_close(rd);
	if (st->error)
		fprintf(stderr, "# check: seq %llu off %llu index %llu crc %llu "
			"data %llu pad %llu rec %llu short %llu empty %d; "
			"first in entry %llu at %llu\n",
			(unsigned long long)st->sequence_errors,
			(unsigned long long)st->offset_errors,
			(unsigned long long)st->index_errors,
			(unsigned long long)st->crc_errors,
			(unsigned long long)st->data_errors,
			(unsigned long long)st->padding_errors,
			(unsigned long long)st->record_errors,
			(unsigned long long)st->short_data, st->empty,
			(unsigned long long)st->first_error_entry,
			(unsigned long long)st->first_error_at);
	return ret;
}

static void flip_byte(int fd, uint64_t at)
{
	uint8_t c;

	/* Through a file without O_DIRECT: one byte. */
	if (pread(fd, &c, 1, (off_t)at) != 1)
		abort();
	c ^= 0x40;
	if (pwrite(fd, &c, 1, (off_t)at) != 1)
		abort();
}

/* ---- the wire layout ---- */

TEST(crc32c_check_value)
{
	/* The check value of CRC-32C (iSCSI, ext4, btrfs). */
	EXPECT_EQ(0xE3069283U, record_crc32c("123456789", 9));
}

static uint64_t le64_at(const uint8_t *p, size_t at)
{
	uint64_t v;

	memcpy(&v, p + at, 8);
	return le64toh(v);
}

static uint32_t le32_at(const uint8_t *p, size_t at)
{
	uint32_t v;

	memcpy(&v, p + at, 4);
	return le32toh(v);
}

TEST(entry_layout)
{
	struct fpgacap_index_entry e = {
		.sequence = 0x0102030405060708ULL, .stream_offset = 11,
		.file_offset = 22, .bytes = 33, .written = 30,
		.timestamp_ns = 44, .lost_bytes = 55,
		.flags = FPGACAP_INDEX_FAILED | FPGACAP_BUF_LOST, .error = EIO,
	}, d;
	uint8_t w[FPGACAP_INDEX_ENTRY_SIZE];

	fpgacap_index_entry_encode(w, &e);
	/* Offsets as docs/library.md gives them, little-endian. */
	EXPECT_EQ(0x08, w[0]);
	EXPECT_EQ(0x01, w[7]);
	EXPECT_EQ(11, le64_at(w, 8));
	EXPECT_EQ(22, le64_at(w, 16));
	EXPECT_EQ(33, le64_at(w, 24));
	EXPECT_EQ(30, le64_at(w, 32));
	EXPECT_EQ(44, le64_at(w, 40));
	EXPECT_EQ(55, le64_at(w, 48));
	EXPECT_EQ(0x0102, le32_at(w, 56) & 0xffff);
	EXPECT_EQ(EIO, le32_at(w, 56) >> 16);
	EXPECT_EQ(record_crc32c(w, 60), le32_at(w, 60));
	ASSERT_EQ(0, fpgacap_index_entry_decode(w, sizeof(w), &d));
	EXPECT_EQ(e.sequence, d.sequence);
	EXPECT_EQ(e.stream_offset, d.stream_offset);
	EXPECT_EQ(e.file_offset, d.file_offset);
	EXPECT_EQ(e.bytes, d.bytes);
	EXPECT_EQ(e.written, d.written);
	EXPECT_EQ(e.timestamp_ns, d.timestamp_ns);
	EXPECT_EQ(e.lost_bytes, d.lost_bytes);
	EXPECT_EQ(e.flags, d.flags);
	EXPECT_EQ(e.error, d.error);
	EXPECT_EQ(-EPROTO, fpgacap_index_entry_decode(w, sizeof(w) - 1, &d));
	/* Any changed bit is seen. */
	for (size_t i = 0; i < sizeof(w) * 8; i += 7) {
		w[i / 8] ^= 1 << (i % 8);
		EXPECT_EQ(-EBADMSG, fpgacap_index_entry_decode(w, sizeof(w), &d));
		w[i / 8] ^= 1 << (i % 8);
	}
}

/* Re-seal a header whose bytes a test changed. */
static void reseal(uint8_t *w)
{
	uint32_t crc = htole32(record_crc32c(w, FPGACAP_INDEX_HEADER_SIZE - 4));

	memcpy(w + FPGACAP_INDEX_HEADER_SIZE - 4, &crc, 4);
}

TEST(header_layout)
{
	struct fpgacap_index_header h = {
		.magic = FPGACAP_INDEX_MAGIC, .version = FPGACAP_INDEX_VERSION,
		.header_size = FPGACAP_INDEX_HEADER_SIZE,
		.entry_size = FPGACAP_INDEX_ENTRY_SIZE, .block_size = 4096,
		.data_offset = 8192, .buffer_size = 1 << 20, .slot_size = 1472,
		.slot_header = 32, .source = FPGACAP_SOURCE_PATTERN,
		.pool_flags = FPGACAP_CFG_RECORDS, .flags = FPGACAP_INDEX_SYNC,
		.start_realtime_ns = 77, .start_monotonic_ns = 88,
	}, d;
	uint8_t w[FPGACAP_INDEX_HEADER_SIZE], c[sizeof(w)];

	fpgacap_index_header_encode(w, &h);
	EXPECT_EQ(0, memcmp(w, "FCIX", 4));
	EXPECT_EQ(1 | 128 << 16, le32_at(w, 4));
	EXPECT_EQ(64, le32_at(w, 8) & 0xffff);
	EXPECT_EQ(4096, le32_at(w, 12));
	EXPECT_EQ(8192, le64_at(w, 16));
	EXPECT_EQ(1 << 20, le64_at(w, 24));
	EXPECT_EQ(1472, le32_at(w, 32));
	EXPECT_EQ(32, le32_at(w, 36));
	EXPECT_EQ(FPGACAP_SOURCE_PATTERN, le32_at(w, 40));
	EXPECT_EQ(FPGACAP_CFG_RECORDS, le32_at(w, 44));
	EXPECT_EQ(FPGACAP_INDEX_SYNC, le32_at(w, 48));
	EXPECT_EQ(77, le64_at(w, 56));
	EXPECT_EQ(88, le64_at(w, 64));
	ASSERT_EQ(0, fpgacap_index_header_decode(w, sizeof(w), &d));
	EXPECT_EQ(h.magic, d.magic);
	EXPECT_EQ(h.version, d.version);
	EXPECT_EQ(h.header_size, d.header_size);
	EXPECT_EQ(h.entry_size, d.entry_size);
	EXPECT_EQ(h.block_size, d.block_size);
	EXPECT_EQ(h.data_offset, d.data_offset);
	EXPECT_EQ(h.buffer_size, d.buffer_size);
	EXPECT_EQ(h.slot_size, d.slot_size);
	EXPECT_EQ(h.slot_header, d.slot_header);
	EXPECT_EQ(h.source, d.source);
	EXPECT_EQ(h.pool_flags, d.pool_flags);
	EXPECT_EQ(h.flags, d.flags);
	EXPECT_EQ(h.start_realtime_ns, d.start_realtime_ns);
	EXPECT_EQ(h.start_monotonic_ns, d.start_monotonic_ns);
	EXPECT_EQ(-EPROTO, fpgacap_index_header_decode(w, 64, &d));
	memcpy(c, w, sizeof(w));
	c[100] ^= 1;
	EXPECT_EQ(-EBADMSG, fpgacap_index_header_decode(c, sizeof(c), &d));
	memcpy(c, w, sizeof(w));
	c[0] = 'X';
	EXPECT_EQ(-EPROTO, fpgacap_index_header_decode(c, sizeof(c), &d));
	/* Sealed, but what this reader cannot take. */
	memcpy(c, w, sizeof(w));
	c[4] = 2;			/* version */
	reseal(c);
	EXPECT_EQ(-EPROTO, fpgacap_index_header_decode(c, sizeof(c), &d));
	memcpy(c, w, sizeof(w));
	c[12] = 1;			/* block size 4097 */
	reseal(c);
	EXPECT_EQ(-EPROTO, fpgacap_index_header_decode(c, sizeof(c), &d));
	memcpy(c, w, sizeof(w));
	c[80] = 1;			/* reserved */
	reseal(c);
	EXPECT_EQ(-EPROTO, fpgacap_index_header_decode(c, sizeof(c), &d));
}

/* ---- recording in every mode ---- */

FIXTURE(modes) {
	struct rec_files f;
	struct pool p;
};

FIXTURE_VARIANT(modes) {
	enum fpgacap_record_mode mode;
	uint32_t flags;
	bool no_uring;
	enum fpgacap_record_mode expect;
};

FIXTURE_VARIANT_ADD(modes, auto_) { .mode = FPGACAP_RECORD_AUTO,
	.expect = FPGACAP_RECORD_FIXED };
FIXTURE_VARIANT_ADD(modes, direct) { .mode = FPGACAP_RECORD_DIRECT,
	.expect = FPGACAP_RECORD_DIRECT };
FIXTURE_VARIANT_ADD(modes, fixed) { .mode = FPGACAP_RECORD_FIXED,
	.expect = FPGACAP_RECORD_FIXED };
FIXTURE_VARIANT_ADD(modes, copy) { .mode = FPGACAP_RECORD_COPY,
	.expect = FPGACAP_RECORD_COPY };
FIXTURE_VARIANT_ADD(modes, direct_sync) { .mode = FPGACAP_RECORD_DIRECT,
	.flags = FPGACAP_RECORD_SYNC, .expect = FPGACAP_RECORD_DIRECT };
FIXTURE_VARIANT_ADD(modes, auto_without_uring) { .mode = FPGACAP_RECORD_AUTO,
	.no_uring = true, .expect = FPGACAP_RECORD_DIRECT };
FIXTURE_VARIANT_ADD(modes, copy_without_uring) { .mode = FPGACAP_RECORD_COPY,
	.no_uring = true, .expect = FPGACAP_RECORD_COPY };

FIXTURE_SETUP(modes)
{
	ASSERT_EQ(0, files_open(&self->f, "modes"));
	ASSERT_EQ(0, pool_init(&self->p));
	if (variant->no_uring)
		ASSERT_EQ(0, block_io_uring());
}

FIXTURE_TEARDOWN(modes)
{
	files_close(&self->f);
}

TEST_F(modes, intact_and_released_after_the_write)
{
	const unsigned int n = 40;
	struct fpgacap_recorder_stats rs;
	struct fpgacap_record_check_stats st;
	uint64_t total = 0, disk = 0;
	struct stat sb;

	TH_LOG("O_DIRECT %s", self->f.direct ? "yes" : "no (file system)");
	if (variant->mode == FPGACAP_RECORD_FIXED && !uring_built()) {
		EXPECT_EQ(-ENOSYS, record_pattern(&self->f, variant->mode, 0,
						  n, 0, &self->p, &rs));
		return;
	}
	ASSERT_EQ(0, record_pattern(&self->f, variant->mode, variant->flags,
				    n, 0, &self->p, &rs));
	uint64_t bs = rs.block_size;

	for (unsigned int i = 0; i < n; i++) {
		total += len_of(i, n);
		disk += (len_of(i, n) + bs - 1) / bs * bs;
	}
	EXPECT_EQ(variant->expect == FPGACAP_RECORD_FIXED && !uring_built() ?
		  FPGACAP_RECORD_DIRECT : variant->expect, rs.mode);
	EXPECT_EQ(!variant->no_uring && uring_built(), rs.uring);
	EXPECT_EQ(self->f.direct, rs.direct);
	EXPECT_EQ(n, rs.buffers);
	EXPECT_EQ(n, rs.acknowledged);
	EXPECT_EQ(total, rs.acknowledged_bytes);
	EXPECT_EQ(0, rs.failed);
	EXPECT_EQ(0, rs.error);
	EXPECT_TRUE(rs.finished);
	EXPECT_EQ(n + 1, rs.index_entries);
	EXPECT_EQ(disk, rs.file_end);
	EXPECT_EQ(disk - total, rs.padding_bytes);
	if (rs.mode == FPGACAP_RECORD_FIXED) {
		EXPECT_TRUE(rs.fixed_buffers);
		/* The bodies from the pool; the short tail block not. */
		EXPECT_EQ(n, rs.fixed_writes);
		EXPECT_EQ(n + 1, rs.writes);
	}
	if (variant->expect == FPGACAP_RECORD_COPY) {
		EXPECT_EQ(total, rs.copied_bytes);
	} else {
		EXPECT_EQ((LEN - 4096 - 100) % bs, rs.copied_bytes);
	}
	/* Every buffer once, in order, each after its write. */
	EXPECT_EQ(n, self->p.released);
	EXPECT_FALSE(self->p.out_of_order);
	EXPECT_FALSE(self->p.twice);
	ASSERT_EQ(0, fstat(self->f.fd, &sb));
	EXPECT_EQ(disk, (uint64_t)sb.st_size);

	ASSERT_EQ(0, check(&self->f, FPGACAP_VERIFY_AUTO, &st));
	EXPECT_EQ(FPGACAP_VERIFY_PATTERN, st.mode);
	EXPECT_FALSE(st.error);
	EXPECT_EQ(n, st.entries);
	EXPECT_EQ(total, st.payload_bytes);
	EXPECT_EQ(disk, st.bytes);
	EXPECT_EQ(0, st.first_sequence);
	EXPECT_EQ(n, st.next_sequence);
	EXPECT_EQ(total, st.stream_end);
	EXPECT_TRUE(st.ended);
	EXPECT_EQ(0, st.end_error);
	EXPECT_FALSE(st.torn);
}

/*
 * The check above can fail: released as soon as queued, the buffers are
 * rewritten while the kernel still reads them, and the reader sees it.
 * Needs writes that complete after io_uring_submit() returns: O_DIRECT
 * on a disk (a page-cache write copies at once).
 */
TEST(early_release_is_caught)
{
	struct fpgacap_recorder_stats rs;
	struct fpgacap_record_check_stats st;
	struct rec_files f;
	struct pool p;

	ASSERT_EQ(0, files_open(&f, "early"));
	ASSERT_EQ(0, pool_init(&p));
	if (!f.direct || !uring_built()) {
		files_close(&f);
		SKIP(return, "%s", !f.direct ? "no file system here takes "
		     "O_DIRECT" : "built without io_uring: writes are "
		     "synchronous");
	}
	ASSERT_EQ(0, record_early(&f, FPGACAP_RECORD_DIRECT, 0, 40, 0, &p,
				  &rs, true));
	ASSERT_TRUE(rs.uring);
	ASSERT_EQ(0, check(&f, FPGACAP_VERIFY_PATTERN, &st));
	EXPECT_TRUE(st.error);
	EXPECT_LT(0, st.data_errors);
	files_close(&f);
}

/* Without io_uring registered buffers cannot be: fixed says so. */
TEST(fixed_needs_uring)
{
	struct rec_files f;
	struct pool p;
	struct fpgacap_recorder_stats rs;

	ASSERT_EQ(0, files_open(&f, "fixed-nouring"));
	ASSERT_EQ(0, pool_init(&p));
	ASSERT_EQ(0, block_io_uring());
	EXPECT_EQ(-ENOSYS, record_pattern(&f, FPGACAP_RECORD_FIXED, 0, 4, 0,
					  &p, &rs));
	files_close(&f);
}

TEST(bad_arguments)
{
	struct rec_files f;
	struct pool p;
	struct fpgacap_recorder *r;
	struct fpgacap_recorder_opts o = { .size = sizeof(o), .index_fd = -1 };
	int ro;

	ASSERT_EQ(0, files_open(&f, "args"));
	ASSERT_EQ(0, pool_init(&p));
	o.fd = f.fd;
	o.offset = 100;
	EXPECT_EQ(-EINVAL, fpgacap_recorder_create(&o, &r));
	o.offset = 0;
	o.block_size = 3000;
	EXPECT_EQ(-EINVAL, fpgacap_recorder_create(&o, &r));
	o.block_size = 1 << 20;		/* above the page size */
	EXPECT_EQ(-EINVAL, fpgacap_recorder_create(&o, &r));
	o.block_size = 0;
	o.flags = 0x80;
	EXPECT_EQ(-EINVAL, fpgacap_recorder_create(&o, &r));
	o.flags = 0;
	o.mode = 17;
	EXPECT_EQ(-EINVAL, fpgacap_recorder_create(&o, &r));
	o.mode = FPGACAP_RECORD_DIRECT;
	ro = open(f.data, O_RDONLY);
	o.fd = ro;
	EXPECT_EQ(-EBADF, fpgacap_recorder_create(&o, &r));
	close(ro);
	o.fd = f.fd;
	ASSERT_EQ(0, fpgacap_recorder_create(&o, &r));
	/* Pool memory is page-aligned: anything else is refused. */
	EXPECT_EQ(-EINVAL, fpgacap_recorder_write(r, NULL, p.mem + 8, 4096, 0));
	EXPECT_EQ(0, fpgacap_recorder_write(r, NULL, p.mem, 4096, 0));
	EXPECT_EQ(0, fpgacap_recorder_finish(r, 5000));
	EXPECT_EQ(-EPIPE, fpgacap_recorder_write(r, NULL, p.mem, 4096, 1));
	fpgacap_recorder_destroy(r);
	files_close(&f);
}

/* ---- a full disk: a file size limit ---- */

/*
 * The library's fdatasync() calls on one descriptor, counted: this
 * program's definition is the one the static library binds to.
 */
static int synced_fd = -1, synced;

int fdatasync(int fd)
{
	if (fd == synced_fd)
		synced++;
	return (int)syscall(SYS_fdatasync, fd);
}

static void full_disk_child(enum fpgacap_record_mode mode)
{
	struct rlimit rl = { 300 * 1024, 300 * 1024 };
	struct fpgacap_recorder_stats rs;
	struct rec_files f;
	struct pool p;
	int ret;

	signal(SIGXFSZ, SIG_IGN);
	if (files_open(&f, "full") || pool_init(&p) ||
	    setrlimit(RLIMIT_FSIZE, &rl))
		_exit(10);
	synced_fd = f.fd;
	ret = record_pattern(&f, mode, 0, 12, 0, &p, &rs);
	files_close(&f);	/* unlinked; the fds stay open for checking */
	if (ret != -EFBIG || rs.error != EFBIG)
		_exit(11);
	/* What the index acknowledges is flushed, the error notwithstanding. */
	if (!synced)
		_exit(15);
	/* 256 KiB written whole, 44 KiB of the fifth: the limit's block. */
	if (rs.acknowledged != 4 || rs.acknowledged_bytes != 4 * LEN ||
	    !rs.failed || rs.error_offset != 300 * 1024)
		_exit(12);
	if (rs.buffers < 5 || rs.failed + rs.acknowledged != rs.buffers)
		_exit(13);
	/* The released buffers are every one written, failed or not. */
	if (p.released != rs.buffers || p.out_of_order || p.twice)
		_exit(14);
	_exit(0);
}

TEST(full_disk_sticks_and_the_index_says_what_was_written)
{
	enum fpgacap_record_mode modes[] = { FPGACAP_RECORD_DIRECT,
					     FPGACAP_RECORD_COPY };

	for (size_t m = 0; m < 2; m++) {
		pid_t pid = fork();
		int status;

		ASSERT_LE(0, pid);
		if (!pid)
			full_disk_child(modes[m]);
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		EXPECT_TRUE(WIFEXITED(status));
		EXPECT_EQ(0, WEXITSTATUS(status)) {
			TH_LOG("%s: step %d", fpgacap_record_mode_name(modes[m]),
			       WEXITSTATUS(status));
		}
	}
}

/* The reader on what the full disk left: a recording of its own here. */
TEST(full_disk_reads_back)
{
	struct rlimit rl, old;
	struct fpgacap_recorder_stats rs;
	struct fpgacap_record_check_stats st;
	struct rec_files f;
	struct pool p;

	signal(SIGXFSZ, SIG_IGN);
	ASSERT_EQ(0, files_open(&f, "fullread"));
	ASSERT_EQ(0, pool_init(&p));
	ASSERT_EQ(0, getrlimit(RLIMIT_FSIZE, &old));
	rl = old;
	rl.rlim_cur = 300 * 1024;
	ASSERT_EQ(0, setrlimit(RLIMIT_FSIZE, &rl));
	/* The index may grow past the limit too: it is small, keep it so. */
	EXPECT_EQ(-EFBIG, record_pattern(&f, FPGACAP_RECORD_DIRECT, 0, 12, 0,
					 &p, &rs));
	ASSERT_EQ(0, setrlimit(RLIMIT_FSIZE, &old));
	ASSERT_EQ(0, check(&f, FPGACAP_VERIFY_PATTERN, &st));
	EXPECT_FALSE(st.error);
	EXPECT_EQ(rs.buffers, st.entries);
	EXPECT_EQ(rs.failed, st.failed_writes);
	EXPECT_EQ(rs.failed_bytes, st.failed_bytes);
	/* The whole buffers and the part of the fifth, every byte checked. */
	EXPECT_EQ(300 * 1024, st.payload_bytes);
	EXPECT_TRUE(st.ended);
	EXPECT_EQ(EFBIG, st.end_error);
	files_close(&f);
}

/* ---- the reader against damage ---- */

FIXTURE(damage) {
	struct rec_files f;
	struct pool p;
	struct fpgacap_recorder_stats rs;
	int raw;			/* the data without O_DIRECT */
	struct stat ix;
};

FIXTURE_SETUP(damage)
{
	ASSERT_EQ(0, files_open(&self->f, "damage"));
	ASSERT_EQ(0, pool_init(&self->p));
	ASSERT_EQ(0, record_pattern(&self->f, FPGACAP_RECORD_AUTO, 0, 10,
				    4096, &self->p, &self->rs));
	self->raw = open(self->f.data, O_RDWR);
	ASSERT_LE(0, self->raw);
	ASSERT_EQ(0, fstat(self->f.ixfd, &self->ix));
}

FIXTURE_TEARDOWN(damage)
{
	close(self->raw);
	files_close(&self->f);
}

/* Entry @i of the index (the END is entry 10). */
static off_t entry_at(int i)
{
	return FPGACAP_INDEX_HEADER_SIZE + (off_t)i * FPGACAP_INDEX_ENTRY_SIZE;
}

static void read_entry(int fd, int i, struct fpgacap_index_entry *e)
{
	uint8_t w[FPGACAP_INDEX_ENTRY_SIZE];

	if (pread(fd, w, sizeof(w), entry_at(i)) != (ssize_t)sizeof(w) ||
	    fpgacap_index_entry_decode(w, sizeof(w), e))
		memset(e, 0xff, sizeof(*e));
}

static void write_entry(int fd, int i, const struct fpgacap_index_entry *e)
{
	uint8_t w[FPGACAP_INDEX_ENTRY_SIZE];

	fpgacap_index_entry_encode(w, e);
	if (pwrite(fd, w, sizeof(w), entry_at(i)) != (ssize_t)sizeof(w))
		abort();
}

TEST_F(damage, intact_with_its_reported_loss)
{
	struct fpgacap_record_check_stats st;

	ASSERT_EQ(0, check(&self->f, FPGACAP_VERIFY_PATTERN, &st));
	EXPECT_FALSE(st.error);
	EXPECT_EQ(1, st.lost_events);
	EXPECT_EQ(4096, st.lost_bytes);
	EXPECT_TRUE(st.ended);
}

TEST_F(damage, a_data_byte)
{
	struct fpgacap_record_check_stats st;

	flip_byte(self->raw, 3 * LEN + 1234);
	ASSERT_EQ(0, check(&self->f, FPGACAP_VERIFY_PATTERN, &st));
	EXPECT_TRUE(st.error);
	EXPECT_EQ(1, st.data_errors);
	EXPECT_EQ(3, st.first_error_entry);
	EXPECT_EQ(3 * LEN + 1234, st.first_error_at);
	/* The index alone does not see it. */
	ASSERT_EQ(0, check(&self->f, FPGACAP_VERIFY_NONE, &st));
	EXPECT_FALSE(st.error);
}

TEST_F(damage, a_padding_byte)
{
	struct fpgacap_record_check_stats st;

	/* The last buffer is LEN - 4196 bytes: its block ends 4 KiB on. */
	flip_byte(self->raw, 9 * LEN + (LEN - 4096 - 100) + 50);
	ASSERT_EQ(0, check(&self->f, FPGACAP_VERIFY_PATTERN, &st));
	EXPECT_TRUE(st.error);
	EXPECT_EQ(0, st.data_errors);
	EXPECT_EQ(1, st.padding_errors);
}

TEST_F(damage, short_data)
{
	struct fpgacap_record_check_stats st;

	ASSERT_EQ(0, ftruncate(self->raw, 9 * LEN + 8192));
	ASSERT_EQ(0, check(&self->f, FPGACAP_VERIFY_PATTERN, &st));
	EXPECT_TRUE(st.error);
	EXPECT_EQ(1, st.short_data);
	EXPECT_EQ(9 * LEN + 8192, st.first_error_at);
}

TEST_F(damage, torn_last_entry_is_a_crash_not_an_error)
{
	struct fpgacap_record_check_stats st;

	/* Half the END entry. */
	ASSERT_EQ(0, ftruncate(self->f.ixfd, entry_at(10) + 30));
	ASSERT_EQ(0, check(&self->f, FPGACAP_VERIFY_PATTERN, &st));
	EXPECT_FALSE(st.error);
	EXPECT_TRUE(st.torn);
	EXPECT_FALSE(st.ended);
	EXPECT_EQ(10, st.entries);
	/* A whole last entry with a bad CRC is torn too. */
	ASSERT_EQ(0, ftruncate(self->f.ixfd, entry_at(10)));
	flip_byte(self->f.ixfd, entry_at(9) + 20);
	ASSERT_EQ(0, check(&self->f, FPGACAP_VERIFY_PATTERN, &st));
	EXPECT_FALSE(st.error);
	EXPECT_TRUE(st.torn);
	EXPECT_EQ(9, st.entries);
	/* No END, nothing torn: the recorder stopped between entries. */
	ASSERT_EQ(0, ftruncate(self->f.ixfd, entry_at(9)));
	ASSERT_EQ(0, check(&self->f, FPGACAP_VERIFY_PATTERN, &st));
	EXPECT_FALSE(st.error);
	EXPECT_FALSE(st.torn);
	EXPECT_FALSE(st.ended);
}

TEST_F(damage, a_corrupted_entry_in_the_middle)
{
	struct fpgacap_record_check_stats st;

	flip_byte(self->f.ixfd, entry_at(4) + 9);
	ASSERT_EQ(0, check(&self->f, FPGACAP_VERIFY_PATTERN, &st));
	EXPECT_TRUE(st.error);
	EXPECT_EQ(1, st.crc_errors);
	EXPECT_EQ(9, st.entries);
	EXPECT_TRUE(st.ended);
}

TEST_F(damage, entries_out_of_order)
{
	struct fpgacap_index_entry a, b;
	struct fpgacap_record_check_stats st;

	read_entry(self->f.ixfd, 2, &a);
	read_entry(self->f.ixfd, 3, &b);
	write_entry(self->f.ixfd, 2, &b);
	write_entry(self->f.ixfd, 3, &a);
	ASSERT_EQ(0, check(&self->f, FPGACAP_VERIFY_PATTERN, &st));
	EXPECT_TRUE(st.error);
	EXPECT_LE(2, st.sequence_errors);
	EXPECT_LE(2, st.index_errors);
	EXPECT_EQ(2, st.first_error_entry);
}

TEST_F(damage, loss_not_reported)
{
	struct fpgacap_index_entry e;
	struct fpgacap_record_check_stats st;

	/* Buffer 5 after a gap it does not own up to. */
	read_entry(self->f.ixfd, 5, &e);
	e.lost_bytes = 0;
	e.flags &= ~FPGACAP_BUF_LOST;
	write_entry(self->f.ixfd, 5, &e);
	ASSERT_EQ(0, check(&self->f, FPGACAP_VERIFY_PATTERN, &st));
	EXPECT_TRUE(st.error);
	EXPECT_EQ(1, st.offset_errors);
	EXPECT_EQ(0, st.data_errors);
	/* A loss flagged without bytes contradicts itself. */
	e.flags |= FPGACAP_BUF_LOST;
	write_entry(self->f.ixfd, 5, &e);
	ASSERT_EQ(0, check(&self->f, FPGACAP_VERIFY_NONE, &st));
	EXPECT_EQ(1, st.index_errors);
}

TEST_F(damage, stale_entries_after_the_end)
{
	struct fpgacap_index_entry e;
	struct fpgacap_record_check_stats st;

	read_entry(self->f.ixfd, 3, &e);
	write_entry(self->f.ixfd, 11, &e);
	ASSERT_EQ(0, check(&self->f, FPGACAP_VERIFY_NONE, &st));
	EXPECT_TRUE(st.error);
	EXPECT_EQ(1, st.index_errors);
	EXPECT_EQ(10, st.entries);
}

TEST_F(damage, a_failed_write_says_what_is_missing)
{
	struct fpgacap_index_entry e;
	struct fpgacap_record_check_stats st;

	/* As the recorder writes one: 8 KiB on the disk, then EIO. */
	read_entry(self->f.ixfd, 7, &e);
	e.written = 8192;
	e.flags |= FPGACAP_INDEX_FAILED;
	e.error = EIO;
	write_entry(self->f.ixfd, 7, &e);
	/* What was not written may be anything. */
	flip_byte(self->raw, 7 * LEN + 9000);
	ASSERT_EQ(0, check(&self->f, FPGACAP_VERIFY_PATTERN, &st));
	EXPECT_FALSE(st.error);
	EXPECT_EQ(1, st.failed_writes);
	EXPECT_EQ(LEN - 8192, st.failed_bytes);
	/* But what was, is checked. */
	flip_byte(self->raw, 7 * LEN + 100);
	ASSERT_EQ(0, check(&self->f, FPGACAP_VERIFY_PATTERN, &st));
	EXPECT_EQ(1, st.data_errors);
	/* FAILED without an errno contradicts itself. */
	e.error = 0;
	write_entry(self->f.ixfd, 7, &e);
	ASSERT_EQ(0, check(&self->f, FPGACAP_VERIFY_NONE, &st));
	EXPECT_EQ(1, st.index_errors);
}

TEST_F(damage, modes_for_this_recording)
{
	struct fpgacap_record_reader *rd;

	/* Not records: framed and frames have nothing to check. */
	EXPECT_EQ(-EINVAL, fpgacap_record_reader_open(self->f.fd, self->f.ixfd,
						      FPGACAP_VERIFY_FRAMED,
						      &rd));
	EXPECT_EQ(-EINVAL, fpgacap_record_reader_open(self->f.fd, self->f.ixfd,
						      FPGACAP_VERIFY_FRAMES,
						      &rd));
	EXPECT_EQ(-EINVAL, fpgacap_record_reader_open(self->f.fd, self->f.ixfd,
						      42, &rd));
	/* Not an index. */
	EXPECT_EQ(-EPROTO, fpgacap_record_reader_open(self->f.fd, self->raw,
						      FPGACAP_VERIFY_AUTO,
						      &rd));
}

/* ---- records: a slotted pool whose source writes headers ---- */

#define SLOT 1472
#define SHDR 32
#define PER (SLOT - SHDR)

/* Buffer @i of records: whole slots from stream offset @off, records
 * numbered on from *seq; returns its extent. */
static size_t fill_records(uint8_t *mem, uint64_t payload, uint64_t off,
			   uint64_t *seq)
{
	size_t at = 0;

	for (uint64_t k = 0, pos = 0; pos < payload; k++) {
		struct fpgacap_dgram_header h = {
			.magic = htole32(FPGACAP_DGRAM_MAGIC),
			.version = FPGACAP_DGRAM_VERSION,
			.header_size = SHDR,
			.flags = htole16(k ? 0 : FPGACAP_DGRAM_FIRST),
			.sequence = htole64((*seq)++),
			.offset = htole64(off + pos),
		};
		uint64_t n = payload - pos < PER ? payload - pos : PER;

		at = k * SLOT;
		memset(mem + at, 0, SHDR);
		memcpy(mem + at, &h, sizeof(h));
		fill_pattern(mem + at + SHDR, n, off + pos);
		pos += n;
		at += SHDR + n;
	}
	return at;
}

FIXTURE(records) {
	struct rec_files f;
	struct pool p;
	int raw;
};

FIXTURE_SETUP(records)
{
	struct fpgacap_recorder_opts o = {
		.size = sizeof(o), .mode = FPGACAP_RECORD_DIRECT,
		.max_inflight = NBUF, .release = on_release,
		.buffer_size = LEN, .slot_size = SLOT, .slot_header = SHDR,
		.source = FPGACAP_SOURCE_PATTERN,
		.pool_flags = FPGACAP_CFG_RECORDS,
	};
	struct fpgacap_recorder *r;
	uint64_t off = 0, seq = 0;

	ASSERT_EQ(0, files_open(&self->f, "records"));
	ASSERT_EQ(0, pool_init(&self->p));
	o.fd = self->f.fd;
	o.index_fd = self->f.ixfd;
	o.ctx = &self->p;
	ASSERT_EQ(0, fpgacap_recorder_create(&o, &r));
	for (unsigned int i = 0; i < 6; i++) {
		/* 44 slots a buffer, the last 10.5 */
		uint64_t payload = i < 5 ? 44 * PER : 10 * PER + PER / 2;
		uint8_t *mem = self->p.mem + (size_t)i * LEN;
		struct fpgacap_buffer b = { .sequence = i, .offset = off,
					    .bytes_used = payload };
		size_t ext = fill_records(mem, payload, off, &seq);

		self->p.held[i] = true;
		ASSERT_EQ(0, fpgacap_recorder_write(r, &b, mem, ext, i));
		off += payload;
	}
	ASSERT_EQ(0, fpgacap_recorder_finish(r, 10000));
	fpgacap_recorder_destroy(r);
	self->raw = open(self->f.data, O_RDWR);
	ASSERT_LE(0, self->raw);
}

FIXTURE_TEARDOWN(records)
{
	close(self->raw);
	files_close(&self->f);
}

TEST_F(records, intact)
{
	struct fpgacap_record_check_stats st;

	ASSERT_EQ(0, check(&self->f, FPGACAP_VERIFY_AUTO, &st));
	EXPECT_EQ(FPGACAP_VERIFY_FRAMED, st.mode);
	EXPECT_FALSE(st.error);
	EXPECT_EQ(5 * 44 + 11, st.records);
	EXPECT_EQ(5 * 44 * PER + 10 * PER + PER / 2, st.payload_bytes);
	EXPECT_EQ(st.payload_bytes, st.stream_end);
	/* The pattern over the payloads alone sees the same. */
	ASSERT_EQ(0, check(&self->f, FPGACAP_VERIFY_PATTERN, &st));
	EXPECT_FALSE(st.error);
	EXPECT_EQ(0, st.records);
}

TEST_F(records, a_header_and_a_payload_byte)
{
	struct fpgacap_record_check_stats st;
	struct fpgacap_index_entry e2, e4;

	/* Buffers sit where the index says (block multiples apart). */
	read_entry(self->f.ixfd, 2, &e2);
	read_entry(self->f.ixfd, 4, &e4);
	/* Record 3 of buffer 2: its sequence number. */
	flip_byte(self->raw, e2.file_offset + 3 * SLOT + 8);
	ASSERT_EQ(0, check(&self->f, FPGACAP_VERIFY_FRAMES, &st));
	EXPECT_TRUE(st.error);
	EXPECT_EQ(1, st.record_errors);
	EXPECT_EQ(0, st.data_errors);
	EXPECT_EQ(2, st.first_error_entry);
	EXPECT_EQ(e2.file_offset + 3 * SLOT, st.first_error_at);
	/* A payload byte: framed sees it, frames does not. */
	flip_byte(self->raw, e4.file_offset + 7 * SLOT + SHDR + 5);
	ASSERT_EQ(0, check(&self->f, FPGACAP_VERIFY_FRAMED, &st));
	EXPECT_EQ(1, st.record_errors);
	EXPECT_EQ(1, st.data_errors);
	ASSERT_EQ(0, check(&self->f, FPGACAP_VERIFY_FRAMES, &st));
	EXPECT_EQ(0, st.data_errors);
	/* Room in a header that is not zero. */
	flip_byte(self->raw, e4.file_offset + 9 * SLOT + 30);
	ASSERT_EQ(0, check(&self->f, FPGACAP_VERIFY_FRAMES, &st));
	EXPECT_EQ(2, st.record_errors);
}

/* ---- fpgacap-record --check on the same files ---- */

TEST_F(damage, tool_check)
{
	struct child c;
	char *argv[] = { "fpgacap-record", "--check", "pattern", "--index",
			 self->f.index, self->f.data, "-j", NULL };

	ASSERT_EQ(0, child_run(&c, argv, 30000));
	EXPECT_NE(NULL, strstr(c.outbuf, "\"ok\":true")) TH_LOG("%s", c.outbuf);
	EXPECT_NE(NULL, strstr(c.outbuf, "\"lost_bytes\":4096"));
	flip_byte(self->raw, 2 * LEN + 8);
	ASSERT_EQ(1, child_run(&c, argv, 30000));
	EXPECT_NE(NULL, strstr(c.outbuf, "\"data_errors\":1"))
		TH_LOG("%s", c.outbuf);
	argv[6] = NULL;		/* text */
	ASSERT_EQ(1, child_run(&c, argv, 30000));
	EXPECT_NE(NULL, strstr(c.outbuf, "verdict: FAILED"));
	EXPECT_NE(NULL, strstr(c.outbuf, "the first in entry 2, at byte 131080"))
		TH_LOG("%s", c.outbuf);
}

TEST(tool_refusals)
{
	struct {
		char *argv[12];
		int code;
		const char *says;
	} cases[] = {
		{ { "fpgacap-record", NULL }, 2, "give one PATH" },
		{ { "fpgacap-record", "a", "b", NULL }, 2, "give one PATH" },
		{ { "fpgacap-record", "--check", "bogus", "x", NULL }, 2,
		  "expected auto, pattern" },
		{ { "fpgacap-record", "--check", "auto", "-c", "4", "x", NULL },
		  2, "--check takes" },
		{ { "fpgacap-record", "--mode", "zerocopy", "x", NULL }, 2,
		  "expected auto, direct" },
		{ { "fpgacap-record", "--block-size", "1000", "x", NULL }, 2,
		  "power of two" },
		{ { "fpgacap-record", "--block-size", "4K", "--offset", "6K",
		    "x", NULL }, 2, "multiple of --block-size" },
		{ { "fpgacap-record", "-s", "-1", "x", NULL }, 2,
		  "not a number" },
		{ { "fpgacap-record", "--check", "auto", "/nonexistent/x",
		    NULL }, 1, "No such file" },
	};
	struct child c;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		EXPECT_EQ(cases[i].code, child_run(&c, cases[i].argv, 10000));
		EXPECT_NE(NULL, strstr(c.errbuf, cases[i].says))
			TH_LOG("case %zu: %s", i, c.errbuf);
	}
}

/* The device first: a missing device never truncates the file. */
TEST(tool_leaves_the_file_alone_without_a_device)
{
	char path[] = "/tmp/fpgacap-rec-keep.XXXXXX";
	char *argv[] = { "fpgacap-record", "-d", "/nonexistent/fpgacap",
			 path, NULL };
	struct child c;
	struct stat sb;
	int fd = mkstemp(path);

	ASSERT_LE(0, fd);
	ASSERT_EQ(5, write(fd, "keep\n", 5));
	close(fd);
	EXPECT_EQ(1, child_run(&c, argv, 10000));
	EXPECT_NE(NULL, strstr(c.errbuf, "/nonexistent/fpgacap: No such file"))
		TH_LOG("%s", c.errbuf);
	ASSERT_EQ(0, stat(path, &sb));
	EXPECT_EQ(5, sb.st_size);
	unlink(path);
	snprintf(path + strlen(path), 8, ".idx");
	EXPECT_NE(0, stat(path, &sb));
}

TEST(tool_help)
{
	char *argv[] = { "fpgacap-record", "--help", NULL };
	struct child c;

	EXPECT_EQ(0, child_run(&c, argv, 10000));
	EXPECT_NE(NULL, strstr(c.outbuf, "--check MODE"));
}

TEST_HARNESS_MAIN
