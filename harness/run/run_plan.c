/*
 * run_plan.c -- which cells a run has, which shard gets which, and the
 * order they start in (run.h).
 */
#include <stdlib.h>
#include <string.h>

#include "danelab_config.h"
#include "harness/run/run.h"
#include "simulator/util/xmem.h"

bool
run_is_control(const struct scenario *s)
{
	size_t i;

	if (strncmp(s->id, "control/", 8) == 0)
		return true;
	for (i = 0; i < s->n_tags; i++)
		if (strcmp(s->tags[i], "control") == 0)
			return true;
	return false;
}

unsigned
run_cell_span(const struct run_cell *c)
{
	return c->s->n_phases > 0 ? c->s->phases[c->s->n_phases - 1].at : 0;
}

void
run_results_fill(const struct run_cell *c, struct run_report *rep,
    enum run_verdict v, const char *reason)
{
	size_t n = c->s->n_phases > 0 ? c->s->n_phases : 1, i;
	const struct scen_expect_policy *ep;

	for (i = 0; i < rep->n_results; i++)
		run_result_clear(&rep->results[i]);
	free(rep->results);
	rep->results = xcalloc(n, sizeof(*rep->results));
	rep->n_results = n;
	for (i = 0; i < n; i++) {
		struct run_result *r = &rep->results[i];
		int ph = c->s->n_phases > 0 ? (int)i : -1;

		r->scenario = xstrdup(c->s->id);
		r->client = xstrdup(c->client->name);
		r->policy = c->policy;
		r->phase = ph >= 0 ? xstrdup(c->s->phases[i].name) : NULL;
		r->phase_index = ph;
		r->at = ph >= 0 ? c->s->phases[i].at : 0;
		r->verdict = v;
		r->reason = xstrdup(reason);
		r->exit_status = -1;
		ep = scenario_expect(c->s, c->policy, ph);
		r->expected = ep ? ep->overall : SCEN_ACT_UNSET;
	}
}

void
run_scenario_from(const struct scenario *s, const char *fixtures_dir,
    struct run_scenario *rs)
{
	size_t i;

	memset(rs, 0, sizeof(*rs));
	rs->id = xstrdup(s->id);
	rs->title = xstrdup(s->title);
	rs->category = xstrdup(scen_category_name(s->category));
	rs->explanation = xstrdup(s->explanation ? s->explanation : "");
	rs->rule = s->rule ? xstrdup(s->rule) : NULL;
	rs->n_refs = s->n_refs;
	rs->refs = xcalloc(s->n_refs + 1, sizeof(*rs->refs));
	for (i = 0; i < s->n_refs; i++)
		rs->refs[i] = xstrdup(s->refs[i]);
	rs->timeline = tl_plan_build(s, fixtures_dir);
}

void
run_report_start(const struct scenario *s, const char *fixtures_dir,
    const char *isolation, struct run_report *rep)
{
	memset(rep, 0, sizeof(*rep));
	rep->schema = REPORT_SCHEMA_VERSION;
	rep->version = xstrdup(DANELAB_VERSION);
	rep->isolation = xstrdup(isolation);
	rep->env_ok = true;
	rep->time_scale = s->time_scale;
	rep->n_scenarios = 1;
	rep->scenarios = xcalloc(1, sizeof(*rep->scenarios));
	run_scenario_from(s, fixtures_dir, &rep->scenarios[0]);
}

char *
run_nodot(const char *name)
{
	char *r = xstrdup(name);
	size_t n = strlen(r);

	if (n > 1 && r[n - 1] == '.')
		r[n - 1] = '\0';
	return r;
}

static int
cell_cmp_id(const void *a, const void *b)
{
	const struct run_cell *x = a, *y = b;
	int r = strcmp(x->s->id, y->s->id);

	if (r != 0)
		return r;
	if (x->client != y->client &&
	    (r = strcmp(x->client->name, y->client->name)) != 0)
		return r;
	return (int)x->policy - (int)y->policy;
}

/* Start order: env check, then timelines (longest first), then the rest. */
static int
cell_cmp_start(const void *a, const void *b)
{
	const struct run_cell *x = a, *y = b;
	unsigned sx = run_cell_span(x), sy = run_cell_span(y);

	if (x->env_check != y->env_check)
		return x->env_check ? -1 : 1;
	if ((sx > 0) != (sy > 0))
		return sx > 0 ? -1 : 1;
	if (sx != sy)
		return sx > sy ? -1 : 1;
	if (run_is_control(x->s) != run_is_control(y->s))
		return run_is_control(x->s) ? -1 : 1;
	return cell_cmp_id(a, b);
}

/*
 * The policies client c is scored under.  One place, so that a kind of
 * profile scored once (not per policy) changes only this.
 */
static size_t
client_policies(const struct client_profile *c, const struct run_opts *o,
    enum scen_policy *out)
{
	size_t n = 0, p;

	for (p = 0; p < SCEN_POLICY_COUNT; p++)
		if (o->policies[p])
			out[n++] = (enum scen_policy)p;
	/*
	 * A checker diagnoses the world, which no policy changes: one cell,
	 * under the first policy asked for (dane by default; its `auth`
	 * fact is the dane reading).
	 */
	if (c->kind == PROFILE_KIND_CHECKER && n > 1)
		n = 1;
	return n;
}

size_t
run_plan(struct scenario *const *scenarios, size_t n,
    const struct client_profile *const *clients, size_t n_clients,
    const struct client_profile *reference,
    struct scenario *const *controls, size_t n_controls,
    const struct run_opts *o, struct run_cell **out)
{
	enum scen_policy pol[SCEN_POLICY_COUNT];
	struct run_cell *all, *cells;
	size_t n_all = 0, n_cells = 0, i, j, k, p, np;

	all = xcalloc(n * n_clients * SCEN_POLICY_COUNT + 1, sizeof(*all));
	for (i = 0; i < n; i++)
		for (k = 0; k < n_clients; k++) {
			np = client_policies(clients[k], o, pol);
			for (p = 0; p < np; p++) {
				all[n_all].s = scenarios[i];
				all[n_all].client = clients[k];
				all[n_all].policy = pol[p];
				all[n_all].report = true;
				if (o->cell_filter == NULL ||
				    o->cell_filter(&all[n_all],
				    o->cell_filter_arg))
					n_all++;
			}
		}
	qsort(all, n_all, sizeof(*all), cell_cmp_id);

	cells = xcalloc(n_all + n_controls + 1, sizeof(*cells));
	for (i = 0; i < n_all; i++) {
		if (o->shard_n > 1 && i % o->shard_n != o->shard_k - 1)
			continue;
		cells[n_cells++] = all[i];
	}
	free(all);

	/* The environment check: controls, reference client, dane. */
	for (i = 0; i < n_controls; i++) {
		bool found = false;

		for (j = 0; j < n_cells; j++)
			if (cells[j].client == reference &&
			    cells[j].policy == SCEN_POLICY_DANE &&
			    strcmp(cells[j].s->id, controls[i]->id) == 0) {
				cells[j].env_check = true;
				found = true;
			}
		if (found)
			continue;
		cells[n_cells].s = controls[i];
		cells[n_cells].client = reference;
		cells[n_cells].policy = SCEN_POLICY_DANE;
		cells[n_cells].env_check = true;
		cells[n_cells].report = false;
		n_cells++;
	}
	qsort(cells, n_cells, sizeof(*cells), cell_cmp_start);
	for (i = 0; i < n_cells; i++)
		cells[i].index = i;
	*out = cells;
	return n_cells;
}
