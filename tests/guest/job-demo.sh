# SPDX-License-Identifier: GPL-2.0-only
# The main job on an emulated board: load the driver with a pattern source,
# stream it zero-copy to the sink on the host, which checks every byte; on
# the Zynq-7000 board also stream what the PL330 DMA engine copies. Ends
# with one verdict line.
. /net.sh
rc=0 streams=0 good=0
insmod /lib/modules/fpgacap.ko pattern_devices=1 || rc=1
net_up || echo "network setup failed"
dev=
for d in /sys/class/fpgacap/*; do
	[ "$(cat "$d/source")" = pattern ] && dev=/dev/${d##*/}
done

# stream TITLE ARGS...: one fpgacap-stream run, counted for the verdict.
stream() {
	title=$1
	shift
	echo
	echo "== $title"
	streams=$((streams + 1))
	if fpgacap-stream -q --verdict "$@"; then
		good=$((good + 1))
	else
		rc=1
	fi
}

echo "FPGACAP-DEMO-BEGIN"
case $(uname -m) in
armv7l)
	echo "What runs: an emulated Zynq-7000 board (QEMU xilinx-zynq-a9: Cortex-A9,"
	echo "PL330 DMA engine, Cadence GEM NIC) with kernel $(uname -r), the fpgacap"
	echo "module, and fpgacap-stream on the board; fpgacap-sink on this PC checks"
	echo "what arrives."
	;;
aarch64)
	echo "What runs: an emulated ZynqMP board (QEMU xlnx-zcu102: Cortex-A53, ZDMA,"
	echo "Cadence GEM NIC) with kernel $(uname -r), the fpgacap module, and"
	echo "fpgacap-stream on the board; fpgacap-sink on this PC checks what arrives."
	;;
*)
	echo "What runs: an emulated $(uname -m) PC (QEMU, e1000 NIC) with kernel"
	echo "$(uname -r), the fpgacap module with its pattern source, and"
	echo "fpgacap-stream; fpgacap-sink on this PC checks what arrives."
	;;
esac
echo "The MB/s below are the emulator's: QEMU runs the CPU and the devices in"
echo "software on this PC, so they measure this PC, not a board"
echo "(docs/benchmarks.md estimates a Zynq-7000 at Gigabit Ethernet)."
echo
for d in /sys/class/fpgacap/*; do
	fpgacap-ctl -d "/dev/${d##*/}" info
done

stream "1. pattern source -> zero-copy TCP -> sink (every byte checked)" \
	-d "$dev" -c 16 -s 256K --framing -t 5 10.0.2.100:5555
if [ -e /dev/fpgacap-memcpy ]; then
	# The engine copies a 64 KiB window over and over: the bytes repeat,
	# so the sink counts them; dma_test checks them byte by byte.
	stream "2. PL330 DMA (memcpy from on-chip RAM) -> TCP -> sink (bytes counted)" \
		-d /dev/fpgacap-memcpy -c 8 -s 128K --framing -b 8M \
		10.0.2.100:5556
fi
echo
if [ "$rc" = 0 ]; then
	echo "demo verdict: PASS ($good of $streams streams arrived as sent)"
else
	echo "demo verdict: FAIL ($good of $streams streams arrived as sent)"
fi
echo "FPGACAP-DEMO-END"
rmmod fpgacap || rc=1
