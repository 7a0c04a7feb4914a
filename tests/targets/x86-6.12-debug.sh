# SPDX-License-Identifier: GPL-2.0-only
# The x86_64 debug guest (KASAN, UBSAN, lockdep, kmemleak, fault injection)
# on a kernel built from Debian's linux-source-6.12: the sanitizers on the
# newest kernel the project supports. Not in the default matrix (one more
# kernel build and the slowest guest); run it with
# `tests/run-tests.sh --targets x86-6.12-debug` or `--all`. Coverage comes
# from x86-debug alone.
. "$FPGACAP_TOP/tests/targets/x86-debug.sh"
desc="x86_64, linux-source-6.12 with KASAN, UBSAN, lockdep, kmemleak; e1000"
kernel_source=${FPGACAP_X86_6_12_DEBUG_SOURCE:-linux-source-6.12}
kernel_config=(base x86 debug x86-sanitizers slub-full)
kbuild_args=()
gcov=0
