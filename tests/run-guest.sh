#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Boot one emulated guest with a job, collect its serial log, judge it.
#   tests/run-guest.sh TARGET JOB [--icount] [--tests a_test,b_test] [--env K=V]
#                      [--hostfwd HOSTPORT:GUESTPORT] [--host-done FILE]
#                      [--sink PORT:ARGS]
# TARGET is a file in tests/targets/ (kernel, machine, console, NIC, DMA
# sources); JOB is tests/guest/job-JOB.sh (tests, demo, bench).
# The guest's only network is QEMU user networking with restrict=on and
# guestfwds of 10.0.2.100:5555-5558 and 5561-5562 to sinks on this host's
# 127.0.0.1, and (targets with udp_nic) a second NIC whose frames QEMU sends
# to a UDP port on 127.0.0.1, where only those sinks listen.
# --hostfwd forwards this host's 127.0.0.1:HOSTPORT to the guest's
# GUESTPORT (a server in the guest, clients here); --host-done FILE lets
# the job wait for this host: its connection to 10.0.2.100:5559 gets
# "done" once FILE exists. --sink PORT:ARGS (repeatable) runs the sink of
# 10.0.2.100:PORT (one of the ports above, or another) with ARGS.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
. "$FPGACAP_TOP/tests/lib/debian-kernel.sh"
. "$FPGACAP_TOP/tests/lib/target.sh"
. "$FPGACAP_TOP/tests/lib/initramfs.sh"
. "$FPGACAP_TOP/tests/lib/judge.sh"
. "$FPGACAP_TOP/tests/lib/pauses.sh"
. "$FPGACAP_TOP/tests/lib/gcov.sh"
. "$FPGACAP_TOP/tests/lib/disks.sh"

usage="usage: run-guest.sh TARGET JOB [--icount] [--tests LIST] [--env K=V] [--hostfwd H:G] [--host-done FILE] [--sink PORT:ARGS]"
args=("$@")
load_target "${1:?$usage (targets: $(target_names))}"
job=${2:?$usage}
shift 2
icount=0 only= extra_env= hostfwds= host_done=
# The sinks of 10.0.2.100:PORT (see below), their arguments.
declare -A sink_args=([5555]='--verify auto' [5556]='' [5557]='--verify auto --rate 2M'
	[5558]='--close-after 1M')
while [ $# -gt 0 ]; do
	case $1 in
	--icount) icount=1 ;;
	--tests) only=$2; shift ;;
	--env) extra_env="$extra_env $2"; shift ;;
	--hostfwd)
		[[ $2 =~ ^[0-9]+:[0-9]+$ ]] || die "--hostfwd HOSTPORT:GUESTPORT, not $2"
		hostfwds="$hostfwds,hostfwd=tcp:127.0.0.1:${2%:*}-:${2#*:}"
		shift ;;
	--sink)
		[[ $2 =~ ^[0-9]+: ]] && [[ $2 != *,* ]] ||
			die "--sink PORT:ARGS (no commas), not $2"
		sink_args[${2%%:*}]=${2#*:}
		shift ;;
	--host-done)
		[[ $2 =~ ^/[A-Za-z0-9/._+-]+$ ]] || die "--host-done: an absolute path without spaces or commas"
		host_done=$2
		shift ;;
	*) die "unknown option $1" ;;
	esac
	shift
done
timeout_s=${FPGACAP_GUEST_TIMEOUT:-$timeout}
# --tests, or the target's own list (tests), or every test.
tests=${only:-$tests}

logdir=$FPGACAP_WORK/logs
mkdir -p "$logdir"
log=$logdir/$target-$job.log
rm -f "$log" "$log.cmd" "$logdir/$target-$job.result"
[ -n "${FPGACAP_PAUSED_ONCE:-}" ] || rm -f "$log.paused" "$log.paused.pauses"
build=$("$FPGACAP_TOP/tests/build.sh" "$target")
resolve_kernel
initrd=$(make_initramfs "$job" "$build")
dtb=$("$FPGACAP_TOP/tests/build-dtb.sh" "$target")
# The sink runs on this host, built for it.
host_build=$FPGACAP_WORK/build/host-tools
# Static: it runs from QEMU's guestfwd with no library path.
make -s -C "$FPGACAP_TOP/userspace" O="$host_build" WERROR=1 STATIC=1 programs \
	>"$host_build.log" 2>&1 ||
	{ cat "$host_build.log" >&2; die "host tools build failed"; }

# QEMU's guestfwd to a tcp: chardev is one connection for the whole run (a
# guest's close never reaches the sink), so each guest connection to
# 10.0.2.100:PORT instead starts the sink on this host with the connection
# as its stdin/stdout (guestfwd ...-cmd:). Nothing else is reachable:
# restrict=on, and the guest has no default route.
# Ports: 5555 verifies (frames or the raw pattern), 5556 only counts,
# 5557 verifies while reading slowly (2 MB/s), 5558 hangs up after 1 MiB.
sink=$host_build/bin/fpgacap-sink
sinklog=$logdir/$target-$job.sink.log
rm -f "$sinklog"
fwd() { echo -n ",guestfwd=tcp:10.0.2.100:$1-cmd:$sink --stdio --log $sinklog $2"; }
net="user,id=n0,restrict=on"
for p in $(printf '%s\n' "${!sink_args[@]}" | sort -n); do
	net="$net$(fwd "$p" "${sink_args[$p]}")"
done
# UDP: QEMU sends every frame eth1 transmits as one datagram to 127.0.0.1:
# P1 (from P2, where nothing ever arrives). A connection to 10.0.2.100:5561
# starts a sink on P1 that checks the datagrams in them and answers with
# its verdict when the guest half-closes; 5562 only counts. Nothing listens
# on P1 between connections; the guest has no route but to 10.0.3.100 and
# a static neighbour entry for it (net.sh).
udp_nic_arg=()
if [ -n "$udp_nic" ]; then
	read -r p1 p2 < <(python3 -c 'import socket
s = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*(x.getsockname()[1] for x in s))')
	net="$net$(fwd 5561 "--frames 127.0.0.1:$p1 --verify auto")"
	net="$net$(fwd 5562 "--frames 127.0.0.1:$p1")"
	udp_nic_arg=(-nic "socket,id=n1,udp=127.0.0.1:$p1,localaddr=127.0.0.1:$p2,model=$udp_nic,mac=52:54:00:fc:00:02")
fi
# Servers in the guest, reached from this host's loopback only.
net="$net$hostfwds"
if [ -n "$host_done" ]; then
	# The waiting ends with the guest's time limit at the latest.
	wait_cmd="i=0; until test -e $host_done || test \$i -ge $((timeout_s * 5)); do sleep 0.2; i=\$((i + 1)); done; echo done"
	net="$net,guestfwd=tcp:10.0.2.100:5559-cmd:sh -c '$wait_cmd'"
fi

cmdline="console=$console loglevel=4 panic=-1 $append"
cmdline="$cmdline FPGACAP_SINK=10.0.2.100:5555 FPGACAP_SOURCES=${sources// /,}"
[ -z "$kernel_source" ] || cmdline="$cmdline FPGACAP_KERNEL_BUILT=1"
[ -z "$tests" ] || cmdline="$cmdline FPGACAP_TESTS=$tests"
[ -z "$host_done" ] || cmdline="$cmdline FPGACAP_HOST_DONE=10.0.2.100:5559"
# The guest's last words before this host ends it (tests/guest/init); its
# clock under -icount is not this host's.
[ "$icount" = 1 ] || cmdline="$cmdline FPGACAP_BUDGET=$timeout_s"
cmdline="$cmdline$extra_env"

[ -z "$udp_nic" ] || cmdline="$cmdline FPGACAP_UDP_SINK=10.0.2.100:5561"
# The target's disks, made afresh for each run outside the checkout.
make_disks "$FPGACAP_WORK/disks/$job"
cmdline="$cmdline$disk_env"
cmd=("${qemu[@]}" -nographic -no-reboot -kernel "$kimage" -initrd "$initrd"
     -append "$cmdline" -nic "$net,model=$nic" "${udp_nic_arg[@]}")
[ -z "$dtb" ] || cmd+=(-dtb "$dtb")
cmd+=("${disk_args[@]}")
if [ "$icount" = 1 ]; then
	cmd+=("${qemu_cpus_icount[@]}" -icount "${FPGACAP_ICOUNT:-shift=0,sleep=off}")
else
	cmd+=("${qemu_cpus[@]}")
fi
# Extra emulator arguments, space-separated (the bench's TCG plugin).
read -ra qemu_extra <<<"${FPGACAP_QEMU_ARGS:-}"
cmd+=("${qemu_extra[@]}")

# The emulator's command line beside the log, quoted for a shell (reports
# quote it; it reruns the guest as it ran).
printf '%q ' "${cmd[@]}" >"$log.cmd"
echo >>"$log.cmd"
# No guest has sound (the ZCU102's DisplayPort audio would probe ALSA).
export QEMU_AUDIO_DRV=none
flock -n "$FPGACAP_HEAVY_LOCK" true ||
	say "waiting for the machine-wide lock: another run's guest or kernel build holds it"
say "booting $target guest ($job, kernel $krelease); log: $log"
# A pause of this whole machine (a CI VM its host stopped) expires every
# timer of the guest at once, its watchdogs' and its tests' alike.
watch_pauses >"$log.pauses" &
pauses_pid=$!
trap 'kill "$pauses_pid" 2>/dev/null || true' EXIT
start=$(date +%s)
set +e
heavy_timed "$log.seconds" timeout -k 10 "$timeout_s" "${cmd[@]}" </dev/null >"$log" 2>&1
qrc=$?
set -e
kill "$pauses_pid" 2>/dev/null || true
wait "$pauses_pid" 2>/dev/null || true
seconds=$(cat "$log.seconds" 2>/dev/null || echo 0)
say "$target guest exited (qemu rc $qrc) after $seconds s" \
	"(and $(( $(date +%s) - start - seconds )) s waiting for the lock)"
# What the job wants the user to see.
tr -d '\r' <"$log" | sed -n '/^FPGACAP-DEMO-BEGIN/,/^FPGACAP-DEMO-END/p' |
	grep -v '^FPGACAP-DEMO-' || true
[ "$gcov" = 0 ] || collect_gcov "$log" "$build/module" "$FPGACAP_WORK/gcov/$target"
judge_log "$log" "$target"
if [ -s "$log.pauses" ]; then
	say "$target: this machine stood still during the guest ($(paste -sd, "$log.pauses")): the guest's timers all expired at once"
	# Its timeouts measured the pause, not the guest: once more, the
	# first log kept beside the second. Only a job the guest runs alone
	# (with the host's side, a rerun would not have it again), and not
	# under -icount, whose clock a pause does not move.
	if [ "$JUDGE_FAILED" != 0 ] && [ -z "${FPGACAP_PAUSED_ONCE:-}" ] &&
	   [ "$job" = tests ] && [ "$icount" = 0 ] && [ -z "$host_done$hostfwds" ]; then
		mv "$log" "$log.paused"
		mv "$log.pauses" "$log.paused.pauses"
		say "$target: running the guest again (the first log: $log.paused)"
		FPGACAP_PAUSED_ONCE=1 exec "$FPGACAP_TOP/tests/run-guest.sh" "${args[@]}"
	fi
fi
echo "$JUDGE_PASSED $JUDGE_FAILED $JUDGE_SKIPPED $seconds" >"$logdir/$target-$job.result"
[ "$JUDGE_FAILED" = 0 ]
