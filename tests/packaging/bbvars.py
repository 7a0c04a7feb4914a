#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""A stand-in for BitBake's variable handling, enough for the layer's
recipes: layer.conf, then a recipe with its requires; =, ?=, ??=, :=, +=,
.=, line continuations, ${VAR} and ${@python} expansion (d.getVar, os).
Prints VAR=value for each variable asked for.

Usage: bbvars.py LAYERDIR RECIPE [VAR=VALUE...] -- VAR...
VAR=VALUE before -- stand for what bitbake.conf would set (UNPACKDIR...).
"""
import os
import re
import sys


class Data:
    def __init__(self):
        self.v = {}

    def getVar(self, name, expand=True):
        if name not in self.v:
            return None
        return self.expand(self.v[name]) if expand else self.v[name]

    def setVar(self, name, value):
        self.v[name] = value

    def expand(self, s, depth=0):
        if depth > 50:
            raise ValueError("recursive expansion: " + s)
        d = self

        def py(m):
            return str(eval(m.group(1), {"d": d, "os": os}))

        def var(m):
            val = self.getVar(m.group(1))
            return m.group(0) if val is None else val
        prev = None
        while prev != s:
            prev = s
            s = re.sub(r"\$\{@(.+?)\}(?![^{]*\})", py, s)
            s = re.sub(r"\$\{([A-Za-z0-9_:-]+)\}", var, s)
        return s


ASSIGN = re.compile(r'^([A-Za-z0-9_:${}\[\]-]+)\s*(\?\?=|\?=|:=|\+=|\.=|=)\s*"(.*)"\s*$')


def parse(d, path, layerdir):
    with open(path) as f:
        text = f.read().replace("\\\n", " ")
    infunc = False
    for line in text.splitlines():
        s = line.strip()
        if infunc:
            infunc = s != "}"
            continue
        if not s or s.startswith("#"):
            continue
        if re.match(r"^[A-Za-z0-9_:-]+\(\)\s*\{$", s):
            infunc = True
            continue
        if s.startswith("require ") or s.startswith("include "):
            parse(d, os.path.join(layerdir, d.expand(s.split(None, 1)[1])),
                  layerdir)
            continue
        if s.startswith("inherit "):
            d.setVar("INHERIT_LIST", (d.getVar("INHERIT_LIST", False) or "")
                     + " " + s[8:])
            continue
        m = ASSIGN.match(s)
        if not m:
            raise SyntaxError("%s: cannot parse: %s" % (path, s))
        name, op, val = m.groups()
        name = d.expand(name) if name.startswith("$") else name
        if op == "=":
            d.setVar(name, val)
        elif op in ("?=", "??="):
            if d.getVar(name, False) is None:
                d.setVar(name, val)
        elif op == ":=":
            d.setVar(name, d.expand(val))
        elif op == "+=":
            d.setVar(name, ((d.getVar(name, False) or "") + " " + val).strip())
        elif op == ".=":
            d.setVar(name, (d.getVar(name, False) or "") + val)


def main():
    layerdir, recipe = sys.argv[1], sys.argv[2]
    rest = sys.argv[3:]
    sep = rest.index("--")
    d = Data()
    d.setVar("LAYERDIR", layerdir)
    d.setVar("FILE", recipe)
    d.setVar("FILE_DIRNAME", os.path.dirname(recipe))
    for kv in rest[:sep]:
        k, v = kv.split("=", 1)
        d.setVar(k, v)
    parse(d, os.path.join(layerdir, "conf", "layer.conf"), layerdir)
    parse(d, recipe, layerdir)
    for name in rest[sep + 1:]:
        val = d.getVar(name)
        print("%s=%s" % (name, "" if val is None else val))


main()
