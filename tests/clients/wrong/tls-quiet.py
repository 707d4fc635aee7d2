#!/usr/bin/python3
"""Correct-looking: STARTTLS and one delivery to the first MX host, saying
nothing about authentication (it never checks anything)."""
import wronglib

domain, sender, rcpt = wronglib.args()
wronglib.deliver(wronglib.mx_hosts(domain)[0], sender, rcpt, True,
                 "over TLS, quietly")
