/*
 * test_refclient.c -- unit tests for harness/refclient's decisions
 * (rc_decide.c) on hand-made lookup results: no DNS, no sockets.
 * tests/integration/test_probe.py runs the whole client in every world.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness/refclient/refclient.h"

static struct rc_lookup
lk(enum rc_state s, enum rc_answer a)
{
	struct rc_lookup l = { .done = true, .state = s, .answer = a };

	return l;
}

static void
add_tlsa(struct rc_host *h, uint8_t u, uint8_t s, uint8_t m, size_t len)
{
	struct rc_tlsa *t = &h->tlsa_rrs[h->ntlsa++];

	t->usage = u;
	t->selector = s;
	t->mtype = m;
	t->len = len;
	memset(t->data, 0xab, len);
}

/* A host with secure addresses and a TLSA lookup in state s/a. */
static struct rc_host *
host(enum rc_state addr, enum rc_state tlsa, enum rc_answer ta)
{
	struct rc_host *h = calloc(1, sizeof(*h));

	if (h == NULL)
		abort();	/* not assert_non_null: GCC cannot see it ends */
	snprintf(h->name, sizeof(h->name), "mx1.example.net.");
	snprintf(h->expanded, sizeof(h->expanded), "%s", h->name);
	snprintf(h->tlsa_base, sizeof(h->tlsa_base), "%s", h->name);
	h->addr = lk(addr, RC_DATA);
	h->naddr = 1;
	snprintf(h->addrs[0], sizeof(h->addrs[0]), "127.25.0.1");
	if (addr == RC_SECURE)
		h->tlsa = lk(tlsa, ta);
	return h;
}

static void
test_usable(void **state)
{
	struct rc_tlsa t = { .usage = 3, .selector = 1, .mtype = 1,
	    .len = 32 };

	(void)state;
	assert_true(rc_tlsa_usable(&t));
	t.usage = 2;
	assert_true(rc_tlsa_usable(&t));
	t.usage = 1;		/* PKIX-EE: RFC 7672 3.1.3 */
	assert_false(rc_tlsa_usable(&t));
	t.usage = 0;
	assert_false(rc_tlsa_usable(&t));
	t.usage = 4;
	assert_false(rc_tlsa_usable(&t));
	t.usage = 3;
	t.selector = 2;
	assert_false(rc_tlsa_usable(&t));
	t.selector = 0;
	t.mtype = 3;
	assert_false(rc_tlsa_usable(&t));
	t.mtype = 1;
	t.len = 31;		/* malformed SHA-256 */
	assert_false(rc_tlsa_usable(&t));
	t.mtype = 2;
	t.len = 32;
	assert_false(rc_tlsa_usable(&t));
	t.len = 64;
	assert_true(rc_tlsa_usable(&t));
	t.mtype = 0;
	t.len = 0;
	assert_false(rc_tlsa_usable(&t));
	t.len = 300;
	assert_true(rc_tlsa_usable(&t));
}

static void
test_mx(void **state)
{
	struct rc_lookup l;

	(void)state;
	l = lk(RC_SECURE, RC_DATA);
	assert_true(rc_decide_mx(&l, NULL));
	l = lk(RC_INSECURE, RC_DATA);
	assert_true(rc_decide_mx(&l, NULL));
	l = lk(RC_SECURE, RC_NODATA);	/* implicit MX */
	assert_true(rc_decide_mx(&l, NULL));
	l = lk(RC_BOGUS, RC_DATA);
	assert_false(rc_decide_mx(&l, NULL));
	l = lk(RC_INDETERMINATE, RC_DATA);
	assert_false(rc_decide_mx(&l, NULL));
	l = lk(RC_SECURE, RC_NXDOMAIN);
	assert_false(rc_decide_mx(&l, NULL));
	memset(&l, 0, sizeof(l));
	assert_false(rc_decide_mx(&l, NULL));
}

static void
test_host_auth_encrypt(void **state)
{
	struct rc_host *h = host(RC_SECURE, RC_SECURE, RC_DATA);
	const char *why = NULL;

	(void)state;
	add_tlsa(h, 3, 1, 1, 32);
	assert_int_equal(rc_decide_host(h, RC_POLICY_DANE, &why),
	    RC_ACT_AUTH);
	assert_non_null(why);
	assert_int_equal(rc_decide_host(h, RC_POLICY_DANE_ONLY, NULL),
	    RC_ACT_AUTH);
	/* Only unusable records: encrypt (2.2); dane-only: never here
	 * (Postfix: "TLSA records unusable"). */
	h->ntlsa = 0;
	add_tlsa(h, 1, 1, 1, 32);
	add_tlsa(h, 0, 0, 1, 32);
	add_tlsa(h, 3, 1, 1, 20);
	add_tlsa(h, 7, 1, 1, 32);
	assert_int_equal(rc_decide_host(h, RC_POLICY_DANE, NULL),
	    RC_ACT_ENCRYPT);
	assert_int_equal(rc_decide_host(h, RC_POLICY_DANE_ONLY, NULL),
	    RC_ACT_SKIP);
	/* Plus one usable: auth. */
	add_tlsa(h, 3, 1, 1, 32);
	assert_int_equal(rc_decide_host(h, RC_POLICY_DANE, NULL),
	    RC_ACT_AUTH);
	free(h);
}

static void
test_host_opportunistic(void **state)
{
	struct rc_host *h;

	(void)state;
	/* Insecure addresses: no TLSA lookup made, opportunistic. */
	h = host(RC_INSECURE, RC_SECURE, RC_DATA);
	assert_false(h->tlsa.done);
	assert_int_equal(rc_decide_host(h, RC_POLICY_DANE, NULL),
	    RC_ACT_OPPORTUNISTIC);
	assert_int_equal(rc_decide_host(h, RC_POLICY_DANE_ONLY, NULL),
	    RC_ACT_SKIP);
	free(h);
	/* Secure NODATA / NXDOMAIN, insecure TLSA. */
	h = host(RC_SECURE, RC_SECURE, RC_NXDOMAIN);
	assert_int_equal(rc_decide_host(h, RC_POLICY_DANE, NULL),
	    RC_ACT_OPPORTUNISTIC);
	assert_int_equal(rc_decide_host(h, RC_POLICY_DANE_ONLY, NULL),
	    RC_ACT_SKIP);
	h->tlsa = lk(RC_SECURE, RC_NODATA);
	assert_int_equal(rc_decide_host(h, RC_POLICY_DANE, NULL),
	    RC_ACT_OPPORTUNISTIC);
	h->tlsa = lk(RC_INSECURE, RC_DATA);
	add_tlsa(h, 3, 1, 1, 32);
	assert_int_equal(rc_decide_host(h, RC_POLICY_DANE, NULL),
	    RC_ACT_OPPORTUNISTIC);
	free(h);
}

static void
test_host_failures(void **state)
{
	struct rc_host *h;

	(void)state;
	/* TLSA bogus or indeterminate: host unusable (2.1.2). */
	h = host(RC_SECURE, RC_BOGUS, RC_DATA);
	add_tlsa(h, 3, 1, 1, 32);
	assert_int_equal(rc_decide_host(h, RC_POLICY_DANE, NULL),
	    RC_ACT_SKIP);
	h->tlsa = lk(RC_INDETERMINATE, RC_DATA);
	assert_int_equal(rc_decide_host(h, RC_POLICY_DANE, NULL),
	    RC_ACT_SKIP);
	/* Secure addresses but TLSA never looked up: not usable. */
	memset(&h->tlsa, 0, sizeof(h->tlsa));
	assert_int_equal(rc_decide_host(h, RC_POLICY_DANE, NULL),
	    RC_ACT_SKIP);
	free(h);
	/* Address failure, or no address. */
	h = host(RC_BOGUS, RC_SECURE, RC_DATA);
	assert_int_equal(rc_decide_host(h, RC_POLICY_DANE, NULL),
	    RC_ACT_SKIP);
	h->addr = lk(RC_INSECURE, RC_NXDOMAIN);
	h->naddr = 0;
	assert_int_equal(rc_decide_host(h, RC_POLICY_DANE, NULL),
	    RC_ACT_SKIP);
	free(h);
}

/* The MX RRset's rule first (RFC 7672 2.2.1), then the host's. */
static void
test_decide_insecure_mx(void **state)
{
	struct rc_lookups *l = calloc(1, sizeof(*l));

	struct rc_host *h;
	const char *why = NULL;

	(void)state;
	if (l == NULL)
		abort();
	h = host(RC_SECURE, RC_SECURE, RC_DATA);
	add_tlsa(h, 3, 1, 1, 32);
	l->mx = lk(RC_SECURE, RC_DATA);
	assert_int_equal(rc_decide(l, h, RC_POLICY_DANE, NULL), RC_ACT_AUTH);
	assert_int_equal(rc_decide(l, h, RC_POLICY_DANE_ONLY, NULL),
	    RC_ACT_AUTH);
	/* Insecure MX, secure matching TLSA: the primary reading under
	 * dane, never a delivery under dane-only. */
	l->mx = lk(RC_INSECURE, RC_DATA);
	assert_int_equal(rc_decide(l, h, RC_POLICY_DANE, &why),
	    RC_ACT_OPPORTUNISTIC);
	assert_non_null(strstr(why, "2.2.1"));
	assert_int_equal(rc_decide(l, h, RC_POLICY_DANE_ONLY, &why),
	    RC_ACT_SKIP);
	assert_non_null(strstr(why, "non DNSSEC destination"));
	/* Implicit MX from an insecure NODATA: the same. */
	l->mx = lk(RC_INSECURE, RC_NODATA);
	assert_int_equal(rc_decide(l, h, RC_POLICY_DANE_ONLY, NULL),
	    RC_ACT_SKIP);
	/* An address failure still skips the host under dane. */
	h->addr = lk(RC_BOGUS, RC_DATA);
	assert_int_equal(rc_decide(l, h, RC_POLICY_DANE, NULL), RC_ACT_SKIP);
	free(h);
	free(l);
}

/* Digest agility: the strongest matching type per usage and selector. */
static void
test_digest_agility(void **state)
{
	struct rc_host *h = host(RC_SECURE, RC_SECURE, RC_DATA);
	char b[80];

	(void)state;
	add_tlsa(h, 3, 1, 1, 32);	/* 0: shadowed by 1 */
	add_tlsa(h, 3, 1, 2, 64);	/* 1 */
	add_tlsa(h, 3, 0, 1, 32);	/* 2: other selector */
	add_tlsa(h, 2, 1, 0, 40);	/* 3: shadowed by 4 */
	add_tlsa(h, 2, 1, 1, 32);	/* 4 */
	add_tlsa(h, 3, 0, 2, 20);	/* 5: unusable, shadows nothing */
	add_tlsa(h, 1, 1, 2, 64);	/* 6: PKIX-EE: unusable */
	add_tlsa(h, 1, 1, 1, 32);	/* 7: unusable, not "shadowed" */
	assert_int_equal(rc_tlsa_shadowed(h->tlsa_rrs, h->ntlsa, 0), 2);
	assert_int_equal(rc_tlsa_shadowed(h->tlsa_rrs, h->ntlsa, 1), -1);
	assert_int_equal(rc_tlsa_shadowed(h->tlsa_rrs, h->ntlsa, 2), -1);
	assert_int_equal(rc_tlsa_shadowed(h->tlsa_rrs, h->ntlsa, 3), 1);
	assert_int_equal(rc_tlsa_shadowed(h->tlsa_rrs, h->ntlsa, 4), -1);
	assert_int_equal(rc_tlsa_shadowed(h->tlsa_rrs, h->ntlsa, 5), -1);
	assert_int_equal(rc_tlsa_shadowed(h->tlsa_rrs, h->ntlsa, 7), -1);
	assert_int_equal(rc_tlsa_shadowed(h->tlsa_rrs, h->ntlsa, 99), -1);
	/* What the probe's trace says of each. */
	assert_string_equal(rc_tlsa_label(h->tlsa_rrs, h->ntlsa, 0, b,
	    sizeof(b)), "shadowed by digest agility: 3 1 2 present");
	assert_string_equal(rc_tlsa_label(h->tlsa_rrs, h->ntlsa, 1, b,
	    sizeof(b)), "usable");
	assert_string_equal(rc_tlsa_label(h->tlsa_rrs, h->ntlsa, 3, b,
	    sizeof(b)), "shadowed by digest agility: 2 1 1 present");
	assert_string_equal(rc_tlsa_label(h->tlsa_rrs, h->ntlsa, 5, b,
	    sizeof(b)), "unusable");
	assert_string_equal(rc_tlsa_label(h->tlsa_rrs, h->ntlsa, 7, b,
	    sizeof(b)), "unusable");
	/* A shadowed record still makes the RRset usable: auth. */
	assert_int_equal(rc_decide_host(h, RC_POLICY_DANE_ONLY, NULL),
	    RC_ACT_AUTH);
	free(h);
}

static void
test_session(void **state)
{
	(void)state;
	assert_true(rc_decide_session(RC_ACT_AUTH, RC_SESS_TLS_AUTH));
	assert_false(rc_decide_session(RC_ACT_AUTH, RC_SESS_TLS));
	assert_false(rc_decide_session(RC_ACT_AUTH, RC_SESS_AUTH_FAILED));
	assert_false(rc_decide_session(RC_ACT_AUTH, RC_SESS_NO_STARTTLS));
	assert_false(rc_decide_session(RC_ACT_AUTH, RC_SESS_PLAIN));
	assert_false(rc_decide_session(RC_ACT_AUTH, RC_SESS_TLS_FAILED));
	assert_true(rc_decide_session(RC_ACT_ENCRYPT, RC_SESS_TLS));
	assert_false(rc_decide_session(RC_ACT_ENCRYPT, RC_SESS_NO_STARTTLS));
	assert_false(rc_decide_session(RC_ACT_ENCRYPT, RC_SESS_PLAIN));
	assert_true(rc_decide_session(RC_ACT_OPPORTUNISTIC, RC_SESS_PLAIN));
	assert_true(rc_decide_session(RC_ACT_OPPORTUNISTIC, RC_SESS_TLS));
	assert_false(rc_decide_session(RC_ACT_OPPORTUNISTIC,
	    RC_SESS_CONNECT_FAILED));
	assert_false(rc_decide_session(RC_ACT_OPPORTUNISTIC,
	    RC_SESS_REJECTED));
	assert_false(rc_decide_session(RC_ACT_SKIP, RC_SESS_TLS_AUTH));
}

static void
test_nexthop(void **state)
{
	struct rc_lookups *l = calloc(1, sizeof(*l));

	if (l == NULL)
		abort();

	(void)state;
	assert_non_null(l);
	l->mx = lk(RC_SECURE, RC_DATA);
	assert_true(rc_decide_nexthop_name(l));
	l->mx = lk(RC_INSECURE, RC_DATA);	/* 3.2.2: MX name only */
	assert_false(rc_decide_nexthop_name(l));
	free(l);
}

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(rc_state_name(RC_INDETERMINATE), "indeterminate");
	assert_string_equal(rc_final_name(RC_FINAL_DEFER), "defer");
	assert_string_equal(rc_action_name(RC_ACT_ENCRYPT), "encrypt");
	assert_string_equal(rc_answer_name(RC_NXDOMAIN), "nxdomain");
	assert_string_equal(rc_session_name(RC_SESS_NO_STARTTLS),
	    "no-starttls");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_usable),
	    cmocka_unit_test(test_mx),
	    cmocka_unit_test(test_host_auth_encrypt),
	    cmocka_unit_test(test_host_opportunistic),
	    cmocka_unit_test(test_host_failures),
	    cmocka_unit_test(test_session),
	    cmocka_unit_test(test_nexthop),
	    cmocka_unit_test(test_decide_insecure_mx),
	    cmocka_unit_test(test_digest_agility),
	    cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
