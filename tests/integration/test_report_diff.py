#!/usr/bin/env python3
"""report-diff: `danelab report diff OLD NEW` on two hand-made reports.

tests/report/diff-old.json and diff-new.json differ in every way a diff
knows: a new failure (PASS -> FAIL), a fix (FAIL -> PASS), a changed
verdict (FAIL rule a -> FAIL rule b), an added cell, a removed cell, and
one cell the same.  Checked:

  * every format (text, json, junit, html) says so, exit 1 (worse);
  * the text fits 80 columns; the JSON has an array per category; the
    JUnit parses, one testcase per cell, one failure; the HTML parses
    and has a table per listed category;
  * the reverse diff (new -> old) is worse too: the fixed cell fails
    again (and the new failure shows as fixed); a report against itself is not: exit 0;
  * several formats at once, each to its --output, files written;
  * errors exit 2: a missing file, a file that is not a report, one
    argument, three, --format tap.
"""

import json
import os
import subprocess
import sys
import xml.dom.minidom
from html.parser import HTMLParser

import dltest
from dltest import Tap


def run(danelab, *args):
    p = subprocess.run([danelab, "report", "diff", *args],
                       capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


class Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = {}

    def handle_starttag(self, tag, attrs):
        self.tags[tag] = self.tags.get(tag, 0) + 1


def main():
    danelab, src = dltest.args()
    t = Tap()
    old = os.path.join(src, "tests", "report", "diff-old.json")
    new = os.path.join(src, "tests", "report", "diff-new.json")

    rc, out, err = run(danelab, old, new)
    t.ok(rc == 1, f"text: worse, exit 1 (got {rc}: {err.strip()})")
    for head in ("New failures (1):", "Fixed (1):", "Changed (1):",
                 "Added (1):", "Removed (1):"):
        t.ok(head in out, f"text lists {head}")
    t.ok("FAIL tlsa-ignored -> FAIL next-mx-used" in out,
         "text: the changed rule")
    t.ok("1 new failure, 1 fixed, 1 changed, 1 added, 1 removed, "
         "1 unchanged" in out, "text: the counts")
    long_lines = [ln for ln in out.split("\n") if len(ln) > 80]
    t.ok(not long_lines, f"text fits 80 columns {long_lines[:2]}")

    rc, out, err = run(danelab, old, new, "--format", "json")
    t.ok(rc == 1, f"json: exit 1 (got {rc})")
    try:
        j = json.loads(out)
    except ValueError as e:
        j = {}
        t.diag(f"json: {e}")
    t.ok(j.get("worse") is True, "json: worse")
    for key in ("new_failures", "fixed", "changed", "added", "removed"):
        t.ok(isinstance(j.get(key), list) and len(j[key]) == 1,
             f"json: one entry in {key}")
    t.ok(j.get("counts", {}).get("unchanged") == 1, "json: 1 unchanged")
    nf = (j.get("new_failures") or [{}])[0]
    t.ok(nf.get("policy") == "dane-only" and
         nf.get("old", {}).get("verdict") == "PASS" and
         nf.get("new", {}).get("verdict") == "FAIL",
         "json: the new failure, PASS -> FAIL")
    added = (j.get("added") or [{}])[0]
    t.ok(added.get("old") is None and added.get("client") == "exim",
         "json: the added cell has old null")

    rc, out, err = run(danelab, old, new, "--format", "junit")
    t.ok(rc == 1, f"junit: exit 1 (got {rc})")
    try:
        dom = xml.dom.minidom.parseString(out)
        cases = dom.getElementsByTagName("testcase")
        fails = dom.getElementsByTagName("failure")
        t.ok(len(cases) == 6, f"junit: 6 testcases (got {len(cases)})")
        t.ok(len(fails) == 1, f"junit: 1 failure (got {len(fails)})")
    except Exception as e:  # noqa: BLE001 - any parse error fails
        t.ok(False, f"junit parses: {e}")

    rc, out, err = run(danelab, old, new, "--format", "html")
    t.ok(rc == 1, f"html: exit 1 (got {rc})")
    p = Tags()
    p.feed(out)
    t.ok(p.tags.get("table") == 5, f"html: 5 tables ({p.tags.get('table')})")
    t.ok("<script" not in out and "http" not in out,
         "html: self-contained")

    rc, out, err = run(danelab, new, old)
    t.ok(rc == 1 and "New failures (1):" in out and "Fixed (1):" in out,
         f"reverse: the fix fails again, the new failure is fixed ({rc})")
    rc, out, err = run(danelab, old, old)
    t.ok(rc == 0 and "0 new failures" in out and
         "not worse than the baseline" in out, f"itself: exit 0 ({rc})")

    with dltest.TempDir() as d:
        outs = [os.path.join(d, f) for f in ("d.json", "d.html", "d.xml")]
        rc, out, err = run(danelab, old, new, "-f", "text,json,html,junit",
                           "-o", outs[0], "-o", outs[1], "-o", outs[2])
        t.ok(rc == 1 and "New failures" in out and
             all(os.path.getsize(f) > 0 for f in outs if os.path.exists(f))
             and all(os.path.exists(f) for f in outs),
             f"several formats, text to stdout, the rest to files ({rc})")
        bad = os.path.join(d, "bad.json")
        with open(bad, "w") as f:
            f.write('{"schema": 2, "results": 3}\n')
        rc, out, err = run(danelab, old, bad)
        t.ok(rc == 2 and "bad.json" in err,
             f"not a report: exit 2 naming the file ({rc}: {err.strip()})")
    rc, out, err = run(danelab, old, os.path.join(src, "no-such.json"))
    t.ok(rc == 2 and "no-such.json" in err, f"missing file: exit 2 ({rc})")
    rc, out, err = run(danelab, old)
    t.ok(rc == 2, f"one report: exit 2 ({rc})")
    rc, out, err = run(danelab, old, new, old)
    t.ok(rc == 2, f"three reports: exit 2 ({rc})")
    rc, out, err = run(danelab, old, new, "--format", "tap")
    t.ok(rc == 2 and "tap" in err, f"--format tap: exit 2 ({rc})")
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
