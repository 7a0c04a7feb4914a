// SPDX-License-Identifier: MIT
/*
 * fpgacap-bench: what a user runs on the board against a sink on a PC.
 *
 * Streams the capture device in each mode (TCP: copy, MSG_ZEROCOPY,
 * io_uring SEND_ZC, SEND_ZC from the pool registered as fixed buffers;
 * UDP datagrams with GSO: copy, MSG_ZEROCOPY, SENDMSG_ZC; and, for
 * comparison, the classic coherent driver's buffers copied out), or to a
 * disk through the library's recorder (O_DIRECT writes from the pool,
 * from the pool registered with io_uring, or copied first), and reports,
 * side by side from one run, each repeated: payload rate, CPU per
 * GB of the whole system (busy time of every CPU from /proc/stat: user,
 * system, irq and softirq) and of this process, completions the kernel
 * copied anyway, what the sink got. Micro-benchmarks: buffer hand-off cost
 * per batch size, pool setup time and segments, what copying the same
 * bytes costs this CPU. SIGINT or SIGTERM stops within a second and prints
 * what was measured; the exit status is 1 if any mode failed.
 *
 * --model marks each run (and each memcpy) for a cost model that watches
 * the CPU from outside, a QEMU plugin (marker.h, tests/bench/memmodel.c):
 * hint instructions that are no-ops on a board.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "libfpgacap.h"
#include "cli.h"
#include "marker.h"
#include "../tests/classic/fpgacap-classic.h"

/* GbE TCP goodput at MTU 1500 with timestamps: 1448/1538 of 125 MB/s. */
#define GBE_CEILING_MBPS 117.7

enum bench_mode {
	MODE_CAPTURE,		/* dequeue/return only: the source's rate */
	MODE_COPY,		/* page pool, send() copies */
	MODE_ZEROCOPY,		/* page pool, MSG_ZEROCOPY */
	MODE_URING,		/* page pool, io_uring SEND_ZC */
	MODE_URING_FIXED,	/* page pool registered, fixed-buffer SEND_ZC */
	MODE_COHERENT_COPY,	/* classic coherent buffers, send() copies */
	MODE_COHERENT_ZC,	/* classic coherent buffers, MSG_ZEROCOPY */
	MODE_UDP_COPY,		/* page pool, UDP datagrams, GSO, copied */
	MODE_UDP_ZEROCOPY,	/* ... MSG_ZEROCOPY */
	MODE_UDP_URING,		/* ... io_uring SENDMSG_ZC */
	MODE_FRAMED_COPY,	/* slotted pool, a run of slots a send, copied */
	MODE_FRAMED_ZEROCOPY,	/* ... MSG_ZEROCOPY, one pin a send */
	MODE_FRAMED_URING,	/* ... io_uring SEND_ZC, registered pool */
	MODE_RECORDS_COPY,	/* slots the source writes whole, copied */
	MODE_RECORDS_ZEROCOPY,	/* ... MSG_ZEROCOPY */
	MODE_RECORDS_URING,	/* ... io_uring SEND_ZC, registered pool */
	MODE_RECORD_DIRECT,	/* to disk: O_DIRECT writes from the pool */
	MODE_RECORD_FIXED,	/* ... from the pool registered with io_uring */
	MODE_RECORD_COPY,	/* ... memcpy to the library's memory, written */
	NR_MODES,
};

static const char *const mode_names[NR_MODES] = {
	"capture", "copy", "zerocopy", "uring", "uring-fixed",
	"coherent-copy", "coherent-zerocopy", "udp-copy", "udp-zerocopy",
	"udp-uring", "udp-framed", "udp-framed-zerocopy", "udp-framed-uring",
	"udp-records", "udp-records-zerocopy", "udp-records-uring",
	"record-direct", "record-fixed", "record-copy",
};

/* A datagram a slot: 1472 bytes fill an IPv4 UDP packet at MTU 1500; the
 * library writes the 24-byte datagram header into each slot's room. */
#define SLOT_SIZE_DEFAULT 1472
#define SLOT_HEADER 24

static bool mode_udp(enum bench_mode m)
{
	return m >= MODE_UDP_COPY && m <= MODE_RECORDS_URING;
}

/* A slotted pool: a run of whole slots a send. */
static bool mode_slotted(enum bench_mode m)
{
	return m >= MODE_FRAMED_COPY && m <= MODE_RECORDS_URING;
}

/* To disk (--record-to) rather than to a network. */
static bool mode_record(enum bench_mode m)
{
	return m >= MODE_RECORD_DIRECT;
}

/* The library's recorder mode a record-* mode measures: its names. */
static enum fpgacap_record_mode record_mode(enum bench_mode m)
{
	switch (m) {
	case MODE_RECORD_FIXED: return FPGACAP_RECORD_FIXED;
	case MODE_RECORD_COPY: return FPGACAP_RECORD_COPY;
	default: return FPGACAP_RECORD_DIRECT;
	}
}

/* ... writable: the library writes each header into its slot's room (the
 * source writes the payloads, a DMA segment each); else the source wrote
 * whole records, and the pool stays read-only (but for io_uring). */
static bool mode_framed(enum bench_mode m)
{
	return m >= MODE_FRAMED_COPY && m < MODE_RECORDS_COPY;
}

/*
 * A writable pool: the library writes into it (framed headers), or io_uring
 * registers it, which Linux takes from 6.12 on (FOLL_WRITE): uring-fixed,
 * record-fixed, and the slotted datagram modes' SEND_ZC, whose runs of
 * slots then go out with nothing pinned per send (the library falls back
 * to pinning where registration is refused, and says so). A writable pool
 * is mapped both ways, so its sync for the device cleans the caches
 * rather than invalidating them.
 */
static bool mode_writable(enum bench_mode m)
{
	return m == MODE_URING_FIXED || m == MODE_RECORD_FIXED ||
	       m == MODE_RECORDS_URING || mode_framed(m);
}

static bool mode_coherent(enum bench_mode m)
{
	return m == MODE_COHERENT_COPY || m == MODE_COHERENT_ZC;
}

static enum fpgacap_send_mode send_mode(enum bench_mode m)
{
	switch (m) {
	case MODE_ZEROCOPY:
	case MODE_COHERENT_ZC:
	case MODE_UDP_ZEROCOPY:
	case MODE_FRAMED_ZEROCOPY:
	case MODE_RECORDS_ZEROCOPY:
		return FPGACAP_SEND_ZEROCOPY;
	case MODE_URING:
	case MODE_URING_FIXED:
	case MODE_UDP_URING:
	case MODE_FRAMED_URING:
	case MODE_RECORDS_URING:
		return FPGACAP_SEND_URING;
	default:
		return FPGACAP_SEND_COPY;
	}
}

struct bench_opts {
	const char *device;		/* NULL: the one there is */
	const char *dest;		/* TCP sink */
	const char *udp;		/* UDP destination */
	const char *udp_control;	/* its sink's control connection */
	const char *classic;		/* the classic driver's device */
	const char *record_to;		/* record-*: the file or block device */
	uint32_t count, repeat;
	uint32_t slot_size;		/* udp-framed-*: bytes per slot */
	uint64_t sizes[16];
	unsigned int nsizes;
	uint64_t duration_ns, bytes, rate;
	uint64_t interval_ns;		/* text reports during a run */
	unsigned int run_timeout;	/* seconds a run may take, 0: no limit */
	bool modes[NR_MODES];
	bool json, quiet, handoff, setup, memcpy_bench;
	bool model, model_profile;	/* markers; per-block counts at rep 1 */
};

/* A marked window's id: unique within a guest's run of several benches. */
static uint32_t model_id(void)
{
	static uint32_t seq;

	return ((uint32_t)getpid() & 0xffff) << 16 | (++seq & 0xffff);
}

/* CPU time of all CPUs from /proc/stat, in clock ticks. */
struct sys_cpu {
	unsigned long long user, nice, system, idle, iowait, irq, softirq,
			   steal;
};

static void read_sys_cpu(struct sys_cpu *c)
{
	FILE *f = fopen("/proc/stat", "re");

	memset(c, 0, sizeof(*c));
	if (!f)
		return;
	if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &c->user,
		   &c->nice, &c->system, &c->idle, &c->iowait, &c->irq,
		   &c->softirq, &c->steal) < 7)
		memset(c, 0, sizeof(*c));
	fclose(f);
}

static unsigned long long cpu_busy(const struct sys_cpu *c)
{
	return c->user + c->nice + c->system + c->irq + c->softirq + c->steal;
}

struct result {
	enum bench_mode mode;
	uint64_t size;
	uint32_t count, rep;
	int error;			/* negative errno if the run failed */
	double seconds, mbps;
	uint64_t bytes, buffers;
	double proc_user, proc_sys;	/* seconds */
	long long busy_ticks, idle_ticks, softirq_ticks;	/* all CPUs */
	double busy;			/* seconds, all CPUs (busy_seconds) */
	uint64_t completions, copied, drops;
	bool copied_known, fixed_buffers;
	int fixed_error;
	uint64_t lat_p50, lat_p99;
	int64_t retransmits;		/* TCP, -1 if unknown */
	uint64_t datagrams;		/* UDP: sent */
	uint64_t datagram_sends;	/* ... in sendmsg() or io_uring requests */
	uint32_t datagram_size, gso_segments;
	int sink;			/* UDP: 0 intact, 1 not, -errno */
	uint64_t sink_datagrams, sink_lost, sink_dropped;
	bool interrupted;		/* cut short by SIGINT/SIGTERM */
	const char *mode_used;
	uint32_t model_id;		/* --model: the run's window, 0 if none */
	/* record-*: the recorder's account, and the reader's verdict */
	struct fpgacap_recorder_stats rs;
	int verify;			/* 0 intact, 1 not, -errno; -1 not run */
	enum fpgacap_verify_mode verify_mode;
	uint64_t verified_bytes;	/* payload the reader checked */
};

/* A number from the sink's flat JSON ("key":123); 0 if absent. */
static uint64_t json_u64(const char *json, const char *key)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(json, pat);
	return p ? strtoull(p + strlen(pat), NULL, 10) : 0;
}

static bool done_yet(const struct bench_opts *o, uint64_t start,
		     uint64_t bytes)
{
	return (o->duration_ns && fc_now_ns() - start >= o->duration_ns) ||
	       (o->bytes && bytes >= o->bytes);
}

/* -i: a line per interval of a run, payload and rate. */
static void interval_line(struct cli_meter *m, const char *mode,
			  uint64_t bytes)
{
	uint64_t delta;
	double from, to;

	if (cli_meter_due(m, bytes, &from, &to, &delta))
		printf("[%6.1f-%6.1f s] %-17s %10.1f MB %8.1f MB/s\n", from, to,
		       mode, (double)delta / 1e6,
		       (double)delta / 1e6 / (to - from));
}

/* Capture only: how fast buffers come and go without any network. */
static int run_capture(struct fpgacap *dev, const struct bench_opts *o,
		       struct result *r)
{
	struct fpgacap_buffer b[64];
	uint32_t idx[64];
	uint64_t start = fc_now_ns();
	struct cli_meter meter;
	int n, i, ret;

	cli_meter_init(&meter, true, o->interval_ns);
	ret = fpgacap_start(dev);
	while (!ret && !cli_stop && !done_yet(o, start, r->bytes)) {
		n = fpgacap_dequeue(dev, b, 64, 200000000LL);
		if (n == -ETIMEDOUT || n == -EINTR)
			continue;
		if (n < 0)
			return n;
		for (i = 0; i < n; i++) {
			idx[i] = b[i].index;
			r->bytes += b[i].bytes_used;
		}
		r->buffers += n;
		ret = fpgacap_return(dev, idx, n);
		interval_line(&meter, mode_names[MODE_CAPTURE], r->bytes);
	}
	r->interrupted = cli_stop != 0;
	return ret;
}

/* The network's end of a run: its socket, and for UDP the sink's word. */
struct link {
	int fd, ctl;
	struct fpgacap_pump *pump;	/* kept until the sink had its say */
	char verdict[2200];
};

static int link_open(const struct bench_opts *o, enum bench_mode mode,
		     struct link *l)
{
	char err[300];

	l->fd = l->ctl = -1;
	if (!mode_udp(mode)) {
		l->fd = cli_connect(o->dest, err, sizeof(err));
		if (l->fd < 0) {
			fprintf(stderr, "fpgacap-bench: connect %s\n", err);
			return -ECONNREFUSED;
		}
		return 0;
	}
	/* No timeout: under -icount sleep=off it would elapse at once while
	 * the guest waits for the host. */
	return cli_open_datagram("fpgacap-bench", o->udp_control, o->udp, -1,
				 &l->ctl, &l->fd);
}

/* UDP: END, then what the sink counted; the link closed. */
static void link_close(struct link *l, struct result *r)
{
	struct fpgacap_sender *s = l->pump ? fpgacap_pump_sender(l->pump) :
				   NULL;

	if (s && l->ctl >= 0 && !r->error) {
		r->error = fpgacap_sender_end_datagrams(s);
		if (!r->error) {
			r->sink = cli_read_verdict(l->ctl, l->verdict,
						   sizeof(l->verdict),
						   cli_stop ? 500 : -1);
			r->sink_datagrams = json_u64(l->verdict, "datagrams");
			r->sink_lost = json_u64(l->verdict, "lost_datagrams");
			r->sink_dropped = json_u64(l->verdict, "rx_dropped");
		}
	}
	fpgacap_pump_destroy(l->pump);
	if (l->fd >= 0)
		close(l->fd);
	if (l->ctl >= 0)
		close(l->ctl);
}

static void sender_figures(struct fpgacap_sender *s, struct result *r)
{
	struct fpgacap_sender_stats ss = { .size = sizeof(ss) };

	fpgacap_sender_get_stats(s, &ss);
	r->completions = ss.completions;
	r->copied = ss.copied;
	r->copied_known = ss.copied_known;
	r->fixed_buffers = ss.fixed_buffers;
	r->fixed_error = ss.fixed_buffers_error;
	r->mode_used = fpgacap_send_mode_name(ss.mode);
	r->datagrams = ss.datagrams;
	r->datagram_sends = ss.datagram_sends;
	r->datagram_size = ss.datagram_size;
	r->gso_segments = ss.gso_segments;
}

/* The page pool through the pump: TCP or UDP. */
static int run_stream(struct fpgacap *dev, const struct bench_opts *o,
		      enum bench_mode mode, struct link *l, struct result *r)
{
	struct fpgacap_sender_opts so = { .size = sizeof(so) };
	struct fpgacap_pump_opts po = {
		.size = sizeof(po),
		.max_bytes = o->bytes,
		.timeout_ns = 200000000,
		.send = &so,
	};
	struct fpgacap_pump_stats ps = { .size = sizeof(ps) };
	struct fpgacap_pump *pump;
	struct cli_meter meter;
	uint64_t start;
	int ret;

	so.fd = l->fd;
	so.mode = send_mode(mode);
	ret = fpgacap_pump_create(dev, &po, &pump);
	if (ret)
		return ret;
	if (mode == MODE_URING_FIXED) {
		struct fpgacap_sender_stats ss = { .size = sizeof(ss) };

		/* What this mode is about: refused, it is not measured. */
		fpgacap_sender_get_stats(fpgacap_pump_sender(pump), &ss);
		if (!ss.fixed_buffers) {
			sender_figures(fpgacap_pump_sender(pump), r);
			fpgacap_pump_destroy(pump);
			return ss.fixed_buffers_error ?
			       -ss.fixed_buffers_error : -EOPNOTSUPP;
		}
	}
	ret = fpgacap_start(dev);
	cli_meter_init(&meter, o->quiet || o->json, o->interval_ns);
	start = fc_now_ns();
	while (!ret && !cli_stop) {
		ret = fpgacap_pump_step(pump);
		if (ret == -EINTR)
			ret = 0;
		fpgacap_pump_get_stats(pump, &ps);
		cli_meter_progress(&meter, ps.payload_bytes, mode_names[mode]);
		interval_line(&meter, mode_names[mode], ps.payload_bytes);
		if (o->duration_ns && fc_now_ns() - start >= o->duration_ns)
			break;
	}
	cli_meter_done(&meter);
	if (ret == 1)
		ret = 0;
	r->interrupted = cli_stop != 0;
	if (fpgacap_pump_finish(pump, cli_stop ? 300 : 30000) && !ret &&
	    !cli_stop)
		ret = -ETIMEDOUT;
	sender_figures(fpgacap_pump_sender(pump), r);
	fpgacap_pump_get_stats(pump, &ps);
	r->bytes = ps.payload_bytes;
	r->buffers = ps.buffers;
	r->lat_p50 = fpgacap_pump_latency(pump, 50);
	r->lat_p99 = fpgacap_pump_latency(pump, 99);
	if (!mode_udp(mode))
		r->retransmits = cli_tcp_retrans(l->fd);
	l->pump = pump;
	return ret;
}

/* record-*: where the stream goes, and its index (kept in memory: it
 * serves the check after the run). */
struct rec_target {
	int fd, index_fd;
};

/*
 * @path for O_DIRECT writes: a block device exclusively (O_EXCL: one
 * that is mounted fails with EBUSY instead of being overwritten under a
 * file system), a regular file created or truncated.
 */
static int rec_target_open(const char *path, struct rec_target *t)
{
	int flags = O_WRONLY | O_DIRECT | O_CLOEXEC;
	struct stat sb;

	t->fd = t->index_fd = -1;
	if (!stat(path, &sb) && S_ISBLK(sb.st_mode))
		flags |= O_EXCL;
	else
		flags |= O_CREAT | O_TRUNC;
	t->fd = open(path, flags, 0644);
	if (t->fd < 0)
		return -errno;
	t->index_fd = memfd_create("fpgacap-bench-index", MFD_CLOEXEC);
	if (t->index_fd < 0) {
		int err = -errno;

		close(t->fd);
		t->fd = -1;
		return err;
	}
	return 0;
}

static void rec_target_close(struct rec_target *t)
{
	if (t->fd >= 0)
		close(t->fd);
	if (t->index_fd >= 0)
		close(t->index_fd);
	t->fd = t->index_fd = -1;
}

/* The library's recording: dequeue, write, release when written. */
static int run_record(struct fpgacap *dev, const struct bench_opts *o,
		      enum bench_mode mode, const struct rec_target *t,
		      struct result *r)
{
	struct fpgacap_recorder_opts ro = {
		.size = sizeof(ro),
		.fd = t->fd,
		.index_fd = t->index_fd,
		.mode = record_mode(mode),
	};
	struct fpgacap_recording_opts po = {
		.size = sizeof(po),
		.max_bytes = o->bytes,
		.timeout_ns = 200000000,
		.record = &ro,
	};
	struct fpgacap_recording_stats st = { .size = sizeof(st) };
	struct fpgacap_recording *rec;
	struct cli_meter meter;
	uint64_t start;
	int ret;

	r->rs.size = sizeof(r->rs);
	ret = fpgacap_recording_create(dev, &po, &rec);
	if (ret) {
		/* record-fixed where the kernel will not register the pool:
		 * the row says why (as uring-fixed's does). */
		if (mode == MODE_RECORD_FIXED &&
		    (ret == -EOPNOTSUPP || ret == -EFAULT))
			r->fixed_error = -ret;
		return ret;
	}
	ret = fpgacap_start(dev);
	cli_meter_init(&meter, o->quiet || o->json, o->interval_ns);
	start = fc_now_ns();
	while (!ret && !cli_stop) {
		ret = fpgacap_recording_step(rec);
		if (ret == -EINTR)
			ret = 0;
		fpgacap_recording_get_stats(rec, &st);
		cli_meter_progress(&meter, st.payload_bytes, mode_names[mode]);
		interval_line(&meter, mode_names[mode], st.payload_bytes);
		if (o->duration_ns && fc_now_ns() - start >= o->duration_ns)
			break;
	}
	cli_meter_done(&meter);
	if (ret == 1)
		ret = 0;
	r->interrupted = cli_stop != 0;
	/* Every write on the disk (fdatasync) and the index ended: part of
	 * what recording costs, as the pump's finish is of a send. */
	{
		int fin = fpgacap_recording_finish(rec, cli_stop ? 300 : 30000);

		if (fin && !ret && !cli_stop)
			ret = fin;
	}
	fpgacap_recording_get_stats(rec, &st);
	fpgacap_recorder_get_stats(fpgacap_recording_recorder(rec), &r->rs);
	r->bytes = st.payload_bytes;
	r->buffers = st.buffers;
	r->lat_p50 = fpgacap_recording_latency(rec, 50);
	r->lat_p99 = fpgacap_recording_latency(rec, 99);
	r->fixed_buffers = r->rs.fixed_buffers;
	r->fixed_error = r->rs.fixed_buffers_error;
	r->mode_used = fpgacap_record_mode_name(r->rs.mode);
	/* Acknowledged is what the disk took: anything less is a failure
	 * even if no call said so. */
	if (!ret && r->rs.acknowledged_bytes != st.payload_bytes)
		ret = -EIO;
	fpgacap_recording_destroy(rec);
	return ret;
}

/*
 * After the run, outside its window: the library's reader checks the
 * recording on the disk against its index (the pattern source's stream
 * byte by byte; another source's index only).
 */
static void record_verify(const char *path, const struct rec_target *t,
			  struct result *r)
{
	struct fpgacap_record_check_stats st = { .size = sizeof(st) };
	struct fpgacap_record_reader *rd;
	int fd = open(path, O_RDONLY | O_DIRECT | O_CLOEXEC);
	int ret = fd < 0 ? -errno : 0;

	if (!ret)
		ret = fpgacap_record_reader_open(fd, t->index_fd,
						 FPGACAP_VERIFY_AUTO, &rd);
	if (!ret) {
		while ((ret = fpgacap_record_reader_step(rd, 0)) > 0)
			;
		fpgacap_record_reader_get_stats(rd, &st);
		fpgacap_record_reader_close(rd);
	}
	if (fd >= 0)
		close(fd);
	r->verify_mode = st.mode;
	r->verified_bytes = st.payload_bytes;
	if (ret)
		r->verify = ret;
	else
		r->verify = st.error || !st.ended ||
			    st.payload_bytes != r->bytes ? 1 : 0;
}

static const char *verify_mode_name(enum fpgacap_verify_mode m)
{
	switch (m) {
	case FPGACAP_VERIFY_PATTERN: return "pattern";
	case FPGACAP_VERIFY_FRAMED: return "framed";
	case FPGACAP_VERIFY_FRAMES: return "frames";
	case FPGACAP_VERIFY_NONE: return "index";
	default: return "?";
	}
}

/* The classic driver's buffers. */
struct classic {
	int fd;
	struct fpgacap_classic_info info;
	void *map[64];
	bool busy[64];
};

static void classic_release(void *ctx, uint64_t cookie)
{
	struct classic *c = ctx;

	c->busy[cookie % c->info.count] = false;
}

static int classic_open(const struct bench_opts *o, uint64_t size,
			struct classic *c)
{
	uint32_t i;

	memset(c, 0, sizeof(*c));
	c->fd = open(o->classic, O_RDWR | O_CLOEXEC);
	if (c->fd < 0)
		return -errno;
	if (ioctl(c->fd, FPGACAP_CLASSIC_INFO, &c->info))
		return -errno;
	/* Loaded with another buffer size (its buffer_kb parameter); 0
	 * takes the size it has. */
	if (!size)
		size = c->info.buffer_size;
	if (c->info.buffer_size != size || !c->info.count ||
	    c->info.count > 64)
		return -EMEDIUMTYPE;
	for (i = 0; i < c->info.count; i++) {
		c->map[i] = mmap(NULL, size, PROT_READ, MAP_SHARED, c->fd,
				 (off_t)(i * size));
		if (c->map[i] == MAP_FAILED) {
			c->map[i] = NULL;
			return -errno;
		}
	}
	return 0;
}

/* Tell the model which pages are the coherent (uncached) buffers. */
static void classic_mark_uncached(const struct classic *c)
{
	uint64_t off;
	uint32_t i;

	for (i = 0; i < c->info.count; i++)
		for (off = 0; c->map[i] && off < c->info.buffer_size;
		     off += 4096)
			mark_uncached((const char *)c->map[i] + off);
}

static void classic_close(struct classic *c)
{
	uint32_t i;

	for (i = 0; i < 64; i++)
		if (c->map[i])
			munmap(c->map[i], c->info.buffer_size);
	if (c->fd >= 0)
		close(c->fd);
}

/*
 * What users run today: the CPU (standing in for the device's DMA) fills
 * a coherent buffer, and send() copies it out of there, or MSG_ZEROCOPY
 * refuses it (EFAULT).
 */
static int run_classic(struct classic *c, const struct bench_opts *o,
		       enum bench_mode mode, const struct link *l,
		       struct result *r)
{
	struct fpgacap_sender_opts so = {
		.size = sizeof(so), .fd = l->fd, .mode = send_mode(mode),
		.max_inflight = c->info.count, .release = classic_release,
		.ctx = c,
	};
	struct fpgacap_sender *s;
	uint64_t start = fc_now_ns(), k = 0;
	int ret;

	ret = fpgacap_sender_create(&so, &s);
	if (ret)
		return ret;
	while (!ret && !cli_stop && !done_yet(o, start, r->bytes)) {
		uint32_t i = (uint32_t)(k % c->info.count);
		struct fpgacap_classic_fill f = { .index = i,
						  .offset = r->bytes };
		struct iovec v = { .iov_base = c->map[i],
				   .iov_len = c->info.buffer_size };

		while (c->busy[i] && !ret)
			ret = fpgacap_sender_reap(s, 1000) < 0 ? -EIO : 0;
		/* The fill stands in for the device's DMA: not the CPU's
		 * work on a board, so the model leaves it out. */
		if (o->model)
			mark(MARK_PAUSE, 0);
		if (!ret && ioctl(c->fd, FPGACAP_CLASSIC_FILL, &f))
			ret = -errno;
		if (o->model)
			mark(MARK_RESUME, 0);
		c->busy[i] = true;
		if (!ret)
			ret = fpgacap_sender_send(s, &v, 1, k);
		if (ret) {
			c->busy[i] = false;
			break;
		}
		r->bytes += c->info.buffer_size;
		r->buffers++;
		k++;
	}
	if (fpgacap_sender_flush(s, cli_stop ? 300 : 30000) && !ret)
		ret = -ETIMEDOUT;
	r->interrupted = cli_stop != 0;
	sender_figures(s, r);
	r->retransmits = cli_tcp_retrans(l->fd);
	fpgacap_sender_destroy(s);
	return ret;
}

/*
 * Busy time of every CPU during a run: the run's elapsed time on each
 * online CPU, times the busy share of the /proc/stat ticks counted
 * meanwhile. The ticks alone (10 ms each at USER_HZ 100) are too coarse
 * for a run of a fraction of a second; their share is not: a guest with
 * one CPU under -icount that never idled gets its elapsed time, which
 * there counts instructions to the nanosecond. No tick at all (a run
 * shorter than one): no tick saw the CPUs idle, so all of it.
 */
static double busy_seconds(const struct result *r)
{
	long long total = r->busy_ticks + r->idle_ticks;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	double all = r->seconds * (double)(cpus > 0 ? cpus : 1);

	if (total <= 0)
		return all;
	return all * (double)r->busy_ticks / (double)total;
}

/*
 * --run-timeout: SIGALRM ends a run that hangs (a wait for a sink that
 * never answers, a send that never completes) the way SIGINT would, then
 * the bench goes on with the next run, which reports -ETIMEDOUT.
 */
static volatile sig_atomic_t run_expired;

static void on_alarm(int sig)
{
	run_expired = 1;
	cli_stop = sig;
}

static void watchdog(unsigned int seconds)
{
	struct sigaction sa = { .sa_handler = on_alarm };	/* no SA_RESTART */

	if (!seconds)
		return;
	sigaction(SIGALRM, &sa, NULL);
	alarm(seconds);
}

/* One mode at one geometry, with its CPU accounting. */
/*
 * The pool for @mode: writable where the library writes into it (framed
 * headers) or io_uring registers it; slotted for the framed and records
 * modes, whose pump sends a run of whole slots a send.
 */
static int configure(struct fpgacap *dev, const struct bench_opts *o,
		     enum bench_mode mode, uint64_t size)
{
	struct fpgacap_config req = {
		.count = o->count,
		.buffer_size = size,
		.rate = o->rate,
	};

	if (mode_writable(mode))
		req.flags |= FPGACAP_CFG_WRITABLE;
	if (mode_slotted(mode)) {
		req.slot_size = o->slot_size;
		req.slot_header = SLOT_HEADER;
	}
	if (mode_slotted(mode) && !mode_framed(mode))
		req.flags |= FPGACAP_CFG_RECORDS;
	return fpgacap_configure_pool(dev, &req);
}

static void run_one(const struct bench_opts *o, enum bench_mode mode,
		    uint64_t size, uint32_t rep, struct result *r)
{
	bool writable = mode_writable(mode);
	struct rec_target rt = { .fd = -1, .index_fd = -1 };
	uint64_t u0, s0, u1, s1, t0, t1;
	struct sys_cpu c0, c1;
	struct fpgacap_stats st;
	struct fpgacap *dev = NULL;
	struct classic cl = { .fd = -1 };
	struct link l = { .fd = -1, .ctl = -1, .pump = NULL };
	int ret;

	memset(r, 0, sizeof(*r));
	r->mode = mode;
	r->size = size;
	r->count = o->count;
	r->rep = rep;
	r->mode_used = mode_names[mode];
	r->retransmits = -1;
	r->sink = -1;
	r->verify = -1;
	if (mode_coherent(mode)) {
		ret = classic_open(o, size, &cl);
		r->count = cl.info.count;
		if (!ret && o->model)
			classic_mark_uncached(&cl);
	} else {
		ret = fpgacap_open(o->device, writable ? O_RDWR : 0, &dev);
		if (!ret)
			ret = configure(dev, o, mode, size);
	}
	watchdog(o->run_timeout);
	if (!ret && mode_record(mode))
		ret = rec_target_open(o->record_to, &rt);
	else if (!ret && mode != MODE_CAPTURE)
		ret = link_open(o, mode, &l);
	if (ret) {
		r->error = ret;
		goto out;
	}
	cli_cpu_ns(&u0, &s0);
	read_sys_cpu(&c0);
	t0 = fc_now_ns();
	if (o->model) {
		r->model_id = model_id();
		mark(o->model_profile && rep == 1 ? MARK_PROFILE : MARK_BEGIN,
		     r->model_id);
	}
	if (mode == MODE_CAPTURE)
		ret = run_capture(dev, o, r);
	else if (mode_coherent(mode))
		ret = run_classic(&cl, o, mode, &l, r);
	else if (mode_record(mode))
		ret = run_record(dev, o, mode, &rt, r);
	else
		ret = run_stream(dev, o, mode, &l, r);
	if (o->model)
		mark(MARK_END, r->model_id);
	t1 = fc_now_ns();
	read_sys_cpu(&c1);
	cli_cpu_ns(&u1, &s1);
	r->error = ret;
	r->seconds = (double)(t1 - t0) / 1e9;
	r->mbps = r->seconds > 0 ? (double)r->bytes / 1e6 / r->seconds : 0;
	r->proc_user = (double)(u1 - u0) / 1e9;
	r->proc_sys = (double)(s1 - s0) / 1e9;
	r->busy_ticks = (long long)(cpu_busy(&c1) - cpu_busy(&c0));
	r->idle_ticks = (long long)((c1.idle + c1.iowait) -
				    (c0.idle + c0.iowait));
	r->softirq_ticks = (long long)(c1.softirq - c0.softirq);
	r->busy = busy_seconds(r);
	/* A recording the reader finds wrong is a failed run. */
	if (mode_record(mode) && !ret && !r->interrupted) {
		record_verify(o->record_to, &rt, r);
		if (r->verify)
			r->error = r->verify < 0 ? r->verify : -EBADMSG;
	}
out:
	rec_target_close(&rt);
	link_close(&l, r);
	if (dev) {
		fpgacap_stop(dev);
		if (!fpgacap_get_stats(dev, &st))
			r->drops = st.drops;
		fpgacap_close(dev);
	}
	if (mode_coherent(mode)) {
		if (o->model)
			mark(MARK_UNCACHED_CLEAR, 0);
		classic_close(&cl);
	}
	if (o->run_timeout) {
		alarm(0);
		if (run_expired) {
			run_expired = 0;
			cli_stop = 0;
			r->error = -ETIMEDOUT;
			r->interrupted = true;
		}
	}
}
/*
 * Hand-off: process CPU per buffer for DEQUEUE + RETURN at batch sizes.
 * Each round fills the whole ring, stops the source, then times draining
 * it in batches of exactly @batch, so the source's speed does not decide
 * how full the batches are. A source that does not fill the ring within
 * HANDOFF_FILL_S (or a stop) ends it with an error, never a hang.
 */
#define HANDOFF_FILL_S 20

/* Wait, spinning, until the source filled all @ring buffers. */
static int wait_ring_full(struct fpgacap *dev, uint32_t ring)
{
	uint64_t end = fc_now_ns() + HANDOFF_FILL_S * 1000000000ULL;
	struct fpgacap_stats st;
	int ret;

	/* Spin, not sleep: not measured, and it needs no timer wake-up. */
	for (;;) {
		ret = fpgacap_get_stats(dev, &st);
		if (ret)
			return ret;
		if (st.done >= ring)
			return 0;
		if (st.state == FPGACAP_STATE_ERROR)
			return st.last_error ? -(int)st.last_error : -EIO;
		if (cli_stop)
			return -EINTR;
		if (fc_now_ns() >= end) {
			fprintf(stderr, "fpgacap-bench: hand-off: the source "
				"filled %u of %u buffers in %d s\n", st.done,
				ring, HANDOFF_FILL_S);
			return -ETIMEDOUT;
		}
		sched_yield();
	}
}

static int handoff_one(const struct bench_opts *o, unsigned int batch,
		       uint64_t *cpu, uint64_t *done, uint64_t *calls)
{
	const uint32_t ring = 256;
	struct fpgacap_buffer b[64];
	uint32_t idx[64];
	struct fpgacap *dev;
	int n, k, ret;

	ret = fpgacap_open(o->device, 0, &dev);
	if (!ret)
		ret = fpgacap_configure(dev, ring, 4096, 0, 0);
	while (!ret && *done < 10240) {
		uint64_t u0, s0, u1, s1;

		ret = fpgacap_start(dev);
		if (!ret)
			ret = wait_ring_full(dev, ring);
		fpgacap_stop(dev);
		if (ret)
			break;
		cli_cpu_ns(&u0, &s0);
		while ((n = fpgacap_dequeue(dev, b, batch, 0)) > 0) {
			for (k = 0; k < n; k++)
				idx[k] = b[k].index;
			ret = fpgacap_return(dev, idx, (unsigned int)n);
			if (ret)
				break;
			*done += (uint64_t)n;
			(*calls)++;
		}
		cli_cpu_ns(&u1, &s1);
		*cpu += u1 - u0 + s1 - s0;
	}
	fpgacap_close(dev);
	return ret;
}

static int bench_handoff(const struct bench_opts *o, bool *first)
{
	static const unsigned int batches[] = { 1, 2, 4, 8, 16, 32, 64 };
	unsigned int i;
	int ret = 0;

	for (i = 0; i < sizeof(batches) / sizeof(batches[0]) && !cli_stop;
	     i++) {
		uint64_t cpu = 0, done = 0, calls = 0;
		unsigned int batch = batches[i];

		ret = handoff_one(o, batch, &cpu, &done, &calls);
		if (o->json)
			printf("%s{\"handoff_batch\":%u,\"buffers\":%llu,"
			       "\"dequeue_return_pairs\":%llu,"
			       "\"ns_per_buffer\":%.1f,\"error\":%d}",
			       *first ? "" : ",\n", batch,
			       (unsigned long long)done,
			       (unsigned long long)calls,
			       done ? (double)cpu / (double)done : 0, ret);
		else if (ret)
			printf("hand-off batch %2u: %s\n", batch,
			       fpgacap_strerror(ret));
		else
			printf("hand-off batch %2u: %8.1f ns CPU per buffer "
			       "(%llu buffers)\n", batch,
			       done ? (double)cpu / (double)done : 0,
			       (unsigned long long)done);
		*first = false;
		if (ret)
			break;
	}
	return ret == -EINTR ? 0 : ret;
}

/* The driver's test hooks in debugfs (all off again at the end). */
#define HOOKS "/sys/kernel/debug/fpgacap/"

static void set_hook(const char *name, const char *v)
{
	FILE *p = fopen(name, "w");

	if (p) {
		fputs(v, p);
		fclose(p);
	}
}

/* Pool allocations above order 0 fail (1), or not (0). */
static void set_order0_only(bool on)
{
	if (on)
		set_hook(HOOKS "test_hooks", "1");
	set_hook(HOOKS "alloc_fail_order", on ? "1" : "0");
	if (!on)
		set_hook(HOOKS "test_hooks", "0");
}

/* Pool setup: configure + mmap time and segments, with and without
 * high-order pages available (the driver's alloc_fail_order hook). */
static int bench_setup(const struct bench_opts *o, bool *first)
{
	static const uint64_t mib[] = { 16, 64, 128, 256 };
	unsigned int i, f;
	int err = 0;

	for (f = 0; f < 2 && !cli_stop; f++) {
		if (f && access(HOOKS "alloc_fail_order", W_OK))
			break;
		set_order0_only(f);
		for (i = 0; i < sizeof(mib) / sizeof(mib[0]) && !cli_stop;
		     i++) {
			const struct fpgacap_config *c;
			struct fpgacap *dev;
			uint64_t t0, t1;
			int ret;

			ret = fpgacap_open(o->device, 0, &dev);
			if (ret) {
				err = ret;
				break;
			}
			t0 = fc_now_ns();
			ret = fpgacap_configure(dev, (uint32_t)mib[i], 1 << 20,
						0, 0);
			t1 = fc_now_ns();
			c = fpgacap_layout(dev);
			if (o->json)
				printf("%s{\"setup_MiB\":%llu,\"order0_only\":%s,"
				       "\"error\":%d,\"ms\":%.3f,\"chunks\":%u,"
				       "\"max_segments\":%u}", *first ? "" : ",\n",
				       (unsigned long long)mib[i],
				       f ? "true" : "false", ret,
				       (double)(t1 - t0) / 1e6, c->chunks,
				       c->max_segments);
			else if (ret)
				printf("setup %3llu MiB%s: %s\n",
				       (unsigned long long)mib[i],
				       f ? " (order 0 only)" : "",
				       fpgacap_strerror(ret));
			else
				printf("setup %3llu MiB%s: %8.2f ms, %u chunks, "
				       "%u segments per 1 MiB buffer at most\n",
				       (unsigned long long)mib[i],
				       f ? " (order 0 only)" : "",
				       (double)(t1 - t0) / 1e6, c->chunks,
				       c->max_segments);
			*first = false;
			/* A limit (E2BIG, EDQUOT, ENOMEM) is a finding here,
			 * not a failure of the bench. */
			fpgacap_close(dev);
		}
	}
	set_order0_only(false);
	return err;
}

/*
 * Copy @total bytes from @src (@n buffers of @size, in turn) into @dst,
 * timed, and with --model in a marked window; one line of figures per
 * repetition (--repeat) under @key.
 */
static void copy_rounds(const struct bench_opts *o, const char *key,
			const void *const *src, uint32_t n, uint64_t size,
			uint64_t total, void *dst, bool *first)
{
	uint64_t u0, s0, u1, s1, done;
	uint32_t rep, id = 0, k;
	double cpu;

	for (rep = 1; rep <= o->repeat && !cli_stop; rep++) {
		if (o->model) {
			id = model_id();
			mark(MARK_BEGIN, id);
		}
		cli_cpu_ns(&u0, &s0);
		for (done = 0, k = 0; done < total && !cli_stop;
		     done += size, k = (k + 1) % n)
			memcpy(dst, src[k], size);
		cli_cpu_ns(&u1, &s1);
		if (o->model)
			mark(MARK_END, id);
		cpu = (double)(u1 - u0 + s1 - s0) / 1e9;
		if (o->json)
			printf("%s{\"%s_bytes\":%llu,\"%s_cpu_s_per_GB\":%.4f,"
			       "\"%s_MBps\":%.1f,\"buffer_size\":%llu,"
			       "\"rep\":%u,\"model_id\":%u,\"check\":%u}",
			       *first ? "" : ",\n", key,
			       (unsigned long long)done, key,
			       cpu / ((double)done / 1e9), key,
			       (double)done / 1e6 / cpu,
			       (unsigned long long)size, rep, id,
			       ((unsigned char *)dst)[size - 1]);
		else
			printf("%s: %.3f CPU s per GB (%.0f MB/s)\n", key,
			       cpu / ((double)done / 1e9),
			       (double)done / 1e6 / cpu);
		*first = false;
	}
}

/*
 * What copying costs here: memcpy from a mapped pool buffer (what the copy
 * path's send() does in the kernel, roughly) into ordinary memory; with
 * --classic, also from the classic driver's coherent buffers (uncached on
 * a non-coherent ARM SoC), as its write() path does.
 */
static int bench_memcpy(const struct bench_opts *o, bool *first)
{
	const uint64_t size = 1 << 20;
	const uint64_t total = o->model ? 64ULL << 20 : 256ULL << 20;
	struct fpgacap_buffer b;
	struct classic cl = { .fd = -1 };
	struct fpgacap *dev;
	const void *src;
	void *dst;
	int ret;

	ret = fpgacap_open(o->device, 0, &dev);
	if (ret)
		return ret;
	dst = malloc(size);
	ret = dst ? 0 : -ENOMEM;
	if (!ret)
		ret = fpgacap_configure(dev, 4, size, 0, 0);
	if (!ret)
		ret = fpgacap_start(dev);
	if (!ret) {
		ret = fpgacap_dequeue(dev, &b, 1, 5000000000LL);
		ret = ret == 1 ? 0 : ret < 0 ? ret : -EIO;
	}
	if (ret) {
		free(dst);
		fpgacap_close(dev);
		return ret == -EINTR ? 0 : ret;
	}
	memset(dst, 0, size);
	src = fpgacap_buffer_data(dev, b.index);
	copy_rounds(o, "memcpy", &src, 1, size, total, dst, first);
	fpgacap_stop(dev);
	fpgacap_close(dev);
	if (o->classic && !cli_stop) {
		ret = classic_open(o, 0, &cl);
		if (!ret) {
			uint64_t csize = cl.info.buffer_size;

			if (o->model)
				classic_mark_uncached(&cl);
			copy_rounds(o, "memcpy_uncached",
				    (const void *const *)cl.map,
				    cl.info.count, csize,
				    total / 4 / csize * csize, dst, first);
			if (o->model)
				mark(MARK_UNCACHED_CLEAR, 0);
		}
		classic_close(&cl);
	}
	free(dst);
	return ret;
}

static double per_gb(double seconds, uint64_t bytes)
{
	return bytes ? seconds / ((double)bytes / 1e9) : 0;
}

/* record-*: the recorder's account and the reader's verdict. */
static void print_record_json(const struct result *r)
{
	const struct fpgacap_recorder_stats *s = &r->rs;

	printf(",\"record_mode\":\"%s\",\"uring\":%s,\"direct\":%s,"
	       "\"block_size\":%u,\"writes\":%llu,\"fixed_writes\":%llu,"
	       "\"resubmitted\":%llu,\"copied_bytes\":%llu,"
	       "\"padding_bytes\":%llu,\"syscalls\":%llu,"
	       "\"record_bytes\":%llu,\"acknowledged_bytes\":%llu,"
	       "\"failed_bytes\":%llu,\"file_end\":%llu,"
	       "\"index_entries\":%llu,\"verify\":%d,\"verify_mode\":\"%s\","
	       "\"verified_bytes\":%llu",
	       fpgacap_record_mode_name(s->mode), s->uring ? "true" : "false",
	       s->direct ? "true" : "false", s->block_size,
	       (unsigned long long)s->writes,
	       (unsigned long long)s->fixed_writes,
	       (unsigned long long)s->resubmitted,
	       (unsigned long long)s->copied_bytes,
	       (unsigned long long)s->padding_bytes,
	       (unsigned long long)s->syscalls,
	       (unsigned long long)s->bytes,
	       (unsigned long long)s->acknowledged_bytes,
	       (unsigned long long)s->failed_bytes,
	       (unsigned long long)s->file_end,
	       (unsigned long long)s->index_entries, r->verify,
	       r->verify >= 0 ? verify_mode_name(r->verify_mode) : "",
	       (unsigned long long)r->verified_bytes);
}

static void print_result(const struct bench_opts *o, const struct result *r,
			 bool first)
{
	double tck = (double)sysconf(_SC_CLK_TCK);
	double busy = r->busy;

	if (o->json) {
		printf("%s{\"mode\":\"%s\",\"used\":\"%s\",\"buffer_size\":%llu,"
		       "\"count\":%u,\"rep\":%u,\"error\":%d,"
		       "\"error_text\":\"%s\",\"seconds\":%.6f,\"bytes\":%llu,"
		       "\"buffers\":%llu,\"MBps\":%.3f,"
		       "\"proc_user_s\":%.6f,\"proc_sys_s\":%.6f,"
		       "\"busy_ticks\":%lld,\"idle_ticks\":%lld,"
		       "\"softirq_ticks\":%lld,\"clk_tck\":%.0f,\"busy_s\":%.6f,"
		       "\"proc_cpu_s_per_GB\":%.5f,\"sys_cpu_s_per_GB\":%.5f,"
		       "\"completions\":%llu,\"copied\":%llu,"
		       "\"copied_known\":%s,\"fixed_buffers\":%s,"
		       "\"fixed_buffers_error\":%d,\"drops\":%llu,"
		       "\"latency_p50_ns\":%llu,\"latency_p99_ns\":%llu,"
		       "\"retransmits\":%lld,\"datagrams\":%llu,"
		       "\"datagram_sends\":%llu,\"datagram_size\":%u,\"gso_segments\":%u,\"sink\":%d,"
		       "\"sink_datagrams\":%llu,\"sink_lost\":%llu,"
		       "\"sink_dropped\":%llu,\"interrupted\":%s,"
		       "\"model_id\":%u",
		       first ? "" : ",\n", mode_names[r->mode], r->mode_used,
		       (unsigned long long)r->size, r->count, r->rep, r->error,
		       r->error ? fpgacap_strerror(r->error) : "",
		       r->seconds, (unsigned long long)r->bytes,
		       (unsigned long long)r->buffers, r->mbps, r->proc_user,
		       r->proc_sys, r->busy_ticks, r->idle_ticks,
		       r->softirq_ticks, tck, busy,
		       per_gb(r->proc_user + r->proc_sys, r->bytes),
		       per_gb(busy, r->bytes),
		       (unsigned long long)r->completions,
		       (unsigned long long)r->copied,
		       r->copied_known ? "true" : "false",
		       r->fixed_buffers ? "true" : "false", r->fixed_error,
		       (unsigned long long)r->drops,
		       (unsigned long long)r->lat_p50,
		       (unsigned long long)r->lat_p99,
		       (long long)r->retransmits,
		       (unsigned long long)r->datagrams,
		       (unsigned long long)r->datagram_sends, r->datagram_size,
		       r->gso_segments, r->sink,
		       (unsigned long long)r->sink_datagrams,
		       (unsigned long long)r->sink_lost,
		       (unsigned long long)r->sink_dropped,
		       r->interrupted ? "true" : "false", r->model_id);
		if (mode_record(r->mode))
			print_record_json(r);
		printf("}");
		return;
	}
	if (first)
		printf("%-20s %8s %3s %9s %10s %10s %11s %7s %s\n", "mode",
		       "buffer", "rep", "MB/s", "busy s/GB", "proc s/GB",
		       "zc/copied", "drops", "sink");
	if (r->error) {
		printf("%-20s %7lluK %3u  %s\n", mode_names[r->mode],
		       (unsigned long long)(r->size >> 10), r->rep,
		       fpgacap_strerror(r->error));
		return;
	}
	if (mode_record(r->mode)) {
		printf("%-20s %7lluK %3u %9.2f %10.4f %10.4f %11s %7llu "
		       "%s (%s), %llu writes, %llu fixed, %llu bytes copied\n",
		       mode_names[r->mode], (unsigned long long)(r->size >> 10),
		       r->rep, r->mbps, per_gb(busy, r->bytes),
		       per_gb(r->proc_user + r->proc_sys, r->bytes), "-",
		       (unsigned long long)r->drops,
		       r->verify ? "NOT VERIFIED" : "intact",
		       verify_mode_name(r->verify_mode),
		       (unsigned long long)r->rs.writes,
		       (unsigned long long)r->rs.fixed_writes,
		       (unsigned long long)r->rs.copied_bytes);
		return;
	}
	printf("%-20s %7lluK %3u %9.2f %10.4f %10.4f %5llu/%-5llu %7llu ",
	       mode_names[r->mode], (unsigned long long)(r->size >> 10),
	       r->rep, r->mbps, per_gb(busy, r->bytes),
	       per_gb(r->proc_user + r->proc_sys, r->bytes),
	       (unsigned long long)(r->completions - r->copied),
	       (unsigned long long)r->copied, (unsigned long long)r->drops);
	if (r->sink >= 0)
		printf("%s, %llu of %llu datagrams, %llu lost\n",
		       r->sink ? "ERRORS" : "intact",
		       (unsigned long long)r->sink_datagrams,
		       (unsigned long long)r->datagrams + 1,
		       (unsigned long long)r->sink_lost);
	else
		printf("-\n");
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: fpgacap-bench [options] [HOST:PORT]\n"
"Measure streaming from an fpgacap device to a sink (fpgacap-sink, or any\n"
"sink that discards) or recording it to a disk, mode against mode in one\n"
"run.\n"
"\n"
"  -d, --device PATH     capture device (default: the only one there is,\n"
"                        else /dev/fpgacap)\n"
"  -m, --mode MODE       capture | copy | zerocopy | uring | uring-fixed |\n"
"                        coherent-copy | coherent-zerocopy | udp-copy |\n"
"                        udp-zerocopy | udp-uring | udp-framed |\n"
"                        udp-framed-zerocopy | udp-framed-uring |\n"
"                        udp-records | udp-records-zerocopy |\n"
"                        udp-records-uring | record-direct |\n"
"                        record-fixed | record-copy (repeatable;\n"
"                        default zerocopy)\n"
"      --compare         every mode the options make possible\n"
"  -c, --count N         buffers in the pool (default 16)\n"
"  -s, --size BYTES      buffer size; repeat or use --sweep (default 256K)\n"
"      --sweep LIST      buffer sizes, e.g. 16K,64K,256K,1M\n"
"  -t, --time SECONDS    per run (default 5); --duration is the same\n"
"  -b, --bytes BYTES     per run, instead of a duration\n"
"  -r, --repeat N        run every mode and size N times (default 1)\n"
"      --rate BYTES      pattern source rate (default 0: as fast as it can)\n"
"  -u, --udp HOST:PORT   where the udp-* modes send datagrams\n"
"      --slot BYTES      udp-framed*, udp-records*: bytes per datagram\n"
"                        slot, a multiple of 8, 1024..65504 (default\n"
"                        1472: one IPv4 datagram at MTU 1500, 24 of them\n"
"                        its header: the library writes it into the slot\n"
"                        (framed), or the source wrote it (records))\n"
"      --control HOST:PORT\n"
"                        the UDP sink's control (fpgacap-sink --control):\n"
"                        wait for it, and report what it received;\n"
"                        --udp-control is the same\n"
"  -i, --interval SECONDS\n"
"                        report every SECONDS of a run (text only)\n"
"      --run-timeout SECONDS\n"
"                        end a run that takes more than SECONDS (it\n"
"                        fails with ETIMEDOUT) and go on with the next\n"
"      --record-to PATH  where the record-* modes write the stream with\n"
"                        O_DIRECT: a block device (opened exclusively: a\n"
"                        mounted one is refused; its contents from\n"
"                        offset 0 are overwritten) or a file (created,\n"
"                        truncated); a run must fit in it\n"
"      --classic PATH    the classic coherent driver's device, for the\n"
"                        coherent-* modes (a test module; its buffer size\n"
"                        must be the one measured)\n"
"      --handoff         dequeue+return cost per buffer at batch 1..64\n"
"      --setup           pool setup time and segments, 16..256 MiB\n"
"      --memcpy          what copying the same bytes costs this CPU (and\n"
"                        copying out of the classic driver's buffers,\n"
"                        with --classic), --repeat times\n"
"      --model           mark each run for a cost model watching the CPU\n"
"                        from outside (a QEMU plugin; no-op hints on a\n"
"                        board)\n"
"      --model-profile   --model, and the model also counts per code\n"
"                        block in each mode's first run\n"
"  -j, --json            one JSON document on stdout\n"
"  -q, --quiet           no progress line\n"
"  -h, --help            this text\n"
"  -V, --version         the version\n"
"Figures: MB/s of payload, CPU seconds per GB of the whole system (busy\n"
"time of every CPU: the run's elapsed time on each CPU times the busy\n"
"share of the /proc/stat ticks, user + system + irq + softirq) and of this\n"
"process, zero-copy completions not copied / copied, drops, what the UDP\n"
"sink received. uring-fixed maps the pool writable and registers it with\n"
"io_uring; where the kernel refuses that, the mode fails with its errno.\n"
"udp-framed-uring and udp-records-uring map it writable too and send from\n"
"the registered pool where the kernel takes it, else pin per send.\n"
"The record-* modes are the library's recorder modes (direct, fixed,\n"
"copy; record-fixed maps the pool writable and fails as uring-fixed\n"
"does); the time includes the final fdatasync, and after each run the\n"
"library's reader checks the recording against its index (the pattern\n"
"source's bytes, another source's index only): a recording it finds\n"
"wrong fails the run. Text rows show the writes, how many from\n"
"registered buffers, and the bytes copied.\n"
"BYTES take K, M, G suffixes (powers of 1024). SIGINT or SIGTERM stops\n"
"within a second with what was measured; exit status 1 if any mode or\n"
"micro-benchmark failed (the coherent-zerocopy mode's EFAULT is its\n"
"expected result, not a failure), 2 for a usage error.\n");
}

enum { OPT_COMPARE = 256, OPT_SWEEP, OPT_RATE, OPT_HANDOFF, OPT_SETUP,
       OPT_MEMCPY, OPT_UDP_CONTROL, OPT_CLASSIC, OPT_RUN_TIMEOUT,
       OPT_MODEL, OPT_MODEL_PROFILE, OPT_SLOT, OPT_RECORD_TO };

static void add_size(struct bench_opts *o, const char *opt, const char *s)
{
	if (o->nsizes == 16)
		cli_bad_arg(opt, s, "at most 16 buffer sizes");
	o->sizes[o->nsizes++] = cli_opt_u64(opt, s, CLI_SUFFIX, 4096,
					    1ULL << 30);
}

/* Whether the options make @m possible. */
static bool mode_possible(const struct bench_opts *o, int m)
{
	if (send_mode((enum bench_mode)m) == FPGACAP_SEND_URING &&
	    !fpgacap_send_mode_built(FPGACAP_SEND_URING))
		return false;
	if (mode_coherent((enum bench_mode)m))
		return o->classic && o->dest;
	if (mode_record((enum bench_mode)m))
		return o->record_to &&
		       (m != MODE_RECORD_FIXED ||
			fpgacap_send_mode_built(FPGACAP_SEND_URING));
	if (mode_udp((enum bench_mode)m))
		return o->udp;
	return m == MODE_CAPTURE || o->dest;
}

static void parse_args(int argc, char **argv, struct bench_opts *o)
{
	static const struct option longopts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "mode", required_argument, NULL, 'm' },
		{ "compare", no_argument, NULL, OPT_COMPARE },
		{ "count", required_argument, NULL, 'c' },
		{ "size", required_argument, NULL, 's' },
		{ "sweep", required_argument, NULL, OPT_SWEEP },
		{ "time", required_argument, NULL, 't' },
		{ "duration", required_argument, NULL, 't' },
		{ "bytes", required_argument, NULL, 'b' },
		{ "repeat", required_argument, NULL, 'r' },
		{ "rate", required_argument, NULL, OPT_RATE },
		{ "udp", required_argument, NULL, 'u' },
		{ "udp-control", required_argument, NULL, OPT_UDP_CONTROL },
		{ "slot", required_argument, NULL, OPT_SLOT },
		{ "control", required_argument, NULL, OPT_UDP_CONTROL },
		{ "interval", required_argument, NULL, 'i' },
		{ "classic", required_argument, NULL, OPT_CLASSIC },
		{ "record-to", required_argument, NULL, OPT_RECORD_TO },
		{ "run-timeout", required_argument, NULL, OPT_RUN_TIMEOUT },
		{ "handoff", no_argument, NULL, OPT_HANDOFF },
		{ "setup", no_argument, NULL, OPT_SETUP },
		{ "memcpy", no_argument, NULL, OPT_MEMCPY },
		{ "model", no_argument, NULL, OPT_MODEL },
		{ "model-profile", no_argument, NULL, OPT_MODEL_PROFILE },
		CLI_OPTS_TAIL,
	};
	bool any_mode = false, compare = false;
	char *tok, *save;
	int c, m;

	o->count = 16;
	o->repeat = 1;
	o->slot_size = SLOT_SIZE_DEFAULT;
	o->duration_ns = 5000000000ULL;
	while ((c = getopt_long(argc, argv, "d:m:c:s:t:b:r:u:i:" CLI_SHORT_TAIL,
				longopts, NULL)) != -1) {
		switch (c) {
		case 'd': o->device = optarg; break;
		case 'm':
			for (m = 0; m < NR_MODES; m++)
				if (!strcmp(optarg, mode_names[m]))
					break;
			if (m == NR_MODES)
				cli_bad_arg("--mode", optarg, "not a mode (see "
					    "--help)");
			if (send_mode((enum bench_mode)m) ==
			    FPGACAP_SEND_URING &&
			    !fpgacap_send_mode_built(FPGACAP_SEND_URING))
				cli_bad_arg("--mode", optarg, "this build has no "
					    "io_uring (liburing was missing)");
			o->modes[m] = true;
			any_mode = true;
			break;
		case OPT_COMPARE:
			compare = true;
			any_mode = true;
			break;
		case 'c':
			o->count = (uint32_t)cli_opt_u64("--count", optarg, 0, 1,
							 65536);
			break;
		case 's': add_size(o, "--size", optarg); break;
		case OPT_SWEEP:
			for (tok = strtok_r(optarg, ",", &save); tok;
			     tok = strtok_r(NULL, ",", &save))
				add_size(o, "--sweep", tok);
			break;
		case 't':
			o->duration_ns = cli_opt_time(optarg);
			break;
		case 'b':
			o->bytes = cli_opt_u64("--bytes", optarg, CLI_SUFFIX, 1,
					       UINT64_MAX);
			o->duration_ns = 0;
			break;
		case 'r':
			o->repeat = (uint32_t)cli_opt_u64("--repeat", optarg, 0,
							  1, 1000);
			break;
		case OPT_RATE:
			o->rate = cli_opt_u64("--rate", optarg, CLI_SUFFIX, 0,
					      1ULL << 40);
			break;
		case 'u':
			cli_check_hostport("--udp", optarg);
			o->udp = optarg;
			break;
		case OPT_SLOT:
			o->slot_size = (uint32_t)cli_opt_u64("--slot", optarg,
				0, FPGACAP_SLOT_MIN, FPGACAP_SLOT_MAX);
			if (o->slot_size % 8)
				cli_bad_arg("--slot", optarg, "a multiple of 8");
			break;
		case OPT_UDP_CONTROL:
			cli_check_hostport("--control", optarg);
			o->udp_control = optarg;
			break;
		case 'i': o->interval_ns = cli_opt_interval(optarg); break;
		case OPT_CLASSIC: o->classic = optarg; break;
		case OPT_RECORD_TO: o->record_to = optarg; break;
		case OPT_RUN_TIMEOUT:
			o->run_timeout = (unsigned int)cli_opt_u64(
				"--run-timeout", optarg, 0, 1, 86400);
			break;
		case OPT_HANDOFF: o->handoff = true; break;
		case OPT_SETUP: o->setup = true; break;
		case OPT_MEMCPY: o->memcpy_bench = true; break;
		case OPT_MODEL: o->model = true; break;
		case OPT_MODEL_PROFILE: o->model = o->model_profile = true; break;
		default: cli_common_opt(c, &o->json, &o->quiet, usage);
		}
	}
	if (optind < argc)
		o->dest = argv[optind++];
	if (optind != argc)
		cli_usage_error("unexpected '%s'", argv[optind]);
	if (o->dest)
		cli_check_hostport("HOST:PORT", o->dest);
	if (o->interval_ns && o->json)
		cli_usage_error("--interval reports are text; the JSON has each "
				"run's figures");
	for (m = 0; compare && m < NR_MODES; m++)
		o->modes[m] = mode_possible(o, m);
	if (!any_mode && !o->handoff && !o->setup && !o->memcpy_bench)
		o->modes[MODE_ZEROCOPY] = true;
	if (!o->nsizes)
		o->sizes[o->nsizes++] = 256 << 10;
	for (m = 0; m < NR_MODES; m++) {
		if (o->modes[m] && !mode_possible(o, m)) {
			if (m == MODE_RECORD_FIXED && o->record_to)
				cli_usage_error("record-fixed needs io_uring "
						"(liburing was missing)");
			cli_usage_error("%s needs %s", mode_names[m],
				mode_record((enum bench_mode)m) ?
				"--record-to PATH" :
				mode_udp((enum bench_mode)m) ? "--udp HOST:PORT" :
				mode_coherent((enum bench_mode)m) ?
				"--classic PATH and HOST:PORT" : "HOST:PORT");
		}
	}
}

/* The run itself in the JSON: what ran it, where. */
static void json_header(int argc, char **argv)
{
	struct utsname u;
	char cmdline[1024] = "";
	FILE *f = fopen("/proc/cmdline", "re");
	struct cli_json j;
	char cmd[1024] = "";
	size_t n = 0;
	int i;

	if (f) {
		if (!fgets(cmdline, sizeof(cmdline), f))
			cmdline[0] = 0;
		fclose(f);
		cmdline[strcspn(cmdline, "\n")] = 0;
	}
	for (i = 0; i < argc && n < sizeof(cmd); i++)
		n += (size_t)snprintf(cmd + n, sizeof(cmd) - n, "%s%s",
				      i ? " " : "", argv[i]);
	uname(&u);
	cli_json_init(&j, stdout);
	/* The document stays open for the results. */
	cli_json_open(&j, NULL, '{');
	cli_json_u64(&j, "version", 2);
	cli_json_str(&j, "command", cmd);
	cli_json_str(&j, "kernel", u.release);
	cli_json_str(&j, "kernel_version", u.version);
	cli_json_str(&j, "machine", u.machine);
	cli_json_str(&j, "kernel_cmdline", cmdline);
	cli_json_u64(&j, "cpus", (uint64_t)sysconf(_SC_NPROCESSORS_ONLN));
	printf(",\"results\":[\n");
}

/*
 * Not a failure of the bench: MSG_ZEROCOPY from coherent memory fails as
 * it should, and a kernel that will not register the pool has no
 * fixed-buffer mode (the row says why).
 */
static bool expected_failure(const struct result *r)
{
	return (r->mode == MODE_COHERENT_ZC && r->error == -EFAULT) ||
	       ((r->mode == MODE_URING_FIXED || r->mode == MODE_RECORD_FIXED) &&
		!r->fixed_buffers &&
		(r->error == -EOPNOTSUPP || r->error == -EFAULT));
}

int main(int argc, char **argv)
{
	static struct result res;
	struct bench_opts o = { 0 };
	unsigned int n = 0, s, failed = 0;
	bool first = true;
	uint32_t rep;
	int m, ret;

	parse_args(argc, argv, &o);
	cli_signals();
	cli_line_buffered();
	/* The device, found and named once: every run opens that node, and
	 * a missing or wrong one is said before anything runs. */
	{
		static char path[1024];
		struct fpgacap *dev;

		if (cli_open_device("fpgacap-bench", o.device, 0, &dev, NULL,
				    path, sizeof(path)))
			return 1;
		fpgacap_close(dev);
		o.device = path;
	}
	/* The same for where the record-* modes write. */
	for (m = MODE_RECORD_DIRECT; o.record_to && m < NR_MODES; m++) {
		struct rec_target t;

		if (!o.modes[m])
			continue;
		ret = rec_target_open(o.record_to, &t);
		if (ret) {
			fprintf(stderr, "fpgacap-bench: %s: %s%s\n", o.record_to,
				fpgacap_strerror(ret), ret == -EINVAL ?
				" (a file system without O_DIRECT? record "
				"onto a disk)" : ret == -EBUSY ? " (mounted or "
				"in use)" : "");
			return 1;
		}
		rec_target_close(&t);
		break;
	}

	if (o.json)
		json_header(argc, argv);
	/* Repetitions outermost: a drift of the system spreads over every
	 * mode alike instead of hitting one. */
	for (rep = 1; rep <= o.repeat && !cli_stop; rep++) {
		for (s = 0; s < o.nsizes && !cli_stop; s++) {
			for (m = 0; m < NR_MODES && !cli_stop; m++) {
				if (!o.modes[m])
					continue;
				run_one(&o, (enum bench_mode)m, o.sizes[s],
					rep, &res);
				print_result(&o, &res, first);
				fflush(stdout);
				if (res.error && res.error != -EINTR &&
				    !expected_failure(&res))
					failed++;
				first = false;
				n++;
			}
		}
	}
	if (o.json)
		printf("\n],\"micro\":[\n");
	first = true;
	if (o.memcpy_bench && !cli_stop && (ret = bench_memcpy(&o, &first))) {
		fprintf(stderr, "fpgacap-bench: memcpy: %s\n",
			fpgacap_strerror(ret));
		failed++;
	}
	if (o.handoff && !cli_stop && (ret = bench_handoff(&o, &first))) {
		fprintf(stderr, "fpgacap-bench: hand-off: %s\n",
			fpgacap_strerror(ret));
		failed++;
	}
	if (o.setup && !cli_stop && (ret = bench_setup(&o, &first))) {
		fprintf(stderr, "fpgacap-bench: setup: %s\n",
			fpgacap_strerror(ret));
		failed++;
	}
	if (o.json)
		printf("\n],\"failed\":%u,\"stopped_by\":\"%s\"}\n", failed,
		       cli_stop ? cli_signame(cli_stop) : "");
	if (!o.json) {
		if (cli_stop)
			printf("fpgacap-bench: stopped by %s after %u runs\n",
			       cli_signame(cli_stop), n);
		printf("fpgacap-bench: %u runs, %u failed\n", n, failed);
	}
	return failed ? 1 : 0;
}
