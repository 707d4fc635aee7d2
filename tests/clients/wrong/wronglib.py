"""wronglib -- what the deliberately wrong clients share.

Each wrong client (tests/clients/wrong/*.py) is run by `danelab run`
inside a world: /etc/resolv.conf points at the lab's validating resolver
and every MX host listens on port 25.  They find the MX hosts with
dnspython (no DNSSEC checks: they are wrong on purpose), connect to
port 25 and speak SMTP with smtplib; TLS never verifies anything.

argv of every client: DOMAIN FROM RCPT.
"""

import smtplib
import socket
import ssl
import sys

import dns.resolver

PORT = 25
TIMEOUT = 20


def args():
    if len(sys.argv) != 4:
        sys.stderr.write(f"usage: {sys.argv[0]} DOMAIN FROM RCPT\n")
        sys.exit(64)
    return sys.argv[1], sys.argv[2], sys.argv[3]


def mx_hosts(domain):
    """MX host names (no final dot), lowest preference first."""
    ans = dns.resolver.resolve(domain, "MX")
    rrs = sorted(ans, key=lambda r: r.preference)
    return [r.exchange.to_text(omit_final_dot=True) for r in rrs]


def address(host):
    return dns.resolver.resolve(host, "A")[0].to_text()


def tls_context():
    """TLS that checks nothing at all."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def connect(host):
    """An SMTP session with host (port 25), after EHLO."""
    s = smtplib.SMTP(address(host), PORT, local_hostname="wrong.client",
                     timeout=TIMEOUT)
    s.ehlo()
    return s


def starttls(s, host):
    s._host = host          # the SNI smtplib sends
    s.starttls(context=tls_context())
    s.ehlo()


def message(sender, rcpt, note):
    return (f"From: <{sender}>\r\nTo: <{rcpt}>\r\n"
            f"Subject: danelab wrong client ({note})\r\n\r\n"
            f"A deliberately wrong client: {note}.\r\n")


def send(s, sender, rcpt, note):
    s.sendmail(sender, [rcpt], message(sender, rcpt, note))


def deliver(host, sender, rcpt, tls, note):
    """One session with host: STARTTLS if tls, one message, QUIT."""
    s = connect(host)
    if tls:
        starttls(s, host)
    send(s, sender, rcpt, note)
    s.quit()
