# SPDX-License-Identifier: GPL-2.0-only
# The README's commands, for the tests that run them as written (sourced).
# A block is the indented code after an HTML comment "<!-- readme: KIND -->"
# (KIND: pc-build, board-build, pc, board); readme_commands KIND prints its
# lines, every block of that kind in order, without the indentation.
readme_commands() {
	awk -v kind="$1" '
		$0 == "<!-- readme: " kind " -->" { take = 1; started = 0; next }
		take && /^    / { sub(/^    /, ""); print; started = 1; next }
		take && /^$/ && !started { next }
		{ take = 0 }
	' "$FPGACAP_TOP/README.md"
}

# The port a sink's arguments listen on (--listen HOST:PORT, -l, or the
# default 5555): readme_sink_port ARGS...
readme_sink_port() {
	local port=5555
	while [ $# -gt 0 ]; do
		case $1 in
		--listen|-l) port=${2##*:}; shift ;;
		--listen=*) port=${1##*:} ;;
		esac
		shift
	done
	echo "$port"
}
