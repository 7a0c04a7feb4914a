# SPDX-License-Identifier: MIT
include $(sort $(wildcard $(BR2_EXTERNAL_FPGACAP_PATH)/package/*/*.mk))
