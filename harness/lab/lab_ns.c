/*
 * lab_ns.c -- inside the lab: network and mount namespaces, loopback up,
 * a fresh /proc, the lab's files bind-mounted over the system's.
 *
 * Owns nothing that outlives the namespaces: every mount made here is in
 * a private mount namespace and goes away with it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/lab/lab.h"

int
lab_lo_up(struct dl_diags *d)
{
	struct ifreq ifr;
	int fd, rc = 0;

	if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return dl_error(d, NULL, 0, 0, "socket: %s", strerror(errno));
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) != 0) {
		rc = dl_error(d, NULL, 0, 0, "lo: cannot read its flags: %s",
		    strerror(errno));
	} else if ((ifr.ifr_flags & IFF_UP) == 0) {
		ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
		if (ioctl(fd, SIOCSIFFLAGS, &ifr) != 0)
			rc = dl_error(d, NULL, 0, 0,
			    "lo: cannot bring it up: %s", strerror(errno));
	}
	close(fd);
	return rc != 0 ? DL_EIO : 0;
}

int
lab_bind_file(const char *src, const char *dst, struct dl_diags *d)
{
	struct stat st;

	/* stat follows a symbolic link, as mount(2) will. */
	if (stat(dst, &st) != 0 && errno == ENOENT)
		return DL_ENOENT;
	if (mount(src, dst, NULL, MS_BIND, NULL) != 0) {
		dl_error(d, dst, 0, 0, "cannot bind-mount %s over it: %s", src,
		    strerror(errno));
		return DL_EIO;
	}
	return 0;
}

/* A failed system call in the namespace set-up: DL_EIO. */
static int
lab_sys_err(struct dl_diags *d, const char *what)
{
	dl_error(d, NULL, 0, 0, "%s: %s", what, strerror(errno));
	return DL_EIO;
}

int
lab_ns_enter(const struct lab_files *f, struct dl_diags *d)
{
	int rc;

	/* IPC too: the host's SysV objects and message queues out of reach. */
	if (unshare(CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWIPC) != 0)
		return lab_sys_err(
		    d, "cannot create network, mount and IPC namespaces");
	/* Nothing mounted from here on propagates back to the host. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
		return lab_sys_err(d, "cannot make the mounts private");
	/* ps, /proc/self and friends for the lab's own pid namespace. */
	if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		NULL) != 0)
		return lab_sys_err(d, "cannot mount /proc");
	if ((rc = lab_lo_up(d)) != 0)
		return rc;
	if ((rc = lab_bind_file(f->resolv_conf, LAB_RESOLV_CONF, d)) != 0) {
		if (rc == DL_ENOENT)
			dl_error(d, LAB_RESOLV_CONF, 0, 0,
			    "does not exist: "
			    "nothing to bind-mount the lab's over");
		return DL_EIO;
	}
	if ((rc = lab_bind_file(f->root_key, LAB_ROOT_KEY, d)) == DL_ENOENT)
		dl_warn(d, LAB_ROOT_KEY, 0, 0,
		    "does not exist (Debian: "
		    "dns-root-data); the lab anchor is only in %s",
		    f->root_key);
	else if (rc != 0)
		return rc;
	if ((rc = lab_bind_file(f->root_ds, LAB_ROOT_DS, d)) == DL_ENOENT)
		dl_warn(d, LAB_ROOT_DS, 0, 0,
		    "does not exist (Debian: "
		    "dns-root-data); the lab anchor is only in %s",
		    f->root_ds);
	else if (rc != 0)
		return rc;
	return 0;
}
