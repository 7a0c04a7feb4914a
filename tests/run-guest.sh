#!/usr/bin/env bash
# Boot one emulated guest with a job, collect its serial log, judge it.
#   tests/run-guest.sh x86|zynq|zynq-plain tests|demo|bench [--icount]
#                      [--tests a_test,b_test]
# zynq boots the debug kernel (DMA-API debug, lockdep, kmemleak), zynq-plain
# the same kernel without them, for figures.
# The guest's only network is QEMU user networking with restrict=on and a
# guestfwd of 10.0.2.100:5555 to a sink on this host's 127.0.0.1.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
. "$FPGACAP_TOP/tests/lib/initramfs.sh"
. "$FPGACAP_TOP/tests/lib/judge.sh"

target=${1:?usage: run-guest.sh x86|zynq|zynq-plain JOB [--icount] [--tests LIST] [--env K=V]}
job=${2:?job: tests or demo}
shift 2
icount=0 tests= timeout_s=${FPGACAP_GUEST_TIMEOUT:-1500}
while [ $# -gt 0 ]; do
	case $1 in
	--icount) icount=1 ;;
	--tests) tests=$2; shift ;;
	--env) extra_env="${extra_env:-} $2"; shift ;;
	*) die "unknown option $1" ;;
	esac
	shift
done

logdir=$FPGACAP_WORK/logs
mkdir -p "$logdir"
log=$logdir/$target-$job.log
rm -f "$logdir/$target-$job.result"
build=$(tests/build.sh "$target")
# The sink runs on this host, built for it.
host_build=$build
[ "$target" = x86 ] || host_build=$("$FPGACAP_TOP/tests/build.sh" x86)
flavour=debug
[ "$target" != zynq-plain ] || flavour=plain
initrd=$(make_initramfs "$target" "$job" "$build")

# The host sink. QEMU's guestfwd to a tcp: chardev is one connection for
# the whole run (a guest's close never reaches the sink), so each guest
# connection to 10.0.2.100:5555 instead starts the sink on this host with
# the connection as its stdin/stdout (guestfwd ...-cmd:). Nothing else is
# reachable: restrict=on, and the guest has no default route.
sink=$host_build/bin/fpgacap-sink
sinklog=$logdir/$target-$job.sink.log
rm -f "$sinklog"
net=
# Ports: 5555 verifies (frames or the raw pattern), 5556 only counts,
# 5557 verifies while reading slowly (2 MB/s), 5558 hangs up after 1 MiB.
if [ -x "$sink" ]; then
	fwd() { echo -n ",guestfwd=tcp:10.0.2.100:$1-cmd:$sink --stdio --log $sinklog $2"; }
	net="user,id=n0,restrict=on$(fwd 5555 '--verify auto')$(fwd 5556 '')"
	net="$net$(fwd 5557 '--verify auto --rate 2M')$(fwd 5558 '--close-after 1M')"
fi

append="loglevel=4 panic=-1"
[ -z "$tests" ] || append="$append FPGACAP_TESTS=$tests"
[ -z "${extra_env:-}" ] || append="$append$extra_env"
[ -z "$net" ] || append="$append FPGACAP_SINK=10.0.2.100:5555"
accel=()
[ "$icount" = 0 ] || accel=(-icount "${FPGACAP_ICOUNT:-shift=0,sleep=off}")

case $target in
x86)
	kimg=$(x86_kernel_dir)
	rel=$(host_headers_release)
	cmd=(qemu-system-x86_64 -nographic -no-reboot -m 1G
	     -kernel "$kimg/boot/vmlinuz-$rel" -initrd "$initrd"
	     -append "console=ttyS0 $append")
	if [ "$icount" = 1 ]; then cmd+=(-smp 1 "${accel[@]}"); else cmd+=(-smp 2); fi
	if [ -n "$net" ]; then
		cmd+=(-netdev "$net" -device e1000,netdev=n0)
	else
		cmd+=(-nic none)
	fi
	;;
zynq | zynq-plain)
	kdir=$("$FPGACAP_TOP/tests/build-zynq-kernel.sh" "$flavour")
	dtb=$("$FPGACAP_TOP/tests/build-dtb.sh" "$kdir")
	# One TCG thread: with multi-threaded TCG the PL330 model (run from
	# QEMU's main loop) raises its interrupt while guest code runs on, so
	# a completion can be seen before the model wrote every beat.
	cmd=(qemu-system-arm -M xilinx-zynq-a9 -m 1G -nographic -no-reboot
	     -serial null -serial mon:stdio
	     -kernel "$kdir/arch/arm/boot/zImage" -dtb "$dtb" -initrd "$initrd"
	     -append "console=ttyPS0,115200 $append")
	if [ "$icount" = 1 ]; then cmd+=("${accel[@]}"); else cmd+=(-accel tcg,thread=single); fi
	if [ -n "$net" ]; then
		cmd+=(-nic "$net,model=cadence_gem")
	else
		cmd+=(-nic none)
	fi
	;;
esac

say "booting $target guest ($job); log: $log"
start=$(date +%s)
set +e
heavy timeout -k 10 "$timeout_s" "${cmd[@]}" </dev/null >"$log" 2>&1
qrc=$?
set -e
say "$target guest exited (qemu rc $qrc) after $(( $(date +%s) - start )) s"
# What the job wants the user to see.
tr -d '\r' <"$log" | sed -n '/^FPGACAP-DEMO-BEGIN/,/^FPGACAP-DEMO-END/p' |
	grep -v '^FPGACAP-DEMO-' || true
judge_log "$log" "$target"
echo "$JUDGE_PASSED $JUDGE_FAILED $JUDGE_SKIPPED" >"$logdir/$target-$job.result"
[ "$JUDGE_FAILED" = 0 ]
