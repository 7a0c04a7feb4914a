#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Compile the board overlays in dts/overlays/ (Zynq-7000 and Cyclone V) with
# dtc; any warning fails. Prints the output directory.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"

src=$(kernel_source_dir)
out=$FPGACAP_WORK/dtb/overlays
mkdir -p "$out"
for dtso in "$FPGACAP_TOP"/dts/overlays/*.dtso; do
	name=$(basename "$dtso" .dtso)
	cpp -nostdinc -undef -D__DTS__ -x assembler-with-cpp \
		-I "$src/scripts/dtc/include-prefixes" "$dtso" -o "$out/$name.pre"
	warn=$(dtc -@ -I dts -O dtb -o "$out/$name.dtbo" "$out/$name.pre" 2>&1)
	[ -z "$warn" ] || die "dtc $name: $warn"
done
echo "$out"
