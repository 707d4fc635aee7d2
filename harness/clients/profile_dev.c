/*
 * profile_dev.c -- known deviations of a client from RFC 7672: the
 * <name>.deviations file next to its profile, and looking a cell up in
 * it.
 *
 * Format, one deviation per line:
 *     SCENARIO[@PHASE] POLICY RULE REASON...
 * SCENARIO is a scenario id or a folder prefix ending in '/'; POLICY is
 * dane, dane-only or '*'; RULE is the id of the scoring rule whose
 * failure it excuses (run.h, run_rule_id: "undelivered" ...), with a
 * final '?' when the failure depends on the client's own random choice
 * (a pass is then no XPASS); REASON is the rest of the line.  '#' starts a
 * comment line; blank lines are ignored.  Owns: parsing (bounded, every
 * error at file:line:col) and matching.  Does not own: the verdicts
 * XFAIL/XPASS (harness/run/).
 */
#include "harness/clients/profile_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness/run/run.h"
#include "simulator/util/xmem.h"

#define DEV_MAX_TOKEN 256

static bool
id_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
	    c == '/';
}

/* Parse one non-comment line (NUL-terminated); 0 or DL_EINVAL. */
static int
dev_line(struct client_profile *p, const char *path, unsigned ln,
    const char *s, struct dl_diags *diags)
{
	struct profile_deviation d = { .line = ln, .policy = -1 };
	size_t i = 0, st, at = 0, k, send;
	bool has_at = false;
	char tok[DEV_MAX_TOKEN];

	while (s[i] == ' ' || s[i] == '\t')
		i++;
	/* SCENARIO[@PHASE] */
	st = i;
	while (s[i] != '\0' && s[i] != ' ' && s[i] != '\t')
		i++;
	send = i;
	if (i - st >= DEV_MAX_TOKEN)
		return dl_error(diags, path, ln, (unsigned)st + 1,
		    "scenario is too long");
	for (k = st; k < i; k++) {
		if (s[k] == '@' && !has_at) {
			has_at = true;
			at = k;
			continue;
		}
		if (!id_char(s[k]) || (has_at && s[k] == '/'))
			return dl_error(diags, path, ln, (unsigned)k + 1,
			    "invalid character '%c' in a scenario id", s[k]);
	}
	if ((has_at && at == st) || s[st] == '/')
		return dl_error(diags, path, ln, (unsigned)st + 1,
		    "invalid scenario id");
	if (has_at && at + 1 == i)
		return dl_error(diags, path, ln, (unsigned)at + 2,
		    "empty phase after '@'");
	if (has_at && s[at - 1] == '/')
		return dl_error(diags, path, ln, (unsigned)at + 1,
		    "a phase needs a scenario id, not a folder prefix");
	/* POLICY */
	while (s[i] == ' ' || s[i] == '\t')
		i++;
	k = i;
	while (s[i] != '\0' && s[i] != ' ' && s[i] != '\t')
		i++;
	if (k == i)
		return dl_error(diags, path, ln, (unsigned)k + 1,
		    "expected a policy (dane, dane-only or '*')");
	snprintf(tok, sizeof(tok), "%.*s", (int)(i - k), s + k);
	if (strcmp(tok, "dane") == 0)
		d.policy = SCEN_POLICY_DANE;
	else if (strcmp(tok, "dane-only") == 0)
		d.policy = SCEN_POLICY_DANE_ONLY;
	else if (strcmp(tok, "*") != 0)
		return dl_error(diags, path, ln, (unsigned)k + 1,
		    "unknown policy '%s' (dane, dane-only or '*')", tok);
	/* RULE */
	while (s[i] == ' ' || s[i] == '\t')
		i++;
	k = i;
	while (s[i] != '\0' && s[i] != ' ' && s[i] != '\t')
		i++;
	snprintf(tok, sizeof(tok), "%.*s", (int)(i - k), s + k);
	if (k < i && tok[i - k - 1] == '?') {
		d.sometimes = true;
		tok[i - k - 1] = '\0';
	}
	if (k == i || (d.rule = run_rule_parse(tok)) < 0 ||
	    !run_rule_excusable((enum run_rule)d.rule)) {
		char list[512];
		size_t o = 0;
		int r;

		list[0] = '\0';
		for (r = 1; r < RULE_COUNT; r++)
			if (run_rule_excusable((enum run_rule)r))
				o += (size_t)snprintf(list + o,
				    sizeof(list) - o, "%s%s", o ? ", " : "",
				    run_rule_id((enum run_rule)r));
		return dl_error(diags, path, ln, (unsigned)k + 1,
		    k == i ? "expected the rule the deviation excuses (%s)"
			   : "'%s' is not a rule a deviation can excuse (%s)",
		    k == i ? list : tok, list);
	}
	/* REASON */
	while (s[i] == ' ' || s[i] == '\t')
		i++;
	if (s[i] == '\0')
		return dl_error(diags, path, ln, (unsigned)i + 1,
		    "a deviation needs a reason");
	if (p->n_devs == PROFILE_MAX_DEVIATIONS)
		return dl_error(diags, path, ln, 1,
		    "more than %d deviations", PROFILE_MAX_DEVIATIONS);
	d.scenario = xstrndup(s + st, (has_at ? at : send) - st);
	if (has_at)
		d.phase = xstrndup(s + at + 1, send - at - 1);
	k = strlen(s);
	while (k > i && (s[k - 1] == ' ' || s[k - 1] == '\t'))
		k--;
	d.reason = xstrndup(s + i, k - i);
	p->devs = xreallocarray(p->devs, p->n_devs + 1, sizeof(*p->devs));
	p->devs[p->n_devs++] = d;
	return 0;
}

int
profile_dev_parse(struct client_profile *p, const char *path,
    const char *text, size_t len, struct dl_diags *diags)
{
	size_t i = 0, errors = 0;
	unsigned ln = 0;

	while (i < len) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t end = nl ? (size_t)(nl - text) : len;
		size_t n = end - i, k = 0;
		char *line;

		ln++;
		if (memchr(text + i, '\0', n) != NULL) {
			dl_error(diags, path, ln, 1, "NUL character");
			errors++;
			i = end + 1;
			continue;
		}
		line = xstrndup(text + i, n);
		if (n > 0 && line[n - 1] == '\r')
			line[n - 1] = '\0';
		while (line[k] == ' ' || line[k] == '\t')
			k++;
		if (line[k] != '\0' && line[k] != '#' &&
		    dev_line(p, path, ln, line, diags) != 0)
			errors++;
		free(line);
		i = end + 1;
	}
	return errors ? DL_EINVAL : 0;
}

size_t
profile_deviations(const struct client_profile *p, const char *scenario,
    const char *phase, enum scen_policy policy,
    const struct profile_deviation **out, size_t max)
{
	size_t i, n = 0;

	for (i = 0; i < p->n_devs && n < max; i++) {
		const struct profile_deviation *d = &p->devs[i];
		size_t sl = strlen(d->scenario);

		if (d->policy >= 0 && d->policy != (int)policy)
			continue;
		if (d->scenario[sl - 1] == '/') {
			if (strncmp(scenario, d->scenario, sl) != 0)
				continue;
		} else if (strcmp(scenario, d->scenario) != 0) {
			continue;
		}
		if (d->phase != NULL &&
		    (phase == NULL || strcmp(phase, d->phase) != 0))
			continue;
		out[n++] = d;
	}
	return n;
}

static const char *const exit_meaning_names[PROFILE_EXIT_COUNT] = {
	[PROFILE_EXIT_UNDECLARED] = "undeclared",
	[PROFILE_EXIT_DONE] = "done",
	[PROFILE_EXIT_DEFERRED] = "deferred",
};

enum profile_exit
profile_exit_meaning(const struct client_profile *p, int st)
{
	size_t i;

	for (i = 0; i < p->n_exits; i++)
		if (p->exit_status[i] == st)
			return p->exit_meaning[i];
	return PROFILE_EXIT_UNDECLARED;
}

const char *
profile_exit_name(enum profile_exit e)
{
	return (unsigned)e < PROFILE_EXIT_COUNT ? exit_meaning_names[e] : "?";
}

bool
profile_alive(const struct client_profile *p, const char *output, size_t len)
{
	char *copy;
	bool ok;

	if (p->alive == NULL)
		return true;
	if (output == NULL)
		return false;
	/* regexec wants a string; the output may hold NUL bytes. */
	copy = xstrndup(output, len);
	ok = regexec(&p->alive_re, copy, 0, NULL, 0) == 0;
	free(copy);
	return ok;
}

const struct profile_deviation *
profile_deviation(const struct client_profile *p, const char *scenario,
    const char *phase, enum scen_policy policy)
{
	const struct profile_deviation *d;

	return profile_deviations(p, scenario, phase, policy, &d, 1) ? d
								     : NULL;
}

/* Whether deviation d names scenario s (and, with a phase, one of its). */
static bool
dev_names(const struct profile_deviation *d, const struct scenario *s)
{
	size_t sl = strlen(d->scenario), i;

	if (d->scenario[sl - 1] == '/')
		return strncmp(s->id, d->scenario, sl) == 0;
	if (strcmp(s->id, d->scenario) != 0)
		return false;
	if (d->phase == NULL)
		return true;
	for (i = 0; i < s->n_phases; i++)
		if (strcmp(s->phases[i].name, d->phase) == 0)
			return true;
	return false;
}

size_t
profile_deviations_check(const struct client_profile *p,
    struct scenario *const *scenarios, size_t n, struct dl_diags *diags)
{
	char *path;
	size_t i, k, warned = 0;

	if (p->n_devs == 0)
		return 0;
	path = xasprintf("%.*s.deviations", (int)(strlen(p->file) - 5),
	    p->file);
	for (i = 0; i < p->n_devs; i++) {
		const struct profile_deviation *d = &p->devs[i];

		for (k = 0; k < n; k++)
			if (dev_names(d, scenarios[k]))
				break;
		if (k < n)
			continue;
		dl_warn(diags, path, d->line, 1, "'%s%s%s' names no scenario "
		    "(or phase) of the catalogue: this deviation can never "
		    "apply", d->scenario, d->phase ? "@" : "",
		    d->phase ? d->phase : "");
		warned++;
	}
	free(path);
	return warned;
}

size_t
profile_runtime_check(const struct client_profile *p,
    struct scenario *const *scenarios, size_t n, double scale,
    struct dl_diags *diags)
{
	size_t i, k, warned = 0;
	double gap, tight, need;
	const char *from = NULL, *to = NULL;

	if (p->runtime_s == 0)
		return 0;
	for (k = 0; k < n; k++) {
		const struct scenario *s = scenarios[k];

		tight = -1;
		for (i = 0; i + 1 < s->n_phases; i++) {
			/*
			 * A run starts RUN_PHASE_MARGIN_MS into its phase
			 * and must end before the next one starts.
			 */
			gap = (double)(s->phases[i + 1].at - s->phases[i].at) -
			    RUN_PHASE_MARGIN_MS / 1000.0;
			if (tight < 0 || gap < tight) {
				tight = gap;
				from = s->phases[i].name;
				to = s->phases[i + 1].name;
			}
		}
		if (tight < 0 || tight >= (double)p->runtime_s)
			continue;
		/*
		 * The factor F with (the phases' distance at factor 1) * F
		 * - margin >= runtime, rounded up.
		 */
		need = ((double)p->runtime_s + RUN_PHASE_MARGIN_MS / 1000.0) /
		    ((tight + RUN_PHASE_MARGIN_MS / 1000.0) / scale);
		need = ceil(need * 10) / 10;
		dl_warn(diags, p->file, 0, 0, "%s runs about %u s (its "
		    "'runtime'), but in %s phase %s leaves it %.1f s before "
		    "phase %s starts: its run would overrun and the later "
		    "phases be ERROR; run with --time-scale %.1f or more",
		    p->name, p->runtime_s, s->id, from, tight, to,
		    need);
		warned++;
	}
	return warned;
}
