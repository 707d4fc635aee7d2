#!/usr/bin/env python3
"""`danelab run` against deliberately wrong clients: the scorer must catch
each one with the right verdict and the right rule.

The clients are small Python scripts in tests/clients/wrong/ (smtplib,
ssl, socket, dnspython for the MX lookup through the lab resolver), each
with its profile NAME.yaml there.  A profile names its script by file
name (argv[0], looked up in PATH), so this test puts tests/clients/wrong
first in PATH; `danelab run --client tests/clients/wrong/NAME.yaml` is
run once per client, over the worlds of its cases, policy dane, JSON
report, and every result's verdict and rule are checked:

  tls-then-plain-mx2      TLS to mx1, then cleartext to mx2, both auth: FAIL cleartext
  plain-then-tls          cleartext, then TLS, same host: FAIL cleartext
  plain-then-starttls     one session, a transaction before STARTTLS: FAIL cleartext
  probe-ignores-starttls  probe, EHLO + QUIT, STARTTLS offered: FAIL cleartext
  plain-then-hang         cleartext in a defer world, then hangs: FAIL next-mx-used
  exit-3                  exit 3, no output, defer worlds: ERROR exit-status
  silent-alive            no liveness line, exit 0: ERROR no-liveness
  junk-then-plain         4096 junk sessions, then cleartext: FAIL next-mx-used, < 60 s
  dane-no-sni             DANE-EE checks, never SNI: where one chain is served
                          it authenticates and delivers, where the chain
                          depends on SNI it defers: FAIL sni both times
  tls-quiet               TLS, silent about authentication: PASS, "authentication
                          not observed"
  first-mx-only           .deviations excuses "undelivered" in two worlds: where it
                          delivers to a forbidden host, FAIL next-mx-used (not
                          XFAIL); where it only leaves the mail undelivered, XFAIL
  print-loop              TLS, then 4 MiB of output in a loop: PASS, the reason
                          says "output truncated at 1048576 bytes, N bytes
                          dropped" (at most 1 MiB kept on disk)

No silent loss (issue 12), with a run of its own each:

  tls-quiet, --events-limit 4K   the cell's event log reaches its limit:
                          ERROR evidence, the reason says "size limit"
  print-loop, RLIMIT_FSIZE 256 KiB (SIGXFSZ ignored)   its output file
                          cannot be written: ERROR evidence naming the file
                          and "File too large", not "the client was not run"
  print-loop, TMPDIR on a 600 KiB tmpfs (root only)   the disk fills
                          during the run: ERROR evidence, "No space left on
                          device", not "the client was not run"
  tls-quiet, RLIMIT_FSIZE 8 KiB   the cell's event log cannot be written:
                          ERROR evidence, "could not be written: File too
                          large" (whole lines, nothing after the error)

Real MTAs are driven through lifecycle steps (profile version 2: start,
submit, wait for the log's word, collect, stop); fake ones, with
fake-mta.py as their submit step, check that lifecycle's scoring:

  mta-start-fails         start step exits 1: ERROR exit-status, the reason
                          names the start step, the collect step still ran
  mta-lies                log says status=sent, nothing was delivered: FAIL
                          undelivered
  mta-never-decides       the log never says: HANG timeout, the wait step
  mta-plain-deferred      cleartext, then the log says deferred: FAIL cleartext
  mta-fresh               mkdir {dir}/state in its start step: PASS in every
                          phase of a timeline (a fresh directory per run)

The clients never run as root while it can be helped: as root, with
runuser, danelab runs as `nobody` (in a user namespace of its own), if
nobody can reach the binary and the scripts; else as the current user.

Needs user or root namespaces and /usr/bin/python3 with dnspython.
DANELAB_WRONG_ONLY=NAME,...,loss runs only those clients ("loss": the
LOSS runs).
args: DANELAB SOURCE_ROOT
"""

import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dltest  # noqa: E402

AUTH_2MX = "control/valid-rsa-nsec3"     # two MX hosts, auth at both
AUTH = "control/valid-dane-ee"           # one MX host, auth
DEFER = "mx/all-broken"                  # two MX hosts, both next-mx
MAX_WALL_JUNK = 60.0

# client -> [(scenario, verdict, rule, extra check or None)]
CASES = {
    "tls-then-plain-mx2": [(AUTH_2MX, "FAIL", "cleartext", "mx2")],
    "plain-then-tls": [(AUTH, "FAIL", "cleartext", None)],
    "plain-then-starttls": [(AUTH, "FAIL", "cleartext", None)],
    "probe-ignores-starttls": [(AUTH, "FAIL", "cleartext", None)],
    "plain-then-hang": [(DEFER, "FAIL", "next-mx-used", "hung"),
                        ("starttls/not-offered", "FAIL", "next-mx-used",
                         "hung")],
    "exit-3": [(DEFER, "ERROR", "exit-status", None),
               ("dnssec/ds-mismatch", "ERROR", "exit-status", None),
               ("starttls/not-offered", "ERROR", "exit-status", None),
               ("dnssec/tlsa-rrsig-missing", "ERROR", "exit-status", None)],
    "silent-alive": [(DEFER, "ERROR", "no-liveness", None),
                     (AUTH, "ERROR", "no-liveness", None)],
    "junk-then-plain": [(DEFER, "FAIL", "next-mx-used", "junk")],
    "tls-quiet": [(AUTH, "PASS", None, "not-observed")],
    "dane-no-sni": [(AUTH, "FAIL", "sni", "no-sni"),
                    ("starttls/sni-default-chain", "FAIL", "sni", "no-sni")],
    "first-mx-only": [("mx/primary-broken-backup-valid", "FAIL",
                       "next-mx-used", "no-deviation"),
                      ("starttls/handshake-failure", "XFAIL", "undelivered",
                       None)],
    "mta-start-fails": [(AUTH, "ERROR", "exit-status", "start-step")],
    "mta-lies": [(AUTH, "FAIL", "undelivered", "collected")],
    "mta-never-decides": [(AUTH, "HANG", "timeout", "wait-step")],
    "mta-plain-deferred": [(AUTH, "FAIL", "cleartext", None)],
    "mta-fresh": [("rollover/correct@" + p, "PASS", None, None)
                  for p in ("old-key", "next-published", "switched",
                            "old-retired")],
    "print-loop": [(AUTH, "PASS", None, "output-capped")],
}

# No silent loss: (client, extra run arguments, RLIMIT_FSIZE or None, case);
# RLIMIT_FSIZE "tmpfs": TMPDIR on a tmpfs of TMPFS_SIZE (root only).
RUN_MAX_CLIENT_OUTPUT = 1024 * 1024
TMPFS_SIZE = "600k"
LOSS = [
    ("tls-quiet", ["--events-limit", "4K"], None,
     (AUTH, "ERROR", "evidence", "events-limit")),
    ("print-loop", [], 256 * 1024,
     (AUTH, "ERROR", "evidence", "output-efbig")),
    # Every cell's log fails, the environment check's first: its
    # message must say why.
    ("tls-quiet", [], 8 * 1024,
     (AUTH, "ERROR", None, "events-efbig")),
    # The issue's own: a small file system, filled during the run.
    ("print-loop", [], "tmpfs", (AUTH, "ERROR", "evidence", "enospc")),
]


def summary(x):
    """A result as the diagnostics show it."""
    hosts = [{k: h.get(k) for k in ("host", "accepted", "outcome",
                                    "sessions", "messages_plain",
                                    "messages_tls", "tls_ok", "tls_failed",
                                    "starttls_skipped", "claim")}
             for h in x.get("hosts") or []]
    return json.dumps({"scenario": x.get("scenario"),
                       "verdict": x.get("verdict"), "rule": x.get("rule"),
                       "rule_host": x.get("rule_host"),
                       "reason": x.get("reason"),
                       "deviation": x.get("deviation"),
                       "exit_status": x.get("exit_status"),
                       "env_message": x.get("_env_message"),
                       "hosts": hosts})


def as_nobody(danelab, wrong):
    """The argv prefix that runs danelab as nobody, or [] (and why)."""
    if os.geteuid() != 0:
        return [], "not root: danelab runs as the current user"
    runuser = shutil.which("runuser")
    if runuser is None:
        return [], "root without runuser: the clients run as root"
    pre = [runuser, "-u", "nobody", "--"]
    probe = pre + ["sh", "-c", 'test -x "$1" && test -r "$2" && '
                   'test -x "$3" && unshare -U -r -n -m -p -f true',
                   "sh", danelab, os.path.join(wrong, "wronglib.py"),
                   os.path.join(wrong, "tls-quiet.py")]
    r = subprocess.run(probe, capture_output=True, text=True)
    if r.returncode != 0:
        return [], ("nobody cannot reach the build or make a user "
                    "namespace: the clients run as root "
                    f"({r.stderr.strip()})")
    return pre, "danelab runs as nobody"


def limit_files(fsize):
    """A preexec_fn: files of at most fsize bytes, and a write past it
    fails (EFBIG) rather than killing the writer (SIGXFSZ ignored)."""
    def pre():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
    return pre


def run_client(danelab, src, wrong, pre, tmp, name, scenarios, extra=(),
               fsize=None, tag=""):
    """danelab run --client NAME.yaml SCENARIOS... EXTRA (with files
    limited to fsize bytes): (results, seconds, CompletedProcess)."""
    out = os.path.join(tmp, name + tag + ".json")
    runtmp = os.path.join(tmp, "t-" + name + tag)
    os.mkdir(runtmp)
    os.chmod(runtmp, 0o777)
    path = wrong + ":" + os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:"
                                        "/bin")
    if fsize == "tmpfs":
        # Mounted as root, in a mount namespace of danelab's own.
        pre = ["unshare", "-m", "sh", "-c", "mount -t tmpfs -o size="
               f"{TMPFS_SIZE},mode=1777 tmpfs \"$0\" && exec \"$@\"",
               runtmp] + pre
        fsize = None
    argv = pre + ["env", f"PATH={path}", f"TMPDIR={runtmp}", "NO_COLOR=1"] \
        + dltest.danelab_cmd(danelab, src, "run", "--client",
                             os.path.join(wrong, name + ".yaml"),
                             *scenarios, "--policy", "dane",
                             "--format", "json", "-o", out, *extra)
    t0 = time.monotonic()
    r = dltest.run(argv, timeout=300,
                   preexec_fn=limit_files(fsize) if fsize else None)
    secs = time.monotonic() - t0
    try:
        with open(out, encoding="utf-8") as f:
            doc = json.load(f)
        for x in doc["results"]:
            x["_env_message"] = (doc.get("env") or {}).get("message")
        return doc["results"], secs, r
    except (OSError, ValueError, KeyError):
        return None, secs, r


def check(tap, name, case, x, secs):
    sid, verdict, rule, extra = case
    desc = f"{name} in {sid}: {verdict}" + (f", rule {rule}" if rule else "")
    ok = x.get("verdict") == verdict and x.get("rule") == rule
    if ok and extra == "mx2":
        ok = x.get("rule_host") == "mx2.example.net"
        desc += " at mx2.example.net"
    elif ok and extra == "hung":
        ok = "hung" in (x.get("reason") or "")
        desc += " (the reason says it then hung)"
    elif ok and extra == "not-observed":
        ok = "authentication not observed" in (x.get("reason") or "")
        desc += ", reason says \"authentication not observed\""
    elif ok and extra == "no-sni":
        ok = "TLS with no SNI at mx1.example.net" in (x.get("reason") or "")
        desc += ", reason says \"TLS with no SNI at mx1.example.net\""
    elif ok and extra == "no-deviation":
        ok = not x.get("deviation")
        desc += " (the undelivered deviation does not excuse it)"
    elif ok and extra == "start-step":
        ok = ("start step exited 1" in (x.get("reason") or "") and
              "[danelab] collect:" in (x.get("output") or ""))
        desc += " (the reason names the start step; the log was collected)"
    elif ok and extra == "wait-step":
        ok = "wait step" in (x.get("reason") or "")
        desc += " (the reason names the wait step)"
    elif ok and extra == "collected":
        ok = "fake-mta: to=<" in (x.get("output") or "")
        desc += " (its log collected into the output)"
    elif ok and extra == "output-capped":
        m = re.search(r"output truncated at (\d+) bytes, (\d+) bytes "
                      r"dropped", x.get("reason") or "")
        ok = (m is not None and int(m.group(1)) <= RUN_MAX_CLIENT_OUTPUT and
              int(m.group(1)) + int(m.group(2)) >= 4 * 1024 * 1024)
        desc += (", the reason says the output was truncated at most 1 MiB "
                 "and the rest dropped")
    elif ok and extra == "events-limit":
        ok = "size limit" in (x.get("reason") or "")
        desc += ", the reason says the event log reached its size limit"
    elif ok and extra == "events-efbig":
        ok = ("event log could not be written: File too large" in
              (x.get("reason") or "") + (x.get("_env_message") or ""))
        desc += (", the environment check says the event log could not be "
                 "written")
    elif ok and extra == "enospc":
        why = x.get("reason") or ""
        ok = "No space left on device" in why and "not run" not in why
        desc += ", the reason says No space left on device"
    elif ok and extra == "output-efbig":
        why = x.get("reason") or ""
        ok = ("out.0.out: File too large" in why and
              "not run" not in why)
        desc += ", the reason names the output file and File too large"
    elif ok and extra == "junk":
        mx1 = (x.get("hosts") or [{}])[0]
        ok = mx1.get("sessions", 0) >= 4097 and secs < MAX_WALL_JUNK
        desc += (f", {mx1.get('sessions')} sessions seen, run took "
                 f"{secs:.1f} s (< {MAX_WALL_JUNK:.0f} s)")
    tap.ok(ok, desc)
    tap.diag(summary(x))


def main():
    danelab, src = dltest.args()
    dltest.setup_signals()
    wrong = os.path.join(src, "tests", "clients", "wrong")
    r = dltest.run(["/usr/bin/python3", "-c", "import dns.resolver"])
    if r.returncode != 0:
        dltest.skip_all("/usr/bin/python3 without dnspython "
                        "(Debian: python3-dnspython)")
    if os.geteuid() != 0:
        r = dltest.run(["unshare", "-U", "-r", "-n", "-m", "-p", "-f",
                        "true"])
        if r.returncode != 0:
            dltest.skip_all("no user namespaces: " + r.stderr.strip())
    pre, who = as_nobody(danelab, wrong)
    # DANELAB_WRONG_ONLY=a,b,loss: only those clients (loss: the LOSS runs).
    only = [n for n in os.environ.get("DANELAB_WRONG_ONLY", "").split(",")
            if n]
    tap = dltest.Tap()
    tap.diag(who)
    t_all = time.monotonic()
    with dltest.TempDir(prefix="danelab-wrong-") as tmp:
        os.chmod(tmp, 0o777)
        for name, cases in CASES.items():
            if only and name not in only:
                continue
            sids = sorted({c[0].split("@")[0] for c in cases})
            res, secs, r = run_client(danelab, src, wrong, pre, tmp, name,
                                      sids)
            tap.diag(f"{name}: {secs:.1f} s, exit {r.returncode}")
            if res is None:
                tap.ok(False, f"{name}: danelab run wrote a JSON report "
                       f"(exit {r.returncode})")
                tap.diag(dltest.short(r.stdout) + dltest.short(r.stderr))
                continue
            for case in cases:
                sid, _, phase = case[0].partition("@")
                got = [x for x in res if x.get("scenario") == sid
                       and (not phase or x.get("phase") == phase)
                       and x.get("client") in (None, name)]
                if len(got) != 1:
                    tap.ok(False, f"{name} in {case[0]}: one result "
                           f"(got {len(got)})")
                    continue
                check(tap, name, case, got[0], secs)
        for k, (name, extra, fsize, case) in enumerate(LOSS):
            if only and "loss" not in only:
                break
            if fsize == "tmpfs" and os.geteuid() != 0:
                tap.ok(True, f"{name} on a full tmpfs", skip="not root")
                continue
            res, secs, r = run_client(danelab, src, wrong, pre, tmp, name,
                                      [case[0]], extra, fsize, f"-loss{k}")
            tap.diag(f"{name} {' '.join(extra)} fsize {fsize}: {secs:.1f} "
                     f"s, exit {r.returncode}")
            got = [x for x in res or [] if x.get("scenario") == case[0]]
            if len(got) != 1:
                tap.ok(False, f"{name} ({extra}, fsize {fsize}): one result "
                       f"(exit {r.returncode})")
                tap.diag(dltest.short(r.stdout) + dltest.short(r.stderr))
                continue
            check(tap, f"{name} ({' '.join(extra) or f'fsize {fsize}'})",
                  case, got[0], secs)
    tap.diag(f"total {time.monotonic() - t_all:.1f} s")
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
