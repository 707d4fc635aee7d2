"""test_smtp_robust -- danelab's SMTP server under load and abuse.

    python3 test_smtp_robust.py SMTP_DRIVER SOURCE_ROOT

Starts tests/integration/smtp_driver (danelab's SMTP server alone, for
scenarios/control/valid-dane-ee.yaml, on 127.0.0.1 and a port the kernel
picks) and checks, printing TAP:
  - 500 sessions held open at once, then each completes a transaction:
    all are served, and the event log has 500 smtp.close events with one
    message accepted in cleartext each (messages_plain 1, handshake none);
  - a stalled client (half a command, or DATA never finished) does not
    delay a full session of another client;
  - garbage, NUL bytes, over-long lines, a disconnect mid-DATA and an
    abrupt disconnect mid-TLS-handshake never crash the server, which
    serves a normal session after each;
  - a client stalled longer than the idle timeout gets 421 4.4.2;
  - the session limit: one client over it gets 421 4.3.2;
  - SIGTERM with sessions open: each still gets its smtp.close (how
    server-abort), every smtp.connect has its smtp.close;
  - out of descriptors (RLIMIT_NOFILE 256, more idle connections than
    that; once with the session limit reached first, once with the rest
    of the process holding descriptors so that accept fails first): the
    server uses no CPU while idle, a new client gets 421 4.3.2 (or is
    served), and a session already open completes a transaction;
  - time bounds: a client dripping a command one byte at a time, one
    sending NOOP forever and one dripping DATA lines are each closed with
    421 4.4.2 after the idle, session and DATA bounds;
  - DATA is not held in memory: 40 concurrent 9.5 MB messages leave the
    server's peak RSS far below their size, and one stored in the
    maildir arrives whole (size, digest), with no .tmp left;
  - real clients in every STARTTLS mode (on, off, reject,
    handshake-failure, the last three as scenario faults):
    `openssl s_client -starttls smtp` and `swaks --tls`, checking what
    the client saw and what the events recorded (skipped per tool when
    it is not installed).
Exit 0 all ok, 1 something failed (also: the driver did not start; a
product that fails to start is a failure, never a skip).
"""

import asyncio
import hashlib
import json
import os
import resource
import select
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time

N_SESSIONS = 500

results = []


def check(ok, what, diag=None):
    results.append(ok)
    print("%s %d - %s" % ("ok" if ok else "not ok", len(results), what))
    if not ok and diag:
        for line in str(diag).splitlines():
            print("# " + line)
    sys.stdout.flush()


def start_driver(driver, scenario, events, idle_ms=None, extra=(),
                 nofile=None):
    args = [driver, "-p", "0", "-e", events] + list(extra)
    if idle_ms is not None:
        args += ["-i", str(idle_ms)]
    args.append(scenario)

    def limit():
        if nofile is not None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))
    p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, preexec_fn=limit)
    line = p.stdout.readline()
    if not line.startswith("ready "):
        p.kill()
        p.wait()
        return None, None
    return p, int(line.split()[1])


def stop_driver(p):
    p.terminate()
    try:
        return p.wait(timeout=10)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        return None


# ------------------------------------------------------------ sync client

class Client:
    def __init__(self, port, timeout=5.0):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.f = self.s.makefile("rb")

    def reply(self):
        lines = []
        while True:
            line = self.f.readline()
            if not line:
                return None, lines
            lines.append(line)
            if len(line) >= 4 and line[3:4] == b" ":
                return int(line[:3]), lines

    def cmd(self, c):
        self.s.sendall(c + b"\r\n")
        return self.reply()[0]

    def close(self):
        try:
            self.f.close()
            self.s.close()
        except OSError:
            pass


def full_session(port, tls=False):
    """One complete transaction; True if every reply was as expected."""
    c = Client(port)
    try:
        if c.reply()[0] != 220 or c.cmd(b"EHLO probe") != 250:
            return False
        if tls:
            if c.cmd(b"STARTTLS") != 220:
                return False
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            c.s = ctx.wrap_socket(c.s, server_hostname="mx1.example.net")
            c.f = c.s.makefile("rb")
            if c.cmd(b"EHLO probe") != 250:
                return False
        ok = (c.cmd(b"MAIL FROM:<s@example.org>") == 250 and
              c.cmd(b"RCPT TO:<a@example.net>") == 250 and
              c.cmd(b"DATA") == 354)
        if not ok:
            return False
        c.s.sendall(b"Subject: x\r\n\r\nhello\r\n.\r\n")
        return c.reply()[0] == 250 and c.cmd(b"QUIT") == 221
    except (OSError, ssl.SSLError):
        return False
    finally:
        c.close()


# -------------------------------------------------------- 500 at once

async def one_async(port, opened, go):
    r, w = await asyncio.open_connection("127.0.0.1", port)

    async def reply():
        while True:
            line = await r.readline()
            if not line:
                return None
            if line[3:4] == b" ":
                return int(line[:3])

    try:
        if await reply() != 220:
            return False
        opened.append(1)
        await go.wait()
        for cmd, want in ((b"EHLO many", 250),
                          (b"MAIL FROM:<s@example.org>", 250),
                          (b"RCPT TO:<a@example.net>", 250),
                          (b"DATA", 354),
                          (b"Subject: m\r\n\r\nbody\r\n.", 250),
                          (b"QUIT", 221)):
            w.write(cmd + b"\r\n")
            await w.drain()
            if await reply() != want:
                return False
        return True
    finally:
        w.close()


async def many(port, n):
    opened = []
    go = asyncio.Event()
    tasks = [asyncio.create_task(one_async(port, opened, go))
             for _ in range(n)]
    t0 = time.monotonic()
    while len(opened) < n and time.monotonic() - t0 < 30:
        if any(t.done() for t in tasks):
            break
        await asyncio.sleep(0.05)
    held = len(opened)
    go.set()
    res = await asyncio.wait_for(
        asyncio.gather(*tasks, return_exceptions=True), 60)
    return held, sum(1 for x in res if x is True)


def count_events(path, ev, **fields):
    n = 0
    with open(path) as f:
        for line in f:
            e = json.loads(line)
            if e.get("ev") == ev and all(e.get(k) == v
                                         for k, v in fields.items()):
                n += 1
    return n

# ------------------------------------------------------- real clients

def read_events(path):
    with open(path) as f:
        return [json.loads(line) for line in f]


def real_clients(driver, scenario, tmp):
    """openssl s_client and swaks --tls against every STARTTLS mode."""
    base = open(scenario).read()
    have_openssl = shutil.which("openssl") is not None
    have_swaks = shutil.which("swaks") is not None
    if not have_openssl:
        print("# openssl not installed: s_client checks skipped")
    if not have_swaks:
        print("# swaks not installed: swaks checks skipped")
    for mode in ("on", "off", "reject", "handshake-failure"):
        text = base
        if mode != "on":
            text += ("\nfaults:\n  - starttls: %s\n"
                     "    host: mx1.example.net\n" % mode)
        scen = os.path.join(tmp, "starttls-%s.yaml" % mode)
        with open(scen, "w") as f:
            f.write(text)
        ev = os.path.join(tmp, "ev-%s.jsonl" % mode)
        p, port = start_driver(driver, scen, ev)
        if p is None:
            check(False, "%s: smtp_driver started" % mode)
            continue
        try:
            if have_openssl:
                r = subprocess.run(
                    ["openssl", "s_client", "-connect",
                     "127.0.0.1:%d" % port, "-starttls", "smtp",
                     "-servername", "mx1.example.net", "-brief"],
                    input="QUIT\n", capture_output=True, text=True,
                    timeout=20)
                out = r.stdout + r.stderr
                tls_ok = "CONNECTION ESTABLISHED" in out
                check(tls_ok == (mode == "on"),
                      "s_client, starttls %s: TLS %s" %
                      (mode, "established" if tls_ok else "not established"),
                      out[-1500:])
                time.sleep(0.1)
                evs = read_events(ev)
                st = [e for e in evs if e["ev"] == "smtp.starttls"]
                tl = [e for e in evs if e["ev"] == "smtp.tls"]
                want = {"on": "ready", "off": "not-offered",
                        "reject": "rejected",
                        "handshake-failure": "ready"}[mode]
                check(len(st) == 1 and st[0]["result"] == want and
                      st[0]["offered"] == (mode != "off"),
                      "s_client, starttls %s: smtp.starttls result %s, "
                      "offered %s" % (mode, want, mode != "off"), st)
                if mode == "on":
                    check(len(tl) == 1 and tl[0]["result"] == "ok" and
                          tl[0]["sni"] == "mx1.example.net" and
                          tl[0]["chain"] == ["mx-cur", "int-r3"],
                          "s_client: smtp.tls ok, SNI and chain recorded",
                          tl)
                if mode == "handshake-failure":
                    check(len(tl) == 1 and tl[0]["result"] == "failed" and
                          tl[0]["fault"] == "handshake-failure",
                          "s_client: smtp.tls failed by the fault", tl)
                    cl = [e for e in evs if e["ev"] == "smtp.close"]
                    check(cl and cl[-1]["handshake"] == "failed" and
                          cl[-1]["starttls_used"] is True,
                          "s_client: smtp.close handshake failed", cl)
            if have_swaks:
                before = (len([e for e in read_events(ev)
                               if e["ev"] == "smtp.close"])
                          if os.path.exists(ev) else 0)
                r = subprocess.run(
                    ["swaks", "--server", "127.0.0.1:%d" % port, "--tls",
                     "--tls-sni", "mx1.example.net",
                     "--from", "s@example.org", "--to", "a@example.net",
                     "--timeout", "10"],
                    capture_output=True, text=True, timeout=30)
                sent = r.returncode == 0
                check(sent == (mode == "on"),
                      "swaks --tls, starttls %s: %s" %
                      (mode, "delivered" if sent else "refused to send"),
                      (r.stdout + r.stderr)[-1500:])
                time.sleep(0.1)
                evs = read_events(ev) if os.path.exists(ev) else []
                cl = [e for e in evs if e["ev"] == "smtp.close"][before:]
                # (handshake, messages_tls, messages_plain)
                want = {"on": ("ok", 1, 0), "off": ("none", 0, 0),
                        "reject": ("none", 0, 0),
                        "handshake-failure": ("failed", 0, 0)}[mode]
                got = tuple(cl[0].get(k) for k in (
                    "handshake", "messages_tls", "messages_plain")) \
                    if len(cl) == 1 else None
                check(got == want and "outcome" not in cl[0],
                      "swaks --tls, starttls %s: smtp.close handshake %s, "
                      "%d message(s) in TLS, %d in cleartext" %
                      ((mode,) + want), cl)
        finally:
            stop_driver(p)


# ------------------------------------------------- bounded resources

def cpu_seconds(pid):
    """User + system CPU time of a process so far."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return -1.0


def greeting(port, timeout=2.0):
    """The code of the first reply a new client gets (None: none)."""
    try:
        c = Client(port, timeout=timeout)
    except OSError:
        return None
    try:
        return c.reply()[0]
    except OSError:
        return None
    finally:
        c.close()


def fd_exhaustion(driver, scenario, tmp, what, extra):
    """RLIMIT_NOFILE 256 and 400 idle connections: no busy loop, 421."""
    ev = os.path.join(tmp, "ev-fd-%s.jsonl" % what.split()[0])
    p, port = start_driver(driver, scenario, ev, extra=extra, nofile=256)
    check(p is not None, "smtp_driver started (RLIMIT_NOFILE 256, %s)" % what)
    if p is None:
        return
    idle = []
    try:
        first = Client(port)
        first.reply()
        for _ in range(400):
            try:
                idle.append(socket.create_connection(("127.0.0.1", port),
                                                     timeout=5))
            except OSError:
                break
        time.sleep(0.5)
        c0 = cpu_seconds(p.pid)
        time.sleep(3.0)
        used = cpu_seconds(p.pid) - c0
        check(used < 0.3, "%s: %d idle connections, the server used %.2f s "
              "CPU in 3 s (no busy loop)" % (what, len(idle), used))
        code = greeting(port)
        check(code in (421, 220), "%s: a new client is answered (%r)"
              % (what, code))
        # The limit is (256 - 64) / 4 = 48 sessions (fdlimit.h): fewer
        # accepted means accept ran out of descriptors first.
        time.sleep(0.2)
        n = count_events(ev, "smtp.connect", accepted=True)
        check((n < 48) == ("-x" in extra),
              "%s: %d sessions accepted (the limit is 48)" % (what, n))
        ok = (first.cmd(b"HELO x") == 250 and
              first.cmd(b"MAIL FROM:<s@x.org>") == 250 and
              first.cmd(b"RCPT TO:<a@example.net>") == 250 and
              first.cmd(b"DATA") == 354 and
              first.cmd(b"hello\r\n.") == 250)
        check(ok, "%s: a session opened before completes a transaction"
              % what)
        first.close()
        for c in idle:
            c.close()
        idle = []
        time.sleep(0.5)
        check(full_session(port), "%s: serving again once the idle "
              "clients left" % what)
    except OSError as e:
        check(False, "%s: %r" % (what, e))
    finally:
        for c in idle:
            c.close()
        stop_driver(p)


def time_bounds(driver, scenario, tmp):
    ev = os.path.join(tmp, "ev-time.jsonl")
    p, port = start_driver(driver, scenario, ev, idle_ms=800,
                           extra=["-d", "1500", "-s", "4000"])
    check(p is not None, "smtp_driver started (idle 800 ms, DATA 1.5 s, "
          "session 4 s)")
    if p is None:
        return

    def drip(c, chunks, gap):
        """Send chunks with a gap; the time 421 4.4.2 came, or None."""
        t0 = time.monotonic()
        got = b""
        for ch in chunks:
            try:
                c.s.sendall(ch)
            except OSError:
                break
            end = time.monotonic() + gap
            while time.monotonic() < end:
                r, _, _ = select.select([c.s], [], [],
                                        end - time.monotonic())
                if not r:
                    break
                try:
                    data = c.s.recv(4096)
                except OSError:
                    data = b""
                if not data:
                    return None
                got += data
                if b"421 4.4.2" in got:
                    return time.monotonic() - t0
        return None

    try:
        c = Client(port)
        c.reply()
        dt = drip(c, [b"N", b"O", b"O", b"P", b" "] * 10, 0.3)
        c.close()
        check(dt is not None and dt < 2.5, "a command dripped a byte at a "
              "time: 421 4.4.2 after the idle bound (%r s)" % dt)
        c = Client(port)
        c.reply()
        dt = drip(c, [b"NOOP\r\n"] * 40, 0.3)
        c.close()
        check(dt is not None and 3.5 < dt < 6.0, "NOOP forever: 421 4.4.2 "
              "after the session bound (%r s)" % dt)
        c = Client(port)
        c.reply()
        c.cmd(b"HELO x")
        c.cmd(b"MAIL FROM:<s@x.org>")
        c.cmd(b"RCPT TO:<a@example.net>")
        c.cmd(b"DATA")
        dt = drip(c, [b"line\r\n"] * 40, 0.2)
        c.close()
        check(dt is not None and dt < 3.0, "DATA dripped a line at a time: "
              "421 4.4.2 after the DATA bound (%r s)" % dt)
        check(full_session(port), "still serving after the time bounds")
    finally:
        stop_driver(p)


BIG = 9500 * 1024


async def big_message(port, body_line, n_lines, sent, all_sent, n):
    """One message; the final dot only once all n sent their text."""
    r, w = await asyncio.open_connection("127.0.0.1", port)

    async def reply():
        while True:
            line = await r.readline()
            if not line:
                return None
            if line[3:4] == b" ":
                return int(line[:3])
    try:
        if await reply() != 220:
            return False
        for cmd, want in ((b"HELO big", 250),
                          (b"MAIL FROM:<s@example.org>", 250),
                          (b"RCPT TO:<a@example.net>", 250),
                          (b"DATA", 354)):
            w.write(cmd + b"\r\n")
            await w.drain()
            if await reply() != want:
                return False
        block = body_line * 64
        for _ in range(n_lines // 64):
            w.write(block)
            await w.drain()
        sent.append(1)
        if len(sent) == n:
            all_sent.set()
        await all_sent.wait()
        await asyncio.sleep(0.2)  # the server has read it all
        w.write(b".\r\nQUIT\r\n")
        await w.drain()
        return await reply() == 250
    finally:
        w.close()


async def many_big(port, n, body_line, n_lines):
    sent, all_sent = [], asyncio.Event()
    res = await asyncio.gather(*[big_message(port, body_line, n_lines,
                                             sent, all_sent, n)
                                 for _ in range(n)],
                               return_exceptions=True)
    return sum(1 for x in res if x is True)


def data_memory(driver, scenario, tmp):
    ev = os.path.join(tmp, "ev-big.jsonl")
    body_line = b"x" * 998 + b"\r\n"
    n_lines = BIG // len(body_line) // 64 * 64
    p, port = start_driver(driver, scenario, ev)
    check(p is not None, "smtp_driver started (40 x 9.5 MB)")
    if p is not None:
        try:
            base = peak_rss_mb(p.pid)
            ok = asyncio.run(many_big(port, 40, body_line, n_lines))
            peak = peak_rss_mb(p.pid)
            check(ok == 40 and peak < base + 64,
                  "40 concurrent 9.5 MB messages: %d accepted, peak RSS "
                  "%.1f MB (%.1f MB at start; the messages are %d MB)"
                  % (ok, peak, base, 40 * n_lines * len(body_line) >> 20))
        finally:
            stop_driver(p)
    mail = os.path.join(tmp, "maildir")
    os.mkdir(mail)
    ev = os.path.join(tmp, "ev-stored.jsonl")
    p, port = start_driver(driver, scenario, ev,
                           extra=["-m", mail, "--fsync"])
    check(p is not None, "smtp_driver started (maildir, --fsync)")
    if p is None:
        return
    try:
        ok = asyncio.run(many_big(port, 1, body_line, n_lines))
        time.sleep(0.1)
        names = sorted(os.listdir(mail))
        want = hashlib.sha256(body_line * n_lines).hexdigest()
        got = None
        if len(names) == 1 and names[0].endswith(".eml"):
            with open(os.path.join(mail, names[0]), "rb") as f:
                data = f.read()
            if body_line in data:
                got = hashlib.sha256(
                    data[data.index(body_line):]).hexdigest()
        check(ok == 1 and got == want, "a 9.5 MB message stored whole in "
              "the maildir, no .tmp left (%r)" % names)
        msg = [e for e in read_events(ev) if e["ev"] == "smtp.message"]
        check(msg and msg[-1]["size"] == n_lines * len(body_line) and
              msg[-1]["accepted"] is True and
              msg[-1]["path"] == os.path.join(mail, names[0]),
              "smtp.message: size and path of the stored message",
              msg[-1:])
    finally:
        stop_driver(p)


def main():
    if len(sys.argv) < 3:
        print("usage: test_smtp_robust.py SMTP_DRIVER SOURCE_ROOT")
        return 2
    driver, root = sys.argv[1], sys.argv[2]
    scenario = os.path.join(root, "scenarios", "control",
                            "valid-dane-ee.yaml")
    tmp = tempfile.mkdtemp(prefix="smtp_robust.")
    events = os.path.join(tmp, "events.jsonl")
    p, port = start_driver(driver, scenario, events)
    if p is None:
        check(False, "smtp_driver started (%s)" % driver)
        print("1..%d" % len(results))
        return 1
    try:
        # 500 held open at once, then each completes a transaction.
        held, served = asyncio.run(many(port, N_SESSIONS))
        check(held == N_SESSIONS, "%d sessions held open at once (%d)"
              % (N_SESSIONS, held))
        check(served == N_SESSIONS, "all %d completed a transaction (%d)"
              % (N_SESSIONS, served))
        time.sleep(0.2)
        n = count_events(events, "smtp.close", handshake="none",
                         messages_plain=1, messages_tls=0, delivered=True)
        check(n == N_SESSIONS, "500 smtp.close events, each with one "
              "message accepted in cleartext (%d)" % n)

        # Stalled clients do not delay others.
        stalled = []
        c = Client(port)
        c.reply()
        c.s.sendall(b"EHLO half-a-comm")      # no CRLF, never finished
        stalled.append(c)
        c = Client(port)
        c.reply()
        c.cmd(b"HELO x")
        c.cmd(b"MAIL FROM:<s@x.org>")
        c.cmd(b"RCPT TO:<a@example.net>")
        c.cmd(b"DATA")
        c.s.sendall(b"some text, then silence\r\n")
        stalled.append(c)
        c = Client(port)                      # never reads its greeting
        stalled.append(c)
        t0 = time.monotonic()
        ok = full_session(port) and full_session(port, tls=True)
        dt = time.monotonic() - t0
        check(ok and dt < 1.0,
              "a full plain and TLS session next to stalled clients "
              "(%.3f s)" % dt)
        for c in stalled:
            c.close()

        # Abuse, each followed by a normal session.
        def garbage():
            c = Client(port)
            c.reply()
            c.s.sendall(bytes(range(256)) * 20 + b"\r\n")
            c.s.sendall(b"\xff\xfe\r\n" * 50)
            c.close()

        def nul():
            c = Client(port)
            c.reply()
            code = c.cmd(b"EH\0LO x")
            c.s.sendall(b"\0" * 5000)
            c.close()
            return code == 500

        def overlong():
            c = Client(port)
            c.reply()
            code = c.cmd(b"MAIL FROM:<" + b"a" * 100000 + b">")
            ok = code == 500 and c.cmd(b"NOOP") == 250
            c.close()
            return ok

        def mid_data():
            c = Client(port)
            c.reply()
            c.cmd(b"HELO x")
            c.cmd(b"MAIL FROM:<s@x.org>")
            c.cmd(b"RCPT TO:<a@example.net>")
            c.cmd(b"DATA")
            c.s.sendall(b"x" * 5000 + b"\r\n" + b"y" * 300)
            c.s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                           b"\x01\x00\x00\x00\x00\x00\x00\x00")
            c.close()                         # RST

        def mid_tls():
            c = Client(port)
            c.reply()
            c.cmd(b"EHLO x")
            c.cmd(b"STARTTLS")
            # A ClientHello cut short, then gone.
            c.s.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"
                        + os.urandom(40))
            c.close()

        def tls_then_rst():
            c = Client(port)
            c.reply()
            c.cmd(b"EHLO x")
            c.cmd(b"STARTTLS")
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            s = ctx.wrap_socket(c.s, server_hostname="mx1.example.net")
            s.sendall(b"EHLO x\r\nMAIL FROM:<a@b>\r\n")
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                         b"\x01\x00\x00\x00\x00\x00\x00\x00")
            s.close()

        for name, fn in (("garbage bytes", garbage),
                         ("NUL bytes", nul),
                         ("over-long line", overlong),
                         ("disconnect mid-DATA", mid_data),
                         ("disconnect mid-handshake", mid_tls),
                         ("reset inside TLS", tls_then_rst)):
            try:
                r = fn()
            except (OSError, ssl.SSLError) as e:
                r = "exception %r" % e
            alive = p.poll() is None and full_session(port)
            check(alive and r in (None, True),
                  "%s: answered, server still serving" % name, r)
    finally:
        rc = stop_driver(p)
        err = p.stderr.read()
    check(rc == 0, "the server stopped cleanly on SIGTERM (%r)" % rc, err)

    # Idle timeout: a stalled client gets 421 4.4.2.
    events2 = os.path.join(tmp, "events2.jsonl")
    p, port = start_driver(driver, scenario, events2, idle_ms=500)
    check(p is not None, "smtp_driver started (idle timeout 500 ms)")
    try:
        c = Client(port, timeout=5)
        c.reply()
        t0 = time.monotonic()
        code, lines = c.reply()
        dt = time.monotonic() - t0
        check(code == 421 and b"4.4.2" in lines[0] and 0.3 < dt < 2.0,
              "stalled past the idle timeout: 421 4.4.2 (%.2f s)" % dt,
              lines)
        c.close()
        check(full_session(port), "still serving after the timeout")
    finally:
        stop_driver(p)
    # Session limit.
    events3 = os.path.join(tmp, "events3.jsonl")
    p, port = start_driver(driver, scenario, events3, extra=["-n", "3"])
    check(p is not None, "smtp_driver started (at most 3 sessions)")
    try:
        held = [Client(port) for _ in range(3)]
        codes = [c.reply()[0] for c in held]
        c = Client(port)
        code, lines = c.reply()
        c.close()
        check(codes == [220] * 3 and code == 421 and b"4.3.2" in lines[0],
              "over the session limit: 421 4.3.2 (%r, %r)" % (codes, code))
        for c in held:
            c.close()
        time.sleep(0.2)
        check(full_session(port), "serving again below the limit")
        # Sessions open when the server stops: each is closed in the log.
        held = [Client(port) for _ in range(2)]
        for c in held:
            c.reply()
        held[0].cmd(b"EHLO c")
        time.sleep(0.1)
    finally:
        rc = stop_driver(p)
    for c in held:
        c.close()
    evs = read_events(events3)
    conn = sorted(e["session"] for e in evs if e["ev"] == "smtp.connect")
    clos = sorted(e["session"] for e in evs if e["ev"] == "smtp.close")
    aborted = [e for e in evs if e["ev"] == "smtp.close"
               and e["session"] in conn[-2:]]
    check(rc == 0 and conn == clos and len(aborted) == 2 and
          all(e["how"] == "server-abort" for e in aborted) and
          aborted[0]["starttls_offered"] != aborted[1]["starttls_offered"],
          "SIGTERM with 2 sessions open: both closed in the log (how "
          "server-abort, starttls_offered per their EHLO); every "
          "smtp.connect has its smtp.close", aborted)

    fd_exhaustion(driver, scenario, tmp, "session limit first", [])
    fd_exhaustion(driver, scenario, tmp, "accept fails first",
                  ["-x", "210"])
    time_bounds(driver, scenario, tmp)
    data_memory(driver, scenario, tmp)
    real_clients(driver, scenario, tmp)
    shutil.rmtree(tmp, ignore_errors=True)
    print("1..%d" % len(results))
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
