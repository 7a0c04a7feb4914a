// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

int cli_parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	uint64_t mul = 1;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return -EINVAL;
	switch (*end) {
	case 'k': case 'K': mul = 1ULL << 10; end++; break;
	case 'm': case 'M': mul = 1ULL << 20; end++; break;
	case 'g': case 'G': mul = 1ULL << 30; end++; break;
	default: break;
	}
	if (*end == 'i')
		end++;
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end || (v && mul > UINT64_MAX / v))
		return -EINVAL;
	*out = v * mul;
	return 0;
}

int cli_parse_seconds(const char *s, uint64_t *out_ns)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || v < 0 || v > 1e9)
		return -EINVAL;
	*out_ns = (uint64_t)(v * 1e9);
	return 0;
}

uint64_t cli_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int cli_parse_hostport(const char *s, char *host, size_t hostlen,
		       uint16_t *port)
{
	const char *colon = strrchr(s, ':');
	char *end;
	unsigned long p;

	if (!colon || (size_t)(colon - s) >= hostlen)
		return -EINVAL;
	memcpy(host, s, colon - s);
	host[colon - s] = 0;
	p = strtoul(colon + 1, &end, 10);
	if (*end || end == colon + 1 || p > 65535)
		return -EINVAL;
	*port = (uint16_t)p;
	return 0;
}

/* Numeric addresses only: no resolver, so no traffic a board should not
 * make, and static binaries stay free of NSS. */
int cli_connect(const char *hostport)
{
	struct sockaddr_in6 sa6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in sa4 = { .sin_family = AF_INET };
	struct sockaddr *sa;
	socklen_t len;
	char host[256];
	uint16_t port;
	int fd, ret;

	if (cli_parse_hostport(hostport, host, sizeof(host), &port))
		return -EINVAL;
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = 0;
	}
	if (inet_pton(AF_INET, host, &sa4.sin_addr) == 1) {
		sa4.sin_port = htons(port);
		sa = (struct sockaddr *)&sa4;
		len = sizeof(sa4);
	} else if (inet_pton(AF_INET6, host, &sa6.sin6_addr) == 1) {
		sa6.sin6_port = htons(port);
		sa = (struct sockaddr *)&sa6;
		len = sizeof(sa6);
	} else {
		return -EINVAL;
	}
	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, sa, len)) {
		ret = -errno;
		close(fd);
		return ret;
	}
	return fd;
}

void cli_progress_init(struct cli_progress *p, bool quiet)
{
	p->tty = !quiet && isatty(STDERR_FILENO);
	p->start_ns = cli_now_ns();
	p->last_ns = p->start_ns;
}

void cli_progress(struct cli_progress *p, uint64_t bytes, const char *extra)
{
	uint64_t now = cli_now_ns();
	double s;

	if (!p->tty || now - p->last_ns < 1000000000ULL)
		return;
	p->last_ns = now;
	s = (now - p->start_ns) / 1e9;
	fprintf(stderr, "\r%8.1f s %10.1f MB %8.1f MB/s %s\033[K", s,
		bytes / 1e6, bytes / 1e6 / s, extra ? extra : "");
}

void cli_progress_done(struct cli_progress *p)
{
	if (p->tty && p->last_ns != p->start_ns)
		fputc('\n', stderr);
}

void cli_cpu_ns(uint64_t *user, uint64_t *sys)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	*user = ru.ru_utime.tv_sec * 1000000000ULL + ru.ru_utime.tv_usec * 1000ULL;
	*sys = ru.ru_stime.tv_sec * 1000000000ULL + ru.ru_stime.tv_usec * 1000ULL;
}
