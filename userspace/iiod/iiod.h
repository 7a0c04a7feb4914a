/* SPDX-License-Identifier: MIT */
/*
 * fpgacap-iiod inside: the server (devices, connections, the records of
 * buffer sessions), one thread per connection, and what they share under
 * the server's lock. See docs/libiio.md for what clients see.
 */
#ifndef FPGACAP_IIOD_H
#define FPGACAP_IIOD_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "libfpgacap.h"
#include "config.h"

/* What the server says it is: libiio 0.24's protocol, its own tag. */
#define IIOD_PROTO_MAJOR 0
#define IIOD_PROTO_MINOR 24
#define IIOD_GIT_TAG "fpgacap"		/* 7 characters, as clients expect */
#define IIOD_DEFAULT_PORT "30431"

#define IIOD_LINE_MAX 4096		/* a command line */
#define IIOD_ATTR_MAX 4096		/* an attribute value */
#define IIOD_DISCARD_MAX (1U << 20)	/* payload skipped to stay in step */

/* Counters of one device since the server started. */
struct iiod_stats {
	uint64_t sessions;		/* buffers opened */
	uint64_t refused_busy;		/* OPENs refused: it was streaming */
	uint64_t bytes_sent;		/* sample data sent to clients */
	uint64_t readbufs;		/* READBUF commands served */
	uint64_t sends;			/* sends from pool buffers */
	uint64_t buffers_returned;	/* given back after their release */
	uint64_t completions;		/* zero-copy completions */
	uint64_t copied;		/* of which the kernel copied */
	uint64_t drops;			/* the source's runs of lost data */
	uint64_t bytes_dropped;
	uint64_t gaps;			/* discontinuities met */
	uint64_t bytes_skipped;		/* dropped to keep samples whole */
	uint64_t error_buffers;		/* buffers the source marked failed */
	uint64_t unreleased;		/* buffers whose release never came */
	uint64_t subset_bytes;		/* of bytes_sent: a channel subset's copy */
	uint64_t timeouts;		/* READBUFs ended by the client's TIMEOUT */
};

/* One buffer session (OPEN to CLOSE), for the summary and the bench. */
struct iiod_record {
	char device[IIOD_NAME_MAX];
	char peer[80];
	char mode[12];			/* send mode in use at the end */
	char requested[12];
	char ended_by[24];
	uint64_t samples_count;		/* the client's buffer, in samples */
	uint32_t buffers;		/* pool */
	uint64_t buffer_size;
	uint64_t bytes, readbufs, sends, completions, copied;
	uint64_t drops, bytes_dropped, bytes_skipped, unreleased;
	uint64_t subset_bytes, timeouts;
	unsigned int channels;		/* the client enabled */
	unsigned int channels_all;	/* the device has */
	double rate;			/* samples/s measured, 0: unknown */
	double seconds;			/* OPEN to the end */
	double thread_cpu_s;		/* the session's thread */
	double busy_s;			/* every CPU, from /proc/stat */
	double cpu_total_s;		/* every CPU, busy or idle */
	int error;			/* what ended it badly, or 0 */
};

struct iiod_conn;
struct iiod_session;

/* Why a connection ended, counted in the summary. */
enum iiod_end {
	IIOD_END_LEFT,			/* EXIT, closed or reset by the client */
	IIOD_END_VANISHED,		/* keepalive: its host stopped answering */
	IIOD_END_COMMAND_TIMEOUT,	/* a command not finished in time */
	IIOD_END_EVICTED,		/* idle, its place given to another */
	IIOD_END_STALL,			/* its data made no progress */
	IIOD_END_STOP,			/* the server stopped */
	IIOD_END_PROTOCOL,		/* a payload past every limit */
	IIOD_END_ERROR,
	IIOD_END_MAX
};
extern const char *const iiod_end_names[IIOD_END_MAX];

struct iiod_device {
	char path[256];
	char id[24];			/* iio:deviceN */
	struct iiod_devcfg cfg;		/* name, channels; settings (locked) */
	uint32_t sample_size;
	uint32_t mask_words;		/* 32-bit words of a channel mask */
	struct fpgacap *probe;		/* INFO and STATS only (locked) */
	struct fpgacap_info info;
	/* under the server's lock */
	struct iiod_conn *owner;	/* streaming client, or NULL */
	struct iiod_stats st;		/* sessions that ended */
	struct iiod_stats live;		/* the session running now */
	char live_mode[12];
	char last_session[400];
	double rate_measured;		/* samples/s of the last session, or 0 */
};

struct iiod_options {
	const char *listen;
	const char *config;
	const char *port_file;
	const char **devices;		/* -d; NULL: every /dev/fpgacap* */
	unsigned int ndevices;
	unsigned int max_clients;
	uint64_t stall_ns;		/* a send making no progress this long */
	uint64_t timeout_ms;		/* data wait of a READBUF (0: none) */
	uint64_t command_ns;		/* to finish a command once begun */
	unsigned int keepalive_s;	/* idle before probes (0: off) */
	uint64_t interval_ns;
	/* command-line settings for every device (has_* below) */
	uint32_t buffers;
	uint64_t buffer_size;
	enum fpgacap_send_mode mode;
	bool has_buffers, has_buffer_size, has_mode;
	bool json, quiet;
};

struct iiod_server {
	struct iiod_options o;
	pthread_mutex_t lock;
	struct iiod_device *devs;
	unsigned int ndevs;
	char *xml;			/* the context, built once */
	size_t xml_len;
	int listen_fd;
	char listen_name[96];
	/* under the lock */
	struct iiod_conn *conns;	/* live connection threads */
	unsigned int nconns;
	uint64_t accepted, refused_limit, bad_commands;
	uint64_t evicted;		/* idle, told to make room */
	uint64_t ended[IIOD_END_MAX];	/* connections, by why they ended */
	struct iiod_record *records;
	unsigned int nrecords, records_cap;
	uint64_t records_lost;
	atomic_bool stopping;
};

/*
 * Whether a send that started at @since (0: none in progress) has made no
 * progress for longer than @stall_ns at @now. The send may have started
 * after @now was read (another thread sets @since): that is no stall.
 */
static inline bool iiod_stalled(uint64_t since, uint64_t now,
				uint64_t stall_ns)
{
	return since && now > since && now - since > stall_ns;
}

enum iiod_abort {
	IIOD_RUN,
	IIOD_ABORT_STALL,		/* a send made no progress */
	IIOD_ABORT_STOP,		/* the server stops */
	IIOD_ABORT_EVICT,		/* idle, its place given to another */
};

/*
 * Whether a connection idle since @idle_since (0: busy) may be closed at
 * @now to make room for a new one: it holds no buffer session, is not in
 * the middle of a command, and has been quiet for at least @min_ns.
 */
static inline bool iiod_evictable(uint64_t idle_since, bool streaming,
				  uint64_t now, uint64_t min_ns)
{
	return idle_since && !streaming && now > idle_since &&
	       now - idle_since >= min_ns;
}

struct iiod_conn {
	struct iiod_server *srv;
	struct iiod_conn *next;
	pthread_t thread;
	int fd;
	char peer[80];
	atomic_int abort;		/* enum iiod_abort */
	atomic_uint_fast64_t busy_since; /* a send to the client started */
	/* waiting for a command with nothing of it read, since (0: not) */
	atomic_uint_fast64_t idle_since;
	atomic_bool has_session;	/* holds a device */
	atomic_bool done;		/* the thread ended */
	uint64_t timeout_ms;		/* TIMEOUT */
	char in[IIOD_LINE_MAX + 512];	/* bytes read, not yet parsed */
	size_t inlen;
	bool overlong;			/* discarding a line past the limit */
	struct iiod_session *session;
	struct iiod_device *streaming;	/* the session's device, or NULL */
	bool commanded;			/* a whole command came */
	/* the command being read (its line, a WRITE's payload) is whole by */
	uint64_t command_end;
};

/* ---- wire.c: a connection's socket ---- */
/*
 * Reply with @len bytes, or the @n pieces of @iov, in one send where the
 * socket takes it whole; 0 or -errno (the client stalls or is gone).
 * @iov is consumed.
 */
int iiod_write(struct iiod_conn *c, const void *buf, size_t len);
int iiod_writev(struct iiod_conn *c, struct iovec *iov, unsigned int n);
int iiod_reply_int(struct iiod_conn *c, long long v);
/* "@v\n", @len bytes of @data, "\n": a value read, PRINT. */
int iiod_reply_data(struct iiod_conn *c, long long v, const void *data,
		    size_t len);
/* The stall deadline of a write or payload read that starts now. */
uint64_t iiod_deadline(const struct iiod_conn *c);
/*
 * Wait for @events on the socket until @deadline (0: none): 0, -ETIMEDOUT,
 * -ECANCELED when the server aborts the connection, or -errno.
 */
int iiod_wait_fd(struct iiod_conn *c, short events, uint64_t deadline);

/* ---- conn.c: a connection's thread ---- */
void *iiod_conn_main(void *arg);

/* ---- session.c: streaming a device to one connection ---- */
/*
 * OPEN: the client's channels (@mask, @words 32-bit words) from @dev. One
 * session at a time per connection; a new one may follow CLOSE.
 */
int iiod_session_open(struct iiod_conn *c, struct iiod_device *dev,
		      uint64_t samples, const uint32_t *mask,
		      unsigned int words);
/*
 * Serve READBUF: reply with whole samples of the client's channels, as
 * chunks, up to @nbytes: all of them, then "0" if @nbytes held a partial
 * sample more; or, where the data stops (the client's TIMEOUT without a
 * pool buffer, a failed buffer, the device's error), the chunks sent so
 * far and then the negative errno, never a short reply that looks
 * complete. Returns 0 when the connection may go on, -errno when it must
 * end.
 */
int iiod_session_readbuf(struct iiod_conn *c, uint64_t nbytes);
/* End the session; @how says why ("CLOSE", "disconnect", ...). */
void iiod_session_close(struct iiod_conn *c, const char *how, bool graceful);

/* ---- context.c: the context XML and the attributes ---- */
int iiod_build_xml(struct iiod_server *srv);
struct iiod_device *iiod_find_device(struct iiod_server *srv,
				     const char *name);
const struct iiod_channel *iiod_find_channel(const struct iiod_device *d,
					     const char *name);
enum iiod_attr_kind { IIOD_ATTR_DEVICE, IIOD_ATTR_DEBUG, IIOD_ATTR_BUFFER };
/*
 * An attribute's value (NUL-terminated in @buf) or every attribute of the
 * kind as libiio's length-prefixed block (@attr NULL): bytes in @buf, or
 * -errno. Takes the server's lock.
 */
long iiod_attr_read(struct iiod_server *srv, struct iiod_device *d,
		    enum iiod_attr_kind kind, const char *attr, char *buf,
		    size_t len);
long iiod_attr_write(struct iiod_server *srv, struct iiod_device *d,
		     enum iiod_attr_kind kind, const char *attr,
		     const char *val, size_t len);
long iiod_chan_attr_read(const struct iiod_channel *ch, const char *attr,
			 char *buf, size_t len);

/* ---- record.c: what the server keeps of its sessions ---- */
void iiod_stats_add(struct iiod_stats *a, const struct iiod_stats *b);
void iiod_add_record(struct iiod_server *srv, const struct iiod_record *r);
/* Every CPU's busy and total time (s) from /proc/stat; -errno. */
int iiod_cpu_times(double *busy_s, double *total_s);

#endif /* FPGACAP_IIOD_H */
