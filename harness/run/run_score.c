/*
 * run_score.c -- from what the servers saw and what the client said to a
 * verdict (run.h).
 *
 * Evidence, per MX host: the outcome of its SMTP sessions (EVENTS.md
 * smtp.close "outcome"; the most significant one when there were
 * several), and the client's claim about the host, read from its output
 * through its profile.  danelab's own events decide; the client's word
 * only adds what a server cannot see (whether the client authenticated)
 * and stands in for the delivery a probe never makes -- and then only
 * when the server saw the session it claims (a probe that says
 * "Verified" for a host no TLS handshake reached is not believed).
 *
 * The rules (BEHAVIOUR.md; RFC 7672 2.1, 2.2):
 *   - a host the scenario says next-mx (or every host, when the
 *     expectation is defer) must not get the message, in any form;
 *   - auth: the message goes over TLS, and a client that says it did not
 *     authenticate fails; encrypt: over TLS; opportunistic: either;
 *   - when the expectation lets the message go, a client that delivered
 *     it nowhere fails too (it loses mail RFC 7672 says to deliver);
 *   - a client's own overall decision, when it states one, must be the
 *     expected action.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "harness/run/run.h"
#include "simulator/events/events.h"
#include "simulator/util/xmem.h"

#define EV_MAX_SESSIONS 4096
#define EV_MAX_RUNS 64

/* ------------------------------------------------------------- events */

static const char *
jstr(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static double
jnum(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_number(v) ? json_number_value(v) : 0.0;
}

static void
copy(char *dst, size_t len, const char *src)
{
	size_t n;

	if (src == NULL) {
		dst[0] = '\0';
		return;
	}
	n = strlen(src);
	if (n >= len)
		n = len - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static struct run_session *
session_get(struct run_events *ev, size_t *cap, const char *host,
    long long id, long long *ids)
{
	size_t i;

	for (i = ev->n_sessions; i-- > 0;)
		if (ids[i] == id && strcmp(ev->sessions[i].host, host) == 0)
			return &ev->sessions[i];
	if (ev->n_sessions == EV_MAX_SESSIONS)
		return NULL;
	if (ev->n_sessions == *cap)
		return NULL;
	i = ev->n_sessions++;
	memset(&ev->sessions[i], 0, sizeof(ev->sessions[i]));
	ids[i] = id;
	copy(ev->sessions[i].host, sizeof(ev->sessions[i].host), host);
	ev->sessions[i].t_connect = -1;
	return &ev->sessions[i];
}

static struct run_client_run *
run_get(struct run_events *ev, long long index)
{
	size_t i;

	for (i = 0; i < ev->n_runs; i++)
		if (ev->runs[i].index == index)
			return &ev->runs[i];
	if (ev->n_runs == EV_MAX_RUNS || index < 0 || index >= EV_MAX_RUNS)
		return NULL;
	i = ev->n_runs++;
	memset(&ev->runs[i], 0, sizeof(ev->runs[i]));
	ev->runs[i].index = (int)index;
	ev->runs[i].status = -1;
	ev->runs[i].t_end = -1;
	return &ev->runs[i];
}

static void
event_apply(struct run_events *ev, size_t *cap, long long *ids, json_t *o)
{
	const char *type = jstr(o, "ev"), *host, *s;
	struct run_session *ss;
	struct run_client_run *r;
	json_t *sid;
	int oc;

	if (type == NULL)
		return;
	if (strncmp(type, "smtp.", 5) == 0) {
		host = jstr(o, "host");
		sid = json_object_get(o, "session");
		if (host == NULL || !json_is_integer(sid))
			return;
		ss = session_get(ev, cap, host, json_integer_value(sid), ids);
		if (ss == NULL)
			return;
		if (strcmp(type, "smtp.connect") == 0) {
			ss->t_connect = jnum(o, "t");
		} else if (strcmp(type, "smtp.tls") == 0) {
			s = jstr(o, "result");
			ss->tls_ok = s != NULL && strcmp(s, "ok") == 0;
			copy(ss->sni, sizeof(ss->sni), jstr(o, "sni"));
			if (!ss->tls_ok) {
				s = jstr(o, "client_alert");
				if (s == NULL)
					s = jstr(o, "error");
				copy(ss->tls_error, sizeof(ss->tls_error), s);
			}
		} else if (strcmp(type, "smtp.close") == 0) {
			s = jstr(o, "outcome");
			oc = s != NULL ? run_outcome_parse(s) : -1;
			if (oc >= 0)
				ss->outcome = (enum run_outcome)oc;
		}
		return;
	}
	if (strcmp(type, "client.start") == 0 ||
	    strcmp(type, "client.end") == 0) {
		sid = json_object_get(o, "run");
		if (!json_is_integer(sid))
			return;
		r = run_get(ev, json_integer_value(sid));
		if (r == NULL)
			return;
		if (type[7] == 's') {
			r->t_start = jnum(o, "t");
		} else {
			r->t_end = jnum(o, "t");
			r->status = (int)json_integer_value(
			    json_object_get(o, "status"));
			r->timed_out =
			    json_is_true(json_object_get(o, "timed_out"));
			r->ms = (uint64_t)json_integer_value(
			    json_object_get(o, "ms"));
		}
	}
}

int
run_events_read(const char *path, struct run_events *ev,
    struct dl_diags *diags)
{
	char line[EVLOG_MAX_LINE + 2];
	size_t cap = 256;
	long long *ids;
	json_error_t jerr;
	json_t *o;
	FILE *fp;
	long size;

	memset(ev, 0, sizeof(*ev));
	fp = fopen(path, "re");
	if (fp == NULL) {
		if (errno == ENOENT)
			return 0; /* nothing happened */
		dl_error(diags, path, 0, 0, "cannot read the events: %s",
		    strerror(errno));
		return DL_EIO;
	}
	if (fseek(fp, 0, SEEK_END) == 0 && (size = ftell(fp)) >= 0 &&
	    size > RUN_MAX_EVENTS_FILE) {
		fclose(fp);
		dl_error(diags, path, 0, 0,
		    "event log larger than %d bytes", RUN_MAX_EVENTS_FILE);
		return DL_ERANGE;
	}
	rewind(fp);
	cap = EV_MAX_SESSIONS;
	ev->sessions = xcalloc(cap, sizeof(*ev->sessions));
	ev->runs = xcalloc(EV_MAX_RUNS, sizeof(*ev->runs));
	ids = xcalloc(cap, sizeof(*ids));
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (strchr(line, '\n') == NULL && !feof(fp)) {
			int ch;

			/* Over-long: not an event; skip the rest. */
			while ((ch = fgetc(fp)) != EOF && ch != '\n')
				;
			ev->bad_lines++;
			continue;
		}
		o = json_loads(line, JSON_DISABLE_EOF_CHECK, &jerr);
		if (!json_is_object(o)) {
			ev->bad_lines++;
			json_decref(o);
			continue;
		}
		event_apply(ev, &cap, ids, o);
		json_decref(o);
	}
	free(ids);
	fclose(fp);
	return 0;
}

void
run_events_clear(struct run_events *ev)
{
	free(ev->sessions);
	free(ev->runs);
	memset(ev, 0, sizeof(*ev));
}

/* ------------------------------------------------------------ scoring */

/* What one host got, in the scorer's terms. */
enum got {
	GOT_NOTHING,	/* no message, none claimed */
	GOT_PLAIN,
	GOT_TLS,
};

static void
name_nodot(char *dst, size_t len, const char *src)
{
	size_t n;

	copy(dst, len, src);
	n = strlen(dst);
	if (n > 1 && dst[n - 1] == '.')
		dst[n - 1] = '\0';
}

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

/* Expected action for host i under ep, or UNSET (the overall applies). */
static enum scen_action
host_expected(const struct scen_expect_policy *ep, const char *host)
{
	size_t i;

	for (i = 0; i < ep->n_hosts; i++)
		if (same_host(ep->hosts[i].host, host))
			return ep->hosts[i].action;
	if (ep->overall == SCEN_ACT_DEFER)
		return SCEN_ACT_NEXT_MX;
	return SCEN_ACT_UNSET;
}

static enum got
host_got(const struct run_host *h, bool delivers)
{
	if (delivers) {
		if (h->outcome == RUN_OUT_DELIVERED_TLS)
			return GOT_TLS;
		if (h->outcome == RUN_OUT_DELIVERED_PLAIN)
			return GOT_PLAIN;
		return GOT_NOTHING;
	}
	/* A probe: its word, where the server saw what it claims. */
	switch (h->claim) {
	case RUN_CLAIM_AUTH:
	case RUN_CLAIM_ENCRYPT:
		return h->outcome >= RUN_OUT_QUIT_AFTER_TLS &&
			h->outcome != RUN_OUT_DELIVERED_PLAIN
		    ? GOT_TLS
		    : GOT_NOTHING;
	case RUN_CLAIM_PLAIN:
		return h->outcome != RUN_OUT_NOT_CONTACTED ? GOT_PLAIN
							   : GOT_NOTHING;
	case RUN_CLAIM_REFUSE:
		return GOT_NOTHING;
	default:
		/* Silent about the host: what the server saw. */
		if (h->outcome == RUN_OUT_QUIT_AFTER_TLS ||
		    h->outcome == RUN_OUT_DELIVERED_TLS)
			return GOT_TLS;
		if (h->outcome == RUN_OUT_DELIVERED_PLAIN)
			return GOT_PLAIN;
		return GOT_NOTHING;
	}
}

static void
describe_host(char *buf, size_t len, const struct run_host *h)
{
	int n = snprintf(buf, len, "%s: %s", h->host,
	    run_outcome_name(h->outcome));

	if (n > 0 && (size_t)n < len && h->claim != RUN_CLAIM_NONE)
		snprintf(buf + n, len - (size_t)n, " (client: %s%s%s)",
		    run_claim_name(h->claim), h->claim_text ? " " : "",
		    h->claim_text ? h->claim_text : "");
}

/* Set verdict and reason. */
static void
verdict(struct run_result *res, enum run_verdict v, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
verdict(struct run_result *res, enum run_verdict v, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	res->verdict = v;
	free(res->reason);
	res->reason = xstrdup(buf);
}

static void
fill_hosts(const struct run_score_in *in, const struct scen_expect_policy *ep,
    struct run_result *res)
{
	const struct scenario *s = in->s;
	const struct run_client_run *run = in->run;
	struct profile_claims cl;
	char first[256];
	size_t i, j;

	res->n_hosts = s->n_hosts < REPORT_MAX_HOSTS ? s->n_hosts
						     : REPORT_MAX_HOSTS;
	res->hosts = xcalloc(res->n_hosts ? res->n_hosts : 1,
	    sizeof(*res->hosts));
	memset(&cl, 0, sizeof(cl));
	name_nodot(first, sizeof(first),
	    s->n_hosts > 0 ? s->hosts[0].name : "");
	if (in->output != NULL)
		profile_read_claims(in->client, in->output, in->output_len,
		    first, &cl);
	res->claimed = cl.overall;
	for (i = 0; i < res->n_hosts; i++) {
		struct run_host *h = &res->hosts[i];
		const struct run_session *best = NULL;

		name_nodot(first, sizeof(first), s->hosts[i].name);
		h->host = xstrdup(first);
		h->expected = host_expected(ep, first);
		for (j = 0; run != NULL && j < in->ev->n_sessions; j++) {
			const struct run_session *ss = &in->ev->sessions[j];

			if (!same_host(ss->host, first) || ss->t_connect < 0 ||
			    ss->t_connect < run->t_start ||
			    (run->t_end >= 0 && ss->t_connect > run->t_end))
				continue;
			h->sessions++;
			if (best == NULL || ss->outcome > best->outcome)
				best = ss;
			if (ss->sni[0] != '\0') {
				free(h->sni);
				h->sni = xstrdup(ss->sni);
			}
			if (ss->tls_error[0] != '\0') {
				free(h->tls_error);
				h->tls_error = xstrdup(ss->tls_error);
			}
		}
		h->outcome = best ? best->outcome : RUN_OUT_NOT_CONTACTED;
		for (j = 0; j < cl.n; j++)
			if (same_host(cl.host[j].host, first)) {
				h->claim = cl.host[j].claim;
				if (cl.host[j].label[0] != '\0')
					h->claim_text =
					    xstrdup(cl.host[j].label);
			}
	}
}

void
run_score(const struct run_score_in *in, struct run_result *res)
{
	const struct scen_expect_policy *ep;
	const struct profile_deviation *dev;
	const struct run_host *via = NULL;
	bool delivers = in->client->delivers;
	char desc[512];
	size_t i;

	ep = scenario_expect(in->s, in->policy, in->phase);
	res->expected = ep != NULL ? ep->overall : SCEN_ACT_UNSET;
	res->exit_status = in->run != NULL ? in->run->status : -1;
	res->timed_out = in->run != NULL && in->run->timed_out;
	res->ms = in->run != NULL ? in->run->ms : 0;
	if (ep == NULL) {
		res->hosts = NULL;
		verdict(res, RUN_ERROR, "the scenario has no expectation for "
		    "this policy and phase");
		return;
	}
	fill_hosts(in, ep, res);

	if (in->run == NULL || in->run->t_end < 0) {
		verdict(res, RUN_ERROR, "the client was not run (the lab "
		    "ended before this moment)");
		return;
	}
	if (res->exit_status == 126 || res->exit_status == 127) {
		verdict(res, RUN_ERROR, "the client could not be started "
		    "(exit %d)", res->exit_status);
		return;
	}
	if (res->timed_out) {
		verdict(res, RUN_HANG, "the client did not finish within %u s",
		    in->client->timeout_s);
		goto deviation;
	}

	/* Hosts that must not get the message. */
	for (i = 0; i < res->n_hosts; i++) {
		const struct run_host *h = &res->hosts[i];
		enum got g = host_got(h, delivers);

		describe_host(desc, sizeof(desc), h);
		if (g != GOT_NOTHING && via == NULL)
			via = h;
		if (g == GOT_NOTHING)
			continue;
		if (h->expected == SCEN_ACT_NEXT_MX) {
			verdict(res, RUN_FAIL, "%s through %s, where RFC 7672 "
			    "forbids delivery through this host (%s)",
			    g == GOT_TLS ? (delivers ? "delivered over TLS"
						     : "would deliver over TLS")
					 : (delivers ? "delivered in cleartext"
						     : "would deliver in "
						       "cleartext"),
			    h->host, desc);
			goto deviation;
		}
	}
	if (via == NULL) {
		/*
		 * A probe that met a server without STARTTLS and says nothing
		 * about it (posttls-finger prints the same whether it would
		 * have required TLS there or not): nothing to score.
		 */
		for (i = 0; !delivers && i < res->n_hosts &&
		    res->claimed == SCEN_ACT_UNSET; i++)
			if (res->hosts[i].outcome == RUN_OUT_QUIT_PLAIN &&
			    res->hosts[i].claim == RUN_CLAIM_NONE) {
				verdict(res, RUN_SKIP, "the client says nothing "
				    "about the session without STARTTLS at %s: "
				    "whether it would deliver there cannot be "
				    "told", res->hosts[i].host);
				return;
			}
		if (res->expected == SCEN_ACT_DEFER) {
			verdict(res, RUN_PASS, "nothing delivered: deferred, "
			    "as expected");
			goto claim;
		}
		verdict(res, RUN_FAIL, "%s, where RFC 7672 expects %s",
		    delivers ? "the message was delivered nowhere"
			     : "the client would deliver nowhere",
		    scen_action_name(res->expected));
		goto deviation;
	}
	/* Delivered through via: in the way its expectation asks? */
	{
		enum scen_action want = via->expected != SCEN_ACT_UNSET
		    ? via->expected
		    : res->expected;
		enum got g = host_got(via, delivers);

		describe_host(desc, sizeof(desc), via);
		if (want == SCEN_ACT_DEFER) {
			verdict(res, RUN_FAIL, "delivered through %s, where RFC "
			    "7672 expects defer (%s)", via->host, desc);
			goto deviation;
		}
		if ((want == SCEN_ACT_AUTH || want == SCEN_ACT_ENCRYPT) &&
		    g != GOT_TLS) {
			verdict(res, RUN_FAIL, "cleartext through %s, where TLS "
			    "is required (%s)", via->host, desc);
			goto deviation;
		}
		if (want == SCEN_ACT_AUTH && (via->claim == RUN_CLAIM_ENCRYPT ||
		    via->claim == RUN_CLAIM_PLAIN)) {
			verdict(res, RUN_FAIL, "unauthenticated TLS through %s, "
			    "where DANE authentication is required (%s)",
			    via->host, desc);
			goto deviation;
		}
		verdict(res, RUN_PASS, "%s: %s", scen_action_name(want), desc);
	}
claim:
	/* The client's own decision, when it states one. */
	if (res->claimed != SCEN_ACT_UNSET &&
	    res->claimed != res->expected &&
	    !(res->claimed == SCEN_ACT_NEXT_MX &&
		res->expected == SCEN_ACT_DEFER)) {
		verdict(res, RUN_FAIL, "the client decided %s, where RFC 7672 "
		    "expects %s (%s)", scen_action_name(res->claimed),
		    scen_action_name(res->expected), res->reason);
	}
deviation:
	dev = profile_deviation(in->client, in->s->id,
	    in->phase >= 0 ? in->s->phases[in->phase].name : NULL, in->policy);
	if (dev == NULL)
		return;
	res->deviation = xstrdup(dev->reason);
	if (res->verdict == RUN_FAIL)
		res->verdict = RUN_XFAIL;
	else if (res->verdict == RUN_PASS)
		res->verdict = RUN_XPASS;
}
