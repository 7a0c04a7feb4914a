#!/usr/bin/env bash
# Static checks, one TAP line each: the module builds clean with W=1 for
# x86_64 and armhf, sparse (C=1) and checkpatch --strict are clean, the
# UAPI header stands alone as C99 -pedantic and as C++, the device trees
# compile without warnings.
set -uo pipefail
. "$(dirname "$0")/lib/common.sh"

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

# Kbuild in a copy, so no object lands in the checkout.
kbuild() {
	local dir=$work/$1
	shift
	mkdir -p "$dir"
	cp -r "$FPGACAP_TOP/Kbuild" "$FPGACAP_TOP/driver" "$FPGACAP_TOP/uapi" "$dir/"
	make -C "$@" M="$dir" W=1 modules >"$dir.log" 2>&1 || { cat "$dir.log"; return 1; }
	! grep -E "warning:|error:" "$dir.log"
}

sparse_clean() {
	local dir=$work/sparse
	mkdir -p "$dir"
	cp -r "$FPGACAP_TOP/Kbuild" "$FPGACAP_TOP/driver" "$FPGACAP_TOP/uapi" "$dir/"
	make -C "/usr/src/linux-headers-$(host_headers_release)" M="$dir" C=2 \
		modules >"$dir.log" 2>&1 || { cat "$dir.log"; return 1; }
	# sparse reports as "file:line:col: warning|error: ..."
	! grep -E "(warning|error):" "$dir.log"
}

# tests/kmod (the test-only dmaengine provider, x86_64): W=1 and sparse.
testkmod_clean() {
	local dir=$work/testkmod
	mkdir -p "$dir/tests"
	cp -r "$FPGACAP_TOP/tests/kmod" "$dir/tests/"
	cp -r "$FPGACAP_TOP/uapi" "$dir/"
	make -C "/usr/src/linux-headers-$(host_headers_release)" \
		M="$dir/tests/kmod" W=1 C=2 modules >"$dir.log" 2>&1 ||
		{ cat "$dir.log"; return 1; }
	! grep -E "(warning|error):" "$dir.log"
}

checkpatch_clean() {
	local f ignore bad=0
	for f in "$FPGACAP_TOP"/driver/*.[ch] "$FPGACAP_TOP"/uapi/*.h \
		"$FPGACAP_TOP"/tests/kmod/*.c; do
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
		-I"$FPGACAP_TOP/uapi" -c "$work/uapi.c" -o "$work/uapi-arm.o"
}

dts_clean() {
	"$FPGACAP_TOP/tests/build-dtb.sh" >/dev/null &&
	"$FPGACAP_TOP/tests/build-overlays.sh" >/dev/null
}

echo "TAP version 13"
check "module builds clean for x86_64 (W=1)" kbuild x86 \
	"/usr/src/linux-headers-$(host_headers_release)"
zk=$("$FPGACAP_TOP/tests/build-zynq-kernel.sh" debug)
check "module builds clean for armhf (W=1)" kbuild arm "$zk" ARCH=arm \
	CROSS_COMPILE=$ARM_CROSS
check "sparse (C=1) clean" sparse_clean
check "tests/kmod builds clean for x86_64 (W=1, sparse)" testkmod_clean
check "checkpatch --strict clean" checkpatch_clean
check "uapi/fpgacap.h stands alone: C99 -pedantic, C++, armhf" uapi_standalone
check "device trees compile without warnings" dts_clean
echo "1..$n"
[ "$failed" = 0 ]
