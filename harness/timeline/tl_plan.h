/*
 * tl_plan.h -- a timeline as planned, in plain data: the phases, and per
 * MX host the certificate in service and each TLSA record as segments of
 * time, with the windows in which a resolver may still hold an earlier
 * TLSA RRset.
 *
 * One computation for every picture of a timeline: `danelab explain`
 * draws it in text, the HTML report as SVG.  The report carries it
 * (struct run_scenario.timeline, REPORT.md "timeline"), so this header
 * needs nothing but the C library: a plan read back from JSON is the
 * same data as one computed from a scenario.
 *
 * Times are seconds from the start of the run, as the scenario's phase
 * offsets (already stretched by --time-scale when the scenario was).
 * The first phase is in force from 0.
 */
#ifndef DL_TIMELINE_TL_PLAN_H
#define DL_TIMELINE_TL_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct scenario;

#define TL_PLAN_DATA_MAX 32	/* association data kept, bytes (hex: 64) */
#define TL_PLAN_MAX_RECORDS 32	/* distinct TLSA records per host */
#define TL_PLAN_MAX_TLSA (TL_PLAN_MAX_RECORDS * 32)	/* segments per host:
						 * records x phases */

struct tl_plan_phase {
	char *name;		/* owned */
	uint32_t at;		/* offset */
};

/*
 * A certificate chain in service from `from` until `to`: told apart by
 * the whole chain, since a DANE-TA world changes the chain, not the
 * leaf.
 */
#define TL_PLAN_CHAIN_MAX 160	/* bytes of a chain's name */
struct tl_plan_cert {
	char *chain;		/* "leaf+int+root" fixture ids, leaf first,
				 * cut to TL_PLAN_CHAIN_MAX; owned */
	uint32_t from, to;	/* to == plan end: until the end */
};

/*
 * One stretch of time a TLSA record is published.  A record published,
 * removed and published again has two segments; a host's segments come
 * grouped by record (tl_plan_same_record), in the order the records
 * first appear.
 */
struct tl_plan_tlsa {
	uint8_t usage, selector, mtype;
	char *cert;		/* fixture id the data is computed from (the
				 * certificate it matches), or NULL: literal
				 * data; owned */
	/*
	 * Hex of the association data, cut to TL_PLAN_DATA_MAX bytes; ""
	 * when unknown (no fixtures given, or the fixture did not load).
	 * Owned.
	 */
	char *data;
	bool unusable;		/* the author marked it deliberately bad */
	uint32_t from, to;	/* published in [from, to) */
	bool removed;		/* false: still published at the end (to is
				 * the plan's end) */
	/*
	 * A resolver that fetched the RRset before `from` may serve it
	 * without this record until from + ttl_before (0: published from
	 * the start, no such window); one that fetched it before `to` may
	 * serve it with this record until to + ttl_after.
	 */
	uint32_t ttl_before, ttl_after;
};

struct tl_plan_host {
	char *host;		/* "mx1.example.net", no final dot, owned */
	struct tl_plan_cert *certs;
	size_t n_certs;
	struct tl_plan_tlsa *tlsa;
	size_t n_tlsa;
};

struct tl_plan {
	struct tl_plan_phase *phases;
	size_t n_phases;
	struct tl_plan_host *hosts;
	size_t n_hosts;
	uint32_t max_ttl;	/* the longest TLSA TTL of any phase */
	uint32_t end;		/* last phase's offset + max_ttl */
};

/*
 * The plan of scenario s (which has a timeline).  fixtures_dir: where
 * the certificates are, to compute each record's data; NULL leaves the
 * data of fixture-computed records "".  Returns a new plan (tl_plan_free)
 * or NULL for a scenario without timeline.
 */
struct tl_plan *tl_plan_build(const struct scenario *s,
    const char *fixtures_dir);

/* Free p and everything in it; NULL is accepted. */
void tl_plan_free(struct tl_plan *p);

/* A deep copy of p (NULL for NULL). */
struct tl_plan *tl_plan_copy(const struct tl_plan *p);

/*
 * Whether fixture id cert is one of the certificates of chain ("a+b+c").
 */
bool tl_plan_chain_has(const char *chain, const char *cert);

/* Whether two segments are of the same record (usage, selector, type,
 * certificate or data). */
bool tl_plan_same_record(const struct tl_plan_tlsa *a,
    const struct tl_plan_tlsa *b);

/*
 * The record rows of host h: the segments [*first, *first + *n) are one
 * record's.  Start with *first = *n = 0; returns false after the last.
 */
bool tl_plan_next_record(const struct tl_plan_host *h, size_t *first,
    size_t *n);

/*
 * What the record of segments seg[0..n) is at second t:
 *   TL_AT_OFF      not published, and no resolver holds it
 *   TL_AT_ON       published
 *   TL_AT_NEW      published, but a resolver may still hold the RRset
 *                  without it (within ttl_before of its publication)
 *   TL_AT_STALE    removed, but a resolver may still hold it (within
 *                  ttl_after of its removal)
 */
enum tl_at {
	TL_AT_OFF,
	TL_AT_ON,
	TL_AT_NEW,
	TL_AT_STALE,
};
enum tl_at tl_plan_tlsa_at(const struct tl_plan *p,
    const struct tl_plan_tlsa *seg, size_t n, double t);

/* The chain in service at host h at second t, or NULL (no chain). */
const char *tl_plan_cert_at(const struct tl_plan *p,
    const struct tl_plan_host *h, double t);

#endif /* DL_TIMELINE_TL_PLAN_H */
