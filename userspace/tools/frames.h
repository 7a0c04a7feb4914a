/* SPDX-License-Identifier: MIT */
/* Raw Ethernet frames to UDP payloads (fpgacap-sink --frames). */
#ifndef FPGACAP_FRAMES_H
#define FPGACAP_FRAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum frame_kind {
	FRAME_UDP,		/* a whole UDP datagram, checksums right */
	FRAME_OTHER,		/* ARP, ICMP, neighbour discovery, ... */
	FRAME_FRAGMENT,		/* an IP fragment */
	FRAME_BAD_CHECKSUM,	/* IPv4 header or UDP checksum wrong */
	/*
	 * A whole UDP datagram whose checksum field holds what a driver
	 * leaves for its NIC's checksum offload to fill (the pseudo header's
	 * sum, or over IPv6 zero), sent as it was: QEMU 7.2's NIC models fill
	 * IPv4 checksums only, unless the driver tells them where (e1000).
	 * The payload is not covered: the caller checks it.
	 */
	FRAME_CSUM_UNFILLED,
	FRAME_MALFORMED,	/* too short, lengths that do not fit */
};

struct frame_udp {
	int family;		/* 4 or 6, 0 if not IP */
	uint16_t src_port, dst_port;
	const uint8_t *payload;
	size_t len;
};

/* What Ethernet frame @p of @len bytes is; for FRAME_UDP, its payload. */
enum frame_kind frame_udp_payload(const uint8_t *p, size_t len,
				  struct frame_udp *f);
const char *frame_kind_name(enum frame_kind k);

#endif /* FPGACAP_FRAMES_H */
