// SPDX-License-Identifier: MIT
/* fpgacap-iiod's configuration file and channel formats (see config.h). */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config.h"

bool iiod_valid_word(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("-_.", *s))
			return false;
	return true;
}

/* Digits as an unsigned int in [min, max]; the text after them in *end. */
static bool parse_uint(const char **p, unsigned int min, unsigned int max,
		       unsigned int *out)
{
	unsigned long v = 0;
	const char *s = *p;

	if (!isdigit((unsigned char)*s))
		return false;
	for (; isdigit((unsigned char)*s); s++) {
		v = v * 10 + (unsigned long)(*s - '0');
		if (v > max)
			return false;
	}
	if (v < min)
		return false;
	*out = (unsigned int)v;
	*p = s;
	return true;
}

int iiod_parse_format(const char *s, struct iiod_channel *c, char *why,
		      size_t whylen)
{
	const char *p = s;
	char sign;

	c->repeat = 1;
	if (!strncmp(p, "le:", 3))
		c->be = false;
	else if (!strncmp(p, "be:", 3))
		c->be = true;
	else
		goto bad;
	p += 3;
	sign = *p++;
	if (!strchr("suSU", sign) || !sign)
		goto bad;
	c->is_signed = sign == 's' || sign == 'S';
	c->fully_defined = sign == 'S' || sign == 'U';
	if (!parse_uint(&p, 1, 64, &c->bits) || *p++ != '/' ||
	    !parse_uint(&p, 8, 64, &c->length))
		goto bad;
	if (*p == 'X') {
		p++;
		if (!parse_uint(&p, 1, 1024, &c->repeat))
			goto bad;
	}
	if (p[0] != '>' || p[1] != '>')
		goto bad;
	p += 2;
	if (!parse_uint(&p, 0, 63, &c->shift) || *p)
		goto bad;
	if (c->length != 8 && c->length != 16 && c->length != 32 &&
	    c->length != 64) {
		snprintf(why, whylen, "format '%s': storage must be 8, 16, 32 "
			 "or 64 bits", s);
		return -EINVAL;
	}
	if (c->bits + c->shift > c->length) {
		snprintf(why, whylen, "format '%s': %u bits shifted by %u do "
			 "not fit in %u", s, c->bits, c->shift, c->length);
		return -EINVAL;
	}
	return 0;
bad:
	snprintf(why, whylen, "format '%s' is not like le:s12/16>>4 "
		 "([le|be]:[s|u|S|U]BITS/STORAGE[XREPEAT]>>SHIFT)", s);
	return -EINVAL;
}

void iiod_format_string(const struct iiod_channel *c, char *buf, size_t len)
{
	char sign = c->is_signed ? 's' : 'u';
	char repeat[16] = "";

	if (c->fully_defined)
		sign = (char)toupper(sign);
	if (c->repeat > 1)
		snprintf(repeat, sizeof(repeat), "X%u", c->repeat);
	snprintf(buf, len, "%ce:%c%u/%u%s>>%u", c->be ? 'b' : 'l', sign,
		 c->bits, c->length, repeat, c->shift);
}

/* Storage bytes of one channel's part of a sample. */
static uint32_t chan_bytes(const struct iiod_channel *c)
{
	return c->length / 8 * c->repeat;
}

uint32_t iiod_sample_size(const struct iiod_channel *ch, unsigned int n)
{
	uint32_t size = 0;
	unsigned int i;

	for (i = 0; i < n; i++) {
		uint32_t len = chan_bytes(&ch[i]);

		if (i && ch[i].index == ch[i - 1].index)
			continue;
		/* libiio's rule: align to the element, then add it. */
		if (size % len)
			size += 2 * len - size % len;
		else
			size += len;
	}
	return size;
}

int iiod_channels_check(struct iiod_channel *ch, unsigned int n, char *why,
			size_t whylen)
{
	unsigned int i, j;

	/* Insertion sort: stable, and n is small. */
	for (i = 1; i < n; i++) {
		struct iiod_channel t = ch[i];

		for (j = i; j > 0 && (ch[j - 1].index > t.index ||
				      (ch[j - 1].index == t.index &&
				       ch[j - 1].shift > t.shift)); j--)
			ch[j] = ch[j - 1];
		ch[j] = t;
	}
	for (i = 0; i < n; i++) {
		for (j = i + 1; j < n; j++)
			if (!strcmp(ch[i].id, ch[j].id)) {
				snprintf(why, whylen, "channel %s is defined "
					 "twice", ch[i].id);
				return -EINVAL;
			}
		if (i && ch[i].index == ch[i - 1].index &&
		    chan_bytes(&ch[i]) != chan_bytes(&ch[i - 1])) {
			snprintf(why, whylen, "channels %s and %s share index "
				 "%u but not the same storage", ch[i - 1].id,
				 ch[i].id, ch[i].index);
			return -EINVAL;
		}
	}
	if (iiod_sample_size(ch, n) > 1U << 20) {
		snprintf(why, whylen, "a sample of more than 1 MiB");
		return -EINVAL;
	}
	return 0;
}

void iiod_config_init(struct iiod_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->defaults.buffers = 16;
	cfg->defaults.buffer_size = 256 << 10;
	cfg->defaults.mode = FPGACAP_SEND_AUTO;
}

void iiod_config_free(struct iiod_config *cfg)
{
	free(cfg->devs);
	cfg->devs = NULL;
	cfg->ndevs = 0;
}

struct parse_ctx {
	const char *file;
	unsigned int line;
	char *err;
	size_t errlen;
};

__attribute__((format(printf, 2, 3)))
static int fail(struct parse_ctx *px, const char *fmt, ...)
{
	char msg[300];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (px->line)
		snprintf(px->err, px->errlen, "%s:%u: %s", px->file, px->line,
			 msg);
	else
		snprintf(px->err, px->errlen, "%s: %s", px->file, msg);
	return -EINVAL;
}

static bool valid_number(const char *s)
{
	char *end;
	double v;

	if (!*s || isspace((unsigned char)*s))
		return false;
	errno = 0;
	v = strtod(s, &end);
	return !*end && !errno && isfinite(v) && strlen(s) < IIOD_VALUE_MAX;
}

static bool printable_word(const char *s)
{
	if (!*s || strlen(s) >= IIOD_NAME_MAX)
		return false;
	for (; *s; s++)
		if (!isgraph((unsigned char)*s) || strchr("\"'<>&", *s))
			return false;
	return true;
}

/* channel ID FORMAT [index=N] [name=LABEL] [scale=X] [offset=Y] */
static int parse_channel(struct parse_ctx *px, struct iiod_devcfg *d,
			 char **tok, int ntok)
{
	struct iiod_channel *c;
	char why[200];
	int i;

	if (ntok < 3)
		return fail(px, "channel needs an id and a format, as in "
			    "'channel voltage0 le:s12/16>>4'");
	if (d->nchannels == IIOD_MAX_CHANNELS)
		return fail(px, "more than %d channels", IIOD_MAX_CHANNELS);
	c = &d->channels[d->nchannels];
	memset(c, 0, sizeof(*c));
	if (!iiod_valid_word(tok[1]) || strlen(tok[1]) >= IIOD_NAME_MAX)
		return fail(px, "channel id '%s': letters, digits, '-', '_' "
			    "and '.' only", tok[1]);
	strcpy(c->id, tok[1]);
	if (iiod_parse_format(tok[2], c, why, sizeof(why)))
		return fail(px, "%s", why);
	c->index = d->nchannels ? d->channels[d->nchannels - 1].index + 1 : 0;
	for (i = 3; i < ntok; i++) {
		char *eq = strchr(tok[i], '=');
		uint64_t v;

		if (!eq)
			return fail(px, "'%s': expected index=, name=, scale= "
				    "or offset=", tok[i]);
		*eq++ = 0;
		if (!strcmp(tok[i], "index")) {
			if (cli_parse_u64(eq, 0, 0, 65535, &v))
				return fail(px, "index '%s': a number 0..65535",
					    eq);
			c->index = (unsigned int)v;
		} else if (!strcmp(tok[i], "name")) {
			if (!printable_word(eq))
				return fail(px, "name '%s': no spaces, quotes "
					    "or <>&", eq);
			strcpy(c->name, eq);
		} else if (!strcmp(tok[i], "scale") ||
			   !strcmp(tok[i], "offset")) {
			if (!valid_number(eq))
				return fail(px, "%s '%s': not a number",
					    tok[i], eq);
			strcpy(tok[i][0] == 's' ? c->scale : c->offset, eq);
		} else {
			return fail(px, "'%s': expected index=, name=, scale= "
				    "or offset=", tok[i]);
		}
	}
	d->nchannels++;
	return 0;
}

static int parse_line(struct parse_ctx *px, struct iiod_config *cfg,
		      struct iiod_devcfg **cur, char *line)
{
	char *tok[16], *save = NULL, *t;
	struct iiod_devcfg *d = *cur;
	int ntok = 0;
	uint64_t v;

	for (t = strtok_r(line, " \t\r", &save); t;
	     t = strtok_r(NULL, " \t\r", &save)) {
		if (ntok == 16)
			return fail(px, "too many words");
		tok[ntok++] = t;
	}
	if (!ntok)
		return 0;
	if (tok[0][0] == '[') {
		size_t n = strlen(tok[0]);
		struct iiod_devcfg *devs;
		unsigned int i;

		if (ntok != 1 || n < 3 || tok[0][n - 1] != ']')
			return fail(px, "a section is [NODE], the name of a "
				    "device node such as fpgacap0");
		tok[0][n - 1] = 0;
		if (!iiod_valid_word(tok[0] + 1) || n - 2 >= IIOD_NAME_MAX)
			return fail(px, "section [%s]: not a device name",
				    tok[0] + 1);
		for (i = 0; i < cfg->ndevs; i++)
			if (!strcmp(cfg->devs[i].match, tok[0] + 1))
				return fail(px, "section [%s] again (first at "
					    "line %u)", tok[0] + 1,
					    cfg->devs[i].line);
		devs = realloc(cfg->devs, (cfg->ndevs + 1) * sizeof(*devs));
		if (!devs)
			return -ENOMEM;
		cfg->devs = devs;
		d = &devs[cfg->ndevs++];
		memset(d, 0, sizeof(*d));
		strcpy(d->match, tok[0] + 1);
		d->line = px->line;
		*cur = d;
		return 0;
	}
	if (!strcmp(tok[0], "channel"))
		return parse_channel(px, d, tok, ntok);
	if (ntok != 2)
		return fail(px, "'%s' takes one value", tok[0]);
	if (!strcmp(tok[0], "name")) {
		if (d == &cfg->defaults)
			return fail(px, "name belongs in a device's section");
		if (!iiod_valid_word(tok[1]) || strlen(tok[1]) >= IIOD_NAME_MAX)
			return fail(px, "name '%s': letters, digits, '-', '_' "
				    "and '.' only", tok[1]);
		strcpy(d->name, tok[1]);
		d->has_name = true;
	} else if (!strcmp(tok[0], "buffers")) {
		if (cli_parse_u64(tok[1], 0, 1, 65536, &v))
			return fail(px, "buffers '%s': a number 1..65536",
				    tok[1]);
		d->buffers = (uint32_t)v;
		d->has_buffers = true;
	} else if (!strcmp(tok[0], "buffer-size")) {
		if (cli_parse_u64(tok[1], CLI_SUFFIX, 4096, 1ULL << 40, &v))
			return fail(px, "buffer-size '%s': a size such as 64K "
				    "or 1M", tok[1]);
		d->buffer_size = v;
		d->has_buffer_size = true;
	} else if (!strcmp(tok[0], "sampling-frequency")) {
		if (cli_parse_u64(tok[1], 0, 0, 1ULL << 40, &v))
			return fail(px, "sampling-frequency '%s': samples per "
				    "second, a whole number", tok[1]);
		d->sampling_frequency = v;
		d->has_frequency = true;
	} else if (!strcmp(tok[0], "mode")) {
		if (fpgacap_send_mode_parse(tok[1], &d->mode))
			return fail(px, "mode '%s': auto, copy, zerocopy or "
				    "uring", tok[1]);
		d->has_mode = true;
	} else {
		return fail(px, "unknown setting '%s' (name, buffers, "
			    "buffer-size, sampling-frequency, mode, channel)",
			    tok[0]);
	}
	return 0;
}

int iiod_config_parse(struct iiod_config *cfg, const char *text,
		      const char *name, char *err, size_t errlen)
{
	struct parse_ctx px = { .file = name, .err = err, .errlen = errlen };
	struct iiod_devcfg *cur = &cfg->defaults;
	const char *p = text;
	char why[200];
	unsigned int i;
	int ret;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		char line[1024], *hash;

		px.line++;
		if (n >= sizeof(line))
			return fail(&px, "line too long");
		memcpy(line, p, n);
		line[n] = 0;
		hash = strchr(line, '#');
		if (hash)
			*hash = 0;
		ret = parse_line(&px, cfg, &cur, line);
		if (ret)
			return ret;
		p += n + (nl ? 1 : 0);
	}
	/* Each list of channels on its own must make sense. */
	px.line = 0;
	for (i = 0; i <= cfg->ndevs; i++) {
		struct iiod_devcfg *d = i ? &cfg->devs[i - 1] : &cfg->defaults;
		struct iiod_channel tmp[IIOD_MAX_CHANNELS];

		memcpy(tmp, d->channels, d->nchannels * sizeof(tmp[0]));
		if (iiod_channels_check(tmp, d->nchannels, why, sizeof(why))) {
			px.line = d->line;
			if (i)
				return fail(&px, "[%s]: %s", d->match, why);
			return fail(&px, "%s", why);
		}
	}
	return 0;
}

int iiod_config_load(struct iiod_config *cfg, const char *path, char *err,
		     size_t errlen)
{
	FILE *f = fopen(path, "r");
	char *text = NULL;
	size_t len = 0;
	int ret;

	if (!f) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return ret;
	}
	text = malloc(1 << 20);
	if (text)
		len = fread(text, 1, (1 << 20) - 1, f);
	if (!text || ferror(f) || !feof(f)) {
		snprintf(err, errlen, "%s: %s", path, text ?
			 "unreadable, or larger than 1 MiB" : strerror(ENOMEM));
		fclose(f);
		free(text);
		return -EINVAL;
	}
	fclose(f);
	text[len] = 0;
	if (strlen(text) != len) {
		snprintf(err, errlen, "%s: not a text file", path);
		free(text);
		return -EINVAL;
	}
	ret = iiod_config_parse(cfg, text, path, err, errlen);
	free(text);
	return ret;
}

/* The pattern source's stream: one little-endian 64-bit counter. */
static void default_channel(struct iiod_channel *c)
{
	memset(c, 0, sizeof(*c));
	strcpy(c->id, "count0");
	strcpy(c->name, "pattern");
	c->bits = c->length = 64;
	c->repeat = 1;
}

void iiod_config_resolve(struct iiod_config *cfg, const char *node,
			 struct iiod_devcfg *out)
{
	const struct iiod_devcfg *sec = NULL;
	char why[200];
	unsigned int i;

	*out = cfg->defaults;
	for (i = 0; i < cfg->ndevs; i++)
		if (!strcmp(cfg->devs[i].match, node)) {
			sec = &cfg->devs[i];
			cfg->devs[i].used = true;
		}
	snprintf(out->match, sizeof(out->match), "%s", node);
	snprintf(out->name, sizeof(out->name), "%s", node);
	if (sec) {
		if (sec->has_name)
			strcpy(out->name, sec->name);
		if (sec->has_buffers)
			out->buffers = sec->buffers;
		if (sec->has_buffer_size)
			out->buffer_size = sec->buffer_size;
		if (sec->has_frequency)
			out->sampling_frequency = sec->sampling_frequency;
		if (sec->has_mode)
			out->mode = sec->mode;
		if (sec->nchannels) {
			out->nchannels = sec->nchannels;
			memcpy(out->channels, sec->channels,
			       sec->nchannels * sizeof(sec->channels[0]));
		}
	}
	if (!out->nchannels) {
		default_channel(&out->channels[0]);
		out->nchannels = 1;
	}
	/* Checked when parsed: this only sorts. */
	iiod_channels_check(out->channels, out->nchannels, why, sizeof(why));
}
