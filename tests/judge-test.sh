#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The verdict on a guest's serial log (tests/lib/judge.sh), against logs
# written here: what a failure prints is all CI shows of a guest. TAP.
set -uo pipefail
. "$(dirname "$0")/lib/common.sh"
. "$FPGACAP_TOP/tests/lib/judge.sh"
. "$FPGACAP_TOP/tests/lib/pauses.sh"
. "$FPGACAP_TOP/userspace/tests/tap.sh"
work=$FPGACAP_WORK/judge-test
rm -rf "$work"
mkdir -p "$work"

echo "TAP version 13"

# One test program: a passing case, then a failing one during which the
# kernel printed an error on the console.
failing_test() {
	cat <<'LOG'
FPGACAP-TEST-BEGIN a_test
ok 1 a.first
#  RUN           a.second ...
[   12.345678] fpgacap fpgacap.0: the engine gave up
# a_test.c:10:second:Expected 0 (0) < k (-5)
#          FAIL  a.second
not ok 2 a.second
FPGACAP-TEST-END a_test s=3 rc=1
LOG
}

counts() {
	failing_test >"$work/counts.log"
	printf 'FPGACAP-GUEST-END rc=1\n' >>"$work/counts.log"
	judge_log "$work/counts.log" guest 2>"$work/counts.out"
	cat "$work/counts.out"
	[ "$JUDGE_PASSED" = 1 ] && [ "$JUDGE_FAILED" = 2 ] &&
		grep -q 'failed: not ok 2 a.second' "$work/counts.out"
}
check "a failing case and a failed job count as failures" counts

kernel_lines() {
	failing_test >"$work/kernel.log"
	printf 'FPGACAP-GUEST-END rc=1\n' >>"$work/kernel.log"
	judge_log "$work/kernel.log" guest 2>"$work/kernel.out"
	cat "$work/kernel.out"
	grep -q '^  \[   12.345678\] fpgacap fpgacap.0: the engine gave up$' "$work/kernel.out" &&
		grep -q 'Expected 0 (0) < k (-5)' "$work/kernel.out"
}
check "a failing case shows the kernel's messages printed while it ran" kernel_lines

last_lines() {
	{
		echo 'FPGACAP-TEST-BEGIN a_test'
		echo '#  RUN           a.flood ...'
		for i in $(seq 60); do echo "[   20.$i] engine error $i"; done
		echo '# a_test.c:20:flood:Expected 0 (0) == ret (-5)'
		echo 'not ok 1 a.flood'
		echo 'FPGACAP-TEST-END a_test s=1 rc=1'
		echo '#  RUN           b.dies ...'
		echo 'FPGACAP-TEST-BEGIN b_test'
		echo '#  RUN           b.dies ...'
		echo '# b_test.c:5:dies:about to fault'
		echo 'FPGACAP-TEST-END b_test s=1 rc=139'
		echo 'FPGACAP-GUEST-END rc=1'
	} >"$work/last.log"
	judge_log "$work/last.log" guest 2>"$work/last.out"
	cat "$work/last.out"
	grep -q 'Expected 0 (0) == ret (-5)' "$work/last.out" &&
		grep -q 'engine error 60$' "$work/last.out" &&
		! grep -q 'engine error 20$' "$work/last.out" &&
		grep -q 'b_test.c:5:dies:about to fault' "$work/last.out" &&
		grep -q '^died: b_test' "$work/last.out" && [ "$JUDGE_FAILED" = 3 ]
}
check "a failure shows the last 40 lines before it, a program that died its own" last_lines

unfinished() {
	{
		failing_test
		echo 'FPGACAP-TEST-BEGIN b_test'
		for i in $(seq 60); do echo "# line $i"; done
		echo '[  250.000001] INFO: task b_test:99 blocked for more than 120 seconds.'
	} >"$work/unfinished.log"
	judge_log "$work/unfinished.log" guest 2>"$work/unfinished.out"
	cat "$work/unfinished.out"
	grep -q 'the guest did not finish' "$work/unfinished.out" &&
		grep -q '^  | \[  250.000001\] INFO: task b_test:99 blocked' "$work/unfinished.out" &&
		grep -q '^  | # line 30$' "$work/unfinished.out" &&
		! grep -q '^  | # line 20$' "$work/unfinished.out" &&
		[ "$JUDGE_FAILED" = 2 ]
}
check "a guest that never finished shows the end of its log" unfinished

stuck() {
	{
		failing_test
		echo 'FPGACAP-TEST-BEGIN b_test'
		echo "FPGACAP-STUCK-BEGIN near the host's limit of 1500 s"
		echo 'task 77 b_test state D wchan dma_stop'
		echo '    [<0>] flush_work+0x1/0x2'
		for i in $(seq 60); do echo "[  999.$i] line $i"; done
		echo 'FPGACAP-STUCK-END'
		echo '# after the last words'
	} >"$work/stuck.log"
	judge_log "$work/stuck.log" guest 2>"$work/stuck.out"
	cat "$work/stuck.out"
	grep -q 'where its tasks waited' "$work/stuck.out" &&
		grep -q '^  | task 77 b_test state D wchan dma_stop$' "$work/stuck.out" &&
		grep -q '^  |     \[<0>\] flush_work' "$work/stuck.out"
}
check "a guest stopped at its limit shows where its tasks waited" stuck

# Last words in the middle of a passing guest's TAP: what init prints.
late_but_passing() {
	{
		echo 'FPGACAP-TEST-BEGIN c_test'
		echo 'ok 1 c.first'
		sed -n '/^last_words() {/,/^}/p' "$FPGACAP_TOP/tests/guest/init" |
			sed -n 's/^\techo "\(FPGACAP-STUCK-[A-Z]*\).*/\1/p'
		echo 'ok 2 c.second'
		echo 'FPGACAP-TEST-END c_test s=1 rc=0'
		echo 'FPGACAP-GUEST-END rc=0'
	} >"$work/late.log"
	cat "$work/late.log"
	judge_log "$work/late.log" guest 2>"$work/late.out"
	cat "$work/late.out"
	[ "$(grep -c '^FPGACAP-STUCK-' "$work/late.log")" = 2 ] &&
		[ "$JUDGE_PASSED" = 2 ] && [ "$JUDGE_FAILED" = 0 ] &&
		grep -q 'within two minutes of its time limit' "$work/late.out"
}
check "last words in a passing guest: it passes, and the verdict says it came close" late_but_passing

# The watcher for 7 s with a 1 s tick, its process stopped for $2 s of
# them (0: never): a stopped process stands in for a stopped machine.
watched() {
	FPGACAP_PAUSE_TICK=1 FPGACAP_PAUSE_MIN=2 watch_pauses >"$1" &
	local pid=$!
	sleep 1.5
	if [ "$2" != 0 ]; then
		kill -STOP "$pid"
		sleep "$2"
		kill -CONT "$pid"
	fi
	sleep 2.5
	kill "$pid"
	wait "$pid" 2>/dev/null
	cat "$1"
}

paused() {
	watched "$work/pauses" 3
	[ "$(wc -l <"$work/pauses")" = 1 ] &&
		grep -Eq '^[2-4] s from [0-9]{2}:[0-9]{2}:[0-9]{2}$' "$work/pauses"
}
check "a pause of the machine is noticed once, with its length" paused

running() {
	watched "$work/running" 0
	[ ! -s "$work/running" ]
}
check "a machine that keeps running shows no pause" running

# The watcher of a script that ended (^C, an error) ends too.
orphan() {
	local pid
	FPGACAP_PAUSE_TICK=1 bash -c '. "$1"; watch_pauses >/dev/null 2>&1 & echo $! >"$2"; sleep 0.5' \
		_ "$FPGACAP_TOP/tests/lib/pauses.sh" "$work/watcher.pid"
	sleep 2.5
	pid=$(cat "$work/watcher.pid")
	kill -0 "$pid" 2>/dev/null || return 0
	kill "$pid"
	return 1
}
check "the watcher ends with the script that started it" orphan

kernel_report() {
	{
		echo 'FPGACAP-TEST-BEGIN c_test'
		echo 'ok 1 c.only'
		echo 'FPGACAP-TEST-END c_test s=1 rc=0'
		echo 'FPGACAP-DMESG-BEGIN'
		echo '[    3.000000] WARNING: CPU: 0 PID: 1 at driver/queue.c:1 x'
		echo 'FPGACAP-DMESG-END'
		echo 'FPGACAP-GUEST-END rc=0'
	} >"$work/report.log"
	judge_log "$work/report.log" guest 2>"$work/report.out"
	cat "$work/report.out"
	[ "$JUDGE_PASSED" = 1 ] && [ "$JUDGE_FAILED" = 1 ] &&
		grep -q 'kernel reports in the guest log' "$work/report.out"
}
check "a kernel report fails a guest whose tests all passed" kernel_report

tap_end
