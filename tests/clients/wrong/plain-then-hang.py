#!/usr/bin/python3
"""Wrong: delivers in cleartext to the first MX host, then hangs."""
import time

import wronglib

domain, sender, rcpt = wronglib.args()
wronglib.deliver(wronglib.mx_hosts(domain)[0], sender, rcpt, False,
                 "cleartext, then hang")
while True:
    time.sleep(3600)
