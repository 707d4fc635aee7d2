#!/usr/bin/python3
"""Wrong: a DANE-EE client that never sends SNI (RFC 7672 8.1 asks for the
TLSA base domain).  Per MX host, lowest preference first: TLSA at
_25._tcp.HOST through the lab resolver (no DNSSEC check of its own); with
no TLSA records, TLS without checks; with usage-3 records, STARTTLS
without SNI and deliver only if one matches the certificate served (the
whole certificate or its key, SHA2-256/512 or full).  Exit 75 when no
host was used.

In a world whose server serves the right chain only to clients that name
it, this client meets the default certificate, finds no match and
defers; where one chain is served to everyone it authenticates and
delivers -- without SNI, which the scorer must catch (rule sni)."""
import hashlib
import ssl
import sys

import dns.resolver
from cryptography import x509
from cryptography.hazmat.primitives import serialization

import wronglib


def tlsa(host):
    try:
        ans = dns.resolver.resolve(f"_25._tcp.{host}", "TLSA")
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return []
    return [r for r in ans if r.usage == 3]


def data(der, selector, mtype):
    if selector == 1:
        der = x509.load_der_x509_certificate(der).public_key().public_bytes(
            serialization.Encoding.DER,
            serialization.PublicFormat.SubjectPublicKeyInfo)
    if mtype == 1:
        return hashlib.sha256(der).digest()
    if mtype == 2:
        return hashlib.sha512(der).digest()
    return der


def try_host(host, sender, rcpt):
    records = tlsa(host)
    s = wronglib.connect(host)
    s._host = None          # the mistake: no SNI
    s.starttls(context=wronglib.tls_context())
    der = s.sock.getpeercert(binary_form=True)
    if records and not any(data(der, r.selector, r.mtype) == r.cert
                           for r in records):
        print(f"host {host}: no TLSA record matches: auth-failed")
        s.quit()
        return False
    s.ehlo()
    word = "verified" if records else "unauthenticated"
    print(f"host {host}: TLS {word}, sending (no SNI)")
    wronglib.send(s, sender, rcpt, f"DANE without SNI, {word}")
    s.quit()
    return True


domain, sender, rcpt = wronglib.args()
for h in wronglib.mx_hosts(domain):
    try:
        if try_host(h, sender, rcpt):
            sys.exit(0)
    except (ssl.SSLError, OSError) as e:
        print(f"host {h}: {e}")
print("deferred")
sys.exit(75)
