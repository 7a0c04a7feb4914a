# SPDX-License-Identifier: GPL-2.0-only
# The x86_64 guest on Debian's 7.3 image from trixie-backports (the newest
# kernel the archive builds for Debian's stable release). Debian built it
# with gcc 14: the module builds against Debian's configuration prepared
# with this host's compiler (tests/lib/debian-kernel.sh, debian_prepared).
. "$FPGACAP_TOP/tests/targets/x86.sh"
desc="x86_64, Debian's 7.3 image (trixie-backports), e1000"
kernel_suite=${FPGACAP_X86_7_3_SUITE:-trixie-backports}
kernel_package=${FPGACAP_X86_7_3_KERNEL:-linux-image-7.3-amd64}
# One TCG thread: under multi-threaded TCG the 7.3 image once took an
# "Oops: int3" in kmem_cache_free during a cgroup mkdir (access_test's
# memcg test), the breakpoint of a text_poke_bp() that had already
# finished still executed on the other vCPU; the 6.1 and 6.12 images run
# the same test on two threads.
qemu_cpus=(-accel tcg,thread=single -smp 2)
# The fuzzer's full minute runs where sanitizers watch it (x86-debug, zynq);
# on Debian's images a third of it still drives every ioctl on this kernel.
append="${append:+$append }FPGACAP_FUZZ_SECONDS=20"
