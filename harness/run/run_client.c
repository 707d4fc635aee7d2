/*
 * run_client.c -- the client runner, `danelab __client` (run.h): runs a
 * client at the moments a cell probes its world, inside the lab, and
 * writes client.start / client.end events (EVENTS.md) around each run.
 * What to run comes as a plan (JSON, written by the worker, run.h): per
 * run its moment, output file, environment and steps -- one command for
 * a plain client, a lifecycle (start, submit, wait, collect, stop) for a
 * real MTA.
 *
 * It is the lab's command (lab.h), so it runs as pid 2 of the cell's
 * pid namespace, with the lab's resolv.conf and anchor mounted.  The
 * client gets a process group of its own, so that a timeout kills it
 * with whatever it started; when the lab ends, the kernel kills the
 * rest.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <regex.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "harness/run/run.h"
#include "simulator/events/events.h"
#include "simulator/util/xmem.h"

#define RUNNER_MAX_PLAN (1024 * 1024)	/* bytes of the plan file */
#define RUNNER_WAIT_POLL_MS 100
#define RUNNER_MAX_COLLECT (256 * 1024)	/* bytes of one collected file */
#define RUNNER_KILL_GRACE_MS 1000

static volatile sig_atomic_t runner_stop;

static void
runner_on_signal(int sig)
{
	(void)sig;
	runner_stop = 1;
}

/* Sleep until monotonic time t_ns, or until a stop signal. */
static void
sleep_until(uint64_t t_ns)
{
	struct timespec ts;

	ts.tv_sec = (time_t)(t_ns / 1000000000ULL);
	ts.tv_nsec = (long)(t_ns % 1000000000ULL);
	while (!runner_stop &&
	    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) ==
		EINTR)
		;
}

/*
 * The client's output: a pipe the runner copies into the output file, at
 * most RUN_MAX_CLIENT_OUTPUT bytes of it (a client that prints without
 * end cannot fill the disk); the rest is read and counted.  The first
 * error writing the file is kept (client.end's output_error), and the
 * file gets nothing after it.
 */
struct out_sink {
	int rfd;		/* read end, or -1 */
	int fd;			/* the output file, or -1 */
	const char *path;
	uint64_t kept, dropped;
	int err;		/* errno of the first open or write error */
};

/*
 * Store n bytes of output (the client's, or a header of the runner's
 * own) within the cap; what does not fit, or fails, is counted.
 */
static void
sink_write(struct out_sink *o, const char *s, size_t n)
{
	size_t room = o->kept < RUN_MAX_CLIENT_OUTPUT
	    ? RUN_MAX_CLIENT_OUTPUT - (size_t)o->kept
	    : 0;
	size_t w = n < room ? n : room;
	ssize_t k;

	if (o->fd < 0 || o->err != 0)
		w = 0;
	while (w > 0) {
		k = write(o->fd, s, w);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			o->err = k < 0 ? errno : EIO;
			break;
		}
		o->kept += (size_t)k;
		s += k;
		n -= (size_t)k;
		w -= (size_t)k;
	}
	o->dropped += n;
}

/* Copy what the pipe holds now; false at EOF (or error). */
static bool
sink_pump(struct out_sink *o)
{
	char buf[16384];
	ssize_t n;

	for (;;) {
		n = read(o->rfd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return true;
		if (n <= 0)
			return false;
		sink_write(o, buf, (size_t)n);
	}
}

static void sink_printf(struct out_sink *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
sink_printf(struct out_sink *o, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0)
		sink_write(o, buf, (size_t)n < sizeof(buf) ? (size_t)n
							    : sizeof(buf) - 1);
}

/*
 * Start argv with stdin from input (NULL: /dev/null), stdout and stderr
 * into a pipe the caller copies into o, env added to the environment.
 */
static pid_t
spawn(char **argv, const char *input, char **env, const char *dir,
    struct out_sink *o)
{
	sigset_t none;
	pid_t pid;
	int fd, p[2];
	size_t i;

	o->rfd = -1;
	if (pipe2(p, O_CLOEXEC) != 0)
		return -1;
	pid = fork();
	if (pid != 0) {
		close(p[1]);
		o->rfd = p[0];
		fcntl(o->rfd, F_SETFL, O_NONBLOCK);
		if (pid < 0) {
			close(o->rfd);
			o->rfd = -1;
		}
		return pid;
	}
	/* The child: own process group, plain signals, files. */
	setpgid(0, 0);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (i = 0; env != NULL && env[i] != NULL; i++)
		putenv(env[i]);
	dup2(p[1], 1);
	dup2(p[1], 2);
	/*
	 * In the run's own directory: what a client leaves in its working
	 * directory (danetool's certificate files) stays in the cell.
	 */
	if (dir != NULL && chdir(dir) != 0) {
		dprintf(2, "danelab: cannot enter %s: %s\n", dir,
		    strerror(errno));
		_exit(126);
	}
	fd = open(input != NULL ? input : "/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		dprintf(2, "danelab: cannot open %s: %s\n", input,
		    strerror(errno));
		_exit(126);
	}
	dup2(fd, 0);
	execvp(argv[0], argv);
	dprintf(2, "danelab: cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(errno == ENOENT ? 127 : 126);
}

static int
status_of(int ws)
{
	if (WIFEXITED(ws))
		return WEXITSTATUS(ws);
	if (WIFSIGNALED(ws))
		return 128 + WTERMSIG(ws);
	return -1;
}

/*
 * Wait for pid for at most timeout_ms (or until a stop signal); kill
 * its group on timeout or stop.  Returns the status; *timed_out.
 */
static int
wait_client(pid_t pid, uint64_t timeout_ms, bool *timed_out,
    struct out_sink *o, bool reap_group)
{
	uint64_t deadline = evlog_now_ns() + timeout_ms * 1000000ULL;
	uint64_t now, kill_at = 0;
	struct pollfd pfd[2];
	bool open_pipe = o->rfd >= 0;
	int pidfd, ws, r, n;

	*timed_out = false;
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	for (;;) {
		r = waitpid(pid, &ws, WNOHANG);
		if (r == pid)
			break;
		if (r < 0 && errno != EINTR) {
			ws = 0;
			break;
		}
		now = evlog_now_ns();
		if (kill_at == 0 && (now >= deadline || runner_stop)) {
			*timed_out = !runner_stop;
			kill(-pid, SIGTERM);
			kill(pid, SIGTERM);
			kill_at = now + RUNNER_KILL_GRACE_MS * 1000000ULL;
		} else if (kill_at != 0 && now >= kill_at) {
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			kill_at = UINT64_MAX;
		}
		n = 0;
		if (pidfd >= 0) {
			pfd[n].fd = pidfd;
			pfd[n++].events = POLLIN;
		}
		if (open_pipe) {
			pfd[n].fd = o->rfd;
			pfd[n++].events = POLLIN;
		}
		if (n > 0)
			poll(pfd, (nfds_t)n, 20);
		else
			usleep(5000);
		if (open_pipe)
			open_pipe = sink_pump(o);
	}
	if (pidfd >= 0)
		close(pidfd);
	/*
	 * Whatever the command left in its group goes with it -- but for a
	 * start step, whose daemon is the point (it ends with the stop step,
	 * or with the lab's pid namespace at the latest).
	 */
	if (reap_group || *timed_out)
		kill(-pid, SIGKILL);
	/* What is left in the pipe: until EOF, a second at most. */
	for (now = evlog_now_ns(), kill_at = now + 1000000000ULL;
	    open_pipe && now < kill_at; now = evlog_now_ns()) {
		pfd[0].fd = o->rfd;
		pfd[0].events = POLLIN;
		poll(pfd, 1, 50);
		open_pipe = sink_pump(o);
	}
	if (o->rfd >= 0)
		close(o->rfd);
	o->rfd = -1;
	return status_of(ws);
}

/* ---- the plan ----------------------------------------------------------- */

struct plan_step {
	enum profile_step_kind kind;
	char **argv;		/* NULL-terminated */
	char *input;
	uint64_t timeout_ms;
	char *log;
	regex_t re[PROFILE_OUTCOME_COUNT];
	bool has_re[PROFILE_OUTCOME_COUNT];
	char **collect;		/* NULL-terminated */
};

struct plan_run {
	uint64_t at_ms;
	char *out;
	char *dir;		/* the run's directory: the commands' cwd */
	char **env;		/* NULL-terminated */
	struct plan_step *steps;
	size_t n_steps;
	bool headers;		/* a lifecycle: say in the output which step
				 * printed what */
};

struct plan {
	struct plan_run *runs;
	size_t n_runs;
};

static char **
json_strv(json_t *a, size_t max)
{
	char **v;
	size_t i, n;

	if (!json_is_array(a) || (n = json_array_size(a)) > max)
		return NULL;
	v = xcalloc(n + 1, sizeof(*v));
	for (i = 0; i < n; i++) {
		const char *s = json_string_value(json_array_get(a, i));

		v[i] = xstrdup(s != NULL ? s : "");
	}
	return v;
}

static void
strv_free(char **v)
{
	size_t i;

	for (i = 0; v != NULL && v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

static void
plan_free(struct plan *pl)
{
	size_t i, j;
	int o;

	for (i = 0; i < pl->n_runs; i++) {
		struct plan_run *r = &pl->runs[i];

		for (j = 0; j < r->n_steps; j++) {
			struct plan_step *st = &r->steps[j];

			strv_free(st->argv);
			free(st->input);
			free(st->log);
			strv_free(st->collect);
			for (o = 0; o < PROFILE_OUTCOME_COUNT; o++)
				if (st->has_re[o])
					regfree(&st->re[o]);
		}
		free(r->steps);
		free(r->out);
		free(r->dir);
		strv_free(r->env);
	}
	free(pl->runs);
	memset(pl, 0, sizeof(*pl));
}

static int
plan_step_load(json_t *js, struct plan_step *st)
{
	const char *k = json_string_value(json_object_get(js, "kind"));
	const char *s;
	json_t *o;
	int i;

	for (i = 0; i < PROFILE_STEP_COUNT; i++)
		if (k != NULL && strcmp(k, profile_step_name(
		    (enum profile_step_kind)i)) == 0)
			break;
	if (i == PROFILE_STEP_COUNT)
		return -1;
	st->kind = (enum profile_step_kind)i;
	st->timeout_ms = (uint64_t)json_integer_value(json_object_get(js,
	    "timeout_ms"));
	if (st->timeout_ms == 0 ||
	    st->timeout_ms > PROFILE_MAX_TIMEOUT * 1000ULL)
		return -1;
	if ((s = json_string_value(json_object_get(js, "input"))) != NULL)
		st->input = xstrdup(s);
	if ((s = json_string_value(json_object_get(js, "log"))) != NULL)
		st->log = xstrdup(s);
	o = json_object_get(js, "argv");
	if (o != NULL && ((st->argv = json_strv(o, PROFILE_MAX_ARGS)) ==
	    NULL || st->argv[0] == NULL))
		return -1;
	o = json_object_get(js, "collect");
	if (o != NULL && (st->collect = json_strv(o, PROFILE_MAX_COLLECT)) ==
	    NULL)
		return -1;
	for (i = PROFILE_OUTCOME_DELIVERED; i < PROFILE_OUTCOME_COUNT; i++) {
		s = json_string_value(json_object_get(js,
		    profile_outcome_name((enum profile_outcome)i)));
		if (s == NULL)
			continue;
		if (regcomp(&st->re[i], s, REG_EXTENDED | REG_NEWLINE |
		    REG_NOSUB) != 0)
			return -1;
		st->has_re[i] = true;
	}
	switch (st->kind) {
	case PROFILE_STEP_WAIT:
		return st->log != NULL ? 0 : -1;
	case PROFILE_STEP_COLLECT:
		return st->collect != NULL ? 0 : -1;
	default:
		return st->argv != NULL ? 0 : -1;
	}
}

/* Read the plan file; -1 if it is not what the worker writes. */
static int
plan_load(const char *path, struct plan *pl)
{
	json_error_t jerr;
	json_t *root, *runs, *r, *steps;
	size_t i, j;
	const char *s;

	memset(pl, 0, sizeof(*pl));
	root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL)
		return -1;
	runs = json_object_get(root, "runs");
	if (!json_is_array(runs) || json_array_size(runs) == 0 ||
	    json_array_size(runs) > RUN_MAX_CLIENT_RUNS)
		goto bad;
	pl->runs = xcalloc(json_array_size(runs), sizeof(*pl->runs));
	json_array_foreach(runs, i, r) {
		struct plan_run *pr = &pl->runs[pl->n_runs++];

		pr->at_ms = (uint64_t)json_integer_value(json_object_get(r,
		    "at_ms"));
		if (pr->at_ms > 86400ULL * 1000 * 2)
			goto bad;
		if ((s = json_string_value(json_object_get(r, "out"))) == NULL)
			goto bad;
		pr->out = xstrdup(s);
		if ((s = json_string_value(json_object_get(r, "dir"))) != NULL)
			pr->dir = xstrdup(s);
		pr->headers = json_is_true(json_object_get(r, "headers"));
		if ((pr->env = json_strv(json_object_get(r, "env"),
		    256)) == NULL)
			goto bad;
		steps = json_object_get(r, "steps");
		if (!json_is_array(steps) || json_array_size(steps) == 0 ||
		    json_array_size(steps) > PROFILE_MAX_STEPS)
			goto bad;
		pr->steps = xcalloc(json_array_size(steps),
		    sizeof(*pr->steps));
		for (j = 0; j < json_array_size(steps); j++) {
			pr->n_steps++;
			if (plan_step_load(json_array_get(steps, j),
			    &pr->steps[j]) != 0)
				goto bad;
		}
	}
	json_decref(root);
	return 0;
bad:
	json_decref(root);
	plan_free(pl);
	return -1;
}

/* ---- one run ------------------------------------------------------------ */

/*
 * Open a file the client wrote (its log) for reading: never through a
 * symbolic link, never blocking on a FIFO, only a regular file.  -1
 * (errno) otherwise.
 */
static int
open_log(const char *path)
{
	struct stat st;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	return fd;
}

/* What became of one client run. */
struct run_state {
	int status;		/* the run's exit status, -1: none */
	bool timed_out;
	bool failed;		/* a start or submit step failed */
	const char *step;	/* the step that failed or timed out */
	enum profile_outcome outcome;
	const char *argv0;
};

static double
secs_since(uint64_t t_ns)
{
	return (double)(evlog_now_ns() - t_ns) / 1e9;
}

/* "postfix -c /x/etc start", shortened to fit a header line. */
static void
argv_line(char **argv, char *buf, size_t len)
{
	size_t o = 0, i;

	buf[0] = '\0';
	for (i = 0; argv[i] != NULL && o + 1 < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? " " : "",
		    argv[i]);
}

static void
step_command(struct plan_run *r, struct plan_step *st, struct out_sink *o,
    struct run_state *rs)
{
	const char *name = profile_step_name(st->kind);
	char line[512];
	uint64_t t = evlog_now_ns();
	bool timed_out = false;
	pid_t pid;
	int status;

	if (r->headers) {
		argv_line(st->argv, line, sizeof(line));
		sink_printf(o, "[danelab] %s: %s\n", name, line);
	}
	pid = spawn(st->argv, st->input, r->env, r->dir, o);
	status = pid < 0 ? -1 : wait_client(pid, st->timeout_ms, &timed_out, o,
	    st->kind != PROFILE_STEP_START);
	if (r->headers) {
		if (timed_out)
			sink_printf(o, "[danelab] %s: killed after %.1f s "
			    "(its timeout)\n", name, secs_since(t));
		else
			sink_printf(o, "[danelab] %s: exit %d (%.1f s)\n",
			    name, status, secs_since(t));
	}
	if (timed_out) {
		rs->timed_out = true;
		rs->step = name;
		return;
	}
	switch (st->kind) {
	case PROFILE_STEP_RUN:
		rs->status = status;
		break;
	case PROFILE_STEP_START:
	case PROFILE_STEP_SUBMIT:
		if (status != 0) {
			rs->failed = true;
			rs->status = status;
			rs->step = name;
		} else if (rs->status < 0)
			rs->status = 0;
		break;
	default:
		break;		/* stop: the lab's end kills what is left */
	}
}

/*
 * Read new complete lines of the log from *off; the first line that
 * matches an outcome's pattern decides.
 */
static enum profile_outcome
wait_scan(struct plan_step *st, int fd, char *buf, size_t *have)
{
	ssize_t n;
	size_t start, i;
	int o;

	while ((n = read(fd, buf + *have, 8191 - *have)) > 0) {
		*have += (size_t)n;
		buf[*have] = '\0';
		for (start = 0, i = 0; i < *have; i++) {
			if (buf[i] != '\n')
				continue;
			buf[i] = '\0';
			for (o = PROFILE_OUTCOME_DELIVERED;
			    o < PROFILE_OUTCOME_COUNT; o++)
				if (st->has_re[o] && regexec(&st->re[o],
				    buf + start, 0, NULL, 0) == 0)
					return (enum profile_outcome)o;
			start = i + 1;
		}
		/* A line longer than the buffer is cut, not waited for. */
		if (start == 0 && *have == 8191)
			start = *have;
		memmove(buf, buf + start, *have - start);
		*have -= start;
	}
	return PROFILE_OUTCOME_NONE;
}

static void
step_wait(struct plan_run *r, struct plan_step *st, struct out_sink *o,
    struct run_state *rs)
{
	uint64_t t = evlog_now_ns();
	uint64_t deadline = t + st->timeout_ms * 1000000ULL;
	enum profile_outcome got = PROFILE_OUTCOME_NONE;
	char buf[8192];
	size_t have = 0;
	int fd = -1;

	while (!runner_stop && evlog_now_ns() < deadline) {
		if (fd < 0)
			fd = open_log(st->log);
		if (fd >= 0 && (got = wait_scan(st, fd, buf, &have)) !=
		    PROFILE_OUTCOME_NONE)
			break;
		usleep(RUNNER_WAIT_POLL_MS * 1000);
	}
	if (fd >= 0)
		close(fd);
	if (got == PROFILE_OUTCOME_NONE) {
		if (!runner_stop) {
			rs->timed_out = true;
			rs->step = "wait";
		}
		sink_printf(o, "[danelab] wait: nothing in %s said delivered, "
		    "deferred or bounced after %.1f s\n", st->log,
		    secs_since(t));
		return;
	}
	rs->outcome = got;
	if (rs->status < 0)
		rs->status = 0;
	if (r->headers)
		sink_printf(o, "[danelab] wait: %s (%.1f s)\n",
		    profile_outcome_name(got), secs_since(t));
}

/* Append each file (at most RUNNER_MAX_COLLECT bytes of it). */
static void
step_collect(struct plan_step *st, struct out_sink *o)
{
	char buf[16384];
	size_t i, total;
	ssize_t n;
	int fd;

	for (i = 0; st->collect[i] != NULL; i++) {
		fd = open_log(st->collect[i]);
		if (fd < 0) {
			sink_printf(o, "[danelab] collect: %s: %s\n",
			    st->collect[i], errno == EINVAL ? "not a regular "
			    "file" : strerror(errno));
			continue;
		}
		sink_printf(o, "[danelab] collect: %s\n", st->collect[i]);
		total = 0;
		while (total < RUNNER_MAX_COLLECT &&
		    (n = read(fd, buf, sizeof(buf))) > 0) {
			sink_write(o, buf, (size_t)n);
			total += (size_t)n;
		}
		close(fd);
		if (total > 0 && buf[(total - 1) % sizeof(buf)] != '\n')
			sink_write(o, "\n", 1);
	}
}

static void
run_one(struct plan_run *r, struct run_state *rs, struct out_sink *out)
{
	struct out_sink o;
	size_t i;

	memset(&o, 0, sizeof(o));
	o.rfd = -1;
	o.path = r->out;
	o.fd = open(r->out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (o.fd < 0)
		o.err = errno;
	for (i = 0; i < r->n_steps; i++) {
		struct plan_step *st = &r->steps[i];

		/*
		 * Once one failed, only the collect steps (its logs say why)
		 * and the stop steps run.
		 */
		if ((rs->failed || rs->timed_out || runner_stop) &&
		    st->kind != PROFILE_STEP_STOP &&
		    st->kind != PROFILE_STEP_COLLECT)
			continue;
		switch (st->kind) {
		case PROFILE_STEP_WAIT:
			step_wait(r, st, &o, rs);
			break;
		case PROFILE_STEP_COLLECT:
			step_collect(st, &o);
			break;
		default:
			step_command(r, st, &o, rs);
			break;
		}
	}
	if (o.fd >= 0) {
		if (o.dropped > 0 && o.err == 0)
			dprintf(o.fd, "\n[danelab: output truncated at %llu "
			    "bytes, %llu bytes dropped]\n",
			    (unsigned long long)o.kept,
			    (unsigned long long)o.dropped);
		if (close(o.fd) != 0 && o.err == 0)
			o.err = errno;
	}
	*out = o;
}

/* client.end's fields about the output (EVENTS.md). */
static void
output_fields(struct evlog_ev *e, const struct out_sink *o)
{
	char why[PATH_MAX + 128];

	evlog_int(e, "output_bytes", (long long)o->kept);
	evlog_int(e, "output_dropped", (long long)o->dropped);
	if (o->err != 0) {
		snprintf(why, sizeof(why), "%s: %s", o->path,
		    strerror(o->err));
		evlog_str(e, "output_error", why);
	}
}

/*
 * What the runs' moments count from: the timeline's clock when the lab
 * plays one (RUN_TIMELINE_T0_ENV, set by the lab when its servers came
 * up, so that the runs keep to the phases), else t0.  The variable is
 * not passed on to the clients.
 */
static uint64_t
runner_origin(uint64_t t0)
{
	const char *v = getenv(RUN_TIMELINE_T0_ENV);
	unsigned long long x;
	char *end;

	if (v == NULL)
		return t0;
	errno = 0;
	x = strtoull(v, &end, 10);
	(void)unsetenv(RUN_TIMELINE_T0_ENV);
	if (errno != 0 || end == v || *end != '\0' || x == 0)
		return t0;
	return (uint64_t)x;
}

int
run_client_main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"events", required_argument, NULL, 'e'},
	    {"events-limit", required_argument, NULL, 'L'},
	    {"t0", required_argument, NULL, 't'},
	    {"plan", required_argument, NULL, 'p'},
	    {NULL, 0, NULL, 0},
	};
	const char *events = NULL, *plan_path = NULL;
	uint64_t t0 = 0, origin, start_ns, limit = 0;
	struct out_sink out;
	char why[256];
	struct evlog *log = NULL;
	struct evlog_ev e;
	struct sigaction sa;
	struct plan pl;
	char *end;
	size_t i, j;
	int c, st;

	/*
	 * The clients run with the runner's uid and capabilities: without
	 * this, they could ptrace it or open its descriptors through
	 * /proc/PID/fd (the worker's log; the event log the sandbox passed
	 * in, see lab.h).  Nothing inherited reaches them either.
	 */
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	(void)close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
	optind = 1;
	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (c) {
		case 'e':
			events = optarg;
			break;
		case 't':
			errno = 0;
			t0 = strtoull(optarg, &end, 10);
			if (errno != 0 || *end != '\0')
				return 2;
			break;
		case 'p':
			plan_path = optarg;
			break;
		case 'L':
			errno = 0;
			limit = strtoull(optarg, &end, 10);
			if (errno != 0 || *end != '\0')
				return 2;
			break;
		default:
			return 2;
		}
	}
	if (events == NULL || plan_path == NULL || optind != argc) {
		fprintf(stderr, "danelab __client: usage: --events FILE "
		    "[--events-limit BYTES] --t0 NS --plan FILE\n");
		return 2;
	}
	if (plan_load(plan_path, &pl) != 0) {
		fprintf(stderr, "danelab __client: %s: not a valid plan\n",
		    plan_path);
		return 2;
	}
	if (t0 == 0)
		t0 = evlog_now_ns();
	origin = runner_origin(t0);
	if (evlog_open(events, t0, &log) != 0) {
		fprintf(stderr, "danelab __client: %s: %s\n", events,
		    strerror(errno));
		plan_free(&pl);
		return 2;
	}
	if (limit != 0 && evlog_set_limit(log, limit) != 0) {
		fprintf(stderr, "danelab __client: --events-limit %llu: out of "
		    "range\n", (unsigned long long)limit);
		evlog_free(log);
		plan_free(&pl);
		return 2;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = runner_on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	for (i = 0; i < pl.n_runs && !runner_stop; i++) {
		struct plan_run *r = &pl.runs[i];
		struct run_state rs;

		sleep_until(origin + r->at_ms * 1000000ULL);
		if (runner_stop)
			break;
		memset(&rs, 0, sizeof(rs));
		rs.status = -1;
		for (j = 0; j < r->n_steps; j++)
			if (r->steps[j].argv != NULL) {
				rs.argv0 = r->steps[j].argv[0];
				break;
			}
		evlog_begin(&e, log, "client.start");
		evlog_int(&e, "run", (long long)i);
		evlog_int(&e, "at_ms", (long long)r->at_ms);
		evlog_str(&e, "argv0", rs.argv0 ? rs.argv0 : "");
		evlog_end(&e);
		start_ns = evlog_now_ns();
		run_one(r, &rs, &out);
		evlog_begin(&e, log, "client.end");
		evlog_int(&e, "run", (long long)i);
		evlog_int(&e, "status", rs.status);
		evlog_bool(&e, "timed_out", rs.timed_out);
		evlog_bool(&e, "interrupted", runner_stop != 0 &&
		    !rs.timed_out);
		evlog_int(&e, "ms",
		    (long long)((evlog_now_ns() - start_ns) / 1000000ULL));
		if (rs.step != NULL)
			evlog_str(&e, "step", rs.step);
		if (rs.outcome != PROFILE_OUTCOME_NONE)
			evlog_str(&e, "outcome",
			    profile_outcome_name(rs.outcome));
		output_fields(&e, &out);
		evlog_end(&e);
	}
	plan_free(&pl);
	/*
	 * Events lost: the evidence is incomplete, and the worker must
	 * know.  A full log says so in the log itself (log.truncated).
	 */
	st = 0;
	if (evlog_failed(log) != 0 && evlog_trouble(log, why, sizeof(why))) {
		fprintf(stderr, "danelab __client: %s: the event log %s\n",
		    events, why);
		st = RUN_CLIENT_EVLOG_ERRORS;
	}
	evlog_free(log);
	return st;
}
