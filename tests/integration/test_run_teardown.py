#!/usr/bin/env python3
"""`danelab run` leaves nothing behind, however a cell ends.

A test client (a profile written here) that just sleeps stands in for a
client that hangs.  Three ways to end it:
  1. the client is killed (SIGKILL) in the middle of the cell: the run
     goes on, the cell is scored (ERROR: killed by a signal, an exit
     status its profile does not declare), the run exits 1;
  2. the client outlives its profile's timeout: HANG, exit 1, in about
     the timeout;
  3. Ctrl-C: SIGINT to the run's process group, as a terminal sends it,
     while cells run: the run stops within seconds, exits non-zero and
     says it was interrupted.
  4. SIGKILL of the whole run: its temporary directories stay, and the
     next run removes them as it starts; a run started while another is
     live leaves the live one's directories alone;
  5. the same for `danelab shell`.
After each: no process of the run is left (none whose command line
holds the run's TMPDIR or the sleeper's marker), no mount is left in the
host's mount table, TMPDIR is empty.

Needs root (namespaces).  args: DANELAB SOURCE_ROOT
"""

import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dltest  # noqa: E402

MARKER = "danelab-teardown-sleeper"


def profile(tmp, timeout):
    """A client that sleeps 120 s; argv[0] is a symlink named MARKER."""
    link = os.path.join(tmp, MARKER)
    if not os.path.exists(link):
        os.symlink("/bin/sleep", link)
    path = os.path.join(tmp, f"sleeper{timeout}.yaml")
    with open(path, "w") as f:
        f.write(f"""version: 1
name: sleeper{timeout}
description: a client that never finishes (test_run_teardown.py)
requires: [{link}]
argv: [{link}, "120"]
timeout: {timeout}
delivers: true
policy: {{ dane: dane, dane-only: dane-only }}
""")
    return path


def procs_matching(*needles):
    out = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if any(n in cmd for n in needles):
            out.append((int(pid), cmd.strip()))
    return out


def mounts():
    with open("/proc/1/mountinfo") as f:
        return len(f.read().splitlines())


def wait_for(pred, timeout):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(0.05)
    return None


def start(danelab, src, tmp, *argv):
    env = dict(os.environ, TMPDIR=tmp, NO_COLOR="1")
    return subprocess.Popen(
        dltest.danelab_cmd(danelab, src, "run", "--format", "text", *argv),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        start_new_session=True)


def finish(run, timeout):
    """(stdout, stderr) of the run, killed (its process group, by its
    PID) if it has not ended within timeout seconds."""
    try:
        return run.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(run.pid, signal.SIGKILL)
        return run.communicate()


def leftovers(tap, what, tmp, m0):
    time.sleep(0.3)
    p = procs_matching(tmp, MARKER)
    tap.ok(not p, f"{what}: no process left {p[:3]}")
    m = mounts()
    tap.ok(m == m0, f"{what}: no mount left ({m0} -> {m})")
    left = [f for f in os.listdir(tmp) if f != MARKER and
            not f.endswith(".yaml")]
    tap.ok(not left, f"{what}: TMPDIR empty {left}")


def main():
    danelab, src = dltest.args()
    dltest.need_root_namespaces()
    dltest.setup_signals()
    tap = dltest.Tap()
    m0 = mounts()
    with dltest.TempDir() as tmp:
        # 1. the client killed mid-run
        prof = profile(tmp, 60)
        t0 = time.monotonic()
        run = start(danelab, src, tmp, "--client", prof, "--policy", "dane",
                    "control/valid-dane-ee")
        # The client itself: argv[0] is the marker (the runner's command
        # line holds it too, later).
        victim = wait_for(lambda: [p for p in procs_matching(MARKER)
                                   if p[1].split(" ")[0].endswith(MARKER)],
                          20)
        tap.ok(bool(victim), "the sleeping client started inside the lab")
        if victim:
            os.kill(victim[0][0], signal.SIGKILL)
        out, err = finish(run, 30)
        el = time.monotonic() - t0
        # Killed by a signal (137): an exit status its profile does not
        # declare, so ERROR (rule exit-status), never a verdict.
        tap.ok(run.returncode == 1 and "ERROR" in out and
               "exit-status" in out and el < 30,
               f"client killed: the cell is ERROR (exit-status), exit 1, "
               f"in {el:.1f} s ({run.returncode})")
        if run.returncode != 1:
            tap.diag(dltest.short(out) + dltest.short(err))
        leftovers(tap, "client killed", tmp, m0)

        # 2. the client outlives its timeout
        prof = profile(tmp, 2)
        t0 = time.monotonic()
        run = start(danelab, src, tmp, "--client", prof, "--policy", "dane",
                    "control/valid-dane-ee")
        out, err = finish(run, 60)
        el = time.monotonic() - t0
        tap.ok(run.returncode == 1 and "HANG" in out and el < 15,
               f"client timeout: HANG, exit 1, after {el:.1f} s "
               f"({run.returncode})")
        if "HANG" not in out:
            tap.diag(dltest.short(out) + dltest.short(err))
        leftovers(tap, "client timeout", tmp, m0)

        # 3. Ctrl-C while cells run
        prof = profile(tmp, 60)
        run = start(danelab, src, tmp, "--client", prof, "--jobs", "2")
        started = wait_for(lambda: procs_matching(MARKER), 30)
        tap.ok(bool(started), "cells running before Ctrl-C")
        t0 = time.monotonic()
        os.killpg(run.pid, signal.SIGINT)
        out, err = finish(run, 20)
        el = time.monotonic() - t0
        tap.ok(run.returncode not in (0, 77, None) and
               "interrupted" in (out + err).lower() and el < 15,
               f"Ctrl-C: the run stops in {el:.1f} s, exit "
               f"{run.returncode}, says interrupted")
        leftovers(tap, "Ctrl-C", tmp, m0)

        killed_run(tap, danelab, src, tmp, m0)
        killed_shell(tap, danelab, src, tmp, m0)
    sys.exit(tap.done())


def killed_shell(tap, danelab, src, tmp, m0):
    """5. The same for `danelab shell`: SIGKILL leaves its lab directory,
    the next shell removes it as it starts."""
    env = dict(os.environ, TMPDIR=tmp, NO_COLOR="1")
    link = os.path.join(tmp, MARKER)
    sh = subprocess.Popen(
        dltest.danelab_cmd(danelab, src, "shell", "-q",
                           "control/valid-dane-ee", "--", link, "60"),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        start_new_session=True)
    # The command itself (argv[0] the marker), not danelab's command line.
    started = wait_for(lambda: [p for p in procs_matching(MARKER)
                                if p[1].split(" ")[0].endswith(MARKER)],
                       30)
    os.killpg(sh.pid, signal.SIGKILL)
    sh.communicate()
    gone = wait_for(lambda: not procs_matching(tmp, MARKER), 10)
    dead = temp_dirs(tmp)
    tap.ok(started and gone and dead, f"shell SIGKILL: its lab directory "
           f"left {dead} (started {bool(started)}, gone {bool(gone)})")
    r = subprocess.run(
        dltest.danelab_cmd(danelab, src, "shell", "-q",
                           "control/valid-dane-ee", "--", "true"),
        capture_output=True, text=True, env=env, timeout=60)
    tap.ok(r.returncode == 0, f"the next shell ran ({r.returncode} "
           f"{dltest.short(r.stderr, 200)})")
    leftovers(tap, "shell SIGKILL, then a shell", tmp, m0)


def temp_dirs(tmp):
    return sorted(f for f in os.listdir(tmp) if f.startswith("danelab-")
                  and f != MARKER)


def killed_run(tap, danelab, src, tmp, m0):
    """4. SIGKILL (every process of the run: nothing can clean up).  Its
    temporary directories are left; the next run removes them as it
    starts, and a run that starts while another is live leaves the live
    one's directories alone (issue 12 row 10)."""
    prof = profile(tmp, 60)
    run = start(danelab, src, tmp, "--client", prof, "--policy", "dane",
                "control/valid-dane-ee")
    started = wait_for(lambda: procs_matching(MARKER), 30)
    tap.ok(bool(started), "SIGKILL: the client started")
    os.killpg(run.pid, signal.SIGKILL)
    run.communicate()
    gone = wait_for(lambda: not procs_matching(tmp, MARKER), 10)
    dead = temp_dirs(tmp)
    tap.ok(gone and dead, f"SIGKILL: every process gone, its temporary "
           f"directories left {dead}")

    # The next run starts (and stays: its client sleeps).
    live = start(danelab, src, tmp, "--client", prof, "--policy", "dane",
                 "control/valid-dane-ee")
    started = wait_for(lambda: procs_matching(MARKER), 30)
    now = temp_dirs(tmp)
    tap.ok(started and not set(dead) & set(now) and now,
           f"the next run removed the killed run's directories as it "
           f"started (left {sorted(set(dead) & set(now))}, its own {now})")

    # A third run starts and ends while the second is live.
    quick = start(danelab, src, tmp, "--client", profile(tmp, 2),
                  "--policy", "dane", "control/valid-dane-ee")
    finish(quick, 60)
    after = temp_dirs(tmp)
    tap.ok(set(now) <= set(after), f"a run started meanwhile left the "
           f"live run's directories alone ({now} -> {after})")
    victim = [p for p in procs_matching(MARKER)
              if p[1].split(" ")[0].endswith(MARKER)]
    for pid, _ in victim:
        os.kill(pid, signal.SIGKILL)
    out, err = finish(live, 30)
    tap.ok(live.returncode == 1, f"the live run ended normally after its "
           f"client was killed ({live.returncode})")
    leftovers(tap, "SIGKILL, then two runs", tmp, m0)


if __name__ == "__main__":
    main()
