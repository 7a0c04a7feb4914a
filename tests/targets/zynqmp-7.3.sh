# SPDX-License-Identifier: GPL-2.0-only
# The ZynqMP guest on Debian's 7.3 arm64 image (trixie-backports), with the
# ZDMA driver built from linux-source-7.3 of the same version, as on
# zynqmp (Debian's 6.1 image).
. "$FPGACAP_TOP/tests/targets/zynqmp.sh"
desc="ZynqMP ZCU102 (arm64), ZDMA, GEM; Debian's 7.3 image (trixie-backports)"
kernel_suite=${FPGACAP_ZYNQMP_7_3_SUITE:-trixie-backports}
kernel_package=${FPGACAP_ZYNQMP_7_3_KERNEL:-linux-image-7.3-arm64}
