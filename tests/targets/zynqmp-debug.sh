# SPDX-License-Identifier: GPL-2.0-only
# Zynq UltraScale+ MPSoC (ZCU102): Cortex-A53s, ZDMA (memcpy source), GEM,
# on an arm64 debug kernel built from Debian's linux-source-6.1 (DMA-API
# debug, lockdep, kmemleak, fault injection). Not in the default matrix
# (a kernel built from source): zynqmp runs Debian's arm64 image, and the
# debug options run on zynq and x86-debug.
desc="ZynqMP ZCU102 (arm64), ZDMA, GEM; linux-source-6.1, debug"
arch=arm64
kernel_source=${FPGACAP_ZYNQMP_DEBUG_SOURCE:-linux-source-6.1}
kernel_config=(base zynqmp debug)
kernel_targets=(Image)
kernel_image=arch/arm64/boot/Image
dts=fpgacap-zcu102-emu.dts
qemu=(qemu-system-aarch64 -M xlnx-zcu102 -m 2G -serial mon:stdio)
console=ttyPS0,115200
nic=cadence_gem
sources="pattern memcpy testdma"
# Test-only modules: the dmaengine provider for the tests, the classic
# coherent driver and the dma-buf importer. The provider's long tests run a tenth of their buffers.
test_kmods=(kmod classic importer)
append="FPGACAP_TESTDMA_SCALE=10"
# SD cards for record_test, as on the Zynq-7000 (tests/targets/zynq.sh).
disk_if=sd
disks=(rec:64M slow:32M:wbps=1M)
# Its device tree enables one GEM only: no datagram NIC.
udp_nic=
