#!/usr/bin/env python3
"""timeline: a scenario's phases played live in front of a caching resolver.

Inside `danelab shell -e EVENTS timeline/late-introduction-fast` (TLSA TTL
3 s; phases at 0 old-key, 1 next-published, 2 switched, 9 caches-expired)
this script runs itself again (--inside), waits for each phase.start event
in the event log, and checks:
  - the authoritative server (ns1.example.net, 127.53.0.3, no recursion)
    changes at once: one TLSA record, then two from next-published on;
  - the lab resolver (127.53.53.53) keeps the RRset it cached at the start
    (one record, AD) across next-published and switched, and returns the
    two records once the 3 s TTL ran out (and in caches-expired);
  - the SMTP server on mx1 (127.25.0.1:25) presents mx-cur until switched,
    then mx-next: its key matches the cached RRset before the switch and
    not right after it (the outage of a late introduction), and matches
    the authoritative RRset throughout.
Outside, afterwards: four phase.start events, in order, each swapped,
each at its offset (within a second), and SMTP TLS sessions recorded.

Then, without namespaces, `danelab serve` on the host's loopback (DNS on
a random port, SMTP on another): it prints the openssl s_client line and
"phase switched at N s: NAME" for each later phase, in order, each phase
(the first included) says where it is on the timeline ("phase K/4 'NAME'
at N s; next ...", the phases row with '>' at its column), and the
SMTP server's key changes at the switch.

Needs dig and openssl; the shell part needs root (namespaces) and is
skipped without.
  args: DANELAB SOURCE_ROOT
"""

import hashlib
import json
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dltest  # noqa: E402
from test_serve_shell import where_lines  # noqa: E402

WORLD = os.path.join("worlds", "timeline", "late-introduction-fast.yaml")
TLSA = "_25._tcp.mx1.example.net"
AUTH = "127.53.0.3"
RESOLVER = "127.53.53.53"
MX = "127.25.0.1"
MX_PORT = 25


# ------------------------------------------------------------ inside

def dig_tlsa(server, rec=True):
    """(rcode, ad, sorted TLSA data in lower-case hex) from server."""
    argv = ["dig", "+dnssec", "+nomultiline", "+noall", "+comments",
            "+answer", "+time=2", "+tries=2", "@" + server, TLSA, "TLSA"]
    if not rec:
        argv.insert(1, "+norec")
    r = subprocess.run(argv, capture_output=True, text=True, timeout=20)
    m = re.search(r"status: (\w+)", r.stdout)
    fl = re.search(r";; flags: ([a-z ]*);", r.stdout)
    data = []
    for line in r.stdout.splitlines():
        f = line.split()
        if len(f) >= 8 and not line.startswith(";") and f[3] == "TLSA":
            data.append(f"{f[4]} {f[5]} {f[6]} " + "".join(f[7:]).lower())
    return (m.group(1) if m else "none",
            bool(fl and "ad" in fl.group(1).split()), sorted(data))


def leaf_spki_sha256():
    """SHA-256 of the SPKI of the leaf mx1 presents (3 1 1 data)."""
    r = subprocess.run(["openssl", "s_client", "-connect", f"{MX}:{MX_PORT}",
                        "-starttls", "smtp", "-servername",
                        "mx1.example.net"], input=b"", capture_output=True,
                       timeout=20)
    m = re.search(rb"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE"
                  rb"-----\n", r.stdout, re.S)
    if not m:
        return None
    pub = subprocess.run(["openssl", "x509", "-noout", "-pubkey"],
                         input=m.group(0), capture_output=True, timeout=10)
    der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "DER"],
                         input=pub.stdout, capture_output=True, timeout=10)
    if not der.stdout:
        return None
    return "3 1 1 " + hashlib.sha256(der.stdout).hexdigest()


def phase_starts(events):
    out = {}
    try:
        with open(events) as f:
            for line in f:
                try:
                    e = json.loads(line)
                except ValueError:
                    continue
                if e.get("ev") == "phase.start":
                    out[e["index"]] = e
    except OSError:
        pass
    return out


def wait_phase(events, index, limit=30):
    t_end = time.monotonic() + limit
    while time.monotonic() < t_end:
        if index in phase_starts(events):
            return True
        time.sleep(0.02)
    return False


def inside(events):
    res = []

    def check(cond, desc, diag=None):
        res.append([bool(cond), desc, diag])

    def snapshot(label):
        t = time.monotonic()
        a = dig_tlsa(AUTH, rec=False)
        r = dig_tlsa(RESOLVER)
        leaf = leaf_spki_sha256()
        return {"label": label, "t": t, "auth": a, "res": r, "leaf": leaf}

    if not wait_phase(events, 0):
        check(False, "phase old-key started (phase.start 0 in the log)")
        return res
    s0 = snapshot("old-key")
    check(s0["auth"][0] == "NOERROR" and len(s0["auth"][2]) == 1,
          "old-key: the server has one TLSA record", s0["auth"])
    check(s0["res"][0] == "NOERROR" and s0["res"][1] and
          s0["res"][2] == s0["auth"][2],
          "old-key: the resolver validates it (AD) and caches it",
          s0["res"])
    check(s0["leaf"] is not None and s0["leaf"] in s0["res"][2],
          "old-key: mx1's key (mx-cur) matches the RRset", s0["leaf"])
    cached = s0["res"][2]

    wait_phase(events, 1)
    s1 = snapshot("next-published")
    check(len(s1["auth"][2]) == 2 and set(cached) < set(s1["auth"][2]),
          "next-published: the server has both records at once",
          s1["auth"])
    check(s1["res"][2] == cached and s1["res"][1],
          "next-published: the resolver still returns the cached RRset",
          s1["res"])
    check(s1["leaf"] == s0["leaf"],
          "next-published: mx1 still presents mx-cur", s1["leaf"])

    wait_phase(events, 2)
    s2 = snapshot("switched")
    fresh = s2["t"] - s0["t"] < 2.8
    check(s2["leaf"] is not None and s2["leaf"] != s0["leaf"],
          "switched: mx1 presents another key (mx-next) at once",
          s2["leaf"])
    check(s2["leaf"] in s2["auth"][2],
          "switched: mx-next matches the server's RRset", s2["auth"])
    check(s2["res"][2] == cached or not fresh,
          "switched: the resolver still returns the cached RRset "
          f"({s2['t'] - s0['t']:.2f} s after it was fetched, TTL 3)",
          s2["res"])
    check(s2["leaf"] not in s2["res"][2] or not fresh,
          "switched: mx-next matches nothing in the cached RRset "
          "(the late-introduction outage)", s2["res"])

    # The cached RRset expires 3 s after it was fetched; libunbound counts
    # whole seconds, so between 3 and 4 s.
    delay = s0["t"] + 4.6 - time.monotonic()
    if delay > 0:
        time.sleep(delay)
    s3 = snapshot("TTL expired")
    check(s3["res"][1] and s3["res"][2] == s3["auth"][2] and
          len(s3["res"][2]) == 2,
          "3 s TTL later: the resolver returns the new RRset (AD)",
          s3["res"])
    check(s3["leaf"] in s3["res"][2],
          "3 s TTL later: mx-next matches the resolver's RRset", s3["leaf"])

    wait_phase(events, 3)
    s4 = snapshot("caches-expired")
    check(s4["res"][2] == s4["auth"][2] and s4["leaf"] in s4["res"][2],
          "caches-expired: resolver and server agree, mx-next matches",
          s4["res"])
    return res


# ----------------------------------------------------------- outside

def can_namespace():
    if os.geteuid() != 0:
        return "not root"
    r = subprocess.run(["unshare", "-n", "-m", "-p", "-f", "--mount-proc",
                        "true"], capture_output=True, text=True)
    return None if r.returncode == 0 else "no namespaces"


def serve_host(danelab, src, world, tap):
    """`danelab serve` on the host: phase lines, SMTP key change."""
    import random
    import select
    port = random.randint(20000, 29999)
    sport = port + 1
    with dltest.TempDir() as tmp:
        p = subprocess.Popen([danelab, "--fixtures",
                              os.path.join(src, "fixtures"), "serve",
                              "--port", str(port), "--smtp-port", str(sport),
                              world], stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True,
                             env=dict(os.environ, TMPDIR=tmp))
        out = []
        keys = {}
        try:
            t_end = time.monotonic() + 20
            while time.monotonic() < t_end:
                rl, _, _ = select.select([p.stdout], [], [], 0.5)
                if not rl:
                    continue
                line = p.stdout.readline()
                if not line:
                    break
                out.append(line.rstrip("\n"))
                m = re.match(r"(ready:|phase switched at \d+ s: ([\w-]+))",
                             line)
                if m:
                    keys[m.group(2) or "old-key"] = leaf_host(sport)
                if line.startswith("phase switched at 9 s"):
                    # ... and the two lines of where it is
                    out += [p.stdout.readline().rstrip("\n")
                            for _ in range(2)]
                    break
        finally:
            p.terminate()
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        text = "\n".join(out)
        tap.ok(f"openssl s_client -connect {MX}:{sport} -starttls smtp "
               "-servername mx1.example.net" in text,
               "serve prints the openssl s_client line for mx1")
        phases = re.findall(r"^phase switched at (\d+) s: ([\w-]+)", text,
                            re.M)
        tap.ok(phases == [("1", "next-published"), ("2", "switched"),
                          ("9", "caches-expired")],
               f"serve prints each phase as it starts: {phases}")
        where_lines(text, "  ", [("old-key", 0), ("next-published", 1),
                                 ("switched", 2), ("caches-expired", 9)],
                    tap, "serve")
        tap.ok(keys.get("old-key") is not None and
               keys.get("old-key") == keys.get("next-published") and
               keys.get("switched") not in (None, keys.get("old-key")),
               "serve: the SMTP server's key changes at the switch")
        tap.diag(json.dumps(keys))
        if p.returncode != 0:
            tap.diag(dltest.short(text))
        tap.ok(p.returncode == 0, f"serve stopped cleanly ({p.returncode})")


def leaf_host(port):
    global MX_PORT
    MX_PORT = port
    try:
        return leaf_spki_sha256()
    finally:
        MX_PORT = 25


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--inside":
        print(json.dumps(inside(sys.argv[2])))
        return 0
    danelab, src = dltest.args()
    dltest.need_tools("dig", "openssl")
    dltest.setup_signals()
    world = os.path.join(src, "tests", "integration", WORLD)
    tap = dltest.Tap()
    serve_host(danelab, src, world, tap)
    why = can_namespace()
    if why is not None:
        tap.ok(True, "danelab shell: timeline in front of the resolver",
               skip=why)
        return tap.done()
    with dltest.TempDir() as tmp:
        events = os.path.join(tmp, "events.jsonl")
        argv = [danelab, "--fixtures", os.path.join(src, "fixtures"),
                "shell", "-q", "-e", events, world, "--",
                sys.executable, os.path.abspath(__file__), "--inside",
                events]
        t0 = time.monotonic()
        r = subprocess.run(argv, capture_output=True, text=True,
                           timeout=120, env=dict(os.environ, TMPDIR=tmp))
        tap.diag(f"danelab shell ran {time.monotonic() - t0:.1f} s, "
                 f"status {r.returncode}")
        if r.returncode != 0:
            tap.ok(False, "danelab shell ... -- inner checks ran")
            tap.diag(dltest.short(r.stderr))
            tap.diag(dltest.short(r.stdout))
            return tap.done()
        try:
            results = json.loads(r.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            tap.ok(False, "inner checks printed their results")
            tap.diag(dltest.short(r.stdout + r.stderr))
            return tap.done()
        for ok, desc, diag in results:
            tap.ok(ok, desc)
            if diag is not None:
                tap.diag(json.dumps(diag))

        starts = []
        tls = 0
        with open(events) as f:
            for line in f:
                e = json.loads(line)
                if e.get("ev") == "phase.start":
                    starts.append(e)
                elif e.get("ev") == "smtp.tls":
                    tls += 1
        tap.ok([e["phase"] for e in starts] ==
               ["old-key", "next-published", "switched", "caches-expired"]
               and [e["index"] for e in starts] == [0, 1, 2, 3],
               "events: four phase.start, in order")
        for e in starts:
            tap.ok(e.get("swapped") is True and
                   e["at"] <= e["offset"] < e["at"] + 1.0,
                   f"events: phase {e['phase']} swapped at {e['offset']} s "
                   f"(scheduled {e['at']} s)")
        tap.ok(tls >= 4, f"events: {tls} SMTP TLS handshakes recorded")
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
