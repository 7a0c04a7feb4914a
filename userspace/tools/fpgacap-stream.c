// SPDX-License-Identifier: MIT
/*
 * fpgacap-stream: capture from a device and stream it to a TCP peer, as
 * UDP datagrams (--udp; with --slot straight from a pool of datagram
 * slots), or to a file, zero-copy where the kernel allows, recycling each
 * buffer only after the network stack released it. Stops on a limit,
 * after -t, or on SIGINT/SIGTERM, and always ends with a summary.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "libfpgacap.h"
#include "cli.h"

struct stream_opts {
	const char *device;		/* NULL: the one there is */
	const char *dest;		/* host:port */
	const char *file;		/* -o */
	bool append;
	const char *control;		/* UDP: the sink's control, host:port */
	uint32_t count, batch, fallback_pct;
	uint64_t size, rate, bytes, blocks, duration_ns, interval_ns;
	uint32_t cfg_flags;
	enum fpgacap_send_mode mode;
	bool framing, verdict, json, quiet;
	bool udp;
	uint32_t datagram_size, gso;
	uint32_t slot_size, slot_header;	/* --slot, --slot-header */
	bool records;
};

static void usage(FILE *f)
{
	fprintf(f,
"usage: fpgacap-stream [options] HOST:PORT\n"
"       fpgacap-stream [options] --udp HOST:PORT\n"
"       fpgacap-stream [options] --output FILE\n"
"Capture from an fpgacap device and stream it without copying.\n"
"\n"
"  -d, --device PATH       capture device (default: the only one there is,\n"
"                          else /dev/fpgacap)\n"
"  -c, --count N           buffers in the pool (default 16)\n"
"  -s, --size BYTES        bytes per buffer, page multiple (default 1M)\n"
"      --rate BYTES        source rate per second (default 0: as fast as\n"
"                          buffers come free; sources with a clock only)\n"
"      --highmem           allow highmem pages (32-bit; NICs may copy them)\n"
"      --writable          map the pool writable, for kernels whose io_uring\n"
"                          registers only writable memory (Linux 6.1 still\n"
"                          refuses the device's); a stray write then\n"
"                          corrupts captured data\n"
"  -m, --mode MODE         auto | copy | zerocopy | uring (default auto)\n"
"                          (the summary says why auto copies, if it does)\n"
"  -f, --framing           a header before each buffer (sequence, offset, loss)\n"
"  -b, --bytes BYTES       stop after this much payload\n"
"  -k, --blockcount N      stop after N buffers\n"
"  -t, --time SECONDS      stop after this long (default: until ^C);\n"
"                          --duration is the same\n"
"  -i, --interval SECONDS  report every SECONDS while running\n"
"      --batch N           buffers per dequeue (default 16)\n"
"      --copy-fallback PCT auto: copy once PCT%% of completions were copied\n"
"                          anyway (default 50, 0: never)\n"
"      --verdict           half-close and wait for fpgacap-sink's verdict;\n"
"                          exit 1 unless it says the stream arrived intact\n"
"  -o, --output FILE       write to a file instead (copy path), emptied\n"
"                          first; --file is the same\n"
"      --append            -o: add to the file instead of emptying it\n"
"  -u, --udp               HOST:PORT takes UDP datagrams, each with a header\n"
"                          (sequence, stream offset: see libfpgacap(3))\n"
"      --datagram BYTES    UDP payload per datagram, header included\n"
"                          (default: what the path MTU allows)\n"
"      --gso N             datagrams per send with UDP GSO (default: as\n"
"                          many as fit; 1: no GSO)\n"
"      --control HOST:PORT UDP: the sink's control connection (fpgacap-sink\n"
"                          --control): wait until it receives; with\n"
"                          --verdict, its verdict at the end\n"
"      --slot BYTES        UDP: a pool of datagram slots of BYTES each (a\n"
"                          multiple of 8 the path takes whole: 1472 at MTU\n"
"                          1500 over IPv4, 1448 over IPv6); each slot goes\n"
"                          out as one datagram straight from the pool, a run\n"
"                          of whole slots a send; the tool writes each\n"
"                          header into its slot (the pool is mapped\n"
"                          writable)\n"
"      --slot-header BYTES header room in front of each slot's payload\n"
"                          (default 24, the header's size; a multiple of 8)\n"
"      --records           with --slot: the source writes whole records,\n"
"                          header included, and the tool only sends them\n"
"                          (the pool stays read-only unless --writable)\n"
"  -j, --json              one JSON document (start, intervals, end) on stdout\n"
"  -q, --quiet             no progress line\n"
"  -h, --help              this text\n"
"  -V, --version           the version\n"
"HOST may be a name, an IPv4 address or an [IPv6] address. BYTES take K, M,\n"
"G suffixes (powers of 1024). SIGINT or SIGTERM stops within a second, with\n"
"the summary. Exit status: 0 if the stream ran (and, with --verdict, arrived\n"
"intact), 1 if not, 2 for a usage error.\n");
}

enum { OPT_RATE = 256, OPT_HIGHMEM, OPT_WRITABLE, OPT_BATCH, OPT_FALLBACK,
       OPT_VERDICT, OPT_APPEND, OPT_DGRAM, OPT_GSO, OPT_CONTROL, OPT_SLOT,
       OPT_SLOT_HEADER, OPT_RECORDS };

static void parse_args(int argc, char **argv, struct stream_opts *o)
{
	static const struct option longopts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "count", required_argument, NULL, 'c' },
		{ "size", required_argument, NULL, 's' },
		{ "rate", required_argument, NULL, OPT_RATE },
		{ "highmem", no_argument, NULL, OPT_HIGHMEM },
		{ "writable", no_argument, NULL, OPT_WRITABLE },
		{ "mode", required_argument, NULL, 'm' },
		{ "framing", no_argument, NULL, 'f' },
		{ "bytes", required_argument, NULL, 'b' },
		{ "blockcount", required_argument, NULL, 'k' },
		{ "time", required_argument, NULL, 't' },
		{ "duration", required_argument, NULL, 't' },
		{ "interval", required_argument, NULL, 'i' },
		{ "batch", required_argument, NULL, OPT_BATCH },
		{ "copy-fallback", required_argument, NULL, OPT_FALLBACK },
		{ "verdict", no_argument, NULL, OPT_VERDICT },
		{ "output", required_argument, NULL, 'o' },
		{ "file", required_argument, NULL, 'o' },
		{ "append", no_argument, NULL, OPT_APPEND },
		{ "udp", no_argument, NULL, 'u' },
		{ "datagram", required_argument, NULL, OPT_DGRAM },
		{ "gso", required_argument, NULL, OPT_GSO },
		{ "control", required_argument, NULL, OPT_CONTROL },
		{ "slot", required_argument, NULL, OPT_SLOT },
		{ "slot-header", required_argument, NULL, OPT_SLOT_HEADER },
		{ "records", no_argument, NULL, OPT_RECORDS },
		CLI_OPTS_TAIL,
	};
	int c;

	o->count = 16;
	o->size = 1 << 20;
	while ((c = getopt_long(argc, argv, "d:c:s:m:fb:k:t:i:o:u" CLI_SHORT_TAIL,
				longopts, NULL)) != -1) {
		switch (c) {
		case 'd': o->device = optarg; break;
		case 'c':
			o->count = (uint32_t)cli_opt_u64("--count", optarg, 0, 1,
							 65536);
			break;
		case 's':
			o->size = cli_opt_u64("--size", optarg, CLI_SUFFIX, 1,
					      1ULL << 40);
			break;
		case OPT_RATE:
			o->rate = cli_opt_u64("--rate", optarg, CLI_SUFFIX, 0,
					      1ULL << 40);
			break;
		case OPT_HIGHMEM: o->cfg_flags |= FPGACAP_CFG_HIGHMEM; break;
		case OPT_WRITABLE: o->cfg_flags |= FPGACAP_CFG_WRITABLE; break;
		case 'm':
			if (fpgacap_send_mode_parse(optarg, &o->mode))
				cli_bad_arg("--mode", optarg, "expected auto, "
					    "copy, zerocopy or uring");
			if (!fpgacap_send_mode_built(o->mode))
				cli_bad_arg("--mode", optarg, "this build has no "
					    "io_uring (liburing was missing)");
			break;
		case 'f': o->framing = true; break;
		case 'b':
			o->bytes = cli_opt_u64("--bytes", optarg, CLI_SUFFIX, 1,
					       UINT64_MAX);
			break;
		case 'k':
			o->blocks = cli_opt_u64("--blockcount", optarg, 0, 1,
						UINT64_MAX);
			break;
		case 't':
			o->duration_ns = cli_opt_time(optarg);
			break;
		case 'i':
			o->interval_ns = cli_opt_interval(optarg);
			break;
		case OPT_BATCH:
			o->batch = (uint32_t)cli_opt_u64("--batch", optarg, 0, 1,
							 1024);
			break;
		case OPT_FALLBACK:
			o->fallback_pct = (uint32_t)cli_opt_u64("--copy-fallback",
							       optarg, 0, 0, 100);
			if (!o->fallback_pct)
				o->fallback_pct = FPGACAP_COPY_FALLBACK_NEVER;
			break;
		case OPT_VERDICT: o->verdict = true; break;
		case 'o': o->file = optarg; break;
		case OPT_APPEND: o->append = true; break;
		case 'u': o->udp = true; break;
		case OPT_DGRAM:
			o->datagram_size = (uint32_t)cli_opt_u64("--datagram",
				optarg, CLI_SUFFIX, 32, 65507);
			break;
		case OPT_GSO:
			o->gso = (uint32_t)cli_opt_u64("--gso", optarg, 0, 1, 128);
			break;
		case OPT_CONTROL: o->control = optarg; break;
		case OPT_SLOT:
			o->slot_size = (uint32_t)cli_opt_u64("--slot", optarg,
				CLI_SUFFIX, 32, 65504);
			if (o->slot_size % 8)
				cli_bad_arg("--slot", optarg, "a multiple of 8");
			break;
		case OPT_SLOT_HEADER:
			o->slot_header = (uint32_t)cli_opt_u64("--slot-header",
				optarg, 0, 24, 248);
			if (o->slot_header % 8)
				cli_bad_arg("--slot-header", optarg,
					    "a multiple of 8");
			break;
		case OPT_RECORDS: o->records = true; break;
		default: cli_common_opt(c, &o->json, &o->quiet, usage);
		}
	}
	if (optind < argc)
		o->dest = argv[optind++];
	if (optind != argc || !!o->dest == !!o->file)
		cli_usage_error("give one HOST:PORT or --output FILE");
	/* Its form and port now, before the device is touched. */
	if (o->dest)
		cli_check_hostport("HOST:PORT", o->dest);
	if (o->control)
		cli_check_hostport("--control", o->control);
	if (o->append && !o->file)
		cli_usage_error("--append is for --output");
	if (o->file && o->mode != FPGACAP_SEND_AUTO &&
	    o->mode != FPGACAP_SEND_COPY)
		cli_usage_error("a file takes the copy path (no --mode %s)",
				fpgacap_send_mode_name(o->mode));
	if (o->file)
		o->mode = FPGACAP_SEND_COPY;
	if (o->file && o->verdict)
		cli_usage_error("--verdict needs a sink, not a file");
	if (!o->udp && (o->control || o->datagram_size || o->gso)) {
		fprintf(stderr, "fpgacap-stream: --control, --datagram and --gso "
			"are for --udp\n");
		exit(2);
	}
	if (o->udp && (o->file || o->framing)) {
		fprintf(stderr, "fpgacap-stream: --udp takes a HOST:PORT, and "
			"every datagram has its header already (no --framing)\n");
		exit(2);
	}
	if (o->slot_size && !o->udp) {
		fprintf(stderr, "fpgacap-stream: --slot is for --udp\n");
		exit(2);
	}
	if (!o->slot_size && (o->slot_header || o->records)) {
		fprintf(stderr, "fpgacap-stream: --slot-header and --records "
			"need --slot\n");
		exit(2);
	}
	if (o->slot_size && o->datagram_size) {
		fprintf(stderr, "fpgacap-stream: with --slot each datagram is "
			"a slot (no --datagram)\n");
		exit(2);
	}
	if (o->slot_size && !o->slot_header)
		o->slot_header = 24;
	if (o->slot_size && o->slot_header >= o->slot_size) {
		fprintf(stderr, "fpgacap-stream: --slot-header must be below "
			"--slot\n");
		exit(2);
	}
	/* Framed slots: the headers are written through the mapping. */
	if (o->slot_size && !o->records)
		o->cfg_flags |= FPGACAP_CFG_WRITABLE;
	if (o->records)
		o->cfg_flags |= FPGACAP_CFG_RECORDS;
	if (o->udp && o->verdict && !o->control) {
		fprintf(stderr, "fpgacap-stream: --udp --verdict needs --control "
			"HOST:PORT\n");
		exit(2);
	}
}

/* A number from our own flat JSON ("key":123); 0 if absent. */
static uint64_t json_u64(const char *json, const char *key)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(json, pat);
	return p ? strtoull(p + strlen(pat), NULL, 10) : 0;
}

struct run {
	struct stream_opts *o;
	char path[1024];		/* the device node used */
	struct fpgacap *dev;
	struct fpgacap_info info;
	struct fpgacap_pump *pump;
	int fd;
	int ctl;			/* UDP: the sink's control connection */
	struct cli_meter meter;
	/* interval reports */
	char *intervals;
	size_t intervals_len;
	FILE *ivf;
	struct cli_json ivj;
	uint64_t iv_completions, iv_copied;
	int64_t iv_retrans;
	/* end */
	uint64_t start_ns, end_ns, cpu_user, cpu_sys;
	const char *stopped_by;
	int error;			/* what ended it badly, or 0 */
	int verdict;			/* 0 intact, 1 not, < 0 none */
	char verdict_json[2200];
};

static const char *source_name(uint32_t s)
{
	static const char *const names[] = {
		"?", "pattern", "slave-dma", "memcpy",
	};

	return s < 4 ? names[s] : "?";
}

static void stats_now(struct run *r, struct fpgacap_sender_stats *ss,
		      struct fpgacap_pump_stats *ps)
{
	ss->size = sizeof(*ss);
	ps->size = sizeof(*ps);
	fpgacap_sender_get_stats(fpgacap_pump_sender(r->pump), ss);
	fpgacap_pump_get_stats(r->pump, ps);
}

static void interval_report(struct run *r)
{
	struct fpgacap_sender_stats ss;
	struct fpgacap_pump_stats ps;
	uint64_t bytes;
	int64_t retrans;
	double from, to;

	stats_now(r, &ss, &ps);
	if (!cli_meter_due(&r->meter, ps.payload_bytes, &from, &to, &bytes))
		return;
	retrans = r->o->dest ? cli_tcp_retrans(r->fd) : -1;
	if (r->o->json) {
		cli_json_open(&r->ivj, NULL, '{');
		cli_json_dbl(&r->ivj, "start", from);
		cli_json_dbl(&r->ivj, "end", to);
		cli_json_u64(&r->ivj, "bytes", bytes);
		cli_json_dbl(&r->ivj, "MBps", (double)bytes / 1e6 / (to - from));
		cli_json_u64(&r->ivj, "completions",
			     ss.completions - r->iv_completions);
		cli_json_u64(&r->ivj, "copied", ss.copied - r->iv_copied);
		if (retrans >= 0)
			cli_json_i64(&r->ivj, "retransmits",
				     retrans - r->iv_retrans);
		cli_json_close(&r->ivj, '}');
	} else {
		printf("[%6.1f-%6.1f s] %10.1f MB %8.1f MB/s  completions %llu"
		       " (copied %llu)", from, to, (double)bytes / 1e6,
		       (double)bytes / 1e6 / (to - from),
		       (unsigned long long)(ss.completions - r->iv_completions),
		       (unsigned long long)(ss.copied - r->iv_copied));
		if (retrans >= 0)
			printf("  retransmits %lld",
			       (long long)(retrans - r->iv_retrans));
		printf("\n");
		fflush(stdout);
	}
	r->iv_completions = ss.completions;
	r->iv_copied = ss.copied;
	if (retrans >= 0)
		r->iv_retrans = retrans;
}

/* Healthy: no error, and the sink said intact (if asked, and if a signal
 * did not cut the wait for its word short). */
static bool run_ok(const struct run *r)
{
	if (r->error || r->verdict == 1)
		return false;
	return !r->o->verdict || r->verdict == 0 || cli_stop;
}

static void json_start(struct run *r, struct cli_json *j)
{
	const struct fpgacap_config *cfg = fpgacap_layout(r->dev);

	cli_json_open(j, "start", '{');
	cli_json_str(j, "tool", "fpgacap-stream");
	cli_json_str(j, "device", r->path);
	cli_json_str(j, "source", source_name(r->info.source));
	cli_json_str(j, "source_name", r->info.source_name);
	cli_json_str(j, "destination", r->o->dest ? r->o->dest : r->o->file);
	cli_json_str(j, "requested", fpgacap_send_mode_name(r->o->mode));
	cli_json_u64(j, "count", cfg->count);
	cli_json_u64(j, "buffer_size", cfg->buffer_size);
	cli_json_u64(j, "rate", r->o->rate);
	cli_json_bool(j, "framing", r->o->framing);
	if (cfg->slot_size) {
		cli_json_u64(j, "slot_size", cfg->slot_size);
		cli_json_u64(j, "slot_header", cfg->slot_header);
		cli_json_bool(j, "records", cfg->flags & FPGACAP_CFG_RECORDS);
	}
	cli_json_close(j, '}');
}

static void json_end(struct run *r, struct cli_json *j,
		     const struct fpgacap_sender_stats *ss,
		     const struct fpgacap_pump_stats *ps,
		     const struct fpgacap_stats *ds, double secs, int64_t retrans)
{
	cli_json_open(j, "end", '{');
	cli_json_str(j, "mode", fpgacap_send_mode_name(ss->mode));
	cli_json_str(j, "requested", fpgacap_send_mode_name(ss->requested));
	cli_json_u64(j, "buffers", ps->buffers);
	cli_json_u64(j, "payload_bytes", ps->payload_bytes);
	cli_json_dbl(j, "seconds", secs);
	cli_json_dbl(j, "MBps", secs > 0 ? (double)ps->payload_bytes / 1e6 /
		     secs : 0);
	cli_json_u64(j, "sends", ss->sends);
	cli_json_u64(j, "syscalls", ss->syscalls);
	cli_json_u64(j, "completions", ss->completions);
	cli_json_u64(j, "copied", ss->copied);
	cli_json_bool(j, "copied_known", ss->copied_known);
	cli_json_bool(j, "fixed_buffers", ss->fixed_buffers);
	cli_json_i64(j, "fixed_buffers_error", ss->fixed_buffers_error);
	cli_json_u64(j, "enobufs", ss->enobufs);
	cli_json_u64(j, "nobufs_copied", ss->nobufs_copied);
	cli_json_u64(j, "partial", ss->partial);
	cli_json_bool(j, "fell_back", ss->fell_back);
	cli_json_i64(j, "fallback_reason", ss->fallback_reason);
	cli_json_str(j, "auto_copy", fpgacap_auto_copy_name(ss->auto_copy));
	cli_json_i64(j, "auto_copy_error", ss->auto_copy_error);
	if (ss->datagram) {
		cli_json_u64(j, "datagrams", ss->datagrams);
		cli_json_u64(j, "datagram_size", ss->datagram_size);
		cli_json_u64(j, "gso_segments", ss->gso_segments);
		cli_json_i64(j, "gso_error", ss->gso_error);
		cli_json_u64(j, "gso_shrunk", ss->gso_shrunk);
		cli_json_u64(j, "datagram_sends", ss->datagram_sends);
		cli_json_u64(j, "datagram_iovecs", ss->datagram_iovecs);
	}
	cli_json_u64(j, "fixed_sends", ss->fixed_sends);
	cli_json_u64(j, "lost_bytes", ps->lost_bytes);
	cli_json_u64(j, "lost_events", ps->lost_events);
	cli_json_u64(j, "capture_drops", ds->drops);
	cli_json_u64(j, "capture_bytes_dropped", ds->bytes_dropped);
	cli_json_u64(j, "latency_samples", ps->latency_samples);
	cli_json_u64(j, "latency_p50_ns", fpgacap_pump_latency(r->pump, 50));
	cli_json_u64(j, "latency_p90_ns", fpgacap_pump_latency(r->pump, 90));
	cli_json_u64(j, "latency_p99_ns", fpgacap_pump_latency(r->pump, 99));
	cli_json_u64(j, "latency_max_ns", ps->latency_max);
	cli_json_dbl(j, "cpu_user_s", (double)r->cpu_user / 1e9);
	cli_json_dbl(j, "cpu_sys_s", (double)r->cpu_sys / 1e9);
	if (retrans >= 0)
		cli_json_i64(j, "retransmits", retrans);
	cli_json_str(j, "stopped_by", r->stopped_by);
	if (r->error)
		cli_json_str(j, "error", fpgacap_strerror(r->error));
	if (r->verdict_json[0] == '{')
		cli_json_raw(j, "sink", r->verdict_json);
	cli_json_bool(j, "ok", run_ok(r));
	cli_json_close(j, '}');
}

/* Why auto chose copying from the start, in words. */
static const char *auto_copy_why(const struct fpgacap_sender_stats *ss)
{
	switch (ss->auto_copy) {
	case FPGACAP_AUTO_COPY_FILE:
		return "not a socket";
	case FPGACAP_AUTO_COPY_FEWER_PER_SEND:
		return "zero-copy would fit fewer datagrams in a send "
		       "(a header and a payload piece each; slots avoid it)";
	case FPGACAP_AUTO_COPY_SMALL_SENDS:
		return "sends under 4 KiB cost more to pin than to copy";
	case FPGACAP_AUTO_COPY_UNSUPPORTED:
		return "no io_uring, and the socket refused SO_ZEROCOPY";
	default:
		return fpgacap_auto_copy_name(ss->auto_copy);
	}
}

static void text_end(struct run *r, const struct fpgacap_sender_stats *ss,
		     const struct fpgacap_pump_stats *ps,
		     const struct fpgacap_stats *ds, double secs, int64_t retrans)
{
	double mbps = secs > 0 ? (double)ps->payload_bytes / 1e6 / secs : 0;
	const char *hint;

	printf("sent %.1f MB in %.2f s: %.1f MB/s (%.0f Mbit/s), %llu buffers;"
	       " stopped by %s\n", (double)ps->payload_bytes / 1e6, secs, mbps,
	       mbps * 8, (unsigned long long)ps->buffers, r->stopped_by);
	printf("send mode: %s", fpgacap_send_mode_name(ss->mode));
	if (ss->requested != ss->mode)
		printf(" (requested %s)", fpgacap_send_mode_name(ss->requested));
	if (ss->auto_copy) {
		printf("; auto copies: %s", auto_copy_why(ss));
		if (ss->auto_copy_error)
			printf(" (%s)", fpgacap_strerror(ss->auto_copy_error));
	}
	if (ss->fell_back)
		printf("; auto fell back to copying: %s",
		       ss->fallback_reason ? fpgacap_strerror(ss->fallback_reason) :
		       "the kernel copied most zero-copy sends anyway");
	printf("\n");
	if (ss->completions || ss->mode != FPGACAP_SEND_COPY) {
		if (ss->copied_known)
			printf("zero-copy completions: %llu, of which the "
			       "kernel copied %llu\n",
			       (unsigned long long)ss->completions,
			       (unsigned long long)ss->copied);
		else
			printf("zero-copy completions: %llu (this kernel does "
			       "not say which it copied)\n",
			       (unsigned long long)ss->completions);
	} else {
		printf("copied sends: the kernel copied every byte\n");
	}
	if (ss->datagram) {
		const struct fpgacap_config *cfg = fpgacap_layout(r->dev);

		printf("datagrams: %llu of %u bytes (%u of them the header%s), "
		       "%u per send%s%s\n", (unsigned long long)ss->datagrams,
		       ss->datagram_size, cfg->slot_size ? cfg->slot_header : 24,
		       !cfg->slot_size ? "" : cfg->flags & FPGACAP_CFG_RECORDS ?
		       ", written by the source" : ", written into the slots",
		       ss->gso_segments, ss->gso_segments > 1 ? " with UDP GSO" :
		       "", ss->gso_error ? "; UDP GSO refused" : "");
		printf("sends: %llu carrying datagrams, %.1f datagrams and %.1f "
		       "pieces of memory each\n",
		       (unsigned long long)ss->datagram_sends,
		       ss->datagram_sends ? (double)ss->datagrams /
		       (double)ss->datagram_sends : 0.0,
		       ss->datagram_sends ? (double)ss->datagram_iovecs /
		       (double)ss->datagram_sends : 0.0);
	}
	if (ss->nobufs_copied)
		printf("socket memory ran out %llu times with nothing in "
		       "flight: %llu sends went by copy\n",
		       (unsigned long long)ss->enobufs,
		       (unsigned long long)ss->nobufs_copied);
	if (ss->mode == FPGACAP_SEND_URING && ss->datagram &&
	    !fpgacap_layout(r->dev)->slot_size)
		printf("io_uring fixed buffers: not used: datagram sends are "
		       "vectored (SENDMSG_ZC), which takes none\n");
	else if (ss->mode == FPGACAP_SEND_URING && !ss->fixed_buffers)
		printf("io_uring fixed buffers: not used: this kernel does not "
		       "register the device mapping (%s; expected on Linux "
		       "6.1), so each send pins its pages\n",
		       strerror(ss->fixed_buffers_error));
	else if (ss->mode == FPGACAP_SEND_URING)
		printf("io_uring fixed buffers: registered, %llu sends from "
		       "them\n", (unsigned long long)ss->fixed_sends);
	if (ds->drops)
		printf("capture: %llu drops, %llu bytes lost: the source found "
		       "no free buffer (buffers wait for the network; a "
		       "source with a rate drops rather than waits)\n",
		       (unsigned long long)ds->drops,
		       (unsigned long long)ds->bytes_dropped);
	else
		printf("capture: no drops\n");
	printf("latency capture to release: p50 %.3f ms, p99 %.3f ms, "
	       "max %.3f ms (%llu buffers)\n",
	       (double)fpgacap_pump_latency(r->pump, 50) / 1e6,
	       (double)fpgacap_pump_latency(r->pump, 99) / 1e6,
	       (double)ps->latency_max / 1e6,
	       (unsigned long long)ps->latency_samples);
	printf("cpu: user %.3f s, system %.3f s", (double)r->cpu_user / 1e9,
	       (double)r->cpu_sys / 1e9);
	if (retrans >= 0)
		printf("; TCP retransmits %lld", (long long)retrans);
	printf("\n");
	if (r->error)
		printf("error: %s\n", fpgacap_strerror(r->error));
	if (r->verdict == 0 && strstr(r->verdict_json, "\"verify\":\"none\""))
		printf("sink: received %llu bytes (it was not asked to check "
		       "them)\n", (unsigned long long)json_u64(r->verdict_json,
							      "bytes"));
	else if (r->verdict == 0 || r->verdict == 1)
		printf("sink: %s: %llu payload bytes checked, %llu frames, "
		       "%llu lost in %llu gaps reported by the capture side\n",
		       r->verdict ? "ERRORS" : "intact",
		       (unsigned long long)json_u64(r->verdict_json,
						    "payload_bytes"),
		       (unsigned long long)json_u64(r->verdict_json, "frames"),
		       (unsigned long long)json_u64(r->verdict_json,
						    "lost_bytes"),
		       (unsigned long long)json_u64(r->verdict_json,
						    "lost_events"));
	if (r->verdict == 1 && (hint = strstr(r->verdict_json, "\"hint\":\"")))
		printf("sink's hint: %.*s\n", (int)strcspn(hint + 8, "\""),
		       hint + 8);
	if (r->verdict < 0 && r->o->verdict)
		printf("sink: no verdict (%s%s)\n", r->verdict_json,
		       cli_stop ? "; the wait was cut short by the signal" : "");
}

static int report(struct run *r)
{
	struct fpgacap_sender_stats ss;
	struct fpgacap_pump_stats ps;
	struct fpgacap_stats ds;
	double secs = (double)(r->end_ns - r->start_ns) / 1e9;
	int64_t retrans = r->o->dest ? cli_tcp_retrans(r->fd) : -1;
	bool ok = run_ok(r);

	stats_now(r, &ss, &ps);
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
		json_end(r, &j, &ss, &ps, &ds, secs, retrans);
		cli_json_close(&j, '}');
	} else {
		text_end(r, &ss, &ps, &ds, secs, retrans);
		printf("verdict: %s\n", ok ? "OK" : "FAILED");
	}
	fflush(stdout);
	return ok ? 0 : 1;
}

/* What a failed configure means to a user. */
static const char *setup_hint(int err)
{
	switch (err) {
	case -EBUSY:
		return " (another program streams from this device)";
	case -EDQUOT:
		return " (fewer or smaller buffers, or raise max_pinned)";
	case -EOPNOTSUPP:
		return " (the source cannot: see its caps in fpgacap-ctl info)";
	default:
		return "";
	}
}

static int setup(struct run *r)
{
	struct stream_opts *o = r->o;
	struct fpgacap_sender_opts so = {
		.size = sizeof(so),
		.mode = o->mode,
		.copy_fallback_pct = o->fallback_pct,
		.datagram_size = o->datagram_size,
		.gso_segments = o->gso,
	};
	struct fpgacap_pump_opts po = {
		.size = sizeof(po),
		.framing = o->framing,
		.batch = o->batch,
		.max_bytes = o->bytes,
		.max_buffers = o->blocks,
		/* Short waits: -t and the interval reports stay on time. */
		.timeout_ns = 100000000,
		.send = &so,
	};
	struct fpgacap_config cfg = {
		.count = o->count,
		.flags = o->cfg_flags,
		.buffer_size = o->size,
		.rate = o->rate,
		.slot_size = o->slot_size,
		.slot_header = o->slot_header,
	};
	char err[300];
	int ret;

	ret = cli_open_device("fpgacap-stream", o->device,
			      o->cfg_flags & FPGACAP_CFG_WRITABLE ? O_RDWR : 0,
			      &r->dev, &r->info, r->path, sizeof(r->path));
	if (ret)
		return ret;
	if (o->slot_size && !(r->info.caps & FPGACAP_CAP_SLOTS))
		ret = -EOPNOTSUPP;
	if (!ret)
		ret = fpgacap_configure_pool(r->dev, &cfg);
	if (ret) {
		fprintf(stderr, "fpgacap-stream: %s: configure %u x %llu "
			"bytes: %s%s\n", r->path, o->count,
			(unsigned long long)o->size, fpgacap_strerror(ret),
			setup_hint(ret));
		return ret;
	}
	/* Only now, with the device ready, touch the destination. */
	if (o->file) {
		r->fd = open(o->file, O_WRONLY | O_CREAT | O_CLOEXEC |
			     (o->append ? O_APPEND : O_TRUNC), 0644);
		if (r->fd < 0) {
			ret = -errno;
			fprintf(stderr, "fpgacap-stream: %s: %s\n", o->file,
				strerror(errno));
			return ret;
		}
	} else if (o->udp) {
		ret = cli_open_datagram("fpgacap-stream", o->control, o->dest,
					30000, &r->ctl, &r->fd);
		if (ret)
			return ret;
	} else {
		r->fd = cli_connect(o->dest, err, sizeof(err));
		if (r->fd < 0) {
			fprintf(stderr, "fpgacap-stream: connect %s\n", err);
			return -ECONNREFUSED;
		}
	}
	so.fd = r->fd;
	ret = fpgacap_pump_create(r->dev, &po, &r->pump);
	if (!ret)
		ret = fpgacap_start(r->dev);
	if (ret)
		fprintf(stderr, "fpgacap-stream: start: %s%s\n",
			fpgacap_strerror(ret), ret == -EMSGSIZE && o->slot_size ?
			" (a slot is one datagram: it must fit the path's MTU "
			"whole, 1472 bytes over IPv4 and 1448 over IPv6 at MTU "
			"1500)" : "");
	return ret;
}

int main(int argc, char **argv)
{
	struct stream_opts o = { 0 };
	struct run r = { .o = &o, .fd = -1, .ctl = -1, .verdict = -1 };
	uint64_t u0, s0, u1, s1;
	int ret;

	parse_args(argc, argv, &o);
	cli_signals();
	cli_line_buffered();
	if (setup(&r)) {
		fpgacap_pump_destroy(r.pump);
		fpgacap_close(r.dev);
		if (r.fd >= 0)
			close(r.fd);
		if (r.ctl >= 0)
			close(r.ctl);
		return 1;
	}
	if (!o.json)
		printf("fpgacap-stream: %s (%s source %s) -> %s, %u x "
			"%llu KiB buffers%s\n", r.path, source_name(r.info.source),
			r.info.source_name, o.dest ? o.dest : o.file,
			fpgacap_layout(r.dev)->count,
			(unsigned long long)(fpgacap_layout(r.dev)->buffer_size >>
					     10), o.framing ? ", framed" : "");
	if (o.json && o.interval_ns) {
		r.ivf = open_memstream(&r.intervals, &r.intervals_len);
		if (r.ivf) {
			cli_json_init(&r.ivj, r.ivf);
			cli_json_open(&r.ivj, NULL, '[');
		}
	}
	cli_meter_init(&r.meter, o.quiet || o.json, o.interval_ns);
	cli_cpu_ns(&u0, &s0);
	r.start_ns = fc_now_ns();
	r.stopped_by = "the end of the stream";
	for (;;) {
		struct fpgacap_pump_stats ps = { .size = sizeof(ps) };

		if (cli_stop) {
			r.stopped_by = cli_signame(cli_stop);
			break;
		}
		ret = fpgacap_pump_step(r.pump);
		if (ret == 1) {
			if (o.bytes || o.blocks)
				r.stopped_by = "its limit (-b/-k)";
			break;
		}
		if (ret < 0 && ret != -EINTR) {
			r.error = ret;
			r.stopped_by = "an error";
			break;
		}
		fpgacap_pump_get_stats(r.pump, &ps);
		cli_meter_progress(&r.meter, ps.payload_bytes,
				   fpgacap_send_mode_name(o.mode));
		interval_report(&r);
		if (o.duration_ns && fc_now_ns() - r.start_ns >= o.duration_ns) {
			r.stopped_by = "its time (-t)";
			break;
		}
	}
	/* Every buffer back, released by the network first; on a signal,
	 * only briefly (a second signal ends even that). */
	ret = fpgacap_pump_finish(r.pump, cli_stop ? 300 : 30000);
	if (ret && !r.error && !cli_stop) {
		r.error = ret;
		fprintf(stderr, "fpgacap-stream: completions still missing: "
			"%s\n", fpgacap_strerror(ret));
	}
	/* The receiver learns how many datagrams there were. */
	if (o.udp && !r.error &&
	    (ret = fpgacap_sender_end_datagrams(fpgacap_pump_sender(r.pump)))) {
		r.error = ret;
		fprintf(stderr, "fpgacap-stream: END datagram: %s\n",
			fpgacap_strerror(ret));
	}
	cli_cpu_ns(&u1, &s1);
	r.end_ns = fc_now_ns();
	r.cpu_user = u1 - u0;
	r.cpu_sys = s1 - s0;
	fpgacap_stop(r.dev);
	cli_meter_done(&r.meter);
	if (o.json && r.ivf)
		cli_json_close(&r.ivj, ']');
	if (o.verdict && !r.error) {
		r.verdict = cli_read_verdict(r.ctl >= 0 ? r.ctl : r.fd,
					     r.verdict_json,
					     sizeof(r.verdict_json),
					     cli_stop ? 500 : 120000);
		if (r.verdict < 0)
			snprintf(r.verdict_json, sizeof(r.verdict_json), "%s",
				 fpgacap_strerror(r.verdict));
	}
	ret = report(&r);
	fpgacap_pump_destroy(r.pump);
	fpgacap_close(r.dev);
	close(r.fd);
	if (r.ctl >= 0)
		close(r.ctl);
	free(r.intervals);
	return ret;
}
