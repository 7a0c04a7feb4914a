// SPDX-License-Identifier: MIT
/* What the command-line tools and the bench share (see cli.h). */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli.h"
#include "libfpgacap.h"

#ifndef FPGACAP_VERSION
#error "FPGACAP_VERSION: the tools are built by userspace/Makefile, from VERSION"
#endif

/* ---- numbers ---- */

static int digit_value(char c, unsigned int base)
{
	unsigned int d;

	if (c >= '0' && c <= '9')
		d = (unsigned int)(c - '0');
	else if (c >= 'a' && c <= 'f')
		d = (unsigned int)(c - 'a') + 10;
	else if (c >= 'A' && c <= 'F')
		d = (unsigned int)(c - 'A') + 10;
	else
		return -1;
	return d < base ? (int)d : -1;
}

/* K, M, G, T with an optional "iB" or "B": the shift, or -1. */
static int suffix_shift(const char **p)
{
	static const char units[] = "KMGT";
	char c = (char)(**p & ~0x20);
	const char *u = c ? strchr(units, c) : NULL;
	const char *s = *p;

	if (!u)
		return -1;
	s++;
	if (*s == 'i' && s[1] == 'B')
		s += 2;
	else if (*s == 'B')
		s++;
	*p = s;
	return 10 * (int)(u - units + 1);
}

int cli_parse_u64(const char *s, unsigned int flags, uint64_t min,
		  uint64_t max, uint64_t *out)
{
	unsigned int base = 10;
	uint64_t v = 0;
	bool overflow = false;
	int d, shift;

	if (!s || !*s)
		return -EINVAL;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (digit_value(*s, base) < 0)
		return -EINVAL;
	for (; (d = digit_value(*s, base)) >= 0; s++) {
		if (v > (UINT64_MAX - (unsigned int)d) / base)
			overflow = true;
		v = v * base + (unsigned int)d;
	}
	if (*s && (flags & CLI_SUFFIX)) {
		shift = suffix_shift(&s);
		if (shift < 0)
			return -EINVAL;
		if (v > UINT64_MAX >> shift)
			overflow = true;
		v <<= shift;
	}
	if (*s)
		return -EINVAL;
	if (overflow || v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int cli_parse_seconds(const char *s, uint64_t max_s, uint64_t *out_ns)
{
	uint64_t whole = 0, frac = 0, scale = 100000000ULL;
	bool digits = false;

	if (!s)
		return -EINVAL;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (whole > max_s)
			return -ERANGE;
		whole = whole * 10 + (uint64_t)(*s - '0');
		digits = true;
	}
	if (*s == '.') {
		for (s++; *s >= '0' && *s <= '9'; s++) {
			frac += (uint64_t)(*s - '0') * scale;
			scale /= 10;
			digits = true;
		}
	}
	if (!digits || *s)
		return -EINVAL;
	if (whole > max_s || (whole == max_s && frac))
		return -ERANGE;
	*out_ns = whole * 1000000000ULL + frac;
	return 0;
}

/* 1073741824 as "1G", 4096 as "4K", other numbers as they are. */
static void format_size(char *buf, size_t len, uint64_t v, bool suffix)
{
	static const char units[] = "KMGT";
	int i = -1;

	while (suffix && v && !(v & 1023) && i < 3) {
		v >>= 10;
		i++;
	}
	if (i >= 0)
		snprintf(buf, len, "%llu%c", (unsigned long long)v, units[i]);
	else
		snprintf(buf, len, "%llu", (unsigned long long)v);
}

void cli_bad_arg(const char *opt, const char *arg, const char *why)
{
	fprintf(stderr, "%s: %s '%s': %s (see --help)\n",
		program_invocation_short_name, opt, arg, why);
	exit(2);
}

uint64_t cli_opt_u64(const char *opt, const char *arg, unsigned int flags,
		     uint64_t min, uint64_t max)
{
	char lo[32], hi[32], why[160];
	bool sfx = flags & CLI_SUFFIX;
	uint64_t v;
	int ret = cli_parse_u64(arg, flags, min, max, &v);

	if (!ret)
		return v;
	format_size(lo, sizeof(lo), min, sfx);
	format_size(hi, sizeof(hi), max, sfx);
	snprintf(why, sizeof(why), "%s (expected %s %s..%s)",
		 ret == -ERANGE ? "out of range" : "not a number",
		 sfx ? "a size such as 4096, 64K or 1M, in" :
		       "a whole number in", lo, hi);
	cli_bad_arg(opt, arg, why);
}

uint64_t cli_opt_seconds(const char *opt, const char *arg, uint64_t max_s)
{
	char why[128];
	uint64_t v;
	int ret = cli_parse_seconds(arg, max_s, &v);

	if (!ret)
		return v;
	snprintf(why, sizeof(why), "%s (expected seconds such as 10 or 0.5, "
		 "at most %llu)", ret == -ERANGE ? "out of range" :
		 "not a number", (unsigned long long)max_s);
	cli_bad_arg(opt, arg, why);
}

uint64_t cli_opt_interval(const char *arg)
{
	uint64_t ns = cli_opt_seconds("--interval", arg, 86400);

	if (ns < 100000000)
		cli_bad_arg("--interval", arg, "at least 0.1 s");
	return ns;
}

uint64_t cli_opt_time(const char *arg)
{
	uint64_t ns = cli_opt_seconds("--time", arg, 100000000);

	if (!ns)
		cli_bad_arg("--time", arg, "must be above 0");
	return ns;
}

void cli_print_version(void)
{
	unsigned int v = fpgacap_version();

	printf("%s (fpgacap) %s\n", program_invocation_short_name,
	       FPGACAP_VERSION);
	printf("libfpgacap %u.%u at run time\n", v >> 16, v & 0xffff);
}

void cli_usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", program_invocation_short_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s --help' for the options.\n",
		program_invocation_short_name);
	exit(2);
}

void cli_common_opt(int c, bool *json, bool *quiet, void (*usage)(FILE *))
{
	switch (c) {
	case 'j':
	case 'J':
		*json = true;
		return;
	case 'q':
		if (quiet) {
			*quiet = true;
			return;
		}
		break;
	case 'h':
		usage(stdout);
		exit(0);
	case 'V':
		cli_print_version();
		exit(0);
	}
	/* getopt said what it did not like; nothing more than where to look. */
	fprintf(stderr, "Try '%s --help' for the options.\n",
		program_invocation_short_name);
	exit(2);
}

void cli_check_hostport(const char *opt, const char *arg)
{
	char host[256], port[16];
	uint64_t p;

	if (cli_split_hostport(arg, host, sizeof(host), port, sizeof(port)))
		cli_bad_arg(opt, arg, "not HOST:PORT or [IPV6]:PORT");
	if (cli_parse_u64(port, 0, 0, 65535, &p))
		cli_bad_arg(opt, arg, "the port is not a number 0..65535");
}

/* ---- the device ---- */

int cli_open_device(const char *prog, const char *path, int flags,
		    struct fpgacap **dev, struct fpgacap_info *info,
		    char *used, size_t usedlen)
{
	struct fpgacap_info scratch;
	char found[1024];
	int ret;

	*dev = NULL;
	if (!path) {
		ret = fpgacap_find_device(found, sizeof(found));
		if (ret == -ENOENT) {
			fprintf(stderr, "%s: no fpgacap device (nothing in "
				"/sys/class/fpgacap): is the module loaded? "
				"Without an FPGA design: insmod fpgacap.ko "
				"pattern_devices=1\n", prog);
			return ret;
		}
		if (ret == -ENOTUNIQ) {
			fprintf(stderr, "%s: several devices: %s; name one "
				"with -d\n", prog, found);
			return ret;
		}
		if (ret) {
			fprintf(stderr, "%s: looking for a device: %s\n",
				prog, fpgacap_strerror(ret));
			return ret;
		}
		path = found;
	}
	snprintf(used, usedlen, "%s", path);
	ret = fpgacap_open(path, flags, dev);
	if (!ret)
		ret = fpgacap_get_info(*dev, info ? info : &scratch);
	if (!ret)
		return 0;
	fpgacap_close(*dev);
	*dev = NULL;
	switch (ret) {
	case -ENOENT:
	case -ENXIO:
	case -ENODEV: {
		int n = fpgacap_find_device(found, sizeof(found));

		fprintf(stderr, "%s: %s: %s; %s%s\n", prog, path,
			fpgacap_strerror(ret),
			n == -ENOENT ? "there is no fpgacap device (is the "
				       "module loaded?)" :
			n == 0 || n == -ENOTUNIQ ? "the devices: " : "",
			n == 0 || n == -ENOTUNIQ ? found : "");
		break;
	}
	case -EACCES:
	case -EPERM:
		fprintf(stderr, "%s: %s: %s (the udev rule gives group "
			"fpgacap access: usermod -aG fpgacap $USER, then log "
			"in again)\n", prog, path, fpgacap_strerror(ret));
		break;
	default:
		fprintf(stderr, "%s: %s: %s\n", prog, path,
			fpgacap_strerror(ret));
	}
	return ret;
}

/* ---- addresses ---- */

int cli_split_hostport(const char *s, char *host, size_t hostlen,
		       char *port, size_t portlen)
{
	const char *colon, *h = s;
	size_t n;

	if (*s == '[') {
		const char *end = strchr(s, ']');

		if (!end || end[1] != ':')
			return -EINVAL;
		h = s + 1;
		n = (size_t)(end - h);
		colon = end + 1;
	} else {
		colon = strchr(s, ':');
		/* Two colons without brackets: an IPv6 address, no port. */
		if (!colon || strchr(colon + 1, ':'))
			return -EINVAL;
		n = (size_t)(colon - s);
	}
	if (n >= hostlen || strlen(colon + 1) >= portlen || !colon[1])
		return -EINVAL;
	memcpy(host, h, n);
	host[n] = 0;
	strcpy(port, colon + 1);
	return 0;
}

/* Numeric first: no resolver (nor NSS in a static binary) for those. */
static int resolve(const char *host, const char *port, bool passive,
		   int socktype, struct addrinfo **res, char *err,
		   size_t errlen)
{
	struct addrinfo hints = {
		.ai_socktype = socktype,
		.ai_flags = AI_NUMERICSERV | AI_NUMERICHOST |
			    (passive ? AI_PASSIVE : 0),
	};
	uint64_t p;
	int ret;

	if (cli_parse_u64(port, 0, 0, 65535, &p)) {
		snprintf(err, errlen, "port '%s' is not a number 0..65535",
			 port);
		return -1;
	}
	ret = getaddrinfo(host, port, &hints, res);
	if (ret == EAI_NONAME && host) {
		hints.ai_flags &= ~AI_NUMERICHOST;
		ret = getaddrinfo(host, port, &hints, res);
	}
	if (ret) {
		snprintf(err, errlen, "%s: %s", host ? host : "*",
			 ret == EAI_SYSTEM ? strerror(errno) :
			 gai_strerror(ret));
		return -1;
	}
	return 0;
}

static int connect_type(const char *hostport, int socktype, char *err,
			size_t errlen)
{
	char host[256], port[16];
	struct addrinfo *res, *ai;
	int fd = -1, e = 0;

	if (cli_split_hostport(hostport, host, sizeof(host), port,
			       sizeof(port))) {
		snprintf(err, errlen, "'%s' is not HOST:PORT or [IPV6]:PORT",
			 hostport);
		return -1;
	}
	if (resolve(host, port, false, socktype, &res, err, errlen))
		return -1;
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
			    ai->ai_protocol);
		if (fd < 0) {
			e = errno;
			continue;
		}
		if (!connect(fd, ai->ai_addr, ai->ai_addrlen))
			break;
		e = errno;
		close(fd);
		fd = -1;
		if (e == EINTR)
			break;
	}
	freeaddrinfo(res);
	if (fd < 0)
		snprintf(err, errlen, "%s: %s", hostport, strerror(e));
	return fd;
}

int cli_connect(const char *hostport, char *err, size_t errlen)
{
	return connect_type(hostport, SOCK_STREAM, err, errlen);
}

int cli_connect_udp(const char *hostport, char *err, size_t errlen)
{
	return connect_type(hostport, SOCK_DGRAM, err, errlen);
}

/* Bound (and for TCP, listening) on @hostport; see cli_listen(). */
static int bind_type(const char *hostport, int socktype, int backlog,
		     char *err, size_t errlen)
{
	char host[256], port[16];
	struct addrinfo *res, *ai;
	bool any;
	int fd = -1, e = 0, one = 1, zero = 0;

	if (cli_split_hostport(hostport, host, sizeof(host), port,
			       sizeof(port))) {
		snprintf(err, errlen, "'%s' is not HOST:PORT or [IPV6]:PORT",
			 hostport);
		return -1;
	}
	any = !host[0] || !strcmp(host, "*");
	if (resolve(any ? NULL : host, port, true, socktype, &res, err,
		    errlen))
		return -1;
	/* The wildcard: IPv6 first, taking IPv4 too (V6ONLY off). */
	for (int pass = 0; pass < 2 && fd < 0; pass++) {
		for (ai = res; ai; ai = ai->ai_next) {
			if (any && (ai->ai_family == AF_INET6) != !pass)
				continue;
			fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
				    ai->ai_protocol);
			if (fd < 0) {
				e = errno;
				continue;
			}
			setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
				   sizeof(one));
			if (ai->ai_family == AF_INET6 && any)
				setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY,
					   &zero, sizeof(zero));
			if (!bind(fd, ai->ai_addr, ai->ai_addrlen) &&
			    (socktype != SOCK_STREAM || !listen(fd, backlog)))
				break;
			e = errno;
			close(fd);
			fd = -1;
		}
		if (!any)
			break;
	}
	freeaddrinfo(res);
	if (fd < 0)
		snprintf(err, errlen, "%s: %s", hostport, strerror(e));
	return fd;
}

int cli_listen(const char *hostport, int backlog, char *err, size_t errlen)
{
	return bind_type(hostport, SOCK_STREAM, backlog, err, errlen);
}

int cli_bind_udp(const char *hostport, char *err, size_t errlen)
{
	return bind_type(hostport, SOCK_DGRAM, 0, err, errlen);
}

void cli_sockname(int fd, bool peer, char *buf, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char h[INET6_ADDRSTRLEN + 8], p[8];
	int ret;

	ret = peer ? getpeername(fd, (struct sockaddr *)&ss, &sl) :
		     getsockname(fd, (struct sockaddr *)&ss, &sl);
	if (ret || getnameinfo((struct sockaddr *)&ss, sl, h, sizeof(h), p,
			       sizeof(p), NI_NUMERICHOST | NI_NUMERICSERV)) {
		snprintf(buf, len, "?");
		return;
	}
	if (ss.ss_family == AF_INET6 && strncmp(h, "::ffff:", 7))
		snprintf(buf, len, "[%s]:%s", h, p);
	else
		snprintf(buf, len, "%s:%s",
			 strncmp(h, "::ffff:", 7) ? h : h + 7, p);
}

/* ---- signals ---- */

volatile sig_atomic_t cli_stop;

static void on_stop(int sig)
{
	cli_stop = sig;
}

void cli_signals(void)
{
	struct sigaction sa = { .sa_handler = on_stop };	/* no SA_RESTART */
	struct sigaction ign = { .sa_handler = SIG_IGN };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigemptyset(&ign.sa_mask);
	sigaction(SIGPIPE, &ign, NULL);
}

const char *cli_signame(int sig)
{
	return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" :
	       "a signal";
}

void cli_line_buffered(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
}

int cli_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR && !cli_stop)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* ---- a sink's words: READY and the verdict ---- */

/* A line from @fd into @out (without its newline), waiting up to
 * @timeout_ms in all (< 0: as long as it takes); a signal ends the wait.
 * 0, or -errno. */
static int read_line(int fd, char *out, size_t len, int timeout_ms)
{
	uint64_t end = fc_now_ns() + (uint64_t)(timeout_ms < 0 ? 0 :
						timeout_ms) * 1000000ULL;
	size_t got = 0;
	char *nl;

	out[0] = 0;
	while (got + 1 < len && !strchr(out, '\n')) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		uint64_t now = fc_now_ns();
		ssize_t n;
		int ret;

		if (timeout_ms >= 0 && now >= end)
			return -ETIMEDOUT;
		ret = poll(&pfd, 1, timeout_ms < 0 ? -1 :
			   (int)((end - now) / 1000000 + 1));
		if (ret < 0)
			return -errno;
		if (!ret)
			continue;
		n = read(fd, out + got, len - 1 - got);
		if (n < 0)
			return -errno;
		if (!n)
			break;
		got += (size_t)n;
		out[got] = 0;
	}
	nl = strchr(out, '\n');
	if (nl)
		*nl = 0;
	return 0;
}

int cli_wait_ready(int fd, int timeout_ms)
{
	char line[64];
	int ret = read_line(fd, line, sizeof(line), timeout_ms);

	if (ret)
		return ret;
	return strcmp(line, "FPGACAP-READY") ? -EPROTO : 0;
}

int cli_open_datagram(const char *prog, const char *control, const char *dest,
		      int timeout_ms, int *ctl, int *fd)
{
	char err[300];
	int ret;

	*ctl = *fd = -1;
	/* The sink receives before the first datagram goes out. */
	if (control) {
		*ctl = cli_connect(control, err, sizeof(err));
		if (*ctl < 0) {
			fprintf(stderr, "%s: control %s\n", prog, err);
			return -ECONNREFUSED;
		}
		ret = cli_wait_ready(*ctl, timeout_ms);
		if (ret) {
			fprintf(stderr, "%s: control %s: no FPGACAP-READY: %s\n",
				prog, control, strerror(-ret));
			return ret;
		}
	}
	*fd = cli_connect_udp(dest, err, sizeof(err));
	if (*fd < 0) {
		fprintf(stderr, "%s: udp %s\n", prog, err);
		return -ECONNREFUSED;
	}
	return 0;
}

int cli_read_verdict(int fd, char *out, size_t len, int timeout_ms)
{
	int ret;

	if (shutdown(fd, SHUT_WR))
		return -errno;
	ret = read_line(fd, out, len, timeout_ms);
	if (ret)
		return ret;
	if (strncmp(out, "FPGACAP-VERDICT ", 16))
		return -EPROTO;
	memmove(out, out + 16, strlen(out + 16) + 1);
	return strstr(out, "\"ok\":true") ? 0 : 1;
}

/* ---- CPU and TCP ---- */

void cli_cpu_ns(uint64_t *user, uint64_t *sys)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	*user = (uint64_t)ru.ru_utime.tv_sec * 1000000000ULL +
		(uint64_t)ru.ru_utime.tv_usec * 1000ULL;
	*sys = (uint64_t)ru.ru_stime.tv_sec * 1000000000ULL +
	       (uint64_t)ru.ru_stime.tv_usec * 1000ULL;
}

int64_t cli_tcp_retrans(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len))
		return -1;
	return ti.tcpi_total_retrans;
}

/* ---- progress and intervals ---- */

void cli_meter_init(struct cli_meter *m, bool quiet, uint64_t interval_ns)
{
	memset(m, 0, sizeof(*m));
	m->tty = !quiet && isatty(STDERR_FILENO);
	m->start_ns = fc_now_ns();
	m->progress_ns = m->start_ns;
	m->last_ns = m->start_ns;
	m->interval_ns = interval_ns;
	m->next_ns = m->start_ns + interval_ns;
}

void cli_meter_progress(struct cli_meter *m, uint64_t bytes,
			const char *extra)
{
	uint64_t now = fc_now_ns();
	double s;

	if (!m->tty || now - m->progress_ns < 1000000000ULL)
		return;
	m->progress_ns = now;
	m->progress_shown = true;
	s = (double)(now - m->start_ns) / 1e9;
	fprintf(stderr, "\r%8.1f s %10.1f MB %8.1f MB/s %s\033[K", s,
		(double)bytes / 1e6, (double)bytes / 1e6 / s,
		extra ? extra : "");
}

bool cli_meter_due(struct cli_meter *m, uint64_t bytes, double *from,
		   double *to, uint64_t *delta)
{
	uint64_t now = fc_now_ns();

	if (!m->interval_ns || now < m->next_ns)
		return false;
	*from = (double)(m->last_ns - m->start_ns) / 1e9;
	*to = (double)(now - m->start_ns) / 1e9;
	*delta = bytes - m->last_bytes;
	m->last_bytes = bytes;
	m->last_ns = now;
	while (m->next_ns <= now)
		m->next_ns += m->interval_ns;
	if (m->progress_shown) {
		fputs("\r\033[K", stderr);
		m->progress_shown = false;
	}
	return true;
}

void cli_meter_done(struct cli_meter *m)
{
	if (m->progress_shown)
		fputs("\r\033[K", stderr);
	m->progress_shown = false;
}

/* ---- JSON ---- */

void cli_json_init(struct cli_json *j, FILE *f)
{
	memset(j, 0, sizeof(*j));
	j->f = f;
	j->first[0] = true;
}

static void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void json_member(struct cli_json *j, const char *key)
{
	if (!j->first[j->depth])
		fputc(',', j->f);
	j->first[j->depth] = false;
	if (key) {
		json_string(j->f, key);
		fputc(':', j->f);
	}
}

void cli_json_open(struct cli_json *j, const char *key, char bracket)
{
	json_member(j, key);
	fputc(bracket, j->f);
	if (j->depth < 15)
		j->depth++;
	j->first[j->depth] = true;
}

void cli_json_close(struct cli_json *j, char bracket)
{
	if (j->depth)
		j->depth--;
	fputc(bracket, j->f);
	if (!j->depth)
		fputc('\n', j->f);
}

void cli_json_u64(struct cli_json *j, const char *key, uint64_t v)
{
	json_member(j, key);
	fprintf(j->f, "%llu", (unsigned long long)v);
}

void cli_json_i64(struct cli_json *j, const char *key, int64_t v)
{
	json_member(j, key);
	fprintf(j->f, "%lld", (long long)v);
}

void cli_json_dbl(struct cli_json *j, const char *key, double v)
{
	json_member(j, key);
	if (isfinite(v))
		fprintf(j->f, "%.6f", v);
	else
		fputs("null", j->f);
}

void cli_json_str(struct cli_json *j, const char *key, const char *v)
{
	json_member(j, key);
	json_string(j->f, v ? v : "");
}

void cli_json_bool(struct cli_json *j, const char *key, bool v)
{
	json_member(j, key);
	fputs(v ? "true" : "false", j->f);
}

void cli_json_raw(struct cli_json *j, const char *key, const char *json)
{
	json_member(j, key);
	fputs(json, j->f);
}
