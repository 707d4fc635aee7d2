#!/usr/bin/env python3
"""The catalogue as a whole: complete, documented, and its table current.

Checks, over scenarios/ (read with PyYAML, independently of danelab's
loader):
  - at least MIN_SCENARIOS scenarios, and none of the FOLDERS empty;
  - every scenario has an explanation, a rule, references, `observe`
    commands, and expectations under both policies (`dane`, `dane-only`);
  - `danelab check -W` is clean over the catalogue;
  - `danelab explain ID` succeeds for every scenario and shows every
    command line of its `observe` text;
  - the table between `<!-- catalogue:begin -->` and `<!-- catalogue:end -->`
    in scenarios/README.md is exactly `danelab list --format markdown`
    (refresh it with DANELAB_UPDATE_EXPECTED=1);
  - the timing of every timeline, re-derived from the YAML (scenarios/
    README.md "Time in the lab"): the cache model of the run (one
    resolver, cold at the start, a TLSA lookup per MX host at every phase
    start, an expired RRset fetched again with the TTL then in force) puts
    no phase start less than CACHE_BEFORE seconds before an expiry or
    less than CACHE_AFTER seconds after it; the correct
    rollovers (tag `correct`) switch the certificate two TTLs or more
    after publishing the new record; the late introductions switch while
    the RRset cached at the start is surely still held, and their last
    phase comes one TTL + 2 s after the publication; phases are
    MIN_GAP apart at least (postfix-mta's `runtime` fits at --time-scale
    3), and the last starts by LAST_PHASE_MAX (the catalogue runs in 20 s);
  - scenarios/RULES.md: its table between `<!-- rules:begin -->` and
    `<!-- rules:end -->` has one row per scenario, every rule id in it is
    defined (`- **R-...**`), its actions equal `danelab list --format
    markdown`, and every scenario's comment next to `expect:` names the
    rule ids of its row ("R-A, R-B (scenarios/RULES.md)").

Needs PyYAML; no root.
  args: DANELAB SOURCE_ROOT
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dltest  # noqa: E402

MIN_SCENARIOS = 40
FOLDERS = ("control", "dnssec", "tlsa", "rollover", "ca", "starttls", "mx",
           "cname")
# Timing of the timelines (scenarios/README.md "Time in the lab").
CACHE_BEFORE = 2       # s from a phase start to a cache expiry after it
CACHE_AFTER = 4        # s from a cache expiry to a phase start after it
MIN_GAP = 3            # s between phases
LAST_PHASE_MAX = 16    # s: the last phase of any timeline
MTA_SCALE = 3          # the --time-scale real MTAs run with (test_mta.py)
PHASE_MARGIN = 0.15    # RUN_PHASE_MARGIN_MS: a run starts after its phase
BEGIN = "<!-- catalogue:begin -->"
END = "<!-- catalogue:end -->"


def load_all(sdir):
    import yaml
    docs = {}
    for root, _dirs, files in os.walk(sdir):
        for f in sorted(files):
            if not f.endswith(".yaml"):
                continue
            path = os.path.join(root, f)
            rel = os.path.relpath(path, sdir)[:-len(".yaml")]
            with open(path, encoding="utf-8") as fh:
                docs[rel] = yaml.safe_load(fh)
    return docs


def observe_commands(text):
    """The lines of an observe text that are commands ('$ ...'),
    continuation lines included, stripped."""
    return [ln.strip() for ln in text.splitlines()
            if ln.strip().startswith("$ ")]


def readme_section(path):
    """(text between the markers, whole file) or (None, whole file)."""
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    b, e = text.find(BEGIN), text.find(END)
    if b < 0 or e < b:
        return None, text
    return text[b + len(BEGIN):e].strip("\n") + "\n", text


def main():
    dltest.need_yaml()
    danelab, src = dltest.args()
    sdir = os.path.join(src, "scenarios")
    tap = dltest.Tap()
    docs = load_all(sdir)

    tap.ok(len(docs) >= MIN_SCENARIOS,
           f"the catalogue has {len(docs)} scenarios (at least "
           f"{MIN_SCENARIOS})")
    for folder in FOLDERS:
        n = sum(1 for k in docs if k.split("/")[0] == folder)
        tap.ok(n > 0, f"folder {folder}/ has {n} scenarios")

    for sid, doc in sorted(docs.items()):
        doc = doc or {}
        missing = [k for k in ("explanation", "rule", "observe",
                               "references")
                   if not doc.get(k)]
        exp = doc.get("expect") or {}
        missing += [f"expect.{p}" for p in ("dane", "dane-only")
                    if exp.get(p) is None]
        if not observe_commands(str(doc.get("observe") or "")):
            missing.append("observe commands ('$ ...' lines)")
        tap.ok(not missing, f"{sid}: explanation, rule, observe, references"
               f", expectations under both policies"
               + (f" (missing: {', '.join(missing)})" if missing else ""))

    r = dltest.run(dltest.danelab_cmd(danelab, src, "check", "-W"))
    tap.ok(r.returncode == 0, "danelab check -W is clean over the catalogue")
    if r.returncode != 0:
        tap.diag(dltest.short(r.stdout + r.stderr))

    for sid, doc in sorted(docs.items()):
        r = dltest.run(dltest.danelab_cmd(danelab, src, "explain", sid))
        out = [ln.strip() for ln in r.stdout.splitlines()]
        lacking = [c for c in observe_commands(str((doc or {}).get(
            "observe") or "")) if c not in out]
        tap.ok(r.returncode == 0 and not lacking,
               f"danelab explain {sid}: exit {r.returncode}, shows its "
               f"observe commands")
        if r.returncode != 0:
            tap.diag(dltest.short(r.stderr))
        for c in lacking:
            tap.diag(f"not shown: {c}")

    check_timelines(tap, danelab, src, docs)
    check_timing(tap, src, docs)

    r = dltest.run(dltest.danelab_cmd(danelab, src, "list", "--format",
                                      "markdown"))
    tap.ok(r.returncode == 0, "danelab list --format markdown")
    readme = os.path.join(sdir, "README.md")
    section, whole = readme_section(readme)
    if section is None:
        tap.ok(False, f"scenarios/README.md has the {BEGIN} / {END} markers")
    elif r.returncode == 0:
        same = section == r.stdout
        if not same and os.environ.get("DANELAB_UPDATE_EXPECTED"):
            b, e = whole.find(BEGIN), whole.find(END)
            with open(readme, "w", encoding="utf-8") as fh:
                fh.write(whole[:b + len(BEGIN)] + "\n" + r.stdout
                         + whole[e:])
            tap.diag("scenarios/README.md: catalogue table rewritten")
            same = True
        tap.ok(same, "scenarios/README.md catalogue table equals "
               "`danelab list --format markdown` (rerun with "
               "DANELAB_UPDATE_EXPECTED=1 to refresh it)")
        if not same:
            want = r.stdout.splitlines()
            have = section.splitlines()
            for ln in [x for x in want if x not in have][:10]:
                tap.diag(f"missing: {ln}")
            for ln in [x for x in have if x not in want][:10]:
                tap.diag(f"stale:   {ln}")
    if r.returncode == 0:
        check_rules(tap, sdir, docs, r.stdout)
    return tap.done()


def timeline_section(text):
    """The lines of explain's "The timeline" section, or None."""
    lines = text.splitlines()
    if "" in lines and any(ln.startswith("The timeline") for ln in lines):
        i = next(k for k, ln in enumerate(lines)
                 if ln.startswith("The timeline"))
        j = i + 1
        while j < len(lines) and lines[j] != "":
            j += 1
        return lines[i:j]
    return None


def plot(line):
    """The plot columns of a timeline row (after the 25-column label)."""
    return line[25:]


def check_timelines(tap, danelab, src, docs):
    """Issue 13 item 1 (text): explain draws every timeline in 80 columns,
    one phase mark and one client run per phase; and the pictures say
    what the scenario files say.  The lesson of late introduction, from
    the YAML (not from danelab): the certificate switches while a
    resolver may still hold the TLSA RRset without the new record (the
    switch falls in the new record's '?' window); in the correct rollover
    it falls after that window."""
    for sid, doc in sorted(docs.items()):
        tl = (doc or {}).get("timeline")
        if not tl:
            continue
        r = dltest.run(dltest.danelab_cmd(danelab, src, "explain", sid))
        sec = timeline_section(r.stdout)
        if sec is None:
            tap.ok(False, f"explain {sid}: a timeline section")
            continue
        wide = [ln for ln in sec if len(ln) > 80]
        rows = {ln[:25].strip(): plot(ln) for ln in sec if len(ln) > 25}
        marks = rows.get("phases", "").count("|")
        runs = rows.get("client runs", "").count("v")
        tap.ok(not wide and marks == len(tl) and runs == len(tl),
               f"explain {sid}: timeline in 80 columns, {len(tl)} phases "
               f"marked ({marks}) and {len(tl)} client runs ({runs})")
    for sid, inside in (("rollover/late-introduction", True),
                        ("rollover/correct", False)):
        doc = docs.get(sid) or {}
        tl = doc.get("timeline") or []
        host = (doc.get("mx") or [{}])[0]
        ttl = host.get("tlsa-ttl") or doc.get("ttl")
        new = next((p for p in tl for h in p.get("hosts") or []
                    if len(h.get("tlsa") or []) > len(host.get("tlsa")
                                                     or [])), None)
        switch = next((p for p in tl for h in p.get("hosts") or []
                       if h.get("chain")), None)
        if not (new and switch and ttl):
            tap.ok(False, f"{sid}: the test finds the publication, the "
                   "switch and the TLSA TTL in the file")
            continue
        want = switch["at"] < new["at"] + ttl
        r = dltest.run(dltest.danelab_cmd(danelab, src, "explain", sid))
        sec = timeline_section(r.stdout) or []
        rows = [plot(ln) for ln in sec if len(ln) > 25]
        cert = next((plot(ln) for ln in sec
                     if ln.strip().startswith("certificate")), "")
        col = next((k for k in range(1, len(cert))
                    if cert[k] != cert[k - 1]), None)
        newrow = next((plot(ln) for ln in sec if "?" in plot(ln)), "")
        got = col is not None and col < len(newrow) and newrow[col] == "?"
        tap.ok(want == inside and got == want,
               f"explain {sid}: the certificate switch (at {switch['at']} "
               f"s) {'falls' if want else 'does not fall'} in the new "
               f"record's window (published at {new['at']} s, TTL {ttl} s)")


def host_states(doc, host):
    """[(tlsa list, TLSA TTL, chain)] of an MX host per phase (phases
    cumulative), or None when a TTL is not written (the catalogue's
    timelines write every TLSA TTL, so the model needs no zone lookup)."""
    tlsa, ttl, chain = host.get("tlsa") or [], host.get("tlsa-ttl"), \
        host.get("chain")
    out = []
    for ph in doc["timeline"]:
        for h in ph.get("hosts") or []:
            if h.get("host") != host.get("host"):
                continue
            tlsa = h["tlsa"] if "tlsa" in h else tlsa
            ttl = h.get("tlsa-ttl") or ttl
            chain = h.get("chain") or chain
        if ttl is None:
            return None
        out.append((tlsa, ttl, chain))
    return out


def cache_walk(doc, states):
    """The run's cache model for one host: [(phase index, fetched (True)
    or served from the cache (False), distance in s from the expiry of
    the RRset cached before (None: cold))]."""
    tl = doc["timeline"]
    walk, expires = [], None
    for i, ph in enumerate(tl):
        dist = None if expires is None else ph["at"] - expires
        fetch = dist is None or dist > 0
        walk.append((i, fetch, dist))
        if fetch:
            expires = ph["at"] + states[i][1]
    return walk


def check_timing(tap, src, docs):
    import yaml
    with open(os.path.join(src, "harness", "clients", "postfix-mta.yaml"),
              encoding="utf-8") as fh:
        runtime = (yaml.safe_load(fh) or {}).get("runtime") or 0
    n_correct = n_late = 0
    for sid, doc in sorted(docs.items()):
        tl = (doc or {}).get("timeline")
        if not tl:
            continue
        at = [ph["at"] for ph in tl]
        gaps = [b - a for a, b in zip(at, at[1:])]
        tap.ok(min(gaps) >= MIN_GAP and at[-1] <= LAST_PHASE_MAX and
               min(gaps) * MTA_SCALE - PHASE_MARGIN >= runtime,
               f"{sid}: phases at {at}: {MIN_GAP} s apart or more (a "
               f"{runtime} s MTA run fits at --time-scale {MTA_SCALE}), "
               f"the last by {LAST_PHASE_MAX} s")
        for host in doc.get("mx") or []:
            states = host_states(doc, host)
            if states is None:
                tap.ok(False, f"{sid}: {host.get('host')} writes its TLSA "
                       "TTL (the timing model reads it)")
                continue
            walk = cache_walk(doc, states)
            close = [(tl[i]["phase"], d) for i, _f, d in walk
                     if d is not None and -CACHE_BEFORE < d < CACHE_AFTER]
            tap.ok(not close, f"{sid}: {host['host']}: every phase starts "
                   f"{CACHE_BEFORE} s or more before a cache expiry, or "
                   f"{CACHE_AFTER} s or more after it (too close: {close})")
            pub = next((i for i in range(1, len(tl))
                        if len(states[i][0]) > len(states[i - 1][0])), None)
            switch = next((i for i in range(1, len(tl))
                           if states[i][2] != states[i - 1][2]), None)
            if "correct" in (doc.get("tags") or []):
                n_correct += 1
                ttl = states[pub][1] if pub is not None else None
                tap.ok(pub is not None and switch is not None and
                       at[switch] - at[pub] >= 2 * ttl,
                       f"{sid}: the certificate switch comes two TTLs or "
                       f"more after the new record: {at[pub] if pub else '?'}"
                       f" + 2 x {ttl} <= {at[switch] if switch else '?'}")
            if "late-introduction" in sid:
                n_late += 1
                ttl = states[0][1]
                ok = (pub is not None and switch is not None and
                      pub < switch and not walk[switch][1] and
                      not any(walk[i][1] for i in range(1, switch + 1)) and
                      at[switch] <= ttl - CACHE_BEFORE and
                      at[-1] >= at[pub] + ttl + 2)
                tap.ok(ok, f"{sid}: the switch ({at[switch] if switch else '?'}"
                       f" s) falls {CACHE_BEFORE} s or more before the RRset "
                       f"cached at 0 expires ({ttl} s), and the last phase "
                       f"({at[-1]} s) one TTL + 2 s after the "
                       f"publication ({at[pub] if pub else '?'} s)")
    tap.ok(n_correct >= 2 and n_late >= 2,
           f"timing: {n_correct} correct rollovers and {n_late} late "
           "introductions checked")


def md_cells(line):
    """The cells of a Markdown table row ('\\|' is not a separator)."""
    import re
    return [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]


def check_rules(tap, sdir, docs, listing):
    import re
    path = os.path.join(sdir, "RULES.md")
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except OSError as e:
        tap.ok(False, f"scenarios/RULES.md: {e}")
        return
    defined = set(re.findall(r"^- \*\*(R-[A-Z0-9-]+)\*\*", text, re.M))
    b, e = text.find("<!-- rules:begin -->"), text.find("<!-- rules:end -->")
    rows = {}
    for ln in text[b:e].splitlines():
        c = md_cells(ln)
        if len(c) == 4 and c[0].startswith("`"):
            rows[c[0].strip("`")] = c
    actions = {}
    for ln in listing.splitlines():
        c = md_cells(ln)
        if len(c) == 5 and c[0].startswith("`"):
            actions[c[0].strip("`")] = (c[3], c[4])
    tap.ok(sorted(rows) == sorted(docs), "RULES.md has one row per "
           f"scenario (missing: {sorted(set(docs) - set(rows))}, extra: "
           f"{sorted(set(rows) - set(docs))})")
    for sid in sorted(docs):
        row = rows.get(sid)
        if row is None:
            continue
        ids = [x.strip() for x in row[1].split(",")]
        tap.ok(all(i in defined for i in ids) and
               (row[2], row[3]) == actions.get(sid),
               f"RULES.md {sid}: rules {ids} defined, actions "
               f"{(row[2], row[3])} == danelab list {actions.get(sid)}")
        with open(os.path.join(sdir, sid + ".yaml"), encoding="utf-8") as fh:
            body = fh.read()
        m = re.search(r"# (R-[A-Z0-9-]+(?:, R-[A-Z0-9-]+)*) "
                      r"\(scenarios/RULES\.md\)", body)
        tap.ok(m is not None and m.group(1).split(", ") == ids,
               f"{sid}: its expect comment names {ids}")


if __name__ == "__main__":
    sys.exit(main())
