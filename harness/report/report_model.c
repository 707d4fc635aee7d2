/*
 * report_model.c -- the run report as data: names of its enumerations,
 * counts, the summary line and exit code, freeing, sorting, merging.
 *
 * Writing and reading the report live in report_json.c and the other
 * report_<format>.c files; this file never prints.
 */
#include "harness/report/report.h"
#include "harness/report/report_internal.h"

#include <stdlib.h>
#include <string.h>

#include "simulator/util/xmem.h"

static const char *const verdict_names[RUN_VERDICT_COUNT] = {
	[RUN_PASS] = "PASS",
	[RUN_FAIL] = "FAIL",
	[RUN_SKIP] = "SKIP",
	[RUN_HANG] = "HANG",
	[RUN_ERROR] = "ERROR",
	[RUN_XFAIL] = "XFAIL",
	[RUN_XPASS] = "XPASS",
};

static const char *const outcome_names[RUN_OUTCOME_COUNT] = {
	[RUN_OUT_NOT_CONTACTED] = "not-contacted",
	[RUN_OUT_QUIT_PLAIN] = "quit-plain",
	[RUN_OUT_TLS_ABORTED] = "tls-aborted",
	[RUN_OUT_QUIT_AFTER_TLS] = "quit-after-tls",
	[RUN_OUT_DELIVERED_PLAIN] = "delivered-plain",
	[RUN_OUT_DELIVERED_TLS] = "delivered-tls",
};

static const char *const claim_names[RUN_CLAIM_COUNT] = {
	[RUN_CLAIM_NONE] = "none",
	[RUN_CLAIM_AUTH] = "auth",
	[RUN_CLAIM_ENCRYPT] = "encrypt",
	[RUN_CLAIM_PLAIN] = "plain",
	[RUN_CLAIM_REFUSE] = "refuse",
};

static const char *const tlsa_state_names[RUN_TLSA_STATE_COUNT] = {
	[RUN_TLSA_NOT_ASKED] = "not-asked",
	[RUN_TLSA_SECURE] = "secure",
	[RUN_TLSA_INSECURE] = "insecure",
	[RUN_TLSA_BOGUS] = "bogus",
	[RUN_TLSA_FAILED] = "failed",
	[RUN_TLSA_UNCHECKED] = "unchecked",
};

static const char *const format_names[REPORT_FORMAT_COUNT] = {
	[REPORT_TEXT] = "text",
	[REPORT_JSON] = "json",
	[REPORT_JUNIT] = "junit",
	[REPORT_TAP] = "tap",
	[REPORT_HTML] = "html",
};

static const char *
name_of(const char *const *tab, int n, int v)
{
	if (v < 0 || v >= n)
		return "?";
	return tab[v];
}

static int
parse_in(const char *const *tab, int n, const char *s)
{
	int i;

	if (s == NULL)
		return -1;
	for (i = 0; i < n; i++)
		if (strcmp(tab[i], s) == 0)
			return i;
	return -1;
}

const char *
run_verdict_name(enum run_verdict v)
{
	return name_of(verdict_names, RUN_VERDICT_COUNT, (int)v);
}

const char *
run_outcome_name(enum run_outcome o)
{
	return name_of(outcome_names, RUN_OUTCOME_COUNT, (int)o);
}

const char *
run_claim_name(enum run_claim c)
{
	return name_of(claim_names, RUN_CLAIM_COUNT, (int)c);
}

const char *
run_tlsa_state_name(enum run_tlsa_state st)
{
	return name_of(tlsa_state_names, RUN_TLSA_STATE_COUNT, (int)st);
}

int
run_tlsa_state_parse(const char *s)
{
	return parse_in(tlsa_state_names, RUN_TLSA_STATE_COUNT, s);
}

const char *
report_format_name(enum report_format f)
{
	return name_of(format_names, REPORT_FORMAT_COUNT, (int)f);
}

int
run_verdict_parse(const char *s)
{
	return parse_in(verdict_names, RUN_VERDICT_COUNT, s);
}

int
run_outcome_parse(const char *s)
{
	return parse_in(outcome_names, RUN_OUTCOME_COUNT, s);
}

int
run_claim_parse(const char *s)
{
	return parse_in(claim_names, RUN_CLAIM_COUNT, s);
}

int
report_format_parse(const char *s)
{
	return parse_in(format_names, REPORT_FORMAT_COUNT, s);
}

const char *
report_action_str(enum scen_action a)
{
	return a == SCEN_ACT_UNSET ? "-" : scen_action_name(a);
}

int
report_action_parse(const char *s)
{
	int a;

	if (s == NULL)
		return -1;
	for (a = SCEN_ACT_AUTH; a <= SCEN_ACT_DEFER; a++)
		if (strcmp(scen_action_name((enum scen_action)a), s) == 0)
			return a;
	return -1;
}

int
report_policy_parse(const char *s)
{
	return scen_policy_parse(s);
}

bool
report_is_control(const char *id)
{
	return id != NULL && strncmp(id, "control/", 8) == 0;
}

void
report_count(const struct run_report *r, size_t counts[RUN_VERDICT_COUNT])
{
	size_t i;

	memset(counts, 0, sizeof(counts[0]) * RUN_VERDICT_COUNT);
	for (i = 0; i < r->n_results; i++)
		if ((unsigned)r->results[i].verdict < RUN_VERDICT_COUNT)
			counts[r->results[i].verdict]++;
}

void
report_count_client(const struct run_report *r, const char *client,
    size_t counts[RUN_VERDICT_COUNT])
{
	size_t i;

	memset(counts, 0, sizeof(counts[0]) * RUN_VERDICT_COUNT);
	for (i = 0; i < r->n_results; i++)
		if ((unsigned)r->results[i].verdict < RUN_VERDICT_COUNT &&
		    r->results[i].client != NULL &&
		    strcmp(r->results[i].client, client) == 0)
			counts[r->results[i].verdict]++;
}

size_t
report_clients(const struct run_report *r, const char **v, size_t max)
{
	size_t n = 0, i, k, j;
	const char *c;

	for (i = 0; i < r->n_results; i++) {
		if ((c = r->results[i].client) == NULL)
			continue;
		for (k = 0; k < n && k < max; k++)
			if (strcmp(v[k], c) == 0)
				break;
		if (k < n && k < max)
			continue;
		/* Insertion in name order; past max, only counted. */
		if (n < max) {
			for (j = n; j > 0 && strcmp(v[j - 1], c) > 0; j--)
				v[j] = v[j - 1];
			v[j] = c;
		}
		n++;
	}
	return n;
}

int
report_exit_code(const struct run_report *r)
{
	size_t c[RUN_VERDICT_COUNT];

	report_count(r, c);
	if (r->interrupted || c[RUN_FAIL] + c[RUN_XPASS] + c[RUN_HANG] +
	    c[RUN_ERROR] > 0)
		return 1;
	if (c[RUN_SKIP] == r->n_results)
		return 77;
	return 0;
}

char *
report_summary(const struct run_report *r, char *buf, size_t len)
{
	size_t c[RUN_VERDICT_COUNT];

	report_count(r, c);
	return report_summary_counts(c, buf, len);
}

char *
report_summary_counts(const size_t c[RUN_VERDICT_COUNT], char *buf,
    size_t len)
{
	if (len == 0)
		return buf;
	/* Disjoint: every result is counted once, under its own verdict. */
	snprintf(buf, len, "%zu passed, %zu failed, %zu error, %zu hang, "
	    "%zu skipped, %zu xfail, %zu xpass", c[RUN_PASS], c[RUN_FAIL],
	    c[RUN_ERROR], c[RUN_HANG], c[RUN_SKIP], c[RUN_XFAIL],
	    c[RUN_XPASS]);
	return buf;
}

int
report_accept_parse(const char *s, unsigned *accept)
{
	char word[32];
	size_t n;
	int a;

	*accept = 0;
	if (s == NULL || strcmp(s, "-") == 0)
		return 0;
	while (*s != '\0') {
		n = strcspn(s, "|");
		if (n == 0 || n >= sizeof(word))
			return -1;
		memcpy(word, s, n);
		word[n] = '\0';
		if ((a = report_action_parse(word)) < 0)
			return -1;
		*accept |= SCEN_ACT_BIT(a);
		s += n;
		if (*s == '|' && *++s == '\0')
			return -1;
	}
	return 0;
}

double
report_time_scale(const struct run_report *r)
{
	return r->time_scale > 0 ? r->time_scale : 1.0;
}

const struct run_scenario *
report_scenario(const struct run_report *r, const char *id)
{
	size_t i;

	for (i = 0; i < r->n_scenarios; i++)
		if (strcmp(r->scenarios[i].id, id) == 0)
			return &r->scenarios[i];
	return NULL;
}

static void
run_host_clear(struct run_host *h)
{
	size_t i;

	free(h->host);
	free(h->claim_text);
	free(h->sni);
	free(h->tls_error);
	for (i = 0; i < h->n_tlsa; i++)
		free(h->tlsa[i]);
	free(h->tlsa);
	memset(h, 0, sizeof(*h));
}

void
run_result_clear(struct run_result *res)
{
	size_t i;

	for (i = 0; i < res->n_hosts; i++)
		run_host_clear(&res->hosts[i]);
	free(res->hosts);
	free(res->scenario);
	free(res->client);
	free(res->phase);
	free(res->reason);
	free(res->deviation);
	free(res->rule);
	free(res->rule_ref);
	free(res->rule_host);
	free(res->observed);
	free(res->output);
	free(res->output_lines);
	free(res->kept_dir);
	memset(res, 0, sizeof(*res));
}

static void
run_scenario_clear(struct run_scenario *s)
{
	size_t i;

	for (i = 0; i < s->n_refs; i++)
		free(s->refs[i]);
	free(s->refs);
	free(s->id);
	free(s->title);
	free(s->category);
	free(s->explanation);
	free(s->rule);
	tl_plan_free(s->timeline);
	memset(s, 0, sizeof(*s));
}

void
report_clear(struct run_report *r)
{
	size_t i;

	for (i = 0; i < r->n_results; i++)
		run_result_clear(&r->results[i]);
	free(r->results);
	for (i = 0; i < r->n_scenarios; i++)
		run_scenario_clear(&r->scenarios[i]);
	free(r->scenarios);
	free(r->version);
	free(r->isolation);
	free(r->env_message);
	memset(r, 0, sizeof(*r));
}

static int
strcmp_null(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return (a != NULL) - (b != NULL);
	return strcmp(a, b);
}

/* The identity of a result: scenario, client, policy, phase. */
int
report_result_cmp(const struct run_result *a, const struct run_result *b)
{
	bool ca = report_is_control(a->scenario);
	bool cb = report_is_control(b->scenario);
	int d;

	if (ca != cb)
		return ca ? -1 : 1;
	if ((d = strcmp_null(a->scenario, b->scenario)) != 0)
		return d;
	if ((d = strcmp_null(a->client, b->client)) != 0)
		return d;
	if (a->policy != b->policy)
		return a->policy < b->policy ? -1 : 1;
	if (a->phase_index != b->phase_index)
		return a->phase_index < b->phase_index ? -1 : 1;
	return strcmp_null(a->phase, b->phase);
}

static int
result_qcmp(const void *a, const void *b)
{
	return report_result_cmp(a, b);
}

static int
result_pqcmp(const void *a, const void *b)
{
	const struct run_result *const *pa = a, *const *pb = b;

	return report_result_cmp(*pa, *pb);
}

void
report_sort(struct run_report *r)
{
	if (r->n_results > 1)
		qsort(r->results, r->n_results, sizeof(r->results[0]),
		    result_qcmp);
}

/*
 * A result found twice among dst's and src's: check every result of both
 * at once, sorted by identity, so that the check is n log n.
 */
static const struct run_result *
merge_duplicate(const struct run_report *dst, const struct run_report *src)
{
	size_t n = dst->n_results + src->n_results, i, k = 0;
	const struct run_result **v, *dup = NULL;

	if (n < 2)
		return NULL;
	v = xreallocarray(NULL, n, sizeof(*v));
	for (i = 0; i < dst->n_results; i++)
		v[k++] = &dst->results[i];
	for (i = 0; i < src->n_results; i++)
		v[k++] = &src->results[i];
	qsort(v, n, sizeof(*v), result_pqcmp);
	for (i = 1; i < n && dup == NULL; i++)
		if (report_result_cmp(v[i - 1], v[i]) == 0)
			dup = v[i];
	free(v);
	return dup;
}

int
report_merge(struct run_report *dst, struct run_report *src,
    const char *file, struct dl_diags *diags)
{
	const struct run_result *dup;
	size_t i, k;
	char cell[256];

	if (dst->schema != src->schema)
		return dl_error(diags, file, 0, 0,
		    "schema %u does not merge with schema %u", src->schema,
		    dst->schema);
	/*
	 * A phase at 20 s of a run at --time-scale 2 is not the phase at
	 * 20 s of another: the worlds and caches differ, so one matrix of
	 * both would compare unlike things.  Rerun one of them instead.
	 */
	if (report_time_scale(dst) != report_time_scale(src))
		return dl_error(diags, file, 0, 0,
		    "time scale %g does not merge with time scale %g: its "
		    "timelines ran at another speed (rerun it with "
		    "--time-scale %g)", report_time_scale(src),
		    report_time_scale(dst), report_time_scale(dst));
	if (dst->n_results + src->n_results > REPORT_MAX_RESULTS)
		return dl_error(diags, file, 0, 0,
		    "more than %d results when merged", REPORT_MAX_RESULTS);
	if ((dup = merge_duplicate(dst, src)) != NULL)
		return dl_error(diags, file, 0, 0,
		    "result %s %s %s is in more than one report",
		    dup->scenario, dup->client,
		    report_cell_name(dup, cell, sizeof(cell)));
	if (strcmp_null(dst->version, src->version) != 0)
		dl_warn(diags, file, 0, 0,
		    "written by danelab %s, merged into a report of %s",
		    src->version ? src->version : "?",
		    dst->version ? dst->version : "?");

	/* Results move from src to dst. */
	if (src->n_results > 0) {
		dst->results = xreallocarray(dst->results,
		    dst->n_results + src->n_results, sizeof(*dst->results));
		memcpy(dst->results + dst->n_results, src->results,
		    src->n_results * sizeof(*src->results));
		dst->n_results += src->n_results;
		free(src->results);
		src->results = NULL;
		src->n_results = 0;
	}
	/* Scenarios dst lacks move too; the others stay in src (freed). */
	for (i = 0; i < src->n_scenarios; i++) {
		struct run_scenario *have = (struct run_scenario *)
		    report_scenario(dst, src->scenarios[i].id);

		if (have != NULL) {
			/* A shard of an older danelab may lack the plan. */
			if (have->timeline == NULL) {
				have->timeline = src->scenarios[i].timeline;
				src->scenarios[i].timeline = NULL;
			}
			continue;
		}
		k = dst->n_scenarios;
		dst->scenarios = xreallocarray(dst->scenarios, k + 1,
		    sizeof(*dst->scenarios));
		dst->scenarios[k] = src->scenarios[i];
		memset(&src->scenarios[i], 0, sizeof(src->scenarios[i]));
		dst->n_scenarios = k + 1;
	}

	dst->env_ok = dst->env_ok && src->env_ok;
	if (dst->env_message == NULL && src->env_message != NULL) {
		dst->env_message = src->env_message;
		src->env_message = NULL;
	}
	dst->interrupted = dst->interrupted || src->interrupted;
	if (src->duration_ms > dst->duration_ms)
		dst->duration_ms = src->duration_ms;
	if (src->started < dst->started)
		dst->started = src->started;
	if (src->jobs > dst->jobs)
		dst->jobs = src->jobs;
	if (dst->version == NULL) {
		dst->version = src->version;
		src->version = NULL;
	}
	if (dst->isolation == NULL) {
		dst->isolation = src->isolation;
		src->isolation = NULL;
	}
	dst->shard_k = 0;
	dst->shard_n = 0;
	report_clear(src);
	report_sort(dst);
	return 0;
}

int
report_write(const struct run_report *r, enum report_format f,
    const struct report_opts *o, FILE *fp)
{
	static const struct report_opts none = { .color = false };
	int rc;

	if (o == NULL)
		o = &none;
	switch (f) {
	case REPORT_TEXT:
		rc = report_write_text(r, o, fp);
		break;
	case REPORT_JSON:
		rc = report_write_json(r, fp);
		break;
	case REPORT_JUNIT:
		rc = report_write_junit(r, fp);
		break;
	case REPORT_TAP:
		rc = report_write_tap(r, fp);
		break;
	case REPORT_HTML:
		rc = report_write_html(r, fp);
		break;
	default:
		return DL_EINVAL;
	}
	if (rc == 0 && (fflush(fp) != 0 || ferror(fp)))
		rc = DL_EIO;
	return rc;
}
