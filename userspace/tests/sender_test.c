// SPDX-License-Identifier: GPL-2.0-only
/*
 * The sender on ordinary memory over loopback TCP: every mode delivers a
 * framed stream intact while buffers are rewritten the moment they are
 * released (as the driver would refill them), releases come once each and
 * in order, and short sends on a non-blocking socket are resumed. A signal
 * ends a blocked send: at once if nothing of it went out (the caller keeps
 * the buffer), within the drain deadline otherwise.
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/time.h>

#include "kselftest_harness.h"
#include "clock.h"
#include "host_test.h"
#include "no_uring.h"

#define NBUF 8
#define LEN (64 * 1024)
#define COUNT 600

struct producer {
	uint8_t *bufs;
	struct fpgacap_frame frames[NBUF];
	bool free[NBUF];
	uint64_t released, last_cookie;
	bool out_of_order;
};

static void on_release(void *ctx, uint64_t cookie)
{
	struct producer *p = ctx;
	uint32_t idx = cookie % NBUF;

	if (p->released && cookie != p->last_cookie + 1)
		p->out_of_order = true;
	p->last_cookie = cookie;
	p->released++;
	/* The driver refills at once; so do we, with garbage. */
	memset(p->bufs + (size_t)idx * LEN, 0xa5, LEN);
	p->free[idx] = true;
}

struct receiver {
	int fd;
	int delay_us;
	struct fpgacap_verify_stats st;
};

static void *receive(void *arg)
{
	struct receiver *r = arg;
	struct fpgacap_verifier *v;
	static __thread uint8_t buf[65536];
	ssize_t n;

	fpgacap_verify_create(FPGACAP_VERIFY_FRAMED, &v);
	while ((n = read(r->fd, buf, r->delay_us ? 3000 : sizeof(buf))) > 0) {
		fpgacap_verify_feed(v, buf, n);
		if (r->delay_us)
			usleep(r->delay_us);
	}
	r->st.size = sizeof(r->st);
	fpgacap_verify_get_stats(v, &r->st);
	fpgacap_verify_destroy(v);
	return NULL;
}

/* Read everything until EOF. */
static void *drain(void *arg)
{
	static __thread char buf[65536];
	int fd = *(int *)arg;

	while (read(fd, buf, sizeof(buf)) > 0)
		;
	return NULL;
}

FIXTURE(sender) {
	int tx, rx;
	struct producer p;
	struct receiver r;
	pthread_t th;
};

FIXTURE_VARIANT(sender) {
	enum fpgacap_send_mode mode;
	bool nonblock;
};

FIXTURE_VARIANT_ADD(sender, copy) { .mode = FPGACAP_SEND_COPY };
FIXTURE_VARIANT_ADD(sender, zerocopy) { .mode = FPGACAP_SEND_ZEROCOPY };
FIXTURE_VARIANT_ADD(sender, uring) { .mode = FPGACAP_SEND_URING };
FIXTURE_VARIANT_ADD(sender, auto) { .mode = FPGACAP_SEND_AUTO };
FIXTURE_VARIANT_ADD(sender, copy_nonblock) {
	.mode = FPGACAP_SEND_COPY, .nonblock = true };
FIXTURE_VARIANT_ADD(sender, zerocopy_nonblock) {
	.mode = FPGACAP_SEND_ZEROCOPY, .nonblock = true };

FIXTURE_SETUP(sender)
{
	unsigned int i;

	if (!fpgacap_send_mode_built(variant->mode))
		SKIP(return, "built without liburing");
	ASSERT_EQ(0, tcp_pair(&self->tx, &self->rx));
	self->p.bufs = malloc(NBUF * LEN);
	ASSERT_NE(NULL, self->p.bufs);
	for (i = 0; i < NBUF; i++)
		self->p.free[i] = true;
	self->r.fd = self->rx;
	if (variant->nonblock) {
		int small = 4096;

		ASSERT_EQ(0, setsockopt(self->tx, SOL_SOCKET, SO_SNDBUF, &small,
					sizeof(small)));
		ASSERT_EQ(0, fcntl(self->tx, F_SETFL, O_NONBLOCK));
		self->r.delay_us = 50;
	}
	ASSERT_EQ(0, pthread_create(&self->th, NULL, receive, &self->r));
}

FIXTURE_TEARDOWN(sender)
{
	if (_metadata->skip)
		return;
	close(self->tx);
	close(self->rx);
	free(self->p.bufs);
}

TEST_F_TIMEOUT(sender, framed_stream_intact, 120)
{
	if (_metadata->skip)
		return;
	struct fpgacap_sender_opts o = {
		.size = sizeof(o),
		.fd = self->tx,
		.mode = variant->mode,
		.max_inflight = NBUF,
		.release = on_release,
		.ctx = &self->p,
	};
	struct fpgacap_sender_stats st = { .size = sizeof(st) };
	struct fpgacap_sender *s;
	uint64_t i;

	ASSERT_EQ(0, fpgacap_sender_create(&o, &s));
	for (i = 0; i < COUNT; i++) {
		struct fpgacap_buffer b = {
			.sequence = i, .offset = i * LEN, .bytes_used = LEN,
		};
		struct iovec iov[2];
		/* Cookie i uses buffer i % NBUF, free once cookie i - NBUF is. */
		uint32_t idx = i % NBUF;

		while (!self->p.free[idx])
			ASSERT_LE(0, fpgacap_sender_reap(s, 100));
		self->p.free[idx] = false;
		fill_pattern(self->p.bufs + (size_t)idx * LEN, LEN, i * LEN);
		fpgacap_frame_encode(&self->p.frames[idx], &b);
		iov[0].iov_base = &self->p.frames[idx];
		iov[0].iov_len = sizeof(self->p.frames[idx]);
		iov[1].iov_base = self->p.bufs + (size_t)idx * LEN;
		iov[1].iov_len = LEN;
		ASSERT_EQ(0, fpgacap_sender_send(s, iov, 2, i));
	}
	ASSERT_EQ(0, fpgacap_sender_flush(s, 30000));
	fpgacap_sender_get_stats(s, &st);
	shutdown(self->tx, SHUT_WR);
	pthread_join(self->th, NULL);

	EXPECT_FALSE(self->r.st.error)
		TH_LOG("data %llu seq %llu offset %llu",
		       (unsigned long long)self->r.st.data_errors,
		       (unsigned long long)self->r.st.sequence_errors,
		       (unsigned long long)self->r.st.offset_errors);
	EXPECT_EQ(COUNT, self->r.st.frames);
	EXPECT_EQ(COUNT, self->p.released);
	EXPECT_FALSE(self->p.out_of_order);
	EXPECT_EQ(COUNT, st.sends);
	EXPECT_EQ((uint64_t)COUNT * (LEN + sizeof(struct fpgacap_frame)),
		  st.bytes);
	if (variant->mode == FPGACAP_SEND_COPY) {
		EXPECT_EQ(0, st.completions);
	} else if (variant->mode == FPGACAP_SEND_AUTO) {
		/* Loopback copies every time: auto must notice and stop. */
		EXPECT_TRUE(st.fell_back);
		EXPECT_EQ(FPGACAP_SEND_COPY, st.mode);
		EXPECT_LE(32, st.completions);
	} else {
		EXPECT_NE(FPGACAP_SEND_COPY, st.mode);
		/* Loopback delivery copies: the kernel says so. */
		EXPECT_LT(0, st.completions);
		if (st.copied_known)
			EXPECT_LT(0, st.copied);
	}
	if (variant->nonblock)
		EXPECT_LT(0, st.partial);
	fpgacap_sender_destroy(s);
}

TEST(mode_names)
{
	enum fpgacap_send_mode m;

	ASSERT_EQ(0, fpgacap_send_mode_parse("uring", &m));
	EXPECT_EQ(FPGACAP_SEND_URING, m);
	EXPECT_STREQ("zerocopy", fpgacap_send_mode_name(FPGACAP_SEND_ZEROCOPY));
	EXPECT_EQ(-EINVAL, fpgacap_send_mode_parse("fast", &m));
	EXPECT_STREQ("stream stopped and drained", fpgacap_strerror(-ENODATA));
	EXPECT_STREQ("No such file or directory", fpgacap_strerror(-ENOENT));
}

/* A file takes the copy path; zero-copy modes refuse it. */
TEST(file_is_copy_only)
{
	struct fpgacap_sender_opts o = { .size = sizeof(o),
					 .mode = FPGACAP_SEND_ZEROCOPY };
	struct fpgacap_sender_stats st = { .size = sizeof(st) };
	struct fpgacap_sender *s;

	o.fd = open("/dev/null", O_WRONLY);
	ASSERT_LE(0, o.fd);
	EXPECT_EQ(-ENOTSOCK, fpgacap_sender_create(&o, &s));
	o.mode = FPGACAP_SEND_AUTO;
	ASSERT_EQ(0, fpgacap_sender_create(&o, &s));
	ASSERT_EQ(0, fpgacap_sender_get_stats(s, &st));
	EXPECT_EQ(FPGACAP_SEND_COPY, st.mode);
	EXPECT_EQ(FPGACAP_AUTO_COPY_FILE, st.auto_copy);
	EXPECT_STREQ("file", fpgacap_auto_copy_name(st.auto_copy));
	fpgacap_sender_destroy(s);
	close(o.fd);
}

/* Options of a newer, larger layout: accepted while the tail is zero. */
TEST(opts_size)
{
	struct {
		struct fpgacap_sender_opts o;
		uint64_t newer;
	} big = { .o = { .mode = FPGACAP_SEND_COPY } };
	struct fpgacap_sender *s;

	big.o.fd = open("/dev/null", O_WRONLY);
	ASSERT_LE(0, big.o.fd);
	EXPECT_EQ(-EINVAL, fpgacap_sender_create(&big.o, &s));
	big.o.size = sizeof(big);
	ASSERT_EQ(0, fpgacap_sender_create(&big.o, &s));
	fpgacap_sender_destroy(s);
	big.newer = 1;
	EXPECT_EQ(-E2BIG, fpgacap_sender_create(&big.o, &s));
	/* An older, shorter layout: the rest takes defaults. */
	big.o.size = offsetof(struct fpgacap_sender_opts, max_inflight);
	ASSERT_EQ(0, fpgacap_sender_create(&big.o, &s));
	fpgacap_sender_destroy(s);
	close(big.o.fd);
}

/* io_uring blocked (as seccomp profiles often do): URING fails, AUTO
 * takes MSG_ZEROCOPY. The harness runs each test in its own child. */
TEST(no_uring_fallback)
{
	struct fpgacap_sender_opts o = { .size = sizeof(o),
					 .mode = FPGACAP_SEND_URING };
	struct fpgacap_sender_stats st = { .size = sizeof(st) };
	struct fpgacap_sender *s;
	int tx, rx;

	ASSERT_EQ(0, block_io_uring());
	ASSERT_EQ(0, tcp_pair(&tx, &rx));
	o.fd = tx;
	EXPECT_EQ(-ENOSYS, fpgacap_sender_create(&o, &s));
	o.mode = FPGACAP_SEND_AUTO;
	ASSERT_EQ(0, fpgacap_sender_create(&o, &s));
	ASSERT_EQ(0, fpgacap_sender_get_stats(s, &st));
	EXPECT_EQ(FPGACAP_SEND_ZEROCOPY, st.mode);
	EXPECT_EQ(FPGACAP_SEND_AUTO, st.requested);
	EXPECT_EQ(FPGACAP_AUTO_COPY_NONE, st.auto_copy);
	fpgacap_sender_destroy(s);
	close(tx);
	close(rx);
}

/* Neither io_uring nor MSG_ZEROCOPY (a UNIX socket has no SO_ZEROCOPY):
 * auto copies from the start and says why; the zero-copy modes refuse. */
TEST(auto_copy_unsupported)
{
	struct fpgacap_sender_opts o = { .size = sizeof(o),
					 .mode = FPGACAP_SEND_ZEROCOPY };
	struct fpgacap_sender_stats st = { .size = sizeof(st) };
	struct fpgacap_sender *s;
	int sv[2];

	ASSERT_EQ(0, block_io_uring());
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	o.fd = sv[0];
	EXPECT_EQ(-EOPNOTSUPP, fpgacap_sender_create(&o, &s));
	o.mode = FPGACAP_SEND_AUTO;
	ASSERT_EQ(0, fpgacap_sender_create(&o, &s));
	ASSERT_EQ(0, fpgacap_sender_get_stats(s, &st));
	EXPECT_EQ(FPGACAP_SEND_COPY, st.mode);
	EXPECT_FALSE(st.fell_back);
	EXPECT_EQ(FPGACAP_AUTO_COPY_UNSUPPORTED, st.auto_copy);
	EXPECT_EQ(EOPNOTSUPP, st.auto_copy_error);
	EXPECT_STREQ("unsupported", fpgacap_auto_copy_name(st.auto_copy));
	EXPECT_STREQ("?", fpgacap_auto_copy_name(
		(enum fpgacap_auto_copy)(FPGACAP_AUTO_COPY_UNSUPPORTED + 1)));
	fpgacap_sender_destroy(s);
	close(sv[0]);
	close(sv[1]);
}

/* ---- signals ---- */

static void on_alarm(int sig)
{
	(void)sig;
}

/* SIGALRM after @ms, delivered without SA_RESTART. */
static void alarm_in(int ms)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	struct itimerval it = { .it_value = { .tv_sec = ms / 1000,
					      .tv_usec = (ms % 1000) * 1000 } };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
}

static uint64_t ms_now(void)
{
	return fc_now_ns() / 1000000;
}

static void count_release(void *ctx, uint64_t cookie)
{
	(void)cookie;
	(*(unsigned int *)ctx)++;
}

FIXTURE(signal) {
	int tx, rx;
	uint8_t *buf;
	unsigned int released;
	struct fpgacap_sender *s;
};

FIXTURE_VARIANT(signal) {
	enum fpgacap_send_mode mode;
};

FIXTURE_VARIANT_ADD(signal, copy) { .mode = FPGACAP_SEND_COPY };
FIXTURE_VARIANT_ADD(signal, zerocopy) { .mode = FPGACAP_SEND_ZEROCOPY };
FIXTURE_VARIANT_ADD(signal, uring) { .mode = FPGACAP_SEND_URING };

#define BIG (4 << 20)

FIXTURE_SETUP(signal)
{
	struct fpgacap_sender_opts o = {
		.size = sizeof(o), .mode = variant->mode,
		.release = count_release, .ctx = &self->released,
	};
	int small = 64 << 10;

	if (!fpgacap_send_mode_built(variant->mode))
		SKIP(return, "built without liburing");
	ASSERT_EQ(0, tcp_pair(&self->tx, &self->rx));
	/* Small buffers on both sides: the socket fills fast. */
	ASSERT_EQ(0, setsockopt(self->tx, SOL_SOCKET, SO_SNDBUF, &small,
				sizeof(small)));
	ASSERT_EQ(0, setsockopt(self->rx, SOL_SOCKET, SO_RCVBUF, &small,
				sizeof(small)));
	self->buf = calloc(1, BIG);
	ASSERT_NE(NULL, self->buf);
	o.fd = self->tx;
	ASSERT_EQ(0, fpgacap_sender_create(&o, &self->s));
}

FIXTURE_TEARDOWN(signal)
{
	struct itimerval off = { 0 };

	if (_metadata->skip && !self->s)
		return;
	setitimer(ITIMER_REAL, &off, NULL);
	fpgacap_sender_destroy(self->s);
	close(self->tx);
	close(self->rx);
	free(self->buf);
}

/*
 * The receiver never reads: a big send blocks part-way. The signal starts
 * the drain deadline; the send ends with -ETIMEDOUT (the stream is cut)
 * well within a second of it, where before it blocked for good.
 */
TEST_F_TIMEOUT(signal, mid_send_bounded, 30)
{
	struct iovec v = { .iov_base = self->buf, .iov_len = BIG };
	uint64_t t0;
	int ret;

	if (_metadata->skip)
		return;
	alarm_in(200);
	t0 = ms_now();
	ret = fpgacap_sender_send(self->s, &v, 1, 1);
	EXPECT_EQ(-ETIMEDOUT, ret);
	EXPECT_GT(1200, ms_now() - t0);
	EXPECT_LE(150, ms_now() - t0);
}

/*
 * The socket is full before the send starts: the signal finds nothing of
 * it gone, so -EINTR at once, nothing pending, no release; once the peer
 * reads, the same send goes through whole.
 */
TEST_F_TIMEOUT(signal, before_any_byte_keeps_buffer, 30)
{
	struct iovec v = { .iov_base = self->buf, .iov_len = 64 << 10 };
	int fl = fcntl(self->tx, F_GETFL);
	uint64_t t0, got = 0;
	char sink[65536];
	pthread_t th;
	ssize_t n;
	int ret;

	if (_metadata->skip)
		return;
	if (variant->mode == FPGACAP_SEND_URING)
		SKIP(return, "a SEND_ZC in flight cannot be taken back");
	/* Fill until the socket stays full: queued data moving on to the
	 * receiver frees room for a while after the first EAGAIN. */
	ASSERT_EQ(0, fcntl(self->tx, F_SETFL, fl | O_NONBLOCK));
	for (int round = 0; round < 50; round++) {
		bool more = false;

		while ((n = write(self->tx, sink, sizeof(sink))) > 0) {
			got += (uint64_t)n;
			more = true;
		}
		if (!more && round)
			break;
		usleep(50000);
	}
	ASSERT_EQ(0, fcntl(self->tx, F_SETFL, fl));
	alarm_in(200);
	t0 = ms_now();
	ret = fpgacap_sender_send(self->s, &v, 1, 7);
	EXPECT_EQ(-EINTR, ret);
	EXPECT_GT(1200, ms_now() - t0);
	EXPECT_EQ(0, fpgacap_sender_pending(self->s));
	EXPECT_EQ(0, self->released);
	/* Drain what was written raw, then send again. */
	ASSERT_EQ(0, fcntl(self->rx, F_SETFL, O_NONBLOCK));
	while (got && (n = read(self->rx, sink, sizeof(sink))) != 0) {
		if (n > 0)
			got -= (uint64_t)n < got ? (uint64_t)n : got;
		else
			usleep(1000);
		if (!got)
			break;
	}
	ASSERT_EQ(0, fcntl(self->rx, F_SETFL, 0));
	ASSERT_EQ(0, pthread_create(&th, NULL, drain, &self->rx));
	EXPECT_EQ(0, fpgacap_sender_send(self->s, &v, 1, 7));
	EXPECT_EQ(0, fpgacap_sender_flush(self->s, 10000));
	EXPECT_EQ(1, self->released);
	shutdown(self->tx, SHUT_WR);
	pthread_join(th, NULL);
}

TEST_HARNESS_MAIN
