/*
 * test_facts.c -- a world's expected diagnosis, derived from its declared
 * facts (harness/run/facts.h), on catalogue scenarios; and the codes'
 * vocabulary.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness/run/facts.h"
#include "simulator/scenario/scenario.h"

static struct scenario *
load(const char *id)
{
	char path[1024];
	struct dl_diags d;
	struct scenario *s = NULL;

	dl_diags_init(&d);
	snprintf(path, sizeof(path), "%s/../scenarios/%s.yaml",
	    getenv("DANELAB_TESTS"), id);
	assert_int_equal(scenario_load(path, getenv("DANELAB_FIXTURES"), &s,
	    &d), 0);
	dl_diags_clear(&d);
	return s;
}

/* The code string of host 0 at phase. */
static void
check(const char *id, int phase, const char *want)
{
	struct scenario *s = load(id);
	struct world_facts wf;
	char buf[512];

	facts_derive(s, phase, NULL, &wf);
	assert_true(wf.n >= 1);
	assert_string_equal(facts_format(&wf.host[0], buf, sizeof(buf)),
	    want);
	scenario_free(s);
}

static void
test_states(void **st)
{
	(void)st;
	check("control/valid-dane-ee", -1, "mx=secure address=secure "
	    "tlsa=secure usable=yes match=yes starttls=yes chain=yes "
	    "auth=yes");
	/* SERVFAIL: indeterminate, never bogus; nothing to match. */
	check("tlsa/servfail", -1, "mx=secure address=secure "
	    "tlsa=indeterminate starttls=yes chain=yes");
	check("tlsa/nodata", -1, "mx=secure address=secure tlsa=none "
	    "starttls=yes chain=yes");
	check("dnssec/missing-ds", -1, "mx=insecure address=insecure "
	    "tlsa=insecure starttls=yes chain=yes");
	check("tlsa/pkix-only", -1, "mx=secure address=secure tlsa=secure "
	    "usable=no starttls=yes chain=yes");
	check("starttls/not-offered", -1, "mx=secure address=secure "
	    "tlsa=secure usable=yes starttls=no chain=no");
	/* A failed address: the server is not met. */
	check("dnssec/ds-mismatch", -1, "mx=bogus address=bogus tlsa=bogus");
}

static void
test_match(void **st)
{
	(void)st;
	/* A 3 1 2 (SHA-512) record: the strongest digest, matching. */
	check("tlsa/dane-ee-sha512", -1, "mx=secure address=secure "
	    "tlsa=secure usable=yes match=yes starttls=yes chain=yes "
	    "auth=yes");
	/* DANE-TA: matches, names fail: match yes, auth no. */
	check("tlsa/dane-ta-wrong-name", -1, "mx=secure address=secure "
	    "tlsa=secure usable=yes match=yes starttls=yes chain=yes "
	    "auth=no");
	check("tlsa/dane-ta-not-sent", -1, "mx=secure address=secure "
	    "tlsa=secure usable=yes match=no starttls=yes chain=yes "
	    "auth=no");
	/* The resolver's cache: phase switched sees the old RRset. */
	check("rollover/late-introduction", 2, "mx=secure address=secure "
	    "tlsa=secure usable=yes match=no starttls=yes chain=yes "
	    "auth=no");
	/* A CNAME host: the records at the original name (zone records). */
	check("cname/tlsa-at-original", -1, "mx=secure address=secure "
	    "tlsa=secure usable=yes match=yes starttls=yes chain=yes "
	    "auth=yes");
	check("rollover/late-introduction", 3, "mx=secure address=secure "
	    "tlsa=secure usable=yes match=yes starttls=yes chain=yes "
	    "auth=yes");
}

static void
test_vocabulary(void **st)
{
	(void)st;
	assert_int_equal(fact_key_parse("tlsa", 4), FACT_TLSA);
	assert_int_equal(fact_key_parse("tlsax", 5), -1);
	assert_non_null(fact_value_parse(FACT_TLSA, "failed"));
	assert_null(fact_value_parse(FACT_MATCH, "failed"));
	/* The coarse value covers both failures; bogus is not SERVFAIL. */
	assert_true(fact_accepts(FACT_TLSA, "indeterminate", "failed"));
	assert_true(fact_accepts(FACT_TLSA, "bogus", "failed"));
	assert_false(fact_accepts(FACT_TLSA, "indeterminate", "bogus"));
	assert_false(fact_accepts(FACT_TLSA, "none", "failed"));
	assert_false(fact_accepts(FACT_TLSA, "insecure", "none"));
	assert_true(fact_accepts(FACT_MATCH, NULL, "yes"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_states),
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_vocabulary),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
