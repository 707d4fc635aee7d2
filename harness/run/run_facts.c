/*
 * run_facts.c -- a world's expected diagnosis, derived from its declared
 * facts (facts.h), and the vocabulary of diagnosis codes.
 *
 * Owns: the keys and values of the codes (harness/clients/DIAGNOSIS.md),
 * the derivation per host and phase, and which coarse diagnosis covers
 * which fact.  The DNSSEC states are the scenario's own `expect:` (the
 * decision table and the validator tests hold them to the world); what
 * the TLSA RRset holds and what the server presents come from the model
 * (world_host_state_at) and the fixture certificates (pki_tlsa_data,
 * the same computation as the zone builder's).  Nothing here runs a
 * world.
 */
#include "harness/run/facts.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/x509.h>

#include "danelab_config.h"
#include "harness/paths.h"

#include "simulator/pki/pki.h"
#include "simulator/util/xmem.h"
#include "simulator/zone/world.h"

/* ---- vocabulary -------------------------------------------------------- */

static const char *const key_names[FACT_COUNT] = {
	"mx", "address", "tlsa", "usable", "match", "starttls", "chain",
	"auth",
};

/*
 * The values a checker may diagnose, per key, NULL-terminated; the
 * facts take theirs from the same tables (so that a fact and a
 * diagnosis compare as pointers or strings alike).  `failed` is the
 * coarse value: a lookup failure, bogus or indeterminate.
 */
static const char *const dnssec_values[] = {
	"secure", "insecure", "bogus", "indeterminate", "failed", NULL
};
static const char *const tlsa_values[] = {
	"secure", "none", "insecure", "bogus", "indeterminate", "failed",
	NULL
};
static const char *const yesno_values[] = { "yes", "no", NULL };
static const char *const starttls_values[] = {
	"yes", "no", "rejected", NULL
};

static const char *const *const key_values[FACT_COUNT] = {
	[FACT_MX] = dnssec_values,
	[FACT_ADDRESS] = dnssec_values,
	[FACT_TLSA] = tlsa_values,
	[FACT_USABLE] = yesno_values,
	[FACT_MATCH] = yesno_values,
	[FACT_STARTTLS] = starttls_values,
	[FACT_CHAIN] = yesno_values,
	[FACT_AUTH] = yesno_values,
};

const char *
fact_key_name(enum fact_key k)
{
	return (unsigned)k < FACT_COUNT ? key_names[k] : "?";
}

int
fact_key_parse(const char *name, size_t len)
{
	int k;

	for (k = 0; k < FACT_COUNT; k++)
		if (strlen(key_names[k]) == len &&
		    strncmp(key_names[k], name, len) == 0)
			return k;
	return -1;
}

const char *
fact_value_parse(enum fact_key k, const char *v)
{
	const char *const *t;

	if ((unsigned)k >= FACT_COUNT)
		return NULL;
	for (t = key_values[k]; *t != NULL; t++)
		if (strcmp(*t, v) == 0)
			return *t;
	return NULL;
}

const char *
fact_values(enum fact_key k)
{
	static char buf[FACT_COUNT][96];
	const char *const *t;
	size_t o = 0;

	if ((unsigned)k >= FACT_COUNT)
		return "";
	if (buf[k][0] != '\0')
		return buf[k];
	for (t = key_values[k]; *t != NULL && o < sizeof(buf[k]); t++)
		o += (size_t)snprintf(buf[k] + o, sizeof(buf[k]) - o, "%s%s",
		    t == key_values[k] ? "" : ", ", *t);
	return buf[k];
}

bool
fact_accepts(enum fact_key k, const char *f, const char *d)
{
	if (f == NULL || d == NULL)
		return true;
	if (strcmp(f, d) == 0)
		return true;
	/*
	 * A stub resolver behind a validating one gets SERVFAIL for a
	 * bogus and for an indeterminate answer alike: `failed` is all it
	 * can honestly say.  The fine value must be right.
	 */
	if ((k == FACT_MX || k == FACT_ADDRESS || k == FACT_TLSA) &&
	    strcmp(d, "failed") == 0)
		return strcmp(f, "bogus") == 0 ||
		    strcmp(f, "indeterminate") == 0;
	return false;
}

/* ---- derivation -------------------------------------------------------- */

static const char *
dnssec_value(enum scen_dnssec st)
{
	switch (st) {
	case SCEN_DNSSEC_SECURE:
		return "secure";
	case SCEN_DNSSEC_INSECURE:
		return "insecure";
	case SCEN_DNSSEC_BOGUS:
		return "bogus";
	case SCEN_DNSSEC_INDETERMINATE:
		return "indeterminate";
	case SCEN_DNSSEC_UNSET:
		break;
	}
	return FACT_UNKNOWN;
}

static const struct scen_host_state *
expect_state(const struct scen_expect *e, const char *host)
{
	size_t i;

	for (i = 0; i < e->n_states; i++)
		if (strcmp(e->states[i].host, host) == 0)
			return &e->states[i];
	return NULL;
}

/*
 * The declared state of the host's addresses (addr) or TLSA at phase:
 * the phase's own declaration, else the nearest earlier phase's, else
 * the top level's -- as scenario_expect inherits actions.
 */
static enum scen_dnssec
declared_state(const struct scenario *s, int phase, const char *host,
    bool addr)
{
	const struct scen_host_state *st;
	int p;

	for (p = phase; p >= 0 && (size_t)p < s->n_phases; p--)
		if ((st = expect_state(&s->phases[p].expect, host)) != NULL &&
		    (addr ? st->address : st->tlsa) != SCEN_DNSSEC_UNSET)
			return addr ? st->address : st->tlsa;
	if ((st = expect_state(&s->expect, host)) == NULL)
		return SCEN_DNSSEC_UNSET;
	return addr ? st->address : st->tlsa;
}

static enum scen_dnssec
declared_mx(const struct scenario *s, int phase)
{
	int p;

	for (p = phase; p >= 0 && (size_t)p < s->n_phases; p--)
		if (s->phases[p].expect.mx != SCEN_DNSSEC_UNSET)
			return s->phases[p].expect.mx;
	return s->expect.mx;
}

/* STARTTLS mode of host h, faults applied (the last one wins). */
static enum scen_starttls
starttls_mode(const struct scenario *s, const struct scen_host *h)
{
	enum scen_starttls mode = h->starttls;
	size_t i;

	for (i = 0; i < s->n_faults; i++)
		if (s->faults[i].kind == SCEN_FAULT_STARTTLS &&
		    s->faults[i].host != NULL &&
		    strcmp(s->faults[i].host, h->name) == 0)
			mode = s->faults[i].starttls;
	return mode;
}

/*
 * Whether t survives digest agility (RFC 7671 9): no usable record of
 * its usage and selector has a stronger matching type.
 */
static bool
tlsa_strongest(const struct scen_tlsa *v, size_t n, const struct scen_tlsa *t)
{
	size_t j;

	for (j = 0; j < n; j++)
		if (scen_tlsa_usable(&v[j]) && v[j].usage == t->usage &&
		    v[j].selector == t->selector && v[j].mtype > t->mtype)
			return false;
	return true;
}

/*
 * Whether record t matches fixture certificate id: its data computed
 * from its own certificate or written literally, against the data of
 * id.  -1: a certificate that does not load.
 */
static int
tlsa_matches_cert(const char *fixtures, const struct scen_tlsa *t,
    const char *id)
{
	uint8_t *got = NULL, *full = NULL;
	size_t wlen = 0, glen = 0;
	X509 *x = NULL, *y = NULL;
	int r = -1;

	if (pki_cert_load(fixtures, id, &x) != 0)
		return -1;
	if (pki_tlsa_data_alloc(x, t->selector, t->mtype, &got, &glen) != 0)
		goto out;
	if (t->cert != NULL) {
		if (pki_cert_load(fixtures, t->cert, &y) != 0 ||
		    pki_tlsa_data_alloc(y, t->selector, t->mtype, &full,
		    &wlen) != 0)
			goto out;
		r = wlen == glen && memcmp(full, got, glen) == 0;
	} else
		r = t->data_len == glen && memcmp(t->data, got, glen) == 0;
out:
	free(got);
	free(full);
	X509_free(x);
	X509_free(y);
	return r;
}

/*
 * The TLSA RRset the lab resolver answers with when a checker runs at
 * the start of phase p (+ RUN_PHASE_MARGIN_MS), having been asked at
 * every earlier phase's start: the set fetched last, until its TTL runs
 * out.  Returns the phase whose set is seen, or -2 when the cached set
 * expires within a second of the lookup (which one is seen cannot be
 * told).
 */
static int
tlsa_phase_seen(const struct scenario *s, const struct scen_host *h, int p)
{
	struct world_host_state st;
	double fetched = -1, expires = -1;
	int seen = -1, q;

	if (p < 0)
		return -1;
	for (q = 0; q <= p; q++) {
		double t = s->phases[q].at + 0.15;

		if (seen >= -1 && fetched >= 0 && t < expires - 1)
			continue;	/* still cached */
		if (fetched >= 0 && t < expires + 1)
			return -2;
		if (world_host_state_at(s, h, q, &st) != 0)
			return -2;
		seen = q;
		fetched = t;
		expires = t + (st.tlsa_ttl != 0 ? st.tlsa_ttl : (s->ttl ?
		    s->ttl : 3600));
	}
	return seen;
}

/* TLSA records written as zone records, parsed for the derivation. */
struct extra_tlsa {
	struct scen_tlsa t[SCEN_MAX_TLSA];
	uint8_t data[SCEN_MAX_TLSA][SCEN_MAX_TLSA_DATA];
	size_t n;
};

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * A CNAME host without TLSA records of its own (they would live at the
 * target): the records its scenario writes at the original name,
 * _<port>._tcp.<name>, as zone records (RFC 7672 2.2.2: looked up there
 * after none at the target).  Records that do not parse are marked
 * unusable, as a client would treat malformed data.
 */
static void
original_name_tlsa(const struct scenario *s, const struct scen_host *h,
    struct extra_tlsa *x)
{
	char owner[300];
	size_t z, r;

	x->n = 0;
	snprintf(owner, sizeof(owner), "_%u._tcp.%s", h->port ? h->port : 25,
	    h->name);
	for (z = 0; z < s->n_zones; z++)
		for (r = 0; r < s->zones[z].n_records; r++) {
			const struct scen_record *rec = &s->zones[z].records[r];
			struct scen_tlsa *t = &x->t[x->n];
			unsigned u, sel, m;
			int off = 0, hi, lo;
			const char *p;
			size_t len = 0;

			if (x->n == SCEN_MAX_TLSA ||
			    strcasecmp(rec->type, "TLSA") != 0 ||
			    strcasecmp(rec->owner, owner) != 0)
				continue;
			x->n++;
			if (rec->tlsa.cert != NULL) {
				*t = rec->tlsa;	/* computed: cert borrowed */
				continue;
			}
			memset(t, 0, sizeof(*t));
			t->data = x->data[x->n - 1];
			if (rec->rdata == NULL || sscanf(rec->rdata, "%u %u %u %n", &u, &sel, &m,
			    &off) != 3 || u > 255 || sel > 255 || m > 255) {
				t->unusable = true;
				continue;
			}
			t->usage = (uint8_t)u;
			t->selector = (uint8_t)sel;
			t->mtype = (uint8_t)m;
			for (p = rec->rdata + off; *p != '\0' &&
			    len < SCEN_MAX_TLSA_DATA; p += 2) {
				while (*p == ' ')
					p++;
				if (*p == '\0')
					break;
				if ((hi = hexval(p[0])) < 0 ||
				    (lo = hexval(p[1])) < 0) {
					t->unusable = true;
					break;
				}
				t->data[len++] = (uint8_t)(hi << 4 | lo);
			}
			t->data_len = len;
			if (len == 0)
				t->unusable = true;
		}
}

static void
set(struct host_facts *f, enum fact_key k, const char *v, const char *fmt,
    ...) __attribute__((format(printf, 4, 5)));

static void
set(struct host_facts *f, enum fact_key k, const char *v, const char *fmt,
    ...)
{
	va_list ap;

	f->v[k] = v;
	f->why[k][0] = '\0';
	if (fmt != NULL) {
		va_start(ap, fmt);
		vsnprintf(f->why[k], sizeof(f->why[k]), fmt, ap);
		va_end(ap);
	}
}

/*
 * The host's declared actions under dane at phase (SCEN_ACT_BIT set):
 * whether DANE authentication succeeds there is what the catalogue
 * already says (auth accepted: it does; next-mx only: it does not).
 */
static unsigned
dane_accept(const struct scenario *s, int phase, const char *host)
{
	const struct scen_expect_policy *ep =
	    scenario_expect(s, SCEN_POLICY_DANE, phase);
	size_t i;

	if (ep == NULL)
		return 0;
	for (i = 0; i < ep->n_hosts; i++)
		if (strcmp(ep->hosts[i].host, host) == 0)
			return ep->hosts[i].accept != 0 ? ep->hosts[i].accept
			    : SCEN_ACT_BIT(ep->hosts[i].action);
	if (ep->n_hosts > 0)
		return 0;
	return ep->accept != 0 ? ep->accept : SCEN_ACT_BIT(ep->overall);
}

static void
host_facts(const struct scenario *s, int phase, const char *fixtures,
    const struct scen_host *h, struct host_facts *f, struct extra_tlsa *x)
{
	struct world_host_state cur, seen;
	enum scen_starttls mode = starttls_mode(s, h);
	enum scen_dnssec tlsa;
	const char *addr;
	bool usable = false, reach;
	size_t i, len = strlen(h->name);
	int sp, m = 0, bad = 0;
	unsigned a;

	memset(f, 0, sizeof(*f));
	snprintf(f->host, sizeof(f->host), "%.*s", (int)(len > 0 &&
	    h->name[len - 1] == '.' ? len - 1 : len), h->name);
	set(f, FACT_MX, dnssec_value(declared_mx(s, phase)), NULL);
	addr = dnssec_value(declared_state(s, phase, h->name, true));
	set(f, FACT_ADDRESS, addr, NULL);
	if (world_host_state_at(s, h, phase, &cur) != 0) {
		set(f, FACT_TLSA, FACT_UNKNOWN, "no such phase");
		return;
	}
	/* The chain a client sending the TLSA base domain in SNI gets. */
	scen_host_sni_chain(h, scen_host_base_domain(h), &cur.chain,
	    &cur.n_chain);

	/* The TLSA RRset as the lab resolver answers it now. */
	sp = tlsa_phase_seen(s, h, phase);
	tlsa = declared_state(s, phase, h->name, false);
	if (sp == -2 && tlsa == SCEN_DNSSEC_SECURE) {
		set(f, FACT_TLSA, FACT_UNKNOWN, "the cached TLSA RRset "
		    "expires at the moment of the lookup");
		seen.n_tlsa = 0;
	} else {
		(void)world_host_state_at(s, h, sp, &seen);
		if (seen.n_tlsa == 0 && h->cname != NULL) {
			original_name_tlsa(s, h, x);
			seen.tlsa = x->t;
			seen.n_tlsa = x->n;
		}
		if (tlsa == SCEN_DNSSEC_SECURE && seen.n_tlsa == 0)
			set(f, FACT_TLSA, "none", "a signed proof that there "
			    "are no TLSA records");
		else
			set(f, FACT_TLSA, dnssec_value(tlsa), tlsa ==
			    SCEN_DNSSEC_INDETERMINATE ? "SERVFAIL or no "
			    "answer" : NULL);
		if (sp >= 0 && sp != phase)
			snprintf(f->why[FACT_TLSA], sizeof(f->why[0]),
			    "the RRset of phase %s, still cached",
			    s->phases[sp].name);
	}
	if (f->v[FACT_TLSA] != NULL && strcmp(f->v[FACT_TLSA], "secure") == 0) {
		for (i = 0; i < seen.n_tlsa; i++)
			usable = usable || scen_tlsa_usable(&seen.tlsa[i]);
		set(f, FACT_USABLE, usable ? "yes" : "no", usable ? NULL :
		    "only usages 0/1, unknown parameters or malformed data "
		    "(RFC 7672 3.1.3, RFC 6698 4.1)");
	}

	/* What the server does; a host with failed addresses is not met. */
	reach = strcmp(addr, "secure") == 0 || strcmp(addr, "insecure") == 0;
	if (!reach)
		return;
	set(f, FACT_STARTTLS, mode == SCEN_STARTTLS_OFF ? "no" :
	    mode == SCEN_STARTTLS_REJECT ? "rejected" : "yes", NULL);
	if (mode != SCEN_STARTTLS_ON || cur.n_chain == 0) {
		set(f, FACT_CHAIN, "no", mode == SCEN_STARTTLS_HANDSHAKE_FAIL
		    ? "the handshake fails" : NULL);
		return;
	}
	set(f, FACT_CHAIN, "yes", NULL);
	if (!usable)
		return;

	/* After digest agility; DANE-EE at the leaf, DANE-TA above it. */
	for (i = 0; i < seen.n_tlsa && m == 0; i++) {
		const struct scen_tlsa *t = &seen.tlsa[i];
		size_t c;
		int r;

		if (!scen_tlsa_usable(t) || !tlsa_strongest(seen.tlsa,
		    seen.n_tlsa, t))
			continue;
		for (c = t->usage == 3 ? 0 : 1; c < (t->usage == 3 ? 1 :
		    cur.n_chain) && m == 0; c++) {
			if ((r = tlsa_matches_cert(fixtures, t,
			    cur.chain[c])) < 0)
				bad++;
			else if (r > 0)
				m = 1;
		}
	}
	if (m == 0 && bad > 0)
		set(f, FACT_MATCH, FACT_UNKNOWN, "a fixture certificate "
		    "does not load");
	else
		set(f, FACT_MATCH, m ? "yes" : "no", m ? NULL : "no usable "
		    "record (of the strongest digest per usage and "
		    "selector, RFC 7671 9) matches the chain presented");
	a = dane_accept(s, phase, h->name);
	if (declared_mx(s, phase) == SCEN_DNSSEC_BOGUS ||
	    declared_mx(s, phase) == SCEN_DNSSEC_INDETERMINATE)
		set(f, FACT_AUTH, FACT_UNKNOWN, "the MX lookup fails: the "
		    "declared action (defer) says nothing about this host");
	else if (a & SCEN_ACT_BIT(SCEN_ACT_AUTH))
		set(f, FACT_AUTH, "yes", NULL);
	else if (a & (SCEN_ACT_BIT(SCEN_ACT_NEXT_MX) |
	    SCEN_ACT_BIT(SCEN_ACT_DEFER)))
		set(f, FACT_AUTH, "no", m ? "names, dates or the trust "
		    "anchor's presence fail (RFC 7672 3.1.2, 3.2)" : NULL);
	else
		set(f, FACT_AUTH, FACT_UNKNOWN, "the declared action is "
		    "neither auth nor next-mx");
}

void
facts_derive(const struct scenario *s, int phase, const char *fixtures_dir,
    struct world_facts *out)
{
	struct extra_tlsa *x = xcalloc(1, sizeof(*x));
	size_t i;

	if (fixtures_dir == NULL)
		fixtures_dir = getenv("DANELAB_FIXTURES");
	if (fixtures_dir == NULL)
		fixtures_dir = danelab_data_dir(DANELAB_DATA_FIXTURES);
	memset(out, 0, sizeof(*out));
	out->n = s->n_hosts < REPORT_MAX_HOSTS ? s->n_hosts : REPORT_MAX_HOSTS;
	for (i = 0; i < out->n; i++)
		host_facts(s, phase, fixtures_dir, &s->hosts[i],
		    &out->host[i], x);
	free(x);
}

char *
facts_format(const struct host_facts *f, char *buf, size_t len)
{
	size_t o = 0;
	int k, n;

	buf[0] = '\0';
	for (k = 0; k < FACT_COUNT && o < len; k++) {
		if (f->v[k] == NULL)
			continue;
		n = snprintf(buf + o, len - o, "%s%s=%s", o ? " " : "",
		    key_names[k], f->v[k]);
		if (n < 0)
			break;
		o += (size_t)n;
	}
	return buf;
}
