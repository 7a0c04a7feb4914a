#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Every test: static checks (W=1 against every guest kernel, sparse,
# checkpatch, UAPI, userspace cross builds, device trees), host unit tests,
# then the selftests in each guest target of the matrix.
#   tests/run-tests.sh            the default matrix ($default_targets)
#   tests/run-tests.sh --all      every target in tests/targets/ but the
#                                 benchmark-only *-plain targets
# (tests/run-newest.sh runs the newest kernel in Debian's archive.)
#   tests/run-tests.sh --targets a,b
#   tests/run-tests.sh --soak 1h  only the soak test, that long (s, m, h),
#                                 on x86 unless --targets says otherwise
# Prints "N passed, N failed" last; exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
. tests/lib/common.sh
. tests/lib/debian-kernel.sh
. tests/lib/target.sh

# The default matrix (docs/testing.md, Time: 54 minutes on a fresh 2-core
# machine) builds two kernels from source, one debug
# kernel for each architecture no Debian image serves: x86-debug (6.1:
# KASAN, UBSAN, lockdep, kmemleak, coverage) and zynq (6.1, the PL330 and
# GEM, which no Debian image boots). Debian's images carry the rest: the
# newest line (x86-7.3), swiotlb (x86-swiotlb, 6.1) and the ZynqMP's ZDMA
# (zynqmp, 6.1 arm64); fpgacap-iiod runs on zynq (x86_64 too with --all
# or --targets). The kernels are built ahead, niced, while the host and
# packaging tests run. x86, x86-6.12,
# x86-7.3-debug, zynq-7.3 (a third kernel) and the rest run with --all;
# tests/run-newest.sh runs the newest line in the archive.
default_targets="x86-debug x86-7.3 x86-swiotlb zynq zynqmp"
targets=${FPGACAP_TARGETS:-$default_targets}
soak= all= chosen=${FPGACAP_TARGETS:+1}
while [ $# -gt 0 ]; do
	case $1 in
	--all) all=1
		targets=$(target_names | tr ' ' '\n' | grep -v -- '-plain$' | tr '\n' ' ')
		export FPGACAP_STATIC_KERNELS=${FPGACAP_STATIC_KERNELS:-6.1 6.12 7.2@sid 7.3@trixie-backports} ;;
	--targets) targets=${2:?--targets needs a list: a,b (tests/targets/)}
		targets=${targets//,/ } chosen=1; shift ;;
	--soak) soak=${2:?--soak needs a duration}; shift ;;
	*) echo "usage: run-tests.sh [--all | --targets a,b] [--soak DURATION]" >&2; exit 2 ;;
	esac
	shift
done

if [ -n "$soak" ]; then
	case $soak in
	*h) secs=$(( ${soak%h} * 3600 )) ;;
	*m) secs=$(( ${soak%m} * 60 )) ;;
	*s) secs=${soak%s} ;;
	*) secs=$soak ;;
	esac
	[ "$secs" -gt 0 ] 2>/dev/null || die "--soak: a duration such as 600s, 30m or 1h"
	[ -n "$chosen" ] || targets=x86
	passed=0 failed=0
	for target in $targets; do
		FPGACAP_GUEST_TIMEOUT=$((secs + 900)) tests/run-guest.sh "$target" \
			tests --tests soak_test --env "FPGACAP_SOAK_SECONDS=$secs" >&2
		read -r p f _ <"$FPGACAP_WORK/logs/$target-tests.result" || f=1
		passed=$((passed + ${p:-0})) failed=$((failed + ${f:-1}))
	done
	echo "$passed passed, $failed failed"
	[ "$failed" = 0 ]
	exit
fi

start=$(date +%s)
passed=0 failed=0 skipped=0
tally_tap() {	# count TAP lines of a file
	local p f s
	p=$(grep -Ec '^ok [0-9]+ [^#]*$' "$1" || true)
	s=$(grep -Ec '^ok [0-9]+ .*# SKIP' "$1" || true)
	f=$(grep -Ec '^not ok [0-9]+' "$1" || true)
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
}

tests/setup-host.sh || { echo "0 passed, 1 failed"; exit 1; }
# What comes, for a first run that builds guest kernels for a long while
# (each build says how far it is every minute).
say "plan: static checks, host tests, packaging tests, then the guests: $targets" \
	"(a fresh cache builds their kernels first: 10 to 25 minutes each)"
log=$FPGACAP_WORK/logs
mkdir -p "$log"
times=
# Time spent waiting for the emulator/build lock while other checkouts'
# work held it (tests/lib/common.sh, heavy_timed).
export FPGACAP_LOCK_WAITS=$log/lock-waits
: >"$FPGACAP_LOCK_WAITS"

# Debian's kernel images and the sources of the kernels the guests build,
# fetched and unpacked while the static checks and host tests run (which
# use neither): a fresh machine's downloads leave the guests' path. The
# packaging tests (which resolve the x86 guest's image) wait for it; what
# failed here the guests fetch again themselves. It runs niced, in a
# process group of its own, ended with the run (^C too).
prefetch_guests() {
	local target rel
	for target in $targets; do
		(
			load_target "$target"
			if [ -n "$kernel_package" ]; then
				rel=$(debian_kernel_release "$kernel_package" "$kernel_suite") &&
					debian_image "$rel" "$kernel_suite" >/dev/null
			elif [ -n "$kernel_suite" ]; then
				kernel_source_dir "$kernel_source" "$kernel_suite" >/dev/null
			fi
		) || say "prefetch for $target failed; its guest fetches again"
	done
}
set -m
prefetch_guests >"$log/prefetch.log" 2>&1 &
prefetch=$!
set +m
renice -n 10 -p "$prefetch" >/dev/null 2>&1 || true
# What is still running at exit, and only that: a group waited for is
# forgotten, as its number may be another's by then.
ahead=
end_helpers() {
	local g
	for g in $prefetch $ahead; do
		kill -TERM -- "-$g" 2>/dev/null
	done
}
trap end_helpers EXIT

say "static checks"
t0=$(date +%s)
# A static check may use a guest's kernel where Debian has no build, but
# only one this run boots (tests/check-static.sh).
export FPGACAP_RUN_TARGETS=" $targets "
tests/check-static.sh | tee "$log/static.tap"
tally_tap "$log/static.tap"
times="$times static=$(( $(date +%s) - t0 ))s"

# Guest kernels built from source, built ahead while the host and
# packaging tests run: those leave most of the CPU idle (the host tests
# mostly wait on their own timers), and the build, niced to 19, takes only
# what they leave. The Zynq-7000's first (the packaging tests build the
# README's board commands against it and wait for it there), then the
# first guest's. One build at a time as ever, and no guest starts before
# both are done.
ahead_targets=
# Not while another checkout's guest or build holds the machine: that
# would make it wait for a niced build. (A look at this moment only: a
# checkout between two of its guests may still find its next one waiting.)
flock -n "$FPGACAP_HEAVY_LOCK" true || ahead_targets=none
for target in zynq $targets; do
	[ "$ahead_targets" != none ] || break
	( load_target "$target" && [ -n "$kernel_source" ] ) >/dev/null 2>&1 || continue
	case " $ahead_targets " in *" $target "*) continue ;; esac
	ahead_targets="$ahead_targets $target"
	[ "$(echo $ahead_targets | wc -w)" -lt 2 ] || break
done
ahead_say=${ahead_targets:- none}
[ "$ahead_targets" != none ] || { ahead_targets= ahead_say=" none (the machine is busy)"; }
set -m
nice -n 19 ionice -c 3 -t bash -c 't0=$(date +%s)
for t in $1; do
	tests/build-kernel.sh "$t" >/dev/null ||
		echo "[fpgacap] building the $t kernel ahead failed (see $2); it is built again where it is needed"
done
echo "[fpgacap] kernels ahead ($1 ) ready after $(($(date +%s) - t0)) s"' \
	- "$ahead_targets" "$log/kernels-ahead.log" >"$log/kernels-ahead.log" 2>&1 &
ahead=$!
set +m

say "host unit tests (kernels built ahead meanwhile, niced:$ahead_say)"
if make -s -j"$JOBS" -C userspace O="$FPGACAP_WORK/build/host" WERROR=1 \
	KSFT_DIR="$(kernel_source_dir)/tools/testing/selftests" check \
	>"$log/host.tap" 2>&1; then :; fi
grep -E '^(ok|not ok) ' "$log/host.tap"
# What a failing test said, from its RUN line on.
awk '/^#  RUN / { n = 0 } /^#/ { if (n < 40) d[n++] = $0 }
	/^not ok / { for (i = 0; i < n; i++) print "  " d[i] } /^(not )?ok / { n = 0 }' \
	"$log/host.tap" >&2
tally_tap "$log/host.tap"
grep -q '^# Totals' "$log/host.tap" || { say "host tests did not run"; failed=$((failed + 1)); }

wait "$prefetch"
prefetch=
! grep -q failed "$log/prefetch.log" ||
	say "fetching ahead failed for a guest (see $log/prefetch.log); it fetches again"
say "packaging tests"
tests/packaging-test.sh >"$log/packaging.tap" 2>&1 || true
grep -E '^(ok|not ok) ' "$log/packaging.tap"
tally_tap "$log/packaging.tap"

say "first-run progress"
tests/progress-test.sh >"$log/progress.tap" 2>&1 || true
grep -E '^(ok|not ok) ' "$log/progress.tap"
tally_tap "$log/progress.tap"

say "the verdict on a guest's log"
tests/judge-test.sh >"$log/judge.tap" 2>&1 || true
grep -E '^(ok|not ok) ' "$log/judge.tap"
tally_tap "$log/judge.tap"

if ! wait "$ahead"; then :; fi
ahead=
grep -E 'built in|failed|ready after' "$log/kernels-ahead.log" >&2 || true

ntargets=$(echo $targets | wc -w) itarget=0
for target in $targets; do
	itarget=$((itarget + 1))
	say "$target guest ($itarget of $ntargets)"
	t0=$(date +%s)
	tests/run-guest.sh "$target" tests >&2
	result=$FPGACAP_WORK/logs/$target-tests.result
	if [ -s "$result" ]; then
		read -r p f s secs <"$result"
		passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
		# Build and boot in all, and the emulator's share.
		times="$times $target=$(( $(date +%s) - t0 ))s(guest ${secs}s)"
	else
		say "$target guest: no result (build or boot failed)"
		failed=$((failed + 1))
	fi
done

# fpgacap-iiod in the guest, Debian's libiio clients on this host, on the
# boards the run covers with a NIC that transmits from the pool: zynq and
# zynq-7.3 when they run, and in a run of chosen targets (--all,
# --targets, FPGACAP_TARGETS) x86_64 on Debian's
# 6.1 image whenever the run has an x86_64 target (its latency limit is
# that guest's; no kernel to build; the server is userspace, so one x86_64
# kernel is enough). The default matrix leaves x86_64 to --all: the board
# is what the server is for, and the minute counts there.
# FPGACAP_IIOD_TARGETS names them instead (x86-7.3 too).
iiod_targets=${FPGACAP_IIOD_TARGETS-}
if [ -z "${FPGACAP_IIOD_TARGETS+set}" ]; then
	for target in $targets; do
		case $target in
		zynq | zynq-7.3) ;;
		x86*) [ -n "$all$chosen" ] || continue
			target=x86 ;;
		*) continue ;;
		esac
		case " $iiod_targets " in
		*" $target "*) ;;
		*) iiod_targets="$iiod_targets $target" ;;
		esac
	done
fi
for target in $iiod_targets; do
	say "$target: fpgacap-iiod with libiio clients"
	t0=$(date +%s)
	/usr/bin/python3 tests/iiod/iiod_test.py "$target" >"$log/iiod-$target.tap" \
		2>"$log/iiod-$target.err" || true
	grep -E '^(ok|not ok) |^#' "$log/iiod-$target.tap"
	tally_tap "$log/iiod-$target.tap"
	grep -q '^1\.\.' "$log/iiod-$target.tap" ||
		{ say "iiod on $target did not finish"; failed=$((failed + 1)); }
	times="$times iiod-$target=$(( $(date +%s) - t0 ))s"
done

# The README's quick start, its commands as written, on the emulated
# Zynq-7000 board (tests/run-demo.sh): a README that drifts from the tools
# fails here.
case " $targets " in
*" zynq "*)
	say "the README's quick start on the zynq board (tests/run-demo.sh)"
	t0=$(date +%s)
	if tests/run-demo.sh >"$log/demo.out" 2>&1; then
		echo "ok 1 README.md's quick start on the emulated Zynq-7000 board"
		passed=$((passed + 1))
	else
		echo "not ok 1 README.md's quick start on the emulated Zynq-7000 board"
		tail -40 "$log/demo.out" >&2
		failed=$((failed + 1))
	fi
	times="$times demo=$(( $(date +%s) - t0 ))s"
	;;
esac

# Coverage of driver/ by everything that ran on a gcov target.
for target in $targets; do
	[ -d "$FPGACAP_WORK/gcov/$target" ] || continue
	( load_target "$target" && [ "$gcov" = 1 ] ) || continue
	tests/coverage.sh "$target" 2>/dev/null | grep -E 'lines|functions|branches' |
		sed "s/^/[fpgacap] $target coverage: /" >&2 || true
done

waited=$(awk '{ s += $1 } END { print s + 0 }' "$FPGACAP_LOCK_WAITS")
say "done in $(( $(date +%s) - start )) s, of which $waited s waiting for the lock" \
	"($skipped skipped;$times)"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
