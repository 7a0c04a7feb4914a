#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Line and branch coverage of driver/ from the .gcda files a gcov guest
# left (tests/run-guest.sh collects them into $FPGACAP_WORK/gcov/TARGET).
#   tests/coverage.sh [TARGET]     (default x86-debug, the default
#                                  matrix's gcov guest)
# Writes $FPGACAP_WORK/coverage/TARGET/{driver.info,html/,summary.txt} and
# prints the per-file table and the totals.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"

target=${1:-x86-debug}
in=$FPGACAP_WORK/gcov/$target
out=$FPGACAP_WORK/coverage/$target
[ -d "$in" ] || die "no coverage data in $in (run tests/run-guest.sh $target tests)"
command -v lcov >/dev/null || die "lcov missing (tests/setup-host.sh installs it)"
rm -rf "$out"
mkdir -p "$out"
rc=(--rc lcov_branch_coverage=1)
# lcov's own Perl prints redefinition noise on Debian 12: keep it out.
lcov "${rc[@]}" -q -c -d "$in" -o "$out/all.info" 2>"$out/lcov.log"
lcov "${rc[@]}" -q --extract "$out/all.info" '*/driver/*' \
	-o "$out/driver.info" 2>>"$out/lcov.log"
genhtml "${rc[@]}" -q -o "$out/html" "$out/driver.info" 2>>"$out/lcov.log"
{
	lcov "${rc[@]}" -l "$out/driver.info" 2>/dev/null |
		sed -n '/^\[/,$p'
	lcov "${rc[@]}" --summary "$out/driver.info" 2>/dev/null |
		grep -E 'lines|functions|branches'
} | tee "$out/summary.txt"
say "coverage report: $out/html/index.html"
