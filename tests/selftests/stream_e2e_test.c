// SPDX-License-Identifier: GPL-2.0-only
/*
 * End to end through libfpgacap: pattern source -> pump (each send mode)
 * -> TCP -> fpgacap-sink on the host, which checks every byte and answers
 * with a verdict. Also: recycling before completion is caught, ENOBUFS and
 * a vanishing peer are survived, and without io_uring the library falls
 * back cleanly.
 *
 * Host ports (see tests/run-guest.sh): 5555 verifies, 5557 verifies while
 * reading slowly, 5558 hangs up after 1 MiB.
 */
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "kselftest_harness.h"
#include "fpgacap_test.h"
#include "libfpgacap.h"
#include "libfpgacap-testing.h"
#include "../../userspace/tests/no_uring.h"

static bool expect_zerocopy(void)
{
	const char *e = getenv("FPGACAP_EXPECT_ZEROCOPY");

	return e && !strcmp(e, "1");
}

struct run {
	struct fpgacap_sender_stats ss;
	struct fpgacap_pump_stats ps;
	struct fpgacap_stats ds;
	int step_ret, finish_ret;
	uint64_t send_ms;	/* streaming, until the last send returned */
	bool ok;
	char verdict[1200];
};

/* Knobs of one run. */
struct knobs {
	int port;
	enum fpgacap_send_mode mode;
	uint64_t bytes;
	uint32_t count;
	uint64_t size;
	bool unsafe;		/* release before completion */
	bool refill;		/* before stop, let the source refill all */
	unsigned int batch;
	int sndbuf;		/* SO_SNDBUF, 0: leave alone */
	unsigned int pacing;	/* SO_MAX_PACING_RATE, bytes/s; 0: none */
	bool writable;		/* FPGACAP_CFG_WRITABLE, opened O_RDWR */
	bool hide_pool;		/* PROT_NONE on the pool once the sender is made */
};

/* Wait (up to 20 s) until the source has filled every buffer. */
static int wait_all_filled(struct fpgacap *dev, uint32_t count)
{
	struct fpgacap_stats st;
	int i, ret;

	for (i = 0; i < 2000; i++) {
		ret = fpgacap_get_stats(dev, &st);
		if (ret)
			return ret;
		if (st.done == count)
			return 0;
		usleep(10000);
	}
	return -ETIMEDOUT;
}

/* Stream framed pattern data as @k says; fills @r. */
static int stream(struct __test_metadata *_metadata, const struct knobs *k,
		  struct run *r)
{
	struct fpgacap_sender_opts so = { .size = sizeof(so) };
	struct fpgacap_pump_opts po = { .size = sizeof(po), .send = &so };
	struct fpgacap_pump *pump;
	struct fpgacap *dev;
	uint64_t t0;
	int sock, ret;

	memset(r, 0, sizeof(*r));
	r->ss.size = sizeof(r->ss);
	r->ps.size = sizeof(r->ps);
	sock = sink_connect(k->port);
	if (sock < 0)
		return sock;
	/* FORCE: past net.core.wmem_max (we are root in the guest). */
	if (k->sndbuf)
		EXPECT_EQ(0, setsockopt(sock, SOL_SOCKET, SO_SNDBUFFORCE,
					&k->sndbuf, sizeof(k->sndbuf)));
	/* TCP paces itself: unsent data, and its pages, wait in the guest. */
	if (k->pacing)
		EXPECT_EQ(0, setsockopt(sock, SOL_SOCKET, SO_MAX_PACING_RATE,
					&k->pacing, sizeof(k->pacing)));
	ret = fpgacap_open(dev_path(), k->writable ? O_RDWR : 0, &dev);
	EXPECT_EQ(0, ret);
	if (ret) {
		close(sock);
		return ret;
	}
	ret = fpgacap_configure(dev, k->count, k->size,
				k->writable ? FPGACAP_CFG_WRITABLE : 0, 0);
	EXPECT_EQ(0, ret);
	so.fd = sock;
	so.mode = k->mode;
	po.batch = k->batch;
	po.framing = true;
	po.max_bytes = k->bytes;
	if (!ret)
		ret = fpgacap_pump_create(dev, &po, &pump);
	if (ret) {
		fpgacap_close(dev);
		close(sock);
		return ret;
	}
	fpgacap_testing_early_release(fpgacap_pump_sender(pump), k->unsafe);
	/*
	 * No send can take the pool's pages through its user mapping now:
	 * only through io_uring's registered buffers, pinned when the sender
	 * registered them.
	 */
	if (k->hide_pool)
		EXPECT_EQ(0, mprotect((void *)fpgacap_buffer_data(dev, 0),
				      fpgacap_layout(dev)->mmap_size,
				      PROT_NONE));
	EXPECT_EQ(0, fpgacap_start(dev));
	t0 = now_ns();
	do
		ret = fpgacap_pump_step(pump);
	while (!ret);
	r->send_ms = (now_ns() - t0) / 1000000;
	r->step_ret = ret;
	r->finish_ret = fpgacap_pump_finish(pump, 60000);
	fpgacap_sender_get_stats(fpgacap_pump_sender(pump), &r->ss);
	fpgacap_pump_get_stats(pump, &r->ps);
	if (k->refill)
		EXPECT_EQ(0, wait_all_filled(dev, k->count));
	fpgacap_stop(dev);
	fpgacap_get_stats(dev, &r->ds);
	if (ret == 1)
		r->ok = sink_verdict(sock, r->verdict, sizeof(r->verdict)) == 1;
	TH_LOG("%s: %llu bytes in %llu ms, %llu syscalls, %llu partial, %llu ENOBUFS, %llu completions, %llu copied%s, sink: %s",
	       fpgacap_send_mode_name(r->ss.mode),
	       (unsigned long long)r->ps.payload_bytes,
	       (unsigned long long)r->send_ms,
	       (unsigned long long)r->ss.syscalls,
	       (unsigned long long)r->ss.partial,
	       (unsigned long long)r->ss.enobufs,
	       (unsigned long long)r->ss.completions,
	       (unsigned long long)r->ss.copied,
	       r->ss.copied_known ? "" : " (unknown)", r->verdict);
	fpgacap_pump_destroy(pump);
	fpgacap_close(dev);
	close(sock);
	return 0;
}

FIXTURE(e2e) {
	int unused;
};

FIXTURE_VARIANT(e2e) {
	enum fpgacap_send_mode mode;
};

FIXTURE_VARIANT_ADD(e2e, copy) { .mode = FPGACAP_SEND_COPY };
FIXTURE_VARIANT_ADD(e2e, zerocopy) { .mode = FPGACAP_SEND_ZEROCOPY };
FIXTURE_VARIANT_ADD(e2e, uring) { .mode = FPGACAP_SEND_URING };
FIXTURE_VARIANT_ADD(e2e, auto) { .mode = FPGACAP_SEND_AUTO };

FIXTURE_SETUP(e2e)
{
	if (!getenv("FPGACAP_SINK"))
		SKIP(return, "FPGACAP_SINK not set");
}

FIXTURE_TEARDOWN(e2e)
{
}

/* Every mode delivers every byte, in order, with intact frames. */
TEST_F_TIMEOUT(e2e, byte_exact, 300)
{
	const uint64_t bytes = 8 * MiB;
	struct run r;
	struct knobs k = { .port = 5555, .mode = variant->mode,
			   .bytes = bytes, .count = 16, .size = 64 * KiB };

	RETURN_IF_SKIPPED();

	ASSERT_EQ(0, stream(_metadata, &k, &r));
	EXPECT_EQ(1, r.step_ret);
	EXPECT_EQ(0, r.finish_ret);
	EXPECT_TRUE(r.ok) TH_LOG("sink: %s", r.verdict);
	EXPECT_EQ(bytes, r.ps.payload_bytes);
	/* Every buffer came back to the driver. */
	EXPECT_EQ(0, r.ds.user);
	if (variant->mode == FPGACAP_SEND_COPY) {
		EXPECT_EQ(0, r.ss.completions);
	} else {
		EXPECT_NE(FPGACAP_SEND_COPY, r.ss.mode);
		EXPECT_LT(0, r.ss.completions);
		/*
		 * Sent from the pages: at most a quarter copied (a path that
		 * copies copies them all). The emulators' TCP peer does not
		 * use timestamps, so a window probe of under 6 bytes makes a
		 * frame under 60, which e1000 pads by linearising it: that
		 * copies the skb's pages, and the kernel flags the send, and
		 * the notifications merged with it, copied (a kprobe on
		 * msg_zerocopy_callback: __skb_pad from e1000_xmit_frame).
		 * At most 16 of 128 seen. SEND_ZC on 6.1 also flags a few
		 * copied when its data joins an skb that the frame header's
		 * plain send started.
		 */
		if (expect_zerocopy() && r.ss.copied_known)
			EXPECT_LE(4 * r.ss.copied, r.ss.completions);
	}
	if (variant->mode == FPGACAP_SEND_URING)
		/* Registration of the device mapping: used, or why not. */
		EXPECT_TRUE(r.ss.fixed_buffers || r.ss.fixed_buffers_error);
}

/*
 * A slow link keeps pages queued in the socket long after sendmsg()
 * returned. Recycling them then sends newer data under older headers: the
 * sink must see it (proving the test can fail), and must not without.
 * The socket's own pacing (1 MB/s) is the slow link: it holds the queue in
 * the guest whatever the host side buffers.
 */
TEST_F_TIMEOUT(e2e, early_recycling_caught, 300)
{
	struct knobs k = { .port = 5555, .mode = variant->mode,
			   .bytes = 3 * MiB, .count = 8, .size = 64 * KiB,
			   .unsafe = true, .refill = true, .batch = 1,
			   .sndbuf = 4 << 20, .pacing = 1 << 20 };
	struct run r;

	RETURN_IF_SKIPPED();

	if (variant->mode == FPGACAP_SEND_COPY || variant->mode ==
	    FPGACAP_SEND_AUTO)
		SKIP(return, "copies cannot be recycled early");
	ASSERT_EQ(0, stream(_metadata, &k, &r));
	EXPECT_EQ(1, r.step_ret);
	EXPECT_FALSE(r.ok) TH_LOG("early release went unnoticed: %s",
				  r.verdict);
	/* The same, releasing on completion: intact. */
	k.unsafe = false;
	ASSERT_EQ(0, stream(_metadata, &k, &r));
	EXPECT_TRUE(r.ok) TH_LOG("sink: %s", r.verdict);
	EXPECT_EQ(0, r.ds.user);
}

/* The peer hangs up mid-stream: an error, no SIGPIPE, buffers all back. */
TEST_F_TIMEOUT(e2e, peer_disconnect, 300)
{
	struct knobs k = { .port = 5558, .mode = variant->mode,
			   .bytes = 64 * MiB, .count = 16, .size = 64 * KiB };
	struct run r;

	RETURN_IF_SKIPPED();

	ASSERT_EQ(0, stream(_metadata, &k, &r));
	EXPECT_TRUE(r.step_ret == -EPIPE || r.step_ret == -ECONNRESET)
		TH_LOG("pump: %d", r.step_ret);
	EXPECT_EQ(0, r.finish_ret);
	EXPECT_EQ(0, r.ds.user);
	EXPECT_GT(64 * MiB, r.ps.payload_bytes);
}

/*
 * A writable pool (FPGACAP_CFG_WRITABLE, the handle opened O_RDWR) is
 * mapped writable, so io_uring's FOLL_WRITE pinning gets past the EFAULT
 * the read-only mapping meets. Linux 6.1 then still refuses a file-backed
 * mapping (EOPNOTSUPP); a kernel that registers it reports fixed buffers.
 * Either way every byte arrives.
 */
TEST(uring_fixed_buffers_writable)
{
	struct knobs k = { .port = 5555, .mode = FPGACAP_SEND_URING,
			   .bytes = 2 * MiB, .count = 16, .size = 64 * KiB,
			   .writable = true };
	struct run r;

	if (!getenv("FPGACAP_SINK"))
		SKIP(return, "FPGACAP_SINK not set");
	if (!fpgacap_send_mode_built(FPGACAP_SEND_URING))
		SKIP(return, "built without liburing");
	ASSERT_EQ(0, stream(_metadata, &k, &r));
	EXPECT_EQ(1, r.step_ret);
	EXPECT_TRUE(r.ok) TH_LOG("sink: %s", r.verdict);
	EXPECT_EQ(FPGACAP_SEND_URING, r.ss.mode);
	EXPECT_TRUE(r.ss.fixed_buffers ||
		    r.ss.fixed_buffers_error == EOPNOTSUPP)
		TH_LOG("registration refused: %s",
		       strerror(r.ss.fixed_buffers_error));
	TH_LOG("fixed buffers: %s", r.ss.fixed_buffers ? "registered" :
	       strerror(r.ss.fixed_buffers_error));
	EXPECT_EQ(0, r.ds.user);
}

/*
 * Every payload send used the registered buffers: with the pool's user
 * mapping made inaccessible after registration, a send that pinned pages
 * per request (from the mapping) fails with EFAULT; the stream must still
 * arrive whole. The control, without registration, must fail that way.
 */
TEST(uring_fixed_buffers_every_send)
{
	struct knobs k = { .port = 5555, .mode = FPGACAP_SEND_URING,
			   .bytes = 2 * MiB, .count = 16, .size = 64 * KiB,
			   .writable = true, .hide_pool = true };
	struct run r;

	if (!getenv("FPGACAP_SINK"))
		SKIP(return, "FPGACAP_SINK not set");
	if (!fpgacap_send_mode_built(FPGACAP_SEND_URING))
		SKIP(return, "built without liburing");

	k.writable = false;
	ASSERT_EQ(0, stream(_metadata, &k, &r));
	EXPECT_FALSE(r.ss.fixed_buffers);
	EXPECT_EQ(-EFAULT, r.step_ret) TH_LOG("control: %d", r.step_ret);

	k.writable = true;
	ASSERT_EQ(0, stream(_metadata, &k, &r));
	if (!r.ss.fixed_buffers) {
		/* Linux 6.1 refuses device mappings (see above). */
		EXPECT_EQ(EOPNOTSUPP, r.ss.fixed_buffers_error);
		SKIP(return, "registration refused: %s",
		     strerror(r.ss.fixed_buffers_error));
	}
	EXPECT_EQ(1, r.step_ret);
	EXPECT_TRUE(r.ok) TH_LOG("sink: %s", r.verdict);
	EXPECT_EQ(0, r.ds.user);
}

/* Tests that shrink optmem_max, the memory MSG_ZEROCOPY notifications use. */
#define OPTMEM "/proc/sys/net/core/optmem_max"

FIXTURE(optmem) {
	char saved[32];
};

FIXTURE_SETUP(optmem)
{
	if (!getenv("FPGACAP_SINK"))
		SKIP(return, "FPGACAP_SINK not set");
	ASSERT_EQ(0, read_file(OPTMEM, self->saved, sizeof(self->saved)));
}

FIXTURE_TEARDOWN(optmem)
{
	if (self->saved[0])
		write_file(OPTMEM, self->saved);
}

/*
 * What one pending MSG_ZEROCOPY notification charges to optmem (an skb's
 * truesize, which differs between 32 and 64 bit): queue one zero-copy send
 * behind a crawling pacing rate and read the socket's optmem use.
 */
static int notification_size(void)
{
	const size_t len = 64 * KiB;
	struct linger reset = { .l_onoff = 1, .l_linger = 0 };
	uint32_t mem[SK_MEMINFO_VARS];
	socklen_t mlen = sizeof(mem);
	unsigned int rate = 1000;
	int sock, one = 1, ret;
	void *buf;

	sock = sink_connect(5556);
	if (sock < 0)
		return sock;
	buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED) {
		close(sock);
		return -ENOMEM;
	}
	memset(buf, 0x5a, len);
	ret = -EIO;
	/* Reset on close: drop what is queued rather than trickle it out. */
	if (!setsockopt(sock, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset)) &&
	    !setsockopt(sock, SOL_SOCKET, SO_MAX_PACING_RATE, &rate,
			sizeof(rate)) &&
	    !setsockopt(sock, SOL_SOCKET, SO_ZEROCOPY, &one, sizeof(one)) &&
	    send(sock, buf, len, MSG_ZEROCOPY) == (ssize_t)len &&
	    !getsockopt(sock, SOL_SOCKET, SO_MEMINFO, mem, &mlen))
		ret = (int)mem[SK_MEMINFO_OPTMEM];
	close(sock);
	munmap(buf, len);
	return ret;
}

/*
 * Room for one pending notification, and a slow link (pacing): the next
 * MSG_ZEROCOPY send that needs a notification of its own runs out while
 * the first is in flight; the library waits for its completion and carries
 * on without copying. One notification covers up to 512 KiB of consecutive
 * sends; at 256 KB/s even the Zynq guest queues far more.
 */
TEST_F_TIMEOUT(optmem, enobufs_waited, 300)
{
	struct knobs k = { .port = 5555, .mode = FPGACAP_SEND_ZEROCOPY,
			   .bytes = 2 * MiB, .count = 16, .size = 64 * KiB,
			   .sndbuf = 8 << 20, .pacing = 256 << 10 };
	char limit[16];
	struct run r;
	int size;

	RETURN_IF_SKIPPED();

	size = notification_size();
	ASSERT_LT(0, size);
	TH_LOG("one pending notification: %d bytes of optmem", size);
	snprintf(limit, sizeof(limit), "%d", size + size / 2);
	ASSERT_EQ(0, write_file(OPTMEM, limit));
	ASSERT_EQ(0, stream(_metadata, &k, &r));
	EXPECT_EQ(1, r.step_ret);
	EXPECT_LT(0, r.ss.enobufs);
	EXPECT_EQ(0, r.ss.nobufs_copied);
	EXPECT_LT(0, r.ss.completions);
	EXPECT_TRUE(r.ok) TH_LOG("sink: %s", r.verdict);
	EXPECT_EQ(0, r.ds.user);
}

/*
 * No room at all: every MSG_ZEROCOPY send fails with nothing in flight to
 * wait for. Each goes by copy instead; the stream stays intact.
 */
TEST_F_TIMEOUT(optmem, enobufs_copied, 300)
{
	struct knobs k = { .port = 5555, .mode = FPGACAP_SEND_ZEROCOPY,
			   .bytes = 2 * MiB, .count = 16, .size = 64 * KiB };
	struct run r;

	RETURN_IF_SKIPPED();

	ASSERT_EQ(0, write_file(OPTMEM, "0"));
	ASSERT_EQ(0, stream(_metadata, &k, &r));
	EXPECT_EQ(1, r.step_ret);
	EXPECT_EQ(32, r.ss.nobufs_copied);
	EXPECT_EQ(r.ss.enobufs, r.ss.nobufs_copied);
	EXPECT_EQ(0, r.ss.completions);
	EXPECT_TRUE(r.ok) TH_LOG("sink: %s", r.verdict);
	EXPECT_EQ(0, r.ds.user);
}

/* io_uring blocked (as seccomp profiles often do): a clean fallback. */
TEST(no_io_uring)
{
	struct knobs k = { .port = 5555, .mode = FPGACAP_SEND_AUTO,
			   .bytes = 4 * MiB, .count = 16, .size = 64 * KiB };
	struct fpgacap_sender_opts so = { .size = sizeof(so) };
	struct fpgacap_sender *s;
	struct run r;
	int sock;

	if (!getenv("FPGACAP_SINK"))
		SKIP(return, "FPGACAP_SINK not set");
	/* The harness runs each test in its own child: this stays here. */
	ASSERT_EQ(0, block_io_uring());

	sock = socket(AF_INET, SOCK_STREAM, 0);
	ASSERT_LE(0, sock);
	so.fd = sock;
	so.mode = FPGACAP_SEND_URING;
	EXPECT_EQ(-ENOSYS, fpgacap_sender_create(&so, &s));
	close(sock);

	ASSERT_EQ(0, stream(_metadata, &k, &r));
	EXPECT_EQ(FPGACAP_SEND_ZEROCOPY, r.ss.mode);
	EXPECT_TRUE(r.ok) TH_LOG("sink: %s", r.verdict);
}

TEST_HARNESS_MAIN
