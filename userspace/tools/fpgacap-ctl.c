// SPDX-License-Identifier: MIT
/*
 * fpgacap-ctl: look at the devices and their counters; it never takes the
 * stream (that is the streaming program's, and ends with it).
 *   fpgacap-ctl [--json] list
 *   fpgacap-ctl [-d DEV] [--json] info
 *   fpgacap-ctl [-d DEV] [--json] stats
 *   fpgacap-ctl [-d DEV] [--json] [-i SEC] [-t SEC] watch
 */
#include <dirent.h>
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
	const char *device;		/* NULL: the one there is */
	uint64_t interval_ns, duration_ns;
	bool json;
};

static void usage(FILE *f)
{
	fprintf(f,
"usage: fpgacap-ctl [options] list | info | stats | watch\n"
"Show the fpgacap devices (list), what one is (info), its counters since\n"
"the last start (stats), or its rates while another program streams\n"
"(watch).\n"
"\n"
"  -d, --device PATH       device (default: the only one there is, else\n"
"                          /dev/fpgacap)\n"
"  -i, --interval SECONDS  watch: report every SECONDS (default 1)\n"
"  -t, --time SECONDS      watch: stop after this long (default: until ^C);\n"
"                          --duration is the same\n"
"  -j, --json              JSON on stdout (watch: start, intervals, end)\n"
"  -h, --help              this text\n"
"  -V, --version           the version\n"
"Exit status: 0, 1 if the device failed, 2 for a usage error.\n");
}

static const char *state_name(uint32_t s)
{
	return s < 4 ? states[s] : "?";
}

static const char *source_name(uint32_t s)
{
	return s < 4 ? sources[s] : "?";
}

/* The loaded module's version (MODULE_VERSION), or "" if it has none. */
static void module_version(char *buf, size_t len)
{
	FILE *f = fopen("/sys/module/fpgacap/version", "re");

	buf[0] = 0;
	if (f) {
		if (!fgets(buf, (int)len, f))
			buf[0] = 0;
		fclose(f);
	}
	buf[strcspn(buf, "\n")] = 0;
}

static const struct {
	uint32_t bit;
	const char *name;
} cap_names[] = {
	{ FPGACAP_CAP_STREAMING, "streaming" }, { FPGACAP_CAP_READ, "read" },
	{ FPGACAP_CAP_HIGHMEM, "highmem" }, { FPGACAP_CAP_RATE, "rate" },
	{ FPGACAP_CAP_WRITABLE, "writable" }, { FPGACAP_CAP_SLOTS, "slots" },
	{ FPGACAP_CAP_RECORDS, "records" }, { FPGACAP_CAP_DMABUF, "dmabuf" },
};

static void json_info(struct cli_json *j, const char *key, const char *path,
		      const struct fpgacap_info *i)
{
	char api[16], mod[64];
	unsigned int k;

	snprintf(api, sizeof(api), "%u.%u", i->api_version >> 16,
		 i->api_version & 0xffff);
	module_version(mod, sizeof(mod));
	cli_json_open(j, key, '{');
	cli_json_str(j, "path", path);
	cli_json_str(j, "name", i->name);
	cli_json_str(j, "module_version", mod);
	cli_json_str(j, "api_version", api);
	cli_json_u64(j, "caps", i->caps);
	cli_json_open(j, "cap_names", '[');
	for (k = 0; k < sizeof(cap_names) / sizeof(cap_names[0]); k++)
		if (i->caps & cap_names[k].bit)
			cli_json_str(j, NULL, cap_names[k].name);
	cli_json_close(j, ']');
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

static void text_info(const char *path, const struct fpgacap_info *i)
{
	char mod[64];
	unsigned int k;

	module_version(mod, sizeof(mod));
	printf("%s: %s source (%s), %s\n", path, source_name(i->source),
	       i->source_name, state_name(i->state));
	printf("  module %s, API %u.%u, caps 0x%x", mod[0] ? mod : "(no version)",
	       i->api_version >> 16, i->api_version & 0xffff, i->caps);
	for (k = 0; k < sizeof(cap_names) / sizeof(cap_names[0]); k++)
		if (i->caps & cap_names[k].bit)
			printf(" %s", cap_names[k].name);
	printf("\n  page %u; limits %u buffers, %llu bytes each, %llu in all\n",
	       i->page_size, i->max_buffers,
	       (unsigned long long)i->max_buffer_size,
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

static int do_watch(struct fpgacap *dev, const char *path,
		    const struct ctl_opts *o)
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
		json_info(&j, "start", path, &info);
		cli_json_open(&j, "intervals", '[');
	} else {
		text_info(path, &info);
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

/* Every device the kernel has, a line (or an object) each; the default
 * marked. Nodes that do not open say why, and the list goes on. */
static int do_list(const struct ctl_opts *o)
{
	char def[1024], path[1100];
	struct dirent **names = NULL;
	struct cli_json j;
	int n, i, ret, found, bad = 0;

	n = scandir("/sys/class/fpgacap", &names, NULL, alphasort);
	found = fpgacap_find_device(def, sizeof(def));
	if (n < 0 && errno != ENOENT) {
		fprintf(stderr, "fpgacap-ctl: /sys/class/fpgacap: %s\n",
			strerror(errno));
		return 1;
	}
	if (o->json) {
		cli_json_init(&j, stdout);
		cli_json_open(&j, NULL, '{');
		cli_json_str(&j, "default", found ? "" : def);
		cli_json_open(&j, "devices", '[');
	}
	for (i = 0; i < n; i++) {
		struct fpgacap_info info;
		struct fpgacap *dev;

		if (names[i]->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/dev/%s", names[i]->d_name);
		ret = fpgacap_open(path, 0, &dev);
		if (!ret) {
			ret = fpgacap_get_info(dev, &info);
			fpgacap_close(dev);
		}
		if (ret)
			bad++;
		if (o->json) {
			cli_json_open(&j, NULL, '{');
			cli_json_str(&j, "path", path);
			if (ret) {
				cli_json_str(&j, "error", fpgacap_strerror(ret));
			} else {
				cli_json_str(&j, "source", source_name(info.source));
				cli_json_str(&j, "source_name", info.source_name);
				cli_json_str(&j, "state", state_name(info.state));
			}
			cli_json_close(&j, '}');
		} else if (ret) {
			printf("%-24s %s\n", path, fpgacap_strerror(ret));
		} else {
			printf("%-24s %-9s %-24s %s%s\n", path,
			       source_name(info.source), info.source_name,
			       state_name(info.state),
			       !found && !strcmp(def, path) ? " (default)" : "");
		}
		free(names[i]);
	}
	free(names);
	if (o->json) {
		cli_json_close(&j, ']');
		cli_json_close(&j, '}');
	} else if (found == -ENOENT) {
		printf("no fpgacap device: is the module loaded? (without an "
		       "FPGA design: insmod fpgacap.ko pattern_devices=1)\n");
	} else if (found == -ENOTUNIQ) {
		printf("several devices and no /dev/fpgacap: the tools need -d\n");
	} else if (!found && strcmp(def, "/dev/fpgacap") == 0) {
		printf("default: /dev/fpgacap (the udev rule's link)\n");
	}
	return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "interval", required_argument, NULL, 'i' },
		{ "time", required_argument, NULL, 't' },
		{ "duration", required_argument, NULL, 't' },
		CLI_OPTS_TAIL,
	};
	struct ctl_opts o = { .interval_ns = 1000000000ULL };
	const char *cmd;
	struct fpgacap *dev;
	struct cli_json j;
	char path[1024];
	int c, ret;

	/* No -q: there is no progress line to leave out. */
	while ((c = getopt_long(argc, argv, "d:i:t:jJhV", longopts,
				NULL)) != -1) {
		switch (c) {
		case 'd': o.device = optarg; break;
		case 'i':
			o.interval_ns = cli_opt_interval(optarg);
			break;
		case 't':
			o.duration_ns = cli_opt_time(optarg);
			break;
		default: cli_common_opt(c, &o.json, NULL, usage);
		}
	}
	if (optind + 1 != argc || (strcmp(argv[optind], "list") &&
				   strcmp(argv[optind], "info") &&
				   strcmp(argv[optind], "stats") &&
				   strcmp(argv[optind], "watch")))
		cli_usage_error("give one of list, info, stats, watch");
	cmd = argv[optind];
	if (!strcmp(cmd, "list") && o.device)
		cli_usage_error("list shows every device: no -d");
	cli_signals();
	cli_line_buffered();
	if (!strcmp(cmd, "list"))
		return do_list(&o);
	if (cli_open_device("fpgacap-ctl", o.device, 0, &dev, NULL, path,
			    sizeof(path)))
		return 1;
	cli_json_init(&j, stdout);
	if (!strcmp(cmd, "watch")) {
		ret = do_watch(dev, path, &o);
	} else if (!strcmp(cmd, "info")) {
		struct fpgacap_info i;

		ret = fpgacap_get_info(dev, &i);
		if (!ret && o.json)
			json_info(&j, NULL, path, &i);
		else if (!ret)
			text_info(path, &i);
	} else {
		struct fpgacap_stats s;

		ret = fpgacap_get_stats(dev, &s);
		if (!ret && o.json)
			json_stats(&j, NULL, &s);
		else if (!ret)
			text_stats(&s);
	}
	if (ret)
		fprintf(stderr, "fpgacap-ctl: %s: %s: %s\n", path, cmd,
			fpgacap_strerror(ret));
	fpgacap_close(dev);
	return ret ? 1 : 0;
}
