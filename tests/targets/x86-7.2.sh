# SPDX-License-Identifier: GPL-2.0-only
# The x86_64 guest on Debian's 7.2 image from sid (built with gcc 16). Not
# in the default matrix: x86-7.3 runs the newer kernel of the same line.
. "$FPGACAP_TOP/tests/targets/x86.sh"
desc="x86_64, Debian's 7.2 image (sid), e1000"
kernel_suite=${FPGACAP_X86_7_2_SUITE:-sid}
kernel_package=${FPGACAP_X86_7_2_KERNEL:-linux-image-7.2-amd64}
