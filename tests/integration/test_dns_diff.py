#!/usr/bin/env python3
"""dns-diff: danelab's authoritative DNS server answers like NSD.

For every scenario (timeline scenarios: the first phase):

 1. In fresh namespaces (`unshare -n -m -p -f --mount-proc --kill-child`,
    as root; `lo` up) start `danelab serve ID --port 53`: danelab's own
    server for every zone of the world on its 127.53.0.x address (and the
    lab resolver, unused here).  serve writes the world it serves as an
    export (TMPDIR/danelab-*/world); its zone files carry the very
    signatures danelab serves (ECDSA signatures are randomised, so a
    separate `danelab export` would not do).  Those zone files are copied
    and served by NSD, one NSD per zone as in the export's nsd/*.conf but
    on 127.54.0.x (same last octets), RRL off.
 2. For each zone, a corpus of at least 200 queries built from its zone
    file (corpus()): every owner name with each of its types, absent types
    (NODATA), DS, DNSKEY, NSEC and NSEC3PARAM; names at and below
    delegations (referrals, DS at the cut), glue names, empty
    non-terminals, names that do not exist (under the apex, under
    existing names, deep), wildcard matches, CNAMEs, NSEC3 owner names,
    names outside the zone (REFUSED), and a few protocol cases (EDNS
    version 1, opcode STATUS, class CH, AXFR over UDP).  Qnames are in
    mixed case about one time in three; RD and CD are set on some
    queries.  Each base query is sent with and without DO, over UDP and
    over TCP (several queries per TCP connection, RFC 7766), with an EDNS
    payload of 1232; those with DO also over UDP with a payload of 512
    (TC), and some without EDNS at all.  ANY is not asked (RFC 8482:
    answers legitimately differ).
 3. Each query goes to both servers; the responses are compared (compare()):
    rcode (extended), opcode, the header flags (QR AA TC RD RA AD CD), the
    question (qname case included), the OPT record (present, version, DO
    bit, payload size, options), and each of the answer, authority and
    additional sections as a set of RRsets (order aside): owner, class,
    type, TTL exactly and the set of rdata in canonical wire form, which
    for RRSIG means type covered, algorithm, labels, original TTL,
    validity, key tag, signer and the exact signature bytes.  AD must be
    0 in every answer from danelab (an authoritative server sets no AD),
    CD copied from the query, and no UDP answer longer than the query
    allows (512 bytes without EDNS).

A scenario fails on any difference that is not accepted below.  Per
scenario the summary gives the queries sent, identical, accepted and
different, and shows the first differences in full.

Accepted differences (counted and shown as `accepted`, never failures):
  - The CD bit: RFC 4035 section 3 says "a security-aware name server
    MUST copy the CD bit from a query into the corresponding response";
    danelab does, NSD 4.6 does not (it keeps only RD from the query's
    flags).  Accepted when CD is the only flag that differs, the query
    had CD and danelab's answer has it; a danelab answer without the
    query's CD is a difference.
  - Responses that both have TC=1 (and the same rcode and flags): their
    sections may differ.  A truncated UDP response is a signal to retry
    over TCP, its records are not used (RFC 2181 section 9, RFC 1035
    4.1.1); NSD keeps the RRsets that fit, danelab sends none.  TC itself
    must agree, and the TCP answer to the same query is compared in
    full.
  - BADVERS answers: danelab's OPT copies the query's DO bit (RFC 3225
    section 3: "The DO bit of the query MUST be copied in the
    response"), NSD's does not.  Everything else in the OPT must agree.
  - NOTIMP answers (opcode STATUS): NSD sends a bare header, without the
    question and without an OPT; danelab echoes the question and, as the
    query had one, an OPT (RFC 6891 section 7: "If an OPT record is
    present in a received request, compliant responders MUST include an
    OPT record in their respective responses").
  - AXFR over UDP: danelab REFUSED, NSD NOTIMP.  RFC 5936 section 4.2
    leaves AXFR over UDP undefined; both refuse to transfer (over TCP
    both answer REFUSED, and that is compared).
  - EDNS options present in danelab's answer and not in NSD's, when they
    are Extended DNS Errors (RFC 8914, option 15): EDE is optional
    ("MAY"), NSD 4.6 sends none, and danelab adds EDE 20 (Not
    Authoritative) / 21 (Not Supported) to its REFUSED answers.  The
    rcode and every section must still be identical.

Queries whose name is under a scenario `dns:` fault (servfail, timeout,
truncate, lame...) are skipped: NSD cannot play faults, the unit tests
and the resolver checks cover them.  A denial-proof fault (proof-missing,
proof-wrong, soa-changed) breaks the negative answers of every name its
proof records cover, so its whole zone is not compared (a TAP skip);
tests/integration/test_validators.py checks those zones against real
validators.

Reference mode (tests the test): DANELAB_DIFF_REF=nsd serves the world
with a second set of NSDs on 127.53.0.x instead of danelab (from
`danelab export`), so that every query must compare identical.

Environment: DANELAB_DIFF_JOBS (scenarios in parallel, default
min(2, CPUs)), DANELAB_DIFF_SHOW (differences shown in full per
scenario, default 5), DANELAB_DIFF_REF (danelab | nsd),
DANELAB_DIFF_ONLY (a regular expression: only the scenario ids it
matches).
"""

import concurrent.futures
import glob
import json
import os
import random
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

import dltest
from dltest import Tap

try:
    import dns.edns
    import dns.flags
    import dns.message
    import dns.name
    import dns.opcode
    import dns.query
    import dns.rcode
    import dns.rdataclass
    import dns.rdatatype
    import dns.zone
    HAVE_DNSPYTHON = True
except ImportError:  # checked in main(): skip
    HAVE_DNSPYTHON = False

SUBJECT_NET = "127.53.0."   # danelab (or, in reference mode, NSD copy 1)
REF_NET = "127.54.0."       # NSD
PORT = 53
QUERY_TIMEOUT = 2.0
READY_TIMEOUT = 15.0
MIN_CORPUS = 200
SHOW = int(os.environ.get("DANELAB_DIFF_SHOW") or 5)
MODE = os.environ.get("DANELAB_DIFF_REF") or "danelab"

# Types asked at names that do not have them (NODATA), in this order.
PROBE_TYPES = ["A", "AAAA", "TXT", "MX", "TLSA", "SRV", "CNAME", "NS",
               "SOA", "PTR"]
DNSSEC_TYPES = ["DS", "DNSKEY", "NSEC", "NSEC3PARAM"]


# ============================================================ the corpus


class Query:
    """One query of the corpus: what to ask and how."""

    __slots__ = ("name", "rtype", "do", "tcp", "payload", "rd", "cd",
                 "why", "opcode", "rclass", "edns_version")

    def __init__(self, name, rtype, why, do=True, tcp=False, payload=1232,
                 rd=False, cd=False, opcode=0, rclass="IN",
                 edns_version=0):
        self.name = name            # text, case as sent
        self.rtype = rtype          # text
        self.why = why              # what the query is for
        self.do = do
        self.tcp = tcp
        self.payload = payload      # None: no EDNS
        self.rd = rd
        self.cd = cd
        self.opcode = opcode
        self.rclass = rclass
        self.edns_version = edns_version

    def describe(self):
        how = ["TCP" if self.tcp else "UDP",
               "DO" if self.do else "no-DO",
               f"bufsize={self.payload}" if self.payload else "no-EDNS"]
        if self.edns_version:
            how.append(f"edns-version={self.edns_version}")
        if self.rd:
            how.append("RD")
        if self.cd:
            how.append("CD")
        if self.opcode:
            how.append(f"opcode={self.opcode}")
        return (f"{self.name} {self.rclass} {self.rtype} "
                f"[{' '.join(how)}] ({self.why})")

    def message(self, qid):
        qname = dns.name.from_text(self.name)
        use_edns = 0 if self.payload else False
        m = dns.message.make_query(
            qname, dns.rdatatype.from_text(self.rtype),
            dns.rdataclass.from_text(self.rclass), use_edns=use_edns,
            want_dnssec=self.do and bool(self.payload),
            payload=self.payload or 512)
        m.id = qid
        m.flags = 0
        if self.rd:
            m.flags |= dns.flags.RD
        if self.cd:
            m.flags |= dns.flags.CD
        if self.opcode:
            m.set_opcode(self.opcode)
        if self.payload and self.edns_version:
            m.use_edns(self.edns_version, m.ednsflags, self.payload)
        return m


def _mixcase(name, rng):
    return "".join(c.upper() if c.isalpha() and rng.random() < 0.5 else c
                   for c in name)


def _in_zone(name, zone):
    return zone == "." or name == zone or name.endswith("." + zone)


def _rel_parent(name):
    """The parent of an absolute name ("." for a TLD, None for ".")."""
    return (name.split(".", 1)[1] or ".") if name != "." else None


def zone_nodes(path, zone):
    """{owner (lower case, absolute text): set of type names} of a zone
    file; RRSIGs as "RRSIG"."""
    z = dns.zone.from_file(path, origin=zone, relativize=False,
                           check_origin=False)
    nodes = {}
    for name, node in z.nodes.items():
        types = set()
        for rds in node.rdatasets:
            types.add(dns.rdatatype.to_text(rds.rdtype))
        nodes[name.to_text().lower()] = types
    return nodes


def corpus(zone, nodes, rng, faulted):
    """The queries for one zone (see the module doc).  zone: absolute
    lower-case text; nodes: zone_nodes(); faulted(name) -> True to leave
    a name out (scenario dns: faults).  Returns [Query]."""
    apex = zone
    cuts = {n for n, t in nodes.items() if "NS" in t and n != apex}

    def occluded(n):
        p = _rel_parent(n)
        while p is not None and _in_zone(p, apex):
            if p in cuts:
                return True
            if p == apex:
                break
            p = _rel_parent(p)
        return False

    nsec3_only = {n for n, t in nodes.items() if t <= {"NSEC3", "RRSIG"}}
    auth = sorted(n for n in nodes if n not in cuts and not occluded(n)
                  and n not in nsec3_only)
    glue = sorted(n for n in nodes if occluded(n))
    ents = set()
    for n in list(auth) + sorted(cuts):
        p = _rel_parent(n)
        while p is not None and _in_zone(p, apex) and p != apex:
            if p not in nodes:
                ents.add(p)
            p = _rel_parent(p)
    ents = sorted(ents)
    wild = [n for n in auth if n.startswith("*.")]

    def sub(label, n):
        return label + "." + n if n != "." else label + "."

    base = []   # (name, type, why)

    for n in auth:
        have = sorted(t for t in nodes[n] if t not in ("RRSIG",))
        for t in have:
            base.append((n, t, "existing type"))
        if "RRSIG" in nodes[n] and n == apex:
            base.append((n, "RRSIG", "RRSIG query"))
        absent = [t for t in PROBE_TYPES if t not in nodes[n]][:3]
        for t in absent:
            base.append((n, t, "NODATA"))
        for t in DNSSEC_TYPES:
            if t not in nodes[n]:
                base.append((n, t, "DNSSEC type, NODATA"))
        if "CNAME" in nodes[n]:
            base.append((n, "TLSA", "CNAME followed"))
    for c in sorted(cuts):
        for t in ["NS", "DS", "A", "MX", "TLSA", "DNSKEY", "SOA", "NSEC"]:
            base.append((c, t, "at a delegation"))
        base.append((sub("www", c), "A", "below a delegation (referral)"))
        base.append((sub("_25._tcp.mx1", c), "TLSA",
                     "below a delegation (referral)"))
        base.append((sub("a.b.c", c), "DS", "DS below a delegation"))
    for g in glue:
        for t in ["A", "AAAA", "DS"]:
            base.append((g, t, "glue name (referral)"))
    for e in ents:
        for t in ["A", "TLSA", "TXT", "DS", "NSEC"]:
            base.append((e, t, "empty non-terminal, NODATA"))
    for w in wild:
        parent = w[2:]
        for t in sorted(nodes[w] - {"RRSIG", "NSEC"}) + ["AAAA"]:
            base.append((sub("wc-match", parent), t, "wildcard match"))
            base.append((sub("a.b", parent), t, "wildcard match, deep"))
    for n in sorted(nsec3_only)[:4]:
        base.append((n, "A", "NSEC3 owner name"))
        base.append((n, "NSEC3", "NSEC3 owner name, NSEC3 type"))
    nx = [sub("nx-" + str(i), apex) for i in range(4)]
    nx += [sub("a.b.c.nx-deep", apex), sub("0", apex), sub("zzzz", apex),
           sub("-", apex)]
    for n in auth[:40]:
        if n != apex and not n.startswith("*."):
            nx.append(sub("zz-nx", n))
            nx.append(sub("_25._tcp.nx", n))
    for n in nx:
        for t in ["A", "MX", "TLSA", "DS"]:
            base.append((n, t, "does not exist"))
    if apex != ".":
        base.append(("outside.invalid.", "A", "outside the zone, REFUSED"))
        base.append(("org.", "SOA", "outside the zone, REFUSED")
                    if not _in_zone("org.", apex) else
                    ("outside.invalid.", "SOA", "outside the zone, REFUSED"))
        p = _rel_parent(apex)
        base.append((p, "NS", "the parent zone, REFUSED"))
        base.append((p, "DS", "the parent zone, REFUSED"))

    base = [b for b in base if not faulted(b[0])]
    seen, uniq = set(), []
    for b in base:
        if b not in seen:
            seen.add(b)
            uniq.append(b)
    base = uniq

    out = []

    def variants(name, t, why, i):
        qn = _mixcase(name, rng) if i % 3 == 1 else name
        rd = i % 4 == 2
        cd = i % 5 == 3
        for do in (True, False):
            for tcp in (False, True):
                out.append(Query(qn, t, why, do=do, tcp=tcp, rd=rd, cd=cd))
        out.append(Query(qn, t, why, do=True, tcp=False, payload=512,
                         rd=rd, cd=cd))
        if i % 4 == 0:
            out.append(Query(qn, t, why, do=False, payload=None, rd=rd))

    for i, (name, t, why) in enumerate(base):
        variants(name, t, why, i)
    # Pad small zones (the root of a small world) with more names that
    # do not exist, each in another NSEC/NSEC3 span.
    k = 0
    while len(out) < MIN_CORPUS:
        name = sub(f"pad{k}-{rng.randrange(10 ** 6)}", apex)
        if not faulted(name):
            variants(name, ["A", "TXT", "TLSA", "NS"][k % 4],
                     "does not exist (padding)", k)
        k += 1
    # Protocol cases, UDP and TCP.
    for tcp in (False, True):
        out.append(Query(apex, "SOA", "EDNS version 1 (BADVERS)", tcp=tcp,
                         edns_version=1))
        out.append(Query(apex, "SOA", "opcode STATUS (NOTIMP)", tcp=tcp,
                         opcode=2))
        out.append(Query(apex, "SOA", "class CH", tcp=tcp, rclass="CH"))
    out.append(Query(apex, "AXFR", "AXFR over UDP", tcp=False))
    return out


# ======================================================== sending queries


class Conn:
    """A server at addr: UDP queries, and one TCP connection reused for
    several queries (RFC 7766), reopened when the server closed it."""

    def __init__(self, addr):
        self.addr = addr
        self.tcp = None

    def ask(self, q, qid):
        """(response wire or None, error text or None)."""
        wire = q.message(qid).to_wire()
        if not q.tcp:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.settimeout(QUERY_TIMEOUT)
                s.connect((self.addr, PORT))
                s.send(wire)
                try:
                    while True:
                        r = s.recv(65535)
                        if len(r) >= 2 and r[:2] == wire[:2]:
                            return r, None
                except socket.timeout:
                    return None, "timeout"
                except OSError as e:
                    return None, str(e)
        for attempt in (0, 1):
            try:
                if self.tcp is None:
                    self.tcp = socket.create_connection(
                        (self.addr, PORT), timeout=QUERY_TIMEOUT)
                self.tcp.sendall(struct.pack("!H", len(wire)) + wire)
                n = struct.unpack("!H", self._read(2))[0]
                return self._read(n), None
            except (OSError, EOFError) as e:
                self.close()
                if attempt == 1 or isinstance(e, socket.timeout):
                    return None, f"TCP: {e or type(e).__name__}"
        return None, "TCP: unreachable"

    def _read(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.tcp.recv(n - len(buf))
            if not chunk:
                raise EOFError("connection closed")
            buf += chunk
        return buf

    def close(self):
        if self.tcp is not None:
            self.tcp.close()
            self.tcp = None


# ========================================================== comparing


FLAG_NAMES = [("QR", dns.flags.QR), ("AA", dns.flags.AA),
              ("TC", dns.flags.TC), ("RD", dns.flags.RD),
              ("RA", dns.flags.RA), ("AD", dns.flags.AD),
              ("CD", dns.flags.CD)] if HAVE_DNSPYTHON else []
EDE = 15


def _flags(f):
    return " ".join(n for n, b in FLAG_NAMES if f & b) or "-"


def _rrsets(section):
    """{(owner, class, type, covers): (ttl, frozenset of rdata wire)}."""
    out = {}
    for rrset in section:
        key = (rrset.name.to_text().lower(),
               dns.rdataclass.to_text(rrset.rdclass),
               dns.rdatatype.to_text(rrset.rdtype),
               dns.rdatatype.to_text(rrset.covers))
        rds = frozenset(r.to_digestable(rrset.name) for r in rrset)
        if key in out:  # the same RRset split in two: merge
            ttl, old = out[key]
            out[key] = (min(ttl, rrset.ttl), old | rds)
        else:
            out[key] = (rrset.ttl, rds)
    return out


def _rrset_text(msg, section_name, key):
    for rrset in getattr(msg, section_name):
        if (rrset.name.to_text().lower(),
                dns.rdataclass.to_text(rrset.rdclass),
                dns.rdatatype.to_text(rrset.rdtype),
                dns.rdatatype.to_text(rrset.covers)) == key:
            return rrset.to_text()
    return "?"


def _parse(wire):
    try:
        return dns.message.from_wire(wire, ignore_trailing=True,
                                     raise_on_truncation=False), None
    except Exception as e:  # a response dnspython cannot read
        return None, f"unparsable response: {type(e).__name__}: {e}"


def _qname_wire(wire):
    """The question name of a DNS message, as sent (case kept)."""
    i, out = 12, []
    while i < len(wire) and wire[i] != 0:
        n = wire[i]
        out.append(wire[i + 1:i + 1 + n])
        i += 1 + n
    return b".".join(out)


def compare(q, subj, ref, ctx):
    """(differences, accepted) between the subject's and the reference's
    response wires (None = no answer): two lists of strings.  ctx:
    "zone" (its name), "mode" (danelab | nsd).  The
    accepted ones are those the module doc lists, each under its exact
    conditions."""
    diffs, accepted = [], []
    if subj is None or ref is None:
        if subj is not ref:
            diffs.append(f"answered: danelab {subj is not None}, "
                         f"NSD {ref is not None}")
        return diffs, accepted
    limit = max(512, q.payload or 512)
    if not q.tcp and len(subj) > limit:
        diffs.append(f"size: danelab's UDP response is {len(subj)} bytes, "
                     f"over the {limit} the query allows")
    a, ea = _parse(subj)
    b, eb = _parse(ref)
    if a is None or b is None:
        if ea != eb:
            diffs.append(f"parse: danelab {ea}, NSD {eb}")
        return diffs, accepted
    ra_, rb_ = a.rcode(), b.rcode()
    udp_axfr = q.rtype == "AXFR" and not q.tcp
    if ra_ != rb_:
        text = (f"rcode: danelab {dns.rcode.to_text(ra_)}, "
                f"NSD {dns.rcode.to_text(rb_)}")
        if udp_axfr and ra_ == dns.rcode.REFUSED and \
                rb_ == dns.rcode.NOTIMP:
            accepted.append(text + " (AXFR over UDP is not defined, RFC "
                            "5936 section 4.2; both refuse)")
        else:
            diffs.append(text)
    if a.opcode() != b.opcode():
        diffs.append(f"opcode: danelab {a.opcode()}, NSD {b.opcode()}")
    fa, fb = a.flags & 0x87b0, b.flags & 0x87b0  # QR AA TC RD RA AD CD
    if fa != fb:
        text = f"flags: danelab [{_flags(fa)}], NSD [{_flags(fb)}]"
        if fa ^ fb == dns.flags.CD and q.cd and fa & dns.flags.CD:
            accepted.append(text + " (CD copied, RFC 4035 section 3 "
                            "MUST; NSD 4.6 clears it)")
        else:
            diffs.append(text)
    if q.cd and not fa & dns.flags.CD and a.opcode() == 0 and \
            ra_ != dns.rcode.FORMERR and ctx.get("mode") != "nsd":
        diffs.append("CD not copied by danelab (RFC 4035 section 3: MUST)")
    if a.flags & dns.flags.AD:
        diffs.append("AD set by danelab (an authoritative answer has AD=0)")
    # NOTIMP: NSD answers with a bare header (no question, no OPT).
    notimp = ra_ == rb_ == dns.rcode.NOTIMP and not b.question and \
        b.edns < 0
    qa, qb = _qname_wire(subj), _qname_wire(ref)
    qsa = [(r.rdtype, r.rdclass) for r in a.question]
    qsb = [(r.rdtype, r.rdclass) for r in b.question]
    if qa != qb or qsa != qsb:
        text = (f"question: danelab {qa!r} "
                f"{[r.to_text() for r in a.question]}, NSD {qb!r} "
                f"{[r.to_text() for r in b.question]}")
        if notimp and qa == q.name.rstrip(".").encode() and \
                len(a.question) == 1:
            accepted.append(text + " (NOTIMP: NSD sends no question; "
                            "danelab echoes it)")
        else:
            diffs.append(text)
    # OPT
    opt_a = (a.edns, a.ednsflags & 0x8000, a.payload if a.edns >= 0 else 0)
    opt_b = (b.edns, b.ednsflags & 0x8000, b.payload if b.edns >= 0 else 0)
    if opt_a != opt_b:
        text = (f"OPT: danelab version={a.edns} "
                f"DO={int(bool(a.ednsflags & 0x8000))} "
                f"payload={a.payload}, NSD version={b.edns} "
                f"DO={int(bool(b.ednsflags & 0x8000))} "
                f"payload={b.payload}")
        if ra_ == rb_ == dns.rcode.BADVERS and q.do and \
                opt_a == (opt_b[0], 0x8000, opt_b[2]) and not opt_b[1]:
            accepted.append(text + " (BADVERS: danelab copies DO, RFC "
                            "3225 section 3 MUST; NSD clears it)")
        elif notimp and q.payload and a.edns == 0:
            accepted.append(text + " (NOTIMP: an OPT in the query asks "
                            "for one in the response, RFC 6891 section 7 "
                            "MUST; NSD sends none)")
        else:
            diffs.append(text)
    oa = sorted((int(o.otype), o.to_wire()) for o in a.options)
    ob = sorted((int(o.otype), o.to_wire()) for o in b.options)
    if oa != ob:
        extra = [o for o in oa if o not in ob]
        missing = [o for o in ob if o not in oa]
        text = (f"EDNS options: danelab {[(t, w.hex()) for t, w in oa]}, "
                f"NSD {[(t, w.hex()) for t, w in ob]}")
        if not missing and all(t == EDE for t, _ in extra):
            accepted.append(text + " (EDE, RFC 8914: optional)")
        else:
            diffs.append(text)
    # Sections.  Both truncated (TC=1, same rcode): what a truncated UDP
    # response carries is not used; the client retries over TCP.
    both_tc = a.flags & dns.flags.TC and b.flags & dns.flags.TC and \
        ra_ == rb_
    for sect in ("answer", "authority", "additional"):
        ra, rb = _rrsets(getattr(a, sect)), _rrsets(getattr(b, sect))
        if ra == rb:
            continue
        for key in sorted(set(ra) | set(rb)):
            va, vb = ra.get(key), rb.get(key)
            if va == vb:
                continue
            if va is None:
                text = f"{sect}: only NSD has {_rrset_text(b, sect, key)}"
            elif vb is None:
                text = f"{sect}: only danelab has {_rrset_text(a, sect, key)}"
            else:
                text = (f"{sect}: {' '.join(key[:3])} differs: "
                        f"danelab {_rrset_text(a, sect, key)!r} vs "
                        f"NSD {_rrset_text(b, sect, key)!r}")
            if both_tc:
                accepted.append(text + " (both TC=1: a truncated "
                                "response's records are not used, RFC 2181 "
                                "section 9)")
            else:
                diffs.append(text)
    return diffs, accepted


def _show(wire):
    if wire is None:
        return "(no answer)"
    m, err = _parse(wire)
    return m.to_text() if m is not None else err


# ================================================ inside the namespaces


def _wait_ready(addrs, zones, procs, deadline):
    """Until every address answers its zone's SOA; '' or an error."""
    for addr, zone in zip(addrs, zones):
        c = Conn(addr)
        q = Query(zone, "SOA", "ready?", do=False)
        while True:
            for name, p in procs:
                if p.poll() is not None:
                    return f"{name} exited ({p.returncode})"
            r, _ = c.ask(q, 1)
            if r is not None:
                break
            if time.monotonic() > deadline:
                return f"{addr} ({zone}) not ready"
            time.sleep(0.05)
    return ""


def _nsd_conf(src_conf, world, run_dir, net):
    """Rewrite an exported nsd/<zone>.conf for address net.x and our own
    run directory; returns (conf text, address, zone)."""
    text = open(src_conf).read()
    addr = re.search(r"ip-address:\s*(\S+)", text).group(1)
    zone = re.search(r'name:\s*"?([^"\s]+)"?', text).group(1).lower()
    new = net + addr.rsplit(".", 1)[1]
    tag = f"{net}{os.path.basename(src_conf)}"
    text = re.sub(r"ip-address:\s*\S+", f"ip-address: {new}", text)
    text = re.sub(r"port:\s*\d+", f"port: {PORT}", text)
    text = re.sub(r'zonesdir:\s*"[^"]*"',
                  f'zonesdir: "{os.path.join(world, "zones")}"', text)
    for key, ext in (("zonelistfile", "zonelist"), ("xfrdfile", "xfrd"),
                     ("pidfile", "pid"), ("logfile", "log")):
        text = re.sub(rf'{key}:\s*"[^"]*"',
                      f'{key}: "{os.path.join(run_dir, tag + "." + ext)}"',
                      text)
    text = re.sub(r'xfrdir:\s*"[^"]*"', f'xfrdir: "{run_dir}"', text)
    if "rrl-ratelimit" not in text:
        text = text.replace("server:\n", "server:\n\trrl-ratelimit: 0\n", 1)
    return text, addr, zone


def inside(cfg):
    """pid 1 of fresh namespaces: start the servers, run the corpora,
    print one JSON object."""
    res = {"zones": [], "errors": [], "t": {}}
    t0 = time.monotonic()
    procs = []          # (name, Popen)
    tmp = tempfile.mkdtemp(prefix="danelab-diff-")
    try:
        subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
        world = os.path.join(tmp, "world")
        if cfg["mode"] == "nsd":
            shutil.copytree(cfg["export"], world)
        else:
            env = dict(os.environ, TMPDIR=tmp)
            log = open(os.path.join(tmp, "serve.log"), "w")
            # --no-timeline: NSD serves the export, phase 0 for good.
            p = subprocess.Popen(cfg["danelab"] + ["serve", cfg["id"],
                                                   "--no-timeline",
                                                   "--port", str(PORT)],
                                 stdout=log, stderr=subprocess.STDOUT,
                                 env=env)
            procs.append(("danelab serve", p))
            deadline = time.monotonic() + READY_TIMEOUT
            served = None
            while served is None:
                found = glob.glob(os.path.join(tmp, "danelab-*", "world",
                                               "nsd", "*.conf"))
                ready = "ready" in open(log.name).read()
                if found and ready:
                    served = os.path.dirname(os.path.dirname(found[0]))
                elif p.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        "danelab serve did not come up: " +
                        open(log.name).read()[-2000:])
                else:
                    time.sleep(0.05)
            shutil.copytree(served, world, ignore=shutil.ignore_patterns(
                "run", "keys", "tls"))
        run_dir = os.path.join(tmp, "run")
        os.makedirs(run_dir, exist_ok=True)
        nets = [REF_NET] + ([SUBJECT_NET] if cfg["mode"] == "nsd" else [])
        servers = []    # (zone, subject addr, reference addr, zone file)
        for f in sorted(glob.glob(os.path.join(world, "nsd", "*.conf"))):
            for net in nets:
                text, addr, zone = _nsd_conf(f, world, run_dir, net)
                conf = os.path.join(run_dir, net + os.path.basename(f))
                with open(conf, "w") as fp:
                    fp.write(text)
                p = subprocess.Popen(["nsd", "-d", "-c", conf],
                                     stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
                procs.append((f"nsd {conf}", p))
            zfile = os.path.join(world, "zones", "root.zone" if zone == "."
                                 else zone.rstrip(".") + ".zone")
            servers.append((zone, SUBJECT_NET + addr.rsplit(".", 1)[1],
                            REF_NET + addr.rsplit(".", 1)[1], zfile))
        err = _wait_ready([s[1] for s in servers] + [s[2] for s in servers],
                          [s[0] for s in servers] * 2, procs,
                          time.monotonic() + READY_TIMEOUT)
        res["t"]["ready"] = time.monotonic() - t0
        if err:
            raise RuntimeError(err)
        faulted_names = [(n.lower(), kind) for n, kind in cfg["faults"]]

        def faulted(name):
            name = name.lower()
            for fname, kind in faulted_names:
                if name == fname or (kind == "lame" and
                                     _in_zone(name, fname)):
                    return True
            return False

        # A denial-proof fault breaks every negative answer of its zone
        # that carries the faulted name's proof records (the NSEC/NSEC3
        # RRsets proving its absence, wherever they appear: other names
        # in the same span too), which NSD cannot play: the whole zone
        # (the most specific one holding the name) is not compared, and
        # says so (a TAP skip).  Its answers are checked against real
        # validators by tests/integration/test_validators.py.
        denial_zones = set()
        for fname, kind in faulted_names:
            if kind in ("proof-missing", "proof-wrong", "soa-changed"):
                holders = [z for z, _, _, _ in servers
                           if _in_zone(fname, z.lower())]
                if holders:
                    denial_zones.add(max(holders, key=len))

        for zone, saddr, raddr, zfile in servers:
            rng = random.Random(f"{cfg['id']}/{zone}")
            nodes = zone_nodes(zfile, zone)
            ctx = {"zone": zone, "mode": cfg["mode"]}
            zr = {"zone": zone, "subject": saddr, "reference": raddr,
                  "sent": 0, "identical": 0, "accepted": 0,
                  "different": 0, "udp": 0, "tcp": 0, "do": 0,
                  "tc": 0, "diffs": [], "accepts": [], "why": {}}
            if zone in denial_zones:
                zr["skip"] = ("a denial-proof fault in the zone: NSD "
                              "serves every proof intact")
                res["zones"].append(zr)
                continue
            qs = corpus(zone, nodes, rng, faulted)
            zr["sent"] = len(qs)
            cs, cr = Conn(saddr), Conn(raddr)
            for i, q in enumerate(qs):
                qid = rng.randrange(65536)
                ws, es = cs.ask(q, qid)
                wr, er = cr.ask(q, qid)
                zr["tcp" if q.tcp else "udp"] += 1
                zr["do"] += q.do and bool(q.payload)
                d, acc = compare(q, ws, wr, ctx)
                if wr is not None and len(wr) > 2 and wr[2] & 0x02:
                    zr["tc"] += 1
                if d:
                    zr["different"] += 1
                    if len(zr["diffs"]) < SHOW:
                        zr["diffs"].append({
                            "query": q.describe(), "what": d,
                            "danelab": _show(ws) if es is None else es,
                            "nsd": _show(wr) if er is None else er})
                    else:
                        zr["diffs"].append({"query": q.describe(),
                                            "what": d})
                elif acc:
                    zr["accepted"] += 1
                    for t in acc:
                        m = re.search(r"\(([^()]*)\)$", t)
                        why = m.group(1) if m else t
                        zr["why"][why] = zr["why"].get(why, 0) + 1
                    if len(zr["accepts"]) < 3:
                        zr["accepts"].append({"query": q.describe(),
                                              "what": acc})
                else:
                    zr["identical"] += 1
            cs.close()
            cr.close()
            res["zones"].append(zr)
        res["t"]["queries"] = time.monotonic() - t0
    except Exception as e:
        res["errors"].append(f"{type(e).__name__}: {e}")
        for f in glob.glob(os.path.join(tmp, "run", "*.log")) + \
                glob.glob(os.path.join(tmp, "serve.log")):
            res["errors"].append(f"{os.path.basename(f)}: " +
                                 open(f, errors="replace").read()[-800:])
    finally:
        for name, p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 5
        for name, p in procs:
            try:
                p.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                res["errors"].append(f"{name} ignored SIGTERM; killed")
                p.kill()
                p.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    res["t"]["stop"] = time.monotonic() - t0
    print(json.dumps(res))
    return 0


# ============================================================ outside

_children = set()
_children_lock = threading.Lock()


def run_child(argv, timeout):
    p = subprocess.Popen(argv, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    with _children_lock:
        _children.add(p)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
        err += f"\n(killed after {timeout} s)"
    finally:
        with _children_lock:
            _children.discard(p)
    return p.returncode, out, err


def faults_of(s):
    """[(name, kind)] of the scenario's dns: faults."""
    out = []
    for kind, value, f in s.faults:
        if kind == "dns" and f.get("name"):
            out.append((dltest.fqdn(f["name"]), str(value)))
    return out


def run_scenario(s, danelab, src, tmp):
    t0 = time.monotonic()
    cfg = {"mode": MODE, "id": s.id, "faults": faults_of(s),
           "danelab": dltest.danelab_cmd(danelab, src)}
    res = {"s": s}
    if MODE == "nsd":
        dest = os.path.join(tmp, s.id.replace("/", "_"))
        r, _ = dltest.export(danelab, src, s.id, dest)
        if r.returncode != 0:
            res["error"] = f"danelab export exit {r.returncode}: {r.stderr}"
            return res
        cfg["export"] = dest
    argv = ["unshare", "-n", "-m", "-p", "-f", "--mount-proc",
            "--kill-child", sys.executable, os.path.abspath(__file__),
            "--inside", json.dumps(cfg)]
    rc, out, err = run_child(argv, 600)
    try:
        res["inside"] = json.loads(out.strip().split("\n")[-1])
    except (ValueError, IndexError):
        res["error"] = f"namespace run exit {rc}: {out[-2000:]}{err[-2000:]}"
    res["t"] = time.monotonic() - t0
    return res


def report(res, tap, totals):
    s = res["s"]
    if "error" in res:
        tap.ok(False, f"{s.id}: {res['error'][:200]}")
        tap.diag(res["error"])
        return
    ins = res["inside"]
    if not tap.ok(not ins["errors"], f"{s.id}: servers up (ready after "
                  f"{ins['t'].get('ready', -1):.2f} s), corpus run"):
        tap.diag("\n".join(ins["errors"]))
    sent = sum(z["sent"] for z in ins["zones"])
    same = sum(z["identical"] for z in ins["zones"])
    acc = sum(z["accepted"] for z in ins["zones"])
    diff = sum(z["different"] for z in ins["zones"])
    for k, v in (("sent", sent), ("identical", same), ("accepted", acc),
                 ("different", diff)):
        totals[k] += v
    tap.diag(f"{s.id}: {sent} queries, {same} identical, {acc} accepted, "
             f"{diff} different ({res['t']:.1f} s)")
    for z in ins["zones"]:
        desc = (f"{s.id}: zone {z['zone']} danelab {z['subject']} vs NSD "
                f"{z['reference']}: {z['sent']} queries ({z['udp']} UDP, "
                f"{z['tcp']} TCP, {z['do']} DO, {z['tc']} TC), "
                f"{z['identical']} identical, {z['accepted']} accepted, "
                f"{z['different']} different")
        if z.get("skip"):
            tap.ok(True, f"{s.id}: zone {z['zone']} not compared",
                   skip=z["skip"])
            continue
        if z["sent"] < MIN_CORPUS:
            tap.ok(False, desc + f" -- corpus under {MIN_CORPUS}")
        elif not tap.ok(z["different"] == 0, desc):
            for d in z["diffs"][:SHOW]:
                tap.diag(f"query: {d['query']}")
                for w in d["what"]:
                    tap.diag(f"  {w}")
                tap.diag("  danelab:\n" + _indent(d["danelab"]))
                tap.diag("  NSD:\n" + _indent(d["nsd"]))
            more = z["diffs"][SHOW:]
            if more:
                tap.diag(f"  ... and {z['different'] - SHOW} more, e.g.:")
                for d in more[:20]:
                    tap.diag(f"  {d['query']}: {'; '.join(d['what'])}")
        for why, n in sorted(z["why"].items()):
            tap.diag(f"  accepted {n}x: {why}")
        for a in z["accepts"][:1]:
            tap.diag(f"  e.g. {a['query']}: {'; '.join(a['what'])}")


def _indent(text):
    return "\n".join("    " + ln for ln in str(text).split("\n"))


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--inside":
        return inside(json.loads(sys.argv[2]))
    danelab, src = dltest.args()
    if not HAVE_DNSPYTHON:
        dltest.skip_all("python3 dns module missing (Debian: "
                        "python3-dnspython)")
    dltest.need_tools("nsd", "ip")
    dltest.need_yaml()
    dltest.need_root_namespaces()
    if MODE not in ("danelab", "nsd"):
        print(f"Bail out! DANELAB_DIFF_REF={MODE}: danelab or nsd")
        return 1

    def on_signal(signum, frame):
        with _children_lock:
            for p in list(_children):
                p.kill()
        raise SystemExit(f"killed by signal {signum}")
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    scens, errors = dltest.catalogue(src)
    only = os.environ.get("DANELAB_DIFF_ONLY")
    if only:
        scens = [s for s in scens if re.search(only, s.id)]
    tap = Tap()
    for path, msg in errors:
        tap.ok(False, f"{path}: YAML parse: {msg}")
    if not scens and not errors:
        dltest.fail_all("no scenarios")
    jobs = int(os.environ.get("DANELAB_DIFF_JOBS") or
               min(2, os.cpu_count() or 1))
    totals = {"sent": 0, "identical": 0, "accepted": 0, "different": 0}
    t0 = time.monotonic()
    tap.diag(f"{len(scens)} scenarios, danelab vs NSD"
             if MODE == "danelab" else
             f"{len(scens)} scenarios, REFERENCE MODE: NSD vs NSD")
    with dltest.TempDir("danelab-diff-") as tmp:
        with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
            futs = [pool.submit(run_scenario, s, danelab, src, tmp)
                    for s in scens]
            for f in futs:
                report(f.result(), tap, totals)
    tap.diag(f"total: {totals['sent']} queries, {totals['identical']} "
             f"identical, {totals['accepted']} accepted, "
             f"{totals['different']} different, "
             f"{time.monotonic() - t0:.1f} s")
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
