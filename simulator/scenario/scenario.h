/*
 * scenario.h -- the scenario model: one broken (or correct) DANE world.
 *
 * A scenario file (YAML, format v1, documented key by key in
 * scenarios/README.md) is loaded into a struct scenario, and checked, by
 * scenario_load() (the loader lives in scen_*.c, its private interface in
 * scen_internal.h).  The model is plain data: it owns all
 * of its strings and arrays, knows nothing of ldns or OpenSSL, and is
 * what the zone builder, the exporter, and later the servers and the
 * harness read.  Nothing here builds or signs anything.
 *
 * All domain names in the model are absolute, lower case, and end with a
 * dot ("mx1.example.net.").  Every element remembers where it was written
 * (struct scen_pos) so that later stages can report file:line:col.
 */
#ifndef DL_SCENARIO_SCENARIO_H
#define DL_SCENARIO_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "simulator/util/diag.h"

#define SCEN_FORMAT_VERSION 1

/* Bounds on everything an input controls. */
#define SCEN_MAX_FILE_SIZE	(1024 * 1024)
#define SCEN_MAX_NODES		20000	/* YAML nodes per file */
#define SCEN_MAX_DEPTH		16	/* YAML nesting */
#define SCEN_MAX_STRING		4096	/* any scalar, except below */
#define SCEN_MAX_TEXT		16384	/* explanation, observe */
#define SCEN_MAX_LIST		64	/* refs, tags, chain, addresses */
#define SCEN_MAX_ZONES		32	/* declared */
#define SCEN_MAX_WORLD_ZONES	128	/* declared and implicit */
#define SCEN_MAX_HOSTS		16
#define SCEN_MAX_SNI		8	/* SNI chains per host */
#define SCEN_MAX_TLSA		32	/* per host */
#define SCEN_MAX_TLSA_DATA	1024	/* bytes of literal TLSA data */
#define SCEN_MAX_RECORDS	256	/* extra records per zone */
#define SCEN_MAX_DNSKEYS	8	/* zones[].dnskeys[] */
#define SCEN_MAX_FAULTS		64
#define SCEN_MAX_PHASES		32
#define SCEN_MAX_OFFSET		86400	/* seconds, phase offset */
#define SCEN_MAX_TTL		604800	/* seconds */
#define SCEN_MAX_NSEC3_ITER	2500	/* RFC 5155 10.3, 4096-bit keys */
#define SCEN_MAX_SIG_OFFSET	(365 * 86400)	/* signature times, seconds */
/* Default signature timing (the world signs with these, world.h). */
#define SCEN_SIG_INCEPTION_AGO	3600		/* valid from now - 1 h */
#define SCEN_SIG_LIFETIME	(30 * 86400)	/* for 30 days */
#define SCEN_SIG_BAD_OFFSET	(14 * 86400)	/* expired / not yet: 14 d */
/*
 * --time-scale: below 0.1 the 3 s phase gaps of the catalogue shrink
 * to 0.3 s, which hardly a client run fits; above 20 a rollover lasts
 * several minutes and a TTL of the catalogue's 3600 s becomes 20 hours.
 */
#define SCEN_TIME_SCALE_MIN	0.1
#define SCEN_TIME_SCALE_MAX	20.0
/*
 * Seconds a phase start keeps from the expiry of a TLSA RRset cached at
 * an earlier phase start (scenario_timeline_check).  Before it: 1 s
 * because a resolver counts TTLs in whole seconds (unbound keeps an
 * RRset until the second of the answer plus the TTL is past), 1 s more
 * for the client's own delay before its lookup.  After it: 1 s for the
 * seconds, 3 s more because the run that fetched the RRset may have
 * been slow to get it -- the first run resolves everything from a cold
 * cache, validating, and on a machine at load 17 its TLSA answer came
 * over a second late -- which makes the RRset live that much longer.
 */
#define SCEN_CACHE_BEFORE	2
#define SCEN_CACHE_AFTER	4

/* Where an element was written; line and col are 1-based, 0 = unknown. */
struct scen_pos {
	unsigned line;
	unsigned col;
};

enum scen_policy {
	SCEN_POLICY_DANE,	/* opportunistic DANE, RFC 7672 default */
	SCEN_POLICY_DANE_ONLY,	/* mandatory DANE */
	SCEN_POLICY_COUNT
};

/*
 * RFC 7672 actions.  For a whole delivery: auth, encrypt, opportunistic
 * or defer.  For one MX host: auth, encrypt, opportunistic or next-mx
 * (never deliver through this host).
 */
enum scen_action {
	SCEN_ACT_UNSET = 0,
	SCEN_ACT_AUTH,
	SCEN_ACT_ENCRYPT,
	SCEN_ACT_OPPORTUNISTIC,
	SCEN_ACT_NEXT_MX,
	SCEN_ACT_DEFER,
};

/*
 * A set of acceptable actions: the bit of each (SCEN_ACT_BIT(SCEN_ACT_AUTH)
 * | ...).  Where the RFC says MAY, an expectation names every action it
 * allows (`dane: [opportunistic, auth]`, the first listed the primary).
 */
#define SCEN_ACT_BIT(a) (1u << (unsigned)(a))

/* DNSSEC state of an RRset as a validator sees it (RFC 4035 4.3). */
enum scen_dnssec {
	SCEN_DNSSEC_UNSET = 0,
	SCEN_DNSSEC_SECURE,
	SCEN_DNSSEC_INSECURE,
	SCEN_DNSSEC_BOGUS,
	SCEN_DNSSEC_INDETERMINATE,	/* lookup failure: SERVFAIL, timeout */
};

/* What the parent publishes for a signed child. */
enum scen_ds {
	SCEN_DS_PRESENT = 0,		/* DS of the child's KSK */
	SCEN_DS_MISSING,		/* no DS: child is insecure */
	SCEN_DS_MISMATCH,		/* DS of a KSK the child does not publish */
	SCEN_DS_UNSUPPORTED_ALGORITHM,	/* DS algorithm no validator knows */
	SCEN_DS_UNSUPPORTED_DIGEST,	/* DS digest type no validator knows */
};

/* Signature state, for a whole zone or one RRset. */
enum scen_sig {
	SCEN_SIG_VALID = 0,
	SCEN_SIG_EXPIRED,	/* expired 14 days before now, or timed */
	SCEN_SIG_NOT_YET_VALID,	/* inception 14 days after now, or timed */
	SCEN_SIG_CORRUPTED,	/* signature bytes altered */
	SCEN_SIG_MISSING,	/* no RRSIG at all */
};

enum scen_denial {
	SCEN_DENIAL_NSEC = 0,
	SCEN_DENIAL_NSEC3,
};

/* Protocol faults of the authoritative server (served from issue 3 on). */
enum scen_dns_fault {
	SCEN_DNS_SERVFAIL = 1,
	SCEN_DNS_REFUSED,
	SCEN_DNS_TIMEOUT,	/* no answer at all */
	SCEN_DNS_TRUNCATE,	/* TC=1 over UDP, normal over TCP */
	SCEN_DNS_TCP_REFUSED,	/* TC=1 over UDP, TCP connection refused */
	SCEN_DNS_LAME,		/* zone's server does not answer for it */
	SCEN_DNS_NOTIMP,	/* NOTIMP: a middlebox that does not know
				 * the query type */
	/* Denial faults: a negative answer (NODATA, NXDOMAIN, DO=1) of a
	 * signed zone with its proof broken. */
	SCEN_DNS_PROOF_MISSING,	/* no NSEC/NSEC3 records (SOA only) */
	SCEN_DNS_PROOF_WRONG,	/* NSEC/NSEC3 that cover another name */
	SCEN_DNS_SOA_CHANGED,	/* SOA serial changed after signing */
};

/* STARTTLS behaviour of an MX host's SMTP server. */
enum scen_starttls {
	SCEN_STARTTLS_ON = 0,
	SCEN_STARTTLS_OFF,		/* not advertised in EHLO */
	SCEN_STARTTLS_REJECT,		/* advertised, answered with 454 */
	SCEN_STARTTLS_HANDSHAKE_FAIL,	/* 220, then the handshake fails */
};

/* A TLS protocol version bound of an MX host's server; 0: the default. */
enum scen_tls_version {
	SCEN_TLS_DEFAULT = 0,	/* min 1.2, max 1.3 */
	SCEN_TLS_1_0,
	SCEN_TLS_1_1,
	SCEN_TLS_1_2,
	SCEN_TLS_1_3,
};

/* Category of the USENIX Security 2022 measurement study. */
enum scen_category {
	SCEN_CAT_NONE = 0,
	SCEN_CAT_MISSING_DS,
	SCEN_CAT_DNSSEC,		/* other invalid DNSSEC chains */
	SCEN_CAT_MISMATCH,
	SCEN_CAT_EARLY_RETIREMENT,
	SCEN_CAT_LATE_INTRODUCTION,
	SCEN_CAT_NO_INTRODUCTION,
	SCEN_CAT_CA_CHANGE,
};

/* One TLSA record: literal, or computed from a fixture certificate. */
struct scen_tlsa {
	struct scen_pos pos;
	uint8_t usage;
	uint8_t selector;
	uint8_t mtype;
	char *cert;		/* fixture id, or NULL for literal data */
	uint8_t *data;		/* literal association data, or NULL */
	size_t data_len;
	/*
	 * With cert and a digest (matching 1 or 2): the computed data cut
	 * to, or padded with zero bytes to, this many bytes (a damaged
	 * record, RFC 6698 4.1 / RFC 7671 9); 0: as computed.
	 */
	uint16_t length;
	bool unusable;		/* author marks a deliberately bad record */
};

/*
 * An extra record: in presentation format, or, for type TLSA, computed
 * from a fixture certificate like a host's `tlsa:` item (tlsa.cert set,
 * rdata NULL), so that no scenario carries hand-computed digests.
 */
struct scen_record {
	struct scen_pos pos;
	char *owner;		/* absolute name */
	uint32_t ttl;		/* 0: zone default */
	char *type;		/* "TXT", "A", ... */
	char *rdata;		/* presentation format, or NULL (tlsa.cert) */
	struct scen_tlsa tlsa;	/* usage, selector, matching, cert, length */
};

/*
 * One DNSSEC key of a zone's key set (zones[].dnskeys[]): a moment of a
 * key rollover.  The key's kind comes from its fixture id: "-ksk" keys
 * get flags 257, "-zsk" keys 256.
 */
struct scen_dnskey {
	struct scen_pos pos;
	char *key;		/* fixture id in fixtures/dnssec, "domain-ksk" */
	bool published;		/* in the DNSKEY RRset, default true */
	bool signs;		/* makes RRSIGs, default true */
	bool ds;		/* the parent publishes its DS, default false */
};

struct scen_zone {
	struct scen_pos pos;
	char *name;		/* "example.net.", "." for the root */
	bool implicit;		/* added by the loader, not written */
	bool is_signed;		/* default true */
	enum scen_denial denial;	/* default nsec */
	uint16_t nsec3_iterations;	/* NSEC3 only, default 0 (RFC 9276) */
	bool nsec3_opt_out;		/* NSEC3 only: unsigned delegations
					 * left out of the chain (RFC 5155 6) */
	char *keys;		/* key role in fixtures/dnssec, NULL = by depth */
	struct scen_dnskey *dnskeys;	/* explicit key set, replaces keys */
	size_t n_dnskeys;
	uint32_t ttl;		/* default TTL of the zone's records */
	struct scen_record *records;
	size_t n_records;
};

/*
 * A chain an MX host's SMTP server presents to a client that sends this
 * SNI value (RFC 6066 3); other clients, and clients sending no SNI, get
 * the host's default `chain`.
 */
struct scen_sni {
	struct scen_pos pos;
	char *name;		/* absolute, lower case: "mx1.example.net." */
	char **chain;		/* fixture ids presented, leaf first */
	size_t n_chain;
};

struct scen_host {
	struct scen_pos pos;
	char *name;		/* MX target, "mx1.example.net." */
	uint16_t preference;
	char *cname;		/* if set: name is a CNAME to this name */
	char **addrs;		/* IPv4 in 127.0.0.0/8, dotted quad */
	size_t n_addrs;
	uint16_t port;		/* TLSA port and SMTP port, default 25 */
	char **chain;		/* fixture ids presented, leaf first */
	size_t n_chain;
	enum scen_starttls starttls;
	enum scen_tls_version tls_min, tls_max;	/* DEFAULT: 1.2, 1.3 */
	struct scen_tlsa *tlsa;
	size_t n_tlsa;
	uint32_t tlsa_ttl;	/* 0: zone default */
	struct scen_sni *sni;	/* chains by SNI value; the default: chain */
	size_t n_sni;
};

enum scen_fault_kind {
	SCEN_FAULT_DS = 1,
	SCEN_FAULT_SIGNATURES,
	SCEN_FAULT_DNS,
	SCEN_FAULT_STARTTLS,
};

/*
 * A named fault applied to the correct baseline.  Which fields are used
 * depends on kind:
 *   DS:          zone, ds
 *   SIGNATURES:  zone, and optionally name + type (one RRset); sig
 *   DNS:         name, optionally type (0 = every type); dns
 *   STARTTLS:    host; starttls
 */
struct scen_fault {
	struct scen_pos pos;
	enum scen_fault_kind kind;
	char *zone;		/* absolute name or NULL */
	char *name;		/* absolute name or NULL */
	uint16_t type;		/* RR type number, 0 = any */
	char *host;		/* absolute name or NULL */
	enum scen_ds ds;
	enum scen_sig sig;
	/*
	 * SIGNATURES valid, expired or not-yet-valid with `inception`,
	 * `expiration` or `lifetime`: timed is true and the validity period
	 * is [now + sig_inception, now + sig_expiration], offsets in seconds
	 * resolved by the loader.  Otherwise the state's default period.
	 */
	bool timed;
	int32_t sig_inception;
	int32_t sig_expiration;
	int32_t t_inception;	/* as written (the loader's scratch) */
	int32_t t_expiration;
	int32_t t_lifetime;
	/*
	 * SIGNATURES on one RRset: re-signed by this fixture key (id as in
	 * zones[].dnskeys[].key) instead of the zone's keys, NULL if not.
	 */
	char *key;
	enum scen_dns_fault dns;
	enum scen_starttls starttls;
	char *note;		/* optional free text */
};

/*
 * Expected action for one MX host under one policy: one action
 * (`next-mx`) or a list of the acceptable ones (`[opportunistic, auth]`).
 * action is the primary (the first listed); accept holds SCEN_ACT_BIT of
 * every listed action and always contains action.
 */
struct scen_host_expect {
	struct scen_pos pos;
	char *host;
	enum scen_action action;
	unsigned accept;	/* SCEN_ACT_BIT set of acceptable actions,
				 * action included (0 before loading: action) */
};


/*
 * Expectation under one policy: either one action, or a list of the
 * acceptable ones, for the whole delivery (a scalar or a sequence), or
 * the same per MX host (a map).
 *
 * overall is the primary action: the first listed; for a host map, the
 * primary action of the first host, by preference, whose primary action
 * is not next-mx, or defer when there is none.
 *
 * accept is the set (SCEN_ACT_BIT) of acceptable overall actions, always
 * containing overall: for a scalar or list, the list; for a host map,
 * walking the hosts by preference: every action of the host's set other
 * than next-mx is added; if the set contains next-mx the walk goes on to
 * the next host, else it stops; a walk past the last host adds defer.
 */
struct scen_expect_policy {
	struct scen_pos pos;
	bool set;
	enum scen_action overall;
	unsigned accept;	/* SCEN_ACT_BIT set of acceptable overall
				 * actions, overall included (0: overall) */
	struct scen_host_expect *hosts;
	size_t n_hosts;
};

/*
 * Declared DNSSEC state of one MX host's names: one state, or the list
 * of states validators may find where they legitimately differ (clock
 * skew slack, RFC 9276 iteration limits).  address and tlsa are the
 * primary (first listed: what the lab resolver finds); the _accept sets
 * hold SCEN_STATE_BIT of every listed state.
 */
#define SCEN_STATE_BIT(st) (1u << (unsigned)(st))
#define SCEN_MAX_STATES 3
struct scen_host_state {
	struct scen_pos pos;
	char *host;
	enum scen_dnssec address;
	enum scen_dnssec tlsa;
	unsigned address_accept;
	unsigned tlsa_accept;
};

struct scen_expect {
	struct scen_expect_policy policy[SCEN_POLICY_COUNT];
	enum scen_dnssec mx;	/* MX RRset of the mail domain */
	struct scen_pos mx_pos;
	struct scen_host_state *states;
	size_t n_states;
	struct scen_pos address_pos;	/* of the address map, 0 if absent */
	struct scen_pos tlsa_pos;	/* of the tlsa map, 0 if absent */
};

/* A host's changes in a timeline phase. */
struct scen_phase_host {
	struct scen_pos pos;
	char *host;
	char **chain;		/* NULL: unchanged */
	size_t n_chain;
	bool set_tlsa;		/* false: TLSA unchanged */
	struct scen_tlsa *tlsa;
	size_t n_tlsa;
	uint32_t tlsa_ttl;	/* 0: unchanged */
};

struct scen_phase {
	struct scen_pos pos;
	char *name;
	uint32_t at;		/* seconds from the start of the run */
	struct scen_phase_host *hosts;
	size_t n_hosts;
	struct scen_expect expect;	/* unset policies: inherit */
};

struct scenario {
	char *file;		/* path it was loaded from */
	unsigned version;
	char *id;		/* "dnssec/missing-ds" */
	struct scen_pos id_pos;
	char *title;
	char *explanation;
	char *rule;		/* the RFC rule, one paragraph */
	char *observe;		/* how to observe the fault */
	char **refs;		/* "RFC 7672 2.2" ... */
	size_t n_refs;
	enum scen_category category;
	char **tags;
	size_t n_tags;
	char *domain;		/* the mail domain (next-hop domain) */
	uint32_t ttl;		/* world default TTL */
	struct scen_zone *zones;	/* declared first, then implicit */
	size_t n_zones;
	struct scen_host *hosts;	/* sorted by preference, stable */
	size_t n_hosts;
	struct scen_fault *faults;
	size_t n_faults;
	struct scen_phase *phases;
	size_t n_phases;
	struct scen_expect expect;
	/*
	 * The factor scenario_time_scale stretched the timeline by; 1 as
	 * loaded.  Reports and kept cells record it, so that a result at
	 * "20 s" can be read against the file's "10".
	 */
	double time_scale;
};

/*
 * Load and check one scenario file.  fixtures_dir is where fixture
 * certificates are looked up (fixtures/pki/<id>.pem); NULL skips the
 * existence checks.  Every problem is added to diags with its position;
 * on any error the function returns DL_EINVAL and *out is untouched.
 * On success *out is a new scenario owned by the caller (scenario_free).
 * Warnings do not make it fail.
 */
int scenario_load(const char *path, const char *fixtures_dir,
    struct scenario **out, struct dl_diags *diags);

/* Same, from a buffer; name is used in diagnostics. */
int scenario_load_buffer(const char *name, const char *buf, size_t len,
    const char *fixtures_dir, struct scenario **out, struct dl_diags *diags);

void scenario_free(struct scenario *s);

/*
 * Whether t is a record an RFC 7672 client uses: usage DANE-TA(2) or
 * DANE-EE(3) (3.1.3), selector 0/1, matching type 0/1/2 with data of
 * the digest's length (literal, or `length`), not marked unusable by
 * the author.
 */
bool scen_tlsa_usable(const struct scen_tlsa *t);

/*
 * The TLSA base domain of MX host h (RFC 7672 2.2.2): the CNAME target
 * when the host is a CNAME and its TLSA records live there, else its own
 * name -- the SNI a client must send (RFC 7672 8.1).  Borrowed from h.
 */
const char *scen_host_base_domain(const struct scen_host *h);

/*
 * The chain h's server presents to a client sending SNI name (absolute
 * or not, any case; NULL: no SNI): the `sni:` chain of that name, else
 * the default, *chain (borrowed) and *n.  With a timeline, the default
 * passed in (the phase's) is returned unchanged when no SNI chain applies.
 */
void scen_host_sni_chain(const struct scen_host *h, const char *name,
    char ***chain, size_t *n);

/*
 * Whether the world makes records of RR type type (an ldns_rr_type) in a
 * zone itself, so that zones[].records may not hold them: SOA always;
 * RRSIG, NSEC, NSEC3, NSEC3PARAM in a signed zone; DNSKEY at a signed
 * zone's apex.  One rule for check, export and run (scen_check.c, and
 * zone_data.c as it builds).
 */
bool scen_rrtype_made(uint16_t type, bool is_signed, bool apex);

/* The name server the world gives zone (absolute): SCEN_ROOT_NS for the
 * root, else "ns1." + zone.  From xmalloc; the caller frees. */
#define SCEN_ROOT_NS "a.root-servers.lab."
char *scen_zone_ns_name(const char *zone);

/*
 * Load every *.yaml below dir (recursively, sorted by path), check each,
 * and check the set: ids unique, id matches the file's path relative to
 * dir ("dnssec/missing-ds" lives in dnssec/missing-ds.yaml).  On success
 * *out is an owned array of *n scenarios (scenario_list_free).  Returns
 * DL_EINVAL if any file has an error (the good ones are still returned).
 */
int scenario_load_dir(const char *dir, const char *fixtures_dir,
    struct scenario ***out, size_t *n, struct dl_diags *diags);
void scenario_list_free(struct scenario **v, size_t n);

/*
 * True if name is zone or below it, label-wise (both absolute, lower
 * case, as the model stores them): "mx.example.net." is under
 * "example.net." and ".", "xexample.net." is not under "example.net.".
 */
bool scen_dname_under(const char *name, const char *zone);

/*
 * Find a host by name, or NULL.  Names are compared as the model stores
 * them; a name without trailing dot or with upper case also matches.
 */
const struct scen_host *scenario_host(const struct scenario *s,
    const char *name);

/* Find a zone (declared or implicit) by its exact apex, or NULL. */
const struct scen_zone *scenario_zone(const struct scenario *s,
    const char *name);

/* Find the zone that is authoritative for name (longest suffix). */
const struct scen_zone *scenario_zone_for(const struct scenario *s,
    const char *name);

/*
 * Expected action under policy at phase (index into phases, or -1 for a
 * scenario without timeline): the phase's own expectation if it sets the
 * policy, else the nearest earlier phase that does, else the top level.
 * NULL if policy or phase is out of range.  Borrowed from s.
 */
const struct scen_expect_policy *scenario_expect(const struct scenario *s,
    enum scen_policy policy, int phase);

/*
 * Parse a time-scale factor ("2", "0.5", "1.5"): a plain decimal number
 * from SCEN_TIME_SCALE_MIN to SCEN_TIME_SCALE_MAX; no "inf", "nan", hex
 * or trailing garbage.  Returns 0 and *out, or -1 (nothing set).
 */
int scen_time_scale_parse(const char *arg, double *out);

/*
 * Stretch (f > 1) or shrink (f < 1) the timeline of s by f: every phase
 * offset, and every TTL of the world (the world's and each zone's
 * default, which is also the SOA minimum, hence negative caching; each
 * extra record's; each host's TLSA TTL, also as a phase changes it), so
 * that every relation the timeline rests on ("published two TTLs before
 * the switch") holds as written.  This is the one place time is scaled:
 * the worlds, the player's schedule, the client's moments, the overrun
 * check, reports and `explain` all read the scaled scenario.  A scenario
 * without timeline is left as it is (time plays no part in it: its one
 * client run starts on an empty cache).
 *
 * Values are whole seconds, so each is rounded to the nearest; a
 * factor that leaves any value fractional gets one warning saying so.
 * Errors, at the value's position, leave s untouched: a TTL below 1 s
 * or above 2^31-1 (RFC 2181 8), an offset past SCEN_MAX_OFFSET, two
 * phases at the same second.  f must be in the range above.  Returns
 * 0 or DL_EINVAL.  Applying it twice multiplies the factors.
 */
int scenario_time_scale(struct scenario *s, double f, struct dl_diags *diags);

/*
 * Warn (at the phase's position) about every timeline of s in which a
 * phase starts less than SCEN_CACHE_BEFORE seconds before, or less than
 * SCEN_CACHE_AFTER seconds after, a TLSA RRset cached by the client run
 * at an earlier phase start expires: whether that run sees the cached RRset or a fresh one, and
 * so its expectation, would be left to chance.  The model is the run's:
 * one resolver, cold at the first phase, a client run (one TLSA lookup
 * per MX host) at every phase start, an expired RRset fetched again
 * with the TTL in force then.  Phase offsets and TTLs are read as they
 * are (already scaled when called after scenario_time_scale).  Stops
 * at a host's first finding (what follows depends on it).  Returns the
 * number of warnings.
 */
size_t scenario_timeline_check(const struct scenario *s,
    struct dl_diags *diags);

/* Index of the phase called name, or -1. */
int scenario_phase_index(const struct scenario *s, const char *name);

/*
 * Write the format reference (one Markdown table per mapping: key, type,
 * default, meaning, example), generated from the loader's schema tables,
 * to fp.  This is the generated part of scenarios/README.md; `danelab
 * check --schema` can print it.
 */
void scenario_schema_markdown(FILE *fp);

/* Names of enum values, as written in scenario files. */
const char *scen_action_name(enum scen_action a);
const char *scen_policy_name(enum scen_policy p);
/* The reverse of scen_policy_name: the policy, or -1. */
int scen_policy_parse(const char *s);
const char *scen_dnssec_name(enum scen_dnssec st);
const char *scen_ds_name(enum scen_ds ds);
const char *scen_sig_name(enum scen_sig sig);
const char *scen_dns_fault_name(enum scen_dns_fault f);
/* A denial fault (proof-missing, proof-wrong, soa-changed)? */
bool scen_dns_fault_is_denial(enum scen_dns_fault f);
const char *scen_starttls_name(enum scen_starttls st);
const char *scen_category_name(enum scen_category c);
const char *scen_fault_kind_name(enum scen_fault_kind k);
const char *scen_denial_name(enum scen_denial d);
/*
 * A set of actions as text, in enum order, joined by '|': "auth",
 * "auth|opportunistic"; "-" for the empty set; cut after a whole name
 * to fit len.
 * Returns buf.
 */
char *scen_accept_format(unsigned accept, char *buf, size_t len);
/* Number of actions in the set. */
size_t scen_accept_count(unsigned accept);
/* RFC 7218 mnemonic of a TLSA usage ("DANE-EE"), or "invalid". */
const char *scen_tlsa_usage_name(uint8_t usage);

#endif /* DL_SCENARIO_SCENARIO_H */
