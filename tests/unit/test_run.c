/*
 * test_run.c -- unit tests for the scoring of `danelab run`
 * (harness/run/run_score.c): hand-written event logs and client output
 * against hand-built scenarios, no lab.  tests/integration/test_run.py
 * runs real cells.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness/run/run.h"

/* ------------------------------------------------------------ fixtures */

struct fx {
	struct scenario s;
	struct scen_host hosts[2];
	struct scen_host_expect hexp[2];
	struct client_profile p;
	struct profile_claim claims[3];
	struct profile_deviation dev;
	char events[64];
	struct run_events ev;
};

static void
fx_scenario(struct fx *f, size_t n_hosts, enum scen_action dane)
{
	memset(&f->s, 0, sizeof(f->s));
	f->s.id = (char *)"test/world";
	f->s.domain = (char *)"example.net.";
	f->hosts[0].name = (char *)"mx1.example.net.";
	f->hosts[1].name = (char *)"mx2.example.net.";
	f->hosts[0].starttls = f->hosts[1].starttls = SCEN_STARTTLS_ON;
	f->s.hosts = f->hosts;
	f->s.n_hosts = n_hosts;
	f->s.expect.policy[SCEN_POLICY_DANE].set = true;
	f->s.expect.policy[SCEN_POLICY_DANE].overall = dane;
	f->s.expect.policy[SCEN_POLICY_DANE_ONLY].set = true;
	f->s.expect.policy[SCEN_POLICY_DANE_ONLY].overall = SCEN_ACT_DEFER;
}

/* Per-host expectation under dane: mx1 a1, mx2 a2. */
static void
fx_per_host(struct fx *f, enum scen_action a1, enum scen_action a2,
    enum scen_action overall)
{
	struct scen_expect_policy *ep = &f->s.expect.policy[SCEN_POLICY_DANE];

	f->hexp[0].host = (char *)"mx1.example.net";
	f->hexp[0].action = a1;
	f->hexp[1].host = (char *)"mx2.example.net";
	f->hexp[1].action = a2;
	ep->hosts = f->hexp;
	ep->n_hosts = 2;
	ep->overall = overall;
}

static void
fx_claim(struct profile_claim *c, const char *re, enum run_claim claim,
    unsigned group, bool overall, enum scen_action action)
{
	memset(c, 0, sizeof(*c));
	c->pattern = (char *)re;
	assert_int_equal(regcomp(&c->re, re, REG_EXTENDED), 0);
	c->claim = claim;
	c->host_group = group;
	c->overall = overall;
	c->action = action;
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->p.name = (char *)"testclient";
	f->p.timeout_s = 30;
	f->p.delivers = true;
	fx_claim(&f->claims[0], "^verified ([a-z0-9.]+)", RUN_CLAIM_AUTH, 1,
	    false, SCEN_ACT_UNSET);
	fx_claim(&f->claims[1], "^untrusted ([a-z0-9.]+)", RUN_CLAIM_ENCRYPT,
	    1, false, SCEN_ACT_UNSET);
	fx_claim(&f->claims[2], "^decision: encrypt", RUN_CLAIM_NONE, 0, true,
	    SCEN_ACT_ENCRYPT);
	f->p.claims = f->claims;
	f->p.n_claims = 3;
	f->p.exit_status[0] = 0;
	f->p.exit_meaning[0] = PROFILE_EXIT_DONE;
	f->p.exit_status[1] = 1;
	f->p.exit_meaning[1] = PROFILE_EXIT_DEFERRED;
	f->p.n_exits = 2;
	snprintf(f->events, sizeof(f->events), "/tmp/test_run.XXXXXX");
	assert_int_not_equal(mkstemp(f->events), -1);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	size_t i;

	for (i = 0; i < 3; i++)
		regfree(&f->claims[i].re);
	run_events_clear(&f->ev);
	unlink(f->events);
	free(f);
	return 0;
}

/* Write the event log (one JSON object per line) and read it. */
static void
fx_events(struct fx *f, const char *text)
{
	struct dl_diags d;
	FILE *fp = fopen(f->events, "w");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	dl_diags_init(&d);
	run_events_clear(&f->ev);
	assert_int_equal(run_events_read(f->events, &f->ev, &d), 0);
	dl_diags_clear(&d);
}

#define RUN0(st, to)                                                         \
	"{\"v\":1,\"t\":0.10,\"ev\":\"client.start\",\"run\":0}\n"           \
	"{\"v\":1,\"t\":0.90,\"ev\":\"client.end\",\"run\":0,\"status\":" st \
	",\"timed_out\":" to ",\"ms\":800}\n"

/* One event of session id at host. */
#define EV(t, type, host, id, rest)                                          \
	"{\"v\":1,\"t\":" t ",\"ev\":\"" type "\",\"session\":" id         \
	",\"host\":\"" host "\"" rest "}\n"
#define CONNECT(t, h, id) EV(t, "smtp.connect", h, id, ",\"accepted\":true")
#define STARTTLS(t, h, id) EV(t, "smtp.starttls", h, id, ",\"result\":\"ready\"")
#define TLS_OK(t, h, id)                                                     \
	EV(t, "smtp.tls", h, id, ",\"result\":\"ok\",\"sni\":\"" h "\"")
#define TLS_FAIL(t, h, id)                                                   \
	EV(t, "smtp.tls", h, id, ",\"result\":\"failed\",\"client_alert\":\"bad certificate\"")
#define MSG(t, h, id, tls)                                                   \
	EV(t, "smtp.message", h, id, ",\"accepted\":true,\"tls\":" tls)
#define CLOSE(t, h, id) EV(t, "smtp.close", h, id, ",\"how\":\"quit\"")

/* Whole sessions, by what happened in them. */
#define S_DELIVERED_TLS(t, h, id)                                            \
	CONNECT(t, h, id) STARTTLS(t, h, id) TLS_OK(t, h, id)                \
	    MSG(t, h, id, "true") CLOSE(t, h, id)
#define S_DELIVERED_PLAIN(t, h, id)                                          \
	CONNECT(t, h, id) MSG(t, h, id, "false") CLOSE(t, h, id)
#define S_QUIT_AFTER_TLS(t, h, id)                                           \
	CONNECT(t, h, id) STARTTLS(t, h, id) TLS_OK(t, h, id) CLOSE(t, h, id)
#define S_TLS_ABORTED(t, h, id)                                              \
	CONNECT(t, h, id) STARTTLS(t, h, id) TLS_FAIL(t, h, id) CLOSE(t, h, id)
#define EHLO(t, h, id, offered)                                              \
	EV(t, "smtp.command", h, id, ",\"verb\":\"EHLO\",\"tls\":false,"      \
	    "\"code\":250,\"starttls_offered\":" offered)
/* EHLO (STARTTLS not offered), QUIT. */
#define S_QUIT_PLAIN(t, h, id)                                               \
	CONNECT(t, h, id) EHLO(t, h, id, "false") CLOSE(t, h, id)
/* EHLO offering STARTTLS, unused, QUIT. */
#define S_IGNORES_STARTTLS(t, h, id)                                         \
	CONNECT(t, h, id) EHLO(t, h, id, "true") CLOSE(t, h, id)

/* Score run 0 under policy with output out. */
static void
score(struct fx *f, enum scen_policy policy, const char *out,
    struct run_result *res)
{
	struct run_score_in in;

	memset(&in, 0, sizeof(in));
	memset(res, 0, sizeof(*res));
	in.s = &f->s;
	in.phase = -1;
	in.policy = policy;
	in.client = &f->p;
	in.ev = &f->ev;
	in.run = f->ev.n_runs > 0 ? &f->ev.runs[0] : NULL;
	in.output = out;
	in.output_len = out ? strlen(out) : 0;
	run_score(&in, res);
}

/* --------------------------------------------------------------- tests */

static void
test_auth_delivered_tls_passes(void **state)
{
	struct fx *f = *state;
	struct run_result r;

	fx_scenario(f, 1, SCEN_ACT_AUTH);
	fx_events(f, RUN0("0", "false")
	    S_DELIVERED_TLS("0.2", "mx1.example.net", "1"));
	score(f, SCEN_POLICY_DANE, "verified mx1.example.net\n", &r);
	assert_int_equal(r.verdict, RUN_PASS);
	assert_int_equal(r.n_hosts, 1);
	assert_string_equal(r.hosts[0].host, "mx1.example.net");
	assert_int_equal(r.hosts[0].outcome, RUN_OUT_DELIVERED_TLS);
	assert_int_equal(r.hosts[0].claim, RUN_CLAIM_AUTH);
	assert_int_equal(r.hosts[0].sessions, 1);
	run_result_clear(&r);
}

static void
test_defer_world_delivered_fails(void **state)
{
	struct fx *f = *state;
	struct run_result r;

	fx_scenario(f, 1, SCEN_ACT_DEFER);
	fx_events(f, RUN0("0", "false")
	    S_DELIVERED_TLS("0.2", "mx1.example.net", "1"));
	score(f, SCEN_POLICY_DANE, NULL, &r);
	assert_int_equal(r.verdict, RUN_FAIL);
	assert_non_null(strstr(r.reason, "forbids delivery"));
	run_result_clear(&r);

	/* Aborting the handshake or quitting after TLS is right. */
	fx_events(f, RUN0("1", "false")
	    S_QUIT_AFTER_TLS("0.2", "mx1.example.net", "1"));
	score(f, SCEN_POLICY_DANE, NULL, &r);
	assert_int_equal(r.verdict, RUN_PASS);
	run_result_clear(&r);
}

static void
test_auth_world_nothing_delivered_fails(void **state)
{
	struct fx *f = *state;
	struct run_result r;

	fx_scenario(f, 1, SCEN_ACT_AUTH);
	fx_events(f, RUN0("1", "false"));
	score(f, SCEN_POLICY_DANE, NULL, &r);
	assert_int_equal(r.verdict, RUN_FAIL);
	assert_int_equal(r.hosts[0].outcome, RUN_OUT_NOT_CONTACTED);
	assert_non_null(strstr(r.reason, "delivered nowhere"));
	run_result_clear(&r);
}

static void
test_cleartext_where_tls_required_fails(void **state)
{
	struct fx *f = *state;
	struct run_result r;

	fx_scenario(f, 1, SCEN_ACT_ENCRYPT);
	fx_events(f, RUN0("0", "false")
	    S_DELIVERED_PLAIN("0.2", "mx1.example.net", "1"));
	score(f, SCEN_POLICY_DANE, NULL, &r);
	assert_int_equal(r.verdict, RUN_FAIL);
	assert_non_null(strstr(r.reason, "cleartext"));
	run_result_clear(&r);

	/* The same is fine where opportunistic is expected. */
	fx_scenario(f, 1, SCEN_ACT_OPPORTUNISTIC);
	score(f, SCEN_POLICY_DANE, NULL, &r);
	assert_int_equal(r.verdict, RUN_PASS);
	run_result_clear(&r);
}

static void
test_unauthenticated_in_auth_world_fails(void **state)
{
	struct fx *f = *state;
	struct run_result r;

	fx_scenario(f, 1, SCEN_ACT_AUTH);
	fx_events(f, RUN0("0", "false")
	    S_DELIVERED_TLS("0.2", "mx1.example.net", "1"));
	score(f, SCEN_POLICY_DANE, "untrusted mx1.example.net\n", &r);
	assert_int_equal(r.verdict, RUN_FAIL);
	assert_non_null(strstr(r.reason, "unauthenticated"));
	run_result_clear(&r);

	/* Its overall word contradicting the RFC fails it too. */
	score(f, SCEN_POLICY_DANE, "decision: encrypt\n", &r);
	assert_int_equal(r.verdict, RUN_FAIL);
	assert_int_equal(r.claimed, SCEN_ACT_ENCRYPT);
	run_result_clear(&r);
}

static void
test_probe_claim_needs_server_evidence(void **state)
{
	struct fx *f = *state;
	struct run_result r;

	f->p.delivers = false;
	fx_scenario(f, 1, SCEN_ACT_AUTH);
	/* Says "verified", but no TLS session reached the server. */
	fx_events(f, RUN0("0", "false"));
	score(f, SCEN_POLICY_DANE, "verified mx1.example.net\n", &r);
	assert_int_equal(r.verdict, RUN_FAIL);
	run_result_clear(&r);

	/* With the handshake seen: believed. */
	fx_events(f, RUN0("0", "false")
	    S_QUIT_AFTER_TLS("0.2", "mx1.example.net", "1"));
	score(f, SCEN_POLICY_DANE, "verified mx1.example.net\n", &r);
	assert_int_equal(r.verdict, RUN_PASS);
	run_result_clear(&r);

	/* "untrusted" after a handshake in a defer world: would deliver. */
	fx_scenario(f, 1, SCEN_ACT_DEFER);
	score(f, SCEN_POLICY_DANE, "untrusted mx1.example.net\n", &r);
	assert_int_equal(r.verdict, RUN_FAIL);
	run_result_clear(&r);
}

static void
test_probe_silent_without_starttls_skips(void **state)
{
	struct fx *f = *state;
	struct run_result r;

	f->p.delivers = false;
	fx_scenario(f, 1, SCEN_ACT_OPPORTUNISTIC);
	f->hosts[0].starttls = SCEN_STARTTLS_OFF;
	fx_events(f, RUN0("0", "false")
	    S_QUIT_PLAIN("0.2", "mx1.example.net", "1"));
	score(f, SCEN_POLICY_DANE, "", &r);
	assert_int_equal(r.verdict, RUN_SKIP);
	assert_non_null(strstr(r.reason, "without STARTTLS"));
	run_result_clear(&r);

	/* A delivering client is scored on what the server saw. */
	f->p.delivers = true;
	score(f, SCEN_POLICY_DANE, "", &r);
	assert_int_equal(r.verdict, RUN_FAIL);
	run_result_clear(&r);

	/* A probe that ignores the STARTTLS the server offered. */
	f->p.delivers = false;
	fx_scenario(f, 1, SCEN_ACT_AUTH);
	fx_events(f, RUN0("0", "false")
	    S_IGNORES_STARTTLS("0.2", "mx1.example.net", "1"));
	score(f, SCEN_POLICY_DANE, "", &r);
	assert_int_equal(r.verdict, RUN_FAIL);
	assert_string_equal(r.rule, "cleartext");
	run_result_clear(&r);

	/* A session closed before any EHLO reply tells nothing. */
	fx_events(f, RUN0("0", "false")
	    CONNECT("0.2", "mx1.example.net", "1")
	    CLOSE("0.2", "mx1.example.net", "1")
	    S_DELIVERED_TLS("0.3", "mx1.example.net", "2"));
	score(f, SCEN_POLICY_DANE, "verified mx1.example.net\n", &r);
	assert_int_equal(r.verdict, RUN_PASS);
	run_result_clear(&r);
}

static void
test_next_mx_then_auth(void **state)
{
	struct fx *f = *state;
	struct run_result r;

	fx_scenario(f, 2, SCEN_ACT_AUTH);
	fx_per_host(f, SCEN_ACT_NEXT_MX, SCEN_ACT_AUTH, SCEN_ACT_AUTH);
	fx_events(f, RUN0("0", "false")
	    S_TLS_ABORTED("0.2", "mx1.example.net", "1")
	    S_DELIVERED_TLS("0.3", "mx2.example.net", "1"));
	score(f, SCEN_POLICY_DANE, NULL, &r);
	assert_int_equal(r.verdict, RUN_PASS);
	assert_int_equal(r.hosts[0].expected, SCEN_ACT_NEXT_MX);
	assert_int_equal(r.hosts[0].outcome, RUN_OUT_TLS_ABORTED);
	assert_int_equal(r.hosts[1].outcome, RUN_OUT_DELIVERED_TLS);
	run_result_clear(&r);

	/* Delivering through the broken first MX fails. */
	fx_events(f, RUN0("0", "false")
	    S_DELIVERED_TLS("0.2", "mx1.example.net", "1"));
	score(f, SCEN_POLICY_DANE, NULL, &r);
	assert_int_equal(r.verdict, RUN_FAIL);
	assert_non_null(strstr(r.reason, "mx1.example.net"));
	assert_int_equal(r.hosts[1].outcome, RUN_OUT_NOT_CONTACTED);
	run_result_clear(&r);
}

static void
test_sessions_outside_the_run_ignored(void **state)
{
	struct fx *f = *state;
	struct run_result r;

	fx_scenario(f, 1, SCEN_ACT_DEFER);
	/*
	 * A delivery at t=0.05, before the client started at 0.1: nobody's
	 * doing that the harness knows of, so the evidence is not trusted.
	 */
	fx_events(f, RUN0("1", "false")
	    S_DELIVERED_TLS("0.05", "mx1.example.net", "7"));
	score(f, SCEN_POLICY_DANE, NULL, &r);
	assert_int_equal(r.verdict, RUN_ERROR);
	assert_string_equal(r.rule, "evidence");
	run_result_clear(&r);
}

#define RESQ(t, name, type, rest)                                            \
	"{\"v\":1,\"t\":" t ",\"ev\":\"resolver.query\",\"client\":"         \
	"\"127.0.0.1:5353\",\"transport\":\"udp\",\"qname\":\"" name "\","     \
	"\"qtype\":\"" type "\",\"cd\":false,\"do\":true," rest                 \
	",\"ms\":1}\n"

/*
 * What the resolver told the client about each host's TLSA RRset
 * during its run (resolver.query "tlsa"): the last answer, by host.
 */
static void
test_resolver_tlsa_answers(void **state)
{
	struct fx *f = *state;
	struct run_result r;

	fx_scenario(f, 2, SCEN_ACT_AUTH);
	fx_events(f, RUN0("0", "false")
	    /* Before the run: someone else's. */
	    RESQ("0.05", "_25._tcp.mx1.example.net.", "TLSA",
		"\"rcode\":\"NOERROR\",\"secure\":true,\"bogus\":false,"
		"\"tlsa\":[\"3 1 1 00\"]")
	    RESQ("0.2", "_25._TCP.mx1.example.net.", "TLSA",
		"\"rcode\":\"NOERROR\",\"secure\":true,\"bogus\":false,"
		"\"tlsa\":[\"3 1 1 aa\"]")
	    RESQ("0.3", "mx1.example.net.", "A",
		"\"rcode\":\"NOERROR\",\"secure\":true,\"bogus\":false")
	    RESQ("0.4", "_25._tcp.mx2.example.net.", "TLSA",
		"\"rcode\":\"SERVFAIL\",\"secure\":false,\"bogus\":true,"
		"\"why_bogus\":\"no signatures\"")
	    RESQ("0.5", "_25._tcp.mx1.example.net.", "TLSA",
		"\"rcode\":\"NOERROR\",\"secure\":true,\"bogus\":false,"
		"\"tlsa\":[\"3 1 1 bb\",\"2 0 1 cc\"]")
	    /* Asked again with CD (a validating forwarder): not taken. */
	    "{\"v\":1,\"t\":0.55,\"ev\":\"resolver.query\",\"qname\":"
	    "\"_25._tcp.mx1.example.net.\",\"qtype\":\"TLSA\",\"cd\":true,"
	    "\"rcode\":\"NOERROR\",\"secure\":false,\"bogus\":false,"
	    "\"tlsa\":[\"3 1 1 dd\"]}\n"
	    S_DELIVERED_TLS("0.6", "mx1.example.net", "1"));
	score(f, SCEN_POLICY_DANE, "verified mx1.example.net\n", &r);
	assert_int_equal(r.hosts[0].tlsa_state, RUN_TLSA_SECURE);
	assert_int_equal(r.hosts[0].n_tlsa, 2);
	/* Sorted: a set, whatever order the resolver rotated it to. */
	assert_string_equal(r.hosts[0].tlsa[0], "2 0 1 cc");
	assert_string_equal(r.hosts[0].tlsa[1], "3 1 1 bb");
	assert_int_equal(r.hosts[1].tlsa_state, RUN_TLSA_BOGUS);
	assert_int_equal(r.hosts[1].n_tlsa, 0);
	run_result_clear(&r);

	/* Only with CD: unchecked by the resolver. */
	fx_events(f, RUN0("0", "false")
	    "{\"v\":1,\"t\":0.55,\"ev\":\"resolver.query\",\"qname\":"
	    "\"_25._tcp.mx1.example.net.\",\"qtype\":\"TLSA\",\"cd\":true,"
	    "\"rcode\":\"NOERROR\",\"secure\":false,\"bogus\":false,"
	    "\"tlsa\":[\"3 1 1 dd\"]}\n"
	    S_DELIVERED_TLS("0.6", "mx1.example.net", "1"));
	score(f, SCEN_POLICY_DANE, "verified mx1.example.net\n", &r);
	assert_int_equal(r.hosts[0].tlsa_state, RUN_TLSA_UNCHECKED);
	assert_string_equal(r.hosts[0].tlsa[0], "3 1 1 dd");
	run_result_clear(&r);

	/* Nothing asked: nothing recorded. */
	fx_events(f, RUN0("0", "false")
	    S_DELIVERED_TLS("0.6", "mx1.example.net", "1"));
	score(f, SCEN_POLICY_DANE, "verified mx1.example.net\n", &r);
	assert_int_equal(r.hosts[0].tlsa_state, RUN_TLSA_NOT_ASKED);
	assert_int_equal(r.hosts[0].n_tlsa, 0);
	run_result_clear(&r);
}

static void
test_hang_and_not_run(void **state)
{
	struct fx *f = *state;
	struct run_result r;

	fx_scenario(f, 1, SCEN_ACT_AUTH);
	fx_events(f, RUN0("143", "true"));
	score(f, SCEN_POLICY_DANE, NULL, &r);
	assert_int_equal(r.verdict, RUN_HANG);
	assert_true(r.timed_out);
	run_result_clear(&r);

	fx_events(f, "");
	score(f, SCEN_POLICY_DANE, NULL, &r);
	assert_int_equal(r.verdict, RUN_ERROR);
	run_result_clear(&r);

	fx_events(f, RUN0("127", "false"));
	score(f, SCEN_POLICY_DANE, NULL, &r);
	assert_int_equal(r.verdict, RUN_ERROR);
	run_result_clear(&r);
}

static void
test_known_deviation(void **state)
{
	struct fx *f = *state;
	struct run_result r;

	memset(&f->dev, 0, sizeof(f->dev));
	f->dev.scenario = (char *)"test/";
	f->dev.policy = -1;
	f->dev.rule = RULE_NEXT_MX_USED;
	f->dev.reason = (char *)"documented";
	f->p.devs = &f->dev;
	f->p.n_devs = 1;
	fx_scenario(f, 1, SCEN_ACT_DEFER);
	fx_events(f, RUN0("0", "false")
	    S_DELIVERED_TLS("0.2", "mx1.example.net", "1"));
	score(f, SCEN_POLICY_DANE, NULL, &r);
	assert_int_equal(r.verdict, RUN_XFAIL);
	assert_string_equal(r.deviation, "next-mx-used: documented");
	assert_string_equal(r.rule, "next-mx-used");
	run_result_clear(&r);

	fx_events(f, RUN0("1", "false"));
	score(f, SCEN_POLICY_DANE, NULL, &r);
	assert_int_equal(r.verdict, RUN_XPASS);
	run_result_clear(&r);
}

static void
test_events_bad_lines(void **state)
{
	struct fx *f = *state;
	char *big = malloc(20000);

	assert_non_null(big);
	memset(big, 'x', 19998);
	big[19998] = '\n';
	big[19999] = '\0';
	fx_events(f, "not json\n{\"v\":1}\n[1,2]\n");
	assert_int_equal(f->ev.bad_lines, 2);
	assert_non_null(strstr(f->ev.problem, "line 1 is not an event"));
	fx_events(f, big);
	assert_int_equal(f->ev.bad_lines, 1);
	free(big);
}

/* Counts, not a maximum: cleartext next to TLS at one host fails. */
static void
test_mixed_sessions_fail(void **state)
{
	struct fx *f = *state;
	struct run_result r;

	fx_scenario(f, 2, SCEN_ACT_AUTH);
	fx_events(f, RUN0("0", "false")
	    S_DELIVERED_TLS("0.2", "mx1.example.net", "1")
	    S_DELIVERED_PLAIN("0.3", "mx1.example.net", "2"));
	score(f, SCEN_POLICY_DANE, "verified mx1.example.net\n", &r);
	assert_int_equal(r.verdict, RUN_FAIL);
	assert_string_equal(r.rule, "cleartext");
	assert_int_equal(r.hosts[0].msgs_plain, 1);
	assert_int_equal(r.hosts[0].msgs_tls, 1);
	run_result_clear(&r);

	/* TLS at mx1, cleartext at mx2: every host is checked. */
	fx_events(f, RUN0("0", "false")
	    S_DELIVERED_TLS("0.2", "mx1.example.net", "1")
	    S_DELIVERED_PLAIN("0.3", "mx2.example.net", "2"));
	score(f, SCEN_POLICY_DANE, NULL, &r);
	assert_int_equal(r.verdict, RUN_FAIL);
	assert_string_equal(r.rule_host, "mx2.example.net");
	run_result_clear(&r);

	/* A MAIL command in cleartext is a cleartext transaction. */
	fx_events(f, RUN0("0", "false")
	    CONNECT("0.2", "mx1.example.net", "1")
	    EV("0.2", "smtp.command", "mx1.example.net", "1",
		",\"verb\":\"MAIL\",\"tls\":false,\"code\":250")
	    CLOSE("0.3", "mx1.example.net", "1"));
	score(f, SCEN_POLICY_DANE, NULL, &r);
	assert_int_equal(r.verdict, RUN_FAIL);
	assert_string_equal(r.rule, "cleartext");
	run_result_clear(&r);
}

/* A forbidden delivery stands whatever happens next. */
static void
test_forbidden_then_hang_or_crash(void **state)
{
	struct fx *f = *state;
	struct run_result r;

	fx_scenario(f, 1, SCEN_ACT_DEFER);
	fx_events(f, RUN0("143", "true")
	    S_DELIVERED_PLAIN("0.2", "mx1.example.net", "1"));
	score(f, SCEN_POLICY_DANE, NULL, &r);
	assert_int_equal(r.verdict, RUN_FAIL);
	assert_string_equal(r.rule, "next-mx-used");
	assert_non_null(strstr(r.reason, "hung"));
	run_result_clear(&r);

	fx_events(f, RUN0("127", "false")
	    S_DELIVERED_PLAIN("0.2", "mx1.example.net", "1"));
	score(f, SCEN_POLICY_DANE, NULL, &r);
	assert_int_equal(r.verdict, RUN_FAIL);
	run_result_clear(&r);

	/* Nothing delivered, a crash: ERROR, never PASS. */
	fx_events(f, RUN0("3", "false"));
	score(f, SCEN_POLICY_DANE, NULL, &r);
	assert_int_equal(r.verdict, RUN_ERROR);
	assert_string_equal(r.rule, "exit-status");
	run_result_clear(&r);
}

/* A deviation excuses its rule only; SNI; a run owns later sessions. */
static void
test_deviation_pinned_sni_window(void **state)
{
	struct fx *f = *state;
	struct run_result r;

	memset(&f->dev, 0, sizeof(f->dev));
	f->dev.scenario = (char *)"test/world";
	f->dev.policy = -1;
	f->dev.rule = RULE_NEXT_MX_USED;
	f->dev.reason = (char *)"documented";
	f->p.devs = &f->dev;
	f->p.n_devs = 1;
	fx_scenario(f, 1, SCEN_ACT_DEFER);
	fx_events(f, RUN0("0", "false")
	    S_DELIVERED_PLAIN("0.2", "mx1.example.net", "1"));
	score(f, SCEN_POLICY_DANE, NULL, &r);
	assert_int_equal(r.verdict, RUN_FAIL);
	assert_string_equal(r.rule, "cleartext");
	run_result_clear(&r);
	f->p.n_devs = 0;

	/* No SNI where DANE authentication is required. */
	fx_scenario(f, 1, SCEN_ACT_AUTH);
	fx_events(f, RUN0("0", "false")
	    CONNECT("0.2", "mx1.example.net", "1")
	    STARTTLS("0.2", "mx1.example.net", "1")
	    EV("0.2", "smtp.tls", "mx1.example.net", "1",
		",\"result\":\"ok\",\"sni\":null")
	    MSG("0.2", "mx1.example.net", "1", "true")
	    CLOSE("0.3", "mx1.example.net", "1"));
	score(f, SCEN_POLICY_DANE, "verified mx1.example.net\n", &r);
	assert_int_equal(r.verdict, RUN_FAIL);
	assert_string_equal(r.rule, "sni");
	run_result_clear(&r);

	/* A session after the client ended is still its run's. */
	fx_scenario(f, 1, SCEN_ACT_DEFER);
	fx_events(f, RUN0("1", "false")
	    S_DELIVERED_PLAIN("5.0", "mx1.example.net", "1"));
	score(f, SCEN_POLICY_DANE, NULL, &r);
	assert_int_equal(r.verdict, RUN_FAIL);
	run_result_clear(&r);
}

/*
 * A phase's client run that ends after the next phase started: the
 * later phases are ERROR, saying which run overran, by how much, and
 * the time scale that fits it; the overrunning phase itself is scored.
 */
static void
test_timeline_overrun(void **state)
{
	struct fx *f = *state;
	struct scen_phase ph[3];
	struct run_cell c;
	struct run_report rep;

	fx_scenario(f, 1, SCEN_ACT_AUTH);
	memset(ph, 0, sizeof(ph));
	ph[0].name = (char *)"old";
	ph[1].name = (char *)"switched";
	ph[1].at = 5;
	ph[2].name = (char *)"late";
	ph[2].at = 10;
	f->s.phases = ph;
	f->s.n_phases = 3;
	f->s.time_scale = 1;
	fx_events(f,
	    "{\"v\":1,\"t\":0.10,\"ev\":\"client.start\",\"run\":0}\n"
	    S_DELIVERED_TLS("0.5", "mx1.example.net", "1")
	    "{\"v\":1,\"t\":8.50,\"ev\":\"client.end\",\"run\":0,"
	    "\"status\":0,\"timed_out\":false,\"ms\":8400}\n"
	    "{\"v\":1,\"t\":8.60,\"ev\":\"client.start\",\"run\":1}\n"
	    "{\"v\":1,\"t\":9.00,\"ev\":\"client.end\",\"run\":1,"
	    "\"status\":0,\"timed_out\":false,\"ms\":400}\n");
	memset(&c, 0, sizeof(c));
	c.s = &f->s;
	c.client = &f->p;
	c.policy = SCEN_POLICY_DANE;
	memset(&rep, 0, sizeof(rep));
	run_score_moments(&c, &f->ev, "/nonexistent/client", &rep);
	assert_int_equal(rep.n_results, 3);
	assert_int_equal(rep.results[0].verdict, RUN_PASS);
	assert_int_equal(rep.results[1].verdict, RUN_ERROR);
	assert_int_equal(rep.results[2].verdict, RUN_ERROR);
	assert_non_null(strstr(rep.results[1].reason, "the client run of "
	    "phase old ended 3.5 s after phase 'switched' started at 5 s "
	    "(the run took 8.4 s, the phases are 5 s apart)"));
	assert_non_null(strstr(rep.results[2].reason, "try --time-scale 1.9"));
	assert_null(strstr(rep.results[1].reason, "machine"));
	report_clear(&rep);

	/* At --time-scale 1.5 already, the hint is the whole factor. */
	f->s.time_scale = 1.5;
	run_score_moments(&c, &f->ev, "/nonexistent/client", &rep);
	assert_non_null(strstr(rep.results[1].reason, "try --time-scale 2.9"));
	report_clear(&rep);
	f->s.phases = NULL;
	f->s.n_phases = 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_timeline_overrun, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(test_auth_delivered_tls_passes,
		setup, teardown),
	    cmocka_unit_test_setup_teardown(test_defer_world_delivered_fails,
		setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_auth_world_nothing_delivered_fails, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_cleartext_where_tls_required_fails, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_unauthenticated_in_auth_world_fails, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_probe_claim_needs_server_evidence, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_probe_silent_without_starttls_skips, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_next_mx_then_auth, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		test_sessions_outside_the_run_ignored, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_resolver_tlsa_answers, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(test_hang_and_not_run, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(test_known_deviation, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(test_events_bad_lines, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(test_mixed_sessions_fail, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(test_forbidden_then_hang_or_crash,
		setup, teardown),
	    cmocka_unit_test_setup_teardown(test_deviation_pinned_sni_window,
		setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
