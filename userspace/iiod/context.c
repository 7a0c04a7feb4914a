// SPDX-License-Identifier: MIT
/*
 * What clients see of the devices: the context XML (devices, channels and
 * the names of their attributes) and the attributes' values. Values are
 * read and written under the server's lock.
 */
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cli.h"
#include "iiod.h"

/* ---- the context XML (iiod_build_xml() at the end) ---- */

/*
 * The document type libiio validates against (XML_PARSE_DTDVALID): a
 * context holds devices and context attributes, a device its channels and
 * named attributes, a channel an optional scan element and attributes.
 */
static const char dtd[] =
	"<?xml version=\"1.0\" encoding=\"utf-8\"?>"
	"<!DOCTYPE context ["
	"<!ELEMENT context (device | context-attribute)*>"
	"<!ELEMENT context-attribute EMPTY>"
	"<!ELEMENT device (channel | attribute | debug-attribute | "
	"buffer-attribute)*>"
	"<!ELEMENT channel (scan-element?, attribute*)>"
	"<!ELEMENT attribute EMPTY>"
	"<!ELEMENT scan-element EMPTY>"
	"<!ELEMENT debug-attribute EMPTY>"
	"<!ELEMENT buffer-attribute EMPTY>"
	"<!ATTLIST context name CDATA #REQUIRED version-major CDATA #REQUIRED "
	"version-minor CDATA #REQUIRED version-git CDATA #REQUIRED "
	"description CDATA #IMPLIED>"
	"<!ATTLIST context-attribute name CDATA #REQUIRED value CDATA "
	"#REQUIRED>"
	"<!ATTLIST device id CDATA #REQUIRED name CDATA #IMPLIED label CDATA "
	"#IMPLIED>"
	"<!ATTLIST channel id CDATA #REQUIRED type (input|output) #REQUIRED "
	"name CDATA #IMPLIED>"
	"<!ATTLIST scan-element index CDATA #REQUIRED format CDATA #REQUIRED "
	"scale CDATA #IMPLIED>"
	"<!ATTLIST attribute name CDATA #REQUIRED filename CDATA #IMPLIED>"
	"<!ATTLIST debug-attribute name CDATA #REQUIRED>"
	"<!ATTLIST buffer-attribute name CDATA #REQUIRED>"
	"]>";

/* @s as an XML attribute value. */
static void xml_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&apos;", f); break;
		default:
			if ((unsigned char)*s >= 0x20)
				fputc(*s, f);
		}
	}
}

static void xml_pair(FILE *f, const char *key, const char *value)
{
	fprintf(f, " %s=\"", key);
	xml_text(f, value);
	fputc('"', f);
}

struct dev_attr {
	const char *name;
	/* into @buf (IIOD_ATTR_MAX), lock held */
	void (*read)(struct iiod_server *srv, struct iiod_device *d,
		     char *buf);
	/* lock held; 0 or -errno */
	int (*write)(struct iiod_server *srv, struct iiod_device *d,
		     const char *val);
};

static const char *source_name(uint32_t s)
{
	static const char *const names[] = {
		"unknown", "pattern", "slave-dma", "memcpy",
	};

	return s < 4 ? names[s] : "unknown";
}

struct iiod_device *iiod_find_device(struct iiod_server *srv,
				     const char *name)
{
	unsigned int i;

	for (i = 0; i < srv->ndevs; i++)
		if (!strcmp(srv->devs[i].id, name) ||
		    !strcmp(srv->devs[i].cfg.name, name))
			return &srv->devs[i];
	return NULL;
}

const struct iiod_channel *iiod_find_channel(const struct iiod_device *d,
					     const char *name)
{
	unsigned int i;

	for (i = 0; i < d->cfg.nchannels; i++)
		if (!strcmp(d->cfg.channels[i].id, name) ||
		    (d->cfg.channels[i].name[0] &&
		     !strcmp(d->cfg.channels[i].name, name)))
			return &d->cfg.channels[i];
	return NULL;
}

/* ---- device attributes ---- */

#define RD_U64(fn, expr)						\
static void fn(struct iiod_server *srv, struct iiod_device *d, char *buf) \
{									\
	(void)srv;							\
	snprintf(buf, IIOD_ATTR_MAX, "%llu", (unsigned long long)(expr)); \
}

/* Counters: the sessions that ended and the one running. */
#define RD_STAT(fn, member) RD_U64(fn, d->st.member + d->live.member)

RD_U64(rd_buffers, d->cfg.buffers)
RD_U64(rd_buffer_size, d->cfg.buffer_size)
RD_U64(rd_sample_size, d->sample_size)
/*
 * The rate clients label their axes with: the clock's where the source
 * has one, else the rate the configuration declares (the design's ADC
 * clock: the driver cannot know it), else what the last (or running)
 * session measured from the buffers' stream offsets and capture times,
 * drops included. 0 only before any session of a device without either.
 */
static const char *frequency_source(const struct iiod_device *d)
{
	if (d->cfg.sampling_frequency)
		return d->info.caps & FPGACAP_CAP_RATE ? "clock" : "configured";
	return d->rate_measured > 0 ? "measured" : "none";
}

static void rd_frequency(struct iiod_server *srv, struct iiod_device *d,
			 char *buf)
{
	unsigned long long v = d->cfg.sampling_frequency;

	(void)srv;
	if (!v && d->rate_measured > 0)
		v = (unsigned long long)(d->rate_measured + 0.5);
	snprintf(buf, IIOD_ATTR_MAX, "%llu", v);
}

static void rd_frequency_source(struct iiod_server *srv,
				struct iiod_device *d, char *buf)
{
	(void)srv;
	snprintf(buf, IIOD_ATTR_MAX, "%s", frequency_source(d));
}

static void rd_frequency_measured(struct iiod_server *srv,
				  struct iiod_device *d, char *buf)
{
	(void)srv;
	snprintf(buf, IIOD_ATTR_MAX, "%.3f", d->rate_measured);
}
RD_STAT(rd_sessions, sessions)
RD_STAT(rd_refused, refused_busy)
RD_STAT(rd_readbufs, readbufs)
RD_STAT(rd_bytes, bytes_sent)
RD_STAT(rd_sends, sends)
RD_STAT(rd_returned, buffers_returned)
RD_STAT(rd_completions, completions)
RD_STAT(rd_copied, copied)
RD_STAT(rd_drops, drops)
RD_STAT(rd_bytes_dropped, bytes_dropped)
RD_STAT(rd_gaps, gaps)
RD_STAT(rd_skipped, bytes_skipped)
RD_STAT(rd_error_buffers, error_buffers)
RD_STAT(rd_unreleased, unreleased)
RD_STAT(rd_subset_bytes, subset_bytes)
RD_STAT(rd_timeouts, timeouts)

static void rd_mode(struct iiod_server *srv, struct iiod_device *d,
		    char *buf)
{
	(void)srv;
	snprintf(buf, IIOD_ATTR_MAX, "%s", fpgacap_send_mode_name(d->cfg.mode));
}

static void rd_modes(struct iiod_server *srv, struct iiod_device *d,
		     char *buf)
{
	enum fpgacap_send_mode m;
	size_t n = 0;

	(void)srv;
	(void)d;
	buf[0] = 0;
	for (m = FPGACAP_SEND_AUTO; m <= FPGACAP_SEND_URING; m++)
		if (fpgacap_send_mode_built(m))
			n += (size_t)snprintf(buf + n, IIOD_ATTR_MAX - n, "%s%s",
					      n ? " " : "",
					      fpgacap_send_mode_name(m));
}

static void rd_mode_used(struct iiod_server *srv, struct iiod_device *d,
			 char *buf)
{
	(void)srv;
	snprintf(buf, IIOD_ATTR_MAX, "%s", d->live_mode[0] ? d->live_mode :
		 "none");
}

static void rd_source(struct iiod_server *srv, struct iiod_device *d,
		      char *buf)
{
	(void)srv;
	snprintf(buf, IIOD_ATTR_MAX, "%s", source_name(d->info.source));
}

static void rd_source_name(struct iiod_server *srv, struct iiod_device *d,
			   char *buf)
{
	(void)srv;
	snprintf(buf, IIOD_ATTR_MAX, "%s", d->info.source_name);
}

static void rd_state(struct iiod_server *srv, struct iiod_device *d,
		     char *buf)
{
	(void)srv;
	snprintf(buf, IIOD_ATTR_MAX, "%s", d->owner ? "streaming" : "idle");
}

static void rd_client(struct iiod_server *srv, struct iiod_device *d,
		      char *buf)
{
	(void)srv;
	snprintf(buf, IIOD_ATTR_MAX, "%s", d->owner ? d->owner->peer : "none");
}

static void rd_last(struct iiod_server *srv, struct iiod_device *d,
		    char *buf)
{
	(void)srv;
	snprintf(buf, IIOD_ATTR_MAX, "%s", d->last_session[0] ?
		 d->last_session : "none");
}

static int parse_value(const char *val, unsigned int flags, uint64_t min,
		       uint64_t max, uint64_t *out)
{
	int ret = cli_parse_u64(val, flags, min, max, out);

	return ret == -ERANGE ? -EINVAL : ret;
}

static int wr_buffers(struct iiod_server *srv, struct iiod_device *d,
		      const char *val)
{
	uint64_t v;
	int ret;

	(void)srv;
	ret = parse_value(val, 0, 1, d->info.max_buffers ?
			  d->info.max_buffers : 65536, &v);
	if (ret)
		return ret;
	if (d->owner)
		return -EBUSY;
	d->cfg.buffers = (uint32_t)v;
	return 0;
}

static int wr_buffer_size(struct iiod_server *srv, struct iiod_device *d,
			  const char *val)
{
	uint64_t v, page = d->info.page_size ? d->info.page_size : 4096;
	int ret;

	(void)srv;
	ret = parse_value(val, CLI_SUFFIX, page, d->info.max_buffer_size ?
			  d->info.max_buffer_size : 1ULL << 40, &v);
	if (ret)
		return ret;
	if (v % page)
		return -EINVAL;
	if (d->owner)
		return -EBUSY;
	d->cfg.buffer_size = v;
	return 0;
}

static int wr_frequency(struct iiod_server *srv, struct iiod_device *d,
			const char *val)
{
	uint64_t v;
	int ret;

	(void)srv;
	ret = parse_value(val, 0, 0, (1ULL << 40) / d->sample_size, &v);
	if (ret)
		return ret;
	/* Without a clock, the rate is the design's, declared in the
	 * configuration: a client cannot change it. */
	if (!(d->info.caps & FPGACAP_CAP_RATE))
		return -EOPNOTSUPP;
	if (d->owner)
		return -EBUSY;
	d->cfg.sampling_frequency = v;
	return 0;
}

static int wr_mode(struct iiod_server *srv, struct iiod_device *d,
		   const char *val)
{
	enum fpgacap_send_mode m;

	(void)srv;
	if (fpgacap_send_mode_parse(val, &m))
		return -EINVAL;
	if (!fpgacap_send_mode_built(m))
		return -EOPNOTSUPP;
	/* Taken by the next buffer session. */
	d->cfg.mode = m;
	return 0;
}

static const struct dev_attr dev_attrs[] = {
	{ "buffer_count", rd_buffers, wr_buffers },
	{ "buffer_size", rd_buffer_size, wr_buffer_size },
	{ "sample_size", rd_sample_size, NULL },
	{ "sampling_frequency", rd_frequency, wr_frequency },
	{ "sampling_frequency_source", rd_frequency_source, NULL },
	{ "sampling_frequency_measured", rd_frequency_measured, NULL },
	{ "send_mode", rd_mode, wr_mode },
	{ "send_mode_available", rd_modes, NULL },
	{ "send_mode_used", rd_mode_used, NULL },
	{ "source", rd_source, NULL },
	{ "source_name", rd_source_name, NULL },
	{ "state", rd_state, NULL },
	{ "client", rd_client, NULL },
	{ "sessions", rd_sessions, NULL },
	{ "refused_busy", rd_refused, NULL },
	{ "readbufs", rd_readbufs, NULL },
	{ "bytes_sent", rd_bytes, NULL },
	{ "sends", rd_sends, NULL },
	{ "buffers_returned", rd_returned, NULL },
	{ "zerocopy_completions", rd_completions, NULL },
	{ "copied_completions", rd_copied, NULL },
	{ "drops", rd_drops, NULL },
	{ "bytes_dropped", rd_bytes_dropped, NULL },
	{ "gaps", rd_gaps, NULL },
	{ "bytes_skipped", rd_skipped, NULL },
	{ "error_buffers", rd_error_buffers, NULL },
	{ "unreleased_buffers", rd_unreleased, NULL },
	{ "subset_bytes", rd_subset_bytes, NULL },
	{ "readbuf_timeouts", rd_timeouts, NULL },
	{ "last_session", rd_last, NULL },
};
static const unsigned int ndev_attrs = sizeof(dev_attrs) / sizeof(dev_attrs[0]);

/*
 * Buffer attributes, as the kernel's IIO buffers name theirs (in
 * samples): what the next (or running) session's pool holds, what one
 * pool buffer holds, whether a client streams. libiio 1.0 clients built
 * before July 2026 find a device's buffer by these.
 */
RD_U64(rd_buf_length, d->cfg.buffers * d->cfg.buffer_size / d->sample_size)
RD_U64(rd_buf_watermark, d->cfg.buffer_size / d->sample_size)
RD_U64(rd_buf_enable, d->owner ? 1 : 0)

static const struct dev_attr buf_attrs[] = {
	{ "length", rd_buf_length, NULL },
	{ "watermark", rd_buf_watermark, NULL },
	{ "enable", rd_buf_enable, NULL },
};
static const unsigned int nbuf_attrs = sizeof(buf_attrs) / sizeof(buf_attrs[0]);

static const struct dev_attr *attr_table(enum iiod_attr_kind kind,
					 unsigned int *n)
{
	switch (kind) {
	case IIOD_ATTR_DEVICE:
		*n = ndev_attrs;
		return dev_attrs;
	case IIOD_ATTR_BUFFER:
		*n = nbuf_attrs;
		return buf_attrs;
	default:
		*n = 0;
		return NULL;
	}
}

static const struct dev_attr *find_attr(enum iiod_attr_kind kind,
					const char *name)
{
	unsigned int i, n;
	const struct dev_attr *t = attr_table(kind, &n);

	for (i = 0; i < n; i++)
		if (!strcmp(t[i].name, name))
			return &t[i];
	return NULL;
}

/* Append one value of the read-all block: big-endian length, padding. */
static size_t block_put(char *buf, size_t len, size_t at, long n,
			const char *val)
{
	uint32_t be = htobe32((uint32_t)(int32_t)n);
	size_t padded = n > 0 ? ((size_t)n + 3) & ~(size_t)3 : 0;

	if (at + 4 + padded > len)
		return at;
	memcpy(buf + at, &be, 4);
	if (n > 0) {
		memset(buf + at + 4, 0, padded);
		memcpy(buf + at + 4, val, (size_t)n);
	}
	return at + 4 + padded;
}

long iiod_attr_read(struct iiod_server *srv, struct iiod_device *d,
		    enum iiod_attr_kind kind, const char *attr, char *buf,
		    size_t len)
{
	char val[IIOD_ATTR_MAX];
	const struct dev_attr *a, *t;
	size_t at = 0;
	unsigned int i, n;

	/* No debug attributes: their block is empty. */
	t = attr_table(kind, &n);
	if (attr) {
		a = find_attr(kind, attr);
		if (!a)
			return -ENOENT;
		pthread_mutex_lock(&srv->lock);
		a->read(srv, d, val);
		pthread_mutex_unlock(&srv->lock);
		snprintf(buf, len, "%s", val);
		return (long)strlen(buf) + 1;
	}
	pthread_mutex_lock(&srv->lock);
	for (i = 0; i < n; i++) {
		t[i].read(srv, d, val);
		at = block_put(buf, len, at, (long)strlen(val) + 1, val);
	}
	pthread_mutex_unlock(&srv->lock);
	return (long)at;
}

/* One value as written: without the trailing NULs and whitespace. */
static long write_one(struct iiod_server *srv, struct iiod_device *d,
		      const struct dev_attr *a, const char *val, size_t len)
{
	char v[IIOD_ATTR_MAX];
	int ret;

	if (!a->write)
		return -EACCES;
	if (len >= sizeof(v))
		return -EFBIG;
	memcpy(v, val, len);
	v[len] = 0;
	while (len && (!v[len - 1] || strchr(" \t\r\n", v[len - 1])))
		v[--len] = 0;
	if (strlen(v) != len)
		return -EINVAL;
	pthread_mutex_lock(&srv->lock);
	ret = a->write(srv, d, v);
	pthread_mutex_unlock(&srv->lock);
	return ret;
}

long iiod_attr_write(struct iiod_server *srv, struct iiod_device *d,
		     enum iiod_attr_kind kind, const char *attr,
		     const char *val, size_t len)
{
	const struct dev_attr *a;
	size_t at = 0;
	unsigned int i;
	long ret;

	if (kind == IIOD_ATTR_BUFFER && attr)
		return find_attr(kind, attr) ? -EACCES : -ENOENT;
	if (kind != IIOD_ATTR_DEVICE)
		return attr ? -ENOENT : -EACCES;
	if (attr) {
		a = find_attr(kind, attr);
		if (!a)
			return -ENOENT;
		ret = write_one(srv, d, a, val, len);
		return ret ? ret : (long)len;
	}
	/* Every attribute, as the read-all block: check it, then write. */
	for (i = 0; i < ndev_attrs; i++) {
		int32_t n;

		if (at + 4 > len)
			return -EINVAL;
		memcpy(&n, val + at, 4);
		n = (int32_t)be32toh((uint32_t)n);
		at += 4;
		if (n > 0)
			at += ((size_t)n + 3) & ~(size_t)3;
		if (at > len)
			return -EINVAL;
	}
	for (at = 0, i = 0; i < ndev_attrs; i++) {
		int32_t n;

		memcpy(&n, val + at, 4);
		n = (int32_t)be32toh((uint32_t)n);
		at += 4;
		if (n <= 0)
			continue;
		/* As sysfs does: each attribute on its own, errors ignored. */
		if (dev_attrs[i].write)
			write_one(srv, d, &dev_attrs[i], val + at, (size_t)n);
		at += ((size_t)n + 3) & ~(size_t)3;
	}
	return (long)at;
}

long iiod_chan_attr_read(const struct iiod_channel *ch, const char *attr,
			 char *buf, size_t len)
{
	char one[IIOD_VALUE_MAX];
	size_t at = 0;

	if (!attr) {
		if (ch->scale[0])
			at = block_put(buf, len, at, (long)strlen(ch->scale) + 1,
				       ch->scale);
		if (ch->offset[0])
			at = block_put(buf, len, at,
				       (long)strlen(ch->offset) + 1, ch->offset);
		return (long)at;
	}
	if (!strcmp(attr, "scale") && ch->scale[0])
		snprintf(one, sizeof(one), "%s", ch->scale);
	else if (!strcmp(attr, "offset") && ch->offset[0])
		snprintf(one, sizeof(one), "%s", ch->offset);
	else
		return -ENOENT;
	snprintf(buf, len, "%s", one);
	return (long)strlen(buf) + 1;
}

int iiod_build_xml(struct iiod_server *srv)
{
	char hostname[128] = "?", desc[400], format[64];
	struct utsname u;
	unsigned int i, j, k;
	FILE *f;

	f = open_memstream(&srv->xml, &srv->xml_len);
	if (!f)
		return -ENOMEM;
	memset(&u, 0, sizeof(u));
	uname(&u);
	gethostname(hostname, sizeof(hostname) - 1);
	snprintf(desc, sizeof(desc), "fpgacap-iiod on %s: Linux %s %s %s",
		 hostname, u.release, u.version, u.machine);
	fputs(dtd, f);
	fprintf(f, "<context name=\"fpgacap\" version-major=\"%d\" "
		"version-minor=\"%d\" version-git=\"%s\"", IIOD_PROTO_MAJOR,
		IIOD_PROTO_MINOR, IIOD_GIT_TAG);
	xml_pair(f, "description", desc);
	fputs(">", f);
	fputs("<context-attribute name=\"fpgacap,server\"", f);
	xml_pair(f, "value", "fpgacap-iiod, libfpgacap");
	fputs(" /><context-attribute name=\"local,kernel\"", f);
	xml_pair(f, "value", u.release);
	fputs(" />", f);
	for (i = 0; i < srv->ndevs; i++) {
		struct iiod_device *d = &srv->devs[i];

		fputs("<device", f);
		xml_pair(f, "id", d->id);
		xml_pair(f, "name", d->cfg.name);
		fputs(">", f);
		for (j = 0; j < d->cfg.nchannels; j++) {
			const struct iiod_channel *c = &d->cfg.channels[j];

			fputs("<channel", f);
			xml_pair(f, "id", c->id);
			xml_pair(f, "type", "input");
			if (c->name[0])
				xml_pair(f, "name", c->name);
			fprintf(f, "><scan-element index=\"%u\"", c->index);
			iiod_format_string(c, format, sizeof(format));
			xml_pair(f, "format", format);
			if (c->scale[0])
				xml_pair(f, "scale", c->scale);
			fputs(" />", f);
			if (c->scale[0])
				fputs("<attribute name=\"scale\" />", f);
			if (c->offset[0])
				fputs("<attribute name=\"offset\" />", f);
			fputs("</channel>", f);
		}
		for (k = 0; k < ndev_attrs; k++)
			fprintf(f, "<attribute name=\"%s\" />",
				dev_attrs[k].name);
		for (k = 0; k < nbuf_attrs; k++)
			fprintf(f, "<buffer-attribute name=\"%s\" />",
				buf_attrs[k].name);
		fputs("</device>", f);
	}
	fputs("</context>", f);
	if (fclose(f))
		return -ENOMEM;
	return 0;
}
