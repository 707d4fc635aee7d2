#!/usr/bin/python3
"""Wrong: delivers over TLS to the first MX host, then the same message
again in cleartext to the second one (a "backup copy")."""
import wronglib

domain, sender, rcpt = wronglib.args()
hosts = wronglib.mx_hosts(domain)
wronglib.deliver(hosts[0], sender, rcpt, True, "TLS to the first MX")
wronglib.deliver(hosts[1], sender, rcpt, False, "cleartext to the second MX")
