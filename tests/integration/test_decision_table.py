#!/usr/bin/env python3
"""decision-table: an oracle for the catalogue that is not the project.

Every scenario's expected actions (`expect.dane`, `expect.dane-only`, and
those of every timeline phase) are derived here from the world's DECLARED
FACTS ONLY, with an independent decision table written from the RFC rules
(RFC 7672, RFC 7671, RFC 6698, RFC 4035, RFC 6840; dane-only: Postfix's
mandatory DANE), written from the RFC text and the project's brief, not
from scenarios/RULES.md, and compared with what the scenario declares.

Written apart from the reference client (harness/refclient/): it neither
reads nor imports it, nor danelab's loader; it reads the YAML itself and
the fixture certificates (fixtures/pki/<id>.pem) with its own small DER
reader (stdlib only).  The openssl CLI, when installed, only confirms the
signatures along a DANE-TA path (`openssl verify -partial_chain`).

What it derives from:
  * zones: signed or not, DS faults (missing, mismatch, unsupported
    algorithm or digest), signature faults (whole zone or one RRset), DNS
    faults (servfail, refused, timeout, lame, truncate + tcp-refused);
    the implicit zones of the scenario format;
  * the MX hosts in preference order, their CNAMEs, their TLSA RRsets
    (from `cert:` fixtures, literal `record:`s and TLSA records in zones)
    versus the chain each one serves, their STARTTLS behaviour;
  * timelines: phases change chains, TLSA RRsets and TTLs; the lab
    resolver keeps a TLSA RRset for its TTL (the client runs at every
    phase start, every host's TLSA is looked up at every phase start).
It never reads `expect.dane` / `expect.dane-only` to derive anything; it
derives the DNSSEC states of the MX, address and TLSA lookups itself and
also checks them against `expect.mx`, `expect.address`, `expect.tlsa`.

Expectations may be scalars (`auth`), lists (accepted sets, `[opportunistic,
auth]`, the first being the primary) or host maps whose values are either;
sets are compared as sets, host maps per host and overall.

Run: python3 test_decision_table.py DANELAB_BINARY SOURCE_ROOT [DIR]
(the binary is not used; DIR defaults to SOURCE_ROOT/scenarios).  TAP
output, one line per scenario/phase/policy; exit 0, 1 on any
disagreement, 77 if PyYAML is missing.  DANELAB_ORACLE_VERBOSE=1 prints
each host's reasoning.
"""

import base64
import datetime
import glob
import hashlib
import itertools
import os
import shutil
import subprocess
import sys
import tempfile

SKIP = 77

AUTH, ENCRYPT, OPP, NEXT, DEFER = ("auth", "encrypt", "opportunistic",
                                   "next-mx", "defer")
HOST_ACTIONS = (AUTH, ENCRYPT, OPP, NEXT)
OVERALL_ACTIONS = (AUTH, ENCRYPT, OPP, DEFER)

SECURE, INSECURE, BOGUS, INDET = ("secure", "insecure", "bogus",
                                  "indeterminate")
FAILED = (BOGUS, INDET)          # RFC 7672 2.1.1: both are lookup failures

USAGES = {"pkix-ta": 0, "pkix-ee": 1, "dane-ta": 2, "dane-ee": 3}
SELECTORS = {"cert": 0, "spki": 1}
MATCHINGS = {"full": 0, "sha2-256": 1, "sha2-512": 2}


class Underivable(Exception):
    """The declared facts do not decide the outcome (see the README)."""


# ------------------------------------------------------------------ names


def fq(name):
    """Absolute, lower case, trailing dot; the root is '.'."""
    name = str(name).strip().lower()
    if name in ("", ".", "@"):
        return "."
    return name.rstrip(".") + "."


def parent(name):
    if name == ".":
        return None
    rest = name.split(".", 1)[1]
    return rest if rest else "."


def at_or_below(name, zone):
    return zone == "." or name == zone or name.endswith("." + zone)


def labels(name):
    return 0 if name == "." else len(name.rstrip(".").split("."))


# ------------------------------------------------------------ DER / certs


def _tlv(buf, i):
    """(tag, content start, content end) of the DER element at i."""
    tag = buf[i]
    n = buf[i + 1]
    i += 2
    if n & 0x80:
        k = n & 0x7F
        n = int.from_bytes(buf[i:i + k], "big")
        i += k
    return tag, i, i + n


def _children(buf, start, end):
    out = []
    i = start
    while i < end:
        tag, s, e = _tlv(buf, i)
        out.append((tag, i, s, e))
        i = e
    return out


def _time(tag, raw):
    s = raw.decode("ascii").rstrip("Z")
    if tag == 0x17:                      # UTCTime, RFC 5280 4.1.2.5.1
        yy = int(s[:2])
        s = ("19" if yy >= 50 else "20") + s
    return datetime.datetime.strptime(s[:14], "%Y%m%d%H%M%S").replace(
        tzinfo=datetime.timezone.utc)


OID_CN = bytes.fromhex("550403")
OID_SAN = bytes.fromhex("551d11")
OID_SKI = bytes.fromhex("551d0e")
OID_AKI = bytes.fromhex("551d23")
OID_BC = bytes.fromhex("551d13")


class Cert:
    """What the decision needs from one fixture certificate."""

    def __init__(self, fid, der):
        self.id = fid
        self.der = der
        _, s, e = _tlv(der, 0)
        tbs = _children(der, s, e)[0]
        f = _children(der, tbs[2], tbs[3])
        if f[0][0] == 0xA0:              # [0] version
            f = f[1:]
        subject, spki = f[4], f[5]       # serial, sigalg, issuer, validity
        self.issuer = der[f[2][1]:f[2][3]]
        self.subject = der[subject[1]:subject[3]]
        self.spki = der[spki[1]:spki[3]]
        val = _children(der, f[3][2], f[3][3])
        self.not_before = _time(val[0][0], der[val[0][2]:val[0][3]])
        self.not_after = _time(val[1][0], der[val[1][2]:val[1][3]])
        self.cn = []
        for rdnset in _children(der, subject[2], subject[3]):
            for atv in _children(der, rdnset[2], rdnset[3]):
                oid, val_ = _children(der, atv[2], atv[3])[:2]
                if der[oid[2]:oid[3]] == OID_CN:
                    self.cn.append(der[val_[2]:val_[3]].decode("utf-8",
                                                               "replace"))
        self.dns = []
        self.ski = self.aki = None
        self.ca = False
        for x in f[6:]:
            if x[0] != 0xA3:
                continue
            exts = _children(der, x[2], x[3])[0]
            for ext in _children(der, exts[2], exts[3]):
                parts = _children(der, ext[2], ext[3])
                oid = der[parts[0][2]:parts[0][3]]
                octs = parts[-1]
                inner = _tlv(der, octs[2])
                if oid == OID_SAN:
                    for gn in _children(der, inner[1], inner[2]):
                        if gn[0] == 0x82:    # dNSName
                            self.dns.append(der[gn[2]:gn[3]].decode())
                elif oid == OID_SKI:
                    self.ski = der[inner[1]:inner[2]]
                elif oid == OID_AKI:
                    for k in _children(der, inner[1], inner[2]):
                        if k[0] == 0x80:
                            self.aki = der[k[2]:k[3]]
                elif oid == OID_BC:
                    kids = _children(der, inner[1], inner[2])
                    self.ca = bool(kids and kids[0][0] == 0x01
                                   and der[kids[0][2]] != 0)

    def assoc(self, selector, matching):
        """TLSA association data for this certificate (RFC 6698 2.1)."""
        sel = {0: self.der, 1: self.spki}.get(selector)
        if sel is None:
            return None
        if matching == 0:
            return sel
        if matching == 1:
            return hashlib.sha256(sel).digest()
        if matching == 2:
            return hashlib.sha512(sel).digest()
        return None


class Fixtures:
    def __init__(self, root):
        self.root = os.path.join(root, "fixtures", "pki")
        self.cache = {}

    def get(self, fid):
        if fid not in self.cache:
            path = os.path.join(self.root, fid + ".pem")
            with open(path) as fh:
                pem = fh.read()
            body = pem.split("-----BEGIN CERTIFICATE-----")[1].split(
                "-----END CERTIFICATE-----")[0]
            self.cache[fid] = Cert(fid, base64.b64decode("".join(
                body.split())))
        return self.cache[fid]

    def path(self, fid):
        return os.path.join(self.root, fid + ".pem")


# ------------------------------------------------------------ the world


def starttls_mode(v):
    """PyYAML reads YAML 1.1: a bare `on` / `off` arrives as a boolean."""
    return {True: "on", False: "off"}.get(v, str(v)) if isinstance(
        v, bool) else str(v)


def _num(v, table):
    if isinstance(v, int):
        return v
    s = str(v).strip().lower()
    return table[s] if s in table else int(s)


class Tlsa:
    """One TLSA record: numbers and association data (bytes)."""

    def __init__(self, usage, selector, matching, data, text):
        self.usage, self.selector, self.matching = usage, selector, matching
        self.data = data
        self.text = text

    def __repr__(self):
        return self.text


def parse_tlsa_text(text):
    parts = str(text).split()
    u = _num(parts[0], USAGES)
    s = _num(parts[1], SELECTORS)
    m = _num(parts[2], MATCHINGS)
    hx = "".join(parts[3:])
    try:
        data = bytes.fromhex(hx)
    except ValueError:
        data = b""
    return Tlsa(u, s, m, data, f"{u} {s} {m} {hx[:8]}..")


def tlsa_item(item, fx):
    """A `mx[].tlsa[]` item; its `unusable:` flag is NOT read (usability is
    derived by rule_usable)."""
    if "record" in item:
        return parse_tlsa_text(item["record"])
    u = _num(item["usage"], USAGES)
    s = _num(item["selector"], SELECTORS)
    m = _num(item["matching"], MATCHINGS)
    data = fx.get(item["cert"]).assoc(s, m) or b""
    text = f"{u} {s} {m} <{item['cert']}>"
    if "length" in item:
        # the digest cut or padded with zeros to `length` bytes
        n = int(item["length"])
        data = (data + bytes(n))[:n]
        text += f" len {n}"
    return Tlsa(u, s, m, data, text)


class Host:
    def __init__(self, d, fx):
        self.name = fq(d["host"])
        self.pref = int(d.get("preference", 10))
        self.cname = fq(d["cname"]) if d.get("cname") else None
        self.port = int(d.get("port", 25))
        self.chain = list(d["chain"])
        # the chain served per SNI name; `chain` for none or another
        self.sni = {fq(k): list(v) for k, v in (d.get("sni") or {}).items()}
        self.starttls = starttls_mode(d.get("starttls", "on"))
        self.tlsa_ttl = d.get("tlsa-ttl")
        # RFC 8996: a server that speaks only TLS 1.0/1.1 (tls-max below
        # 1.2) gets no handshake from a current client
        self.old_tls = str(d.get("tls-max", "1.3")) in ("1.0", "1.1")
        self.tlsa = [tlsa_item(t, fx) for t in (d.get("tlsa") or [])]

    @property
    def target(self):
        """Where the address and TLSA records live."""
        return self.cname or self.name


class World:
    """The declared facts of one scenario (expectations excluded)."""

    def __init__(self, doc, fx):
        self.fx = fx
        self.domain = fq(doc["domain"])
        self.ttl = int(doc.get("ttl", 3600))
        self.hosts = [Host(h, fx) for h in doc["mx"]]
        self.faults = list(doc.get("faults") or [])
        self.decl = {}
        for z in doc.get("zones") or []:
            self.decl[fq(z["name"])] = z
        self.zones = self._zone_set()
        self.extra_tlsa = {}             # owner -> [Tlsa], from zone records
        self.extra_ttl = {}              # owner -> TTL, when a record has one
        for zname, z in self.decl.items():
            for r in z.get("records") or []:
                if str(r["type"]).upper() != "TLSA":
                    continue
                owner = self._owner(str(r["name"]), zname)
                self.extra_tlsa.setdefault(owner, []).append(
                    parse_tlsa_text(r["data"]) if "data" in r else
                    tlsa_item(r, fx))
                if "ttl" in r:
                    self.extra_ttl[owner] = min(int(r["ttl"]),
                                                self.extra_ttl.get(owner,
                                                                   1 << 30))
        for f in self.faults:
            if "starttls" in f:
                for h in self.hosts:
                    if h.name == fq(f["host"]):
                        h.starttls = starttls_mode(f["starttls"])
        self.timeline = list(doc.get("timeline") or [])

    @staticmethod
    def _owner(name, zone):
        if name == "@":
            return zone
        if name.endswith("."):
            return fq(name)
        n = fq(name)
        if at_or_below(n, zone) and zone != ".":
            return n
        return fq(name + "." + zone.rstrip("."))

    def _zone_set(self):
        """The scenario format's implicit zones (scenarios/README.md)."""
        zones = set(self.decl) | {".", self.domain}
        for h in self.hosts:
            for n in filter(None, (h.name, h.cname)):
                if at_or_below(n, self.domain):
                    continue
                if any(labels(z) >= 2 and at_or_below(n, z)
                       for z in self.decl):
                    continue
                zones.add(fq(".".join(n.rstrip(".").split(".")[-2:])))
        for z in list(zones):
            p = parent(z)
            while p is not None:
                zones.add(p)
                p = parent(p)
        return zones

    def zone_of(self, name):
        z = name
        while z not in self.zones:
            z = parent(z)
        return z

    def signed(self, zone):
        d = self.decl.get(zone)
        return True if d is None else d.get("signed", True) is not False

    def zone_ttl(self, zone):
        d = self.decl.get(zone)
        return int(d["ttl"]) if d and "ttl" in d else self.ttl

    def dns_fault(self, name, rtype):
        """The dns: fault kinds that hit a query (name, type)."""
        kinds = set()
        for f in self.faults:
            if "dns" not in f or str(f["dns"]) == "lame":
                continue
            if fq(f["name"]) != name:
                continue
            if f.get("type") and str(f["type"]).upper() != rtype:
                continue
            kinds.add(str(f["dns"]))
        return kinds

    def lame(self, zone):
        return any("dns" in f and str(f["dns"]) == "lame"
                   and fq(f["name"]) == zone for f in self.faults)

    def sig_fault(self, zone, name=None, rtype=None):
        """A signatures: fault over the whole zone, or one RRset."""
        for f in self.faults:
            if "signatures" not in f or fq(f["zone"]) != zone:
                continue
            timed = [k for k in ("inception", "expiration", "lifetime",
                                 "key") if k in f]
            if timed:
                # how far past its dates a validator still accepts a
                # signature is the validator's choice (RFC 4035 5.3.1
                # names none): not this table's
                raise Underivable(f"{zone}: signatures fault with "
                                  f"{', '.join(timed)}")
            if "name" not in f:
                return str(f["signatures"])
            if name is not None and fq(f["name"]) == name and \
                    str(f["type"]).upper() == rtype:
                return str(f["signatures"])
        return None

    def ds_fault(self, zone):
        for f in self.faults:
            if "ds" in f and fq(f["zone"]) == zone:
                return str(f["ds"])
        return None


# =================================================================== rules
# One function per rule.  Each returns its result and a short reason that
# names the RFC section it applies.


def rule_query_fails(world, name, rtype):
    """RFC 7672 2.1.1: SERVFAIL, REFUSED and timeouts are lookup failures
    (indeterminate).  A truncated UDP answer is retried over TCP (RFC 7766
    5); only truncation with TCP refused fails."""
    k = world.dns_fault(name, rtype)
    if k & {"servfail", "timeout", "refused", "notimp"}:
        return True
    return {"truncate", "tcp-refused"} <= k


def rule_zone_chain(world, zone):
    """The state of a zone's chain of trust from the lab's root anchor.

    RFC 4035 5.2: a secure parent that proves there is no DS makes the
    child insecure (missing DS, unsigned child).  RFC 4035 5.2 / RFC 6840
    5.2: a DS whose algorithm or digest type is unsupported makes the zone
    insecure, not bogus.  A DS that matches no DNSKEY (stale DS) is bogus.
    Signature faults over the zone's DNSKEY (or every RRset of the zone)
    make it bogus; over the child's DS at the parent, the child bogus.
    Lame delegation or a failing DNSKEY/DS query: indeterminate."""
    if world.lame(zone) or rule_query_fails(world, zone, "DNSKEY"):
        return INDET, f"{zone} lame or DNSKEY query fails"
    if zone == ".":
        if not world.signed("."):
            return INSECURE, "root unsigned"
        if world.sig_fault(".", ".", "DNSKEY"):
            return BOGUS, "root DNSKEY signatures faulted"
        return SECURE, "root = trust anchor"
    if world.decl.get(zone, {}).get("dnskeys"):
        # several keys and algorithms in one DNSKEY RRset: which path a
        # validator accepts is RFC 6840 5.11 territory, left to the
        # validators test (real unbound and delv)
        raise Underivable(f"{zone}: a key set (dnskeys)")
    pz = world.zone_of(parent(zone))
    ps, why = rule_zone_chain(world, pz)
    if ps != SECURE:
        return ps, why
    if world.sig_fault(pz):                # every RRSIG of the parent
        return BOGUS, f"{pz} signatures faulted (parent)"
    if not world.signed(zone):
        return INSECURE, f"{zone} unsigned (RFC 4035 5.2)"
    if rule_query_fails(world, zone, "DS"):
        return INDET, f"DS query for {zone} fails"
    if world.sig_fault(pz, zone, "DS"):
        return BOGUS, f"DS of {zone} signatures faulted"
    ds = world.ds_fault(zone)
    if ds == "missing":
        return INSECURE, f"{zone}: no DS (RFC 4035 5.2)"
    if ds in ("unsupported-algorithm", "unsupported-digest"):
        return INSECURE, f"{zone}: DS {ds} (RFC 4035 5.2, RFC 6840 5.2)"
    if ds == "mismatch":
        return BOGUS, f"{zone}: DS matches no DNSKEY"
    if world.sig_fault(zone, zone, "DNSKEY") or world.sig_fault(zone):
        return BOGUS, f"{zone}: signatures faulted"
    return SECURE, f"{zone} secure"


def rule_rrset_state(world, name, rtype, sig_type=None):
    """RFC 4035 5.3, RFC 7672 2.1.1: the DNSSEC state of one lookup (an
    answer or its NODATA/NXDOMAIN proof): the zone's chain state, then the
    RRset's own signatures; a failing query is indeterminate."""
    zone = world.zone_of(name)
    z = zone
    while z is not None:                 # lame anywhere on the way down
        if world.lame(z):
            return INDET, f"{z} lame"
        z = parent(z) and world.zone_of(parent(z))
    if rule_query_fails(world, name, rtype):
        return INDET, f"{rtype} query for {name} fails"
    st, why = rule_zone_chain(world, zone)
    if st != SECURE:
        return st, why
    if world.dns_fault(name, rtype) & {"proof-missing", "proof-wrong",
                                        "soa-changed"}:
        # RFC 4035 5.4: a negative answer without a valid, covering,
        # signed proof is bogus
        return BOGUS, f"{rtype} {name}: denial proof broken"
    if int(world.decl.get(zone, {}).get("nsec3-iterations", 0)) > 0:
        # RFC 9276 3.2: a validator MAY treat high iteration counts as
        # insecure or bogus; the limit is its own
        raise Underivable(f"{zone}: NSEC3 iterations")
    if world.sig_fault(zone, name, sig_type or rtype):
        return BOGUS, f"RRSIG over {name} {sig_type or rtype} faulted"
    return SECURE, f"{name} {rtype} secure"


def combine(*states):
    """A chain of lookups (CNAME then A) is as good as its worst link."""
    for s in (INDET, BOGUS, INSECURE):
        if s in states:
            return s
    return SECURE


def rule_mx_lookup(world):
    """RFC 7672 2.1.2: an MX lookup failure (bogus, SERVFAIL, timeout)
    delays delivery: defer, never fall back to the address records."""
    return rule_rrset_state(world, world.domain, "MX")


def rule_address_lookup(world, h):
    """RFC 7672 2.1.2 (failure: skip this host) and 2.2.2 (state of the
    address records, through a CNAME chain when there is one)."""
    for f in world.faults:
        if "dns" in f and str(f.get("type", "")).upper() == "AAAA" and \
                fq(f["name"]) in (h.name, h.cname):
            raise Underivable(f"{h.name}: a fault on AAAA only; whether a "
                              "client asks AAAA at all is not declared")
    # the client asks A at the MX name; a CNAME there is what is signed
    st, why = rule_rrset_state(world, h.name, "A",
                               "CNAME" if h.cname else None)
    if h.cname:
        st2, why2 = rule_rrset_state(world, h.cname, "A")
        return combine(st, st2), f"{why}; {why2}"
    return st, why


def tlsa_name(h, base):
    return f"_{h.port}._tcp.{base}"


def rule_tlsa_lookup(world, h, view):
    """RFC 7672 2.2.2 (and RFC 7671 7): the TLSA base domain is the
    CNAME-expanded name first; if that gives no TLSA records, the original
    MX host name.  Any failure while finding TLSA records is a lookup
    failure (2.1.2).  Returns (state, rrset, base domain, reason)."""
    bases = [h.target] + ([h.name] if h.cname else [])
    first = None
    for base in bases:
        name = tlsa_name(h, base)
        st, why = rule_rrset_state(world, name, "TLSA")
        if first is None:
            first = st
        if st in FAILED:
            return st, [], base, why, first
        rr = view(name)
        if not rr and st == SECURE and any(
                str(f.get("type", "")).upper() in ("NSEC", "NSEC3")
                for f in world.faults if "signatures" in f
                and fq(f["zone"]) == world.zone_of(name)):
            raise Underivable(f"{name}: which faulted NSEC/NSEC3 record "
                              "proves its absence is not declared")
        if st == INSECURE:
            return INSECURE, rr, base, why, first
        if rr:
            return SECURE, rr, base, why, first
    return SECURE, [], bases[0], "secure NODATA/NXDOMAIN", first


def rule_usable(r):
    """RFC 7672 3.1.3: usages 0 and 1 are unusable in SMTP; RFC 6698 4.1 /
    RFC 7671 9: unknown usage, selector or matching type, and digests of
    the wrong length (malformed) are unusable."""
    if r.usage not in (2, 3) or r.selector not in (0, 1):
        return False
    if r.matching == 1:
        return len(r.data) == 32
    if r.matching == 2:
        return len(r.data) == 64
    if r.matching == 0:
        return len(r.data) > 0
    return False


def rule_digest_agility(usable):
    """RFC 7671 9 (RFC 7672 5 SHOULD): per (usage, selector), only the
    records with Full(0) and those of the strongest digest present
    (SHA2-512(2) > SHA2-256(1)) are processed."""
    best = {}
    for r in usable:
        if r.matching != 0:
            k = (r.usage, r.selector)
            best[k] = max(best.get(k, 0), r.matching)
    return [r for r in usable if r.matching == 0
            or r.matching == best[(r.usage, r.selector)]]


def rule_dane_ee(r, chain):
    """RFC 7672 3.1.1: DANE-EE(3) matches the leaf certificate (or its
    key); no name checks, no validity-date checks."""
    return chain[0].assoc(r.selector, r.matching) == r.data


def rule_name_matches(cert, refids):
    """RFC 7672 3.2.3: the subjectAltName dNSNames (the CN only when there
    are none) against the reference identifiers; a wildcard only as the
    whole left-most label."""
    names = cert.dns or cert.cn
    for n in names:
        n = fq(n)
        for ref in refids:
            if n == ref:
                return True
            if n.startswith("*.") and ref.split(".", 1)[1] == n[2:] \
                    and ref.split(".", 1)[0] != "":
                return True
    return False


def rule_dane_ta(r, chain, refids, now, fx):
    """RFC 7672 3.1.2: a DANE-TA(2) record must match a certificate the
    server sends (not the leaf); RFC 7671 5.2.2: the leaf must chain to it
    by ordinary path validation, validity dates included; RFC 7672 3.2.2
    and 3.2.3: the leaf's names are checked against the reference
    identifiers.  Returns (matches, why)."""
    tas = [i for i, c in enumerate(chain) if i > 0
           and c.assoc(r.selector, r.matching) == r.data]
    if not tas:
        return False, "TA not in the served chain"
    last = "?"
    for ti in tas:
        path = [chain[0]]
        cur = chain[0]
        ok = True
        while cur is not chain[ti]:
            nxt = [c for c in chain[1:] if c is not cur
                   and c.subject == cur.issuer and c not in path
                   and (c.ski is None or cur.aki is None or c.ski == cur.aki)]
            if not nxt:
                ok, last = False, "leaf does not chain to the TA"
                break
            cur = nxt[0] if chain[ti] not in nxt else chain[ti]
            if not cur.ca:
                ok, last = False, f"{cur.id} is not a CA"
                break
            path.append(cur)
        if not ok:
            continue
        bad = [c.id for c in path if not c.not_before <= now <= c.not_after]
        if bad:
            last = "outside its validity dates: " + ", ".join(bad)
            continue
        if not openssl_path_ok(fx, path):
            last = "openssl verify rejects the path's signatures"
            continue
        if not rule_name_matches(chain[0], refids):
            last = "leaf names none of " + ", ".join(sorted(refids))
            continue
        return True, f"TA {chain[ti].id} validated, names ok"
    return False, last


_verify_cache = {}


def openssl_path_ok(fx, path):
    """The signatures along leaf..TA, confirmed by the openssl CLI when
    installed (dates are checked by rule_dane_ta itself)."""
    key = tuple(c.id for c in path)
    if key in _verify_cache:
        return _verify_cache[key]
    if len(path) < 2 or shutil.which("openssl") is None:
        return True
    with tempfile.TemporaryDirectory(prefix="danelab-oracle-") as tmp:
        ta = fx.path(path[-1].id)
        unt = os.path.join(tmp, "untrusted.pem")
        with open(unt, "w") as out:
            for c in path[1:-1]:
                with open(fx.path(c.id)) as fh:
                    out.write(fh.read())
        args = ["openssl", "verify", "-no_check_time", "-partial_chain",
                "-trusted", ta]
        if len(path) > 2:
            args += ["-untrusted", unt]
        r = subprocess.run(args + [fx.path(path[0].id)],
                           capture_output=True, text=True)
    _verify_cache[key] = r.returncode == 0
    return _verify_cache[key]


def rule_tls_ok(h):
    """RFC 7672 2.2: with a secure TLSA RRset TLS is mandatory: no STARTTLS
    (off), a refused STARTTLS (454) or a failed handshake rule the host
    out (2.2.3: even when every record is unusable)."""
    return h.starttls == "on"


def rule_host_dane(world, h, mx_state, view, now):
    """RFC 7672 2.2: the action for one MX host under opportunistic DANE,
    assuming the client does DANE for it.  Returns (action, reason)."""
    ast, why = rule_address_lookup(world, h)
    if ast in FAILED:
        return NEXT, f"address lookup {ast} ({why}): 2.1.2 skip host"
    if ast == INSECURE:
        return OPP, f"address records insecure ({why}): 2.2.2 no TLSA"
    st, rr, base, why, _ = rule_tlsa_lookup(world, h, view)
    if st in FAILED:
        return NEXT, f"TLSA lookup {st} ({why}): 2.1.2 unreachable"
    if st == INSECURE or not rr:
        return OPP, f"TLSA {st}, {len(rr)} records: 2.2 opportunistic"
    usable = [r for r in rr if rule_usable(r)]
    if not usable:
        if not rule_tls_ok(h):
            return NEXT, f"unusable-only TLSA, starttls {h.starttls}: 2.2.3"
        return ENCRYPT, "secure TLSA, no usable record: 2.2 encrypt"
    if not rule_tls_ok(h):
        return NEXT, f"secure usable TLSA, starttls {h.starttls}: 2.2"
    # RFC 7672 8.1: the client sends the TLSA base domain as SNI
    chain = [world.fx.get(c) for c in h.sni.get(base, h.chain)]
    refids = {base}
    if h.cname and base == h.target:
        refids.add(h.name)
    if mx_state == SECURE:
        refids.add(world.domain)         # 3.2.2: the next-hop domain
    whys = []
    for r in rule_digest_agility(usable):
        if r.usage == 3 and rule_dane_ee(r, chain):
            return AUTH, f"{r} matches the leaf: 3.1.1"
        if r.usage == 2:
            ok, w = rule_dane_ta(r, chain, refids, now, world.fx)
            if ok:
                return AUTH, f"{r}: {w}: 3.1.2"
            whys.append(f"{r}: {w}")
        elif r.usage == 3:
            whys.append(f"{r}: not the leaf")
    dropped = len(usable) - len(rule_digest_agility(usable))
    return NEXT, ("no usable record matches: 2.2" +
                  (f" ({dropped} weaker digests ignored, RFC 7671 9)"
                   if dropped else "") + "; " + "; ".join(whys))


def rule_host_sets(world, mx_state, view, now):
    """Per host, the set of allowed actions under `dane`.  RFC 7672 2.2.1:
    with an insecure MX RRset the client MAY do DANE for a host with secure
    TLSA (the MX host name as reference identity) or MAY treat it as
    pre-DANE opportunistic: both are accepted."""
    out = {}
    for h in world.hosts:
        a, why = rule_host_dane(world, h, mx_state, view, now)
        s = {a}
        if h.old_tls and a != OPP:
            # RFC 8996 2-3: no TLS 1.0/1.1 handshake, the host is
            # skipped (2.2); RFC 7672 names no version, so DANE over
            # TLS 1.0 is accepted too
            s.add(NEXT)
            why += "; TLS 1.0/1.1 only: RFC 8996, next-mx too"
        if mx_state == INSECURE and a != OPP:
            s.add(OPP)
            why += "; insecure MX RRset: 2.2.1 MAY, opportunistic too"
        out[h.name] = (s, why)
    return out


def rule_dane_only(mx_state, sets):
    """Mandatory DANE (Postfix dane-only, Exim hosts_require_dane): only
    TLS authenticated by usable secure TLSA delivers.  Every opportunistic
    or encrypt host becomes next-mx; an insecure MX RRset defers."""
    out = {}
    for h, s in sets.items():
        if mx_state != SECURE:
            out[h] = {NEXT}
        else:
            out[h] = {NEXT if a in (OPP, ENCRYPT) else a for a in s}
    return out


def rule_overall(world_hosts, sets):
    """RFC 7672 2.1.2 / RFC 5321 5.1: hosts are tried by preference (equal
    preferences in any order); the first that is not next-mx gives the
    action; none: defer (queue, never bounce)."""
    groups = {}
    for name, pref in world_hosts:
        groups.setdefault(pref, []).append(name)
    orders = [[]]
    for pref in sorted(groups):
        orders = [o + list(p) for o in orders
                  for p in itertools.permutations(groups[pref])]
    result = set()
    for order in orders:
        for combo in itertools.product(*[sorted(sets[n]) for n in order]):
            act = next((a for a in combo if a != NEXT), DEFER)
            result.add(act)
    return result


# ========================================================= timeline / cache


def phase_worlds(doc):
    """[(phase name, at, {host: (chain, tlsa items, tlsa-ttl)})]: the
    facts of every phase, changes applied cumulatively."""
    tl = doc.get("timeline") or [{"phase": "(baseline)", "at": 0}]
    hosts = {fq(h["host"]): (h["chain"], h.get("tlsa") or [],
                             h.get("tlsa-ttl")) for h in doc["mx"]}
    out = []
    for ph in tl:
        for ch in ph.get("hosts") or []:
            n = fq(ch["host"])
            c, t, ttl = hosts[n]
            hosts[n] = (ch.get("chain", c),
                        ch["tlsa"] if "tlsa" in ch else t,
                        ch.get("tlsa-ttl", ttl))
        out.append((ph["phase"], int(ph["at"]), dict(hosts)))
    return out


def doc_for_phase(doc, hosts):
    d = dict(doc)
    d["mx"] = []
    for h in doc["mx"]:
        h2 = dict(h)
        c, t, ttl = hosts[fq(h["host"])]
        h2["chain"], h2["tlsa"] = c, t
        if ttl is not None:
            h2["tlsa-ttl"] = ttl
        d["mx"].append(h2)
    return d


def _key(rr):
    return sorted((r.usage, r.selector, r.matching, r.data) for r in rr)


class Resolver:
    """The lab resolver's cache of TLSA RRsets (RFC 1035 / RFC 2181 5.2:
    an RRset is served from the cache until its TTL runs out)."""

    def __init__(self):
        self.cache = {}          # name -> (rrset, fetched, expires)

    def view(self, world, t):
        auth = {}
        for h in world.hosts:
            ttl = h.tlsa_ttl or world.zone_ttl(world.zone_of(h.target))
            auth[tlsa_name(h, h.target)] = (h.tlsa, int(ttl))
        for owner, rr in world.extra_tlsa.items():
            old, ttl = auth.get(owner, ([], world.extra_ttl.get(
                owner, world.zone_ttl(world.zone_of(owner)))))
            auth[owner] = (old + rr, ttl)

        def lookup(name):
            rr, ttl = auth.get(name, ([], None))
            hit = self.cache.get(name)
            if hit and not hit[0]:
                # a negative answer: its TTL (the SOA minimum) is not
                # declared, so a NODATA followed by a new RRset is open
                if rr and t > hit[1]:
                    raise Underivable(f"{name}: NODATA cached at {hit[1]} "
                                      "vs an RRset published later "
                                      "(negative TTL not declared)")
                hit = None
            if hit and t <= hit[2] and _key(hit[0]) != _key(rr):
                if t == hit[2]:
                    raise Underivable(f"{name}: the phase starts the very "
                                      "second the cached RRset expires")
                return hit[0]
            if hit and t < hit[2]:
                return hit[0]
            self.cache[name] = (rr, t, t + ttl if rr else None)
            return rr
        return lookup


# ============================================================ derivation


def derive(doc, fx, now):
    """[(phase, {'dane': (host sets, overall), 'dane-only': ...},
    states, reasons)] for every phase, from the facts only."""
    out = []
    res = Resolver()
    base_world = World(doc, fx)
    try:
        mx_state, mx_why = rule_mx_lookup(base_world)
    except Underivable as e:
        return [{"phase": name, "at": at, "error": str(e),
                 "dane": (None, None), "dane-only": (None, None),
                 "why": {}, "mx": (None, str(e))}
                for name, at, hosts in phase_worlds(doc)]
    for name, at, hosts in phase_worlds(doc):
        world = World(doc_for_phase(doc, hosts), fx)
        view = res.view(world, at)
        order = [(h.name, h.pref) for h in world.hosts]
        try:
            if mx_state in FAILED:
                dane = {h.name: ({NEXT}, f"MX lookup {mx_state}")
                        for h in world.hosts}
                d_sets = {h: s for h, (s, _) in dane.items()}
                d_over = {DEFER}
                o_sets, o_over = d_sets, {DEFER}
            else:
                dane = rule_host_sets(world, mx_state, view, now)
                # warm the cache for every host, as the phase's run does
                for h in world.hosts:
                    rule_tlsa_lookup(world, h, view)
                d_sets = {h: s for h, (s, _) in dane.items()}
                d_over = rule_overall(order, d_sets)
                o_sets = rule_dane_only(mx_state, d_sets)
                o_over = rule_overall(order, o_sets)
            err = None
        except Underivable as e:
            dane, err = {}, str(e)
            d_sets = d_over = o_sets = o_over = None
        out.append({"phase": name, "at": at, "error": err,
                    "dane": (d_sets, d_over), "dane-only": (o_sets, o_over),
                    "why": {h: w for h, (_, w) in dane.items()},
                    "mx": (mx_state, mx_why)})
    return out


def derive_states(doc, fx):
    """expect.mx / address / tlsa, derived (baseline world)."""
    w = World(doc, fx)
    mx, _ = rule_mx_lookup(w)
    addr = {h.name: rule_address_lookup(w, h)[0] for h in w.hosts}
    tl = {}
    for h in w.hosts:
        tl[h.name] = rule_tlsa_lookup(w, h, lambda n: [])[4]
    return mx, addr, tl


# ======================================================== declared values


def as_set(v):
    return set(v) if isinstance(v, list) else {v}


def declared(v):
    """('hosts', {host: set}) or ('overall', set)."""
    if isinstance(v, dict):
        return "hosts", {fq(h): as_set(a) for h, a in v.items()}
    return "overall", as_set(v)


def declared_phases(doc):
    """The declared expectation of each phase, inherited as the format
    says (a phase's expect holds from that phase on)."""
    cur = {p: doc["expect"][p] for p in ("dane", "dane-only")}
    out = []
    for ph in doc.get("timeline") or [{"phase": "(baseline)"}]:
        for p in ("dane", "dane-only"):
            if p in (ph.get("expect") or {}):
                cur[p] = ph["expect"][p]
        out.append(dict(cur))
    return out


def fmt_set(s):
    s = sorted(s, key=lambda a: (HOST_ACTIONS + OVERALL_ACTIONS).index(a))
    return s[0] if len(s) == 1 else "{" + ", ".join(s) + "}"


def fmt_hosts(m):
    return ", ".join(f"{h.rstrip('.')}: {fmt_set(s)}" for h, s in m.items())


def compare(order, derived_sets, derived_over, decl):
    """[] when they agree, else what differs."""
    kind, val = decl
    diffs = []
    if kind == "hosts":
        for h in derived_sets:
            if h not in val:
                diffs.append(f"{h} not declared")
            elif val[h] != derived_sets[h]:
                diffs.append(f"{h.rstrip('.')}: derived "
                             f"{fmt_set(derived_sets[h])}, declared "
                             f"{fmt_set(val[h])}")
        for h in val:
            if h not in derived_sets:
                diffs.append(f"{h} is not an MX host")
        if not diffs:
            over = rule_overall(order, val)
            if over != derived_over:
                diffs.append(f"overall derived {fmt_set(derived_over)}, "
                             f"declared {fmt_set(over)}")
    elif val != derived_over:
        diffs.append(f"derived {fmt_set(derived_over)}, declared "
                     f"{fmt_set(val)}")
    return diffs


def check_doc(doc, fx, now):
    """[(label, ok, derived text, declared text, diffs, why)]."""
    rows = []
    phases = derive(doc, fx, now)
    decls = declared_phases(doc)
    order = [(fq(h["host"]), int(h.get("preference", 10)))
             for h in doc["mx"]]
    for ph, dec in zip(phases, decls):
        for pol in ("dane", "dane-only"):
            lab = f"{doc['id']} [{ph['phase']}] {pol}"
            if ph["error"]:
                rows.append((lab, None, "?", str(dec[pol]),
                             ["cannot derive: " + ph["error"]], {}))
                continue
            sets, over = ph[pol]
            d = declared(dec[pol])
            diffs = compare(order, sets, over, d)
            if d[0] == "hosts":
                dtext = fmt_hosts(sets) + f" => {fmt_set(over)}"
                ctext = fmt_hosts(d[1])
            else:
                dtext = fmt_set(over) + f"  ({fmt_hosts(sets)})"
                ctext = fmt_set(d[1])
            rows.append((lab, not diffs, dtext, ctext, diffs, ph["why"]))
    return rows


def check_states(doc, fx):
    """[] when expect.mx / address / tlsa agree with the derived states;
    None when they cannot be derived."""
    try:
        mx, addr, tl = derive_states(doc, fx)
    except Underivable:
        return None
    e = doc["expect"]
    diffs = []
    if e.get("mx") != mx:
        diffs.append(f"mx: derived {mx}, declared {e.get('mx')}")
    for key, der in (("address", addr), ("tlsa", tl)):
        dec = {fq(h): s for h, s in (e.get(key) or {}).items()}
        for h, s in der.items():
            if dec.get(h) != s:
                diffs.append(f"{key} {h.rstrip('.')}: derived {s}, "
                             f"declared {dec.get(h)}")
    return diffs


# ============================================================== self-check


def self_check(docs, fx, now):
    """The test of the test: mutated documents must disagree, and the
    set/list syntax must be understood.  [(desc, passed)]."""
    import copy
    out = []
    # 1. a loaded scenario whose derived dane has a next-mx host: declare
    #    auth for that host instead (in memory only) -> must disagree.
    for doc in docs:
        ph = derive(doc, fx, now)[0]
        if ph["error"] or ph["dane"][0] is None:
            continue
        nm = [h for h, s in ph["dane"][0].items() if s == {NEXT}]
        if not nm or doc.get("timeline"):
            continue
        m = copy.deepcopy(doc)
        m["expect"]["dane"] = {h: (AUTH if h in nm else sorted(s)[0])
                               for h, s in ph["dane"][0].items()}
        rows = check_doc(m, fx, now)
        out.append((f"{doc['id']} with dane next-mx -> auth in memory "
                    "is reported", any(r[1] is False for r in rows
                                       if r[0].endswith("] dane"))))
        # and the same as a scalar: the overall action changed
        m["expect"]["dane"] = AUTH
        rows = check_doc(m, fx, now)
        out.append((f"{doc['id']} with scalar dane auth in memory is "
                    "reported" if ph["dane"][1] != {AUTH} else "skip",
                    any(r[1] is False for r in rows
                        if r[0].endswith("] dane"))))
        break
    else:
        out.append(("a scenario with a next-mx host to mutate", False))
    # 2. the derivation never reads expect.dane / expect.dane-only: the
    #    same documents with them (and every phase's expect) removed
    #    derive the same actions.
    same = True
    for doc in docs:
        m = copy.deepcopy(doc)
        for k in ("dane", "dane-only", "mx", "address", "tlsa"):
            m["expect"][k] = None
        for ph in m.get("timeline") or []:
            ph.pop("expect", None)
        a = [(x["dane"], x["dane-only"], x["error"])
             for x in derive(doc, fx, now)]
        b = [(x["dane"], x["dane-only"], x["error"])
             for x in derive(m, fx, now)]
        same = same and a == b
    out.append(("derivations do not change when every expect is removed",
                same))
    # 3. a synthetic world: a fact changed (stale TLSA) must flip auth to
    #    next-mx; sets and lists in host maps are compared as sets.
    base = {
        "version": 1, "id": "selfcheck/valid", "domain": "example.net",
        "mx": [{"host": "mx1.example.net", "preference": 10,
                "addresses": ["127.25.0.1"], "chain": ["mx-cur", "int-r3"],
                "tlsa": [{"usage": 3, "selector": 1, "matching": 1,
                          "cert": "mx-cur"}]}],
        "expect": {"mx": "secure",
                   "address": {"mx1.example.net": "secure"},
                   "tlsa": {"mx1.example.net": "secure"},
                   "dane": "auth", "dane-only": "auth"}}
    ok = all(r[1] for r in check_doc(base, fx, now))
    out.append(("synthetic valid 3 1 1 agrees with auth", ok))
    stale = copy.deepcopy(base)
    stale["mx"][0]["chain"] = ["mx-next", "int-r3"]
    out.append(("synthetic stale 3 1 1 (declared auth) is reported",
                not any(r[1] for r in check_doc(stale, fx, now))))
    ins = copy.deepcopy(base)
    ins["zones"] = [{"name": "example.net", "signed": False}]
    ins["mx"][0]["host"] = "mail.example.com"
    ins["expect"]["dane"] = {"mail.example.com": ["opportunistic", "auth"]}
    ins["expect"]["dane-only"] = "defer"
    out.append(("insecure MX + secure TLSA: host-map list {opportunistic, "
                "auth} agrees", all(r[1] for r in check_doc(ins, fx, now))))
    ins["expect"]["dane"] = ["auth", "opportunistic"]
    out.append(("... and as an overall list",
                all(r[1] for r in check_doc(ins, fx, now))))
    ins["expect"]["dane"] = "auth"
    out.append(("... and a scalar auth there is reported (a subset)",
                not all(r[1] for r in check_doc(ins, fx, now))))
    agil = copy.deepcopy(base)
    agil["mx"][0]["tlsa"].append({"usage": 3, "selector": 1, "matching": 2,
                                  "cert": "mx-next"})
    out.append(("digest agility: a non-matching 3 1 2 next to a matching "
                "3 1 1 gives next-mx (declared auth: reported)",
                not any(r[1] for r in check_doc(agil, fx, now)
                        if r[0].endswith("] dane"))))
    return [o for o in out if o[0] != "skip"]


# ==================================================================== main


def load_docs(sdir):
    import yaml
    docs = []
    for path in sorted(glob.glob(os.path.join(sdir, "**", "*.yaml"),
                                 recursive=True)):
        with open(path) as fh:
            doc = yaml.safe_load(fh)
        if isinstance(doc, dict) and "expect" in doc:
            docs.append(doc)
    return docs


def main(argv):
    if len(argv) < 3:
        print(__doc__)
        return 2
    try:
        import yaml  # noqa: F401
    except ImportError:
        print("1..0 # SKIP python3 yaml module missing (python3-yaml)")
        return SKIP
    src = argv[2]
    sdir = argv[3] if len(argv) > 3 else os.path.join(src, "scenarios")
    fx = Fixtures(src)
    now = datetime.datetime.now(datetime.timezone.utc)
    verbose = os.environ.get("DANELAB_ORACLE_VERBOSE") == "1"
    docs = load_docs(sdir)
    if not docs:
        print(f"1..0 # SKIP no scenario in {sdir}")
        return SKIP
    n = failed = 0
    table = []
    underivable = []
    for doc in docs:
        for lab, ok, dtext, ctext, diffs, why in check_doc(doc, fx, now):
            n += 1
            if ok is None:
                underivable.append((lab, diffs[0]))
                print(f"ok {n} - {lab} # SKIP {diffs[0]}")
                continue
            if not ok:
                failed += 1
                table.append((lab, dtext, ctext, why))
            print(f"{'ok' if ok else 'not ok'} {n} - {lab}: derived "
                  f"{dtext} vs declared {ctext}")
            if verbose or not ok:
                for h, w in why.items():
                    print(f"#   {h.rstrip('.')}: {w}")
        sd = check_states(doc, fx)
        n += 1
        if sd is None:
            underivable.append((f"{doc['id']} DNSSEC states", "see above"))
            print(f"ok {n} - {doc['id']} DNSSEC states # SKIP not derivable")
            continue
        if sd:
            failed += 1
            table.append((f"{doc['id']} DNSSEC states", "; ".join(sd), "",
                          {}))
        print(f"{'ok' if not sd else 'not ok'} {n} - {doc['id']} DNSSEC "
              f"states (mx, address, tlsa) derived vs declared"
              + ("" if not sd else ": " + "; ".join(sd)))
    for desc, ok in self_check(docs, fx, now):
        n += 1
        if not ok:
            failed += 1
        print(f"{'ok' if ok else 'not ok'} {n} - self-check: {desc}")
    print(f"1..{n}")
    if table:
        print("#")
        print(f"# {len(table)} disagreement(s): derived (this table) vs "
              "declared (the scenario file)")
        w = max(len(t[0]) for t in table)
        for lab, dtext, ctext, _ in table:
            print(f"#   {lab.ljust(w)}  derived {dtext}"
                  + (f"  | declared {ctext}" if ctext else ""))
    if underivable:
        print(f"# {len(underivable)} phase/policy pair(s) not derivable "
              "(skipped, not compared):")
        for lab, why in underivable:
            print(f"#   {lab}: {why}")
    print(f"# {n} checks, {failed} failed, {len(underivable)} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
