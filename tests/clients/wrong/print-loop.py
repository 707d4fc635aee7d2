#!/usr/bin/python3
"""Loud: delivers over TLS like tls-quiet, then prints in a loop, far past
what danelab keeps of a client's output (1 MiB per run): the rest must be
read and dropped (the client must not block on a full pipe), the disk
must not fill, and the result's reason must say how much was dropped."""
import sys

import wronglib

LOOP_BYTES = 4 * 1024 * 1024

domain, sender, rcpt = wronglib.args()
wronglib.deliver(wronglib.mx_hosts(domain)[0], sender, rcpt, True,
                 "over TLS, then loud")
line = ("print-loop: " + "x" * 115 + "\n").encode()
out = sys.stdout.buffer
for _ in range(LOOP_BYTES // len(line)):
    out.write(line)
out.flush()
