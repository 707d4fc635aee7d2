/*
 * scen_schema.c -- the scenario format v1 as data: one table per mapping,
 * one row per key (name, type, flags, range, default, doc, example).
 *
 * Owns: what keys exist, their types, ranges, defaults and documentation.
 * The decoder (scen_load.c) and the reference generator (scen_doc.c)
 * both read these tables, so the format, its defaults and its
 * documentation cannot drift apart.  Does not own: cross-key and
 * cross-element rules (post hooks in scen_load.c, scen_check.c).
 */
#include "simulator/scenario/scen_internal.h"

#include <stddef.h>

#define FLD(T, m)	.off = offsetof(T, m), .size = sizeof(((T *)0)->m)
#define LST(T, m, nm, IT) \
	FLD(T, m), .n_off = offsetof(T, nm), .item_size = sizeof(IT)
#define NKEYS(a)	(sizeof(a) / sizeof(a[0]))

/* Items of lists of scalars: decoded in place into one array slot. */
static const struct scen_key item_ref = {
	.name = "references", .type = SCEN_K_STR, .size = sizeof(char *),
};
static const struct scen_key item_tag = {
	.name = "tags", .type = SCEN_K_STR, .size = sizeof(char *),
};
static const struct scen_key item_addr = {
	.name = "addresses", .type = SCEN_K_CUSTOM, .size = sizeof(char *),
	.fn = scen_dec_address, .type_doc = "IPv4 address",
};
static const struct scen_key item_chain = {
	.name = "chain", .type = SCEN_K_FIXTURE, .size = sizeof(char *),
};

extern const struct scen_schema scen_schema_zone, scen_schema_dnskey,
    scen_schema_record,
    scen_schema_host, scen_schema_tlsa, scen_schema_fault, scen_schema_phase,
    scen_schema_phase_host, scen_schema_phase_expect, scen_schema_expect;

/* The chain of one `sni:` entry, decoded by scen_dec_sni. */
const struct scen_key scen_key_sni_chain = {
	.name = "sni", .type = SCEN_K_LIST,
	LST(struct scen_sni, chain, n_chain, char *), .item = &item_chain,
	.min = 1, .max = SCEN_MAX_LIST,
};

/* Items of lists of mappings. */
static const struct scen_key item_zone = {
	.name = "zones", .type = SCEN_K_MAP, .sub = &scen_schema_zone,
};
static const struct scen_key item_dnskey = {
	.name = "dnskeys", .type = SCEN_K_MAP, .sub = &scen_schema_dnskey,
};
static const struct scen_key item_record = {
	.name = "records", .type = SCEN_K_MAP, .sub = &scen_schema_record,
};
static const struct scen_key item_host = {
	.name = "mx", .type = SCEN_K_MAP, .sub = &scen_schema_host,
};
static const struct scen_key item_tlsa = {
	.name = "tlsa", .type = SCEN_K_MAP, .sub = &scen_schema_tlsa,
};
static const struct scen_key item_fault = {
	.name = "faults", .type = SCEN_K_MAP, .sub = &scen_schema_fault,
};
static const struct scen_key item_phase = {
	.name = "timeline", .type = SCEN_K_MAP, .sub = &scen_schema_phase,
};
static const struct scen_key item_phase_host = {
	.name = "hosts", .type = SCEN_K_MAP, .sub = &scen_schema_phase_host,
};

/* ---- top level ------------------------------------------------------- */

static const struct scen_key top_keys[] = {
	{ .name = "version", .type = SCEN_K_CUSTOM, .flags = SCEN_F_REQUIRED,
	  FLD(struct scenario, version), .fn = scen_dec_version,
	  .type_doc = "integer",
	  .doc = "Format version; must be 1.", .example = "1" },
	{ .name = "id", .type = SCEN_K_CUSTOM, .flags = SCEN_F_REQUIRED,
	  FLD(struct scenario, id), .fn = scen_dec_id,
	  .type_doc = "`[a-z0-9-]+(/[a-z0-9-]+)*`",
	  .doc = "Identifier; equals the file's path below `scenarios/` "
	    "without `.yaml`.",
	  .example = "dnssec/missing-ds" },
	{ .name = "title", .type = SCEN_K_STR, .flags = SCEN_F_REQUIRED,
	  FLD(struct scenario, title),
	  .doc = "One-line summary.",
	  .example = "Child zone signed, parent publishes no DS" },
	{ .name = "explanation", .type = SCEN_K_TEXT,
	  .flags = SCEN_F_REQUIRED, FLD(struct scenario, explanation),
	  .doc = "What the operator did wrong and what happens.",
	  .example = "> The domain is signed but ..." },
	{ .name = "rule", .type = SCEN_K_TEXT, FLD(struct scenario, rule),
	  .doc = "The RFC rule that applies, one paragraph.",
	  .example = "> RFC 7672 2.2: ..." },
	{ .name = "observe", .type = SCEN_K_TEXT,
	  FLD(struct scenario, observe),
	  .doc = "How to observe the fault (dig, delv, openssl lines).",
	  .example = "> delv @127.53.53.53 ..." },
	{ .name = "references", .type = SCEN_K_LIST, .flags = SCEN_F_REQUIRED,
	  LST(struct scenario, refs, n_refs, char *), .item = &item_ref,
	  .min = 1, .max = SCEN_MAX_LIST,
	  .doc = "RFC sections and study categories that apply.",
	  .example = "[\"RFC 7672 2.2\", \"RFC 4035 5.2\"]" },
	{ .name = "category", .type = SCEN_K_ENUM,
	  FLD(struct scenario, category), .en = &scen_enum_category,
	  .def = "none",
	  .doc = "Category of the USENIX Security 2022 study.",
	  .example = "missing-ds" },
	{ .name = "tags", .type = SCEN_K_LIST,
	  LST(struct scenario, tags, n_tags, char *), .item = &item_tag,
	  .min = 0, .max = SCEN_MAX_LIST,
	  .doc = "Free-form tags for `danelab list`.",
	  .example = "[dnssec, insecure]" },
	{ .name = "domain", .type = SCEN_K_NAME, .flags = SCEN_F_REQUIRED,
	  FLD(struct scenario, domain),
	  .doc = "The mail domain (next-hop domain) whose MX hosts are "
	    "tested.", .example = "example.net" },
	{ .name = "ttl", .type = SCEN_K_UINT, FLD(struct scenario, ttl),
	  .min = 1, .max = SCEN_MAX_TTL, .def = "3600",
	  .doc = "Default TTL of every record, in seconds.",
	  .example = "3600" },
	{ .name = "zones", .type = SCEN_K_LIST,
	  LST(struct scenario, zones, n_zones, struct scen_zone),
	  .item = &item_zone, .min = 0, .max = SCEN_MAX_ZONES,
	  .doc = "Zones to declare or tune; every other zone the world "
	    "needs is added implicitly (signed, NSEC, DS present).",
	  .example = "[{ name: example.net, signed: false }]" },
	{ .name = "mx", .type = SCEN_K_LIST, .flags = SCEN_F_REQUIRED,
	  LST(struct scenario, hosts, n_hosts, struct scen_host),
	  .item = &item_host, .min = 1, .max = SCEN_MAX_HOSTS,
	  .doc = "The MX hosts of the domain.",
	  .example = "[{ host: mx1.example.net, ... }]" },
	{ .name = "faults", .type = SCEN_K_LIST,
	  LST(struct scenario, faults, n_faults, struct scen_fault),
	  .item = &item_fault, .min = 0, .max = SCEN_MAX_FAULTS,
	  .doc = "Named faults applied to the correct baseline.",
	  .example = "[{ ds: missing, zone: example.net }]" },
	{ .name = "timeline", .type = SCEN_K_LIST,
	  LST(struct scenario, phases, n_phases, struct scen_phase),
	  .item = &item_phase, .min = 0, .max = SCEN_MAX_PHASES,
	  .doc = "Phases in increasing `at` order, the first at 0.",
	  .example = "[{ phase: old-only, at: 0 }]" },
	{ .name = "expect", .type = SCEN_K_MAP, .flags = SCEN_F_REQUIRED,
	  FLD(struct scenario, expect), .sub = &scen_schema_expect,
	  .doc = "What a correct client does.",
	  .example = "{ mx: secure, ... }" },
};

const struct scen_schema scen_schema_top = {
	.name = "scenario", .path = "top level",
	.doc = "A scenario file is one YAML mapping.",
	.keys = top_keys, .n_keys = NKEYS(top_keys), .post = scen_post_top,
};

/* ---- zones ------------------------------------------------------------ */

static const struct scen_key zone_keys[] = {
	{ .name = "name", .type = SCEN_K_NAME, .flags = SCEN_F_REQUIRED,
	  FLD(struct scen_zone, name), .dn_flags = SCEN_DN_ROOT_OK,
	  .doc = "Zone apex; `.` is the root.", .example = "example.net" },
	{ .name = "signed", .type = SCEN_K_BOOL,
	  FLD(struct scen_zone, is_signed), .def = "true",
	  .doc = "Whether the zone is signed.", .example = "false" },
	{ .name = "denial", .type = SCEN_K_ENUM,
	  FLD(struct scen_zone, denial), .en = &scen_enum_denial,
	  .def = "nsec", .doc = "Authenticated denial of existence.",
	  .example = "nsec3" },
	{ .name = "nsec3-iterations", .type = SCEN_K_UINT,
	  FLD(struct scen_zone, nsec3_iterations), .min = 0,
	  .max = SCEN_MAX_NSEC3_ITER, .def = "0",
	  .doc = "NSEC3 hash iterations (`denial: nsec3` only). RFC 9276 "
	    "says 0; validators treat answers proven with more than their "
	    "limit as insecure (unbound `val-nsec3-keysize-iterations`, "
	    "150; BIND 150).", .example = "500" },
	{ .name = "nsec3-opt-out", .type = SCEN_K_BOOL,
	  FLD(struct scen_zone, nsec3_opt_out), .def = "false",
	  .doc = "NSEC3 opt-out (`denial: nsec3` only): delegations without "
	    "a DS get no NSEC3 record; the opt-out span covering them "
	    "proves them insecure (RFC 5155 6, 7.2.4).", .example = "true" },
	{ .name = "keys", .type = SCEN_K_CUSTOM,
	  FLD(struct scen_zone, keys), .fn = scen_dec_keys,
	  .type_doc = "key role", .flags = SCEN_F_DEFDOC,
	  .def = "by position",
	  .doc = "DNSSEC key role in `fixtures/dnssec` (`<role>-ksk.key`, "
	    "`<role>-zsk.key`). By position: `root`, `tld` (one label), "
	    "`domain` (the mail domain's zone), `host` (any other).",
	  .example = "rsa" },
	{ .name = "dnskeys", .type = SCEN_K_LIST,
	  LST(struct scen_zone, dnskeys, n_dnskeys, struct scen_dnskey),
	  .item = &item_dnskey, .min = 1, .max = SCEN_MAX_DNSKEYS,
	  .doc = "The zone's keys at one moment of a key rollover, instead "
	    "of `keys`: which keys the DNSKEY RRset holds, which of them "
	    "sign, which ones the parent has a DS for (RFC 6781 4.1, RFC "
	    "7583).  A signing KSK signs the DNSKEY RRset; a signing ZSK "
	    "signs every other RRset; a KSK whose algorithm has no signing "
	    "ZSK signs everything (a combined signing key).",
	  .example = "[{ key: domain-old-ksk, published: false, ds: true }, "
	    "{ key: domain-ksk, ds: true }, { key: domain-zsk }]" },
	{ .name = "ttl", .type = SCEN_K_UINT, FLD(struct scen_zone, ttl),
	  .min = 1, .max = SCEN_MAX_TTL, .flags = SCEN_F_DEFDOC,
	  .def = "top-level `ttl`",
	  .doc = "Default TTL of the zone's records.", .example = "300" },
	{ .name = "records", .type = SCEN_K_LIST,
	  LST(struct scen_zone, records, n_records, struct scen_record),
	  .item = &item_record, .min = 0, .max = SCEN_MAX_RECORDS,
	  .doc = "Extra records in presentation format.  Not the ones "
	    "the world makes (SOA; RRSIG, NSEC, NSEC3, NSEC3PARAM in a "
	    "signed zone; DNSKEY at its apex); a CNAME alone at its name "
	    "(not at an apex, not beside other records or the world's "
	    "data; RFC 1034 3.6.2, RFC 2181 10.1); one DNAME per name and "
	    "nothing below it (RFC 6672 2.4).",
	  .example = "[{ name: www, type: A, data: 127.0.0.80 }]" },
};

const struct scen_schema scen_schema_zone = {
	.name = "zone", .path = "zones[]",
	.doc = "A zone to declare or tune.",
	.keys = zone_keys, .n_keys = NKEYS(zone_keys),
	.post = scen_post_zone, .has_pos = true,
};

static const struct scen_key dnskey_keys[] = {
	{ .name = "key", .type = SCEN_K_CUSTOM, .flags = SCEN_F_REQUIRED,
	  FLD(struct scen_dnskey, key), .fn = scen_dec_dnskey_id,
	  .type_doc = "key fixture id",
	  .doc = "Fixture key `fixtures/dnssec/<id>.key`; an id ending in "
	    "`-ksk` is a KSK (flags 257), in `-zsk` a ZSK (256).",
	  .example = "domain-old-ksk" },
	{ .name = "published", .type = SCEN_K_BOOL,
	  FLD(struct scen_dnskey, published), .def = "true",
	  .doc = "The key is in the zone's DNSKEY RRset.  `false`: a key "
	    "already removed (its DS or its signatures may linger).",
	  .example = "false" },
	{ .name = "signs", .type = SCEN_K_BOOL,
	  FLD(struct scen_dnskey, signs), .def = "true",
	  .doc = "The key makes RRSIGs (see `dnskeys`).  `false`: a key "
	    "published before it is used, or kept after it stopped.",
	  .example = "false" },
	{ .name = "ds", .type = SCEN_K_BOOL, FLD(struct scen_dnskey, ds),
	  .def = "false",
	  .doc = "The parent publishes a SHA-256 DS for the key (a `ds` "
	    "fault on the zone replaces the whole DS RRset).",
	  .example = "true" },
};

const struct scen_schema scen_schema_dnskey = {
	.name = "DNSSEC key", .path = "zones[].dnskeys[]",
	.doc = "One key of a zone's key set.",
	.keys = dnskey_keys, .n_keys = NKEYS(dnskey_keys), .has_pos = true,
};

static const struct scen_key record_keys[] = {
	{ .name = "name", .type = SCEN_K_CUSTOM, .flags = SCEN_F_REQUIRED,
	  FLD(struct scen_record, owner), .fn = scen_dec_owner,
	  .type_doc = "owner name",
	  .doc = "Owner: `@` for the apex, a name at or below the zone "
	    "(absolute), or a name relative to the zone.",
	  .example = "www" },
	{ .name = "type", .type = SCEN_K_CUSTOM, .flags = SCEN_F_REQUIRED,
	  FLD(struct scen_record, type), .fn = scen_dec_rrtype_name,
	  .type_doc = "RR type",
	  .doc = "Mnemonic or `TYPEnnn`.", .example = "TXT" },
	{ .name = "data", .type = SCEN_K_STR,
	  FLD(struct scen_record, rdata),
	  .doc = "RDATA in presentation format; must parse.  Required, "
	    "except for a TLSA record computed from `cert`.",
	  .example = "\"\\\"v=spf1 -all\\\"\"" },
	{ .name = "usage", .type = SCEN_K_UINT,
	  FLD(struct scen_record, tlsa.usage), .min = 0, .max = 255,
	  .en = &scen_enum_tlsa_usage,
	  .doc = "Type TLSA with `cert`: certificate usage.",
	  .example = "DANE-EE" },
	{ .name = "selector", .type = SCEN_K_UINT,
	  FLD(struct scen_record, tlsa.selector), .min = 0, .max = 255,
	  .en = &scen_enum_tlsa_selector,
	  .doc = "Type TLSA with `cert`: selector, 0 or 1.",
	  .example = "SPKI" },
	{ .name = "matching", .type = SCEN_K_UINT,
	  FLD(struct scen_record, tlsa.mtype), .min = 0, .max = 255,
	  .en = &scen_enum_tlsa_mtype,
	  .doc = "Type TLSA with `cert`: matching type, 0, 1 or 2.",
	  .example = "SHA2-256" },
	{ .name = "cert", .type = SCEN_K_FIXTURE,
	  FLD(struct scen_record, tlsa.cert),
	  .doc = "Type TLSA, instead of `data`: compute the association "
	    "data from this fixture certificate (with `usage`, `selector`, "
	    "`matching`), as `mx[].tlsa` does.", .example = "mx-cur" },
	{ .name = "length", .type = SCEN_K_UINT,
	  FLD(struct scen_record, tlsa.length), .min = 1,
	  .max = SCEN_MAX_TLSA_DATA, .flags = SCEN_F_DEFDOC,
	  .def = "the digest's",
	  .doc = "Type TLSA with `cert` and matching 1 or 2: cut the "
	    "digest to, or pad it with zero bytes to, this many bytes "
	    "(same as `mx[].tlsa[].length`).", .example = "31" },
	{ .name = "unusable", .type = SCEN_K_BOOL,
	  FLD(struct scen_record, tlsa.unusable), .def = "false",
	  .doc = "Type TLSA with `cert`: the record is deliberately "
	    "unusable (silences the checker's warnings about it).",
	  .example = "true" },
	{ .name = "ttl", .type = SCEN_K_UINT, FLD(struct scen_record, ttl),
	  .min = 1, .max = SCEN_MAX_TTL, .flags = SCEN_F_DEFDOC,
	  .def = "zone `ttl`", .doc = "TTL of the record.",
	  .example = "300" },
};

const struct scen_schema scen_schema_record = {
	.name = "record", .path = "zones[].records[]",
	.doc = "One extra record of a zone: `data` in presentation "
	  "format, or, for type TLSA, `cert` with `usage`, `selector` and "
	  "`matching`.",
	.keys = record_keys, .n_keys = NKEYS(record_keys),
	.post = scen_post_record, .has_pos = true,
};

/* ---- MX hosts ---------------------------------------------------------- */

static const struct scen_key host_keys[] = {
	{ .name = "host", .type = SCEN_K_NAME, .flags = SCEN_F_REQUIRED,
	  FLD(struct scen_host, name),
	  .doc = "The MX target.", .example = "mx1.example.net" },
	{ .name = "preference", .type = SCEN_K_UINT,
	  FLD(struct scen_host, preference), .min = 0, .max = 65535,
	  .def = "10", .doc = "MX preference; hosts are tried lowest first.",
	  .example = "20" },
	{ .name = "cname", .type = SCEN_K_NAME,
	  FLD(struct scen_host, cname),
	  .doc = "Make the MX target a CNAME to this name; its address and "
	    "TLSA records live there.", .example = "real.example.net" },
	{ .name = "addresses", .type = SCEN_K_LIST, .flags = SCEN_F_REQUIRED,
	  LST(struct scen_host, addrs, n_addrs, char *), .item = &item_addr,
	  .min = 1, .max = SCEN_MAX_LIST,
	  .doc = "IPv4 addresses in 127.0.0.0/8, outside 127.53.0.0/16.",
	  .example = "[127.0.1.25]" },
	{ .name = "port", .type = SCEN_K_UINT, FLD(struct scen_host, port),
	  .min = 1, .max = 65535, .def = "25",
	  .doc = "SMTP port, and the port of the TLSA name.",
	  .example = "25" },
	{ .name = "chain", .type = SCEN_K_LIST, .flags = SCEN_F_REQUIRED,
	  LST(struct scen_host, chain, n_chain, char *), .item = &item_chain,
	  .min = 1, .max = SCEN_MAX_LIST,
	  .doc = "Fixture certificates presented, leaf first "
	    "(`fixtures/pki/<id>.pem`; the leaf's `<id>.key` must exist).",
	  .example = "[mx-cur, int-r3]" },
	{ .name = "sni", .type = SCEN_K_CUSTOM, .off = 0,
	  .size = sizeof(struct scen_host), .fn = scen_dec_sni,
	  .type_doc = "map: SNI name -> chain", .flags = SCEN_F_DEFDOC,
	  .def = "none",
	  .doc = "Chains by the SNI value a client sends (at most 8, "
	    "same items as `chain`); a client sending another name, or "
	    "none, gets `chain`.  RFC 7672 8.1: a DANE client sends the "
	    "TLSA base domain.",
	  .example = "{ mx1.example.net: [mx-cur, int-r3] }" },
	{ .name = "starttls", .type = SCEN_K_ENUM,
	  FLD(struct scen_host, starttls), .en = &scen_enum_starttls,
	  .def = "on", .doc = "STARTTLS behaviour of the SMTP server.",
	  .example = "off" },
	{ .name = "tls-min", .type = SCEN_K_ENUM,
	  FLD(struct scen_host, tls_min), .en = &scen_enum_tls_version,
	  .def = "1.2", .doc = "Lowest TLS version the SMTP server "
	    "accepts; below 1.2 the server also drops to OpenSSL security "
	    "level 0, which TLS 1.0 and 1.1 need.", .example = "\"1.0\"" },
	{ .name = "tls-max", .type = SCEN_K_ENUM,
	  FLD(struct scen_host, tls_max), .en = &scen_enum_tls_version,
	  .def = "1.3", .doc = "Highest TLS version the SMTP server "
	    "accepts: an old server that speaks only TLS 1.0 or 1.1.",
	  .example = "\"1.1\"" },
	{ .name = "tlsa-ttl", .type = SCEN_K_UINT,
	  FLD(struct scen_host, tlsa_ttl), .min = 1, .max = SCEN_MAX_TTL,
	  .flags = SCEN_F_DEFDOC, .def = "zone `ttl`",
	  .doc = "TTL of the TLSA RRset.", .example = "300" },
	{ .name = "tlsa", .type = SCEN_K_LIST,
	  LST(struct scen_host, tlsa, n_tlsa, struct scen_tlsa),
	  .item = &item_tlsa, .min = 0, .max = SCEN_MAX_TLSA,
	  .doc = "TLSA RRset at `_<port>._tcp.<host>`; absent or `[]`: "
	    "no TLSA records.",
	  .example = "[{ usage: 3, selector: 1, matching: 1, cert: mx-cur }]" },
};

const struct scen_schema scen_schema_host = {
	.name = "mx host", .path = "mx[]",
	.doc = "One MX host of the mail domain.",
	.keys = host_keys, .n_keys = NKEYS(host_keys),
	.post = scen_post_host, .has_pos = true,
};

static const struct scen_key tlsa_keys[] = {
	{ .name = "usage", .type = SCEN_K_UINT, FLD(struct scen_tlsa, usage),
	  .min = 0, .max = 255, .en = &scen_enum_tlsa_usage,
	  .doc = "Certificate usage (with `cert`).", .example = "DANE-EE" },
	{ .name = "selector", .type = SCEN_K_UINT,
	  FLD(struct scen_tlsa, selector), .min = 0, .max = 255,
	  .en = &scen_enum_tlsa_selector,
	  .doc = "Selector (with `cert`): 0 or 1.", .example = "SPKI" },
	{ .name = "matching", .type = SCEN_K_UINT,
	  FLD(struct scen_tlsa, mtype), .min = 0, .max = 255,
	  .en = &scen_enum_tlsa_mtype,
	  .doc = "Matching type (with `cert`): 0, 1 or 2.",
	  .example = "SHA2-256" },
	{ .name = "cert", .type = SCEN_K_FIXTURE,
	  FLD(struct scen_tlsa, cert),
	  .doc = "Compute the data from this fixture certificate.",
	  .example = "mx-cur" },
	{ .name = "record", .type = SCEN_K_CUSTOM, .off = 0,
	  .size = sizeof(struct scen_tlsa), .fn = scen_dec_tlsa_record,
	  .type_doc = "`usage selector matching hex`",
	  .doc = "A literal record instead of `cert`: numbers or mnemonics, "
	    "then hex data (even length, at most 1024 bytes).",
	  .example = "\"3 1 1 0123...ef\"" },
	{ .name = "length", .type = SCEN_K_UINT,
	  FLD(struct scen_tlsa, length), .min = 1,
	  .max = SCEN_MAX_TLSA_DATA, .flags = SCEN_F_DEFDOC,
	  .def = "the digest's",
	  .doc = "With `cert` and matching 1 or 2: cut the digest to, or "
	    "pad it with zero bytes to, this many bytes: a truncated or "
	    "over-long record, unusable (RFC 6698 4.1, RFC 7671 9).",
	  .example = "31" },
	{ .name = "unusable", .type = SCEN_K_BOOL,
	  FLD(struct scen_tlsa, unusable), .def = "false",
	  .doc = "The record is deliberately unusable: silences the "
	    "checker's warnings about it.", .example = "true" },
};

const struct scen_schema scen_schema_tlsa = {
	.name = "TLSA item", .path = "mx[].tlsa[]",
	.doc = "One TLSA record: `cert` with `usage`, `selector` and "
	  "`matching`, or a literal `record`.",
	.keys = tlsa_keys, .n_keys = NKEYS(tlsa_keys),
	.post = scen_post_tlsa, .has_pos = true,
};

/* ---- faults ------------------------------------------------------------ */

static const struct scen_key fault_keys[] = {
	{ .name = "ds", .type = SCEN_K_ENUM, FLD(struct scen_fault, ds),
	  .en = &scen_enum_ds_fault,
	  .doc = "Kind ds: what the parent publishes for `zone`.",
	  .example = "missing" },
	{ .name = "signatures", .type = SCEN_K_ENUM,
	  FLD(struct scen_fault, sig), .en = &scen_enum_sig_fault,
	  .doc = "Kind signatures: the state of the signatures of `zone`, "
	    "or of one RRset (`name` and `type`); `valid` only with a "
	    "timing (`inception`, `expiration`, `lifetime`).",
	  .example = "expired" },
	{ .name = "dns", .type = SCEN_K_ENUM, FLD(struct scen_fault, dns),
	  .en = &scen_enum_dns_fault,
	  .doc = "Kind dns: a protocol fault for `name` (and `type`); for "
	    "`lame`, `name` is a zone. `proof-missing`, `proof-wrong`, "
	    "`soa-changed` break the denial proof of a negative answer "
	    "(NODATA, NXDOMAIN) of a signed zone: no NSEC/NSEC3 records, "
	    "NSEC/NSEC3 records that cover other names, a SOA whose serial "
	    "changed after it was signed (an error for a name in an unsigned "
	    "zone).", .example = "servfail" },
	{ .name = "starttls", .type = SCEN_K_ENUM,
	  FLD(struct scen_fault, starttls), .en = &scen_enum_starttls_fault,
	  .doc = "Kind starttls: the SMTP server of `host` misbehaves.",
	  .example = "off" },
	{ .name = "zone", .type = SCEN_K_NAME, FLD(struct scen_fault, zone),
	  .dn_flags = SCEN_DN_ROOT_OK,
	  .doc = "The zone (ds, signatures).", .example = "example.net" },
	{ .name = "name", .type = SCEN_K_NAME, FLD(struct scen_fault, name),
	  .dn_flags = SCEN_DN_ROOT_OK | SCEN_DN_UNDERSCORE,
	  .doc = "An owner name (signatures, with `type`; dns).",
	  .example = "_25._tcp.mx1.example.net" },
	{ .name = "type", .type = SCEN_K_CUSTOM, FLD(struct scen_fault, type),
	  .fn = scen_dec_rrtype, .type_doc = "RR type",
	  .doc = "RR type (signatures: required with `name`; dns: every "
	    "type if absent).", .example = "TLSA" },
	{ .name = "host", .type = SCEN_K_NAME, FLD(struct scen_fault, host),
	  .doc = "An MX host (starttls).", .example = "mx1.example.net" },
	{ .name = "inception", .type = SCEN_K_CUSTOM,
	  FLD(struct scen_fault, t_inception), .fn = scen_dec_duration,
	  .type_doc = "duration", .flags = SCEN_F_DEFDOC, .def = "by state",
	  .doc = "Signatures valid, expired or not-yet-valid: start of the "
	    "validity period relative to now, `[-]N` with `m`, `h` or `d` "
	    "(at most 365d). Default: `expiration` minus `lifetime`; "
	    "valid: -1h, not-yet-valid: 14d.", .example = "-1d" },
	{ .name = "expiration", .type = SCEN_K_CUSTOM,
	  FLD(struct scen_fault, t_expiration), .fn = scen_dec_duration,
	  .type_doc = "duration", .flags = SCEN_F_DEFDOC, .def = "by state",
	  .doc = "End of the validity period relative to now (same syntax). "
	    "Default: `inception` plus `lifetime`; expired: -14d. An expired "
	    "signature's lies in the past, a not-yet-valid one's inception "
	    "in the future, a valid one's period contains now.",
	  .example = "-23h" },
	{ .name = "lifetime", .type = SCEN_K_CUSTOM,
	  FLD(struct scen_fault, t_lifetime), .fn = scen_dec_duration,
	  .type_doc = "duration", .flags = SCEN_F_DEFDOC, .def = "`30d`",
	  .doc = "Length of the validity period (positive); at most two of "
	    "`inception`, `expiration`, `lifetime`. Validators scale their "
	    "clock-skew slack with it (unbound: 10 %, clamped to 1h..1d).",
	  .example = "30d" },
	{ .name = "key", .type = SCEN_K_CUSTOM, FLD(struct scen_fault, key),
	  .fn = scen_dec_dnskey_id, .type_doc = "key fixture id",
	  .doc = "Signatures on one RRset (`name`, `type`): its RRSIGs are "
	    "made by this fixture key (as in `zones[].dnskeys[].key`) "
	    "instead of the zone's keys, e.g. a ZSK removed from the DNSKEY "
	    "RRset; with `signatures: valid` no timing is needed.",
	  .example = "domain-old-zsk" },
	{ .name = "note", .type = SCEN_K_STR, FLD(struct scen_fault, note),
	  .doc = "Free text.", .example = "the DS was never uploaded" },
};

const struct scen_schema scen_schema_fault = {
	.name = "fault", .path = "faults[]",
	.doc = "A named fault; exactly one of `ds`, `signatures`, `dns`, "
	  "`starttls` gives its kind.",
	.keys = fault_keys, .n_keys = NKEYS(fault_keys),
	.post = scen_post_fault, .has_pos = true,
};

/* ---- timeline ---------------------------------------------------------- */

static const struct scen_key phase_keys[] = {
	{ .name = "phase", .type = SCEN_K_CUSTOM, .flags = SCEN_F_REQUIRED,
	  FLD(struct scen_phase, name), .fn = scen_dec_slug,
	  .type_doc = "`[a-z0-9-]+`", .doc = "Phase name, unique.",
	  .example = "old-only" },
	{ .name = "at", .type = SCEN_K_UINT, .flags = SCEN_F_REQUIRED,
	  FLD(struct scen_phase, at), .min = 0, .max = SCEN_MAX_OFFSET,
	  .doc = "Start, in seconds from the start of the run.",
	  .example = "0" },
	{ .name = "hosts", .type = SCEN_K_LIST,
	  LST(struct scen_phase, hosts, n_hosts, struct scen_phase_host),
	  .item = &item_phase_host, .min = 0, .max = SCEN_MAX_HOSTS,
	  .doc = "Changes to MX hosts in this phase.",
	  .example = "[{ host: mx1.example.net, chain: [mx-next, int-r3] }]" },
	{ .name = "expect", .type = SCEN_K_MAP,
	  FLD(struct scen_phase, expect), .sub = &scen_schema_phase_expect,
	  .doc = "Overrides `expect.dane` / `expect.dane-only` from this "
	    "phase on.", .example = "{ dane: auth }" },
};

const struct scen_schema scen_schema_phase = {
	.name = "phase", .path = "timeline[]",
	.doc = "One phase of the timeline.",
	.keys = phase_keys, .n_keys = NKEYS(phase_keys), .has_pos = true,
};

static const struct scen_key phase_host_keys[] = {
	{ .name = "host", .type = SCEN_K_NAME, .flags = SCEN_F_REQUIRED,
	  FLD(struct scen_phase_host, host),
	  .doc = "The MX host changed.", .example = "mx1.example.net" },
	{ .name = "chain", .type = SCEN_K_LIST,
	  LST(struct scen_phase_host, chain, n_chain, char *),
	  .item = &item_chain, .min = 1, .max = SCEN_MAX_LIST,
	  .flags = SCEN_F_DEFDOC, .def = "unchanged",
	  .doc = "Replaces the chain.", .example = "[mx-next, int-r3]" },
	{ .name = "tlsa", .type = SCEN_K_LIST,
	  LST(struct scen_phase_host, tlsa, n_tlsa, struct scen_tlsa),
	  .item = &item_tlsa, .min = 0, .max = SCEN_MAX_TLSA,
	  .flags = SCEN_F_DEFDOC, .def = "unchanged",
	  .doc = "Replaces the TLSA RRset (same items as `mx[].tlsa`).",
	  .example =
	    "[{ usage: 3, selector: 1, matching: 1, cert: mx-next }]" },
	{ .name = "tlsa-ttl", .type = SCEN_K_UINT,
	  FLD(struct scen_phase_host, tlsa_ttl), .min = 1,
	  .max = SCEN_MAX_TTL, .flags = SCEN_F_DEFDOC, .def = "unchanged",
	  .doc = "Replaces the TLSA TTL.", .example = "60" },
};

const struct scen_schema scen_schema_phase_host = {
	.name = "phase host", .path = "timeline[].hosts[]",
	.doc = "Changes to one MX host in a phase.",
	.keys = phase_host_keys, .n_keys = NKEYS(phase_host_keys),
	.post = scen_post_phase_host, .has_pos = true,
};

#define POLICY_FLD(i) \
	.off = offsetof(struct scen_expect, policy) + \
	    (i) * sizeof(struct scen_expect_policy), \
	.size = sizeof(struct scen_expect_policy)

static const struct scen_key phase_expect_keys[] = {
	{ .name = "dane", .type = SCEN_K_CUSTOM, POLICY_FLD(SCEN_POLICY_DANE),
	  .fn = scen_dec_policy, .type_doc = "action, list or host map",
	  .flags = SCEN_F_DEFDOC, .def = "inherited",
	  .doc = "Expected action under opportunistic DANE (same syntax as "
	    "`expect.dane`).",
	  .example = "{ mx1.example.net: next-mx }" },
	{ .name = "dane-only", .type = SCEN_K_CUSTOM,
	  POLICY_FLD(SCEN_POLICY_DANE_ONLY), .fn = scen_dec_policy,
	  .type_doc = "action, list or host map", .flags = SCEN_F_DEFDOC,
	  .def = "inherited",
	  .doc = "Expected action under mandatory DANE (same syntax).",
	  .example = "defer" },
};

const struct scen_schema scen_schema_phase_expect = {
	.name = "phase expect", .path = "timeline[].expect",
	.doc = "Expectations that change in a phase; a policy not set "
	  "here is inherited from the previous phase, then the top level.",
	.keys = phase_expect_keys, .n_keys = NKEYS(phase_expect_keys),
};

/* ---- expectations ---------------------------------------------------- */

static const struct scen_key expect_keys[] = {
	{ .name = "mx", .type = SCEN_K_ENUM, .flags = SCEN_F_REQUIRED,
	  FLD(struct scen_expect, mx), .en = &scen_enum_dnssec,
	  .doc = "DNSSEC state of the MX RRset.", .example = "secure" },
	{ .name = "address", .type = SCEN_K_CUSTOM, .flags = SCEN_F_REQUIRED,
	  .off = 0, .size = sizeof(struct scen_expect), .fn = scen_dec_states,
	  .type_doc = "map: MX host -> DNSSEC state or list",
	  .doc = "DNSSEC state of each MX host's address RRset; every MX "
	    "host must be listed. Where validators legitimately differ, "
	    "a list of every state they may find, the lab resolver's "
	    "first (`[secure, bogus]`).",
	  .example = "{ mx1.example.net: secure }" },
	{ .name = "tlsa", .type = SCEN_K_CUSTOM, .flags = SCEN_F_REQUIRED,
	  .off = 0, .size = sizeof(struct scen_expect), .fn = scen_dec_states,
	  .type_doc = "map: MX host -> DNSSEC state or list",
	  .doc = "DNSSEC state of each MX host's TLSA RRset (NODATA and "
	    "NXDOMAIN count by their proof); every MX host must be listed; "
	    "a list as for `address`.",
	  .example = "{ mx1.example.net: insecure }" },
	{ .name = "dane", .type = SCEN_K_CUSTOM, .flags = SCEN_F_REQUIRED,
	  POLICY_FLD(SCEN_POLICY_DANE), .fn = scen_dec_policy,
	  .type_doc = "action, list or host map",
	  .doc = "Expected action under opportunistic DANE (RFC 7672 "
	    "default): auth, encrypt, opportunistic or defer for the whole "
	    "delivery, or a list of every acceptable one where the RFC says "
	    "MAY (`[opportunistic, auth]`, the first the primary); or a map "
	    "of every MX host to auth, encrypt, opportunistic or next-mx, or "
	    "a list of them (the delivery's action is then that of the "
	    "first host by preference whose primary action is not next-mx, "
	    "or defer).",
	  .example = "opportunistic" },
	{ .name = "dane-only", .type = SCEN_K_CUSTOM,
	  .flags = SCEN_F_REQUIRED, POLICY_FLD(SCEN_POLICY_DANE_ONLY),
	  .fn = scen_dec_policy, .type_doc = "action, list or host map",
	  .doc = "Expected action under mandatory DANE; same syntax.",
	  .example = "defer" },
};

const struct scen_schema scen_schema_expect = {
	.name = "expect", .path = "expect",
	.doc = "What a correct client observes and does.",
	.keys = expect_keys, .n_keys = NKEYS(expect_keys),
	.post = scen_post_expect,
};

const struct scen_schema *const scen_schemas[] = {
	&scen_schema_top,
	&scen_schema_zone,
	&scen_schema_dnskey,
	&scen_schema_record,
	&scen_schema_host,
	&scen_schema_tlsa,
	&scen_schema_fault,
	&scen_schema_phase,
	&scen_schema_phase_host,
	&scen_schema_phase_expect,
	&scen_schema_expect,
	NULL,
};
