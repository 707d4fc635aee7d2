#!/usr/bin/env python3
"""unbound-danelab: a real unbound daemon, walking danelab's own DNS servers
from the root, sees the DNSSEC states each scenario declares.

(`validators` does the same against NSD serving the export, `serve-shell`
through danelab's lab resolver; this one puts a stock validating resolver
in front of danelab's authoritative server.)

For every scenario (timeline scenarios: the first phase):

 1. In fresh namespaces (`unshare -n -m -p -f --mount-proc --kill-child`,
    as root; `lo` up), `danelab serve ID --port 53`: danelab's DNS servers
    on 127.53.0.x:53 (and its lab resolver on 127.53.53.53, unused here).
 2. unbound from Debian with the configuration serve writes into the world
    it serves (world/unbound/unbound.conf: root hints = danelab's root
    server, trust anchor = the lab root key, `harden-dnssec-stripped`),
    moved to 127.54.53.53 and started in the foreground.
 3. For the mail domain's MX RRset, each MX host's A RRset and each
    host's TLSA RRset (for a CNAME host, at the CNAME target), the DNSSEC
    state two ways, as in `validators`:
      unbound  `dig +dnssec @127.54.53.53 NAME TYPE`: AD = secure,
               SERVFAIL or no answer = bogus, otherwise insecure;
      delv     `delv @127.54.53.53 -a ANCHOR +root=. NAME TYPE`;
    compared with expect.mx / expect.address.<host> / expect.tlsa.<host>
    (bogus and indeterminate are one class).  Answers that are not bogus
    also have their MX and A data compared with the scenario.  DNS
    faults are played by danelab's server, so none is skipped.
 4. unbound and serve stopped (SIGTERM, by PID); the namespaces end with
    their pid 1.

Skips (77) when not root or without unbound/dig/delv; an empty scenario
folder fails.  Environment: DANELAB_IT_JOBS (scenarios in
parallel, default min(2, CPUs)).
"""

import concurrent.futures
import glob
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import dltest
import test_validators
from dltest import Tap
from test_validators import (check_data, classify_delv, classify_dig,
                             matches, queries_for, run_child)

RESOLVER = "127.54.53.53"
READY_TIMEOUT = 20.0


def _dig_ok(argv):
    r = subprocess.run(["dig", "+time=1", "+tries=1"] + argv,
                       capture_output=True, text=True)
    return r.returncode == 0 and "status:" in r.stdout


def inside(cfg):
    """pid 1 of fresh namespaces; prints one JSON object."""
    res = {"errors": [], "queries": [], "t": {}}
    t0 = time.monotonic()
    procs = []
    tmp = tempfile.mkdtemp(prefix="danelab-ub-")
    try:
        subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
        log = open(os.path.join(tmp, "serve.log"), "w")
        # --no-timeline: the states expected are the first phase's.
        p = subprocess.Popen(cfg["danelab"] + ["serve", cfg["id"],
                                               "--no-timeline", "--port",
                                               "53"],
                             stdout=log, stderr=subprocess.STDOUT,
                             env=dict(os.environ, TMPDIR=tmp))
        procs.append(("danelab serve", p))
        deadline = t0 + READY_TIMEOUT
        world = None
        while world is None:
            found = glob.glob(os.path.join(tmp, "danelab-*", "world",
                                           "unbound", "unbound.conf"))
            if found and "ready" in open(log.name).read():
                world = os.path.dirname(os.path.dirname(found[0]))
            elif p.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("danelab serve did not come up: " +
                                   open(log.name).read()[-2000:])
            else:
                time.sleep(0.05)
        res["t"]["serve"] = time.monotonic() - t0
        run = os.path.join(tmp, "ub")
        os.makedirs(run)
        for f in ("unbound/root.hints", "anchor/root.key",
                  "anchor/trust-anchors.conf"):
            shutil.copy(os.path.join(world, f), run)
        conf = open(os.path.join(world, "unbound", "unbound.conf")).read()
        subs = {"interface": RESOLVER, "directory": f'"{run}"',
                "pidfile": f'"{run}/unbound.pid"',
                "logfile": f'"{run}/unbound.log"',
                "root-hints": f'"{run}/root.hints"',
                "trust-anchor-file": f'"{run}/root.key"'}
        for k, v in subs.items():
            conf = re.sub(rf"(?m)^(\s*){k}:.*$", rf"\g<1>{k}: {v}", conf)
        res["hints"] = open(os.path.join(run, "root.hints")).read()
        path = os.path.join(run, "unbound.conf")
        open(path, "w").write(conf)
        u = subprocess.Popen(["unbound", "-d", "-c", path],
                             stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        procs.append(("unbound", u))
        while not _dig_ok([f"@{RESOLVER}", ".", "SOA"]):
            if u.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("unbound did not come up: " + open(
                    f"{run}/unbound.log", errors="replace").read()[-1500:]
                    if os.path.exists(f"{run}/unbound.log") else "")
            time.sleep(0.05)
        res["t"]["ready"] = time.monotonic() - t0
        anchor = os.path.join(run, "trust-anchors.conf")
        jobs = []
        for name, rtype in cfg["queries"]:
            jobs.append(["dig", "+dnssec", "+time=5", "+tries=1",
                         f"@{RESOLVER}", name, rtype])
            jobs.append(["delv", f"@{RESOLVER}", "-a", anchor, "+root=.",
                         name, rtype])

        def tool(argv):
            try:
                r = subprocess.run(argv, capture_output=True, text=True,
                                   timeout=30)
                return r.returncode, r.stdout + r.stderr
            except subprocess.TimeoutExpired:
                return -1, f"{argv[0]}: timed out"
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            outs = list(pool.map(tool, jobs))
        for i, (name, rtype) in enumerate(cfg["queries"]):
            q = {"name": name, "type": rtype}
            for k, t in ((2 * i, "dig"), (2 * i + 1, "delv")):
                q[t] = {"cmd": " ".join(jobs[k]), "rc": outs[k][0],
                        "out": outs[k][1]}
            res["queries"].append(q)
        res["t"]["queries"] = time.monotonic() - t0
    except Exception as e:
        res["errors"].append(f"{type(e).__name__}: {e}")
    finally:
        for name, p in procs[::-1]:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                res["errors"].append(f"{name} ignored SIGTERM; killed")
                p.kill()
                p.wait()
            if name == "danelab serve" and p.returncode not in (0, None):
                res["errors"].append(f"danelab serve exit {p.returncode}")
        shutil.rmtree(tmp, ignore_errors=True)
    print(json.dumps(res))
    return 0


def run_scenario(s, danelab, src):
    queries = queries_for(s)
    cfg = {"id": s.id, "danelab": dltest.danelab_cmd(danelab, src),
           "queries": [(name, rtype) for _, name, rtype, _, _ in queries]}
    t0 = time.monotonic()
    rc, out, err = run_child(["unshare", "-n", "-m", "-p", "-f",
                              "--mount-proc", "--kill-child", sys.executable,
                              os.path.abspath(__file__), "--inside",
                              json.dumps(cfg)], 300)
    res = {"s": s, "queries": queries, "t": time.monotonic() - t0}
    try:
        res["inside"] = json.loads(out.strip().split("\n")[-1])
    except (ValueError, IndexError):
        res["error"] = f"namespace run exit {rc}: {out[-1500:]}{err[-1500:]}"
    return res


def report(res, tap):
    s = res["s"]
    if "error" in res:
        tap.ok(False, f"{s.id}: {res['error'][:150]}")
        tap.diag(res["error"])
        return
    ins = res["inside"]
    if not tap.ok(not ins["errors"], f"{s.id}: danelab serve and unbound up "
                  f"(ready after {ins['t'].get('ready', -1):.2f} s), "
                  f"stopped"):
        tap.diag("\n".join(ins["errors"]))
    for (what, name, rtype, want, host), q in zip(res["queries"],
                                                  ins["queries"]):
        u, ud = classify_dig(q["dig"]["rc"], q["dig"]["out"])
        d, dd = classify_delv(q["delv"]["rc"], q["delv"]["out"])
        via = f" (host {host['name']})" if host and host["cname"] else ""
        desc = (f"{s.id}: {rtype} {name}{via} expected={want} "
                f"unbound={u} [{ud}] delv={d} [{dd}]")
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


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--inside":
        return inside(json.loads(sys.argv[2]))
    danelab, src = dltest.args()
    dltest.need_tools("unbound", "dig", "delv", "ip")
    dltest.need_yaml()
    dltest.need_root_namespaces()

    def on_signal(signum, frame):
        with test_validators._children_lock:
            for p in list(test_validators._children):
                p.kill()
        raise SystemExit(f"killed by signal {signum}")
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    scens, errors = dltest.catalogue(src)
    tap = Tap()
    for path, msg in errors:
        tap.ok(False, f"{path}: YAML parse: {msg}")
    if not scens and not errors:
        dltest.fail_all("no scenarios")
    jobs = int(os.environ.get("DANELAB_IT_JOBS") or
               min(2, os.cpu_count() or 1))
    t0 = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        futs = [pool.submit(run_scenario, s, danelab, src) for s in scens]
        for f in futs:
            report(f.result(), tap)
    tap.diag(f"{len(scens)} scenarios in {time.monotonic() - t0:.1f} s")
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
