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
#include <sys/stat.h>
#include <unistd.h>

#include "danelab_config.h"
#include "harness/cli.h"
#include "harness/run/run.h"
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

/*
 * Does scenario s match the argument: its id, its file, or a folder of
 * the catalogue ("dnssec" or "dnssec/")?
 */
static bool
selects(const struct scenario *s, const char *arg)
{
	size_t n = strlen(arg);

	if (strcmp(s->id, arg) == 0)
		return true;
	if (n > 0 && arg[n - 1] == '/')
		n--;
	return n > 0 && strncmp(s->id, arg, n) == 0 && s->id[n] == '/';
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

int
cmd_run(struct cli_ctx *ctx, int argc, char **argv)
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
	    {NULL, 0, NULL, 0},
	};
	const struct cli_verb *v = cli_verb_find("run");
	const char *client_name = "reference", *clients_dir;
	char *outputs[RUN_MAX_FORMATS];
	const char *paths[RUN_MAX_FORMATS];
	char bad[64];
	enum report_format formats[RUN_MAX_FORMATS];
	size_t n_formats = 0, n_outputs = 0, n_sel = 0, n_ctl = 0, n_cells;
	size_t i, j;
	struct scenario **cat = NULL, **sel = NULL, **ctl = NULL;
	struct scenario **extra = NULL;
	size_t n_cat = 0, n_extra = 0;
	struct client_profile *client = NULL, *reference = NULL;
	struct run_cell *cells = NULL;
	struct run_report rep;
	struct report_opts ro;
	struct run_opts o;
	struct dl_diags d;
	char exe[PATH_MAX], keep_root[PATH_MAX];
	bool list_only = false, verbose = false, no_progress = false;
	long ncpu;
	ssize_t el;
	int c, rc = CLI_EXIT_USAGE;

	memset(&o, 0, sizeof(o));
	memset(&rep, 0, sizeof(rep));
	o.policies[SCEN_POLICY_DANE] = o.policies[SCEN_POLICY_DANE_ONLY] = true;
	o.shard_k = o.shard_n = 1;
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	o.jobs = ncpu > 0 ? (unsigned)ncpu : 1;
	while ((c = getopt_long(argc, argv, "c:P:j:s:f:o:kvl", opts, NULL)) !=
	    -1) {
		switch (c) {
		case 'c':
			client_name = optarg;
			break;
		case 'P':
			if (strcmp(optarg, "both") == 0)
				break;
			o.policies[SCEN_POLICY_DANE] =
			    strcmp(optarg, "dane") == 0;
			o.policies[SCEN_POLICY_DANE_ONLY] =
			    strcmp(optarg, "dane-only") == 0;
			if (!o.policies[0] && !o.policies[1])
				return usage_error(ctx, "--policy %s: dane, "
				    "dane-only or both", optarg);
			break;
		case 'j': {
			char *end;
			unsigned long jv;

			errno = 0;
			jv = strtoul(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || jv == 0 ||
			    jv > RUN_MAX_JOBS)
				return usage_error(ctx, "--jobs %s: a number "
				    "from 1 to 64", optarg);
			o.jobs = (unsigned)jv;
			break;
		}
		case 's':
			if (parse_shard(optarg, &o.shard_k, &o.shard_n) != 0)
				return usage_error(ctx, "--shard %s: K/N with "
				    "1 <= K <= N", optarg);
			break;
		case 'f':
			if (report_formats_parse(optarg, formats, &n_formats,
			    RUN_MAX_FORMATS, bad, sizeof(bad)) != 0)
				return usage_error(ctx, "--format %s: text, "
				    "json, junit, tap or html", bad);
			break;
		case 'o':
			if (n_outputs == RUN_MAX_FORMATS)
				return usage_error(ctx, "%s: too many --output",
				    optarg);
			outputs[n_outputs++] = optarg;
			break;
		case 'k':
			o.keep = true;
			break;
		case 'v':
			verbose = true;
			break;
		case 'N':
			no_progress = true;
			break;
		case 'l':
			list_only = true;
			break;
		default:
			cli_verb_usage(ctx, v, false);
			return CLI_EXIT_USAGE;
		}
	}
	if (n_formats == 0)
		formats[n_formats++] = REPORT_TEXT;
	if (report_outputs_map(n_formats, outputs, n_outputs, paths) != 0) {
		fprintf(stderr, "%s run: give one --output per --format (the "
		    "first may be left to standard output)\n", ctx->prog);
		return CLI_EXIT_USAGE;
	}

	/* Scenarios: the catalogue, or what the arguments pick. */
	if (cli_catalogue(ctx, &cat, &n_cat) != 0)
		return CLI_EXIT_USAGE;
	sel = xcalloc(n_cat + (size_t)argc + 1, sizeof(*sel));
	extra = xcalloc((size_t)argc + 1, sizeof(*extra));
	if (optind >= argc) {
		for (i = 0; i < n_cat; i++)
			sel[n_sel++] = cat[i];
	}
	for (i = (size_t)optind; i < (size_t)argc; i++) {
		bool any = false;
		struct stat st;

		for (j = 0; j < n_cat; j++)
			if (selects(cat[j], argv[i])) {
				size_t k;
				bool dup = false;

				for (k = 0; k < n_sel; k++)
					dup |= sel[k] == cat[j];
				if (!dup)
					sel[n_sel++] = cat[j];
				any = true;
			}
		if (any)
			continue;
		if (stat(argv[i], &st) == 0 && S_ISREG(st.st_mode)) {
			if (cli_scenario(ctx, argv[i], &extra[n_extra]) != 0)
				goto out;
			sel[n_sel++] = extra[n_extra++];
			continue;
		}
		fprintf(stderr, "%s run: %s: no such scenario, folder or file "
		    "(try '%s list')\n", ctx->prog, argv[i], ctx->prog);
		goto out;
	}
	ctl = xcalloc(n_cat + 1, sizeof(*ctl));
	for (i = 0; i < n_cat; i++)
		if (run_is_control(cat[i]))
			ctl[n_ctl++] = cat[i];

	/* Clients. */
	clients_dir = getenv("DANELAB_CLIENTS");
	if (clients_dir == NULL || *clients_dir == '\0')
		clients_dir = DANELAB_CLIENTS_DIR;
	dl_diags_init(&d);
	if (profile_find(clients_dir, "reference", &reference, &d) != 0 ||
	    (strcmp(client_name, "reference") != 0 &&
		profile_find(clients_dir, client_name, &client, &d) != 0)) {
		dl_diags_print(&d, stderr);
		dl_diags_clear(&d);
		goto out;
	}
	dl_diags_clear(&d);
	if (client == NULL)
		client = reference;

	el = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (el <= 0) {
		fprintf(stderr, "%s run: cannot find this executable: %s\n",
		    ctx->prog, strerror(errno));
		goto out;
	}
	exe[el] = '\0';
	o.danelab = exe;
	o.fixtures_dir = ctx->fixtures_dir;
	o.color = ctx->color;
	o.progress = !no_progress && !list_only && isatty(STDERR_FILENO);

	n_cells = run_plan(sel, n_sel, client, reference, ctl, n_ctl, &o,
	    &cells);
	if (list_only) {
		for (i = 0; i < n_cells; i++)
			printf("%s%s %s %s%s\n",
			    cells[i].env_check ? "(env check) " : "",
			    cells[i].s->id, cells[i].client->name,
			    scen_policy_name(cells[i].policy),
			    run_cell_span(&cells[i]) > 0 ? " (timeline)" : "");
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
	if (run_execute(cells, n_cells, &o, &rep, &d) != 0) {
		dl_diags_print(&d, stderr);
		dl_diags_clear(&d);
		goto out;
	}
	dl_diags_clear(&d);
	memset(&ro, 0, sizeof(ro));
	ro.verbose = verbose;
	ro.color = ctx->color;
	dl_diags_init(&d);
	for (i = 0; i < n_formats; i++) {
		if (report_write_path(&rep, formats[i], &ro, paths[i],
		    &d) != 0) {
			dl_diags_print(&d, stderr);
			dl_diags_clear(&d);
			rc = CLI_EXIT_USAGE;
			goto out;
		}
	}
	dl_diags_clear(&d);
	if (o.keep) {
		if (rmdir(keep_root) != 0)
			fprintf(stderr, "%s run: kept the directories of failed "
			    "cells in %s\n", ctx->prog, keep_root);
	}
	rc = report_exit_code(&rep);
	if (rep.interrupted)
		fprintf(stderr, "%s run: interrupted\n", ctx->prog);
out:
	report_clear(&rep);
	free(cells);
	if (client != reference)
		profile_free(client);
	profile_free(reference);
	for (i = 0; i < n_extra; i++)
		scenario_free(extra[i]);
	free(extra);
	free(sel);
	free(ctl);
	scenario_list_free(cat, n_cat);
	return rc;
}
