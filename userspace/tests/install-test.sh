#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# What a packager does, checked: a staged install (DESTDIR) and a program
# built only from the installed header and pkg-config file, with glibc and
# with musl (whose build also runs the unit tests); uninstall leaves
# nothing; cross builds for armhf and arm64 use no host include path; the
# man pages render without a warning. TAP.
# Usage: install-test.sh WORKDIR [KSFT_DIR]
set -uo pipefail
work=${1:?usage: install-test.sh WORKDIR [KSFT_DIR]}
ksft=${2:-}
src=$(cd "$(dirname "$0")/.." && pwd)
top=$(cd "$src/.." && pwd)
rm -rf "$work"
mkdir -p "$work"
# Each build below is one make; let it use the machine (under make check
# -jN it joins that make's job server instead).
case ${MAKEFLAGS:-} in
*jobserver*) jobs= ;;
*) jobs=-j$(nproc 2>/dev/null || echo 2) ;;
esac

. "$(dirname "$0")/tap.sh"

# A consumer that knows only <libfpgacap.h> and pkg-config.
cat >"$work/consumer.c" <<'EOF'
#include <errno.h>
#include <stdio.h>
#include <libfpgacap.h>

int main(void)
{
	struct fpgacap_verify_stats st = { .size = sizeof(st) };
	struct fpgacap_verifier *v;

	if (fpgacap_version() >> 16 != LIBFPGACAP_VERSION_MAJOR ||
	    fpgacap_verify_create(FPGACAP_VERIFY_NONE, &v))
		return 1;
	fpgacap_verify_feed(v, "abc", 3);
	fpgacap_verify_get_stats(v, &st);
	fpgacap_verify_destroy(v);
	printf("%u.%u %llu %s\n", fpgacap_version() >> 16,
	       fpgacap_version() & 0xffff, (unsigned long long)st.bytes,
	       fpgacap_strerror(-EDQUOT));
	return st.bytes == 3 ? 0 : 1;
}
EOF

# stage_install TAG CC [make args...]: build and install into $work/TAG.
stage_install() {
	local tag=$1 cc=$2
	shift 2
	make -s $jobs -C "$src" O="$work/build-$tag" CC="$cc" "$@" all >/dev/null &&
	make -s -C "$src" O="$work/build-$tag" CC="$cc" "$@" install \
		DESTDIR="$work/stage-$tag" PREFIX=/usr LIBDIR=/usr/lib/fc-test \
		>/dev/null
}

pc_paths_are_the_install() {
	local pc=$work/stage-$1/usr/lib/fc-test/pkgconfig/libfpgacap.pc
	grep -qx 'prefix=/usr' "$pc" && grep -qx 'libdir=/usr/lib/fc-test' "$pc" &&
	grep -qx 'includedir=/usr/include' "$pc" && ! grep -q "$work" "$pc"
}

# consumer TAG CC [--static]: compile with pkg-config against the stage.
consumer() {
	local tag=$1 cc=$2 static=${3:-} stage=$work/stage-$1 flags
	flags=$(PKG_CONFIG_SYSROOT_DIR=$stage \
		PKG_CONFIG_LIBDIR=$stage/usr/lib/fc-test/pkgconfig \
		pkg-config $static --cflags --libs libfpgacap) || return 1
	echo "pkg-config: $flags"
	# shellcheck disable=SC2086
	"$cc" ${MUSL_CPPFLAGS:-} -std=c99 -Wall -Werror -o "$work/consumer-$tag$static" \
		"$work/consumer.c" $flags ${static:+-static} &&
	LD_LIBRARY_PATH=$stage/usr/lib/fc-test "$work/consumer-$tag$static"
}

uninstalled() {
	local stage=$work/stage-$1
	make -s -C "$src" O="$work/build-$1" CC="$2" uninstall \
		DESTDIR="$stage" PREFIX=/usr LIBDIR=/usr/lib/fc-test >/dev/null &&
	[ -z "$(find "$stage" -type f -o -type l)" ]
}

echo "TAP version 13"

# ---- glibc ----
check "glibc: staged install (DESTDIR, PREFIX, LIBDIR)" stage_install glibc gcc
check "glibc: the .pc carries the install's paths" pc_paths_are_the_install glibc
check "glibc: a program from the installed header and .pc (shared)" \
	consumer glibc gcc
check "glibc: the same, linked statically" consumer glibc gcc --static
check "glibc: uninstall leaves no file" uninstalled glibc gcc

# ---- musl: Debian's musl-gcc has no kernel headers; lend it the host's ----
if command -v musl-gcc >/dev/null; then
	kh=$work/musl-kernel-headers
	mkdir -p "$kh"
	ln -s /usr/include/linux "$kh/linux"
	ln -s /usr/include/asm-generic "$kh/asm-generic"
	ln -s "/usr/include/$(gcc -dumpmachine)/asm" "$kh/asm"
	export MUSL_CPPFLAGS="-isystem $kh"
	check "musl: staged install" stage_install musl musl-gcc \
		CPPFLAGS="$MUSL_CPPFLAGS" WERROR=1
	check "musl: the .pc carries the install's paths" \
		pc_paths_are_the_install musl
	check "musl: a program from the installed header and .pc (static)" \
		consumer musl musl-gcc --static
	if [ -n "$ksft" ]; then
		musl_units() {
			make -s $jobs -C "$src" O="$work/build-musl" CC=musl-gcc \
				CPPFLAGS="$MUSL_CPPFLAGS" WERROR=1 \
				KSFT_DIR="$ksft" unit-check >"$work/musl-units.tap" 2>&1
			local rc=$?
			grep -E '^(not ok|# Totals)' "$work/musl-units.tap"
			return $rc
		}
		check "musl: the unit tests pass" musl_units
	else
		skip "musl: the unit tests pass" "no KSFT_DIR"
	fi
	check "musl: uninstall leaves no file" uninstalled musl musl-gcc
else
	skip "musl builds" "musl-gcc not installed (musl-tools)"
fi

# ---- cross builds: no host include path, the right machine ----
cross() {
	local cc=$1 machine=$2 b=$work/build-$1
	if make -n -C "$src" O="$b" CC="$cc" STATIC=1 all 2>/dev/null |
		grep -E -- "-(I|isystem) ?/usr/include( |$)"; then
		echo "a host include path in the cross build"
		return 1
	fi
	make -s $jobs -C "$src" O="$b" CC="$cc" STATIC=1 WERROR=1 all 2>&1 |
		grep -v "io_uring send mode off" || true
	for f in "$b"/bin/fpgacap-* "$b/lib/libfpgacap.so.1"; do
		file -L "$f" | grep -q "$machine" || { file -L "$f"; return 1; }
	done
}
for t in "arm-linux-gnueabihf-gcc ARM," "aarch64-linux-gnu-gcc aarch64"; do
	set -- $t
	if command -v "$1" >/dev/null; then
		check "cross build with $1" cross "$1" "$2"
	else
		skip "cross build with $1" "not installed"
	fi
done

# ---- man pages, as installed (the version filled in) ----
render() {
	local page out
	make -s $jobs -C "$src" O="$work/build-glibc" CC=gcc man >/dev/null || return 1
	for page in "$work"/build-glibc/man/*.[1-8]; do
		grep -q '@VERSION@' "$page" && { echo "$page: @VERSION@ left"; return 1; }
		out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings=w -l "$page" 2>&1 >/dev/null)
		[ -z "$out" ] || { echo "$page: $out"; return 1; }
		out=$(groff -ww -z -man -Tutf8 "$page" 2>&1)
		[ -z "$out" ] || { echo "$page: $out"; return 1; }
	done
	[ "$(ls "$work"/build-glibc/man/*.[1-8] | wc -l)" = "$(ls "$top"/man/*.[1-8] | wc -l)" ]
}
check "man pages render without warnings" render

tap_end
