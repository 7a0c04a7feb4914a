# SPDX-License-Identifier: GPL-2.0-only
# Guest targets as data (sourced). load_target NAME reads
# tests/targets/NAME.sh (see tests/targets/README.md for its variables),
# checks it, and derives the toolchain from its Debian architecture.

load_target() {
	local name=$1 file=$FPGACAP_TOP/tests/targets/$1.sh
	[ -f "$file" ] || die "no target $name (tests/targets/*.sh: $(target_names))"
	# Defaults of the optional variables, then the file.
	kernel_package= kernel_source= kernel_suite= kernel_config=() kernel_defconfig= kernel_image=
	kernel_targets=() dts= guest_modules=() kernel_source_modules=() test_kmods=()
	kbuild_args=()
	qemu_cpus=() qemu_cpus_icount=() append= sources=pattern timeout=1500 gcov=0
	udp_nic=- tests=
	disks=() disk_if=
	# shellcheck source=/dev/null
	. "$file"
	target=$name
	# The datagram NIC is the main NIC's model unless the file says.
	[ "$udp_nic" != - ] || udp_nic=$nic
	local v
	for v in desc arch qemu console nic; do
		[ -n "${!v:-}" ] || die "target $name: $v is not set"
	done
	[ -n "$kernel_package$kernel_source" ] ||
		die "target $name: set kernel_package (Debian's image) or kernel_source"
	[ -z "$kernel_source" ] || [ ${#kernel_source_modules[@]} = 0 ] ||
		die "target $name: kernel_source_modules are for Debian's images (kernel_config builds them in)"
	case $arch in
	amd64) karch=x86_64 cross= ;;
	armhf) karch=arm cross=arm-linux-gnueabihf- ;;
	arm64) karch=arm64 cross=aarch64-linux-gnu- ;;
	*) die "target $name: unknown arch $arch" ;;
	esac
	kmake_arch=(ARCH="$karch")
	[ -z "$cross" ] || kmake_arch+=(CROSS_COMPILE="$cross")
}

target_names() {
	local f names=
	for f in "$FPGACAP_TOP"/tests/targets/*.sh; do
		names="$names $(basename "$f" .sh)"
	done
	echo "${names# }"
}

# Resolve the loaded target's kernel. Sets kimage (what QEMU boots), kdir
# (the tree out-of-tree modules build against), krelease, and kmodroot (an
# unpacked Debian image's root with lib/modules, empty for built kernels).
resolve_kernel() {
	if [ -n "$kernel_package" ]; then
		krelease=$(debian_kernel_release "$kernel_package" "$kernel_suite") || return
		kmodroot=$(debian_image "$krelease" "$kernel_suite") || return
		kimage=$(debian_image_file "$kmodroot" "$krelease") || return
		kdir=$(debian_headers "$krelease" "$arch" "$kernel_suite") || return
	else
		kdir=$("$FPGACAP_TOP/tests/build-kernel.sh" "$target") || return
		kimage=$kdir/$kernel_image
		krelease=$(cat "$kdir/include/config/kernel.release") || return
		kmodroot=
	fi
}

# Root of a Debian package's files for the target's architecture: the
# host's own installation for the host's architecture, else unpacked.
target_pkg_root() {
	if [ "$arch" = "$(dpkg --print-architecture)" ]; then
		echo /
	else
		deb_root "$arch" "$@"
	fi
}

# userspace_build ARCH: the userspace a Debian architecture's guests run,
# static, warnings as errors: library, tools, examples, the selftests
# (with 6.1's kselftest harness) and kernel_test, in
# FPGACAP_WORK/build/userspace-ARCH. One build per architecture and run
# directory, shared by the static checks (tests/check-static.sh) and every
# guest of that architecture (tests/build.sh): make rebuilds what changed,
# and a change of compiler or flags rebuilds everything (userspace/Makefile,
# build-flags). Its output goes to DIR.log, shown if it fails; prints DIR.
userspace_build() {
	local arch=$1 cross ksrc ma uring user
	cross=$(debian_cross "$arch")
	ksrc=$(kernel_source_dir linux-source-6.1) || return
	ma=$(multiarch "$arch")
	uring=$(target_pkg_root liburing-dev) || return
	user=$FPGACAP_WORK/build/userspace-$arch
	mkdir -p "$user"
	{
		make -s -j"$JOBS" -C "$FPGACAP_TOP/userspace" O="$user" CC="${cross}gcc" \
			STATIC=1 WERROR=1 URING_INC="$uring/usr/include" \
			URING_LIB="$uring/usr/lib/$ma" lib programs examples &&
		make -s -j"$JOBS" -C "$FPGACAP_TOP/tests/selftests" O="$user/selftests" \
			CC="${cross}gcc" KSFT_DIR="$ksrc/tools/testing/selftests" \
			FPGACAP_USERSPACE="$user" URING_LIB="$uring/usr/lib/$ma" &&
		# What the guest kernel must provide (tests/guest/kernel_test.c).
		"${cross}gcc" -std=gnu11 -O2 -Wall -Wextra -Wno-unused-parameter \
			-Wno-pointer-to-int-cast -Werror -static -pthread \
			-I"$ksrc/tools/testing/selftests" -o "$user/selftests/kernel_test" \
			"$FPGACAP_TOP/tests/guest/kernel_test.c"
	} >"$user.log" 2>&1 || { cat "$user.log" >&2; return 1; }
	echo "$user"
}
