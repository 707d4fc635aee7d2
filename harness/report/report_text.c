/*
 * report_text.c -- the terminal form of a run report: one line per
 * result, the evidence of the results that need a look, the summary.
 *
 * Text from clients goes out as it came (this is for a terminal the
 * user owns), except that control bytes other than newline and tab are
 * shown as '?', so that client output cannot move the cursor or change
 * colours.
 */
#include "harness/report/report_internal.h"

#include <stdlib.h>
#include <string.h>

#define TEXT_TAIL_LINES 20

static const char *
verdict_color(enum run_verdict v)
{
	switch (v) {
	case RUN_PASS:
		return "\033[32m";
	case RUN_FAIL:
	case RUN_XPASS:
	case RUN_ERROR:
		return "\033[1;31m";
	case RUN_HANG:
		return "\033[35m";
	default:
		return "\033[33m";
	}
}

/*
 * s as valid UTF-8 with control bytes shown as '?' (a newline too unless
 * multiline: a one-line field stays one line; tabs are kept, and the CR
 * of a CRLF line end is dropped).
 */
static void
put_text(FILE *fp, const char *s, bool multiline)
{
	char *clean = report_utf8_clean(s);
	const unsigned char *p;

	for (p = (const unsigned char *)clean; *p != '\0'; p++) {
		if ((*p == '\n' && multiline) || *p == '\t')
			fputc(*p, fp);
		else if (*p == '\r' && (p[1] == '\n' || p[1] == '\0'))
			continue; /* CRLF line ends (SMTP transcripts) */
		else if (*p < 0x20 || *p == 0x7f)
			fputc('?', fp);
		else
			fputc(*p, fp);
	}
	free(clean);
}

static void
put_safe(FILE *fp, const char *s)
{
	put_text(fp, s, false);
}

static void
put_field(FILE *fp, const char *label, const char *s)
{
	if (s == NULL)
		return;
	fprintf(fp, "    %-10s ", label);
	put_safe(fp, s);
	fputc('\n', fp);
}

static void
write_evidence(FILE *fp, const struct run_report *r,
    const struct run_result *res)
{
	char *rule = report_rule(r, res);
	char buf[2048], exp[96], counts[256];
	const char *tail;
	size_t i;

	put_field(fp, "reason:", res->reason);
	put_field(fp, "broken:", report_broken(res, buf, sizeof(buf)));
	put_field(fp, "rule:", rule);
	free(rule);
	put_field(fp, "deviation:", res->deviation);
	if (res->claimed != SCEN_ACT_UNSET)
		fprintf(fp, "    %-10s %s\n", "claimed:",
		    scen_action_name(res->claimed));
	for (i = 0; i < res->n_hosts; i++) {
		const struct run_host *h = &res->hosts[i];

		fprintf(fp, "    host       ");
		put_safe(fp, h->host ? h->host : "?");
		fprintf(fp, ": expected %s, %s (%s), claim %s",
		    report_host_expected_str(h, exp, sizeof(exp)),
		    run_outcome_name(h->outcome),
		    report_host_counts(h, counts, sizeof(counts)),
		    run_claim_name(h->claim));
		if (h->sni != NULL) {
			fputs(", sni ", fp);
			put_safe(fp, h->sni);
		}
		if (h->tls_error != NULL) {
			fputs(", tls error: ", fp);
			put_safe(fp, h->tls_error);
		}
		fputc('\n', fp);
	}
	if (res->exit_status < 0)
		fprintf(fp, "    %-10s did not run\n", "exit:");
	else
		fprintf(fp, "    %-10s %d%s, %llu ms\n", "exit:",
		    res->exit_status, res->timed_out ? " (timed out)" : "",
		    (unsigned long long)res->ms);
	put_field(fp, "kept:", res->kept_dir);
	if (res->output != NULL && res->output[0] != '\0') {
		tail = report_tail(res->output, TEXT_TAIL_LINES);
		fprintf(fp, "    output%s:\n", tail != res->output ||
		    res->output_truncated ? " (last lines)" : "");
		while (*tail != '\0') {
			const char *nl = strchr(tail, '\n');
			size_t n = nl ? (size_t)(nl - tail) : strlen(tail);
			char line[1024];

			if (n >= sizeof(line))
				n = sizeof(line) - 1;
			memcpy(line, tail, n);
			line[n] = '\0';
			fputs("      | ", fp);
			put_text(fp, line, false);
			fputc('\n', fp);
			if (nl == NULL)
				break;
			tail = nl + 1;
		}
	}
}

/*
 * One summary line per client when there are several (--client a,b,c or
 * merged reports), before the run's own, which stays the last line.
 */
static void
write_client_summaries(FILE *fp, const struct run_report *r)
{
	const char *cl[REPORT_MAX_CLIENT_COLS];
	size_t n, i, c[RUN_VERDICT_COUNT];
	char sum[256];

	n = report_clients(r, cl, REPORT_MAX_CLIENT_COLS);
	if (n < 2 || n > REPORT_MAX_CLIENT_COLS)
		return;
	for (i = 0; i < n; i++) {
		report_count_client(r, cl[i], c);
		fputs("client ", fp);
		put_safe(fp, cl[i]);
		fprintf(fp, ": %s\n", report_summary_counts(c, sum,
		    sizeof(sum)));
	}
}

int
report_write_text(const struct run_report *r, const struct report_opts *o,
    FILE *fp)
{
	size_t i, w_scen = 8, w_client = 6, w_cell = 6, n;
	char cell[256], obs[2048], sum[256], exp[96];

	for (i = 0; i < r->n_results; i++) {
		const struct run_result *res = &r->results[i];

		if (res->scenario && (n = strlen(res->scenario)) > w_scen)
			w_scen = n < 48 ? n : 48;
		if (res->client && (n = strlen(res->client)) > w_client)
			w_client = n < 24 ? n : 24;
		if ((n = strlen(report_cell_name(res, cell,
		    sizeof(cell)))) > w_cell)
			w_cell = n < 32 ? n : 32;
	}
	if (!r->env_ok) {
		fprintf(fp, "%sENVIRONMENT BROKEN: ", o->color ?
		    "\033[1;31m" : "");
		put_safe(fp, r->env_message ? r->env_message :
		    "the control scenarios failed");
		fprintf(fp, "%s\n", o->color ? "\033[0m" : "");
		fputs("(results below are not the client's fault)\n\n", fp);
	}
	if (r->interrupted)
		fputs("INTERRUPTED: not every cell ran\n\n", fp);
	/* Phase offsets below are as played, not as the files say. */
	if (report_time_scale(r) != 1.0)
		fprintf(fp, "time scale %g: every timeline's offsets and TTLs "
		    "x%g\n\n", report_time_scale(r), report_time_scale(r));

	for (i = 0; i < r->n_results; i++) {
		const struct run_result *res = &r->results[i];

		fprintf(fp, "%s%-5s%s  ", o->color ?
		    verdict_color(res->verdict) : "",
		    run_verdict_name(res->verdict), o->color ? "\033[0m" : "");
		fprintf(fp, "%-*s  ", (int)w_scen, res->scenario ?
		    res->scenario : "?");
		fprintf(fp, "%-*s  ", (int)w_client, res->client ?
		    res->client : "?");
		fprintf(fp, "%-*s  ", (int)w_cell, report_cell_name(res, cell,
		    sizeof(cell)));
		fprintf(fp, "%-13s  ", report_expected_str(res, exp,
		    sizeof(exp)));
		put_safe(fp, report_observed(res, true, obs, sizeof(obs)));
		fputc('\n', fp);
		if (o->verbose || res->verdict != RUN_PASS)
			write_evidence(fp, r, res);
	}
	if (r->n_results > 0)
		fputc('\n', fp);
	write_client_summaries(fp, r);
	fprintf(fp, "%s\n", report_summary(r, sum, sizeof(sum)));
	return ferror(fp) ? DL_EIO : 0;
}
