#!/usr/bin/python3
"""Wrong: 4096 junk sessions with the first MX host (connect, read the
greeting, QUIT), then one delivery in cleartext there."""
import socket

import wronglib

SESSIONS = 4096

domain, sender, rcpt = wronglib.args()
host = wronglib.mx_hosts(domain)[0]
addr = wronglib.address(host)
for _ in range(SESSIONS):
    with socket.create_connection((addr, wronglib.PORT),
                                  timeout=wronglib.TIMEOUT) as c:
        f = c.makefile("rb")
        f.readline()                    # 220 greeting
        c.sendall(b"QUIT\r\n")
        f.readline()                    # 221
wronglib.deliver(host, sender, rcpt, False, "cleartext after the junk")
