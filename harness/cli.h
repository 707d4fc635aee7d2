/*
 * cli.h -- what the danelab verbs share: global options, finding
 * scenarios by id or path, exit codes, help text.
 *
 * Each verb lives in its own cmd_<verb>.c and has the signature of
 * cli_verb_fn.  Verbs print (they are the program level); everything
 * below them returns codes and diagnostics.
 */
#ifndef DL_HARNESS_CLI_H
#define DL_HARNESS_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "harness/clients/profile.h"
#include "harness/paths.h"
#include "simulator/scenario/scenario.h"
#include "simulator/util/diag.h"

/* Exit codes, test-runner conventions. */
enum {
	CLI_EXIT_OK = 0,	/* all as expected */
	CLI_EXIT_FAIL = 1,	/* unexpected results */
	CLI_EXIT_USAGE = 2,	/* usage or input error */
	CLI_EXIT_SKIP = 77,	/* everything skipped */
};

struct cli_ctx {
	const char *prog;
	const char *fixtures_dir;	/* --fixtures, $DANELAB_FIXTURES */
	const char *scenarios_dir;	/* --scenarios, $DANELAB_SCENARIOS */
	/* Where each came from, for messages: "set by --fixtures" ... */
	const char *fixtures_origin;
	const char *scenarios_origin;
	bool color;			/* stdout is a terminal */
};

typedef int (*cli_verb_fn)(struct cli_ctx *ctx, int argc, char **argv);

struct cli_verb {
	const char *name;
	cli_verb_fn fn;
	const char *args;	/* "[FILE|DIR...]" */
	const char *summary;	/* one line */
	const char *help;	/* the rest of --help: options, examples */
};

/* Print "usage: danelab VERB ARGS" and the verb's help. */
void cli_verb_usage(const struct cli_ctx *ctx, const struct cli_verb *v,
    bool full);
const struct cli_verb *cli_verb_find(const char *name);

/*
 * Resolve arg to one loaded, checked scenario: a path to a .yaml file,
 * or a catalogue id ("dnssec/missing-ds") looked up under
 * ctx->scenarios_dir.  Diagnostics are printed to stderr.  Returns 0 and
 * sets *out (caller frees), or CLI_EXIT_USAGE.
 */
int cli_scenario(struct cli_ctx *ctx, const char *arg, struct scenario **out);

/*
 * Load the whole catalogue (ctx->scenarios_dir).  Diagnostics printed to
 * stderr.  Returns 0 or CLI_EXIT_USAGE.
 */
int cli_catalogue(struct cli_ctx *ctx, struct scenario ***out, size_t *n);

/*
 * Whether the catalogue (DANELAB_DATA_SCENARIOS) or fixtures directory
 * of ctx exists.  If not, says so on stderr, with where its path came
 * from ("danelab: the catalogue directory /x does not exist (set by
 * DANELAB_SCENARIOS)"), and returns CLI_EXIT_USAGE; else 0.
 */
int cli_data_check(const struct cli_ctx *ctx, enum danelab_data which);

/*
 * profile_find(NULL, name, out, diags), and when no profile of that
 * name is found, also say on stderr which directories of the search
 * path ($DANELAB_CLIENTS, the built-in profiles) do not exist, and
 * where each came from.  Returns profile_find's code.
 */
int cli_profile_find(const char *name, struct client_profile **out,
    struct dl_diags *diags);

/*
 * Selecting scenarios (run, list; cli_select.c).  The arguments are
 * catalogue ids, folders ("dnssec/"), globs over ids (fnmatch(3)
 * without FNM_PATHNAME: '*' matches '/' too) or scenario files; none:
 * the whole catalogue.  Then --tag: every positive tag must be among
 * a scenario's tags, no "!tag" may be.
 */
#define CLI_MAX_TAGS 32
#define CLI_MAX_TAG_LEN 64

struct cli_select {
	const char *tags[CLI_MAX_TAGS];	/* --tag, "!tag" leaves out */
	size_t n_tags;
	struct scenario **cat;	/* the catalogue, owned */
	size_t n_cat;
	struct scenario **extra;	/* scenario files named, owned */
	size_t n_extra;
	struct scenario **sel;	/* the selection, in argument order,
				 * borrowed from cat and extra */
	size_t n_sel;
};

/* --tag arg of verb into cs.  0 or CLI_EXIT_USAGE (said why). */
int cli_select_tag(const struct cli_ctx *ctx, const char *verb,
    struct cli_select *cs, const char *arg);

/*
 * Load the catalogue and select from it by args (n_args) and cs's
 * tags.  An argument that selects nothing, a tag no scenario has, or
 * tags that leave nothing of the selection, is an error.  0 or
 * CLI_EXIT_USAGE (said why); cli_select_clear in either case.
 */
int cli_select(struct cli_ctx *ctx, const char *verb, char **args,
    size_t n_args, struct cli_select *cs);
void cli_select_clear(struct cli_select *cs);

struct run_report;
struct run_result;

/*
 * Did the result not pass: FAIL, HANG, ERROR or XPASS.  PASS, SKIP
 * (the client cannot do it: rerunning will not change that) and XFAIL
 * (a documented deviation) did not fail.
 */
bool cli_result_failed(const struct run_result *r);

/*
 * Has rep a failed result of scenario, client (NULL: any) and policy
 * (-1: any)?  For timelines: any phase's.
 */
bool cli_cell_failed(const struct run_report *rep, const char *scenario,
    const char *client, int policy);

/*
 * An expectation as people read it: the primary action, then the other
 * acceptable ones in enum order, joined by '|' ("opportunistic|auth");
 * just the primary when accept holds nothing else.  Returns buf.
 */
const char *cli_accept_text(enum scen_action primary, unsigned accept,
    char *buf, size_t len);

/* The verbs. */
int cmd_check(struct cli_ctx *ctx, int argc, char **argv);
int cmd_list(struct cli_ctx *ctx, int argc, char **argv);
int cmd_explain(struct cli_ctx *ctx, int argc, char **argv);
int cmd_export(struct cli_ctx *ctx, int argc, char **argv);
int cmd_serve(struct cli_ctx *ctx, int argc, char **argv);
int cmd_shell(struct cli_ctx *ctx, int argc, char **argv);
int cmd_probe(struct cli_ctx *ctx, int argc, char **argv);
int cmd_run(struct cli_ctx *ctx, int argc, char **argv);
int cmd_report(struct cli_ctx *ctx, int argc, char **argv);
int cmd_score(struct cli_ctx *ctx, int argc, char **argv);

/*
 * Parse a port number (1..65535) given to option --opt of verb.  On
 * success *out is set and 0 returned; otherwise the error is printed and
 * CLI_EXIT_USAGE returned, *out untouched.
 */
int cli_port(const struct cli_ctx *ctx, const char *verb, const char *opt,
    const char *arg, uint16_t *out);

struct run_report;
/*
 * Read one JSON report (report_read_json) into *out, diagnostics
 * printed.  0, or CLI_EXIT_USAGE (*out untouched).  In cmd_report.c.
 */
int cli_read_report(const char *path, struct run_report *out);

/*
 * --time-scale F of verb: a plain decimal from SCEN_TIME_SCALE_MIN to
 * SCEN_TIME_SCALE_MAX (scen_time_scale_parse).  0 and *out, or the
 * error printed and CLI_EXIT_USAGE.
 */
int cli_time_scale(const struct cli_ctx *ctx, const char *verb,
    const char *arg, double *out);

/*
 * A size in bytes given to option --opt of verb: digits with an
 * optional K, M or G (KiB, MiB, GiB), from min to max.  0 and *out, or
 * the error printed and CLI_EXIT_USAGE (*out untouched).
 */
int cli_size(const struct cli_ctx *ctx, const char *verb, const char *opt,
    const char *arg, uint64_t min, uint64_t max, uint64_t *out);

struct evlog;

/*
 * At the end of verb (serve, shell) with --events path: say on stderr
 * whether its log is incomplete.  Returns true after an error (a write
 * error: the exit status must say so), false when complete or after a
 * warning (the size limit, which the log itself records).
 */
bool cli_events_end(const struct cli_ctx *ctx, const char *verb,
    const char *path, const struct evlog *log);

/*
 * Stretch the timeline of s by f (scenario_time_scale), printing its
 * diagnostics (file:line:col).  0, or CLI_EXIT_USAGE on an error.
 */
int cli_scenario_scale(struct scenario *s, double f);

/*
 * The absolute path of the running executable into buf (len bytes):
 * what `run` hands its workers and the client runner.  0, or
 * CLI_EXIT_USAGE after a message "PROG VERB: cannot find this
 * executable".
 */
int cli_self_exe(const struct cli_ctx *ctx, const char *verb, char *buf,
    size_t len);

/* True if path is a directory this process may write into. */
bool cli_dir_writable(const char *path);

/*
 * --writable DIR of run and shell: DIR (an existing directory, made
 * absolute and real) added to v[*n] (at most max).  0, or
 * CLI_EXIT_USAGE after saying why.
 */
int cli_writable_add(const struct cli_ctx *ctx, const char *verb,
    const char *dir, const char **v, size_t *n, size_t max);

/* True for "-h" / "--help". */
bool cli_is_help(const char *arg);

#endif /* DL_HARNESS_CLI_H */
