/*
 * dns_int.h -- helpers shared inside the dns module only.
 *
 * The answer engine is layered:
 *   dns_name.c    wire-format names: canonical order, ancestry, case;
 *   dns_index.c   one zone indexed for lookups: names in canonical order
 *                 with their RRsets and signatures, the NSEC3 chain by
 *                 hash (struct dns_zone);
 *   dns_lookup.c  the answer logic (RFC 1034 4.3.2, RFC 4035 3.1,
 *                 RFC 5155 7.2) from a zone and a question to a response
 *                 plan: which RRsets go in which section (struct
 *                 dns_plan);
 *   dns_wire.c    parsing queries; rendering plans to wire format with
 *                 name compression and truncation;
 *   dns_cache.c   answers in wire form by (name, type, EDNS, DO);
 *   dns_engine.c  views, faults, the hot path (dns_engine_answer);
 *   dns_server.c  sockets and the event loop.
 *
 * Records are borrowed from the world's ldns zones throughout: an index
 * holds pointers into world_zone.zone and must not outlive it.
 */
#ifndef DL_DNS_DNS_INT_H
#define DL_DNS_DNS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ldns/ldns.h>

#include "simulator/dns/dns_server.h"
#include "simulator/zone/world.h"

#define DNS_NAME_MAX	255	/* wire bytes of a name */
#define DNS_LABELS_MAX	128	/* labels of a name, the root included */
#define DNS_HDR		12	/* header bytes */
#define DNS_CNAME_MAX	8	/* CNAME hops followed inside a zone */

/* Header flag bits (second 16-bit word). */
#define DNS_F_QR	0x8000
#define DNS_F_AA	0x0400
#define DNS_F_TC	0x0200
#define DNS_F_RD	0x0100
#define DNS_F_CD	0x0010

#define DNS_RCODE_NOERROR	0
#define DNS_RCODE_FORMERR	1
#define DNS_RCODE_SERVFAIL	2
#define DNS_RCODE_NXDOMAIN	3
#define DNS_RCODE_NOTIMP	4
#define DNS_RCODE_REFUSED	5
#define DNS_RCODE_BADVERS	16

/* Extended DNS errors (RFC 8914) we send. */
#define DNS_EDE_NONE		(-1)
#define DNS_EDE_NOT_AUTH	20
#define DNS_EDE_NOT_SUPPORTED	21

/* ---- dns_name.c: uncompressed wire names, trusted (already checked) */

/* Bytes of name, root label included. */
size_t dns_wname_len(const uint8_t *n);
/*
 * Offsets of the labels of n (the root label excluded) into offs (room
 * for DNS_LABELS_MAX); returns their number.
 */
size_t dns_wname_labels(const uint8_t *n, uint8_t *offs);
/* Canonical order (RFC 4034 6.1): <0, 0, >0. */
int dns_wname_cmp(const uint8_t *a, const uint8_t *b);
/* Equal, ignoring ASCII case. */
bool dns_wname_eq(const uint8_t *a, const uint8_t *b);
/* n is parent or below it. */
bool dns_wname_under(const uint8_t *n, const uint8_t *parent);
/* Lower-case copy of n into dst (DNS_NAME_MAX bytes); returns length. */
size_t dns_wname_lower(uint8_t *dst, const uint8_t *n);
/* Wire bytes of an ldns dname rdf. */
static inline const uint8_t *
dns_rdf_name(const ldns_rdf *d)
{
	return ldns_rdf_data(d);
}

/* ---- dns_index.c: one zone ---- */

struct dns_rrset {
	uint16_t type;
	size_t n;		/* records (0: signatures without data) */
	size_t nsig;
	ldns_rr **rr;		/* borrowed; rr and sig share one array */
	ldns_rr **sig;
};

#define DNS_NODE_APEX		0x01
#define DNS_NODE_CUT		0x02	/* NS below the apex: delegation */
#define DNS_NODE_OCCLUDED	0x04	/* below a cut (glue) */

struct dns_node {
	const uint8_t *name;	/* borrowed: owner of its first record */
	uint8_t flags;
	struct dns_rrset *sets;	/* owned array, by type */
	size_t nsets;
};

/* One NSEC3 record, by the hash of its owner. */
struct dns_n3 {
	uint8_t hash[20];	/* SHA-1: the owner's first label decoded */
	ldns_rr *rr;		/* borrowed */
	struct dns_rrset set;	/* the NSEC3 and its RRSIGs */
};

struct dns_zone {
	const struct world_zone *wz;	/* borrowed */
	const uint8_t *apex;		/* wire, borrowed from the SOA */
	bool is_signed;
	bool has_rrsig;			/* any RRSIG: else no proofs (NSD) */
	bool nsec3;
	uint8_t n3_alg;
	uint16_t n3_iter;
	uint8_t n3_saltlen;
	uint8_t n3_salt[255];
	struct dns_node *nodes;		/* canonical order, owned */
	size_t n_nodes;
	struct dns_node *apex_node;
	struct dns_n3 *n3;		/* by hash, owned */
	size_t n_n3;
	ldns_rr **ptrs;			/* every rr/sig array, one block */
};

/* Index zone wz; 0, DL_EINVAL (diagnostic) or DL_ENOMEM. */
int dns_zone_init(struct dns_zone *z, const struct world_zone *wz,
    struct dl_diags *diags);
void dns_zone_clear(struct dns_zone *z);

/* The node named name, or NULL. */
const struct dns_node *dns_zone_find(const struct dns_zone *z,
    const uint8_t *name);
/* name exists: it owns records, or is an empty non-terminal. */
bool dns_zone_exists(const struct dns_zone *z, const uint8_t *name);
const struct dns_rrset *dns_node_rrset(const struct dns_node *n,
    uint16_t type);
/* The NSEC whose owner comes last before name (covers it), or NULL. */
const struct dns_rrset *dns_zone_nsec_cover(const struct dns_zone *z,
    const uint8_t *name);
/* NSEC3 matching / covering the hash of name, or NULL. */
const struct dns_n3 *dns_zone_n3_match(const struct dns_zone *z,
    const uint8_t *name);
const struct dns_n3 *dns_zone_n3_cover(const struct dns_zone *z,
    const uint8_t *name);
/* RFC 5155 5: hash of name (lower-cased) with the zone's parameters. */
void dns_zone_n3_hash(const struct dns_zone *z, const uint8_t *name,
    uint8_t out[20]);

/* ---- dns_wire.c: queries ---- */

enum dns_qstatus {
	DNS_Q_OK,
	DNS_Q_IGNORE,		/* too short, or a response: no answer */
	DNS_Q_FORMERR,		/* malformed */
	DNS_Q_NOTIMP,		/* opcode other than QUERY */
	DNS_Q_BADVERS,		/* EDNS version other than 0 */
};

struct dns_query {
	uint16_t id;
	uint16_t flags;		/* as received */
	uint8_t opcode;
	bool has_question;
	const uint8_t *qname;	/* in the query buffer, as received */
	size_t qname_len;
	uint8_t lname[DNS_NAME_MAX];	/* lower case */
	uint16_t qtype;
	uint16_t qclass;
	bool edns;		/* one valid OPT */
	bool do_bit;
	uint16_t payload;
	uint8_t version;
};

/* Parse q; fills what it could read even when not DNS_Q_OK. */
enum dns_qstatus dns_query_parse(const uint8_t *q, size_t len,
    struct dns_query *out);

/* UDP size limit for a query (512 .. DNS_UDP_MAX). */
size_t dns_query_limit(const struct dns_query *q, enum dns_transport tr);

/* ---- dns_wire.c: response plans and rendering ---- */

enum dns_section {
	DNS_SEC_ANSWER,
	DNS_SEC_AUTHORITY,
	DNS_SEC_ADDITIONAL,
};

struct dns_prr {
	const ldns_rr *rr;
	const uint8_t *owner;	/* replaces rr's owner (wildcards), or NULL */
};

/* RRs rendered together or not at all (an RRset and its signatures). */
struct dns_pgroup {
	uint8_t section;
	bool optional;		/* may be left out when it does not fit */
	size_t first, n;	/* in plan.rr */
};

struct dns_plan {
	uint8_t rcode;
	bool aa;
	int ede;		/* DNS_EDE_NONE or an RFC 8914 code */
	enum dns_kind kind;
	const struct dns_zone *zone;
	struct dns_prr *rr;
	size_t n_rr, cap_rr;
	struct dns_pgroup *g;
	size_t n_g, cap_g;
	const void **seen;	/* RRsets already in the plan */
	size_t n_seen, cap_seen;
	uint8_t **names;	/* owned copies (synthesized owners) */
	size_t n_names, cap_names;
};

void dns_plan_init(struct dns_plan *p);
void dns_plan_reset(struct dns_plan *p);	/* empty, memory kept */
void dns_plan_clear(struct dns_plan *p);
/*
 * Add an RRset (records, and its signatures when sigs) as one group;
 * owner replaces the owner name (NULL: keep).  Nothing is added if the
 * set is already in the plan.  Returns whether it was added.
 */
bool dns_plan_add(struct dns_plan *p, enum dns_section sec, bool optional,
    const struct dns_rrset *set, bool sigs, const uint8_t *owner);
/* Only the signatures of set (RRSIG queries), as one group. */
bool dns_plan_add_sigs(struct dns_plan *p, enum dns_section sec,
    const struct dns_rrset *set, const uint8_t *owner);
/* Keep a copy of name for the plan's lifetime; returns the copy. */
const uint8_t *dns_plan_name(struct dns_plan *p, const uint8_t *name);
/* The plan has a group in section sec. */
bool dns_plan_has(const struct dns_plan *p, enum dns_section sec);

/*
 * Render plan p as the response to q within limit bytes (and cap) into
 * out.  ID 0, RD and CD clear, the question in lower case: the caller
 * patches those from the query (dns_wire_patch).  If the required
 * records do not fit, the response has TC set and no records.  Returns
 * the length (0 only if even a header does not fit in cap).
 */
size_t dns_render(const struct dns_query *q, const struct dns_plan *p,
    size_t limit, uint8_t *out, size_t cap);

/*
 * A response without records: rcode (extended), the question if
 * with_question and q has one, an OPT if q has EDNS (and with an EDE
 * option if ede is not DNS_EDE_NONE), tc sets TC.  Returns the length.
 */
size_t dns_render_empty(const struct dns_query *q, uint16_t rcode,
    bool with_question, bool aa, bool tc, int ede, uint8_t *out,
    size_t cap);

/* Copy the query's ID, RD, CD and question name bytes into response r. */
void dns_wire_patch(uint8_t *r, size_t rlen, const struct dns_query *q);

/* ---- dns_lookup.c ---- */

/*
 * Fill plan p (reset by the caller) with the answer of zone z to
 * (qname lower case, qtype, do_bit): rcode, AA, kind, and the records.
 */
void dns_lookup(const struct dns_zone *z, const uint8_t *qname,
    uint16_t qtype, bool do_bit, struct dns_plan *p);

/*
 * Whether z answers (name, qtype) with its own data rather than a
 * referral: name is in z and not at or below a zone cut, except DS at
 * the cut itself.  name must be in z.
 */
bool dns_zone_auth(const struct dns_zone *z, const uint8_t *name,
    uint16_t qtype);

/* ---- dns_cache.c ---- */

#define DNS_CACHE_KEY_MAX	(3 + DNS_NAME_MAX)
#define DNS_CACHE_VARIANTS	2	/* truncated forms per entry */
#define DNS_CACHE_LAZY_MAX	20000	/* lazily cached answers per view */
#define DNS_CACHE_LAZY_BYTES	(16u << 20)	/* and their bytes at most */

struct dns_centry;

struct dns_cache {
	struct dns_centry **buckets;
	size_t nbuckets;	/* power of two, grows with the entries */
	uint32_t seed;
	size_t n_lazy;		/* entries added after load */
	size_t lazy_bytes;	/* their answers, variants included */
	size_t n_entries;
	uint64_t flushes;
};

/* What is cached for one question. */
struct dns_centry {
	struct dns_centry *next;	/* hash chain */
	uint32_t hash;
	bool lazy;
	uint8_t kind;			/* enum dns_kind */
	uint16_t rcode;
	const char *zone;		/* borrowed from the world */
	uint16_t keylen;
	uint16_t len;			/* full (untruncated) answer */
	uint8_t *wire;
	struct {
		uint16_t limit;		/* 0: unused */
		uint16_t len;
		uint8_t *wire;
	} var[DNS_CACHE_VARIANTS];
	uint8_t next_var;
	uint8_t key[];
};

int dns_cache_init(struct dns_cache *c, size_t expected);
void dns_cache_clear(struct dns_cache *c);
uint32_t dns_cache_hash(const struct dns_cache *c, const uint8_t *key,
    size_t len);
struct dns_centry *dns_cache_get(const struct dns_cache *c,
    const uint8_t *key, size_t len, uint32_t hash);
/*
 * Add an answer (copied).  A lazy entry beyond DNS_CACHE_LAZY_MAX entries
 * or DNS_CACHE_LAZY_BYTES first empties the lazily filled part.  Returns
 * the entry.
 */
struct dns_centry *dns_cache_put(struct dns_cache *c, const uint8_t *key,
    size_t keylen, uint32_t hash, const uint8_t *wire, size_t len,
    bool lazy);
/* A truncated form for limit (copied); replaces the oldest one. */
void dns_cache_put_variant(struct dns_cache *c, struct dns_centry *ce,
    uint16_t limit, const uint8_t *wire, size_t len);

#endif /* DL_DNS_DNS_INT_H */
