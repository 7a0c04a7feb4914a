# SPDX-License-Identifier: GPL-2.0-only
# The x86_64 debug guest (KASAN, UBSAN, lockdep, DMA-API debug, kmemleak,
# fault injection, gcov) on a kernel built from linux-source-7.3
# (trixie-backports): the sanitizers and the coverage on the newest kernel.
. "$FPGACAP_TOP/tests/targets/x86-debug.sh"
desc="x86_64, linux-source-7.3 with KASAN, UBSAN, lockdep, kmemleak, gcov; e1000"
kernel_suite=${FPGACAP_X86_7_3_DEBUG_SUITE:-trixie-backports}
kernel_source=${FPGACAP_X86_7_3_DEBUG_SOURCE:-linux-source-7.3}
kernel_config=(base x86 debug x86-sanitizers slub-full)
