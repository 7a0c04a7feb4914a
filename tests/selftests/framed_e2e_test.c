// SPDX-License-Identifier: GPL-2.0-only
/*
 * Slotted pools sent as datagrams straight from their slots, end to end:
 * a pool of 1472-byte datagram slots (24 bytes of header room each) ->
 * the pump (fpgacap_sender_send_slots(), the library writing each header
 * into its room; or _send_records(), the pattern source having written
 * them) -> UDP GSO, 44 datagrams a send in one piece of memory -> the
 * guest's datagram NIC -> fpgacap-sink --frames on the host, which checks
 * every header and payload byte and counts loss and order.
 *
 * Also: the header rooms are written only while the buffer is held (the
 * pool is read-only to this process whenever it is not), every io_uring
 * send of records comes from the registered pool (Linux 6.12), payloads
 * a DMA engine wrote through the DMA API (the test engine, under its
 * checker or swiotlb=force), and, for guests without a datagram NIC
 * (zynqmp), the same streams over loopback to the library's verifier.
 */
#include <pthread.h>

#include "kselftest_harness.h"
#include "fpgacap_test.h"
#include "libfpgacap.h"
#include "udp_sink.h"
#include "../../userspace/tests/spawn.h"

#define S 1472U			/* a slot: one datagram at MTU 1500, IPv4 */
#define S6 1448U		/* the same over IPv6 (1452, down to 8) */
#define H 24U			/* header room */
#define BUF (64 * KiB)
#define NBUF 16

static const char testdma_node[] = "/dev/fpgacap-testdma";

struct run {
	struct fpgacap_sender_stats ss;
	struct fpgacap_pump_stats ps;
	struct fpgacap_stats ds;
	int step_ret, finish_ret, end_ret, verdict_ret;
	char verdict[2200];
};

struct knobs {
	const char *dev;		/* NULL: the pattern device */
	enum fpgacap_send_mode mode;
	int family;
	bool records;
	bool writable;			/* records: writable all the same */
	bool hide_pool;			/* PROT_NONE once the pump exists */
	uint64_t bytes;
	int sock;			/* -1: the sink's datagram port */
};

static uint32_t slot_of(const struct knobs *k)
{
	return k->family == AF_INET6 ? S6 : S;
}

/* Datagrams a pump sends for @bytes from full buffers, END included. */
static uint64_t datagrams_for(uint32_t slot, uint64_t bytes)
{
	uint64_t per = slot - H, slots = BUF / slot;

	return bytes / (slots * per) * slots +
	       (bytes % (slots * per) + per - 1) / per + 1;
}

/* A slotted pool on @k's device through the pump; fills @r. */
static int stream(struct __test_metadata *_metadata, const struct knobs *k,
		  struct run *r)
{
	struct fpgacap_sender_opts so = { .size = sizeof(so), .mode = k->mode };
	struct fpgacap_pump_opts po = { .size = sizeof(po), .send = &so,
					.max_bytes = k->bytes };
	struct fpgacap_config cfg = {
		.count = NBUF, .buffer_size = BUF,
		.slot_size = slot_of(k), .slot_header = H,
		.flags = k->records ? FPGACAP_CFG_RECORDS : FPGACAP_CFG_WRITABLE,
	};
	struct fpgacap_pump *pump;
	struct fpgacap *dev;
	int ctl = -1, sock = k->sock, ret;

	memset(r, 0, sizeof(*r));
	r->ss.size = sizeof(r->ss);
	r->ps.size = sizeof(r->ps);
	if (k->writable)
		cfg.flags |= FPGACAP_CFG_WRITABLE;
	if (sock < 0) {
		ctl = control_open();
		if (ctl < 0)
			return ctl;
		sock = udp_sink_socket(k->family);
		ASSERT_LE(0, sock);
	}
	ASSERT_EQ(0, fpgacap_open(k->dev ? k->dev : dev_path(),
				  cfg.flags & FPGACAP_CFG_WRITABLE ? O_RDWR : 0,
				  &dev));
	ASSERT_EQ(0, fpgacap_configure_pool(dev, &cfg));
	so.fd = sock;
	ret = fpgacap_pump_create(dev, &po, &pump);
	ASSERT_EQ(0, ret);
	/* Sends can reach the pool's pages only through io_uring's
	 * registration now, which pinned them when the pump was made. */
	if (k->hide_pool)
		EXPECT_EQ(0, mprotect((void *)fpgacap_buffer_data(dev, 0),
				      fpgacap_layout(dev)->mmap_size,
				      PROT_NONE));
	ASSERT_EQ(0, fpgacap_start(dev));
	do
		ret = fpgacap_pump_step(pump);
	while (!ret);
	r->step_ret = ret;
	r->finish_ret = fpgacap_pump_finish(pump, 60000);
	if (ret == 1)
		r->end_ret = fpgacap_sender_end_datagrams(
			fpgacap_pump_sender(pump));
	fpgacap_sender_get_stats(fpgacap_pump_sender(pump), &r->ss);
	fpgacap_pump_get_stats(pump, &r->ps);
	fpgacap_stop(dev);
	fpgacap_get_stats(dev, &r->ds);
	if (ctl >= 0)
		r->verdict_ret = ret == 1 ? sink_verdict(ctl, r->verdict,
							 sizeof(r->verdict)) :
			-ECANCELED;
	TH_LOG("%s%s over IPv%d: %llu bytes, %llu datagrams of %u in %llu "
	       "sends (%llu pieces, %llu from registered buffers), %llu "
	       "completions, %llu copied%s; sink: %s",
	       k->records ? "records, " : "framed, ",
	       fpgacap_send_mode_name(r->ss.mode),
	       k->family == AF_INET6 ? 6 : 4,
	       (unsigned long long)r->ps.payload_bytes,
	       (unsigned long long)r->ss.datagrams, r->ss.datagram_size,
	       (unsigned long long)r->ss.datagram_sends,
	       (unsigned long long)r->ss.datagram_iovecs,
	       (unsigned long long)r->ss.fixed_sends,
	       (unsigned long long)r->ss.completions,
	       (unsigned long long)r->ss.copied,
	       r->ss.copied_known ? "" : " (unknown)",
	       ctl >= 0 ? r->verdict : "(loopback)");
	fpgacap_pump_destroy(pump);
	fpgacap_close(dev);
	if (ctl >= 0) {
		close(sock);
		close(ctl);
	}
	return 0;
}

/* What every stream of whole 64 KiB buffers must show on the sender. */
static void expect_sent(struct __test_metadata *_metadata,
			const struct knobs *k, const struct run *r)
{
	uint32_t slot = slot_of(k);
	uint64_t datagrams = datagrams_for(slot, k->bytes);

	EXPECT_EQ(1, r->step_ret);
	EXPECT_EQ(0, r->finish_ret);
	EXPECT_EQ(0, r->end_ret);
	EXPECT_EQ(k->bytes, r->ps.payload_bytes);
	EXPECT_EQ(0, r->ds.user);
	EXPECT_EQ(slot, r->ss.datagram_size);
	EXPECT_EQ(0, r->ss.gso_error);
	EXPECT_EQ(0, r->ss.gso_shrunk);
	EXPECT_EQ(datagrams, r->ss.datagrams);
	/* A buffer's 44 (45 over IPv6) slots a send, one piece of memory:
	 * one page-pinning call each, none from registered buffers. */
	EXPECT_EQ(BUF / slot, r->ss.gso_segments);
	EXPECT_LE(40, BUF / slot);
	EXPECT_EQ((k->bytes + (BUF / slot) * (slot - H) - 1) /
		  ((BUF / slot) * (slot - H)) + 1, r->ss.datagram_sends);
	EXPECT_EQ(r->ss.datagram_sends, r->ss.datagram_iovecs);
	if (k->mode == FPGACAP_SEND_COPY) {
		EXPECT_EQ(0, r->ss.completions);
		return;
	}
	EXPECT_EQ(k->mode, r->ss.mode);
	EXPECT_LT(0, r->ss.completions);
	if (k->mode != FPGACAP_SEND_URING) {
		EXPECT_EQ(0, r->ss.fixed_sends);
	} else if (r->ss.fixed_buffers) {
		/* Every run from the registration; END is a send(). */
		EXPECT_EQ(r->ss.datagram_sends - 1, r->ss.fixed_sends);
	} else {
		/* Linux 6.1 refuses the device's mapping (EOPNOTSUPP when
		 * writable, EFAULT read-only): each send pins its run. */
		EXPECT_TRUE(r->ss.fixed_buffers_error == EOPNOTSUPP ||
			    r->ss.fixed_buffers_error == EFAULT)
			TH_LOG("registration: %s",
			       strerror(r->ss.fixed_buffers_error));
		EXPECT_EQ(0, r->ss.fixed_sends);
	}
}

/* What the sink must have seen of it. */
static void expect_received(struct __test_metadata *_metadata,
			    const struct knobs *k, const struct run *r)
{
	uint32_t slot = slot_of(k);

	EXPECT_EQ(1, r->verdict_ret) TH_LOG("sink: %s", r->verdict);
	EXPECT_EQ(r->ss.datagrams, field(r->verdict, "datagrams"));
	EXPECT_EQ(0, field(r->verdict, "lost_datagrams"));
	EXPECT_EQ(0, field(r->verdict, "reordered"));
	EXPECT_EQ(0, field(r->verdict, "frames_bad_checksum"));
	if (nic_fills_checksum(k->family))
		EXPECT_EQ(0, field(r->verdict, "frames_csum_unfilled"));
	EXPECT_EQ(k->bytes, field(r->verdict, "payload_bytes"));
	EXPECT_EQ((k->bytes + (BUF / slot) * (slot - H) - 1) /
		  ((BUF / slot) * (slot - H)), field(r->verdict, "frames"));
	EXPECT_NE(NULL, strstr(r->verdict, "\"ended\":true"));
	/* Headers and payloads are all the pool's lowmem pages: no piece
	 * of library memory makes a NIC without HIGHDMA copy the send. */
	if (k->mode != FPGACAP_SEND_COPY && expect_zerocopy() &&
	    r->ss.copied_known)
		EXPECT_EQ(0, r->ss.copied);
}

static bool have_udp_nic(void)
{
	return control_port() && getenv("FPGACAP_UDP_IF");
}

FIXTURE(framed) {
	int unused;
};

FIXTURE_VARIANT(framed) {
	enum fpgacap_send_mode mode;
	bool records;
	int family;
};

FIXTURE_VARIANT_ADD(framed, copy) { FPGACAP_SEND_COPY, false, AF_INET };
FIXTURE_VARIANT_ADD(framed, zerocopy) { FPGACAP_SEND_ZEROCOPY, false,
					AF_INET };
FIXTURE_VARIANT_ADD(framed, uring) { FPGACAP_SEND_URING, false, AF_INET };
FIXTURE_VARIANT_ADD(framed, zerocopy_v6) { FPGACAP_SEND_ZEROCOPY, false,
					   AF_INET6 };
FIXTURE_VARIANT_ADD(framed, records_copy) { FPGACAP_SEND_COPY, true,
					    AF_INET };
FIXTURE_VARIANT_ADD(framed, records_zerocopy) { FPGACAP_SEND_ZEROCOPY, true,
						AF_INET };
FIXTURE_VARIANT_ADD(framed, records_uring) { FPGACAP_SEND_URING, true,
					     AF_INET };

FIXTURE_SETUP(framed)
{
	if (!have_udp_nic())
		SKIP(return, "no datagram NIC (FPGACAP_UDP_SINK, FPGACAP_UDP_IF);"
		     " loopback_* run instead");
	if (!fpgacap_send_mode_built(variant->mode))
		SKIP(return, "built without liburing");
	if (variant->family == AF_INET6) {
		if (access("/proc/sys/net/ipv6", F_OK))
			SKIP(return, "no IPv6 in this kernel");
		ASSERT_EQ(0, add_neigh6(getenv("FPGACAP_UDP_IF"),
					"fd00:fc::100"));
	}
}

FIXTURE_TEARDOWN(framed)
{
}

/*
 * Every datagram arrives in order, header and payload right; a buffer is
 * one send of whole slots; zero-copy sends are not copied.
 */
TEST_F_TIMEOUT(framed, byte_exact, 300)
{
	struct knobs k = { .mode = variant->mode, .family = variant->family,
			   .records = variant->records, .bytes = 2 * MiB,
			   .sock = -1 };
	struct run r;

	RETURN_IF_SKIPPED();
	ASSERT_EQ(0, stream(_metadata, &k, &r));
	expect_sent(_metadata, &k, &r);
	expect_received(_metadata, &k, &r);
}

/*
 * The tool's way in: fpgacap-stream --udp --slot to the sink, its verdict
 * and its account of the sends in the JSON summary.
 */
TEST_F_TIMEOUT(framed, tool, 300)
{
	char ctl[64], *argv[] = {
		"fpgacap-stream", "-d", (char *)dev_path(), "-c", "16",
		"-s", "64K", "--udp", "--slot", "1472", "-m", "zerocopy",
		"--control", ctl, "--verdict", "-b", "2M", "--json",
		"10.0.3.100:5000", NULL,
	};
	struct child c;
	int ret;

	RETURN_IF_SKIPPED();
	if (variant->mode != FPGACAP_SEND_ZEROCOPY || variant->records ||
	    variant->family != AF_INET)
		SKIP(return, "one variant is enough");
	snprintf(ctl, sizeof(ctl), "%s", getenv("FPGACAP_UDP_SINK"));
	ret = child_run(&c, argv, 240000);
	EXPECT_EQ(0, ret) TH_LOG("%s\n%s", c.outbuf, c.errbuf);
	EXPECT_NE(NULL, strstr(c.outbuf, "\"slot_size\":1472"));
	EXPECT_NE(NULL, strstr(c.outbuf, "\"payload_bytes\":2097152"));
	/* 33 buffers (the last cut by -b) and the END datagram. */
	EXPECT_EQ(34, field(c.outbuf, "datagram_sends")) TH_LOG("%s", c.outbuf);
	EXPECT_EQ(34, field(c.outbuf, "datagram_iovecs"));
	EXPECT_EQ(datagrams_for(S, 2 * MiB), field(c.outbuf, "datagrams"));
	EXPECT_NE(NULL, strstr(c.outbuf, "\"ok\":true"));
}

/*
 * The bench's slotted modes measure what they name: each run arrives
 * intact at the sink (framed: the library wrote every header; records:
 * the pattern source did), a 64 KiB buffer of 1472-byte slots goes out in
 * sends of at least 40 datagrams (44 a full buffer), and the zero-copy
 * ones complete without copies where the NIC takes the pool's pages.
 */
TEST_F_TIMEOUT(framed, bench, 600)
{
	static const char *const modes[] = {
		"udp-framed", "udp-framed-zerocopy", "udp-framed-uring",
		"udp-records", "udp-records-zerocopy", "udp-records-uring",
	};
	char ctl[64], mode[32], *argv[] = {
		"fpgacap-bench", "-d", (char *)dev_path(), "-m", mode,
		"-c", "16", "-s", "64K", "-b", "2M", "--udp",
		"10.0.3.100:5000", "--control", ctl, "--json", "-q", NULL,
	};
	unsigned int i;

	RETURN_IF_SKIPPED();
	if (variant->mode != FPGACAP_SEND_ZEROCOPY || variant->records ||
	    variant->family != AF_INET)
		SKIP(return, "one variant is enough");
	snprintf(ctl, sizeof(ctl), "%s", getenv("FPGACAP_UDP_SINK"));
	for (i = 0; i < ARRAY_SIZE(modes); i++) {
		uint64_t sends, dgrams;
		struct child c;

		if (strstr(modes[i], "-uring") &&
		    !fpgacap_send_mode_built(FPGACAP_SEND_URING))
			continue;
		snprintf(mode, sizeof(mode), "%s", modes[i]);
		EXPECT_EQ(0, child_run(&c, argv, 240000))
			TH_LOG("%s\n%s", c.outbuf, c.errbuf);
		EXPECT_EQ(0, field(c.outbuf, "error")) TH_LOG("%s", c.outbuf);
		EXPECT_EQ(0, field(c.outbuf, "sink")) TH_LOG("%s", c.outbuf);
		EXPECT_EQ(2 * MiB, field(c.outbuf, "bytes"));
		sends = field(c.outbuf, "datagram_sends");
		dgrams = field(c.outbuf, "datagrams");
		EXPECT_EQ(datagrams_for(S, 2 * MiB) - 1, dgrams)
			TH_LOG("%s", c.outbuf);
		/* 32 full buffers of 44 slots and one of 41. */
		EXPECT_EQ(33, sends) TH_LOG("%s: %s", modes[i], c.outbuf);
		EXPECT_LE(40 * sends, dgrams);
		if (strstr(modes[i], "-zerocopy") ||
		    strstr(modes[i], "-uring")) {
			EXPECT_LT(0, field(c.outbuf, "completions"));
			EXPECT_GE(sends, field(c.outbuf, "completions"));
			if (expect_zerocopy())
				EXPECT_EQ(0, field(c.outbuf, "copied"));
		}
	}
}

/* ---- the header rooms: written only while the buffer is held ---- */

struct held {
	struct fpgacap *dev;
	uint8_t *pool;
	uint32_t released[NBUF];
	unsigned int nreleased;
};

static void held_release(void *ctx, uint64_t cookie)
{
	struct held *h = ctx;

	h->released[h->nreleased++] = (uint32_t)cookie;
}

/* Released buffers back to the driver, read-only to us from now on. */
static int held_return(struct held *h)
{
	unsigned int i;
	int ret;

	for (i = 0; i < h->nreleased; i++)
		if (mprotect(h->pool + (uint64_t)h->released[i] * BUF, BUF,
			     PROT_READ))
			return -errno;
	ret = fpgacap_return(h->dev, h->released, h->nreleased);
	h->nreleased = 0;
	return ret;
}

/*
 * The library as a caller drives it buffer by buffer: each buffer is
 * writable only between its DEQUEUE and the send call's return, read-only
 * while its datagrams are in flight and after RETURN, so a write into a
 * header room outside the send call kills the test (SIGSEGV); the sink
 * checks what arrived.
 */
TEST_F_TIMEOUT(framed, rooms_written_only_while_held, 300)
{
	struct fpgacap_sender_opts so = {
		.size = sizeof(so), .mode = FPGACAP_SEND_ZEROCOPY,
		.max_inflight = NBUF, .release = held_release,
		.slot_size = S, .slot_header = H,
	};
	struct fpgacap_config cfg = {
		.count = NBUF, .buffer_size = BUF, .flags = FPGACAP_CFG_WRITABLE,
		.slot_size = S, .slot_header = H,
	};
	const uint64_t buffers = 32;
	struct fpgacap_sender_stats ss = { .size = sizeof(ss) };
	struct fpgacap_buffer b[NBUF];
	struct fpgacap_sender *s;
	struct held h = { 0 };
	uint64_t sent = 0, bytes = 0;
	char verdict[2200];
	int ctl, sock, n, i;

	RETURN_IF_SKIPPED();
	if (variant->mode != FPGACAP_SEND_ZEROCOPY || variant->records ||
	    variant->family != AF_INET)
		SKIP(return, "one variant is enough");
	ctl = control_open();
	ASSERT_LE(0, ctl);
	sock = udp_sink_socket(AF_INET);
	ASSERT_LE(0, sock);
	ASSERT_EQ(0, fpgacap_open(dev_path(), O_RDWR, &h.dev));
	ASSERT_EQ(0, fpgacap_configure_pool(h.dev, &cfg));
	h.pool = fpgacap_buffer_data_writable(h.dev, 0);
	ASSERT_NE(NULL, h.pool);
	ASSERT_EQ(0, mprotect(h.pool, fpgacap_layout(h.dev)->mmap_size,
			      PROT_READ));
	so.fd = sock;
	so.ctx = &h;
	ASSERT_EQ(0, fpgacap_sender_create(&so, &s));
	ASSERT_EQ(0, fpgacap_start(h.dev));
	while (sent < buffers) {
		n = fpgacap_dequeue(h.dev, b, NBUF, 100000000);
		if (n == -ETIMEDOUT) {
			ASSERT_LE(0, fpgacap_sender_reap(s, 10));
			ASSERT_EQ(0, held_return(&h));
			continue;
		}
		ASSERT_LT(0, n);
		for (i = 0; i < n; i++) {
			uint8_t *p = h.pool + (uint64_t)b[i].index * BUF;

			if (sent == buffers) {
				h.released[h.nreleased++] = b[i].index;
				continue;
			}
			ASSERT_EQ(0, mprotect(p, BUF, PROT_READ | PROT_WRITE));
			ASSERT_EQ(0, fpgacap_sender_send_slots(s, p,
				b[i].bytes_used, b[i].offset, 0, b[i].index));
			/* In flight: the kernel reads it, we may not write. */
			ASSERT_EQ(0, mprotect(p, BUF, PROT_READ));
			bytes += b[i].bytes_used;
			sent++;
		}
		ASSERT_LE(0, fpgacap_sender_reap(s, 0));
		ASSERT_EQ(0, held_return(&h));
	}
	ASSERT_EQ(0, fpgacap_sender_flush(s, 60000));
	ASSERT_EQ(0, held_return(&h));
	ASSERT_EQ(0, fpgacap_sender_end_datagrams(s));
	fpgacap_sender_get_stats(s, &ss);
	fpgacap_stop(h.dev);
	EXPECT_EQ(1, sink_verdict(ctl, verdict, sizeof(verdict)))
		TH_LOG("sink: %s", verdict);
	EXPECT_EQ(bytes, field(verdict, "payload_bytes"));
	EXPECT_EQ(ss.datagrams, field(verdict, "datagrams"));
	EXPECT_EQ(buffers, field(verdict, "frames"));
	EXPECT_EQ(buffers + 1, ss.datagram_sends);
	EXPECT_LT(0, ss.completions);
	if (expect_zerocopy() && ss.copied_known)
		EXPECT_EQ(0, ss.copied);
	fpgacap_sender_destroy(s);
	fpgacap_close(h.dev);
	close(sock);
	close(ctl);
}

/*
 * Records through io_uring on a kernel that registers the writable pool
 * (6.12): with the pool's mapping PROT_NONE once registered, a send that
 * pinned pages per request would fail with EFAULT, and the library reads
 * nothing of a record; the stream must arrive whole. The read-only pool,
 * which no kernel registers, must fail that way.
 */
TEST_F_TIMEOUT(framed, records_uring_registered_every_send, 300)
{
	struct knobs k = { .mode = FPGACAP_SEND_URING, .family = AF_INET,
			   .records = true, .hide_pool = true,
			   .bytes = 1 * MiB, .sock = -1 };
	struct run r;

	RETURN_IF_SKIPPED();
	if (variant->mode != FPGACAP_SEND_URING || !variant->records)
		SKIP(return, "one variant is enough");
	ASSERT_EQ(0, stream(_metadata, &k, &r));
	EXPECT_FALSE(r.ss.fixed_buffers);
	EXPECT_EQ(-EFAULT, r.step_ret) TH_LOG("control: %d", r.step_ret);

	k.writable = true;
	ASSERT_EQ(0, stream(_metadata, &k, &r));
	if (!r.ss.fixed_buffers) {
		EXPECT_EQ(EOPNOTSUPP, r.ss.fixed_buffers_error);
		SKIP(return, "registration refused (Linux 6.1): %s",
		     strerror(r.ss.fixed_buffers_error));
	}
	expect_sent(_metadata, &k, &r);
	expect_received(_metadata, &k, &r);
}

/*
 * Payloads a DMA engine wrote through the DMA API (the test engine: its
 * checking DMA operations keep the device's view apart from the CPU's, as
 * caches and swiotlb do; under swiotlb=force real bounce buffers), headers
 * the library wrote into the rooms between them: the sink checks both.
 */
TEST_F_TIMEOUT(framed, dma_engine_payloads, 600)
{
	struct knobs k = { .dev = testdma_node, .mode = variant->mode,
			   .family = AF_INET, .bytes = 2 * MiB, .sock = -1 };
	const char *bounce = "/sys/kernel/debug/fpgacap-testdma/bounce";
	char cmdline[4096];
	bool checker;
	struct run r;

	RETURN_IF_SKIPPED();
	if (variant->mode != FPGACAP_SEND_ZEROCOPY || variant->records ||
	    variant->family != AF_INET)
		SKIP(return, "one variant is enough");
	if (access(testdma_node, F_OK))
		SKIP(return, "no %s", testdma_node);
	/* Under swiotlb=force the kernel's own bounce buffers; elsewhere
	 * the checker, where the architecture has per-device DMA ops. */
	checker = read_file("/proc/cmdline", cmdline, sizeof(cmdline)) ||
		  !strstr(cmdline, "swiotlb=force") ? !write_file(bounce, "1") :
		  false;
	ASSERT_EQ(0, stream(_metadata, &k, &r));
	if (checker)
		write_file(bounce, "0");
	TH_LOG("DMA view: %s", checker ? "the test engine's checker" :
	       "the kernel's DMA mapping (bounce buffers under swiotlb=force)");
	expect_sent(_metadata, &k, &r);
	expect_received(_metadata, &k, &r);
}

/* ---- loopback: guests without a datagram NIC ---- */

struct loop_rx {
	int fd;
	struct fpgacap_verify_stats st;
};

static void *loop_receive(void *arg)
{
	struct loop_rx *r = arg;
	struct fpgacap_verifier *v;
	static uint8_t buf[65536];
	ssize_t n;

	fpgacap_verify_create(FPGACAP_VERIFY_FRAMED, &v);
	for (;;) {
		n = recv(r->fd, buf, sizeof(buf), 0);
		if (n <= 0)
			break;
		fpgacap_verify_datagram(v, buf, (size_t)n);
		r->st.size = sizeof(r->st);
		fpgacap_verify_get_stats(v, &r->st);
		if (r->st.ended)
			break;
	}
	fpgacap_verify_destroy(v);
	return NULL;
}

/* A connected loopback UDP pair with room for a whole test's datagrams. */
static int loop_pair(int *tx, int *rx)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int size = 16 << 20;

	*rx = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	*tx = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (*rx < 0 || *tx < 0)
		return -errno;
	setsockopt(*rx, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size));
	if (bind(*rx, (struct sockaddr *)&a, len) ||
	    getsockname(*rx, (struct sockaddr *)&a, &len) ||
	    connect(*tx, (struct sockaddr *)&a, len))
		return -errno;
	return 0;
}

FIXTURE(loopback) {
	int tx, rx;
	struct loop_rx r;
	pthread_t th;
};

FIXTURE_VARIANT(loopback) {
	enum fpgacap_send_mode mode;
	bool records;
};

FIXTURE_VARIANT_ADD(loopback, zerocopy) { FPGACAP_SEND_ZEROCOPY, false };
FIXTURE_VARIANT_ADD(loopback, records_uring) { FPGACAP_SEND_URING, true };

FIXTURE_SETUP(loopback)
{
	if (!fpgacap_send_mode_built(variant->mode))
		SKIP(return, "built without liburing");
	ASSERT_EQ(0, loop_pair(&self->tx, &self->rx));
	self->r.fd = self->rx;
	ASSERT_EQ(0, pthread_create(&self->th, NULL, loop_receive, &self->r));
}

FIXTURE_TEARDOWN(loopback)
{
	if (self->th) {
		shutdown(self->rx, SHUT_RDWR);
		pthread_join(self->th, NULL);
	}
	close(self->tx);
	close(self->rx);
}

/*
 * The same streams checked in the guest: loopback always copies at the
 * receiving end, so completions are counted but say nothing of the NIC.
 */
TEST_F_TIMEOUT(loopback, byte_exact, 300)
{
	struct knobs k = { .mode = variant->mode, .family = AF_INET,
			   .records = variant->records, .bytes = 2 * MiB,
			   .sock = self->tx };
	struct run r;

	RETURN_IF_SKIPPED();
	ASSERT_EQ(0, stream(_metadata, &k, &r));
	pthread_join(self->th, NULL);
	self->th = 0;
	expect_sent(_metadata, &k, &r);
	EXPECT_EQ(r.ss.datagrams, self->r.st.datagrams);
	EXPECT_EQ(0, self->r.st.lost_datagrams);
	EXPECT_EQ(k.bytes / ((BUF / S) * (S - H)) + 1, self->r.st.frames);
	EXPECT_EQ(k.bytes, self->r.st.payload_bytes);
	EXPECT_TRUE(self->r.st.ended);
	EXPECT_FALSE(self->r.st.error) TH_LOG("data %llu offset %llu header %llu",
		(unsigned long long)self->r.st.data_errors,
		(unsigned long long)self->r.st.offset_errors,
		(unsigned long long)self->r.st.header_errors);
}

TEST_HARNESS_MAIN
