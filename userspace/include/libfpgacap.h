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
/*
 * Since 1.2: CONFIGURE with every input field of @req as the caller set it
 * (count, flags, buffer_size, rate, slot_size, slot_header; reserved
 * fields zero), then map the pool as fpgacap_configure() does. A slotted
 * pool (slot_size > 0) is what fpgacap_sender_send_slots() and
 * fpgacap_sender_send_records() send from: framed (the library writes
 * each datagram header into its slot's header room, so the pool must be
 * FPGACAP_CFG_WRITABLE) or FPGACAP_CFG_RECORDS (the source writes them).
 * fpgacap_layout() gives what the driver filled in.
 */
int fpgacap_configure_pool(struct fpgacap *dev,
			   const struct fpgacap_config *req);
const struct fpgacap_config *fpgacap_layout(const struct fpgacap *dev);
/* Start of buffer @index in the mapping; NULL if out of range. */
const void *fpgacap_buffer_data(const struct fpgacap *dev, uint32_t index);
/*
 * Since 1.2: the same address for writing, or NULL unless the pool is
 * mapped writable (FPGACAP_CFG_WRITABLE). Write only into a buffer you
 * hold (dequeued, not yet returned), and only where the source does not
 * write (a slotted pool's header rooms): see fpgacap_sender_send_slots().
 */
void *fpgacap_buffer_data_writable(const struct fpgacap *dev, uint32_t index);

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
	FPGACAP_SEND_AUTO,	/* best available, copy if copies persist;
				 * datagrams without slots: copy where
				 * zero-copy would fit fewer a send, or
				 * under 4 KiB a send */
	FPGACAP_SEND_COPY,	/* send(): the kernel copies */
	FPGACAP_SEND_ZEROCOPY,	/* sendmsg(MSG_ZEROCOPY) + error queue */
	FPGACAP_SEND_URING,	/* io_uring SEND_ZC + notifications */
};

const char *fpgacap_send_mode_name(enum fpgacap_send_mode mode);
int fpgacap_send_mode_parse(const char *name, enum fpgacap_send_mode *mode);
/* Whether this build of the library has @mode (io_uring is optional). */
bool fpgacap_send_mode_built(enum fpgacap_send_mode mode);

/*
 * Since 1.3: why auto copies from the start, though nothing fell back
 * (fell_back says why it switched to copying later).
 */
enum fpgacap_auto_copy {
	FPGACAP_AUTO_COPY_NONE,		/* auto took zero-copy, or not auto */
	FPGACAP_AUTO_COPY_FILE,		/* not a socket: nothing to pin */
	FPGACAP_AUTO_COPY_FEWER_PER_SEND, /* datagrams without slots:
					 * zero-copy fits fewer a send */
	FPGACAP_AUTO_COPY_SMALL_SENDS,	/* datagrams without slots: under
					 * 4 KiB of payload a send */
	FPGACAP_AUTO_COPY_UNSUPPORTED,	/* no io_uring here, and the socket
					 * refused SO_ZEROCOPY: see
					 * auto_copy_error */
};

/* Since 1.3: "none", "file", "fewer-per-send", "small-sends",
 * "unsupported"; "?" for a value this library does not know. */
const char *fpgacap_auto_copy_name(enum fpgacap_auto_copy why);

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
	/* Since 1.2. Buffers of datagram slots (a slotted pool: the UAPI's
	 * fpgacap_config.slot_size and slot_header) for
	 * fpgacap_sender_send_slots() and fpgacap_sender_send_records():
	 * each slot is one datagram of slot_size bytes, slot_header of them
	 * header room in front of the payload. datagram_size must then be 0
	 * or slot_size. 0: no slots. */
	uint32_t slot_size;
	uint32_t slot_header;
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
	uint32_t gso_segments;		/* datagrams per send now (1: no GSO;
					 * whole slots with slot_size) */
	int gso_error;			/* why UDP_SEGMENT was refused, or 0 */
	uint64_t datagrams;		/* datagrams sent */
	uint64_t gso_shrunk;		/* sends refused as too big (EMSGSIZE) */
	/* Since 1.2: what the datagrams took. */
	uint64_t datagram_sends;	/* sendmsg() calls or io_uring requests */
	uint64_t datagram_iovecs;	/* memory pieces in them (the kernel
					 * pins each one apart) */
	uint64_t fixed_sends;		/* io_uring requests from registered
					 * buffers: nothing pinned */
	/* Since 1.3: why auto copies from the start. */
	enum fpgacap_auto_copy auto_copy;
	int auto_copy_error;		/* _UNSUPPORTED: why SO_ZEROCOPY
					 * was refused (an errno) */
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
/*
 * Since 1.2, a sender created with slot_size: send a buffer of datagram
 * slots straight from the pool, one datagram per slot, a run of whole
 * slots per send (one piece of memory: UDP GSO with the segment size
 * slot_size; 44 datagrams of 1472 bytes from a 64 KiB buffer). @payload
 * is the buffer's payload bytes (fpgacap_buffer.bytes_used: slots hold
 * slot_size - slot_header each, the last may be short).
 *
 * Framed: before sending, the library writes each slot's datagram header
 * into its header room at @buffer + k * slot_size (a struct
 * fpgacap_dgram_header with header_size = slot_header, the rest of the
 * room zeroed): sequence on from the stream's last datagram, offset
 * @offset + k * (slot_size - slot_header), FIRST on slot 0 with @flags
 * (FPGACAP_DGRAM_LOST, _ERROR). @buffer must be writable and held by the
 * caller until release (the buffer was dequeued and is not yet returned);
 * nothing is written after this call returns. Needs slot_header a
 * multiple of 8 from 24 to FPGACAP_SLOT_HEADER_MAX, the slotted pool's
 * rule (-EINVAL otherwise, before anything is written).
 *
 * Records: the source wrote every header; the library reads and writes
 * nothing of @buffer (a read-only mapping will do) and sends the slots as
 * they are. The stream's sequence counts the records sent, so the source
 * must number its records from 0 at START, one a record, as the pattern
 * source does; @offset is the stream offset of the first payload byte.
 *
 * Release, signals and errors as fpgacap_sender_send_datagrams();
 * -EINVAL without slot geometry, -EPROTOTYPE on a stream socket.
 */
int fpgacap_sender_send_slots(struct fpgacap_sender *s, void *buffer,
			      size_t payload, uint64_t offset, uint32_t flags,
			      uint64_t cookie);
int fpgacap_sender_send_records(struct fpgacap_sender *s, const void *buffer,
				size_t payload, uint64_t offset,
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
	 * ctx, max_inflight and regions, and for a slotted pool (since 1.2)
	 * slot_size and slot_header: such a pool goes out as datagrams from
	 * its slots (fpgacap_sender_send_slots(), or _records() with
	 * FPGACAP_CFG_RECORDS), on a UDP socket only (-EPROTOTYPE), and a
	 * framed one must be writable (-EACCES). */
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

/* ---- recording to a file or block device (since 1.2) ---- */

/*
 * The disk twin of the sender: each buffer goes to the file with O_DIRECT
 * through io_uring, straight from the pool's pages, and is released only
 * once the write completed (the kernel no longer reads a page of it). An
 * index beside the data says where each buffer went and what it carries.
 */
enum fpgacap_record_mode {
	FPGACAP_RECORD_AUTO,	/* fixed where the kernel registers the pool,
				 * else direct */
	FPGACAP_RECORD_DIRECT,	/* writes from the pool, pages pinned per write */
	FPGACAP_RECORD_FIXED,	/* writes from the pool registered with
				 * io_uring: nothing pinned per write */
	FPGACAP_RECORD_COPY,	/* memcpy into the library's aligned memory,
				 * then the same write; the buffer is released
				 * after the copy */
};

const char *fpgacap_record_mode_name(enum fpgacap_record_mode mode);
int fpgacap_record_mode_parse(const char *name,
			      enum fpgacap_record_mode *mode);

/* fpgacap_recorder_opts.flags */
#define FPGACAP_RECORD_SYNC	0x1U	/* each write reaches stable storage
					 * before it is acknowledged (RWF_DSYNC),
					 * and so does its index entry */

struct fpgacap_recorder_opts {
	uint32_t size;			/* sizeof(struct fpgacap_recorder_opts) */
	/* A regular file or block device open for writing, O_DIRECT for
	 * the page cache to stay out of it (without, the kernel copies);
	 * on a 32-bit system with O_LARGEFILE (_FILE_OFFSET_BITS=64), or a
	 * file stops at 2 GiB (EFBIG). */
	int fd;
	int index_fd;			/* the index, written from offset 0; -1: none */
	enum fpgacap_record_mode mode;
	uint32_t flags;			/* FPGACAP_RECORD_* */
	unsigned int max_inflight;	/* buffers being written (0: 64) */
	uint64_t offset;		/* the recording starts here in fd
					 * (a multiple of block_size) */
	/* Every write starts at a multiple of this and is a multiple of it
	 * long (0: the block device's logical block size, the file's
	 * O_DIRECT alignment, else 4096); at most the page size. */
	uint32_t block_size;
	/* io_uring: memory to register as fixed buffers (the pool's
	 * mapping); read only during fpgacap_recorder_create(). */
	const struct iovec *regions;
	unsigned int nregions;
	fpgacap_release_fn release;
	void *ctx;
	/* What the index header says of the pool (0: not known). */
	uint64_t buffer_size;
	uint32_t slot_size, slot_header;
	uint32_t source;		/* FPGACAP_SOURCE_* */
	uint32_t pool_flags;		/* FPGACAP_CFG_* */
};

struct fpgacap_recorder_stats {
	uint32_t size;			/* in: sizeof; out: bytes filled */
	enum fpgacap_record_mode mode;	/* in use */
	enum fpgacap_record_mode requested;
	bool uring;			/* false: synchronous pwrite() (no io_uring) */
	bool direct;			/* fd is O_DIRECT */
	bool fixed_buffers;		/* registered buffers in use */
	/* Why registration was refused, or 0. Linux 6.1 refuses device
	 * mappings (EFAULT, EOPNOTSUPP): writes pin per request there. */
	int fixed_buffers_error;
	uint32_t block_size;
	uint64_t buffers;		/* taken by fpgacap_recorder_write() */
	uint64_t bytes;			/* their bytes */
	uint64_t acknowledged;		/* buffers written whole, in the index */
	uint64_t acknowledged_bytes;
	uint64_t failed;		/* buffers the file did not take whole */
	uint64_t failed_bytes;		/* bytes of them not written */
	uint64_t writes;		/* write requests */
	uint64_t fixed_writes;		/* of which from registered buffers */
	uint64_t resubmitted;		/* short writes and EAGAIN, resumed */
	uint64_t copied_bytes;		/* copy mode, and short buffers' last block */
	uint64_t padding_bytes;		/* zeros after short buffers */
	uint64_t syscalls;		/* io_uring_enter, pwrite, fdatasync */
	uint64_t index_entries;		/* entries in the index, END included */
	uint64_t file_end;		/* next write position in fd */
	int error;			/* first failure (positive errno), or 0 */
	uint64_t error_offset;		/* where in fd it happened */
	bool index_error;		/* the failure was the index's */
	bool finished;			/* fpgacap_recorder_finish() wrote END */
	uint32_t inflight;		/* buffers being written now */
};

struct fpgacap_recorder;

/*
 * Check the file (block size, O_DIRECT), set up io_uring (without it, or
 * built without liburing: synchronous writes, one at a time; FIXED then
 * fails -ENOSYS), register the regions (FIXED: refused registration fails
 * with the kernel's errno; AUTO goes on with DIRECT), write the index
 * header. -EINVAL for a bad offset or block size.
 */
int fpgacap_recorder_create(const struct fpgacap_recorder_opts *opts,
			    struct fpgacap_recorder **out);
/* Closes nothing. Writes still in flight (finish timed out) stay the
 * kernel's: never return their buffers to the driver. */
void fpgacap_recorder_destroy(struct fpgacap_recorder *r);

/*
 * Write @len bytes at @data (a buffer of the pool, page-aligned) as the
 * recording's next buffer, @b its metadata for the index (sequence,
 * offset, timestamp, loss, flags; NULL: numbered by the recorder). One
 * call per buffer. Returns 0 once the write is queued; release(@cookie)
 * follows when the kernel no longer reads the pages (in copy mode, at
 * once). A length that is not a block multiple is written whole, its last
 * block padded with zeros. -EINTR: a signal came while waiting for room,
 * nothing queued (the caller keeps the buffer). After a failed write
 * every call returns that error (-EIO, -ENOSPC ...): nothing is queued
 * behind a failure.
 */
int fpgacap_recorder_write(struct fpgacap_recorder *r,
			   const struct fpgacap_buffer *b, const void *data,
			   size_t len, uint64_t cookie);
/* Process completions, waiting up to @timeout_ms (< 0: until one comes);
 * returns how many buffers were released, or -errno (-EINTR). */
int fpgacap_recorder_reap(struct fpgacap_recorder *r, int timeout_ms);
/*
 * The end: wait up to @timeout_ms (< 0: as long as it takes; a signal
 * ends the wait) for every write, flush the file and the index to stable
 * storage, and append the index's END entry (its error: why the
 * recording stopped). 0, the recording's error, or -ETIMEDOUT with writes
 * still in flight (not in the index, their buffers not released).
 */
int fpgacap_recorder_finish(struct fpgacap_recorder *r, int timeout_ms);
unsigned int fpgacap_recorder_pending(const struct fpgacap_recorder *r);
int fpgacap_recorder_get_stats(const struct fpgacap_recorder *r,
			       struct fpgacap_recorder_stats *st);

/* ---- the index of a recording (since 1.2) ---- */

/*
 * A header, then one entry per buffer in stream order, then an END entry
 * when the recorder finished; all little-endian, each with a CRC-32C of
 * its other bytes. An entry is written only after its data write
 * completed, so a crash leaves an index that describes data on the disk
 * (its last entry possibly torn: the CRC tells). See docs/library.md.
 */
#define FPGACAP_INDEX_MAGIC	0x58494346U	/* "FCIX" little-endian */
#define FPGACAP_INDEX_VERSION	1
#define FPGACAP_INDEX_HEADER_SIZE 128
#define FPGACAP_INDEX_ENTRY_SIZE 64

/* fpgacap_index_header.flags */
#define FPGACAP_INDEX_SYNC	0x1U	/* recorded with FPGACAP_RECORD_SYNC */

/* fpgacap_index_entry.flags: FPGACAP_BUF_* in the low byte, and */
#define FPGACAP_INDEX_FAILED	0x0100U	/* the write failed: @written of it
					 * reached the file, @error says why */
#define FPGACAP_INDEX_END	0x8000U	/* the recording's end */

struct fpgacap_index_header {
	uint32_t magic;
	uint16_t version;
	uint16_t header_size;		/* entries start here */
	uint16_t entry_size;
	uint32_t block_size;		/* entries' file offsets are multiples */
	uint64_t data_offset;		/* the first entry's file offset */
	uint64_t buffer_size;		/* of the pool, 0: not known */
	uint32_t slot_size, slot_header; /* a slotted pool's, or 0 */
	uint32_t source;		/* FPGACAP_SOURCE_*, 0: not known */
	uint32_t pool_flags;		/* FPGACAP_CFG_* of the pool */
	uint32_t flags;			/* FPGACAP_INDEX_SYNC */
	/* The start, on both clocks: entries' timestamps are monotonic. */
	uint64_t start_realtime_ns;	/* CLOCK_REALTIME */
	uint64_t start_monotonic_ns;	/* CLOCK_MONOTONIC */
};

struct fpgacap_index_entry {
	uint64_t sequence;		/* the buffer's (END: the next one's) */
	uint64_t stream_offset;		/* of its first payload byte (END:
					 * where the stream ended) */
	uint64_t file_offset;		/* where its bytes start in the data
					 * (END: where the data ends) */
	uint64_t bytes;			/* of the buffer written there */
	uint64_t written;		/* of those, the file took (== bytes
					 * unless FAILED) */
	uint64_t timestamp_ns;		/* capture (END: the recorder's end),
					 * CLOCK_MONOTONIC */
	uint64_t lost_bytes;		/* capture lost just before it */
	uint16_t flags;			/* FPGACAP_BUF_*, FPGACAP_INDEX_* */
	uint16_t error;			/* positive errno: FAILED, or END's
					 * reason to stop; 0 */
};

/* The wire forms (FPGACAP_INDEX_*_SIZE bytes) of a header and an entry,
 * CRC included. Decoding: 0, -EPROTO (not an index, or a version or
 * sizes this library cannot read), -EBADMSG (the CRC does not match: a
 * torn or corrupted write). */
void fpgacap_index_header_encode(void *wire,
				 const struct fpgacap_index_header *h);
int fpgacap_index_header_decode(const void *wire, size_t len,
				struct fpgacap_index_header *h);
void fpgacap_index_entry_encode(void *wire,
				const struct fpgacap_index_entry *e);
int fpgacap_index_entry_decode(const void *wire, size_t len,
			       struct fpgacap_index_entry *e);

/* ---- reading a recording back (since 1.2) ---- */

/*
 * Checks a recording against its index, entry by entry: the index itself
 * (CRCs, sequence without gaps, stream offsets that go on where the last
 * buffer ended plus what capture lost, file offsets in order), then the
 * data each entry says is on the disk:
 *   FPGACAP_VERIFY_PATTERN: the pattern source's bytes at each entry's
 *     stream offset, every byte (a slotted pool's payloads), and zeros in
 *     a short buffer's padding;
 *   FPGACAP_VERIFY_FRAMED: a pool of records (FPGACAP_CFG_RECORDS): each
 *     slot's struct fpgacap_dgram_header (sequence on from the first,
 *     offset, FIRST and LOST flags, zeroed header room) and its payload
 *     as the pattern;
 *   FPGACAP_VERIFY_FRAMES: the records' headers only;
 *   FPGACAP_VERIFY_NONE: the index only;
 *   FPGACAP_VERIFY_AUTO: from the index header: the pattern source's
 *     records framed, its plain stream pattern; other sources' records
 *     frames, anything else none.
 * Loss is reported, not an error: what capture lost (lost_bytes) and
 * what the disk refused (FAILED entries).
 */
struct fpgacap_record_check_stats {
	uint32_t size;			/* in: sizeof; out: bytes filled */
	enum fpgacap_verify_mode mode;	/* auto: what it decided */
	uint64_t entries;		/* buffer entries read */
	uint64_t bytes;			/* of data checked */
	uint64_t payload_bytes;		/* stream bytes in them */
	uint64_t records;		/* slots of records checked */
	uint64_t first_sequence, next_sequence;
	uint64_t stream_start, stream_end;
	uint64_t lost_events, lost_bytes; /* capture loss the index reports */
	uint64_t failed_writes;		/* FAILED entries */
	uint64_t failed_bytes;		/* bytes of them not on the disk */
	uint64_t sequence_errors;	/* a buffer missing from the index */
	uint64_t offset_errors;		/* stream offsets that do not follow */
	uint64_t index_errors;		/* entries that contradict themselves,
					 * file offsets out of place, entries
					 * after the END */
	uint64_t crc_errors;		/* corrupted entries (not the last) */
	uint64_t data_errors;		/* bytes not what they should be */
	uint64_t padding_errors;	/* padding bytes that are not zero */
	uint64_t record_errors;		/* bad record headers */
	uint64_t short_data;		/* entries the data file ends inside */
	uint64_t first_error_entry;	/* entry number of the first error */
	uint64_t first_error_at;	/* its byte in the data file */
	bool torn;			/* the index ends in a partial or
					 * corrupted entry (a crash) */
	bool ended;			/* the END entry is there */
	int end_error;			/* its reason to stop (positive errno) */
	uint64_t end_timestamp_ns;
	bool empty;			/* checking data, and no payload */
	bool error;			/* any error above (torn is none) */
};

struct fpgacap_record_reader;

/*
 * Read and check the header of the index at @index_fd (from offset 0)
 * for the data at @data_fd (read with pread; O_DIRECT or not). -EPROTO,
 * -EBADMSG as fpgacap_index_header_decode(), -EINVAL for a mode that
 * does not fit the recording (framed without records).
 */
int fpgacap_record_reader_open(int data_fd, int index_fd,
			       enum fpgacap_verify_mode mode,
			       struct fpgacap_record_reader **out);
void fpgacap_record_reader_close(struct fpgacap_record_reader *rd);
int fpgacap_record_reader_header(const struct fpgacap_record_reader *rd,
				 struct fpgacap_index_header *h);
/* Check up to @max entries (0: all). Returns how many, 0 at the index's
 * end, -errno if a read failed. */
int fpgacap_record_reader_step(struct fpgacap_record_reader *rd,
			       unsigned int max);
int fpgacap_record_reader_get_stats(const struct fpgacap_record_reader *rd,
				    struct fpgacap_record_check_stats *st);

/* ---- a recording: device -> disk, buffers recycled on release ---- */

struct fpgacap_recording_opts {
	uint32_t size;			/* sizeof(struct fpgacap_recording_opts) */
	unsigned int batch;		/* dequeue batch (0: 16) */
	uint64_t max_bytes;		/* stop after (0: no limit) */
	uint64_t max_buffers;		/* stop after (0: no limit) */
	int64_t timeout_ns;		/* longest dequeue wait (0: forever) */
	/* fd, index_fd, mode, flags, offset, block_size of the recorder; the
	 * recording sets its release, ctx, max_inflight, regions and what
	 * the index says of the pool. */
	const struct fpgacap_recorder_opts *record;
};

struct fpgacap_recording_stats {
	uint32_t size;			/* in: sizeof; out: bytes filled */
	uint64_t buffers;		/* handed to the recorder */
	uint64_t payload_bytes;
	uint64_t lost_bytes;		/* capture loss, from the driver */
	uint64_t lost_events;
	uint64_t error_buffers;		/* FPGACAP_BUF_ERROR */
	uint64_t unwritten_buffers;	/* dequeued after a failed write and
					 * given back unwritten */
	uint64_t unwritten_bytes;
	/* capture-to-release latency, ns, over every released buffer */
	uint64_t latency_samples;
	uint64_t latency_min, latency_max, latency_sum;
};

struct fpgacap_recording;

int fpgacap_recording_create(struct fpgacap *dev,
			     const struct fpgacap_recording_opts *opts,
			     struct fpgacap_recording **out);
void fpgacap_recording_destroy(struct fpgacap_recording *rec);
/*
 * Move one batch: dequeue, write, return whatever was released. 0 while
 * recording, 1 once a limit was reached or the stream stopped and
 * drained, -errno: -EINTR on a signal (call again to go on, or finish),
 * or the write error that ended the recording (-EIO, -ENOSPC ...).
 */
int fpgacap_recording_step(struct fpgacap_recording *rec);
/* fpgacap_recorder_finish(), then every released buffer back to the
 * driver; buffers still being written are not returned. */
int fpgacap_recording_finish(struct fpgacap_recording *rec, int timeout_ms);
int fpgacap_recording_get_stats(const struct fpgacap_recording *rec,
				struct fpgacap_recording_stats *st);
struct fpgacap_recorder *fpgacap_recording_recorder(
	struct fpgacap_recording *rec);
/* Latency (ns) at @percentile, as fpgacap_pump_latency(). */
uint64_t fpgacap_recording_latency(const struct fpgacap_recording *rec,
				   double percentile);

#ifdef __cplusplus
}
#endif

#endif /* LIBFPGACAP_H */
