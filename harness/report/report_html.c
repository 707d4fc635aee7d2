/*
 * report_html.c -- a run report as one self-contained HTML5 page.
 *
 * The page has no script and loads nothing: the CSS is inline and the
 * details open with the <details> element.  It shows the run's metadata,
 * a legend of the verdicts and the summary, a switch (a checkbox and a
 * sibling selector) that shows only what did not pass, then a matrix as
 * wide as the window: one row per scenario (controls first, grouped by
 * the folder of the id), one column per (client, policy), a sticky
 * header row.  The scenario cell holds what belongs to the row: the id
 * opening the scenario's teaching text (once per row), the title, the
 * timeline picture.  A result cell holds one verdict per result (a
 * timeline scenario has one per phase), each a <details> with its
 * evidence, and for a FAIL or XFAIL the rule it broke.  Every text goes
 * through report_xml_put.
 */
#include "harness/report/report_internal.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "simulator/util/xmem.h"

/*
 * The filter ("only what did not pass") is a checkbox placed before the
 * matrix, so that a sibling selector can hide what passed: no script,
 * and it works in any browser with CSS 2.1.  A row is hidden when every
 * cell passed, a cell's content when its results all passed, a result
 * when it passed (in a timeline cell with a failing phase).
 */
static const char html_css[] =
    "body{font-family:system-ui,sans-serif;margin:1em;color:#222}\n"
    "h1{font-size:1.4em;margin:.2em 0}\n"
    "table.meta{float:left;margin:0 2em .5em 0}\n"
    "table.meta td{padding:0 1em 0 0}\n"
    ".legend{display:flow-root;margin:0 0 .5em;padding:.3em .8em;"
    "border:1px solid #ccc;font-size:.9em}\n"
    ".legend ul{list-style:none;margin:0;padding:0}\n"
    ".legend li b{display:inline-block;width:4.5em;"
    "font-family:monospace}\n"
        "table.matrix{border-collapse:separate;border-spacing:0;width:100%}\n"
    ".matrix th,.matrix td{border:1px solid #ccc;border-width:0 1px 1px 0;"
    "padding:3px 6px;vertical-align:top;text-align:left}\n"
    ".matrix thead tr.cols th{position:sticky;top:0;z-index:2;"
    "background:#f4f4f4;border-top:1px solid #ccc}\n"
    ".matrix th.group{background:#eee;font-size:1.05em}\n"
    ".matrix td.scen{width:30em;min-width:16em}\n"
    ".matrix td.scen .id{font-family:monospace;font-weight:bold;"
    "white-space:nowrap}\n"
    ".matrix td.scen summary{font-family:inherit;font-weight:normal}\n"
    ".matrix td.scen .title{font-size:.8em}\n"
    /* a timeline picture scales to the cell, never widens the page */
    ".matrix td.scen svg.timeline{max-width:100%;height:auto}\n"
    ".matrix td.bad{background:#fff3f4}\n"
    ".cell{display:flex;flex-wrap:wrap;gap:0 1em;align-items:baseline}\n"
    ".cell>details[open]{flex-basis:100%}\n"
    "summary{cursor:pointer;font-weight:bold;font-family:monospace}\n"
    "summary small{font-weight:normal;color:#444}\n"
    "details .body{font-size:.9em;padding:.3em;"
    "border-left:3px solid #ccc;margin:.2em 0 .4em;font-weight:normal}\n"
    "details .body table td,details .body table th{padding:0 .6em 0 0;"
    "border:0;vertical-align:top}\n"
    "pre{background:#f6f6f6;padding:.4em;overflow:auto;max-height:30em;"
    "white-space:pre-wrap;overflow-wrap:anywhere}\n"
    ".PASS{color:#176f2c}.FAIL,.XPASS,.ERROR{color:#b00020}\n"
    ".HANG{color:#8b008b}.SKIP,.XFAIL{color:#8a6d00}\n"
    ".broken{background:#b00020;color:#fff;padding:.5em;"
    "font-weight:bold}\n"
    ".interrupted{background:#8a6d00;color:#fff;padding:.5em}\n"
    ".summary{clear:both;font-size:1.1em;font-weight:bold}\n"
    "#only-bad:checked~table.matrix tr.ok,"
    "#only-bad:checked~table.matrix td.ok>*,"
    "#only-bad:checked~table.matrix .cell>details.ok{display:none}\n";

/*
 * The legend: what each verdict means, in its colour.  Same order and
 * classes as the cells.
 */
static const char *const html_legend[RUN_VERDICT_COUNT] = {
	[RUN_PASS] = "the client did what the RFC rules require in this "
	    "world",
	[RUN_FAIL] = "it broke an RFC rule: open the cell for the rule and "
	    "the evidence",
	[RUN_SKIP] = "the client cannot run this cell (its profile says "
	    "why); not a failure",
	[RUN_HANG] = "the client did not finish within its timeout",
	[RUN_ERROR] = "no verdict on DANE: the harness or the environment "
	    "broke, or the client ended as its profile does not declare",
	[RUN_XFAIL] = "a failure the client's list of known deviations "
	    "excuses (documented, not counted as failed)",
	[RUN_XPASS] = "the client passed where a known deviation is "
	    "listed: the list is stale (counted as failed)",
};

static void
put(FILE *fp, const char *s)
{
	report_xml_put(fp, s);
}

/* <tag>label</tag> text, when text is set. */
static void
put_row(FILE *fp, const char *label, const char *text)
{
	if (text == NULL)
		return;
	fprintf(fp, "<div><b>%s</b> ", label);
	put(fp, text);
	fputs("</div>\n", fp);
}

/*
 * The scenario cell holds what belongs to the row: the id, whose
 * <summary> opens the scenario's teaching text (category, explanation,
 * rule, references: once per row, not in every result), the title, and
 * for a timeline scenario its picture.
 */
static void
write_about(FILE *fp, const struct run_scenario *s)
{
	size_t i;

	if (s->category != NULL && strcmp(s->category, "none") != 0)
		put_row(fp, "Category:", s->category);
	if (s->explanation != NULL) {
		fputs("<p>", fp);
		put(fp, s->explanation);
		fputs("</p>\n", fp);
	}
	put_row(fp, "Rule:", s->rule);
	if (s->n_refs > 0) {
		fputs("<div><b>References:</b><ul>\n", fp);
		for (i = 0; i < s->n_refs; i++) {
			fputs("<li>", fp);
			put(fp, s->refs[i]);
			fputs("</li>\n", fp);
		}
		fputs("</ul></div>\n", fp);
	}
}

static void
write_scen_cell(FILE *fp, const struct run_report *r, const char *id)
{
	const struct run_scenario *s = report_scenario(r, id);

	fputs("<td class=\"scen\">", fp);
	if (s != NULL) {
		fputs("<details class=\"about\"><summary><span class=\"id\">",
		    fp);
		put(fp, id);
		fputs("</span> <small>about this world</small></summary>"
		    "<div class=\"body\">\n", fp);
		write_about(fp, s);
		fputs("</div></details>\n", fp);
	} else {
		fputs("<div class=\"id\">", fp);
		put(fp, id);
		fputs("</div>\n", fp);
	}
	if (s != NULL && s->title != NULL) {
		fputs("<div class=\"title\">", fp);
		put(fp, s->title);
		fputs("</div>\n", fp);
	}
	/* The timeline picture (report_svg_timeline) goes here. */
	fputs("</td>", fp);
}

static void
write_result(FILE *fp, const struct run_report *r,
    const struct run_result *res)
{
	const char *v = run_verdict_name(res->verdict);
	char exp[96], buf[2048], *rule;
	size_t i;

	fprintf(fp, "<details class=\"%s\"><summary class=\"%s\">%s",
	    report_verdict_failing(res->verdict) ? "bad" : "ok", v, v);
	if (res->phase != NULL) {
		fputs(" <small>", fp);
		put(fp, res->phase);
		fputs("</small>", fp);
	}
	if (res->rule != NULL && res->verdict != RUN_PASS) {
		fputs(" <small>", fp);
		put(fp, res->rule);
		fputs("</small>", fp);
	}
	fputs("</summary><div class=\"body evidence\">\n", fp);
	fprintf(fp, "<div><b>Expected:</b> %s", report_expected_str(res,
	    exp, sizeof(exp)));
	if (res->claimed != SCEN_ACT_UNSET)
		fprintf(fp, "; <b>client claims:</b> %s",
		    scen_action_name(res->claimed));
	if (res->phase != NULL)
		fprintf(fp, "; at %u s", res->at);
	fputs("</div>\n<table>\n<tr><th>host</th><th>expected</th>"
	    "<th>observed</th><th>counts</th><th>client said</th>"
	    "<th>TLS</th></tr>\n", fp);
	for (i = 0; i < res->n_hosts; i++) {
		const struct run_host *h = &res->hosts[i];

		fputs("<tr><td>", fp);
		put(fp, h->host);
		fprintf(fp, "</td><td>%s</td><td>%s</td><td>",
		    report_host_expected_str(h, exp, sizeof(exp)),
		    run_outcome_name(h->outcome));
		put(fp, report_host_counts(h, buf, sizeof(buf)));
		fprintf(fp, "</td><td>%s", run_claim_name(h->claim));
		if (h->claim_text != NULL) {
			fputs(" (", fp);
			put(fp, h->claim_text);
			fputs(")", fp);
		}
		fputs("</td><td>", fp);
		if (h->sni != NULL) {
			fputs("SNI ", fp);
			put(fp, h->sni);
		}
		if (h->tls_error != NULL) {
			fputs(" error: ", fp);
			put(fp, h->tls_error);
		}
		fputs("</td></tr>\n", fp);
	}
	fputs("</table>\n", fp);
	put_row(fp, "Reason:", res->reason);
	put_row(fp, "Rule broken:", report_broken(res, buf, sizeof(buf)));
	rule = report_rule(r, res);
	put_row(fp, "Rule:", rule);
	free(rule);
	put_row(fp, "Known deviation:", res->deviation);
	if (res->exit_status < 0)
		fputs("<div><b>Exit:</b> did not run</div>\n", fp);
	else
		fprintf(fp, "<div><b>Exit:</b> %d%s, %llu ms</div>\n",
		    res->exit_status, res->timed_out ? " (timed out)" : "",
		    (unsigned long long)res->ms);
	put_row(fp, "Kept in:", res->kept_dir);
	if (res->output != NULL) {
		fprintf(fp, "<div><b>Client output%s:</b></div><pre>",
		    res->output_truncated ? " (truncated)" : "");
		put(fp, res->output);
		fputs("</pre>\n", fp);
	}
	fputs("</div></details>\n", fp);
}

struct html_col {
	const char *client;
	enum scen_policy policy;
};

static int
col_cmp(const void *a, const void *b)
{
	const struct html_col *x = a, *y = b;
	int d = strcmp(x->client, y->client);

	if (d != 0)
		return d;
	return (int)x->policy - (int)y->policy;
}

static int
res_pcmp(const void *a, const void *b)
{
	const struct run_result *const *x = a, *const *y = b;

	return report_result_cmp(*x, *y);
}

/*
 * The summary row: each client's counts over the columns it has (its
 * policies; columns are sorted by client, so a client's are adjacent).
 */
static void
write_client_row(FILE *fp, const struct run_report *r,
    const struct html_col *cols, size_t n_cols)
{
	size_t c = 0, k, counts[RUN_VERDICT_COUNT];
	char sum[256];

	if (n_cols == 0)
		return;
	fputs("<tr class=\"clients\"><th>summary per client</th>", fp);
	while (c < n_cols) {
		for (k = c + 1; k < n_cols &&
		    strcmp(cols[k].client, cols[c].client) == 0; k++)
			;
		report_count_client(r, cols[c].client, counts);
		fprintf(fp, "<td colspan=\"%zu\" class=\"%s\">", k - c,
		    counts[RUN_FAIL] + counts[RUN_XPASS] + counts[RUN_HANG] +
		    counts[RUN_ERROR] > 0 ? "FAIL" : "PASS");
		put(fp, cols[c].client);
		fputs(": ", fp);
		put(fp, report_summary_counts(counts, sum, sizeof(sum)));
		fputs("</td>", fp);
		c = k;
	}
	fputs("</tr>\n", fp);
}

static size_t
folder_len(const char *id)
{
	const char *slash = strchr(id, '/');

	return slash ? (size_t)(slash - id) : 0;
}

/* The legend: one line per verdict, in the cells' colours. */
static void
write_legend(FILE *fp)
{
	int i;

	fputs("<div class=\"legend\"><b>Verdicts</b><ul>\n", fp);
	for (i = 0; i < RUN_VERDICT_COUNT; i++)
		fprintf(fp, "<li><b class=\"%s\">%s</b> %s</li>\n",
		    run_verdict_name((enum run_verdict)i),
		    run_verdict_name((enum run_verdict)i), html_legend[i]);
	fputs("</ul></div>\n", fp);
}

static void
write_header(FILE *fp, const struct run_report *r)
{
	char when[64] = "?", sum[256];
	time_t t = (time_t)r->started;
	struct tm tm;

	if (gmtime_r(&t, &tm) != NULL)
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	    "<meta charset=\"utf-8\">\n<title>danelab report</title>\n"
	    "<style>\n", fp);
	fputs(html_css, fp);
	fputs("</style>\n</head>\n<body>\n<h1>danelab report</h1>\n", fp);
	if (!r->env_ok) {
		fputs("<p class=\"broken\">ENVIRONMENT BROKEN: ", fp);
		put(fp, r->env_message ? r->env_message :
		    "the control scenarios failed");
		fputs(" &mdash; the results below are not the clients' "
		    "fault.</p>\n", fp);
	}
	if (r->interrupted)
		fputs("<p class=\"interrupted\">Interrupted: not every cell "
		    "ran.</p>\n", fp);
	fputs("<table class=\"meta\">\n<tr><td>danelab</td><td>", fp);
	put(fp, r->version ? r->version : "?");
	fprintf(fp, "</td></tr>\n<tr><td>started</td><td>%s</td></tr>\n",
	    when);
	fprintf(fp, "<tr><td>duration</td><td>%llu.%03llu s</td></tr>\n",
	    (unsigned long long)(r->duration_ms / 1000),
	    (unsigned long long)(r->duration_ms % 1000));
	fputs("<tr><td>isolation</td><td>", fp);
	put(fp, r->isolation ? r->isolation : "?");
	fprintf(fp, "</td></tr>\n<tr><td>jobs</td><td>%u</td></tr>\n",
	    r->jobs);
	if (r->shard_n == 0)
		fputs("<tr><td>shards</td><td>merged</td></tr>\n", fp);
	else
		fprintf(fp, "<tr><td>shard</td><td>%u/%u</td></tr>\n",
		    r->shard_k, r->shard_n);
	if (report_time_scale(r) != 1.0)
		fprintf(fp, "<tr><td>time scale</td><td>%g (every timeline's "
		    "offsets and TTLs)</td></tr>\n", report_time_scale(r));
	fprintf(fp, "<tr><td>environment</td><td class=\"%s\">%s</td></tr>\n",
	    r->env_ok ? "PASS" : "ERROR", r->env_ok ? "ok" : "broken");
	fputs("</table>\n", fp);
	write_legend(fp);
	fputs("<p class=\"summary\">", fp);
	put(fp, report_summary(r, sum, sizeof(sum)));
	fputs("</p>\n", fp);
}

static const char *
res_scen(const struct run_result *res)
{
	return res->scenario ? res->scenario : "?";
}

static const char *
res_client(const struct run_result *res)
{
	return res->client ? res->client : "?";
}

/* Whether one of v[from..to) did not pass ("ok" / "bad" classes). */
static const char *
range_class(const struct run_result **v, size_t from, size_t to)
{
	for (; from < to; from++)
		if (report_verdict_failing(v[from]->verdict))
			return "bad";
	return "ok";
}

/*
 * The filter's checkbox: before the matrix, whose rows and cells its
 * sibling selector hides.
 */
static void
write_filter(FILE *fp)
{
	fputs("<input type=\"checkbox\" id=\"only-bad\">"
	    "<label for=\"only-bad\"> show only what did not pass (FAIL, "
	    "HANG, ERROR, XPASS)</label>\n", fp);
}

/* The group row of the folder of v[i]'s id; hidden when all passed. */
static void
write_group_row(FILE *fp, const struct run_result **v, size_t i, size_t n,
    size_t n_cols)
{
	const char *row = res_scen(v[i]);
	size_t len = folder_len(row), end;

	for (end = i; end < n && folder_len(res_scen(v[end])) == len &&
	    strncmp(res_scen(v[end]), row, len) == 0; end++)
		;
	fprintf(fp, "<tr class=\"%s\"><th class=\"group\" colspan=\"%zu\">",
	    range_class(v, i, end), n_cols + 1);
	if (len > 0) {
		char *name = xstrndup(row, len);

		put(fp, name);
		free(name);
	} else
		fputs("(top level)", fp);
	fputs("</th></tr>\n", fp);
}

/* One scenario's row: v[i..end) are its results, sorted by column. */
static void
write_row(FILE *fp, const struct run_report *r, const struct run_result **v,
    size_t i, size_t end, const struct html_col *cols, size_t n_cols)
{
	size_t c, k;

	fprintf(fp, "<tr class=\"%s\">", range_class(v, i, end));
	write_scen_cell(fp, r, res_scen(v[i]));
	for (c = 0; c < n_cols; c++) {
		for (k = i; k < end && strcmp(res_client(v[k]),
		    cols[c].client) == 0 && v[k]->policy == cols[c].policy;
		    k++)
			;
		if (k == i) {
			fputs("<td class=\"none\"></td>", fp);
			continue;
		}
		fprintf(fp, "<td class=\"%s\"><div class=\"cell\">\n",
		    range_class(v, i, k));
		for (; i < k; i++)
			write_result(fp, r, v[i]);
		fputs("</div></td>", fp);
	}
	fputs("</tr>\n", fp);
}

int
report_write_html(const struct run_report *r, FILE *fp)
{
	const struct run_result **v = NULL;
	struct html_col *cols = NULL;
	size_t n = r->n_results, n_cols = 0, i, k, c, end;
	const char *group = NULL;

	write_header(fp, r);
	if (n > 0) {
		v = xreallocarray(NULL, n, sizeof(*v));
		for (i = 0; i < n; i++)
			v[i] = &r->results[i];
		qsort(v, n, sizeof(*v), res_pcmp);
	}
	for (i = 0; i < n; i++) {
		struct html_col col = { res_client(v[i]), v[i]->policy };

		for (k = 0; k < n_cols; k++)
			if (col_cmp(&cols[k], &col) == 0)
				break;
		if (k == n_cols) {
			cols = xreallocarray(cols, n_cols + 1, sizeof(*cols));
			cols[n_cols++] = col;
		}
	}
	if (n_cols > 1)
		qsort(cols, n_cols, sizeof(*cols), col_cmp);

	write_filter(fp);
	fputs("<table class=\"matrix\">\n<thead><tr class=\"cols\">"
	    "<th>scenario</th>", fp);
	for (c = 0; c < n_cols; c++) {
		fputs("<th>", fp);
		put(fp, cols[c].client);
		fprintf(fp, "<br><small>%s</small></th>",
		    scen_policy_name(cols[c].policy));
	}
	fputs("</tr>\n", fp);
	write_client_row(fp, r, cols, n_cols);
	fputs("</thead>\n<tbody>\n", fp);
	for (i = 0; i < n; i = end) {
		const char *row = res_scen(v[i]);

		if (group == NULL || folder_len(row) != folder_len(group) ||
		    strncmp(row, group, folder_len(group)) != 0) {
			group = row;
			write_group_row(fp, v, i, n, n_cols);
		}
		for (end = i; end < n && strcmp(res_scen(v[end]), row) == 0;
		    end++)
			;
		/* Results of a column the sort did not put in column order
		 * (cannot happen) are left out rather than looped on. */
		write_row(fp, r, v, i, end, cols, n_cols);
	}
	fputs("</tbody>\n</table>\n</body>\n</html>\n", fp);
	free(v);
	free(cols);
	return ferror(fp) ? DL_EIO : 0;
}
