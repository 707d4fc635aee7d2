/*
 * zone_sign.c -- sign a zone with ldns and apply the signature faults.
 *
 * Owns: DNSKEY publication, RRSIG and NSEC/NSEC3 generation (through
 * ldns_dnssec_zone_sign*), and the SIGNATURES faults: a whole zone signed
 * with an expired, future or explicitly timed validity period, or with
 * its RRSIGs corrupted or removed; one RRset re-signed with such a
 * period, corrupted or left unsigned.  Does not own: what the zone contains (zone_data.c)
 * or which keys it uses (zone_keys.c).
 */
#include <stdlib.h>
#include <string.h>

#include "simulator/util/xmem.h"
#include "simulator/zone/zone_int.h"

/*
 * Validity period of the signatures a fault asks for (f NULL: the
 * normal one); false when the fault does not change it.
 */
static bool
zone_sig_period(const struct zone_build *b, const struct scen_fault *f,
    uint32_t *inception, uint32_t *expiration)
{
	uint32_t now = (uint32_t)b->w->now;

	/* RRSIG times are serial arithmetic (RFC 4034 3.1.5): wrap. */
	if (f != NULL && f->timed) {
		*inception = now + (uint32_t)f->sig_inception;
		*expiration = now + (uint32_t)f->sig_expiration;
		return true;
	}
	switch (f != NULL ? f->sig : SCEN_SIG_VALID) {
	case SCEN_SIG_EXPIRED:
		*inception = now - WORLD_SIG_BAD_OFFSET - WORLD_SIG_LIFETIME;
		*expiration = now - WORLD_SIG_BAD_OFFSET;
		return true;
	case SCEN_SIG_NOT_YET_VALID:
		*inception = now + WORLD_SIG_BAD_OFFSET;
		*expiration = now + WORLD_SIG_BAD_OFFSET + WORLD_SIG_LIFETIME;
		return true;
	default:
		*inception = b->inception;
		*expiration = b->expiration;
		return false;
	}
}

static void
zone_keys_validity(ldns_key_list *keys, uint32_t inception, uint32_t expiration)
{
	size_t i;

	for (i = 0; i < ldns_key_list_key_count(keys); i++) {
		ldns_key_set_inception(ldns_key_list_key(keys, i), inception);
		ldns_key_set_expiration(ldns_key_list_key(keys, i), expiration);
	}
}

static void
zone_push_clones(ldns_rr_list *out, const ldns_dnssec_rrs *r, bool skip_soa)
{
	for (; r != NULL; r = r->next)
		if (!skip_soa || ldns_rr_get_type(r->rr) != LDNS_RR_TYPE_SOA)
			ldns_rr_list_push_rr(out, ldns_rr_clone(r->rr));
}

/* Every RR of the signed zone but its SOA, as owned clones. */
static ldns_rr_list *
zone_flatten(const ldns_dnssec_zone *dz)
{
	ldns_rr_list *out = ldns_rr_list_new();
	ldns_rbnode_t *node;

	for (node = ldns_rbtree_first(dz->names); node != LDNS_RBTREE_NULL;
	     node = ldns_rbtree_next(node)) {
		const ldns_dnssec_name *name = node->data;
		const ldns_dnssec_rrsets *set;

		for (set = name->rrsets; set != NULL; set = set->next) {
			zone_push_clones(out, set->rrs, true);
			zone_push_clones(out, set->signatures, false);
		}
		if (name->nsec != NULL)
			ldns_rr_list_push_rr(out, ldns_rr_clone(name->nsec));
		zone_push_clones(out, name->nsec_signatures, false);
	}
	return out;
}

static ldns_rr_type
zone_rrsig_covered(const ldns_rr *rr)
{
	return ldns_rdf2rr_type(ldns_rr_rrsig_typecovered(rr));
}

/* True if rr is an RRSIG over (owner, type); type 0 matches any. */
static bool
zone_sig_matches(const ldns_rr *rr, const ldns_rdf *owner, ldns_rr_type type)
{
	if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_RRSIG)
		return false;
	if (owner != NULL && ldns_dname_compare(ldns_rr_owner(rr), owner) != 0)
		return false;
	return type == 0 || zone_rrsig_covered(rr) == type;
}

/* Alter the signature bytes of an RRSIG; it stays well formed. */
static void
zone_sig_corrupt(ldns_rr *rr)
{
	ldns_rdf *sig = ldns_rr_rrsig_sig(rr);
	uint8_t *d;
	size_t n;

	if (sig == NULL || (n = ldns_rdf_size(sig)) == 0)
		return;
	d = ldns_rdf_data(sig);
	d[n / 2] ^= 0xff;
	d[n - 1] ^= 0x01;
}

/*
 * Apply f (whole zone when owner is NULL) to the RRSIGs in rrs: remove
 * or corrupt them.  Returns how many RRSIGs matched.
 */
static size_t
zone_sigs_edit(
    ldns_rr_list *rrs, const ldns_rdf *owner, ldns_rr_type type, bool remove)
{
	size_t i, k = 0, n = ldns_rr_list_rr_count(rrs), hit = 0;

	for (i = 0; i < n; i++) {
		ldns_rr *rr = ldns_rr_list_rr(rrs, i);

		if (zone_sig_matches(rr, owner, type)) {
			hit++;
			if (remove) {
				ldns_rr_free(rr);
				continue;
			}
			zone_sig_corrupt(rr);
		}
		ldns_rr_list_set_rr(rrs, rr, k++);
	}
	ldns_rr_list_set_rr_count(rrs, k);
	return hit;
}

/* The RRset (owner, type) from soa + rrs, as borrowed pointers. */
static ldns_rr_list *
zone_rrset(ldns_rr *soa, const ldns_rr_list *rrs, const ldns_rdf *owner,
    ldns_rr_type type)
{
	ldns_rr_list *set = ldns_rr_list_new();
	size_t i;

	if (type == LDNS_RR_TYPE_SOA &&
	    ldns_dname_compare(ldns_rr_owner(soa), owner) == 0)
		ldns_rr_list_push_rr(set, soa);
	for (i = 0; i < ldns_rr_list_rr_count(rrs); i++) {
		ldns_rr *rr = ldns_rr_list_rr(rrs, i);

		if (ldns_rr_get_type(rr) == type &&
		    ldns_dname_compare(ldns_rr_owner(rr), owner) == 0)
			ldns_rr_list_push_rr(set, rr);
	}
	return set;
}

/*
 * RRSIGs over set by fixture key id alone, valid inc..exp; *sigs is a
 * new list (NULL if ldns failed).  Returns 0 or a negative code.
 */
static int
zone_sign_by(struct zone_build *b, struct world_zone *z,
    const struct scen_fault *f, ldns_rr_list *set, uint32_t inc,
    uint32_t exp, ldns_rr_list **sigs)
{
	ldns_key_list *one;
	ldns_key *k;
	int rc;

	if ((rc = zone_key_make(b, z, f->key, &f->pos, &k, NULL)) != 0)
		return rc;
	ldns_key_set_inception(k, inc);
	ldns_key_set_expiration(k, exp);
	one = ldns_key_list_new();
	ldns_key_list_push_key(one, k);
	*sigs = ldns_sign_public(set, one);
	ldns_key_list_free(one);	/* frees k too */
	return 0;
}

/*
 * Re-sign the RRset (owner, type) with the validity of f: KSK for the
 * DNSKEY RRset, ZSK for anything else, as the zone was signed -- or by
 * f's key alone when it names one.
 */
static int
zone_resign(struct zone_build *b, struct world_zone *z, ldns_rr *soa,
    ldns_rr_list *rrs, const ldns_rdf *owner, ldns_rr_type type,
    const struct scen_fault *f)
{
	ldns_rr_list *set, *sigs = NULL;
	uint32_t inc, exp;
	size_t i;
	int rc = 0;

	set = zone_rrset(soa, rrs, owner, type);
	if (ldns_rr_list_rr_count(set) == 0) {
		ldns_rr_list_free(set);
		return 0;
	}
	(void)zone_sig_period(b, f, &inc, &exp);
	if (f->key != NULL) {
		rc = zone_sign_by(b, z, f, set, inc, exp, &sigs);
	} else {
		zone_keys_validity(z->keys, inc, exp);
		/* ldns_sign_public signs with every key in use: pick. */
		for (i = 0; i < ldns_key_list_key_count(z->keys); i++) {
			ldns_key *k = ldns_key_list_key(z->keys, i);
			bool ksk = (ldns_key_flags(k) & LDNS_KEY_SEP_KEY) != 0;

			ldns_key_set_use(
			    k, ksk == (type == LDNS_RR_TYPE_DNSKEY));
		}
		sigs = ldns_sign_public(set, z->keys);
		ldns_key_list_set_use(z->keys, true);
		zone_keys_validity(z->keys, b->inception, b->expiration);
	}
	ldns_rr_list_free(set);
	if (rc != 0)
		return rc;
	if (sigs == NULL)
		return DL_ECRYPTO;
	for (i = 0; i < ldns_rr_list_rr_count(sigs); i++)
		ldns_rr_list_push_rr(rrs, ldns_rr_list_rr(sigs, i));
	ldns_rr_list_free(sigs);
	return 0;
}

/* Covered types of the RRSIGs at owner (type 0) or just type. */
static size_t
zone_sig_types(const ldns_rr_list *rrs, const ldns_rdf *owner,
    ldns_rr_type type, ldns_rr_type *v, size_t cap)
{
	size_t i, j, n = 0;

	for (i = 0; i < ldns_rr_list_rr_count(rrs); i++) {
		ldns_rr *rr = ldns_rr_list_rr(rrs, i);
		ldns_rr_type t;

		if (!zone_sig_matches(rr, owner, type))
			continue;
		t = zone_rrsig_covered(rr);
		for (j = 0; j < n && v[j] != t; j++)
			;
		if (j == n && n < cap)
			v[n++] = t;
	}
	return n;
}

/* One RRset fault (or every RRset at a name when type is 0). */
static int
zone_rrset_fault(struct zone_build *b, struct world_zone *z, ldns_rr *soa,
    ldns_rr_list *rrs, const struct scen_fault *f)
{
	ldns_rr_type types[64];
	ldns_rdf *owner;
	ldns_rr_list *set;
	char tname[32] = "any type";
	uint32_t inc, exp;
	size_t i, n, have;
	int rc = 0;

	if (f->type != 0) {
		char *t = ldns_rr_type2str(f->type);

		snprintf(tname, sizeof(tname), "%s", t ? t : "?");
		free(t);
	}
	if (ldns_str2rdf_dname(&owner, f->name) != LDNS_STATUS_OK) {
		dl_error(b->diags, b->file, f->pos.line, f->pos.col,
		    "signature fault: bad name '%s'", f->name);
		return zone_fail(b, DL_EINVAL);
	}
	if (f->type != 0) {
		set = zone_rrset(soa, rrs, owner, f->type);
		have = ldns_rr_list_rr_count(set);
		ldns_rr_list_free(set);
	} else {
		have = 1;
	}
	n = zone_sig_types(
	    rrs, owner, f->type, types, sizeof(types) / sizeof(types[0]));
	if (have == 0 || n == 0) {
		dl_warn(b->diags, b->file, f->pos.line, f->pos.col,
		    "signature fault has no effect: %s %s %s in zone %s",
		    f->name, tname,
		    have == 0 ? "does not exist" : "is not signed", z->name);
		ldns_rdf_deep_free(owner);
		return 0;
	}
	switch (f->sig) {
	case SCEN_SIG_MISSING:
		(void)zone_sigs_edit(rrs, owner, f->type, true);
		break;
	case SCEN_SIG_CORRUPTED:
		(void)zone_sigs_edit(rrs, owner, f->type, false);
		break;
	case SCEN_SIG_VALID:
	case SCEN_SIG_EXPIRED:
	case SCEN_SIG_NOT_YET_VALID:
		if (!zone_sig_period(b, f, &inc, &exp) && f->key == NULL)
			break;
		(void)zone_sigs_edit(rrs, owner, f->type, true);
		for (i = 0; i < n && rc == 0; i++)
			rc = zone_resign(b, z, soa, rrs, owner, types[i], f);
		break;
	default:
		break;
	}
	ldns_rdf_deep_free(owner);
	if (rc != 0) {
		dl_error(b->diags, b->file, f->pos.line, f->pos.col,
		    "cannot re-sign %s %s in zone %s", f->name, tname, z->name);
		return zone_fail(b, rc);
	}
	return 0;
}

/* Add a clone of rr to dz. */
static ldns_status
zone_dz_add(ldns_dnssec_zone *dz, const ldns_rr *rr)
{
	ldns_rr *c = ldns_rr_clone(rr);
	ldns_status st = ldns_dnssec_zone_add_rr(dz, c);

	if (st != LDNS_STATUS_OK)
		ldns_rr_free(c);
	return st;
}

/* The RRset (owner, type) has a record in rrs. */
static bool
zone_has(const ldns_rr_list *rrs, const ldns_rdf *owner, ldns_rr_type type)
{
	size_t i;

	for (i = 0; i < ldns_rr_list_rr_count(rrs); i++) {
		ldns_rr *rr = ldns_rr_list_rr(rrs, i);

		if (ldns_rr_get_type(rr) == type &&
		    ldns_dname_compare(ldns_rr_owner(rr), owner) == 0)
			return true;
	}
	return false;
}

/*
 * NSEC3 opt-out (RFC 5155 6): move out of rrs every record at or below
 * a delegation without a DS (its NS and its glue) into a new list.
 * Signed without them, the zone's NSEC3 chain skips those names -- and
 * the empty non-terminals only they make -- so an opt-out span covers
 * each; ldns sets the flag but would give them records of their own.
 */
static ldns_rr_list *
zone_optout_hold(ldns_rr_list *rrs, const ldns_rdf *apex)
{
	ldns_rr_list *cuts = ldns_rr_list_new(), *held = ldns_rr_list_new();
	size_t i, j, k = 0, n = ldns_rr_list_rr_count(rrs);

	for (i = 0; i < n; i++) {
		ldns_rr *rr = ldns_rr_list_rr(rrs, i);

		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_NS &&
		    ldns_dname_compare(ldns_rr_owner(rr), apex) != 0 &&
		    !zone_has(rrs, ldns_rr_owner(rr), LDNS_RR_TYPE_DS))
			ldns_rr_list_push_rr(cuts, rr);
	}
	for (i = 0; i < n; i++) {
		ldns_rr *rr = ldns_rr_list_rr(rrs, i);
		bool below = false;

		for (j = 0; j < ldns_rr_list_rr_count(cuts) && !below; j++) {
			const ldns_rdf *cut =
			    ldns_rr_owner(ldns_rr_list_rr(cuts, j));

			below = ldns_dname_compare(ldns_rr_owner(rr), cut) ==
			    0 || ldns_dname_is_subdomain(ldns_rr_owner(rr), cut);
		}
		if (below)
			ldns_rr_list_push_rr(held, rr);
		else
			ldns_rr_list_set_rr(rrs, rr, k++);
	}
	ldns_rr_list_set_rr_count(rrs, k);
	ldns_rr_list_free(cuts);
	return held;
}

/* A SIGNATURES fault that applies to zone z. */
static bool
zone_sig_fault_for(const struct scen_fault *f, const struct world_zone *z)
{
	return f->kind == SCEN_FAULT_SIGNATURES && f->zone != NULL &&
	    strcmp(f->zone, z->name) == 0;
}

/*
 * Sign z: soa (borrowed) and rrs (consumed, whatever happens) are the
 * unsigned data; *out gets the signed RRs, SOA excluded.
 */
int
zone_sign_build(struct zone_build *b, struct world_zone *z, ldns_rr *soa,
    ldns_rr_list *rrs, ldns_rr_list **out)
{
	const struct scenario *s = b->s;
	const struct scen_fault *zf = NULL;
	ldns_dnssec_zone *dz;
	ldns_rr_list *new_rrs, *signed_rrs, *held = NULL;
	ldns_status st;
	uint32_t inc, exp;
	uint8_t salt[1] = {0};
	size_t i;
	int rc = 0;

	for (i = 0; i < s->n_faults; i++) {
		const struct scen_fault *f = &s->faults[i];

		if (!zone_sig_fault_for(f, z))
			continue;
		if (!z->is_signed)
			dl_warn(b->diags, b->file, f->pos.line, f->pos.col,
			    "signature fault has no effect: zone %s is "
			    "unsigned",
			    z->name);
		else if (f->name == NULL)
			zf = f; /* the last whole-zone fault wins */
	}
	if (!z->is_signed) {
		*out = rrs;
		return 0;
	}

	if (z->scen->denial == SCEN_DENIAL_NSEC3 && z->scen->nsec3_opt_out)
		held = zone_optout_hold(rrs, ldns_rr_owner(soa));
	dz = ldns_dnssec_zone_new();
	if ((st = zone_dz_add(dz, soa)) != LDNS_STATUS_OK)
		goto sign_error;
	for (i = 0; i < ldns_rr_list_rr_count(rrs); i++)
		if ((st = zone_dz_add(dz, ldns_rr_list_rr(rrs, i))) !=
		    LDNS_STATUS_OK)
			goto sign_error;
	for (i = 0; i < ldns_rr_list_rr_count(z->dnskeys); i++)
		if ((st = zone_dz_add(dz, ldns_rr_list_rr(z->dnskeys, i))) !=
		    LDNS_STATUS_OK)
			goto sign_error;

	(void)zone_sig_period(b, zf, &inc, &exp);
	zone_keys_validity(z->keys, inc, exp);
	new_rrs = ldns_rr_list_new();
	if (z->scen->denial == SCEN_DENIAL_NSEC3)
		st = ldns_dnssec_zone_sign_nsec3(dz, new_rrs, z->keys,
		    ldns_dnssec_default_replace_signatures, NULL, LDNS_SHA1,
		    z->scen->nsec3_opt_out ? LDNS_NSEC3_VARS_OPTOUT_MASK : 0,
		    z->scen->nsec3_iterations, 0, salt);
	else
		st = ldns_dnssec_zone_sign(dz, new_rrs, z->keys,
		    ldns_dnssec_default_replace_signatures, NULL);
	zone_keys_validity(z->keys, b->inception, b->expiration);
	ldns_rr_list_free(new_rrs); /* the RRs belong to dz */
	if (st != LDNS_STATUS_OK)
		goto sign_error;
	signed_rrs = zone_flatten(dz);
	ldns_dnssec_zone_deep_free(dz);
	ldns_rr_list_deep_free(rrs);
	if (held != NULL) {
		/* Delegation NS and glue are never signed: back as they are. */
		for (i = 0; i < ldns_rr_list_rr_count(held); i++)
			ldns_rr_list_push_rr(signed_rrs,
			    ldns_rr_list_rr(held, i));
		ldns_rr_list_free(held);
	}

	if (zf != NULL && zf->sig == SCEN_SIG_MISSING)
		(void)zone_sigs_edit(signed_rrs, NULL, 0, true);
	else if (zf != NULL && zf->sig == SCEN_SIG_CORRUPTED)
		(void)zone_sigs_edit(signed_rrs, NULL, 0, false);
	for (i = 0; i < s->n_faults; i++) {
		const struct scen_fault *f = &s->faults[i];

		if (zone_sig_fault_for(f, z) && f->name != NULL &&
		    zone_rrset_fault(b, z, soa, signed_rrs, f) != 0)
			rc = DL_EINVAL;
	}
	if (rc != 0) {
		ldns_rr_list_deep_free(signed_rrs);
		return rc;
	}
	*out = signed_rrs;
	return 0;

sign_error:
	ldns_dnssec_zone_deep_free(dz);
	ldns_rr_list_deep_free(rrs);
	ldns_rr_list_deep_free(held);
	dl_error(b->diags, b->file, z->scen->pos.line, z->scen->pos.col,
	    "cannot sign zone %s: %s", z->name, ldns_get_errorstr_by_id(st));
	return zone_fail(b, DL_ECRYPTO);
}
