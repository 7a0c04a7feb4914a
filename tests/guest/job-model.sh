# SPDX-License-Identifier: GPL-2.0-only
# The cost-model job (tests/run-bench.sh): every mode side by side in one
# boot, each repeated, one buffer size at a time, each run marked for the
# memmodel plugin that watches the guest CPU (fpgacap-bench --model). The
# data is written by the board's DMA engine (the memcpy source), never by
# the CPU, into a pool larger than the level 2 cache; the classic driver's
# coherent buffers stand beside it; where the target has a disk named rec
# (tests/lib/disks.sh), the record-* modes write the stream onto it. Then
# the memcpy micro-benchmark, cached and uncached, the model's calibration.
#   FPGACAP_BENCH_BYTES   bytes per run (default 8M)
#   FPGACAP_BENCH_REPEAT  runs of every mode and size (default 5)
#   FPGACAP_BENCH_SIZES   buffer sizes (default 16K,64K,256K)
#   FPGACAP_BENCH_POOL    pool bytes at every size (default 2M)
#   FPGACAP_BENCH_MODES   modes, comma-separated (default: every mode the
#                         bench and the guest can run, --compare)
#   FPGACAP_BENCH_PROFILE the size whose first run of each mode is also
#                         profiled per code block (default 64K; none: off)
#   FPGACAP_BENCH_RUN_TIMEOUT  seconds a run may take (default: no limit)
. /net.sh
. /disks.sh
insmod /lib/modules/fpgacap.ko || rc=1
net_up || echo "network setup failed"
udp=
if [ -n "$FPGACAP_UDP_SINK" ] && udp_net_up; then
	udp="--udp 10.0.3.100:5000 --udp-control $FPGACAP_UDP_SINK"
fi
rec=$(disk_node rec) || echo "FPGACAP-MODEL no rec disk: no record-* modes"
dev=/dev/fpgacap-memcpy
[ -e $dev ] || { echo "FPGACAP-MODEL no DMA source ($dev)"; rc=1; }
# Every mode the bench and this guest can run (fpgacap-bench --compare:
# a mode the bench learns is measured without a change here), or a list.
modes=--compare
if [ -n "$FPGACAP_BENCH_MODES" ]; then
	modes=
	for m in $(echo "$FPGACAP_BENCH_MODES" | tr , " "); do
		# A guest without the datagram NIC runs the TCP modes only.
		case $m in udp-*) [ -n "$udp" ] || continue ;; esac
		# ... and one without a disk to record onto, no record modes.
		case $m in record-*) [ -n "$rec" ] || continue ;; esac
		modes="$modes -m $m"
	done
fi
pool=${FPGACAP_BENCH_POOL:-2M}
kib() {
	case $1 in
	*K) echo "${1%K}" ;;
	*M) echo $((${1%M} * 1024)) ;;
	*) echo $(($1 / 1024)) ;;
	esac
}
classic=$(ls /lib/modules/test/fpgacap-classic.ko 2>/dev/null)
# Where the code is, for the report's per-block profile.
echo "FPGACAP-MODEL-STEXT $(grep -m1 ' _stext$' /proc/kallsyms)"
for s in /sys/module/fpgacap/sections/.text /sys/module/fpgacap_classic/sections/.text; do
	[ -r $s ] && echo "FPGACAP-MODEL-SECTION $s $(cat $s)"
done
for size in $(echo "${FPGACAP_BENCH_SIZES:-16K,64K,256K}" | tr , " "); do
	kb=$(kib "$size")
	count=$(($(kib "$pool") / kb))
	cl=
	# The classic driver takes 64 buffers at most.
	ccount=$count
	[ "$ccount" -le 64 ] || ccount=64
	if [ -n "$classic" ] && insmod "$classic" buffers=$ccount buffer_kb="$kb"; then
		cl="--classic /dev/fpgacap-classic"
	fi
	model=--model
	[ "$size" != "${FPGACAP_BENCH_PROFILE:-64K}" ] || model=--model-profile
	echo "FPGACAP-BENCH-BEGIN $size"
	# shellcheck disable=SC2086 # option lists
	fpgacap-bench -d "$dev" $modes $model --size "$size" -c "$count" \
		-b "${FPGACAP_BENCH_BYTES:-8M}" -r "${FPGACAP_BENCH_REPEAT:-5}" \
		${FPGACAP_BENCH_RUN_TIMEOUT:+--run-timeout $FPGACAP_BENCH_RUN_TIMEOUT} \
		$cl $udp ${rec:+--record-to $rec} --json -q 10.0.2.100:5556 || rc=1
	echo "FPGACAP-BENCH-END"
	[ -z "$cl" ] || rmmod fpgacap_classic || rc=1
done
# The calibration: memcpy out of a DMA-written pool buffer, and out of
# the classic driver's coherent buffers (4 of 256 KiB).
cl=
if [ -n "$classic" ] && insmod "$classic" buffers=4 buffer_kb=256; then
	cl="--classic /dev/fpgacap-classic"
fi
echo "FPGACAP-BENCH-BEGIN micro"
# shellcheck disable=SC2086 # option lists
fpgacap-bench -d "$dev" --memcpy --model -r "${FPGACAP_BENCH_REPEAT:-5}" \
	$cl --json -q || rc=1
echo "FPGACAP-BENCH-END"
[ -z "$cl" ] || rmmod fpgacap_classic || rc=1
rmmod fpgacap || rc=1
