# SPDX-License-Identifier: GPL-2.0-only
# The Zynq-7000 guest on linux-source-6.12 without the debug options, for
# benchmark figures: Linux 6.12 registers the writable pool as io_uring
# fixed buffers, which 6.1 refuses.
. "$FPGACAP_TOP/tests/targets/zynq-plain.sh"
desc="Zynq-7000 ZC702, PL330, GEM; linux-source-6.12, no debug options"
kernel_source=${FPGACAP_ZYNQ_6_12_SOURCE:-linux-source-6.12}
dts=fpgacap-zc702-emu.dts
