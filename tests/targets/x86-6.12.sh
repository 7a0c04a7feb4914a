# SPDX-License-Identifier: GPL-2.0-only
# The x86_64 guest on Debian's 6.12 image (bookworm's linux-image-6.12-amd64).
. "$FPGACAP_TOP/tests/targets/x86.sh"
desc="x86_64, Debian's 6.12 image, e1000"
kernel_package=${FPGACAP_X86_6_12_KERNEL:-linux-image-6.12-amd64}
# The same disks on NVMe (nvme_core and nvme are modules).
disk_if=nvme
guest_modules=(e1000 nvme)
