#!/usr/bin/env python3
"""test_install -- `meson install` gives a danelab that works away from
its source tree (issue 13: a real install).

Installs the build into a temporary DESTDIR, moves the whole tree
elsewhere (as a package would be unpacked), and runs the installed
binary there with the source tree out of its way (no DANELAB_* data
variables): it must find the installed catalogue, fixtures and client
profiles (check, list, explain, check --client, export), name them in
--help, and never the source tree; the man page and the bash completion
must be installed and usable.
"""

import os
import shutil
import subprocess
import sys

import dltest


def main():
    danelab, src = dltest.args()
    dltest.setup_signals()
    build = os.path.dirname(danelab)
    meson = shutil.which("meson")
    if meson is None:
        dltest.skip_all("meson not in PATH")
    tap = dltest.Tap()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("DANELAB_")}
    with dltest.TempDir(prefix="danelab-install-") as tmp:
        dest = os.path.join(tmp, "dest")
        r = dltest.run([meson, "install", "-C", build, "--no-rebuild",
                        "--quiet", "--destdir", dest], timeout=300)
        tap.ok(r.returncode == 0, f"meson install --destdir (exit "
               f"{r.returncode})")
        if r.returncode != 0:
            tap.diag(dltest.short(r.stdout + r.stderr))
            return tap.done()
        moved = os.path.join(tmp, "moved")
        os.rename(dest, moved)
        bins = [os.path.join(d, "danelab") for d, _, f in os.walk(moved)
                if "danelab" in f and d.endswith("/bin")]
        tap.ok(len(bins) == 1, f"one installed danelab ({bins})")
        if len(bins) != 1:
            return tap.done()
        exe = bins[0]
        prefix = os.path.dirname(os.path.dirname(exe))
        share = os.path.join(prefix, "share", "danelab")

        def dl(*argv):
            return dltest.run([exe] + list(argv), timeout=120, env=env,
                              cwd=tmp)

        r = dl("check")
        n_scen = len(dltest.catalogue(src)[0])
        tap.ok(r.returncode == 0 and f"{n_scen} scenarios loaded, 0 errors"
               in r.stdout + r.stderr,
               f"installed check: the installed catalogue is clean "
               f"({(r.stdout + r.stderr).strip()[-60:]!r})")
        r = dl("--help")
        tap.ok(share in r.stdout and src not in r.stdout,
               "installed --help names the installed data, not the source "
               "tree")
        r = dl("list", "--format", "json")
        tap.ok(r.returncode == 0 and "control/valid-dane-ee" in r.stdout,
               "installed list")
        r = dl("explain", "rollover/late-introduction")
        tap.ok(r.returncode == 0 and "The timeline" in r.stdout,
               "installed explain (with the timeline picture)")
        r = dl("check", "--client", "postfix-mta")
        tap.ok(r.returncode == 0, "installed check --client postfix-mta "
               "finds the installed profile")
        if r.returncode != 0:
            tap.diag(dltest.short(r.stdout + r.stderr))
        r = dl("export", "control/valid-dane-ee", os.path.join(tmp, "x"))
        tap.ok(r.returncode == 0 and os.path.isfile(
            os.path.join(tmp, "x", "start.sh")),
            "installed export (certificates from the installed fixtures)")
        man = [os.path.join(d, x) for d, _, f in os.walk(moved)
               for x in f if x == "danelab.1"]
        ok = len(man) == 1 and open(man[0], encoding="utf-8").read() \
            .startswith(".TH DANELAB 1")
        tap.ok(ok, f"the man page is installed ({man})")
        if ok and shutil.which("groff"):
            r = dltest.run(["groff", "-man", "-Tutf8", "-ww", "-z",
                            man[0]])
            tap.ok(r.returncode == 0 and not r.stderr.strip(),
                   "groff reads the man page without a warning")
        comp = [os.path.join(d, x) for d, _, f in os.walk(moved)
                for x in f if d.endswith("completions") and x == "danelab"]
        ok = False
        if len(comp) == 1:
            r = dltest.run(["bash", "-c", 'source "$1" && complete -p '
                            'danelab', "bash", comp[0]])
            ok = r.returncode == 0 and "_danelab" in r.stdout
        tap.ok(ok, f"the bash completion is installed and loads ({comp})")
        if ok:
            r = dltest.run(["bash", "-c", 'PATH="$2:$PATH"; source "$1"; '
                            'COMP_WORDS=(danelab explain rollover/late); '
                            'COMP_CWORD=2; _danelab; '
                            'printf "%s\\n" "${COMPREPLY[@]}"', "bash",
                            comp[0], os.path.dirname(exe)], env=env)
            tap.ok("rollover/late-introduction" in r.stdout,
                   "completion of a scenario id for explain")
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
