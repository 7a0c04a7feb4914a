// SPDX-License-Identifier: MIT
/* The optional per-buffer header on the wire, always little-endian. */
#include <endian.h>
#include <errno.h>
#include <string.h>

#include "internal.h"

FPGACAP_API void fpgacap_frame_encode(struct fpgacap_frame *f,
				      const struct fpgacap_buffer *b)
{
	memset(f, 0, sizeof(*f));
	f->magic = htole32(FPGACAP_FRAME_MAGIC);
	f->version = htole16(FPGACAP_FRAME_VERSION);
	f->header_size = htole16(sizeof(*f));
	f->flags = htole32(b->flags);
	f->sequence = htole64(b->sequence);
	f->offset = htole64(b->offset);
	f->length = htole64(b->bytes_used);
	f->timestamp_ns = htole64(b->timestamp_ns);
	f->lost_bytes = htole64(b->lost_bytes);
}

FPGACAP_API int fpgacap_frame_decode(const struct fpgacap_frame *wire,
				     struct fpgacap_frame *host)
{
	host->magic = le32toh(wire->magic);
	host->version = le16toh(wire->version);
	host->header_size = le16toh(wire->header_size);
	host->flags = le32toh(wire->flags);
	host->reserved = le32toh(wire->reserved);
	host->sequence = le64toh(wire->sequence);
	host->offset = le64toh(wire->offset);
	host->length = le64toh(wire->length);
	host->timestamp_ns = le64toh(wire->timestamp_ns);
	host->lost_bytes = le64toh(wire->lost_bytes);
	if (host->magic != FPGACAP_FRAME_MAGIC ||
	    host->version != FPGACAP_FRAME_VERSION ||
	    host->header_size != sizeof(*host))
		return -EPROTO;
	return 0;
}
