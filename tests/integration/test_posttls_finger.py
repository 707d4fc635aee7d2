#!/usr/bin/env python3
"""posttls-finger: Postfix's DANE probe inside `danelab shell`.

posttls-finger exits 0 whatever the DANE outcome, so its output is read:
  control/valid-dane-ee          "Verified TLS connection established"
  rollover/stale-tlsa, phase     "num=65:no matching DANE TLSA records" and
  renewed (--phase)              "Untrusted TLS connection established"
  timeline/late-introduction-    a probe at the start verifies; right after
  fast (tests/integration/       the certificate switch, while the lab
  worlds; timeline played)       resolver still has the old TLSA RRset
                                 cached, it fails to match; once the 3 s
                                 TTL ran out it verifies again.
`danelab shell` sets MAIL_CONFIG to a directory with a minimal main.cf
(DNSSEC and DANE); the probe resolves through /etc/resolv.conf, the lab
resolver, and connects to danelab's SMTP server on 127.25.0.1:25.

Needs root (namespaces; Postfix programs fail setgid in a user namespace),
and posttls-finger (Debian: postfix); skips (77) otherwise.
  args: DANELAB SOURCE_ROOT
"""

import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dltest  # noqa: E402

FINGER = ["posttls-finger", "-t30", "-c", "-l", "dane", "-P",
          "/etc/ssl/certs", "example.net"]
VERIFIED = "Verified TLS connection established"
UNTRUSTED = "Untrusted TLS connection established"
NO_MATCH = "num=65:no matching DANE TLSA records"
FAST = os.path.join("tests", "integration", "worlds", "timeline",
                    "late-introduction-fast.yaml")


def finger():
    r = subprocess.run(FINGER, capture_output=True, text=True, timeout=60)
    return r.returncode, r.stdout + r.stderr


def phase_started(events, index):
    try:
        with open(events) as f:
            for line in f:
                try:
                    e = json.loads(line)
                except ValueError:
                    continue
                if e.get("ev") == "phase.start" and e.get("index") == index:
                    return True
    except OSError:
        pass
    return False


def wait_phase(events, index, limit=30):
    t_end = time.monotonic() + limit
    while time.monotonic() < t_end and not phase_started(events, index):
        time.sleep(0.02)


def inside_timeline(events):
    """Probes across the late introduction; JSON [(label, t, output)]."""
    out = []
    wait_phase(events, 0)
    t0 = time.monotonic()
    out.append(["old-key", 0.0, finger()[1]])
    wait_phase(events, 2)
    out.append(["switched", time.monotonic() - t0, finger()[1]])
    # The RRset cached by the first probe lives 3 s; libunbound counts
    # whole seconds, so it goes between 3 and 4 s after it was fetched.
    delay = t0 + 4.6 - time.monotonic()
    if delay > 0:
        time.sleep(delay)
    out.append(["ttl-expired", time.monotonic() - t0, finger()[1]])
    wait_phase(events, 3)
    out.append(["caches-expired", time.monotonic() - t0, finger()[1]])
    return out


def shell(danelab, src, tmp, *argv, timeout=120):
    cmd = [danelab, "--fixtures", os.path.join(src, "fixtures"), "shell",
           "-q"] + list(argv)
    return subprocess.run(cmd, capture_output=True, text=True,
                          timeout=timeout, env=dict(os.environ, TMPDIR=tmp))


def lines(text, *needles):
    return "\n".join(l for l in text.splitlines()
                     if any(n in l for n in needles))


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--inside":
        print(json.dumps(inside_timeline(sys.argv[2])))
        return 0
    danelab, src = dltest.args()
    dltest.need_tools("posttls-finger")
    dltest.need_root_namespaces()
    dltest.setup_signals()
    tap = dltest.Tap()
    with dltest.TempDir() as tmp:
        # A verified DANE-EE connection.
        r = shell(danelab, src, tmp, "control/valid-dane-ee", "--", *FINGER)
        out = r.stdout + r.stderr
        tap.ok(r.returncode == 0 and VERIFIED in out and NO_MATCH not in out,
               f"control/valid-dane-ee: '{VERIFIED}'")
        tap.diag(lines(out, "Verified", "Untrusted", "Matched", "num=",
                       "error", "warning") or dltest.short(out))

        # The certificate renewed, the TLSA record never.
        r = shell(danelab, src, tmp, "--phase", "renewed",
                  "rollover/stale-tlsa", "--", *FINGER)
        out = r.stdout + r.stderr
        tap.ok(r.returncode == 0 and NO_MATCH in out and UNTRUSTED in out
               and VERIFIED not in out,
               f"rollover/stale-tlsa phase renewed: '{NO_MATCH}', "
               f"'{UNTRUSTED}'")
        tap.diag(lines(out, "Verified", "Untrusted", "Matched", "num=",
                       "error", "warning") or dltest.short(out))

        # Late introduction, played live with a 3 s TTL.
        events = os.path.join(tmp, "events.jsonl")
        r = shell(danelab, src, tmp, "-e", events, os.path.join(src, FAST),
                  "--", sys.executable, os.path.abspath(__file__),
                  "--inside", events)
        try:
            probes = json.loads(r.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            tap.ok(False, "late-introduction-fast: the probes ran")
            tap.diag(dltest.short(r.stdout + r.stderr))
            return tap.done()
        want = {"old-key": True, "switched": False, "ttl-expired": True,
                "caches-expired": True}
        for label, t, out in probes:
            verified = VERIFIED in out and NO_MATCH not in out
            failed = NO_MATCH in out and VERIFIED not in out
            if want[label]:
                ok = verified
                what = f"'{VERIFIED}'"
            else:
                # Only while the cached RRset is alive (fetched at ~0).
                ok = failed or t >= 2.8
                what = f"'{NO_MATCH}' (old TLSA RRset cached)"
            tap.ok(ok, f"late-introduction-fast {label} at {t:.2f} s: {what}")
            tap.diag(lines(out, "Verified", "Untrusted", "Matched", "num=",
                           "error", "warning") or dltest.short(out))
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
