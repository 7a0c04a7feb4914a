// SPDX-License-Identifier: MIT
/*
 * fpgacap-record: capture from a device onto a file or block device with
 * O_DIRECT through io_uring, straight from the pool's pages, with an
 * index beside the data; and (--check) read a recording back against its
 * index. Stops on a limit, after -t, on a disk error, or on SIGINT/SIGTERM,
 * and always ends with a summary.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libfpgacap.h"
#include "cli.h"

struct rec_opts {
	const char *device;
	const char *path;		/* data: file or block device */
	const char *index;		/* default: PATH.idx for a file */
	uint32_t count, batch, block_size;
	uint64_t size, rate, bytes, buffers, duration_ns, interval_ns;
	uint64_t offset;
	uint32_t cfg_flags;
	enum fpgacap_record_mode mode;
	bool sync, json, quiet;
	bool check;			/* --check: read back, not record */
	enum fpgacap_verify_mode vmode;
};

static void usage(FILE *f)
{
	fprintf(f,
"usage: fpgacap-record [options] PATH\n"
"       fpgacap-record --check MODE [--index FILE] PATH\n"
"Capture from an fpgacap device onto a file or block device without\n"
"copying (O_DIRECT writes through io_uring from the capture buffers), with\n"
"an index beside it; or check a recording against its index.\n"
"\n"
"  -d, --device PATH       capture device (default: the only one there is,\n"
"                          else /dev/fpgacap)\n"
"  -c, --count N           buffers in the pool (default 16)\n"
"  -s, --size BYTES        bytes per buffer, page multiple (default 1M)\n"
"      --rate BYTES        source rate per second (default 0: as fast as\n"
"                          buffers come free; sources with a clock only)\n"
"      --highmem           allow highmem pages (32-bit)\n"
"      --writable          map the pool writable, so that kernels which\n"
"                          register only writable memory (Linux 6.12) take\n"
"                          it as io_uring fixed buffers; a stray write then\n"
"                          corrupts captured data\n"
"  -m, --mode MODE         auto | direct | fixed | copy (default auto):\n"
"                          direct pins the pages of each write, fixed\n"
"                          writes from the pool registered once, copy\n"
"                          copies each buffer first; auto is fixed where\n"
"                          the kernel registers the pool, else direct\n"
"  -b, --bytes BYTES       stop after this much payload\n"
"  -k, --blockcount N      stop after N buffers\n"
"  -t, --time SECONDS      stop after this long (default: until ^C)\n"
"  -i, --interval SECONDS  report every SECONDS while running\n"
"      --batch N           buffers per dequeue (default 16)\n"
"      --index FILE        the index (default PATH.idx; needed for a block\n"
"                          device)\n"
"      --offset BYTES      start this far into PATH (a block multiple)\n"
"      --block-size BYTES  alignment of every write (default: what the\n"
"                          device or file system asks for)\n"
"      --sync              every write reaches stable storage before it is\n"
"                          acknowledged (slower; default: once, at the end)\n"
"      --check MODE        check the recording at PATH instead: auto |\n"
"                          pattern | records | frames | index (auto: what\n"
"                          the index says its source wrote)\n"
"  -j, --json              one JSON document (start, intervals, end) on stdout\n"
"  -q, --quiet             no progress line\n"
"  -h, --help              this text\n"
"  -V, --version           the version\n"
"BYTES take K, M, G suffixes (powers of 1024). PATH is truncated unless it\n"
"is a block device. SIGINT or SIGTERM stops the capture at once and waits\n"
"up to 10 s for the writes already issued (a second signal: not at all),\n"
"then prints the summary. Exit status: 0 success, 1 a failure (disk error,\n"
"a recording that does not check), 2 a usage error.\n");
}

enum { OPT_RATE = 256, OPT_HIGHMEM, OPT_WRITABLE, OPT_BATCH, OPT_INDEX,
       OPT_OFFSET, OPT_BLOCK, OPT_SYNC, OPT_CHECK };

static void parse_check_mode(const char *arg, struct rec_opts *o)
{
	static const struct { const char *name; enum fpgacap_verify_mode m; }
	modes[] = {
		{ "auto", FPGACAP_VERIFY_AUTO },
		{ "pattern", FPGACAP_VERIFY_PATTERN },
		{ "records", FPGACAP_VERIFY_FRAMED },
		{ "frames", FPGACAP_VERIFY_FRAMES },
		{ "index", FPGACAP_VERIFY_NONE },
	};

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		if (!strcmp(arg, modes[i].name)) {
			o->vmode = modes[i].m;
			o->check = true;
			return;
		}
	}
	cli_bad_arg("--check", arg, "expected auto, pattern, records, frames "
		    "or index");
}

static const char *check_mode_name(enum fpgacap_verify_mode m)
{
	switch (m) {
	case FPGACAP_VERIFY_PATTERN: return "pattern";
	case FPGACAP_VERIFY_FRAMED: return "records";
	case FPGACAP_VERIFY_FRAMES: return "frames";
	case FPGACAP_VERIFY_NONE: return "index";
	default: return "auto";
	}
}

static void parse_args(int argc, char **argv, struct rec_opts *o)
{
	static const struct option longopts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "count", required_argument, NULL, 'c' },
		{ "size", required_argument, NULL, 's' },
		{ "rate", required_argument, NULL, OPT_RATE },
		{ "highmem", no_argument, NULL, OPT_HIGHMEM },
		{ "writable", no_argument, NULL, OPT_WRITABLE },
		{ "mode", required_argument, NULL, 'm' },
		{ "bytes", required_argument, NULL, 'b' },
		{ "blockcount", required_argument, NULL, 'k' },
		{ "time", required_argument, NULL, 't' },
		{ "duration", required_argument, NULL, 't' },
		{ "interval", required_argument, NULL, 'i' },
		{ "batch", required_argument, NULL, OPT_BATCH },
		{ "index", required_argument, NULL, OPT_INDEX },
		{ "offset", required_argument, NULL, OPT_OFFSET },
		{ "block-size", required_argument, NULL, OPT_BLOCK },
		{ "sync", no_argument, NULL, OPT_SYNC },
		{ "check", required_argument, NULL, OPT_CHECK },
		CLI_OPTS_TAIL,
	};
	bool record_opt = false;
	int c;

	o->count = 16;
	o->size = 1 << 20;
	while ((c = getopt_long(argc, argv, "d:c:s:m:b:k:t:i:" CLI_SHORT_TAIL,
				longopts, NULL)) != -1) {
		switch (c) {
		case 'd': o->device = optarg; record_opt = true; break;
		case 'c':
			o->count = (uint32_t)cli_opt_u64("--count", optarg, 0, 1,
							 65536);
			record_opt = true;
			break;
		case 's':
			o->size = cli_opt_u64("--size", optarg, CLI_SUFFIX, 1,
					      1ULL << 40);
			record_opt = true;
			break;
		case OPT_RATE:
			o->rate = cli_opt_u64("--rate", optarg, CLI_SUFFIX, 0,
					      1ULL << 40);
			record_opt = true;
			break;
		case OPT_HIGHMEM:
			o->cfg_flags |= FPGACAP_CFG_HIGHMEM;
			record_opt = true;
			break;
		case OPT_WRITABLE:
			o->cfg_flags |= FPGACAP_CFG_WRITABLE;
			record_opt = true;
			break;
		case 'm':
			if (fpgacap_record_mode_parse(optarg, &o->mode))
				cli_bad_arg("--mode", optarg, "expected auto, "
					    "direct, fixed or copy");
			record_opt = true;
			break;
		case 'b':
			o->bytes = cli_opt_u64("--bytes", optarg, CLI_SUFFIX, 1,
					       UINT64_MAX);
			record_opt = true;
			break;
		case 'k':
			o->buffers = cli_opt_u64("--blockcount", optarg, 0, 1,
						 UINT64_MAX);
			record_opt = true;
			break;
		case 't':
			o->duration_ns = cli_opt_time(optarg);
			record_opt = true;
			break;
		case 'i':
			o->interval_ns = cli_opt_interval(optarg);
			break;
		case OPT_BATCH:
			o->batch = (uint32_t)cli_opt_u64("--batch", optarg, 0, 1,
							 1024);
			record_opt = true;
			break;
		case OPT_INDEX: o->index = optarg; break;
		case OPT_OFFSET:
			o->offset = cli_opt_u64("--offset", optarg, CLI_SUFFIX,
						0, 1ULL << 62);
			record_opt = true;
			break;
		case OPT_BLOCK:
			o->block_size = (uint32_t)cli_opt_u64("--block-size",
				optarg, CLI_SUFFIX, 512, 65536);
			if (o->block_size & (o->block_size - 1))
				cli_bad_arg("--block-size", optarg,
					    "not a power of two");
			record_opt = true;
			break;
		case OPT_SYNC: o->sync = true; record_opt = true; break;
		case OPT_CHECK: parse_check_mode(optarg, o); break;
		default: cli_common_opt(c, &o->json, &o->quiet, usage);
		}
	}
	if (optind < argc)
		o->path = argv[optind++];
	if (optind != argc || !o->path) {
		fprintf(stderr, "fpgacap-record: give one PATH (see --help)\n");
		exit(2);
	}
	if (o->check && record_opt) {
		fprintf(stderr, "fpgacap-record: --check takes PATH, --index, "
			"-i, -j and -q only\n");
		exit(2);
	}
	if (o->block_size && o->offset % o->block_size) {
		fprintf(stderr, "fpgacap-record: --offset must be a multiple "
			"of --block-size\n");
		exit(2);
	}
}

/* ---- recording ---- */

struct run {
	struct rec_opts *o;
	struct fpgacap *dev;
	struct fpgacap_info info;
	struct fpgacap_recording *rec;
	int fd, ixfd;
	char device[1024];		/* the node opened */
	char index_path[4096];
	bool blockdev;
	struct cli_meter meter;
	FILE *ivf;
	char *intervals;
	size_t intervals_len;
	struct cli_json ivj;
	uint64_t start_ns, end_ns, cpu_user, cpu_sys;
	const char *stopped_by;
	int error;			/* what ended the run, or 0 */
	int finish_error;		/* writes that did not finish */
};

static const char *source_name(uint32_t s)
{
	switch (s) {
	case FPGACAP_SOURCE_PATTERN: return "pattern";
	case FPGACAP_SOURCE_SLAVE_DMA: return "dma";
	case FPGACAP_SOURCE_MEMCPY: return "memcpy";
	default: return "unknown";
	}
}

/* What a failed configure means to a user (cli_open_device() says why
 * the device did not open). */
static const char *setup_hint(int err)
{
	switch (err) {
	case -EBUSY:
		return " (another program streams from this device)";
	case -EDQUOT:
		return " (fewer or smaller buffers, or raise max_pinned)";
	default:
		return "";
	}
}

/* What a write error means to the person at the console. */
static const char *disk_hint(int err)
{
	switch (err) {
	case ENOSPC:
		return "the disk is full";
	case EFBIG:
		return "the file reached its size limit";
	case EIO:
		return "the disk failed to write";
	case EDQUOT:
		return "the disk quota is used up";
	case EROFS:
		return "the disk became read-only";
	case ETIMEDOUT:
		return "writes did not finish in time";
	case EINTR:
		return "the wait for the last writes was cut short";
	default:
		return "the write failed";
	}
}

static void stats_now(const struct run *r, struct fpgacap_recorder_stats *rs,
		      struct fpgacap_recording_stats *st)
{
	memset(rs, 0, sizeof(*rs));
	memset(st, 0, sizeof(*st));
	rs->size = sizeof(*rs);
	st->size = sizeof(*st);
	fpgacap_recorder_get_stats(fpgacap_recording_recorder(r->rec), rs);
	fpgacap_recording_get_stats(r->rec, st);
}

static void interval_report(struct run *r)
{
	struct fpgacap_recorder_stats rs;
	struct fpgacap_recording_stats st;
	uint64_t bytes;
	double from, to;

	stats_now(r, &rs, &st);
	if (!cli_meter_due(&r->meter, rs.acknowledged_bytes, &from, &to,
			   &bytes))
		return;
	if (r->o->json) {
		cli_json_open(&r->ivj, NULL, '{');
		cli_json_dbl(&r->ivj, "start", from);
		cli_json_dbl(&r->ivj, "end", to);
		cli_json_u64(&r->ivj, "bytes", bytes);
		cli_json_dbl(&r->ivj, "MBps", (double)bytes / 1e6 / (to - from));
		cli_json_u64(&r->ivj, "inflight", rs.inflight);
		cli_json_u64(&r->ivj, "lost_bytes", st.lost_bytes);
		cli_json_close(&r->ivj, '}');
	} else {
		printf("[%6.1f-%6.1f s] %10.1f MB %8.1f MB/s written, %u "
		       "buffers being written, %llu bytes lost by capture\n",
		       from, to, (double)bytes / 1e6,
		       (double)bytes / 1e6 / (to - from), rs.inflight,
		       (unsigned long long)st.lost_bytes);
		fflush(stdout);
	}
}

static bool run_ok(const struct run *r)
{
	return !r->error && !r->finish_error;
}

static void json_start(struct run *r, struct cli_json *j)
{
	const struct fpgacap_config *cfg = fpgacap_layout(r->dev);

	cli_json_open(j, "start", '{');
	cli_json_str(j, "tool", "fpgacap-record");
	cli_json_str(j, "device", r->device);
	cli_json_str(j, "source", source_name(r->info.source));
	cli_json_str(j, "source_name", r->info.source_name);
	cli_json_str(j, "path", r->o->path);
	cli_json_str(j, "index", r->index_path);
	cli_json_bool(j, "block_device", r->blockdev);
	cli_json_str(j, "requested", fpgacap_record_mode_name(r->o->mode));
	cli_json_u64(j, "count", cfg->count);
	cli_json_u64(j, "buffer_size", cfg->buffer_size);
	cli_json_u64(j, "rate", r->o->rate);
	cli_json_u64(j, "offset", r->o->offset);
	cli_json_bool(j, "sync", r->o->sync);
	cli_json_close(j, '}');
}

static void json_end(struct run *r, struct cli_json *j,
		     const struct fpgacap_recorder_stats *rs,
		     const struct fpgacap_recording_stats *st,
		     const struct fpgacap_stats *ds, double secs)
{
	cli_json_open(j, "end", '{');
	cli_json_str(j, "mode", fpgacap_record_mode_name(rs->mode));
	cli_json_str(j, "requested", fpgacap_record_mode_name(rs->requested));
	cli_json_bool(j, "uring", rs->uring);
	cli_json_bool(j, "direct", rs->direct);
	cli_json_bool(j, "fixed_buffers", rs->fixed_buffers);
	cli_json_i64(j, "fixed_buffers_error", rs->fixed_buffers_error);
	cli_json_u64(j, "block_size", rs->block_size);
	cli_json_u64(j, "buffers", st->buffers);
	cli_json_u64(j, "payload_bytes", st->payload_bytes);
	cli_json_dbl(j, "seconds", secs);
	cli_json_dbl(j, "MBps", secs > 0 ? (double)rs->acknowledged_bytes /
		     1e6 / secs : 0);
	cli_json_u64(j, "acknowledged", rs->acknowledged);
	cli_json_u64(j, "acknowledged_bytes", rs->acknowledged_bytes);
	cli_json_u64(j, "failed", rs->failed);
	cli_json_u64(j, "failed_bytes", rs->failed_bytes);
	cli_json_u64(j, "unwritten_buffers", st->unwritten_buffers);
	cli_json_u64(j, "unwritten_bytes", st->unwritten_bytes);
	cli_json_u64(j, "inflight", rs->inflight);
	cli_json_u64(j, "writes", rs->writes);
	cli_json_u64(j, "fixed_writes", rs->fixed_writes);
	cli_json_u64(j, "resubmitted", rs->resubmitted);
	cli_json_u64(j, "copied_bytes", rs->copied_bytes);
	cli_json_u64(j, "padding_bytes", rs->padding_bytes);
	cli_json_u64(j, "syscalls", rs->syscalls);
	cli_json_u64(j, "index_entries", rs->index_entries);
	cli_json_u64(j, "file_end", rs->file_end);
	if (rs->error) {
		cli_json_str(j, "disk_error", strerror(rs->error));
		cli_json_i64(j, "disk_errno", rs->error);
		cli_json_u64(j, "error_offset", rs->error_offset);
		cli_json_bool(j, "index_error", rs->index_error);
	}
	cli_json_u64(j, "lost_bytes", st->lost_bytes);
	cli_json_u64(j, "lost_events", st->lost_events);
	cli_json_u64(j, "capture_drops", ds->drops);
	cli_json_u64(j, "capture_bytes_dropped", ds->bytes_dropped);
	cli_json_u64(j, "latency_samples", st->latency_samples);
	cli_json_u64(j, "latency_p50_ns", fpgacap_recording_latency(r->rec, 50));
	cli_json_u64(j, "latency_p99_ns", fpgacap_recording_latency(r->rec, 99));
	cli_json_u64(j, "latency_max_ns", st->latency_max);
	cli_json_dbl(j, "cpu_user_s", (double)r->cpu_user / 1e9);
	cli_json_dbl(j, "cpu_sys_s", (double)r->cpu_sys / 1e9);
	cli_json_str(j, "stopped_by", r->stopped_by);
	if (r->error)
		cli_json_str(j, "error", fpgacap_strerror(r->error));
	if (r->finish_error)
		cli_json_str(j, "finish_error", fpgacap_strerror(r->finish_error));
	cli_json_bool(j, "ok", run_ok(r));
	cli_json_close(j, '}');
}

static void text_end(struct run *r, const struct fpgacap_recorder_stats *rs,
		     const struct fpgacap_recording_stats *st,
		     const struct fpgacap_stats *ds, double secs)
{
	double mbps = secs > 0 ? (double)rs->acknowledged_bytes / 1e6 / secs :
		      0;

	printf("recorded %.1f MB in %.2f s: %.1f MB/s, %llu buffers to %s "
	       "(index %s); stopped by %s\n",
	       (double)rs->acknowledged_bytes / 1e6, secs, mbps,
	       (unsigned long long)rs->acknowledged, r->o->path,
	       r->index_path, r->stopped_by);
	printf("record mode: %s", fpgacap_record_mode_name(rs->mode));
	if (rs->requested != rs->mode)
		printf(" (requested %s)",
		       fpgacap_record_mode_name(rs->requested));
	if (rs->mode == FPGACAP_RECORD_FIXED)
		printf(": the pool registered with io_uring, %llu of %llu "
		       "writes from it", (unsigned long long)rs->fixed_writes,
		       (unsigned long long)rs->writes);
	else if (rs->mode == FPGACAP_RECORD_COPY)
		printf(": %llu bytes copied before writing",
		       (unsigned long long)rs->copied_bytes);
	else
		printf(": the pages of each write pinned per request");
	if (rs->mode != FPGACAP_RECORD_FIXED && rs->fixed_buffers_error)
		printf(" (registration refused: %s%s)",
		       strerror(rs->fixed_buffers_error),
		       r->o->cfg_flags & FPGACAP_CFG_WRITABLE ?
		       "; expected on Linux 6.1" : "; --writable may help");
	printf("\n");
	printf("writes: %s, %s, %u-byte blocks, %llu requests, %llu bytes of "
	       "padding%s\n", rs->uring ? "io_uring" : "pwrite (no io_uring)",
	       rs->direct ? "O_DIRECT" : "through the page cache",
	       rs->block_size, (unsigned long long)rs->writes,
	       (unsigned long long)rs->padding_bytes,
	       r->o->sync ? ", each synced" : "");
	if (rs->error) {
		printf("disk error: %s (%s) at %s offset %llu: %llu buffers "
		       "(%llu bytes) acknowledged and in the index; %llu "
		       "buffers did not reach the disk whole (%llu bytes "
		       "missing, marked in the index); %llu buffers dequeued "
		       "after it were not written (%llu bytes)\n",
		       disk_hint(rs->error), strerror(rs->error),
		       rs->index_error ? "index" : "data",
		       (unsigned long long)rs->error_offset,
		       (unsigned long long)rs->acknowledged,
		       (unsigned long long)rs->acknowledged_bytes,
		       (unsigned long long)rs->failed,
		       (unsigned long long)rs->failed_bytes,
		       (unsigned long long)st->unwritten_buffers,
		       (unsigned long long)st->unwritten_bytes);
	}
	if (r->finish_error && rs->inflight)
		printf("not finished: %u buffers were still being written "
		       "(%s); they are not in the index\n", rs->inflight,
		       disk_hint(-r->finish_error));
	if (ds->drops)
		printf("capture: %llu drops, %llu bytes lost: the source found "
		       "no free buffer (buffers wait for the disk: it writes "
		       "slower than the source fills; the index marks each "
		       "gap)\n", (unsigned long long)ds->drops,
		       (unsigned long long)ds->bytes_dropped);
	else
		printf("capture: no drops\n");
	printf("latency capture to release: p50 %.3f ms, p99 %.3f ms, "
	       "max %.3f ms (%llu buffers)\n",
	       (double)fpgacap_recording_latency(r->rec, 50) / 1e6,
	       (double)fpgacap_recording_latency(r->rec, 99) / 1e6,
	       (double)st->latency_max / 1e6,
	       (unsigned long long)st->latency_samples);
	printf("cpu: user %.3f s, system %.3f s\n", (double)r->cpu_user / 1e9,
	       (double)r->cpu_sys / 1e9);
	if (r->error && !rs->error)
		printf("error: %s\n", fpgacap_strerror(r->error));
}

static int report(struct run *r)
{
	struct fpgacap_recorder_stats rs;
	struct fpgacap_recording_stats st;
	struct fpgacap_stats ds;
	double secs = (double)(r->end_ns - r->start_ns) / 1e9;
	bool ok = run_ok(r);

	stats_now(r, &rs, &st);
	memset(&ds, 0, sizeof(ds));
	fpgacap_get_stats(r->dev, &ds);
	if (r->o->json) {
		struct cli_json j;

		cli_json_init(&j, stdout);
		cli_json_open(&j, NULL, '{');
		json_start(r, &j);
		if (r->ivf)
			fclose(r->ivf);
		r->ivf = NULL;
		cli_json_raw(&j, "intervals", r->intervals ? r->intervals :
			     "[]");
		json_end(r, &j, &rs, &st, &ds, secs);
		cli_json_close(&j, '}');
	} else {
		text_end(r, &rs, &st, &ds, secs);
		printf("verdict: %s\n", ok ? "OK" : "FAILED");
	}
	fflush(stdout);
	return ok ? 0 : 1;
}

/* The data file or device: O_DIRECT, and a block device is never
 * truncated. 0 or -errno, with the reason printed. */
static int open_data(struct run *r)
{
	struct rec_opts *o = r->o;
	struct stat sb;
	int flags = O_WRONLY | O_CLOEXEC | O_DIRECT;

	if (!stat(o->path, &sb) && S_ISBLK(sb.st_mode)) {
		r->blockdev = true;
		if (!o->index) {
			fprintf(stderr, "fpgacap-record: %s is a block device: "
				"give the index a place with --index FILE\n",
				o->path);
			return -EINVAL;
		}
	} else {
		flags |= O_CREAT | O_TRUNC;
	}
	r->fd = open(o->path, flags, 0644);
	if (r->fd < 0 && errno == EINVAL) {
		fprintf(stderr, "fpgacap-record: %s: this file system does not "
			"take O_DIRECT (tmpfs before Linux 6.6): record onto a "
			"disk\n", o->path);
		return -EINVAL;
	}
	if (r->fd < 0) {
		int err = -errno;

		fprintf(stderr, "fpgacap-record: %s: %s\n", o->path,
			strerror(errno));
		return err;
	}
	if (o->index)
		snprintf(r->index_path, sizeof(r->index_path), "%s", o->index);
	else
		snprintf(r->index_path, sizeof(r->index_path), "%s.idx",
			 o->path);
	r->ixfd = open(r->index_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		       0644);
	if (r->ixfd < 0) {
		int err = -errno;

		fprintf(stderr, "fpgacap-record: index %s: %s\n",
			r->index_path, strerror(errno));
		return err;
	}
	return 0;
}

static int setup(struct run *r)
{
	struct rec_opts *o = r->o;
	struct fpgacap_recorder_opts ro = {
		.size = sizeof(ro),
		.mode = o->mode,
		.flags = o->sync ? FPGACAP_RECORD_SYNC : 0,
		.offset = o->offset,
		.block_size = o->block_size,
	};
	struct fpgacap_recording_opts opts = {
		.size = sizeof(opts),
		.batch = o->batch,
		.max_bytes = o->bytes,
		.max_buffers = o->buffers,
		/* Short waits: -t and the interval reports stay on time. */
		.timeout_ns = 100000000,
		.record = &ro,
	};
	int ret;

	ret = cli_open_device("fpgacap-record", o->device,
			      o->cfg_flags & FPGACAP_CFG_WRITABLE ? O_RDWR : 0,
			      &r->dev, &r->info, r->device, sizeof(r->device));
	if (ret)
		return ret;
	ret = fpgacap_configure(r->dev, o->count, o->size, o->cfg_flags,
				o->rate);
	if (ret) {
		fprintf(stderr, "fpgacap-record: %s: %s%s\n", r->device,
			fpgacap_strerror(ret), setup_hint(ret));
		return ret;
	}
	/* Only now, with the device ready, touch the destination. */
	ret = open_data(r);
	if (ret)
		return ret;
	ro.fd = r->fd;
	ro.index_fd = r->ixfd;
	ret = fpgacap_recording_create(r->dev, &opts, &r->rec);
	if (ret == -EOPNOTSUPP || ret == -EFAULT) {
		fprintf(stderr, "fpgacap-record: --mode fixed: this kernel does "
			"not register the pool with io_uring (%s)%s\n",
			fpgacap_strerror(ret), o->cfg_flags &
			FPGACAP_CFG_WRITABLE ? "; Linux 6.1 never does" :
			"; try --writable (Linux 6.12)");
		return ret;
	}
	if (ret == -EINVAL) {
		fprintf(stderr, "fpgacap-record: %s: the offset is no multiple "
			"of the block size, or the block size does not suit "
			"(at most the page size)\n", o->path);
		return ret;
	}
	if (!ret)
		ret = fpgacap_start(r->dev);
	if (ret)
		fprintf(stderr, "fpgacap-record: start: %s\n",
			fpgacap_strerror(ret));
	return ret;
}

static int record(struct rec_opts *o)
{
	struct run r = { .o = o, .fd = -1, .ixfd = -1 };
	struct fpgacap_recorder_stats rs = { .size = sizeof(rs) };
	uint64_t u0, s0, u1, s1;
	int ret;

	if (setup(&r)) {
		fpgacap_recording_destroy(r.rec);
		fpgacap_close(r.dev);
		if (r.fd >= 0)
			close(r.fd);
		if (r.ixfd >= 0)
			close(r.ixfd);
		return 1;
	}
	fpgacap_recorder_get_stats(fpgacap_recording_recorder(r.rec), &rs);
	if (!o->json)
		printf("fpgacap-record: %s (%s source %s) -> %s, index %s, %u x "
		       "%llu KiB buffers, mode %s\n", r.device,
		       source_name(r.info.source),
		       r.info.source_name, o->path, r.index_path,
		       fpgacap_layout(r.dev)->count,
		       (unsigned long long)(fpgacap_layout(r.dev)->buffer_size >>
					    10), fpgacap_record_mode_name(rs.mode));
	if (o->json && o->interval_ns) {
		r.ivf = open_memstream(&r.intervals, &r.intervals_len);
		if (r.ivf) {
			cli_json_init(&r.ivj, r.ivf);
			cli_json_open(&r.ivj, NULL, '[');
		}
	}
	cli_meter_init(&r.meter, o->quiet || o->json, o->interval_ns);
	cli_cpu_ns(&u0, &s0);
	r.start_ns = fc_now_ns();
	r.stopped_by = "the end of the stream";
	for (;;) {
		if (cli_stop) {
			r.stopped_by = cli_signame(cli_stop);
			break;
		}
		ret = fpgacap_recording_step(r.rec);
		if (ret == 1) {
			if (o->bytes || o->buffers)
				r.stopped_by = "its limit (-b/-k)";
			break;
		}
		if (ret < 0 && ret != -EINTR) {
			r.error = ret;
			r.stopped_by = "an error";
			break;
		}
		stats_now(&r, &rs, &(struct fpgacap_recording_stats){ 0 });
		cli_meter_progress(&r.meter, rs.acknowledged_bytes,
				   fpgacap_record_mode_name(rs.mode));
		interval_report(&r);
		if (o->duration_ns && fc_now_ns() - r.start_ns >= o->duration_ns) {
			r.stopped_by = "its time (-t)";
			break;
		}
	}
	/* The capture stops; the writes issued land, then the index's END.
	 * On a signal only 10 s (a second signal: not at all). */
	fpgacap_stop(r.dev);
	ret = fpgacap_recording_finish(r.rec, cli_stop ? 10000 : 120000);
	if (ret == -ETIMEDOUT || ret == -EINTR)
		r.finish_error = ret;
	else if (ret && !r.error)
		r.error = ret;
	cli_cpu_ns(&u1, &s1);
	r.end_ns = fc_now_ns();
	r.cpu_user = u1 - u0;
	r.cpu_sys = s1 - s0;
	cli_meter_done(&r.meter);
	if (o->json && r.ivf)
		cli_json_close(&r.ivj, ']');
	ret = report(&r);
	fpgacap_recording_destroy(r.rec);
	fpgacap_close(r.dev);
	close(r.fd);
	close(r.ixfd);
	free(r.intervals);
	return ret;
}

/* ---- checking ---- */

static void check_json(const struct rec_opts *o, const char *index,
		       const struct fpgacap_index_header *h,
		       const struct fpgacap_record_check_stats *st,
		       double secs, const char *stopped_by)
{
	struct cli_json j;

	cli_json_init(&j, stdout);
	cli_json_open(&j, NULL, '{');
	cli_json_open(&j, "start", '{');
	cli_json_str(&j, "tool", "fpgacap-record");
	cli_json_str(&j, "path", o->path);
	cli_json_str(&j, "index", index);
	cli_json_str(&j, "requested", check_mode_name(o->vmode));
	cli_json_u64(&j, "block_size", h->block_size);
	cli_json_u64(&j, "data_offset", h->data_offset);
	cli_json_u64(&j, "buffer_size", h->buffer_size);
	cli_json_u64(&j, "slot_size", h->slot_size);
	cli_json_u64(&j, "slot_header", h->slot_header);
	cli_json_str(&j, "source", source_name(h->source));
	cli_json_bool(&j, "sync", h->flags & FPGACAP_INDEX_SYNC);
	cli_json_u64(&j, "start_realtime_ns", h->start_realtime_ns);
	cli_json_close(&j, '}');
	cli_json_open(&j, "end", '{');
	cli_json_str(&j, "verify", check_mode_name(st->mode));
	cli_json_u64(&j, "entries", st->entries);
	cli_json_u64(&j, "bytes", st->bytes);
	cli_json_u64(&j, "payload_bytes", st->payload_bytes);
	cli_json_u64(&j, "records", st->records);
	cli_json_u64(&j, "first_sequence", st->first_sequence);
	cli_json_u64(&j, "next_sequence", st->next_sequence);
	cli_json_u64(&j, "stream_start", st->stream_start);
	cli_json_u64(&j, "stream_end", st->stream_end);
	cli_json_u64(&j, "lost_events", st->lost_events);
	cli_json_u64(&j, "lost_bytes", st->lost_bytes);
	cli_json_u64(&j, "failed_writes", st->failed_writes);
	cli_json_u64(&j, "failed_bytes", st->failed_bytes);
	cli_json_u64(&j, "sequence_errors", st->sequence_errors);
	cli_json_u64(&j, "offset_errors", st->offset_errors);
	cli_json_u64(&j, "index_errors", st->index_errors);
	cli_json_u64(&j, "crc_errors", st->crc_errors);
	cli_json_u64(&j, "data_errors", st->data_errors);
	cli_json_u64(&j, "padding_errors", st->padding_errors);
	cli_json_u64(&j, "record_errors", st->record_errors);
	cli_json_u64(&j, "short_data", st->short_data);
	if (st->error) {
		cli_json_u64(&j, "first_error_entry", st->first_error_entry);
		cli_json_u64(&j, "first_error_at", st->first_error_at);
	}
	cli_json_bool(&j, "torn", st->torn);
	cli_json_bool(&j, "ended", st->ended);
	cli_json_i64(&j, "end_error", st->end_error);
	if (st->end_error)
		cli_json_str(&j, "end_reason", strerror(st->end_error));
	cli_json_bool(&j, "empty", st->empty);
	cli_json_dbl(&j, "seconds", secs);
	cli_json_str(&j, "stopped_by", stopped_by);
	cli_json_bool(&j, "ok", !st->error && !cli_stop);
	cli_json_close(&j, '}');
	cli_json_close(&j, '}');
}

static void check_text(const struct rec_opts *o, const char *index,
		       const struct fpgacap_record_check_stats *st,
		       double secs, const char *stopped_by)
{
	printf("checked %s against %s (%s): %llu buffers, %.1f MB of "
	       "payload%s in %.2f s; stopped by %s\n", o->path, index,
	       check_mode_name(st->mode), (unsigned long long)st->entries,
	       (double)st->payload_bytes / 1e6,
	       st->records ? " in records" : "", secs, stopped_by);
	if (st->entries)
		printf("stream: sequence %llu to %llu, bytes %llu to %llu\n",
		       (unsigned long long)st->first_sequence,
		       (unsigned long long)st->next_sequence,
		       (unsigned long long)st->stream_start,
		       (unsigned long long)st->stream_end);
	printf("losses: capture lost %llu bytes in %llu gaps; the disk "
	       "refused %llu bytes of %llu buffers\n",
	       (unsigned long long)st->lost_bytes,
	       (unsigned long long)st->lost_events,
	       (unsigned long long)st->failed_bytes,
	       (unsigned long long)st->failed_writes);
	if (st->ended && st->end_error)
		printf("end: the recording stopped on an error: %s\n",
		       strerror(st->end_error));
	else if (st->ended)
		printf("end: the recorder finished cleanly\n");
	else
		printf("end: no END entry: the recorder did not finish (a crash "
		       "or power loss); the recording ends at its last entry%s\n",
		       st->torn ? ", after which the index holds a torn one" :
		       "");
	if (st->error)
		printf("errors: %llu sequence, %llu offset, %llu index, %llu "
		       "CRC, %llu data bytes, %llu padding bytes, %llu record "
		       "headers, %llu short%s; the first in entry %llu, at byte "
		       "%llu\n",
		       (unsigned long long)st->sequence_errors,
		       (unsigned long long)st->offset_errors,
		       (unsigned long long)st->index_errors,
		       (unsigned long long)st->crc_errors,
		       (unsigned long long)st->data_errors,
		       (unsigned long long)st->padding_errors,
		       (unsigned long long)st->record_errors,
		       (unsigned long long)st->short_data,
		       st->empty ? "; nothing to check" : "",
		       (unsigned long long)st->first_error_entry,
		       (unsigned long long)st->first_error_at);
	printf("verdict: %s\n", !st->error && !cli_stop ? "OK" : "FAILED");
}

static int check(struct rec_opts *o)
{
	struct fpgacap_record_check_stats st = { .size = sizeof(st) };
	struct fpgacap_index_header h;
	struct fpgacap_record_reader *rd;
	struct cli_meter meter;
	const char *stopped_by = "the end of the index";
	char index[4096];
	uint64_t start;
	struct stat sb;
	int fd, ixfd, ret;

	if (!o->index && !stat(o->path, &sb) && S_ISBLK(sb.st_mode)) {
		fprintf(stderr, "fpgacap-record: %s is a block device: say "
			"where its index is with --index FILE\n", o->path);
		return 2;
	}
	snprintf(index, sizeof(index), o->index ? "%s" : "%s.idx",
		 o->index ? o->index : o->path);
	/* O_DIRECT: read what the disk holds, not what a cache remembers. */
	fd = open(o->path, O_RDONLY | O_CLOEXEC | O_DIRECT);
	if (fd < 0 && errno == EINVAL)
		fd = open(o->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "fpgacap-record: %s: %s\n", o->path,
			strerror(errno));
		return 1;
	}
	ixfd = open(index, O_RDONLY | O_CLOEXEC);
	if (ixfd < 0) {
		fprintf(stderr, "fpgacap-record: index %s: %s\n", index,
			strerror(errno));
		close(fd);
		return 1;
	}
	ret = fpgacap_record_reader_open(fd, ixfd, o->vmode, &rd);
	if (ret) {
		fprintf(stderr, "fpgacap-record: index %s: %s\n", index,
			ret == -EPROTO ? "not an fpgacap index, or a version "
			"this program does not read" : ret == -EBADMSG ?
			"its header is corrupted (CRC)" : ret == -EINVAL ?
			"the recording holds no records: check it as pattern "
			"or index" : fpgacap_strerror(ret));
		close(fd);
		close(ixfd);
		return 1;
	}
	fpgacap_record_reader_header(rd, &h);
	cli_meter_init(&meter, o->quiet || o->json, o->interval_ns);
	start = fc_now_ns();
	for (;;) {
		double from, to;
		uint64_t delta;

		if (cli_stop) {
			stopped_by = cli_signame(cli_stop);
			break;
		}
		ret = fpgacap_record_reader_step(rd, 64);
		if (ret <= 0)
			break;
		fpgacap_record_reader_get_stats(rd, &st);
		cli_meter_progress(&meter, st.bytes, "checked");
		if (cli_meter_due(&meter, st.bytes, &from, &to, &delta) &&
		    !o->json)
			printf("[%6.1f-%6.1f s] %10.1f MB checked, %8.1f MB/s\n",
			       from, to, (double)delta / 1e6,
			       (double)delta / 1e6 / (to - from));
	}
	cli_meter_done(&meter);
	if (ret < 0) {
		fprintf(stderr, "fpgacap-record: reading %s: %s\n", o->path,
			fpgacap_strerror(ret));
		stopped_by = "a read error";
	}
	fpgacap_record_reader_get_stats(rd, &st);
	if (o->json)
		check_json(o, index, &h, &st, (double)(fc_now_ns() - start) / 1e9,
			   stopped_by);
	else
		check_text(o, index, &st, (double)(fc_now_ns() - start) / 1e9,
			   stopped_by);
	fpgacap_record_reader_close(rd);
	close(fd);
	close(ixfd);
	return st.error || ret < 0 || cli_stop ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct rec_opts o = { 0 };

	parse_args(argc, argv, &o);
	cli_signals();
	cli_line_buffered();
	return o.check ? check(&o) : record(&o);
}
