// SPDX-License-Identifier: MIT
/*
 * fpgacap-iiod: serve fpgacap devices to libiio clients (iio_info,
 * iio_readdev, Python's iio, GNU Radio's gr-iio, IIO Oscilloscope) over
 * libiio 0.24's network protocol, the sample data leaving straight from the
 * capture pool. One thread per connection; this one listens, enforces the
 * connection limit, watches for sends that make no progress, and stops on
 * SIGINT/SIGTERM with a summary.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "iiod.h"

#define MAX_REJECTS 32
#define REJECT_LINGER_MS 1000
#define TICK_MS 50
#define STOP_BUDGET_MS 800
/* At the limit, a connection quiet this long may make room (iiod.h). */
#define EVICT_IDLE_MS 2000
/* Keepalive probes after the idle time: this many, a fifth of it apart. */
#define KEEPALIVE_PROBES 5

static void usage(FILE *f)
{
	fprintf(f,
"usage: fpgacap-iiod [options]\n"
"Serve fpgacap capture devices to libiio clients (iio_info, iio_readdev,\n"
"Python's iio, GNU Radio, IIO Oscilloscope) over libiio's network protocol,\n"
"sending the samples straight from the capture buffers.\n"
"\n"
"  -l, --listen ADDR:PORT  where to listen (default *:" IIOD_DEFAULT_PORT
", every IPv6\n"
"                          and IPv4 address; [::1]:PORT, 127.0.0.1:PORT, ...)\n"
"  -d, --device PATH       serve this device (repeatable; default every\n"
"                          /dev/fpgacap*)\n"
"  -C, --config FILE       devices' names, channels and pools (see the man\n"
"                          page); default: the pattern counter, le:u64/64>>0\n"
"  -c, --buffers N         pool buffers per device (default 16)\n"
"  -s, --buffer-size BYTES bytes per pool buffer, page multiple (default 256K)\n"
"  -m, --mode MODE         auto | copy | zerocopy | uring (default auto);\n"
"                          copy turns zero-copy off\n"
"      --max-clients N     connections at once (default 16); at the limit the\n"
"                          one idle longest (2 s at least, no buffer) makes\n"
"                          room, else a new one is told -EUSERS and closed\n"
"      --stall-timeout SECONDS  reset a client whose data makes no progress\n"
"                          for this long (default 10)\n"
"      --timeout SECONDS   longest wait for a pool buffer in a READBUF when\n"
"                          the client set none with TIMEOUT (default 0: no\n"
"                          limit); then the READBUF fails with -ETIMEDOUT\n"
"      --command-timeout SECONDS  a command once begun, and a connection's\n"
"                          first, must arrive whole within this (default 5)\n"
"      --keepalive SECONDS TCP keepalive: a client whose host stops answering\n"
"                          is found within twice this, from 5 s on\n"
"                          (default 10, 0: off)\n"
"      --port-file PATH    write the port listened on (for --listen ...:0)\n"
"  -i, --interval SECONDS  report every SECONDS while running\n"
"  -j, --json              one JSON document (start, sessions, end) on stdout\n"
"  -q, --quiet             no progress line\n"
"  -h, --help              this text\n"
"  -V, --version           the version\n"
"BYTES take K, M, G suffixes (powers of 1024). SIGINT or SIGTERM stops within\n"
"a second, with the summary.\n");
}

enum {
	OPT_MAX_CLIENTS = 256, OPT_STALL, OPT_TIMEOUT, OPT_PORT_FILE,
	OPT_COMMAND_TIMEOUT, OPT_KEEPALIVE,
};

static void parse_args(int argc, char **argv, struct iiod_options *o)
{
	static const struct option longopts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "device", required_argument, NULL, 'd' },
		{ "config", required_argument, NULL, 'C' },
		{ "buffers", required_argument, NULL, 'c' },
		{ "buffer-size", required_argument, NULL, 's' },
		{ "mode", required_argument, NULL, 'm' },
		{ "max-clients", required_argument, NULL, OPT_MAX_CLIENTS },
		{ "stall-timeout", required_argument, NULL, OPT_STALL },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "command-timeout", required_argument, NULL,
		  OPT_COMMAND_TIMEOUT },
		{ "keepalive", required_argument, NULL, OPT_KEEPALIVE },
		{ "port-file", required_argument, NULL, OPT_PORT_FILE },
		{ "interval", required_argument, NULL, 'i' },
		CLI_OPTS_TAIL,
	};
	uint64_t ns;
	int c;

	o->listen = "*:" IIOD_DEFAULT_PORT;
	o->max_clients = 16;
	o->stall_ns = 10000000000ULL;
	o->command_ns = 5000000000ULL;
	o->keepalive_s = 10;
	while ((c = getopt_long(argc, argv, "l:d:C:c:s:m:i:" CLI_SHORT_TAIL,
				longopts, NULL)) != -1) {
		switch (c) {
		case 'l': o->listen = optarg; break;
		case 'd':
			o->devices = realloc(o->devices, (o->ndevices + 1) *
					     sizeof(*o->devices));
			if (!o->devices)
				exit(1);
			o->devices[o->ndevices++] = optarg;
			break;
		case 'C': o->config = optarg; break;
		case 'c':
			o->buffers = (uint32_t)cli_opt_u64("--buffers", optarg, 0,
							   1, 65536);
			o->has_buffers = true;
			break;
		case 's':
			o->buffer_size = cli_opt_u64("--buffer-size", optarg,
						     CLI_SUFFIX, 4096, 1ULL << 40);
			o->has_buffer_size = true;
			break;
		case 'm':
			if (fpgacap_send_mode_parse(optarg, &o->mode))
				cli_bad_arg("--mode", optarg, "expected auto, "
					    "copy, zerocopy or uring");
			if (!fpgacap_send_mode_built(o->mode))
				cli_bad_arg("--mode", optarg, "this build has no "
					    "io_uring (liburing was missing)");
			o->has_mode = true;
			break;
		case OPT_MAX_CLIENTS:
			o->max_clients = (unsigned int)cli_opt_u64(
				"--max-clients", optarg, 0, 1, 4096);
			break;
		case OPT_STALL:
			ns = cli_opt_seconds("--stall-timeout", optarg, 86400);
			if (ns < 100000000)
				cli_bad_arg("--stall-timeout", optarg,
					    "at least 0.1 s");
			o->stall_ns = ns;
			break;
		case OPT_TIMEOUT:
			o->timeout_ms = cli_opt_seconds("--timeout", optarg,
							86400) / 1000000;
			break;
		case OPT_COMMAND_TIMEOUT:
			ns = cli_opt_seconds("--command-timeout", optarg, 3600);
			if (ns < 100000000)
				cli_bad_arg("--command-timeout", optarg,
					    "at least 0.1 s");
			o->command_ns = ns;
			break;
		case OPT_KEEPALIVE:
			o->keepalive_s = (unsigned int)cli_opt_u64(
				"--keepalive", optarg, 0, 0, 7200);
			break;
		case OPT_PORT_FILE: o->port_file = optarg; break;
		case 'i': o->interval_ns = cli_opt_interval(optarg); break;
		default: cli_common_opt(c, &o->json, &o->quiet, usage);
		}
	}
	if (optind != argc) {
		fprintf(stderr, "fpgacap-iiod: unexpected '%s' (see --help)\n",
			argv[optind]);
		exit(2);
	}
}

/* ---- devices ---- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every /dev/fpgacap* character device (not the udev alias symlink). */
static char **discover(unsigned int *n)
{
	char **paths = NULL;
	struct dirent *e;
	DIR *d = opendir("/dev");

	*n = 0;
	if (!d)
		return NULL;
	while ((e = readdir(d))) {
		char path[PATH_MAX];
		struct stat st;
		char **p;

		if (strncmp(e->d_name, "fpgacap", 7))
			continue;
		snprintf(path, sizeof(path), "/dev/%s", e->d_name);
		if (lstat(path, &st) || !S_ISCHR(st.st_mode))
			continue;
		p = realloc(paths, (*n + 1) * sizeof(*p));
		if (!p)
			break;
		paths = p;
		paths[(*n)++] = strdup(path);
	}
	closedir(d);
	if (*n)
		qsort(paths, *n, sizeof(*paths), cmp_str);
	return paths;
}

static int add_device(struct iiod_server *srv, struct iiod_config *cfg,
		      const char *path, bool named)
{
	struct iiod_device *d = &srv->devs[srv->ndevs];
	struct fpgacap *fc;
	int ret;

	memset(d, 0, sizeof(*d));
	ret = fpgacap_open(path, 0, &fc);
	if (!ret) {
		ret = fpgacap_get_info(fc, &d->info);
		fpgacap_close(fc);
	}
	if (ret) {
		fprintf(stderr, "fpgacap-iiod: %s: %s%s\n", path,
			fpgacap_strerror(ret), named ? "" : " (skipped)");
		return named ? ret : 0;
	}
	snprintf(d->path, sizeof(d->path), "%s", path);
	snprintf(d->id, sizeof(d->id), "iio:device%u", srv->ndevs);
	iiod_config_resolve(cfg, d->info.name, &d->cfg);
	if (srv->o.has_buffers)
		d->cfg.buffers = srv->o.buffers;
	if (srv->o.has_buffer_size)
		d->cfg.buffer_size = srv->o.buffer_size;
	if (srv->o.has_mode)
		d->cfg.mode = srv->o.mode;
	d->sample_size = iiod_sample_size(d->cfg.channels, d->cfg.nchannels);
	d->mask_words = (d->cfg.nchannels + 31) / 32;
	if (d->info.page_size && d->cfg.buffer_size % d->info.page_size) {
		fprintf(stderr, "fpgacap-iiod: %s: buffer size %llu is not a "
			"multiple of the page size %u\n", path,
			(unsigned long long)d->cfg.buffer_size,
			d->info.page_size);
		return -EINVAL;
	}
	if (!srv->o.json && !srv->o.quiet)
		printf("fpgacap-iiod: %s as %s (%s), %u channel%s, %u-byte "
		       "samples, %u x %llu KiB buffers, %s\n", path, d->id,
		       d->cfg.name, d->cfg.nchannels,
		       d->cfg.nchannels == 1 ? "" : "s", d->sample_size,
		       d->cfg.buffers,
		       (unsigned long long)(d->cfg.buffer_size >> 10),
		       fpgacap_send_mode_name(d->cfg.mode));
	srv->ndevs++;
	return 0;
}

static int setup_devices(struct iiod_server *srv)
{
	struct iiod_config cfg;
	char err[400], **found = NULL;
	const char **paths = srv->o.devices;
	unsigned int n = srv->o.ndevices, i;
	int ret = 0;

	iiod_config_init(&cfg);
	if (srv->o.config &&
	    iiod_config_load(&cfg, srv->o.config, err, sizeof(err))) {
		fprintf(stderr, "fpgacap-iiod: %s\n", err);
		iiod_config_free(&cfg);
		return -EINVAL;
	}
	if (!paths) {
		found = discover(&n);
		paths = (const char **)found;
	}
	srv->devs = calloc(n ? n : 1, sizeof(*srv->devs));
	if (!srv->devs)
		ret = -ENOMEM;
	for (i = 0; i < n && !ret; i++)
		ret = add_device(srv, &cfg, paths[i], !found);
	for (i = 0; !ret && i < cfg.ndevs; i++)
		if (!cfg.devs[i].used)
			fprintf(stderr, "fpgacap-iiod: %s: no device %s here "
				"(section at line %u)\n", srv->o.config,
				cfg.devs[i].match, cfg.devs[i].line);
	/* Names must tell devices apart. */
	for (i = 0; !ret && i < srv->ndevs; i++) {
		unsigned int j;

		for (j = 0; j < i; j++)
			if (!strcmp(srv->devs[i].cfg.name, srv->devs[j].cfg.name)) {
				fprintf(stderr, "fpgacap-iiod: %s and %s are "
					"both named %s\n", srv->devs[j].path,
					srv->devs[i].path, srv->devs[i].cfg.name);
				ret = -EINVAL;
			}
	}
	if (!ret && !srv->ndevs && !srv->o.quiet && !srv->o.json)
		printf("fpgacap-iiod: no capture device: serving an empty "
		       "context\n");
	for (i = 0; found && i < n; i++)
		free(found[i]);
	free(found);
	iiod_config_free(&cfg);
	return ret;
}

/* ---- connections ---- */

struct reject {
	int fd;
	uint64_t until;
};

/* Over the limit: say -EUSERS, then let the client read it and go. */
static void reject(struct reject *rj, unsigned int *nrj, int fd)
{
	static const char msg[] = "-87\n";	/* -EUSERS */

	if (send(fd, msg, sizeof(msg) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0 ||
	    shutdown(fd, SHUT_WR) || *nrj == MAX_REJECTS) {
		close(fd);
		return;
	}
	fcntl(fd, F_SETFL, O_NONBLOCK);
	rj[*nrj].fd = fd;
	rj[*nrj].until = fc_now_ns() + REJECT_LINGER_MS * 1000000ULL;
	(*nrj)++;
}

/* Drain the rejected until they close, or their time is up. */
static void reap_rejects(struct reject *rj, unsigned int *nrj)
{
	uint64_t now = fc_now_ns();
	unsigned int i = 0;

	while (i < *nrj) {
		char buf[512];
		ssize_t n;

		do
			n = recv(rj[i].fd, buf, sizeof(buf), 0);
		while (n > 0);
		if (n == 0 || (n < 0 && errno != EAGAIN) || now >= rj[i].until) {
			close(rj[i].fd);
			rj[i] = rj[--(*nrj)];
			continue;
		}
		i++;
	}
}

static void on_wake(int sig)
{
	(void)sig;
}

/*
 * Replies leave at once (each is one send: wire.c), and a client whose
 * host goes away without a word is found within twice the idle time
 * (from 5 s on); its session then ends and frees the device. Keepalive
 * finds it while nothing is in flight; while a reply is unacknowledged
 * TCP sends no keepalive probe, and only the user timeout (the same
 * bound) ends it before the retransmissions give up, minutes later.
 */
static void socket_options(const struct iiod_options *o, int fd)
{
	int one = 1, idle = (int)o->keepalive_s;
	int intvl = idle / KEEPALIVE_PROBES ? idle / KEEPALIVE_PROBES : 1;
	int cnt = KEEPALIVE_PROBES;
	unsigned int user_ms = (unsigned int)(idle + cnt * intvl) * 1000U;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (!idle)
		return;
	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
	setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_ms,
		   sizeof(user_ms));
}

static int start_conn(struct iiod_server *srv, int fd)
{
	struct iiod_conn *c = calloc(1, sizeof(*c));
	sigset_t block, old;
	int ret;

	if (!c)
		return -ENOMEM;
	socket_options(&srv->o, fd);
	c->srv = srv;
	c->fd = fd;
	c->timeout_ms = srv->o.timeout_ms;
	cli_sockname(fd, true, c->peer, sizeof(c->peer));
	/* Only this thread takes SIGINT and SIGTERM. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	ret = pthread_create(&c->thread, NULL, iiod_conn_main, c);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret) {
		free(c);
		return -ret;
	}
	pthread_mutex_lock(&srv->lock);
	c->next = srv->conns;
	srv->conns = c;
	srv->nconns++;
	srv->accepted++;
	pthread_mutex_unlock(&srv->lock);
	return 0;
}

/*
 * Join the threads that ended; wake the ones told to end, and those whose
 * send made no progress for the stall time. How many are left that were
 * not told to end (those still take a place until their thread is done).
 * A connection told to end is also shut down: a send it was finishing
 * fails at once instead of waiting for a slow or absent reader (its
 * session then resets the connection and collects the completions).
 */
static unsigned int tend_conns(struct iiod_server *srv, bool stopping)
{
	struct iiod_conn **pp = &srv->conns, *c;
	uint64_t now = fc_now_ns();
	unsigned int left = 0;

	while ((c = *pp)) {
		uint64_t since = atomic_load(&c->busy_since);

		if (atomic_load(&c->done)) {
			pthread_join(c->thread, NULL);
			close(c->fd);
			pthread_mutex_lock(&srv->lock);
			*pp = c->next;
			srv->nconns--;
			pthread_mutex_unlock(&srv->lock);
			free(c);
			continue;
		}
		if (stopping) {
			int run = IIOD_RUN;

			if (atomic_compare_exchange_strong(&c->abort, &run,
							   IIOD_ABORT_STOP))
				shutdown(c->fd, SHUT_RDWR);
			pthread_kill(c->thread, SIGUSR1);
		} else if (iiod_stalled(since, now, srv->o.stall_ns)) {
			int run = IIOD_RUN;

			if (atomic_compare_exchange_strong(&c->abort, &run,
							   IIOD_ABORT_STALL)) {
				if (!srv->o.quiet && !srv->o.json)
					fprintf(stderr, "fpgacap-iiod: %s made no "
						"progress for %.1f s: resetting "
						"it\n", c->peer,
						(double)srv->o.stall_ns / 1e9);
				shutdown(c->fd, SHUT_RDWR);
			}
			pthread_kill(c->thread, SIGUSR1);
		}
		if (stopping || atomic_load(&c->abort) == IIOD_RUN)
			left++;
		pp = &c->next;
	}
	return left;
}

/*
 * At the limit: close the connection that has been quiet the longest,
 * holding no buffer session and in no command, so that a newcomer is not
 * locked out by idle ones. false if none may go.
 */
static bool evict_idle(struct iiod_server *srv)
{
	struct iiod_conn *c, *oldest = NULL;
	uint64_t now = fc_now_ns(), since = 0;
	int run = IIOD_RUN;

	for (c = srv->conns; c; c = c->next) {
		uint64_t idle = atomic_load(&c->idle_since);

		if (atomic_load(&c->done) || atomic_load(&c->abort) != IIOD_RUN ||
		    !iiod_evictable(idle, atomic_load(&c->has_session), now,
				    EVICT_IDLE_MS * 1000000ULL))
			continue;
		if (!oldest || idle < since) {
			oldest = c;
			since = idle;
		}
	}
	if (!oldest || !atomic_compare_exchange_strong(&oldest->abort, &run,
						       IIOD_ABORT_EVICT))
		return false;
	shutdown(oldest->fd, SHUT_RDWR);
	pthread_kill(oldest->thread, SIGUSR1);
	pthread_mutex_lock(&srv->lock);
	srv->evicted++;
	pthread_mutex_unlock(&srv->lock);
	if (!srv->o.quiet && !srv->o.json)
		fprintf(stderr, "fpgacap-iiod: at the limit of %u connections: "
			"closing %s, idle for %.1f s\n", srv->o.max_clients,
			oldest->peer, (double)(now - since) / 1e9);
	return true;
}

/* ---- reports ---- */

static void device_totals(const struct iiod_device *d, struct iiod_stats *t)
{
	*t = d->st;
	iiod_stats_add(t, &d->live);
}

static uint64_t bytes_sent(struct iiod_server *srv)
{
	uint64_t sum = 0;
	unsigned int i;

	pthread_mutex_lock(&srv->lock);
	for (i = 0; i < srv->ndevs; i++)
		sum += srv->devs[i].st.bytes_sent + srv->devs[i].live.bytes_sent;
	pthread_mutex_unlock(&srv->lock);
	return sum;
}

static void interval_report(struct iiod_server *srv, struct cli_meter *m,
			    struct cli_json *ivj)
{
	double from, to;
	uint64_t delta;

	if (!cli_meter_due(m, bytes_sent(srv), &from, &to, &delta))
		return;
	if (srv->o.json) {
		cli_json_open(ivj, NULL, '{');
		cli_json_dbl(ivj, "start", from);
		cli_json_dbl(ivj, "end", to);
		cli_json_u64(ivj, "bytes", delta);
		cli_json_dbl(ivj, "MBps", (double)delta / 1e6 / (to - from));
		cli_json_u64(ivj, "connections", srv->nconns);
		cli_json_close(ivj, '}');
	} else {
		printf("[%6.1f-%6.1f s] %10.1f MB %8.1f MB/s  connections %u\n",
		       from, to, (double)delta / 1e6,
		       (double)delta / 1e6 / (to - from), srv->nconns);
	}
}

static void json_record(struct cli_json *j, const struct iiod_record *r)
{
	cli_json_open(j, NULL, '{');
	cli_json_str(j, "device", r->device);
	cli_json_str(j, "client", r->peer);
	cli_json_str(j, "requested", r->requested);
	cli_json_str(j, "mode", r->mode);
	cli_json_u64(j, "samples_count", r->samples_count);
	cli_json_u64(j, "buffers", r->buffers);
	cli_json_u64(j, "buffer_size", r->buffer_size);
	cli_json_u64(j, "bytes", r->bytes);
	cli_json_u64(j, "readbufs", r->readbufs);
	cli_json_u64(j, "sends", r->sends);
	cli_json_u64(j, "completions", r->completions);
	cli_json_u64(j, "copied", r->copied);
	cli_json_u64(j, "drops", r->drops);
	cli_json_u64(j, "bytes_dropped", r->bytes_dropped);
	cli_json_u64(j, "bytes_skipped", r->bytes_skipped);
	cli_json_u64(j, "unreleased", r->unreleased);
	cli_json_u64(j, "channels", r->channels);
	cli_json_u64(j, "channels_all", r->channels_all);
	cli_json_u64(j, "subset_bytes", r->subset_bytes);
	cli_json_u64(j, "timeouts", r->timeouts);
	cli_json_dbl(j, "rate", r->rate);
	cli_json_dbl(j, "seconds", r->seconds);
	cli_json_dbl(j, "thread_cpu_s", r->thread_cpu_s);
	cli_json_dbl(j, "busy_s", r->busy_s);
	cli_json_dbl(j, "cpu_total_s", r->cpu_total_s);
	cli_json_str(j, "ended_by", r->ended_by);
	if (r->error)
		cli_json_str(j, "error", fpgacap_strerror(r->error));
	cli_json_close(j, '}');
}

static void summary(struct iiod_server *srv, const char *stopped_by,
		    double secs, const char *intervals, unsigned int left)
{
	unsigned int i;

	pthread_mutex_lock(&srv->lock);
	if (srv->o.json) {
		struct cli_json j;

		cli_json_init(&j, stdout);
		cli_json_open(&j, NULL, '{');
		cli_json_open(&j, "start", '{');
		cli_json_str(&j, "tool", "fpgacap-iiod");
		cli_json_str(&j, "listen", srv->listen_name);
		cli_json_open(&j, "devices", '[');
		for (i = 0; i < srv->ndevs; i++) {
			struct iiod_device *d = &srv->devs[i];

			cli_json_open(&j, NULL, '{');
			cli_json_str(&j, "path", d->path);
			cli_json_str(&j, "id", d->id);
			cli_json_str(&j, "name", d->cfg.name);
			cli_json_u64(&j, "channels", d->cfg.nchannels);
			cli_json_u64(&j, "sample_size", d->sample_size);
			cli_json_close(&j, '}');
		}
		cli_json_close(&j, ']');
		cli_json_close(&j, '}');
		cli_json_raw(&j, "intervals", intervals ? intervals : "[]");
		cli_json_open(&j, "sessions", '[');
		for (i = 0; i < srv->nrecords; i++)
			json_record(&j, &srv->records[i]);
		cli_json_close(&j, ']');
		cli_json_open(&j, "end", '{');
		cli_json_dbl(&j, "seconds", secs);
		cli_json_str(&j, "stopped_by", stopped_by);
		cli_json_u64(&j, "connections", srv->accepted);
		cli_json_u64(&j, "refused_limit", srv->refused_limit);
		cli_json_u64(&j, "bad_commands", srv->bad_commands);
		cli_json_u64(&j, "evicted", srv->evicted);
		cli_json_open(&j, "ended", '{');
		for (i = 0; i < IIOD_END_MAX; i++)
			cli_json_u64(&j, iiod_end_names[i], srv->ended[i]);
		cli_json_close(&j, '}');
		cli_json_u64(&j, "records_lost", srv->records_lost);
		cli_json_u64(&j, "threads_left", left);
		cli_json_open(&j, "devices", '[');
		for (i = 0; i < srv->ndevs; i++) {
			struct iiod_stats t;

			device_totals(&srv->devs[i], &t);
			cli_json_open(&j, NULL, '{');
			cli_json_str(&j, "name", srv->devs[i].cfg.name);
			cli_json_u64(&j, "sessions", t.sessions);
			cli_json_u64(&j, "refused_busy", t.refused_busy);
			cli_json_u64(&j, "bytes_sent", t.bytes_sent);
			cli_json_u64(&j, "completions", t.completions);
			cli_json_u64(&j, "copied", t.copied);
			cli_json_u64(&j, "buffers_returned", t.buffers_returned);
			cli_json_u64(&j, "drops", t.drops);
			cli_json_u64(&j, "bytes_skipped", t.bytes_skipped);
			cli_json_u64(&j, "unreleased", t.unreleased);
			cli_json_u64(&j, "subset_bytes", t.subset_bytes);
			cli_json_u64(&j, "timeouts", t.timeouts);
			cli_json_close(&j, '}');
		}
		cli_json_close(&j, ']');
		cli_json_close(&j, '}');
		cli_json_close(&j, '}');
	} else {
		printf("fpgacap-iiod: stopped by %s after %.1f s: %llu "
		       "connections (%llu refused at the limit), %llu bad "
		       "commands; ended:", stopped_by, secs,
		       (unsigned long long)srv->accepted,
		       (unsigned long long)srv->refused_limit,
		       (unsigned long long)srv->bad_commands);
		for (i = 0; i < IIOD_END_MAX; i++)
			printf(" %s %llu", iiod_end_names[i],
			       (unsigned long long)srv->ended[i]);
		printf("\n");
		for (i = 0; i < srv->ndevs; i++) {
			struct iiod_stats t;

			device_totals(&srv->devs[i], &t);
			printf("  %s: %llu sessions (%llu refused: busy), "
			       "%.1f MB sent, zero-copy completions %llu "
			       "(copied %llu), drops %llu, skipped %llu bytes, "
			       "unreleased buffers %llu\n",
			       srv->devs[i].cfg.name,
			       (unsigned long long)t.sessions,
			       (unsigned long long)t.refused_busy,
			       (double)t.bytes_sent / 1e6,
			       (unsigned long long)t.completions,
			       (unsigned long long)t.copied,
			       (unsigned long long)t.drops,
			       (unsigned long long)t.bytes_skipped,
			       (unsigned long long)t.unreleased);
		}
		if (left)
			printf("  %u connections did not end in time\n", left);
	}
	pthread_mutex_unlock(&srv->lock);
	fflush(stdout);
}

/* ---- main ---- */

static int write_port_file(const char *path, int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char tmp[PATH_MAX];
	unsigned int port;
	FILE *f;

	if (getsockname(fd, (struct sockaddr *)&ss, &len))
		return -errno;
	port = ss.ss_family == AF_INET6 ?
	       ntohs(((struct sockaddr_in6 *)&ss)->sin6_port) :
	       ntohs(((struct sockaddr_in *)&ss)->sin_port);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f)
		return -errno;
	fprintf(f, "%u\n", port);
	if (fclose(f) || rename(tmp, path))
		return -errno;
	return 0;
}

int main(int argc, char **argv)
{
	struct iiod_server srv;
	struct sigaction wake = { .sa_handler = on_wake };
	struct reject rj[MAX_REJECTS];
	unsigned int nrj = 0, left;
	struct cli_meter meter;
	struct cli_json ivj;
	char err[300], *intervals = NULL;
	size_t intervals_len = 0;
	FILE *ivf = NULL;
	const char *stopped_by = "an error";
	uint64_t t0, stop_at;
	int ret = 0;

	memset(&srv, 0, sizeof(srv));
	parse_args(argc, argv, &srv.o);
	cli_signals();
	cli_line_buffered();
	/* SIGUSR1 wakes a connection's thread from a wait (no SA_RESTART). */
	sigemptyset(&wake.sa_mask);
	sigaction(SIGUSR1, &wake, NULL);
	pthread_mutex_init(&srv.lock, NULL);
	if (setup_devices(&srv) || iiod_build_xml(&srv))
		return 1;
	srv.listen_fd = cli_listen(srv.o.listen, 64, err, sizeof(err));
	if (srv.listen_fd < 0) {
		fprintf(stderr, "fpgacap-iiod: listen %s\n", err);
		return 1;
	}
	cli_sockname(srv.listen_fd, false, srv.listen_name,
		     sizeof(srv.listen_name));
	if (srv.o.port_file && write_port_file(srv.o.port_file, srv.listen_fd)) {
		fprintf(stderr, "fpgacap-iiod: %s: %s\n", srv.o.port_file,
			strerror(errno));
		return 1;
	}
	if (!srv.o.json && !srv.o.quiet)
		printf("fpgacap-iiod: listening on %s, %u device%s\n",
		       srv.listen_name, srv.ndevs, srv.ndevs == 1 ? "" : "s");
	if (srv.o.json && srv.o.interval_ns) {
		ivf = open_memstream(&intervals, &intervals_len);
		if (ivf) {
			cli_json_init(&ivj, ivf);
			cli_json_open(&ivj, NULL, '[');
		}
	}
	cli_meter_init(&meter, srv.o.quiet || srv.o.json, srv.o.interval_ns);
	t0 = fc_now_ns();
	while (!cli_stop) {
		struct pollfd p = { .fd = srv.listen_fd, .events = POLLIN };
		int n = poll(&p, 1, TICK_MS);

		if (n < 0 && errno != EINTR) {
			fprintf(stderr, "fpgacap-iiod: poll: %s\n",
				strerror(errno));
			ret = 1;
			break;
		}
		if (n > 0 && (p.revents & POLLIN)) {
			int fd = accept4(srv.listen_fd, NULL, NULL,
					 SOCK_CLOEXEC);

			if (fd >= 0 && tend_conns(&srv, false) >=
				       srv.o.max_clients && !evict_idle(&srv)) {
				pthread_mutex_lock(&srv.lock);
				srv.refused_limit++;
				pthread_mutex_unlock(&srv.lock);
				reject(rj, &nrj, fd);
			} else if (fd >= 0 && start_conn(&srv, fd)) {
				close(fd);
			}
		}
		tend_conns(&srv, false);
		reap_rejects(rj, &nrj);
		cli_meter_progress(&meter, bytes_sent(&srv), NULL);
		interval_report(&srv, &meter, &ivj);
	}
	if (cli_stop)
		stopped_by = cli_signame(cli_stop);
	/* Every connection told to end; what is in flight is reset. */
	close(srv.listen_fd);
	stop_at = fc_now_ns() + STOP_BUDGET_MS * 1000000ULL;
	while ((left = tend_conns(&srv, true)) && fc_now_ns() < stop_at)
		usleep(TICK_MS * 1000 / 5);
	while (nrj)
		close(rj[--nrj].fd);
	cli_meter_done(&meter);
	if (ivf) {
		cli_json_close(&ivj, ']');
		fclose(ivf);
	}
	summary(&srv, stopped_by, (double)(fc_now_ns() - t0) / 1e9, intervals,
		left);
	free(intervals);
	/* Threads still running (left) end with the process. */
	if (!left) {
		free(srv.records);
		free(srv.devs);
		free(srv.xml);
		free(srv.o.devices);
	}
	return ret;
}
