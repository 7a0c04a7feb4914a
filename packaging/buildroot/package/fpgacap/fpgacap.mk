################################################################################
#
# fpgacap
#
################################################################################

# SPDX-License-Identifier: MIT
# The source is this checkout (the external tree lives in it).
FPGACAP_VERSION = 1.0.0
FPGACAP_SITE = $(BR2_EXTERNAL_FPGACAP_PATH)/../..
FPGACAP_SITE_METHOD = local
FPGACAP_LICENSE = GPL-2.0 (module), MIT (library, tools), GPL-2.0 WITH Linux-syscall-note (UAPI header)
FPGACAP_LICENSE_FILES = COPYING LICENSES/preferred/GPL-2.0 \
	LICENSES/preferred/MIT LICENSES/exceptions/Linux-syscall-note
FPGACAP_INSTALL_STAGING = YES

ifeq ($(BR2_PACKAGE_LIBURING),y)
FPGACAP_DEPENDENCIES += liburing
FPGACAP_URING = 1
else
FPGACAP_URING = 0
endif

FPGACAP_MAKE_OPTS = \
	$(TARGET_CONFIGURE_OPTS) \
	O=$(@D)/userspace/build \
	PREFIX=/usr \
	URING=$(FPGACAP_URING)

define FPGACAP_BUILD_CMDS
	$(TARGET_MAKE_ENV) $(MAKE) -C $(@D)/userspace $(FPGACAP_MAKE_OPTS) all
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

define FPGACAP_USERS
	- - fpgacap -1 - - - - fpgacap capture devices
endef

$(eval $(kernel-module))
$(eval $(generic-package))
