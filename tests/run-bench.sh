#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Regenerate docs/benchmarks.md and docs/benchmarks.png from one run: the
# model job (tests/guest/job-model.sh) in the Zynq-7000 and ZynqMP bench
# guests (kernels built like a BSP's), each under -icount shift=0 with the
# memmodel plugin configured as the board's caches, every mode repeated at
# every buffer size; then one short boot that holds the plugin's cache
# counts against QEMU's own cache plugin. The plugins are built from
# Debian's qemu source in the cache (tests/bench/build-plugins.sh). Where a
# target has a disk named rec, the record-* modes write onto it.
#   tests/run-bench.sh [--bytes 8M] [--sizes 16K,64K,256K] [--repeat 5]
#                      [--targets zynq-bsp-plain,zynqmp-bsp-plain] [--no-check]
#                      [--modes LIST]
# --modes runs those modes only (fpgacap-bench's names, comma-separated):
# a partial run, whose report stays in $FPGACAP_WORK/bench instead of
# replacing docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
. tests/lib/common.sh
. tests/lib/target.sh
argv=("$@")
bytes=8M sizes=16K,64K,256K repeat=5 check=1 modes=
targets=zynq-bsp-plain,zynqmp-bsp-plain
usage="usage: run-bench.sh [--bytes N] [--sizes LIST] [--repeat N] [--targets LIST] [--no-check] [--modes LIST]"
while [ $# -gt 0 ]; do
	case $1 in
	--bytes) bytes=$2; shift ;;
	--sizes) sizes=$2; shift ;;
	--repeat) repeat=$2; shift ;;
	--targets) targets=$2; shift ;;
	--no-check) check=0 ;;
	--modes)
		[[ $2 =~ ^[a-z-]+(,[a-z-]+)*$ ]] || die "--modes: fpgacap-bench's mode names, comma-separated"
		modes=$2; shift ;;
	*) die "$usage" ;;
	esac
	shift
done
command="tests/run-bench.sh --bytes $bytes --sizes $sizes --repeat $repeat --targets $targets"
[ "$check" = 1 ] || command="$command --no-check"
[ -z "$modes" ] || command="$command --modes $modes"
# One turn at the machine-wide lock for the whole run, rather than one per
# guest and kernel build (its steps run one after another anyway): the
# harness scripts below take a lock of this run's own meanwhile.
if [ -z "${FPGACAP_BENCH_LOCKED:-}" ]; then
	say "waiting for the machine-wide lock (held for the whole run)"
	exec flock "$FPGACAP_HEAVY_LOCK" env FPGACAP_BENCH_LOCKED=1 \
		FPGACAP_HEAVY_LOCK="$FPGACAP_WORK/bench.lock" "$0" "${argv[@]}"
fi
start=$(date +%s)
tests/setup-host.sh
plugins=$(tests/bench/build-plugins.sh)
out=$FPGACAP_WORK/bench
rm -rf "$out"
mkdir -p "$out"
logs=$FPGACAP_WORK/logs

# The plugin's cache geometry for a target's CPU (tests/bench/model.py).
caches() {
	python3 -c "import sys; sys.path.insert(0, 'tests/bench'); import model
print(model.CPUS[model.cpu_of('$1')]['caches'])"
}

# What the report needs to name the code a profiled run spent its
# cycles in: the guest kernel's System.map, the module, the bench binary.
guest_info() {
	local target=$1 check_log=${2:-}
	(
		load_target "$target"
		kdir=$(tests/build-kernel.sh "$target")
		build=$FPGACAP_WORK/build/$target
		python3 -c 'import json, sys
print(json.dumps(dict(zip(["arch", "system_map", "module", "bench",
                           "check_log"], sys.argv[1:]))))' \
			"$arch" "$kdir/System.map" "$build/fpgacap.ko" \
			"$build/bin/fpgacap-bench" "$check_log"
	)
}

args=()
checked=
for target in ${targets//,/ }; do
	arch=$(load_target "$target"; echo "$arch")
	append=(--env "FPGACAP_BENCH_BYTES=$bytes" --env "FPGACAP_BENCH_SIZES=$sizes"
		--env "FPGACAP_BENCH_REPEAT=$repeat" --env FPGACAP_BENCH_RUN_TIMEOUT=300)
	[ -z "$modes" ] || append+=(--env "FPGACAP_BENCH_MODES=$modes")
	# No highmem on 32-bit ARM: its GEM lacks NETIF_F_HIGHDMA
	# (docs/library.md asks the same of a board).
	[ "$arch" != armhf ] || append+=(--env mem=700M)
	log=$logs/$target-model.log
	# Idle time passes in host time (sleep=on): the guest waits for its
	# sinks on this host, and a timer must not fire early meanwhile.
	# The plugin counts only what the CPU executes.
	FPGACAP_ICOUNT=shift=0,sleep=on FPGACAP_GUEST_TIMEOUT=${FPGACAP_GUEST_TIMEOUT:-5400} \
	FPGACAP_QEMU_ARGS="-plugin $plugins/libmemmodel.so,$(caches "$arch") -d plugin -D $log.model" \
		tests/run-guest.sh "$target" model --icount "${append[@]}" >&2 ||
		say "$target: the model job failed; the report shows what it measured"
	for f in "$log" "$log.cmd" "$log.model"; do
		cp "$f" "$out/$target${f#"$log"}"
	done
	# The cache cross-check: one short boot of the first 32-bit ARM
	# target with both plugins, memmodel counting as cache.c does.
	check_log=
	if [ "$check" = 1 ] && [ "$arch" = armhf ] && [ -z "$checked" ]; then
		clog=$logs/$target-check.log
		qc="dcachesize=32768,dassoc=4,dblksize=32,icachesize=32768,iassoc=4"
		qc="$qc,iblksize=32,l2cachesize=524288,l2assoc=8,l2blksize=32,evict=lru"
		FPGACAP_ICOUNT=shift=0,sleep=on \
		FPGACAP_QEMU_ARGS="-plugin $plugins/libmemmodel.so,$(caches "$arch"),check=on -plugin $plugins/libcache.so,$qc -d plugin -D $clog" \
			tests/run-guest.sh "$target" model --icount --env mem=700M \
			--env FPGACAP_BENCH_SIZES=64K --env FPGACAP_BENCH_REPEAT=1 \
			--env FPGACAP_BENCH_BYTES=2M --env FPGACAP_BENCH_PROFILE=none \
			--env FPGACAP_BENCH_MODES=capture,copy >&2 ||
			say "$target: the cross-check boot failed"
		cp "$clog" "$out/check.model"
		check_log=$out/check.model checked=1
	fi
	guest_info "$target" "$check_log" >"$out/$target.json"
	args+=("$target=$out/$target")
done
python3 tests/bench/report.py "$out" "${args[@]}" -- "$command"
if [ -n "$modes" ]; then
	say "a partial run (--modes): the report is $out/benchmarks.md, docs/benchmarks.md is unchanged"
	exit 0
fi
cp "$out/benchmarks.md" docs/benchmarks.md
cp "$out/benchmarks.png" docs/benchmarks.png
say "wrote docs/benchmarks.md and docs/benchmarks.png in $(( $(date +%s) - start )) s"
