#!/usr/bin/env python3
"""The reference client (`danelab probe`) in every world of the catalogue.

For each scenario and each policy (dane, dane-only), runs

    danelab shell ID --no-timeline -- danelab probe example.net --policy P

(timeline scenarios: their first phase only) and compares the printed
`decision: ACTION [via HOST]` and the exit status with the scenario's
`expect.dane` / `expect.dane-only`:
  - a single action: the decision must be that action (defer: no host);
  - a per-host map: hosts in preference order, each `next-mx` (or
    `defer`) host must be passed over; the first other one gives the
    expected action and the host delivered through; none: defer;
  - a list (`[opportunistic, auth]`, per host too): any action of it is
    accepted; a host's list holding `next-mx` is judged by its first item.
Exit status: 0 when delivered, 1 when deferred.

Then the trace itself, in test-only worlds (tests/integration/worlds/):
TRACES below, each a world, a policy, a line the trace must hold and the
decision (digest agility: the shadowed 3 1 1 is labelled so, and defer).

Needs root (namespaces) and PyYAML; skips (77) otherwise.
  args: DANELAB SOURCE_ROOT [SCENARIOS_DIR]
"""

import concurrent.futures
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dltest  # noqa: E402

POLICIES = ("dane", "dane-only")
PASS_OVER = ("next-mx", "defer")
DECISION = re.compile(r"^decision: (\S+)(?: via (\S+))?$", re.M)


def acts(v):
    """An action or a list of acceptable ones, as a tuple (primary first)."""
    return tuple(str(a) for a in v) if isinstance(v, list) else (str(v),)


def expected(s, policy):
    """(acceptable actions, host or None), or None if the scenario has no
    expectation."""
    e = (s.doc.get("expect") or {}).get(policy)
    if e is None:
        return None
    if not isinstance(e, dict):
        return (acts(e), None)
    m = {dltest.fqdn(k): acts(v) for k, v in e.items()}
    for h in sorted(s.hosts, key=lambda h: h["preference"]):
        act = m.get(h["name"])
        if act is not None and act[0] not in PASS_OVER:
            return (act, h["name"])
    return (("defer",), None)


# (world below tests/integration/worlds, policy, trace line regex, decision)
TRACES = [
    ("edge/digest-agility.yaml", "dane",
     r"^  TLSA 3 1 1 \S+ \(shadowed by digest agility: 3 1 2 present\)$",
     "defer"),
    ("edge/digest-agility.yaml", "dane-only",
     r"^  TLSA 3 1 1 \S+ \(shadowed by digest agility: 3 1 2 present\)$",
     "defer"),
]


def check_traces(tap, danelab, src):
    worlds = os.path.join(src, "tests", "integration", "worlds")
    for world, policy, line, decision in TRACES:
        argv = dltest.danelab_cmd(danelab, src, "shell",
                                  os.path.join(worlds, world), "--quiet",
                                  "--no-timeline", "--", danelab, "probe",
                                  "example.net", "--policy", policy)
        try:
            r = dltest.run(argv, timeout=120)
            out = r.stdout + r.stderr
        except Exception as e:  # timeout
            r, out = None, str(e)
        m = DECISION.search(out)
        ok = (r is not None and re.search(line, out, re.M) is not None and
              m is not None and m.group(1) == decision)
        tap.ok(ok, f"{world} {policy}: trace holds /{line}/, decision "
               f"{decision}")
        if not ok:
            tap.diag(dltest.short(out))


def probe(danelab, src, s, policy):
    argv = dltest.danelab_cmd(danelab, src, "shell", s.id, "--quiet",
                              "--no-timeline", "--", danelab, "probe",
                              dltest.plain(s.domain), "--policy", policy)
    try:
        r = dltest.run(argv, timeout=120)
    except Exception as e:  # timeout
        return None, str(e)
    return r, r.stdout + r.stderr


def main():
    danelab, src = dltest.args()
    dltest.need_yaml()
    dltest.need_root_namespaces()
    dltest.setup_signals()
    scenarios, errors = dltest.catalogue(src)
    tap = dltest.Tap()
    for path, msg in errors:
        tap.ok(False, f"{path}: {msg}")
    jobs = [(s, p) for s in scenarios for p in POLICIES
            if expected(s, p) is not None]
    if not jobs:
        dltest.fail_all("no scenario with expect.dane / expect.dane-only")
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        futs = [pool.submit(probe, danelab, src, s, p) for s, p in jobs]
        results = [f.result() for f in futs]
    for (s, policy), (r, out) in zip(jobs, results):
        want_act, want_host = expected(s, policy)
        m = DECISION.search(out)
        got_act = m.group(1) if m else None
        got_host = dltest.fqdn(m.group(2)) if m and m.group(2) else None
        want_rc = 1 if got_act == "defer" else 0
        ok = (r is not None and m is not None and got_act in want_act and
              r.returncode == want_rc and
              (want_host is None or got_host == want_host))
        desc = (f"{s.id} {policy}: expect {'|'.join(want_act)}"
                f"{' via ' + want_host if want_host else ''}, got "
                f"{got_act}{' via ' + got_host if got_host else ''}"
                f" (exit {r.returncode if r else 'timeout'})")
        tap.ok(ok, desc)
        if not ok:
            tap.diag(dltest.short(out))
    check_traces(tap, danelab, src)
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
