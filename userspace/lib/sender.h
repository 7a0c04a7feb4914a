/* SPDX-License-Identifier: MIT */
/*
 * Inside the sender. The core (sender.c) keeps a ring of sends: an entry is
 * released, in order, once all its bytes are in the socket and every
 * zero-copy completion it waits for has arrived. Backends only move bytes
 * and count completions, behind struct sender_backend_ops; each backend
 * includes this header and nothing of the others, and the core reaches
 * them only through the table.
 */
#ifndef FPGACAP_SENDER_H
#define FPGACAP_SENDER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "internal.h"

struct send_entry {
	uint64_t cookie;
	unsigned int outstanding;	/* completions still to come */
	uint32_t seq;			/* sends so far: tells reused slots apart */
	uint32_t zc_first, zc_next;	/* backend's completion ids [first, next) */
	uint64_t sent;			/* bytes of this send in the socket */
	bool queued;			/* all bytes are in the socket */
};

struct fpgacap_sender;

/*
 * A backend. send() moves every byte left in *iov (advancing it) for entry
 * @e; for each completion it will report later it adds one to
 * e->outstanding, and reap() takes them off as they come. Contract:
 *   - send() returns 0 once *n is 0, or -errno. -EFAULT or -EOPNOTSUPP
 *     before any byte went out means "this memory cannot go zero-copy";
 *     -ENOBUFS with nothing in flight means "copy this one" (the core does).
 *   - A signal: sender_interrupted() says whether to give up (-EINTR) or to
 *     finish the entry by a deadline, with MSG_DONTWAIT and bounded waits.
 *     A short send on a blocking socket (short_is_signal) is a signal too.
 *   - reap() never blocks longer than @timeout_ms (< 0: until something
 *     comes), returns how many completions it handled, or -errno (-EINTR).
 *   - On a datagram socket (s->datagram) *iov is one send: one datagram,
 *     or with UDP GSO several, which must go in one call; -EMSGSIZE (too
 *     many pieces or bytes) and -EIO (GSO refused) before anything went
 *     out make the core send fewer at a time.
 */
struct sender_backend_ops {
	const char *name;
	enum fpgacap_send_mode mode;
	bool zerocopy;			/* completions come later */
	size_t priv_size;
	int (*init)(struct fpgacap_sender *s, void *priv);
	void (*exit)(struct fpgacap_sender *s, void *priv);
	int (*send)(struct fpgacap_sender *s, void *priv, struct send_entry *e,
		    struct iovec **iov, unsigned int *n, bool more);
	int (*reap)(struct fpgacap_sender *s, void *priv, int timeout_ms);
};

extern const struct sender_backend_ops sender_copy_ops;
extern const struct sender_backend_ops sender_msgzc_ops;
/* Built without liburing: no send member, and init says -ENOSYS. */
extern const struct sender_backend_ops sender_uring_ops;

struct sender_backend {
	const struct sender_backend_ops *ops;
	void *priv;
};

/* Datagram headers sit this far apart: none straddles a page. */
#define DGRAM_HDR_STRIDE 32

/* A ring slot's datagram headers, stable until the slot is released. */
struct dgram_slot {
	uint8_t *hdrs;			/* DGRAM_HDR_STRIDE apart */
	unsigned int cap;
};

struct fpgacap_sender {
	struct fpgacap_sender_opts opts;
	/* New sends go to use; a zero-copy backend stays in zc after auto
	 * fell back to copying, until its completions are all in. */
	const struct sender_backend *use;
	struct sender_backend copy;
	struct sender_backend zc;
	struct send_entry *ring;
	unsigned int head, count;	/* oldest entry, entries in use */
	uint32_t seq;			/* sends so far */
	bool is_socket;			/* else a file: writev() */
	bool short_is_signal;		/* blocking, no SO_SNDTIMEO */
	bool testing_early_release;
	uint64_t drain_deadline;	/* signalled mid-send: finish by then */
	struct fpgacap_sender_stats st;	/* mode and requested filled on read */
	/* A datagram socket: every send is whole datagrams. */
	bool datagram;
	unsigned int gso_copy, gso_zc;	/* datagrams per send, by backend */
	uint64_t dgram_seq, dgram_end;	/* next sequence, stream offset */
	struct dgram_slot *dslots;	/* per ring slot */
	struct iovec *giov;		/* one send: 2 per datagram */
	/* Slotted buffers (send-slots.c): whole slots per send, by backend
	 * (caps that shrink on EMSGSIZE). */
	unsigned int slot_gso_copy, slot_gso_zc;
};

/* The i-th oldest entry in use. */
struct send_entry *sender_entry_at(struct fpgacap_sender *s, unsigned int i);
/* The entry in ring slot @slot if it is in use and still send @seq. */
struct send_entry *sender_entry_lookup(struct fpgacap_sender *s,
				       unsigned int slot, uint32_t seq);
unsigned int sender_slot(const struct fpgacap_sender *s,
			 const struct send_entry *e);
void sender_note_completions(struct fpgacap_sender *s, uint64_t n,
			     bool copied);
/*
 * A call made for entry @e saw a signal (EINTR, or a short send on a
 * blocking socket). -EINTR: nothing of @e is in flight, give up (the core
 * takes the entry back; the caller keeps its buffer). Otherwise the send
 * must finish by a deadline: 0 to go on non-blocking, waiting at most
 * sender_wait_ms() at a time, or -ETIMEDOUT once the deadline passed (the
 * stream is cut inside @e).
 */
int sender_interrupted(struct fpgacap_sender *s, const struct send_entry *e);
/*
 * @bytes of entry @e went out: advance *iov past them. A short send on a
 * blocking socket is a signal: 0 or what sender_interrupted() says.
 */
int sender_advance(struct fpgacap_sender *s, struct send_entry *e,
		   struct iovec **iov, unsigned int *n, size_t bytes);
/*
 * The core's steps of one fpgacap_sender_*() call: a ring entry for
 * @cookie (NULL with *err), what is left in *v through the backend in use
 * (a zero-copy one falling back as the mode allows), and the entry's end
 * with @ret and @total bytes (0, or the error to return).
 */
struct send_entry *sender_entry_begin(struct fpgacap_sender *s,
				      uint64_t cookie, int *err);
int sender_send_rest(struct fpgacap_sender *s, struct send_entry *e,
		     struct iovec **v, unsigned int *n);
int sender_entry_end(struct fpgacap_sender *s, struct send_entry *e, int ret,
		     size_t total);
/* Datagrams per send now, for the backend in use (a cap that shrinks on
 * EMSGSIZE): of two-piece datagrams, or of whole slots. */
unsigned int *sender_gso_now(struct fpgacap_sender *s, bool slots);
/*
 * A datagram send of @g refused whole with @err before any byte went out:
 * fewer a send (EMSGSIZE, gso_shrunk), or one (EIO: UDP GSO refused, no
 * checksum offload on the route; gso_error). True: send again.
 */
bool sender_gso_retry(struct fpgacap_sender *s, int err, unsigned int g,
		      bool slots);
/* One datagram header at @p: FPGACAP_DGRAM_* @flags, @header_size bytes
 * to the payload (the room after the 24 header bytes is not touched). */
void sender_dgram_encode(void *p, uint64_t seq, uint64_t offset,
			 uint16_t flags, uint8_t header_size);
/* A whole send of datagrams went out: @datagrams in @iovecs pieces. */
void sender_note_datagrams(struct fpgacap_sender *s, unsigned int datagrams,
			   unsigned int iovecs);

/* While draining: 0, or -ETIMEDOUT once the deadline passed. */
int sender_drain_check(const struct fpgacap_sender *s);
bool sender_draining(const struct fpgacap_sender *s);
int sender_wait_ms(const struct fpgacap_sender *s, int timeout_ms);
/* poll() for POLLOUT; 0, -EPIPE, -EINTR or -errno. */
int sender_wait_writable(int fd, int timeout_ms);
void sender_iov_advance(struct iovec **iov, unsigned int *n, size_t bytes);

/*
 * Below this an iovec element (a frame header, say) is copied even in the
 * zero-copy modes: pinning costs more than copying, and small heap memory
 * may sit in highmem that a NIC without HIGHDMA would copy anyway.
 */
#define ZEROCOPY_MIN_BYTES 4096

/* How long a send interrupted part-way may take to finish. */
#define SENDER_DRAIN_MS 500

#endif /* FPGACAP_SENDER_H */
