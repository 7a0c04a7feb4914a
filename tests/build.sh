#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Build, outside the checkout, what one guest target runs: the module
# against the target's kernel (W=1, no warnings), the target's extra test
# modules, the userspace programs and the selftests (static, for the
# target's architecture). Usage: tests/build.sh TARGET (prints the out dir)
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
. "$FPGACAP_TOP/tests/lib/debian-kernel.sh"
. "$FPGACAP_TOP/tests/lib/target.sh"

load_target "${1:?usage: build.sh TARGET}"
resolve_kernel
out=$FPGACAP_WORK/build/$target
mkdir -p "$out"

# Kbuild writes objects next to the sources: build each module from a copy
# so that targets (and the checkout) never share object files.
kbuild() {	# kbuild DIR: make modules in DIR against the target's kernel
	local dir=$1 log=$1.log
	make -C "$kdir" -j"$JOBS" "${kmake_arch[@]}" M="$dir" W=1 "${kbuild_args[@]}" \
		modules >"$log" 2>&1 || { cat "$log" >&2; die "$dir: build failed"; }
	if grep -E "warning:|error:|WARNING: modpost" "$log" >&2; then
		die "$dir: build has warnings"
	fi
}
# The module, the test modules and the image's missing drivers, afresh.
build_modules() {
	rm -rf "$out/module" "$out/kmods"
	mkdir -p "$out/module" "$out/kmods"
	cp -rp "$FPGACAP_TOP/Kbuild" "$FPGACAP_TOP/VERSION" "$FPGACAP_TOP/driver" "$FPGACAP_TOP/uapi" \
		"$out/module/"
	kbuild "$out/module"
	cp "$out/module/fpgacap.ko" "$out/fpgacap.ko"
	# The test modules, in one make: a copy whose Kbuild descends into each,
	# where they keep their place beside uapi/ and driver/ (they include
	# ../../uapi and the driver's compat header).
	rm -rf "$out/kmods-src"
	if [ ${#test_kmods[@]} -gt 0 ]; then
		mkdir -p "$out/kmods-src/tests"
		cp -rp "$FPGACAP_TOP/uapi" "$FPGACAP_TOP/driver" "$out/kmods-src/"
		for d in "${test_kmods[@]}"; do
			[ -d "$FPGACAP_TOP/tests/$d" ] || die "target $target: no tests/$d"
			cp -rp "$FPGACAP_TOP/tests/$d" "$out/kmods-src/tests/"
			echo "obj-m += tests/$d/" >>"$out/kmods-src/Kbuild"
		done
		kbuild "$out/kmods-src"
		for d in "${test_kmods[@]}"; do
			cp "$out/kmods-src/tests/$d"/*.ko "$out/kmods/"
		done
	fi

	# In-tree drivers Debian's image leaves out (kernel_source_modules, e.g.
	# drivers/dma/xilinx/zynqmp_dma), built as out-of-tree modules from the
	# linux-source package of the image's own version against its headers;
	# the guest loads them after its guest_modules. Kernel code, not ours: no
	# W=1, and its warnings are the kernel's.
	rm -rf "$out/srcmods" "$out/srcmod"
	mkdir -p "$out/srcmods"
	if [ ${#kernel_source_modules[@]} -gt 0 ]; then
		src=$(debian_image_source "$krelease" "$kernel_suite")
		for m in "${kernel_source_modules[@]}"; do
			[ -f "$src/$m.c" ] || die "target $target: no $m.c in $src"
			# The file with its local headers: its directory's, and its
			# parent's one level up ("../dmaengine.h").
			d=$out/srcmod/${m##*/}/dir
			mkdir -p "$d"
			cp "$src/$m.c" "$d/"
			find "$src/${m%/*}" -maxdepth 1 -name '*.h' -exec cp {} "$d/" \;
			find "$src/${m%/*}/.." -maxdepth 1 -name '*.h' -exec cp {} "$d/.." \;
			echo "obj-m := ${m##*/}.o" >"$d/Kbuild"
			make -C "$kdir" "${kmake_arch[@]}" M="$d" modules >"$d.log" 2>&1 ||
				{ cat "$d.log" >&2; die "$m: build against $krelease failed"; }
			cp "$d/${m##*/}.ko" "$out/srcmods/"
		done
	fi
}

# The modules are built again only when what they are built from changed:
# a run's guests of one target (tests, fpgacap-iiod, the demo) share one
# build. The key: the sources copied, the kernel tree (its path, release
# and Module.symvers), the make arguments and the compiler. A build with a
# warning writes no key.
modules_key() {
	local dirs=(Kbuild VERSION driver uapi tests/build.sh tests/lib/target.sh) d m
	for d in "${test_kmods[@]}"; do dirs+=("tests/$d"); done
	{
		printf '%s\n' "$kdir" "$krelease" "${kmake_arch[*]}" "${kbuild_args[*]}" \
			"${test_kmods[*]}" "${kernel_source_modules[*]}" \
			"$("${cross}gcc" -dumpfullversion)" "KCFLAGS=${KCFLAGS:-}"
		{ sha256sum <"$kdir/Module.symvers"; } 2>/dev/null || echo "no Module.symvers"
		{ sha256sum <"$kdir/.config"; } 2>/dev/null || echo "no .config"
		(cd "$FPGACAP_TOP" && find "${dirs[@]}" -type f -print0 | sort -z |
			xargs -0 sha256sum)
		if [ ${#kernel_source_modules[@]} -gt 0 ]; then
			src=$(debian_image_source "$krelease" "$kernel_suite")
			for m in "${kernel_source_modules[@]}"; do
				sha256sum "$src/$m.c"
			done
		fi
	} | sha256sum | cut -c1-16
}
for d in "${test_kmods[@]}"; do
	[ -d "$FPGACAP_TOP/tests/$d" ] || die "target $target: no tests/$d"
done
key=$(modules_key)
if [ "$(cat "$out/modules.key" 2>/dev/null)" = "$key" ] && [ -f "$out/fpgacap.ko" ]; then
	say "$target: the module and test modules are unchanged since their build; the tools for $arch"
else
	say "building the module (W=1) against $krelease and the tools for $arch"
	rm -f "$out/modules.key"
	build_modules
	echo "$key" >"$out/modules.key"
fi

# Userspace depends on the architecture only: one build per architecture
# (the static checks build it first).
user=$(userspace_build "$arch") || die "userspace build for $arch failed"
rm -rf "${out:?}/bin"
mkdir -p "$out/bin"
cp "$user/bin/"* "$user/selftests/"*_test "$out/bin/"
# The examples, as the guests know them (examples_test runs them).
for e in "$user"/examples/*; do cp "$e" "$out/bin/fpgacap-example-${e##*/}"; done
echo "$out"
