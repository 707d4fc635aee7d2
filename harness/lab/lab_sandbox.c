/*
 * lab_sandbox.c -- the client sandbox: `danelab __sandbox`, run by the
 * lab's supervisor in place of a client or a shell (lab.h, "sandbox").
 *
 * Why our own mounts and not bubblewrap: the command already runs inside
 * namespaces danelab made (network, mount, pid, and a user namespace when
 * not root), with the lab's own files bind-mounted over the system's
 * (/etc/resolv.conf, the root anchor).  All the sandbox adds is one more
 * mount namespace in which those mounts are kept, the rest is made
 * read-only, and a handful of directories are private -- a dozen system
 * calls.  bwrap would build a new root from scratch (every lab mount
 * passed again as an option), would be one more package and executable
 * in the path of every client run, and, run as root, would ask for a
 * pid and user namespace of its own inside ours.  Doing it here keeps
 * every error in danelab's words and costs no process.
 *
 * Runs single-threaded (it is exec'd), so it may allocate and print.
 * The order matters:
 *   1. a new mount namespace, private;
 *   2. detached copies (open_tree) of what must stay as it is: the
 *      writable directories (the cell's), the read-only ones inside them
 *      (the world), and /dev's harmless nodes -- taken before anything
 *      covers them;
 *   3. every mount read-only, recursively (mount_setattr);
 *   4. /dev replaced by a small tmpfs: null, zero, full, random, urandom,
 *      tty, pts, ptmx, shm; it also holds the private directories' upper
 *      layers;
 *   5. /tmp, /var/tmp, /run, /var/spool, /var/lib: copy-on-write overlays
 *      of the host's (the client sees what is there and writes into its
 *      own copy), or an empty tmpfs where overlayfs is refused;
 *   6. the copies from 2 put back at their paths, then the lab's file
 *      binds made again (they may have been under /run);
 *   7. capabilities beyond LAB_SANDBOX_CAPS dropped from every set,
 *      including the bounding set, so that no setuid program gets them
 *      back: above all CAP_SYS_ADMIN, without which nothing can be
 *      remounted writable;
 *   8. the documented minimal environment, then exec.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/keyctl.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include "harness/lab/lab.h"
#include "simulator/util/xmem.h"

extern char **environ;

#define SB_STAGE "/dev/.danelab-sandbox"
#define SB_TMPFS_SIZE "size=512m,nr_inodes=262144"

/* The directories every sandboxed command gets a private copy of. */
static const char *const sb_private[] = {
	"/tmp", "/var/tmp", "/run", "/var/spool", "/var/lib",
};

/* The device nodes kept in the sandbox's /dev. */
static const char *const sb_devnodes[] = {
	"null", "zero", "full", "random", "urandom", "tty",
};

/*
 * Capabilities kept, all that real MTAs need as root: CHOWN, FOWNER,
 * FSETID, DAC_OVERRIDE (queue files of other owners), SETUID, SETGID
 * (Postfix's daemons and Exim drop to their own users), KILL (`postfix
 * stop` signals daemons running as postfix), NET_BIND_SERVICE (a
 * listener on port 25 in the lab's network namespace), SYS_CHROOT
 * (Postfix's chrooted services; the tree is read-only anyway).
 */
#define CAPBIT(c) (1ULL << (c))
#define LAB_SANDBOX_CAPS                                                 \
	(CAPBIT(CAP_CHOWN) | CAPBIT(CAP_DAC_OVERRIDE) | CAPBIT(CAP_FOWNER) | \
	    CAPBIT(CAP_FSETID) | CAPBIT(CAP_KILL) | CAPBIT(CAP_SETGID) |     \
	    CAPBIT(CAP_SETUID) | CAPBIT(CAP_NET_BIND_SERVICE) |              \
	    CAPBIT(CAP_SYS_CHROOT))

/*
 * The environment: these names pass when set (with DANELAB_* and
 * MAIL_CONFIG, which the lab sets itself); interactive shells keep the
 * second list too.  Everything else of danelab's environment stays out.
 */
static const char *const sb_env_keep[] = {
	"PATH", "TZ", "ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS",
	"MAIL_CONFIG",
};
static const char *const sb_env_shell[] = {
	"HOME", "TERM", "COLORTERM", "LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE",
	"LC_MESSAGES", "LC_COLLATE", "LC_NUMERIC", "LC_TIME", "USER",
	"LOGNAME", "SHELL", "PS1",
};
#define SB_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

struct sb_args {
	const char *rw[LAB_SANDBOX_MAX], *ro[LAB_SANDBOX_MAX];
	const char *bind_src[LAB_SANDBOX_MAX], *bind_dst[LAB_SANDBOX_MAX];
	size_t n_rw, n_ro, n_bind;
	const char *append; /* opened before the mounts, see lab.h */
	bool shell, host_writable;
	char **argv;
};

static int
sb_fail(const char *what, const char *path)
{
	fprintf(stderr, "danelab: sandbox: %s%s%s: %s\n", what,
	    path != NULL ? " " : "", path != NULL ? path : "",
	    strerror(errno));
	return LAB_SANDBOX_EXIT;
}

/* mkdir -p, each new directory 0755; an existing one is fine. */
static int
sb_mkdirs(const char *path)
{
	char buf[PATH_MAX];
	size_t i, n = strlen(path);

	if (n >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(buf, path, n + 1);
	for (i = 1; i <= n; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, 0755) != 0 && errno != EEXIST)
			return -1;
		buf[i] = path[i];
	}
	return 0;
}

/*
 * A detached copy of the tree at path (recursive), nosuid and nodev,
 * read-only if ro.
 */
static int
sb_clone(const char *path, bool ro)
{
	struct mount_attr attr;
	int fd;

	fd = open_tree(AT_FDCWD, path,
	    OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
	if (fd < 0)
		return fd;
	/*
	 * Nothing the command writes is a device or runs setuid: not for
	 * it, and not for a host user who finds it there later.
	 */
	memset(&attr, 0, sizeof(attr));
	attr.attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
	    (ro ? MOUNT_ATTR_RDONLY : 0);
	if (mount_setattr(fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr,
		sizeof(attr)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A host device node, read-only (it works; its mode cannot change). */
static int
sb_devclone(const char *path)
{
	struct mount_attr attr;
	int fd;

	if ((fd = open_tree(AT_FDCWD, path, OPEN_TREE_CLONE |
	    OPEN_TREE_CLOEXEC)) < 0)
		return -1;
	memset(&attr, 0, sizeof(attr));
	attr.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID |
	    MOUNT_ATTR_NOEXEC;
	if (mount_setattr(fd, "", AT_EMPTY_PATH, &attr, sizeof(attr)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
sb_attach(int fd, const char *path)
{
	return move_mount(fd, "", AT_FDCWD, path, MOVE_MOUNT_F_EMPTY_PATH);
}

/*
 * A private copy of dir: an overlay whose upper layer is in the staging
 * tmpfs (n: its index there), or an empty tmpfs if overlayfs refuses.
 * The upper layer's root takes dir's owner and mode (an overlay's root
 * directory is its upper's: /tmp stays 1777).
 */
static int
sb_private_dir(const char *dir, size_t n)
{
	char up[96], work[96], base[64], opts[PATH_MAX + 256], mode[64];
	struct stat st;

	if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return 0; /* absent, or a symbolic link: nothing to copy */
	snprintf(base, sizeof(base), "%s/%zu", SB_STAGE, n);
	snprintf(up, sizeof(up), "%s/u", base);
	snprintf(work, sizeof(work), "%s/w", base);
	if (mkdir(base, 0700) != 0 || mkdir(up, st.st_mode & 07777) != 0 ||
	    mkdir(work, 0700) != 0)
		return sb_fail("mkdir in", SB_STAGE);
	/* An owner outside a user namespace's map stays ours: fine. */
	if (chmod(up, st.st_mode & 07777) != 0 ||
	    (chown(up, st.st_uid, st.st_gid) != 0 && errno != EINVAL &&
	    errno != EPERM))
		return sb_fail("cannot set the owner of", up);
	snprintf(opts, sizeof(opts), "lowerdir=%s,upperdir=%s,workdir=%s", dir,
	    up, work);
	if (mount("overlay", dir, "overlay", MS_NOSUID | MS_NODEV, opts) == 0)
		return 0;
	/* Unprivileged (a user namespace): overlayfs wants userxattr. */
	strncat(opts, ",userxattr", sizeof(opts) - strlen(opts) - 1);
	if (mount("overlay", dir, "overlay", MS_NOSUID | MS_NODEV, opts) == 0)
		return 0;
	snprintf(mode, sizeof(mode), "mode=%o,%s", st.st_mode & 07777,
	    SB_TMPFS_SIZE);
	if (mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV, mode) != 0)
		return sb_fail("cannot mount a private", dir);
	return 0;
}

/*
 * The new /dev: a tmpfs with the kept nodes (devfd[i] their detached
 * copies, -1 when the host has none), a devpts of its own (the host's
 * terminals out of reach; openpty works), shm and the usual links.
 */
static int
sb_dev(const int *devfd)
{
	char path[64];
	size_t i;
	int fd;

	if (mount("tmpfs", "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC,
		"mode=0755," SB_TMPFS_SIZE) != 0)
		return sb_fail("cannot mount a tmpfs on", "/dev");
	if (mkdir(SB_STAGE, 0700) != 0)
		return sb_fail("mkdir", SB_STAGE);
	for (i = 0; i < sizeof(sb_devnodes) / sizeof(sb_devnodes[0]); i++) {
		if (devfd[i] < 0)
			continue;
		snprintf(path, sizeof(path), "/dev/%s", sb_devnodes[i]);
		if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
			 0666)) < 0)
			return sb_fail("cannot create", path);
		close(fd);
		if (sb_attach(devfd[i], path) != 0)
			return sb_fail("cannot bind-mount", path);
	}
	if (mkdir("/dev/pts", 0755) != 0)
		return sb_fail("mkdir", "/dev/pts");
	/* gid 5 (tty) where it exists: not in every user namespace. */
	if (mount("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
		"newinstance,ptmxmode=0666,mode=0620,gid=5") != 0 &&
	    mount("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
		"newinstance,ptmxmode=0666,mode=0620") != 0)
		return sb_fail("cannot mount a devpts on", "/dev/pts");
	if (symlink("pts/ptmx", "/dev/ptmx") != 0)
		return sb_fail("cannot populate", "/dev");
	if (mkdir("/dev/shm", 01777) != 0 || chmod("/dev/shm", 01777) != 0 ||
	    symlink("/proc/self/fd", "/dev/fd") != 0 ||
	    symlink("/proc/self/fd/0", "/dev/stdin") != 0 ||
	    symlink("/proc/self/fd/1", "/dev/stdout") != 0 ||
	    symlink("/proc/self/fd/2", "/dev/stderr") != 0)
		return sb_fail("cannot populate", "/dev");
	return 0;
}

/*
 * Every directory above path that lies in a private copy (sb_private)
 * made searchable by all (o+x) there -- the copy's, not the host's:
 * danelab keeps its run directories 0700 on the host, out of other
 * users' reach, and Postfix's daemons, running as postfix, still find
 * their queue in the cell.  Best effort: a directory that cannot be
 * changed (on the read-only host) stays as it is.
 */
static void
sb_searchable(const char *path)
{
	char buf[PATH_MAX];
	struct stat st;
	size_t i, j, n = strlen(path), len;
	bool inside;

	if (n >= sizeof(buf))
		return;
	memcpy(buf, path, n + 1);
	for (i = 1; i < n; i++) {
		if (buf[i] != '/')
			continue;
		buf[i] = '\0';
		inside = false;
		for (j = 0; j < sizeof(sb_private) / sizeof(sb_private[0]);
		     j++) {
			len = strlen(sb_private[j]);
			inside |= strncmp(buf, sb_private[j], len) == 0 &&
			    buf[len] == '/';
		}
		if (inside && lstat(buf, &st) == 0 && S_ISDIR(st.st_mode) &&
		    (st.st_mode & 0011) != 0011)
			(void)chmod(buf, (st.st_mode & 07777) | 0011);
		buf[i] = '/';
	}
}

/*
 * No typing into the terminal's input (TIOCSTI; TIOCLINUX can do the
 * same on a virtual console): a command would otherwise leave commands
 * for the operator's shell to run after danelab exits (bubblewrap's
 * CVE-2017-5226).  A seccomp filter, made while CAP_SYS_ADMIN is still
 * ours (no no_new_privs needed: setuid programs keep working).  On an
 * architecture this does not know, nothing is filtered.
 */
static int
sb_seccomp(void)
{
#if defined(__x86_64__)
#define SB_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SB_ARCH AUDIT_ARCH_AARCH64
#endif
#ifdef SB_ARCH
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		    offsetof(struct seccomp_data, arch)),
		/* Another ABI (i386 on x86_64): refused altogether. */
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SB_ARCH, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		    offsetof(struct seccomp_data, nr)),
#if defined(__x86_64__)
		/* x32 system calls (bit 30) likewise. */
		BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
#endif
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_ioctl, 0, 4),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		    offsetof(struct seccomp_data, args[1])),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, TIOCSTI, 1, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, TIOCLINUX, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {
		.len = (unsigned short)(sizeof(f) / sizeof(f[0])),
		.filter = f,
	};

	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) != 0)
		return sb_fail("cannot install the seccomp filter", NULL);
#endif
	return 0;
}

/*
 * Signals: a command of its own session (run's clients) or, for a
 * shell, of its own process group in the foreground of the terminal,
 * so that kill(0, ...) reaches nothing of danelab's or of the caller's
 * pipeline.
 */
static void
sb_session(bool shell)
{
	sigset_t ttou, old;

	if (!shell) {
		(void)setsid();
		return;
	}
	(void)setpgid(0, 0);
	if (isatty(STDIN_FILENO) && tcgetpgrp(STDIN_FILENO) >= 0) {
		sigemptyset(&ttou);
		sigaddset(&ttou, SIGTTOU);
		sigprocmask(SIG_BLOCK, &ttou, &old);
		(void)tcsetpgrp(STDIN_FILENO, getpgrp());
		sigprocmask(SIG_SETMASK, &old, NULL);
	}
}

/* Every capability outside LAB_SANDBOX_CAPS gone, for good. */
static int
sb_caps(void)
{
	struct __user_cap_header_struct h;
	struct __user_cap_data_struct data[2];
	unsigned long long keep = LAB_SANDBOX_CAPS, have;
	int c;

	for (c = 0; c < 64; c++) {
		if (keep & CAPBIT(c))
			continue;
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) != 0) {
			if (errno == EINVAL)
				break; /* past the kernel's last */
			return sb_fail("cannot drop a capability", NULL);
		}
	}
	(void)prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	memset(&h, 0, sizeof(h));
	memset(data, 0, sizeof(data));
	h.version = _LINUX_CAPABILITY_VERSION_3;
	if (syscall(SYS_capget, &h, data) != 0)
		return sb_fail("capget", NULL);
	have = (unsigned long long)data[0].permitted |
	    (unsigned long long)data[1].permitted << 32;
	have &= keep;
	data[0].permitted = data[0].effective = (uint32_t)have;
	data[1].permitted = data[1].effective = (uint32_t)(have >> 32);
	data[0].inheritable = data[1].inheritable = 0;
	if (syscall(SYS_capset, &h, data) != 0)
		return sb_fail("capset", NULL);
	return 0;
}

static bool
sb_env_listed(const char *entry, const char *const *names, size_t n)
{
	size_t i, len = strcspn(entry, "=");

	for (i = 0; i < n; i++)
		if (strlen(names[i]) == len &&
		    strncmp(entry, names[i], len) == 0)
			return true;
	return false;
}

/*
 * The minimal environment (lab.h): the kept names, DANELAB_*, then
 * defaults for what is missing.  Returns an xmalloc'd array.
 */
static char **
sb_env(bool shell)
{
	size_t n = 0, k = 0, i;
	bool path = false, home = false, lang = false;
	char **env;

	while (environ[n] != NULL)
		n++;
	env = xcalloc(n + 5, sizeof(*env));
	for (i = 0; i < n; i++) {
		const char *e = environ[i];

		if (strncmp(e, "DANELAB_", 8) != 0 &&
		    !sb_env_listed(e, sb_env_keep,
			sizeof(sb_env_keep) / sizeof(sb_env_keep[0])) &&
		    !(shell && sb_env_listed(e, sb_env_shell,
				   sizeof(sb_env_shell) /
				       sizeof(sb_env_shell[0]))))
			continue;
		path |= strncmp(e, "PATH=", 5) == 0;
		home |= strncmp(e, "HOME=", 5) == 0;
		lang |= strncmp(e, "LANG=", 5) == 0;
		env[k++] = (char *)e;
	}
	if (!path)
		env[k++] = (char *)"PATH=" SB_DEFAULT_PATH;
	if (!home)
		env[k++] = (char *)"HOME=/tmp";
	if (!lang)
		env[k++] = (char *)"LANG=C.UTF-8";
	env[k++] = (char *)"TMPDIR=/tmp";
	env[k] = NULL;
	return env;
}

static int
sb_parse(int argc, char **argv, struct sb_args *a)
{
	int i;

	memset(a, 0, sizeof(*a));
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			a->argv = argv + i + 1;
			return argv[i + 1] != NULL ? 0 : -1;
		} else if (strcmp(argv[i], "--shell") == 0) {
			a->shell = true;
		} else if (strcmp(argv[i], "--host-writable") == 0) {
			a->host_writable = true;
		} else if (strcmp(argv[i], "--append") == 0 && i + 1 < argc) {
			a->append = argv[++i];
		} else if (strcmp(argv[i], "--rw") == 0 && i + 1 < argc &&
		    a->n_rw < LAB_SANDBOX_MAX) {
			a->rw[a->n_rw++] = argv[++i];
		} else if (strcmp(argv[i], "--ro") == 0 && i + 1 < argc &&
		    a->n_ro < LAB_SANDBOX_MAX) {
			a->ro[a->n_ro++] = argv[++i];
		} else if (strcmp(argv[i], "--bind") == 0 && i + 2 < argc &&
		    a->n_bind < LAB_SANDBOX_MAX) {
			a->bind_src[a->n_bind] = argv[++i];
			a->bind_dst[a->n_bind++] = argv[++i];
		} else {
			return -1;
		}
	}
	return -1;
}

/* Steps 1 to 7 of the top of this file. */
static int
sb_enter(const struct sb_args *a)
{
	struct mount_attr attr;
	char cwd[PATH_MAX], rw[LAB_SANDBOX_MAX][PATH_MAX],
	    ro[LAB_SANDBOX_MAX][PATH_MAX];
	int rwfd[LAB_SANDBOX_MAX], rofd[LAB_SANDBOX_MAX];
	int devfd[sizeof(sb_devnodes) / sizeof(sb_devnodes[0])], rc;
	char path[64];
	size_t i, len;

	if (getcwd(cwd, sizeof(cwd)) == NULL)
		strcpy(cwd, "/");
	/* Real paths now: a link in one may point elsewhere later. */
	for (i = 0; i < a->n_rw; i++)
		if (realpath(a->rw[i], rw[i]) == NULL)
			return sb_fail("no such directory", a->rw[i]);
	for (i = 0; i < a->n_ro; i++)
		if (realpath(a->ro[i], ro[i]) == NULL)
			return sb_fail("no such file or directory", a->ro[i]);
	if (unshare(CLONE_NEWNS) != 0)
		return sb_fail("cannot create a mount namespace", NULL);
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
		return sb_fail("cannot make the mounts private", NULL);
	for (i = 0; i < a->n_rw; i++)
		if ((rwfd[i] = sb_clone(rw[i], false)) < 0)
			return sb_fail("cannot copy the mount of", rw[i]);
	for (i = 0; i < a->n_ro; i++)
		if ((rofd[i] = sb_clone(ro[i], true)) < 0)
			return sb_fail("cannot copy the mount of", ro[i]);
	for (i = 0; i < sizeof(sb_devnodes) / sizeof(sb_devnodes[0]); i++) {
		snprintf(path, sizeof(path), "/dev/%s", sb_devnodes[i]);
		devfd[i] = sb_devclone(path);
	}

	/* nodev: a device node in some chroot on the host is no door. */
	memset(&attr, 0, sizeof(attr));
	attr.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NODEV;
	if (mount_setattr(AT_FDCWD, "/", AT_RECURSIVE, &attr, sizeof(attr)) !=
	    0)
		return sb_fail("cannot make the host read-only", NULL);
	if ((rc = sb_dev(devfd)) != 0)
		return rc;
	for (i = 0; i < sizeof(sb_private) / sizeof(sb_private[0]); i++)
		if ((rc = sb_private_dir(sb_private[i], i)) != 0)
			return rc;
	/*
	 * Put back, shorter paths first: the read-only lab directory before
	 * the writable client directory in it.  A file kept (shell
	 * --events) is there already: the host's, read-only.
	 */
	for (len = 1; len < PATH_MAX; len++) {
		for (i = 0; i < a->n_ro; i++)
			if (strlen(ro[i]) == len &&
			    ((access(ro[i], F_OK) != 0 &&
			    sb_mkdirs(ro[i]) != 0) ||
			    sb_attach(rofd[i], ro[i]) != 0))
				return sb_fail("cannot keep", ro[i]);
		for (i = 0; i < a->n_rw; i++)
			if (strlen(rw[i]) == len && (sb_mkdirs(rw[i]) != 0 ||
			    sb_attach(rwfd[i], rw[i]) != 0))
				return sb_fail("cannot keep writable", rw[i]);
	}
	/* Daemons that drop root (Postfix's) walk down to the cell. */
	for (i = 0; i < a->n_rw; i++)
		sb_searchable(rw[i]);
	/* The lab's files over the system's, again (/run may hold one). */
	for (i = 0; i < a->n_bind; i++)
		if (mount(a->bind_src[i], a->bind_dst[i], NULL, MS_BIND,
			NULL) != 0 &&
		    errno != ENOENT)
			return sb_fail("cannot bind-mount over", a->bind_dst[i]);
	if (chdir(cwd) != 0 && chdir("/") != 0)
		return sb_fail("chdir", "/");
	/* A session keyring of its own, not the caller's. */
	(void)syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL);
	if ((rc = sb_seccomp()) != 0)
		return rc;
	return sb_caps();
}

int
lab_sandbox_main(int argc, char **argv)
{
	struct sb_args a;
	char **env, fdpath[64];
	size_t i;
	int rc, afd;

	if (sb_parse(argc, argv, &a) != 0) {
		fprintf(stderr, "danelab __sandbox: usage: [--shell] "
		    "[--host-writable] [--rw DIR]... [--ro DIR]... "
		    "[--bind FILE OVER]... -- COMMAND [ARGS...]\n");
		return LAB_SANDBOX_EXIT;
	}
	/*
	 * --append FILE: opened now, while it is writable, and handed to
	 * the command as /proc/self/fd/N wherever FILE is in its argv (the
	 * runner's --events): the runner appends to the cell's event log,
	 * which the command itself cannot write (it is in the read-only
	 * part of the cell); the runner closes N for its children.
	 */
	if (a.append != NULL) {
		afd = open(a.append, O_RDWR | O_APPEND | O_NOFOLLOW);
		if (afd < 0)
			return sb_fail("cannot open", a.append);
		snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", afd);
		for (i = 0; a.argv[i] != NULL; i++)
			if (strcmp(a.argv[i], a.append) == 0)
				a.argv[i] = fdpath;
	}
	if (!a.host_writable && (rc = sb_enter(&a)) != 0)
		return rc;
	sb_session(a.shell);
	env = sb_env(a.shell);
	execvpe(a.argv[0], a.argv, env);
	rc = errno;
	fprintf(stderr, "danelab: cannot run %s: %s\n", a.argv[0], strerror(rc));
	free(env);
	return rc == ENOENT ? 127 : 126;
}

char **
lab_sandbox_argv(const char *self, const struct lab_sandbox *sb,
    const struct lab_files *f, char *const *argv)
{
	size_t n = 0, k = 0, i;
	char **v;

	while (argv[n] != NULL)
		n++;
	v = xcalloc(n + 3 * LAB_SANDBOX_MAX + 16, sizeof(*v));
	v[k++] = (char *)self;
	v[k++] = (char *)"__sandbox";
	if (sb->shell)
		v[k++] = (char *)"--shell";
	if (sb->host_writable)
		v[k++] = (char *)"--host-writable";
	for (i = 0; i < sb->n_ro && i < 2; i++) {
		v[k++] = (char *)"--ro";
		v[k++] = (char *)sb->ro[i];
	}
	for (i = 0; i < sb->n_rw && i < LAB_SANDBOX_MAX - 1; i++) {
		v[k++] = (char *)"--rw";
		v[k++] = (char *)sb->rw[i];
	}
	/*
	 * The lab's directory is read-only (what danelab reads back after
	 * the run -- the event log, cell.json -- cannot be replaced or made
	 * a link); the client's part of it, sb->cell, writable.
	 */
	v[k++] = (char *)"--ro";
	v[k++] = (char *)f->dir;
	if (sb->cell != NULL) {
		v[k++] = (char *)"--rw";
		v[k++] = (char *)sb->cell;
	}
	if (sb->append != NULL) {
		v[k++] = (char *)"--append";
		v[k++] = (char *)sb->append;
	}
	v[k++] = (char *)"--bind";
	v[k++] = (char *)f->resolv_conf;
	v[k++] = (char *)LAB_RESOLV_CONF;
	v[k++] = (char *)"--bind";
	v[k++] = (char *)f->root_key;
	v[k++] = (char *)LAB_ROOT_KEY;
	v[k++] = (char *)"--bind";
	v[k++] = (char *)f->root_ds;
	v[k++] = (char *)LAB_ROOT_DS;
	v[k++] = (char *)"--";
	for (i = 0; i < n; i++)
		v[k++] = argv[i];
	v[k] = NULL;
	return v;
}
