// SPDX-License-Identifier: GPL-2.0
/*
 * fpgacap-stream: capture from a device and stream it to a TCP peer (or a
 * file), zero-copy where the kernel allows, recycling each buffer only
 * after the network stack released it.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "libfpgacap.h"
#include "cli.h"

struct stream_opts {
	const char *device;
	const char *dest;		/* host:port */
	const char *file;
	uint32_t count;
	uint64_t size, rate, bytes, buffers, duration_ns;
	uint32_t cfg_flags;
	struct fpgacap_pump_opts pump;
	bool verdict, json, quiet;
};

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: fpgacap-stream [options] HOST:PORT\n"
"       fpgacap-stream [options] --file PATH\n"
"Capture from an fpgacap device and stream it without copying.\n"
"\n"
"  -d, --device PATH       capture device (default /dev/fpgacap0)\n"
"  -c, --count N           buffers in the pool (default 16)\n"
"  -s, --size BYTES        bytes per buffer, page multiple (default 1M)\n"
"      --rate BYTES        pattern source rate per second (default 0: max)\n"
"      --highmem           allow highmem pages (32-bit; NICs may copy them)\n"
"  -m, --mode MODE         auto | copy | zerocopy | uring (default auto)\n"
"  -f, --framing           a header before each buffer (sequence, offset, loss)\n"
"  -b, --bytes BYTES       stop after this much payload\n"
"  -n, --buffers N         stop after N buffers\n"
"  -t, --duration SECONDS  stop after this long (default: until ^C)\n"
"      --batch N           buffers per dequeue (default 16)\n"
"      --copy-fallback PCT auto: copy once PCT%% of completions were copied\n"
"                          anyway (default 50, 0: never)\n"
"      --verdict           half-close and wait for fpgacap-sink's verdict;\n"
"                          exit 1 unless it says the stream arrived intact\n"
"      --file PATH         write to a file instead (copy path)\n"
"  -j, --json              figures as JSON on stdout\n"
"  -q, --quiet             no progress line\n"
"      --no-uring          behave as if io_uring were unavailable\n"
"      --unsafe-early-release  recycle buffers before the network is done\n"
"                          (test only: corrupts the stream)\n"
"  -h, --help              this text\n");
}

enum { OPT_RATE = 256, OPT_HIGHMEM, OPT_BATCH, OPT_FALLBACK, OPT_VERDICT,
       OPT_FILE, OPT_NO_URING, OPT_UNSAFE };

static int parse_args(int argc, char **argv, struct stream_opts *o)
{
	static const struct option longopts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "count", required_argument, NULL, 'c' },
		{ "size", required_argument, NULL, 's' },
		{ "rate", required_argument, NULL, OPT_RATE },
		{ "highmem", no_argument, NULL, OPT_HIGHMEM },
		{ "mode", required_argument, NULL, 'm' },
		{ "framing", no_argument, NULL, 'f' },
		{ "bytes", required_argument, NULL, 'b' },
		{ "buffers", required_argument, NULL, 'n' },
		{ "duration", required_argument, NULL, 't' },
		{ "batch", required_argument, NULL, OPT_BATCH },
		{ "copy-fallback", required_argument, NULL, OPT_FALLBACK },
		{ "verdict", no_argument, NULL, OPT_VERDICT },
		{ "file", required_argument, NULL, OPT_FILE },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "no-uring", no_argument, NULL, OPT_NO_URING },
		{ "unsafe-early-release", no_argument, NULL, OPT_UNSAFE },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t v;
	int c;

	o->count = 16;
	o->size = 1 << 20;
	while ((c = getopt_long(argc, argv, "d:c:s:m:fb:n:t:jqh", longopts,
				NULL)) != -1) {
		switch (c) {
		case 'd': o->device = optarg; break;
		case 'c':
			if (cli_parse_size(optarg, &v) || !v || v > UINT32_MAX)
				goto bad;
			o->count = (uint32_t)v;
			break;
		case 's': if (cli_parse_size(optarg, &o->size)) goto bad; break;
		case OPT_RATE: if (cli_parse_size(optarg, &o->rate)) goto bad; break;
		case OPT_HIGHMEM: o->cfg_flags |= FPGACAP_CFG_HIGHMEM; break;
		case 'm':
			if (fpgacap_send_mode_parse(optarg, &o->pump.send.mode))
				goto bad;
			break;
		case 'f': o->pump.framing = true; break;
		case 'b': if (cli_parse_size(optarg, &o->bytes)) goto bad; break;
		case 'n': if (cli_parse_size(optarg, &o->buffers)) goto bad; break;
		case 't':
			if (cli_parse_seconds(optarg, &o->duration_ns))
				goto bad;
			break;
		case OPT_BATCH:
			if (cli_parse_size(optarg, &v) || !v || v > 1024)
				goto bad;
			o->pump.batch = (unsigned int)v;
			break;
		case OPT_FALLBACK:
			if (cli_parse_size(optarg, &v) || v > 100)
				goto bad;
			o->pump.send.copy_fallback_pct = (unsigned int)v;
			break;
		case OPT_VERDICT: o->verdict = true; break;
		case OPT_FILE: o->file = optarg; break;
		case 'j': o->json = true; break;
		case 'q': o->quiet = true; break;
		case OPT_NO_URING: o->pump.send.no_uring = true; break;
		case OPT_UNSAFE: o->pump.send.unsafe_early_release = true; break;
		case 'h': usage(stdout); exit(0);
		default: goto bad;
		}
	}
	if (optind < argc)
		o->dest = argv[optind++];
	if (optind != argc || !!o->dest == !!o->file)
		goto bad;
	if (o->file && o->pump.send.mode != FPGACAP_SEND_AUTO &&
	    o->pump.send.mode != FPGACAP_SEND_COPY) {
		fprintf(stderr, "fpgacap-stream: a file takes the copy path\n");
		return -EINVAL;
	}
	if (o->file)
		o->pump.send.mode = FPGACAP_SEND_COPY;
	o->pump.max_bytes = o->bytes;
	o->pump.max_buffers = o->buffers;
	return 0;
bad:
	if (optarg)
		fprintf(stderr, "fpgacap-stream: bad argument '%s'\n", optarg);
	usage(stderr);
	return -EINVAL;
}

/* Half-close, then read "FPGACAP-VERDICT {json}" from the sink. */
static int read_verdict(int fd, char *out, size_t len)
{
	size_t got = 0;
	char *nl;

	if (shutdown(fd, SHUT_WR))
		return -errno;
	while (got + 1 < len) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&pfd, 1, 60000) <= 0)
			return -ETIMEDOUT;
		n = read(fd, out + got, len - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += n;
		out[got] = 0;
		if (strchr(out, '\n'))
			break;
	}
	out[got] = 0;
	nl = strchr(out, '\n');
	if (nl)
		*nl = 0;
	if (strncmp(out, "FPGACAP-VERDICT ", 16))
		return -EPROTO;
	memmove(out, out + 16, strlen(out + 16) + 1);
	return strstr(out, "\"ok\":true") ? 0 : 1;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void report(const struct stream_opts *o, struct fpgacap *dev,
		   struct fpgacap_pump *pump, double secs, uint64_t cpu_user,
		   uint64_t cpu_sys, int verdict, const char *verdict_json)
{
	static uint64_t lat[4096];
	struct fpgacap_sender_stats ss;
	struct fpgacap_pump_stats ps;
	struct fpgacap_stats ds;
	unsigned int nlat;
	double mbps;
	uint64_t p50 = 0, p99 = 0;

	fpgacap_sender_get_stats(fpgacap_pump_sender(pump), &ss);
	fpgacap_pump_get_stats(pump, &ps);
	memset(&ds, 0, sizeof(ds));
	fpgacap_get_stats(dev, &ds);
	nlat = fpgacap_pump_latencies(pump, lat, 4096);
	if (nlat) {
		qsort(lat, nlat, sizeof(lat[0]), cmp_u64);
		p50 = lat[nlat / 2];
		p99 = lat[(nlat * 99) / 100];
	}
	mbps = secs > 0 ? ps.payload_bytes / 1e6 / secs : 0;
	if (o->json) {
		printf("{\"mode\":\"%s\",\"requested\":\"%s\",\"buffers\":%llu,"
		       "\"payload_bytes\":%llu,\"seconds\":%.6f,\"MBps\":%.3f,"
		       "\"sends\":%llu,\"syscalls\":%llu,\"completions\":%llu,"
		       "\"copied\":%llu,\"copied_known\":%s,"
		       "\"fixed_buffers\":%s,\"fixed_buffers_error\":%d,"
		       "\"enobufs\":%llu,\"nobufs_copied\":%llu,\"partial\":%llu,\"fell_back\":%s,"
		       "\"fallback_reason\":%d,\"lost_bytes\":%llu,"
		       "\"lost_events\":%llu,\"capture_drops\":%llu,"
		       "\"latency_p50_ns\":%llu,\"latency_p99_ns\":%llu,"
		       "\"cpu_user_s\":%.6f,\"cpu_sys_s\":%.6f",
		       fpgacap_send_mode_name(ss.mode),
		       fpgacap_send_mode_name(ss.requested),
		       (unsigned long long)ps.buffers,
		       (unsigned long long)ps.payload_bytes, secs, mbps,
		       (unsigned long long)ss.sends,
		       (unsigned long long)ss.syscalls,
		       (unsigned long long)ss.completions,
		       (unsigned long long)ss.copied,
		       ss.copied_known ? "true" : "false",
		       ss.fixed_buffers ? "true" : "false",
		       ss.fixed_buffers_error,
		       (unsigned long long)ss.enobufs,
		       (unsigned long long)ss.nobufs_copied,
		       (unsigned long long)ss.partial,
		       ss.fell_back ? "true" : "false", ss.fallback_reason,
		       (unsigned long long)ps.lost_bytes,
		       (unsigned long long)ps.lost_events,
		       (unsigned long long)ds.drops,
		       (unsigned long long)p50, (unsigned long long)p99,
		       cpu_user / 1e9, cpu_sys / 1e9);
		if (verdict_json[0])
			printf(",\"sink\":%s", verdict_json);
		printf("}\n");
		return;
	}
	printf("%llu buffers, %.1f MB in %.2f s: %.1f MB/s (%.0f Mbit/s), mode %s",
	       (unsigned long long)ps.buffers, ps.payload_bytes / 1e6, secs,
	       mbps, mbps * 8, fpgacap_send_mode_name(ss.mode));
	if (ss.fell_back)
		printf(" (fell back from %s%s%s)",
		       fpgacap_send_mode_name(ss.requested),
		       ss.fallback_reason ? ": " : "",
		       ss.fallback_reason ? fpgacap_strerror(ss.fallback_reason) :
					    "");
	printf("\n");
	if (ss.completions)
		printf("zero-copy completions %llu, copied %s%llu\n",
		       (unsigned long long)ss.completions,
		       ss.copied_known ? "" : "(unknown) ",
		       (unsigned long long)ss.copied);
	if (ss.requested == FPGACAP_SEND_URING ||
	    ss.mode == FPGACAP_SEND_URING)
		printf("io_uring fixed buffers: %s\n", ss.fixed_buffers ? "yes" :
		       fpgacap_strerror(ss.fixed_buffers_error));
	printf("capture: %llu bytes lost in %llu gaps; latency p50 %.3f ms, "
	       "p99 %.3f ms; cpu user %.3f s sys %.3f s\n",
	       (unsigned long long)ps.lost_bytes,
	       (unsigned long long)ps.lost_events, p50 / 1e6, p99 / 1e6,
	       cpu_user / 1e9, cpu_sys / 1e9);
	if (verdict >= 0)
		printf("sink: %s\n", verdict_json);
}

int main(int argc, char **argv)
{
	struct stream_opts o = { 0 };
	struct fpgacap *dev = NULL;
	struct fpgacap_pump *pump = NULL;
	struct cli_progress prog;
	uint64_t start, end, u0, s0, u1, s1;
	char verdict_json[1100] = "";
	int fd, ret, verdict = -1;

	if (parse_args(argc, argv, &o))
		return 2;
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	if (o.file)
		fd = open(o.file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			  0644);
	else
		fd = cli_connect(o.dest);
	if (fd < 0) {
		ret = o.file ? -errno : fd;
		fprintf(stderr, "fpgacap-stream: %s: %s\n",
			o.file ? o.file : o.dest, fpgacap_strerror(ret));
		return 1;
	}
	o.pump.send.fd = fd;

	ret = fpgacap_open(o.device, 0, &dev);
	if (ret) {
		fprintf(stderr, "fpgacap-stream: %s: %s\n",
			o.device ? o.device : "/dev/fpgacap0",
			fpgacap_strerror(ret));
		return 1;
	}
	ret = fpgacap_configure(dev, o.count, o.size, o.cfg_flags, o.rate);
	if (!ret)
		ret = fpgacap_pump_create(dev, &o.pump, &pump);
	if (!ret)
		ret = fpgacap_start(dev);
	if (ret) {
		fprintf(stderr, "fpgacap-stream: setup: %s\n",
			fpgacap_strerror(ret));
		goto out;
	}

	cli_progress_init(&prog, o.quiet || o.json);
	cli_cpu_ns(&u0, &s0);
	start = cli_now_ns();
	while (!interrupted) {
		struct fpgacap_pump_stats ps;

		ret = fpgacap_pump_step(pump);
		if (ret)
			break;
		fpgacap_pump_get_stats(pump, &ps);
		cli_progress(&prog, ps.payload_bytes, NULL);
		if (o.duration_ns && cli_now_ns() - start >= o.duration_ns)
			break;
	}
	if (ret < 0)
		fprintf(stderr, "fpgacap-stream: %s\n", fpgacap_strerror(ret));
	/* Every buffer back, released by the network first. */
	if (fpgacap_pump_finish(pump, 30000))
		fprintf(stderr, "fpgacap-stream: completions still missing\n");
	cli_cpu_ns(&u1, &s1);
	end = cli_now_ns();
	fpgacap_stop(dev);
	cli_progress_done(&prog);
	if (o.verdict && ret >= 0) {
		verdict = read_verdict(fd, verdict_json, sizeof(verdict_json));
		if (verdict < 0)
			snprintf(verdict_json, sizeof(verdict_json),
				 "{\"error\":\"%s\"}", fpgacap_strerror(verdict));
	}
	report(&o, dev, pump, (end - start) / 1e9, u1 - u0, s1 - s0,
	       verdict, verdict_json);
	if (verdict > 0 || verdict < -1)
		ret = -EBADMSG;
out:
	fpgacap_pump_destroy(pump);
	fpgacap_close(dev);
	close(fd);
	return ret < 0 ? 1 : 0;
}
