#!/usr/bin/env bash
# Build the Zynq-7000 guest kernel (zImage, zynq-zc702.dtb, modules tree for
# out-of-tree builds) from Debian's linux-source-6.1 and the fragments in
# tests/kernel/. Usage: build-zynq-kernel.sh [debug|plain]
#   debug (default): DMA-API debug, lockdep, kmemleak, fault injection
#   plain: the same kernel without them, for benchmark figures
# Cached by the fragments' hash; prints the build dir.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"

flavour=${1:-debug}
frags=("$FPGACAP_TOP/tests/kernel/zynq.config")
case $flavour in
debug) frags+=("$FPGACAP_TOP/tests/kernel/zynq-debug.config") ;;
plain) ;;
*) die "flavour must be debug or plain" ;;
esac
src=$(kernel_source_dir)
key=$(cat "${frags[@]}" | sha256sum | cut -c1-12)
out=$FPGACAP_CACHE/zynq-kernel-$flavour-$key

if [ -f "$out/.fpgacap-built" ]; then
	echo "$out"
	exit 0
fi

# One builder per kernel: another run waits here, then finds it built.
mkdir -p "$out"
exec 8>"$out.lock"
flock 8
if [ -f "$out/.fpgacap-built" ]; then
	echo "$out"
	exit 0
fi

say "building the $flavour Zynq guest kernel in $out (about 8 minutes on 2 cores)"
mkdir -p "$out"
mk() { make -s -C "$src" O="$out" ARCH=arm CROSS_COMPILE=$ARM_CROSS "$@"; }
mk tinyconfig >/dev/null
KCONFIG_CONFIG=$out/.config "$src/scripts/kconfig/merge_config.sh" -m -O "$out" \
	"$out/.config" "${frags[@]}" >/dev/null
mk olddefconfig >/dev/null

# Options whose dependencies are missing vanish silently: insist on each.
missing=0
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=*)
		grep -qx -- "$line" "$out/.config" || {
			say "config option not taken: $line"
			missing=1
		}
		;;
	esac
done < <(cat "${frags[@]}")
[ "$missing" = 0 ] || die "fix ${frags[*]}"

heavy make -s -C "$src" O="$out" ARCH=arm CROSS_COMPILE=$ARM_CROSS \
	-j"$JOBS" zImage modules zynq-zc702.dtb
# An out-of-tree module build needs the generated headers and Module.symvers.
mk modules_prepare
touch "$out/.fpgacap-built"
echo "$out"
