#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Install what the build and the emulated guests need, from Debian's archive.
# Idempotent: installs only what is missing. Needs root (or sudo).
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"

packages=(
	build-essential bc bison flex cpio kmod xz-utils libssl-dev libelf-dev
	qemu-system-x86 qemu-system-arm
	gcc-arm-linux-gnueabihf libc6-dev-armhf-cross
	gcc-aarch64-linux-gnu libc6-dev-arm64-cross
	linux-source-6.1 linux-source-6.12
	busybox-static device-tree-compiler sparse
	liburing-dev iproute2 gnuplot-nox python3 lcov
	# pahole: BTF for modules built against Debian's 6.12 headers
	dwarves
	# libiio 0.24's clients, for fpgacap-iiod's tests (tests/iiod/)
	libiio-utils python3-libiio
	# the userspace's musl build, ABI check, and DKMS packaging test
	musl-tools abigail-tools dkms
)

sudo=
[ "$(id -u)" = 0 ] || sudo=sudo

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing+=("$p")
done
# Guest userspace pieces (busybox, liburing) and Debian's kernels and
# headers are downloaded, never installed.
for a in armhf arm64; do
	dpkg --print-foreign-architectures | grep -qx $a || {
		$sudo dpkg --add-architecture $a
		missing+=(apt-update)
	}
done

if [ ${#missing[@]} -gt 0 ]; then
	say "installing: ${missing[*]}"
	# A mirror mid-sync can fail one index; what is installed still works.
	$sudo apt-get update -q || say "apt-get update reported errors; continuing"
	pkgs=()
	for p in "${missing[@]}"; do [ "$p" = apt-update ] || pkgs+=("$p"); done
	[ ${#pkgs[@]} -eq 0 ] ||
		$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
			--no-install-recommends "${pkgs[@]}"
fi
say "host ready"
