/*
 * cmd_check.c -- `danelab check`: validate scenario files.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "harness/cli.h"

int
cmd_check(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "warnings-as-errors", no_argument, NULL, 'W' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "schema", no_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	const struct cli_verb *v = cli_verb_find("check");
	struct dl_diags d;
	struct scenario **list, *s;
	size_t files = 0, n, i;
	bool werror = false, quiet = false;
	int c, a;

	while ((c = getopt_long(argc, argv, "Wq", opts, NULL)) != -1) {
		switch (c) {
		case 'W':
			werror = true;
			break;
		case 'q':
			quiet = true;
			break;
		case 's':
			scenario_schema_markdown(stdout);
			return CLI_EXIT_OK;
		default:
			cli_verb_usage(ctx, v, false);
			return CLI_EXIT_USAGE;
		}
	}
	dl_diags_init(&d);
	if (optind >= argc) {
		/* The whole catalogue. */
		list = NULL;
		n = 0;
		scenario_load_dir(ctx->scenarios_dir, ctx->fixtures_dir,
		    &list, &n, &d);
		files += n;
		scenario_list_free(list, n);
	}
	for (a = optind; a < argc; a++) {
		struct stat st;

		if (stat(argv[a], &st) != 0) {
			dl_error(&d, argv[a], 0, 0, "no such file or directory");
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			list = NULL;
			n = 0;
			scenario_load_dir(argv[a], ctx->fixtures_dir, &list,
			    &n, &d);
			files += n;
			scenario_list_free(list, n);
		} else {
			s = NULL;
			if (scenario_load(argv[a], ctx->fixtures_dir, &s,
			    &d) == 0)
				files++;
			scenario_free(s);
		}
	}
	dl_diags_print(&d, stderr);
	if (!quiet)
		printf("%zu scenario%s loaded, %zu error%s, %zu warning%s\n",
		    files, files == 1 ? "" : "s", d.errors,
		    d.errors == 1 ? "" : "s", d.warnings,
		    d.warnings == 1 ? "" : "s");
	i = d.errors + (werror ? d.warnings : 0);
	dl_diags_clear(&d);
	return i > 0 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
}
