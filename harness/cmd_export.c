/*
 * cmd_export.c -- `danelab export SCENARIO DIR`.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/cli.h"
#include "simulator/export/export.h"
#include "simulator/zone/world.h"

int
cmd_export(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "phase", required_argument, NULL, 'p' },
		{ "time", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	const struct cli_verb *v = cli_verb_find("export");
	const char *phase = NULL;
	struct world_opts wo;
	struct world *w = NULL;
	struct scenario *s = NULL;
	struct dl_diags d;
	long long t = 0;
	char *end;
	size_t i;
	int c, rc;

	while ((c = getopt_long(argc, argv, "p:t:", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			phase = optarg;
			break;
		case 't':
			errno = 0;
			t = strtoll(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || t <= 0) {
				fprintf(stderr, "%s export: --time wants a "
				    "Unix time, not '%s'\n", ctx->prog,
				    optarg);
				return CLI_EXIT_USAGE;
			}
			break;
		default:
			cli_verb_usage(ctx, v, false);
			return CLI_EXIT_USAGE;
		}
	}
	if (argc - optind != 2) {
		cli_verb_usage(ctx, v, false);
		return CLI_EXIT_USAGE;
	}
	if ((rc = cli_scenario(ctx, argv[optind], &s)) != 0)
		return rc;

	memset(&wo, 0, sizeof(wo));
	wo.fixtures_dir = ctx->fixtures_dir;
	wo.now = (time_t)t;
	wo.phase = s->n_phases > 0 ? 0 : -1;
	if (phase != NULL) {
		for (i = 0; i < s->n_phases; i++)
			if (strcmp(s->phases[i].name, phase) == 0)
				break;
		if (i == s->n_phases) {
			fprintf(stderr, "%s export: scenario %s has no phase "
			    "'%s'\n", ctx->prog, s->id, phase);
			scenario_free(s);
			return CLI_EXIT_USAGE;
		}
		wo.phase = (int)i;
	}

	dl_diags_init(&d);
	rc = world_build(s, &wo, &w, &d);
	if (rc == 0)
		rc = export_world(w, ctx->fixtures_dir, argv[optind + 1], &d);
	dl_diags_print(&d, stderr);
	dl_diags_clear(&d);
	world_free(w);
	scenario_free(s);
	if (rc != 0)
		return CLI_EXIT_USAGE;
	printf("exported %s to %s\n", argv[optind], argv[optind + 1]);
	return CLI_EXIT_OK;
}
