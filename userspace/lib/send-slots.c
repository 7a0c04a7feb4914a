// SPDX-License-Identifier: MIT
/*
 * Buffers of datagram slots (a slotted pool, uapi/fpgacap.h): slot k of a
 * buffer is one datagram at k * slot_size, slot_header bytes of header
 * room and then its payload. A run of whole slots is one piece of memory,
 * so one send carries it with UDP GSO cutting it at slot_size: one iovec,
 * one page-pinning call for MSG_ZEROCOPY, none for io_uring registered
 * buffers, and a datagram per slot on the wire in the format of every
 * other datagram stream (header_size = slot_header).
 *
 * Framed: the library writes the headers into the rooms. Records: the
 * source wrote them, and the library only sends.
 */
#include <errno.h>
#include <string.h>

#include "sender.h"

#define DGRAM_HDR sizeof(struct fpgacap_dgram_header)

/* Bytes of the run of @g slots from slot @i, the buffer's last (slot
 * @n - 1) being @last bytes long. */
static size_t run_bytes(const struct fpgacap_sender *s, unsigned int i,
			unsigned int g, unsigned int n, size_t last)
{
	return (size_t)(g - 1) * s->opts.slot_size +
	       (i + g == n ? last : s->opts.slot_size);
}

/*
 * Whole slots for the send starting at slot @i: as many as GSO takes
 * (bytes, segments and for zero-copy the kernel's fragment limit, the
 * cap shrinking on EMSGSIZE; see datagram_setup()).
 */
static unsigned int run_slots(struct fpgacap_sender *s, unsigned int i,
			      unsigned int n)
{
	unsigned int g = *sender_gso_now(s, true);

	return g < n - i ? g : n - i;
}

/*
 * Send slots [0, @n) of @buf, a run a send; the last slot @last bytes.
 * The stream's sequence moves on by the datagrams that went out.
 */
static int send_runs(struct fpgacap_sender *s, struct send_entry *e,
		     const uint8_t *buf, unsigned int n, size_t last)
{
	unsigned int i = 0;
	int ret = 0;

	while (i < n) {
		unsigned int g = run_slots(s, i, n), one = 1;
		struct iovec v = {
			.iov_base = (void *)(buf + (size_t)i * s->opts.slot_size),
			.iov_len = run_bytes(s, i, g, n, last),
		}, *vp = &v;

		ret = sender_send_rest(s, e, &vp, &one);
		if (sender_gso_retry(s, ret, g, true))
			continue;
		if (ret)
			return ret;
		i += g;
		sender_note_datagrams(s, g, 1);
	}
	return 0;
}

/* Slots holding @payload bytes (*n), the last one's length (*last). */
static int slot_count(const struct fpgacap_sender *s, size_t payload,
		      unsigned int *n, size_t *last)
{
	size_t per, slots;

	if (!s->datagram)
		return -EPROTOTYPE;
	if (!s->opts.slot_size || !payload)
		return -EINVAL;
	per = s->opts.slot_size - s->opts.slot_header;
	slots = (payload + per - 1) / per;
	if (slots > UINT32_MAX)
		return -E2BIG;
	*n = (unsigned int)slots;
	*last = s->opts.slot_header + (payload - (slots - 1) * per);
	return 0;
}

/*
 * Each slot's datagram header into its room, the rest of the room zeroed.
 *
 * A room shares a cache line with the end of the previous slot's payload
 * and, unless slot_header is a multiple of the line, with the start of its
 * own: the CPU writes bytes of lines the device also writes. That is safe
 * only because it happens here, between DEQUEUE and RETURN, while the CPU
 * owns the buffer: the driver's sync for the device at RETURN writes these
 * lines back (headers and the payload bytes the CPU saw) before the device
 * writes again, and its sync for the CPU at the next DEQUEUE drops stale
 * lines before anyone reads (the argument in driver/pool.c,
 * pool_walk_table()). A write after RETURN could land in memory after
 * the device's payload and corrupt it, so nothing here runs after the
 * call returns, and the caller must hold the buffer until its release
 * (fpgacap_sender_send_slots() in libfpgacap.h; datagram_test's and
 * framed_e2e_test's buffers are read-only outside that window).
 */
static void write_headers(const struct fpgacap_sender *s, uint8_t *buf,
			  unsigned int n, uint64_t seq, uint64_t offset,
			  uint16_t flags)
{
	const size_t per = s->opts.slot_size - s->opts.slot_header;
	const size_t pad = s->opts.slot_header - DGRAM_HDR;
	unsigned int k;

	for (k = 0; k < n; k++) {
		uint8_t *room = buf + (size_t)k * s->opts.slot_size;

		sender_dgram_encode(room, seq + k, offset + k * per,
				    (uint16_t)(k ? 0 : FPGACAP_DGRAM_FIRST | flags),
				    (uint8_t)s->opts.slot_header);
		if (pad)
			memset(room + DGRAM_HDR, 0, pad);
	}
}

FPGACAP_API int fpgacap_sender_send_slots(struct fpgacap_sender *s,
					  void *buffer, size_t payload,
					  uint64_t offset, uint32_t flags,
					  uint64_t cookie)
{
	struct send_entry *e;
	unsigned int n;
	size_t last;
	int ret;

	ret = slot_count(s, payload, &n, &last);
	if (ret)
		return ret;
	/* The room holds a datagram header, and is one a slotted pool can
	 * have (the UAPI's rule: a multiple of 8, at most
	 * FPGACAP_SLOT_HEADER_MAX): refused before anything is written. */
	if (!buffer || s->opts.slot_header < DGRAM_HDR ||
	    s->opts.slot_header > FPGACAP_SLOT_HEADER_MAX ||
	    s->opts.slot_header % 8)
		return -EINVAL;
	e = sender_entry_begin(s, cookie, &ret);
	if (!e)
		return ret;
	write_headers(s, buffer, n, s->dgram_seq, offset,
		      (uint16_t)(flags & (FPGACAP_DGRAM_LOST |
					  FPGACAP_DGRAM_ERROR)));
	ret = send_runs(s, e, buffer, n, last);
	if (!ret)
		s->dgram_end = offset + payload;
	return sender_entry_end(s, e, ret,
				(size_t)(n - 1) * s->opts.slot_size + last);
}

FPGACAP_API int fpgacap_sender_send_records(struct fpgacap_sender *s,
					    const void *buffer, size_t payload,
					    uint64_t offset, uint64_t cookie)
{
	struct send_entry *e;
	unsigned int n;
	size_t last;
	int ret;

	ret = slot_count(s, payload, &n, &last);
	if (ret)
		return ret;
	if (!buffer)
		return -EINVAL;
	e = sender_entry_begin(s, cookie, &ret);
	if (!e)
		return ret;
	ret = send_runs(s, e, buffer, n, last);
	if (!ret)
		s->dgram_end = offset + payload;
	return sender_entry_end(s, e, ret,
				(size_t)(n - 1) * s->opts.slot_size + last);
}
