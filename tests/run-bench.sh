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
# Buffer sizes: --sizes for x86 (default 16K,64K,256K), --zynq-sizes for
# the Zynq guest (default 64K,256K: its runs take several times the host
# time).
set -euo pipefail
cd "$(dirname "$0")/.."
. tests/lib/common.sh
bytes=16M,2M sizes=16K,64K,256K zsizes=64K,256K repeat=5
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
	# Its idle time passes in host time (sleep=on), while busy time
	# counts instructions either way.
	# Under -icount this guest now and then stops making progress, its
	# emulator busy: in datagram runs (bound sink, no datagram arriving),
	# once in a capture run, once while printing dmesg after the job (its
	# serial output stopped). Debian's QEMU 7.2 is livelocked then: gdb
	# on the stopped emulator shows its vCPU thread holding the big lock
	# while it re-arms a virtual-clock timer over and over (timer_mod_ns,
	# qemu_clock_notify, icount_start_warp_timer) and the main loop,
	# which would move the sockets' data, waiting for that lock; only
	# SIGKILL ends it. A datagram-only run stopped after 18 of its 30
	# runs with sleep=on and at its first run with sleep=off. Its
	# datagram modes are left out (without -icount udp_e2e_test passes
	# there). A run longer than a minute of guest time ends as
	# failed; a guest that stops for good is killed by run-guest.sh's
	# timeout, and what it printed before is still reported. Of the
	# micro-benchmarks
	# only memcpy: under -icount here the others did not finish within
	# five minutes of host time (the hand-off's wait for a full ring spins
	# for up to 20 s of guest time).
	zynq*) n=${bytes#*,} s=$zsizes sleep=on
		extra=(--env mem=700M --env FPGACAP_BENCH_RUN_TIMEOUT=60
		       --env FPGACAP_BENCH_MODES=capture,copy,zerocopy,uring,uring-fixed,coherent-copy,coherent-zerocopy
		       --env FPGACAP_BENCH_MICRO=memcpy) ;;
	*) n=${bytes%%,*} s=$sizes extra=() sleep=off ;;
	esac
	# Linux 6.12 registers the writable pool (6.1 refuses it): there the
	# page pool's TCP modes only, for fixed-buffer SEND_ZC against the
	# others, at the sizes the targets name.
	case $target in
	x86-6.12) s=64K,256K extra=(--env FPGACAP_BENCH_MODES=capture,copy,zerocopy,uring,uring-fixed --env FPGACAP_BENCH_MICRO=0) ;;
	zynq-6.12*) extra=(--env mem=700M --env FPGACAP_BENCH_RUN_TIMEOUT=60
		       --env FPGACAP_BENCH_MODES=capture,copy,zerocopy,uring,uring-fixed
		       --env FPGACAP_BENCH_MICRO=0) ;;
	esac
	# A failed run fails the job; the report shows it, and what the
	# other runs measured.
	FPGACAP_ICOUNT=shift=0,sleep=$sleep \
	FPGACAP_GUEST_TIMEOUT=${FPGACAP_GUEST_TIMEOUT:-1500} \
		tests/run-guest.sh "$target" bench --icount \
		--env "FPGACAP_BENCH_BYTES=$n" --env "FPGACAP_BENCH_SIZES=$s" \
		--env "FPGACAP_BENCH_REPEAT=$repeat" "${extra[@]}" >&2 ||
		say "$target: the bench job failed; the report shows what it measured"
	log=$FPGACAP_WORK/logs/$target-bench.log
	cp "$log" "$out/$target.log"
	cp "$log.cmd" "$out/$target.log.cmd"
	args+=("$target=$out/$target.log")
done
python3 tests/bench/report.py "$out" "${args[@]}" -- "$command"
cp "$out/benchmarks.md" docs/benchmarks.md
cp "$out/benchmarks.png" docs/benchmarks.png
say "wrote docs/benchmarks.md and docs/benchmarks.png"
