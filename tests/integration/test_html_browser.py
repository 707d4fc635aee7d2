#!/usr/bin/env python3
"""The HTML report in a real browser: what a person would check.

Two reports are rendered in Debian's headless Chromium
(chromium-headless-shell, else `chromium --headless`), driven through
the DevTools protocol over --remote-debugging-pipe (fds 3 and 4,
NUL-terminated JSON; no websocket, no extra Python package), in a
1400x900 window:

  run      a real `danelab run --client reference,plain-then-tls` over a
           fast timeline world (tests/integration/worlds/timeline/) and
           control/valid-dane-ee, both policies: a multi-policy matrix,
           timeline rows, and FAIL cells (plain-then-tls, a deliberately
           wrong client from tests/clients/wrong/, delivers in
           cleartext).  Needs root or user namespaces; else SKIP.
  made     a report JSON written here, with every verdict, a timeline
           scenario and two clients x two policies, rendered with
           `danelab report show FILE --format html`.

For each page:
  * it loads with no console error (Runtime.consoleAPICalled error or
    assert, Runtime.exceptionThrown, Log.entryAdded level error);
  * the tags balance (html.parser) and nothing is loaded from outside;
  * the matrix is visible, non-empty and uses the width of the window
    (no horizontal scrolling, result cells not narrow);
  * the legend is visible and names every verdict, in the cells' colours;
  * each scenario's teaching text is in its row once, not in the cells;
  * clicking the "only what did not pass" switch (a mouse click at the
    label) hides every passing result and row, and leaves the failing
    ones visible; clicking again shows them again;
  * clicking a FAIL cell's summary opens its evidence: visible, non-zero
    height, naming the rule the report gives for that cell;
  * every timeline row has its picture (svg.timeline) visible and
    non-empty, when the page has such pictures (checked only then: the
    report may come from a danelab without them).

Screenshots (PNG, 1400x900) are written to $DANELAB_TEST_ARTEFACTS, else
to tests/artefacts/ in the build directory (next to the danelab binary),
and their paths printed.  No Chromium installed: SKIP (exit 77).

args: DANELAB SOURCE_ROOT
"""

import base64
import fcntl
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from html.parser import HTMLParser

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dltest  # noqa: E402

WIDTH, HEIGHT = 1400, 900
WORLD = "tests/integration/worlds/timeline/late-introduction-fast.yaml"
CONTROL = "control/valid-dane-ee"
BROWSERS = (["/usr/bin/chromium-headless-shell"],
            ["/usr/bin/chromium", "--headless"])
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link",
        "meta", "source", "track", "wbr"}


# ------------------------------------------------------------ the browser


class Browser:
    """Chromium with the DevTools protocol on fds 3 (commands in) and 4
    (answers and events out), one page target attached (flat session)."""

    def __init__(self, argv, tmp):
        self.profile = tempfile.mkdtemp(prefix="chromium-", dir=tmp)
        self.log = os.path.join(tmp, "chromium.log")
        to_r, self._to_w = os.pipe()
        self._from_r, from_w = os.pipe()
        # Above 4, so that the child's dup2 to 3 and 4 neither clobbers
        # one of them nor is a no-op that keeps close-on-exec.
        for fd in (to_r, from_w):
            high = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
            os.close(fd)
            if fd == to_r:
                to_r = high
            else:
                from_w = high

        def fds():
            os.dup2(to_r, 3)
            os.dup2(from_w, 4)
        log = open(self.log, "wb")
        # as root Chromium refuses to start without --no-sandbox
        self.proc = subprocess.Popen(
            argv + ["--remote-debugging-pipe", "--no-sandbox",
                    "--no-first-run", "--no-default-browser-check",
                    "--disable-gpu", "--disable-extensions",
                    "--disable-background-networking",
                    "--disable-component-update", "--mute-audio",
                    f"--user-data-dir={self.profile}",
                    f"--window-size={WIDTH},{HEIGHT}", "about:blank"],
            preexec_fn=fds, close_fds=False, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=log, start_new_session=True)
        log.close()
        os.close(to_r)
        os.close(from_w)
        self._buf = b""
        self._id = 0
        self.events = []
        self.session = None

    def _send(self, msg):
        data = json.dumps(msg).encode() + b"\0"
        while data:
            n = os.write(self._to_w, data)
            data = data[n:]

    def _read(self, deadline):
        """The next message, or None at the deadline or end of file."""
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            r, _, _ = select.select([self._from_r], [], [], left)
            if not r:
                return None
            chunk = os.read(self._from_r, 1 << 16)
            if not chunk:
                return None
            self._buf += chunk
        msg, self._buf = self._buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method, params=None, timeout=30, browser=False):
        """A command's result; raises RuntimeError on an error answer."""
        self._id += 1
        msg = {"id": self._id, "method": method, "params": params or {}}
        if self.session and not browser:
            msg["sessionId"] = self.session
        self._send(msg)
        deadline = time.monotonic() + timeout
        while True:
            m = self._read(deadline)
            if m is None:
                raise RuntimeError(f"{method}: no answer in {timeout} s")
            if m.get("id") == self._id:
                if "error" in m:
                    raise RuntimeError(f"{method}: {m['error']}")
                return m.get("result", {})
            if "method" in m:
                self.events.append(m)

    def wait_event(self, method, timeout=30):
        deadline = time.monotonic() + timeout
        for i, e in enumerate(self.events):
            if e["method"] == method:
                return self.events.pop(i)
        while True:
            m = self._read(deadline)
            if m is None:
                return None
            if "method" in m:
                if m["method"] == method:
                    return m
                self.events.append(m)

    def drain(self, secs=0.3):
        """Collect the events that arrive within secs."""
        deadline = time.monotonic() + secs
        while True:
            m = self._read(deadline)
            if m is None:
                return
            if "method" in m:
                self.events.append(m)

    def open_page(self):
        t = self.call("Target.createTarget", {"url": "about:blank"})
        a = self.call("Target.attachToTarget",
                      {"targetId": t["targetId"], "flatten": True})
        self.session = a["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            self.call(f"{domain}.enable")
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": WIDTH, "height": HEIGHT,
                   "deviceScaleFactor": 1, "mobile": False})

    def load(self, url):
        self.events.clear()
        self.call("Page.navigate", {"url": url})
        ok = self.wait_event("Page.loadEventFired", timeout=60)
        self.drain()
        return ok is not None

    def eval(self, expr):
        r = self.call("Runtime.evaluate",
                      {"expression": expr, "returnByValue": True,
                       "awaitPromise": True})
        if "exceptionDetails" in r:
            raise RuntimeError(f"evaluate: {r['exceptionDetails']}")
        return r["result"].get("value")

    def click(self, x, y):
        """A left click as a person's mouse makes it."""
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            p = {"type": kind, "x": x, "y": y}
            if kind != "mouseMoved":
                p.update(button="left", clickCount=1)
            self.call("Input.dispatchMouseEvent", p)
        self.drain(0.2)

    def screenshot(self, path):
        r = self.call("Page.captureScreenshot", {"format": "png"})
        with open(path, "wb") as f:
            f.write(base64.b64decode(r["data"]))

    def errors(self):
        """The console errors and exceptions seen so far, as text."""
        out = []
        for e in self.events:
            m, p = e["method"], e.get("params", {})
            if m == "Runtime.consoleAPICalled" and p.get("type") in (
                    "error", "assert"):
                out.append("console: " + " ".join(
                    str(a.get("value", a.get("description", "")))
                    for a in p.get("args", [])))
            elif m == "Runtime.exceptionThrown":
                out.append("exception: " + json.dumps(
                    p.get("exceptionDetails", {}))[:300])
            elif m == "Log.entryAdded" and \
                    p.get("entry", {}).get("level") == "error":
                out.append("log: " + p["entry"].get("text", ""))
        return out

    def close(self):
        """Kill Chromium (its process group) by PID; remove its profile."""
        try:
            self._send({"id": 0, "method": "Browser.close"})
        except OSError:
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait()
        else:
            try:   # helpers left in its group (zygote, renderer)
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for fd in (self._to_w, self._from_r):
            try:
                os.close(fd)
            except OSError:
                pass
        shutil.rmtree(self.profile, ignore_errors=True)


def find_browser():
    for argv in BROWSERS:
        if os.access(argv[0], os.X_OK):
            return argv
    return None


# -------------------------------------------------------------- the pages


class Balance(HTMLParser):
    """Tags balance (void elements aside); no external resource."""

    def __init__(self):
        super().__init__()
        self.stack = []
        self.problems = []

    def handle_starttag(self, tag, attrs):
        for k, v in attrs:
            if k in ("src", "href") and v and not v.startswith("#"):
                self.problems.append(f"<{tag} {k}={v}> loads something")
        if tag in ("script", "link", "img", "iframe"):
            self.problems.append(f"<{tag}> in a self-contained page")
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes <{self.stack[-1:]}>")
            return
        self.stack.pop()


def made_report():
    """A report with every verdict, a timeline scenario, 2 clients x 2
    policies (the field set of schema 2, tests/report/example.json)."""
    def host(name, outcome, plain=0, tls=0):
        return {"host": name, "expected": "auth", "accepted": None,
                "outcome": outcome, "sessions": 1 if plain + tls else 0,
                "messages_plain": plain, "messages_tls": tls,
                "tls_ok": tls, "tls_failed": 0, "starttls_skipped": 0,
                "claim": "none", "claim_text": None, "sni": None,
                "tls_error": None}

    def res(scen, client, policy, verdict, phase=None, idx=-1, at=0,
            rule=None):
        bad = verdict not in ("PASS", "SKIP")
        return {"scenario": scen, "client": client, "policy": policy,
                "phase": phase, "phase_index": idx, "at": at,
                "verdict": verdict, "expected": "auth",
                "accepted": "auth", "claimed": None,
                "hosts": [host("mx1.example.net",
                               "delivered-plain" if bad else
                               "delivered-tls", plain=int(bad),
                               tls=int(not bad))],
                "exit_status": 137 if verdict == "HANG" else 0,
                "timed_out": verdict == "HANG", "ms": 800, "cell_ms": 900,
                "reason": f"made: {verdict}",
                "rule": rule, "rule_ref": "RFC 7672 2.2" if rule else None,
                "rule_host": "mx1.example.net" if rule else None,
                "observed": "delivered-plain" if rule else None,
                "deviation": "made deviation"
                if verdict in ("XFAIL", "XPASS") else None,
                "output": "line 1\nline 2\n", "output_truncated": False,
                "kept_dir": None}

    scen = [
        {"id": CONTROL, "title": "Valid DANE-EE TLSA", "category": "none",
         "explanation": "EXPLAIN-control: deliver authenticated.",
         "rule": None, "refs": ["RFC 7672 section 3.1.1"]},
        {"id": "rollover/late-introduction",
         "title": "New key before its TLSA record", "category":
         "late-introduction",
         "explanation": "EXPLAIN-rollover: the server switches first.",
         "rule": "RFC 7671 8.1: publish the new TLSA record first.",
         "refs": ["RFC 7671 section 8.1"]},
        {"id": "starttls/not-offered", "title": "No STARTTLS",
         "category": "starttls",
         "explanation": "EXPLAIN-starttls: nothing to encrypt with.",
         "rule": "RFC 7672 2.2: never in cleartext to a DANE host.",
         "refs": ["RFC 7672 section 2.2"]},
    ]
    results = []
    for c in ("alpha", "beta"):
        for p in ("dane", "dane-only"):
            results.append(res(CONTROL, c, p, "PASS"))
            for i, (ph, v) in enumerate((("old-key", "PASS"),
                                         ("switched", "XFAIL" if c ==
                                          "alpha" else "PASS"),
                                         ("retired", "PASS"))):
                results.append(res("rollover/late-introduction", c, p, v,
                                   ph, i, i * 60,
                                   "next-mx-used" if v == "XFAIL" else
                                   None))
    more = {("alpha", "dane"): "FAIL", ("alpha", "dane-only"): "HANG",
            ("beta", "dane"): "ERROR", ("beta", "dane-only"): "SKIP"}
    for (c, p), v in more.items():
        results.append(res("starttls/not-offered", c, p, v,
                           rule="cleartext" if v == "FAIL" else None))
    # Rows that all pass, enough for a page taller than the window.
    for n in range(24):
        sid = f"tlsa/filler-{n:02d}"
        scen.append({"id": sid, "title": f"Filler {n}", "category": "none",
                     "explanation": f"EXPLAIN-filler-{n:02d}.",
                     "rule": None, "refs": []})
        for c in ("alpha", "beta"):
            for p in ("dane", "dane-only"):
                results.append(res(sid, c, p, "PASS"))
    results[1]["verdict"] = "XPASS"
    results[1]["deviation"] = "made deviation"
    return {"schema": 2, "danelab": "test", "started": 1764355200,
            "duration_ms": 1000, "isolation": "namespaces", "jobs": 1,
            "shard": {"k": 1, "n": 1}, "env": {"ok": True, "message": None},
            "interrupted": False, "time_scale": 1, "scenarios": scen,
            "results": results}


def cannot_run():
    """Why danelab run cannot run here (dltest.need_root_namespaces
    without its exit: this test still has the made page), or None."""
    if os.geteuid() != 0:
        return "not root: danelab run needs network namespaces"
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        return "unshare or ip missing"
    r = subprocess.run(["unshare", "-n", "-m", "-p", "-f", "--mount-proc",
                        "true"], capture_output=True, text=True)
    if r.returncode != 0:
        return "unshare -n -m -p unavailable: " + r.stderr.strip()
    return None


def real_report(danelab, src, tmp):
    """(report, html path) of a real run, or (None, why not)."""
    why = cannot_run()
    if why:
        return None, why
    wrong = os.path.join(src, "tests", "clients", "wrong")
    runtmp = os.path.join(tmp, "run")
    os.mkdir(runtmp)
    js, ht = os.path.join(tmp, "run.json"), os.path.join(tmp, "run.html")
    env = dict(os.environ, TMPDIR=runtmp, NO_COLOR="1",
               PATH=wrong + ":" + os.environ.get("PATH", "/usr/bin:/bin"))
    r = dltest.run(dltest.danelab_cmd(
        danelab, src, "run", "--client",
        "reference," + os.path.join(wrong, "plain-then-tls.yaml"),
        "--no-progress", "--format", "json,html", "-o", js, "-o", ht,
        os.path.join(src, WORLD), CONTROL), timeout=600, env=env)
    if not os.path.exists(js) or not os.path.exists(ht):
        return None, (f"danelab run wrote no report (exit {r.returncode})"
                      f"\n{dltest.short(r.stderr)}")
    with open(js, encoding="utf-8") as f:
        return json.load(f), ht


# ------------------------------------------------------------- the checks


JS_LAYOUT = r"""(() => {
  const sid = td => { const i = td.querySelector('.id');
    return i ? i.textContent : td.firstChild.textContent; };
  const vis = e => { if (!e) return false; const r = e.getBoundingClientRect();
    const s = getComputedStyle(e);
    return r.width > 0 && r.height > 0 && s.visibility != 'hidden'; };
  const m = document.querySelector('table.matrix');
  const mr = m ? m.getBoundingClientRect() : null;
  const cells = [...document.querySelectorAll('table.matrix > tbody > tr > td:not(.scen)')];
  const lg = document.querySelector('.legend');
  const items = lg ? [...lg.querySelectorAll('li b')].map(b => [b.textContent,
      getComputedStyle(b).color]) : [];
  const colours = {};
  for (const s of document.querySelectorAll('table.matrix summary[class]'))
    colours[s.className] = getComputedStyle(s).color;
  return {
    matrix: mr ? [mr.width, mr.height] : null,
    rows: m ? m.querySelectorAll('tbody tr td.scen').length : 0,
    results: m ? m.querySelectorAll('td details summary[class]').length : 0,
    scrollWidth: document.documentElement.scrollWidth,
    inner: window.innerWidth,
    narrow: cells.filter(c => c.getBoundingClientRect().width < 100).length,
    cells: cells.length,
    tallest: Math.max(0, ...cells.map(c => c.getBoundingClientRect().height)),
    legend: vis(lg), items: items, colours: colours,
    about: m ? [...m.querySelectorAll('tbody tr')].filter(r => r.querySelector('td.scen'))
      .map(r => [sid(r.querySelector('td.scen')),
                 r.querySelectorAll('td.scen details.about').length]) : [],
    text: m ? [...m.querySelectorAll('td:not(.scen)')].map(c => c.textContent).join('\n') : '',
  };
})()"""

JS_VISIBLE = r"""(() => {
  const vis = e => { const r = e.getBoundingClientRect();
    return r.width > 0 && r.height > 0; };
  const m = document.querySelector('table.matrix');
  const count = sel => [...m.querySelectorAll(sel)].filter(vis).length;
  return {ok: count('details.ok'), bad: count('details.bad'),
          okRows: count('tbody tr.ok'), badRows: count('tbody tr.bad'),
          all: m.querySelectorAll('details.bad').length};
})()"""

JS_RECT = r"""((sel) => {
  const e = document.querySelector(sel);
  if (!e) return null;
  e.scrollIntoView({block: 'center'});
  const r = e.getBoundingClientRect();
  return [r.x + r.width / 2, r.y + r.height / 2, r.width, r.height];
})"""

JS_FIRST_FAIL = r"""(() => {
  const s = document.querySelector('table.matrix td summary.FAIL');
  if (!s) return null;
  s.id = 'first-fail';
  const td = s.closest('td'), tr = td.closest('tr');
  const th = document.querySelectorAll('table.matrix thead tr.cols th')[td.cellIndex];
  const i = tr.querySelector('td.scen .id');
  return {scenario: i ? i.textContent : tr.querySelector('td.scen').firstChild.textContent,
          column: th.innerText.split('\n').map(x => x.trim()),
          phase: (s.querySelector('small') || {}).textContent || null};
})()"""

JS_EVIDENCE = r"""(() => {
  const d = document.getElementById('first-fail').parentElement;
  const e = d.querySelector('.evidence');
  const r = e ? e.getBoundingClientRect() : null;
  return {open: d.open, rect: r ? [r.width, r.height] : null,
          wide: [document.documentElement.scrollWidth, window.innerWidth],
          visible: e ? getComputedStyle(e).display != 'none' : false,
          text: e ? e.innerText : ''};
})()"""

JS_SVG = r"""(() => [...document.querySelectorAll('table.matrix td.scen')].map(td => {
  const s = td.querySelector('svg.timeline');
  const r = s ? s.getBoundingClientRect() : null;
  const i = td.querySelector('.id');
  return [i ? i.textContent : td.firstChild.textContent,
          s ? [r.width, r.height, s.querySelectorAll('*').length] : null];
}))()"""


def norm(s):
    return re.sub(r"\s+", " ", s or "").strip()


def check_page(tap, browser, name, report, path, artefacts):
    """Every check on one page; report is its JSON."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    bal = Balance()
    bal.feed(text)
    bal.close()
    tap.ok(not bal.problems and not bal.stack,
           f"{name}: tags balance, nothing loaded from outside "
           f"{bal.problems[:3]} {bal.stack[-3:]}")
    tap.ok(browser.load("file://" + os.path.abspath(path)),
           f"{name}: the page loads ({len(text)} bytes)")
    errs = browser.errors()
    tap.ok(not errs, f"{name}: no console error {errs[:3]}")

    lay = browser.eval(JS_LAYOUT)
    rows = sorted({r["scenario"] for r in report["results"]})
    tap.ok(lay["matrix"] and lay["matrix"][0] > 0 and lay["matrix"][1] > 0
           and lay["rows"] == len(rows) and
           lay["results"] == len(report["results"]),
           f"{name}: the matrix is visible, {len(rows)} rows, "
           f"{len(report['results'])} results (box {lay['matrix']}, "
           f"{lay['rows']} rows, {lay['results']} results)")
    tap.ok(lay["matrix"] and lay["matrix"][0] >= WIDTH * 0.9 and
           lay["scrollWidth"] <= lay["inner"],
           f"{name}: the matrix uses the width of a {WIDTH} px window "
           f"without scrolling sideways (width {lay['matrix']}, page "
           f"{lay['scrollWidth']} of {lay['inner']})")
    tap.ok(lay["narrow"] == 0 and lay["tallest"] < HEIGHT,
           f"{name}: no result cell narrower than 100 px or taller than "
           f"the window ({lay['narrow']} of {lay['cells']} narrow, "
           f"tallest {lay['tallest']:.0f} px)")
    names = [i[0] for i in lay["items"]]
    tap.ok(lay["legend"] and names == ["PASS", "FAIL", "SKIP", "HANG",
                                       "ERROR", "XFAIL", "XPASS"],
           f"{name}: the legend is visible, one line per verdict {names}")
    wrong = [(v, c, lay["colours"][v]) for v, c in lay["items"]
             if v in lay["colours"] and lay["colours"][v] != c]
    tap.ok(not wrong and lay["colours"],
           f"{name}: the legend in the cells' colours {wrong} "
           f"(compared: {sorted(lay['colours'])})")
    tap.ok(rows == sorted(a for a, _ in lay["about"]) and
           all(n == 1 for _, n in lay["about"]),
           f"{name}: each row's teaching text once, in the scenario cell "
           f"{[x for x in lay['about'] if x[1] != 1][:3]}")
    expl = [s["explanation"] for s in report["scenarios"]
            if s.get("explanation")]
    inside = [e[:40] for e in expl if norm(e) in norm(lay["text"])]
    tap.ok(expl and not inside,
           f"{name}: no explanation repeated in the result cells {inside}")

    # A long page keeps its header row on screen.
    if lay["matrix"] and lay["matrix"][1] > HEIGHT:
        top = browser.eval("""(() => {
          const m = document.querySelector('table.matrix');
          window.scrollTo(0, m.getBoundingClientRect().top + scrollY + 400);
          const r = m.querySelector('thead th').getBoundingClientRect();
          const t = [r.top, r.height, scrollY];
          window.scrollTo(0, 0);
          return t; })()""")
        tap.ok(abs(top[0]) < 2 and top[1] > 0 and top[2] > 0,
               f"{name}: scrolled down, the header row stays at the top "
               f"(top, height, scrollY: {top})")

    # The switch: a click on its label, as a person would.
    before = browser.eval(JS_VISIBLE)
    at = browser.eval(JS_RECT + "('label[for=only-bad]')")
    if not tap.ok(at and at[2] > 0 and at[3] > 0,
                  f"{name}: the 'only what did not pass' switch is "
                  f"visible {at}"):
        return
    browser.click(at[0], at[1])
    after = browser.eval(JS_VISIBLE)
    tap.ok(browser.eval("document.getElementById('only-bad').checked") and
           after["ok"] == 0 and after["okRows"] == 0 and
           after["bad"] == after["all"] and
           (after["bad"] > 0) == (before["bad"] > 0),
           f"{name}: the switch hides what passed (visible before "
           f"{before}, after {after})")
    browser.screenshot(shot(artefacts, name, "filtered"))
    at = browser.eval(JS_RECT + "('label[for=only-bad]')")
    browser.click(at[0], at[1])
    again = browser.eval(JS_VISIBLE)
    tap.ok(again == before, f"{name}: clicked again, everything is back "
           f"{again}")

    # A FAIL cell opened: its evidence, with the rule of that result.
    first = browser.eval(JS_FIRST_FAIL)
    if tap.ok(first, f"{name}: a FAIL cell in the matrix"):
        client, policy = first["column"][0], first["column"][-1]
        cand = [r for r in report["results"]
                if r["scenario"] == first["scenario"] and
                r["client"] == client and r["policy"] == policy and
                r["verdict"] == "FAIL"]
        at = browser.eval(JS_RECT + "('#first-fail')")
        browser.click(at[0], at[1])
        ev = browser.eval(JS_EVIDENCE)
        want = cand[0] if cand else {}
        srule = next((s.get("rule") for s in report["scenarios"]
                      if s["id"] == first["scenario"]), None)
        need = [x for x in (want.get("rule"), want.get("rule_ref"),
                            srule) if x]
        missing = [x for x in need if norm(x) not in norm(ev["text"])]
        tap.ok(ev["open"] and ev["visible"] and ev["rect"] and
               ev["rect"][0] > 0 and ev["rect"][1] > 0 and need and
               not missing,
               f"{name}: clicking FAIL ({first['scenario']}, {client} "
               f"{policy}) opens its evidence (box {ev['rect']}) naming "
               f"its rule {need} (missing: {missing})")
        tap.ok(ev["wide"][0] <= ev["wide"][1],
               f"{name}: the open evidence fits the window, no sideways "
               f"scrolling (page, window: {ev['wide']})")
        browser.screenshot(shot(artefacts, name, "fail-open"))

    # The timeline pictures, when this danelab draws them.
    timeline = sorted({r["scenario"] for r in report["results"]
                       if r.get("phase")})
    svgs = dict(browser.eval(JS_SVG))
    drawn = [s for s in timeline if svgs.get(s)]
    if not drawn:
        tap.ok(True, f"{name}: timeline pictures",
               skip=f"this page has no svg.timeline for its timeline "
               f"rows {timeline}")
    else:
        bad = [(s, svgs.get(s)) for s in timeline
               if not svgs.get(s) or svgs[s][0] <= 0 or svgs[s][1] <= 0 or
               svgs[s][2] == 0]
        tap.ok(not bad, f"{name}: every timeline row's svg.timeline is "
               f"visible and non-empty {bad}")
    browser.eval("window.scrollTo(0, 0)")
    browser.screenshot(shot(artefacts, name, "top"))
    errs = browser.errors()
    tap.ok(not errs, f"{name}: still no console error after the clicks "
           f"{errs[:3]}")


def shot(artefacts, name, what):
    path = os.path.join(artefacts, f"html-browser-{name}-{what}.png")
    print(f"# screenshot: {path}")
    return path


def main():
    danelab, src = dltest.args()
    dltest.setup_signals()
    argv = find_browser()
    if argv is None:
        dltest.skip_all("no headless Chromium (Debian package "
                        "chromium-headless-shell or chromium; "
                        ".ci/install-deps installs it)")
    artefacts = os.environ.get("DANELAB_TEST_ARTEFACTS") or os.path.join(
        os.path.dirname(os.path.abspath(danelab)), "tests", "artefacts")
    os.makedirs(artefacts, exist_ok=True)
    tap = dltest.Tap()
    with dltest.TempDir() as tmp:
        os.chmod(tmp, 0o755)
        pages = []
        made = os.path.join(tmp, "made.json")
        with open(made, "w", encoding="utf-8") as f:
            json.dump(made_report(), f)
        ht = os.path.join(tmp, "made.html")
        r = dltest.run([danelab, "report", "show", made, "--format", "html",
                        "--output", ht])
        if tap.ok(os.path.exists(ht), f"report show --format html "
                  f"(exit {r.returncode}) {dltest.short(r.stderr)}"):
            pages.append(("made", made_report(), ht))
        rep, why = real_report(danelab, src, tmp)
        if rep is None:
            tap.ok(True, "a real run", skip=why)
        else:
            verdicts = {(x["client"], x["verdict"]) for x in rep["results"]}
            tap.ok(("plain-then-tls", "FAIL") in verdicts and
                   {x["policy"] for x in rep["results"]} ==
                   {"dane", "dane-only"} and
                   any(x.get("phase") for x in rep["results"]),
                   f"run: a FAIL, both policies, timeline phases "
                   f"{sorted(verdicts)}")
            pages.append(("run", rep, why))
        browser = Browser(argv, tmp)
        try:
            browser.open_page()
            tap.ok(True, f"{argv[0]} started (pid {browser.proc.pid})")
            for name, report, path in pages:
                try:
                    check_page(tap, browser, name, report, path, artefacts)
                except RuntimeError as e:
                    tap.ok(False, f"{name}: the browser: {e}")
        except RuntimeError as e:
            tap.ok(False, f"the browser: {e}")
            with open(browser.log, encoding="utf-8",
                      errors="replace") as f:
                tap.diag(dltest.short(f.read()))
        finally:
            browser.close()
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
