#!/usr/bin/env python3
"""The replay table: adversarial evidence through the real scorer.

Every row of tests/score/cases.yaml is a hand-written event log (what
danelab's SMTP servers would have written, EVENTS.md), optionally the
client's output, and its exit status, scored by `danelab score` (the
scorer `danelab run` uses) in a given world, with the verdict and the
rule id it must get.  The rows are the wrong clients a DANE test tool
must catch: cleartext to a second MX, cleartext and TLS mixed on one
host, a probe that ignores STARTTLS, a forbidden delivery followed by a
hang or a crash, a client that crashes at start, a deviation that must
excuse only the rule it names, damaged evidence.

Generated here as well:
  - 4096 junk sessions, then one cleartext delivery, in a defer world:
    FAIL (next-mx-used), never PASS;
  - more sessions than the scorer holds (RUN_MAX_SESSIONS): ERROR;
  - exit 3 with no output, no session, in EVERY defer world of the
    catalogue (read with PyYAML, not through danelab): ERROR, never PASS.

No root, no lab, no client is run.  args: DANELAB SOURCE_ROOT
"""

import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dltest  # noqa: E402

MAX_SESSIONS = 65536  # harness/run/run.h RUN_MAX_SESSIONS


def score(danelab, src, scenario, events, client="reference",
          policy="dane", phase=None, output=None, status=0,
          timed_out=False):
    """`danelab score` -> (exit code, the one result or None, stderr)."""
    cmd = [danelab, "score", scenario, "--events", events, "--client",
           client, "--policy", policy, "--status", str(status),
           "--format", "json"]
    if phase:
        cmd += ["--phase", phase]
    if output:
        cmd += ["--client-output", output]
    if timed_out:
        cmd.append("--timed-out")
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120,
                       cwd=src)
    res = None
    if p.stdout.strip():
        try:
            doc = json.loads(p.stdout)
            if len(doc.get("results", [])) == 1:
                res = doc["results"][0]
        except ValueError:
            pass
    return p.returncode, res, p.stderr


SANITIZER = ("Sanitizer", "runtime error:")


def check(tap, name, rc, res, err, want, rule):
    if any(m in err for m in SANITIZER):
        tap.ok(False, f"{name}: a sanitizer report")
        tap.diag(dltest.short(err, 2000))
        return
    if res is None:
        tap.ok(False, f"{name}: no result (exit {rc}: "
               f"{dltest.short(err, 300)})")
        return
    got = res["verdict"]
    good = got == want and (rule is None or res.get("rule") == rule)
    tap.ok(good, f"{name}: {got} rule {res.get('rule')} "
           f"(want {want}{' rule ' + rule if rule else ''})")
    if not good:
        tap.diag(f"reason: {res.get('reason')}")


def session_lines(host, first_id, n, t=0.2):
    """n sessions at host that connect, say EHLO and QUIT."""
    out = []
    for i in range(first_id, first_id + n):
        for ev in ({"ev": "smtp.connect", "accepted": True},
                   {"ev": "smtp.close", "how": "quit"}):
            d = {"v": 1, "t": t, "session": i, "host": host}
            d.update(ev)
            out.append(json.dumps(d))
    return out


def plain_delivery(host, sid, t=0.3):
    return [json.dumps(d) for d in (
        {"v": 1, "t": t, "ev": "smtp.connect", "session": sid,
         "host": host, "accepted": True},
        {"v": 1, "t": t, "ev": "smtp.message", "session": sid,
         "host": host, "accepted": True, "tls": False},
        {"v": 1, "t": t, "ev": "smtp.close", "session": sid,
         "host": host, "how": "quit"})]


def defer_worlds(src):
    """(id, policy) of every catalogue world whose expectation under
    the policy is defer (scalar 'defer', or every host next-mx), from the
    files themselves, without timeline."""
    import yaml
    out = []
    sdir = os.path.join(src, "scenarios")
    for root, _, files in os.walk(sdir):
        for f in sorted(files):
            if not f.endswith(".yaml"):
                continue
            with open(os.path.join(root, f)) as fp:
                doc = yaml.safe_load(fp)
            if doc.get("timeline"):
                continue
            for pol in ("dane", "dane-only"):
                e = (doc.get("expect") or {}).get(pol)
                if isinstance(e, list):
                    e = e if len(e) == 1 else None
                    e = e[0] if e else None
                if e == "defer" or (isinstance(e, dict) and all(
                        v == "next-mx" for v in e.values())):
                    out.append((doc["id"], pol))
    return sorted(out)


def main():
    dltest.setup_signals()
    danelab, src = dltest.args()
    dltest.need_yaml()
    import yaml
    tap = dltest.Tap()
    base = os.path.join(src, "tests", "score")
    with open(os.path.join(base, "cases.yaml")) as fp:
        cases = yaml.safe_load(fp)["cases"]
    if not cases:
        dltest.fail_all("tests/score/cases.yaml has no cases")

    for c in cases:
        scen = c["scenario"]
        if scen.endswith(".yaml"):
            scen = os.path.join(base, scen)
        out = os.path.join(base, "out", c["output"]) if c.get("output") \
            else None
        rc, res, err = score(
            danelab, src, scen,
            os.path.join(base, "events", c["events"] + ".jsonl"),
            client=c.get("client", "reference"),
            policy=c.get("policy", "dane"), phase=c.get("phase"),
            output=out, status=c.get("status", 0),
            timed_out=c.get("timed_out", False))
        check(tap, c["name"], rc, res, err, c["want"], c.get("rule"))
        if c["want"] in ("FAIL", "ERROR", "HANG"):
            tap.ok(rc == 1, f"{c['name']}: exit 1 (got {rc})")

    with dltest.TempDir() as tmp:
        # 4096 junk sessions at mx1, then one cleartext delivery.
        path = os.path.join(tmp, "junk.jsonl")
        with open(path, "w") as fp:
            fp.write("\n".join(session_lines("mx1.example.net", 1, 4096) +
                               plain_delivery("mx1.example.net", 5000)))
            fp.write("\n")
        rc, res, err = score(danelab, src, "tlsa/servfail", path,
                             client="swaks", status=0)
        check(tap, "4096 junk sessions then cleartext in a defer world",
              rc, res, err, "FAIL", "next-mx-used")
        # More sessions than the scorer holds: never a silent drop.
        path = os.path.join(tmp, "flood.jsonl")
        with open(path, "w") as fp:
            fp.write("\n".join(session_lines("mx1.example.net", 1,
                                             MAX_SESSIONS + 1)))
            fp.write("\n")
        rc, res, err = score(danelab, src, "tlsa/servfail", path,
                             client="swaks", status=2)
        check(tap, f"{MAX_SESSIONS + 1} sessions: more than the scorer "
              "holds", rc, res, err, "ERROR", "evidence")

        # A client that crashes at start, in every defer world.
        empty = os.path.join(tmp, "empty.jsonl")
        open(empty, "w").close()
        worlds = defer_worlds(src)
        tap.ok(len(worlds) >= 10, f"{len(worlds)} defer worlds found in "
               "the catalogue")
        bad = []
        for sid, pol in worlds:
            rc, res, err = score(danelab, src, sid, empty,
                                 client="reference", policy=pol, status=3)
            if res is None or res["verdict"] != "ERROR" or \
                    res.get("rule") != "exit-status":
                bad.append(f"{sid} {pol}: "
                           f"{res['verdict'] if res else err.strip()}")
        tap.ok(not bad, f"exit 3 without output is ERROR in all "
               f"{len(worlds)} defer worlds")
        for b in bad:
            tap.diag(b)

        # The usage errors of the verb itself.
        p = subprocess.run([danelab, "score", "control/valid-dane-ee",
                            "--events", empty, "--format", "json"],
                           capture_output=True, text=True, cwd=src)
        tap.ok(p.returncode == 2 and "--status" in p.stderr,
               "no client.end and no --status: exit 2, says so")
        p = subprocess.run([danelab, "score", "control/valid-dane-ee",
                            "--events", os.path.join(tmp, "missing")],
                           capture_output=True, text=True, cwd=src)
        tap.ok(p.returncode == 2 and "missing" in p.stderr,
               "a missing events file: exit 2, names it")
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
