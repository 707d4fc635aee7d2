/*
 * facts.h -- what a DANE checker must find in a world, derived from the
 * scenario's declared facts, never written per scenario.
 *
 * For each MX host at each timeline phase: the DNSSEC state of the MX
 * RRset, of the host's addresses and of its TLSA RRset (as declared in
 * `expect:`), whether the RRset holds usable records (RFC 7672 3.1.3,
 * RFC 6698 4.1), whether one of them matches the chain the server
 * presents (after digest agility, RFC 7671 9: computed from the fixture
 * certificates with pki_tlsa_data, as the world builder does), whether
 * the server offers STARTTLS and presents a chain, and whether DANE
 * authentication succeeds (the host's declared `dane` action).  A
 * checker's diagnosis codes (`tlsa=bogus`, harness/clients/DIAGNOSIS.md)
 * are compared with these, key by key (run_score.c, rule `diagnosis`).
 *
 * A fact is a value of its key, FACT_UNKNOWN where it cannot be derived
 * (an undeclared state, a resolver cache whose expiry falls at the
 * phase's start, a certificate that does not load), or NULL where the
 * key does not apply (no usable records: nothing can match).  Neither
 * is scored.
 */
#ifndef DL_HARNESS_RUN_FACTS_H
#define DL_HARNESS_RUN_FACTS_H

#include <stdbool.h>
#include <stddef.h>

#include "harness/report/report.h"
#include "simulator/scenario/scenario.h"

enum fact_key {
	FACT_MX = 0,	/* the mail domain's MX RRset */
	FACT_ADDRESS,	/* the host's address records */
	FACT_TLSA,	/* the host's TLSA RRset */
	FACT_USABLE,	/* a usable record in a secure RRset */
	FACT_MATCH,	/* a usable record matches the chain presented */
	FACT_STARTTLS,	/* the server offers STARTTLS */
	FACT_CHAIN,	/* the server presents a certificate chain */
	FACT_AUTH,	/* DANE authentication of the host succeeds */
	FACT_COUNT
};

#define FACT_UNKNOWN "unknown"
#define FACT_MAX_WHY 160

/* What one MX host should be diagnosed with at one moment. */
struct host_facts {
	char host[256];			/* no final dot */
	const char *v[FACT_COUNT];	/* static strings; NULL: n/a */
	char why[FACT_COUNT][FACT_MAX_WHY];	/* words, or "" */
};

struct world_facts {
	size_t n;
	struct host_facts host[REPORT_MAX_HOSTS];
};

/*
 * Derive the facts of s at phase (-1: a scenario without timeline, or
 * the baseline) into out.  fixtures_dir: where fixture certificates are
 * (NULL: $DANELAB_FIXTURES, else the built-in ones).  Never fails: what cannot be derived
 * is FACT_UNKNOWN with its reason in why.
 */
void facts_derive(const struct scenario *s, int phase,
    const char *fixtures_dir, struct world_facts *out);

/* "mx", "tlsa" ...; parse returns -1 for an unknown key. */
const char *fact_key_name(enum fact_key k);
int fact_key_parse(const char *name, size_t len);

/*
 * The value a checker's code key=v is held to, as a static string, or
 * NULL if v is not a value a checker may diagnose for k (the loader's
 * check).  Coarse values (`failed`: bogus or indeterminate) are valid.
 */
const char *fact_value_parse(enum fact_key k, const char *v);

/* "secure, insecure, ..." for a diagnostic: the values of k. */
const char *fact_values(enum fact_key k);

/*
 * Whether the diagnosed value d agrees with the fact f: equal, or a
 * coarse value covering it (`failed` covers bogus and indeterminate: a
 * stub behind a validating resolver sees SERVFAIL for both).
 */
bool fact_accepts(enum fact_key k, const char *f, const char *d);

/*
 * The facts of one host as codes, "mx=secure address=secure tlsa=none
 * starttls=yes chain=yes" (keys that do not apply left out), cut to
 * fit len.  Returns buf.
 */
char *facts_format(const struct host_facts *f, char *buf, size_t len);

#endif /* DL_HARNESS_RUN_FACTS_H */
