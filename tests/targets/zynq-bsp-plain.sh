# SPDX-License-Identifier: GPL-2.0-only
# The Zynq-7000 bench guest on a kernel built like a board's BSP builds it
# (multi_v7_defconfig: -O2, ARM instruction set, no debug options) from
# Debian's linux-source-6.1, for the modelled-cycle figures of
# tests/run-bench.sh; a benchmark-only target (run-tests.sh --all leaves
# out every *-plain target).
. "$FPGACAP_TOP/tests/targets/zynq.sh"
desc="Zynq-7000 ZC702, PL330, GEM; linux-source-6.1, multi_v7_defconfig (BSP-like)"
kernel_defconfig=multi_v7_defconfig
kernel_config=(bsp-armv7 zynq)
# The triple timer counters' QEMU model can stop an -icount run for good
# (dts/fpgacap-zc702-emu-no-ttc.dts).
dts=fpgacap-zc702-emu-no-ttc.dts
