# SPDX-License-Identifier: GPL-2.0-only
# Judge a guest's serial log (sourced). judge_log LOG NAME prints a verdict
# and sets JUDGE_PASSED, JUDGE_FAILED, JUDGE_SKIPPED. A failure is a TAP
# "not ok", a test program that died, a guest that never finished, or any
# kernel report in the guest's log, whatever the tests said.

# What a healthy kernel never prints.
KERNEL_BAD='WARNING:|BUG:|Oops|Kernel panic|Unable to handle kernel|general protection fault|'\
'possible recursive locking|possible circular locking|inconsistent lock state|'\
'DEBUG_LOCKS_WARN_ON|lockdep is turned off|bad unlock balance|held lock freed|'\
'lock inversion|lock held when returning|suspicious RCU usage|'\
'DMA-API: [^ ]+ [^ ]+: |'\
'sleeping function called from invalid context|list_add corruption|'\
'list_del corruption|refcount_t:|hung_task|blocked for more than|'\
'self-detected stall|KASAN|UBSAN|kernel BUG|Bad page|page dumped because|'\
'leaked'

judge_log() {
	local log=$1 name=$2 clean
	clean=$(mktemp)
	tr -d '\r' <"$log" | sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g' >"$clean"

	JUDGE_PASSED=0 JUDGE_FAILED=0 JUDGE_SKIPPED=0
	eval "$(awk '
		/^FPGACAP-TEST-BEGIN / { intest = 1; notok = 0; nd = 0; next }
		/^FPGACAP-TEST-END / {
			rc = $NF; sub("rc=", "", rc)
			if (rc != 0 && notok == 0) {
				died++; say_diag(); print "died: " $2 > "/dev/stderr"
			}
			intest = 0; next
		}
		# The diagnostics of a test (from its RUN line) explain a failure.
		intest && /^#  RUN / { nd = 0 }
		# So do the kernel messages printed while it ran (loglevel=4:
		# errors, a hung task, a driver giving up). The last 40 lines
		# are kept: a failure is at the end.
		intest && (/^#/ || /^\[ *[0-9]+\.[0-9]+\] /) { diag[nd % 40] = $0; nd++ }
		intest && /^ok [0-9]+ / { if ($0 ~ /# SKIP/) s++; else p++; nd = 0 }
		intest && /^not ok [0-9]+ / {
			f++; notok++; say_diag()
			print "failed: " $0 > "/dev/stderr"
		}
		function say_diag(i) {
			for (i = nd > 40 ? nd - 40 : 0; i < nd; i++)
				print "  " diag[i % 40] > "/dev/stderr"
			nd = 0
		}
		END { printf "JUDGE_PASSED=%d JUDGE_FAILED=%d JUDGE_SKIPPED=%d\n", p, f + died, s }
	' "$clean")"

	local end
	end=$(grep -a '^FPGACAP-GUEST-END' "$clean" || true)
	if [ -z "$end" ]; then
		say "$name: the guest did not finish (crash or timeout); see $log"
		# CI shows only what the run prints: where its tasks waited,
		# and the log's end.
		if grep -q '^FPGACAP-STUCK-BEGIN' "$clean"; then
			say "$name: where its tasks waited before the end:"
			sed -n '/^FPGACAP-STUCK-BEGIN/,/^FPGACAP-STUCK-END/p' "$clean" |
				head -n 250 | sed 's/^/  | /' >&2
		fi
		say "$name: the last 40 lines of its log:"
		tail -n 40 "$clean" | sed 's/^/  | /' >&2
		JUDGE_FAILED=$((JUDGE_FAILED + 1))
	elif grep -q '^FPGACAP-STUCK-BEGIN' "$clean"; then
		say "$name: it finished within two minutes of its time limit (its last words are in $log)"
	fi
	if [ -n "$end" ] && [ "${end##*rc=}" != 0 ]; then
		say "$name: the guest's job failed ($end)"
		JUDGE_FAILED=$((JUDGE_FAILED + 1))
	fi
	local bad
	bad=$(sed -n '/^FPGACAP-DMESG-BEGIN/,/^FPGACAP-DMESG-END/p' "$clean" |
		grep -E "$KERNEL_BAD" || true)
	if [ -n "$bad" ]; then
		say "$name: kernel reports in the guest log:"
		printf '%s\n' "$bad" | head -20 >&2
		JUDGE_FAILED=$((JUDGE_FAILED + 1))
	fi
	local leaks
	leaks=$(sed -n '/^FPGACAP-KMEMLEAK-BEGIN/,/^FPGACAP-KMEMLEAK-END/p' "$clean" |
		grep -c 'unreferenced object' || true)
	if [ "$leaks" != 0 ]; then
		say "$name: kmemleak found $leaks unreferenced objects"
		sed -n '/^FPGACAP-KMEMLEAK-BEGIN/,/^FPGACAP-KMEMLEAK-END/p' "$clean" |
			head -40 >&2
		JUDGE_FAILED=$((JUDGE_FAILED + 1))
	fi
	rm -f "$clean"
	say "$name: $JUDGE_PASSED passed, $JUDGE_FAILED failed, $JUDGE_SKIPPED skipped"
}
