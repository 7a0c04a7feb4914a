#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The main job: install what is needed, build, boot the emulated Zynq-7000
# board (FPGACAP_DEMO_TARGET=x86: the x86_64 guest) and run the README's
# quick start there as written: its board commands in the guest, its PC
# commands (fpgacap-sink with the README's options) on this host, where
# QEMU hands each of the guest's connections to a sink started with
# --stdio. The README's placeholders get the emulated board's values:
# <pc-address> is 10.0.2.100, <label> the board's first DMA device (the
# PL330 memcpy source on the Zynq-7000). The guest's own lines end with its
# verdict; the last line says whether the kernel stayed clean too.
set -euo pipefail
cd "$(dirname "$0")/.."
. tests/lib/common.sh
. tests/lib/target.sh
. tests/lib/readme.sh
target=${FPGACAP_DEMO_TARGET:-zynq}
load_target "$target"

say "demo 1/3: the host's packages (tests/setup-host.sh)"
tests/setup-host.sh

say "demo 2/3: the README's commands"
# The board's DMA device: the first source of the target with a node of
# its own in the device tree (not the pattern, not the test engine).
label=
for s in $sources; do
	case $s in pattern | testdma) ;; *) label=$s; break ;; esac
done
demo=$FPGACAP_WORK/demo
mkdir -p "$demo"
board=$demo/readme-board.sh
readme_commands board |
	if [ -n "$label" ]; then sed "s/<label>/$label/g"; else grep -v '<label>'; fi |
	sed 's/<pc-address>/10.0.2.100/g' >"$board"
chmod +x "$board"
[ -s "$board" ] || die "README.md has no board commands (<!-- readme: board -->)"
grep -n '<[a-z -]*>' "$board" && die "README.md: a placeholder the demo cannot fill"
sinks=()
while IFS= read -r line; do
	[[ $line == *fpgacap-sink* ]] || continue
	args=${line#*fpgacap-sink}
	# The README's words as its shell would split them; QEMU gets them
	# without the quotes (it starts the sink without a shell).
	eval "set -- $args"
	for a in "$@"; do
		[[ $a != *[\ ,]* ]] || die "README.md: '$a': a sink argument with a space or comma"
	done
	sinks+=(--sink "$(readme_sink_port "$@"):$*")
	say "PC: fpgacap-sink$args"
done < <(readme_commands pc)
[ ${#sinks[@]} -gt 0 ] || die "README.md has no fpgacap-sink command (<!-- readme: pc -->)"
sed 's/^/[fpgacap] board: /' "$board" >&2
[ -n "$label" ] || say "no DMA device on the $target guest: the commands for <label> are left out"

say "demo 3/3: build the $target guest (its kernel once, on a fresh machine: 10 to 25 minutes), the module and the tools, then boot it"
# One stream of lines, in order; the harness's test tally means nothing
# for the demo: leave it out.
set +e
FPGACAP_EXTRA_BIN=$board tests/run-guest.sh "$target" demo "${sinks[@]}" 2>&1 |
	grep --line-buffered -Ev ': [0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$'
rc=${PIPESTATUS[0]}
set -e
if [ "$rc" = 0 ]; then
	echo "demo: PASS (the README's commands ran as written and the streams arrived as sent; no kernel warning in the guest log)"
else
	echo "demo: FAIL (see the lines above; the guest log is in $FPGACAP_WORK/logs/$target-demo.log)"
fi
exit "$rc"
