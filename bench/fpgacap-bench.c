// SPDX-License-Identifier: MIT
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
 * costs this CPU. SIGINT or SIGTERM stops within a second and prints what
 * was measured; the exit status is 1 if any mode failed.
 */
#include <errno.h>
#include <getopt.h>
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
	int64_t retransmits;		/* TCP, -1 if unknown */
	bool interrupted;		/* cut short by SIGINT/SIGTERM */
	const char *mode_used;
};

/* Capture only: how fast buffers come and go without any network. */
static int run_capture(struct fpgacap *dev, const struct bench_opts *o,
		       struct result *r)
{
	struct fpgacap_buffer b[64];
	uint32_t idx[64];
	uint64_t start = fc_now_ns();
	int n, i;

	while (!cli_stop) {
		if ((o->duration_ns && fc_now_ns() - start >= o->duration_ns) ||
		    (o->bytes && r->bytes >= o->bytes))
			break;
		n = fpgacap_dequeue(dev, b, 64, 200000000LL);
		if (n == -ETIMEDOUT || n == -EINTR)
			continue;
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
	struct fpgacap_sender_opts so = { .size = sizeof(so) };
	struct fpgacap_pump_opts po = {
		.size = sizeof(po),
		.max_bytes = o->bytes,
		.timeout_ns = 200000000,
		.send = &so,
	};
	struct fpgacap_sender_stats ss = { .size = sizeof(ss) };
	struct fpgacap_pump_stats ps = { .size = sizeof(ps) };
	struct fpgacap_pump *pump;
	struct cli_meter meter;
	char err[300];
	uint64_t start;
	int fd, ret;

	fd = cli_connect(o->dest, err, sizeof(err));
	if (fd < 0) {
		fprintf(stderr, "fpgacap-bench: connect %s\n", err);
		return -ECONNREFUSED;
	}
	so.fd = fd;
	so.mode = mode == MODE_ZEROCOPY ? FPGACAP_SEND_ZEROCOPY :
		  mode == MODE_URING ? FPGACAP_SEND_URING : FPGACAP_SEND_COPY;
	ret = fpgacap_pump_create(dev, &po, &pump);
	if (ret) {
		close(fd);
		return ret;
	}
	ret = fpgacap_start(dev);
	cli_meter_init(&meter, o->quiet || o->json, 0);
	start = fc_now_ns();
	while (!ret && !cli_stop) {
		ret = fpgacap_pump_step(pump);
		if (ret == -EINTR)
			ret = 0;
		fpgacap_pump_get_stats(pump, &ps);
		cli_meter_progress(&meter, ps.payload_bytes, mode_names[mode]);
		if (o->duration_ns && fc_now_ns() - start >= o->duration_ns)
			break;
	}
	cli_meter_done(&meter);
	if (ret == 1)
		ret = 0;
	r->interrupted = cli_stop != 0;
	if (fpgacap_pump_finish(pump, cli_stop ? 300 : 30000) && !ret &&
	    !cli_stop)
		ret = -ETIMEDOUT;
	fpgacap_sender_get_stats(fpgacap_pump_sender(pump), &ss);
	fpgacap_pump_get_stats(pump, &ps);
	r->bytes = ps.payload_bytes;
	r->buffers = ps.buffers;
	r->completions = ss.completions;
	r->copied = ss.copied;
	r->copied_known = ss.copied_known;
	r->mode_used = fpgacap_send_mode_name(ss.mode);
	r->lat_p50 = fpgacap_pump_latency(pump, 50);
	r->lat_p99 = fpgacap_pump_latency(pump, 99);
	r->retransmits = cli_tcp_retrans(fd);
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
	r->retransmits = -1;
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
	t0 = fc_now_ns();
	if (mode == MODE_CAPTURE) {
		ret = fpgacap_start(dev);
		if (!ret)
			ret = run_capture(dev, o, r);
		r->interrupted = cli_stop != 0;
	} else {
		ret = run_stream(dev, o, mode, r);
	}
	t1 = fc_now_ns();
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
		       "\"latency_p50_ns\":%llu,\"latency_p99_ns\":%llu,"
		       "\"retransmits\":%lld,\"interrupted\":%s}",
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
		       (unsigned long long)r->lat_p99,
		       (long long)r->retransmits,
		       r->interrupted ? "true" : "false");
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
 * how full the batches are. A source that does not fill the ring within
 * HANDOFF_FILL_S (or a stop) ends it with an error, never a hang.
 */
#define HANDOFF_FILL_S 20

/* Wait, spinning, until the source filled all @ring buffers. */
static int wait_ring_full(struct fpgacap *dev, uint32_t ring)
{
	uint64_t end = fc_now_ns() + HANDOFF_FILL_S * 1000000000ULL;
	struct fpgacap_stats st;
	int ret;

	/*
	 * Spin, not sleep: under -icount the Zynq guest's timer wake-ups can
	 * lag by seconds. Not measured.
	 */
	for (;;) {
		ret = fpgacap_get_stats(dev, &st);
		if (ret)
			return ret;
		if (st.done >= ring)
			return 0;
		if (st.state == FPGACAP_STATE_ERROR)
			return st.last_error ? -(int)st.last_error : -EIO;
		if (cli_stop)
			return -EINTR;
		if (fc_now_ns() >= end) {
			fprintf(stderr, "fpgacap-bench: hand-off: the source "
				"filled %u of %u buffers in %d s\n", st.done,
				ring, HANDOFF_FILL_S);
			return -ETIMEDOUT;
		}
		sched_yield();
	}
}

static int handoff_one(const struct bench_opts *o, unsigned int batch,
		       uint64_t *cpu, uint64_t *done, uint64_t *calls)
{
	const uint32_t ring = 256;
	struct fpgacap_buffer b[64];
	uint32_t idx[64];
	struct fpgacap *dev;
	int n, k, ret;

	ret = fpgacap_open(o->device, 0, &dev);
	if (!ret)
		ret = fpgacap_configure(dev, ring, 4096, 0, 0);
	while (!ret && *done < 10240) {
		uint64_t u0, s0, u1, s1;

		ret = fpgacap_start(dev);
		if (!ret)
			ret = wait_ring_full(dev, ring);
		fpgacap_stop(dev);
		if (ret)
			break;
		cli_cpu_ns(&u0, &s0);
		while ((n = fpgacap_dequeue(dev, b, batch, 0)) > 0) {
			for (k = 0; k < n; k++)
				idx[k] = b[k].index;
			ret = fpgacap_return(dev, idx, (unsigned int)n);
			if (ret)
				break;
			*done += (uint64_t)n;
			(*calls)++;
		}
		cli_cpu_ns(&u1, &s1);
		*cpu += u1 - u0 + s1 - s0;
	}
	fpgacap_close(dev);
	return ret;
}

static int bench_handoff(const struct bench_opts *o, bool *first)
{
	static const unsigned int batches[] = { 1, 2, 4, 8, 16, 32, 64 };
	unsigned int i;
	int ret = 0;

	for (i = 0; i < sizeof(batches) / sizeof(batches[0]) && !cli_stop;
	     i++) {
		uint64_t cpu = 0, done = 0, calls = 0;
		unsigned int batch = batches[i];

		ret = handoff_one(o, batch, &cpu, &done, &calls);
		if (o->json)
			printf("%s{\"handoff_batch\":%u,\"buffers\":%llu,"
			       "\"dequeue_return_pairs\":%llu,"
			       "\"ns_per_buffer\":%.1f,\"error\":%d}",
			       *first ? "" : ",\n", batch,
			       (unsigned long long)done,
			       (unsigned long long)calls,
			       done ? (double)cpu / (double)done : 0, ret);
		else if (ret)
			printf("hand-off batch %2u: %s\n", batch,
			       fpgacap_strerror(ret));
		else
			printf("hand-off batch %2u: %8.1f ns CPU per buffer "
			       "(%llu buffers)\n", batch,
			       done ? (double)cpu / (double)done : 0,
			       (unsigned long long)done);
		*first = false;
		if (ret)
			break;
	}
	return ret == -EINTR ? 0 : ret;
}

/* The driver's test hooks in debugfs (all off again at the end). */
#define HOOKS "/sys/kernel/debug/fpgacap/"

static void set_hook(const char *name, const char *v)
{
	FILE *p = fopen(name, "w");

	if (p) {
		fputs(v, p);
		fclose(p);
	}
}

/* Pool allocations above order 0 fail (1), or not (0). */
static void set_order0_only(bool on)
{
	if (on)
		set_hook(HOOKS "test_hooks", "1");
	set_hook(HOOKS "alloc_fail_order", on ? "1" : "0");
	if (!on)
		set_hook(HOOKS "test_hooks", "0");
}

/* Pool setup: configure + mmap time and segments, with and without
 * high-order pages available (the driver's alloc_fail_order hook). */
static int bench_setup(const struct bench_opts *o, bool *first)
{
	static const uint64_t mib[] = { 16, 64, 128, 256 };
	unsigned int i, f;
	int err = 0;

	for (f = 0; f < 2 && !cli_stop; f++) {
		if (f && access(HOOKS "alloc_fail_order", W_OK))
			break;
		set_order0_only(f);
		for (i = 0; i < sizeof(mib) / sizeof(mib[0]) && !cli_stop;
		     i++) {
			const struct fpgacap_config *c;
			struct fpgacap *dev;
			uint64_t t0, t1;
			int ret;

			ret = fpgacap_open(o->device, 0, &dev);
			if (ret) {
				err = ret;
				break;
			}
			t0 = fc_now_ns();
			ret = fpgacap_configure(dev, (uint32_t)mib[i], 1 << 20,
						0, 0);
			t1 = fc_now_ns();
			c = fpgacap_layout(dev);
			if (o->json)
				printf("%s{\"setup_MiB\":%llu,\"order0_only\":%s,"
				       "\"error\":%d,\"ms\":%.3f,\"chunks\":%u,"
				       "\"max_segments\":%u}", *first ? "" : ",\n",
				       (unsigned long long)mib[i],
				       f ? "true" : "false", ret,
				       (double)(t1 - t0) / 1e6, c->chunks,
				       c->max_segments);
			else if (ret)
				printf("setup %3llu MiB%s: %s\n",
				       (unsigned long long)mib[i],
				       f ? " (order 0 only)" : "",
				       fpgacap_strerror(ret));
			else
				printf("setup %3llu MiB%s: %8.2f ms, %u chunks, "
				       "%u segments per 1 MiB buffer at most\n",
				       (unsigned long long)mib[i],
				       f ? " (order 0 only)" : "",
				       (double)(t1 - t0) / 1e6, c->chunks,
				       c->max_segments);
			*first = false;
			/* A limit (E2BIG, EDQUOT, ENOMEM) is a finding here,
			 * not a failure of the bench. */
			fpgacap_close(dev);
		}
	}
	set_order0_only(false);
	return err;
}

/*
 * What copying costs here: memcpy from a mapped pool buffer (what the copy
 * path's send() does in the kernel, roughly) into ordinary memory.
 */
static int bench_memcpy(const struct bench_opts *o, bool *first)
{
	const uint64_t size = 1 << 20, total = 256ULL << 20;
	struct fpgacap_buffer b;
	uint64_t u0, s0, u1, s1, done;
	struct fpgacap *dev;
	double cpu;
	void *dst;
	int ret;

	ret = fpgacap_open(o->device, 0, &dev);
	if (ret)
		return ret;
	dst = malloc(size);
	ret = dst ? 0 : -ENOMEM;
	if (!ret)
		ret = fpgacap_configure(dev, 4, size, 0, 0);
	if (!ret)
		ret = fpgacap_start(dev);
	if (!ret) {
		ret = fpgacap_dequeue(dev, &b, 1, 5000000000LL);
		ret = ret == 1 ? 0 : ret < 0 ? ret : -EIO;
	}
	if (ret) {
		free(dst);
		fpgacap_close(dev);
		return ret == -EINTR ? 0 : ret;
	}
	memset(dst, 0, size);
	cli_cpu_ns(&u0, &s0);
	for (done = 0; done < total && !cli_stop; done += size)
		memcpy(dst, fpgacap_buffer_data(dev, b.index), size);
	cli_cpu_ns(&u1, &s1);
	fpgacap_stop(dev);
	fpgacap_close(dev);
	cpu = (double)(u1 - u0 + s1 - s0) / 1e9;
	if (o->json)
		printf("%s{\"memcpy_bytes\":%llu,\"memcpy_cpu_s_per_GB\":%.4f,"
		       "\"memcpy_MBps\":%.1f,\"check\":%u}", *first ? "" : ",\n",
		       (unsigned long long)done, cpu / ((double)done / 1e9),
		       (double)done / 1e6 / cpu,
		       ((unsigned char *)dst)[size - 1]);
	else
		printf("memcpy: %.3f CPU s per GB (%.0f MB/s)\n",
		       cpu / ((double)done / 1e9), (double)done / 1e6 / cpu);
	*first = false;
	free(dst);
	return 0;
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
"  -t, --time SECONDS    per run (default 5)\n"
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
"capture-to-release latency (99th percentile over every buffer), TCP\n"
"retransmits. BYTES take K, M, G suffixes (powers of 1024). SIGINT or\n"
"SIGTERM stops within a second with what was measured; exit status 1 if\n"
"any mode or micro-benchmark failed, 2 for a usage error.\n");
}

enum { OPT_COMPARE = 256, OPT_SWEEP, OPT_RATE, OPT_HANDOFF, OPT_SETUP,
       OPT_MEMCPY };

static void add_size(struct bench_opts *o, const char *opt, const char *s)
{
	if (o->nsizes == 16)
		cli_bad_arg(opt, s, "at most 16 buffer sizes");
	o->sizes[o->nsizes++] = cli_opt_u64(opt, s, CLI_SUFFIX, 4096,
					    1ULL << 30);
}

static void parse_args(int argc, char **argv, struct bench_opts *o)
{
	static const struct option longopts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "mode", required_argument, NULL, 'm' },
		{ "compare", no_argument, NULL, OPT_COMPARE },
		{ "count", required_argument, NULL, 'c' },
		{ "size", required_argument, NULL, 's' },
		{ "sweep", required_argument, NULL, OPT_SWEEP },
		{ "time", required_argument, NULL, 't' },
		{ "duration", required_argument, NULL, 't' },
		{ "bytes", required_argument, NULL, 'b' },
		{ "rate", required_argument, NULL, OPT_RATE },
		{ "handoff", no_argument, NULL, OPT_HANDOFF },
		{ "setup", no_argument, NULL, OPT_SETUP },
		{ "memcpy", no_argument, NULL, OPT_MEMCPY },
		CLI_OPTS_TAIL,
	};
	bool any_mode = false;
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
				cli_bad_arg("--mode", optarg, "expected capture, "
					    "copy, zerocopy or uring");
			if (m == MODE_URING &&
			    !fpgacap_send_mode_built(FPGACAP_SEND_URING))
				cli_bad_arg("--mode", optarg, "this build has no "
					    "io_uring (liburing was missing)");
			o->modes[m] = true;
			any_mode = true;
			break;
		case OPT_COMPARE:
			for (m = 0; m < NR_MODES; m++)
				o->modes[m] = m != MODE_URING ||
					fpgacap_send_mode_built(FPGACAP_SEND_URING);
			any_mode = true;
			break;
		case 'c':
			o->count = (uint32_t)cli_opt_u64("--count", optarg, 0, 1,
							 65536);
			break;
		case 's': add_size(o, "--size", optarg); break;
		case OPT_SWEEP:
			for (tok = strtok_r(optarg, ",", &save); tok;
			     tok = strtok_r(NULL, ",", &save))
				add_size(o, "--sweep", tok);
			break;
		case 't':
			o->duration_ns = cli_opt_time(optarg);
			break;
		case 'b':
			o->bytes = cli_opt_u64("--bytes", optarg, CLI_SUFFIX, 1,
					       UINT64_MAX);
			o->duration_ns = 0;
			break;
		case OPT_RATE:
			o->rate = cli_opt_u64("--rate", optarg, CLI_SUFFIX, 0,
					      1ULL << 40);
			break;
		case OPT_HANDOFF: o->handoff = true; break;
		case OPT_SETUP: o->setup = true; break;
		case OPT_MEMCPY: o->memcpy_bench = true; break;
		default: cli_common_opt(c, &o->json, &o->quiet, usage);
		}
	}
	if (optind < argc)
		o->dest = argv[optind++];
	if (optind != argc) {
		fprintf(stderr, "fpgacap-bench: unexpected '%s' (see --help)\n",
			argv[optind]);
		exit(2);
	}
	if (!any_mode && !o->handoff && !o->setup && !o->memcpy_bench)
		o->modes[MODE_ZEROCOPY] = true;
	if (!o->nsizes)
		o->sizes[o->nsizes++] = 256 << 10;
	for (m = MODE_COPY; m < NR_MODES; m++) {
		if (o->modes[m] && !o->dest) {
			fprintf(stderr, "fpgacap-bench: %s needs HOST:PORT\n",
				mode_names[m]);
			exit(2);
		}
	}
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
	unsigned int n = 0, s, failed = 0;
	bool first = true;
	int m, ret;

	parse_args(argc, argv, &o);
	cli_signals();
	cli_line_buffered();

	if (o.json)
		printf("{\"version\":1,\"results\":[\n");
	for (s = 0; s < o.nsizes && !cli_stop; s++) {
		for (m = 0; m < NR_MODES && !cli_stop; m++) {
			if (!o.modes[m])
				continue;
			run_one(&o, (enum bench_mode)m, o.sizes[s], &res[n]);
			print_result(&o, &res[n], first);
			fflush(stdout);
			if (res[n].error && res[n].error != -EINTR)
				failed++;
			first = false;
			n++;
		}
	}
	if (o.json)
		printf("\n],\"micro\":[\n");
	first = true;
	if (o.memcpy_bench && !cli_stop && (ret = bench_memcpy(&o, &first))) {
		fprintf(stderr, "fpgacap-bench: memcpy: %s\n",
			fpgacap_strerror(ret));
		failed++;
	}
	if (o.handoff && !cli_stop && (ret = bench_handoff(&o, &first))) {
		fprintf(stderr, "fpgacap-bench: hand-off: %s\n",
			fpgacap_strerror(ret));
		failed++;
	}
	if (o.setup && !cli_stop && (ret = bench_setup(&o, &first))) {
		fprintf(stderr, "fpgacap-bench: setup: %s\n",
			fpgacap_strerror(ret));
		failed++;
	}
	if (o.json)
		printf("\n],\"failed\":%u,\"stopped_by\":\"%s\"}\n", failed,
		       cli_stop ? cli_signame(cli_stop) : "");
	print_ratios(&o, res, n);
	if (!o.json) {
		if (cli_stop)
			printf("fpgacap-bench: stopped by %s after %u runs\n",
			       cli_signame(cli_stop), n);
		printf("fpgacap-bench: %u runs, %u failed\n", n, failed);
	}
	return failed ? 1 : 0;
}
