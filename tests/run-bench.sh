#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Regenerate docs/benchmarks.md and docs/benchmarks.png from one run: the
# bench job (tests/guest/job-bench.sh) in the x86_64 guest and in the
# Zynq-7000 guest (plain kernel, no debug options), and the page pool's TCP
# modes in the x86_64 and Zynq guests on Linux 6.12 (fixed buffers, which
# 6.1 refuses to register), all under QEMU's
# -icount shift=0 with one CPU, so that busy guest time counts guest
# instructions; every mode repeated at every buffer size.
#   tests/run-bench.sh [--bytes X86,ZYNQ] [--sizes LIST] [--zynq-sizes LIST]
#                      [--repeat 5] [--targets x86,zynq-plain,x86-6.12,zynq-6.12-plain]
# Buffer sizes: --sizes for x86, --zynq-sizes for the Zynq guest (both
# 16K,64K,256K by default).
set -euo pipefail
cd "$(dirname "$0")/.."
. tests/lib/common.sh
bytes=16M,8M sizes=16K,64K,256K zsizes=16K,64K,256K repeat=5
targets=x86,zynq-plain,x86-6.12,zynq-6.12-plain
while [ $# -gt 0 ]; do
	case $1 in
	--bytes) bytes=$2 ;;
	--sizes) sizes=$2 ;;
	--zynq-sizes) zsizes=$2 ;;
	--repeat) repeat=$2 ;;
	--targets) targets=$2 ;;
	*) die "usage: run-bench.sh [--bytes X86,ZYNQ] [--sizes LIST] [--zynq-sizes LIST] [--repeat N] [--targets LIST]" ;;
	esac
	shift 2
done
command="tests/run-bench.sh --bytes $bytes --sizes $sizes --zynq-sizes $zsizes --repeat $repeat --targets $targets"
tests/setup-host.sh
out=$FPGACAP_WORK/bench
mkdir -p "$out"
args=()
for target in ${targets//,/ }; do
	# Streams through the Zynq guest's emulated GEM cost far more host
	# time per byte: the second figure of --bytes is its bytes per run.
	case $target in
	# The Zynq guest without highmem (mem=700M of its 1 GiB), as
	# docs/library.md asks of a board: its GEM lacks NETIF_F_HIGHDMA.
	# Its idle time passes in host time (sleep=on: its datagram sink and
	# its TCP peers answer in host time), while busy time counts
	# instructions either way. A run longer than a minute of guest time
	# ends as failed. (The 6.1 guest's device tree leaves out the triple
	# timer counters, whose QEMU model can stop an -icount run for good:
	# dts/fpgacap-zc702-emu-no-ttc.dts.)
	zynq*) n=${bytes#*,} s=$zsizes sleep=on
		extra=(--env mem=700M --env FPGACAP_BENCH_RUN_TIMEOUT=60) ;;
	*) n=${bytes%%,*} s=$sizes extra=() sleep=off ;;
	esac
	# Linux 6.12 registers the writable pool (6.1 refuses it): there the
	# page pool's TCP modes only, for fixed-buffer SEND_ZC against the
	# others, at the sizes the targets name.
	case $target in
	x86-6.12) s=64K,256K extra=(--env FPGACAP_BENCH_MODES=capture,copy,zerocopy,uring,uring-fixed --env FPGACAP_BENCH_MICRO=0) ;;
	zynq-6.12*) s=64K,256K n=2M
		extra=(--env mem=700M --env FPGACAP_BENCH_RUN_TIMEOUT=60
		       --env FPGACAP_BENCH_MODES=capture,copy,zerocopy,uring,uring-fixed
		       --env FPGACAP_BENCH_MICRO=0) ;;
	esac
	# The 6.12 Zynq guest keeps its triple timer counters (without them
	# Linux 6.12 there sends TCP at a fifth of the rate, idle between
	# ticks), so QEMU's model of them can stop it for good now and then
	# (twice in two runs of 8 MB, after 15 and 17 of them; never in
	# two of 2 MB): 2 MB a run, and a guest that has not ended within
	# 10 minutes is killed and booted again, three times at most; its
	# figures come from the run that ended.
	tries=1 limit=${FPGACAP_GUEST_TIMEOUT:-1500}
	case $target in
	zynq-6.12*) tries=3 limit=${FPGACAP_GUEST_TIMEOUT:-600} ;;
	esac
	log=$FPGACAP_WORK/logs/$target-bench.log
	for try in $(seq "$tries"); do
		# A failed run fails the job; the report shows it, and what
		# the other runs measured.
		FPGACAP_ICOUNT=shift=0,sleep=$sleep FPGACAP_GUEST_TIMEOUT=$limit \
			tests/run-guest.sh "$target" bench --icount \
			--env "FPGACAP_BENCH_BYTES=$n" --env "FPGACAP_BENCH_SIZES=$s" \
			--env "FPGACAP_BENCH_REPEAT=$repeat" "${extra[@]}" >&2 ||
			say "$target: the bench job failed; the report shows what it measured"
		tr -d '\r' <"$log" | grep -q '^FPGACAP-GUEST-END' && break
		say "$target: the guest stopped before its end (attempt $try of $tries)"
	done
	cp "$log" "$out/$target.log"
	cp "$log.cmd" "$out/$target.log.cmd"
	args+=("$target=$out/$target.log")
done
python3 tests/bench/report.py "$out" "${args[@]}" -- "$command"
cp "$out/benchmarks.md" docs/benchmarks.md
cp "$out/benchmarks.png" docs/benchmarks.png
say "wrote docs/benchmarks.md and docs/benchmarks.png"
