// SPDX-License-Identifier: GPL-2.0-only
/*
 * iiod_peer: a client of fpgacap-iiod that runs inside the guest, for what
 * a client on the host cannot do through QEMU's user networking (which
 * answers for a host socket that went away, and adds its own latency).
 * Built static by tests/iiod/iiod_test.py for the target and put in the
 * guest's /bin; run by tests/guest/job-iiod.sh.
 *
 *   iiod_peer vanish PORT DEVICE MASK
 *	OPEN DEVICE with MASK, read one READBUF of 4 KiB (so that the
 *	session holds pool buffers), then leave without a word: the socket
 *	is closed in TCP repair mode (no FIN, no reset). Only the server's
 *	keepalive can find out, when its probe meets no socket here.
 *   iiod_peer latency PORT[,PORT2] DEVICE ATTR COUNT
 *	COUNT attribute reads one after the other on one connection; prints
 *	the median, 90th and 99th percentiles and the largest round trip in
 *	microseconds. With PORT2, COUNT reads on each of two connections,
 *	taking turns, so a burst of host load slows both alike; a line for
 *	each, PORT's first.
 *   iiod_peer echo PORT
 *	The floor under those figures: a server on PORT (every address)
 *	that answers each line at once with a fixed attribute reply ("2",
 *	"8" and its NUL, as fpgacap-iiod answers READ guest sample_size),
 *	in one send with TCP_NODELAY, one connection at a time, until
 *	killed. The same round trips against it measure what the kernel's
 *	TCP and the emulator cost without the server.
 *
 * Exit 0 on success, 1 on a failure (said on stderr; a connect, send or
 * reply that takes more than 10 s is one), 2 on bad usage.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/* How long a connect, a send or a reply may take: a failure, said so. */
#define IO_TIMEOUT_S 10

/* A connection to the server, with what it sent that was not read yet. */
struct peer {
	int fd;
	char pending[8192];
	size_t n;
};

static void dial(struct peer *c, const char *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct timeval tv = { .tv_sec = IO_TIMEOUT_S };
	char *end;
	long p = strtol(port, &end, 10);
	int fd;

	if (*end || p <= 0 || p > 65535) {
		fprintf(stderr, "iiod_peer: bad port %s\n", port);
		exit(2);
	}
	sa.sin_port = htons((uint16_t)p);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	/* Never waits for ever: a connect and a send (SNDTIMEO), a read. */
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv))) {
		perror("iiod_peer: socket");
		exit(1);
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		if (errno == EINPROGRESS || errno == EAGAIN)
			fprintf(stderr, "iiod_peer: connect to port %ld: no "
				"answer within %d s\n", p, IO_TIMEOUT_S);
		else
			perror("iiod_peer: connect");
		exit(1);
	}
	c->fd = fd;
	c->n = 0;
}

static void say(int fd, const char *s)
{
	size_t len = strlen(s);

	ssize_t n = write(fd, s, len);

	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
		fprintf(stderr, "iiod_peer: send: not taken within %d s\n",
			IO_TIMEOUT_S);
		exit(1);
	}
	if (n != (ssize_t)len) {
		perror("iiod_peer: write");
		exit(1);
	}
}

/* More of @c's replies into its pending bytes. */
static void read_more(struct peer *c)
{
	ssize_t n;

	if (c->n == sizeof(c->pending)) {
		fprintf(stderr, "iiod_peer: reply too long\n");
		exit(1);
	}
	n = read(c->fd, c->pending + c->n, sizeof(c->pending) - c->n);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
		fprintf(stderr, "iiod_peer: no reply within %d s\n",
			IO_TIMEOUT_S);
		exit(1);
	}
	if (n <= 0) {
		fprintf(stderr, "iiod_peer: connection ended\n");
		exit(1);
	}
	c->n += (size_t)n;
}

/* One reply line (without its newline) into @buf; the rest is kept. */
static void read_line(struct peer *c, char *buf, size_t len)
{
	for (;;) {
		char *nl = memchr(c->pending, '\n', c->n);

		if (nl) {
			size_t k = (size_t)(nl - c->pending);

			if (k >= len)
				k = len - 1;
			memcpy(buf, c->pending, k);
			buf[k] = 0;
			c->n -= (size_t)(nl - c->pending) + 1;
			memmove(c->pending, nl + 1, c->n);
			return;
		}
		read_more(c);
	}
}

/* @len bytes of a reply, dropped. */
static void read_bytes(struct peer *c, size_t len)
{
	if (len > sizeof(c->pending)) {
		fprintf(stderr, "iiod_peer: reply too long\n");
		exit(1);
	}
	while (c->n < len)
		read_more(c);
	c->n -= len;
	memmove(c->pending, c->pending + len, c->n);
}

static int vanish(char **argv)
{
	struct peer c;
	char cmd[256], line[64];
	size_t want = 4096, got = 0;
	int one = 1;

	dial(&c, argv[0]);
	snprintf(cmd, sizeof(cmd), "OPEN %s 1024 %s\r\n", argv[1], argv[2]);
	say(c.fd, cmd);
	read_line(&c, line, sizeof(line));
	if (strcmp(line, "0")) {
		fprintf(stderr, "iiod_peer: OPEN answered %s\n", line);
		return 1;
	}
	snprintf(cmd, sizeof(cmd), "READBUF %s %zu\r\n", argv[1], want);
	say(c.fd, cmd);
	/* Chunks: a length, the mask before the first, the bytes; a "0"
	 * ends a reply short of a whole sample, a negative errno fails. */
	while (got < want) {
		char *end;
		long k;

		read_line(&c, line, sizeof(line));
		k = strtol(line, &end, 10);
		if (*end || k < 0 || (size_t)k > want - got) {
			fprintf(stderr, "iiod_peer: READBUF answered %s\n",
				line);
			return 1;
		}
		if (!k)
			break;
		if (!got)
			read_line(&c, line, sizeof(line));
		read_bytes(&c, (size_t)k);
		got += (size_t)k;
	}
	if (!got) {
		fprintf(stderr, "iiod_peer: READBUF sent no samples\n");
		return 1;
	}
	if (setsockopt(c.fd, IPPROTO_TCP, TCP_REPAIR, &one, sizeof(one))) {
		perror("iiod_peer: TCP_REPAIR");
		return 1;
	}
	close(c.fd);
	printf("opened %s, read %zu bytes and vanished\n", argv[1], got);
	return 0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void print_rtt(uint64_t *rtt, long count)
{
	qsort(rtt, (size_t)count, sizeof(*rtt), cmp_u64);
	printf("median_us=%llu p90_us=%llu p99_us=%llu max_us=%llu "
	       "reads=%ld\n",
	       (unsigned long long)(rtt[count / 2] / 1000),
	       (unsigned long long)(rtt[count * 9 / 10] / 1000),
	       (unsigned long long)(rtt[count * 99 / 100] / 1000),
	       (unsigned long long)(rtt[count - 1] / 1000), count);
}

/* One attribute read on @c, answered whole: its round trip in ns. */
static uint64_t read_attr(struct peer *c, const char *cmd)
{
	uint64_t t0 = now_ns();
	char line[64], *end;
	long n;

	say(c->fd, cmd);
	read_line(c, line, sizeof(line));
	n = strtol(line, &end, 10);
	if (*end || n < 0) {
		fprintf(stderr, "iiod_peer: READ answered %s\n", line);
		exit(1);
	}
	read_bytes(c, (size_t)n + 1);	/* value and newline */
	return now_ns() - t0;
}

static int latency(char **argv)
{
	struct peer c[2];
	char cmd[256], ports[64], *end, *second;
	long count = strtol(argv[3], &end, 10), i;
	int nfd = 1, k;
	uint64_t *rtt;

	if (*end || count < 10 || count > 100000) {
		fprintf(stderr, "iiod_peer: COUNT: 10 to 100000\n");
		return 2;
	}
	snprintf(ports, sizeof(ports), "%s", argv[0]);
	second = strchr(ports, ',');
	if (second) {
		*second++ = 0;
		nfd = 2;
	}
	dial(&c[0], ports);
	if (second)
		dial(&c[1], second);
	rtt = calloc((size_t)count * nfd, sizeof(*rtt));
	if (!rtt)
		return 1;
	snprintf(cmd, sizeof(cmd), "READ %s %s\r\n", argv[1], argv[2]);
	for (i = 0; i < count; i++)
		for (k = 0; k < nfd; k++)
			rtt[k * count + i] = read_attr(&c[k], cmd);
	for (k = 0; k < nfd; k++) {
		print_rtt(rtt + k * count, count);
		say(c[k].fd, "EXIT\r\n");
		close(c[k].fd);
	}
	free(rtt);
	return 0;
}

static int echo(char **argv)
{
	static const char reply[] = "2\n8\0\n";
	struct sockaddr_in sa = { .sin_family = AF_INET };
	char *end;
	long p = strtol(argv[0], &end, 10);
	int lfd, one = 1;

	if (*end || p <= 0 || p > 65535) {
		fprintf(stderr, "iiod_peer: bad port %s\n", argv[0]);
		return 2;
	}
	sa.sin_port = htons((uint16_t)p);
	sa.sin_addr.s_addr = htonl(INADDR_ANY);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0 ||
	    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(lfd, 4)) {
		perror("iiod_peer: echo");
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	for (;;) {
		int fd = accept(lfd, NULL, NULL);
		char buf[4096];
		ssize_t n;

		if (fd < 0)
			continue;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		while ((n = read(fd, buf, sizeof(buf))) > 0) {
			ssize_t i;

			for (i = 0; i < n; i++)
				if (buf[i] == '\n' &&
				    write(fd, reply, sizeof(reply) - 1) !=
				    (ssize_t)sizeof(reply) - 1)
					break;
		}
		close(fd);
	}
}

int main(int argc, char **argv)
{
	if (argc == 5 && !strcmp(argv[1], "vanish"))
		return vanish(argv + 2);
	if (argc == 6 && !strcmp(argv[1], "latency"))
		return latency(argv + 2);
	if (argc == 3 && !strcmp(argv[1], "echo"))
		return echo(argv + 2);
	fprintf(stderr, "usage: iiod_peer vanish PORT DEVICE MASK\n"
		"       iiod_peer latency PORT[,PORT2] DEVICE ATTR COUNT\n"
		"       iiod_peer echo PORT\n");
	return 2;
}
