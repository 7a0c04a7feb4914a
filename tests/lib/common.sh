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
# Inside a command run under the lock (FPGACAP_HEAVY_HELD), heavy runs its
# command at once: a script may do several heavy steps in one turn.
heavy() {
	if [ -n "${FPGACAP_HEAVY_HELD:-}" ]; then
		"$@"
	else
		FPGACAP_HEAVY_HELD=1 flock "$FPGACAP_HEAVY_LOCK" "$@"
	fi
}
# heavy_timed FILE CMD...: heavy, and the seconds CMD ran once it held the
# lock written to FILE, the CPU seconds it and its children used (user +
# system, a figure that other work on the machine disturbs less) to
# FILE.cpu.
# With FPGACAP_LOCK_WAITS set, the seconds spent waiting for the lock are
# added to that file, one line each (tests/run-tests.sh reports them).
heavy_timed() {
	local asked
	asked=$(date +%s)
	heavy bash -c 't0=$(date +%s)
		[ -z "${FPGACAP_LOCK_WAITS:-}" ] ||
			echo "$((t0 - $2)) $1" >>"$FPGACAP_LOCK_WAITS"
		"${@:3}"; rc=$?
		echo $(($(date +%s) - t0)) >"$1"
		# (times in a pipeline would count the pipeline subshell only)
		times >"$1.cpu"
		awk "NR == 2 { for (i = 1; i <= 2; i++) {
			split(\$i, t, \"m\"); s += t[1] * 60 + t[2] } printf \"%d\n\", s }" \
			"$1.cpu" >"$1.cpu.tmp" && mv "$1.cpu.tmp" "$1.cpu"
		exit $rc' - "$1" "$asked" "${@:2}"
}
die() { printf '[fpgacap] error: %s\n' "$*" >&2; exit 1; }

# Debian's archive beyond this host's own sources. A suite (sid,
# trixie-backports, bookworm-backports ...) is read through an apt
# configuration of its own in the cache: its sources list, package lists
# and package cache live there, checked with the host's archive keyring.
# The host's apt sources are never changed. The empty suite means the
# host's own sources.
FPGACAP_DEBIAN_MIRROR=${FPGACAP_DEBIAN_MIRROR:-http://deb.debian.org/debian}
# A suite's package lists older than this (seconds) are fetched again.
FPGACAP_APT_MAX_AGE=${FPGACAP_APT_MAX_AGE:-86400}

# apt's binary cache of the package lists, kept in the cache: a system that
# turns it off (Debian's container images set Dir::Cache::pkgcache "") has
# every apt-cache call parse all the lists again, seconds each on a host
# with three architectures' lists, and the harness makes dozens of calls.
# apt rebuilds the file when the lists or dpkg's status change and writes
# it by renaming a complete file, so concurrent runs may share it.
# debian_apt SUITE apt-get|apt-cache ARGS...
debian_apt() {
	local suite=$1 cmd=$2
	shift 2
	if [ -z "$suite" ]; then
		mkdir -p "$FPGACAP_CACHE/apt"
		"$cmd" -o "Dir::Cache::pkgcache=$FPGACAP_CACHE/apt/host-pkgcache.bin" \
			-o Dir::Cache::srcpkgcache= "$@"
		return
	fi
	# SUITE:src reads the suite's source packages (deb-src) instead.
	local kind=deb
	case $suite in *:src) kind=deb-src suite=${suite%:src} ;; esac
	local dir=$FPGACAP_CACHE/apt/$suite${kind#deb} a
	local opts=(-o "Dir::Etc::SourceList=$dir/sources.list"
		-o Dir::Etc::SourceParts=/dev/null -o "Dir::State::Lists=$dir/lists"
		-o "Dir::Cache=$dir/cache" -o "Dir::Cache::pkgcache=$dir/cache/pkgcache.bin"
		-o Dir::Cache::srcpkgcache= -o Dir::State::status=/dev/null
		-o Dir::Etc::Preferences=/dev/null -o Dir::Etc::PreferencesParts=/dev/null
		-o Acquire::Languages=none
		-o "APT::Architecture=$(dpkg --print-architecture)")
	for a in $(dpkg --print-architecture) armhf arm64; do
		opts+=(-o "APT::Architectures::=$a")
	done
	local lists_age=$FPGACAP_APT_MAX_AGE stamp=$dir/lists/.fpgacap-updated
	[ -f "$stamp" ] && lists_age=$(( $(date +%s) - $(stat -c %Y "$stamp") ))
	if [ "$lists_age" -ge "$FPGACAP_APT_MAX_AGE" ]; then
		mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial"
		(
			flock 9
			[ -f "$stamp" ] && [ $(( $(date +%s) - $(stat -c %Y "$stamp") )) \
				-lt "$FPGACAP_APT_MAX_AGE" ] && exit 0
			say "fetching the package lists of $suite"
			echo "$kind [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg]" \
				"$FPGACAP_DEBIAN_MIRROR $suite main" >"$dir/sources.list"
			# A mirror mid-sync can fail one index; what arrived still works.
			apt-get "${opts[@]}" -q update >"$dir/update.log" 2>&1 ||
				say "apt-get update of $suite reported errors (see $dir/update.log)"
			touch "$stamp"
		) 9>"$dir/.lock"
	fi
	"$cmd" "${opts[@]}" "$@"
}

# debian_download SUITE DIR PKG...: the packages' .deb files into DIR. A
# package the lists name but the mirror no longer serves makes the lists
# be fetched again, once.
debian_download() {
	local suite=$1 dir=$2
	shift 2
	mkdir -p "$dir"
	(cd "$dir" && debian_apt "$suite" apt-get download "$@" >/dev/null 2>&1) && return
	if [ -n "$suite" ]; then
		rm -f "$FPGACAP_CACHE/apt/${suite/:src/-src}/lists/.fpgacap-updated"
		(cd "$dir" && debian_apt "$suite" apt-get download "$@" >/dev/null 2>&1) &&
			return
	fi
	return 1
}

# The archive's version of a package (installed or candidate; in SUITE
# when one is given).
package_version() {
	local pkg=$1 suite=${2:-} v=
	[ -n "$suite" ] || v=$(dpkg-query -W -f='${Version}' "$pkg" 2>/dev/null || true)
	[ -n "$v" ] || v=$(debian_apt "$suite" apt-cache policy "$pkg" |
		awk '/Candidate:/ { print $2; exit }')
	[ -n "$v" ] && [ "$v" != "(none)" ] ||
		die "package $pkg is not in the archive${suite:+ ($suite)}"
	echo "$v"
}

# Source tree of a Debian linux-source-X.Y package, extracted once into the
# cache: the host's installed package (tests/setup-host.sh installs 6.1 and
# 6.12), or with SUITE the package from that suite, downloaded, never
# installed. kernel_source_dir [PKG [SUITE]] prints the tree.
kernel_source_dir() {
	local pkg=${1:-linux-source-6.1} suite=${2:-}
	if [ -z "$suite" ]; then
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
		return
	fi
	local ver top=$FPGACAP_CACHE/source/$suite
	ver=$(package_version "$pkg" "$suite")
	local dir=$top/$pkg
	mkdir -p "$top"
	if [ "$(cat "$dir/.fpgacap-extracted" 2>/dev/null)" != "$ver" ]; then
		(
			flock 9
			[ "$(cat "$dir/.fpgacap-extracted" 2>/dev/null)" != "$ver" ] || exit 0
			say "fetching and extracting $pkg $ver ($suite)"
			rm -rf "$dir" "$top/debs"
			debian_download "$suite" "$top/debs" "$pkg=$ver" ||
				die "apt-get download $pkg=$ver ($suite) failed"
			# The package holds the tarball; unpack it without a copy.
			dpkg-deb --fsys-tarfile "$top"/debs/*.deb |
				tar -xOf - "./usr/src/$pkg.tar.xz" | tar -C "$top" -xJf - ||
				die "extracting $pkg failed"
			rm -rf "$top/debs"
			echo "$ver" >"$dir/.fpgacap-extracted"
		) 9>"$top/.$pkg.lock" || exit 1
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
			(cd "$dir/debs" && debian_apt "" apt-get download "$p:$arch" >/dev/null 2>&1) ||
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

# A sparse that the kernels checked here accept: from 7.2 on kbuild runs
# sparse only if it knows __typeof_unqual__ (else C=1 quietly checks
# nothing), which bookworm's 0.6.4 does not. Then sparse is built from
# Debian's newest source package (sid) into the cache, with this host's
# compiler. Prints the command.
sparse_tool() {
	local probe=$FPGACAP_CACHE/tools/typeof-unqual.c
	mkdir -p "$FPGACAP_CACHE/tools"
	printf 'int f(const int *p) { __typeof_unqual__(*p) v = *p; return v; }\n' >"$probe"
	# Each sparse's report read whole, not through grep -q: under pipefail
	# a sparse cut off by grep's early exit (SIGPIPE) failed the pipeline,
	# and one that does not know __typeof_unqual__ passed for one that does.
	if command -v sparse >/dev/null && ! sparse "$probe" 2>&1 | grep error >/dev/null; then
		echo sparse
		return
	fi
	local ver dir
	ver=$(debian_apt sid:src apt-cache showsrc sparse | awk '/^Version:/ { print $2 }' |
		sort -V | tail -1)
	[ -n "$ver" ] || die "no sparse source package in sid"
	dir=$FPGACAP_CACHE/tools/sparse-$ver
	if [ ! -x "$dir/sparse" ]; then
		(
			flock 9
			[ ! -x "$dir/sparse" ] || exit 0
			say "building sparse $ver from Debian's source package (sid)"
			rm -rf "$dir" "$dir.src"
			mkdir -p "$dir.src"
			(cd "$dir.src" && debian_apt sid:src apt-get source --download-only \
				"sparse=$ver" >/dev/null 2>&1 &&
				dpkg-source -x ./*.dsc "$dir" >/dev/null 2>&1) ||
				die "fetching sparse $ver failed"
			# Debian's package pins its own gcc (CC = gcc-16): this host's.
			make -s -C "$dir" -j"$JOBS" CC=gcc HAVE_LLVM=no HAVE_GTK=no \
				HAVE_SQLITE=no HAVE_LIBXML=no sparse >"$dir.log" 2>&1 ||
				{ cat "$dir.log" >&2; die "building sparse $ver failed"; }
			rm -rf "$dir.src"
		) 9>"$dir.lock" || exit 1
	fi
	"$dir/sparse" "$probe" 2>&1 | grep error >/dev/null && die "sparse $ver does not know __typeof_unqual__"
	echo "$dir/sparse"
}
