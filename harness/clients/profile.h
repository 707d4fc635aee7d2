/*
 * profile.h -- client profiles: how the harness drives one client.
 *
 * A client is described by a YAML file harness/clients/<name>.yaml
 * (format in harness/clients/README.md) and, optionally, a list of its
 * known deviations from RFC 7672, harness/clients/<name>.deviations.
 * The profile says how to start the client (argv and environment
 * templates, configuration files to render, timeout), what it needs
 * installed, and how to read its own claim about what it did from its
 * output.  Clients run from argv arrays, never through a shell.
 *
 * Templates: "{name}" is replaced by a variable (struct profile_vars);
 * "{{" and "}}" are literal braces.  An unknown variable is an error
 * when the profile is loaded, with its file:line:col.
 *
 * Modules: profile_load.c (YAML, libyaml, file:line:col diagnostics,
 * bounded), profile_render.c (templates, files, availability),
 * profile_claims.c (output patterns -> claims), profile_dev.c (known
 * deviations).
 */
#ifndef DL_HARNESS_CLIENTS_PROFILE_H
#define DL_HARNESS_CLIENTS_PROFILE_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>

#include "harness/report/report.h"
#include "harness/run/facts.h"
#include "simulator/scenario/scenario.h"
#include "simulator/util/diag.h"

#define PROFILE_MAX_FILE (64 * 1024)	/* bytes of a profile or
					 * deviations file */
#define PROFILE_MAX_ARGS 64
#define PROFILE_MAX_ENV 32
#define PROFILE_MAX_FILES 8
#define PROFILE_MAX_CLAIMS 32
#define PROFILE_MAX_REQUIRES 8
#define PROFILE_MAX_DEVIATIONS 256
#define PROFILE_MAX_RENDERED 4096	/* bytes of one rendered argument */
#define PROFILE_MAX_TIMEOUT 600		/* seconds */
#define PROFILE_MAX_EXITS 32		/* declared exit statuses */
#define PROFILE_MAX_STEPS 16		/* steps of a lifecycle */
#define PROFILE_MAX_COLLECT 8		/* files one collect step reads */
#define PROFILE_MAX_DIR_DEPTH 4		/* subdirectories of a file path */
#define PROFILE_MAX_DIAGNOSES 32	/* diagnosis rules of a checker */
#define PROFILE_MAX_CODES 8		/* codes one rule sets */

/*
 * What a client's exit status means, as its profile declares it
 * (`exit:`).  A status the profile does not declare is an error of the
 * client (it crashed, it was misconfigured): the result is ERROR, never
 * a verdict.
 */
enum profile_exit {
	PROFILE_EXIT_UNDECLARED = 0,
	PROFILE_EXIT_DONE,	/* it ran to its decision; the evidence
				 * says which */
	PROFILE_EXIT_DEFERRED,	/* it says it delivered nothing (queued) */
	PROFILE_EXIT_COUNT
};

/*
 * What a client is (`kind:`): what its evidence is and how it is scored.
 */
enum profile_kind {
	PROFILE_KIND_PROBE = 0,	/* never sends mail; its claims say what it
				 * would have done (v1 `delivers: false`) */
	PROFILE_KIND_MTA,	/* sends the test message; the servers'
				 * events say what it delivered (v1
				 * `delivers: true`) */
	PROFILE_KIND_CHECKER,	/* a DANE checker: scored on its diagnosis
				 * of the world, one column, no policy */
	PROFILE_KIND_COUNT
};

const char *profile_kind_name(enum profile_kind k);

/*
 * A file written into the run's directory before the client runs.
 * Rendered as a template unless raw (then written byte for byte: a
 * shell script or an Exim config full of braces needs no escaping).
 */
struct profile_file {
	char *path;	/* relative to the run directory: no "..", no "/"
			 * first; subdirectories are made (0700) */
	char *text;	/* template, or the text itself when raw */
	bool raw;
	unsigned mode;	/* 0600 (default), 0644, 0700 or 0755 */
};

/*
 * A lifecycle step (profile version 2, `steps:`).  A real MTA is not one
 * command: it is started as a private instance, given the message,
 * watched until its log says what became of it, its logs collected, and
 * stopped.  Steps run in order; once one fails (a start or submit step
 * exits non-zero, any step times out) the rest are skipped but for the
 * collect and stop steps, which always run.
 */
enum profile_step_kind {
	PROFILE_STEP_RUN = 0,	/* a command; the last one's exit status is
				 * the run's (a probe or checker in steps) */
	PROFILE_STEP_START,	/* start the private instance; must exit 0 */
	PROFILE_STEP_SUBMIT,	/* hand it the message; must exit 0 */
	PROFILE_STEP_WAIT,	/* read a log until a line says delivered,
				 * deferred or bounced */
	PROFILE_STEP_COLLECT,	/* append files (logs) to the output; always
				 * runs */
	PROFILE_STEP_STOP,	/* stop the instance; always runs */
	PROFILE_STEP_COUNT
};

/* What a wait step read in the log. */
enum profile_outcome {
	PROFILE_OUTCOME_NONE = 0,
	PROFILE_OUTCOME_DELIVERED,
	PROFILE_OUTCOME_DEFERRED,
	PROFILE_OUTCOME_BOUNCED,
	PROFILE_OUTCOME_COUNT
};

struct profile_step {
	enum profile_step_kind kind;
	char **argv;		/* templates (run, start, submit, stop) */
	size_t argc;
	char *input;		/* template: the file on stdin, or NULL
				 * (/dev/null) */
	unsigned timeout_s;
	char *log;		/* wait: the log file (template) */
	/* wait: one line pattern per outcome (index PROFILE_OUTCOME_*). */
	char *pattern[PROFILE_OUTCOME_COUNT];
	regex_t re[PROFILE_OUTCOME_COUNT];
	char **collect;		/* collect: files (templates) */
	size_t n_collect;
	unsigned line;		/* in the profile file */
};

const char *profile_step_name(enum profile_step_kind k);
const char *profile_outcome_name(enum profile_outcome o);
int profile_outcome_parse(const char *s);

/*
 * One output pattern.  Every line of the client's output is matched
 * against the patterns in order; the first that matches gives the line's
 * claim (later patterns are not tried for that line).
 */
struct profile_claim {
	char *pattern;		/* POSIX extended regex, as written */
	regex_t re;
	/*
	 * per-host claim (RUN_CLAIM_*), or, with overall, the client's
	 * final word as an action: auth, encrypt, opportunistic, defer.
	 * RUN_CLAIM_NONE (with a host_group): the line only names the host
	 * later lines are about.
	 */
	bool overall;
	enum run_claim claim;		/* without overall */
	enum scen_action action;	/* with overall */
	/*
	 * The subexpression holding the MX host name (1..9), or 0: the
	 * claim is about the host the client is talking to, i.e. the host
	 * named by the last earlier line with a host, else the first MX.
	 */
	unsigned host_group;
	char *label;		/* the client's own word to record
				 * ("Verified"); NULL: the matched text */
};

/*
 * One diagnosis rule of a checker (`diagnoses:`): a line matching
 * pattern sets the codes key=value (facts.h, harness/clients/
 * DIAGNOSIS.md) for a host, as claims do: the host named by group
 * host_group, else the current host.
 */
struct profile_diagnosis {
	char *pattern;		/* POSIX extended regex, as written */
	regex_t re;
	unsigned host_group;	/* 1..9, or 0 */
	size_t n_codes;		/* 0: the line only names the host */
	int key[PROFILE_MAX_CODES];		/* enum fact_key */
	const char *value[PROFILE_MAX_CODES];	/* static (facts.h) */
};

struct profile_deviation {
	char *scenario;		/* id, or a prefix ending in '/' ("ca/") */
	char *phase;		/* NULL: every phase */
	int policy;		/* enum scen_policy, or -1: both */
	int rule;		/* enum run_rule (run.h) it excuses */
	bool sometimes;		/* "RULE?": it happens or not by the
				 * client's own draw (the order of MX hosts
				 * of equal preference): a pass is PASS,
				 * not XPASS */
	char *reason;
	unsigned line;
};

struct client_profile {
	char *file;		/* path it was loaded from */
	char *name;		/* equals the file name without .yaml */
	char *description;
	char **requires;	/* programs that must be in PATH */
	size_t n_requires;
	char **argv;		/* templates; argv[0] is searched in PATH
				 * (NULL with steps) */
	size_t argc;
	/*
	 * Version 2: the lifecycle instead of argv (n_steps > 0).  timeout_s
	 * is then the sum of the steps' timeouts: the longest a run can
	 * take.
	 */
	struct profile_step *steps;
	size_t n_steps;
	/* `runtime`: seconds one run is expected to take (0: unknown). */
	unsigned runtime_s;
	char **env;		/* "NAME=template" */
	size_t n_env;
	struct profile_file *files;
	size_t n_files;
	unsigned timeout_s;	/* per client run; default 30 */
	unsigned version;	/* of the file format: 1 or 2 */
	enum profile_kind kind;
	/*
	 * true: the client sends the test message, so the SMTP events tell
	 * what it delivered.  false: a probe that never sends mail
	 * (posttls-finger); its claims say whether it would have.  Same as
	 * kind == PROFILE_KIND_MTA.
	 */
	bool delivers;
	/*
	 * The value of {policy} for each policy; NULL: the client cannot
	 * run under that policy (its cells are SKIP with skip_reason).
	 */
	char *policy_value[SCEN_POLICY_COUNT];
	char *skip_reason[SCEN_POLICY_COUNT];
	struct profile_claim *claims;
	size_t n_claims;
	/* Declared exit statuses (default: 0 done, when `exit` is absent). */
	int exit_status[PROFILE_MAX_EXITS];
	enum profile_exit exit_meaning[PROFILE_MAX_EXITS];
	size_t n_exits;
	/*
	 * `alive`: a line that must appear in the output for a run to count
	 * as having happened (NULL: none required).
	 */
	char *alive;
	regex_t alive_re;
	struct profile_deviation *devs;	/* from <name>.deviations */
	size_t n_devs;
	/* A checker (version 2, kind checker): its diagnosis rules. */
	struct profile_diagnosis *diagnoses;
	size_t n_diagnoses;
	/*
	 * The keys it always reports (`reports:`, bits 1 << enum fact_key):
	 * one of them undiagnosed for a host it diagnosed, where the fact
	 * is definite, is a failure.
	 */
	unsigned reports;
};

/*
 * Load a profile file (and its .deviations file, if one exists next to
 * it).  Every problem is a diagnostic at file:line:col.  Returns 0 and
 * *out (profile_free), DL_EIO, or DL_EINVAL.
 */
int profile_load(const char *path, struct client_profile **out,
    struct dl_diags *diags);

/*
 * Load a profile from text (len bytes; name is its file name in
 * diagnostics), without a deviations file: the fuzz target's way in.
 * Returns 0 and *out (profile_free), or DL_EINVAL.
 */
int profile_load_buffer(const char *name, const char *text, size_t len,
    struct client_profile **out, struct dl_diags *diags);
void profile_free(struct client_profile *p);

/*
 * Find the profile called name (or a path to a .yaml file) in dir
 * (harness/clients of the source tree, or $DANELAB_CLIENTS) and load
 * it.  Returns as profile_load; DL_ENOENT with a diagnostic listing the
 * known clients if there is none.
 */
int profile_find(const char *dir, const char *name,
    struct client_profile **out, struct dl_diags *diags);

/*
 * The profiles profile_find(NULL, ...) can find ($DANELAB_CLIENTS, then
 * the built-in ones), sorted by name, each name once with the file it
 * finds (a profile of $DANELAB_CLIENTS shadows a built-in one of the
 * same name).  At most max (and PROFILE_MAX_KNOWN); returns how many.
 * names[i] and files[i] are the caller's to free.  Directories that
 * cannot be read are left out.
 */
#define PROFILE_MAX_KNOWN 128
size_t profile_known(char **names, char **files, size_t max);

/*
 * Whether the client can run here: every program of requires found in
 * PATH (or, when it contains a '/', executable).  If not, false and why
 * ("posttls-finger not installed (not in PATH)").
 */
bool profile_available(const struct client_profile *p, char *why,
    size_t len);

/* Variables of the templates. */
struct profile_vars {
	const char *domain;	/* {domain}: the mail domain */
	const char *policy;	/* {policy}: policy_value of the policy */
	const char *danelab;	/* {danelab}: this executable */
	const char *resolver;	/* {resolver}: 127.53.53.53 */
	const char *anchor;	/* {anchor}: root key, DNSKEY zone-file form */
	const char *anchor_ds;	/* {anchor_ds} */
	const char *anchor_conf; /* {anchor_conf}: BIND trust-anchors */
	const char *mail_config; /* {mail_config}: directory with main.cf */
	const char *dir;	/* {dir}: the cell's directory (files go here) */
	const char *mx1;	/* {mx1}: the first MX host */
	const char *from;	/* {from}: sender address */
	const char *rcpt;	/* {rcpt}: recipient, postmaster@domain */
	const char *message;	/* {message}: the test message (RFC 5322) */
	const char *phase;	/* {phase}: the timeline phase, or "" */
	const char *scenario;	/* {scenario}: the scenario id */
};

/* The variable names, NULL-terminated (for the loader's checks). */
extern const char *const profile_var_names[];

/*
 * Render the argv (NULL-terminated, *argv_out from xmalloc; free with
 * profile_strv_free) and the environment ("NAME=value" strings, same).
 * Returns 0 or DL_ERANGE with a diagnostic if a value is longer than
 * PROFILE_MAX_RENDERED.
 */
int profile_render_argv(const struct client_profile *p,
    const struct profile_vars *v, char ***argv_out, struct dl_diags *diags);
int profile_render_env(const struct client_profile *p,
    const struct profile_vars *v, char ***env_out, struct dl_diags *diags);
void profile_strv_free(char **v);

/*
 * Render n templates tmpl (what names them in diagnostics: "argument",
 * "step 2 argument") into *out (NULL-terminated, profile_strv_free).
 */
int profile_render_strv(const struct client_profile *p, char *const *tmpl,
    size_t n, const struct profile_vars *v, const char *what, char ***out,
    struct dl_diags *diags);

/*
 * Render the config files into v->dir (their mode, default 0600;
 * O_EXCL, O_NOFOLLOW: an existing file or link is an error; missing
 * subdirectories made 0700, never through a link).  Returns 0,
 * DL_ERANGE (a file longer than PROFILE_MAX_FILE once rendered) or
 * DL_EIO.
 */
int profile_render_files(const struct client_profile *p,
    const struct profile_vars *v, struct dl_diags *diags);

/* What the client said, read from its output. */
struct profile_claims {
	size_t n;
	struct {
		char host[256];	/* no final dot, lower case */
		enum run_claim claim;
		char label[64];
		unsigned n_auth;	/* claims of authenticated TLS */
		unsigned n_unauth;	/* claims of TLS without it, cleartext
					 * or a refusal */
	} host[REPORT_MAX_HOSTS];
	enum scen_action overall;	/* SCEN_ACT_UNSET if none */
	char overall_label[64];
	unsigned dropped;	/* claims about more hosts than fit */
};

/*
 * Read claims from output (len bytes, need not be NUL-terminated).
 * first_mx: the host claims without a host group refer to before any
 * line named one.  A later claim about the same host replaces an
 * earlier one, except that REFUSE is kept over a later ENCRYPT or
 * PLAIN (a client that reports a failed DANE match and then the
 * unauthenticated session it did anyway has refused the host).
 */
void profile_read_claims(const struct client_profile *p, const char *output,
    size_t len, const char *first_mx, struct profile_claims *out);

/* What a checker diagnosed, read from its output (profile_diagnose.c). */
struct profile_diagnosed {
	size_t n;
	struct {
		char host[256];	/* no final dot, lower case */
		const char *value[FACT_COUNT];	/* NULL: not diagnosed */
		char line[FACT_COUNT][96];	/* the line that said it */
		/*
		 * The first different word a later line replaced (a checker
		 * that said "bogus", then "no TLSA records"): judged too.
		 */
		const char *other[FACT_COUNT];
		char other_line[FACT_COUNT][96];
	} host[REPORT_MAX_HOSTS];
	unsigned dropped;	/* diagnoses about more hosts than fit */
};

/*
 * Read diagnoses from output (len bytes), as profile_read_claims reads
 * claims: per line the first rule that matches applies; a rule without
 * host group is about the current host (first_mx before any line named
 * one); a later code for a key replaces an earlier one, which is kept
 * in other (the first that differed) to be judged as well.  The first MX
 * is always in out (host[0]), diagnosed or not.
 */
void profile_read_diagnoses(const struct client_profile *p,
    const char *output, size_t len, const char *first_mx,
    struct profile_diagnosed *out);

/*
 * Warn (file:line) about every deviation of p that names no scenario,
 * or no phase of it, among scenarios[n] (the catalogue): a typo that
 * would otherwise never apply.  Returns the number of warnings.
 */
size_t profile_deviations_check(const struct client_profile *p,
    struct scenario *const *scenarios, size_t n, struct dl_diags *diags);

/*
 * Warn about every timeline of scenarios[n] (as they will run: already
 * scaled by scale, scenario_time_scale) whose tightest gap between two
 * phases, less the margin a run starts after its phase, is shorter than
 * p's expected run time: its runs would overrun into the next phase.
 * The warning names the scenario, the phases and the --time-scale that
 * would fit.  Nothing without `runtime`.
 */
size_t profile_runtime_check(const struct client_profile *p,
    struct scenario *const *scenarios, size_t n, double scale,
    struct dl_diags *diags);

/* Whether p's lifecycle has a wait step (its runs must read an outcome). */
bool profile_has_wait(const struct client_profile *p);

/* What exit status st means for p. */
enum profile_exit profile_exit_meaning(const struct client_profile *p,
    int st);
const char *profile_exit_name(enum profile_exit e);

/* Whether output (len bytes) holds p's liveness line (true without one). */
bool profile_alive(const struct client_profile *p, const char *output,
    size_t len);

/* The first known deviation matching, or NULL. */
const struct profile_deviation *profile_deviation(
    const struct client_profile *p, const char *scenario, const char *phase,
    enum scen_policy policy);

/*
 * The known deviations matching (scenario id, phase name or NULL,
 * policy), in file order: up to max into out; returns how many matched.
 */
size_t profile_deviations(const struct client_profile *p,
    const char *scenario, const char *phase, enum scen_policy policy,
    const struct profile_deviation **out, size_t max);

#endif /* DL_HARNESS_CLIENTS_PROFILE_H */
