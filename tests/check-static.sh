#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Static checks, one TAP line each: the module builds clean with W=1
# against every guest's kernel (x86_64, armhf, arm64; 6.1 and 6.12),
# sparse (C=1) and checkpatch --strict are clean, the UAPI header stands
# alone as C99 -pedantic and as C++, userspace cross-builds for armhf and
# arm64, the device trees compile without warnings.
set -uo pipefail
. "$(dirname "$0")/lib/common.sh"
. "$FPGACAP_TOP/tests/lib/debian-kernel.sh"
. "$FPGACAP_TOP/tests/lib/target.sh"

src=$(kernel_source_dir)
work=$FPGACAP_WORK/static
rm -rf "$work"
mkdir -p "$work"
n=0 failed=0
check() {
	local name=$1
	shift
	n=$((n + 1))
	if out=$("$@" 2>&1); then
		echo "ok $n $name"
	else
		echo "not ok $n $name"
		printf '%s\n' "$out" | tail -20 | sed 's/^/# /'
		failed=$((failed + 1))
	fi
}

# The module in a copy (no object lands in the checkout), W=1, against the
# kernel a target runs: kbuild_target NAME TARGET.
kbuild_target() (
	load_target "$2"
	resolve_kernel >/dev/null
	kbuild "$1" "$kdir" "${kmake_arch[@]}"
)
kbuild() {
	local dir=$work/$1
	shift
	mkdir -p "$dir"
	cp -r "$FPGACAP_TOP/Kbuild" "$FPGACAP_TOP/driver" "$FPGACAP_TOP/uapi" "$dir/"
	make -C "$@" M="$dir" W=1 modules >"$dir.log" 2>&1 || { cat "$dir.log"; return 1; }
	! grep -E "warning:|error:" "$dir.log"
}

# Userspace (library, tools, selftests) for a Debian architecture, static
# like the guests' copies, warnings as errors.
userspace_cross() (
	arch=$1 cross=$2
	uring=$(target_pkg_root liburing-dev)
	ma=$(multiarch "$arch")
	out=$work/userspace-$arch
	make -s -C "$FPGACAP_TOP/userspace" O="$out" CC="${cross}gcc" STATIC=1 WERROR=1 \
		URING_INC="$uring/usr/include" URING_LIB="$uring/usr/lib/$ma" lib programs &&
	make -s -C "$FPGACAP_TOP/tests/selftests" O="$out/selftests" CC="${cross}gcc" \
		KSFT_DIR="$src/tools/testing/selftests" FPGACAP_USERSPACE="$out" \
		URING_LIB="$uring/usr/lib/$ma"
)

sparse_clean() {
	local dir=$work/sparse
	mkdir -p "$dir"
	cp -r "$FPGACAP_TOP/Kbuild" "$FPGACAP_TOP/driver" "$FPGACAP_TOP/uapi" "$dir/"
	local kdir
	kdir=$(load_target x86 && resolve_kernel >/dev/null && echo "$kdir")
	make -C "$kdir" M="$dir" C=2 \
		modules >"$dir.log" 2>&1 || { cat "$dir.log"; return 1; }
	# sparse reports as "file:line:col: warning|error: ..."
	! grep -E "(warning|error):" "$dir.log"
}

# A test-only module (tests/DIR with a Kbuild, x86_64): W=1 and sparse,
# against the x86 guest's kernel, beside uapi/ and driver/ as it includes
# ../../uapi and the compat header.
testkmod_clean() {
	local d=$1 dir=$work/kmod-$1 kdir
	mkdir -p "$dir/tests"
	cp -r "$FPGACAP_TOP/tests/$d" "$dir/tests/"
	cp -r "$FPGACAP_TOP/uapi" "$FPGACAP_TOP/driver" "$dir/"
	kdir=$(load_target x86 && resolve_kernel >/dev/null && echo "$kdir")
	make -C "$kdir" M="$dir/tests/$d" W=1 C=2 modules >"$dir.log" 2>&1 ||
		{ cat "$dir.log"; return 1; }
	! grep -E "(warning|error):" "$dir.log"
}

checkpatch_clean() {
	local f k ignore bad=0
	local files=("$FPGACAP_TOP"/driver/*.[ch] "$FPGACAP_TOP"/uapi/*.h)
	for k in "${kmods[@]}"; do files+=("$k"/*.c); done
	for f in "${files[@]}"; do
		ignore=SPDX_LICENSE_TAG
		# The compat header is where kernel version checks belong.
		[ "${f##*/}" != compat.h ] ||
			ignore=$ignore,LINUX_VERSION_CODE,CONSTANT_COMPARISON
		"$src/scripts/checkpatch.pl" --strict --no-tree --quiet \
			--ignore "$ignore" -f "$f" || bad=1
	done
	return $bad
}

uapi_standalone() {
	echo '#include "fpgacap.h"
int main(void) { struct fpgacap_buffer b; b.index = 0; return (int)b.index + (int)sizeof(struct fpgacap_stats); }' \
		>"$work/uapi.c"
	cp "$work/uapi.c" "$work/uapi.cc"
	gcc -std=c99 -pedantic -Wall -Wextra -Werror -I"$FPGACAP_TOP/uapi" \
		-c "$work/uapi.c" -o "$work/uapi-c.o" &&
	g++ -std=c++11 -pedantic -Wall -Wextra -Werror -I"$FPGACAP_TOP/uapi" \
		-c "$work/uapi.cc" -o "$work/uapi-cc.o" &&
	arm-linux-gnueabihf-gcc -std=c99 -pedantic -Wall -Werror \
		-I"$FPGACAP_TOP/uapi" -c "$work/uapi.c" -o "$work/uapi-arm.o" &&
	aarch64-linux-gnu-gcc -std=c99 -pedantic -Wall -Werror \
		-I"$FPGACAP_TOP/uapi" -c "$work/uapi.c" -o "$work/uapi-arm64.o"
}

dts_clean() {
	local t
	for t in $(target_names); do
		"$FPGACAP_TOP/tests/build-dtb.sh" "$t" >/dev/null || return 1
	done
	"$FPGACAP_TOP/tests/build-overlays.sh" >/dev/null
}

echo "TAP version 13"
# Every kernel the guests run, and arm64 against Debian's 6.12 headers.
for t in x86 x86-6.12 zynq zynq-6.12 zynqmp; do
	check "module builds clean against the $t guest's kernel (W=1)" kbuild_target "$t" "$t"
done
arm64_612=$(debian_kernel_release linux-image-6.12-amd64)
arm64_612=${arm64_612%-amd64}-arm64
check "module builds clean for arm64 against Debian's $arm64_612 headers (W=1)" \
	kbuild arm64-6.12 "$(debian_headers "$arm64_612" arm64)" ARCH=arm64 \
	CROSS_COMPILE=aarch64-linux-gnu-
check "sparse (C=1) clean" sparse_clean
# Test-only modules: every directory of tests/ with a Kbuild.
kmods=()
for k in "$FPGACAP_TOP"/tests/*/Kbuild; do
	[ -f "$k" ] || continue
	k=$(dirname "$k")
	kmods+=("$k")
	check "tests/${k##*/} builds clean for x86_64 (W=1, sparse)" testkmod_clean "${k##*/}"
done
check "checkpatch --strict clean" checkpatch_clean
check "uapi/fpgacap.h stands alone: C99 -pedantic, C++, armhf, arm64" uapi_standalone
check "userspace builds for armhf (-Werror)" userspace_cross armhf arm-linux-gnueabihf-
check "userspace builds for arm64 (-Werror)" userspace_cross arm64 aarch64-linux-gnu-
check "device trees compile without warnings" dts_clean
echo "1..$n"
[ "$failed" = 0 ]
