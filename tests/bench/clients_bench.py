#!/usr/bin/python3
"""clients_bench -- the whole catalogue per client, side by side.

Not a meson test: it prints figures and asserts nothing about timing.
Run as root (namespaces), on a build with optimisation:

    sudo /usr/bin/python3 tests/bench/clients_bench.py BUILD/danelab [SRC]
        [--clients reference,posttls-finger,postfix-mta,exim]
        [--time-scale F] [--jobs N]

For each client, one after the other (never two at once: they would
share the two cores), `danelab run --client C --format json -o F` over
the whole catalogue, both policies; then a table, one row per client:

  wall      the run's wall time, measured here (start to exit)
  cells     cells run (a timeline cell holds one result per phase)
  cell ms   median and max of the cells' "cell_ms": one cell, world
            bring-up to teardown, every client run of it included
  run ms    median and max of the results' "ms": one client run (a
            real MTA: start, submit, wait, stop)
  verdicts  PASS / FAIL / XFAIL / ERROR / HANG / SKIP counts
  x ref     wall time and median cell time over the reference client's

The reference client (danelab's own, `danelab probe`) is the baseline:
the figure that matters for an MTA developer is how much longer their
MTA takes than a probe.  The whole-catalogue wall time is bounded below
by the longest timeline (its last phase's offset times --time-scale),
which is why the cell medians are printed beside it.  A client that is
not installed shows its cells as SKIP and tiny times.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time


def run_client(danelab, src, client, scale, jobs, tmp):
    out = os.path.join(tmp, client + ".json")
    cmd = [danelab, "--scenarios", os.path.join(src, "scenarios"),
           "--fixtures", os.path.join(src, "fixtures"), "run",
           "--client", client, "--format", "json", "-o", out,
           "--no-progress"]
    if scale is not None:
        cmd += ["--time-scale", str(scale)]
    if jobs is not None:
        cmd += ["--jobs", str(jobs)]
    t0 = time.monotonic()
    r = subprocess.run(cmd, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True)
    wall = time.monotonic() - t0
    if not os.path.exists(out):
        print(f"{client}: no report (exit {r.returncode}): "
              f"{r.stderr.strip()[:300]}", file=sys.stderr)
        return None
    with open(out) as fp:
        rep = json.load(fp)
    cells = {}
    runs = []
    counts = {}
    for x in rep["results"]:
        key = (x["scenario"], x.get("policy"))
        cells[key] = x.get("cell_ms", 0)
        if x.get("ms"):
            runs.append(x["ms"])
        counts[x["verdict"]] = counts.get(x["verdict"], 0) + 1
    cms = sorted(cells.values())
    return {
        "client": client, "wall": wall, "exit": r.returncode,
        "cells": len(cells), "results": len(rep["results"]),
        "cell_med": statistics.median(cms) if cms else 0,
        "cell_max": max(cms) if cms else 0,
        "run_med": statistics.median(runs) if runs else 0,
        "run_max": max(runs) if runs else 0,
        "counts": counts,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("danelab")
    ap.add_argument("src", nargs="?",
                    default=os.path.join(os.path.dirname(
                        os.path.abspath(__file__)), "..", ".."))
    ap.add_argument("--clients",
                    default="reference,posttls-finger,postfix-mta,exim")
    ap.add_argument("--time-scale", type=float, default=None)
    ap.add_argument("--jobs", type=int, default=None)
    a = ap.parse_args()
    danelab = os.path.abspath(a.danelab)
    src = os.path.abspath(a.src)
    print(f"load average before: {os.getloadavg()[0]:.2f}, "
          f"{os.cpu_count()} CPUs, time scale "
          f"{a.time_scale if a.time_scale else 1}")
    rows = []
    with tempfile.TemporaryDirectory(prefix="dl-bench-") as tmp:
        for c in a.clients.split(","):
            r = run_client(danelab, src, c, a.time_scale, a.jobs, tmp)
            if r is not None:
                rows.append(r)
                print(f"  {c}: {r['wall']:.1f} s", flush=True)
    print(f"load average after: {os.getloadavg()[0]:.2f}\n")
    ref = next((r for r in rows if r["client"] == "reference"), None)
    hdr = (f"{'client':<16} {'wall s':>7} {'cells':>5} {'cell ms med':>11} "
           f"{'max':>7} {'run ms med':>10} {'max':>7} {'x ref wall':>10} "
           f"{'x ref cell':>10}  verdicts")
    print(hdr)
    print("-" * len(hdr))
    for r in rows:
        xw = f"{r['wall'] / ref['wall']:.2f}" if ref else "-"
        xc = (f"{r['cell_med'] / ref['cell_med']:.2f}"
              if ref and ref["cell_med"] else "-")
        v = " ".join(f"{k} {n}" for k, n in sorted(r["counts"].items()))
        print(f"{r['client']:<16} {r['wall']:>7.1f} {r['cells']:>5} "
              f"{r['cell_med']:>11.0f} {r['cell_max']:>7.0f} "
              f"{r['run_med']:>10.0f} {r['run_max']:>7.0f} {xw:>10} "
              f"{xc:>10}  {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
