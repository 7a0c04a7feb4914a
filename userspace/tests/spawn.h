/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Run a tool as a child with its stdout and stderr captured, signal it,
 * and time its exit. Shared by the host tests and the guest's tools_test.
 */
#ifndef FPGACAP_SPAWN_H
#define FPGACAP_SPAWN_H

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../common/clock.h"

struct child {
	pid_t pid;
	int out, err;			/* read ends of its stdout, stderr */
	int status;			/* waitpid() status once it exited */
	char outbuf[16384], errbuf[8192];
	size_t outlen, errlen;
};

static inline uint64_t spawn_now_ms(void)
{
	return fc_now_ns() / 1000000;
}

/* argv[0] is looked up in $FPGACAP_BIN if set, else in PATH. */
static inline int child_start(struct child *c, char *const argv[])
{
	int o[2], e[2];
	char path[512];
	const char *bin = getenv("FPGACAP_BIN");

	memset(c, 0, sizeof(*c));
	if (pipe2(o, O_CLOEXEC) || pipe2(e, O_CLOEXEC))
		return -errno;
	c->pid = fork();
	if (c->pid < 0)
		return -errno;
	if (!c->pid) {
		dup2(o[1], STDOUT_FILENO);
		dup2(e[1], STDERR_FILENO);
		if (bin && *bin && !strchr(argv[0], '/')) {
			snprintf(path, sizeof(path), "%s/%s", bin, argv[0]);
			execv(path, argv);
		} else {
			execvp(argv[0], argv);
		}
		_exit(127);
	}
	close(o[1]);
	close(e[1]);
	c->out = o[0];
	c->err = e[0];
	fcntl(c->out, F_SETFL, O_NONBLOCK);
	fcntl(c->err, F_SETFL, O_NONBLOCK);
	return 0;
}

static inline void child_drain(struct child *c)
{
	ssize_t n;

	while (c->outlen + 1 < sizeof(c->outbuf) &&
	       (n = read(c->out, c->outbuf + c->outlen,
			 sizeof(c->outbuf) - 1 - c->outlen)) > 0)
		c->outlen += (size_t)n;
	c->outbuf[c->outlen] = 0;
	while (c->errlen + 1 < sizeof(c->errbuf) &&
	       (n = read(c->err, c->errbuf + c->errlen,
			 sizeof(c->errbuf) - 1 - c->errlen)) > 0)
		c->errlen += (size_t)n;
	c->errbuf[c->errlen] = 0;
}

/*
 * Wait up to @timeout_ms for the child to exit, reading its output as it
 * comes. 0 once it exited (c->status), -ETIMEDOUT (then it is killed).
 */
static inline int child_wait(struct child *c, int timeout_ms)
{
	uint64_t end = spawn_now_ms() + (uint64_t)timeout_ms;

	for (;;) {
		pid_t r = waitpid(c->pid, &c->status, WNOHANG);

		child_drain(c);
		if (r == c->pid)
			break;
		if (spawn_now_ms() >= end) {
			kill(c->pid, SIGKILL);
			waitpid(c->pid, &c->status, 0);
			child_drain(c);
			close(c->out);
			close(c->err);
			return -ETIMEDOUT;
		}
		usleep(10000);
	}
	close(c->out);
	close(c->err);
	return 0;
}

/* Run to completion; the exit code, or -1 if it did not exit normally. */
static inline int child_run(struct child *c, char *const argv[],
			    int timeout_ms)
{
	if (child_start(c, argv) || child_wait(c, timeout_ms))
		return -1;
	return WIFEXITED(c->status) ? WEXITSTATUS(c->status) : -1;
}

/* Wait until @text shows in the child's stdout or stderr (or timeout). */
static inline bool child_expect(struct child *c, const char *text,
				int timeout_ms)
{
	uint64_t end = spawn_now_ms() + (uint64_t)timeout_ms;

	do {
		child_drain(c);
		if (strstr(c->outbuf, text) || strstr(c->errbuf, text))
			return true;
		usleep(10000);
	} while (spawn_now_ms() < end);
	return false;
}

/*
 * Wait until the child catches SIGINT and SIGTERM (SigCgt in its
 * /proc/PID/status): its handlers are in place, a signal now tests them
 * and not the default action. true once they are.
 */
static inline bool child_ready(struct child *c, int timeout_ms)
{
	uint64_t end = spawn_now_ms() + (uint64_t)timeout_ms;
	const unsigned long long want = 1ULL << (SIGINT - 1) |
					1ULL << (SIGTERM - 1);
	char path[64], line[256];

	snprintf(path, sizeof(path), "/proc/%d/status", (int)c->pid);
	do {
		FILE *f = fopen(path, "r");
		unsigned long long caught = 0;

		if (!f)
			return false;
		while (fgets(line, sizeof(line), f))
			if (!strncmp(line, "SigCgt:", 7))
				caught = strtoull(line + 7, NULL, 16);
		fclose(f);
		if ((caught & want) == want)
			return true;
		child_drain(c);
		usleep(10000);
	} while (spawn_now_ms() < end);
	return false;
}

/* Send @sig; return how long (ms) the child took to exit, or -1. */
static inline int64_t child_stop(struct child *c, int sig, int timeout_ms)
{
	uint64_t t0 = spawn_now_ms();

	kill(c->pid, sig);
	if (child_wait(c, timeout_ms))
		return -1;
	return (int64_t)(spawn_now_ms() - t0);
}

#endif /* FPGACAP_SPAWN_H */
