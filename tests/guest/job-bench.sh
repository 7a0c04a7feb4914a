# SPDX-License-Identifier: GPL-2.0-only
# The benchmark job: every mode side by side in one boot, each repeated,
# one buffer size at a time (the classic coherent driver is loaded with
# that size for its modes; the record-* modes write onto the target's disk
# named rec where it has one), then the micro-benchmarks; each
# fpgacap-bench document between markers for the host to collect.
#   FPGACAP_BENCH_BYTES   bytes per run (default 16M)
#   FPGACAP_BENCH_REPEAT  runs of every mode and size (default 5)
#   FPGACAP_BENCH_SIZES   buffer sizes (default 16K,64K,256K,1M)
#   FPGACAP_BENCH_MODES   modes, comma-separated (default: every mode)
#   FPGACAP_BENCH_MICRO   1: every micro-benchmark (default), 0: none, or
#                         a list of memcpy, handoff, setup
#   FPGACAP_BENCH_RUN_TIMEOUT  seconds a run may take (fpgacap-bench
#                         --run-timeout; default: no limit)
. /net.sh
. /disks.sh
insmod /lib/modules/fpgacap.ko pattern_devices=1 || rc=1
net_up || echo "network setup failed"
udp=
if [ -n "$FPGACAP_UDP_SINK" ] && udp_net_up; then
	udp="--udp 10.0.3.100:5000 --udp-control $FPGACAP_UDP_SINK"
fi
for d in /sys/class/fpgacap/*; do
	[ "$(cat "$d/source")" = pattern ] && dev=/dev/${d##*/}
done
rec=$(disk_node rec) || rec=
modes=--compare
if [ -n "$FPGACAP_BENCH_MODES" ]; then
	modes=
	for m in $(echo "$FPGACAP_BENCH_MODES" | tr , " "); do
		case $m in record-*) [ -n "$rec" ] || continue ;; esac
		modes="$modes -m $m"
	done
fi
classic=$(ls /lib/modules/test/fpgacap-classic.ko 2>/dev/null)
for size in $(echo "${FPGACAP_BENCH_SIZES:-16K,64K,256K,1M}" | tr , " "); do
	kb=${size%K}
	[ "$kb" != "$size" ] || kb=$((${size%M} * 1024))
	cl=
	if [ -n "$classic" ] && insmod "$classic" buffers=8 buffer_kb="$kb"; then
		cl="--classic /dev/fpgacap-classic"
	fi
	echo "FPGACAP-BENCH-BEGIN $size"
	# shellcheck disable=SC2086 # option lists
	fpgacap-bench -d "$dev" $modes --size "$size" -c 8 \
		-b "${FPGACAP_BENCH_BYTES:-16M}" -r "${FPGACAP_BENCH_REPEAT:-5}" \
		${FPGACAP_BENCH_RUN_TIMEOUT:+--run-timeout $FPGACAP_BENCH_RUN_TIMEOUT} \
		$cl $udp ${rec:+--record-to $rec} --json -q 10.0.2.100:5556 || rc=1
	echo "FPGACAP-BENCH-END"
	[ -z "$cl" ] || rmmod fpgacap_classic || rc=1
done
micro=${FPGACAP_BENCH_MICRO:-1}
[ "$micro" != 1 ] || micro=memcpy,handoff,setup
if [ "$micro" != 0 ]; then
	echo "FPGACAP-BENCH-BEGIN micro"
	# shellcheck disable=SC2046 # one option a word
	fpgacap-bench -d "$dev" $(echo "$micro" | sed 's/^/--/; s/,/ --/g') \
		--json -q || rc=1
	echo "FPGACAP-BENCH-END"
fi
rmmod fpgacap || rc=1
