// SPDX-License-Identifier: GPL-2.0-only
/*
 * Soak: fpgacap-stream sends the pattern device, framed, to the verifying
 * host sink for FPGACAP_SOAK_SECONDS (30 by default; `tests/run-tests.sh
 * --soak 1h` for an hour), in two halves:
 *  - no rate: the source never drops, and every byte arrives exact;
 *  - a rate twice what the first half moved: the source outruns the
 *    network and drops, and the sink checks every gap against the frames'
 *    sequence numbers, offsets and loss counts: the loss it sees is the
 *    loss the capture side reported, byte for byte.
 */
#include <spawn.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "fpgacap_test.h"

extern char **environ;

/* The number after "key": in a JSON text, or 0. */
static unsigned long long json_num(const char *json, const char *key)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(json, pat);
	return p ? strtoull(p + strlen(pat), NULL, 10) : 0;
}

/* Run fpgacap-stream with @rate for @seconds; its JSON in @out. */
static int stream(long seconds, unsigned long long rate, char *out,
		  size_t len)
{
	char secs[32], rates[32], *sink = getenv("FPGACAP_SINK");
	char *argv[] = {
		"fpgacap-stream", "-d", (char *)dev_path(), "-c", "16",
		"-s", "256K", "--rate", rates, "-f", "--verdict", "-j", "-q",
		"-t", secs, sink, NULL,
	};
	posix_spawn_file_actions_t fa;
	size_t got = 0;
	int pipefd[2], status;
	ssize_t n;
	pid_t pid;

	snprintf(secs, sizeof(secs), "%ld", seconds);
	snprintf(rates, sizeof(rates), "%llu", rate);
	if (pipe(pipefd))
		return -errno;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
	posix_spawn_file_actions_addclose(&fa, pipefd[0]);
	if (posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ)) {
		close(pipefd[0]);
		close(pipefd[1]);
		return -ENOENT;
	}
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	while (got + 1 < len && (n = read(pipefd[0], out + got,
					   len - 1 - got)) > 0)
		got += n;
	out[got] = 0;
	close(pipefd[0]);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -ECHILD;
	return WEXITSTATUS(status);
}

FIXTURE(soak) {
	long seconds;
	char json[8192];
};

FIXTURE_SETUP(soak)
{
	const char *s = getenv("FPGACAP_SOAK_SECONDS");

	if (!getenv("FPGACAP_SINK"))
		SKIP(return, "FPGACAP_SINK not set");
	self->seconds = s && *s ? atol(s) : 30;
	if (self->seconds < 2)
		self->seconds = 2;
}

FIXTURE_TEARDOWN(soak)
{
}

TEST_F_TIMEOUT(soak, exact_then_dropping, 7300)
{
	unsigned long long bytes, rate;
	long half = self->seconds / 2;
	int ret;

	RETURN_IF_SKIPPED();
	ret = stream(half, 0, self->json, sizeof(self->json));
	ASSERT_EQ(0, ret) TH_LOG("%s", self->json);
	bytes = json_num(self->json, "payload_bytes");
	EXPECT_LT(0, bytes);
	EXPECT_EQ(0, json_num(self->json, "lost_bytes"));
	EXPECT_NE(NULL, strstr(self->json, "\"ok\":true"));
	TH_LOG("no rate: %llu bytes in %ld s, intact", bytes, half);

	/* Twice what the network took: the source has to drop. */
	rate = 2 * bytes / (half ? half : 1);
	ret = stream(self->seconds - half, rate, self->json,
		     sizeof(self->json));
	ASSERT_EQ(0, ret) TH_LOG("%s", self->json);
	{
		const char *sink = strstr(self->json, "\"sink\":");

		ASSERT_NE(NULL, sink) TH_LOG("%s", self->json);
		EXPECT_NE(NULL, strstr(sink, "\"ok\":true"));
		/* What the sink saw missing is what the capture reported. */
		EXPECT_EQ(json_num(self->json, "lost_bytes"),
			  json_num(sink, "lost_bytes"));
		EXPECT_EQ(json_num(self->json, "lost_events"),
			  json_num(sink, "lost_events"));
		TH_LOG("rate %llu B/s: %llu bytes, %llu lost in %llu drops, all accounted",
		       rate, json_num(self->json, "payload_bytes"),
		       json_num(sink, "lost_bytes"),
		       json_num(sink, "lost_events"));
	}
}

TEST_HARNESS_MAIN
