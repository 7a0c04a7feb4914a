#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Run the host unit tests, printing each one's TAP whole and in the order
# given. iiod_test spends most of its 45 s waiting for the server's own
# timers (keepalive, command deadlines, stalled readers) and uses little
# CPU, so it runs beside the others rather than after them; the rest run
# one at a time, as some time their own signals and deadlines.
# Usage: run-units.sh TEST... (the environment as unit-check sets it)
set -u
out=$(mktemp -d) || exit 1
trap 'rm -rf "$out"' EXIT
beside=
for t in "$@"; do
	case ${t##*/} in
	iiod_test)
		"$t" >"$out/${t##*/}.tap" 2>&1 &
		beside="$beside $!:${t##*/}" ;;
	esac
done
fail=0
for t in "$@"; do
	case ${t##*/} in
	iiod_test) ;;
	*) "$t" >"$out/${t##*/}.tap" 2>&1 || fail=1 ;;
	esac
done
for b in $beside; do
	wait "${b%%:*}" || fail=1
done
for t in "$@"; do
	cat "$out/${t##*/}.tap"
done
exit $fail
