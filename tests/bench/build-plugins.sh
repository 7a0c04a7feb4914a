#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Build the bench's QEMU TCG plugins in the cache: tests/bench/memmodel.c
# (the project's cost-model counters) and QEMU's own contrib/plugins/cache.c,
# the cross-check of memmodel's cache model, against the plugin API of the
# QEMU installed here. The API header and QEMU's plugin sources come from
# Debian's qemu source package of the installed version, fetched through a
# private deb-src list in the cache (the host's apt configuration is never
# touched). Prints the directory holding libmemmodel.so and libcache.so.
set -euo pipefail
. "$(dirname "$0")/../lib/common.sh"

# The source version of the installed emulator (a binNMU's +bN dropped).
version=$(dpkg-query -W -f='${source:Version}' qemu-system-arm 2>/dev/null) ||
	die "qemu-system-arm is not installed (tests/setup-host.sh)"
upstream=${version#*:}

# glib's headers for QEMU's own plugins (the runtime library comes with QEMU).
if ! dpkg-query -W -f='${Status}' libglib2.0-dev 2>/dev/null | grep -q "ok installed"; then
	say "installing libglib2.0-dev (QEMU's plugins use glib)"
	sudo=
	[ "$(id -u)" = 0 ] || sudo=sudo
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends libglib2.0-dev >/dev/null
fi

src=$FPGACAP_CACHE/qemu-source/$upstream
if [ ! -f "$src/.fpgacap-ready" ]; then
	apt=$FPGACAP_CACHE/apt-src
	mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial"
	# The suites a bookworm QEMU comes from; deb-src only, in the cache.
	cat >"$apt/sources.list" <<-EOF
	deb-src http://deb.debian.org/debian bookworm main
	deb-src http://deb.debian.org/debian bookworm-updates main
	deb-src http://deb.debian.org/debian-security bookworm-security main
	EOF
	opts=(-o "Dir::Etc::SourceList=$apt/sources.list"
	      -o Dir::Etc::SourceParts=/dev/null
	      -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache"
	      -o APT::Sandbox::User=root)
	say "fetching Debian's qemu $version source (plugin API and plugins)"
	apt-get "${opts[@]}" -q update >/dev/null
	rm -rf "$src" "$src.dl"
	mkdir -p "$src.dl"
	(cd "$src.dl" && apt-get "${opts[@]}" -q source --download-only \
		"qemu=$version" >/dev/null) || die "apt-get source qemu=$version failed"
	# apt checked the files against the archive's signed index; the
	# uploader's own signature needs a keyring this host lacks.
	dpkg-source --no-check -x "$src.dl"/qemu_*.dsc "$src" >/dev/null
	rm -rf "$src.dl"
	touch "$src/.fpgacap-ready"
fi

# Rebuilt when the project's plugin changes.
key=$(cat "$FPGACAP_TOP/tests/bench/memmodel.c" "$0" | sha256sum | cut -c1-12)
out=$FPGACAP_CACHE/qemu-plugins/$upstream-$key
if [ ! -f "$out/.fpgacap-built" ]; then
	mkdir -p "$out"
	cc=(gcc -O2 -fPIC -shared -std=gnu11 -I"$src/include/qemu")
	"${cc[@]}" -Wall -Wextra -Werror "$FPGACAP_TOP/tests/bench/memmodel.c" \
		-o "$out/libmemmodel.so"
	# shellcheck disable=SC2046 # pkg-config's flags, one a word
	"${cc[@]}" $(pkg-config --cflags glib-2.0) \
		"$src/contrib/plugins/cache.c" -o "$out/libcache.so"
	touch "$out/.fpgacap-built"
fi
echo "$out"
