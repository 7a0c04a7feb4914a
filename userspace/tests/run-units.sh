#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Run the host unit tests, printing each one's TAP whole and in the order
# given. iiod_test spends most of its 45 s waiting for the server's own
# timers (keepalive, command deadlines, stalled readers) and uses little
# CPU, so it runs beside the others rather than after them; the rest run
# one at a time, as some time their own signals and deadlines. A test
# that fails without saying which of its cases failed (it crashed, or
# could not start) gets a "not ok" line of its own.
# Usage: run-units.sh TEST... (the environment as unit-check sets it)
set -u
out=$(mktemp -d) || exit 1
beside=
# A background job ignores ^C: end it, in its own process group, with
# the run.
cleanup() {
	local b
	for b in $beside; do
		kill -TERM -- "-$b" 2>/dev/null
	done
	rm -rf "$out"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# run NAME: its TAP to $out/NAME.tap, its exit status to $out/NAME.rc.
run() {
	"$1" >"$out/${1##*/}.tap" 2>&1
	echo $? >"$out/${1##*/}.rc"
}

for t in "$@"; do
	case ${t##*/} in
	iiod_test)
		set -m
		run "$t" &
		beside="$beside $!"
		set +m ;;
	esac
done
for t in "$@"; do
	case ${t##*/} in
	iiod_test) ;;
	*) run "$t" ;;
	esac
done
for b in $beside; do
	wait "$b"
done
beside=
fail=0
for t in "$@"; do
	n=${t##*/}
	cat "$out/$n.tap"
	rc=$(cat "$out/$n.rc" 2>/dev/null || echo 255)
	[ "$rc" = 0 ] && continue
	fail=1
	grep -q '^not ok ' "$out/$n.tap" ||
		echo "not ok 1 $n exited with status $rc without a failing case"
done
exit $fail
