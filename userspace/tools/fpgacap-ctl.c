// SPDX-License-Identifier: MIT
/*
 * fpgacap-ctl: look at a device and its counters; it never takes the
 * stream (that is the streaming program's, and ends with it).
 *   fpgacap-ctl [-d DEV] [--json] info
 *   fpgacap-ctl [-d DEV] [--json] stats
 *   fpgacap-ctl [-d DEV] [--json] [-i SEC] [-t SEC] watch
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "libfpgacap.h"
#include "cli.h"

static const char *const states[] = {
	"unconfigured", "stopped", "streaming", "error",
};
static const char *const sources[] = {
	"?", "pattern", "slave-dma", "memcpy",
};

struct ctl_opts {
	const char *device;
	uint64_t interval_ns, duration_ns;
	bool json;
};

static void usage(FILE *f)
{
	fprintf(f,
"usage: fpgacap-ctl [options] info | stats | watch\n"
"Show an fpgacap device: what it is (info), its counters since the last\n"
"start (stats), or its rates while another program streams (watch).\n"
"\n"
"  -d, --device PATH       device (default /dev/fpgacap0)\n"
"  -i, --interval SECONDS  watch: report every SECONDS (default 1)\n"
"  -t, --time SECONDS      watch: stop after this long (default: until ^C)\n"
"  -j, --json              JSON on stdout (watch: start, intervals, end)\n"
"  -h, --help              this text\n");
}

static const char *state_name(uint32_t s)
{
	return s < 4 ? states[s] : "?";
}

static const char *source_name(uint32_t s)
{
	return s < 4 ? sources[s] : "?";
}

static void json_info(struct cli_json *j, const char *key,
		      const struct fpgacap_info *i)
{
	char api[16];

	snprintf(api, sizeof(api), "%u.%u", i->api_version >> 16,
		 i->api_version & 0xffff);
	cli_json_open(j, key, '{');
	cli_json_str(j, "name", i->name);
	cli_json_str(j, "api_version", api);
	cli_json_u64(j, "caps", i->caps);
	cli_json_str(j, "source", source_name(i->source));
	cli_json_str(j, "source_name", i->source_name);
	cli_json_str(j, "state", state_name(i->state));
	cli_json_u64(j, "page_size", i->page_size);
	cli_json_u64(j, "max_buffers", i->max_buffers);
	cli_json_u64(j, "max_buffer_size", i->max_buffer_size);
	cli_json_u64(j, "max_pool_size", i->max_pool_size);
	cli_json_u64(j, "max_pinned", i->max_pinned);
	cli_json_u64(j, "pinned", i->pinned);
	cli_json_close(j, '}');
}

static void json_stats(struct cli_json *j, const char *key,
		       const struct fpgacap_stats *s)
{
	cli_json_open(j, key, '{');
	cli_json_str(j, "state", state_name(s->state));
	cli_json_u64(j, "buffers_filled", s->buffers_filled);
	cli_json_u64(j, "bytes_filled", s->bytes_filled);
	cli_json_u64(j, "drops", s->drops);
	cli_json_u64(j, "bytes_dropped", s->bytes_dropped);
	cli_json_u64(j, "errors", s->errors);
	cli_json_u64(j, "stalls", s->stalls);
	cli_json_u64(j, "dequeued", s->dequeued);
	cli_json_u64(j, "returned", s->returned);
	cli_json_u64(j, "last_error", s->last_error);
	cli_json_u64(j, "free", s->free);
	cli_json_u64(j, "active", s->active);
	cli_json_u64(j, "done", s->done);
	cli_json_u64(j, "user", s->user);
	cli_json_close(j, '}');
}

static void text_info(const struct fpgacap_info *i)
{
	printf("%s: %s source (%s), %s\n", i->name, source_name(i->source),
	       i->source_name, state_name(i->state));
	printf("  API %u.%u, caps 0x%x%s%s%s; page %u; limits %u buffers, "
	       "%llu bytes each, %llu in all\n",
	       i->api_version >> 16, i->api_version & 0xffff, i->caps,
	       i->caps & FPGACAP_CAP_READ ? " read" : "",
	       i->caps & FPGACAP_CAP_HIGHMEM ? " highmem" : "",
	       i->caps & FPGACAP_CAP_RATE ? " rate" : "", i->page_size,
	       i->max_buffers, (unsigned long long)i->max_buffer_size,
	       (unsigned long long)i->max_pool_size);
	printf("  pinned memory: %llu of %llu bytes\n",
	       (unsigned long long)i->pinned,
	       (unsigned long long)i->max_pinned);
}

static void text_stats(const struct fpgacap_stats *s)
{
	printf("state %s; filled %llu buffers, %llu bytes; %llu drops "
	       "(%llu bytes); %llu errors, %llu stalls\n",
	       state_name(s->state), (unsigned long long)s->buffers_filled,
	       (unsigned long long)s->bytes_filled,
	       (unsigned long long)s->drops,
	       (unsigned long long)s->bytes_dropped,
	       (unsigned long long)s->errors, (unsigned long long)s->stalls);
	printf("buffers: %u free, %u being filled, %u filled, %u held by the "
	       "streaming program\n", s->free, s->active, s->done, s->user);
	if (s->last_error)
		printf("last error: %s\n", fpgacap_strerror(-(int)s->last_error));
}

/* Sleep until @when (CLOCK_MONOTONIC ns) or a stop. */
static void sleep_until(uint64_t when)
{
	struct timespec ts = {
		.tv_sec = (time_t)(when / 1000000000ULL),
		.tv_nsec = (long)(when % 1000000000ULL),
	};

	while (!cli_stop &&
	       clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) ==
	       EINTR)
		;
}

static int do_watch(struct fpgacap *dev, const struct ctl_opts *o)
{
	struct fpgacap_stats first, prev, now;
	struct fpgacap_info info;
	uint64_t start = fc_now_ns(), t = start, prev_t = start;
	struct cli_json j;
	int ret;

	ret = fpgacap_get_info(dev, &info);
	if (!ret)
		ret = fpgacap_get_stats(dev, &first);
	if (ret)
		return ret;
	prev = first;
	if (o->json) {
		cli_json_init(&j, stdout);
		cli_json_open(&j, NULL, '{');
		json_info(&j, "start", &info);
		cli_json_open(&j, "intervals", '[');
	} else {
		text_info(&info);
	}
	fflush(stdout);
	while (!cli_stop && (!o->duration_ns || t - start < o->duration_ns)) {
		double from, to;

		t += o->interval_ns;
		if (o->duration_ns && t - start > o->duration_ns)
			t = start + o->duration_ns;
		sleep_until(t);
		ret = fpgacap_get_stats(dev, &now);
		if (ret)
			break;
		t = fc_now_ns();
		from = (double)(prev_t - start) / 1e9;
		to = (double)(t - start) / 1e9;
		if (o->json) {
			cli_json_open(&j, NULL, '{');
			cli_json_dbl(&j, "start", from);
			cli_json_dbl(&j, "end", to);
			cli_json_str(&j, "state", state_name(now.state));
			cli_json_u64(&j, "bytes", now.bytes_filled -
				     prev.bytes_filled);
			cli_json_u64(&j, "buffers", now.buffers_filled -
				     prev.buffers_filled);
			cli_json_u64(&j, "drops", now.drops - prev.drops);
			cli_json_u64(&j, "errors", now.errors - prev.errors);
			cli_json_close(&j, '}');
			fflush(stdout);
		} else {
			printf("[%6.1f-%6.1f s] %-9s %10.1f MB/s filled, %llu "
			       "drops, %llu errors; %u free %u filling %u "
			       "filled %u held\n", from, to,
			       state_name(now.state),
			       (double)(now.bytes_filled - prev.bytes_filled) /
			       1e6 / (to - from),
			       (unsigned long long)(now.drops - prev.drops),
			       (unsigned long long)(now.errors - prev.errors),
			       now.free, now.active, now.done, now.user);
			fflush(stdout);
		}
		prev = now;
		prev_t = t;
	}
	if (o->json) {
		cli_json_close(&j, ']');
		json_stats(&j, "end", &prev);
		cli_json_str(&j, "stopped_by", cli_stop ?
			     cli_signame(cli_stop) : "its time (-t)");
		cli_json_close(&j, '}');
	} else {
		printf("watched %.1f s, stopped by %s; ",
		       (double)(prev_t - start) / 1e9, cli_stop ?
		       cli_signame(cli_stop) : "its time (-t)");
		text_stats(&prev);
	}
	fflush(stdout);
	return ret;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "interval", required_argument, NULL, 'i' },
		{ "time", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctl_opts o = { .interval_ns = 1000000000ULL };
	const char *cmd;
	struct fpgacap *dev;
	struct cli_json j;
	int c, ret;

	while ((c = getopt_long(argc, argv, "d:i:t:jh", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': o.device = optarg; break;
		case 'i':
			o.interval_ns = cli_opt_interval(optarg);
			break;
		case 't':
			o.duration_ns = cli_opt_time(optarg);
			break;
		case 'j': o.json = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind + 1 != argc || (strcmp(argv[optind], "info") &&
				   strcmp(argv[optind], "stats") &&
				   strcmp(argv[optind], "watch"))) {
		fprintf(stderr, "fpgacap-ctl: give one of info, stats, watch "
			"(see --help)\n");
		return 2;
	}
	cmd = argv[optind];
	cli_signals();
	cli_line_buffered();
	ret = fpgacap_open(o.device, 0, &dev);
	if (ret) {
		fprintf(stderr, "fpgacap-ctl: %s: %s\n",
			o.device ? o.device : "/dev/fpgacap0",
			fpgacap_strerror(ret));
		return 1;
	}
	cli_json_init(&j, stdout);
	if (!strcmp(cmd, "watch")) {
		ret = do_watch(dev, &o);
	} else if (!strcmp(cmd, "info")) {
		struct fpgacap_info i;

		ret = fpgacap_get_info(dev, &i);
		if (!ret && o.json)
			json_info(&j, NULL, &i);
		else if (!ret)
			text_info(&i);
	} else {
		struct fpgacap_stats s;

		ret = fpgacap_get_stats(dev, &s);
		if (!ret && o.json)
			json_stats(&j, NULL, &s);
		else if (!ret)
			text_stats(&s);
	}
	if (ret)
		fprintf(stderr, "fpgacap-ctl: %s: %s\n", cmd,
			fpgacap_strerror(ret));
	fpgacap_close(dev);
	return ret ? 1 : 0;
}
