// SPDX-License-Identifier: MIT
/*
 * Raw Ethernet frames to UDP payloads, for fpgacap-sink --frames: QEMU's
 * "-netdev socket,udp=..." NIC sends every frame the guest transmits as
 * one UDP datagram to a host port, and the sink takes the guest's UDP
 * datagrams out of them itself, checking the IPv4 header checksum and the
 * UDP checksum that the guest's NIC (checksum offload) filled in.
 */
#include <arpa/inet.h>
#include <string.h>

#include "frames.h"

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* The Internet checksum's running sum over @len bytes. */
static uint32_t sum16(uint32_t sum, const uint8_t *p, size_t len)
{
	while (len > 1) {
		sum += be16(p);
		p += 2;
		len -= 2;
	}
	if (len)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* UDP over IPv4 or IPv6 at @l4 (@len bytes), with @pseudo the sum of
 * the pseudo header; fills @f. */
static enum frame_kind udp(const uint8_t *l4, size_t len, uint32_t pseudo,
			   bool v6, struct frame_udp *f)
{
	uint16_t ulen, csum;

	if (len < 8)
		return FRAME_MALFORMED;
	ulen = be16(l4 + 4);
	csum = be16(l4 + 6);
	if (ulen < 8 || ulen > len)
		return FRAME_MALFORMED;
	f->src_port = be16(l4);
	f->dst_port = be16(l4 + 2);
	f->payload = l4 + 8;
	f->len = ulen - 8u;
	/* IPv4 may leave it out (0); IPv6 may not. */
	if (csum || v6) {
		uint32_t sum = sum16(pseudo + ulen + 17, l4, ulen);

		/* Left for the NIC to fill: the pseudo header's sum (Linux's
		 * CHECKSUM_PARTIAL), or over IPv6 zero, which a computed
		 * checksum never is (macb clears the field for its hardware). */
		if (fold(sum) != 0xffff)
			return (v6 && !csum) ||
			       (csum && csum == fold(pseudo + ulen + 17)) ?
			       FRAME_CSUM_UNFILLED : FRAME_BAD_CHECKSUM;
	}
	return FRAME_UDP;
}

enum frame_kind frame_udp_payload(const uint8_t *p, size_t len,
				  struct frame_udp *f)
{
	size_t off = 14;
	uint16_t type;

	memset(f, 0, sizeof(*f));
	if (len < off)
		return FRAME_MALFORMED;
	type = be16(p + 12);
	/* One VLAN tag at most. */
	if (type == 0x8100) {
		if (len < off + 4)
			return FRAME_MALFORMED;
		type = be16(p + 16);
		off += 4;
	}
	p += off;
	len -= off;
	if (type == 0x0800) {
		size_t ihl, total;
		uint16_t frag;

		if (len < 20 || p[0] >> 4 != 4)
			return FRAME_MALFORMED;
		ihl = (size_t)(p[0] & 15) * 4;
		total = be16(p + 2);
		if (ihl < 20 || total < ihl || total > len)
			return FRAME_MALFORMED;
		if (fold(sum16(0, p, ihl)) != 0xffff)
			return FRAME_BAD_CHECKSUM;
		f->family = 4;
		frag = be16(p + 6);
		if (p[9] != 17)
			return FRAME_OTHER;
		/* More fragments, or not the first: not a whole datagram. */
		if (frag & 0x3fff)
			return FRAME_FRAGMENT;
		return udp(p + ihl, total - ihl, sum16(0, p + 12, 8), false, f);
	}
	if (type == 0x86dd) {
		size_t plen;

		if (len < 40 || p[0] >> 4 != 6)
			return FRAME_MALFORMED;
		plen = be16(p + 4);
		if (plen > len - 40)
			return FRAME_MALFORMED;
		f->family = 6;
		/* Extension headers are not followed: UDP comes first here. */
		if (p[6] == 44)
			return FRAME_FRAGMENT;
		if (p[6] != 17)
			return FRAME_OTHER;
		return udp(p + 40, plen, sum16(0, p + 8, 32), true, f);
	}
	return FRAME_OTHER;
}

const char *frame_kind_name(enum frame_kind k)
{
	switch (k) {
	case FRAME_UDP:
		return "udp";
	case FRAME_OTHER:
		return "other";
	case FRAME_FRAGMENT:
		return "fragment";
	case FRAME_BAD_CHECKSUM:
		return "bad checksum";
	case FRAME_CSUM_UNFILLED:
		return "checksum left to the NIC";
	default:
		return "malformed";
	}
}
