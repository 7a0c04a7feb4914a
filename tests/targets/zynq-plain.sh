# SPDX-License-Identifier: GPL-2.0-only
# The Zynq-7000 guest without the debug options, for benchmark figures.
. "$FPGACAP_TOP/tests/targets/zynq.sh"
desc="Zynq-7000 ZC702, PL330, GEM; linux-source-6.1, no debug options"
kernel_config=(base zynq)
dts=fpgacap-zc702-emu-no-ttc.dts
