# Build a guest's initramfs (sourced). make_initramfs TARGET JOB BUILD_DIR
# prints the path of the gzipped cpio: busybox, the module, the programs,
# the NIC driver where it is a module, /init and the job.
make_initramfs() {
	local target=$1 job=$2 build=$3
	local root=$build/initramfs-$job
	rm -rf "$root"
	mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,lib/modules/net,tests}

	case $target in
	x86)
		cp /bin/busybox "$root/bin/busybox"
		local kimg rel
		kimg=$(x86_kernel_dir)
		rel=$(host_headers_release)
		# e1000 is a module in Debian's kernel: the only NIC that gives
		# real zero-copy completions under QEMU.
		find "$kimg/lib/modules/$rel" -name e1000.ko -exec cp {} \
			"$root/lib/modules/net/" \;
		;;
	zynq | zynq-plain)
		cp "$(armhf_deb_dir busybox-static)/bin/busybox" "$root/bin/busybox"
		;;
	esac
	cp "$build/fpgacap.ko" "$root/lib/modules/"
	[ ! -f "$build/fpgacap-testdma.ko" ] ||
		cp "$build/fpgacap-testdma.ko" "$root/lib/modules/"
	cp "$build"/bin/*_test "$root/tests/"
	find "$build/bin" -maxdepth 1 -name 'fpgacap-*' -exec cp {} "$root/bin/" \;
	[ -z "${FPGACAP_EXTRA_BIN:-}" ] || cp $FPGACAP_EXTRA_BIN "$root/bin/"
	cp "$FPGACAP_TOP/tests/guest/init" "$root/init"
	cp "$FPGACAP_TOP/tests/guest/net.sh" "$root/net.sh"
	cp "$FPGACAP_TOP/tests/guest/job-$job.sh" "$root/job.sh"
	ln -s busybox "$root/bin/sh"
	chmod +x "$root/init"
	(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) \
		>"$build/initrd-$job.gz"
	echo "$build/initrd-$job.gz"
}
