#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The install paths of the module and the packaging recipes, as far as
# this machine allows (x86_64 6.1 headers, no Buildroot or BitBake): the
# DKMS source tree (with VERSION and the license texts) and a real `dkms
# build` from it, the module's modules_install into INSTALL_MOD_PATH (both
# modules carry VERSION), the top-level install and uninstall (man pages
# with the version, the udev rule, sysusers.d and the systemd unit under
# the prefix, tools without a build-tree path), the Buildroot package's
# commands run with a stand-in for its infrastructure (armhf toolchain;
# shared, static-only and thread-less toolchains), the Yocto recipes'
# variables expanded and tasks run the same way (arm64 toolchain), license
# checksums, MAINTAINERS covering every file.
# The userspace side (staged installs, glibc and musl, man pages
# rendering) is userspace/tests/install-test.sh. TAP; usage:
#   tests/packaging-test.sh [WORKDIR]
set -uo pipefail
. "$(dirname "$0")/lib/common.sh"
. "$FPGACAP_TOP/tests/lib/debian-kernel.sh"
. "$FPGACAP_TOP/tests/lib/target.sh"
top=$FPGACAP_TOP
work=${1:-$FPGACAP_WORK/packaging-test}
rm -rf "$work"
mkdir -p "$work"
# The x86 guest's kernel: its headers, unpacked in the cache.
load_target x86
resolve_kernel
rel=$krelease
# The one version of everything: the VERSION file.
version=$(cat "$top/VERSION")

. "$FPGACAP_TOP/userspace/tests/tap.sh"

# A copy of the checkout without build products: Kbuild writes objects
# next to the sources, and none may land in the checkout.
copy_tree() {
	mkdir -p "$1"
	(cd "$top" && git ls-files -z 2>/dev/null || find . -type f -print0) |
		(cd "$top" && xargs -0 cp --parents -t "$1")
}

echo "TAP version 13"

# ---- DKMS ----
src_tree() {
	make -s -C "$top" install-source DESTDIR="$work/root" &&
	local d=$work/root/usr/src/fpgacap-$version &&
	test -f "$d/Kbuild" && test -f "$d/uapi/fpgacap.h" &&
	ls "$d"/driver/*.c >/dev/null &&
	grep -qx "PACKAGE_VERSION=\"$version\"" "$d/dkms.conf" &&
	[ "$(cat "$d/VERSION")" = "$version" ] &&
	for f in COPYING LICENSES/preferred/GPL-2.0 \
		LICENSES/exceptions/Linux-syscall-note; do
		cmp "$top/$f" "$d/$f" || { echo "no $f in the DKMS tree"; return 1; }
	done &&
	! find "$d" -name '*.o' | grep -q .
}
check "install-source: Kbuild, VERSION, licenses, driver, uapi, dkms.conf in /usr/src/fpgacap-$version" src_tree

dkms_build() {
	mkdir -p "$work/dkms"
	dkms build -m fpgacap -v "$version" -k "$rel" \
		--sourcetree "$work/root/usr/src" --dkmstree "$work/dkms" \
		--kernelsourcedir "$kdir" --no-depmod &&
	local ko
	ko=$(find "$work/dkms/fpgacap/$version/$rel" -name 'fpgacap.ko*' | head -1) &&
	[ -n "$ko" ] && modinfo -F vermagic "$ko" | grep -q "^$rel " &&
	[ "$(modinfo -F version "$ko")" = "$version" ]
}
if command -v dkms >/dev/null; then
	check "dkms build from the installed source against $rel" dkms_build
else
	skip "dkms build from the installed source" "dkms not installed"
fi

# ---- the module's own install ----
modules_install() {
	local s=$work/module-src
	copy_tree "$s" &&
	make -s -C "$s" modules KDIR="$kdir" >/dev/null &&
	make -s -C "$s" modules_install KDIR="$kdir" \
		INSTALL_MOD_PATH="$work/modroot" >/dev/null 2>&1 &&
	test -f "$work/modroot/lib/modules/$rel/extra/fpgacap.ko" &&
	[ "$(modinfo -F version "$work/modroot/lib/modules/$rel/extra/fpgacap.ko")" = "$version" ]
}
check "make modules_install KDIR= INSTALL_MOD_PATH= (MODULE_VERSION $version)" modules_install

# ---- top-level install: userspace, man pages, udev, sysusers, systemd ----
top_install() {
	local s=$work/install-src d=$work/install-root f
	copy_tree "$s" &&
	make -s -C "$s" install DESTDIR="$d" PREFIX=/usr >/dev/null || return 1
	for f in usr/bin/fpgacap-stream usr/bin/fpgacap-sink usr/bin/fpgacap-ctl \
		usr/bin/fpgacap-bench usr/bin/fpgacap-iiod usr/lib/libfpgacap.so.1 \
		usr/lib/pkgconfig/libfpgacap.pc usr/include/libfpgacap.h \
		usr/include/fpgacap/fpgacap.h usr/include/fpgacap/libfpgacap-version.h \
		usr/share/man/man1/fpgacap-stream.1 \
		usr/share/man/man3/libfpgacap.3 usr/share/man/man4/fpgacap.4 \
		usr/lib/udev/rules.d/60-fpgacap.rules usr/lib/sysusers.d/fpgacap.conf \
		usr/lib/systemd/system/fpgacap-iiod.service; do
		test -e "$d/$f" || { echo "missing $f"; return 1; }
	done
	# One version: the library's file name, the .pc, the man pages, the
	# tools' --version.
	test -e "$d/usr/lib/libfpgacap.so.$version" || { echo "no libfpgacap.so.$version"; return 1; }
	grep -qx "Version: $version" "$d/usr/lib/pkgconfig/libfpgacap.pc" || return 1
	for f in "$d"/usr/share/man/man*/*; do
		grep -q "^\.TH .* \"fpgacap $version\"" "$f" || { echo "$f: not fpgacap $version"; return 1; }
		! grep -n '@[A-Z]*@' "$f" || return 1
	done
	for f in "$d"/usr/bin/fpgacap-*; do
		LD_LIBRARY_PATH=$d/usr/lib "$f" --version | grep -q " $version\$" ||
			{ echo "$f --version: $("$f" --version 2>&1)"; return 1; }
		# Installed programs carry no path into the build tree.
		! readelf -d "$f" | grep -E 'RPATH|RUNPATH' || { echo "$f has a run path"; return 1; }
	done
	grep -qx "ExecStart=/usr/bin/fpgacap-iiod --quiet \$FPGACAP_IIOD_OPTIONS" \
		"$d/usr/lib/systemd/system/fpgacap-iiod.service" || return 1
	make -s -C "$s" uninstall DESTDIR="$d" PREFIX=/usr >/dev/null &&
	[ -z "$(find "$d" -type f -o -type l)" ]
}
check "make install / uninstall (DESTDIR, PREFIX=/usr): tools, library, man 1 3 4, udev, sysusers, systemd; version $version everywhere" top_install

# PREFIX=/usr/local: nothing outside it but what DESTDIR holds.
local_prefix() {
	local s=$work/install-src d=$work/install-local
	make -s -C "$s" install DESTDIR="$d" PREFIX=/usr/local >/dev/null || return 1
	test -f "$d/usr/local/lib/udev/rules.d/60-fpgacap.rules" &&
	test -f "$d/usr/local/lib/sysusers.d/fpgacap.conf" &&
	grep -q '^ExecStart=/usr/local/bin/fpgacap-iiod ' \
		"$d/usr/local/lib/systemd/system/fpgacap-iiod.service" || return 1
	local outside
	outside=$(cd "$d" && find . -type f ! -path './usr/local/*')
	[ -z "$outside" ] || { echo "outside the prefix: $outside"; return 1; }
}
check "make install PREFIX=/usr/local: every file under the prefix" local_prefix

# The group the udev rule names exists once systemd-sysusers ran.
sysusers() {
	local r=$work/sysusers-root
	mkdir -p "$r/etc"
	systemd-sysusers --root="$r" "$top/packaging/sysusers.d/fpgacap.conf" &&
	grep -q '^fpgacap:x:[0-9]*:' "$r/etc/group" &&
	grep -q 'GROUP="fpgacap"' "$top/packaging/udev/60-fpgacap.rules"
}
if command -v systemd-sysusers >/dev/null; then
	check "sysusers.d creates the udev rule's group fpgacap" sysusers
else
	skip "sysusers.d creates the udev rule's group" "no systemd-sysusers"
fi

systemd_unit() {
	local b=$work/unit-bin u=$work/fpgacap-iiod.service out
	# A stand-in where the unit expects the program: systemd-analyze
	# checks that the command exists.
	mkdir -p "$b"
	printf '#!/bin/sh\n' >"$b/fpgacap-iiod"
	chmod +x "$b/fpgacap-iiod"
	sed "s|@BINDIR@|$b|g" "$top/packaging/systemd/fpgacap-iiod.service.in" >"$u"
	# Unknown keys are only warned about: any output is a failure.
	out=$(systemd-analyze verify --man=no "$u" 2>&1) && [ -z "$out" ] ||
		{ echo "$out"; return 1; }
}
if command -v systemd-analyze >/dev/null; then
	check "systemd unit for fpgacap-iiod: systemd-analyze verify" systemd_unit
else
	skip "systemd unit for fpgacap-iiod" "no systemd-analyze"
fi

udev_rule() {
	# The keys this rule uses, each line one match and its assignments.
	local r=$top/packaging/udev/60-fpgacap.rules
	grep -v '^#' "$r" | grep . | while read -r line; do
		echo "$line" | grep -Eq '^SUBSYSTEM=="fpgacap"(, (KERNEL|ENV\{MINOR\})=="[^"]+")?(, (GROUP|MODE|SYMLINK\+?)="[^"]+")+$' ||
			{ echo "unexpected: $line"; exit 1; }
	done
}
check "udev rule: well-formed match and assignment keys" udev_rule

# ---- Buildroot: the package's commands under a stand-in infrastructure ----
# buildroot NAME [VAR=VALUE...]: the package's commands with Buildroot's
# variables for an armhf target, its configuration's BR2_* as given.
buildroot() {
	local name=$1 b=$work/buildroot-$1 d
	shift
	d=$b/build/fpgacap-$version
	copy_tree "$d" || return 1
	{
		cat <<EOF
# Stand-in for Buildroot's package infrastructure: the variables the
# package uses, as Buildroot sets them for an armhf target.
BR2_EXTERNAL_FPGACAP_PATH := $top/packaging/buildroot
TARGET_CC := arm-linux-gnueabihf-gcc
TARGET_LDFLAGS ?=
TARGET_CONFIGURE_OPTS = CC="\$(TARGET_CC)" AR=arm-linux-gnueabihf-ar \\
	CFLAGS="-O2 -g0" LDFLAGS="\$(TARGET_LDFLAGS)"
TARGET_MAKE_ENV := PATH="\$(PATH)"
INSTALL := install
STAGING_DIR := $b/staging
TARGET_DIR := $b/target
kernel-module :=
generic-package :=
EOF
		printf '%s\n' "$@"
		cat <<EOF
include \$(BR2_EXTERNAL_FPGACAP_PATH)/external.mk
all: $d/.stamp_target_installed
$d/.stamp_built:
	\$(FPGACAP_BUILD_CMDS)
	touch \$@
$d/.stamp_staging_installed: $d/.stamp_built
	\$(FPGACAP_INSTALL_STAGING_CMDS)
	touch \$@
$d/.stamp_target_installed: $d/.stamp_staging_installed
	\$(FPGACAP_INSTALL_TARGET_CMDS)
	\$(FPGACAP_INSTALL_INIT_SYSTEMD)
	touch \$@
licenses:
	@for f in \$(FPGACAP_LICENSE_FILES); do test -f $d/\$\$f || echo "no \$\$f"; done
	@echo "\$(FPGACAP_LICENSE)" | grep -oE '[A-Za-z]*GPL-[0-9.]+[A-Za-z+-]*' | \\
		grep -vE -- '-(only|or-later)\$\$' | sed 's/^/deprecated SPDX id: /' || true
	@[ "\$(FPGACAP_VERSION)" = "$version" ] || echo "FPGACAP_VERSION \$(FPGACAP_VERSION)"
EOF
	} >"$b/Makefile"
	make -s -C "$b" >/dev/null || return 1
	local lic
	lic=$(make -s -C "$b" licenses)
	[ -z "$lic" ] || { echo "$lic"; return 1; }
	file "$b/target/usr/bin/fpgacap-stream" | grep -q "ARM," &&
	test -f "$b/staging/usr/lib/pkgconfig/libfpgacap.pc" &&
	test -f "$b/target/lib/udev/rules.d/60-fpgacap.rules" &&
	grep -q '^define FPGACAP_USERS' \
		"$top/packaging/buildroot/package/fpgacap/fpgacap.mk"
}
br_shared() {
	local t=$work/buildroot-shared/target
	buildroot shared BR2_TOOLCHAIN_HAS_THREADS=y BR2_INIT_SYSTEMD=y &&
	test -e "$t/usr/lib/libfpgacap.so.$version" &&
	test -x "$t/usr/bin/fpgacap-iiod" &&
	grep -q '^ExecStart=/usr/bin/fpgacap-iiod ' \
		"$t/usr/lib/systemd/system/fpgacap-iiod.service"
}
# A static-only toolchain (BR2_STATIC_LIBS) builds no shared object and
# links -static.
br_static() {
	local b=$work/buildroot-static f
	buildroot static BR2_STATIC_LIBS=y BR2_TOOLCHAIN_HAS_THREADS=y \
		TARGET_LDFLAGS=-static || return 1
	! find "$b/target" "$b/staging" -name '*.so*' | grep . || return 1
	for f in "$b"/target/usr/bin/fpgacap-*; do
		file "$f" | grep -q "statically linked" || { file "$f"; return 1; }
	done
	test -f "$b/staging/usr/lib/libfpgacap.a"
}
# A toolchain without threads: everything but fpgacap-iiod, no -pthread.
br_threadless() {
	local b=$work/buildroot-threadless
	buildroot threadless || return 1
	test -x "$b/target/usr/bin/fpgacap-stream" &&
	! test -e "$b/target/usr/bin/fpgacap-iiod" &&
	! test -e "$b/target/usr/share/man/man1/fpgacap-iiod.1" &&
	! make -n -C "$b/build/fpgacap-$version/userspace" O="$b/dry" \
		CC=arm-linux-gnueabihf-gcc IIOD=0 lib programs | grep -- -pthread
}
if command -v arm-linux-gnueabihf-gcc >/dev/null; then
	check "Buildroot package: build, staging and target install, systemd unit (armhf)" br_shared
	check "Buildroot package: static-only toolchain (BR2_STATIC_LIBS)" br_static
	check "Buildroot package: toolchain without threads (no fpgacap-iiod)" br_threadless
else
	skip "Buildroot package" "no armhf toolchain"
fi

buildroot_style() {	# the layout rules Buildroot's check-package enforces
	local mk=$top/packaging/buildroot/package/fpgacap/fpgacap.mk
	local cfg=$top/packaging/buildroot/package/fpgacap/Config.in
	head -5 "$mk" | diff - <(printf '%s\n' \
		"################################################################################" \
		"#" "# fpgacap" "#" \
		"################################################################################") &&
	! grep -nE '^[A-Z0-9_]+ *[:+?]?=' "$mk" | grep -v ':FPGACAP_' &&
	! grep -n '[[:space:]]$' "$mk" "$cfg" &&
	grep -qP '^\thelp$' "$cfg" && grep -qP '^\t  \S' "$cfg"
}
check "Buildroot package: header, variable prefix, help indentation" buildroot_style

# ---- Yocto: the recipes' variables and tasks with BitBake stood in ----
yocto() {
	local y=$work/yocto r=$top/packaging/yocto/meta-fpgacap
	local recipe=$r/recipes-support/libfpgacap/libfpgacap.bb
	local mrecipe=$r/recipes-kernel/fpgacap-module/fpgacap-module.bb
	local U=$y/sources B=$y/build D=$y/image vars rc
	local fixed=(UNPACKDIR="$U" B="$B" prefix=/usr bindir=/usr/bin
		libdir=/usr/lib includedir=/usr/include mandir=/usr/share/man
		PACKAGECONFIG_CONFARGS=URING=0)
	mkdir -p "$B" "$D" || return 1
	# The layer: what it needs and which release series it is for.
	vars=$(python3 "$top/tests/packaging/bbvars.py" "$r" "$recipe" "${fixed[@]}" -- \
		LAYERSERIES_COMPAT_fpgacap LAYERDEPENDS_fpgacap SRC_URI PV S \
		EXTRA_OEMAKE INHERIT_LIST) || return 1
	echo "$vars"
	local compat deps src pv S oemake
	compat=$(sed -n 's/^LAYERSERIES_COMPAT_fpgacap=//p' <<<"$vars")
	deps=$(sed -n 's/^LAYERDEPENDS_fpgacap=//p' <<<"$vars")
	src=$(sed -n 's/^SRC_URI=//p' <<<"$vars")
	pv=$(sed -n 's/^PV=//p' <<<"$vars")
	S=$(sed -n 's/^S=//p' <<<"$vars")
	oemake=$(sed -n 's/^EXTRA_OEMAKE=//p' <<<"$vars")
	[[ " $compat " == *" wrynose "* && " $compat " == *" scarthgap "* ]] ||
		{ echo "LAYERSERIES_COMPAT: $compat"; return 1; }
	[[ " $deps " == *" core "* ]] || { echo "LAYERDEPENDS: $deps"; return 1; }
	[ "$pv" = "$version+git" ] || { echo "PV $pv"; return 1; }
	# SRC_URI: this checkout's git repository, a branch it has; its
	# checkout (the tree as committed) lands in S.
	[[ $src =~ ^git://([^\;]+)\;protocol=file\;branch=([^\;]+)\;destsuffix=([^\;]+)$ ]] ||
		{ echo "SRC_URI $src"; return 1; }
	[ "${BASH_REMATCH[1]}" = "$top" ] && [ "$U/${BASH_REMATCH[3]}" = "$S" ] ||
		{ echo "SRC_URI $src, S $S"; return 1; }
	# The branch, in this repository or the one it was cloned from.
	[ -n "$(git -C "$top" for-each-ref "refs/heads/${BASH_REMATCH[2]}" \
		"refs/remotes/*/${BASH_REMATCH[2]}")" ] ||
		{ echo "no branch ${BASH_REMATCH[2]} in $top"; return 1; }
	[ "$(python3 "$top/tests/packaging/bbvars.py" "$r" "$mrecipe" "${fixed[@]}" -- \
		SRC_URI S PV)" = "$(printf 'SRC_URI=%s\nS=%s\nPV=%s' "$src" "$S" "$pv")" ] ||
		{ echo "the module recipe builds another source"; return 1; }
	copy_tree "$S" || return 1
	# LIC_FILES_CHKSUM: every file and checksum as the recipe says.
	grep -ho 'file://[^ "]*' "$recipe" "$mrecipe" | sort -u | while read -r l; do
		f=${l#file://}; f=${f%%;*}; sum=${l##*md5=}
		[ "$(md5sum <"$S/$f" | cut -d' ' -f1)" = "$sum" ] ||
			{ echo "checksum of $f"; exit 1; }
	done || return 1
	# The tasks, as BitBake would run them: variables expanded, oe_runmake.
	# A script of its own, so that errexit holds (this function runs as a
	# condition, where bash ignores it).
	cat >"$y/tasks.sh" <<'EOF'
set -euo pipefail
export CC=aarch64-linux-gnu-gcc AR=aarch64-linux-gnu-ar CFLAGS=-O2 LDFLAGS=
prefix=/usr bindir=/usr/bin libdir=/usr/lib includedir=/usr/include
mandir=/usr/share/man nonarch_base_libdir=/lib nonarch_libdir=/usr/lib
systemd_system_unitdir=/lib/systemd/system
oe_runmake() { make -s $EXTRA_OEMAKE "$@"; }
for task in do_compile do_install; do
	body=$(sed -n "/^$task() {/,/^}/p" "$recipe")
	# BitBake expands ${VAR} in a task before the shell sees it, quoted
	# or not.
	for v in prefix bindir libdir includedir mandir nonarch_base_libdir \
		nonarch_libdir systemd_system_unitdir S B D; do
		body=${body//"\${$v}"/${!v}}
	done
	bash -n <<<"$body"
	eval "$body"
	"$task" >/dev/null
done
file "$D/usr/bin/fpgacap-sink" | grep -q aarch64
grep -qx 'libdir=/usr/lib' "$D/usr/lib/pkgconfig/libfpgacap.pc"
grep -qx "Version: $version" "$D/usr/lib/pkgconfig/libfpgacap.pc"
test -f "$D/lib/udev/rules.d/60-fpgacap.rules"
test -f "$D/usr/lib/sysusers.d/fpgacap.conf"
grep -q '^ExecStart=/usr/bin/fpgacap-iiod ' "$D/lib/systemd/system/fpgacap-iiod.service"
test -d "$B/userspace-build/lib"
# The module class: make in S with KERNEL_SRC, then install with MODLIB
# (x86 headers: the ones this machine has).
make -s -C "$S" KERNEL_SRC="$kdir" modules >/dev/null
make -s -C "$S" KERNEL_SRC="$kdir" DEPMOD=echo \
	MODLIB="$D/lib/modules/$rel" modules_install >/dev/null 2>&1
ko=$(find "$D/lib/modules/$rel" -name fpgacap.ko)
[ "$(modinfo -F version "$ko")" = "$version" ]
EOF
	S=$S B=$B D=$D EXTRA_OEMAKE=$oemake recipe=$recipe kdir=$kdir rel=$rel \
		version=$version bash "$y/tasks.sh"
}
if command -v aarch64-linux-gnu-gcc >/dev/null; then
	check "Yocto layer: series $(sed -n 's/^LAYERSERIES_COMPAT_fpgacap = //p' \
		"$top/packaging/yocto/meta-fpgacap/conf/layer.conf"), SRC_URI, license checksums, tasks run (arm64), module class" yocto
else
	skip "Yocto recipes" "no arm64 toolchain"
fi

# ---- the README's build commands, as written, in a copy ----
# The PC's build, then the board's (the order that once left x86 tools
# where the README promised ARM ones), the tools run from where the build
# says, the PC's sink command finds its program, and a changed CFLAGS
# rebuilds.
readme_build() {
	local s=$work/readme-src line zkdir f m
	. "$top/tests/lib/readme.sh"
	zkdir=$(load_target zynq && resolve_kernel >/dev/null && echo "$kdir") || return 1
	copy_tree "$s" || return 1
	while IFS= read -r line; do
		echo "\$ $line"
		(cd "$s" && eval "${line//<kernel build dir>/$zkdir}") >"$work/readme-build.log" 2>&1 ||
			{ tail -20 "$work/readme-build.log"; return 1; }
	done < <(readme_commands pc-build; readme_commands board-build)
	m=$(gcc -dumpmachine)
	grep -q "tools in $s/userspace/build/arm-linux-gnueabihf/bin$" "$work/readme-build.log" ||
		{ echo "the cross build does not say where its tools are"; return 1; }
	for f in "$s"/userspace/build/arm-linux-gnueabihf/bin/fpgacap-*; do
		file "$f" | grep -q "ARM,.*statically linked" || { file "$f"; return 1; }
	done
	file "$s/fpgacap.ko" | grep -q "ARM" &&
	[ "$(modinfo -F version "$s/fpgacap.ko")" = "$version" ] || return 1
	for f in "$s"/userspace/build/"$m"/bin/fpgacap-*; do
		"$f" --version >/dev/null || { echo "$f does not run from the build tree"; return 1; }
	done
	# Each of the PC's commands: its program, as the README spells it.
	while IFS= read -r line; do
		(cd "$s" && eval "set -- $line" && "$1" --version) >/dev/null ||
			{ echo "README: $line: no such program after its build"; return 1; }
	done < <(readme_commands pc)
	# Other flags, the same directory: everything is built again.
	local before
	before=$(stat -c %Y "$s/userspace/build/$m/obj/lib/device.o")
	sleep 1
	make -s -C "$s" userspace CFLAGS="-O1 -g" >/dev/null 2>&1 &&
	[ "$(stat -c %Y "$s/userspace/build/$m/obj/lib/device.o")" != "$before" ] ||
		{ echo "a changed CFLAGS did not rebuild"; return 1; }
}
if command -v arm-linux-gnueabihf-gcc >/dev/null; then
	check "README: its build commands as written (PC, then board: module and static tools for ARM), tools run from the build tree" readme_build
else
	skip "README: its build commands" "no armhf toolchain"
fi

# ---- MAINTAINERS: a contact for every file ----
maintainers() {
	local m=$top/MAINTAINERS
	grep -q '^SECURITY CONTACT$' "$m" &&
	grep -A2 '^SECURITY CONTACT$' "$m" | grep -qE '^M:.*<[^@ ]+@[^@ ]+>$' || return 1
	# Each file against every F: pattern (a trailing / covers a tree).
	(cd "$top" && git ls-files 2>/dev/null || find . -type f | sed 's|^\./||') |
		python3 -c '
import fnmatch, re, sys
pats = [l[2:].strip() for l in open(sys.argv[1]) if l.startswith("F:")]
bad = [f for f in sys.stdin.read().split("\n") if f and not any(
    f.startswith(p) if p.endswith("/") else fnmatch.fnmatch(f, p) for p in pats)]
for f in bad:
    print("no maintainer for " + f)
sys.exit(1 if bad else 0)' "$m"
}
check "MAINTAINERS: a security contact, and a maintainer for every file" maintainers

tap_end
