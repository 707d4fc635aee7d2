#!/bin/sh
# fetch-exim.sh CACHE -- Debian's Exim 4 (exim4-daemon-light) unpacked into
# CACHE/root, for the exim client profile (harness/clients/exim.yaml):
# exim4-daemon-light conflicts with the postfix package, so it is fetched
# with `apt-get download` and unpacked with `dpkg-deb -x`, never installed.
#
#   CACHE/root/usr/sbin/exim4            the binary, its setuid bit removed
#                                        (a setuid re-exec ignores
#                                        LD_LIBRARY_PATH)
#   CACHE/root/usr/lib/x86_64-linux-gnu  libidn.so.12 (libidn12), which a
#                                        machine with Postfix lacks
#
# Then: DANELAB_EXIM=CACHE/root danelab run --client exim.  The binary's
# own user, Debian-exim, must exist (Debian's exim4-base makes it):
#   useradd --system --user-group --home-dir /var/spool/exim4 \
#       --no-create-home --shell /usr/sbin/nologin Debian-exim
# Idempotent.  Exit 77 (skip) when apt-get download fails (no network,
# no package lists), 1 on other errors.
set -e
CACHE=${1:?usage: fetch-exim.sh CACHE}
mkdir -p "$CACHE"
CACHE=$(cd "$CACHE" && pwd)
R=$CACHE/root
if [ -f "$CACHE/.done" ] && [ -x "$R/usr/sbin/exim4" ]; then
	echo "exim already in $R"
	exit 0
fi
mkdir -p "$CACHE/debs"
cd "$CACHE/debs"
if ! apt-get download exim4-daemon-light libidn12 >"$CACHE/apt.log" 2>&1; then
	cat "$CACHE/apt.log" >&2
	echo "fetch-exim: apt-get download exim4-daemon-light libidn12 failed" >&2
	exit 77
fi
rm -rf "$R.tmp"
mkdir -p "$R.tmp"
for d in exim4-daemon-light_*.deb libidn12_*.deb; do
	dpkg-deb -x "$d" "$R.tmp"
done
chmod u-s,g-s "$R.tmp/usr/sbin/exim4"
if LD_LIBRARY_PATH=$R.tmp/usr/lib/x86_64-linux-gnu ldd "$R.tmp/usr/sbin/exim4" |
    grep 'not found' >&2; then
	echo "fetch-exim: libraries missing" >&2
	exit 1
fi
rm -rf "$R"
mv "$R.tmp" "$R"
touch "$CACHE/.done"
echo "exim unpacked in $R"
