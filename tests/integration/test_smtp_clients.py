"""test_smtp_clients -- openssl s_client and swaks against danelab's SMTP
server in every STARTTLS / chain fault mode, what each client saw vs what
the server recorded.

    python3 test_smtp_clients.py DANELAB SOURCE_ROOT SMTP_DRIVER [WORLDS_DIR]

WORLDS_DIR (default SOURCE_ROOT/tests/integration/worlds) holds smtp/*.yaml,
one test-only world per mode: control (correct chain), starttls-off,
starttls-reject (454), handshake-failure, no-intermediate,
wrong-intermediate, expired-leaf, wrong-name, self-signed.  First
`danelab check` must accept the folder.  Then for each world, read here
with PyYAML (chain and STARTTLS fault, not through danelab's loader),
tests/integration/smtp_driver serves it on 127.0.0.1 and a port the kernel
picks, writing JSON-lines events, and:

  (a) `openssl s_client -starttls smtp -servername mx1.example.net
      -showcerts` (stdin /dev/null, bounded): the certificates it printed
      are byte for byte (DER) the chain's fixtures/pki/<id>.pem; PKIX
      verification against root-x1 with the host name gives the error the
      mode implies (OK, 21, 10, 62, 18); a second run with
      -dane_tlsa_rrdata "3 1 1 <SPKI digest computed here>"
      -dane_ee_no_namechecks (RFC 7672 3.1.1) verifies
      (DANE-EE ignores names, dates and the rest of the chain); in the
      fault modes: "Didn't find STARTTLS", the 454 read as a TLS record
      ("wrong version number"), or alert 40 (handshake failure), and no
      certificate;
  (b) `swaks --to postmaster@example.net --tls --tls-sni mx1.example.net`:
      delivered over TLS (queued, QUIT) or "Host did not advertise
      STARTTLS" / "<** 454" / "TLS startup failed", never a MAIL in
      cleartext, and its exit status;
  (c) the events of each of those sessions: smtp.starttls (offered, mode,
      fault, result, code), smtp.tls (result, version, SNI, chain, fault,
      error), smtp.message (delivered mail only, inside TLS), the EHLO
      smtp.command's `starttls_offered`, and the facts of smtp.close:
      `how`, `tls`, `starttls_offered`, `starttls_used`, `handshake`
      (none/ok/failed), `alert`, `messages_plain`, `messages_tls`.

Loopback only; the driver is stopped by its PID and must exit 0; the
temporary directory is removed.  TAP output; exit 0, 1 (also when the SMTP
driver is missing or does not start: a product that fails to start is a
failure), or 77 (openssl, swaks or PyYAML missing).
"""

import base64
import json
import os
import re
import select
import shutil
import subprocess
import sys
import tempfile
import time

SKIP = 77
HOST = "mx1.example.net"
ADDR = "127.0.0.1"
RCPT = "postmaster@example.net"
CLIENT_TIMEOUT = 20

# Per world: the PKIX verdict of s_client (-CAfile root-x1.pem
# -verify_hostname mx1.example.net): (code, text) of "Verify return code".
PKIX = {
    "control": (0, "ok"),
    "no-intermediate": (21, "unable to verify the first certificate"),
    "wrong-intermediate": (21, "unable to verify the first certificate"),
    "expired-leaf": (10, "certificate has expired"),
    "wrong-name": (62, "hostname mismatch"),
    "self-signed": (18, "self-signed certificate"),
}
# The STARTTLS fault each world must declare (None: STARTTLS on).
FAULT = {
    "control": None, "starttls-off": "off", "starttls-reject": "reject",
    "handshake-failure": "handshake-failure", "no-intermediate": None,
    "wrong-intermediate": None, "expired-leaf": None, "wrong-name": None,
    "self-signed": None,
}
ORDER = ["control", "starttls-off", "starttls-reject", "handshake-failure",
         "no-intermediate", "wrong-intermediate", "expired-leaf",
         "wrong-name", "self-signed"]

n = 0
failed = 0
observed = []


def ok(cond, what, diag=None):
    global n, failed
    n += 1
    if not cond:
        failed += 1
    print("%s %d - %s" % ("ok" if cond else "not ok", n, what))
    if not cond and diag:
        for line in str(diag).rstrip("\n").splitlines():
            print("# " + line)
    sys.stdout.flush()
    return bool(cond)


def diag(text):
    for line in str(text).rstrip("\n").splitlines():
        print("# " + line)


def skip_all(reason):
    print("1..0 # SKIP " + reason)
    sys.exit(SKIP)


def short(text, limit=1500):
    text = text.strip()
    return text if len(text) <= limit else text[:limit] + " [...]"


# ------------------------------------------------------------ certificates

PEM_RE = re.compile(r"-----BEGIN CERTIFICATE-----\s*(.*?)\s*"
                    r"-----END CERTIFICATE-----", re.S)


def pem_ders(text):
    """DER bytes of every PEM certificate in text, in order."""
    return [base64.b64decode("".join(m.group(1).split()))
            for m in PEM_RE.finditer(text)]


def fixture_der(src, fid):
    with open(os.path.join(src, "fixtures", "pki", fid + ".pem")) as fp:
        ders = pem_ders(fp.read())
    return ders[0]


def spki_sha256(src, fid):
    """SHA-256 of the leaf's SubjectPublicKeyInfo, by the openssl CLI."""
    pem = os.path.join(src, "fixtures", "pki", fid + ".pem")
    pub = subprocess.run(["openssl", "x509", "-in", pem, "-noout", "-pubkey"],
                         capture_output=True, check=True).stdout
    der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "DER"],
                         input=pub, capture_output=True, check=True).stdout
    dg = subprocess.run(["openssl", "dgst", "-sha256", "-r"], input=der,
                        capture_output=True, check=True).stdout
    return dg.split()[0].decode()


# ------------------------------------------------------------------ driver


class Driver:
    def __init__(self, driver, src, scenario, events):
        env = dict(os.environ, DANELAB_FIXTURES=os.path.join(src, "fixtures"))
        self.p = subprocess.Popen(
            [driver, "-a", ADDR, "-p", "0", "-e", events, scenario],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env=env)
        self.port = None
        r, _, _ = select.select([self.p.stdout], [], [], 10)
        line = self.p.stdout.readline() if r else ""
        if line.startswith("ready "):
            self.port = int(line.split()[1])

    def stop(self):
        """SIGTERM by PID; exit status (None if it had to be killed)."""
        if self.p.poll() is None:
            self.p.terminate()
        try:
            return self.p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
            return None

    def stderr(self):
        try:
            return self.p.stderr.read()
        except (OSError, ValueError):
            return ""


def read_events(path):
    out = []
    try:
        with open(path, encoding="utf-8") as fp:
            for line in fp:
                line = line.strip()
                if line:
                    out.append(json.loads(line))
    except FileNotFoundError:
        pass
    return out


def session_events(path, session, wait=5.0):
    """Events of one session, once its smtp.close is written."""
    deadline = time.monotonic() + wait
    while True:
        evs = [e for e in read_events(path)
               if e.get("ev", "").startswith("smtp.")
               and e.get("session") == session]
        if any(e["ev"] == "smtp.close" for e in evs) or \
                time.monotonic() > deadline:
            return evs
        time.sleep(0.05)


def one(evs, kind):
    got = [e for e in evs if e["ev"] == kind]
    return got[0] if len(got) == 1 else None, len(got)


def facts(cl):
    """The facts of an smtp.close, short, for the observed table."""
    if cl is None:
        return "no smtp.close"
    return ("how %s, offered %s, used %s, handshake %s, alert %s, "
            "plain %s, tls %s" % (
                cl.get("how"), cl.get("starttls_offered"),
                cl.get("starttls_used"), cl.get("handshake"),
                cl.get("alert"), cl.get("messages_plain"),
                cl.get("messages_tls")))


def close_is(cl, **want):
    """cl is an smtp.close with every field as in want, and no outcome."""
    return (cl is not None and "outcome" not in cl
            and all(cl.get(k, KeyError) == v for k, v in want.items()))


def ehlo_offered(evs):
    """starttls_offered of each EHLO smtp.command, in order."""
    return [e.get("starttls_offered") for e in evs
            if e["ev"] == "smtp.command" and e.get("verb") == "EHLO"]


def brief(e):
    if e is None:
        return "none"
    keep = {k: v for k, v in e.items()
            if k not in ("v", "t", "host", "client", "session", "ev")}
    return e["ev"] + " " + json.dumps(keep, sort_keys=True)


# ----------------------------------------------------------------- clients


def run(argv):
    t0 = time.monotonic()
    try:
        r = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                           text=True, timeout=CLIENT_TIMEOUT)
        return r.returncode, r.stdout, r.stderr, time.monotonic() - t0
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode(errors="replace") if isinstance(
            e.stdout, bytes) else (e.stdout or "")
        return None, out, "timeout", time.monotonic() - t0


def s_client(port, extra):
    return run(["openssl", "s_client", "-connect", "%s:%d" % (ADDR, port),
                "-starttls", "smtp", "-servername", HOST, "-showcerts"]
               + extra)


def swaks(port):
    return run(["swaks", "--to", RCPT, "--server", ADDR, "--port", str(port),
                "--tls", "--tls-sni", HOST, "--ehlo", "client.example.org",
                "--from", "sender@example.org", "--timeout", "10"])


def verify_line(out):
    m = re.search(r"Verify return code: (\d+) \(([^)]*)\)", out)
    return (int(m.group(1)), m.group(2)) if m else None


def first_error(err):
    for line in err.splitlines():
        if ":error:" in line or "Didn't find" in line:
            return line.strip()
    return err.strip().splitlines()[0] if err.strip() else ""


# ------------------------------------------------------------ event checks


def check_tls_session(wid, what, evs, chain, delivered):
    st, nst = one(evs, "smtp.starttls")
    ok(st is not None and st["offered"] is True and st["mode"] == "on"
       and st["fault"] is None and st["result"] == "ready"
       and st["code"] == 220 and st["discarded"] == 0,
       "%s %s: events: smtp.starttls offered, mode on, ready 220" %
       (wid, what), brief(st) + " (x%d)" % nst)
    tls, ntls = one(evs, "smtp.tls")
    ok(tls is not None and tls["result"] == "ok"
       and tls["version"] == "TLSv1.3" and tls["cipher"]
       and tls["sni"] == HOST and tls["chain"] == chain
       and tls["client_alert"] is None and tls["error"] is None
       and tls["fault"] is None,
       "%s %s: events: smtp.tls ok TLSv1.3, sni %s, chain %s" %
       (wid, what, HOST, chain), brief(tls) + " (x%d)" % ntls)
    msg, nmsg = one(evs, "smtp.message")
    cl, _ = one(evs, "smtp.close")
    eo = ehlo_offered(evs)
    ok(eo[:1] == [True] and all(x is False for x in eo[1:]),
       "%s %s: events: EHLO starttls_offered true before TLS, false "
       "inside" % (wid, what), "EHLO starttls_offered %s" % eo)
    if delivered:
        ok(msg is not None and msg["accepted"] is True and msg["tls"] is True
           and msg.get("handshake") == "ok"
           and msg["rcpts"] == [RCPT] and msg["from"] == "sender@example.org"
           and msg["code"] == 250,
           "%s %s: events: smtp.message accepted inside TLS for %s" %
           (wid, what, RCPT), brief(msg))
        ok(close_is(cl, how="quit", tls=True, starttls_offered=True,
                    starttls_used=True, handshake="ok", alert=None,
                    delivered=True, messages=1, messages_plain=0,
                    messages_tls=1),
           "%s %s: events: smtp.close how quit, handshake ok, 1 message "
           "inside TLS, none in cleartext" % (wid, what), brief(cl))
    else:
        ok(nmsg == 0, "%s %s: events: no smtp.message" % (wid, what))
        # s_client ends with a close_notify: a warning alert, recorded.
        ok(close_is(cl, tls=True, starttls_offered=True, starttls_used=True,
                    handshake="ok", delivered=False,
                    messages=0, messages_plain=0, messages_tls=0)
           and cl["alert"] in (None, "close notify"),
           "%s %s: events: smtp.close handshake ok, alert null or close "
           "notify, no message" % (wid, what), brief(cl))
    return facts(cl)


def check_fault_session(wid, what, evs, fault, how,
                        client_sent_starttls=True):
    """Events of a session against a STARTTLS fault: returns its facts."""
    st, nst = one(evs, "smtp.starttls")
    tls, ntls = one(evs, "smtp.tls")
    msg, nmsg = one(evs, "smtp.message")
    cl, _ = one(evs, "smtp.close")
    mail = [e for e in evs if e["ev"] == "smtp.command"
            and e.get("verb") in ("MAIL", "RCPT", "DATA")]
    if not client_sent_starttls:
        ok(nst == 0, "%s %s: events: no smtp.starttls (never sent)" %
           (wid, what), "%d smtp.starttls" % nst)
    elif fault == "off":
        ok(st is not None and st["offered"] is False and st["mode"] == "off"
           and st["fault"] == "off" and st["result"] == "not-offered"
           and st["code"] == 502,
           "%s %s: events: smtp.starttls not offered, fault off, 502" %
           (wid, what), brief(st))
    elif fault == "reject":
        ok(st is not None and st["offered"] is True
           and st["mode"] == "reject" and st["fault"] == "reject"
           and st["result"] == "rejected" and st["code"] == 454,
           "%s %s: events: smtp.starttls offered, fault reject, rejected "
           "454" % (wid, what), brief(st))
    else:
        ok(st is not None and st["offered"] is True
           and st["mode"] == "handshake-failure"
           and st["fault"] == "handshake-failure"
           and st["result"] == "ready" and st["code"] == 220,
           "%s %s: events: smtp.starttls offered, fault handshake-failure, "
           "ready 220" % (wid, what), brief(st))
    if fault == "handshake-failure" and client_sent_starttls:
        ok(tls is not None and tls["result"] == "failed"
           and tls["version"] is None and tls["fault"] == "handshake-failure"
           and tls["error"] == "handshake refused (scenario fault)",
           "%s %s: events: smtp.tls failed, fault handshake-failure, "
           "'handshake refused (scenario fault)'" % (wid, what), brief(tls))
        want = "failed"
    else:
        ok(ntls == 0, "%s %s: events: no smtp.tls" % (wid, what),
           brief(tls))
        want = "none"
    ok(nmsg == 0 and not mail,
       "%s %s: events: no MAIL/RCPT/DATA, no smtp.message" % (wid, what),
       "; ".join(brief(e) for e in mail + ([msg] if msg else [])))
    offered = fault != "off"
    eo = ehlo_offered(evs)
    ok(eo and all(x is offered for x in eo),
       "%s %s: events: EHLO starttls_offered %s" % (wid, what,
                                                    str(offered).lower()),
       "EHLO starttls_offered %s" % eo)
    ok(close_is(cl, how=how, tls=False, starttls_offered=offered,
                starttls_used=client_sent_starttls, handshake=want,
                alert=None, delivered=False, messages=0, messages_plain=0,
                messages_tls=0),
       "%s %s: events: smtp.close how %s, starttls offered %s, used %s, "
       "handshake %s, no message" % (wid, what, how, str(offered).lower(),
                                     str(client_sent_starttls).lower(),
                                     want), brief(cl))
    return facts(cl)


# -------------------------------------------------------------------- world


def mode(v):
    """A STARTTLS mode as PyYAML reads it: YAML 1.1 makes on/off booleans
    (the scenario format does not)."""
    if v is True:
        return "on"
    if v is False:
        return "off"
    return str(v)


def test_world(wid, doc, driver, src, tmp):
    obs = {"world": wid}
    h = (doc.get("mx") or [{}])[0]
    chain = list(h.get("chain") or [])
    faults = [mode(f["starttls"]) for f in doc.get("faults") or []
              if "starttls" in f]
    fault = faults[-1] if faults else mode(h.get("starttls", "on"))
    fault = None if fault == "on" else fault
    ok(fault == FAULT[wid] and str(h.get("host", "")).rstrip(".") == HOST,
       "%s: the world declares STARTTLS fault %s for %s" %
       (wid, FAULT[wid] or "none (on)", HOST), "found %r" % fault)
    events = os.path.join(tmp, wid + ".jsonl")
    d = Driver(driver, src, doc["_path"], events)
    if d.port is None:
        rc = d.stop()
        ok(False, "%s: smtp_driver is ready" % wid,
           "exit %s: %s" % (rc, d.stderr()))
        return obs
    session = 0
    try:
        if fault is None:
            ders = [fixture_der(src, c) for c in chain]
            # (a1) s_client, PKIX against the fake root, with the host name
            rc, out, err, dt = s_client(d.port, [
                "-CAfile", os.path.join(src, "fixtures", "pki",
                                        "root-x1.pem"),
                "-verify_hostname", HOST])
            session += 1
            got = pem_ders(out)
            ok(rc == 0 and got == ders,
               "%s s_client: the %d certificate(s) shown are fixtures %s, "
               "byte for byte" % (wid, len(ders), chain),
               "exit %s, %d certs; %s" % (rc, len(got), short(err)))
            vl = verify_line(out)
            ok(vl == PKIX[wid],
               "%s s_client PKIX (root-x1, -verify_hostname): "
               "Verify return code %d (%s)" % ((wid,) + PKIX[wid]),
               "got %r" % (vl,))
            proto = re.search(r"New, (TLSv[\d.]+), Cipher is (\S+)", out)
            ok(proto is not None and proto.group(1) == "TLSv1.3",
               "%s s_client: TLSv1.3 negotiated" % wid,
               proto.group(0) if proto else short(out, 400))
            o = check_tls_session(wid, "s_client", session_events(
                events, session), chain, False)
            obs["s_client"] = ("shown %s; Verify return code: %d (%s)" %
                               ((chain,) + vl) if vl else "no verify line")
            obs["s_client_close"] = o
            # (a2) s_client with the DANE-EE 3 1 1 record of the leaf's key
            rr = "3 1 1 " + spki_sha256(src, chain[0])
            rc, out, err, dt = s_client(d.port, [
                "-dane_tlsa_domain", HOST, "-dane_tlsa_rrdata", rr,
                "-dane_ee_no_namechecks"])
            session += 1
            m = re.search(r"DANE TLSA 3 1 1 \S+ matched EE certificate "
                          r"at depth 0", out)
            ok(rc == 0 and m is not None and "Verification: OK" in out
               and verify_line(out) == (0, "ok"),
               "%s s_client -dane_tlsa_rrdata '3 1 1 ...' "
               "-dane_ee_no_namechecks: matched EE "
               "certificate at depth 0, Verification: OK" % wid,
               short(out[-800:] + err))
            check_tls_session(wid, "s_client DANE", session_events(
                events, session), chain, False)
            # (b) swaks
            rc, out, err, dt = swaks(d.port)
            session += 1
            tr = out + err
            leaf_cn = "wrong.example.com" if wid == "wrong-name" else HOST
            ok(rc == 0 and "=== TLS started with cipher TLSv1.3:" in tr
               and ('=== TLS peer DN="/O=Danelab Test PKI (NOT A REAL CA)'
                    '/CN=%s"' % leaf_cn) in tr
               and re.search(r"<~  250 2\.0\.0 Ok: queued", tr)
               and " ~> QUIT" in tr and "<~  221" in tr,
               "%s swaks: TLS started (TLSv1.3), peer CN %s, message "
               "queued inside TLS, QUIT, exit 0" % (wid, leaf_cn),
               "exit %s\n%s" % (rc, short(tr)))
            o = check_tls_session(wid, "swaks", session_events(
                events, session), chain, True)
            q = re.search(r"<~  (250 2\.0\.0 Ok: queued[^\n]*)", tr)
            obs["swaks"] = "exit %s; %s" % (rc, q.group(1) if q else "?")
            obs["swaks_close"] = o
        else:
            # (a) s_client
            rc, out, err, dt = s_client(d.port, [])
            session += 1
            certs = pem_ders(out)
            line = first_error(err)
            if fault == "off":
                seen = ("Didn't find STARTTLS in server response, trying "
                        "anyway..." in err and "wrong version number" in err)
                what = ("\"Didn't find STARTTLS in server response, trying "
                        "anyway...\", then 'wrong version number' (the 502 "
                        "read as a TLS record)")
            elif fault == "reject":
                seen = ("Didn't find STARTTLS" not in err
                        and "wrong version number" in err)
                what = ("STARTTLS advertised; 'wrong version number' (the "
                        "454 read as a TLS record)")
            else:
                seen = ("alert handshake failure" in err
                        and "SSL alert number 40" in err)
                what = "'sslv3 alert handshake failure ... SSL alert number 40'"
            ok(rc != 0 and seen and not certs
               and "no peer certificate available" in out,
               "%s s_client: %s; no peer certificate, exit non-zero" %
               (wid, what), "exit %s\n%s\n%s" % (rc, short(out, 600),
                                                 short(err, 600)))
            evs = session_events(events, session)
            o = check_fault_session(
                wid, "s_client", evs, fault,
                "server-abort" if fault == "handshake-failure"
                else "client-eof")
            bad = [e for e in evs if e["ev"] == "smtp.command"
                   and e.get("code") == 500]
            obs["s_client"] = "exit %s; %s" % (
                rc, "; ".join(l.strip() for l in err.splitlines()
                              if l.strip()))
            obs["s_client_close"] = o + (
                "; the plaintext ClientHello got %d x '%s'" % (
                    len(bad), bad[0]["reply"]) if bad else "")
            # (b) swaks
            rc, out, err, dt = swaks(d.port)
            session += 1
            tr = out + err
            if fault == "off":
                seen = ("*** Host did not advertise STARTTLS" in tr
                        and " -> STARTTLS" not in tr and " -> QUIT" in tr)
                what = ("'*** Host did not advertise STARTTLS', no STARTTLS "
                        "sent, QUIT")
            elif fault == "reject":
                seen = ("<** 454 4.7.0" in tr
                        and "*** STARTTLS attempted but failed" in tr)
                what = ("'<** 454 4.7.0 ...', '*** STARTTLS attempted but "
                        "failed'")
            else:
                seen = ("<-  220 2.0.0 Ready to start TLS" in tr
                        and "*** TLS startup failed" in tr
                        and "alert handshake failure" in tr
                        and "*** STARTTLS attempted but failed" in tr)
                what = ("220 to STARTTLS, '*** TLS startup failed (... "
                        "alert handshake failure)'")
            ok(rc not in (0, None) and seen and "MAIL FROM" not in tr,
               "%s swaks --tls: %s; no MAIL in cleartext, exit non-zero" %
               (wid, what), "exit %s\n%s" % (rc, short(tr)))
            o = check_fault_session(
                wid, "swaks", session_events(events, session), fault,
                {"off": "quit", "reject": "client-eof"}.get(
                    fault, "server-abort"),
                client_sent_starttls=(fault != "off"))
            obs["swaks"] = "exit %s; %s" % (rc, "; ".join(
                l.strip() for l in tr.splitlines()
                if l.startswith(("***", "<**"))))
            obs["swaks_close"] = o
        # every session accounted for, nothing else
        sess = sorted({e.get("session") for e in read_events(events)
                       if e.get("ev", "").startswith("smtp.")})
        ok(sess == list(range(1, session + 1)),
           "%s: events: exactly %d sessions, each closed" % (wid, session),
           "sessions %s" % sess)
    finally:
        rc = d.stop()
        ok(rc == 0, "%s: smtp_driver stopped by PID (SIGTERM), exit 0" % wid,
           "exit %s %s" % (rc, d.stderr()))
    return obs


def main():
    if len(sys.argv) < 4:
        print("usage: test_smtp_clients.py DANELAB SOURCE_ROOT SMTP_DRIVER "
              "[WORLDS_DIR]", file=sys.stderr)
        return 2
    danelab, src, driver = (os.path.abspath(a) for a in sys.argv[1:4])
    worlds = os.path.abspath(sys.argv[4]) if len(sys.argv) > 4 else \
        os.path.join(src, "tests", "integration", "worlds")
    missing = [t for t in ("openssl", "swaks") if shutil.which(t) is None]
    if missing:
        skip_all("missing tools: " + ", ".join(missing))
    try:
        import yaml
    except ImportError:
        skip_all("python3 yaml module missing (Debian: python3-yaml)")
    if not os.access(driver, os.X_OK):
        # Built with the tests: missing means a broken build, not a skip.
        print("1..1")
        ok(False, "SMTP driver built and executable: " + driver)
        return 1
    t0 = time.monotonic()

    docs = {}
    for wid in ORDER:
        path = os.path.join(worlds, "smtp", wid + ".yaml")
        try:
            with open(path, encoding="utf-8") as fp:
                docs[wid] = yaml.safe_load(fp)
            docs[wid]["_path"] = path
        except (OSError, yaml.YAMLError) as e:
            ok(False, "%s: world file readable" % wid, str(e))

    # The SMTP server must start: a product that does not is a failure
    # (each world's "smtp_driver is ready" check says so).

    r = subprocess.run([danelab, "--fixtures", os.path.join(src, "fixtures"),
                        "--scenarios", worlds, "check"],
                       capture_output=True, text=True, timeout=120)
    ok(r.returncode == 0 and " 0 errors" in r.stdout + r.stderr,
       "danelab check %s: accepted (the smtp/ worlds among them)" % worlds,
       short(r.stdout + r.stderr))

    tmp = tempfile.mkdtemp(prefix="danelab-cl-")
    try:
        for wid in ORDER:
            if wid in docs:
                observed.append(test_world(wid, docs[wid], driver, src, tmp))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    ok(not os.path.exists(tmp), "temporary directory removed")

    diag("observed per mode:")
    for o in observed:
        diag("%s:" % o["world"])
        for k in ("s_client", "s_client_close", "swaks", "swaks_close"):
            if k in o:
                diag("  %-16s %s" % (k, o[k]))
    diag("runtime %.1f s" % (time.monotonic() - t0))
    print("1..%d" % n)
    diag("%d checks, %d failed" % (n, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    import signal

    def _term(signum, frame):
        raise SystemExit("killed by signal %d" % signum)
    signal.signal(signal.SIGTERM, _term)
    signal.signal(signal.SIGINT, _term)
    sys.exit(main())
