#!/usr/bin/env python3
"""smtp_bench -- full STARTTLS sessions/s: danelab's SMTP server vs Postfix.

    python3 tests/bench/smtp_bench.py BUILD [--mode queue|proxy]
                                          [--seconds 10] [--threads 16]
                                          [--rounds 3] [--no-pin] [--quick]
                                          [--store-dir DIR]

BUILD is a meson build directory (optimised, not a sanitizer build) with
tests/integration/smtp_driver.  One run measures both servers side by side
with the same load generator (tests/bench/smtp_load.c, compiled here with
cc): THREADS parallel clients, each doing full sessions back to back
(connect, EHLO, STARTTLS, full TLS handshake without resumption, EHLO,
MAIL, RCPT, DATA, QUIT) for SECONDS; rounds alternate between the servers
and the median is reported, with the ratio danelab / Postfix.

Both servers present the same certificate chain and key (the chain of
mx1.example.net in scenarios/control/valid-dane-ee.yaml, leaf first) on
127.0.0.1, a free high port.  danelab: smtp_driver (one event-loop
thread), writing its event log and storing every message (maildir), in a
temp dir.  Postfix: a private instance (its own config_directory,
queue_directory, data_directory in a temp dir; smtpd with
smtpd_tls_security_level = may, every message queued by cleanup and then
discarded by the discard transport; logging to a file), started with
`postfix -c DIR start-fg` and stopped by its master's PID.  Must run as
root (Postfix's master).  With 2 or more CPUs, both servers are pinned to CPU 1 and the
load generator to CPU 0 (Postfix may use many processes, all on that CPU:
the same CPU budget for both).

--mode queue (the default, above): Postfix queues every message (cleanup
writes and fsyncs a queue file, qmgr hands it to discard), danelab stores
it without fsync: not like with like, kept for the figures quoted before.

--mode proxy: like with like, no queue on either side, and two pairings.
Postfix's smtpd (same TLS settings) with smtpd_proxy_filter =
127.0.0.1:SINK: each message is proxied in real time, during the DATA, to
Postfix's smtp-sink on a loopback port, which dumps it to its own file
(smtp-sink -d DIR/m.) and answers the "." only then; smtpd relays that
answer.  smtp-sink closes the file without fsync (Postfix 3.7 source:
mail_file_finish -> vstream_fclose; no fsync anywhere), so:
  no-fsync   danelab smtp_driver -m MAILDIR      vs  smtpd -> smtp-sink -d
  fsync      danelab smtp_driver -m MAILDIR --fsync
                                                 vs  smtpd -> smtp-sink -d
                                                     with fsync_close.so
fsync_close.so (tests/bench/fsync_close.c, LD_PRELOAD) makes smtp-sink
fsync each dump file as it closes it, before its "250" for the ".".  One
Postfix master serves both pairings (two smtpd listeners, each with its
own smtp-sink).  When smtp_driver has no --fsync (its --help does not
name it, or it does not start with it), the fsync pairing prints "n/a (no
--fsync)".  The message stores of both sides go to --store-dir (default:
a temp dir inside BUILD, on a disk: fsync on a tmpfs costs nothing; the
file system type is printed).  The ratio danelab/Postfix is printed per
pairing; every server is checked to have stored what it accepted.
"""

import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SCENARIO = os.path.join(ROOT, "scenarios", "control", "valid-dane-ee.yaml")
CHAIN = ["mx-cur", "int-r3"]


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def wait_port(port, timeout=10.0):
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        try:
            with socket.create_connection(("127.0.0.1", port), 0.5) as s:
                s.settimeout(2)
                if s.recv(100).startswith(b"220"):
                    return True
        except OSError:
            time.sleep(0.1)
    return False


def pin(cpu):
    if os.cpu_count() and os.cpu_count() >= 2 and cpu is not None:
        return ["taskset", "-c", str(cpu)]
    return []


def start_danelab(build, tmp, port, cpu, store=None, extra=(),
                  tag="danelab"):
    """smtp_driver on port; None when it does not start with extra
    options (an option this build lacks), SystemExit without."""
    driver = os.path.join(build, "tests", "integration", "smtp_driver")
    md = os.path.join(store or tmp, tag + "-mail")
    os.mkdir(md)
    p = subprocess.Popen(pin(cpu) + [driver] + list(extra) +
                         ["-p", str(port), "-m", md, "-e",
                          os.path.join(tmp, tag + "-events.jsonl"),
                          "-n", "4096", SCENARIO],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    if not p.stdout.readline().startswith("ready"):
        err = p.stderr.read()
        p.wait()
        if extra:
            return None
        raise SystemExit("smtp_driver did not start: " + err)
    p.maildir = md
    return p


def driver_has_fsync(build):
    """Whether smtp_driver's usage (--help, or no argument) names
    --fsync."""
    driver = os.path.join(build, "tests", "integration", "smtp_driver")
    out = ""
    for argv in ([driver, "--help"], [driver]):
        r = subprocess.run(argv, capture_output=True, text=True)
        out += r.stdout + r.stderr
    return "--fsync" in out


def start_postfix(tmp, port, cpu, listeners=None):
    """A private Postfix; listeners: master.cf lines of its smtpd
    services (default: one plain smtpd on port, messages queued)."""
    conf = os.path.join(tmp, "pf-conf")
    queue = os.path.join(tmp, "pf-queue")
    data = os.path.join(tmp, "pf-data")
    for d in (conf, queue, data):
        os.mkdir(d)
    shutil.chown(data, "postfix", "postfix")
    fx = os.path.join(ROOT, "fixtures", "pki")
    chain = os.path.join(conf, "chain.pem")
    with open(chain, "w") as out:
        out.write(open(os.path.join(fx, CHAIN[0] + ".key")).read())
        for c in CHAIN:
            out.write(open(os.path.join(fx, c + ".pem")).read())
    os.chmod(chain, 0o600)
    main_cf = f"""
compatibility_level = 3.6
config_directory = {conf}
queue_directory = {queue}
data_directory = {data}
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
mail_owner = postfix
setgid_group = postdrop
myhostname = mx1.example.net
mydomain = example.net
myorigin = example.net
mydestination = example.net
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
local_recipient_maps =
alias_maps =
alias_database =
local_transport = discard:
default_transport = discard:
relay_transport = discard:
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_recipient_restrictions =
smtpd_client_restrictions =
smtpd_helo_restrictions =
smtpd_sender_restrictions =
smtpd_peername_lookup = no
smtpd_client_connection_rate_limit = 0
smtpd_client_connection_count_limit = 0
smtpd_client_message_rate_limit = 0
smtpd_tls_security_level = may
smtpd_tls_chain_files = {chain}
smtpd_tls_loglevel = 0
smtpd_tls_session_cache_database =
tls_random_source = dev:/dev/urandom
maillog_file = /dev/stdout
shlib_directory = /usr/lib/postfix
meta_directory = /etc/postfix
default_process_limit = 100
biff = no
"""
    with open(os.path.join(conf, "main.cf"), "w") as f:
        f.write(main_cf)
    if listeners is None:
        listeners = [f"127.0.0.1:{port} inet n - n - - smtpd"]
    master_cf = "\n" + "\n".join(listeners) + """
pickup    unix n - n 60 1 pickup
cleanup   unix n - n - 0 cleanup
qmgr      unix n - n 300 1 qmgr
tlsmgr    unix - - n 1000? 1 tlsmgr
rewrite   unix - - n - - trivial-rewrite
bounce    unix - - n - 0 bounce
defer     unix - - n - 0 bounce
trace     unix - - n - 0 bounce
verify    unix - - n - 1 verify
flush     unix n - n 1000? 0 flush
proxymap  unix - - n - - proxymap
smtp      unix - - n - - smtp
relay     unix - - n - - smtp
showq     unix n - n - - showq
error     unix - - n - - error
retry     unix - - n - - error
discard   unix - - n - - discard
local     unix - n n - - local
anvil     unix - - n - 1 anvil
scache    unix - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
"""
    with open(os.path.join(conf, "master.cf"), "w") as f:
        f.write(master_cf)
    env = dict(os.environ, MAIL_CONFIG=conf)
    # The queue layout "postfix check" would make (it refuses a config
    # directory not listed in the system's alternate_config_directories).
    for d in ("active", "bounce", "corrupt", "defer", "deferred", "flush",
              "hold", "incoming", "private", "saved", "trace", "pid",
              "maildrop", "public"):
        os.mkdir(os.path.join(queue, d), 0o700)
        if d != "pid":
            shutil.chown(os.path.join(queue, d), "postfix",
                         "postdrop" if d in ("maildrop", "public")
                         else None)
    os.chmod(os.path.join(queue, "maildrop"), 0o730)
    os.chmod(os.path.join(queue, "public"), 0o710)
    # "postfix start-fg" (master in the foreground, logging to stdout);
    # the master's PID is read from its pid file and stopped by it.
    log = open(os.path.join(tmp, "pf-maillog"), "w")
    p = subprocess.Popen(pin(cpu) + ["postfix", "-c", conf, "start-fg"],
                         env=env, stdout=log, stderr=subprocess.STDOUT)
    pidfile = os.path.join(queue, "pid", "master.pid")
    t0 = time.monotonic()
    while time.monotonic() - t0 < 30:
        try:
            pid = int(open(pidfile).read().strip())
            os.kill(pid, 0)
            return p, pid
        except (OSError, ValueError):
            time.sleep(0.1)
    raise SystemExit("postfix did not start; see " + log.name)


def stop_postfix(p, pid):
    try:
        os.kill(pid, signal.SIGTERM)
    except OSError:
        pass
    try:
        p.wait(timeout=15)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()


def stop(p):
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def load(loader, port, threads, seconds, cpu):
    r = subprocess.run(pin(cpu) + [loader, "127.0.0.1", str(port),
                                   str(threads), str(seconds)],
                       capture_output=True, text=True)
    f = r.stdout.split()
    if r.returncode != 0 or len(f) < 8:
        raise SystemExit("smtp_load failed: " + r.stdout + r.stderr)
    return {"ok": int(f[1]), "failed": int(f[3]), "rate": float(f[7])}


def start_sink(tmp, store, port, cpu, tag, preload=None):
    """smtp-sink on 127.0.0.1:port dumping each message to store/tag/m.*
    (as user postfix); preload: an LD_PRELOAD library (fsync_close.so)."""
    d = os.path.join(store, tag)
    os.mkdir(d)
    shutil.chown(d, "postfix", "postfix")
    env = dict(os.environ)
    if preload:
        env["LD_PRELOAD"] = preload
    log = open(os.path.join(tmp, tag + ".log"), "w")
    p = subprocess.Popen(pin(cpu) + ["smtp-sink", "-u", "postfix", "-d",
                                     os.path.join(d, "m."),
                                     "127.0.0.1:%d" % port, "256"],
                         env=env, stdout=log, stderr=subprocess.STDOUT)
    if not wait_port(port):
        raise SystemExit("smtp-sink did not start; see " + log.name)
    p.dump_dir = d
    return p


def fs_type(path):
    r = subprocess.run(["stat", "-f", "-c", "%T", path],
                       capture_output=True, text=True)
    return r.stdout.strip() or "?"


def cpu_seconds(roots):
    """CPU time (user + system) used so far by the process trees under
    roots: every live process's own time plus that of the children it
    has reaped (cutime, cstime: Postfix's smtpd processes come and go,
    the master reaps them)."""
    hz = os.sysconf("SC_CLK_TCK")
    procs = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            st = open("/proc/%s/stat" % d).read()
        except OSError:
            continue
        f = st[st.rindex(")") + 2:].split()
        procs[int(d)] = (int(f[1]), sum(int(x) for x in f[11:15]) / hz)
    total, todo, seen = 0.0, list(roots), set()
    while todo:
        pid = todo.pop()
        if pid in seen or pid not in procs:
            continue
        seen.add(pid)
        total += procs[pid][1]
        todo += [c for c, v in procs.items() if v[0] == pid]
    return total


def run_rounds(a, loader, servers, load_cpu):
    """servers: [(name, port, [pids of its process trees])]; rounds
    alternate over them.  Returns {name: [load results, each with the
    servers' CPU seconds]}, warm-ups not included, and the sessions of
    the warm-ups per name."""
    warm = {}
    for name, port, _ in servers:
        warm[name] = load(loader, port, a.threads, 2, load_cpu)["ok"]
    res = {name: [] for name, _, _ in servers}
    for i in range(a.rounds):
        order = servers if i % 2 == 0 else servers[::-1]
        for name, port, pids in order:
            c0 = cpu_seconds(pids)
            r = load(loader, port, a.threads, a.seconds, load_cpu)
            r["cpu"] = cpu_seconds(pids) - c0
            res[name].append(r)
            print("round %d %-14s %8.1f sessions/s  (%d ok, %d failed)  "
                  "server CPU %.2f ms/session"
                  % (i + 1, name, r["rate"], r["ok"], r["failed"],
                     1000 * r["cpu"] / max(1, r["ok"])))
            sys.stdout.flush()
    return res, warm


def main_proxy(a, tmp, loader, srv_cpu, load_cpu):
    build = os.path.abspath(a.build)
    store = a.store_dir or tempfile.mkdtemp(prefix="smtp_bench-store.",
                                            dir=build)
    os.makedirs(store, exist_ok=True)
    os.chmod(store, 0o755)
    fso = os.path.join(tmp, "fsync_close.so")
    subprocess.run(["cc", "-O2", "-shared", "-fPIC", "-o", fso,
                    os.path.join(HERE, "fsync_close.c"), "-ldl"],
                   check=True)
    procs = []
    pf = pf_pid = None
    try:
        dport, fport = free_port(), free_port()
        dl = start_danelab(build, tmp, dport, srv_cpu, store)
        procs.append(dl)
        dlf = start_danelab(build, tmp, fport, srv_cpu, store, ["--fsync"],
                            "danelab-fsync")
        if dlf is not None:
            procs.append(dlf)
        help_says = driver_has_fsync(build)
        s1, s2, p1, p2 = free_port(), free_port(), free_port(), free_port()
        sink = start_sink(tmp, store, s1, srv_cpu, "sink")
        sinkf = start_sink(tmp, store, s2, srv_cpu, "sink-fsync", fso)
        procs += [sink, sinkf]
        listeners = [
            "127.0.0.1:%d inet n - n - - smtpd -o smtpd_proxy_filter="
            "127.0.0.1:%d" % (p, s) for p, s in ((p1, s1), (p2, s2))]
        pf, pf_pid = start_postfix(tmp, None, srv_cpu, listeners)
        for port in (dport, p1, p2) + ((fport,) if dlf else ()):
            if not wait_port(port, 20):
                raise SystemExit("a server is not answering on %d" % port)
        # The CPU of a Postfix pairing: the master's tree (smtpd and the
        # other daemons; the other listener is idle meanwhile) and its sink.
        servers = [("danelab", dport, [dl.pid])]
        if dlf is not None:
            servers.append(("danelab+fsync", fport, [dlf.pid]))
        servers += [("postfix", p1, [pf_pid, sink.pid]),
                    ("postfix+fsync", p2, [pf_pid, sinkf.pid])]
        res, warm = run_rounds(a, loader, servers, load_cpu)
        med = {k: statistics.median(x["rate"] for x in v)
               for k, v in res.items()}
        cpu = {k: 1000 * sum(x["cpu"] for x in v) /
               max(1, sum(x["ok"] for x in v)) for k, v in res.items()}
        failed = {k: sum(x["failed"] for x in v) for k, v in res.items()}
        accepted = {k: sum(x["ok"] for x in v) + warm[k]
                    for k, v in res.items()}
        stored = {"danelab": len(os.listdir(dl.maildir)),
                  "postfix": len(os.listdir(sink.dump_dir)),
                  "postfix+fsync": len(os.listdir(sinkf.dump_dir))}
        if dlf is not None:
            stored["danelab+fsync"] = len(os.listdir(dlf.maildir))
        print()
        print("full STARTTLS sessions/s, median of %d x %g s, %d clients%s;"
              % (a.rounds, a.seconds, a.threads,
                 "" if srv_cpu is None else
                 ", servers on CPU 1, load on CPU 0"))
        print("message stores in %s (%s)%s" % (
            store, fs_type(store),
            "  -- WARNING: fsync costs nothing on tmpfs"
            if fs_type(store) == "tmpfs" else ""))
        print("Postfix: smtpd -> smtpd_proxy_filter -> smtp-sink -d (no "
              "queue); smtp-sink never fsyncs, '+fsync' = with "
              "fsync_close.so")
        print("  %-14s %10s %12s" % ("server", "sessions/s", "CPU/session"))
        for k in res:
            print("  %-14s %10.1f %9.2f ms   (failed %d; accepted %d, "
                  "stored %d%s)"
                  % (k, med[k], cpu[k], failed[k], accepted[k], stored[k],
                     "" if stored[k] >= accepted[k] else "  -- LOST"))
        if dlf is None:
            print("  %-14s %10s" % ("danelab+fsync", "n/a (no --fsync)"))
        print()
        print("  %-9s %14s %14s %10s %12s" % (
            "pairing", "danelab", "postfix", "ratio s/s", "ratio CPU"))
        for pair, dk, pk in (("no-fsync", "danelab", "postfix"),
                             ("fsync", "danelab+fsync", "postfix+fsync")):
            if dk not in med:
                print("  %-9s %14s %10.1f s/s %10s" % (
                    pair, "n/a", med[pk], "n/a (no --fsync)"))
                continue
            ratio = med[dk] / med[pk] if med[pk] else 0
            rcpu = cpu[pk] / cpu[dk] if cpu[dk] else 0
            print("  %-9s %10.1f s/s %10.1f s/s %10.2f %12.2f" % (
                pair, med[dk], med[pk], ratio, rcpu))
        print("  ratio s/s = danelab / Postfix sessions per second; ratio "
              "CPU = Postfix / danelab server CPU per session (above 1: "
              "danelab cheaper; the fairer figure when other work shares "
              "CPU 1, as one thread gets less of a busy CPU than Postfix's "
              "many processes)")
        print("  smtp_driver's usage %s --fsync" %
              ("names" if help_says else "does not name"))
    finally:
        for p in procs:
            stop(p)
        if pf is not None:
            stop_postfix(pf, pf_pid)
        if not a.store_dir:
            shutil.rmtree(store, ignore_errors=True)
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("build")
    ap.add_argument("--mode", choices=["queue", "proxy"], default="queue")
    ap.add_argument("--seconds", type=float)
    ap.add_argument("--threads", type=int, default=16)
    ap.add_argument("--rounds", type=int)
    ap.add_argument("--no-pin", action="store_true")
    ap.add_argument("--quick", action="store_true",
                    help="1 round of 3 s (a sanity run)")
    ap.add_argument("--store-dir",
                    help="proxy mode: where both sides store messages "
                    "(kept; default a temp dir in BUILD, removed)")
    a = ap.parse_args()
    if a.seconds is None:
        a.seconds = 3 if a.quick else 10
    if a.rounds is None:
        a.rounds = 1 if a.quick else 3
    if os.geteuid() != 0:
        print("smtp_bench: must run as root (Postfix's master)")
        return 77
    need = ["postfix", "cc", "taskset"] + (["smtp-sink"]
                                           if a.mode == "proxy" else [])
    missing = [t for t in need if shutil.which(t) is None]
    if missing:
        print("smtp_bench: missing tools: " + " ".join(missing))
        return 77
    srv_cpu, load_cpu = (None, None) if a.no_pin else (1, 0)
    tmp = tempfile.mkdtemp(prefix="smtp_bench.")
    os.chmod(tmp, 0o755)
    loader = os.path.join(tmp, "smtp_load")
    subprocess.run(["cc", "-O2", "-o", loader,
                    os.path.join(HERE, "smtp_load.c"),
                    "-lssl", "-lcrypto", "-lpthread"], check=True)
    if a.mode == "proxy":
        try:
            return main_proxy(a, tmp, loader, srv_cpu, load_cpu)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    dport, pport = free_port(), free_port()
    dl = pf = None
    try:
        dl = start_danelab(a.build, tmp, dport, srv_cpu)
        pf, pf_pid = start_postfix(tmp, pport, srv_cpu)
        if not wait_port(dport) or not wait_port(pport, 20):
            raise SystemExit("a server is not answering")
        # Warm up both (Postfix starts its smtpd processes).
        load(loader, dport, a.threads, 1, load_cpu)
        load(loader, pport, a.threads, 2, load_cpu)
        res = {"danelab": [], "postfix": []}
        for i in range(a.rounds):
            for name, port in (("danelab", dport), ("postfix", pport)):
                r = load(loader, port, a.threads, a.seconds, load_cpu)
                res[name].append(r)
                print("round %d %-8s %8.1f sessions/s  (%d ok, %d failed)"
                      % (i + 1, name, r["rate"], r["ok"], r["failed"]))
                sys.stdout.flush()
        med = {k: statistics.median(x["rate"] for x in v)
               for k, v in res.items()}
        failed = {k: sum(x["failed"] for x in v) for k, v in res.items()}
        print()
        print("full STARTTLS sessions/s, median of %d x %g s, %d clients%s:"
              % (a.rounds, a.seconds, a.threads,
                 "" if srv_cpu is None else
                 ", servers on CPU 1, load on CPU 0"))
        print("  danelab  %8.1f   (failed %d)" % (med["danelab"],
                                                  failed["danelab"]))
        print("  postfix  %8.1f   (failed %d)" % (med["postfix"],
                                                  failed["postfix"]))
        ratio = med["danelab"] / med["postfix"] if med["postfix"] else 0
        print("  ratio danelab/postfix %.2f  (target >= 2.00: %s)"
              % (ratio, "met" if ratio >= 2 else "NOT met"))
    finally:
        if dl is not None:
            stop(dl)
        if pf is not None:
            stop_postfix(pf, pf_pid)
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
