#!/usr/bin/env python3
"""cli: danelab's verbs behave as documented over the real catalogue.

  * `danelab check` (the catalogue) and `danelab check scenarios/` exit 0;
    a deliberately broken scenario file makes `check` exit 2 and print
    `file:line:col: error: ...`;
  * `danelab list` exits 0 and lists every id; `danelab list --format json`
    is JSON with, per scenario: id, title, tags, file, domains, mx (host,
    addresses), expect per policy (dane, dane-only) -- each compared with
    the scenario file as read here with PyYAML;
  * `danelab explain ID` exits 0 for each scenario and mentions the id, "RFC"
    and the scenario's first reference;
  * `danelab --help`, `-h`, `help`, `--version`, and `danelab VERB --help`
    and `help VERB` for every verb listed in --help exit 0;
  * an unknown verb, no verb, an unknown global option exit 2.
"""

import json
import os
import re
import subprocess
import sys
import time

import dltest
from dltest import Tap

VERBS_AT_LEAST = ["check", "list", "explain", "export"]


def declared_policy(s, policy, phase=0):
    """What the file declares for a policy at a timeline phase (index;
    the phase's expect overrides the top-level one): a string or a
    per-host map."""
    v = (s.doc.get("expect") or {}).get(policy)
    if s.phases and policy in (s.phases[phase].get("expect") or {}):
        v = s.phases[phase]["expect"][policy]
    return v


ACTIONS = ("auth", "encrypt", "opportunistic", "next-mx", "defer")


def primary(v):
    """An action, or a list of acceptable ones (format spec, "Sets"): the
    first is the primary."""
    return v[0] if isinstance(v, list) and v else v


def as_set(v):
    return set(v) if isinstance(v, list) else {v}


def declared_overall(s, policy, phase=0):
    """Overall action: a per-host map gives the primary action of the first
    host by preference whose primary is not next-mx, else defer."""
    v = declared_policy(s, policy, phase)
    if isinstance(v, dict):
        per = {dltest.fqdn(k): primary(a) for k, a in v.items()}
        for h in sorted(s.hosts, key=lambda h: h["preference"]):
            a = per.get(h["name"])
            if a is not None and a != "next-mx":
                return a
        return "defer"
    return primary(v)


def declared_accept(s, policy, phase=0):
    """The acceptable overall actions, in enum order: a list as written; a
    host map walked by preference (every action but next-mx of a host's
    set; on to the next host only while the set holds next-mx; defer past
    the last)."""
    v = declared_policy(s, policy, phase)
    if v is None:
        return None
    if not isinstance(v, dict):
        acc = as_set(v)
    else:
        per = {dltest.fqdn(k): as_set(a) for k, a in v.items()}
        acc, walking = set(), True
        for h in sorted(s.hosts, key=lambda h: h["preference"]):
            a = per.get(h["name"], set())
            acc |= a - {"next-mx"}
            if "next-mx" not in a:
                walking = False
                break
        if walking:
            acc.add("defer")
    acc.add(declared_overall(s, policy, phase))
    return [a for a in ACTIONS if a in acc]


def declared_hosts(s, policy, phase=0):
    """Per-host primary actions of a policy, or None if declared overall."""
    v = declared_policy(s, policy, phase)
    if not isinstance(v, dict):
        return None
    return {dltest.fqdn(k): primary(a) for k, a in v.items()}


def check_fifos(tap, danelab, src):
    """Issue 12 row 7: every verb that reads an input file refuses a FIFO
    (or a FIFO inside a scenario directory) with an error at once; before,
    open() blocked until a writer came, i.e. forever.  A hang FAILS here
    (timeout), it does not block the suite."""
    with dltest.TempDir() as tmp:
        fifo = os.path.join(tmp, "fifo.yaml")
        os.mkfifo(fifo)
        sub = os.path.join(tmp, "dir")
        os.mkdir(sub)
        os.mkfifo(os.path.join(sub, "x.yaml"))
        empty = os.path.join(tmp, "empty.jsonl")
        open(empty, "w").close()
        # A scenario by path: this test also runs over worlds/, which has
        # no control/ of its own.
        scen = os.path.join(src, "scenarios", "control", "valid-dane-ee.yaml")
        cases = [
            (["check", fifo], "check FIFO"),
            (["check", sub], "check DIR with a FIFO inside"),
            (["check", "--client", fifo], "check --client FIFO"),
            (["report", "show", fifo], "report show FIFO"),
            (["report", "merge", fifo, fifo], "report merge FIFO"),
            (["score", scen, "--events", fifo],
             "score --events FIFO"),
            (["score", scen, "--events", empty,
              "--client-output", fifo, "--status", "0"], "score --client-output FIFO"),
        ]
        cell = os.path.join(tmp, "cell")
        os.mkdir(cell)
        os.mkfifo(os.path.join(cell, "cell.json"))
        cases.append((["score", "--cell", cell], "score --cell (cell.json "
                      "a FIFO)"))
        for argv, desc in cases:
            try:
                r = dltest.run(dltest.danelab_cmd(danelab, src, *argv),
                               timeout=10)
            except subprocess.TimeoutExpired:
                tap.ok(False, f"danelab {desc}: hung (killed after 10 s)")
                continue
            out = r.stdout + r.stderr
            tap.ok(r.returncode == 2 and "not a regular file" in out,
                   f"danelab {desc}: exit 2, 'not a regular file' "
                   f"(exit {r.returncode}: {dltest.short(out, 300)})")


def check_no_echo(tap, danelab, src):
    """Issue 12 row 10: a symlink to a file that is not a scenario, a
    profile or a report (/etc/shadow, when danelab runs under sudo) is
    refused without quoting its text; before, its first line came back in
    the 'unknown key' message (and jansson's 'near' token)."""
    with dltest.TempDir() as tmp:
        secret = os.path.join(tmp, "shadow")
        with open(secret, "w") as fp:
            fp.write("SECRETWORD:$6$SECRETHASH:19000:0:99999:7:::\n"
                     "daemon:*:19000:0:99999:7:::\n")
        link = os.path.join(tmp, "link.yaml")
        os.symlink(secret, link)
        cell = os.path.join(tmp, "cell")
        os.mkdir(cell)
        os.symlink(secret, os.path.join(cell, "cell.json"))
        for argv, desc in ((["score", "--cell", cell], "score --cell"),
                           (["check", link], "check"),
                           (["check", "--client", link], "check --client"),
                           (["report", "show", link], "report show")):
            r = dltest.run(dltest.danelab_cmd(danelab, src, *argv),
                           timeout=30)
            out = r.stdout + r.stderr
            tap.ok(r.returncode == 2 and "SECRET" not in out and
                   "daemon" not in out, f"danelab {desc} on a symlink to "
                   f"a password file: exit 2, none of its text quoted "
                   f"(exit {r.returncode}: {dltest.short(out, 300)})")


def main():
    danelab, src = dltest.args()
    dltest.need_yaml()
    dltest.setup_signals()
    scens, errors = dltest.catalogue(src)
    tap = Tap()
    for path, msg in errors:
        tap.ok(False, f"{path}: YAML parse: {msg}")
    if not scens and not errors:
        dltest.fail_all("no scenarios in scenarios/")
    t_all = time.monotonic()

    def dl(*argv):
        return dltest.run(dltest.danelab_cmd(danelab, src, *argv))

    def exit_is(r, code, desc):
        ok = tap.ok(r.returncode == code,
                    f"{desc}: exit expected={code} got={r.returncode}")
        if not ok:
            tap.diag(dltest.short(r.stdout + r.stderr, 3000))
        return ok

    # check
    exit_is(dl("check"), 0, "danelab check (catalogue)")
    exit_is(dl("check", dltest.scenarios_dir(src)), 0,
            f"danelab check {dltest.scenarios_dir(src)}")
    with dltest.TempDir() as tmp:
        bad = os.path.join(tmp, "bad.yaml")
        with open(bad, "w") as fp:
            fp.write("version: 1\nid: bad/file\ntitle: broken\n"
                     "no-such-key: 1\n")
        r = dl("check", bad)
        exit_is(r, 2, "danelab check on a broken file")
        tap.ok(re.search(re.escape(bad) + r":\d+:\d+: error: ", r.stderr +
                         r.stdout), "broken file reported as "
               f"file:line:col: error: ... ({dltest.short(r.stderr, 200)})")

    check_fifos(tap, danelab, src)
    check_no_echo(tap, danelab, src)

    # list, text
    r = dl("list")
    if exit_is(r, 0, "danelab list"):
        missing = [s.id for s in scens if s.id not in r.stdout]
        tap.ok(not missing, f"danelab list shows all {len(scens)} ids "
               f"(missing: {missing})")

    # list, json
    r = dl("list", "--format", "json")
    data = None
    if exit_is(r, 0, "danelab list --format json"):
        try:
            data = json.loads(r.stdout)
            tap.ok(isinstance(data, list), "list --format json parses as "
                   f"JSON: a list of {len(data)}")
        except ValueError as e:
            tap.ok(False, f"list --format json parses as JSON: {e}")
            tap.diag(dltest.short(r.stdout))
    if isinstance(data, list):
        by_id = {e.get("id"): e for e in data if isinstance(e, dict)}
        tap.ok(sorted(by_id) == [s.id for s in scens],
               f"json ids expected={[s.id for s in scens]} "
               f"got={sorted(by_id)}")
        for s in scens:
            e = by_id.get(s.id)
            if e is None:
                continue
            keys = ["id", "title", "tags", "file", "domains", "mx", "expect"]
            tap.ok(all(k in e for k in keys), f"{s.id}: json has {keys} "
                   f"(missing: {[k for k in keys if k not in e]})")
            tap.ok(e.get("title") == s.doc.get("title"),
                   f"{s.id}: title {e.get('title')!r}")
            tap.ok(list(e.get("tags") or []) ==
                   [str(t) for t in s.doc.get("tags") or []],
                   f"{s.id}: tags expected={s.doc.get('tags') or []} "
                   f"got={e.get('tags')}")
            tap.ok(os.path.realpath(str(e.get("file"))) ==
                   os.path.realpath(s.path), f"{s.id}: file {e.get('file')}")
            tap.ok([dltest.fqdn(d) for d in e.get("domains") or []] ==
                   [s.domain], f"{s.id}: domains expected={[s.domain]} "
                   f"got={e.get('domains')}")
            want_mx = sorted((h["name"], sorted(h["addresses"]))
                             for h in s.hosts)
            got_mx = sorted((dltest.fqdn(m.get("host", "")),
                             sorted(m.get("addresses") or []))
                            for m in e.get("mx") or [])
            tap.ok(got_mx == want_mx, f"{s.id}: mx hosts and addresses "
                   f"expected={want_mx} got={got_mx}")
            for pol in ("dane", "dane-only"):
                got = ((e.get("expect") or {}).get(pol) or {}).get("action")
                want = declared_overall(s, pol)
                tap.ok(got == want, f"{s.id}: expect.{pol} expected={want} "
                       f"got={got}")
                got = ((e.get("expect") or {}).get(pol) or {}).get("accept")
                want = declared_accept(s, pol)
                tap.ok(got == want, f"{s.id}: expect.{pol} accept "
                       f"expected={want} got={got}")
                per = declared_hosts(s, pol)
                if per is not None:
                    gh = ((e.get("expect") or {}).get(pol) or {}).get("hosts")
                    gh = {dltest.fqdn(k): v for k, v in (gh or {}).items()}
                    tap.ok(gh == per, f"{s.id}: expect.{pol} per host "
                           f"expected={per} got={gh}")

            # timeline phases, each with its expectations
            got_ph = [(p.get("phase"), p.get("at")) for p in
                      e.get("phases") or []]
            want_ph = [(p["phase"], int(p["at"])) for p in s.phases]
            tap.ok(got_ph == want_ph, f"{s.id}: phases expected={want_ph} "
                   f"got={got_ph}")
            for i, p in enumerate(e.get("phases") or []):
                if i >= len(s.phases):
                    break
                for pol in ("dane", "dane-only"):
                    pe = (p.get("expect") or {}).get(pol) or {}
                    got = (pe.get("action"),
                           {dltest.fqdn(k): v for k, v in
                            (pe.get("hosts") or {}).items()} or None)
                    want = (declared_overall(s, pol, i),
                            declared_hosts(s, pol, i))
                    tap.ok(got == want, f"{s.id} [{p.get('phase')}]: "
                           f"expect.{pol} expected={want} got={got}")

    # explain
    for s in scens:
        r = dl("explain", s.id)
        if not exit_is(r, 0, f"danelab explain {s.id}"):
            continue
        text = " ".join(r.stdout.split())
        refs = [str(x) for x in s.doc.get("references") or []]
        ref = refs[0] if refs else "RFC"
        tap.ok(s.id in text and "RFC" in text and ref in text,
               f"explain {s.id}: mentions id={s.id in text} "
               f"RFC={'RFC' in text} {ref!r}={ref in text}")

    # help
    r = dl("--help")
    exit_is(r, 0, "danelab --help")
    listed = re.findall(r"^  ([a-z][a-z-]*)\s", r.stdout.split("Verbs:")[-1]
                        .split("Options:")[0], re.M) if "Verbs:" in r.stdout \
        else []
    verbs = sorted(set(listed) | set(VERBS_AT_LEAST))
    tap.diag(f"verbs: {verbs}")
    # check --client: a profile checked against the catalogue
    for name in ("reference", "postfix-mta", "exim", "posttls-finger"):
        exit_is(dl("check", "-q", "--client", name), 0,
                f"danelab check --client {name}")
    bad = os.path.join(src, "tests", "clients", "bad", "steps.yaml")
    r = dl("check", "-q", "--client", bad)
    exit_is(r, 2, "danelab check --client on a broken lifecycle")
    tap.ok(re.search(re.escape(bad) + r":\d+:\d+: error: ", r.stderr),
           "broken profile reported as file:line:col: error: ...")
    with dltest.TempDir() as tmp:
        slow = os.path.join(tmp, "slow.yaml")
        with open(os.path.join(src, "harness", "clients",
                               "postfix-mta.yaml")) as fp:
            text = fp.read()
        with open(slow, "w") as fp:
            fp.write(text.replace("name: postfix-mta", "name: slow")
                     .replace("runtime: 6", "runtime: 12"))
        # Against the catalogue (its rollovers), whatever directory of
        # scenarios this run of the test is about.
        r = dltest.run([danelab, "--fixtures", os.path.join(src, "fixtures"),
                        "--scenarios", os.path.join(src, "scenarios"),
                        "check", "-q", "--client", slow])
        tap.ok(r.returncode == 0 and "rollover/late-introduction phase "
               "old-key leaves it 2.9 s" in r.stderr and
               "--time-scale 4.1 or more" in r.stderr,
               "check --client warns when a profile's runtime (12 s) does "
               "not fit a timeline's phases (3 s apart): --time-scale 4.1")
        if r.returncode != 0 or "--time-scale" not in r.stderr:
            tap.diag(dltest.short(r.stderr))
    # shell --client: its options go together, no COMMAND beside it
    exit_is(dl("shell", "control/valid-dane-ee", "--policy", "dane-only"),
            2, "danelab shell --policy without --client")
    exit_is(dl("shell", "control/valid-dane-ee", "--client", "reference",
               "--", "true"), 2, "danelab shell --client with a COMMAND")
    exit_is(dl("-h"), 0, "danelab -h")
    exit_is(dl("help"), 0, "danelab help")
    r = dl("--version")
    exit_is(r, 0, f"danelab --version ({r.stdout.strip()})")
    for v in verbs:
        r = dl(v, "--help")
        if exit_is(r, 0, f"danelab {v} --help"):
            tap.ok(r.stdout.startswith(f"usage: danelab {v}"),
                   f"danelab {v} --help starts with 'usage: danelab {v}'")
        exit_is(dl("help", v), 0, f"danelab help {v}")

    # usage errors
    exit_is(dl("no-such-verb"), 2, "danelab no-such-verb")
    exit_is(dltest.run([danelab]), 2, "danelab (no verb)")
    exit_is(dl("--no-such-option", "list"), 2, "danelab --no-such-option")
    exit_is(dl("list", "--format", "xml"), 2, "danelab list --format xml")

    tap.diag(f"runtime {time.monotonic() - t_all:.1f} s")
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
