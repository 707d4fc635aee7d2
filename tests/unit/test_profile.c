/*
 * test_profile.c -- unit tests of harness/clients (client profiles).
 *
 * Files under tests/clients/ (paths in diagnostics are relative to the
 * source root, where the test runs):
 *   bad/X.yaml      must fail to load; the diagnostics printed must equal
 *                   bad/X.expected exactly (DANELAB_UPDATE_EXPECTED=1
 *                   rewrites the .expected files, to be reviewed);
 *   good/           profiles for deviations and rendering;
 *   samples/X.out   real output of each client, captured in lab worlds
 *                   (see harness/clients/README.md), read for claims.
 * The three real profiles of harness/clients/ are loaded too.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/unit/testutil.h"

#include "danelab_config.h"
#include "harness/clients/profile.h"
#include "harness/clients/profile_internal.h"
#include "harness/run/run.h"
#include "simulator/util/diag.h"




static struct client_profile *
load_ok(const char *path)
{
	struct client_profile *p = NULL;
	struct dl_diags d;
	int rc;

	dl_diags_init(&d);
	rc = profile_load(path, &p, &d);
	if (rc != 0 || d.n != 0) {
		char *t = tu_diags_text(&d);

		print_message("# %s: %s\n%s", path, dl_strerror(rc), t);
		free(t);
	}
	assert_int_equal(rc, 0);
	assert_int_equal(d.n, 0);
	dl_diags_clear(&d);
	return p;
}

static const struct profile_vars vars;

/* Render p's argv with vars and compare with want (NULL-terminated). */
static void
check_argv(const struct client_profile *p, const char *const *want)
{
	struct dl_diags d;
	char **argv = NULL;
	size_t i;

	dl_diags_init(&d);
	assert_int_equal(profile_render_argv(p, &vars, &argv, &d), 0);
	for (i = 0; want[i] != NULL; i++) {
		assert_non_null(argv[i]);
		assert_string_equal(argv[i], want[i]);
	}
	assert_null(argv[i]);
	profile_strv_free(argv);
	dl_diags_clear(&d);
}

/* ---- the real profiles -------------------------------------------------- */

static void
test_real_profiles(void **state)
{
	struct client_profile *p;
	char why[256];

	(void)state;
	p = load_ok("harness/clients/reference.yaml");
	assert_string_equal(p->name, "reference");
	assert_true(p->delivers);
	assert_int_equal(p->argc, 7);
	assert_string_equal(p->argv[0], "{danelab}");
	assert_int_equal(p->n_requires, 0);
	assert_true(profile_available(p, why, sizeof(why)));
	assert_string_equal(p->policy_value[SCEN_POLICY_DANE_ONLY],
	    "dane-only");
	assert_int_equal(p->n_devs, 0);
	/* Exit statuses: declared ones mean something, others are errors. */
	assert_int_equal(profile_exit_meaning(p, 0), PROFILE_EXIT_DONE);
	assert_int_equal(profile_exit_meaning(p, 1), PROFILE_EXIT_DEFERRED);
	assert_int_equal(profile_exit_meaning(p, 3), PROFILE_EXIT_UNDECLARED);
	assert_int_equal(profile_exit_meaning(p, 139),
	    PROFILE_EXIT_UNDECLARED);
	assert_true(profile_alive(p, "x\ndecision: defer\n", 19));
	assert_false(profile_alive(p, "Segmentation fault\n", 19));
	assert_false(profile_alive(p, NULL, 0));
	check_argv(p, (const char *const[]){ "/usr/bin/danelab", "probe",
	    "example.net", "--policy", "opportunistic-dane", "--anchor",
	    "/tmp/root.key", NULL });
	profile_free(p);

	p = load_ok("harness/clients/posttls-finger.yaml");
	assert_false(p->delivers);
	assert_int_equal(p->n_env, 1);
	assert_string_equal(p->env[0], "MAIL_CONFIG={mail_config}");
	assert_int_equal(p->timeout_s, 60);
	assert_true(p->n_devs >= 2);
	assert_non_null(profile_deviation(p, "control/unsigned", NULL,
	    SCEN_POLICY_DANE_ONLY));
	assert_null(profile_deviation(p, "control/unsigned", NULL,
	    SCEN_POLICY_DANE));
	assert_int_equal(profile_deviation(p, "control/unsigned", NULL,
	    SCEN_POLICY_DANE_ONLY)->rule, RULE_NEXT_MX_USED);
	/* Silent at a server without STARTTLS: no liveness line. */
	assert_null(p->alive);
	assert_true(profile_alive(p, "", 0));
	assert_int_equal(profile_exit_meaning(p, 1), PROFILE_EXIT_UNDECLARED);
	check_argv(p, (const char *const[]){ "posttls-finger", "-t30", "-c",
	    "-l", "opportunistic-dane", "-P", "/etc/ssl/certs", "example.net",
	    NULL });
	profile_free(p);

	p = load_ok("harness/clients/swaks.yaml");
	assert_true(p->delivers);
	assert_string_equal(p->requires[0], "swaks");
	assert_non_null(p->policy_value[SCEN_POLICY_DANE_ONLY]);
	check_argv(p, (const char *const[]){ "swaks", "--to",
	    "postmaster@example.net", "--from", "danelab@example.org",
	    "--tls-optional", "--timeout", "20", "--header",
	    "Subject: danelab test (opportunistic-dane)", NULL });
	profile_free(p);
}

static void
test_find(void **state)
{
	struct client_profile *p = NULL;
	struct dl_diags d;
	char *t;

	(void)state;
	dl_diags_init(&d);
	assert_int_equal(profile_find("harness/clients", "swaks", &p, &d), 0);
	assert_string_equal(p->file, "harness/clients/swaks.yaml");
	profile_free(p);
	p = NULL;
	assert_int_equal(profile_find(NULL,
	    "harness/clients/reference.yaml", &p, &d), 0);
	profile_free(p);
	p = NULL;
	assert_int_equal(profile_find("harness/clients", "nosuch", &p, &d),
	    DL_ENOENT);
	assert_null(p);
	/* A name with a '/' is a path: this one does not exist. */
	assert_int_equal(profile_find("harness/clients", "../etc/x", &p, &d),
	    DL_ENOENT);
	t = tu_diags_text(&d);
	assert_non_null(strstr(t, "error: unknown client 'nosuch' (known "
	    "clients: "));
	assert_non_null(strstr(t, "posttls-finger, reference, swaks"));
	free(t);
	dl_diags_clear(&d);

	/*
	 * $DANELAB_CLIENTS is a search path in front of the built-in
	 * profiles: a user's profile adds to them (the reference client is
	 * still found), one of the same name shadows the built-in one, and
	 * an unknown name lists both.
	 */
	dl_diags_init(&d);
	setenv("DANELAB_CLIENTS", "/nonexistent:tests/clients/search", 1);
	assert_int_equal(profile_find(NULL, "mine", &p, &d), 0);
	assert_string_equal(p->file, "tests/clients/search/mine.yaml");
	profile_free(p);
	p = NULL;
	assert_int_equal(profile_find(NULL, "swaks", &p, &d), 0);
	assert_string_equal(p->description, "the user's own swaks");
	profile_free(p);
	p = NULL;
	assert_int_equal(profile_find(NULL, "reference", &p, &d), 0);
	assert_non_null(strstr(p->file, "harness/clients/reference.yaml"));
	profile_free(p);
	p = NULL;
	assert_int_equal(profile_find(NULL, "nosuch", &p, &d), DL_ENOENT);
	t = tu_diags_text(&d);
	assert_non_null(strstr(t, "mine, "));
	assert_non_null(strstr(t, "reference"));
	free(t);
	unsetenv("DANELAB_CLIENTS");
	dl_diags_clear(&d);
}

/*
 * profile_known (danelab list --clients, the bash completion): every
 * name --client finds, sorted, once, with the file profile_find takes:
 * a $DANELAB_CLIENTS profile shadows the built-in one of its name.
 */
static void
test_known(void **state)
{
	char *names[PROFILE_MAX_KNOWN], *files[PROFILE_MAX_KNOWN];
	size_t n, i, swaks = 0, mine = 0, ref = 0;

	(void)state;
	setenv("DANELAB_CLIENTS", "/nonexistent:tests/clients/search", 1);
	n = profile_known(names, files, PROFILE_MAX_KNOWN);
	unsetenv("DANELAB_CLIENTS");
	assert_true(n >= 9);
	for (i = 0; i < n; i++) {
		if (i > 0)
			assert_true(strcmp(names[i - 1], names[i]) < 0);
		if (strcmp(names[i], "swaks") == 0) {
			swaks++;
			assert_string_equal(files[i],
			    "tests/clients/search/swaks.yaml");
		} else if (strcmp(names[i], "mine") == 0) {
			mine++;
			assert_string_equal(files[i],
			    "tests/clients/search/mine.yaml");
		} else if (strcmp(names[i], "reference") == 0) {
			ref++;
			assert_non_null(strstr(files[i],
			    "harness/clients/reference.yaml"));
		}
	}
	for (i = 0; i < n; i++) {
		free(names[i]);
		free(files[i]);
	}
	assert_int_equal(swaks, 1);
	assert_int_equal(mine, 1);
	assert_int_equal(ref, 1);
	/* At most max. */
	n = profile_known(names, files, 2);
	assert_int_equal(n, 2);
	for (i = 0; i < n; i++) {
		free(names[i]);
		free(files[i]);
	}
}

/* ---- malformed profiles ------------------------------------------------ */

static void
match_expected(const char *what, const char *expected_path, const char *got)
{
	char *want;

	if (getenv("DANELAB_UPDATE_EXPECTED") != NULL) {
		tu_write_text(expected_path, got);
		return;
	}
	want = tu_read_text(expected_path, NULL);
	if (want == NULL)
		fail_msg("%s: cannot read %s", what, expected_path);
	if (strcmp(want, got) != 0) {
		print_message("# %s: diagnostics differ from %s\n"
		    "# --- expected\n%s# --- got\n%s", what, expected_path,
		    want, got);
		free(want);
		fail();
	}
	free(want);
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
test_bad_profiles(void **state)
{
	const char *dir = "tests/clients/bad";
	char *names[64];
	size_t n = 0, i;
	struct dirent *e;
	DIR *dp;

	(void)state;
	dp = opendir(dir);
	assert_non_null(dp);
	while ((e = readdir(dp)) != NULL) {
		size_t l = strlen(e->d_name);

		if (l > 5 && strcmp(e->d_name + l - 5, ".yaml") == 0) {
			assert_true(n < 64);
			names[n++] = strdup(e->d_name);
		}
	}
	closedir(dp);
	qsort(names, n, sizeof(*names), name_cmp);
	assert_true(n >= 15);
	for (i = 0; i < n; i++) {
		struct client_profile *p = NULL;
		struct dl_diags d;
		char path[PATH_MAX], exp[PATH_MAX];
		char *got;
		int rc;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		snprintf(exp, sizeof(exp), "%s/%.*s.expected", dir,
		    (int)(strlen(names[i]) - 5), names[i]);
		dl_diags_init(&d);
		rc = profile_load(path, &p, &d);
		if (rc != DL_EINVAL)
			print_message("# %s: %s\n", path, dl_strerror(rc));
		assert_int_equal(rc, DL_EINVAL);
		assert_null(p);
		got = tu_diags_text(&d);
		match_expected(path, exp, got);
		free(got);
		dl_diags_clear(&d);
		free(names[i]);
	}
}

/*
 * The pattern bound: what glibc's regcomp would blow up on is refused
 * before it sees it, with the offset; what real profiles write passes.
 */
static void
test_pattern_bound(void **state)
{
	static const struct {
		const char *pat;
		int rc;
		size_t where;
	} t[] = {
	    {"^Verified TLS connection established to ([^[]+)\\[", 0, 0},
	    {"a{1,255}", 0, 0},
	    {"(x+)(x+)(x+)(x+)(x+)(x+)(x+)(x+)(x+)(x+)", 0, 0},
	    {"[]+{}()]+*?", 0, 0},		/* all literal in brackets */
	    {"[[:alpha:]]+[[.-.]]", 0, 0},
	    {"\\(\\+\\+\\+", 0, 0},		/* escaped: literals */
	    {"a{2,1}", 0, 0},			/* regcomp's error */
	    {"a++++++++++++++++++++", DL_EINVAL, 12},
	    {"((((((((((((a+)+)+)+)+)+)+)+)+)+)+)+)+", DL_EINVAL, 33},
	    {"(ab){300}", DL_EINVAL, 4},
	    {"((a{1,100}){1,100})", DL_EINVAL, 11},
	    {"(((((((((((((((((x)))))))))))))))))", DL_EINVAL, 16},
	    {"(a*)*b\\1", DL_EINVAL, 6},
	};
	char why[128];
	size_t i, at;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		at = 0;
		if (profile_pattern_check(t[i].pat, &at, why, sizeof(why)) !=
		    t[i].rc || at != t[i].where)
			fail_msg("%s: want %d at %zu, got at %zu", t[i].pat,
			    t[i].rc, t[i].where, at);
	}
}

/* A profile file over PROFILE_MAX_FILE is refused before parsing. */
static void
test_too_big(void **state)
{
	char dir[] = "/tmp/dl-profile-XXXXXX", path[PATH_MAX], *t;
	struct client_profile *p = NULL;
	struct dl_diags d;
	FILE *fp;
	size_t i;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/big.yaml", dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("version: 1\nname: big\nargv: [true]\n", fp);
	for (i = 0; i < PROFILE_MAX_FILE / 16; i++)
		fputs("# padding .....\n", fp);
	fclose(fp);
	dl_diags_init(&d);
	assert_int_equal(profile_load(path, &p, &d), DL_EINVAL);
	t = tu_diags_text(&d);
	assert_non_null(strstr(t, "big.yaml: error: file too large ("));
	assert_non_null(strstr(t, " bytes, at most 65536)\n"));
	free(t);
	dl_diags_clear(&d);
	unlink(path);
	rmdir(dir);
}

/* ---- deviations -------------------------------------------------------- */

static void
test_deviations(void **state)
{
	struct client_profile *p;
	const struct profile_deviation *v;

	(void)state;
	p = load_ok("tests/clients/good/devtest.yaml");
	assert_int_equal(p->n_devs, 5);
	assert_string_equal(p->devs[0].scenario, "rollover/stale-tlsa");
	assert_string_equal(p->devs[0].phase, "renewed");
	assert_int_equal(p->devs[0].policy, SCEN_POLICY_DANE_ONLY);
	assert_int_equal(p->devs[0].line, 2);
	assert_string_equal(p->devs[3].reason, "tabs and trailing spaces");
	assert_int_equal(p->devs[3].policy, -1);
	assert_int_equal(p->devs[0].rule, RULE_NEXT_MX_USED);
	assert_int_equal(p->devs[3].rule, RULE_TIMEOUT);
	/* "RULE?": a draw of the client's own; the others are not. */
	assert_int_equal(p->devs[4].rule, RULE_UNDELIVERED);
	assert_true(p->devs[4].sometimes);
	assert_false(p->devs[0].sometimes);
	assert_false(p->devs[3].sometimes);

	/* Phase and policy: the first line, else the prefix line. */
	v = profile_deviation(p, "rollover/stale-tlsa", "renewed",
	    SCEN_POLICY_DANE_ONLY);
	assert_non_null(v);
	assert_int_equal(v->line, 2);
	v = profile_deviation(p, "rollover/stale-tlsa", "renewed",
	    SCEN_POLICY_DANE);
	assert_non_null(v);
	assert_int_equal(v->line, 3);
	v = profile_deviation(p, "rollover/stale-tlsa", NULL,
	    SCEN_POLICY_DANE_ONLY);
	assert_int_equal(v->line, 3);
	/* Prefix: only whole folder names. */
	assert_null(profile_deviation(p, "rolloverx/a", NULL,
	    SCEN_POLICY_DANE));
	assert_null(profile_deviation(p, "rollover", NULL, SCEN_POLICY_DANE));
	/* Policy. */
	assert_non_null(profile_deviation(p, "ca/intermediate-change",
	    "fixed", SCEN_POLICY_DANE));
	assert_null(profile_deviation(p, "ca/intermediate-change", "fixed",
	    SCEN_POLICY_DANE_ONLY));
	assert_null(profile_deviation(p, "ca/intermediate", NULL,
	    SCEN_POLICY_DANE));
	assert_non_null(profile_deviation(p, "dnssec/missing-ds", NULL,
	    SCEN_POLICY_DANE_ONLY));
	assert_null(profile_deviation(p, "control/valid-dane-ee", NULL,
	    SCEN_POLICY_DANE));
	profile_free(p);
}

/* Deviations that name no scenario of the catalogue are warned about. */
static void
test_deviations_check(void **state)
{
	struct client_profile *p;
	struct scenario a, b, c, e, *v[4] = { &a, &b, &e, &c };
	struct scen_phase ph;
	struct dl_diags d;
	char *t;

	(void)state;
	p = load_ok("tests/clients/good/devtest.yaml");
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	memset(&c, 0, sizeof(c));
	memset(&e, 0, sizeof(e));
	memset(&ph, 0, sizeof(ph));
	ph.name = (char *)"renewed";
	a.id = (char *)"rollover/stale-tlsa";
	a.phases = &ph;
	a.n_phases = 1;
	b.id = (char *)"ca/intermediate-change";
	c.id = (char *)"dnssec/missing-ds";
	e.id = (char *)"mx/equal-preference-one-broken";
	dl_diags_init(&d);
	assert_int_equal(profile_deviations_check(p, v, 4, &d), 0);
	assert_int_equal(profile_deviations_check(p, v, 3, &d), 1);
	t = tu_diags_text(&d);
	assert_non_null(strstr(t, "devtest.deviations:5:1: warning: "
	    "'dnssec/missing-ds' names no scenario"));
	free(t);
	dl_diags_clear(&d);
	/* A phase the scenario does not have. */
	ph.name = (char *)"other";
	dl_diags_init(&d);
	assert_int_equal(profile_deviations_check(p, v, 4, &d), 1);
	t = tu_diags_text(&d);
	assert_non_null(strstr(t, "devtest.deviations:2:1: warning: "
	    "'rollover/stale-tlsa@renewed' names no scenario (or phase)"));
	free(t);
	dl_diags_clear(&d);
	profile_free(p);
}

/* ---- rendering --------------------------------------------------------- */

static const struct profile_vars vars = {
	.domain = "example.net",
	.policy = "opportunistic-dane",
	.danelab = "/usr/bin/danelab",
	.anchor = "/tmp/root.key",
	.mail_config = "/tmp/mc",
	.mx1 = "mx1.example.net",
	.from = "danelab@example.org",
	.rcpt = "postmaster@example.net",
};

static void
test_render(void **state)
{
	struct client_profile *p;
	struct profile_vars v = vars;
	struct dl_diags d;
	char **argv = NULL, **env = NULL, *big, *t;
	char why[128];

	(void)state;
	p = load_ok("tests/clients/good/render.yaml");
	assert_null(p->policy_value[SCEN_POLICY_DANE_ONLY]);
	assert_string_equal(p->skip_reason[SCEN_POLICY_DANE_ONLY],
	    "no mandatory mode");
	assert_true(profile_available(p, why, sizeof(why)));
	dl_diags_init(&d);
	assert_int_equal(profile_render_argv(p, &v, &argv, &d), 0);
	assert_string_equal(argv[0], "/usr/bin/danelab");
	assert_string_equal(argv[1], "--to=postmaster@example.net");
	assert_string_equal(argv[2], "{literal}");
	assert_string_equal(argv[3], "x{example.net}y");
	assert_string_equal(argv[4], "opportunistic-dane");
	assert_null(argv[5]);
	profile_strv_free(argv);

	v.mx1 = NULL;		/* an unset variable renders empty */
	assert_int_equal(profile_render_env(p, &v, &env, &d), 0);
	assert_string_equal(env[0], "MAIL_CONFIG=/tmp/mc");
	assert_string_equal(env[1], "EMPTY=");
	assert_null(env[2]);
	profile_strv_free(env);
	assert_int_equal(d.n, 0);

	/* A value that makes an argument longer than the bound. */
	big = malloc(PROFILE_MAX_RENDERED + 1);
	assert_non_null(big);
	memset(big, 'a', PROFILE_MAX_RENDERED - 4);
	big[PROFILE_MAX_RENDERED - 4] = '\0';
	v.rcpt = big;		/* "--to=" + 4092 bytes: 4097 */
	argv = NULL;
	assert_int_equal(profile_render_argv(p, &v, &argv, &d), DL_ERANGE);
	assert_null(argv);
	v.rcpt = big + 1;	/* exactly 4096: fits */
	assert_int_equal(profile_render_argv(p, &v, &argv, &d), 0);
	assert_int_equal(strlen(argv[1]), PROFILE_MAX_RENDERED);
	profile_strv_free(argv);
	free(big);
	t = tu_diags_text(&d);
	assert_string_equal(t, "tests/clients/good/render.yaml: error: "
	    "argument 1 ('--to={rcpt}') is longer than 4096 bytes once "
	    "rendered\n");
	free(t);
	dl_diags_clear(&d);
	profile_free(p);
}

static void
test_render_files(void **state)
{
	char dir[] = "/tmp/dl-profile-XXXXXX", path[PATH_MAX], *t;
	struct profile_vars v = vars;
	struct client_profile *p;
	struct dl_diags d;
	struct stat st;

	(void)state;
	p = load_ok("tests/clients/good/render.yaml");
	assert_non_null(mkdtemp(dir));
	v.dir = dir;
	dl_diags_init(&d);
	assert_int_equal(profile_render_files(p, &v, &d), 0);
	snprintf(path, sizeof(path), "%s/main.cf", dir);
	t = tu_read_text(path, NULL);
	assert_string_equal(t, "relay = [mx1.example.net]\n"
	    "anchor = /tmp/root.key\n{not a var}\n");
	free(t);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* Never replaced: a second rendering fails. */
	assert_int_equal(profile_render_files(p, &v, &d), DL_EIO);
	unlink(path);
	/* Never through a symbolic link. */
	assert_int_equal(symlink("/tmp/dl-profile-target-never", path), 0);
	assert_int_equal(profile_render_files(p, &v, &d), DL_EIO);
	assert_int_not_equal(access("/tmp/dl-profile-target-never", F_OK), 0);
	assert_int_equal(d.errors, 2);
	unlink(path);
	rmdir(dir);
	dl_diags_clear(&d);
	profile_free(p);
}

static void
test_available(void **state)
{
	struct client_profile *p;
	char why[128];
	char *saved = getenv("PATH") ? strdup(getenv("PATH")) : NULL;

	(void)state;
	p = load_ok("tests/clients/good/render.yaml");
	free(p->requires[0]);
	p->requires[0] = strdup("danelab-no-such-program");
	assert_false(profile_available(p, why, sizeof(why)));
	assert_string_equal(why,
	    "danelab-no-such-program not installed (not in PATH)");
	free(p->requires[0]);
	p->requires[0] = strdup("/nonexistent/prog");
	assert_false(profile_available(p, why, sizeof(why)));
	assert_string_equal(why,
	    "/nonexistent/prog not installed (not an executable file)");
	free(p->requires[0]);
	p->requires[0] = strdup("/bin/sh");
	assert_true(profile_available(p, why, sizeof(why)));
	/* PATH is searched: sh is not found in a PATH without it. */
	free(p->requires[0]);
	p->requires[0] = strdup("sh");
	setenv("PATH", "/nonexistent", 1);
	assert_false(profile_available(p, why, sizeof(why)));
	setenv("PATH", "/nonexistent:/bin", 1);
	assert_true(profile_available(p, why, sizeof(why)));
	if (saved != NULL)
		setenv("PATH", saved, 1);
	free(saved);
	/*
	 * {env:NAME}: a client off PATH (Exim from $DANELAB_EXIM); unset,
	 * the reason names the variable.
	 */
	free(p->requires[0]);
	p->requires[0] = strdup("{env:DANELAB_TEST_ROOT}/sh");
	unsetenv("DANELAB_TEST_ROOT");
	assert_false(profile_available(p, why, sizeof(why)));
	assert_string_equal(why, "/sh not installed (not an executable "
	    "file; $DANELAB_TEST_ROOT is not set: see the profile's "
	    "description)");
	setenv("DANELAB_TEST_ROOT", "/bin", 1);
	assert_true(profile_available(p, why, sizeof(why)));
	unsetenv("DANELAB_TEST_ROOT");
	profile_free(p);
}

/* {env:NAME} renders danelab's environment; a bad name is refused. */
static void
test_render_env_var(void **state)
{
	struct client_profile p;
	struct profile_vars v = { .domain = "example.net", .dir = "/d" };
	char *t[] = { "{env:DANELAB_TEST_X}/bin:{domain}:{env:DANELAB_NOPE}",
		      NULL };
	char **out = NULL, why[128];
	struct dl_diags d;

	(void)state;
	memset(&p, 0, sizeof(p));
	p.file = "x.yaml";
	dl_diags_init(&d);
	setenv("DANELAB_TEST_X", "/opt/x", 1);
	unsetenv("DANELAB_NOPE");
	assert_int_equal(profile_render_strv(&p, t, 1, &v, "argument", &out,
	    &d), 0);
	assert_string_equal(out[0], "/opt/x/bin:example.net:");
	profile_strv_free(out);
	unsetenv("DANELAB_TEST_X");
	assert_int_equal(profile_template_check("{env:}", why, sizeof(why)),
	    DL_EINVAL);
	assert_int_equal(profile_template_check("{env:9X}", why,
	    sizeof(why)), DL_EINVAL);
	assert_int_equal(profile_template_check("{env:A-B}", why,
	    sizeof(why)), DL_EINVAL);
	assert_int_equal(profile_template_check("{env:DANELAB_EXIM}", why,
	    sizeof(why)), 0);
	dl_diags_clear(&d);
}

/* ---- claims on real output --------------------------------------------- */

struct want_host {
	const char *host;
	enum run_claim claim;
	const char *label;
};

static void
check_claims(const struct client_profile *p, const char *sample,
    const char *first_mx, enum scen_action overall,
    const struct want_host *want, size_t n)
{
	struct profile_claims c;
	char path[PATH_MAX], *out;
	size_t len, i;

	snprintf(path, sizeof(path), "tests/clients/samples/%s", sample);
	out = tu_read_text(path, &len);
	if (out == NULL)
		fail_msg("cannot read %s", path);
	profile_read_claims(p, out, len, first_mx, &c);
	free(out);
	if (c.n != n || c.overall != overall) {
		print_message("# %s: %zu hosts, overall %d\n", sample, c.n,
		    (int)c.overall);
		for (i = 0; i < c.n; i++)
			print_message("#   %s %d %s\n", c.host[i].host,
			    (int)c.host[i].claim, c.host[i].label);
	}
	assert_int_equal(c.overall, overall);
	assert_int_equal(c.n, n);
	for (i = 0; i < n; i++) {
		assert_string_equal(c.host[i].host, want[i].host);
		assert_int_equal(c.host[i].claim, want[i].claim);
		if (want[i].label != NULL)
			assert_string_equal(c.host[i].label, want[i].label);
	}
}

#define CHECK(p, s, mx, ov, ...) do { \
	const struct want_host w_[] = { __VA_ARGS__ }; \
	check_claims((p), (s), (mx), (ov), w_, sizeof(w_) / sizeof(w_[0])); \
} while (0)
#define CHECK_NONE(p, s, mx, ov) check_claims((p), (s), (mx), (ov), NULL, 0)

static const char *mx1 = "MX1.example.net.";	/* normalised */
static const char *h1 = "mx1.example.net", *h2 = "mx2.example.net";

static void
test_claims_posttls_finger(void **state)
{
	struct client_profile *p;

	(void)state;
	p = load_ok("harness/clients/posttls-finger.yaml");
	CHECK(p, "ptf-valid-dane-ee.out", mx1, SCEN_ACT_UNSET,
	    { h1, RUN_CLAIM_AUTH, "Verified" });
	CHECK(p, "ptf-valid-dane-ta.out", mx1, SCEN_ACT_UNSET,
	    { h1, RUN_CLAIM_AUTH, "Verified" });
	/* num=65 then "Untrusted": the refusal sticks. */
	CHECK(p, "ptf-stale-tlsa-renewed.out", mx1, SCEN_ACT_UNSET,
	    { h1, RUN_CLAIM_REFUSE, "no matching DANE TLSA records" });
	CHECK(p, "ptf-intermediate-change-r3.out", mx1, SCEN_ACT_UNSET,
	    { h1, RUN_CLAIM_REFUSE, "no matching DANE TLSA records" });
	CHECK(p, "ptf-unsigned-dane.out", mx1, SCEN_ACT_UNSET,
	    { h1, RUN_CLAIM_ENCRYPT, "Untrusted" });
	/* The PKIX fallback (a listed deviation): still "Untrusted". */
	CHECK(p, "ptf-unsigned-dane-only.out", mx1, SCEN_ACT_UNSET,
	    { h1, RUN_CLAIM_ENCRYPT, "Untrusted" });
	CHECK_NONE(p, "ptf-ds-mismatch.out", mx1, SCEN_ACT_DEFER);
	CHECK(p, "ptf-tlsa-rrsig-expired.out", mx1, SCEN_ACT_UNSET,
	    { h1, RUN_CLAIM_REFUSE, "TLSA lookup error" },
	    { h2, RUN_CLAIM_AUTH, "Verified" });
	/* Stops at MX 10 after a DANE failure: nothing about mx2. */
	CHECK(p, "ptf-two-mx-mismatch.out", mx1, SCEN_ACT_UNSET,
	    { h1, RUN_CLAIM_REFUSE, NULL });
	/* Insecure MX RRset, secure TLSA at the MX host: "Trusted". */
	CHECK(p, "ptf-insecure-mx.out", mx1, SCEN_ACT_UNSET,
	    { "mx1.example.org", RUN_CLAIM_AUTH, "Trusted" });
	/* No STARTTLS: posttls-finger -c says nothing. */
	CHECK_NONE(p, "ptf-plain-unsigned-dane-only.out", mx1,
	    SCEN_ACT_UNSET);
	profile_free(p);
}

static void
test_claims_reference(void **state)
{
	struct client_profile *p;

	(void)state;
	p = load_ok("harness/clients/reference.yaml");
	CHECK(p, "ref-valid-dane-ee.out", NULL, SCEN_ACT_AUTH,
	    { h1, RUN_CLAIM_AUTH, "tls-authenticated" });
	CHECK(p, "ref-unsigned-dane.out", NULL, SCEN_ACT_OPPORTUNISTIC,
	    { h1, RUN_CLAIM_ENCRYPT, "tls-unauthenticated" });
	CHECK(p, "ref-missing-ds-dane.out", NULL, SCEN_ACT_OPPORTUNISTIC,
	    { h1, RUN_CLAIM_ENCRYPT, NULL });
	CHECK(p, "ref-unsigned-dane-only.out", NULL, SCEN_ACT_DEFER,
	    { h1, RUN_CLAIM_REFUSE, "skip" });
	CHECK(p, "ref-tlsa-rrsig-expired.out", NULL, SCEN_ACT_AUTH,
	    { h1, RUN_CLAIM_REFUSE, "skip" },
	    { h2, RUN_CLAIM_AUTH, "tls-authenticated" });
	CHECK(p, "ref-stale-tlsa-renewed.out", NULL, SCEN_ACT_DEFER,
	    { h1, RUN_CLAIM_REFUSE, "auth-failed" });
	CHECK_NONE(p, "ref-ds-mismatch.out", NULL, SCEN_ACT_DEFER);
	CHECK(p, "ref-plain-unsigned.out", NULL, SCEN_ACT_OPPORTUNISTIC,
	    { h1, RUN_CLAIM_PLAIN, "plaintext" });
	CHECK(p, "ref-starttls-off.out", NULL, SCEN_ACT_DEFER,
	    { h1, RUN_CLAIM_REFUSE, "no-starttls" });
	profile_free(p);
}

static void
test_claims_swaks(void **state)
{
	struct client_profile *p;

	(void)state;
	p = load_ok("harness/clients/swaks.yaml");
	/* "TLS started": a note, no claim (swaks says nothing of auth). */
	CHECK(p, "swaks-valid-dane-ee.out", NULL, SCEN_ACT_UNSET,
	    { h1, RUN_CLAIM_NONE, "TLS started" });
	CHECK(p, "swaks-plain-unsigned.out", NULL, SCEN_ACT_UNSET,
	    { h1, RUN_CLAIM_PLAIN, "cleartext" });
	/* STARTTLS failed, then MAIL FROM in clear. */
	CHECK(p, "swaks-handshake-failure.out", NULL, SCEN_ACT_UNSET,
	    { h1, RUN_CLAIM_PLAIN, "cleartext" });
	/* MX lookup failed: it tried the domain's A record, nothing said. */
	CHECK_NONE(p, "swaks-ds-mismatch.out", NULL, SCEN_ACT_UNSET);
	profile_free(p);
}

/* Claims without a group; REFUSE sticky; later AUTH replaces. */
static void
test_claims_rules(void **state)
{
	static const char out[] =
	    "fail\r\n"			/* mx1 (first_mx): refuse */
	    "tls\n"			/* encrypt: refuse kept */
	    "host MX2.Example.NET.\n"	/* now mx2 */
	    "tls\n"
	    "good to MX3.example.net\n"	/* auth, group */
	    "plain\n"			/* mx3 now: plain replaces auth */
	    "decision: opportunistic\0tail";
	struct client_profile *p;
	struct profile_claims c;

	(void)state;
	p = load_ok("tests/clients/good/claims.yaml");
	profile_read_claims(p, out, sizeof(out) - 1, "mx1.example.net.", &c);
	assert_int_equal(c.n, 3);
	assert_string_equal(c.host[0].host, "mx1.example.net");
	assert_int_equal(c.host[0].claim, RUN_CLAIM_REFUSE);
	assert_string_equal(c.host[0].label, "fail");
	assert_string_equal(c.host[1].host, "mx2.example.net");
	assert_int_equal(c.host[1].claim, RUN_CLAIM_ENCRYPT);
	assert_string_equal(c.host[2].host, "mx3.example.net");
	assert_int_equal(c.host[2].claim, RUN_CLAIM_PLAIN);
	assert_int_equal(c.overall, SCEN_ACT_OPPORTUNISTIC);
	assert_string_equal(c.overall_label, "decision: opportunistictail");
	/* No host known at all: nothing recorded. */
	profile_read_claims(p, "fail\n", 5, NULL, &c);
	assert_int_equal(c.n, 0);
	profile_free(p);
}

/* The codes a checker's sample gives host 0 (first MX mx1), as text. */
static void
check_diagnoses(const char *profile, const char *sample, const char *want)
{
	struct client_profile *p = load_ok(profile);
	struct profile_diagnosed *dg = calloc(1, sizeof(*dg));
	char path[PATH_MAX], *out, got[256] = "";
	size_t len, o = 0;
	int k;

	assert_non_null(dg);
	snprintf(path, sizeof(path), "tests/clients/samples/%s", sample);
	out = tu_read_text(path, &len);
	if (out == NULL)
		fail_msg("cannot read %s", path);
	profile_read_diagnoses(p, out, len, "mx1.example.net", dg);
	free(out);
	assert_true(dg->n >= 1);
	assert_string_equal(dg->host[0].host, "mx1.example.net");
	for (k = 0; k < FACT_COUNT; k++)
		if (dg->host[0].value[k] != NULL)
			o += (size_t)snprintf(got + o, sizeof(got) - o, "%s%s=%s",
			    o ? " " : "", fact_key_name(k),
			    dg->host[0].value[k]);
	if (strcmp(got, want) != 0)
		print_message("# %s with %s: %s\n", sample, profile, got);
	assert_string_equal(got, want);
	free(dg);
	profile_free(p);
}

/* Real checker outputs, captured with danelab shell in the worlds. */
static void
test_diagnoses_checkers(void **state)
{
	(void)state;
	check_diagnoses("harness/clients/ldns-dane.yaml",
	    "checker-ldns-dane-tlsa_servfail.out", "tlsa=bogus");
	check_diagnoses("harness/clients/ldns-dane.yaml",
	    "checker-ldns-dane-tlsa_nodata.out", "tlsa=none");
	check_diagnoses("harness/clients/ldns-dane.yaml",
	    "checker-ldns-dane-dnssec_missing-ds.out",
	    "address=insecure tlsa=insecure");
	check_diagnoses("harness/clients/ldns-dane.yaml",
	    "checker-ldns-dane-control_valid-dane-ee.out", "");
	check_diagnoses("harness/clients/danetool.yaml",
	    "checker-danetool-control_valid-dane-ee.out",
	    "tlsa=secure chain=yes");
	check_diagnoses("harness/clients/danetool.yaml",
	    "checker-danetool-tlsa_servfail.out", "tlsa=none");
	check_diagnoses("harness/clients/danetool.yaml",
	    "checker-danetool-dnssec_tlsa-rrsig-expired.out", "tlsa=bogus");
	check_diagnoses("harness/clients/danetool.yaml",
	    "checker-danetool-dnssec_missing-ds.out", "tlsa=insecure");
	check_diagnoses("harness/clients/danetool.yaml",
	    "checker-danetool-starttls_not-offered.out", "");
	check_diagnoses("harness/clients/hash-slinger.yaml",
	    "checker-tlsa-control_valid-dane-ee.out", "match=yes chain=yes");
	check_diagnoses("harness/clients/hash-slinger.yaml",
	    "checker-tlsa-mx_primary-broken-backup-valid.out",
	    "match=no chain=yes");
	check_diagnoses("harness/clients/hash-slinger.yaml",
	    "checker-tlsa-tlsa_pkix-only.out", "");
	check_diagnoses("harness/clients/hash-slinger.yaml",
	    "checker-tlsa-starttls_not-offered.out", "chain=no");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_profiles),
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_known),
		cmocka_unit_test(test_bad_profiles),
		cmocka_unit_test(test_too_big),
		cmocka_unit_test(test_deviations),
	    cmocka_unit_test(test_deviations_check),
		cmocka_unit_test(test_render),
		cmocka_unit_test(test_render_files),
		cmocka_unit_test(test_available),
		cmocka_unit_test(test_render_env_var),
		cmocka_unit_test(test_claims_posttls_finger),
		cmocka_unit_test(test_claims_reference),
		cmocka_unit_test(test_claims_swaks),
		cmocka_unit_test(test_diagnoses_checkers),
		cmocka_unit_test(test_claims_rules),
		cmocka_unit_test(test_pattern_bound),
	};
	const char *tests_dir = getenv("DANELAB_TESTS");
	char root[PATH_MAX];

	/* Run from the source root: diagnostics name relative paths. */
	snprintf(root, sizeof(root), "%s/..",
	    tests_dir ? tests_dir : DANELAB_SOURCE_ROOT "/tests");
	if (chdir(root) != 0) {
		fprintf(stderr, "cannot chdir to %s: %s\n", root,
		    strerror(errno));
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
