# SPDX-License-Identifier: MIT
SUMMARY = "libfpgacap and the fpgacap tools: zero-copy FPGA capture to sockets"
DESCRIPTION = "fpgacap-stream, fpgacap-sink, fpgacap-ctl, fpgacap-bench, \
fpgacap-iiod and the library they use, streaming fpgacap buffers with \
MSG_ZEROCOPY or io_uring SEND_ZC."
LICENSE = "MIT & GPL-2.0-only WITH Linux-syscall-note"
LIC_FILES_CHKSUM = "file://LICENSES/preferred/MIT;md5=e8f57dd048e186199433be2c41bd3d6d \
                    file://LICENSES/preferred/GPL-2.0;md5=e6a75371ba4d16749254a51215d13f97 \
                    file://LICENSES/exceptions/Linux-syscall-note;md5=6b0dff741019b948dfe290c05d6f361c"

require inc/fpgacap-source.inc
inherit pkgconfig useradd systemd

PACKAGECONFIG ??= "uring"
PACKAGECONFIG[uring] = "URING=1,URING=0,liburing"

EXTRA_OEMAKE = "-C ${S}/userspace O=${B}/userspace-build \
                PREFIX=${prefix} BINDIR=${bindir} LIBDIR=${libdir} \
                INCLUDEDIR=${includedir} MANDIR=${mandir} \
                ${PACKAGECONFIG_CONFARGS}"

do_compile() {
	oe_runmake lib programs man
}

do_install() {
	oe_runmake install DESTDIR=${D}
	install -D -m 0644 ${S}/packaging/udev/60-fpgacap.rules \
		${D}${nonarch_base_libdir}/udev/rules.d/60-fpgacap.rules
	install -D -m 0644 ${S}/packaging/sysusers.d/fpgacap.conf \
		${D}${nonarch_libdir}/sysusers.d/fpgacap.conf
	install -d ${D}${systemd_system_unitdir}
	sed 's|@BINDIR@|${bindir}|g' \
		${S}/packaging/systemd/fpgacap-iiod.service.in \
		>${D}${systemd_system_unitdir}/fpgacap-iiod.service
	chmod 0644 ${D}${systemd_system_unitdir}/fpgacap-iiod.service
}

USERADD_PACKAGES = "${PN}"
GROUPADD_PARAM:${PN} = "--system fpgacap"

# fpgacap-iiod serves the network: installed, not started.
SYSTEMD_SERVICE:${PN} = "fpgacap-iiod.service"
SYSTEMD_AUTO_ENABLE:${PN} = "disable"

FILES:${PN} += "${nonarch_base_libdir}/udev/rules.d ${nonarch_libdir}/sysusers.d"
RRECOMMENDS:${PN} += "kernel-module-fpgacap"
