# SPDX-License-Identifier: MIT
SUMMARY = "libfpgacap and the fpgacap tools: zero-copy FPGA capture to sockets"
DESCRIPTION = "fpgacap-stream, fpgacap-sink, fpgacap-ctl, fpgacap-bench and \
the library they use, streaming fpgacap buffers with MSG_ZEROCOPY or \
io_uring SEND_ZC."
LICENSE = "MIT & GPL-2.0-only WITH Linux-syscall-note"
LIC_FILES_CHKSUM = "file://LICENSES/preferred/MIT;md5=e8f57dd048e186199433be2c41bd3d6d \
                    file://LICENSES/preferred/GPL-2.0;md5=e6a75371ba4d16749254a51215d13f97 \
                    file://LICENSES/exceptions/Linux-syscall-note;md5=6b0dff741019b948dfe290c05d6f361c"

# The source is this checkout (the layer lives in it); point EXTERNALSRC
# elsewhere, or replace this with a SRC_URI, to build another copy.
inherit externalsrc pkgconfig useradd
EXTERNALSRC ?= "${@os.path.abspath(os.path.join(d.getVar('FILE_DIRNAME'), '../../../../..'))}"

PACKAGECONFIG ??= "uring"
PACKAGECONFIG[uring] = "URING=1,URING=0,liburing"

EXTRA_OEMAKE = "-C ${S}/userspace O=${B}/userspace-build \
                PREFIX=${prefix} BINDIR=${bindir} LIBDIR=${libdir} \
                INCLUDEDIR=${includedir} MANDIR=${mandir} \
                ${PACKAGECONFIG_CONFARGS}"

do_compile() {
	oe_runmake all
}

do_install() {
	oe_runmake install DESTDIR=${D}
	install -D -m 0644 ${S}/packaging/udev/60-fpgacap.rules \
		${D}${nonarch_base_libdir}/udev/rules.d/60-fpgacap.rules
}

USERADD_PACKAGES = "${PN}"
GROUPADD_PARAM:${PN} = "--system fpgacap"

FILES:${PN} += "${nonarch_base_libdir}/udev/rules.d"
RRECOMMENDS:${PN} += "kernel-module-fpgacap"
