/*
 * world.h -- build the DNS world of a scenario: every zone, signed (or
 * not, or deliberately broken) with ldns, delegations with DS, the faults
 * applied, TLSA computed from fixtures.
 *
 * The world is the scenario made concrete at one moment: a phase of its
 * timeline (or the baseline), and a reference time "now" from which all
 * signature validity periods are computed (never dated fixtures).
 *
 * Addressing: every zone is served by its own name server, ns1.<zone>
 * (for the root: WORLD_ROOT_NS, authoritative data of the root zone), on
 * its own loopback address WORLD_NS_NET + (zone index + 1): 127.53.0.1
 * for the root, then the TLDs, then the rest in scenario order.
 * The lab resolver address is WORLD_RESOLVER_ADDR.
 */
#ifndef DL_ZONE_WORLD_H
#define DL_ZONE_WORLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <ldns/ldns.h>

#include "simulator/scenario/scenario.h"
#include "simulator/util/diag.h"

#define WORLD_NS_NET		"127.53.0."	/* + (zone index + 1) */
#define WORLD_RESOLVER_ADDR	"127.53.53.53"
#define WORLD_ROOT_NS		"a.root-servers.lab."

/* Signature validity relative to now (seconds). */
#define WORLD_SIG_INCEPTION_AGO	(3600)		/* valid from now - 1 h */
#define WORLD_SIG_LIFETIME	(30 * 86400)	/* until now + 30 days */
#define WORLD_SIG_BAD_OFFSET	(14 * 86400)	/* expired / not yet: 14 d */

struct world_opts {
	const char *fixtures_dir;	/* fixtures/ (pki/ and dnssec/) */
	time_t now;			/* 0: time(NULL) */
	int phase;			/* -1: baseline, else phase index */
};

struct world_zone {
	char *name;		/* "example.net." owned */
	const struct scen_zone *scen;	/* borrowed from the scenario */
	int parent;		/* index in world.zones, -1 for the root */
	char *ns_name;		/* "ns1.example.net." owned */
	char ns_addr[16];	/* dotted quad */
	bool is_signed;
	/*
	 * The zone as served, signed and with faults applied, including
	 * its delegations (NS, glue, DS) to children.  Deep-owned.
	 */
	ldns_zone *zone;
	/* The zone's DNSKEY RRset (deep-owned, empty if unsigned). */
	ldns_rr_list *dnskeys;
	/* What the parent publishes as DS for this zone (may be empty). */
	ldns_rr_list *ds;
	/* Signing keys (deep-owned; empty if unsigned). */
	ldns_key_list *keys;
};

struct world {
	const struct scenario *scen;	/* borrowed */
	time_t now;
	int phase;
	struct world_zone *zones;	/* zones[0] is the root */
	size_t n_zones;
	/* Root trust anchor: the root KSK DNSKEY and its DS (owned). */
	ldns_rr *anchor_dnskey;
	ldns_rr *anchor_ds;
};

/*
 * Build the world for scenario s.  Problems (a missing key file, a record
 * that does not parse, a fixture that fails to load) are added to diags
 * with the scenario position they come from.  On success *out is a new
 * world owned by the caller (world_free); it borrows s, which must outlive
 * it.  On failure returns a negative DL_E* code and *out is untouched.
 */
int world_build(const struct scenario *s, const struct world_opts *opts,
    struct world **out, struct dl_diags *diags);

void world_free(struct world *w);

/* The zone named name (absolute, lower case), or NULL. */
const struct world_zone *world_zone(const struct world *w, const char *name);

/*
 * Compute the TLSA RR list for one host as the world serves it at its
 * phase (owner _<port>._tcp.<host>).  *out deep-owned by the caller.
 */
int world_host_tlsa(const struct world *w, const struct scen_host *h,
    ldns_rr_list **out, struct dl_diags *diags);

#endif /* DL_ZONE_WORLD_H */
