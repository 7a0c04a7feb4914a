// SPDX-License-Identifier: GPL-2.0-only
/*
 * A seeded, multi-threaded fuzzer of the device's whole interface: random
 * sequences of open, close, configure, mmap, munmap, page touches, start,
 * stop, dequeue, return, read, poll, info, stats, unknown ioctls, fork,
 * signals during waits, and unbind/bind, with random and boundary arguments
 * (every field at its bounds and one past, reserved bits set, wrong states,
 * bad pointers).
 *
 * What it checks: every call returns success or an errno the ABI
 * documents for it; every buffer dequeued through a mapping of the same
 * configuration holds the pattern at its offset; nothing leaks (pool
 * pages return to their count) and the device streams again at the end;
 * the guest's kernel log stays clean (KASAN, lockdep, DMA-API debug,
 * kmemleak, judged by the harness).
 *
 * Each thread draws its operations from its own generator, seeded with
 * FPGACAP_FUZZ_SEED and its number, so a failing seed replays the same
 * operation sequences (the interleaving between threads is the
 * scheduler's). FPGACAP_FUZZ_SECONDS (60) and FPGACAP_FUZZ_THREADS (4)
 * set the run's length and width.
 */
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "kselftest_harness.h"
#include "fpgacap_test.h"

#define MAX_THREADS 16
#define NFD 4
#define NMAP 4
#define NHELD 64

enum op {
	OP_OPEN, OP_CLOSE, OP_CONFIGURE, OP_UNCONFIGURE, OP_MMAP, OP_MUNMAP,
	OP_TOUCH, OP_START, OP_STOP, OP_DEQUEUE, OP_RETURN, OP_READ, OP_POLL,
	OP_INFO, OP_STATS, OP_BAD_IOCTL, OP_FORK, OP_UNBIND, OP_BURST, NR_OPS,
};

static const char *const op_names[NR_OPS] = {
	"open", "close", "configure", "unconfigure", "mmap", "munmap",
	"touch", "start", "stop", "dequeue", "return", "read", "poll",
	"info", "stats", "bad_ioctl", "fork", "unbind", "burst",
};

/* Relative weights of the operations. */
static const unsigned int op_weight[NR_OPS] = {
	[OP_OPEN] = 6, [OP_CLOSE] = 4, [OP_CONFIGURE] = 8,
	[OP_UNCONFIGURE] = 2, [OP_MMAP] = 8, [OP_MUNMAP] = 4, [OP_TOUCH] = 6,
	[OP_START] = 8, [OP_STOP] = 4, [OP_DEQUEUE] = 20, [OP_RETURN] = 16,
	[OP_READ] = 6, [OP_POLL] = 3, [OP_INFO] = 2, [OP_STATS] = 2,
	[OP_BAD_IOCTL] = 2, [OP_FORK] = 1, [OP_UNBIND] = 1, [OP_BURST] = 4,
};

/* What the ABI lets each call fail with (besides success). */
static const int allowed[NR_OPS][24] = {
	[OP_OPEN] = { ENOENT, ENXIO, ENODEV, ENOMEM },
	[OP_CONFIGURE] = { EINVAL, EOPNOTSUPP, E2BIG, EOVERFLOW, EDQUOT,
			   ENOMEM, EBUSY, EBADF, ENODEV, EFAULT, EINTR },
	[OP_UNCONFIGURE] = { EBUSY, EBADF, ENODEV, EINTR, EFAULT },
	[OP_MMAP] = { EINVAL, EACCES, EPERM, EBUSY, ENOBUFS, ENODEV, ENOMEM },
	[OP_START] = { ENOBUFS, EBUSY, EBADF, ENODEV, EINTR, ENOMEM },
	[OP_STOP] = { EBUSY, EBADF, ENODEV },
	[OP_DEQUEUE] = { EINVAL, EFAULT, EBUSY, EBADF, ENOBUFS, ENODATA, EAGAIN,
			 ETIMEDOUT, EINTR, EIO, ENODEV },
	[OP_RETURN] = { EINVAL, EFAULT, EBUSY, EBADF, ENOBUFS, ENODEV, EINTR },
	[OP_READ] = { EAGAIN, EBUSY, EBADF, EIO, ENODEV, EFAULT, EINTR, ENOMEM,
		      EDQUOT, E2BIG, EINVAL },
	[OP_INFO] = { ENODEV, EFAULT },
	[OP_STATS] = { ENODEV, EFAULT },
	[OP_BAD_IOCTL] = { ENOTTY },
	[OP_BURST] = { EINVAL, EDQUOT, ENOMEM, EBUSY, EBADF, ENODEV, EINTR,
		       ENOBUFS, EAGAIN, ETIMEDOUT, EIO, ENODATA, EACCES },
};

struct rng {
	uint64_t s;
};

static uint64_t rnd(struct rng *r)
{
	/* xorshift64* */
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 0x2545F4914F6CDD1DULL;
}

static uint64_t pick(struct rng *r, uint64_t n)
{
	return n ? rnd(r) % n : 0;
}

struct fh {
	int fd;
	bool nonblock;
	uint64_t cfg_id;		/* of its last successful CONFIGURE */
	struct fpgacap_config cfg;
};

struct map {
	uint8_t *p;
	size_t len;
	int fd_slot;
	uint64_t cfg_id, buffer_size;
	off_t offset;
};

struct worker {
	int id;
	pthread_t th;
	struct rng rng;
	struct fh fh[NFD];
	struct map map[NMAP];
	struct fpgacap_buffer held[NHELD];
	int nheld, held_slot;
	uint64_t ops, by_op[NR_OPS], errors[NR_OPS];
	uint64_t buffers_checked;
	char failure[512];
	timer_t timer;
};

static volatile int stop_all;
static uint64_t next_cfg_id = 1;
static pthread_mutex_t bind_lock = PTHREAD_MUTEX_INITIALIZER;
static char pdev[128];
static bool unbound;

static void fail(struct worker *w, const char *fmt, ...)
{
	va_list ap;

	if (w->failure[0])
		return;
	va_start(ap, fmt);
	vsnprintf(w->failure, sizeof(w->failure), fmt, ap);
	va_end(ap);
	stop_all = 1;
}

static void check_errno(struct worker *w, enum op op, int err)
{
	int i;

	if (!err)
		return;
	w->errors[op]++;
	for (i = 0; i < 24 && allowed[op][i]; i++)
		if (allowed[op][i] == err)
			return;
	fail(w, "thread %d op %llu %s: undocumented errno %d (%s)", w->id,
	     (unsigned long long)w->ops, op_names[op], err, strerror(err));
}

static void on_signal(int sig)
{
}

static __thread struct worker *current_worker;
static __thread enum op current_op;

/* A crash of the fuzzer itself: say where, with the seed to replay it. */
static void on_fault(int sig, siginfo_t *si, void *uc)
{
	char msg[160];
	int len;

	len = snprintf(msg, sizeof(msg),
		       "# fuzzer: signal %d at %p in thread %d, op %s\n", sig,
		       si->si_addr, current_worker ? current_worker->id : -1,
		       current_worker ? op_names[current_op] : "?");
	if (write(2, msg, len) < 0)
		_exit(99);
	/* Leave the device bound for the tests after this one. */
	if (unbound) {
		int fd = open("/sys/bus/platform/drivers/fpgacap/bind", O_WRONLY);

		if (fd >= 0) {
			if (write(fd, pdev, strlen(pdev)) < 0)
				_exit(97);
			close(fd);
		}
	}
	_exit(98);
}

/*
 * A signal to this thread in 1..30 ms: interrupts a wait, if any. @always
 * for calls that could otherwise wait long (a blocking read of a slow
 * stream).
 */
static void maybe_signal(struct worker *w, bool always)
{
	struct itimerspec its = { 0 };

	if (!always && pick(&w->rng, 4))
		return;
	its.it_value.tv_nsec = (1 + pick(&w->rng, 30)) * 1000000;
	timer_settime(w->timer, 0, &its, NULL);
}

static void no_signal(struct worker *w)
{
	struct itimerspec its = { 0 };

	timer_settime(w->timer, 0, &its, NULL);
}

static struct fh *some_fd(struct worker *w)
{
	struct fh *f = &w->fh[pick(&w->rng, NFD)];

	return f->fd >= 0 ? f : NULL;
}

/* Boundary and random values, mostly sane. */
static uint64_t pick_size(struct rng *r, long pg)
{
	static const uint64_t odd[] = { 0, 1, 4095, 4097, UINT64_MAX,
					1ULL << 63, 64ULL << 20, (64ULL << 20) + 4096,
					256ULL << 20 };

	switch (pick(r, 10)) {
	case 0:
		return odd[pick(r, sizeof(odd) / sizeof(odd[0]))];
	case 1:
		return (1 + pick(r, 256)) * pg;
	default:
		return (1 + pick(r, 16)) * pg * (1 + 15 * pick(r, 2));
	}
}

static uint32_t pick_count(struct rng *r)
{
	static const uint32_t odd[] = { 0, 4095, 4096, 4097, UINT32_MAX };

	if (!pick(r, 10))
		return odd[pick(r, sizeof(odd) / sizeof(odd[0]))];
	return 1 + pick(r, 32);
}

static void forget_held(struct worker *w)
{
	w->nheld = 0;
	w->held_slot = -1;
}

static void op_open(struct worker *w)
{
	static const int modes[] = { O_RDONLY, O_RDONLY, O_RDONLY, O_RDWR,
				     O_WRONLY };
	struct fh *f = &w->fh[pick(&w->rng, NFD)];
	int flags;

	if (f->fd >= 0)
		return;
	flags = modes[pick(&w->rng, 5)] | O_CLOEXEC;
	if (pick(&w->rng, 3))
		flags |= O_NONBLOCK;
	f->fd = open(dev_path(), flags);
	check_errno(w, OP_OPEN, f->fd < 0 ? errno : 0);
	f->nonblock = flags & O_NONBLOCK;
	f->cfg_id = 0;
}

static void op_close(struct worker *w)
{
	struct fh *f = some_fd(w);

	if (!f)
		return;
	if (w->held_slot == f - w->fh)
		forget_held(w);
	close(f->fd);
	f->fd = -1;
}

static void op_configure(struct worker *w, bool unconfigure)
{
	long pg = page_size();
	struct fpgacap_config cfg = { 0 };
	struct fh *f = some_fd(w);
	int ret;

	if (!f)
		return;
	if (!unconfigure) {
		cfg.count = pick_count(&w->rng);
		cfg.buffer_size = pick_size(&w->rng, pg);
		/* Keep the pools of all threads within the guest's memory. */
		if (cfg.count * cfg.buffer_size > 8 * MiB && pick(&w->rng, 8))
			cfg.count = 2;
		cfg.flags = pick(&w->rng, 8) ? 0 : (uint32_t)rnd(&w->rng);
		cfg.rate = pick(&w->rng, 4) ? 0 : pick(&w->rng, 64 * MiB);
		if (!pick(&w->rng, 16))
			cfg.reserved[pick(&w->rng, sizeof(cfg.reserved) /
					  sizeof(cfg.reserved[0]))] =
				rnd(&w->rng);
	}
	ret = xioctl(f->fd, FPGACAP_IOC_CONFIGURE,
		     pick(&w->rng, 32) ? (void *)&cfg : (void *)16);
	check_errno(w, unconfigure ? OP_UNCONFIGURE : OP_CONFIGURE, -ret);
	if (!ret && cfg.count) {
		f->cfg = cfg;
		f->cfg_id = __atomic_fetch_add(&next_cfg_id, 1,
					       __ATOMIC_RELAXED);
	}
	/* Held buffers belong to the old configuration now. */
	if (!ret && w->held_slot == f - w->fh)
		forget_held(w);
}

static void op_mmap(struct worker *w)
{
	struct map *m = &w->map[pick(&w->rng, NMAP)];
	struct fh *f = some_fd(w);
	int prot = PROT_READ, flags = MAP_SHARED;
	size_t len;
	off_t off = 0;

	if (!f || m->p)
		return;
	len = f->cfg.mmap_size ? f->cfg.mmap_size : page_size();
	switch (pick(&w->rng, 12)) {
	case 0:
		prot |= PROT_WRITE;
		break;
	case 1:
		prot |= PROT_EXEC;
		break;
	case 2:
		flags = MAP_PRIVATE;
		break;
	case 3:
		len += page_size();
		break;
	case 4:
		off = page_size() * pick(&w->rng, 4);
		len = page_size();
		break;
	}
	m->p = mmap(NULL, len, prot, flags, f->fd, off);
	if (m->p == MAP_FAILED) {
		check_errno(w, OP_MMAP, errno);
		m->p = NULL;
		return;
	}
	m->len = len;
	m->offset = off;
	m->fd_slot = f - w->fh;
	m->cfg_id = f->cfg_id;
	m->buffer_size = f->cfg.buffer_size;
}

static void op_munmap(struct worker *w)
{
	struct map *m = &w->map[pick(&w->rng, NMAP)];

	if (!m->p)
		return;
	munmap(m->p, m->len);
	m->p = NULL;
}

static void op_touch(struct worker *w)
{
	struct map *m = &w->map[pick(&w->rng, NMAP)];
	size_t i;

	if (!m->p)
		return;
	if (!pick(&w->rng, 4))
		madvise(m->p, m->len, MADV_DONTNEED);
	for (i = 0; i < m->len; i += page_size())
		(void)*(volatile uint8_t *)(m->p + i);
}

static void op_start_stop(struct worker *w, bool start)
{
	struct fh *f = some_fd(w);

	if (!f)
		return;
	check_errno(w, start ? OP_START : OP_STOP,
		    -xioctl(f->fd, start ? FPGACAP_IOC_START : FPGACAP_IOC_STOP,
			    NULL));
}

/* The mapping that shows @f's current pool whole, if any. */
static const struct map *map_of(struct worker *w, struct fh *f)
{
	int i;

	for (i = 0; i < NMAP; i++) {
		const struct map *m = &w->map[i];

		if (m->p && m->fd_slot == f - w->fh && m->cfg_id == f->cfg_id &&
		    !m->offset && f->cfg.mmap_size &&
		    m->len == f->cfg.mmap_size)
			return m;
	}
	return NULL;
}

/* DEQUEUE on @f: @timeout_ns, or random arguments if negative. */
static void op_dequeue_on(struct worker *w, struct fh *f, int64_t timeout_ns)
{
	struct fpgacap_buffer b[70];
	struct fpgacap_dequeue dq = { 0 };
	const struct map *m;
	static const int64_t timeouts[] = { 0, 1000000, 10000000 };
	int ret, i;

	dq.buffers = (uintptr_t)b;
	dq.count = 1 + pick(&w->rng, 70);
	dq.timeout_ns = timeout_ns;
	if (timeout_ns < 0) {
		dq.timeout_ns = f->nonblock && !pick(&w->rng, 2) ? -1 :
				timeouts[pick(&w->rng, 3)];
		if (!pick(&w->rng, 20))
			dq.buffers = pick(&w->rng, 2) ? 0 : 8;
		if (!pick(&w->rng, 30))
			dq.flags = rnd(&w->rng);
		if (!pick(&w->rng, 30))
			dq.reserved[pick(&w->rng, 2)] = 1;
		if (!pick(&w->rng, 40))
			dq.count = 0;
	}
	maybe_signal(w, false);
	ret = xioctl(f->fd, FPGACAP_IOC_DEQUEUE, &dq);
	no_signal(w);
	check_errno(w, OP_DEQUEUE, -ret);
	if (ret)
		return;
	if (w->held_slot != f - w->fh)
		forget_held(w);
	w->held_slot = f - w->fh;
	m = map_of(w, f);
	for (i = 0; i < (int)dq.count; i++) {
		if (m) {
			const uint8_t *data = m->p + b[i].index * m->buffer_size;
			long bad = check_pattern(data, b[i].bytes_used,
						 b[i].offset);

			if (bad >= 0)
				fail(w, "thread %d: buffer %u seq %llu offset %llu: bad data at %ld",
				     w->id, b[i].index,
				     (unsigned long long)b[i].sequence,
				     (unsigned long long)b[i].offset, bad);
			w->buffers_checked++;
		}
		if (w->nheld < NHELD)
			w->held[w->nheld++] = b[i];
	}
}

static void op_dequeue(struct worker *w)
{
	struct fh *f = some_fd(w);

	if (f)
		op_dequeue_on(w, f, -1);
}

/* Give back everything held on @f. */
static void op_return_all(struct worker *w, struct fh *f)
{
	uint32_t idx[NHELD];
	int i;

	if (w->held_slot != f - w->fh || !w->nheld)
		return;
	for (i = 0; i < w->nheld; i++)
		idx[i] = w->held[i].index;
	check_errno(w, OP_RETURN, -give_back(f->fd, idx, w->nheld));
	w->nheld = 0;
}

static void op_return(struct worker *w)
{
	uint32_t idx[NHELD + 2];
	struct fh *f;
	int n = 0, i, ret;

	if (w->held_slot >= 0 && w->fh[w->held_slot].fd >= 0 &&
	    pick(&w->rng, 5)) {
		f = &w->fh[w->held_slot];
		n = w->nheld ? 1 + pick(&w->rng, w->nheld) : 0;
		for (i = 0; i < n; i++)
			idx[i] = w->held[i].index;
	} else {
		f = some_fd(w);
		if (!f)
			return;
	}
	if (!n || !pick(&w->rng, 10)) {
		/* Garbage: out of range, repeated, or not held. */
		idx[n++] = pick(&w->rng, 2) ? (uint32_t)rnd(&w->rng) :
			   (uint32_t)pick(&w->rng, 40);
		if (n > 1 && pick(&w->rng, 2))
			idx[n++] = idx[0];
	}
	ret = give_back(f->fd, pick(&w->rng, 30) ? idx : (void *)8, n);
	check_errno(w, OP_RETURN, -ret);
	if (!ret && f == &w->fh[w->held_slot]) {
		/* All or nothing: these are back; keep the rest. */
		int k = 0;

		for (i = 0; i < w->nheld; i++) {
			int j, gone = 0;

			for (j = 0; j < n; j++)
				gone |= idx[j] == w->held[i].index;
			if (!gone)
				w->held[k++] = w->held[i];
		}
		w->nheld = k;
	}
}

static void op_read(struct worker *w)
{
	static uint8_t buf[MAX_THREADS][256 * 1024];
	struct fh *f = some_fd(w);
	size_t len;
	ssize_t n;

	if (!f)
		return;
	/* A blocking read waits for all it asked: keep those small. */
	len = f->nonblock ? 1 + pick(&w->rng, sizeof(buf[0])) :
			    1 + pick(&w->rng, 16384);
	maybe_signal(w, !f->nonblock);
	n = read(f->fd, pick(&w->rng, 30) ? (void *)buf[w->id] : (void *)8,
		 len);
	no_signal(w);
	check_errno(w, OP_READ, n < 0 ? errno : 0);
	/*
	 * read() may have configured a pool of its own geometry: old mappings
	 * show another pool, and new ones cannot be checked against it.
	 */
	f->cfg_id = __atomic_fetch_add(&next_cfg_id, 1, __ATOMIC_RELAXED);
	f->cfg.mmap_size = 0;
	if (w->held_slot == f - w->fh)
		forget_held(w);
}

static void op_poll(struct worker *w)
{
	struct fh *f = some_fd(w);
	struct pollfd pfd;

	if (!f)
		return;
	pfd.fd = f->fd;
	pfd.events = POLLIN;
	poll(&pfd, 1, pick(&w->rng, 3) ? 0 : 5);
}

static void op_query(struct worker *w, bool info)
{
	union {
		struct fpgacap_info i;
		struct fpgacap_stats s;
	} u;
	struct fh *f = some_fd(w);

	if (!f)
		return;
	check_errno(w, info ? OP_INFO : OP_STATS,
		    -xioctl(f->fd, info ? FPGACAP_IOC_INFO : FPGACAP_IOC_STATS,
			    pick(&w->rng, 20) ? (void *)&u : (void *)8));
}

static void op_bad_ioctl(struct worker *w)
{
	char buf[256] = { 0 };
	struct fh *f = some_fd(w);
	unsigned long cmd;

	if (!f)
		return;
	/* Unknown numbers, or known numbers with another size. */
	if (pick(&w->rng, 2))
		cmd = _IOC(pick(&w->rng, 4), FPGACAP_IOC_MAGIC,
			   0x10 + pick(&w->rng, 200), pick(&w->rng, 256));
	else
		cmd = _IOC(_IOC_READ | _IOC_WRITE, FPGACAP_IOC_MAGIC,
			   pick(&w->rng, 7), 1 + pick(&w->rng, 7));
	check_errno(w, OP_BAD_IOCTL, -xioctl(f->fd, cmd, buf));
}

/* A child inherits the files and mappings, pokes them, and exits. */
static void op_fork(struct worker *w)
{
	pid_t child = fork();
	int status;

	if (child < 0)
		return;
	if (!child) {
		struct fpgacap_buffer b[4];
		int i;

		for (i = 0; i < NMAP; i++)
			if (w->map[i].p)
				(void)*(volatile uint8_t *)w->map[i].p;
		for (i = 0; i < NFD; i++)
			if (w->fh[i].fd >= 0)
				dequeue(w->fh[i].fd, b, 4, 0);
		_exit(0);
	}
	waitpid(child, &status, 0);
}

/* Unbind, or bind again: one thread at a time. */
static void op_unbind(struct worker *w)
{
	pthread_mutex_lock(&bind_lock);
	if (!unbound) {
		unbound = !driver_attr("unbind", pdev);
	} else if (!driver_attr("bind", pdev)) {
		unbound = false;
		wait_for_node();
	}
	pthread_mutex_unlock(&bind_lock);
}

/*
 * A short honest stream on one file: configure, map, start, and a few
 * rounds of dequeue, check, return. This is where the data checks come
 * from; the other operations make its world hostile.
 */
static void op_burst(struct worker *w)
{
	struct fpgacap_config cfg = { 0 };
	struct map *m = NULL;
	struct fh *f = some_fd(w);
	int i, ret;

	if (!f)
		return;
	for (i = 0; i < NMAP; i++)
		if (!w->map[i].p)
			m = &w->map[i];
	if (!m)
		return;
	cfg.count = 2 + pick(&w->rng, 8);
	cfg.buffer_size = page_size() * (1 + pick(&w->rng, 16));
	ret = xioctl(f->fd, FPGACAP_IOC_CONFIGURE, &cfg);
	check_errno(w, OP_BURST, -ret);
	if (ret)
		return;
	/* Only a configuration that took describes the file's pool. */
	f->cfg = cfg;
	f->cfg_id = __atomic_fetch_add(&next_cfg_id, 1, __ATOMIC_RELAXED);
	if (w->held_slot == f - w->fh)
		forget_held(w);
	m->p = mmap(NULL, f->cfg.mmap_size, PROT_READ, MAP_SHARED, f->fd, 0);
	if (m->p == MAP_FAILED) {
		check_errno(w, OP_BURST, errno);
		m->p = NULL;
		return;
	}
	m->len = f->cfg.mmap_size;
	m->offset = 0;
	m->fd_slot = f - w->fh;
	m->cfg_id = f->cfg_id;
	m->buffer_size = f->cfg.buffer_size;
	check_errno(w, OP_BURST, -xioctl(f->fd, FPGACAP_IOC_START, NULL));
	for (i = 0; i < 8 && !stop_all; i++) {
		op_dequeue_on(w, f, 10000000);
		op_return_all(w, f);
	}
}

static enum op pick_op(struct rng *r)
{
	static unsigned int total;
	unsigned int x, i;

	if (!total)
		for (i = 0; i < NR_OPS; i++)
			total += op_weight[i];
	x = pick(r, total);
	for (i = 0; i < NR_OPS; i++) {
		if (x < op_weight[i])
			return i;
		x -= op_weight[i];
	}
	return OP_INFO;
}

static void *work(void *arg)
{
	struct worker *w = arg;
	struct sigevent sev = {
		.sigev_notify = SIGEV_THREAD_ID,
		.sigev_signo = SIGUSR1,
	};
	int i;

	current_worker = w;
	sev._sigev_un._tid = syscall(SYS_gettid);
	timer_create(CLOCK_MONOTONIC, &sev, &w->timer);
	for (i = 0; i < NFD; i++)
		w->fh[i].fd = -1;
	forget_held(w);
	while (!stop_all) {
		enum op op = pick_op(&w->rng);

		w->ops++;
		w->by_op[op]++;
		current_op = op;
		switch (op) {
		case OP_OPEN: op_open(w); break;
		case OP_CLOSE: op_close(w); break;
		case OP_CONFIGURE: op_configure(w, false); break;
		case OP_UNCONFIGURE: op_configure(w, true); break;
		case OP_MMAP: op_mmap(w); break;
		case OP_MUNMAP: op_munmap(w); break;
		case OP_TOUCH: op_touch(w); break;
		case OP_START: op_start_stop(w, true); break;
		case OP_STOP: op_start_stop(w, false); break;
		case OP_DEQUEUE: op_dequeue(w); break;
		case OP_RETURN: op_return(w); break;
		case OP_READ: op_read(w); break;
		case OP_POLL: op_poll(w); break;
		case OP_INFO: op_query(w, true); break;
		case OP_STATS: op_query(w, false); break;
		case OP_BAD_IOCTL: op_bad_ioctl(w); break;
		case OP_FORK: op_fork(w); break;
		case OP_BURST: op_burst(w); break;
		case OP_UNBIND:
			/* Rare: most operations should meet a bound device. */
			if (!pick(&w->rng, 20))
				op_unbind(w);
			break;
		default:
			break;
		}
	}
	for (i = 0; i < NMAP; i++)
		if (w->map[i].p)
			munmap(w->map[i].p, w->map[i].len);
	for (i = 0; i < NFD; i++)
		if (w->fh[i].fd >= 0)
			close(w->fh[i].fd);
	timer_delete(w->timer);
	return NULL;
}

static long env_long(const char *name, long def)
{
	const char *v = getenv(name);

	return v && *v ? strtol(v, NULL, 0) : def;
}

FIXTURE(fuzz) {
	int unused;
};

FIXTURE_SETUP(fuzz)
{
}

FIXTURE_TEARDOWN(fuzz)
{
}

TEST_F_TIMEOUT(fuzz, run, 3600)
{
	static struct worker w[MAX_THREADS];
	uint64_t seed = env_long("FPGACAP_FUZZ_SEED", 0);
	long seconds = env_long("FPGACAP_FUZZ_SECONDS", 60);
	long threads = env_long("FPGACAP_FUZZ_THREADS", 4);
	struct sigaction sa = { .sa_handler = on_signal };
	uint64_t total = 0, by_op[NR_OPS] = { 0 }, checked = 0, t0, dt;
	long pages = pool_pages();
	char line[1024];
	int i, k, len, fd;

	if (!seed)
		seed = now_ns();
	if (threads < 1 || threads > MAX_THREADS)
		threads = 4;
	TH_LOG("seed %llu, %ld threads, %ld s (replay: FPGACAP_FUZZ_SEED=%llu)",
	       (unsigned long long)seed, threads, seconds,
	       (unsigned long long)seed);
	ASSERT_EQ(0, platform_name(pdev, sizeof(pdev)));
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = NULL;
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);

	t0 = now_ns();
	for (i = 0; i < threads; i++) {
		w[i].id = i;
		w[i].rng.s = seed * 0x9E3779B97F4A7C15ULL + i + 1;
		ASSERT_EQ(0, pthread_create(&w[i].th, NULL, work, &w[i]));
	}
	while (!stop_all && now_ns() - t0 < (uint64_t)seconds * 1000000000ULL)
		usleep(100000);
	stop_all = 1;
	for (i = 0; i < threads; i++)
		pthread_join(w[i].th, NULL);
	dt = now_ns() - t0;

	/*
	 * Bound again while a file of the old instance was still open, the
	 * device took the next free name. Every file is closed now: bind it
	 * once more and it gets its own name back, for the tests after this.
	 */
	if (!unbound && access(dev_path(), F_OK))
		unbound = !driver_attr("unbind", pdev);
	if (unbound) {
		ASSERT_EQ(0, driver_attr("bind", pdev));
		ASSERT_EQ(0, wait_for_node());
	}
	for (i = 0; i < threads; i++) {
		EXPECT_EQ(0, w[i].failure[0]) TH_LOG("%s (seed %llu)",
						      w[i].failure,
						      (unsigned long long)seed);
		total += w[i].ops;
		checked += w[i].buffers_checked;
		for (k = 0; k < NR_OPS; k++)
			by_op[k] += w[i].by_op[k];
	}
	len = snprintf(line, sizeof(line),
		       "{\"seed\":%llu,\"threads\":%ld,\"seconds\":%.1f,\"ops\":%llu,\"ops_per_s\":%.0f,\"buffers_checked\":%llu",
		       (unsigned long long)seed, threads, dt / 1e9,
		       (unsigned long long)total, total / (dt / 1e9),
		       (unsigned long long)checked);
	for (k = 0; k < NR_OPS && len < (int)sizeof(line) - 40; k++)
		len += snprintf(line + len, sizeof(line) - len, ",\"%s\":%llu",
				op_names[k], (unsigned long long)by_op[k]);
	snprintf(line + len, sizeof(line) - len, "}");
	printf("# FPGACAP-FUZZ %s\n", line);

	/* Everything let go: no pool page left; the device streams. */
	EXPECT_EQ(pages, pool_pages());
	fd = open(dev_path(), O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_STREAMS_ON(fd);
	close(fd);
}

TEST_HARNESS_MAIN
