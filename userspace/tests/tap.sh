# SPDX-License-Identifier: GPL-2.0-only
# TAP lines for the shell tests (sourced): check NAME CMD... runs CMD and
# prints "ok N NAME", or "not ok N NAME" with the end of its output; skip
# NAME WHY; tap_end prints the plan and returns non-zero on a failure.
tap_n=0 tap_failed=0
check() {
	local name=$1 out
	shift
	tap_n=$((tap_n + 1))
	if out=$("$@" 2>&1); then
		echo "ok $tap_n $name"
	else
		echo "not ok $tap_n $name"
		printf '%s\n' "$out" | tail -25 | sed 's/^/# /'
		tap_failed=$((tap_failed + 1))
	fi
}
skip() {
	tap_n=$((tap_n + 1))
	echo "ok $tap_n $1 # SKIP $2"
}
tap_end() {
	echo "1..$tap_n"
	[ "$tap_failed" = 0 ]
}
