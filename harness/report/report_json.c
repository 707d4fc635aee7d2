/*
 * report_json.c -- writing the JSON form of a run report (REPORT.md),
 * with the project's writer (simulator/util/json.h).
 *
 * The JSON is the source of truth: reading it back (report_json_read.c,
 * apart because jansson's names collide with json.h's) gives the same
 * struct, so that writing it again gives the same bytes.  Strings are
 * made valid UTF-8 before they are written (jansson rejects anything
 * else), which is the one change a round trip can make, and only on the
 * first write.
 */
#include "harness/report/report_internal.h"

#include <stdlib.h>

#include "simulator/util/json.h"

static void
put_str(struct json_writer *j, const char *key, const char *s)
{
	char *clean = report_utf8_clean(s);

	json_kv_str(j, key, clean);
	free(clean);
}

static void
put_action(struct json_writer *j, const char *key, enum scen_action a)
{
	json_kv_str(j, key, a == SCEN_ACT_UNSET ? NULL : scen_action_name(a));
}

static void
put_accept(struct json_writer *j, const char *key, unsigned accept)
{
	char buf[96];

	json_kv_str(j, key, accept == 0 ? NULL
	    : scen_accept_format(accept, buf, sizeof(buf)));
}

static void
put_elem(struct json_writer *j, const char *s)
{
	char *clean = report_utf8_clean(s);

	json_str(j, clean);
	free(clean);
}

static void
write_host(struct json_writer *j, const struct run_host *h)
{
	size_t i;

	json_obj_begin(j);
	put_str(j, "host", h->host);
	put_action(j, "expected", h->expected);
	put_accept(j, "accepted", h->accept);
	json_kv_str(j, "outcome", run_outcome_name(h->outcome));
	json_kv_int(j, "sessions", h->sessions);
	json_kv_int(j, "messages_plain", h->msgs_plain);
	json_kv_int(j, "messages_tls", h->msgs_tls);
	json_kv_int(j, "tls_ok", h->tls_ok);
	json_kv_int(j, "tls_failed", h->tls_failed);
	json_kv_int(j, "starttls_skipped", h->starttls_skipped);
	json_kv_str(j, "claim", run_claim_name(h->claim));
	put_str(j, "claim_text", h->claim_text);
	put_str(j, "sni", h->sni);
	put_str(j, "tls_error", h->tls_error);
	/* Only when asked: reports without answers stay as they were. */
	if (h->tlsa_state != RUN_TLSA_NOT_ASKED) {
		json_key(j, "tlsa_answer");
		json_obj_begin(j);
		json_kv_str(j, "state", run_tlsa_state_name(h->tlsa_state));
		json_key(j, "records");
		json_arr_begin(j);
		for (i = 0; i < h->n_tlsa; i++)
			put_elem(j, h->tlsa[i]);
		json_arr_end(j);
		json_obj_end(j);
	}
	json_obj_end(j);
}

static void
write_result(struct json_writer *j, const struct run_result *res)
{
	size_t i;

	json_obj_begin(j);
	put_str(j, "scenario", res->scenario);
	put_str(j, "client", res->client);
	json_kv_str(j, "policy", scen_policy_name(res->policy));
	put_str(j, "phase", res->phase);
	json_kv_int(j, "phase_index", res->phase_index);
	json_kv_int(j, "at", res->at);
	json_kv_str(j, "verdict", run_verdict_name(res->verdict));
	put_action(j, "expected", res->expected);
	put_accept(j, "accepted", res->accept);
	put_action(j, "claimed", res->claimed);
	json_key(j, "hosts");
	json_arr_begin(j);
	for (i = 0; i < res->n_hosts; i++)
		write_host(j, &res->hosts[i]);
	json_arr_end(j);
	json_kv_int(j, "exit_status", res->exit_status);
	json_kv_bool(j, "timed_out", res->timed_out);
	json_kv_int(j, "ms", (long long)res->ms);
	json_kv_int(j, "cell_ms", (long long)res->cell_ms);
	put_str(j, "reason", res->reason);
	put_str(j, "rule", res->rule);
	put_str(j, "rule_ref", res->rule_ref);
	put_str(j, "rule_host", res->rule_host);
	put_str(j, "observed", res->observed);
	put_str(j, "deviation", res->deviation);
	put_str(j, "output", res->output);
	json_kv_bool(j, "output_truncated", res->output_truncated);
	json_key(j, "output_lines");
	json_arr_begin(j);
	for (i = 0; i < res->n_output_lines; i++)
		json_int(j, res->output_lines[i]);
	json_arr_end(j);
	put_str(j, "kept_dir", res->kept_dir);
	json_obj_end(j);
}

static void
write_tlsa_seg(struct json_writer *j, const struct tl_plan_tlsa *g)
{
	json_obj_begin(j);
	json_kv_int(j, "usage", g->usage);
	json_kv_int(j, "selector", g->selector);
	json_kv_int(j, "mtype", g->mtype);
	put_str(j, "cert", g->cert);
	put_str(j, "data", g->data);
	json_kv_bool(j, "unusable", g->unusable);
	json_kv_int(j, "from", g->from);
	json_kv_int(j, "to", g->to);
	json_kv_bool(j, "removed", g->removed);
	json_kv_int(j, "ttl_before", g->ttl_before);
	json_kv_int(j, "ttl_after", g->ttl_after);
	json_obj_end(j);
}

/* A timeline's plan (tl_plan.h), REPORT.md "timeline". */
static void
write_timeline(struct json_writer *j, const struct tl_plan *p)
{
	size_t i, k;

	json_obj_begin(j);
	json_kv_int(j, "end", p->end);
	json_kv_int(j, "max_ttl", p->max_ttl);
	json_key(j, "phases");
	json_arr_begin(j);
	for (i = 0; i < p->n_phases; i++) {
		json_obj_begin(j);
		put_str(j, "name", p->phases[i].name);
		json_kv_int(j, "at", p->phases[i].at);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_key(j, "hosts");
	json_arr_begin(j);
	for (i = 0; i < p->n_hosts; i++) {
		const struct tl_plan_host *h = &p->hosts[i];

		json_obj_begin(j);
		put_str(j, "host", h->host);
		json_key(j, "certs");
		json_arr_begin(j);
		for (k = 0; k < h->n_certs; k++) {
			json_obj_begin(j);
			put_str(j, "chain", h->certs[k].chain);
			json_kv_int(j, "from", h->certs[k].from);
			json_kv_int(j, "to", h->certs[k].to);
			json_obj_end(j);
		}
		json_arr_end(j);
		json_key(j, "tlsa");
		json_arr_begin(j);
		for (k = 0; k < h->n_tlsa; k++)
			write_tlsa_seg(j, &h->tlsa[k]);
		json_arr_end(j);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_obj_end(j);
}

static void
write_scenario(struct json_writer *j, const struct run_scenario *s)
{
	size_t i;
	char *clean;

	json_obj_begin(j);
	put_str(j, "id", s->id);
	put_str(j, "title", s->title);
	put_str(j, "category", s->category);
	put_str(j, "explanation", s->explanation);
	put_str(j, "rule", s->rule);
	json_key(j, "refs");
	json_arr_begin(j);
	for (i = 0; i < s->n_refs; i++) {
		clean = report_utf8_clean(s->refs[i]);
		json_str(j, clean);
		free(clean);
	}
	json_arr_end(j);
	if (s->timeline != NULL) {
		json_key(j, "timeline");
		write_timeline(j, s->timeline);
	}
	json_obj_end(j);
}

int
report_write_json(const struct run_report *r, FILE *fp)
{
	struct json_writer j;
	size_t c[RUN_VERDICT_COUNT], i;

	json_init(&j, fp, true);
	json_obj_begin(&j);
	json_kv_int(&j, "schema", REPORT_SCHEMA_VERSION);
	put_str(&j, "danelab", r->version);
	json_kv_int(&j, "started", (long long)r->started);
	json_kv_int(&j, "duration_ms", (long long)r->duration_ms);
	put_str(&j, "isolation", r->isolation);
	json_kv_int(&j, "jobs", r->jobs);
	json_key(&j, "shard");
	json_obj_begin(&j);
	json_kv_int(&j, "k", r->shard_k);
	json_kv_int(&j, "n", r->shard_n);
	json_obj_end(&j);
	json_key(&j, "env");
	json_obj_begin(&j);
	json_kv_bool(&j, "ok", r->env_ok);
	put_str(&j, "message", r->env_message);
	json_obj_end(&j);
	json_kv_bool(&j, "interrupted", r->interrupted);
	json_kv_real(&j, "time_scale", report_time_scale(r));

	/* Derived, for readers that only want the totals; not read back. */
	report_count(r, c);
	json_key(&j, "counts");
	json_obj_begin(&j);
	for (i = 0; i < RUN_VERDICT_COUNT; i++)
		json_kv_int(&j, run_verdict_name((enum run_verdict)i),
		    (long long)c[i]);
	json_obj_end(&j);
	json_kv_int(&j, "exit_code", report_exit_code(r));

	json_key(&j, "scenarios");
	json_arr_begin(&j);
	for (i = 0; i < r->n_scenarios; i++)
		write_scenario(&j, &r->scenarios[i]);
	json_arr_end(&j);
	json_key(&j, "results");
	json_arr_begin(&j);
	for (i = 0; i < r->n_results; i++)
		write_result(&j, &r->results[i]);
	json_arr_end(&j);
	json_obj_end(&j);
	fputc('\n', fp);
	return ferror(fp) ? DL_EIO : 0;
}
