/*
 * test_dns.c -- unit tests for simulator/dns: the answer engine and the
 * server.
 *
 * Worlds are built by hand (as in test_world.c) at a fixed time; queries
 * are made with ldns and fed to dns_engine_answer() on the view of the
 * zone's address, answers parsed back with ldns.  Signatures in answers
 * are checked with ldns_verify_time() against the world's DNSKEYs, denial
 * proofs with ldns_dnssec_verify_denial{,_nsec3}() and, independently of
 * the server's NSEC3 code, with ldns_nsec3_hash_name_frm_nsec3() and
 * ldns_nsec_covers_name().  The last tests run the server on a free port
 * of 127.0.0.1 in a thread and talk to it over UDP and TCP.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <ldns/ldns.h>

#include "simulator/dns/dns_server.h"
#include "simulator/events/events.h"
#include "simulator/scenario/scenario.h"
#include "simulator/util/diag.h"
#include "simulator/zone/world.h"

#define NOW ((time_t)1750000000)

static const char *
fixtures(void)
{
	const char *d = getenv("DANELAB_FIXTURES");

	return d != NULL ? d : "fixtures";
}

/* ---- building scenarios by hand (as test_world.c) ---- */

static char *
tdup(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

static struct scen_zone *
ts_zone(struct scenario *s, const char *name, enum scen_denial denial)
{
	struct scen_zone *z;

	s->zones = realloc(s->zones, (s->n_zones + 1) * sizeof(*s->zones));
	z = &s->zones[s->n_zones++];
	memset(z, 0, sizeof(*z));
	z->pos.line = (unsigned)s->n_zones * 10;
	z->pos.col = 5;
	z->name = tdup(name);
	z->is_signed = true;
	z->denial = denial;
	z->ttl = 3600;
	return z;
}

static void
ts_record(
    struct scen_zone *z, const char *owner, const char *type, const char *rdata)
{
	struct scen_record *r;

	z->records =
	    realloc(z->records, (z->n_records + 1) * sizeof(*z->records));
	r = &z->records[z->n_records++];
	memset(r, 0, sizeof(*r));
	r->pos.line = 50 + (unsigned)z->n_records;
	r->pos.col = 9;
	r->owner = tdup(owner);
	r->type = tdup(type);
	r->rdata = tdup(rdata);
}

static char **
ts_list(const char *a, const char *b)
{
	char **v = calloc(2, sizeof(*v));

	v[0] = tdup(a);
	v[1] = tdup(b);
	return v;
}

static struct scen_fault *
ts_fault(struct scenario *s, enum scen_fault_kind kind)
{
	struct scen_fault *f;

	s->faults = realloc(s->faults, (s->n_faults + 1) * sizeof(*s->faults));
	f = &s->faults[s->n_faults++];
	memset(f, 0, sizeof(*f));
	f->pos.line = 300 + (unsigned)s->n_faults;
	f->pos.col = 5;
	f->kind = kind;
	return f;
}

static void
ts_dns_fault(struct scenario *s, const char *name, uint16_t type,
    enum scen_dns_fault kind)
{
	struct scen_fault *f = ts_fault(s, SCEN_FAULT_DNS);

	f->name = tdup(name);
	f->type = type;
	f->dns = kind;
}

/* The hand-built scenario owns what the loader's would: free it alike. */
static void
ts_free(struct scenario *s)
{
	scenario_free(s);
}

/*
 * The test world: the mail domain example.net (one MX host with a 3 1 1
 * TLSA record, a wildcard, CNAMEs, an empty non-terminal, a big TXT
 * RRset), a second child of net. whose DS is missing (nods.net), and the
 * implicit net. and root, as the loader would order them.  denial
 * applies to example.net and net.
 */
static struct scenario *
ts_world(enum scen_denial denial)
{
	struct scenario *s = calloc(1, sizeof(*s));
	struct scen_zone *z;
	struct scen_host *h;
	struct scen_fault *f;
	char txt[80];
	int i;

	s->file = tdup("test.yaml");
	s->version = 1;
	s->id = tdup("test/dns");
	s->domain = tdup("example.net.");
	s->ttl = 3600;
	z = ts_zone(s, "example.net.", denial);
	ts_record(z, "*.wild.example.net.", "TXT", "\"wild\"");
	ts_record(z, "www.example.net.", "CNAME", "mx1.example.net.");
	ts_record(z, "dangling.example.net.", "CNAME", "nope.example.net.");
	ts_record(z, "far.example.net.", "CNAME", "elsewhere.org.");
	ts_record(z, "a.b.c.example.net.", "A", "127.0.0.10");
	for (i = 0; i < 12; i++) {
		snprintf(txt, sizeof(txt),
		    "\"big record %02d ..................................\"",
		    i);
		ts_record(z, "big.example.net.", "TXT", txt);
	}
	ts_zone(s, "nods.net.", SCEN_DENIAL_NSEC);
	ts_zone(s, ".", SCEN_DENIAL_NSEC)->implicit = true;
	ts_zone(s, "net.", denial)->implicit = true;

	s->hosts = calloc(1, sizeof(*s->hosts));
	s->n_hosts = 1;
	h = &s->hosts[0];
	h->pos.line = 101;
	h->name = tdup("mx1.example.net.");
	h->preference = 10;
	h->addrs = ts_list("127.0.1.25", NULL);
	h->n_addrs = 1;
	h->port = 25;
	h->chain = ts_list("mx-cur", "int-r3");
	h->n_chain = 2;
	h->tlsa = calloc(1, sizeof(*h->tlsa));
	h->n_tlsa = 1;
	h->tlsa[0].usage = 3;
	h->tlsa[0].selector = 1;
	h->tlsa[0].mtype = 1;
	h->tlsa[0].cert = tdup("mx-cur");

	f = ts_fault(s, SCEN_FAULT_DS);
	f->zone = tdup("nods.net.");
	f->ds = SCEN_DS_MISSING;
	return s;
}

static struct world *
build_at(const struct scenario *s, time_t now)
{
	struct world_opts o = {fixtures(), now, -1};
	struct dl_diags d;
	struct world *w = NULL;
	int rc;

	dl_diags_init(&d);
	rc = world_build(s, &o, &w, &d);
	if (rc != 0 || d.errors != 0)
		dl_diags_print(&d, stderr);
	assert_int_equal(rc, 0);
	dl_diags_clear(&d);
	return w;
}

static struct dns_engine *
engine(const struct world *w, bool single)
{
	struct dns_engine *e = NULL;
	struct dl_diags d;
	int rc;

	dl_diags_init(&d);
	rc = dns_engine_new(w, single, &e, &d);
	if (rc != 0 || d.n != 0)
		dl_diags_print(&d, stderr);
	assert_int_equal(rc, 0);
	assert_int_equal(d.n, 0);
	dl_diags_clear(&d);
	return e;
}

/* A built world and its engine, for one test. */
struct fx {
	struct scenario *s;
	struct world *w;
	struct dns_engine *e;
};

static void
fx_open(struct fx *x, struct scenario *s)
{
	x->s = s;
	x->w = build_at(s, NOW);
	x->e = engine(x->w, false);
}

static void
fx_close(struct fx *x)
{
	dns_engine_free(x->e);
	world_free(x->w);
	ts_free(x->s);
}

static const struct world_zone *
wzone(const struct world *w, const char *name)
{
	const struct world_zone *z = world_zone(w, name);

	assert_non_null(z);
	return z;
}

/* ---- asking ---- */

struct ask {
	int edns; /* payload size; 0: no OPT */
	bool do_bit;
	enum dns_transport tr;
	bool rd;
	uint8_t edns_version;
};

static const struct ask ASK_DO = {1232, true, DNS_UDP, false, 0};
static const struct ask ASK_PLAIN = {1232, false, DNS_UDP, false, 0};

static uint8_t *
query_wire(
    const char *name, ldns_rr_type type, const struct ask *a, size_t *len)
{
	ldns_pkt *q = NULL;
	uint8_t *wire = NULL;

	assert_int_equal(ldns_pkt_query_new_frm_str(&q, name, type,
			     LDNS_RR_CLASS_IN, a->rd ? LDNS_RD : 0),
	    LDNS_STATUS_OK);
	ldns_pkt_set_id(q, 0x4242);
	if (a->edns > 0) {
		ldns_pkt_set_edns_udp_size(q, (uint16_t)a->edns);
		ldns_pkt_set_edns_do(q, a->do_bit);
		ldns_pkt_set_edns_version(q, a->edns_version);
	}
	assert_int_equal(ldns_pkt2wire(&wire, q, len), LDNS_STATUS_OK);
	ldns_pkt_free(q);
	return wire;
}

static uint8_t outbuf[DNS_MSG_MAX];

/* Send raw bytes to the view of zone's address; the parsed answer. */
static ldns_pkt *
ask_raw(struct dns_engine *e, int view, enum dns_transport tr,
    const uint8_t *wire, size_t len, struct dns_result *r)
{
	ldns_pkt *p = NULL;

	assert_int_equal(dns_engine_answer(e, view, tr, wire, len, outbuf,
			     tr == DNS_TCP ? DNS_MSG_MAX : DNS_UDP_MAX, r),
	    0);
	if (r->action != DNS_ACT_SEND)
		return NULL;
	assert_int_equal(r->len > 0, 1);
	assert_int_equal(ldns_wire2pkt(&p, outbuf, r->len), LDNS_STATUS_OK);
	return p;
}

static int
view_of(const struct fx *x, const char *zone)
{
	int v = dns_engine_view(x->e, wzone(x->w, zone)->ns_addr);

	assert_true(v >= 0);
	return v;
}

static ldns_pkt *
ask_at(struct fx *x, const char *zone, const char *name, ldns_rr_type type,
    const struct ask *a, struct dns_result *r)
{
	struct dns_result dummy;
	ldns_pkt *p;
	uint8_t *wire;
	size_t len;

	wire = query_wire(name, type, a, &len);
	p = ask_raw(
	    x->e, view_of(x, zone), a->tr, wire, len, r != NULL ? r : &dummy);
	free(wire);
	return p;
}

static ldns_pkt *
ask(struct fx *x, const char *zone, const char *name, ldns_rr_type type,
    bool do_bit)
{
	ldns_pkt *p =
	    ask_at(x, zone, name, type, do_bit ? &ASK_DO : &ASK_PLAIN, NULL);

	assert_non_null(p);
	return p;
}

/* ---- looking at answers ---- */

static ldns_rdf *
dn(const char *name)
{
	ldns_rdf *d = NULL;

	assert_int_equal(ldns_str2rdf_dname(&d, name), LDNS_STATUS_OK);
	return d;
}

static const ldns_rr_list *
sec(const ldns_pkt *p, ldns_pkt_section s)
{
	switch (s) {
	case LDNS_SECTION_ANSWER:
		return ldns_pkt_answer(p);
	case LDNS_SECTION_AUTHORITY:
		return ldns_pkt_authority(p);
	default:
		return ldns_pkt_additional(p);
	}
}

/* RRs of section s with type (RRSIG: covering type cov), owner (NULL:
 * any); borrowed pointers. */
static ldns_rr_list *
pick(const ldns_pkt *p, ldns_pkt_section s, const char *owner,
    ldns_rr_type type, ldns_rr_type cov)
{
	const ldns_rr_list *l = sec(p, s);
	ldns_rr_list *out = ldns_rr_list_new();
	ldns_rdf *o = owner != NULL ? dn(owner) : NULL;
	size_t i;

	for (i = 0; i < ldns_rr_list_rr_count(l); i++) {
		ldns_rr *rr = ldns_rr_list_rr(l, i);

		if (ldns_rr_get_type(rr) != type)
			continue;
		if (type == LDNS_RR_TYPE_RRSIG && cov != 0 &&
		    ldns_rdf2rr_type(ldns_rr_rrsig_typecovered(rr)) != cov)
			continue;
		if (o != NULL && ldns_dname_compare(ldns_rr_owner(rr), o) != 0)
			continue;
		ldns_rr_list_push_rr(out, rr);
	}
	ldns_rdf_deep_free(o);
	return out;
}

static size_t
cnt(const ldns_pkt *p, ldns_pkt_section s, const char *owner, ldns_rr_type type)
{
	ldns_rr_list *l = pick(p, s, owner, type, 0);
	size_t n = ldns_rr_list_rr_count(l);

	ldns_rr_list_free(l);
	return n;
}

/* Number of DNSSEC records (RRSIG, NSEC, NSEC3) anywhere in p. */
static size_t
dnssec_records(const ldns_pkt *p)
{
	ldns_pkt_section s;
	size_t n = 0;

	for (s = LDNS_SECTION_ANSWER; s <= LDNS_SECTION_ADDITIONAL; s++)
		n += cnt(p, s, NULL, LDNS_RR_TYPE_RRSIG) +
		    cnt(p, s, NULL, LDNS_RR_TYPE_NSEC) +
		    cnt(p, s, NULL, LDNS_RR_TYPE_NSEC3);
	return n;
}

/*
 * Verify (owner, type) of section s against keys at NOW; the RRset and
 * its RRSIGs must be there.
 */
static void
verify_rrset(const ldns_pkt *p, ldns_pkt_section s, const char *owner,
    ldns_rr_type type, const ldns_rr_list *keys)
{
	ldns_rr_list *set = pick(p, s, owner, type, 0);
	ldns_rr_list *sigs = pick(p, s, owner, LDNS_RR_TYPE_RRSIG, type);
	ldns_rr_list *good = ldns_rr_list_new();
	ldns_status st;

	assert_true(ldns_rr_list_rr_count(set) > 0);
	assert_true(ldns_rr_list_rr_count(sigs) > 0);
	st = ldns_verify_time(set, sigs, keys, NOW, good);
	if (st != LDNS_STATUS_OK)
		fprintf(stderr, "verify %s: %s\n", owner,
		    ldns_get_errorstr_by_id(st));
	assert_int_equal(st, LDNS_STATUS_OK);
	ldns_rr_list_free(set);
	ldns_rr_list_free(sigs);
	ldns_rr_list_free(good);
}

/* Every signed RRset of section s verifies with keys; returns how many. */
static size_t
verify_section(const ldns_pkt *p, ldns_pkt_section s, const ldns_rr_list *keys)
{
	const ldns_rr_list *l = sec(p, s);
	size_t i, n = 0;

	for (i = 0; i < ldns_rr_list_rr_count(l); i++) {
		ldns_rr *rr = ldns_rr_list_rr(l, i);
		char *owner;

		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_RRSIG)
			continue;
		owner = ldns_rdf2str(ldns_rr_owner(rr));
		verify_rrset(p, s, owner,
		    ldns_rdf2rr_type(ldns_rr_rrsig_typecovered(rr)), keys);
		free(owner);
		n++;
	}
	return n;
}

static bool
bitmap_has(const ldns_rr *nsec, ldns_rr_type t)
{
	return ldns_nsec_bitmap_covers_type(ldns_nsec_get_bitmap(nsec), t);
}

/* The NSEC3 of list l whose hashed owner covers or matches name. */
static ldns_rr *
n3_for(const ldns_rr_list *l, const char *name, bool match)
{
	ldns_rdf *d = dn(name);
	ldns_rr *found = NULL;
	size_t i;

	for (i = 0; i < ldns_rr_list_rr_count(l) && found == NULL; i++) {
		ldns_rr *rr = ldns_rr_list_rr(l, i);
		ldns_rdf *h = ldns_nsec3_hash_name_frm_nsec3(rr, d), *zone;

		zone = ldns_dname_left_chop(ldns_rr_owner(rr));
		assert_int_equal(ldns_dname_cat(h, zone), LDNS_STATUS_OK);
		if (match ? ldns_dname_compare(h, ldns_rr_owner(rr)) == 0
			  : ldns_nsec_covers_name(rr, h))
			found = rr;
		ldns_rdf_deep_free(h);
		ldns_rdf_deep_free(zone);
	}
	ldns_rdf_deep_free(d);
	return found;
}

/* The query record for ldns_dnssec_verify_denial*. */
static ldns_rr *
qrr(const char *name, ldns_rr_type type)
{
	ldns_rr *rr = ldns_rr_new();

	ldns_rr_set_owner(rr, dn(name));
	ldns_rr_set_type(rr, type);
	ldns_rr_set_class(rr, LDNS_RR_CLASS_IN);
	return rr;
}

static ldns_status
denial_nsec(const ldns_pkt *p, const char *name, ldns_rr_type type)
{
	ldns_rr_list *n =
	    pick(p, LDNS_SECTION_AUTHORITY, NULL, LDNS_RR_TYPE_NSEC, 0);
	ldns_rr_list *g = pick(p, LDNS_SECTION_AUTHORITY, NULL,
	    LDNS_RR_TYPE_RRSIG, LDNS_RR_TYPE_NSEC);
	ldns_rr *q = qrr(name, type);
	ldns_status st = ldns_dnssec_verify_denial(q, n, g);

	ldns_rr_free(q);
	ldns_rr_list_free(n);
	ldns_rr_list_free(g);
	return st;
}

static ldns_status
denial_nsec3(
    const ldns_pkt *p, const char *name, ldns_rr_type type, bool nodata)
{
	ldns_rr_list *n =
	    pick(p, LDNS_SECTION_AUTHORITY, NULL, LDNS_RR_TYPE_NSEC3, 0);
	ldns_rr_list *g = pick(p, LDNS_SECTION_AUTHORITY, NULL,
	    LDNS_RR_TYPE_RRSIG, LDNS_RR_TYPE_NSEC3);
	ldns_rr *q = qrr(name, type);
	ldns_status st = ldns_dnssec_verify_denial_nsec3(
	    q, n, g, ldns_pkt_get_rcode(p), type, nodata);

	ldns_rr_free(q);
	ldns_rr_list_free(n);
	ldns_rr_list_free(g);
	return st;
}

/*
 * RFC 5155 7.2.3: one NSEC3, matching name, without type (and with has,
 * unless 0).  Checked here rather than with ldns's NODATA verifier,
 * which leaks in ldns 1.8.3 (ldns_dnssec_verify_denial_nsec3_match).
 */
static void
assert_n3_nodata(
    const ldns_pkt *p, const char *name, ldns_rr_type type, ldns_rr_type has)
{
	ldns_rr_list *l =
	    pick(p, LDNS_SECTION_AUTHORITY, NULL, LDNS_RR_TYPE_NSEC3, 0);
	ldns_rr *m;

	assert_int_equal(ldns_rr_list_rr_count(l), 1);
	m = n3_for(l, name, true);
	assert_non_null(m);
	assert_false(bitmap_has(m, type));
	if (has != 0)
		assert_true(bitmap_has(m, has));
	ldns_rr_list_free(l);
}

static const ldns_rr_list *
keys_of(const struct fx *x, const char *zone)
{
	return wzone(x->w, zone)->dnskeys;
}

/* ---- answers ---- */

static void
test_positive(void **state)
{
	struct fx x;
	ldns_pkt *p;

	(void)state;
	fx_open(&x, ts_world(SCEN_DENIAL_NSEC));
	p = ask(&x, "example.net.", "example.net.", LDNS_RR_TYPE_MX, true);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	assert_true(ldns_pkt_aa(p));
	assert_false(ldns_pkt_tc(p));
	assert_int_equal(ldns_pkt_id(p), 0x4242);
	assert_int_equal(
	    cnt(p, LDNS_SECTION_ANSWER, "example.net.", LDNS_RR_TYPE_MX), 1);
	verify_rrset(p, LDNS_SECTION_ANSWER, "example.net.", LDNS_RR_TYPE_MX,
	    keys_of(&x, "example.net."));
	/* As NSD: apex NS in authority, MX target and NS addresses. */
	verify_rrset(p, LDNS_SECTION_AUTHORITY, "example.net.", LDNS_RR_TYPE_NS,
	    keys_of(&x, "example.net."));
	verify_rrset(p, LDNS_SECTION_ADDITIONAL, "mx1.example.net.",
	    LDNS_RR_TYPE_A, keys_of(&x, "example.net."));
	assert_int_equal(
	    cnt(p, LDNS_SECTION_ADDITIONAL, "ns1.example.net.", LDNS_RR_TYPE_A),
	    1);
	assert_true(ldns_pkt_edns(p));
	assert_true(ldns_pkt_edns_do(p));
	assert_int_equal(ldns_pkt_edns_udp_size(p), DNS_UDP_MAX);
	ldns_pkt_free(p);

	/* Without DO: the same data, no DNSSEC records, DO not echoed. */
	p = ask(&x, "example.net.", "example.net.", LDNS_RR_TYPE_MX, false);
	assert_true(ldns_pkt_aa(p));
	assert_int_equal(ldns_pkt_ancount(p), 1);
	assert_int_equal(dnssec_records(p), 0);
	assert_false(ldns_pkt_edns_do(p));
	ldns_pkt_free(p);

	/* TLSA, the reason for all this. */
	p = ask(&x, "example.net.", "_25._tcp.mx1.example.net.",
	    LDNS_RR_TYPE_TLSA, true);
	verify_rrset(p, LDNS_SECTION_ANSWER, "_25._tcp.mx1.example.net.",
	    LDNS_RR_TYPE_TLSA, keys_of(&x, "example.net."));
	ldns_pkt_free(p);

	/* DNSKEY: signed by the KSK, no authority section (as NSD). */
	p = ask(&x, "example.net.", "example.net.", LDNS_RR_TYPE_DNSKEY, true);
	assert_int_equal(ldns_pkt_ancount(p), 3);
	verify_rrset(p, LDNS_SECTION_ANSWER, "example.net.",
	    LDNS_RR_TYPE_DNSKEY, keys_of(&x, "example.net."));
	assert_int_equal(ldns_pkt_nscount(p), 0);
	ldns_pkt_free(p);

	/* An explicit RRSIG query gets RRSIGs even without DO: over the A
	 * and the NSEC of mx1. */
	p = ask(
	    &x, "example.net.", "mx1.example.net.", LDNS_RR_TYPE_RRSIG, false);
	assert_int_equal(
	    cnt(p, LDNS_SECTION_ANSWER, "mx1.example.net.", LDNS_RR_TYPE_RRSIG),
	    2);
	ldns_pkt_free(p);
	fx_close(&x);
}

static void
test_referral_ds(void **state)
{
	struct fx x;
	ldns_pkt *p;
	ldns_rr_list *ds;

	(void)state;
	fx_open(&x, ts_world(SCEN_DENIAL_NSEC));
	/* The root, asked for a name in net.: a referral with DS. */
	p = ask(&x, ".", "mx1.example.net.", LDNS_RR_TYPE_A, true);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	assert_false(ldns_pkt_aa(p));
	assert_int_equal(ldns_pkt_ancount(p), 0);
	assert_int_equal(
	    cnt(p, LDNS_SECTION_AUTHORITY, "net.", LDNS_RR_TYPE_NS), 1);
	ds = pick(p, LDNS_SECTION_AUTHORITY, "net.", LDNS_RR_TYPE_DS, 0);
	assert_int_equal(ldns_rr_list_rr_count(ds), 1);
	/* The DS matches net.'s KSK. */
	assert_true(ldns_rr_compare_ds(ldns_rr_list_rr(ds, 0),
			ldns_rr_list_rr(keys_of(&x, "net."), 0)) ||
	    ldns_rr_compare_ds(ldns_rr_list_rr(ds, 0),
		ldns_rr_list_rr(keys_of(&x, "net."), 1)));
	ldns_rr_list_free(ds);
	verify_rrset(p, LDNS_SECTION_AUTHORITY, "net.", LDNS_RR_TYPE_DS,
	    keys_of(&x, "."));
	/* The NS RRset of a referral is not signed, glue neither. */
	assert_int_equal(
	    cnt(p, LDNS_SECTION_AUTHORITY, NULL, LDNS_RR_TYPE_RRSIG), 1);
	assert_int_equal(
	    cnt(p, LDNS_SECTION_ADDITIONAL, "ns1.net.", LDNS_RR_TYPE_A), 1);
	assert_int_equal(
	    cnt(p, LDNS_SECTION_ADDITIONAL, NULL, LDNS_RR_TYPE_RRSIG), 0);
	ldns_pkt_free(p);

	/* net. refers to example.net.; without DO: no DS. */
	p = ask(
	    &x, "net.", "_25._tcp.mx1.example.net.", LDNS_RR_TYPE_TLSA, false);
	assert_false(ldns_pkt_aa(p));
	assert_int_equal(
	    cnt(p, LDNS_SECTION_AUTHORITY, "example.net.", LDNS_RR_TYPE_NS), 1);
	assert_int_equal(dnssec_records(p), 0);
	assert_int_equal(
	    cnt(p, LDNS_SECTION_AUTHORITY, NULL, LDNS_RR_TYPE_DS), 0);
	assert_int_equal(
	    cnt(p, LDNS_SECTION_ADDITIONAL, "ns1.example.net.", LDNS_RR_TYPE_A),
	    1);
	ldns_pkt_free(p);
	fx_close(&x);
}

static void
test_referral_no_ds(void **state)
{
	enum scen_denial d;

	(void)state;
	for (d = SCEN_DENIAL_NSEC; d <= SCEN_DENIAL_NSEC3; d++) {
		struct fx x;
		ldns_rr_list *l;
		ldns_rr *m;
		ldns_pkt *p;

		fx_open(&x, ts_world(d));
		p = ask(&x, "net.", "www.nods.net.", LDNS_RR_TYPE_A, true);
		assert_false(ldns_pkt_aa(p));
		assert_int_equal(cnt(p, LDNS_SECTION_AUTHORITY, "nods.net.",
				     LDNS_RR_TYPE_NS),
		    1);
		assert_int_equal(
		    cnt(p, LDNS_SECTION_AUTHORITY, NULL, LDNS_RR_TYPE_DS), 0);
		if (d == SCEN_DENIAL_NSEC) {
			/* RFC 4035 3.1.4: the NSEC at the cut, no DS bit. */
			l = pick(p, LDNS_SECTION_AUTHORITY, "nods.net.",
			    LDNS_RR_TYPE_NSEC, 0);
			assert_int_equal(ldns_rr_list_rr_count(l), 1);
			m = ldns_rr_list_rr(l, 0);
			verify_rrset(p, LDNS_SECTION_AUTHORITY, "nods.net.",
			    LDNS_RR_TYPE_NSEC, keys_of(&x, "net."));
		} else {
			/* RFC 5155 7.2.7: the NSEC3 matching the cut. */
			l = pick(p, LDNS_SECTION_AUTHORITY, NULL,
			    LDNS_RR_TYPE_NSEC3, 0);
			assert_int_equal(ldns_rr_list_rr_count(l), 1);
			m = n3_for(l, "nods.net.", true);
			assert_non_null(m);
			assert_int_equal(
			    verify_section(
				p, LDNS_SECTION_AUTHORITY, keys_of(&x, "net.")),
			    1);
		}
		assert_true(bitmap_has(m, LDNS_RR_TYPE_NS));
		assert_false(bitmap_has(m, LDNS_RR_TYPE_DS));
		assert_false(bitmap_has(m, LDNS_RR_TYPE_SOA));
		ldns_rr_list_free(l);
		ldns_pkt_free(p);
		fx_close(&x);
	}
}

static void
test_ds_at_cut(void **state)
{
	struct fx x;
	struct dns_result r;
	ldns_pkt *p;

	(void)state;
	fx_open(&x, ts_world(SCEN_DENIAL_NSEC));
	/* DS is the parent's: an authoritative answer from net. */
	p = ask_at(&x, "net.", "example.net.", LDNS_RR_TYPE_DS, &ASK_DO, &r);
	assert_non_null(p);
	assert_true(ldns_pkt_aa(p));
	assert_int_equal(r.kind, DNS_KIND_ANSWER);
	assert_string_equal(r.zone, "net.");
	verify_rrset(p, LDNS_SECTION_ANSWER, "example.net.", LDNS_RR_TYPE_DS,
	    keys_of(&x, "net."));
	ldns_pkt_free(p);

	/* No DS at nods.net.: NODATA from the parent, with the NSEC. */
	p = ask(&x, "net.", "nods.net.", LDNS_RR_TYPE_DS, true);
	assert_true(ldns_pkt_aa(p));
	assert_int_equal(ldns_pkt_ancount(p), 0);
	assert_int_equal(
	    cnt(p, LDNS_SECTION_AUTHORITY, "net.", LDNS_RR_TYPE_SOA), 1);
	assert_int_equal(
	    denial_nsec(p, "nods.net.", LDNS_RR_TYPE_DS), LDNS_STATUS_OK);
	assert_int_equal(
	    verify_section(p, LDNS_SECTION_AUTHORITY, keys_of(&x, "net.")), 2);
	ldns_pkt_free(p);

	/* The child's own server knows no DS: NODATA from the child. */
	p = ask_at(
	    &x, "example.net.", "example.net.", LDNS_RR_TYPE_DS, &ASK_DO, &r);
	assert_true(ldns_pkt_aa(p));
	assert_int_equal(r.kind, DNS_KIND_NODATA);
	assert_int_equal(
	    cnt(p, LDNS_SECTION_AUTHORITY, "example.net.", LDNS_RR_TYPE_SOA),
	    1);
	ldns_pkt_free(p);

	/* In single-view mode the parent side answers. */
	{
		struct dns_engine *e1 = engine(x.w, true);
		uint8_t *wire;
		size_t len;

		wire =
		    query_wire("example.net.", LDNS_RR_TYPE_DS, &ASK_DO, &len);
		p = ask_raw(e1, 0, DNS_UDP, wire, len, &r);
		free(wire);
		assert_string_equal(r.zone, "net.");
		assert_int_equal(ldns_pkt_ancount(p), 2);
		ldns_pkt_free(p);
		dns_engine_free(e1);
	}
	fx_close(&x);
}

static void
test_nodata(void **state)
{
	enum scen_denial d;

	(void)state;
	for (d = SCEN_DENIAL_NSEC; d <= SCEN_DENIAL_NSEC3; d++) {
		struct fx x;
		struct dns_result r;
		ldns_rr_list *l;
		ldns_pkt *p;

		fx_open(&x, ts_world(d));
		p = ask_at(&x, "example.net.", "mx1.example.net.",
		    LDNS_RR_TYPE_TXT, &ASK_DO, &r);
		assert_int_equal(r.kind, DNS_KIND_NODATA);
		assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
		assert_true(ldns_pkt_aa(p));
		assert_int_equal(ldns_pkt_ancount(p), 0);
		verify_rrset(p, LDNS_SECTION_AUTHORITY, "example.net.",
		    LDNS_RR_TYPE_SOA, keys_of(&x, "example.net."));
		if (d == SCEN_DENIAL_NSEC) {
			l = pick(p, LDNS_SECTION_AUTHORITY, "mx1.example.net.",
			    LDNS_RR_TYPE_NSEC, 0);
			assert_int_equal(ldns_rr_list_rr_count(l), 1);
			assert_true(
			    bitmap_has(ldns_rr_list_rr(l, 0), LDNS_RR_TYPE_A));
			assert_false(bitmap_has(
			    ldns_rr_list_rr(l, 0), LDNS_RR_TYPE_TXT));
			ldns_rr_list_free(l);
			assert_int_equal(denial_nsec(p, "mx1.example.net.",
					     LDNS_RR_TYPE_TXT),
			    LDNS_STATUS_OK);
		} else {
			assert_n3_nodata(p, "mx1.example.net.",
			    LDNS_RR_TYPE_TXT, LDNS_RR_TYPE_A);
		}
		assert_int_equal(verify_section(p, LDNS_SECTION_AUTHORITY,
				     keys_of(&x, "example.net.")),
		    2);
		ldns_pkt_free(p);

		/* An empty non-terminal: _tcp.mx1 holds nothing itself. */
		p = ask_at(&x, "example.net.", "_tcp.mx1.example.net.",
		    LDNS_RR_TYPE_TLSA, &ASK_DO, &r);
		assert_int_equal(r.kind, DNS_KIND_NODATA);
		assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
		if (d == SCEN_DENIAL_NSEC)
			assert_int_equal(denial_nsec(p, "_tcp.mx1.example.net.",
					     LDNS_RR_TYPE_TLSA),
			    LDNS_STATUS_OK);
		else
			assert_n3_nodata(
			    p, "_tcp.mx1.example.net.", LDNS_RR_TYPE_TLSA, 0);
		ldns_pkt_free(p);

		/* No DO: SOA only. */
		p = ask(&x, "example.net.", "mx1.example.net.",
		    LDNS_RR_TYPE_TXT, false);
		assert_int_equal(ldns_pkt_nscount(p), 1);
		assert_int_equal(dnssec_records(p), 0);
		ldns_pkt_free(p);
		fx_close(&x);
	}
}

static void
test_nxdomain_nsec(void **state)
{
	struct fx x;
	ldns_rr_list *l;
	ldns_rdf *q, *w;
	ldns_pkt *p;
	size_t i;
	bool qc = false, wc = false;

	(void)state;
	fx_open(&x, ts_world(SCEN_DENIAL_NSEC));
	p = ask(&x, "example.net.", "nope.example.net.", LDNS_RR_TYPE_A, true);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NXDOMAIN);
	assert_true(ldns_pkt_aa(p));
	assert_int_equal(ldns_pkt_ancount(p), 0);
	assert_int_equal(denial_nsec(p, "nope.example.net.", LDNS_RR_TYPE_A),
	    LDNS_STATUS_OK);
	/* RFC 4035 3.1.3.2: the name is covered, so is *.example.net. */
	l = pick(p, LDNS_SECTION_AUTHORITY, NULL, LDNS_RR_TYPE_NSEC, 0);
	q = dn("nope.example.net.");
	w = dn("*.example.net.");
	for (i = 0; i < ldns_rr_list_rr_count(l); i++) {
		qc |= ldns_nsec_covers_name(ldns_rr_list_rr(l, i), q);
		wc |= ldns_nsec_covers_name(ldns_rr_list_rr(l, i), w);
	}
	assert_true(qc);
	assert_true(wc);
	ldns_rdf_deep_free(q);
	ldns_rdf_deep_free(w);
	ldns_rr_list_free(l);
	assert_true(verify_section(p, LDNS_SECTION_AUTHORITY,
			keys_of(&x, "example.net.")) >= 2);
	ldns_pkt_free(p);

	/* Deeper: the closest encloser is a.b.c's ancestor b.c (an empty
	 * non-terminal). */
	p = ask(&x, "example.net.", "x.b.c.example.net.", LDNS_RR_TYPE_A, true);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NXDOMAIN);
	assert_int_equal(denial_nsec(p, "x.b.c.example.net.", LDNS_RR_TYPE_A),
	    LDNS_STATUS_OK);
	ldns_pkt_free(p);

	/* The root, for a TLD that does not exist. */
	p = ask(&x, ".", "nosuchtld.", LDNS_RR_TYPE_A, true);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NXDOMAIN);
	assert_int_equal(
	    denial_nsec(p, "nosuchtld.", LDNS_RR_TYPE_A), LDNS_STATUS_OK);
	assert_true(
	    verify_section(p, LDNS_SECTION_AUTHORITY, keys_of(&x, ".")) >= 2);
	ldns_pkt_free(p);
	fx_close(&x);
}

static void
test_nxdomain_nsec3(void **state)
{
	struct fx x;
	ldns_rr_list *l;
	ldns_pkt *p;

	(void)state;
	fx_open(&x, ts_world(SCEN_DENIAL_NSEC3));
	p = ask(&x, "example.net.", "nope.example.net.", LDNS_RR_TYPE_A, true);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NXDOMAIN);
	assert_int_equal(
	    cnt(p, LDNS_SECTION_AUTHORITY, NULL, LDNS_RR_TYPE_NSEC), 0);
	assert_int_equal(
	    denial_nsec3(p, "nope.example.net.", LDNS_RR_TYPE_A, false),
	    LDNS_STATUS_OK);
	/* RFC 5155 7.2.2, checked independently: closest encloser
	 * matched, next closer covered, wildcard covered. */
	l = pick(p, LDNS_SECTION_AUTHORITY, NULL, LDNS_RR_TYPE_NSEC3, 0);
	assert_non_null(n3_for(l, "example.net.", true));
	assert_non_null(n3_for(l, "nope.example.net.", false));
	assert_non_null(n3_for(l, "*.example.net.", false));
	ldns_rr_list_free(l);
	assert_true(verify_section(p, LDNS_SECTION_AUTHORITY,
			keys_of(&x, "example.net.")) >= 2);
	ldns_pkt_free(p);

	/* Two labels below an empty non-terminal: the closest encloser
	 * is b.c, the next closer x.b.c. */
	p = ask(
	    &x, "example.net.", "y.x.b.c.example.net.", LDNS_RR_TYPE_A, true);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NXDOMAIN);
	l = pick(p, LDNS_SECTION_AUTHORITY, NULL, LDNS_RR_TYPE_NSEC3, 0);
	assert_non_null(n3_for(l, "b.c.example.net.", true));
	assert_non_null(n3_for(l, "x.b.c.example.net.", false));
	assert_non_null(n3_for(l, "*.b.c.example.net.", false));
	ldns_rr_list_free(l);
	ldns_pkt_free(p);

	/* A TLD's NSEC3 chain too. */
	p = ask(&x, "net.", "nothing.net.", LDNS_RR_TYPE_MX, true);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NXDOMAIN);
	assert_int_equal(
	    denial_nsec3(p, "nothing.net.", LDNS_RR_TYPE_MX, false),
	    LDNS_STATUS_OK);
	ldns_pkt_free(p);
	fx_close(&x);
}

static void
test_wildcard(void **state)
{
	enum scen_denial d;

	(void)state;
	for (d = SCEN_DENIAL_NSEC; d <= SCEN_DENIAL_NSEC3; d++) {
		struct fx x;
		ldns_rr_list *l;
		ldns_pkt *p;

		fx_open(&x, ts_world(d));
		p = ask(&x, "example.net.", "x.wild.example.net.",
		    LDNS_RR_TYPE_TXT, true);
		assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
		assert_true(ldns_pkt_aa(p));
		/* Expanded owner; the RRSIG labels field says wildcard. */
		assert_int_equal(cnt(p, LDNS_SECTION_ANSWER,
				     "x.wild.example.net.", LDNS_RR_TYPE_TXT),
		    1);
		l = pick(p, LDNS_SECTION_ANSWER, "x.wild.example.net.",
		    LDNS_RR_TYPE_RRSIG, LDNS_RR_TYPE_TXT);
		assert_int_equal(ldns_rr_list_rr_count(l), 1);
		assert_int_equal(ldns_rdf2native_int8(ldns_rr_rrsig_labels(
				     ldns_rr_list_rr(l, 0))),
		    3);
		ldns_rr_list_free(l);
		verify_rrset(p, LDNS_SECTION_ANSWER, "x.wild.example.net.",
		    LDNS_RR_TYPE_TXT, keys_of(&x, "example.net."));
		/* The proof that x.wild itself does not exist. */
		if (d == SCEN_DENIAL_NSEC) {
			ldns_rdf *q = dn("x.wild.example.net.");

			l = pick(p, LDNS_SECTION_AUTHORITY, NULL,
			    LDNS_RR_TYPE_NSEC, 0);
			assert_int_equal(ldns_rr_list_rr_count(l), 1);
			assert_true(
			    ldns_nsec_covers_name(ldns_rr_list_rr(l, 0), q));
			ldns_rdf_deep_free(q);
		} else {
			l = pick(p, LDNS_SECTION_AUTHORITY, NULL,
			    LDNS_RR_TYPE_NSEC3, 0);
			assert_int_equal(ldns_rr_list_rr_count(l), 1);
			assert_non_null(
			    n3_for(l, "x.wild.example.net.", false));
		}
		ldns_rr_list_free(l);
		assert_true(verify_section(p, LDNS_SECTION_AUTHORITY,
				keys_of(&x, "example.net.")) >= 1);
		ldns_pkt_free(p);

		/* Wildcard NODATA (RFC 4035 3.1.3.4, RFC 5155 7.2.5). */
		p = ask(&x, "example.net.", "y.wild.example.net.",
		    LDNS_RR_TYPE_MX, true);
		assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
		assert_int_equal(ldns_pkt_ancount(p), 0);
		if (d == SCEN_DENIAL_NSEC) {
			l = pick(p, LDNS_SECTION_AUTHORITY,
			    "*.wild.example.net.", LDNS_RR_TYPE_NSEC, 0);
			assert_int_equal(ldns_rr_list_rr_count(l), 1);
			assert_false(
			    bitmap_has(ldns_rr_list_rr(l, 0), LDNS_RR_TYPE_MX));
		} else {
			l = pick(p, LDNS_SECTION_AUTHORITY, NULL,
			    LDNS_RR_TYPE_NSEC3, 0);
			assert_non_null(n3_for(l, "wild.example.net.", true));
			assert_non_null(
			    n3_for(l, "y.wild.example.net.", false));
			assert_non_null(n3_for(l, "*.wild.example.net.", true));
		}
		ldns_rr_list_free(l);
		ldns_pkt_free(p);

		/* Wildcards do not answer for names that exist. */
		p = ask(&x, "example.net.", "wild.example.net.",
		    LDNS_RR_TYPE_TXT, false);
		assert_int_equal(ldns_pkt_ancount(p), 0);
		ldns_pkt_free(p);
		fx_close(&x);
	}
}

static void
test_cname(void **state)
{
	struct fx x;
	ldns_pkt *p;

	(void)state;
	fx_open(&x, ts_world(SCEN_DENIAL_NSEC));
	/* Followed inside the zone. */
	p = ask(&x, "example.net.", "www.example.net.", LDNS_RR_TYPE_A, true);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	assert_true(ldns_pkt_aa(p));
	verify_rrset(p, LDNS_SECTION_ANSWER, "www.example.net.",
	    LDNS_RR_TYPE_CNAME, keys_of(&x, "example.net."));
	verify_rrset(p, LDNS_SECTION_ANSWER, "mx1.example.net.", LDNS_RR_TYPE_A,
	    keys_of(&x, "example.net."));
	/* CNAME first. */
	assert_int_equal(
	    ldns_rr_get_type(ldns_rr_list_rr(ldns_pkt_answer(p), 0)),
	    LDNS_RR_TYPE_CNAME);
	ldns_pkt_free(p);

	/* To a name that does not exist: NXDOMAIN with the proof. */
	p = ask(
	    &x, "example.net.", "dangling.example.net.", LDNS_RR_TYPE_A, true);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NXDOMAIN);
	assert_int_equal(cnt(p, LDNS_SECTION_ANSWER, "dangling.example.net.",
			     LDNS_RR_TYPE_CNAME),
	    1);
	assert_int_equal(denial_nsec(p, "nope.example.net.", LDNS_RR_TYPE_A),
	    LDNS_STATUS_OK);
	ldns_pkt_free(p);

	/* Out of the zone: the CNAME alone, no extras (as NSD). */
	p = ask(&x, "example.net.", "far.example.net.", LDNS_RR_TYPE_A, false);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	assert_int_equal(ldns_pkt_ancount(p), 1);
	assert_int_equal(ldns_pkt_nscount(p), 0);
	assert_int_equal(ldns_pkt_arcount(p), 0); /* ldns takes the OPT out */
	ldns_pkt_free(p);

	/* NSEC and RRSIG live beside the CNAME: answered, not followed. */
	p = ask(
	    &x, "example.net.", "www.example.net.", LDNS_RR_TYPE_NSEC, false);
	assert_int_equal(ldns_pkt_ancount(p), 1);
	assert_int_equal(
	    cnt(p, LDNS_SECTION_ANSWER, "www.example.net.", LDNS_RR_TYPE_NSEC),
	    1);
	ldns_pkt_free(p);

	/* Asking for the CNAME itself does not follow it. */
	p = ask(
	    &x, "example.net.", "www.example.net.", LDNS_RR_TYPE_CNAME, false);
	assert_int_equal(ldns_pkt_ancount(p), 1);
	ldns_pkt_free(p);
	fx_close(&x);
}

static void
test_refused(void **state)
{
	struct fx x;
	struct dns_result r;
	ldns_pkt *p;
	uint8_t *wire;
	size_t len;
	ldns_pkt *q = NULL;

	(void)state;
	fx_open(&x, ts_world(SCEN_DENIAL_NSEC));
	/* Another zone's name, on example.net's address. */
	p = ask_at(&x, "example.net.", "mx1.example.org.", LDNS_RR_TYPE_A,
	    &ASK_DO, &r);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_REFUSED);
	assert_false(ldns_pkt_aa(p));
	assert_int_equal(r.kind, DNS_KIND_REFUSED);
	assert_null(r.zone);
	/* Extended DNS error 20, Not Authoritative. */
	assert_true(ldns_pkt_edns(p));
	assert_non_null(ldns_pkt_edns_data(p));
	assert_int_equal(ldns_rdf_size(ldns_pkt_edns_data(p)), 6);
	assert_int_equal(ldns_rdf_data(ldns_pkt_edns_data(p))[5], 20);
	ldns_pkt_free(p);
	/* The parent's name on the child's address, too. */
	p = ask(&x, "example.net.", "net.", LDNS_RR_TYPE_SOA, false);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_REFUSED);
	ldns_pkt_free(p);

	/* Class CH. */
	assert_int_equal(ldns_pkt_query_new_frm_str(&q, "example.net.",
			     LDNS_RR_TYPE_TXT, LDNS_RR_CLASS_CH, 0),
	    LDNS_STATUS_OK);
	assert_int_equal(ldns_pkt2wire(&wire, q, &len), LDNS_STATUS_OK);
	p = ask_raw(x.e, view_of(&x, "example.net."), DNS_UDP, wire, len, &r);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_REFUSED);
	ldns_pkt_free(p);
	free(wire);
	ldns_pkt_free(q);

	/* A zone transfer. */
	wire = query_wire("example.net.", LDNS_RR_TYPE_AXFR, &ASK_PLAIN, &len);
	p = ask_raw(x.e, view_of(&x, "example.net."), DNS_TCP, wire, len, &r);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_REFUSED);
	ldns_pkt_free(p);
	free(wire);
	fx_close(&x);
}

/* A query header: id 0x0102, flags, counts. */
static size_t
hdr(uint8_t *b, uint16_t flags, uint16_t qd, uint16_t an, uint16_t ns,
    uint16_t ar)
{
	b[0] = 1;
	b[1] = 2;
	b[2] = (uint8_t)(flags >> 8);
	b[3] = (uint8_t)flags;
	b[4] = (uint8_t)(qd >> 8);
	b[5] = (uint8_t)qd;
	b[6] = (uint8_t)(an >> 8);
	b[7] = (uint8_t)an;
	b[8] = (uint8_t)(ns >> 8);
	b[9] = (uint8_t)ns;
	b[10] = (uint8_t)(ar >> 8);
	b[11] = (uint8_t)ar;
	return 12;
}

/* Question "example.net. A IN" at b. */
static size_t
question(uint8_t *b)
{
	static const uint8_t q[] = {7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3,
	    'n', 'e', 't', 0, 0, 1, 0, 1};

	memcpy(b, q, sizeof(q));
	return sizeof(q);
}

/* An OPT record: payload, version, DO, and rdata. */
static size_t
opt(uint8_t *b, uint16_t payload, uint8_t version, const uint8_t *rd,
    size_t rdlen)
{
	b[0] = 0;
	b[1] = 0;
	b[2] = 41;
	b[3] = (uint8_t)(payload >> 8);
	b[4] = (uint8_t)payload;
	b[5] = 0;
	b[6] = version;
	b[7] = 0x80;
	b[8] = 0;
	b[9] = (uint8_t)(rdlen >> 8);
	b[10] = (uint8_t)rdlen;
	if (rdlen > 0)
		memcpy(b + 11, rd, rdlen);
	return 11 + rdlen;
}

/* rcode of the response to raw bytes (-1: no response). */
static int
raw_rcode(struct fx *x, const uint8_t *b, size_t n, struct dns_result *r)
{
	ldns_pkt *p =
	    ask_raw(x->e, view_of(x, "example.net."), DNS_UDP, b, n, r);
	int rc;

	if (p == NULL)
		return -1;
	rc = ldns_pkt_get_rcode(p) |
	    (ldns_pkt_edns(p) ? ldns_pkt_edns_extended_rcode(p) << 4 : 0);
	ldns_pkt_free(p);
	return rc;
}

static void
test_malformed(void **state)
{
	static const uint8_t nsid[] = {0, 3, 0, 0};
	static const uint8_t badopt[] = {0, 3, 0, 9, 1};
	struct dns_result r;
	struct fx x;
	uint8_t b[512];
	size_t n;

	(void)state;
	fx_open(&x, ts_world(SCEN_DENIAL_NSEC));
	/* Shorter than a header, or a response: not answered. */
	hdr(b, 0, 1, 0, 0, 0);
	assert_int_equal(raw_rcode(&x, b, 11, &r), -1);
	assert_int_equal(r.action, DNS_ACT_DROP);
	n = hdr(b, 0x8000, 1, 0, 0, 0);
	n += question(b + n);
	assert_int_equal(raw_rcode(&x, b, n, &r), -1);

	/* Well formed, with a valid option: answered. */
	n = hdr(b, 0, 1, 0, 0, 1);
	n += question(b + n);
	n += opt(b + n, 1232, 0, nsid, sizeof(nsid));
	assert_int_equal(raw_rcode(&x, b, n, &r), LDNS_RCODE_NOERROR);
	assert_int_equal(r.kind, DNS_KIND_NODATA);

	/* FORMERR: no question, two questions, a cut question. */
	n = hdr(b, 0, 0, 0, 0, 0);
	assert_int_equal(raw_rcode(&x, b, n, &r), LDNS_RCODE_FORMERR);
	assert_int_equal(r.kind, DNS_KIND_ERROR);
	n = hdr(b, 0, 2, 0, 0, 0);
	n += question(b + n);
	n += question(b + n);
	assert_int_equal(raw_rcode(&x, b, n, &r), LDNS_RCODE_FORMERR);
	n = hdr(b, 0, 1, 0, 0, 0);
	n += question(b + n);
	assert_int_equal(raw_rcode(&x, b, n - 3, &r), LDNS_RCODE_FORMERR);
	assert_int_equal(raw_rcode(&x, b, 16, &r), LDNS_RCODE_FORMERR);
	/* A compression pointer in the question. */
	n = hdr(b, 0, 1, 0, 0, 0);
	b[n++] = 0xc0;
	b[n++] = 12;
	b[n++] = 0;
	b[n++] = 1;
	b[n++] = 0;
	b[n++] = 1;
	assert_int_equal(raw_rcode(&x, b, n, &r), LDNS_RCODE_FORMERR);
	/* Records announced but missing; an answer section in a query. */
	n = hdr(b, 0, 1, 0, 0, 1);
	n += question(b + n);
	assert_int_equal(raw_rcode(&x, b, n, &r), LDNS_RCODE_FORMERR);
	n = hdr(b, 0, 1, 1, 0, 0);
	n += question(b + n);
	n += opt(b + n, 1232, 0, NULL, 0); /* any record will do */
	assert_int_equal(raw_rcode(&x, b, n, &r), LDNS_RCODE_FORMERR);
	/* Bad OPT: an option running past its record; two OPTs; not the
	 * root as owner.  No OPT is echoed then. */
	n = hdr(b, 0, 1, 0, 0, 1);
	n += question(b + n);
	n += opt(b + n, 1232, 0, badopt, sizeof(badopt));
	assert_int_equal(raw_rcode(&x, b, n, &r), LDNS_RCODE_FORMERR);
	assert_false(r.edns);
	n = hdr(b, 0, 1, 0, 0, 2);
	n += question(b + n);
	n += opt(b + n, 1232, 0, NULL, 0);
	n += opt(b + n, 1232, 0, NULL, 0);
	assert_int_equal(raw_rcode(&x, b, n, &r), LDNS_RCODE_FORMERR);
	n = hdr(b, 0, 1, 0, 0, 1);
	n += question(b + n);
	b[n++] = 1;
	b[n++] = 'x'; /* owner x. instead of the root */
	n += opt(b + n, 1232, 0, NULL, 0);
	assert_int_equal(raw_rcode(&x, b, n, &r), LDNS_RCODE_FORMERR);

	/* NOTIMP: opcode STATUS (2). */
	n = hdr(b, 2 << 11, 1, 0, 0, 0);
	n += question(b + n);
	assert_int_equal(raw_rcode(&x, b, n, &r), LDNS_RCODE_NOTIMPL);
	assert_int_equal(r.opcode, 2);

	/* BADVERS: EDNS version 1; the OPT answers with version 0. */
	n = hdr(b, 0, 1, 0, 0, 1);
	n += question(b + n);
	n += opt(b + n, 1232, 1, NULL, 0);
	assert_int_equal(raw_rcode(&x, b, n, &r), 16);
	assert_int_equal(r.rcode, 16);
	{
		struct ask a = ASK_DO;
		ldns_pkt *p;

		a.edns_version = 1;
		p = ask_at(
		    &x, "example.net.", "example.net.", LDNS_RR_TYPE_A, &a, &r);
		assert_int_equal(ldns_pkt_edns_version(p), 0);
		assert_int_equal(ldns_pkt_edns_extended_rcode(p), 1);
		assert_int_equal(ldns_pkt_ancount(p), 0);
		ldns_pkt_free(p);
	}
	fx_close(&x);
}

static void
test_truncation(void **state)
{
	struct ask a = ASK_DO;
	struct dns_result r;
	struct fx x;
	ldns_pkt *p;

	(void)state;
	fx_open(&x, ts_world(SCEN_DENIAL_NSEC));
	/* 12 TXT records and their RRSIG: more than 512 bytes. */
	a.edns = 512;
	p = ask_at(
	    &x, "example.net.", "big.example.net.", LDNS_RR_TYPE_TXT, &a, &r);
	assert_true(ldns_pkt_tc(p));
	assert_int_equal(ldns_pkt_ancount(p), 0);
	assert_true(ldns_pkt_edns(p));
	assert_true(r.len <= 512);
	assert_int_equal(r.kind, DNS_KIND_ANSWER);
	ldns_pkt_free(p);
	/* Below 512 counts as 512; without EDNS it is 512 too. */
	a.edns = 100;
	p = ask_at(
	    &x, "example.net.", "big.example.net.", LDNS_RR_TYPE_TXT, &a, &r);
	assert_true(ldns_pkt_tc(p));
	ldns_pkt_free(p);
	a.edns = 0;
	p = ask_at(
	    &x, "example.net.", "big.example.net.", LDNS_RR_TYPE_TXT, &a, &r);
	assert_true(ldns_pkt_tc(p));
	assert_false(ldns_pkt_edns(p));
	ldns_pkt_free(p);
	/* It fits in 1232, and over TCP. */
	p = ask(&x, "example.net.", "big.example.net.", LDNS_RR_TYPE_TXT, true);
	assert_false(ldns_pkt_tc(p));
	assert_int_equal(ldns_pkt_ancount(p), 13);
	ldns_pkt_free(p);
	a = ASK_DO;
	a.edns = 512;
	a.tr = DNS_TCP;
	p = ask_at(
	    &x, "example.net.", "big.example.net.", LDNS_RR_TYPE_TXT, &a, &r);
	assert_false(ldns_pkt_tc(p));
	assert_int_equal(ldns_pkt_ancount(p), 13);
	ldns_pkt_free(p);

	/* Optional data goes first: at 512 the MX answer keeps its
	 * signature and loses (some of) its extras, without TC. */
	a = ASK_DO;
	a.edns = 512;
	p = ask_at(&x, "example.net.", "example.net.", LDNS_RR_TYPE_MX, &a, &r);
	assert_false(ldns_pkt_tc(p));
	assert_int_equal(ldns_pkt_ancount(p), 2);
	assert_true(r.len <= 512);
	assert_true(ldns_pkt_arcount(p) < 5);
	ldns_pkt_free(p);

	/* Required glue that does not fit sets TC (RFC 9471). */
	fx_close(&x);
}

static void
test_case_and_id(void **state)
{
	struct ask a = ASK_DO;
	struct dns_result r;
	struct fx x;
	uint8_t *wire;
	size_t len;
	int i;

	(void)state;
	fx_open(&x, ts_world(SCEN_DENIAL_NSEC));
	a.rd = true;
	/* Twice: built, then from the cache. */
	for (i = 0; i < 2; i++) {
		ldns_pkt *p;
		char *s;

		wire = query_wire("Mx1.ExAmPlE.NET.", LDNS_RR_TYPE_A, &a, &len);
		wire[0] = (uint8_t)(0x10 + i);
		wire[3] |= 0x10; /* CD */
		p = ask_raw(
		    x.e, view_of(&x, "example.net."), DNS_UDP, wire, len, &r);
		/* The question's bytes are the query's. */
		assert_memory_equal(outbuf + 12, wire + 12, len - 12 - 11);
		assert_int_equal(ldns_pkt_id(p), 0x1042 + (i << 8));
		assert_true(ldns_pkt_rd(p));
		assert_true(ldns_pkt_cd(p));
		assert_true(ldns_pkt_aa(p));
		s = ldns_rdf2str(
		    ldns_rr_owner(ldns_rr_list_rr(ldns_pkt_answer(p), 0)));
		assert_string_equal(s, "Mx1.ExAmPlE.NET.");
		free(s);
		/* Case does not break the signature. */
		verify_rrset(p, LDNS_SECTION_ANSWER, "mx1.example.net.",
		    LDNS_RR_TYPE_A, keys_of(&x, "example.net."));
		ldns_pkt_free(p);
		free(wire);
	}
	fx_close(&x);
}

static void
test_unsigned(void **state)
{
	struct scenario *s = ts_world(SCEN_DENIAL_NSEC);
	struct fx x;
	ldns_pkt *p;

	(void)state;
	s->zones[0].is_signed = false;
	fx_open(&x, s);
	p = ask(&x, "example.net.", "example.net.", LDNS_RR_TYPE_MX, true);
	assert_true(ldns_pkt_aa(p));
	assert_int_equal(ldns_pkt_ancount(p), 1);
	assert_int_equal(dnssec_records(p), 0);
	ldns_pkt_free(p);
	p = ask(&x, "example.net.", "nope.example.net.", LDNS_RR_TYPE_A, true);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NXDOMAIN);
	assert_int_equal(dnssec_records(p), 0);
	ldns_pkt_free(p);
	p = ask(&x, "example.net.", "example.net.", LDNS_RR_TYPE_DNSKEY, true);
	assert_int_equal(ldns_pkt_ancount(p), 0);
	ldns_pkt_free(p);
	/* The signed parent proves the delegation insecure. */
	p = ask(&x, "net.", "mx1.example.net.", LDNS_RR_TYPE_A, true);
	assert_false(ldns_pkt_aa(p));
	assert_int_equal(
	    cnt(p, LDNS_SECTION_AUTHORITY, NULL, LDNS_RR_TYPE_DS), 0);
	assert_int_equal(
	    cnt(p, LDNS_SECTION_AUTHORITY, "example.net.", LDNS_RR_TYPE_NSEC),
	    1);
	ldns_pkt_free(p);
	fx_close(&x);
}

static void
test_cname_nsec3(void **state)
{
	struct fx x;
	ldns_pkt *p;

	(void)state;
	/* Without an NSEC beside it, NSEC queries follow the CNAME. */
	fx_open(&x, ts_world(SCEN_DENIAL_NSEC3));
	p = ask(
	    &x, "example.net.", "www.example.net.", LDNS_RR_TYPE_NSEC, true);
	assert_int_equal(
	    cnt(p, LDNS_SECTION_ANSWER, "www.example.net.", LDNS_RR_TYPE_CNAME),
	    1);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	ldns_pkt_free(p);
	fx_close(&x);
}

static void
test_no_rrsig(void **state)
{
	struct scenario *s = ts_world(SCEN_DENIAL_NSEC);
	struct scen_fault *f;
	struct fx x;
	ldns_pkt *p;

	(void)state;
	/* Every RRSIG of example.net removed: NSEC records stay in the
	 * zone, but (as NSD) no denial is sent from a zone without any
	 * signature; the NSEC itself can still be asked for. */
	f = ts_fault(s, SCEN_FAULT_SIGNATURES);
	f->zone = tdup("example.net.");
	f->sig = SCEN_SIG_MISSING;
	fx_open(&x, s);
	p = ask(&x, "example.net.", "nope.example.net.", LDNS_RR_TYPE_A, true);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NXDOMAIN);
	assert_int_equal(ldns_pkt_nscount(p), 1);
	assert_int_equal(dnssec_records(p), 0);
	ldns_pkt_free(p);
	p = ask(&x, "example.net.", "example.net.", LDNS_RR_TYPE_NSEC, true);
	assert_int_equal(ldns_pkt_ancount(p), 1);
	ldns_pkt_free(p);
	fx_close(&x);
}

/* ---- denial faults ---- */

/* The SOA of the authority section of p (borrowed), or NULL. */
static ldns_rr *
auth_soa(const ldns_pkt *p)
{
	ldns_rr_list *l = ldns_pkt_authority(p);
	size_t i;

	for (i = 0; i < ldns_rr_list_rr_count(l); i++)
		if (ldns_rr_get_type(ldns_rr_list_rr(l, i)) ==
		    LDNS_RR_TYPE_SOA)
			return ldns_rr_list_rr(l, i);
	return NULL;
}

/*
 * proof-missing, proof-wrong and soa-changed break the proof of the
 * negative answers for the faulted name -- and of any other negative
 * answer carrying its proof records -- with DO only; positive answers
 * and other names keep theirs.
 */
static void
test_denial_faults(void **state)
{
	struct scenario *s;
	struct dns_result r;
	struct fx x;
	ldns_pkt *p;
	ldns_rr *soa;
	uint32_t serial;

	(void)state;
	/* proof-missing, NSEC: NXDOMAIN with the SOA only. */
	s = ts_world(SCEN_DENIAL_NSEC);
	ts_dns_fault(s, "nope.example.net.", LDNS_RR_TYPE_A,
	    SCEN_DNS_PROOF_MISSING);
	fx_open(&x, s);
	p = ask_at(&x, "example.net.", "nope.example.net.", LDNS_RR_TYPE_A,
	    &ASK_DO, &r);
	assert_non_null(p);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NXDOMAIN);
	assert_non_null(r.fault);
	assert_int_equal(r.fault->dns, SCEN_DNS_PROOF_MISSING);
	assert_int_equal(
	    cnt(p, LDNS_SECTION_AUTHORITY, NULL, LDNS_RR_TYPE_NSEC), 0);
	assert_non_null(auth_soa(p));
	assert_int_not_equal(
	    denial_nsec(p, "nope.example.net.", LDNS_RR_TYPE_A),
	    LDNS_STATUS_OK);
	ldns_pkt_free(p);
	/* Another type at the name, and a name below it: the same NSEC
	 * would prove them, so they lose it too. */
	p = ask_at(&x, "example.net.", "x.nope.example.net.", LDNS_RR_TYPE_TXT,
	    &ASK_DO, &r);
	assert_non_null(r.fault);
	assert_int_equal(
	    cnt(p, LDNS_SECTION_AUTHORITY, NULL, LDNS_RR_TYPE_NSEC), 0);
	ldns_pkt_free(p);
	/* Without DO there is no proof to break: not faulted. */
	p = ask_at(&x, "example.net.", "nope.example.net.", LDNS_RR_TYPE_A,
	    &ASK_PLAIN, &r);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NXDOMAIN);
	assert_null(r.fault);
	ldns_pkt_free(p);
	/* A positive answer is untouched. */
	p = ask_at(&x, "example.net.", "mx1.example.net.", LDNS_RR_TYPE_A,
	    &ASK_DO, &r);
	assert_null(r.fault);
	assert_int_equal(ldns_pkt_ancount(p), 2);
	ldns_pkt_free(p);
	fx_close(&x);

	/* proof-wrong, NSEC3: NSEC3 records that prove nothing here. */
	s = ts_world(SCEN_DENIAL_NSEC3);
	ts_dns_fault(s, "nope.example.net.", 0, SCEN_DNS_PROOF_WRONG);
	fx_open(&x, s);
	p = ask_at(&x, "example.net.", "nope.example.net.", LDNS_RR_TYPE_A,
	    &ASK_DO, &r);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NXDOMAIN);
	assert_non_null(r.fault);
	assert_int_equal(r.fault->dns, SCEN_DNS_PROOF_WRONG);
	assert_true(
	    cnt(p, LDNS_SECTION_AUTHORITY, NULL, LDNS_RR_TYPE_NSEC3) > 0);
	assert_int_not_equal(
	    denial_nsec3(p, "nope.example.net.", LDNS_RR_TYPE_A, false),
	    LDNS_STATUS_OK);
	/* Each record is still validly signed: only the proof is wrong. */
	assert_true(verify_section(p, LDNS_SECTION_AUTHORITY,
			keys_of(&x, "example.net.")) >= 2);
	ldns_pkt_free(p);
	fx_close(&x);

	/* soa-changed: the proof intact, the SOA's serial bumped. */
	s = ts_world(SCEN_DENIAL_NSEC);
	ts_dns_fault(s, "nope.example.net.", LDNS_RR_TYPE_A,
	    SCEN_DNS_SOA_CHANGED);
	fx_open(&x, s);
	p = ask_at(&x, "example.net.", "example.net.", LDNS_RR_TYPE_SOA,
	    &ASK_DO, &r);
	assert_null(r.fault);
	serial = ldns_rdf2native_int32(
	    ldns_rr_rdf(ldns_rr_list_rr(ldns_pkt_answer(p), 0), 2));
	ldns_pkt_free(p);
	p = ask_at(&x, "example.net.", "nope.example.net.", LDNS_RR_TYPE_A,
	    &ASK_DO, &r);
	assert_non_null(r.fault);
	assert_int_equal(r.fault->dns, SCEN_DNS_SOA_CHANGED);
	assert_int_equal(
	    denial_nsec(p, "nope.example.net.", LDNS_RR_TYPE_A),
	    LDNS_STATUS_OK);
	assert_non_null(soa = auth_soa(p));
	assert_int_equal(
	    ldns_rdf2native_int32(ldns_rr_rdf(soa, 2)), serial + 1);
	ldns_pkt_free(p);
	fx_close(&x);
}

/* ---- faults ---- */

static ldns_pkt *
ask_tr(struct fx *x, const char *zone, const char *name, ldns_rr_type t,
    enum dns_transport tr, struct dns_result *r)
{
	struct ask a = ASK_DO;

	a.tr = tr;
	return ask_at(x, zone, name, t, &a, r);
}

static void
test_faults(void **state)
{
	struct scenario *s = ts_world(SCEN_DENIAL_NSEC);
	struct dns_result r;
	struct fx x;
	ldns_pkt *p;

	(void)state;
	ts_dns_fault(s, "_25._tcp.mx1.example.net.", LDNS_RR_TYPE_TLSA,
	    SCEN_DNS_SERVFAIL);
	ts_dns_fault(
	    s, "mx1.example.net.", LDNS_RR_TYPE_AAAA, SCEN_DNS_REFUSED);
	ts_dns_fault(s, "www.example.net.", 0, SCEN_DNS_TIMEOUT);
	ts_dns_fault(s, "big.example.net.", 0, SCEN_DNS_TRUNCATE);
	ts_dns_fault(s, "example.net.", LDNS_RR_TYPE_MX, SCEN_DNS_TCP_REFUSED);
	ts_dns_fault(s, "nods.net.", 0, SCEN_DNS_LAME);
	ts_dns_fault(s, "example.net.", LDNS_RR_TYPE_DS, SCEN_DNS_SERVFAIL);
	ts_dns_fault(s, "_25._tcp.mx2.example.net.", LDNS_RR_TYPE_TLSA,
	    SCEN_DNS_NOTIMP);
	fx_open(&x, s);

	/* notimp, for TLSA only: what a middlebox says of a type it does
	 * not know. */
	p = ask_tr(&x, "example.net.", "_25._tcp.mx2.example.net.",
	    LDNS_RR_TYPE_TLSA, DNS_UDP, &r);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NOTIMPL);
	assert_int_equal(r.fault->dns, SCEN_DNS_NOTIMP);
	assert_int_equal(r.kind, DNS_KIND_ERROR);
	assert_int_equal(ldns_pkt_ancount(p), 0);
	ldns_pkt_free(p);
	p = ask_tr(&x, "example.net.", "_25._tcp.mx2.example.net.",
	    LDNS_RR_TYPE_TXT, DNS_UDP, &r);
	assert_null(r.fault);
	ldns_pkt_free(p);

	/* servfail, for TLSA only. */
	p = ask_tr(&x, "example.net.", "_25._tcp.MX1.example.net.",
	    LDNS_RR_TYPE_TLSA, DNS_UDP, &r);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_SERVFAIL);
	assert_non_null(r.fault);
	assert_int_equal(r.fault->dns, SCEN_DNS_SERVFAIL);
	assert_int_equal(ldns_pkt_ancount(p), 0);
	assert_int_equal(ldns_pkt_qdcount(p), 1);
	ldns_pkt_free(p);
	p = ask_tr(&x, "example.net.", "_25._tcp.mx1.example.net.",
	    LDNS_RR_TYPE_TXT, DNS_UDP, &r);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	assert_null(r.fault);
	ldns_pkt_free(p);
	/* Only the authoritative server: net. still refers. */
	p = ask_tr(&x, "net.", "_25._tcp.mx1.example.net.", LDNS_RR_TYPE_TLSA,
	    DNS_UDP, &r);
	assert_int_equal(r.kind, DNS_KIND_REFERRAL);
	assert_null(r.fault);
	ldns_pkt_free(p);

	/* refused. */
	p = ask_tr(&x, "example.net.", "mx1.example.net.", LDNS_RR_TYPE_AAAA,
	    DNS_TCP, &r);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_REFUSED);
	assert_int_equal(r.fault->dns, SCEN_DNS_REFUSED);
	ldns_pkt_free(p);

	/* timeout: nothing, over both transports, any type. */
	p = ask_tr(&x, "example.net.", "www.example.net.", LDNS_RR_TYPE_A,
	    DNS_UDP, &r);
	assert_null(p);
	assert_int_equal(r.action, DNS_ACT_DROP);
	assert_int_equal(r.fault->dns, SCEN_DNS_TIMEOUT);
	p = ask_tr(&x, "example.net.", "www.example.net.", LDNS_RR_TYPE_TXT,
	    DNS_TCP, &r);
	assert_null(p);
	assert_int_equal(r.action, DNS_ACT_DROP);

	/* truncate: TC over UDP (even though it would fit), normal TCP. */
	p = ask_tr(&x, "example.net.", "big.example.net.", LDNS_RR_TYPE_TXT,
	    DNS_UDP, &r);
	assert_true(ldns_pkt_tc(p));
	assert_int_equal(ldns_pkt_ancount(p), 0);
	assert_int_equal(r.kind, DNS_KIND_TRUNCATED);
	ldns_pkt_free(p);
	p = ask_tr(&x, "example.net.", "big.example.net.", LDNS_RR_TYPE_TXT,
	    DNS_TCP, &r);
	assert_false(ldns_pkt_tc(p));
	assert_int_equal(ldns_pkt_ancount(p), 13);
	assert_null(r.fault);
	ldns_pkt_free(p);

	/* tcp-refused: TC over UDP, the connection closed over TCP. */
	p = ask_tr(
	    &x, "example.net.", "example.net.", LDNS_RR_TYPE_MX, DNS_UDP, &r);
	assert_true(ldns_pkt_tc(p));
	assert_int_equal(r.fault->dns, SCEN_DNS_TCP_REFUSED);
	ldns_pkt_free(p);
	p = ask_tr(
	    &x, "example.net.", "example.net.", LDNS_RR_TYPE_MX, DNS_TCP, &r);
	assert_null(p);
	assert_int_equal(r.action, DNS_ACT_CLOSE);
	/* The other names of that server work over TCP. */
	p = ask_tr(
	    &x, "example.net.", "example.net.", LDNS_RR_TYPE_SOA, DNS_TCP, &r);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	ldns_pkt_free(p);

	/* lame: nods.net's server refuses everything in its zone. */
	p = ask_tr(&x, "nods.net.", "nods.net.", LDNS_RR_TYPE_SOA, DNS_UDP, &r);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_REFUSED);
	assert_int_equal(r.fault->dns, SCEN_DNS_LAME);
	ldns_pkt_free(p);
	p = ask_tr(&x, "nods.net.", "x.nods.net.", LDNS_RR_TYPE_A, DNS_UDP, &r);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_REFUSED);
	ldns_pkt_free(p);
	/* ... while the parent still delegates to it. */
	p = ask_tr(&x, "net.", "x.nods.net.", LDNS_RR_TYPE_A, DNS_UDP, &r);
	assert_int_equal(r.kind, DNS_KIND_REFERRAL);
	ldns_pkt_free(p);

	/* A DS fault applies at the parent, not at the child. */
	p = ask_tr(&x, "net.", "example.net.", LDNS_RR_TYPE_DS, DNS_UDP, &r);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_SERVFAIL);
	ldns_pkt_free(p);
	p = ask_tr(
	    &x, "example.net.", "example.net.", LDNS_RR_TYPE_DS, DNS_UDP, &r);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	ldns_pkt_free(p);
	fx_close(&x);
}

static void
test_cache(void **state)
{
	struct dns_engine_stats st0, st;
	struct dns_result r;
	struct fx x;
	ldns_pkt *p, *p2;
	uint8_t first[DNS_MSG_MAX];
	size_t len;

	(void)state;
	fx_open(&x, ts_world(SCEN_DENIAL_NSEC3));
	dns_engine_stats(x.e, &st0);
	assert_true(st0.entries > 50);
	/* Every name and type of the zone is ready. */
	p = ask_at(&x, "example.net.", "_25._tcp.mx1.example.net.",
	    LDNS_RR_TYPE_TLSA, &ASK_DO, &r);
	dns_engine_stats(x.e, &st);
	assert_int_equal(st.hits, st0.hits + 1);
	assert_int_equal(st.misses, st0.misses);
	ldns_pkt_free(p);
	/* Other questions are added lazily, then hit. */
	p = ask_at(&x, "example.net.", "nope.example.net.", LDNS_RR_TYPE_A,
	    &ASK_DO, &r);
	len = r.len;
	memcpy(first, outbuf, len);
	p2 = ask_at(&x, "example.net.", "nope.example.net.", LDNS_RR_TYPE_A,
	    &ASK_DO, &r);
	dns_engine_stats(x.e, &st);
	assert_int_equal(st.misses, st0.misses + 1);
	assert_int_equal(st.hits, st0.hits + 2);
	assert_int_equal(st.entries, st0.entries + 1);
	assert_int_equal(r.len, len);
	assert_memory_equal(outbuf, first, len);
	ldns_pkt_free(p);
	ldns_pkt_free(p2);
	fx_close(&x);
}

/* ---- the server, over sockets ---- */

static uint16_t
free_port(void)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	close(fd);
	return ntohs(sa.sin_port);
}

/*
 * dns_server_new on a free port of 127.0.0.1.  free_port() finds a free
 * UDP port; its TCP twin may be taken by a test running beside this one,
 * so another port is tried then (the diagnostics of the failed tries go).
 */
static int
new_on_free_port(struct world *w, struct dns_server_opts *o,
    struct dns_server **srv, struct dl_diags *d)
{
	int rc = DL_EIO, tries;

	for (tries = 0; tries < 8 && rc == DL_EIO; tries++) {
		dl_diags_clear(d);
		dl_diags_init(d);
		o->port = free_port();
		rc = dns_server_new(w, o, srv, d);
	}
	return rc;
}

static void *
run_server(void *arg)
{
	return (void *)(intptr_t)dns_server_run(arg);
}

static int
connect_to(int type, uint16_t port)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, type, 0);

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons(port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/* Read exactly n bytes, 3 s at most. */
static bool
read_full(int fd, uint8_t *b, size_t n)
{
	size_t got = 0;

	while (got < n) {
		struct pollfd pf = {fd, POLLIN, 0};
		ssize_t k;

		if (poll(&pf, 1, 3000) != 1)
			return false;
		if ((k = read(fd, b + got, n - got)) <= 0)
			return false;
		got += (size_t)k;
	}
	return true;
}

static ldns_pkt *
udp_ask(uint16_t port, const char *name, ldns_rr_type t)
{
	struct pollfd pf;
	uint8_t *wire, buf[4096];
	ldns_pkt *p = NULL;
	size_t len;
	ssize_t n;
	int fd = connect_to(SOCK_DGRAM, port);

	wire = query_wire(name, t, &ASK_DO, &len);
	assert_int_equal(send(fd, wire, len, 0), (ssize_t)len);
	free(wire);
	pf.fd = fd;
	pf.events = POLLIN;
	assert_int_equal(poll(&pf, 1, 3000), 1);
	n = recv(fd, buf, sizeof(buf), 0);
	assert_true(n > 0);
	assert_int_equal(ldns_wire2pkt(&p, buf, (size_t)n), LDNS_STATUS_OK);
	close(fd);
	return p;
}

static void
test_server(void **state)
{
	struct scenario *s = ts_world(SCEN_DENIAL_NSEC);
	struct dns_server_opts o;
	struct dns_server *srv = NULL;
	struct world *w, *w2;
	struct evlog *log = NULL;
	struct dl_diags d;
	pthread_t th;
	char path[] = "/tmp/danelab-test-dns-XXXXXX";
	uint8_t *q1, *q2, msg[2 * 600], len2[2], ans[DNS_MSG_MAX];
	size_t l1, l2, n;
	uint32_t serial1;
	ldns_pkt *p;
	void *ret;
	int fd, i, lines = 0, tcp = 0, faults = 0;
	FILE *fp;
	char line[EVLOG_MAX_LINE + 2];

	(void)state;
	ts_dns_fault(s, "www.example.net.", 0, SCEN_DNS_TCP_REFUSED);
	w = build_at(s, NOW);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(evlog_open(path, 0, &log), 0);
	memset(&o, 0, sizeof(o));
	o.single_addr = "127.0.0.1";
	o.log = log;
	o.tcp_idle_ms = 2000;
	dl_diags_init(&d);
	assert_int_equal(new_on_free_port(w, &o, &srv, &d), 0);
	assert_int_equal(dns_server_port(srv), o.port);
	assert_int_equal(pthread_create(&th, NULL, run_server, srv), 0);

	/* UDP. */
	p = udp_ask(o.port, "_25._tcp.mx1.example.net.", LDNS_RR_TYPE_TLSA);
	assert_true(ldns_pkt_aa(p));
	assert_int_equal(ldns_pkt_ancount(p), 2);
	verify_rrset(p, LDNS_SECTION_ANSWER, "_25._tcp.mx1.example.net.",
	    LDNS_RR_TYPE_TLSA, world_zone(w, "example.net.")->dnskeys);
	ldns_pkt_free(p);

	/* TCP: two queries in one write, answered in order. */
	fd = connect_to(SOCK_STREAM, o.port);
	q1 = query_wire("example.net.", LDNS_RR_TYPE_MX, &ASK_DO, &l1);
	q2 = query_wire("big.example.net.", LDNS_RR_TYPE_TXT, &ASK_DO, &l2);
	q1[1] = 1;
	q2[1] = 2;
	n = 0;
	msg[n++] = (uint8_t)(l1 >> 8);
	msg[n++] = (uint8_t)l1;
	memcpy(msg + n, q1, l1);
	n += l1;
	msg[n++] = (uint8_t)(l2 >> 8);
	msg[n++] = (uint8_t)l2;
	memcpy(msg + n, q2, l2);
	n += l2;
	assert_int_equal(write(fd, msg, n), (ssize_t)n);
	for (i = 1; i <= 2; i++) {
		assert_true(read_full(fd, len2, 2));
		n = (size_t)len2[0] << 8 | len2[1];
		assert_true(read_full(fd, ans, n));
		assert_int_equal(ldns_wire2pkt(&p, ans, n), LDNS_STATUS_OK);
		assert_int_equal(ldns_pkt_id(p) & 0xff, i);
		assert_false(ldns_pkt_tc(p));
		assert_int_equal(ldns_pkt_ancount(p), i == 1 ? 2 : 13);
		ldns_pkt_free(p);
	}
	free(q1);
	free(q2);
	/* tcp-refused: the connection is reset, nothing is answered. */
	q1 = query_wire("www.example.net.", LDNS_RR_TYPE_A, &ASK_DO, &l1);
	len2[0] = (uint8_t)(l1 >> 8);
	len2[1] = (uint8_t)l1;
	assert_int_equal(write(fd, len2, 2), 2);
	assert_int_equal(write(fd, q1, l1), (ssize_t)l1);
	assert_false(read_full(fd, len2, 2));
	free(q1);
	close(fd);

	/* A new world while running: the SOA serial moves. */
	p = udp_ask(o.port, "example.net.", LDNS_RR_TYPE_SOA);
	serial1 = ldns_rdf2native_int32(
	    ldns_rr_rdf(ldns_rr_list_rr(ldns_pkt_answer(p), 0), 2));
	ldns_pkt_free(p);
	w2 = build_at(s, NOW + 100);
	assert_int_equal(dns_server_set_world(srv, w2), 0);
	world_free(w); /* no longer used */
	p = udp_ask(o.port, "example.net.", LDNS_RR_TYPE_SOA);
	assert_int_equal(ldns_rdf2native_int32(ldns_rr_rdf(
			     ldns_rr_list_rr(ldns_pkt_answer(p), 0), 2)),
	    serial1 + 100);
	ldns_pkt_free(p);

	dns_server_stop(srv);
	assert_int_equal(pthread_join(th, &ret), 0);
	assert_int_equal((intptr_t)ret, 0);
	dns_server_free(srv);
	evlog_free(log);

	/* One dns.query per query, and one dns.fault. */
	fp = fopen(path, "r");
	assert_non_null(fp);
	while (fgets(line, sizeof(line), fp) != NULL) {
		assert_true(strncmp(line, "{\"v\":1,\"t\":", 11) == 0);
		assert_non_null(strstr(line, "}\n"));
		if (strstr(line, "\"ev\":\"dns.query\"") != NULL)
			lines++;
		if (strstr(line, "\"transport\":\"tcp\"") != NULL &&
		    strstr(line, "\"ev\":\"dns.query\"") != NULL)
			tcp++;
		if (strstr(line, "\"ev\":\"dns.fault\"") != NULL) {
			faults++;
			assert_non_null(
			    strstr(line, "\"fault\":\"tcp-refused\""));
			assert_non_null(strstr(line, "\"result\":\"closed\""));
		}
	}
	fclose(fp);
	unlink(path);
	assert_int_equal(lines, 6);
	assert_int_equal(tcp, 3);
	assert_int_equal(faults, 1);
	world_free(w2);
	dl_diags_clear(&d);
	ts_free(s);
}

/* The peer closes fd within ms milliseconds. */
static bool
closed_within(int fd, int ms)
{
	struct pollfd pf = {fd, POLLIN, 0};
	uint8_t b[64];

	if (poll(&pf, 1, ms) != 1)
		return false;
	return read(fd, b, sizeof(b)) <= 0;
}

/* One TCP query on fd, answered. */
static void
tcp_query(int fd)
{
	uint8_t *q, len[2], ans[DNS_MSG_MAX];
	size_t l;

	q = query_wire("example.net.", LDNS_RR_TYPE_SOA, &ASK_PLAIN, &l);
	len[0] = (uint8_t)(l >> 8);
	len[1] = (uint8_t)l;
	assert_int_equal(write(fd, len, 2), 2);
	assert_int_equal(write(fd, q, l), (ssize_t)l);
	free(q);
	assert_true(read_full(fd, len, 2));
	assert_true(read_full(fd, ans, (size_t)len[0] << 8 | len[1]));
}

static void
test_server_tcp_limits(void **state)
{
	struct scenario *s = ts_world(SCEN_DENIAL_NSEC);
	struct world *w = build_at(s, NOW);
	struct dns_server_opts o;
	struct dns_server *srv = NULL;
	struct dl_diags d;
	pthread_t th;
	int c1, c2, c3;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.single_addr = "127.0.0.1";
	o.max_tcp = 1;
	o.tcp_idle_ms = 300;
	dl_diags_init(&d);
	assert_int_equal(new_on_free_port(w, &o, &srv, &d), 0);
	assert_int_equal(pthread_create(&th, NULL, run_server, srv), 0);

	c1 = connect_to(SOCK_STREAM, o.port);
	tcp_query(c1);
	/* Over the limit: accepted, then closed at once. */
	c2 = connect_to(SOCK_STREAM, o.port);
	assert_true(closed_within(c2, 2000));
	close(c2);
	/* Idle past tcp_idle_ms: closed. */
	assert_true(closed_within(c1, 3000));
	close(c1);
	/* The slot is free again. */
	c3 = connect_to(SOCK_STREAM, o.port);
	tcp_query(c3);
	/* A length prefix, then nothing: the half message is dropped at
	 * the idle timeout. */
	assert_int_equal(write(c3, "\0\x40", 2), 2);
	assert_true(closed_within(c3, 3000));
	close(c3);

	dns_server_stop(srv);
	assert_int_equal(pthread_join(th, NULL), 0);
	dns_server_free(srv);
	world_free(w);
	dl_diags_clear(&d);
	ts_free(s);
}

/* One TCP query on fd; false if it was not answered (closed). */
static bool
tcp_query_sent(int fd)
{
	uint8_t *q, ans[2 + DNS_MSG_MAX];
	size_t l;
	bool ok;

	q = query_wire("example.net.", LDNS_RR_TYPE_SOA, &ASK_PLAIN, &l);
	ans[0] = (uint8_t)(l >> 8);
	ans[1] = (uint8_t)l;
	memcpy(ans + 2, q, l);
	free(q);
	ok = send(fd, ans, 2 + l, MSG_NOSIGNAL) == (ssize_t)(2 + l) &&
	    read_full(fd, ans, 2) &&
	    read_full(fd, ans + 2, (size_t)ans[0] << 8 | ans[1]);
	return ok;
}

static long
elapsed_ms(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 +
	    (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/*
 * Slow clients cannot hold a slot: bytes dripped are no progress (the
 * idle timer does not restart on them), and a connection that keeps
 * asking is closed at its lifetime.
 */
static void
test_server_tcp_slow(void **state)
{
	struct scenario *s = ts_world(SCEN_DENIAL_NSEC);
	struct world *w = build_at(s, NOW);
	struct dns_server_opts o;
	struct dns_server *srv = NULL;
	struct dl_diags d;
	struct timespec t0;
	pthread_t th;
	long ms = -1;
	int c, i;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.single_addr = "127.0.0.1";
	o.tcp_idle_ms = 500;
	o.tcp_life_ms = 1500;
	dl_diags_init(&d);
	assert_int_equal(new_on_free_port(w, &o, &srv, &d), 0);
	assert_int_equal(pthread_create(&th, NULL, run_server, srv), 0);

	/* A length prefix, then a byte every 100 ms: closed at the idle
	 * bound, not kept alive by the bytes. */
	c = connect_to(SOCK_STREAM, o.port);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(send(c, "\0\x40", 2, MSG_NOSIGNAL), 2);
	for (i = 0; i < 40 && ms < 0; i++) {
		(void)send(c, "x", 1, MSG_NOSIGNAL);
		if (closed_within(c, 100))
			ms = elapsed_ms(&t0);
	}
	close(c);
	assert_true(ms >= 400 && ms < 2000);

	/* A whole query every 100 ms: closed at the lifetime. */
	c = connect_to(SOCK_STREAM, o.port);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (ms = -1, i = 0; i < 40 && ms < 0; i++)
		if (!tcp_query_sent(c) || closed_within(c, 100))
			ms = elapsed_ms(&t0);
	close(c);
	assert_true(ms >= 1400 && ms < 3000);

	dns_server_stop(srv);
	assert_int_equal(pthread_join(th, NULL), 0);
	dns_server_free(srv);
	world_free(w);
	dl_diags_clear(&d);
	ts_free(s);
}

/* CPU time of the whole process (the server's thread included), ms. */
static long
cpu_ms(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000 +
	    (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000;
}

/*
 * Out of descriptors: the listener rests instead of being reported
 * readable again and again (a busy loop), and TCP is served again once
 * descriptors are free.
 */
static void
test_server_tcp_emfile(void **state)
{
	struct scenario *s = ts_world(SCEN_DENIAL_NSEC);
	struct world *w = build_at(s, NOW);
	struct dns_server_opts o;
	struct dns_server *srv = NULL;
	struct rlimit old, low;
	struct dl_diags d;
	pthread_t th;
	int fds[32], probe, n, i, c;
	long used;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.single_addr = "127.0.0.1";
	dl_diags_init(&d);
	assert_int_equal(new_on_free_port(w, &o, &srv, &d), 0);
	assert_int_equal(pthread_create(&th, NULL, run_server, srv), 0);

	/* The clients' sockets first, then room for three more
	 * descriptors only: the server accepts three, then runs out. */
	for (n = 0; n < 32; n++)
		assert_true((fds[n] = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	probe = dup(0);
	assert_true(probe >= 0);
	close(probe);
	low = old;
	low.rlim_cur = (rlim_t)probe + 3;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	for (i = 0; i < n; i++) {
		struct sockaddr_in sa;

		memset(&sa, 0, sizeof(sa));
		sa.sin_family = AF_INET;
		sa.sin_port = htons(o.port);
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		assert_int_equal(
		    connect(fds[i], (struct sockaddr *)&sa, sizeof(sa)), 0);
	}
	usleep(200 * 1000);
	used = cpu_ms();
	usleep(1000 * 1000);
	used = cpu_ms() - used;
	print_message("# %d connections, %ld ms CPU in 1 s\n", n, used);
	assert_true(used < 300);
	for (i = 0; i < n; i++)
		close(fds[i]);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
	/* Served again. */
	c = connect_to(SOCK_STREAM, o.port);
	tcp_query(c);
	close(c);

	dns_server_stop(srv);
	assert_int_equal(pthread_join(th, NULL), 0);
	dns_server_free(srv);
	world_free(w);
	dl_diags_clear(&d);
	ts_free(s);
}

static void
test_server_errors(void **state)
{
	struct scenario *s = ts_world(SCEN_DENIAL_NSEC);
	struct dns_server_opts o;
	struct dns_server *a = NULL, *b = NULL;
	struct world *w = build_at(s, NOW), *w2;
	struct dl_diags d;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.single_addr = "127.0.0.1";
	dl_diags_init(&d);
	assert_int_equal(new_on_free_port(w, &o, &a, &d), 0);
	/* The same address and port: a diagnostic, no server. */
	assert_int_equal(dns_server_new(w, &o, &b, &d), DL_EIO);
	assert_null(b);
	assert_int_equal(d.errors, 1);
	assert_non_null(strstr(d.v[0].msg, "127.0.0.1"));
	/* Stop before run: run returns at once. */
	dns_server_stop(a);
	assert_int_equal(dns_server_run(a), 0);
	/* A world with other zones is refused. */
	{
		struct scenario *s2 = ts_world(SCEN_DENIAL_NSEC);

		ts_zone(s2, "org.", SCEN_DENIAL_NSEC);
		w2 = build_at(s2, NOW);
		assert_int_equal(dns_server_set_world(a, w2), DL_EINVAL);
		world_free(w2);
		ts_free(s2);
	}
	/* Not running: swapped at once. */
	w2 = build_at(s, NOW + 1);
	assert_int_equal(dns_server_set_world(a, w2), 0);
	world_free(w);
	dns_server_free(a);
	dns_server_free(NULL);
	world_free(w2);
	dl_diags_clear(&d);
	ts_free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_positive),
	    cmocka_unit_test(test_referral_ds),
	    cmocka_unit_test(test_referral_no_ds),
	    cmocka_unit_test(test_ds_at_cut),
	    cmocka_unit_test(test_nodata),
	    cmocka_unit_test(test_nxdomain_nsec),
	    cmocka_unit_test(test_nxdomain_nsec3),
	    cmocka_unit_test(test_wildcard),
	    cmocka_unit_test(test_cname),
	    cmocka_unit_test(test_cname_nsec3),
	    cmocka_unit_test(test_refused),
	    cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_truncation),
	    cmocka_unit_test(test_case_and_id),
	    cmocka_unit_test(test_unsigned),
	    cmocka_unit_test(test_no_rrsig),
	    cmocka_unit_test(test_faults),
	    cmocka_unit_test(test_denial_faults),
	    cmocka_unit_test(test_cache),
	    cmocka_unit_test(test_server),
	    cmocka_unit_test(test_server_tcp_limits),
	    cmocka_unit_test(test_server_tcp_slow),
	    cmocka_unit_test(test_server_tcp_emfile),
	    cmocka_unit_test(test_server_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
