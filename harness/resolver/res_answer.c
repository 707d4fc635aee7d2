/*
 * res_answer.c -- a client's query parsed, and the answer to it built
 * from libunbound's result (rules in resolver.h).
 *
 * Pure functions over wire data: no sockets, no libunbound calls, so
 * that the unit tests can feed them a fake struct ub_result.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "harness/resolver/res_int.h"
#include "simulator/util/xmem.h"

int
res_query_parse(
    const uint8_t *wire, size_t len, struct res_query *q, int *rcode)
{
	ldns_pkt *p = NULL;
	ldns_rr *qrr;

	memset(q, 0, sizeof(*q));
	if (len < LDNS_HEADER_SIZE || LDNS_QR_WIRE(wire))
		return DL_ERANGE;
	q->id = LDNS_ID_WIRE(wire);
	q->opcode = LDNS_OPCODE_WIRE(wire);
	q->rd = LDNS_RD_WIRE(wire) != 0;
	q->cd = LDNS_CD_WIRE(wire) != 0;
	q->ad = LDNS_AD_WIRE(wire) != 0;
	*rcode = LDNS_RCODE_FORMERR;
	if (q->opcode != LDNS_PACKET_QUERY) {
		*rcode = LDNS_RCODE_NOTIMPL;
		return DL_EINVAL;
	}
	/* As unbound: one question, no answer or authority records. */
	if (LDNS_QDCOUNT(wire) != 1 || LDNS_ANCOUNT(wire) != 0 ||
	    LDNS_NSCOUNT(wire) != 0)
		return DL_EINVAL;
	if (ldns_wire2pkt(&p, wire, len) != LDNS_STATUS_OK)
		return DL_EINVAL;
	qrr = ldns_rr_list_rr(ldns_pkt_question(p), 0);
	if (qrr == NULL || ldns_rr_owner(qrr) == NULL) {
		ldns_pkt_free(p);
		return DL_EINVAL;
	}
	q->qname = ldns_rdf_clone(ldns_rr_owner(qrr));
	q->qtype = ldns_rr_get_type(qrr);
	q->qclass = ldns_rr_get_class(qrr);
	if (p->_edns_present > 1) { /* RFC 6891 6.1.1 */
		ldns_pkt_free(p);
		return DL_EINVAL;
	}
	if (p->_edns_present == 1) {
		q->edns = true;
		q->edns_version = ldns_pkt_edns_version(p);
		q->dnssec_ok = ldns_pkt_edns_do(p);
		q->udp_size = ldns_pkt_edns_udp_size(p);
		if (q->udp_size < 512)
			q->udp_size = 512;
	}
	ldns_pkt_free(p);
	if (q->edns && q->edns_version > 0) {
		*rcode = RES_RCODE_BADVERS;
		return DL_EINVAL;
	}
	switch (q->qtype) {
	case LDNS_RR_TYPE_AXFR:
	case LDNS_RR_TYPE_IXFR:
		*rcode = LDNS_RCODE_REFUSED;
		return DL_EINVAL;
	case LDNS_RR_TYPE_OPT:
		return DL_EINVAL;
	default:
		break;
	}
	return 0;
}

void
res_query_clear(struct res_query *q)
{
	ldns_rdf_deep_free(q->qname);
	q->qname = NULL;
}

char *
res_query_name(const struct res_query *q)
{
	return ldns_rdf2str(q->qname);
}

size_t
res_answer_limit(const struct res_query *q, bool tcp)
{
	if (tcp)
		return 65535;
	if (!q->edns)
		return 512;
	return q->udp_size < RESOLVER_UDP_MAX ? q->udp_size : RESOLVER_UDP_MAX;
}

uint16_t
res_ede_code(const char *why)
{
	/* Substrings of unbound's validator messages, most precise first. */
	static const struct {
		const char *text;
		uint16_t code;
	} map[] = {
	    {"signature expired", LDNS_EDE_SIGNATURE_EXPIRED},
	    {"signature before inception", LDNS_EDE_SIGNATURE_NOT_YET_VALID},
	    {"no signatures", LDNS_EDE_RRSIGS_MISSING},
	    {"no rrsig", LDNS_EDE_RRSIGS_MISSING},
	    {"no dnskey", LDNS_EDE_DNSKEY_MISSING},
	    {"no nsec", LDNS_EDE_NSEC_MISSING},
	};
	size_t i, n;
	const char *p;

	if (why == NULL)
		return LDNS_EDE_DNSSEC_BOGUS;
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		n = strlen(map[i].text);
		for (p = why; *p != '\0'; p++)
			if (strncasecmp(p, map[i].text, n) == 0)
				return map[i].code;
	}
	return LDNS_EDE_DNSSEC_BOGUS;
}

/* A response packet with q's header bits and question. */
static ldns_pkt *
res_pkt_new(const struct res_query *q, int rcode)
{
	ldns_pkt *p = ldns_pkt_new();
	ldns_rr *qrr;

	if (p == NULL)
		return NULL;
	ldns_pkt_set_id(p, q->id);
	ldns_pkt_set_qr(p, true);
	ldns_pkt_set_opcode(p, (ldns_pkt_opcode)q->opcode);
	ldns_pkt_set_rd(p, q->rd);
	ldns_pkt_set_cd(p, q->cd);
	ldns_pkt_set_ra(p, true);
	ldns_pkt_set_rcode(p, (uint8_t)(rcode & 0x0f));
	if (q->qname != NULL) {
		if ((qrr = ldns_rr_new()) == NULL) {
			ldns_pkt_free(p);
			return NULL;
		}
		ldns_rr_set_question(qrr, true);
		ldns_rr_set_owner(qrr, ldns_rdf_clone(q->qname));
		ldns_rr_set_type(qrr, q->qtype);
		ldns_rr_set_class(qrr, q->qclass);
		ldns_pkt_push_rr(p, LDNS_SECTION_QUESTION, qrr);
	}
	if (q->edns) {
		ldns_pkt_set_edns_udp_size(p, RESOLVER_UDP_MAX);
		ldns_pkt_set_edns_do(p, q->dnssec_ok);
		ldns_pkt_set_edns_extended_rcode(p, (uint8_t)(rcode >> 4));
	}
	return p;
}

/* Attach an EDE option (info-code, extra text) to p's OPT record. */
static int
res_pkt_ede(ldns_pkt *p, uint16_t code, const char *text)
{
	ldns_edns_option_list *list;
	ldns_edns_option *opt;
	size_t tlen = text != NULL ? strlen(text) : 0;
	uint8_t *data;

	if (tlen > RESOLVER_EXTRA_TEXT_MAX)
		tlen = RESOLVER_EXTRA_TEXT_MAX;
	data = xmalloc(2 + tlen);
	ldns_write_uint16(data, code);
	if (tlen > 0)
		memcpy(data + 2, text, tlen);
	opt = ldns_edns_new_from_data(LDNS_EDNS_EDE, 2 + tlen, data);
	free(data);
	if (opt == NULL || (list = ldns_edns_option_list_new()) == NULL) {
		ldns_edns_deep_free(opt);
		return DL_EDNS;
	}
	if (!ldns_edns_option_list_push(list, opt)) {
		ldns_edns_deep_free(opt);
		ldns_edns_option_list_deep_free(list);
		return DL_EDNS;
	}
	ldns_pkt_set_edns_option_list(p, list);
	return 0;
}

static int
res_pkt_wire(ldns_pkt *p, uint8_t **out, size_t *len)
{
	uint8_t *wire = NULL;
	size_t n = 0;

	if (ldns_pkt2wire(&wire, p, &n) != LDNS_STATUS_OK) {
		free(wire);
		return DL_EDNS;
	}
	*out = wire;
	*len = n;
	return 0;
}

int
res_answer_error(
    const struct res_query *q, int rcode, uint8_t **out, size_t *len)
{
	ldns_pkt *p = res_pkt_new(q, rcode);
	int rc;

	if (p == NULL)
		return DL_EDNS;
	rc = res_pkt_wire(p, out, len);
	ldns_pkt_free(p);
	return rc;
}

/* Without DO, DNSSEC records are left out unless the query asks for them
 * (RFC 4035 3.2.1). */
static bool
res_keep(const struct res_query *q, const ldns_rr *rr, ldns_pkt_section sec)
{
	ldns_rr_type t = ldns_rr_get_type(rr);

	if (q->dnssec_ok)
		return true;
	if (t != LDNS_RR_TYPE_RRSIG && t != LDNS_RR_TYPE_NSEC &&
	    t != LDNS_RR_TYPE_NSEC3)
		return true;
	return sec == LDNS_SECTION_ANSWER &&
	    (q->qtype == t || q->qtype == LDNS_RR_TYPE_ANY);
}

static int
res_copy_section(ldns_pkt *dst, const struct res_query *q,
    const ldns_rr_list *src, ldns_pkt_section sec)
{
	ldns_rr *rr;
	size_t i;

	for (i = 0; i < ldns_rr_list_rr_count(src); i++) {
		const ldns_rr *orig = ldns_rr_list_rr(src, i);

		if (!res_keep(q, orig, sec))
			continue;
		if ((rr = ldns_rr_clone(orig)) == NULL)
			return DL_EDNS;
		/* The qname as the client wrote it (DNS 0x20 and friends). */
		if (sec == LDNS_SECTION_ANSWER &&
		    ldns_dname_compare(ldns_rr_owner(rr), q->qname) == 0) {
			ldns_rdf_deep_free(ldns_rr_owner(rr));
			ldns_rr_set_owner(rr, ldns_rdf_clone(q->qname));
		}
		if (!ldns_pkt_push_rr(dst, sec, rr)) {
			ldns_rr_free(rr);
			return DL_EDNS;
		}
	}
	return 0;
}

/* The answer for a bogus result: SERVFAIL, with an EDE for EDNS clients;
 * the extra text is dropped if it does not fit. */
static int
res_answer_bogus(const struct res_query *q, const struct ub_result *r,
    size_t limit, uint8_t **out, size_t *len)
{
	ldns_pkt *p;
	int rc, pass;

	for (pass = 0; pass < 2; pass++) {
		if ((p = res_pkt_new(q, LDNS_RCODE_SERVFAIL)) == NULL)
			return DL_EDNS;
		rc = 0;
		if (q->edns)
			rc = res_pkt_ede(p, res_ede_code(r->why_bogus),
			    pass == 0 ? r->why_bogus : NULL);
		if (rc == 0)
			rc = res_pkt_wire(p, out, len);
		ldns_pkt_free(p);
		if (rc != 0 || *len <= limit || pass == 1)
			return rc;
		free(*out);
		*out = NULL;
	}
	return rc;
}

int
res_answer_build(const struct res_query *q, const struct ub_result *r,
    size_t limit, uint8_t **out, size_t *len)
{
	ldns_pkt *up = NULL, *p = NULL;
	uint8_t *wire = NULL;
	size_t n = 0;
	int rc, rcode;

	if (r->bogus)
		return res_answer_bogus(q, r, limit, out, len);
	if (r->answer_packet == NULL || r->answer_len < LDNS_HEADER_SIZE ||
	    ldns_wire2pkt(&up, r->answer_packet, (size_t)r->answer_len) !=
		LDNS_STATUS_OK)
		return DL_EDNS;
	rcode = ldns_pkt_get_rcode(up);
	if ((p = res_pkt_new(q, rcode)) == NULL) {
		ldns_pkt_free(up);
		return DL_EDNS;
	}
	ldns_pkt_set_ad(p, r->secure && !q->cd && (q->dnssec_ok || q->ad));
	rc = res_copy_section(p, q, ldns_pkt_answer(up), LDNS_SECTION_ANSWER);
	if (rc == 0)
		rc = res_copy_section(
		    p, q, ldns_pkt_authority(up), LDNS_SECTION_AUTHORITY);
	if (rc == 0)
		rc = res_copy_section(
		    p, q, ldns_pkt_additional(up), LDNS_SECTION_ADDITIONAL);
	ldns_pkt_free(up);
	if (rc == 0)
		rc = res_pkt_wire(p, &wire, &n);
	if (rc == 0 && n > limit) {
		/* Too large: header, question and OPT only, with TC. */
		free(wire);
		wire = NULL;
		ldns_pkt_free(p);
		if ((p = res_pkt_new(q, rcode)) == NULL)
			return DL_EDNS;
		ldns_pkt_set_tc(p, true);
		rc = res_pkt_wire(p, &wire, &n);
	}
	ldns_pkt_free(p);
	if (rc != 0)
		return rc;
	*out = wire;
	*len = n;
	return 0;
}

/* One TLSA record as "usage selector type hex[...]" into buf. */
static void
res_tlsa_text(const ldns_rr *rr, char *buf, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	const ldns_rdf *f[4];
	const uint8_t *d;
	size_t i, n, o;

	for (i = 0; i < 4; i++)
		f[i] = ldns_rr_rdf(rr, i);
	if (ldns_rr_rd_count(rr) != 4 || ldns_rdf_size(f[0]) != 1 ||
	    ldns_rdf_size(f[1]) != 1 || ldns_rdf_size(f[2]) != 1) {
		snprintf(buf, len, "?");
		return;
	}
	o = (size_t)snprintf(buf, len, "%u %u %u ", ldns_rdf_data(f[0])[0],
	    ldns_rdf_data(f[1])[0], ldns_rdf_data(f[2])[0]);
	d = ldns_rdf_data(f[3]);
	n = ldns_rdf_size(f[3]);
	for (i = 0; i < n && i < RES_EV_TLSA_DATA && o + 3 < len; i++) {
		buf[o++] = digits[d[i] >> 4];
		buf[o++] = digits[d[i] & 15];
	}
	buf[o] = '\0';
	if (n > RES_EV_TLSA_DATA && o + 4 <= len)
		memcpy(buf + o, "...", 4);
}

char *
res_answer_tlsa_json(const struct res_query *q, const struct ub_result *r)
{
	/* One: "255 255 255 " + 64 digits + "..." = 79; each in the
	 * list with its quotes and comma; brackets. */
	char one[80], out[RES_EV_TLSA_MAX * (sizeof(one) + 3) + 3];
	ldns_pkt *up = NULL;
	ldns_rr_list *an;
	ldns_rr *rr;
	size_t i, o = 0, n = 0;

	if (q->qtype != LDNS_RR_TYPE_TLSA || r == NULL || r->bogus ||
	    r->answer_packet == NULL || r->answer_len < LDNS_HEADER_SIZE ||
	    ldns_wire2pkt(&up, r->answer_packet, (size_t)r->answer_len) !=
	    LDNS_STATUS_OK)
		return NULL;
	an = ldns_pkt_answer(up);
	out[o++] = '[';
	for (i = 0; i < ldns_rr_list_rr_count(an) && n < RES_EV_TLSA_MAX;
	    i++) {
		rr = ldns_rr_list_rr(an, i);
		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_TLSA)
			continue;
		res_tlsa_text(rr, one, sizeof(one));
		/* Cannot overflow: one is bounded, out sized for 8 of it. */
		o += (size_t)snprintf(out + o, sizeof(out) - o - 2,
		    "%s\"%s\"", n++ > 0 ? "," : "", one);
	}
	out[o++] = ']';
	out[o] = '\0';
	ldns_pkt_free(up);
	return xstrdup(out);
}
