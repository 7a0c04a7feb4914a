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
