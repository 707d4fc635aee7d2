#!/usr/bin/env python3
"""validators: the DNSSEC states a scenario declares are the states two
independent validators see in the exported world.

For every scenario (timeline scenarios: the first phase, the default
export):

 1. `danelab export ID DIR` into a temporary directory; its NSD and unbound
    configurations must use loopback addresses only.
 2. In fresh namespaces (`unshare -n -m -p -f --mount-proc --kill-child`,
    as root; `lo` brought up) run the export's start.sh (one NSD per zone
    on 127.53.0.x:53, unbound on 127.53.53.53:53), then wait -- bounded,
    5 s -- until every NSD and the resolver answer.
 3. For the mail domain's MX RRset, each MX host's A RRset and each host's
    TLSA RRset at _<port>._tcp.<host> (for a CNAME host, at the CNAME
    target, where the spec puts its TLSA), find the DNSSEC state two ways:
      unbound  `dig +dnssec @127.53.53.53 NAME TYPE`: AD flag = secure,
               SERVFAIL (or timeout) = bogus/indeterminate, NOERROR or
               NXDOMAIN without AD = insecure;
      delv     `delv @127.53.53.53 -a DIR/anchor/trust-anchors.conf +root=.
               NAME TYPE` (delv validates itself): "fully validated" =
               secure, "unsigned answer" = insecure, failure = bogus.
    and compare both with the declared expect.mx / expect.address.<host> /
    expect.tlsa.<host> (bogus and indeterminate are one class here: neither
    tool tells them apart).  For answers that are not bogus, the data is
    compared too: the MX RRset with the declared hosts and preferences,
    each A RRset with the declared addresses.  Names under a `dns:` protocol fault (servfail,
    timeout, lame...) are reported as SKIP: static NSD cannot reproduce
    those faults.
 4. stop.sh (by PID files), and check that it stopped every process; then
    the namespace ends (pid 1 exits; --kill-child covers our own death).

At the end: no process is left in any namespace we made (their ids are
reported from inside) or mentions our temporary directory, and the
directory is gone.  Runtime per scenario is printed (aim: about 1 s).

Environment: DANELAB_IT_JOBS = scenarios run in parallel (default: number
of CPUs, at most 4; each has its own namespaces, so addresses do not
clash); DANELAB_IT_READY = readiness bound (s, default 5); DANELAB_IT_SLOW =
a scenario slower than this fails (s, default 15).
"""

import concurrent.futures
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time

import dltest
from dltest import Tap

RESOLVER = "127.53.53.53"
READY_TIMEOUT = float(os.environ.get("DANELAB_IT_READY") or 5)
SLOW = float(os.environ.get("DANELAB_IT_SLOW") or 15)  # fail above this

_children = set()
_children_lock = threading.Lock()


# ------------------------------------------------------ inside the namespace


def _tool(argv, timeout):
    """(exit status, stdout + stderr) of a command; -1 on our timeout."""
    try:
        r = subprocess.run(argv, capture_output=True, text=True,
                           timeout=timeout)
        return r.returncode, r.stdout + r.stderr
    except subprocess.TimeoutExpired:
        return -1, f"{argv[0]}: timed out (test timeout {timeout} s)"


def _dig(argv, timeout):
    return _tool(["dig"] + argv, timeout)


def _procs():
    """Other processes in this pid namespace: [(pid, state, comm)]."""
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit() or int(d) == os.getpid():
            continue
        try:
            with open(f"/proc/{d}/stat") as fp:
                st = fp.read()
        except OSError:
            continue
        comm = st[st.index("(") + 1:st.rindex(")")]
        state = st[st.rindex(")") + 2]
        out.append((int(d), state, comm))
    return out


def _reap():
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def inside(export_dir, queries):
    """Runs as pid 1 of fresh namespaces; prints one JSON object."""
    res = {"errors": [], "queries": [], "leftover": [], "t": {},
           "ns": [os.readlink(f"/proc/self/ns/{k}")
                  for k in ("pid", "net", "mnt")]}
    t0 = time.monotonic()
    subprocess.run(["ip", "link", "set", "lo", "up"], check=False)
    r = subprocess.run([os.path.join(export_dir, "start.sh")],
                       capture_output=True, text=True, timeout=30)
    res["t"]["start"] = time.monotonic() - t0
    if r.returncode != 0:
        res["errors"].append(f"start.sh exit {r.returncode}: "
                             f"{r.stdout}{r.stderr}")

    # Ready = every NSD and then the resolver answer (any response).
    servers = []
    nsd_dir = os.path.join(export_dir, "nsd")
    for f in sorted(os.listdir(nsd_dir)):
        conf = open(os.path.join(nsd_dir, f)).read()
        addr = re.search(r"ip-address:\s*(\S+)", conf)
        zone = re.search(r'name:\s*"?([^"\s]+)"?', conf)
        if addr and zone:
            servers.append((addr.group(1), zone.group(1), ["+norec"]))
    servers.append((RESOLVER, ".", []))
    deadline = t0 + READY_TIMEOUT
    for addr, zone, extra in servers:
        while True:
            rc, out = _dig(extra + ["+time=1", "+tries=1", f"@{addr}",
                                    zone, "SOA"], 3)
            if rc == 0 and "status:" in out:
                break
            if time.monotonic() > deadline:
                res["errors"].append(f"not ready after {READY_TIMEOUT} s: "
                                     f"{addr} ({zone}): {out.strip()}")
                break
            time.sleep(0.02)
    res["t"]["ready"] = time.monotonic() - t0

    if not res["errors"]:
        # every (name, tool) at once: each is an independent client of
        # the resolver, and the run stays near 1 s per scenario
        anchor = os.path.join(export_dir, "anchor", "trust-anchors.conf")
        jobs = []
        for name, rtype in queries:
            jobs.append(("dig", ["dig", "+dnssec", "+time=3", "+tries=1",
                                 f"@{RESOLVER}", name, rtype]))
            jobs.append(("delv", ["delv", f"@{RESOLVER}", "-a", anchor,
                                  "+root=.", name, rtype]))
        with concurrent.futures.ThreadPoolExecutor(len(jobs)) as pool:
            outs = list(pool.map(lambda j: _tool(j[1], 20), jobs))
        for i, (name, rtype) in enumerate(queries):
            q = {"name": name, "type": rtype}
            for k in (2 * i, 2 * i + 1):
                tool, argv = jobs[k]
                rc, out = outs[k]
                q[tool] = {"cmd": " ".join(argv), "rc": rc, "out": out}
            res["queries"].append(q)
    res["t"]["queries"] = time.monotonic() - t0

    logs = os.path.join(export_dir, "run")
    if res["errors"]:
        for f in sorted(os.listdir(logs)):
            if f.endswith(".log"):
                res["errors"].append(f"{f}:\n" + open(
                    os.path.join(logs, f), errors="replace").read()[-1500:])
    subprocess.run([os.path.join(export_dir, "stop.sh")],
                   capture_output=True, timeout=30)
    deadline = time.monotonic() + 3
    while True:
        _reap()
        alive = [p for p in _procs() if p[1] != "Z"]
        if not alive or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    res["leftover"] = [f"pid {p} {c}" for p, _, c in alive]
    for p, _, _ in alive:
        os.kill(p, signal.SIGKILL)
    res["t"]["stop"] = time.monotonic() - t0
    print(json.dumps(res))
    return 0


# ------------------------------------------------------------- outside


def classify_dig(rc, out):
    """(state, detail) from dig output; state is secure|insecure|bogus|
    error(...)."""
    if rc != 0 or "status:" not in out:
        if "timed out" in out or rc == 9:
            return "bogus", "timeout"
        return f"error(dig exit {rc})", out.strip().split("\n")[-1]
    status = re.search(r"status: (\w+)", out).group(1)
    flags = re.search(r"flags:([^;]*);", out).group(1).split()
    ede = re.search(r"; EDE: (.*)", out)
    detail = f"{status} flags={' '.join(flags)}" + \
        (f" EDE {ede.group(1)[:100]}" if ede else "")
    if status in ("NOERROR", "NXDOMAIN"):
        return ("secure" if "ad" in flags else "insecure"), detail
    if status == "SERVFAIL":
        return "bogus", detail
    return f"error({status})", detail


def classify_delv(rc, out):
    """(state, detail) from delv output."""
    lines = [ln.strip() for ln in out.split("\n")]
    verdicts = [ln for ln in lines if ln in (
        "; fully validated", "; negative response, fully validated",
        "; unsigned answer", "; negative response, unsigned answer")]
    fails = [ln for ln in lines if ln.startswith(";; resolution failed")
             and "ncache" not in ln]
    if any("unsigned" in v for v in verdicts):
        return "insecure", "; ".join(verdicts)
    if verdicts:
        return "secure", verdicts[0]
    if fails or "timed out" in out:
        return "bogus", (fails[0] if fails else "timed out")
    return f"error(delv exit {rc})", out.strip().split("\n")[-1][:200]


def answer_rrs(dig_out, rtype):
    """Records of type rtype in dig's ANSWER section: [rdata tokens]."""
    out, inside = [], False
    for line in dig_out.split("\n"):
        if line.startswith(";; ANSWER SECTION"):
            inside = True
            continue
        if inside and (not line.strip() or line.startswith(";;")):
            break
        if inside and not line.startswith(";"):
            tok = line.split()
            if len(tok) >= 5 and tok[3].upper() == rtype:
                out.append(tok[4:])
    return out


def check_data(s, what, host, dig_out):
    """(ok, description) comparing an answer's data with the scenario: the
    MX RRset with the declared hosts and preferences, a host's A RRset
    with its declared addresses."""
    if what == "MX":
        want = sorted((h["preference"], h["name"]) for h in s.hosts)
        got = sorted((int(r[0]), dltest.fqdn(r[1]))
                     for r in answer_rrs(dig_out, "MX"))
    elif what == "A":
        want = sorted(host["addresses"])
        got = sorted(r[0] for r in answer_rrs(dig_out, "A"))
    else:
        return None
    return got == want, f"data expected={want} got={got}"


def matches(expected, observed):
    """expected: a declared state, or a list of the states validators may
    legitimately find (`[secure, bogus]`: unbound's clock-skew slack)."""
    if isinstance(expected, list):
        return any(matches(e, observed) for e in expected)
    if expected in ("bogus", "indeterminate"):
        return observed == "bogus"
    return expected == observed


# `dns:` faults that break the proof of a negative answer: a validator
# behind danelab's server must find that answer bogus.
DENIAL_FAULTS = ("proof-missing", "proof-wrong", "soa-changed")


def queries_for(s):
    """[(what, name, type, expected state, host)] for a scenario: the
    declared states, then the name and type of every denial fault not
    among them (expected bogus; NSD serves them intact, so `validators`
    skips them as protocol faults and `unbound-danelab` checks them)."""
    q = [("MX", s.domain, "MX", s.expect_state("mx"), None)]
    for h in s.hosts:
        q.append(("A", h["name"], "A",
                  s.expect_state("address", h["name"]), h))
    for h in s.hosts:
        base = h["cname"] or h["name"]
        q.append(("TLSA", f"_{h['port']}._tcp.{base}", "TLSA",
                  s.expect_state("tlsa", h["name"]), h))
    seen = {(dltest.fqdn(n), t) for _, n, t, _, _ in q}
    for kind, value, f in s.faults:
        if kind != "dns" or value not in DENIAL_FAULTS or not f.get("type"):
            continue
        key = (dltest.fqdn(f["name"]), str(f["type"]).upper())
        if key not in seen:
            seen.add(key)
            q.append(("DENIAL", key[0], key[1], "bogus", None))
    return q


def dns_fault(s, name, rtype, host):
    """The `dns:` fault that affects this query, if any (description)."""
    names = {name} | ({host["cname"]} if host and host["cname"] and
                      rtype == "A" else set())
    for kind, value, f in s.faults:
        if kind != "dns" or "name" not in f:
            continue
        fname = dltest.fqdn(f["name"])
        if value == "lame":
            if any(dltest.is_subdomain(n, fname) for n in names):
                return f"dns: lame {fname}"
        elif fname in names and (f.get("type") is None or
                                 str(f["type"]).upper() == rtype):
            return f"dns: {value} {fname} {f.get('type') or '*'}"
    return None


def loopback_only(dest):
    """Addresses in the export's server configurations outside 127/8."""
    bad = []
    for sub in ("nsd", "unbound"):
        d = os.path.join(dest, sub)
        for f in sorted(os.listdir(d)):
            if not f.endswith(".conf") and f != "root.hints":
                continue
            text = open(os.path.join(d, f)).read()
            for a in re.findall(r"(?:ip-address|interface):\s*(\S+)", text) \
                    + re.findall(r"\sA\s+(\S+)", text):
                if not a.startswith("127."):
                    bad.append(f"{sub}/{f}: {a}")
    return bad


def run_child(argv, timeout):
    """subprocess with the Popen remembered, so a signal can kill it."""
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    with _children_lock:
        _children.add(p)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
        err += f"\n(killed after {timeout} s)"
    finally:
        with _children_lock:
            _children.discard(p)
    return p.returncode, out, err


def run_scenario(s, danelab, src, tmp):
    """Export, run inside namespaces, return a result dict (no printing)."""
    t0 = time.monotonic()
    dest = os.path.join(tmp, s.id.replace("/", "_"))
    res = {"s": s, "queries": queries_for(s)}
    r, res["t_export"] = dltest.export(danelab, src, s.id, dest)
    res["export"] = r
    if r.returncode != 0:
        return res
    res["loopback"] = loopback_only(dest)
    argv = ["unshare", "-n", "-m", "-p", "-f", "--mount-proc",
            "--kill-child", sys.executable, os.path.abspath(__file__),
            "--inside", dest,
            json.dumps([(name, rtype) for _, name, rtype, _, _ in
                        res["queries"]])]
    t1 = time.monotonic()
    rc, out, err = run_child(argv, 120)
    res["t_ns"] = time.monotonic() - t1
    res["t_end"] = time.clock_gettime(time.CLOCK_BOOTTIME)
    res["ns_rc"], res["ns_err"] = rc, err
    try:
        res["inside"] = json.loads(out.strip().split("\n")[-1])
    except (ValueError, IndexError):
        res["inside"] = None
        res["ns_out"] = out
    shutil.rmtree(dest, ignore_errors=True)
    res["t_total"] = time.monotonic() - t0
    return res


def report(res, tap):
    s = res["s"]
    r = res["export"]
    if not tap.ok(r.returncode == 0, f"{s.id}: danelab export exit "
                  f"{r.returncode}"):
        tap.diag(dltest.short(r.stderr))
        return
    tap.ok(not res["loopback"], f"{s.id}: server addresses loopback only"
           + (f" (not: {res['loopback']})" if res["loopback"] else ""))
    ins = res["inside"]
    if not tap.ok(ins is not None and res["ns_rc"] == 0,
                  f"{s.id}: namespace run exit {res['ns_rc']}"):
        tap.diag(dltest.short(res.get("ns_out", "") + res["ns_err"], 3000))
        return
    if not tap.ok(not ins["errors"], f"{s.id}: start.sh and readiness "
                  f"(ready after {ins['t']['ready']:.2f} s)"):
        tap.diag("\n".join(ins["errors"]))
        return
    for (what, name, rtype, want, host), q in zip(res["queries"],
                                                  ins["queries"]):
        u, ud = classify_dig(q["dig"]["rc"], q["dig"]["out"])
        d, dd = classify_delv(q["delv"]["rc"], q["delv"]["out"])
        via = f" (host {host['name']})" if host and host["cname"] else ""
        desc = (f"{s.id}: {rtype} {name}{via} expected={want} "
                f"unbound={u} [{ud}] delv={d} [{dd}]")
        fault = dns_fault(s, name, rtype, host)
        if fault:
            tap.ok(True, desc, skip=f"{fault} not reproducible by NSD")
            continue
        if want is None:
            tap.ok(False, desc + " -- no declared state in expect")
            continue
        if not tap.ok(matches(want, u) and matches(want, d), desc):
            tap.diag("$ " + q["dig"]["cmd"] + "\n" + q["dig"]["out"])
            tap.diag("$ " + q["delv"]["cmd"] + "\n" + q["delv"]["out"])
        data = check_data(s, what, host, q["dig"]["out"]) \
            if u in ("secure", "insecure") else None
        if data is not None:
            tap.ok(data[0], f"{s.id}: {rtype} {name} {data[1]}")
    tap.ok(not ins["leftover"], f"{s.id}: stop.sh stopped every process"
           + (f" (left: {ins['leftover']})" if ins["leftover"] else ""))
    t = ins["t"]
    tap.ok(res["t_total"] < SLOW,
           f"{s.id}: runtime {res['t_total']:.2f} s < {SLOW:.0f} s (export "
           f"{res['t_export']:.2f}, namespace {res['t_ns']:.2f}: started "
           f"{t['start']:.2f}, ready {t['ready']:.2f}, queried "
           f"{t['queries']:.2f}, stopped {t['stop']:.2f})")


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--inside":
        return inside(sys.argv[2], json.loads(sys.argv[3]))
    danelab, src = dltest.args()
    dltest.need_tools("nsd", "unbound", "dig", "delv")
    dltest.need_yaml()
    dltest.need_root_namespaces()

    def on_signal(signum, frame):
        with _children_lock:
            for p in list(_children):
                p.kill()
        raise SystemExit(f"killed by signal {signum}")
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    scens, errors = dltest.catalogue(src)
    tap = Tap()
    for path, msg in errors:
        tap.ok(False, f"{path}: YAML parse: {msg}")
    if not scens and not errors:
        dltest.fail_all("no scenarios in scenarios/")
    jobs = int(os.environ.get("DANELAB_IT_JOBS") or
               min(4, os.cpu_count() or 1))
    t_all = time.monotonic()
    tmpdir = dltest.TempDir()
    with tmpdir as tmp:
        tap.diag(f"{len(scens)} scenarios, {jobs} in parallel, in {tmp}")
        with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
            futs = [pool.submit(run_scenario, s, danelab, src, tmp)
                    for s in scens]
            results = []
            for f in futs:
                results.append(f.result())
                report(results[-1], tap)
        # Leftovers: a process naming our directory (NSD renames itself,
        # so also:) living in a namespace we made, started before that
        # namespace ended (namespace ids are reused once freed).
        hz = os.sysconf("SC_CLK_TCK")
        ours = {}
        for r in results:
            for ns in (r.get("inside") or {}).get("ns", []):
                ours[ns] = max(ours.get(ns, 0), r["t_end"])
        leaked = []
        for d in os.listdir("/proc"):
            if not d.isdigit() or int(d) == os.getpid():
                continue
            try:
                with open(f"/proc/{d}/cmdline", "rb") as fp:
                    cmd = fp.read()
                with open(f"/proc/{d}/stat") as fp:
                    st = fp.read()
                started = int(st[st.rindex(")") + 2:].split()[19]) / hz
                nss = {os.readlink(f"/proc/{d}/ns/{k}")
                       for k in ("pid", "net", "mnt")}
            except (OSError, ValueError, IndexError):
                continue
            if tmp.encode() in cmd or any(
                    started <= ours[ns] for ns in nss if ns in ours):
                leaked.append(f"{d} {cmd[:60]!r}")
        tap.ok(not leaked, f"no process left in the {len(ours)} namespaces "
               f"made, none running from {tmp}"
               + (f" (left: {leaked})" if leaked else ""))
    tap.ok(not os.path.exists(tmpdir.path),
           f"temporary directory {tmpdir.path} removed")
    tap.diag(f"runtime {time.monotonic() - t_all:.1f} s for {len(scens)} "
             f"scenarios")
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
