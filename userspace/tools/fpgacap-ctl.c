// SPDX-License-Identifier: GPL-2.0
/*
 * fpgacap-ctl: look at a device, try a configuration, read its counters.
 *   fpgacap-ctl [-d DEV] [--json] info
 *   fpgacap-ctl [-d DEV] [--json] stats
 *   fpgacap-ctl [-d DEV] [--json] configure COUNT SIZE [--highmem]
 * A configuration outlives the process; streaming is fpgacap-stream's job.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libfpgacap.h"
#include "cli.h"

static const char *const states[] = {
	"unconfigured", "stopped", "streaming", "error",
};
static const char *const sources[] = {
	"?", "pattern", "slave-dma", "memcpy",
};

static void usage(FILE *f)
{
	fprintf(f,
"usage: fpgacap-ctl [options] info | stats | configure COUNT SIZE\n"
"  -d, --device PATH  device (default /dev/fpgacap0)\n"
"      --highmem      configure: allow highmem pages\n"
"  -j, --json         JSON on stdout\n"
"  -h, --help         this text\n");
}

static const char *state_name(uint32_t s)
{
	return s < 4 ? states[s] : "?";
}

static int do_info(struct fpgacap *dev, bool json)
{
	struct fpgacap_info i;
	int ret = fpgacap_get_info(dev, &i);

	if (ret)
		return ret;
	if (json) {
		printf("{\"name\":\"%s\",\"api_version\":\"%u.%u\",\"caps\":%u,"
		       "\"source\":\"%s\",\"source_name\":\"%s\",\"state\":\"%s\","
		       "\"page_size\":%u,\"max_buffers\":%u,"
		       "\"max_buffer_size\":%llu,\"max_pool_size\":%llu}\n",
		       i.name, i.api_version >> 16, i.api_version & 0xffff,
		       i.caps, i.source < 4 ? sources[i.source] : "?",
		       i.source_name, state_name(i.state), i.page_size,
		       i.max_buffers, (unsigned long long)i.max_buffer_size,
		       (unsigned long long)i.max_pool_size);
		return 0;
	}
	printf("%s: %s source (%s), %s\n", i.name,
	       i.source < 4 ? sources[i.source] : "?", i.source_name,
	       state_name(i.state));
	printf("  API %u.%u, caps 0x%x; page %u; limits %u buffers, "
	       "%llu bytes each, %llu in all\n",
	       i.api_version >> 16, i.api_version & 0xffff, i.caps,
	       i.page_size, i.max_buffers,
	       (unsigned long long)i.max_buffer_size,
	       (unsigned long long)i.max_pool_size);
	return 0;
}

static int do_stats(struct fpgacap *dev, bool json)
{
	struct fpgacap_stats s;
	int ret = fpgacap_get_stats(dev, &s);

	if (ret)
		return ret;
	if (json) {
		printf("{\"state\":\"%s\",\"buffers_filled\":%llu,"
		       "\"bytes_filled\":%llu,\"drops\":%llu,"
		       "\"bytes_dropped\":%llu,\"errors\":%llu,\"stalls\":%llu,"
		       "\"dequeued\":%llu,\"returned\":%llu,\"last_error\":%u,"
		       "\"free\":%u,\"active\":%u,\"done\":%u,\"user\":%u}\n",
		       state_name(s.state),
		       (unsigned long long)s.buffers_filled,
		       (unsigned long long)s.bytes_filled,
		       (unsigned long long)s.drops,
		       (unsigned long long)s.bytes_dropped,
		       (unsigned long long)s.errors,
		       (unsigned long long)s.stalls,
		       (unsigned long long)s.dequeued,
		       (unsigned long long)s.returned, s.last_error, s.free,
		       s.active, s.done, s.user);
		return 0;
	}
	printf("state %s; filled %llu buffers, %llu bytes; dropped %llu bytes "
	       "in %llu drops; %llu errors, %llu stalls\n",
	       state_name(s.state), (unsigned long long)s.buffers_filled,
	       (unsigned long long)s.bytes_filled,
	       (unsigned long long)s.bytes_dropped,
	       (unsigned long long)s.drops, (unsigned long long)s.errors,
	       (unsigned long long)s.stalls);
	printf("buffers: %u free, %u active, %u done, %u held by userspace\n",
	       s.free, s.active, s.done, s.user);
	if (s.last_error)
		printf("last error: %s\n", fpgacap_strerror(-(int)s.last_error));
	return 0;
}

static int do_configure(struct fpgacap *dev, uint64_t count, uint64_t size,
			uint32_t flags, bool json)
{
	const struct fpgacap_config *c;
	int ret;

	if (count > UINT32_MAX)
		return -EINVAL;
	ret = fpgacap_configure(dev, (uint32_t)count, size, flags, 0);
	if (ret)
		return ret;
	c = fpgacap_layout(dev);
	if (json) {
		printf("{\"count\":%u,\"buffer_size\":%llu,\"mmap_size\":%llu,"
		       "\"chunks\":%u,\"max_segments\":%u,"
		       "\"min_chunk_order\":%u,\"max_chunk_order\":%u}\n",
		       c->count, (unsigned long long)c->buffer_size,
		       (unsigned long long)c->mmap_size, c->chunks,
		       c->max_segments, c->min_chunk_order, c->max_chunk_order);
		return 0;
	}
	printf("%u buffers of %llu bytes (%llu mapped): %u allocations of "
	       "order %u..%u, at most %u DMA segments per buffer\n",
	       c->count, (unsigned long long)c->buffer_size,
	       (unsigned long long)c->mmap_size, c->chunks, c->min_chunk_order,
	       c->max_chunk_order, c->max_segments);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "highmem", no_argument, NULL, 'H' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = NULL, *cmd;
	struct fpgacap *dev;
	uint32_t flags = 0;
	bool json = false;
	int c, ret;

	while ((c = getopt_long(argc, argv, "d:jh", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': path = optarg; break;
		case 'H': flags |= FPGACAP_CFG_HIGHMEM; break;
		case 'j': json = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	cmd = argv[optind++];
	ret = fpgacap_open(path, 0, &dev);
	if (ret) {
		fprintf(stderr, "fpgacap-ctl: %s: %s\n",
			path ? path : "/dev/fpgacap0", fpgacap_strerror(ret));
		return 1;
	}
	if (!strcmp(cmd, "info") && optind == argc) {
		ret = do_info(dev, json);
	} else if (!strcmp(cmd, "stats") && optind == argc) {
		ret = do_stats(dev, json);
	} else if (!strcmp(cmd, "configure") && optind + 2 == argc) {
		uint64_t count, size;

		if (cli_parse_size(argv[optind], &count) ||
		    cli_parse_size(argv[optind + 1], &size))
			ret = -EINVAL;
		else
			ret = do_configure(dev, count, size, flags, json);
	} else {
		usage(stderr);
		fpgacap_close(dev);
		return 2;
	}
	if (ret)
		fprintf(stderr, "fpgacap-ctl: %s: %s\n", cmd,
			fpgacap_strerror(ret));
	fpgacap_close(dev);
	return ret ? 1 : 0;
}
