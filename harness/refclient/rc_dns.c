/*
 * rc_dns.c -- the reference client's DNS lookups through libunbound:
 * MX, A and TLSA RRsets with their DNSSEC state.  Validation is
 * libunbound's, against the caller's trust anchor; the resolver it
 * forwards to is only a cache.  Decisions are rc_decide.c's, except the
 * one that decides which lookups to make (no TLSA lookup for hosts whose
 * addresses are not secure, RFC 7672 2.2.2).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <unbound.h>

#include "harness/refclient/refclient.h"

#define RR_A	1
#define RR_CNAME 5
#define RR_MX	15
#define RR_TLSA	52
#define CL_IN	1
#define RCODE_NXDOMAIN 3

struct rc_dns {
	struct ub_ctx *ub;
};

void
rc_dns_free(struct rc_dns *d)
{
	if (d == NULL)
		return;
	if (d->ub != NULL)
		ub_ctx_delete(d->ub);
	free(d);
}

struct rc_dns *
rc_dns_new(const char *resolver, const char *anchor, char *err, size_t errlen)
{
	struct rc_dns *d;
	int r;

	if ((d = calloc(1, sizeof(*d))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if ((d->ub = ub_ctx_create()) == NULL) {
		snprintf(err, errlen, "ub_ctx_create failed");
		goto fail;
	}
	/* The lab resolver lives on 127.0.0.0/8. */
	if ((r = ub_ctx_set_option(d->ub, "do-not-query-localhost:", "no")) ||
	    (r = ub_ctx_set_option(d->ub, "qname-minimisation:", "no"))) {
		snprintf(err, errlen, "unbound option: %s", ub_strerror(r));
		goto fail;
	}
	if (resolver != NULL)
		r = ub_ctx_set_fwd(d->ub, resolver);
	else
		r = ub_ctx_resolvconf(d->ub, NULL);
	if (r != 0) {
		snprintf(err, errlen, "resolver %s: %s",
		    resolver != NULL ? resolver : "/etc/resolv.conf",
		    ub_strerror(r));
		goto fail;
	}
	if (anchor != NULL && (r = ub_ctx_add_ta_file(d->ub, anchor)) != 0) {
		snprintf(err, errlen, "trust anchor %s: %s", anchor,
		    ub_strerror(r));
		goto fail;
	}
	return d;
fail:
	rc_dns_free(d);
	return NULL;
}

/* Uncompressed wire name (libunbound's rdata) to text with final dot. */
static int
wire_name(const unsigned char *p, size_t len, char *out, size_t outlen)
{
	size_t i = 0, o = 0;

	if (len == 0 || outlen < 2)
		return -EINVAL;
	if (p[0] == 0) {
		out[0] = '.';
		out[1] = '\0';
		return 0;
	}
	while (i < len && p[i] != 0) {
		size_t l = p[i++], k;

		if (l > 63 || i + l > len)
			return -EINVAL;
		for (k = 0; k < l; k++) {
			unsigned char c = p[i + k];

			if (c <= ' ' || c == '.' || c == '\\' || c >= 127)
				return -EINVAL;	/* host names only */
			if (o + 2 >= outlen)
				return -EINVAL;
			out[o++] = (char)c;
		}
		out[o++] = '.';
		i += l;
	}
	if (i >= len)
		return -EINVAL;
	out[o] = '\0';
	return 0;
}

static void
fqdn(const char *in, char *out, size_t outlen)
{
	size_t n = strlen(in);

	snprintf(out, outlen, "%s%s", in, n > 0 && in[n - 1] == '.' ? "" : ".");
}

/* One query; fills l and returns the result (caller frees) or NULL. */
static struct ub_result *
query(struct rc_dns *d, const char *name, int type, struct rc_lookup *l)
{
	struct ub_result *res = NULL;
	int r;

	memset(l, 0, sizeof(*l));
	l->done = true;
	r = ub_resolve(d->ub, name, type, CL_IN, &res);
	if (r != 0 || res == NULL) {
		l->state = RC_INDETERMINATE;
		snprintf(l->why, sizeof(l->why), "%s", ub_strerror(r));
		if (res != NULL)
			ub_resolve_free(res);
		return NULL;
	}
	if (res->bogus) {
		l->state = RC_BOGUS;
		snprintf(l->why, sizeof(l->why), "%s",
		    res->why_bogus != NULL ? res->why_bogus : "bogus");
	} else if (res->rcode != 0 && res->rcode != RCODE_NXDOMAIN) {
		l->state = RC_INDETERMINATE;
		snprintf(l->why, sizeof(l->why), "rcode %d%s", res->rcode,
		    res->rcode == 2 ? " (SERVFAIL)" : "");
	} else {
		l->state = res->secure ? RC_SECURE : RC_INSECURE;
		l->answer = res->nxdomain ? RC_NXDOMAIN :
		    res->havedata ? RC_DATA : RC_NODATA;
	}
	return res;
}

/* Insertion sort by preference: stable, so equal preferences keep the
 * order of the answer and traces are reproducible. */
static int
sort_hosts(struct rc_lookups *lk)
{
	struct rc_host *tmp;
	size_t i, j;

	if ((tmp = malloc(sizeof(*tmp))) == NULL)
		return -ENOMEM;
	for (i = 1; i < lk->nhosts; i++) {
		*tmp = lk->hosts[i];
		for (j = i; j > 0 && lk->hosts[j - 1].pref > tmp->pref; j--)
			lk->hosts[j] = lk->hosts[j - 1];
		lk->hosts[j] = *tmp;
	}
	free(tmp);
	return 0;
}

/* TLSA RRset at base; true if it answered with data or failed (stop). */
static bool
tlsa_at(struct rc_dns *d, struct rc_host *h, const char *base, uint16_t port)
{
	char qname[RC_NAME_MAX + 16];
	struct ub_result *res;
	int i;

	snprintf(qname, sizeof(qname), "_%u._tcp.%s", port, base);
	snprintf(h->tlsa_base, sizeof(h->tlsa_base), "%s", base);
	h->ntlsa = 0;
	res = query(d, qname, RR_TLSA, &h->tlsa);
	if (res == NULL)
		return true;
	if (h->tlsa.state == RC_BOGUS || h->tlsa.state == RC_INDETERMINATE) {
		ub_resolve_free(res);
		return true;
	}
	for (i = 0; res->havedata && res->data[i] != NULL &&
	    h->ntlsa < RC_MAX_TLSA; i++) {
		struct rc_tlsa *t = &h->tlsa_rrs[h->ntlsa];
		const unsigned char *p = (const unsigned char *)res->data[i];
		size_t len = (size_t)res->len[i];

		memset(t, 0, sizeof(*t));
		if (len < 3) {
			t->usage = 255;	/* malformed: kept, unusable */
		} else {
			t->usage = p[0];
			t->selector = p[1];
			t->mtype = p[2];
			t->len = len - 3;
			if (t->len > RC_TLSA_DATA_MAX) {
				t->len = 0;
				t->usage = 255;
			} else {
				memcpy(t->data, p + 3, t->len);
			}
		}
		h->ntlsa++;
	}
	ub_resolve_free(res);
	return h->tlsa.answer == RC_DATA;
}

static void
host_lookups(struct rc_dns *d, struct rc_host *h, uint16_t port)
{
	struct ub_result *res;
	int i;

	snprintf(h->expanded, sizeof(h->expanded), "%s", h->name);
	res = query(d, h->name, RR_A, &h->addr);
	if (res == NULL)
		return;
	if (res->canonname != NULL && strcasecmp(res->canonname, h->name))
		fqdn(res->canonname, h->expanded, sizeof(h->expanded));
	for (i = 0; res->havedata && res->data[i] != NULL &&
	    h->naddr < RC_MAX_ADDRS; i++) {
		if (res->len[i] != 4)
			continue;
		inet_ntop(AF_INET, res->data[i], h->addrs[h->naddr],
		    sizeof(h->addrs[0]));
		h->naddr++;
	}
	ub_resolve_free(res);
	if (h->addr.state != RC_SECURE || h->addr.answer != RC_DATA)
		return;	/* RFC 7672 2.2.2: no TLSA lookup */
	/* RFC 7672 2.2.2: expanded name first, then the original. */
	if (strcasecmp(h->expanded, h->name) != 0) {
		if (tlsa_at(d, h, h->expanded, port))
			return;
		h->tlsa_cname = h->tlsa;
	}
	tlsa_at(d, h, h->name, port);
}

int
rc_dns_lookups(struct rc_dns *d, const char *domain, uint16_t port,
    struct rc_lookups *out)
{
	struct ub_result *res;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (domain[0] == '\0' || strlen(domain) >= RC_NAME_MAX - 1)
		return -EINVAL;
	fqdn(domain, out->domain, sizeof(out->domain));
	res = query(d, out->domain, RR_MX, &out->mx);
	if (res == NULL || out->mx.state == RC_BOGUS ||
	    out->mx.state == RC_INDETERMINATE || out->mx.answer ==
	    RC_NXDOMAIN) {
		if (res != NULL)
			ub_resolve_free(res);
		return 0;
	}
	if (out->mx.answer == RC_NODATA) {
		/* RFC 5321 5.1: the implicit MX, the domain itself. */
		out->implicit_mx = true;
		snprintf(out->hosts[0].name, RC_NAME_MAX, "%s", out->domain);
		out->nhosts = 1;
	}
	for (i = 0; res->havedata && res->data[i] != NULL &&
	    out->nhosts < RC_MAX_HOSTS; i++) {
		struct rc_host *h = &out->hosts[out->nhosts];
		const unsigned char *p = (const unsigned char *)res->data[i];
		size_t len = (size_t)res->len[i];

		memset(h, 0, sizeof(*h));
		if (len < 3 || wire_name(p + 2, len - 2, h->name,
		    sizeof(h->name)) != 0)
			continue;
		if (strcmp(h->name, ".") == 0)
			continue;	/* null MX (RFC 7505) */
		h->pref = (uint16_t)(p[0] << 8 | p[1]);
		out->nhosts++;
	}
	ub_resolve_free(res);
	if (sort_hosts(out) != 0)
		return -ENOMEM;
	for (i = 0; i < out->nhosts; i++)
		host_lookups(d, &out->hosts[i], port);
	return 0;
}
