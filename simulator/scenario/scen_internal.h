/*
 * scen_internal.h -- shared between the files of simulator/scenario only.
 *
 * The loader works in three stages:
 *   ytree.c       (simulator/util, shared with the client profiles) YAML
 *                 text -> a small tree of nodes with positions, every
 *                 input bound enforced, aliases refused, duplicate keys
 *                 reported;
 *   scen_load.c   node tree -> struct scenario, driven by one schema table
 *                 per mapping (scen_schema.c holds the tables);
 *   scen_check.c  semantic checks across the model, implicit zones.
 * Helpers: scen_dname.c (domain names), scen_names.c (enum name tables),
 * scen_doc.c (the reference generated from the tables).  scenario.c
 * ties them together.  Nothing here is part of the public API.
 */
#ifndef DL_SCENARIO_SCEN_INTERNAL_H
#define DL_SCENARIO_SCEN_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "simulator/scenario/scenario.h"
#include "simulator/util/diag.h"
#include "simulator/util/ytree.h"

/* ---- YAML node tree (simulator/util/ytree.c) ---------------------- */

/* A node's position as the model records it. */
static inline struct scen_pos
scen_npos(const struct ytree_node *n)
{
	return (struct scen_pos){ n->pos.line, n->pos.col };
}

/* ---- load context ---------------------------------------------------- */

/*
 * Where each decoded value came from, keyed by the address of the model
 * field it was stored in.  Lets the checker point at the offending value
 * ("zone: exmaple.net" in a fault) rather than at its enclosing element,
 * without a position field for every member of the public model.
 */
struct scen_posent {
	const void *addr;
	struct scen_pos pos;
};

struct scen_ctx {
	const char *file;
	const char *fixtures_dir;	/* NULL: no existence checks */
	struct dl_diags *diags;
	size_t errors;			/* errors of this load */
	struct scen_posent *pos;
	size_t n_pos;
	size_t cap_pos;
	bool pos_sorted;
	/*
	 * Set when an element could not be decoded far enough to be
	 * referred to by name: reference checks against that set are
	 * skipped, so that one error does not cascade into several.
	 */
	bool hosts_incomplete;		/* mx hosts */
	bool zones_incomplete;		/* declared zones */
	bool states_incomplete;		/* expect address / tlsa maps */
	bool policy_incomplete;		/* per-host action maps */
	bool domain_bad;
};

int scen_err(struct scen_ctx *ctx, struct scen_pos pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int scen_warn(struct scen_ctx *ctx, struct scen_pos pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* scen_err at the position of node n. */
#define scen_nerr(ctx, n, ...) scen_err((ctx), scen_npos(n), __VA_ARGS__)

void scen_pos_add(struct scen_ctx *ctx, const void *addr, struct scen_pos pos);
/* Position recorded for addr, or fallback. */
struct scen_pos scen_pos_of(struct scen_ctx *ctx, const void *addr,
    struct scen_pos fallback);

/* ---- domain names (scen_dname.c) ------------------------------------- */

#define SCEN_DN_ROOT_OK		0x01	/* "." is acceptable */
#define SCEN_DN_UNDERSCORE	0x02	/* labels may contain '_' */
#define SCEN_DN_WILDCARD	0x04	/* leftmost label may be "*" */

/* Longest name in presentation form, without the trailing dot. */
#define SCEN_DNAME_MAX 253

/*
 * Normalise name s (len bytes): lower case, trailing dot added.  On
 * success *out is a new string owned by the caller.  On failure returns
 * DL_EINVAL and why holds the reason; *out untouched.
 */
int scen_dname_norm(const char *s, size_t len, unsigned flags, char **out,
    char *why, size_t whylen);
/* The parent of name ("net." for "example.net."), NULL for the root. */
const char *scen_dname_parent(const char *name);
/* Number of labels, 0 for the root. */
size_t scen_dname_labels(const char *name);
/*
 * If the top-level label of name is one libunbound answers locally,
 * return that label (static string), else NULL.
 */
const char *scen_dname_special_tld(const char *name, const char **why);

/* ---- enum name tables (scen_names.c) --------------------------------- */

struct scen_enum_name {
	const char *name;
	int value;
};

struct scen_enum {
	const char *what;		/* "action", for messages */
	const struct scen_enum_name *v;
	size_t n;
	bool nocase;			/* mnemonics compared ignoring case */
};

extern const struct scen_enum scen_enum_category;
extern const struct scen_enum scen_enum_denial;
extern const struct scen_enum scen_enum_starttls;
extern const struct scen_enum scen_enum_tls_version;
extern const struct scen_enum scen_enum_starttls_fault;
extern const struct scen_enum scen_enum_ds_fault;
extern const struct scen_enum scen_enum_sig_fault;
extern const struct scen_enum scen_enum_dns_fault;
extern const struct scen_enum scen_enum_dnssec;
extern const struct scen_enum scen_enum_action_overall;
extern const struct scen_enum scen_enum_action_host;
extern const struct scen_enum scen_enum_tlsa_usage;
extern const struct scen_enum scen_enum_tlsa_selector;
extern const struct scen_enum scen_enum_tlsa_mtype;

/* Find name in e; true and *value set if found. */
bool scen_enum_lookup(const struct scen_enum *e, const char *name,
    int *value);
/* "a, b, c" into buf. */
const char *scen_enum_list(const struct scen_enum *e, const char *sep,
    char *buf, size_t len);

/* ---- schema tables and decoding (scen_schema.c, scen_load.c) ---------- */

enum scen_ktype {
	SCEN_K_UINT,		/* unsigned, field of size 1, 2 or 4 */
	SCEN_K_BOOL,
	SCEN_K_STR,		/* one line, at most SCEN_MAX_STRING */
	SCEN_K_TEXT,		/* paragraph, at most SCEN_MAX_TEXT */
	SCEN_K_NAME,		/* domain name, normalised */
	SCEN_K_ENUM,		/* one of en's names, field of enum size */
	SCEN_K_FIXTURE,		/* fixture certificate id */
	SCEN_K_LIST,		/* sequence of item, array + count */
	SCEN_K_MAP,		/* mapping decoded into an embedded struct */
	SCEN_K_CUSTOM,		/* fn does it all */
};

#define SCEN_F_REQUIRED	0x01
#define SCEN_F_DEFDOC	0x02	/* def is documentation, not applied */

struct scen_key;
typedef int scen_decode_fn(struct scen_ctx *ctx, const struct scen_key *k,
    const struct ytree_node *n, void *dst);

/* What scen_decode_map() saw, by row index: for post hooks. */
struct scen_seen {
	const struct ytree_node *key;
	const struct ytree_node *val;
	bool ok;		/* decoded without error */
};

struct scen_schema;
typedef void scen_post_fn(struct scen_ctx *ctx, const struct ytree_node *map,
    void *obj, const struct scen_seen *seen);

/* One row: one key of a mapping (Knot style). */
struct scen_key {
	const char *name;
	enum scen_ktype type;
	unsigned flags;
	size_t off;		/* of the field in the mapping's struct */
	size_t size;		/* of the field */
	int64_t min, max;	/* UINT: value range; LIST: item count */
	unsigned dn_flags;	/* NAME: SCEN_DN_* */
	const char *def;	/* default, as it would be written */
	const struct scen_enum *en;	/* ENUM; UINT: accepted mnemonics */
	const struct scen_schema *sub;	/* MAP; LIST of mappings */
	const struct scen_key *item;	/* LIST: how one item decodes */
	size_t n_off;		/* LIST: offset of the size_t count */
	size_t item_size;	/* LIST: size of one array element */
	scen_decode_fn *fn;	/* CUSTOM */
	const char *type_doc;	/* for the reference, if not derived */
	const char *doc;
	const char *example;
};

struct scen_schema {
	const char *name;	/* "mx host", in messages */
	const char *path;	/* "mx[]", in the reference */
	const char *doc;
	const struct scen_key *keys;
	size_t n_keys;
	scen_post_fn *post;	/* cross-key checks, may be NULL */
	bool has_pos;		/* obj starts with a struct scen_pos */
};

/* Maximum number of rows in one schema (for struct scen_seen arrays). */
#define SCEN_SCHEMA_MAX_KEYS 24

extern const struct scen_schema scen_schema_top;
/* Every schema, in reference order, NULL-terminated. */
extern const struct scen_schema *const scen_schemas[];

/* Decode one value according to row k into dst. */
int scen_decode_value(struct scen_ctx *ctx, const struct scen_key *k,
    const struct ytree_node *n, void *dst);
/* Decode mapping n into obj (defaults applied first). */
int scen_decode_map(struct scen_ctx *ctx, const struct scen_schema *sc,
    const struct ytree_node *n, void *obj, const char *what);
/* Apply the defaults of sc to obj. */
void scen_apply_defaults(struct scen_ctx *ctx, const struct scen_schema *sc,
    void *obj);
/* Parse a plain decimal (no sign, no leading zero) up to max. */
int scen_parse_uint(const char *s, uint64_t max, uint64_t *out);

/* Decode the whole document into s. */
int scen_decode(struct scen_ctx *ctx, const struct ytree_node *root,
    struct scenario *s);

/* Custom decoders and post hooks used by the tables (scen_load.c). */
scen_decode_fn scen_dec_version, scen_dec_id, scen_dec_address,
    scen_dec_keys, scen_dec_dnskey_id, scen_dec_slug, scen_dec_rrtype,
    scen_dec_rrtype_name, scen_dec_owner, scen_dec_tlsa_record,
    scen_dec_policy, scen_dec_states, scen_dec_sni, scen_dec_duration;
/* The list row scen_dec_sni decodes each `sni:` chain with. */
extern const struct scen_key scen_key_sni_chain;
scen_post_fn scen_post_top, scen_post_zone, scen_post_record, scen_post_host,
    scen_post_tlsa,
    scen_post_fault, scen_post_phase_host, scen_post_expect;

/* ---- semantic checks (scen_check.c) ---------------------------------- */

/* Derive implicit zones and run every cross-element check. */
void scen_check(struct scen_ctx *ctx, struct scenario *s);
/* Sort hosts by preference and derive overall actions (after checks). */
void scen_finish(struct scenario *s);

/* Free helpers shared by scenario.c and the checker. */
void scen_zone_clear(struct scen_zone *z);
void scen_expect_clear(struct scen_expect *e);

#endif /* DL_SCENARIO_SCEN_INTERNAL_H */
