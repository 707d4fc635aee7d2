#!/usr/bin/python3
"""Wrong: the first MX host only, over TLS without any check; never tries
a backup.  A failed handshake there ends the run, exit 0, nothing sent."""
import ssl

import wronglib

domain, sender, rcpt = wronglib.args()
host = wronglib.mx_hosts(domain)[0]
try:
    wronglib.deliver(host, sender, rcpt, True, "first MX only")
except (ssl.SSLError, OSError) as e:
    print(f"first-mx-only: {host}: {e}; giving up")
