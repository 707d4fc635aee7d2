/* cmd_report.c -- being written. */
#include <stdio.h>

#include "harness/cli.h"

int
cmd_report(struct cli_ctx *ctx, int argc, char **argv)
{
	(void)ctx;
	(void)argc;
	(void)argv;
	fprintf(stderr, "danelab report: not yet\n");
	return CLI_EXIT_USAGE;
}
