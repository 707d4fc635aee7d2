/*
 * cli_select.c -- which scenarios a verb works on (run, list): the
 * scenario arguments (ids, catalogue folders, globs over ids, files)
 * narrowed by --tag, and which cells of an earlier report did not pass
 * (run --rerun-failed).  One place, so that both verbs select alike.
 */
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "harness/cli.h"
#include "harness/report/report.h"
#include "simulator/util/xmem.h"

/* Does the argument hold a glob character? */
static bool
is_glob(const char *arg)
{
	return strpbrk(arg, "*?[") != NULL;
}

/*
 * Does scenario s match the argument: its id, a folder of the
 * catalogue ("dnssec" or "dnssec/"), or a glob over ids?  The glob is
 * fnmatch(3) without FNM_PATHNAME: '*' also matches '/'.
 */
static bool
selects(const struct scenario *s, const char *arg)
{
	size_t n = strlen(arg);

	if (is_glob(arg))
		return fnmatch(arg, s->id, 0) == 0;
	if (strcmp(s->id, arg) == 0)
		return true;
	if (n > 0 && arg[n - 1] == '/')
		n--;
	return n > 0 && strncmp(s->id, arg, n) == 0 && s->id[n] == '/';
}

static bool
has_tag(const struct scenario *s, const char *tag)
{
	size_t i;

	for (i = 0; i < s->n_tags; i++)
		if (strcmp(s->tags[i], tag) == 0)
			return true;
	return false;
}

/* Every positive tag present, no negative ("!tag") one. */
static bool
tags_match(const struct cli_select *cs, const struct scenario *s)
{
	size_t i;

	for (i = 0; i < cs->n_tags; i++) {
		const char *t = cs->tags[i];

		if (t[0] == '!' ? has_tag(s, t + 1) : !has_tag(s, t))
			return false;
	}
	return true;
}

int
cli_select_tag(const struct cli_ctx *ctx, const char *verb,
    struct cli_select *cs, const char *arg)
{
	const char *t = arg[0] == '!' ? arg + 1 : arg;

	if (*t == '\0' || strlen(t) > CLI_MAX_TAG_LEN) {
		fprintf(stderr, "%s %s: --tag '%s': a tag, or !tag to leave "
		    "it out\n", ctx->prog, verb, arg);
		return CLI_EXIT_USAGE;
	}
	if (cs->n_tags == CLI_MAX_TAGS) {
		fprintf(stderr, "%s %s: at most %d --tag\n", ctx->prog, verb,
		    CLI_MAX_TAGS);
		return CLI_EXIT_USAGE;
	}
	cs->tags[cs->n_tags++] = arg;
	return 0;
}

/*
 * A tag that no scenario has is a typo: it would select nothing (or,
 * negated, leave nothing out) without a word.  0 or CLI_EXIT_USAGE.
 */
static int
tags_known(const struct cli_ctx *ctx, const char *verb,
    const struct cli_select *cs)
{
	size_t i, j;
	bool known;

	for (i = 0; i < cs->n_tags; i++) {
		const char *t = cs->tags[i][0] == '!' ? cs->tags[i] + 1 :
		    cs->tags[i];

		known = false;
		for (j = 0; j < cs->n_cat && !known; j++)
			known = has_tag(cs->cat[j], t);
		for (j = 0; j < cs->n_extra && !known; j++)
			known = has_tag(cs->extra[j], t);
		if (!known) {
			fprintf(stderr, "%s %s: --tag %s: no scenario has tag "
			    "'%s' (the tags are in '%s list --format json')\n",
			    ctx->prog, verb, cs->tags[i], t, ctx->prog);
			return CLI_EXIT_USAGE;
		}
	}
	return 0;
}

static void
add_once(struct cli_select *cs, struct scenario *s)
{
	size_t k;

	for (k = 0; k < cs->n_sel; k++)
		if (cs->sel[k] == s)
			return;
	cs->sel[cs->n_sel++] = s;
}

/* One argument into cs->sel.  0 or CLI_EXIT_USAGE (said why). */
static int
select_arg(struct cli_ctx *ctx, const char *verb, struct cli_select *cs,
    const char *arg)
{
	struct stat st;
	size_t j;
	bool any = false;

	for (j = 0; j < cs->n_cat; j++)
		if (selects(cs->cat[j], arg)) {
			add_once(cs, cs->cat[j]);
			any = true;
		}
	if (any)
		return 0;
	if (stat(arg, &st) == 0 && S_ISREG(st.st_mode)) {
		if (cli_scenario(ctx, arg, &cs->extra[cs->n_extra]) != 0)
			return CLI_EXIT_USAGE;
		add_once(cs, cs->extra[cs->n_extra++]);
		return 0;
	}
	if (is_glob(arg))
		fprintf(stderr, "%s %s: no scenario matches '%s' (try '%s "
		    "list')\n", ctx->prog, verb, arg, ctx->prog);
	else
		fprintf(stderr, "%s %s: %s: no such scenario, folder or file "
		    "(try '%s list')\n", ctx->prog, verb, arg, ctx->prog);
	return CLI_EXIT_USAGE;
}

int
cli_select(struct cli_ctx *ctx, const char *verb, char **args, size_t n_args,
    struct cli_select *cs)
{
	size_t i, n;
	int rc;

	if (cli_catalogue(ctx, &cs->cat, &cs->n_cat) != 0)
		return CLI_EXIT_USAGE;
	cs->sel = xcalloc(cs->n_cat + n_args + 1, sizeof(*cs->sel));
	cs->extra = xcalloc(n_args + 1, sizeof(*cs->extra));
	if (n_args == 0)
		for (i = 0; i < cs->n_cat; i++)
			cs->sel[cs->n_sel++] = cs->cat[i];
	for (i = 0; i < n_args; i++)
		if ((rc = select_arg(ctx, verb, cs, args[i])) != 0)
			return rc;
	if ((rc = tags_known(ctx, verb, cs)) != 0)
		return rc;
	for (i = n = 0; i < cs->n_sel; i++)
		if (tags_match(cs, cs->sel[i]))
			cs->sel[n++] = cs->sel[i];
	if (n == 0 && cs->n_sel > 0) {
		fprintf(stderr, "%s %s: no scenario selected has every tag "
		    "asked for\n", ctx->prog, verb);
		return CLI_EXIT_USAGE;
	}
	cs->n_sel = n;
	return 0;
}

void
cli_select_clear(struct cli_select *cs)
{
	size_t i;

	for (i = 0; i < cs->n_extra; i++)
		scenario_free(cs->extra[i]);
	free(cs->extra);
	free(cs->sel);
	scenario_list_free(cs->cat, cs->n_cat);
	memset(cs, 0, sizeof(*cs));
}

bool
cli_result_failed(const struct run_result *r)
{
	switch (r->verdict) {
	case RUN_PASS:
	case RUN_SKIP:
	case RUN_XFAIL:
		return false;
	default:
		return true;
	}
}

bool
cli_cell_failed(const struct run_report *rep, const char *scenario,
    const char *client, int policy)
{
	size_t i;

	for (i = 0; i < rep->n_results; i++) {
		const struct run_result *r = &rep->results[i];

		if ((policy < 0 || (int)r->policy == policy) &&
		    strcmp(r->scenario, scenario) == 0 &&
		    (client == NULL || strcmp(r->client, client) == 0) &&
		    cli_result_failed(r))
			return true;
	}
	return false;
}
