/*
 * test_resolver.c -- unit tests for harness/resolver: a client's query
 * parsed, and the answer built from a fake ub_result (no libunbound
 * resolution, no sockets).  tests/integration/test_serve_shell.py runs
 * the resolver for real.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <ldns/ldns.h>

#include "harness/resolver/res_int.h"

/* ---- building wire messages ---- */

/* A query for name/type; flags as in dig: rd, cd, ad; edns: 0 none. */
static uint8_t *
mkquery(const char *name, ldns_rr_type type, bool rd, bool cd, bool ad,
    uint16_t edns_size, bool dnssec_ok, size_t *len)
{
	ldns_pkt *p = NULL;
	uint8_t *wire = NULL;

	assert_int_equal(
	    ldns_pkt_query_new_frm_str(&p, name, type, LDNS_RR_CLASS_IN, 0),
	    LDNS_STATUS_OK);
	ldns_pkt_set_id(p, 0x1234);
	ldns_pkt_set_rd(p, rd);
	ldns_pkt_set_cd(p, cd);
	ldns_pkt_set_ad(p, ad);
	if (edns_size != 0) {
		ldns_pkt_set_edns_udp_size(p, edns_size);
		ldns_pkt_set_edns_do(p, dnssec_ok);
	}
	assert_int_equal(ldns_pkt2wire(&wire, p, len), LDNS_STATUS_OK);
	ldns_pkt_free(p);
	return wire;
}

static struct res_query
parse_ok(const char *name, ldns_rr_type type, bool cd, bool ad,
    uint16_t edns_size, bool dnssec_ok)
{
	struct res_query q;
	uint8_t *wire;
	size_t len;
	int rcode = -1;

	wire = mkquery(name, type, true, cd, ad, edns_size, dnssec_ok, &len);
	assert_int_equal(res_query_parse(wire, len, &q, &rcode), 0);
	free(wire);
	return q;
}

/* An answer packet as libunbound hands it over, from RR strings. */
static void
mkresult(struct ub_result *r, const char *qname, ldns_rr_type qtype,
    ldns_pkt_rcode rcode, const char *const *answer, size_t n_answer,
    const char *const *authority, size_t n_authority)
{
	ldns_pkt *p = NULL;
	ldns_rr *rr;
	size_t i, len;
	uint8_t *wire;

	memset(r, 0, sizeof(*r));
	assert_int_equal(ldns_pkt_query_new_frm_str(
			     &p, qname, qtype, LDNS_RR_CLASS_IN, LDNS_RD),
	    LDNS_STATUS_OK);
	ldns_pkt_set_qr(p, true);
	ldns_pkt_set_ra(p, true);
	ldns_pkt_set_id(p, 0);
	ldns_pkt_set_rcode(p, (uint8_t)rcode);
	for (i = 0; i < n_answer; i++) {
		assert_int_equal(
		    ldns_rr_new_frm_str(&rr, answer[i], 0, NULL, NULL),
		    LDNS_STATUS_OK);
		ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, rr);
	}
	for (i = 0; i < n_authority; i++) {
		assert_int_equal(
		    ldns_rr_new_frm_str(&rr, authority[i], 0, NULL, NULL),
		    LDNS_STATUS_OK);
		ldns_pkt_push_rr(p, LDNS_SECTION_AUTHORITY, rr);
	}
	/* libunbound asks with DO: its packets carry an OPT record. */
	ldns_pkt_set_edns_udp_size(p, 1232);
	ldns_pkt_set_edns_do(p, true);
	assert_int_equal(ldns_pkt2wire(&wire, p, &len), LDNS_STATUS_OK);
	ldns_pkt_free(p);
	r->answer_packet = wire;
	r->answer_len = (int)len;
	r->rcode = (int)rcode;
	r->havedata = n_answer > 0;
	r->nxdomain = rcode == LDNS_RCODE_NXDOMAIN;
}

static ldns_pkt *
build(const struct res_query *q, const struct ub_result *r, size_t limit)
{
	uint8_t *out = NULL;
	size_t len = 0;
	ldns_pkt *p = NULL;

	assert_int_equal(res_answer_build(q, r, limit, &out, &len), 0);
	assert_true(len <= limit);
	assert_int_equal(ldns_wire2pkt(&p, out, len), LDNS_STATUS_OK);
	free(out);
	return p;
}

static size_t
count_type(const ldns_rr_list *l, ldns_rr_type t)
{
	size_t i, n = 0;

	for (i = 0; i < ldns_rr_list_rr_count(l); i++)
		if (ldns_rr_get_type(ldns_rr_list_rr(l, i)) == t)
			n++;
	return n;
}

static const char *const tlsa_answer[] = {
    "_25._tcp.mx1.example.net. 3600 IN TLSA 3 1 1 "
    "37b3a984d69a2f8cb132894dbc999e4bfd4cded97ae355122918af0f1c1263da",
    "_25._tcp.mx1.example.net. 3600 IN RRSIG TLSA 13 5 3600 "
    "20261228184654 20261128174654 52086 example.net. "
    "PAXf+oh6Lm/662SOpY93OIOqcJtxVGd/F29tRXSzcaid7TjxVnbAZyRRv3Ks0Oof"
    "BDEBGQlpf7vz/oc1AOBgDQ==",
};

/* ---- parsing ---- */

static void
test_parse_query(void **state)
{
	struct res_query q;
	char *name;

	(void)state;
	q = parse_ok("_25._TCP.Mx1.Example.NET.", LDNS_RR_TYPE_TLSA, false,
	    false, 4096, true);
	assert_int_equal(q.id, 0x1234);
	assert_true(q.rd);
	assert_false(q.cd);
	assert_true(q.edns);
	assert_true(q.dnssec_ok);
	assert_int_equal(q.udp_size, 4096);
	assert_int_equal(q.qtype, LDNS_RR_TYPE_TLSA);
	assert_int_equal(q.qclass, LDNS_RR_CLASS_IN);
	name = res_query_name(&q);
	assert_string_equal(name, "_25._TCP.Mx1.Example.NET.");
	free(name);
	assert_int_equal(res_answer_limit(&q, false), RESOLVER_UDP_MAX);
	assert_int_equal(res_answer_limit(&q, true), 65535);
	res_query_clear(&q);

	q = parse_ok("example.net.", LDNS_RR_TYPE_MX, true, false, 0, false);
	assert_false(q.edns);
	assert_true(q.cd);
	assert_int_equal(res_answer_limit(&q, false), 512);
	res_query_clear(&q);

	/* A buffer size below 512 counts as 512 (RFC 6891 6.2.5). */
	q = parse_ok("example.net.", LDNS_RR_TYPE_MX, false, false, 100, false);
	assert_int_equal(res_answer_limit(&q, false), 512);
	res_query_clear(&q);
}

static void
test_parse_refusals(void **state)
{
	struct res_query q;
	uint8_t *wire, buf[64];
	size_t len;
	int rcode;

	(void)state;
	/* Shorter than a header, or a response: dropped. */
	memset(buf, 0, sizeof(buf));
	assert_int_equal(res_query_parse(buf, 11, &q, &rcode), DL_ERANGE);
	wire = mkquery(
	    "example.net.", LDNS_RR_TYPE_A, true, false, false, 0, false, &len);
	LDNS_QR_SET(wire);
	assert_int_equal(res_query_parse(wire, len, &q, &rcode), DL_ERANGE);
	LDNS_QR_CLR(wire);

	/* NOTIFY: not implemented, the ID is kept for the answer. */
	LDNS_OPCODE_SET(wire, LDNS_PACKET_NOTIFY);
	assert_int_equal(res_query_parse(wire, len, &q, &rcode), DL_EINVAL);
	assert_int_equal(rcode, LDNS_RCODE_NOTIMPL);
	assert_int_equal(q.id, 0x1234);
	res_query_clear(&q);
	LDNS_OPCODE_SET(wire, LDNS_PACKET_QUERY);

	/* No question, a truncated question: FORMERR. */
	memcpy(buf, wire, 12);
	buf[5] = 0;
	assert_int_equal(res_query_parse(buf, 12, &q, &rcode), DL_EINVAL);
	assert_int_equal(rcode, LDNS_RCODE_FORMERR);
	res_query_clear(&q);
	assert_int_equal(res_query_parse(wire, len - 3, &q, &rcode), DL_EINVAL);
	assert_int_equal(rcode, LDNS_RCODE_FORMERR);
	res_query_clear(&q);
	free(wire);

	/* Zone transfers are refused. */
	wire = mkquery("example.net.", LDNS_RR_TYPE_AXFR, false, false, false,
	    0, false, &len);
	assert_int_equal(res_query_parse(wire, len, &q, &rcode), DL_EINVAL);
	assert_int_equal(rcode, LDNS_RCODE_REFUSED);
	res_query_clear(&q);
	free(wire);
}

static void
test_parse_edns(void **state)
{
	static const uint8_t opt[] = {0, 0, 41, 0x10, 0, 0, 0, 0, 0, 0, 0};
	struct res_query q;
	uint8_t *wire, *two;
	uint8_t *out = NULL;
	size_t len, olen;
	ldns_pkt *p = NULL;
	int rcode;

	(void)state;
	/* EDNS version 1: BADVERS, answered with version 0. */
	wire = mkquery("example.net.", LDNS_RR_TYPE_A, true, false, false, 1232,
	    true, &len);
	wire[len - 11 + 6] = 1; /* the OPT's version byte */
	assert_int_equal(res_query_parse(wire, len, &q, &rcode), DL_EINVAL);
	assert_int_equal(rcode, RES_RCODE_BADVERS);
	assert_int_equal(res_answer_error(&q, rcode, &out, &olen), 0);
	assert_int_equal(ldns_wire2pkt(&p, out, olen), LDNS_STATUS_OK);
	assert_int_equal(ldns_pkt_get_rcode(p), 0);
	assert_int_equal(ldns_pkt_edns_extended_rcode(p), 1);
	assert_int_equal(ldns_pkt_edns_version(p), 0);
	assert_int_equal(ldns_pkt_id(p), 0x1234);
	assert_true(ldns_pkt_qr(p));
	ldns_pkt_free(p);
	free(out);
	res_query_clear(&q);

	/* Two OPT records: FORMERR (RFC 6891 6.1.1). */
	wire[len - 11 + 6] = 0;
	two = malloc(len + sizeof(opt));
	memcpy(two, wire, len);
	memcpy(two + len, opt, sizeof(opt));
	two[11] = 2; /* ARCOUNT */
	assert_int_equal(
	    res_query_parse(two, len + sizeof(opt), &q, &rcode), DL_EINVAL);
	assert_int_equal(rcode, LDNS_RCODE_FORMERR);
	res_query_clear(&q);
	free(two);
	free(wire);
}

/* ---- answers ---- */

static void
test_answer_secure(void **state)
{
	struct ub_result r;
	struct res_query q;
	ldns_pkt *p;
	ldns_rr *qrr;
	char *owner;

	(void)state;
	mkresult(&r, "_25._tcp.mx1.example.net.", LDNS_RR_TYPE_TLSA,
	    LDNS_RCODE_NOERROR, tlsa_answer, 2, NULL, 0);
	r.secure = 1;

	/* DO set: AD, RRSIGs kept, ID and the qname's case restored. */
	q = parse_ok("_25._TCP.mx1.EXAMPLE.net.", LDNS_RR_TYPE_TLSA, false,
	    false, 1232, true);
	p = build(&q, &r, res_answer_limit(&q, false));
	assert_int_equal(ldns_pkt_id(p), 0x1234);
	assert_true(ldns_pkt_qr(p));
	assert_true(ldns_pkt_ra(p));
	assert_true(ldns_pkt_rd(p));
	assert_false(ldns_pkt_aa(p));
	assert_true(ldns_pkt_ad(p));
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	assert_true(ldns_pkt_edns_do(p));
	assert_int_equal(ldns_pkt_edns_udp_size(p), RESOLVER_UDP_MAX);
	assert_int_equal(count_type(ldns_pkt_answer(p), LDNS_RR_TYPE_TLSA), 1);
	assert_int_equal(count_type(ldns_pkt_answer(p), LDNS_RR_TYPE_RRSIG), 1);
	qrr = ldns_rr_list_rr(ldns_pkt_question(p), 0);
	owner = ldns_rdf2str(ldns_rr_owner(qrr));
	assert_string_equal(owner, "_25._TCP.mx1.EXAMPLE.net.");
	free(owner);
	owner =
	    ldns_rdf2str(ldns_rr_owner(ldns_rr_list_rr(ldns_pkt_answer(p), 0)));
	assert_string_equal(owner, "_25._TCP.mx1.EXAMPLE.net.");
	free(owner);
	ldns_pkt_free(p);
	res_query_clear(&q);

	/* No DO, no AD: no AD, and no RRSIG (RFC 4035 3.2.1). */
	q = parse_ok("_25._tcp.mx1.example.net.", LDNS_RR_TYPE_TLSA, false,
	    false, 1232, false);
	p = build(&q, &r, res_answer_limit(&q, false));
	assert_false(ldns_pkt_ad(p));
	assert_int_equal(count_type(ldns_pkt_answer(p), LDNS_RR_TYPE_RRSIG), 0);
	assert_int_equal(count_type(ldns_pkt_answer(p), LDNS_RR_TYPE_TLSA), 1);
	ldns_pkt_free(p);
	res_query_clear(&q);

	/* AD in the query asks for AD without DO (RFC 6840 5.7). */
	q = parse_ok("_25._tcp.mx1.example.net.", LDNS_RR_TYPE_TLSA, false,
	    true, 0, false);
	p = build(&q, &r, res_answer_limit(&q, false));
	assert_true(ldns_pkt_ad(p));
	assert_false(ldns_pkt_edns(p));
	ldns_pkt_free(p);
	res_query_clear(&q);

	/* CD: never AD (the CD context does not validate anyway). */
	q = parse_ok("_25._tcp.mx1.example.net.", LDNS_RR_TYPE_TLSA, true,
	    false, 1232, true);
	p = build(&q, &r, res_answer_limit(&q, false));
	assert_false(ldns_pkt_ad(p));
	assert_true(ldns_pkt_cd(p));
	ldns_pkt_free(p);
	res_query_clear(&q);
	free(r.answer_packet);
}

static void
test_answer_insecure_nxdomain(void **state)
{
	static const char *const soa[] = {
	    "example.net. 3600 IN SOA ns1.example.net. "
	    "hostmaster.example.net. 1 3600 600 1209600 3600",
	};
	struct ub_result r;
	struct res_query q;
	ldns_pkt *p;

	(void)state;
	mkresult(&r, "nope.example.net.", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN,
	    NULL, 0, soa, 1);
	q = parse_ok(
	    "nope.example.net.", LDNS_RR_TYPE_A, false, false, 1232, true);
	p = build(&q, &r, res_answer_limit(&q, false));
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NXDOMAIN);
	assert_false(ldns_pkt_ad(p));
	assert_int_equal(ldns_pkt_ancount(p), 0);
	assert_int_equal(
	    count_type(ldns_pkt_authority(p), LDNS_RR_TYPE_SOA), 1);
	ldns_pkt_free(p);
	res_query_clear(&q);
	free(r.answer_packet);
}

static const uint8_t *
ede_option(ldns_pkt *p, size_t *len)
{
	ldns_edns_option_list *l = ldns_pkt_edns_get_option_list(p);
	ldns_edns_option *o;
	size_t i;

	for (i = 0; l != NULL && i < ldns_edns_option_list_get_count(l); i++) {
		o = ldns_edns_option_list_get_option(l, i);
		if (ldns_edns_get_code(o) == LDNS_EDNS_EDE) {
			*len = ldns_edns_get_size(o);
			return ldns_edns_get_data(o);
		}
	}
	return NULL;
}

static void
test_answer_bogus(void **state)
{
	static const char why[] =
	    "validation failure <_25._tcp.mx1.example."
	    "net. TLSA IN>: signature expired from 127.53.0.3";
	struct ub_result r;
	struct res_query q;
	const uint8_t *ede;
	size_t elen = 0;
	ldns_pkt *p;

	(void)state;
	mkresult(&r, "_25._tcp.mx1.example.net.", LDNS_RR_TYPE_TLSA,
	    LDNS_RCODE_NOERROR, tlsa_answer, 2, NULL, 0);
	r.bogus = 1;
	r.why_bogus = (char *)why;

	/* EDNS: SERVFAIL with EDE 7 and the reason as extra text. */
	q = parse_ok("_25._tcp.mx1.example.net.", LDNS_RR_TYPE_TLSA, false,
	    false, 1232, true);
	p = build(&q, &r, res_answer_limit(&q, false));
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_SERVFAIL);
	assert_false(ldns_pkt_ad(p));
	assert_int_equal(ldns_pkt_ancount(p), 0);
	ede = ede_option(p, &elen);
	assert_non_null(ede);
	assert_int_equal(elen, 2 + strlen(why));
	assert_int_equal(ldns_read_uint16(ede), LDNS_EDE_SIGNATURE_EXPIRED);
	assert_memory_equal(ede + 2, why, strlen(why));
	ldns_pkt_free(p);
	res_query_clear(&q);

	/* Without EDNS: a plain SERVFAIL. */
	q = parse_ok("_25._tcp.mx1.example.net.", LDNS_RR_TYPE_TLSA, false,
	    false, 0, false);
	p = build(&q, &r, res_answer_limit(&q, false));
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_SERVFAIL);
	assert_false(ldns_pkt_edns(p));
	ldns_pkt_free(p);
	res_query_clear(&q);
	free(r.answer_packet);
}

static void
test_answer_truncated(void **state)
{
	char *rrs[40];
	struct ub_result r;
	struct res_query q;
	ldns_pkt *p;
	size_t i;

	(void)state;
	for (i = 0; i < 40; i++)
		rrs[i] = strdup(
		    "example.net. 3600 IN TXT "
		    "\"a rather long text record to fill a UDP answer\"");
	/* Distinct RDATA, or the RRset would be one record. */
	for (i = 0; i < 40; i++)
		rrs[i][strlen(rrs[i]) - 2] = (char)('A' + i % 26);
	mkresult(&r, "example.net.", LDNS_RR_TYPE_TXT, LDNS_RCODE_NOERROR,
	    (const char *const *)rrs, 40, NULL, 0);

	/* No EDNS: 512 bytes at most over UDP, so TC and no records. */
	q = parse_ok("example.net.", LDNS_RR_TYPE_TXT, false, false, 0, false);
	p = build(&q, &r, res_answer_limit(&q, false));
	assert_true(ldns_pkt_tc(p));
	assert_int_equal(ldns_pkt_ancount(p), 0);
	assert_int_equal(ldns_pkt_qdcount(p), 1);
	ldns_pkt_free(p);
	/* Over TCP it fits. */
	p = build(&q, &r, res_answer_limit(&q, true));
	assert_false(ldns_pkt_tc(p));
	assert_int_equal(ldns_pkt_ancount(p), 40);
	ldns_pkt_free(p);
	res_query_clear(&q);
	for (i = 0; i < 40; i++)
		free(rrs[i]);
	free(r.answer_packet);
}

static void
test_answer_no_packet(void **state)
{
	struct ub_result r;
	struct res_query q;
	uint8_t *out = NULL;
	size_t len;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.rcode = LDNS_RCODE_SERVFAIL;
	q = parse_ok("example.net.", LDNS_RR_TYPE_MX, false, false, 0, false);
	assert_int_equal(res_answer_build(&q, &r, 512, &out, &len), DL_EDNS);
	assert_null(out);
	res_query_clear(&q);
}

static void
test_ede_codes(void **state)
{
	(void)state;
	assert_int_equal(res_ede_code(NULL), LDNS_EDE_DNSSEC_BOGUS);
	assert_int_equal(res_ede_code("validation failure <a. A IN>: "
				      "signature expired from 1.2.3.4"),
	    LDNS_EDE_SIGNATURE_EXPIRED);
	assert_int_equal(res_ede_code("signature before inception date"),
	    LDNS_EDE_SIGNATURE_NOT_YET_VALID);
	assert_int_equal(res_ede_code("validation failure <a. A IN>: no "
				      "signatures from 1.2.3.4"),
	    LDNS_EDE_RRSIGS_MISSING);
	assert_int_equal(res_ede_code("No DNSKEY record from 1.2.3.4"),
	    LDNS_EDE_DNSKEY_MISSING);
	assert_int_equal(res_ede_code("no keys have a DS with algorithm "
				      "ECDSAP256SHA256"),
	    LDNS_EDE_DNSSEC_BOGUS);
}

/* The resolver.query event's "tlsa": the records the client was given. */
static void
test_answer_tlsa_json(void **state)
{
	static const char *const long_rr[] = {
	    "_25._tcp.mx1.example.net. 60 IN TLSA 3 0 0 "
	    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	    "2021",
	    "_25._tcp.mx1.example.net. 60 IN TLSA 2 1 2 abcd",
	};
	struct ub_result r;
	struct res_query q;
	char *j;

	(void)state;
	mkresult(&r, "_25._tcp.mx1.example.net.", LDNS_RR_TYPE_TLSA,
	    LDNS_RCODE_NOERROR, tlsa_answer, 2, NULL, 0);
	r.secure = 1;
	q = parse_ok("_25._tcp.mx1.example.net.", LDNS_RR_TYPE_TLSA, false,
	    false, 1232, true);
	j = res_answer_tlsa_json(&q, &r);
	/* The RRSIG is not a TLSA record: one string. */
	assert_non_null(j);
	assert_string_equal(j, "[\"3 1 1 37b3a984d69a2f8cb132894dbc999e4bfd4"
	    "cded97ae355122918af0f1c1263da\"]");
	free(j);
	/* Bogus: SERVFAIL, no records given. */
	r.bogus = 1;
	assert_null(res_answer_tlsa_json(&q, &r));
	free(r.answer_packet);

	/* Data cut to 32 bytes, marked; every record in answer order. */
	mkresult(&r, "_25._tcp.mx1.example.net.", LDNS_RR_TYPE_TLSA,
	    LDNS_RCODE_NOERROR, long_rr, 2, NULL, 0);
	j = res_answer_tlsa_json(&q, &r);
	assert_non_null(j);
	assert_string_equal(j, "[\"3 0 0 000102030405060708090a0b0c0d0e0f10"
	    "1112131415161718191a1b1c1d1e1f...\",\"2 1 2 abcd\"]");
	free(j);
	res_query_clear(&q);
	/* Not a TLSA query: no field. */
	q = parse_ok("mx1.example.net.", LDNS_RR_TYPE_A, false, false, 1232,
	    true);
	assert_null(res_answer_tlsa_json(&q, &r));
	res_query_clear(&q);
	free(r.answer_packet);

	/* A secure NODATA: an empty list. */
	mkresult(&r, "_25._tcp.mx1.example.net.", LDNS_RR_TYPE_TLSA,
	    LDNS_RCODE_NOERROR, NULL, 0, NULL, 0);
	q = parse_ok("_25._tcp.mx1.example.net.", LDNS_RR_TYPE_TLSA, false,
	    false, 1232, true);
	j = res_answer_tlsa_json(&q, &r);
	assert_string_equal(j, "[]");
	free(j);
	res_query_clear(&q);
	free(r.answer_packet);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_query),
	    cmocka_unit_test(test_parse_refusals),
	    cmocka_unit_test(test_parse_edns),
	    cmocka_unit_test(test_answer_secure),
	    cmocka_unit_test(test_answer_tlsa_json),
	    cmocka_unit_test(test_answer_insecure_nxdomain),
	    cmocka_unit_test(test_answer_bogus),
	    cmocka_unit_test(test_answer_truncated),
	    cmocka_unit_test(test_answer_no_packet),
	    cmocka_unit_test(test_ede_codes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
