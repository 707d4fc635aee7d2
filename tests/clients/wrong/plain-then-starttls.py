#!/usr/bin/python3
"""Wrong: one session: a whole mail transaction in cleartext, then
STARTTLS, then the same transaction again inside TLS."""
import wronglib

domain, sender, rcpt = wronglib.args()
host = wronglib.mx_hosts(domain)[0]
s = wronglib.connect(host)
wronglib.send(s, sender, rcpt, "cleartext before STARTTLS")
wronglib.starttls(s, host)
wronglib.send(s, sender, rcpt, "inside TLS, same session")
s.quit()
