#!/usr/bin/env python3
"""`danelab run --time-scale` and `danelab run --client a,b`.

1. --time-scale 2 over a fast timeline world (phases at 0, 1, 2, 9 s,
   TLSA TTL 3 s; tests/integration/worlds/timeline/): the reference
   client still PASSes every phase (the late introduction's defer
   included: the cache relations held at twice the time), the report
   records the factor and the results' offsets are doubled, and the
   phase.start events of a kept cell are at 0, 2, 4 and 18 s.  A cell
   is kept only when it did not pass, so a second client, "refkept" (the
   reference profile under another name, with a deviation that is not
   there: XPASS), runs beside it in the same run: that is also the
   multi-client run of 2.
2. The JSON of that one run with two clients is what `report merge`
   makes of two runs, one per client (times, directories and the
   clients' output, which names temporary paths, aside); the text
   report has a summary per client, the HTML a summary row; the
   environment check ran once.
3. Reports at different time scales do not merge.

Needs root (namespaces).  args: DANELAB SOURCE_ROOT
"""

import copy
import json
import os
import re
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dltest  # noqa: E402

WORLD = "tests/integration/worlds/timeline/late-introduction-fast.yaml"
SID = "timeline/late-introduction-fast"


def refkept(src, tmp):
    """The reference profile as "refkept", with a stale deviation."""
    with open(os.path.join(src, "harness/clients/reference.yaml")) as f:
        text = f.read()
    text = re.sub(r"(?m)^name: reference$", "name: refkept", text)
    path = os.path.join(tmp, "refkept.yaml")
    with open(path, "w") as f:
        f.write(text)
    with open(os.path.join(tmp, "refkept.deviations"), "w") as f:
        f.write(f"{SID} dane next-mx-used not a deviation at all: "
                "listed so that its cells are XPASS, and kept\n")
    return path


def normal(rep):
    """A copy of rep without what differs from run to run."""
    rep = copy.deepcopy(rep)
    for k in ("started", "duration_ms", "shard", "jobs"):
        rep.pop(k, None)
    for r in rep["results"]:
        for k in ("ms", "cell_ms", "kept_dir", "output", "output_lines"):
            r.pop(k, None)
    return rep


def main():
    danelab, src = dltest.args()
    dltest.need_root_namespaces()
    dltest.setup_signals()
    tap = dltest.Tap()
    world = os.path.join(src, WORLD)
    with dltest.TempDir() as tmp:
        prof = refkept(src, tmp)
        env = dict(os.environ, TMPDIR=tmp)
        common = ["--policy", "dane", "--time-scale", "2", world,
                  "control/valid-dane-ee"]

        # 1 + 2: one run, two clients.
        both = os.path.join(tmp, "both.json")
        html = os.path.join(tmp, "both.html")
        r = dltest.run(dltest.danelab_cmd(
            danelab, src, "run", "--client", f"reference,{prof}", "--keep",
            "--format", "text,json,html", "-o", "-", "-o", both, "-o", html,
            *common), timeout=600, env=env)
        tap.ok(r.returncode == 1 and os.path.exists(both),
               f"run --client reference,refkept: exit 1 (XPASS), "
               f"report written\n{dltest.short(r.stderr)}")
        if not os.path.exists(both):
            return tap.done()
        with open(both) as f:
            rep = json.load(f)
        tap.ok(rep["time_scale"] == 2, "the report records time_scale 2")
        ref = [x for x in rep["results"]
               if x["client"] == "reference" and x["scenario"] == SID]
        tap.ok([x["verdict"] for x in ref] == ["PASS"] * 4,
               f"reference: every phase PASS at --time-scale 2 "
               f"{[(x['phase'], x['verdict'], x['reason']) for x in ref]}")
        tap.ok([x["at"] for x in ref] == [0, 2, 4, 18],
               f"results' offsets doubled {[x['at'] for x in ref]}")
        kept = [x for x in rep["results"]
                if x["client"] == "refkept" and x["scenario"] == SID]
        tap.ok([x["verdict"] for x in kept] == ["XPASS"] * 4 and
               kept[0]["kept_dir"], "refkept: XPASS, its cell kept")
        starts = []
        if kept and kept[0]["kept_dir"]:
            with open(os.path.join(kept[0]["kept_dir"],
                                   "events.jsonl")) as f:
                for line in f:
                    e = json.loads(line)
                    if e.get("ev") == "phase.start":
                        starts.append((e["at"], float(e["offset"])))
        tap.ok([a for a, _ in starts] == [0, 2, 4, 18] and
               all(o >= a - 0.01 and o < a + 1 for a, o in starts),
               f"phase.start events at 2x offsets {starts}")
        text = r.stdout
        tap.ok(re.search(r"\nclient refkept: 1 passed, 0 failed, 0 error, "
                         r"0 hang, 0 skipped, 0 xfail, 4 xpass\n", text) and
               re.search(r"\nclient reference: 5 passed, ", text) and
               "time scale 2:" in text,
               f"text: a summary per client, the time scale\n"
               f"{dltest.short(text[-600:])}")
        with open(html) as f:
            h = f.read()
        tap.ok('<tr class="clients">' in h and "refkept: 1 passed" in h,
               "html: the summary row per client")
        envs = re.findall(r"control/valid-dane-ee", " ".join(
            x["scenario"] for x in rep["results"]))
        tap.ok(len(envs) == 2, "control/valid-dane-ee once per client "
               f"(the env check reuses reference's cell): {len(envs)}")

        # 2: the same as two runs merged.
        parts = []
        for c in ("reference", prof):
            out = os.path.join(tmp, f"{len(parts)}.json")
            r1 = dltest.run(dltest.danelab_cmd(
                danelab, src, "run", "--client", c, "--format", "json",
                "-o", out, *common), timeout=600, env=env)
            tap.ok(os.path.exists(out), f"run --client {os.path.basename(c)}"
                   f"\n{dltest.short(r1.stderr)}")
            parts.append(out)
        merged = os.path.join(tmp, "merged.json")
        r2 = dltest.run(dltest.danelab_cmd(
            danelab, src, "report", "merge", *parts, "--format", "json",
            "--output", merged), env=env)
        tap.ok(r2.returncode in (0, 1) and os.path.exists(merged),
               f"report merge\n{dltest.short(r2.stderr)}")
        if os.path.exists(merged):
            with open(merged) as f:
                m = normal(json.load(f))
            b = normal(rep)
            tap.ok(m == b, "one run with two clients == two runs merged"
                   + ("" if m == b else
                      f"\n{json.dumps(m)[:1500]}\n{json.dumps(b)[:1500]}"))

        # 3: another time scale does not merge.
        with open(parts[0]) as f:
            other = json.load(f)
        other["time_scale"] = 1
        odd = os.path.join(tmp, "odd.json")
        with open(odd, "w") as f:
            json.dump(other, f)
        r3 = dltest.run(dltest.danelab_cmd(
            danelab, src, "report", "merge", parts[1], odd), env=env)
        tap.ok(r3.returncode == 2 and
               "time scale 1 does not merge with time scale 2" in r3.stderr,
               f"merge refuses another time scale\n"
               f"{dltest.short(r3.stderr)}")
        for d in {x["kept_dir"] for x in rep["results"] if x["kept_dir"]}:
            shutil.rmtree(os.path.dirname(d), ignore_errors=True)
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
