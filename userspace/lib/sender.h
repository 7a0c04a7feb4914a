/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Inside the sender: every send() gets an entry in a ring; an entry is
 * released (in order) once all its bytes are in the socket and every
 * zero-copy completion it waits for has arrived. The backends (copy,
 * MSG_ZEROCOPY, io_uring) only move bytes and count completions.
 */
#ifndef FPGACAP_SENDER_H
#define FPGACAP_SENDER_H

#include "libfpgacap.h"

struct uring_state;

struct send_entry {
	uint64_t cookie;
	unsigned int outstanding;	/* completions still to come */
	uint32_t first_id, next_id;	/* MSG_ZEROCOPY ids [first, next) */
	uint32_t seq;			/* io_uring: tells reused slots apart */
	bool queued;			/* all bytes are in the socket */
};

struct fpgacap_sender {
	struct fpgacap_sender_opts opts;
	enum fpgacap_send_mode mode;	/* backend in use for new sends */
	struct send_entry *ring;
	unsigned int head, count;	/* oldest entry, entries in use */
	uint32_t zc_next_id;		/* the socket's next MSG_ZEROCOPY id */
	uint32_t zc_inflight;		/* ids sent, not yet completed */
	uint32_t seq;			/* sends so far */
	bool zc_enabled;		/* SO_ZEROCOPY set */
	bool is_socket;			/* else a file: writev() */
	struct uring_state *uring;
	struct fpgacap_sender_stats st;
};

static inline struct send_entry *entry_at(struct fpgacap_sender *s,
					  unsigned int i)
{
	return &s->ring[(s->head + i) % s->opts.max_inflight];
}

/* Backends: each moves bytes from *iov on, advancing it as they go. */
int copy_send(struct fpgacap_sender *s, struct iovec **iov, unsigned int *n,
	      bool more);
int msgzc_enable(struct fpgacap_sender *s);
int msgzc_send(struct fpgacap_sender *s, struct send_entry *e,
	       struct iovec **iov, unsigned int *n);
int msgzc_reap(struct fpgacap_sender *s, int timeout_ms);
int uring_init(struct fpgacap_sender *s);
void uring_exit(struct fpgacap_sender *s);
int uring_send(struct fpgacap_sender *s, struct send_entry *e,
	       unsigned int idx, struct iovec **iov, unsigned int *n);
int uring_reap(struct fpgacap_sender *s, int timeout_ms);

/*
 * Below this an iovec element (a frame header, say) is copied even in the
 * zero-copy modes: pinning costs more than copying, and small heap memory
 * may sit in highmem that a NIC without HIGHDMA would copy anyway.
 */
#define ZEROCOPY_MIN_BYTES 4096

/* Shared helpers. */
void sender_note_completions(struct fpgacap_sender *s, uint64_t n,
			     bool copied);
int wait_writable(int fd, int timeout_ms);
void iov_advance(struct iovec **iov, unsigned int *n, size_t bytes);

#endif /* FPGACAP_SENDER_H */
