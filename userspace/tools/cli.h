/* SPDX-License-Identifier: GPL-2.0 */
/* Small helpers the command-line tools share. */
#ifndef FPGACAP_CLI_H
#define FPGACAP_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* "64K", "1M", "3G", "4096": bytes; -EINVAL if not a size. */
int cli_parse_size(const char *s, uint64_t *out);
/* "10", "2.5": seconds as ns. */
int cli_parse_seconds(const char *s, uint64_t *out_ns);
uint64_t cli_now_ns(void);
/* "host:port" into its parts; port may be 0. */
int cli_parse_hostport(const char *s, char *host, size_t hostlen,
		       uint16_t *port);
/* Connect a TCP socket to host:port; fd or -errno. */
int cli_connect(const char *hostport);
/* A progress line on stderr, at most once a second, only on a TTY. */
struct cli_progress {
	bool tty;
	uint64_t last_ns;
	uint64_t start_ns;
};
void cli_progress_init(struct cli_progress *p, bool quiet);
void cli_progress(struct cli_progress *p, uint64_t bytes, const char *extra);
void cli_progress_done(struct cli_progress *p);
/* Process CPU (user, system) in ns. */
void cli_cpu_ns(uint64_t *user, uint64_t *sys);

#endif
