# SPDX-License-Identifier: MIT
SUMMARY = "fpgacap kernel module: FPGA capture into page-backed DMA buffers"
LICENSE = "GPL-2.0-only"
LIC_FILES_CHKSUM = "file://LICENSES/preferred/GPL-2.0;md5=e6a75371ba4d16749254a51215d13f97"

require inc/fpgacap-source.inc
inherit module

# The top-level Makefile takes KERNEL_SRC (set by the module class) as its
# KDIR; its modules_install honours the MODLIB the class passes. Kbuild
# reads VERSION for MODULE_VERSION.
MAKE_TARGETS = "modules"
MODULES_INSTALL_TARGET = "modules_install"

RPROVIDES:${PN} += "kernel-module-fpgacap"
