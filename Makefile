# SPDX-License-Identifier: GPL-2.0-only
# fpgacap: the module (through Kbuild), libfpgacap and the tools.
#
#   make                      module for the running kernel + userspace
#   make modules KDIR=<kernel build dir> [ARCH=arm CROSS_COMPILE=arm-linux-gnueabihf-]
#   make modules_install [KDIR=...] [INSTALL_MOD_PATH=<root>] [INSTALL_MOD_DIR=extra]
#   make userspace [CC=arm-linux-gnueabihf-gcc] [STATIC=1]   (see userspace/Makefile)
#   make install [DESTDIR=] [PREFIX=/usr/local] [LIBDIR=...]
#                             library, headers, tools, man pages, the udev
#                             rule, the fpgacap group (sysusers.d) and
#                             fpgacap-iiod's systemd unit, under PREFIX
#   make install-source [DESTDIR=]   the module's source for DKMS, in
#                             /usr/src/fpgacap-$(VERSION)
#   make uninstall / uninstall-source (the same variables)
#   make demo                 the main job on the emulated Zynq-7000 board
#   make check                every test: static checks, host and packaging
#                             tests, the guests of the default matrix
# The project's version (module, library, tools, man pages, packages): the
# VERSION file, and nowhere else.
VERSION := $(shell cat $(dir $(lastword $(MAKEFILE_LIST)))VERSION)
# KERNEL_SRC: what Yocto's module class passes.
KDIR ?= $(or $(KERNEL_SRC),/lib/modules/$(shell uname -r)/build)
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
# systemd reads these under /usr/local too (udev(7), sysusers.d(5),
# systemd.unit(5)); a distribution passes its own.
UDEVRULESDIR ?= $(PREFIX)/lib/udev/rules.d
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
SRCDIR ?= /usr/src
INSTALL ?= install
INSTALL_MOD_DIR ?= extra

DKMS_DIR := $(DESTDIR)$(SRCDIR)/fpgacap-$(VERSION)

all: modules userspace

modules:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

# Kbuild puts the module in $(INSTALL_MOD_PATH)/lib/modules/<release>/
# $(INSTALL_MOD_DIR) and runs depmod there.
modules_install:
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_PATH=$(INSTALL_MOD_PATH) \
		INSTALL_MOD_DIR=$(INSTALL_MOD_DIR) modules_install

userspace:
	$(MAKE) -C userspace

# Installed into the running system (no DESTDIR, as root), the group is
# created at once; packages leave that to systemd-sysusers or their own
# scripts (Buildroot, Yocto).
install:
	$(MAKE) -C userspace install PREFIX=$(PREFIX) BINDIR=$(BINDIR) \
		MANDIR=$(MANDIR)
	$(INSTALL) -d $(DESTDIR)$(UDEVRULESDIR) \
		$(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(SYSTEMDUNITDIR)
	$(INSTALL) -m 644 packaging/udev/60-fpgacap.rules $(DESTDIR)$(UDEVRULESDIR)/
	$(INSTALL) -m 644 packaging/sysusers.d/fpgacap.conf $(DESTDIR)$(SYSUSERSDIR)/
	sed 's|@BINDIR@|$(BINDIR)|g' packaging/systemd/fpgacap-iiod.service.in \
		>$(DESTDIR)$(SYSTEMDUNITDIR)/fpgacap-iiod.service
	chmod 644 $(DESTDIR)$(SYSTEMDUNITDIR)/fpgacap-iiod.service
ifeq ($(DESTDIR),)
	@if [ "$$(id -u)" = 0 ] && ! getent group fpgacap >/dev/null; then \
		if command -v systemd-sysusers >/dev/null; then \
			systemd-sysusers $(SYSUSERSDIR)/fpgacap.conf; \
		else groupadd --system fpgacap; fi; \
	fi
	@echo "fpgacap: devices are group fpgacap, mode 0660: usermod -aG fpgacap <user>"
endif

uninstall:
	$(MAKE) -C userspace uninstall PREFIX=$(PREFIX) BINDIR=$(BINDIR) \
		MANDIR=$(MANDIR)
	rm -f $(DESTDIR)$(UDEVRULESDIR)/60-fpgacap.rules \
		$(DESTDIR)$(SYSUSERSDIR)/fpgacap.conf \
		$(DESTDIR)$(SYSTEMDUNITDIR)/fpgacap-iiod.service

# What DKMS builds from: the Kbuild file and VERSION, the driver, the UAPI
# header, the license texts, and dkms.conf with this version.
install-source:
	$(INSTALL) -d $(DKMS_DIR)/driver $(DKMS_DIR)/uapi \
		$(DKMS_DIR)/LICENSES/preferred $(DKMS_DIR)/LICENSES/exceptions
	$(INSTALL) -m 644 Kbuild VERSION COPYING $(DKMS_DIR)/
	$(INSTALL) -m 644 LICENSES/preferred/* $(DKMS_DIR)/LICENSES/preferred/
	$(INSTALL) -m 644 LICENSES/exceptions/* $(DKMS_DIR)/LICENSES/exceptions/
	$(INSTALL) -m 644 driver/*.[ch] $(DKMS_DIR)/driver/
	$(INSTALL) -m 644 uapi/fpgacap.h $(DKMS_DIR)/uapi/
	sed 's/@VERSION@/$(VERSION)/g' packaging/dkms/dkms.conf.in \
		>$(DKMS_DIR)/dkms.conf
	chmod 644 $(DKMS_DIR)/dkms.conf

uninstall-source:
	rm -rf $(DKMS_DIR)

demo:
	tests/run-demo.sh

check:
	tests/run-tests.sh

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean 2>/dev/null || true
	$(MAKE) -C userspace clean

.PHONY: all modules modules_install userspace install uninstall \
	install-source uninstall-source demo check clean
