#!/usr/bin/env bash
# Build the module, the userspace programs and the selftests for one guest,
# outside the checkout. Usage: tests/build.sh x86|zynq  (prints the out dir)
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"

target=${1:?usage: build.sh x86|zynq|zynq-plain}
out=$FPGACAP_WORK/build/$target
ksrc=$(kernel_source_dir)
mkdir -p "$out/module" "$out/bin"

case $target in
x86)
	kdir=/usr/src/linux-headers-$(host_headers_release)
	kmake=(make -C "$kdir")
	cc=gcc
	uring_inc=/usr/include
	uring_lib=/usr/lib/x86_64-linux-gnu
	testkmod=1	# tests/kmod: the test-only dmaengine provider
	;;
zynq | zynq-plain)
	flavour=debug
	[ "$target" = zynq ] || flavour=plain
	kdir=$("$FPGACAP_TOP/tests/build-zynq-kernel.sh" "$flavour")
	kmake=(make -C "$kdir" ARCH=arm CROSS_COMPILE=$ARM_CROSS)
	cc=${ARM_CROSS}gcc
	uring=$(armhf_deb_dir liburing-dev)
	uring_inc=$uring/usr/include
	uring_lib=$uring/usr/lib/arm-linux-gnueabihf
	;;
*)
	die "unknown target $target"
	;;
esac

# Kbuild writes objects next to the sources: build from a copy so the two
# architectures (and the checkout) never share object files.
cp -rp "$FPGACAP_TOP/Kbuild" "$FPGACAP_TOP/driver" "$FPGACAP_TOP/uapi" \
	"$out/module/"
"${kmake[@]}" M="$out/module" W=1 modules >"$out/module-build.log" 2>&1 ||
	{ cat "$out/module-build.log" >&2; die "module build failed"; }
if grep -E "warning:|error:" "$out/module-build.log" >&2; then
	die "module build has warnings"
fi
cp "$out/module/fpgacap.ko" "$out/fpgacap.ko"

# tests/kmod against the same kernel, from a copy (it includes ../../uapi).
rm -f "$out/fpgacap-testdma.ko"
if [ -n "${testkmod:-}" ]; then
	mkdir -p "$out/testkmod/tests"
	cp -rp "$FPGACAP_TOP/tests/kmod" "$out/testkmod/tests/"
	cp -rp "$FPGACAP_TOP/uapi" "$out/testkmod/"
	"${kmake[@]}" M="$out/testkmod/tests/kmod" W=1 modules \
		>"$out/testkmod-build.log" 2>&1 ||
		{ cat "$out/testkmod-build.log" >&2; die "tests/kmod build failed"; }
	if grep -E "warning:|error:" "$out/testkmod-build.log" >&2; then
		die "tests/kmod build has warnings"
	fi
	cp "$out/testkmod/tests/kmod/fpgacap-testdma.ko" "$out/"
fi

make -s -C "$FPGACAP_TOP/userspace" O="$out/userspace" CC="$cc" STATIC=1 \
	URING_INC="$uring_inc" URING_LIB="$uring_lib" lib programs >&2
cp "$out/userspace/bin/"* "$out/bin/"
make -s -C "$FPGACAP_TOP/tests/selftests" O="$out/bin" CC="$cc" \
	KSFT_DIR="$ksrc/tools/testing/selftests" \
	FPGACAP_USERSPACE="$out/userspace" URING_LIB="$uring_lib" >&2
echo "$out"
