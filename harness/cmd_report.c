/*
 * cmd_report.c -- `danelab report merge|show`: JSON run reports (written
 * by `danelab run --format json`) read back, shards merged into one, and
 * rendered in any report format (harness/report/).
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
	const char *outputs[REPORT_MAX_OUTPUTS];
	size_t n_outputs;
	struct report_opts opts;
};

/* "json,html" into a->formats.  Returns 0 or CLI_EXIT_USAGE. */
static int
parse_formats(const struct cli_ctx *ctx, const char *arg,
    struct report_args *a)
{
	char *copy = xstrdup(arg), *tok, *save = NULL;
	int f, rc = 0;

	for (tok = strtok_r(copy, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		if ((f = report_format_parse(tok)) < 0) {
			fprintf(stderr, "%s report: unknown format \"%s\" "
			    "(text, json, junit, tap, html)\n", ctx->prog,
			    tok);
			rc = CLI_EXIT_USAGE;
			break;
		}
		if (a->n_formats == REPORT_MAX_OUTPUTS) {
			fprintf(stderr, "%s report: at most %d formats\n",
			    ctx->prog, REPORT_MAX_OUTPUTS);
			rc = CLI_EXIT_USAGE;
			break;
		}
		a->formats[a->n_formats++] = (enum report_format)f;
	}
	free(copy);
	return rc;
}

/*
 * Write r to path that exists and is not a regular file (/dev/stdout, a
 * FIFO): renaming over it would replace the device, so write in place.
 */
static int
write_special(const struct cli_ctx *ctx, const struct run_report *r,
    enum report_format f, const struct report_opts *o, const char *path)
{
	FILE *fp = fopen(path, "w");
	int rc;

	if (fp == NULL) {
		fprintf(stderr, "%s report: %s: %s\n", ctx->prog, path,
		    strerror(errno));
		return DL_EIO;
	}
	rc = report_write(r, f, o, fp);
	if (fclose(fp) != 0 && rc == 0)
		rc = DL_EIO;
	if (rc != 0)
		fprintf(stderr, "%s report: %s: cannot write\n", ctx->prog,
		    path);
	return rc;
}

/*
 * Write r in format f to path atomically (temporary file beside it,
 * then rename), or to stdout for NULL or "-".  Errors are printed.
 */
static int
write_one(const struct cli_ctx *ctx, const struct run_report *r,
    enum report_format f, const struct report_opts *o, const char *path)
{
	struct report_opts fo = *o;
	struct stat st;
	char *tmp;
	FILE *fp;
	int fd, rc, saved;

	if (path == NULL || strcmp(path, "-") == 0) {
		rc = report_write(r, f, o, stdout);
		if (rc != 0)
			fprintf(stderr, "%s report: writing to standard "
			    "output: %s\n", ctx->prog, dl_strerror(rc));
		return rc;
	}
	fo.color = false;	/* never escape codes in a file */
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
		return write_special(ctx, r, f, &fo, path);
	tmp = xasprintf("%s.tmpXXXXXX", path);
	fd = mkstemp(tmp);
	if (fd < 0) {
		fprintf(stderr, "%s report: %s: cannot create a temporary "
		    "file beside it: %s\n", ctx->prog, path, strerror(errno));
		free(tmp);
		return DL_EIO;
	}
	(void)fchmod(fd, 0644);
	fp = fdopen(fd, "w");
	if (fp == NULL) {
		saved = errno;
		close(fd);
		unlink(tmp);
		fprintf(stderr, "%s report: %s: %s\n", ctx->prog, tmp,
		    strerror(saved));
		free(tmp);
		return DL_EIO;
	}
	rc = report_write(r, f, &fo, fp);
	if (fclose(fp) != 0 && rc == 0)
		rc = DL_EIO;
	if (rc == 0 && rename(tmp, path) != 0)
		rc = DL_EIO;
	if (rc != 0) {
		saved = errno;
		unlink(tmp);
		fprintf(stderr, "%s report: %s: cannot write: %s\n",
		    ctx->prog, path, saved ? strerror(saved) :
		    dl_strerror(rc));
	}
	free(tmp);
	return rc;
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
	bool merge;
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
	} else {
		fprintf(stderr, "%s report: unknown action \"%s\" (merge or "
		    "show)\n", ctx->prog, argv[1]);
		cli_verb_usage(ctx, v, false);
		return CLI_EXIT_USAGE;
	}
	a.opts.color = ctx->color;
	argc--;
	argv++;
	while ((c = getopt_long(argc, argv, "f:o:v", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (parse_formats(ctx, optarg, &a) != 0)
				return CLI_EXIT_USAGE;
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
	if (argc - optind < 1 || (!merge && argc - optind != 1)) {
		fprintf(stderr, "%s report %s: %s\n", ctx->prog, argv[0],
		    merge ? "give the JSON reports to merge" :
		    "give one JSON report");
		cli_verb_usage(ctx, v, false);
		return CLI_EXIT_USAGE;
	}
	if (a.n_outputs > a.n_formats || (a.n_formats > 1 &&
	    a.n_outputs != a.n_formats)) {
		fprintf(stderr, "%s report: give one --output per format "
		    "(%zu formats, %zu --output)\n", ctx->prog, a.n_formats,
		    a.n_outputs);
		return CLI_EXIT_USAGE;
	}

	if ((rc = read_all(argv + optind, (size_t)(argc - optind),
	    &r)) != 0)
		return rc;
	for (i = 0; i < a.n_formats; i++) {
		if (write_one(ctx, &r, a.formats[i], &a.opts,
		    i < a.n_outputs ? a.outputs[i] : NULL) != 0) {
			report_clear(&r);
			return CLI_EXIT_USAGE;
		}
	}
	rc = report_exit_code(&r);
	report_clear(&r);
	return rc;
}
