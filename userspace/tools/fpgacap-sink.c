// SPDX-License-Identifier: GPL-2.0
/*
 * fpgacap-sink: the PC side. Receives streams over TCP, checks them (the
 * pattern source's words, frame headers, gaps), reports throughput, and
 * optionally writes the bytes to a file.
 *
 * When the sender half-closes (shutdown(SHUT_WR)) the sink answers with one
 * line, "FPGACAP-VERDICT {json}", so a sender on an isolated board learns
 * whether what it sent arrived intact.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "libfpgacap.h"
#include "cli.h"

struct sink_opts {
	const char *listen;
	const char *port_file;
	const char *output;
	const char *log;
	enum fpgacap_verify_mode verify;
	unsigned int connections;	/* 0: forever */
	uint64_t rate;			/* read at most this many bytes/s */
	uint64_t close_after;		/* drop the connection after */
	unsigned int stall_ms;		/* stop reading once, this long */
	size_t read_size;
	bool json, quiet, stdio;
};

static void usage(FILE *f)
{
	fprintf(f,
"usage: fpgacap-sink [options]\n"
"Receive fpgacap streams over TCP, verify and measure them.\n"
"\n"
"  -l, --listen ADDR:PORT  where to listen (default 0.0.0.0:5555; port 0 picks one)\n"
"  -v, --verify MODE       none | pattern | framed | frames | auto (none)\n"
"  -n, --connections N     exit after N connections (default 0: forever)\n"
"  -o, --output FILE       append the received bytes to FILE\n"
"      --rate BYTES        read at most BYTES per second (a slow receiver)\n"
"      --close-after BYTES drop each connection after BYTES\n"
"      --stall MS          after the first bytes, read nothing for MS ms\n"
"                          (a receiver that stops: the sender's queue fills)\n"
"      --read-size BYTES   bytes per read (default 1M)\n"
"      --port-file FILE    write the port listened on to FILE\n"
"      --stdio             one connection on stdin/stdout (inetd style, or\n"
"                          QEMU's guestfwd=...-cmd:)\n"
"      --log FILE          append each connection's JSON result to FILE\n"
"  -j, --json              one JSON object per connection on stdout\n"
"  -q, --quiet             no progress line\n"
"  -h, --help              this text\n");
}

static int parse_args(int argc, char **argv, struct sink_opts *o)
{
	static const struct option longopts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "verify", required_argument, NULL, 'v' },
		{ "connections", required_argument, NULL, 'n' },
		{ "output", required_argument, NULL, 'o' },
		{ "rate", required_argument, NULL, 'r' },
		{ "close-after", required_argument, NULL, 'c' },
		{ "stall", required_argument, NULL, 'T' },
		{ "read-size", required_argument, NULL, 's' },
		{ "port-file", required_argument, NULL, 'p' },
		{ "stdio", no_argument, NULL, 'S' },
		{ "log", required_argument, NULL, 'L' },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t v;
	int c;

	o->listen = "0.0.0.0:5555";
	o->read_size = 1 << 20;
	while ((c = getopt_long(argc, argv, "l:v:n:o:jqh", longopts,
				NULL)) != -1) {
		switch (c) {
		case 'l': o->listen = optarg; break;
		case 'v':
			if (fpgacap_verify_mode_parse(optarg, &o->verify))
				goto bad;
			break;
		case 'n': o->connections = (unsigned int)atoi(optarg); break;
		case 'o': o->output = optarg; break;
		case 'r': if (cli_parse_size(optarg, &o->rate)) goto bad; break;
		case 'c':
			if (cli_parse_size(optarg, &o->close_after))
				goto bad;
			break;
		case 'T':
			if (cli_parse_size(optarg, &v) || v > 3600 * 1000)
				goto bad;
			o->stall_ms = (unsigned int)v;
			break;
		case 's':
			if (cli_parse_size(optarg, &v) || !v || v > (1 << 28))
				goto bad;
			o->read_size = v;
			break;
		case 'p': o->port_file = optarg; break;
		case 'S': o->stdio = true; break;
		case 'L': o->log = optarg; break;
		case 'j': o->json = true; break;
		case 'q': o->quiet = true; break;
		case 'h': usage(stdout); exit(0);
		default: goto bad;
		}
	}
	if (optind != argc)
		goto bad;
	return 0;
bad:
	if (optarg)
		fprintf(stderr, "fpgacap-sink: bad argument '%s'\n", optarg);
	usage(stderr);
	return -EINVAL;
}

static void format_result(char *buf, size_t len,
			  const struct fpgacap_verify_stats *st, double secs,
			  bool closed_early)
{
	snprintf(buf, len,
		 "{\"bytes\":%llu,\"payload_bytes\":%llu,\"frames\":%llu,"
		 "\"lost_events\":%llu,\"lost_bytes\":%llu,"
		 "\"sequence_errors\":%llu,\"offset_errors\":%llu,"
		 "\"header_errors\":%llu,\"data_errors\":%llu,"
		 "\"first_error_at\":%llu,\"truncated\":%s,\"ok\":%s,"
		 "\"closed_early\":%s,"
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
		 st->truncated ? "true" : "false", st->error ? "false" : "true", closed_early ? "true" : "false",
		 secs, secs > 0 ? st->bytes / 1e6 / secs : 0.0);
}

/* Receive one connection until EOF (or close-after); report. */
static int serve(const struct sink_opts *o, int in, int out, int file)
{
	struct fpgacap_verifier *v;
	struct fpgacap_verify_stats st;
	struct cli_progress prog;
	uint8_t *buf = malloc(o->read_size);
	uint64_t start = cli_now_ns(), got = 0;
	bool closed_early = false;
	char line[1024];
	int ret;

	if (!buf)
		return -ENOMEM;
	ret = fpgacap_verify_create(o->verify, &v);
	if (ret) {
		free(buf);
		return ret;
	}
	cli_progress_init(&prog, o->quiet || o->json);
	for (;;) {
		size_t want = o->read_size;
		ssize_t n;

		if (o->close_after) {
			if (got >= o->close_after) {
				closed_early = true;
				break;
			}
			if (want > o->close_after - got)
				want = o->close_after - got;
		}
		n = read(in, buf, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (!got && o->stall_ms) {
			struct timespec ts = {
				.tv_sec = o->stall_ms / 1000,
				.tv_nsec = (long)(o->stall_ms % 1000) * 1000000,
			};

			while (nanosleep(&ts, &ts) && errno == EINTR)
				;
		}
		got += n;
		fpgacap_verify_feed(v, buf, n);
		if (file >= 0 && write(file, buf, n) != n) {
			ret = -errno;
			break;
		}
		if (o->rate) {
			/* Pace reads: a slow PC, or a full disk. */
			uint64_t due = start + got * 1000000000ULL / o->rate;
			uint64_t now = cli_now_ns();

			if (due > now)
				usleep((useconds_t)((due - now) / 1000));
		}
		cli_progress(&prog, got, NULL);
	}
	cli_progress_done(&prog);
	fpgacap_verify_get_stats(v, &st);
	format_result(line, sizeof(line), &st,
		      (cli_now_ns() - start) / 1e9, closed_early);
	if (o->log) {
		FILE *f = fopen(o->log, "a");

		if (f) {
			fprintf(f, "%s\n", line);
			fclose(f);
		}
	}
	if (o->stdio) {
		/* stdout is the connection: say nothing there but the verdict. */
	} else if (o->json) {
		printf("%s\n", line);
	} else {
		printf("%llu bytes in %.3f s (%.1f MB/s): %llu frames, "
		       "%llu lost bytes in %llu gaps, %s\n",
		       (unsigned long long)st.bytes,
		       (cli_now_ns() - start) / 1e9,
		       st.bytes / 1e6 / ((cli_now_ns() - start) / 1e9 + 1e-9),
		       (unsigned long long)st.frames,
		       (unsigned long long)st.lost_bytes,
		       (unsigned long long)st.lost_events,
		       st.error ? "ERRORS" : "intact");
		if (st.error)
			printf("  sequence %llu, offset %llu, header %llu, "
			       "data %llu errors; first at byte %llu\n",
			       (unsigned long long)st.sequence_errors,
			       (unsigned long long)st.offset_errors,
			       (unsigned long long)st.header_errors,
			       (unsigned long long)st.data_errors,
			       (unsigned long long)st.first_error_at);
	}
	fflush(stdout);
	/* The sender half-closed and waits for our word on it. */
	if (!closed_early && out >= 0) {
		char verdict[1100];
		int len = snprintf(verdict, sizeof(verdict),
				   "FPGACAP-VERDICT %s\n", line);

		if (write(out, verdict, len) < 0) {
			/* The sender did not wait for it: fine. */
		}
	}
	fpgacap_verify_destroy(v);
	free(buf);
	return st.error ? 1 : ret;
}

static int listen_on(const char *spec, const char *port_file)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	char host[64];
	uint16_t port;
	int fd, one = 1;

	if (cli_parse_hostport(spec, host, sizeof(host), &port) ||
	    inet_pton(AF_INET, host, &sa.sin_addr) != 1)
		return -EINVAL;
	sa.sin_port = htons(port);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 8) ||
	    getsockname(fd, (struct sockaddr *)&sa, &len)) {
		int err = -errno;

		close(fd);
		return err;
	}
	if (port_file) {
		FILE *f = fopen(port_file, "w");

		if (!f) {
			close(fd);
			return -errno;
		}
		fprintf(f, "%u\n", ntohs(sa.sin_port));
		fclose(f);
	}
	return fd;
}

int main(int argc, char **argv)
{
	struct sink_opts o = { 0 };
	unsigned int served = 0;
	int lfd, file = -1, ret, failures = 0;

	if (parse_args(argc, argv, &o))
		return 2;
	signal(SIGPIPE, SIG_IGN);
	if (o.output) {
		file = open(o.output, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
			    0644);
		if (file < 0) {
			fprintf(stderr, "fpgacap-sink: %s: %s\n", o.output,
				strerror(errno));
			return 1;
		}
	}
	if (o.stdio)
		return serve(&o, STDIN_FILENO, STDOUT_FILENO, file) ? 1 : 0;

	lfd = listen_on(o.listen, o.port_file);
	if (lfd < 0) {
		fprintf(stderr, "fpgacap-sink: listen %s: %s\n", o.listen,
			fpgacap_strerror(lfd));
		return 1;
	}
	while (!o.connections || served < o.connections) {
		int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

		if (c < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "fpgacap-sink: accept: %s\n",
				strerror(errno));
			return 1;
		}
		ret = serve(&o, c, c, file);
		if (ret)
			failures++;
		close(c);
		served++;
	}
	close(lfd);
	if (file >= 0)
		close(file);
	return failures ? 1 : 0;
}
