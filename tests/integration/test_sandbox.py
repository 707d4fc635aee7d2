#!/usr/bin/env python3
"""test_sandbox -- the client sandbox holds (lab.h, "sandbox").

A hostile client (tests/clients/sandbox/escape.sh) tries to write the
host's /etc, chmod files there, remount / writable, reach the lab
supervisor's root through /proc/1/root, make a block device, map itself
into a new user namespace, append to a file on the host, and read a
variable of danelab's environment.  It runs

  - as a client profile under `danelab run` (escape.yaml),
  - as the command of `danelab shell`,
  - in `danelab shell --writable DIR` (DIR, and only DIR, writable),
  - in `danelab shell --writable-host` (the documented way out),
  - and, when root can run danelab as nobody, all of it again in the
    user-namespace lab of an unprivileged user.

Every attempt on the host must be refused inside the sandbox and the
host must be unchanged afterwards: no /etc/danelab-escape, the modes of
/etc/* as before, the host file as it was (writes to it land in the
client's private copy of /tmp); the client's own /tmp and its run
directory are writable; the bounding capability set is the documented
one.  Real MTAs in the sandbox are covered by the `mta` test.
"""

import json
import os
import shutil
import signal
import stat
import subprocess
import sys

import dltest

# lab_sandbox.c LAB_SANDBOX_CAPS: CHOWN DAC_OVERRIDE FOWNER FSETID KILL
# SETGID SETUID NET_BIND_SERVICE SYS_CHROOT.
CAPS = (1 << 0) | (1 << 1) | (1 << 3) | (1 << 4) | (1 << 5) | (1 << 6) \
    | (1 << 7) | (1 << 10) | (1 << 18)
SCENARIO = "control/valid-dane-ee"
MARKER = "/etc/danelab-escape"

# What each attempt must give, by where the probe runs.
REFUSED = ["write-etc", "chmod-etc", "remount-rw", "proc-root", "mknod",
           "new-userns", "block-device", "env-secret", "write-labdir",
           "write-events", "setuid", "host-ipc"]
# append-host may be refused (a read-only host) or done (the file is in
# the client's private copy of /tmp): either way the host's file stays.
DONE = ["write-tmp", "write-cwd", "openpty"]


def etc_modes():
    out = {}
    for name in sorted(os.listdir("/etc")):
        try:
            st = os.lstat(os.path.join("/etc", name))
        except OSError:
            continue
        out[name] = (st.st_mode, st.st_uid, st.st_gid)
    return out


def probe_lines(text):
    got = {}
    for line in (text or "").splitlines():
        line = line.strip().lstrip("|").strip()
        if line.startswith("sandbox-probe "):
            name, _, what = line[len("sandbox-probe "):].partition(": ")
            got[name] = what.strip()
    return got


class Host:
    """The host as the test found it, and the file the client appends to."""

    def __init__(self, tmp):
        self.file = os.path.join(tmp, "host-file")
        with open(self.file, "w", encoding="ascii") as f:
            f.write("original\n")
        os.chmod(self.file, 0o666)
        self.modes = etc_modes()

    def check(self, tap, where, appended=False):
        tap.ok(not os.path.lexists(MARKER),
               f"{where}: {MARKER} does not exist on the host")
        now = etc_modes()
        changed = [n for n in self.modes if now.get(n) != self.modes[n]]
        tap.ok(not changed, f"{where}: /etc/* unchanged on the host"
               + (f" (changed: {changed[:5]})" if changed else ""))
        with open(self.file, encoding="ascii") as f:
            text = f.read()
        want = "original\nescaped\n" if appended else "original\n"
        tap.ok(text == want, f"{where}: the host file is "
               + ("appended to (writable)" if appended else "unchanged")
               + ("" if text == want else f" (got {text!r})"))
        with open(self.file, "w", encoding="ascii") as f:
            f.write("original\n")
        if os.path.lexists(MARKER):  # a broken sandbox: clean up after it
            try:
                os.unlink(MARKER)
            except OSError as e:
                tap.diag(f"cannot remove {MARKER}: {e}")


def judge(tap, where, got, refused, done):
    if not got:
        tap.ok(False, f"{where}: the probe's report is in the output")
        return
    for name in refused:
        tap.ok(got.get(name) == "refused",
               f"{where}: {name} refused (got {got.get(name)})")
    for name in done:
        tap.ok(got.get(name) == "done",
               f"{where}: {name} works (got {got.get(name)})")
    cap = got.get("capbnd", "")
    try:
        val = int(cap, 16)
    except ValueError:
        val = -1
    want = CAPS if "capbnd" not in refused else None
    if want is not None:
        tap.ok(val == want, f"{where}: bounding capabilities {cap} == "
               f"{CAPS:016x}")


def env_for(pre, tmp, sandbox_dir, host_file):
    env = ["env", f"TMPDIR={tmp}", "NO_COLOR=1",
           f"SANDBOX_DIR={sandbox_dir}", f"SANDBOX_HOST_FILE={host_file}",
           "SANDBOX_SECRET=do-not-pass"]
    return pre + env


def run_profile(tap, danelab, src, pre, tmp, host, who):
    sandbox_dir = os.path.join(src, "tests", "clients", "sandbox")
    out = os.path.join(tmp, "escape.json")
    argv = env_for(pre, tmp, sandbox_dir, host.file) + dltest.danelab_cmd(
        danelab, src, "run", "--client",
        os.path.join(sandbox_dir, "escape.yaml"), SCENARIO,
        "--policy", "dane", "--format", "json", "-o", out)
    r = dltest.run(argv, timeout=180)
    try:
        with open(out, encoding="utf-8") as f:
            res = json.load(f)["results"]
    except (OSError, ValueError, KeyError):
        tap.ok(False, f"{who} run: a JSON report (exit {r.returncode})")
        tap.diag(dltest.short(r.stdout) + dltest.short(r.stderr))
        return
    output = "\n".join(x.get("output") or "" for x in res)
    judge(tap, f"{who} run", probe_lines(output), REFUSED, DONE)
    host.check(tap, f"{who} run")


def run_shell(tap, danelab, src, pre, tmp, host, who, extra, refused,
              done, appended):
    sandbox_dir = os.path.join(src, "tests", "clients", "sandbox")
    argv = env_for(pre, tmp, sandbox_dir, host.file) + dltest.danelab_cmd(
        danelab, src, "shell", "-q", *extra, SCENARIO, "--", "sh",
        os.path.join(sandbox_dir, "escape.sh"), host.file)
    r = dltest.run(argv, timeout=120, cwd=tmp)
    where = f"{who} shell {' '.join(extra)}".rstrip()
    tap.ok(r.returncode == 0, f"{where}: exit 0 (got {r.returncode})")
    if r.returncode != 0:
        tap.diag(dltest.short(r.stdout) + dltest.short(r.stderr))
    got = probe_lines(r.stdout)
    judge(tap, where, got, refused, done)
    host.check(tap, where, appended)


def as_nobody(danelab, src):
    if os.geteuid() != 0 or shutil.which("runuser") is None:
        return None
    pre = ["runuser", "-u", "nobody", "--"]
    r = subprocess.run(pre + ["sh", "-c", 'test -x "$1" && test -r "$2" '
                              '&& unshare -U -r -m -n -p -f true', "sh",
                              danelab, os.path.join(src, "tests", "clients",
                                                    "sandbox", "escape.sh")],
                       capture_output=True, text=True)
    return pre if r.returncode == 0 else None


def check_tty(tap, danelab, src, tmp):
    """TIOCSTI on the terminal the command inherits: refused (EPERM), so
    nothing is typed into the operator's shell after danelab exits."""
    import pty
    code = ("import fcntl, termios, errno\n"
            "try:\n"
            "    fcntl.ioctl(0, termios.TIOCSTI, b'x')\n"
            "    print('tiocsti: done')\n"
            "except OSError as e:\n"
            "    print('tiocsti: refused', errno.errorcode[e.errno])\n")
    master, slave = pty.openpty()
    argv = dltest.danelab_cmd(danelab, src, "shell", "-q", SCENARIO, "--",
                              "python3", "-c", code)
    p = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave,
                         start_new_session=True, cwd=tmp,
                         env=dict(os.environ, TMPDIR=tmp),
                         preexec_fn=lambda: __import__("fcntl").ioctl(
                             0, __import__("termios").TIOCSCTTY, 0))
    os.close(slave)
    out = b""
    try:
        p.wait(timeout=60)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
        if b"tiocsti:" in out and b"\n" in out.split(b"tiocsti:")[1]:
            break
    os.close(master)
    text = out.decode(errors="replace")
    # EPERM: the sandbox's filter; EIO: a kernel without legacy TIOCSTI.
    tap.ok("tiocsti: refused" in text,
           "shell on a terminal: TIOCSTI refused "
           f"(got {text.strip()[-80:]!r})")


def check_kill0(tap, danelab, src, tmp):
    """kill(0, SIGUSR1) from the command reaches its own process group
    only: danelab ends with the command's status, not killed itself."""
    argv = dltest.danelab_cmd(danelab, src, "shell", "-q", SCENARIO, "--",
                              "sh", "-c", "kill -USR1 0; sleep 2")
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         start_new_session=True, cwd=tmp,
                         env=dict(os.environ, TMPDIR=tmp))
    try:
        p.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        p.kill()
        p.communicate()
    tap.ok(p.returncode == 128 + signal.SIGUSR1,
           "kill(0) inside: danelab survives and reports the command's "
           f"signal (exit {p.returncode}, want {128 + signal.SIGUSR1})")


def check_anchor(tap, danelab, src, tmp, who, pre):
    """Issue 13 item 5: the lab anchor at /usr/share/dns/root.key and
    root.ds inside the lab whether or not the host has them (Debian's
    dns-root-data): the host's files hidden in a private mount namespace
    of the test (an empty /usr/share/dns, an empty /usr/share), then
    `danelab shell` must show the lab's anchor there, without a
    warning."""
    inner = ('cmp "$DANELAB_ROOT_KEY" /usr/share/dns/root.key && '
             'cmp "$DANELAB_ROOT_DS" /usr/share/dns/root.ds && '
             'echo anchor-ok')
    hides = {"no /usr/share/dns files": "mount -t tmpfs tmpfs /usr/share/dns"}
    if who == "root":
        hides["an empty /usr/share"] = "mount -t tmpfs tmpfs /usr/share"
    for desc, hide in hides.items():
        cmd = dltest.danelab_cmd(danelab, src, "shell", "-q", SCENARIO,
                                 "--", "sh", "-c", inner)
        script = hide + ' && exec "$@"'
        argv = ["unshare", "-m", "sh", "-c", script, "sh"] + \
            env_for(pre, tmp, "", "") + cmd
        r = dltest.run(argv, timeout=120, cwd=tmp)
        ok = "anchor-ok" in r.stdout and "does not exist" not in r.stderr \
            and "cannot add the lab anchor" not in r.stderr
        tap.ok(ok, f"{who}: {desc} on the host: the lab anchor is at "
               "/usr/share/dns inside, no warning")
        if not ok:
            tap.diag(dltest.short(r.stdout) + dltest.short(r.stderr))


def main():
    danelab, src = dltest.args()
    dltest.setup_signals()
    dltest.need_root_namespaces()
    tap = dltest.Tap()
    users = [("root", [])]
    pre = as_nobody(danelab, src)
    if pre is not None:
        users.append(("nobody", pre))
    else:
        tap.diag("nobody cannot reach the build or make a user namespace: "
                 "the unprivileged lab is not tested here")
    # A SysV shared memory segment of the host's: out of reach inside.
    ipc = subprocess.run(["ipcmk", "-M", "4096"], capture_output=True,
                         text=True)
    shmid = ipc.stdout.split()[-1] if ipc.returncode == 0 else None
    if shmid is None:
        tap.diag("ipcmk failed: the host-ipc attempt proves nothing here")
    try:
        with dltest.TempDir(prefix="danelab-sandbox-") as tmp:
            os.chmod(tmp, 0o777)
            body(tap, danelab, src, tmp, users)
    finally:
        if shmid is not None:
            subprocess.run(["ipcrm", "-m", shmid], capture_output=True)
    return tap.done()


def body(tap, danelab, src, tmp, users):
    if True:
        host = Host(tmp)
        check_tty(tap, danelab, src, tmp)
        check_kill0(tap, danelab, src, tmp)
        for who, pre in users:
            check_anchor(tap, danelab, src, tmp, who, pre)
            run_profile(tap, danelab, src, pre, tmp, host, who)
            # Unprivileged, overlayfs cannot copy up a directory whose
            # owner is outside the user namespace (the test's, root's):
            # the shell's working directory may then not be writable.
            sdone = DONE if who == "root" else ["write-tmp", "openpty"]
            run_shell(tap, danelab, src, pre, tmp, host, who, [], REFUSED,
                      sdone, False)
            # --writable DIR: that directory is the host's, writable.
            wdir = os.path.join(tmp, "w-" + who)
            os.mkdir(wdir)
            os.chmod(wdir, 0o777)
            os.rename(host.file, os.path.join(wdir, "host-file"))
            host.file = os.path.join(wdir, "host-file")
            run_shell(tap, danelab, src, pre, tmp, host, who,
                      ["--writable", wdir], REFUSED, sdone + ["append-host"],
                      True)
            os.rename(host.file, os.path.join(tmp, "host-file"))
            host.file = os.path.join(tmp, "host-file")
        # --writable-host: the way out.  Only the host file is written
        # (write-etc etc. may then succeed: the probe's marker is removed
        # by Host.check, chmod u+r changes nothing); judged: the host
        # file, /tmp and the bounding set untouched.
        sandbox_dir = os.path.join(src, "tests", "clients", "sandbox")
        argv = env_for([], tmp, sandbox_dir, host.file) + \
            dltest.danelab_cmd(danelab, src, "shell", "-q",
                               "--writable-host", SCENARIO, "--", "sh",
                               "-c", 'echo escaped >> "$1"; '
                               'sed -n "s/^CapBnd:[[:space:]]*//p" '
                               '/proc/self/status; '
                               'test -n "$SANDBOX_SECRET" && echo leaked; '
                               'true', "sh", host.file)
        r = dltest.run(argv, timeout=120, cwd=tmp)
        with open(host.file, encoding="ascii") as f:
            text = f.read()
        tap.ok(r.returncode == 0 and text == "original\nescaped\n",
               "shell --writable-host: the host file is written "
               f"(exit {r.returncode}, file {text!r})")
        tap.ok("leaked" not in r.stdout,
               "shell --writable-host: the environment is still minimal")
        with open(host.file, "w", encoding="ascii") as f:
            f.write("original\n")
        host.check(tap, "after --writable-host")
        st = os.stat(tmp)
        tap.ok(stat.S_ISDIR(st.st_mode), "the test's directory is intact")


if __name__ == "__main__":
    sys.exit(main())
