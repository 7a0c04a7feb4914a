#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Static checks, one TAP line each: the module and the test-only modules
# build clean with W=1 and sparse (C=1) for x86_64, armhf and arm64 against
# each kernel line the project supports, with Debian's configuration of
# that kernel for that architecture; checkpatch --strict (the oldest
# kernel's and the newest's) is clean; the UAPI header stands alone as C99
# -pedantic and as C++; userspace cross-builds for armhf and arm64; the
# selftests compile against each kernel's kselftest harness; the device
# trees compile without warnings. No kernel is built for these checks:
# Debian's headers serve where this host's compiler is the one Debian
# used, and otherwise Debian's configuration is prepared from the same
# release's source (tests/lib/debian-kernel.sh).
#   FPGACAP_STATIC_KERNELS="6.1 6.12 7.2@sid 7.3@trixie-backports"
# names the kernel lines, X.Y[@SUITE] (no suite: this host's own sources);
# the default is Debian 12's own lines, 6.1 and 6.12 (run-tests.sh --all
# and tests/run-newest.sh add 7.2 and 7.3, or the newest).
set -uo pipefail
. "$(dirname "$0")/lib/common.sh"
. "$FPGACAP_TOP/tests/lib/debian-kernel.sh"
. "$FPGACAP_TOP/tests/lib/target.sh"

kernels=${FPGACAP_STATIC_KERNELS:-6.1 6.12}
arches="amd64 armhf arm64"
src=$(kernel_source_dir)
work=$FPGACAP_WORK/static
rm -rf "$work"
mkdir -p "$work"
n=0 failed=0
check() {	# a command's status 4 is a skip, its last line the reason
	local name=$1 rc
	shift
	n=$((n + 1))
	out=$("$@" 2>&1)
	rc=$?
	if [ "$rc" = 0 ]; then
		echo "ok $n $name"
	elif [ "$rc" = 4 ]; then
		echo "ok $n $name # SKIP $(printf '%s\n' "$out" | tail -1)"
	else
		echo "not ok $n $name"
		printf '%s\n' "$out" | tail -20 | sed 's/^/# /'
		failed=$((failed + 1))
	fi
}

# The tree to build against for kernel line X.Y (from SUITE) and a Debian
# architecture: Debian's headers (or its configuration, prepared) of the
# release linux-image-X.Y-amd64 resolves to, in the architecture's
# flavour. Where the archive does not serve that architecture's build
# (trixie-backports has no armhf 7.3 today), the guest kernel for that
# machine and line (x86-X.Y-debug, zynq-X.Y, zynqmp-X.Y-debug) if the run
# boots it. Sets tree and tree_desc.
static_tree() {
	local xy=$1 suite=$2 arch=$3 rel t rc
	tree= tree_desc=
	rel=$(debian_kernel_release "linux-image-$xy-amd64" "$suite") || return 1
	rel=${rel%-amd64}-$(debian_flavour "$arch")
	tree=$(debian_headers "$rel" "$arch" "$suite")
	rc=$?
	if [ "$rc" = 0 ]; then
		tree_desc="Debian's $rel"
		return 0
	fi
	[ "$rc" != 3 ] || return 3
	case $arch in
	amd64) t=x86-$xy-debug ;;
	armhf) t=zynq-$xy ;;
	arm64) t=zynqmp-$xy-debug ;;
	esac
	[ -f "$FPGACAP_TOP/tests/targets/$t.sh" ] || return 1
	# Not a kernel built for this check alone: only one that is built
	# already or that the run's guests need (FPGACAP_RUN_TARGETS, set by
	# tests/run-tests.sh), else the check is skipped.
	case " ${FPGACAP_RUN_TARGETS-$t} " in
	*" $t "*) ;;
	*)
		tree=$(load_target "$t" && FPGACAP_CHECK_ONLY=1 resolve_kernel >/dev/null &&
			echo "$kdir") && tree_desc="the $t guest's $xy (Debian has no $rel)" &&
			return 0
		tree_desc="no Debian $rel, and the $t guest is not in this run"
		return 4
		;;
	esac
	tree=$(load_target "$t" && resolve_kernel >/dev/null && echo "$kdir") || return
	tree_desc="the $t guest's $xy (Debian has no $rel)"
}

# Every tree the checks need that is not ready yet (Debian's configuration
# to prepare, a guest kernel to build) is made in one turn of the lock:
# the script runs again under it with --prepare.
static_prepare() {
	local k xy suite a
	for k in $kernels; do
		xy=${k%%@*} suite=
		[ "$k" = "$xy" ] || suite=${k#*@}
		for a in $arches; do
			static_tree "$xy" "$suite" "$a" >/dev/null || [ "$?" != 3 ] || return 3
		done
	done
}

# The module and the test-only modules the architecture's guests load
# (tests/DIR with a Kbuild, named by a target's test_kmods), in a copy (no
# object lands in the checkout), W=1 and sparse, in one make: the copy's
# Kbuild descends into each test module's directory, which keeps its place
# beside uapi/ and driver/ (they include ../../uapi and the compat header).
# kbuild_clean DIR TREE ARCH MAKE-ARGS...
kbuild_clean() {
	local dir=$work/$1 tree=$2 arch=$3 d
	shift 3
	mkdir -p "$dir/tests"
	cp -r "$FPGACAP_TOP/Kbuild" "$FPGACAP_TOP/driver" "$FPGACAP_TOP/uapi" "$dir/"
	for d in ${arch_kmods[$arch]}; do
		cp -r "$FPGACAP_TOP/tests/$d" "$dir/tests/"
		echo "obj-m += tests/$d/" >>"$dir/Kbuild"
	done
	make -C "$tree" "$@" -j"$JOBS" W=1 C=1 CHECK="$sparse" M="$dir" modules \
		>"$dir/module.log" 2>&1 || { cat "$dir/module.log"; return 1; }
	# Compiler and sparse reports: "file:line:col: warning|error: ...";
	# and a kbuild that would not run sparse at all says so.
	! grep -E "(warning|error):|WARNING: modpost|is not available or not up to date" \
		"$dir/module.log"
}

kernel_clean() {	# kernel_clean X.Y SUITE ARCH
	local xy=$1 suite=$2 arch=$3 cross karch
	static_tree "$xy" "$suite" "$arch"
	case $? in
	0) ;;
	4) echo "$tree_desc"; return 4 ;;
	*) echo "no kernel tree for $arch $xy"; return 1 ;;
	esac
	echo "# against $tree_desc"
	cross=$(debian_cross "$arch")
	case $arch in amd64) karch=x86_64 ;; armhf) karch=arm ;; *) karch=$arch ;; esac
	kbuild_clean "$xy-$arch" "$tree" "$arch" ARCH="$karch" ${cross:+CROSS_COMPILE="$cross"}
}

# Userspace (library, tools, examples, selftests) for a Debian
# architecture, static like the guests' copies, warnings as errors: built
# where the guests of that architecture take it from (tests/lib/target.sh,
# userspace_build), so a run builds it once.
userspace_cross() {
	userspace_build "$1" >/dev/null
}

# The selftests and the guests' kernel_test against a kernel's own
# kselftest harness (the guests' copies use 6.1's): compiled, not linked.
selftests_harness() {
	local ksft=$1/tools/testing/selftests
	mkdir -p "$work/include/fpgacap"
	cp "$FPGACAP_TOP/uapi/fpgacap.h" "$work/include/fpgacap/"
	# <libfpgacap.h> includes the version header the build generates;
	# dmabuf_test takes the kernel's DRM uapi headers after libc's, as
	# tests/selftests/Makefile does.
	make -s -C "$FPGACAP_TOP/userspace" O="$work" \
		"$work/include/fpgacap/libfpgacap-version.h" >/dev/null || return 1
	printf '%s\0' "$FPGACAP_TOP"/tests/selftests/*_test.c \
		"$FPGACAP_TOP"/tests/guest/kernel_test.c |
		xargs -0 -n 1 -P "$JOBS" gcc -std=gnu11 -O2 -Wall -Wextra -Werror \
			-Wno-sign-compare -Wno-missing-field-initializers \
			-Wno-unused-parameter -Wno-pointer-to-int-cast \
			-Wno-misleading-indentation -D_GNU_SOURCE \
			-I"$FPGACAP_TOP/uapi" -I"$FPGACAP_TOP/userspace/include" \
			-I"$work/include" -I"$ksft" -I"$FPGACAP_TOP/tests/selftests" \
			-idirafter "$1/include/uapi" -D__user= \
			-fsyntax-only
}

# Every shell script of the checkout parses (a script bash cannot parse
# fails only when someone runs it).
shell_parses() {
	local f bad=0
	while IFS= read -r -d '' f; do
		bash -n "$f" || bad=1
	done < <(find "$FPGACAP_TOP" -path "$FPGACAP_TOP/.git" -prune -o \
		-type f \( -name '*.sh' -o -path "$FPGACAP_TOP/.ci/run" \) -print0)
	[ "$bad" = 0 ]
}

checkpatch_clean() {	# checkpatch_clean KERNEL-SOURCE
	local k files=("$FPGACAP_TOP"/driver/*.[ch] "$FPGACAP_TOP"/uapi/*.h)
	for k in "${kmods[@]}"; do files+=("$k"/*.c); done
	# The compat header is where kernel version checks belong.
	"$1/scripts/checkpatch.pl" --strict --no-tree --quiet \
		--ignore SPDX_LICENSE_TAG,LINUX_VERSION_CODE,CONSTANT_COMPARISON \
		-f "$FPGACAP_TOP/driver/compat.h" || return 1
	printf '%s\0' "${files[@]}" | grep -zv '/compat\.h$' |
		xargs -0 -n 1 -P "$JOBS" "$1/scripts/checkpatch.pl" --strict --no-tree \
			--quiet --ignore SPDX_LICENSE_TAG -f
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

if [ "${1:-}" = --prepare ]; then
	static_prepare
	exit
fi
FPGACAP_CHECK_ONLY=1 static_prepare 2>/dev/null
[ "$?" != 3 ] || heavy "$0" --prepare >&2

echo "TAP version 13"
sparse=$(sparse_tool) || { echo "not ok 1 a sparse the kernels accept"; exit 1; }
# Test-only modules: every directory of tests/ with a Kbuild (checkpatch
# reads them all), and the ones each architecture's guests load.
kmods=()
for k in "$FPGACAP_TOP"/tests/*/Kbuild; do
	[ -f "$k" ] && kmods+=("$(dirname "$k")")
done
declare -A arch_kmods
while read -r a ks; do
	arch_kmods[$a]="${arch_kmods[$a]:-} $ks"
done < <(for t in $(target_names); do
	(load_target "$t" && echo "$arch ${test_kmods[*]}")
done)
for a in $arches; do
	arch_kmods[$a]=$(tr ' ' '\n' <<<"${arch_kmods[$a]:-}" | sort -u | xargs)
done
newest_src=$src
for k in $kernels; do
	xy=${k%%@*} suite=
	[ "$k" = "$xy" ] || suite=${k#*@}
	for a in $arches; do
		check "module and test modules build clean for $a against $xy (W=1, sparse)" \
			kernel_clean "$xy" "$suite" "$a"
	done
	ksrc=$(kernel_source_dir "linux-source-$xy" "$suite") || continue
	newest_src=$ksrc
	check "selftests compile against $xy's kselftest harness" selftests_harness "$ksrc"
done
# The oldest kernel's checkpatch and the newest's (which knows the newest
# APIs, kzalloc_obj() for one).
check "checkpatch --strict clean (6.1's checkpatch)" checkpatch_clean "$src"
[ "$newest_src" = "$src" ] ||
	check "checkpatch --strict clean ($(basename "$newest_src")'s checkpatch)" \
		checkpatch_clean "$newest_src"
check "uapi/fpgacap.h stands alone: C99 -pedantic, C++, armhf, arm64" uapi_standalone
check "userspace builds for armhf (-Werror)" userspace_cross armhf
check "userspace builds for arm64 (-Werror)" userspace_cross arm64
check "device trees compile without warnings" dts_clean
check "shell scripts parse (bash -n)" shell_parses
echo "1..$n"
[ "$failed" = 0 ]
