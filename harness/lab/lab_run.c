/*
 * lab_run.c -- running a lab: the namespaces, the supervisor (pid 1 of
 * the lab), the command, signals and exit status (design in lab.h).
 *
 * danelab (P0) and the supervisor (P1) talk over two pipes:
 *   status  P1 -> P0, lines "<kind> <file>\t<line>\t<col>\t<message>":
 *           W/E a warning or error (P0 adds it to its diagnostics),
 *           U   the lab is up (P0 calls spec->ready, then answers G),
 *           F   set-up failed (message: the DL_E* code); P1 exits;
 *   control P0 -> P1: "G" to start the command; end of file when P0 is
 *           gone (then P1 ends the lab).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness/lab/lab.h"
#include "simulator/util/xmem.h"

#define LAB_LINE_MAX 2048
#define LAB_EXIT_SETUP 125 /* the supervisor's status when set-up failed */

extern char **environ;

/* The signals danelab and the supervisor take through a signalfd. */
static void
lab_sigset(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGQUIT);
	sigaddset(set, SIGCHLD);
}

static int64_t
lab_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Exit status of a waited-for process, shell style. */
static int
lab_exit_code(int ws)
{
	if (WIFEXITED(ws))
		return WEXITSTATUS(ws);
	if (WIFSIGNALED(ws))
		return 128 + WTERMSIG(ws);
	return 1;
}

static void
lab_write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		buf += n;
		len -= (size_t)n;
	}
}

/* ------------------------------------------------- status pipe, P1 side */

static void
lab_send(int fd, char kind, const char *file, unsigned line, unsigned col,
    const char *msg)
{
	char buf[LAB_LINE_MAX];
	size_t i, n;

	snprintf(buf, sizeof(buf) - 1, "%c %s\t%u\t%u\t%s", kind,
	    file != NULL ? file : "", line, col, msg != NULL ? msg : "");
	n = strlen(buf);
	for (i = 2; i < n; i++)
		if (buf[i] == '\n')
			buf[i] = ' ';
	buf[n++] = '\n';
	lab_write_all(fd, buf, n);
}

static void
lab_send_diags(int fd, struct dl_diags *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		lab_send(fd, d->v[i].level == DL_DIAG_ERROR ? 'E' : 'W',
		    d->v[i].file, d->v[i].line, d->v[i].col, d->v[i].msg);
	dl_diags_clear(d);
	dl_diags_init(d);
}

static void
lab_send_fail(int fd, int rc)
{
	char code[16];

	snprintf(code, sizeof(code), "%d", rc);
	lab_send(fd, 'F', NULL, 0, 0, code);
}

/* -------------------------------------------------------- the command */

/*
 * environ with spec->env added (an entry there replaces one of environ,
 * and a later one of spec->env an earlier one).
 */
static char **
lab_env(char *const *extra)
{
	size_t n = 0, m = 0, i, j, k = 0, len;
	bool replaced;
	char **env;

	while (environ[n] != NULL)
		n++;
	while (extra != NULL && extra[m] != NULL)
		m++;
	env = xcalloc(n + m + 1, sizeof(*env));
	for (i = 0; i < n; i++) {
		replaced = false;
		for (j = 0; j < m && !replaced; j++) {
			len = strcspn(extra[j], "=");
			replaced = strncmp(environ[i], extra[j], len) == 0 &&
			    environ[i][len] == '=';
		}
		if (!replaced)
			env[k++] = environ[i];
	}
	/* Of two extra entries with one name, the later wins. */
	for (j = 0; j < m; j++) {
		len = strcspn(extra[j], "=");
		replaced = false;
		for (i = j + 1; i < m && !replaced; i++)
			replaced = strncmp(extra[i], extra[j], len + 1) == 0;
		if (!replaced)
			env[k++] = extra[j];
	}
	return env;
}

/*
 * Start the command.  Returns its pid, or -1 with an error sent on the
 * status pipe and *code set (127 not found, 126 not executable).
 */
static pid_t
lab_spawn(const struct lab_spec *spec, int st, int *code)
{
	sigset_t none;
	char **env = lab_env(spec->env), **argv = (char **)spec->argv;
	char msg[512], self[PATH_MAX];
	int ep[2], e = 0, ws;
	ssize_t n;
	pid_t pid;

	if (spec->sandbox != NULL) {
		n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		if (n <= 0) {
			snprintf(msg, sizeof(msg), "cannot find danelab for "
			    "the sandbox: %s", strerror(errno));
			lab_send(st, 'E', NULL, 0, 0, msg);
			free(env);
			*code = 126;
			return -1;
		}
		self[n] = '\0';
		argv = lab_sandbox_argv(self, spec->sandbox, spec->files,
		    spec->argv);
	}

	if (pipe2(ep, O_CLOEXEC) != 0 || (pid = fork()) < 0) {
		snprintf(msg, sizeof(msg), "cannot start %s: %s", spec->argv[0],
		    strerror(errno));
		lab_send(st, 'E', NULL, 0, 0, msg);
		free(env);
		if (argv != spec->argv)
			free(argv);
		*code = 126;
		return -1;
	}
	if (pid == 0) {
		/* Only async-signal-safe calls: the supervisor has threads. */
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		/* No server socket or pipe of ours leaks into the command. */
		close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
		execvpe(argv[0], argv, env);
		e = errno;
		n = write(ep[1], &e, sizeof(e));
		(void)n;
		_exit(e == ENOENT ? 127 : 126);
	}
	close(ep[1]);
	do
		n = read(ep[0], &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	close(ep[0]);
	free(env);
	if (argv != spec->argv)
		free(argv);
	if (n != (ssize_t)sizeof(e))
		return pid;
	while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
		;
	snprintf(
	    msg, sizeof(msg), "cannot run %s: %s", spec->argv[0], strerror(e));
	lab_send(st, 'E', NULL, 0, 0, msg);
	*code = e == ENOENT ? 127 : 126;
	return -1;
}

/*
 * The supervisor's main loop: wait for the command (or, with none, for a
 * signal to stop), forward SIGTERM/SIGHUP, reap orphans.  Returns the
 * lab's exit status.
 */
static int
lab_wait(int sfd, int ctl, pid_t child)
{
	struct signalfd_siginfo si;
	struct pollfd pf[2];
	int64_t kill_at = -1, now;
	int ws, timeout;
	pid_t p;

	pf[0].fd = sfd;
	pf[0].events = POLLIN;
	pf[1].fd = ctl;
	pf[1].events = POLLIN;
	for (;;) {
		timeout = -1;
		if (kill_at >= 0) {
			now = lab_now_ms();
			timeout = kill_at > now ? (int)(kill_at - now) : 0;
		}
		if (poll(pf, 2, timeout) < 0 && errno != EINTR)
			return 1;
		if (kill_at >= 0 && lab_now_ms() >= kill_at) {
			kill(child, SIGKILL);
			kill_at = -1;
		}
		if (pf[1].revents != 0) {
			/* danelab is gone: end the lab now. */
			if (child > 0)
				kill(child, SIGKILL);
			return 128 + SIGKILL;
		}
		if ((pf[0].revents & POLLIN) == 0)
			continue;
		while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
			switch (si.ssi_signo) {
			case SIGCHLD:
				while ((p = waitpid(-1, &ws, WNOHANG)) > 0)
					if (p == child)
						return lab_exit_code(ws);
				break;
			case SIGTERM:
			case SIGHUP:
				if (child <= 0)
					return 0;
				kill(child, (int)si.ssi_signo);
				if (kill_at < 0)
					kill_at =
					    lab_now_ms() + LAB_KILL_GRACE_MS;
				break;
			default: /* SIGINT, SIGQUIT */
				if (child <= 0)
					return 0;
				/*
				 * The command has a process group of its own
				 * (the sandbox's): a Ctrl-C at the terminal
				 * reached it directly, as the foreground
				 * group, and not us.  Ours came from a kill of
				 * danelab's process group: pass it on.
				 */
				if (kill(-child, (int)si.ssi_signo) != 0)
					kill(child, (int)si.ssi_signo);
				break;
			}
		}
	}
}

/* P1: pid 1 of the lab.  Never returns. */
static void __attribute__((noreturn))
lab_supervise(const struct lab_spec *spec, int st, int ctl)
{
	struct lab_servers *servers = NULL;
	struct pollfd pf;
	struct dl_diags d;
	sigset_t set;
	pid_t child = -1;
	int sfd, rc, code = 0;
	char go;
	ssize_t n;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	/* danelab may have died before the line above: then ctl is at EOF. */
	pf.fd = ctl;
	pf.events = POLLIN;
	if (poll(&pf, 1, 0) == 1)
		_exit(LAB_EXIT_SETUP);
	lab_sigset(&set);
	dl_diags_init(&d);
	if ((sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) < 0) {
		dl_error(&d, NULL, 0, 0, "signalfd: %s", strerror(errno));
		rc = DL_EIO;
	} else {
		rc = lab_ns_enter(spec->files, &d);
	}
	if (rc == 0 && spec->world != NULL)
		rc =
		    lab_servers_start(spec->world, spec->servers, &servers, &d);
	if (rc == 0 && spec->start != NULL)
		rc = spec->start(spec->arg, &d);
	lab_send_diags(st, &d);
	if (rc != 0) {
		lab_servers_stop(servers);
		lab_send_fail(st, rc);
		exit(LAB_EXIT_SETUP);
	}
	/*
	 * The command keeps to the player's clock: the timeline counts from
	 * when the servers came up, not from when the caller began to set
	 * the lab up (which takes a second or more on a loaded machine).
	 */
	if (lab_servers_t0(servers) != 0) {
		char t0[32];

		snprintf(t0, sizeof(t0), "%llu",
		    (unsigned long long)lab_servers_t0(servers));
		(void)setenv(LAB_TIMELINE_T0_ENV, t0, 1);
	}
	lab_send(st, 'U', NULL, 0, 0, NULL);
	do
		n = read(ctl, &go, 1);
	while (n < 0 && errno == EINTR);
	if (n == 1 && spec->argv != NULL &&
	    (child = lab_spawn(spec, st, &code)) < 0)
		lab_send_fail(st, DL_ENOENT);
	else if (n == 1)
		code = lab_wait(sfd, ctl, child);
	if (spec->stop != NULL)
		spec->stop(spec->arg);
	lab_servers_stop(servers);
	dl_diags_clear(&d);
	exit(code);
}

/* ------------------------------------------------------------ P0 side */

static int
lab_write_file(const char *path, const char *text)
{
	int fd, rc = 0;

	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) < 0)
		return -1;
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		rc = -1;
	close(fd);
	return rc;
}

/* In a new user namespace: uid and gid 0 are the caller's. */
static int
lab_map_user(uid_t uid, gid_t gid, struct dl_diags *d)
{
	char map[64];

	if (lab_write_file("/proc/self/setgroups", "deny") != 0 &&
	    errno != ENOENT)
		return dl_error(
		    d, "/proc/self/setgroups", 0, 0, "%s", strerror(errno));
	snprintf(map, sizeof(map), "0 %u 1\n", (unsigned)uid);
	if (lab_write_file("/proc/self/uid_map", map) != 0)
		return dl_error(
		    d, "/proc/self/uid_map", 0, 0, "%s", strerror(errno));
	snprintf(map, sizeof(map), "0 %u 1\n", (unsigned)gid);
	if (lab_write_file("/proc/self/gid_map", map) != 0)
		return dl_error(
		    d, "/proc/self/gid_map", 0, 0, "%s", strerror(errno));
	return 0;
}

/* What danelab knows of the lab while it runs. */
struct lab_parent {
	const struct lab_spec *spec;
	pid_t pid;
	int st, ctl;
	char buf[LAB_LINE_MAX * 2];
	size_t len;
	bool up;  /* U seen, G sent */
	bool eof; /* status pipe closed */
	int fail; /* the F code, 0 if none */
	int sig;  /* the last signal passed on, 0 if none */
	struct dl_diags *d;
};

static void
lab_parent_line(struct lab_parent *lp, char *line)
{
	char *file, *ls, *cs, *msg;
	enum dl_diag_level level;

	if (line[0] == 'U') {
		lp->up = true;
		if (lp->spec->ready != NULL)
			lp->spec->ready(lp->spec->arg, lp->pid, lp->d);
		lab_write_all(lp->ctl, "G", 1);
		return;
	}
	if (strlen(line) < 2)
		return;
	file = line + 2;
	if ((ls = strchr(file, '\t')) == NULL ||
	    (cs = strchr(ls + 1, '\t')) == NULL ||
	    (msg = strchr(cs + 1, '\t')) == NULL)
		return;
	*ls++ = *cs++ = *msg++ = '\0';
	if (line[0] == 'F') {
		lp->fail = atoi(msg);
		if (lp->fail >= 0)
			lp->fail = DL_EIO;
		return;
	}
	level = line[0] == 'E' ? DL_DIAG_ERROR : DL_DIAG_WARNING;
	dl_diag_add(lp->d, level, *file != '\0' ? file : NULL,
	    (unsigned)atoi(ls), (unsigned)atoi(cs), "%s", msg);
}

static void
lab_parent_read(struct lab_parent *lp)
{
	char *nl;
	ssize_t n;

	n = read(lp->st, lp->buf + lp->len, sizeof(lp->buf) - 1 - lp->len);
	if (n < 0 && errno == EINTR)
		return;
	if (n <= 0) {
		lp->eof = true;
		return;
	}
	lp->len += (size_t)n;
	lp->buf[lp->len] = '\0';
	while ((nl = strchr(lp->buf, '\n')) != NULL) {
		*nl = '\0';
		lab_parent_line(lp, lp->buf);
		lp->len -= (size_t)(nl + 1 - lp->buf);
		memmove(lp->buf, nl + 1, lp->len + 1);
	}
	if (lp->len == sizeof(lp->buf) - 1)
		lp->len = 0; /* an endless line: drop it */
}

/*
 * Wait for the supervisor, passing signals on.  Returns its exit code
 * (128 + signal if killed).
 */
static int
lab_parent_wait(struct lab_parent *lp, int sfd)
{
	struct signalfd_siginfo si;
	struct pollfd pf[2];
	int ws, code = -1;

	pf[0].fd = sfd;
	pf[0].events = POLLIN;
	pf[1].fd = lp->st;
	pf[1].events = POLLIN;
	while (code < 0) {
		pf[1].fd = lp->eof ? -1 : lp->st;
		if (poll(pf, 2, -1) < 0 && errno != EINTR)
			break;
		if (pf[1].revents != 0)
			lab_parent_read(lp);
		if ((pf[0].revents & POLLIN) == 0)
			continue;
		while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
			switch (si.ssi_signo) {
			case SIGCHLD:
				if (waitpid(lp->pid, &ws, WNOHANG) == lp->pid)
					code = lab_exit_code(ws);
				break;
			case SIGINT:
			case SIGQUIT:
				/* The command has it too (our process group);
				 * with no command, it means stop. */
				if (!lp->up)
					kill(lp->pid, SIGKILL);
				else if (lp->spec->argv == NULL)
					kill(lp->pid, SIGTERM);
				lp->sig = (int)si.ssi_signo;
				break;
			default: /* SIGTERM, SIGHUP */
				kill(lp->pid, lp->up ? SIGTERM : SIGKILL);
				lp->sig = (int)si.ssi_signo;
				break;
			}
		}
	}
	/* What the supervisor said last (an exec failure). */
	while (!lp->eof)
		lab_parent_read(lp);
	/* Killed during set-up on our signal: report that signal. */
	if (!lp->up && lp->sig != 0 && code == 128 + SIGKILL)
		code = 128 + lp->sig;
	return code < 0 ? 1 : code;
}

int
lab_run(const struct lab_spec *spec, int *status, struct dl_diags *d)
{
	struct lab_parent lp;
	sigset_t set, old, ttou;
	int st[2] = {-1, -1}, ctl[2] = {-1, -1};
	int sfd = -1, pidns = -1, flags, rc = 0;
	uid_t uid = getuid();
	gid_t gid = getgid();
	pid_t pid, fg = -1;

	*status = 1;
	lab_sigset(&set);
	sigprocmask(SIG_BLOCK, &set, &old);
	if ((sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) < 0 ||
	    pipe2(st, O_CLOEXEC) != 0 || pipe2(ctl, O_CLOEXEC) != 0) {
		rc = dl_error(d, NULL, 0, 0, "cannot set up the lab: %s",
		    strerror(errno));
		goto out;
	}
	if (isatty(STDIN_FILENO) && tcgetpgrp(STDIN_FILENO) == getpgrp())
		fg = getpgrp();
	pidns = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
	/* A user namespace only when not root (Postfix and setgid). */
	flags = CLONE_NEWPID | (geteuid() != 0 ? CLONE_NEWUSER : 0);
	if (unshare(flags) != 0) {
		rc = dl_error(d, NULL, 0, 0,
		    "cannot create %s namespace: %s "
		    "(without namespaces, 'danelab serve' runs a world on "
		    "the host's loopback)",
		    (flags & CLONE_NEWUSER) ? "a user and a pid" : "a pid",
		    strerror(errno));
		goto out;
	}
	if ((flags & CLONE_NEWUSER) && (rc = lab_map_user(uid, gid, d)) != 0)
		goto out;
	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) < 0) {
		rc = dl_error(d, NULL, 0, 0, "fork: %s", strerror(errno));
		goto out;
	}
	if (pid == 0) {
		close(st[0]);
		close(ctl[1]);
		close(sfd);
		if (pidns >= 0)
			close(pidns);
		lab_supervise(spec, st[1], ctl[0]);
	}
	/* Children of ours from now on: back in our own pid namespace. */
	if (pidns >= 0)
		(void)setns(pidns, CLONE_NEWPID);
	close(st[1]);
	close(ctl[0]);
	st[1] = ctl[0] = -1;

	memset(&lp, 0, sizeof(lp));
	lp.spec = spec;
	lp.st = st[0];
	lp.ctl = ctl[1];
	lp.d = d;
	lp.pid = pid;
	*status = lab_parent_wait(&lp, sfd);
	if (lp.fail != 0)
		rc = lp.fail;
	else if (!lp.up && lp.sig == 0) {
		if (d->errors == 0)
			dl_error(d, NULL, 0, 0,
			    "the lab's supervisor ended "
			    "during set-up (status %d)",
			    *status);
		rc = DL_EIO;
	}
	/* A shell killed while it had the terminal leaves it elsewhere. */
	if (fg >= 0 && tcgetpgrp(STDIN_FILENO) != fg) {
		sigemptyset(&ttou);
		sigaddset(&ttou, SIGTTOU);
		sigprocmask(SIG_BLOCK, &ttou, NULL);
		tcsetpgrp(STDIN_FILENO, fg);
	}
out:
	if (sfd >= 0)
		close(sfd);
	if (pidns >= 0)
		close(pidns);
	if (st[0] >= 0)
		close(st[0]);
	if (st[1] >= 0)
		close(st[1]);
	if (ctl[0] >= 0)
		close(ctl[0]);
	if (ctl[1] >= 0)
		close(ctl[1]);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return rc;
}
