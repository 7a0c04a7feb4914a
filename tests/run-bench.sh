#!/usr/bin/env bash
# Regenerate docs/benchmarks.md from one run: the bench job in the x86_64
# guest and in the Zynq-7000 guest (plain kernel, no debug options), both
# under -icount so guest time counts instructions.
#   tests/run-bench.sh [BYTES_PER_RUN]
set -euo pipefail
cd "$(dirname "$0")/.."
. tests/lib/common.sh
bytes=${1:-16M}
tests/setup-host.sh
out=$FPGACAP_CACHE/bench
mkdir -p "$out"
args=()
for target in x86 zynq-plain; do
	FPGACAP_GUEST_TIMEOUT=${FPGACAP_GUEST_TIMEOUT:-3600} \
		tests/run-guest.sh "$target" bench --icount \
		--env "FPGACAP_BENCH_BYTES=$bytes" >&2
	tr -d '\r' <"$FPGACAP_CACHE/logs/$target-bench.log" |
		sed -n '/^FPGACAP-BENCH-BEGIN/,/^FPGACAP-BENCH-END/p' |
		grep -v '^FPGACAP-BENCH-' | grep -v '^\[ *[0-9.]*\]' >"$out/$target.json"
	args+=("$target=$out/$target.json")
done
python3 tests/bench/report.py docs "${args[@]}" -- tests/run-bench.sh "$bytes"
mv docs/benchmarks.md.gen docs/benchmarks.md
say "wrote docs/benchmarks.md and docs/benchmarks.png"
