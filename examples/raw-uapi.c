// SPDX-License-Identifier: MIT
/*
 * raw-uapi: an fpgacap device through its ioctls alone, no library: INFO,
 * CONFIGURE a pool, map it, START, DEQUEUE filled buffers, read them where
 * they lie, RETURN them, STOP. With the pattern source it checks every
 * word (FPGACAP_PATTERN_WORD); with any source it checks that the buffers'
 * sequence numbers and stream offsets run on without a gap.
 *
 *   cc -o raw-uapi raw-uapi.c -I<path to uapi/ or the installed <fpgacap/>>
 *   ./raw-uapi /dev/fpgacap0 [BUFFERS]
 *
 * BUFFERS: how many to take (default 64). Exit status 0 if every check
 * passed, 1 otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <fpgacap/fpgacap.h>

#define BATCH 8

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* The pattern source's bytes: word k of the stream is k, little-endian. */
static int check_pattern(const unsigned char *p, uint64_t len, uint64_t offset)
{
	uint64_t i, k, w;
	int b;

	for (i = 0; i + 8 <= len; i += 8) {
		k = (offset + i) / 8;
		for (w = 0, b = 7; b >= 0; b--)
			w = w << 8 | p[i + (unsigned int)b];
		if (w != FPGACAP_PATTERN_WORD(offset + i)) {
			fprintf(stderr, "raw-uapi: word %llu is %llu\n",
				(unsigned long long)k, (unsigned long long)w);
			return -1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct fpgacap_config cfg = { .count = 8, .buffer_size = 64 << 10 };
	struct fpgacap_buffer bufs[BATCH];
	struct fpgacap_info info;
	unsigned long long want = 64, got = 0, next_seq = 0, next_off = 0;
	unsigned char *map = MAP_FAILED;
	int fd, n, i, bad = 0;
	char *end;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: raw-uapi DEVICE [BUFFERS]\n");
		return 2;
	}
	if (argc == 3) {
		errno = 0;
		want = strtoull(argv[2], &end, 10);
		if (errno || *end || argv[2][0] == '-' || !want) {
			fprintf(stderr, "raw-uapi: BUFFERS: a whole number above "
				"0, not '%s'\n", argv[2]);
			return 2;
		}
	}
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "raw-uapi: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	if (ioctl(fd, FPGACAP_IOC_INFO, &info)) {
		fprintf(stderr, "raw-uapi: %s: INFO: %s\n", argv[1],
			strerror(errno));
		close(fd);
		return 1;
	}
	if (info.api_version >> 16 != FPGACAP_API_MAJOR) {
		fprintf(stderr, "raw-uapi: %s: API %u.x, this program knows "
			"%u.x\n", argv[1], info.api_version >> 16,
			FPGACAP_API_MAJOR);
		close(fd);
		return 1;
	}
	printf("%s: %s, source %s\n", argv[1], info.name, info.source_name);

	/* The pool: this file owns the stream until it is closed. */
	if (ioctl(fd, FPGACAP_IOC_CONFIGURE, &cfg)) {
		fprintf(stderr, "raw-uapi: CONFIGURE: %s\n", strerror(errno));
		goto out;
	}
	map = mmap(NULL, cfg.mmap_size, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		fprintf(stderr, "raw-uapi: mmap: %s\n", strerror(errno));
		goto out;
	}
	if (ioctl(fd, FPGACAP_IOC_START)) {
		fprintf(stderr, "raw-uapi: START: %s\n", strerror(errno));
		goto out;
	}
	while (got < want && !stop && !bad) {
		struct fpgacap_dequeue dq = {
			.buffers = (uintptr_t)bufs,
			/* No more than asked for: a batch may end short. */
			.count = want - got < BATCH ? (uint32_t)(want - got) :
						      BATCH,
			.timeout_ns = 5000000000LL,	/* 5 s */
		};
		uint32_t idx[BATCH];
		struct fpgacap_return rt = { .indices = (uintptr_t)idx };

		if (ioctl(fd, FPGACAP_IOC_DEQUEUE, &dq)) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "raw-uapi: DEQUEUE: %s\n",
				strerror(errno));
			bad = 1;
			break;
		}
		n = (int)dq.count;
		for (i = 0; i < n; i++) {
			const struct fpgacap_buffer *b = &bufs[i];
			const unsigned char *data = map + b->index * cfg.buffer_size;

			/* Loss is reported, not hidden: the offset jumps by
			 * lost_bytes, the sequence never does. */
			if (b->sequence != next_seq ||
			    b->offset != next_off + b->lost_bytes) {
				fprintf(stderr, "raw-uapi: buffer %llu at %llu, "
					"expected %llu at %llu\n",
					(unsigned long long)b->sequence,
					(unsigned long long)b->offset, next_seq,
					next_off + b->lost_bytes);
				bad = 1;
			}
			if (b->flags & FPGACAP_BUF_ERROR)
				bad = 1;
			if (info.source == FPGACAP_SOURCE_PATTERN &&
			    check_pattern(data, b->bytes_used, b->offset))
				bad = 1;
			next_seq = b->sequence + 1;
			next_off = b->offset + b->bytes_used;
			idx[i] = b->index;
		}
		/* Back to the source: it fills them again. */
		rt.count = (uint32_t)n;
		if (n && ioctl(fd, FPGACAP_IOC_RETURN, &rt)) {
			fprintf(stderr, "raw-uapi: RETURN: %s\n", strerror(errno));
			bad = 1;
		}
		got += (unsigned long long)n;
	}
	ioctl(fd, FPGACAP_IOC_STOP);
	printf("%llu buffers, %llu bytes%s: %s\n", got, next_off,
	       info.source == FPGACAP_SOURCE_PATTERN ? ", every word checked" : "",
	       bad ? "FAILED" : "ok");
	munmap(map, cfg.mmap_size);
	close(fd);
	return bad ? 1 : 0;
out:
	if (map != MAP_FAILED)
		munmap(map, cfg.mmap_size);
	close(fd);
	return 1;
}
