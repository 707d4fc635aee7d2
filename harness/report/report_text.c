/*
 * report_text.c -- the terminal form of a run report: one line per
 * result, the evidence of the results that need a look, the summary.
 *
 * Text from clients goes out as it came (this is for a terminal the
 * user owns), except that control bytes other than newline and tab are
 * shown as '?', so that client output cannot move the cursor or change
 * colours.
 *
 * Lines fit o->width columns (textwrap.h): a long one goes on under
 * the field it continues (a result line's observed hosts, an evidence
 * field's value), a line of client output on a line marked ':'.  The
 * summary lines (per client and the run's) are never wrapped: tools
 * read them.
 */
#include "harness/report/report_internal.h"

#include <stdlib.h>
#include <string.h>

#include "simulator/util/textwrap.h"

#define TEXT_TAIL_LINES 20
#define TEXT_FIELD_COL 15	/* "    reason:    " */
#define TEXT_OUT_CONT "      :   "	/* a wrapped line of client output */
#define TEXT_MAX_INDENT 64

/* n spaces (at most TEXT_MAX_INDENT), for a hanging indentation. */
static const char *
text_indent(size_t n)
{
	static const char sp[TEXT_MAX_INDENT + 1] =
	    "                                                                ";

	if (n > TEXT_MAX_INDENT)
		n = TEXT_MAX_INDENT;
	return sp + TEXT_MAX_INDENT - n;
}

static size_t
text_width(const struct report_opts *o)
{
	return o->width != 0 ? o->width : TW_DEFAULT_COLUMNS;
}

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
 * s as one line of valid UTF-8 with control bytes shown as '?' (tabs
 * are kept, and the CR of a CRLF line end is dropped).  Caller frees.
 */
static char *
text_clean(const char *s)
{
	char *clean = report_utf8_clean(s), *o;
	const unsigned char *p;

	o = clean;
	for (p = (const unsigned char *)clean; *p != '\0'; p++) {
		if (*p == '\r' && (p[1] == '\n' || p[1] == '\0'))
			continue; /* CRLF line ends (SMTP transcripts) */
		*o++ = (*p < 0x20 && *p != '\t') || *p == 0x7f ? '?' :
		    (char)*p;
	}
	*o = '\0';
	return clean;
}

/* s, cleaned, from column col, wrapped under cont; then a newline. */
static void
put_wrapped(FILE *fp, const struct report_opts *o, const char *s,
    size_t col, const char *cont)
{
	char *clean = text_clean(s);

	tw_put(fp, clean, col, text_width(o), cont);
	fputc('\n', fp);
	free(clean);
}

static void
put_field(FILE *fp, const struct report_opts *o, const char *label,
    const char *s)
{
	if (s == NULL)
		return;
	fprintf(fp, "    %-10s ", label);
	put_wrapped(fp, o, s, TEXT_FIELD_COL, text_indent(TEXT_FIELD_COL));
}

/* What open_memstream collected, as one field (host lines). */
static void
put_stream_field(FILE *fp, const struct report_opts *o, const char *label,
    FILE *ms, char **buf)
{
	if (fclose(ms) == 0 && *buf != NULL)
		put_field(fp, o, label, *buf);
	free(*buf);
	*buf = NULL;
}

static void
write_host(FILE *fp, const struct report_opts *o, const struct run_host *h)
{
	char exp[96], counts[256], *buf = NULL;
	size_t len = 0;
	FILE *ms = open_memstream(&buf, &len);

	if (ms == NULL)
		return;
	fprintf(ms, "%s: expected %s, %s (%s), claim %s", h->host ? h->host :
	    "?", report_host_expected_str(h, exp, sizeof(exp)),
	    run_outcome_name(h->outcome),
	    report_host_counts(h, counts, sizeof(counts)),
	    run_claim_name(h->claim));
	if (h->sni != NULL)
		fprintf(ms, ", sni %s", h->sni);
	if (h->tls_error != NULL)
		fprintf(ms, ", tls error: %s", h->tls_error);
	put_stream_field(fp, o, "host", ms, &buf);
}

/* One line of client output (n bytes at s) after its margin. */
static void
put_output_line(FILE *fp, const struct report_opts *o, const char *s,
    size_t n)
{
	char line[1024];

	if (n >= sizeof(line))
		n = sizeof(line) - 1;
	memcpy(line, s, n);
	line[n] = '\0';
	put_wrapped(fp, o, line, 8, TEXT_OUT_CONT);
}

/* Lines of s (a last one without newline counts). */
static size_t
text_count_lines(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		if (*s == '\n' || s[1] == '\0')
			n++;
	return n;
}

/*
 * The client's output: whole when short; when long, the lines its
 * profile marked (output_lines: claims, errors), numbered, else its
 * last lines.  Each wrapped under a ':'.
 */
static void
write_output(FILE *fp, const struct report_opts *o,
    const struct run_result *res)
{
	const char *p = res->output, *nl;
	size_t total = text_count_lines(res->output), k = 0;
	unsigned no = 0;

	if (total > TEXT_TAIL_LINES && res->n_output_lines > 0) {
		fprintf(fp, "    output (%zu of %zu lines, those that matter):"
		    "\n", res->n_output_lines, total);
		while (*p != '\0' && k < res->n_output_lines) {
			nl = strchr(p, '\n');
			if (++no == res->output_lines[k]) {
				fprintf(fp, "%5u | ", no);
				put_output_line(fp, o, p, nl ? (size_t)(nl - p) :
				    strlen(p));
				k++;
			}
			if (nl == NULL)
				break;
			p = nl + 1;
		}
		return;
	}
	p = report_tail(res->output, TEXT_TAIL_LINES);
	fprintf(fp, "    output%s:\n", p != res->output ||
	    res->output_truncated ? " (last lines)" : "");
	while (*p != '\0') {
		nl = strchr(p, '\n');
		fputs("      | ", fp);
		put_output_line(fp, o, p, nl ? (size_t)(nl - p) : strlen(p));
		if (nl == NULL)
			break;
		p = nl + 1;
	}
}

static void
write_evidence(FILE *fp, const struct report_opts *o,
    const struct run_report *r, const struct run_result *res)
{
	char *rule = report_rule(r, res);
	char buf[2048];
	size_t i;

	put_field(fp, o, "reason:", res->reason);
	put_field(fp, o, "broken:", report_broken(res, buf, sizeof(buf)));
	put_field(fp, o, "rule:", rule);
	free(rule);
	put_field(fp, o, "deviation:", res->deviation);
	if (res->claimed != SCEN_ACT_UNSET)
		fprintf(fp, "    %-10s %s\n", "claimed:",
		    scen_action_name(res->claimed));
	for (i = 0; i < res->n_hosts; i++)
		write_host(fp, o, &res->hosts[i]);
	if (res->exit_status < 0)
		fprintf(fp, "    %-10s did not run\n", "exit:");
	else
		fprintf(fp, "    %-10s %d%s, %llu ms\n", "exit:",
		    res->exit_status, res->timed_out ? " (timed out)" : "",
		    (unsigned long long)res->ms);
	put_field(fp, o, "kept:", res->kept_dir);
	if (res->output != NULL && res->output[0] != '\0')
		write_output(fp, o, res);
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
	char sum[256], line[512], *clean;

	n = report_clients(r, cl, REPORT_MAX_CLIENT_COLS);
	if (n < 2 || n > REPORT_MAX_CLIENT_COLS)
		return;
	for (i = 0; i < n; i++) {
		report_count_client(r, cl[i], c);
		/* One line, as the run's own: tools read them. */
		snprintf(line, sizeof(line), "client %s: %s", cl[i],
		    report_summary_counts(c, sum, sizeof(sum)));
		clean = text_clean(line);
		fprintf(fp, "%s\n", clean);
		free(clean);
	}
}

/* Column widths of the result table, as its longest entries need. */
struct text_cols {
	size_t scen, client, cell;
};

static void
text_columns(const struct run_report *r, struct text_cols *w)
{
	char cell[256];
	size_t i, n;

	w->scen = 8;
	w->client = 6;
	w->cell = 6;
	for (i = 0; i < r->n_results; i++) {
		const struct run_result *res = &r->results[i];

		if (res->scenario && (n = strlen(res->scenario)) > w->scen)
			w->scen = n < 48 ? n : 48;
		if (res->client && (n = strlen(res->client)) > w->client)
			w->client = n < 24 ? n : 24;
		if ((n = strlen(report_cell_name(res, cell,
		    sizeof(cell)))) > w->cell)
			w->cell = n < 32 ? n : 32;
	}
}

/*
 * One result: the verdict (coloured), then the fields, wrapped.  The
 * observed hosts continue under themselves when their column leaves
 * room (half the line), else under the scenario.
 */
static void
write_result(FILE *fp, const struct report_opts *o, const struct text_cols *w,
    const struct run_result *res)
{
	char cell[256], obs[2048], exp[96], line[4096];
	size_t obs_col;

	fprintf(fp, "%s%-5s%s  ", o->color ? verdict_color(res->verdict) : "",
	    run_verdict_name(res->verdict), o->color ? "\033[0m" : "");
	snprintf(line, sizeof(line), "%-*s  %-*s  %-*s  %-13s  %s",
	    (int)w->scen, res->scenario ? res->scenario : "?",
	    (int)w->client, res->client ? res->client : "?",
	    (int)w->cell, report_cell_name(res, cell, sizeof(cell)),
	    report_expected_str(res, exp, sizeof(exp)),
	    report_observed(res, true, obs, sizeof(obs)));
	obs_col = 7 + w->scen + 2 + w->client + 2 + w->cell + 2 + 15;
	put_wrapped(fp, o, line, 7, text_indent(obs_col <= text_width(o) / 2 &&
	    obs_col <= TEXT_MAX_INDENT ? obs_col : 7));
}

int
report_write_text(const struct run_report *r, const struct report_opts *o,
    FILE *fp)
{
	struct text_cols w;
	char sum[256];
	size_t i;

	text_columns(r, &w);
	if (!r->env_ok) {
		fprintf(fp, "%sENVIRONMENT BROKEN: ", o->color ?
		    "\033[1;31m" : "");
		/* The reset goes after the newline: wrapped lines stay red. */
		put_wrapped(fp, o, r->env_message ? r->env_message :
		    "the control scenarios failed", 20, text_indent(4));
		fputs(o->color ? "\033[0m" : "", fp);
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

		write_result(fp, o, &w, res);
		if (o->verbose || res->verdict != RUN_PASS)
			write_evidence(fp, o, r, res);
	}
	if (r->n_results > 0)
		fputc('\n', fp);
	write_client_summaries(fp, r);
	/* One line whatever the width: tools read it. */
	fprintf(fp, "%s\n", report_summary(r, sum, sizeof(sum)));
	return ferror(fp) ? DL_EIO : 0;
}
