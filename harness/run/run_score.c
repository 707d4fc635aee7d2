/*
 * run_score.c -- from what the servers saw and what the client said to a
 * verdict (run.h): a set of named rules, each checked over every MX
 * host.
 *
 * Evidence, per MX host, counted over the sessions of the client run
 * (run_events.c): messages accepted in cleartext and over TLS,
 * handshakes completed and failed, sessions that ended without the
 * client sending STARTTLS -- counts, never a maximum, so one cleartext
 * message next to a TLS one is seen.  The client's claims (its output
 * read through its profile) add what a server cannot see (whether the
 * client authenticated) and stand in for the delivery a probe never
 * makes -- and then only where the server saw the session claimed.
 *
 * The rules (scenarios/RULES.md has the catalogue's; RFC 7672):
 *   next-mx-used     a host that must get nothing got a message, or a
 *                    probe would have sent one there (2.1.2, 2.2)
 *   cleartext        a message in cleartext where the host's accepted
 *                    actions all require TLS (2.2)
 *   unauthenticated  TLS the client says was not authenticated, where
 *                    authentication is required (2.2, 3)
 *   undelivered      nothing delivered where the RFC delivers (2.2)
 *   decision         the client's own decision is not an accepted one
 * Every host is checked, whichever came first; a forbidden delivery is
 * FAIL even when the client then hung or crashed.  Only then: a timeout
 * is HANG; an exit status the profile does not declare, or a missing
 * liveness line, is ERROR; a probe silent at a host that offered no
 * STARTTLS is SKIP (nothing to score).  A profile's deviation excuses
 * the failures of the one rule it names (XFAIL); anything else stays
 * FAIL.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "harness/run/run.h"
#include "simulator/util/xmem.h"

/* ------------------------------------------------------------- rules */

static const struct {
	const char *id;
	const char *ref;
	bool excusable;
} rules[RULE_COUNT] = {
	[RULE_NONE] = { "none", NULL, false },
	[RULE_NEXT_MX_USED] = { "next-mx-used", "RFC 7672 2.1.2, 2.2", true },
	[RULE_CLEARTEXT] = { "cleartext", "RFC 7672 2.2", true },
	[RULE_UNAUTHENTICATED] = { "unauthenticated", "RFC 7672 2.2, 3",
	    true },
	[RULE_UNDELIVERED] = { "undelivered", "RFC 7672 2.2; RFC 5321 5.1",
	    true },
	[RULE_DECISION] = { "decision", "RFC 7672 2.2", true },
	[RULE_SNI] = { "sni", "RFC 7672 8.1", true },
	[RULE_DIAGNOSIS] = { "diagnosis", "RFC 7672 2.1.1, 2.2, 3.1.3; RFC "
	    "7671 9", true },
	[RULE_TIMEOUT] = { "timeout", NULL, true },
	[RULE_EVIDENCE] = { "evidence", NULL, false },
	[RULE_NOT_RUN] = { "not-run", NULL, false },
	[RULE_CANNOT_START] = { "cannot-start", NULL, false },
	[RULE_EXIT_STATUS] = { "exit-status", NULL, false },
	[RULE_NO_LIVENESS] = { "no-liveness", NULL, false },
	[RULE_NO_EXPECTATION] = { "no-expectation", NULL, false },
	[RULE_SILENT_PROBE] = { "silent-probe", NULL, false },
};

const char *
run_rule_id(enum run_rule r)
{
	return (unsigned)r < RULE_COUNT ? rules[r].id : "?";
}

const char *
run_rule_ref(enum run_rule r)
{
	return (unsigned)r < RULE_COUNT ? rules[r].ref : NULL;
}

int
run_rule_parse(const char *id)
{
	int r;

	for (r = 1; r < RULE_COUNT; r++)
		if (strcmp(rules[r].id, id) == 0)
			return r;
	return -1;
}

bool
run_rule_excusable(enum run_rule r)
{
	return (unsigned)r < RULE_COUNT && rules[r].excusable;
}

/* ----------------------------------------------------------- helpers */

static bool
same_host(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la > 1 && a[la - 1] == '.')
		la--;
	if (lb > 1 && b[lb - 1] == '.')
		lb--;
	return la == lb && strncasecmp(a, b, la) == 0;
}

static unsigned
ep_accept(const struct scen_expect_policy *ep)
{
	return ep->accept != 0 ? ep->accept : SCEN_ACT_BIT(ep->overall);
}

/*
 * The actions host may see: its own set, else the overall set without
 * defer (nothing left: next-mx).
 */
static unsigned
host_accept(const struct scen_expect_policy *ep, const char *host,
    enum scen_action *expected)
{
	unsigned a;
	size_t i;

	for (i = 0; i < ep->n_hosts; i++)
		if (same_host(ep->hosts[i].host, host)) {
			*expected = ep->hosts[i].action;
			return ep->hosts[i].accept != 0
			    ? ep->hosts[i].accept
			    : SCEN_ACT_BIT(ep->hosts[i].action);
		}
	*expected = SCEN_ACT_UNSET;
	a = ep_accept(ep) & ~SCEN_ACT_BIT(SCEN_ACT_DEFER);
	return a != 0 ? a : SCEN_ACT_BIT(SCEN_ACT_NEXT_MX);
}

/* Whether the scenario's host h advertises STARTTLS (faults applied). */
static bool
host_offers_starttls(const struct scenario *s, const struct scen_host *h)
{
	enum scen_starttls mode = h->starttls;
	size_t i;

	for (i = 0; i < s->n_faults; i++)
		if (s->faults[i].kind == SCEN_FAULT_STARTTLS &&
		    s->faults[i].host != NULL &&
		    same_host(s->faults[i].host, h->name))
			mode = s->faults[i].starttls;
	return mode != SCEN_STARTTLS_OFF;
}

/*
 * Where a run's sessions end: the next run's start (what connects
 * before it is this run's doing, a daemon the client left behind
 * included), or never.
 */
static double
run_until(const struct run_events *ev, const struct run_client_run *run)
{
	double until = 1e300;
	size_t i;

	for (i = 0; i < ev->n_runs; i++)
		if (ev->runs[i].t_start > run->t_start &&
		    ev->runs[i].t_start < until)
			until = ev->runs[i].t_start;
	return until;
}

/*
 * The timeline phase in effect at time t (seconds from the start): by
 * the phase.start events where the log has them, else by the plan.
 */
static int
phase_at(const struct run_score_in *in, double t)
{
	const struct scenario *s = in->s;
	double at;
	int p = 0;

	while ((size_t)p + 1 < s->n_phases) {
		at = p + 1 < RUN_MAX_CLIENT_RUNS && in->ev->phase_t[p + 1] >= 0
		    ? in->ev->phase_t[p + 1]
		    : (double)s->phases[p + 1].at;
		if (t < at)
			break;
		p++;
	}
	return p;
}

/* A session of this run that connected in a later phase's world. */
static bool
overran(const struct run_score_in *in, const struct run_session *ss)
{
	return in->s->n_phases > 0 && in->phase >= 0 && ss->t_connect >= 0 &&
	    phase_at(in, ss->t_connect) > in->phase;
}

static enum run_outcome
summary_outcome(const struct run_host *h)
{
	if (h->msgs_plain > 0)
		return RUN_OUT_DELIVERED_PLAIN;
	if (h->msgs_tls > 0)
		return RUN_OUT_DELIVERED_TLS;
	if (h->tls_ok > 0)
		return RUN_OUT_QUIT_AFTER_TLS;
	if (h->tls_failed > 0)
		return RUN_OUT_TLS_ABORTED;
	if (h->sessions > 0)
		return RUN_OUT_QUIT_PLAIN;
	return RUN_OUT_NOT_CONTACTED;
}

/* ------------------------------------------------------------- state */

#define MAX_VIOLATIONS (REPORT_MAX_HOSTS * 3 + 4)

struct violation {
	enum run_rule rule;
	const char *host;	/* borrowed from res, or NULL */
	char reason[768];
	char observed[512];
};

/* What one host got from the client, in the rules' terms. */
struct got {
	bool plain;		/* a message in cleartext (or would be) */
	bool tls;		/* a message over TLS (or would be) */
	bool silent;		/* a probe silent at a host that offered no
				 * STARTTLS: nothing to tell */
};

struct score {
	const struct run_score_in *in;
	struct run_result *res;
	const struct scen_expect_policy *ep;
	unsigned accept;
	struct got got[REPORT_MAX_HOSTS];
	bool offers[REPORT_MAX_HOSTS];
	unsigned plain_tx[REPORT_MAX_HOSTS];	/* cleartext transactions */
	unsigned no_offer[REPORT_MAX_HOSTS];	/* sessions told "no STARTTLS" */
	unsigned n_auth[REPORT_MAX_HOSTS];	/* the client's claims */
	unsigned n_unauth[REPORT_MAX_HOSTS];
	bool overrun_delivered;	/* a message in a later phase's world */
	double until;		/* run_until of in->run */
	char claims_problem[384];	/* claims that cannot be placed */
	struct violation v[MAX_VIOLATIONS];
	size_t n_v;
	enum profile_exit exit;
};

/* Whether session ss belongs to the client run being scored. */
static bool
in_run(const struct score *sc, const struct run_session *ss)
{
	const struct run_client_run *run = sc->in->run;

	if (run->t_start < 0 || ss->t_connect < 0)
		return true; /* a hand-written log; a session without connect */
	return ss->t_connect >= run->t_start && ss->t_connect < sc->until;
}

/* The index of MX host name in the scenario (and res), or n_hosts. */
static size_t
host_index(const struct score *sc, const char *name)
{
	size_t i;

	for (i = 0; i < sc->res->n_hosts; i++)
		if (same_host(name, sc->res->hosts[i].host))
			break;
	return i;
}

static struct violation *
violate(struct score *sc, enum run_rule rule, const struct run_host *h,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
describe_host(char *buf, size_t len, const struct run_host *h)
{
	int n = snprintf(buf, len, "%s: %u session%s, %u message%s in "
	    "cleartext, %u over TLS, %u handshake%s completed, %u failed",
	    h->host, h->sessions, h->sessions == 1 ? "" : "s", h->msgs_plain,
	    h->msgs_plain == 1 ? "" : "s", h->msgs_tls, h->tls_ok,
	    h->tls_ok == 1 ? "" : "s", h->tls_failed);

	if (n > 0 && (size_t)n < len && h->claim != RUN_CLAIM_NONE)
		snprintf(buf + n, len - (size_t)n, "; client: %s%s%s",
		    run_claim_name(h->claim), h->claim_text ? " " : "",
		    h->claim_text ? h->claim_text : "");
}

static struct violation *
violate(struct score *sc, enum run_rule rule, const struct run_host *h,
    const char *fmt, ...)
{
	struct violation *v;
	va_list ap;

	if (sc->n_v == MAX_VIOLATIONS)
		return NULL;
	v = &sc->v[sc->n_v++];
	memset(v, 0, sizeof(*v));
	v->rule = rule;
	v->host = h != NULL ? h->host : NULL;
	va_start(ap, fmt);
	vsnprintf(v->reason, sizeof(v->reason), fmt, ap);
	va_end(ap);
	if (h != NULL)
		describe_host(v->observed, sizeof(v->observed), h);
	return v;
}

/* Set verdict, reason and rule of res. */
static void
verdict(struct run_result *res, enum run_verdict vd, enum run_rule rule,
    const char *host, const char *observed, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

static void
verdict(struct run_result *res, enum run_verdict vd, enum run_rule rule,
    const char *host, const char *observed, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	res->verdict = vd;
	free(res->reason);
	res->reason = xstrdup(buf);
	free(res->rule);
	free(res->rule_ref);
	free(res->rule_host);
	free(res->observed);
	res->rule = rule != RULE_NONE ? xstrdup(run_rule_id(rule)) : NULL;
	res->rule_ref = rule != RULE_NONE && run_rule_ref(rule) != NULL
	    ? xstrdup(run_rule_ref(rule))
	    : NULL;
	res->rule_host = rule != RULE_NONE && host != NULL ? xstrdup(host)
							  : NULL;
	res->observed = observed != NULL && observed[0] != '\0'
	    ? xstrdup(observed)
	    : NULL;
}

/* ---------------------------------------------------------- evidence */

/* The MX host a claim names (by its name or CNAME target), or n_hosts. */
static size_t
claim_host(const struct scenario *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->n_hosts; i++)
		if (same_host(name, s->hosts[i].name) ||
		    (s->hosts[i].cname != NULL &&
		    same_host(name, s->hosts[i].cname)))
			break;
	return i;
}

/* Counts and claims per MX host of the scenario. */
static void
fill_hosts(struct score *sc)
{
	const struct run_score_in *in = sc->in;
	const struct scenario *s = in->s;
	struct run_result *res = sc->res;
	struct profile_claims cl;
	char *first;
	size_t i, j;

	res->n_hosts = s->n_hosts < REPORT_MAX_HOSTS ? s->n_hosts
						     : REPORT_MAX_HOSTS;
	res->hosts = xcalloc(res->n_hosts ? res->n_hosts : 1,
	    sizeof(*res->hosts));
	memset(&cl, 0, sizeof(cl));
	first = run_nodot(s->n_hosts > 0 ? s->hosts[0].name : "");
	if (in->output != NULL)
		profile_read_claims(in->client, in->output, in->output_len,
		    first, &cl);
	free(first);
	res->claimed = cl.overall;
	/* Claims that cannot be placed make the evidence incomplete. */
	if (cl.dropped > 0)
		snprintf(sc->claims_problem, sizeof(sc->claims_problem), "the "
		    "client's output makes claims about more than %d hosts",
		    REPORT_MAX_HOSTS);
	for (j = 0; j < cl.n && sc->claims_problem[0] == '\0'; j++)
		if (claim_host(s, cl.host[j].host) == s->n_hosts &&
		    cl.host[j].claim != RUN_CLAIM_NONE)
			snprintf(sc->claims_problem, sizeof(sc->claims_problem),
			    "the client claims %s about %s, which is not an MX "
			    "host of the scenario", run_claim_name(
			    cl.host[j].claim), cl.host[j].host);
	for (i = 0; i < res->n_hosts; i++) {
		struct run_host *h = &res->hosts[i];

		h->host = run_nodot(s->hosts[i].name);
		h->accept = host_accept(sc->ep, h->host, &h->expected);
		sc->offers[i] = host_offers_starttls(s, &s->hosts[i]);
		for (j = 0; in->run != NULL && j < in->ev->n_sessions; j++) {
			const struct run_session *ss = &in->ev->sessions[j];

			if (!same_host(ss->host, h->host) ||
			    !in_run(sc, ss) || overran(in, ss))
				continue;
			h->sessions++;
			h->msgs_plain += ss->msgs_plain;
			h->msgs_tls += ss->msgs_tls;
			sc->plain_tx[i] += ss->plain_tx;
			if (ss->handshake > 0)
				h->tls_ok++;
			else if (ss->handshake < 0)
				h->tls_failed++;
			if (!ss->starttls_sent && ss->ehlo_offered)
				h->starttls_skipped++;
			if (!ss->starttls_sent && ss->ehlo_seen &&
			    !ss->ehlo_offered)
				sc->no_offer[i]++;
			if (ss->sni[0] != '\0') {
				free(h->sni);
				h->sni = xstrdup(ss->sni);
			}
			if (ss->tls_error[0] != '\0') {
				free(h->tls_error);
				h->tls_error = xstrdup(ss->tls_error);
			}
		}
		h->outcome = summary_outcome(h);
		for (j = 0; j < cl.n; j++)
			if (claim_host(s, cl.host[j].host) == i) {
				h->claim = cl.host[j].claim;
				sc->n_auth[i] += cl.host[j].n_auth;
				sc->n_unauth[i] += cl.host[j].n_unauth;
				free(h->claim_text);
				h->claim_text = cl.host[j].label[0] != '\0'
				    ? xstrdup(cl.host[j].label)
				    : NULL;
			}
	}
}

/*
 * A session no client run can explain: at a host that is not one of the
 * scenario's MX hosts, or before the first run started.  Its host, or
 * NULL.
 */
static const char *
stray_session(const struct score *sc)
{
	const struct run_score_in *in = sc->in;
	double first = 1e300;
	size_t j;

	for (j = 0; j < in->ev->n_runs; j++)
		if (in->ev->runs[j].t_start >= 0 &&
		    in->ev->runs[j].t_start < first)
			first = in->ev->runs[j].t_start;
	for (j = 0; j < in->ev->n_sessions; j++) {
		const struct run_session *ss = &in->ev->sessions[j];

		if (ss->t_connect >= 0 && first < 1e300 &&
		    ss->t_connect < first)
			return ss->host;
		if (in_run(sc, ss) &&
		    host_index(sc, ss->host) == sc->res->n_hosts)
			return ss->host;
	}
	return NULL;
}

/*
 * What host i got.  A delivering client: the messages the server
 * accepted.  A probe: its claim, where the server saw what it claims
 * (TLS claimed: a completed handshake; cleartext: a session); silent
 * about a host, what the server saw -- a completed handshake is TLS, a
 * session left without STARTTLS at a host that offered it is cleartext
 * (the probe ignored STARTTLS), at a host that did not, nothing can be
 * told.
 */
static struct got
host_got(const struct score *sc, size_t i)
{
	const struct run_host *h = &sc->res->hosts[i];
	struct got g = { false, false, false };

	/* What the server saw, whatever the client says. */
	g.plain = h->msgs_plain > 0 || sc->plain_tx[i] > 0;
	g.tls = h->msgs_tls > 0;
	if (sc->in->client->delivers)
		return g;
	/*
	 * A probe sends no message: what it would have done.  A session it
	 * left without STARTTLS at a host that offers it would have gone on
	 * in cleartext, whatever it prints; at a host that offers none,
	 * nothing can be told.  TLS, where it claims a session the server
	 * saw completed (or says nothing about one).
	 */
	if (h->starttls_skipped > 0)
		g.plain = true;	/* the server offered STARTTLS, unused */
	else if (sc->no_offer[i] > 0 && !sc->offers[i] &&
	    h->claim == RUN_CLAIM_NONE)
		g.silent = true;
	switch (h->claim) {
	case RUN_CLAIM_AUTH:
	case RUN_CLAIM_ENCRYPT:
	case RUN_CLAIM_NONE:
		g.tls = g.tls || h->tls_ok > 0;
		break;
	case RUN_CLAIM_PLAIN:
		g.plain = g.plain || h->sessions > 0;
		break;
	default:
		break;
	}
	return g;
}

/* ------------------------------------------------------------- rules */

static const char *
verb(const struct score *sc, bool tls)
{
	if (sc->in->client->delivers)
		return tls ? "delivered over TLS" : "delivered in cleartext";
	return tls ? "would deliver over TLS" : "would deliver in cleartext";
}

/*
 * What the client did in cleartext, in words: messages accepted, else
 * transactions begun, else (a probe that skipped STARTTLS) what it would.
 */
static const char *
plain_words(const struct score *sc, unsigned msgs_plain, unsigned plain_tx)
{
	if (msgs_plain == 0 && plain_tx > 0)
		return "sent a mail transaction (envelope, text or pipelined "
		    "bytes) in cleartext";
	return verb(sc, false);
}

/* An accepted set that requires DANE authentication and nothing else. */
static bool
auth_only(unsigned a)
{
	return (a & SCEN_ACT_BIT(SCEN_ACT_AUTH)) != 0 &&
	    (a & ~(SCEN_ACT_BIT(SCEN_ACT_AUTH) |
	    SCEN_ACT_BIT(SCEN_ACT_NEXT_MX))) == 0;
}

/*
 * The actions host h may see, narrowed to the client's own decision
 * where the set allows more than one reading (RFC 7672 2.2.1: a client
 * that chose DANE with an insecure MX RRset must then authenticate).
 */
static unsigned
effective_accept(const struct score *sc, const struct run_host *h)
{
	unsigned a = h->accept, c;

	if (h->claim == RUN_CLAIM_AUTH)
		c = SCEN_ACT_BIT(SCEN_ACT_AUTH); /* it authenticated the host */
	else if (sc->res->claimed == SCEN_ACT_UNSET ||
	    sc->res->claimed == SCEN_ACT_DEFER)
		return a;
	else
		c = SCEN_ACT_BIT(sc->res->claimed);
	if ((a & c) != 0 && (a & ~c & ~SCEN_ACT_BIT(SCEN_ACT_NEXT_MX)) != 0)
		return c | (a & SCEN_ACT_BIT(SCEN_ACT_NEXT_MX));
	return a;
}

/*
 * Whether the client says it did not authenticate host h: its word about
 * the host, or more TLS there (messages; a probe: handshakes) than it
 * claims authenticated while it also claimed the opposite once.
 */
static bool
unauthenticated(const struct score *sc, const struct run_host *h)
{
	size_t i = (size_t)(h - sc->res->hosts);
	unsigned tls = sc->in->client->delivers ? h->msgs_tls : h->tls_ok;

	if (h->claim == RUN_CLAIM_ENCRYPT || h->claim == RUN_CLAIM_PLAIN)
		return true;
	if (sc->n_unauth[i] > 0 && tls > sc->n_auth[i])
		return true;
	/* A delivering client that refused the host and delivered anyway. */
	return sc->in->client->delivers && h->claim == RUN_CLAIM_REFUSE;
}

/*
 * The per-host rules -- next-mx-used, cleartext, unauthenticated -- for
 * what host h got under the accepted set a; each checked on its own, so
 * that a deviation for one does not hide another.  where: "" or " in
 * phase X, ..." for a session in a later phase's world.
 */
static void
host_rules(struct score *sc, const struct run_host *h, unsigned a,
    const char *plain_desc, bool plain, bool tls, bool unauth,
    const char *where)
{
	char set[96];

	if (!plain && !tls)
		return;
	scen_accept_format(a, set, sizeof(set));
	if (a == SCEN_ACT_BIT(SCEN_ACT_NEXT_MX))
		violate(sc, RULE_NEXT_MX_USED, h, "%s through %s%s, where RFC "
		    "7672 forbids delivery through this host",
		    plain ? plain_desc : verb(sc, true), h->host, where);
	if (plain && (a & SCEN_ACT_BIT(SCEN_ACT_OPPORTUNISTIC)) == 0)
		violate(sc, RULE_CLEARTEXT, h, "%s through %s%s, where TLS is "
		    "required (%s)", plain_desc, h->host, where, set);
	if (tls && unauth && a != SCEN_ACT_BIT(SCEN_ACT_NEXT_MX) &&
	    (a & (SCEN_ACT_BIT(SCEN_ACT_ENCRYPT) |
	    SCEN_ACT_BIT(SCEN_ACT_OPPORTUNISTIC))) == 0)
		violate(sc, RULE_UNAUTHENTICATED, h, "unauthenticated TLS "
		    "through %s%s, where DANE authentication is required (%s)",
		    h->host, where, set);
}

/* The per-host rules over what each host got in this run's own phase. */
static void
check_hosts(struct score *sc)
{
	size_t i;

	for (i = 0; i < sc->res->n_hosts; i++) {
		const struct run_host *h = &sc->res->hosts[i];

		host_rules(sc, h, effective_accept(sc, h),
		    plain_words(sc, h->msgs_plain, sc->plain_tx[i]),
		    sc->got[i].plain, sc->got[i].tls, unauthenticated(sc, h),
		    "");
	}
}

/*
 * The accepted set session ss of host i meets: the host's own in this
 * run's phase; in a later phase's world (the run outlasted its phase),
 * that phase's, *phase set to it (else -1).  0: no expectation.
 */
static unsigned
session_accept(const struct score *sc, const struct run_session *ss,
    size_t i, int *phase)
{
	const struct scen_expect_policy *ep;
	enum scen_action dummy;

	*phase = -1;
	if (!overran(sc->in, ss))
		return effective_accept(sc, &sc->res->hosts[i]);
	*phase = phase_at(sc->in, ss->t_connect);
	ep = scenario_expect(sc->in->s, sc->in->policy, *phase);
	return ep != NULL ? host_accept(ep, sc->res->hosts[i].host, &dummy)
			  : 0;
}

/*
 * Whether sni is the TLSA base domain of MX host sh: its name, or, for a
 * CNAME whose target has the TLSA records, the target (RFC 7672 2.2.2).
 */
static bool
sni_ok(const struct scen_host *sh, const char *sni)
{
	if (sni[0] == '\0')
		return false;
	if (sh->cname != NULL && sh->n_tlsa > 0)
		return same_host(sni, sh->cname);
	return same_host(sni, sh->name);
}

/*
 * SNI (RFC 7672 8.1): where DANE authentication is required, every
 * completed handshake of the run carries the TLSA base domain (once per
 * host is enough to say so).
 */
static void
check_sni(struct score *sc)
{
	const struct run_score_in *in = sc->in;
	bool said[REPORT_MAX_HOSTS] = { false };
	char where[192];
	size_t i, j;
	int p;

	for (j = 0; j < in->ev->n_sessions; j++) {
		const struct run_session *ss = &in->ev->sessions[j];

		if (ss->handshake <= 0 || !in_run(sc, ss) ||
		    (i = host_index(sc, ss->host)) == sc->res->n_hosts ||
		    said[i] || !auth_only(session_accept(sc, ss, i, &p)) ||
		    sni_ok(&in->s->hosts[i], ss->sni))
			continue;
		said[i] = true;
		where[0] = '\0';
		if (p >= 0)
			snprintf(where, sizeof(where), " in phase %s, which "
			    "this run outlasted its own into",
			    in->s->phases[p].name);
		violate(sc, RULE_SNI, &sc->res->hosts[i], "TLS with %s%s at "
		    "%s%s, where DANE authentication is required: the client "
		    "must send the TLSA base domain", ss->sni[0] ? "SNI " :
		    "no SNI", ss->sni, sc->res->hosts[i].host, where);
	}
}

/*
 * Sessions of this run that connected after the next phase began (the
 * run outlasted its phase): held to the expectation of the phase whose
 * world they met, by the same rules, session by session.  A message
 * there is a delivery (for undelivered) whatever its verdict.
 */
static void
check_overrun(struct score *sc)
{
	const struct run_score_in *in = sc->in;
	const struct run_host *h;
	char where[192];
	bool plain, tls, unauth;
	size_t i, j;
	unsigned a;
	int p;

	for (j = 0; j < in->ev->n_sessions; j++) {
		const struct run_session *ss = &in->ev->sessions[j];

		if (!in_run(sc, ss) || !overran(in, ss) ||
		    (i = host_index(sc, ss->host)) == sc->res->n_hosts)
			continue; /* a stray host: stray_session says so */
		if ((a = session_accept(sc, ss, i, &p)) == 0)
			continue;
		h = &sc->res->hosts[i];
		plain = ss->msgs_plain > 0 || ss->plain_tx > 0 ||
		    (!in->client->delivers && !ss->starttls_sent &&
		    ss->ehlo_offered);
		tls = ss->msgs_tls > 0 || (!in->client->delivers &&
		    ss->handshake > 0 && h->claim != RUN_CLAIM_REFUSE);
		unauth = h->claim == RUN_CLAIM_ENCRYPT ||
		    h->claim == RUN_CLAIM_PLAIN ||
		    (in->client->delivers && h->claim == RUN_CLAIM_REFUSE);
		if (ss->msgs_plain > 0 || ss->msgs_tls > 0)
			sc->overrun_delivered = true;
		snprintf(where, sizeof(where), " in phase %s, which this run "
		    "outlasted its own into", in->s->phases[p].name);
		host_rules(sc, h, a, plain_words(sc, ss->msgs_plain,
		    ss->plain_tx), plain, tls, unauth, where);
	}
}

static bool
delivered_anywhere(const struct score *sc)
{
	size_t i;

	if (sc->overrun_delivered)
		return true;
	for (i = 0; i < sc->res->n_hosts; i++)
		if (sc->got[i].plain || sc->got[i].tls)
			return true;
	return false;
}

/* The overall rules: undelivered, decision. */
static void
check_overall(struct score *sc)
{
	struct run_result *res = sc->res;
	char set[96];

	scen_accept_format(sc->accept, set, sizeof(set));
	if (!delivered_anywhere(sc) &&
	    (sc->accept & SCEN_ACT_BIT(SCEN_ACT_DEFER)) == 0)
		violate(sc, RULE_UNDELIVERED, NULL, "%s, where RFC 7672 "
		    "expects %s", sc->in->client->delivers
			? "the message was delivered nowhere"
			: "the client would deliver nowhere", set);
	if (res->claimed != SCEN_ACT_UNSET &&
	    (sc->accept & SCEN_ACT_BIT(res->claimed)) == 0)
		violate(sc, RULE_DECISION, NULL, "the client decided %s, where "
		    "RFC 7672 expects %s", scen_action_name(res->claimed), set);
	/*
	 * A bounce is a permanent failure: the sender is told the mail is
	 * lost.  Every failure RFC 7672 knows is temporary (2.1.1, 2.2: a
	 * lookup failure, no usable TLSA under mandatory DANE, a failed
	 * authentication): defer, keep the message queued.
	 */
	if (sc->in->run->outcome == PROFILE_OUTCOME_BOUNCED)
		violate(sc, RULE_DECISION, NULL, "the client bounced the "
		    "message (a permanent failure, in its own log), where RFC "
		    "7672 expects %s: a DANE failure is temporary, the message "
		    "stays queued (defer)", set);
}

/* The host a probe was silent at (no STARTTLS offered), or NULL. */
static const struct run_host *
silent_host(const struct score *sc)
{
	size_t i;

	if (sc->in->client->delivers || sc->res->claimed != SCEN_ACT_UNSET)
		return NULL;
	for (i = 0; i < sc->res->n_hosts; i++)
		if (sc->got[i].silent)
			return &sc->res->hosts[i];
	return NULL;
}

/* A PASS: what was delivered where, and what was not observed. */
static void
pass(struct score *sc)
{
	struct run_result *res = sc->res;
	const struct run_host *via = NULL;
	char desc[512], set[96];
	size_t i;

	for (i = 0; i < res->n_hosts && via == NULL; i++)
		if (sc->got[i].plain || sc->got[i].tls)
			via = &res->hosts[i];
	scen_accept_format(sc->accept, set, sizeof(set));
	if (via == NULL && sc->overrun_delivered) {
		verdict(res, RUN_PASS, RULE_NONE, NULL, NULL, "%s: delivered "
		    "in a later phase's world (the run outlasted its phase), "
		    "which allows it", set);
		return;
	}
	if (via == NULL) {
		verdict(res, RUN_PASS, RULE_NONE, NULL, NULL, "nothing "
		    "delivered: deferred, as expected (%s)", set);
		return;
	}
	describe_host(desc, sizeof(desc), via);
	if ((via->accept & ~SCEN_ACT_BIT(SCEN_ACT_NEXT_MX)) ==
	    SCEN_ACT_BIT(SCEN_ACT_AUTH) && via->claim != RUN_CLAIM_AUTH)
		verdict(res, RUN_PASS, RULE_NONE, via->host, desc, "auth: over "
		    "TLS through %s; authentication not observed (the client "
		    "did not say it authenticated)", via->host);
	else
		verdict(res, RUN_PASS, RULE_NONE, via->host, desc, "%s: %s",
		    scen_accept_format(via->accept &
		    ~SCEN_ACT_BIT(SCEN_ACT_NEXT_MX), set, sizeof(set)), desc);
}

#define MAX_CELL_DEVIATIONS 16

/* The profile's deviations listed for this cell (at most 16). */
static size_t
cell_deviations(const struct run_score_in *in,
    const struct profile_deviation *devs[MAX_CELL_DEVIATIONS])
{
	return profile_deviations(in->client, in->s->id, in->phase >= 0
		? in->s->phases[in->phase].name
		: NULL,
	    in->policy, devs, MAX_CELL_DEVIATIONS);
}

/* The known deviations: XFAIL, XPASS, or FAIL for what they do not name. */
static void
apply_deviations(struct score *sc)
{
	const struct run_score_in *in = sc->in;
	const struct profile_deviation *devs[MAX_CELL_DEVIATIONS];
	struct run_result *res = sc->res;
	const struct violation *first = NULL, *excused = NULL;
	const struct profile_deviation *by = NULL;
	size_t n, i, k;

	n = cell_deviations(in, devs);
	for (i = 0; i < sc->n_v; i++) {
		for (k = 0; k < n; k++)
			if (devs[k]->rule == (int)sc->v[i].rule)
				break;
		if (k == n) {
			if (first == NULL)
				first = &sc->v[i];
		} else if (excused == NULL) {
			excused = &sc->v[i];
			by = devs[k];
		}
	}
	if (first != NULL) {
		verdict(res, RUN_FAIL, first->rule, first->host,
		    first->observed, "%s", first->reason);
		return;
	}
	if (excused != NULL) {
		verdict(res, RUN_XFAIL, excused->rule, excused->host,
		    excused->observed, "%s", excused->reason);
		res->deviation = xasprintf("%s: %s", run_rule_id(
		    (enum run_rule)by->rule), by->reason);
		return;
	}
	/* A pass is XPASS unless every listed deviation is a draw. */
	for (k = 0; k < n && devs[k]->sometimes; k++)
		;
	if (res->verdict == RUN_PASS && k < n) {
		res->verdict = RUN_XPASS;
		res->deviation = xasprintf("%s: %s (listed, but it did not "
		    "happen)", run_rule_id((enum run_rule)devs[k]->rule),
		    devs[k]->reason);
	}
}

/*
 * What the run's end means.  A lifecycle's wait step read the outcome in
 * the MTA's own log: delivered is done (the events say where and how),
 * deferred or bounced is the MTA's word that it delivered nothing.  A
 * start or submit step that failed leaves no verdict (ERROR, like an
 * undeclared exit status).  Otherwise the profile's exit statuses.
 */
static enum profile_exit
run_exit_meaning(const struct run_score_in *in)
{
	const struct run_client_run *r = in->run;

	/* A failed step stands, whatever an outcome says. */
	if (r->step[0] != '\0' && !r->timed_out)
		return PROFILE_EXIT_UNDECLARED;
	if (r->outcome == PROFILE_OUTCOME_DELIVERED)
		return PROFILE_EXIT_DONE;
	if (r->outcome == PROFILE_OUTCOME_DEFERRED ||
	    r->outcome == PROFILE_OUTCOME_BOUNCED)
		return PROFILE_EXIT_DEFERRED;
	return profile_exit_meaning(in->client, r->status);
}

/* HANG, excused only by a "timeout" deviation. */
static void
hang(struct score *sc)
{
	const struct run_score_in *in = sc->in;
	const struct profile_deviation *devs[MAX_CELL_DEVIATIONS];
	size_t n, k;

	if (in->run->step[0] != '\0')
		verdict(sc->res, RUN_HANG, RULE_TIMEOUT, NULL, NULL, "the "
		    "client's %s step did not finish within its timeout",
		    in->run->step);
	else
		verdict(sc->res, RUN_HANG, RULE_TIMEOUT, NULL, NULL, "the "
		    "client did not finish within %u s",
		    in->client->timeout_s);
	n = cell_deviations(in, devs);
	for (k = 0; k < n; k++)
		if (devs[k]->rule == RULE_TIMEOUT) {
			sc->res->verdict = RUN_XFAIL;
			sc->res->deviation = xasprintf("timeout: %s",
			    devs[k]->reason);
			return;
		}
}

/* Set the note on every violation: what else went wrong after. */
static void
note_after(struct score *sc)
{
	const struct run_result *res = sc->res;
	char note[256] = "";
	size_t i, n;

	if (res->timed_out && sc->in->run->step[0] != '\0')
		snprintf(note, sizeof(note), "; then its %s step hung and was "
		    "killed", sc->in->run->step);
	else if (res->timed_out)
		snprintf(note, sizeof(note), "; then it hung and was killed "
		    "after %u s", sc->in->client->timeout_s);
	else if (sc->exit == PROFILE_EXIT_UNDECLARED &&
	    sc->in->run->step[0] != '\0')
		snprintf(note, sizeof(note), "; then its %s step exited %d",
		    sc->in->run->step, res->exit_status);
	else if (sc->exit == PROFILE_EXIT_UNDECLARED)
		snprintf(note, sizeof(note), "; then it exited %d, which its "
		    "profile does not declare", res->exit_status);
	for (i = 0; note[0] != '\0' && i < sc->n_v; i++) {
		n = strlen(sc->v[i].reason);
		snprintf(sc->v[i].reason + n, sizeof(sc->v[i].reason) - n,
		    "%s", note);
	}
}

/*
 * What stands before any verdict: an expectation, evidence that can be
 * trusted, a run that happened.  Returns false with res set when not.
 */
static bool
preconditions(struct score *sc)
{
	const struct run_score_in *in = sc->in;
	struct run_result *res = sc->res;
	const char *stray;

	if (in->ev->problem[0] != '\0') {
		verdict(res, RUN_ERROR, RULE_EVIDENCE, NULL, NULL, "the "
		    "evidence cannot be trusted: %s", in->ev->problem);
		return false;
	}
	if (in->run == NULL || in->run->t_end < 0) {
		verdict(res, RUN_ERROR, RULE_NOT_RUN, NULL, NULL, "the client "
		    "was not run (the lab ended before this moment)");
		return false;
	}
	if (in->run->out_error[0] != '\0') {
		/* Its claims are in what could not be stored. */
		verdict(res, RUN_ERROR, RULE_EVIDENCE, NULL, NULL, "the "
		    "evidence cannot be trusted: the client's output could "
		    "not be stored: %s", in->run->out_error);
		return false;
	}
	if ((stray = stray_session(sc)) != NULL) {
		verdict(res, RUN_ERROR, RULE_EVIDENCE, stray, NULL, "the "
		    "evidence cannot be trusted: a session at %s that no "
		    "client run explains (not an MX host of the scenario, or "
		    "before the client started)", stray);
		return false;
	}
	return true;
}

/* No rule broken at any host: HANG, ERROR, SKIP, or the overall rules. */
static void
no_host_violation(struct score *sc)
{
	const struct run_score_in *in = sc->in;
	struct run_result *res = sc->res;
	const struct run_host *silent;

	if (res->timed_out) {
		hang(sc);
		return;
	}
	if (in->run->interrupted) {
		verdict(res, RUN_ERROR, RULE_NOT_RUN, NULL, NULL, "the client "
		    "run was interrupted before it ended (Ctrl-C, SIGTERM, or "
		    "the cell's deadline): no verdict");
		return;
	}
	if (profile_has_wait(in->client) &&
	    in->run->outcome == PROFILE_OUTCOME_NONE &&
	    in->run->step[0] == '\0') {
		verdict(res, RUN_ERROR, RULE_EXIT_STATUS, NULL, NULL, "the "
		    "client's lifecycle ended without its wait step reading an "
		    "outcome (delivered, deferred or bounced) in its log");
		return;
	}
	if (sc->exit == PROFILE_EXIT_UNDECLARED && in->run->step[0] != '\0') {
		verdict(res, RUN_ERROR, res->exit_status == 126 ||
		    res->exit_status == 127 ? RULE_CANNOT_START :
		    RULE_EXIT_STATUS, NULL, NULL, "the client's %s step "
		    "exited %d: its instance did not start or did not take "
		    "the message (see its output)", in->run->step,
		    res->exit_status);
		return;
	}
	if (sc->exit == PROFILE_EXIT_UNDECLARED) {
		if (res->exit_status == 126 || res->exit_status == 127)
			verdict(res, RUN_ERROR, RULE_CANNOT_START, NULL, NULL,
			    "the client could not be started (exit %d)",
			    res->exit_status);
		else
			verdict(res, RUN_ERROR, RULE_EXIT_STATUS, NULL, NULL,
			    "the client exited %d, which its profile does not "
			    "declare (it crashed or was misconfigured)",
			    res->exit_status);
		return;
	}
	if (!profile_alive(in->client, in->output, in->output_len)) {
		verdict(res, RUN_ERROR, RULE_NO_LIVENESS, NULL, NULL, "the "
		    "client's output lacks the line its profile requires "
		    "(/%s/): it did not run as expected", in->client->alive);
		return;
	}
	if ((silent = silent_host(sc)) != NULL && !delivered_anywhere(sc)) {
		verdict(res, RUN_SKIP, RULE_SILENT_PROBE, silent->host, NULL,
		    "the client says nothing about the session without "
		    "STARTTLS at %s (the host offers none): whether it would "
		    "deliver there cannot be told", silent->host);
		return;
	}
	check_overall(sc);
	if (sc->n_v == 0)
		pass(sc);
	apply_deviations(sc);
}

/* ---------------------------------------------------------- checkers */

/* What each key is about, for the reasons. */
static const char *const fact_nouns[FACT_COUNT] = {
	[FACT_MX] = "MX RRset",
	[FACT_ADDRESS] = "address RRset",
	[FACT_TLSA] = "TLSA RRset",
	[FACT_USABLE] = "usable TLSA records",
	[FACT_MATCH] = "match of a usable record with the chain",
	[FACT_STARTTLS] = "STARTTLS offer",
	[FACT_CHAIN] = "certificate chain presented",
	[FACT_AUTH] = "DANE authentication",
};

/* Whether the server saw a handshake begin at host i (a chain went out). */
static bool
tls_seen(const struct score *sc, size_t i)
{
	const struct run_host *h = &sc->res->hosts[i];

	return h->tls_ok > 0 || h->tls_failed > 0;
}

/*
 * A checker's codes against the world's facts, key by key, at every
 * host it diagnosed (and the first MX): a code that differs, a key it
 * reports left undiagnosed where the fact is definite, or a verdict on
 * the chain at a host whose server never began a handshake with it.
 * A handshake the checker aborted once it had the chain counts: the
 * server sent it.
 */
/* One diagnosis code d (from line) about key k of host i, judged. */
static void
judge_code(struct score *sc, size_t i, const struct host_facts *f, int k,
    const char *d, const char *line)
{
	struct run_host *h = &sc->res->hosts[i];
	const char *fv = f->v[k];
	bool definite = fv != NULL && strcmp(fv, FACT_UNKNOWN) != 0;

	if ((k == FACT_MATCH || k == FACT_AUTH ||
	    (k == FACT_CHAIN && strcmp(d, "yes") == 0)) &&
	    !tls_seen(sc, i)) {
		violate(sc, RULE_DIAGNOSIS, h, "%s: diagnosed "
		    "%s at %s, but the server saw no TLS "
		    "handshake begin there: the diagnosis "
		    "rests on no chain this world presented",
		    fact_key_name(k), d, h->host);
		return;
	}
	/*
	 * "Matched", "authenticated", "usable" where the
	 * world has no secure TLSA RRset to speak of: the
	 * checker trusted records no validator would (RFC
	 * 7672 2.1.1, 2.2).
	 */
	if (fv == NULL && strcmp(d, "yes") == 0 &&
	    (k == FACT_MATCH || k == FACT_AUTH ||
	    k == FACT_USABLE)) {
		violate(sc, RULE_DIAGNOSIS, h, "%s: diagnosed %s "
		    "at %s, but the world has no secure, usable "
		    "TLSA RRset there to %s (TLSA: %s) (line: %s)",
		    fact_key_name(k), d, h->host, k == FACT_AUTH
		    ? "authenticate with" : k == FACT_MATCH ?
		    "match" : "use", f->v[FACT_TLSA] ?
		    f->v[FACT_TLSA] : "n/a", line);
		return;
	}
	if (!definite || fact_accepts(k, fv, d))
		return;
	violate(sc, RULE_DIAGNOSIS, h, "%s: diagnosed %s at "
	    "%s, the world's %s is %s%s%s%s (line: %s)",
	    fact_key_name(k), d, h->host, fact_nouns[k], fv,
	    f->why[k][0] ? " (" : "", f->why[k],
	    f->why[k][0] ? ")" : "", line);
}

static void
check_diagnosis(struct score *sc, char *codes, size_t codes_len)
{
	const struct run_score_in *in = sc->in;
	const struct scenario *s = in->s;
	struct profile_diagnosed *dg = xcalloc(1, sizeof(*dg));
	struct world_facts *wf = xcalloc(1, sizeof(*wf));
	char *first, buf[256];
	size_t j, i, o = 0;
	int k;

	facts_derive(s, in->phase, NULL, wf);
	first = run_nodot(s->n_hosts > 0 ? s->hosts[0].name : "");
	profile_read_diagnoses(in->client, in->output, in->output_len, first,
	    dg);
	free(first);
	codes[0] = '\0';
	if (dg->dropped > 0)
		snprintf(sc->claims_problem, sizeof(sc->claims_problem), "the "
		    "client's output diagnoses more than %d hosts",
		    REPORT_MAX_HOSTS);
	for (j = 0; j < dg->n && dg->dropped == 0; j++) {
		const struct host_facts *f;
		struct run_host *h;
		bool any = false;

		/*
		 * A host that is not an MX host makes the output suspect,
		 * but the diagnoses of the real hosts are still judged: a
		 * stray line cannot hide a wrong one (score_checker).
		 */
		if ((i = claim_host(s, dg->host[j].host)) >= sc->res->n_hosts) {
			if (sc->claims_problem[0] == '\0')
				snprintf(sc->claims_problem,
				    sizeof(sc->claims_problem), "the client "
				    "diagnoses %s, which is not an MX host of "
				    "the scenario", dg->host[j].host);
			continue;
		}
		f = &wf->host[i];
		h = &sc->res->hosts[i];
		for (k = 0; k < FACT_COUNT; k++) {
			const char *d = dg->host[j].value[k], *fv = f->v[k];
			bool definite = fv != NULL &&
			    strcmp(fv, FACT_UNKNOWN) != 0;

			if (d == NULL) {
				if ((in->client->reports & (1u << k)) &&
				    definite)
					violate(sc, RULE_DIAGNOSIS, h, "no "
					    "diagnosis of %s at %s, where the "
					    "world's %s is %s%s%s%s",
					    fact_key_name(k), h->host,
					    fact_nouns[k], fv, f->why[k][0] ?
					    " (" : "", f->why[k], f->why[k][0]
					    ? ")" : "");
				continue;
			}
			any = true;
			if (o < codes_len)
				o += (size_t)snprintf(codes + o, codes_len - o,
				    "%s%s: %s=%s", o ? ", " : "", h->host,
				    fact_key_name(k), d);
			judge_code(sc, i, &wf->host[i], k, d,
			    dg->host[j].line[k]);
			/*
			 * An earlier, different word about the same key is
			 * judged too: a later line does not erase it.
			 */
			if (dg->host[j].other[k] != NULL)
				judge_code(sc, i, &wf->host[i], k,
				    dg->host[j].other[k],
				    dg->host[j].other_line[k]);
		}
		if (any) {
			size_t n = 0;

			buf[0] = '\0';
			for (k = 0; k < FACT_COUNT; k++)
				if (dg->host[j].value[k] != NULL &&
				    n < sizeof(buf))
					n += (size_t)snprintf(buf + n,
					    sizeof(buf) - n, "%s%s=%s",
					    n ? " " : "", fact_key_name(k),
					    dg->host[j].value[k]);
			free(h->claim_text);
			h->claim_text = xstrdup(buf);
		}
	}
	free(dg);
	free(wf);
}

/*
 * A checker: no delivery rules (it delivers nothing and decides
 * nothing about delivery); its diagnosis against the world's facts.
 */
static void
score_checker(struct score *sc)
{
	const struct run_score_in *in = sc->in;
	struct run_result *res = sc->res;
	char codes[768];

	if (res->timed_out) {
		hang(sc);
		return;
	}
	if (sc->exit == PROFILE_EXIT_UNDECLARED) {
		verdict(res, RUN_ERROR, res->exit_status == 126 ||
		    res->exit_status == 127 ? RULE_CANNOT_START :
		    RULE_EXIT_STATUS, NULL, NULL, "the checker exited %d, "
		    "which its profile does not declare", res->exit_status);
		return;
	}
	if (!profile_alive(in->client, in->output, in->output_len)) {
		verdict(res, RUN_ERROR, RULE_NO_LIVENESS, NULL, NULL, "the "
		    "checker's output lacks the line its profile requires "
		    "(/%s/): it did not run as expected", in->client->alive);
		return;
	}
	check_diagnosis(sc, codes, sizeof(codes));
	if (sc->claims_problem[0] != '\0' && sc->n_v == 0) {
		verdict(res, RUN_ERROR, RULE_EVIDENCE, NULL, NULL, "the "
		    "evidence cannot be trusted: %s", sc->claims_problem);
		return;
	}
	if (sc->n_v == 0)
		verdict(res, RUN_PASS, RULE_NONE, NULL, NULL, "the diagnosis "
		    "agrees with the world: %s", codes[0] ? codes :
		    "nothing diagnosed");
	apply_deviations(sc);
}

/*
 * Output past RUN_MAX_CLIENT_OUTPUT was dropped: whatever the verdict,
 * its reason says so (claims printed that late were not read).
 */
static void
note_output(const struct run_score_in *in, struct run_result *res)
{
	char *r;

	if (in->run == NULL || in->run->out_dropped == 0)
		return;
	res->output_truncated = true;
	r = xasprintf("%s%soutput truncated at %llu bytes, %llu bytes "
	    "dropped", res->reason != NULL ? res->reason : "",
	    res->reason != NULL ? "; " : "",
	    (unsigned long long)in->run->out_kept,
	    (unsigned long long)in->run->out_dropped);
	free(res->reason);
	res->reason = r;
}

static void score_one(const struct run_score_in *in, struct run_result *res);

void
run_score(const struct run_score_in *in, struct run_result *res)
{
	score_one(in, res);
	note_output(in, res);
}

static void
score_one(const struct run_score_in *in, struct run_result *res)
{
	struct score *sc;
	size_t i;

	res->exit_status = in->run != NULL ? in->run->status : -1;
	res->timed_out = in->run != NULL && in->run->timed_out;
	res->ms = in->run != NULL ? in->run->ms : 0;
	sc = xcalloc(1, sizeof(*sc));
	sc->in = in;
	sc->res = res;
	sc->ep = scenario_expect(in->s, in->policy, in->phase);
	res->expected = sc->ep != NULL ? sc->ep->overall : SCEN_ACT_UNSET;
	if (sc->ep == NULL) {
		verdict(res, RUN_ERROR, RULE_NO_EXPECTATION, NULL, NULL,
		    "the scenario has no expectation for this policy and "
		    "phase");
		free(sc);
		return;
	}
	sc->accept = res->accept = ep_accept(sc->ep);
	if (in->run != NULL)
		sc->until = run_until(in->ev, in->run);
	fill_hosts(sc);
	if (!preconditions(sc)) {
		free(sc);
		return;
	}
	sc->exit = run_exit_meaning(in);
	if (in->client->kind == PROFILE_KIND_CHECKER) {
		score_checker(sc);
		free(sc);
		return;
	}
	if (sc->exit == PROFILE_EXIT_DEFERRED && res->claimed == SCEN_ACT_UNSET)
		res->claimed = SCEN_ACT_DEFER;
	for (i = 0; i < res->n_hosts; i++)
		sc->got[i] = host_got(sc, i);
	/*
	 * What the client did at every host, first: it stands whatever
	 * happened next (a hang, a crash).
	 */
	check_hosts(sc);
	check_sni(sc);
	check_overrun(sc);
	if (sc->n_v == 0 && in->run->outcome == PROFILE_OUTCOME_DELIVERED &&
	    !delivered_anywhere(sc) &&
	    (sc->accept & SCEN_ACT_BIT(SCEN_ACT_DEFER)) != 0) {
		/*
		 * The MTA's own log says delivered, but no server of the
		 * world accepted a message in this run: it went somewhere the
		 * lab does not see (or the log lies).  Where a delivery is
		 * due, that is FAIL undelivered (check_overall): the servers'
		 * evidence stands; where nothing delivered would pass, the
		 * log's word cannot be squared with the evidence.
		 */
		verdict(res, RUN_ERROR, RULE_EVIDENCE, NULL, NULL, "the "
		    "evidence cannot be trusted: the client's log says "
		    "delivered, but no server of the world accepted a message "
		    "from it");
		free(sc);
		return;
	}
	if (sc->n_v > 0) {
		/* What the servers saw stands, whatever the output says. */
		note_after(sc);
		check_overall(sc);
		apply_deviations(sc);
	} else if (sc->claims_problem[0] != '\0') {
		verdict(res, RUN_ERROR, RULE_EVIDENCE, NULL, NULL, "the "
		    "evidence cannot be trusted: %s", sc->claims_problem);
	} else {
		no_host_violation(sc);
	}
	free(sc);
}
