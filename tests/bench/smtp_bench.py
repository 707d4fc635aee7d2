#!/usr/bin/env python3
"""smtp_bench -- full STARTTLS sessions/s: danelab's SMTP server vs Postfix.

    python3 tests/bench/smtp_bench.py BUILD [--seconds 10] [--threads 16]
                                          [--rounds 3] [--no-pin]

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


def start_danelab(build, tmp, port, cpu):
    driver = os.path.join(build, "tests", "integration", "smtp_driver")
    md = os.path.join(tmp, "danelab-mail")
    os.mkdir(md)
    p = subprocess.Popen(pin(cpu) + [driver, "-p", str(port), "-m", md,
                                     "-e", os.path.join(tmp, "events.jsonl"),
                                     "-n", "4096", SCENARIO],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    if not p.stdout.readline().startswith("ready"):
        raise SystemExit("smtp_driver did not start: " + p.stderr.read())
    return p


def start_postfix(tmp, port, cpu):
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
    master_cf = f"""
127.0.0.1:{port} inet n - n - - smtpd
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


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("build")
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--threads", type=int, default=16)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--no-pin", action="store_true")
    a = ap.parse_args()
    if os.geteuid() != 0:
        print("smtp_bench: must run as root (Postfix's master)")
        return 77
    srv_cpu, load_cpu = (None, None) if a.no_pin else (1, 0)
    tmp = tempfile.mkdtemp(prefix="smtp_bench.")
    os.chmod(tmp, 0o755)
    loader = os.path.join(tmp, "smtp_load")
    subprocess.run(["cc", "-O2", "-o", loader,
                    os.path.join(HERE, "smtp_load.c"),
                    "-lssl", "-lcrypto", "-lpthread"], check=True)
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
