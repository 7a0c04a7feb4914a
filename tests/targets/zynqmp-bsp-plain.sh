# SPDX-License-Identifier: GPL-2.0-only
# The ZynqMP bench guest on a kernel built like a board's BSP builds it
# (arm64's defconfig: -O2, no debug options) from Debian's
# linux-source-6.1, for the modelled-cycle figures of tests/run-bench.sh;
# a benchmark-only target (run-tests.sh --all leaves out every *-plain
# target). One A53: the cost model has one set of level 1 caches.
. "$FPGACAP_TOP/tests/targets/zynqmp-debug.sh"
desc="ZynqMP ZCU102 (arm64), ZDMA, GEM; linux-source-6.1, arm64 defconfig (BSP-like)"
kernel_defconfig=defconfig
kernel_config=(bsp-arm64 zynqmp)
qemu_cpus_icount=(-smp 1)
# GEM1 as well: the datagram NIC of the UDP modes.
dts=fpgacap-zcu102-emu-udp.dts
udp_nic=cadence_gem
