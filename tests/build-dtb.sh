#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Compile a target's emulation device tree (its dts, which may include the
# kernel's board files) against the target's kernel source. Any dtc warning
# fails. Usage: tests/build-dtb.sh TARGET (prints the .dtb path, or nothing
# for a target without a device tree)
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
. "$FPGACAP_TOP/tests/lib/target.sh"

load_target "${1:?usage: build-dtb.sh TARGET}"
[ -n "$dts" ] || exit 0
# A target on Debian's image takes the bindings headers from 6.1's source.
src=$(kernel_source_dir "${kernel_source:-linux-source-6.1}" ${kernel_source:+"$kernel_suite"})
out=$FPGACAP_WORK/dtb/$target
mkdir -p "$out"
name=$(basename "$dts" .dts)
# Board files sit in boot/dts (6.1) or its vendor directory (6.5 on).
cpp -nostdinc -undef -D__DTS__ -x assembler-with-cpp \
	-I "$src/arch/${karch/x86_64/x86}/boot/dts" \
	-I "$src/arch/${karch/x86_64/x86}/boot/dts/xilinx" \
	-I "$src/scripts/dtc/include-prefixes" \
	"$FPGACAP_TOP/dts/$dts" -o "$out/$name.pre.dts"
# The kernel's zynq-7000.dtsi trips interrupt_provider with dtc 1.6; any
# other warning is ours and fails the build.
warn=$(dtc -Wno-interrupt_provider -I dts -O dtb -o "$out/$name.dtb" \
	"$out/$name.pre.dts" 2>&1)
[ -z "$warn" ] || die "dtc: $warn"
echo "$out/$name.dtb"
