# SPDX-License-Identifier: GPL-2.0-only
# Zynq-7000 (ZC702) with its PS PL330 and GEM, on a debug kernel built from
# Debian's linux-source-6.1 (DMA-API debug, lockdep, kmemleak, fault injection).
desc="Zynq-7000 ZC702, PL330, GEM; linux-source-6.1, debug"
arch=armhf
kernel_source=${FPGACAP_ZYNQ_SOURCE:-linux-source-6.1}
kernel_config=(base zynq debug)
kernel_targets=(zImage)
kernel_image=arch/arm/boot/zImage
dts=fpgacap-zc702-emu.dts
# The console is the second UART. One TCG thread: with multi-threaded TCG
# the PL330 model (run from QEMU's main loop) raises its interrupt while
# guest code runs on, so a completion can be seen before every beat landed.
qemu=(qemu-system-arm -M xilinx-zynq-a9 -m 1G -serial null -serial mon:stdio)
qemu_cpus=(-accel tcg,thread=single)
console=ttyPS0,115200
nic=cadence_gem
sources="pattern memcpy slave testdma"
# Test-only modules: the dmaengine provider for the tests (its checking DMA
# operations stand in for the caches QEMU does not model), the classic
# coherent driver and the dma-buf importer. The provider's long tests run
# a tenth of their buffers.
test_kmods=(kmod classic importer)
append="FPGACAP_TESTDMA_SCALE=10"
# SD cards for record_test (tests/lib/disks.sh), in the board's two
# slots: one to record onto (its failing writes come from the kernel's
# fail_make_request: QEMU's card drops write errors), one slower than the
# source.
disk_if=sd
disks=(rec:64M slow:32M:wbps=1M)
