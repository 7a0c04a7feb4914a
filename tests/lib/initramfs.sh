# SPDX-License-Identifier: GPL-2.0-only
# Build a guest's initramfs (sourced, after load_target and resolve_kernel).
# make_initramfs JOB BUILD_DIR prints the path of the gzipped cpio: busybox,
# the module, the programs, the target's guest modules from its kernel image
# (with their dependencies, in load order), its test modules, /init and the
# job.
make_initramfs() {
	local job=$1 build=$2
	local root=$build/initramfs-$job
	rm -rf "$root"
	mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,tests} \
		"$root"/lib/modules/{guest,test}

	cp "$(target_pkg_root busybox-static)/bin/busybox" "$root/bin/busybox"
	local m ko n=10
	local -A seen=()
	for m in "${guest_modules[@]}"; do
		[ -n "$kmodroot" ] || die "target $target: guest_modules need a Debian image"
		# modprobe prints "insmod PATH" for each dependency, then the module.
		for ko in $(modprobe -d "$kmodroot" -S "$krelease" --show-depends "$m" |
			awk '$1 == "insmod" { print $2 }'); do
			# Two modules may share a dependency (virtio_pci, virtio_blk).
			[ -z "${seen[$ko]:-}" ] || continue
			seen[$ko]=1
			# Debian's 6.12 modules are compressed: busybox loads plain ones.
			local dst=$root/lib/modules/guest/$n-$(basename "${ko%.ko*}").ko
			case $ko in
			*.ko.xz) xz -dc "$ko" >"$dst" ;;
			*.ko.zst) zstd -qdc "$ko" >"$dst" ;;
			*.ko.gz) gzip -dc "$ko" >"$dst" ;;
			*) cp "$ko" "$dst" ;;
			esac
			n=$((n + 1))
		done
	done
	# Drivers the image lacks, built from its source (tests/build.sh),
	# after the image's own modules.
	for ko in "$build"/srcmods/*.ko; do
		[ -f "$ko" ] || continue
		cp "$ko" "$root/lib/modules/guest/$n-$(basename "$ko")"
		n=$((n + 1))
	done
	cp "$build"/kmods/*.ko "$root/lib/modules/test/" 2>/dev/null || true
	cp "$build/fpgacap.ko" "$root/lib/modules/"
	cp "$build"/bin/*_test "$root/tests/"
	find "$build/bin" -maxdepth 1 -name 'fpgacap-*' -exec cp {} "$root/bin/" \;
	# shellcheck disable=SC2086 # a list of paths
	[ -z "${FPGACAP_EXTRA_BIN:-}" ] || cp $FPGACAP_EXTRA_BIN "$root/bin/"
	cp "$FPGACAP_TOP/tests/guest/init" "$root/init"
	cp "$FPGACAP_TOP/tests/guest/net.sh" "$root/net.sh"
	cp "$FPGACAP_TOP/tests/guest/disks.sh" "$root/disks.sh"
	cp "$FPGACAP_TOP/tests/guest/job-$job.sh" "$root/job.sh"
	ln -s busybox "$root/bin/sh"
	chmod +x "$root/init"
	(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) \
		>"$build/initrd-$job.gz"
	echo "$build/initrd-$job.gz"
}
