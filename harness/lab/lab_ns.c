/*
 * lab_ns.c -- inside the lab: network and mount namespaces, loopback up,
 * a fresh /proc, the lab's files bind-mounted over the system's.
 *
 * Owns nothing that outlives the namespaces: every mount made here is in
 * a private mount namespace and goes away with it.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
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

/* Copy file src to dst (a few KB: the anchor), mode 0644. */
static int
lab_copy_small(const char *src, const char *dst)
{
	char buf[16384];
	ssize_t n;
	int in, out, rc = -1;

	if ((in = open(src, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	n = read(in, buf, sizeof(buf));
	close(in);
	if (n < 0 || (size_t)n == sizeof(buf))
		return -1;
	out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0)
		return -1;
	if (write(out, buf, (size_t)n) == n)
		rc = 0;
	if (close(out) != 0)
		rc = -1;
	return rc;
}

/* The host's small regular files of /usr/share/dns into dns, then dns over it. */
static int
lab_anchor_dir(const char *dns)
{
	char src[PATH_MAX], dst[PATH_MAX];
	struct dirent *e;
	struct stat st;
	DIR *dir;

	if ((dir = opendir("/usr/share/dns")) == NULL)
		return -1;
	while ((e = readdir(dir)) != NULL) {
		if (e->d_name[0] == '.' ||
		    snprintf(src, sizeof(src), "/usr/share/dns/%s",
			e->d_name) >= (int)sizeof(src) ||
		    snprintf(dst, sizeof(dst), "%s/%s", dns, e->d_name) >=
			(int)sizeof(dst))
			continue;
		if (lstat(src, &st) == 0 && S_ISREG(st.st_mode) &&
		    lstat(dst, &st) != 0)
			(void)lab_copy_small(src, dst);
	}
	closedir(dir);
	return mount(dns, "/usr/share/dns", NULL, MS_BIND, NULL);
}

/*
 * The lab anchor where tools look for it, whether or not the host has
 * Debian's dns-root-data: when LAB_ROOT_KEY or LAB_ROOT_DS is missing,
 * /usr/share becomes (in the lab's mount namespace only) an overlay of
 * the host's with dns/root.key and dns/root.ds added, its upper layer in
 * the lab directory (removed with it); where overlayfs refuses, a
 * directory of ours over /usr/share/dns.  The bind mounts that follow
 * then find both.  Returns 0, or -1 (errno) when the overlay cannot be made:
 * the caller warns as before.
 */
static int
lab_anchor_paths(const struct lab_files *f)
{
	char up[PATH_MAX], dns[PATH_MAX + 8], work[PATH_MAX], key[PATH_MAX + 24],
	    ds[PATH_MAX + 24], opts[3 * PATH_MAX + 64];
	struct stat st;

	if (stat(LAB_ROOT_KEY, &st) == 0 && stat(LAB_ROOT_DS, &st) == 0)
		return 0;
	if (snprintf(up, sizeof(up), "%s/usr-share", f->dir) >=
		(int)sizeof(up) ||
	    snprintf(work, sizeof(work), "%s/usr-share.work", f->dir) >=
		(int)sizeof(work)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	snprintf(dns, sizeof(dns), "%s/dns", up);
	snprintf(key, sizeof(key), "%s/root.key", dns);
	snprintf(ds, sizeof(ds), "%s/root.ds", dns);
	if ((mkdir(up, 0755) != 0 && errno != EEXIST) ||
	    (mkdir(dns, 0755) != 0 && errno != EEXIST) ||
	    (mkdir(work, 0700) != 0 && errno != EEXIST))
		return -1;
	/* Only what is missing: a host file stays visible as it is. */
	if ((stat(LAB_ROOT_KEY, &st) != 0 &&
		lab_copy_small(f->root_key, key) != 0) ||
	    (stat(LAB_ROOT_DS, &st) != 0 &&
		lab_copy_small(f->root_ds, ds) != 0))
		return -1;
	snprintf(opts, sizeof(opts), "lowerdir=/usr/share,upperdir=%s,"
	    "workdir=%s", up, work);
	if (mount("overlay", "/usr/share", "overlay", MS_NOSUID | MS_NODEV,
		opts) == 0)
		return 0;
	/* In a user namespace overlayfs wants userxattr. */
	strncat(opts, ",userxattr", sizeof(opts) - strlen(opts) - 1);
	if (mount("overlay", "/usr/share", "overlay", MS_NOSUID | MS_NODEV,
		opts) == 0)
		return 0;
	/*
	 * Refused (unprivileged, with mounts below /usr/share): where
	 * /usr/share/dns exists, our directory over it, with the host's
	 * other files (root.hints ...) copied in.
	 */
	return lab_anchor_dir(dns);
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
	if (lab_anchor_paths(f) != 0)
		dl_warn(d, "/usr/share", 0, 0, "cannot add the lab anchor "
		    "under it (overlay): %s", strerror(errno));
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
