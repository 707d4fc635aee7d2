/*
 * test_report.c -- unit tests for harness/report/: the summary and exit
 * code, the JSON round trip and its read errors, merging shards, and the
 * JUnit, TAP, HTML and text writers on a report that holds every verdict
 * and strings that need escaping in every format.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness/report/report.h"
#include "simulator/util/xmem.h"

/* A string with everything an output format must escape. */
static const char NASTY[] = "say \"hi\" <b>&amp;</b> 'q' \\ \x01\x1b[31m "
    "bad utf-8 \xff\xc3( ok \xc3\xa9 ]]> -->\n# not a directive";

static char *
dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static void
add_scenario(struct run_report *r, const char *id, const char *title,
    const char *rule)
{
	struct run_scenario *s;

	r->scenarios = xreallocarray(r->scenarios, r->n_scenarios + 1,
	    sizeof(*r->scenarios));
	s = &r->scenarios[r->n_scenarios++];
	memset(s, 0, sizeof(*s));
	s->id = xstrdup(id);
	s->title = xstrdup(title);
	s->category = xstrdup("none");
	s->explanation = xstrdup(NASTY);
	s->rule = dup_or_null(rule);
	s->n_refs = 2;
	s->refs = xcalloc(2, sizeof(*s->refs));
	s->refs[0] = xstrdup("RFC 7672 section 2.2");
	s->refs[1] = xstrdup("RFC 7671 <5.1>");
}

static struct run_result *
add_result(struct run_report *r, const char *scen, const char *client,
    enum scen_policy pol, const char *phase, int idx, enum run_verdict v)
{
	struct run_result *res;

	r->results = xreallocarray(r->results, r->n_results + 1,
	    sizeof(*r->results));
	res = &r->results[r->n_results++];
	memset(res, 0, sizeof(*res));
	res->scenario = xstrdup(scen);
	res->client = xstrdup(client);
	res->policy = pol;
	res->phase = dup_or_null(phase);
	res->phase_index = idx;
	res->at = idx < 0 ? 0 : (unsigned)idx * 60;
	res->verdict = v;
	res->expected = SCEN_ACT_AUTH;
	res->claimed = v == RUN_PASS ? SCEN_ACT_AUTH : SCEN_ACT_UNSET;
	res->n_hosts = 2;
	res->hosts = xcalloc(2, sizeof(*res->hosts));
	res->hosts[0].host = xstrdup("mx1.example.net");
	res->hosts[0].expected = SCEN_ACT_AUTH;
	res->hosts[0].outcome = RUN_OUT_DELIVERED_TLS;
	res->hosts[0].sessions = 1;
	res->hosts[0].claim = RUN_CLAIM_AUTH;
	res->hosts[0].claim_text = xstrdup("Verified");
	res->hosts[0].sni = xstrdup("mx1.example.net");
	res->hosts[1].host = xstrdup("mx2.example.net");
	res->hosts[1].expected = SCEN_ACT_NEXT_MX;
	res->hosts[1].outcome = RUN_OUT_NOT_CONTACTED;
	res->exit_status = v == RUN_HANG ? 137 : 0;
	res->timed_out = v == RUN_HANG;
	res->ms = 1234;
	res->reason = xstrdup(v == RUN_PASS ? "as expected" : NASTY);
	if (v == RUN_XFAIL || v == RUN_XPASS)
		res->deviation = xstrdup("known: <no SNI> & \"quotes\"");
	res->output = xstrdup(NASTY);
	return res;
}

/* Every verdict, both policies, a timeline scenario, nasty strings. */
static void
build(struct run_report *r)
{
	memset(r, 0, sizeof(*r));
	r->schema = REPORT_SCHEMA_VERSION;
	r->version = xstrdup("0.1-test");
	r->started = 1764355200;
	r->duration_ms = 65432;
	r->isolation = xstrdup("namespaces");
	r->jobs = 4;
	r->shard_k = 1;
	r->shard_n = 1;
	r->env_ok = true;
	add_scenario(r, "control/valid-dane-ee", "A valid DANE-EE world",
	    NULL);
	add_scenario(r, "dnssec/missing-ds", "Missing DS", "RFC 7672 2.2");
	add_scenario(r, "rollover/early-retirement", "Early retirement",
	    "RFC 7671 8.1");
	add_scenario(r, "odd/<x>&\"y\"", NASTY, NASTY);

	add_result(r, "control/valid-dane-ee", "postfix", SCEN_POLICY_DANE,
	    NULL, -1, RUN_PASS);
	add_result(r, "control/valid-dane-ee", "postfix",
	    SCEN_POLICY_DANE_ONLY, NULL, -1, RUN_PASS);
	add_result(r, "dnssec/missing-ds", "postfix", SCEN_POLICY_DANE,
	    NULL, -1, RUN_FAIL);
	add_result(r, "dnssec/missing-ds", "postfix", SCEN_POLICY_DANE_ONLY,
	    NULL, -1, RUN_SKIP);
	add_result(r, "dnssec/missing-ds", "exim", SCEN_POLICY_DANE, NULL, -1,
	    RUN_HANG);
	add_result(r, "rollover/early-retirement", "postfix",
	    SCEN_POLICY_DANE, "before", 0, RUN_PASS);
	add_result(r, "rollover/early-retirement", "postfix",
	    SCEN_POLICY_DANE, "during", 1, RUN_XFAIL);
	add_result(r, "rollover/early-retirement", "postfix",
	    SCEN_POLICY_DANE, "after", 2, RUN_XPASS);
	add_result(r, "odd/<x>&\"y\"", "exim", SCEN_POLICY_DANE, NULL, -1,
	    RUN_ERROR)->kept_dir = xstrdup("/tmp/kept <1>");
	report_sort(r);
}

/* r written in format f, as a string (caller frees). */
static char *
render(const struct run_report *r, enum report_format f, bool verbose)
{
	struct report_opts o = { false, verbose };
	char *out = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&out, &len);

	assert_non_null(fp);
	assert_int_equal(report_write(r, f, &o, fp), 0);
	fclose(fp);
	return out;
}

/* s written to a new temporary file; returns its path (caller frees). */
static char *
temp_file(const char *s, size_t len, const char *suffix)
{
	char *path = xasprintf("/tmp/test_report.XXXXXX%s", suffix);
	int fd = mkstemps(path, (int)strlen(suffix));

	assert_true(fd >= 0);
	assert_int_equal(write(fd, s, len), (ssize_t)len);
	close(fd);
	return path;
}

static size_t
count_str(const char *hay, const char *needle)
{
	size_t n = 0;
	const char *p = hay;

	while ((p = strstr(p, needle)) != NULL) {
		n++;
		p += strlen(needle);
	}
	return n;
}

static bool
have_python(void)
{
	return system("python3 -c 'import xml.dom.minidom, html.parser' "
	    ">/dev/null 2>&1") == 0;
}

static void
test_names(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < RUN_VERDICT_COUNT; i++)
		assert_int_equal(run_verdict_parse(run_verdict_name(
		    (enum run_verdict)i)), i);
	for (i = 0; i < RUN_OUTCOME_COUNT; i++)
		assert_int_equal(run_outcome_parse(run_outcome_name(
		    (enum run_outcome)i)), i);
	for (i = 0; i < RUN_CLAIM_COUNT; i++)
		assert_int_equal(run_claim_parse(run_claim_name(
		    (enum run_claim)i)), i);
	for (i = 0; i < REPORT_FORMAT_COUNT; i++)
		assert_int_equal(report_format_parse(report_format_name(
		    (enum report_format)i)), i);
	assert_int_equal(run_verdict_parse("pass"), -1);
	assert_int_equal(report_format_parse("xml"), -1);
	assert_string_equal(run_outcome_name(RUN_OUT_QUIT_AFTER_TLS),
	    "quit-after-tls");
}

static void
test_summary_exit(void **state)
{
	struct run_report r;
	char buf[256];
	size_t c[RUN_VERDICT_COUNT];

	(void)state;
	build(&r);
	report_count(&r, c);
	assert_int_equal(c[RUN_PASS], 3);
	assert_int_equal(c[RUN_XFAIL], 1);
	assert_string_equal(report_summary(&r, buf, sizeof(buf)),
	    "3 passed, 1 failed, 1 error, 1 hang, 1 skipped, 1 xfail, "
	    "1 xpass");
	assert_int_equal(report_exit_code(&r), 1);
	report_clear(&r);

	/* PASS, XFAIL and SKIP only: as expected. */
	build(&r);
	r.results[2].verdict = RUN_SKIP;	/* HANG */
	r.results[3].verdict = RUN_PASS;	/* FAIL */
	r.results[5].verdict = RUN_PASS;	/* ERROR */
	r.results[8].verdict = RUN_PASS;	/* XPASS */
	report_sort(&r);
	assert_int_equal(report_exit_code(&r), 0);
	assert_string_equal(report_summary(&r, buf, sizeof(buf)),
	    "6 passed, 0 failed, 0 error, 0 hang, 2 skipped, 1 xfail, "
	    "0 xpass");
	r.interrupted = true;
	assert_int_equal(report_exit_code(&r), 1);
	report_clear(&r);

	/* All SKIP, or nothing at all: 77. */
	build(&r);
	for (size_t i = 0; i < r.n_results; i++)
		r.results[i].verdict = RUN_SKIP;
	assert_int_equal(report_exit_code(&r), 77);
	report_clear(&r);
	memset(&r, 0, sizeof(r));
	assert_int_equal(report_exit_code(&r), 77);
	assert_string_equal(report_summary(&r, buf, sizeof(buf)),
	    "0 passed, 0 failed, 0 error, 0 hang, 0 skipped, 0 xfail, "
	    "0 xpass");
	/* A short buffer stays terminated. */
	build(&r);
	report_summary(&r, buf, 12);
	assert_int_equal(strlen(buf), 11);
	report_clear(&r);
}

static void
test_sort(void **state)
{
	struct run_report r;

	(void)state;
	build(&r);
	assert_string_equal(r.results[0].scenario, "control/valid-dane-ee");
	assert_int_equal(r.results[0].policy, SCEN_POLICY_DANE);
	assert_int_equal(r.results[1].policy, SCEN_POLICY_DANE_ONLY);
	assert_string_equal(r.results[2].client, "exim");
	assert_string_equal(r.results[6].phase, "before");
	assert_string_equal(r.results[8].phase, "after");
	assert_non_null(report_scenario(&r, "dnssec/missing-ds"));
	assert_null(report_scenario(&r, "dnssec/none"));
	report_clear(&r);
}

static void
test_json_round_trip(void **state)
{
	struct run_report r, back;
	struct dl_diags d;
	char *first, *second, *path;

	(void)state;
	build(&r);
	first = render(&r, REPORT_JSON, false);
	/* Invalid UTF-8 became U+FFFD, control bytes \u escapes. */
	assert_null(strstr(first, "\xff"));
	assert_non_null(strstr(first, "\\u0001\\u001b[31m"));
	assert_non_null(strstr(first, "\"schema\": 2"));
	assert_non_null(strstr(first, "\"time_scale\": 1,"));
	path = temp_file(first, strlen(first), ".json");
	dl_diags_init(&d);
	assert_int_equal(report_read_json(path, &back, &d), 0);
	assert_int_equal(d.n, 0);
	assert_int_equal(back.n_results, r.n_results);
	assert_int_equal(back.n_scenarios, r.n_scenarios);
	assert_string_equal(back.results[6].phase, "before");
	assert_int_equal(back.results[0].phase_index, -1);
	assert_null(back.results[0].deviation);
	second = render(&back, REPORT_JSON, false);
	assert_string_equal(first, second);
	free(second);

	/*
	 * Every other format renders the same from the read-back report as
	 * from the original: they clean text the way the JSON did.
	 */
	for (int f = 0; f < REPORT_FORMAT_COUNT; f++) {
		char *a, *b;

		if (f == REPORT_JSON)
			continue;
		a = render(&r, (enum report_format)f, true);
		b = render(&back, (enum report_format)f, true);
		assert_string_equal(a, b);
		free(a);
		free(b);
	}
	unlink(path);
	free(path);
	free(first);
	dl_diags_clear(&d);
	report_clear(&back);

	/* A time scale reads back as written, and writes the same bytes. */
	r.time_scale = 1.5;
	first = render(&r, REPORT_JSON, false);
	assert_non_null(strstr(first, "\"time_scale\": 1.5,"));
	path = temp_file(first, strlen(first), ".json");
	assert_int_equal(report_read_json(path, &back, &d), 0);
	assert_true(back.time_scale == 1.5);
	second = render(&back, REPORT_JSON, false);
	assert_string_equal(first, second);
	free(second);
	unlink(path);
	free(path);
	free(first);
	dl_diags_clear(&d);
	report_clear(&back);
	report_clear(&r);
}

/* The example of REPORT.md reads and writes back byte for byte. */
static void
test_json_example(void **state)
{
	const char *dir = getenv("DANELAB_TESTS"); /* set by meson */
	struct run_report r;
	struct dl_diags d;
	char *path, *text = NULL, *again;
	size_t len = 0;
	FILE *fp;

	(void)state;
	if (dir == NULL)
		dir = "tests"; /* run by hand from the source root */
	path = xasprintf("%s/report/example.json", dir);
	fp = fopen(path, "r");
	assert_non_null(fp);
	assert_int_not_equal(getdelim(&text, &len, '\0', fp), -1);
	fclose(fp);
	dl_diags_init(&d);
	assert_int_equal(report_read_json(path, &r, &d), 0);
	again = render(&r, REPORT_JSON, false);
	assert_string_equal(text, again);
	assert_int_equal(r.shard_n, 2);
	assert_int_equal(r.results[1].phase_index, 1);
	assert_int_equal(report_exit_code(&r), 1);
	free(again);
	free(text);
	free(path);
	dl_diags_clear(&d);
	report_clear(&r);
}

/*
 * Read text as a report: it must fail with DL_EINVAL and one error at
 * line:col, whose message holds want.  Returns the line.
 */
static unsigned
expect_read_error(const char *text, const char *want)
{
	struct run_report r;
	struct dl_diags d;
	char *path = temp_file(text, strlen(text), ".json");
	char msg[1024];
	unsigned line;

	dl_diags_init(&d);
	memset(&r, 0xa5, sizeof(r));
	assert_int_equal(report_read_json(path, &r, &d), DL_EINVAL);
	assert_int_equal(d.errors, 1);
	dl_diag_format(&d.v[0], msg, sizeof(msg));
	if (strstr(msg, want) == NULL)
		fail_msg("\"%s\" does not hold \"%s\"", msg, want);
	assert_string_equal(d.v[0].file, path);
	assert_true(d.v[0].line > 0);
	if (d.v[0].col == 0)
		fail_msg("no column: %s", msg);
	line = d.v[0].line;
	dl_diags_clear(&d);
	unlink(path);
	free(path);
	return line;
}

/* text with the first "from" replaced by "to" (caller frees). */
static char *
replace(const char *text, const char *from, const char *to)
{
	const char *p = strstr(text, from);

	assert_non_null(p);
	return xasprintf("%.*s%s%s", (int)(p - text), text, to,
	    p + strlen(from));
}

/* The 1-based line at which needle first occurs in text. */
static unsigned
line_of(const char *text, const char *needle)
{
	const char *p = strstr(text, needle), *q;
	unsigned line = 1;

	assert_non_null(p);
	for (q = text; q < p; q++)
		line += *q == '\n';
	return line;
}

static void
test_json_read_errors(void **state)
{
	struct run_report r;
	struct dl_diags d;
	char *good, *bad;

	(void)state;
	build(&r);
	good = render(&r, REPORT_JSON, false);
	report_clear(&r);

	bad = replace(good, "\"schema\": 2", "\"schema\": 1");
	assert_int_equal(expect_read_error(bad, "schema version 1"), 2);
	free(bad);

	bad = replace(good, "\"jobs\": 4", "\"jobs\": \"4\"");
	assert_int_equal(expect_read_error(bad, "jobs: expected an integer"),
	    line_of(bad, "\"jobs\""));
	free(bad);

	bad = replace(good, "\"verdict\": \"HANG\"", "\"verdict\": \"MAYBE\"");
	assert_int_equal(expect_read_error(bad,
	    "results[2].verdict: unknown verdict \"MAYBE\""),
	    line_of(bad, "MAYBE"));
	free(bad);

	bad = replace(good, "\"outcome\": \"not-contacted\"",
	    "\"outcome\": 3");
	expect_read_error(bad, "results[0].hosts[1].outcome: expected a "
	    "string");
	free(bad);

	bad = replace(good, "\"env\": {", "\"env\": {\"ok\": true, ");
	expect_read_error(bad, "duplicate");
	free(bad);

	bad = replace(good, "\"time_scale\": 1", "\"time_scale\": 50");
	assert_int_equal(expect_read_error(bad, "time_scale: 50 is out of "
	    "range 0.1..20"), line_of(bad, "\"time_scale\""));
	free(bad);
	bad = replace(good, "\"time_scale\": 1", "\"time_scale\": \"2\"");
	expect_read_error(bad, "time_scale: expected a number");
	free(bad);

	good[strlen(good) / 2] = '\0';
	expect_read_error(good, "not valid JSON");
	expect_read_error("[1, 2]", "a report is a JSON object");
	expect_read_error("", "a report is a JSON object");
	/* Text that is not JSON at all is not quoted back (issue 12). */
	expect_read_error("root:$6$SECRET:19000::\n", "not a danelab report");
	free(good);

	/* A missing file is DL_ENOENT, a directory DL_EIO. */
	dl_diags_init(&d);
	assert_int_equal(report_read_json("/nonexistent/r.json", &r, &d),
	    DL_ENOENT);
	assert_int_equal(report_read_json("/", &r, &d), DL_EIO);
	assert_int_equal(d.errors, 2);
	dl_diags_clear(&d);
}

static void
test_merge(void **state)
{
	struct run_report a, b, c;
	struct dl_diags d;
	size_t ca[RUN_VERDICT_COUNT], cb[RUN_VERDICT_COUNT];
	size_t cm[RUN_VERDICT_COUNT], i;

	(void)state;
	/* Shard 1: the first five results; shard 2: the rest. */
	build(&a);
	build(&b);
	for (i = 5; i < a.n_results; i++)
		run_result_clear(&a.results[i]);
	a.n_results = 5;
	for (i = 0; i < 5; i++)
		run_result_clear(&b.results[i]);
	memmove(b.results, b.results + 5, (b.n_results - 5) *
	    sizeof(*b.results));
	b.n_results -= 5;
	a.shard_k = 1;
	a.shard_n = 2;
	b.shard_k = 2;
	b.shard_n = 2;
	b.started = a.started - 10;
	b.duration_ms = a.duration_ms + 1;
	b.env_ok = false;
	b.env_message = xstrdup("control/valid-dane-ee failed");
	report_count(&a, ca);
	report_count(&b, cb);

	/* Another time scale is rejected and leaves dst as it was. */
	b.time_scale = 2;
	dl_diags_init(&d);
	assert_int_equal(report_merge(&a, &b, "b.json", &d), DL_EINVAL);
	assert_int_equal(d.errors, 1);
	assert_non_null(strstr(d.v[0].msg, "time scale 2 does not merge with "
	    "time scale 1"));
	assert_int_equal(a.n_results, 5);
	dl_diags_clear(&d);
	b.time_scale = 1;

	/* A duplicate is rejected and leaves dst as it was. */
	build(&c);
	dl_diags_init(&d);
	assert_int_equal(report_merge(&a, &c, "c.json", &d), DL_EINVAL);
	assert_int_equal(d.errors, 1);
	assert_string_equal(d.v[0].file, "c.json");
	assert_int_equal(a.n_results, 5);
	report_clear(&c);
	dl_diags_clear(&d);

	dl_diags_init(&d);
	assert_int_equal(report_merge(&a, &b, "b.json", &d), 0);
	assert_int_equal(d.errors, 0);
	assert_int_equal(b.n_results, 0);	/* cleared */
	report_count(&a, cm);
	for (i = 0; i < RUN_VERDICT_COUNT; i++)
		assert_int_equal(cm[i], ca[i] + cb[i]);
	assert_int_equal(a.n_results, 9);
	assert_int_equal(a.n_scenarios, 4);	/* no duplicates */
	assert_int_equal(a.shard_k, 0);
	assert_int_equal(a.shard_n, 0);
	assert_false(a.env_ok);
	assert_string_equal(a.env_message, "control/valid-dane-ee failed");
	assert_int_equal(a.started, 1764355200 - 10);
	assert_int_equal(a.duration_ms, 65433);
	assert_string_equal(a.results[0].scenario, "control/valid-dane-ee");
	dl_diags_clear(&d);
	report_clear(&a);
	report_clear(&b);
}

static void
test_junit(void **state)
{
	struct run_report r;
	char *x, *path, *cmd;

	(void)state;
	build(&r);
	x = render(&r, REPORT_JUNIT, false);
	assert_non_null(strstr(x, "<testsuite name=\"danelab.postfix\" "
	    "tests=\"7\" failures=\"2\" errors=\"0\" skipped=\"2\""));
	assert_non_null(strstr(x, "<testsuite name=\"danelab.exim\" "
	    "tests=\"2\" failures=\"0\" errors=\"2\" skipped=\"0\""));
	assert_non_null(strstr(x, "classname=\"rollover/early-retirement\" "
	    "name=\"dane@during\""));
	assert_non_null(strstr(x, "<skipped message=\"xfail: known: "
	    "&lt;no SNI&gt; &amp; &quot;quotes&quot;\"/>"));
	assert_non_null(strstr(x, "classname=\"odd/&lt;x&gt;&amp;&quot;y"
	    "&quot;\""));
	assert_null(strstr(x, "\x01"));
	assert_null(strstr(x, "\x1b"));
	assert_null(strstr(x, "\xff"));
	assert_null(strstr(x, "<b>"));
	assert_int_equal(count_str(x, "<testcase "), 9);
	if (have_python()) {
		path = temp_file(x, strlen(x), ".xml");
		cmd = xasprintf("python3 -c 'import xml.dom.minidom,sys; "
		    "xml.dom.minidom.parse(sys.argv[1])' %s", path);
		assert_int_equal(system(cmd), 0);
		free(cmd);
		unlink(path);
		free(path);
	}
	free(x);
	report_clear(&r);
}

static void
test_tap(void **state)
{
	struct run_report r;
	char *t;

	(void)state;
	build(&r);
	t = render(&r, REPORT_TAP, false);
	assert_memory_equal(t, "TAP version 13\n1..9\n", 20);
	assert_int_equal(count_str(t, "\nok "), 5);	/* PASS x3, SKIP,
							 * XPASS */
	assert_int_equal(count_str(t, "\nnot ok "), 4);	/* FAIL HANG ERROR
							 * XFAIL */
	assert_int_equal(count_str(t, "\n  ---\n"), 5);	/* + XPASS */
	assert_int_equal(count_str(t, "\n  ...\n"), 5);
	assert_non_null(strstr(t, "\nok 1 - control/valid-dane-ee "
	    "[postfix, dane]\n"));
	assert_non_null(strstr(t, "[postfix, dane-only] # SKIP say"));
	assert_non_null(strstr(t, "\nnot ok 8 - rollover/early-retirement "
	    "[postfix, dane@during] # TODO known:"));
	assert_non_null(strstr(t, "\nok 9 - rollover/early-retirement "
	    "[postfix, dane@after] # TODO known:"));
	/* No control byte or extra '#' leaks into a test line. */
	assert_null(strstr(t, "\x1b"));
	assert_null(strstr(t, "\n# not a directive"));
	assert_null(strstr(t, "] say \"hi\"#"));
	free(t);
	report_clear(&r);
}

static void
test_html(void **state)
{
	static const char *const ids[] = {
		"control/valid-dane-ee", "dnssec/missing-ds",
		"rollover/early-retirement", "odd/&lt;x&gt;&amp;&quot;y&quot;",
	};
	struct run_report r;
	char *h, *path, *cmd;
	const char *p;
	size_t i;

	(void)state;
	build(&r);
	h = render(&r, REPORT_HTML, false);
	assert_memory_equal(h, "<!DOCTYPE html>", 15);
	for (p = h; (p = strchr(p, '<')) != NULL; p++) {
		assert_true(strncasecmp(p, "<script", 7) != 0);
		assert_true(strncasecmp(p, "<link", 5) != 0);
		assert_true(strncasecmp(p, "<img", 4) != 0);
		assert_true(strncasecmp(p, "<b>&amp", 8) != 0);
	}
	assert_null(strstr(h, "src="));
	assert_null(strstr(h, "<x>"));
	assert_null(strstr(h, "\x01"));
	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		assert_non_null(strstr(h, ids[i]));
	/* One <details> per result, one per scenario for its text. */
	assert_int_equal(count_str(h, "<details class=\"ok\">") +
	    count_str(h, "<details class=\"bad\">"), 9);
	assert_int_equal(count_str(h, "<details class=\"about\">"), 4);
	/* The teaching text once per row, not in every result. */
	assert_int_equal(count_str(h, "RFC 7671 &lt;5.1&gt;"), 4);
	assert_int_equal(count_str(h, "<b>References:</b>"), 4);
	/* The legend: every verdict, in its class (its colour). */
	for (i = 0; i < RUN_VERDICT_COUNT; i++) {
		char *li = xasprintf("<li><b class=\"%s\">%s</b> ",
		    run_verdict_name((enum run_verdict)i),
		    run_verdict_name((enum run_verdict)i));

		assert_non_null(strstr(h, li));
		free(li);
	}
	/* The filter: a checkbox before the matrix, rows and cells marked
	 * by whether something in them did not pass. */
	p = strstr(h, "<input type=\"checkbox\" id=\"only-bad\">");
	assert_non_null(p);
	assert_true(p < strstr(h, "<table class=\"matrix\">"));
	assert_non_null(strstr(h, "#only-bad:checked~table.matrix tr.ok"));
	assert_non_null(strstr(h, "<tr class=\"ok\"><td class=\"scen\">"
	    "<details class=\"about\"><summary><span class=\"id\">"
	    "control/valid-dane-ee</span>"));
	assert_non_null(strstr(h, "<tr class=\"bad\"><td class=\"scen\">"
	    "<details class=\"about\"><summary><span class=\"id\">"
	    "dnssec/missing-ds</span>"));
	assert_non_null(strstr(h, "<tr class=\"ok\"><th class=\"group\" "
	    "colspan=\"4\">control</th></tr>"));
	assert_non_null(strstr(h, "<summary class=\"XFAIL\">XFAIL "
	    "<small>during</small></summary>"));
	assert_non_null(strstr(h, "3 passed, 1 failed, 1 error, 1 hang, 1 skipped"));
	assert_non_null(strstr(h, "</html>\n"));
	assert_null(strstr(h, "time scale"));
	/* The summary row: one cell per client over its policies. */
	assert_non_null(strstr(h, "<tr class=\"clients\"><th>summary per "
	    "client</th><td colspan=\"1\" class=\"FAIL\">exim: 0 passed, 0 "
	    "failed, 1 error, 1 hang"));
	assert_non_null(strstr(h, "<td colspan=\"2\" class=\"FAIL\">"
	    "postfix: 3 passed, 1 failed,"));
	r.time_scale = 0.5;
	free(h);
	h = render(&r, REPORT_HTML, false);
	assert_non_null(strstr(h, "<tr><td>time scale</td><td>0.5 "));
	if (have_python()) {
		path = temp_file(h, strlen(h), ".html");
		cmd = xasprintf("python3 -c 'import html.parser,sys\n"
		    "class P(html.parser.HTMLParser):\n"
		    "  stack=[]\n"
		    "  def handle_starttag(s,t,a):\n"
		    "    if t not in (\"meta\",\"br\",\"hr\",\"input\"):\n"
		    "      s.stack.append(t)\n"
		    "  def handle_endtag(s,t):\n"
		    "    assert s.stack.pop()==t, t\n"
		    "p=P(); p.feed(open(sys.argv[1]).read()); p.close()\n"
		    "assert not p.stack, p.stack' %s", path);
		assert_int_equal(system(cmd), 0);
		free(cmd);
		unlink(path);
		free(path);
	}
	free(h);
	report_clear(&r);
}

static void
test_text(void **state)
{
	struct run_report r;
	char *t, sum[256], *last;

	(void)state;
	build(&r);
	t = render(&r, REPORT_TEXT, false);
	report_summary(&r, sum, sizeof(sum));
	last = xasprintf("\n%s\n", sum);
	assert_true(strlen(t) > strlen(last));
	assert_string_equal(t + strlen(t) - strlen(last), last);
	assert_non_null(strstr(t, "mx1:delivered-tls(Verified) "
	    "mx2:not-contacted"));
	assert_null(strstr(t, "ENVIRONMENT BROKEN"));
	/* Evidence only for the 6 results that are not PASS. */
	assert_int_equal(count_str(t, "    exit:"), 6);
	assert_null(strstr(t, "\x1b"));	/* no colour, no client escapes */
	assert_null(strstr(t, "time scale"));	/* shown only when != 1 */
	/* Two clients: a summary each, in name order, before the run's. */
	assert_non_null(strstr(t, "\n\nclient exim: 0 passed, 0 failed, 1 "
	    "error, 1 hang, 0 skipped, 0 xfail, 0 xpass\nclient postfix: 3 "
	    "passed, 1 failed, 0 error, 0 hang, 1 skipped, 1 xfail, 1 xpass\n"
	    "3 passed"));
	free(t);
	r.time_scale = 2;
	t = render(&r, REPORT_TEXT, false);
	assert_non_null(strstr(t, "time scale 2: every timeline's offsets "
	    "and TTLs x2\n"));
	free(t);
	free(last);

	t = render(&r, REPORT_TEXT, true);
	assert_int_equal(count_str(t, "    exit:"), 9);
	free(t);

	/* Colours: verdicts only; client escapes still neutralised. */
	{
		struct report_opts o = { true, false };
		char *out = NULL;
		size_t len = 0;
		FILE *fp = open_memstream(&out, &len);

		assert_int_equal(report_write(&r, REPORT_TEXT, &o, fp), 0);
		fclose(fp);
		assert_non_null(strstr(out, "\033[32mPASS \033[0m"));
		assert_non_null(strstr(out, "\033[35mHANG \033[0m"));
		assert_non_null(strstr(out, "\033[33mXFAIL\033[0m"));
		assert_non_null(strstr(out, "\033[1;31mXPASS\033[0m"));
		assert_null(strstr(out, "\033[31m"));
		free(out);
	}

	r.env_ok = false;
	r.env_message = xstrdup("control/valid-dane-ee: ERROR");
	r.interrupted = true;
	t = render(&r, REPORT_TEXT, false);
	assert_memory_equal(t, "ENVIRONMENT BROKEN: control/valid-dane-ee: "
	    "ERROR\n", 48);
	assert_non_null(strstr(t, "INTERRUPTED"));
	free(t);
	report_clear(&r);
}

/* An empty report to compare: schema and version only. */
static void
diff_base(struct run_report *r)
{
	memset(r, 0, sizeof(*r));
	r->schema = REPORT_SCHEMA_VERSION;
	r->version = xstrdup("0.1-test");
	r->time_scale = 1;
}

static void
set_rule(struct run_result *res, const char *rule)
{
	free(res->rule);
	res->rule = xstrdup(rule);
}

static char *
render_diff(const struct report_diff *d, enum report_format f)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	assert_non_null(fp);
	assert_int_equal(report_diff_write(d, f, "old.json", "new.json", fp),
	    0);
	fclose(fp);
	return buf;
}

/*
 * One cell of each kind: a new failure (PASS -> FAIL), an absent cell
 * now failing (a new failure too), a fix, a changed rule, ERROR -> FAIL
 * (changed, not worse), an added and a removed cell, an unchanged one.
 */
static void
test_diff(void **state)
{
	struct run_report o, n;
	struct report_diff d;
	size_t k;
	char *x;

	(void)state;
	diff_base(&o);
	diff_base(&n);
	add_result(&o, "a/same", "c", SCEN_POLICY_DANE, NULL, -1, RUN_PASS);
	add_result(&n, "a/same", "c", SCEN_POLICY_DANE, NULL, -1, RUN_PASS);
	add_result(&o, "b/worse", "c", SCEN_POLICY_DANE, "p1", 0, RUN_XFAIL);
	add_result(&n, "b/worse", "c", SCEN_POLICY_DANE, "p1", 0, RUN_HANG);
	add_result(&n, "c/new-fail", "c", SCEN_POLICY_DANE, NULL, -1,
	    RUN_FAIL);
	add_result(&o, "d/fixed", "c", SCEN_POLICY_DANE_ONLY, NULL, -1,
	    RUN_FAIL);
	add_result(&n, "d/fixed", "c", SCEN_POLICY_DANE_ONLY, NULL, -1,
	    RUN_XFAIL);
	set_rule(add_result(&o, "e/rule", "c", SCEN_POLICY_DANE, NULL, -1,
	    RUN_FAIL), "rule-a");
	set_rule(add_result(&n, "e/rule", "c", SCEN_POLICY_DANE, NULL, -1,
	    RUN_FAIL), "rule-b");
	add_result(&o, "f/err", "c", SCEN_POLICY_DANE, NULL, -1, RUN_ERROR);
	add_result(&n, "f/err", "c", SCEN_POLICY_DANE, NULL, -1, RUN_FAIL);
	add_result(&n, "g/added", "c", SCEN_POLICY_DANE, NULL, -1, RUN_SKIP);
	add_result(&o, "h/removed", "c", SCEN_POLICY_DANE, NULL, -1,
	    RUN_FAIL);
	/* the same scenario, another phase: another cell */
	add_result(&o, "b/worse", "c", SCEN_POLICY_DANE, "p2", 1, RUN_PASS);
	add_result(&n, "b/worse", "c", SCEN_POLICY_DANE, "p2", 1, RUN_PASS);

	report_diff_compute(&o, &n, &d);
	assert_int_equal(d.counts[REPORT_DIFF_NEW_FAILURE], 2);
	assert_int_equal(d.counts[REPORT_DIFF_FIXED], 1);
	assert_int_equal(d.counts[REPORT_DIFF_CHANGED], 2);
	assert_int_equal(d.counts[REPORT_DIFF_ADDED], 1);
	assert_int_equal(d.counts[REPORT_DIFF_REMOVED], 1);
	assert_int_equal(d.counts[REPORT_DIFF_UNCHANGED], 2);
	assert_int_equal(d.n_entries, 9);
	assert_true(report_diff_worse(&d));
	assert_false(d.scale_differs);
	/* grouped by kind, in cell order within */
	assert_int_equal(d.entries[0].kind, REPORT_DIFF_NEW_FAILURE);
	assert_string_equal(d.entries[0].new->scenario, "b/worse");
	assert_string_equal(d.entries[0].new->phase, "p1");
	assert_null(d.entries[1].old);
	assert_string_equal(d.entries[1].new->scenario, "c/new-fail");
	assert_string_equal(d.entries[2].old->scenario, "d/fixed");
	assert_string_equal(d.entries[3].old->rule, "rule-a");
	assert_string_equal(d.entries[4].old->scenario, "f/err");
	assert_null(d.entries[6].new);
	for (k = 1; k < d.n_entries; k++)
		assert_true(d.entries[k - 1].kind <= d.entries[k].kind);

	x = render_diff(&d, REPORT_TEXT);
	assert_non_null(strstr(x, "New failures (2):\n"));
	assert_non_null(strstr(x, "      FAIL rule-a -> FAIL rule-b\n"));
	assert_non_null(strstr(x, "      - -> FAIL\n"));
	assert_non_null(strstr(x, "2 new failures, 1 fixed, 2 changed, "
	    "1 added, 1 removed, 2 unchanged\n"));
	assert_non_null(strstr(x, "worse than the baseline\n"));
	assert_null(strstr(x, "a/same"));
	free(x);
	x = render_diff(&d, REPORT_JSON);
	assert_non_null(strstr(x, "\"worse\": true"));
	assert_non_null(strstr(x, "\"new_failures\": ["));
	assert_null(strstr(x, "\xff"));
	free(x);
	x = render_diff(&d, REPORT_JUNIT);
	assert_int_equal(count_str(x, "<testcase "), 9);
	assert_int_equal(count_str(x, "<failure "), 2);
	assert_null(strstr(x, "\x1b"));
	free(x);
	x = render_diff(&d, REPORT_HTML);
	assert_non_null(strstr(x, "<h2 class=\"new-failure\">"));
	assert_null(strstr(x, "<b>"));
	free(x);
	report_diff_clear(&d);

	/* A report against itself: nothing worse, nothing listed. */
	n.time_scale = 2;
	report_diff_compute(&n, &n, &d);
	assert_false(report_diff_worse(&d));
	assert_int_equal(d.counts[REPORT_DIFF_UNCHANGED], n.n_results);
	report_diff_clear(&d);
	/* The reverse: XFAIL -> FAIL and an absent cell failing are new. */
	report_diff_compute(&n, &o, &d);
	assert_true(d.scale_differs);
	assert_int_equal(d.counts[REPORT_DIFF_NEW_FAILURE], 2);
	assert_int_equal(d.counts[REPORT_DIFF_REMOVED], 2);
	assert_int_equal(d.counts[REPORT_DIFF_FIXED], 1);	/* b/worse p1 */
	x = render_diff(&d, REPORT_TEXT);
	assert_non_null(strstr(x, "different --time-scale (2 -> 1)"));
	free(x);
	report_diff_clear(&d);

	/* run --baseline: worse makes 1 of any run exit code */
	assert_int_equal(report_diff_exit(0, true), 1);
	assert_int_equal(report_diff_exit(77, true), 1);
	assert_int_equal(report_diff_exit(0, false), 0);
	assert_int_equal(report_diff_exit(1, false), 1);
	assert_int_equal(report_diff_exit(77, false), 77);
	assert_int_equal(report_diff_exit(1, true), 1);
	report_clear(&o);
	report_clear(&n);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_summary_exit),
		cmocka_unit_test(test_sort),
		cmocka_unit_test(test_json_round_trip),
		cmocka_unit_test(test_json_example),
		cmocka_unit_test(test_json_read_errors),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_junit),
		cmocka_unit_test(test_tap),
		cmocka_unit_test(test_html),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_diff),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
