#!/usr/bin/env bash
# Compile the emulated board's device tree (dts/fpgacap-zc702-emu.dts on
# top of the kernel's zynq-zc702.dts). Prints the .dtb path.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"

src=$(kernel_source_dir)
out=$FPGACAP_WORK/dtb
mkdir -p "$out"
dts=$FPGACAP_TOP/dts/fpgacap-zc702-emu.dts
dtb=$out/fpgacap-zc702-emu.dtb
cpp -nostdinc -undef -D__DTS__ -x assembler-with-cpp \
	-I "$src/arch/arm/boot/dts" -I "$src/scripts/dtc/include-prefixes" \
	"$dts" -o "$out/fpgacap-zc702-emu.pre.dts"
# The kernel's zynq-7000.dtsi trips interrupt_provider with dtc 1.6; any
# other warning is ours and fails the build.
warn=$(dtc -Wno-interrupt_provider -I dts -O dtb -o "$dtb" \
	"$out/fpgacap-zc702-emu.pre.dts" 2>&1)
[ -z "$warn" ] || die "dtc: $warn"
echo "$dtb"
