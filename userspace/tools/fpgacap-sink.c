// SPDX-License-Identifier: MIT
/*
 * fpgacap-sink: the PC side. Receives streams over TCP (IPv4 or IPv6),
 * checks them (the pattern source's words, frame headers, gaps), reports
 * throughput, and optionally appends the bytes to a file.
 *
 * Datagram streams (--udp, or --frames: raw Ethernet frames from an
 * emulator's NIC, one per UDP datagram) are checked datagram by datagram:
 * loss, reordering and duplicates counted from each datagram's header.
 * With --control HOST:PORT (or --stdio) a TCP connection there controls
 * one stream: the
 * sink says "FPGACAP-READY" once it receives, and gives its verdict when
 * the sender half-closes. Without, a stream ends with its END datagram or
 * after --idle seconds of silence.
 *
 * When the sender half-closes (shutdown(SHUT_WR)) the sink answers with one
 * line, "FPGACAP-VERDICT {json}", so a sender on an isolated board learns
 * whether what it sent arrived intact. SIGINT or SIGTERM ends the current
 * connection with its summary, and the sink with a total.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "libfpgacap.h"
#include "cli.h"
#include "frames.h"

struct sink_opts {
	const char *listen;
	const char *port_file;
	const char *output;
	const char *log;
	enum fpgacap_verify_mode verify;
	uint64_t connections;		/* 0: until stopped */
	uint64_t rate;			/* read at most this many bytes/s */
	uint64_t close_after;		/* drop the connection after */
	uint64_t pause_ns;		/* stop reading once, this long */
	bool append;			/* -o: add to the file */
	uint64_t read_size;
	uint64_t interval_ns;
	bool json, quiet, stdio;
	/* datagram streams */
	const char *udp;		/* HOST:PORT to receive on */
	bool frames;			/* Ethernet frames, one per datagram */
	bool control;			/* a TCP connection controls a stream */
	const char *control_addr;	/* where those connections come */
	uint64_t udp_port;		/* --frames: the stream's port (0: any) */
	uint64_t idle_ns;		/* no control: a stream ends this idle */
};

static void usage(FILE *f)
{
	fprintf(f,
"usage: fpgacap-sink [options]\n"
"Receive fpgacap streams over TCP or UDP, verify and measure them.\n"
"\n"
"  -l, --listen HOST:PORT  where to listen (default *:5555: every IPv6 and\n"
"                          IPv4 address; [::1]:0 or 127.0.0.1:0 pick a port)\n"
"  -v, --verify MODE       none | pattern | framed | frames | auto (none):\n"
"                          pattern, framed and auto check the test pattern's\n"
"                          bytes; frames checks the frame headers of any\n"
"                          data (fpgacap-stream --framing)\n"
"  -n, --connections N     exit after N connections (default: until ^C)\n"
"  -o, --output FILE       write the received bytes to FILE, emptied first\n"
"      --append            -o: add to the file instead of emptying it\n"
"  -i, --interval SECONDS  report every SECONDS while receiving\n"
"      --rate BYTES        read at most BYTES per second (a slow receiver)\n"
"      --close-after BYTES drop each connection after BYTES\n"
"      --pause SECONDS     after the first bytes, read nothing for SECONDS\n"
"                          (a receiver that stops: the sender's queue fills)\n"
"      --read-size BYTES   bytes per read (default 1M)\n"
"      --port-file FILE    write the port listened on to FILE\n"
"      --stdio             one connection on stdin/stdout (inetd style, or\n"
"                          QEMU's guestfwd=...-cmd:)\n"
"      --log FILE          append each connection's JSON result to FILE\n"
"  -u, --udp HOST:PORT     receive datagram streams (fpgacap-stream --udp)\n"
"                          on this UDP address\n"
"      --frames HOST:PORT  receive raw Ethernet frames, one per UDP datagram\n"
"                          (QEMU's -netdev socket,udp=), and the datagram\n"
"                          stream in them\n"
"      --udp-port PORT     --frames: only UDP datagrams to PORT are the\n"
"                          stream's\n"
"      --control HOST:PORT datagrams: listen there for control connections\n"
"                          (fpgacap-stream --control), each for one stream:\n"
"                          READY, then the verdict when the sender\n"
"                          half-closes\n"
"      --idle SECONDS      datagrams without --control: a stream ends after\n"
"                          SECONDS without datagrams (default 2)\n"
"  -j, --json              a JSON document (start, intervals, end) per\n"
"                          connection on stdout\n"
"  -q, --quiet             no progress line\n"
"  -h, --help              this text\n"
"  -V, --version           the version\n"
"A verified stream that carries no payload fails. Exit status: 0 if every\n"
"connection passed, 1 if one failed, 2 for a usage error.\n");
}

enum { OPT_RATE = 256, OPT_CLOSE, OPT_PAUSE, OPT_READ, OPT_PORTFILE,
       OPT_STDIO, OPT_LOG, OPT_FRAMES, OPT_UDP_PORT, OPT_CONTROL,
       OPT_IDLE, OPT_APPEND };

static void parse_args(int argc, char **argv, struct sink_opts *o)
{
	static const struct option longopts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "verify", required_argument, NULL, 'v' },
		{ "connections", required_argument, NULL, 'n' },
		{ "output", required_argument, NULL, 'o' },
		{ "append", no_argument, NULL, OPT_APPEND },
		{ "interval", required_argument, NULL, 'i' },
		{ "rate", required_argument, NULL, OPT_RATE },
		{ "close-after", required_argument, NULL, OPT_CLOSE },
		{ "pause", required_argument, NULL, OPT_PAUSE },
		{ "read-size", required_argument, NULL, OPT_READ },
		{ "port-file", required_argument, NULL, OPT_PORTFILE },
		{ "stdio", no_argument, NULL, OPT_STDIO },
		{ "log", required_argument, NULL, OPT_LOG },
		{ "udp", required_argument, NULL, 'u' },
		{ "frames", required_argument, NULL, OPT_FRAMES },
		{ "udp-port", required_argument, NULL, OPT_UDP_PORT },
		{ "control", required_argument, NULL, OPT_CONTROL },
		{ "idle", required_argument, NULL, OPT_IDLE },
		CLI_OPTS_TAIL,
	};
	int c;

	o->listen = "*:5555";
	o->read_size = 1 << 20;
	o->idle_ns = 2000000000ULL;
	while ((c = getopt_long(argc, argv, "l:v:n:o:i:u:" CLI_SHORT_TAIL,
				longopts, NULL)) != -1) {
		switch (c) {
		case 'l':
			cli_check_hostport("--listen", optarg);
			o->listen = optarg;
			break;
		case 'v':
			if (fpgacap_verify_mode_parse(optarg, &o->verify))
				cli_bad_arg("--verify", optarg, "expected none, "
					    "pattern, framed, frames or auto");
			break;
		case 'n':
			o->connections = cli_opt_u64("--connections", optarg, 0,
						     1, UINT32_MAX);
			break;
		case 'o': o->output = optarg; break;
		case OPT_APPEND: o->append = true; break;
		case 'i':
			o->interval_ns = cli_opt_interval(optarg);
			break;
		case OPT_RATE:
			o->rate = cli_opt_u64("--rate", optarg, CLI_SUFFIX, 1,
					      1ULL << 40);
			break;
		case OPT_CLOSE:
			o->close_after = cli_opt_u64("--close-after", optarg,
						     CLI_SUFFIX, 1, UINT64_MAX);
			break;
		case OPT_PAUSE:
			o->pause_ns = cli_opt_seconds("--pause", optarg, 3600);
			if (!o->pause_ns)
				cli_bad_arg("--pause", optarg, "must be above 0");
			break;
		case OPT_READ:
			o->read_size = cli_opt_u64("--read-size", optarg,
						   CLI_SUFFIX, 1, 1 << 28);
			break;
		case OPT_PORTFILE: o->port_file = optarg; break;
		case OPT_STDIO: o->stdio = true; break;
		case OPT_LOG: o->log = optarg; break;
		case 'u':
			cli_check_hostport("--udp", optarg);
			o->udp = optarg;
			o->frames = false;
			break;
		case OPT_FRAMES:
			cli_check_hostport("--frames", optarg);
			o->udp = optarg;
			o->frames = true;
			break;
		case OPT_UDP_PORT:
			o->udp_port = cli_opt_u64("--udp-port", optarg, 0, 1,
						  65535);
			break;
		case OPT_CONTROL:
			/* The control connections' address: where they listen. */
			cli_check_hostport("--control", optarg);
			o->control = true;
			o->control_addr = optarg;
			break;
		case OPT_IDLE:
			o->idle_ns = cli_opt_seconds("--idle", optarg, 86400);
			if (!o->idle_ns)
				cli_bad_arg("--idle", optarg, "must be above 0");
			break;
		default: cli_common_opt(c, &o->json, &o->quiet, usage);
		}
	}
	if (optind != argc)
		cli_usage_error("unexpected '%s'", argv[optind]);
	if (!o->udp && (o->control || o->udp_port))
		cli_usage_error("--control and --udp-port need --udp or --frames");
	if (o->udp && (o->rate || o->close_after || o->pause_ns))
		cli_usage_error("--rate, --close-after and --pause are for TCP "
				"streams");
	if (o->append && !o->output)
		cli_usage_error("--append is for --output");
}

struct conn {
	const struct sink_opts *o;
	char peer[80];
	struct fpgacap_verifier *v;
	struct fpgacap_verify_stats st;
	struct cli_meter meter;
	FILE *ivf;
	char *intervals;
	size_t intervals_len;
	struct cli_json ivj;
	uint64_t start_ns, got;
	double secs;
	bool closed_early, eof;
	int error;			/* read or write failure */
	/* datagram streams */
	bool dgram;
	uint64_t frames_other, frames_fragment, frames_checksum,
		 frames_unfilled, frames_malformed, rx_dropped;
};

/* Failed: errors in what arrived; a cut made by our own signal is not. */
static bool conn_failed(const struct conn *c)
{
	const struct fpgacap_verify_stats *st = &c->st;

	if (c->error || c->frames_checksum || c->frames_malformed)
		return true;
	/* Stopped mid-stream: what arrived is judged, and a verified stream
	 * that carried no payload fails as at its end. */
	if (!c->eof && cli_stop)
		return st->sequence_errors || st->offset_errors ||
		       st->header_errors || st->data_errors || st->empty;
	return st->error;
}

/*
 * Bytes that are not the test pattern, under a mode that checks them: most
 * likely real data, for which only the frame headers can be checked.
 */
static const char *verify_hint(const struct fpgacap_verify_stats *st)
{
	if (!st->data_errors || (st->mode != FPGACAP_VERIFY_PATTERN &&
				 st->mode != FPGACAP_VERIFY_FRAMED))
		return NULL;
	return st->mode == FPGACAP_VERIFY_FRAMED ?
	       "the payload is not the test pattern: for real data, "
	       "--verify frames checks the frame headers only" :
	       "the bytes are not the test pattern: for real data, stream "
	       "with --framing and verify with --verify frames";
}

/* Replace the closing brace of @buf's JSON with @member and a brace. */
static void json_append(char *buf, size_t len, const char *member)
{
	size_t n = strlen(buf);

	if (n && n < len)
		snprintf(buf + n - 1, len - n + 1, ",%s}", member);
}

/* One line of flat JSON: the --log record and the verdict. */
static void format_result(char *buf, size_t len, const struct conn *c)
{
	const struct fpgacap_verify_stats *st = &c->st;
	const char *hint = verify_hint(st);
	char member[256];
	size_t n;

	snprintf(buf, len,
		 "{\"bytes\":%llu,\"payload_bytes\":%llu,\"frames\":%llu,"
		 "\"lost_events\":%llu,\"lost_bytes\":%llu,"
		 "\"sequence_errors\":%llu,\"offset_errors\":%llu,"
		 "\"header_errors\":%llu,\"data_errors\":%llu,"
		 "\"first_error_at\":%llu,\"truncated\":%s,\"empty\":%s,"
		 "\"verify\":\"%s\",\"ok\":%s,\"closed_early\":%s,"
		 "\"seconds\":%.6f,\"MBps\":%.3f}",
		 (unsigned long long)st->bytes,
		 (unsigned long long)st->payload_bytes,
		 (unsigned long long)st->frames,
		 (unsigned long long)st->lost_events,
		 (unsigned long long)st->lost_bytes,
		 (unsigned long long)st->sequence_errors,
		 (unsigned long long)st->offset_errors,
		 (unsigned long long)st->header_errors,
		 (unsigned long long)st->data_errors,
		 (unsigned long long)st->first_error_at,
		 st->truncated ? "true" : "false",
		 st->empty ? "true" : "false",
		 fpgacap_verify_mode_name(st->mode),
		 conn_failed(c) ? "false" : "true",
		 c->closed_early ? "true" : "false", c->secs,
		 c->secs > 0 ? (double)st->bytes / 1e6 / c->secs : 0.0);
	if (hint) {
		snprintf(member, sizeof(member), "\"hint\":\"%s\"", hint);
		json_append(buf, len, member);
	}
	if (!c->dgram)
		return;
	/* Replace the closing brace: datagram figures follow. */
	n = strlen(buf);
	if (n && n < len)
		snprintf(buf + n - 1, len - n + 1,
			 ",\"datagrams\":%llu,\"lost_datagrams\":%llu,"
			 "\"reordered\":%llu,\"duplicates\":%llu,"
			 "\"ended\":%s,\"rx_dropped\":%llu,"
			 "\"frames_other\":%llu,\"frames_fragment\":%llu,"
			 "\"frames_bad_checksum\":%llu,"
			 "\"frames_csum_unfilled\":%llu,"
			 "\"frames_malformed\":%llu}",
			 (unsigned long long)st->datagrams,
			 (unsigned long long)st->lost_datagrams,
			 (unsigned long long)st->reordered,
			 (unsigned long long)st->duplicates,
			 st->ended ? "true" : "false",
			 (unsigned long long)c->rx_dropped,
			 (unsigned long long)c->frames_other,
			 (unsigned long long)c->frames_fragment,
			 (unsigned long long)c->frames_checksum,
			 (unsigned long long)c->frames_unfilled,
			 (unsigned long long)c->frames_malformed);
}

static void interval_report(struct conn *c)
{
	uint64_t bytes;
	double from, to;

	if (!cli_meter_due(&c->meter, c->got, &from, &to, &bytes))
		return;
	if (c->o->json) {
		if (!c->ivf)
			return;
		cli_json_open(&c->ivj, NULL, '{');
		cli_json_dbl(&c->ivj, "start", from);
		cli_json_dbl(&c->ivj, "end", to);
		cli_json_u64(&c->ivj, "bytes", bytes);
		cli_json_dbl(&c->ivj, "MBps", (double)bytes / 1e6 / (to - from));
		cli_json_close(&c->ivj, '}');
	} else if (!c->o->stdio) {
		printf("[%6.1f-%6.1f s] %10.1f MB %8.1f MB/s\n", from, to,
		       (double)bytes / 1e6, (double)bytes / 1e6 / (to - from));
		fflush(stdout);
	}
}

/* Sleep @ns unless a stop comes. */
static void pause_ns(uint64_t ns)
{
	struct timespec ts = {
		.tv_sec = (time_t)(ns / 1000000000ULL),
		.tv_nsec = (long)(ns % 1000000000ULL),
	};

	while (!cli_stop && nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* Read until EOF, close-after, an error or a stop. */
static void receive(struct conn *c, int in, int file, uint8_t *buf)
{
	const struct sink_opts *o = c->o;

	while (!cli_stop) {
		struct pollfd pfd = { .fd = in, .events = POLLIN };
		size_t want = o->read_size;
		ssize_t n;

		if (o->close_after) {
			if (c->got >= o->close_after) {
				c->closed_early = true;
				return;
			}
			if (want > o->close_after - c->got)
				want = o->close_after - c->got;
		}
		/* A bounded wait: a stop is seen within 0.2 s. */
		if (poll(&pfd, 1, 200) <= 0) {
			interval_report(c);
			continue;
		}
		n = read(in, buf, want);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0) {
			c->error = -errno;
			return;
		}
		if (!n) {
			c->eof = true;
			return;
		}
		if (!c->got && o->pause_ns)
			pause_ns(o->pause_ns);
		c->got += (uint64_t)n;
		fpgacap_verify_feed(c->v, buf, (size_t)n);
		if (file >= 0) {
			int ret = cli_write_all(file, buf, (size_t)n);

			if (ret) {
				c->error = ret;
				fprintf(stderr, "fpgacap-sink: %s: %s\n",
					o->output, fpgacap_strerror(ret));
				return;
			}
		}
		if (o->rate) {
			/* Pace reads: a slow PC, or a full disk. */
			uint64_t due = c->start_ns + c->got * 1000000000ULL /
				       o->rate;
			uint64_t now = fc_now_ns();

			if (due > now)
				pause_ns(due - now);
		}
		cli_meter_progress(&c->meter, c->got, NULL);
		interval_report(c);
	}
}

static void print_text(const struct conn *c)
{
	const struct fpgacap_verify_stats *st = &c->st;

	printf("%s: %llu bytes in %.3f s (%.1f MB/s)", c->peer,
	       (unsigned long long)st->bytes, c->secs,
	       c->secs > 0 ? (double)st->bytes / 1e6 / c->secs : 0.0);
	if (st->mode != FPGACAP_VERIFY_NONE)
		printf(", %s check: %llu payload bytes, %llu frames; capture "
		       "side reported %llu bytes lost in %llu gaps",
		       fpgacap_verify_mode_name(st->mode),
		       (unsigned long long)st->payload_bytes,
		       (unsigned long long)st->frames,
		       (unsigned long long)st->lost_bytes,
		       (unsigned long long)st->lost_events);
	if (!c->eof && cli_stop)
		printf("; stopped by %s", cli_signame(cli_stop));
	if (c->closed_early)
		printf("; closed after %llu bytes (--close-after)",
		       (unsigned long long)c->got);
	printf(": %s\n", conn_failed(c) ? "FAILED" :
	       st->mode == FPGACAP_VERIFY_NONE ? "received (not checked)" :
	       "intact");
	if (c->dgram)
		printf("  %llu datagrams, %llu lost, %llu reordered, %llu "
		       "duplicates%s; %llu dropped by this host's socket; frames "
		       "not ours %llu, fragments %llu, bad checksums %llu, "
		       "malformed %llu\n", (unsigned long long)st->datagrams,
		       (unsigned long long)st->lost_datagrams,
		       (unsigned long long)st->reordered,
		       (unsigned long long)st->duplicates,
		       st->ended ? "" : " (no END datagram: loss at the end "
		       "is not counted)", (unsigned long long)c->rx_dropped,
		       (unsigned long long)c->frames_other,
		       (unsigned long long)c->frames_fragment,
		       (unsigned long long)c->frames_checksum,
		       (unsigned long long)c->frames_malformed);
	if (st->error && conn_failed(c))
		printf("  %llu sequence, %llu offset, %llu header, %llu data "
		       "errors%s%s; first at byte %llu\n",
		       (unsigned long long)st->sequence_errors,
		       (unsigned long long)st->offset_errors,
		       (unsigned long long)st->header_errors,
		       (unsigned long long)st->data_errors,
		       st->truncated ? "; ends inside a frame or word" : "",
		       st->empty ? "; no payload arrived" : "",
		       (unsigned long long)st->first_error_at);
	if (verify_hint(st) && conn_failed(c))
		printf("  hint: %s\n", verify_hint(st));
}

static void print_json(struct conn *c, const char *result)
{
	struct cli_json j;

	cli_json_init(&j, stdout);
	cli_json_open(&j, NULL, '{');
	cli_json_open(&j, "start", '{');
	cli_json_str(&j, "tool", "fpgacap-sink");
	cli_json_str(&j, "peer", c->peer);
	cli_json_str(&j, "verify", fpgacap_verify_mode_name(c->o->verify));
	cli_json_close(&j, '}');
	if (c->ivf) {
		cli_json_close(&c->ivj, ']');
		fclose(c->ivf);
		c->ivf = NULL;
	}
	cli_json_raw(&j, "intervals", c->intervals ? c->intervals : "[]");
	cli_json_raw(&j, "end", result);
	cli_json_close(&j, '}');
}

/*
 * A stream's end: its line to the --log file, the summary, and the verdict
 * to @out if the sender half-closed and waits for it. 0 passed, 1 failed.
 */
static int report_result(struct conn *c, const char *line, int out)
{
	const struct sink_opts *o = c->o;

	if (o->log) {
		FILE *f = fopen(o->log, "a");

		if (f) {
			fprintf(f, "%s\n", line);
			fclose(f);
		}
	}
	/* With --stdio, stdout is the connection: nothing but the verdict. */
	if (o->json && !o->stdio)
		print_json(c, line);
	else if (!o->stdio)
		print_text(c);
	fflush(stdout);
	/* The sender half-closed and waits for our word on it. */
	if (c->eof && out >= 0) {
		char verdict[2100];
		int len = snprintf(verdict, sizeof(verdict),
				   "FPGACAP-VERDICT %s\n", line);

		/* The sender may not wait for it: that is fine. */
		cli_write_all(out, verdict, (size_t)len);
	}
	return conn_failed(c) ? 1 : 0;
}

/* Receive one connection; report. 0 passed, 1 failed, -errno. */
static int serve(const struct sink_opts *o, int in, int out, int file)
{
	struct conn c = { .o = o };
	uint8_t *buf = malloc(o->read_size);
	char line[1024];
	int ret;

	if (!buf)
		return -ENOMEM;
	ret = fpgacap_verify_create(o->verify, &c.v);
	if (ret) {
		free(buf);
		return ret;
	}
	if (o->stdio)
		snprintf(c.peer, sizeof(c.peer), "stdin");
	else
		cli_sockname(in, true, c.peer, sizeof(c.peer));
	if (o->json && o->interval_ns) {
		c.ivf = open_memstream(&c.intervals, &c.intervals_len);
		if (c.ivf) {
			cli_json_init(&c.ivj, c.ivf);
			cli_json_open(&c.ivj, NULL, '[');
		}
	}
	cli_meter_init(&c.meter, o->quiet || o->json || o->stdio,
		       o->interval_ns);
	c.start_ns = fc_now_ns();
	receive(&c, in, file, buf);
	cli_meter_done(&c.meter);
	c.secs = (double)(fc_now_ns() - c.start_ns) / 1e9;
	c.st.size = sizeof(c.st);
	fpgacap_verify_get_stats(c.v, &c.st);
	format_result(line, sizeof(line), &c);
	ret = report_result(&c, line, out);
	if (c.ivf)
		fclose(c.ivf);
	free(c.intervals);
	fpgacap_verify_destroy(c.v);
	free(buf);
	return ret;
}

/* ---- datagram streams ---- */

#define DG_BATCH 32
#define DG_SLOT 65536

struct dgram_rx {
	int fd;
	uint8_t *buf;			/* DG_BATCH slots of DG_SLOT bytes */
	struct mmsghdr msgs[DG_BATCH];
	struct iovec iov[DG_BATCH];
	char ctrl[DG_BATCH][CMSG_SPACE(sizeof(uint32_t))];
	uint32_t drops, drops_base;	/* the socket's drop counter */
};

static int dgram_rx_init(struct dgram_rx *rx, int fd)
{
	int one = 1, size = 64 << 20;

	memset(rx, 0, sizeof(*rx));
	rx->fd = fd;
	rx->buf = malloc((size_t)DG_BATCH * DG_SLOT);
	if (!rx->buf)
		return -ENOMEM;
	/* Room for bursts: FORCE past rmem_max when we may. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	/* Every datagram says how many the socket dropped so far. */
	setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one));
	return 0;
}

/* One datagram that arrived: to the verifier, and the file. */
static void dgram_one(struct conn *c, const uint8_t *p, size_t len, int file)
{
	const struct sink_opts *o = c->o;

	if (o->frames) {
		struct frame_udp f;

		switch (frame_udp_payload(p, len, &f)) {
		case FRAME_CSUM_UNFILLED:
			c->frames_unfilled++;
			/* fall through */
		case FRAME_UDP:
			if (o->udp_port && f.dst_port != o->udp_port) {
				c->frames_other++;
				return;
			}
			p = f.payload;
			len = f.len;
			break;
		case FRAME_OTHER:
			c->frames_other++;
			return;
		case FRAME_FRAGMENT:
			c->frames_fragment++;
			return;
		case FRAME_BAD_CHECKSUM:
			c->frames_checksum++;
			return;
		default:
			c->frames_malformed++;
			return;
		}
	}
	if (!c->got)
		c->start_ns = fc_now_ns();
	c->got += len;
	fpgacap_verify_datagram(c->v, p, len);
	if (file >= 0 && !c->error) {
		int ret = cli_write_all(file, p, len);

		if (ret) {
			c->error = ret;
			fprintf(stderr, "fpgacap-sink: %s: %s\n", o->output,
				fpgacap_strerror(ret));
		}
	}
}

/* Everything queued on the socket now; how many datagrams, or -errno. */
static int dgram_drain(struct conn *c, struct dgram_rx *rx, int file,
		       bool keep)
{
	int total = 0, n, i;

	do {
		for (i = 0; i < DG_BATCH; i++) {
			rx->iov[i].iov_base = rx->buf + (size_t)i * DG_SLOT;
			rx->iov[i].iov_len = DG_SLOT;
			memset(&rx->msgs[i], 0, sizeof(rx->msgs[i]));
			rx->msgs[i].msg_hdr.msg_iov = &rx->iov[i];
			rx->msgs[i].msg_hdr.msg_iovlen = 1;
			rx->msgs[i].msg_hdr.msg_control = rx->ctrl[i];
			rx->msgs[i].msg_hdr.msg_controllen = sizeof(rx->ctrl[i]);
		}
		n = recvmmsg(rx->fd, rx->msgs, DG_BATCH, MSG_DONTWAIT, NULL);
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? total : -errno;
		for (i = 0; i < n; i++) {
			struct cmsghdr *cm = CMSG_FIRSTHDR(&rx->msgs[i].msg_hdr);

			for (; cm; cm = CMSG_NXTHDR(&rx->msgs[i].msg_hdr, cm))
				if (cm->cmsg_level == SOL_SOCKET &&
				    cm->cmsg_type == SO_RXQ_OVFL)
					memcpy(&rx->drops, CMSG_DATA(cm),
					       sizeof(rx->drops));
			if (keep)
				dgram_one(c, rx->iov[i].iov_base,
					  rx->msgs[i].msg_len, file);
		}
		total += n;
	} while (n == DG_BATCH);
	return total;
}

/*
 * One datagram stream. @in/@out: its control connection (-1: none), which
 * hears READY once we receive, and the verdict once it half-closes.
 * @first: no stream came before this one. 0 passed, 1 failed, 2 no stream
 * (stopped while waiting for a later one), -errno.
 */
static int serve_datagrams(const struct sink_opts *o, struct dgram_rx *rx,
			   int in, int out, int file, bool first)
{
	static const char ready[] = "FPGACAP-READY\n";
	struct conn c = { .o = o, .dgram = true };
	uint64_t last = 0, quiet_since = 0;
	char line[2048];
	int ret;

	ret = fpgacap_verify_create(o->verify, &c.v);
	if (ret)
		return ret;
	cli_sockname(rx->fd, false, c.peer, sizeof(c.peer));
	/* Left over from before this stream: not its own. */
	dgram_drain(&c, rx, -1, false);
	rx->drops_base = rx->drops;
	if (out >= 0 && cli_write_all(out, ready, sizeof(ready) - 1))
		c.error = -EPIPE;
	cli_meter_init(&c.meter, o->quiet || o->json || o->stdio,
		       o->interval_ns);
	c.start_ns = fc_now_ns();
	while (!cli_stop && !c.error) {
		struct pollfd pfd[2] = {
			{ .fd = rx->fd, .events = POLLIN },
			{ .fd = in, .events = POLLIN },
		};
		uint64_t now;
		int n;

		/* Closed control: what is queued is all there is. */
		poll(pfd, in >= 0 && !c.eof ? 2 : 1, c.eof ? 20 : 200);
		n = dgram_drain(&c, rx, file, true);
		if (n < 0) {
			c.error = n;
			break;
		}
		now = fc_now_ns();
		if (n)
			last = now;
		if (in >= 0 && !c.eof && (pfd[1].revents & (POLLIN | POLLHUP))) {
			char b[256];
			ssize_t r = read(in, b, sizeof(b));

			if (r == 0 || (r < 0 && errno != EINTR &&
				       errno != EAGAIN)) {
				c.eof = true;
				quiet_since = now;
			}
		}
		if (c.eof) {
			/* Datagrams may trail the half-close a little. */
			if (n)
				quiet_since = now;
			else if (now - quiet_since >= 200000000ULL)
				break;
		} else if (in < 0 && c.got &&
			   (c.st.size = sizeof(c.st),
			    fpgacap_verify_get_stats(c.v, &c.st), c.st.ended)) {
			c.eof = true;
			quiet_since = now;
		} else if (in < 0 && c.got && now - last >= o->idle_ns) {
			break;
		}
		cli_meter_progress(&c.meter, c.got, NULL);
		interval_report(&c);
	}
	cli_meter_done(&c.meter);
	/*
	 * Without a control connection a stream begins with its first
	 * datagram: a stop before one came ends the wait for the next
	 * stream, which is no stream. When none came at all, this is the
	 * stream the sink was started for, and an empty one fails.
	 */
	if (in < 0 && !c.got && !c.error && !first) {
		fpgacap_verify_destroy(c.v);
		return 2;
	}
	c.secs = (double)((last ? last : fc_now_ns()) - c.start_ns) / 1e9;
	c.rx_dropped = rx->drops - rx->drops_base;
	/* The only stream: free the port before the sender hears the
	 * verdict, so that the next stream's sink can take it. */
	if (o->stdio) {
		close(rx->fd);
		rx->fd = -1;
	}
	c.st.size = sizeof(c.st);
	fpgacap_verify_get_stats(c.v, &c.st);
	format_result(line, sizeof(line), &c);
	ret = report_result(&c, line, out);
	fpgacap_verify_destroy(c.v);
	return ret;
}

/* The port @fd is bound to, a line of @f. */
static void print_port(FILE *f, int fd)
{
	char addr[80], *colon;

	cli_sockname(fd, false, addr, sizeof(addr));
	colon = strrchr(addr, ':');
	fprintf(f, "%s\n", colon ? colon + 1 : addr);
}

/* @fd's port, and @fd2's on a second line if there is one. */
static int write_port(const char *path, int fd, int fd2)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -errno;
	print_port(f, fd);
	if (fd2 >= 0)
		print_port(f, fd2);
	return fclose(f) ? -errno : 0;
}

/*
 * The next connection on @lfd, waiting at most 200 ms: its descriptor,
 * -EAGAIN to look again (nothing yet, or interrupted), or -errno, said.
 */
static int accept_next(int lfd)
{
	struct pollfd pfd = { .fd = lfd, .events = POLLIN };
	int c;

	if (poll(&pfd, 1, 200) <= 0)
		return -EAGAIN;
	c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (c >= 0)
		return c;
	if (errno == EINTR || errno == ECONNABORTED)
		return -EAGAIN;
	fprintf(stderr, "fpgacap-sink: accept: %s\n", strerror(errno));
	return -errno;
}

/* Datagram streams, one after another, until -n or a stop. */
static int main_datagrams(const struct sink_opts *o, int lfd, int file)
{
	uint64_t served = 0, failed = 0;
	struct dgram_rx rx;
	char err[300], addr[80];
	int ufd, ret;

	ufd = cli_bind_udp(o->udp, err, sizeof(err));
	if (ufd < 0) {
		fprintf(stderr, "fpgacap-sink: %s\n", err);
		return 1;
	}
	ret = dgram_rx_init(&rx, ufd);
	if (ret) {
		close(ufd);
		return 1;
	}
	if (o->port_file && (ret = write_port(o->port_file, ufd, lfd))) {
		fprintf(stderr, "fpgacap-sink: %s: %s\n", o->port_file,
			strerror(-ret));
		return 1;
	}
	if (o->stdio) {
		ret = serve_datagrams(o, &rx, STDIN_FILENO, STDOUT_FILENO, file,
				      true);
		free(rx.buf);
		return ret ? 1 : 0;
	}
	if (!o->quiet && !o->json) {
		cli_sockname(ufd, false, addr, sizeof(addr));
		fprintf(stderr, "fpgacap-sink: receiving %s on %s, verify %s\n",
			o->frames ? "frames" : "datagrams", addr,
			fpgacap_verify_mode_name(o->verify));
	}
	while (!cli_stop && (!o->connections || served < o->connections)) {
		int c = -1;

		if (lfd >= 0) {
			c = accept_next(lfd);
			if (c == -EAGAIN)
				continue;
			if (c < 0) {
				failed++;
				break;
			}
		}
		ret = serve_datagrams(o, &rx, c, c, file, !served);
		if (c >= 0)
			close(c);
		if (ret == 2)
			break;
		if (ret)
			failed++;
		served++;
	}
	if (cli_stop)
		printf(o->json ? "{\"stopped_by\":\"%s\",\"streams\":%llu,"
		       "\"failed\":%llu}\n" : "fpgacap-sink: stopped by %s after "
		       "%llu streams, %llu failed\n", cli_signame(cli_stop),
		       (unsigned long long)served, (unsigned long long)failed);
	free(rx.buf);
	close(ufd);
	return failed ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct sink_opts o = { 0 };
	uint64_t served = 0, failed = 0;
	char err[300], addr[80];
	int lfd, file = -1, ret;

	parse_args(argc, argv, &o);
	cli_signals();
	cli_line_buffered();
	/* Datagrams without a control connection listen for none. */
	if (o.stdio || (o.udp && !o.control)) {
		lfd = -1;
	} else {
		lfd = cli_listen(o.control ? o.control_addr : o.listen, 8, err,
				 sizeof(err));
		if (lfd < 0) {
			fprintf(stderr, "fpgacap-sink: listen %s\n", err);
			return 1;
		}
		if (!o.udp && o.port_file &&
		    (ret = write_port(o.port_file, lfd, -1))) {
			fprintf(stderr, "fpgacap-sink: %s: %s\n", o.port_file,
				strerror(-ret));
			return 1;
		}
	}
	/* Only once listening works: the output file. */
	if (o.output) {
		file = open(o.output, O_WRONLY | O_CREAT | O_CLOEXEC |
			    (o.append ? O_APPEND : O_TRUNC), 0644);
		if (file < 0) {
			fprintf(stderr, "fpgacap-sink: %s: %s\n", o.output,
				strerror(errno));
			return 1;
		}
	}
	if (o.udp) {
		ret = main_datagrams(&o, lfd, file);
		if (lfd >= 0)
			close(lfd);
		if (file >= 0 && close(file)) {
			fprintf(stderr, "fpgacap-sink: %s: %s\n", o.output,
				strerror(errno));
			ret = 1;
		}
		return ret;
	}
	if (o.stdio) {
		ret = serve(&o, STDIN_FILENO, STDOUT_FILENO, file);
		return ret ? 1 : 0;
	}
	if (!o.quiet && !o.json) {
		cli_sockname(lfd, false, addr, sizeof(addr));
		fprintf(stderr, "fpgacap-sink: listening on %s, verify %s\n",
			addr, fpgacap_verify_mode_name(o.verify));
	}
	while (!cli_stop && (!o.connections || served < o.connections)) {
		int c = accept_next(lfd);

		if (c == -EAGAIN)
			continue;
		if (c < 0) {
			failed++;
			break;
		}
		ret = serve(&o, c, c, file);
		if (ret)
			failed++;
		close(c);
		served++;
	}
	if (cli_stop && o.json)
		printf("{\"stopped_by\":\"%s\",\"connections\":%llu,"
		       "\"failed\":%llu}\n", cli_signame(cli_stop),
		       (unsigned long long)served, (unsigned long long)failed);
	else if (cli_stop)
		printf("fpgacap-sink: stopped by %s after %llu connections, "
		       "%llu failed\n", cli_signame(cli_stop),
		       (unsigned long long)served, (unsigned long long)failed);
	close(lfd);
	if (file >= 0 && close(file)) {
		fprintf(stderr, "fpgacap-sink: %s: %s\n", o.output,
			strerror(errno));
		failed++;
	}
	return failed ? 1 : 0;
}
