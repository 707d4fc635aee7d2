/*
 * lab_files.c -- the lab's temporary directory: the world exported as
 * standard files, the resolv.conf that points at the lab resolver, and a
 * main.cf for Postfix's client programs; and every danelab temporary
 * directory's owner lock, by which leftovers of a killed danelab are
 * found and removed at the next start.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "harness/lab/lab.h"
#include "simulator/util/xmem.h"
#include "simulator/export/export.h"
#include "simulator/util/fmt.h"
#include "simulator/util/ytree.h"

int
lab_resolv_conf_format(char *buf, size_t len, const char *resolver_addr)
{
	/* glibc (2.36) strips AD from answers without trust-ad. */
	return fmt_buf(buf, len,
	    "# danelab: the lab's validating resolver\n"
	    "nameserver %s\n"
	    "options edns0 trust-ad\n",
	    resolver_addr);
}

static int
lab_write(const char *path, const char *text, struct dl_diags *d)
{
	size_t len = strlen(text);
	ssize_t n;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return dl_error(
		    d, path, 0, 0, "cannot create: %s", strerror(errno));
	n = write(fd, text, len);
	if (n < 0 || (size_t)n != len || close(fd) != 0) {
		if (n >= 0)
			errno = EIO;
		return dl_error(
		    d, path, 0, 0, "cannot write: %s", strerror(errno));
	}
	return 0;
}

int
lab_mail_config_write(const char *dir, struct dl_diags *d)
{
	struct timespec ts[2];
	char path[PATH_MAX];

	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		dl_error(d, dir, 0, 0, "cannot create: %s", strerror(errno));
		return DL_EIO;
	}
	if (fmt_buf(path, sizeof(path), "%s/main.cf", dir) != 0) {
		dl_error(d, dir, 0, 0, "path too long");
		return DL_EIO;
	}
	/*
	 * posttls-finger reads main.cf for its defaults; -l and -P on its
	 * command line override the TLS ones.  No daemon settings.
	 */
	if (lab_write(path,
		"# danelab: for Postfix's client programs (posttls-finger)\n"
		"compatibility_level = 3.6\n"
		"smtp_dns_support_level = dnssec\n"
		"smtp_host_lookup = dns\n"
		"smtp_tls_security_level = dane\n"
		"smtp_tls_CApath = /etc/ssl/certs\n"
		"smtp_tls_loglevel = 1\n",
		d) != 0)
		return DL_EIO;
	/*
	 * Postfix waits (300 ms at a time) while main.cf is younger than
	 * about 2 s, taking it for a file being edited: date it back.
	 */
	ts[0].tv_sec = ts[1].tv_sec = time(NULL) - 3600;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	if (utimensat(AT_FDCWD, path, ts, 0) != 0)
		dl_warn(d, path, 0, 0, "cannot date back: %s", strerror(errno));
	return 0;
}

/* rm -r without following symbolic links, relative to dirfd. */
static void lab_rmtree_at(int dirfd, const char *name);

void
lab_rmtree(const char *path)
{
	lab_rmtree_at(AT_FDCWD, path);
}

static void
lab_rmtree_at(int dirfd, const char *name)
{
	struct dirent *e;
	DIR *dir;
	int fd;

	fd = openat(
	    dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		unlinkat(dirfd, name, 0);
		return;
	}
	if ((dir = fdopendir(fd)) == NULL) {
		close(fd);
		return;
	}
	while ((e = readdir(dir)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (e->d_type == DT_DIR || e->d_type == DT_UNKNOWN)
			lab_rmtree_at(fd, e->d_name);
		else
			unlinkat(fd, e->d_name, 0);
	}
	closedir(dir);
	unlinkat(dirfd, name, AT_REMOVEDIR);
}

/* ---- temporary directories that outlive a killed danelab ------------- */

/*
 * Every temporary directory danelab makes for a run holds LAB_TMP_LOCK, a
 * file this process keeps open with an exclusive flock() for as long as
 * the directory is in use.  The kernel drops the lock when the process
 * dies, however it dies (SIGKILL included), so a later danelab can tell a
 * leftover from a directory in use without trusting PIDs (reused) or
 * clocks: it removes a $TMPDIR/danelab-* directory only when it is a real
 * directory (not a symlink) owned by its own user, its lock file is a
 * regular file of that user, and the lock can be taken.  A directory
 * without a lock file (an older danelab's, or one being made this very
 * moment) is left alone.  The lock file is created under another name
 * and renamed into place once locked, so that it is never seen unlocked.
 */
#define LAB_TMP_LOCK ".danelab-owner"
#define LAB_TMP_MAX 64 /* directories one process holds at once */

static struct {
	char dir[PATH_MAX];
	int fd;
} lab_tmp_held[LAB_TMP_MAX];

static const char *
lab_tmp_root(void)
{
	const char *tmp = getenv("TMPDIR");

	return tmp == NULL || *tmp == '\0' ? "/tmp" : tmp;
}

/* Remove tmp/name if it is a dead danelab's directory; true if removed. */
static bool
lab_tmp_reap(int tmpfd, const char *name)
{
	struct stat st;
	bool dead = false;
	int dfd, lfd;

	if (fstatat(tmpfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
	    !S_ISDIR(st.st_mode) || st.st_uid != geteuid())
		return false;
	dfd = openat(
	    tmpfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return false;
	lfd = openat(
	    dfd, LAB_TMP_LOCK, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	close(dfd);
	if (lfd < 0)
		return false;
	if (fstat(lfd, &st) == 0 && S_ISREG(st.st_mode) &&
	    st.st_uid == geteuid() && flock(lfd, LOCK_EX | LOCK_NB) == 0)
		dead = true;
	/* Removed while the lock is ours: no other sweeper races us. */
	if (dead)
		lab_rmtree_at(tmpfd, name);
	close(lfd);
	return dead;
}

int
lab_tmp_sweep(void)
{
	struct dirent *e;
	DIR *d;
	int fd, n = 0;

	fd = open(lab_tmp_root(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return 0;
	}
	while ((e = readdir(d)) != NULL)
		if (strncmp(e->d_name, "danelab-", 8) == 0 &&
		    lab_tmp_reap(dirfd(d), e->d_name))
			n++;
	closedir(d);
	return n;
}

/*
 * The lab's paths land in files that clients read: {dir} and the anchor
 * paths of a profile go into Postfix's main.cf and Exim's configuration
 * (the shipped postfix-mta and exim profiles), where '$' expands, a space
 * or ',' separates, '#' comments, quotes and backslashes mean something
 * else again, and a newline ends the setting.  No quoting serves them
 * all, so the temporary root is validated instead: letters, digits and
 * "/_.+-" only, else refused, naming the byte.  TMPDIR is the only
 * outside part of these paths.
 */
static int
lab_tmp_check(struct dl_diags *d)
{
	const char *root = lab_tmp_root();
	char c[16], q[YTREE_QUOTE_MAX];
	long at;

	if ((at = fmt_find_not_plain(root, "/_.+-")) < 0)
		return 0;
	return dl_error(d, NULL, 0, 0,
	    "cannot use the temporary directory "
	    "'%s' ($TMPDIR): it holds %s at byte %ld, and the lab's paths "
	    "land in client configurations (Postfix main.cf, Exim) that "
	    "cannot all carry it; use one of letters, digits and /_.+- only",
	    ytree_quote(root, q, sizeof(q)),
	    fmt_char_name((unsigned char)root[at], c, sizeof(c)), at + 1);
}

int
lab_tmp_create(const char *kind, char *out, size_t len, struct dl_diags *d)
{
	static bool swept;
	char tmp[PATH_MAX], name[PATH_MAX], lock[PATH_MAX];
	size_t i;
	int fd = -1, rc;

	if ((rc = lab_tmp_check(d)) != 0)
		return rc;
	if (!swept) {
		swept = true;
		(void)lab_tmp_sweep();
	}
	for (i = 0; i < LAB_TMP_MAX && lab_tmp_held[i].dir[0] != '\0'; i++)
		;
	if (fmt_buf(tmp, sizeof(tmp), "%s/danelab-%sXXXXXX", lab_tmp_root(),
		kind) != 0 ||
	    strlen(tmp) >= len || mkdtemp(tmp) == NULL)
		return dl_error(d, lab_tmp_root(), 0, 0,
		    "cannot create a "
		    "temporary directory: %s",
		    strerror(errno));
	if (fmt_buf(name, sizeof(name), "%s/%s.new", tmp, LAB_TMP_LOCK) != 0 ||
	    fmt_buf(lock, sizeof(lock), "%s/%s", tmp, LAB_TMP_LOCK) != 0 ||
	    (fd = open(name,
		 O_RDONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)) <
		0 ||
	    flock(fd, LOCK_EX) != 0 || rename(name, lock) != 0) {
		rc = dl_error(d, tmp, 0, 0, "cannot lock: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		lab_rmtree(tmp);
		return rc;
	}
	if (i < LAB_TMP_MAX) {
		memcpy(lab_tmp_held[i].dir, tmp, strlen(tmp) + 1);
		lab_tmp_held[i].fd = fd;
	}
	/* else: the lock stays until exit; the directory is still ours. */
	memcpy(out, tmp, strlen(tmp) + 1);
	return 0;
}

/* Drop the lock held on dir (closing its descriptor releases it). */
static void
lab_tmp_forget(const char *dir)
{
	size_t i;

	for (i = 0; i < LAB_TMP_MAX; i++) {
		if (strcmp(lab_tmp_held[i].dir, dir) == 0) {
			close(lab_tmp_held[i].fd);
			lab_tmp_held[i].dir[0] = '\0';
			break;
		}
	}
}

void
lab_tmp_release(const char *dir, const char *moved_to)
{
	char lock[PATH_MAX];

	if (fmt_buf(lock, sizeof(lock), "%s/%s", moved_to, LAB_TMP_LOCK) == 0)
		unlink(lock);
	lab_tmp_forget(dir);
}

void
lab_tmp_remove(const char *dir)
{
	if (dir == NULL || dir[0] == '\0')
		return;
	lab_rmtree(dir);
	lab_tmp_forget(dir);
}

void
lab_files_remove(struct lab_files *f)
{
	if (f->dir[0] == '\0')
		return;
	lab_tmp_remove(f->dir);
	f->dir[0] = '\0';
}

int
lab_files_create(const struct world *w, const char *fixtures_dir,
    struct lab_files *f, struct dl_diags *d)
{
	char conf[256];
	struct dl_diags ed;
	size_t i;
	int rc;

	memset(f, 0, sizeof(*f));
	if ((rc = lab_tmp_create("", f->dir, sizeof(f->dir), d)) != 0) {
		f->dir[0] = '\0';
		return rc;
	}
	/* Readable by the unprivileged users of daemons run in the lab. */
	chmod(f->dir, 0755);
	if (fmt_buf(f->world, sizeof(f->world), "%s/world", f->dir) != 0 ||
	    fmt_buf(f->resolv_conf, sizeof(f->resolv_conf), "%s/resolv.conf",
		f->dir) != 0 ||
	    fmt_buf(f->root_key, sizeof(f->root_key), "%s/anchor/root.key",
		f->world) != 0 ||
	    fmt_buf(f->root_ds, sizeof(f->root_ds), "%s/anchor/root.ds",
		f->world) != 0 ||
	    fmt_buf(f->anchor_conf, sizeof(f->anchor_conf),
		"%s/anchor/trust-anchors.conf", f->world) != 0 ||
	    fmt_buf(f->root_hints, sizeof(f->root_hints),
		"%s/unbound/root.hints", f->world) != 0 ||
	    fmt_buf(f->mail_config, sizeof(f->mail_config), "%s/postfix",
		f->dir) != 0) {
		rc = dl_error(d, f->dir, 0, 0, "path too long");
		goto fail;
	}

	/* Only the export's errors: its warnings are about NSD. */
	dl_diags_init(&ed);
	rc = export_world(w, fixtures_dir, f->world, &ed);
	for (i = 0; i < ed.n; i++)
		if (ed.v[i].level == DL_DIAG_ERROR)
			dl_error(d, ed.v[i].file, ed.v[i].line, ed.v[i].col,
			    "%s", ed.v[i].msg);
	dl_diags_clear(&ed);
	if (rc != 0)
		goto fail;
	if ((rc = lab_resolv_conf_format(
		 conf, sizeof(conf), WORLD_RESOLVER_ADDR)) != 0 ||
	    (rc = lab_write(f->resolv_conf, conf, d)) != 0 ||
	    (rc = lab_mail_config_write(f->mail_config, d)) != 0)
		goto fail;
	return 0;
fail:
	lab_files_remove(f);
	return rc;
}

char **
lab_env_new(const struct lab_files *f, const char *scenario_id,
    char *const *extra)
{
	size_t n_extra = 0, k = 0, i;
	char **env;

	while (extra != NULL && extra[n_extra] != NULL)
		n_extra++;
	env = xcalloc(8 + n_extra + 1, sizeof(*env));
	env[k++] = xasprintf("DANELAB_SCENARIO=%s", scenario_id);
	env[k++] = xasprintf("DANELAB_RESOLVER=%s", WORLD_RESOLVER_ADDR);
	env[k++] = xasprintf("DANELAB_ANCHOR=%s", f->anchor_conf);
	env[k++] = xasprintf("DANELAB_ROOT_KEY=%s", f->root_key);
	env[k++] = xasprintf("DANELAB_ROOT_DS=%s", f->root_ds);
	env[k++] = xasprintf("DANELAB_WORLD=%s", f->world);
	env[k++] = xasprintf("MAIL_CONFIG=%s", f->mail_config);
	env[k++] = xasprintf("DANELAB_MAIL_CONFIG=%s", f->mail_config);
	for (i = 0; i < n_extra; i++)
		env[k++] = xstrdup(extra[i]);
	env[k] = NULL;
	return env;
}

void
lab_env_free(char **env)
{
	size_t i;

	for (i = 0; env != NULL && env[i] != NULL; i++)
		free(env[i]);
	free(env);
}
