#!/usr/bin/env python3
"""reliability_bench -- does danelab lose queries, drop mail or grow?

Not a meson test: it prints figures (targets: 0 lost, every legitimate
message delivered, RSS flat).  Run as root inside a sandbox (the DNS part
makes its own network, mount and pid namespaces):

    sudo python3 tests/bench/reliability_bench.py BUILD            # full
    sudo python3 tests/bench/reliability_bench.py BUILD --quick    # sanity
    sudo python3 tests/bench/reliability_bench.py BUILD --only dns|smtp

BUILD is a meson build directory (optimised, not a sanitizer build) with
danelab and tests/integration/smtp_driver.

DNS: `danelab serve SCENARIO --port 53 --no-smtp` in fresh namespaces
(as dns_bench.py), then dnsperf sends --queries queries (default 1 M,
--quick 100 k) per transport to the zone's server: UDP without EDNS DO,
UDP with DO (-D), TCP with DO (-m tcp).  Lost = sent - answered, as
dnsperf counts it (a query without an answer within -t 5 s).  The
server's RSS (VmRSS) and open FDs are read from /proc before the first
query, after each transport, and at the end; VmHWM is the peak.  The
query mix is dns_bench.py's (80 % existing names, 10 % NODATA, 10 %
NXDOMAIN).  --events also writes the server's event log (to the temp
dir; its size is printed): off by default, so the figure is the server.

SMTP: smtp_driver (danelab's SMTP server alone: one event-loop thread,
event log and maildir on, default limits) on 127.0.0.1, then, at the same
time, --hostile sessions (default 500, --quick 50) kept open for
--seconds (default 75, past the server's 60 s idle timeout; --quick 10;
a slot whose connection ends opens a new one) and --legit full sessions
(default 50, --quick 5: EHLO, STARTTLS, EHLO, MAIL, RCPT, DATA, QUIT).  The hostile slots are spread
evenly over these kinds:
  drip      slowloris: one byte of a valid dialogue every --drip-ms
            (default 4000: a line takes 76 s, past the 60 s idle
            timeout, unless each byte restarts the idle timer)
  longline  EHLO followed by 64 KiB without a line end, again and again
  garbage   random bytes (NULs included), 2 KiB every 100 ms
  tlshalf   EHLO, STARTTLS, then half a real ClientHello, then silence
  idle      connect and say nothing
  reset     a dialogue cut off mid-DATA by an RST (SO_LINGER 0), again
  hugedata  MAIL, RCPT, DATA, then --huge-mb MiB (default 11: over the
            10 MiB limit) of 998-byte lines at full speed, '.', again
The legitimate sessions start once the hostile ones are connected.
Delivered legitimate messages are counted on the server side: maildir
files whose X-Danelab-Mail-From is <legit-N@...> and smtp.message events
with that from (distinct N).  RSS, VmHWM and open FDs of smtp_driver
before, and after every client has gone (2 s later); then one more
legitimate session checks that the server still answers.

The load runs in this script (Python asyncio, pinned to CPU 0 with 2 or
more CPUs), the servers on CPU 1.  Exit 0 when the run went through
(whatever the figures), 1 if it could not, 77 when not root or a tool is
missing.  Needs: dnsperf, unshare, ip, dig, taskset (Debian: dnsperf
util-linux iproute2 bind9-dnsutils).
"""

import argparse
import asyncio
import glob
import json
import os
import random
import re
import resource
import shutil
import signal
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import dns_bench  # noqa: E402  (query file, zone parsing, readiness)

SCENARIO = "control/valid-dane-ee"
KINDS = ["drip", "longline", "garbage", "tlshalf", "idle", "reset",
         "hugedata"]


# ==================================================================== /proc


def proc_mem(pid):
    """{'rss': kB, 'hwm': kB, 'fds': n, 'threads': n} of pid, or {}."""
    out = {}
    try:
        for line in open(f"/proc/{pid}/status"):
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM"):
                out[k[2:].lower()] = int(v.split()[0])
            elif k == "Threads":
                out["threads"] = int(v)
        out["fds"] = len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        pass
    return out


def fmt_mem(m):
    if not m:
        return "(gone)"
    return (f"RSS {m.get('rss', 0) / 1024:7.1f} MiB  peak (VmHWM) "
            f"{m.get('hwm', 0) / 1024:7.1f} MiB  open FDs {m.get('fds')}")


def cpus():
    """(server CPU, load CPU): 1 and 0 with two or more CPUs."""
    return (1, 0) if (os.cpu_count() or 1) >= 2 else (None, None)


def pin(cpu):
    return ["taskset", "-c", str(cpu)] if cpu is not None else []


# ====================================================================== DNS


def dnsperf_n(addr, qfile, passes, mode, do, cpu, outstanding=200,
              clients=4):
    argv = pin(cpu) + ["dnsperf", "-s", addr, "-p", "53", "-d", qfile,
                       "-n", str(passes), "-c", str(clients), "-q",
                       str(outstanding), "-t", "5", "-m", mode]
    if do:
        argv.append("-D")
    t0 = time.monotonic()
    r = subprocess.run(argv, capture_output=True, text=True)
    out = r.stdout + r.stderr

    def num(pat, conv=int):
        m = re.search(pat, out)
        return conv(m.group(1)) if m else None

    res = {"sent": num(r"Queries sent:\s+(\d+)"),
           "completed": num(r"Queries completed:\s+(\d+)"),
           "lost": num(r"Queries lost:\s+(\d+)"),
           "interrupted": num(r"Queries interrupted:\s+(\d+)") or 0,
           "qps": num(r"Queries per second:\s+([\d.]+)", float),
           "rcodes": (re.search(r"Response codes:\s+(.*)", out) or
                      re.search("()", "")).group(1).strip(),
           "wall": time.monotonic() - t0, "rc": r.returncode}
    if r.returncode != 0 or res["sent"] is None:
        res["error"] = out[-1500:]
    return res


def dns_inside(cfg):
    """Runs in the namespaces: serve, dnsperf, /proc figures."""
    srv_cpu, gen_cpu = cpus()
    tmp = tempfile.mkdtemp(prefix="reliability-dns.")
    p = None
    ok = True
    try:
        subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
        log = open(os.path.join(tmp, "serve.log"), "w")
        argv = cfg["danelab"] + ["serve", cfg["scenario"], "--port", "53",
                                 "--no-smtp"]
        events = os.path.join(tmp, "events.jsonl")
        if cfg["events"]:
            argv += ["--events", events]
        p = subprocess.Popen(pin(srv_cpu) + argv, stdout=log,
                             stderr=subprocess.STDOUT,
                             env=dict(os.environ, TMPDIR=tmp))
        deadline = time.monotonic() + 30
        served = None
        while served is None:
            found = glob.glob(os.path.join(tmp, "danelab-*", "world",
                                           "zones", "*.zone"))
            if found and "ready" in open(log.name).read():
                served = os.path.dirname(os.path.dirname(found[0]))
            elif p.poll() is not None or time.monotonic() > deadline:
                print("danelab serve did not come up:\n" +
                      open(log.name).read()[-2000:])
                return 1
            else:
                time.sleep(0.05)
        zone = cfg["zone"]
        zfile = "root" if zone == "." else zone.rstrip(".")
        conf = open(os.path.join(served, "nsd", zfile + ".conf")).read()
        addr = re.search(r"ip-address:\s*([\d.]+)", conf).group(1)
        while not dns_bench._soa_ready(addr, zone):
            if p.poll() is not None or time.monotonic() > deadline:
                print(f"{addr} does not answer for {zone}")
                return 1
            time.sleep(0.05)
        qfile = os.path.join(tmp, "queries.txt")
        lines = 20000
        mix = dns_bench.query_file(
            zone, dns_bench.parse_zone(os.path.join(served, "zones",
                                                    zfile + ".zone")),
            qfile, n=lines)
        passes = max(1, round(cfg["queries"] / lines))
        print(f"world {cfg['scenario']}, zone {zone} on {addr}:53 "
              f"(danelab serve, pid {p.pid}); query mix {mix}")
        print(f"{passes * lines} queries per transport (dnsperf -n "
              f"{passes} over {lines} queries, -c 4 -q 200 -t 5); "
              + ("servers on CPU %d, dnsperf on CPU %d" % (srv_cpu, gen_cpu)
                 if srv_cpu is not None else "no pinning"))
        m0 = proc_mem(p.pid)
        print(f"  before          {fmt_mem(m0)}")
        modes = (("UDP", "udp", False), ("UDP+DO", "udp", True),
                 ("TCP+DO", "tcp", True))
        # Warm-up, not counted: one pass of each transport, so that the
        # RSS growth below is what the counted queries add.
        for name, mode, do in modes:
            dnsperf_n(addr, qfile, 1, mode, do, gen_cpu)
        mw = proc_mem(p.pid)
        print(f"  warmed up       {fmt_mem(mw)}   ({3 * lines} queries, "
              f"not counted)")
        total = {"sent": 0, "lost": 0}
        for name, mode, do in modes:
            r = dnsperf_n(addr, qfile, passes, mode, do, gen_cpu)
            m = proc_mem(p.pid)
            if r.get("error"):
                ok = False
                print(f"  {name}: dnsperf failed (exit {r['rc']}):\n"
                      f"{r['error']}")
                continue
            lost = (r["sent"] or 0) - (r["completed"] or 0)
            total["sent"] += r["sent"]
            total["lost"] += lost
            print(f"  {name:<7} sent {r['sent']:>8}  answered "
                  f"{r['completed']:>8}  lost {lost:>6}  "
                  f"{r['qps']:>8.0f} q/s  {r['wall']:5.1f} s   "
                  f"{fmt_mem(m)}")
            print(f"          response codes: {r['rcodes']}")
            if p.poll() is not None:
                print(f"  danelab serve EXITED ({p.returncode})")
                ok = False
                break
        m1 = proc_mem(p.pid)
        growth = (m1.get("rss", 0) - mw.get("rss", 0)) / 1024
        print(f"DNS total: {total['sent']} queries, {total['lost']} lost "
              f"(target 0); RSS before {m0.get('rss', 0) / 1024:.1f} MiB, "
              f"warmed up {mw.get('rss', 0) / 1024:.1f} MiB, after "
              f"{m1.get('rss', 0) / 1024:.1f} MiB ({growth:+.1f} MiB over "
              f"the counted queries; target: flat); open FDs "
              f"{m0.get('fds')} -> {m1.get('fds')}")
        if cfg["events"] and os.path.exists(events):
            print(f"event log: {os.path.getsize(events) / 1e6:.1f} MB")
    finally:
        if p is not None and p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                print("danelab serve ignored SIGTERM; killed")
                p.kill()
                p.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0 if ok else 1


def run_dns(a, build):
    need = ["dnsperf", "unshare", "ip", "dig", "taskset"]
    missing = [t for t in need if shutil.which(t) is None]
    if missing:
        print(f"reliability_bench: missing tools: {' '.join(missing)}")
        return 77
    danelab = [os.path.join(build, "danelab"), "--fixtures",
               os.path.join(ROOT, "fixtures"), "--scenarios",
               os.path.join(ROOT, "scenarios")]
    import yaml
    zone = str(yaml.safe_load(open(os.path.join(
        ROOT, "scenarios", a.scenario + ".yaml")))["domain"])
    zone = zone.lower().rstrip(".") + "."
    cfg = {"danelab": danelab, "scenario": a.scenario, "zone": zone,
           "queries": a.queries, "events": a.events}
    print("==== DNS: %d queries per transport to danelab's authoritative "
          "server ====" % a.queries, flush=True)
    argv = ["unshare", "-n", "-m", "-p", "-f", "--mount-proc",
            "--kill-child", sys.executable, os.path.abspath(__file__),
            "--inside-dns", json.dumps(cfg)]
    return subprocess.run(argv).returncode


# ===================================================================== SMTP


class Stats:
    def __init__(self):
        self.k = {k: {"conns": 0, "server_closed": 0, "errors": 0,
                      "codes": {}, "bytes": 0} for k in KINDS}
        self.up = set()             # slots connected at least once

    def code(self, kind, line):
        if len(line) >= 3 and line[:3].isdigit():
            c = self.k[kind]["codes"]
            c[line[:3]] = c.get(line[:3], 0) + 1


async def read_reply(reader, timeout):
    """One complete SMTP reply: (code, last line)."""
    while True:
        line = await asyncio.wait_for(reader.readline(), timeout)
        if not line:
            raise ConnectionError("closed by the server")
        s = line.decode("latin-1").rstrip("\r\n")
        if len(s) < 4 or s[3] != "-":
            return (int(s[:3]) if s[:3].isdigit() else -1), s


async def drain_until_eof(reader, st, kind):
    """Read and count replies until the server closes."""
    buf = b""
    while True:
        try:
            data = await reader.read(65536)
        except OSError:             # reset by the server
            data = b""
        if not data:
            st.k[kind]["server_closed"] += 1
            return
        buf = (buf + data)[-4096:]
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            st.code(kind, line.decode("latin-1"))


async def hostile_conn(slot, kind, host, port, stop_at, st, o):
    reader, writer = await asyncio.wait_for(
        asyncio.open_connection(host, port), 30)
    st.k[kind]["conns"] += 1
    st.up.add(slot)
    sock = writer.get_extra_info("socket")
    drain = None
    try:
        left = lambda: max(0.0, stop_at - time.monotonic())  # noqa: E731
        if kind in ("drip", "longline", "garbage", "idle"):
            drain = asyncio.ensure_future(drain_until_eof(reader, st, kind))
            if kind == "drip":
                script = (b"EHLO drip.example\r\nMAIL FROM:<drip@example."
                          b"org>\r\nRCPT TO:<postmaster@example.net>\r\n"
                          b"NOOP\r\n") * 1000
                for i in range(len(script)):
                    if drain.done() or left() <= 0:
                        break
                    writer.write(script[i:i + 1])
                    await asyncio.sleep(o.drip_ms / 1000)
            elif kind == "longline":
                while not drain.done() and left() > 0:
                    writer.write(b"EHLO " + b"A" * 65536 + b"\r\n")
                    st.k[kind]["bytes"] += 65543
                    await writer.drain()
                    await asyncio.sleep(0.2)
            elif kind == "garbage":
                rng = random.Random()
                while not drain.done() and left() > 0:
                    writer.write(rng.randbytes(2048))
                    st.k[kind]["bytes"] += 2048
                    await writer.drain()
                    await asyncio.sleep(0.1)
            await asyncio.wait([drain], timeout=left())
            return
        code, line = await read_reply(reader, 30)
        st.code(kind, line)
        if kind == "tlshalf":
            writer.write(b"EHLO tlshalf.example\r\n")
            st.code(kind, (await read_reply(reader, 30))[1])
            writer.write(b"STARTTLS\r\n")
            code, line = await read_reply(reader, 30)
            st.code(kind, line)
            if code == 220:
                ctx = ssl.create_default_context()
                ctx.check_hostname = False
                ctx.verify_mode = ssl.CERT_NONE
                inc, outg = ssl.MemoryBIO(), ssl.MemoryBIO()
                obj = ctx.wrap_bio(inc, outg,
                                   server_hostname="mx1.example.net")
                try:
                    obj.do_handshake()
                except ssl.SSLWantReadError:
                    pass
                hello = outg.read()
                writer.write(hello[:len(hello) // 2])
            drain = asyncio.ensure_future(drain_until_eof(reader, st, kind))
            await asyncio.wait([drain], timeout=left())
        elif kind == "reset":
            writer.write(b"EHLO reset.example\r\nMAIL FROM:<reset@example."
                         b"org>\r\nRCPT TO:<postmaster@example.net>\r\n"
                         b"DATA\r\n")
            await asyncio.sleep(0.05)
            writer.write(b"Subject: cut off\r\n\r\nhalf a mess")
            await asyncio.sleep(random.uniform(0, 0.3))
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                            struct.pack("ii", 1, 0))
        elif kind == "hugedata":
            for cmd in (b"EHLO huge.example\r\n",
                        b"MAIL FROM:<huge@example.org>\r\n",
                        b"RCPT TO:<postmaster@example.net>\r\n",
                        b"DATA\r\n"):
                writer.write(cmd)
                code, line = await read_reply(reader, 30)
                st.code(kind, line)
            if code != 354:
                return
            chunk = (b"X" * 998 + b"\r\n") * 1024
            sent = 0
            while sent < o.huge_mb * 1048576:
                if left() <= 0:
                    return              # cut off, no final dot
                writer.write(chunk)
                await writer.drain()
                sent += len(chunk)
                st.k[kind]["bytes"] += len(chunk)
            writer.write(b".\r\n")
            st.code(kind, (await read_reply(reader, 60))[1])
            writer.write(b"QUIT\r\n")
            st.code(kind, (await read_reply(reader, 30))[1])
    finally:
        if drain is not None and not drain.done():
            drain.cancel()
        writer.transport.abort() if kind == "reset" else writer.close()


async def hostile_slot(slot, host, port, stop_at, st, o):
    kind = KINDS[slot % len(KINDS)]
    while time.monotonic() < stop_at:
        try:
            await hostile_conn(slot, kind, host, port, stop_at, st, o)
        except (OSError, ConnectionError, asyncio.TimeoutError,
                asyncio.IncompleteReadError, ssl.SSLError):
            st.k[kind]["errors"] += 1
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.01)


async def legit_session(host, port, n, timeout):
    """One full STARTTLS session; (True, seconds) or (False, why)."""
    t0 = time.monotonic()
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(host, port), timeout)
    except (OSError, asyncio.TimeoutError) as e:
        return False, f"connect: {e!r}"
    step = "banner"
    try:
        async def cmd(line, want):
            nonlocal step
            step = line.split(b":")[0].strip().decode()
            if line:
                writer.write(line + b"\r\n")
            code, text = await read_reply(reader, timeout)
            if code != want:
                raise ConnectionError(f"{step}: {text}")
        await cmd(b"", 220)
        await cmd(b"EHLO legit.example", 250)
        await cmd(b"STARTTLS", 220)
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        step = "TLS handshake"
        await asyncio.wait_for(
            writer.start_tls(ctx, server_hostname="mx1.example.net"),
            timeout)
        await cmd(b"EHLO legit.example", 250)
        await cmd(b"MAIL FROM:<legit-%d@example.org>" % n, 250)
        await cmd(b"RCPT TO:<postmaster@example.net>", 250)
        await cmd(b"DATA", 354)
        body = (b"From: legit-%d@example.org\r\nTo: postmaster@example.net"
                b"\r\nSubject: legitimate message %d\r\n\r\n" % (n, n) +
                b"A line of a legitimate message.\r\n" * 60 + b".")
        await cmd(body, 250)
        await cmd(b"QUIT", 221)
        return True, time.monotonic() - t0
    except (OSError, ConnectionError, asyncio.TimeoutError,
            ssl.SSLError) as e:
        return False, f"{step}: {type(e).__name__} {e}"
    finally:
        writer.transport.abort()


async def smtp_load(port, o):
    host = "127.0.0.1"
    st = Stats()
    t0 = time.monotonic()
    stop_at = t0 + o.seconds
    slots = [asyncio.ensure_future(hostile_slot(i, host, port, stop_at, st,
                                                o))
             for i in range(o.hostile)]
    # Let the hostile sessions connect before the legitimate ones start.
    while len(st.up) < o.hostile and time.monotonic() - t0 < 10:
        await asyncio.sleep(0.05)
    ramp = time.monotonic() - t0
    legit = await asyncio.gather(*[legit_session(host, port, n, 120)
                                   for n in range(o.legit)])
    legit_done = time.monotonic() - t0
    await asyncio.wait(slots, timeout=max(0.1, stop_at - time.monotonic()
                                          + 70))
    for s in slots:
        s.cancel()
    await asyncio.gather(*slots, return_exceptions=True)
    return st, legit, ramp, legit_done, time.monotonic() - t0


def count_delivered(maildir, events):
    """Distinct legit-N numbers in the maildir and in the event log."""
    pat = re.compile(rb"^X-Danelab-Mail-From: <legit-(\d+)@", re.M)
    files = set()
    for f in os.listdir(maildir):
        try:
            head = open(os.path.join(maildir, f), "rb").read(4096)
        except OSError:
            continue
        m = pat.search(head)
        if m:
            files.add(int(m.group(1)))
    ev = set()
    stored = 0
    for line in open(events, errors="replace"):
        if '"smtp.message"' not in line:
            continue
        stored += 1
        try:
            e = json.loads(line)
        except ValueError:
            continue
        m = re.match(r"legit-(\d+)@", str(e.get("from", "")))
        if m and e.get("code", 250) == 250:
            ev.add(int(m.group(1)))
    return files, ev, stored


def run_smtp(a, build):
    driver = os.path.join(build, "tests", "integration", "smtp_driver")
    if not os.path.exists(driver):
        print(f"reliability_bench: no {driver}")
        return 1
    srv_cpu, load_cpu = cpus()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, max(soft, 4 * (a.hostile + a.legit) + 256))
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    tmp = tempfile.mkdtemp(prefix="reliability-smtp.")
    md = os.path.join(tmp, "maildir")
    os.mkdir(md)
    events = os.path.join(tmp, "events.jsonl")
    print(f"==== SMTP: {a.hostile} hostile sessions for {a.seconds:g} s "
          f"+ {a.legit} legitimate ones, against smtp_driver ====",
          flush=True)
    # The server keeps the limits it would have under danelab serve (the
    # soft NOFILE limit the shell gives it), not the load's raised one.
    p = subprocess.Popen(
        pin(srv_cpu) + [driver, "-p", "0", "-m", md, "-e", events,
                        os.path.join(ROOT, "scenarios", a.scenario +
                                     ".yaml")],
        stdout=subprocess.PIPE, stderr=open(os.path.join(tmp, "stderr"),
                                            "w"),
        text=True, preexec_fn=lambda: resource.setrlimit(
            resource.RLIMIT_NOFILE, (a.server_nofile or soft, hard)))
    ok = True
    try:
        line = p.stdout.readline()
        if not line.startswith("ready"):
            print("smtp_driver did not start: " +
                  open(os.path.join(tmp, "stderr")).read())
            return 1
        port = int(line.split()[1])
        time.sleep(0.2)
        m0 = proc_mem(p.pid)
        print(f"smtp_driver pid {p.pid} on 127.0.0.1:{port}, NOFILE "
              f"{a.server_nofile or soft}; " + ("server on CPU %d, load on CPU %d" %
                             (srv_cpu, load_cpu) if srv_cpu is not None
                             else "no pinning"))
        print(f"  before  {fmt_mem(m0)}")
        if load_cpu is not None:
            os.sched_setaffinity(0, {load_cpu})
        st, legit, ramp, legit_done, total = asyncio.run(smtp_load(port, a))
        time.sleep(2)
        alive = p.poll() is None
        m1 = proc_mem(p.pid)
        print(f"  after   {fmt_mem(m1)}   (2 s after the last client)")
        print(f"{len(st.up)} hostile slots connected in {ramp:.1f} s; legitimate sessions "
              f"done at {legit_done:.1f} s; load ended at {total:.1f} s")
        print(f"  {'kind':<9} {'slots':>5} {'conns':>6} {'srv closed':>10} "
              f"{'client err':>10} {'MB sent':>8}  replies")
        for i, k in enumerate(KINDS):
            v = st.k[k]
            slots = len(range(i, a.hostile, len(KINDS)))
            codes = " ".join(f"{c}x{n}" for c, n in
                             sorted(v["codes"].items()))
            print(f"  {k:<9} {slots:>5} {v['conns']:>6} "
                  f"{v['server_closed']:>10} {v['errors']:>10} "
                  f"{v['bytes'] / 1e6:>8.1f}  {codes}")
        good = [r for ok_, r in legit if ok_]
        bad = [r for ok_, r in legit if not ok_]
        print(f"legitimate sessions: {len(good)}/{a.legit} completed "
              f"(client side)" + (f", slowest {max(good):.1f} s" if good
                                  else ""))
        for why in sorted(set(bad))[:10]:
            print(f"  failed: {why} (x{bad.count(why)})")
        if alive:
            p_ok, p_why = asyncio.run(legit_session("127.0.0.1", port,
                                                    10 ** 6, 30))
            print(f"one more legitimate session after the load: "
                  f"{'ok' if p_ok else 'FAILED: ' + str(p_why)}")
        else:
            ok = False
            print(f"smtp_driver EXITED ({p.returncode}): " +
                  open(os.path.join(tmp, "stderr")).read()[-2000:])
        files, ev, stored = count_delivered(md, events)
        n = a.legit
        print(f"SMTP: legitimate delivered {len(files & set(range(n)))}"
              f"/{n} (maildir), {len(ev & set(range(n)))}/{n} (smtp.message"
              f" events) -- target {n}/{n}; messages stored in all "
              f"{len(os.listdir(md))}, smtp.message events {stored}")
        print(f"SMTP: RSS {m0.get('rss', 0) / 1024:.1f} -> "
              f"{m1.get('rss', 0) / 1024:.1f} MiB (peak "
              f"{m1.get('hwm', 0) / 1024:.1f} MiB), open FDs "
              f"{m0.get('fds')} -> {m1.get('fds')} (target: flat)")
        print(f"event log {os.path.getsize(events) / 1e6:.1f} MB")
    finally:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(15)
            except subprocess.TimeoutExpired:
                print("smtp_driver ignored SIGTERM for 15 s; killed")
                p.kill()
                p.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0 if ok else 1


# ================================================================= main


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("build", nargs="?")
    ap.add_argument("--inside-dns")
    ap.add_argument("--quick", action="store_true",
                    help="100k queries, 50 + 5 sessions, 10 s")
    ap.add_argument("--only", choices=["dns", "smtp"])
    ap.add_argument("--scenario", default=SCENARIO)
    ap.add_argument("--queries", type=int)
    ap.add_argument("--events", action="store_true",
                    help="DNS: write the server's event log too")
    ap.add_argument("--hostile", type=int)
    ap.add_argument("--legit", type=int)
    ap.add_argument("--seconds", type=float)
    ap.add_argument("--drip-ms", type=int, default=4000)
    ap.add_argument("--huge-mb", type=float, default=11)
    ap.add_argument("--server-nofile", type=int,
                    help="smtp_driver's RLIMIT_NOFILE (default: this "
                    "shell's soft limit)")
    a = ap.parse_args()
    if a.inside_dns:
        return dns_inside(json.loads(a.inside_dns))
    if not a.build:
        ap.error("BUILD (a meson build directory) is needed")
    build = os.path.abspath(a.build)
    if os.path.isfile(build):           # BUILD/danelab given
        build = os.path.dirname(build)
    for k, full, quick in (("queries", 1000000, 100000),
                           ("hostile", 500, 50), ("legit", 50, 5),
                           ("seconds", 75, 10)):
        if getattr(a, k) is None:
            setattr(a, k, quick if a.quick else full)
    if os.geteuid() != 0:
        print("reliability_bench: run as root, inside a sandbox "
              "(namespaces, port 53)")
        return 77
    load0 = os.getloadavg()[0]
    rc = 0
    if a.only in (None, "dns"):
        rc = max(rc, run_dns(a, build))
        print(flush=True)
    if a.only in (None, "smtp"):
        rc = max(rc, run_smtp(a, build))
    print(f"\nload average (1 min) before {load0:.2f}, after "
          f"{os.getloadavg()[0]:.2f} (2 cores shared: figures are noisy "
          f"above ~2)")
    return rc


if __name__ == "__main__":
    sys.exit(main())
