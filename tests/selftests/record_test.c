// SPDX-License-Identifier: GPL-2.0-only
/*
 * Recording the driver's pool onto the guest's disks (tests/lib/disks.sh:
 * FPGACAP_DISKS names them, FPGACAP_DISK_IF says how they attach), with
 * libfpgacap and with fpgacap-record:
 *   - every mode writes the stream byte-exact: the reader finds it intact,
 *     and the raw disk, read with O_DIRECT, holds the pattern buffer after
 *     buffer and zeros after the short last one; every buffer goes back;
 *     registered buffers where the kernel takes the pool (Linux 6.12 with
 *     a writable pool), refused on 6.1;
 *   - a full disk (a recording that starts near the end): a short write,
 *     then ENOSPC; everything before it acknowledged and intact, the
 *     index says what of the last buffer reached the disk;
 *   - a failing disk: QEMU's blkdebug (writes at 4 MiB fail) where the
 *     disk reports errors, and the kernel's fail_make_request where it is
 *     built (QEMU's SD card drops write errors): EIO, and the same;
 *   - a slow disk (QEMU's throttling) under a faster source: the source
 *     drops, the index says where and how much, the data is intact; and
 *     the check fails when buffers go back before their writes finished;
 *   - fpgacap-record: JSON, exit codes, the summary of a full disk, and
 *     SIGINT/SIGTERM on the slow disk with the writes issued landing;
 *   - fpgacap-bench's record-* modes: each writes exactly the bytes it
 *     streamed (the raw disk holds the pattern there and nothing past
 *     it), the reader verifies them, direct and fixed copy nothing.
 */
#include <ctype.h>
#include <dirent.h>
#include <sys/stat.h>

#include "kselftest_harness.h"
#include "fpgacap_test.h"
#include "libfpgacap.h"
#include "libfpgacap-testing.h"
#include "../../userspace/tests/spawn.h"

#define BUF (64 * KiB)
#define COUNT 8

/* ---- the guest's disks ---- */

struct disk {
	char name[16];
	char path[64];
	uint64_t size;
	uint64_t wbps;			/* throttled writes, bytes/s */
	int64_t eio;			/* blkdebug fails writes here, or -1 */
};

static uint64_t size_arg(const char *s)
{
	char *end;
	uint64_t v = strtoull(s, &end, 10);

	switch (*end) {
	case 'K': return v << 10;
	case 'M': return v << 20;
	case 'G': return v << 30;
	default: return v;
	}
}

static const char *disk_if(void)
{
	const char *s = getenv("FPGACAP_DISK_IF");

	return s ? s : "";
}

/* The block device whose serial is @name (virtio, nvme). */
static bool by_serial(const char *name, char *dev, size_t len)
{
	static const char *const files[] = { "serial", "device/serial" };
	char path[300], buf[64];
	struct dirent *de;
	DIR *d = opendir("/sys/block");
	bool found = false;

	while (d && !found && (de = readdir(d))) {
		for (size_t i = 0; i < 2 && !found; i++) {
			char *e;

			snprintf(path, sizeof(path), "/sys/block/%s/%s",
				 de->d_name, files[i]);
			if (read_file(path, buf, sizeof(buf)))
				continue;
			/* NVMe pads its serial with spaces. */
			for (e = buf + strlen(buf); e > buf && isspace(e[-1]);)
				*--e = 0;
			if (!strcmp(buf, name)) {
				snprintf(dev, len, "/dev/%.32s", de->d_name);
				found = true;
			}
		}
	}
	if (d)
		closedir(d);
	return found;
}

/*
 * Disk @name of FPGACAP_DISKS: its node (by serial, or an SD card by its
 * slot), checked against the size the harness gave it. 0, -ENOENT if the
 * target has no such disk, -ENODEV if it has but the guest does not.
 */
static int find_disk(const char *name, struct disk *out)
{
	const char *env = getenv("FPGACAP_DISKS");
	char list[512], *save, *spec, sys[300], buf[64];
	bool sd = !strcmp(disk_if(), "sd");
	int slot = 0;

	memset(out, 0, sizeof(*out));
	out->eio = -1;
	snprintf(list, sizeof(list), "%s", env ? env : "");
	for (spec = strtok_r(list, ",", &save); spec;
	     spec = strtok_r(NULL, ",", &save), slot++) {
		char *f, *s2;

		f = strtok_r(spec, ":", &s2);
		if (!f || strcmp(f, name))
			continue;
		snprintf(out->name, sizeof(out->name), "%s", name);
		f = strtok_r(NULL, ":", &s2);
		out->size = f ? size_arg(f) : 0;
		while ((f = strtok_r(NULL, ":", &s2))) {
			if (!strncmp(f, "wbps=", 5))
				out->wbps = size_arg(f + 5);
			else if (!strncmp(f, "eio=", 4))
				out->eio = (int64_t)size_arg(f + 4);
		}
		/* Cards are detected a while after boot. */
		for (int i = 0; i < 100; i++) {
			if (sd)
				snprintf(out->path, sizeof(out->path),
					 "/dev/mmcblk%d", slot);
			if (sd ? !access(out->path, F_OK) :
			    by_serial(name, out->path, sizeof(out->path)))
				break;
			out->path[0] = 0;
			usleep(100000);
		}
		if (!out->path[0])
			return -ENODEV;
		snprintf(sys, sizeof(sys), "/sys/block/%s/size",
			 out->path + 5);
		if (read_file(sys, buf, sizeof(buf)) ||
		    strtoull(buf, NULL, 10) * 512 != out->size)
			return -EMEDIUMTYPE;
		return 0;
	}
	return -ENOENT;
}

/* The disk, or SKIP if the target has none; a disk that should be there
 * and is not fails. */
#define NEED_DISK(name, d) do {						\
	int _r = find_disk(name, d);					\
	if (_r == -ENOENT)						\
		SKIP(return, "the target has no disk '%s'", name);	\
	ASSERT_EQ(0, _r) TH_LOG("disk %s (%s): %s", name, disk_if(),	\
				_r == -ENODEV ? "not found in the guest" : \
				"not the size the harness made it");	\
} while (0)

/* ---- a recording through the library ---- */

struct rec_run {
	/* in */
	enum fpgacap_record_mode mode;
	uint32_t cfg_flags;
	uint64_t rate;
	uint64_t offset;
	uint64_t max_bytes;
	uint64_t duration_ms;
	uint32_t flags;
	bool early;
	/* out */
	int create, step, finish;
	struct fpgacap_recorder_stats rs;
	struct fpgacap_recording_stats st;
	struct fpgacap_stats ds;
};

static void run_recording(const char *disk, const char *index,
			  struct rec_run *r)
{
	struct fpgacap_recorder_opts ro = {
		.size = sizeof(ro), .mode = r->mode, .flags = r->flags,
		.offset = r->offset,
	};
	struct fpgacap_recording_opts o = {
		.size = sizeof(o), .max_bytes = r->max_bytes,
		.timeout_ns = 100000000, .record = &ro,
	};
	struct fpgacap_recording *rec = NULL;
	struct fpgacap *dev = NULL;
	uint64_t start;
	int ret;

	r->create = r->step = r->finish = -EINVAL;
	ro.fd = open(disk, O_WRONLY | O_DIRECT | O_CLOEXEC);
	ro.index_fd = open(index, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ret = ro.fd < 0 || ro.index_fd < 0 ? -errno : 0;
	if (!ret)
		ret = fpgacap_open(dev_path(), r->cfg_flags &
				   FPGACAP_CFG_WRITABLE ? O_RDWR : 0, &dev);
	if (!ret)
		ret = fpgacap_configure(dev, COUNT, BUF, r->cfg_flags, r->rate);
	if (!ret)
		ret = fpgacap_recording_create(dev, &o, &rec);
	r->create = ret;
	if (!ret && r->early)
		fpgacap_testing_record_early_release(
			fpgacap_recording_recorder(rec), true);
	if (!ret)
		ret = fpgacap_start(dev);
	start = now_ns();
	while (!ret) {
		ret = fpgacap_recording_step(rec);
		if (ret == 1 || (r->duration_ms &&
				 now_ns() - start >= r->duration_ms * 1000000)) {
			ret = 0;
			break;
		}
		if (ret == -EINTR)
			ret = 0;
	}
	r->step = ret;
	if (rec) {
		fpgacap_stop(dev);
		r->finish = fpgacap_recording_finish(rec, 60000);
		r->rs.size = sizeof(r->rs);
		fpgacap_recorder_get_stats(fpgacap_recording_recorder(rec),
					   &r->rs);
		r->st.size = sizeof(r->st);
		fpgacap_recording_get_stats(rec, &r->st);
		fpgacap_get_stats(dev, &r->ds);
	}
	fpgacap_recording_destroy(rec);
	fpgacap_close(dev);
	if (ro.fd >= 0)
		close(ro.fd);
	if (ro.index_fd >= 0)
		close(ro.index_fd);
}

/* The recording on @disk checked with @mode. */
static int check_recording(const char *disk, const char *index,
			   enum fpgacap_verify_mode mode,
			   struct fpgacap_record_check_stats *st)
{
	struct fpgacap_record_reader *rd;
	int fd = open(disk, O_RDONLY | O_DIRECT | O_CLOEXEC);
	int ixfd = open(index, O_RDONLY | O_CLOEXEC);
	int ret = fd < 0 || ixfd < 0 ? -errno : 0;

	if (!ret)
		ret = fpgacap_record_reader_open(fd, ixfd, mode, &rd);
	if (!ret) {
		while ((ret = fpgacap_record_reader_step(rd, 0)) > 0)
			;
		st->size = sizeof(*st);
		fpgacap_record_reader_get_stats(rd, st);
		fpgacap_record_reader_close(rd);
	}
	if (fd >= 0)
		close(fd);
	if (ixfd >= 0)
		close(ixfd);
	return ret;
}

#define CHECK_LOG(st) TH_LOG("entries %llu payload %llu lost %llu failed " \
	"%llu; errors: seq %llu off %llu index %llu crc %llu data %llu "  \
	"pad %llu short %llu, first in entry %llu at %llu; ended %d (%d)",  \
	(unsigned long long)(st).entries,				\
	(unsigned long long)(st).payload_bytes,				\
	(unsigned long long)(st).lost_bytes,				\
	(unsigned long long)(st).failed_writes,				\
	(unsigned long long)(st).sequence_errors,			\
	(unsigned long long)(st).offset_errors,				\
	(unsigned long long)(st).index_errors,				\
	(unsigned long long)(st).crc_errors,				\
	(unsigned long long)(st).data_errors,				\
	(unsigned long long)(st).padding_errors,			\
	(unsigned long long)(st).short_data,				\
	(unsigned long long)(st).first_error_entry,			\
	(unsigned long long)(st).first_error_at, (st).ended, (st).end_error)

#define REC_LOG(r) TH_LOG("create %d step %d finish %d; mode %s fixed %d " \
	"(%d); buffers %llu acknowledged %llu (%llu bytes) failed %llu; " \
	"error %d at %llu; lost %llu", (r).create, (r).step, (r).finish, \
	fpgacap_record_mode_name((r).rs.mode), (r).rs.fixed_buffers,	\
	(r).rs.fixed_buffers_error,					\
	(unsigned long long)(r).rs.buffers,				\
	(unsigned long long)(r).rs.acknowledged,			\
	(unsigned long long)(r).rs.acknowledged_bytes,			\
	(unsigned long long)(r).rs.failed, (r).rs.error,		\
	(unsigned long long)(r).rs.error_offset,			\
	(unsigned long long)(r).st.lost_bytes)

/* Entry @i of an index. */
static int index_entry(const char *index, unsigned int i,
		       struct fpgacap_index_entry *e)
{
	uint8_t w[FPGACAP_INDEX_ENTRY_SIZE];
	int fd = open(index, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 :
		    pread(fd, w, sizeof(w), FPGACAP_INDEX_HEADER_SIZE +
			  (off_t)i * FPGACAP_INDEX_ENTRY_SIZE);

	if (fd >= 0)
		close(fd);
	if (n != (ssize_t)sizeof(w))
		return -ENODATA;
	return fpgacap_index_entry_decode(w, sizeof(w), e);
}

/* @len bytes of @disk at @at into an aligned buffer (O_DIRECT). */
static uint8_t *read_disk(const char *disk, uint64_t at, size_t len)
{
	int fd = open(disk, O_RDONLY | O_DIRECT | O_CLOEXEC);
	uint8_t *p = NULL;
	size_t got = 0;

	if (fd < 0 || posix_memalign((void **)&p, 4096, len)) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	while (got < len) {
		ssize_t n = pread(fd, p + got, len - got, (off_t)(at + got));

		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (got < len) {
		free(p);
		return NULL;
	}
	return p;
}

/* ---- every mode, byte-exact ---- */

FIXTURE(modes) {
	struct disk d;
	char index[64];
};

FIXTURE_VARIANT(modes) {
	enum fpgacap_record_mode mode;
	uint32_t cfg_flags;
	uint32_t flags;
	uint64_t offset;
};

FIXTURE_VARIANT_ADD(modes, direct) { .mode = FPGACAP_RECORD_DIRECT };
FIXTURE_VARIANT_ADD(modes, copy) { .mode = FPGACAP_RECORD_COPY };
FIXTURE_VARIANT_ADD(modes, auto_read_only) { .mode = FPGACAP_RECORD_AUTO };
FIXTURE_VARIANT_ADD(modes, auto_writable) { .mode = FPGACAP_RECORD_AUTO,
	.cfg_flags = FPGACAP_CFG_WRITABLE };
FIXTURE_VARIANT_ADD(modes, fixed_writable) { .mode = FPGACAP_RECORD_FIXED,
	.cfg_flags = FPGACAP_CFG_WRITABLE };
FIXTURE_VARIANT_ADD(modes, direct_sync_at_an_offset) {
	.mode = FPGACAP_RECORD_DIRECT, .flags = FPGACAP_RECORD_SYNC,
	.offset = 1 * MiB };

FIXTURE_SETUP(modes)
{
	snprintf(self->index, sizeof(self->index), "/tmp/record-%d.idx",
		 getpid());
}

FIXTURE_TEARDOWN(modes)
{
	unlink(self->index);
}

TEST_F_TIMEOUT(modes, byte_exact, 300)
{
	/* 4 MiB less 100 bytes: the last buffer short, padded. */
	const uint64_t total = 4 * MiB - 100;
	struct rec_run r = { .mode = variant->mode,
			     .cfg_flags = variant->cfg_flags,
			     .flags = variant->flags,
			     .offset = variant->offset, .max_bytes = total };
	struct fpgacap_record_check_stats st;
	bool fixed_expected, fixed_refused;
	uint64_t end, bs;
	uint8_t *p;
	long bad;

	NEED_DISK("rec", &self->d);
	run_recording(self->d.path, self->index, &r);
	/* Registration: 6.1 pins the pool for writing and refuses device
	 * mappings; 6.12 registers a writable pool. */
	fixed_refused = kernel_version() < 604 ||
			!(variant->cfg_flags & FPGACAP_CFG_WRITABLE);
	fixed_expected = kernel_version() >= 612 &&
			 (variant->cfg_flags & FPGACAP_CFG_WRITABLE);
	if (variant->mode == FPGACAP_RECORD_FIXED && fixed_refused) {
		EXPECT_TRUE(r.create == -EOPNOTSUPP || r.create == -EFAULT)
			REC_LOG(r);
		return;
	}
	ASSERT_EQ(0, r.create) REC_LOG(r);
	EXPECT_EQ(0, r.step) REC_LOG(r);
	EXPECT_EQ(0, r.finish) REC_LOG(r);
	EXPECT_TRUE(r.rs.uring);
	EXPECT_TRUE(r.rs.direct);
	if (variant->mode == FPGACAP_RECORD_AUTO) {
		if (fixed_expected) {
			EXPECT_EQ(FPGACAP_RECORD_FIXED, r.rs.mode) REC_LOG(r);
		}
		if (fixed_refused) {
			EXPECT_EQ(FPGACAP_RECORD_DIRECT, r.rs.mode) REC_LOG(r);
			EXPECT_NE(0, r.rs.fixed_buffers_error);
		}
	} else {
		EXPECT_EQ(variant->mode, r.rs.mode);
	}
	if (r.rs.mode == FPGACAP_RECORD_FIXED) {
		/* Every buffer's body from the registered pool; the last
		 * one's tail block from the library's memory. */
		EXPECT_TRUE(r.rs.fixed_buffers);
		EXPECT_EQ(r.rs.buffers, r.rs.fixed_writes) REC_LOG(r);
	} else {
		EXPECT_EQ(0, r.rs.fixed_writes);
	}
	bs = r.rs.block_size;
	EXPECT_EQ(total, r.st.payload_bytes);
	EXPECT_EQ(64, r.rs.buffers);
	EXPECT_EQ(64, r.rs.acknowledged) REC_LOG(r);
	EXPECT_EQ(total, r.rs.acknowledged_bytes);
	EXPECT_EQ(0, r.rs.failed);
	EXPECT_EQ(variant->offset + 4 * MiB - 100 + (bs - (4 * MiB - 100) % bs),
		  r.rs.file_end);
	/* Every buffer back with the driver, each released once. */
	EXPECT_EQ(64, r.st.latency_samples);
	EXPECT_EQ(r.ds.dequeued, r.ds.returned);
	EXPECT_EQ(0, r.ds.user);

	ASSERT_EQ(0, check_recording(self->d.path, self->index,
				     FPGACAP_VERIFY_AUTO, &st));
	EXPECT_EQ(FPGACAP_VERIFY_PATTERN, st.mode);
	EXPECT_FALSE(st.error) CHECK_LOG(st);
	EXPECT_EQ(64, st.entries);
	EXPECT_EQ(total, st.payload_bytes);
	EXPECT_EQ(0, st.lost_bytes);
	EXPECT_TRUE(st.ended);
	EXPECT_EQ(0, st.end_error);

	/* The raw disk, not through the reader: the stream from offset 0,
	 * then zeros to the block's end. */
	end = (total + bs - 1) / bs * bs;
	p = read_disk(self->d.path, variant->offset, (size_t)end);
	ASSERT_NE(NULL, p);
	bad = check_pattern(p, total, 0);
	EXPECT_EQ(-1, bad) TH_LOG("first wrong byte at %ld", bad);
	for (uint64_t i = total / 8 * 8; i < total; i++)
		if (p[i] != (uint8_t)(FPGACAP_PATTERN_WORD(i) >> (8 * (i & 7))))
			bad = (long)i;
	EXPECT_EQ(-1, bad) TH_LOG("wrong byte in the last word at %ld", bad);
	for (uint64_t i = total; i < end; i++)
		if (p[i])
			bad = (long)i;
	EXPECT_EQ(-1, bad) TH_LOG("padding byte %ld is not zero", bad);
	free(p);
}

/* The full, failing and slow disks: direct, and copy (which releases a
 * buffer before its write). */
static bool plain_mode(const FIXTURE_VARIANT(modes) *v)
{
	return (v->mode == FPGACAP_RECORD_DIRECT ||
		v->mode == FPGACAP_RECORD_COPY) && !v->flags && !v->offset &&
	       !v->cfg_flags;
}

/* ---- a full disk ---- */

TEST_F_TIMEOUT(modes, full_disk, 300)
{
	/* Room for 24 buffers and half of one: a short write, then ENOSPC. */
	struct rec_run r = { .mode = variant->mode,
			     .cfg_flags = variant->cfg_flags,
			     .max_bytes = 4 * MiB };
	struct fpgacap_record_check_stats st;
	struct fpgacap_index_entry e;

	if (!plain_mode(variant))
		SKIP(return, "direct and copy show it");
	NEED_DISK("rec", &self->d);
	r.offset = self->d.size - 24 * BUF - BUF / 2;
	run_recording(self->d.path, self->index, &r);
	ASSERT_EQ(0, r.create) REC_LOG(r);
	EXPECT_EQ(-ENOSPC, r.step) REC_LOG(r);
	EXPECT_EQ(-ENOSPC, r.finish);
	EXPECT_EQ(ENOSPC, r.rs.error);
	EXPECT_EQ(self->d.size, r.rs.error_offset) REC_LOG(r);
	EXPECT_EQ(24, r.rs.acknowledged) REC_LOG(r);
	EXPECT_EQ(24 * BUF, r.rs.acknowledged_bytes);
	EXPECT_LE(1, r.rs.failed);
	EXPECT_EQ(r.rs.buffers, r.rs.acknowledged + r.rs.failed);
	/* Nothing is held back: written, failed or never written, every
	 * buffer is the driver's again. */
	EXPECT_EQ(r.ds.dequeued, r.ds.returned);
	/* The index: the 25th buffer half on the disk. */
	ASSERT_EQ(0, index_entry(self->index, 24, &e));
	EXPECT_TRUE(e.flags & FPGACAP_INDEX_FAILED);
	EXPECT_EQ(ENOSPC, e.error);
	EXPECT_EQ(BUF / 2, e.written);
	EXPECT_EQ(24 * BUF, e.stream_offset);

	ASSERT_EQ(0, check_recording(self->d.path, self->index,
				     FPGACAP_VERIFY_PATTERN, &st));
	EXPECT_FALSE(st.error) CHECK_LOG(st);
	EXPECT_EQ(24 * BUF + BUF / 2, st.payload_bytes);
	EXPECT_EQ(r.rs.failed, st.failed_writes);
	EXPECT_TRUE(st.ended);
	EXPECT_EQ(ENOSPC, st.end_error);
}

/* ---- a failing disk ---- */

/*
 * QEMU's virtio-blk merges adjacent requests (up to 32) before the block
 * driver sees them, and blkdebug fails a merged request whole: the first
 * write to fail may start up to that many buffers before the bad sector.
 */
#define MERGE_WINDOW	(32 * BUF)

/* Everything the index acknowledges below the first failed write, which
 * starts at most MERGE_WINDOW below @bad, and that buffer failed with EIO. */
static void expect_failed_at(struct __test_metadata *_metadata,
			     const char *disk, const char *index,
			     struct rec_run *r, uint64_t bad)
{
	struct fpgacap_record_check_stats st;
	struct fpgacap_index_entry e;
	unsigned int i;

	/* EIO, or ENODATA where the disk reports a medium error (NVMe). */
	int err = r->rs.error == ENODATA ? ENODATA : EIO;

	EXPECT_EQ(0, r->create) REC_LOG(*r);
	EXPECT_EQ(-err, r->step) REC_LOG(*r);
	EXPECT_EQ(-err, r->finish);
	EXPECT_EQ(err, r->rs.error);
	EXPECT_GE(bad, r->rs.error_offset) REC_LOG(*r);
	EXPECT_LE(bad, r->rs.error_offset + MERGE_WINDOW) REC_LOG(*r);
	EXPECT_EQ(0, r->rs.error_offset % BUF) REC_LOG(*r);
	bad = r->rs.error_offset;
	EXPECT_LE(bad / BUF, r->rs.acknowledged) REC_LOG(*r);
	EXPECT_EQ(r->ds.dequeued, r->ds.returned);
	for (i = 0; !index_entry(index, i, &e); i++) {
		if (e.flags & FPGACAP_INDEX_END)
			break;
		if (e.file_offset + e.bytes <= bad)
			EXPECT_FALSE(e.flags & FPGACAP_INDEX_FAILED)
				TH_LOG("entry %u", i);
		if (e.file_offset == bad) {
			EXPECT_TRUE(e.flags & FPGACAP_INDEX_FAILED);
			EXPECT_EQ(err, e.error);
		}
	}
	EXPECT_EQ(r->rs.buffers, i);
	ASSERT_EQ(0, check_recording(disk, index, FPGACAP_VERIFY_PATTERN, &st));
	EXPECT_FALSE(st.error) CHECK_LOG(st);
	EXPECT_LE(1, st.failed_writes);
	EXPECT_LE(bad, st.payload_bytes);
	EXPECT_TRUE(st.ended);
	EXPECT_EQ(err, st.end_error);
}

TEST_F_TIMEOUT(modes, failing_disk_blkdebug, 300)
{
	struct rec_run r = { .mode = variant->mode,
			     .cfg_flags = variant->cfg_flags,
			     .max_bytes = 8 * MiB };

	if (!plain_mode(variant))
		SKIP(return, "direct and copy show it");
	NEED_DISK("bad", &self->d);
	ASSERT_LE(0, self->d.eio);
	run_recording(self->d.path, self->index, &r);
	expect_failed_at(_metadata, self->d.path, self->index, &r,
			 (uint64_t)self->d.eio);
}

/* fail_make_request: writes to the disk fail once @space bytes went. */
static int fail_requests(const char *disk, bool on, uint64_t space)
{
	char path[128], v[32];
	int ret;

	snprintf(path, sizeof(path), "/sys/block/%s/make-it-fail", disk + 5);
	ret = write_file(path, on ? "1" : "0");
	if (ret)
		return ret;
	snprintf(v, sizeof(v), "%llu", (unsigned long long)space);
	ret = write_file("/sys/kernel/debug/fail_make_request/verbose", "0");
	ret = ret ?: write_file("/sys/kernel/debug/fail_make_request/space",
				on ? v : "0");
	ret = ret ?: write_file("/sys/kernel/debug/fail_make_request/probability",
				on ? "100" : "0");
	ret = ret ?: write_file("/sys/kernel/debug/fail_make_request/interval",
				"1");
	ret = ret ?: write_file("/sys/kernel/debug/fail_make_request/times",
				on ? "-1" : "1");
	return ret;
}

TEST_F_TIMEOUT(modes, failing_disk_fail_make_request, 300)
{
	struct rec_run r = { .mode = variant->mode,
			     .cfg_flags = variant->cfg_flags,
			     .max_bytes = 4 * MiB };
	int ret;

	if (!plain_mode(variant))
		SKIP(return, "direct and copy show it");
	NEED_DISK("rec", &self->d);
	if (access("/sys/kernel/debug/fail_make_request", F_OK))
		SKIP(return, "this kernel has no fail_make_request");
	/* Each buffer is one 64 KiB bio: 32 pass, the 33rd fails. */
	ASSERT_EQ(0, fail_requests(self->d.path, true, 2 * MiB + 1));
	run_recording(self->d.path, self->index, &r);
	ret = fail_requests(self->d.path, false, 0);
	ASSERT_EQ(0, ret);
	expect_failed_at(_metadata, self->d.path, self->index, &r, 2 * MiB);
}

/* ---- a slow disk ---- */

TEST_F_TIMEOUT(modes, slow_disk_losses_in_the_index, 300)
{
	/* A source four times as fast as the disk. */
	struct rec_run r = { .mode = variant->mode,
			     .cfg_flags = variant->cfg_flags,
			     .duration_ms = 3000 };
	struct fpgacap_record_check_stats st;

	if (!plain_mode(variant))
		SKIP(return, "direct and copy show it");
	NEED_DISK("slow", &self->d);
	ASSERT_LT(0, self->d.wbps);
	r.rate = 4 * self->d.wbps;
	run_recording(self->d.path, self->index, &r);
	ASSERT_EQ(0, r.create) REC_LOG(r);
	EXPECT_EQ(0, r.step) REC_LOG(r);
	EXPECT_EQ(0, r.finish);
	EXPECT_EQ(0, r.rs.failed);
	EXPECT_EQ(r.rs.buffers, r.rs.acknowledged);
	/* The source dropped; what it dropped between buffers written is
	 * in the index, the rest came after the last one. */
	EXPECT_LT(0, r.ds.drops);
	EXPECT_LT(0, r.st.lost_bytes) REC_LOG(r);
	EXPECT_LE(r.st.lost_bytes, r.ds.bytes_dropped);
	ASSERT_EQ(0, check_recording(self->d.path, self->index,
				     FPGACAP_VERIFY_PATTERN, &st));
	EXPECT_FALSE(st.error) CHECK_LOG(st);
	EXPECT_EQ(r.st.lost_bytes, st.lost_bytes);
	EXPECT_EQ(r.st.lost_events, st.lost_events);
	EXPECT_EQ(r.rs.acknowledged_bytes, st.payload_bytes);
	EXPECT_TRUE(st.ended);
}

/*
 * The checks above can fail: buffers released as soon as their write is
 * queued go back to the source, which refills them while the disk, slowed
 * down, has not read them yet.
 */
TEST_F_TIMEOUT(modes, early_release_is_caught, 300)
{
	struct rec_run r = { .mode = variant->mode,
			     .cfg_flags = variant->cfg_flags,
			     .max_bytes = 1 * MiB, .early = true };
	struct fpgacap_record_check_stats st;

	if (variant->mode != FPGACAP_RECORD_DIRECT || variant->flags)
		SKIP(return, "once is enough");
	NEED_DISK("slow", &self->d);
	/* QEMU's SD card copies each block while the CPU waits. */
	if (!strcmp(disk_if(), "sd"))
		SKIP(return, "the emulated SD card reads a buffer at once");
	run_recording(self->d.path, self->index, &r);
	ASSERT_EQ(0, r.create) REC_LOG(r);
	ASSERT_EQ(0, check_recording(self->d.path, self->index,
				     FPGACAP_VERIFY_PATTERN, &st));
	EXPECT_TRUE(st.error);
	EXPECT_LT(0, st.data_errors) CHECK_LOG(st);
}

/* ---- fpgacap-record ---- */

#define OUTPUT(c) TH_LOG("stdout: %s\nstderr: %s", (c)->outbuf, (c)->errbuf)

FIXTURE(tool) {
	struct disk d;
	char index[64];
};

FIXTURE_SETUP(tool)
{
	snprintf(self->index, sizeof(self->index), "/tmp/tool-%d.idx",
		 getpid());
}

FIXTURE_TEARDOWN(tool)
{
	unlink(self->index);
}

TEST_F_TIMEOUT(tool, records_and_verifies, 300)
{
	char *index = self->index, *argv[20];
	struct disk *d = &self->d;
	struct child c;
	int n = 0;

	NEED_DISK("rec", d);
	argv[n++] = "fpgacap-record";
	argv[n++] = "-d";
	argv[n++] = (char *)dev_path();
	argv[n++] = "-c";
	argv[n++] = "8";
	argv[n++] = "-s";
	argv[n++] = "64K";
	argv[n++] = "-b";
	argv[n++] = "2M";
	argv[n++] = "--index";
	argv[n++] = index;
	argv[n++] = "--json";
	argv[n++] = d->path;
	argv[n] = NULL;
	ASSERT_EQ(0, child_run(&c, argv, 120000)) OUTPUT(&c);
	EXPECT_NE(NULL, strstr(c.outbuf, "\"ok\":true")) OUTPUT(&c);
	EXPECT_NE(NULL, strstr(c.outbuf, "\"acknowledged\":32")) OUTPUT(&c);
	EXPECT_NE(NULL, strstr(c.outbuf, "\"stopped_by\":\"its limit (-b/-k)\""))
		OUTPUT(&c);
	{
		char *v[] = { "fpgacap-record", "--check", "auto", "--index",
			      index, d->path, NULL };

		ASSERT_EQ(0, child_run(&c, v, 120000)) OUTPUT(&c);
		EXPECT_NE(NULL, strstr(c.outbuf, "(pattern): 32 buffers"))
			OUTPUT(&c);
		EXPECT_NE(NULL, strstr(c.outbuf, "finished cleanly"));
		EXPECT_NE(NULL, strstr(c.outbuf, "verdict: OK"));
		/* A block device's index has no default place. */
		v[3] = d->path;
		v[4] = NULL;
		EXPECT_EQ(2, child_run(&c, v, 30000)) OUTPUT(&c);
		EXPECT_NE(NULL, strstr(c.errbuf, "--index FILE"));
	}
}

TEST_F_TIMEOUT(tool, full_disk, 300)
{
	char *index = self->index, offset[32];
	struct disk *d = &self->d;
	struct child c;

	NEED_DISK("rec", d);
	snprintf(offset, sizeof(offset), "%llu",
		 (unsigned long long)(d->size - 512 * KiB));
	{
		char *argv[] = { "fpgacap-record", "-d", (char *)dev_path(),
				 "-c", "8", "-s", "64K", "-b", "2M", "--offset",
				 offset, "--index", index, d->path, NULL };

		ASSERT_EQ(1, child_run(&c, argv, 120000)) OUTPUT(&c);
		EXPECT_NE(NULL, strstr(c.outbuf, "disk error: the disk is full"))
			OUTPUT(&c);
		EXPECT_NE(NULL, strstr(c.outbuf, "8 buffers (524288 bytes) "
				       "acknowledged")) OUTPUT(&c);
		EXPECT_NE(NULL, strstr(c.outbuf, "verdict: FAILED"));
	}
	{
		char *v[] = { "fpgacap-record", "--check", "pattern",
			      "--index", index, d->path, NULL };

		ASSERT_EQ(0, child_run(&c, v, 120000)) OUTPUT(&c);
		EXPECT_NE(NULL, strstr(c.outbuf, "stopped on an error: No "
				       "space left on device")) OUTPUT(&c);
		EXPECT_NE(NULL, strstr(c.outbuf, "verdict: OK"));
	}
}

FIXTURE(stop) {
	struct disk d;
	char index[64];
};

FIXTURE_VARIANT(stop) {
	int sig;
	bool json;
	const char *says;
};

FIXTURE_VARIANT_ADD(stop, sigint) {
	.sig = SIGINT, .says = "stopped by SIGINT" };
FIXTURE_VARIANT_ADD(stop, sigterm_json) {
	.sig = SIGTERM, .json = true, .says = "\"stopped_by\":\"SIGTERM\"" };

FIXTURE_SETUP(stop)
{
	snprintf(self->index, sizeof(self->index), "/tmp/stop-%d.idx",
		 getpid());
}

FIXTURE_TEARDOWN(stop)
{
	unlink(self->index);
}

/* Wait until the recorder has returned @n buffers to the driver. */
static bool wait_returned(uint64_t n, int timeout_ms)
{
	uint64_t end = spawn_now_ms() + (uint64_t)timeout_ms;
	int fd = open(dev_path(), O_RDONLY | O_CLOEXEC);
	bool ok = false;

	if (fd < 0)
		return false;
	do {
		struct fpgacap_stats st;

		if (!get_stats(fd, &st) && st.state == FPGACAP_STATE_STREAMING &&
		    st.returned >= n) {
			ok = true;
			break;
		}
		usleep(10000);
	} while (spawn_now_ms() < end);
	close(fd);
	return ok;
}

/* On the slow disk, with writes in flight: the capture stops at once,
 * the writes issued land, the index ends, the summary names the signal. */
TEST_F_TIMEOUT(stop, on_the_slow_disk, 300)
{
	char rate[32], *argv[24];
	struct child c;
	int64_t ms;
	int n = 0;

	NEED_DISK("slow", &self->d);
	snprintf(rate, sizeof(rate), "%llu",
		 (unsigned long long)(2 * self->d.wbps));
	argv[n++] = "fpgacap-record";
	argv[n++] = "-d";
	argv[n++] = (char *)dev_path();
	argv[n++] = "-c";
	argv[n++] = "8";
	argv[n++] = "-s";
	argv[n++] = "64K";
	argv[n++] = "--rate";
	argv[n++] = rate;
	argv[n++] = "-i";
	argv[n++] = "0.5";
	argv[n++] = "--index";
	argv[n++] = self->index;
	argv[n++] = variant->json ? "--json" : "-q";
	argv[n++] = self->d.path;
	argv[n] = NULL;
	ASSERT_EQ(0, child_start(&c, argv));
	ASSERT_TRUE(child_ready(&c, 30000)) OUTPUT(&c);
	ASSERT_TRUE(wait_returned(8, 60000)) OUTPUT(&c);
	/* Past the first interval report (-i 0.5). */
	sleep_mono(600 * 1000000ULL);
	ms = child_stop(&c, variant->sig, 30000);
	ASSERT_LE(0, ms) OUTPUT(&c);
	/* 8 buffers of 64 KiB at most in flight: half a second at 1 MB/s. */
	EXPECT_GT(10000, ms) OUTPUT(&c);
	EXPECT_TRUE(WIFEXITED(c.status)) OUTPUT(&c);
	EXPECT_EQ(0, WEXITSTATUS(c.status)) OUTPUT(&c);
	EXPECT_NE(NULL, strstr(c.outbuf, variant->says)) OUTPUT(&c);
	if (variant->json) {
		EXPECT_NE(NULL, strstr(c.outbuf, "\"intervals\":[{"))
			OUTPUT(&c);
		EXPECT_NE(NULL, strstr(c.outbuf, "\"inflight\":0,\"writes\""))
			OUTPUT(&c);
	} else {
		EXPECT_NE(NULL, strstr(c.outbuf, "verdict: OK")) OUTPUT(&c);
	}
	{
		char *v[] = { "fpgacap-record", "--check", "pattern",
			      "--index", self->index, self->d.path, NULL };

		ASSERT_EQ(0, child_run(&c, v, 120000)) OUTPUT(&c);
		EXPECT_NE(NULL, strstr(c.outbuf, "finished cleanly"))
			OUTPUT(&c);
	}
}

/* ---- fpgacap-bench's record modes ---- */

/* A number of a flat JSON document ("key":-12), or INT64_MIN. */
static int64_t jnum(const char *json, const char *key)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(json, pat);
	return p ? strtoll(p + strlen(pat), NULL, 10) : INT64_MIN;
}

/* @len bytes of 0xa5 over @disk from 0: what no recording writes. */
static int scribble(const char *disk, size_t len)
{
	int fd = open(disk, O_WRONLY | O_DIRECT | O_CLOEXEC);
	uint8_t *p = NULL;
	ssize_t n = -1;

	if (fd >= 0 && !posix_memalign((void **)&p, 4096, len)) {
		memset(p, 0xa5, len);
		n = pwrite(fd, p, len, 0);
		if (n == (ssize_t)len && fdatasync(fd))
			n = -1;
	}
	free(p);
	if (fd >= 0)
		close(fd);
	return n == (ssize_t)len ? 0 : -EIO;
}

/*
 * The bench's record modes measure what they name: each run writes the
 * 2 MiB it streamed onto the disk, no byte more (the 64 KiB after it keep
 * what was there), the library's reader finds it intact, its writes are
 * 32, one per 64 KiB buffer; direct and fixed copy no byte (the
 * recorder's copied_bytes), fixed writes every buffer from registered
 * buffers or, where the kernel will not register the pool (before 6.12),
 * says why and writes nothing; copy copies every byte.
 */
TEST_F_TIMEOUT(tool, bench_record_modes, 600)
{
	static const char *const modes[] = {
		"record-direct", "record-fixed", "record-copy",
	};
	const size_t total = 2 * MiB, after = 64 * KiB;
	char mode[32], *argv[] = {
		"fpgacap-bench", "-d", (char *)dev_path(), "-m", mode,
		"-c", "8", "-s", "64K", "-b", "2M", "--record-to",
		self->d.path, "--json", "-q", NULL,
	};
	struct child c;

	NEED_DISK("rec", &self->d);
	for (size_t i = 0; i < ARRAY_SIZE(modes); i++) {
		bool fixed = !strcmp(modes[i], "record-fixed");
		char used[64];
		uint8_t *p;
		long bad;

		snprintf(mode, sizeof(mode), "%s", modes[i]);
		ASSERT_EQ(0, scribble(self->d.path, total + after));
		ASSERT_EQ(0, child_run(&c, argv, 240000)) OUTPUT(&c);
		if (fixed && jnum(c.outbuf, "error")) {
			/* Refused, as the library's own test expects. */
			EXPECT_GT(612, kernel_version()) OUTPUT(&c);
			EXPECT_TRUE(jnum(c.outbuf, "error") == -EOPNOTSUPP ||
				    jnum(c.outbuf, "error") == -EFAULT)
				OUTPUT(&c);
			EXPECT_NE(NULL, strstr(c.outbuf,
					       "\"fixed_buffers\":false"));
			EXPECT_EQ(-jnum(c.outbuf, "error"),
				  jnum(c.outbuf, "fixed_buffers_error"))
				OUTPUT(&c);
			p = read_disk(self->d.path, 0, total + after);
			ASSERT_NE(NULL, p);
			EXPECT_EQ(0xa5, p[0]);
			EXPECT_EQ(0xa5, p[total - 1]);
			free(p);
			continue;
		}
		EXPECT_EQ(0, jnum(c.outbuf, "error")) OUTPUT(&c);
		snprintf(used, sizeof(used), "\"record_mode\":\"%s\"",
			 modes[i] + strlen("record-"));
		EXPECT_NE(NULL, strstr(c.outbuf, used)) OUTPUT(&c);
		EXPECT_NE(NULL, strstr(c.outbuf, "\"direct\":true"));
		EXPECT_EQ((int64_t)total, jnum(c.outbuf, "bytes")) OUTPUT(&c);
		EXPECT_EQ((int64_t)total, jnum(c.outbuf, "record_bytes"));
		EXPECT_EQ((int64_t)total, jnum(c.outbuf, "acknowledged_bytes"));
		EXPECT_EQ((int64_t)total, jnum(c.outbuf, "file_end"));
		EXPECT_EQ(0, jnum(c.outbuf, "padding_bytes"));
		EXPECT_EQ(32, jnum(c.outbuf, "writes") -
			      jnum(c.outbuf, "resubmitted")) OUTPUT(&c);
		EXPECT_EQ(0, jnum(c.outbuf, "verify")) OUTPUT(&c);
		EXPECT_NE(NULL, strstr(c.outbuf, "\"verify_mode\":\"pattern\""));
		EXPECT_EQ((int64_t)total, jnum(c.outbuf, "verified_bytes"));
		if (!strcmp(modes[i], "record-copy")) {
			EXPECT_EQ((int64_t)total, jnum(c.outbuf, "copied_bytes"))
				OUTPUT(&c);
		} else {
			EXPECT_EQ(0, jnum(c.outbuf, "copied_bytes")) OUTPUT(&c);
		}
		if (fixed) {
			EXPECT_NE(NULL, strstr(c.outbuf,
					       "\"fixed_buffers\":true"));
			EXPECT_EQ(jnum(c.outbuf, "writes"),
				  jnum(c.outbuf, "fixed_writes")) OUTPUT(&c);
		} else {
			EXPECT_EQ(0, jnum(c.outbuf, "fixed_writes"));
		}
		/* The disk itself: the stream, then what was there. */
		p = read_disk(self->d.path, 0, total + after);
		ASSERT_NE(NULL, p);
		bad = check_pattern(p, total, 0);
		EXPECT_EQ(-1, bad) TH_LOG("%s: first wrong byte at %ld",
					  modes[i], bad);
		bad = -1;
		for (size_t k = total; k < total + after && bad == -1; k++)
			if (p[k] != 0xa5)
				bad = (long)k;
		EXPECT_EQ(-1, bad) TH_LOG("%s: wrote byte %ld, past the "
					  "stream", modes[i], bad);
		free(p);
	}
	/* A mounted or otherwise held disk is refused, never overwritten. */
	{
		int hold = open(self->d.path, O_RDONLY | O_EXCL | O_CLOEXEC);

		ASSERT_LE(0, hold);
		snprintf(mode, sizeof(mode), "record-direct");
		EXPECT_EQ(1, child_run(&c, argv, 60000)) OUTPUT(&c);
		EXPECT_NE(NULL, strstr(c.errbuf, "in use")) OUTPUT(&c);
		close(hold);
	}
}

TEST_HARNESS_MAIN
