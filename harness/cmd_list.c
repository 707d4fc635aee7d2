/*
 * cmd_list.c -- `danelab list`: the catalogue, as a table, as JSON or as
 * the Markdown table of scenarios/README.md.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/cli.h"
#include "harness/run/facts.h"
#include "simulator/util/json.h"

/*
 * The overall action under policy p: "auth", or every acceptable one,
 * the primary first ("opportunistic|auth"), or for a timeline the
 * actions of its phases with repeats collapsed, "auth>defer>auth".
 */
static const char *
list_expect_text(const struct scenario *s, enum scen_policy p, char *buf,
    size_t len)
{
	const struct scen_expect_policy *e;
	char one[128], last[128] = "";
	size_t i, n = s->n_phases > 0 ? s->n_phases : 1, used = 0;

	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		e = scenario_expect(s, p, s->n_phases > 0 ? (int)i : -1);
		if (e == NULL || !e->set)
			continue;
		cli_accept_text(e->overall, e->accept, one, sizeof(one));
		if (strcmp(one, last) == 0)
			continue;
		snprintf(last, sizeof(last), "%s", one);
		used += (size_t)snprintf(buf + used, used < len ? len - used : 0,
		    "%s%s", used ? ">" : "", one);
	}
	return buf[0] != '\0' ? buf : "-";
}

/* The acceptable actions, in enum order, as a JSON array. */
static void
list_json_accept(struct json_writer *j, unsigned accept)
{
	int a;

	json_arr_begin(j);
	for (a = SCEN_ACT_AUTH; a <= SCEN_ACT_DEFER; a++)
		if (accept & SCEN_ACT_BIT(a))
			json_str(j, scen_action_name((enum scen_action)a));
	json_arr_end(j);
}

/*
 * {"action": primary, "accept": [...], "hosts": {host: primary},
 * "hosts_accept": {host: [...]}}: the primary actions as before, and the
 * sets of acceptable ones next to them.
 */
static void
list_json_policy(struct json_writer *j, const struct scen_expect_policy *e)
{
	size_t i;

	json_obj_begin(j);
	json_kv_str(j, "action", e && e->set ?
	    scen_action_name(e->overall) : NULL);
	if (e != NULL && e->set) {
		json_key(j, "accept");
		list_json_accept(j, e->accept);
	}
	if (e != NULL && e->n_hosts > 0) {
		json_key(j, "hosts");
		json_obj_begin(j);
		for (i = 0; i < e->n_hosts; i++)
			json_kv_str(j, e->hosts[i].host,
			    scen_action_name(e->hosts[i].action));
		json_obj_end(j);
		json_key(j, "hosts_accept");
		json_obj_begin(j);
		for (i = 0; i < e->n_hosts; i++) {
			json_key(j, e->hosts[i].host);
			list_json_accept(j, e->hosts[i].accept);
		}
		json_obj_end(j);
	}
	json_obj_end(j);
}

static void
list_json_expect(struct json_writer *j, const struct scenario *s, int phase)
{
	int p;

	json_obj_begin(j);
	for (p = 0; p < SCEN_POLICY_COUNT; p++) {
		json_key(j, scen_policy_name(p));
		list_json_policy(j, scenario_expect(s, p, phase));
	}
	json_obj_end(j);
}

/*
 * What a DANE checker must diagnose at phase, per MX host (facts.h):
 * [{"host": H, "facts": {"mx": "secure", ... "match": null}, "why":
 * {"tlsa": "SERVFAIL or no answer"}}]; null: the key does not apply.
 */
static void
list_json_diagnosis(struct json_writer *j, const struct scenario *s,
    int phase)
{
	struct world_facts wf;
	size_t i;
	int k;

	facts_derive(s, phase, NULL, &wf);
	json_arr_begin(j);
	for (i = 0; i < wf.n; i++) {
		const struct host_facts *f = &wf.host[i];

		json_obj_begin(j);
		json_kv_str(j, "host", f->host);
		json_key(j, "facts");
		json_obj_begin(j);
		for (k = 0; k < FACT_COUNT; k++)
			json_kv_str(j, fact_key_name(k), f->v[k]);
		json_obj_end(j);
		json_key(j, "why");
		json_obj_begin(j);
		for (k = 0; k < FACT_COUNT; k++)
			if (f->why[k][0] != '\0')
				json_kv_str(j, fact_key_name(k), f->why[k]);
		json_obj_end(j);
		json_obj_end(j);
	}
	json_arr_end(j);
}

static void
list_json_one(struct json_writer *j, const struct scenario *s)
{
	size_t i, k;

	json_obj_begin(j);
	json_kv_str(j, "id", s->id);
	json_kv_str(j, "title", s->title);
	json_kv_str(j, "file", s->file);
	json_kv_str(j, "category", s->category == SCEN_CAT_NONE ? NULL :
	    scen_category_name(s->category));
	json_key(j, "tags");
	json_arr_begin(j);
	for (i = 0; i < s->n_tags; i++)
		json_str(j, s->tags[i]);
	json_arr_end(j);
	json_key(j, "references");
	json_arr_begin(j);
	for (i = 0; i < s->n_refs; i++)
		json_str(j, s->refs[i]);
	json_arr_end(j);
	json_key(j, "domains");
	json_arr_begin(j);
	json_str(j, s->domain);
	json_arr_end(j);
	json_key(j, "mx");
	json_arr_begin(j);
	for (i = 0; i < s->n_hosts; i++) {
		const struct scen_host *h = &s->hosts[i];

		json_obj_begin(j);
		json_kv_str(j, "host", h->name);
		json_kv_int(j, "preference", h->preference);
		json_key(j, "addresses");
		json_arr_begin(j);
		for (k = 0; k < h->n_addrs; k++)
			json_str(j, h->addrs[k]);
		json_arr_end(j);
		json_kv_int(j, "port", h->port);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_key(j, "expect");
	list_json_expect(j, s, s->n_phases > 0 ? 0 : -1);
	json_key(j, "diagnosis");
	list_json_diagnosis(j, s, s->n_phases > 0 ? 0 : -1);
	json_key(j, "phases");
	json_arr_begin(j);
	for (i = 0; i < s->n_phases; i++) {
		json_obj_begin(j);
		json_kv_str(j, "phase", s->phases[i].name);
		json_kv_int(j, "at", s->phases[i].at);
		json_key(j, "expect");
		list_json_expect(j, s, (int)i);
		json_key(j, "diagnosis");
		list_json_diagnosis(j, s, (int)i);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_obj_end(j);
}

/*
 * A host as written in the Markdown table: without the trailing dot and,
 * when it lies under the mail domain, without it ("mx1").
 */
static void
list_md_host(const struct scenario *s, const char *host, char *buf,
    size_t len)
{
	size_t hl = strlen(host), dl = strlen(s->domain);

	if (hl > dl + 1 && strcmp(host + hl - dl, s->domain) == 0 &&
	    host[hl - dl - 1] == '.')
		snprintf(buf, len, "%.*s", (int)(hl - dl - 1), host);
	else
		snprintf(buf, len, "%.*s", (int)(hl > 1 && host[hl - 1] == '.' ?
		    hl - 1 : hl), host);
}

/*
 * One phase's expectation: "auth", a set "opportunistic|auth" (the primary
 * first), or a host map "mx1: next-mx, mx2: auth", followed by " => defer"
 * when no host of the map delivers, or by " => " and the overall set when
 * the map accepts more than one overall action.
 */
static void
list_md_policy(const struct scenario *s, const struct scen_expect_policy *e,
    char *buf, size_t len)
{
	char h[300], a[128];
	size_t i, used = 0;

	buf[0] = '\0';
	if (e == NULL || !e->set) {
		snprintf(buf, len, "-");
		return;
	}
	if (e->n_hosts == 0) {
		cli_accept_text(e->overall, e->accept, buf, len);
		return;
	}
	for (i = 0; i < e->n_hosts; i++) {
		list_md_host(s, e->hosts[i].host, h, sizeof(h));
		used += (size_t)snprintf(buf + used, used < len ? len - used : 0,
		    "%s%s: %s", i ? ", " : "", h,
		    cli_accept_text(e->hosts[i].action, e->hosts[i].accept, a,
		    sizeof(a)));
	}
	if (e->overall == SCEN_ACT_DEFER)
		snprintf(buf + used, used < len ? len - used : 0, " => %s",
		    cli_accept_text(e->overall, e->accept, a, sizeof(a)));
	else if (e->accept != SCEN_ACT_BIT(e->overall))
		snprintf(buf + used, used < len ? len - used : 0, " => %s",
		    cli_accept_text(e->overall, e->accept, a, sizeof(a)));
}

/* Every phase's expectation under p, repeats collapsed, joined by " > ". */
static void
list_md_expect(const struct scenario *s, enum scen_policy p, char *buf,
    size_t len)
{
	char one[1024], last[1024] = "";
	size_t i, n = s->n_phases > 0 ? s->n_phases : 1, used = 0;

	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		list_md_policy(s, scenario_expect(s, p,
		    s->n_phases > 0 ? (int)i : -1), one, sizeof(one));
		if (strcmp(one, last) == 0)
			continue;
		snprintf(last, sizeof(last), "%s", one);
		used += (size_t)snprintf(buf + used, used < len ? len - used : 0,
		    "%s%s", used ? " > " : "", one);
	}
}

/* A table cell: '|' escaped, so that titles cannot break the table. */
static void
list_md_cell(const char *text)
{
	const char *c;

	fputc(' ', stdout);
	for (c = text; *c != '\0'; c++) {
		if (*c == '|')
			fputc('\\', stdout);
		fputc(*c, stdout);
	}
	fputs(" |", stdout);
}

static void
list_markdown(struct scenario **list, size_t n)
{
	char b[4096], id[300];
	size_t i;

	printf("| id | what is broken | category | dane | dane-only |\n");
	printf("|---|---|---|---|---|\n");
	for (i = 0; i < n; i++) {
		const struct scenario *s = list[i];

		fputc('|', stdout);
		snprintf(id, sizeof(id), "`%s`", s->id);
		list_md_cell(id);
		list_md_cell(s->title);
		list_md_cell(s->category == SCEN_CAT_NONE ? "-" :
		    scen_category_name(s->category));
		list_md_expect(s, SCEN_POLICY_DANE, b, sizeof(b));
		list_md_cell(b);
		list_md_expect(s, SCEN_POLICY_DANE_ONLY, b, sizeof(b));
		list_md_cell(b);
		fputc('\n', stdout);
	}
}

/*
 * list --clients: the client profiles --client NAME finds, one per line
 * (name, file), for people and the bash completion.
 */
static int
list_clients(void)
{
	char *names[PROFILE_MAX_KNOWN], *files[PROFILE_MAX_KNOWN];
	size_t n, i;

	n = profile_known(names, files, PROFILE_MAX_KNOWN);
	for (i = 0; i < n; i++) {
		printf("%-16s %s\n", names[i], files[i]);
		free(names[i]);
		free(files[i]);
	}
	return CLI_EXIT_OK;
}

int
cmd_list(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "tag", required_argument, NULL, 't' },
		{ "clients", no_argument, NULL, 'C' },
		{ NULL, 0, NULL, 0 },
	};
	bool clients = false;
	const struct cli_verb *v = cli_verb_find("list");
	struct cli_select cs;
	struct scenario **list;
	struct json_writer j;
	char b1[256], b2[256];
	size_t n, i;
	enum { LIST_TEXT, LIST_JSON, LIST_MARKDOWN } fmt = LIST_TEXT;
	int c, rc;

	memset(&cs, 0, sizeof(cs));
	while ((c = getopt_long(argc, argv, "f:t:", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (strcmp(optarg, "json") == 0) {
				fmt = LIST_JSON;
			} else if (strcmp(optarg, "markdown") == 0) {
				fmt = LIST_MARKDOWN;
			} else if (strcmp(optarg, "text") == 0) {
				fmt = LIST_TEXT;
			} else {
				fprintf(stderr, "%s list: unknown format '%s' "
				    "(text, json, markdown)\n", ctx->prog,
				    optarg);
				return CLI_EXIT_USAGE;
			}
			break;
		case 't':
			if (cli_select_tag(ctx, "list", &cs, optarg) != 0)
				return CLI_EXIT_USAGE;
			break;
		case 'C':
			clients = true;
			break;
		default:
			cli_verb_usage(ctx, v, false);
			return CLI_EXIT_USAGE;
		}
	}
	if (clients) {
		if (optind < argc || cs.n_tags > 0 || fmt != LIST_TEXT) {
			fprintf(stderr, "%s list: --clients takes no "
			    "SCENARIO, --tag or --format\n", ctx->prog);
			return CLI_EXIT_USAGE;
		}
		return list_clients();
	}
	if ((rc = cli_select(ctx, "list", argv + optind,
	    (size_t)(argc - optind), &cs)) != 0) {
		cli_select_clear(&cs);
		return rc;
	}
	list = cs.sel;
	n = cs.n_sel;
	if (fmt == LIST_MARKDOWN) {
		list_markdown(list, n);
	} else if (fmt == LIST_JSON) {
		json_init(&j, stdout, true);
		json_arr_begin(&j);
		for (i = 0; i < n; i++)
			list_json_one(&j, list[i]);
		json_arr_end(&j);
		fputc('\n', stdout);
	} else {
		printf("%-30s %-18s %-16s %s\n", "ID", "DANE", "DANE-ONLY",
		    "TITLE");
		for (i = 0; i < n; i++) {
			const struct scenario *s = list[i];

			printf("%-30s %-18s %-16s %s\n", s->id,
			    list_expect_text(s, SCEN_POLICY_DANE, b1,
			    sizeof(b1)),
			    list_expect_text(s, SCEN_POLICY_DANE_ONLY, b2,
			    sizeof(b2)), s->title);
		}
		printf("%zu scenario%s\n", n, n == 1 ? "" : "s");
	}
	cli_select_clear(&cs);
	return CLI_EXIT_OK;
}
