/*
 * cmd_report.c -- `danelab report merge|show|diff`: JSON run reports
 * (written by `danelab run --format json`) read back, shards merged into
 * one, rendered in any report format (harness/report/), or two of them
 * compared (report_diff.c).
 *
 * Output files are replaced atomically: written to a temporary file in
 * the same directory and renamed over the target, so that a reader (or
 * a CI job collecting artefacts) never sees half a report.  A target
 * that exists and is not a regular file (/dev/stdout, a FIFO) is
 * written in place instead.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/cli.h"
#include "harness/report/report.h"
#include "simulator/util/xmem.h"

#define REPORT_MAX_OUTPUTS REPORT_FORMAT_COUNT

struct report_args {
	enum report_format formats[REPORT_MAX_OUTPUTS];
	size_t n_formats;
	char *outputs[REPORT_MAX_OUTPUTS];
	size_t n_outputs;
	struct report_opts opts;
};

int
cli_read_report(const char *path, struct run_report *out)
{
	struct dl_diags d;
	int rc;

	dl_diags_init(&d);
	rc = report_read_json(path, out, &d);
	dl_diags_print(&d, stderr);
	dl_diags_clear(&d);
	return rc != 0 ? CLI_EXIT_USAGE : 0;
}

/* Read every file and merge them into *out.  Diagnostics printed. */
static int
read_all(char **files, size_t n,
    struct run_report *out)
{
	struct run_report next;
	struct dl_diags d;
	size_t i;
	int rc = 0;

	dl_diags_init(&d);
	memset(out, 0, sizeof(*out));
	rc = report_read_json(files[0], out, &d);
	for (i = 1; rc == 0 && i < n; i++) {
		rc = report_read_json(files[i], &next, &d);
		if (rc == 0) {
			rc = report_merge(out, &next, files[i], &d);
			report_clear(&next);
		}
	}
	dl_diags_print(&d, stderr);
	dl_diags_clear(&d);
	if (rc != 0) {
		report_clear(out);
		return CLI_EXIT_USAGE;
	}
	return 0;
}

/*
 * diff OLD NEW: every format of a to its place.  0 not worse, 1 worse,
 * CLI_EXIT_USAGE for a file that is not a report or a format a diff
 * does not have.
 */
static int
diff_reports(struct cli_ctx *ctx, const struct report_args *a,
    const char *const *paths, char **files)
{
	struct run_report old, new;
	struct report_diff diff;
	struct dl_diags d;
	size_t i;
	int rc;

	for (i = 0; i < a->n_formats; i++)
		if (a->formats[i] == REPORT_TAP) {
			fprintf(stderr, "%s report diff: no tap format (text, "
			    "json, junit, html)\n", ctx->prog);
			return CLI_EXIT_USAGE;
		}
	if ((rc = cli_read_report(files[0], &old)) != 0)
		return rc;
	if ((rc = cli_read_report(files[1], &new)) != 0) {
		report_clear(&old);
		return rc;
	}
	report_diff_compute(&old, &new, &diff);
	dl_diags_init(&d);
	rc = report_diff_worse(&diff) ? CLI_EXIT_FAIL : CLI_EXIT_OK;
	for (i = 0; i < a->n_formats; i++) {
		if (report_diff_write_path(&diff, a->formats[i], files[0],
		    files[1], paths[i], &d) != 0) {
			dl_diags_print(&d, stderr);
			rc = CLI_EXIT_USAGE;
			break;
		}
	}
	dl_diags_clear(&d);
	report_diff_clear(&diff);
	report_clear(&old);
	report_clear(&new);
	return rc;
}

int
cmd_report(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"format", required_argument, NULL, 'f'},
	    {"output", required_argument, NULL, 'o'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"no-color", no_argument, NULL, 'C'},
	    {NULL, 0, NULL, 0},
	};
	const struct cli_verb *v = cli_verb_find("report");
	struct report_args a;
	struct run_report r;
	const char *paths[REPORT_MAX_OUTPUTS];
	char bad[64];
	struct dl_diags d;
	bool merge, diff = false;
	size_t i;
	int c, rc;

	memset(&a, 0, sizeof(a));
	if (argc < 2 || cli_is_help(argv[1])) {
		cli_verb_usage(ctx, v, argc >= 2);
		return argc >= 2 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
	}
	if (strcmp(argv[1], "merge") == 0) {
		merge = true;
	} else if (strcmp(argv[1], "show") == 0) {
		merge = false;
	} else if (strcmp(argv[1], "diff") == 0) {
		merge = false;
		diff = true;
	} else {
		fprintf(stderr, "%s report: unknown action \"%s\" (merge, "
		    "show or diff)\n", ctx->prog, argv[1]);
		cli_verb_usage(ctx, v, false);
		return CLI_EXIT_USAGE;
	}
	a.opts.color = ctx->color;
	argc--;
	argv++;
	while ((c = getopt_long(argc, argv, "f:o:v", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (report_formats_parse(optarg, a.formats,
			    &a.n_formats, REPORT_MAX_OUTPUTS, bad,
			    sizeof(bad)) != 0) {
				fprintf(stderr, "%s report: unknown or repeated "
				    "format \"%s\" (text, json, junit, tap, "
				    "html)\n", ctx->prog, bad);
				return CLI_EXIT_USAGE;
			}
			break;
		case 'o':
			if (a.n_outputs == REPORT_MAX_OUTPUTS) {
				fprintf(stderr, "%s report: at most %d "
				    "--output\n", ctx->prog,
				    REPORT_MAX_OUTPUTS);
				return CLI_EXIT_USAGE;
			}
			a.outputs[a.n_outputs++] = optarg;
			break;
		case 'v':
			a.opts.verbose = true;
			break;
		case 'C':
			a.opts.color = false;
			break;
		default:
			cli_verb_usage(ctx, v, false);
			return CLI_EXIT_USAGE;
		}
	}
	if (a.n_formats == 0)
		a.formats[a.n_formats++] = merge ? REPORT_JSON : REPORT_TEXT;
	if (argc - optind < 1 || (diff && argc - optind != 2) ||
	    (!merge && !diff && argc - optind != 1)) {
		fprintf(stderr, "%s report %s: %s\n", ctx->prog, argv[0],
		    merge ? "give the JSON reports to merge" : diff ?
		    "give two JSON reports, the old and the new" :
		    "give one JSON report");
		cli_verb_usage(ctx, v, false);
		return CLI_EXIT_USAGE;
	}
	if (report_outputs_map(a.n_formats, a.outputs, a.n_outputs,
	    paths) != 0) {
		fprintf(stderr, "%s report: give one --output per format (repeat -o FILE), or "
		    "one fewer for the first to go to standard output (%zu "
		    "formats, %zu --output)\n", ctx->prog, a.n_formats,
		    a.n_outputs);
		return CLI_EXIT_USAGE;
	}

	if (diff)
		return diff_reports(ctx, &a, paths, argv + optind);
	if ((rc = read_all(argv + optind, (size_t)(argc - optind),
	    &r)) != 0)
		return rc;
	dl_diags_init(&d);
	for (i = 0; i < a.n_formats; i++) {
		if (report_write_path(&r, a.formats[i], &a.opts, paths[i],
		    &d) != 0) {
			dl_diags_print(&d, stderr);
			dl_diags_clear(&d);
			report_clear(&r);
			return CLI_EXIT_USAGE;
		}
	}
	dl_diags_clear(&d);
	rc = report_exit_code(&r);
	report_clear(&r);
	return rc;
}
