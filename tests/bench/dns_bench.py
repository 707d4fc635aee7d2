#!/usr/bin/env python3
"""dns_bench -- danelab's authoritative DNS server vs NSD, with dnsperf.

Not a meson test: it prints figures.  Run as root (it makes its own
network, mount and pid namespaces, so real port 53 on 127.53.0.x is free
and nothing outlives it):

    sudo python3 tests/bench/dns_bench.py BUILD/danelab [options]

What it does, in one run:
  1. In fresh namespaces (`unshare -n -m -p -f --mount-proc --kill-child`,
     `lo` up), `danelab serve SCENARIO --port 53` serves the world (every
     zone on its 127.53.0.x address; the lab resolver thread is idle).
     serve writes the world it serves as an export; NSD serves the very
     same signed zone file of the measured zone (default: the mail
     domain) on 127.54.0.x: NSD 4.6 from Debian, one NSD for that zone,
     response rate limiting off, `server-count: 1`.
  2. Like with like: danelab answers from one thread (its DNS event
     loop), NSD from one server process.  On a machine with 2 or more
     CPUs both servers are pinned to CPU 1 and dnsperf to CPU 0
     (taskset), so neither server competes with the load generator; with
     more CPUs the other cores stay idle.  This machine class has 2 cores.
  3. A dnsperf query file is built from the zone file: mostly existing
     names with their types (80 %), names with a type they do not have
     (NODATA, 10 %), names that do not exist (NXDOMAIN, 10 %, each a
     different name so no answer cache by name can serve them); every
     query with the DO bit (dnsperf -D, EDNS0).
  4. For each transport (UDP, then TCP: dnsperf -m tcp, several queries
     per connection), ROUNDS rounds of SECONDS each, alternating danelab
     and NSD (danelab, NSD, danelab, NSD ...); the table gives the median
     queries/s of the rounds, the mean of the average latencies, the lost
     queries, and the ratio danelab/NSD.  The response code mix of both
     servers is printed too: the same query file must give the same mix.

Options:
  --scenario ID      world to serve (default control/valid-dane-ee)
  --zone NAME        zone to measure (default: the scenario's mail domain)
  -l SECONDS         per round (default 10)
  --rounds N         rounds per server and transport (default 3)
  --clients N        dnsperf -c (default 4: UDP source ports / TCP
                     connections)
  --outstanding N    dnsperf -q (default 200)
  --no-tcp           UDP only
  --profile          after the rounds, one more danelab UDP round under
                     `perf record` (cpu-clock, call graphs): the functions
                     where danelab's time goes, and the same for NSD
  --callgrind        instead of the rounds: user-space instructions per
                     query of both servers under valgrind --tool=callgrind
                     (each run twice, without and with --callgrind-queries
                     queries; the difference divided by the queries)
  --ref nsd          replace danelab by a second NSD (tests the bench)
  --fixtures DIR, --scenarios DIR   passed to danelab

Needs: dnsperf, nsd, taskset, unshare, ip (Debian: dnsperf nsd
util-linux iproute2); perf (linux-perf) for --profile; valgrind for
--callgrind.
"""

import argparse
import glob
import json
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

SUBJECT_NET = "127.53.0."
REF_NET = "127.54.0."
PORT = 53
READY_TIMEOUT = 20.0


# ================================================================ query file


def parse_zone(path):
    """{owner (lower case): set of types} of a zone file written one
    record per line (as danelab's export writes them)."""
    nodes = {}
    for line in open(path, encoding="utf-8", errors="replace"):
        line = line.split(";", 1)[0].strip()
        if not line or line.startswith("$"):
            continue
        tok = line.split()
        owner, rest = tok[0].lower(), tok[1:]
        while rest and (rest[0].isdigit() or rest[0] in ("IN", "CH")):
            rest = rest[1:]
        if rest:
            nodes.setdefault(owner, set()).add(rest[0].upper())
    return nodes


def query_file(zone, nodes, path, n=20000, seed=1):
    """Write a dnsperf data file; returns {kind: count}."""
    rng = random.Random(seed)
    cuts = {o for o, t in nodes.items() if "NS" in t and o != zone}

    def below_cut(o):
        return any(o != c and o.endswith("." + c) for c in cuts)

    exist, nodata = [], []
    for o in sorted(nodes):
        if below_cut(o) or nodes[o] <= {"NSEC3", "RRSIG"}:
            continue
        if o in cuts:  # referrals: NS (and DS) asked at the cut
            exist += [(o, "NS"), (o, "DS")]
            continue
        for t in sorted(nodes[o] - {"RRSIG", "NSEC", "NSEC3"}):
            exist.append((o, t))
        for t in ("AAAA", "TXT", "A", "MX"):
            if t not in nodes[o]:
                nodata.append((o, t))
                break
    counts = {"existing": 0, "nodata": 0, "nxdomain": 0}
    with open(path, "w") as fp:
        for i in range(n):
            r = rng.random()
            if r < 0.8 or not nodata:
                o, t = rng.choice(exist)
                counts["existing"] += 1
            elif r < 0.9:
                o, t = rng.choice(nodata)
                counts["nodata"] += 1
            else:
                o = f"nx{rng.randrange(10 ** 9)}.{zone}" if zone != "." \
                    else f"nx{rng.randrange(10 ** 9)}."
                t = rng.choice(["A", "TLSA", "MX"])
                counts["nxdomain"] += 1
            fp.write(f"{o} {t}\n")
    counts["distinct existing (name, type)"] = len(exist)
    return counts


# ================================================================= dnsperf


def dnsperf(addr, qfile, seconds, mode, clients, outstanding, cpu):
    argv = (["taskset", "-c", str(cpu)] if cpu is not None else []) + [
        "dnsperf", "-s", addr, "-p", str(PORT), "-d", qfile, "-l",
        str(seconds), "-D", "-c", str(clients), "-q", str(outstanding),
        "-m", mode]
    r = subprocess.run(argv, capture_output=True, text=True,
                       timeout=seconds + 60)
    out = r.stdout + r.stderr

    def num(pat, conv=float, default=0):
        m = re.search(pat, out)
        return conv(m.group(1)) if m else default

    res = {
        "sent": num(r"Queries sent:\s+(\d+)", int),
        "completed": num(r"Queries completed:\s+(\d+)", int),
        "lost": num(r"Queries lost:\s+(\d+)", int),
        "qps": num(r"Queries per second:\s+([\d.]+)"),
        "latency": num(r"Average Latency \(s\):\s+([\d.]+)"),
        "rcodes": (re.search(r"Response codes:\s+(.*)", out) or
                   re.search("()", "")).group(1).strip(),
        "rc": r.returncode,
    }
    if r.returncode != 0 or not res["completed"]:
        res["error"] = out[-1500:]
    return res


# ======================================================= inside namespaces


def _alive(p):
    return p.poll() is None


def _soa_ready(addr, zone):
    """One SOA query with dig, True if any answer."""
    r = subprocess.run(["dig", "+norec", "+time=1", "+tries=1",
                        f"@{addr}", "-p", str(PORT), zone, "SOA"],
                       capture_output=True, text=True)
    return r.returncode == 0 and "status:" in r.stdout


def _nsd_conf(src_conf, world, run_dir, net, tag):
    text = open(src_conf).read()
    addr = re.search(r"ip-address:\s*(\S+)", text).group(1)
    new = net + addr.rsplit(".", 1)[1]
    text = re.sub(r"ip-address:\s*\S+", f"ip-address: {new}", text)
    text = re.sub(r"port:\s*\d+", f"port: {PORT}", text)
    text = re.sub(r"server-count:\s*\d+", "server-count: 1", text)
    text = re.sub(r'zonesdir:\s*"[^"]*"',
                  f'zonesdir: "{os.path.join(world, "zones")}"', text)
    for key, ext in (("zonelistfile", "zonelist"), ("xfrdfile", "xfrd"),
                     ("pidfile", "pid"), ("logfile", "log")):
        text = re.sub(rf'{key}:\s*"[^"]*"',
                      f'{key}: "{os.path.join(run_dir, tag + "." + ext)}"',
                      text)
    text = re.sub(r'xfrdir:\s*"[^"]*"', f'xfrdir: "{run_dir}"', text)
    text = re.sub(r"verbosity:\s*\d+", "verbosity: 0", text)
    if "rrl-ratelimit" not in text:
        text = text.replace("server:\n", "server:\n\trrl-ratelimit: 0\n", 1)
    if "server-count" not in text:
        text = text.replace("server:\n", "server:\n\tserver-count: 1\n", 1)
    return text, new


def _procs():
    """{pid: (ppid, comm, cpu seconds)} of every process we can see."""
    hz = os.sysconf("SC_CLK_TCK")
    out = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            st = open(f"/proc/{d}/stat").read()
        except OSError:
            continue
        comm = st[st.index("(") + 1:st.rindex(")")]
        f = st[st.rindex(")") + 2:].split()
        out[int(d)] = (int(f[1]), comm, (int(f[11]) + int(f[12])) / hz)
    return out


def _tree(pid, procs=None):
    """pid and all its descendants."""
    procs = procs or _procs()
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += [c for c, v in procs.items() if v[0] == p]
    return out


def _cpu(pid):
    """CPU seconds (user + system) used so far by pid and its
    descendants (all threads)."""
    procs = _procs()
    return sum(procs[p][2] for p in _tree(pid, procs) if p in procs)


def _nsd_worker(top_pid):
    """The pid of NSD's query-serving process ("nsd: server 1"; NSD 4.6
    started with -d: xfrd -> main -> server)."""
    procs = _procs()
    for p in _tree(top_pid, procs):
        if p in procs and procs[p][1].startswith("nsd: server"):
            return p
    return top_pid


def _profile(pid, seconds, out_dir, name):
    """perf record of pid for seconds; returns the top of the report."""
    data = os.path.join(out_dir, f"perf-{name}.data")
    rec = subprocess.Popen(["perf", "record", "-e", "cpu-clock", "-F",
                            "2000", "-g", "-p", str(pid), "-o", data,
                            "--", "sleep", str(seconds)],
                           stdout=subprocess.DEVNULL,
                           stderr=open(data + ".log", "w"))
    return rec, data


def _perf_report(data):
    out = {"log": open(data + ".log").read()[-500:]}
    for sort, key in (("symbol", "self"), ("dso", "dso")):
        r = subprocess.run(["perf", "report", "-i", data, "--stdio",
                            "--no-children", "--sort", sort,
                            "-g", "none", "--percent-limit", "0.7"],
                           capture_output=True, text=True)
        out[key] = "\n".join(ln for ln in r.stdout.split("\n")
                             if ln.strip() and not ln.startswith("#"))
    r = subprocess.run(["perf", "report", "-i", data, "--stdio",
                        "--children", "--sort", "symbol", "-g", "none",
                        "--percent-limit", "3"],
                       capture_output=True, text=True)
    out["children"] = "\n".join(ln for ln in r.stdout.split("\n")
                                if ln.strip() and not ln.startswith("#"))
    return out


def inside(cfg):
    res = {"errors": [], "rounds": [], "info": {}}
    procs = []
    tmp = tempfile.mkdtemp(prefix="danelab-bench-")
    ncpu = os.cpu_count() or 1
    srv_cpu, gen_cpu = (1, 0) if ncpu >= 2 else (None, None)
    pin = (lambda argv: ["taskset", "-c", str(srv_cpu)] + argv) \
        if srv_cpu is not None else (lambda argv: argv)
    res["info"]["pinning"] = (f"servers on CPU {srv_cpu}, dnsperf on CPU "
                              f"{gen_cpu}" if srv_cpu is not None else
                              "no pinning (1 CPU)")
    try:
        subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
        world = os.path.join(tmp, "world")
        run_dir = os.path.join(tmp, "run")
        os.makedirs(run_dir)
        subject_pid = None
        if cfg["ref"] == "nsd":
            shutil.copytree(cfg["export"], world)
        else:
            log = open(os.path.join(tmp, "serve.log"), "w")
            argv = cfg["danelab"] + ["serve", cfg["id"], "--port", str(PORT)]
            p = subprocess.Popen(pin(argv), stdout=log,
                                 stderr=subprocess.STDOUT,
                                 env=dict(os.environ, TMPDIR=tmp))
            procs.append(("danelab", p))
            subject_pid = p.pid
            deadline = time.monotonic() + READY_TIMEOUT
            served = None
            while served is None:
                found = glob.glob(os.path.join(tmp, "danelab-*", "world",
                                               "nsd", "*.conf"))
                if found and "ready" in open(log.name).read():
                    served = os.path.dirname(os.path.dirname(found[0]))
                elif not _alive(p) or time.monotonic() > deadline:
                    raise RuntimeError("danelab serve did not come up: " +
                                       open(log.name).read()[-2000:])
                else:
                    time.sleep(0.05)
            shutil.copytree(served, world, ignore=shutil.ignore_patterns(
                "run", "keys", "tls"))
        zone = cfg["zone"]
        zfile = "root" if zone == "." else zone.rstrip(".")
        conf_src = os.path.join(world, "nsd", zfile + ".conf")
        zone_path = os.path.join(world, "zones", zfile + ".zone")
        nets = [REF_NET] + ([SUBJECT_NET] if cfg["ref"] == "nsd" else [])
        addrs = {}
        for net in nets:
            text, addr = _nsd_conf(conf_src, world, run_dir, net, net)
            conf = os.path.join(run_dir, net + "conf")
            open(conf, "w").write(text)
            argv = ["nsd", "-d", "-c", conf]
            p = subprocess.Popen(pin(argv), stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
            procs.append(("nsd " + net, p))
            addrs[net] = (addr, p)
        subject = SUBJECT_NET + addrs[REF_NET][0].rsplit(".", 1)[1]
        if cfg["ref"] == "nsd":
            subject_pid = addrs[SUBJECT_NET][1].pid
        ref = addrs[REF_NET][0]
        deadline = time.monotonic() + READY_TIMEOUT
        for a in (subject, ref):
            while not _soa_ready(a, zone):
                for name, p in procs:
                    if not _alive(p):
                        raise RuntimeError(f"{name} exited")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{a} not ready")
                time.sleep(0.05)
        qfile = os.path.join(tmp, "queries.txt")
        res["info"]["mix"] = query_file(zone, parse_zone(zone_path), qfile)
        res["info"]["zone"] = zone
        res["info"]["subject"] = subject
        res["info"]["reference"] = ref
        res["info"]["nsd"] = subprocess.run(
            ["nsd", "-v"], capture_output=True, text=True).stderr.split(
                "\n")[0]
        servers = [("danelab" if cfg["ref"] != "nsd" else "NSD#2", subject),
                   ("NSD", ref)]
        if cfg.get("callgrind"):
            res["callgrind"] = callgrind(cfg, tmp, qfile, zone,
                                         subject, ref,
                                         os.path.join(run_dir, REF_NET +
                                                      "conf"), procs)
        else:
            pids = {servers[0][0]: subject_pid, "NSD": addrs[REF_NET][1].pid}
            # Warm-up: one short round each (caches, page faults).
            for _, a in servers:
                dnsperf(a, qfile, 1, "udp", cfg["clients"],
                        cfg["outstanding"], gen_cpu)
            for mode in cfg["modes"]:
                for rnd in range(cfg["rounds"]):
                    order = servers if rnd % 2 == 0 else servers[::-1]
                    for name, a in order:
                        c0 = _cpu(pids[name])
                        r = dnsperf(a, qfile, cfg["seconds"], mode,
                                    cfg["clients"], cfg["outstanding"],
                                    gen_cpu)
                        r.update(server=name, mode=mode, round=rnd,
                                 seconds=cfg["seconds"],
                                 cpu=_cpu(pids[name]) - c0)
                        res["rounds"].append(r)
                        print(f"# {mode} round {rnd + 1}: {name} "
                              f"{r['qps']:.0f} q/s", file=sys.stderr,
                              flush=True)
            if cfg.get("profile"):
                res["profile"] = {}
                for name, a in servers:
                    pid = pids[name]
                    if name != "danelab":
                        pid = _nsd_worker(pid)
                    secs = min(cfg["seconds"], 10)
                    rec, data = _profile(pid, secs, tmp, name)
                    r = dnsperf(a, qfile, secs, "udp", cfg["clients"],
                                cfg["outstanding"], gen_cpu)
                    rec.wait()
                    res["profile"][name] = _perf_report(data)
                    res["profile"][name]["qps"] = r["qps"]
    except Exception as e:
        res["errors"].append(f"{type(e).__name__}: {e}")
    finally:
        for name, p in procs:
            if _alive(p):
                p.send_signal(signal.SIGTERM)
        for name, p in procs:
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                res["errors"].append(f"{name} ignored SIGTERM; killed")
                p.kill()
                p.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    print(json.dumps(res))
    return 0


def callgrind(cfg, tmp, qfile, zone, subject, ref, nsd_conf, procs):
    """User-space instructions per query under valgrind --tool=callgrind:
    each server is run twice, once answering no query and once answering
    N queries (dnsperf -n 1 at a limited rate); (Ir(N) - Ir(0)) / N.
    Kernel work (most of a DNS server's time) is not counted."""
    for name, p in procs:            # the servers of the main run
        p.send_signal(signal.SIGTERM)
        p.wait(10)
    n = cfg["callgrind_queries"]
    small = os.path.join(tmp, "cg-queries.txt")
    lines = [ln for ln in open(qfile).read().split("\n") if ln][:n]
    open(small, "w").write("\n".join(lines) + "\n")
    out = {"queries": len(lines)}
    vg = ["valgrind", "--tool=callgrind"]
    for who, addr in (("danelab", subject), ("NSD", ref)):
        if cfg["ref"] == "nsd" and who == "danelab":
            continue
        for load in (0, 1):
            d = os.path.join(tmp, f"cg-{who}-{load}")
            os.makedirs(d)
            argv = vg + [f"--callgrind-out-file={d}/cg.%p"]
            if who == "danelab":
                argv += cfg["danelab"] + ["serve", cfg["id"], "--port",
                                          str(PORT)]
            else:
                argv += ["nsd", "-d", "-c", nsd_conf]
            p = subprocess.Popen(argv, stdout=subprocess.DEVNULL,
                                 stderr=open(f"{d}/valgrind.log", "w"),
                                 env=dict(os.environ, TMPDIR=d))
            deadline = time.monotonic() + 300
            while not _soa_ready(addr, zone):
                if p.poll() is not None or time.monotonic() > deadline:
                    p.kill()
                    raise RuntimeError(f"{who} under valgrind did not "
                                       f"come up")
                time.sleep(0.5)
            done = 1   # the readiness query
            if load:
                r = subprocess.run(["dnsperf", "-s", addr, "-p", str(PORT),
                                    "-d", small, "-n", "1", "-D", "-Q",
                                    "3000", "-t", "30"],
                                   capture_output=True, text=True)
                m = re.search(r"Queries completed:\s+(\d+)", r.stdout)
                done += int(m.group(1)) if m else 0
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(120)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
            ir = 0
            for f in glob.glob(f"{d}/cg.*"):
                for line in open(f, errors="replace"):
                    if line.startswith("summary:"):
                        ir += int(line.split()[1])
                        break
            out[f"{who} Ir {load}"] = ir
            out[f"{who} answered {load}"] = done
    return out


# ================================================================ outside


def table(res, ref_name):
    rows = {}
    for r in res["rounds"]:
        rows.setdefault((r["server"], r["mode"]), []).append(r)
    print(f"{'server':<10} {'transport':<9} {'queries/s (median)':>19} "
          f"{'rounds q/s':<26} {'avg latency':>12} {'server CPU':>10} "
          f"{'CPU/query':>10} {'lost':>6}")
    qps = {}
    for (server, mode), rs in rows.items():
        med = statistics.median(r["qps"] for r in rs)
        qps[(server, mode)] = med
        lat = statistics.mean(r["latency"] for r in rs)
        lost = sum(r["lost"] for r in rs)
        sent = sum(r["sent"] for r in rs)
        each = " ".join("%.0f" % r["qps"] for r in rs)
        secs = sum(r["seconds"] for r in rs)
        cpu = sum(r["cpu"] for r in rs)
        done = sum(r["completed"] for r in rs)
        cpu_q = f"{cpu / done * 1e6:.2f} us" if done else "-"
        print(f"{server:<10} {mode.upper():<9} {med:>19.0f} {each:<26} "
              f"{lat * 1e6:>9.0f} us {100 * cpu / secs:>9.0f}% "
              f"{cpu_q:>10} {lost:>6} of {sent}")
    print()
    cpuq = {}
    for k, rs in rows.items():
        done = sum(r["completed"] for r in rs)
        cpuq[k] = sum(r["cpu"] for r in rs) / done if done else 0
    subj = [k for k in rows if k[0] != "NSD"]
    for server, mode in subj:
        if qps.get(("NSD", mode)):
            print(f"ratio {server}/NSD {mode.upper()}: queries/s "
                  f"{qps[(server, mode)] / qps[('NSD', mode)]:.2f}, "
                  f"CPU per query "
                  + (f"{cpuq[(server, mode)] / cpuq[('NSD', mode)]:.2f}"
                     if cpuq.get(("NSD", mode)) else "-")
                  + " (below 1: danelab cheaper)")
    print()
    for (server, mode), rs in rows.items():
        print(f"response codes, {server} {mode.upper()}: {rs[-1]['rcodes']}")
    for r in res["rounds"]:
        if r.get("error"):
            print(f"dnsperf error ({r['server']} {r['mode']}):\n{r['error']}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("danelab", nargs="?")
    ap.add_argument("--inside")
    ap.add_argument("--scenario", default="control/valid-dane-ee")
    ap.add_argument("--zone")
    ap.add_argument("-l", "--seconds", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--outstanding", type=int, default=200)
    ap.add_argument("--no-tcp", action="store_true")
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--callgrind", action="store_true")
    ap.add_argument("--callgrind-queries", type=int, default=5000)
    ap.add_argument("--ref", choices=["danelab", "nsd"], default="danelab")
    ap.add_argument("--fixtures")
    ap.add_argument("--scenarios")
    a = ap.parse_args()
    if a.inside:
        return inside(json.loads(a.inside))
    if not a.danelab:
        ap.error("the danelab binary is needed")
    if os.geteuid() != 0:
        print("dns_bench: run as root (namespaces, port 53)", file=sys.stderr)
        return 77
    need = ["dnsperf", "nsd", "taskset", "unshare", "ip", "dig"]
    if a.profile:
        need.append("perf")
    if a.callgrind:
        need += ["valgrind"]
    missing = [t for t in need if shutil.which(t) is None]
    if missing:
        print(f"dns_bench: missing tools: {' '.join(missing)}",
              file=sys.stderr)
        return 77
    src = os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))
    danelab = [os.path.abspath(a.danelab), "--fixtures",
               a.fixtures or os.path.join(src, "fixtures"), "--scenarios",
               a.scenarios or os.path.join(src, "scenarios")]
    zone = a.zone
    if zone is None:
        import yaml
        path = os.path.join(danelab[4], a.scenario + ".yaml")
        zone = str(yaml.safe_load(open(path))["domain"])
    zone = zone.lower().rstrip(".") + "." if zone != "." else "."
    cfg = {"id": a.scenario, "zone": zone, "danelab": danelab,
           "seconds": a.seconds, "rounds": a.rounds, "clients": a.clients,
           "outstanding": a.outstanding, "ref": a.ref,
           "modes": ["udp"] + ([] if a.no_tcp else ["tcp"]),
           "profile": a.profile, "callgrind": a.callgrind,
           "callgrind_queries": a.callgrind_queries}
    load0 = os.getloadavg()
    tmp = tempfile.mkdtemp(prefix="danelab-bench-")
    try:
        if a.ref == "nsd":
            cfg["export"] = os.path.join(tmp, "export")
            subprocess.run(danelab + ["export", a.scenario, cfg["export"]],
                           check=True, capture_output=True)
        argv = ["unshare", "-n", "-m", "-p", "-f", "--mount-proc",
                "--kill-child", sys.executable, os.path.abspath(__file__),
                "--inside", json.dumps(cfg)]
        r = subprocess.run(argv, stdout=subprocess.PIPE, text=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    try:
        res = json.loads(r.stdout.strip().split("\n")[-1])
    except (ValueError, IndexError):
        print(f"dns_bench: the namespace run failed ({r.returncode}):\n"
              f"{r.stdout[-3000:]}", file=sys.stderr)
        return 1
    info = res["info"]
    what = "danelab, 1 thread" if a.ref != "nsd" else "NSD copy"
    print(f"world {a.scenario}, zone {info.get('zone')}: "
          f"{info.get('subject')} ({what}) vs "
          f"{info.get('reference')} ({info.get('nsd')}, server-count 1, "
          f"RRL off); {info.get('pinning')}")
    print(f"query mix (DO set on every query): {info.get('mix')}")
    print(f"dnsperf -D -c {a.clients} -q {a.outstanding} -l {a.seconds}, "
          f"{a.rounds} rounds per server and transport, alternating\n")
    load1 = os.getloadavg()
    print(f"load average (1 min) before {load0[0]:.2f}, after {load1[0]:.2f}"
          + ("  -- WARNING: other work on the machine, figures are noisy"
             if max(load0[0], load1[0]) > 2.5 else ""))
    print("server CPU = CPU time of the server's processes (all threads, "
          "user + system) / wall time; below ~90 % the load generator, not "
          "the server, limits queries/s: compare CPU/query then\n")
    if res["errors"]:
        print("errors:\n" + "\n".join(res["errors"]))
    if res["rounds"]:
        table(res, "NSD")
    if res.get("profile"):
        for name, p in res["profile"].items():
            print(f"\n==== perf profile: {name} ({p['qps']:.0f} q/s under "
                  f"perf), self time by function ====\n{p['self']}")
            print(f"---- by object ----\n{p['dso']}")
            if not p["self"]:
                print(f"(perf record: {p['log']})")
            print(f"---- inclusive (children), >= 3% ----\n{p['children']}")
    if res.get("callgrind"):
        cg = res["callgrind"]
        print(f"\ncallgrind (user space only; kernel time is not counted), "
              f"{cg['queries']} queries:")
        for who in ("danelab", "NSD"):
            if f"{who} Ir 1" not in cg:
                continue
            dq = cg[f"{who} answered 1"] - cg[f"{who} answered 0"]
            di = cg[f"{who} Ir 1"] - cg[f"{who} Ir 0"]
            if dq > 0:
                print(f"  {who}: {di / dq:.0f} instructions per query "
                      f"(Ir {cg[f'{who} Ir 1']} - {cg[f'{who} Ir 0']} "
                      f"for {dq} answers)")
    return 1 if res["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
