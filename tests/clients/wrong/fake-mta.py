#!/usr/bin/python3
"""A fake MTA for the lifecycle steps of tests/clients/wrong/mta-*.yaml:
the submit step.  fake-mta.py MODE LOG DOMAIN FROM RCPT:

  tls               STARTTLS and one delivery to the first MX host (no
                    check at all), then "status=sent" in LOG
  plain-deferred    one delivery in cleartext, then "status=deferred" in
                    LOG: the log's word must not hide the cleartext
  lie               delivers nothing, but writes "status=sent" in LOG
  silent            delivers nothing and writes nothing: never decides
"""
import sys

import wronglib

if len(sys.argv) != 6:
    sys.stderr.write(f"usage: {sys.argv[0]} MODE LOG DOMAIN FROM RCPT\n")
    sys.exit(64)
mode, log = sys.argv[1], sys.argv[2]
domain, sender, rcpt = sys.argv[3:6]
host = wronglib.mx_hosts(domain)[0]
if mode == "tls":
    wronglib.deliver(host, sender, rcpt, True, "fake MTA, over TLS")
    status = "sent"
elif mode == "plain-deferred":
    wronglib.deliver(host, sender, rcpt, False, "fake MTA, cleartext")
    status = "deferred"
elif mode == "lie":
    status = "sent"
else:
    sys.exit(0)
with open(log, "a") as f:
    f.write(f"fake-mta: to=<{rcpt}>, relay={host}, status={status}\n")
