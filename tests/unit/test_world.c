/*
 * test_world.c -- unit tests for simulator/zone: the world builder.
 *
 * Scenarios are built by hand here (no YAML), so that these tests only
 * depend on the scenario model, not on its loader.  TLSA data is checked
 * against digests computed in this file through OpenSSL directly, and
 * signatures with ldns_verify_time() at the world's "now".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <ldns/ldns.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "simulator/scenario/scenario.h"
#include "simulator/util/diag.h"
#include "simulator/zone/world.h"

/* A fixed reference time, so that failures are reproducible. */
#define NOW ((time_t)1750000000)

static const char *
fixtures(void)
{
	const char *d = getenv("DANELAB_FIXTURES");

	return d != NULL ? d : "fixtures";
}

/* ---- building scenarios by hand ---- */

static char *
tdup(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

static struct scenario *
ts_new(const char *domain)
{
	struct scenario *s = calloc(1, sizeof(*s));

	s->file = tdup("test.yaml");
	s->version = 1;
	s->id = tdup("test/world");
	s->domain = tdup(domain);
	s->ttl = 3600;
	return s;
}

static struct scen_zone *
ts_zone(struct scenario *s, const char *name)
{
	struct scen_zone *z;

	s->zones = realloc(s->zones, (s->n_zones + 1) * sizeof(*s->zones));
	z = &s->zones[s->n_zones++];
	memset(z, 0, sizeof(*z));
	z->pos.line = (unsigned)s->n_zones * 10;
	z->pos.col = 5;
	z->name = tdup(name);
	z->is_signed = true;
	z->ttl = 3600;
	return z;
}

static struct scen_record *
ts_record(struct scen_zone *z, const char *owner, const char *type,
    const char *rdata, unsigned line)
{
	struct scen_record *r;

	z->records =
	    realloc(z->records, (z->n_records + 1) * sizeof(*z->records));
	r = &z->records[z->n_records++];
	memset(r, 0, sizeof(*r));
	r->pos.line = line;
	r->pos.col = 9;
	r->owner = tdup(owner);
	r->type = tdup(type);
	r->rdata = tdup(rdata);
	return r;
}

static char **
ts_list(size_t n, const char *a, const char *b)
{
	char **v = calloc(n ? n : 1, sizeof(*v));

	if (n > 0)
		v[0] = tdup(a);
	if (n > 1)
		v[1] = tdup(b);
	return v;
}

static struct scen_host *
ts_host(struct scenario *s, const char *name, uint16_t pref, const char *addr)
{
	struct scen_host *h;

	s->hosts = realloc(s->hosts, (s->n_hosts + 1) * sizeof(*s->hosts));
	h = &s->hosts[s->n_hosts++];
	memset(h, 0, sizeof(*h));
	h->pos.line = 100 + (unsigned)s->n_hosts;
	h->pos.col = 5;
	h->name = tdup(name);
	h->preference = pref;
	h->addrs = ts_list(1, addr, NULL);
	h->n_addrs = 1;
	h->port = 25;
	h->chain = ts_list(2, "mx-cur", "int-r3");
	h->n_chain = 2;
	return h;
}

static void
ts_tlsa_set(
    struct scen_tlsa *t, uint8_t u, uint8_t sel, uint8_t mt, const char *cert)
{
	memset(t, 0, sizeof(*t));
	t->pos.line = 200;
	t->pos.col = 7;
	t->usage = u;
	t->selector = sel;
	t->mtype = mt;
	t->cert = tdup(cert);
}

static struct scen_tlsa *
ts_tlsa(
    struct scen_host *h, uint8_t u, uint8_t sel, uint8_t mt, const char *cert)
{
	struct scen_tlsa *t;

	h->tlsa = realloc(h->tlsa, (h->n_tlsa + 1) * sizeof(*h->tlsa));
	t = &h->tlsa[h->n_tlsa++];
	ts_tlsa_set(t, u, sel, mt, cert);
	return t;
}

static struct scen_fault *
ts_fault(struct scenario *s, enum scen_fault_kind kind, const char *zone)
{
	struct scen_fault *f;

	s->faults = realloc(s->faults, (s->n_faults + 1) * sizeof(*s->faults));
	f = &s->faults[s->n_faults++];
	memset(f, 0, sizeof(*f));
	f->pos.line = 300 + (unsigned)s->n_faults;
	f->pos.col = 5;
	f->kind = kind;
	f->zone = tdup(zone);
	return f;
}

/* The hand-built scenario owns what the loader's would: free it alike. */
static void
ts_free(struct scenario *s)
{
	scenario_free(s);
}

/*
 * The baseline world most tests start from: the mail domain example.net
 * with one MX host and a 3 1 1 TLSA record, as the loader would leave it
 * (declared zone first, implicit zones after).
 */
static struct scenario *
ts_basic(void)
{
	struct scenario *s = ts_new("example.net.");
	struct scen_host *h;

	ts_zone(s, "example.net.");
	ts_zone(s, ".");
	ts_zone(s, "net.");
	h = ts_host(s, "mx1.example.net.", 10, "127.0.1.25");
	ts_tlsa(h, 3, 1, 1, "mx-cur");
	return s;
}

static struct world *
build_at(const struct scenario *s, int phase)
{
	struct world_opts o = {fixtures(), NOW, phase};
	struct dl_diags d;
	struct world *w = NULL;
	int rc;

	dl_diags_init(&d);
	rc = world_build(s, &o, &w, &d);
	if (rc != 0 || d.n != 0)
		dl_diags_print(&d, stderr);
	assert_int_equal(rc, 0);
	assert_int_equal(d.errors, 0);
	dl_diags_clear(&d);
	assert_non_null(w);
	return w;
}

static struct world *
build(const struct scenario *s)
{
	return build_at(s, -1);
}

/* ---- looking into zones ---- */

static ldns_rdf *
dn(const char *name)
{
	ldns_rdf *d = NULL;

	assert_int_equal(ldns_str2rdf_dname(&d, name), LDNS_STATUS_OK);
	return d;
}

static const struct world_zone *
zone(const struct world *w, const char *name)
{
	const struct world_zone *z = world_zone(w, name);

	assert_non_null(z);
	assert_non_null(z->zone);
	return z;
}

/* RRs of zone z (SOA included) with owner and type; borrowed pointers. */
static ldns_rr_list *
rrset(const struct world_zone *z, const char *owner, ldns_rr_type type)
{
	ldns_rr_list *out = ldns_rr_list_new(), *rrs = ldns_zone_rrs(z->zone);
	ldns_rdf *o = owner ? dn(owner) : NULL;
	ldns_rr *soa = ldns_zone_soa(z->zone);
	size_t i;

	if (type == LDNS_RR_TYPE_SOA &&
	    (o == NULL || ldns_dname_compare(ldns_rr_owner(soa), o) == 0))
		ldns_rr_list_push_rr(out, soa);
	for (i = 0; i < ldns_rr_list_rr_count(rrs); i++) {
		ldns_rr *rr = ldns_rr_list_rr(rrs, i);

		if (ldns_rr_get_type(rr) == type &&
		    (o == NULL ||
			ldns_dname_compare(ldns_rr_owner(rr), o) == 0))
			ldns_rr_list_push_rr(out, rr);
	}
	ldns_rdf_deep_free(o);
	return out;
}

static size_t
count(const struct world_zone *z, const char *owner, ldns_rr_type type)
{
	ldns_rr_list *l = rrset(z, owner, type);
	size_t n = ldns_rr_list_rr_count(l);

	ldns_rr_list_free(l);
	return n;
}

/* RRSIGs of zone z over (owner, type); borrowed pointers. */
static ldns_rr_list *
sigs(const struct world_zone *z, const char *owner, ldns_rr_type type)
{
	ldns_rr_list *all = rrset(z, owner, LDNS_RR_TYPE_RRSIG);
	ldns_rr_list *out = ldns_rr_list_new();
	size_t i;

	for (i = 0; i < ldns_rr_list_rr_count(all); i++) {
		ldns_rr *rr = ldns_rr_list_rr(all, i);

		if (ldns_rdf2rr_type(ldns_rr_rrsig_typecovered(rr)) == type)
			ldns_rr_list_push_rr(out, rr);
	}
	ldns_rr_list_free(all);
	return out;
}

/* Verify (owner, type) of z with z's DNSKEYs at time t. */
static ldns_status
verify_at(
    const struct world_zone *z, const char *owner, ldns_rr_type type, time_t t)
{
	ldns_rr_list *set = rrset(z, owner, type);
	ldns_rr_list *sg = sigs(z, owner, type);
	ldns_rr_list *good = ldns_rr_list_new();
	ldns_status st;

	assert_true(ldns_rr_list_rr_count(set) > 0);
	if (ldns_rr_list_rr_count(sg) == 0)
		st = LDNS_STATUS_CRYPTO_NO_RRSIG;
	else
		st = ldns_verify_time(set, sg, z->dnskeys, t, good);
	ldns_rr_list_free(set);
	ldns_rr_list_free(sg);
	ldns_rr_list_free(good);
	return st;
}

static ldns_status
verify(const struct world_zone *z, const char *owner, ldns_rr_type type)
{
	return verify_at(z, owner, type, NOW);
}

static bool
has_rdata_name(const ldns_rr *rr, size_t i, const char *name)
{
	ldns_rdf *d = dn(name);
	bool eq = ldns_dname_compare(ldns_rr_rdf(rr, i), d) == 0;

	ldns_rdf_deep_free(d);
	return eq;
}

/* ---- independent TLSA data ---- */

static X509 *
load_cert(const char *id)
{
	char path[1024];
	FILE *fp;
	X509 *x;

	snprintf(path, sizeof(path), "%s/pki/%s.pem", fixtures(), id);
	fp = fopen(path, "r");
	assert_non_null(fp);
	x = PEM_read_X509(fp, NULL, NULL, NULL);
	fclose(fp);
	assert_non_null(x);
	return x;
}

/* SHA-256 of the SPKI re-encoded from the EVP_PKEY (not via pki). */
static size_t
spki_digest(const char *id, const EVP_MD *md, unsigned char *out)
{
	X509 *x = load_cert(id);
	unsigned char *der = NULL;
	unsigned int len = 0;
	int n;

	n = i2d_PUBKEY(X509_get0_pubkey(x), &der);
	assert_true(n > 0);
	assert_int_equal(EVP_Digest(der, (size_t)n, out, &len, md, NULL), 1);
	OPENSSL_free(der);
	X509_free(x);
	return len;
}

static size_t
cert_digest(const char *id, const EVP_MD *md, unsigned char *out)
{
	X509 *x = load_cert(id);
	unsigned int len = 0;

	assert_int_equal(X509_digest(x, md, out, &len), 1);
	X509_free(x);
	return len;
}

static void
assert_tlsa(const ldns_rr *rr, uint8_t u, uint8_t s, uint8_t m,
    const unsigned char *data, size_t len)
{
	ldns_rdf *d = ldns_rr_rdf(rr, 3);

	assert_int_equal(ldns_rdf2native_int8(ldns_rr_rdf(rr, 0)), u);
	assert_int_equal(ldns_rdf2native_int8(ldns_rr_rdf(rr, 1)), s);
	assert_int_equal(ldns_rdf2native_int8(ldns_rr_rdf(rr, 2)), m);
	assert_int_equal(ldns_rdf_size(d), len);
	assert_memory_equal(ldns_rdf_data(d), data, len);
}

/* ---- tests ---- */

static void
test_order_and_addresses(void **state)
{
	struct scenario *s = ts_new("example.net.");
	struct world *w;
	struct scen_host *h;

	(void)state;
	/* Declared first, implicit after, as the loader leaves them. */
	ts_zone(s, "example.net.");
	ts_zone(s, "mx.example.org.");
	ts_zone(s, ".");
	ts_zone(s, "net.");
	ts_zone(s, "org.");
	ts_zone(s, "example.org.");
	h = ts_host(s, "mx1.mx.example.org.", 10, "127.0.1.25");
	ts_tlsa(h, 3, 1, 1, "mx-cur");
	w = build(s);

	assert_int_equal(w->n_zones, 6);
	assert_string_equal(w->zones[0].name, ".");
	assert_string_equal(w->zones[1].name, "net.");
	assert_string_equal(w->zones[2].name, "org.");
	assert_string_equal(w->zones[3].name, "example.net.");
	assert_string_equal(w->zones[4].name, "example.org.");
	assert_string_equal(w->zones[5].name, "mx.example.org.");
	assert_string_equal(w->zones[0].ns_name, WORLD_ROOT_NS);
	assert_string_equal(w->zones[0].ns_addr, "127.53.0.1");
	assert_string_equal(w->zones[3].ns_name, "ns1.example.net.");
	assert_string_equal(w->zones[3].ns_addr, "127.53.0.4");
	assert_string_equal(w->zones[5].ns_addr, "127.53.0.6");
	assert_int_equal(w->zones[0].parent, -1);
	assert_int_equal(w->zones[3].parent, 1);
	assert_int_equal(w->zones[5].parent, 4);
	assert_string_equal(w->zones[0].key_role, "root");
	assert_string_equal(w->zones[1].key_role, "tld");
	assert_string_equal(w->zones[3].key_role, "domain");
	assert_string_equal(w->zones[4].key_role, "host");
	assert_string_equal(w->zones[5].key_role, "host");
	assert_ptr_equal(
	    world_zone_for(w, "a.b.mx.example.org."), &w->zones[5]);
	assert_ptr_equal(world_zone_for(w, "example.com."), &w->zones[0]);
	assert_null(world_zone(w, "example.com."));

	/* The host lives in the deepest zone. */
	assert_int_equal(
	    count(&w->zones[5], "mx1.mx.example.org.", LDNS_RR_TYPE_A), 1);
	assert_int_equal(count(&w->zones[5], "_25._tcp.mx1.mx.example.org.",
			     LDNS_RR_TYPE_TLSA),
	    1);
	assert_int_equal(
	    count(&w->zones[4], "mx1.mx.example.org.", LDNS_RR_TYPE_A), 0);
	/* The MX RRset in the mail domain zone. */
	assert_int_equal(
	    count(&w->zones[3], "example.net.", LDNS_RR_TYPE_MX), 1);
	world_free(w);
	ts_free(s);
}

static void
test_soa_ns_root(void **state)
{
	struct scenario *s = ts_basic();
	struct world *w;
	const struct world_zone *root, *dom;
	ldns_rr *soa;
	ldns_rr_list *l;

	(void)state;
	s->zones[0].ttl = 300;
	w = build(s);
	root = zone(w, ".");
	dom = zone(w, "example.net.");

	soa = ldns_zone_soa(dom->zone);
	assert_int_equal(ldns_rr_ttl(soa), 300);
	assert_true(has_rdata_name(soa, 0, "ns1.example.net."));
	assert_int_equal(
	    ldns_rdf2native_int32(ldns_rr_rdf(soa, 2)), (uint32_t)NOW);
	/* Negative TTL = min(SOA TTL, MINIMUM) = the zone TTL. */
	assert_int_equal(ldns_rdf2native_int32(ldns_rr_rdf(soa, 6)), 300);

	l = rrset(root, ".", LDNS_RR_TYPE_NS);
	assert_int_equal(ldns_rr_list_rr_count(l), 1);
	assert_true(has_rdata_name(ldns_rr_list_rr(l, 0), 0, WORLD_ROOT_NS));
	ldns_rr_list_free(l);
	assert_int_equal(count(root, WORLD_ROOT_NS, LDNS_RR_TYPE_A), 1);
	assert_int_equal(
	    verify(root, WORLD_ROOT_NS, LDNS_RR_TYPE_A), LDNS_STATUS_OK);
	assert_int_equal(count(dom, "ns1.example.net.", LDNS_RR_TYPE_A), 1);
	assert_int_equal(count(dom, "example.net.", LDNS_RR_TYPE_NS), 1);
	/* NSEC TTL = SOA minimum. */
	l = rrset(dom, "example.net.", LDNS_RR_TYPE_NSEC);
	assert_int_equal(ldns_rr_list_rr_count(l), 1);
	assert_int_equal(ldns_rr_ttl(ldns_rr_list_rr(l, 0)), 300);
	ldns_rr_list_free(l);

	/* Trust anchor = root KSK. */
	assert_non_null(w->anchor_dnskey);
	assert_int_equal(
	    ldns_rdf2native_int16(ldns_rr_dnskey_flags(w->anchor_dnskey)), 257);
	assert_true(ldns_rr_compare_ds(w->anchor_ds, w->anchor_dnskey));
	assert_true(ldns_rr_list_contains_rr(root->dnskeys, w->anchor_dnskey));
	world_free(w);
	ts_free(s);
}

static void
test_delegation(void **state)
{
	struct scenario *s = ts_basic();
	struct world *w;
	const struct world_zone *net, *dom;
	ldns_rr_list *l;
	ldns_rr *a;
	char *str;

	(void)state;
	w = build(s);
	net = zone(w, "net.");
	dom = zone(w, "example.net.");

	l = rrset(net, "example.net.", LDNS_RR_TYPE_NS);
	assert_int_equal(ldns_rr_list_rr_count(l), 1);
	assert_true(
	    has_rdata_name(ldns_rr_list_rr(l, 0), 0, "ns1.example.net."));
	ldns_rr_list_free(l);

	l = rrset(net, "ns1.example.net.", LDNS_RR_TYPE_A);
	assert_int_equal(ldns_rr_list_rr_count(l), 1);
	a = ldns_rr_list_rr(l, 0);
	str = ldns_rdf2str(ldns_rr_rdf(a, 0));
	assert_string_equal(str, dom->ns_addr);
	free(str);
	ldns_rr_list_free(l);
	/* Glue and delegation NS are not signed; the DS is. */
	assert_int_equal(verify(net, "ns1.example.net.", LDNS_RR_TYPE_A),
	    LDNS_STATUS_CRYPTO_NO_RRSIG);
	assert_int_equal(verify(net, "example.net.", LDNS_RR_TYPE_NS),
	    LDNS_STATUS_CRYPTO_NO_RRSIG);

	l = rrset(net, "example.net.", LDNS_RR_TYPE_DS);
	assert_int_equal(ldns_rr_list_rr_count(l), 1);
	assert_true(ldns_rr_compare_ds(
	    ldns_rr_list_rr(l, 0), ldns_rr_list_rr(dom->dnskeys, 0)));
	assert_int_equal(
	    ldns_rdf2native_int8(ldns_rr_rdf(ldns_rr_list_rr(l, 0), 2)),
	    LDNS_SHA256);
	ldns_rr_list_free(l);
	assert_int_equal(
	    verify(net, "example.net.", LDNS_RR_TYPE_DS), LDNS_STATUS_OK);
	assert_int_equal(dom->ds_state, SCEN_DS_PRESENT);
	assert_int_equal(ldns_rr_list_rr_count(dom->ds), 1);

	/* The root delegates net. the same way. */
	assert_int_equal(count(zone(w, "."), "net.", LDNS_RR_TYPE_DS), 1);
	assert_int_equal(count(zone(w, "."), "ns1.net.", LDNS_RR_TYPE_A), 1);
	world_free(w);
	ts_free(s);
}

static void
test_signatures_valid(void **state)
{
	struct scenario *s = ts_basic();
	struct world *w;
	const struct world_zone *dom;
	ldns_rr_list *sg;
	uint16_t ksk_tag, zsk_tag;
	size_t i;

	(void)state;
	w = build(s);
	dom = zone(w, "example.net.");
	assert_int_equal(ldns_rr_list_rr_count(dom->dnskeys), 2);
	assert_int_equal(ldns_key_list_key_count(dom->keys), 2);
	ksk_tag = ldns_calc_keytag(ldns_rr_list_rr(dom->dnskeys, 0));
	zsk_tag = ldns_calc_keytag(ldns_rr_list_rr(dom->dnskeys, 1));
	assert_int_equal(ldns_rdf2native_int16(ldns_rr_dnskey_flags(
			     ldns_rr_list_rr(dom->dnskeys, 1))),
	    256);

	assert_int_equal(
	    verify(dom, "example.net.", LDNS_RR_TYPE_SOA), LDNS_STATUS_OK);
	assert_int_equal(
	    verify(dom, "example.net.", LDNS_RR_TYPE_DNSKEY), LDNS_STATUS_OK);
	assert_int_equal(
	    verify(dom, "example.net.", LDNS_RR_TYPE_MX), LDNS_STATUS_OK);
	assert_int_equal(
	    verify(dom, "mx1.example.net.", LDNS_RR_TYPE_A), LDNS_STATUS_OK);
	assert_int_equal(
	    verify(dom, "_25._tcp.mx1.example.net.", LDNS_RR_TYPE_TLSA),
	    LDNS_STATUS_OK);
	assert_int_equal(
	    verify(dom, "_25._tcp.mx1.example.net.", LDNS_RR_TYPE_NSEC),
	    LDNS_STATUS_OK);

	/* KSK signs the DNSKEY RRset only, ZSK the rest. */
	sg = sigs(dom, "example.net.", LDNS_RR_TYPE_DNSKEY);
	assert_int_equal(ldns_rr_list_rr_count(sg), 1);
	assert_int_equal(
	    ldns_rdf2native_int16(ldns_rr_rrsig_keytag(ldns_rr_list_rr(sg, 0))),
	    ksk_tag);
	ldns_rr_list_free(sg);
	sg = rrset(dom, NULL, LDNS_RR_TYPE_RRSIG);
	for (i = 0; i < ldns_rr_list_rr_count(sg); i++) {
		ldns_rr *r = ldns_rr_list_rr(sg, i);
		uint16_t tag = ldns_rdf2native_int16(ldns_rr_rrsig_keytag(r));

		if (ldns_rdf2rr_type(ldns_rr_rrsig_typecovered(r)) !=
		    LDNS_RR_TYPE_DNSKEY)
			assert_int_equal(tag, zsk_tag);
		/* Validity: now - 1 h .. now + 30 d. */
		assert_int_equal(
		    ldns_rdf2native_time_t(ldns_rr_rrsig_inception(r)),
		    NOW - WORLD_SIG_INCEPTION_AGO);
		assert_int_equal(
		    ldns_rdf2native_time_t(ldns_rr_rrsig_expiration(r)),
		    NOW + WORLD_SIG_LIFETIME);
	}
	ldns_rr_list_free(sg);
	/* The signatures are not valid 31 days from now. */
	assert_int_equal(
	    verify_at(dom, "example.net.", LDNS_RR_TYPE_MX, NOW + 31 * 86400),
	    LDNS_STATUS_CRYPTO_SIG_EXPIRED);
	world_free(w);
	ts_free(s);
}

static void
test_ds_missing(void **state)
{
	struct scenario *s = ts_basic();
	struct world *w;
	const struct world_zone *net;
	ldns_rr_list *l;

	(void)state;
	ts_fault(s, SCEN_FAULT_DS, "example.net.")->ds = SCEN_DS_MISSING;
	w = build(s);
	net = zone(w, "net.");
	assert_int_equal(count(net, "example.net.", LDNS_RR_TYPE_DS), 0);
	assert_int_equal(count(net, "example.net.", LDNS_RR_TYPE_NS), 1);
	assert_int_equal(zone(w, "example.net.")->ds_state, SCEN_DS_MISSING);
	/* The child is still signed. */
	assert_int_equal(
	    verify(zone(w, "example.net."), "example.net.", LDNS_RR_TYPE_MX),
	    LDNS_STATUS_OK);
	/* The parent's NSEC at the cut proves the DS absent. */
	l = rrset(net, "example.net.", LDNS_RR_TYPE_NSEC);
	assert_int_equal(ldns_rr_list_rr_count(l), 1);
	assert_true(ldns_nsec_bitmap_covers_type(
	    ldns_nsec_get_bitmap(ldns_rr_list_rr(l, 0)), LDNS_RR_TYPE_NS));
	assert_false(ldns_nsec_bitmap_covers_type(
	    ldns_nsec_get_bitmap(ldns_rr_list_rr(l, 0)), LDNS_RR_TYPE_DS));
	ldns_rr_list_free(l);
	assert_int_equal(
	    verify(net, "example.net.", LDNS_RR_TYPE_NSEC), LDNS_STATUS_OK);
	world_free(w);
	ts_free(s);
}

static ldns_rr *
old_ksk_rr(const char *owner)
{
	char path[1024];
	ldns_key *k = NULL;
	ldns_rr *rr;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/dnssec/%s.private", fixtures(),
	    WORLD_OLD_KSK);
	fp = fopen(path, "r");
	assert_non_null(fp);
	assert_int_equal(ldns_key_new_frm_fp(&k, fp), LDNS_STATUS_OK);
	fclose(fp);
	ldns_key_set_pubkey_owner(k, dn(owner));
	ldns_key_set_flags(k, 257);
	rr = ldns_key2rr(k);
	ldns_key_deep_free(k);
	return rr;
}

static void
test_ds_mismatch(void **state)
{
	struct scenario *s = ts_basic();
	struct world *w;
	const struct world_zone *dom;
	ldns_rr_list *l;
	ldns_rr *ds, *old;
	size_t i;

	(void)state;
	ts_fault(s, SCEN_FAULT_DS, "example.net.")->ds = SCEN_DS_MISMATCH;
	w = build(s);
	dom = zone(w, "example.net.");
	l = rrset(zone(w, "net."), "example.net.", LDNS_RR_TYPE_DS);
	assert_int_equal(ldns_rr_list_rr_count(l), 1);
	ds = ldns_rr_list_rr(l, 0);
	for (i = 0; i < ldns_rr_list_rr_count(dom->dnskeys); i++)
		assert_false(
		    ldns_rr_compare_ds(ds, ldns_rr_list_rr(dom->dnskeys, i)));
	old = old_ksk_rr("example.net.");
	assert_true(ldns_rr_compare_ds(ds, old));
	/* The old KSK is published nowhere in the child. */
	assert_false(ldns_rr_list_contains_rr(dom->dnskeys, old));
	ldns_rr_free(old);
	ldns_rr_list_free(l);
	world_free(w);
	ts_free(s);
}

static void
test_ds_unsupported(void **state)
{
	struct scenario *s;
	struct world *w;
	const struct world_zone *dom;
	ldns_rr_list *l;
	ldns_rr *ds, *real;
	int variant;

	(void)state;
	for (variant = 0; variant < 2; variant++) {
		s = ts_basic();
		ts_fault(s, SCEN_FAULT_DS, "example.net.")->ds = variant == 0
		    ? SCEN_DS_UNSUPPORTED_ALGORITHM
		    : SCEN_DS_UNSUPPORTED_DIGEST;
		w = build(s);
		dom = zone(w, "example.net.");
		l = rrset(zone(w, "net."), "example.net.", LDNS_RR_TYPE_DS);
		assert_int_equal(ldns_rr_list_rr_count(l), 1);
		ds = ldns_rr_list_rr(l, 0);
		real = ldns_key_rr2ds(
		    ldns_rr_list_rr(dom->dnskeys, 0), LDNS_SHA256);
		/* Key tag and digest are the real ones. */
		assert_int_equal(
		    ldns_rdf_compare(ldns_rr_rdf(ds, 0), ldns_rr_rdf(real, 0)),
		    0);
		assert_int_equal(
		    ldns_rdf_compare(ldns_rr_rdf(ds, 3), ldns_rr_rdf(real, 3)),
		    0);
		if (variant == 0) {
			assert_int_equal(
			    ldns_rdf2native_int8(ldns_rr_rdf(ds, 1)),
			    WORLD_DS_UNSUPPORTED_ALG);
			assert_int_equal(
			    ldns_rdf2native_int8(ldns_rr_rdf(ds, 2)),
			    LDNS_SHA256);
		} else {
			assert_int_equal(
			    ldns_rdf2native_int8(ldns_rr_rdf(ds, 1)),
			    LDNS_ECDSAP256SHA256);
			assert_int_equal(
			    ldns_rdf2native_int8(ldns_rr_rdf(ds, 2)),
			    WORLD_DS_UNSUPPORTED_DIGEST);
		}
		assert_false(
		    ldns_rr_compare_ds(ds, ldns_rr_list_rr(dom->dnskeys, 0)));
		assert_int_equal(
		    verify(zone(w, "net."), "example.net.", LDNS_RR_TYPE_DS),
		    LDNS_STATUS_OK);
		ldns_rr_free(real);
		ldns_rr_list_free(l);
		world_free(w);
		ts_free(s);
	}
}

static void
test_tlsa_data(void **state)
{
	struct scenario *s = ts_basic();
	struct world *w;
	struct scen_host *h = &s->hosts[0];
	struct scen_tlsa *lit;
	unsigned char md[EVP_MAX_MD_SIZE];
	const uint8_t raw[] = {0xde, 0xad, 0xbe, 0xef};
	ldns_rr_list *l, *mine;
	X509 *x;
	unsigned char *der = NULL;
	size_t len;
	int n;

	(void)state;
	h->tlsa_ttl = 120;
	ts_tlsa(h, 2, 0, 2, "int-r3");
	ts_tlsa(h, 3, 0, 0, "mx-cur");
	lit = ts_tlsa(h, 3, 1, 1, NULL);
	lit->data = malloc(sizeof(raw));
	memcpy(lit->data, raw, sizeof(raw));
	lit->data_len = sizeof(raw);
	lit->unusable = true;
	w = build(s);

	assert_int_equal(world_host_tlsa(w, h, &mine, NULL), 0);
	assert_int_equal(ldns_rr_list_rr_count(mine), 4);
	/* In scenario order, at the owner the host's TLSA lives. */
	len = spki_digest("mx-cur", EVP_sha256(), md);
	assert_tlsa(ldns_rr_list_rr(mine, 0), 3, 1, 1, md, len);
	len = cert_digest("int-r3", EVP_sha512(), md);
	assert_tlsa(ldns_rr_list_rr(mine, 1), 2, 0, 2, md, len);
	x = load_cert("mx-cur");
	n = i2d_X509(x, &der);
	assert_true(n > 0);
	assert_tlsa(ldns_rr_list_rr(mine, 2), 3, 0, 0, der, (size_t)n);
	OPENSSL_free(der);
	X509_free(x);
	assert_tlsa(ldns_rr_list_rr(mine, 3), 3, 1, 1, raw, sizeof(raw));
	assert_int_equal(ldns_rr_ttl(ldns_rr_list_rr(mine, 0)), 120);

	/* The zone serves the same RRset, signed. */
	l = rrset(zone(w, "example.net."), "_25._tcp.mx1.example.net.",
	    LDNS_RR_TYPE_TLSA);
	assert_int_equal(ldns_rr_list_rr_count(l), 4);
	ldns_rr_list_sort(l);
	ldns_rr_list_sort(mine);
	assert_int_equal(ldns_rr_list_compare(l, mine), 0);
	ldns_rr_list_free(l);
	ldns_rr_list_deep_free(mine);
	assert_int_equal(verify(zone(w, "example.net."),
			     "_25._tcp.mx1.example.net.", LDNS_RR_TYPE_TLSA),
	    LDNS_STATUS_OK);
	world_free(w);
	ts_free(s);
}

/* Build with a signature fault on one RRset and check the others. */
static struct world *
build_rrset_fault(struct scenario *s, enum scen_sig sig)
{
	struct scen_fault *f =
	    ts_fault(s, SCEN_FAULT_SIGNATURES, "example.net.");

	f->sig = sig;
	f->name = tdup("_25._tcp.mx1.example.net.");
	f->type = LDNS_RR_TYPE_TLSA;
	return build(s);
}

static void
test_sig_rrset_faults(void **state)
{
	static const struct {
		enum scen_sig sig;
		ldns_status want;
	} cases[] = {
	    {SCEN_SIG_EXPIRED, LDNS_STATUS_CRYPTO_SIG_EXPIRED},
	    {SCEN_SIG_NOT_YET_VALID, LDNS_STATUS_CRYPTO_SIG_NOT_INCEPTED},
	    {SCEN_SIG_CORRUPTED, LDNS_STATUS_CRYPTO_BOGUS},
	    {SCEN_SIG_MISSING, LDNS_STATUS_CRYPTO_NO_RRSIG},
	};
	const char *tlsa = "_25._tcp.mx1.example.net.";
	struct scenario *s;
	struct world *w;
	const struct world_zone *dom;
	ldns_rr_list *sg;
	ldns_rr *r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		s = ts_basic();
		w = build_rrset_fault(s, cases[i].sig);
		dom = zone(w, "example.net.");
		assert_int_equal(count(dom, tlsa, LDNS_RR_TYPE_TLSA), 1);
		assert_int_equal(
		    verify(dom, tlsa, LDNS_RR_TYPE_TLSA), cases[i].want);
		/* Everything else is intact. */
		assert_int_equal(
		    verify(dom, tlsa, LDNS_RR_TYPE_NSEC), LDNS_STATUS_OK);
		assert_int_equal(
		    verify(dom, "mx1.example.net.", LDNS_RR_TYPE_A),
		    LDNS_STATUS_OK);
		assert_int_equal(
		    verify(dom, "example.net.", LDNS_RR_TYPE_DNSKEY),
		    LDNS_STATUS_OK);
		sg = sigs(dom, tlsa, LDNS_RR_TYPE_TLSA);
		if (cases[i].sig == SCEN_SIG_MISSING) {
			assert_int_equal(ldns_rr_list_rr_count(sg), 0);
		} else {
			assert_int_equal(ldns_rr_list_rr_count(sg), 1);
			r = ldns_rr_list_rr(sg, 0);
			if (cases[i].sig == SCEN_SIG_EXPIRED) {
				assert_int_equal(
				    ldns_rdf2native_time_t(
					ldns_rr_rrsig_expiration(r)),
				    NOW - 14 * 86400);
				assert_int_equal(
				    ldns_rdf2native_time_t(
					ldns_rr_rrsig_inception(r)),
				    NOW - 44 * 86400);
			} else if (cases[i].sig == SCEN_SIG_NOT_YET_VALID) {
				assert_int_equal(
				    ldns_rdf2native_time_t(
					ldns_rr_rrsig_inception(r)),
				    NOW + 14 * 86400);
				/* Valid once its time comes. */
				assert_int_equal(
				    verify_at(dom, tlsa, LDNS_RR_TYPE_TLSA,
					NOW + 15 * 86400),
				    LDNS_STATUS_OK);
			} else {
				/* Corrupted, but still well formed. */
				assert_int_equal(
				    ldns_rdf_size(ldns_rr_rrsig_sig(r)), 64);
			}
		}
		ldns_rr_list_free(sg);
		world_free(w);
		ts_free(s);
	}
}

/* RRSIG (inception, expiration) of (owner, type) in z. */
static void
sig_times(const struct world_zone *z, const char *owner, ldns_rr_type type,
    time_t *inc, time_t *exp)
{
	ldns_rr_list *sg = sigs(z, owner, type);

	assert_int_equal(ldns_rr_list_rr_count(sg), 1);
	*inc = ldns_rdf2native_time_t(
	    ldns_rr_rrsig_inception(ldns_rr_list_rr(sg, 0)));
	*exp = ldns_rdf2native_time_t(
	    ldns_rr_rrsig_expiration(ldns_rr_list_rr(sg, 0)));
	ldns_rr_list_free(sg);
}

/*
 * Timed signatures: the period the loader resolved (offsets from now)
 * is the one signed, for one RRset and for a whole zone, and the
 * signature is valid exactly within it.
 */
static void
test_sig_timed(void **state)
{
	const char *tlsa = "_25._tcp.mx1.example.net.";
	struct scenario *s;
	struct scen_fault *f;
	struct world *w;
	const struct world_zone *dom;
	time_t inc, exp;

	(void)state;
	/* One RRset, expired 23 hours ago after 30 days. */
	s = ts_basic();
	f = ts_fault(s, SCEN_FAULT_SIGNATURES, "example.net.");
	f->sig = SCEN_SIG_EXPIRED;
	f->name = tdup(tlsa);
	f->type = LDNS_RR_TYPE_TLSA;
	f->timed = true;
	f->sig_inception = -(30 * 86400 + 23 * 3600);
	f->sig_expiration = -23 * 3600;
	w = build(s);
	dom = zone(w, "example.net.");
	sig_times(dom, tlsa, LDNS_RR_TYPE_TLSA, &inc, &exp);
	assert_int_equal(exp, NOW - 23 * 3600);
	assert_int_equal(inc, NOW - 30 * 86400 - 23 * 3600);
	assert_int_equal(verify(dom, tlsa, LDNS_RR_TYPE_TLSA),
	    LDNS_STATUS_CRYPTO_SIG_EXPIRED);
	assert_int_equal(verify_at(dom, tlsa, LDNS_RR_TYPE_TLSA,
	    NOW - 24 * 3600), LDNS_STATUS_OK);
	/* The rest keeps the normal period. */
	sig_times(dom, "mx1.example.net.", LDNS_RR_TYPE_A, &inc, &exp);
	assert_int_equal(exp, NOW + WORLD_SIG_LIFETIME);
	world_free(w);
	ts_free(s);

	/* A whole zone, valid but expiring in two hours. */
	s = ts_basic();
	f = ts_fault(s, SCEN_FAULT_SIGNATURES, "example.net.");
	f->sig = SCEN_SIG_VALID;
	f->timed = true;
	f->sig_inception = -3600;
	f->sig_expiration = 2 * 3600;
	w = build(s);
	dom = zone(w, "example.net.");
	sig_times(dom, "mx1.example.net.", LDNS_RR_TYPE_A, &inc, &exp);
	assert_int_equal(exp, NOW + 2 * 3600);
	assert_int_equal(verify(dom, "mx1.example.net.", LDNS_RR_TYPE_A),
	    LDNS_STATUS_OK);
	assert_int_equal(verify_at(dom, "mx1.example.net.", LDNS_RR_TYPE_A,
	    NOW + 3 * 3600), LDNS_STATUS_CRYPTO_SIG_EXPIRED);
	world_free(w);
	ts_free(s);
}

static void
test_sig_ds_fault(void **state)
{
	struct scenario *s = ts_basic();
	struct scen_fault *f;
	struct world *w;
	const struct world_zone *net;

	(void)state;
	/* The DS RRset lives in the parent: the fault names the parent. */
	f = ts_fault(s, SCEN_FAULT_SIGNATURES, "net.");
	f->sig = SCEN_SIG_EXPIRED;
	f->name = tdup("example.net.");
	f->type = LDNS_RR_TYPE_DS;
	w = build(s);
	net = zone(w, "net.");
	assert_int_equal(verify(net, "example.net.", LDNS_RR_TYPE_DS),
	    LDNS_STATUS_CRYPTO_SIG_EXPIRED);
	assert_int_equal(
	    verify(net, "example.net.", LDNS_RR_TYPE_NSEC), LDNS_STATUS_OK);
	assert_int_equal(verify(zone(w, "example.net."), "example.net.",
			     LDNS_RR_TYPE_DNSKEY),
	    LDNS_STATUS_OK);
	world_free(w);
	ts_free(s);
}

static void
test_sig_zone_faults(void **state)
{
	struct scenario *s;
	struct world *w;
	const struct world_zone *dom;
	enum scen_sig sig;

	(void)state;
	for (sig = SCEN_SIG_EXPIRED; sig <= SCEN_SIG_MISSING; sig++) {
		s = ts_basic();
		ts_fault(s, SCEN_FAULT_SIGNATURES, "example.net.")->sig = sig;
		w = build(s);
		dom = zone(w, "example.net.");
		switch (sig) {
		case SCEN_SIG_EXPIRED:
			assert_int_equal(
			    verify(dom, "example.net.", LDNS_RR_TYPE_DNSKEY),
			    LDNS_STATUS_CRYPTO_SIG_EXPIRED);
			assert_int_equal(
			    verify(dom, "example.net.", LDNS_RR_TYPE_MX),
			    LDNS_STATUS_CRYPTO_SIG_EXPIRED);
			break;
		case SCEN_SIG_NOT_YET_VALID:
			assert_int_equal(
			    verify(dom, "example.net.", LDNS_RR_TYPE_MX),
			    LDNS_STATUS_CRYPTO_SIG_NOT_INCEPTED);
			break;
		case SCEN_SIG_CORRUPTED:
			assert_int_equal(
			    verify(dom, "mx1.example.net.", LDNS_RR_TYPE_A),
			    LDNS_STATUS_CRYPTO_BOGUS);
			assert_int_equal(
			    verify(dom, "example.net.", LDNS_RR_TYPE_SOA),
			    LDNS_STATUS_CRYPTO_BOGUS);
			break;
		default:
			assert_int_equal(
			    count(dom, NULL, LDNS_RR_TYPE_RRSIG), 0);
			assert_int_equal(
			    count(dom, "example.net.", LDNS_RR_TYPE_DNSKEY), 2);
			assert_true(count(dom, NULL, LDNS_RR_TYPE_NSEC) > 0);
			break;
		}
		/* The parent is not affected. */
		assert_int_equal(
		    verify(zone(w, "net."), "example.net.", LDNS_RR_TYPE_DS),
		    LDNS_STATUS_OK);
		world_free(w);
		ts_free(s);
	}
}

static void
test_sig_fault_warnings(void **state)
{
	struct scenario *s = ts_basic();
	struct world_opts o = {fixtures(), NOW, -1};
	struct scen_fault *f;
	struct dl_diags d;
	struct world *w = NULL;

	(void)state;
	f = ts_fault(s, SCEN_FAULT_SIGNATURES, "example.net.");
	f->sig = SCEN_SIG_EXPIRED;
	f->name = tdup("nothere.example.net.");
	f->type = LDNS_RR_TYPE_TXT;
	/* Glue is never signed. */
	f = ts_fault(s, SCEN_FAULT_SIGNATURES, "net.");
	f->sig = SCEN_SIG_CORRUPTED;
	f->name = tdup("ns1.example.net.");
	f->type = LDNS_RR_TYPE_A;
	dl_diags_init(&d);
	assert_int_equal(world_build(s, &o, &w, &d), 0);
	assert_int_equal(d.errors, 0);
	assert_int_equal(d.warnings, 2);
	/* Zones are built in world order: net. before example.net. */
	assert_int_equal(d.v[0].line, 302);
	assert_non_null(strstr(d.v[0].msg, "not signed"));
	assert_int_equal(d.v[1].line, 301);
	assert_non_null(strstr(d.v[1].msg, "does not exist"));
	dl_diags_clear(&d);
	world_free(w);
	ts_free(s);
}

static void
test_nsec3(void **state)
{
	struct scenario *s = ts_basic();
	struct world *w;
	const struct world_zone *dom;
	ldns_rr_list *l, *n3;
	ldns_rr *p;
	size_t i;

	(void)state;
	s->zones[0].denial = SCEN_DENIAL_NSEC3;
	w = build(s);
	dom = zone(w, "example.net.");
	l = rrset(dom, "example.net.", LDNS_RR_TYPE_NSEC3PARAM);
	assert_int_equal(ldns_rr_list_rr_count(l), 1);
	p = ldns_rr_list_rr(l, 0);
	assert_int_equal(ldns_rdf2native_int8(ldns_rr_rdf(p, 0)), 1);
	assert_int_equal(ldns_rdf2native_int16(ldns_rr_rdf(p, 2)), 0);
	assert_int_equal(ldns_rdf_size(ldns_rr_rdf(p, 3)), 1); /* len 0 */
	ldns_rr_list_free(l);
	assert_int_equal(count(dom, NULL, LDNS_RR_TYPE_NSEC), 0);
	n3 = rrset(dom, NULL, LDNS_RR_TYPE_NSEC3);
	/* apex, ns1, mx1, _tcp.mx1 (empty non-terminal), _25._tcp.mx1 */
	assert_int_equal(ldns_rr_list_rr_count(n3), 5);
	for (i = 0; i < ldns_rr_list_rr_count(n3); i++) {
		ldns_rr *r = ldns_rr_list_rr(n3, i);
		char *owner = ldns_rdf2str(ldns_rr_owner(r));

		assert_int_equal(ldns_nsec3_iterations(r), 0);
		assert_int_equal(ldns_nsec3_salt_length(r), 0);
		assert_false(ldns_nsec3_optout(r));
		assert_int_equal(
		    verify(dom, owner, LDNS_RR_TYPE_NSEC3), LDNS_STATUS_OK);
		free(owner);
	}
	ldns_rr_list_free(n3);
	assert_int_equal(verify(dom, "example.net.", LDNS_RR_TYPE_NSEC3PARAM),
	    LDNS_STATUS_OK);
	world_free(w);
	ts_free(s);
}

/* nsec3-iterations reaches NSEC3PARAM and every NSEC3 record. */
static void
test_nsec3_iterations(void **state)
{
	struct scenario *s = ts_basic();
	struct world *w;
	const struct world_zone *dom;
	ldns_rr_list *l;
	size_t i;

	(void)state;
	s->zones[0].denial = SCEN_DENIAL_NSEC3;
	s->zones[0].nsec3_iterations = 500;
	w = build(s);
	dom = zone(w, "example.net.");
	l = rrset(dom, "example.net.", LDNS_RR_TYPE_NSEC3PARAM);
	assert_int_equal(ldns_rr_list_rr_count(l), 1);
	assert_int_equal(
	    ldns_rdf2native_int16(ldns_rr_rdf(ldns_rr_list_rr(l, 0), 2)), 500);
	ldns_rr_list_free(l);
	l = rrset(dom, NULL, LDNS_RR_TYPE_NSEC3);
	assert_int_equal(ldns_rr_list_rr_count(l), 5);
	for (i = 0; i < ldns_rr_list_rr_count(l); i++)
		assert_int_equal(
		    ldns_nsec3_iterations(ldns_rr_list_rr(l, i)), 500);
	ldns_rr_list_free(l);
	world_free(w);
	ts_free(s);
}

/*
 * nsec3-opt-out: a delegation without a DS (hosting.example.net, its DS
 * missing) gets no NSEC3 record and neither does its glue; an opt-out
 * NSEC3 covers its hash, and the zone still verifies.
 */
static void
test_nsec3_opt_out(void **state)
{
	struct scenario *s = ts_new("example.net.");
	struct scen_zone *z;
	struct scen_fault *f;
	struct world *w;
	const struct world_zone *dom;
	ldns_rr_list *l;
	ldns_rdf *cut;
	bool covered = false;
	size_t i;

	(void)state;
	z = ts_zone(s, "example.net.");
	z->denial = SCEN_DENIAL_NSEC3;
	z->nsec3_opt_out = true;
	ts_zone(s, "hosting.example.net.");
	ts_zone(s, ".");
	ts_zone(s, "net.");
	(void)ts_host(s, "mx1.hosting.example.net.", 10, "127.0.1.25");
	f = ts_fault(s, SCEN_FAULT_DS, "hosting.example.net.");
	f->ds = SCEN_DS_MISSING;
	w = build(s);
	dom = zone(w, "example.net.");
	assert_int_equal(count(dom, "hosting.example.net.", LDNS_RR_TYPE_NS),
	    1);
	assert_int_equal(count(dom, "hosting.example.net.", LDNS_RR_TYPE_DS),
	    0);
	cut = ldns_dname_new_frm_str("hosting.example.net.");
	l = rrset(dom, NULL, LDNS_RR_TYPE_NSEC3);
	/* The apex and ns1.example.net only: no delegation, no glue. */
	assert_int_equal(ldns_rr_list_rr_count(l), 2);
	for (i = 0; i < ldns_rr_list_rr_count(l); i++) {
		ldns_rr *r = ldns_rr_list_rr(l, i);
		char *owner = ldns_rdf2str(ldns_rr_owner(r));

		assert_true(ldns_nsec3_optout(r));
		covered |= ldns_nsec_covers_name(r, cut);
		assert_int_equal(
		    verify(dom, owner, LDNS_RR_TYPE_NSEC3), LDNS_STATUS_OK);
		free(owner);
	}
	assert_true(covered);
	ldns_rr_list_free(l);
	ldns_rdf_deep_free(cut);
	world_free(w);
	ts_free(s);
}

/* zones[].dnskeys entry of z: fixture key id and its three switches. */
static void
ts_dnskey(struct scen_zone *z, const char *id, bool published, bool signs,
    bool ds)
{
	struct scen_dnskey *d;

	z->dnskeys = realloc(z->dnskeys, (z->n_dnskeys + 1) * sizeof(*d));
	d = &z->dnskeys[z->n_dnskeys++];
	memset(d, 0, sizeof(*d));
	d->pos.line = 50 + (unsigned)z->n_dnskeys;
	d->pos.col = 9;
	d->key = tdup(id);
	d->published = published;
	d->signs = signs;
	d->ds = ds;
}

/* DNSKEY RR of fixture key id, owned by owner (caller frees). */
static ldns_rr *
fixture_key_rr(const char *id, const char *owner)
{
	char path[1024];
	ldns_key *k = NULL;
	ldns_rr *rr;
	FILE *fp;
	size_t n = strlen(id);

	snprintf(path, sizeof(path), "%s/dnssec/%s.private", fixtures(), id);
	fp = fopen(path, "r");
	assert_non_null(fp);
	assert_int_equal(ldns_key_new_frm_fp(&k, fp), LDNS_STATUS_OK);
	fclose(fp);
	ldns_key_set_pubkey_owner(k, dn(owner));
	ldns_key_set_flags(k, strcmp(id + n - 4, "-ksk") == 0 ? 257 : 256);
	rr = ldns_key2rr(k);
	ldns_key_deep_free(k);
	return rr;
}

/* Key tags of the RRSIGs over (owner, type), in *tags; returns the count. */
static size_t
sig_tags(const struct world_zone *z, const char *owner, ldns_rr_type type,
    uint16_t *tags, size_t cap)
{
	ldns_rr_list *l = sigs(z, owner, type);
	size_t i, n = ldns_rr_list_rr_count(l);

	for (i = 0; i < n && i < cap; i++)
		tags[i] = ldns_rdf2native_int16(
		    ldns_rr_rrsig_keytag(ldns_rr_list_rr(l, i)));
	ldns_rr_list_free(l);
	return n;
}

/* Is a DS in l made from key rr? */
static bool
ds_for(const ldns_rr_list *l, const ldns_rr *rr)
{
	size_t i;

	for (i = 0; i < ldns_rr_list_rr_count(l); i++)
		if (ldns_rr_compare_ds(ldns_rr_list_rr(l, i), rr))
			return true;
	return false;
}

/* KSK rollover, double DS: the retired KSK has a DS and nothing else. */
static void
test_dnskeys_double_ds(void **state)
{
	struct scenario *s = ts_basic();
	struct world *w;
	const struct world_zone *dom;
	ldns_rr *old = fixture_key_rr("domain-old-ksk", "example.net.");
	ldns_rr *ksk = fixture_key_rr("domain-ksk", "example.net.");
	ldns_rr_list *ds;
	uint16_t tags[4];

	(void)state;
	ts_dnskey(&s->zones[0], "domain-old-ksk", false, false, true);
	ts_dnskey(&s->zones[0], "domain-ksk", true, true, true);
	ts_dnskey(&s->zones[0], "domain-zsk", true, true, false);
	w = build(s);
	dom = zone(w, "example.net.");
	assert_int_equal(count(dom, "example.net.", LDNS_RR_TYPE_DNSKEY), 2);
	assert_false(ldns_rr_list_contains_rr(dom->dnskeys, old));
	assert_true(ldns_rr_list_contains_rr(dom->dnskeys, ksk));
	ds = rrset(zone(w, "net."), "example.net.", LDNS_RR_TYPE_DS);
	assert_int_equal(ldns_rr_list_rr_count(ds), 2);
	assert_true(ds_for(ds, old));
	assert_true(ds_for(ds, ksk));
	assert_int_equal(sig_tags(dom, "example.net.", LDNS_RR_TYPE_DNSKEY,
			     tags, 4), 1);
	assert_int_equal(tags[0], ldns_calc_keytag(ksk));
	assert_int_equal(
	    verify(dom, "example.net.", LDNS_RR_TYPE_DNSKEY), LDNS_STATUS_OK);
	assert_int_equal(
	    verify(dom, "example.net.", LDNS_RR_TYPE_MX), LDNS_STATUS_OK);
	ldns_rr_list_free(ds);
	ldns_rr_free(old);
	ldns_rr_free(ksk);
	world_free(w);
	ts_free(s);
}

/* KSK rollover, DS swapped early: published new KSK that signs nothing. */
static void
test_dnskeys_ds_removed_early(void **state)
{
	struct scenario *s = ts_basic();
	struct world *w;
	const struct world_zone *dom;
	ldns_rr *old = fixture_key_rr("domain-old-ksk", "example.net.");
	ldns_rr *ksk = fixture_key_rr("domain-ksk", "example.net.");
	ldns_rr_list *ds;
	uint16_t tags[4];

	(void)state;
	ts_dnskey(&s->zones[0], "domain-old-ksk", true, true, false);
	ts_dnskey(&s->zones[0], "domain-ksk", true, false, true);
	ts_dnskey(&s->zones[0], "domain-zsk", true, true, false);
	w = build(s);
	dom = zone(w, "example.net.");
	assert_int_equal(count(dom, "example.net.", LDNS_RR_TYPE_DNSKEY), 3);
	assert_true(ldns_rr_list_contains_rr(dom->dnskeys, old));
	assert_true(ldns_rr_list_contains_rr(dom->dnskeys, ksk));
	ds = rrset(zone(w, "net."), "example.net.", LDNS_RR_TYPE_DS);
	assert_int_equal(ldns_rr_list_rr_count(ds), 1);
	assert_true(ds_for(ds, ksk));
	assert_int_equal(sig_tags(dom, "example.net.", LDNS_RR_TYPE_DNSKEY,
			     tags, 4), 1);
	assert_int_equal(tags[0], ldns_calc_keytag(old));
	ldns_rr_list_free(ds);
	ldns_rr_free(old);
	ldns_rr_free(ksk);
	world_free(w);
	ts_free(s);
}

/* Algorithm rollover: both algorithms sign every RRset. */
static void
test_dnskeys_two_algorithms(void **state)
{
	struct scenario *s = ts_basic();
	struct world *w;
	const struct world_zone *dom;
	ldns_rr *rsa = fixture_key_rr("rsa-ksk", "example.net.");
	ldns_rr_list *ds, *l;
	bool alg8 = false, alg13 = false;
	size_t i;

	(void)state;
	ts_dnskey(&s->zones[0], "rsa-ksk", true, true, true);
	ts_dnskey(&s->zones[0], "rsa-zsk", true, true, false);
	ts_dnskey(&s->zones[0], "domain-ksk", true, true, false);
	ts_dnskey(&s->zones[0], "domain-zsk", true, true, false);
	w = build(s);
	dom = zone(w, "example.net.");
	assert_int_equal(count(dom, "example.net.", LDNS_RR_TYPE_DNSKEY), 4);
	l = sigs(dom, "_25._tcp.mx1.example.net.", LDNS_RR_TYPE_TLSA);
	assert_int_equal(ldns_rr_list_rr_count(l), 2);
	for (i = 0; i < ldns_rr_list_rr_count(l); i++) {
		uint8_t a = ldns_rdf2native_int8(
		    ldns_rr_rrsig_algorithm(ldns_rr_list_rr(l, i)));

		alg8 |= a == LDNS_RSASHA256;
		alg13 |= a == LDNS_ECDSAP256SHA256;
	}
	assert_true(alg8 && alg13);
	ldns_rr_list_free(l);
	assert_int_equal(count(dom, NULL, LDNS_RR_TYPE_RRSIG) % 2, 0);
	l = sigs(dom, "example.net.", LDNS_RR_TYPE_DNSKEY);
	assert_int_equal(ldns_rr_list_rr_count(l), 2);
	ldns_rr_list_free(l);
	ds = rrset(zone(w, "net."), "example.net.", LDNS_RR_TYPE_DS);
	assert_int_equal(ldns_rr_list_rr_count(ds), 1);
	assert_true(ds_for(ds, rsa));
	ldns_rr_list_free(ds);
	ldns_rr_free(rsa);
	world_free(w);
	ts_free(s);
}

/*
 * ZSK rollover: the retired ZSK still signs, unpublished; the new one is
 * published and idle.  A DS fault on the zone still replaces the DS set.
 */
static void
test_dnskeys_zsk_removed(void **state)
{
	struct scenario *s = ts_basic();
	struct world *w;
	const struct world_zone *dom;
	ldns_rr *oldz = fixture_key_rr("domain-old-zsk", "example.net.");
	uint16_t tags[4];

	(void)state;
	ts_dnskey(&s->zones[0], "domain-ksk", true, true, true);
	ts_dnskey(&s->zones[0], "domain-zsk", true, false, false);
	ts_dnskey(&s->zones[0], "domain-old-zsk", false, true, false);
	w = build(s);
	dom = zone(w, "example.net.");
	assert_int_equal(count(dom, "example.net.", LDNS_RR_TYPE_DNSKEY), 2);
	assert_false(ldns_rr_list_contains_rr(dom->dnskeys, oldz));
	assert_int_equal(
	    sig_tags(dom, "example.net.", LDNS_RR_TYPE_MX, tags, 4), 1);
	assert_int_equal(tags[0], ldns_calc_keytag(oldz));
	assert_int_equal(
	    verify(dom, "example.net.", LDNS_RR_TYPE_DNSKEY), LDNS_STATUS_OK);
	assert_int_not_equal(
	    verify(dom, "example.net.", LDNS_RR_TYPE_MX), LDNS_STATUS_OK);
	assert_int_equal(ldns_rr_list_rr_count(dom->ds), 1);
	world_free(w);

	ts_fault(s, SCEN_FAULT_DS, "example.net.")->ds = SCEN_DS_MISSING;
	w = build(s);
	assert_int_equal(ldns_rr_list_rr_count(zone(w, "example.net.")->ds), 0);
	world_free(w);
	ldns_rr_free(oldz);
	ts_free(s);
}

/* A signatures fault's key: one RRset left signed by a removed ZSK. */
static void
test_sig_fault_key(void **state)
{
	struct scenario *s = ts_basic();
	struct scen_fault *f;
	struct world *w;
	const struct world_zone *dom;
	ldns_rr *oldz = fixture_key_rr("domain-old-zsk", "example.net.");
	ldns_rr *zsk = fixture_key_rr("domain-zsk", "example.net.");
	uint16_t tags[4];

	(void)state;
	ts_dnskey(&s->zones[0], "domain-ksk", true, true, true);
	ts_dnskey(&s->zones[0], "domain-zsk", true, true, false);
	f = ts_fault(s, SCEN_FAULT_SIGNATURES, "example.net.");
	f->sig = SCEN_SIG_VALID;
	f->name = tdup("_25._tcp.mx1.example.net.");
	f->type = LDNS_RR_TYPE_TLSA;
	f->key = tdup("domain-old-zsk");
	w = build(s);
	dom = zone(w, "example.net.");
	assert_int_equal(sig_tags(dom, "_25._tcp.mx1.example.net.",
			     LDNS_RR_TYPE_TLSA, tags, 4), 1);
	assert_int_equal(tags[0], ldns_calc_keytag(oldz));
	assert_int_not_equal(
	    verify(dom, "_25._tcp.mx1.example.net.", LDNS_RR_TYPE_TLSA),
	    LDNS_STATUS_OK);
	assert_int_equal(
	    sig_tags(dom, "example.net.", LDNS_RR_TYPE_MX, tags, 4), 1);
	assert_int_equal(tags[0], ldns_calc_keytag(zsk));
	assert_int_equal(
	    verify(dom, "example.net.", LDNS_RR_TYPE_MX), LDNS_STATUS_OK);
	world_free(w);
	ldns_rr_free(oldz);
	ldns_rr_free(zsk);
	ts_free(s);
}

static void
test_unsigned(void **state)
{
	struct scenario *s = ts_basic();
	struct world *w;
	const struct world_zone *dom, *net;
	ldns_rr_list *l;

	(void)state;
	s->zones[0].is_signed = false;
	w = build(s);
	dom = zone(w, "example.net.");
	net = zone(w, "net.");
	assert_false(dom->is_signed);
	assert_null(dom->key_role);
	assert_int_equal(count(dom, NULL, LDNS_RR_TYPE_RRSIG), 0);
	assert_int_equal(count(dom, NULL, LDNS_RR_TYPE_DNSKEY), 0);
	assert_int_equal(count(dom, NULL, LDNS_RR_TYPE_NSEC), 0);
	assert_int_equal(ldns_rr_list_rr_count(dom->dnskeys), 0);
	assert_int_equal(ldns_rr_list_rr_count(dom->ds), 0);
	assert_int_equal(
	    count(dom, "_25._tcp.mx1.example.net.", LDNS_RR_TYPE_TLSA), 1);
	assert_int_equal(count(net, "example.net.", LDNS_RR_TYPE_DS), 0);
	l = rrset(net, "example.net.", LDNS_RR_TYPE_NSEC);
	assert_int_equal(ldns_rr_list_rr_count(l), 1);
	assert_false(ldns_nsec_bitmap_covers_type(
	    ldns_nsec_get_bitmap(ldns_rr_list_rr(l, 0)), LDNS_RR_TYPE_DS));
	ldns_rr_list_free(l);
	world_free(w);
	ts_free(s);
}

static void
test_rsa_role(void **state)
{
	struct scenario *s = ts_basic();
	struct world *w;
	const struct world_zone *dom;

	(void)state;
	s->zones[0].keys = tdup("rsa");
	w = build(s);
	dom = zone(w, "example.net.");
	assert_string_equal(dom->key_role, "rsa");
	assert_int_equal(ldns_rdf2native_int8(ldns_rr_dnskey_algorithm(
			     ldns_rr_list_rr(dom->dnskeys, 0))),
	    LDNS_RSASHA256);
	assert_int_equal(
	    verify(dom, "example.net.", LDNS_RR_TYPE_DNSKEY), LDNS_STATUS_OK);
	assert_int_equal(
	    verify(dom, "_25._tcp.mx1.example.net.", LDNS_RR_TYPE_TLSA),
	    LDNS_STATUS_OK);
	assert_true(ldns_rr_compare_ds(
	    ldns_rr_list_rr(dom->ds, 0), ldns_rr_list_rr(dom->dnskeys, 0)));
	world_free(w);
	ts_free(s);
}

static void
test_cname(void **state)
{
	struct scenario *s = ts_new("example.net.");
	struct scen_host *h;
	struct world *w;
	const struct world_zone *dom, *org;
	const struct world_host *wh;
	ldns_rr_list *l;

	(void)state;
	ts_zone(s, "example.net.");
	ts_zone(s, ".");
	ts_zone(s, "net.");
	ts_zone(s, "org.");
	ts_zone(s, "example.org.");
	h = ts_host(s, "mx1.example.net.", 10, "127.0.1.25");
	h->cname = tdup("mail.example.org.");
	ts_tlsa(h, 3, 1, 1, "mx-cur");
	w = build(s);
	dom = zone(w, "example.net.");
	org = zone(w, "example.org.");
	l = rrset(dom, "mx1.example.net.", LDNS_RR_TYPE_CNAME);
	assert_int_equal(ldns_rr_list_rr_count(l), 1);
	assert_true(
	    has_rdata_name(ldns_rr_list_rr(l, 0), 0, "mail.example.org."));
	ldns_rr_list_free(l);
	assert_int_equal(verify(dom, "mx1.example.net.", LDNS_RR_TYPE_CNAME),
	    LDNS_STATUS_OK);
	assert_int_equal(count(dom, "mx1.example.net.", LDNS_RR_TYPE_A), 0);
	assert_int_equal(count(org, "mail.example.org.", LDNS_RR_TYPE_A), 1);
	assert_int_equal(
	    count(org, "_25._tcp.mail.example.org.", LDNS_RR_TYPE_TLSA), 1);
	assert_int_equal(
	    count(dom, "_25._tcp.mx1.example.net.", LDNS_RR_TYPE_TLSA), 0);
	wh = world_host(w, "mx1.example.net.");
	assert_non_null(wh);
	assert_string_equal(wh->tlsa_owner, "_25._tcp.mail.example.org.");
	assert_string_equal(wh->target, "mail.example.org.");
	/* MX names the host, not the target. */
	l = rrset(dom, "example.net.", LDNS_RR_TYPE_MX);
	assert_true(
	    has_rdata_name(ldns_rr_list_rr(l, 0), 1, "mx1.example.net."));
	ldns_rr_list_free(l);
	world_free(w);
	ts_free(s);
}

static void
test_mx_preferences(void **state)
{
	struct scenario *s = ts_basic();
	struct world *w;
	ldns_rr_list *l;
	ldns_rr *mx;
	size_t i, seen = 0;

	(void)state;
	ts_host(s, "mx2.example.net.", 20, "127.0.2.25");
	s->hosts[1].port = 587;
	ts_tlsa(&s->hosts[1], 3, 1, 1, "mx-next");
	w = build(s);
	l = rrset(zone(w, "example.net."), "example.net.", LDNS_RR_TYPE_MX);
	assert_int_equal(ldns_rr_list_rr_count(l), 2);
	for (i = 0; i < 2; i++) {
		mx = ldns_rr_list_rr(l, i);
		if (has_rdata_name(mx, 1, "mx1.example.net.")) {
			assert_int_equal(
			    ldns_rdf2native_int16(ldns_rr_rdf(mx, 0)), 10);
			seen |= 1;
		} else if (has_rdata_name(mx, 1, "mx2.example.net.")) {
			assert_int_equal(
			    ldns_rdf2native_int16(ldns_rr_rdf(mx, 0)), 20);
			seen |= 2;
		}
	}
	assert_int_equal(seen, 3);
	ldns_rr_list_free(l);
	assert_int_equal(count(zone(w, "example.net."),
			     "_587._tcp.mx2.example.net.", LDNS_RR_TYPE_TLSA),
	    1);
	world_free(w);
	ts_free(s);
}

static void
test_timeline(void **state)
{
	struct scenario *s = ts_basic();
	struct scen_phase_host *ph;
	struct world_host_state st;
	struct world *w;
	ldns_rr_list *l;
	unsigned char cur[EVP_MAX_MD_SIZE], next[EVP_MAX_MD_SIZE];
	char **chain;
	size_t n, len;

	(void)state;
	/* Phase 0: as the baseline.  1: publish next.  2: switch cert. */
	s->phases = calloc(3, sizeof(*s->phases));
	s->n_phases = 3;
	s->phases[0].name = tdup("old-only");
	s->phases[1].name = tdup("both");
	s->phases[1].at = 600;
	s->phases[1].hosts = ph = calloc(1, sizeof(*ph));
	s->phases[1].n_hosts = 1;
	ph->host = tdup("mx1.example.net.");
	ph->set_tlsa = true;
	ph->tlsa = calloc(2, sizeof(*ph->tlsa));
	ph->n_tlsa = 2;
	ts_tlsa_set(&ph->tlsa[0], 3, 1, 1, "mx-cur");
	ts_tlsa_set(&ph->tlsa[1], 3, 1, 1, "mx-next");
	ph->tlsa_ttl = 60;
	s->phases[2].name = tdup("switched");
	s->phases[2].at = 1200;
	s->phases[2].hosts = ph = calloc(1, sizeof(*ph));
	s->phases[2].n_hosts = 1;
	ph->host = tdup("mx1.example.net.");
	ph->chain = ts_list(2, "mx-next", "int-r3");
	ph->n_chain = 2;

	len = spki_digest("mx-cur", EVP_sha256(), cur);
	(void)spki_digest("mx-next", EVP_sha256(), next);

	w = build_at(s, 0);
	l = rrset(zone(w, "example.net."), "_25._tcp.mx1.example.net.",
	    LDNS_RR_TYPE_TLSA);
	assert_int_equal(ldns_rr_list_rr_count(l), 1);
	assert_tlsa(ldns_rr_list_rr(l, 0), 3, 1, 1, cur, len);
	assert_int_equal(ldns_rr_ttl(ldns_rr_list_rr(l, 0)), 3600);
	ldns_rr_list_free(l);
	assert_int_equal(world_host_chain(w, &s->hosts[0], &chain, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(chain[0], "mx-cur");
	world_free(w);

	w = build_at(s, 1);
	/* Serials grow with the phases. */
	assert_int_equal(ldns_rdf2native_int32(ldns_rr_rdf(
			     ldns_zone_soa(zone(w, "example.net.")->zone), 2)),
	    (uint32_t)NOW + 600);
	l = rrset(zone(w, "example.net."), "_25._tcp.mx1.example.net.",
	    LDNS_RR_TYPE_TLSA);
	assert_int_equal(ldns_rr_list_rr_count(l), 2);
	assert_int_equal(ldns_rr_ttl(ldns_rr_list_rr(l, 0)), 60);
	ldns_rr_list_free(l);
	assert_int_equal(world_host_tlsa(w, &s->hosts[0], &l, NULL), 0);
	assert_tlsa(ldns_rr_list_rr(l, 1), 3, 1, 1, next, len);
	ldns_rr_list_deep_free(l);
	assert_int_equal(world_host_chain(w, &s->hosts[0], &chain, &n), 0);
	assert_string_equal(chain[0], "mx-cur");
	assert_int_equal(verify(zone(w, "example.net."),
			     "_25._tcp.mx1.example.net.", LDNS_RR_TYPE_TLSA),
	    LDNS_STATUS_OK);
	world_free(w);

	/* Phase 2 keeps phase 1's TLSA set and TTL, changes the chain. */
	w = build_at(s, 2);
	assert_int_equal(count(zone(w, "example.net."),
			     "_25._tcp.mx1.example.net.", LDNS_RR_TYPE_TLSA),
	    2);
	assert_int_equal(world_host_chain(w, &s->hosts[0], &chain, &n), 0);
	assert_string_equal(chain[0], "mx-next");
	world_free(w);

	/* The pure helper agrees, and checks its range. */
	assert_int_equal(world_host_state_at(s, &s->hosts[0], -1, &st), 0);
	assert_int_equal(st.n_tlsa, 1);
	assert_int_equal(st.tlsa_ttl, 0);
	assert_int_equal(world_host_state_at(s, &s->hosts[0], 2, &st), 0);
	assert_int_equal(st.n_tlsa, 2);
	assert_int_equal(st.tlsa_ttl, 60);
	assert_string_equal(st.chain[0], "mx-next");
	assert_int_equal(
	    world_host_state_at(s, &s->hosts[0], 3, &st), DL_ERANGE);
	ts_free(s);
}

static void
test_records(void **state)
{
	struct scenario *s = ts_basic();
	struct world *w;
	const struct world_zone *dom;

	(void)state;
	ts_record(&s->zones[0], "www.example.net.", "A", "127.0.0.80", 12);
	ts_record(&s->zones[0], "example.net.", "TXT", "\"v=spf1 -all\"", 13);
	ts_record(&s->zones[0], "alias.example.net.", "CNAME", "www", 14);
	s->zones[0].records[0].ttl = 300;
	w = build(s);
	dom = zone(w, "example.net.");
	assert_int_equal(count(dom, "www.example.net.", LDNS_RR_TYPE_A), 1);
	assert_int_equal(
	    verify(dom, "www.example.net.", LDNS_RR_TYPE_A), LDNS_STATUS_OK);
	assert_int_equal(count(dom, "example.net.", LDNS_RR_TYPE_TXT), 1);
	/* Relative names in RDATA are relative to the zone. */
	assert_int_equal(
	    count(dom, "alias.example.net.", LDNS_RR_TYPE_CNAME), 1);
	world_free(w);
	ts_free(s);
}

/*
 * A zone's TLSA record computed from a fixture (`cert`) at any owner,
 * in any zone: the data a host's `tlsa:` item would get, cut or padded
 * by `length`, signed like the rest.
 */
static void
test_records_tlsa_cert(void **state)
{
	struct scenario *s = ts_basic();
	struct scen_record *r;
	struct world *w;
	const struct world_zone *dom;
	unsigned char md[EVP_MAX_MD_SIZE], pad[64];
	ldns_rr_list *l;
	size_t len;

	(void)state;
	r = ts_record(&s->zones[0], "_465._tcp.mx1.example.net.", "TLSA",
	    NULL, 15);
	ts_tlsa_set(&r->tlsa, 3, 1, 1, "mx-cur");
	r = ts_record(&s->zones[0], "_25._tcp.example.net.", "TLSA", NULL,
	    16);
	ts_tlsa_set(&r->tlsa, 3, 1, 1, "mx-cur");
	r->tlsa.length = 31;
	r = ts_record(&s->zones[0], "_587._tcp.mx1.example.net.", "TLSA",
	    NULL, 17);
	ts_tlsa_set(&r->tlsa, 3, 1, 1, "mx-cur");
	r->tlsa.length = 33;
	w = build(s);
	dom = zone(w, "example.net.");
	len = spki_digest("mx-cur", EVP_sha256(), md);
	assert_int_equal(len, 32);

	l = rrset(dom, "_465._tcp.mx1.example.net.", LDNS_RR_TYPE_TLSA);
	assert_int_equal(ldns_rr_list_rr_count(l), 1);
	assert_tlsa(ldns_rr_list_rr(l, 0), 3, 1, 1, md, len);
	ldns_rr_list_free(l);
	assert_int_equal(verify(dom, "_465._tcp.mx1.example.net.",
			     LDNS_RR_TYPE_TLSA), LDNS_STATUS_OK);

	l = rrset(dom, "_25._tcp.example.net.", LDNS_RR_TYPE_TLSA);
	assert_int_equal(ldns_rr_list_rr_count(l), 1);
	assert_tlsa(ldns_rr_list_rr(l, 0), 3, 1, 1, md, 31);	/* truncated */
	ldns_rr_list_free(l);

	memcpy(pad, md, 32);
	pad[32] = 0;
	l = rrset(dom, "_587._tcp.mx1.example.net.", LDNS_RR_TYPE_TLSA);
	assert_int_equal(ldns_rr_list_rr_count(l), 1);
	assert_tlsa(ldns_rr_list_rr(l, 0), 3, 1, 1, pad, 33);	/* padded */
	ldns_rr_list_free(l);
	world_free(w);
	ts_free(s);
}

static void
test_errors(void **state)
{
	struct scenario *s = ts_basic();
	struct world_opts o = {fixtures(), NOW, -1};
	struct dl_diags d;
	struct world *w = NULL;

	(void)state;
	ts_record(&s->zones[0], "www.example.net.", "A", "not-an-address", 12);
	ts_record(&s->zones[0], "www.example.com.", "A", "127.0.0.1", 13);
	ts_record(&s->zones[0], "example.net.", "SOA", "a. b. 1 2 3 4 5", 14);
	dl_diags_init(&d);
	assert_int_equal(world_build(s, &o, &w, &d), DL_EINVAL);
	assert_null(w);
	assert_int_equal(d.errors, 3);
	assert_string_equal(d.v[0].file, "test.yaml");
	assert_int_equal(d.v[0].line, 12);
	assert_int_equal(d.v[0].col, 9);
	assert_int_equal(d.v[1].line, 13);
	assert_non_null(strstr(d.v[1].msg, "not in zone"));
	assert_int_equal(d.v[2].line, 14);
	dl_diags_clear(&d);
	ts_free(s);

	/* A missing key role and a missing certificate. */
	s = ts_basic();
	s->zones[0].keys = tdup("nosuchrole");
	free(s->hosts[0].tlsa[0].cert);
	s->hosts[0].tlsa[0].cert = tdup("no-such-cert");
	dl_diags_init(&d);
	assert_int_equal(world_build(s, &o, &w, &d), DL_ENOENT);
	assert_null(w);
	assert_true(d.errors >= 1);
	assert_non_null(strstr(d.v[0].msg, "nosuchrole-ksk"));
	assert_int_equal(d.v[0].line, s->zones[0].pos.line);
	dl_diags_clear(&d);
	s->zones[0].keys[0] = 'X'; /* not a valid role */
	dl_diags_init(&d);
	assert_int_equal(world_build(s, &o, &w, &d), DL_EINVAL);
	dl_diags_clear(&d);
	free(s->zones[0].keys);
	s->zones[0].keys = NULL;
	dl_diags_init(&d);
	assert_int_equal(world_build(s, &o, &w, &d), DL_ENOENT);
	assert_int_equal(d.v[0].line, 200);
	assert_non_null(strstr(d.v[0].msg, "no-such-cert"));
	dl_diags_clear(&d);

	/* Phase out of range. */
	o.phase = 0;
	dl_diags_init(&d);
	assert_int_equal(world_build(s, &o, &w, &d), DL_ERANGE);
	assert_int_equal(d.errors, 1);
	dl_diags_clear(&d);
	ts_free(s);

	/* No root. */
	s = ts_new("example.net.");
	ts_zone(s, "example.net.");
	o.phase = -1;
	dl_diags_init(&d);
	assert_int_equal(world_build(s, &o, &w, &d), DL_EINVAL);
	assert_non_null(strstr(d.v[0].msg, "root"));
	dl_diags_clear(&d);
	ts_free(s);
}

static void
test_fprint_roundtrip(void **state)
{
	struct scenario *s = ts_basic();
	struct world *w;
	size_t i, k;

	(void)state;
	s->zones[0].denial = SCEN_DENIAL_NSEC3;
	w = build(s);
	for (i = 0; i < w->n_zones; i++) {
		const struct world_zone *z = &w->zones[i];
		ldns_zone *back = NULL;
		ldns_rr_list *a, *b;
		FILE *fp = tmpfile();

		assert_non_null(fp);
		assert_int_equal(world_zone_fprint(fp, z), 0);
		rewind(fp);
		assert_int_equal(
		    ldns_zone_new_frm_fp(&back, fp, NULL, 0, LDNS_RR_CLASS_IN),
		    LDNS_STATUS_OK);
		fclose(fp);
		assert_int_equal(ldns_rr_compare(ldns_zone_soa(back),
				     ldns_zone_soa(z->zone)),
		    0);
		a = ldns_rr_list_clone(ldns_zone_rrs(back));
		b = ldns_rr_list_clone(ldns_zone_rrs(z->zone));
		assert_int_equal(
		    ldns_rr_list_rr_count(a), ldns_rr_list_rr_count(b));
		ldns_rr_list_sort(a);
		ldns_rr_list_sort(b);
		for (k = 0; k < ldns_rr_list_rr_count(a); k++)
			assert_int_equal(ldns_rr_compare(ldns_rr_list_rr(a, k),
					     ldns_rr_list_rr(b, k)),
			    0);
		ldns_rr_list_deep_free(a);
		ldns_rr_list_deep_free(b);
		ldns_zone_deep_free(back);
	}
	world_free(w);
	ts_free(s);
}

static void
test_deterministic_and_fast(void **state)
{
	struct scenario *s = ts_new("example.net.");
	struct world_opts o = {fixtures(), NOW, -1};
	struct world *w1, *w2;
	struct timespec t0, t1;
	double ms;
	size_t i;

	(void)state;
	ts_zone(s, "example.net.");
	ts_zone(s, ".");
	ts_zone(s, "net.");
	ts_zone(s, "org.");
	ts_zone(s, "example.org.")->denial = SCEN_DENIAL_NSEC3;
	ts_tlsa(ts_host(s, "mx1.example.net.", 10, "127.0.1.25"), 3, 1, 1,
	    "mx-cur");
	ts_tlsa(
	    ts_host(s, "mx.example.org.", 20, "127.0.2.25"), 2, 1, 1, "int-r3");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(world_build(s, &o, &w1, NULL), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	print_message(
	    "# world of %zu zones built in %.1f ms\n", w1->n_zones, ms);
	/* Generous bound: sanitizer and valgrind builds are slow. */
	assert_true(ms < 2000);
	assert_int_equal(world_build(s, &o, &w2, NULL), 0);
	for (i = 0; i < w1->n_zones; i++) {
		ldns_rr_list *a = ldns_zone_rrs(w1->zones[i].zone);
		ldns_rr_list *b = ldns_zone_rrs(w2->zones[i].zone);
		size_t k, n = ldns_rr_list_rr_count(a);

		assert_string_equal(w1->zones[i].name, w2->zones[i].name);
		assert_int_equal(n, ldns_rr_list_rr_count(b));
		/* ECDSA signatures differ; everything else is equal. */
		for (k = 0; k < n; k++) {
			ldns_rr *x = ldns_rr_list_rr(a, k);
			ldns_rr *y = ldns_rr_list_rr(b, k);

			assert_int_equal(
			    ldns_rr_get_type(x), ldns_rr_get_type(y));
			if (ldns_rr_get_type(x) != LDNS_RR_TYPE_RRSIG)
				assert_int_equal(ldns_rr_compare(x, y), 0);
		}
	}
	world_free(w1);
	world_free(w2);
	ts_free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_order_and_addresses),
	    cmocka_unit_test(test_soa_ns_root),
	    cmocka_unit_test(test_delegation),
	    cmocka_unit_test(test_signatures_valid),
	    cmocka_unit_test(test_ds_missing),
	    cmocka_unit_test(test_ds_mismatch),
	    cmocka_unit_test(test_ds_unsupported),
	    cmocka_unit_test(test_tlsa_data),
	    cmocka_unit_test(test_sig_rrset_faults),
	    cmocka_unit_test(test_sig_timed),
	    cmocka_unit_test(test_sig_ds_fault),
	    cmocka_unit_test(test_sig_zone_faults),
	    cmocka_unit_test(test_sig_fault_warnings),
	    cmocka_unit_test(test_nsec3),
	    cmocka_unit_test(test_nsec3_iterations),
	    cmocka_unit_test(test_nsec3_opt_out),
	    cmocka_unit_test(test_dnskeys_double_ds),
	    cmocka_unit_test(test_dnskeys_ds_removed_early),
	    cmocka_unit_test(test_dnskeys_two_algorithms),
	    cmocka_unit_test(test_dnskeys_zsk_removed),
	    cmocka_unit_test(test_sig_fault_key),
	    cmocka_unit_test(test_unsigned),
	    cmocka_unit_test(test_rsa_role),
	    cmocka_unit_test(test_cname),
	    cmocka_unit_test(test_mx_preferences),
	    cmocka_unit_test(test_timeline),
	    cmocka_unit_test(test_records),
	    cmocka_unit_test(test_records_tlsa_cert),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_fprint_roundtrip),
	    cmocka_unit_test(test_deterministic_and_fast),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
