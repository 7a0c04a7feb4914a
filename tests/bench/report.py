#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Write docs/benchmarks.md (and its plot) from one run of the bench job.

Usage: report.py OUT_DIR GUEST=JSON [GUEST=JSON ...] -- COMMAND...
Each JSON file is fpgacap-bench --json output from one emulated guest.
"""
import json
import os
import subprocess
import sys

GBE = 117.7


def load(path):
    with open(path) as f:
        return json.load(f)


def per_gb(sec, nbytes):
    return sec / (nbytes / 1e9) if nbytes else 0.0


def targets(res, micro, memcpy):
    """The issue's targets against this guest's figures."""
    md = ["\nTargets, from the figures above:\n"]
    ok = [r for r in res if not r["error"]]
    by = {(r["mode"], r["buffer_size"]): r for r in ok}
    if memcpy:
        shares = []
        for (mode, size), r in by.items():
            c = by.get(("copy", size))
            if mode in ("zerocopy", "uring") and size >= 65536 and c:
                shares.append((100 * (c["proc_cpu_s_per_GB"] -
                                      r["proc_cpu_s_per_GB"]) / memcpy,
                               mode, size))
        if shares:
            low = min(shares)
            md.append("- copy cost removed at buffers >= 64 KiB (target >= 90 %%):"
                      " lowest %.0f %% (%s, %d KiB), highest %.0f %% -- %s." % (
                          low[0], low[1], low[2] // 1024, max(shares)[0],
                          "met" if low[0] >= 90 else "missed by %.0f points"
                          % (90 - low[0])))
    ho = {m["handoff_batch"]: m["ns_per_buffer"] for m in micro
          if "handoff_batch" in m}
    big = [v for b, v in ho.items() if b >= 8]
    if big:
        md.append("- hand-off at batch >= 8 (target <= 1000 ns per buffer): "
                  "worst %.0f ns -- %s." % (max(big), "met" if max(big) <= 1000
                                             else "missed"))
    zc = [r for r in ok if r["mode"] in ("zerocopy", "uring") and r["completions"]]
    if zc:
        comp = sum(r["completions"] for r in zc)
        cop = sum(r["copied"] for r in zc)
        known = all(r["copied_known"] for r in zc)
        md.append("- completions not copied (target 100 %%): %d of %d, %.2f %%%s." % (
            comp - cop, comp, 100.0 * (comp - cop) / comp,
            "" if known else " (some kernels cannot tell)"))
    ce = [r for r in res if r["mode"] == "coherent-zerocopy"]
    if ce:
        md.append("- zero-copy from the classic coherent pool: %s." % ", ".join(
            "%d KiB %s" % (r["buffer_size"] // 1024,
                           r["error_text"] or "did not fail") for r in ce))
    return md


# Published Zynq-7000 (666 MHz Cortex-A9) figures, ../shared/notes/
# lessons-from-peers.md: libc memcpy from cached memory, and out of an
# uncached (dma_alloc_coherent) buffer.
A9_MEMCPY_CACHED_MB = 393 * 1.048576
A9_MEMCPY_UNCACHED_MB = 65 * 1.048576


def paper_estimate(data):
    md = ["\n## On paper: a Zynq-7000 at GbE line rate\n"]
    md.append("What one 666 MHz Cortex-A9 core spends on the data at %.1f MB/s, "
              "from published memcpy rates (libc memcpy ~393 MiB/s from cached "
              "memory, ~64-67 MiB/s out of an uncached coherent buffer) and this "
              "run's hand-off cost; the TCP/IP stack's own per-packet cost is "
              "the same in every mode and is not estimated here (the emulators "
              "do not model the A9's timing)." % GBE)
    md.append("\n| mode | copying | hand-off (64 KiB buffers) | verdict |")
    md.append("|---|---:|---:|---|")
    # Hand-off from the guest that counts instructions (-icount): host-timed
    # emulation says nothing about a CPU's cost.
    src = "x86" if "x86" in data else next(iter(data))
    hos = [m["ns_per_buffer"] for m in data[src].get("micro", [])
           if m.get("handoff_batch") == 8]
    ho = hos[0] if hos else 1000.0
    per_s = GBE * 1e6 / 65536
    hand = 100 * per_s * ho / 1e9
    cached = 100 * GBE / A9_MEMCPY_CACHED_MB
    unc = 100 * GBE / A9_MEMCPY_UNCACHED_MB
    md.append("| copy (page pool, cached) | %.0f %% of a core | %.2f %% | "
              "possible, with that much of a core gone to copying |" % (cached, hand))
    md.append("| coherent-copy (classic driver) | %.0f %% of a core | %.2f %% | "
              "impossible: uncached reads cap it at ~%.0f MB/s, about half of "
              "GbE (the seed's 55 MB/s) |" % (unc, hand, A9_MEMCPY_UNCACHED_MB))
    md.append("| zerocopy / uring | 0 | %.2f %% | the copy is gone; what remains "
              "is the stack's per-packet work, which a GEM with checksum offload "
              "and scatter-gather keeps off the data |" % hand)
    md.append("\nHand-off: %.0f buffers/s of 64 KiB at %.0f ns each (batch 8, "
              "the %s guest's instruction-counted figure in this run; an A9 "
              "retires fewer instructions per ns, so take it as a floor)." % (per_s, ho, src))
    return md


def main():
    out = sys.argv[1]
    sep = sys.argv.index("--")
    guests = [a.split("=", 1) for a in sys.argv[2:sep]]
    command = " ".join(sys.argv[sep + 1:])
    data = {name: load(path) for name, path in guests}
    md = []
    md.append("# Benchmarks\n")
    md.append("Generated by `%s` from one run; every figure below comes from "
              "that run. The x86_64 guest runs under QEMU with "
              "`-icount shift=0,sleep=off` and one CPU, so its time counts "
              "guest instructions. The Zynq-7000 guest runs with host time "
              "(one TCG thread): its figures move with host load. Either way "
              "the figures compare modes with each other in the same boot, "
              "not with hardware. See docs/measuring.md for a real board.\n"
              % command)
    plot_rows = []
    for name, d in data.items():
        res = d["results"]
        micro = d.get("micro", [])
        md.append("\n## %s guest\n" % name)
        if "zynq" in name:
            md.append("Host-timed: this guest's clock and CPU accounting move "
                      "with TCG's speed and the host's load, not with a "
                      "Cortex-A9, so its MB/s, CPU per GB and hand-off figures "
                      "compare with nothing outside this table. What holds: "
                      "completions (not copied / copied), drops, and the "
                      "classic pool's EFAULT.\n")
        md.append("Payload rate, share of the GbE TCP ceiling (%.1f MB/s), CPU "
                  "seconds per GB moved (this process; whole system from "
                  "/proc/stat, softirq included), zero-copy completions "
                  "(not copied / copied), capture drops, 99th percentile "
                  "capture-to-release latency.\n" % GBE)
        md.append("| mode | buffer | MB/s | GbE % | process s/GB | system s/GB "
                  "| softirq s/GB | completions zc/copied | drops | p99 ms |")
        md.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for r in res:
            if r["error"]:
                md.append("| %s | %d KiB | %s | | | | | | | |"
                          % (r["mode"], r["buffer_size"] // 1024,
                             "fails: " + r["error_text"]))
                continue
            md.append("| %s | %d KiB | %.2f | %.1f | %.3f | %.3f | %.3f | %s | %d | %.2f |" % (
                r["mode"], r["buffer_size"] // 1024, r["MBps"], r["gbe_pct"],
                r["proc_cpu_s_per_GB"], r["sys_cpu_s_per_GB"],
                per_gb(r["sys_softirq_s"], r["bytes"]),
                ("%d/%d" % (r["completions"] - r["copied"], r["copied"])
                 if r["completions"] else "-"),
                r["drops"], r["latency_p99_ns"] / 1e6))
        mc = [m for m in micro if "memcpy_cpu_s_per_GB" in m]
        memcpy = mc[0]["memcpy_cpu_s_per_GB"] if mc else None
        if memcpy:
            md.append("\nCopying the same bytes with memcpy (cached page pool "
                      "to user memory) costs **%.3f CPU s/GB** here. Share of "
                      "that cost each zero-copy path removes, from the process "
                      "CPU difference to the copy path at the same buffer size "
                      "(target: >= 90%% at >= 64 KiB):\n" % memcpy)
            md.append("| buffer | mode | copy s/GB | mode s/GB | removed / memcpy cost |")
            md.append("|---:|---|---:|---:|---:|")
            by = {(r["mode"], r["buffer_size"]): r for r in res if not r["error"]}
            for (mode, size), r in sorted(by.items(), key=lambda x: (x[0][1], x[0][0])):
                if mode not in ("zerocopy", "uring"):
                    continue
                c = by.get(("copy", size))
                if not c:
                    continue
                removed = c["proc_cpu_s_per_GB"] - r["proc_cpu_s_per_GB"]
                md.append("| %d KiB | %s | %.3f | %.3f | %.0f %% |" % (
                    size // 1024, mode, c["proc_cpu_s_per_GB"],
                    r["proc_cpu_s_per_GB"], 100 * removed / memcpy))
            md.append("\nRead this with care: here the TCP stack's per-packet "
                      "work costs several times a memcpy of the same bytes, "
                      "and it moves from run to run with ACK timing (the "
                      "process pays for the softirq work it happens to run), "
                      "so a difference between two runs carries noise larger "
                      "than the whole memcpy cost. A board, with a real NIC "
                      "and clock (docs/measuring.md), settles this target.\n")
        ho = [m for m in micro if "handoff_batch" in m]
        if ho:
            md.append("\nBuffer hand-off (DEQUEUE + RETURN), process CPU per "
                      "buffer (target: <= 1 us at batch >= 8):\n")
            md.append("| batch | ns per buffer |")
            md.append("|---:|---:|")
            for m in ho:
                md.append("| %d | %.0f |" % (m["handoff_batch"], m["ns_per_buffer"]))
        su = [m for m in micro if "setup_MiB" in m]
        if su:
            md.append("\nPool setup (CONFIGURE + mmap of 1 MiB buffers), "
                      "allocation chunks and DMA segments per buffer; "
                      "'order 0 only' makes every high-order allocation fail, "
                      "as on fragmented memory:\n")
            md.append("| pool | pages | ms | chunks | max segments |")
            md.append("|---:|---|---:|---:|---:|")
            for m in su:
                md.append("| %d MiB | %s | %s | %d | %d |" % (
                    m["setup_MiB"], "order 0 only" if m["order0_only"] else "any order",
                    "%.1f" % m["ms"] if not m["error"] else "error %d" % m["error"],
                    m["chunks"], m["max_segments"]))
        md += targets(res, micro, memcpy)
        for r in res:
            if not r["error"] and r["mode"] != "capture":
                plot_rows.append((name, r["mode"], r["buffer_size"] // 1024,
                                  r["MBps"], r["proc_cpu_s_per_GB"]))
    md += paper_estimate(data)
    # The plot: throughput and CPU per GB against buffer size.
    dat = os.path.join(out, "benchmarks.dat")
    series = sorted({(g, m) for g, m, *_ in plot_rows})
    with open(dat, "w") as f:
        for g, m in series:
            f.write("# %s %s\n" % (g, m))
            for row in sorted(r for r in plot_rows if r[0] == g and r[1] == m):
                f.write("%d %.4f %.4f\n" % (row[2], row[3], row[4]))
            f.write("\n\n")
    png = os.path.join(out, "benchmarks.png")
    gp = ["set terminal png size 1200,500", "set output '%s'" % png,
          "set multiplot layout 1,2", "set logscale x 2",
          "set xlabel 'buffer size (KiB)'", "set key left top font ',8'",
          "set ylabel 'MB/s (guest time)'", "set title 'throughput'"]
    plots = ["'%s' index %d using 1:2 with linespoints title '%s %s'"
             % (dat, i, g, m) for i, (g, m) in enumerate(series)]
    gp.append("plot " + ", ".join(plots))
    gp += ["set ylabel 'process CPU s per GB'", "set title 'CPU per GB'"]
    plots = ["'%s' index %d using 1:3 with linespoints title '%s %s'"
             % (dat, i, g, m) for i, (g, m) in enumerate(series)]
    gp.append("plot " + ", ".join(plots))
    gp.append("unset multiplot")
    subprocess.run(["gnuplot"], input="\n".join(gp), text=True, check=True)
    os.remove(dat)
    md.insert(2, "\n![throughput and CPU per GB against buffer size](benchmarks.png)\n")
    with open(os.path.join(out, "benchmarks.md.gen"), "w") as f:
        f.write("\n".join(md) + "\n")


if __name__ == "__main__":
    main()
