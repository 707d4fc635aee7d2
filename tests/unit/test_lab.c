/*
 * test_lab.c -- unit tests for harness/lab: the lab's files, and
 * lab_run's process handling (exit status, signals, a command that does
 * not exist, the environment, the hooks, the namespaces it makes).
 * lab_run's tests need root (or user namespaces) and are skipped
 * otherwise; they run no servers.  tests/integration/test_serve_shell.py
 * runs whole labs.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness/lab/lab.h"

static char tmpdir[] = "/tmp/danelab-test-lab-XXXXXX";
static struct scenario *scen;
static struct world *world;

static const char *
env(const char *name, const char *dflt)
{
	const char *v = getenv(name);

	return v != NULL ? v : dflt;
}

static char *
slurp(const char *path)
{
	char *buf;
	FILE *fp;
	long n;

	fp = fopen(path, "r");
	assert_non_null(fp);
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	buf = calloc(1, (size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	return buf;
}

static bool
exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

static bool
dir_empty(const char *path)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "test -z \"$(ls -A %s)\"", path);
	return system(cmd) == 0;
}

static int
setup(void **state)
{
	char path[1024];
	struct dl_diags d;
	int rc;

	(void)state;
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	/* lab_files_create makes its directory under $TMPDIR. */
	setenv("TMPDIR", tmpdir, 1);
	snprintf(path, sizeof(path),
	    "%s/../scenarios/control/valid-dane-ee.yaml",
	    env("DANELAB_TESTS", "tests"));
	dl_diags_init(&d);
	rc =
	    scenario_load(path, env("DANELAB_FIXTURES", "fixtures"), &scen, &d);
	if (rc == 0)
		rc = lab_world_build(scen, env("DANELAB_FIXTURES", "fixtures"),
		    NULL, &world, &d);
	if (d.n > 0)
		dl_diags_print(&d, stderr);
	dl_diags_clear(&d);
	return rc;
}

static int
teardown(void **state)
{
	(void)state;
	world_free(world);
	scenario_free(scen);
	return rmdir(tmpdir);
}

/* ---- files ---- */

static void
test_resolv_conf(void **state)
{
	char buf[256];

	(void)state;
	assert_int_equal(
	    lab_resolv_conf_format(buf, sizeof(buf), "127.53.53.53"), 0);
	assert_string_equal(buf,
	    "# danelab: the lab's validating resolver\n"
	    "nameserver 127.53.53.53\n"
	    "options edns0 trust-ad\n");
	assert_int_equal(
	    lab_resolv_conf_format(buf, 20, "127.53.53.53"), DL_ERANGE);
}

static void
test_world_phase(void **state)
{
	struct world *w = NULL;
	struct dl_diags d;

	(void)state;
	dl_diags_init(&d);
	assert_int_equal(
	    lab_world_build(scen, env("DANELAB_FIXTURES", "fixtures"),
		"no-such-phase", &w, &d),
	    DL_EINVAL);
	assert_null(w);
	assert_int_equal(d.errors, 1);
	assert_non_null(strstr(d.v[0].msg, "no phase 'no-such-phase'"));
	dl_diags_clear(&d);
}

static void
test_files(void **state)
{
	struct lab_files f;
	struct dl_diags d;
	char *text;

	(void)state;
	dl_diags_init(&d);
	assert_int_equal(lab_files_create(world,
			     env("DANELAB_FIXTURES", "fixtures"), &f, &d),
	    0);
	assert_int_equal(d.n, 0);
	assert_int_equal(strncmp(f.dir, tmpdir, strlen(tmpdir)), 0);
	assert_non_null(strstr(f.dir, "/danelab-"));

	text = slurp(f.resolv_conf);
	assert_non_null(strstr(text, "\nnameserver 127.53.53.53\n"));
	assert_non_null(strstr(text, "\noptions edns0 trust-ad\n"));
	free(text);
	text = slurp(f.root_key);
	assert_non_null(strstr(text, "DNSKEY\t257 3 13 "));
	free(text);
	text = slurp(f.root_ds);
	assert_non_null(strstr(text, "\tDS\t"));
	free(text);
	text = slurp(f.anchor_conf);
	assert_non_null(strstr(text, "trust-anchors {"));
	assert_non_null(strstr(text, ". static-key 257 3 13 \""));
	free(text);
	text = slurp(f.root_hints);
	assert_non_null(strstr(text, "a.root-servers.lab."));
	assert_non_null(strstr(text, "127.53.0.1"));
	free(text);

	lab_files_remove(&f);
	assert_string_equal(f.dir, "");
	assert_false(exists(f.world));
	assert_true(dir_empty(tmpdir));
	lab_files_remove(&f); /* idempotent */
	dl_diags_clear(&d);
}

/* ---- lab_run ---- */

struct hooks {
	const struct lab_files *files;
	char marker[PATH_MAX + 16];
	int fail; /* start returns this */
	int ready_calls;
	size_t ready_warnings; /* warnings in diags when ready came */
	pid_t supervisor;
};

/* In the supervisor: leave a marker the command can see. */
static int
hook_start(void *arg, struct dl_diags *d)
{
	struct hooks *h = arg;
	FILE *fp;

	if (h->fail != 0) {
		dl_error(d, "hook", 1, 2, "start failed on purpose");
		return h->fail;
	}
	dl_warn(d, NULL, 0, 0, "a warning from inside");
	if ((fp = fopen(h->marker, "w")) != NULL)
		fclose(fp);
	return 0;
}

static void
hook_stop(void *arg)
{
	struct hooks *h = arg;

	unlink(h->marker);
}

static void
hook_ready(void *arg, pid_t supervisor, struct dl_diags *d)
{
	struct hooks *h = arg;

	h->ready_calls++;
	h->supervisor = supervisor;
	h->ready_warnings = d->warnings;
}

static bool
can_run(void)
{
	return geteuid() == 0 || access("/proc/self/ns/user", F_OK) == 0;
}

/* Run argv in a lab with the hooks; returns lab_run's code. */
static int
run(struct hooks *h, char *const *argv, char *const *extra, int *status,
    struct dl_diags *d)
{
	struct lab_files f;
	struct lab_spec spec;
	int rc;

	assert_int_equal(
	    lab_files_create(world, env("DANELAB_FIXTURES", "fixtures"), &f, d),
	    0);
	h->files = &f;
	snprintf(h->marker, sizeof(h->marker), "%s/started", f.dir);
	memset(&spec, 0, sizeof(spec));
	spec.files = &f;
	spec.argv = argv;
	spec.env = extra;
	spec.start = hook_start;
	spec.stop = hook_stop;
	spec.ready = hook_ready;
	spec.arg = h;
	rc = lab_run(&spec, status, d);
	/* The stop hook ran: the marker is gone. */
	assert_false(exists(h->marker));
	lab_files_remove(&f);
	assert_true(dir_empty(tmpdir));
	return rc;
}

static void
test_run_status(void **state)
{
	char *exit3[] = {"sh", "-c", "exit 3", NULL};
	char *killed[] = {"sh", "-c", "kill -TERM $$", NULL};
	struct hooks h;
	struct dl_diags d;
	int status = -1;

	(void)state;
	if (!can_run())
		skip();
	memset(&h, 0, sizeof(h));
	dl_diags_init(&d);
	assert_int_equal(run(&h, exit3, NULL, &status, &d), 0);
	assert_int_equal(status, 3);
	assert_int_equal(h.ready_calls, 1);
	assert_true(h.supervisor > 0);
	/* The warning made inside came out before the command ran. */
	assert_int_equal(h.ready_warnings, 1);
	/* Again: lab_run left our pid namespace for children usable. */
	assert_int_equal(run(&h, killed, NULL, &status, &d), 0);
	assert_int_equal(status, 128 + 15);
	dl_diags_clear(&d);
}

static void
test_run_not_found(void **state)
{
	char *argv[] = {"/nonexistent/danelab-test-command", NULL};
	struct hooks h;
	struct dl_diags d;
	int status = -1;

	(void)state;
	if (!can_run())
		skip();
	memset(&h, 0, sizeof(h));
	dl_diags_init(&d);
	assert_int_equal(run(&h, argv, NULL, &status, &d), DL_ENOENT);
	assert_int_equal(status, 127);
	assert_int_equal(d.errors, 1);
	assert_non_null(strstr(
	    d.v[d.n - 1].msg, "cannot run /nonexistent/danelab-test-command"));
	dl_diags_clear(&d);
}

static void
test_run_start_fails(void **state)
{
	char *argv[] = {"true", NULL};
	struct hooks h;
	struct dl_diags d;
	int status = -1;

	(void)state;
	if (!can_run())
		skip();
	memset(&h, 0, sizeof(h));
	h.fail = DL_EIO;
	dl_diags_init(&d);
	assert_int_equal(run(&h, argv, NULL, &status, &d), DL_EIO);
	assert_int_equal(h.ready_calls, 0);
	assert_int_equal(d.errors, 1);
	assert_string_equal(d.v[0].file, "hook");
	assert_int_equal(d.v[0].line, 1);
	assert_int_equal(d.v[0].col, 2);
	assert_string_equal(d.v[0].msg, "start failed on purpose");
	dl_diags_clear(&d);
}

/* Inside: pid 2 in a new pid namespace, only lo (up) in the network
 * namespace, the lab's resolv.conf, the environment, the marker. */
static void
test_run_inside(void **state)
{
	char *argv[] = {"sh", "-c",
	    "test $$ = 2 && "
	    "test \"$(grep -c : /proc/net/dev)\" = 1 && grep -q lo: "
	    "/proc/net/dev && "
	    "grep -q '^nameserver 127.53.53.53$' /etc/resolv.conf && "
	    "grep -q '^options edns0 trust-ad$' /etc/resolv.conf && "
	    "test \"$DANELAB_TEST\" = 'a b' && test \"$HOME\" = /nowhere && "
	    "test -e \"$(echo \"$TMPDIR\"/danelab-*/started)\"",
	    NULL};
	char home[] = "HOME=/nowhere", test[] = "DANELAB_TEST=a b";
	char *extra[] = {home, test, NULL};
	struct hooks h;
	struct dl_diags d;
	int status = -1;

	(void)state;
	if (!can_run())
		skip();
	memset(&h, 0, sizeof(h));
	dl_diags_init(&d);
	assert_int_equal(run(&h, argv, extra, &status, &d), 0);
	assert_int_equal(status, 0);
	dl_diags_clear(&d);
}

/*
 * lab_tmp_sweep removes the directory of a process that died (its lock
 * released by the kernel), and nothing else: not a live process's, not a
 * danelab-* directory without a lock file, not through a symlink.
 */
static void
test_tmp_sweep(void **state)
{
	char live[PATH_MAX], dead[PATH_MAX], path[PATH_MAX + 32];
	struct dl_diags d;
	ssize_t got;
	pid_t pid;
	int p[2], ws;

	(void)state;
	dl_diags_init(&d);
	assert_int_equal(lab_tmp_create("", live, sizeof(live), &d), 0);
	snprintf(path, sizeof(path), "%s/.danelab-owner", live);
	assert_int_equal(access(path, F_OK), 0);

	/* A child makes one and is killed: nothing can clean up. */
	assert_int_equal(pipe(p), 0);
	if ((pid = fork()) == 0) {
		char mine[PATH_MAX];

		if (lab_tmp_create("x-", mine, sizeof(mine), NULL) != 0)
			_exit(1);
		if (write(p[1], mine, strlen(mine) + 1) < 0)
			_exit(1);
		pause();
		_exit(0);
	}
	close(p[1]);
	got = read(p[0], dead, sizeof(dead) - 1);
	close(p[0]);
	assert_true(got > 0);
	dead[got] = '\0';
	kill(pid, SIGKILL);
	waitpid(pid, &ws, 0);
	assert_int_equal(access(dead, F_OK), 0);

	/* No lock file (an older danelab's, one being made): kept. */
	snprintf(path, sizeof(path), "%s/danelab-nolock", tmpdir);
	assert_int_equal(mkdir(path, 0700), 0);
	/* A symlink named like ours, to a dead one's copy: not followed. */
	snprintf(path, sizeof(path), "%s/danelab-link", tmpdir);
	assert_int_equal(symlink(dead, path), 0);

	assert_int_equal(lab_tmp_sweep(), 1);
	assert_int_not_equal(access(dead, F_OK), 0);
	assert_int_equal(access(live, F_OK), 0);
	snprintf(path, sizeof(path), "%s/danelab-nolock", tmpdir);
	assert_int_equal(access(path, F_OK), 0);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/danelab-link", tmpdir);
	unlink(path);

	lab_tmp_remove(live);
	assert_int_not_equal(access(live, F_OK), 0);
	assert_int_equal(lab_tmp_sweep(), 0);
	dl_diags_clear(&d);
}

/*
 * A $TMPDIR that client configurations cannot carry (Postfix main.cf
 * expands '$', a space separates) is refused, naming the byte, and
 * nothing is made.
 */
static void
test_tmp_unsafe_root(void **state)
{
	char bad[PATH_MAX], out[PATH_MAX];
	struct dl_diags d;
	char msg[1024];

	(void)state;
	snprintf(bad, sizeof(bad), "%s/a $b", tmpdir);
	assert_int_equal(mkdir(bad, 0700), 0);
	setenv("TMPDIR", bad, 1);
	dl_diags_init(&d);
	assert_int_not_equal(lab_tmp_create("", out, sizeof(out), &d), 0);
	assert_int_equal(d.errors, 1);
	dl_diag_format(&d.v[0], msg, sizeof(msg));
	snprintf(out, sizeof(out), "holds ' ' at byte %zu", strlen(tmpdir) + 3);
	if (strstr(msg, out) == NULL)
		fail_msg("%s: no \"%s\"", msg, out);
	dl_diags_clear(&d);
	setenv("TMPDIR", tmpdir, 1);
	assert_int_equal(rmdir(bad), 0); /* still empty */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_resolv_conf),
	    cmocka_unit_test(test_world_phase),
	    cmocka_unit_test(test_files),
	    cmocka_unit_test(test_tmp_sweep),
	    cmocka_unit_test(test_tmp_unsafe_root),
	    cmocka_unit_test(test_run_status),
	    cmocka_unit_test(test_run_not_found),
	    cmocka_unit_test(test_run_start_fails),
	    cmocka_unit_test(test_run_inside),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
