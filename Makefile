# SPDX-License-Identifier: GPL-2.0
# fpgacap: the module (through Kbuild), libfpgacap and the tools.
#
#   make                 module for the running kernel + userspace
#   make modules KDIR=<kernel build dir> [ARCH=arm CROSS_COMPILE=arm-linux-gnueabihf-]
#   make userspace [CC=arm-linux-gnueabihf-gcc STATIC=1]
#   make install         userspace into $(PREFIX) (module: modules_install)
#   make demo            the main job on the emulated Zynq-7000 board
#   make check           every test: static checks, host tests, both guests
KDIR ?= /lib/modules/$(shell uname -r)/build
PREFIX ?= /usr/local

all: modules userspace

modules:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

modules_install:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules_install

userspace:
	$(MAKE) -C userspace

install:
	$(MAKE) -C userspace install PREFIX=$(PREFIX)

demo:
	tests/run-demo.sh

check:
	tests/run-tests.sh

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean 2>/dev/null || true
	$(MAKE) -C userspace clean

.PHONY: all modules modules_install userspace install demo check clean
