# SPDX-License-Identifier: GPL-2.0-only
# Pauses of this whole machine (sourced). watch_pauses prints a line for
# each time the wall clock moved 30 s or more beyond a 5 s sleep: a CI VM
# its host stopped, whose guest then sees every timer expire at once.
# FPGACAP_PAUSE_TICK and FPGACAP_PAUSE_MIN (seconds) are for its test.

watch_pauses() {
	local tick=${FPGACAP_PAUSE_TICK:-5} min=${FPGACAP_PAUSE_MIN:-30} last now
	last=$(date +%s)
	# Ends with the script that started it ($$ in a subshell is that
	# script), whatever way the script ended.
	while sleep "$tick" && kill -0 $$ 2>/dev/null; do
		now=$(date +%s)
		[ $((now - last - tick)) -lt "$min" ] ||
			echo "$((now - last - tick)) s from $(date -u -d "@$last" +%H:%M:%S)"
		last=$now
	done
}
