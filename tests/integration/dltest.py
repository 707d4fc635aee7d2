"""dltest -- what danelab's integration tests share.

The integration tests check danelab against real, independent tools
(ldns-verify-zone, openssl, ldns-dane, NSD, unbound, dig, delv).  To stay
independent of danelab's own scenario loader, they read the scenario files
themselves (PyYAML) following the format spec (scenario format v1), and only
use the `danelab` binary for what is under test.

Every test script is run by meson as

    python3 test_<name>.py DANELAB_BINARY SOURCE_ROOT [SCENARIOS_DIR]

(SCENARIOS_DIR defaults to SOURCE_ROOT/scenarios, the catalogue; the extra
worlds in tests/integration/worlds/ are run the same way.)

prints TAP (one `ok`/`not ok` line per comparison, with what was compared,
and `#` diagnostics), and exits 0 (all ok), 1 (something failed, also: an
empty or unreadable scenario folder, a danelab or helper that does not
start: a broken product is a failure, never a skip) or 77 (skip: only an
optional tool missing, not root, no namespaces).
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

SKIP = 77

# TLSA mnemonics (RFC 7218) accepted by the scenario format.
USAGES = {"pkix-ta": 0, "pkix-ee": 1, "dane-ta": 2, "dane-ee": 3}
SELECTORS = {"cert": 0, "spki": 1}
MATCHINGS = {"full": 0, "sha2-256": 1, "sha2-512": 2}


# --------------------------------------------------------------------- TAP


class Tap:
    """Minimal TAP producer: numbered results, diagnostics, plan at the end."""

    def __init__(self):
        self.n = 0
        self.failed = 0
        self.skipped = 0
        sys.stdout.reconfigure(line_buffering=True)

    def ok(self, cond, desc, skip=None):
        """One result; skip (a reason) turns it into `ok N - desc # SKIP`."""
        self.n += 1
        desc = desc.replace("\n", " ")
        if skip is not None:
            self.skipped += 1
            print(f"ok {self.n} - {desc} # SKIP {skip}")
            return True
        if not cond:
            self.failed += 1
        print(f"{'ok' if cond else 'not ok'} {self.n} - {desc}")
        return bool(cond)

    @staticmethod
    def diag(text):
        for line in str(text).rstrip("\n").split("\n"):
            print(f"# {line}")

    def done(self):
        """Print the plan and return the exit status."""
        print(f"1..{self.n}")
        self.diag(f"{self.n} checks, {self.failed} failed, "
                  f"{self.skipped} skipped")
        if self.failed:
            return 1
        if self.n == self.skipped:
            return SKIP
        return 0


def skip_all(reason):
    """Skip the whole test (exit 77)."""
    print(f"1..0 # SKIP {reason}")
    sys.exit(SKIP)


def fail_all(reason):
    """Fail the whole test (exit 1): what is under test is broken."""
    print("1..1")
    print(f"not ok 1 - {reason}")
    sys.exit(1)


def need_tools(*tools):
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        skip_all("missing tools: " + ", ".join(missing))


def need_yaml():
    try:
        import yaml  # noqa: F401
    except ImportError:
        skip_all("python3 yaml module missing (Debian: python3-yaml)")


def need_root_namespaces():
    """Skip unless we are root and can make net+mount+pid namespaces."""
    if os.geteuid() != 0:
        skip_all("not root (network namespaces with real ports needed)")
    need_tools("unshare", "ip")
    r = subprocess.run(["unshare", "-n", "-m", "-p", "-f", "--mount-proc",
                        "true"], capture_output=True, text=True)
    if r.returncode != 0:
        skip_all("unshare -n -m -p unavailable: " + r.stderr.strip())


def setup_signals():
    """Turn SIGTERM/SIGINT (meson's timeout) into SystemExit, so that
    `finally` blocks remove temporary directories and stop children."""
    def handler(signum, frame):
        raise SystemExit(f"killed by signal {signum}")
    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


def scenarios_dir(src):
    """The scenario directory under test: argv[3], else the catalogue."""
    if len(sys.argv) > 3 and not sys.argv[3].startswith("--"):
        return os.path.abspath(sys.argv[3])
    return os.path.join(src, "scenarios")


def args():
    """(danelab binary, source root) from argv, both absolute."""
    if len(sys.argv) < 3:
        print(f"usage: {sys.argv[0]} DANELAB SOURCE_ROOT [SCENARIOS_DIR]",
              file=sys.stderr)
        sys.exit(2)
    danelab = os.path.abspath(sys.argv[1])
    src = os.path.abspath(sys.argv[2])
    if not os.access(danelab, os.X_OK):
        print(f"Bail out! {danelab} is not an executable")
        sys.exit(1)
    return danelab, src


class TempDir:
    """mkdtemp that is always removed (use as a context manager)."""

    def __init__(self, prefix="danelab-it-"):
        self.path = tempfile.mkdtemp(prefix=prefix)

    def __enter__(self):
        return self.path

    def __exit__(self, *exc):
        shutil.rmtree(self.path, ignore_errors=True)
        return False


def short(text, n=1200):
    text = text if isinstance(text, str) else text.decode(errors="replace")
    text = text.strip()
    return text if len(text) <= n else text[:n] + " [...]"


# ------------------------------------------------------------------- names


def fqdn(name):
    """Absolute, lower case, trailing dot ("." stays ".")."""
    name = str(name).strip().lower()
    if name in ("", ".", "@"):
        return "."
    return name if name.endswith(".") else name + "."


def plain(name):
    """Name without trailing dot, as used in export file names."""
    name = fqdn(name)
    return "root" if name == "." else name[:-1]


def is_subdomain(name, zone):
    name, zone = fqdn(name), fqdn(zone)
    return zone == "." or name == zone or name.endswith("." + zone)


def parent_of(name):
    name = fqdn(name)
    if name == ".":
        return None
    rest = name.split(".", 1)[1]
    return rest if rest else "."


def zone_file_name(zone):
    return "root.zone" if fqdn(zone) == "." else plain(zone) + ".zone"


def zone_of_file(fname):
    """Inverse of zone_file_name()."""
    base = fname[:-len(".zone")]
    return "." if base == "root" else fqdn(base)


# --------------------------------------------------------------- scenarios


class Scenario:
    """A scenario file as read here, independently of danelab's loader."""

    def __init__(self, sid, path, doc):
        self.id = sid
        self.path = path
        self.doc = doc or {}

    # identity
    @property
    def domain(self):
        return fqdn(self.doc["domain"])

    @property
    def ttl(self):
        return int(self.doc.get("ttl", 3600))

    # zones declared in the file, by absolute name
    @property
    def zones(self):
        out = {}
        for z in self.doc.get("zones") or []:
            out[fqdn(z["name"])] = z
        return out

    def zone_signed(self, zone):
        z = self.zones.get(fqdn(zone))
        return True if z is None else z.get("signed", True) is not False

    @property
    def hosts(self):
        """MX hosts, normalised: name, preference, port, cname, addresses,
        chain, tlsa (items), tlsa_ttl (None = zone default)."""
        out = []
        for h in self.doc.get("mx") or []:
            out.append({
                "name": fqdn(h["host"]),
                "preference": int(h.get("preference", 10)),
                "port": int(h.get("port", 25)),
                "cname": fqdn(h["cname"]) if h.get("cname") else None,
                "addresses": [str(a) for a in h.get("addresses") or []],
                "chain": list(h.get("chain") or []),
                "tlsa": list(h.get("tlsa") or []),
                "tlsa_ttl": h.get("tlsa-ttl"),
            })
        return out

    def host(self, name):
        for h in self.hosts:
            if h["name"] == fqdn(name):
                return h
        return None

    @property
    def faults(self):
        """[(kind, value, fault dict)]; kind is ds|signatures|dns|starttls."""
        out = []
        for f in self.doc.get("faults") or []:
            kinds = [k for k in ("ds", "signatures", "dns", "starttls")
                     if k in f]
            kind = kinds[0] if kinds else "?"
            out.append((kind, f.get(kind), f))
        return out

    @property
    def phases(self):
        return list(self.doc.get("timeline") or [])

    def host_at_phase(self, name, phase_index):
        """Effective host (chain, tlsa, tlsa_ttl) at timeline phase
        phase_index (None: baseline): later phases override earlier."""
        h = dict(self.host(name))
        if phase_index is None:
            return h
        for ph in self.phases[:phase_index + 1]:
            for ch in ph.get("hosts") or []:
                if fqdn(ch["host"]) != h["name"]:
                    continue
                if "chain" in ch:
                    h["chain"] = list(ch["chain"] or [])
                if "tlsa" in ch:
                    h["tlsa"] = list(ch["tlsa"] or [])
                if "tlsa-ttl" in ch:
                    h["tlsa_ttl"] = ch["tlsa-ttl"]
        return h

    def expect_state(self, what, host=None):
        """Declared DNSSEC state: what = mx | address | tlsa."""
        e = self.doc.get("expect") or {}
        if what == "mx":
            return e.get("mx")
        m = {fqdn(k): v for k, v in (e.get(what) or {}).items()}
        return m.get(fqdn(host))

    def zone_for(self, name):
        """The zone a host name lives in (spec, 'Implicit zones')."""
        name = fqdn(name)
        cands = [z for z in list(self.zones) + [self.domain]
                 if is_subdomain(name, z)]
        if cands:
            return max(cands, key=len)
        labels = name[:-1].split(".")
        return fqdn(".".join(labels[-2:]))

    def expected_zones(self):
        """Every zone of the world: declared, the mail domain, each MX host
        (and CNAME target) zone, and all their ancestors up to the root."""
        base = set(self.zones) | {self.domain}
        for h in self.hosts:
            base.add(self.zone_for(h["name"]))
            if h["cname"]:
                base.add(self.zone_for(h["cname"]))
        out = set()
        for z in base:
            while z is not None:
                out.add(z)
                z = parent_of(z)
        return out

    def zone_ttl(self, zone):
        z = self.zones.get(fqdn(zone)) or {}
        return int(z.get("ttl", self.ttl))


def catalogue(src):
    """All scenarios of the directory under test (scenarios_dir()), sorted
    by id.  Returns (scenarios, errors) where errors are (path, message)."""
    import yaml
    root = scenarios_dir(src)
    out, errors = [], []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for f in sorted(filenames):
            if not f.endswith(".yaml"):
                continue
            path = os.path.join(dirpath, f)
            sid = os.path.relpath(path, root)[:-len(".yaml")]
            try:
                with open(path, encoding="utf-8") as fp:
                    doc = yaml.safe_load(fp)
                out.append(Scenario(sid, path, doc))
            except Exception as e:  # report, keep going
                errors.append((path, str(e)))
    out.sort(key=lambda s: s.id)
    return out, errors


def tlsa_num(value, table):
    """A TLSA field given as number or mnemonic -> int."""
    if isinstance(value, int):
        return value
    v = str(value).strip().lower()
    if v.isdigit():
        return int(v)
    return table[v]


# ------------------------------------------------------------ running danelab


def danelab_cmd(danelab, src, *argv):
    """argv for danelab with the fixtures of SOURCE_ROOT and the scenario
    directory under test."""
    return [danelab, "--fixtures", os.path.join(src, "fixtures"),
            "--scenarios", scenarios_dir(src)] + list(argv)


def run(argv, timeout=120, **kw):
    """subprocess.run capturing text output; never raises on exit codes."""
    return subprocess.run(argv, capture_output=True, text=True,
                          timeout=timeout, **kw)


def export(danelab, src, sid, dest, phase=None):
    """`danelab export [--phase P] SID DEST`; returns (CompletedProcess,
    seconds)."""
    argv = ["export"] + (["--phase", phase] if phase else []) + [sid, dest]
    t0 = time.monotonic()
    r = run(danelab_cmd(danelab, src, *argv))
    return r, time.monotonic() - t0


# ------------------------------------------------------------- zone files


_TYPE_RE = re.compile(r"^[A-Z][A-Z0-9-]*$|^TYPE\d+$")
_CLASSES = {"IN", "CH", "HS", "CS"}


def parse_zone(path):
    """Records of a zone file written one per line (ldns style), as
    (owner, ttl, type, [rdata tokens]).  Comments and $ lines skipped."""
    out = []
    with open(path, encoding="utf-8", errors="replace") as fp:
        for line in fp:
            line = line.split(";", 1)[0].strip()
            if not line or line.startswith("$"):
                continue
            tok = line.split()
            owner, rest = tok[0], tok[1:]
            ttl = None
            while rest and (rest[0].isdigit() or rest[0] in _CLASSES):
                if rest[0].isdigit():
                    ttl = int(rest[0])
                rest = rest[1:]
            if not rest:
                continue
            out.append((fqdn(owner), ttl, rest[0].upper(), rest[1:]))
    return out


def tlsa_rrs(records):
    """{owner: {(usage, selector, mtype, hexdata): ttl}} from parse_zone()
    records (generic \\# form understood too)."""
    out = {}
    for owner, ttl, rtype, rd in records:
        if rtype == "TLSA" and len(rd) >= 3:
            key = (int(rd[0]), int(rd[1]), int(rd[2]), "".join(rd[3:]).lower())
        elif rtype == "TYPE52" and rd and rd[0] == "\\#":
            data = "".join(rd[2:]).lower()
            key = (int(data[0:2], 16), int(data[2:4], 16),
                   int(data[4:6], 16), data[6:])
        else:
            continue
        out.setdefault(owner, {})[key] = ttl
    return out


def pinned_match(want, got):
    """A pinned (VERDICT, RULE) against a result's (verdict, rule).  The
    pinned verdict may list alternatives, "PASS|XFAIL": a client whose
    behaviour is its own random draw (a probe picking one of two MX hosts
    of equal preference), and so may the rule, "undelivered|decision": an
    MTA whose log says bounced or deferred from one run to the next.  A
    PASS carries no rule; any other verdict must name a pinned rule."""
    if want is None or got is None:
        return want == got
    if got[0] not in want[0].split("|"):
        return False
    if got[0] == "PASS":
        return got[1] is None
    return got[1] in (want[1] or "").split("|")
