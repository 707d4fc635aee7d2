#!/usr/bin/env python3
"""tlsa-match: the TLSA records danelab exports are the ones the scenario
declares, with association data computed independently with the openssl CLI.

For every scenario, and for timeline scenarios every phase (`danelab export
--phase NAME`), for every MX host, the effective TLSA item list (baseline,
overridden by the phases up to this one) is turned into expected records:

  * `cert: <fixture>` items from fixtures/pki/<fixture>.pem:
      selector 0  openssl x509 -outform DER
      selector 1  openssl x509 -pubkey -noout | openssl pkey -pubin -outform DER
      matching 0/1/2  raw / openssl dgst -sha256 / openssl dgst -sha512
  * `record: "u s m hex"` literal items as written.
  * `length: N` (with `cert`): the digest cut to, or padded with zero
    bytes to, N bytes.

Zone records of type TLSA (`zones[].records[]`, at any owner) are checked
the same way in the exported zone files: `cert:` with usage, selector and
matching computed with openssl as above, `data:` as written.  At an owner
no MX host publishes at, the RRset must be exactly the declared records.

and compared, as sets, with
  (a) tls/<host>/tlsa.txt of the export, and
  (b) the TLSA RRset at the same owner in the exported zone files.
The owner must be _<port>._tcp.<host> (or, for a CNAME host, the CNAME
target's).  TTLs are compared with tlsa-ttl (else the zone's ttl, else the
world ttl).  Every DANE-EE item computed from a certificate is also
cross-checked with `ldns-dane -c <pem> create` (offline).

Also per host and phase: tls/<host>/chain.pem is the phase's chain, leaf
first, certificate by certificate equal (DER) to the fixtures, and key.pem
holds the leaf's private key; the same for each `sni:` chain in
tls/<host>/sni/<name>/.
"""

import os
import re
import subprocess
import sys
import time

import dltest
from dltest import Tap


_cache = {}


def openssl_assoc(pem, selector, matching):
    """Association data (hex) for a certificate file, by the openssl CLI."""
    key = (pem, selector, matching)
    if key in _cache:
        return _cache[key]
    if selector == 0:
        der = subprocess.run(["openssl", "x509", "-in", pem, "-outform",
                              "DER"], capture_output=True, check=True).stdout
    elif selector == 1:
        spki_pem = subprocess.run(["openssl", "x509", "-in", pem, "-pubkey",
                                   "-noout"], capture_output=True,
                                  check=True).stdout
        der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "DER"],
                             input=spki_pem, capture_output=True,
                             check=True).stdout
    else:
        return None
    if matching == 0:
        data = der
    elif matching in (1, 2):
        alg = "-sha256" if matching == 1 else "-sha512"
        data = subprocess.run(["openssl", "dgst", alg, "-binary"], input=der,
                              capture_output=True, check=True).stdout
    else:
        return None
    _cache[key] = data.hex()
    return _cache[key]


def ldns_dane_assoc(pem, selector, matching):
    """The same, as ldns-dane computes it (usage 3 only)."""
    key = ("ldns-dane", pem, selector, matching)
    if key not in _cache:
        _cache[key] = _ldns_dane(pem, selector, matching)
    return _cache[key]


def _ldns_dane(pem, selector, matching):
    r = dltest.run(["ldns-dane", "-n", "-c", pem, "create", "x.invalid",
                    "25", "3", str(selector), str(matching)], timeout=30)
    if r.returncode != 0:
        return None, r.stderr.strip()
    tok = r.stdout.split()
    try:
        i = tok.index("TLSA")
    except ValueError:
        return None, r.stdout.strip()
    return "".join(tok[i + 4:]).lower(), None


def resized(data, length):
    """`length: N`: hex data cut to, or padded with zero bytes to, N bytes."""
    if length is None:
        return data
    n = int(length) * 2
    return data[:n] + "0" * max(0, n - len(data))


def expected_records(s, host, src, tap, label):
    """Expected {(u, s, m, hex)} for a host's effective item list, plus
    per-item descriptions; items we cannot compute are reported as skips."""
    want = {}
    for item in host["tlsa"]:
        if "cert" in item:
            u = dltest.tlsa_num(item["usage"], dltest.USAGES)
            sel = dltest.tlsa_num(item["selector"], dltest.SELECTORS)
            m = dltest.tlsa_num(item["matching"], dltest.MATCHINGS)
            pem = os.path.join(src, "fixtures", "pki", item["cert"] + ".pem")
            data = openssl_assoc(pem, sel, m)
            what = f"{u} {sel} {m} cert:{item['cert']}"
            if data is None:
                tap.ok(True, f"{label}: {what}",
                       skip=f"selector {sel}/matching {m} not computable")
                continue
            if u == 3 and sel in (0, 1) and m in (0, 1, 2):
                ld, err = ldns_dane_assoc(pem, sel, m)
                tap.ok(ld == data, f"{label}: {what} openssl={data[:16]}... "
                       f"ldns-dane={(ld or err or '')[:16]}...")
            if item.get("length") is not None:
                data = resized(data, item["length"])
                what += f" length:{item['length']}"
            want[(u, sel, m, data)] = what
        else:
            tok = str(item["record"]).split()
            u = dltest.tlsa_num(tok[0], dltest.USAGES)
            sel = dltest.tlsa_num(tok[1], dltest.SELECTORS)
            m = dltest.tlsa_num(tok[2], dltest.MATCHINGS)
            want[(u, sel, m, "".join(tok[3:]).lower())] = \
                f"literal {' '.join(tok[:3])} {''.join(tok[3:])[:16]}"
    return want


def fmt(rrs):
    return "{" + ", ".join(f"{u} {s} {m} {d[:16]}{'...' if len(d) > 16 else ''}"
                           for (u, s, m, d) in sorted(rrs)) + "}"


def der_of(pem_text):
    return subprocess.run(["openssl", "x509", "-outform", "DER"],
                          input=pem_text.encode(), capture_output=True,
                          check=True).stdout


def check_chain(label, h, hdir, src, tap):
    """tls/<host>/chain.pem is the phase's chain (leaf first, byte for byte
    the fixtures, compared as DER) and key.pem the leaf's private key."""
    path = os.path.join(hdir, "chain.pem")
    if not tap.ok(os.path.isfile(path), f"{label}: chain.pem exists"):
        return
    text = open(path).read()
    blocks = re.findall(r"-----BEGIN CERTIFICATE-----.*?"
                        r"-----END CERTIFICATE-----", text, re.S)
    got = [der_of(b) for b in blocks]
    want = [der_of(open(os.path.join(src, "fixtures", "pki", c + ".pem"))
                   .read()) for c in h["chain"]]
    names = []
    for g in got:
        m = [c for c, w in zip(h["chain"], want) if w == g]
        names.append(m[0] if m else "?")
    tap.ok(got == want, f"{label}: chain.pem expected={h['chain']} "
           f"got={names}")
    if not h["chain"]:
        return
    leaf = os.path.join(src, "fixtures", "pki", h["chain"][0] + ".pem")
    kpath = os.path.join(hdir, "key.pem")
    k = subprocess.run(["openssl", "pkey", "-in", kpath, "-pubout",
                        "-outform", "DER"], capture_output=True)
    tap.ok(k.returncode == 0 and k.stdout.hex() ==
           openssl_assoc(leaf, 1, 0),
           f"{label}: key.pem is the private key of {h['chain'][0]}")


def record_owner(name, zone):
    """A zone record's owner as the format resolves it: `@` the apex, a
    name ending in a dot or at/below the zone absolute, else relative."""
    name = str(name)
    if name == "@":
        return zone
    if name.endswith(".") or dltest.is_subdomain(dltest.fqdn(name), zone):
        return dltest.fqdn(name)
    return dltest.fqdn(name + "." + zone.rstrip(".")) if zone != "." \
        else dltest.fqdn(name)


def zone_record_tlsa(s, src, tap, label):
    """{owner: {(u, s, m, hex): what}} of the TLSA records written in
    zones[].records[], computed independently (cert) or as written (data)."""
    out = {}
    for zname, z in s.zones.items():
        for r in z.get("records") or []:
            if str(r.get("type", "")).upper() != "TLSA":
                continue
            owner = record_owner(r["name"], zname)
            if "cert" in r:
                u = dltest.tlsa_num(r["usage"], dltest.USAGES)
                sel = dltest.tlsa_num(r["selector"], dltest.SELECTORS)
                m = dltest.tlsa_num(r["matching"], dltest.MATCHINGS)
                pem = os.path.join(src, "fixtures", "pki", r["cert"] + ".pem")
                data = openssl_assoc(pem, sel, m)
                if data is None:
                    tap.ok(True, f"{label}: {owner} {u} {sel} {m}",
                           skip="not computable")
                    continue
                data = resized(data, r.get("length"))
                what = f"{u} {sel} {m} cert:{r['cert']}"
            else:
                tok = str(r["data"]).split()
                u = dltest.tlsa_num(tok[0], dltest.USAGES)
                sel = dltest.tlsa_num(tok[1], dltest.SELECTORS)
                m = dltest.tlsa_num(tok[2], dltest.MATCHINGS)
                data = "".join(tok[3:]).lower()
                what = f"literal {u} {sel} {m} {data[:16]}"
            out.setdefault(owner, {})[(u, sel, m, data)] = what
    return out


def check_zone_records(s, zone_tlsa, src, tap, label):
    """Zone TLSA records are in the exported zone at their owner; where no
    MX host publishes, the RRset is exactly the declared records."""
    host_owners = set()
    for h in s.hosts:
        host_owners.add(f"_{h['port']}._tcp.{h['name']}")
        if h["cname"]:
            host_owners.add(f"_{h['port']}._tcp.{h['cname']}")
    for owner, want in sorted(zone_record_tlsa(s, src, tap, label).items()):
        got = zone_tlsa.get(owner, {})
        for key, what in sorted(want.items(), key=lambda kv: kv[1]):
            tap.ok(key in got, f"{label}: zone record {owner} {what} "
                   f"expected={key[3][:24]}... in zone="
                   f"{'yes' if key in got else 'NO'}")
        if owner not in host_owners:
            tap.ok(set(got) == set(want), f"{label}: {owner} zone RRset="
                   f"{fmt(got)} equals the declared {fmt(want)}")


def check_export(s, phase_index, dest, src, tap):
    label0 = s.id + (f" [{s.phases[phase_index]['phase']}]"
                     if phase_index is not None else "")
    zone_tlsa = {}
    zdir = os.path.join(dest, "zones")
    for f in os.listdir(zdir):
        for owner, rrs in dltest.tlsa_rrs(
                dltest.parse_zone(os.path.join(zdir, f))).items():
            zone_tlsa.setdefault(owner, {}).update(rrs)

    check_zone_records(s, zone_tlsa, src, tap, label0)
    for h0 in s.hosts:
        h = s.host_at_phase(h0["name"], phase_index)
        label = f"{label0} {h['name']}"
        want = expected_records(s, h, src, tap, label)
        path = os.path.join(dest, "tls", dltest.plain(h["name"]), "tlsa.txt")
        check_chain(label, h, os.path.dirname(path), src, tap)
        raw = next((x for x in s.doc.get("mx") or []
                    if dltest.fqdn(x["host"]) == h["name"]), {})
        for sni, chain in (raw.get("sni") or {}).items():
            check_chain(f"{label} sni {sni}", {"chain": list(chain)},
                        os.path.join(os.path.dirname(path), "sni",
                                     dltest.plain(dltest.fqdn(sni))),
                        src, tap)
        rel = os.path.relpath(path, dest)
        if not tap.ok(os.path.isfile(path), f"{label}: {rel} exists"):
            continue
        txt = dltest.tlsa_rrs(dltest.parse_zone(path))
        owners = [f"_{h['port']}._tcp.{h['name']}"]
        if h["cname"]:
            owners.append(f"_{h['port']}._tcp.{h['cname']}")
        stray = set(txt) - set(owners)
        tap.ok(not stray, f"{label}: tlsa.txt owners {sorted(txt)} within "
               f"{owners}")
        owner = next((o for o in owners if o in txt), owners[-1])
        got_txt = txt.get(owner, {})
        got_zone = zone_tlsa.get(owner, {})
        for key, what in sorted(want.items(), key=lambda kv: kv[1]):
            tap.ok(key in got_txt and key in got_zone,
                   f"{label}: {what} expected={key[3][:24]}... "
                   f"in tlsa.txt={'yes' if key in got_txt else 'NO'} "
                   f"in zone={'yes' if key in got_zone else 'NO'}")
        ok = tap.ok(set(got_txt) == set(want),
                    f"{label}: {owner} TLSA set expected={fmt(want)} "
                    f"tlsa.txt={fmt(got_txt)}")
        ok &= tap.ok(set(got_zone) == set(got_txt),
                     f"{label}: {owner} zone file RRset={fmt(got_zone)} "
                     f"equals tlsa.txt")
        if not ok:
            tap.diag(open(path).read())
        if want:
            ttl = h["tlsa_ttl"] if h["tlsa_ttl"] is not None else \
                s.zone_ttl(s.zone_for(owner))
            ttls = set(got_zone.values()) | set(got_txt.values())
            tap.ok(ttls == {int(ttl)}, f"{label}: TLSA TTL expected={ttl} "
                   f"got={sorted(t for t in ttls if t is not None)}")


def main():
    danelab, src = dltest.args()
    dltest.need_tools("openssl", "ldns-dane")
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
            phases = [None] if not s.phases else range(len(s.phases))
            for pi in phases:
                pname = s.phases[pi]["phase"] if pi is not None else None
                dest = os.path.join(tmp, s.id.replace("/", "_") +
                                    (f"@{pname}" if pname else ""))
                r, dt = dltest.export(danelab, src, s.id, dest, pname)
                if not tap.ok(r.returncode == 0, f"{s.id}"
                              f"{' --phase ' + pname if pname else ''}: "
                              f"danelab export exit {r.returncode} "
                              f"({dt:.2f} s)"):
                    tap.diag(dltest.short(r.stderr))
                    continue
                try:
                    check_export(s, pi, dest, src, tap)
                except Exception as e:  # a malformed item: report, go on
                    tap.ok(False, f"{s.id}: cannot check: {e!r}")
    tap.diag(f"runtime {time.monotonic() - t_all:.1f} s for "
             f"{len(scens)} scenarios")
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
