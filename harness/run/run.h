/*
 * run.h -- `danelab run`: clients against worlds, scored against RFC 7672.
 *
 * A run is a list of cells, one per (scenario, client, policy).  Each
 * cell runs in a process of its own (a worker forked by the run), which
 * builds the scenario's world(s), starts them in fresh namespaces
 * (lab.h) and runs the client there through the client runner (the
 * hidden verb `danelab __client`), once for a scenario without timeline,
 * and at the start of every phase for one with a timeline.  When the lab
 * is gone, the worker reads the event log (EVENTS.md: what the SMTP
 * servers saw, and the runner's client.start / client.end), reads the
 * client's claims from its output (profile.h), scores each client run
 * (run_score) and writes its results as a JSON report (report.h) that
 * the run merges.
 *
 *   danelab run (coordinator, single-threaded: fork, signalfd, poll)
 *   +- worker per cell (fork)      world, lab files, lab_run, score
 *      +- supervisor (lab.h)       servers inside the namespaces
 *         +- danelab __client      runs the client at each moment
 *            +- the client         argv from its profile, own pgroup
 *
 * Modules: run_plan.c (cells, shards, order), run_exec.c (the
 * coordinator: workers, --jobs, timeouts, Ctrl-C, the environment
 * check), run_cell.c (one cell, in the worker), run_score.c (events +
 * claims -> verdict), run_client.c (the client runner).
 */
#ifndef DL_HARNESS_RUN_H
#define DL_HARNESS_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "harness/clients/profile.h"
#include "harness/report/report.h"
#include "simulator/scenario/scenario.h"
#include "simulator/util/diag.h"

#define RUN_MAX_JOBS 64
#define RUN_MAX_TIMELINE_JOBS 32 /* timeline cells running at once */
/*
 * A timeline phase's client run starts this long after the phase's
 * offset, so that the servers have swapped the phase's world in.
 */
#define RUN_PHASE_MARGIN_MS 150
#define RUN_CELL_SLACK_S 30	/* cell deadline past its last client run */
/*
 * LAB_TIMELINE_T0_ENV of lab.h, which the runner (run_client.c) cannot
 * include (ldns's util.h defines a dprintf macro); run_cell.c checks
 * at compile time that the two are as long.
 */
#define RUN_TIMELINE_T0_ENV "DANELAB_TIMELINE_T0"

/*
 * A cell's event log: its size limit by default and at most (--events-
 * limit), and what run_events_read reads: the limit, plus the lines the
 * client runner, which counts the file's size as it saw it after its
 * own last write, may add past it (a few, of at most EVLOG_MAX_LINE).
 */
#define RUN_MAX_EVENTS_FILE (64 * 1024 * 1024)
#define RUN_EVENTS_SLACK (1024 * 1024)

/* One cell: a scenario, a client, a policy. */
struct run_cell {
	const struct scenario *s;	/* borrowed from the run */
	const struct client_profile *client;
	enum scen_policy policy;
	bool env_check;	/* part of the environment check */
	bool report;	/* its results go into the report */
	size_t index;	/* position in the plan, for file names */
};

#define RUN_MAX_WRITABLE 7	/* --writable DIR, at most (< LAB_SANDBOX_MAX) */

struct run_opts {
	const char *fixtures_dir;
	const char *danelab;	/* this executable, absolute */
	unsigned jobs;		/* cells without timeline at once */
	unsigned shard_k, shard_n;	/* 1/1: everything */
	bool policies[SCEN_POLICY_COUNT];
	bool keep;		/* keep failed cells' directories */
	bool keep_all;		/* ... and those of every other cell */
	const char *keep_root;	/* where kept cells go */
	bool progress;		/* a progress line on stderr (a TTY) */
	bool color;
	/*
	 * --time-scale: the factor the scenarios' timelines were stretched
	 * by before planning (scenario_time_scale), for the report; 1
	 * without.  Nothing in the run multiplies by it again.
	 */
	double time_scale;
	/* --events-limit: a cell's event log's size limit in bytes. */
	uint64_t events_limit;
	/*
	 * The client's sandbox (lab.h): more writable directories
	 * (--writable DIR).  Every client runs in one.
	 */
	const char *writable[RUN_MAX_WRITABLE];
	size_t n_writable;
	bool host_writable;	/* shell --client --writable-host */
	/*
	 * run --rerun-failed: plan only the cells for which this says
	 * true (before dealing shards); NULL: every cell.
	 */
	bool (*cell_filter)(const struct run_cell *c, const void *arg);
	const void *cell_filter_arg;
};

/* ---------------------------------------------------------- run_plan.c */

/*
 * Whether scenario s is a control scenario (id under "control/" or
 * tagged "control").
 */
bool run_is_control(const struct scenario *s);

#define RUN_MAX_CLIENTS 16	/* --client a,b,c */

/*
 * The cells of scenarios (n) x clients (n_clients, distinct) x the
 * policies each client is scored under (today every client's: both, or
 * --policy), keeping those o->cell_filter allows and of those, shard K
 * of N (cells are numbered in (scenario id, client, policy) order and
 * dealt round-robin, so every shard gets its share of timelines),
 * then the environment check: control scenarios x reference client x
 * policy dane, added once as env_check cells (and not reported)
 * unless such a cell is already in the plan (it is then marked env_check).  Order: env check cells
 * first, then timeline cells (the longest first), then the rest in id
 * order; every client's cells share the one --jobs pool.  Returns the
 * number of cells, *out from xmalloc.
 */
size_t run_plan(struct scenario *const *scenarios, size_t n,
    const struct client_profile *const *clients, size_t n_clients,
    const struct client_profile *reference,
    struct scenario *const *controls, size_t n_controls,
    const struct run_opts *o, struct run_cell **out);

/* Seconds a cell runs at least: its last phase's offset, or 0. */
unsigned run_cell_span(const struct run_cell *c);

/*
 * Results for every moment of c (one, or one per phase) with verdict v
 * and reason, and nothing observed: for cells that were skipped, or
 * whose lab or worker broke.  Replaces rep's results.
 */
void run_results_fill(const struct run_cell *c, struct run_report *rep,
    enum run_verdict v, const char *reason);

/*
 * A scenario's identity and teaching text for a report (rs zeroed
 * first), and a timeline scenario's plan (tl_plan_build, with the data
 * of its TLSA records computed from fixtures_dir; NULL: not computed).
 */
void run_scenario_from(const struct scenario *s, const char *fixtures_dir,
    struct run_scenario *rs);

/*
 * rep (zeroed first) as the report of one scenario's results: schema,
 * version, isolation, environment ok, s as its one scenario; no results.
 */
void run_report_start(const struct scenario *s, const char *fixtures_dir,
    const char *isolation, struct run_report *rep);

/* A copy of name without its final dot (xmalloc). */
char *run_nodot(const char *name);

/* ---------------------------------------------------------- run_exec.c */

/*
 * Run the cells (coordinator) and fill report (its metadata too).
 * Returns 0 (the verdicts are in the report), or DL_E* with diagnostics
 * if the run could not start (no temporary directory).  An interrupted
 * run (SIGINT, SIGTERM) returns 0 with report->interrupted set.
 */
int run_execute(struct run_cell *cells, size_t n, const struct run_opts *o,
    struct run_report *report, struct dl_diags *diags);

/* ---------------------------------------------------------- run_cell.c */

/*
 * In the worker: run one cell and write its results (a JSON report
 * holding only them and their scenario) to results_path.  dir is the
 * worker's own directory (lab files are made inside).  Returns 0 (even
 * when verdicts are FAIL), or non-zero when no results could be
 * written.
 */
int run_cell(const struct run_cell *c, const struct run_opts *o,
    const char *dir, const char *results_path);

/* -------------------------------------------------------- run_events.c */

#define RUN_MAX_SESSIONS 65536	/* SMTP sessions in one cell's log */
#define RUN_MAX_CLIENT_RUNS 64

/* One SMTP session as the events tell it: facts, no verdict. */
struct run_session {
	char host[256];
	long long id;
	double t_connect;	/* -1: no smtp.connect seen */
	unsigned msgs_plain;	/* messages accepted in cleartext */
	unsigned msgs_tls;	/* messages accepted inside TLS */
	/*
	 * Mail transactions begun outside TLS (MAIL commands), and message
	 * text sent outside TLS whether accepted or not: what a client
	 * disclosed in cleartext, accepted or not.
	 */
	unsigned plain_tx;
	bool ehlo_seen;		/* an EHLO reply told whether STARTTLS is on */
	bool ehlo_offered;	/* ... and it offered STARTTLS */
	bool starttls_sent;	/* the client sent STARTTLS */
	int handshake;		/* 0 none, 1 completed, -1 failed */
	bool closed;		/* an smtp.close was seen */
	char sni[256];
	char tls_error[160];
};

/* One client run as the runner's events tell it. */
struct run_client_run {
	int index;		/* the run's number (a timeline's phase) */
	double t_start, t_end;	/* -1: no such event */
	int status;		/* exit status, 128+N for signal N, -1 */
	bool timed_out;
	uint64_t ms;
	/*
	 * A lifecycle (profile steps): the step that failed or timed out
	 * ("start", "wait"), or "", and what the wait step read in the log
	 * (enum profile_outcome).
	 */
	char step[16];
	int outcome;
	bool interrupted;	/* stopped (Ctrl-C, SIGTERM, a deadline) */
	/*
	 * The output on disk: bytes kept (at most RUN_MAX_CLIENT_OUTPUT),
	 * bytes read past the cap and dropped, and why it could not be
	 * stored ("PATH: No space left on device"), or "".
	 */
	uint64_t out_kept, out_dropped;
	char out_error[256];
};

/*
 * One answer of the lab resolver to a TLSA query (EVENTS.md
 * resolver.query): what a client was told about an MX host's TLSA
 * RRset.  For the report's timeline only, never for a verdict: answers
 * past RUN_MAX_TLSA_ANSWERS are not kept.
 */
#define RUN_MAX_TLSA_ANSWERS 4096
struct run_tlsa_answer {
	double t;
	char qname[256];	/* as asked */
	bool cd;		/* asked with CD (checking disabled) */
	enum run_tlsa_state state;
	unsigned n;
	char rr[REPORT_MAX_TLSA_RR][REPORT_MAX_TLSA_TEXT];
};

struct run_events {
	struct run_session *sessions;
	size_t n_sessions, cap_sessions;
	struct run_tlsa_answer *tlsa;
	size_t n_tlsa;
	struct run_client_run *runs;
	size_t n_runs;
	/* When each timeline phase took effect (phase.start "t"), or -1. */
	double phase_t[RUN_MAX_CLIENT_RUNS];
	unsigned bad_lines;	/* lines that were not events */
	/*
	 * Why the evidence cannot be trusted, or "": a damaged line, a
	 * damaged event the scorer needs, more sessions or runs than the
	 * bounds, event log write errors (set by the caller).  The scorer
	 * gives ERROR with this reason.
	 */
	char problem[256];
};

/*
 * Read an event log (EVENTS.md).  Sessions are assembled from smtp.*
 * events by (host, session); client runs from client.start/client.end.
 * A missing file is an empty log.  Returns 0 (problems with the content
 * are in ev->problem, a log.truncated event among them), DL_EIO, or
 * DL_ERANGE when the file is larger than RUN_MAX_EVENTS_FILE +
 * RUN_EVENTS_SLACK.  Free with run_events_clear.
 */
int run_events_read(const char *path, struct run_events *ev,
    struct dl_diags *diags);
void run_events_clear(struct run_events *ev);

/*
 * Score every moment of c (one, or one per phase) from ev and the
 * client's outputs PREFIX.<i>.out (a missing one: no output) into rep's
 * results (rep->results replaced).  Returns whether a result is worth
 * keeping (not PASS, XFAIL or SKIP).  Used by run_cell and by `danelab
 * score` on a kept cell.
 */
bool run_score_moments(const struct run_cell *c, const struct run_events *ev,
    const char *prefix, struct run_report *rep);

/*
 * The file a kept cell's directory holds to be scored again (`danelab
 * score --cell DIR`): {"scenario": FILE, "client": FILE, "policy": P,
 * "time_scale": F} (F: --time-scale, applied again to the file).
 */
#define RUN_CELL_FILE "cell.json"

/* --------------------------------------------------------- run_score.c */

/*
 * The scoring rules, each with a short id (reports, .deviations) and
 * the RFC section it rests on (scenarios/RULES.md has the rules of the
 * catalogue; these are the rules a client's observed behaviour is held
 * to).  The failing ones first, then the reasons for ERROR, HANG, SKIP.
 */
enum run_rule {
	RULE_NONE = 0,
	RULE_NEXT_MX_USED,	/* anything at a host it must not use */
	RULE_CLEARTEXT,		/* cleartext where TLS is required */
	RULE_UNAUTHENTICATED,	/* TLS without DANE auth where required */
	RULE_UNDELIVERED,	/* nothing delivered where the RFC delivers */
	RULE_DECISION,		/* the client's own decision is not accepted */
	RULE_SNI,		/* no SNI, or not the TLSA base domain, where
				 * DANE authentication is required */
	RULE_DIAGNOSIS,		/* a checker's diagnosis code differs from
				 * the world's fact (facts.h) */
	RULE_TIMEOUT,		/* HANG */
	RULE_EVIDENCE,		/* ERROR: the event log cannot be trusted */
	RULE_NOT_RUN,		/* ERROR: the client did not run */
	RULE_CANNOT_START,	/* ERROR: exit 126/127 */
	RULE_EXIT_STATUS,	/* ERROR: an exit status the profile does
				 * not declare */
	RULE_NO_LIVENESS,	/* ERROR: the profile's liveness line missing */
	RULE_NO_EXPECTATION,	/* ERROR: the scenario says nothing */
	RULE_SILENT_PROBE,	/* SKIP: a probe silent at a host without
				 * STARTTLS */
	RULE_COUNT
};

/* "next-mx-used" ...; parse returns -1 for an unknown id. */
const char *run_rule_id(enum run_rule r);
const char *run_rule_ref(enum run_rule r);
int run_rule_parse(const char *id);
/* Whether a deviation may excuse r (FAIL rules and timeout). */
bool run_rule_excusable(enum run_rule r);

/* What the scorer is given for one client run. */
struct run_score_in {
	const struct scenario *s;
	int phase;			/* -1 without timeline */
	enum scen_policy policy;
	const struct client_profile *client;
	const struct run_events *ev;
	const struct run_client_run *run;	/* NULL: did not start */
	const char *output;		/* the client's output, or NULL */
	size_t output_len;
};

/*
 * Score one client run into res (res->scenario etc. are set by the
 * caller; this fills hosts, verdict, expected, accept, claimed, reason,
 * rule, deviation).  The sessions that belong to the run are those that
 * connected between its start and its end (every session, when the run
 * has no start event: a hand-written log).  Every host is held to its
 * expectation; a deviation of the profile excuses only failures of the
 * rule it names.
 */
void run_score(const struct run_score_in *in, struct run_result *res);

/* -------------------------------------------------------- run_client.c */

/*
 * The hidden verb `danelab __client`: run a client at given moments.
 *   __client --events FILE [--events-limit BYTES] --t0 NS --plan FILE
 * The plan (JSON, written by run_cell) lists the runs: {"runs": [{
 * "at_ms", "out", "dir" (the commands' working directory), "env":
 * ["NAME=value"...], "headers": bool, "steps": [{"kind":
 * "run|start|submit|wait|collect|stop", "argv": [...], "input",
 * "timeout_ms", "log", "delivered", "deferred", "bounced", "collect":
 * [...]}]}]}, every template already rendered.  At each
 * moment (milliseconds after t0, CLOCK_MONOTONIC nanoseconds): a
 * client.start event, the steps (each command with stdin from its input
 * or /dev/null, stdout + stderr into "out", in a process group of its
 * own, killed (SIGTERM, then SIGKILL) after its timeout; a wait step
 * reads its log until a line matches an outcome's pattern), then a
 * client.end event with the status, the step that failed or timed out
 * and the outcome.  SIGTERM or SIGINT to the runner kills the command
 * and ends it.  Exit 0, or 2 on usage errors or a bad plan.
 */
int run_client_main(int argc, char **argv);

/*
 * The runner's exit status when it could not write its own events
 * (its message, with the reason, is on its standard error).
 */
#define RUN_CLIENT_EVLOG_ERRORS 3
/*
 * Bytes of a client run's output kept on disk; the rest is read,
 * counted and dropped (client.end's output_dropped), so that a client
 * printing without end cannot fill the disk.
 */
#define RUN_MAX_CLIENT_OUTPUT (1024 * 1024)

#endif /* DL_HARNESS_RUN_H */
