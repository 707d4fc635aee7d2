/*
 * run_exec.c -- the coordinator of a run (run.h): one worker process per
 * cell, at most --jobs cells without timeline at once (timeline cells
 * mostly wait for the clock, so they run next to them, up to
 * RUN_MAX_TIMELINE_JOBS), a deadline per cell, Ctrl-C, and the
 * environment check before everything else.
 *
 * The coordinator stays single-threaded: signals arrive on a signalfd,
 * workers are forked (each dies with it: PR_SET_PDEATHSIG, and with the
 * worker its lab, see lab.h), and the only thing shared with a worker is
 * its directory in the run's temporary directory, which the coordinator
 * removes at the end whatever happened to the worker.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "danelab_config.h"
#include "harness/lab/lab.h"
#include "harness/run/run.h"
#include "simulator/events/events.h"
#include "simulator/util/fmt.h"
#include "simulator/util/textwrap.h"
#include "simulator/util/xmem.h"

#define EXEC_TERM_GRACE_MS 3000

enum cell_state { CELL_PENDING, CELL_RUNNING, CELL_DONE };

struct cell_run {
	enum cell_state state;
	pid_t pid;
	uint64_t started_ns;
	uint64_t deadline_ns;
	uint64_t kill_at_ns;	/* SIGKILL after a SIGTERM; 0: none sent */
	bool overdue;		/* killed for its deadline */
	bool ok;		/* results read */
	bool clean;		/* ended before the run was stopped */
	struct run_report part;	/* its results */
};

struct exec {
	struct run_cell *cells;
	size_t n;
	struct cell_run *cr;
	const struct run_opts *o;
	char dir[PATH_MAX];	/* the run's temporary directory */
	unsigned running_short, running_timeline;
	size_t done;
	bool stop;		/* interrupted */
	uint64_t stop_kill_at;
	size_t counts[RUN_VERDICT_COUNT];
	uint64_t t0;
};

static void
cell_paths(const struct exec *x, size_t i, char *dir, size_t dlen,
    char *results, size_t rlen)
{
	/* x->dir is far shorter than PATH_MAX: no truncation. */
	(void)fmt_buf(dir, dlen, "%s/cell-%zu", x->dir, i);
	(void)fmt_buf(results, rlen, "%s/cell-%zu.json", x->dir, i);
}

/* In the worker: run cell i, exit. */
static void __attribute__((noreturn))
worker(struct exec *x, size_t i)
{
	char dir[PATH_MAX], results[PATH_MAX], log[PATH_MAX + 8];
	sigset_t none;
	int fd, rc;

	prctl(PR_SET_PDEATHSIG, SIGTERM);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	cell_paths(x, i, dir, sizeof(dir), results, sizeof(results));
	if (mkdir(dir, 0755) != 0)
		_exit(3);
	snprintf(log, sizeof(log), "%s.log", dir);
	fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
		close(fd);
	}
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, 0);
		close(fd);
	}
	setenv("TMPDIR", dir, 1);
	rc = run_cell(&x->cells[i], x->o, dir, results);
	fflush(NULL);
	_exit(rc == 0 ? 0 : 1);
}

static bool
is_timeline(const struct run_cell *c)
{
	return run_cell_span(c) > 0;
}

static int
start_cell(struct exec *x, size_t i)
{
	struct cell_run *r = &x->cr[i];
	const struct run_cell *c = &x->cells[i];
	uint64_t budget_s;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0)
		worker(x, i);
	r->state = CELL_RUNNING;
	r->pid = pid;
	r->started_ns = evlog_now_ns();
	budget_s = run_cell_span(c) + c->client->timeout_s + RUN_CELL_SLACK_S;
	r->deadline_ns = r->started_ns + budget_s * 1000000000ULL;
	if (is_timeline(c))
		x->running_timeline++;
	else
		x->running_short++;
	return 0;
}

/*
 * With --keep, a cell whose worker crashed, overran or wrote no results:
 * its directory and its worker's log (DIR.log) go to the keep root as
 * KEEP/broken-<i>-<scenario>.<client>.<policy>/ (lab/, worker.log).  kept
 * gets that path, or "".
 */
static void
keep_broken(struct exec *x, size_t i, const char *dir, char *kept,
    size_t len, int ws)
{
	const struct run_cell *c = &x->cells[i];
	char from[PATH_MAX + 8], to[2 * PATH_MAX], *p;

	kept[0] = '\0';
	if (!x->o->keep || x->o->keep_root == NULL ||
	    (!x->cr[i].overdue && WIFEXITED(ws) && WEXITSTATUS(ws) == 0))
		return;
	snprintf(kept, len, "%s/broken-%zu-%s.%s.%s", x->o->keep_root, i,
	    c->s->id, c->client->name, scen_policy_name(c->policy));
	for (p = kept + strlen(x->o->keep_root) + 1; *p != '\0'; p++)
		if (*p == '/')
			*p = '_';
	if (mkdir(kept, 0700) != 0) {
		kept[0] = '\0';
		return;
	}
	snprintf(to, sizeof(to), "%s/lab", kept);
	(void)rename(dir, to);
	snprintf(from, sizeof(from), "%s.log", dir);
	snprintf(to, sizeof(to), "%s/worker.log", kept);
	(void)rename(from, to);
}

static void
finish_cell(struct exec *x, size_t i, int ws)
{
	struct cell_run *r = &x->cr[i];
	const struct run_cell *c = &x->cells[i];
	char dir[PATH_MAX], results[PATH_MAX], why[2 * PATH_MAX + 128];
	char kept[PATH_MAX];
	struct dl_diags d;
	size_t k;

	r->state = CELL_DONE;
	r->clean = !x->stop;
	x->done++;
	if (is_timeline(c))
		x->running_timeline--;
	else
		x->running_short--;
	cell_paths(x, i, dir, sizeof(dir), results, sizeof(results));
	keep_broken(x, i, dir, kept, sizeof(kept), ws);
	dl_diags_init(&d);
	if (!r->overdue && WIFEXITED(ws) && WEXITSTATUS(ws) == 0 &&
	    report_read_json(results, &r->part, &d) == 0) {
		r->ok = true;
	} else {
		report_clear(&r->part);
		if (r->overdue)
			snprintf(why, sizeof(why), "the cell did not end within "
			    "its deadline (%u s)", run_cell_span(c) +
			    c->client->timeout_s + RUN_CELL_SLACK_S);
		else if (WIFSIGNALED(ws))
			snprintf(why, sizeof(why), "the cell's worker died of "
			    "signal %d (%s)", WTERMSIG(ws),
			    strsignal(WTERMSIG(ws)));
		else
			snprintf(why, sizeof(why), "the cell's worker wrote no "
			    "results (exit %d)",
			    WIFEXITED(ws) ? WEXITSTATUS(ws) : -1);
		k = strlen(why);
		snprintf(why + k, sizeof(why) - k, kept[0] != '\0'
		    ? "; its log and files are kept in %s"
		    : "; 'danelab run --keep' keeps its log%s", kept);
		run_results_fill(c, &r->part,
		    r->overdue ? RUN_HANG : RUN_ERROR, why);
		for (k = 0; kept[0] != '\0' && k < r->part.n_results; k++)
			r->part.results[k].kept_dir = xstrdup(kept);
	}
	dl_diags_clear(&d);
	lab_rmtree(dir);
	unlink(results);
	if (!x->stop)
		for (k = 0; k < r->part.n_results; k++)
			x->counts[r->part.results[k].verdict]++;
}

static void
progress(struct exec *x, bool final)
{
	char line[512];
	size_t k = 0, i, cols;
	double el;

	if (!x->o->progress)
		return;
	el = (double)(evlog_now_ns() - x->t0) / 1e9;
	k += (size_t)snprintf(line + k, sizeof(line) - k,
	    "\r\033[K[%zu/%zu cells, %.0f s] %zu pass, %zu fail", x->done, x->n,
	    el, x->counts[RUN_PASS] + x->counts[RUN_XFAIL],
	    x->counts[RUN_FAIL] + x->counts[RUN_XPASS] + x->counts[RUN_HANG] +
		x->counts[RUN_ERROR]);
	if (x->counts[RUN_SKIP] > 0 && k < sizeof(line))
		k += (size_t)snprintf(line + k, sizeof(line) - k, ", %zu skip",
		    x->counts[RUN_SKIP]);
	for (i = 0; i < x->n && k < sizeof(line) - 64; i++)
		if (x->cr[i].state == CELL_RUNNING &&
		    !is_timeline(&x->cells[i])) {
			k += (size_t)snprintf(line + k, sizeof(line) - k,
			    "; %s (%s)", x->cells[i].s->id,
			    scen_policy_name(x->cells[i].policy));
			break;
		}
	if (x->running_timeline > 0 && k < sizeof(line))
		k += (size_t)snprintf(line + k, sizeof(line) - k,
		    "; %u timeline%s playing", x->running_timeline,
		    x->running_timeline > 1 ? "s" : "");
	/*
	 * One line, never wrapped: a wrapped line is not erased by the next
	 * "\r\033[K" and leaves debris.  The prefix (4 bytes) takes no
	 * column; the rest is ASCII (scenario ids are).
	 */
	cols = tw_columns(STDERR_FILENO);
	if (k > sizeof(line) - 1)
		k = sizeof(line) - 1;
	if (k > 4 && k - 4 > cols - 1)
		line[4 + cols - 1] = '\0';
	fputs(line, stderr);
	if (final)
		fputs("\r\033[K", stderr);
	fflush(stderr);
}

static void
reap(struct exec *x)
{
	size_t i;
	pid_t pid;
	int ws;

	while ((pid = waitpid(-1, &ws, WNOHANG)) > 0)
		for (i = 0; i < x->n; i++)
			if (x->cr[i].state == CELL_RUNNING &&
			    x->cr[i].pid == pid) {
				finish_cell(x, i, ws);
				break;
			}
}

static void
signal_all(struct exec *x, int sig)
{
	size_t i;

	for (i = 0; i < x->n; i++)
		if (x->cr[i].state == CELL_RUNNING)
			kill(x->cr[i].pid, sig);
}

/*
 * Run cells [from, to) (those still pending) to the end.  Returns when
 * none runs, or at once when interrupted and everything was stopped.
 */
static void
run_range(struct exec *x, int sfd, size_t from, size_t to)
{
	struct signalfd_siginfo si;
	struct pollfd pfd;
	uint64_t now, next;
	size_t i;
	bool running;
	int timeout;

	for (;;) {
		/* Start what fits. */
		for (i = from; !x->stop && i < to; i++) {
			if (x->cr[i].state != CELL_PENDING)
				continue;
			if (is_timeline(&x->cells[i])
				? x->running_timeline >= RUN_MAX_TIMELINE_JOBS
				: x->running_short >= x->o->jobs)
				continue;
			if (start_cell(x, i) != 0) {
				run_results_fill(&x->cells[i], &x->cr[i].part,
				    RUN_ERROR, "fork failed");
				x->cr[i].state = CELL_DONE;
				x->done++;
			}
		}
		running = false;
		for (i = 0; i < x->n; i++)
			if (x->cr[i].state == CELL_RUNNING)
				running = true;
		if (!running)
			return;
		progress(x, false);

		/* Deadlines. */
		now = evlog_now_ns();
		next = now + 1000000000ULL;
		for (i = 0; i < x->n; i++) {
			struct cell_run *r = &x->cr[i];

			if (r->state != CELL_RUNNING)
				continue;
			if (r->kill_at_ns == 0 && now >= r->deadline_ns) {
				r->overdue = true;
				kill(r->pid, SIGTERM);
				r->kill_at_ns =
				    now + EXEC_TERM_GRACE_MS * 1000000ULL;
			} else if (r->kill_at_ns != 0 && now >= r->kill_at_ns) {
				kill(r->pid, SIGKILL);
				r->kill_at_ns = UINT64_MAX;
			}
			if (r->kill_at_ns == 0 && r->deadline_ns < next)
				next = r->deadline_ns;
			else if (r->kill_at_ns != 0 &&
			    r->kill_at_ns != UINT64_MAX && r->kill_at_ns < next)
				next = r->kill_at_ns;
		}
		if (x->stop && x->stop_kill_at != 0 && now >= x->stop_kill_at) {
			signal_all(x, SIGKILL);
			x->stop_kill_at = 0;
		}
		timeout = next > now ? (int)((next - now) / 1000000ULL) + 1 : 0;
		if (timeout > 1000)
			timeout = 1000;
		pfd.fd = sfd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, timeout) <= 0)
			continue;
		while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
			if (si.ssi_signo == SIGCHLD)
				continue;
			/* SIGINT, SIGTERM, SIGHUP: stop the run. */
			if (!x->stop) {
				x->stop = true;
				signal_all(x, SIGTERM);
				x->stop_kill_at = evlog_now_ns() +
				    EXEC_TERM_GRACE_MS * 1000000ULL;
			}
		}
		reap(x);
	}
}

/* The environment check's verdict, from the env_check cells. */
static void
env_check(struct exec *x, struct run_report *rep)
{
	size_t i, k;

	rep->env_ok = true;
	for (i = 0; i < x->n; i++) {
		const struct run_cell *c = &x->cells[i];
		const struct run_report *p = &x->cr[i].part;

		if (!c->env_check || x->cr[i].state != CELL_DONE)
			continue;
		for (k = 0; k < p->n_results; k++) {
			const struct run_result *r = &p->results[k];

			if (r->verdict == RUN_PASS)
				continue;
			rep->env_ok = false;
			free(rep->env_message);
			rep->env_message = xasprintf(
			    "control scenario %s fails with the reference "
			    "client (%s, %s: %s): the lab, not the client, is "
			    "broken; nothing else was run",
			    c->s->id, scen_policy_name(c->policy),
			    run_verdict_name(r->verdict),
			    r->reason ? r->reason : "");
			return;
		}
	}
}

/*
 * An MTA that drops privileges (Postfix's daemons, Exim's delivery
 * process) reaches its files in the run's directory as another user:
 * every directory above it must be searchable by others.  A $TMPDIR of
 * mode 0700 (mktemp -d, Python's tempfile) breaks them in a way their
 * own logs explain only as "Permission denied": say it once, up front.
 */
static void
tmp_searchable(const char *dir, const struct run_cell *cells, size_t n,
    struct dl_diags *diags)
{
	char path[PATH_MAX], *slash;
	struct stat st;
	size_t i;

	for (i = 0; i < n; i++)
		if (cells[i].client->n_steps > 0)
			break;
	if (i == n)
		return;
	snprintf(path, sizeof(path), "%s", dir);
	while ((slash = strrchr(path, '/')) != NULL && slash != path) {
		*slash = '\0';
		if (stat(path, &st) == 0 && (st.st_mode & S_IXOTH) == 0) {
			dl_warn(diags, path, 0, 0, "not searchable by other "
			    "users (mode %04o): %s drops privileges and will "
			    "not reach its files below it; use a TMPDIR whose "
			    "every directory has o+x", (unsigned)(st.st_mode &
			    07777), cells[i].client->name);
			return;
		}
	}
}

int
run_execute(struct run_cell *cells, size_t n, const struct run_opts *o,
    struct run_report *rep, struct dl_diags *diags)
{
	struct exec x;
	sigset_t mask, old;
	size_t i, k, n_env = 0;
	int sfd, rc;

	memset(&x, 0, sizeof(x));
	x.cells = cells;
	x.n = n;
	x.o = o;
	x.cr = xcalloc(n + 1, sizeof(*x.cr));
	x.t0 = evlog_now_ns();
	/* Locked as ours: a later danelab removes it if we are killed. */
	if ((rc = lab_tmp_create("run-", x.dir, sizeof(x.dir), diags)) != 0) {
		free(x.cr);
		return rc;
	}
	/*
	 * 0700: no other user of the host reaches into a cell while a client
	 * runs (what it writes there is its own); inside the client sandbox
	 * the private copy of /tmp makes it searchable for Postfix's daemons.
	 */
	chmod(x.dir, 0700);
	tmp_searchable(x.dir, cells, n, diags);

	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, &old);
	sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sfd < 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		lab_rmtree(x.dir);
		free(x.cr);
		return dl_error(diags, "signalfd", 0, 0, "%s",
		    strerror(errno));
	}

	memset(rep, 0, sizeof(*rep));
	rep->schema = REPORT_SCHEMA_VERSION;
	rep->version = xstrdup(DANELAB_VERSION);
	rep->started = (int64_t)time(NULL);
	/* lab.h: a user namespace is added when not root. */
	rep->isolation = xstrdup(geteuid() == 0 ? "namespaces"
					      : "namespaces (user)");
	rep->jobs = o->jobs;
	rep->shard_k = o->shard_k;
	rep->shard_n = o->shard_n;
	rep->time_scale = o->time_scale;

	/* The environment check first (its cells come first), then the rest. */
	while (n_env < n && cells[n_env].env_check)
		n_env++;
	run_range(&x, sfd, 0, n_env);
	env_check(&x, rep);
	if (rep->env_ok && !x.stop)
		run_range(&x, sfd, n_env, n);
	progress(&x, true);

	/* Collect. */
	for (i = 0; i < n; i++) {
		struct cell_run *r = &x.cr[i];

		if (!cells[i].report)
			continue;
		if (r->state != CELL_DONE && !rep->env_ok && !x.stop) {
			run_results_fill(&cells[i], &r->part, RUN_ERROR,
			    "not run: the environment is broken (see above)");
			r->state = CELL_DONE;
		}
		if (r->state != CELL_DONE || (x.stop && !r->clean))
			continue;
		/* Scenarios once, then the results. */
		if (report_scenario(rep, cells[i].s->id) == NULL) {
			struct run_scenario *sc;

			rep->scenarios = xreallocarray(rep->scenarios,
			    rep->n_scenarios + 1, sizeof(*rep->scenarios));
			sc = &rep->scenarios[rep->n_scenarios++];
			memset(sc, 0, sizeof(*sc));
			if (r->part.n_scenarios > 0) {
				*sc = r->part.scenarios[0];
				memset(&r->part.scenarios[0], 0, sizeof(*sc));
			} else {
				run_scenario_from(cells[i].s, x.o->fixtures_dir, sc);
			}
		}
		rep->results = xreallocarray(rep->results,
		    rep->n_results + r->part.n_results, sizeof(*rep->results));
		for (k = 0; k < r->part.n_results; k++) {
			rep->results[rep->n_results++] = r->part.results[k];
			memset(&r->part.results[k], 0, sizeof(r->part.results[k]));
		}
	}
	rep->interrupted = x.stop;
	rep->duration_ms = (evlog_now_ns() - x.t0) / 1000000ULL;
	report_sort(rep);

	for (i = 0; i < n; i++)
		report_clear(&x.cr[i].part);
	free(x.cr);
	close(sfd);
	/* Workers killed before their end may have left files: all go. */
	lab_tmp_remove(x.dir);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return 0;
}
