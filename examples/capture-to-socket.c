// SPDX-License-Identifier: MIT
/*
 * capture-to-socket: stream an fpgacap device to a TCP receiver with
 * libfpgacap. The pump dequeues filled buffers, sends each one (zero-copy
 * where the kernel can) behind a frame header, and gives a buffer back to
 * the device only once the network stack has released it.
 *
 *   cc -o capture-to-socket capture-to-socket.c \
 *      $(pkg-config --cflags --libs libfpgacap)
 *   fpgacap-sink --verify auto            # on the receiving PC
 *   ./capture-to-socket PC-ADDRESS 5555 [MIB [DEVICE]]
 *
 * MIB: stop after that many MiB (default: until ^C). DEVICE: default the
 * only fpgacap device there is. Exit status 0 if every byte went out.
 */
#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libfpgacap.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* A TCP connection to host:port, or -1 (said on stderr). */
static int connect_to(const char *host, const char *port)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM };
	struct addrinfo *res, *ai;
	int fd = -1, err = 0, ret;

	ret = getaddrinfo(host, port, &hints, &res);
	if (ret) {
		fprintf(stderr, "capture-to-socket: %s: %s\n", host,
			gai_strerror(ret));
		return -1;
	}
	for (ai = res; ai && fd < 0; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
		if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen)) {
			err = errno;
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	if (fd < 0)
		fprintf(stderr, "capture-to-socket: %s port %s: %s\n", host,
			port, strerror(err));
	return fd;
}

int main(int argc, char **argv)
{
	/* No SA_RESTART: a signal ends the library's waits with -EINTR. */
	struct sigaction sa = { .sa_handler = on_signal };
	struct fpgacap_sender_opts so = {
		.size = sizeof(so),
		.mode = FPGACAP_SEND_AUTO,	/* zero-copy if it pays */
	};
	struct fpgacap_pump_opts po = {
		.size = sizeof(po),
		.framing = true,		/* sequence, offset, loss */
		.send = &so,
	};
	struct fpgacap_pump_stats st = { .size = sizeof(st) };
	struct fpgacap_pump *pump = NULL;
	struct fpgacap *dev = NULL;
	const char *path = argc > 4 ? argv[4] : NULL;
	unsigned long long mib;
	char *end;
	int fd, ret, fin;

	if (argc < 3 || argc > 5) {
		fprintf(stderr, "usage: capture-to-socket HOST PORT [MIB [DEVICE]]\n");
		return 2;
	}
	if (argc > 3) {
		errno = 0;
		mib = strtoull(argv[3], &end, 10);
		if (errno || *end || argv[3][0] == '-' || !mib ||
		    mib > UINT64_MAX >> 20) {
			fprintf(stderr, "capture-to-socket: MIB: a whole number "
				"above 0, not '%s'\n", argv[3]);
			return 2;
		}
		po.max_bytes = (uint64_t)mib << 20;
	}
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);	/* a closed peer is an EPIPE */

	fd = connect_to(argv[1], argv[2]);
	if (fd < 0)
		return 1;
	so.fd = fd;

	/* 16 buffers of 1 MiB, mapped read-only into this process. */
	ret = fpgacap_open(path, 0, &dev);
	if (!ret)
		ret = fpgacap_configure(dev, 16, 1 << 20, 0, 0);
	if (!ret)
		ret = fpgacap_pump_create(dev, &po, &pump);
	if (!ret)
		ret = fpgacap_start(dev);
	/* One batch a step: 0 while streaming, 1 at the limit, or -errno. */
	while (!ret && !stop)
		ret = fpgacap_pump_step(pump);
	if (ret == 1 || ret == -EINTR)
		ret = 0;
	if (pump) {
		/* Every buffer back from the network before the pool goes. */
		fin = fpgacap_pump_finish(pump, stop ? 300 : 10000);
		if (!ret)
			ret = fin;
		fpgacap_pump_get_stats(pump, &st);
	}
	if (ret)
		fprintf(stderr, "capture-to-socket: %s: %s\n",
			path ? path : "the fpgacap device", fpgacap_strerror(ret));
	else
		printf("sent %llu bytes in %llu buffers%s\n",
		       (unsigned long long)st.payload_bytes,
		       (unsigned long long)st.buffers, stop ? " (stopped)" : "");
	fpgacap_pump_destroy(pump);
	fpgacap_close(dev);		/* stops the stream, frees the pool */
	close(fd);
	return ret ? 1 : 0;
}
