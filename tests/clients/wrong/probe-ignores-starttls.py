#!/usr/bin/python3
"""Wrong probe: connects to the first MX host, EHLO, never sends STARTTLS
although it is offered, QUIT; prints nothing."""
import wronglib

domain, sender, rcpt = wronglib.args()
s = wronglib.connect(wronglib.mx_hosts(domain)[0])
s.quit()
