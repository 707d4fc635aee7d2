#!/usr/bin/env python3
"""report-text: the text report at the width of its terminal.

`danelab report show tests/report/diff-new.json --format text` (results
~130 columns, rule lines ~135, host lines ~195, client output ~92):

  * into a pipe, COLUMNS unset: no line over 80 columns; the rule's
    words and the URL-free output come back whole when the lines are
    joined (wrapped at word boundaries, continued under their field);
    the summary stays the last line, in one piece;
  * on a pseudo-terminal of 120 columns (TIOCSWINSZ): no line over 120,
    and some over 80 (the terminal's width is used, not 80); of 40
    columns: none over 40 but the summary lines (per client and the
    run's), which stay whole;
  * into a pipe with COLUMNS=200: a result line in one piece (over 120
    columns).

`danelab score` of swaks delivering in cleartext where it must not
(tlsa/servfail, tests/score/events/plain-msg-mx1.jsonl), its transcript
a 200-line message body between the MAIL FROM and the end: the text
report shows the lines that matter (swaks's `output-lines`: MAIL FROM,
the final replies), numbered, not the body's last lines; the JSON
report lists them in output_lines.
  args: DANELAB SOURCE_ROOT
"""

import fcntl
import json
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios

import dltest
from dltest import Tap

SUMMARY = "3 passed, 2 failed, 0 error, 0 hang, 0 skipped, 0 xfail, 0 xpass"
RESULT = re.compile(r"^FAIL   rollover/early-retirement +postfix +"
                    r"dane-only@after-rollover +auth +mx1:delivered-tls"
                    r"\(Untrusted\) mx2:not-contacted$", re.M)


def env(**kw):
    e = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    e["NO_COLOR"] = "1"
    e.update(kw)
    return e


def show(danelab, report, **kw):
    p = subprocess.run([danelab, "report", "show", report, "--format",
                        "text"], capture_output=True, text=True,
                       timeout=60, env=env(**kw))
    return p.returncode, p.stdout


def show_pty(danelab, report, cols):
    """The report written to a pseudo-terminal cols wide."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ,
                struct.pack("HHHH", 40, cols, 0, 0))
    # No \n -> \r\n: the lines as written.
    attr = termios.tcgetattr(slave)
    attr[1] &= ~termios.OPOST
    termios.tcsetattr(slave, termios.TCSANOW, attr)
    p = subprocess.Popen([danelab, "report", "show", report, "--format",
                          "text"], stdout=slave, stderr=subprocess.DEVNULL,
                         env=env(), close_fds=True)
    os.close(slave)
    data = b""
    while True:
        r, _, _ = select.select([master], [], [], 30)
        if not r:
            break
        try:
            chunk = os.read(master, 65536)
        except OSError:		# EIO: the other side closed
            break
        if not chunk:
            break
        data += chunk
    os.close(master)
    rc = p.wait(timeout=30)
    return rc, data.decode()


def widest(text):
    return max((len(ln) for ln in text.split("\n")), default=0)


def joined(text):
    """The text with every line break and its indentation as one space."""
    return re.sub(r"\n[ :|]*", " ", re.sub(r" +", " ", text))


def swaks_transcript(path):
    lines = ["=== Trying 127.25.0.1:25...", "=== Connected to 127.25.0.1.",
             "<-  220 mx1.example.net ESMTP", " -> EHLO client.lab",
             "<-  250-mx1.example.net", "<-  250 STARTTLS",
             " -> MAIL FROM:<sender@client.lab>", "<-  250 2.1.0 Ok",
             " -> RCPT TO:<postmaster@example.net>", "<-  250 2.1.5 Ok",
             " -> DATA", "<-  354 End data with <CR><LF>.<CR><LF>",
             " -> Subject: a long message", " -> "]
    lines += [f" -> body line {i} of a long message, nothing to see"
              for i in range(1, 201)]
    lines += [" -> .", "<-  250 2.0.0 Ok: queued as 4ABC", " -> QUIT",
              "<-  221 2.0.0 Bye", "=== Connection closed with remote host."]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return len(lines)


def output_lines_tests(danelab, src, t):
    with dltest.TempDir() as d:
        out = os.path.join(d, "swaks.out")
        n = swaks_transcript(out)
        argv = [danelab, "score", "tlsa/servfail", "--events",
                os.path.join(src, "tests", "score", "events",
                             "plain-msg-mx1.jsonl"),
                "--client", "swaks", "--policy", "dane", "--status", "0",
                "--client-output", out]
        p = subprocess.run(argv + ["--format", "text"], capture_output=True,
                           text=True, timeout=60, cwd=src, env=env())
        text = p.stdout
        t.ok(p.returncode == 1 and "FAIL" in text,
             f"score: swaks in cleartext where it must not: FAIL "
             f"({p.returncode}) {p.stderr.strip()[:200]}")
        t.ok(re.search(r"^    output \(\d+ of %d lines" % n, text, re.M),
             "the output block says it shows some of the lines")
        t.ok(re.search(r"^ +7 \|  -> MAIL FROM:<sender@client\.lab>$", text,
                       re.M),
             "the interesting line (MAIL FROM, line 7) is shown, numbered")
        t.ok(re.search(r"\| <-  250 2\.0\.0 Ok: queued as 4ABC$", text,
                       re.M), "... and the server's final reply")
        t.ok("body line" not in text, "... and not the message body")
        p = subprocess.run(argv + ["--format", "json"], capture_output=True,
                           text=True, timeout=60, cwd=src, env=env())
        try:
            res = json.loads(p.stdout)["results"][0]
        except (ValueError, KeyError, IndexError):
            res = {}
        ol = res.get("output_lines") or []
        t.ok(7 in ol and all(a < b for a, b in zip(ol, ol[1:])) and
             len(ol) <= 16, f"json: output_lines {ol}")


def main():
    danelab, src = dltest.args()
    t = Tap()
    report = os.path.join(src, "tests", "report", "diff-new.json")

    rc, out = show(danelab, report)
    t.ok(rc == 1 and out, f"report show: exit 1 (a FAIL), output ({rc})")
    long_lines = [ln for ln in out.split("\n") if len(ln) > 80]
    t.ok(not long_lines, f"a pipe: no line over 80 columns {long_lines[:2]}")
    t.ok(re.search(r"^    rule:      RFC 7672 2\.2: a host whose TLSA", out,
                   re.M) and
         "try the next MX." in out,
         "the rule: line starts as before, its end on a continuation")
    t.ok("RFC 7672 2.2: a host whose TLSA records are all unusable or do "
         "not match must not receive the message; try the next MX."
         in joined(out), "the rule comes back whole when the lines are "
         "joined (no word cut)")
    t.ok(re.search(r"^ {15}\S", out, re.M),
         "continuations hang under the field (15 columns)")
    t.ok("posttls-finger: mx1.example.net[127.25.0.1]:25: Untrusted TLS "
         "connection established" in joined(out),
         "client output wrapped, nothing lost")
    lines = out.rstrip("\n").split("\n")
    t.ok(lines[-1] == SUMMARY, f"the summary is the last line, whole: "
         f"{lines[-1]!r}")

    rc, out = show_pty(danelab, report, 120)
    w = widest(out)
    t.ok(rc == 1 and 80 < w <= 120,
         f"a terminal of 120 columns: the widest line {w} (80 < w <= 120)")
    t.ok(out.rstrip("\n").split("\n")[-1] == SUMMARY,
         "... the summary last, whole")

    rc, out = show_pty(danelab, report, 40)
    summaries = [ln for ln in out.split("\n")
                 if re.match(r"(client \S+: )?\d+ passed, \d+ failed, ", ln)]
    w = widest("\n".join(ln for ln in out.split("\n")
                         if ln not in summaries))
    t.ok(rc == 1 and w <= 40, f"a terminal of 40 columns: widest {w} "
         f"(but the summary lines)")
    t.ok(len(summaries) == 3 and summaries[-1] == SUMMARY,
         f"... the summary lines (two clients, the run) whole {summaries}")

    rc, out = show(danelab, report, COLUMNS="200")
    t.ok(RESULT.search(out) and widest(out) > 120,
         f"COLUMNS=200 on a pipe: a result line whole ({widest(out)})")
    output_lines_tests(danelab, src, t)
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
