# SPDX-License-Identifier: GPL-2.0-only
# Zynq UltraScale+ MPSoC (ZCU102): Cortex-A53s, ZDMA (memcpy source), GEM,
# on Debian's own arm64 6.1 image: no kernel to build. The image boots the
# emulated board (ARCH_ZYNQMP and the PS UART's console are built in; the
# GEM and the SD host are modules, loaded with their dependencies) but
# leaves the ZDMA driver out (# CONFIG_XILINX_ZYNQMP_DMA is not set): it is
# built from linux-source-6.1 of the image's own version against the
# image's headers (kernel_source_modules). No debug options: they run on
# the debug targets (zynqmp-debug has them on arm64).
. "$FPGACAP_TOP/tests/targets/zynqmp-debug.sh"
desc="ZynqMP ZCU102 (arm64), ZDMA, GEM; Debian's 6.1 image"
kernel_source= kernel_config=() kernel_targets=() kernel_image=
kernel_package=${FPGACAP_ZYNQMP_KERNEL:-linux-image-arm64}
guest_modules=(macb sdhci_of_arasan)
kernel_source_modules=(drivers/dma/xilinx/zynqmp_dma)
# The fuzzer's full minute runs where sanitizers watch it (x86-debug, zynq);
# on Debian's images a third of it still drives every ioctl on this kernel.
append="${append:+$append }FPGACAP_FUZZ_SECONDS=20"
