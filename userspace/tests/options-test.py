#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Every tool's options against the vocabulary in docs/options.md. TAP.

For each tool: the options its --help lists are the table's rows for that
tool (short letter, long name, argument), save the rows of "Not yet in this
vocabulary", which hold the tool to its column "now"; every option with an
argument refuses a missing one, and a wrong one (a number, a HOST:PORT, a
mode) with exit 2 and the option's name, before any device is touched; the
table's aliases are accepted; an unknown option gets a short usage error
(exit 2, at most two lines); --version names the project's version.

Usage: options-test.py BIN_DIR TOP
"""
import os
import re
import subprocess
import sys

BIN, TOP = sys.argv[1], sys.argv[2]
# Every tool the build made: a new one is held to the table too.
TOOLS = sorted(f[len("fpgacap-"):] for f in os.listdir(BIN)
               if f.startswith("fpgacap-"))
VERSION = open(os.path.join(TOP, "VERSION")).read().strip()
NODEV = "/nonexistent/fpgacap-options-test"
# What each tool needs besides the option under test, to reach its parser's
# end without a device: a device that does not exist, a destination.
CONTEXT = {
    "stream": (["-d", NODEV], ["127.0.0.1:9"]),
    "sink": ([], []),
    "ctl": (["-d", NODEV], ["info"]),
    "bench": (["-d", NODEV], []),
    "iiod": (["-d", NODEV], []),
}

n = 0
failed = 0


def result(ok, name, diag=""):
    global n, failed
    n += 1
    print("%s %d %s" % ("ok" if ok else "not ok", n, name))
    if not ok:
        failed += 1
        for line in diag.rstrip().splitlines()[:25]:
            print("# " + line)


def spec(text):
    """(short, long, arg) of "`-x, --long`" / "`--long ARG`" text."""
    m = re.search(r"`(?:-(\w), )?--([a-z0-9-]+)(?: ([A-Z][A-Z0-9:_]*))?`", text)
    if not m:
        return None
    return (m.group(1) or "", m.group(2), m.group(3) or "")


def read_table():
    rows, pending, aliases = {}, {}, {}
    section = ""
    for line in open(os.path.join(TOP, "docs", "options.md")):
        if line.startswith("## "):
            section = line[3:].strip()
            continue
        if not line.startswith("| ") or line.startswith("|---"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if section.startswith("Not yet"):
            if cells[0] == "tool":
                continue
            tool, now, becomes = cells
            pending.setdefault(tool, []).append(
                (spec(now) if not now.startswith("(no") else None,
                 spec(becomes), now))
            continue
        if cells[0] == "option" or section.startswith("iperf3"):
            continue
        opt, arg, means, tools = cells
        s = spec(opt)
        if not s:
            raise SystemExit("docs/options.md: no option in: " + line)
        s = (s[0], s[1], arg)
        for t in tools.split():
            rows.setdefault(t, set()).add(s)
        for a, only in re.findall(r"`(--[a-z-]+)` is the same(?: in (\w+))?",
                                  means):
            for t in [only] if only else tools.split():
                aliases.setdefault(t, set()).add(a)
    return rows, pending, aliases


def help_options(text):
    opts = set()
    for line in text.splitlines():
        m = re.match(r"^(?:  -(\w), |      )--([a-z0-9-]+)"
                     r"(?: ([A-Z][A-Z0-9:_]*)(?=\s|$))?", line)
        if m:
            opts.add((m.group(1) or "", m.group(2), m.group(3) or ""))
    return opts


def run(tool, args):
    p = subprocess.run([os.path.join(BIN, "fpgacap-" + tool)] + args,
                       stdin=subprocess.DEVNULL, capture_output=True,
                       text=True, timeout=20)
    return p.returncode, p.stdout, p.stderr


def fmt(o):
    return ("-%s, " % o[0] if o[0] else "") + "--" + o[1] + \
        (" " + o[2] if o[2] else "")


BAD = {"N": "nan", "BYTES": "12X", "SECONDS": "-1", "PCT": "nan",
       "PORT": "70000", "HOST:PORT": "1.2.3.4:99999", "MODE": "nosuchmode",
       "LIST": "16K,x"}

print("TAP version 13")
rows, pending, aliases = read_table()
for tool in TOOLS:
    pre, post = CONTEXT.get(tool, (["-d", NODEV], []))
    rc, out, err = run(tool, ["--help"])
    have = help_options(out)
    want = set(rows.get(tool, set()))
    no_J = any("without `-J`" in text for _, _, text in pending.get(tool, []))
    for now, becomes, _ in pending.get(tool, []):
        want.discard(becomes)
        if now:
            want.add(now)
    diag = "".join("not in --help: %s\n" % fmt(o) for o in sorted(want - have))
    diag += "".join("not in docs/options.md: %s\n" % fmt(o)
                    for o in sorted(have - want))
    result(rc == 0 and have == want and have,
           "fpgacap-%s: --help lists the options docs/options.md gives it "
           "(%d)" % (tool, len(want)), diag or err)

    # Every option with an argument: missing, then wrong.
    bad = []
    for short, long, arg in sorted(have):
        if not arg:
            continue
        rc, out, err = run(tool, pre + ["--" + long])
        if rc != 2 or "requires an argument" not in err:
            bad.append("--%s without its argument: exit %d, %s" %
                       (long, rc, err.strip()))
        if arg in BAD:
            rc, out, err = run(tool, pre + ["--" + long, BAD[arg]] + post)
            if rc != 2 or ("--" + long) not in err or NODEV in err:
                bad.append("--%s %s: exit %d, %s" % (long, BAD[arg], rc,
                                                    err.strip()))
    result(not bad, "fpgacap-%s: a missing or wrong argument is a usage "
           "error naming the option, before the device" % tool,
           "\n".join(bad))

    # Aliases the table names, and iperf3's -J.
    bad = []
    for a in sorted(aliases.get(tool, set())):
        rc, out, err = run(tool, pre + [a])
        if "unrecognized" in err or rc != 2:
            bad.append("%s: exit %d, %s" % (a, rc, err.strip()))
    if not no_J:
        rc, out, err = run(tool, ["-J", "--help"])
        if rc != 0:
            bad.append("-J: exit %d, %s" % (rc, err.strip()))
    result(not bad, "fpgacap-%s: aliases %s%s accepted" %
           (tool, " ".join(sorted(aliases.get(tool, set()))) or "(none)",
            "" if no_J else " and -J"), "\n".join(bad))

    rc, out, err = run(tool, ["--no-such-option"])
    result(rc == 2 and 0 < len(err.strip().splitlines()) <= 2 and not out,
           "fpgacap-%s: an unknown option: exit 2, two lines at most" % tool,
           "exit %d\n%s%s" % (rc, out, err))

    rc, out, err = run(tool, ["--version"])
    result(rc == 0 and re.search(r"\b%s\b" % re.escape(VERSION),
                                 out.splitlines()[0] if out else ""),
           "fpgacap-%s --version: %s" % (tool, VERSION),
           "exit %d\n%s%s" % (rc, out, err))

# The table has no row that no tool has, and no pending row that is done.
unused = ["%s: %s" % (t, text) for t in pending for now, becomes, text in
          pending[t] if becomes not in rows.get(t, set())]
result(not unused, "docs/options.md: every pending change ends in a row of "
       "the table", "\n".join(unused))
print("1..%d" % n)
sys.exit(1 if failed else 0)
