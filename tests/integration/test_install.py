#!/usr/bin/env python3
"""test_install -- `meson install` gives a danelab that works away from
its source tree (issue 13: a real install).

Installs the build into a temporary DESTDIR, moves the whole tree
elsewhere (as a package would be unpacked), and runs the installed
binary there with the source tree out of its way (no DANELAB_* data
variables): it must find the installed catalogue, fixtures and client
profiles (check, list, explain, check --client, export), name them in
--help, and never the source tree; the man pages (danelab(1),
danelab-scenario(5), danelab-client(5), made with scdoc) and the bash
completion must be installed and usable: `man -l` and groff read every
page without a warning, danelab(1) names every option of every verb's
--help, the completion offers verbs, options, scenario ids, tags and
client names (the profiles of $DANELAB_CLIENTS too).  --version names
the libraries it runs with; a missing catalogue, fixtures or client
profile directory is said plainly, with where its path came from.
"""

import re

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

        def dl(*argv, extra=None):
            return dltest.run([exe] + list(argv), timeout=120,
                              env=dict(env, **(extra or {})), cwd=tmp)

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
        check_man(tap, moved, src, dl)
        check_examples(tap, src, dl, tmp)
        check_version(tap, dl)
        check_missing_dirs(tap, dl, share)
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
            check_completion(tap, comp[0], os.path.dirname(exe), env, tmp,
                             share)
    return tap.done()


MAN_PAGES = [("man1", "danelab.1"), ("man5", "danelab-scenario.5"),
             ("man5", "danelab-client.5")]


def verb_options(dl):
    """{verb: [--long options of its --help's option lists]}."""
    verbs = re.findall(r"^  ([a-z]+) +[a-z]", dl("--help").stdout, re.M)
    out = {}
    for v in verbs:
        text = dl(v, "--help").stdout
        # every option given as '  -x, --long' or '      --long' at the
        # start of a line of the help (not those named in the prose)
        out[v] = sorted(set(re.findall(
            r"^ +(?:-[a-zA-Z], )?(--[a-z][a-z-]*)", text, re.M)))
    return out


def check_man(tap, moved, src, dl):
    """The three man pages: installed, read by man and groff without a
    warning, danelab(1) current with the --help of every verb."""
    scdoc = shutil.which("scdoc")
    for section, name in MAN_PAGES:
        found = [os.path.join(d, name) for d, _, f in os.walk(moved)
                 if name in f and d.endswith("/man/" + section)]
        if not found and scdoc is None:
            tap.ok(False, f"{name} installed", skip="scdoc not installed")
            continue
        tap.ok(len(found) == 1, f"man page {name} installed in "
               f"man/{section} ({found})")
        if len(found) != 1:
            continue
        page = found[0]
        text = open(page, encoding="utf-8").read()
        title = name.rsplit(".", 1)
        tap.ok(re.search(r'^\.TH "?%s"? "?%s"?' % (re.escape(title[0]),
                                                   title[1]),
                         text, re.M | re.I) is not None and
               "Generated by scdoc" in text,
               f"{name}: made by scdoc (.TH {title[0]} {title[1]})")
        if shutil.which("man"):
            r = dltest.run(["man", "--warnings", "-l", page],
                           env=dict(os.environ, MANPAGER="cat",
                                    PAGER="cat", MANWIDTH="80",
                                    LC_ALL="C.UTF-8"))
            tap.ok(r.returncode == 0 and not r.stderr.strip() and
                   "NAME" in r.stdout,
                   f"man --warnings -l {name}: no warning "
                   f"({dltest.short(r.stderr, 300)!r})")
        else:
            tap.ok(False, f"man -l {name}", skip="man (man-db) not "
                   "installed")
        if shutil.which("groff"):
            r = dltest.run(["groff", "-man", "-Tutf8", "-ww", "-z", page])
            tap.ok(r.returncode == 0 and not r.stderr.strip(),
                   f"groff -ww reads {name} without a warning "
                   f"({dltest.short(r.stderr, 300)!r})")
        else:
            tap.ok(False, f"groff -ww {name}", skip="groff not installed")
    # danelab(1) is written by hand (doc/danelab.1.scd): it must name
    # every option each verb's --help lists.
    scd = os.path.join(src, "doc", "danelab.1.scd")
    page = open(scd, encoding="utf-8").read() if os.path.isfile(scd) \
        else ""
    missing = [f"{v} {o}" for v, opts in verb_options(dl).items()
               for o in opts if o not in page]
    tap.ok(page != "" and not missing,
           f"doc/danelab.1.scd names every verb's options (missing: "
           f"{', '.join(missing[:12]) if page else 'the file'})")


def scd_example(path, n=1):
    """The n-th fenced block of the EXAMPLE section of an .scd page, as
    the page shows it (scdoc's '\\\\' is one backslash)."""
    text = open(path, encoding="utf-8").read() if os.path.isfile(path) \
        else ""
    section = text.split("\n# EXAMPLE\n", 1)[-1] if "\n# EXAMPLE\n" in \
        text else ""
    blocks = re.findall(r"^```\n(.*?)^```$", section, re.M | re.S)
    return blocks[n - 1].replace("\\\\", "\\") if len(blocks) >= n \
        else None


def check_examples(tap, src, dl, tmp):
    """The examples of danelab-scenario(5) and danelab-client(5) load."""
    ex = scd_example(os.path.join(src, "doc", "danelab-scenario.5.scd"))
    ok = ex is not None
    if ok:
        path = os.path.join(tmp, "example.yaml")
        with open(path, "w", encoding="utf-8") as f:
            f.write(ex)
        r = dl("check", path)
        ok = r.returncode == 0 and "0 errors, 0 warnings" in r.stdout
        if not ok:
            tap.diag(dltest.short(r.stdout + r.stderr, 600))
    tap.ok(ok, "the example of danelab-scenario(5) is a clean scenario")
    profile = scd_example(os.path.join(src, "doc", "danelab-client.5.scd"))
    devs = scd_example(os.path.join(src, "doc", "danelab-client.5.scd"), 2)
    ok = profile is not None and devs is not None
    if ok:
        d = os.path.join(tmp, "example-clients")
        os.makedirs(d, exist_ok=True)
        m = re.search(r"^name: (\S+)$", profile, re.M)
        name = m.group(1) if m else "x"
        with open(os.path.join(d, name + ".yaml"), "w",
                  encoding="utf-8") as f:
            f.write(profile)
        with open(os.path.join(d, name + ".deviations"), "w",
                  encoding="utf-8") as f:
            f.write(devs)
        r = dl("check", "-W", "--client", name,
               extra={"DANELAB_CLIENTS": d})
        ok = r.returncode == 0 and "1 deviation" in r.stdout
        if not ok:
            tap.diag(dltest.short(r.stdout + r.stderr, 600))
    tap.ok(ok, "the example of danelab-client(5) (profile and deviations) "
           "loads")


def check_version(tap, dl):
    """--version: 'danelab X.Y.Z' first, then the libraries at run time."""
    r = dl("--version")
    lines = r.stdout.splitlines()
    tap.ok(r.returncode == 0 and lines and
           re.fullmatch(r"danelab \d+\.\d+\.\d+", lines[0]) is not None,
           f"--version: first line 'danelab X.Y.Z' ({lines[:1]})")
    for lib in ("ldns", "OpenSSL", "libunbound", "libyaml", "jansson"):
        tap.ok(any(re.match(r"%s \d+\.\d+" % lib, ln) for ln in lines),
               f"--version names {lib} and its version")
    pc = shutil.which("pkg-config")
    for lib, mod in (("ldns", "ldns"), ("libunbound", "libunbound"),
                     ("libyaml", "yaml-0.1")):
        if pc is None:
            break
        v = dltest.run([pc, "--modversion", mod]).stdout.strip()
        tap.ok(v != "" and f"{lib} {v}" in r.stdout,
               f"--version: {lib} {v} as installed")


def check_missing_dirs(tap, dl, share):
    """A missing data directory is said plainly, with its origin."""
    def says(r, text, desc):
        ok = r.returncode == 2 and f"danelab: {text}" in r.stderr
        tap.ok(ok, f"{desc}: exit 2 and 'danelab: {text}' "
               f"(exit {r.returncode})")
        if not ok:
            tap.diag(dltest.short(r.stderr, 400))

    def dl_env(extra, *argv):
        return dl(*argv, extra=extra)

    for argv in (["list"], ["run", "--list"], ["explain", "control/unsigned"],
                 ["check"]):
        says(dl_env({"DANELAB_SCENARIOS": "/nonexistent"}, *argv),
             "the catalogue directory /nonexistent does not exist (set by "
             "DANELAB_SCENARIOS)",
             f"DANELAB_SCENARIOS=/nonexistent {' '.join(argv)}")
    says(dl("--scenarios", "/nonexistent", "list"),
         "the catalogue directory /nonexistent does not exist (set by "
         "--scenarios)", "--scenarios /nonexistent list")
    says(dl_env({"DANELAB_FIXTURES": "/nonexistent"}, "check"),
         "the fixtures directory /nonexistent does not exist (set by "
         "DANELAB_FIXTURES)", "DANELAB_FIXTURES=/nonexistent check")
    says(dl_env({"DANELAB_CLIENTS": "/nonexistent"}, "check", "--client",
                "no-such-client"),
         "the client profile directory /nonexistent does not exist (set "
         "by DANELAB_CLIENTS)",
         "DANELAB_CLIENTS=/nonexistent check --client no-such-client")
    # The installed data directory itself, one part missing at a time.
    for part, what, argv in (
            ("scenarios", "catalogue", ["list"]),
            ("fixtures", "fixtures", ["explain", "control/unsigned"]),
            ("clients", "client profile", ["check", "--client",
                                           "reference"])):
        path = os.path.join(share, part)
        os.rename(path, path + ".away")
        try:
            says(dl(*argv), f"the {what} directory {path} does not exist "
                 f"(the installed data directory",
                 f"installed, without {part}: {' '.join(argv)}")
        finally:
            os.rename(path + ".away", path)


def check_completion(tap, comp, bindir, env, tmp, share):
    """Client names (shipped and $DANELAB_CLIENTS), verbs, options, tags."""
    mine = os.path.join(tmp, "my-clients")
    os.makedirs(mine, exist_ok=True)
    shutil.copy(os.path.join(share, "clients", "swaks.yaml"),
                os.path.join(mine, "my-swaks.yaml"))

    def complete(words, cword, extra=None):
        e = dict(env, **(extra or {}))
        r = dltest.run(["bash", "-c", 'PATH="$2:$PATH"; source "$1"; '
                        'shift 2; COMP_WORDS=("$@"); '
                        'COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _danelab; '
                        'printf "%s\\n" "${COMPREPLY[@]}"', "bash", comp,
                        bindir] + words, env=e)
        return set(r.stdout.split())

    shipped = {"reference", "posttls-finger", "postfix-mta", "exim",
               "swaks", "ldns-dane", "danetool", "hash-slinger"}
    got = complete(["danelab", "run", "--client", ""], 3,
                   {"DANELAB_CLIENTS": mine})
    tap.ok(shipped | {"my-swaks"} <= got,
           f"completion after 'run --client ': every profile, "
           f"$DANELAB_CLIENTS's too ({sorted(got)})")
    got = complete(["danelab", "shell", "control/unsigned", "--client",
                    "my"], 4, {"DANELAB_CLIENTS": mine})
    tap.ok(got == {"my-swaks"}, f"completion of 'shell ... --client my' "
           f"({sorted(got)})")
    got = complete(["danelab", "run", "-c", "reference,post"], 3)
    tap.ok(got == {"reference,posttls-finger", "reference,postfix-mta"},
           f"completion of '--client reference,post' ({sorted(got)})")
    got = complete(["danelab", "ru"], 1)
    tap.ok(got == {"run"}, f"completion of a verb ({sorted(got)})")
    got = complete(["danelab", "run", "--ta"], 2)
    tap.ok(got == {"--tag"}, f"completion of an option ({sorted(got)})")
    got = complete(["danelab", "list", "--tag", "dnss"], 3)
    tap.ok(got == {"dnssec"}, f"completion of a tag ({sorted(got)})")
    got = complete(["danelab", "run", "control/valid-dane-e"], 2)
    tap.ok(got == {"control/valid-dane-ee"},
           f"completion of a scenario id for run ({sorted(got)})")


if __name__ == "__main__":
    sys.exit(main())
