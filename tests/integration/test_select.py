#!/usr/bin/env python3
"""select: which scenarios and cells `danelab list` and `danelab run`
work on (harness/cli_select.c), checked against the scenario files as
read here with PyYAML and Python's fnmatch.  Runs no client: `run --list`
prints the planned cells and exits before anything starts.

  * `--tag TAG` keeps the scenarios having TAG, `--tag '!TAG'` leaves them
    out; several: every positive tag, no negative one; a tag no scenario
    has, or tags leaving nothing, exit 2 naming the problem;
  * arguments may be globs over ids ('dnssec/missing*', '*' matching '/'
    too), next to ids and folders, each scenario once; a glob matching
    nothing exits 2 with "no scenario matches";
  * `run --list` selects the same way;
  * `run --rerun-failed REPORT.json` plans only the (scenario, client,
    policy) cells with a FAIL, HANG, ERROR or XPASS result (SKIP and XFAIL
    count as passed; a timeline cell with one failed phase), the clients
    those that failed unless --client; nothing failed: says so, exit 0,
    no cell; a failed scenario not in the catalogue: exit 2;
  * the bash completion offers the catalogue's tags (and !TAG) after --tag.
"""

import copy
import fnmatch
import json
import os
import sys

import dltest
from dltest import Tap


def main():
    danelab, src = dltest.args()
    dltest.need_yaml()
    dltest.setup_signals()
    scens, errors = dltest.catalogue(src)
    tap = Tap()
    if errors or not scens:
        dltest.fail_all(f"catalogue unreadable: {errors}")
    tags = {s.id: set(s.doc.get("tags") or []) for s in scens}
    ids = [s.id for s in scens]

    def dl(*argv):
        return dltest.run(dltest.danelab_cmd(danelab, src, *argv))

    def listed(*argv):
        r = dl("list", "--format", "json", *argv)
        if r.returncode != 0:
            tap.diag(dltest.short(r.stderr))
            return None
        return [x["id"] for x in json.loads(r.stdout)]

    def fails(argv, needle, desc):
        r = dl(*argv)
        ok = tap.ok(r.returncode == 2 and needle in r.stderr,
                    f"{desc}: exit 2 naming {needle!r}")
        if not ok:
            tap.diag(f"exit {r.returncode}: " +
                     dltest.short(r.stdout + r.stderr))

    # --tag, one positive, one negative, both
    common = sorted({t for v in tags.values() for t in v},
                    key=lambda t: -sum(t in v for v in tags.values()))
    t1 = "dnssec" if any("dnssec" in v for v in tags.values()) \
        else common[0]
    with_t1 = [v for v in tags.values() if t1 in v]
    # a second tag that some of t1's scenarios have and some do not
    t2 = next((t for t in common if t != t1 and
               0 < sum(t in v for v in with_t1) < len(with_t1)), common[1])
    want = sorted(i for i in ids if t1 in tags[i])
    got = listed("--tag", t1)
    tap.ok(got is not None and sorted(got) == want,
           f"list --tag {t1}: {len(want)} scenarios")
    want = sorted(i for i in ids if t1 not in tags[i])
    got = listed("--tag", "!" + t1)
    tap.ok(got is not None and sorted(got) == want,
           f"list --tag !{t1}: {len(want)} scenarios")
    want = sorted(i for i in ids if t1 in tags[i] and t2 not in tags[i])
    got = listed("--tag", t1, "--tag", "!" + t2)
    tap.ok(got is not None and sorted(got) == want,
           f"list --tag {t1} --tag !{t2}: {len(want)} scenarios")
    r = dl("list", "-t", t1)
    tap.ok(r.returncode == 0 and
           f"{sum(t1 in tags[i] for i in ids)} scenario" in r.stdout,
           f"list -t {t1} (text) counts the selection")
    fails(["list", "--tag", "no-such-tag-x"], "no-such-tag-x",
          "list --tag unknown")
    fails(["list", "--tag", "!no-such-tag-x"], "no-such-tag-x",
          "list --tag !unknown")
    fails(["list", "--tag", t1, "--tag", "!" + t1], "every tag",
          f"list --tag {t1} --tag !{t1} (nothing left)")
    fails(["run", "--list", "--tag", "no-such-tag-x"], "no-such-tag-x",
          "run --tag unknown")

    # globs, with ids and folders
    for g in ("dnssec/missing*", "*/*expired*", "rollover/*", "*-ds*"):
        want = sorted(i for i in ids if fnmatch.fnmatchcase(i, g))
        if not want:
            continue
        got = listed(g)
        tap.ok(got is not None and sorted(got) == want,
               f"list '{g}': {want}")
    first = ids[0]
    folder = first.split("/")[0] + "/"
    want = sorted(set([first] + [i for i in ids if i.startswith(folder)] +
                      [i for i in ids if fnmatch.fnmatchcase(i, "*-ds*")]))
    got = listed(first, folder, "*-ds*")
    tap.ok(got is not None and sorted(got) == want and
           len(got) == len(set(got)),
           f"list {first} {folder} '*-ds*': each once")
    fails(["list", "zz-nothing*"], "no scenario matches 'zz-nothing*'",
          "list glob matching nothing")
    fails(["run", "--list", "dnssec/zz*"], "no scenario matches",
          "run --list glob matching nothing")

    def cells(*argv):
        """run --list: the reported cells as (id, client, policy), and
        whether the environment check is planned."""
        r = dl("run", "--list", *argv)
        if r.returncode != 0:
            tap.diag(f"run --list {argv}: exit {r.returncode}: " +
                     dltest.short(r.stdout + r.stderr))
            return None, False, r
        out, env = [], False
        for line in r.stdout.splitlines():
            if line.startswith("(env check) "):
                env = True
                continue
            w = line.split()
            if len(w) in (3, 4) and w[2] in ("dane", "dane-only"):
                out.append((w[0], w[1], w[2]))
            else:
                out.append(("?", line, "?"))
        return out, env, r

    # run selects alike
    g = "dnssec/missing*"
    want = sorted((i, "reference", p)
                  for i in ids if fnmatch.fnmatchcase(i, g) and
                  "timeline" not in tags[i]
                  for p in ("dane", "dane-only"))
    got, env, _ = cells("--tag", "!timeline", g)
    tap.ok(got is not None and sorted(got) == want and env,
           f"run --list --tag !timeline '{g}': {len(want)} cells and "
           "the environment check")

    # --rerun-failed
    plain = [i for i in ids if "timeline" not in tags[i] and
             not i.startswith("control/")]
    timeline = [s for s in scens if "timeline" in tags[s.id] and
                len(s.doc.get("timeline") or s.doc.get("phases") or []) > 1]
    a, b, c = plain[0], plain[1], plain[2]
    with open(os.path.join(src, "tests", "report", "example.json")) as fp:
        rep = json.load(fp)
    base = rep["results"][0]

    def res(sid, client, policy, verdict, phase=None, index=-1):
        x = copy.deepcopy(base)
        x.update(scenario=sid, client=client, policy=policy,
                 verdict=verdict, phase=phase, phase_index=index)
        return x

    results = [res(a, "reference", "dane", "FAIL"),
               res(a, "reference", "dane-only", "PASS"),
               res(b, "reference", "dane", "XFAIL"),
               res(b, "reference", "dane-only", "SKIP"),
               res(b, "swaks", "dane", "ERROR"),
               res(c, "reference", "dane-only", "XPASS"),
               res(c, "reference", "dane", "PASS")]
    want = {(a, "reference", "dane"), (b, "swaks", "dane"),
            (c, "reference", "dane-only")}
    if timeline:
        t = timeline[0].id
        results += [res(t, "reference", "dane", "PASS", "p0", 0),
                    res(t, "reference", "dane", "HANG", "p1", 1),
                    res(t, "reference", "dane-only", "PASS", "p0", 0),
                    res(t, "reference", "dane-only", "PASS", "p1", 1)]
        want.add((t, "reference", "dane"))
    rep["results"] = results
    rep["scenarios"] = [dict(rep["scenarios"][0], id=i) for i in
                        sorted({x["scenario"] for x in results})]
    with dltest.TempDir() as tmp:
        path = os.path.join(tmp, "old.json")
        with open(path, "w") as fp:
            json.dump(rep, fp)
        got, env, _ = cells("--rerun-failed", path)
        tap.ok(got is not None and set(got) == want and
               len(got) == len(want) and env,
               f"run --list --rerun-failed: only {sorted(want)}, "
               "the report's failing clients, and the environment check")
        if got is not None and set(got) != want:
            tap.diag(f"got {sorted(got)}")
        ref = {x for x in want if x[1] == "reference"}
        got, _, _ = cells("--rerun-failed", path, "--client", "reference")
        tap.ok(got is not None and set(got) == ref,
               "--rerun-failed --client reference: that client's cells")
        got, _, _ = cells("--rerun-failed", path, "-c", "reference",
                          "--policy", "dane")
        tap.ok(got is not None and
               set(got) == {x for x in ref if x[2] == "dane"},
               "--rerun-failed --policy dane: dane cells only")
        got, _, _ = cells("--rerun-failed", path, a)
        tap.ok(got is not None and set(got) == {(a, "reference", "dane")},
               f"--rerun-failed {a}: that scenario's failed cell only")

        for x in results:
            if x["verdict"] not in ("XFAIL", "SKIP"):
                x["verdict"] = "PASS"
        with open(path, "w") as fp:
            json.dump(rep, fp)
        got, env, r = cells("--rerun-failed", path)
        ok = tap.ok(got == [("?", f"{path}: nothing failed "
                                 f"({len(results)} results), nothing to "
                                 "run", "?")] and not env
                    and r.returncode == 0,
                    "--rerun-failed, nothing failed: says so, exit 0, "
                    "no cell planned")
        if not ok:
            tap.diag(dltest.short(r.stdout + r.stderr))

        results[0]["scenario"] = "no-such/scenario-x"
        results[0]["verdict"] = "FAIL"
        with open(path, "w") as fp:
            json.dump(rep, fp)
        fails(["run", "--list", "--rerun-failed", path],
              "no-such/scenario-x", "--rerun-failed, failed scenario not "
              "in the catalogue")
        fails(["run", "--list", "--rerun-failed",
               os.path.join(tmp, "missing.json")], "missing.json",
              "--rerun-failed, no such report")

    # the bash completion offers the catalogue's tags after --tag
    comp = os.path.join(src, "doc", "danelab.bash-completion")
    script = ('source "$1"; COMP_WORDS=(danelab list --tag "$2"); '
              'COMP_CWORD=3; _danelab; echo "${COMPREPLY[@]}"')
    env = dict(os.environ,
               PATH=os.path.dirname(danelab) + ":" + os.environ["PATH"],
               DANELAB_SCENARIOS=dltest.scenarios_dir(src),
               DANELAB_FIXTURES=os.path.join(src, "fixtures"))
    for prefix, want in ((t1[:3], {t for v in tags.values() for t in v
                                   if t.startswith(t1[:3])}),
                         ("!" + t1, {"!" + t1})):
        r = dltest.run(["bash", "-c", script, "-", comp, prefix], env=env)
        tap.ok(r.returncode == 0 and want <= set(r.stdout.split()),
               f"bash completion of --tag {prefix}: {sorted(want)}")
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
