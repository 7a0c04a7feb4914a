# SPDX-License-Identifier: GPL-2.0-only
# fpgacap: the module (through Kbuild), libfpgacap and the tools.
#
#   make                      module for the running kernel + userspace
#   make modules KDIR=<kernel build dir> [ARCH=arm CROSS_COMPILE=arm-linux-gnueabihf-]
#   make modules_install [KDIR=...] [INSTALL_MOD_PATH=<root>] [INSTALL_MOD_DIR=extra]
#   make userspace [CC=arm-linux-gnueabihf-gcc] [STATIC=1]   (see userspace/Makefile)
#   make install [DESTDIR=] [PREFIX=/usr/local] [LIBDIR=...]
#                             library, headers, tools, man pages, udev rule
#   make install-source [DESTDIR=]   the module's source for DKMS, in
#                             /usr/src/fpgacap-$(VERSION)
#   make uninstall / uninstall-source (the same variables)
#   make demo                 the main job on the emulated Zynq-7000 board
#   make check                every test: static checks, host tests, both guests
VERSION := 1.0.0
# KERNEL_SRC: what Yocto's module class passes.
KDIR ?= $(or $(KERNEL_SRC),/lib/modules/$(shell uname -r)/build)
PREFIX ?= /usr/local
MANDIR ?= $(PREFIX)/share/man
UDEVRULESDIR ?= /lib/udev/rules.d
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

install:
	$(MAKE) -C userspace install PREFIX=$(PREFIX) MANDIR=$(MANDIR)
	$(INSTALL) -d $(DESTDIR)$(MANDIR)/man4 $(DESTDIR)$(UDEVRULESDIR)
	$(INSTALL) -m 644 man/fpgacap.4 $(DESTDIR)$(MANDIR)/man4/
	$(INSTALL) -m 644 packaging/udev/60-fpgacap.rules $(DESTDIR)$(UDEVRULESDIR)/

uninstall:
	$(MAKE) -C userspace uninstall PREFIX=$(PREFIX) MANDIR=$(MANDIR)
	rm -f $(DESTDIR)$(MANDIR)/man4/fpgacap.4 \
		$(DESTDIR)$(UDEVRULESDIR)/60-fpgacap.rules

# What DKMS builds from: the Kbuild file, the driver, the UAPI header, and
# dkms.conf with this version.
install-source:
	$(INSTALL) -d $(DKMS_DIR)/driver $(DKMS_DIR)/uapi
	$(INSTALL) -m 644 Kbuild $(DKMS_DIR)/
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
