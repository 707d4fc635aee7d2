/*
 * dns_lookup.c -- what an authoritative server answers, as a plan.
 *
 * Owns: the lookup algorithm of RFC 1034 4.3.2 within one zone
 * (delegations, exact matches, CNAMEs followed inside the zone,
 * wildcards, names that do not exist), and the DNSSEC additions of RFC
 * 4035 3.1 and RFC 5155 7.2: RRSIGs, DS or the proof there is none in
 * referrals, NSEC/NSEC3 proofs for NODATA, NXDOMAIN and wildcard
 * answers.  Like NSD, positive answers carry the apex NS RRset in the
 * authority section and the addresses of name servers and MX/SRV
 * targets in the additional section, both optional (left out when they
 * do not fit).  Does not own: choosing the zone, faults, the wire.
 */
#include <string.h>

#include "simulator/dns/dns_int.h"

struct dns_lk {
	const struct dns_zone *z;
	struct dns_plan *p;
	uint16_t qtype;
	bool do_bit; /* add RRSIGs */
	bool proofs; /* add NSEC/NSEC3 proofs: DO and signed */
	bool left;   /* a CNAME led out of the zone's data */
};

enum dns_step {
	DNS_STEP_DONE,
	DNS_STEP_FOLLOW, /* a CNAME to a name in the zone */
};

/* Suffix offsets of name: [0] = name itself ... [n] = the root. */
static size_t
dns_suffixes(const uint8_t *name, uint8_t offs[DNS_LABELS_MAX + 1])
{
	size_t n = dns_wname_labels(name, offs);

	offs[n] = (uint8_t)(dns_wname_len(name) - 1);
	return n;
}

static size_t
dns_wname_nlabels(const uint8_t *name)
{
	uint8_t offs[DNS_LABELS_MAX];

	return dns_wname_labels(name, offs);
}

static void
dns_add_soa(struct dns_lk *lk)
{
	dns_plan_add(lk->p, DNS_SEC_AUTHORITY, false,
	    dns_node_rrset(lk->z->apex_node, LDNS_RR_TYPE_SOA), lk->do_bit,
	    NULL);
}

static void
dns_add_n3(struct dns_lk *lk, const struct dns_n3 *e)
{
	if (e != NULL)
		dns_plan_add(
		    lk->p, DNS_SEC_AUTHORITY, false, &e->set, true, NULL);
}

static void
dns_add_nsec(struct dns_lk *lk, const struct dns_rrset *s)
{
	if (s != NULL)
		dns_plan_add(lk->p, DNS_SEC_AUTHORITY, false, s, true, NULL);
}

/* "*." + parent, into buf (DNS_NAME_MAX); false if too long. */
static bool
dns_wildcard_of(const uint8_t *parent, uint8_t *buf)
{
	size_t n = dns_wname_len(parent);

	if (n + 2 > DNS_NAME_MAX)
		return false;
	buf[0] = 1;
	buf[1] = '*';
	memcpy(buf + 2, parent, n);
	return true;
}

/*
 * Closest encloser of name (which does not exist): the longest existing
 * ancestor.  Sets *ce and *nc (the next closer name) into name.
 */
static void
dns_closest_encloser(const struct dns_zone *z, const uint8_t *name,
    const uint8_t **ce, const uint8_t **nc)
{
	uint8_t offs[DNS_LABELS_MAX + 1];
	size_t n = dns_suffixes(name, offs), i;

	for (i = 1; i <= n; i++) {
		const uint8_t *s = name + offs[i];

		if (!dns_wname_under(s, z->apex) || dns_zone_exists(z, s)) {
			*ce = s;
			*nc = name + offs[i - 1];
			return;
		}
	}
	*ce = *nc = name; /* not reached: the apex exists */
}

/* RFC 5155 7.2.1: closest encloser proof, and a wildcard one (7.2.2). */
static void
dns_n3_ce_proof(
    struct dns_lk *lk, const uint8_t *ce, const uint8_t *nc, bool wildcard)
{
	uint8_t wild[DNS_NAME_MAX];

	dns_add_n3(lk, dns_zone_n3_match(lk->z, ce));
	dns_add_n3(lk, dns_zone_n3_cover(lk->z, nc));
	if (wildcard && dns_wildcard_of(ce, wild))
		dns_add_n3(lk, dns_zone_n3_cover(lk->z, wild));
}

/* Proof that name (node, or an empty non-terminal) has no such type. */
static void
dns_nodata_proof(
    struct dns_lk *lk, const uint8_t *name, const struct dns_node *node)
{
	const struct dns_n3 *m;
	const struct dns_rrset *s;
	const uint8_t *ce, *nc;

	if (!lk->proofs)
		return;
	if (lk->z->nsec3) {
		/* RFC 5155 7.2.3 / 7.2.4; without a match (opt-out), the
		 * closest encloser proof. */
		if ((m = dns_zone_n3_match(lk->z, name)) != NULL) {
			dns_add_n3(lk, m);
			return;
		}
		/* RFC 5155 7.2.4: the closest *provable* encloser: an
		 * empty non-terminal made only by opt-out delegations has
		 * no NSEC3 either, so go up to one that has. */
		nc = name;
		ce = name + *name + 1;
		while (dns_zone_n3_match(lk->z, ce) == NULL &&
		    !dns_wname_eq(ce, lk->z->apex) && *ce != 0) {
			nc = ce;
			ce += *ce + 1;
		}
		dns_n3_ce_proof(lk, ce, nc, false);
		return;
	}
	/* RFC 4035 3.1.3.1; an empty non-terminal: the NSEC covering it
	 * (3.1.3.2). */
	s = node != NULL ? dns_node_rrset(node, LDNS_RR_TYPE_NSEC) : NULL;
	if (s == NULL || s->n == 0)
		s = dns_zone_nsec_cover(lk->z, name);
	dns_add_nsec(lk, s);
}

static void
dns_nodata(struct dns_lk *lk, const uint8_t *name, const struct dns_node *node)
{
	lk->p->rcode = DNS_RCODE_NOERROR;
	lk->p->kind = DNS_KIND_NODATA;
	dns_add_soa(lk);
	dns_nodata_proof(lk, name, node);
}

static void
dns_nxdomain(struct dns_lk *lk, const uint8_t *name, const uint8_t *ce,
    const uint8_t *nc)
{
	uint8_t wild[DNS_NAME_MAX];

	lk->p->rcode = DNS_RCODE_NXDOMAIN;
	lk->p->kind = DNS_KIND_NXDOMAIN;
	dns_add_soa(lk);
	if (!lk->proofs)
		return;
	if (lk->z->nsec3) {
		dns_n3_ce_proof(lk, ce, nc, true);
		return;
	}
	/* RFC 4035 3.1.3.2: the name and the wildcard do not exist. */
	dns_add_nsec(lk, dns_zone_nsec_cover(lk->z, name));
	if (dns_wildcard_of(ce, wild))
		dns_add_nsec(lk, dns_zone_nsec_cover(lk->z, wild));
}

/* A and AAAA of name, if the zone has them, in the additional section. */
static void
dns_add_addresses(struct dns_lk *lk, const uint8_t *name, bool optional)
{
	static const uint16_t types[] = {LDNS_RR_TYPE_A, LDNS_RR_TYPE_AAAA};
	const struct dns_node *n;
	size_t i;

	if (!dns_wname_under(name, lk->z->apex) ||
	    (n = dns_zone_find(lk->z, name)) == NULL)
		return;
	for (i = 0; i < 2; i++)
		dns_plan_add(lk->p, DNS_SEC_ADDITIONAL, optional,
		    dns_node_rrset(n, types[i]),
		    lk->do_bit && !(n->flags & DNS_NODE_OCCLUDED), NULL);
}

/* The name an NS, MX or SRV record points to, or NULL. */
static const uint8_t *
dns_rr_target(const ldns_rr *rr)
{
	size_t i;

	switch (ldns_rr_get_type(rr)) {
	case LDNS_RR_TYPE_NS:
		i = 0;
		break;
	case LDNS_RR_TYPE_MX:
		i = 1;
		break;
	case LDNS_RR_TYPE_SRV:
		i = 3;
		break;
	default:
		return NULL;
	}
	if (ldns_rr_rd_count(rr) <= i ||
	    ldns_rdf_get_type(ldns_rr_rdf(rr, i)) != LDNS_RDF_TYPE_DNAME)
		return NULL;
	return ldns_rdf_data(ldns_rr_rdf(rr, i));
}

/* Optional authority NS and additional addresses of a positive answer. */
static void
dns_positive_extras(struct dns_lk *lk)
{
	struct dns_plan *p = lk->p;
	const struct dns_rrset *ns =
	    dns_node_rrset(lk->z->apex_node, LDNS_RR_TYPE_NS);
	size_t i, k, ng = p->n_g;
	const uint8_t *t;

	for (i = 0; i < ng; i++) {
		if (p->g[i].section != DNS_SEC_ANSWER)
			continue;
		for (k = 0; k < p->g[i].n; k++) {
			t = dns_rr_target(p->rr[p->g[i].first + k].rr);
			if (t != NULL)
				dns_add_addresses(lk, t, true);
		}
	}
	if (ns == NULL ||
	    !dns_plan_add(p, DNS_SEC_AUTHORITY, true, ns, lk->do_bit, NULL))
		return;
	for (k = 0; k < ns->n; k++)
		if ((t = dns_rr_target(ns->rr[k])) != NULL)
			dns_add_addresses(lk, t, true);
}

/* RFC 4035 3.1.4 / RFC 5155 7.2.7: a referral to the child at cut. */
static void
dns_referral(struct dns_lk *lk, const struct dns_node *cut)
{
	const struct dns_rrset *ns = dns_node_rrset(cut, LDNS_RR_TYPE_NS);
	const struct dns_rrset *ds = dns_node_rrset(cut, LDNS_RR_TYPE_DS);
	const uint8_t *t;
	size_t k;

	lk->p->aa = false;
	lk->p->rcode = DNS_RCODE_NOERROR;
	lk->p->kind = DNS_KIND_REFERRAL;
	dns_plan_add(lk->p, DNS_SEC_AUTHORITY, false, ns, false, NULL);
	if (lk->proofs) {
		if (ds != NULL && ds->n > 0)
			dns_plan_add(
			    lk->p, DNS_SEC_AUTHORITY, false, ds, true, NULL);
		else
			dns_nodata_proof(lk, cut->name, cut);
	}
	/* Glue below the cut is required (RFC 9471), other addresses not. */
	for (k = 0; k < ns->n; k++)
		if ((t = dns_rr_target(ns->rr[k])) != NULL)
			dns_add_addresses(
			    lk, t, !dns_wname_under(t, cut->name));
}

/*
 * The records of node for the query type (owner: wildcard expansion).
 * Returns whether there were any; if not, and not for a wildcard, the
 * NODATA response is made here.
 */
static bool
dns_answer_node(struct dns_lk *lk, const uint8_t *name,
    const struct dns_node *node, const uint8_t *owner)
{
	struct dns_plan *p = lk->p;
	bool any = false;
	size_t i;

	if (lk->qtype == LDNS_RR_TYPE_ANY) {
		/* RFC 8482 4.2: one RRset, the SOA at the apex (as NSD). */
		const struct dns_rrset *one =
		    dns_node_rrset(node, LDNS_RR_TYPE_SOA);

		for (i = 0; i < node->nsets && one == NULL; i++)
			if (node->sets[i].n > 0 &&
			    (lk->do_bit ||
				node->sets[i].type != LDNS_RR_TYPE_NSEC))
				one = &node->sets[i];
		any = dns_plan_add(
		    p, DNS_SEC_ANSWER, false, one, lk->do_bit, owner);
	} else if (lk->qtype == LDNS_RR_TYPE_RRSIG) {
		for (i = 0; i < node->nsets; i++)
			any |= dns_plan_add_sigs(
			    p, DNS_SEC_ANSWER, &node->sets[i], owner);
	} else {
		any = dns_plan_add(p, DNS_SEC_ANSWER, false,
		    dns_node_rrset(node, lk->qtype), lk->do_bit, owner);
	}
	if (any) {
		p->rcode = DNS_RCODE_NOERROR;
		p->kind = DNS_KIND_ANSWER;
		return true;
	}
	if (owner == NULL)
		dns_nodata(lk, name, node);
	return false;
}

/* The query asks for what the node has beside its CNAME (RFC 4035 2.5:
 * RRSIG and NSEC), or for the CNAME itself, or ANY. */
static bool
dns_cname_stops(const struct dns_lk *lk, const struct dns_node *node)
{
	const struct dns_rrset *s;
	size_t i;

	switch (lk->qtype) {
	case LDNS_RR_TYPE_CNAME:
	case LDNS_RR_TYPE_ANY:
		return true;
	case LDNS_RR_TYPE_NSEC:
		s = dns_node_rrset(node, LDNS_RR_TYPE_NSEC);
		return s != NULL && s->n > 0;
	case LDNS_RR_TYPE_RRSIG:
		for (i = 0; i < node->nsets; i++)
			if (node->sets[i].nsig > 0)
				return true;
		return false;
	default:
		return false;
	}
}

/*
 * A CNAME at node, unless the query is for a type that lives beside it.
 * Adds it and sets *next to its target; false if there is none or it
 * was already followed (a loop).
 */
static bool
dns_cname(struct dns_lk *lk, const struct dns_node *node, const uint8_t *owner,
    const uint8_t **next)
{
	const struct dns_rrset *cn = dns_node_rrset(node, LDNS_RR_TYPE_CNAME);

	if (cn == NULL || cn->n == 0 || dns_cname_stops(lk, node))
		return false;
	if (!dns_plan_add(
		lk->p, DNS_SEC_ANSWER, false, cn, lk->do_bit, owner)) {
		*next = NULL;
		return true;
	}
	lk->p->rcode = DNS_RCODE_NOERROR;
	lk->p->kind = DNS_KIND_ANSWER;
	*next = ldns_rdf_data(ldns_rr_rdf(cn->rr[0], 0));
	return true;
}

/* RFC 4035 3.1.3.3, RFC 5155 7.2.6: the name a wildcard answered for
 * does not exist itself. */
static void
dns_wildcard_proof(struct dns_lk *lk, const uint8_t *name, const uint8_t *nc)
{
	if (!lk->proofs)
		return;
	if (lk->z->nsec3)
		dns_add_n3(lk, dns_zone_n3_cover(lk->z, nc));
	else
		dns_add_nsec(lk, dns_zone_nsec_cover(lk->z, name));
}

/* A name that does not exist: a wildcard, or NXDOMAIN. */
static enum dns_step
dns_lookup_missing(struct dns_lk *lk, const uint8_t *name, const uint8_t **next)
{
	const uint8_t *ce, *nc, *owner;
	const struct dns_node *w;
	uint8_t wild[DNS_NAME_MAX];

	dns_closest_encloser(lk->z, name, &ce, &nc);
	if (!dns_wildcard_of(ce, wild) || !dns_zone_exists(lk->z, wild)) {
		dns_nxdomain(lk, name, ce, nc);
		return DNS_STEP_DONE;
	}
	/* RFC 4592: the wildcard *.ce answers for name. */
	w = dns_zone_find(lk->z, wild);
	owner = dns_plan_name(lk->p, name);
	if (w != NULL && dns_cname(lk, w, owner, next)) {
		dns_wildcard_proof(lk, name, nc);
		return *next != NULL ? DNS_STEP_FOLLOW : DNS_STEP_DONE;
	}
	if (w != NULL && dns_answer_node(lk, name, w, owner)) {
		dns_wildcard_proof(lk, name, nc);
		return DNS_STEP_DONE;
	}
	/* RFC 4035 3.1.3.4, RFC 5155 7.2.5: wildcard NODATA. */
	lk->p->rcode = DNS_RCODE_NOERROR;
	lk->p->kind = DNS_KIND_NODATA;
	dns_add_soa(lk);
	if (!lk->proofs)
		return DNS_STEP_DONE;
	if (lk->z->nsec3) {
		dns_n3_ce_proof(lk, ce, nc, false);
		dns_add_n3(lk, dns_zone_n3_match(lk->z, wild));
	} else {
		dns_add_nsec(lk, dns_zone_nsec_cover(lk->z, name));
		dns_nodata_proof(lk, wild, w);
	}
	return DNS_STEP_DONE;
}

/* One step of RFC 1034 4.3.2 from step 3 on, for name in zone z. */
static enum dns_step
dns_lookup_step(
    struct dns_lk *lk, const uint8_t *name, bool first, const uint8_t **next)
{
	uint8_t offs[DNS_LABELS_MAX + 1];
	size_t n = dns_suffixes(name, offs), al, i;
	const struct dns_node *node;

	*next = NULL;
	/* Zone cuts between the apex and name, from the top. */
	al = dns_wname_nlabels(lk->z->apex);
	for (i = n - al; i-- > 0;) {
		node = dns_zone_find(lk->z, name + offs[i]);
		if (node == NULL || !(node->flags & DNS_NODE_CUT))
			continue;
		/* DS at the cut is the parent's data (RFC 4035 3.1.4.1). */
		if (i == 0 && lk->qtype == LDNS_RR_TYPE_DS)
			break;
		/* A referral; after a CNAME, the answer stops there. */
		if (first)
			dns_referral(lk, node);
		else
			lk->left = true;
		return DNS_STEP_DONE;
	}
	node = dns_zone_find(lk->z, name);
	if (node != NULL) {
		if (dns_cname(lk, node, NULL, next))
			return *next != NULL ? DNS_STEP_FOLLOW : DNS_STEP_DONE;
		(void)dns_answer_node(lk, name, node, NULL);
		return DNS_STEP_DONE;
	}
	if (dns_zone_exists(lk->z, name)) {
		dns_nodata(lk, name, NULL); /* empty non-terminal */
		return DNS_STEP_DONE;
	}
	return dns_lookup_missing(lk, name, next);
}

void
dns_lookup(const struct dns_zone *z, const uint8_t *qname, uint16_t qtype,
    bool do_bit, struct dns_plan *p)
{
	struct dns_lk lk = {
	    z, p, qtype, do_bit, do_bit && z->is_signed && z->has_rrsig, false};
	const uint8_t *name = qname, *next;
	size_t hop;

	p->zone = z;
	p->aa = true;
	p->rcode = DNS_RCODE_NOERROR;
	p->kind = DNS_KIND_NODATA;
	for (hop = 0; hop <= DNS_CNAME_MAX; hop++) {
		if (dns_lookup_step(&lk, name, hop == 0, &next) !=
		    DNS_STEP_FOLLOW)
			break;
		/* Follow the CNAME while its target is in this zone. */
		if (!dns_wname_under(next, z->apex)) {
			lk.left = true;
			break;
		}
		name = next;
	}
	/* As NSD: DNSKEY, DS and ANY answers stay minimal, and so do
	 * CNAME chains leaving the zone. */
	if (p->kind == DNS_KIND_ANSWER && !lk.left &&
	    qtype != LDNS_RR_TYPE_ANY && qtype != LDNS_RR_TYPE_DNSKEY &&
	    qtype != LDNS_RR_TYPE_DS)
		dns_positive_extras(&lk);
}

bool
dns_zone_auth(const struct dns_zone *z, const uint8_t *name, uint16_t qtype)
{
	uint8_t offs[DNS_LABELS_MAX + 1];
	size_t n = dns_suffixes(name, offs), al, i;
	const struct dns_node *node;

	al = dns_wname_nlabels(z->apex);
	if (n < al)
		return false;
	for (i = n - al; i-- > 0;) {
		node = dns_zone_find(z, name + offs[i]);
		if (node != NULL && (node->flags & DNS_NODE_CUT))
			return i == 0 && qtype == LDNS_RR_TYPE_DS;
	}
	return true;
}
