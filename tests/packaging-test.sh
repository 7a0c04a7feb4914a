#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The install paths of the module and the packaging recipes, as far as
# this machine allows (x86_64 6.1 headers, no Buildroot or BitBake): the
# DKMS source tree and a real `dkms build` from it, the module's
# modules_install into INSTALL_MOD_PATH, the top-level install and
# uninstall (man pages, udev rule), the Buildroot package's commands run
# with a stand-in for its infrastructure (armhf toolchain), the Yocto
# recipes' tasks run the same way (arm64 toolchain), license checksums.
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
version=$(sed -n 's/^VERSION := //p' "$top/Makefile")

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
	! find "$d" -name '*.o' | grep -q .
}
check "install-source: Kbuild, driver, uapi, dkms.conf in /usr/src/fpgacap-$version" src_tree

dkms_build() {
	mkdir -p "$work/dkms"
	dkms build -m fpgacap -v "$version" -k "$rel" \
		--sourcetree "$work/root/usr/src" --dkmstree "$work/dkms" \
		--kernelsourcedir "$kdir" --no-depmod &&
	local ko
	ko=$(find "$work/dkms/fpgacap/$version/$rel" -name 'fpgacap.ko*' | head -1) &&
	[ -n "$ko" ] && modinfo -F vermagic "$ko" | grep -q "^$rel "
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
	test -f "$work/modroot/lib/modules/$rel/extra/fpgacap.ko"
}
check "make modules_install KDIR= INSTALL_MOD_PATH=" modules_install

# ---- top-level install: userspace, man pages, udev rule ----
top_install() {
	local s=$work/install-src d=$work/install-root
	copy_tree "$s" &&
	make -s -C "$s" install DESTDIR="$d" PREFIX=/usr >/dev/null &&
	for f in usr/bin/fpgacap-stream usr/bin/fpgacap-sink usr/bin/fpgacap-ctl \
		usr/bin/fpgacap-bench usr/lib/libfpgacap.so.1 \
		usr/lib/pkgconfig/libfpgacap.pc usr/include/libfpgacap.h \
		usr/include/fpgacap/fpgacap.h usr/share/man/man1/fpgacap-stream.1 \
		usr/share/man/man3/libfpgacap.3 usr/share/man/man4/fpgacap.4 \
		lib/udev/rules.d/60-fpgacap.rules; do
		test -e "$d/$f" || { echo "missing $f"; return 1; }
	done &&
	make -s -C "$s" uninstall DESTDIR="$d" PREFIX=/usr >/dev/null &&
	[ -z "$(find "$d" -type f -o -type l)" ]
}
check "make install / uninstall (DESTDIR, PREFIX): tools, library, man 1 3 4, udev" top_install

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
buildroot() {
	local b=$work/buildroot d=$work/buildroot/build/fpgacap-$version
	copy_tree "$d" &&
	cat >"$b/Makefile" <<EOF
# Stand-in for Buildroot's package infrastructure: the variables the
# package uses, as Buildroot sets them for an armhf target.
BR2_EXTERNAL_FPGACAP_PATH := $top/packaging/buildroot
TARGET_CC := arm-linux-gnueabihf-gcc
TARGET_CONFIGURE_OPTS := CC="\$(TARGET_CC)" AR=arm-linux-gnueabihf-ar \\
	CFLAGS="-O2 -g0" LDFLAGS=""
TARGET_MAKE_ENV := PATH="\$(PATH)"
INSTALL := install
STAGING_DIR := $b/staging
TARGET_DIR := $b/target
kernel-module :=
generic-package :=
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
	touch \$@
licenses:
	@for f in \$(FPGACAP_LICENSE_FILES); do test -f $d/\$\$f || echo "no \$\$f"; done
EOF
	make -s -C "$b" >/dev/null &&
	test -z "$(make -s -C "$b" licenses)" &&
	file "$b/target/usr/bin/fpgacap-stream" | grep -q "ARM," &&
	test -f "$b/staging/usr/lib/pkgconfig/libfpgacap.pc" &&
	test -f "$b/target/lib/udev/rules.d/60-fpgacap.rules" &&
	grep -q '^FPGACAP_USERS\|^define FPGACAP_USERS' \
		"$top/packaging/buildroot/package/fpgacap/fpgacap.mk"
}
if command -v arm-linux-gnueabihf-gcc >/dev/null; then
	check "Buildroot package: build, staging and target install (armhf)" buildroot
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

# ---- Yocto: the recipes' tasks with BitBake's variables stood in ----
yocto() {
	local y=$work/yocto r=$top/packaging/yocto/meta-fpgacap
	local recipe=$r/recipes-support/libfpgacap/libfpgacap_1.0.0.bb
	local mrecipe=$r/recipes-kernel/fpgacap-module/fpgacap-module_1.0.0.bb
	local S=$y/src B=$y/build D=$y/image
	copy_tree "$S" && mkdir -p "$B" "$D" || return 1
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
mandir=/usr/share/man nonarch_base_libdir=/lib
PACKAGECONFIG_CONFARGS="URING=0"
oemake=$(sed -n '/^EXTRA_OEMAKE = "/,/"$/p' "$recipe" | tr '\\\n' '  ' |
	sed -e 's/^EXTRA_OEMAKE = "//' -e 's/" *$//')
EXTRA_OEMAKE=$(eval echo "$oemake")
echo "EXTRA_OEMAKE: $EXTRA_OEMAKE"
oe_runmake() { make -s $EXTRA_OEMAKE "$@"; }
for task in do_compile do_install; do
	body=$(sed -n "/^$task() {/,/^}/p" "$recipe")
	bash -n <<<"$body"
	eval "$body"
	"$task" >/dev/null
done
file "$D/usr/bin/fpgacap-sink" | grep -q aarch64
grep -qx 'libdir=/usr/lib' "$D/usr/lib/pkgconfig/libfpgacap.pc"
test -f "$D/lib/udev/rules.d/60-fpgacap.rules"
test -d "$B/userspace-build/lib"
# The module class: make in S with KERNEL_SRC, then install with MODLIB
# (x86 headers: the ones this machine has).
make -s -C "$S" KERNEL_SRC="$kdir" modules >/dev/null
make -s -C "$S" KERNEL_SRC="$kdir" DEPMOD=echo \
	MODLIB="$D/lib/modules/$rel" modules_install >/dev/null 2>&1
find "$D/lib/modules/$rel" -name fpgacap.ko | grep -q .
EOF
	S=$S B=$B D=$D recipe=$recipe kdir=$kdir rel=$rel bash "$y/tasks.sh"
}
if command -v aarch64-linux-gnu-gcc >/dev/null; then
	check "Yocto recipes: license checksums, tasks run (arm64), module class" yocto
else
	skip "Yocto recipes" "no arm64 toolchain"
fi

tap_end
