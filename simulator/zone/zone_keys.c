/*
 * zone_keys.c -- DNSSEC keys of the world's zones, the DS records their
 * parents publish (DS faults included), and fixture certificates.
 *
 * Owns: reading fixtures/dnssec/<role>-{ksk,zsk}.private once per build,
 * giving each signed zone its own ldns_key objects (owner, flags,
 * validity) that share the loaded key material, and the DS variants.
 * Does not own: signing (zone_sign.c), TLSA data (pki).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "simulator/pki/pki.h"
#include "simulator/util/file.h"
#include "simulator/util/xmem.h"
#include "simulator/zone/zone_int.h"

/*
 * The key fixture id (e.g. "domain-ksk"), loaded once per build; *out is
 * borrowed from the build.  Problems are reported at pos.
 */
static int
zone_key_tmpl(struct zone_build *b, const char *id, const struct scen_pos *pos,
    ldns_key **out)
{
	struct dl_diags od;
	char path[PATH_MAX];
	ldns_key *k = NULL;
	ldns_status st;
	FILE *fp;
	size_t i;
	int line = 0, n;

	for (i = 0; i < b->n_tmpl; i++) {
		if (strcmp(b->tmpl[i].id, id) == 0) {
			*out = b->tmpl[i].key;
			return 0;
		}
	}
	n = snprintf(
	    path, sizeof(path), "%s/dnssec/%s.private", b->w->fixtures_dir, id);
	if (n < 0 || (size_t)n >= sizeof(path))
		return dl_error(b->diags, b->file, pos->line, pos->col,
		    "DNSSEC key path too long");
	dl_diags_init(&od);
	if (dl_fopen_input(path, &fp, &od) != 0) {
		/* The finding belongs at the scenario's line, not the key's. */
		dl_error(b->diags, b->file, pos->line, pos->col,
		    "DNSSEC key %s: %s", path, od.n > 0 ? od.v[0].msg : "?");
		dl_diags_clear(&od);
		return DL_ENOENT;
	}
	st = ldns_key_new_frm_fp_l(&k, fp, &line);
	fclose(fp);
	if (st != LDNS_STATUS_OK) {
		dl_error(b->diags, b->file, pos->line, pos->col,
		    "cannot read DNSSEC key %s (line %d): %s", path, line,
		    ldns_get_errorstr_by_id(st));
		return DL_ECRYPTO;
	}
	if (ldns_key_evp_key(k) == NULL) {
		ldns_key_deep_free(k);
		dl_error(b->diags, b->file, pos->line, pos->col,
		    "DNSSEC key %s: unsupported algorithm", path);
		return DL_ECRYPTO;
	}
	b->tmpl = xreallocarray(b->tmpl, b->n_tmpl + 1, sizeof(*b->tmpl));
	b->tmpl[b->n_tmpl].id = xstrdup(id);
	b->tmpl[b->n_tmpl].key = k;
	b->n_tmpl++;
	*out = k;
	return 0;
}

/*
 * A new key for zone owner sharing tmpl's key material, with flags and
 * validity; owned by the caller (ldns_key_deep_free).
 */
static ldns_key *
zone_key_instance(const ldns_key *tmpl, const char *owner, uint16_t flags,
    uint32_t inception, uint32_t expiration)
{
	EVP_PKEY *pk = ldns_key_evp_key(tmpl);
	ldns_key *k;
	ldns_rr *rr;

	if ((k = ldns_key_new()) == NULL || EVP_PKEY_up_ref(pk) != 1)
		abort();
	ldns_key_set_algorithm(k, ldns_key_algorithm(tmpl));
	ldns_key_set_evp_key(k, pk);
	ldns_key_set_flags(k, flags);
	ldns_key_set_pubkey_owner(k, zone_dname(owner));
	ldns_key_set_inception(k, inception);
	ldns_key_set_expiration(k, expiration);
	ldns_key_set_use(k, true);
	if ((rr = ldns_key2rr(k)) == NULL) {
		ldns_key_deep_free(k);
		return NULL;
	}
	ldns_key_set_keytag(k, ldns_calc_keytag(rr));
	ldns_rr_free(rr);
	return k;
}

/* DNSKEY RR of k with ttl; owned by the caller. */
static ldns_rr *
zone_key_rr(const ldns_key *k, uint32_t ttl)
{
	ldns_rr *rr = ldns_key2rr(k);

	if (rr != NULL)
		ldns_rr_set_ttl(rr, ttl);
	return rr;
}

/* Flags of a key by its fixture id: "<role>-ksk" or "<role>-zsk". */
static uint16_t
zone_key_flags(const char *id)
{
	size_t n = strlen(id);

	if (n >= 4 && strcmp(id + n - 4, "-ksk") == 0)
		return LDNS_KEY_ZONE_KEY | LDNS_KEY_SEP_KEY; /* 257 */
	return LDNS_KEY_ZONE_KEY;			      /* 256 */
}

int
zone_key_make(struct zone_build *b, struct world_zone *z, const char *id,
    const struct scen_pos *pos, ldns_key **k, ldns_rr **rr)
{
	ldns_key *tmpl;
	int rc;

	if ((rc = zone_key_tmpl(b, id, pos, &tmpl)) != 0)
		return rc;
	*k = zone_key_instance(tmpl, z->name, zone_key_flags(id),
	    b->inception, b->expiration);
	if (*k != NULL && (rr == NULL || (*rr = zone_key_rr(*k, z->ttl)) != NULL))
		return 0;
	if (*k != NULL)
		ldns_key_deep_free(*k);
	*k = NULL;
	dl_error(b->diags, b->file, pos->line, pos->col,
	    "zone %s: cannot use DNSSEC key %s", z->name, id);
	return DL_ECRYPTO;
}

/*
 * zones[].dnskeys: the published keys go to the DNSKEY RRset, the
 * signing ones (published or not) to the key list.
 */
static int
zone_keys_explicit(struct zone_build *b, struct world_zone *z)
{
	const struct scen_zone *sz = z->scen;
	ldns_key *k;
	ldns_rr *rr;
	size_t i;
	int rc;

	for (i = 0; i < sz->n_dnskeys; i++) {
		const struct scen_dnskey *d = &sz->dnskeys[i];

		if ((rc = zone_key_make(b, z, d->key, &d->pos, &k, &rr)) != 0)
			return zone_fail(b, rc);
		if (d->published)
			ldns_rr_list_push_rr(z->dnskeys, rr);
		else
			ldns_rr_free(rr);
		if (d->signs)
			ldns_key_list_push_key(z->keys, k);
		else
			ldns_key_deep_free(k);
	}
	return 0;
}

int
zone_keys_build(struct zone_build *b, struct world_zone *z)
{
	const struct scen_pos *pos = &z->scen->pos;
	static const char *const kinds[] = {"ksk", "zsk"};
	char id[PKI_ID_MAX + 8];
	ldns_key *k;
	ldns_rr *rr;
	size_t i;
	int rc;

	z->keys = ldns_key_list_new();
	z->dnskeys = ldns_rr_list_new();
	z->ds = ldns_rr_list_new();
	if (!z->is_signed)
		return 0;
	if (z->scen->n_dnskeys > 0)
		return zone_keys_explicit(b, z);
	if (!pki_id_valid(z->key_role)) {
		dl_error(b->diags, b->file, pos->line, pos->col,
		    "zone %s: invalid key role '%s'", z->name, z->key_role);
		return zone_fail(b, DL_EINVAL);
	}
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		snprintf(id, sizeof(id), "%s-%s", z->key_role, kinds[i]);
		if ((rc = zone_key_make(b, z, id, pos, &k, &rr)) != 0)
			return zone_fail(b, rc);
		ldns_key_list_push_key(z->keys, k);
		ldns_rr_list_push_rr(z->dnskeys, rr);
	}
	return 0;
}

/* zones[].dnskeys: a SHA-256 DS for every key marked ds. */
static int
zone_ds_explicit(struct zone_build *b, struct world_zone *z, uint32_t ttl)
{
	const struct scen_zone *sz = z->scen;
	ldns_key *k;
	ldns_rr *rr, *ds;
	size_t i;
	int rc;

	for (i = 0; i < sz->n_dnskeys; i++) {
		const struct scen_dnskey *d = &sz->dnskeys[i];

		if (!d->ds)
			continue;
		if ((rc = zone_key_make(b, z, d->key, &d->pos, &k, &rr)) != 0)
			return zone_fail(b, rc);
		ds = ldns_key_rr2ds(rr, LDNS_SHA256);
		ldns_rr_free(rr);
		ldns_key_deep_free(k);
		if (ds == NULL)
			return zone_fail(b, DL_ECRYPTO);
		ldns_rr_set_ttl(ds, ttl);
		ldns_rr_list_push_rr(z->ds, ds);
	}
	return 0;
}

/* Replace RDATA field i of rr by an 8-bit value. */
static void
zone_rr_set_u8(ldns_rr *rr, size_t i, ldns_rdf_type t, uint8_t v)
{
	ldns_rdf *old = ldns_rr_set_rdf(rr, ldns_native2rdf_int8(t, v), i);

	ldns_rdf_deep_free(old);
}

/* What the parent publishes as DS for z, with the DS faults applied. */
int
zone_ds_build(struct zone_build *b, struct world_zone *z)
{
	const struct scenario *s = b->s;
	const struct scen_fault *f = NULL;
	const struct scen_pos *pos = &z->scen->pos;
	ldns_key *tmpl, *old;
	ldns_rr *ksk = NULL, *ds = NULL, *rr;
	uint32_t ttl;
	size_t i;
	int rc;

	for (i = 0; i < s->n_faults; i++) {
		if (s->faults[i].kind == SCEN_FAULT_DS &&
		    s->faults[i].zone != NULL &&
		    strcmp(s->faults[i].zone, z->name) == 0)
			f = &s->faults[i]; /* the last one wins */
	}
	z->ds_state = f != NULL ? f->ds : SCEN_DS_PRESENT;
	if (f != NULL && (z->parent < 0 || !z->is_signed)) {
		dl_warn(b->diags, b->file, f->pos.line, f->pos.col,
		    "DS fault on %s has no effect: %s", z->name,
		    z->parent < 0 ? "the root has no parent"
				  : "the zone is unsigned");
	}
	if (z->parent < 0 || !z->is_signed)
		return 0;
	ttl = b->w->zones[z->parent].ttl;
	if (z->ds_state == SCEN_DS_PRESENT && z->scen->n_dnskeys > 0)
		return zone_ds_explicit(b, z, ttl);
	for (i = 0; i < ldns_rr_list_rr_count(z->dnskeys); i++) {
		rr = ldns_rr_list_rr(z->dnskeys, i);
		if (ldns_rdf2native_int16(ldns_rr_dnskey_flags(rr)) &
		    LDNS_KEY_SEP_KEY) {
			ksk = rr;
			break;
		}
	}
	if (ksk == NULL && z->ds_state != SCEN_DS_MISSING &&
	    z->ds_state != SCEN_DS_MISMATCH) {
		/* Only with dnskeys: the variants are made from a KSK. */
		dl_error(b->diags, b->file, pos->line, pos->col,
		    "zone %s: DS fault needs a published KSK in 'dnskeys'",
		    z->name);
		return zone_fail(b, DL_EINVAL);
	}

	switch (z->ds_state) {
	case SCEN_DS_MISSING:
		return 0;
	case SCEN_DS_MISMATCH:
		if (f != NULL)
			pos = &f->pos;
		if ((rc = zone_key_tmpl(b, WORLD_OLD_KSK, pos, &tmpl)) != 0)
			return zone_fail(b, rc);
		old = zone_key_instance(tmpl, z->name,
		    LDNS_KEY_ZONE_KEY | LDNS_KEY_SEP_KEY, b->inception,
		    b->expiration);
		if (old == NULL)
			return zone_fail(b, DL_ECRYPTO);
		if ((rr = ldns_key2rr(old)) != NULL)
			ds = ldns_key_rr2ds(rr, LDNS_SHA256);
		ldns_rr_free(rr);
		ldns_key_deep_free(old);
		break;
	case SCEN_DS_UNSUPPORTED_ALGORITHM:
		/* DS RDATA: key tag, algorithm, digest type, digest. */
		if ((ds = ldns_key_rr2ds(ksk, LDNS_SHA256)) != NULL)
			zone_rr_set_u8(
			    ds, 1, LDNS_RDF_TYPE_ALG, WORLD_DS_UNSUPPORTED_ALG);
		break;
	case SCEN_DS_UNSUPPORTED_DIGEST:
		if ((ds = ldns_key_rr2ds(ksk, LDNS_SHA256)) != NULL)
			zone_rr_set_u8(ds, 2, LDNS_RDF_TYPE_INT8,
			    WORLD_DS_UNSUPPORTED_DIGEST);
		break;
	case SCEN_DS_PRESENT:
	default:
		ds = ldns_key_rr2ds(ksk, LDNS_SHA256);
		break;
	}
	if (ds == NULL)
		return zone_fail(b, DL_ECRYPTO);
	ldns_rr_set_ttl(ds, ttl);
	ldns_rr_list_push_rr(z->ds, ds);
	return 0;
}

X509 *
zone_cert(struct zone_build *b, const char *id, const char *file,
    const struct scen_pos *pos)
{
	X509 *x;
	size_t i;
	int rc;

	for (i = 0; i < b->n_certs; i++)
		if (strcmp(b->certs[i].id, id) == 0)
			return b->certs[i].cert;
	if ((rc = pki_cert_load(b->w->fixtures_dir, id, &x)) != 0) {
		dl_error(b->diags, file, pos->line, pos->col,
		    "cannot load fixture certificate '%s': %s", id,
		    rc == DL_ENOENT	  ? "no such fixture"
			: rc == DL_EINVAL ? "invalid fixture id"
					  : "not a PEM certificate");
		return NULL;
	}
	b->certs = xreallocarray(b->certs, b->n_certs + 1, sizeof(*b->certs));
	b->certs[b->n_certs].id = xstrdup(id);
	b->certs[b->n_certs].cert = x;
	b->n_certs++;
	return x;
}

void
zone_keys_clear(struct zone_build *b)
{
	size_t i;

	for (i = 0; i < b->n_tmpl; i++) {
		free(b->tmpl[i].id);
		ldns_key_deep_free(b->tmpl[i].key);
	}
	free(b->tmpl);
	b->tmpl = NULL;
	b->n_tmpl = 0;
	for (i = 0; i < b->n_certs; i++) {
		free(b->certs[i].id);
		X509_free(b->certs[i].cert);
	}
	free(b->certs);
	b->certs = NULL;
	b->n_certs = 0;
}
