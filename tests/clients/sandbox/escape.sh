#!/bin/sh
# A hostile client for tests/integration/test_sandbox.py: tries to leave
# danelab's client sandbox and says, one line per attempt, what happened.
# $1: a file on the host (outside the lab) to append to.
# Every attempt is harmless if it succeeds on a sane host (chmod u+r on
# files root can read anyway; a marker file the test removes), so a
# broken sandbox shows up as a failed test, not as a damaged host.
try() {
	name=$1
	shift
	if "$@" >/dev/null 2>&1; then
		echo "sandbox-probe $name: done"
	else
		echo "sandbox-probe $name: refused"
	fi
}
try write-etc touch /etc/danelab-escape
try chmod-etc chmod u+r /etc/hostname /etc/passwd
try remount-rw mount -o remount,rw /
try proc-root touch /proc/1/root/etc/danelab-escape
try mknod mknod /tmp/danelab-disk b 8 0
try new-userns unshare -Urm true
try write-tmp sh -c 'echo x > /tmp/danelab-sandbox-tmp'
try write-cwd sh -c 'echo x > ./danelab-sandbox-cwd'
try append-host sh -c "echo escaped >> '$1'"
try block-device test -e /dev/sda -o -e /dev/vda -o -e /dev/nvme0n1
# The lab directory: what danelab reads back after the run.
lab=$(dirname "$DANELAB_WORLD")
try write-labdir touch "$lab/cell.json"
try write-events sh -c "echo '{}' >> '$lab/events.jsonl'"
# A setuid copy that would run as root for anyone who runs it.
try setuid sh -c 'cp /usr/bin/id ./danelab-sid && chmod 4755 ./danelab-sid &&
	[ "$(setpriv --reuid=65534 --regid=65534 --clear-groups ./danelab-sid -u)" = 0 ]'
# The host's SysV IPC objects (the test makes one).
try host-ipc sh -c 'ipcs -m | grep -q "^0x"'
try openpty python3 -c 'import os; os.openpty()'
if [ -n "${SANDBOX_SECRET:-}" ]; then
	echo "sandbox-probe env-secret: done"
else
	echo "sandbox-probe env-secret: refused"
fi
sed -n 's/^CapBnd:[[:space:]]*/sandbox-probe capbnd: /p' /proc/self/status
exit 0
