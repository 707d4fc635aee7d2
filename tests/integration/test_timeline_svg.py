#!/usr/bin/env python3
"""The HTML report's timeline picture, from a real run.

`danelab run rollover/late-introduction --client reference --format
json,html`, then:

1. the JSON's scenario entry carries the timeline's plan as the scenario
   file writes it (read here from the YAML): its four phases and their
   offsets, mx-cur's certificate switched to mx-next at the phase
   "switched", mx-next's TLSA record published at "next-published" with
   the host's tlsa-ttl as the window before it;
2. every result records what the lab resolver answered for the host's
   TLSA RRset (resolver.query "tlsa" in the event log): secure, and in
   phase "switched" only mx-cur's record (the cached RRset: the lesson
   of the scenario), in "caches-expired" mx-next's too;
3. the HTML has one <svg class="timeline"> in the scenario's cell, well
   formed (xml.etree), with a named line per phase, a PASS mark per run
   (both policies, every phase), rings on the records the resolver
   returned (none on mx-next's row before the caches expired), under
   10 KB;
4. `danelab report show` re-renders the same page from the JSON alone.

Needs root (namespaces).  args: DANELAB SOURCE_ROOT
"""

import json
import os
import re
import sys
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dltest  # noqa: E402

SID = "rollover/late-introduction"
PHASES = ["old-key", "next-published", "switched", "caches-expired"]
NS = "{http://www.w3.org/2000/svg}"


def svg_of(html):
    """The scenario cell's SVG text, or None."""
    m = re.search(r'<td class="scen">(?:(?!</td>).)*?' + re.escape(SID) +
                  r'(?:(?!</td>).)*?(<svg class="timeline".*?</svg>)', html,
                  re.S)
    return m.group(1) if m else None


def rows(root):
    """{label text: y} of the picture's row labels."""
    out = {}
    for t in root.iter(NS + "text"):
        if t.text and float(t.get("x")) in (4, 14):
            out[t.text] = float(t.get("y"))
    return out


def plan(src):
    """(phase names, {phase: offset}, tlsa-ttl) from the scenario file."""
    import yaml
    with open(os.path.join(dltest.scenarios_dir(src), SID + ".yaml"),
              encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    at = {p["phase"]: int(p["at"]) for p in doc["timeline"]}
    return [p["phase"] for p in doc["timeline"]], at, \
        int(doc["mx"][0]["tlsa-ttl"])


def main():
    danelab, src = dltest.args()
    dltest.need_yaml()
    dltest.need_root_namespaces()
    dltest.setup_signals()
    tap = dltest.Tap()
    names, at, ttl = plan(src)
    if not tap.ok(names == PHASES, f"the scenario's phases {names}"):
        return tap.done()
    with dltest.TempDir() as tmp:
        env = dict(os.environ, TMPDIR=tmp)
        js = os.path.join(tmp, "r.json")
        html = os.path.join(tmp, "r.html")
        r = dltest.run(dltest.danelab_cmd(
            danelab, src, "run", SID, "--client", "reference", "--format",
            "json,html", "-o", js, "-o", html), timeout=300, env=env)
        if not tap.ok(r.returncode == 0 and os.path.exists(js) and
                      os.path.exists(html), "run: exit 0, JSON and HTML "
                      f"written\n{dltest.short(r.stderr)}"):
            return tap.done()
        with open(js) as f:
            rep = json.load(f)
        with open(html) as f:
            page = f.read()

        # 1: the plan.
        tl = rep["scenarios"][0].get("timeline") or {}
        tap.ok([p["name"] for p in tl.get("phases", [])] == PHASES and
               [p["at"] for p in tl["phases"]] == [at[p] for p in PHASES],
               f"the scenario carries its phases {tl.get('phases')}")
        hosts = tl.get("hosts", [{}])
        h = hosts[0] if hosts else {}
        tap.ok([(c["chain"], c["from"]) for c in h.get("certs", [])] ==
               [("mx-cur+int-r3", 0), ("mx-next+int-r3", at["switched"])],
               f"certificates: mx-cur, mx-next from {at['switched']} s "
               f"{h.get('certs')}")
        recs = {t["cert"]: t for t in h.get("tlsa", [])}
        nxt, cur = recs.get("mx-next", {}), recs.get("mx-cur", {})
        tap.ok(nxt.get("from") == at["next-published"] and
               nxt.get("ttl_before") == ttl and
               cur.get("from") == 0 and len(nxt.get("data", "")) == 64,
               f"TLSA: mx-next from {at['next-published']} s, {ttl} s "
               f"window, data known {recs}")

        # 2: what the resolver said.
        got = {}
        for x in rep["results"]:
            a = x["hosts"][0].get("tlsa_answer") or {}
            got[(x["policy"], x["phase"])] = a
        ok = len(got) == 8 and all(
            a.get("state") == "secure" for a in got.values())
        tap.ok(ok, f"every run: a secure TLSA answer recorded {got}")
        cur_rr = "3 1 1 " + cur.get("data", "?")
        nxt_rr = "3 1 1 " + nxt.get("data", "?")
        for pol in ("dane", "dane-only"):
            sw = got.get((pol, "switched"), {}).get("records")
            ex = got.get((pol, "caches-expired"), {}).get("records", [])
            tap.ok(sw == [cur_rr] and nxt_rr in ex and cur_rr in ex,
                   f"{pol}: switched got the cached RRset (mx-cur only), "
                   f"caches-expired both: {sw} / {ex}")

        # 3: the picture.
        svg = svg_of(page)
        if not tap.ok(svg is not None and
                      page.count('<svg class="timeline"') == 1,
                      "one svg.timeline, in the scenario's cell"):
            return tap.done()
        tap.diag(f"svg: {len(svg)} bytes, page: {len(page)} bytes")
        tap.ok(len(svg) < 10 * 1024, f"svg under 10 KB ({len(svg)})")
        try:
            root = ET.fromstring(svg)
        except ET.ParseError as e:
            tap.ok(False, f"svg is well-formed XML: {e}")
            return tap.done()
        tap.ok(True, "svg is well-formed XML")
        texts = [t.text for t in root.iter(NS + "text")]
        lines = [ln for ln in root.iter(NS + "line")
                 if ln.get("stroke-dasharray") == "3 2"]
        tap.ok(len(lines) == 4 and all(p in texts for p in PHASES),
               f"a named line per phase ({len(lines)})")
        marks = [c for c in root.iter(NS + "circle")
                 if (c.get("class") or "").startswith("run ")]
        titles = [c.find(NS + "title").text for c in marks]
        want = [f"reference {pol} @{p} at" for pol in
                ("dane", "dane-only") for p in PHASES]
        tap.ok(len(marks) == 8 and
               all(c.get("class") == "run PASS" and
                   c.get("fill") == "#176f2c" for c in marks) and
               all(any(t.startswith(w) for t in titles) for w in want),
               f"a green PASS mark per run, every phase: {titles}")
        # Rings: per record row (by y), the phases it was returned in.
        y = rows(root)
        ycur = y.get("TLSA 3 1 1 A mx-cur")
        ynxt = y.get("TLSA 3 1 1 B mx-next")
        # A ring is at its run's mark, lane-shifted by up to 3 px.
        at = {}
        for c, t in zip(marks, titles):
            at[float(c.get("cx"))] = t.split("@")[1].split(" ")[0]
        ring = {}
        for c in root.iter(NS + "circle"):
            if c.get("class") != "returned":
                continue
            x = float(c.get("cx"))
            phase = [p for cx, p in at.items() if 0 <= x - cx <= 3]
            row = "cur" if abs(float(c.get("cy")) - ycur) < 8 else "next"
            ring.setdefault(row, set()).update(phase)
        tap.ok(ycur is not None and ynxt is not None and
               ring.get("cur") == set(PHASES) and
               ring.get("next") == {"caches-expired"},
               f"rings: mx-cur returned in every phase, mx-next only "
               f"after the caches expired {ring}")

        # 4: the JSON alone draws the same page.
        again = os.path.join(tmp, "again.html")
        r2 = dltest.run(dltest.danelab_cmd(
            danelab, src, "report", "show", js, "--format", "html", "-o",
            again), env=env)
        same = os.path.exists(again) and open(again).read() == page
        tap.ok(same, f"report show re-renders the page from the JSON "
               f"({r2.returncode})\n{dltest.short(r2.stderr)}")
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
