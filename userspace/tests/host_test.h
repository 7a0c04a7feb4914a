/* SPDX-License-Identifier: GPL-2.0-only */
/* Shared by the host unit tests: the pattern, loopback sockets. */
#ifndef HOST_TEST_H
#define HOST_TEST_H

#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "libfpgacap.h"

/* Fill @len bytes as the pattern source would at stream offset @off. */
static inline void fill_pattern(void *p, size_t len, uint64_t off)
{
	uint64_t *w = p;
	size_t i;

	for (i = 0; i < len / 8; i++)
		w[i] = htole64(FPGACAP_PATTERN_WORD(off + 8 * i));
}

/* A connected loopback TCP pair: *tx connects, *rx is accepted. */
static inline int tcp_pair(int *tx, int *rx)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int l, ret = -1;

	*tx = *rx = -1;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0)
		return -errno;
	if (bind(l, (struct sockaddr *)&sa, sizeof(sa)) || listen(l, 1) ||
	    getsockname(l, (struct sockaddr *)&sa, &len))
		goto out;
	*tx = socket(AF_INET, SOCK_STREAM, 0);
	if (*tx < 0 || connect(*tx, (struct sockaddr *)&sa, sizeof(sa)))
		goto out;
	*rx = accept(l, NULL, NULL);
	ret = *rx < 0 ? -1 : 0;
out:
	close(l);
	return ret ? -errno : 0;
}

/* A connected loopback UDP pair (AF_INET or AF_INET6): *tx sends to *rx. */
static inline int udp_pair(int family, int *tx, int *rx)
{
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6,
				   .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	struct sockaddr_in a4 = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct sockaddr *sa = family == AF_INET6 ? (struct sockaddr *)&a6 :
			      (struct sockaddr *)&a4;
	socklen_t len = family == AF_INET6 ? sizeof(a6) : sizeof(a4);
	int size = 64 << 20;

	*rx = socket(family, SOCK_DGRAM, 0);
	*tx = socket(family, SOCK_DGRAM, 0);
	if (*rx < 0 || *tx < 0)
		return -errno;
	/* Room for all of a test's datagrams: loss is not under test here. */
	if (setsockopt(*rx, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)))
		setsockopt(*rx, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	if (bind(*rx, sa, len) || getsockname(*rx, sa, &len) ||
	    connect(*tx, sa, len))
		return -errno;
	return 0;
}

#endif
