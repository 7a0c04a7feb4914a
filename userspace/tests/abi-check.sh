#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The shared library's ABI against the dump kept in the repository
# (abi/libfpgacap.abi, written by `make abi-dump`), with abigail-tools.
# TAP. Usage: abi-check.sh <built libfpgacap.so.X.Y.Z> <dump>
set -uo pipefail
lib=$1 dump=$2
here=$(cd "$(dirname "$0")/.." && pwd)

echo "TAP version 13"
echo "1..3"
if ! command -v abidiff >/dev/null; then
	echo "ok 1 ABI matches $dump # SKIP abidiff not installed (abigail-tools)"
	echo "ok 2 exported symbols are the version script's # SKIP abidiff not installed"
	echo "ok 3 every function of libfpgacap.h is in the version script # SKIP abidiff not installed"
	exit 0
fi
# abidiff: bit 2 (4) an ABI change, bit 3 (8) an incompatible one. Any
# change fails: an intended addition comes with a new dump (make abi-dump)
# and a new version node in lib/libfpgacap.map.
out=$(abidiff --headers-dir2 "$here/include" --no-added-syms "$dump" "$lib" 2>&1)
rc=$?
added=$(abidiff --headers-dir2 "$here/include" "$dump" "$lib" 2>&1 |
	grep -E "^[0-9]+ Added function" || true)
if [ $rc = 0 ] && { [ -z "$added" ] || [[ $added == "0 Added"* ]]; }; then
	echo "ok 1 ABI matches $dump"
else
	echo "not ok 1 ABI matches $dump (abidiff rc $rc; run make abi-dump if intended)"
	printf '%s\n%s\n' "$out" "$added" | head -40 | sed 's/^/# /'
fi
# Everything exported is in the map, and everything in the map exported.
want=$(sed -n 's/^\t\t\(fpgacap_[a-z0-9_]*\);$/\1/p' "$here/lib/libfpgacap.map" | sort)
have=$(nm -D --defined-only "$lib" | awk '$2 == "T" { print $3 }' | sed 's/@.*//' | sort)
if [ "$want" = "$have" ]; then
	echo "ok 2 exported symbols are the version script's ($(echo "$have" | wc -l))"
else
	echo "not ok 2 exported symbols are the version script's"
	diff <(echo "$want") <(echo "$have") | sed 's/^/# /'
fi
# Every function the public header declares is in the map (a new one
# left out would be hidden in the shared library).
declared=$(grep -oE '^[a-z].*[ *](fpgacap_[a-z0-9_]+)\(' "$here/include/libfpgacap.h" |
	grep -oE 'fpgacap_[a-z0-9_]+\($' | tr -d '(' | sort)
if [ "$declared" = "$want" ]; then
	echo "ok 3 every function of libfpgacap.h is in the version script"
else
	echo "not ok 3 every function of libfpgacap.h is in the version script"
	diff <(echo "$declared") <(echo "$want") | sed 's/^/# /'
fi
