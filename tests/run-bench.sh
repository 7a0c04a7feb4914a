#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Regenerate docs/benchmarks.md from one run: the bench job in the x86_64
# guest under -icount (guest time counts instructions) and in the Zynq-7000
# guest (plain kernel, no debug options) with host time.
#   tests/run-bench.sh [X86_BYTES_PER_RUN [ZYNQ_BYTES_PER_RUN]]
set -euo pipefail
cd "$(dirname "$0")/.."
. tests/lib/common.sh
bytes=${1:-64M}
# Streams through the Zynq guest's emulated GEM move ~10 MB/s of host
# time: fewer bytes there keep the run short.
zynq_bytes=${2:-8M}
tests/setup-host.sh
out=$FPGACAP_WORK/bench
mkdir -p "$out"
args=()
for target in x86 zynq-plain; do
	# Under -icount the Zynq bench job needs more than 7 minutes at 8 MiB
	# per run (every mode near 104 MB/s of guest time at 64 KiB, measured
	# on a quiet host): it runs with host time, one TCG thread, in about
	# one minute; its figures then move with host load.
	icount=--icount n=$bytes
	[ "$target" = x86 ] || icount= n=$zynq_bytes
	FPGACAP_GUEST_TIMEOUT=${FPGACAP_GUEST_TIMEOUT:-3600} \
		tests/run-guest.sh "$target" bench $icount \
		--env "FPGACAP_BENCH_BYTES=$n" >&2
	tr -d '\r' <"$FPGACAP_WORK/logs/$target-bench.log" |
		sed -n '/^FPGACAP-BENCH-BEGIN/,/^FPGACAP-BENCH-END/p' |
		grep -v '^FPGACAP-BENCH-' | grep -v '^\[ *[0-9.]*\]' >"$out/$target.json"
	args+=("$target=$out/$target.json")
done
python3 tests/bench/report.py docs "${args[@]}" -- tests/run-bench.sh "$bytes" "$zynq_bytes"
mv docs/benchmarks.md.gen docs/benchmarks.md
say "wrote docs/benchmarks.md and docs/benchmarks.png"
