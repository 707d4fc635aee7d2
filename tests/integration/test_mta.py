#!/usr/bin/env python3
"""Real MTAs over the whole catalogue, in one multi-client run.

One `danelab run --client reference,posttls-finger,postfix-mta,exim,
hash-slinger --time-scale 3` over every scenario, JSON and HTML reports,
then:

  1. postfix-mta (Postfix 3.7, a private instance per run) and exim
     (Exim 4.96 from Debian, unpacked into a cache by
     tests/clients/fetch-exim.sh, never installed): every result's verdict
     and rule exactly as pinned in tests/clients/NAME.verdicts
     (SCENARIO[@PHASE] POLICY VERDICT [RULE]), so that a change in either
     MTA's behaviour or in danelab's scoring fails this test; every
     non-PASS of theirs is an XFAIL that a line of NAME.deviations
     explains (no FAIL, ERROR or HANG: every rollover phase is scored,
     none lost to an overrun, with room to spare on a loaded machine);
  2. reference: every result PASS; posttls-finger and hash-slinger as
     pinned in their own tables (at time scale 3: stretching the
     timelines must not change a verdict);
  3. one report for all five: the JSON has every client's results and
     "time_scale": 3, and the HTML matrix has a column for each client
     (and policy; one for the checker) and the summary row per client.

Exim: $DANELAB_EXIM (an unpacked package root) if set, else
tests/clients/fetch-exim.sh into BUILD/exim-cache.  It is a skip (of its
checks only) when apt-get download cannot fetch it or the Debian-exim
user does not exist (.ci/install-deps makes it).  Runs real MTAs as root:
CI does that on a throwaway machine; by hand, only in a read-only
sandbox.  DANELAB_UPDATE_EXPECTED=1 rewrites the two MTA tables (review
every changed line).
args: DANELAB SOURCE_ROOT
"""

import html.parser
import json
import os
import pwd
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dltest  # noqa: E402

SCALE = "3"
CHECKER = "hash-slinger"


def exim_root(danelab, src):
    """(DANELAB_EXIM value, None) or (None, why not)."""
    try:
        pwd.getpwnam("Debian-exim")
    except KeyError:
        return None, ("the Debian-exim user does not exist (useradd "
                      "--system --user-group Debian-exim; .ci/install-deps)")
    if os.environ.get("DANELAB_EXIM"):
        return os.environ["DANELAB_EXIM"], None
    cache = os.path.join(os.path.dirname(os.path.abspath(danelab)),
                         "exim-cache")
    r = subprocess.run(["sh", os.path.join(src, "tests", "clients",
                                           "fetch-exim.sh"), cache],
                       capture_output=True, text=True)
    if r.returncode == 77:
        return None, "apt-get download exim4-daemon-light failed"
    if r.returncode != 0:
        dltest.fail_all("fetch-exim.sh failed: " + r.stderr.strip()[-300:])
    return os.path.join(cache, "root"), None


def table(path):
    want = {}
    with open(path, encoding="utf-8") as fp:
        for line in fp:
            f = line.split()
            if not f or f[0].startswith("#"):
                continue
            want[(f[0], f[1])] = (f[2], f[3] if len(f) > 3 else None)
    return want


def got_of(res, client):
    got = {}
    for x in res:
        if x["client"] != client:
            continue
        cell = x["scenario"] + ("@" + x["phase"] if x.get("phase") else "")
        got[(cell, x["policy"])] = (x["verdict"], x.get("rule")
                                    if x["verdict"] != "PASS" else None)
    return got


def write_table(path, name, got):
    with open(path, "w", encoding="utf-8") as fp:
        fp.write(f"# The pinned verdicts of {name} over the catalogue (run "
                 f"at --time-scale {SCALE}):\n# SCENARIO[@PHASE] POLICY "
                 f"VERDICT [RULE].  tests/integration/test_mta.py compares\n"
                 f"# every result with it; every XFAIL is explained in\n"
                 f"# harness/clients/{name}.deviations.  After a change, "
                 f"re-run with\n# DANELAB_UPDATE_EXPECTED=1 and review "
                 f"every changed line.\n")
        for k in sorted(got):
            v, rule = got[k]
            fp.write(f"{k[0]} {k[1]} {v}{' ' + rule if rule else ''}\n")


def check_pinned(tap, src, res, name, mta):
    got = got_of(res, name)
    path = os.path.join(src, "tests", "clients", name + ".verdicts")
    if mta and os.environ.get("DANELAB_UPDATE_EXPECTED"):
        write_table(path, name, got)
    if mta or name != CHECKER:
        want = table(path)
    else:
        # The checkers' tables have no policy column (one column).
        want = {}
        with open(path, encoding="utf-8") as fp:
            for line in fp:
                f = line.split()
                if f and not f[0].startswith("#"):
                    want[(f[0], "dane")] = (f[1], f[2] if len(f) > 2
                                            else None)
    diff = sorted(k for k in set(want) | set(got)
                  if not dltest.pinned_match(want.get(k), got.get(k)))
    tap.ok(got and not diff, f"{name}: every one of {len(got)} results as "
           f"pinned in tests/clients/{name}.verdicts ({len(diff)} differ)")
    for k in diff[:20]:
        tap.diag(f"{k[0]} {k[1]}: pinned {want.get(k)}, got {got.get(k)}")
    if not mta:
        return
    counts = {}
    for v, _ in got.values():
        counts[v] = counts.get(v, 0) + 1
    bad = [k for k, (v, _) in got.items() if v not in ("PASS", "XFAIL")]
    tap.ok(not bad, f"{name}: only PASS and XFAIL, every rollover phase "
           f"scored ({counts})")
    for k in bad[:10]:
        tap.diag(f"{k}: {got[k]}")
    unexplained = [x for x in res if x["client"] == name and
                   x["verdict"] == "XFAIL" and not x.get("deviation")]
    tap.ok(not unexplained, f"{name}: every XFAIL names its deviation")


class Matrix(html.parser.HTMLParser):
    """The text of the HTML page's table headers and rows."""

    def __init__(self):
        super().__init__()
        self.th = []
        self.rows = []
        self._in = None
        self._row = None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self._row = []
        if tag in ("th", "td"):
            self._in = tag
            if self._row is not None:
                self._row.append("")

    def handle_endtag(self, tag):
        if tag in ("th", "td"):
            self._in = None
        if tag == "tr" and self._row is not None:
            self.rows.append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._in == "th":
            self.th.append(data.strip())
        if self._in and self._row:
            self._row[-1] += data


def main():
    danelab, src = dltest.args()
    dltest.need_yaml()
    dltest.need_root_namespaces()
    dltest.setup_signals()
    if shutil.which("postfix") is None:
        dltest.skip_all("postfix not installed (.ci/install-deps)")
    tap = dltest.Tap()
    exim, why = exim_root(danelab, src)
    clients = ["reference", "posttls-finger", "postfix-mta", CHECKER]
    if exim is not None:
        clients.insert(3, "exim")
    else:
        tap.diag(f"exim: {why}")
    with dltest.TempDir(prefix="danelab-mta-") as tmp:
        # Postfix's daemons and Exim's delivery process reach the run's
        # files as their own users: TMPDIR must be searchable by others.
        os.chmod(tmp, 0o711)
        js = os.path.join(tmp, "r.json")
        ht = os.path.join(tmp, "r.html")
        env = dict(os.environ, TMPDIR=tmp, NO_COLOR="1")
        if exim is not None:
            env["DANELAB_EXIM"] = exim
        r = dltest.run(dltest.danelab_cmd(
            danelab, src, "run", "--client", ",".join(clients),
            "--time-scale", SCALE, "--no-progress", "--format", "json,html",
            "-o", js, "-o", ht), timeout=1700, env=env)
        tap.ok(r.returncode in (0, 1) and os.path.exists(js) and
               os.path.exists(ht), f"one run of {len(clients)} clients "
               f"writes JSON and HTML (exit {r.returncode})")
        if not os.path.exists(js):
            tap.diag(dltest.short(r.stderr))
            sys.exit(tap.done())
        with open(js, encoding="utf-8") as f:
            rep = json.load(f)
        res = rep["results"]
        seen = {x["client"] for x in res}
        tap.ok(seen == set(clients) and rep.get("time_scale") == float(SCALE),
               f"the JSON holds every client's results ({sorted(seen)}) "
               f"and time_scale {rep.get('time_scale')}")
        ref = [x for x in res if x["client"] == "reference"]
        bad = [x for x in ref if x["verdict"] != "PASS"]
        tap.ok(ref and not bad, f"reference: all {len(ref)} results PASS "
               f"at time scale {SCALE}")
        for x in bad[:10]:
            tap.diag(f"{x['scenario']} {x.get('phase')} {x['policy']}: "
                     f"{x['verdict']} {x.get('reason')}")
        check_pinned(tap, src, res, "postfix-mta", True)
        if exim is not None:
            check_pinned(tap, src, res, "exim", True)
        else:
            tap.ok(True, "exim: as pinned", skip=why)
        check_pinned(tap, src, res, "posttls-finger", False)
        check_pinned(tap, src, res, CHECKER, False)
        with open(ht, encoding="utf-8") as f:
            page = f.read()
        m = Matrix()
        m.feed(page)
        heads = " | ".join(m.th)
        missing = [c for c in clients if c not in heads]
        tap.ok(not missing, f"HTML: a column for every client "
               f"(missing: {missing})")
        summary = [row for row in m.rows if row and
                   any("passed" in c for c in row)]
        per_client = [c for c in clients
                      if any(c in " ".join(row) for row in summary)]
        tap.ok(len(per_client) == len(clients), f"HTML: a summary per "
               f"client ({per_client})")
        if len(per_client) != len(clients):
            tap.diag(str(summary[:3])[:600])
    sys.exit(tap.done())


if __name__ == "__main__":
    main()
