/*
 * test_scenario.c -- unit tests for simulator/scenario.
 *
 * Corpus tests, run from the source root so that file names in
 * diagnostics read "tests/scenario/bad/x.yaml:3:5: error: ...":
 *   tests/scenario/bad/X.yaml   must fail to load; the diagnostics printed
 *                               must equal X.expected exactly;
 *   tests/scenario/warn/X.yaml  must load; warnings equal X.expected;
 *   tests/scenario/good/X.yaml  must load without any diagnostic;
 *   tests/scenario/dirs/ids/    scenario_load_dir: ids must match paths.
 * With DANELAB_UPDATE_EXPECTED=1 the .expected files are (re)written
 * instead of compared: review the diff before committing.
 *
 * The corpus is loaded against a copy of the fixtures folder (symlinks)
 * that has one extra certificate without a key, "leaf-nokey", so that a
 * chain leaf without key can be tested without changing fixtures/.
 *
 * Then the model: implicit zones, host order, expectation inheritance,
 * derived overall actions, name normalisation, TLSA decoding, and the
 * generated reference in scenarios/README.md.
 */
#define _GNU_SOURCE	/* asprintf */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tests/unit/testutil.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "danelab_config.h"
#include "simulator/scenario/scenario.h"
#include "simulator/util/diag.h"

static char fixtures[PATH_MAX];		/* the real fixtures folder */
static char tmpfix[PATH_MAX];		/* the copy with leaf-nokey */
static bool update;

/* ---- helpers --------------------------------------------------------- */




static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names of the files in dir ending with suffix; *n entries. */
static char **
list_dir(const char *dir, const char *suffix, size_t *n)
{
	char **v = NULL;
	struct dirent *de;
	DIR *d = opendir(dir);
	size_t sl = strlen(suffix);

	*n = 0;
	if (d == NULL)
		return NULL;
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);

		if (l <= sl || strcmp(de->d_name + l - sl, suffix) != 0)
			continue;
		v = realloc(v, (*n + 1) * sizeof(*v));
		assert_non_null(v);
		v[(*n)++] = strdup(de->d_name);
	}
	closedir(d);
	qsort(v, *n, sizeof(*v), cmp_str);
	return v;
}

static void
free_list(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/*
 * Compare got with the file expected_path (or write it in update mode).
 * Returns true if equal; prints both otherwise.
 */
static bool
match_expected(const char *what, const char *expected_path, const char *got)
{
	char *want;
	bool ok;

	if (update) {
		tu_write_text(expected_path, got);
		return true;
	}
	want = tu_read_text(expected_path, NULL);
	ok = want != NULL && strcmp(want, got) == 0;
	if (!ok)
		print_message("# %s: diagnostics differ from %s\n"
		    "# --- expected\n%s# --- got\n%s", what, expected_path,
		    want ? want : "(missing)\n", got);
	free(want);
	return ok;
}

static struct scenario *
load_ok(const char *text)
{
	struct scenario *s = NULL;
	struct dl_diags d;
	int rc;

	dl_diags_init(&d);
	rc = scenario_load_buffer("inline.yaml", text, strlen(text), fixtures,
	    &s, &d);
	if (rc != 0 || d.n != 0) {
		char *t = tu_diags_text(&d);

		print_message("%s", t);
		free(t);
	}
	assert_int_equal(rc, 0);
	assert_int_equal(d.n, 0);
	dl_diags_clear(&d);
	return s;
}

/* ---- setup ------------------------------------------------------------- */

/* Symlink every entry of src into dst. */
static void
link_all(const char *src, const char *dst)
{
	struct dirent *de;
	DIR *d = opendir(src);
	char *a, *b;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		assert_true(asprintf(&a, "%s/%s", src, de->d_name) > 0);
		assert_true(asprintf(&b, "%s/%s", dst, de->d_name) > 0);
		assert_int_equal(symlink(a, b), 0);
		free(a);
		free(b);
	}
	closedir(d);
}

static int
group_setup(void **state)
{
	const char *tests = getenv("DANELAB_TESTS");
	const char *fx = getenv("DANELAB_FIXTURES");
	char root[PATH_MAX], p[2 * PATH_MAX], q[2 * PATH_MAX];
	char *slash;

	(void)state;
	update = getenv("DANELAB_UPDATE_EXPECTED") != NULL;
	snprintf(root, sizeof(root), "%s",
	    tests ? tests : DANELAB_SOURCE_ROOT "/tests");
	if ((slash = strrchr(root, '/')) != NULL)
		*slash = '\0';
	if (chdir(root) != 0)
		return -1;
	if (realpath(fx ? fx : DANELAB_FIXTURES_DIR, fixtures) == NULL)
		return -1;
	snprintf(tmpfix, sizeof(tmpfix), "/tmp/danelab-test-scenario.XXXXXX");
	if (mkdtemp(tmpfix) == NULL)
		return -1;
	snprintf(p, sizeof(p), "%s/pki", tmpfix);
	mkdir(p, 0700);
	snprintf(q, sizeof(q), "%s/pki", fixtures);
	link_all(q, p);
	snprintf(p, sizeof(p), "%s/dnssec", tmpfix);
	snprintf(q, sizeof(q), "%s/dnssec", fixtures);
	if (symlink(q, p) != 0)
		return -1;
	snprintf(p, sizeof(p), "%s/pki/leaf-nokey.pem", tmpfix);
	snprintf(q, sizeof(q), "%s/pki/mx-cur.pem", fixtures);
	return symlink(q, p);
}

static int
group_teardown(void **state)
{
	char p[2 * PATH_MAX];
	size_t n, i;
	char **v;

	(void)state;
	snprintf(p, sizeof(p), "%s/pki", tmpfix);
	v = list_dir(p, "", &n);
	for (i = 0; i < n; i++) {
		snprintf(p, sizeof(p), "%s/pki/%s", tmpfix, v[i]);
		unlink(p);
	}
	free_list(v, n);
	snprintf(p, sizeof(p), "%s/pki", tmpfix);
	rmdir(p);
	snprintf(p, sizeof(p), "%s/dnssec", tmpfix);
	unlink(p);
	rmdir(tmpfix);
	return 0;
}

/* ---- corpus ---------------------------------------------------------- */

/*
 * Load every dir/X.yaml; must_fail says whether loading must fail.  The
 * diagnostics must equal X.expected (good files: no diagnostics at all).
 */
static void
run_corpus(const char *dir, bool must_fail, bool has_expected,
    size_t min_files)
{
	size_t n, i, bad = 0;
	char **v = list_dir(dir, ".yaml", &n);

	assert_true(n >= min_files);
	for (i = 0; i < n; i++) {
		char path[PATH_MAX], exp[PATH_MAX];
		struct scenario *s = NULL;
		struct dl_diags d;
		char *got;
		int rc;

		snprintf(path, sizeof(path), "%s/%s", dir, v[i]);
		snprintf(exp, sizeof(exp), "%s/%.*s.expected", dir,
		    (int)strlen(v[i]) - 5, v[i]);
		dl_diags_init(&d);
		rc = scenario_load(path, tmpfix, &s, &d);
		got = tu_diags_text(&d);
		if (must_fail && (rc == 0 || s != NULL || d.errors == 0)) {
			print_message("# %s: loaded, but must fail\n", path);
			bad++;
		}
		if (!must_fail && (rc != 0 || s == NULL || d.errors != 0)) {
			print_message("# %s: failed to load (%d)\n%s", path,
			    rc, got);
			bad++;
		}
		if (has_expected) {
			if (!match_expected(path, exp, got))
				bad++;
		} else if (d.n != 0) {
			print_message("# %s: unexpected diagnostics\n%s", path,
			    got);
			bad++;
		}
		free(got);
		scenario_free(s);
		dl_diags_clear(&d);
	}
	free_list(v, n);
	assert_int_equal(bad, 0);
}

static void
test_bad_corpus(void **state)
{
	(void)state;
	run_corpus("tests/scenario/bad", true, true, 20);
}

static void
test_warn_corpus(void **state)
{
	(void)state;
	run_corpus("tests/scenario/warn", false, true, 1);
}

static void
test_good_corpus(void **state)
{
	(void)state;
	run_corpus("tests/scenario/good", false, false, 3);
}

/* The good folder is also a small catalogue: ids match the paths. */
static void
test_good_dir(void **state)
{
	struct scenario **v = NULL;
	struct dl_diags d;
	size_t n = 0, files;
	char **names = list_dir("tests/scenario/good", ".yaml", &files);

	(void)state;
	free_list(names, files);
	dl_diags_init(&d);
	assert_int_equal(scenario_load_dir("tests/scenario/good/", fixtures,
	    &v, &n, &d), 0);
	assert_int_equal(d.n, 0);
	assert_int_equal(n, files);
	assert_string_equal(v[0]->file, "tests/scenario/good/full.yaml");
	scenario_list_free(v, n);
	dl_diags_clear(&d);
}

static void
test_dir_ids(void **state)
{
	struct scenario **v = NULL;
	struct dl_diags d;
	size_t n = 0;
	char *got;

	(void)state;
	dl_diags_init(&d);
	assert_int_equal(scenario_load_dir("tests/scenario/dirs/ids",
	    fixtures, &v, &n, &d), DL_EINVAL);
	/* The two good files are still returned, sorted by path. */
	assert_int_equal(n, 2);
	assert_string_equal(v[0]->id, "a/nested");
	assert_string_equal(v[1]->id, "ok");
	got = tu_diags_text(&d);
	assert_true(match_expected("dirs/ids",
	    "tests/scenario/dirs/ids.expected", got));
	free(got);
	scenario_list_free(v, n);
	dl_diags_clear(&d);

	dl_diags_init(&d);
	assert_int_equal(scenario_load_dir("tests/scenario/dirs/nonexistent",
	    fixtures, &v, &n, &d), DL_ENOENT);
	assert_int_equal(d.errors, 1);
	dl_diags_clear(&d);

	/* A folder without scenarios: nothing, and no error. */
	dl_diags_init(&d);
	assert_int_equal(scenario_load_dir(tmpfix, fixtures, &v, &n, &d), 0);
	assert_int_equal(n, 0);
	assert_null(v);
	assert_int_equal(d.n, 0);
	dl_diags_clear(&d);
}

/* ---- the model ------------------------------------------------------- */

#define HEAD \
	"version: 1\n" \
	"id: inline\n" \
	"title: t\n" \
	"explanation: e\n" \
	"references: [r]\n"

#define EXPECT1 \
	"expect:\n" \
	"  mx: secure\n" \
	"  address: { mx1.example.net: secure }\n" \
	"  tlsa: { mx1.example.net: secure }\n" \
	"  dane: auth\n" \
	"  dane-only: auth\n"

static void
test_defaults(void **state)
{
	struct scenario *s;
	const struct scen_host *h;

	(void)state;
	s = load_ok(HEAD
	    "domain: Example.NET\n"
	    "mx:\n"
	    "  - host: MX1.example.net.\n"
	    "    addresses: [127.0.1.25]\n"
	    "    chain: [mx-cur, int-r3]\n"
	    EXPECT1);
	assert_int_equal(s->version, 1);
	assert_string_equal(s->domain, "example.net.");
	assert_int_equal(s->ttl, 3600);
	assert_int_equal(s->category, SCEN_CAT_NONE);
	assert_int_equal(s->n_hosts, 1);
	h = &s->hosts[0];
	assert_string_equal(h->name, "mx1.example.net.");
	assert_int_equal(h->preference, 10);
	assert_int_equal(h->port, 25);
	assert_int_equal(h->starttls, SCEN_STARTTLS_ON);
	assert_int_equal(h->n_tlsa, 0);
	assert_null(h->tlsa);
	assert_int_equal(h->tlsa_ttl, 0);
	assert_int_equal(s->expect.mx, SCEN_DNSSEC_SECURE);
	assert_int_equal(s->expect.policy[SCEN_POLICY_DANE].overall,
	    SCEN_ACT_AUTH);
	assert_int_equal(s->expect.n_states, 1);
	assert_string_equal(s->expect.states[0].host, "mx1.example.net.");
	/* Lookups accept names as people write them. */
	assert_ptr_equal(scenario_host(s, "MX1.Example.net"), h);
	assert_ptr_equal(scenario_host(s, "mx1.example.net."), h);
	assert_null(scenario_host(s, "mx2.example.net"));
	assert_int_equal(s->id_pos.line, 2);
	assert_int_equal(s->id_pos.col, 5);
	assert_int_equal(h->pos.line, 8);
	assert_int_equal(h->pos.col, 5);
	scenario_free(s);
}

static void
test_implicit_zones(void **state)
{
	static const char *const want[] = {
		"sub.example.net.",		/* declared */
		".", "net.", "org.", "com.",	/* implicit, by depth */
		"example.net.", "example.org.", "example.com.",
	};
	struct scenario *s;
	size_t i;

	(void)state;
	s = load_ok(HEAD
	    "domain: example.net\n"
	    "ttl: 900\n"
	    "zones:\n"
	    "  - { name: sub.example.net, signed: false, ttl: 60 }\n"
	    "mx:\n"
	    "  - host: mx1.example.net\n"
	    "    addresses: [127.0.1.25]\n"
	    "    chain: [mx-cur, int-r3]\n"
	    "  - host: mx.a.b.example.org\n"
	    "    cname: real.example.com\n"
	    "    addresses: [127.0.2.25]\n"
	    "    chain: [mx-cur, int-r3]\n"
	    "  - host: mx.sub.example.net\n"
	    "    addresses: [127.0.3.25]\n"
	    "    chain: [mx-cur, int-r3]\n"
	    "expect:\n"
	    "  mx: secure\n"
	    "  address: { mx1.example.net: secure, mx.a.b.example.org: secure,"
	    " mx.sub.example.net: insecure }\n"
	    "  tlsa: { mx1.example.net: secure, mx.a.b.example.org: secure,"
	    " mx.sub.example.net: insecure }\n"
	    "  dane: auth\n"
	    "  dane-only: auth\n");
	assert_int_equal(s->n_zones, sizeof(want) / sizeof(want[0]));
	for (i = 0; i < s->n_zones; i++) {
		assert_string_equal(s->zones[i].name, want[i]);
		assert_int_equal(s->zones[i].implicit, i > 0);
		assert_int_equal(s->zones[i].is_signed, i > 0);
		assert_int_equal(s->zones[i].ttl, i > 0 ? 900 : 60);
		assert_int_equal(s->zones[i].denial, SCEN_DENIAL_NSEC);
		assert_null(s->zones[i].keys);
	}
	assert_string_equal(scenario_zone_for(s,
	    "_25._tcp.mx.sub.example.net.")->name, "sub.example.net.");
	assert_string_equal(scenario_zone_for(s, "mx1.example.net")->name,
	    "example.net.");
	assert_string_equal(scenario_zone_for(s, "mx.a.b.example.org.")->name,
	    "example.org.");
	assert_string_equal(scenario_zone_for(s, "nowhere.invalid.")->name,
	    ".");
	assert_string_equal(scenario_zone_for(s, ".")->name, ".");
	assert_non_null(scenario_zone(s, "COM"));
	assert_null(scenario_zone(s, "b.example.org"));
	scenario_free(s);
}

static void
test_host_order(void **state)
{
	static const char *const want[] = { "d", "b", "a", "c" };
	struct scenario *s;
	size_t i;

	(void)state;
	s = load_ok(HEAD
	    "domain: example.net\n"
	    "mx:\n"
	    "  - { host: a.example.net, preference: 20,"
	    " addresses: [127.0.1.1], chain: [mx-cur] }\n"
	    "  - { host: b.example.net, preference: 10,"
	    " addresses: [127.0.1.2], chain: [mx-cur] }\n"
	    "  - { host: c.example.net, preference: 20,"
	    " addresses: [127.0.1.3], chain: [mx-cur] }\n"
	    "  - { host: d.example.net, preference: 0,"
	    " addresses: [127.0.1.4], chain: [mx-cur] }\n"
	    "expect:\n"
	    "  mx: secure\n"
	    "  address: { a.example.net: secure, b.example.net: secure,"
	    " c.example.net: secure, d.example.net: secure }\n"
	    "  tlsa: { a.example.net: secure, b.example.net: secure,"
	    " c.example.net: secure, d.example.net: secure }\n"
	    /* d and b refuse: a is the first, by preference, to deliver */
	    "  dane: { a.example.net: encrypt, b.example.net: next-mx,"
	    " c.example.net: auth, d.example.net: next-mx }\n"
	    "  dane-only: { a.example.net: next-mx, b.example.net: next-mx,"
	    " c.example.net: next-mx, d.example.net: next-mx }\n");
	assert_int_equal(s->n_hosts, 4);
	for (i = 0; i < 4; i++)
		assert_int_equal(s->hosts[i].name[0], want[i][0]);
	assert_int_equal(s->expect.policy[SCEN_POLICY_DANE].overall,
	    SCEN_ACT_ENCRYPT);
	assert_int_equal(s->expect.policy[SCEN_POLICY_DANE].n_hosts, 4);
	/* Every host next-mx: nowhere to deliver, defer. */
	assert_int_equal(s->expect.policy[SCEN_POLICY_DANE_ONLY].overall,
	    SCEN_ACT_DEFER);
	scenario_free(s);
}

static void
test_expect_inheritance(void **state)
{
	const struct scen_expect_policy *p;
	struct scenario *s;

	(void)state;
	s = load_ok(HEAD
	    "domain: example.net\n"
	    "mx:\n"
	    "  - { host: mx1.example.net, addresses: [127.0.1.25],"
	    " chain: [mx-cur, int-r3] }\n"
	    "timeline:\n"
	    "  - phase: one\n"
	    "    at: 0\n"
	    "  - phase: two\n"
	    "    at: 60\n"
	    "    expect: { dane: opportunistic }\n"
	    "  - phase: three\n"
	    "    at: 120\n"
	    "    expect: { dane-only: { mx1.example.net: next-mx } }\n"
	    "  - phase: four\n"
	    "    at: 180\n"
	    EXPECT1);
	assert_int_equal(s->n_phases, 4);
	assert_int_equal(scenario_phase_index(s, "three"), 2);
	assert_int_equal(scenario_phase_index(s, "five"), -1);
	/* Baseline and phase one: the top level. */
	p = scenario_expect(s, SCEN_POLICY_DANE, -1);
	assert_ptr_equal(p, &s->expect.policy[SCEN_POLICY_DANE]);
	assert_ptr_equal(scenario_expect(s, SCEN_POLICY_DANE, 0), p);
	/* From phase two on, dane is opportunistic... */
	p = scenario_expect(s, SCEN_POLICY_DANE, 3);
	assert_ptr_equal(p, &s->phases[1].expect.policy[SCEN_POLICY_DANE]);
	assert_int_equal(p->overall, SCEN_ACT_OPPORTUNISTIC);
	/* ...while dane-only changes only at phase three. */
	p = scenario_expect(s, SCEN_POLICY_DANE_ONLY, 1);
	assert_ptr_equal(p, &s->expect.policy[SCEN_POLICY_DANE_ONLY]);
	assert_int_equal(p->overall, SCEN_ACT_AUTH);
	p = scenario_expect(s, SCEN_POLICY_DANE_ONLY, 3);
	assert_ptr_equal(p, &s->phases[2].expect.policy[SCEN_POLICY_DANE_ONLY]);
	assert_int_equal(p->overall, SCEN_ACT_DEFER);
	assert_int_equal(p->n_hosts, 1);
	assert_int_equal(p->hosts[0].action, SCEN_ACT_NEXT_MX);
	/* Out of range. */
	assert_null(scenario_expect(s, SCEN_POLICY_DANE, 4));
	assert_null(scenario_expect(s, SCEN_POLICY_DANE, -2));
	assert_null(scenario_expect(s, SCEN_POLICY_COUNT, 0));
	scenario_free(s);
}

#define B(a) SCEN_ACT_BIT(SCEN_ACT_##a)

/* Lists of acceptable actions and the overall set derived from them. */
static void
test_accept_sets(void **state)
{
	const struct scen_expect_policy *p;
	struct scenario *s;
	char buf[64];

	(void)state;
	/* Formatting: enum order, whatever the bit order. */
	assert_string_equal(scen_accept_format(B(OPPORTUNISTIC) | B(AUTH),
	    buf, sizeof(buf)), "auth|opportunistic");
	assert_string_equal(scen_accept_format(0, buf, sizeof(buf)), "-");
	assert_string_equal(scen_accept_format(B(AUTH) | B(ENCRYPT) |
	    B(DEFER), buf, 8), "auth");
	assert_int_equal(scen_accept_count(B(AUTH) | B(NEXT_MX) |
	    B(DEFER)), 3);
	assert_int_equal(scen_accept_count(0), 0);

	/* Scalar and list for the whole delivery; a phase's list. */
	s = load_ok(HEAD
	    "domain: example.net\n"
	    "mx:\n"
	    "  - { host: mx1.example.net, addresses: [127.0.1.25],"
	    " chain: [mx-cur, int-r3] }\n"
	    "timeline:\n"
	    "  - { phase: one, at: 0 }\n"
	    "  - phase: two\n"
	    "    at: 60\n"
	    "    expect: { dane-only: [defer, encrypt] }\n"
	    "expect:\n"
	    "  mx: insecure\n"
	    "  address: { mx1.example.net: secure }\n"
	    "  tlsa: { mx1.example.net: secure }\n"
	    "  dane: [opportunistic, auth]\n"
	    "  dane-only: defer\n");
	p = scenario_expect(s, SCEN_POLICY_DANE, -1);
	assert_int_equal(p->overall, SCEN_ACT_OPPORTUNISTIC);
	assert_int_equal(p->accept, B(OPPORTUNISTIC) | B(AUTH));
	p = scenario_expect(s, SCEN_POLICY_DANE_ONLY, 0);
	assert_int_equal(p->overall, SCEN_ACT_DEFER);
	assert_int_equal(p->accept, B(DEFER));
	p = scenario_expect(s, SCEN_POLICY_DANE_ONLY, 1);
	assert_int_equal(p->overall, SCEN_ACT_DEFER);
	assert_int_equal(p->accept, B(DEFER) | B(ENCRYPT));
	scenario_free(s);

	/* Host maps: the walk by preference (mx3 first, then mx1, mx2). */
	s = load_ok(HEAD
	    "domain: example.net\n"
	    "mx:\n"
	    "  - { host: mx1.example.net, preference: 10,"
	    " addresses: [127.0.1.25], chain: [mx-cur, int-r3] }\n"
	    "  - { host: mx2.example.net, preference: 20,"
	    " addresses: [127.0.2.25], chain: [mx-cur, int-r3] }\n"
	    "  - { host: mx3.example.net, preference: 5,"
	    " addresses: [127.0.3.25], chain: [mx-cur, int-r3] }\n"
	    "timeline:\n"
	    "  - { phase: one, at: 0 }\n"
	    "  - phase: two\n"
	    "    at: 60\n"
	    "    expect:\n"
	    /* Every host may be skipped: defer is acceptable too. */
	    "      dane: { mx1.example.net: [next-mx, encrypt],"
	    " mx2.example.net: next-mx, mx3.example.net: [next-mx] }\n"
	    /* mx3 must deliver: the walk stops there. */
	    "      dane-only: { mx1.example.net: auth,"
	    " mx2.example.net: auth, mx3.example.net: [auth, encrypt] }\n"
	    "expect:\n"
	    "  mx: secure\n"
	    "  address: { mx1.example.net: secure, mx2.example.net: secure,"
	    " mx3.example.net: secure }\n"
	    "  tlsa: { mx1.example.net: secure, mx2.example.net: secure,"
	    " mx3.example.net: secure }\n"
	    /* mx3 may be skipped or take opportunistic; mx1 must say. */
	    "  dane: { mx1.example.net: [auth, next-mx],"
	    " mx2.example.net: opportunistic,"
	    " mx3.example.net: [next-mx, opportunistic] }\n"
	    "  dane-only: { mx1.example.net: next-mx,"
	    " mx2.example.net: next-mx, mx3.example.net: next-mx }\n");
	p = scenario_expect(s, SCEN_POLICY_DANE, -1);
	assert_int_equal(p->hosts[0].action, SCEN_ACT_AUTH);
	assert_int_equal(p->hosts[0].accept, B(AUTH) | B(NEXT_MX));
	assert_int_equal(p->hosts[2].action, SCEN_ACT_NEXT_MX);
	assert_int_equal(p->overall, SCEN_ACT_AUTH);
	assert_int_equal(p->accept, B(OPPORTUNISTIC) | B(AUTH));
	assert_string_equal(scen_accept_format(p->accept, buf, sizeof(buf)),
	    "auth|opportunistic");
	p = scenario_expect(s, SCEN_POLICY_DANE_ONLY, -1);
	assert_int_equal(p->overall, SCEN_ACT_DEFER);
	assert_int_equal(p->accept, B(DEFER));
	p = scenario_expect(s, SCEN_POLICY_DANE, 1);
	assert_int_equal(p->overall, SCEN_ACT_DEFER);
	assert_int_equal(p->accept, B(ENCRYPT) | B(DEFER));
	p = scenario_expect(s, SCEN_POLICY_DANE_ONLY, 1);
	assert_int_equal(p->overall, SCEN_ACT_AUTH);
	assert_int_equal(p->accept, B(AUTH) | B(ENCRYPT));
	scenario_free(s);
}

static void
test_tlsa_decoding(void **state)
{
	static const uint8_t want[32] = {
		0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
		0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
		0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
		0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
	};
	const struct scen_tlsa *t;
	struct scenario *s;

	(void)state;
	s = load_ok(HEAD
	    "domain: example.net\n"
	    "mx:\n"
	    "  - host: mx1.example.net\n"
	    "    addresses: [127.0.1.25]\n"
	    "    chain: [mx-cur, int-r3]\n"
	    "    tlsa:\n"
	    "      - { record: \"3 1 1 0123456789ABCDEF0123456789abcdef"
	    "0123456789abcdef0123456789abcdef\" }\n"
	    "      - { record: \"DANE-TA CERT SHA2-256 01234567 89abcdef"
	    " 01234567 89abcdef 01234567 89abcdef 01234567 89ABCDEF\","
	    " unusable: true }\n"	/* shadowed by the 2 0 2 */
	    "      - { usage: DANE-TA, selector: cert, matching: SHA2-512,"
	    " cert: int-r3 }\n"
	    "      - { usage: 3, selector: 1, matching: 0, cert: mx-cur,"
	    " unusable: true }\n"	/* shadowed by the 3 1 1 */
	    "      - { record: \"0 0 1 00\", unusable: true }\n"
	    EXPECT1);
	t = s->hosts[0].tlsa;
	assert_int_equal(s->hosts[0].n_tlsa, 5);
	assert_int_equal(t[0].usage, 3);
	assert_int_equal(t[0].selector, 1);
	assert_int_equal(t[0].mtype, 1);
	assert_null(t[0].cert);
	assert_int_equal(t[0].data_len, 32);
	assert_memory_equal(t[0].data, want, 32);
	assert_false(t[0].unusable);
	assert_int_equal(t[1].usage, 2);
	assert_int_equal(t[1].selector, 0);
	assert_int_equal(t[1].mtype, 1);
	assert_int_equal(t[1].data_len, 32);
	assert_memory_equal(t[1].data, want, 32);
	assert_int_equal(t[2].usage, 2);
	assert_int_equal(t[2].selector, 0);
	assert_int_equal(t[2].mtype, 2);
	assert_string_equal(t[2].cert, "int-r3");
	assert_null(t[2].data);
	assert_int_equal(t[3].mtype, 0);
	assert_int_equal(t[4].data_len, 1);
	assert_true(t[4].unusable);
	assert_int_equal(t[4].pos.line, 16);
	assert_int_equal(t[4].pos.col, 9);
	scenario_free(s);
}

static void
test_faults_and_records(void **state)
{
	struct scenario *s;
	const struct scen_zone *z;

	(void)state;
	s = load_ok(HEAD
	    "domain: example.net\n"
	    "zones:\n"
	    "  - name: example.net\n"
	    "    records:\n"
	    "      - { name: www, type: a, data: 127.0.0.80 }\n"
	    "      - { name: \"@\", type: TXT, data: '\"v=spf1 -all\"' }\n"
	    "      - { name: Mail.Example.Net, type: TYPE65280, data: "
	    "'\\# 2 abcd', ttl: 5 }\n"
	    "      - { name: _dmarc.example.net., type: txt, data: x }\n"
	    "mx:\n"
	    "  - { host: mx1.example.net, addresses: [127.0.1.25],"
	    " chain: [mx-cur, int-r3] }\n"
	    "faults:\n"
	    "  - { ds: missing, zone: EXAMPLE.net }\n"
	    "  - { signatures: expired, zone: example.net,"
	    " name: _25._TCP.mx1.example.net, type: tlsa }\n"
	    "  - { signatures: corrupted, zone: net, name: example.net,"
	    " type: DS }\n"
	    "  - { dns: servfail, name: mx1.example.net }\n"
	    "  - { dns: lame, name: net }\n"
	    "  - { starttls: handshake-failure, host: mx1.example.net,"
	    " note: broken }\n"
	    EXPECT1);
	z = scenario_zone(s, "example.net.");
	assert_non_null(z);
	assert_false(z->implicit);
	assert_int_equal(z->n_records, 4);
	assert_string_equal(z->records[0].owner, "www.example.net.");
	assert_string_equal(z->records[0].type, "A");
	assert_string_equal(z->records[1].owner, "example.net.");
	assert_string_equal(z->records[2].owner, "mail.example.net.");
	assert_string_equal(z->records[2].type, "TYPE65280");
	assert_int_equal(z->records[2].ttl, 5);
	assert_string_equal(z->records[3].owner, "_dmarc.example.net.");
	assert_string_equal(z->records[3].type, "TXT");
	assert_int_equal(s->n_faults, 6);
	assert_int_equal(s->faults[0].kind, SCEN_FAULT_DS);
	assert_int_equal(s->faults[0].ds, SCEN_DS_MISSING);
	assert_string_equal(s->faults[0].zone, "example.net.");
	assert_int_equal(s->faults[1].kind, SCEN_FAULT_SIGNATURES);
	assert_int_equal(s->faults[1].sig, SCEN_SIG_EXPIRED);
	assert_string_equal(s->faults[1].name, "_25._tcp.mx1.example.net.");
	assert_int_equal(s->faults[1].type, 52);
	assert_int_equal(s->faults[2].type, 43);
	assert_int_equal(s->faults[3].kind, SCEN_FAULT_DNS);
	assert_int_equal(s->faults[3].dns, SCEN_DNS_SERVFAIL);
	assert_int_equal(s->faults[3].type, 0);
	assert_int_equal(s->faults[4].dns, SCEN_DNS_LAME);
	assert_int_equal(s->faults[5].kind, SCEN_FAULT_STARTTLS);
	assert_int_equal(s->faults[5].starttls, SCEN_STARTTLS_HANDSHAKE_FAIL);
	assert_string_equal(s->faults[5].host, "mx1.example.net.");
	assert_string_equal(s->faults[5].note, "broken");
	scenario_free(s);
}

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(scen_action_name(SCEN_ACT_NEXT_MX), "next-mx");
	assert_string_equal(scen_action_name(SCEN_ACT_UNSET), "unset");
	assert_string_equal(scen_policy_name(SCEN_POLICY_DANE_ONLY),
	    "dane-only");
	assert_string_equal(scen_dnssec_name(SCEN_DNSSEC_INDETERMINATE),
	    "indeterminate");
	assert_string_equal(scen_ds_name(SCEN_DS_UNSUPPORTED_DIGEST),
	    "unsupported-digest");
	assert_string_equal(scen_ds_name(SCEN_DS_PRESENT), "present");
	assert_string_equal(scen_sig_name(SCEN_SIG_NOT_YET_VALID),
	    "not-yet-valid");
	assert_string_equal(scen_dns_fault_name(SCEN_DNS_TCP_REFUSED),
	    "tcp-refused");
	assert_string_equal(scen_starttls_name(SCEN_STARTTLS_HANDSHAKE_FAIL),
	    "handshake-failure");
	assert_string_equal(scen_category_name(SCEN_CAT_CA_CHANGE),
	    "ca-change");
	assert_string_equal(scen_fault_kind_name(SCEN_FAULT_SIGNATURES),
	    "signatures");
	assert_string_equal(scen_denial_name(SCEN_DENIAL_NSEC3), "nsec3");
	assert_string_equal(scen_tlsa_usage_name(3), "DANE-EE");
	assert_string_equal(scen_action_name((enum scen_action)99), "invalid");
}

/* Bounds that are awkward to write as corpus files. */
static void
test_limits(void **state)
{
	struct scenario *s = NULL;
	struct dl_diags d;
	size_t n = SCEN_MAX_FILE_SIZE + 1, i;
	char *buf = malloc(n + 1);
	char *got;

	(void)state;
	assert_non_null(buf);
	memset(buf, ' ', n);
	buf[n] = '\0';
	dl_diags_init(&d);
	assert_int_equal(scenario_load_buffer("big.yaml", buf, n, NULL, &s,
	    &d), DL_EINVAL);
	got = tu_diags_text(&d);
	assert_string_equal(got, "big.yaml: error: file too large "
	    "(1048577 bytes, at most 1048576)\n");
	free(got);
	dl_diags_clear(&d);

	/*
	 * 100000 nested flow lists: refused at depth 17, parsing stopped
	 * soon after (libyaml is quadratic in the flow depth).
	 */
	for (i = 0; i < 100000; i++)
		buf[i] = '[';
	buf[i] = '\0';
	dl_diags_init(&d);
	assert_int_equal(scenario_load_buffer("deep.yaml", buf, i, NULL, &s,
	    &d), DL_EINVAL);
	assert_int_equal(d.errors, 1);
	assert_string_equal(d.v[0].msg, "nesting too deep (at most 16 levels)");
	assert_int_equal(d.v[0].col, 17);
	dl_diags_clear(&d);
	free(buf);

	/* No diags list: the result is still an error. */
	assert_int_equal(scenario_load_buffer("x.yaml", "a: [", 4, NULL, &s,
	    NULL), DL_EINVAL);
	assert_int_equal(scenario_load_buffer("x.yaml", "a: 1", 4, NULL, &s,
	    NULL), DL_EINVAL);
	assert_null(s);
}

/* scenarios/README.md embeds the generated reference verbatim. */
static void
test_readme_reference(void **state)
{
	static const char begin[] = "<!-- BEGIN GENERATED REFERENCE -->\n";
	static const char end[] = "<!-- END GENERATED REFERENCE -->\n";
	char *readme = tu_read_text("scenarios/README.md", NULL);
	char *gen = NULL, *b, *e;
	size_t len = 0;
	FILE *fp = open_memstream(&gen, &len);

	(void)state;
	assert_non_null(fp);
	scenario_schema_markdown(fp);
	fclose(fp);
	assert_non_null(readme);
	b = strstr(readme, begin);
	e = strstr(readme, end);
	assert_non_null(b);
	assert_non_null(e);
	b += strlen(begin);
	if (update) {
		char *out;
		size_t pre = (size_t)(b - readme);

		out = malloc(pre + len + strlen(e) + 1);
		assert_non_null(out);
		memcpy(out, readme, pre);
		memcpy(out + pre, gen, len);
		strcpy(out + pre + len, e);
		tu_write_text("scenarios/README.md", out);
		free(out);
	} else {
		if ((size_t)(e - b) != len || memcmp(b, gen, len) != 0)
			fail_msg("scenarios/README.md: the generated reference "
			    "is stale; rerun with DANELAB_UPDATE_EXPECTED=1");
	}
	free(gen);
	free(readme);
}

/*
 * scenario_timeline_check: a phase start less than SCEN_CACHE_BEFORE
 * (2 s) before or SCEN_CACHE_AFTER (4 s) after the expiry of a TLSA
 * RRset cached at an earlier phase start is a warning at the phase.  The world
 * is TLSA TTL 5 (the host's), the zone's 20; timeline is the timeline:
 * text.
 */
static size_t
margins(const char *timeline, double scale, char **text)
{
	char buf[4096];
	struct scenario *s;
	struct dl_diags d;
	size_t n;

	snprintf(buf, sizeof(buf), "%s%s%s%s%s", HEAD,
	    "domain: example.net\n"
	    "zones:\n"
	    "  - { name: example.net, ttl: 20 }\n"
	    "mx:\n"
	    "  - { host: mx1.example.net, addresses: [127.0.1.25],"
	    " chain: [mx-cur, int-r3], tlsa-ttl: 5,"
	    " tlsa: [{ usage: 3, selector: 1, matching: 1, cert: mx-cur }] }\n"
	    "  - { host: mx2.example.net, preference: 20,"
	    " addresses: [127.0.2.25], chain: [mx-cur, int-r3],"
	    " tlsa: [{ usage: 3, selector: 1, matching: 1, cert: mx-cur }] }\n",
	    "timeline:\n", timeline,
	    "expect:\n"
	    "  mx: secure\n"
	    "  address: { mx1.example.net: secure, mx2.example.net: secure }\n"
	    "  tlsa: { mx1.example.net: secure, mx2.example.net: secure }\n"
	    "  dane: auth\n"
	    "  dane-only: auth\n");
	s = load_ok(buf);
	dl_diags_init(&d);
	if (scale != 1.0)
		assert_int_equal(scenario_time_scale(s, scale, &d), 0);
	dl_diags_clear(&d);
	n = scenario_timeline_check(s, &d);
	assert_int_equal(n, d.warnings);
	assert_int_equal(d.errors, 0);
	*text = tu_diags_text(&d);
	dl_diags_clear(&d);
	scenario_free(s);
	return n;
}

static void
test_timeline_margins(void **state)
{
	char *t;

	(void)state;
	/* rollover/correct: 3 s is 2 s before 5, 13 and 16 likewise. */
	assert_int_equal(margins("  - { phase: a, at: 0 }\n"
	    "  - { phase: b, at: 3 }\n  - { phase: c, at: 13 }\n"
	    "  - { phase: d, at: 16 }\n", 1.0, &t), 0);
	free(t);
	/* 1 s before the expiry: mx1 (TTL 5); mx2 (zone TTL 10) is fine. */
	assert_int_equal(margins("  - { phase: a, at: 0 }\n"
	    "  - { phase: b, at: 4 }\n", 1.0, &t), 1);
	assert_non_null(strstr(t, "inline.yaml:14:5: warning: phase b starts "
	    "at 4 s, 1 s before the TLSA RRset of mx1.example.net. cached at "
	    "phase a (0 s) expires (5 s): less than 2 s"));
	free(t);
	/* 1 s after; and mx2 inherits the zone's 20 s: 19 s is 1 s before. */
	assert_int_equal(margins("  - { phase: a, at: 0 }\n"
	    "  - { phase: b, at: 6 }\n  - { phase: c, at: 19 }\n", 1.0,
	    &t), 2);
	assert_non_null(strstr(t, "phase b starts at 6 s, 1 s after the TLSA "
	    "RRset of mx1.example.net. cached at phase a (0 s) expires (5 s)"));
	assert_non_null(strstr(t, "phase c starts at 19 s, 1 s before the "
	    "TLSA RRset of mx2.example.net. cached at phase a (0 s) expires "
	    "(20 s)"));
	free(t);
	/* After an expiry the margin is 4 s: 3 s is not enough. */
	assert_int_equal(margins("  - { phase: a, at: 0 }\n"
	    "  - { phase: b, at: 8 }\n", 1.0, &t), 1);
	assert_non_null(strstr(t, "phase b starts at 8 s, 3 s after the TLSA "
	    "RRset of mx1.example.net. cached at phase a (0 s) expires (5 s): "
	    "less than 4 s"));
	free(t);
	/*
	 * Fetched again at 16 with the TTL phase b sets (2 s): 17 is 1 s
	 * before it expires; with the first TTL (5 s) it would be 4 s.
	 */
	assert_int_equal(margins("  - { phase: a, at: 0 }\n"
	    "  - phase: b\n    at: 16\n"
	    "    hosts: [{ host: mx1.example.net, tlsa-ttl: 2 }]\n"
	    "  - { phase: c, at: 17 }\n", 1.0, &t), 1);
	assert_non_null(strstr(t, "phase c starts at 17 s, 1 s before the "
	    "TLSA RRset of mx1.example.net. cached at phase b (16 s) expires "
	    "(18 s)"));
	free(t);
	/*
	 * --time-scale 0.5 narrows the margins of rollover/correct: TLSA
	 * TTL 3 (2.5), phases at 0, 2, 7 (6.5), 8.
	 */
	assert_int_equal(margins("  - { phase: a, at: 0 }\n"
	    "  - { phase: b, at: 3 }\n  - { phase: c, at: 13 }\n"
	    "  - { phase: d, at: 16 }\n", 0.5, &t), 1);
	assert_non_null(strstr(t, "phase b starts at 2 s, 1 s before the TLSA "
	    "RRset of mx1.example.net."));
	free(t);
}

/*
 * --time-scale: every offset and TTL of a timeline scenario scaled, the
 * inherited ones (0) left to inherit; bounds refused with s untouched.
 */
#define TIMED \
	HEAD \
	"domain: example.net\n" \
	"zones:\n" \
	"  - name: example.net\n" \
	"    ttl: 30\n" \
	"    records:\n" \
	"      - { name: txt, type: TXT, data: '\"x\"', ttl: 7 }\n" \
	"      - { name: other, type: TXT, data: '\"y\"' }\n" \
	"mx:\n" \
	"  - { host: mx1.example.net, addresses: [127.0.1.25]," \
	" chain: [mx-cur, int-r3], tlsa-ttl: 20," \
	" tlsa: [{ usage: 3, selector: 1, matching: 1, cert: mx-cur }] }\n" \
	"timeline:\n" \
	"  - { phase: one, at: 0 }\n" \
	"  - phase: two\n" \
	"    at: 5\n" \
	"    hosts: [{ host: mx1.example.net, tlsa-ttl: 3 }]\n" \
	"  - { phase: three, at: 45 }\n" \
	EXPECT1

static void
test_time_scale(void **state)
{
	const struct scen_zone *z;
	struct scenario *s;
	struct dl_diags d;
	double f;
	char *t;

	(void)state;
	s = load_ok(TIMED);
	z = scenario_zone(s, "example.net.");
	assert_non_null(z);
	assert_int_equal(s->ttl, 3600);
	dl_diags_init(&d);
	assert_int_equal(scenario_time_scale(s, 2, &d), 0);
	assert_int_equal(d.n, 0);
	assert_true(s->time_scale == 2.0);
	assert_int_equal(s->ttl, 7200);
	assert_int_equal(z->ttl, 60);
	assert_int_equal(z->records[0].ttl, 14);
	assert_int_equal(z->records[1].ttl, 0);	/* still the zone's */
	assert_int_equal(s->hosts[0].tlsa_ttl, 40);
	assert_int_equal(s->phases[0].at, 0);
	assert_int_equal(s->phases[1].at, 10);
	assert_int_equal(s->phases[2].at, 90);
	assert_int_equal(s->phases[1].hosts[0].tlsa_ttl, 6);
	/* Twice: the factors multiply. */
	assert_int_equal(scenario_time_scale(s, 0.5, &d), 0);
	assert_true(s->time_scale == 1.0);
	assert_int_equal(s->phases[2].at, 45);
	assert_int_equal(s->hosts[0].tlsa_ttl, 20);
	scenario_free(s);

	/* Fractional results are rounded, with one warning. */
	s = load_ok(TIMED);
	assert_int_equal(scenario_time_scale(s, 1.5, &d), 0);
	assert_int_equal(s->phases[1].at, 8);	/* 7.5 */
	assert_int_equal(s->phases[1].hosts[0].tlsa_ttl, 5);	/* 4.5 */
	assert_int_equal(s->hosts[0].tlsa_ttl, 30);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.v[0].level, DL_DIAG_WARNING);
	t = tu_diags_text(&d);
	assert_non_null(strstr(t, "4 values rounded to whole seconds (first: the TTL of txt.example.net. TXT, 7 s, is 10.50 s, now 11 s)"));
	free(t);
	dl_diags_clear(&d);
	scenario_free(s);

	/*
	 * 0.1: the phase's TLSA TTL 3 becomes 0.3 s, below 1 s; refused at
	 * its position, and nothing changed.
	 */
	s = load_ok(TIMED);
	assert_int_equal(scenario_time_scale(s, 0.1, &d), DL_EINVAL);
	t = tu_diags_text(&d);
	assert_non_null(strstr(t, "inline.yaml:19:13: error: time scale 0.1: "));
	assert_non_null(strstr(t, "the TLSA TTL of mx1.example.net. in "
	    "phase two, 3 s, becomes 0.30 s, below 1 s (scale by at least "
	    "0.17)"));
	free(t);
	dl_diags_clear(&d);
	assert_int_equal(s->hosts[0].tlsa_ttl, 20);
	assert_int_equal(s->phases[2].at, 45);
	assert_true(s->time_scale == 1.0);
	/* Out of range factors. */
	assert_int_equal(scenario_time_scale(s, 25, &d), DL_EINVAL);
	assert_int_equal(scenario_time_scale(s, 0.05, &d), DL_EINVAL);
	dl_diags_clear(&d);
	scenario_free(s);

	/* Offsets past SCEN_MAX_OFFSET. */
	s = load_ok(HEAD
	    "domain: example.net\n"
	    "mx:\n"
	    "  - { host: mx1.example.net, addresses: [127.0.1.25],"
	    " chain: [mx-cur, int-r3] }\n"
	    "timeline:\n"
	    "  - { phase: one, at: 0 }\n"
	    "  - { phase: two, at: 50000 }\n"
	    EXPECT1);
	assert_int_equal(scenario_time_scale(s, 2, &d), DL_EINVAL);
	t = tu_diags_text(&d);
	assert_non_null(strstr(t, "the offset of phase two, 50000 s, "
	    "becomes 100000 s, past the 86400 s"));
	free(t);
	dl_diags_clear(&d);
	assert_int_equal(s->phases[1].at, 50000);
	scenario_free(s);

	/* Without timeline: nothing is time. */
	s = load_ok(HEAD
	    "domain: example.net\n"
	    "mx:\n"
	    "  - { host: mx1.example.net, addresses: [127.0.1.25],"
	    " chain: [mx-cur, int-r3] }\n"
	    EXPECT1);
	assert_int_equal(scenario_time_scale(s, 3, &d), 0);
	assert_int_equal(s->ttl, 3600);
	assert_true(s->time_scale == 3.0);
	scenario_free(s);

	/* The parser: plain decimals in range, nothing else. */
	assert_int_equal(scen_time_scale_parse("2", &f), 0);
	assert_true(f == 2.0);
	assert_int_equal(scen_time_scale_parse("0.1", &f), 0);
	assert_int_equal(scen_time_scale_parse("20", &f), 0);
	assert_int_equal(scen_time_scale_parse("20.01", &f), -1);
	assert_int_equal(scen_time_scale_parse("0.09", &f), -1);
	assert_int_equal(scen_time_scale_parse("0", &f), -1);
	assert_int_equal(scen_time_scale_parse("-2", &f), -1);
	assert_int_equal(scen_time_scale_parse("inf", &f), -1);
	assert_int_equal(scen_time_scale_parse("nan", &f), -1);
	assert_int_equal(scen_time_scale_parse("1e1", &f), -1);
	assert_int_equal(scen_time_scale_parse("0x2", &f), -1);
	assert_int_equal(scen_time_scale_parse(" 2", &f), -1);
	assert_int_equal(scen_time_scale_parse("2x", &f), -1);
	assert_int_equal(scen_time_scale_parse("", &f), -1);
	assert_int_equal(scen_time_scale_parse("1..2", &f), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_corpus),
		cmocka_unit_test(test_warn_corpus),
		cmocka_unit_test(test_good_corpus),
		cmocka_unit_test(test_good_dir),
		cmocka_unit_test(test_dir_ids),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_implicit_zones),
		cmocka_unit_test(test_host_order),
		cmocka_unit_test(test_expect_inheritance),
		cmocka_unit_test(test_accept_sets),
		cmocka_unit_test(test_tlsa_decoding),
		cmocka_unit_test(test_faults_and_records),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_readme_reference),
		cmocka_unit_test(test_time_scale),
		cmocka_unit_test(test_timeline_margins),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
