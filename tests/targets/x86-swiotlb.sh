# SPDX-License-Identifier: GPL-2.0-only
# The x86 guest with swiotlb=force: every DMA mapping of the test engine
# goes through real bounce buffers, so only fpgacap's dma_sync_*() calls
# bring its data to the pool's pages, and swiotlb's 256 KiB limit on one
# mapping meets the pool's large segments. The test engine's tests, and
# framed_e2e_test (library-written headers between bounced payloads), and
# dmabuf_test (the test importer's mappings bounce: a CPU access's syncs
# of every importer's mapping are what moves the bytes).
. "$FPGACAP_TOP/tests/targets/x86.sh"
desc="x86_64, Debian's 6.1 image, swiotlb=force; testdma_test, framed_e2e_test, dmabuf_test"
append="swiotlb=force"
tests=testdma_test,framed_e2e_test,dmabuf_test
sources="pattern testdma"
