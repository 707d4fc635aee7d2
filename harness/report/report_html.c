/*
 * report_html.c -- a run report as one self-contained HTML5 page.
 *
 * The page has no script and loads nothing: the CSS is inline and the
 * details open with the <details> element.  It shows the run's metadata
 * and summary, then a matrix: one row per scenario (controls first,
 * grouped by the folder of the id), one column per (client, policy).  A
 * cell holds one verdict per result (a timeline scenario has one per
 * phase, stacked), each a <details> with the evidence and the scenario's
 * teaching text.  Every text goes through report_xml_put.
 */
#include "harness/report/report_internal.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "simulator/util/xmem.h"

static const char html_css[] =
    "body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}\n"
    "h1{font-size:1.4em}\n"
    "table.meta td{padding:0 1em 0 0}\n"
    "table.matrix{border-collapse:collapse;margin-top:1em}\n"
    ".matrix th,.matrix td{border:1px solid #ccc;padding:3px 6px;"
    "vertical-align:top;text-align:left}\n"
    ".matrix th.group{background:#eee;font-size:1.05em}\n"
    ".matrix td.scen{font-family:monospace;white-space:nowrap}\n"
    "summary{cursor:pointer;font-weight:bold;font-family:monospace}\n"
    "summary small{font-weight:normal;color:#444}\n"
    "details .body{font-size:.9em;max-width:60em;padding:.3em;"
    "border-left:3px solid #ccc;margin:.2em 0 .4em}\n"
    "pre{background:#f6f6f6;padding:.4em;overflow:auto;max-height:30em;"
    "white-space:pre-wrap}\n"
    ".PASS{color:#176f2c}.FAIL,.XPASS,.ERROR{color:#b00020}\n"
    ".HANG{color:#8b008b}.SKIP,.XFAIL{color:#8a6d00}\n"
    ".broken{background:#b00020;color:#fff;padding:.5em;"
    "font-weight:bold}\n"
    ".interrupted{background:#8a6d00;color:#fff;padding:.5em}\n"
    ".summary{font-size:1.1em;font-weight:bold}\n";

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

static void
write_scenario_text(FILE *fp, const struct run_scenario *s)
{
	size_t i;

	if (s == NULL)
		return;
	fputs("<hr><div><b>", fp);
	put(fp, s->title ? s->title : s->id);
	fputs("</b>", fp);
	if (s->category != NULL && strcmp(s->category, "none") != 0) {
		fputs(" <small>(", fp);
		put(fp, s->category);
		fputs(")</small>", fp);
	}
	fputs("</div>\n", fp);
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
write_result(FILE *fp, const struct run_report *r,
    const struct run_result *res)
{
	const char *v = run_verdict_name(res->verdict);
	char exp[96], buf[2048];
	size_t i;

	fprintf(fp, "<details><summary class=\"%s\">%s", v, v);
	if (res->phase != NULL) {
		fputs(" <small>", fp);
		put(fp, res->phase);
		fputs("</small>", fp);
	}
	fputs("</summary><div class=\"body\">\n", fp);
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
	write_scenario_text(fp, report_scenario(r, res->scenario));
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
	fputs("</table>\n<p class=\"summary\">", fp);
	put(fp, report_summary(r, sum, sizeof(sum)));
	fputs("</p>\n", fp);
}

int
report_write_html(const struct run_report *r, FILE *fp)
{
	const struct run_result **v = NULL;
	struct html_col *cols = NULL;
	size_t n = r->n_results, n_cols = 0, i, k, c;
	const char *row, *group = NULL;
	size_t group_len = 0;

	write_header(fp, r);
	if (n > 0) {
		v = xreallocarray(NULL, n, sizeof(*v));
		for (i = 0; i < n; i++)
			v[i] = &r->results[i];
		qsort(v, n, sizeof(*v), res_pcmp);
	}
	for (i = 0; i < n; i++) {
		struct html_col col = { v[i]->client ? v[i]->client : "?",
			v[i]->policy };

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

	fputs("<table class=\"matrix\">\n<thead><tr><th>scenario</th>", fp);
	for (c = 0; c < n_cols; c++) {
		fputs("<th>", fp);
		put(fp, cols[c].client);
		fprintf(fp, "<br><small>%s</small></th>",
		    scen_policy_name(cols[c].policy));
	}
	fputs("</tr>\n", fp);
	write_client_row(fp, r, cols, n_cols);
	fputs("</thead>\n<tbody>\n", fp);
	for (i = 0; i < n;) {
		const struct run_scenario *s;

		row = v[i]->scenario ? v[i]->scenario : "?";
		if (group == NULL || folder_len(row) != group_len ||
		    strncmp(row, group, group_len) != 0) {
			group = row;
			group_len = folder_len(row);
			fprintf(fp, "<tr><th class=\"group\" colspan=\"%zu\">",
			    n_cols + 1);
			if (group_len > 0) {
				char *name = xstrndup(row, group_len);

				put(fp, name);
				free(name);
			}
			if (group_len == 0)
				fputs("(top level)", fp);
			fputs("</th></tr>\n", fp);
		}
		fputs("<tr><td class=\"scen\">", fp);
		put(fp, row);
		s = report_scenario(r, row);
		if (s != NULL && s->title != NULL) {
			fputs("<br><small>", fp);
			put(fp, s->title);
			fputs("</small>", fp);
		}
		report_svg_timeline(fp, r, s);
		fputs("</td>", fp);
		for (c = 0; c < n_cols; c++) {
			fputs("<td>", fp);
			while (i < n && strcmp(v[i]->scenario ?
			    v[i]->scenario : "?", row) == 0 &&
			    strcmp(v[i]->client ? v[i]->client : "?",
			    cols[c].client) == 0 &&
			    v[i]->policy == cols[c].policy) {
				write_result(fp, r, v[i]);
				i++;
			}
			fputs("</td>", fp);
		}
		fputs("</tr>\n", fp);
		/* Results the columns did not take (cannot happen when
		 * sorted; kept so that a bad order never loops). */
		while (i < n && strcmp(v[i]->scenario ? v[i]->scenario : "?",
		    row) == 0)
			i++;
	}
	fputs("</tbody>\n</table>\n</body>\n</html>\n", fp);
	free(v);
	free(cols);
	return ferror(fp) ? DL_EIO : 0;
}
