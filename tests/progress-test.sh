#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The progress a first run shows (tests/lib/progress.sh), against a build
# that stands in for a kernel's: objects appearing in a directory. TAP.
set -uo pipefail
. "$(dirname "$0")/lib/common.sh"
. "$FPGACAP_TOP/tests/lib/progress.sh"
. "$FPGACAP_TOP/userspace/tests/tap.sh"
work=$FPGACAP_WORK/progress-test
rm -rf "$work"
mkdir -p "$work"

echo "TAP version 13"

# A "build" that makes 20 objects over 3 s, watched every second.
watched() {
	local out=$work/kernel/6.1-arm-base-zynq-debug-aaaa lines
	mkdir -p "$out"
	(for i in $(seq 20); do touch "$out/o$i.o"; sleep 0.15; done) &
	FPGACAP_PROGRESS_SECONDS=1 progress_watch $! "zynq kernel" "$out" 40 2>"$work/lines"
	cat "$work/lines"
	lines=$(grep -c 'zynq kernel: [0-9]* objects compiled of about 40 ([0-9]* %), 0 min so far' "$work/lines")
	[ "$lines" -ge 2 ]
}
check "a kernel build says every interval how many objects of about how many" watched

waiting() {
	local out=$work/kernel/6.1-arm-base-zynq-debug-bbbb
	mkdir -p "$out"
	sleep 2.5 &
	FPGACAP_PROGRESS_SECONDS=1 progress_watch $! "zynq kernel" "$out" 0 2>"$work/wait"
	cat "$work/wait"
	grep -q 'zynq kernel: waiting (0 min): the machine-wide lock' "$work/wait"
}
check "before any object, it says it waits" waiting

# The expected count: the last build of the same kind, the key aside.
expected() {
	local k=$work/kernel
	mkdir -p "$k/6.1-arm-base-zynq-debug-old" "$k/6.1-arm64-base-zynqmp-debug-x"
	echo 976 >"$k/6.1-arm-base-zynq-debug-old/build.objects"
	touch "$k/6.1-arm-base-zynq-debug-old/.fpgacap-built"
	echo 5 >"$k/6.1-arm64-base-zynqmp-debug-x/build.objects"
	touch "$k/6.1-arm64-base-zynqmp-debug-x/.fpgacap-built"
	[ "$(kernel_objects_expected "$k/6.1-arm-base-zynq-debug-new")" = 976 ] &&
	[ "$(kernel_objects_expected "$k/6.12-arm-base-zynq-debug-new")" = 0 ]
}
check "the expected count comes from the last build of the same kernel, arch and fragments" expected

tap_end
