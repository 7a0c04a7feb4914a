# SPDX-License-Identifier: GPL-2.0-only
# x86_64 on Debian's own 6.1 kernel (pattern source, and the fake
# dmaengine provider's slave device; e1000 gives real
# MSG_ZEROCOPY completions under QEMU). kernel_package names the image: a
# metapackage is resolved in the archive (linux-image-amd64 is bookworm's
# 6.1), an image package (linux-image-6.1.0-57-amd64) pins a release.
desc="x86_64, Debian's 6.1 image, e1000"
arch=amd64
kernel_package=${FPGACAP_X86_KERNEL:-linux-image-amd64}
qemu=(qemu-system-x86_64 -m 1G)
qemu_cpus=(-smp 2)
# -icount hangs at SMP bring-up with more than one CPU.
qemu_cpus_icount=(-smp 1)
console=ttyS0
nic=e1000
# e1000 is a module in Debian's kernel, and so are the disks' drivers and
# vgem, the DRM driver whose PRIME import is dmabuf_test's importer that is
# not ours.
guest_modules=(e1000 virtio_pci virtio_blk vgem)
# Disks for record_test (tests/lib/disks.sh): one to record onto, one
# whose writes fail from 4 MiB on (blkdebug), one slower than the source.
disk_if=virtio
disks=(rec:64M bad:32M:eio=4M slow:32M:wbps=1M)
sources="pattern testdma"
# Test-only modules: the fake dmaengine provider (x86 only: it writes
# through the direct map), the classic coherent driver and the dma-buf
# importer.
test_kmods=(kmod classic importer)
