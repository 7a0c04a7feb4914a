/* SPDX-License-Identifier: MIT */
/* What the command-line tools and the bench share. */
#ifndef FPGACAP_CLI_H
#define FPGACAP_CLI_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "clock.h"

/* ---- numbers: strict, with clear errors ---- */

#define CLI_SUFFIX 0x1U		/* K, M, G, T: powers of 1024 (KiB etc. too) */

/*
 * A whole decimal number (0x... hexadecimal too) in [min, max], with a
 * suffix if @flags has CLI_SUFFIX. No sign, no spaces, nothing after it.
 * 0, -EINVAL (not such a number) or -ERANGE (outside [min, max], overflow).
 */
int cli_parse_u64(const char *s, unsigned int flags, uint64_t min,
		  uint64_t max, uint64_t *out);
/* Seconds as "10", "2.5" or "0.25" (no sign, exponent, nan or inf), up to
 * @max_s; nanoseconds out. 0, -EINVAL or -ERANGE. */
int cli_parse_seconds(const char *s, uint64_t max_s, uint64_t *out_ns);
/* The same for an option's argument: on error, say why and exit(2). */
uint64_t cli_opt_u64(const char *opt, const char *arg, unsigned int flags,
		     uint64_t min, uint64_t max);
uint64_t cli_opt_seconds(const char *opt, const char *arg, uint64_t max_s);
/* -i: seconds between reports, 0.1 s to a day. */
uint64_t cli_opt_interval(const char *arg);
/* -t: seconds to run, above 0. */
uint64_t cli_opt_time(const char *arg);
/* An option's argument is wrong in some other way: say so, exit(2). */
void cli_bad_arg(const char *opt, const char *arg, const char *why)
	__attribute__((noreturn));

/*
 * The options the tools spell alike, ending a getopt_long() table
 * (docs/options.md): --json (-j, and iperf3's -J), --quiet, --help,
 * --version. The short options string includes CLI_SHORT_TAIL.
 */
#define CLI_OPTS_TAIL \
	{ "json", no_argument, NULL, 'j' }, \
	{ "quiet", no_argument, NULL, 'q' }, \
	{ "help", no_argument, NULL, 'h' }, \
	{ "version", no_argument, NULL, 'V' }, \
	{ NULL, 0, NULL, 0 }
#define CLI_SHORT_TAIL "jJqhV"

/*
 * The default of a getopt switch: the CLI_OPTS_TAIL options set *json and
 * *quiet, or print @usage or the version and exit(0); anything else is a
 * usage error: one line saying where to look, exit 2 (getopt has said
 * what was wrong). @quiet may be NULL for a tool without a progress line.
 */
void cli_common_opt(int c, bool *json, bool *quiet, void (*usage)(FILE *));
/* A usage error the tool found itself: "PROG: @fmt", the --help line,
 * exit(2). */
void cli_usage_error(const char *fmt, ...)
	__attribute__((noreturn, format(printf, 1, 2)));
/* --version: the tool, the project's version, the library's at run time. */
void cli_print_version(void);

/*
 * A HOST:PORT argument checked as the option is parsed, before any device
 * or socket: its form ([IPV6]:PORT too) and a port 0..65535 (names are
 * resolved when used). Exits 2 with the option's name otherwise.
 */
void cli_check_hostport(const char *opt, const char *arg);

/* ---- the device ---- */

/*
 * Open @path, or with NULL the device fpgacap_find_device() finds, and
 * read its INFO into @info (when not NULL). Every error is said on stderr
 * after @prog, naming the node, with the nodes there are where that helps
 * (none, several, a wrong name). The node used goes to @used. 0 or -errno.
 */
struct fpgacap;
struct fpgacap_info;
int cli_open_device(const char *prog, const char *path, int flags,
		    struct fpgacap **dev, struct fpgacap_info *info,
		    char *used, size_t usedlen);

/* ---- addresses: names, IPv4, IPv6 ---- */

/* "host:port", "[v6addr]:port", "v6addr" is not accepted (ambiguous). */
int cli_split_hostport(const char *s, char *host, size_t hostlen,
		       char *port, size_t portlen);
/* A connected TCP socket, or -1 with the reason in @err. */
int cli_connect(const char *hostport, char *err, size_t errlen);
/* A listening TCP socket; host "" or "*" is every address (IPv6 and IPv4
 * where the system has IPv6). -1 with the reason in @err. */
int cli_listen(const char *hostport, int backlog, char *err, size_t errlen);
/* A connected UDP socket, or -1 with the reason in @err. */
int cli_connect_udp(const char *hostport, char *err, size_t errlen);
/* A UDP socket bound as cli_listen() binds; -1 with the reason. */
int cli_bind_udp(const char *hostport, char *err, size_t errlen);
/* The socket's bound or peer address as text. */
void cli_sockname(int fd, bool peer, char *buf, size_t len);

/* ---- signals ---- */

/* The signal that asked us to stop (SIGINT, SIGTERM), or 0. */
extern volatile sig_atomic_t cli_stop;
/*
 * SIGINT and SIGTERM set cli_stop, installed without SA_RESTART so that a
 * blocking call returns EINTR; SIGPIPE is ignored (sends say EPIPE).
 */
void cli_signals(void);
const char *cli_signame(int sig);
/* stdout a line at a time, also into a pipe: reports show as they come. */
void cli_line_buffered(void);

/* ---- writing everything ---- */

/* write() until done; 0 or -errno (EINTR is retried only if !cli_stop). */
int cli_write_all(int fd, const void *buf, size_t len);

/* ---- a sink's words on its connection ---- */

/*
 * Wait up to @timeout_ms for the sink's "FPGACAP-READY" line (a datagram
 * stream's control connection). 0, -ETIMEDOUT, -EPROTO or -errno. Here
 * and below, @timeout_ms < 0 waits as long as it takes: what a guest under
 * QEMU's -icount sleep=off must do, where a timeout elapses at once while
 * the guest idles, waiting for its host.
 */
int cli_wait_ready(int fd, int timeout_ms);
/*
 * A datagram stream's sockets: with @control, connect it and wait
 * @timeout_ms for the sink's READY (*@ctl, else -1), then a UDP socket
 * connected to @dest (*@fd). 0, or -errno with the reason printed after
 * @prog on stderr; *@ctl may be open on failure (the caller closes it).
 */
int cli_open_datagram(const char *prog, const char *control, const char *dest,
		      int timeout_ms, int *ctl, int *fd);
/*
 * Half-close, then read "FPGACAP-VERDICT {json}" from the sink into @out
 * (the JSON), waiting up to @timeout_ms (a signal ends the wait).
 * 0 intact, 1 not, -errno.
 */
int cli_read_verdict(int fd, char *out, size_t len, int timeout_ms);

/* ---- CPU and TCP ---- */

void cli_cpu_ns(uint64_t *user, uint64_t *sys);
/* Segments TCP retransmitted on @fd so far (TCP_INFO); -1 if not TCP. */
int64_t cli_tcp_retrans(int fd);

/* ---- progress and intervals ---- */

/*
 * A progress line on stderr, at most once a second, only on a TTY; and,
 * with an interval, a report every interval_ns (cli_meter_due()).
 */
struct cli_meter {
	bool tty;
	uint64_t start_ns, progress_ns;	/* start, last progress line */
	uint64_t interval_ns;		/* 0: no interval reports */
	uint64_t next_ns;		/* end of the current interval */
	uint64_t last_bytes, last_ns;	/* at the previous report */
	bool progress_shown;
};

void cli_meter_init(struct cli_meter *m, bool quiet, uint64_t interval_ns);
void cli_meter_progress(struct cli_meter *m, uint64_t bytes,
			const char *extra);
/* True when an interval ended: [*from, *to) seconds since start, and the
 * bytes of that interval; the meter moves on. */
bool cli_meter_due(struct cli_meter *m, uint64_t bytes, double *from,
		   double *to, uint64_t *delta);
void cli_meter_done(struct cli_meter *m);

/* ---- JSON ---- */

/*
 * A small JSON writer with commas and nesting handled: cli_json_key()
 * starts a member, the value functions write one value. Text is escaped.
 */
struct cli_json {
	FILE *f;
	int depth;
	bool first[16];
	bool after_key;
};

void cli_json_init(struct cli_json *j, FILE *f);
void cli_json_open(struct cli_json *j, const char *key, char bracket);
void cli_json_close(struct cli_json *j, char bracket);
void cli_json_u64(struct cli_json *j, const char *key, uint64_t v);
void cli_json_i64(struct cli_json *j, const char *key, int64_t v);
void cli_json_dbl(struct cli_json *j, const char *key, double v);
void cli_json_str(struct cli_json *j, const char *key, const char *v);
void cli_json_bool(struct cli_json *j, const char *key, bool v);
/* A value that already is JSON text. */
void cli_json_raw(struct cli_json *j, const char *key, const char *json);

#endif /* FPGACAP_CLI_H */
