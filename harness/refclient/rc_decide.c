/*
 * rc_decide.c -- the reference client's decisions (RFC 7672), pure: from
 * lookup results and session results to actions.  No I/O, no state.
 * The lookups themselves are rc_dns.c's; the sessions rc_tls.c's.
 */
#include <stdio.h>

#include "harness/refclient/refclient.h"

const char *
rc_state_name(enum rc_state s)
{
	switch (s) {
	case RC_SECURE: return "secure";
	case RC_INSECURE: return "insecure";
	case RC_BOGUS: return "bogus";
	case RC_INDETERMINATE: return "indeterminate";
	}
	return "?";
}

const char *
rc_answer_name(enum rc_answer a)
{
	switch (a) {
	case RC_DATA: return "data";
	case RC_NODATA: return "nodata";
	case RC_NXDOMAIN: return "nxdomain";
	}
	return "?";
}

const char *
rc_action_name(enum rc_action a)
{
	switch (a) {
	case RC_ACT_AUTH: return "auth";
	case RC_ACT_ENCRYPT: return "encrypt";
	case RC_ACT_OPPORTUNISTIC: return "opportunistic";
	case RC_ACT_SKIP: return "skip";
	}
	return "?";
}

const char *
rc_session_name(enum rc_session_result r)
{
	switch (r) {
	case RC_SESS_TLS_AUTH: return "tls-authenticated";
	case RC_SESS_TLS: return "tls-unauthenticated";
	case RC_SESS_PLAIN: return "plaintext";
	case RC_SESS_NO_STARTTLS: return "no-starttls";
	case RC_SESS_TLS_FAILED: return "tls-failed";
	case RC_SESS_AUTH_FAILED: return "auth-failed";
	case RC_SESS_CONNECT_FAILED: return "connect-failed";
	case RC_SESS_REJECTED: return "rejected";
	}
	return "?";
}

const char *
rc_final_name(enum rc_final f)
{
	switch (f) {
	case RC_FINAL_AUTH: return "auth";
	case RC_FINAL_ENCRYPT: return "encrypt";
	case RC_FINAL_OPPORTUNISTIC: return "opportunistic";
	case RC_FINAL_DEFER: return "defer";
	}
	return "?";
}

bool
rc_tlsa_usable(const struct rc_tlsa *r)
{
	if (r->usage != 2 && r->usage != 3)
		return false;	/* 0, 1: RFC 7672 3.1.3; others unknown */
	if (r->selector > 1)
		return false;
	switch (r->mtype) {
	case 0: return r->len > 0;
	case 1: return r->len == 32;
	case 2: return r->len == 64;
	default: return false;
	}
}

static bool
failed(const struct rc_lookup *l)
{
	return !l->done || l->state == RC_BOGUS ||
	    l->state == RC_INDETERMINATE;
}

bool
rc_decide_mx(const struct rc_lookup *mx, const char **why)
{
	const char *w = NULL;

	if (failed(mx))
		w = "MX lookup failed (RFC 7672 2.1.2): defer";
	else if (mx->answer == RC_NXDOMAIN)
		w = "the domain does not exist";
	if (why != NULL)
		*why = w != NULL ? w : "MX lookup usable";
	return w == NULL;
}

/* Without a usable secure TLSA RRset: opportunistic, unless dane-only. */
static enum rc_action
no_dane(enum rc_policy policy, const char *reason, const char **why)
{
	if (policy == RC_POLICY_DANE_ONLY) {
		*why = "dane-only: no secure TLSA RRset, not delivering here";
		return RC_ACT_SKIP;
	}
	*why = reason;
	return RC_ACT_OPPORTUNISTIC;
}

enum rc_action
rc_decide_host(const struct rc_host *h, enum rc_policy policy,
    const char **why)
{
	const char *dummy;
	size_t i, usable = 0;

	if (why == NULL)
		why = &dummy;
	if (failed(&h->addr) || h->addr.answer != RC_DATA || h->naddr == 0) {
		*why = "address lookup failed or empty (RFC 7672 2.1.2)";
		return RC_ACT_SKIP;
	}
	if (h->addr.state == RC_INSECURE)
		return no_dane(policy, "insecure addresses: no TLSA lookup "
		    "(RFC 7672 2.2.2), opportunistic TLS", why);
	if (failed(&h->tlsa)) {
		*why = "TLSA lookup failed: host unusable (RFC 7672 2.1.2)";
		return RC_ACT_SKIP;
	}
	if (h->tlsa.state == RC_INSECURE)
		return no_dane(policy, "insecure TLSA RRset: opportunistic TLS "
		    "(RFC 7672 2.2)", why);
	if (h->tlsa.answer != RC_DATA || h->ntlsa == 0)
		return no_dane(policy, "no TLSA records (secure denial): "
		    "opportunistic TLS (RFC 7672 2.2)", why);
	for (i = 0; i < h->ntlsa; i++)
		if (rc_tlsa_usable(&h->tlsa_rrs[i]))
			usable++;
	if (usable > 0) {
		*why = "secure TLSA RRset with usable records: TLS and DANE "
		    "authentication required (RFC 7672 2.2)";
		return RC_ACT_AUTH;
	}
	if (policy == RC_POLICY_DANE_ONLY) {
		/* Postfix dane-only: "TLSA records unusable". */
		*why = "dane-only: secure TLSA RRset with no usable record "
		    "(TLSA records unusable), not delivering here";
		return RC_ACT_SKIP;
	}
	*why = "secure TLSA RRset, no usable record: TLS required, no "
	    "authentication (RFC 7672 2.2, 2.2.3)";
	return RC_ACT_ENCRYPT;
}

enum rc_action
rc_decide(const struct rc_lookups *lk, const struct rc_host *h,
    enum rc_policy policy, const char **why)
{
	const char *dummy;

	if (why == NULL)
		why = &dummy;
	if (!lk->mx.done || lk->mx.state != RC_INSECURE)
		return rc_decide_host(h, policy, why);
	/* An insecure MX RRset (or implicit MX): RFC 7672 2.2.1. */
	if (failed(&h->addr) || h->addr.answer != RC_DATA || h->naddr == 0) {
		*why = "address lookup failed or empty (RFC 7672 2.1.2)";
		return RC_ACT_SKIP;
	}
	if (policy == RC_POLICY_DANE_ONLY) {
		/* Postfix dane-only: "non DNSSEC destination". */
		*why = "dane-only: MX RRset not secure (non DNSSEC "
		    "destination), not delivering here";
		return RC_ACT_SKIP;
	}
	*why = "MX RRset not secure: RFC 7672 2.2.1 lets a client use DANE "
	    "with the MX host name or not (MAY); this client takes the "
	    "primary reading, opportunistic TLS, and uses no TLSA record";
	return RC_ACT_OPPORTUNISTIC;
}

int
rc_tlsa_shadowed(const struct rc_tlsa *rrs, size_t n, size_t i)
{
	int best = -1;
	size_t j;

	if (i >= n || !rc_tlsa_usable(&rrs[i]))
		return -1;
	for (j = 0; j < n; j++) {
		const struct rc_tlsa *o = &rrs[j];

		if (rc_tlsa_usable(o) && o->usage == rrs[i].usage &&
		    o->selector == rrs[i].selector &&
		    o->mtype > rrs[i].mtype && (int)o->mtype > best)
			best = o->mtype;
	}
	return best;
}

bool
rc_decide_session(enum rc_action act, enum rc_session_result r)
{
	switch (act) {
	case RC_ACT_AUTH:
		return r == RC_SESS_TLS_AUTH;
	case RC_ACT_ENCRYPT:
		return r == RC_SESS_TLS_AUTH || r == RC_SESS_TLS;
	case RC_ACT_OPPORTUNISTIC:
		return r == RC_SESS_TLS_AUTH || r == RC_SESS_TLS ||
		    r == RC_SESS_PLAIN;
	case RC_ACT_SKIP:
		return false;
	}
	return false;
}

bool
rc_decide_nexthop_name(const struct rc_lookups *lk)
{
	return lk->mx.done && lk->mx.state == RC_SECURE && !lk->implicit_mx;
}

const char *
rc_tlsa_label(const struct rc_tlsa *rrs, size_t n, size_t i, char *buf,
    size_t len)
{
	int sh = rc_tlsa_shadowed(rrs, n, i);

	if (sh >= 0)
		snprintf(buf, len, "shadowed by digest agility: %u %u %d "
		    "present", rrs[i].usage, rrs[i].selector, sh);
	else
		snprintf(buf, len, "%s", i < n && rc_tlsa_usable(&rrs[i]) ?
		    "usable" : "unusable");
	return buf;
}
