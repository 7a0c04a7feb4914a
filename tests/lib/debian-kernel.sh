# SPDX-License-Identifier: GPL-2.0-only
# Debian's own kernels (sourced): images and headers unpacked into the
# cache, never installed, chosen by package name (and suite) and never by
# what happens to be installed. SUITE is empty for the host's own sources
# or a suite read through the cache's own apt configuration (common.sh).

# The Debian flavour of an architecture's kernel packages.
debian_flavour() {
	case $1 in
	amd64) echo amd64 ;;
	arm64) echo arm64 ;;
	armhf) echo armmp ;;
	*) die "no Debian kernel flavour for $1" ;;
	esac
}

# debian_kernel_release PKG [SUITE]: the release a kernel image package
# resolves to. A metapackage (linux-image-amd64, linux-image-6.12-amd64) is
# followed to the image it depends on; an image package names its own
# release; linux-image-X.Y-FLAVOUR where the suite has no such metapackage
# (sid and the backports suites have none, bookworm none for 6.1) is the
# newest linux-image-X.Y.N...-FLAVOUR the suite has.
debian_kernel_release() {
	local pkg=$1 suite=${2:-} dep
	if ! debian_apt "$suite" apt-cache show "$pkg" >/dev/null 2>&1 &&
		[[ $pkg =~ ^linux-image-([0-9]+)\.([0-9]+)-([a-z0-9-]+)$ ]]; then
		local xy="${BASH_REMATCH[1]}\.${BASH_REMATCH[2]}" fl=${BASH_REMATCH[3]}
		dep=$(debian_apt "$suite" apt-cache pkgnames linux-image- |
			grep -E "^linux-image-$xy\.[0-9]+(-[0-9]+)?(\+[a-z0-9]+)?-$fl\$" |
			sort -V | tail -1)
		[ -n "$dep" ] && pkg=$dep
	fi
	# (A foreign architecture's dependency reads <name:arch>.)
	while dep=$(debian_apt "$suite" apt-cache depends "$pkg" 2>/dev/null |
		awk '/^ *Depends: linux-image-/ { sub(":.*", "", $2); print $2; exit }') &&
		[ -n "$dep" ]; do
		pkg=$dep
	done
	debian_apt "$suite" apt-cache show "$pkg" >/dev/null 2>&1 ||
		die "$pkg is not in the archive${suite:+ ($suite)} (apt-get update?)"
	echo "${pkg#linux-image-}"
}

# debian_unpack SUITE DIR PKG...: download packages and unpack them into DIR.
debian_unpack() {
	local suite=$1 dir=$2 p
	shift 2
	rm -rf "$dir"
	debian_download "$suite" "$dir/debs" "$@" ||
		die "apt-get download $*${suite:+ ($suite)} failed"
	for p in "$dir"/debs/*.deb; do dpkg -x "$p" "$dir"; done
	rm -rf "$dir/debs"
}

# The Depends of PKG whose names start with one of the given prefixes,
# without architecture qualifiers.
debian_depends() {
	local suite=$1 pkg=$2
	shift 2
	debian_apt "$suite" apt-cache depends "$pkg" | awk -v pre="$*" '
		$1 == "Depends:" {
			gsub("[<>]", "", $2); sub(":.*", "", $2)
			n = split(pre, p, " ")
			for (i = 1; i <= n; i++)
				if (index($2, p[i]) == 1) { print $2; break }
		}' | sort -u
}

# debian_headers RELEASE [ARCH [SUITE]]: a tree out-of-tree modules build
# against with `make -C TREE M=...`. Prints its dir. Debian's headers
# package serves as it is when this host's compiler for ARCH is the
# compiler Debian built the kernel with (the kbuild tools are the
# package's or the host's); otherwise see debian_prepared.
debian_headers() {
	local rel=$1 arch=${2:-$(dpkg --print-architecture)} suite=${3:-}
	local dir=$FPGACAP_CACHE/debian-kernel/headers-$rel
	if [ ! -f "$dir/.fpgacap-ready" ]; then
		say "fetching Debian kernel headers $rel${suite:+ ($suite)}"
		# The headers depend on their -common part and the kbuild tools.
		# (For a foreign architecture apt-cache writes them <name:arch>;
		# the -common part is for all architectures, the tools the host's.)
		debian_unpack "$suite" "$dir" "linux-headers-$rel:$arch" \
			$(debian_depends "$suite" "linux-headers-$rel:$arch" \
				linux-headers- linux-kbuild-)
		# The Makefile includes its -common part by absolute path.
		sed -i "s|/usr/src/|$dir/usr/src/|" "$dir/usr/src/linux-headers-$rel/Makefile"
		touch "$dir/.fpgacap-ready"
	fi
	local hdr=$dir/usr/src/linux-headers-$rel
	if debian_headers_usable "$hdr" "$arch"; then
		echo "$hdr"
	else
		debian_prepared "$rel" "$arch" "$suite" "$hdr"
	fi
}

# The cross compiler prefix of a Debian architecture on this host.
debian_cross() {
	case $1 in
	"$(dpkg --print-architecture)") echo ;;
	armhf) echo arm-linux-gnueabihf- ;;
	arm64) echo aarch64-linux-gnu- ;;
	esac
}

# debian_headers_usable HEADERS ARCH: can this host build modules against
# Debian's headers package as it is? Only with the compiler (major
# version) Debian used: kbuild turns the compiler's features, found when
# the kernel was configured, into flags (gcc 14's -fmin-function-alignment,
# for one) that an older compiler refuses. Never for armhf: the kbuild
# package's modpost for 32-bit targets carries 64-bit device-table sizes
# ("sizeof(struct of_device_id)=200 is not a modulo of the size of
# section").
debian_headers_usable() {
	local hdr=$1 arch=$2 theirs ours
	[ "$arch" != armhf ] || return 1
	theirs=$(sed -n 's/^CONFIG_GCC_VERSION=//p' "$hdr/.config")
	ours=$("$(debian_cross "$arch")gcc" -dumpversion)
	[ -n "$theirs" ] && [ "$((theirs / 10000))" = "${ours%%.*}" ]
}

# debian_prepared RELEASE ARCH SUITE HEADERS: Debian's configuration of
# that kernel, prepared for out-of-tree builds from the linux-source
# package of the same version with this host's compiler (make olddefconfig
# drops what the compiler lacks, Rust among it) and Debian's
# Module.symvers. The tree's kernel release is Debian's, so its modules
# load in Debian's image. The options that differ from Debian's build are
# listed in config-vs-debian.diff. Prints the tree.
debian_prepared() {
	local rel=$1 arch=$2 suite=$3 hdr=$4 cross karch ver xy src srcver
	cross=$(debian_cross "$arch")
	case $arch in amd64) karch=x86_64 ;; armhf) karch=arm ;; arm64) karch=arm64 ;; esac
	ver=$(debian_apt "$suite" apt-cache show "linux-headers-$rel:$arch" |
		awk '/^Version:/ { print $2; exit }')
	xy=$(echo "$ver" | cut -d. -f1,2)
	local out=$FPGACAP_CACHE/debian-kernel/prepared-$rel
	mkdir -p "${out%/*}"
	local stamp="$ver $("${cross}gcc" -dumpfullversion) $(pahole --version 2>/dev/null)"
	if [ "$(cat "$out/.fpgacap-ready" 2>/dev/null)" = "$stamp" ]; then
		echo "$out"
		return
	fi
	# FPGACAP_CHECK_ONLY: say that the tree would need preparing (3).
	[ -z "${FPGACAP_CHECK_ONLY:-}" ] || return 3
	src=$(kernel_source_dir "linux-source-$xy" "$suite")
	srcver=$(package_version "linux-source-$xy" "$suite")
	[ "$srcver" = "$ver" ] ||
		die "Debian's $rel headers are $ver but linux-source-$xy${suite:+ ($suite)} is $srcver"
	(
		flock 9
		[ "$(cat "$out/.fpgacap-ready" 2>/dev/null)" != "$stamp" ] || exit 0
		say "preparing Debian's $rel configuration with this host's compiler in $out"
		rm -rf "$out"
		mkdir -p "$out"
		cp "$hdr/.config" "$out/.config"
		local mk=(make -s -C "$src" O="$out" ARCH="$karch" ${cross:+CROSS_COMPILE="$cross"}
			KERNELRELEASE="$rel")
		"${mk[@]}" olddefconfig >"$out/prepare.log" 2>&1 ||
			{ cat "$out/prepare.log" >&2; die "olddefconfig for $rel failed"; }
		diff <(grep '^CONFIG_' "$hdr/.config" | sort) \
			<(grep '^CONFIG_' "$out/.config" | sort) >"$out/config-vs-debian.diff"
		# What an out-of-tree build needs: generated headers, kbuild's
		# host tools, modpost, the module linker script, objtool.
		heavy_timed "$out/prepare.seconds" "${mk[@]}" -j"$JOBS" modules_prepare \
			>>"$out/prepare.log" 2>&1 ||
			{ tail -30 "$out/prepare.log" >&2; die "preparing $rel failed"; }
		cp "$hdr/Module.symvers" "$out/Module.symvers"
		say "prepared $rel in $(cat "$out/prepare.seconds") s ($(cat "$out/prepare.seconds.cpu") s of CPU); $(grep -c '^[<>]' \
			"$out/config-vs-debian.diff") option lines differ from Debian's build" \
			"(compiler features and what needs them: $out/config-vs-debian.diff)"
		echo "$stamp" >"$out/.fpgacap-ready"
	) 9>"$out.lock" >&2 || exit 1
	echo "$out"
}

# debian_image_source RELEASE [SUITE]: the tree of the linux-source-X.Y
# package of the image's own version (the source of drivers its
# configuration leaves out, tests/build.sh). Prints the tree.
debian_image_source() {
	local rel=$1 suite=${2:-} ver xy srcver
	ver=$(debian_apt "$suite" apt-cache show "linux-image-$rel" |
		awk '/^Version:/ { print $2; exit }')
	[ -n "$ver" ] || die "linux-image-$rel is not in the archive${suite:+ ($suite)}"
	xy=$(echo "$ver" | cut -d. -f1,2)
	srcver=$(package_version "linux-source-$xy" "$suite")
	[ "$srcver" = "$ver" ] ||
		die "Debian's $rel image is $ver but linux-source-$xy${suite:+ ($suite)} is $srcver"
	kernel_source_dir "linux-source-$xy" "$suite"
}

# debian_image RELEASE [SUITE]: the kernel image and its modules
# (lib/modules/RELEASE, with modules.dep; from 7.x Debian splits them into
# linux-binary- and linux-modules- packages under /usr/lib). Prints the
# root; debian_image_file prints the image's path in it.
debian_image() {
	local rel=$1 suite=${2:-} dir=$FPGACAP_CACHE/debian-kernel/image-$1
	if [ ! -f "$dir/.fpgacap-ready" ]; then
		say "fetching Debian kernel image $rel${suite:+ ($suite)}"
		debian_unpack "$suite" "$dir" "linux-image-$rel" \
			$(debian_depends "$suite" "linux-image-$rel" \
				"linux-binary-$rel" "linux-modules-$rel" "linux-base-$rel")
		# modprobe -d and depmod -b look in ROOT/lib/modules.
		[ -e "$dir/lib" ] || ln -s usr/lib "$dir/lib"
		depmod -b "$dir" "$rel"
		touch "$dir/.fpgacap-ready"
	fi
	echo "$dir"
}

debian_image_file() {
	local root=$1 rel=$2 f
	for f in "$root/boot/vmlinuz-$rel" "$root/lib/modules/$rel/vmlinuz"; do
		[ ! -f "$f" ] || { echo "$f"; return; }
	done
	die "no kernel image in $root"
}
