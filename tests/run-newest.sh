#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The newest-kernel check, for the day a new kernel enters Debian's archive:
#   tests/run-newest.sh [--suites "sid trixie-backports"] [--all]
# finds the newest linux-source-X.Y in the suites (and Debian's newest
# amd64 and arm64 images of that line), then runs the static checks against it
# beside the supported lines, and the whole suite in the x86_64 and ZynqMP
# guests on Debian's images and in the Zynq-7000 debug guest built from
# the source (--all: the x86_64 and ZynqMP debug guests too). The guests are the 7.3
# targets with their kernel variables pointed at the newest line; their
# logs name the kernel they ran. Prints "N passed, N failed" last.
set -uo pipefail
cd "$(dirname "$0")/.."
. tests/lib/common.sh
. tests/lib/debian-kernel.sh

suites="sid trixie-backports" all=
while [ $# -gt 0 ]; do
	case $1 in
	--suites) suites=${2:?--suites needs a list}; shift ;;
	--all) all=1 ;;
	*) echo "usage: run-newest.sh [--suites \"SUITE...\"] [--all]" >&2; exit 2 ;;
	esac
	shift
done

tests/setup-host.sh || { echo "0 passed, 1 failed"; exit 1; }
# The newest line: the highest linux-source-X.Y of any suite (of two
# suites with the same line, the one with the higher package version).
best= best_suite= best_ver=
for s in $suites; do
	for p in $(debian_apt "$s" apt-cache pkgnames linux-source- |
		grep -E '^linux-source-[0-9]+\.[0-9]+$'); do
		v=$(package_version "$p" "$s")
		if [ -z "$best" ] || [ "$(printf '%s\n%s\n' "${best#linux-source-}" \
			"${p#linux-source-}" | sort -V | tail -1)" != "${best#linux-source-}" ] ||
			{ [ "$p" = "$best" ] && dpkg --compare-versions "$v" gt "$best_ver"; }; then
			best=$p best_suite=$s best_ver=$v
		fi
	done
done
[ -n "$best" ] || { say "no linux-source-X.Y in $suites"; echo "0 passed, 1 failed"; exit 1; }
xy=${best#linux-source-}
image=$(debian_kernel_release "linux-image-$xy-amd64" "$best_suite" 2>/dev/null) || image=
note=
[ -z "$image" ] || note="; Debian's image $image"
say "newest kernel line: $xy ($best $best_ver, $best_suite)$note"

export FPGACAP_ZYNQ_7_3_SOURCE=$best FPGACAP_ZYNQ_7_3_SUITE=$best_suite
export FPGACAP_X86_7_3_DEBUG_SOURCE=$best FPGACAP_X86_7_3_DEBUG_SUITE=$best_suite
export FPGACAP_ZYNQMP_7_3_DEBUG_SOURCE=$best FPGACAP_ZYNQMP_7_3_DEBUG_SUITE=$best_suite
targets="zynq-7.3"
if [ -n "$image" ]; then
	export FPGACAP_X86_7_3_KERNEL=linux-image-$image FPGACAP_X86_7_3_SUITE=$best_suite
	targets="x86-7.3 $targets"
else
	say "$best_suite has no amd64 image of $xy yet: no x86_64 guest on Debian's image"
fi
# The ZynqMP guest on Debian's arm64 image of the same release, where the
# suite has it.
if [ -n "$image" ] &&
	debian_kernel_release "linux-image-${image%-amd64}-arm64" "$best_suite" >/dev/null 2>&1; then
	export FPGACAP_ZYNQMP_7_3_KERNEL=linux-image-${image%-amd64}-arm64
	export FPGACAP_ZYNQMP_7_3_SUITE=$best_suite
	targets="$targets zynqmp-7.3"
else
	say "$best_suite has no arm64 image of $xy: no ZynqMP guest on Debian's image"
fi
[ -z "$all" ] || targets="$targets x86-7.3-debug zynqmp-7.3-debug"
# The supported lines and the newest one.
static=${FPGACAP_STATIC_KERNELS:-6.1 6.12 7.2@sid 7.3@trixie-backports}
case " $static " in *" $xy@"*|*" $xy "*) ;; *) static="$static $xy@$best_suite" ;; esac
say "targets: $targets (on $xy); static checks against: $static"

FPGACAP_STATIC_KERNELS=$static FPGACAP_IIOD_TARGETS= tests/run-tests.sh \
	--targets "${targets// /,}"
