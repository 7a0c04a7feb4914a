// SPDX-License-Identifier: MIT
/*
 * One client connection: libiio 0.24's text protocol, a command per line,
 * each answered with a decimal integer line (a length, or a negative
 * errno) and what follows it, in one send. A bad line is answered with
 * -EINVAL and parsing goes on at the next line; a line past IIOD_LINE_MAX
 * is skipped to its end. A command once begun (and the first one, from
 * the connection's start) must arrive whole within the command deadline.
 * The thread ends when the client leaves (EXIT, EOF, an error, keepalive
 * finding it gone) or the server tells it to (stall, stop, eviction).
 */
#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "iiod.h"

/* Read more into c->in; bytes read, 0 at end of file, or -errno. */
static ssize_t fill(struct iiod_conn *c, uint64_t deadline)
{
	for (;;) {
		ssize_t n;
		int ret;

		n = recv(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen,
			 MSG_DONTWAIT);
		if (n >= 0)
			return n;
		if (errno != EAGAIN && errno != EINTR)
			return -errno;
		ret = iiod_wait_fd(c, POLLIN | POLLRDHUP, deadline);
		if (ret)
			return ret;
	}
}

static void consume(struct iiod_conn *c, size_t n)
{
	memmove(c->in, c->in + n, c->inlen - n);
	c->inlen -= n;
}

/*
 * The deadline of what is being read: a line begun at @line_start, or
 * the first command of a connection that started at @t0; 0 for none (a
 * connection between commands may stay quiet: keepalive watches it).
 */
static uint64_t command_deadline(const struct iiod_conn *c,
				 uint64_t line_start, uint64_t t0)
{
	uint64_t ns = c->srv->o.command_ns;

	if (line_start)
		return line_start + ns;
	return c->commanded ? 0 : t0 + ns;
}

/* -ETIMEDOUT from a wait with @deadline is -ETIME, the command deadline's
 * (the socket's own -ETIMEDOUT says keepalive found the client gone). */
static ssize_t fill_until(struct iiod_conn *c, uint64_t deadline)
{
	ssize_t n = fill(c, deadline);

	if (n == -ETIMEDOUT && deadline && fc_now_ns() >= deadline)
		return -ETIME;
	return n;
}

/*
 * The next line, without its "\r\n", into @line. 1: a line, 0: the client
 * closed, -E2BIG: a line too long (skipped), -ETIME: the command deadline
 * passed, other -errno: end.
 */
static int read_line(struct iiod_conn *c, char *line, uint64_t t0)
{
	uint64_t line_start = c->inlen ? fc_now_ns() : 0;

	for (;;) {
		char *nl = memchr(c->in, '\n', c->inlen);
		ssize_t n;

		if (nl) {
			size_t len = (size_t)(nl - c->in);
			bool skipped = c->overlong || len > IIOD_LINE_MAX;

			c->overlong = false;
			if (!skipped) {
				memcpy(line, c->in, len);
				line[len] = 0;
			}
			consume(c, len + 1);
			if (skipped)
				return -E2BIG;
			/* What follows the line (a WRITE's payload) is
			 * part of its command: the same deadline. */
			c->command_end = line_start + c->srv->o.command_ns;
			return 1;
		}
		if (c->inlen >= IIOD_LINE_MAX) {
			/* Past the limit: drop what came, find its end. */
			c->overlong = true;
			c->inlen = 0;
		}
		/* Quiet between commands, with nothing of one read: a
		 * connection another one may take the place of. */
		if (!c->inlen && !c->overlong)
			atomic_store(&c->idle_since, fc_now_ns());
		n = fill_until(c, command_deadline(c, line_start, t0));
		atomic_store(&c->idle_since, 0);
		if (n <= 0)
			return (int)n;
		if (!line_start)
			line_start = fc_now_ns();
		c->inlen += (size_t)n;
	}
}

/*
 * Exactly @len bytes of payload after a command line, by the deadline of
 * the command they are part of (set when its line came): a client cannot
 * stretch one command to twice the deadline by sending its line at the
 * last moment and its payload at the next.
 */
static int read_payload(struct iiod_conn *c, char *buf, size_t len)
{
	uint64_t deadline = c->command_end;

	while (len) {
		size_t k = c->inlen < len ? c->inlen : len;
		ssize_t n;

		if (k) {
			if (buf) {
				memcpy(buf, c->in, k);
				buf += k;
			}
			consume(c, k);
			len -= k;
			continue;
		}
		n = fill_until(c, deadline);
		if (n < 0)
			return (int)n;
		if (!n)
			return -EPIPE;
		c->inlen += (size_t)n;
	}
	return 0;
}

/* ---- commands ---- */

#define MAX_TOKENS 16

struct cmd {
	char *tok[MAX_TOKENS];
	int n;
};

static bool is(const char *tok, const char *word)
{
	return !strcasecmp(tok, word);
}

/* A whole decimal number, as the protocol writes lengths and counts. */
static bool number(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		uint64_t d = (uint64_t)(*s - '0');

		if (!isdigit((unsigned char)*s) || v > max / 10 ||
		    d > max - v * 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

static int cmd_help(struct iiod_conn *c)
{
	static const char help[] =
		"fpgacap-iiod speaks libiio 0.24's protocol:\n"
		"\tVERSION | PRINT | TIMEOUT <ms> | EXIT | HELP\n"
		"\tOPEN <device> <samples_count> <mask> [CYCLIC]\n"
		"\tCLOSE <device>\n"
		"\tREAD <device> DEBUG|BUFFER|[INPUT|OUTPUT <channel>] "
		"[<attribute>]\n"
		"\tWRITE <device> DEBUG|BUFFER|[INPUT|OUTPUT <channel>] "
		"[<attribute>] <bytes_count>\n"
		"\tREADBUF <device> <bytes_count>\n"
		"\tWRITEBUF <device> <bytes_count>\n"
		"\tGETTRIG <device> | SETTRIG <device> [<trigger>]\n"
		"\tSET <device> BUFFERS_COUNT <count>\n";

	return iiod_write(c, help, sizeof(help) - 1);
}

static int cmd_version(struct iiod_conn *c)
{
	char buf[64];
	int n = snprintf(buf, sizeof(buf), "%d.%d.%-7.7s\n", IIOD_PROTO_MAJOR,
			 IIOD_PROTO_MINOR, IIOD_GIT_TAG);

	return iiod_write(c, buf, (size_t)n);
}

static int cmd_print(struct iiod_conn *c)
{
	struct iiod_server *srv = c->srv;

	return iiod_reply_data(c, (long long)srv->xml_len, srv->xml,
			       srv->xml_len);
}

static int cmd_timeout(struct iiod_conn *c, struct cmd *m)
{
	uint64_t ms;

	if (m->n != 2 || !number(m->tok[1], UINT32_MAX, &ms))
		return iiod_reply_int(c, -EINVAL);
	c->timeout_ms = ms;
	return iiod_reply_int(c, 0);
}

/* "0000000f" words, most significant first, as libiio writes a mask. */
static int parse_mask(const struct iiod_device *d, const char *s,
		      uint32_t *mask)
{
	unsigned int nchan = d->cfg.nchannels, i;
	bool any = false;

	if (strlen(s) != d->mask_words * 8)
		return -EINVAL;
	for (i = 0; i < d->mask_words; i++) {
		char word[9];
		char *end;

		memcpy(word, s + 8 * i, 8);
		word[8] = 0;
		if (!isxdigit((unsigned char)word[0]))
			return -EINVAL;
		mask[d->mask_words - 1 - i] = (uint32_t)strtoul(word, &end, 16);
		if (*end)
			return -EINVAL;
	}
	for (i = 0; i < d->mask_words * 32; i++) {
		bool on = mask[i / 32] >> (i % 32) & 1;

		if (on && i >= nchan)
			return -EINVAL;	/* no such channel */
		any |= on;
	}
	return any ? 0 : -EINVAL;
}

static int cmd_open(struct iiod_conn *c, struct cmd *m)
{
	uint32_t mask[(IIOD_MAX_CHANNELS + 31) / 32];
	struct iiod_device *d;
	uint64_t samples;
	int ret;

	if (m->n < 4 || m->n > 5 || (m->n == 5 && !is(m->tok[4], "CYCLIC")))
		return iiod_reply_int(c, -EINVAL);
	d = iiod_find_device(c->srv, m->tok[1]);
	if (!d)
		return iiod_reply_int(c, -ENODEV);
	if (!number(m->tok[2], 1ULL << 40, &samples) || !samples ||
	    parse_mask(d, m->tok[3], mask))
		return iiod_reply_int(c, -EINVAL);
	/* Cyclic buffers replay what a client wrote: output devices only. */
	if (m->n == 5)
		return iiod_reply_int(c, -EOPNOTSUPP);
	/* One buffer session at a time; another may follow its CLOSE (as
	 * libiio 1.0 stops and starts a buffer on one connection). */
	if (c->session)
		return iiod_reply_int(c, -EBUSY);
	ret = iiod_session_open(c, d, samples, mask, d->mask_words);
	return iiod_reply_int(c, ret);
}

static int cmd_close(struct iiod_conn *c, struct cmd *m)
{
	struct iiod_device *d;

	if (m->n != 2)
		return iiod_reply_int(c, -EINVAL);
	d = iiod_find_device(c->srv, m->tok[1]);
	if (!d)
		return iiod_reply_int(c, -ENODEV);
	if (c->streaming != d)
		return iiod_reply_int(c, -ENXIO);
	iiod_session_close(c, "CLOSE", true);
	return iiod_reply_int(c, 0);
}

static int cmd_readbuf(struct iiod_conn *c, struct cmd *m)
{
	struct iiod_device *d;
	uint64_t n;

	if (m->n != 3 || !number(m->tok[2], UINT64_MAX, &n))
		return iiod_reply_int(c, -EINVAL);
	d = iiod_find_device(c->srv, m->tok[1]);
	if (!d)
		return iiod_reply_int(c, -ENODEV);
	if (c->streaming != d)
		return iiod_reply_int(c, -EBADF);
	return iiod_session_readbuf(c, n);
}

/* Send a value read: its length, the bytes, a newline; one send. */
static int reply_value(struct iiod_conn *c, long ret, const char *buf)
{
	if (ret < 0)
		return iiod_reply_int(c, ret);
	return iiod_reply_data(c, ret, buf, (size_t)ret);
}

/*
 * Where a READ or WRITE points: the device, the kind of attribute, or a
 * channel; tokens after it in *next.
 */
struct target {
	struct iiod_device *dev;
	enum iiod_attr_kind kind;
	const struct iiod_channel *chn;
	bool is_chn;
	int err;			/* -ENODEV, -ENXIO, -EINVAL */
};

static int parse_target(struct iiod_conn *c, struct cmd *m,
			struct target *t)
{
	int i = 2;

	memset(t, 0, sizeof(*t));
	t->kind = IIOD_ATTR_DEVICE;
	if (m->n < 2) {
		t->err = -EINVAL;
		return i;
	}
	t->dev = iiod_find_device(c->srv, m->tok[1]);
	if (m->n > 2 && is(m->tok[2], "DEBUG")) {
		t->kind = IIOD_ATTR_DEBUG;
		i = 3;
	} else if (m->n > 2 && is(m->tok[2], "BUFFER")) {
		t->kind = IIOD_ATTR_BUFFER;
		i = 3;
	} else if (m->n > 2 && (is(m->tok[2], "INPUT") ||
				is(m->tok[2], "OUTPUT"))) {
		t->is_chn = true;
		if (m->n < 4) {
			t->err = -EINVAL;
			return i;
		}
		/* Every channel is an input. */
		if (t->dev && is(m->tok[2], "INPUT"))
			t->chn = iiod_find_channel(t->dev, m->tok[3]);
		i = 4;
	}
	if (!t->dev)
		t->err = -ENODEV;
	else if (t->is_chn && !t->chn)
		t->err = -ENXIO;
	return i;
}

static int cmd_read(struct iiod_conn *c, struct cmd *m)
{
	/* Room for the read-all block of every attribute. */
	static const size_t len = 0x10000;
	const char *attr;
	struct target t;
	char *buf;
	long ret;
	int i = parse_target(c, m, &t);

	if (m->n > i + 1)
		t.err = t.err ? t.err : -EINVAL;
	if (t.err)
		return iiod_reply_int(c, t.err);
	attr = m->n == i + 1 ? m->tok[i] : NULL;
	buf = malloc(len);
	if (!buf)
		return iiod_reply_int(c, -ENOMEM);
	if (t.is_chn)
		ret = iiod_chan_attr_read(t.chn, attr, buf, len);
	else
		ret = iiod_attr_read(c->srv, t.dev, t.kind, attr, buf, len);
	i = reply_value(c, ret, buf);
	free(buf);
	return i;
}

static int cmd_write(struct iiod_conn *c, struct cmd *m)
{
	const char *attr = NULL;
	struct target t;
	uint64_t len;
	char *buf;
	long ret;
	int i = parse_target(c, m, &t), err;

	/* [attribute] bytes_count */
	if (m->n == i + 2)
		attr = m->tok[i];
	else if (m->n != i + 1)
		return iiod_reply_int(c, -EINVAL);
	if (!number(m->tok[m->n - 1], UINT64_MAX, &len))
		return iiod_reply_int(c, -EINVAL);
	if (len > IIOD_ATTR_MAX * 16) {
		/* Skip a payload we can skip; past that, end. */
		if (len > IIOD_DISCARD_MAX) {
			iiod_reply_int(c, -EFBIG);
			return -EFBIG;
		}
		err = read_payload(c, NULL, len);
		return err ? err : iiod_reply_int(c, -EFBIG);
	}
	buf = malloc(len + 1);
	if (!buf)
		return -ENOMEM;
	err = read_payload(c, buf, len);
	if (err) {
		free(buf);
		return err;
	}
	if (t.err)
		ret = t.err;
	else if (t.is_chn)
		ret = -EACCES;	/* channel attributes are constants */
	else
		ret = iiod_attr_write(c->srv, t.dev, t.kind, attr, buf, len);
	free(buf);
	return iiod_reply_int(c, ret);
}

static int cmd_device_only(struct iiod_conn *c, struct cmd *m, int min,
			   int max, int answer)
{
	if (m->n < min || m->n > max)
		return iiod_reply_int(c, -EINVAL);
	if (!iiod_find_device(c->srv, m->tok[1]))
		return iiod_reply_int(c, -ENODEV);
	return iiod_reply_int(c, answer);
}

static int cmd_set(struct iiod_conn *c, struct cmd *m)
{
	struct iiod_server *srv = c->srv;
	struct iiod_device *d;
	uint64_t n;
	int ret = 0;

	if (m->n != 4 || !is(m->tok[2], "BUFFERS_COUNT"))
		return iiod_reply_int(c, -EINVAL);
	d = iiod_find_device(srv, m->tok[1]);
	if (!d)
		return iiod_reply_int(c, -ENODEV);
	if (!number(m->tok[3], d->info.max_buffers ? d->info.max_buffers :
		    65536, &n) || !n)
		return iiod_reply_int(c, -EINVAL);
	pthread_mutex_lock(&srv->lock);
	if (d->owner)
		ret = -EBUSY;
	else
		d->cfg.buffers = (uint32_t)n;
	pthread_mutex_unlock(&srv->lock);
	return iiod_reply_int(c, ret);
}

/* 0 to go on, 1 to end the connection (EXIT), -errno to end it. */
static int dispatch(struct iiod_conn *c, char *line)
{
	struct cmd m = { .n = 0 };
	char *save = NULL, *t;
	const char *w;

	for (t = strtok_r(line, " \t\r", &save); t;
	     t = strtok_r(NULL, " \t\r", &save)) {
		if (m.n == MAX_TOKENS)
			return iiod_reply_int(c, -EINVAL);
		m.tok[m.n++] = t;
	}
	if (!m.n)
		return 0;	/* an empty line says nothing */
	w = m.tok[0];
	if (is(w, "EXIT") || is(w, "QUIT"))
		return m.n == 1 ? 1 : iiod_reply_int(c, -EINVAL);
	if (is(w, "HELP") && m.n == 1)
		return cmd_help(c);
	if (is(w, "VERSION") && m.n == 1)
		return cmd_version(c);
	if (is(w, "PRINT") && m.n == 1)
		return cmd_print(c);
	/* No compressed context here: clients fall back to PRINT. Nor the
	 * binary protocol of libiio 1.0: its clients go on in this one, as
	 * they do with libiio 0.x's iiod, which answers both so. */
	if ((is(w, "ZPRINT") || is(w, "BINARY")) && m.n == 1)
		return iiod_reply_int(c, -EINVAL);
	if (is(w, "TIMEOUT"))
		return cmd_timeout(c, &m);
	if (is(w, "OPEN"))
		return cmd_open(c, &m);
	if (is(w, "CLOSE"))
		return cmd_close(c, &m);
	if (is(w, "READBUF"))
		return cmd_readbuf(c, &m);
	if (is(w, "READ"))
		return cmd_read(c, &m);
	if (is(w, "WRITE"))
		return cmd_write(c, &m);
	/* Capture devices take no samples from clients. */
	if (is(w, "WRITEBUF"))
		return cmd_device_only(c, &m, 3, 3, -EOPNOTSUPP);
	/* Nor have they triggers. */
	if (is(w, "GETTRIG"))
		return cmd_device_only(c, &m, 2, 2, -ENOENT);
	if (is(w, "SETTRIG"))
		return cmd_device_only(c, &m, 2, 3, -ENOENT);
	if (is(w, "SET"))
		return cmd_set(c, &m);
	pthread_mutex_lock(&c->srv->lock);
	c->srv->bad_commands++;
	pthread_mutex_unlock(&c->srv->lock);
	return iiod_reply_int(c, -EINVAL);
}

const char *const iiod_end_names[IIOD_END_MAX] = {
	[IIOD_END_LEFT] = "left",
	[IIOD_END_VANISHED] = "vanished",
	[IIOD_END_COMMAND_TIMEOUT] = "command_timeout",
	[IIOD_END_EVICTED] = "evicted",
	[IIOD_END_STALL] = "stall",
	[IIOD_END_STOP] = "server_stop",
	[IIOD_END_PROTOCOL] = "protocol",
	[IIOD_END_ERROR] = "error",
};

/* Why the connection ended, from its abort and the last result. */
static enum iiod_end end_reason(struct iiod_conn *c, int ret)
{
	switch (atomic_load(&c->abort)) {
	case IIOD_ABORT_STALL:
		return IIOD_END_STALL;
	case IIOD_ABORT_STOP:
		return IIOD_END_STOP;
	case IIOD_ABORT_EVICT:
		return IIOD_END_EVICTED;
	default:
		break;
	}
	if (ret == -ETIME)
		return IIOD_END_COMMAND_TIMEOUT;
	/* Keepalive: the client's host no longer answers. */
	if (ret == -ETIMEDOUT || ret == -EHOSTUNREACH)
		return IIOD_END_VANISHED;
	if (ret >= 0 || ret == -EPIPE || ret == -ECONNRESET)
		return IIOD_END_LEFT;
	if (ret == -EFBIG)
		return IIOD_END_PROTOCOL;
	return IIOD_END_ERROR;
}

void *iiod_conn_main(void *arg)
{
	static const char *const session_end[IIOD_END_MAX] = {
		[IIOD_END_LEFT] = "the client left",
		[IIOD_END_VANISHED] = "vanished",
		[IIOD_END_COMMAND_TIMEOUT] = "command timeout",
		[IIOD_END_EVICTED] = "evicted",
		[IIOD_END_STALL] = "stall",
		[IIOD_END_STOP] = "server stop",
		[IIOD_END_PROTOCOL] = "protocol",
		[IIOD_END_ERROR] = "error",
	};
	struct iiod_conn *c = arg;
	char *line = malloc(IIOD_LINE_MAX + 1);
	uint64_t t0 = fc_now_ns();
	enum iiod_end why;
	int ret = line ? 0 : -ENOMEM;

	while (!ret) {
		ret = read_line(c, line, t0);
		if (ret == -E2BIG) {
			pthread_mutex_lock(&c->srv->lock);
			c->srv->bad_commands++;
			pthread_mutex_unlock(&c->srv->lock);
			ret = iiod_reply_int(c, -EINVAL);
			continue;
		}
		if (ret <= 0)
			break;
		c->commanded = true;
		ret = dispatch(c, line);
	}
	why = end_reason(c, ret);
	if (c->session)
		iiod_session_close(c, session_end[why], false);
	pthread_mutex_lock(&c->srv->lock);
	c->srv->ended[why]++;
	pthread_mutex_unlock(&c->srv->lock);
	free(line);
	atomic_store(&c->done, true);
	return NULL;
}
