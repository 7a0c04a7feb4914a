// SPDX-License-Identifier: MIT
/*
 * The index of a recording on the wire: a 64-byte header, then 64-byte
 * entries, all little-endian, each ending in a CRC-32C of its other bytes
 * so that a reader tells a torn or corrupted write from data.
 */
#include <endian.h>
#include <errno.h>
#include <string.h>

#include "record.h"

/* CRC-32C (Castagnoli), reflected, bit by bit: 60 bytes an entry. */
uint32_t record_crc32c(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t crc = ~0U;

	while (len--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0x82F63B78U & -(crc & 1));
	}
	return ~crc;
}

static void put16(uint8_t *p, uint16_t v)
{
	v = htole16(v);
	memcpy(p, &v, sizeof(v));
}

static void put32(uint8_t *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, sizeof(v));
}

static void put64(uint8_t *p, uint64_t v)
{
	v = htole64(v);
	memcpy(p, &v, sizeof(v));
}

static uint16_t get16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return le16toh(v);
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return le32toh(v);
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return le64toh(v);
}

/* Each ends in a CRC of the bytes before it. */
#define HDR_CRC_AT (FPGACAP_INDEX_HEADER_SIZE - 4)
#define CRC_AT (FPGACAP_INDEX_ENTRY_SIZE - 4)
/* Header bytes reserved (zero) for later versions. */
#define HDR_RESERVED_AT 72

FPGACAP_API void fpgacap_index_header_encode(void *wire,
					     const struct fpgacap_index_header *h)
{
	uint8_t *p = wire;

	memset(p, 0, FPGACAP_INDEX_HEADER_SIZE);
	put32(p + 0, h->magic);
	put16(p + 4, h->version);
	put16(p + 6, h->header_size);
	put16(p + 8, h->entry_size);
	put32(p + 12, h->block_size);
	put64(p + 16, h->data_offset);
	put64(p + 24, h->buffer_size);
	put32(p + 32, h->slot_size);
	put32(p + 36, h->slot_header);
	put32(p + 40, h->source);
	put32(p + 44, h->pool_flags);
	put32(p + 48, h->flags);
	put64(p + 56, h->start_realtime_ns);
	put64(p + 64, h->start_monotonic_ns);
	put32(p + HDR_CRC_AT, record_crc32c(p, HDR_CRC_AT));
}

FPGACAP_API int fpgacap_index_header_decode(const void *wire, size_t len,
					    struct fpgacap_index_header *h)
{
	const uint8_t *p = wire;

	if (len < FPGACAP_INDEX_HEADER_SIZE ||
	    get32(p) != FPGACAP_INDEX_MAGIC)
		return -EPROTO;
	if (get32(p + HDR_CRC_AT) != record_crc32c(p, HDR_CRC_AT))
		return -EBADMSG;
	memset(h, 0, sizeof(*h));
	h->magic = get32(p + 0);
	h->version = get16(p + 4);
	h->header_size = get16(p + 6);
	h->entry_size = get16(p + 8);
	h->block_size = get32(p + 12);
	h->data_offset = get64(p + 16);
	h->buffer_size = get64(p + 24);
	h->slot_size = get32(p + 32);
	h->slot_header = get32(p + 36);
	h->source = get32(p + 40);
	h->pool_flags = get32(p + 44);
	h->flags = get32(p + 48);
	h->start_realtime_ns = get64(p + 56);
	h->start_monotonic_ns = get64(p + 64);
	for (size_t i = HDR_RESERVED_AT; i < HDR_CRC_AT; i++)
		if (p[i])
			return -EPROTO;
	/* A later writer may lengthen header and entries (new fields after
	 * these, which this reader skips); an incompatible change raises the
	 * version. */
	if (h->version != FPGACAP_INDEX_VERSION || get16(p + 10) ||
	    get32(p + 52) ||
	    h->header_size < FPGACAP_INDEX_HEADER_SIZE ||
	    h->entry_size < FPGACAP_INDEX_ENTRY_SIZE ||
	    h->block_size < 512 || h->block_size > RECORD_MAX_BLOCK ||
	    (h->block_size & (h->block_size - 1)) ||
	    h->data_offset % h->block_size ||
	    (h->slot_size && h->slot_header >= h->slot_size))
		return -EPROTO;
	return 0;
}

FPGACAP_API void fpgacap_index_entry_encode(void *wire,
					    const struct fpgacap_index_entry *e)
{
	uint8_t *p = wire;

	put64(p + 0, e->sequence);
	put64(p + 8, e->stream_offset);
	put64(p + 16, e->file_offset);
	put64(p + 24, e->bytes);
	put64(p + 32, e->written);
	put64(p + 40, e->timestamp_ns);
	put64(p + 48, e->lost_bytes);
	put16(p + 56, e->flags);
	put16(p + 58, e->error);
	put32(p + CRC_AT, record_crc32c(p, CRC_AT));
}

FPGACAP_API int fpgacap_index_entry_decode(const void *wire, size_t len,
					   struct fpgacap_index_entry *e)
{
	const uint8_t *p = wire;

	if (len < FPGACAP_INDEX_ENTRY_SIZE)
		return -EPROTO;
	if (get32(p + CRC_AT) != record_crc32c(p, CRC_AT))
		return -EBADMSG;
	e->sequence = get64(p + 0);
	e->stream_offset = get64(p + 8);
	e->file_offset = get64(p + 16);
	e->bytes = get64(p + 24);
	e->written = get64(p + 32);
	e->timestamp_ns = get64(p + 40);
	e->lost_bytes = get64(p + 48);
	e->flags = get16(p + 56);
	e->error = get16(p + 58);
	return 0;
}
