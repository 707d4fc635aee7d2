/*
 * lab.h -- a world made runnable: its files, its servers, and the
 * isolation it runs in.
 *
 * Files (lab_files.c): a private temporary directory, $TMPDIR/danelab-XXXXXX
 * (TMPDIR defaults to /tmp), holding
 *   world/        the world exported as standard files (export.h): zones,
 *                 keys, certificates, world/anchor/root.key (DNSKEY),
 *                 root.ds, trust-anchors.conf (BIND syntax, for delv -a),
 *                 world/unbound/root.hints
 *   resolv.conf   "nameserver 127.53.53.53" + "options edns0 trust-ad"
 *   postfix/      main.cf for Postfix's client programs (MAIL_CONFIG)
 * removed again by lab_files_remove().
 *
 * Servers (lab_servers.c): the world's authoritative DNS server, the
 * lab resolver and the MX hosts' SMTP servers, each running in its own
 * thread, and, when the world has
 * a timeline to play, the timeline player (timeline.h) swapping phases
 * into them.
 *
 * Isolation (lab_ns.c, lab_run.c): lab_run() makes fresh namespaces and
 * runs a command, or nothing, inside them:
 *
 *   danelab (P0, host namespaces) -- unshare(CLONE_NEWPID [|NEWUSER]),
 *   |                                fork, wait, forward SIGTERM/SIGHUP;
 *   |                                removes nothing itself (the caller
 *   |                                removes the files after lab_run)
 *   +- supervisor (P1, pid 1 of a new pid namespace) -- unshare(NEWNET |
 *      |   NEWNS); mounts made private (MS_REC|MS_PRIVATE); a fresh /proc;
 *      |   lo up; resolv.conf and the anchor bind-mounted over
 *      |   /etc/resolv.conf, /usr/share/dns/root.key and root.ds (made
 *      |   to exist there, by an overlay of /usr/share, where the host
 *      |   has no dns-root-data); the
 *      |   world's servers started (lab_servers, then spec->start); waits
 *      +- the command (P2), argv, never through a shell
 *
 * A user namespace (uid 0 mapped to the caller) is made only when not
 * root: Postfix's programs fail setgid() in a user namespace as root.
 * Nothing is named or pinned (no `ip netns add`, no bind-mounted namespace
 * files), so when the supervisor exits the kernel kills whatever is left
 * in its pid namespace and the network and mount namespaces, with every
 * mount made in them, disappear.  The supervisor dies with danelab
 * (PR_SET_PDEATHSIG), so a killed danelab leaves no process behind
 * either; only the temporary directory, which the caller removes, stays
 * then.
 *
 * Signals: the supervisor and danelab share danelab's process group; the
 * command has one of its own (the sandbox's: its own session for run's
 * clients, its own foreground process group on the terminal for a
 * shell), so that its kill(0, ...) reaches nothing outside.  A Ctrl-C at
 * the terminal reaches the command's group; a SIGINT or SIGQUIT sent to
 * danelab's process group reaches the supervisor, which passes it on to
 * the command's group; danelab itself ignores both while a command runs
 * (an interactive shell handles its own Ctrl-C; another command usually
 * dies of it, which ends the lab).  SIGTERM or SIGHUP to danelab is
 * forwarded to the supervisor and by it to the command, which is killed
 * if it has not exited LAB_KILL_GRACE_MS later.  With no command, SIGINT,
 * SIGTERM and SIGHUP all end the lab.
 */
#ifndef DL_LAB_LAB_H
#define DL_LAB_LAB_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "harness/resolver/resolver.h"
#include "harness/timeline/timeline.h"
#include "simulator/events/events.h"
#include "simulator/util/diag.h"
#include "simulator/zone/world.h"

#define LAB_RESOLV_CONF "/etc/resolv.conf"
#define LAB_ROOT_KEY "/usr/share/dns/root.key"
#define LAB_ROOT_DS "/usr/share/dns/root.ds"
#define LAB_KILL_GRACE_MS 3000

/* ---------------------------------------------------------------- world */

/*
 * Build the world of s as it is in timeline phase phase (a name; NULL:
 * the first phase, or the baseline for a scenario without timeline),
 * signed relative to now.  Returns world_build's codes; DL_EINVAL with a
 * diagnostic for a phase the scenario does not have.
 */
int lab_world_build(const struct scenario *s, const char *fixtures_dir,
    const char *phase, struct world **out, struct dl_diags *diags);

/* ---------------------------------------------------------------- files */

struct lab_files {
	char dir[PATH_MAX];   /* empty: nothing created */
	char world[PATH_MAX]; /* dir/world, the export */
	char resolv_conf[PATH_MAX];
	char root_key[PATH_MAX]; /* DNSKEY, as /usr/share/dns/root.key */
	char root_ds[PATH_MAX];
	char anchor_conf[PATH_MAX]; /* BIND trust-anchors { }; for delv */
	char root_hints[PATH_MAX];
	char mail_config[PATH_MAX]; /* dir/postfix: main.cf (MAIL_CONFIG) */
};

/*
 * Create the lab directory for world w (fixtures_dir: where the
 * certificates the export copies come from).  Returns 0, or a negative
 * DL_E* code with diagnostics (then nothing is left on disk).  Warnings
 * of the export (faults NSD cannot play) are not passed on: danelab's
 * own server plays them.
 */
int lab_files_create(const struct world *w, const char *fixtures_dir,
    struct lab_files *f, struct dl_diags *diags);

/* Remove the lab directory and everything in it; idempotent. */
void lab_files_remove(struct lab_files *f);

/* rm -r path, never following symbolic links; errors are ignored. */
void lab_rmtree(const char *path);

/*
 * A private temporary directory $TMPDIR/danelab-<kind>XXXXXX (kind: "",
 * "run-", "score-"), into out (len bytes), locked as this process's for as long as
 * it lives (a flock()ed .danelab-owner inside, released by the kernel
 * however the process ends).  The first call in a process first runs
 * lab_tmp_sweep().  Returns 0, or a negative DL_E* code with a
 * diagnostic (nothing left on disk).
 */
int lab_tmp_create(
    const char *kind, char *out, size_t len, struct dl_diags *diags);

/* Remove a directory from lab_tmp_create and release its lock. */
void lab_tmp_remove(const char *dir);

/*
 * A directory from lab_tmp_create was renamed dir -> moved_to to be
 * kept: drop its lock file there and release the lock.
 */
void lab_tmp_release(const char *dir, const char *moved_to);

/*
 * Remove the $TMPDIR/danelab-* directories that a danelab which died
 * (SIGKILL, a crash) left: directories, not symlinks, of this user, whose
 * lock file is this user's and not held.  Never follows symlinks.
 * Returns how many were removed.
 */
int lab_tmp_sweep(void);

/*
 * The environment a command in the lab gets (NAME=VALUE, NULL-terminated,
 * every string and the array from xmalloc; free with lab_env_free), then
 * the n_extra strings of extra (copied; they may repeat a name: the
 * later entry wins in lab_run):
 *   DANELAB_SCENARIO  scenario_id
 *   DANELAB_RESOLVER  the resolver's address (WORLD_RESOLVER_ADDR)
 *   DANELAB_ANCHOR    f->anchor_conf (BIND syntax, delv -a)
 *   DANELAB_ROOT_KEY  f->root_key, DANELAB_ROOT_DS f->root_ds
 *   DANELAB_WORLD     f->world
 *   MAIL_CONFIG       f->mail_config, also as DANELAB_MAIL_CONFIG
 */
char **lab_env_new(const struct lab_files *f, const char *scenario_id,
    char *const *extra);
void lab_env_free(char **env);

/*
 * The resolv.conf of a lab whose resolver is at resolver_addr, into buf.
 * Returns 0, or DL_ERANGE if it does not fit.
 */
int lab_resolv_conf_format(char *buf, size_t len, const char *resolver_addr);

/* -------------------------------------------------------------- servers */

/*
 * Write a minimal Postfix configuration for Postfix's client programs
 * (posttls-finger: MAIL_CONFIG=dir) into dir/main.cf: DNSSEC lookups,
 * DANE, the system CA bundle; nothing a daemon would need.  Returns 0 or
 * DL_EIO with a diagnostic.
 */
int lab_mail_config_write(const char *dir, struct dl_diags *diags);

struct lab_servers_opts {
	uint16_t port; /* DNS servers and resolver; 0: 53 */
	/*
	 * HINTS: every server on port 53 in a namespace, the resolver
	 * follows referrals from root hints.  STUBS: host loopback on an
	 * unprivileged port (resolver.h explains the difference).
	 */
	enum resolver_upstream upstream;
	const char *root_hints;	  /* for HINTS */
	struct evlog *log;	  /* borrowed; NULL: no events */
	const char *resolver_log; /* libunbound's log file, or NULL */
	/*
	 * SMTP servers for the world's MX hosts (smtp_server.h), on each
	 * host's addresses: on smtp_port, or with 0 on each host's own port
	 * (25).  no_smtp: none.
	 */
	bool no_smtp;
	uint16_t smtp_port;
	const char *maildir; /* accepted messages stored here; NULL: not */
	/*
	 * The timeline to play, or NULL: the world stays as started.  The
	 * world given to lab_servers_start must then be its first phase's
	 * (tl_worlds_get(timeline, 0)); later phases are swapped in at
	 * their offsets from t0_ns (0: from when the servers are up), and
	 * on_phase (may be NULL) is told of each (tl_player_opts).
	 */
	const struct tl_worlds *timeline;
	uint64_t t0_ns;
	void (*on_phase)(void *arg, const struct world *w, int phase,
	    uint64_t at_ms, uint64_t actual_ms, int rc);
	void *phase_arg;
};

struct lab_servers;

/*
 * Start the DNS server for w and the resolver, each in a new thread (the
 * threads inherit the caller's signal mask: block signals first).  Their
 * sockets are bound when this returns, so clients may query at once.
 * w is borrowed and must outlive the servers.  Returns 0 and *out, or a
 * negative DL_E* code with diagnostics (nothing left running).
 */
int lab_servers_start(const struct world *w, const struct lab_servers_opts *o,
    struct lab_servers **out, struct dl_diags *diags);

/*
 * Stop the timeline player, then both servers, join their threads, free
 * s.  NULL is accepted.  The timeline's worlds may be freed after this.
 */
void lab_servers_stop(struct lab_servers *s);

/*
 * The moment (CLOCK_MONOTONIC ns) the timeline's offsets count from
 * (tl_player_t0), or 0 when no timeline plays.
 */
uint64_t lab_servers_t0(const struct lab_servers *s);

/*
 * The variable lab_run puts in the command's environment when a
 * timeline plays: that moment, in decimal, so that a command started
 * later (the client runner) keeps to the same clock as the player.
 */
#define LAB_TIMELINE_T0_ENV "DANELAB_TIMELINE_T0"

/* ------------------------------------------------------ a lab, prepared */

/* What serve and shell make before they run a lab (lab_world.c). */
struct lab_prep {
	const struct world *w;	/* the world the servers start with */
	struct tl_worlds *tw;	/* the timeline played, or NULL */
	int first_phase;	/* w's phase when a timeline plays, else -1 */
	struct world *own;	/* w when no timeline plays */
	struct evlog *log;	/* the event log, or NULL */
	struct lab_files files;
};

/*
 * Build the world of s: phase NAME for good; else, with play and a
 * timeline, every phase to play from the first; else the first phase
 * (or the baseline).  Open the event log at events (NULL: none) and
 * create the lab files.  Sets so->timeline, so->log and so->root_hints
 * (the caller adds on_phase).  Returns 0, or a negative DL_E* code with
 * diagnostics; lab_prep_clear() after either.
 */
int lab_prep_open(const struct scenario *s, const char *fixtures_dir,
    const char *phase, bool play, const char *events,
    struct lab_servers_opts *so, struct lab_prep *p, struct dl_diags *diags);

/* Remove the files, close the log, free the worlds; idempotent. */
void lab_prep_clear(struct lab_prep *p);

/* -------------------------------------------------- namespaces, mounts */

/* Bring the loopback interface up (SIOCSIFFLAGS).  0 or DL_EIO. */
int lab_lo_up(struct dl_diags *diags);

/*
 * Bind-mount file src over dst.  Returns 0, DL_ENOENT if dst does not
 * exist (nothing done), or DL_EIO.
 */
int lab_bind_file(const char *src, const char *dst, struct dl_diags *diags);

/*
 * In the calling process: new network and mount namespaces, every mount
 * made private, a fresh /proc for the current pid namespace, lo up, and
 * the lab's files bind-mounted (resolv.conf must succeed; an anchor
 * target that does not exist is skipped with a warning).  Returns 0 or
 * DL_EIO with diagnostics.
 */
int lab_ns_enter(const struct lab_files *f, struct dl_diags *diags);

/* --------------------------------------------------------------- sandbox */

/*
 * The sandbox every client and shell runs in (lab_sandbox.c): danelab
 * execs itself as `danelab __sandbox [options] -- COMMAND...`, which, in
 * one more mount namespace inside the lab's,
 *   - makes the whole host file system read-only;
 *   - gives the command private, writable copies (overlayfs over the
 *     host's, or an empty tmpfs) of /tmp, /var/tmp, /run, /var/spool and
 *     /var/lib, and a minimal /dev (null zero full random urandom tty
 *     ptmx pts shm);
 *   - keeps the lab directory read-only except cell (run: the client's
 *     directory), so that nothing danelab reads or writes there after
 *     the run (events.jsonl, cell.json) can be replaced or made a link,
 *     and the directories in rw writable; the paths in ro are the
 *     host's, read-only (not a private copy); nothing written is
 *     setuid or a device (nosuid, nodev);
 *   - its own devpts, IPC namespace (lab_ns_enter) and session keyring;
 *     a seccomp filter refusing TIOCSTI and TIOCLINUX (typing into the
 *     terminal); its own session (run) or foreground process group
 *     (shell), so that kill(0, ...) stays inside;
 *   - keeps only the capabilities real MTAs need as root (CHOWN,
 *     DAC_OVERRIDE, FOWNER, FSETID, KILL, SETGID, SETUID,
 *     NET_BIND_SERVICE, SYS_CHROOT), dropped from the bounding set too;
 *   - passes a minimal environment: PATH, TZ, the sanitizers' *_OPTIONS,
 *     MAIL_CONFIG and DANELAB_* (for shells also HOME, TERM, COLORTERM,
 *     LANG, LANGUAGE, LC_*, USER, LOGNAME, SHELL, PS1), then
 *     HOME=/tmp, LANG=C.UTF-8 where unset and TMPDIR=/tmp.
 * host_writable skips all but the environment (shell --writable-host).
 * A sandbox that cannot be set up ends with LAB_SANDBOX_EXIT and says
 * why on stderr.
 */
#define LAB_SANDBOX_MAX 8
#define LAB_SANDBOX_EXIT 125

struct lab_sandbox {
	const char *rw[LAB_SANDBOX_MAX - 1]; /* more writable directories */
	size_t n_rw;
	/* Host files or directories the command reads while the lab
	 * writes them (shell --events, --maildir): visible read-only. */
	const char *ro[2];
	size_t n_ro;
	/* The client's writable part of the lab directory, or NULL. */
	const char *cell;
	/*
	 * A file in the read-only lab directory the command may append to
	 * (the runner's event log), or NULL: opened before the mounts and
	 * passed as /proc/self/fd/N in place of its path in argv.
	 */
	const char *append;
	bool shell;	    /* interactive: keep the terminal's variables */
	bool host_writable; /* no read-only host, no capability drop */
};

/* `danelab __sandbox`: set up, then exec the command. */
int lab_sandbox_main(int argc, char **argv);

/*
 * argv wrapped for the sandbox of f's lab: [self, "__sandbox", options,
 * "--", argv...].  The array is xmalloc'd (free it alone: its strings
 * are borrowed).
 */
char **lab_sandbox_argv(const char *self, const struct lab_sandbox *sb,
    const struct lab_files *f, char *const *argv);

/* --------------------------------------------------------------- running */

struct lab_spec {
	const struct lab_files *files;
	/*
	 * The world the lab serves (lab_servers_start with *servers, in the
	 * supervisor, inside the namespaces), or NULL: nothing served.
	 */
	const struct world *world;
	const struct lab_servers_opts *servers;
	/*
	 * The command (argv[0] searched in PATH), or NULL: no command, the
	 * lab runs until SIGINT, SIGTERM or SIGHUP.
	 */
	char *const *argv;
	char *const *env; /* NAME=VALUE added to the command's; or NULL */
	/* The command's sandbox (above), or NULL: none. */
	const struct lab_sandbox *sandbox;
	/*
	 * Optional, in the supervisor, inside the namespaces, after the
	 * world's servers started and before the command: start more.
	 * Returns 0 or DL_E* with diagnostics.
	 */
	int (*start)(void *arg, struct dl_diags *diags);
	/* In the supervisor when the lab ends (if start succeeded). */
	void (*stop)(void *arg);
	/*
	 * In danelab (outside) once the lab is up, before the command
	 * starts: supervisor is its pid as seen from outside (for nsenter);
	 * diags holds the warnings so far, to print.
	 */
	void (*ready)(void *arg, pid_t supervisor, struct dl_diags *diags);
	void *arg;
};

/*
 * Run spec in fresh namespaces (see the top of this file) and wait for
 * the end.  *status is the command's exit status, 128 + the signal that
 * killed it, or with no command 0 after a clean stop.  Returns 0, or a
 * negative DL_E* code with diagnostics if the lab could not be set up
 * (no namespaces, a socket in use, a command that cannot be run: then
 * *status is 127, or 126 when it exists but cannot be executed).
 * Blocks SIGINT, SIGTERM, SIGHUP, SIGQUIT and SIGCHLD while it runs.
 * Call it from a single-threaded process: it uses unshare(CLONE_NEWPID)
 * and fork (for root the caller's pid namespace for children is restored
 * afterwards; otherwise the caller must not fork again).
 */
int lab_run(const struct lab_spec *spec, int *status, struct dl_diags *diags);

#endif /* DL_LAB_LAB_H */
