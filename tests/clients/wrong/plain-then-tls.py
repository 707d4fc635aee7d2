#!/usr/bin/python3
"""Wrong: one delivery in cleartext, then one over TLS, to the same host."""
import wronglib

domain, sender, rcpt = wronglib.args()
host = wronglib.mx_hosts(domain)[0]
wronglib.deliver(host, sender, rcpt, False, "cleartext first")
wronglib.deliver(host, sender, rcpt, True, "then over TLS")
