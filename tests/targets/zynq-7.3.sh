# SPDX-License-Identifier: GPL-2.0-only
# The Zynq-7000 guest on a debug kernel built from linux-source-7.3
# (trixie-backports).
. "$FPGACAP_TOP/tests/targets/zynq.sh"
desc="Zynq-7000 ZC702, PL330, GEM; linux-source-7.3, debug"
kernel_suite=${FPGACAP_ZYNQ_7_3_SUITE:-trixie-backports}
kernel_source=${FPGACAP_ZYNQ_7_3_SOURCE:-linux-source-7.3}
# tinyconfig picks SLUB_TINY from 6.2 on, which leaves out SLUB_DEBUG.
kernel_config=(base zynq debug slub-full)
