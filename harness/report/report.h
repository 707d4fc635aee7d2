/*
 * report.h -- the results of a run, and the reports made from them.
 *
 * A run (harness/run/) produces one struct run_report: some metadata,
 * the scenarios it touched (with their teaching text, so that a report
 * is self-contained), and one struct run_result per probed moment of a
 * (scenario, client, policy) cell: one for a scenario without timeline,
 * one per phase for a scenario with one.
 *
 * The JSON form (report_write with REPORT_JSON, documented in
 * harness/report/REPORT.md) is the source of truth: every other format
 * is rendered from the same struct, and a JSON report read back
 * (report_read_json) renders exactly the same.  Shards of one run merge
 * into one report (report_merge).
 *
 * Modules: report_model.c (names, counts, free, merge), report_json.c
 * (write and read JSON; reading uses jansson), report_text.c (terminal
 * table), report_junit.c, report_tap.c, report_html.c (one
 * self-contained file: a scenarios x clients matrix), report_diff.c
 * (two reports compared, for CI), report_file.c (where outputs go).
 */
#ifndef DL_HARNESS_REPORT_H
#define DL_HARNESS_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "harness/timeline/tl_plan.h"
#include "simulator/scenario/scenario.h"
#include "simulator/util/diag.h"

#define REPORT_SCHEMA_VERSION 2
#define REPORT_MAX_OUTPUT (64 * 1024)	/* client output kept per result */
#define REPORT_MAX_FILE (256 * 1024 * 1024)	/* JSON report read, bytes */
#define REPORT_MAX_RESULTS 100000
#define REPORT_MAX_HOSTS 16
#define REPORT_MAX_TLSA_RR 8	/* TLSA records kept of one answer */
#define REPORT_MAX_TLSA_TEXT 80	/* one record: "3 1 1 " + 64 hex digits */
#define REPORT_MAX_OUTPUT_LINES 16	/* lines of output marked to show */

/* Verdicts, in the order reports list them. */
enum run_verdict {
	RUN_PASS,
	RUN_FAIL,	/* observed behaviour breaks the RFC rule */
	RUN_SKIP,	/* the client cannot do this (reason says why) */
	RUN_HANG,	/* the client did not finish in its timeout */
	RUN_ERROR,	/* the harness or the environment broke */
	RUN_XFAIL,	/* FAIL, and a known, documented deviation */
	RUN_XPASS,	/* known deviation listed, but the client passed */
	RUN_VERDICT_COUNT
};

/*
 * What one MX host saw of the client, from danelab's own SMTP events
 * (EVENTS.md smtp.close "outcome"), most significant session first
 * when there were several.  Ordered: a larger value is "more delivery".
 */
enum run_outcome {
	RUN_OUT_NOT_CONTACTED,
	RUN_OUT_QUIT_PLAIN,
	RUN_OUT_TLS_ABORTED,
	RUN_OUT_QUIT_AFTER_TLS,
	RUN_OUT_DELIVERED_PLAIN,
	RUN_OUT_DELIVERED_TLS,
	RUN_OUTCOME_COUNT
};

/*
 * What the client says it did with one host, read from its output
 * through its profile's patterns (harness/clients/).  NONE: it said
 * nothing about the host.
 */
enum run_claim {
	RUN_CLAIM_NONE,
	RUN_CLAIM_AUTH,		/* authenticated TLS (Verified, Trusted) */
	RUN_CLAIM_ENCRYPT,	/* TLS, not authenticated (Untrusted) */
	RUN_CLAIM_PLAIN,	/* cleartext */
	RUN_CLAIM_REFUSE,	/* will not deliver through this host */
	RUN_CLAIM_COUNT
};

/*
 * What the lab resolver told the client about a host's TLSA RRset
 * (EVENTS.md resolver.query): the DNSSEC state of its last answer
 * during the client run (the last asked without CD, when there is
 * one).  NOT_ASKED: no TLSA query for the host.
 */
enum run_tlsa_state {
	RUN_TLSA_NOT_ASKED,
	RUN_TLSA_SECURE,	/* validated; records may be none (NODATA) */
	RUN_TLSA_INSECURE,	/* answered, not validated */
	RUN_TLSA_BOGUS,		/* validation failed: SERVFAIL */
	RUN_TLSA_FAILED,	/* SERVFAIL for another reason */
	RUN_TLSA_UNCHECKED,	/* asked with CD: not validated by the
				 * resolver (a client validating itself) */
	RUN_TLSA_STATE_COUNT
};

struct run_host {
	char *host;		/* "mx1.example.net", no final dot */
	enum scen_action expected;	/* SCEN_ACT_UNSET: no per-host word */
	unsigned accept;	/* SCEN_ACT_BIT set the host may see: the
				 * host's own, else derived from the overall
				 * set (next-mx alone: nothing at all) */
	/*
	 * A summary of the counts below, for tables: delivered-plain if any
	 * message came in cleartext, else delivered-tls if any came over
	 * TLS, else quit-after-tls, tls-aborted, quit-plain, not-contacted.
	 * Derived by the scorer (harness/run), never by the servers.
	 */
	enum run_outcome outcome;
	unsigned sessions;	/* SMTP sessions seen */
	unsigned msgs_plain;	/* messages accepted in cleartext */
	unsigned msgs_tls;	/* messages accepted inside TLS */
	unsigned tls_ok;	/* TLS handshakes completed */
	unsigned tls_failed;	/* TLS handshakes started, not completed */
	unsigned starttls_skipped;	/* sessions that ended without the
					 * client sending STARTTLS */
	enum run_claim claim;
	char *claim_text;	/* the client's own word ("Verified"), or NULL */
	char *sni;		/* SNI of the last TLS handshake, or NULL */
	char *tls_error;	/* last failed handshake: client alert or
				 * error, or NULL */
	/*
	 * The host's TLSA RRset as the lab resolver last answered it to
	 * the client during the run: its state and records (sorted), in
	 * presentation form ("3 1 1 ab12..."; data cut to 32 bytes as
	 * EVENTS.md says), at most REPORT_MAX_TLSA_RR.
	 */
	enum run_tlsa_state tlsa_state;
	char **tlsa;
	size_t n_tlsa;
};

struct run_result {
	char *scenario;		/* id */
	char *client;		/* profile name */
	enum scen_policy policy;
	char *phase;		/* NULL: scenario without timeline */
	int phase_index;	/* -1 without timeline */
	unsigned at;		/* seconds into the run the client started
				 * (the phase's offset) */
	enum run_verdict verdict;
	enum scen_action expected;	/* overall expectation (primary) */
	unsigned accept;	/* SCEN_ACT_BIT set of acceptable overall
				 * actions, expected included */
	/*
	 * The client's overall word (RUN_CLAIM_* mapped to actions:
	 * SCEN_ACT_UNSET if none; defer is SCEN_ACT_DEFER).
	 */
	enum scen_action claimed;
	struct run_host *hosts;	/* every MX host of the scenario, by
				 * preference */
	size_t n_hosts;
	int exit_status;	/* client's exit status, 128+N for signal
				 * N, -1 if it did not run */
	bool timed_out;
	uint64_t ms;		/* wall time of the client run */
	uint64_t cell_ms;	/* wall time of the whole cell (every phase),
				 * bring-up to teardown, as its worker saw it */
	char *reason;		/* one line: why this verdict */
	/*
	 * The structured reason of a non-PASS verdict (and of a PASS
	 * worth a remark, "authentication not observed"): the rule's id
	 * (run_rule_*), its RFC section, the host it concerns, what was
	 * observed there.  NULL when not applicable.
	 */
	char *rule;
	char *rule_ref;
	char *rule_host;
	char *observed;
	char *deviation;	/* XFAIL/XPASS: the known-deviation reason */
	char *output;		/* client's stdout+stderr, at most
				 * REPORT_MAX_OUTPUT bytes, or NULL */
	bool output_truncated;
	/*
	 * The lines of output that explain the run (numbers from 1,
	 * ascending; profile_output_lines), which a text report shows
	 * when the output is long; NULL / 0: none marked.
	 */
	unsigned *output_lines;
	size_t n_output_lines;
	char *kept_dir;		/* --keep: the cell's directory, or NULL */
};

/* A scenario's identity and teaching text, once per report. */
struct run_scenario {
	char *id;
	char *title;
	char *category;		/* scen_category_name, "none" */
	char *explanation;
	char *rule;		/* or NULL */
	char **refs;
	size_t n_refs;
	/*
	 * A timeline scenario's plan (phases, certificates and TLSA records
	 * per host, as scheduled), so that a report draws its timeline
	 * without the catalogue; NULL without timeline.  Owned.
	 */
	struct tl_plan *timeline;
};

struct run_report {
	unsigned schema;	/* REPORT_SCHEMA_VERSION */
	char *version;		/* danelab's */
	int64_t started;	/* Unix time */
	uint64_t duration_ms;
	char *isolation;	/* "namespaces" or "loopback" */
	unsigned jobs;
	unsigned shard_k, shard_n;	/* 1/1 without --shard; 0/0 after
					 * merging shards */
	/*
	 * The environment check: the control scenarios with the reference
	 * client.  env_ok false: env_message says what failed, and every
	 * cell not run is ERROR.
	 */
	bool env_ok;
	char *env_message;	/* or NULL */
	bool interrupted;	/* Ctrl-C: not every cell ran */
	/*
	 * --time-scale: the factor every timeline was stretched by (offsets
	 * and TTLs, scenario_time_scale); 1 without.  Results at different
	 * factors do not merge.  0 is taken as 1 (a report built by hand).
	 */
	double time_scale;
	struct run_scenario *scenarios;
	size_t n_scenarios;
	struct run_result *results;
	size_t n_results;
};

/* Names, as in JSON and reports ("PASS", "delivered-tls", "auth"). */
const char *run_verdict_name(enum run_verdict v);
const char *run_outcome_name(enum run_outcome o);
const char *run_claim_name(enum run_claim c);
const char *run_tlsa_state_name(enum run_tlsa_state st);
/* The reverse: -1 if unknown. */
int run_verdict_parse(const char *s);
int run_tlsa_state_parse(const char *s);
int run_outcome_parse(const char *s);
int run_claim_parse(const char *s);

/*
 * An accepted set as written by scen_accept_format ("auth|opportunistic",
 * "-" for none) back into a set.  Returns 0, or -1 for a bad word.
 */
int report_accept_parse(const char *s, unsigned *accept);

/* Counts per verdict. */
void report_count(const struct run_report *r, size_t counts[RUN_VERDICT_COUNT]);
/* The same for one client's results (a multi-client run's summaries). */
void report_count_client(const struct run_report *r, const char *client,
    size_t counts[RUN_VERDICT_COUNT]);

/*
 * The distinct clients of r's results, in name order, into v (room for
 * max; borrowed from r).  Returns how many it found: more than max
 * when some did not fit (a lower bound then).
 */
size_t report_clients(const struct run_report *r, const char **v,
    size_t max);

/*
 * The exit code for r (BRIEF): 0 every result as expected (PASS, XFAIL,
 * with SKIP), 1 any FAIL, XPASS, HANG or ERROR, or an interrupted run,
 * 77 every result SKIP (or no results).
 */
int report_exit_code(const struct run_report *r);

/*
 * The summary line, disjoint counts of every verdict: "N passed, N
 * failed, N error, N hang, N skipped, N xfail, N xpass", into buf.
 * Returns buf.
 */
char *report_summary(const struct run_report *r, char *buf, size_t len);
/* The same line from counts (report_count_client). */
char *report_summary_counts(const size_t counts[RUN_VERDICT_COUNT],
    char *buf, size_t len);

/* r's time scale, 1 when unset (0). */
double report_time_scale(const struct run_report *r);

/* Find a scenario of r by id, or NULL. */
const struct run_scenario *report_scenario(const struct run_report *r,
    const char *id);

/* Free everything r holds (not r itself) and zero it. */
void report_clear(struct run_report *r);
void run_result_clear(struct run_result *res);

/*
 * Merge src into dst (both from the same danelab schema and time scale;
 * anything else is an error, since the timelines differ): results are
 * appended (a result whose scenario, client, policy and phase dst has
 * already is an error), scenarios added once, env_ok and-ed, durations
 * taken as the longest, started the earliest; shard becomes 0/0.
 * Results are then sorted as report_sort does.  Returns 0 or DL_EINVAL
 * with a diagnostic naming file (src's path, for the message).
 */
int report_merge(struct run_report *dst, struct run_report *src,
    const char *file, struct dl_diags *diags);

/*
 * Sort results: control scenarios first, then by scenario id, client,
 * policy (dane first) and phase index.
 */
void report_sort(struct run_report *r);

enum report_format {
	REPORT_TEXT,
	REPORT_JSON,
	REPORT_JUNIT,
	REPORT_TAP,
	REPORT_HTML,
	REPORT_FORMAT_COUNT
};

/* "text", "json" ...; parse returns -1 if unknown. */
const char *report_format_name(enum report_format f);
int report_format_parse(const char *s);

struct report_opts {
	bool color;	/* ANSI colour (text) */
	bool verbose;	/* text: every result, not only the unexpected;
			 * and the evidence of each */
	unsigned width;	/* text: columns to wrap at; 0: TW_DEFAULT_COLUMNS
			 * (report_write_path asks the terminal for
			 * standard output, tw_columns) */
};

/*
 * Write r in format f to fp.  Returns 0, or DL_EIO if writing failed.
 *   text   a compact table (verdict, scenario, client, policy, phase,
 *          expected, observed per host), the evidence of every
 *          non-PASS result, then the summary line
 *   json   the whole report (REPORT.md)
 *   junit  one <testsuite> per client, a <testcase> per result
 *          (classname = scenario id, name = policy[@phase])
 *   tap    TAP version 13; XFAIL as "not ok ... # TODO reason", SKIP as
 *          "ok ... # SKIP reason"
 *   html   one self-contained file (no external resources): the
 *          scenarios x (client, policy) matrix, each cell a <details>
 *          with the evidence, the scenario's explanation and rule
 */
int report_write(const struct run_report *r, enum report_format f,
    const struct report_opts *o, FILE *fp);

/* --------------------------------------------------- report_file.c */

/*
 * Append the formats of a comma-separated list ("text,html") to
 * formats (*n of max used).  Returns 0, or DL_EINVAL with the offending
 * word (unknown, or one too many) in bad.
 */
int report_formats_parse(const char *arg, enum report_format *formats,
    size_t *n, size_t max, char *bad, size_t badlen);

/*
 * Which --output goes with which format: as many outputs as formats,
 * one each; one fewer, the first format goes to standard output (NULL
 * in paths) and the others get the outputs in order; "-" is standard
 * output too.  Returns 0, or DL_EINVAL for any other count.
 */
int report_outputs_map(size_t n_formats, char *const *outputs,
    size_t n_outputs, const char **paths);

/*
 * Write r in format f to path: atomically (a temporary file beside it,
 * then rename; removed on failure, so nothing half-written is left),
 * or in place when path exists and is not a regular file (a device, a
 * FIFO), or to standard output for NULL.  Never colour in a file; text
 * on standard output is wrapped at the terminal's width when o->width
 * is 0 (tw_columns), in a file at o->width or 80.
 * Returns 0 or DL_EIO with a diagnostic.
 */
int report_write_path(const struct run_report *r, enum report_format f,
    const struct report_opts *o, const char *path, struct dl_diags *diags);

/*
 * The writer under report_write_path, for anything written to a file
 * the same way (report diffs): fn(arg, fp) writes and returns 0 or
 * DL_EIO; what names it in a diagnostic ("diff").
 */
typedef int (*report_write_fn)(const void *arg, FILE *fp);
int report_write_file(report_write_fn fn, const void *arg, const char *what,
    const char *path, struct dl_diags *diags);

/*
 * Read a JSON report written by report_write.  Returns 0 and fills *out
 * (report_clear), DL_ENOENT if there is no such file, DL_EIO if it
 * cannot be read, DL_EINVAL (also: larger than REPORT_MAX_FILE) with a
 * diagnostic (file:line:col where jansson gives it) if it is not a
 * danelab report of a schema this build knows.  Bounded by
 * REPORT_MAX_FILE and REPORT_MAX_RESULTS.
 */
int report_read_json(const char *path, struct run_report *out,
    struct dl_diags *diags);

/*
 * The same from text (len bytes; name is the file name in diagnostics):
 * the fuzz target's way in.  Returns 0 and *out, or DL_EINVAL.
 */
int report_read_json_buffer(const char *name, const char *text, size_t len,
    struct run_report *out, struct dl_diags *diags);

/* --------------------------------------------------- report_diff.c */

/*
 * Two reports compared cell by cell, a cell being (scenario, client,
 * policy, phase).  "Failing" is FAIL, ERROR, HANG or XPASS: what makes
 * a run exit 1.  Every cell that is not the same in both lands in one
 * category:
 *   new-failure  not failing before (PASS, XFAIL, SKIP, or absent) and
 *                failing now
 *   fixed        failing before, PASS or XFAIL now
 *   changed      in both, some other change of verdict or of the rule
 *                behind it (FAIL rule a -> FAIL rule b, ERROR -> FAIL,
 *                HANG -> SKIP, PASS -> SKIP)
 *   added        absent before, not failing now
 *   removed      absent now (whatever it was: not worse, only listed)
 *   unchanged    the same verdict (and rule) in both
 * "Worse" is exactly: any new-failure.  A failing cell that changed its
 * way of failing is listed, not worse.
 */
enum report_diff_kind {
	REPORT_DIFF_NEW_FAILURE,
	REPORT_DIFF_FIXED,
	REPORT_DIFF_CHANGED,
	REPORT_DIFF_ADDED,
	REPORT_DIFF_REMOVED,
	REPORT_DIFF_UNCHANGED,	/* in both, the same: counted, not listed */
	REPORT_DIFF_KIND_COUNT
};

struct report_diff_entry {
	enum report_diff_kind kind;
	const struct run_result *old;	/* NULL: added (or new, absent) */
	const struct run_result *new;	/* NULL: removed */
};

struct report_diff {
	const struct run_report *old, *new;	/* borrowed */
	struct report_diff_entry *entries;	/* by kind, then cell order */
	size_t n_entries;
	size_t counts[REPORT_DIFF_KIND_COUNT];
	bool scale_differs;	/* different --time-scale: noted only */
};

/* "new-failure", "fixed" ... as in JSON. */
const char *report_diff_kind_name(enum report_diff_kind k);
/* FAIL, ERROR, HANG or XPASS. */
bool report_verdict_failing(enum run_verdict v);

/*
 * Compare old with new into *d (borrowing both: keep them until
 * report_diff_clear).  A cell found twice in one report counts once
 * (its first result).
 */
void report_diff_compute(const struct run_report *old,
    const struct run_report *new, struct report_diff *d);
void report_diff_clear(struct report_diff *d);
/* Any new failure. */
bool report_diff_worse(const struct report_diff *d);

/*
 * Write d in format f (text, json, junit or html; tap is DL_EINVAL);
 * old_name and new_name (the files) head it.  Returns 0, DL_EIO.
 */
int report_diff_write(const struct report_diff *d, enum report_format f,
    const char *old_name, const char *new_name, FILE *fp);
/*
 * A run's exit code (report_exit_code: 0, 1 or 77) combined with a
 * comparison against a baseline: 1 when worse, else the run's own.
 */
int report_diff_exit(int run_rc, bool worse);

/*
 * `run --baseline`: compare rep with base (read from base_name), write
 * the text diff to fp, and return report_diff_exit(run_rc, worse).
 */
int report_diff_baseline(const struct run_report *base,
    const char *base_name, const struct run_report *rep, int run_rc,
    FILE *fp);

/* The same to path as report_write_path does (NULL: stdout). */
int report_diff_write_path(const struct report_diff *d, enum report_format f,
    const char *old_name, const char *new_name, const char *path,
    struct dl_diags *diags);

#endif /* DL_HARNESS_REPORT_H */
