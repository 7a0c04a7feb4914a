#!/usr/bin/env bash
# The main job: install what is needed, build, boot the emulated Zynq-7000
# board, capture from the pattern source and the PL330, stream to a sink on
# this host and show what arrived and how fast.
set -euo pipefail
cd "$(dirname "$0")/.."
tests/setup-host.sh
exec tests/run-guest.sh "${FPGACAP_DEMO_TARGET:-zynq}" demo
