#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""fpgacap-iiod against Debian's libiio 0.24, from this host.

Boots TARGET's guest with the iiod job (tests/guest/job-iiod.sh), which
runs fpgacap-iiod; this host reaches it through a QEMU host forward bound
to 127.0.0.1 (user networking, restrict=on). Then unmodified libiio
clients (iio_info, iio_attr, iio_readdev, Python's iio) and hand-made bad
clients talk to it, every sample read is checked against the pattern, and
the server's own summary (printed by the guest when it stops) is checked
last. Prints TAP.

  tests/iiod/iiod_test.py TARGET            the tests
  tests/iiod/iiod_test.py TARGET --bench    zero-copy against copy, CPU/GB
  tests/iiod/iiod_test.py TARGET --port PORT
      the tests against a server already listening on 127.0.0.1:PORT, no
      guest (the host build's fpgacap-iiod-fakedev started as the guest's
      job starts the server: docs/libiio.md, "Tests"); there the zero-copy
      counts and the client address fail by design, loopback copying and
      the client being 127.0.0.1
"""
import argparse
import array
import json
import os
import random
import re
import select
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# As tests/lib/common.sh: the work directory defaults to the cache, which
# defaults to ~/.cache/fpgacap (a run with FPGACAP_CACHE alone set reads
# its guests' logs there, not a stale one from the default cache).
WORK = os.environ.get("FPGACAP_WORK") or os.environ.get("FPGACAP_CACHE") or \
    os.path.join(os.environ.get("XDG_CACHE_HOME") or
                 os.path.expanduser("~/.cache"), "fpgacap")
IIOD_PORT = 30431
ECHO_PORT = 30433     # the guest's bare echo server (iiod_peer echo)


def say(*a):
    print("[iiod]", *a, file=sys.stderr, flush=True)


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def result(self, ok, name, diag=""):
        self.n += 1
        if ok:
            print(f"ok {self.n} {name}", flush=True)
        else:
            self.failed += 1
            print(f"not ok {self.n} {name}", flush=True)
            for line in str(diag).splitlines()[-25:]:
                print(f"# {line}", flush=True)
        return ok

    def skip(self, name, why):
        self.n += 1
        print(f"ok {self.n} {name} # SKIP {why}", flush=True)

    def end(self):
        print(f"1..{self.n}", flush=True)
        return self.failed == 0


def mostly_zerocopy(completions, copied):
    """Sent from the pages: at most a quarter of the completions copied (a
    path that copies copies them all). Over e1000 a window probe of a few
    bytes to the emulator's TCP peer, which does not use timestamps, makes
    a frame under 60 bytes that the driver pads by linearising, copying
    that send (tests/selftests/stream_e2e_test.c)."""
    return 4 * copied <= completions


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


# ---- the protocol by hand, for what libiio's clients never do ----

class Raw:
    """A connection speaking the protocol line by line."""

    def __init__(self, port, rcvbuf=None, timeout=20):
        self.s = socket.socket()
        if rcvbuf:
            self.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.s.settimeout(timeout)
        self.s.connect(("127.0.0.1", port))
        self.buf = b""

    def send(self, data):
        self.s.sendall(data)

    def line(self):
        while b"\n" not in self.buf:
            d = self.s.recv(65536)
            if not d:
                raise EOFError("connection closed")
            self.buf += d
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode(errors="replace").rstrip("\r")

    def read(self, n):
        while len(self.buf) < n:
            d = self.s.recv(max(65536, n - len(self.buf)))
            if not d:
                raise EOFError("connection closed")
            self.buf += d
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def cmd(self, text):
        self.send(text.encode() + b"\r\n")
        return int(self.line())

    def closed(self, wait=5.0):
        """True once the server closed or reset the connection."""
        self.s.settimeout(wait)
        try:
            while True:
                if not self.s.recv(65536):
                    return True
        except (ConnectionResetError, BrokenPipeError):
            return True
        except socket.timeout:
            return False

    def close(self, reset=False):
        if reset:
            self.s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                              b"\x01\x00\x00\x00\x00\x00\x00\x00")
        self.s.close()


class Streaming:
    """A client that streams (and keeps reading) until the server goes,
    or until stop()."""

    def __init__(self, port, dev="fpgacap0"):
        self.r = Raw(port)
        self.got = 0
        self.ended = False
        if self.r.cmd(f"OPEN {dev} 65536 00000001"):
            return
        self.r.send(f"READBUF {dev} 1099511627776\r\n".encode())
        threading.Thread(target=self.run, daemon=True).start()
        end = time.time() + 30
        while not self.got and time.time() < end:
            time.sleep(0.1)

    def run(self):
        self.r.s.settimeout(None)
        try:
            while True:
                d = self.r.s.recv(65536)
                if not d:
                    break
                self.got += len(d)
                time.sleep(0.002)
        except OSError:
            pass
        self.ended = True

    def stop(self):
        self.r.close(reset=True)
        end = time.time() + 10
        while not self.ended and time.time() < end:
            time.sleep(0.1)


def closed_ones(socks, wait, settle):
    """Which of @socks the server closed: the first within @wait seconds,
    then any other within @settle more."""
    gone = [False] * len(socks)
    end = time.time() + wait
    while time.time() < end:
        live = [s for s, g in zip(socks, gone) if not g]
        if not live:
            break
        ready, _, _ = select.select(live, [], [], max(0, end - time.time()))
        for s in ready:
            try:
                if s.recv(65536):
                    continue
            except OSError:
                pass
            gone[socks.index(s)] = True
        if any(gone):
            end = min(end, time.time() + settle)
    return gone


def server_ready(port):
    try:
        r = Raw(port, timeout=3)
        r.send(b"VERSION\r\n")
        v = r.line()
        r.close()
        return v.startswith("0.24.")
    except (OSError, EOFError):
        return False


# ---- checking samples ----

def words(data):
    a = array.array("Q")
    a.frombytes(data[: len(data) - len(data) % 8])
    if sys.byteorder != "little":
        a.byteswap()
    return a


def pattern_ok(data, first_word=0, modulo=None):
    """The pattern: the word at stream offset 8k holds k (mod a window)."""
    w = words(data)
    for i, v in enumerate(w):
        k = first_word + i
        if modulo:
            k %= modulo
        if v != k:
            return False, f"word {i}: {v:#x}, expected {k:#x}"
    return True, ""


def pattern_bytes(first, n):
    """Bytes [first, first + n) of the pattern stream."""
    w0, w1 = first // 8, (first + n + 7) // 8
    a = array.array("Q", range(w0, w1))
    if sys.byteorder != "little":
        a.byteswap()
    b = a.tobytes()
    return b[first - 8 * w0: first - 8 * w0 + n]


class Layout:
    """A device's channels as the job configures them: (storage bytes,
    index) in scan order; libiio's rule places each element, aligned to
    its own size, in the order of the enabled ones."""

    def __init__(self, elements):
        self.el = elements

    def place(self, on):
        size, at = 0, {}
        prev = None
        for k, (n, idx) in enumerate(self.el):
            if not on[k]:
                continue
            if prev is not None and self.el[prev][1] == idx:
                at[k] = at[prev]
                prev = k
                continue
            o = size + (n - size % n) % n
            at[k] = o
            size = o + n
            prev = k
        return at, size

    def sample_size(self, on=None):
        return self.place(on or [True] * len(self.el))[1]

    def expect(self, on, first_sample, nsamples):
        """What a client with channels @on gets: samples cut from the
        pattern stream, its channels copied out of each."""
        full_at, full = self.place([True] * len(self.el))
        at, size = self.place(on)
        src = pattern_bytes(first_sample * full, nsamples * full)
        if size == full and all(on):
            return src
        if all(n == 2 for n, _ in self.el) and \
                len({i for _, i in self.el}) == len(self.el):
            # 16-bit lanes: strided copies, fast enough for the bench.
            lanes, k = len(self.el), sum(on)
            a, out = array.array("H"), array.array("H", bytes(nsamples * size))
            a.frombytes(src)
            for j, lane in enumerate(i for i, v in enumerate(on) if v):
                out[j::k] = a[lane::lanes]
            return out.tobytes()
        out = bytearray(nsamples * size)
        for k, (n, _) in enumerate(self.el):
            if not on[k]:
                continue
            for j in range(nsamples):
                out[j * size + at[k]: j * size + at[k] + n] = \
                    src[j * full + full_at[k]: j * full + full_at[k] + n]
        return bytes(out)


U16x4 = Layout([(2, 0), (2, 1), (2, 2), (2, 3)])
U16x3 = Layout([(2, 0), (2, 1), (2, 2)])
U64 = Layout([(8, 0)])


def mask_of(on):
    m = sum(1 << k for k, v in enumerate(on) if v)
    return f"{m:08x}"


def subsets(n):
    """Every non-empty channel subset of n channels, as lists of bools."""
    return [[bool(m >> k & 1) for k in range(n)] for m in range(1, 1 << n)]


class Legacy10:
    """What a libiio 1.0 client (main branch, network backend) does on the
    wire against a server without its binary protocol, written here from
    reading its source: every connection first asks for BINARY and, when
    refused, goes on with the text protocol after TIMEOUT (half its own
    5 s); a context asks ZPRINT, then PRINT; a buffer is a connection of
    its own where starting is OPEN, stopping CLOSE (and a restart OPEN
    again on the same socket), and each block is one READBUF whose reply
    it takes as the whole block, whatever its length (block.c ignores the
    count). Every read waits at most 5 s, as the client's do."""

    TIMEOUT_S = 5.0

    def __init__(self, port, timeout_ms=5000):
        self.r = Raw(port, timeout=self.TIMEOUT_S)
        self.binary = self.r.cmd("BINARY")
        remote = 0 if timeout_ms < 0 else timeout_ms // 2
        self.timeout_reply = self.r.cmd(f"TIMEOUT {remote}")

    def context_xml(self):
        rc = self.r.cmd("ZPRINT")
        if rc != -22:
            raise RuntimeError(f"ZPRINT answered {rc}")
        n = self.r.cmd("PRINT")
        xml = self.r.read(n + 1)
        return xml[:-1].decode()

    def open(self, dev, samples, mask):
        return self.r.cmd(f"OPEN {dev} {samples} {mask}")

    def close(self, dev):
        return self.r.cmd(f"CLOSE {dev}")

    def block(self, dev, nbytes):
        """One block: (bytes, error). The client reads chunks until the
        request is filled or a 0 ends it, and takes the block as full."""
        self.r.send(f"READBUF {dev} {nbytes}\r\n".encode())
        data, first, left = b"", True, nbytes
        while left:
            n = int(self.r.line())
            if n < 0:
                return data, n
            if not n:
                break
            if first:
                self.mask = self.r.line()
                first = False
            data += self.r.read(n)
            left -= n
        return data, 0

    def exit(self):
        self.r.send(b"\r\nEXIT\r\n")
        self.r.close()


class Iiod:
    """The clients, run against one server."""

    def __init__(self, port, tap, target, scale, echo_port=None,
                 icount=False):
        self.port = port
        self.icount = icount
        self.echo_port = echo_port
        self.uri = f"ip:127.0.0.1:{port}"
        self.tap = tap
        self.target = target
        self.scale = scale
        self.verified = 0
        self.tmp = tempfile.mkdtemp(prefix="fpgacap-iiod-")

    def run(self, *argv, timeout=300):
        return subprocess.run(argv, capture_output=True, timeout=timeout)

    def attr(self, dev, name):
        r = self.run("iio_attr", "-u", self.uri, "-d", dev, name)
        if r.returncode:
            raise RuntimeError(f"iio_attr {dev} {name}: {r.stderr.decode()}")
        return r.stdout.decode().strip()

    def set_attr(self, dev, name, value):
        r = self.run("iio_attr", "-u", self.uri, "-d", dev, name, str(value))
        return r.returncode == 0, (r.stdout + r.stderr).decode()

    def wait_idle(self, dev, seconds):
        end = time.time() + seconds
        while time.time() < end:
            if self.attr(dev, "state") == "idle":
                return True
            time.sleep(0.2)
        return False

    def readdev(self, dev, bufsize, samples, *channels, modulo=None):
        out = os.path.join(self.tmp, "readdev.bin")
        with open(out, "wb") as f:
            r = subprocess.run(["iio_readdev", "-u", self.uri, "-b",
                                str(bufsize), "-s", str(samples), dev,
                                *channels], stdout=f, stderr=subprocess.PIPE,
                               timeout=600)
        with open(out, "rb") as f:
            data = f.read()
        os.unlink(out)
        return r.returncode, data, r.stderr.decode()

    def check_readdev(self, name, dev, bufsize, samples, modulo=None):
        rc, data, err = self.readdev(dev, bufsize, samples)
        ok, why = pattern_ok(data, 0, modulo)
        good = rc == 0 and len(data) == samples * 8 and ok
        if good:
            self.verified += len(data)
        return self.tap.result(
            good, name, f"rc {rc}, {len(data)} bytes of {samples * 8}; "
            f"{why}\n{err}")

    # ---- the tests ----

    def t_info(self):
        r = self.run("iio_info", "-u", self.uri)
        out = r.stdout.decode()
        self.info = out
        self.tap.result(
            r.returncode == 0 and
            re.search(r"iio:device[0-9]+: fpgacap0 \(buffer capable\)",
                      out) and
            # iio_info writes S/U where every stored bit is data.
            re.search(r"count0: pattern \(input, index: 0, format: "
                      r"le:U64/64>>0\)", out) and
            re.search(r"iio:device[0-9]+: adc \(buffer capable\)", out)
            and "ERROR" not in out,
            "iio_info lists the devices, their channels and attributes",
            out + r.stderr.decode())
        self.tap.result(
            "voltage2:  (input, index: 2, format: le:s12/16>>4)" in out and
            "voltage0: lane0 (input, index: 0, format: le:U16/16>>0)" in out,
            "iio_info shows the configured channels' formats", out)
        self.tap.result(
            self.attr("fpgacap0", "sample_size") == "8" and
            self.attr("adc", "sample_size") == "8" and
            self.attr("fpgacap0", "source") == "pattern",
            "iio_attr reads device attributes")

    def t_readdev(self):
        n = 262144 // self.scale
        self.check_readdev(f"iio_readdev -b 65536 -s {n}: every sample is "
                           "the pattern", "fpgacap0", 65536, n)
        self.check_readdev("iio_readdev -b 1000 (requests inside a pool "
                           "buffer)", "fpgacap0", 1000, 20000)
        n = 400000 // self.scale
        self.check_readdev("iio_readdev -b 100000 (requests across pool "
                           "buffers)", "fpgacap0", 100000, n)
        self.check_readdev("iio_readdev -b 7 (odd requests, partial "
                           "buffers)", "fpgacap0", 7, 7001 // self.scale)

    def t_python(self):
        import iio
        ctx = iio.Context(self.uri)
        dev = ctx.find_device("fpgacap0")
        for c in dev.channels:
            c.enabled = True
        buf = iio.Buffer(dev, 16384, False)
        good, why, total = True, "", 0
        for i in range(4):
            buf.refill()
            data = buf.read()
            ok, w = pattern_ok(data, total // 8)
            if not ok or len(data) != 16384 * 8:
                good, why = False, f"refill {i}: {len(data)} bytes; {w}"
                break
            total += len(data)
        del buf
        self.verified += total
        self.tap.result(good, "Python iio.Context: four refills, continuous "
                        "pattern", why)

        # Two of the adc's four lanes: the server sends those two only
        # (copied out of each sample) with the client's own mask.
        adc = ctx.find_device("adc")
        v0, v2 = adc.find_channel("voltage0"), adc.find_channel("voltage2")
        v0.enabled = v2.enabled = True
        buf = iio.Buffer(adc, 4096, False)
        good, why, j0 = True, "", 0
        for i in range(3):
            buf.refill()
            raw0 = array.array("H", v0.read(buf, True))
            raw2 = array.array("H", v2.read(buf, True))
            conv2 = array.array("h", v2.read(buf, False))
            if len(raw0) != 4096 or len(raw2) != 4096:
                good, why = False, f"refill {i}: {len(raw0)} samples"
                break
            for k in range(len(raw0)):
                j = j0 + k
                word2 = (j >> 32) & 0xFFFF
                val2 = (word2 >> 4) & 0xFFF
                val2 = val2 - 0x1000 if val2 & 0x800 else val2
                if raw0[k] != j & 0xFFFF or raw2[k] != word2 or \
                        conv2[k] != val2:
                    good, why = False, (f"refill {i} sample {k}: "
                                        f"{raw0[k]} {raw2[k]} {conv2[k]}")
                    break
            if not good:
                break
            j0 += len(raw0)
        del buf
        self.verified += j0 * 8
        self.tap.result(good, "Python: two of four interleaved 16-bit "
                        "channels, raw and converted", why)
        self.tap.result(
            v2.attrs["scale"].value == "0.5" and
            adc.find_channel("voltage3").attrs["offset"].value == "-3",
            "channel attributes from the configuration")
        rc, data, err = self.readdev("adc", 500, 3000, "voltage0")
        lanes = array.array("H", data)
        self.tap.result(
            rc == 0 and list(lanes) == [j & 0xFFFF for j in range(3000)],
            "iio_readdev of one channel of the adc", f"rc {rc} {err}")
        dev.set_kernel_buffers_count(8)
        self.tap.result(self.attr("fpgacap0", "buffer_count") == "8",
                        "Python set_kernel_buffers_count: SET BUFFERS_COUNT")
        dev.set_kernel_buffers_count(16)
        del ctx

    def zc_counts(self):
        return (int(self.attr("fpgacap0", "zerocopy_completions")),
                int(self.attr("fpgacap0", "copied_completions")))

    def t_modes(self):
        c0, k0 = self.zc_counts()
        self.tap.result(
            c0 > 0 and mostly_zerocopy(c0, k0) and
            self.attr("fpgacap0", "send_mode_used") == "zerocopy" and
            self.attr("fpgacap0", "unreleased_buffers") == "0",
            f"MSG_ZEROCOPY: {c0} completions so far, {k0} copied, every "
            "buffer given back", f"{c0} {k0}")
        for mode in ("uring", "copy"):
            if mode not in self.attr("fpgacap0", "send_mode_available"):
                self.tap.skip(f"send_mode {mode}", "not built")
                continue
            ok, out = self.set_attr("fpgacap0", "send_mode", mode)
            c1, k1 = self.zc_counts()
            self.check_readdev(f"send_mode {mode}: iio_readdev verified",
                               "fpgacap0", 65536, 65536 // self.scale)
            # The session's last completions count once it has ended
            # (iio_readdev leaves without CLOSE: the server notices after).
            idle = self.wait_idle("fpgacap0", 10)
            c2, k2 = self.zc_counts()
            used = self.attr("fpgacap0", "send_mode_used")
            if mode == "copy":
                good = ok and idle and used == "copy" and c2 == c1 and \
                    k2 == k1
            else:
                good = ok and idle and used == "uring" and c2 > c1 and \
                    mostly_zerocopy(c2 - c1, k2 - k1)
            self.tap.result(good, f"send_mode {mode}: used {used}, "
                            f"completions {c2 - c1}, copied {k2 - k1}", out)
        self.set_attr("fpgacap0", "send_mode", "zerocopy")

    def t_attrs(self):
        ok, out = self.set_attr("fpgacap0", "buffer_size", 65536)
        self.tap.result(ok and self.attr("fpgacap0", "buffer_size") ==
                        "65536", "buffer_size written", out)
        self.check_readdev("64 KiB pool buffers: iio_readdev verified",
                           "fpgacap0", 30000, 100000 // self.scale)
        ok, out = self.set_attr("fpgacap0", "buffer_size", 12345)
        self.tap.result(not ok and self.attr("fpgacap0", "buffer_size") ==
                        "65536", "buffer_size: not a page multiple, refused",
                        out)
        ok, out = self.set_attr("fpgacap0", "buffer_size", 262144)
        ok2, out2 = self.set_attr("fpgacap0", "sample_size", 4)
        self.tap.result(ok and not ok2, "read-only attributes refuse writes",
                        out + out2)

    def t_busy(self):
        import iio
        ctx = iio.Context(self.uri)
        dev = ctx.find_device("fpgacap0")
        dev.channels[0].enabled = True
        refused = int(self.attr("fpgacap0", "refused_busy"))
        buf = iio.Buffer(dev, 4096, False)
        buf.refill()
        first = buf.read()
        rc, data, err = self.readdev("fpgacap0", 4096, 4096)
        state, client = self.attr("fpgacap0", "state"), \
            self.attr("fpgacap0", "client")
        ok, _ = self.set_attr("fpgacap0", "buffer_size", 65536)
        self.tap.result(
            rc != 0 and "busy" in err.lower() and
            int(self.attr("fpgacap0", "refused_busy")) == refused + 1 and
            state == "streaming" and client.startswith("10.0.2.2:") and
            not ok,
            "a second client: EBUSY; the owner streams on", f"{rc} {err} "
            f"{state} {client}")
        # Bad clients while the owner streams: garbage, a READBUF on a
        # device it does not own, a connection reset mid-command.
        bad = Raw(self.port)
        bad.send(bytes(random.Random(7).randrange(256) for _ in range(2000))
                 + b"\r\nVERSION\r\n")
        while not bad.line().startswith("0.24"):
            pass
        stolen = bad.cmd("READBUF fpgacap0 65536")
        bad.send(b"OPEN fpgacap0 655")
        bad.close(reset=True)
        buf.refill()
        second = buf.read()
        okp, why = pattern_ok(first + second)
        self.tap.result(okp and stolen == -9 and
                        self.attr("fpgacap0", "state") == "streaming",
                        "the owner's stream unharmed by a refused client, "
                        "garbage, a READBUF it does not own and a reset",
                        f"{why} READBUF {stolen}")
        del buf
        del ctx
        self.tap.result(self.wait_idle("fpgacap0", 10),
                        "the device is free once the owner closes")
        self.check_readdev("then the next client streams",
                           "fpgacap0", 65536, 65536 // self.scale)

    def t_disconnect(self):
        for reset in (False, True):
            how = "reset" if reset else "closed"
            r = Raw(self.port)
            rc = r.cmd("OPEN fpgacap0 65536 00000001")
            if rc:
                raise RuntimeError(f"OPEN: {rc}")
            r.send(b"READBUF fpgacap0 268435456\r\n")
            n = int(r.line())
            mask = r.line()
            part = r.read(100000)
            ok, _ = pattern_ok(part)
            r.close(reset)
            idle = self.wait_idle("fpgacap0", 15)
            self.tap.result(
                rc == 0 and n > 0 and mask == "00000001" and ok and idle,
                f"a client {how} mid-buffer: the device is released",
                f"{rc} {n} {mask} {ok} {idle}")
            self.check_readdev(f"after it ({how}) the next stream starts "
                               "at word 0", "fpgacap0", 65536,
                               65536 // self.scale)
        self.tap.result(self.attr("fpgacap0", "unreleased_buffers") == "0",
                        "every buffer came back after its completion")

    def t_garbage(self):
        r = Raw(self.port)
        rnd = random.Random(15)
        junk = bytes(rnd.randrange(256) for _ in range(4000))
        lines = junk.count(b"\n")
        r.send(junk + b"\r\nVERSION\r\n")
        replies = []
        while True:
            line = r.line()
            replies.append(line)
            if line.startswith("0.24"):
                break
        # Past the line limit: skipped whole, one -EINVAL.
        r.send(b"A" * 10000 + b"\r\nVERSION\r\n")
        a, b = r.line(), r.line()
        self.tap.result(
            all(x in ("-22", "") or x.startswith("-") for x in replies[:-1])
            and len(replies) <= lines + 2 and a == "-22" and
            b == "0.24.fpgacap",
            "garbage and an overlong line: -EINVAL, then the next command",
            f"{replies[-5:]} {a} {b}")
        tests = [
            ("READ fpgacap0 no_such_attribute", -2),
            ("READ nodevice sample_size", -19),
            ("READ fpgacap0 INPUT nochannel scale", -6),
            ("WRITE fpgacap0 buffer_count 99999999999999999999", -22),
            ("READBUF fpgacap0 18446744073709551615", -9),
            ("OPEN fpgacap0 99999999999999999999 00000001", -22),
            ("OPEN fpgacap0 16 0000001", -22),
            ("OPEN fpgacap0 16 00000002", -22),
            ("OPEN fpgacap0 16 00000000", -22),
            ("OPEN fpgacap0 16 00000001 CYCLIC", -95),
            ("CLOSE fpgacap0", -6),
            ("WRITEBUF fpgacap0 4096", -95),
            ("GETTRIG fpgacap0", -2),
            ("TIMEOUT -1", -22),
            ("ZPRINT", -22),
            ("BINARY", -22),
            ("READ adc BUFFER nosuch", -2),
            ("WRITE adc BUFFER length 2\r\n16", -13),
        ]
        got = [(t, r.cmd(t)) for t, _ in tests]
        bad = [(t, g, e) for (t, g), (_, e) in zip(got, tests) if g != e]
        self.tap.result(not bad, "bad commands get the protocol's negative "
                        "errno", bad)
        r.send(b"WRITE fpgacap0 buffer_count 100000\r\n" + b"9" * 100000)
        skipped = int(r.line())
        r.send(b"VERSION\r\n")
        after = r.line()
        rc = r.cmd("WRITE fpgacap0 buffer_count 2000000")
        gone = r.closed()
        self.tap.result(
            skipped == -27 and after == "0.24.fpgacap" and rc == -27 and gone,
            "huge lengths: a payload skipped to stay in step, a larger one "
            "ends the connection", f"{skipped} {after} {rc} {gone}")
        self.check_readdev("after the bad clients: verified", "fpgacap0",
                           65536, 65536 // self.scale)

    def t_stall(self):
        r = Raw(self.port, rcvbuf=4096)
        rc = r.cmd("OPEN fpgacap0 65536 00000001")
        r.send(b"READBUF fpgacap0 1073741824\r\n")
        t0 = time.time()
        idle = self.wait_idle("fpgacap0", 60)
        waited = time.time() - t0
        last = self.attr("fpgacap0", "last_session")
        gone = r.closed(10)
        r.close()
        self.tap.result(
            rc == 0 and idle and "ended_by=stall" in last and
            "unreleased=0" in last and gone,
            f"a client that stops reading is reset after the stall time "
            f"({waited:.1f} s), its buffers come back",
            f"{rc} {idle} {last} {gone}")
        self.check_readdev("after the stall: verified", "fpgacap0", 65536,
                           65536 // self.scale)

    # ---- odd sample sizes, channel subsets ----

    def readdev_check(self, name, dev, layout, on, chans, bufsize, samples):
        rc, data, err = self.readdev(dev, bufsize, samples, *chans)
        want = layout.expect(on, 0, samples)
        good = rc == 0 and data == want
        why = f"rc {rc}, {len(data)} bytes of {len(want)}"
        if rc == 0 and len(data) == len(want) and data != want:
            i = next(i for i in range(len(data)) if data[i] != want[i])
            why += f"; first wrong byte at {i}"
        if good:
            self.verified += len(data)
        return self.tap.result(good, name, why + "\n" + err)

    def t_odd_sizes(self):
        """Three u16 channels: 6-byte samples, which straddle the 64 KiB
        pool buffers; requests of every size; every channel subset."""
        names = ["voltage0", "voltage1", "voltage2"]
        for b, n in ((1000, 5000), (7, 701), (333, 30001 // self.scale)):
            self.readdev_check(f"three u16 channels, iio_readdev -b {b} -s "
                               f"{n}: every sample", "tri", U16x3,
                               [True] * 3, [], b, n)
        bad = []
        for on in subsets(3)[:-1]:
            chans = [c for c, v in zip(names, on) if v]
            rc, data, err = self.readdev("tri", 333, 2000, *chans)
            if rc or data != U16x3.expect(on, 0, 2000):
                bad.append(f"{chans}: rc {rc}, {len(data)} bytes {err}")
        self.tap.result(not bad, "three u16 channels: each of the six "
                        "subsets, iio_readdev -b 333 -s 2000 gets exactly "
                        "its samples", "\n".join(bad))
        # By hand: a request with a partial sample more is answered with
        # the whole samples and a 0; less than a sample, 0 alone.
        r = Raw(self.port)
        rc = r.cmd("OPEN tri 1000 00000007")
        if rc:
            raise RuntimeError(f"OPEN tri: {rc}")
        r.send(b"READBUF tri 6005\r\n")
        n, mask = int(r.line()), r.line()
        data = b""
        while n > 0:
            data += r.read(n)
            n = int(r.line())
        tail = n
        small = r.cmd("READBUF tri 5")
        closed = r.cmd("CLOSE tri")
        r.close()
        self.tap.result(
            rc == 0 and mask == "00000007" and tail == 0 and
            data == U16x3.expect([True] * 3, 0, 1000) and small == 0 and
            closed == 0,
            "READBUF of 6005 bytes of 6-byte samples: 6000 bytes, then 0; "
            "of 5 bytes: 0", f"{rc} {mask} {len(data)} {tail} {small}")

    def t_subsets(self):
        """Every subset of the adc's four lanes through Python's iio, odd
        buffer sizes: each refill holds the buffer's samples of exactly
        the enabled lanes, continuing the stream."""
        import iio
        ctx = iio.Context(self.uri)
        adc = ctx.find_device("adc")
        chans = [adc.find_channel(f"voltage{i}") for i in range(4)]
        bad = []
        for on in subsets(4):
            for c, v in zip(chans, on):
                c.enabled = v
            size = 1001
            buf = iio.Buffer(adc, size, False)
            got = b""
            try:
                for _ in range(2):
                    buf.refill()
                    got += buf.read()
            except OSError as e:
                bad.append(f"{mask_of(on)}: {e!r}")
                continue
            finally:
                del buf
            want = U16x4.expect(on, 0, 2 * size)
            if got != want:
                bad.append(f"{mask_of(on)}: {len(got)} bytes of "
                           f"{len(want)}")
            self.verified += len(got)
        for c in chans:
            c.enabled = False
        del ctx
        self.tap.result(not bad, "Python iio.Buffer of 1001 samples, two "
                        "refills, each of the 15 subsets of four lanes: "
                        "exactly its samples", "\n".join(bad))
        rc, data, err = self.readdev("adc", 500, 3001, "voltage1",
                                     "voltage3")
        self.tap.result(
            rc == 0 and data == U16x4.expect([False, True, False, True], 0,
                                             3001),
            "iio_readdev -s 3001 of two lanes: 3001 samples of them",
            f"rc {rc}, {len(data)} bytes {err}")

    # ---- libiio 1.0 on the wire ----

    def t_libiio10(self):
        c = Legacy10(self.port)
        xml = c.context_xml()
        devs = re.findall(r'<device id="([^"]+)" name="([^"]+)">(.*?)'
                          r'</device>', xml)
        nobuf = [n for _, n, body in devs
                 if "<buffer-attribute " not in body or
                 "<scan-element " not in body]
        length = c.r.cmd("READ adc BUFFER length")
        value = c.r.read(length + 1)[:-1].rstrip(b"\0").decode() \
            if length > 0 else ""
        c.exit()
        self.tap.result(
            c.binary < 0 and c.timeout_reply == 0 and devs and not nobuf,
            "libiio 1.0 context: BINARY refused (text protocol goes on), "
            "TIMEOUT 2500, ZPRINT refused then PRINT; every device has "
            "buffer attributes (1.0 before July 2026 finds its buffer by "
            "them)", f"{c.binary} {c.timeout_reply} {nobuf}")
        self.tap.result(value == str(16 * 65536 // 8),
                        "buffer attribute length: the pool in samples",
                        value)

        # A buffer: OPEN, blocks, stop (CLOSE), start (OPEN) again on the
        # same connection with other channels, blocks, CLOSE.
        c = Legacy10(self.port)
        good, why = True, ""
        steps = []
        for on, blocks in (([True, False, True, False], 3),
                           ([True] * 4, 2), ([False, False, False, True], 2)):
            rc = c.open("adc", 4096, mask_of(on))
            size = U16x4.sample_size(on)
            got = b""
            c.mask = None
            for _ in range(blocks):
                data, err = c.block("adc", 4096 * size)
                if err or len(data) != 4096 * size:
                    good, why = False, f"{mask_of(on)}: {len(data)} {err}"
                    break
                got += data
            ok = rc == 0 and c.mask == mask_of(on) and \
                got == U16x4.expect(on, 0, 4096 * blocks)
            good = good and ok
            steps.append(f"{mask_of(on)} rc {rc} mask {c.mask} ok {ok}")
            closed = c.close("adc")
            good = good and closed == 0
            self.verified += len(got)
        c.exit()
        self.tap.result(good, "libiio 1.0 buffer: OPEN, blocks, CLOSE, "
                        "OPEN again on one connection (three times, other "
                        "channels each): every block whole, its channels, "
                        "each session from the stream's start",
                        why + "\n" + "\n".join(steps))
        self.t_slow_source()

    def t_slow_source(self):
        """A source slower than the client's TIMEOUT per block, but with a
        pool buffer well within it: every block whole. A source with no
        pool buffer within it: the READBUF fails with -ETIMEDOUT, never a
        short block the client would take as full."""
        # "guest": 8-byte samples, 16 KiB pool buffers.
        self.set_attr("guest", "sampling_frequency", 4096)  # 32 KB/s
        c = Legacy10(self.port)
        rc = c.open("guest", 16384, "00000001")
        t0 = time.time()
        data, err = c.block("guest", 16384 * 8)      # 4 s of samples
        secs = time.time() - t0
        closed = c.close("guest")
        c.exit()
        ok, why = pattern_ok(data)
        self.verified += len(data)
        self.tap.result(
            rc == 0 and not err and len(data) == 16384 * 8 and ok and
            closed == 0 and secs > 2.5,
            f"a 128 KiB block from a 32 KB/s source with TIMEOUT 2500: "
            f"whole, in {secs:.1f} s", f"{rc} {err} {len(data)} {why}")
        self.set_attr("guest", "sampling_frequency", 128)   # 1 KB/s
        c = Legacy10(self.port, timeout_ms=2000)
        rc = c.open("guest", 16384, "00000001")
        t0 = time.time()
        data, err = c.block("guest", 16384 * 8)
        secs = time.time() - t0
        again, err2 = c.block("guest", 8)
        closed = c.close("guest")
        c.exit()
        self.set_attr("guest", "sampling_frequency", 0)
        self.tap.result(
            rc == 0 and err == -110 and 0.8 < secs < 4.5 and
            err2 == -110 and closed == 0 and
            int(self.attr("guest", "readbuf_timeouts")) >= 2,
            f"a source with no pool buffer within TIMEOUT 1000: -ETIMEDOUT "
            f"after {secs:.1f} s ({len(data)} bytes before it), the "
            "connection goes on", f"{rc} {err} {err2} {closed}")

        # libiio 0.24 sends no TIMEOUT on buffer connections; its own
        # socket timeout (here 600 ms) must not expire while a block
        # fills slowly: waiting samples go out at least every 250 ms.
        import iio
        self.set_attr("guest", "sampling_frequency", 16384)  # 128 KB/s
        ctx = iio.Context(self.uri)
        ctx.set_timeout(600)
        dev = ctx.find_device("guest")
        dev.channels[0].enabled = True
        buf = iio.Buffer(dev, 32768, False)                 # 2 s
        try:
            t0 = time.time()
            buf.refill()
            data = buf.read()
            secs = time.time() - t0
            ok, why = pattern_ok(data)
            err = ""
        except OSError as e:
            ok, why, secs, data, err = False, "", 0, b"", repr(e)
        del buf
        del ctx
        self.set_attr("guest", "sampling_frequency", 0)
        self.verified += len(data)
        self.tap.result(ok and len(data) == 32768 * 8,
                        f"Python with a 600 ms timeout, a 256 KiB refill "
                        f"from a 128 KB/s source: whole in {secs:.1f} s",
                        f"{len(data)} {why} {err}")

    # ---- latency, idle and vanished clients ----

    @staticmethod
    def round_trips(port, count):
        """@count attribute reads on one connection: their round trips in
        ms, sorted."""
        r = Raw(port, timeout=5)
        rtt = []
        for _ in range(count):
            t0 = time.perf_counter()
            n = r.cmd("READ fpgacap0 sample_size")
            r.read(n + 1)
            rtt.append((time.perf_counter() - t0) * 1e3)
        r.close()
        return sorted(rtt)

    def t_latency(self):
        """Attribute reads through the forward, as a client on the PC sees
        them. The check is on the median of 1000: the tail under TCG is
        the emulator's (its vCPU thread descheduled on this 2-core host,
        code translated for the first time, the I/O thread's user
        network), while what the check guards against (a reply in pieces,
        Nagle, a delayed-ACK wait of 40 ms at least) slows every read and
        moves the median. x86: 1 ms (measured: 0.29 ms, the echo floor
        0.23 ms). The emulated Zynq-7000 runs the same round trip about
        seven times slower (echo floor 1.6 ms, server 2.4 ms): even a
        bare echo server misses 1 ms there, so 10 ms, four times under a
        delayed ACK. The same reads to the guest's bare echo server
        (iiod_peer echo, its own forward) give the floor without the
        server."""
        N = 1000
        rtt = self.round_trips(self.port, N)
        med, p90, p99 = rtt[N // 2], rtt[N * 9 // 10], rtt[N * 99 // 100]
        floor, floor_med = "", 0.0
        if self.echo_port:
            try:
                e = self.round_trips(self.echo_port, N)
                floor_med = e[N // 2]
                floor = (f"; echo floor median {e[N // 2]:.2f} ms, 99% "
                         f"{e[N * 99 // 100]:.2f} ms, max {e[-1]:.2f} ms")
            except (OSError, EOFError, ValueError) as e:
                floor = f"; no echo floor ({e!r})"
        t0 = time.time()
        rc = self.run("iio_info", "-u", self.uri).returncode
        info = time.time() - t0
        self.latency = (med, p90, info)
        # A loaded host slows the echo as much as the server: then the
        # server may add at most 1 ms to the floor (a delayed ACK adds 40).
        limit = max(1.0 if self.target.startswith("x86") else 10.0,
                    floor_med + 1.0)
        self.tap.result(med < limit and rc == 0,
                        f"attribute reads through the forward: median of "
                        f"{N} {med:.2f} ms (limit {limit:g}), 90% {p90:.2f} "
                        f"ms, 99% {p99:.2f} ms, max {rtt[-1]:.2f} ms"
                        f"{floor}; iio_info {info:.2f} s", f"{med} {rc}")

    def t_second_context(self):
        """While one client streams, others still get a context (and
        EBUSY only for a buffer)."""
        import iio
        reader = Streaming(self.port, "fpgacap0")
        bad = []
        for i in range(5):
            try:
                ctx = iio.Context(self.uri)
                if not ctx.find_device("fpgacap0"):
                    bad.append(f"{i}: no device")
                del ctx
            except OSError as e:
                bad.append(f"{i}: {e!r}")
            r = self.run("iio_info", "-u", self.uri)
            if r.returncode:
                bad.append(f"iio_info {i}: {r.stderr.decode()}")
        streaming = self.attr("fpgacap0", "state")
        got = reader.got
        reader.stop()
        self.tap.result(not bad and got > 0 and streaming == "streaming",
                        f"while a client streams ({got} bytes), five more "
                        "contexts and iio_info are served", "\n".join(bad))
        self.wait_idle("fpgacap0", 10)

    def t_idle(self):
        # Quiet connections at the limit: a newcomer is refused at once,
        # served once they were quiet for 2 s (the oldest one goes).
        # Each sends its first command as it connects, as libiio's
        # clients do: a connection must send one within the command
        # deadline (3 s) from its start, and eight round trips one after
        # the other take longer than that on a loaded host.
        if self.icount:
            # Its 1.8 s margin assumes the guest's clock follows the
            # host's; under -icount the guest's time jumps while it
            # idles, so the server may see 2 s pass in less.
            self.tap.skip("eight quiet connections at the limit",
                          "-icount: the guest's clock does not follow "
                          "the host's, and the check times across both")
            return
        for attempt in range(1, 4):
            time.sleep(0.5 if attempt == 1 else 1.5)
            t_open = time.time()
            held = []
            for _ in range(8):
                held.append(Raw(self.port))
                held[-1].send(b"TIMEOUT 1000\r\n")
            replies = []
            for h in held:
                try:
                    replies.append(int(h.line()))
                except (EOFError, OSError, ValueError) as e:
                    replies.append(repr(e))
            # One more command on each, all at once, the newcomer right
            # after them: the eight were quiet since then at most, their
            # setting up (slow on the emulated Zynq) not counted.
            t_sent = time.time()
            for h in held:
                h.send(b"VERSION\r\n")
            for h in held:
                try:
                    v = h.line()
                except (EOFError, OSError) as e:
                    v = repr(e)
                replies.append(0 if v == "0.24.fpgacap" else v)
            # The newcomer's command bounds when it came: -EUSERS, or
            # the version where it took a quiet one's place.
            early = Raw(self.port)
            early.send(b"VERSION\r\n")
            try:
                said = early.line()
            except (EOFError, OSError) as e:
                said = repr(e)
            came = time.time() - t_sent
            early.close()
            # Each of the eight was quiet for less than that when the
            # newcomer came (its command had been sent by then): under
            # 2 s, no place may be given (under 1.8 s here: the guest's
            # clock is not the host's). Over that (a loaded host slows
            # the emulator that much) a place may be, rightly; that
            # proves nothing: start again.
            if said == "-87" or came < 1.8 or attempt == 3:
                break
            print(f"# t_idle: the newcomer came {came:.1f} s after the "
                  f"eight's last commands ({t_sent - t_open:.1f} s to "
                  f"set them up) and was served ({said}): again",
                  flush=True)
            for h in held:
                h.close()
        time.sleep(2.3)
        late = Raw(self.port)
        try:
            v = late.cmd("TIMEOUT 1000")
        except (EOFError, OSError, ValueError) as e:
            v = repr(e)
        gone = closed_ones([h.s for h in held], 10, 0.5)
        late.close()
        for h in held:
            h.close()
        self.tap.result(
            replies == [0] * 16 and said == "-87" and v == 0 and
            gone.count(True) == 1,
            "eight quiet connections at the limit: a newcomer is refused "
            "at once, served 2 s later in place of the one quiet longest",
            f"{replies} {said} after {came:.1f} s ({t_sent - t_open:.1f} s "
            f"to set up; attempt {attempt}) {v} {gone}")
        # Connections that began a command and went quiet: closed after
        # the command deadline (3 s); a real client is served then.
        time.sleep(0.5)
        stuck = [Raw(self.port) for _ in range(8)]
        for h in stuck:
            h.send(b"READ fpgac")
        t0 = time.time()
        gone = [h.closed(6) for h in stuck]
        secs = time.time() - t0
        r = self.run("iio_info", "-u", self.uri)
        for h in stuck:
            h.close()
        self.tap.result(
            all(gone) and 2 < secs < 6.5 and r.returncode == 0,
            f"eight connections stuck in a command: closed after "
            f"{secs:.1f} s (deadline 3 s), then iio_info is served",
            f"{gone} {r.returncode}")

    def t_rate(self):
        """sampling_frequency: a clock's, a declared, or a measured rate."""
        self.set_attr("guest", "sampling_frequency", 50000)
        rate, src = self.attr("guest", "sampling_frequency"), \
            self.attr("guest", "sampling_frequency_source")
        self.set_attr("guest", "sampling_frequency", 0)
        self.tap.result(rate == "50000" and src == "clock",
                        "a pattern device's clock: sampling_frequency is "
                        "its rate", f"{rate} {src}")
        # fpgacap0 streamed at full speed before: what it measured.
        rate, src = self.attr("fpgacap0", "sampling_frequency"), \
            self.attr("fpgacap0", "sampling_frequency_source")
        self.tap.result(src == "measured" and int(rate) > 0,
                        f"without a clock's rate: measured, {rate} "
                        "samples/s", f"{rate} {src}")
        if "fpgacap-testdma" in self.info:
            # The job limits the test engine to 800 kB/s: 100000 samples/s.
            self.check_readdev("the test DMA engine through iiod",
                               "fpgacap-testdma", 8192, 131072)
            self.wait_idle("fpgacap-testdma", 10)
            rate = float(self.attr("fpgacap-testdma",
                                   "sampling_frequency_measured"))
            src = self.attr("fpgacap-testdma", "sampling_frequency_source")
            self.tap.result(src == "measured" and 80000 < rate < 120000,
                            f"a slave DMA source at 800 kB/s: measured "
                            f"{rate:.0f} samples/s", f"{rate} {src}")
        if "fpgacap-memcpy" in self.info:
            rate, src = self.attr("fpgacap-memcpy", "sampling_frequency"), \
                self.attr("fpgacap-memcpy", "sampling_frequency_source")
            ok, out = self.set_attr("fpgacap-memcpy", "sampling_frequency",
                                    1000)
            self.tap.result(rate == "250000" and src == "configured" and
                            not ok, "a DMA source's declared rate: read, "
                            "not writable", f"{rate} {src} {out}")

    def t_memcpy(self):
        if "fpgacap-memcpy" not in self.info:
            self.tap.skip("DMA memcpy device", "none on this target")
            return
        self.check_readdev("the PL330 memcpy device through iiod: its 64 KiB "
                           "window", "fpgacap-memcpy", 8192, 16384,
                           modulo=8192)


def guest_json(log, name="IIOD"):
    """The JSON the guest printed between FPGACAP-<name>-JSON-BEGIN and
    -END, after its TAP block (FPGACAP-TEST-END): (the object, None), or
    (None, why it is missing or garbled)."""
    try:
        with open(log, "rb") as f:
            text = f.read().decode(errors="replace").replace("\r", "")
    except OSError as e:
        return None, f"no guest log: {e}"
    tap_end = re.search(r"^FPGACAP-TEST-END.*$", text, re.M)
    if not tap_end:
        return None, f"no FPGACAP-TEST-END in {log}"
    text = text[tap_end.end():]
    m = re.search(rf"^FPGACAP-{name}-JSON-BEGIN\n(.*?)^FPGACAP-{name}-JSON-END",
                  text, re.S | re.M)
    if not m:
        return None, f"no FPGACAP-{name}-JSON block in {log}"
    # Kernel messages may interleave on the console.
    body = "".join(l for l in m.group(1).splitlines()
                   if not re.match(r"^\[ *[0-9.]+\]", l))
    try:
        obj = json.loads(body)
    except ValueError as e:
        return None, f"garbled: {e}: {body[:300]!r}"
    if not isinstance(obj, dict):
        return None, f"not an object: {body[:300]!r}"
    return obj, None


def build_peer(target):
    """tests/iiod/iiod_peer.c, static, for the target's architecture (the
    job runs it in the guest); its path, or None if it cannot be built."""
    q = subprocess.run(
        ["bash", "-c", '. tests/lib/common.sh && . tests/lib/target.sh && '
         'load_target "$1" >/dev/null && echo "$arch $cross"', "-", target],
        cwd=TOP, capture_output=True, text=True)
    if q.returncode:
        say("no target", target, q.stderr.strip())
        return None
    arch, _, cross = q.stdout.strip().partition(" ")
    out = os.path.join(WORK, "build", f"iiod_peer-{arch}", "iiod_peer")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    r = subprocess.run([f"{cross}gcc", "-std=c11", "-D_GNU_SOURCE", "-O2",
                        "-Wall", "-Wextra", "-Werror", "-static", "-o", out,
                        os.path.join(TOP, "tests/iiod/iiod_peer.c")],
                       capture_output=True, text=True)
    if r.returncode:
        say("iiod_peer build failed:", r.stderr)
        return None
    return out


def boot(args, port, echo_port, done):
    cmd = [os.path.join(TOP, "tests/run-guest.sh"), args.target, "iiod",
           "--hostfwd", f"{port}:{IIOD_PORT}",
           "--hostfwd", f"{echo_port}:{ECHO_PORT}", "--host-done", done]
    if args.icount:
        cmd.append("--icount")
    env = dict(os.environ)
    peer = build_peer(args.target)
    args.peer = peer is not None
    if peer:
        extra = env.get("FPGACAP_EXTRA_BIN", "")
        env["FPGACAP_EXTRA_BIN"] = (extra + " " + peer).strip()
    say("booting", " ".join(cmd))
    return subprocess.Popen(cmd, stdout=sys.stderr, stderr=sys.stderr,
                            env=env)


def wait_server(guest, port):
    while guest.poll() is None:
        if server_ready(port):
            return True
        time.sleep(1)
    return False


def check_own_summary(tap, summary, why):
    """The summary of the server the job ran for its own checks: its only
    clients were the job's (a client that vanished after OPEN, attribute
    reads), so nothing but their leaving may have ended a connection."""
    if not tap.result(summary is not None, "guest: its own server's JSON "
                      "summary came back and parses", why):
        return
    try:
        end, sessions = summary["end"], summary["sessions"]
        ended = end["ended"]
        bad = {k: ended[k] for k in ("command_timeout", "evicted", "stall",
                                     "protocol", "error") if ended[k]}
        tap.result(end["stopped_by"] == "SIGTERM" and
                   end["threads_left"] == 0,
                   "guest: its own server stopped on SIGTERM with every "
                   "connection ended", end)
        tap.result(end["connections"] >= 3 and not bad and
                   end["bad_commands"] == 0 and end["refused_limit"] == 0,
                   f"guest: its own server's {end['connections']} "
                   "connections ended by their clients alone", end)
        # It read a READBUF before it vanished: the session held pool
        # buffers, and they all came back to the driver.
        dev = [d for d in end["devices"] if d["name"] == "guest"]
        tap.result(len(sessions) == 1 and sessions[0]["device"] == "guest"
                   and sessions[0]["unreleased"] == 0 and
                   "error" not in sessions[0] and
                   end["records_lost"] == 0 and len(dev) == 1 and
                   dev[0]["buffers_returned"] > 0 and
                   dev[0]["unreleased"] == 0,
                   "guest: the vanished client's session, its buffers "
                   "returned", {"sessions": sessions, "devices": dev,
                                "records_lost": end["records_lost"]})
    except (KeyError, TypeError, IndexError) as e:
        tap.result(False, "guest: its own server's summary has every "
                   "field", f"{e!r}: {summary}")


def check_summary(tap, summary, bench, why=None):
    if not tap.result(summary is not None, "the server's JSON summary came "
                      "back from the guest and parses", why):
        return
    try:
        check_summary_fields(tap, summary, bench)
    except (KeyError, TypeError, IndexError) as e:
        tap.result(False, "the server's summary has every field",
                   f"{e!r}: {str(summary)[:2000]}")


def check_summary_fields(tap, summary, bench):
    end = summary["end"]
    sessions = summary["sessions"]
    tap.result(end["stopped_by"] == "SIGTERM" and end["threads_left"] == 0,
               "it stopped on SIGTERM with every connection ended", end)
    if not bench:
        cut = [s for s in sessions if s["ended_by"] == "server stop"]
        tap.result(len(cut) == 1 and cut[0]["bytes"] > 0,
                   "the session streaming at the stop ended by it", cut)
    leaks = [s for s in sessions if s["unreleased"]]
    tap.result(not leaks, f"{len(sessions)} sessions: every buffer returned "
               "after its release", leaks)
    # Spans under 4 KiB go by copy in every mode (libfpgacap): sessions of
    # such small requests have no completions to count.
    zc = [s for s in sessions if s["mode"] == "zerocopy" and s["sends"] and
          s["bytes"] / s["sends"] >= 4096]
    empty = [s for s in zc if not s["completions"]]
    comp = sum(s["completions"] for s in sessions if s["mode"] == "zerocopy")
    copied = sum(s["copied"] for s in sessions if s["mode"] == "zerocopy")
    tap.result(zc and not empty and mostly_zerocopy(comp, copied),
               f"{len(zc)} MSG_ZEROCOPY sessions, {comp} completions, "
               f"{copied} copied", empty)
    if bench:
        return
    # A subset's bytes are all copied out of the pool; the whole set's
    # never are (its sessions stay on the send mode's path).
    sub = [s for s in sessions if s["channels"] < s["channels_all"]]
    wrong = [s for s in sessions if s["subset_bytes"] !=
             (s["bytes"] if s["channels"] < s["channels_all"] else 0)]
    tap.result(len(sub) >= 20 and not wrong and
               all(s["mode"] == "copy" for s in sub),
               f"{len(sub)} sessions of a channel subset went by the copy "
               "path, every whole-set session by its send mode", wrong[:3])
    ended = end["ended"]
    tap.result(ended["evicted"] >= 1 and ended["command_timeout"] >= 8 and
               ended["error"] == 0,
               f"connections ended: {ended}", ended)


def guest_tap(tap, log):
    """The checks the job ran in the guest, as results of this run."""
    with open(log, "rb") as f:
        text = f.read().decode(errors="replace").replace("\r", "")
    m = re.search(r"^FPGACAP-TEST-BEGIN iiod\n(.*?)^FPGACAP-TEST-END",
                  text, re.S | re.M)
    for line in (m.group(1).splitlines() if m else []):
        g = re.match(r"^(not )?ok [0-9]+ (.*)$", line)
        if not g:
            continue
        if "# SKIP" in g.group(2):
            name, why = g.group(2).split("# SKIP", 1)
            tap.skip("guest: " + name.strip(), why.strip())
        else:
            tap.result(not g.group(1), "guest: " + g.group(2))


def bench_runs(it, args):
    """Alternate zero-copy and copy sessions of the same size."""
    samples = args.bytes // 8
    for r in range(args.runs):
        for mode in (("zerocopy", "copy") if r % 2 == 0 else
                     ("copy", "zerocopy")):
            it.set_attr("fpgacap0", "send_mode", mode)
            t0 = time.time()
            rc, data, err = it.readdev("fpgacap0", 65536, samples)
            ok, why = pattern_ok(data)
            it.tap.result(rc == 0 and len(data) == args.bytes and ok,
                          f"bench run {r + 1} {mode}: {args.bytes >> 20} MiB "
                          f"verified in {time.time() - t0:.1f} s", err + why)
            it.verified += len(data)


def bench_subset_runs(it, args):
    """Alternate, on the adc (four u16 lanes, 8-byte samples), sessions of
    every lane (the zero-copy path) and of two lanes (copied out of the
    pool), each reading the same samples from the device."""
    samples = args.bytes // 8
    it.set_attr("adc", "send_mode", "zerocopy")
    for r in range(args.runs):
        for lanes in ((4, 2) if r % 2 == 0 else (2, 4)):
            on = [True] * 4 if lanes == 4 else [True, True, False, False]
            chans = [] if lanes == 4 else ["voltage0", "voltage1"]
            t0 = time.time()
            rc, data, err = it.readdev("adc", 65536, samples, *chans)
            good = rc == 0 and data == U16x4.expect(on, 0, samples)
            it.tap.result(good, f"bench run {r + 1}, {lanes} of 4 lanes: "
                          f"{samples} samples verified in "
                          f"{time.time() - t0:.1f} s", err)
            it.verified += len(data)


def bench_subset_report(summary, args):
    rows = {}
    dev_gb = args.bytes / 1e9
    for s in summary["sessions"]:
        if s["device"] != "adc" or s["samples_count"] != 65536 or \
                s["bytes"] not in (args.bytes, args.bytes // 2):
            continue
        key = (s["channels"], s["mode"])
        rows.setdefault(key, []).append(
            (s["busy_s"] / dev_gb, s["thread_cpu_s"] / dev_gb,
             s["bytes"] / 1e6 / s["seconds"], s["completions"]))
    lines = [f"fpgacap-iiod on {args.target}"
             f"{' (-icount)' if args.icount else ''}: {args.runs} runs per "
             f"row of {args.bytes >> 20} MiB of device samples (4 u16 "
             "lanes), iio_readdev -b 65536 on the host",
             "| lanes read | path | guest busy CPU s per GB of samples, "
             "median (min-max) | server thread CPU s per GB of samples, "
             "median (min-max) | MB/s sent, median | completions per run |",
             "|---|---|---|---|---|---|"]
    out = {"target": args.target, "icount": args.icount,
           "device_bytes_per_run": args.bytes, "runs": args.runs,
           "rows": {}}
    for (ch, mode), r in sorted(rows.items(), reverse=True):
        busy = [x[0] for x in r]
        thr = [x[1] for x in r]
        mbs = [x[2] for x in r]
        path = "pool, " + mode if ch == 4 else "subset copy"
        out["rows"][f"{ch}/4"] = {"busy_s_per_gb": busy,
                                  "thread_s_per_gb": thr, "MBps": mbs}
        lines.append(
            f"| {ch} of 4 | {path} | {statistics.median(busy):.3f} "
            f"({min(busy):.3f}-{max(busy):.3f}) | "
            f"{statistics.median(thr):.3f} ({min(thr):.3f}-{max(thr):.3f}) "
            f"| {statistics.median(mbs):.1f} | {r[0][3]} |")
    os.makedirs(os.path.join(WORK, "bench"), exist_ok=True)
    path = os.path.join(WORK, "bench", f"iiod-subset-{args.target}.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
    for l in lines:
        print(f"# {l}")
    say("bench figures in", path)


def bench_report(summary, args):
    rows = {}
    for s in summary["sessions"]:
        if s["bytes"] != args.bytes:
            continue
        gb = s["bytes"] / 1e9
        rows.setdefault(s["mode"], []).append(
            (s["busy_s"] / gb, s["thread_cpu_s"] / gb,
             s["bytes"] / 1e6 / s["seconds"], s["completions"], s["copied"]))
    out = {"target": args.target, "icount": args.icount,
           "bytes_per_run": args.bytes, "runs": args.runs, "modes": {}}
    lines = [f"fpgacap-iiod on {args.target}"
             f"{' (-icount)' if args.icount else ''}: "
             f"{args.runs} runs of {args.bytes >> 20} MiB per mode, "
             "iio_readdev -b 65536 on the host",
             "| mode | guest busy CPU s/GB, median (min-max) | server thread "
             "CPU s/GB, median (min-max) | MB/s median | completions "
             "(copied) per run |", "|---|---|---|---|---|"]
    for mode, r in sorted(rows.items()):
        busy = [x[0] for x in r]
        thr = [x[1] for x in r]
        mbs = [x[2] for x in r]
        out["modes"][mode] = {"busy_s_per_gb": busy, "thread_s_per_gb": thr,
                              "MBps": mbs}
        lines.append(
            f"| {mode} | {statistics.median(busy):.3f} ({min(busy):.3f}-"
            f"{max(busy):.3f}) | {statistics.median(thr):.3f} "
            f"({min(thr):.3f}-{max(thr):.3f}) | "
            f"{statistics.median(mbs):.1f} | {r[0][3]} ({r[0][4]}) |")
    os.makedirs(os.path.join(WORK, "bench"), exist_ok=True)
    path = os.path.join(WORK, "bench", f"iiod-{args.target}.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
    for l in lines:
        print(f"# {l}")
    say("bench figures in", path)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("target")
    ap.add_argument("--bench", action="store_true")
    ap.add_argument("--subset", action="store_true",
                    help="with --bench: every lane against two of four")
    ap.add_argument("--icount", action="store_true",
                    help="guest time counts instructions (bench figures)")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--bytes", type=lambda s: int(s.rstrip("M")) << 20,
                    default=64 << 20, help="per bench run, in MiB (64M)")
    ap.add_argument("--port", type=int, help="a server already running")
    args = ap.parse_args()
    if args.icount and args.target.startswith("zynq"):
        # docs/testing.md: QEMU's TTC model can stop the Zynq test guest
        # for good under -icount (until run-guest.sh's timeout).
        ap.error("--icount: not on Zynq targets (the guest stalls under it)")

    tap = Tap()
    port = args.port or free_port()
    done = os.path.join(WORK, f"iiod-{args.target}.done")
    os.makedirs(WORK, exist_ok=True)
    if os.path.exists(done):
        os.unlink(done)
    guest = None
    echo_port = None
    if not args.port:
        echo_port = free_port()
        while echo_port == port:
            echo_port = free_port()
        guest = boot(args, port, echo_port, done)
    try:
        if guest and not wait_server(guest, port):
            tap.result(False, "fpgacap-iiod answers through the forward")
            guest.wait()
            return tap.end()
        tap.result(True, f"fpgacap-iiod answers on 127.0.0.1:{port}")
        # The emulated Zynq-7000's GEM is slower: fewer samples there.
        scale = 2 if args.target.startswith("zynq") else 1
        it = Iiod(port, tap, args.target, scale, echo_port, args.icount)
        t0 = time.time()
        if args.bench and args.subset:
            bench_subset_runs(it, args)
        elif args.bench:
            bench_runs(it, args)
        else:
            for t in (it.t_info, it.t_readdev, it.t_python, it.t_modes,
                      it.t_odd_sizes, it.t_subsets, it.t_libiio10,
                      it.t_attrs, it.t_busy, it.t_second_context,
                      it.t_disconnect, it.t_garbage, it.t_stall,
                      it.t_idle, it.t_latency, it.t_rate, it.t_memcpy):
                try:
                    t()
                except Exception as e:  # a client's failure is a test's
                    tap.result(False, f"{t.__name__} ran", repr(e))
        shutil.rmtree(it.tmp, ignore_errors=True)
        say(f"clients done in {time.time() - t0:.0f} s, "
            f"{it.verified} bytes verified")
        print(f"# {it.verified} bytes of samples verified against the "
              "pattern", flush=True)
        # A client streams when the server is told to stop: it must
        # still stop within a second, its buffers back.
        reader = None
        if not args.bench:
            reader = Streaming(port)
    finally:
        with open(done, "w"):
            pass
    if guest:
        rc = guest.wait()
        if reader:
            tap.result(reader.got > 0 and reader.ended,
                       f"a client streaming at the stop ({reader.got} bytes) "
                       "was cut", reader.got)
        tap.result(rc == 0, "the guest's job passed and its kernel log is "
                   "clean", f"run-guest.sh exit {rc}")
        log = os.path.join(WORK, "logs", f"{args.target}-iiod.log")
        if os.path.exists(log):
            guest_tap(tap, log)
        summary, why = guest_json(log)
        check_summary(tap, summary, args.bench, why)
        # The job's own server runs where the job has iiod_peer.
        if args.peer:
            check_own_summary(tap, *guest_json(log, "IIOD-OWN"))
        else:
            tap.skip("guest: its own server's JSON summary", "no iiod_peer")
        if args.bench and args.subset and summary:
            bench_subset_report(summary, args)
        elif args.bench and summary:
            bench_report(summary, args)
    return tap.end()


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
