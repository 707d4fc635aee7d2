#!/usr/bin/env python3
"""`danelab run`: whole runs, their reports, shards, exit codes, clients.

1. The reference client over the whole catalogue, both policies, every
   report format at once.  Every result must be PASS, and every result's
   expected action must be the one the scenario file gives for that
   policy and phase (read here with PyYAML, not through danelab); one
   result per scenario x policy (x phase for timelines); the JUnit file
   parses as XML with one testcase per result, the TAP plan counts them,
   the HTML parses and names every scenario, the text report ends with
   the summary line; nothing is left in TMPDIR and no mount is left.
2. --shard 1/2 and 2/2 over a subset, merged with `danelab report
   merge`, give the same results as the subset in one run.
3. swaks, a DANE-unaware client, must FAIL exactly the cells where every
   action the scenario accepts at the MX host swaks uses (the first one)
   either forbids delivery there or requires DANE authentication (it
   sends no SNI, RFC 7672 8.1) -- an accepted set such as [auth, next-mx]
   included -- and PASS the others -- except where the MX RRset or that host's
   address is declared bogus or indeterminate: the validating lab
   resolver then keeps swaks out, and as it never tries another MX it
   passes exactly where the RFC says defer.
4. posttls-finger: every result's verdict and rule exactly as pinned in
   tests/clients/posttls-finger.verdicts, and every result that is not
   PASS carries its evidence
   (a reason, and the client's output).
5. --keep keeps a failed cell's directory (events, client output).
6. Exit codes: 2 for usage errors, 77 when everything is skipped.
7. A broken environment (here: a reference client that cannot deliver,
   so the control scenarios fail) makes every cell ERROR, and the run
   says the environment is broken instead of blaming the client.

Needs root (namespaces) and PyYAML.  args: DANELAB SOURCE_ROOT
"""

import html.parser
import json
import os
import subprocess
import sys
import xml.dom.minidom

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dltest  # noqa: E402

POLICIES = ("dane", "dane-only")


def expect_of(doc, policy, phase_index):
    """The scenario's expectation (a word or a host map) for policy at a
    phase: the phase's own, else the nearest earlier one, else the top."""
    phases = doc.get("timeline") or []
    if phase_index is not None and phase_index >= 0:
        for i in range(phase_index, -1, -1):
            e = (phases[i].get("expect") or {}).get(policy)
            if e is not None:
                return e
    return (doc.get("expect") or {}).get(policy)


def primary(v):
    """An action, or a list of acceptable ones: its first, the primary."""
    if isinstance(v, list):
        return str(v[0]) if v else ""
    return str(v)


def overall(e, hosts):
    """The overall action of an expectation (a host map: the first host by
    preference that is not next-mx, else defer)."""
    if not isinstance(e, dict):
        return primary(e)
    m = {dltest.fqdn(k): primary(v) for k, v in e.items()}
    for h in sorted(hosts, key=lambda h: h["preference"]):
        a = m.get(h["name"])
        if a is not None and a not in ("next-mx", "defer"):
            return a
    return "defer"


def first_host_actions(e, hosts):
    """The acceptable actions at the first MX host (by preference): the
    host's own entry, else "defer" where the expectation's overall action
    is defer (no host may get the message)."""
    def actions(v):
        return {str(a) for a in v} if isinstance(v, list) else {str(v)}
    if not isinstance(e, dict):
        return actions(e)
    first = sorted(hosts, key=lambda h: h["preference"])[0]["name"]
    m = {dltest.fqdn(k): v for k, v in e.items()}
    if first in m:
        return actions(m[first])
    return {"defer"} if overall(e, hosts) == "defer" else set()


def swaks_must_fail(e, hosts):
    """swaks delivers at its first MX host, over TLS with no SNI where
    STARTTLS is offered.  That is wrong wherever every acceptable action
    there is one it cannot match: next-mx or defer (delivery through that
    host is forbidden) or auth (DANE authentication, and so the SNI of
    RFC 7672 8.1: rule sni).  An accepted set such as [auth, next-mx]
    (the validator's choice) is no way out: swaks does neither."""
    acts = first_host_actions(e, hosts)
    return bool(acts) and acts <= {"auth", "next-mx", "defer"}


def unreachable(s):
    """Does the scenario declare the MX RRset, or the first MX host's
    address, bogus or indeterminate?  Then the validating lab resolver
    answers SERVFAIL and a DANE-unaware client finds no server either."""
    bad = ("bogus", "indeterminate")
    ex = s.doc.get("expect") or {}
    if str(ex.get("mx")) in bad:
        return True
    first = sorted(s.hosts, key=lambda h: h["preference"])[0]["name"]
    addr = {dltest.fqdn(k): str(v)
            for k, v in (ex.get("address") or {}).items()}
    return addr.get(first) in bad


def snapshot(tmp):
    with open("/proc/1/mountinfo") as f:
        mounts = len(f.read().splitlines())
    return mounts, sorted(os.listdir(tmp))


def run(danelab, src, tmp, *argv, timeout=900):
    env = dict(os.environ, TMPDIR=tmp, NO_COLOR="1")
    return dltest.run(dltest.danelab_cmd(danelab, src, "run", *argv),
                      timeout=timeout, env=env)


def load_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


class HtmlCheck(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.text = []
        self.tags = 0

    def handle_starttag(self, tag, attrs):
        self.tags += 1

    def handle_data(self, data):
        self.text.append(data)


def check_full_run(tap, danelab, src, cat, tmp):
    out = os.path.join(tmp, "out")
    os.mkdir(out)
    runtmp = os.path.join(tmp, "t")
    os.mkdir(runtmp)
    before = snapshot(runtmp)
    files = {f: os.path.join(out, "report." + f)
             for f in ("json", "junit", "tap", "html")}
    r = run(danelab, src, runtmp, "--format", "text,json,junit,tap,html",
            "-o", files["json"], "-o", files["junit"], "-o", files["tap"],
            "-o", files["html"])
    tap.ok(r.returncode == 0, f"run over the catalogue exits 0 "
           f"(got {r.returncode})")
    if r.returncode != 0:
        tap.diag(dltest.short(r.stdout, 6000) + dltest.short(r.stderr))
    rep = load_json(files["json"])
    res = rep["results"]
    want = set()
    for s in cat:
        phases = s.doc.get("timeline") or []
        for p in POLICIES:
            for i in (range(len(phases)) if phases else [None]):
                want.add((s.id, p, phases[i]["phase"] if phases else None))
    got = {(x["scenario"], x["policy"], x.get("phase")) for x in res}
    tap.ok(got == want, f"one result per scenario x policy (x phase): "
           f"{len(got)} of {len(want)}")
    for m in sorted(want - got, key=str)[:10]:
        tap.diag(f"missing {m}")
    bad = [x for x in res if x["verdict"] != "PASS"]
    tap.ok(not bad, f"reference client: all {len(res)} results PASS")
    for x in bad[:20]:
        tap.diag(f"{x['scenario']} {x['policy']} {x.get('phase')}: "
                 f"{x['verdict']}: {x.get('reason')}")
    by_id = {s.id: s for s in cat}
    wrong = []
    for x in res:
        s = by_id.get(x["scenario"])
        if s is None:
            continue
        e = expect_of(s.doc, x["policy"], x.get("phase_index"))
        if overall(e, s.hosts) != x["expected"]:
            wrong.append((x["scenario"], x["policy"], x.get("phase"),
                          x["expected"], overall(e, s.hosts)))
    tap.ok(not wrong, "every result's expected action is the scenario "
           "file's")
    for w in wrong[:10]:
        tap.diag(repr(w))
    tap.ok(all(s.id in {x["id"] for x in rep["scenarios"]} for s in cat),
           "the report carries every scenario's teaching text")
    tap.ok((rep.get("env") or {}).get("ok") is True,
           "environment check passed")

    lines = r.stdout.strip().splitlines()
    tap.ok(bool(lines) and lines[-1] == f"{len(res)} passed, 0 failed, "
           f"0 error, 0 hang, 0 skipped, 0 xfail, 0 xpass",
           f"text report ends with the summary line "
           f"({lines[-1] if lines else ''!r})")
    try:
        dom = xml.dom.minidom.parse(files["junit"])
        cases = dom.getElementsByTagName("testcase")
        tap.ok(len(cases) == len(res), f"junit: {len(cases)} testcases")
    except Exception as e:
        tap.ok(False, f"junit parses as XML: {e}")
    with open(files["tap"]) as f:
        t = f.read().splitlines()
    plan = [x for x in t if x.startswith("1..")]
    oks = [x for x in t if x.startswith("ok ")]
    tap.ok(plan == [f"1..{len(res)}"] and len(oks) == len(res),
           f"tap: plan {plan} and {len(oks)} ok lines")
    h = HtmlCheck()
    with open(files["html"], encoding="utf-8") as f:
        text = f.read()
    h.feed(text)
    body = "".join(h.text)
    tap.ok(h.tags > 0 and all(s.id in body for s in cat)
           and "<script src" not in text and "<link" not in text,
           "html: one self-contained file naming every scenario")
    after = snapshot(runtmp)
    tap.ok(after == before, f"nothing left behind (mounts, TMPDIR): "
           f"{before} -> {after}")
    return rep


def check_shards(tap, danelab, src, tmp):
    subset = ["control/", "dnssec/"]
    paths = []
    for k in (1, 2):
        p = os.path.join(tmp, f"shard{k}.json")
        r = run(danelab, src, tmp, *subset, "--shard", f"{k}/2",
                "--format", "json", "-o", p)
        tap.ok(r.returncode == 0, f"shard {k}/2 exits 0 ({r.returncode})")
        paths.append(p)
    merged = os.path.join(tmp, "merged.json")
    r = dltest.run([danelab, "report", "merge"] + paths +
                   ["--format", "json", "--output", merged])
    tap.ok(r.returncode == 0, f"report merge exits 0 ({r.returncode}) "
           f"{dltest.short(r.stderr, 300)}")
    whole = os.path.join(tmp, "whole.json")
    r = run(danelab, src, tmp, *subset, "--format", "json", "-o", whole)

    def key(rep):
        return sorted((x["scenario"], x["policy"], x.get("phase"),
                       x["verdict"]) for x in rep["results"])
    a, b = load_json(merged), load_json(whole)
    s1, s2 = load_json(paths[0]), load_json(paths[1])
    tap.ok(key(a) == key(b) and len(s1["results"]) > 0 and
           len(s2["results"]) > 0,
           f"shards 1/2 + 2/2 merged = one run ({len(a['results'])} "
           f"results: {len(s1['results'])} + {len(s2['results'])})")


def check_swaks(tap, danelab, src, cat, tmp):
    if not dltest.shutil.which("swaks"):
        tap.ok(True, "swaks", skip="swaks not installed")
        return
    p = os.path.join(tmp, "swaks.json")
    r = run(danelab, src, tmp, "--client", "swaks", "--format", "json",
            "-o", p)
    tap.ok(r.returncode == 1, f"swaks run exits 1 ({r.returncode})")
    rep = load_json(p)
    by_id = {s.id: s for s in cat}
    wrong = []
    for x in rep["results"]:
        s = by_id[x["scenario"]]
        e = expect_of(s.doc, x["policy"], x.get("phase_index"))
        want = "FAIL" if swaks_must_fail(e, s.hosts) else "PASS"
        if unreachable(s):
            # The lab resolver keeps swaks from its first MX; it tries no
            # other (RFC 5321 5.1 asks it to), so it delivers nothing:
            # right where the RFC says defer, wrong where a later MX
            # should get the message.
            want = "PASS" if overall(e, s.hosts) == "defer" else "FAIL"
        if x["verdict"] != want:
            wrong.append(f"{x['scenario']} {x['policy']} {x.get('phase')}:"
                         f" {x['verdict']}, want {want}: {x.get('reason')}")
    n_fail = sum(1 for x in rep["results"] if x["verdict"] == "FAIL")
    tap.ok(not wrong, f"swaks fails exactly where delivery through its MX "
           f"is forbidden, or needs DANE authentication and so SNI "
           f"({n_fail} FAIL of {len(rep['results'])})")
    for w in wrong[:20]:
        tap.diag(w)


def check_posttls_finger(tap, danelab, src, tmp):
    if not dltest.shutil.which("posttls-finger"):
        tap.ok(True, "posttls-finger", skip="not installed")
        return
    p = os.path.join(tmp, "ptf.json")
    r = run(danelab, src, tmp, "--client", "posttls-finger", "--format",
            "json", "-o", p)
    tap.ok(r.returncode in (0, 1), f"posttls-finger run ends "
           f"({r.returncode})")
    rep = load_json(p)
    # The pinned table: every result's verdict and rule, exactly.
    want = {}
    with open(os.path.join(src, "tests", "clients",
                           "posttls-finger.verdicts")) as fp:
        for line in fp:
            f = line.split()
            if not f or f[0].startswith("#"):
                continue
            want[(f[0], f[1])] = (f[2], f[3] if len(f) > 3 else None)
    got = {}
    for x in rep["results"]:
        cell = x["scenario"] + ("@" + x["phase"] if x.get("phase") else "")
        got[(cell, x["policy"])] = (x["verdict"],
                                    x.get("rule") if x["verdict"] != "PASS"
                                    else None)
    diff = sorted(k for k in set(want) | set(got)
                  if not dltest.pinned_match(want.get(k), got.get(k)))
    tap.ok(len(want) > 100 and not diff, f"posttls-finger: every one of "
           f"{len(got)} results as pinned in tests/clients/"
           f"posttls-finger.verdicts ({len(diff)} differ)")
    for k in diff[:20]:
        tap.diag(f"{k[0]} {k[1]}: pinned {want.get(k)}, got {got.get(k)}")
    unexplained = [x for x in rep["results"] if x["verdict"] != "PASS" and
                   (not x.get("reason") or (x["verdict"] != "SKIP" and
                                            not x.get("output")))]
    counts = {}
    for x in rep["results"]:
        counts[x["verdict"]] = counts.get(x["verdict"], 0) + 1
    tap.ok(not unexplained, f"posttls-finger: every non-PASS result has "
           f"its evidence ({counts})")
    for x in unexplained[:10]:
        tap.diag(f"{x['scenario']} {x['policy']}: {x['verdict']}")


def check_keep(tap, danelab, src, tmp):
    ktmp = os.path.join(tmp, "k")
    os.mkdir(ktmp)
    p = os.path.join(tmp, "keep.json")
    r = run(danelab, src, ktmp, "--client", "swaks", "--keep", "--policy",
            "dane", "dnssec/tlsa-rrsig-expired", "--format", "json", "-o", p)
    rep = load_json(p)
    kept = [x.get("kept_dir") for x in rep["results"]
            if x["verdict"] != "PASS"]
    ok = (r.returncode == 1 and kept and kept[0] and
          os.path.isfile(os.path.join(kept[0], "events.jsonl")) and
          os.path.isfile(os.path.join(kept[0], "client", "out.0.out")))
    tap.ok(bool(ok), f"--keep keeps the failed cell's directory ({kept})")
    leftover = [f for f in os.listdir(ktmp)
                if not f.startswith("danelab-keep-")]
    tap.ok(not leftover, f"--keep leaves nothing else ({leftover})")
    if not ok:
        return
    # The kept cell scored again gives the same result.
    q = subprocess.run([danelab, "score", "--cell", kept[0], "--format",
                        "json"], capture_output=True, text=True, cwd=src)
    try:
        again = json.loads(q.stdout)["results"]
    except (ValueError, KeyError):
        again = []
    first = [x for x in rep["results"] if x["verdict"] != "PASS"][0]
    tap.ok(q.returncode == 1 and len(again) == 1 and
           (again[0]["verdict"], again[0]["rule"]) ==
           (first["verdict"], first["rule"]),
           f"danelab score --cell gives the kept cell's verdict again "
           f"({first['verdict']} {first['rule']})")


def check_exit_codes(tap, danelab, src, tmp):
    for argv, why in ((["--jobs", "0"], "--jobs 0"),
                      (["--shard", "3/2"], "--shard 3/2"),
                      (["--client", "no-such-client"], "unknown client"),
                      (["no/such-scenario"], "unknown scenario"),
                      (["--format", "pdf"], "unknown format")):
        r = run(danelab, src, tmp, *argv)
        tap.ok(r.returncode == 2 and r.stderr.strip(),
               f"{why}: exit 2 with a message ({r.returncode}: "
               f"{dltest.short(r.stderr, 200)})")
    prof = os.path.join(tmp, "absent.yaml")
    with open(prof, "w") as f:
        f.write("version: 1\nname: absent\ndescription: not installed\n"
                "requires: [danelab-no-such-program]\n"
                "argv: [danelab-no-such-program, \"{domain}\"]\n"
                "delivers: true\n"
                "policy: { dane: dane, dane-only: dane-only }\n")
    r = run(danelab, src, tmp, "--client", prof, "control/valid-dane-ee")
    tap.ok(r.returncode == 77, f"a client not installed: every cell SKIP, "
           f"exit 77 ({r.returncode}) {dltest.short(r.stdout, 300)}"
           f"{dltest.short(r.stderr, 300)}")


def check_env_broken(tap, danelab, src, tmp):
    """A reference client that cannot deliver stands in for a broken lab:
    the control scenarios fail with it, so the run must say the
    environment is broken and blame no client: every cell ERROR."""
    cdir = os.path.join(tmp, "clients")
    os.mkdir(cdir)
    with open(os.path.join(cdir, "reference.yaml"), "w") as f:
        f.write("version: 1\nname: reference\ndescription: broken\n"
                "requires: [false]\nargv: [false]\ndelivers: true\n"
                "policy: { dane: dane, dane-only: dane-only }\n")
    env = dict(os.environ, TMPDIR=tmp, NO_COLOR="1", DANELAB_CLIENTS=cdir)
    p = os.path.join(tmp, "broken.json")
    swaks = os.path.join(src, "harness", "clients", "swaks.yaml")
    r = dltest.run(dltest.danelab_cmd(danelab, src, "run", "--client",
                                      swaks, "dnssec/", "--format",
                                      "text,json", "-o", p), env=env)
    rep = load_json(p)
    verdicts = {x["verdict"] for x in rep["results"]}
    tap.ok(r.returncode == 1 and "ENVIRONMENT BROKEN" in r.stdout and
           rep["env"]["ok"] is False and verdicts == {"ERROR"},
           f"broken environment: every cell ERROR, exit 1, said so "
           f"({r.returncode}, {verdicts}, "
           f"{dltest.short(rep['env'].get('message') or '', 200)})")


def main():
    danelab, src = dltest.args()
    dltest.need_yaml()
    dltest.need_root_namespaces()
    dltest.setup_signals()
    cat, errors = dltest.catalogue(src)
    if errors or not cat:  # a broken catalogue is a failure, not a skip
        dltest.fail_all(f"catalogue unreadable or empty: {errors[:1]}")
    tap = dltest.Tap()
    with dltest.TempDir() as tmp:
        check_exit_codes(tap, danelab, src, tmp)
        check_env_broken(tap, danelab, src, tmp)
        check_full_run(tap, danelab, src, cat, tmp)
        check_shards(tap, danelab, src, tmp)
        check_keep(tap, danelab, src, tmp)
        check_swaks(tap, danelab, src, cat, tmp)
        check_posttls_finger(tap, danelab, src, tmp)
    sys.exit(tap.done())


if __name__ == "__main__":
    main()
