# SPDX-License-Identifier: GPL-2.0-only
# The ZynqMP guest on an arm64 debug kernel built from linux-source-7.3
# (trixie-backports). Debian's arm64 image cannot stand in for it: it has
# no ZDMA driver (XILINX_ZYNQMP_DMA).
. "$FPGACAP_TOP/tests/targets/zynqmp.sh"
desc="ZynqMP ZCU102 (arm64), ZDMA, GEM; linux-source-7.3, debug"
kernel_suite=${FPGACAP_ZYNQMP_7_3_SUITE:-trixie-backports}
kernel_source=${FPGACAP_ZYNQMP_7_3_SOURCE:-linux-source-7.3}
# tinyconfig picks SLUB_TINY from 6.2 on, which leaves out SLUB_DEBUG.
kernel_config=(base zynqmp debug slub-full)
