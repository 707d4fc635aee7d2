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
  * a zone declared `signed: false` is not verified, but must carry no
    DNSSEC records (DNSKEY, RRSIG, NSEC, NSEC3).

Timeline scenarios are checked in their first phase (the default export).
Prints per zone: scenario, zone, expected, got.
"""

import os
import sys
import time

import dltest
from dltest import Tap


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
        dltest.skip_all("no scenarios in scenarios/")
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
            broken = {dltest.fqdn(f["zone"])
                      for kind, _, f in s.faults
                      if kind == "signatures" and "zone" in f}
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
            tap.diag(f"{s.id}: export {dt:.2f} s, total "
                     f"{time.monotonic() - t0:.2f} s")
    tap.diag(f"runtime {time.monotonic() - t_all:.1f} s for "
             f"{len(scens)} scenarios")
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
