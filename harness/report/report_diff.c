/*
 * report_diff.c -- two run reports compared cell by cell (report.h),
 * for CI: what got worse since a baseline, what got fixed, what merely
 * changed.  Used by `danelab report diff` and `danelab run --baseline`.
 *
 * Cells are matched on (scenario, client, policy, phase name), not on
 * the phase index, so that a phase inserted into a timeline shows as
 * one added cell rather than every later phase changing.
 */
#include "harness/report/report_internal.h"

#include <stdlib.h>
#include <string.h>

#include "simulator/util/json.h"
#include "simulator/util/xmem.h"

static const char *const kind_names[REPORT_DIFF_KIND_COUNT] = {
	"new-failure", "fixed", "changed", "added", "removed", "unchanged",
};

/* JSON keys and headings of the lists, in kind order. */
static const char *const kind_keys[REPORT_DIFF_KIND_COUNT] = {
	"new_failures", "fixed", "changed", "added", "removed", "unchanged",
};
static const char *const kind_titles[REPORT_DIFF_KIND_COUNT] = {
	"New failures", "Fixed", "Changed", "Added", "Removed", "Unchanged",
};

const char *
report_diff_kind_name(enum report_diff_kind k)
{
	return k < REPORT_DIFF_KIND_COUNT ? kind_names[k] : "?";
}

bool
report_verdict_failing(enum run_verdict v)
{
	return v == RUN_FAIL || v == RUN_ERROR || v == RUN_HANG ||
	    v == RUN_XPASS;
}

static int
strcmp_null(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return (a != NULL) - (b != NULL);
	return strcmp(a, b);
}

/* The cell key: control scenarios first, as reports list them. */
static int
cell_cmp(const struct run_result *a, const struct run_result *b)
{
	bool ca = report_is_control(a->scenario);
	bool cb = report_is_control(b->scenario);
	int c;

	if (ca != cb)
		return ca ? -1 : 1;
	if ((c = strcmp_null(a->scenario, b->scenario)) != 0 ||
	    (c = strcmp_null(a->client, b->client)) != 0)
		return c;
	if (a->policy != b->policy)
		return a->policy < b->policy ? -1 : 1;
	return strcmp_null(a->phase, b->phase);
}

static int
cell_qcmp(const void *a, const void *b)
{
	const struct run_result *const *x = a, *const *y = b;

	return cell_cmp(*x, *y);
}

/* r's results, sorted by cell, each cell once. */
static const struct run_result **
sorted_cells(const struct run_report *r, size_t *n)
{
	const struct run_result **v;
	size_t i, m = 0;

	v = xcalloc(r->n_results + 1, sizeof(*v));
	for (i = 0; i < r->n_results; i++)
		v[i] = &r->results[i];
	qsort(v, r->n_results, sizeof(*v), cell_qcmp);
	for (i = 0; i < r->n_results; i++) {
		if (m > 0 && cell_cmp(v[m - 1], v[i]) == 0) {
			if (v[i] < v[m - 1])
				v[m - 1] = v[i];	/* qsort is not stable:
							 * keep r's first */
			continue;
		}
		v[m++] = v[i];
	}
	*n = m;
	return v;
}

/* Same verdict, and for a non-PASS the same rule behind it. */
static bool
same_result(const struct run_result *o, const struct run_result *n)
{
	if (o->verdict != n->verdict)
		return false;
	return n->verdict == RUN_PASS || strcmp_null(o->rule, n->rule) == 0;
}

static enum report_diff_kind
classify(const struct run_result *o, const struct run_result *n)
{
	if (n == NULL)
		return REPORT_DIFF_REMOVED;
	if (report_verdict_failing(n->verdict) &&
	    (o == NULL || !report_verdict_failing(o->verdict)))
		return REPORT_DIFF_NEW_FAILURE;
	if (o == NULL)
		return REPORT_DIFF_ADDED;
	if (report_verdict_failing(o->verdict) &&
	    (n->verdict == RUN_PASS || n->verdict == RUN_XFAIL))
		return REPORT_DIFF_FIXED;
	return same_result(o, n) ? REPORT_DIFF_UNCHANGED : REPORT_DIFF_CHANGED;
}

void
report_diff_compute(const struct run_report *old,
    const struct run_report *new, struct report_diff *d)
{
	const struct run_result **ov, **nv;
	struct report_diff_entry *all;
	size_t no, nn, i = 0, j = 0, n = 0, k, m;
	int c;

	memset(d, 0, sizeof(*d));
	d->old = old;
	d->new = new;
	d->scale_differs = report_time_scale(old) != report_time_scale(new);
	ov = sorted_cells(old, &no);
	nv = sorted_cells(new, &nn);
	all = xcalloc(no + nn + 1, sizeof(*all));
	while (i < no || j < nn) {
		if (i == no)
			c = 1;
		else if (j == nn)
			c = -1;
		else
			c = cell_cmp(ov[i], nv[j]);
		all[n].old = c <= 0 ? ov[i++] : NULL;
		all[n].new = c >= 0 ? nv[j++] : NULL;
		all[n].kind = classify(all[n].old, all[n].new);
		d->counts[all[n].kind]++;
		n++;
	}
	/* grouped by kind, each group in cell order */
	d->entries = xcalloc(n + 1, sizeof(*d->entries));
	for (k = 0, m = 0; k < REPORT_DIFF_KIND_COUNT; k++)
		for (i = 0; i < n; i++)
			if (all[i].kind == k)
				d->entries[m++] = all[i];
	d->n_entries = n;
	free(all);
	free(ov);
	free(nv);
}

void
report_diff_clear(struct report_diff *d)
{
	free(d->entries);
	memset(d, 0, sizeof(*d));
}

bool
report_diff_worse(const struct report_diff *d)
{
	return d->counts[REPORT_DIFF_NEW_FAILURE] > 0;
}

/* "FAIL rule-id", "PASS", "-" (absent), into buf. */
static char *
verdict_str(const struct run_result *res, char *buf, size_t len)
{
	if (res == NULL)
		snprintf(buf, len, "-");
	else if (res->verdict != RUN_PASS && res->rule != NULL)
		snprintf(buf, len, "%s %s", run_verdict_name(res->verdict),
		    res->rule);
	else
		snprintf(buf, len, "%s", run_verdict_name(res->verdict));
	return buf;
}

/* The result that describes an entry now: new, else old. */
static const struct run_result *
entry_res(const struct report_diff_entry *e)
{
	return e->new != NULL ? e->new : e->old;
}

/* "1 new failure, 2 fixed, ..., 40 unchanged" into buf. */
static char *
counts_line(const struct report_diff *d, char *buf, size_t len)
{
	snprintf(buf, len, "%zu new failure%s, %zu fixed, %zu changed, "
	    "%zu added, %zu removed, %zu unchanged",
	    d->counts[REPORT_DIFF_NEW_FAILURE],
	    d->counts[REPORT_DIFF_NEW_FAILURE] == 1 ? "" : "s",
	    d->counts[REPORT_DIFF_FIXED], d->counts[REPORT_DIFF_CHANGED],
	    d->counts[REPORT_DIFF_ADDED], d->counts[REPORT_DIFF_REMOVED],
	    d->counts[REPORT_DIFF_UNCHANGED]);
	return buf;
}

/*
 * Text: a heading per non-empty category, each cell on two lines (the
 * cell; then old -> new verdict, and why) so that long scenario ids do
 * not push the verdicts past 80 columns.
 */
static int
write_text(const struct report_diff *d, const char *on, const char *nn,
    FILE *fp)
{
	const struct report_diff_entry *e;
	const struct run_result *res;
	char a[128], b[128], cell[160], line[256];
	size_t i;
	int k = -1;

	fprintf(fp, "old: %s\nnew: %s\n", on, nn);
	if (d->scale_differs)
		fprintf(fp, "note: different --time-scale (%g -> %g): timeline "
		    "verdicts may differ for that reason alone\n",
		    report_time_scale(d->old), report_time_scale(d->new));
	for (i = 0; i < d->n_entries; i++) {
		e = &d->entries[i];
		if (e->kind == REPORT_DIFF_UNCHANGED)
			break;
		if ((int)e->kind != k) {
			k = (int)e->kind;
			fprintf(fp, "\n%s (%zu):\n", kind_titles[k],
			    d->counts[k]);
		}
		res = entry_res(e);
		fprintf(fp, "  %s %s %s\n", res->scenario, res->client,
		    report_cell_name(res, cell, sizeof(cell)));
		fprintf(fp, "      %s -> %s\n", verdict_str(e->old, a,
		    sizeof(a)), verdict_str(e->new, b, sizeof(b)));
		if (e->kind == REPORT_DIFF_NEW_FAILURE && e->new->reason != NULL)
			fprintf(fp, "      %.70s\n", e->new->reason);
	}
	fprintf(fp, "\n%s\n", counts_line(d, line, sizeof(line)));
	fprintf(fp, "%s\n", report_diff_worse(d) ? "worse than the baseline" :
	    "not worse than the baseline");
	return ferror(fp) ? DL_EIO : 0;
}

static void
json_side(struct json_writer *j, const char *key, const struct run_result *r)
{
	char *s;

	json_key(j, key);
	if (r == NULL) {
		json_null(j);
		return;
	}
	json_obj_begin(j);
	json_kv_str(j, "verdict", run_verdict_name(r->verdict));
	s = report_utf8_clean(r->rule);
	json_kv_str(j, "rule", s);
	free(s);
	s = report_utf8_clean(r->reason);
	json_kv_str(j, "reason", s);
	free(s);
	json_obj_end(j);
}

static void
json_entry(struct json_writer *j, const struct report_diff_entry *e)
{
	const struct run_result *res = entry_res(e);
	char *s;

	json_obj_begin(j);
	s = report_utf8_clean(res->scenario);
	json_kv_str(j, "scenario", s);
	free(s);
	s = report_utf8_clean(res->client);
	json_kv_str(j, "client", s);
	free(s);
	json_kv_str(j, "policy", scen_policy_name(res->policy));
	s = report_utf8_clean(res->phase);
	json_kv_str(j, "phase", s);
	free(s);
	json_side(j, "old", e->old);
	json_side(j, "new", e->new);
	json_obj_end(j);
}

static int
write_json(const struct report_diff *d, const char *on, const char *nn,
    FILE *fp)
{
	struct json_writer j;
	size_t i, k;
	char *s;

	json_init(&j, fp, true);
	json_obj_begin(&j);
	s = report_utf8_clean(on);
	json_kv_str(&j, "old", s);
	free(s);
	s = report_utf8_clean(nn);
	json_kv_str(&j, "new", s);
	free(s);
	json_kv_real(&j, "old_time_scale", report_time_scale(d->old));
	json_kv_real(&j, "new_time_scale", report_time_scale(d->new));
	json_kv_bool(&j, "worse", report_diff_worse(d));
	json_key(&j, "counts");
	json_obj_begin(&j);
	for (k = 0; k < REPORT_DIFF_KIND_COUNT; k++)
		json_kv_int(&j, kind_keys[k], (long long)d->counts[k]);
	json_obj_end(&j);
	for (k = 0; k < REPORT_DIFF_UNCHANGED; k++) {
		json_key(&j, kind_keys[k]);
		json_arr_begin(&j);
		for (i = 0; i < d->n_entries; i++)
			if (d->entries[i].kind == k)
				json_entry(&j, &d->entries[i]);
		json_arr_end(&j);
	}
	json_obj_end(&j);
	fputc('\n', fp);
	return ferror(fp) ? DL_EIO : 0;
}

/* JUnit: a testcase per cell of either report; new failures fail. */
static int
write_junit(const struct report_diff *d, FILE *fp)
{
	const struct report_diff_entry *e;
	const struct run_result *res;
	char a[128], b[128], cell[160];
	size_t i, fails = d->counts[REPORT_DIFF_NEW_FAILURE];

	fprintf(fp, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	fprintf(fp, "<testsuites name=\"danelab report diff\" tests=\"%zu\" "
	    "failures=\"%zu\">\n", d->n_entries, fails);
	fprintf(fp, "  <testsuite name=\"diff\" tests=\"%zu\" failures=\"%zu\" "
	    "skipped=\"%zu\">\n", d->n_entries, fails,
	    d->counts[REPORT_DIFF_REMOVED]);
	for (i = 0; i < d->n_entries; i++) {
		e = &d->entries[i];
		res = entry_res(e);
		fputs("    <testcase classname=\"", fp);
		report_xml_put(fp, res->scenario);
		fputs("\" name=\"", fp);
		report_xml_put(fp, res->client);
		fputc(' ', fp);
		report_xml_put(fp, report_cell_name(res, cell, sizeof(cell)));
		fputs("\">\n", fp);
		verdict_str(e->old, a, sizeof(a));
		verdict_str(e->new, b, sizeof(b));
		if (e->kind == REPORT_DIFF_NEW_FAILURE) {
			fputs("      <failure type=\"new-failure\" message=\"", fp);
			report_xml_put(fp, a);
			fputs(" -&gt; ", fp);
			report_xml_put(fp, b);
			fputs("\">", fp);
			report_xml_put(fp, e->new->reason);
			fputs("</failure>\n", fp);
		} else if (e->kind == REPORT_DIFF_REMOVED) {
			fputs("      <skipped message=\"removed: was ", fp);
			report_xml_put(fp, a);
			fputs("\"/>\n", fp);
		} else {
			fprintf(fp, "      <system-out>%s: ",
			    kind_names[e->kind]);
			report_xml_put(fp, a);
			fputs(" -&gt; ", fp);
			report_xml_put(fp, b);
			fputs("</system-out>\n", fp);
		}
		fputs("    </testcase>\n", fp);
	}
	fputs("  </testsuite>\n</testsuites>\n", fp);
	return ferror(fp) ? DL_EIO : 0;
}

static void
html_td(FILE *fp, const char *s)
{
	fputs("<td>", fp);
	report_xml_put(fp, s);
	fputs("</td>", fp);
}

/* HTML: one self-contained page, a table per non-empty category. */
static int
write_html(const struct report_diff *d, const char *on, const char *nn,
    FILE *fp)
{
	const struct report_diff_entry *e;
	const struct run_result *res;
	char a[128], b[128], cell[160], line[256];
	size_t i;
	int k = -1;

	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	    "<meta charset=\"utf-8\">\n<title>danelab report diff</title>\n"
	    "<style>\nbody{font-family:sans-serif;margin:1em 2em}\n"
	    "table{border-collapse:collapse;margin-bottom:1em}\n"
	    "th,td{border:1px solid #bbb;padding:.2em .5em;text-align:left;"
	    "vertical-align:top}\n"
	    "h2.new-failure{color:#b00}\nh2.fixed{color:#070}\n"
	    ".worse{color:#b00;font-weight:bold}\n</style>\n</head>\n<body>\n"
	    "<h1>danelab report diff</h1>\n<p>", fp);
	report_xml_put(fp, on);
	fputs(" &rarr; ", fp);
	report_xml_put(fp, nn);
	fputs("</p>\n", fp);
	if (d->scale_differs)
		fprintf(fp, "<p>Note: different --time-scale (%g &rarr; %g): "
		    "timeline verdicts may differ for that reason alone.</p>\n",
		    report_time_scale(d->old), report_time_scale(d->new));
	fprintf(fp, "<p>%s. <span class=\"%s\">%s</span></p>\n",
	    counts_line(d, line, sizeof(line)),
	    report_diff_worse(d) ? "worse" : "ok",
	    report_diff_worse(d) ? "Worse than the baseline." :
	    "Not worse than the baseline.");
	for (i = 0; i < d->n_entries; i++) {
		e = &d->entries[i];
		if (e->kind == REPORT_DIFF_UNCHANGED)
			break;
		if ((int)e->kind != k) {
			if (k >= 0)
				fputs("</table>\n", fp);
			k = (int)e->kind;
			fprintf(fp, "<h2 class=\"%s\">%s (%zu)</h2>\n<table>\n"
			    "<tr><th>Scenario</th><th>Client</th><th>Cell</th>"
			    "<th>Before</th><th>Now</th><th>Why now</th></tr>\n",
			    kind_names[k], kind_titles[k], d->counts[k]);
		}
		res = entry_res(e);
		fputs("<tr>", fp);
		html_td(fp, res->scenario);
		html_td(fp, res->client);
		html_td(fp, report_cell_name(res, cell, sizeof(cell)));
		html_td(fp, verdict_str(e->old, a, sizeof(a)));
		html_td(fp, verdict_str(e->new, b, sizeof(b)));
		html_td(fp, e->new != NULL ? e->new->reason : NULL);
		fputs("</tr>\n", fp);
	}
	if (k >= 0)
		fputs("</table>\n", fp);
	fputs("</body>\n</html>\n", fp);
	return ferror(fp) ? DL_EIO : 0;
}

int
report_diff_write(const struct report_diff *d, enum report_format f,
    const char *old_name, const char *new_name, FILE *fp)
{
	switch (f) {
	case REPORT_TEXT:
		return write_text(d, old_name, new_name, fp);
	case REPORT_JSON:
		return write_json(d, old_name, new_name, fp);
	case REPORT_JUNIT:
		return write_junit(d, fp);
	case REPORT_HTML:
		return write_html(d, old_name, new_name, fp);
	default:
		return DL_EINVAL;
	}
}

/* What report_diff_write_path hands report_write_file. */
struct diff_job {
	const struct report_diff *d;
	enum report_format f;
	const char *old_name, *new_name;
};

static int
write_diff_job(const void *arg, FILE *fp)
{
	const struct diff_job *j = arg;

	return report_diff_write(j->d, j->f, j->old_name, j->new_name, fp);
}

int
report_diff_write_path(const struct report_diff *d, enum report_format f,
    const char *old_name, const char *new_name, const char *path,
    struct dl_diags *diags)
{
	struct diff_job j;

	j.d = d;
	j.f = f;
	j.old_name = old_name;
	j.new_name = new_name;
	return report_write_file(write_diff_job, &j, "diff", path, diags);
}

int
report_diff_exit(int run_rc, bool worse)
{
	return worse ? 1 : run_rc;
}

int
report_diff_baseline(const struct run_report *base, const char *base_name,
    const struct run_report *rep, int run_rc, FILE *fp)
{
	struct report_diff d;
	bool worse;

	report_diff_compute(base, rep, &d);
	(void)write_text(&d, base_name, "this run", fp);
	fflush(fp);
	worse = report_diff_worse(&d);
	report_diff_clear(&d);
	return report_diff_exit(run_rc, worse);
}
