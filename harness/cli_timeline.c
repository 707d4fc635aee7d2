/*
 * cli_timeline.c -- the parts of the text timeline that more than one
 * verb draws (cli.h): its scale, its phases row, and "where are we" as
 * `serve` and `shell` print it when a phase starts.  The whole picture
 * (certificates, TLSA records, cache windows) stays in cmd_explain.c.
 */
#include <stdio.h>
#include <string.h>

#include "harness/cli.h"
#include "simulator/zone/world.h"

#define CLI_TL_LINE 80	/* what cli_tl_where's picture keeps to */

double
cli_tl_step(const struct scenario *s, uint32_t *maxttl)
{
	struct world_host_state st;
	uint32_t ttl = 0;
	double step;
	size_t i, p;

	for (i = 0; i < s->n_hosts; i++)
		for (p = 0; p < s->n_phases; p++)
			if (world_host_state_at(s, &s->hosts[i], (int)p,
			    &st) == 0 && st.tlsa_ttl > ttl)
				ttl = st.tlsa_ttl;
	if (ttl == 0)
		ttl = s->ttl;
	if (maxttl != NULL)
		*maxttl = ttl;
	step = (double)(s->phases[s->n_phases - 1].at + ttl) / CLI_TL_COLS;
	return step < 1 ? 1 : step;
}

void
cli_tl_phases(const struct scenario *s, double step, char *row)
{
	size_t p, col, k, end;

	memset(row, ' ', CLI_TL_COLS);
	row[CLI_TL_COLS] = '\0';
	for (p = 0; p < s->n_phases; p++) {
		col = (size_t)(s->phases[p].at / step);
		if (col >= CLI_TL_COLS)
			continue;
		row[col] = '|';
		end = p + 1 < s->n_phases ?
		    (size_t)(s->phases[p + 1].at / step) : CLI_TL_COLS;
		for (k = 0; s->phases[p].name[k] != '\0' &&
		    col + 1 + k < CLI_TL_COLS && col + 1 + k < end; k++)
			row[col + 1 + k] = s->phases[p].name[k];
	}
}

void
cli_tl_where(FILE *fp, const char *lead, const struct scenario *s,
    int phase)
{
	const struct scen_phase *ph;
	char row[CLI_TL_COLS + 1], note[64];
	double step;
	size_t col, n;

	if (phase < 0 || (size_t)phase >= s->n_phases)
		return;
	ph = &s->phases[phase];
	fprintf(fp, "%sphase %d/%zu '%s' at %u s; ", lead, phase + 1,
	    s->n_phases, ph->name, ph->at);
	if ((size_t)phase + 1 < s->n_phases)
		fprintf(fp, "next '%s' in %u s\n", ph[1].name,
		    ph[1].at - ph->at);
	else
		fputs("the last phase\n", fp);
	step = cli_tl_step(s, NULL);
	cli_tl_phases(s, step, row);
	col = (size_t)(ph->at / step);
	if (col < CLI_TL_COLS)
		row[col] = '>';
	for (n = CLI_TL_COLS; n > 0 && row[n - 1] == ' '; n--)
		row[n - 1] = '\0';
	snprintf(note, sizeof(note), "  (> now; a column is %.1f s)", step);
	/* The legend only where it keeps the line within 80 columns. */
	fprintf(fp, "%s%s%s\n", lead, row, strlen(lead) + n + strlen(note) <=
	    CLI_TL_LINE ? note : "");
}
