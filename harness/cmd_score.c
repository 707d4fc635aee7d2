/*
 * cmd_score.c -- `danelab score`: score evidence again, without running
 * anything: a cell kept by `danelab run --keep` (after editing a
 * profile's claims, exit statuses or deviations), or a hand-written
 * event log (EVENTS.md) with the client's output and exit status.  The
 * scorer is the one `danelab run` uses (harness/run/run_score.c); the
 * results are rendered in any report format.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "danelab_config.h"
#include "harness/cli.h"
#include "harness/lab/lab.h"
#include "harness/run/run.h"
#include "simulator/util/file.h"
#include "simulator/util/xmem.h"

struct score_args {
	const char *cell;	/* --cell DIR */
	const char *events;	/* --events FILE */
	const char *client;	/* --client NAME|FILE */
	const char *out;	/* --client-output FILE */
	const char *phase;	/* --phase NAME */
	int policy;		/* -1: unset */
	int status;		/* --status N, or INT_MIN */
	bool timed_out;
	enum report_format formats[REPORT_FORMAT_COUNT];
	size_t n_formats;
	char *outputs[REPORT_FORMAT_COUNT];
	size_t n_outputs;
	struct report_opts opts;
};


/*
 * DIR/cell.json: scenario file, client file, policy, time scale (absent
 * in cells kept before it: 1).
 */
#define CELL_FILE_MAX (64 * 1024) /* cell.json is a few hundred bytes */

static int
read_cell_file(const char *prog, const char *dir, char **scen, char **client,
    int *policy, double *time_scale)
{
	json_t *ts;
	char path[PATH_MAX + 32];
	json_error_t err;
	struct dl_diags d;
	json_t *o = NULL;
	const char *s, *c, *p;
	char *text = NULL;
	size_t len = 0;
	int rc = 0;

	/*
	 * dl_read_file, not json_load_file: a FIFO is refused instead of
	 * read forever, the size is bounded, and a file that is not JSON is
	 * not quoted back (jansson's message shows the text "near" it).
	 */
	snprintf(path, sizeof(path), "%s/%s", dir, RUN_CELL_FILE);
	dl_diags_init(&d);
	if (dl_read_file(path, CELL_FILE_MAX, &text, &len, &d) == 0 &&
	    len > 0 && text[strspn(text, " \t\r\n")] == '{')
		o = json_loadb(text, len, 0, &err);
	free(text);
	if (o == NULL) {
		if (d.n > 0)
			dl_diags_print(&d, stderr);
		else
			fprintf(stderr,
			    "%s score: %s: not the cell.json of "
			    "a kept cell\n",
			    prog, path);
		fprintf(stderr,
		    "%s score: is %s a cell kept by 'danelab "
		    "run --keep'?\n",
		    prog, dir);
		dl_diags_clear(&d);
		return CLI_EXIT_USAGE;
	}
	dl_diags_clear(&d);
	s = json_string_value(json_object_get(o, "scenario"));
	c = json_string_value(json_object_get(o, "client"));
	p = json_string_value(json_object_get(o, "policy"));
	ts = json_object_get(o, "time_scale");
	*time_scale = ts != NULL ? json_number_value(ts) : 1.0;
	if (ts != NULL && (!json_is_number(ts) ||
	    *time_scale < SCEN_TIME_SCALE_MIN ||
	    *time_scale > SCEN_TIME_SCALE_MAX)) {
		fprintf(stderr, "%s score: %s: \"time_scale\" is not a number "
		    "from %g to %g\n", prog, path, SCEN_TIME_SCALE_MIN,
		    SCEN_TIME_SCALE_MAX);
		rc = CLI_EXIT_USAGE;
	} else if (s == NULL || c == NULL || p == NULL ||
	    (*policy = scen_policy_parse(p)) < 0) {
		fprintf(stderr, "%s score: %s: needs \"scenario\", \"client\" "
		    "and \"policy\"\n", prog, path);
		rc = CLI_EXIT_USAGE;
	} else {
		*scen = xstrdup(s);
		if (*client == NULL)
			*client = xstrdup(c);
	}
	json_decref(o);
	return rc;
}

static int
parse_args(struct cli_ctx *ctx, int argc, char **argv, struct score_args *a)
{
	static const struct option opts[] = {
	    {"cell", required_argument, NULL, 'K'},
	    {"events", required_argument, NULL, 'e'},
	    {"client", required_argument, NULL, 'c'},
	    {"client-output", required_argument, NULL, 'O'},
	    {"policy", required_argument, NULL, 'P'},
	    {"phase", required_argument, NULL, 'p'},
	    {"status", required_argument, NULL, 'S'},
	    {"timed-out", no_argument, NULL, 'T'},
	    {"format", required_argument, NULL, 'f'},
	    {"output", required_argument, NULL, 'o'},
	    {"verbose", no_argument, NULL, 'v'},
	    {NULL, 0, NULL, 0},
	};
	char bad[64], *end;
	long v;
	int c;

	while ((c = getopt_long(argc, argv, "c:P:f:o:v", opts, NULL)) != -1) {
		switch (c) {
		case 'K':
			a->cell = optarg;
			break;
		case 'e':
			a->events = optarg;
			break;
		case 'c':
			a->client = optarg;
			break;
		case 'O':
			a->out = optarg;
			break;
		case 'P':
			if ((a->policy = scen_policy_parse(optarg)) < 0) {
				fprintf(stderr, "%s score: unknown policy \"%s\" "
				    "(dane or dane-only)\n", ctx->prog, optarg);
				return CLI_EXIT_USAGE;
			}
			break;
		case 'p':
			a->phase = optarg;
			break;
		case 'S':
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || end == optarg ||
			    v < -1 || v > 255 + 128) {
				fprintf(stderr, "%s score: --status must be an "
				    "exit status (0..383, -1)\n", ctx->prog);
				return CLI_EXIT_USAGE;
			}
			a->status = (int)v;
			break;
		case 'T':
			a->timed_out = true;
			break;
		case 'f':
			if (report_formats_parse(optarg, a->formats,
			    &a->n_formats, REPORT_FORMAT_COUNT, bad,
			    sizeof(bad)) != 0) {
				fprintf(stderr, "%s score: unknown or repeated "
				    "format \"%s\"\n", ctx->prog, bad);
				return CLI_EXIT_USAGE;
			}
			break;
		case 'o':
			if (a->n_outputs == REPORT_FORMAT_COUNT) {
				fprintf(stderr, "%s score: too many --output\n",
				    ctx->prog);
				return CLI_EXIT_USAGE;
			}
			a->outputs[a->n_outputs++] = optarg;
			break;
		case 'v':
			a->opts.verbose = true;
			break;
		default:
			return CLI_EXIT_USAGE;
		}
	}
	if (a->n_formats == 0)
		a->formats[a->n_formats++] = REPORT_TEXT;
	return 0;
}

/*
 * A hand-written log: the run of the moment scored (a timeline's phase
 * index, else 0) from its client.start/end, or made up from --status
 * (every session then belongs to it).
 */
static int
fix_run(const char *prog, struct run_events *ev, int index,
    const struct score_args *a)
{
	struct run_client_run *r = NULL;
	size_t i;

	for (i = 0; i < ev->n_runs; i++)
		if (ev->runs[i].index == index)
			r = &ev->runs[i];
	if (r == NULL) {
		if (a->status == INT_MIN) {
			fprintf(stderr, "%s score: the events have no "
			    "client.end for run %d: give --status\n", prog,
			    index);
			return CLI_EXIT_USAGE;
		}
		if (ev->runs == NULL)
			ev->runs = xcalloc(RUN_MAX_CLIENT_RUNS,
			    sizeof(*ev->runs));
		if (ev->n_runs == RUN_MAX_CLIENT_RUNS)
			return CLI_EXIT_USAGE;
		r = &ev->runs[ev->n_runs++];
		memset(r, 0, sizeof(*r));
		r->index = index;
		r->t_start = -1;
		r->t_end = 1e18;
	}
	if (a->status != INT_MIN)
		r->status = a->status;
	if (a->timed_out)
		r->timed_out = true;
	if (r->t_end < 0)
		r->t_end = 1e18;
	return 0;
}

/* The client's output of run index under prefix: copy --client-output. */
static int
stage_output(const char *prog, const char *src, const char *prefix, int index)
{
	char path[PATH_MAX + 64];
	char *text;
	size_t len;
	FILE *fp;
	struct dl_diags d;

	dl_diags_init(&d);
	if (dl_read_file(src, RUN_MAX_CLIENT_OUTPUT, &text, &len, &d) != 0) {
		dl_diags_print(&d, stderr);
		dl_diags_clear(&d);
		fprintf(stderr, "%s score: cannot read the client output\n",
		    prog);
		return CLI_EXIT_USAGE;
	}
	snprintf(path, sizeof(path), "%s.%d.out", prefix, index);
	fp = fopen(path, "we");
	if (fp == NULL || fwrite(text, 1, len, fp) != len) {
		if (fp != NULL)
			fclose(fp);
		free(text);
		return CLI_EXIT_USAGE;
	}
	fclose(fp);
	free(text);
	return 0;
}

/* " (phases: a, b, c)\n", or " (it has no timeline)\n", on stderr. */
static void
print_phases(const struct scenario *s)
{
	size_t i;

	if (s->n_phases == 0) {
		fputs(" (it has no timeline)\n", stderr);
		return;
	}
	fputs(" (phases:", stderr);
	for (i = 0; i < s->n_phases; i++)
		fprintf(stderr, "%s %s", i ? "," : "", s->phases[i].name);
	fputs(")\n", stderr);
}

/* What is scored: loaded from the arguments. */
struct score_in {
	struct scenario *s;
	struct client_profile *p;
	struct run_events ev;
	int phase;		/* --phase, or -1 */
	char prefix[PATH_MAX + 32];	/* client outputs PREFIX.<i>.out */
	char tmp[32];		/* staging directory, or "" */
};

static void
score_in_clear(struct score_in *in)
{
	if (in->tmp[0] != '\0')
		lab_tmp_remove(in->tmp);
	run_events_clear(&in->ev);
	profile_free(in->p);
	scenario_free(in->s);
	memset(in, 0, sizeof(*in));
}

/*
 * The scenario, the profile, the events and where the outputs are: from
 * a kept cell, or from the arguments (the output staged in a temporary
 * directory).  0 or CLI_EXIT_USAGE (said why).
 */
static int
score_load(struct cli_ctx *ctx, int argc, char **argv, struct score_args *a,
    struct score_in *in)
{
	char *scen = NULL, *client = a->client ? xstrdup(a->client) : NULL;
	char events[PATH_MAX + 32], path[PATH_MAX + 48];
	double time_scale = 1.0;
	struct dl_diags d;
	int rc = CLI_EXIT_USAGE, index;

	in->phase = -1;
	dl_diags_init(&d);
	if (a->cell != NULL) {
		if (optind != argc || a->events != NULL || a->out != NULL ||
		    a->policy >= 0 || a->phase != NULL ||
		    a->status != INT_MIN || a->timed_out) {
			fprintf(stderr, "%s score: --cell takes the scenario, "
			    "policy, events, outputs and exit statuses from the "
			    "cell (only --client may change)\n", ctx->prog);
			goto out;
		}
		if (read_cell_file(ctx->prog, a->cell, &scen, &client,
		    &a->policy, &time_scale) != 0)
			goto out;
		snprintf(events, sizeof(events), "%s/events.jsonl", a->cell);
		/* client/out.N.out; a cell kept before the sandbox: client.N.out. */
		snprintf(in->prefix, sizeof(in->prefix), "%s/client/out",
		    a->cell);
		snprintf(path, sizeof(path), "%s.0.out", in->prefix);
		if (access(path, F_OK) != 0)
			snprintf(in->prefix, sizeof(in->prefix), "%s/client",
			    a->cell);
	} else {
		if (optind + 1 != argc || a->events == NULL) {
			fprintf(stderr, "%s score: give a SCENARIO and --events "
			    "FILE, or --cell DIR\n", ctx->prog);
			goto out;
		}
		scen = xstrdup(argv[optind]);
		snprintf(events, sizeof(events), "%s", a->events);
		/* Like run's: in $TMPDIR, swept if this process is killed. */
		if (lab_tmp_create("score-", in->tmp, sizeof(in->tmp),
		    &d) != 0) {
			in->tmp[0] = '\0';
			goto out;
		}
		snprintf(in->prefix, sizeof(in->prefix), "%s/client", in->tmp);
	}
	if (cli_scenario(ctx, scen, &in->s) != 0 ||
	    cli_scenario_scale(in->s, time_scale) != 0)
		goto out;
	if (cli_profile_find(client ? client : "reference", &in->p,
	    &d) != 0)
		goto out;
	if (a->phase != NULL &&
	    (in->phase = scenario_phase_index(in->s, a->phase)) < 0) {
		fprintf(stderr, "%s score: %s has no phase \"%s\"", ctx->prog,
		    in->s->id, a->phase);
		print_phases(in->s);
		goto out;
	}
	if (in->p->n_devs > 0) {
		struct scenario **cat = NULL, **all;
		size_t n_cat = 0;

		/* Deviations that name nothing (the catalogue, this one). */
		if (cli_catalogue(ctx, &cat, &n_cat) != 0)
			n_cat = 0;
		all = xcalloc(n_cat + 1, sizeof(*all));
		if (n_cat > 0)
			memcpy(all, cat, n_cat * sizeof(*all));
		all[n_cat] = in->s;
		profile_deviations_check(in->p, all, n_cat + 1, &d);
		free(all);
		scenario_list_free(cat, n_cat);
	}
	if (access(events, R_OK) != 0) {
		fprintf(stderr, "%s score: %s: %s\n", ctx->prog, events,
		    strerror(errno));
		goto out;
	}
	if (run_events_read(events, &in->ev, &d) != 0)
		goto out;
	rc = 0;
	if (a->cell != NULL)
		goto out;
	if (in->s->n_phases > 0 && in->phase < 0) {
		fprintf(stderr, "%s score: %s has a timeline: give --phase",
		    ctx->prog, in->s->id);
		print_phases(in->s);
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	index = in->phase >= 0 ? in->phase : 0;
	if ((rc = fix_run(ctx->prog, &in->ev, index, a)) == 0 &&
	    a->out != NULL)
		rc = stage_output(ctx->prog, a->out, in->prefix, index);
out:
	dl_diags_print(&d, stderr);
	dl_diags_clear(&d);
	free(scen);
	free(client);
	return rc;
}

/* Score every moment (or the phase asked for) into rep. */
static void
score_all(const struct score_args *a, struct score_in *in,
    struct run_report *rep)
{
	struct run_cell cell;
	size_t i, n = 0;

	memset(&cell, 0, sizeof(cell));
	cell.s = in->s;
	cell.client = in->p;
	cell.policy = a->policy >= 0 ? (enum scen_policy)a->policy
				     : SCEN_POLICY_DANE;
	run_report_start(in->s, "none (scored again)", rep);
	rep->shard_k = rep->shard_n = 1;
	run_score_moments(&cell, &in->ev, in->prefix, rep);
	if (in->phase < 0)
		return;
	for (i = 0; i < rep->n_results; i++) {
		if (rep->results[i].phase_index == in->phase)
			rep->results[n++] = rep->results[i];
		else
			run_result_clear(&rep->results[i]);
	}
	rep->n_results = n;
}

int
cmd_score(struct cli_ctx *ctx, int argc, char **argv)
{
	const struct cli_verb *v = cli_verb_find("score");
	const char *paths[REPORT_FORMAT_COUNT];
	struct score_args a;
	struct score_in in;
	struct run_report rep;
	struct dl_diags d;
	bool text_out = false;
	char sum[256];
	size_t i;
	int rc;

	if (argc >= 2 && cli_is_help(argv[1])) {
		cli_verb_usage(ctx, v, true);
		return CLI_EXIT_OK;
	}
	memset(&a, 0, sizeof(a));
	memset(&in, 0, sizeof(in));
	memset(&rep, 0, sizeof(rep));
	a.policy = -1;
	a.status = INT_MIN;
	a.opts.color = ctx->color;
	if ((rc = parse_args(ctx, argc, argv, &a)) != 0) {
		cli_verb_usage(ctx, v, false);
		return rc;
	}
	if (report_outputs_map(a.n_formats, a.outputs, a.n_outputs,
	    paths) != 0) {
		fprintf(stderr, "%s score: give one --output per format (repeat -o FILE), or "
		    "one fewer for the first to go to standard output\n",
		    ctx->prog);
		return CLI_EXIT_USAGE;
	}
	if ((rc = score_load(ctx, argc, argv, &a, &in)) != 0) {
		score_in_clear(&in);
		return rc;
	}
	score_all(&a, &in, &rep);
	dl_diags_init(&d);
	for (i = 0; i < a.n_formats && rc == 0; i++) {
		if (report_write_path(&rep, a.formats[i], &a.opts, paths[i],
		    &d) != 0)
			rc = CLI_EXIT_USAGE;
		if (a.formats[i] == REPORT_TEXT && (paths[i] == NULL ||
		    strcmp(paths[i], "-") == 0))
			text_out = true;
	}
	if (rc == 0 && !text_out)
		fprintf(stderr, "%s\n", report_summary(&rep, sum, sizeof(sum)));
	dl_diags_print(&d, stderr);
	dl_diags_clear(&d);
	if (rc == 0)
		rc = report_exit_code(&rep);
	report_clear(&rep);
	score_in_clear(&in);
	return rc;
}
