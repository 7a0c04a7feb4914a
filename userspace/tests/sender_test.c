// SPDX-License-Identifier: GPL-2.0
/*
 * The sender on ordinary memory over loopback TCP: every mode delivers a
 * framed stream intact while buffers are rewritten the moment they are
 * released (as the driver would refill them), releases come once each and
 * in order, and short sends on a non-blocking socket are resumed.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>

#include "kselftest_harness.h"
#include "host_test.h"

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
	fpgacap_verify_get_stats(v, &r->st);
	fpgacap_verify_destroy(v);
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
	close(self->tx);
	close(self->rx);
	free(self->p.bufs);
}

TEST_F_TIMEOUT(sender, framed_stream_intact, 120)
{
	struct fpgacap_sender_opts o = {
		.fd = self->tx,
		.mode = variant->mode,
		.max_inflight = NBUF,
		.release = on_release,
		.ctx = &self->p,
	};
	struct fpgacap_sender_stats st;
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
	struct fpgacap_sender_opts o = { .mode = FPGACAP_SEND_ZEROCOPY };
	struct fpgacap_sender *s;

	o.fd = open("/dev/null", O_WRONLY);
	ASSERT_LE(0, o.fd);
	EXPECT_EQ(-ENOTSOCK, fpgacap_sender_create(&o, &s));
	o.mode = FPGACAP_SEND_AUTO;
	ASSERT_EQ(0, fpgacap_sender_create(&o, &s));
	fpgacap_sender_destroy(s);
	close(o.fd);
}

/* A mode that needs io_uring fails cleanly without it; auto does not. */
TEST(no_uring_fallback)
{
	struct fpgacap_sender_opts o = { .mode = FPGACAP_SEND_URING,
					 .no_uring = true };
	struct fpgacap_sender_stats st;
	struct fpgacap_sender *s;
	int tx, rx;

	ASSERT_EQ(0, tcp_pair(&tx, &rx));
	o.fd = tx;
	EXPECT_EQ(-ENOSYS, fpgacap_sender_create(&o, &s));
	o.mode = FPGACAP_SEND_AUTO;
	ASSERT_EQ(0, fpgacap_sender_create(&o, &s));
	fpgacap_sender_get_stats(s, &st);
	EXPECT_EQ(FPGACAP_SEND_ZEROCOPY, st.mode);
	fpgacap_sender_destroy(s);
	close(tx);
	close(rx);
}

TEST_HARNESS_MAIN
