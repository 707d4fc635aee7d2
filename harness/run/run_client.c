/*
 * run_client.c -- the client runner, `danelab __client` (run.h): runs a
 * client at the moments a cell probes its world, inside the lab, and
 * writes client.start / client.end events (EVENTS.md) around each run.
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
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness/run/run.h"
#include "simulator/events/events.h"

#define RUNNER_MAX_AT 64
#define RUNNER_KILL_GRACE_MS 1000

static volatile sig_atomic_t runner_stop;

static void
runner_on_signal(int sig)
{
	(void)sig;
	runner_stop = 1;
}

static int
parse_at(const char *arg, uint64_t *at, size_t *n)
{
	const char *p = arg;
	char *end;
	unsigned long long v;

	*n = 0;
	while (*p != '\0') {
		if (*n == RUNNER_MAX_AT)
			return -1;
		errno = 0;
		v = strtoull(p, &end, 10);
		if (errno != 0 || end == p || v > 86400ULL * 1000 * 2)
			return -1;
		at[(*n)++] = v;
		if (*end == ',')
			end++;
		else if (*end != '\0')
			return -1;
		p = end;
	}
	return *n > 0 ? 0 : -1;
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
 * end cannot fill the disk); the rest is read and counted.
 */
struct out_sink {
	int rfd;		/* read end, or -1 */
	int fd;			/* the output file, or -1 */
	uint64_t kept, dropped;
};

/* Copy what the pipe holds now; false at EOF (or error). */
static bool
sink_pump(struct out_sink *o)
{
	char buf[16384];
	ssize_t n;
	size_t room, w;

	for (;;) {
		n = read(o->rfd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return true;
		if (n <= 0)
			return false;
		room = o->kept < RUN_MAX_CLIENT_OUTPUT
		    ? RUN_MAX_CLIENT_OUTPUT - (size_t)o->kept
		    : 0;
		w = (size_t)n < room ? (size_t)n : room;
		if (w > 0 && o->fd >= 0 && write(o->fd, buf, w) == (ssize_t)w)
			o->kept += w;
		o->dropped += (size_t)n - w;
	}
}

static pid_t
spawn(char **argv, const char *out_path, struct out_sink *o)
{
	sigset_t none;
	pid_t pid;
	int fd, p[2];

	o->rfd = o->fd = -1;
	o->kept = o->dropped = 0;
	if (pipe2(p, O_CLOEXEC) != 0)
		return -1;
	o->fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600);
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
	signal(SIGPIPE, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd >= 0)
		dup2(fd, 0);
	dup2(p[1], 1);
	dup2(p[1], 2);
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
    struct out_sink *o)
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
	/* Whatever the client left in its group goes with it. */
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
	if (o->fd >= 0) {
		if (o->dropped > 0)
			dprintf(o->fd, "\n[danelab: %llu more bytes of output "
			    "not kept]\n", (unsigned long long)o->dropped);
		close(o->fd);
	}
	o->rfd = o->fd = -1;
	return status_of(ws);
}

int
run_client_main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"events", required_argument, NULL, 'e'},
	    {"t0", required_argument, NULL, 't'},
	    {"out", required_argument, NULL, 'o'},
	    {"timeout", required_argument, NULL, 'T'},
	    {"at", required_argument, NULL, 'a'},
	    {NULL, 0, NULL, 0},
	};
	const char *events = NULL, *out = NULL;
	uint64_t at[RUNNER_MAX_AT], t0 = 0, start_ns;
	unsigned long timeout_s = 30;
	size_t n_at = 0, i;
	struct evlog *log = NULL;
	struct evlog_ev e;
	struct sigaction sa;
	char path[4096];
	char *end;
	struct out_sink sink;
	bool timed_out;
	int c, st;
	pid_t pid;

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
		case 'o':
			out = optarg;
			break;
		case 'T':
			errno = 0;
			timeout_s = strtoul(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || timeout_s == 0 ||
			    timeout_s > PROFILE_MAX_TIMEOUT)
				return 2;
			break;
		case 'a':
			if (parse_at(optarg, at, &n_at) != 0)
				return 2;
			break;
		default:
			return 2;
		}
	}
	if (events == NULL || out == NULL || n_at == 0 || optind >= argc) {
		fprintf(stderr, "danelab __client: usage: --events FILE --t0 NS "
		    "--out PREFIX --timeout S --at MS[,MS...] -- ARGV...\n");
		return 2;
	}
	if (t0 == 0)
		t0 = evlog_now_ns();
	if (evlog_open(events, t0, &log) != 0) {
		fprintf(stderr, "danelab __client: %s: %s\n", events,
		    strerror(errno));
		return 2;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = runner_on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	for (i = 0; i < n_at && !runner_stop; i++) {
		sleep_until(t0 + at[i] * 1000000ULL);
		if (runner_stop)
			break;
		snprintf(path, sizeof(path), "%s.%zu.out", out, i);
		evlog_begin(&e, log, "client.start");
		evlog_int(&e, "run", (long long)i);
		evlog_int(&e, "at_ms", (long long)at[i]);
		evlog_str(&e, "argv0", argv[optind]);
		evlog_end(&e);
		start_ns = evlog_now_ns();
		pid = spawn(argv + optind, path, &sink);
		if (pid < 0) {
			st = -1;
			timed_out = false;
			if (sink.fd >= 0)
				close(sink.fd);
		} else {
			st = wait_client(pid, timeout_s * 1000ULL, &timed_out,
			    &sink);
		}
		evlog_begin(&e, log, "client.end");
		evlog_int(&e, "run", (long long)i);
		evlog_int(&e, "status", st);
		evlog_bool(&e, "timed_out", timed_out);
		evlog_bool(&e, "interrupted", runner_stop != 0 && !timed_out);
		evlog_int(&e, "ms",
		    (long long)((evlog_now_ns() - start_ns) / 1000000ULL));
		evlog_end(&e);
	}
	/* Events lost: the evidence is incomplete, and the worker must know. */
	st = evlog_errors(log) > 0 ? RUN_CLIENT_EVLOG_ERRORS : 0;
	evlog_free(log);
	return st;
}
