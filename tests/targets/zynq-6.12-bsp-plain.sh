# SPDX-License-Identifier: GPL-2.0-only
# The Zynq-7000 bench guest of zynq-bsp-plain (multi_v7_defconfig, no debug
# options) on Debian's linux-source-6.12: from 6.12 io_uring registers the
# writable pool as fixed buffers, so the registered-buffer modes
# (uring-fixed, the slotted datagram modes' SEND_ZC) send with nothing
# pinned.
. "$FPGACAP_TOP/tests/targets/zynq-bsp-plain.sh"
desc="Zynq-7000 ZC702, PL330, GEM; linux-source-6.12, multi_v7_defconfig (BSP-like)"
kernel_source=${FPGACAP_ZYNQ_6_12_SOURCE:-linux-source-6.12}
# Without the triple timer counters, as zynq-bsp-plain: with them this
# guest stopped for good under -icount (dts/fpgacap-zc702-emu-no-ttc.dts).
