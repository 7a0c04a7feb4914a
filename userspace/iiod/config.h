/* SPDX-License-Identifier: MIT */
/*
 * fpgacap-iiod's configuration: how each capture device looks to IIO
 * clients (its name, its channels and their sample format) and how its
 * pool is sized. The file format is in docs/libiio.md and
 * man/fpgacap-iiod.1.
 */
#ifndef FPGACAP_IIOD_CONFIG_H
#define FPGACAP_IIOD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "libfpgacap.h"

#define IIOD_MAX_CHANNELS 64
#define IIOD_NAME_MAX 64
#define IIOD_VALUE_MAX 32

/* One channel: an element of every sample (scan) in the stream. */
struct iiod_channel {
	char id[IIOD_NAME_MAX];		/* voltage0, count0, ... */
	char name[IIOD_NAME_MAX];	/* optional label, "" */
	unsigned int index;		/* scan order; equal: shared storage */
	bool be;			/* big-endian storage */
	bool is_signed;
	bool fully_defined;		/* S/U: every storage bit is data */
	unsigned int bits;		/* significant bits */
	unsigned int length;		/* storage bits: 8, 16, 32, 64 */
	unsigned int repeat;		/* elements per channel in a sample */
	unsigned int shift;		/* data bits start here */
	char scale[IIOD_VALUE_MAX];	/* optional, "" */
	char offset[IIOD_VALUE_MAX];	/* optional, "" */
};

/* Settings of one device; the has_* members say what a section set. */
struct iiod_devcfg {
	char match[IIOD_NAME_MAX];	/* section: the node's name */
	char name[IIOD_NAME_MAX];	/* IIO device name */
	uint32_t buffers;
	uint64_t buffer_size;
	uint64_t sampling_frequency;	/* samples/s, 0: as buffers free */
	enum fpgacap_send_mode mode;
	unsigned int nchannels;
	struct iiod_channel channels[IIOD_MAX_CHANNELS];
	bool has_name, has_buffers, has_buffer_size, has_frequency, has_mode;
	unsigned int line;		/* where the section starts */
	bool used;			/* a device matched it */
};

struct iiod_config {
	struct iiod_devcfg defaults;	/* before any section */
	struct iiod_devcfg *devs;
	unsigned int ndevs;
};

/*
 * Parse "le:s12/16>>4" (and "be:U8/8X4>>0") as libiio writes a scan
 * element's format. 0, or -EINVAL with the reason in @why.
 */
int iiod_parse_format(const char *s, struct iiod_channel *c, char *why,
		      size_t whylen);
/* The format back as text, as libiio reads it. */
void iiod_format_string(const struct iiod_channel *c, char *buf, size_t len);

/* Built-in defaults: 16 buffers of 256 KiB, mode auto, no channels. */
void iiod_config_init(struct iiod_config *cfg);
void iiod_config_free(struct iiod_config *cfg);
/*
 * Read a configuration file. 0, or -errno with "FILE:LINE: reason" in
 * @err.
 */
int iiod_config_load(struct iiod_config *cfg, const char *path, char *err,
		     size_t errlen);
/* The same from text (@name labels messages). */
int iiod_config_parse(struct iiod_config *cfg, const char *text,
		      const char *name, char *err, size_t errlen);

/*
 * The settings for the device whose node is named @node: the defaults,
 * then its section's settings, then channels in scan order (the default
 * pattern counter if none were given). Marks the section used.
 */
void iiod_config_resolve(struct iiod_config *cfg, const char *node,
			 struct iiod_devcfg *out);

/*
 * Sort channels into scan order (index, then shift), as libiio orders
 * them, and check the layout: ids unique, channels that share an index
 * share storage, at most IIOD_MAX_CHANNELS. 0 or -EINVAL with @why.
 */
int iiod_channels_check(struct iiod_channel *ch, unsigned int n, char *why,
			size_t whylen);
/* Bytes per sample with every channel on, by libiio's rule. */
uint32_t iiod_sample_size(const struct iiod_channel *ch, unsigned int n);

/* A WORD of the protocol: letters, digits, '-', '_', '.', and ':' or ','. */
bool iiod_valid_word(const char *s);

#endif /* FPGACAP_IIOD_CONFIG_H */
