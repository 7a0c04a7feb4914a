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

#endif
