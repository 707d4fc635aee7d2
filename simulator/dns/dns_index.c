/*
 * dns_index.c -- one zone of a world indexed for answering.
 *
 * Owns: grouping a zone's records into names (canonical order, binary
 * search) and RRsets with their RRSIGs, marking the apex, zone cuts and
 * occluded names (glue), and the NSEC3 chain sorted by hash with the
 * zone's hash parameters.  Empty non-terminals are not stored: a name
 * exists when a stored name is it or lies below it, which canonical
 * order makes a lookup of the name's successor.  Does not own: what an
 * answer contains (dns_lookup.c).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "simulator/dns/dns_int.h"
#include "simulator/util/xmem.h"

/* One record being sorted into the index. */
struct dns_ient {
	const uint8_t *owner;
	uint16_t type; /* for an RRSIG: the type covered */
	bool sig;
	size_t idx; /* original position: keeps sorting stable */
	ldns_rr *rr;
	uint8_t hash[20]; /* NSEC3 records only */
};

static bool
dns_type_dnssec(ldns_rr_type t)
{
	return t == LDNS_RR_TYPE_RRSIG || t == LDNS_RR_TYPE_NSEC ||
	    t == LDNS_RR_TYPE_NSEC3 || t == LDNS_RR_TYPE_NSEC3PARAM ||
	    t == LDNS_RR_TYPE_DS;
}

static int
dns_ient_cmp(const void *a, const void *b)
{
	const struct dns_ient *x = a, *y = b;
	int c = dns_wname_cmp(x->owner, y->owner);

	if (c != 0)
		return c;
	if (x->type != y->type)
		return x->type < y->type ? -1 : 1;
	if (x->sig != y->sig)
		return x->sig ? 1 : -1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int
dns_ient_hash_cmp(const void *a, const void *b)
{
	const struct dns_ient *x = a, *y = b;
	int c = memcmp(x->hash, y->hash, sizeof(x->hash));

	if (c != 0)
		return c;
	if (x->sig != y->sig)
		return x->sig ? 1 : -1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Decode a 32-character base32hex label (RFC 4648 7) into 20 bytes. */
static bool
dns_b32hex_decode(const uint8_t *label, uint8_t out[20])
{
	uint32_t acc = 0;
	size_t i, o = 0;
	int bits = 0;

	if (label[0] != 32)
		return false;
	for (i = 1; i <= 32; i++) {
		uint8_t c = label[i], v;

		if (c >= '0' && c <= '9')
			v = (uint8_t)(c - '0');
		else if (c >= 'a' && c <= 'v')
			v = (uint8_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'V')
			v = (uint8_t)(c - 'A' + 10);
		else
			return false;
		acc = (acc << 5) | v;
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	return o == 20;
}

/* Hash parameters from an NSEC3 or NSEC3PARAM record. */
static bool
dns_n3_params(struct dns_zone *z, const ldns_rr *rr)
{
	const ldns_rdf *salt;

	if (ldns_rr_rd_count(rr) < 4)
		return false;
	salt = ldns_rr_rdf(rr, 3);
	if (ldns_rdf_size(salt) < 1 ||
	    ldns_rdf_size(salt) != 1u + ldns_rdf_data(salt)[0])
		return false;
	z->n3_alg = ldns_rdf_data(ldns_rr_rdf(rr, 0))[0];
	z->n3_iter = ldns_rdf2native_int16(ldns_rr_rdf(rr, 2));
	z->n3_saltlen = ldns_rdf_data(salt)[0];
	memcpy(z->n3_salt, ldns_rdf_data(salt) + 1, z->n3_saltlen);
	return true;
}

void
dns_zone_n3_hash(const struct dns_zone *z, const uint8_t *name, uint8_t out[20])
{
	uint8_t buf[DNS_NAME_MAX + 255];
	unsigned int mdlen;
	size_t n;
	unsigned i;

	/* RFC 5155 5: IH(salt, x, 0) = H(x || salt), then k times more. */
	n = dns_wname_lower(buf, name);
	memcpy(buf + n, z->n3_salt, z->n3_saltlen);
	EVP_Digest(buf, n + z->n3_saltlen, out, &mdlen, EVP_sha1(), NULL);
	for (i = 0; i < z->n3_iter; i++) {
		memcpy(buf, out, 20);
		memcpy(buf + 20, z->n3_salt, z->n3_saltlen);
		EVP_Digest(
		    buf, 20u + z->n3_saltlen, out, &mdlen, EVP_sha1(), NULL);
	}
}

/* Group sorted entries [0, n) into RRsets of consecutive equal types. */
static size_t
dns_group_sets(
    struct dns_ient *v, size_t n, ldns_rr **ptrs, struct dns_rrset *sets)
{
	size_t i = 0, k = 0, j;

	while (i < n) {
		struct dns_rrset *s = &sets[k++];

		s->type = v[i].type;
		s->rr = &ptrs[i];
		s->n = 0;
		s->nsig = 0;
		for (j = i; j < n && v[j].type == s->type; j++) {
			ptrs[j] = v[j].rr;
			if (v[j].sig)
				s->nsig++;
			else
				s->n++;
		}
		s->sig = &ptrs[i + s->n];
		i = j;
	}
	return k;
}

static void
dns_zone_mark(struct dns_zone *z)
{
	const uint8_t *cut = NULL;
	size_t i;

	for (i = 0; i < z->n_nodes; i++) {
		struct dns_node *nd = &z->nodes[i];
		const struct dns_rrset *ns;

		if (dns_wname_eq(nd->name, z->apex)) {
			nd->flags |= DNS_NODE_APEX;
			z->apex_node = nd;
			continue;
		}
		/* Names below a cut follow it in canonical order. */
		if (cut != NULL && dns_wname_under(nd->name, cut)) {
			nd->flags |= DNS_NODE_OCCLUDED;
			continue;
		}
		cut = NULL;
		ns = dns_node_rrset(nd, LDNS_RR_TYPE_NS);
		if (ns != NULL && ns->n > 0) {
			nd->flags |= DNS_NODE_CUT;
			cut = nd->name;
		}
	}
}

int
dns_zone_init(
    struct dns_zone *z, const struct world_zone *wz, struct dl_diags *diags)
{
	const ldns_rr_list *rrs = ldns_zone_rrs(wz->zone);
	size_t nrr = ldns_rr_list_rr_count(rrs), ne = 0, n3 = 0, i, j;
	struct dns_ient *ent, *e3;
	const ldns_rr *n3param = NULL;
	ldns_rr *soa = ldns_zone_soa(wz->zone);

	memset(z, 0, sizeof(*z));
	z->wz = wz;
	z->is_signed = wz->is_signed;
	if (soa == NULL)
		return dl_error(
		    diags, NULL, 0, 0, "zone %s has no SOA", wz->name);
	z->apex = dns_rdf_name(ldns_rr_owner(soa));

	ent = xcalloc(nrr + 1, sizeof(*ent));
	e3 = xcalloc(nrr + 1, sizeof(*e3));
	for (i = 0; i <= nrr; i++) {
		ldns_rr *rr = i == 0 ? soa : ldns_rr_list_rr(rrs, i - 1);
		ldns_rr_type t = ldns_rr_get_type(rr);
		struct dns_ient it = {
		    dns_rdf_name(ldns_rr_owner(rr)), t, false, i, rr, {0}};

		if (i > 0 && t == LDNS_RR_TYPE_SOA)
			continue; /* the SOA is taken from ldns_zone_soa */
		if (!z->is_signed && dns_type_dnssec(t))
			continue;
		if (!dns_wname_under(it.owner, z->apex))
			continue;
		if (t == LDNS_RR_TYPE_RRSIG) {
			if (ldns_rr_rd_count(rr) < 1)
				continue;
			z->has_rrsig = true;
			it.sig = true;
			it.type =
			    ldns_rdf2rr_type(ldns_rr_rrsig_typecovered(rr));
		}
		if (it.type == LDNS_RR_TYPE_NSEC3) {
			/* Hashed owner: first label below the apex. */
			if (!dns_b32hex_decode(it.owner, it.hash) ||
			    !dns_wname_eq(it.owner + 33, z->apex))
				continue;
			e3[n3++] = it;
			if (!it.sig && n3param == NULL)
				n3param = rr;
			continue;
		}
		if (t == LDNS_RR_TYPE_NSEC3PARAM &&
		    dns_wname_eq(it.owner, z->apex))
			n3param = rr;
		ent[ne++] = it;
	}

	qsort(ent, ne, sizeof(*ent), dns_ient_cmp);
	qsort(e3, n3, sizeof(*e3), dns_ient_hash_cmp);
	z->ptrs = xcalloc(ne + n3 + 1, sizeof(*z->ptrs));

	/* Names: runs of equal owners. */
	z->nodes = xcalloc(ne + 1, sizeof(*z->nodes));
	for (i = 0; i < ne; i = j) {
		struct dns_node *nd = &z->nodes[z->n_nodes++];
		size_t ntypes = 0;

		for (j = i; j < ne && dns_wname_eq(ent[j].owner, ent[i].owner);
		     j++)
			if (j == i || ent[j].type != ent[j - 1].type)
				ntypes++;
		nd->name = ent[i].owner;
		nd->sets = xcalloc(ntypes, sizeof(*nd->sets));
		nd->nsets =
		    dns_group_sets(&ent[i], j - i, &z->ptrs[i], nd->sets);
	}

	/* The NSEC3 chain: runs of equal hashes (NSEC3, then RRSIGs). */
	if (n3 > 0) {
		z->n3 = xcalloc(n3, sizeof(*z->n3));
		for (i = 0; i < n3; i = j) {
			struct dns_n3 *h = &z->n3[z->n_n3];

			for (j = i;
			     j < n3 && memcmp(e3[j].hash, e3[i].hash, 20) == 0;
			     j++)
				;
			(void)dns_group_sets(
			    &e3[i], j - i, &z->ptrs[ne + i], &h->set);
			if (h->set.n == 0)
				continue; /* signatures without an NSEC3 */
			memcpy(h->hash, e3[i].hash, 20);
			h->rr = h->set.rr[0];
			z->n_n3++;
		}
	}
	z->nsec3 = z->is_signed && n3param != NULL && dns_n3_params(z, n3param);
	if (z->nsec3 && z->n3_alg != LDNS_SHA1) {
		dl_warn(diags, NULL, 0, 0,
		    "zone %s: NSEC3 hash algorithm %u not supported, "
		    "no NSEC3 proofs will be served",
		    wz->name, z->n3_alg);
		z->nsec3 = false;
	}
	dns_zone_mark(z);
	free(ent);
	free(e3);
	if (z->apex_node == NULL) {
		dns_zone_clear(z);
		return dl_error(
		    diags, NULL, 0, 0, "zone %s: no apex", wz->name);
	}
	return 0;
}

void
dns_zone_clear(struct dns_zone *z)
{
	size_t i;

	if (z == NULL)
		return;
	for (i = 0; i < z->n_nodes; i++)
		free(z->nodes[i].sets);
	free(z->nodes);
	free(z->n3);
	free(z->ptrs);
	memset(z, 0, sizeof(*z));
}

/* First node not before name (n_nodes if none). */
static size_t
dns_zone_lower_bound(const struct dns_zone *z, const uint8_t *name)
{
	size_t lo = 0, hi = z->n_nodes;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (dns_wname_cmp(z->nodes[mid].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const struct dns_node *
dns_zone_find(const struct dns_zone *z, const uint8_t *name)
{
	size_t i = dns_zone_lower_bound(z, name);

	if (i < z->n_nodes && dns_wname_eq(z->nodes[i].name, name))
		return &z->nodes[i];
	return NULL;
}

bool
dns_zone_exists(const struct dns_zone *z, const uint8_t *name)
{
	size_t i = dns_zone_lower_bound(z, name);

	/* name itself, or its first descendant, comes next. */
	return i < z->n_nodes && dns_wname_under(z->nodes[i].name, name);
}

const struct dns_rrset *
dns_node_rrset(const struct dns_node *n, uint16_t type)
{
	size_t i;

	for (i = 0; i < n->nsets; i++)
		if (n->sets[i].type == type)
			return &n->sets[i];
	return NULL;
}

static const struct dns_rrset *
dns_node_nsec(const struct dns_node *n)
{
	const struct dns_rrset *s = dns_node_rrset(n, LDNS_RR_TYPE_NSEC);

	return s != NULL && s->n > 0 ? s : NULL;
}

const struct dns_rrset *
dns_zone_nsec_cover(const struct dns_zone *z, const uint8_t *name)
{
	size_t i = dns_zone_lower_bound(z, name);
	const struct dns_rrset *s;

	/* The last NSEC owner before name; past the start, wrap around. */
	while (i-- > 0)
		if ((s = dns_node_nsec(&z->nodes[i])) != NULL)
			return s;
	for (i = z->n_nodes; i-- > 0;)
		if ((s = dns_node_nsec(&z->nodes[i])) != NULL)
			return s;
	return NULL;
}

/* First NSEC3 whose hash is not below h. */
static size_t
dns_zone_n3_lower_bound(const struct dns_zone *z, const uint8_t h[20])
{
	size_t lo = 0, hi = z->n_n3;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (memcmp(z->n3[mid].hash, h, 20) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const struct dns_n3 *
dns_zone_n3_match(const struct dns_zone *z, const uint8_t *name)
{
	uint8_t h[20];
	size_t i;

	if (!z->nsec3 || z->n_n3 == 0)
		return NULL;
	dns_zone_n3_hash(z, name, h);
	i = dns_zone_n3_lower_bound(z, h);
	if (i < z->n_n3 && memcmp(z->n3[i].hash, h, 20) == 0)
		return &z->n3[i];
	return NULL;
}

const struct dns_n3 *
dns_zone_n3_cover(const struct dns_zone *z, const uint8_t *name)
{
	uint8_t h[20];
	size_t i;

	if (!z->nsec3 || z->n_n3 == 0)
		return NULL;
	dns_zone_n3_hash(z, name, h);
	i = dns_zone_n3_lower_bound(z, h);
	if (i < z->n_n3 && memcmp(z->n3[i].hash, h, 20) == 0)
		return NULL; /* matched, not covered */
	/* The previous hash; before the first, the last (wraps around). */
	return &z->n3[i > 0 ? i - 1 : z->n_n3 - 1];
}
