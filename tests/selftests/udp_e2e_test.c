// SPDX-License-Identifier: GPL-2.0-only
/*
 * Datagram streams end to end: pattern source -> pump -> UDP datagrams
 * (IPv4 and IPv6, UDP GSO, each send mode) -> the guest's datagram NIC ->
 * QEMU -> fpgacap-sink --frames on the host, which takes the datagrams out
 * of the raw frames, checks every header and payload byte, counts loss and
 * order, and answers on the control connection with its verdict.
 *
 * Needs FPGACAP_UDP_SINK (the control port, tests/run-guest.sh) and
 * FPGACAP_UDP_IF (the NIC, tests/guest/net.sh udp_net_up), which reaches
 * 10.0.3.100 and fd00:fc::100 through static neighbour entries; the IPv6
 * one is added here, over netlink (busybox cannot).
 */
#include "kselftest_harness.h"
#include "fpgacap_test.h"
#include "libfpgacap.h"
#include "udp_sink.h"

struct run {
	struct fpgacap_sender_stats ss;
	struct fpgacap_pump_stats ps;
	struct fpgacap_stats ds;
	int step_ret, finish_ret, end_ret, verdict_ret;
	char verdict[2200];
};

/* Stream @bytes of the pattern as datagrams to @family's peer. */
static int stream(struct __test_metadata *_metadata, int family,
		  enum fpgacap_send_mode mode, uint64_t bytes, uint64_t size,
		  uint32_t gso, struct run *r)
{
	struct fpgacap_sender_opts so = { .size = sizeof(so), .mode = mode,
					  .gso_segments = gso };
	struct fpgacap_pump_opts po = { .size = sizeof(po), .send = &so,
					.max_bytes = bytes };
	struct fpgacap_pump *pump;
	struct fpgacap *dev;
	int ctl, sock, ret;

	memset(r, 0, sizeof(*r));
	r->ss.size = sizeof(r->ss);
	r->ps.size = sizeof(r->ps);
	ctl = control_open();
	if (ctl < 0)
		return ctl;
	sock = udp_sink_socket(family);
	ASSERT_LE(0, sock);
	ASSERT_EQ(0, fpgacap_open(dev_path(), 0, &dev));
	ASSERT_EQ(0, fpgacap_configure(dev, 16, size, 0, 0));
	so.fd = sock;
	ret = fpgacap_pump_create(dev, &po, &pump);
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, fpgacap_start(dev));
	do
		ret = fpgacap_pump_step(pump);
	while (!ret);
	r->step_ret = ret;
	r->finish_ret = fpgacap_pump_finish(pump, 60000);
	r->end_ret = fpgacap_sender_end_datagrams(fpgacap_pump_sender(pump));
	fpgacap_sender_get_stats(fpgacap_pump_sender(pump), &r->ss);
	fpgacap_pump_get_stats(pump, &r->ps);
	fpgacap_stop(dev);
	fpgacap_get_stats(dev, &r->ds);
	r->verdict_ret = sink_verdict(ctl, r->verdict, sizeof(r->verdict));
	TH_LOG("%s over IPv%d: %llu bytes, %llu datagrams of %u, %u a send, "
	       "%llu syscalls, %llu completions, %llu copied%s; sink: %s",
	       fpgacap_send_mode_name(r->ss.mode), family == AF_INET6 ? 6 : 4,
	       (unsigned long long)r->ps.payload_bytes,
	       (unsigned long long)r->ss.datagrams, r->ss.datagram_size,
	       r->ss.gso_segments, (unsigned long long)r->ss.syscalls,
	       (unsigned long long)r->ss.completions,
	       (unsigned long long)r->ss.copied,
	       r->ss.copied_known ? "" : " (unknown)", r->verdict);
	fpgacap_pump_destroy(pump);
	fpgacap_close(dev);
	close(sock);
	close(ctl);
	return 0;
}

FIXTURE(udp) {
	int unused;
};

FIXTURE_VARIANT(udp) {
	enum fpgacap_send_mode mode;
	int family;
};

FIXTURE_VARIANT_ADD(udp, copy) { FPGACAP_SEND_COPY, AF_INET };
FIXTURE_VARIANT_ADD(udp, zerocopy) { FPGACAP_SEND_ZEROCOPY, AF_INET };
FIXTURE_VARIANT_ADD(udp, uring) { FPGACAP_SEND_URING, AF_INET };
FIXTURE_VARIANT_ADD(udp, copy_v6) { FPGACAP_SEND_COPY, AF_INET6 };
FIXTURE_VARIANT_ADD(udp, zerocopy_v6) { FPGACAP_SEND_ZEROCOPY, AF_INET6 };
FIXTURE_VARIANT_ADD(udp, uring_v6) { FPGACAP_SEND_URING, AF_INET6 };

FIXTURE_SETUP(udp)
{
	const char *ifname = getenv("FPGACAP_UDP_IF");

	if (!control_port() || !ifname)
		SKIP(return, "no datagram NIC (FPGACAP_UDP_SINK, FPGACAP_UDP_IF)");
	if (!fpgacap_send_mode_built(variant->mode))
		SKIP(return, "built without liburing");
	if (variant->family == AF_INET6) {
		if (access("/proc/sys/net/ipv6", F_OK))
			SKIP(return, "no IPv6 in this kernel");
		ASSERT_EQ(0, add_neigh6(ifname, "fd00:fc::100"));
	}
}

FIXTURE_TEARDOWN(udp)
{
}

/*
 * Every datagram arrives, in order, with its header and the pattern at its
 * offset; UDP GSO carries several datagrams a send; the zero-copy modes'
 * pages go out of the pool uncopied (the NIC has scatter-gather and
 * checksum offload, and the sink found every checksum right).
 */
TEST_F_TIMEOUT(udp, byte_exact, 300)
{
	const uint64_t bytes = 8 * MiB;
	uint64_t hdr = sizeof(struct fpgacap_datagram), per;
	struct run r;

	RETURN_IF_SKIPPED();
	ASSERT_EQ(0, stream(_metadata, variant->family, variant->mode, bytes,
			    64 * KiB, 0, &r));
	EXPECT_EQ(1, r.step_ret);
	EXPECT_EQ(0, r.finish_ret);
	EXPECT_EQ(0, r.end_ret);
	EXPECT_EQ(1, r.verdict_ret) TH_LOG("sink: %s", r.verdict);
	EXPECT_EQ(bytes, r.ps.payload_bytes);
	EXPECT_EQ(0, r.ds.user);
	/* MTU 1500: what is left after IP and UDP headers. */
	EXPECT_EQ(variant->family == AF_INET6 ? 1452 : 1472,
		  r.ss.datagram_size);
	EXPECT_LT(1, r.ss.gso_segments);
	EXPECT_EQ(0, r.ss.gso_error);
	per = r.ss.datagram_size - hdr;
	EXPECT_EQ((bytes / (64 * KiB)) * ((64 * KiB + per - 1) / per) + 1,
		  r.ss.datagrams);
	EXPECT_EQ(r.ss.datagrams, field(r.verdict, "datagrams"));
	EXPECT_EQ(0, field(r.verdict, "lost_datagrams"));
	EXPECT_EQ(0, field(r.verdict, "reordered"));
	EXPECT_EQ(0, field(r.verdict, "frames_bad_checksum"));
	if (nic_fills_checksum(variant->family))
		EXPECT_EQ(0, field(r.verdict, "frames_csum_unfilled"));
	EXPECT_EQ(bytes / (64 * KiB), field(r.verdict, "frames"));
	EXPECT_NE(NULL, strstr(r.verdict, "\"ended\":true"));
	if (variant->mode == FPGACAP_SEND_COPY) {
		EXPECT_EQ(0, r.ss.completions);
	} else {
		EXPECT_EQ(variant->mode, r.ss.mode);
		EXPECT_LT(0, r.ss.completions);
		if (expect_zerocopy() && r.ss.copied_known)
			EXPECT_EQ(0, r.ss.copied);
	}
}

/* Without GSO: one datagram a send, the same stream. */
TEST_F_TIMEOUT(udp, no_gso, 300)
{
	const uint64_t bytes = 1 * MiB;
	struct run r;

	RETURN_IF_SKIPPED();
	ASSERT_EQ(0, stream(_metadata, variant->family, variant->mode, bytes,
			    16 * KiB, 1, &r));
	EXPECT_EQ(1, r.step_ret);
	EXPECT_EQ(1, r.verdict_ret) TH_LOG("sink: %s", r.verdict);
	EXPECT_EQ(1, r.ss.gso_segments);
	EXPECT_EQ(r.ss.datagrams, field(r.verdict, "datagrams"));
	EXPECT_EQ(0, field(r.verdict, "lost_datagrams"));
	EXPECT_EQ(0, field(r.verdict, "frames_bad_checksum"));
	if (nic_fills_checksum(variant->family))
		EXPECT_EQ(0, field(r.verdict, "frames_csum_unfilled"));
	if (variant->mode != FPGACAP_SEND_COPY) {
		/* A completion (or a range of them) per datagram sent. */
		EXPECT_LT(0, r.ss.completions);
		if (expect_zerocopy() && r.ss.copied_known && no_highmem())
			EXPECT_EQ(0, r.ss.copied);
	}
}

TEST_HARNESS_MAIN
