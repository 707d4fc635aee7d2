#!/usr/bin/env python3
"""zones-verify: every exported signed zone passes ldns-verify-zone, except
the zones a scenario breaks on purpose.

For every scenario in scenarios/ (read here with PyYAML, not with danelab's
loader): `danelab export ID DIR` into a temporary directory, then

  * the set of zone files must be the set of zones the spec implies
    (declared zones, the mail domain, the MX host and CNAME target zones,
    and all their ancestors up to the root);
  * every zone not declared `signed: false` must carry a DNSKEY RRset and
    `ldns-verify-zone` must accept it -- unless a `signatures:` fault names
    the zone, in which case ldns-verify-zone must reject it;
  * its RRSIG validity periods are as the brief requires (valid ones span
    now with 7 days to spare; `expired`/`not-yet-valid` faults end/start
    at least 7 days away from now; `missing` leaves the RRset unsigned),
    its denial of existence is the declared one (nsec | nsec3), and when
    a signatures fault names one RRset, ldns-verify-zone complains about
    that RRset only;
  * a zone declared `signed: false` is not verified, but must carry no
    DNSSEC records (DNSKEY, RRSIG, NSEC, NSEC3).

Timeline scenarios are checked in their first phase (the default export).
Prints per zone: scenario, zone, expected, got.
"""

import calendar
import os
import re
import sys
import time

import dltest
from dltest import Tap


def check_precise(s, zone, output, tap):
    """When every signatures fault on zone names one RRset (name, type),
    ldns-verify-zone must complain about those RRsets only."""
    targets = []
    for kind, _, f in s.faults:
        if kind == "signatures" and dltest.fqdn(f["zone"]) == zone:
            if "name" not in f:
                return
            targets.append((dltest.fqdn(f["name"]),
                            str(f.get("type", "")).upper() or None))
    errs = [ln for ln in output.split("\n") if ln.startswith("Error:")]
    stray = []
    for ln in errs:
        m = re.search(r" for (\S+)\s+(\S+)\s*$", ln)
        if not m or not any(dltest.fqdn(m.group(1)) == n and
                            (t is None or m.group(2).upper() == t)
                            for n, t in targets):
            stray.append(ln)
    tap.ok(errs and not stray,
           f"{s.id}: zone {zone} ldns-verify-zone errors only for the "
           f"faulted RRsets {targets} ({len(errs)} errors, "
           f"{len(stray)} elsewhere{': ' + str(stray[:3]) if stray else ''})")


def rrsig_time(text):
    """RRSIG time field (YYYYMMDDHHmmSS or seconds) -> Unix time."""
    if len(text) == 14 and text.isdigit():
        return calendar.timegm(time.strptime(text, "%Y%m%d%H%M%S"))
    return int(text)


def duration(v):
    """A scenario duration ("-23h", "30m", "1d", "90s") -> seconds."""
    v = str(v).strip()
    unit = {"s": 1, "m": 60, "h": 3600, "d": 86400}[v[-1]]
    return int(v[:-1]) * unit


def timed_window(f, now):
    """(inception, expiration) a timed signatures fault asks for, from
    its offsets to now and its lifetime (default 30 days), or None."""
    if not any(k in f for k in ("inception", "expiration", "lifetime")):
        return None
    life = duration(f.get("lifetime", "30d"))
    if "inception" in f and "expiration" in f:
        return now + duration(f["inception"]), now + duration(f["expiration"])
    if "expiration" in f:
        exp = now + duration(f["expiration"])
        return exp - life, exp
    inc = now + duration(f["inception"]) if "inception" in f else now
    return inc, inc + life


def check_windows(s, zone, recs, tap):
    """RRSIG validity periods, against the brief: valid signatures span now
    with at least 7 days left; `expired` ones ended at least 7 days ago,
    `not-yet-valid` ones start at least 7 days ahead (validators tolerate
    clock skew); `missing` leaves the RRset without RRSIG."""
    now, week = time.time(), 7 * 86400
    faults = [(v, dltest.fqdn(f["name"]) if "name" in f else None,
               str(f["type"]).upper() if "type" in f else None, f)
              for kind, v, f in s.faults
              if kind == "signatures" and dltest.fqdn(f["zone"]) == zone]

    def fault_for(owner, rtype):
        for v, n, t, f in faults:
            if (n is None or n == owner) and (t is None or t == rtype):
                return v, f
        return None, None

    bad, counts = [], {}
    for owner, _, rtype, rd in recs:
        if rtype != "RRSIG" or len(rd) < 6:
            continue
        covered = rd[0].upper()
        exp, inc = rrsig_time(rd[4]), rrsig_time(rd[5])
        f, fd = fault_for(owner, covered)
        win = timed_window(fd, now) if fd else None
        if f is not None and not isinstance(f, str):
            f = str(f)
        counts[f or "valid"] = counts.get(f or "valid", 0) + 1
        if win is not None:
            # a timed fault: the dates it asks for, within the minutes
            # between the export and this check
            good = abs(inc - win[0]) <= 3600 and abs(exp - win[1]) <= 3600
        elif f == "expired":
            good = exp <= now - week
        elif f == "not-yet-valid":
            good = inc >= now + week
        elif f in ("corrupted",):
            good = True
        elif f == "missing":
            good = False
        else:
            good = inc <= now and exp >= now + week
        if not good:
            bad.append(f"{owner} RRSIG {covered} {rd[5]}..{rd[4]}"
                       f" ({f or 'valid'})")
    # a missing-signatures fault must leave its RRsets unsigned
    signed_sets = {(o, rd[0].upper()) for o, _, rt, rd in recs
                   if rt == "RRSIG"}
    for v, n, t, _ in faults:
        if v == "missing" and n and t and (n, t) in signed_sets:
            bad.append(f"{n} {t} still has an RRSIG (fault: missing)")
    tap.ok(not bad, f"{s.id}: zone {zone} RRSIG validity periods "
           f"{counts} as required (7-day margins)"
           + (f"; wrong: {bad[:4]}" if bad else ""))


def main():
    danelab, src = dltest.args()
    dltest.need_tools("ldns-verify-zone")
    dltest.need_yaml()
    dltest.setup_signals()
    scens, errors = dltest.catalogue(src)
    tap = Tap()
    for path, msg in errors:
        tap.ok(False, f"{path}: YAML parse: {msg}")
    if not scens and not errors:
        dltest.fail_all("no scenarios in scenarios/")
    t_all = time.monotonic()

    with dltest.TempDir() as tmp:
        for s in scens:
            t0 = time.monotonic()
            dest = os.path.join(tmp, s.id.replace("/", "_"))
            r, dt = dltest.export(danelab, src, s.id, dest)
            if not tap.ok(r.returncode == 0,
                          f"{s.id}: danelab export exit {r.returncode}"):
                tap.diag(dltest.short(r.stderr))
                continue
            def published(zn, key):
                z = s.zones.get(dltest.fqdn(zn)) or {}
                return any(k.get("key") == key and
                           k.get("published", True)
                           for k in (z.get("dnskeys") or []))
            # a signatures fault breaks its zone, but "valid" re-signed
            # by a published key does not
            broken = {dltest.fqdn(f["zone"])
                      for kind, v, f in s.faults
                      if kind == "signatures" and "zone" in f and
                      (str(v) != "valid" or
                       ("key" in f and not published(f["zone"], f["key"])))}
            by_fault = set(broken)
            # a key set whose signing key is not published (a ZSK
            # removed too early): ldns-verify-zone cannot verify
            for zn, z in s.zones.items():
                if any(k.get("signs", True) and not k.get("published", True)
                       for k in (z.get("dnskeys") or [])):
                    broken.add(dltest.fqdn(zn))
            by_fault -= {dltest.fqdn(zn) for zn, z in s.zones.items()
                         if z.get("dnskeys")}
            zdir = os.path.join(dest, "zones")
            files = sorted(f for f in os.listdir(zdir) if f.endswith(".zone"))
            got_zones = {dltest.zone_of_file(f) for f in files}
            want_zones = s.expected_zones()
            tap.ok(got_zones == want_zones,
                   f"{s.id}: zone set expected={sorted(want_zones)} "
                   f"got={sorted(got_zones)}")

            for f in files:
                zone = dltest.zone_of_file(f)
                path = os.path.join(zdir, f)
                recs = dltest.parse_zone(path)
                types = {rt for _, _, rt, _ in recs}
                if not s.zone_signed(zone):
                    dnssec = types & {"DNSKEY", "RRSIG", "NSEC", "NSEC3"}
                    tap.ok(not dnssec,
                           f"{s.id}: zone {zone} expected=unsigned "
                           f"got={'signed ' + str(sorted(dnssec)) if dnssec else 'unsigned'}"
                           " (not verified)")
                    continue
                apex_keys = [1 for o, _, rt, _ in recs
                             if rt == "DNSKEY" and o == zone]
                check_windows(s, zone, recs, tap)
                denial = str((s.zones.get(zone) or {}).get("denial", "nsec"))
                has = "nsec3" if "NSEC3" in types else \
                    "nsec" if "NSEC" in types else "none"
                tap.ok(has == denial.lower() and not
                       ("NSEC" in types and "NSEC3" in types),
                       f"{s.id}: zone {zone} denial expected={denial} "
                       f"got={has}")
                v = dltest.run(["ldns-verify-zone", path], timeout=60)
                got = "pass" if v.returncode == 0 else "fail"
                want = "fail" if zone in broken else "pass"
                why = " (signatures fault)" if zone in broken else ""
                ok = tap.ok(got == want and apex_keys,
                            f"{s.id}: zone {zone} expected={want}{why} "
                            f"got={got} (ldns-verify-zone exit "
                            f"{v.returncode}, {len(apex_keys)} DNSKEY)")
                if not ok or got == "fail":
                    tap.diag(dltest.short(v.stdout + v.stderr, 2000))
                if zone in by_fault and got == "fail":
                    check_precise(s, zone, v.stdout + v.stderr, tap)
            tap.diag(f"{s.id}: export {dt:.2f} s, total "
                     f"{time.monotonic() - t0:.2f} s")
    tap.diag(f"runtime {time.monotonic() - t_all:.1f} s for "
             f"{len(scens)} scenarios")
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
