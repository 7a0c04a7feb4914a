#!/usr/bin/env bash
# Every test: static checks (W=1 both architectures, sparse, checkpatch,
# UAPI, device trees), host unit tests, then the selftests in the x86_64
# guest and in the Zynq-7000 guest (PL330, debug kernel). Prints
# "N passed, N failed" last; exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
. tests/lib/common.sh

start=$(date +%s)
passed=0 failed=0 skipped=0
tally_tap() {	# count TAP lines of a file
	local p f s
	p=$(grep -Ec '^ok [0-9]+ [^#]*$' "$1" || true)
	s=$(grep -Ec '^ok [0-9]+ .*# SKIP' "$1" || true)
	f=$(grep -Ec '^not ok [0-9]+' "$1" || true)
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
}

tests/setup-host.sh || { echo "0 passed, 1 failed"; exit 1; }
log=$FPGACAP_WORK/logs
mkdir -p "$log"

say "static checks"
tests/check-static.sh | tee "$log/static.tap"
tally_tap "$log/static.tap"

say "host unit tests"
if make -s -C userspace O="$FPGACAP_WORK/build/host" \
	KSFT_DIR="$(kernel_source_dir)/tools/testing/selftests" check \
	>"$log/host.tap" 2>&1; then :; fi
grep -E '^(ok|not ok) ' "$log/host.tap"
# What a failing test said, from its RUN line on.
awk '/^#  RUN / { n = 0 } /^#/ { if (n < 40) d[n++] = $0 }
	/^not ok / { for (i = 0; i < n; i++) print "  " d[i] } /^(not )?ok / { n = 0 }' \
	"$log/host.tap" >&2
tally_tap "$log/host.tap"
grep -q '^# Totals' "$log/host.tap" || { say "host tests did not run"; failed=$((failed + 1)); }

for target in x86 zynq; do
	say "$target guest"
	tests/run-guest.sh "$target" tests >&2
	result=$FPGACAP_WORK/logs/$target-tests.result
	if [ -s "$result" ]; then
		read -r p f s <"$result"
		passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
	else
		say "$target guest: no result (build or boot failed)"
		failed=$((failed + 1))
	fi
done

say "done in $(( $(date +%s) - start )) s ($skipped skipped)"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
