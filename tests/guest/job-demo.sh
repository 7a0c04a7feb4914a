# SPDX-License-Identifier: GPL-2.0-only
# The main job on an emulated board: the README's quick start, its board
# commands as written (/bin/readme-board.sh, made by tests/run-demo.sh from
# README.md, with this board's addresses for the placeholders), each
# command shown with what it printed; fpgacap-sink on the host, run with
# the README's options, checks what arrives. Ends with one verdict line.
. /net.sh
rc=0 n=0 good=0
net_up || echo "network setup failed"

echo "FPGACAP-DEMO-BEGIN"
case $(uname -m) in
armv7l)
	echo "What runs: an emulated Zynq-7000 board (QEMU xilinx-zynq-a9: Cortex-A9,"
	echo "PL330 DMA engine, Cadence GEM NIC) with kernel $(uname -r); this PC"
	echo "runs the sinks."
	;;
aarch64)
	echo "What runs: an emulated ZynqMP board (QEMU xlnx-zcu102: Cortex-A53, ZDMA,"
	echo "Cadence GEM NIC) with kernel $(uname -r); this PC runs the sinks."
	;;
*)
	echo "What runs: an emulated $(uname -m) PC (QEMU, e1000 NIC) with kernel"
	echo "$(uname -r); this PC runs the sinks."
	;;
esac
echo "The MB/s below are the emulator's: QEMU runs the CPU and the devices in"
echo "software on this PC, so they measure this PC, not a board."
echo "On the board, the README's commands (the module is in /lib/modules):"
cd /lib/modules || rc=1
# One command a line; stderr apart so that no progress line (a TTY's)
# lands in the log, then shown after the command's output.
while IFS= read -r cmd; do
	case $cmd in "" | "#"*) continue ;; esac
	n=$((n + 1))
	echo
	echo "board\$ $cmd"
	if sh -c "$cmd" </dev/null 2>/tmp/stderr; then
		good=$((good + 1))
	else
		rc=1
		echo "(exit status $?)"
	fi
	cat /tmp/stderr
done </bin/readme-board.sh
echo
if [ "$rc" = 0 ] && [ "$n" -gt 0 ]; then
	echo "demo verdict: PASS ($good of $n commands of the README succeeded)"
else
	rc=1
	echo "demo verdict: FAIL ($good of $n commands of the README succeeded)"
fi
echo "FPGACAP-DEMO-END"
cd /
rmmod fpgacap || rc=1
