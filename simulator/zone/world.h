/*
 * world.h -- build the DNS world of a scenario: every zone, signed (or
 * not, or deliberately broken) with ldns, delegations with DS, the faults
 * applied, TLSA computed from fixtures.
 *
 * The world is the scenario made concrete at one moment: a phase of its
 * timeline (or the baseline), and a reference time "now" from which all
 * signature validity periods are computed (never dated fixtures).
 *
 * Zone order: the root first, then by depth (number of labels), zones of
 * equal depth in scenario order (declared zones, then implicit ones, as
 * the loader left them).  The order is deterministic, and the addresses
 * follow it.
 *
 * Addressing: every zone is served by its own name server, ns1.<zone>
 * (for the root: WORLD_ROOT_NS), on its own loopback address WORLD_NS_NET
 * + (zone index + 1): 127.53.0.1 for the root, then the TLDs, then the
 * rest.  The A record of a name server lives in the zone authoritative
 * for its name; a parent whose NS records name a server below one of its
 * zone cuts carries the address as glue.  The lab resolver address is
 * WORLD_RESOLVER_ADDR.
 *
 * What each zone holds:
 *   - SOA: mname = its name server, rname hostmaster.<zone>, serial = now
 *     + the phase's offset (so that serials grow from phase to phase),
 *     refresh 3600, retry 600, expire 14 days, and TTL = MINIMUM = the
 *     zone's TTL, so the negative-caching TTL (RFC 2308: min of the SOA
 *     TTL and MINIMUM) and the NSEC/NSEC3 TTL (RFC 9077) are both the
 *     zone's TTL;
 *   - NS at the apex, and the name server's A where it is authoritative;
 *   - for each child zone: NS, glue, and the DS the parent publishes
 *     (struct world_zone.ds), all with the parent's TTL;
 *   - the mail domain's MX RRset (one MX per host, scenario preference);
 *   - per MX host: A records at the host name, or, when the host has a
 *     cname, a CNAME at the host name and the A records at the target;
 *     the TLSA RRset at _<port>._tcp.<host or target> with the host's
 *     tlsa_ttl;
 *   - the zone's extra records;
 *   - when signed: DNSKEY (KSK 257 + ZSK 256), RRSIG (KSK over DNSKEY,
 *     ZSK over everything else), NSEC or NSEC3 (SHA-1, no opt-out, 0
 *     iterations, empty salt: RFC 9276).
 *
 * DS faults (what the parent publishes for a signed child):
 *   present               SHA-256 DS of the child's KSK;
 *   missing               nothing (the parent's NSEC/NSEC3 proves it);
 *   mismatch              SHA-256 DS of fixture key domain-old-ksk, a KSK
 *                         the child does not publish (stale DS after a
 *                         KSK rollover): bogus;
 *   unsupported-algorithm the real SHA-256 DS of the child's KSK with its
 *                         algorithm field set to WORLD_DS_UNSUPPORTED_ALG,
 *                         an unassigned DNSSEC algorithm number no
 *                         validator can implement: insecure (RFC 4035
 *                         5.2, RFC 6840 5.2);
 *   unsupported-digest    the real SHA-256 DS of the child's KSK with its
 *                         digest type set to WORLD_DS_UNSUPPORTED_DIGEST,
 *                         an unassigned digest type: insecure.
 *
 * Signature faults (whole zone, or one RRset name + type):
 *   expired        valid from now - BAD_OFFSET - LIFETIME to now - BAD_OFFSET
 *   not-yet-valid  valid from now + BAD_OFFSET to now + BAD_OFFSET + LIFETIME
 *   corrupted      correctly formed RRSIGs whose signature bytes are altered
 *   missing        no RRSIG (for a whole zone: every RRSIG removed, DNSKEY
 *                  and NSEC/NSEC3 kept)
 * DNS and STARTTLS faults are left to the servers; the world ignores them.
 *
 * DNSSEC keys come from <fixtures_dir>/dnssec/<role>-ksk.private and
 * <role>-zsk.private (BIND private-key format), loaded once per build and
 * re-owned to each zone that uses the role.  Default roles: "root" for
 * the root, "domain" for the zone authoritative for the mail domain,
 * "tld" for other one-label zones, "host" for the rest; scen_zone.keys
 * overrides.
 */
#ifndef DL_ZONE_WORLD_H
#define DL_ZONE_WORLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <ldns/ldns.h>

#include "simulator/scenario/scenario.h"
#include "simulator/util/diag.h"

#define WORLD_NS_NET		"127.53.0."	/* + (zone index + 1) */
#define WORLD_RESOLVER_ADDR	"127.53.53.53"
#define WORLD_ROOT_NS SCEN_ROOT_NS	/* scen_zone_ns_name() */
#define WORLD_MAX_ZONES		250	/* addresses 127.53.0.1 .. .250 */

/* Signature validity relative to now (seconds). */
#define WORLD_SIG_INCEPTION_AGO	SCEN_SIG_INCEPTION_AGO	/* now - 1 h */
#define WORLD_SIG_LIFETIME	SCEN_SIG_LIFETIME	/* until now + 30 d */
#define WORLD_SIG_BAD_OFFSET	SCEN_SIG_BAD_OFFSET	/* expired/not yet */

/* SOA timers (the SOA TTL and MINIMUM are the zone's TTL). */
#define WORLD_SOA_REFRESH	3600
#define WORLD_SOA_RETRY		600
#define WORLD_SOA_EXPIRE	(14 * 86400)

/* Values used by the unsupported DS variants (see above). */
#define WORLD_DS_UNSUPPORTED_ALG	100	/* unassigned (range 17-122) */
#define WORLD_DS_UNSUPPORTED_DIGEST	200	/* unassigned (range 7-255) */

/* Fixture key published nowhere, used for the mismatch DS. */
#define WORLD_OLD_KSK		"domain-old-ksk"

struct world_opts {
	const char *fixtures_dir;	/* fixtures/ (pki/ and dnssec/) */
	time_t now;			/* 0: time(NULL) */
	int phase;			/* -1: baseline, else phase index */
};

struct world_zone {
	char *name;		/* "example.net." owned */
	const struct scen_zone *scen;	/* borrowed from the scenario */
	int index;		/* position in world.zones */
	int parent;		/* index in world.zones, -1 for the root */
	char *ns_name;		/* "ns1.example.net." owned */
	char ns_addr[16];	/* dotted quad */
	uint32_t ttl;		/* default TTL of the zone's records */
	bool is_signed;
	char *key_role;		/* fixture key role, owned; NULL if unsigned */
	enum scen_ds ds_state;	/* what the parent publishes (faults applied) */
	/*
	 * The zone as served, signed and with faults applied, including
	 * its delegations (NS, glue, DS) to children.  Deep-owned.  The
	 * SOA is ldns_zone_soa(); the other RRs, its RRSIG included, are
	 * in canonical order (owner name, then type with RRSIGs right
	 * after the RRset they cover, then RDATA).
	 */
	ldns_zone *zone;
	/* The zone's DNSKEY RRset (deep-owned, empty if unsigned). */
	ldns_rr_list *dnskeys;
	/* What the parent publishes as DS for this zone (may be empty). */
	ldns_rr_list *ds;
	/*
	 * Signing keys, KSK then ZSK (deep-owned; empty if unsigned), with
	 * the normal validity (now - INCEPTION_AGO .. now + LIFETIME).
	 */
	ldns_key_list *keys;
};

/* A host's state that a timeline phase can change. */
struct world_host_state {
	struct scen_tlsa *tlsa;	/* borrowed from the scenario */
	size_t n_tlsa;
	uint32_t tlsa_ttl;	/* as written: 0 = zone default */
	char **chain;		/* borrowed: fixture ids, leaf first */
	size_t n_chain;
};

struct world_host {
	const struct scen_host *scen;	/* borrowed */
	/* Where the A and TLSA records live: scen->cname or scen->name. */
	const char *target;		/* borrowed */
	char *tlsa_owner;		/* "_25._tcp.<target>", owned */
	int zone;			/* index of the zone holding the A */
	int tlsa_zone;			/* index of the zone holding the TLSA */
	struct world_host_state st;	/* at the world's phase */
	uint32_t tlsa_ttl;		/* resolved, never 0 */
	ldns_rr_list *tlsa_rrs;		/* TLSA RRset as served, deep-owned */
};

struct world {
	const struct scenario *scen;	/* borrowed */
	char *fixtures_dir;		/* owned copy */
	time_t now;
	int phase;
	struct world_zone *zones;	/* zones[0] is the root */
	size_t n_zones;
	struct world_host *hosts;	/* parallel to scen->hosts */
	size_t n_hosts;
	/*
	 * Root trust anchor: the root KSK DNSKEY and its SHA-256 DS
	 * (owned; NULL if the scenario leaves the root unsigned).
	 */
	ldns_rr *anchor_dnskey;
	ldns_rr *anchor_ds;
};

/*
 * Build the world for scenario s.  Problems (a missing key file, a record
 * that does not parse, a fixture that fails to load) are added to diags
 * with the scenario position they come from; every problem found is
 * reported, not just the first.  A fault that matches nothing is a
 * warning.  On success *out is a new world owned by the caller
 * (world_free); it borrows s, which must outlive it.  On failure returns
 * a negative DL_E* code (DL_EINVAL for scenario problems, DL_ENOENT for a
 * missing fixture, DL_ECRYPTO / DL_EDNS for library failures) and *out is
 * untouched.
 */
int world_build(const struct scenario *s, const struct world_opts *opts,
    struct world **out, struct dl_diags *diags);

/* Free w and everything it owns; NULL is accepted. */
void world_free(struct world *w);

/* The zone named name (absolute, lower case), or NULL.  Borrowed. */
const struct world_zone *world_zone(const struct world *w, const char *name);

/*
 * The zone authoritative for name (absolute, lower case): the zone with
 * the longest name that is name or an ancestor of it; the root at worst.
 * Borrowed.
 */
const struct world_zone *world_zone_for(const struct world *w,
    const char *name);

/* The host named name (MX target), or NULL.  Borrowed. */
const struct world_host *world_host(const struct world *w, const char *name);

/*
 * State of host h at phase (-1: baseline): the host's own TLSA set, TTL
 * and chain, replaced in order by every change phases 0..phase make to
 * it.  A pure function of the scenario (no world needed), for the SMTP
 * server and the harness.  Returns DL_ERANGE if phase is out of range;
 * *out untouched then.  Everything in *out is borrowed from s.
 */
int world_host_state_at(const struct scenario *s, const struct scen_host *h,
    int phase, struct world_host_state *out);

/*
 * The certificate chain host h presents at the world's phase: *chain is
 * an array of *n fixture ids, leaf first, borrowed from the scenario.
 * Returns DL_ENOENT if h is not a host of w's scenario.
 */
int world_host_chain(const struct world *w, const struct scen_host *h,
    char ***chain, size_t *n);

/*
 * The TLSA RR list for one host as the world serves it at its phase
 * (owner _<port>._tcp.<host or cname target>).  On success *out is a new
 * list deep-owned by the caller (ldns_rr_list_deep_free), possibly empty.
 * Returns DL_ENOENT (with a diagnostic) if h is not a host of w's
 * scenario.
 */
int world_host_tlsa(const struct world *w, const struct scen_host *h,
    ldns_rr_list **out, struct dl_diags *diags);

/*
 * Write zone z to fp in presentation format, one RR per line: the SOA
 * first, then every other RR in the canonical order of the zone (owner,
 * type, RRSIGs after the RRset they cover), all names absolute, as
 * ldns-signzone writes it; ldns-verify-zone, NSD and Knot read it.
 * Returns 0, or DL_EIO if writing failed.
 */
int world_zone_fprint(FILE *fp, const struct world_zone *z);

/*
 * Write the DS records the parent publishes for z, then the DNSKEY RRset
 * of z, in presentation format (for exports and "serve" output).
 * Returns 0 or DL_EIO.
 */
int world_zone_fprint_keys(FILE *fp, const struct world_zone *z);

/*
 * Write the root trust anchor (the root KSK DNSKEY and its DS) in the
 * format unbound's auto-trust-anchor-file / trust-anchor-file and
 * ldns-dane read.  Returns 0, DL_ENOENT if the root is unsigned, or
 * DL_EIO.
 */
int world_anchor_fprint(FILE *fp, const struct world *w);

#endif /* DL_ZONE_WORLD_H */
