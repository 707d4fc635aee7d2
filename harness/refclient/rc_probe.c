/*
 * rc_probe.c -- the reference client end to end: lookups (rc_dns.c),
 * decisions (rc_decide.c), sessions (rc_tls.c), MX hosts in preference
 * order with next MX on failure, and the decision trace.  Returns; the
 * caller prints.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "harness/refclient/refclient.h"

#define TRACE_MAX 512

static void __attribute__((format(printf, 2, 3)))
trace(struct rc_probe_result *r, const char *fmt, ...)
{
	va_list ap;
	char *line = NULL;
	char **n;
	int k;

	if (r->nlines >= TRACE_MAX)
		return;
	va_start(ap, fmt);
	k = vasprintf(&line, fmt, ap);
	va_end(ap);
	if (k < 0)
		return;
	if ((n = realloc(r->lines, (r->nlines + 1) * sizeof(*n))) == NULL) {
		free(line);
		return;
	}
	r->lines = n;
	r->lines[r->nlines++] = line;
}

void
rc_probe_result_clear(struct rc_probe_result *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->nlines; i++)
		free(r->lines[i]);
	free(r->lines);
	r->lines = NULL;
	r->nlines = 0;
}

static void
trace_lookup(struct rc_probe_result *r, const char *what, const char *name,
    const struct rc_lookup *l)
{
	if (!l->done) {
		trace(r, "lookup %s %s: not looked up", name, what);
		return;
	}
	if (l->state == RC_BOGUS || l->state == RC_INDETERMINATE)
		trace(r, "lookup %s %s: %s (%s)", name, what,
		    rc_state_name(l->state), l->why);
	else
		trace(r, "lookup %s %s: %s %s", name, what,
		    rc_state_name(l->state), rc_answer_name(l->answer));
}

static void
trace_host(struct rc_probe_result *r, const struct rc_host *h, uint16_t port)
{
	size_t i;

	trace_lookup(r, "A", h->name, &h->addr);
	if (strcasecmp(h->expanded, h->name) != 0)
		trace(r, "  %s is a CNAME for %s", h->name, h->expanded);
	for (i = 0; i < h->naddr; i++)
		trace(r, "  address %s", h->addrs[i]);
	if (!h->tlsa.done) {
		trace(r, "lookup _%u._tcp.%s TLSA: not looked up (addresses "
		    "not secure)", port, h->name);
		return;
	}
	{
		char q[RC_NAME_MAX + 16];

		if (h->tlsa_cname.done) {
			snprintf(q, sizeof(q), "_%u._tcp.%s", port,
			    h->expanded);
			trace_lookup(r, "TLSA", q, &h->tlsa_cname);
			trace(r, "  no TLSA at the expanded name: trying the "
			    "original (RFC 7672 2.2.2)");
		}
		snprintf(q, sizeof(q), "_%u._tcp.%s", port, h->tlsa_base);
		trace_lookup(r, "TLSA", q, &h->tlsa);
	}
	for (i = 0; i < h->ntlsa; i++) {
		const struct rc_tlsa *t = &h->tlsa_rrs[i];
		char hex[20] = "";
		char label[80];
		size_t k;

		for (k = 0; k < t->len && k < 8; k++)
			snprintf(hex + 2 * k, sizeof(hex) - 2 * k, "%02x",
			    t->data[k]);
		trace(r, "  TLSA %u %u %u %s%s (%s)", t->usage, t->selector,
		    t->mtype, hex, t->len > 8 ? "..." : "",
		    rc_tlsa_label(h->tlsa_rrs, h->ntlsa, i, label,
		    sizeof(label)));
	}
}

static enum rc_final
final_of(enum rc_action act, enum rc_session_result s)
{
	if (act == RC_ACT_AUTH)
		return RC_FINAL_AUTH;
	if (act == RC_ACT_ENCRYPT)
		return RC_FINAL_ENCRYPT;
	(void)s;
	return RC_FINAL_OPPORTUNISTIC;
}

int
rc_probe_run(const struct rc_probe_opts *o, struct rc_probe_result *out)
{
	struct rc_dns *dns;
	struct rc_lookups *lk = &out->lk;
	char err[256];
	const char *why;
	size_t i, j;
	bool nexthop;

	memset(out, 0, sizeof(*out));
	out->final = RC_FINAL_DEFER;
	trace(out, "policy %s, resolver %s, anchor %s",
	    o->policy == RC_POLICY_DANE_ONLY ? "dane-only" : "dane",
	    o->resolver != NULL ? o->resolver : "/etc/resolv.conf",
	    o->anchor != NULL ? o->anchor : "(none)");
	if ((dns = rc_dns_new(o->resolver, o->anchor, err, sizeof(err))) ==
	    NULL) {
		trace(out, "error: %s", err);
		return -EINVAL;
	}
	if (rc_dns_lookups(dns, o->domain, o->port, lk) != 0) {
		rc_dns_free(dns);
		trace(out, "error: bad domain '%s'", o->domain);
		return -EINVAL;
	}
	rc_dns_free(dns);
	trace_lookup(out, "MX", lk->domain, &lk->mx);
	if (!rc_decide_mx(&lk->mx, &why)) {
		trace(out, "%s", why);
		return 0;
	}
	if (lk->implicit_mx)
		trace(out, "  no MX records: the implicit MX %s", lk->domain);
	for (i = 0; i < lk->nhosts; i++)
		trace(out, "  MX %u %s", lk->hosts[i].pref, lk->hosts[i].name);
	nexthop = rc_decide_nexthop_name(lk);
	for (i = 0; i < lk->nhosts; i++) {
		const struct rc_host *h = &lk->hosts[i];
		enum rc_action act;

		trace(out, "host %s (MX %u)", h->name, h->pref);
		trace_host(out, h, o->port);
		act = rc_decide(lk, h, o->policy, &why);
		trace(out, "  plan %s: %s", rc_action_name(act), why);
		if (act == RC_ACT_SKIP) {
			trace(out, "  next MX");
			continue;
		}
		for (j = 0; j < h->naddr; j++) {
			struct rc_session_params p = {
				.addr = h->addrs[j],
				.port = o->port,
				.act = act,
				.sni = act == RC_ACT_AUTH ? h->tlsa_base :
				    h->name,
				.nexthop = nexthop ? lk->domain : NULL,
				.tlsa = h->tlsa_rrs,
				.ntlsa = h->ntlsa,
				.helo = "probe.danelab.invalid",
				.rcpt_domain = o->domain,
				.deliver = o->deliver,
				.timeout_s = o->timeout_s,
			};
			struct rc_session s;

			if (rc_session_run(&p, &s) != 0) {
				trace(out, "  session %s:%u: local error",
				    p.addr, p.port);
				continue;
			}
			trace(out, "  session %s:%u (SNI %s): %s%s%s",
			    p.addr, p.port, p.sni, rc_session_name(s.result),
			    s.detail[0] ? ", " : "", s.detail);
			if (s.tls_version[0])
				trace(out, "  tls %s, peer CN '%s'",
				    s.tls_version, s.peer_cn);
			if (s.match_depth >= 0)
				trace(out, "  matched TLSA %s at depth %d",
				    s.matched, s.match_depth);
			if (rc_decide_session(act, s.result)) {
				out->final = final_of(act, s.result);
				snprintf(out->via, sizeof(out->via), "%.*s",
				    (int)strlen(h->name) - 1, h->name);
				trace(out, "  accepted: %s%s",
				    rc_final_name(out->final), o->deliver ?
				    ", message delivered" : " (--no-deliver)");
				return 0;
			}
			trace(out, "  not good enough for %s: next address",
			    rc_action_name(act));
		}
		trace(out, "  next MX");
	}
	trace(out, "every MX host failed or was skipped: defer");
	return 0;
}
