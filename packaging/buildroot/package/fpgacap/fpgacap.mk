################################################################################
#
# fpgacap
#
################################################################################

# SPDX-License-Identifier: MIT
# The source is this checkout (the external tree lives in it); its version
# is the checkout's VERSION file.
FPGACAP_SITE = $(BR2_EXTERNAL_FPGACAP_PATH)/../..
FPGACAP_SITE_METHOD = local
FPGACAP_VERSION = $(shell cat $(FPGACAP_SITE)/VERSION)
FPGACAP_LICENSE = GPL-2.0-only (module), MIT (library, tools), GPL-2.0-only WITH Linux-syscall-note (UAPI header)
FPGACAP_LICENSE_FILES = COPYING LICENSES/preferred/GPL-2.0 \
	LICENSES/preferred/MIT LICENSES/exceptions/Linux-syscall-note
FPGACAP_INSTALL_STAGING = YES

ifeq ($(BR2_PACKAGE_LIBURING),y)
FPGACAP_DEPENDENCIES += liburing
FPGACAP_URING = 1
else
FPGACAP_URING = 0
endif

# Static-only toolchains: no shared library, the tools linked with the
# static one. fpgacap-iiod is the one program that needs threads.
ifeq ($(BR2_STATIC_LIBS),y)
FPGACAP_SHARED = 0
else
FPGACAP_SHARED = 1
endif
ifeq ($(BR2_TOOLCHAIN_HAS_THREADS),y)
FPGACAP_IIOD = 1
else
FPGACAP_IIOD = 0
endif

FPGACAP_MAKE_OPTS = \
	$(TARGET_CONFIGURE_OPTS) \
	O=$(@D)/userspace/build \
	PREFIX=/usr \
	URING=$(FPGACAP_URING) \
	SHARED=$(FPGACAP_SHARED) \
	IIOD=$(FPGACAP_IIOD)

define FPGACAP_BUILD_CMDS
	$(TARGET_MAKE_ENV) $(MAKE) -C $(@D)/userspace $(FPGACAP_MAKE_OPTS) \
		lib programs man
endef

define FPGACAP_INSTALL_STAGING_CMDS
	$(TARGET_MAKE_ENV) $(MAKE) -C $(@D)/userspace $(FPGACAP_MAKE_OPTS) \
		DESTDIR=$(STAGING_DIR) install
endef

define FPGACAP_INSTALL_TARGET_CMDS
	$(TARGET_MAKE_ENV) $(MAKE) -C $(@D)/userspace $(FPGACAP_MAKE_OPTS) \
		DESTDIR=$(TARGET_DIR) install
	$(INSTALL) -D -m 0644 $(@D)/packaging/udev/60-fpgacap.rules \
		$(TARGET_DIR)/lib/udev/rules.d/60-fpgacap.rules
endef

ifeq ($(FPGACAP_IIOD),1)
define FPGACAP_INSTALL_INIT_SYSTEMD
	sed 's|@BINDIR@|/usr/bin|g' \
		$(@D)/packaging/systemd/fpgacap-iiod.service.in \
		>$(@D)/fpgacap-iiod.service
	$(INSTALL) -D -m 0644 $(@D)/fpgacap-iiod.service \
		$(TARGET_DIR)/usr/lib/systemd/system/fpgacap-iiod.service
endef
endif

define FPGACAP_USERS
	- - fpgacap -1 - - - - fpgacap capture devices
endef

$(eval $(kernel-module))
$(eval $(generic-package))
