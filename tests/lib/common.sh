# Shared paths and helpers for the harness scripts (sourced, not run).
# Everything fetched or built lives under $FPGACAP_CACHE, outside the checkout.

FPGACAP_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
FPGACAP_CACHE=${FPGACAP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/fpgacap}
mkdir -p "$FPGACAP_CACHE"
# Builds, logs and figures of this checkout; several checkouts (or
# worktrees) may share one cache of kernels by giving each its own.
FPGACAP_WORK=${FPGACAP_WORK:-$FPGACAP_CACHE}
mkdir -p "$FPGACAP_WORK"

JOBS=${JOBS:-$(nproc)}
ARM_CROSS=arm-linux-gnueabihf-

say() { printf '[fpgacap] %s\n' "$*" >&2; }
# Run a CPU-heavy command (an emulator, a kernel build) alone: on two
# cores a second one at the same time slows both several-fold.
heavy() { flock "$FPGACAP_CACHE/.heavy.lock" "$@"; }
die() { printf '[fpgacap] error: %s\n' "$*" >&2; exit 1; }

# Kernel flavour of the installed amd64 headers, e.g. 6.1.0-56-amd64.
host_headers_release() {
	local d
	d=$(ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sort -V | tail -n 1)
	[ -n "$d" ] || die "no linux-headers-*-amd64 installed (run tests/setup-host.sh)"
	basename "$d" | sed 's/^linux-headers-//'
}

# Source tree of Debian's linux-source-6.1, extracted once into the cache.
kernel_source_dir() {
	local tarball=/usr/src/linux-source-6.1.tar.xz
	local dir=$FPGACAP_CACHE/linux-source-6.1
	[ -f "$tarball" ] || die "$tarball missing (run tests/setup-host.sh)"
	local stamp=$dir/.fpgacap-extracted
	if [ ! -f "$stamp" ] || [ "$tarball" -nt "$stamp" ]; then
		say "extracting $tarball"
		rm -rf "$dir"
		tar -C "$FPGACAP_CACHE" -xf "$tarball"
		touch "$stamp"
	fi
	echo "$dir"
}

# Debian's amd64 kernel matching the installed headers, unpacked into the
# cache with modules.dep. Prints the unpacked root.
x86_kernel_dir() {
	local release dir
	release=$(host_headers_release)
	dir=$FPGACAP_CACHE/x86-kernel/$release
	if [ ! -f "$dir/.fpgacap-ready" ]; then
		say "fetching Debian kernel image $release"
		rm -rf "$dir"
		mkdir -p "$dir"
		(cd "$FPGACAP_CACHE/x86-kernel" &&
			apt-get download "linux-image-$release" >/dev/null 2>&1) ||
			die "apt-get download linux-image-$release failed"
		dpkg -x "$FPGACAP_CACHE/x86-kernel/linux-image-${release}_"*.deb "$dir"
		depmod -b "$dir" "$release"
		touch "$dir/.fpgacap-ready"
	fi
	echo "$dir"
}

# An armhf package's files, unpacked (never installed) into the cache.
armhf_deb_dir() {
	local pkg=$1 dir=$FPGACAP_CACHE/armhf/$1
	if [ ! -f "$dir/.fpgacap-ready" ]; then
		say "fetching $pkg:armhf"
		rm -rf "$dir"
		mkdir -p "$dir"
		(cd "$dir" && apt-get download "$pkg:armhf" >/dev/null 2>&1) ||
			die "apt-get download $pkg:armhf failed"
		dpkg -x "$dir"/*.deb "$dir/root"
		touch "$dir/.fpgacap-ready"
	fi
	echo "$dir/root"
}
