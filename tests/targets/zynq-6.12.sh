# SPDX-License-Identifier: GPL-2.0-only
# The Zynq-7000 guest on a debug kernel built from Debian's linux-source-6.12.
. "$FPGACAP_TOP/tests/targets/zynq.sh"
desc="Zynq-7000 ZC702, PL330, GEM; linux-source-6.12, debug"
kernel_source=${FPGACAP_ZYNQ_6_12_SOURCE:-linux-source-6.12}
