# SPDX-License-Identifier: GPL-2.0-only
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

say() { printf '[fpgacap] %s\n' "$*" >&2; }
# Run a CPU-heavy command (an emulator, a kernel build) alone: on two
# cores a second one at the same time slows both several-fold. One lock per
# machine, whatever cache a run uses.
FPGACAP_HEAVY_LOCK=${FPGACAP_HEAVY_LOCK:-${XDG_CACHE_HOME:-$HOME/.cache}/fpgacap/.heavy.lock}
mkdir -p "$(dirname "$FPGACAP_HEAVY_LOCK")"
heavy() { flock "$FPGACAP_HEAVY_LOCK" "$@"; }
# heavy_timed FILE CMD...: heavy, and the seconds CMD ran once it held the
# lock written to FILE.
heavy_timed() {
	heavy bash -c 't0=$(date +%s); "${@:2}"; rc=$?
		echo $(($(date +%s) - t0)) >"$1"; exit $rc' - "$@"
}
die() { printf '[fpgacap] error: %s\n' "$*" >&2; exit 1; }

# The archive's version of a package (installed or candidate).
package_version() {
	local v
	v=$(dpkg-query -W -f='${Version}' "$1" 2>/dev/null || true)
	[ -n "$v" ] || v=$(apt-cache policy "$1" | awk '/Candidate:/ { print $2 }')
	[ -n "$v" ] && [ "$v" != "(none)" ] || die "package $1 is not in the archive"
	echo "$v"
}

# Source tree of a Debian linux-source-X.Y package (installed by
# tests/setup-host.sh), extracted once into the cache.
kernel_source_dir() {
	local pkg=${1:-linux-source-6.1}
	local tarball=/usr/src/$pkg.tar.xz dir=$FPGACAP_CACHE/$pkg
	[ -f "$tarball" ] || die "$tarball missing (tests/setup-host.sh installs $pkg)"
	local stamp=$dir/.fpgacap-extracted
	if [ ! -f "$stamp" ] || [ "$tarball" -nt "$stamp" ]; then
		say "extracting $tarball"
		rm -rf "$dir"
		tar -C "$FPGACAP_CACHE" -xf "$tarball"
		touch "$stamp"
	fi
	echo "$dir"
}

# Debian packages of one architecture, unpacked (never installed) into one
# root in the cache. deb_root ARCH PKG... prints the root.
deb_root() {
	local arch=$1
	shift
	local dir=$FPGACAP_CACHE/deb/$arch/$(IFS=+; echo "$*")
	if [ ! -f "$dir/.fpgacap-ready" ]; then
		say "fetching $* ($arch)"
		rm -rf "$dir"
		mkdir -p "$dir/debs"
		local p
		for p in "$@"; do
			(cd "$dir/debs" && apt-get download "$p:$arch" >/dev/null 2>&1) ||
				die "apt-get download $p:$arch failed"
		done
		for p in "$dir"/debs/*.deb; do dpkg -x "$p" "$dir/root"; done
		rm -rf "$dir/debs"
		touch "$dir/.fpgacap-ready"
	fi
	echo "$dir/root"
}

# Where a Debian arch's multiarch libraries live (liburing for static links).
multiarch() {
	case $1 in
	amd64) echo x86_64-linux-gnu ;;
	armhf) echo arm-linux-gnueabihf ;;
	arm64) echo aarch64-linux-gnu ;;
	esac
}
