#!/usr/bin/env python3
"""run-baseline: `danelab run --baseline OLD.json` (needs root namespaces).

One cell, control/valid-dane-ee with --policy dane:

  * the reference client against its own earlier report: exit 0, the
    diff on standard error says "1 unchanged", "not worse";
  * the reference client against a baseline where that cell FAILed:
    "Fixed (1)", exit 0;
  * swaks (which FAILs the control cell) against its own report: exit 1
    (the run's own FAIL) but "not worse";
  * swaks against a baseline where the cell PASSed: "New failures (1)",
    exit 1;
  * a baseline that is not a report: exit 2 before anything runs.
"""

import json
import os
import subprocess
import sys

import dltest
from dltest import Tap

CELL = ["control/valid-dane-ee", "--policy", "dane", "--no-progress"]


def run(danelab, *args):
    p = subprocess.run([danelab, "run", *CELL, *args], capture_output=True,
                       text=True, timeout=600)
    return p.returncode, p.stdout, p.stderr


def with_verdict(src, dst, verdict):
    r = json.load(open(src))
    for res in r["results"]:
        res["verdict"] = verdict
        if verdict == "FAIL":
            res["rule"] = "cleartext"
    with open(dst, "w") as f:
        json.dump(r, f)


def main():
    danelab, src = dltest.args()
    dltest.need_root_namespaces()
    dltest.setup_signals()
    t = Tap()
    with dltest.TempDir() as d:
        ref = os.path.join(d, "ref.json")
        rc, out, err = run(danelab, "-f", "json", "-o", ref)
        if rc != 0 or not os.path.exists(ref):
            dltest.fail_all(f"reference run: exit {rc}: {err[-600:]}")
        rc, out, err = run(danelab, "--baseline", ref)
        t.ok(rc == 0 and "1 unchanged" in err and
             "not worse than the baseline" in err,
             f"reference vs itself: exit 0, not worse ({rc})")
        t.ok("old: " + ref in err and "new: this run" in err,
             "the diff names the baseline, on standard error")
        t.ok("not worse" not in out, "standard output holds the report only")

        failed = os.path.join(d, "failed.json")
        with_verdict(ref, failed, "FAIL")
        rc, out, err = run(danelab, "--baseline", failed)
        t.ok(rc == 0 and "Fixed (1):" in err,
             f"reference vs a FAIL baseline: fixed, exit 0 ({rc})")

        sw = os.path.join(d, "swaks.json")
        rc, out, err = run(danelab, "--client", "swaks", "-f", "json",
                           "-o", sw)
        if rc != 1 or not os.path.exists(sw):
            t.ok(False, f"swaks FAILs the control cell ({rc}): {err[-400:]}")
            return t.done()
        rc, out, err = run(danelab, "--client", "swaks", "--baseline", sw)
        t.ok(rc == 1 and "not worse than the baseline" in err,
             f"swaks vs itself: exit 1 (its FAIL), not worse ({rc})")
        passed = os.path.join(d, "passed.json")
        with_verdict(sw, passed, "PASS")
        rc, out, err = run(danelab, "--client", "swaks", "--baseline",
                           passed)
        t.ok(rc == 1 and "New failures (1):" in err and
             "worse than the baseline" in err,
             f"swaks vs a PASS baseline: a new failure, exit 1 ({rc})")

        bad = os.path.join(d, "bad.json")
        with open(bad, "w") as f:
            f.write("[]\n")
        rc, out, err = run(danelab, "--baseline", bad)
        t.ok(rc == 2 and "bad.json" in err and "passed" not in err,
             f"a baseline that is not a report: exit 2, nothing run ({rc})")
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
