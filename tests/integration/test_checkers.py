#!/usr/bin/env python3
"""The shipped DANE checkers (kind: checker) over the whole catalogue,
scored on their diagnosis codes (harness/clients/DIAGNOSIS.md).

For each checker installed (ldns-dane, danetool, hash-slinger), one
`danelab run --client NAME` over the catalogue (hash-slinger, slow, at
--time-scale 3), JSON report, then:

  1. one column: one result per scenario (and phase), all under policy
     dane, none repeated under dane-only;
  2. every result's verdict and rule exactly as pinned in
     tests/clients/NAME.verdicts (SCENARIO[@PHASE] VERDICT [RULE]): a
     new FAIL, a lost XFAIL, a PASS turned ERROR all fail the test;
  3. every non-PASS result has its reason and the checker's output.

A checker not installed is a skip.  Runs clients as root: run it only in
a read-only sandbox (see harness/clients/DIAGNOSIS.md).  Set
DANELAB_UPDATE_EXPECTED=1 to rewrite the tables (review every line).
args: DANELAB SOURCE_ROOT
"""

import json
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dltest  # noqa: E402

# (name, program, --time-scale).  hash-slinger is Python: a run takes
# a second or more, several on a loaded CI machine, longer than the 3 s
# between some timeline phases; an overrun is ERROR (not scored), so it
# gets the room test_mta.py gives it.  Stretching must not change a
# verdict: the same table is pinned.
CHECKERS = [("ldns-dane", "ldns-dane", None), ("danetool", "danetool", None),
            ("hash-slinger", "tlsa", "3")]


def moments(cat):
    n = 0
    for s in cat:
        n += max(1, len(s.doc.get("timeline") or []))
    return n


def check(tap, danelab, src, cat, tmp, name, scale):
    out = os.path.join(tmp, name + ".json")
    env = dict(os.environ, TMPDIR=tmp, NO_COLOR="1")
    extra = ["--time-scale", scale] if scale else []
    r = dltest.run(dltest.danelab_cmd(danelab, src, "run", "--client", name,
                                      *extra, "--format", "json", "-o", out),
                   timeout=1500, env=env)
    tap.ok(r.returncode in (0, 1), f"{name}: run ends ({r.returncode})")
    if not os.path.exists(out):
        tap.diag(dltest.short(r.stderr))
        return
    with open(out, encoding="utf-8") as f:
        rep = json.load(f)
    res = rep["results"]
    pols = {x["policy"] for x in res}
    tap.ok(pols == {"dane"} and len(res) == moments(cat),
           f"{name}: one column, {len(res)} results for {moments(cat)} "
           f"moments, policies {sorted(pols)}")
    got = {}
    for x in res:
        cell = x["scenario"] + ("@" + x["phase"] if x.get("phase") else "")
        got[cell] = (x["verdict"],
                     x.get("rule") if x["verdict"] != "PASS" else None)
    path = os.path.join(src, "tests", "clients", name + ".verdicts")
    if os.environ.get("DANELAB_UPDATE_EXPECTED"):
        with open(path, "w", encoding="utf-8") as fp:
            fp.write(f"# The pinned verdicts of the checker {name} over the "
                     f"catalogue, scored on\n# its diagnosis codes "
                     f"(harness/clients/DIAGNOSIS.md): SCENARIO[@PHASE] "
                     f"VERDICT [RULE].\n# tests/integration/test_checkers.py"
                     f" compares every result with it; every\n# XFAIL is "
                     f"explained in harness/clients/{name}.deviations.\n")
            for k in sorted(got):
                v, rule = got[k]
                fp.write(f"{k} {v}{' ' + rule if rule else ''}\n")
    want = {}
    with open(path, encoding="utf-8") as fp:
        for line in fp:
            f = line.split()
            if not f or f[0].startswith("#"):
                continue
            want[f[0]] = (f[1], f[2] if len(f) > 2 else None)
    diff = sorted(k for k in set(want) | set(got)
                  if not dltest.pinned_match(want.get(k), got.get(k)))
    tap.ok(not diff, f"{name}: every one of {len(got)} results as pinned "
           f"in tests/clients/{name}.verdicts ({len(diff)} differ)")
    for k in diff[:20]:
        tap.diag(f"{k}: pinned {want.get(k)}, got {got.get(k)}")
    bad = [x for x in res if x["verdict"] != "PASS" and
           (not x.get("reason") or x.get("output") is None)]
    counts = {}
    for x in res:
        counts[x["verdict"]] = counts.get(x["verdict"], 0) + 1
    tap.ok(not bad, f"{name}: every non-PASS result has its evidence "
           f"({counts})")


def main():
    danelab, src = dltest.args()
    dltest.need_yaml()
    dltest.need_root_namespaces()
    dltest.setup_signals()
    cat, errors = dltest.catalogue(src)
    if errors or not cat:
        dltest.fail_all(f"catalogue unreadable or empty: {errors[:1]}")
    tap = dltest.Tap()
    with dltest.TempDir() as tmp:
        for name, prog, scale in CHECKERS:
            if not shutil.which(prog):
                tap.ok(True, name, skip=f"{prog} not installed")
                continue
            check(tap, danelab, src, cat, tmp, name, scale)
    sys.exit(tap.done())


if __name__ == "__main__":
    main()
