#!/usr/bin/env python3
"""export-errors: `danelab export` is atomic and fails cleanly.

With one catalogue scenario (the first control/ one, else the first):

  * into an existing non-empty directory: exit 2, directory untouched
    (names, contents, modes, mtimes), no *.tmp-* sibling left;
  * into an existing regular file: exit 2, file untouched;
  * into a path whose parent does not exist: exit 2, nothing created;
  * unknown scenario id, malformed id, unknown --phase, bad --time,
    missing arguments: exit 2, nothing created;
  * with a fixture of the chain corrupted (a copy of fixtures/ given with
    --fixtures), so the export fails after it started writing: non-zero
    exit, neither the directory nor a *.tmp-* sibling left;
  * success into a new directory and into an existing empty directory:
    exit 0, the documented layout is there (zones/, keys/, anchor/root.key
    root.ds trust-anchors.conf, tls/<host>/chain.pem key.pem tlsa.txt, nsd/,
    unbound/unbound.conf root.hints, executable start.sh and stop.sh,
    README.txt, empty run/), key.pem not world-readable, and no *.tmp-*
    sibling;
  * the same failure into an existing empty directory leaves no *.tmp-*
    sibling and no partial content;
  * a relative destination with a trailing slash works, and every path in
    the NSD and unbound configurations is absolute, under the export.
"""

import os
import re
import shutil
import stat
import sys
import tempfile
import time

import dltest
from dltest import Tap


def snapshot(top):
    """{relative path: (mode, size, mtime_ns, content or None)} of a tree."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(top):
        for n in dirnames + filenames:
            p = os.path.join(dirpath, n)
            st = os.lstat(p)
            data = open(p, "rb").read() if stat.S_ISREG(st.st_mode) else None
            out[os.path.relpath(p, top)] = (st.st_mode, st.st_size,
                                            st.st_mtime_ns, data)
    return out


def listing(d):
    return sorted(os.listdir(d))


def main():
    danelab, src = dltest.args()
    dltest.need_yaml()
    dltest.setup_signals()
    scens, _ = dltest.catalogue(src)
    if not scens:
        dltest.fail_all("no scenarios in scenarios/")
    s = next((x for x in scens if x.id.startswith("control/")), scens[0])
    tap = Tap()
    tap.diag(f"scenario used: {s.id}")
    t_all = time.monotonic()

    def dl(*argv, fixtures=None):
        cmd = dltest.danelab_cmd(danelab, src, *argv)
        if fixtures:
            cmd[2] = fixtures
        return dltest.run(cmd)

    def expect_fail(desc, r, parent, before, code=2):
        after = listing(parent)
        ok = tap.ok(r.returncode == code,
                    f"{desc}: exit expected={code} got={r.returncode}")
        tmps = [n for n in after if ".tmp-" in n]
        ok &= tap.ok(after == before and not tmps,
                     f"{desc}: {parent} unchanged (before={before} "
                     f"after={after})")
        if not ok:
            tap.diag(r.stdout + r.stderr)
        else:
            tap.diag(f"stderr: {dltest.short(r.stderr, 300)}")

    with dltest.TempDir() as tmp:
        # existing, non-empty directory
        full = os.path.join(tmp, "full")
        os.makedirs(os.path.join(full, "sub"))
        with open(os.path.join(full, "keep.txt"), "w") as fp:
            fp.write("precious\n")
        with open(os.path.join(full, "sub", "zones"), "w") as fp:
            fp.write("not a directory\n")
        snap = snapshot(full)
        before = listing(tmp)
        r = dl("export", s.id, full)
        expect_fail("export into a non-empty directory", r, tmp, before)
        tap.ok(snapshot(full) == snap, "non-empty directory untouched "
               f"({len(snap)} entries compared: names, modes, sizes, "
               "mtimes, contents)")

        # existing regular file
        afile = os.path.join(tmp, "afile")
        with open(afile, "w") as fp:
            fp.write("data\n")
        st0 = os.stat(afile)
        before = listing(tmp)
        r = dl("export", s.id, afile)
        expect_fail("export onto a regular file", r, tmp, before)
        st1 = os.stat(afile)
        tap.ok(open(afile).read() == "data\n" and
               st0.st_mtime_ns == st1.st_mtime_ns, "regular file untouched")

        # parent does not exist
        before = listing(tmp)
        r = dl("export", s.id, os.path.join(tmp, "nope", "sub", "out"))
        expect_fail("export under a missing parent", r, tmp, before)

        # bad ids, phase, time, arguments
        out = os.path.join(tmp, "out")
        for desc, argv in [
                ("unknown scenario id", ["export", "no/such-scenario", out]),
                ("malformed scenario id", ["export", "../Bad_Id", out]),
                ("unknown phase", ["export", "--phase", "no-such-phase",
                                   s.id, out]),
                ("bad --time", ["export", "--time", "yesterday", s.id, out]),
                ("missing DIR", ["export", s.id]),
                ("no arguments", ["export"]),
                ("extra argument", ["export", s.id, out, out + "2"])]:
            before = listing(tmp)
            expect_fail(desc, dl(*argv), tmp, before)

        # failure after the export started writing: corrupt the last
        # certificate of the first host's chain in a copy of fixtures/.
        h = s.hosts[0]
        fx = os.path.join(tmp, "fixtures")
        shutil.copytree(os.path.join(src, "fixtures"), fx)
        # prefer a certificate not used for TLSA, so world building passes
        # and the export itself fails half-way (exercising the rollback)
        pinned = {i.get("cert") for i in h["tlsa"]}
        victims = [c for c in h["chain"] if c not in pinned] or h["chain"]
        victim = victims[-1] if victims else None
        if victim:
            with open(os.path.join(fx, "pki", victim + ".pem"), "w") as fp:
                fp.write("-----BEGIN CERTIFICATE-----\nnot base64 !\n"
                         "-----END CERTIFICATE-----\n")
            before = listing(tmp)
            r = dl("export", s.id, out, fixtures=fx)
            after = listing(tmp)
            ok = tap.ok(r.returncode != 0 and after == before,
                        f"export with corrupted fixture {victim}.pem: exit "
                        f"{r.returncode} (expected non-zero), nothing left "
                        f"(before={before} after={after})")
            tap.diag(dltest.short(r.stderr, 500))
            # the same failure into an existing empty directory: the spec
            # (export.h) says "dir is complete or it does not exist"
            empty = os.path.join(tmp, "empty")
            os.mkdir(empty)
            before = listing(tmp)
            r = dl("export", s.id, empty, fixtures=fx)
            after = listing(tmp)
            tmps = [n for n in after if ".tmp-" in n]
            tap.ok(r.returncode != 0 and not tmps and
                   (not os.path.exists(empty) or not os.listdir(empty)),
                   f"failed export into an existing empty directory: exit "
                   f"{r.returncode}, no *.tmp-* sibling, directory "
                   f"{'kept, empty' if os.path.isdir(empty) else 'removed'}")
            if os.path.isdir(empty):
                os.rmdir(empty)
        shutil.rmtree(fx)

        # relative destination and trailing slash: the configurations must
        # still name absolute paths (start.sh may run from anywhere)
        r = dltest.run(dltest.danelab_cmd(danelab, src, "export", s.id,
                                          "rel-out/"), cwd=tmp)
        dest = os.path.join(tmp, "rel-out")
        if tap.ok(r.returncode == 0 and os.path.isdir(dest),
                  f"export to a relative path with a trailing slash "
                  f"(rel-out/): exit {r.returncode}"):
            conf = open(os.path.join(dest, "unbound", "unbound.conf")).read()
            paths = re.findall(r'(?:directory|root-hints|trust-anchor-file|'
                               r'pidfile):\s*"?([^"\s]+)', conf)
            for f in os.listdir(os.path.join(dest, "nsd")):
                conf = open(os.path.join(dest, "nsd", f)).read()
                paths += re.findall(r'(?:zonesdir|pidfile):\s*"?([^"\s]+)',
                                    conf)
            rel = [p for p in paths if not p.startswith(dest + "/")
                   and p != dest]
            tap.ok(paths and not rel, f"relative export: {len(paths)} "
                   f"configured paths are absolute, under {dest} "
                   f"(other: {rel[:3]})")
            shutil.rmtree(dest)
        else:
            tap.diag(r.stderr)

        # success, new directory
        for desc, make in [("a new directory", False),
                           ("an existing empty directory", True)]:
            dest = os.path.join(tmp, "ok-" + ("empty" if make else "new"))
            if make:
                os.mkdir(dest)
            t0 = time.monotonic()
            r = dl("export", s.id, dest)
            dt = time.monotonic() - t0
            if not tap.ok(r.returncode == 0,
                          f"export into {desc}: exit {r.returncode} "
                          f"({dt:.2f} s)"):
                tap.diag(r.stderr)
                continue
            tmps = [n for n in listing(tmp) if ".tmp-" in n]
            tap.ok(not tmps, f"export into {desc}: no *.tmp-* sibling "
                   f"(siblings: {listing(tmp)})")
            want = ["README.txt", "start.sh", "stop.sh", "anchor/root.key",
                    "anchor/root.ds", "anchor/trust-anchors.conf",
                    "unbound/unbound.conf", "unbound/root.hints",
                    "zones/root.zone", "nsd/root.conf"]
            for host in s.hosts:
                for f in ("chain.pem", "key.pem", "tlsa.txt"):
                    want.append(f"tls/{dltest.plain(host['name'])}/{f}")
            missing = [f for f in want
                       if not os.path.isfile(os.path.join(dest, f))]
            tap.ok(not missing, f"export into {desc}: layout has "
                   f"{len(want)} expected files (missing: {missing})")
            tap.ok(os.path.isdir(os.path.join(dest, "keys")) and
                   os.path.isdir(os.path.join(dest, "run")) and
                   not os.listdir(os.path.join(dest, "run")),
                   f"export into {desc}: keys/ present, run/ empty")
            tap.ok(all(os.access(os.path.join(dest, f), os.X_OK)
                       for f in ("start.sh", "stop.sh")),
                   f"export into {desc}: start.sh, stop.sh executable")
            keys = [os.path.join(dest, f) for f in want
                    if f.endswith("key.pem")]
            for dirpath, _, files in os.walk(os.path.join(dest, "keys")):
                keys += [os.path.join(dirpath, f) for f in files
                         if f.endswith(".private")]
            loose = [k for k in keys if os.path.exists(k) and
                     os.stat(k).st_mode & 0o077]
            tap.ok(not loose, f"export into {desc}: {len(keys)} private keys "
                   f"(key.pem, *.private) mode 0600 "
                   f"(too open: {loose})")
            zones = sorted(os.listdir(os.path.join(dest, "zones")))
            confs = sorted(os.listdir(os.path.join(dest, "nsd")))
            tap.ok([z[:-5] for z in zones] == [c[:-5] for c in confs],
                   f"export into {desc}: one nsd/<zone>.conf per zone "
                   f"file ({len(zones)} zones)")
    hostile_paths(tap, dl, expect_fail, s.id)
    readme_limits(tap, dl, scens)
    tap.diag(f"runtime {time.monotonic() - t_all:.1f} s")
    return tap.done()


def fault_lines(path):
    """Line (1-based) of each item of the scenario's faults: list, read
    with PyYAML's composer (independently of danelab's loader)."""
    import yaml
    with open(path, encoding="utf-8") as fp:
        root = yaml.compose(fp)
    for k, v in root.value:
        if k.value == "faults" and isinstance(v, yaml.SequenceNode):
            return [item.start_mark.line + 1 for item in v.value]
    return []


# Denial-proof faults: NSD serves the proof the zone file holds.
DENIAL_FAULTS = ("proof-missing", "proof-wrong", "soa-changed")


def readme_limits(tap, dl, scens):
    """Issue 14 item 4: the export's README.txt lists every fault of the
    world that NSD and unbound cannot play (DNS protocol faults) or that
    nothing in the export plays (STARTTLS faults: no SMTP server), by
    kind and scenario line, with what a user of the export sees instead;
    a world without such a fault says so; a timeline export says it is
    one phase."""
    picked = [s for s in scens if any(k in ("dns", "starttls")
                                      for k, _, _ in s.faults)]
    clean = next((s for s in scens if not s.faults and not s.phases), None)
    timeline = next((s for s in scens if len(s.phases) > 1), None)
    with tempfile.TemporaryDirectory(prefix="dl-exp-readme.") as tmp:
        for n, s in enumerate(picked + [x for x in (clean, timeline) if x]):
            dest = os.path.join(tmp, str(n))
            r = dl("export", s.id, dest)
            if not tap.ok(r.returncode == 0, f"{s.id}: export exit "
                          f"{r.returncode}"):
                tap.diag(r.stderr)
                continue
            with open(os.path.join(dest, "README.txt"),
                      encoding="utf-8") as fp:
                text = fp.read()
            section = text.partition("What this export does not "
                                     "reproduce:\n")[2]
            tap.ok(section != "", f"{s.id}: README.txt has the section "
                   "'What this export does not reproduce'")
            lines = fault_lines(s.path)
            for i, (kind, value, f) in enumerate(s.faults):
                if kind not in ("dns", "starttls"):
                    continue
                if isinstance(value, bool):  # YAML 1.1: off is false
                    value = "on" if value else "off"
                head = f"fault '{value}', line {lines[i]} of {s.id}:"
                where = f.get("name") if kind == "dns" else f.get("host")
                body = section.partition(head)[2].split("\n  - ")[0]
                tap.ok(head in section and
                       dltest.plain(where) in body and
                       (("NSD serves the zone file's intact proof" in body)
                        if kind == "dns" and value in DENIAL_FAULTS else
                        ("NSD answers normally" in body) if kind == "dns"
                        else ("no SMTP server" in body)),
                       f"{s.id}: README lists {kind} fault '{value}' at "
                       f"line {lines[i]} on {where} and what the export "
                       f"does instead")
            if s is clean:
                tap.ok("no fault of this world is left out" in section,
                       f"{s.id}: README says no fault is left out")
            if s is timeline:
                tap.ok(f"one of its {len(s.phases)} phases" in section,
                       f"{s.id}: README says the export is one of "
                       f"{len(s.phases)} phases")
            tap.ok("no STARTTLS server is started" in section,
                   f"{s.id}: README says no SMTP server runs")


def hostile_paths(tap, dl, expect_fail, sid):
    """Issue 12 row 2: the export's path lands in start.sh, README.txt and
    the NSD and unbound configurations.  A newline or a '"' (which those
    configuration strings cannot carry) is refused, naming the character
    and its byte, with nothing written; a quote, '$', a space, a backslash
    or a backquote is carried: the commands shown in start.sh, README.txt
    and the configs' comments, run by sh, reach the export, and unbound
    and NSD read every path back unchanged."""
    with dltest.TempDir() as tmp:
        for name, ch, what in (("ok\ntouch INJ\n#", "\n", "a newline"),
                               ('a"b', '"', "'\"'"),
                               ("a\tb", "\t", "a tab")):
            dest = os.path.join(tmp, name)
            before = listing(tmp)
            r = dl("export", sid, dest)
            expect_fail(f"export to a path with {what}", r, tmp, before)
            at = len(os.path.realpath(tmp)) + 1 + name.index(ch) + 1
            tap.ok(f"holds {what} at byte {at}" in r.stderr,
                   f"export to a path with {what}: the error names it and "
                   f"its byte {at} ({dltest.short(r.stderr, 200)})")
        tap.ok(not os.path.exists(os.path.join(tmp, "INJ")) and
               not os.path.exists("INJ"),
               "no command of the path ran")
        for name in ("it's", "$HOME x", "a b", "back\\slash", "`id`",
                     "all '$\\ `\"x\"`"[:-4]):
            dest = os.path.join(tmp, name)
            r = dl("export", sid, dest)
            if not tap.ok(r.returncode == 0, f"export to {name!r}: exit 0 "
                          f"got {r.returncode} {dltest.short(r.stderr, 200)}"):
                continue
            cds = []
            nsd = os.path.join("nsd", sorted(os.listdir(
                os.path.join(dest, "nsd")))[0])
            for f in ("start.sh", "README.txt", "unbound/unbound.conf", nsd):
                for line in open(os.path.join(dest, f)):
                    m = re.search(r"\bcd ('(?:[^']|'\\'')*')", line)
                    if m:
                        cds.append(m.group(1))
            ok = len(cds) == 4
            for word in cds:
                r2 = dltest.run(["sh", "-c", f"cd {word} && pwd -P"],
                                cwd=tmp)
                ok &= r2.stdout.rstrip("\n") == os.path.realpath(dest)
            tap.ok(ok, f"export to {name!r}: the 'cd' commands of start.sh, "
                   f"README.txt, unbound.conf, {nsd} reach it in sh "
                   f"({cds})")
            r2 = dltest.run(["sh", "-n", os.path.join(dest, "start.sh")])
            tap.ok(r2.returncode == 0, f"export to {name!r}: start.sh "
                   f"parses ({r2.stderr.strip()})")
            uc = shutil.which("unbound-checkconf")
            if uc:
                r2 = dltest.run([uc, "-o", "root-hints",
                                 os.path.join(dest, "unbound/unbound.conf")])
                tap.ok(r2.stdout.strip() == os.path.realpath(dest) +
                       "/unbound/root.hints", f"export to {name!r}: "
                       f"unbound reads its path back ({r2.stdout.strip()})")
            nc = shutil.which("nsd-checkconf")
            if nc:
                conf = os.path.join(dest, "nsd", sorted(os.listdir(
                    os.path.join(dest, "nsd")))[0])
                r2 = dltest.run([nc, "-o", "zonesdir", conf])
                tap.ok(r2.stdout.strip() == os.path.realpath(dest) +
                       "/zones", f"export to {name!r}: NSD reads its path "
                       f"back ({r2.stdout.strip()})")


if __name__ == "__main__":
    sys.exit(main())
