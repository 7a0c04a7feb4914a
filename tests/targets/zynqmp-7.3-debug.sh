# SPDX-License-Identifier: GPL-2.0-only
# The ZynqMP guest on an arm64 debug kernel built from linux-source-7.3
# (trixie-backports): the debug options on arm64's newest line. Not in the
# default matrix (a kernel built from source).
. "$FPGACAP_TOP/tests/targets/zynqmp-debug.sh"
desc="ZynqMP ZCU102 (arm64), ZDMA, GEM; linux-source-7.3, debug"
kernel_suite=${FPGACAP_ZYNQMP_7_3_DEBUG_SUITE:-trixie-backports}
kernel_source=${FPGACAP_ZYNQMP_7_3_DEBUG_SOURCE:-linux-source-7.3}
# tinyconfig picks SLUB_TINY from 6.2 on, which leaves out SLUB_DEBUG.
kernel_config=(base zynqmp debug slub-full)
