# SPDX-License-Identifier: GPL-2.0-only
# zynq-6.12-bsp-plain with the capture engine coherent, as a fabric engine
# on the Accelerator Coherency Port is (dts/fpgacap-zc702-emu-acp.dts):
# the modelled cost of the capture path without cache maintenance.
. "$FPGACAP_TOP/tests/targets/zynq-6.12-bsp-plain.sh"
desc="Zynq-7000 ZC702, PL330 marked coherent (an ACP engine's stand-in), GEM; linux-source-6.12, multi_v7_defconfig (BSP-like)"
dts=fpgacap-zc702-emu-acp.dts
