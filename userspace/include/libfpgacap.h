/* SPDX-License-Identifier: MIT */
/*
 * libfpgacap: capture buffers from /dev/fpgacap* and stream them to a
 * socket without copying, recycling a buffer only once the network stack
 * has released every byte sent from it.
 *
 * Errors: functions return 0 (or a count) on success and a negative errno
 * on failure; fpgacap_strerror() turns one into a message. A call that
 * waits returns -EINTR when a signal interrupts it (a handler installed
 * without SA_RESTART), so a program can stop on ^C; nothing is lost, call
 * again to go on.
 *
 * Threads: there is no global state. A handle (struct fpgacap, struct
 * fpgacap_sender, struct fpgacap_pump, struct fpgacap_verifier) may be
 * used by one thread at a time; different handles from different threads
 * freely.
 *
 * ABI: structures the library may grow start with a `size` member. Set it
 * to sizeof the structure before passing one in (options) or asking for
 * one to be filled (statistics); members past what both sides know are
 * zeroed on output and must be zero on input (-E2BIG otherwise). See
 * docs/library.md for the soname policy.
 */
#ifndef LIBFPGACAP_H
#define LIBFPGACAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include <fpgacap/fpgacap.h>
/* LIBFPGACAP_VERSION_MAJOR, _MINOR, _PATCH, _STRING: the project's version. */
#include <fpgacap/libfpgacap-version.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The library's version at run time: (major << 16) | minor. */
unsigned int fpgacap_version(void);
/* A message for a negative (or positive) errno; never NULL. */
const char *fpgacap_strerror(int err);

/* ---- the capture device ---- */

struct fpgacap;

/*
 * The device node a program means when it names none: the only fpgacap
 * device there is (its node, e.g. /dev/fpgacap-axidma), or, among several,
 * /dev/fpgacap (the udev rule's link to the first). 0 and the path in
 * @path; -ENOENT if there is no device (no module, or none bound);
 * -ENOTUNIQ if there are several and no /dev/fpgacap, with their nodes in
 * @path ("/dev/fpgacap0, /dev/fpgacap-axidma", cut with "..." to fit) for
 * the caller to name; -ENAMETOOLONG if @len is too small for the path.
 */
int fpgacap_find_device(char *path, size_t len);

/*
 * Open a device node (NULL: the one fpgacap_find_device() finds, or its
 * error). @flags: O_NONBLOCK, and
 * O_RDWR for a pool configured FPGACAP_CFG_WRITABLE; otherwise 0.
 * INFO and STATS work on any handle; the first handle to configure owns
 * the device's stream until it is closed (others get -EBUSY), and closing
 * it stops the stream and frees the pool.
 */
int fpgacap_open(const char *path, int flags, struct fpgacap **out);
void fpgacap_close(struct fpgacap *dev);
int fpgacap_fd(const struct fpgacap *dev);	/* for poll/epoll */
int fpgacap_get_info(struct fpgacap *dev, struct fpgacap_info *info);

/*
 * Allocate @count buffers of @size bytes (a page multiple) and map them
 * read-only, or writable with FPGACAP_CFG_WRITABLE (a handle opened
 * O_RDWR; it lets io_uring register the pool on Linux 6.1, at the price of
 * captured data a stray write can corrupt). @flags are FPGACAP_CFG_*,
 * @rate the source's bytes/s (0: as fast as buffers come free;
 * -EOPNOTSUPP where the source has no clock).
 * count == 0 frees the pool.
 */
int fpgacap_configure(struct fpgacap *dev, uint32_t count, uint64_t size,
		      uint32_t flags, uint64_t rate);
const struct fpgacap_config *fpgacap_layout(const struct fpgacap *dev);
/* Start of buffer @index in the mapping; NULL if out of range. */
const void *fpgacap_buffer_data(const struct fpgacap *dev, uint32_t index);

int fpgacap_start(struct fpgacap *dev);
int fpgacap_stop(struct fpgacap *dev);

/*
 * Up to @max filled buffers, oldest first; waits up to @timeout_ns
 * (< 0: forever, 0: not at all). Returns how many, or -errno: -EAGAIN,
 * -ETIMEDOUT, -EINTR (a signal), -ENODATA once stopped and drained, -EIO
 * on source failure.
 */
int fpgacap_dequeue(struct fpgacap *dev, struct fpgacap_buffer *bufs,
		    unsigned int max, int64_t timeout_ns);
int fpgacap_return(struct fpgacap *dev, const uint32_t *indices,
		   unsigned int n);
int fpgacap_get_stats(struct fpgacap *dev, struct fpgacap_stats *stats);

/* ---- sending to a socket ---- */

enum fpgacap_send_mode {
	FPGACAP_SEND_AUTO,	/* best available, copy if copies persist */
	FPGACAP_SEND_COPY,	/* send(): the kernel copies */
	FPGACAP_SEND_ZEROCOPY,	/* sendmsg(MSG_ZEROCOPY) + error queue */
	FPGACAP_SEND_URING,	/* io_uring SEND_ZC + notifications */
};

const char *fpgacap_send_mode_name(enum fpgacap_send_mode mode);
int fpgacap_send_mode_parse(const char *name, enum fpgacap_send_mode *mode);
/* Whether this build of the library has @mode (io_uring is optional). */
bool fpgacap_send_mode_built(enum fpgacap_send_mode mode);

/* Called once per fpgacap_sender_send() when its bytes are released. */
typedef void (*fpgacap_release_fn)(void *ctx, uint64_t cookie);

/* Above 100 in copy_fallback_pct: never fall back. */
#define FPGACAP_COPY_FALLBACK_NEVER 101U

struct fpgacap_sender_opts {
	uint32_t size;			/* sizeof(struct fpgacap_sender_opts) */
	int fd;				/* connected stream socket, or a file */
	enum fpgacap_send_mode mode;
	unsigned int max_inflight;	/* sends awaiting release (0: 64) */
	/* auto: switch to copy once this % of the first completions were
	 * copied anyway (0: 50; FPGACAP_COPY_FALLBACK_NEVER: never). */
	unsigned int copy_fallback_pct;
	unsigned int copy_fallback_window; /* completions judged (0: 32) */
	/* io_uring: memory to register as fixed buffers, if it can be; the
	 * array is read only during fpgacap_sender_create(). */
	const struct iovec *regions;
	unsigned int nregions;
	fpgacap_release_fn release;
	void *ctx;
	/* Since 1.1. A connected datagram (UDP) socket: UDP payload bytes
	 * per datagram, header included (0: what the path MTU allows), and
	 * datagrams per send with UDP GSO (0: as many as fit; 1: no GSO). */
	uint32_t datagram_size;
	uint32_t gso_segments;
};

struct fpgacap_sender_stats {
	uint32_t size;			/* in: sizeof; out: bytes filled */
	enum fpgacap_send_mode mode;	/* in use now */
	enum fpgacap_send_mode requested;
	uint64_t bytes;
	uint64_t sends;			/* fpgacap_sender_send() calls done */
	uint64_t syscalls;		/* sendmsg, recvmsg, io_uring_enter */
	uint64_t completions;		/* zero-copy completions received */
	uint64_t copied;		/* of which the kernel copied */
	bool copied_known;		/* false: kernel cannot report copies */
	bool fixed_buffers;		/* io_uring registered buffers in use */
	/* Why registration was refused, or 0. Linux 6.1 refuses device
	 * mappings (EFAULT/EOPNOTSUPP): expected there, sends pin per request. */
	int fixed_buffers_error;
	uint64_t enobufs;		/* times optmem/locked memory ran out */
	uint64_t partial;		/* short sends resumed */
	bool fell_back;			/* auto switched to copy */
	int fallback_reason;		/* errno that made it, 0: copies seen */
	uint64_t nobufs_copied;		/* sends copied: ENOBUFS, nothing to wait for */
	/* Since 1.1: datagram sockets. */
	bool datagram;			/* a datagram socket */
	uint32_t datagram_size;		/* bytes per datagram, header included */
	uint32_t gso_segments;		/* datagrams per send now (1: no GSO) */
	int gso_error;			/* why UDP_SEGMENT was refused, or 0 */
	uint64_t datagrams;		/* datagrams sent */
	uint64_t gso_shrunk;		/* sends refused as too big (EMSGSIZE) */
};

struct fpgacap_sender;

int fpgacap_sender_create(const struct fpgacap_sender_opts *opts,
			  struct fpgacap_sender **out);
/* Closes nothing; waits for nothing. Call flush first. */
void fpgacap_sender_destroy(struct fpgacap_sender *s);

/*
 * Queue every byte of @iov on the socket, in order (on a datagram socket:
 * as one datagram). Returns 0 once the
 * bytes are in the socket; release(@cookie) follows when the kernel no
 * longer reads them (at once for copies). -EPIPE/-ECONNRESET if the peer
 * went away. May run release callbacks of earlier sends. -EINTR: a signal
 * came before any byte of this send went out (the caller keeps the
 * buffer), or while finishing one that had started, which then could not
 * finish within half a second (the stream is cut there).
 */
int fpgacap_sender_send(struct fpgacap_sender *s, const struct iovec *iov,
			unsigned int iovcnt, uint64_t cookie);
/*
 * Since 1.1, datagram sockets: send @len bytes at @data (len > 0) as
 * datagrams of datagram_size bytes, each a struct fpgacap_datagram header
 * and the next piece of the data, several per send with UDP GSO. @offset
 * is the stream offset of data[0]; @flags (FPGACAP_DGRAM_LOST, _ERROR) go
 * on the first datagram, which is flagged FPGACAP_DGRAM_FIRST. Release,
 * signals and errors as fpgacap_sender_send(); -EMSGSIZE if one datagram
 * does not fit the path.
 */
int fpgacap_sender_send_datagrams(struct fpgacap_sender *s, const void *data,
				  size_t len, uint64_t offset, uint32_t flags,
				  uint64_t cookie);
/* Since 1.1: the stream's last datagram, a header flagged
 * FPGACAP_DGRAM_END that tells the receiver how many came before it. */
int fpgacap_sender_end_datagrams(struct fpgacap_sender *s);

/* Process completions, waiting up to @timeout_ms; returns releases. */
int fpgacap_sender_reap(struct fpgacap_sender *s, int timeout_ms);
/* Wait until everything sent was released, up to @timeout_ms (<0: ever). */
int fpgacap_sender_flush(struct fpgacap_sender *s, int timeout_ms);
unsigned int fpgacap_sender_pending(const struct fpgacap_sender *s);
int fpgacap_sender_get_stats(const struct fpgacap_sender *s,
			     struct fpgacap_sender_stats *st);

/* ---- framing: an optional header before each buffer on the wire ---- */

#define FPGACAP_FRAME_MAGIC 0x50414346U	/* "FCAP" little-endian */
#define FPGACAP_FRAME_VERSION 1

/* All fields little-endian; the wire format never changes size. */
struct fpgacap_frame {
	uint32_t magic;
	uint16_t version;
	uint16_t header_size;		/* sizeof(struct fpgacap_frame) */
	uint32_t flags;			/* FPGACAP_BUF_* */
	uint32_t reserved;
	uint64_t sequence;		/* per stream, no gaps */
	uint64_t offset;		/* stream position of the payload */
	uint64_t length;		/* payload bytes that follow */
	uint64_t timestamp_ns;		/* CLOCK_MONOTONIC, capture side */
	uint64_t lost_bytes;		/* lost just before this payload */
};

void fpgacap_frame_encode(struct fpgacap_frame *f,
			  const struct fpgacap_buffer *b);
/* 0, or -EPROTO if the header is malformed. */
int fpgacap_frame_decode(const struct fpgacap_frame *wire,
			 struct fpgacap_frame *host);

/* ---- datagrams: a header in every UDP datagram (since 1.1) ---- */

/*
 * FPGACAP_DGRAM_MAGIC, _VERSION and the FPGACAP_DGRAM_* flags come from
 * <fpgacap/fpgacap.h>, with the wire layout (struct fpgacap_dgram_header).
 *
 * Each datagram of a datagram stream: this header (24 bytes, all fields
 * little-endian), then payload to the datagram's end. The sequence counts
 * datagrams (a receiver sees loss, reordering and duplicates); the offset
 * places the payload in the capture stream, and jumps only where a
 * datagram says FPGACAP_DGRAM_LOST (capture loss) or datagrams went
 * missing. Under UDP GSO every segment is one whole datagram: a send is k
 * (header, payload) pairs, all but the last exactly the segment size.
 */
struct fpgacap_datagram {
	uint32_t magic;
	uint8_t version;
	uint8_t header_size;		/* payload starts here (24 now) */
	uint16_t flags;			/* FPGACAP_DGRAM_* */
	uint64_t sequence;		/* per stream, from 0, no gaps */
	uint64_t offset;		/* stream offset of the payload */
};

/* Decode a datagram's header: the payload's start in @data (its
 * header_size), or -EPROTO if it is no fpgacap datagram. */
int fpgacap_datagram_decode(const void *data, size_t len,
			    struct fpgacap_datagram *host);

/* ---- verifying a received stream (the PC side) ---- */

enum fpgacap_verify_mode {
	FPGACAP_VERIFY_NONE,	/* count bytes only */
	FPGACAP_VERIFY_PATTERN,	/* raw stream of the pattern source */
	FPGACAP_VERIFY_FRAMED,	/* frames; payload checked as the pattern */
	FPGACAP_VERIFY_FRAMES,	/* frames only; payload not checked */
	FPGACAP_VERIFY_AUTO,	/* framed if it starts with a frame, else pattern */
};

struct fpgacap_verify_stats {
	uint32_t size;			/* in: sizeof; out: bytes filled */
	enum fpgacap_verify_mode mode;	/* auto: what it decided */
	uint64_t bytes;			/* everything received */
	uint64_t payload_bytes;
	uint64_t frames;
	uint64_t lost_events;		/* gaps the capture side reported */
	uint64_t lost_bytes;
	uint64_t sequence_errors;	/* frames missing or out of order */
	uint64_t offset_errors;		/* offset != previous end + lost */
	uint64_t header_errors;		/* bad magic or version */
	uint64_t data_errors;		/* words that are not the pattern */
	bool truncated;			/* ended inside a header, payload or word */
	bool empty;			/* checking, and no payload arrived */
	uint64_t first_error_at;	/* byte position in the connection */
	bool error;			/* any of the errors above */
	/* Since 1.1: datagram streams (fpgacap_verify_datagram()). */
	uint64_t datagrams;		/* received */
	uint64_t lost_datagrams;	/* sequence numbers never seen */
	uint64_t reordered;		/* arrived after a later one */
	uint64_t duplicates;		/* arrived twice */
	bool ended;			/* the END datagram arrived */
};

struct fpgacap_verifier;

int fpgacap_verify_create(enum fpgacap_verify_mode mode,
			  struct fpgacap_verifier **out);
void fpgacap_verify_destroy(struct fpgacap_verifier *v);
void fpgacap_verify_feed(struct fpgacap_verifier *v, const void *data,
			 size_t len);
/*
 * Since 1.1: one datagram of a datagram stream. Framed and auto check the
 * header and (framed) the payload as the pattern at its offset; frames
 * the header only; pattern takes headerless datagrams of pattern words.
 * Loss, reordering and duplicates are counted, not errors.
 */
void fpgacap_verify_datagram(struct fpgacap_verifier *v, const void *data,
			     size_t len);
int fpgacap_verify_get_stats(const struct fpgacap_verifier *v,
			     struct fpgacap_verify_stats *st);
const char *fpgacap_verify_mode_name(enum fpgacap_verify_mode mode);
int fpgacap_verify_mode_parse(const char *name,
			      enum fpgacap_verify_mode *mode);

/* ---- the pump: device -> socket, buffers recycled on release ---- */

struct fpgacap_pump_opts {
	uint32_t size;			/* sizeof(struct fpgacap_pump_opts) */
	bool framing;			/* a struct fpgacap_frame per buffer */
	unsigned int batch;		/* dequeue batch (0: 16) */
	uint64_t max_bytes;		/* stop after (0: no limit) */
	uint64_t max_buffers;		/* stop after (0: no limit) */
	int64_t timeout_ns;		/* longest dequeue wait (0: forever) */
	/* fd, mode and fallback of the sender; the pump sets its release,
	 * ctx, max_inflight and regions. */
	const struct fpgacap_sender_opts *send;
};

struct fpgacap_pump_stats {
	uint32_t size;			/* in: sizeof; out: bytes filled */
	uint64_t buffers;
	uint64_t payload_bytes;
	uint64_t lost_bytes;
	uint64_t lost_events;
	uint64_t error_buffers;
	/* capture-to-release latency, ns, over every released buffer */
	uint64_t latency_samples;
	uint64_t latency_min, latency_max, latency_sum;
};

struct fpgacap_pump;

int fpgacap_pump_create(struct fpgacap *dev,
			const struct fpgacap_pump_opts *opts,
			struct fpgacap_pump **out);
void fpgacap_pump_destroy(struct fpgacap_pump *p);
/*
 * Move one batch: dequeue, send, return whatever was released. 0 while
 * streaming (also when a timeout_ns wait found nothing), 1 once a limit
 * was reached or the stream stopped and drained (everything sent), -errno
 * (-EINTR on a signal: call again to go on, or finish).
 */
int fpgacap_pump_step(struct fpgacap_pump *p);
/* Wait for every outstanding buffer's release and return it. */
int fpgacap_pump_finish(struct fpgacap_pump *p, int timeout_ms);
int fpgacap_pump_get_stats(const struct fpgacap_pump *p,
			   struct fpgacap_pump_stats *st);
struct fpgacap_sender *fpgacap_pump_sender(struct fpgacap_pump *p);
/*
 * Latency (ns) at @percentile (0..100) over every released buffer, from a
 * histogram with 1/64 relative resolution (exact below 64 ns), clamped to
 * the exact minimum and maximum; 0 before the first release.
 */
uint64_t fpgacap_pump_latency(const struct fpgacap_pump *p,
			      double percentile);

#ifdef __cplusplus
}
#endif

#endif /* LIBFPGACAP_H */
