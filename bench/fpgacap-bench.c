// SPDX-License-Identifier: GPL-2.0
/*
 * fpgacap-bench: what a user runs on the board against a sink on a PC.
 *
 * Streams the capture device to TCP in each mode (copy, MSG_ZEROCOPY,
 * io_uring SEND_ZC) and reports,
 * side by side from one run: payload rate, share of the GbE TCP ceiling,
 * CPU per GB (this process, and the whole system including softirq, from
 * /proc/stat), completions the kernel copied anyway, drops, and
 * capture-to-release latency. Micro-benchmarks: buffer hand-off cost per
 * batch size, pool setup time and segments, what copying the same bytes
 * costs this CPU.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "libfpgacap.h"
#include "cli.h"

/* GbE TCP goodput at MTU 1500 with timestamps: 1448/1538 of 125 MB/s. */
#define GBE_CEILING_MBPS 117.7

enum bench_mode {
	MODE_CAPTURE,		/* dequeue/return only: the source's rate */
	MODE_COPY,		/* page pool, send() copies */
	MODE_ZEROCOPY,		/* page pool, MSG_ZEROCOPY */
	MODE_URING,		/* page pool, io_uring SEND_ZC */
	NR_MODES,
};

static const char *const mode_names[NR_MODES] = {
	"capture", "copy", "zerocopy", "uring",
};

struct bench_opts {
	const char *device;
	const char *dest;
	uint32_t count;
	uint64_t sizes[16];
	unsigned int nsizes;
	uint64_t duration_ns, bytes, rate;
	bool modes[NR_MODES];
	bool json, quiet, handoff, setup, memcpy_bench;
};

/* CPU time from /proc/stat, in clock ticks. */
struct sys_cpu {
	unsigned long long user, nice, system, idle, iowait, irq, softirq;
};

static void read_sys_cpu(struct sys_cpu *c)
{
	FILE *f = fopen("/proc/stat", "r");

	memset(c, 0, sizeof(*c));
	if (!f)
		return;
	if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu", &c->user,
		   &c->nice, &c->system, &c->idle, &c->iowait, &c->irq,
		   &c->softirq) != 7)
		memset(c, 0, sizeof(*c));
	fclose(f);
}

struct result {
	enum bench_mode mode;
	uint64_t size;
	uint32_t count;
	int error;			/* negative errno if the run failed */
	double seconds, mbps;
	uint64_t bytes, buffers;
	double proc_user, proc_sys;	/* seconds */
	double sys_busy, sys_softirq;	/* seconds, whole system */
	uint64_t completions, copied, drops;
	bool copied_known;
	uint64_t lat_p50, lat_p99;
	const char *mode_used;
};

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void latency(struct fpgacap_pump *pump, struct result *r)
{
	static uint64_t lat[4096];
	unsigned int n = fpgacap_pump_latencies(pump, lat, 4096);

	if (!n)
		return;
	qsort(lat, n, sizeof(lat[0]), cmp_u64);
	r->lat_p50 = lat[n / 2];
	r->lat_p99 = lat[(n * 99) / 100];
}

/* Capture only: how fast buffers come and go without any network. */
static int run_capture(struct fpgacap *dev, const struct bench_opts *o,
		       struct result *r)
{
	struct fpgacap_buffer b[64];
	uint32_t idx[64];
	uint64_t start = cli_now_ns();
	int n, i;

	while (!interrupted) {
		if ((o->duration_ns && cli_now_ns() - start >= o->duration_ns) ||
		    (o->bytes && r->bytes >= o->bytes))
			break;
		n = fpgacap_dequeue(dev, b, 64, 1000000000LL);
		if (n < 0)
			return n;
		for (i = 0; i < n; i++) {
			idx[i] = b[i].index;
			r->bytes += b[i].bytes_used;
		}
		r->buffers += n;
		n = fpgacap_return(dev, idx, n);
		if (n)
			return n;
	}
	return 0;
}

static int run_stream(struct fpgacap *dev, const struct bench_opts *o,
		      enum bench_mode mode, struct result *r)
{
	struct fpgacap_pump_opts po = { 0 };
	struct fpgacap_sender_stats ss;
	struct fpgacap_pump_stats ps;
	struct fpgacap_pump *pump;
	struct cli_progress prog;
	uint64_t start;
	int fd, ret;

	fd = cli_connect(o->dest);
	if (fd < 0)
		return fd;
	po.send.fd = fd;
	po.send.mode = mode == MODE_ZEROCOPY ?
		       FPGACAP_SEND_ZEROCOPY : mode == MODE_URING ?
		       FPGACAP_SEND_URING : FPGACAP_SEND_COPY;
	po.max_bytes = o->bytes;
	ret = fpgacap_pump_create(dev, &po, &pump);
	if (ret) {
		close(fd);
		return ret;
	}
	ret = fpgacap_start(dev);
	cli_progress_init(&prog, o->quiet || o->json);
	start = cli_now_ns();
	while (!ret && !interrupted) {
		ret = fpgacap_pump_step(pump);
		fpgacap_pump_get_stats(pump, &ps);
		cli_progress(&prog, ps.payload_bytes, mode_names[mode]);
		if (o->duration_ns && cli_now_ns() - start >= o->duration_ns)
			break;
	}
	cli_progress_done(&prog);
	if (ret == 1)
		ret = 0;
	if (fpgacap_pump_finish(pump, 30000) && !ret)
		ret = -ETIMEDOUT;
	fpgacap_sender_get_stats(fpgacap_pump_sender(pump), &ss);
	fpgacap_pump_get_stats(pump, &ps);
	r->bytes = ps.payload_bytes;
	r->buffers = ps.buffers;
	r->completions = ss.completions;
	r->copied = ss.copied;
	r->copied_known = ss.copied_known;
	r->mode_used = fpgacap_send_mode_name(ss.mode);
	latency(pump, r);
	fpgacap_pump_destroy(pump);
	close(fd);
	return ret;
}

/* One mode at one geometry, with its CPU accounting. */
static void run_one(const struct bench_opts *o, enum bench_mode mode,
		    uint64_t size, struct result *r)
{
	uint32_t flags = 0;
	uint64_t u0, s0, u1, s1, t0, t1;
	struct sys_cpu c0, c1;
	struct fpgacap_stats st;
	struct fpgacap *dev;
	long tck = sysconf(_SC_CLK_TCK);
	int ret;

	memset(r, 0, sizeof(*r));
	r->mode = mode;
	r->size = size;
	r->count = o->count;
	r->mode_used = mode_names[mode];
	ret = fpgacap_open(o->device, 0, &dev);
	if (ret) {
		r->error = ret;
		return;
	}
	ret = fpgacap_configure(dev, o->count, size, flags, o->rate);
	if (ret) {
		r->error = ret;
		fpgacap_close(dev);
		return;
	}
	cli_cpu_ns(&u0, &s0);
	read_sys_cpu(&c0);
	t0 = cli_now_ns();
	if (mode == MODE_CAPTURE) {
		ret = fpgacap_start(dev);
		if (!ret)
			ret = run_capture(dev, o, r);
	} else {
		ret = run_stream(dev, o, mode, r);
	}
	t1 = cli_now_ns();
	read_sys_cpu(&c1);
	cli_cpu_ns(&u1, &s1);
	fpgacap_stop(dev);
	if (!fpgacap_get_stats(dev, &st))
		r->drops = st.drops;
	fpgacap_close(dev);

	r->error = ret;
	r->seconds = (t1 - t0) / 1e9;
	r->mbps = r->seconds > 0 ? r->bytes / 1e6 / r->seconds : 0;
	r->proc_user = (u1 - u0) / 1e9;
	r->proc_sys = (s1 - s0) / 1e9;
	r->sys_busy = (double)((c1.user + c1.nice + c1.system + c1.irq +
				c1.softirq) - (c0.user + c0.nice + c0.system +
				c0.irq + c0.softirq)) / tck;
	r->sys_softirq = (double)(c1.softirq - c0.softirq) / tck;
}

static double per_gb(double seconds, uint64_t bytes)
{
	return bytes ? seconds / (bytes / 1e9) : 0;
}

static void print_result(const struct bench_opts *o, const struct result *r,
			 bool first)
{
	double gb = r->bytes / 1e9;

	if (o->json) {
		printf("%s{\"mode\":\"%s\",\"used\":\"%s\",\"buffer_size\":%llu,"
		       "\"count\":%u,\"error\":%d,\"error_text\":\"%s\","
		       "\"seconds\":%.6f,\"bytes\":%llu,\"buffers\":%llu,"
		       "\"MBps\":%.3f,\"Mbps\":%.2f,\"gbe_pct\":%.2f,"
		       "\"proc_user_s\":%.6f,\"proc_sys_s\":%.6f,"
		       "\"sys_busy_s\":%.6f,\"sys_softirq_s\":%.6f,"
		       "\"proc_cpu_s_per_GB\":%.4f,\"sys_cpu_s_per_GB\":%.4f,"
		       "\"completions\":%llu,\"copied\":%llu,"
		       "\"copied_known\":%s,\"drops\":%llu,"
		       "\"latency_p50_ns\":%llu,\"latency_p99_ns\":%llu}",
		       first ? "" : ",\n", mode_names[r->mode], r->mode_used,
		       (unsigned long long)r->size, r->count, r->error,
		       r->error ? fpgacap_strerror(r->error) : "",
		       r->seconds, (unsigned long long)r->bytes,
		       (unsigned long long)r->buffers, r->mbps, r->mbps * 8,
		       100 * r->mbps / GBE_CEILING_MBPS, r->proc_user,
		       r->proc_sys, r->sys_busy, r->sys_softirq,
		       per_gb(r->proc_user + r->proc_sys, r->bytes),
		       per_gb(r->sys_busy, r->bytes),
		       (unsigned long long)r->completions,
		       (unsigned long long)r->copied,
		       r->copied_known ? "true" : "false",
		       (unsigned long long)r->drops,
		       (unsigned long long)r->lat_p50,
		       (unsigned long long)r->lat_p99);
		return;
	}
	if (first)
		printf("%-18s %8s %9s %8s %6s %10s %10s %9s %7s %9s\n", "mode",
		       "buffer", "MB/s", "Mbit/s", "GbE%", "proc s/GB",
		       "sys s/GB", "zc/copied", "drops", "p99 ms");
	if (r->error) {
		printf("%-18s %7lluK  %s\n", mode_names[r->mode],
		       (unsigned long long)(r->size >> 10),
		       fpgacap_strerror(r->error));
		return;
	}
	printf("%-18s %7lluK %9.2f %8.1f %5.1f%% %10.3f %10.3f %4llu/%-4llu %7llu %9.3f\n",
	       mode_names[r->mode], (unsigned long long)(r->size >> 10),
	       r->mbps, r->mbps * 8, 100 * r->mbps / GBE_CEILING_MBPS,
	       gb ? (r->proc_user + r->proc_sys) / gb : 0,
	       gb ? r->sys_busy / gb : 0,
	       (unsigned long long)(r->completions - r->copied),
	       (unsigned long long)r->copied, (unsigned long long)r->drops,
	       r->lat_p99 / 1e6);
}

/*
 * Hand-off: process CPU per buffer for DEQUEUE + RETURN at batch sizes.
 * Each round fills the whole ring, stops the source, then times draining
 * it in batches of exactly @batch, so the source's speed does not decide
 * how full the batches are.
 */
static void bench_handoff(const struct bench_opts *o, bool *first)
{
	static const unsigned int batches[] = { 1, 2, 4, 8, 16, 32, 64 };
	const uint32_t ring = 256;
	unsigned int i;

	for (i = 0; i < sizeof(batches) / sizeof(batches[0]); i++) {
		struct fpgacap_buffer b[64];
		uint32_t idx[64];
		unsigned int batch = batches[i];
		uint64_t cpu = 0, done = 0, calls = 0;
		struct fpgacap *dev;
		int n, k;

		if (fpgacap_open(o->device, 0, &dev))
			return;
		if (fpgacap_configure(dev, ring, 4096, 0, 0)) {
			fpgacap_close(dev);
			return;
		}
		while (done < 10240) {
			struct fpgacap_stats st;
			uint64_t u0, s0, u1, s1;

			if (fpgacap_start(dev))
				break;
			/*
			 * Spin, not sleep: under -icount the Zynq guest's
			 * timer wake-ups can lag by seconds. Not measured.
			 */
			do
				sched_yield();
			while (!fpgacap_get_stats(dev, &st) && st.done < ring);
			fpgacap_stop(dev);
			cli_cpu_ns(&u0, &s0);
			while ((n = fpgacap_dequeue(dev, b, batch, 0)) > 0) {
				for (k = 0; k < n; k++)
					idx[k] = b[k].index;
				if (fpgacap_return(dev, idx, n))
					break;
				done += n;
				calls++;
			}
			cli_cpu_ns(&u1, &s1);
			cpu += u1 - u0 + s1 - s0;
		}
		fpgacap_close(dev);
		if (o->json)
			printf("%s{\"handoff_batch\":%u,\"buffers\":%llu,"
			       "\"dequeue_return_pairs\":%llu,"
			       "\"ns_per_buffer\":%.1f}",
			       *first ? "" : ",\n", batch,
			       (unsigned long long)done,
			       (unsigned long long)calls,
			       done ? cpu / (double)done : 0);
		else
			printf("hand-off batch %2u: %8.1f ns CPU per buffer "
			       "(%llu buffers)\n", batch,
			       done ? cpu / (double)done : 0,
			       (unsigned long long)done);
		*first = false;
	}
}

/* Pool setup: configure + mmap time and segments, with and without
 * high-order pages available. */
static void bench_setup(const struct bench_opts *o, bool *first)
{
	static const uint64_t mib[] = { 16, 64, 128, 256 };
	static const char *const fail[] = { "0", "1" };
	unsigned int i, f;

	for (f = 0; f < 2; f++) {
		FILE *p = fopen("/sys/module/fpgacap/parameters/alloc_fail_order",
				"w");

		if (p) {
			fputs(fail[f], p);
			fclose(p);
		} else if (f) {
			break;
		}
		for (i = 0; i < sizeof(mib) / sizeof(mib[0]); i++) {
			const struct fpgacap_config *c;
			struct fpgacap *dev;
			uint64_t t0, t1;
			int ret;

			if (fpgacap_open(o->device, 0, &dev))
				return;
			t0 = cli_now_ns();
			ret = fpgacap_configure(dev, (uint32_t)mib[i], 1 << 20,
						0, 0);
			t1 = cli_now_ns();
			c = fpgacap_layout(dev);
			if (o->json)
				printf("%s{\"setup_MiB\":%llu,\"order0_only\":%s,"
				       "\"error\":%d,\"ms\":%.3f,\"chunks\":%u,"
				       "\"max_segments\":%u}", *first ? "" : ",\n",
				       (unsigned long long)mib[i],
				       f ? "true" : "false", ret, (t1 - t0) / 1e6,
				       c->chunks, c->max_segments);
			else
				printf("setup %3llu MiB%s: %s %8.2f ms, %u chunks, "
				       "%u segments per 1 MiB buffer at most\n",
				       (unsigned long long)mib[i],
				       f ? " (order 0 only)" : "",
				       ret ? fpgacap_strerror(ret) : "",
				       (t1 - t0) / 1e6, c->chunks,
				       c->max_segments);
			*first = false;
			fpgacap_configure(dev, 0, 0, 0, 0);
			fpgacap_close(dev);
		}
	}
	{
		FILE *p = fopen("/sys/module/fpgacap/parameters/alloc_fail_order",
				"w");

		if (p) {
			fputs("0", p);
			fclose(p);
		}
	}
}

/*
 * What copying costs here: memcpy from a mapped pool buffer (what the copy
 * path's send() does in the kernel, roughly) into ordinary memory.
 */
static void bench_memcpy(const struct bench_opts *o, bool *first)
{
	const uint64_t size = 1 << 20, total = 256ULL << 20;
	struct fpgacap_buffer b;
	uint64_t u0, s0, u1, s1, done;
	struct fpgacap *dev;
	void *dst;

	if (fpgacap_open(o->device, 0, &dev))
		return;
	dst = malloc(size);
	if (!dst || fpgacap_configure(dev, 4, size, 0, 0) ||
	    fpgacap_start(dev) || fpgacap_dequeue(dev, &b, 1, 1000000000LL) != 1) {
		free(dst);
		fpgacap_close(dev);
		return;
	}
	memset(dst, 0, size);
	cli_cpu_ns(&u0, &s0);
	for (done = 0; done < total; done += size)
		memcpy(dst, fpgacap_buffer_data(dev, b.index), size);
	cli_cpu_ns(&u1, &s1);
	fpgacap_stop(dev);
	fpgacap_close(dev);
	if (o->json)
		printf("%s{\"memcpy_bytes\":%llu,\"memcpy_cpu_s_per_GB\":%.4f,"
		       "\"memcpy_MBps\":%.1f,\"check\":%u}", *first ? "" : ",\n",
		       (unsigned long long)total,
		       (u1 - u0 + s1 - s0) / 1e9 / (total / 1e9),
		       total / 1e6 / ((u1 - u0 + s1 - s0) / 1e9),
		       ((unsigned char *)dst)[size - 1]);
	else
		printf("memcpy: %.3f CPU s per GB (%.0f MB/s)\n",
		       (u1 - u0 + s1 - s0) / 1e9 / (total / 1e9),
		       total / 1e6 / ((u1 - u0 + s1 - s0) / 1e9));
	*first = false;
	free(dst);
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: fpgacap-bench [options] HOST:PORT\n"
"Measure streaming from an fpgacap device to a TCP sink (fpgacap-sink, or\n"
"any sink that discards), mode against mode in one run.\n"
"\n"
"  -d, --device PATH     capture device (default /dev/fpgacap0)\n"
"  -m, --mode MODE       capture | copy | zerocopy | uring\n"
"                        (repeatable; default zerocopy)\n"
"      --compare         every mode, side by side, with ratios\n"
"  -c, --count N         buffers in the pool (default 16)\n"
"  -s, --size BYTES      buffer size; repeat or use --sweep (default 256K)\n"
"      --sweep LIST      buffer sizes, e.g. 16K,64K,256K,1M\n"
"  -t, --duration SEC    per run (default 5)\n"
"  -b, --bytes BYTES     per run, instead of a duration\n"
"      --rate BYTES      pattern source rate (default 0: as fast as it can)\n"
"      --handoff         dequeue+return cost per buffer at batch 1..64\n"
"      --setup           pool setup time and segments, 16..256 MiB\n"
"      --memcpy          what copying the same bytes costs this CPU\n"
"  -j, --json            one JSON document on stdout\n"
"  -q, --quiet           no progress line\n"
"  -h, --help            this text\n"
"Figures: MB/s of payload, %% of the GbE TCP ceiling (117.7 MB/s), CPU\n"
"seconds per GB for this process and for the whole system (/proc/stat,\n"
"softirq included), zero-copy completions not copied / copied, drops,\n"
"capture-to-release latency (99th percentile).\n");
}

enum { OPT_COMPARE = 256, OPT_SWEEP, OPT_RATE, OPT_HANDOFF, OPT_SETUP,
       OPT_MEMCPY };

static int add_size(struct bench_opts *o, const char *s)
{
	uint64_t v;

	if (cli_parse_size(s, &v) || !v || o->nsizes == 16)
		return -EINVAL;
	o->sizes[o->nsizes++] = v;
	return 0;
}

static int parse_args(int argc, char **argv, struct bench_opts *o)
{
	static const struct option longopts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "mode", required_argument, NULL, 'm' },
		{ "compare", no_argument, NULL, OPT_COMPARE },
		{ "count", required_argument, NULL, 'c' },
		{ "size", required_argument, NULL, 's' },
		{ "sweep", required_argument, NULL, OPT_SWEEP },
		{ "duration", required_argument, NULL, 't' },
		{ "bytes", required_argument, NULL, 'b' },
		{ "rate", required_argument, NULL, OPT_RATE },
		{ "handoff", no_argument, NULL, OPT_HANDOFF },
		{ "setup", no_argument, NULL, OPT_SETUP },
		{ "memcpy", no_argument, NULL, OPT_MEMCPY },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool any_mode = false;
	uint64_t v;
	char *tok, *save;
	int c, m;

	o->count = 16;
	o->duration_ns = 5000000000ULL;
	while ((c = getopt_long(argc, argv, "d:m:c:s:t:b:jqh", longopts,
				NULL)) != -1) {
		switch (c) {
		case 'd': o->device = optarg; break;
		case 'm':
			for (m = 0; m < NR_MODES; m++)
				if (!strcmp(optarg, mode_names[m]))
					break;
			if (m == NR_MODES)
				goto bad;
			o->modes[m] = true;
			any_mode = true;
			break;
		case OPT_COMPARE:
			for (m = 0; m < NR_MODES; m++)
				o->modes[m] = true;
			any_mode = true;
			break;
		case 'c':
			if (cli_parse_size(optarg, &v) || !v || v > 65536)
				goto bad;
			o->count = (uint32_t)v;
			break;
		case 's': if (add_size(o, optarg)) goto bad; break;
		case OPT_SWEEP:
			for (tok = strtok_r(optarg, ",", &save); tok;
			     tok = strtok_r(NULL, ",", &save))
				if (add_size(o, tok))
					goto bad;
			break;
		case 't':
			if (cli_parse_seconds(optarg, &o->duration_ns))
				goto bad;
			break;
		case 'b':
			if (cli_parse_size(optarg, &o->bytes))
				goto bad;
			o->duration_ns = 0;
			break;
		case OPT_RATE: if (cli_parse_size(optarg, &o->rate)) goto bad; break;
		case OPT_HANDOFF: o->handoff = true; break;
		case OPT_SETUP: o->setup = true; break;
		case OPT_MEMCPY: o->memcpy_bench = true; break;
		case 'j': o->json = true; break;
		case 'q': o->quiet = true; break;
		case 'h': usage(stdout); exit(0);
		default: goto bad;
		}
	}
	if (optind < argc)
		o->dest = argv[optind++];
	if (optind != argc)
		goto bad;
	if (!any_mode && !o->handoff && !o->setup && !o->memcpy_bench)
		o->modes[MODE_ZEROCOPY] = true;
	if (!o->nsizes)
		o->sizes[o->nsizes++] = 256 << 10;
	for (m = MODE_COPY; m < NR_MODES; m++) {
		if (o->modes[m] && !o->dest) {
			fprintf(stderr, "fpgacap-bench: %s needs HOST:PORT\n",
				mode_names[m]);
			return -EINVAL;
		}
	}
	return 0;
bad:
	if (optarg)
		fprintf(stderr, "fpgacap-bench: bad argument '%s'\n", optarg);
	usage(stderr);
	return -EINVAL;
}

/* Ratios against the copy path at the same buffer size. */
static void print_ratios(const struct bench_opts *o, struct result *res,
			 unsigned int n)
{
	unsigned int i, j;

	if (o->json)
		return;
	for (i = 0; i < n; i++) {
		const struct result *copy = NULL;

		if (res[i].mode == MODE_COPY || res[i].mode == MODE_CAPTURE ||
		    res[i].error)
			continue;
		for (j = 0; j < n; j++)
			if (res[j].mode == MODE_COPY && res[j].size == res[i].size &&
			    !res[j].error)
				copy = &res[j];
		if (!copy || !copy->bytes || !res[i].bytes)
			continue;
		printf("%-18s %7lluK vs copy: %.2fx MB/s, %.2fx process CPU/GB, "
		       "%.2fx system CPU/GB\n", mode_names[res[i].mode],
		       (unsigned long long)(res[i].size >> 10),
		       res[i].mbps / copy->mbps,
		       per_gb(res[i].proc_user + res[i].proc_sys, res[i].bytes) /
		       per_gb(copy->proc_user + copy->proc_sys, copy->bytes),
		       per_gb(res[i].sys_busy, res[i].bytes) /
		       per_gb(copy->sys_busy, copy->bytes));
	}
}

int main(int argc, char **argv)
{
	static struct result res[16 * NR_MODES];
	struct bench_opts o = { 0 };
	unsigned int n = 0, s;
	bool first = true;
	int m;

	if (parse_args(argc, argv, &o))
		return 2;
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, on_signal);

	if (o.json)
		printf("{\"version\":1,\"results\":[\n");
	for (s = 0; s < o.nsizes && !interrupted; s++) {
		for (m = 0; m < NR_MODES && !interrupted; m++) {
			if (!o.modes[m])
				continue;
			run_one(&o, (enum bench_mode)m, o.sizes[s], &res[n]);
			print_result(&o, &res[n], first);
			first = false;
			n++;
		}
	}
	if (o.json)
		printf("\n],\"micro\":[\n");
	first = true;
	if (o.memcpy_bench)
		bench_memcpy(&o, &first);
	if (o.handoff)
		bench_handoff(&o, &first);
	if (o.setup)
		bench_setup(&o, &first);
	if (o.json)
		printf("\n]}\n");
	print_ratios(&o, res, n);
	return 0;
}
