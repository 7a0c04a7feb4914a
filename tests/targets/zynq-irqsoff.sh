# SPDX-License-Identifier: GPL-2.0-only
# The Zynq-7000 debug guest with the irqsoff tracer, to measure the longest
# section with interrupts off while every source streams (irqsoff_test;
# not in the default matrix).
. "$FPGACAP_TOP/tests/targets/zynq.sh"
desc="Zynq-7000 ZC702, PL330, GEM; linux-source-6.1, debug + irqsoff tracer"
kernel_config=(base zynq debug irqsoff)
