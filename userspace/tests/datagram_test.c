// SPDX-License-Identifier: GPL-2.0-only
/*
 * Datagram streams on this host: the sender over loopback UDP (IPv4 and
 * IPv6) in every mode, with UDP GSO and without, delivering every datagram
 * intact while buffers are rewritten the moment they are released; the
 * verifier's loss, reordering and duplicate counts on crafted streams; the
 * frame parser on crafted Ethernet frames; fpgacap-sink --frames and
 * --udp with a control connection, end to end, and --udp without one
 * failing an empty stream.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "host_test.h"
#include "cli.h"
#include "frames.h"
#include "spawn.h"

#define NBUF 8
#define LEN (64 * 1024)
#define COUNT 200

/* ---- the sender on a UDP socket ---- */

struct producer {
	uint8_t *bufs;
	bool free[NBUF];
	uint64_t released, last_cookie;
	bool out_of_order;
};

static void on_release(void *ctx, uint64_t cookie)
{
	struct producer *p = ctx;

	if (p->released && cookie != p->last_cookie + 1)
		p->out_of_order = true;
	p->last_cookie = cookie;
	p->released++;
	/* The driver refills at once; so do we, with garbage. */
	memset(p->bufs + (cookie % NBUF) * LEN, 0xa5, LEN);
	p->free[cookie % NBUF] = true;
}

/* Buffer @i % NBUF once the sender released it, filled for send @i. */
static uint8_t *next_buffer(struct fpgacap_sender *s, struct producer *p,
			    unsigned int i)
{
	while (!p->free[i % NBUF])
		if (fpgacap_sender_reap(s, 1000) < 0)
			return NULL;
	p->free[i % NBUF] = false;
	fill_pattern(p->bufs + (i % NBUF) * LEN, LEN, (uint64_t)i * LEN);
	return p->bufs + (i % NBUF) * LEN;
}

struct receiver {
	int fd;
	struct fpgacap_verify_stats st;
};

static void *receive(void *arg)
{
	struct receiver *r = arg;
	struct fpgacap_verifier *v;
	static __thread uint8_t buf[65536];
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

FIXTURE(dgram) {
	int tx, rx;
	struct producer p;
	struct receiver r;
	pthread_t th;
};

FIXTURE_VARIANT(dgram) {
	enum fpgacap_send_mode mode;
	int family;
	uint32_t gso;		/* 0: as many as fit */
};

FIXTURE_VARIANT_ADD(dgram, copy) { .mode = FPGACAP_SEND_COPY,
				   .family = AF_INET };
FIXTURE_VARIANT_ADD(dgram, zerocopy) { .mode = FPGACAP_SEND_ZEROCOPY,
				       .family = AF_INET };
FIXTURE_VARIANT_ADD(dgram, uring) { .mode = FPGACAP_SEND_URING,
				    .family = AF_INET };
FIXTURE_VARIANT_ADD(dgram, copy_v6) { .mode = FPGACAP_SEND_COPY,
				      .family = AF_INET6 };
FIXTURE_VARIANT_ADD(dgram, zerocopy_v6) { .mode = FPGACAP_SEND_ZEROCOPY,
					  .family = AF_INET6 };
FIXTURE_VARIANT_ADD(dgram, uring_v6) { .mode = FPGACAP_SEND_URING,
				       .family = AF_INET6 };
FIXTURE_VARIANT_ADD(dgram, zerocopy_nogso) { .mode = FPGACAP_SEND_ZEROCOPY,
					     .family = AF_INET, .gso = 1 };
FIXTURE_VARIANT_ADD(dgram, copy_gso3) { .mode = FPGACAP_SEND_COPY,
					.family = AF_INET, .gso = 3 };
FIXTURE_VARIANT_ADD(dgram, auto) { .mode = FPGACAP_SEND_AUTO,
				   .family = AF_INET };
FIXTURE_VARIANT_ADD(dgram, auto_nogso) { .mode = FPGACAP_SEND_AUTO,
					 .family = AF_INET, .gso = 1 };

FIXTURE_SETUP(dgram)
{
	if (!fpgacap_send_mode_built(variant->mode))
		SKIP(return, "built without liburing");
	ASSERT_EQ(0, udp_pair(variant->family, &self->tx, &self->rx));
	self->p.bufs = malloc(NBUF * LEN);
	ASSERT_NE(NULL, self->p.bufs);
	memset(self->p.free, 1, sizeof(self->p.free));
	self->r.fd = self->rx;
	ASSERT_EQ(0, pthread_create(&self->th, NULL, receive, &self->r));
}

FIXTURE_TEARDOWN(dgram)
{
	if (_metadata->skip && !self->p.bufs)
		return;
	if (self->th) {
		/* Unblock the receiver whatever happened. */
		shutdown(self->rx, SHUT_RDWR);
		pthread_join(self->th, NULL);
	}
	close(self->tx);
	close(self->rx);
	free(self->p.bufs);
}

/*
 * Every datagram arrives with its header and the pattern at its offset,
 * although each buffer is overwritten the moment it is released; releases
 * come once each and in order; the END datagram counts them all.
 */
TEST_F(dgram, intact)
{
	struct fpgacap_sender_opts o = {
		.size = sizeof(o), .fd = self->tx, .mode = variant->mode,
		.max_inflight = NBUF, .release = on_release, .ctx = &self->p,
		.gso_segments = variant->gso,
	};
	struct fpgacap_sender_stats st = { .size = sizeof(st) };
	struct fpgacap_sender *s;
	uint64_t per, expect;
	unsigned int i;

	if (_metadata->skip)
		return;
	ASSERT_EQ(0, fpgacap_sender_create(&o, &s));
	if (variant->mode == FPGACAP_SEND_AUTO) {
		/* A datagram a send either way: auto takes zero-copy. */
		fpgacap_sender_get_stats(s, &st);
		EXPECT_NE(FPGACAP_SEND_COPY, st.mode);
		EXPECT_EQ(FPGACAP_AUTO_COPY_NONE, st.auto_copy);
	}
	for (i = 0; i < COUNT; i++) {
		uint8_t *b = next_buffer(s, &self->p, i);

		ASSERT_NE(NULL, b);
		ASSERT_EQ(0, fpgacap_sender_send_datagrams(s, b, LEN,
							   (uint64_t)i * LEN,
							   0, i));
	}
	ASSERT_EQ(0, fpgacap_sender_flush(s, 5000));
	ASSERT_EQ(0, fpgacap_sender_end_datagrams(s));
	fpgacap_sender_get_stats(s, &st);
	fpgacap_sender_destroy(s);
	pthread_join(self->th, NULL);
	self->th = 0;

	EXPECT_TRUE(st.datagram);
	/* What loopback's path takes in one datagram. */
	EXPECT_EQ(variant->family == AF_INET ? 65507 : 65488,
		  st.datagram_size);
	per = st.datagram_size - sizeof(struct fpgacap_datagram);
	expect = COUNT * ((LEN + per - 1) / per) + 1;
	EXPECT_EQ(expect, st.datagrams);
	EXPECT_EQ(COUNT, self->p.released);
	EXPECT_FALSE(self->p.out_of_order);
	EXPECT_EQ(expect, self->r.st.datagrams);
	EXPECT_EQ(0, self->r.st.lost_datagrams);
	EXPECT_EQ(0, self->r.st.reordered);
	EXPECT_EQ(COUNT, self->r.st.frames);
	EXPECT_TRUE(self->r.st.ended);
	EXPECT_FALSE(self->r.st.error) TH_LOG("data %llu offset %llu header %llu",
		(unsigned long long)self->r.st.data_errors,
		(unsigned long long)self->r.st.offset_errors,
		(unsigned long long)self->r.st.header_errors);
	EXPECT_EQ((uint64_t)COUNT * LEN, self->r.st.payload_bytes);
	if (variant->mode != FPGACAP_SEND_COPY)
		EXPECT_LT(0, st.completions);
}

/* Ethernet-sized datagrams: UDP GSO carries several per send. */
TEST_F(dgram, mtu_sized)
{
	struct fpgacap_sender_opts o = {
		.size = sizeof(o), .fd = self->tx, .mode = variant->mode,
		.max_inflight = NBUF, .release = on_release, .ctx = &self->p,
		.gso_segments = variant->gso, .datagram_size = 1472,
	};
	struct fpgacap_sender_stats st = { .size = sizeof(st) };
	struct fpgacap_sender *s;
	const uint64_t per = 1472 - sizeof(struct fpgacap_datagram);
	uint64_t expect = COUNT * ((LEN + per - 1) / per) + 1;
	unsigned int i;

	if (_metadata->skip)
		return;
	ASSERT_EQ(0, fpgacap_sender_create(&o, &s));
	fpgacap_sender_get_stats(s, &st);
	if (variant->mode == FPGACAP_SEND_AUTO && variant->gso == 1) {
		/* A datagram a send: 1448 bytes, too few to pin. */
		EXPECT_EQ(1, st.gso_segments);
		EXPECT_EQ(FPGACAP_SEND_COPY, st.mode);
		EXPECT_EQ(FPGACAP_AUTO_COPY_SMALL_SENDS, st.auto_copy);
		EXPECT_FALSE(st.fell_back);
	} else if (variant->gso) {
		EXPECT_EQ(variant->gso, st.gso_segments);
	} else if (variant->mode == FPGACAP_SEND_COPY ||
		   variant->mode == FPGACAP_SEND_AUTO) {
		/* 64 KiB a send: 44 datagrams of 1472 bytes. Auto copies
		 * them: zero-copy would take 7 a send. */
		EXPECT_EQ(44, st.gso_segments);
		EXPECT_EQ(FPGACAP_SEND_COPY, st.mode);
		EXPECT_EQ(variant->mode, st.requested);
		EXPECT_EQ(variant->mode == FPGACAP_SEND_AUTO ?
			  FPGACAP_AUTO_COPY_FEWER_PER_SEND :
			  FPGACAP_AUTO_COPY_NONE, st.auto_copy);
	} else {
		/* Zero-copy: 17 fragments, two a datagram and the pages
		 * that the pieces of the buffer cross. */
		EXPECT_EQ(7, st.gso_segments);
	}
	for (i = 0; i < COUNT; i++) {
		uint8_t *b = next_buffer(s, &self->p, i);

		ASSERT_NE(NULL, b);
		ASSERT_EQ(0, fpgacap_sender_send_datagrams(s, b, LEN,
			(uint64_t)i * LEN, i == 5 ? FPGACAP_DGRAM_LOST : 0,
			i));
	}
	ASSERT_EQ(0, fpgacap_sender_flush(s, 5000));
	ASSERT_EQ(0, fpgacap_sender_end_datagrams(s));
	fpgacap_sender_get_stats(s, &st);
	fpgacap_sender_destroy(s);
	pthread_join(self->th, NULL);
	self->th = 0;

	EXPECT_EQ(1472, st.datagram_size);
	EXPECT_EQ(0, st.gso_error);
	EXPECT_EQ(0, st.gso_shrunk);
	EXPECT_EQ(expect, st.datagrams);
	EXPECT_EQ(expect, self->r.st.datagrams);
	EXPECT_EQ(0, self->r.st.lost_datagrams);
	EXPECT_EQ(COUNT, self->r.st.frames);
	EXPECT_EQ(1, self->r.st.lost_events);
	EXPECT_FALSE(self->r.st.error);
	EXPECT_EQ((uint64_t)COUNT * LEN, self->r.st.payload_bytes);
	EXPECT_EQ(COUNT, self->p.released);
}

/* A datagram bigger than the path: refused, and nothing is held. */
TEST(dgram_too_big)
{
	struct fpgacap_sender_opts o = { .size = sizeof(o),
					 .mode = FPGACAP_SEND_COPY,
					 .datagram_size = 70000 };
	struct fpgacap_sender *s;
	int tx, rx;

	ASSERT_EQ(0, udp_pair(AF_INET, &tx, &rx));
	o.fd = tx;
	EXPECT_EQ(-EMSGSIZE, fpgacap_sender_create(&o, &s));
	close(tx);
	/* Not connected: no path to size datagrams for. */
	tx = socket(AF_INET, SOCK_DGRAM, 0);
	o.fd = tx;
	o.datagram_size = 0;
	EXPECT_EQ(-EDESTADDRREQ, fpgacap_sender_create(&o, &s));
	close(tx);
	close(rx);
}

/* ---- the verifier on crafted datagram streams ---- */

struct crafted {
	uint8_t d[64][24 + 64];
	size_t len[64];
};

/* Datagram @seq of a stream of 64-byte payloads of the pattern. */
static void craft(struct crafted *c, unsigned int i, uint64_t seq,
		  uint64_t offset, uint16_t flags)
{
	struct fpgacap_datagram h = {
		.magic = htole32(FPGACAP_DGRAM_MAGIC),
		.version = FPGACAP_DGRAM_VERSION,
		.header_size = 24,
		.flags = htole16(flags),
		.sequence = htole64(seq),
		.offset = htole64(offset),
	};

	memcpy(c->d[i], &h, 24);
	fill_pattern(c->d[i] + 24, 64, offset);
	c->len[i] = flags & FPGACAP_DGRAM_END ? 24 : 24 + 64;
}

static void verify_list(struct fpgacap_verify_stats *st,
			enum fpgacap_verify_mode mode, struct crafted *c,
			const unsigned int *order, unsigned int n)
{
	struct fpgacap_verifier *v;
	unsigned int i;

	fpgacap_verify_create(mode, &v);
	for (i = 0; i < n; i++)
		fpgacap_verify_datagram(v, c->d[order[i]], c->len[order[i]]);
	st->size = sizeof(*st);
	fpgacap_verify_get_stats(v, st);
	fpgacap_verify_destroy(v);
}

TEST(verify_loss_reorder_duplicate)
{
	static struct crafted c;
	struct fpgacap_verify_stats st;
	unsigned int i;

	for (i = 0; i < 10; i++)
		craft(&c, i, i, i * 64ULL, i % 4 ? 0 : FPGACAP_DGRAM_FIRST);
	craft(&c, 10, 10, 640, FPGACAP_DGRAM_END);
	{
		const unsigned int all[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };

		verify_list(&st, FPGACAP_VERIFY_AUTO, &c, all, 11);
		EXPECT_EQ(FPGACAP_VERIFY_FRAMED, st.mode);
		EXPECT_EQ(11, st.datagrams);
		EXPECT_EQ(0, st.lost_datagrams);
		EXPECT_EQ(3, st.frames);
		EXPECT_EQ(640, st.payload_bytes);
		EXPECT_TRUE(st.ended);
		EXPECT_FALSE(st.error);
	}
	{
		/* 3 lost, 6 and 5 swapped, 8 twice, the END lost. */
		const unsigned int some[] = { 0, 1, 2, 4, 6, 5, 7, 8, 8, 9 };

		verify_list(&st, FPGACAP_VERIFY_FRAMED, &c, some, 10);
		EXPECT_EQ(10, st.datagrams);
		EXPECT_EQ(1, st.lost_datagrams);
		EXPECT_EQ(1, st.reordered);
		EXPECT_EQ(1, st.duplicates);
		EXPECT_FALSE(st.ended);
		/* Loss and order are counted, not errors. */
		EXPECT_FALSE(st.error);
	}
	{
		/* Everything but the END lost at the tail: END tells. */
		const unsigned int tail[] = { 0, 1, 2, 10 };

		verify_list(&st, FPGACAP_VERIFY_FRAMED, &c, tail, 4);
		EXPECT_EQ(7, st.lost_datagrams);
		EXPECT_TRUE(st.ended);
	}
}

TEST(verify_offsets_and_payload)
{
	static struct crafted c;
	struct fpgacap_verify_stats st;
	const unsigned int order[] = { 0, 1, 2, 3 };

	craft(&c, 0, 0, 0, FPGACAP_DGRAM_FIRST);
	craft(&c, 1, 1, 64, 0);
	/* Capture loss: 4096 bytes skipped, and said so. */
	craft(&c, 2, 2, 64 + 64 + 4096, FPGACAP_DGRAM_FIRST |
	      FPGACAP_DGRAM_LOST);
	craft(&c, 3, 3, 64 + 64 + 4096 + 64, 0);
	verify_list(&st, FPGACAP_VERIFY_FRAMED, &c, order, 4);
	EXPECT_FALSE(st.error);
	EXPECT_EQ(1, st.lost_events);
	EXPECT_EQ(4096, st.lost_bytes);

	/* The same jump unannounced is an offset error. */
	craft(&c, 2, 2, 64 + 64 + 4096, FPGACAP_DGRAM_FIRST);
	verify_list(&st, FPGACAP_VERIFY_FRAMED, &c, order, 4);
	EXPECT_TRUE(st.error);
	EXPECT_EQ(1, st.offset_errors);

	/* A flipped payload byte; frames mode does not look. */
	craft(&c, 2, 2, 128, 0);
	craft(&c, 3, 3, 192, 0);
	c.d[1][24 + 5] ^= 1;
	verify_list(&st, FPGACAP_VERIFY_FRAMED, &c, order, 4);
	EXPECT_EQ(1, st.data_errors);
	/* The first error's position: its 8-byte word's. */
	EXPECT_EQ(88 + 24, st.first_error_at);
	verify_list(&st, FPGACAP_VERIFY_FRAMES, &c, order, 4);
	EXPECT_FALSE(st.error);

	/* Not a datagram of ours. */
	memset(c.d[3], 0x55, 24);
	verify_list(&st, FPGACAP_VERIFY_FRAMED, &c, order, 4);
	EXPECT_EQ(1, st.header_errors);
}

/* ---- Ethernet frames ---- */

static uint16_t csum(uint32_t sum, const uint8_t *p, size_t n)
{
	for (; n > 1; p += 2, n -= 2)
		sum += (uint32_t)(p[0] << 8 | p[1]);
	if (n)
		sum += (uint32_t)p[0] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* An Ethernet frame carrying @len bytes of UDP payload to @port. */
static size_t make_frame(uint8_t *f, int family, uint16_t port,
			 const void *payload, size_t len)
{
	uint8_t *ip = f + 14, *udp;
	uint32_t pseudo = 0;
	size_t ulen = 8 + len, i;

	memset(f, 0, 14);
	f[0] = 0x52;
	f[6] = 0x52;
	if (family == 4) {
		put16(f + 12, 0x0800);
		memset(ip, 0, 20);
		ip[0] = 0x45;
		put16(ip + 2, (uint16_t)(20 + ulen));
		ip[8] = 64;
		ip[9] = 17;
		memcpy(ip + 12, (uint8_t[]){ 10, 0, 3, 15, 10, 0, 3, 100 }, 8);
		put16(ip + 10, csum(0, ip, 20));
		for (i = 0; i < 8; i += 2)
			pseudo += (uint32_t)(ip[12 + i] << 8 | ip[13 + i]);
		udp = ip + 20;
	} else {
		put16(f + 12, 0x86dd);
		memset(ip, 0, 40);
		ip[0] = 0x60;
		put16(ip + 4, (uint16_t)ulen);
		ip[6] = 17;
		ip[7] = 64;
		ip[8] = 0xfd;
		ip[23] = 0x15;
		ip[24] = 0xfd;
		ip[39] = 0x64;
		for (i = 0; i < 32; i += 2)
			pseudo += (uint32_t)(ip[8 + i] << 8 | ip[9 + i]);
		udp = ip + 40;
	}
	put16(udp, 40000);
	put16(udp + 2, port);
	put16(udp + 4, (uint16_t)ulen);
	put16(udp + 6, 0);
	memcpy(udp + 8, payload, len);
	put16(udp + 6, csum(pseudo + (uint32_t)ulen + 17, udp, ulen));
	return (size_t)(udp + ulen - f);
}

TEST(frame_parse)
{
	uint8_t f[2048], data[100];
	struct frame_udp u;
	size_t n;
	int fam;

	memset(data, 0x3c, sizeof(data));
	for (fam = 4; fam <= 6; fam += 2) {
		n = make_frame(f, fam, 5000, data, sizeof(data));
		ASSERT_EQ(FRAME_UDP, frame_udp_payload(f, n, &u));
		EXPECT_EQ(fam, u.family);
		EXPECT_EQ(5000, u.dst_port);
		EXPECT_EQ(40000, u.src_port);
		EXPECT_EQ(sizeof(data), u.len);
		EXPECT_EQ(0, memcmp(u.payload, data, sizeof(data)));
		/* Ethernet pads short frames: the UDP length rules. */
		EXPECT_EQ(FRAME_UDP, frame_udp_payload(f, n + 20, &u));
		EXPECT_EQ(sizeof(data), u.len);
		/* A payload bit flipped in transit. */
		f[n - 3] ^= 0x10;
		EXPECT_EQ(FRAME_BAD_CHECKSUM, frame_udp_payload(f, n, &u));
		f[n - 3] ^= 0x10;
		EXPECT_EQ(FRAME_MALFORMED, frame_udp_payload(f, n - 1, &u));
		/* The checksum left for the NIC to complete (the pseudo
		 * header's sum alone), sent as it was: told apart from a
		 * wrong one, its payload handed on for checking. */
		{
			const uint8_t *addr = f + 14 + (fam == 4 ? 12 : 8);
			uint8_t *uh = f + 14 + (fam == 4 ? 20 : 40);
			uint8_t save[2] = { uh[6], uh[7] };

			put16(uh + 6, (uint16_t)~csum(8 + sizeof(data) + 17,
						      addr, fam == 4 ? 8 : 32));
			EXPECT_EQ(FRAME_CSUM_UNFILLED,
				  frame_udp_payload(f, n, &u));
			EXPECT_EQ(sizeof(data), u.len);
			EXPECT_EQ(0, memcmp(u.payload, data, sizeof(data)));
			/* Off by one: wrong, not unfilled. */
			uh[7] ^= 1;
			EXPECT_EQ(FRAME_BAD_CHECKSUM,
				  frame_udp_payload(f, n, &u));
			/* Zero: no checksum over IPv4, left unfilled over
			 * IPv6 (where it is never a computed one). */
			put16(uh + 6, 0);
			EXPECT_EQ(fam == 4 ? FRAME_UDP : FRAME_CSUM_UNFILLED,
				  frame_udp_payload(f, n, &u));
			uh[6] = save[0];
			uh[7] = save[1];
			EXPECT_EQ(FRAME_UDP, frame_udp_payload(f, n, &u));
		}
	}
	/* IPv4: a fragment, a bad header checksum, no checksum at all. */
	n = make_frame(f, 4, 5000, data, sizeof(data));
	f[14 + 6] = 0x20;
	EXPECT_EQ(FRAME_BAD_CHECKSUM, frame_udp_payload(f, n, &u));
	put16(f + 14 + 10, 0);
	put16(f + 14 + 10, csum(0, f + 14, 20));
	EXPECT_EQ(FRAME_FRAGMENT, frame_udp_payload(f, n, &u));
	n = make_frame(f, 4, 5000, data, sizeof(data));
	put16(f + 14 + 20 + 6, 0);
	f[n - 1] ^= 1;
	EXPECT_EQ(FRAME_UDP, frame_udp_payload(f, n, &u));
	/* ARP, and an IPv6 frame that is not UDP (ICMPv6). */
	f[12] = 0x08;
	f[13] = 0x06;
	EXPECT_EQ(FRAME_OTHER, frame_udp_payload(f, 60, &u));
	n = make_frame(f, 6, 5000, data, sizeof(data));
	f[14 + 6] = 58;
	EXPECT_EQ(FRAME_OTHER, frame_udp_payload(f, n, &u));
}

/* ---- fpgacap-sink with a control connection ---- */

/* A sink receiving @kind on 127.0.0.1 with a control connection; its UDP
 * port in *uport, a connected, READY control socket returned. */
static int start_dgram_sink(struct child *c, const char *kind,
			    const char *portfile, const char *extra,
			    int *uport)
{
	char *argv[] = { "fpgacap-sink", (char *)kind, "127.0.0.1:0",
			 "--control", "127.0.0.1:0", "-v", "auto",
			 "--port-file", (char *)portfile, "-q", "-n1",
			 (char *)extra, NULL };
	char addr[64], err[200];
	int i, tport = 0, fd;

	unlink(portfile);
	if (child_start(c, argv))
		return -1;
	for (i = 0; i < 300 && !tport; i++) {
		FILE *f = fopen(portfile, "r");

		if (f) {
			if (fscanf(f, "%d %d", uport, &tport) != 2)
				tport = 0;
			fclose(f);
		}
		if (!tport)
			usleep(10000);
	}
	if (!tport)
		return -1;
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", tport);
	fd = cli_connect(addr, err, sizeof(err));
	if (fd < 0 || cli_wait_ready(fd, 5000))
		return -1;
	return fd;
}

static int udp_to(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)))
		return -1;
	return fd;
}

static uint64_t field(const char *json, const char *key)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(json, pat);
	return p ? strtoull(p + strlen(pat), NULL, 10) : UINT64_MAX;
}

/*
 * Frames as QEMU's socket NIC sends them: the sink finds the UDP datagrams
 * in them, ignores other traffic, counts a lost and a late datagram, and
 * fails a frame whose checksum is wrong.
 */
TEST(sink_frames)
{
	static struct crafted c;
	const unsigned int order[] = { 0, 1, 3, 2, 4, 5, 6, 7, 8, 9, 10 };
	char pf[64], v[2200];
	uint8_t f[2048];
	struct child ch;
	int ctl, fd, port, i;
	size_t n;

	for (i = 0; i < 10; i++)
		craft(&c, i, i, i * 64ULL, i ? 0 : FPGACAP_DGRAM_FIRST);
	craft(&c, 10, 10, 640, FPGACAP_DGRAM_END);
	snprintf(pf, sizeof(pf), "/tmp/fc-dgsink.%d", getpid());
	ctl = start_dgram_sink(&ch, "--frames", pf, "--udp-port=5000", &port);
	ASSERT_LE(0, ctl);
	fd = udp_to(port);
	ASSERT_LE(0, fd);
	for (i = 0; i < 11; i++) {
		if (order[i] == 5)
			continue;		/* lost */
		n = make_frame(f, i % 2 ? 4 : 6, 5000, c.d[order[i]],
			       c.len[order[i]]);
		ASSERT_EQ((ssize_t)n, send(fd, f, n, 0));
	}
	/* Traffic that is not the stream's. */
	n = make_frame(f, 4, 5001, c.d[0], c.len[0]);
	ASSERT_EQ((ssize_t)n, send(fd, f, n, 0));
	ASSERT_EQ(0, cli_read_verdict(ctl, v, sizeof(v), 5000)) TH_LOG("%s", v);
	EXPECT_EQ(10, field(v, "datagrams"));
	EXPECT_EQ(1, field(v, "lost_datagrams"));
	EXPECT_EQ(1, field(v, "reordered"));
	EXPECT_EQ(1, field(v, "frames_other"));
	EXPECT_NE(NULL, strstr(v, "\"ended\":true"));
	close(ctl);
	ASSERT_EQ(0, child_wait(&ch, 5000));
	EXPECT_EQ(0, WEXITSTATUS(ch.status));

	/* One frame corrupted on the way: the stream fails. */
	ctl = start_dgram_sink(&ch, "--frames", pf, NULL, &port);
	ASSERT_LE(0, ctl);
	close(fd);
	fd = udp_to(port);
	for (i = 0; i < 11; i++) {
		n = make_frame(f, 4, 5000, c.d[i], c.len[i]);
		if (i == 4)
			f[n - 2] ^= 4;
		ASSERT_EQ((ssize_t)n, send(fd, f, n, 0));
	}
	EXPECT_EQ(1, cli_read_verdict(ctl, v, sizeof(v), 5000)) TH_LOG("%s", v);
	EXPECT_EQ(1, field(v, "frames_bad_checksum"));
	close(ctl);
	close(fd);
	child_wait(&ch, 5000);
	unlink(pf);
}

/* The library's datagrams to fpgacap-sink --udp: the sink's verdict
 * matches what the sender sent. */
TEST(sink_udp_library)
{
	struct fpgacap_sender_opts o = { .size = sizeof(o),
					 .mode = FPGACAP_SEND_ZEROCOPY,
					 .datagram_size = 1472 };
	struct fpgacap_sender_stats st = { .size = sizeof(st) };
	struct fpgacap_sender *s;
	char pf[64], v[2200];
	struct child ch;
	uint8_t *buf = malloc(LEN);
	int ctl, fd, port;
	unsigned int i;

	ASSERT_NE(NULL, buf);
	snprintf(pf, sizeof(pf), "/tmp/fc-udpsink.%d", getpid());
	ctl = start_dgram_sink(&ch, "--udp", pf, NULL, &port);
	ASSERT_LE(0, ctl);
	fd = udp_to(port);
	ASSERT_LE(0, fd);
	o.fd = fd;
	ASSERT_EQ(0, fpgacap_sender_create(&o, &s));
	for (i = 0; i < 32; i++) {
		fill_pattern(buf, LEN, (uint64_t)i * LEN);
		ASSERT_EQ(0, fpgacap_sender_send_datagrams(s, buf, LEN,
							   (uint64_t)i * LEN,
							   0, i));
		/* One buffer: wait for it before it is rewritten. */
		ASSERT_EQ(0, fpgacap_sender_flush(s, 5000));
	}
	ASSERT_EQ(0, fpgacap_sender_end_datagrams(s));
	fpgacap_sender_get_stats(s, &st);
	ASSERT_EQ(0, cli_read_verdict(ctl, v, sizeof(v), 5000)) TH_LOG("%s", v);
	EXPECT_EQ(st.datagrams, field(v, "datagrams"));
	EXPECT_EQ(0, field(v, "lost_datagrams"));
	EXPECT_EQ(32, field(v, "frames"));
	EXPECT_EQ(32ULL * LEN, field(v, "payload_bytes"));
	fpgacap_sender_destroy(s);
	close(ctl);
	close(fd);
	ASSERT_EQ(0, child_wait(&ch, 5000));
	EXPECT_EQ(0, WEXITSTATUS(ch.status));
	free(buf);
	unlink(pf);
}

/* A sink on --udp 127.0.0.1:0 without a control connection; its UDP port
 * in *uport once it has its signal handlers. */
static int start_udp_sink(struct child *c, const char *portfile,
			  const char *extra, int *uport)
{
	char *argv[] = { "fpgacap-sink", "--udp", "127.0.0.1:0", "-v",
			 "auto", "--port-file", (char *)portfile, "-q",
			 (char *)extra, NULL };
	int i;

	unlink(portfile);
	*uport = 0;
	if (child_start(c, argv))
		return -1;
	for (i = 0; i < 300 && !*uport; i++) {
		FILE *f = fopen(portfile, "r");

		if (f) {
			if (fscanf(f, "%d", uport) != 1)
				*uport = 0;
			fclose(f);
		}
		if (!*uport)
			usleep(10000);
	}
	return *uport && child_ready(c, 3000) ? 0 : -1;
}

/*
 * Without a control connection: a verified stream that never carried a
 * payload fails when the sink is stopped, as an empty TCP connection
 * does; a stop while waiting for the stream after a finished one is no
 * stream and no failure.
 */
TEST(sink_udp_empty_fails)
{
	static struct crafted c;
	struct child ch;
	char pf[64];
	int fd, port, i;

	snprintf(pf, sizeof(pf), "/tmp/fc-udpempty.%d", getpid());
	ASSERT_EQ(0, start_udp_sink(&ch, pf, "-n1", &port));
	ASSERT_LE(0, child_stop(&ch, SIGINT, 3000));
	EXPECT_EQ(1, WEXITSTATUS(ch.status)) TH_LOG("%s", ch.outbuf);
	EXPECT_NE(NULL, strstr(ch.outbuf, "FAILED")) TH_LOG("%s", ch.outbuf);
	EXPECT_NE(NULL, strstr(ch.outbuf, "no payload arrived"))
		TH_LOG("%s", ch.outbuf);
	EXPECT_EQ(NULL, strstr(ch.outbuf, "intact")) TH_LOG("%s", ch.outbuf);

	/* One whole stream, then a stop while waiting for the next. */
	for (i = 0; i < 4; i++)
		craft(&c, i, i, i * 64ULL, i ? 0 : FPGACAP_DGRAM_FIRST);
	craft(&c, 4, 4, 256, FPGACAP_DGRAM_END);
	ASSERT_EQ(0, start_udp_sink(&ch, pf, NULL, &port));
	fd = udp_to(port);
	ASSERT_LE(0, fd);
	for (i = 0; i < 5; i++)
		ASSERT_EQ((ssize_t)c.len[i], send(fd, c.d[i], c.len[i], 0));
	close(fd);
	EXPECT_TRUE(child_expect(&ch, "intact", 5000)) TH_LOG("%s", ch.outbuf);
	ASSERT_LE(0, child_stop(&ch, SIGINT, 3000));
	EXPECT_EQ(0, WEXITSTATUS(ch.status)) TH_LOG("%s", ch.outbuf);
	EXPECT_NE(NULL, strstr(ch.outbuf, "after 1 streams, 0 failed"))
		TH_LOG("%s", ch.outbuf);
	unlink(pf);
}

TEST_HARNESS_MAIN
