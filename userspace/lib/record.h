/* SPDX-License-Identifier: MIT */
/*
 * Inside the recorder. The core (recorder.c) keeps a ring of buffers in
 * stream order: each is one or two writes (the block-aligned body straight
 * from the pool, and a short buffer's last block, zero-padded, from the
 * library's memory), retired in order once both completed: its index entry
 * written, its buffer released. A backend only issues writes and reports
 * their results through record_complete(): io_uring, or synchronous
 * pwrite() where io_uring is missing.
 */
#ifndef FPGACAP_RECORD_H
#define FPGACAP_RECORD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "internal.h"

/* The largest block size an index may name (64 KiB pages). */
#define RECORD_MAX_BLOCK 65536U
/* The most one request writes (Linux stops a write below 2 GiB). */
#define RECORD_MAX_IO (1ULL << 30)

/* One write of a ring entry. */
struct rec_piece {
	const uint8_t *base;		/* memory */
	uint64_t len;			/* bytes to write */
	uint64_t off;			/* file offset */
	uint64_t done;			/* written so far */
	int fixed;			/* registered buffer index, or -1 */
	bool busy;			/* a request in flight */
	bool again;			/* to be issued (again) */
	int error;			/* positive errno once it failed */
};

struct rec_entry {
	uint64_t cookie;
	uint32_t seq;			/* entries so far: tells reused slots apart */
	struct fpgacap_index_entry ix;
	struct rec_piece piece[2];
	unsigned int npieces;
	unsigned int busy;		/* requests in flight */
	bool released;			/* the caller's buffer went back already */
};

struct fpgacap_recorder;

struct rec_backend_ops {
	const char *name;
	bool async;			/* completions come later (reap) */
	size_t priv_size;
	int (*init)(struct fpgacap_recorder *r, void *priv);
	void (*exit)(struct fpgacap_recorder *r, void *priv);
	/* Issue piece @i of @e (p->done bytes are written already). The
	 * synchronous backend calls record_complete() before returning. */
	int (*issue)(struct fpgacap_recorder *r, void *priv,
		     struct rec_entry *e, unsigned int i);
	/* Hand what was issued to the kernel. */
	int (*submit)(struct fpgacap_recorder *r, void *priv);
	/* Completions in, waiting up to @timeout_ms (< 0: until one comes):
	 * how many, or -errno (-EINTR). */
	int (*reap)(struct fpgacap_recorder *r, void *priv, int timeout_ms);
};

extern const struct rec_backend_ops rec_uring_ops;	/* -ENOSYS unbuilt */
extern const struct rec_backend_ops rec_sync_ops;

struct fpgacap_recorder {
	struct fpgacap_recorder_opts opts;
	struct fpgacap_recorder_stats st;
	const struct rec_backend_ops *ops;
	void *priv;
	/* What io_uring registered, index = buf_index (regions split at
	 * 1 GiB, io_uring's limit for one). */
	struct iovec *fixed;
	unsigned int nfixed;
	struct rec_entry *ring;
	unsigned int head, count;	/* oldest entry, entries in use */
	uint32_t seq;
	uint8_t *tails;			/* a block per ring slot */
	uint8_t **stage;		/* copy mode: memory per ring slot */
	uint64_t *stage_cap;
	uint64_t next_sequence;		/* for buffers without metadata */
	uint64_t stream_end;		/* where the last buffer's stream ended */
	uint64_t index_pos;		/* the next entry's offset in the index */
	uint8_t *ixbuf;			/* entries retired, not yet written */
	unsigned int ixlen;
	long page;
	bool testing_early_release;
};

/* The ring entry @slot if it is in use and still entry @seq. */
struct rec_entry *record_lookup(struct fpgacap_recorder *r, unsigned int slot,
				uint32_t seq);
unsigned int record_slot(const struct fpgacap_recorder *r,
			 const struct rec_entry *e);
/* A request of piece @i of @e ended with @res (bytes, or -errno). */
void record_complete(struct fpgacap_recorder *r, struct rec_entry *e,
		     unsigned int i, int res);
/* The first failure of the recording (positive errno). */
void record_fail(struct fpgacap_recorder *r, int err, uint64_t offset,
		 bool index);

uint32_t record_crc32c(const void *data, size_t len);

#endif /* FPGACAP_RECORD_H */
