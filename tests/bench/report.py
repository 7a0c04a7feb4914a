#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Write docs/benchmarks.md and docs/benchmarks.png from one bench run.

Usage: report.py OUT_DIR GUEST=LOG[,LOG...] [GUEST=LOG...] -- COMMAND...

Each LOG is the serial log of a guest that ran tests/guest/job-bench.sh
(tests/run-guest.sh TARGET bench); LOG.cmd, if present, holds the
emulator's command line. Every fpgacap-bench document between
FPGACAP-BENCH-BEGIN and FPGACAP-BENCH-END markers is read; runs of one
mode and buffer size are repetitions, summarised by median and range.
"""
import json
import os
import re
import statistics
import subprocess
import sys

# GbE goodput at MTU 1500: TCP with timestamps carries 1448 bytes of the
# 1538 a frame takes on the wire (preamble, gap and FCS included); a UDP
# datagram stream with fpgacap's 24-byte header carries 1472 - 24 = 1448.
GBE = 125e6 * 1448 / 1538

# Modes by what they are, for the tables and comparisons.
TCP_ZC = ("zerocopy", "uring", "uring-fixed")
UDP_ZC = ("udp-zerocopy", "udp-uring")
ORDER = ("capture", "copy", "zerocopy", "uring", "uring-fixed",
         "coherent-copy", "coherent-zerocopy", "udp-copy", "udp-zerocopy",
         "udp-uring")

KERNEL_LINE = re.compile(r"^\[ *[0-9]+\.[0-9]+\]")


def documents(log):
    """The bench documents in a serial log, and the guest's uname."""
    docs, cur, uname = [], None, ""
    with open(log, errors="replace") as f:
        for line in f:
            line = line.replace("\r", "").rstrip("\n")
            if line.startswith("FPGACAP-GUEST-BEGIN"):
                uname = line.split(" ", 1)[1]
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
    return docs, uname


def busy_per_gb(r):
    """The whole guest's busy seconds per GB of one run. A run without a
    single tick (shorter than one) counts as busy throughout: no tick saw
    the guest idle (fpgacap-bench does the same since it learnt to)."""
    if r["busy_ticks"] + r["idle_ticks"] == 0 and r["bytes"]:
        return r["seconds"] * r.get("cpus", 1) / (r["bytes"] / 1e9)
    return r["sys_cpu_s_per_GB"]


class Cell:
    """The repetitions of one mode at one buffer size."""

    def __init__(self, runs):
        self.runs = runs
        ok = [r for r in runs if not r["error"]]
        self.ok = ok
        self.error = None if ok else runs[0]["error_text"]
        if not ok:
            return
        self.cpu = sorted(busy_per_gb(r) for r in ok)
        self.proc = sorted(r["proc_cpu_s_per_GB"] for r in ok)
        self.mbps = sorted(r["MBps"] for r in ok)
        self.med = statistics.median(self.cpu)
        self.lo, self.hi = self.cpu[0], self.cpu[-1]
        self.spread = (self.hi - self.lo) / self.med if self.med else 0
        self.ticks = statistics.median(r["busy_ticks"] for r in ok)
        tot = [r["busy_ticks"] + r["idle_ticks"] for r in ok]
        self.idle = statistics.median(
            r["idle_ticks"] / t if t else 0 for r, t in zip(ok, tot))
        self.comp = sum(r["completions"] for r in ok)
        self.copied = sum(r["copied"] for r in ok)
        self.known = all(r["copied_known"] for r in ok)
        self.sink = [r for r in ok if r.get("sink", -1) >= 0]


def below(a, b):
    """a is cheaper than b and their ranges do not overlap."""
    return a.hi < b.lo


def apart(a, b):
    """The ranges of a and b do not overlap, either way."""
    return a.hi < b.lo or b.hi < a.lo


def load_guest(logs):
    runs, micro, unames, commands, kernels = [], [], set(), [], set()
    for log in logs:
        docs, uname = documents(log)
        unames.add(uname)
        for d in docs:
            for r in d.get("results", []):
                r.setdefault("cpus", d.get("cpus", 1))
            runs += d.get("results", [])
            micro += d.get("micro", [])
            if d.get("results"):
                commands.append(d.get("command", ""))
            kernels.add("%s (%s), booted with: %s" % (
                d.get("kernel", "?"), d.get("machine", "?"),
                d.get("kernel_cmdline", "?")))
    cells = {}
    for r in runs:
        cells.setdefault((r["mode"], r["buffer_size"]), []).append(r)
    return ({k: Cell(v) for k, v in cells.items()}, micro, commands,
            sorted(kernels))


def fmt(x, digits=3):
    return ("%%.%df" % digits) % x


def table(cells):
    md = ["| mode | buffer | runs | CPU s/GB median | min - max | spread "
          "| MB/s (guest time) | idle | process s/GB | zero-copy "
          "completions (not copied / copied) | UDP sink |",
          "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    sizes = sorted({s for _, s in cells})
    for size in sizes:
        for mode in ORDER:
            c = cells.get((mode, size))
            if not c:
                continue
            if c.error:
                md.append("| %s | %d KiB | %d | fails: %s | | | | | | | |" % (
                    mode, size // 1024, len(c.runs), c.error))
                continue
            sink = "-"
            if c.sink:
                got = sum(r["sink_datagrams"] for r in c.sink)
                sent = sum(r["datagrams"] + 1 for r in c.sink)
                lost = sum(r["sink_lost"] for r in c.sink)
                bad = sum(1 for r in c.sink if r["sink"])
                sink = "%d of %d datagrams, %d lost%s" % (
                    got, sent, lost, ", %d runs with ERRORS" % bad
                    if bad else ", intact")
            comp = "-"
            if c.comp:
                comp = "%d / %d%s" % (c.comp - c.copied, c.copied,
                                      "" if c.known else " (unknown)")
            md.append("| %s | %d KiB | %d | **%s** | %s - %s | %.1f %% | %.1f "
                      "| %.0f %% | %s | %s | %s |" % (
                          mode, size // 1024, len(c.ok), fmt(c.med),
                          fmt(c.lo), fmt(c.hi), 100 * c.spread,
                          statistics.median(c.mbps), 100 * c.idle,
                          fmt(statistics.median(c.proc)), comp, sink))
    return md


def memcpy_cost(micro):
    m = [x for x in micro if "memcpy_cpu_s_per_GB" in x]
    return m[0]["memcpy_cpu_s_per_GB"] if m else None


def copy_removed(cells, memcpy):
    """Zero-copy against copying, at each size >= 64 KiB."""
    rows = []
    for (mode, size), c in sorted(cells.items(), key=lambda x: x[0][1]):
        base = "udp-copy" if mode in UDP_ZC else "copy"
        if mode not in TCP_ZC + UDP_ZC or size < 65536 or c.error:
            continue
        b = cells.get((base, size))
        if not b or b.error:
            continue
        share = (b.med - c.med) / memcpy if memcpy else None
        rows.append((size, mode, base, b, c, share, apart(c, b)))
    return rows


def targets(name, cells, memcpy, rows):
    md = ["", "Targets in the %s guest:" % name, ""]
    udp = [c for (m, s), c in cells.items() if m.startswith("udp-")
           and not c.error]
    if udp:
        worst = max(udp, key=lambda c: c.spread)
        md.append("- repeat spread of every UDP row <= 5 %%: worst %.1f %% "
                  "(%s, %d KiB) -- %s." % (
                      100 * worst.spread, worst.runs[0]["mode"],
                      worst.runs[0]["buffer_size"] // 1024,
                      "met" if worst.spread <= 0.05 else
                      "missed by %.1f points" % (100 * worst.spread - 5)))
    if rows and memcpy:
        low = min(rows, key=lambda r: r[5])
        failing = [r for r in rows if r[5] < 0.9 or not r[6]]
        md.append("- zero-copy removes >= 90 %% of the memcpy cost (%.3f s/GB "
                  "here) at >= 64 KiB, ranges apart: lowest %.0f %% (%s, %d "
                  "KiB); %d of %d comparisons %s." % (
                      memcpy, 100 * low[5], low[1], low[0] // 1024,
                      len(rows) - len(failing), len(rows),
                      "meet it" if not failing else "meet it; not: " +
                      ", ".join("%s %d KiB (%.0f %%%s)" % (
                          r[1], r[0] // 1024, 100 * r[5],
                          "" if r[6] else ", ranges overlap")
                          for r in failing)))
    sizes = sorted({s for _, s in cells})
    verdicts = []
    for size in sizes:
        c = [(m, x) for (m, s), x in cells.items() if s == size and
             m != "capture" and not x.error]
        if not c:
            continue
        c.sort(key=lambda t: t[1].med)
        best, second = c[0], c[1] if len(c) > 1 else None
        apart = second is None or below(best[1], second[1])
        verdicts.append((size, best[0], second[0] if second else "-",
                         apart))
    if verdicts and not udp:
        md.append("- UDP GSO zero-copy the cheapest mode per GB: no UDP "
                  "rows in this guest's run.")
    elif verdicts:
        ok = all(b in UDP_ZC and a for _, b, _, a in verdicts)
        md.append("- UDP GSO zero-copy the cheapest mode per GB: %s -- %s." % (
            "; ".join("%d KiB: %s%s" % (s // 1024, b, "" if a else
                                         " (range overlaps %s)" % n)
                      for s, b, n, a in verdicts),
            "met" if ok else "not everywhere"))
    return md


def findings(name, cells, memcpy):
    """What this run says about determinism and about zero-copy, in
    figures computed from it."""
    md = ["", "What the %s run shows:" % name, ""]
    ok = {k: c for k, c in cells.items() if not c.error and k[0] != "capture"}
    tcp = [c for (m, s), c in ok.items() if not m.startswith("udp-")]
    udp = [c for (m, s), c in ok.items() if m.startswith("udp-")]
    if tcp and udp:
        wt = max(tcp, key=lambda c: c.spread)
        wu = max(udp, key=lambda c: c.spread)
        idle = sum(1 for c in tcp for r in c.ok if r["idle_ticks"])
        idle_u = sum(1 for c in udp for r in c.ok if r["idle_ticks"])
        md.append("- **Repeatability.** The widest UDP range is %.1f %% of "
                  "its median (%s, %d KiB); the widest TCP range %.1f %% "
                  "(%s, %d KiB). %d of %d TCP runs and %d of %d UDP runs "
                  "had the guest idle for a tick or more: a TCP sender "
                  "waits for the host sink's ACKs, and what the guest does "
                  "meanwhile depends on when they come; a UDP sender "
                  "waits for nothing outside the guest." % (
                      100 * wu.spread, wu.runs[0]["mode"],
                      wu.runs[0]["buffer_size"] // 1024, 100 * wt.spread,
                      wt.runs[0]["mode"], wt.runs[0]["buffer_size"] // 1024,
                      idle, sum(len(c.ok) for c in tcp), idle_u,
                      sum(len(c.ok) for c in udp)))
    runs = [r for c in ok.values() for r in c.ok]
    if runs:
        ticks = statistics.median(r["busy_ticks"] for r in runs)
        secs = statistics.median(r["seconds"] for r in runs)
        md.append("- **Resolution.** A run lasts %.3f s of guest time and "
                  "counts %d busy ticks of `/proc/stat` (medians): one tick "
                  "is %.0f %% of a run, more than most differences between "
                  "modes, and a run whose ticks all land while the guest "
                  "idles reads zero. Hence the metric above, elapsed time "
                  "times the busy share, with the idle share beside it." % (
                      secs, ticks, 100 / ticks if ticks else 100))
    rows = []
    for (m, s), c in sorted(ok.items(), key=lambda x: (x[0][1], x[0][0])):
        base = "udp-copy" if m in UDP_ZC else "copy" if m in TCP_ZC else None
        b = ok.get((base, s)) if base else None
        if b:
            rows.append("%s %d KiB %+.3f" % (m, s // 1024, c.med - b.med))
    if rows and memcpy:
        md.append("- **Zero-copy against copying, in instructions.** Each "
                  "zero-copy mode's median minus its copying mode's, in "
                  "s/GB: %s. The copy itself costs %.3f s/GB here (the "
                  "memcpy micro-benchmark): QEMU counts a copy's "
                  "instructions, not the memory traffic that makes it "
                  "expensive on a board, so what zero-copy adds (pinning "
                  "pages, a completion per send%s) can outweigh what it "
                  "saves. The board model below puts the copy back at the "
                  "A9's memcpy rate." % (
                      "; ".join(rows), memcpy, gso_note(ok)))
    fixed = []
    for (m, s), c in sorted(ok.items(), key=lambda x: x[0][1]):
        u = ok.get(("uring", s))
        if m == "uring-fixed" and u:
            fixed.append("%d KiB %+.3f s/GB (%s); the sending process "
                         "%.3f (%.3f - %.3f) against %.3f (%.3f - %.3f) "
                         "s/GB (%s)" % (
                             s // 1024, c.med - u.med,
                             "ranges apart" if apart(c, u) else
                             "ranges overlap", statistics.median(c.proc),
                             c.proc[0], c.proc[-1],
                             statistics.median(u.proc), u.proc[0],
                             u.proc[-1],
                             "ranges apart" if c.proc[-1] < u.proc[0] or
                             u.proc[-1] < c.proc[0] else "ranges overlap"))
    if fixed:
        md.append("- **Fixed buffers against per-request pinning.** "
                  "uring-fixed's median minus uring's, whole guest: %s. "
                  "Registration saves the per-request page pinning, which "
                  "is the sending process's work; the whole guest's cost "
                  "is mostly the TCP stack's either way." %
                  "; ".join(fixed))
    return md


def gso_note(ok):
    seg = {}
    for (m, s), c in ok.items():
        if m.startswith("udp-"):
            seg.setdefault(m, set()).update(
                r["gso_segments"] for r in c.ok)
    if not seg:
        return ""
    return ", more and smaller datagram sends: " + ", ".join("%s %s datagrams a send" % (
        m, "/".join(str(x) for x in sorted(v))) for m, v in sorted(seg.items()))


def plot(out, guests):
    """One column per guest: CPU per GB (min-max bars) and MB/s."""
    dat = os.path.join(out, "benchmarks.dat")
    blocks, idx = [], 0
    with open(dat, "w") as f:
        for gi, (name, cells) in enumerate(guests):
            for mode in ORDER:
                # A median of 0 (no busy tick seen) cannot sit on a
                # log scale; the table shows it.
                pts = sorted((s, c) for (m, s), c in cells.items()
                             if m == mode and not c.error and
                             mode != "capture" and c.med > 0)
                if not pts:
                    continue
                f.write("# %s %s\n" % (name, mode))
                for s, c in pts:
                    f.write("%d %.5f %.5f %.5f %.3f\n" % (
                        s // 1024, c.med, c.lo, c.hi,
                        statistics.median(c.mbps)))
                f.write("\n\n")
                blocks.append((gi, mode, idx))
                idx += 1
    png = os.path.join(out, "benchmarks.png")
    n = len(guests)
    gp = ["set terminal png size %d,900 font ',10'" % (560 * n),
          "set output '%s'" % png,
          "set multiplot layout 2,%d" % n, "set logscale x 2",
          "set logscale y", "set xlabel 'buffer size (KiB)'",
          "set key outside right top font ',8'", "set grid"]
    for row in range(2):
        for gi, (name, _) in enumerate(guests):
            mine = [(m, i) for g, m, i in blocks if g == gi]
            if row == 0:
                gp += ["set ylabel 'whole-guest CPU s per GB'",
                       "set title '%s: CPU per GB (median, min-max)'" % name]
                parts = ["'%s' index %d using 1:2:3:4 with yerrorlines "
                         "title '%s'" % (dat, i, m) for m, i in mine]
            else:
                gp += ["set ylabel 'MB/s of guest time'",
                       "set title '%s: throughput (guest time; compares "
                       "modes only)'" % name]
                parts = ["'%s' index %d using 1:5 with linespoints "
                         "title '%s'" % (dat, i, m) for m, i in mine]
            if parts:
                gp.append("set autoscale y")
                gp.append("unset label 1")
            else:
                gp += ["set yrange [1:10]",
                       "set label 1 'no figures' at graph 0.4, graph 0.5"]
                parts = ["1/0 notitle"]
            gp.append("plot " + ", ".join(parts))
    gp.append("unset multiplot")
    subprocess.run(["gnuplot"], input="\n".join(gp), text=True, check=True)
    os.remove(dat)


# ---- the Zynq-7000 on paper ----

# Public figures (docs/benchmarks.md cites them):
A9_HZ = 667e6                    # Zynq-7000 -1 speed grade (DS190)
MEMCPY_CACHED = 393 * 1048576    # bytes/s, libc memcpy, cached source
MEMCPY_UNCACHED = 65 * 1048576   # bytes/s, out of a coherent (uncached) buffer
CPI = (1.0, 2.0)                 # cycles per instruction, kernel code


def board_model(cells, micro, memcpy, size, others=()):
    """Cycles per payload byte on a 667 MHz A9, per mode, from this
    guest's instruction counts (under -icount shift=0 a guest second is
    1e9 instructions, so CPU s/GB reads as instructions per byte). A mode
    this guest could not run is taken from the first of others, (name,
    cells) of the same board on another kernel, against that guest's own
    capture run."""
    cap = cells.get(("capture", size))
    if not cap or cap.error:
        return None
    ho = [m["ns_per_buffer"] for m in micro if m.get("handoff_batch") == 16]
    handoff = (ho[0] if ho else 0) / size     # instructions per byte
    mc = memcpy or 0                          # instructions per byte
    cached = A9_HZ / MEMCPY_CACHED            # cycles per byte
    uncached = A9_HZ / MEMCPY_UNCACHED
    out = []

    def net(mode):
        for guest, cs in [(None, cells)] + list(others):
            c, base = cs.get((mode, size)), cs.get(("capture", size))
            if c and not c.error and base and not base.error:
                return max(c.med - base.med, 0) + handoff, guest
        return None, None

    plans = [
        ("coherent-copy", "classic coherent buffer, write()", "coherent-copy",
         "the copy path's instructions less a memcpy's, plus the memcpy "
         "at the uncached rate", True),
        ("copy", "page pool, copy", "copy",
         "the copy path's instructions less a memcpy's, plus the memcpy "
         "at the cached rate", False),
        ("zerocopy", "MSG_ZEROCOPY", "zerocopy", "instructions only", None),
        ("uring", "io_uring SEND_ZC", "uring", "instructions only", None),
        ("uring-fixed", "SEND_ZC, fixed buffers", "uring-fixed",
         "instructions only", None),
        ("udp-copy", "UDP GSO, copy", "udp-copy",
         "the copy path's instructions less a memcpy's, plus the memcpy "
         "at the cached rate", False),
        ("udp-zerocopy", "UDP GSO, MSG_ZEROCOPY", "udp-zerocopy",
         "instructions only", None),
        ("udp-uring", "UDP GSO, SENDMSG_ZC", "udp-uring",
         "instructions only", None),
    ]
    for key, label, src, rests, uncached_copy in plans:
        i, guest = net(src)
        if i is None:
            out.append((label, None, None, None, "not measured in this run (%s)" %
                        (cells[(src, size)].error if (src, size) in cells
                         else "no row")))
            continue
        if guest:
            rests += ("; from the %s guest, against its own capture run"
                      % guest)
        if uncached_copy is None:
            lo, hi = i * CPI[0], i * CPI[1]
        else:
            rate = uncached if uncached_copy else cached
            rest = max(i - mc, 0)
            lo, hi = rest * CPI[0] + rate, rest * CPI[1] + rate
        out.append((label, i, lo, hi, rests))
    return out, handoff, cached, uncached


def paper(cells, micro, memcpy, name, others=()):
    sizes = sorted({s for (m, s) in cells if m == "capture"})
    size = 65536 if 65536 in sizes else (sizes[-1] if sizes else None)
    if size is None:
        return ["\nNo capture rows in the %s guest: no estimate.\n" % name]
    res = board_model(cells, micro, memcpy, size, others)
    if not res:
        return ["\nNo capture baseline in the %s guest: no estimate.\n" % name]
    rows, handoff, cached, uncached = res
    md = ["| mode | instructions per byte (guest) | cycles per byte on a "
          "667 MHz A9 | one core at %.1f MB/s | rests on |" % (GBE / 1e6),
          "|---|---:|---:|---:|---|"]
    for label, ipb, lo, hi, rests in rows:
        if lo is None:
            md.append("| %s | | | | %s |" % (label, rests))
            continue
        share = (100 * lo * GBE / A9_HZ, 100 * hi * GBE / A9_HZ)
        md.append("| %s | %.2f | %.2f - %.2f | %.0f - %.0f %% | %s |" % (
            label, ipb, lo, hi, share[0], share[1], rests))
    done = [r for r in rows if r[2]]
    if done:
        best = min(done, key=lambda r: r[2])
        lo, hi = (100 * x * GBE / A9_HZ for x in (best[2], best[3]))
        md += ["", "Target, the best mode at line rate on at most 35 %% of "
               "one core: the cheapest here is %s at %.0f - %.0f %% -- %s." % (
                   best[0], lo, hi, "met" if hi <= 35 else
                   "missed by a factor of %.1f to %.1f" % (lo / 35, hi / 35))]
    coh = [r for r in rows if r[0].startswith("classic") and r[2]]
    if coh:
        best = A9_HZ / coh[0][2] / 1e6
        md += ["", "A check against a board: the classic coherent path "
               "delivers near 55 MB/s on a Zynq-7000 (the project's own "
               "figure, issue 14); this model allows it at most %.0f MB/s "
               "on one core (%.2f cycles per byte, its lower bound). Unless "
               "that path spreads its work over both A9 cores, the model "
               "overestimates its cost by a factor of %.1f or more, and "
               "likely the other modes' by as much: read every share above "
               "as an upper bound until a board run (below) pins it down." % (
                   best, coh[0][2], 55 / best)]
    md.insert(0, "From the %s guest at %d KiB buffers (the capture run's "
              "cost, the CPU filling the pattern, taken off: on a board "
              "the fabric's DMA fills the buffers); hand-off %.4f "
              "instructions per byte included; memcpy %.3f instructions per "
              "byte in this guest, %.2f cycles per byte cached and %.2f "
              "uncached on the A9.\n" % (name, size // 1024, handoff,
                                          memcpy or 0, cached, uncached))
    return md


def main():
    out = sys.argv[1]
    sep = sys.argv.index("--")
    command = " ".join(sys.argv[sep + 1:])
    guests = []
    for arg in sys.argv[2:sep]:
        name, logs = arg.split("=", 1)
        logs = logs.split(",")
        cells, micro, commands, kernels = load_guest(logs)
        emu = []
        for log in logs:
            if os.path.exists(log + ".cmd"):
                with open(log + ".cmd") as f:
                    emu.append(f.read().strip())
        guests.append((name, cells, micro, commands, kernels, emu))

    md = ["# Benchmarks", ""]
    md.append("Generated by `%s` from one run; every figure below comes "
              "from that run. Every guest runs under QEMU with `-icount "
              "shift=0` and one CPU (each guest's emulator command line is "
              "below): busy guest time counts guest instructions (1 ns "
              "each), so a CPU figure here is an instruction count, and "
              "repeats as far as the guest's work repeats. See "
              "docs/measuring.md for a real board." % command)
    md.append("")
    md.append("![CPU per GB and throughput against buffer size, one column "
              "per guest](benchmarks.png)")
    md.append("")
    md.append("**CPU s/GB** is the whole guest's busy time per GB of "
              "payload: the run's elapsed time on every CPU times the busy "
              "share (user, system, irq and softirq) of the `/proc/stat` "
              "ticks counted meanwhile, so that a run of a tenth of a "
              "second is measured to the nanosecond rather than in 10 ms "
              "ticks; "
              "the median of the runs with their range; the spread is that "
              "range over the median. A difference between two modes is "
              "claimed only where their ranges do not overlap. The capture "
              "row is the pattern source filling buffers with the CPU and "
              "the hand-off alone, without a network; every other row "
              "includes it. MB/s is payload per second of guest time: it "
              "compares modes in one guest, not with a wire (the emulated "
              "NICs are not timed). idle: the share of the run the guest "
              "CPU had nothing to do, waiting for the host.")
    for name, cells, micro, commands, kernels, emu in guests:
        md += ["", "## %s guest" % name, ""]
        md.append("Kernel: %s." % "; ".join(kernels))
        for e in emu:
            md.append("")
            md.append("Emulator: `%s`" % e)
        for c in sorted(set(commands)):
            md.append("")
            md.append("Bench: `%s`" % c)
        md.append("")
        md += table(cells)
        memcpy = memcpy_cost(micro)
        rows = copy_removed(cells, memcpy)
        if rows and memcpy:
            md += ["", "Copying the same bytes with memcpy (from a pool "
                   "buffer to ordinary memory) costs **%.3f CPU s/GB** "
                   "here. What each zero-copy mode saves against its copying "
                   "mode, in medians, as a share of that:" % memcpy, "",
                   "| buffer | mode | against | saved s/GB | of memcpy | "
                   "ranges |", "|---:|---|---|---:|---:|---|"]
            for size, mode, base, b, c, share, apart in rows:
                md.append("| %d KiB | %s | %s | %.3f | %.0f %% | %s |" % (
                    size // 1024, mode, base, b.med - c.med, 100 * share,
                    "apart" if apart else "overlap"))
        ho = [m for m in micro if "handoff_batch" in m]
        if ho:
            md += ["", "Buffer hand-off (DEQUEUE + RETURN), process CPU per "
                   "buffer:", "", "| batch | ns per buffer |", "|---:|---:|"]
            md += ["| %d | %.0f |" % (m["handoff_batch"], m["ns_per_buffer"])
                   for m in ho]
        md += findings(name, cells, memcpy)
        md += targets(name, cells, memcpy, rows)
    zynq = [g for g in guests if "zynq" in g[0]]
    md += ["", "## On paper: a Zynq-7000 at GbE line rate", ""]
    if zynq:
        name, cells, micro = zynq[0][:3]
        md += paper(cells, micro, memcpy_cost(micro), name,
                    [(g[0], g[1]) for g in zynq[1:]])
    # What the figures cannot say by themselves: the board model's
    # sources, the anomalies of earlier runs (written by hand).
    notes = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                         "notes.md")
    with open(notes) as f:
        md += ["", f.read().rstrip("\n")]
    with open(os.path.join(out, "benchmarks.md"), "w") as f:
        f.write("<!-- SPDX-License-Identifier: GPL-2.0-only -->\n")
        f.write("\n".join(md) + "\n")
    plot(out, [(g[0], g[1]) for g in guests])


if __name__ == "__main__":
    main()
