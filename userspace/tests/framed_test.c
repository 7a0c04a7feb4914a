// SPDX-License-Identifier: GPL-2.0-only
/*
 * Buffers of datagram slots on this host: a slotted pool's layout (64 KiB
 * buffers of 1472-byte slots, 24 bytes of header room each) in ordinary
 * memory, sent with fpgacap_sender_send_slots() (framed: the library
 * writes the headers) and _send_records() (the "source" wrote them) over
 * loopback UDP in every mode. Every datagram must arrive with its header
 * and the pattern at its offset, 44 to a send in one piece of memory;
 * buffers are garbage and read-only whenever the test does not hold them,
 * so a write by the library outside fpgacap_sender_send_slots() kills
 * the test; a release before the send's completions is counted.
 */
#include <pthread.h>
#include <sys/mman.h>

#include "kselftest_harness.h"
#include "host_test.h"
#include "libfpgacap-testing.h"

#define NBUF 8
#define LEN (64 * 1024)
#define S 1472U			/* slot: one datagram at MTU 1500 */
/* Header room: 24 bytes, or a variant's (each test runs in a child). */
static unsigned int H = 24;
#define P (S - H)		/* payload per slot */
#define SLOTS (LEN / S)		/* 44 */
#define FULL ((size_t)SLOTS * P)
#define COUNT 120
#define SHORT_LEN 10000U	/* every 10th buffer: 7 slots, the last short */
#define LOST_AT 5		/* capture lost 4096 bytes before buffer 5 */
#define ERROR_AT 7		/* buffer 7 came with an error */

/* The payload bytes of buffer @i and where its stream offset lies. */
static size_t buf_payload(unsigned int i)
{
	return i % 10 == 9 ? SHORT_LEN : FULL;
}

static uint64_t buf_offset(unsigned int i)
{
	uint64_t off = 0;
	unsigned int k;

	for (k = 0; k < i; k++)
		off += buf_payload(k);
	return off + (i >= LOST_AT ? 4096 : 0);
}

static unsigned int buf_slots(unsigned int i)
{
	return (unsigned int)((buf_payload(i) + P - 1) / P);
}

/* A pool in ordinary memory: NBUF buffers of LEN bytes, @shift bytes
 * past a page boundary (0 as the driver's are). */
struct pool {
	uint8_t *map, *mem;
	size_t map_len;
	bool guard;			/* read-only while not held */
	bool records;
	bool free[NBUF];
	uint64_t released, last_cookie;
	bool out_of_order;
	/* releases that came before every send of their buffer completed */
	struct fpgacap_sender *s;
	bool zerocopy;
	uint64_t sends_after[COUNT];	/* datagram sends once buffer i's returned */
	bool sent[COUNT];
	uint64_t early;
};

static uint8_t *buf_at(struct pool *p, unsigned int i)
{
	return p->mem + (size_t)(i % NBUF) * LEN;
}

static void protect(struct pool *p, unsigned int i, int prot)
{
	if (p->guard)
		mprotect(buf_at(p, i), LEN, prot);
}

static void on_release(void *ctx, uint64_t cookie)
{
	struct pool *p = ctx;
	struct fpgacap_sender_stats st = { .size = sizeof(st) };
	uint64_t need;

	if (p->released && cookie != p->last_cookie + 1)
		p->out_of_order = true;
	p->last_cookie = cookie;
	p->released++;
	/*
	 * Releases go oldest first: every send up to this buffer's must have
	 * completed (inside its own call, every send so far is one of them).
	 */
	if (p->zerocopy) {
		fpgacap_sender_get_stats(p->s, &st);
		need = p->sent[cookie] ? p->sends_after[cookie] :
		       st.datagram_sends;
		if (st.completions < need)
			p->early++;
	}
	/* The device owns it again: it refills payloads and, in records,
	 * headers; ours to check that nobody relied on what was there. */
	protect(p, (unsigned int)cookie, PROT_READ | PROT_WRITE);
	memset(buf_at(p, (unsigned int)cookie), 0xa5, LEN);
	protect(p, (unsigned int)cookie, PROT_READ);
	p->free[cookie % NBUF] = true;
}

/* Fill buffer @i as the source would: payloads (and records' headers). */
static void fill(struct pool *p, unsigned int i)
{
	uint8_t *b = buf_at(p, i);
	size_t left = buf_payload(i), off = buf_offset(i);
	unsigned int k;

	for (k = 0; left; k++) {
		size_t n = left < P ? left : P;
		uint8_t *slot = b + (size_t)k * S;

		if (p->records) {
			struct fpgacap_dgram_header h = {
				.magic = htole32(FPGACAP_DGRAM_MAGIC),
				.version = FPGACAP_DGRAM_VERSION,
				.header_size = H,
				.flags = htole16(k ? 0 : FPGACAP_DGRAM_FIRST |
						 (i == LOST_AT ?
						  FPGACAP_DGRAM_LOST : 0) |
						 (i == ERROR_AT ?
						  FPGACAP_DGRAM_ERROR : 0)),
				.sequence = 0,
				.offset = htole64(off),
			};
			uint64_t seq = 0;
			unsigned int j;

			for (j = 0; j < i; j++)
				seq += buf_slots(j);
			h.sequence = htole64(seq + k);
			memcpy(slot, &h, sizeof(h));
			memset(slot + sizeof(h), 0, H - sizeof(h));
		}
		/* Whole words, as the pattern source writes them. */
		fill_pattern(slot + H, (n + 7) & ~7UL, off);
		left -= n;
		off += n;
	}
}

/* Buffer @i, once released, filled and held (writable only if framed). */
static uint8_t *next_buffer(struct pool *p, unsigned int i)
{
	while (!p->free[i % NBUF])
		if (fpgacap_sender_reap(p->s, 1000) < 0)
			return NULL;
	p->free[i % NBUF] = false;
	protect(p, i, PROT_READ | PROT_WRITE);
	fill(p, i);
	if (p->records)
		protect(p, i, PROT_READ);
	return buf_at(p, i);
}

struct receiver {
	int fd;
	struct fpgacap_verify_stats st;
	uint64_t flags_wrong;		/* FIRST, LOST, ERROR where they are not */
	uint64_t room_dirty;		/* header room past the header not zero */
	uint64_t starts[COUNT];		/* each buffer's stream offset */
};

/* The flags a datagram at stream offset @off must carry. */
static uint16_t flags_at(const struct receiver *r, uint64_t off)
{
	unsigned int i;

	for (i = 0; i < COUNT; i++)
		if (r->starts[i] == off)
			return (uint16_t)(FPGACAP_DGRAM_FIRST |
				(i == LOST_AT ? FPGACAP_DGRAM_LOST : 0) |
				(i == ERROR_AT ? FPGACAP_DGRAM_ERROR : 0));
	return 0;
}

static void *receive(void *arg)
{
	struct receiver *r = arg;
	struct fpgacap_verifier *v;
	static __thread uint8_t buf[65536];
	struct fpgacap_datagram h;
	ssize_t n;

	fpgacap_verify_create(FPGACAP_VERIFY_FRAMED, &v);
	for (;;) {
		n = recv(r->fd, buf, sizeof(buf), 0);
		if (n <= 0)
			break;
		fpgacap_verify_datagram(v, buf, (size_t)n);
		if (fpgacap_datagram_decode(buf, (size_t)n, &h) == (int)H &&
		    !(h.flags & FPGACAP_DGRAM_END)) {
			unsigned int z;

			if (h.flags != flags_at(r, h.offset))
				r->flags_wrong++;
			for (z = sizeof(h); z < H; z++)
				r->room_dirty += buf[z] != 0;
		}
		r->st.size = sizeof(r->st);
		fpgacap_verify_get_stats(v, &r->st);
		if (r->st.ended)
			break;
	}
	fpgacap_verify_destroy(v);
	return NULL;
}

static int pool_map(struct pool *p, size_t shift)
{
	long page = sysconf(_SC_PAGESIZE);

	p->map_len = NBUF * LEN + (size_t)page;
	p->map = mmap(NULL, p->map_len, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p->map == MAP_FAILED)
		return -errno;
	p->mem = p->map + shift;
	memset(p->map, 0xa5, p->map_len);
	memset(p->free, 1, sizeof(p->free));
	return 0;
}

FIXTURE(slots) {
	int tx, rx;
	struct pool p;
	struct receiver r;
	pthread_t th;
};

FIXTURE_VARIANT(slots) {
	enum fpgacap_send_mode mode;
	int family;
	uint32_t gso;		/* 0: as many as fit */
	size_t shift;		/* buffers this far past a page boundary */
	bool records;
	unsigned int room;	/* header room (0: 24) */
};

FIXTURE_VARIANT_ADD(slots, copy) { .mode = FPGACAP_SEND_COPY,
				   .family = AF_INET };
FIXTURE_VARIANT_ADD(slots, zerocopy) { .mode = FPGACAP_SEND_ZEROCOPY,
				       .family = AF_INET };
FIXTURE_VARIANT_ADD(slots, uring) { .mode = FPGACAP_SEND_URING,
				    .family = AF_INET };
FIXTURE_VARIANT_ADD(slots, zerocopy_v6) { .mode = FPGACAP_SEND_ZEROCOPY,
					  .family = AF_INET6 };
FIXTURE_VARIANT_ADD(slots, uring_v6) { .mode = FPGACAP_SEND_URING,
				       .family = AF_INET6 };
FIXTURE_VARIANT_ADD(slots, zerocopy_nogso) { .mode = FPGACAP_SEND_ZEROCOPY,
					     .family = AF_INET, .gso = 1 };
/* 3584 bytes into a page: 44 slots touch 17 pages, the kernel's limit. */
FIXTURE_VARIANT_ADD(slots, zerocopy_unaligned) {
	.mode = FPGACAP_SEND_ZEROCOPY, .family = AF_INET, .shift = 3584 };
FIXTURE_VARIANT_ADD(slots, uring_unaligned) {
	.mode = FPGACAP_SEND_URING, .family = AF_INET, .shift = 3584 };
/* More room than the header: header_size says where the payload starts. */
FIXTURE_VARIANT_ADD(slots, zerocopy_room40) {
	.mode = FPGACAP_SEND_ZEROCOPY, .family = AF_INET, .room = 40 };
FIXTURE_VARIANT_ADD(slots, records_copy) { .mode = FPGACAP_SEND_COPY,
					   .family = AF_INET, .records = true };
FIXTURE_VARIANT_ADD(slots, records_zerocopy) {
	.mode = FPGACAP_SEND_ZEROCOPY, .family = AF_INET, .records = true };
FIXTURE_VARIANT_ADD(slots, records_uring) { .mode = FPGACAP_SEND_URING,
					    .family = AF_INET,
					    .records = true };

FIXTURE_SETUP(slots)
{
	if (!fpgacap_send_mode_built(variant->mode))
		SKIP(return, "built without liburing");
	if (variant->room)
		H = variant->room;
	ASSERT_EQ(0, udp_pair(variant->family, &self->tx, &self->rx));
	ASSERT_EQ(0, pool_map(&self->p, variant->shift));
	self->p.guard = !variant->shift;
	self->p.records = variant->records;
	self->p.zerocopy = variant->mode != FPGACAP_SEND_COPY;
	self->r.fd = self->rx;
	for (unsigned int i = 0; i < COUNT; i++)
		self->r.starts[i] = buf_offset(i);
	ASSERT_EQ(0, pthread_create(&self->th, NULL, receive, &self->r));
}

FIXTURE_TEARDOWN(slots)
{
	if (_metadata->skip && !self->p.map)
		return;
	if (self->th) {
		shutdown(self->rx, SHUT_RDWR);
		pthread_join(self->th, NULL);
	}
	close(self->tx);
	close(self->rx);
	munmap(self->p.map, self->p.map_len);
}

/*
 * Every datagram arrives, with the header the library (or the source)
 * wrote and the pattern at its offset; each buffer is one send of 44
 * datagrams, one piece of memory; the capture loss before buffer 5 is
 * announced and counted; releases come in order, after completions.
 */
TEST_F(slots, intact)
{
	struct fpgacap_sender_opts o = {
		.size = sizeof(o), .fd = self->tx, .mode = variant->mode,
		.max_inflight = NBUF, .release = on_release, .ctx = &self->p,
		.gso_segments = variant->gso, .slot_size = S, .slot_header = H,
	};
	struct fpgacap_sender_stats st = { .size = sizeof(st) };
	struct iovec region = { self->p.mem, NBUF * LEN };
	uint64_t datagrams = 1, payload = 0;
	struct fpgacap_sender *s;
	unsigned int i;

	if (_metadata->skip)
		return;
	o.regions = &region;
	o.nregions = 1;
	ASSERT_EQ(0, fpgacap_sender_create(&o, &s));
	self->p.s = s;
	fpgacap_sender_get_stats(s, &st);
	EXPECT_EQ(S, st.datagram_size);
	if (variant->gso) {
		EXPECT_EQ(variant->gso, st.gso_segments);
	} else {
		EXPECT_EQ(SLOTS, st.gso_segments);
	}
	if (variant->mode == FPGACAP_SEND_URING)
		EXPECT_TRUE(st.fixed_buffers) TH_LOG("registration: %s",
			strerror(st.fixed_buffers_error));
	for (i = 0; i < COUNT; i++) {
		uint8_t *b = next_buffer(&self->p, i);
		int ret;

		ASSERT_NE(NULL, b);
		if (variant->records)
			ret = fpgacap_sender_send_records(s, b, buf_payload(i),
							  buf_offset(i), i);
		else
			ret = fpgacap_sender_send_slots(s, b, buf_payload(i),
				buf_offset(i),
				(i == LOST_AT ? FPGACAP_DGRAM_LOST : 0) |
				(i == ERROR_AT ? FPGACAP_DGRAM_ERROR : 0), i);
		ASSERT_EQ(0, ret);
		/* Not ours until released: any write now faults. */
		if (!self->p.free[i % NBUF])
			protect(&self->p, i, PROT_READ);
		fpgacap_sender_get_stats(s, &st);
		self->p.sends_after[i] = st.datagram_sends;
		self->p.sent[i] = true;
		datagrams += buf_slots(i);
		payload += buf_payload(i);
	}
	ASSERT_EQ(0, fpgacap_sender_flush(s, 5000));
	ASSERT_EQ(0, fpgacap_sender_end_datagrams(s));
	fpgacap_sender_get_stats(s, &st);
	fpgacap_sender_destroy(s);
	pthread_join(self->th, NULL);
	self->th = 0;

	EXPECT_EQ(datagrams, st.datagrams);
	EXPECT_EQ(0, st.gso_shrunk);
	EXPECT_EQ(0, st.gso_error);
	/* One piece of memory a send: the kernel pins it in one go. */
	EXPECT_EQ(st.datagram_sends, st.datagram_iovecs);
	if (variant->gso == 1) {
		EXPECT_EQ(datagrams, st.datagram_sends);
	} else {
		/* From mid-page too: 44 slots touch 17 pages at most. */
		EXPECT_EQ(COUNT + 1, st.datagram_sends);
	}
	if (variant->mode == FPGACAP_SEND_URING) {
		/* Every run from the registered buffers; END is a send(). */
		EXPECT_EQ(st.datagram_sends - 1, st.fixed_sends);
	} else {
		EXPECT_EQ(0, st.fixed_sends);
	}
	if (variant->mode != FPGACAP_SEND_COPY)
		EXPECT_LT(0, st.completions);
	EXPECT_EQ(0, self->p.early);
	EXPECT_EQ(COUNT, self->p.released);
	EXPECT_FALSE(self->p.out_of_order);

	EXPECT_EQ(datagrams, self->r.st.datagrams);
	EXPECT_EQ(0, self->r.st.lost_datagrams);
	EXPECT_EQ(0, self->r.st.reordered);
	EXPECT_EQ(COUNT, self->r.st.frames);
	EXPECT_EQ(1, self->r.st.lost_events);
	EXPECT_EQ(4096, self->r.st.lost_bytes);
	EXPECT_EQ(payload, self->r.st.payload_bytes);
	EXPECT_EQ(0, self->r.flags_wrong);
	EXPECT_EQ(0, self->r.room_dirty);
	EXPECT_TRUE(self->r.st.ended);
	EXPECT_FALSE(self->r.st.error) TH_LOG("data %llu offset %llu header %llu",
		(unsigned long long)self->r.st.data_errors,
		(unsigned long long)self->r.st.offset_errors,
		(unsigned long long)self->r.st.header_errors);
}

/*
 * The check above catches a sender that releases before completions:
 * MSG_ZEROCOPY with the test hook releasing at send() return.
 */
TEST_F(slots, early_release_caught)
{
	struct fpgacap_sender_opts o = {
		.size = sizeof(o), .fd = self->tx, .mode = variant->mode,
		.max_inflight = NBUF, .release = on_release, .ctx = &self->p,
		.slot_size = S, .slot_header = H,
	};
	struct fpgacap_sender *s;
	unsigned int i;

	if (_metadata->skip)
		return;
	if (variant->mode != FPGACAP_SEND_ZEROCOPY || variant->records ||
	    variant->shift || variant->gso || variant->family != AF_INET)
		SKIP(return, "one variant is enough");
	ASSERT_EQ(0, fpgacap_sender_create(&o, &s));
	self->p.s = s;
	fpgacap_testing_early_release(s, true);
	for (i = 0; i < 16; i++) {
		uint8_t *b = next_buffer(&self->p, i);

		ASSERT_NE(NULL, b);
		ASSERT_EQ(0, fpgacap_sender_send_slots(s, b, buf_payload(i),
						       buf_offset(i), 0, i));
	}
	fpgacap_sender_flush(s, 5000);
	fpgacap_sender_destroy(s);
	EXPECT_LT(0, self->p.early);
}

/*
 * io_uring from registered buffers only: the records' pages made
 * inaccessible once registered, so a send that pinned them per request
 * would fail with EFAULT. Without registration the same sends must fail.
 */
TEST(records_uring_fixed_every_send)
{
	struct fpgacap_sender_opts o = { .size = sizeof(o),
					 .mode = FPGACAP_SEND_URING,
					 .slot_size = S, .slot_header = H };
	struct fpgacap_sender_stats st = { .size = sizeof(st) };
	struct iovec region;
	struct fpgacap_sender *s;
	struct pool p = { .records = true };
	int tx, rx, pass, ret;
	unsigned int i;

	if (!fpgacap_send_mode_built(FPGACAP_SEND_URING))
		SKIP(return, "built without liburing");
	ASSERT_EQ(0, pool_map(&p, 0));
	region.iov_base = p.mem;
	region.iov_len = NBUF * LEN;
	for (pass = 0; pass < 2; pass++) {
		/* Accessible while the sender registers it. */
		mprotect(p.mem, NBUF * LEN, PROT_READ | PROT_WRITE);
		ASSERT_EQ(0, udp_pair(AF_INET, &tx, &rx));
		o.fd = tx;
		o.regions = pass ? &region : NULL;
		o.nregions = pass ? 1 : 0;
		ASSERT_EQ(0, fpgacap_sender_create(&o, &s));
		fpgacap_sender_get_stats(s, &st);
		EXPECT_EQ(pass == 1, st.fixed_buffers);
		for (i = 0, ret = 0; i < NBUF && !ret; i++) {
			mprotect(buf_at(&p, i), LEN, PROT_READ | PROT_WRITE);
			fill(&p, i);
			mprotect(buf_at(&p, i), LEN, PROT_NONE);
			ret = fpgacap_sender_send_records(s, buf_at(&p, i),
							  buf_payload(i),
							  buf_offset(i), i);
		}
		if (pass) {
			EXPECT_EQ(0, ret);
			EXPECT_EQ(0, fpgacap_sender_flush(s, 5000));
			fpgacap_sender_get_stats(s, &st);
			EXPECT_EQ(NBUF, st.fixed_sends);
			EXPECT_EQ((uint64_t)NBUF * SLOTS, st.datagrams);
		} else {
			EXPECT_EQ(-EFAULT, ret);
		}
		fpgacap_sender_destroy(s);
		close(tx);
		close(rx);
	}
	munmap(p.map, p.map_len);
}

/* Geometry the sender refuses, and calls that do not fit it. */
TEST(slots_refused)
{
	struct fpgacap_sender_opts o = { .size = sizeof(o),
					 .mode = FPGACAP_SEND_COPY,
					 .slot_size = S, .slot_header = H };
	struct fpgacap_sender *s;
	static uint8_t buf[LEN];
	int tx, rx, t2, r2;

	ASSERT_EQ(0, udp_pair(AF_INET, &tx, &rx));
	o.fd = tx;
	o.slot_header = S;
	EXPECT_EQ(-EINVAL, fpgacap_sender_create(&o, &s));
	o.slot_header = H;
	o.datagram_size = 1400;
	EXPECT_EQ(-EINVAL, fpgacap_sender_create(&o, &s));
	o.datagram_size = 0;
	o.slot_size = 70000;
	EXPECT_EQ(-EMSGSIZE, fpgacap_sender_create(&o, &s));
	/* A stream socket has no datagrams to put slots in. */
	ASSERT_EQ(0, tcp_pair(&t2, &r2));
	o.fd = t2;
	o.slot_size = S;
	EXPECT_EQ(-EPROTOTYPE, fpgacap_sender_create(&o, &s));
	close(t2);
	close(r2);

	/* A framed header needs 24 bytes, and a room a slotted pool can
	 * have: a multiple of 8, at most FPGACAP_SLOT_HEADER_MAX. Nothing of
	 * the buffer is written when it is refused. */
	o.fd = tx;
	o.slot_header = 28;
	ASSERT_EQ(0, fpgacap_sender_create(&o, &s));
	EXPECT_EQ(-EINVAL, fpgacap_sender_send_slots(s, buf, P, 0, 0, 0));
	fpgacap_sender_destroy(s);
	o.slot_header = FPGACAP_SLOT_HEADER_MAX + 4;
	ASSERT_EQ(0, fpgacap_sender_create(&o, &s));
	EXPECT_EQ(-EINVAL, fpgacap_sender_send_slots(s, buf, P, 0, 0, 0));
	fpgacap_sender_destroy(s);
	EXPECT_EQ(0, buf[0]);
	o.slot_header = 16;
	ASSERT_EQ(0, fpgacap_sender_create(&o, &s));
	EXPECT_EQ(-EINVAL, fpgacap_sender_send_slots(s, buf, P, 0, 0, 0));
	/* Records bring their own: sent as they are. */
	EXPECT_EQ(0, fpgacap_sender_send_records(s, buf, 100, 0, 0));
	EXPECT_EQ(-EINVAL, fpgacap_sender_send_records(s, buf, 0, 0, 0));
	fpgacap_sender_destroy(s);
	o.slot_header = H;
	o.slot_size = 0;
	ASSERT_EQ(0, fpgacap_sender_create(&o, &s));
	EXPECT_EQ(-EINVAL, fpgacap_sender_send_slots(s, buf, P, 0, 0, 0));
	fpgacap_sender_destroy(s);
	close(tx);
	close(rx);
}

/* Auto keeps zero-copy for slots: a run of them is one piece of memory
 * (unslotted datagrams it copies, datagram_test). */
TEST(auto_zerocopy_for_slots)
{
	struct fpgacap_sender_opts o = {
		.size = sizeof(o), .mode = FPGACAP_SEND_AUTO,
		.slot_size = S, .slot_header = 24,
	};
	struct fpgacap_sender_stats st = { .size = sizeof(st) };
	struct fpgacap_sender *s;
	int tx, rx;

	ASSERT_EQ(0, udp_pair(AF_INET, &tx, &rx));
	o.fd = tx;
	ASSERT_EQ(0, fpgacap_sender_create(&o, &s));
	ASSERT_EQ(0, fpgacap_sender_get_stats(s, &st));
	EXPECT_NE(FPGACAP_SEND_COPY, st.mode);
	EXPECT_EQ(SLOTS, st.gso_segments);
	fpgacap_sender_destroy(s);
	close(tx);
	close(rx);
}

TEST_HARNESS_MAIN
