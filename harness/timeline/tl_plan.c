/*
 * tl_plan.c -- a scenario's timeline as segments of time (tl_plan.h):
 * computed from world_host_state_at phase by phase, read by the text
 * timeline of `danelab explain` and the SVG of the HTML report.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include "harness/timeline/tl_plan.h"
#include "simulator/pki/pki.h"
#include "simulator/scenario/scenario.h"
#include "simulator/util/xmem.h"
#include "simulator/zone/world.h"

static char *
hex_of(const uint8_t *b, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	char *s;
	size_t i;

	if (n > TL_PLAN_DATA_MAX)
		n = TL_PLAN_DATA_MAX;
	s = xmalloc(2 * n + 1);
	for (i = 0; i < n; i++) {
		s[2 * i] = digits[b[i] >> 4];
		s[2 * i + 1] = digits[b[i] & 15];
	}
	s[2 * n] = '\0';
	return s;
}

/* The record's association data in hex, "" when it cannot be known. */
static char *
tlsa_data_hex(const struct scen_tlsa *t, const char *fixtures_dir)
{
	X509 *x = NULL;
	uint8_t *d = NULL;
	size_t len = 0;
	char *s;

	if (t->cert == NULL)
		return hex_of(t->data, t->data_len);
	if (fixtures_dir == NULL ||
	    pki_cert_load(fixtures_dir, t->cert, &x) != 0)
		return xstrdup("");
	if (pki_tlsa_data_alloc(x, t->selector, t->mtype, &d, &len) != 0)
		s = xstrdup("");
	else
		s = hex_of(d, len);
	free(d);
	X509_free(x);
	return s;
}

/* Same record, by what it says (usage selector type and data source). */
static bool
same_scen_tlsa(const struct scen_tlsa *a, const struct scen_tlsa *b)
{
	if (a->usage != b->usage || a->selector != b->selector ||
	    a->mtype != b->mtype)
		return false;
	if (a->cert != NULL || b->cert != NULL)
		return a->cert != NULL && b->cert != NULL &&
		    strcmp(a->cert, b->cert) == 0;
	return a->data_len == b->data_len &&
	    memcmp(a->data, b->data, a->data_len) == 0;
}

static bool
state_has(const struct world_host_state *st, const struct scen_tlsa *t)
{
	size_t i;

	for (i = 0; i < st->n_tlsa; i++)
		if (same_scen_tlsa(&st->tlsa[i], t))
			return true;
	return false;
}

static uint32_t
state_ttl(const struct scenario *s, const struct world_host_state *st)
{
	return st->tlsa_ttl != 0 ? st->tlsa_ttl : s->ttl;
}

static uint32_t
phase_from(const struct scenario *s, size_t p)
{
	return p == 0 ? 0 : s->phases[p].at;
}

/* Each phase's state of h into st (room for s->n_phases). */
static bool
host_states(const struct scenario *s, const struct scen_host *h,
    struct world_host_state *st)
{
	size_t p;

	for (p = 0; p < s->n_phases; p++)
		if (world_host_state_at(s, h, (int)p, &st[p]) != 0)
			return false;
	return true;
}

/* A chain as "leaf" or "leaf+int+root", cut to fit len. */
static void
chain_key(const struct world_host_state *st, char *buf, size_t len)
{
	size_t i, o = 0;
	int n;

	buf[0] = '\0';
	for (i = 0; i < st->n_chain && o < len; i++) {
		n = snprintf(buf + o, len - o, "%s%s", i ? "+" : "",
		    st->chain[i]);
		if (n < 0)
			break;
		o += (size_t)n;
	}
}

static void
plan_certs(const struct scenario *s, const struct world_host_state *st,
    struct tl_plan *pl, struct tl_plan_host *ph)
{
	struct tl_plan_cert *c = NULL;
	char key[TL_PLAN_CHAIN_MAX];
	size_t p;

	ph->certs = xcalloc(s->n_phases, sizeof(*ph->certs));
	for (p = 0; p < s->n_phases; p++) {
		chain_key(&st[p], key, sizeof(key));
		if (c != NULL && key[0] != '\0' && strcmp(c->chain, key) == 0)
			continue;
		if (c != NULL)
			c->to = phase_from(s, p);
		c = NULL;
		if (key[0] == '\0')
			continue;
		c = &ph->certs[ph->n_certs++];
		c->chain = xstrdup(key);
		c->from = phase_from(s, p);
	}
	if (c != NULL)
		c->to = pl->end;
}

/* The segments of record t at host ph. */
static void
plan_record(const struct scenario *s, const struct world_host_state *st,
    const struct scen_tlsa *t, const char *fixtures_dir,
    struct tl_plan *pl, struct tl_plan_host *ph)
{
	struct tl_plan_tlsa *g = NULL;
	bool on;
	size_t p;

	for (p = 0; p < s->n_phases; p++) {
		on = state_has(&st[p], t);
		if (on && g == NULL) {
			ph->tlsa = xreallocarray(ph->tlsa, ph->n_tlsa + 1,
			    sizeof(*ph->tlsa));
			g = &ph->tlsa[ph->n_tlsa++];
			memset(g, 0, sizeof(*g));
			g->usage = t->usage;
			g->selector = t->selector;
			g->mtype = t->mtype;
			g->cert = t->cert != NULL ? xstrdup(t->cert) : NULL;
			g->data = tlsa_data_hex(t, fixtures_dir);
			g->unusable = t->unusable;
			g->from = phase_from(s, p);
			g->ttl_before = p > 0 ? state_ttl(s, &st[p - 1]) : 0;
		} else if (!on && g != NULL) {
			g->to = s->phases[p].at;
			g->removed = true;
			g->ttl_after = state_ttl(s, &st[p - 1]);
			g = NULL;
		}
	}
	if (g != NULL) {
		g->to = pl->end;
		g->ttl_after = state_ttl(s, &st[s->n_phases - 1]);
	}
}

static void
plan_host(const struct scenario *s, const struct scen_host *h,
    const struct world_host_state *st, const char *fixtures_dir,
    struct tl_plan *pl, struct tl_plan_host *ph)
{
	const struct scen_tlsa *seen[TL_PLAN_MAX_RECORDS];
	size_t n_seen = 0, p, k, j, n;

	n = strlen(h->name);
	ph->host = xstrdup(h->name);
	if (n > 1 && ph->host[n - 1] == '.')
		ph->host[n - 1] = '\0';
	plan_certs(s, st, pl, ph);
	for (p = 0; p < s->n_phases; p++)
		for (k = 0; k < st[p].n_tlsa; k++) {
			for (j = 0; j < n_seen &&
			    !same_scen_tlsa(seen[j], &st[p].tlsa[k]); j++)
				;
			if (j < n_seen || n_seen == TL_PLAN_MAX_RECORDS)
				continue;
			seen[n_seen++] = &st[p].tlsa[k];
			plan_record(s, st, &st[p].tlsa[k], fixtures_dir, pl,
			    ph);
		}
}

struct tl_plan *
tl_plan_build(const struct scenario *s, const char *fixtures_dir)
{
	struct world_host_state *st;
	struct tl_plan *pl;
	size_t i, p;

	if (s->n_phases == 0)
		return NULL;
	pl = xcalloc(1, sizeof(*pl));
	pl->n_phases = s->n_phases;
	pl->phases = xcalloc(s->n_phases, sizeof(*pl->phases));
	for (p = 0; p < s->n_phases; p++) {
		pl->phases[p].name = xstrdup(s->phases[p].name != NULL ?
		    s->phases[p].name : "");
		pl->phases[p].at = s->phases[p].at;
	}
	st = xcalloc(s->n_phases, sizeof(*st));
	/* The span: one longest TTL past the last phase. */
	for (i = 0; i < s->n_hosts; i++)
		if (host_states(s, &s->hosts[i], st))
			for (p = 0; p < s->n_phases; p++)
				if (st[p].tlsa_ttl > pl->max_ttl)
					pl->max_ttl = st[p].tlsa_ttl;
	if (pl->max_ttl == 0)
		pl->max_ttl = s->ttl;
	pl->end = s->phases[s->n_phases - 1].at + pl->max_ttl;
	pl->hosts = xcalloc(s->n_hosts, sizeof(*pl->hosts));
	for (i = 0; i < s->n_hosts; i++) {
		if (!host_states(s, &s->hosts[i], st))
			continue;
		plan_host(s, &s->hosts[i], st, fixtures_dir, pl,
		    &pl->hosts[pl->n_hosts++]);
	}
	free(st);
	return pl;
}

void
tl_plan_free(struct tl_plan *p)
{
	size_t i, k;

	if (p == NULL)
		return;
	for (i = 0; i < p->n_phases; i++)
		free(p->phases[i].name);
	free(p->phases);
	for (i = 0; i < p->n_hosts; i++) {
		struct tl_plan_host *h = &p->hosts[i];

		free(h->host);
		for (k = 0; k < h->n_certs; k++)
			free(h->certs[k].chain);
		free(h->certs);
		for (k = 0; k < h->n_tlsa; k++) {
			free(h->tlsa[k].cert);
			free(h->tlsa[k].data);
		}
		free(h->tlsa);
	}
	free(p->hosts);
	free(p);
}

static char *
dup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

struct tl_plan *
tl_plan_copy(const struct tl_plan *p)
{
	struct tl_plan *c;
	size_t i, k;

	if (p == NULL)
		return NULL;
	c = xcalloc(1, sizeof(*c));
	*c = *p;
	c->phases = xcalloc(p->n_phases + 1, sizeof(*c->phases));
	for (i = 0; i < p->n_phases; i++) {
		c->phases[i] = p->phases[i];
		c->phases[i].name = xstrdup(p->phases[i].name);
	}
	c->hosts = xcalloc(p->n_hosts + 1, sizeof(*c->hosts));
	for (i = 0; i < p->n_hosts; i++) {
		const struct tl_plan_host *h = &p->hosts[i];
		struct tl_plan_host *d = &c->hosts[i];

		d->host = xstrdup(h->host);
		d->n_certs = h->n_certs;
		d->certs = xcalloc(h->n_certs + 1, sizeof(*d->certs));
		for (k = 0; k < h->n_certs; k++) {
			d->certs[k] = h->certs[k];
			d->certs[k].chain = xstrdup(h->certs[k].chain);
		}
		d->n_tlsa = h->n_tlsa;
		d->tlsa = xcalloc(h->n_tlsa + 1, sizeof(*d->tlsa));
		for (k = 0; k < h->n_tlsa; k++) {
			d->tlsa[k] = h->tlsa[k];
			d->tlsa[k].cert = dup_or_null(h->tlsa[k].cert);
			d->tlsa[k].data = xstrdup(h->tlsa[k].data);
		}
	}
	return c;
}

bool
tl_plan_same_record(const struct tl_plan_tlsa *a, const struct tl_plan_tlsa *b)
{
	if (a->usage != b->usage || a->selector != b->selector ||
	    a->mtype != b->mtype)
		return false;
	if (a->cert != NULL || b->cert != NULL)
		return a->cert != NULL && b->cert != NULL &&
		    strcmp(a->cert, b->cert) == 0;
	return strcmp(a->data, b->data) == 0;
}

bool
tl_plan_next_record(const struct tl_plan_host *h, size_t *first, size_t *n)
{
	*first += *n;
	if (*first >= h->n_tlsa)
		return false;
	for (*n = 1; *first + *n < h->n_tlsa &&
	    tl_plan_same_record(&h->tlsa[*first], &h->tlsa[*first + *n]);
	    (*n)++)
		;
	return true;
}

enum tl_at
tl_plan_tlsa_at(const struct tl_plan *p, const struct tl_plan_tlsa *seg,
    size_t n, double t)
{
	const struct tl_plan_tlsa *last = NULL;
	size_t i;

	(void)p;
	for (i = 0; i < n; i++) {
		if (seg[i].from <= t && (t < seg[i].to || !seg[i].removed))
			return seg[i].ttl_before > 0 &&
			    t < (double)seg[i].from + seg[i].ttl_before ?
			    TL_AT_NEW : TL_AT_ON;
		if (seg[i].removed && seg[i].to <= t)
			last = &seg[i];	/* segments are in time order */
	}
	if (last != NULL && t < (double)last->to + last->ttl_after)
		return TL_AT_STALE;
	return TL_AT_OFF;
}

const char *
tl_plan_cert_at(const struct tl_plan *p, const struct tl_plan_host *h,
    double t)
{
	const struct tl_plan_cert *c = NULL;
	size_t i;

	for (i = 0; i < h->n_certs; i++)
		if (h->certs[i].from <= t)
			c = &h->certs[i];
	if (c == NULL || (t >= c->to && c->to != p->end))
		return NULL;
	return c->chain;
}

bool
tl_plan_chain_has(const char *chain, const char *cert)
{
	size_t n = strlen(cert);
	const char *p;

	for (p = chain; p != NULL; p = strchr(p, '+'), p = p ? p + 1 : p)
		if (strncmp(p, cert, n) == 0 && (p[n] == '+' || p[n] == '\0'))
			return true;
	return false;
}
