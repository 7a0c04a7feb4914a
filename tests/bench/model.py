# SPDX-License-Identifier: GPL-2.0-only
"""The cycle model: what the memmodel plugin counted, as cycles of a board's
CPU. Every constant names its public source (SOURCES, quoted by the report);
two are calibrated, in the same run, so that the memcpy micro-benchmark
costs what memcpy is published to cost on the board, cached and uncached.

    cycles = CPI * instructions
           + L2_HIT * lone L1 misses + L2_STREAM * sequential L1 misses
           + RAM * lone L2 misses
           + DRAM_STREAM * sequential L2 misses   (calibrated: cached memcpy)
           + UNCACHED * bytes read or written uncached (calibrated: uncached)
           + DEV_READ * device register reads + DEV_WRITE * device writes

A miss is sequential when a line at most two lines from it missed among
the last 32 misses of its level (the plugin's stream detector): what a
prefetcher and overlapping line fills hide in a copy, and not in
pointer-chasing code.
"""
import re
import statistics

SOURCES = {
    "ds190": "AMD (Xilinx), *Zynq-7000 SoC Data Sheet: Overview*, DS190: "
             "application processor clock by speed grade, 667 MHz at -1. "
             "<https://docs.amd.com/v/u/en-US/ds190-Zynq-7000-Overview>",
    "ug585": "AMD (Xilinx), *Zynq-7000 SoC Technical Reference Manual*, "
             "UG585: L1 caches 32 KiB 4-way with 32-byte lines, L2 (PL310) "
             "512 KiB 8-way. <https://docs.amd.com/r/en-US/"
             "ug585-zynq-7000-SoC-TRM>",
    "a9trm": "Arm, *Cortex-A9 Technical Reference Manual*, DDI 0388: L1 "
             "4-way, 32-byte lines, dual issue. "
             "<https://developer.arm.com/documentation/ddi0388/>",
    "xapp1206": "AMD (Xilinx), *Boost Software Performance on Zynq-7000 AP "
                "SoC with NEON*, XAPP1206: \"standard data processing "
                "instructions usually take only one or two cycles\"; misses "
                "stall dependent instructions \"for tens of cycles\".",
    "7cpu-a9": "7-cpu.com, *ARM Cortex-A9* (measured, Exynos 4210): L1 hit "
               "4 cycles, L2 hit 4 + 19 cycles, RAM 110 ns beyond it; L2 to "
               "L1 reading line after line 8.7 cycles a line; RAM reading "
               "independent lines 68 ns a line. "
               "<https://7-cpu.com/cpu/Cortex-A9.html>",
    "zedboard": "bmartini/zynq-xdma, its tenth GitHub issue (Zedboard, "
                "Zynq-7020 at 667 MHz): memcpy between ordinary buffers "
                "~256 MB/s, out of the driver's uncached DMA buffer "
                "~64 MB/s. "
                "<https://github.com/bmartini/zynq-xdma/issues/10>",
    "genode": "genodelabs/genode, a GitHub issue (Zynq-7000 at 666 MHz): libc "
              "memcpy 393 MiB/s, a tuned one 1062 MiB/s. "
              "<https://github.com/genodelabs/genode/issues/4456>",
    "ds891": "AMD (Xilinx), *Zynq UltraScale+ MPSoC Data Sheet: Overview*, "
             "DS891: Cortex-A53 up to 1.2 GHz at the slowest speed grade.",
    "ug1085": "AMD (Xilinx), *Zynq UltraScale+ Device Technical Reference "
              "Manual*, UG1085: Cortex-A53 L2 1 MB, 16-way. "
              "<https://docs.amd.com/r/en-US/ug1085-zynq-ultrascale-trm>",
    "a53trm": "Arm, *Cortex-A53 MPCore Processor Technical Reference "
              "Manual*, DDI 0500: L1 instruction cache 2-way, data cache "
              "4-way, 64-byte lines; L2 16-way, 64-byte lines; in-order "
              "dual issue. <https://developer.arm.com/documentation/ddi0500/>",
    "udmabuf16": "ikwzm/udmabuf, its sixteenth GitHub issue (ZynqMP): "
                 "copying a DMA buffer ~800 MB/s cached, ~250 MB/s "
                 "uncached. "
                 "<https://github.com/ikwzm/udmabuf/issues/16>",
    "seed": "Stack Overflow, *Zero-copy user-space TCP send of "
            "dma_mmap_coherent() mapped memory* (Linux 5.1 on a Cyclone V "
            "SoC, two Cortex-A9): write() to a TCP socket from the driver's "
            "dma_alloc_coherent() buffers \"tops out at 55MB/s\".",
}

# Per CPU: the plugin's cache geometry and the model's constants; each
# (value, source, what it is). DRAM and UNCACHED are calibrated.
CPUS = {
    "cortex-a9": {
        "board": "Zynq-7000, Cortex-A9 at 667 MHz",
        "hz": 666.667e6,
        "caches": "l1i=32768:4:32,l1d=32768:4:32,l2=524288:8:32",
        "cache_sources": ["ug585", "a9trm"],
        "cpi": (1.0, "xapp1206", "cycles per instruction when every access "
                "hits L1 (the low end of one or two)"),
        "l2_hit": (19.0, "7cpu-a9", "cycles a lone L1 miss costs when L2 "
                   "hits"),
        "l2_stream": (8.7, "7cpu-a9", "cycles a sequential L1 miss costs "
                      "when L2 hits"),
        "ram": (110e-9 * 666.667e6, "7cpu-a9", "cycles a lone L2 miss "
                "costs besides (110 ns)"),
        "dev_read": (19.0 + 110e-9 * 666.667e6, "7cpu-a9",
                     "cycles a device register read costs (an L2 "
                     "round trip and the RAM latency)"),
        "dev_write": (19.0, "7cpu-a9", "cycles a posted device register "
                      "write costs (one L2 round trip)"),
        "memcpy_cached": (256e6, "zedboard"),
        "memcpy_uncached": (64e6, "zedboard"),
        "memcpy_other": [(393 * 1048576.0, "genode",
                          "libc memcpy, another board")],
    },
    "cortex-a53": {
        "board": "ZynqMP, Cortex-A53 at 1.2 GHz",
        "hz": 1.2e9,
        "caches": "l1i=32768:2:64,l1d=32768:4:64,l2=1048576:16:64",
        "cache_sources": ["ug1085", "a53trm"],
        "cpi": (1.0, "xapp1206", "cycles per instruction when every access "
                "hits L1 (the A9's figure: no published A53 one was found)"),
        "l2_hit": (19.0, "7cpu-a9", "cycles a lone L1 miss costs when L2 "
                   "hits (the A9's figure: no published A53 one was found)"),
        "l2_stream": (8.7, "7cpu-a9", "cycles a sequential L1 miss costs "
                      "when L2 hits (the A9's figure)"),
        "ram": (110e-9 * 1.2e9, "7cpu-a9", "cycles a lone L2 miss costs "
                "besides (the A9's 110 ns, at this clock)"),
        "dev_read": (19.0 + 110e-9 * 1.2e9, "7cpu-a9",
                     "cycles a device register read costs (the A9's L2 "
                     "round trip and RAM latency, at this clock)"),
        "dev_write": (19.0, "7cpu-a9", "cycles a posted device register "
                      "write costs (the A9's L2 round trip)"),
        "memcpy_cached": (800e6, "udmabuf16"),
        "memcpy_uncached": (250e6, "udmabuf16"),
        "memcpy_other": [],
    },
}

GBE = 125e6 * 1448 / 1538      # GbE payload at MTU 1500 (TCP, timestamps)

COUNTS = ("insn_user", "insn_kernel", "l1i", "l1i_miss", "l1i_miss_seq",
          "l1d", "l1d_miss", "l1d_miss_seq", "l1d_wb", "l2", "l2_miss",
          "l2_miss_seq", "l2_wb", "io_read", "io_write", "nc_read",
          "nc_write", "nc_read_bytes", "nc_write_bytes")


def cpu_of(arch):
    """The model's CPU for a guest's Debian architecture."""
    return "cortex-a53" if arch in ("arm64", "aarch64") else "cortex-a9"


def read_plugin_log(path):
    """Windows {id: counts}, profile blocks {id: [block]}, and the exit
    line's totals, from a QEMU log written with -d plugin."""
    windows, blocks, exits = {}, {}, []
    num = re.compile(r"(\w+)=(0x[0-9a-f]+|\d+)")
    with open(path, errors="replace") as f:
        for line in f:
            if not line.startswith("memmodel "):
                continue
            kind = line.split()[1]
            fields = {k: int(v, 0) for k, v in num.findall(line)}
            if kind == "window":
                dev = line.split("devices=", 1)[1].strip() \
                    if "devices=" in line else ""
                fields["devices"] = {}
                for d in filter(None, dev.split(";")):
                    name, r, w = d.rsplit(":", 2)
                    fields["devices"][name] = (int(r), int(w))
                windows[fields["id"]] = fields
            elif kind == "block":
                blocks.setdefault(fields["id"], []).append(fields)
            elif kind == "exit":
                exits.append(fields)
    return windows, blocks, exits


def insns(w):
    return w["insn_user"] + w["insn_kernel"]


class Model:
    """The constants of one CPU, DRAM and UNCACHED calibrated from this
    run's memcpy windows (medians over the repetitions)."""

    def __init__(self, cpu, cached_windows, uncached_windows):
        c = CPUS[cpu]
        self.cpu = cpu
        self.c = c
        self.hz = c["hz"]
        self.cpi = c["cpi"][0]
        self.l2_hit = c["l2_hit"][0]
        self.l2_stream = c["l2_stream"][0]
        self.ram = c["ram"][0]
        self.dev_read = c["dev_read"][0]
        self.dev_write = c["dev_write"][0]
        self.dram = self.uncached = None
        self.calibration = []
        if not cached_windows:
            return
        # Cached: the published cycles per byte, less what the model
        # charges besides sequential L2 misses, over those per byte.
        want = self.hz / c["memcpy_cached"][0]
        per = median_per_byte(cached_windows)
        self.dram = 0.0
        rest = self.cycles(per)
        self.dram = (want - rest) / per["l2_miss_seq"]
        self.uncached = 0.0
        if uncached_windows:
            want_u = self.hz / c["memcpy_uncached"][0]
            per_u = median_per_byte(uncached_windows)
            rest_u = self.cycles(per_u)
            nc = per_u["nc_read_bytes"] + per_u["nc_write_bytes"]
            self.uncached = (want_u - rest_u) / nc

    def parts(self, w):
        """Cycles of a window (or per-byte counts), by cause."""
        l1_seq = w["l1i_miss_seq"] + w["l1d_miss_seq"]
        l1 = w["l1i_miss"] + w["l1d_miss"] - l1_seq
        return {
            "instructions": self.cpi * (w["insn_user"] + w["insn_kernel"]),
            "L1 misses (L2 hits)": self.l2_hit * l1 + self.l2_stream * l1_seq,
            "L2 misses (DRAM)": (self.ram * (w["l2_miss"] - w["l2_miss_seq"]) +
                                 (self.dram or 0) * w["l2_miss_seq"]),
            "uncached bytes": (self.uncached or 0) * (w["nc_read_bytes"] +
                                                      w["nc_write_bytes"]),
            "device registers": (self.dev_read * w["io_read"] +
                                 self.dev_write * w["io_write"]),
        }

    def cycles(self, w):
        return sum(self.parts(w).values())

    def block_cycles(self, b):
        """Cycles of one profiled code block (its own counts)."""
        l1 = b["l1i_miss"] + b["l1d_miss"] - b["l1_seq"]
        return (self.cpi * b["insns"] * b["execs"] +
                self.l2_hit * l1 + self.l2_stream * b["l1_seq"] +
                self.ram * (b["l2_miss"] - b["l2_seq"]) +
                (self.dram or 0) * b["l2_seq"] +
                (self.uncached or 0) * b["nc_bytes"] +
                self.dev_read * b["io_read"] + self.dev_write * b["io_write"])

    def share(self, cycles_per_byte, rate=GBE):
        """The share of one core a byte rate takes."""
        return cycles_per_byte * rate / self.hz


def median_per_byte(windows):
    """Per-byte counts, the median of each over (window, bytes) pairs."""
    out = {}
    for k in COUNTS:
        out[k] = statistics.median(w[k] / n for w, n in windows)
    return out


def per_byte(w, n):
    return {k: w[k] / n for k in COUNTS}
