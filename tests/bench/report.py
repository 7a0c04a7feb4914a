#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Write docs/benchmarks.md and docs/benchmarks.png from one bench run.

Usage: report.py OUT_DIR GUEST=LOG [GUEST=LOG...] -- COMMAND...

Each LOG is the serial log of a guest that ran tests/guest/job-model.sh
under the memmodel plugin; beside it LOG.cmd holds the emulator's command
line, LOG.model the plugin's output (QEMU's -d plugin log) and LOG.json
what the run knew about the guest (its architecture, where its kernel's
System.map, the module and the bench binary are, for the profile). The
fpgacap-bench documents between FPGACAP-BENCH-BEGIN and FPGACAP-BENCH-END
name each run's model window; runs of one mode and buffer size are
repetitions, summarised by median and range.
"""
import bisect
import json
import os
import re
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import model as M  # noqa: E402

ORDER = ("capture", "copy", "zerocopy", "uring", "uring-fixed",
         "coherent-copy", "udp-copy", "udp-zerocopy", "udp-uring",
         "udp-framed", "udp-framed-zerocopy", "udp-framed-uring",
         "udp-records", "udp-records-zerocopy", "udp-records-uring",
         "record-direct", "record-fixed", "record-copy")
# Recording to a disk: a table of their own, with the network's copying
# modes of the same run beside them for reference.
RECORD = ("record-direct", "record-fixed", "record-copy")
RECORD_REFERENCE = ("copy", "udp-copy")
# Each zero-copy mode and the copying mode it replaces.
# A framed mode's twin is the framed copy: the same slots, the same wire
# format and GSO runs, send() copying them (udp-framed itself copies).
TWINS = {"zerocopy": "copy", "uring": "copy", "uring-fixed": "copy",
         "udp-zerocopy": "udp-copy", "udp-uring": "udp-copy",
         "udp-framed": None, "udp-framed-zerocopy": "udp-framed",
         "udp-framed-uring": "udp-framed", "udp-records": None,
         "udp-records-zerocopy": "udp-records",
         "udp-records-uring": "udp-records"}
# The datagram-slot layouts' zero-copy modes.
FRAMED_ZC = ("udp-framed-zerocopy", "udp-framed-uring",
             "udp-records-zerocopy", "udp-records-uring")
TARGET_DGRAMS = 40
NAMES = {
    "capture": "capture only (DMA fills, the CPU hands buffers back)",
    "copy": "TCP, send() copies",
    "zerocopy": "TCP, MSG_ZEROCOPY",
    "uring": "TCP, io_uring SEND_ZC",
    "uring-fixed": "TCP, SEND_ZC from registered buffers",
    "coherent-copy": "classic coherent buffer, write() (the seed's path)",
    "udp-copy": "UDP GSO, copied",
    "udp-zerocopy": "UDP GSO, MSG_ZEROCOPY",
    "udp-uring": "UDP GSO, io_uring SENDMSG_ZC",
    "udp-framed": "UDP GSO from datagram slots, copied",
    "udp-framed-zerocopy": "UDP GSO from datagram slots, MSG_ZEROCOPY",
    "udp-framed-uring": "UDP GSO from datagram slots, io_uring SEND_ZC "
                        "(registered where the kernel takes the pool)",
    "udp-records": "UDP GSO from records the source wrote whole, copied",
    "udp-records-zerocopy": "UDP GSO from records the source wrote whole, "
                            "MSG_ZEROCOPY",
    "udp-records-uring": "UDP GSO from records the source wrote whole, "
                         "io_uring SEND_ZC (a writable pool, registered "
                         "where the kernel takes it)",
    "record-direct": "to disk, O_DIRECT writes through io_uring straight "
                     "from the pool, its pages pinned per write",
    "record-fixed": "to disk, O_DIRECT writes from the pool registered "
                    "with io_uring as fixed buffers, nothing pinned per "
                    "write (where the kernel registers the mapping)",
    "record-copy": "to disk, each buffer copied into the library's "
                   "aligned memory, then the same O_DIRECT write",
}
KERNEL_LINE = re.compile(r"^\[ *[0-9]+\.[0-9]+\]")
TARGET_SPREAD = 0.02
TARGET_SAVED = 0.80
TARGET_SHARE = 0.70


def documents(log):
    """The bench documents in a serial log, the guest's uname, and the
    job's notes (module addresses)."""
    docs, cur, uname, notes = [], None, "", []
    with open(log, errors="replace") as f:
        for line in f:
            line = line.replace("\r", "").rstrip("\n")
            if line.startswith("FPGACAP-GUEST-BEGIN"):
                uname = line.split(" ", 1)[1]
            elif line.startswith("FPGACAP-MODEL-"):
                notes.append(line)
            elif line.startswith("FPGACAP-BENCH-BEGIN"):
                cur = []
            elif line.startswith("FPGACAP-BENCH-END"):
                if cur is not None:
                    text = "\n".join(cur).strip()
                    try:
                        docs.append(json.loads(text))
                    except ValueError as e:
                        sys.exit("%s: a bench document does not parse: %s"
                                 % (log, e))
                cur = None
            elif cur is not None and not KERNEL_LINE.match(line):
                cur.append(line)
    return docs, uname, notes


class Cell:
    """The repetitions of one mode at one buffer size, modelled."""

    def __init__(self, mdl, runs, windows):
        self.runs = runs
        self.ok = [r for r in runs if not r["error"] and
                   r.get("model_id") in windows and r["bytes"]]
        self.error = None
        if not self.ok:
            bad = [r for r in runs if r["error"]]
            self.error = (bad[0]["error_text"] if bad else
                          "no model window (lost markers)")
            return
        self.per = [M.per_byte(windows[r["model_id"]], r["bytes"])
                    for r in self.ok]
        self.cyc = sorted(mdl.cycles(p) for p in self.per)
        self.med = statistics.median(self.cyc)
        self.lo, self.hi = self.cyc[0], self.cyc[-1]
        self.spread = (self.hi - self.lo) / self.med if self.med else 0
        self.mid = min(self.per, key=lambda p: abs(mdl.cycles(p) -
                                                   self.med))
        self.parts = mdl.parts(self.mid)

    def median(self, key):
        return statistics.median(p[key] for p in self.per)

    def run_median(self, key):
        return statistics.median(r[key] for r in self.ok)


def fmt(x, digits=2):
    return ("%%.%df" % digits) % x


def symbolizer(info, notes, arch):
    """vaddr -> name: the kernel's System.map, the module's symbols at the
    address the guest printed, the bench binary's (static) symbols."""
    tables = []

    def nm(path, base=0, only_text=False):
        """The text symbols of @path at @base, and past the last one's
        end a mark that the address is none of them (another module's
        code, unknown to the report, lies beyond)."""
        tool = {"armhf": "arm-linux-gnueabihf-nm",
                "arm64": "aarch64-linux-gnu-nm"}.get(arch, "nm")
        try:
            out = subprocess.run([tool, "-n", "-S", path],
                                 capture_output=True, text=True,
                                 check=True).stdout
        except (OSError, subprocess.CalledProcessError):
            return []
        syms, end = [], 0
        for line in out.splitlines():
            p = line.split()
            if len(p) in (3, 4) and p[-2] in "tTwW":
                a = int(p[0], 16) + base
                syms.append((a, p[-1]))
                end = max(end, a + (int(p[1], 16) if len(p) == 4 else 0))
        if syms:
            syms.append((end, "(unknown code)"))
        return syms

    smap = info.get("system_map")
    kernel = []
    if smap and os.path.exists(smap):
        with open(smap) as f:
            for line in f:
                p = line.split()
                if len(p) == 3 and p[1] in "tTwW":
                    kernel.append((int(p[0], 16), p[2]))
    shift = 0
    for n in notes:
        if n.startswith("FPGACAP-MODEL-STEXT"):
            p = n.split()
            if len(p) >= 2:
                run = int(p[1], 16)
                ref = [a for a, s in kernel if s == "_stext"]
                shift = run - ref[0] if ref else 0
    tables.append(sorted((a + shift, s) for a, s in kernel))
    for n in notes:
        if n.startswith("FPGACAP-MODEL-SECTION") and "/fpgacap/" in n:
            base = int(n.split()[-1], 16)
            if info.get("module"):
                tables.append([(a, "fpgacap:" + s) for a, s in
                               nm(info["module"], base)])
    if info.get("bench"):
        tables.append([(a, "user:" + s) for a, s in nm(info["bench"])])
    merged = sorted(x for t in tables if t for x in t)
    addrs = [a for a, _ in merged]

    def name(va):
        i = bisect.bisect_right(addrs, va) - 1
        return merged[i][1] if i >= 0 else "?"
    return name


def profile(mdl, blocks, name, nbytes):
    """Modelled cycles per payload byte by function, largest first."""
    by = {}
    for b in blocks:
        c = mdl.block_cycles(b)
        fn = name(b["va"])
        by[fn] = by.get(fn, 0) + c
    return sorted(((c / nbytes, fn) for fn, c in by.items()), reverse=True)


def load_guest(name, log):
    info = {}
    if os.path.exists(log + ".json"):
        with open(log + ".json") as f:
            info = json.load(f)
    docs, uname, notes = documents(log)
    windows, blocks, exits = M.read_plugin_log(log + ".model")
    runs, micro, commands, kernels = [], [], [], set()
    for d in docs:
        runs += d.get("results", [])
        micro += d.get("micro", [])
        if d.get("results"):
            commands.append(d.get("command", ""))
        kernels.add("%s (%s), booted with: %s" % (
            d.get("kernel", "?"), d.get("machine", "?"),
            d.get("kernel_cmdline", "?")))
    cached = [(windows[m["model_id"]], m["memcpy_bytes"]) for m in micro
              if "memcpy_bytes" in m and m.get("model_id") in windows]
    uncached = [(windows[m["model_id"]], m["memcpy_uncached_bytes"])
                for m in micro if "memcpy_uncached_bytes" in m and
                m.get("model_id") in windows]
    cpu = M.cpu_of(info.get("arch", "armhf"))
    mdl = M.Model(cpu, cached, uncached)
    groups = {}
    for r in runs:
        groups.setdefault((r["mode"], r["buffer_size"]), []).append(r)
    cells = {k: Cell(mdl, v, windows) for k, v in groups.items()}
    emu = ""
    if os.path.exists(log + ".cmd"):
        with open(log + ".cmd") as f:
            emu = f.read().strip()
    return {"name": name, "info": info, "cells": cells, "mdl": mdl,
            "cached": cached, "uncached": uncached, "micro": micro,
            "blocks": blocks, "runs": runs, "windows": windows,
            "exits": exits, "notes": notes, "commands": commands,
            "kernels": sorted(kernels), "emu": emu, "uname": uname}


def placeholders(text):
    """A command line without this machine's paths: the cache and the
    run's work directory by their variables."""
    cache = os.environ.get("FPGACAP_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or
        os.path.expanduser("~/.cache"), "fpgacap")
    work = os.environ.get("FPGACAP_WORK")
    if work:
        text = text.replace(work, "$FPGACAP_WORK")
    return text.replace(cache, "$FPGACAP_CACHE")


def modes_of(g):
    """The modes a guest ran: the known ones in their order, then any
    mode a newer bench added, by name."""
    ran = {m for m, _ in g["cells"]}
    return [m for m in ORDER if m in ran] + sorted(ran - set(ORDER))


def twin(mode):
    """The copying mode a zero-copy mode replaces, or None."""
    if mode in TWINS:
        return TWINS[mode]
    if mode.startswith("udp-") and "copy" not in mode.split("-")[-1]:
        return "udp-copy"
    return None


def cells_by(g, modes=None):
    """Cells by size, then mode: the network's modes unless @modes."""
    sizes = sorted({s for _, s in g["cells"]})
    for s in sizes:
        for mode in modes_of(g):
            if (mode not in modes) if modes else (mode in RECORD):
                continue
            c = g["cells"].get((mode, s))
            if c:
                yield mode, s, c


def per_send(c):
    """Datagrams per send (sendmsg() call or io_uring request), median
    run; 0 where the bench did not count sends."""
    if not c.ok or "datagram_sends" not in c.ok[0]:
        return 0
    sends = c.run_median("datagram_sends")
    return c.run_median("datagrams") / sends if sends else 0


def main_table(g):
    mdl = g["mdl"]
    md = ["| mode | buffer | runs | cycles per byte, median | min - max | "
          "spread | one core at GbE line rate | instructions per byte | "
          "L1D misses per KiB | L2 misses per KiB | device accesses per "
          "KiB | uncached bytes per byte | zero-copy completions (not "
          "copied / copied) | datagrams per send |",
          "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
          "---:|---:|"]
    for mode, s, c in cells_by(g):
        if c.error:
            md.append("| %s | %d KiB | %d | fails: %s | | | | | | | | | | |"
                      % (mode, s // 1024, len(c.runs), c.error))
            continue
        r = c.ok[0]
        zc = ("%d / %d" % (c.run_median("completions") -
                           c.run_median("copied"), c.run_median("copied"))
              if twin(mode) else "-")
        if "uring" in mode and all(x.get("fixed_buffers") for x in c.ok):
            zc += ", registered pool"
        dg = ("%.1f" % per_send(c) if mode.startswith("udp") and
              per_send(c) else "-")
        md.append("| %s | %d KiB | %d | **%s** | %s - %s | %.1f %% | %.0f %% "
                  "| %s | %s | %s | %s | %s | %s | %s |" % (
                      mode, s // 1024, len(c.ok), fmt(c.med), fmt(c.lo),
                      fmt(c.hi), 100 * c.spread, 100 * mdl.share(c.med),
                      fmt(c.median("insn_user") + c.median("insn_kernel")),
                      fmt(1024 * c.median("l1d_miss"), 1),
                      fmt(1024 * c.median("l2_miss"), 1),
                      fmt(1024 * (c.median("io_read") +
                                  c.median("io_write")), 1),
                      fmt(c.median("nc_read_bytes") +
                          c.median("nc_write_bytes")), zc, dg))
    return md


def recording_table(g):
    """The record modes, and the network's copying modes beside them."""
    mdl = g["mdl"]
    md = ["| mode | buffer | runs | cycles per byte, median | min - max | "
          "spread | one core at GbE line rate | instructions per byte | "
          "L1D misses per KiB | L2 misses per KiB | device accesses per "
          "KiB | writes per MiB (from registered buffers) | bytes copied "
          "per byte | checked on the disk |",
          "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
          "---:|---|"]
    for mode, s, c in cells_by(g, RECORD + RECORD_REFERENCE):
        if mode not in RECORD and not any(
                (m, s) in g["cells"] for m in RECORD):
            continue
        if c.error:
            r = c.runs[0]
            why = c.error
            if r.get("fixed_buffers_error"):
                why += " (the kernel refused to register the pool: %s)" % (
                    os.strerror(r["fixed_buffers_error"]))
            md.append("| %s | %d KiB | %d | fails: %s | | | | | | | | | | |"
                      % (mode, s // 1024, len(c.runs), why))
            continue
        rec = mode in RECORD
        if rec:
            mib = c.run_median("bytes") / 2**20
            writes = "%.1f (%.1f)" % (c.run_median("writes") / mib,
                                      c.run_median("fixed_writes") / mib)
            copied = fmt(c.run_median("copied_bytes") /
                         c.run_median("bytes"))
            checked = "%s, %d of %d runs" % (
                c.ok[0].get("verify_mode", "?"),
                sum(1 for r in c.ok if r.get("verify") == 0), len(c.ok))
        else:
            writes = copied = checked = "-"
        md.append("| %s | %d KiB | %d | **%s** | %s - %s | %.1f %% | %.0f %% "
                  "| %s | %s | %s | %s | %s | %s | %s |" % (
                      mode if rec else mode + " (network, for reference)",
                      s // 1024, len(c.ok), fmt(c.med), fmt(c.lo),
                      fmt(c.hi), 100 * c.spread, 100 * mdl.share(c.med),
                      fmt(c.median("insn_user") + c.median("insn_kernel")),
                      fmt(1024 * c.median("l1d_miss"), 1),
                      fmt(1024 * c.median("l2_miss"), 1),
                      fmt(1024 * (c.median("io_read") +
                                  c.median("io_write")), 1),
                      writes, copied, checked))
    return md


RECORD_BLIND = (
    "What the model cannot see of a disk write, beyond what it cannot see "
    "anywhere (below): the disk controller's own DMA reading the pool (an "
    "SD/MMC host's ADMA here: another bus master, and its contention for "
    "the DDR controller); the card's or drive's own time, since QEMU's SD "
    "card model completes each transfer as soon as the controller model "
    "moves it (the CPU never waits for flash, and the interrupts come "
    "when QEMU raises them, which decides how many requests a completion "
    "carries); and the write-back of the dirty lines record-copy's memcpy "
    "leaves for the DMA API's clean before the controller reads them (the "
    "clean counts as instructions only). What it does see: the block "
    "layer's, the MMC driver's and io_uring's CPU work, which runs on the "
    "guest's one CPU inside each run's window, and the final fdatasync.")


def causes_table(g, size, modes=None):
    md = ["| mode | instructions | L1 misses (L2 hits) | L2 misses (DRAM) "
          "| uncached bytes | device registers | total |",
          "|---|---:|---:|---:|---:|---:|---:|"]
    for mode, s, c in cells_by(g, modes):
        if s != size or c.error:
            continue
        p = c.parts
        md.append("| %s | %s |" % (mode, " | ".join(
            fmt(p[k]) for k in ("instructions", "L1 misses (L2 hits)",
                                "L2 misses (DRAM)", "uncached bytes",
                                "device registers")) + " | **%s**" %
            fmt(sum(p.values()))))
    return md


def memcpy_cycles(g):
    if not g["cached"]:
        return None
    return g["mdl"].cycles(M.median_per_byte(g["cached"]))


def comparisons(g):
    """(size, mode, twin, saved cycles/B, share of memcpy, apart)."""
    rows, mc = [], memcpy_cycles(g)
    for (mode, s), c in sorted(g["cells"].items()):
        t = g["cells"].get((twin(mode), s))
        if not twin(mode) or c.error or not t or t.error:
            continue
        saved = t.med - c.med
        rows.append((s, mode, twin(mode), saved, saved / mc if mc else 0,
                     c.hi < t.lo))
    return rows


def calibration(g):
    mdl, c = g["mdl"], g["mdl"].c
    md = []
    if not g["cached"]:
        return ["No memcpy windows in this run: the model is not "
                "calibrated, and no cycles are given."]
    pc = M.median_per_byte(g["cached"])
    md += ["| memcpy, 1 MiB at a time | instructions per byte | L1 misses "
           "per KiB | L2 misses per KiB | uncached bytes per byte | "
           "published | modelled | calibrates |",
           "|---|---:|---:|---:|---:|---:|---:|---|"]
    md.append("| out of a DMA-written pool buffer (cached) | %s | %s | %s | "
              "0 | %.0f MB/s [%s] | %.0f MB/s | DRAM_STREAM = **%.1f "
              "cycles** per sequential L2 miss |" % (
                  fmt(M.insns(pc), 3),
                  fmt(1024 * (pc["l1d_miss"] + pc["l1i_miss"]), 1),
                  fmt(1024 * pc["l2_miss"], 1),
                  c["memcpy_cached"][0] / 1e6, c["memcpy_cached"][1],
                  mdl.hz / mdl.cycles(pc) / 1e6, mdl.dram))
    if g["uncached"]:
        pu = M.median_per_byte(g["uncached"])
        md.append("| out of the classic driver's coherent buffer (uncached) "
                  "| %s | %s | %s | %s | %.0f MB/s [%s] | %.0f MB/s | "
                  "UNCACHED = **%.2f cycles** per byte |" % (
                      fmt(M.insns(pu), 3),
                      fmt(1024 * (pu["l1d_miss"] + pu["l1i_miss"]), 1),
                      fmt(1024 * pu["l2_miss"], 1),
                      fmt(pu["nc_read_bytes"] + pu["nc_write_bytes"]),
                      c["memcpy_uncached"][0] / 1e6,
                      c["memcpy_uncached"][1],
                      mdl.hz / mdl.cycles(pu) / 1e6, mdl.uncached))
    seq = pc["l2_miss_seq"] / pc["l2_miss"] if pc["l2_miss"] else 0
    md += ["", "Both rates are met by construction (two constants, two "
           "published rates). What checks the calibration: %.0f %% of the "
           "memcpy's L2 misses are sequential, and the cost they imply, "
           "%.1f cycles a line (%.0f ns), against what was measured on an "
           "A9 independently [7cpu-a9]: RAM delivers independent lines at "
           "68 ns each when reads overlap, 110 ns for a lone one. A lone L2 "
           "miss (most of the kernel's: pointer chasing) is charged the "
           "measured 110 ns, not the calibrated figure."
           % (100 * seq, mdl.dram, 1e9 * mdl.dram / mdl.hz)]
    for rate, src, what in c["memcpy_other"]:
        md += ["", "Another published cached rate for this chip, %.0f MB/s "
               "(%s [%s]), is %+.0f %% from the one calibrated on: the "
               "DRAM constant, and every figure that leans on it, is "
               "uncertain by that much; cycles spent in instructions are "
               "not." % (rate / 1e6, what, src,
                         100 * (rate / c["memcpy_cached"][0] - 1))]
    return md


def classic_check(g):
    """Item: the classic coherent path's write() against the seed."""
    mdl = g["mdl"]
    rows = [(s, c) for (m, s), c in g["cells"].items()
            if m == "coherent-copy" and not c.error]
    if not rows or mdl.cpu != "cortex-a9":
        return []
    md = ["", "**The classic path, checked against what users report.** "
          "The seed's driver (dma_alloc_coherent buffers, write() to a TCP "
          "socket) tops out at 55 MB/s on a Cyclone V SoC at about one "
          "busy core [seed]. Modelled here, one A9 core spends all its "
          "time on that path at:", "",
          "| buffer | cycles per byte | of which uncached reads | MB/s at "
          "667 MHz | at 925 MHz, memory time unchanged |",
          "|---:|---:|---:|---:|---:|"]
    for s, c in sorted(rows):
        mem = c.parts["L2 misses (DRAM)"] + c.parts["uncached bytes"]
        core = c.med - mem
        t667 = c.med / mdl.hz
        t925 = core / 925e6 + mem / mdl.hz
        md.append("| %d KiB | %s | %s | %.0f | %.0f |" % (
            s // 1024, fmt(c.med), fmt(c.parts["uncached bytes"]),
            1 / t667 / 1e6, 1 / t925 / 1e6))
    return md


def targets(g, spread_rows):
    mdl, md = g["mdl"], []
    ok = [(m, s, c) for m, s, c in cells_by(g) if not c.error]
    # Every figure repeats: the recording rows' too (the other targets are
    # the network's).
    every = [(m, s, c) for m, s, c in cells_by(g, modes_of(g))
             if not c.error]
    worst = max(every, key=lambda x: x[2].spread) if every else None
    if worst:
        md.append("- Every figure repeats within 2 %% over %d runs: worst "
                  "spread %.2f %% (%s, %d KiB) -- %s." % (
                      min(len(c.ok) for _, _, c in every),
                      100 * worst[2].spread, worst[0], worst[1] // 1024,
                      "met" if worst[2].spread <= TARGET_SPREAD else
                      "missed"))
    comp = [r for r in comparisons(g) if r[0] >= 65536]
    if comp:
        good = [r for r in comp if r[4] >= TARGET_SAVED and r[5]]
        md.append("- At 64 KiB and more every zero-copy mode saves at "
                  "least 80 %% of the memcpy's modelled cost (%s cycles per "
                  "byte) against its copy twin: %d of %d comparisons -- %s. "
                  "%s" % (fmt(memcpy_cycles(g)), len(good), len(comp),
                          "met" if len(good) == len(comp) else "missed",
                          "; ".join("%s %d KiB: %+.0f %%" % (
                              m, s // 1024, 100 * sh)
                              for s, m, _, _, sh, _ in comp)))
    framed = [(m, s, c) for m, s, c in ok if m in FRAMED_ZC and s >= 65536]
    if any(m.startswith("udp") for m, _, _ in ok):
        cheapest = {s: min(((m, c) for m, s2, c in ok
                            if s2 == s and m != "capture"),
                           key=lambda x: x[1].med)
                    for s in sorted({s for _, s, _ in ok})}
        wins = [s for s in cheapest if s >= 65536 and
                cheapest[s][0] in FRAMED_ZC]
        big = [s for s in cheapest if s >= 65536]
        # The figure is for 64 KiB buffers: a larger buffer's
        # last run of slots is shorter (178 slots of 256 KiB: 4 x 44 + 2).
        at64 = [c for m, s, c in framed if s == 65536]
        dg_ok = at64 and all(per_send(c) >= TARGET_DGRAMS for c in at64)
        md.append("- Framed UDP zero-copy (a datagram-slot layout: framed "
                  "or records) the cheapest mode, with at least "
                  "%d datagrams per send at 64 KiB: cheapest at %d of %d "
                  "buffer sizes of 64 KiB and more; datagrams per send %s "
                  "-- %s. The "
                  "cheapest mode at each size: %s." % (
                      TARGET_DGRAMS, len(wins), len(big),
                      ", ".join("%s %d KiB: %.1f" % (m, s // 1024,
                                                     per_send(c))
                                for m, s, c in framed) or "not measured",
                      "met" if big and len(wins) == len(big) and dg_ok
                      else "missed",
                      "; ".join("%d KiB: %s (%s)" % (s // 1024, m,
                                                     fmt(c.med))
                                for s, (m, c) in cheapest.items())))
    best = min(((m, s, c) for m, s, c in ok if m != "capture"),
               key=lambda x: x[2].med, default=None)
    if best:
        sh = mdl.share(best[2].med)
        md.append("- The best mode carries GbE line rate (117.7 MB/s) in at "
                  "most 70 %% of one core: %s at %d KiB takes **%.0f %%** "
                  "(%s cycles per byte; the budget is %s) -- %s." % (
                      best[0], best[1] // 1024, 100 * sh, fmt(best[2].med),
                      fmt(TARGET_SHARE * mdl.hz / M.GBE),
                      "met" if sh <= TARGET_SHARE else
                      "missed by a factor of %.2f" % (sh / TARGET_SHARE)))
    return md


def devices(g, size):
    """Device register accesses per KiB of payload, by device (QEMU's
    name of its memory region), in each mode's median run."""
    md = []
    for mode, s, c in cells_by(g, modes_of(g)):
        if s != size or c.error:
            continue
        r = min(c.ok, key=lambda x: abs(
            g["mdl"].cycles(M.per_byte(g["windows"][x["model_id"]],
                                       x["bytes"])) - c.med))
        dev = g["windows"][r["model_id"]]["devices"]
        kib = r["bytes"] / 1024
        top = sorted(dev.items(), key=lambda x: -(x[1][0] + x[1][1]))
        if top:
            md.append("- %s: %s." % (mode, ", ".join(
                "%s %.2f reads + %.2f writes" % (n, rw[0] / kib, rw[1] / kib)
                for n, rw in top[:6])))
    return md


def where(g, size):
    """The profiled runs: where the cycles go, by function."""
    md, name = [], symbolizer(g["info"], g["notes"], g["info"].get("arch"))
    for mode in ("copy", "zerocopy", "udp-copy", "udp-zerocopy",
                 "udp-framed", "udp-framed-zerocopy", "udp-records",
                 "udp-records-zerocopy", "coherent-copy") + RECORD:
        c = g["cells"].get((mode, size))
        if not c or c.error:
            continue
        r = [x for x in c.ok if x["rep"] == 1]
        if not r or r[0]["model_id"] not in g["blocks"]:
            continue
        prof = profile(g["mdl"], g["blocks"][r[0]["model_id"]], name,
                       r[0]["bytes"])
        total = sum(x for x, _ in prof)
        top = prof[:10]
        md.append("- **%s** (%s cycles per byte in its first run): %s; "
                  "the rest %s." % (
                      mode, fmt(total), ", ".join(
                          "%s %s" % (fn, fmt(x)) for x, fn in top),
                      fmt(total - sum(x for x, _ in top))))
    return md


def plot(out, guests):
    """One panel per guest: modelled cycles per byte against buffer size,
    min-max bars, and the 70 %-of-a-core budget at GbE line rate."""
    dat = os.path.join(out, "benchmarks.dat")
    blocks, idx = [], 0
    with open(dat, "w") as f:
        for gi, g in enumerate(guests):
            for mode in modes_of(g):
                pts = sorted((s, c) for (m, s), c in g["cells"].items()
                             if m == mode and not c.error and c.med > 0)
                if not pts:
                    continue
                f.write("# %s %s\n" % (g["name"], mode))
                for s, c in pts:
                    f.write("%d %.4f %.4f %.4f\n" % (s // 1024, c.med, c.lo,
                                                     c.hi))
                f.write("\n\n")
                blocks.append((gi, mode, idx))
                idx += 1
    png = os.path.join(out, "benchmarks.png")
    n = max(1, len(guests))
    gp = ["set terminal png size %d,560 font ',10'" % (620 * n),
          "set output '%s'" % png, "set multiplot layout 1,%d" % n,
          "set logscale x 2", "set logscale y",
          "set xlabel 'buffer size (KiB)'",
          "set ylabel 'modelled cycles per payload byte'",
          "set key outside right top font ',8'", "set grid"]
    for gi, g in enumerate(guests):
        mine = [(m, i) for x, m, i in blocks if x == gi]
        budget = TARGET_SHARE * g["mdl"].hz / M.GBE
        gp.append("set title '%s (%s)'" % (g["name"], g["mdl"].c["board"]))
        parts = ["'%s' index %d using 1:2:3:4 with yerrorlines title '%s'"
                 % (dat, i, m) for m, i in mine]
        parts.append("%f with lines dashtype 2 lc rgb 'black' title '70 %% "
                     "of a core at GbE'" % budget)
        gp.append("plot " + ", ".join(parts))
    gp.append("unset multiplot")
    subprocess.run(["gnuplot"], input="\n".join(gp), text=True, check=True)
    os.remove(dat)


def constants(guests):
    md = ["| constant | %s |" % " | ".join(
        g["mdl"].c["board"] for g in guests), "|---|" + "---:|" * len(
            guests)]

    def row(label, f):
        md.append("| %s | %s |" % (label, " | ".join(f(g) for g in guests)))
    row("caches (size:ways:line)", lambda g: "%s [%s]" % (
        g["mdl"].c["caches"].replace(",", ", "),
        ", ".join(g["mdl"].c["cache_sources"])))
    row("clock", lambda g: "%.0f MHz [%s]" % (
        g["mdl"].hz / 1e6, "ds190" if g["mdl"].cpu == "cortex-a9" else
        "ds891"))
    for key in ("cpi", "l2_hit", "l2_stream", "ram", "dev_read",
                "dev_write"):
        row(guests[0]["mdl"].c[key][2], lambda g, k=key: "%s [%s]" % (
            fmt(g["mdl"].c[k][0], 1), g["mdl"].c[k][1]))
    row("DRAM_STREAM: cycles a sequential L2 miss costs, calibrated on "
        "the cached memcpy",
        lambda g: "%s [%s]" % (fmt(g["mdl"].dram or 0, 1),
                               g["mdl"].c["memcpy_cached"][1]))
    row("UNCACHED: cycles a byte read uncached costs, calibrated on the "
        "uncached memcpy", lambda g: "%s [%s]" % (
            fmt(g["mdl"].uncached or 0, 2),
            g["mdl"].c["memcpy_uncached"][1]))
    return md


def cross_check(guests):
    """The model's cache against QEMU's own cache plugin, same run."""
    md = []
    for g in guests:
        if not g["info"].get("check_log") or \
                not os.path.exists(g["info"]["check_log"]):
            continue
        ours, theirs = None, None
        with open(g["info"]["check_log"], errors="replace") as f:
            text = f.read()
        m = re.search(r"memmodel exit .*", text)
        if m:
            ours = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)",
                                                     m.group(0))}
        # cache.c's table: one row per core ("0 ..."), then a "sum" row
        # when there are more; columns: data accesses, misses, rate,
        # instruction accesses, misses, rate, L2 accesses, misses, rate.
        s = re.search(r"^(?:sum|0)\s+(\d+)\s+(\d+)\s+\S+\s+(\d+)\s+(\d+)"
                      r"\s+\S+\s+(\d+)\s+(\d+)", text, re.M)
        if s:
            v = [int(x) for x in s.groups()]
            theirs = {"l1d": v[0], "l1d_miss": v[1], "l1i_miss": v[3],
                      "l2": v[4], "l2_miss": v[5]}
        if ours and theirs:
            md.append("- %s: %s." % (g["name"], ", ".join(
                "%s %d against %d" % (k, ours[k], theirs[k])
                for k in ("l1d", "l1d_miss", "l1i_miss", "l2", "l2_miss"))))
    return md


def main():
    out = sys.argv[1]
    sep = sys.argv.index("--")
    command = " ".join(sys.argv[sep + 1:])
    guests = []
    for arg in sys.argv[2:sep]:
        name, log = arg.split("=", 1)
        guests.append(load_guest(name, log))

    md = ["# Benchmarks", ""]
    md.append("Generated by `%s` from one run; every figure below comes from "
              "that run, in emulation only: no board has run this bench yet "
              "(docs/measuring.md says how to)." % command)
    md += ["", "What it measures: the CPU cost of moving captured data to the "
           "network (and, under Recording, to a disk), per payload byte, "
           "mode against mode, as cycles of the "
           "board's CPU. The guests run under QEMU with `-icount shift=0` "
           "and one CPU, with a plugin (tests/bench/memmodel.c) that counts, "
           "between no-op marker instructions the bench puts around each "
           "run, the whole guest's instructions, the misses of level 1 and 2 "
           "caches configured as the board's, its device register accesses "
           "and its accesses to uncached memory. A cycle model "
           "(tests/bench/model.py) turns those counts into cycles with "
           "published constants, two of them calibrated in the same run on "
           "the published memcpy rates (below). The data is written by the "
           "board's DMA engine (the memcpy source: PL330 on Zynq-7000, ZDMA "
           "on ZynqMP), never by the CPU, into a 2 MiB pool, four times the "
           "Zynq-7000's L2, so the CPU finds none of it in its caches, as on "
           "a board. The guest kernels are built the way a BSP builds them "
           "(multi_v7_defconfig, arm64 defconfig: optimised for speed, no "
           "debug options).", "",
           "![Modelled cycles per byte against buffer size, one panel per "
           "board](benchmarks.png)", "",
           "**cycles per byte**: the median of the runs, with their range; "
           "the spread is that range over the median. **one core at GbE "
           "line rate**: the share of one core the mode would take to carry "
           "117.7 MB/s of payload (GbE at MTU 1500: 1448 bytes in every "
           "1538 on the wire). Every figure is the whole guest's: the "
           "sending process, the kernel, interrupts and softirqs, and the "
           "DMA source's own handling, minus nothing. The capture row is the "
           "DMA source and the buffer hand-off alone, without a network; "
           "every other row includes it."]
    for g in guests:
        mdl = g["mdl"]
        md += ["", "## %s" % mdl.c["board"], ""]
        md.append("Guest `%s`. Kernel: %s." % (g["name"],
                                               "; ".join(g["kernels"])))
        if g["emu"]:
            md += ["", "Emulator: `%s`" % placeholders(g["emu"])]
        for c in sorted(set(g["commands"])):
            md += ["", "Bench: `%s`" % c]
        md.append("")
        if mdl.dram is None:
            md.append("No calibration windows: no figures.")
            continue
        md += main_table(g)
        md += ["", "Modes: " + "; ".join(
            "**%s** %s" % (m, NAMES[m]) for m in modes_of(g)
            if m in NAMES and m not in RECORD) + "."]
        md += ["", "Where the cycles go at 64 KiB, by cause (cycles per "
               "byte, the median run):", ""]
        md += causes_table(g, 65536)
        if any(m in RECORD for m, _ in g["cells"]):
            md += ["", "### Recording", "",
                   "The stream written to the guest's disk through the "
                   "library's recorder, each run's time including the "
                   "final fdatasync; after each run, outside its window, "
                   "the library's reader checks the recording against its "
                   "index (the pattern source's bytes; the DMA source's "
                   "index only, its window repeats). The network's copying "
                   "modes of the same run beside them.", ""]
            md += recording_table(g)
            md += [""] + ["- **%s**: %s." % (m, NAMES[m]) for m in RECORD
                          if any(x == m for x, _ in g["cells"])]
            md += ["", "By cause at 64 KiB (cycles per byte, the median "
                   "run):", ""] + causes_table(g, 65536,
                                              RECORD + RECORD_REFERENCE)
            md += ["", RECORD_BLIND]
        comp = comparisons(g)
        if comp:
            md += ["", "What each zero-copy mode saves against its copying "
                   "twin, as a share of the memcpy micro-benchmark's "
                   "modelled cost in the same run (%s cycles per byte):" %
                   fmt(memcpy_cycles(g)), "",
                   "| buffer | mode | against | saved cycles per byte | of "
                   "the memcpy | ranges |", "|---:|---|---|---:|---:|---|"]
            for s, m, t, saved, sh, ap in comp:
                md.append("| %d KiB | %s | %s | %s | %.0f %% | %s |" % (
                    s // 1024, m, t, fmt(saved), 100 * sh,
                    "apart" if ap else "overlap"))
        md += ["", "### Calibration", ""]
        md += calibration(g)
        md += classic_check(g)
        dev = devices(g, 65536)
        if dev:
            md += ["", "Device register accesses per KiB of payload at 64 "
                   "KiB, by device (QEMU's names):", ""] + dev
        prof = where(g, 65536)
        if prof:
            md += ["", "### Where the cycles go, by function (64 KiB, "
                   "first run of each mode, cycles per byte)", ""] + prof
        md += ["", "### Targets", ""]
        md += targets(g, None)
    md += ["", "## The model", ""]
    md += constants(guests)
    cc = cross_check(guests)
    if cc:
        md += ["", "The model's caches against QEMU's own cache plugin "
               "(contrib/plugins/cache.c, built from the same Debian "
               "source), both loaded in one boot, the model counting as "
               "that plugin does (no write-backs, no uncached pages):", ""]
        md += cc
    notes = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                         "notes.md")
    with open(notes) as f:
        md += ["", f.read().rstrip("\n")]
    md += ["", "Sources:", ""]
    md += ["- [%s] %s" % (k, v) for k, v in M.SOURCES.items()]
    with open(os.path.join(out, "benchmarks.md"), "w") as f:
        f.write("<!-- SPDX-License-Identifier: GPL-2.0-only -->\n")
        f.write("\n".join(md) + "\n")
    plot(out, guests)


if __name__ == "__main__":
    main()
