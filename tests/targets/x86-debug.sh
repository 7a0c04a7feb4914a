# SPDX-License-Identifier: GPL-2.0-only
# x86_64 on a debug kernel built from Debian's linux-source-6.1: KASAN
# (generic, inline), UBSAN, lockdep, DMA-API debug, kmemleak, page
# poisoning, fault injection, and gcov: the module is built with
# GCOV_PROFILE=y and its .gcda files are collected after the job.
desc="x86_64, linux-source-6.1 with KASAN, UBSAN, lockdep, kmemleak, gcov; e1000"
arch=amd64
kernel_source=${FPGACAP_X86_DEBUG_SOURCE:-linux-source-6.1}
kernel_config=(base x86 debug x86-sanitizers)
kernel_targets=(bzImage)
kernel_image=arch/x86/boot/bzImage
kbuild_args=(GCOV_PROFILE=y)
qemu=(qemu-system-x86_64 -m 2G)
qemu_cpus=(-smp 2)
qemu_cpus_icount=(-smp 1)
console=ttyS0
append="page_poison=1"
nic=e1000
sources="pattern testdma"
gcov=1
# KASAN and lockdep slow every allocation and lock.
timeout=2700
# Test-only modules: the fake dmaengine provider (x86 only: it writes
# through the direct map), the classic coherent driver and the dma-buf
# importer.
test_kmods=(kmod classic importer)
# Disks for record_test, as on the x86 guest (tests/targets/x86.sh).
disk_if=virtio
disks=(rec:64M bad:32M:eio=4M slow:32M:wbps=1M)
