/*
 * cmd_run.c -- `danelab run [SCENARIO...]`: the main job.  Picks the
 * scenarios and the client, plans the cells (run_plan), runs them
 * (run_execute) and writes the reports; the exit code is the report's
 * (report_exit_code).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "danelab_config.h"
#include "harness/cli.h"
#include "harness/run/run.h"
#include "simulator/events/events.h"
#include "simulator/util/xmem.h"

#define RUN_MAX_FORMATS REPORT_FORMAT_COUNT

/* Parse "K/N". */
static int
parse_shard(const char *arg, unsigned *k, unsigned *n)
{
	unsigned long a, b;
	char *end;

	errno = 0;
	a = strtoul(arg, &end, 10);
	if (errno != 0 || end == arg || *end != '/')
		return -1;
	arg = end + 1;
	b = strtoul(arg, &end, 10);
	if (errno != 0 || end == arg || *end != '\0' || b == 0 || b > 1000 ||
	    a == 0 || a > b)
		return -1;
	*k = (unsigned)a;
	*n = (unsigned)b;
	return 0;
}

static int usage_error(struct cli_ctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
usage_error(struct cli_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s run: ", ctx->prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return CLI_EXIT_USAGE;
}

/* What the command line asks for. */
struct run_args {
	char *client_names[RUN_MAX_CLIENTS];	/* --client a,b,c */
	size_t n_clients;
	char *client_arg;	/* owns the words above */
	enum report_format formats[RUN_MAX_FORMATS];
	size_t n_formats;
	char *outputs[RUN_MAX_FORMATS];
	size_t n_outputs;
	const char *paths[RUN_MAX_FORMATS];
	bool list_only, verbose, no_progress;
	bool clients_given;	/* --client, else the default or the
				 * report's (--rerun-failed) */
	const char *rerun;	/* --rerun-failed REPORT.json */
	struct cli_select *cs;	/* --tag goes here */
	const char *baseline;	/* --baseline OLD.json, or NULL */
};

/* The scenarios of a run: the selection and the catalogue's controls. */
struct run_sel {
	struct cli_select cs;
	struct scenario **ctl;
	size_t n_ctl;
};

/*
 * --client a,b,c: every client over the same worlds, in one report.
 * Names (or profile paths) once each, at most RUN_MAX_CLIENTS; a later
 * --client replaces an earlier one.  0 or CLI_EXIT_USAGE (said why).
 */
static int
parse_clients(struct cli_ctx *ctx, const char *arg, struct run_args *a)
{
	char *w, *save = NULL;
	size_t i;

	free(a->client_arg);
	a->client_arg = xstrdup(arg);
	a->n_clients = 0;
	for (w = strtok_r(a->client_arg, ",", &save); w != NULL;
	    w = strtok_r(NULL, ",", &save)) {
		if (a->n_clients == RUN_MAX_CLIENTS)
			return usage_error(ctx, "--client %s: at most %d "
			    "clients", arg, RUN_MAX_CLIENTS);
		for (i = 0; i < a->n_clients; i++)
			if (strcmp(a->client_names[i], w) == 0)
				return usage_error(ctx, "--client %s: %s is "
				    "named twice", arg, w);
		a->client_names[a->n_clients++] = w;
	}
	if (a->n_clients == 0 || arg[0] == ',' ||
	    arg[strlen(arg) - 1] == ',' || strstr(arg, ",,") != NULL)
		return usage_error(ctx, "--client %s: a client name, or "
		    "names separated by commas (reference,swaks)", arg);
	return 0;
}

/* Options into a and o; 0 or CLI_EXIT_USAGE (said why). */
static int
parse_args(struct cli_ctx *ctx, int argc, char **argv, struct run_args *a,
    struct run_opts *o)
{
	static const struct option opts[] = {
	    {"client", required_argument, NULL, 'c'},
	    {"policy", required_argument, NULL, 'P'},
	    {"jobs", required_argument, NULL, 'j'},
	    {"shard", required_argument, NULL, 's'},
	    {"format", required_argument, NULL, 'f'},
	    {"output", required_argument, NULL, 'o'},
	    {"keep", no_argument, NULL, 'k'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"no-progress", no_argument, NULL, 'N'},
	    {"list", no_argument, NULL, 'l'},
	    {"time-scale", required_argument, NULL, 'T'},
	    {"events-limit", required_argument, NULL, 'E'},
	    {"writable", required_argument, NULL, 'W'},
	    {"tag", required_argument, NULL, 't'},
	    {"rerun-failed", required_argument, NULL, 'R'},
	    {"baseline", required_argument, NULL, 'B'},
	    {NULL, 0, NULL, 0},
	};
	char bad[64], *end;
	unsigned long jv;
	long ncpu;
	int c;

	o->policies[SCEN_POLICY_DANE] = o->policies[SCEN_POLICY_DANE_ONLY] =
	    true;
	o->shard_k = o->shard_n = 1;
	o->time_scale = 1.0;
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	o->jobs = ncpu > 0 ? (unsigned)ncpu : 1;
	while ((c = getopt_long(argc, argv, "c:P:j:s:f:o:kvlt:", opts, NULL)) !=
	    -1) {
		switch (c) {
		case 'c':
			if (parse_clients(ctx, optarg, a) != 0)
				return CLI_EXIT_USAGE;
			a->clients_given = true;
			break;
		case 't':
			if (cli_select_tag(ctx, "run", a->cs, optarg) != 0)
				return CLI_EXIT_USAGE;
			break;
		case 'R':
			a->rerun = optarg;
			break;
		case 'P':
			if (strcmp(optarg, "both") == 0)
				break;
			o->policies[SCEN_POLICY_DANE] =
			    strcmp(optarg, "dane") == 0;
			o->policies[SCEN_POLICY_DANE_ONLY] =
			    strcmp(optarg, "dane-only") == 0;
			if (!o->policies[0] && !o->policies[1])
				return usage_error(ctx, "--policy %s: dane, "
				    "dane-only or both", optarg);
			break;
		case 'j':
			errno = 0;
			jv = strtoul(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || jv == 0 ||
			    jv > RUN_MAX_JOBS)
				return usage_error(ctx, "--jobs %s: a number "
				    "from 1 to 64", optarg);
			o->jobs = (unsigned)jv;
			break;
		case 's':
			if (parse_shard(optarg, &o->shard_k, &o->shard_n) != 0)
				return usage_error(ctx, "--shard %s: K/N with "
				    "1 <= K <= N", optarg);
			break;
		case 'f':
			if (report_formats_parse(optarg, a->formats,
			    &a->n_formats, RUN_MAX_FORMATS, bad,
			    sizeof(bad)) != 0)
				return usage_error(ctx, "--format %s: text, "
				    "json, junit, tap or html", bad);
			break;
		case 'o':
			if (a->n_outputs == RUN_MAX_FORMATS)
				return usage_error(ctx, "%s: too many --output",
				    optarg);
			a->outputs[a->n_outputs++] = optarg;
			break;
		case 'k':
			o->keep = true;
			break;
		case 'v':
			a->verbose = true;
			break;
		case 'N':
			a->no_progress = true;
			break;
		case 'l':
			a->list_only = true;
			break;
		case 'T':
			if (cli_time_scale(ctx, "run", optarg,
			    &o->time_scale) != 0)
				return CLI_EXIT_USAGE;
			break;
		case 'E':
			if (cli_size(ctx, "run", "events-limit", optarg,
			    EVLOG_MIN_LIMIT, RUN_MAX_EVENTS_FILE,
			    &o->events_limit) != 0)
				return CLI_EXIT_USAGE;
			break;
		case 'W':
			if (cli_writable_add(ctx, "run", optarg, o->writable,
			    &o->n_writable, RUN_MAX_WRITABLE) != 0)
				return CLI_EXIT_USAGE;
			break;
		case 'B':
			a->baseline = optarg;
			break;
		default:
			cli_verb_usage(ctx, cli_verb_find("run"), false);
			return CLI_EXIT_USAGE;
		}
	}
	if (a->n_clients == 0 && a->rerun == NULL)
		a->client_names[a->n_clients++] = (char *)"reference";
	if (a->n_formats == 0)
		a->formats[a->n_formats++] = REPORT_TEXT;
	if (report_outputs_map(a->n_formats, a->outputs, a->n_outputs,
	    a->paths) != 0)
		return usage_error(ctx, "give one --output per --format, repeating -o FILE (the "
		    "first may be left to standard output)");
	return 0;
}

/*
 * The scenarios the arguments name (cli_select) and the catalogue's
 * controls.  0 or CLI_EXIT_USAGE.
 */
static int
select_scenarios(struct cli_ctx *ctx, int argc, char **argv,
    struct run_sel *r)
{
	struct cli_select *cs = &r->cs;
	size_t i;

	if (cli_select(ctx, "run", argv + optind, (size_t)(argc - optind),
	    cs) != 0)
		return CLI_EXIT_USAGE;
	r->ctl = xcalloc(cs->n_cat + 1, sizeof(*r->ctl));
	for (i = 0; i < cs->n_cat; i++)
		if (run_is_control(cs->cat[i]))
			r->ctl[r->n_ctl++] = cs->cat[i];
	return 0;
}

/* run_opts.cell_filter of --rerun-failed: arg is the old report. */
static bool
cell_failed(const struct run_cell *c, const void *arg)
{
	return cli_cell_failed(arg, c->s->id, c->client->name,
	    (int)c->policy);
}

/*
 * --rerun-failed: read the report into old; without --client, the
 * clients are those with a failed result, in the report's order.
 * 0, or CLI_EXIT_OK with *nothing set when nothing failed, or
 * CLI_EXIT_USAGE (said why).
 */
static int
rerun_load(struct cli_ctx *ctx, struct run_args *a, struct run_report *old,
    bool *nothing)
{
	size_t i, j, n_failed = 0;

	if (cli_read_report(a->rerun, old) != 0)
		return CLI_EXIT_USAGE;
	for (i = 0; i < old->n_results; i++) {
		const struct run_result *r = &old->results[i];

		if (!cli_result_failed(r))
			continue;
		n_failed++;
		if (a->clients_given)
			continue;
		for (j = 0; j < a->n_clients; j++)
			if (strcmp(a->client_names[j], r->client) == 0)
				break;
		if (j < a->n_clients)
			continue;
		if (a->n_clients == RUN_MAX_CLIENTS)
			return usage_error(ctx, "--rerun-failed %s: more than "
			    "%d clients failed; name some with --client",
			    a->rerun, RUN_MAX_CLIENTS);
		a->client_names[a->n_clients++] = r->client;
	}
	if (n_failed == 0) {
		printf("%s: nothing failed (%zu result%s), nothing to run\n",
		    a->rerun, old->n_results, old->n_results == 1 ? "" : "s");
		*nothing = true;
	}
	return 0;
}

/*
 * --rerun-failed: keep the selected scenarios with a failed result in
 * old.  A failed scenario that is neither in the catalogue nor a file
 * given is an error: it cannot be rerun, and must not vanish from the
 * rerun without a word.  0 or CLI_EXIT_USAGE.
 */
static int
rerun_select(struct cli_ctx *ctx, const struct run_args *a,
    const struct run_report *old, struct cli_select *cs)
{
	size_t i, j, n;
	bool found;

	for (i = 0; i < old->n_results; i++) {
		const char *id = old->results[i].scenario;

		if (!cli_result_failed(&old->results[i]))
			continue;
		found = false;
		for (j = 0; j < cs->n_cat && !found; j++)
			found = strcmp(cs->cat[j]->id, id) == 0;
		for (j = 0; j < cs->n_extra && !found; j++)
			found = strcmp(cs->extra[j]->id, id) == 0;
		if (!found)
			return usage_error(ctx, "--rerun-failed %s: scenario "
			    "%s is not in the catalogue (give its file)",
			    a->rerun, id);
	}
	for (i = n = 0; i < cs->n_sel; i++)
		if (cli_cell_failed(old, cs->sel[i]->id, NULL, -1))
			cs->sel[n++] = cs->sel[i];
	cs->n_sel = n;
	return 0;
}

/*
 * --time-scale: the selected scenarios' timelines stretched, once, here
 * (every cell, the schedule and the report read them).  The controls
 * of the environment check have no timeline.  0 or CLI_EXIT_USAGE.
 */
static int
scale_scenarios(struct run_sel *r, double f)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < r->cs.n_sel; i++)
		if (cli_scenario_scale(r->cs.sel[i], f) != 0)
			rc = CLI_EXIT_USAGE;
	return rc;
}

static void
run_sel_clear(struct run_sel *r)
{
	cli_select_clear(&r->cs);
	free(r->ctl);
	memset(r, 0, sizeof(*r));
}

/*
 * The reference profile, then each client's (the directories of
 * $DANELAB_CLIENTS first, then the built-in ones):
 * clients[i] is the reference itself where it is named, so that the
 * environment check reuses its cells.  Two names that load the same
 * profile name (a path and a name) are refused: their results would
 * collide in the report.  0 or CLI_EXIT_USAGE.
 */
static int
load_clients(const struct run_args *a, struct client_profile **reference,
    struct client_profile **clients)
{
	struct dl_diags d;
	size_t i, j;
	int rc = 0;

	dl_diags_init(&d);
	if (cli_profile_find("reference", reference, &d) != 0)
		rc = CLI_EXIT_USAGE;
	for (i = 0; i < a->n_clients && rc == 0; i++) {
		if (strcmp(a->client_names[i], "reference") == 0) {
			clients[i] = *reference;
			continue;
		}
		if (cli_profile_find(a->client_names[i], &clients[i],
		    &d) != 0) {
			rc = CLI_EXIT_USAGE;
			break;
		}
		for (j = 0; j < i; j++)
			if (strcmp(clients[j]->name, clients[i]->name) == 0) {
				dl_error(&d, clients[i]->file, 0, 0, "profile "
				    "%s is named twice in --client",
				    clients[i]->name);
				rc = CLI_EXIT_USAGE;
			}
		if (strcmp(clients[i]->name, "reference") == 0 &&
		    clients[i] != *reference) {
			dl_error(&d, clients[i]->file, 0, 0, "a profile "
			    "named reference that is not the reference "
			    "client");
			rc = CLI_EXIT_USAGE;
		}
	}
	dl_diags_print(&d, stderr);
	dl_diags_clear(&d);
	return rc;
}

/*
 * Every format to its place; the summary line on standard error when
 * no text report went to standard output (a run writing only files
 * still says how it went).  0 or CLI_EXIT_USAGE.
 */
static int
write_reports(struct cli_ctx *ctx, const struct run_args *a,
    const struct run_report *rep)
{
	struct report_opts ro;
	struct dl_diags d;
	bool text_out = false;
	char sum[256];
	size_t i;

	memset(&ro, 0, sizeof(ro));
	ro.verbose = a->verbose;
	ro.color = ctx->color;
	dl_diags_init(&d);
	for (i = 0; i < a->n_formats; i++) {
		if (report_write_path(rep, a->formats[i], &ro, a->paths[i],
		    &d) != 0) {
			dl_diags_print(&d, stderr);
			dl_diags_clear(&d);
			return CLI_EXIT_USAGE;
		}
		if (a->formats[i] == REPORT_TEXT && (a->paths[i] == NULL ||
		    strcmp(a->paths[i], "-") == 0))
			text_out = true;
	}
	dl_diags_clear(&d);
	if (!text_out)
		fprintf(stderr, "%s\n", report_summary(rep, sum, sizeof(sum)));
	return 0;
}

/* Does the plan hold a cell for the report (not only the env check)? */
static bool
plans_report(const struct run_cell *cells, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (cells[i].report)
			return true;
	return false;
}

static void
list_cells(const struct run_cell *cells, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		printf("%s%s %s %s%s\n", cells[i].env_check ? "(env check) " : "",
		    cells[i].s->id, cells[i].client->name,
		    scen_policy_name(cells[i].policy),
		    run_cell_span(&cells[i]) > 0 ? " (timeline)" : "");
}

int
cmd_run(struct cli_ctx *ctx, int argc, char **argv)
{
	struct run_args a;
	struct run_sel sel;
	struct client_profile *clients[RUN_MAX_CLIENTS] = { NULL };
	struct client_profile *reference = NULL;
	struct run_cell *cells = NULL;
	struct run_report rep, old, base;
	struct run_opts o;
	struct dl_diags d;
	char exe[PATH_MAX], keep_root[PATH_MAX];
	size_t n_cells, i;
	bool nothing = false;
	int rc;

	memset(&a, 0, sizeof(a));
	memset(&old, 0, sizeof(old));
	memset(&sel, 0, sizeof(sel));
	memset(&o, 0, sizeof(o));
	memset(&rep, 0, sizeof(rep));
	memset(&base, 0, sizeof(base));
	a.cs = &sel.cs;
	if ((rc = parse_args(ctx, argc, argv, &a, &o)) != 0)
		goto out;
	/* a bad baseline is an error before the run, not after it */
	if (a.baseline != NULL && (rc = cli_read_report(a.baseline,
	    &base)) != 0)
		goto out;
	if (a.rerun != NULL) {
		if ((rc = rerun_load(ctx, &a, &old, &nothing)) != 0 ||
		    nothing)
			goto out;
		o.cell_filter = cell_failed;
		o.cell_filter_arg = &old;
	}
	if ((rc = select_scenarios(ctx, argc, argv, &sel)) != 0 ||
	    (a.rerun != NULL &&
	    (rc = rerun_select(ctx, &a, &old, &sel.cs)) != 0) ||
	    (rc = scale_scenarios(&sel, o.time_scale)) != 0 ||
	    (rc = load_clients(&a, &reference, clients)) != 0)
		goto out;
	dl_diags_init(&d);
	for (i = 0; i < a.n_clients; i++) {
		profile_deviations_check(clients[i], sel.cs.cat, sel.cs.n_cat,
		    &d);
		profile_runtime_check(clients[i], sel.cs.sel, sel.cs.n_sel,
		    o.time_scale, &d);
	}
	dl_diags_print(&d, stderr);
	dl_diags_clear(&d);
	rc = CLI_EXIT_USAGE;
	if (cli_self_exe(ctx, "run", exe, sizeof(exe)) != 0)
		goto out;
	o.danelab = exe;
	o.fixtures_dir = ctx->fixtures_dir;
	o.color = ctx->color;
	o.progress = !a.no_progress && !a.list_only && isatty(STDERR_FILENO);

	n_cells = run_plan(sel.cs.sel, sel.cs.n_sel,
	    (const struct client_profile *const *)clients, a.n_clients,
	    reference, sel.ctl,
	    sel.n_ctl, &o, &cells);
	if (a.rerun != NULL && !plans_report(cells, n_cells)) {
		printf("%s: no failed cell among those selected, nothing to "
		    "run\n", a.rerun);
		rc = CLI_EXIT_OK;
		goto out;
	}
	if (a.list_only) {
		list_cells(cells, n_cells);
		rc = CLI_EXIT_OK;
		goto out;
	}
	if (o.keep) {
		const char *tmp = getenv("TMPDIR");

		snprintf(keep_root, sizeof(keep_root), "%s/danelab-keep-XXXXXX",
		    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
		if (mkdtemp(keep_root) == NULL) {
			fprintf(stderr, "%s run: %s: %s\n", ctx->prog,
			    keep_root, strerror(errno));
			goto out;
		}
		o.keep_root = keep_root;
	}
	dl_diags_init(&d);
	rc = run_execute(cells, n_cells, &o, &rep, &d);
	dl_diags_print(&d, stderr);
	dl_diags_clear(&d);
	if (rc != 0) {
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	if ((rc = write_reports(ctx, &a, &rep)) != 0)
		goto out;
	if (o.keep && rmdir(keep_root) != 0)
		fprintf(stderr, "%s run: kept the directories of failed cells "
		    "in %s\n", ctx->prog, keep_root);
	rc = report_exit_code(&rep);
	if (a.baseline != NULL)
		rc = report_diff_baseline(&base, a.baseline, &rep, rc, stderr);
	if (rep.interrupted)
		fprintf(stderr, "%s run: interrupted\n", ctx->prog);
out:
	report_clear(&rep);
	report_clear(&old);
	report_clear(&base);
	free(cells);
	for (i = 0; i < a.n_clients; i++)
		if (clients[i] != reference)
			profile_free(clients[i]);
	profile_free(reference);
	free(a.client_arg);
	run_sel_clear(&sel);
	return rc;
}
