#!/usr/bin/python3
"""run_bench -- how fast a world comes up, and how fast `danelab run` is.

Not a meson test: it prints figures and asserts nothing about timing.
Run as root (namespaces, port 53):

    sudo /usr/bin/python3 tests/bench/run_bench.py BUILD/danelab [SRC]
        [--runs N] [--scenario ID] [--name NAME] [--interval-ms MS]
        [--skip-run] [--catalogue] [--catalogue-runs N]
        [--ref OTHER/danelab [--ref-src DIR]]

    # only (c), this build against main's (the figure of issue 14):
    sudo /usr/bin/python3 tests/bench/run_bench.py build/danelab \
        --catalogue --ref /path/to/main/build/danelab

SRC is the source tree (fixtures/, scenarios/; default: this script's
../..).  What one run prints, side by side:

(a) Start to first validated TLSA answer, N runs each (--runs, default
    20), alternating danelab, NSD+unbound, danelab, ... after one
    uncounted warm-up run of each; median, min and max, and the ratio
    (the target: danelab at least 5x faster).
      danelab:      `danelab shell --quiet SCENARIO -- PROBE ...`: danelab
                    builds and signs the world, makes the namespaces,
                    starts its DNS server and lab resolver, runs PROBE.
      NSD+unbound:  the same world exported once beforehand (`danelab
                    export SCENARIO DIR`, not timed in the figure; its
                    time is printed apart), then `unshare -n -m -p -f
                    --mount-proc --kill-child sh -c 'sh DIR/start.sh &&
                    exec PROBE ...'`: the export's own start.sh (lo up,
                    one stock NSD per zone from the export's configs, then
                    stock unbound with the export's validating config),
                    then PROBE.  DIR/run/ is emptied before every run.
    "start" is time.monotonic() in this script just before it launches
    the command (danelab, or unshare).  The probe (tlsa_probe.c, compiled
    here with cc -O2; the SAME binary on both sides) is a small C program,
    so no interpreter start-up sits inside the figure: it queries the
    resolver at 127.53.53.53:53 over UDP for NAME (default: the first
    TLSA owner name of the exported zones, _25._tcp.mx1.example.net for
    the default world) type TLSA with RD, AD and EDNS0 DO set, a new
    query every 1 ms while no good answer has come (a reply to any of
    them counts; a port not yet listening just means "not yet"), and
    stops at the first reply with RCODE NOERROR, the AD bit and a TLSA
    record in the answer.  It prints CLOCK_MONOTONIC at its own start
    and at that reply; CLOCK_MONOTONIC is one clock for every namespace,
    so this script subtracts its own start from it.  The split is printed
    too: start -> probe running (world up: servers bound) and probe
    running -> validated answer (the resolver's cold, validating
    resolution), plus start -> exit (teardown included) and the queries
    the probe sent (both resolvers merge identical outstanding
    questions, but a query a millisecond still costs each some work:
    --interval-ms 20 shows how much: measured once on a 2-core machine
    at load 15, unbound's probe -> answer median went from 667 to 615
    ms, danelab's from 39 to 37 ms).
(b) One non-timeline cell of `danelab run` with the reference client,
    bring-up to teardown: `danelab run --jobs 1 --policy dane --format
    json -o F` over every catalogue scenario without a top-level
    `timeline:` key; median, min and max of the results' "cell_ms" (the
    target: under 150 ms).
(c) The whole catalogue: `danelab run --format json -o F` with no
    scenario, reference client, default jobs, --catalogue-runs times
    (default 3), alternating with --ref's build when given.  Per build:
      wall          min and median of the wall time measured from here
                    (launch to exit, teardown included; the target of
                    issue 14: <= 20 s on 2 cores);
      phases        the timeline phases scored: results with a phase
                    whose verdict is a verdict on the client (PASS,
                    FAIL, XFAIL, XPASS), of all results with a phase (an
                    overrun phase is ERROR and not scored);
      timeline wait the latest phase offset of the run (max "at" over
                    the results with a phase, in s, as played, i.e.
                    scaled): timeline cells start right after the
                    environment check, each with its own slot (they
                    sleep; --jobs counts only the other cells), so the
                    run cannot end before its last phase starts, however
                    fast the CPU -- time spent waiting on the world's
                    clock, not working;
      share         timeline wait / wall: the part of the wall time the
                    run spends waiting for timelines (the rest: the
                    environment check before, the last phase's client
                    run and the teardown after);
      cells busy    the sum of the non-timeline results' "cell_ms" /
                    the report's "jobs": the wall time the non-timeline
                    cells would need alone, which they spend beside the
                    timelines.
    Each build reads its own catalogue: the build under test SRC's, the
    reference build the one it was built from (its compiled-in source
    root), or --ref-src DIR's.  --catalogue runs only (c) (no NSD,
    unbound or cc needed).
    For (b) and (c): if this danelab has no `run` yet (exit 2, "not
    yet"), that is printed and the script goes on.  A run whose verdicts
    are not all as expected (exit 1) is still measured; its exit status
    is printed.

--skip-run: only (a).  Exit 77 when not root or (without --catalogue)
nsd, unbound, unshare, ip or cc is missing.  Everything started is stopped by its PID (each
command runs in its own session and is killed with its process group,
and the namespaces die with their pid 1), and the temporary directory is
removed, also on Ctrl-C.  Debian packages: nsd unbound util-linux
iproute2 gcc python3-yaml.
"""

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
RESOLVER = "127.53.53.53"
TLSA = 52
RUN_TIMEOUT = 60.0          # one (a) run
CATALOGUE_TIMEOUT = 3600.0  # one `danelab run`

_children = []  # Popen objects still running, for cleanup


class Interrupted(Exception):
    pass


def _on_signal(signum, frame):
    raise Interrupted(signal.Signals(signum).name)


def kill(p):
    """Stop p (started with start_new_session): SIGTERM to its process
    group (its pid), then SIGKILL.  By PID only."""
    if p.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, 5), (signal.SIGKILL, 5)):
        try:
            os.killpg(p.pid, sig)
        except OSError:
            pass
        try:
            p.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue


def launch(argv, timeout, **kw):
    """Run argv in its own session; returns (t0_ns, rc, stdout, stderr,
    t_exit_ns).  t0 is taken just before the launch."""
    t0 = time.monotonic_ns()
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         stdin=subprocess.DEVNULL, text=True,
                         start_new_session=True, **kw)
    _children.append(p)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill(p)
        out, err = p.communicate()
        err += f"\n(killed after {timeout:.0f} s)"
    finally:
        if p.poll() is None:
            kill(p)
        _children.remove(p)
    return t0, p.returncode, out, err, time.monotonic_ns()


def stats(xs):
    if not xs:
        return None
    return statistics.median(xs), min(xs), max(xs)


def fmt_ms(v):
    return "-" if v is None else f"{v:.1f}"


# ======================================================================= (a)


def first_tlsa_name(export):
    """The TLSA owner names of the exported zones, _25._tcp.mx1 first."""
    names = []
    zdir = os.path.join(export, "zones")
    for f in sorted(os.listdir(zdir)):
        for line in open(os.path.join(zdir, f), errors="replace"):
            tok = line.split(";", 1)[0].split()
            if not tok or tok[0].startswith("$"):
                continue
            rest = tok[1:]
            while rest and (rest[0].isdigit() or rest[0] in ("IN", "CH")):
                rest = rest[1:]
            if rest and rest[0].upper() == "TLSA" and tok[0] not in names:
                names.append(tok[0])
    names.sort(key=lambda n: (not n.lower().startswith("_25._tcp.mx1."), n))
    return names[0].rstrip(".") if names else None


def one_run(kind, danelab, scenario, export, probe, name, interval, tmp):
    pargs = [probe, RESOLVER, "53", name, str(TLSA), str(interval),
             str(int((RUN_TIMEOUT - 10) * 1000))]
    if kind == "danelab":
        argv = danelab + ["shell", "--quiet", scenario, "--"] + pargs
    else:
        run_dir = os.path.join(export, "run")
        shutil.rmtree(run_dir, ignore_errors=True)
        os.makedirs(run_dir)
        log = os.path.join(tmp, "start.log")
        argv = ["unshare", "-n", "-m", "-p", "-f", "--mount-proc",
                "--kill-child", "sh", "-c",
                'sh "$1/start.sh" >"$2" 2>&1 </dev/null && shift 2 && '
                'exec "$@"', "sh", export, log] + pargs
    t0, rc, out, err, t_end = launch(argv, RUN_TIMEOUT)
    f = out.split()
    if rc != 0 or len(f) < 4 or f[0] != "ok":
        extra = ""
        if kind != "danelab" and os.path.exists(os.path.join(tmp,
                                                             "start.log")):
            extra = open(os.path.join(tmp, "start.log")).read()[-1000:]
        return {"error": f"{kind}: exit {rc}: {out.strip()} "
                         f"{err.strip()[-1500:]} {extra}".strip()}
    p_start, p_ok, queries = int(f[1]), int(f[2]), int(f[3])
    return {"total": (p_ok - t0) / 1e6, "up": (p_start - t0) / 1e6,
            "resolve": (p_ok - p_start) / 1e6, "exit": (t_end - t0) / 1e6,
            "queries": queries}


def part_a(a, danelab, tmp, probe):
    print(f"(a) start -> first validated TLSA answer, world {a.scenario}")
    export = os.path.join(tmp, "export")
    t0 = time.monotonic()
    r = subprocess.run(danelab + ["export", a.scenario, export],
                       capture_output=True, text=True)
    t_export = (time.monotonic() - t0) * 1000
    if r.returncode != 0:
        print(f"    danelab export failed ({r.returncode}): "
              f"{r.stderr.strip()}")
        return False
    name = a.name or first_tlsa_name(export)
    if not name:
        print("    no TLSA record in the world: give --name")
        return False
    nsd_v = subprocess.run(["nsd", "-v"], capture_output=True,
                           text=True).stderr.split("\n")[0]
    ub_v = subprocess.run(["unbound", "-V"], capture_output=True,
                          text=True).stdout.split("\n")[0]
    print(f"    {name} TLSA from {RESOLVER}:53 (RD, AD, DO; one query "
          f"every {a.interval_ms} ms until NOERROR + AD + TLSA); {a.runs} "
          f"run{'s' if a.runs > 1 else ''} each, "
          f"alternating, after 1 warm-up each")
    print(f"    NSD+unbound: {nsd_v}, unbound {ub_v.split()[-1]}; the "
          f"export ({t_export:.0f} ms, signing included) is made once, "
          f"outside the figure\n")
    kinds = ("danelab", "nsd+unbound")
    res = {k: [] for k in kinds}
    errors = []
    for i in range(a.runs + 1):
        order = kinds if i % 2 == 0 else kinds[::-1]
        for k in order:
            r = one_run(k, danelab, a.scenario, export, probe, name,
                        a.interval_ms, tmp)
            if "error" in r:
                errors.append(r["error"])
            elif i > 0:
                res[k].append(r)
            print(f"# run {i if i else 'warm-up'} {k}: " +
                  (f"{r['total']:.1f} ms" if "total" in r else "error"),
                  file=sys.stderr, flush=True)
    cols = [("total", "start->answer"), ("up", "start->probe runs"),
            ("resolve", "probe->answer"), ("exit", "start->exit"),
            ("queries", "queries sent")]
    print(f"    {'':<12}" + "".join(f" {h:>26}" for _, h in cols))
    print(f"    {'':<12}" + "".join(f" {'median (min-max) ms':>26}"
                                   if key != "queries" else
                                   f" {'median (min-max)':>26}"
                                   for key, _ in cols))
    med = {}
    for k in kinds:
        line = f"    {k:<12}"
        for key, _ in cols:
            s = stats([r[key] for r in res[k]])
            if key == "total" and s:
                med[k] = s[0]
            cell = "-" if s is None else (
                f"{s[0]:.0f} ({s[1]:.0f}-{s[2]:.0f})" if key == "queries"
                else f"{s[0]:.1f} ({s[1]:.1f}-{s[2]:.1f})")
            line += f" {cell:>26}"
        print(line + f"   [{len(res[k])} runs]")
    if med.get("danelab") and med.get("nsd+unbound"):
        ratio = med["nsd+unbound"] / med["danelab"]
        faster = ("danelab faster" if ratio > 1 else
                  "NSD+unbound FASTER than danelab")
        print(f"\n    ratio NSD+unbound / danelab (medians, start->answer): "
              f"{ratio:.2f}x, {faster} (target >= 5x: "
              f"{'met' if ratio >= 5 else 'NOT met'})")
        for key, label in (("up", "world up"), ("resolve", "resolution")):
            d = stats([r[key] for r in res["danelab"]])
            n = stats([r[key] for r in res["nsd+unbound"]])
            if d and n and d[0] > 0:
                print(f"    {label}: NSD+unbound / danelab "
                      f"{n[0] / d[0]:.2f}x")
    for e in errors[:5]:
        print(f"    error: {e}")
    if len(errors) > 5:
        print(f"    ... {len(errors) - 5} more errors")
    print()
    return not errors


# ================================================================ (b), (c)


def non_timeline_ids(scen_dir):
    import yaml
    ids = []
    for root, _, files in os.walk(scen_dir):
        for f in sorted(files):
            if not f.endswith((".yaml", ".yml")):
                continue
            try:
                doc = yaml.safe_load(open(os.path.join(root, f)))
            except yaml.YAMLError:
                continue
            if not isinstance(doc, dict) or "id" not in doc:
                continue
            if "timeline" not in doc:
                ids.append(str(doc["id"]))
    return sorted(ids)


def danelab_run(danelab, args, tmp, tag):
    """`danelab run ARGS --format json -o F`; returns (report or None,
    wall ms, rc, message)."""
    out = os.path.join(tmp, f"{tag}.json")
    argv = danelab + ["run"] + args + ["--no-progress", "--format", "json",
                                       "-o", out]
    t0, rc, so, se, t1 = launch(argv, CATALOGUE_TIMEOUT)
    wall = (t1 - t0) / 1e6
    if rc == 2 and "not yet" in (so + se):
        return None, wall, rc, "unavailable"
    try:
        report = json.load(open(out))
    except (OSError, ValueError) as e:
        return None, wall, rc, (f"no JSON report (exit {rc}: "
                                f"{(so + se).strip()[-800:]}; {e})")
    return report, wall, rc, None


def part_b(danelab, scen_dir, tmp):
    ids = non_timeline_ids(scen_dir)
    print(f"(b) one non-timeline cell, reference client, policy dane, "
          f"--jobs 1: cell_ms over {len(ids)} scenarios")
    if not ids:
        print("    no non-timeline scenario found\n")
        return
    report, wall, rc, msg = danelab_run(
        danelab, ids + ["--jobs", "1", "--policy", "dane"], tmp, "cells")
    if msg == "unavailable":
        print("(b) not measured: danelab run unavailable\n")
        return
    if report is None:
        print(f"    (b) not measured: {msg}\n")
        return
    cells = [r["cell_ms"] for r in report.get("results", [])
             if isinstance(r.get("cell_ms"), (int, float))]
    s = stats(cells)
    if s is None:
        print(f"    no result carries cell_ms ({len(report.get('results', []))}"
              f" results; exit {rc})\n")
        return
    print(f"    cell_ms median {s[0]:.0f} ms (min {s[1]:.0f}, max "
          f"{s[2]:.0f}) over {len(cells)} cells; target < 150 ms: "
          f"{'met' if s[0] < 150 else 'NOT met'}")
    print(f"    the run: {wall:.0f} ms wall from here, duration_ms "
          f"{report.get('duration_ms')}, exit {rc}\n")


def catalogue_figures(report, wall_ms):
    """The figures of one catalogue run (see (c) in the docstring)."""
    res = report.get("results") or []
    phased = [r for r in res if r.get("phase") is not None]
    scored = [r for r in phased
              if r.get("verdict") in ("PASS", "FAIL", "XFAIL", "XPASS")]
    wait = max((float(r.get("at") or 0) for r in phased), default=0.0)
    jobs = report.get("jobs") or 1
    busy = sum(r.get("cell_ms") or 0 for r in res
               if r.get("phase") is None) / 1000.0 / jobs
    counts = report.get("counts") or {}
    return {"wall": wall_ms / 1000.0, "scored": len(scored),
            "phased": len(phased), "wait": wait,
            "share": wait / (wall_ms / 1000.0) if wall_ms > 0 else 0.0,
            "busy": busy, "results": len(res),
            "failed": sum(v for k, v in counts.items()
                          if k in ("FAIL", "ERROR", "HANG", "XPASS")),
            "bad": [f"{r.get('scenario')}"
                    + (f"@{r['phase']}" if r.get("phase") else "")
                    + f" {r.get('policy')} {r.get('verdict')} "
                    f"{r.get('rule') or ''}: {(r.get('reason') or '')[:160]}"
                    for r in res if r.get("verdict") in
                    ("FAIL", "ERROR", "HANG", "XPASS")],
            "jobs": jobs}


def part_c(builds, tmp, runs):
    """builds: [(label, argv prefix)]; runs alternate between them."""
    print(f"(c) the whole catalogue: danelab run, reference client, default "
          f"jobs, {runs} run{'s' if runs > 1 else ''} per build"
          + (", alternating" if len(builds) > 1 else ""))
    figs = {label: [] for label, _ in builds}
    notes = []
    for i in range(runs):
        order = builds if i % 2 == 0 else builds[::-1]
        for label, argv in order:
            load = os.getloadavg()[0]
            report, wall, rc, msg = danelab_run(argv, [], tmp,
                                                f"catalogue-{i}")
            if report is None:
                notes.append(f"{label} run {i + 1}: not measured: {msg}")
                print(f"# {label} run {i + 1}: {msg}", file=sys.stderr,
                      flush=True)
                continue
            f = catalogue_figures(report, wall)
            f["rc"], f["load"] = rc, load
            figs[label].append(f)
            print(f"# {label} run {i + 1}: wall {f['wall']:.2f} s, exit "
                  f"{rc}, load {load:.2f}", file=sys.stderr, flush=True)
            for b in f["bad"]:
                notes.append(f"{label} run {i + 1}: {b}")
    hdr = (f"    {'build':<10} {'wall min':>9} {'median':>8} {'phases':>10} "
           f"{'timeline wait':>14} {'share':>6} {'cells busy':>11} "
           f"{'results':>8} {'not ok':>7} {'load':>5}")
    print(hdr)
    for label, _ in builds:
        fs = figs[label]
        if not fs:
            print(f"    {label:<10} not measured")
            continue
        walls = [f["wall"] for f in fs]
        med = statistics.median
        print(f"    {label:<10} {min(walls):>8.2f}s {med(walls):>7.2f}s "
              f"{med([f['scored'] for f in fs]):>4.0f} of "
              f"{med([f['phased'] for f in fs]):<3.0f} "
              f"{med([f['wait'] for f in fs]):>13.1f}s "
              f"{med([f['share'] for f in fs]) * 100:>5.0f}% "
              f"{med([f['busy'] for f in fs]):>10.1f}s "
              f"{med([f['results'] for f in fs]):>8.0f} "
              f"{max(f['failed'] for f in fs):>7} "
              f"{med([f['load'] for f in fs]):>5.2f}")
    for label, _ in builds:
        fs = figs[label]
        if fs:
            walls = ", ".join("%.2f" % f["wall"] for f in fs)
            codes = ", ".join(str(f["rc"]) for f in fs)
            print(f"    {label}: walls {walls} s; exit {codes}; jobs "
                  f"{fs[0]['jobs']}")
    target = [label for label, _ in builds if figs[label] and
              statistics.median([f["wall"] for f in figs[label]]) <= 20]
    print(f"    median wall <= 20 s (issue 14): "
          f"{', '.join(target) if target else 'none'}")
    for n in notes:
        print(f"    {n}")
    print()


# ==================================================================== main


def main():
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n")[0],
        epilog=__doc__.split("\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("danelab", help="the danelab binary")
    ap.add_argument("src", nargs="?",
                    default=os.path.dirname(os.path.dirname(HERE)),
                    help="source root (fixtures/, scenarios/; default "
                    "this script's ../..)")
    ap.add_argument("--runs", type=int, default=20,
                    help="(a) runs per side (default 20)")
    ap.add_argument("--scenario", default="control/valid-dane-ee",
                    help="(a) the world (default control/valid-dane-ee)")
    ap.add_argument("--name", help="(a) the TLSA name (default: the "
                    "world's first, _25._tcp.mx1 preferred)")
    ap.add_argument("--interval-ms", type=int, default=1,
                    help="(a) the probe's query interval (default 1)")
    ap.add_argument("--skip-run", action="store_true",
                    help="only (a), no `danelab run`")
    ap.add_argument("--catalogue", action="store_true",
                    help="only (c), the whole catalogue")
    ap.add_argument("--catalogue-runs", type=int, default=3,
                    help="(c) runs per build (default 3)")
    ap.add_argument("--ref", help="(c) a reference danelab build, run "
                    "alternately with the one under test")
    ap.add_argument("--ref-src", help="(c) the reference build's source "
                    "root (default: the one it was built from)")
    a = ap.parse_args()
    if a.catalogue_runs < 1:
        ap.error("--catalogue-runs must be at least 1")
    if a.catalogue and a.skip_run:
        ap.error("--catalogue and --skip-run exclude each other")
    if a.runs < 1:
        ap.error("--runs must be at least 1")
    if a.interval_ms < 1:
        ap.error("--interval-ms must be at least 1")
    if os.geteuid() != 0:
        print("run_bench: run as root (namespaces, port 53)",
              file=sys.stderr)
        return 77
    missing = [t for t in ("nsd", "unbound", "unshare", "ip", "cc", "sh")
               if shutil.which(t) is None and not a.catalogue]
    if missing:
        print(f"run_bench: missing: {' '.join(missing)}", file=sys.stderr)
        return 77
    src = os.path.abspath(a.src)
    scen_dir = os.path.join(src, "scenarios")
    danelab = [os.path.abspath(a.danelab), "--fixtures",
               os.path.join(src, "fixtures"), "--scenarios", scen_dir]
    builds = [("this", danelab)]
    if a.ref:
        ref = [os.path.abspath(a.ref)]
        if a.ref_src:
            rs = os.path.abspath(a.ref_src)
            ref += ["--fixtures", os.path.join(rs, "fixtures"),
                    "--scenarios", os.path.join(rs, "scenarios")]
        builds.append(("ref", ref))
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _on_signal)
    tmp = tempfile.mkdtemp(prefix="run_bench.")
    ok = True
    try:
        load0 = os.getloadavg()[0]
        if not a.catalogue:
            probe = os.path.join(tmp, "tlsa_probe")
            subprocess.run(["cc", "-O2", "-o", probe,
                            os.path.join(HERE, "tlsa_probe.c")], check=True)
            ok = part_a(a, danelab, tmp, probe)
        if not a.skip_run:
            if not a.catalogue:
                part_b(danelab, scen_dir, tmp)
            part_c(builds, tmp, a.catalogue_runs)
        load1 = os.getloadavg()[0]
        print(f"load average (1 min) before {load0:.2f}, after {load1:.2f}"
              + ("  -- WARNING: other work on the machine, figures are "
                 "noisy" if max(load0, load1) > 1.5 else ""))
    except Interrupted as e:
        print(f"\nrun_bench: interrupted ({e}), cleaning up",
              file=sys.stderr)
        ok = None
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        for p in list(_children):
            kill(p)
        shutil.rmtree(tmp, ignore_errors=True)
    if ok is None:
        return 130
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
