# SPDX-License-Identifier: GPL-2.0-only
# Debian's own kernels (sourced): images and headers unpacked into the
# cache, never installed, chosen by package name and never by what happens
# to be installed.

# The release a kernel image package resolves to: a metapackage
# (linux-image-amd64, linux-image-6.12-amd64) is followed to the image it
# depends on in the archive; an image package names its own release.
debian_kernel_release() {
	local pkg=$1 dep
	while dep=$(apt-cache depends "$pkg" 2>/dev/null |
		awk '/^ *Depends: linux-image-/ { print $2; exit }') && [ -n "$dep" ]; do
		pkg=$dep
	done
	apt-cache show "$pkg" >/dev/null 2>&1 ||
		die "$pkg is not in the archive (apt-get update?)"
	echo "${pkg#linux-image-}"
}

# Download packages into DIR/debs and unpack them into DIR.
debian_unpack() {
	local dir=$1 p
	shift
	rm -rf "$dir"
	mkdir -p "$dir/debs"
	for p in "$@"; do
		(cd "$dir/debs" && apt-get download "$p" >/dev/null 2>&1) ||
			die "apt-get download $p failed"
	done
	for p in "$dir"/debs/*.deb; do dpkg -x "$p" "$dir"; done
	rm -rf "$dir/debs"
}

# debian_headers RELEASE [ARCH]: the headers of a Debian kernel, ready for
# out-of-tree builds (the kbuild tools are the host's). Prints their dir.
debian_headers() {
	local rel=$1 arch=${2:-$(dpkg --print-architecture)}
	local dir=$FPGACAP_CACHE/debian-kernel/headers-$rel
	if [ ! -f "$dir/.fpgacap-ready" ]; then
		say "fetching Debian kernel headers $rel"
		# The headers depend on their -common part and the kbuild tools.
		# (For a foreign architecture apt-cache writes them <name:arch>;
		# the -common part is for all architectures, the tools the host's.)
		debian_unpack "$dir" "linux-headers-$rel:$arch" $(apt-cache depends \
			"linux-headers-$rel:$arch" | awk '$1 == "Depends:" {
				gsub("[<>]", "", $2); sub(":.*", "", $2) }
				$1 == "Depends:" && $2 ~ /^linux-(headers|kbuild)-/ { print $2 }' |
			sort -u)
		# The Makefile includes its -common part by absolute path.
		sed -i "s|/usr/src/|$dir/usr/src/|" "$dir/usr/src/linux-headers-$rel/Makefile"
		touch "$dir/.fpgacap-ready"
	fi
	echo "$dir/usr/src/linux-headers-$rel"
}

# debian_image RELEASE: the kernel image (boot/vmlinuz-RELEASE) and its
# modules (lib/modules/RELEASE, with modules.dep). Prints the root.
debian_image() {
	local rel=$1 dir=$FPGACAP_CACHE/debian-kernel/image-$1
	if [ ! -f "$dir/.fpgacap-ready" ]; then
		say "fetching Debian kernel image $rel"
		debian_unpack "$dir" "linux-image-$rel"
		depmod -b "$dir" "$rel"
		touch "$dir/.fpgacap-ready"
	fi
	echo "$dir"
}
