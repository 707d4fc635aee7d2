/*
 * zone_int.h -- helpers shared inside the zone module only.
 *
 * world_build() runs in stages over one struct zone_build: order the
 * zones and give them addresses (world.c), load keys and compute DS
 * (zone_keys.c), gather each zone's unsigned data (zone_data.c), sign it
 * and apply signature faults (zone_sign.c), sort it (zone_print.c).  Each
 * stage reports its problems to the build's diags and carries on where it
 * can, so that one build reports every problem of a scenario.
 */
#ifndef DL_ZONE_ZONE_INT_H
#define DL_ZONE_ZONE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ldns/ldns.h>
#include <openssl/x509.h>

#include "simulator/scenario/scenario.h"
#include "simulator/util/diag.h"
#include "simulator/zone/world.h"

/* A DNSSEC key loaded from fixtures/dnssec/<id>.private, not yet owned. */
struct zone_key_tmpl {
	char *id;		/* "domain-ksk" */
	ldns_key *key;		/* as loaded (owned) */
};

/* A fixture certificate, loaded once per build. */
struct zone_cert {
	char *id;
	X509 *cert;		/* owned */
};

struct zone_build {
	const struct scenario *s;
	struct world *w;
	struct dl_diags *diags;
	const char *file;	/* s->file, for diagnostics */
	uint32_t inception;	/* normal signature validity */
	uint32_t expiration;
	uint32_t serial;	/* SOA serial of every zone */
	int rc;			/* first error code, 0 if none so far */

	struct zone_key_tmpl *tmpl;
	size_t n_tmpl;
	struct zone_cert *certs;
	size_t n_certs;
};

/* Record an error code (the first one is kept); returns it. */
int zone_fail(struct zone_build *b, int rc);

/* Names: absolute, lower case, trailing dot (scen_dname_under too). */
size_t zone_name_labels(const char *name);
/* Index of the zone authoritative for name, or -1 (no root). */
int zone_auth_index(const struct world *w, const char *name);
/* ldns dname from an absolute name; aborts on a malformed name. */
ldns_rdf *zone_dname(const char *name);

/* zone_keys.c */
/*
 * Fixture key id ("domain-old-zsk") as a key of z: *k (owned by the
 * caller) and, if rr is not NULL, its DNSKEY RR (owned by the caller).
 * Problems are reported at pos.
 */
int zone_key_make(struct zone_build *b, struct world_zone *z, const char *id,
    const struct scen_pos *pos, ldns_key **k, ldns_rr **rr);
int zone_keys_build(struct zone_build *b, struct world_zone *z);
int zone_ds_build(struct zone_build *b, struct world_zone *z);
void zone_keys_clear(struct zone_build *b);
/* A certificate by fixture id (borrowed from the build), or NULL. */
X509 *zone_cert(struct zone_build *b, const char *id, const char *file,
    const struct scen_pos *pos);

/* zone_data.c */
int zone_host_tlsa_build(struct zone_build *b, struct world_host *h);
int zone_data_build(struct zone_build *b, struct world_zone *z,
    ldns_rr **soa, ldns_rr_list **rrs);

/* zone_sign.c */
int zone_sign_build(struct zone_build *b, struct world_zone *z, ldns_rr *soa,
    ldns_rr_list *rrs, ldns_rr_list **out);

/* zone_print.c */
/* Sort rrs canonically (see world.h) and drop exact duplicates. */
void zone_rrs_sort(ldns_rr_list *rrs);

#endif /* DL_ZONE_ZONE_INT_H */
